"""The error table lists every code a row can earn, in the order the compile steps claim them."""

from __future__ import annotations

from pathlib import Path

from spec_example import SPEC_SCORECARD
from tierline.compiler import compile_scorecard
from tierline.compiler.errortable import ErrorTable
from tierline.scorecard.load import load_scorecard, load_scorecard_text

SCORECARDS = Path(__file__).resolve().parents[3] / "tierline" / "scorecards"


def test_a_code_keeps_the_number_it_first_got() -> None:
    table = ErrorTable()
    assert [table.code("a"), table.code("b"), table.code("a"), table.code("c")] == [0, 1, 0, 2]
    assert table.names == ("a", "b", "c")


def test_components_then_axes_then_input_types() -> None:
    compiled = compile_scorecard(load_scorecard_text(SPEC_SCORECARD))
    assert compiled.error_codes == (
        "production_impact:not_null", "production_impact:unmapped",
        "original_value_10k:not_null", "original_value_10k:out_of_bands",
        "utilisation_pct:not_null",
        "score:not_null",
        "original_value_10k:type", "utilisation_pct:type",  # number and time inputs only
    )
    assert [s.type_error for s in compiled.input_slots] == [-1, 6, 7, -1]


def test_the_tiering_codes_come_before_the_axis_codes() -> None:
    codes = compile_scorecard(load_scorecard(SCORECARDS / "postal_key_accounts.yaml")).error_codes
    assert codes.index("tier:no_scale") < codes.index("annual_revenue_10k:not_null")


def test_an_odd_count_aggregate_claims_its_code_before_the_input_types() -> None:
    compiled = compile_scorecard(load_scorecard(SCORECARDS / "lec_hazard.yaml"))
    codes = compiled.error_codes
    even = codes.index("hazard_id:even_count")
    assert all(not code.endswith(":type") for code in codes[:even])
    assert all(code.endswith(":type") for code in codes[even + 1:])


def test_error_words_cover_the_table() -> None:
    compiled = compile_scorecard(load_scorecard_text(SPEC_SCORECARD))
    assert compiled.n_error_words == 1
