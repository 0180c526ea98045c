"""tierline against what a user would pick instead, on one register (SPEC §6, issue 4 "Speed").

    python benchmarks/peers.py                      # 20M rows, 3 rounds, cached in /tmp/tierline-peers
    python benchmarks/peers.py --rows 1000000 --rounds 5 --dir /data/bench

Builds one `equipment_abc` register (`tierline.tools.demo.generate`, in a child process so that its
memory is not counted; cached under --dir), then runs in rounds, in one process, each round in a
rotated order:

    tierline       `tierline.pipeline.run.run`, the full contract with --validation fast
    polars-lean    Polars computing only score and tier, writing key, score, tier to one file
    polars-full    hand-written Polars producing the full contract of SPEC §4
    duckdb-full    DuckDB SQL producing the full contract, COPY … PARTITION_BY (tier)
    pyarrow-copy   bare pyarrow: read the register, write the same columns (zstd), no scoring

After every run the output's rows per tier (from Parquet footers) must equal tierline's, and the
quarantined rows too for the full-contract peers (the lean job's null tiers stand for them; the
pyarrow copy must write every input row); a mismatch stops the script. Then it prints the median
wall time of each peer, its ratio to tierline, rows/s, the machine, and the peak RSS of each peer
from one extra run in a child process before the rounds (`--no-memory` skips those).

The Polars and DuckDB jobs are written by hand for this one scorecard, as a user would write
them; tests/functional/test_benchmarks_smoke.py checks on a small register with bad rows that they write the
same rows, columns and quarantine as tierline (bar run_id and row order).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
SCORECARD = ROOT / "scorecards" / "equipment_abc.yaml"
PERIOD = "bench"
DEFAULT_DIR = Path("/tmp/tierline-peers")
# The generator leaves about 2 % of rows invalid; the demo allows 10 %, and so do we.
MAX_INVALID_FRACTION = 0.10

# ------------------------------------------------------------------------------------------------
# The reference scorecard, written out by hand for the Polars and DuckDB jobs (as their users would).
# scorecards/equipment_abc.yaml is the source; the tier check after every run catches any drift.

SCORECARD_NAME = "equipment_abc"
SCORECARD_VERSION = 2
KEY = "equipment_id"
IMPACT_POINTS = {"shutdown": 25.0, "ordinary": 15.0, "auxiliary": 10.0}
# (component, its max points) in scorecard order: reasons break ties in this order
COMPONENT_MAX = (("impact", 25.0), ("value", 15.0), ("utilisation", 10.0), ("spare", 5.0), ("other_items", 45.0))
TIERS = (("A", "A类设备", 1), ("B", "B类设备", 2), ("C", "C类设备", 3))  # code, label, rank
ACTIONS = {"review_cycle": {"A": "monthly", "B": "quarterly", "C": "yearly"},
           "owner": {"A": "plant", "B": "workshop", "C": "team"}}
FINITE_MAX = sys.float_info.max  # a float input's open side: ±inf fails `between`, as in tierline's suite
# Error codes in tierline's error-table order (the kernel's codes, then the suite's), so that the
# `errors` lists match. Codes this scorecard cannot raise are left out (utilisation has `missing: 0`,
# has_backup a default and both bools mapped, the bands cover every number, score only fails with a
# component).
ERROR_CODES = (
    "production_impact:not_null", "production_impact:unmapped", "original_value_10k:not_null",
    "original_value_10k:out_of_bands", "other_items_points:not_null", "equipment_id:not_null",
    "equipment_id:unique", "production_impact:in_set", "original_value_10k:between",
    "utilisation_pct:between", "other_items_points:between",
)
# What each declared input must be in the register (the hand-written equivalent of the type checks).
INPUT_KINDS = {"equipment_id": "text", "production_impact": "text", "original_value_10k": "number",
               "utilisation_pct": "number", "has_backup": "bool", "direct_designation": "bool",
               "other_items_points": "number"}


class PeerMismatch(SystemExit):
    """A peer's output disagrees with tierline's: the comparison would be meaningless."""


# ------------------------------------------------------------------------------------------------ register

def register_files(register: Path) -> list[str]:
    return [str(p) for p in sorted(register.glob("*.parquet"))]


def build_register(rows: int, files: int, directory: Path) -> Path:
    """The cached register of `rows` rows in `files` files; generated in a child process when missing."""
    register = directory / f"register-{rows}-{files}"
    if register.is_dir() and register_files(register):
        return register
    partial = register.with_name(register.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    code = ("import sys; from pathlib import Path; from tierline.tools.demo import generate; "
            "generate('equipment_abc', int(sys.argv[1]), Path(sys.argv[2]), files=int(sys.argv[3]))")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(rows), str(partial), str(files)], check=True, cwd=ROOT)
    partial.rename(register)  # only a complete register is ever reused
    print(f"generated {rows:,} rows in {files} files in {time.perf_counter() - started:.1f} s: {register}",
          flush=True)
    return register


# ------------------------------------------------------------------------------------------------ peers

def tierline_job(files: list[str], output: Path, run_id: str) -> None:
    from tierline.pipeline.run import RunOptions, run

    run(RunOptions(scorecard=str(SCORECARD), inputs=files, output=str(output), period=PERIOD,
                   validation="fast", max_invalid_fraction=MAX_INVALID_FRACTION, progress=False, run_id=run_id))


# Polars and DuckDB are imported inside the jobs, so that a child process measuring one peer's
# memory loads only that peer's library.

def _polars_points() -> list:
    """The five components' points on the cleaned inputs (`_value`, `_utilisation`, … ), null when invalid."""
    import polars as pl

    value = pl.col("_value")
    return [
        pl.col("production_impact").replace_strict(IMPACT_POINTS, default=None, return_dtype=pl.Float64)
        .alias("points_impact"),
        # 以上 (from) includes the boundary, 不满 (to) excludes it
        pl.when(value >= 100).then(15.0).when((value >= 50) & (value < 100)).then(10.0)
        .when(value < 50).then(5.0).alias("points_value"),
        # 85%以上 10, 50%~85% 5, 50%以下 1 (the upper band takes 85 and 50); `missing: 0`
        pl.when(pl.col("_utilisation") >= 85).then(10.0).when(pl.col("_utilisation") >= 50).then(5.0)
        .when(pl.col("_utilisation") < 50).then(1.0).otherwise(0.0).alias("points_utilisation"),
        pl.when(pl.col("_has_backup")).then(0.0).otherwise(5.0).alias("points_spare"),
        pl.col("_other").alias("points_other_items"),
    ]


