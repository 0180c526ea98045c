"""GX Data Docs for a run (`--data-docs DIR`): the run's validation summary as GX's own result.

A run validates its register in pieces (partitions, files), fast or through GX, and keeps one count
per expectation for the whole register (`tierline.pipeline.validate.summary`). `validation_result` turns
those counts into one `ExpectationSuiteValidationResult`, the object a GX Checkpoint would have
stored had it validated the whole register as one batch; `build_data_docs` stores it in a
file-based GX project rooted in DIR and has GX build its Data Docs site there.

The route, all of it GX 1.x API (GX renders every page; tierline only repoints the logo, below):

- `gx.get_context(mode="file", project_root_dir=DIR)` makes (or reopens) the project `DIR/gx`,
  with GX's default stores and one site, `local_site`, in `DIR/gx/uncommitted/data_docs/local_site`.
- `context.suites.add_or_update(suite)` stores the suite: the site gets its Expectation Suite page,
  which the validation page links to.
- `context.validation_results_store.store_validation_results(...)` stores the result, the call
  `ValidationDefinition.run` itself makes after validating. GX 1.x has no public way to store a
  result it did not compute: a Checkpoint or ValidationDefinition always reads the data itself,
  and reading the whole register again in pandas is what the run's fast checks exist to avoid.
  The store is the same one `get_validation_result` and the site builder read, keyed by suite,
  run and batch like GX's own results, so a later GX version that moves things keeps the key.
- `context.build_data_docs(resource_identifiers=[...])` renders the suite and the new result (the
  pages of earlier runs are kept) and rebuilds the index, which lists every stored result.
- The pages it built get the site's own logo instead of GX's remote one (`_LOGO_BEACON`).

What of GX's this relies on beyond its public API is listed in `tierline.validation.gx_internals`.

Each `ExpectationValidationResult` carries the suite's configuration of its expectation, the run's
verdict (`success`, as GX computes it from the same counts: `tierline.validation.checks.expectation_success`)
and GX's BASIC result dict, computed by `map_result` exactly as `_format_map_output` does: per
expectation the rows (`element_count`), the failing rows, the nulls and the percentages.
`expect_column_to_exist` has an empty result, as in GX. What the summary does not hold is left
out rather than invented: the failing values themselves (`partial_unexpected_*`), and the
`observed_value` (a dtype name) GX reports instead of counts when a type check is decided on a
typed pandas column; tierline's type checks are counted per value, so their counts are shown.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence
from urllib.parse import urlparse
from urllib.request import url2pathname

from tierline.validation.checks.model import ExpectationType
from tierline.validation.suite import tierline_code

if TYPE_CHECKING:  # GX takes seconds to import: only building docs loads it
    from great_expectations.core import ExpectationSuite, ExpectationSuiteValidationResult

DATASOURCE = "tierline"  # the name the result gives the data's source (the index shows the asset)
SITE = "local_site"  # the site GX's file project declares
# GX's TupleFilesystemStoreBackend refuses these in any part of a key (run name, batch id).
_FORBIDDEN_IN_KEYS = ("/", "\\")

# GX's page template (render/view/templates/top_navbar.j2) loads the logo from GX's web-assets
# bucket with the project's data_context_id and the time in its URL, each time a page is opened:
# a view counter that GX_ANALYTICS_ENABLED does not switch off, and that a project cannot replace
# (GX reads plugins/custom_data_docs/views only after its own templates). The site holds the image.
_LOGO_BEACON = re.compile(
    r"https://great-expectations-web-assets\.s3\.[a-z0-9.-]+\.amazonaws\.com/logo-long\.png[^\"']*")
_LOCAL_LOGO = "static/images/logo-long.png"  # relative to the site's root


def map_result(element_count: int, unexpected_count: int, nonnull_count: int | None) -> dict[str, Any]:
    """GX's BASIC result of a column map expectation from its counts (expectation.py: _format_map_output).

    `nonnull_count` is None for not_null, whose nulls are its unexpected values: GX then reports
    no missing counts and takes the percentage over every row. Other map expectations skip nulls,
    so their `unexpected_percent` is over the non-null rows. Without rows (or, for the latter,
    without non-null rows) a percentage is None, not 0.
    """
    total_percent = unexpected_count / element_count * 100 if element_count > 0 else None
    result: dict[str, Any] = {"element_count": element_count, "unexpected_count": unexpected_count}
    if nonnull_count is None:
        result["unexpected_percent"] = total_percent
        return result
    missing_count = element_count - nonnull_count
    nonmissing_percent = None
    if element_count > 0 and nonnull_count > 0:
        nonmissing_percent = unexpected_count / nonnull_count * 100
    result.update({
        "unexpected_percent": nonmissing_percent,
        "missing_count": missing_count,
        "missing_percent": missing_count / element_count * 100 if element_count > 0 else None,
        "unexpected_percent_total": total_percent,
        "unexpected_percent_nonmissing": nonmissing_percent,
    })
    return result


def _result_of(expectation_type: str, check: Mapping[str, Any]) -> dict[str, Any]:
    if expectation_type == ExpectationType.EXIST:
        return {}  # GX reports only the verdict
    if expectation_type == ExpectationType.NOT_NULL:
        return map_result(check["rows"], check["unexpected"], None)
    return map_result(check["rows"], check["unexpected"], check["nonnull"])


def _suite_document(suite: ExpectationSuite | Mapping[str, Any]) -> dict[str, Any]:
    """The suite as GX's JSON: {"name", "expectations": [{"type", "kwargs", "meta"}, ...], ...}."""
    to_json_dict = getattr(suite, "to_json_dict", None)
    return to_json_dict() if callable(to_json_dict) else dict(suite)


