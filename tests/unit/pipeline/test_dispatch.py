"""Where a run's tasks run (tierline.pipeline.dispatch); the clusters are tests/functional/test_schedulers.py's."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from tierline.errors import UsageError
from tierline.pipeline.dispatch import Dispatcher, SchedulerKind, scheduler_client


@dataclass(frozen=True)
class FakePartition:
    index: int
    num_rows: int


def test_the_options_choose_the_scheduler() -> None:
    assert Dispatcher.of(None, None, True).kind is SchedulerKind.THREADS
    assert Dispatcher.of(3, None, True).kind is SchedulerKind.LOCAL_CLUSTER
    assert Dispatcher.of(None, "tcp://h:8786", False).kind is SchedulerKind.DISTRIBUTED


def test_the_manifest_names_the_scheduler() -> None:
    assert Dispatcher.of(None, None, True).description == f"threads ({os.cpu_count()} workers)"
    assert Dispatcher.of(3, None, True).description == "LocalCluster (3 processes)"
    assert Dispatcher.of(None, "tcp://h:8786", True).description == "distributed tcp://h:8786"


def _task(shared: dict, partition: FakePartition, scale: int) -> int:
    return shared["base"] + partition.index * scale


def test_threads_give_the_results_in_partition_order(capsys: pytest.CaptureFixture[str]) -> None:
    partitions = [FakePartition(i, 10) for i in range(20)]
    dispatcher = Dispatcher.of(None, None, progress=True)
    assert dispatcher.map(_task, {"base": 1}, partitions, (2,), "counted") == [1 + 2 * i for i in range(20)]
    assert "counted 20/20 partitions, 200/200 rows" in capsys.readouterr().err


def test_a_pass_without_a_name_shows_no_progress(capsys: pytest.CaptureFixture[str]) -> None:
    Dispatcher.of(None, None, progress=True).map(_task, {"base": 0}, [FakePartition(0, 1)], (1,))
    assert capsys.readouterr().err == ""


def test_an_unreachable_scheduler_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--scheduler tcp://127.0.0.1:9: cannot reach"):
        scheduler_client("tcp://127.0.0.1:9", 0.5)
