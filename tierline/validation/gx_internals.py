"""Every part of Great Expectations tierline relies on beyond `import great_expectations`, said once.

GX 1.x keeps its validation rules in its source, not in a specification; tierline restates some of
them (the fast checks, `tierline.validation.checks`; the result counts, `tierline.validation.datadocs`)
and reaches past the public API in a few places (Data Docs of a result GX did not compute, a page
template's logo). A GX release that moves or changes any of these can change tierline's verdicts or
break `--data-docs` silently, which is what bounds the GX versions tierline accepts:
tests/unit/validation/test_gx_internals.py checks each entry against the installed GX.

Written and tested against GX 1.24.1 (pandas 3.1, pyarrow 26), with GX's own test definitions of
the 1.2.0 release (tests/data/gx_test_definitions).
"""

from __future__ import annotations

from dataclasses import dataclass

TESTED_WITH = "1.24.1"


@dataclass(frozen=True)
class GxInternal:
    """One thing of GX's that tierline depends on. `where`: `module:name` for an import, or the
    source file (relative to the `great_expectations` package) and the function whose rule is
    restated or whose output is relied on; `users`: tierline's modules that depend on it."""

    where: str
    relied_on: str
    users: tuple[str, ...]


# Names imported from GX's modules (each must resolve).
IMPORTED: tuple[GxInternal, ...] = (
    GxInternal("great_expectations.expectations.expectation_configuration:ExpectationConfiguration",
               "`to_domain_obj()` parses and refuses kwargs with GX's own pydantic model",
               ("checks.compile", "suite", "datadocs", "gx")),
    GxInternal("great_expectations.core:ExpectationSuite", "built from expectations, no context needed",
               ("suite", "datadocs", "gx")),
    GxInternal("great_expectations.core:ExpectationSuiteValidationResult", "a result GX did not compute",
               ("datadocs",)),
    GxInternal("great_expectations.core:ExpectationValidationResult", "a result GX did not compute", ("datadocs",)),
    GxInternal("great_expectations.core.run_identifier:RunIdentifier", "the result's run", ("datadocs",)),
    GxInternal("great_expectations.validator.validation_statistics:calc_validation_statistics",
               "the statistics a Checkpoint computes", ("datadocs",)),
    GxInternal("great_expectations.data_context.types.resource_identifiers:ExpectationSuiteIdentifier",
               "keys of the result store", ("datadocs",)),
    GxInternal("great_expectations.data_context.types.resource_identifiers:ValidationResultIdentifier",
               "keys of the result store", ("datadocs",)),
    GxInternal("great_expectations.data_context.types.base:DataContextConfig",
               "an ephemeral context without analytics or progress bars", ("gx",)),
    GxInternal("great_expectations.data_context.types.base:InMemoryStoreBackendDefaults", "in-memory stores", ("gx",)),
    GxInternal("great_expectations.data_context.types.base:ProgressBarsConfig", "progress bars off", ("gx",)),
    GxInternal("great_expectations.exceptions:ExpectationNotFoundError", "an unknown type in an extra suite",
               ("suite",)),
    GxInternal("great_expectations.exceptions:GreatExpectationsError", "GX's refusals of an extra suite", ("suite",)),
    GxInternal("great_expectations.expectations:ExpectColumnToExist", "undeclared columns of an extra suite",
               ("suite",)),
)

# GX source whose rule tierline restates (file, function): a change there changes GX's verdicts.
RESTATED: tuple[GxInternal, ...] = (
    GxInternal("expectations/metrics/map_metric_provider/column_condition_partial.py:column_condition_partial",
               "map expectations drop nulls (None, NaN, NaT) before testing", ("checks.column",)),
    GxInternal("expectations/metrics/column_map_metrics/column_values_between.py:ColumnValuesBetween",
               "min <= x <= max, strict_* as <, missing bound open, comparison in pandas", ("checks.ranges",)),
    GxInternal("expectations/metrics/column_map_metrics/column_values_in_set.py:ColumnValuesInSet",
               "pandas isin: exact equality, empty set fails every non-null row", ("checks.sets",)),
    GxInternal("expectations/metrics/column_map_metrics/column_values_unique.py:ColumnValuesUnique",
               "~duplicated(keep=False): every copy of a repeated value fails", ("checks.unique",)),
    GxInternal("expectations/metrics/column_map_metrics/column_values_match_regex.py:ColumnValuesMatchRegex",
               "astype(str).str.contains(regex): re.search on the value's str()", ("checks.regex",)),
    GxInternal("expectations/metrics/column_map_metrics/column_values_of_type.py:ColumnValuesOfType",
               "per-value isinstance on object columns", ("checks.dtypes",)),
    GxInternal("expectations/core/expect_column_values_to_be_of_type.py:_validate_pandas",
               "dtype.type against the named type; object columns per value", ("checks.dtypes",)),
    GxInternal("expectations/core/expect_column_values_to_be_in_type_list.py:_validate_pandas",
               "dtype against the listed numpy/pandas/native types", ("checks.dtypes",)),
    GxInternal("expectations/type_comparison.py:native_type_type_map",
               "type names of native Python types (restated, pinned by a test)", ("checks.dtypes",)),
    GxInternal("expectations/core/expect_column_to_exist.py:_validate",
               "`if column_index:`: index 0 asks only for the name, -1 is the last column", ("checks.evaluate",)),
    GxInternal("expectations/core/expect_column_values_to_not_be_null.py:_validate",
               "not_null's mostly divides by every row", ("checks.evaluate",)),
    GxInternal("expectations/expectation.py:_mostly_success",
               "(nonnull - unexpected) / nonnull >= mostly, vacuously true without rows", ("checks.evaluate",)),
    GxInternal("expectations/expectation.py:_format_map_output",
               "the BASIC result dict from the counts", ("datadocs",)),
)

# Shapes, attributes and files that are not a name to import.
RELIED_ON: tuple[GxInternal, ...] = (
    GxInternal("ExpectationValidationResult.result['unexpected_index_list']",
               "the failing rows by frame index (COMPLETE result format); absent for a column verdict", ("gx",)),
    GxInternal("ExpectationValidationResult.exception_info",
               "{raised_exception, exception_message}, or one such dict per metric", ("gx",)),
    GxInternal("ExpectationValidationResult.expectation_config.meta",
               "meta given to an expectation comes back on its result", ("gx",)),
    GxInternal("context.validation_results_store.store_validation_results",
               "stores a result GX did not compute, keyed as ValidationDefinition.run keys it", ("datadocs",)),
    GxInternal("context.build_data_docs / get_docs_sites_urls", "site `local_site` of a file project",
               ("datadocs",)),
    GxInternal("render/view/templates/top_navbar.j2", "the remote logo URL the pages get (`_LOGO_BEACON`)",
               ("datadocs",)),
    GxInternal("GX_ANALYTICS_ENABLED", "the environment variable that keeps analytics off", ("gx", "datadocs")),
)