def _code(entry: Mapping[str, Any]) -> str:
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    return tierline_code(ExpectationConfiguration(type=entry["type"], kwargs=dict(entry["kwargs"]),
                                                  meta=dict(entry.get("meta") or {})))


def _safe_key_part(text: str, what: str) -> str:
    if not text or any(bad in text for bad in _FORBIDDEN_IN_KEYS):
        raise ValueError(f"{what} {text!r} cannot name a GX validation result: it must be non-empty "
                         f"and hold no {' or '.join(_FORBIDDEN_IN_KEYS)}")
    return text


def batch_id(data_asset: str) -> str:
    """The result's batch id, `<datasource>-<asset>` as GX's fluent batches are named."""
    return f"{DATASOURCE}-{_safe_key_part(data_asset, 'data asset')}"


def validation_result(
    suite: ExpectationSuite | Mapping[str, Any],
    summary: Sequence[Mapping[str, Any]],
    *,
    run_name: str,
    data_asset: str,
    started: dt.datetime,
    batch_markers: Mapping[str, Any] | None = None,
) -> ExpectationSuiteValidationResult:
    """One GX result for the whole register from the run's summary (one entry per expectation, in
    suite order, as `tierline.pipeline.validate.summary` makes it). A summary that does not answer the suite
    entry by entry (count, type, error code) is a bug and raises ValueError."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
    from great_expectations.validator.validation_statistics import calc_validation_statistics

    document = _suite_document(suite)
    entries = document.get("expectations") or []
    if len(entries) != len(summary):
        raise ValueError(f"the summary has {len(summary)} checks but suite {document.get('name')!r} "
                         f"has {len(entries)} expectations")
    identifier = batch_id(data_asset)
    results = []
    for position, (entry, check) in enumerate(zip(entries, summary)):
        code = _code(entry)
        if check["expectation"] != entry["type"] or check["code"] != code:
            raise ValueError(f"summary entry {position} ({check['expectation']}, {check['code']}) does not "
                             f"answer the suite's expectation {position} ({entry['type']}, {code})")
        # the configuration as GX's validator hands it to a result: the suite's, with the batch's id
        configuration = ExpectationConfiguration(
            type=entry["type"], kwargs={**entry["kwargs"], "batch_id": identifier},
            meta=dict(entry.get("meta") or {}), id=entry.get("id"))
        results.append(ExpectationValidationResult(
            success=bool(check["success"]), expectation_config=configuration,
            result=_result_of(entry["type"], check)))
    statistics = calc_validation_statistics(results)
    run_id = RunIdentifier(run_name=_safe_key_part(run_name, "run name"), run_time=started)
    meta = {
        # what a Checkpoint records about its batch; the index takes the asset name from here
        "active_batch_definition": {"datasource_name": DATASOURCE, "data_connector_name": "fluent",
                                    "data_asset_name": data_asset, "batch_identifiers": {}},
        "batch_markers": dict(batch_markers or {}),
        # the validation page's header and title read the asset from here (GX's SQL assets put it here too)
        "batch_spec": {"data_asset_name": data_asset},
        "great_expectations_version": gx.__version__,
        "run_id": run_id.to_json_dict(),
        "validation_time": run_id.run_time.isoformat(),
    }
    return ExpectationSuiteValidationResult(
        success=statistics.success, results=results, suite_name=document["name"],
        statistics={"evaluated_expectations": statistics.evaluated_expectations,
                    "successful_expectations": statistics.successful_expectations,
                    "unsuccessful_expectations": statistics.unsuccessful_expectations,
                    "success_percent": statistics.success_percent},
        meta=meta, batch_id=identifier)


def _context(directory: Path) -> Any:
    """The file-based GX project in `directory/gx`, made on first use; analytics off in its config."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    directory.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=directory)
    if context.config.analytics_enabled is not False:
        context.enable_analytics(False)  # written to great_expectations.yml, so any later use keeps it off
    return context