def _polars_sum(points: list):  # noqa: ANN201 - a polars expression
    """Σ points left to right, null if any is null (sum_horizontal adds in another order: last bits differ)."""
    total = points[0]
    for term in points[1:]:
        total = total + term
    return total


def _polars_tier(score):  # noqa: ANN001, ANN201 - polars expressions
    """The override first, then the levels (A ≥ 75, B 40-75, C < 40); null when the score is null."""
    import polars as pl

    return (pl.when(score.is_null()).then(None).when(pl.col("_direct")).then(pl.lit("A"))
            .when(score >= 75).then(pl.lit("A")).when(score >= 40).then(pl.lit("B")).otherwise(pl.lit("C")))


def _polars_cleaned(files: list[str]):  # noqa: ANN201 - a polars LazyFrame
    """The register with defaults applied and NaN made null, in `_`-prefixed copies (inputs stay raw)."""
    import polars as pl

    return pl.scan_parquet(files).with_columns(
        _value=pl.col("original_value_10k").cast(pl.Float64).fill_nan(None),
        _utilisation=pl.col("utilisation_pct").cast(pl.Float64).fill_nan(None),
        _other=pl.col("other_items_points").cast(pl.Float64).fill_nan(None),
        _has_backup=pl.col("has_backup").fill_null(True),
        _direct=pl.col("direct_designation").fill_null(False),
    )


def polars_lean_job(files: list[str], output: Path, run_id: str) -> None:
    """Only score and tier (no validation, reasons, actions or partitions): the floor the issue compares to."""
    import polars as pl

    score = _polars_sum(_polars_points())
    output.mkdir(parents=True)
    (_polars_cleaned(files)
     .with_columns(score=score)
     .select(KEY, "score", tier=_polars_tier(pl.col("score")))
     .sink_parquet(output / "scores.parquet", compression="zstd"))


