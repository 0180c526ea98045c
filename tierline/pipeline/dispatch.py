"""Running one task per partition on the scheduler a run chose: Dask's threads, a LocalCluster of
worker processes (--workers), or a running Dask cluster (--scheduler)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Sequence

import dask

from tierline.errors import InputError, UsageError
from tierline.pipeline.partitions import Partition
from tierline.pipeline.progress import Progress
from tierline.pipeline.task import PartitionResult, Shared


class SchedulerKind(Enum):
    THREADS = "threads"  # neither --workers nor --scheduler: Dask's threaded scheduler in this process
    LOCAL_CLUSTER = "local cluster"  # --workers N: a LocalCluster of N single-threaded processes
    DISTRIBUTED = "distributed"  # --scheduler ADDRESS: a running Dask cluster


@dataclass(frozen=True)
class Dispatcher:
    """Where a run's tasks run, and whether each pass shows its progress."""

    kind: SchedulerKind
    workers: int | None = None  # LOCAL_CLUSTER: its processes
    address: str | None = None  # DISTRIBUTED: the scheduler's
    progress: bool = True

    @classmethod
    def of(cls, workers: int | None, scheduler: str | None, progress: bool) -> Dispatcher:
        if scheduler is not None:
            return cls(SchedulerKind.DISTRIBUTED, address=scheduler, progress=progress)
        if workers is not None:
            return cls(SchedulerKind.LOCAL_CLUSTER, workers=workers, progress=progress)
        return cls(SchedulerKind.THREADS, progress=progress)

    @property
    def description(self) -> str:
        """The scheduler as the manifest names it."""
        if self.kind is SchedulerKind.DISTRIBUTED:
            return f"distributed {self.address}"
        if self.kind is SchedulerKind.LOCAL_CLUSTER:
            return f"LocalCluster ({self.workers} processes)"
        return f"threads ({os.cpu_count()} workers)"

    def map(self, function: Callable[..., Any], shared: Shared, partitions: Sequence[Partition],
            extra: tuple = (), what: str | None = None) -> list[Any]:
        """`function(shared, partition, *extra)` once per partition, results in partition order.

        `shared` travels once (a single graph key, or scattered to every worker), not with every
        task. `what` names the pass in its progress (in the past tense); None shows none."""
        rows = sum(p.num_rows for p in partitions)
        with Progress(rows, len(partitions), enabled=self.progress and what is not None,
                      what=what or "") as progress:
            if self.kind is SchedulerKind.THREADS:
                return _threads_map(function, shared, partitions, extra, progress)
            return self._cluster_map(function, shared, partitions, extra, progress)

    def _cluster_map(self, function: Callable[..., Any], shared: Shared, partitions: Sequence[Partition],
                     extra: tuple, progress: Progress) -> list[Any]:
        from distributed import as_completed

        client, cluster = self._client()
        try:
            [shared_future] = client.scatter([shared], broadcast=True)
            futures = {client.submit(function, shared_future, p, *extra, pure=False): i
                       for i, p in enumerate(partitions)}
            results: list[Any] = [None] * len(partitions)
            for future in as_completed(futures):
                index = futures[future]
                results[index] = future.result()
                progress.update(_rows_of(results[index], partitions[index]))
            return results
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    def _client(self) -> tuple[Any, Any]:
        """(client, LocalCluster or None) for --scheduler or --workers."""
        import logging

        from distributed import Client, LocalCluster

        if self.kind is SchedulerKind.DISTRIBUTED:
            return scheduler_client(self.address, None), None
        try:
            # Worker logs stay quiet: a failure reaches the client as an exception, told in one line.
            cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.CRITICAL)
        except Exception as error:  # distributed says "Nanny failed to start."; the cause is the news
            cause = error.__cause__ or error
            raise InputError(f"--workers {self.workers}: the LocalCluster's worker processes failed to start "
                             f"({type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}); "
                             "run without --workers to use threads") from error
        return Client(cluster), cluster


def _threads_map(function: Callable[..., Any], shared: Shared, partitions: Sequence[Partition], extra: tuple,
                 progress: Progress) -> list[Any]:
    from dask.callbacks import Callback

    shared_key = dask.delayed(shared, pure=True)
    tasks = [dask.delayed(function, pure=False)(shared_key, p, *extra) for p in partitions]
    by_key = {task.key: p for task, p in zip(tasks, partitions)}

    class _Rows(Callback):
        def _posttask(self, key, result, dsk, state, worker_id):  # noqa: ANN001
            if key in by_key:
                progress.update(_rows_of(result, by_key[key]))

    with _Rows():
        return list(dask.compute(*tasks, scheduler="threads", num_workers=os.cpu_count()))


def _rows_of(result: Any, partition: Partition) -> int:
    return result.input_rows if isinstance(result, PartitionResult) else partition.num_rows


def scheduler_client(address: str, timeout: float | None) -> Any:
    """A client of the cluster at `address`, or exit 2 naming it (`timeout=None`: Dask's default, for
    the passes after the run's options reached it once; a short one would also bound every scatter)."""
    from distributed import Client

    try:
        return Client(address, timeout=timeout) if timeout is not None else Client(address)
    except (OSError, ValueError) as error:  # refused or timed out (TimeoutError is an OSError), or no address
        raise UsageError(f"--scheduler {address}: cannot reach a Dask scheduler there ({error})") from None
