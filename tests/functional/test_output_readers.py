"""The published output reads as a Hive-partitioned dataset in DuckDB, Polars, pyarrow, pandas and Spark (SPEC §4).

All three read the one session output of `registers.published` (two periods), and their counts
must be the manifests' counts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from registers import EQUIPMENT_ABC, OTHER_PERIOD, PERIOD, Published, manifest, published  # noqa: F401 - fixture


def manifest_counts(output: Path) -> dict[tuple[str, str], int]:
    """(period, tier) → rows, for every tier with rows, from both periods' manifests."""
    return {(period, tier): n for period in (PERIOD, OTHER_PERIOD)
            for tier, n in manifest(output, period)["counts"]["tiers"].items() if n}


def data_glob(output: Path) -> str:
    return str(output / "period=*" / "tier=*" / "*.parquet")


def test_duckdb_group_by_tier_gives_the_manifest_counts(published: Published) -> None:
    output = published.output
    source = f"read_parquet('{data_glob(output)}', hive_partitioning = true)"

    by_tier = duckdb.sql(f"SELECT tier, count(*) FROM {source} WHERE period = '{PERIOD}' GROUP BY tier").fetchall()
    assert dict(by_tier) == {t: n for (p, t), n in manifest_counts(output).items() if p == PERIOD}
    by_period = duckdb.sql(f"SELECT period, tier, count(*) FROM {source} GROUP BY ALL").fetchall()
    assert {(p, t): n for p, t, n in by_period} == manifest_counts(output)

    types = dict(duckdb.sql(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {source})").fetchall())
    assert types["score"] == "DOUBLE" and types["points_impact"] == "DOUBLE"
    assert types["tier_rank"] == "SMALLINT"
    assert types["reasons"] == "VARCHAR[]"
    assert types["tier"] == "VARCHAR" and types["period"] == "VARCHAR"
    # A query a warehouse user would write: rank order and labels agree with the tier directories.
    ranks = duckdb.sql(f"SELECT tier, min(tier_rank), max(tier_rank), any_value(tier_label) FROM {source} "
                       "GROUP BY tier ORDER BY 2").fetchall()
    assert [(t, lo, hi) for t, lo, hi, _ in ranks] == [("A", 1, 1), ("B", 2, 2), ("C", 3, 3)]

    quarantined = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{output}/_quarantine/period={PERIOD}/*.parquet')").fetchall()[0][0]
    assert quarantined == manifest(output, PERIOD)["counts"]["quarantined"]


def test_polars_scans_the_output_with_hive_partitioning(published: Published) -> None:
    output = published.output
    frame = pl.scan_parquet(data_glob(output), hive_partitioning=True)

    schema = frame.collect_schema()
    assert schema["score"] == pl.Float64 and schema["points_other_items"] == pl.Float64
    assert schema["tier_rank"] == pl.Int16
    assert schema["reasons"] == pl.List(pl.String)
    assert schema["tier"] == pl.String and schema["period"] == pl.String
    counts = frame.group_by("period", "tier").len().collect()
    assert {(p, t): n for p, t, n in counts.iter_rows()} == manifest_counts(output)

    # One period's directory on its own also reads, with `tier` from the path.
    one_period = pl.scan_parquet(output / f"period={PERIOD}", hive_partitioning=True)
    counts = one_period.group_by("tier").len().collect()
    assert {t: n for t, n in counts.iter_rows()} == {
        t: n for (p, t), n in manifest_counts(output).items() if p == PERIOD}


def test_pyarrow_dataset_reads_the_output_directory(published: Published) -> None:
    output = published.output
    # The whole DIR: `_quarantine`, `_manifests` (and any `_staging`) are skipped by their `_` prefix.
    dataset = ds.dataset(output, format="parquet", partitioning="hive")

    assert all("/_" not in Path(f).as_posix() for f in dataset.files)
    assert pa.types.is_string(dataset.schema.field("tier").type)
    assert pa.types.is_string(dataset.schema.field("period").type)
    assert dataset.schema.field("tier_rank").type == pa.int16()
    table = dataset.to_table(columns=["period", "tier", "score"])
    counts = table.group_by(["period", "tier"]).aggregate([([], "count_all")])
    assert {(p, t): n for p, t, n in zip(*(counts.column(c).to_pylist() for c in ("period", "tier", "count_all")))} \
        == manifest_counts(output)

    only_a = dataset.to_table(filter=(pc.field("tier") == "A") & (pc.field("period") == PERIOD))
    assert only_a.num_rows == manifest(output, PERIOD)["counts"]["tiers"]["A"]
    assert set(only_a.column("tier_rank").to_pylist()) == {1}


def test_pandas_reads_a_period_directory(published: Published) -> None:
    import pandas as pd

    frame = pd.read_parquet(published.output / f"period={PERIOD}")
    counts = frame.groupby("tier", observed=True).size().to_dict()
    assert counts == {t: n for (p, t), n in manifest_counts(published.output).items() if p == PERIOD}


@pytest.mark.heavy
def test_spark_reads_the_output_directory_and_the_glob(published: Published) -> None:
    """Spark's local file system follows the published links like the other readers (`make test-heavy`
    installs pyspark; it needs a Java runtime, Debian's `default-jre-headless`)."""
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime: apt-get install default-jre-headless")
    pyspark_sql = pytest.importorskip("pyspark.sql", reason="pip install pyspark (make test-heavy does)")
    spark = (pyspark_sql.SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    try:
        output = str(published.output)
        whole = spark.read.parquet(output)
        by_glob = spark.read.option("basePath", output).parquet(data_glob(published.output))
        for frame in (whole, by_glob):
            counts = {(row["period"], row["tier"]): row["count"] for row in frame.groupBy("period", "tier").count().collect()}
            assert counts == manifest_counts(published.output)
            assert dict(frame.dtypes)["period"] == "string" and dict(frame.dtypes)["tier"] == "string"
            assert dict(frame.dtypes)["score"] == "double"
    finally:
        spark.stop()


# --- `period` (and `tier`) as text whatever the values look like (README, "Reading the Hive layout")


@pytest.fixture(scope="module", params=[("202611", "202612"), ("2026-12-01", "2026-12-02")], ids=["ints", "dates"])
def typed_periods(request: pytest.FixtureRequest, published: Published,
                  tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output whose periods all read as integers, or all as dates, to a reader left to infer."""
    from tierline import api

    output = tmp_path_factory.mktemp("typed") / "out"
    for period in request.param:
        api.run(EQUIPMENT_ABC, published.register[0], output, period=period, max_invalid_fraction=0.5)
    return output


def test_inferred_period_types_change_with_the_values_as_readme_warns(typed_periods: Path) -> None:
    glob = data_glob(typed_periods)
    inferred = duckdb.sql(f"SELECT DISTINCT typeof(period) FROM read_parquet('{glob}', hive_partitioning = true)")
    assert inferred.fetchall()[0][0] in ("BIGINT", "DATE")
    assert pl.scan_parquet(glob, hive_partitioning=True).collect_schema()["period"] in (pl.Int64, pl.Date)


def test_the_readme_options_read_period_and_tier_as_text(typed_periods: Path) -> None:
    glob = data_glob(typed_periods)
    for options in ("hive_types = {'period': VARCHAR, 'tier': VARCHAR}", "hive_types_autocast = false"):
        types = duckdb.sql(f"SELECT DISTINCT typeof(period), typeof(tier) FROM read_parquet('{glob}', "
                           f"hive_partitioning = true, {options})").fetchall()
        assert types == [("VARCHAR", "VARCHAR")], options
    schema = pl.scan_parquet(glob, hive_partitioning=True,
                             hive_schema={"period": pl.String, "tier": pl.String}).collect_schema()
    assert (schema["period"], schema["tier"]) == (pl.String, pl.String)
    partitioning = ds.partitioning(pa.schema([("period", pa.string()), ("tier", pa.string())]), flavor="hive")
    dataset = ds.dataset(typed_periods, format="parquet", partitioning=partitioning)
    assert pa.types.is_string(dataset.schema.field("period").type)
    periods = sorted(set(dataset.to_table(columns=["period"]).column(0).to_pylist()))
    assert all(isinstance(p, str) for p in periods) and len(periods) == 2
