"""`--validation gx`: Great Expectations itself validates a pandas frame (SPEC §5).

The pipeline hands it the frame of one partition (`tierline.validation.checks.pandas_frame` of the
suite's table) or, for `unique`, of the unique columns of the whole register, and gets back per
expectation the rows GX lists in `unexpected_index_list` (`GxVerdict`). Everything here imports GX;
which of its APIs and internals it relies on is listed in `tierline.validation.gx_internals`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from tierline.errors import InputError
from tierline.validation.checks import CompiledChecks, pandas_frame

# The meta key that carries an expectation's position in the suite through GX's results.
_GX_POSITION = "tierline_position"
_gx_local = threading.local()


@dataclass(frozen=True)
class GxVerdict:
    """GX's result for one expectation on one frame: the rows it lists, and whether it failed the
    column itself (a check that `judges_column`, failed without listing rows)."""

    failures: np.ndarray
    failed_as_whole: bool


def _batch_definition() -> Any:
    """One ephemeral GX context per thread (contexts are not shared across threads)."""
    if getattr(_gx_local, "batch_definition", None) is None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig, InMemoryStoreBackendDefaults, ProgressBarsConfig)

        config = DataContextConfig(analytics_enabled=False, progress_bars=ProgressBarsConfig(globally=False),
                                   store_backend_defaults=InMemoryStoreBackendDefaults())
        context = gx.get_context(mode="ephemeral", project_config=config)
        asset = context.data_sources.add_pandas("tierline").add_dataframe_asset("partition")
        _gx_local.batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    return _gx_local.batch_definition


def validate_frame(checks: CompiledChecks, configurations: Sequence[Mapping[str, Any]], positions: Sequence[int],
                   frame: Any) -> dict[int, GxVerdict]:
    """GX's verdict on `frame` for each expectation at `positions` of the suite (`configurations`,
    compiled as `checks`), keyed by position. An expectation GX could not evaluate is an InputError."""
    results = _gx_results(configurations, positions, frame)
    verdicts = {}
    for position, result in results.items():
        check = checks[position]
        if _raised(result.exception_info):
            raise InputError(f"Great Expectations could not evaluate {check.error_code}: "
                             f"{_exception_message(result.exception_info)}")
        listed = (result.result or {}).get("unexpected_index_list")
        failures = np.zeros(len(frame), dtype=bool)
        if listed:
            failures[np.asarray(listed, dtype=np.int64)] = True
        # GX lists the rows of a map verdict; a verdict on the column lists none
        as_whole = (check.expectation_type.judges_column and not result.success
                    and "unexpected_index_list" not in (result.result or {}))
        verdicts[position] = GxVerdict(failures, as_whole)
    return verdicts


def register_unique_masks(checks: CompiledChecks, configurations: Sequence[Mapping[str, Any]],
                          positions: Sequence[int], pieces: Sequence[pa.Table]) -> dict[int, np.ndarray]:
    """GX's `unique` verdicts over the whole register (`pieces`: the unique columns of every
    partition, in order), one mask over all rows per unique check at `positions`."""
    whole = pandas_frame(pa.concat_tables(pieces))
    verdicts = validate_frame(checks, configurations, positions, whole)
    return {position: verdicts[position].failures for position in positions}


def _gx_results(configurations: Sequence[Mapping[str, Any]], positions: Sequence[int], frame: Any) -> dict[int, Any]:
    from great_expectations.core import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    expectations = []
    for position in positions:
        entry = configurations[position]
        meta = {**(entry.get("meta") or {}), _GX_POSITION: position}
        expectations.append(ExpectationConfiguration(type=entry["type"], kwargs=dict(entry["kwargs"]), meta=meta)
                            .to_domain_obj())
    suite = ExpectationSuite(name="tierline", expectations=expectations)
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    results = batch.validate(suite, result_format="COMPLETE")
    return {result.expectation_config.meta[_GX_POSITION]: result for result in results.results}


def _raised(info: Any) -> bool:
    """GX's exception_info: one dict, or one dict per metric it computed."""
    info = info or {}
    return bool(info.get("raised_exception")) or any(
        isinstance(value, dict) and value.get("raised_exception") for value in info.values())


def _exception_message(info: Any) -> str:
    if isinstance(info, dict):
        if info.get("exception_message"):
            return str(info["exception_message"]).splitlines()[0]
        for value in info.values():
            if isinstance(value, dict) and value.get("exception_message"):
                return str(value["exception_message"]).splitlines()[0]
    return "unknown error"
