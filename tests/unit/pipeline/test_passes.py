"""The passes of a run (tierline.pipeline.passes), each on a small register, mapped in this process."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pyarrow as pa
import pytest

from registers import LEVELS_SCORECARD, write_register
from tierline.compiler import compile_scorecard, quantile_limits
from tierline.pipeline.inputs import resolve_inputs
from tierline.pipeline.partitions import Partition, plan_partitions
from tierline.pipeline.passes import (
    UniqueStrategy, duplicates_pass, grouping_pass, learn_register, no_duplicates, partition_offsets, ranks_pass,
    score_register, unique_pass, unique_strategy,
)
from tierline.pipeline.task import Destination, Shared
from tierline.pipeline.validate import ValidationMode, ValidationPlan, plan_validation
from tierline.scorecard.load import load_scorecard_text

LEVELS = LEVELS_SCORECARD

QUANTILES = """\
scorecard: ranked
version: 1
key: id
inputs:
  id: {type: string, required: true, unique: true}
  amount: {type: float, min: 0}
score:
  components:
    - {name: amount, input: amount, value: true}
tiers:
  order: desc
  quantiles:
    - {tier: A, top: 0.1}
    - {tier: B}
"""

AGGREGATE = """\
scorecard: grouped
version: 1
key: id
inputs:
  id: {type: string, required: true}
  amount: {type: float, min: 0}
aggregate: {by: id, score: mean}
score:
  components:
    - {name: amount, input: amount, value: true}
tiers:
  levels:
    - {tier: high, from: 50}
    - {tier: low, to: 50}