def _check_polars_schema(schema) -> None:  # noqa: ANN001 - a polars Schema
    """Declared inputs present and of a readable type (exit 3 in tierline), before any row is read."""
    import polars as pl

    for name, kind in INPUT_KINDS.items():
        if name not in schema:
            raise ValueError(f"column {name!r} is missing")
        dtype = schema[name]
        ok = {"text": dtype in (pl.String, pl.Categorical), "number": dtype.is_numeric(),
              "bool": dtype == pl.Boolean}[kind]
        if not ok:
            raise ValueError(f"column {name!r} is {dtype}, not {kind}")


def polars_full_job(files: list[str], output: Path, run_id: str) -> None:
    """The full output contract of SPEC §4 in Polars: validation, points, reasons, actions, quarantine."""
    import polars as pl

    cleaned = _polars_cleaned(files)
    passthrough = [name for name in cleaned.collect_schema().names() if not name.startswith("_")]
    _check_polars_schema(cleaned.collect_schema())
    impact, key = pl.col("production_impact"), pl.col(KEY)
    value, utilisation, other = pl.col("_value"), pl.col("_utilisation"), pl.col("_other")
    error_when = {
        "production_impact:not_null": impact.is_null(),
        "production_impact:unmapped": impact.is_not_null() & pl.col("points_impact").is_null(),
        "original_value_10k:not_null": value.is_null(),
        "original_value_10k:out_of_bands": value.is_not_null() & pl.col("points_value").is_null(),
        "other_items_points:not_null": other.is_null(),
        "equipment_id:not_null": key.is_null(),
        "equipment_id:unique": pl.col("_duplicated"),
        "production_impact:in_set": impact.is_not_null() & ~impact.is_in(list(IMPACT_POINTS)),
        "original_value_10k:between": (value < 0) | (value > FINITE_MAX),
        "utilisation_pct:between": (utilisation < 0) | (utilisation > 100),
        "other_items_points:between": (other < 0) | (other > 45),
    }
    # The error lists are built for the quarantined rows only (a few percent); the rest need a flag.
    invalid = pl.any_horizontal([condition.fill_null(False) for condition in error_when.values()])
    errors = pl.concat_list([pl.when(error_when[code]).then(pl.lit(code)) for code in ERROR_CODES]).list.drop_nulls()

    # reasons: a component's rank among the shortfalls, larger first, ties in component order; the
    # k-th reason is the component of rank k with a positive shortfall. Joined with commas (no
    # component name has one) and split again: concat_list + drop_nulls over every row is 3× slower.
    shortfall = {name: top - pl.col(f"points_{name}") for name, top in COMPONENT_MAX}
    names = [name for name, _ in COMPONENT_MAX]
    rank = {name: pl.sum_horizontal([
        (shortfall[other_name] > shortfall[name]) | ((shortfall[other_name] == shortfall[name]) & (j < i))
        for j, other_name in enumerate(names) if other_name != name]) for i, name in enumerate(names)}
    kth_reason = [pl.coalesce([pl.when((rank[name] == k) & (shortfall[name] > 0)).then(pl.lit(name)) for name in names])
                  for k in range(3)]
    no_reasons = pl.lit([], dtype=pl.List(pl.String))
    reasons = (pl.when(pl.col("override").is_not_null() | kth_reason[0].is_null()).then(no_reasons)
               .otherwise(pl.concat_str(kth_reason, separator=",", ignore_nulls=True).str.split(",")))
    labels = {code: label for code, label, _ in TIERS}
    ranks = {code: rank_ for code, _, rank_ in TIERS}

    scored = (cleaned
              .with_columns(*_polars_points(), _duplicated=key.is_not_null() & key.is_duplicated())  # whole register
              .with_columns(score=_polars_sum([pl.col(f"points_{n}") for n in names]), _invalid=invalid)
              .with_columns(tier=_polars_tier(pl.col("score")),
                            override=pl.when(pl.col("_direct")).then(pl.lit("direct_designation"))))
    valid = (scored.filter(~pl.col("_invalid"))
             .select(*passthrough, "score", *[f"points_{n}" for n in names],
                     tier_rank=pl.col("tier").replace_strict(ranks, return_dtype=pl.Int16),
                     tier_label=pl.col("tier").replace_strict(labels, return_dtype=pl.String),
                     override=pl.col("override"),
                     reasons=reasons,
                     **{action: pl.col("tier").replace_strict(by_tier, return_dtype=pl.String)
                        for action, by_tier in ACTIONS.items()},
                     scorecard=pl.lit(SCORECARD_NAME), scorecard_version=pl.lit(SCORECARD_VERSION, dtype=pl.Int32),
                     run_id=pl.lit(run_id), tier=pl.col("tier")))
    quarantine = scored.filter(pl.col("_invalid")).select(*passthrough, errors=errors)
    quarantine_dir = output / "_quarantine" / f"period={PERIOD}"
    quarantine_dir.mkdir(parents=True)
    pl.collect_all([  # one plan for both outputs, so the shared part is computed once
        valid.sink_parquet(pl.PartitionBy(output / f"period={PERIOD}", key="tier", include_key=False),
                           compression="zstd", mkdir=True, lazy=True),
        quarantine.sink_parquet(quarantine_dir / "part-0.parquet", compression="zstd", lazy=True),
    ])