def _serve_logo_locally(page: Path, site: Path) -> None:
    """Point a built page's logo at the site's own copy (see `_LOGO_BEACON`)."""
    text = page.read_text(encoding="utf-8")
    local = "../" * (len(page.relative_to(site).parts) - 1) + _LOCAL_LOGO
    fixed = _LOGO_BEACON.sub(local, text)
    if fixed != text:
        page.write_text(fixed, encoding="utf-8")


def _local_path(url: str) -> Path:
    parsed = urlparse(url)
    if parsed.scheme != "file":
        raise ValueError(f"GX built the Data Docs site at {url}, not in a local directory")
    return Path(url2pathname(parsed.path))


def build_data_docs(
    directory: Path | str,
    suite: ExpectationSuite | Mapping[str, Any],
    summary: Sequence[Mapping[str, Any]],
    *,
    run_name: str,
    data_asset: str,
    started: dt.datetime,
    batch_markers: Mapping[str, Any] | None = None,
) -> Path:
    """Store the run's result in the GX project `directory/gx` and build its Data Docs; return the
    site's index.html. Calling it again for another run adds that run's page; the index lists all.

    `suite` is the run's suite (`suite_for(scorecard)`, or its JSON dict), `summary` the manifest's
    `validation.expectations`, `run_name` the run id, `data_asset` what was validated (the index's
    "Asset Name" and part of the page's file name, e.g. `period=2026-11`), `started` the run's start
    (the result's run time; tz-aware), `batch_markers` a flat dict of JSON values that the page shows
    under "Show more info". Run name and asset hold no '/' or '\\' (ValueError).
    """
    from great_expectations.core import ExpectationSuite as Suite
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier, ValidationResultIdentifier)
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    result = validation_result(suite, summary, run_name=run_name, data_asset=data_asset, started=started,
                               batch_markers=batch_markers)
    context = _context(Path(directory))
    document = _suite_document(suite)
    stored = Suite(name=document["name"], meta=document.get("meta") or {}, expectations=[
        ExpectationConfiguration(type=e["type"], kwargs=dict(e["kwargs"]), meta=dict(e.get("meta") or {}))
        .to_domain_obj() for e in document["expectations"]])
    context.suites.add_or_update(stored)
    suite_key = ExpectationSuiteIdentifier(name=document["name"])
    result_key = ValidationResultIdentifier(expectation_suite_identifier=suite_key,
                                            run_id=result.meta["run_id"], batch_identifier=result.batch_id)
    context.validation_results_store.store_validation_results(
        suite_validation_result=result, suite_validation_result_identifier=result_key,
        expectation_suite_identifier=suite_key)
    urls = context.build_data_docs(site_names=[SITE], resource_identifiers=[suite_key, result_key])
    if SITE not in urls:
        raise ValueError(f"the GX project in {directory} has no Data Docs site named {SITE!r}")
    index = _local_path(urls[SITE])
    for key in (suite_key, result_key):  # the pages this call built; earlier ones were fixed when built
        [page] = context.get_docs_sites_urls(resource_identifier=key, site_name=SITE)
        _serve_logo_locally(_local_path(page["site_url"]), index.parent)
    _serve_logo_locally(index, index.parent)
    return index
