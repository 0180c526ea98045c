"""The tasks of a run's passes and what they share (tierline.pipeline.task), on one small partition."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from registers import LEVELS_SCORECARD, write_register
from tierline.compiler import compile_scorecard
from tierline.pipeline.inputs import read_partition, resolve_inputs
from tierline.pipeline.partitions import Partition, plan_partitions
from tierline.pipeline.task import (
    Destination, QuantileRanks, Shared, Uniqueness, population_task, score_partition_task, unique_hashes_task,
    validated,
)
from tierline.pipeline.validate import HashSpill, ValidationMode, plan_validation
from tierline.scorecard.load import load_scorecard_text

SCORECARD = LEVELS_SCORECARD


def _partition(tmp_path: Path, ids: list[str], amounts: list[float | None]) -> Partition:
    write_register(pa.table({"id": ids, "amount": amounts}), tmp_path / "in", files=1, row_group_size=100)
    [partition] = plan_partitions(resolve_inputs([str(tmp_path / "in")]))
    return partition


def _shared(**learned: object) -> Shared:
    compiled = compile_scorecard(load_scorecard_text(SCORECARD))
    validation, compiled = plan_validation(compiled, ValidationMode.FAST,
                                           pa.schema([("id", pa.string()), ("amount", pa.float64())]))
    return Shared(compiled, validation, "test-run", **learned)


def _destination(tmp_path: Path) -> Destination:
    for directory in ("data", "quarantine"):
        (tmp_path / "out" / directory).mkdir(parents=True, exist_ok=True)
    return Destination(str(tmp_path / "out" / "data"), str(tmp_path / "out" / "quarantine"), "test-run",
                       ("id", "amount"))


def test_shared_starts_knowing_nothing_of_the_register() -> None:
    shared = _shared()
    assert shared.uniqueness.duplicates == {} and shared.uniqueness.masks == {} and shared.uniqueness.offsets == ()
    assert shared.ranks is None and shared.grouping is None


def test_shared_pickles_for_the_workers() -> None:
    ranks = QuantileRanks(np.array([1.0, 2.0]), np.array([1, 2]))
    shared = pickle.loads(pickle.dumps(_shared(ranks=ranks)))
    assert shared.ranks.population.tolist() == [1.0, 2.0] and shared.run_id == "test-run"


def test_validated_quarantines_the_register_wide_duplicates(tmp_path: Path) -> None:
    partition = _partition(tmp_path, ["a", "b", "c"], [1.0, 2.0, 3.0])
    [position] = _shared().validation.unique_positions
    shared = _shared(uniqueness=Uniqueness(duplicates={position: pa.array(["b"])}))
    evaluation, check_counts = validated(shared, partition, read_partition(partition, None))
    assert evaluation.invalid.tolist() == [False, True, False]
    assert check_counts[position].unexpected == 1


def test_population_task_gives_the_valid_values(tmp_path: Path) -> None:
    partition = _partition(tmp_path, ["a", "b", "c", "d"], [5.0, -1.0, None, 7.0])
    assert sorted(population_task(_shared(), partition).tolist()) == [5.0, 7.0]


def test_score_partition_task_writes_tiers_and_quarantine(tmp_path: Path) -> None:
    partition = _partition(tmp_path, ["a", "b", "c"], [80.0, 10.0, -1.0])
    result = score_partition_task(_shared(), partition, _destination(tmp_path))
    assert (result.input_rows, result.scored_rows, result.quarantined_rows) == (3, 2, 1)
    assert result.tier_rows == {"high": 1, "low": 1}
    data = tmp_path / "out" / "data"
    assert sorted(path.name for path in data.iterdir()) == ["tier=high", "tier=low"]
    [high] = (data / "tier=high").iterdir()
    assert pq.read_table(high).column("id").to_pylist() == ["a"]


def test_scoring_again_replaces_every_file_the_partition_wrote(tmp_path: Path) -> None:
    partition = _partition(tmp_path, ["a", "b"], [80.0, 10.0])
    destination = _destination(tmp_path)
    score_partition_task(_shared(), partition, destination)
    [position] = _shared().validation.unique_positions
    again = score_partition_task(_shared(uniqueness=Uniqueness(duplicates={position: pa.array(["a"])})),
                                 partition, destination)
    assert again.tier_rows == {"low": 1} and again.quarantined_rows == 1
    assert list((tmp_path / "out" / "data" / "tier=high").iterdir()) == []  # a's file of the first pass is gone


def test_score_partition_task_with_a_spill_leaves_the_hashes(tmp_path: Path) -> None:
    partition = _partition(tmp_path, ["a", "b"], [80.0, 10.0])
    spill = HashSpill.plan(str(tmp_path / "hashes"), 2)
    (tmp_path / "hashes").mkdir()
    score_partition_task(_shared(), partition, _destination(tmp_path), spill)
    written = sorted(path.name for path in (tmp_path / "hashes").iterdir())
    elsewhere = tmp_path / "hashes-again"
    elsewhere.mkdir()
    unique_hashes_task(_shared(), partition, HashSpill.plan(str(elsewhere), 2))  # the pre-pass's same files
    assert written and written == sorted(path.name for path in elsewhere.iterdir())
