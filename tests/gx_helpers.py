"""Run Great Expectations 1.x itself on a small table: the reference the compiled checks answer to.

The frame GX sees is `tierline.validation.checks.pandas_frame(table)`: `table.to_pandas()` with pyarrow's
defaults (int with nulls → float64, bool with nulls → object), text as object dtype of `str` (as GX's
own test definitions have it), the conversion `--validation gx` uses too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping, Sequence

import pandas as pd
import pyarrow as pa

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


POSITION = "_tierline_test_position"


@dataclass(frozen=True)
class GxResult:
    """One expectation's verdict as GX reports it."""

    success: bool
    unexpected_index_list: list[int] | None
    raised_exception: bool
    exception_message: str | None
    unexpected_count: int | None


@lru_cache(maxsize=1)
def _batch_definition():
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    source = context.data_sources.add_pandas("tierline_reference")
    asset = source.add_dataframe_asset("register")
    return asset.add_batch_definition_whole_dataframe("whole")


def gx_suite(expectations: Sequence[Mapping[str, Any]]):
    """An ExpectationSuite from `{"type", "kwargs", "meta"}` configurations (the suite JSON's entries),
    and for each configuration the suite position of the expectation that answers it: a suite is
    set-like, so GX keeps one of several equal expectations (meta aside)."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    suite = gx.ExpectationSuite(name="reference")
    answered_by = []
    for entry in expectations:
        position = len(suite.expectations)
        meta = {**(entry.get("meta") or {}), POSITION: position}
        configuration = ExpectationConfiguration(type=entry["type"], kwargs=dict(entry["kwargs"]), meta=meta)
        expectation = configuration.to_domain_obj()
        twin = [i for i, kept in enumerate(suite.expectations) if suite._expectations_are_equalish(expectation, kept)]
        if twin:
            answered_by.append(twin[0])
        else:
            # add_expectation, not add_expectation_configuration: the latter replaces an expectation
            # of the same type and column instead of adding a second one.
            suite.add_expectation(expectation)
            answered_by.append(position)
    return suite, answered_by


def run_gx(expectations: Sequence[Mapping[str, Any]], data: pa.Table | pd.DataFrame) -> list[GxResult]:
    """Validate `data` (whole table, one batch) against `expectations`; one result per expectation, in order."""
    from tierline.validation.checks import pandas_frame

    frame = pandas_frame(data) if isinstance(data, pa.Table) else data
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    suite, answered_by = gx_suite(expectations)
    results = batch.validate(suite, result_format={"result_format": "COMPLETE"}).results
    # GX reports results grouped by domain, not in the suite's order: put them back by position.
    assert len(results) == len(suite.expectations)
    by_position = sorted(results, key=lambda result: result.expectation_config.meta[POSITION])
    for entry, position in zip(expectations, answered_by):
        assert by_position[position].expectation_config.type == entry["type"]
    return [_to_result(by_position[position]) for position in answered_by]


def _to_result(result) -> GxResult:
    info = result.exception_info or {}
    if "raised_exception" not in info and info:
        # several metrics failed: {metric_id: {...}}
        info = next(iter(info.values()))
    body = result.result or {}
    return GxResult(
        success=bool(result.success),
        unexpected_index_list=body.get("unexpected_index_list"),
        raised_exception=bool(info.get("raised_exception")),
        exception_message=info.get("exception_message"),
        unexpected_count=body.get("unexpected_count"),
    )
