"""Ranks within groups learned over partitions (tierline.pipeline.ranks): the partitions'
dictionaries merged into one group numbering, several `within` columns combined, nulls one group."""

from __future__ import annotations

import math

import pyarrow as pa

from kernel_rows import ranked_evaluation
from tierline.compiler import compile_scorecard
from tierline.scorecard.load import load_scorecard_text

SCORECARD = """\
scorecard: ranks_unit
version: 1
key: id
inputs:
  id: {type: string, required: true}
  region: {type: string, default: west}
  size: {type: int}
  value: {type: float}
ranks:
  by_region: {by: value, within: region}
  by_both: {by: value, within: [region, size], order: asc}
tiers:
  rules:
    levels:
      - {tier: A}
"""


def _ranks(table: pa.Table, bounds: list[int]) -> list[tuple]:
    compiled = compile_scorecard(load_scorecard_text(SCORECARD))
    evaluation = ranked_evaluation(compiled, table, bounds)
    slots = [compiled.slot_of[name] for name in ("by_region", "by_both")]
    return [tuple(None if math.isnan(v) else int(v) for v in evaluation.values[slots, i]) for i in range(table.num_rows)]


def test_groups_agree_across_partitions_whose_dictionaries_differ() -> None:
    table = pa.table({
        "id": [f"r{i}" for i in range(9)],
        # partition 1 meets north first, partition 2 south first: the merged numbering must agree
        "region": ["north", "north", None, "south", "north", "west", None, "south", "east"],
        "size": pa.array([1, 2, 1, 1, 1, 1, 1, 2, None], pa.int64()),
        "value": [5.0, 7.0, 1.0, 3.0, 7.0, 2.0, 4.0, None, 6.0],
    })
    ranks = _ranks(table, [0, 3, 6, 9])
    assert [r[0] for r in ranks] == [3, 1, 3, 1, 1, 2, 1, None, 1]  # null region = west (the default)
    # (north, 1): 5 and 7 ascending; (north, 2): 7 alone; (west, 1): 1, 2, 4; (south, 1): 3; (east, null): 6
    assert [r[1] for r in ranks] == [1, 1, 1, 1, 2, 2, 3, None, 1]


def test_a_row_whose_group_holds_no_counted_row_has_no_rank() -> None:
    table = pa.table({"id": ["a", "b", "c"], "region": ["n", "s", "s"], "size": pa.array([1, 1, 1], pa.int64()),
                      "value": [1.0, None, None]})
    assert _ranks(table, [0, 1, 3]) == [(1, 1), (None, None), (None, None)]