def _duckdb_sql(files: list[str], columns: list[str], run_id: str) -> str:
    """The scored relation (every input column raw, plus the contract's columns, `tier` and `errors`)."""
    def quoted(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def case(column: str, mapping: dict, cast: str) -> str:
        arms = " ".join(f"WHEN {quoted(k)} THEN {quoted(v) if isinstance(v, str) else v}" for k, v in mapping.items())
        return f"CAST(CASE {column} {arms} END AS {cast})"

    error_when = {
        "production_impact:not_null": "production_impact IS NULL",
        "production_impact:unmapped": "production_impact IS NOT NULL AND points_impact IS NULL",
        "original_value_10k:not_null": "_value IS NULL",
        "original_value_10k:out_of_bands": "_value IS NOT NULL AND points_value IS NULL",
        "other_items_points:not_null": "_other IS NULL",
        "equipment_id:not_null": "equipment_id IS NULL",
        "equipment_id:unique": "_duplicated",
        "production_impact:in_set": f"production_impact NOT IN ({', '.join(map(quoted, IMPACT_POINTS))})",
        "original_value_10k:between": f"_value < 0 OR _value > {FINITE_MAX!r}",
        "utilisation_pct:between": "_utilisation < 0 OR _utilisation > 100",
        "other_items_points:between": "_other < 0 OR _other > 45",
    }
    errors = ", ".join(f"CASE WHEN {error_when[code]} THEN {quoted(code)} END" for code in ERROR_CODES)
    reason_items = ", ".join(
        f"{{'short': -({top} - points_{name}), 'position': {i}, 'name': {quoted(name)}}}"
        for i, (name, top) in enumerate(COMPONENT_MAX))
    labels = {code: label for code, label, _ in TIERS}
    ranks = {code: rank for code, _, rank in TIERS}
    raw = ", ".join(f'"{c}"' for c in columns)
    file_list = "[" + ", ".join(map(quoted, files)) + "]"
    return f"""
    WITH register AS (SELECT * FROM read_parquet({file_list})),
    duplicated AS (SELECT equipment_id FROM register WHERE equipment_id IS NOT NULL
                   GROUP BY equipment_id HAVING count(*) > 1),
    cleaned AS (
        SELECT register.*,
               CASE WHEN isnan(original_value_10k) THEN NULL ELSE original_value_10k::DOUBLE END AS _value,
               CASE WHEN isnan(utilisation_pct) THEN NULL ELSE utilisation_pct::DOUBLE END AS _utilisation,
               CASE WHEN isnan(other_items_points) THEN NULL ELSE other_items_points::DOUBLE END AS _other,
               coalesce(has_backup, true) AS _has_backup,
               coalesce(direct_designation, false) AS _direct,
               duplicated.equipment_id IS NOT NULL AS _duplicated
        FROM register LEFT JOIN duplicated USING (equipment_id)),
    pointed AS (
        SELECT *,
               {case("production_impact", IMPACT_POINTS, "DOUBLE")} AS points_impact,
               CAST(CASE WHEN _value >= 100 THEN 15 WHEN _value >= 50 AND _value < 100 THEN 10
                         WHEN _value < 50 THEN 5 END AS DOUBLE) AS points_value,
               CASE WHEN _utilisation IS NULL THEN 0.0::DOUBLE WHEN _utilisation >= 85 THEN 10.0::DOUBLE
                    WHEN _utilisation >= 50 THEN 5.0::DOUBLE ELSE 1.0::DOUBLE END AS points_utilisation,
               CASE WHEN _has_backup THEN 0.0::DOUBLE ELSE 5.0::DOUBLE END AS points_spare,
               _other AS points_other_items
        FROM cleaned),
    scored AS (
        SELECT *,
               points_impact + points_value + points_utilisation + points_spare + points_other_items AS score,
               list_filter([{errors}], lambda code: code IS NOT NULL) AS errors,
               CASE WHEN _direct THEN 'direct_designation' END AS override
        FROM pointed),
    tiered AS (
        SELECT *,
               CASE WHEN score IS NULL THEN NULL WHEN _direct THEN 'A' WHEN score >= 75 THEN 'A'
                    WHEN score >= 40 THEN 'B' ELSE 'C' END AS tier
        FROM scored)
    SELECT {raw}, score, points_impact, points_value, points_utilisation, points_spare, points_other_items,
           {case("tier", ranks, "SMALLINT")} AS tier_rank,
           {case("tier", labels, "VARCHAR")} AS tier_label,
           override,
           CASE WHEN override IS NULL
                THEN list_transform(list_sort(list_filter([{reason_items}], lambda r: r.short < 0)),
                                    lambda r: r.name)[1:3]
                ELSE []::VARCHAR[] END AS reasons,
           {", ".join(f"{case('tier', by_tier, 'VARCHAR')} AS {action}" for action, by_tier in ACTIONS.items())},
           {quoted(SCORECARD_NAME)} AS scorecard, CAST({SCORECARD_VERSION} AS INTEGER) AS scorecard_version,
           {quoted(run_id)} AS run_id, tier, errors
    FROM tiered"""


def duckdb_full_job(files: list[str], output: Path, run_id: str) -> None:
    """The full output contract in DuckDB SQL: scored once into a temporary table, then two COPYs."""
    import duckdb

    with duckdb.connect() as con:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({files!r})").fetchall()
        columns = [row[0] for row in described]
        types = {row[0]: row[1] for row in described}
        for name, kind in INPUT_KINDS.items():  # declared inputs present and readable as declared
            want = {"text": ("VARCHAR",), "bool": ("BOOLEAN",),
                    "number": ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT")}[kind]
            if types.get(name) not in want:
                raise ValueError(f"column {name!r} is {types.get(name, 'missing')}, not {kind}")
        con.execute(f"CREATE TEMP TABLE scored AS {_duckdb_sql(files, columns, run_id)}")
        scored_columns = ", ".join(f'"{row[0]}"' for row in con.execute("DESCRIBE scored").fetchall()
                                   if row[0] != "errors")
        raw = ", ".join(f'"{c}"' for c in columns)
        output.mkdir(parents=True)
        con.execute(f"COPY (SELECT {scored_columns} FROM scored WHERE len(errors) = 0) "
                    f"TO '{output / f'period={PERIOD}'}' (FORMAT parquet, PARTITION_BY (tier), COMPRESSION zstd)")
        quarantine_dir = output / "_quarantine" / f"period={PERIOD}"
        quarantine_dir.mkdir(parents=True)
        con.execute(f"COPY (SELECT {raw}, errors FROM scored WHERE len(errors) > 0) "
                    f"TO '{quarantine_dir / 'part-0.parquet'}' (FORMAT parquet, COMPRESSION zstd)")


def pyarrow_copy_job(files: list[str], output: Path, run_id: str) -> None:
    """The I/O floor: read every input column and write it back as zstd Parquet, nothing computed."""
    import pyarrow.dataset as ds

    parquet = ds.ParquetFileFormat()
    ds.write_dataset(ds.dataset(files, format=parquet), output, format=parquet,
                     file_options=parquet.make_write_options(compression="zstd"))


# ------------------------------------------------------------------------------------------------ checks

@dataclass(frozen=True)
class Counts:
    tiers: dict[str, int]  # rows per tier
    quarantined: int | None  # None: this peer has no quarantine to compare
    rows: int  # every row written

    def describe(self) -> str:
        if self.quarantined is None:
            return f"rows={self.rows:,}"
        tiers = " ".join(f"{t}={n:,}" for t, n in sorted(self.tiers.items()))
        return f"{tiers} quarantined={self.quarantined:,}"


def _parquet_rows(paths: list[Path]) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in paths)


def contract_counts(output: Path) -> Counts:
    """Rows per `tier=` directory and in the quarantine, from the Parquet footers."""
    tiers = {d.name.split("=", 1)[1]: _parquet_rows(sorted(d.glob("*.parquet")))
             for d in sorted((output / f"period={PERIOD}").glob("tier=*"))}
    quarantined = _parquet_rows(sorted((output / "_quarantine" / f"period={PERIOD}").glob("*.parquet")))
    return Counts(tiers, quarantined, sum(tiers.values()) + quarantined)


def lean_counts(output: Path) -> Counts:
    import polars as pl

    by_tier = pl.scan_parquet(output / "scores.parquet").group_by("tier").len().collect()
    counts = dict(zip(by_tier["tier"].to_list(), by_tier["len"].to_list()))
    unscored = counts.pop(None, 0)  # the lean job's null tiers are the rows tierline quarantines
    return Counts(counts, unscored, sum(counts.values()) + unscored)


def copy_counts(output: Path) -> Counts:
    return Counts({}, None, _parquet_rows(sorted(output.rglob("*.parquet"))))


def check_counts(peer: str, got: Counts, expected: Counts) -> None:
    """Fail loudly unless `got` has tierline's tiers (and quarantine, and total rows)."""
    if peer == "pyarrow-copy":
        same = got.rows == expected.rows
    else:
        same = got.tiers == expected.tiers and got.quarantined == expected.quarantined
    if not same:
        raise PeerMismatch(f"{peer} does not match tierline on the same register:\n"
                           f"  {peer}: {got.describe()} rows={got.rows:,}\n"
                           f"  tierline: {expected.describe()} rows={expected.rows:,}")


# ------------------------------------------------------------------------------------------------ running

@dataclass(frozen=True)
class Peer:
    name: str
    what: str
    job: Callable[[list[str], Path, str], None]
    counts: Callable[[Path], Counts]


PEERS = (
    Peer("tierline", "tierline run, full contract, --validation fast", tierline_job, contract_counts),
    Peer("polars-lean", "Polars: score and tier only, one file", polars_lean_job, lean_counts),
    Peer("polars-full", "Polars: full contract, hand-written", polars_full_job, contract_counts),
    Peer("duckdb-full", "DuckDB SQL: full contract, COPY PARTITION_BY", duckdb_full_job, contract_counts),
    Peer("pyarrow-copy", "pyarrow: read + write the input columns", pyarrow_copy_job, copy_counts),
)
BY_NAME = {peer.name: peer for peer in PEERS}


def run_id_for(peer: str, round_: int) -> str:
    return f"peers-{peer}-{round_}"


def timed_run(peer: Peer, files: list[str], output: Path, run_id: str) -> tuple[float, Counts]:
    shutil.rmtree(output, ignore_errors=True)
    gc.collect()
    started = time.perf_counter()
    peer.job(files, output, run_id)
    elapsed = time.perf_counter() - started
    return elapsed, peer.counts(output)


def peak_rss(peer: Peer, files: list[str], output: Path) -> int:
    """Peak RSS in bytes of one run of `peer` in a child process (imports included)."""
    shutil.rmtree(output, ignore_errors=True)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", peer.name, "--output", str(output), *files]
    process = subprocess.Popen(command, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{peer.name} failed in its child process (exit {os.waitstatus_to_exitcode(status)})")
    return usage.ru_maxrss * 1024  # Linux reports KiB


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    memory = "?"
    try:
        total_kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                             if line.startswith("MemTotal:")))
        memory = f"{total_kib / 2**20:.0f} GiB"
    except (OSError, StopIteration):
        pass

    def version_of(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "-"

    libraries = ", ".join(f"{n} {version_of(n)}" for n in ("tierline", "numba", "numpy", "pyarrow", "polars",
                                                         "duckdb", "dask"))
    return [f"machine: {cpu}, {os.cpu_count()} cores, {memory} RAM, {platform.system()} {platform.release()}",
            f"python {platform.python_version()}; {libraries}"]


def table(rows: int, times: dict[str, list[float]], rss: dict[str, int]) -> list[str]:
    reference = statistics.median(times["tierline"])
    lines = [f"| peer | median wall | × tierline | rows/s | runs (s) | peak RSS |",
             "|---|---:|---:|---:|---|---:|"]
    for name, seconds in times.items():
        median = statistics.median(seconds)
        memory = f"{rss[name] / 2**20:,.0f} MiB" if name in rss else "-"
        lines.append(f"| {name} | {median:.2f} s | {median / reference:.2f} | {rows / median / 1e6:.2f} M | "
                     f"{', '.join(f'{s:.1f}' for s in seconds)} | {memory} |")
    return lines


def targets(times: dict[str, list[float]], rss: dict[str, int]) -> list[str]:
    tierline = statistics.median(times["tierline"])
    lines = []
    if "polars-lean" in times:
        ratio = tierline / statistics.median(times["polars-lean"])
        lines.append(f"tierline / polars-lean = {ratio:.2f} (target ≤ 1.5; aim 1.0): {'met' if ratio <= 1.5 else 'NOT met'}")
    if "polars-full" in times:
        ratio = statistics.median(times["polars-full"]) / tierline
        lines.append(f"polars-full / tierline = {ratio:.2f} (target ≥ 3): {'met' if ratio >= 3 else 'NOT met'}")
    if "tierline" in rss:
        mib = rss["tierline"] / 2**20
        lines.append(f"tierline peak RSS = {mib:,.0f} MiB (target < 1024 MiB): {'met' if mib < 1024 else 'NOT met'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000_000, help="register rows (default 20M)")
    parser.add_argument("--files", type=int, default=2, help="register files (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of every peer (default 3)")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"register cache and outputs ({DEFAULT_DIR})")
    parser.add_argument("--peers", nargs="+", choices=[p.name for p in PEERS], default=[p.name for p in PEERS],
                        help="run only these (tierline always runs: it is the reference)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-RSS runs in child processes")
    parser.add_argument("--child", choices=[p.name for p in PEERS], help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("child_files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:  # one run for peak_rss(): nothing else is imported
        BY_NAME[args.child].job(args.child_files, args.output, run_id_for(args.child, 0))
        return 0
    if args.rows < 1 or args.rounds < 1 or args.files < 1:
        parser.error("--rows, --files and --rounds must be at least 1")

    args.dir.mkdir(parents=True, exist_ok=True)
    register = build_register(args.rows, args.files, args.dir)
    files = register_files(register)
    peers = [BY_NAME["tierline"]] + [BY_NAME[n] for n in args.peers if n != "tierline"]
    load_before = os.getloadavg()
    print(f"register: {args.rows:,} rows, {len(files)} files, {sum(Path(f).stat().st_size for f in files) / 2**20:,.0f} MiB "
          f"({register}); scorecard {SCORECARD.relative_to(ROOT)}; {args.rounds} rounds", flush=True)

    # Peak RSS first, while this process is small: Linux carries the parent's high-water mark into a
    # (v)forked child across exec, so a child started later would report at least our own peak.
    rss: dict[str, int] = {}
    if not args.no_memory:
        for peer in peers:
            rss[peer.name] = peak_rss(peer, files, args.dir / f"out-{peer.name}")
            print(f"peak RSS: {peer.name:<13} {rss[peer.name] / 2**20:,.0f} MiB", flush=True)

    times: dict[str, list[float]] = {peer.name: [] for peer in peers}
    reference: Counts | None = None
    for round_ in range(args.rounds):
        order = peers[round_ % len(peers):] + peers[:round_ % len(peers)]  # rotated, so no peer always goes first
        for peer in order:
            output = args.dir / f"out-{peer.name}"
            seconds, counts = timed_run(peer, files, output, run_id_for(peer.name, round_))
            if reference is None:  # round 1 starts with tierline: its counts are the reference
                reference = counts
                if counts.rows != args.rows:
                    raise PeerMismatch(f"tierline wrote {counts.rows:,} rows of {args.rows:,}")
            check_counts(peer.name, counts, reference)
            times[peer.name].append(seconds)
            print(f"round {round_ + 1}: {peer.name:<13} {seconds:7.2f} s  {counts.describe()}", flush=True)

    load_after = os.getloadavg()

    print()
    print(f"{time.strftime('%Y-%m-%d %H:%M %Z')}; {args.rows:,} rows of {SCORECARD_NAME} "
          f"({len(files)} files), {args.rounds} rounds; load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after")
    for line in machine():
        print(line)
    print()
    for line in table(args.rows, times, rss):
        print(line)
    print()
    for line in targets(times, rss):
        print(line)
    print(f"tiers (every peer): {reference.describe() if reference else '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