"""


class Recorder:
    """A `PartitionMap` in this process that remembers each pass it ran (its `what`, its partitions)."""

    def __init__(self) -> None:
        self.passes: list[tuple[str | None, list[int]]] = []

    def __call__(self, function: Callable[..., Any], shared: Shared, partitions: Sequence[Partition],
                 extra: tuple = (), what: str | None = None) -> list[Any]:
        self.passes.append((what, [p.index for p in partitions]))
        return [function(shared, p, *extra) for p in partitions]


def _register(tmp_path: Path, ids: list[str], amounts: list[float]) -> list[Partition]:
    """The rows as two files of row groups of 5 rows, planned in partitions of 5 rows."""
    write_register(pa.table({"id": ids, "amount": amounts}), tmp_path / "in", files=2, row_group_size=5)
    return plan_partitions(resolve_inputs([str(tmp_path / "in")]), 5)


def _plan(text: str, mode: ValidationMode = ValidationMode.FAST) -> Shared:
    compiled = compile_scorecard(load_scorecard_text(text))
    validation, compiled = plan_validation(compiled, mode, pa.schema([("id", pa.string()), ("amount", pa.float64())]))
    return Shared(compiled, validation, run_id="test-run")


def _ids(n: int) -> list[str]:
    return [f"k{i}" for i in range(n)]


@pytest.mark.parametrize("text, mode, unique, expected", [
    (LEVELS, ValidationMode.FAST, True, UniqueStrategy.HASHES_WHILE_SCORING),
    (QUANTILES, ValidationMode.FAST, True, UniqueStrategy.HASHES_FIRST),
    (AGGREGATE, ValidationMode.FAST, True, UniqueStrategy.HASHES_FIRST),
    (LEVELS, ValidationMode.GX, True, UniqueStrategy.GX_WHOLE_COLUMN),
    (LEVELS, ValidationMode.FAST, False, UniqueStrategy.NONE),
    (LEVELS, ValidationMode.OFF, False, UniqueStrategy.NONE),
])
def test_unique_strategy_follows_the_mode_and_the_scorecard(text: str, mode: ValidationMode, unique: bool,
                                                            expected: UniqueStrategy) -> None:
    validation = ValidationPlan(mode, unique_positions=(0,) if unique else ())
    assert unique_strategy(validation, load_scorecard_text(text)) is expected


def test_partition_offsets_are_each_partitions_first_row(tmp_path: Path) -> None:
    partitions = _register(tmp_path, _ids(12), [1.0] * 12)
    assert [p.num_rows for p in partitions] == [5, 1, 5, 1]
    assert partition_offsets(partitions) == (0, 5, 6, 11)


def test_hashes_first_finds_a_value_repeated_across_partitions(tmp_path: Path) -> None:
    ids = _ids(12)
    ids[11] = "k0"  # the last partition repeats the first row's key
    partitions, plan = _register(tmp_path, ids, [1.0] * 12), _plan(LEVELS)
    mapped = Recorder()
    unique = unique_pass(mapped, plan, partitions, UniqueStrategy.HASHES_FIRST, tmp_path / "hashes")
    assert unique.spill is None and not (tmp_path / "hashes").exists()  # read, then removed
    [position] = plan.validation.unique_positions
    assert unique.uniqueness.duplicates[position].to_pylist() == ["k0"]
    assert [what for what, _ in mapped.passes] == ["hashed keys of", "counted repeated keys in"]


def test_hashes_while_scoring_leaves_the_spill_to_the_scoring_tasks(tmp_path: Path) -> None:
    partitions, plan = _register(tmp_path, _ids(12), [1.0] * 12), _plan(LEVELS)
    mapped = Recorder()
    unique = unique_pass(mapped, plan, partitions, UniqueStrategy.HASHES_WHILE_SCORING, tmp_path / "hashes")
    assert mapped.passes == []  # nothing read before scoring
    assert unique.spill is not None and Path(unique.spill.directory).is_dir()
    assert {p: d.to_pylist() for p, d in unique.uniqueness.duplicates.items()} == {
        p: [] for p in plan.validation.unique_positions}


def test_no_unique_check_learns_nothing(tmp_path: Path) -> None:
    partitions, plan = _register(tmp_path, _ids(12), [1.0] * 12), _plan(LEVELS, ValidationMode.OFF)
    unique = unique_pass(Recorder(), plan, partitions, UniqueStrategy.NONE, tmp_path / "hashes")
    assert unique.spill is None and unique.uniqueness.duplicates == {} and unique.uniqueness.offsets == ()


def test_duplicates_pass_names_the_partitions_holding_a_duplicate(tmp_path: Path) -> None:
    ids = _ids(12)
    ids[6] = "k1"  # partitions 0 and 2 hold k1
    partitions, plan = _register(tmp_path, ids, [1.0] * 12), _plan(LEVELS)
    unique = unique_pass(Recorder(), plan, partitions, UniqueStrategy.HASHES_WHILE_SCORING, tmp_path / "hashes")
    from tierline.pipeline.task import unique_hashes_task

    for partition in partitions:  # what the scoring tasks leave
        unique_hashes_task(plan, partition, unique.spill)
    duplicates = duplicates_pass(Recorder(), plan, partitions, unique.spill)
    assert duplicates.touched == (0, 2)
    [position] = plan.validation.unique_positions
    assert duplicates.values[position].to_pylist() == ["k1"]
    assert not Path(unique.spill.directory).exists()


def test_no_duplicates_is_an_empty_set_per_unique_check() -> None:
    validation = ValidationPlan(ValidationMode.FAST, unique_positions=(2, 5))
    assert {p: len(values) for p, values in no_duplicates(validation).items()} == {2: 0, 5: 0}


def test_ranks_pass_ranks_the_valid_values_of_every_partition(tmp_path: Path) -> None:
    amounts = [float(i) for i in range(12)]
    amounts[3] = -1.0  # fails min 0: not ranked
    partitions, plan = _register(tmp_path, _ids(12), amounts), _plan(QUANTILES)
    ranks = ranks_pass(Recorder(), plan, partitions)
    assert ranks.population.tolist() == sorted(a for a in amounts if a >= 0)
    assert ranks.limits.tolist() == quantile_limits(plan.compiled.scorecard, 11).tolist()


def test_grouping_pass_forms_entities_across_partitions(tmp_path: Path) -> None:
    ids = [f"k{i % 4}" for i in range(12)]  # every entity has rows in several partitions
    partitions, plan = _register(tmp_path, ids, [10.0] * 12), _plan(AGGREGATE)
    grouping = grouping_pass(Recorder(), plan, partitions)
    assert grouping.entities.rows.tolist() == [3, 3, 3, 3]
    assert len(grouping.fates) == len(partitions)


def test_learn_register_builds_the_scoring_context(tmp_path: Path) -> None:
    partitions, plan = _register(tmp_path, _ids(12), [float(i) for i in range(12)]), _plan(QUANTILES)
    learned = learn_register(Recorder(), plan, partitions, UniqueStrategy.HASHES_FIRST, tmp_path / "hashes")
    scoring = learned.scoring
    assert learned.spill is None and scoring.grouping is None and scoring.ranks is not None
    assert (scoring.compiled, scoring.validation, scoring.run_id) == (plan.compiled, plan.validation, "test-run")
    assert len(scoring.ranks.population) == 12


def _destination(tmp_path: Path, run_id: str) -> Destination:
    for directory in ("data", "quarantine"):
        (tmp_path / "out" / directory).mkdir(parents=True)
    return Destination(str(tmp_path / "out" / "data"), str(tmp_path / "out" / "quarantine"), run_id, ())


def test_score_register_scores_again_only_the_partitions_with_a_late_duplicate(tmp_path: Path) -> None:
    ids = _ids(12)
    ids[11] = "k0"
    partitions, plan = _register(tmp_path, ids, [float(i * 10) for i in range(12)]), _plan(LEVELS)
    mapped = Recorder()
    scored = score_register(mapped, plan, partitions, _destination(tmp_path, "test-run"), tmp_path / "hashes")
    assert [what for what, _ in mapped.passes] == ["scored", "counted repeated keys in", "scored again (duplicates)"]
    assert mapped.passes[-1][1] == [0, 3]
    assert [r.index for r in scored.results] == [0, 1, 2, 3]
    assert [r.quarantined_rows for r in scored.results] == [1, 0, 0, 1]  # both rows of k0
    assert scored.grouping is None
    quarantined = sorted((tmp_path / "out" / "quarantine").iterdir())
    assert [path.name.split("-")[1] for path in quarantined] == ["00000", "00003"]


def test_score_register_of_a_register_without_duplicates_scores_once(tmp_path: Path) -> None:
    partitions, plan = _register(tmp_path, _ids(12), [float(i * 10) for i in range(12)]), _plan(LEVELS)
    mapped = Recorder()
    scored = score_register(mapped, plan, partitions, _destination(tmp_path, "test-run"), tmp_path / "hashes")
    assert [what for what, _ in mapped.passes] == ["scored"]
    assert sum(r.scored_rows for r in scored.results) == 12
    assert np.all([r.quarantined_rows == 0 for r in scored.results])
