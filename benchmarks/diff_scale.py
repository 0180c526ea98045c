"""Throughput and peak memory of `tierline diff` at register size (requirement: peak RSS < 2 GiB at 100M).

    python benchmarks/diff_scale.py --rows 10000000 100000000 [--dir DIR] [--keep] [--repeat N]

For each size, builds two real published periods of `scorecards/equipment_abc.yaml` in one output
directory with `tierline run` (2026-10, then 2026-11), then times `tierline diff` in child
processes: the matrix only (`--format json`, to a file) and with `-o entities.parquet`. Peak RSS
comes from the kernel (ru_maxrss of the waited child, as in `memory.py`); DuckDB's spill is the
largest allocated size of the child's temp directory (TMPDIR, which DuckDB's `temp_directory`
follows), sampled every 0.2 s. Prints one line per run (a diff that fails is reported with its
error, not a stop), then a Markdown table of them; rows/s counts both periods' input rows.

The registers are the equipment_abc demo generator (`tierline.tools.generators`) run in chunks of
`--chunk` rows, one file per chunk, in a child process (so its memory is not counted), with keys
`EQ` + 9 digits numbered across chunks. The later period has another seed (tiers move), keys
1..rows·(1 + `--new`) (new entities) less every `--gone`-th key (gone entities). Each register is
deleted once its period is published; everything is deleted at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCORECARD = ROOT / "scorecards" / "equipment_abc.yaml"
FROM, TO = "2026-10", "2026-11"
SEEDS = {FROM: 20261001, TO: 20261101}


def write_register(directory: Path, first: int, last: int, seed: int, chunk: int, gone_every: int) -> None:
    """Keys first..last (inclusive, less every `gone_every`-th when > 0) of equipment_abc, one file per chunk.

    Runs in the generator child (see `generate`)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from tierline.tools import generators

    make = generators.generator("equipment_abc")
    directory.mkdir(parents=True, exist_ok=True)
    for index, start in enumerate(range(first, last + 1, chunk)):
        numbers = np.arange(start, min(start + chunk, last + 1))
        if gone_every:
            numbers = numbers[numbers % gone_every != 0]
        table = make(len(numbers), np.random.default_rng([seed, index]))
        keys = pc.binary_join_element_wise(
            "EQ", pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width=9, padding="0"), "")
        table = table.set_column(table.schema.get_field_index("equipment_id"), "equipment_id", keys)
        pq.write_table(table, directory / f"part-{index:03d}.parquet", row_group_size=250_000, compression="zstd")


def generate(directory: Path, first: int, last: int, seed: int, chunk: int, gone_every: int) -> None:
    subprocess.run([sys.executable, __file__, "--generate", str(directory), str(first), str(last), str(seed),
                    str(chunk), str(gone_every)], check=True, env=child_env())


def child_env(tmpdir: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(ROOT / ".numba_cache"))
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    return env


def allocated(directory: Path) -> int:
    """Bytes allocated on disk under `directory` (st_blocks, so sparse spill files count what they hold)."""
    total = 0
    for folder, _, names in os.walk(directory):
        for name in names:
            try:
                total += os.lstat(os.path.join(folder, name)).st_blocks * 512
            except OSError:
                pass  # removed while we looked
    return total


def measure(command: list[str], stdout: Path, tmpdir: Path) -> tuple[float, int, int, str | None]:
    """(wall seconds, peak RSS bytes, largest temp-dir size bytes, None or the error) of one child process."""
    tmpdir.mkdir(parents=True, exist_ok=True)
    spill = 0
    stderr = stdout.with_suffix(".err")
    with open(stdout, "w") as out, open(stderr, "w") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=child_env(tmpdir))
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            spill = max(spill, allocated(tmpdir))
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    lines = stderr.read_text(errors="replace").strip().splitlines()
    error = None if code == 0 else f"exit code {code}: {lines[-1] if lines else '(no message)'}"
    return elapsed, usage.ru_maxrss * 1024, spill, error


def publish(base: Path, output: Path, period: str, first: int, last: int, chunk: int, gone_every: int) -> int:
    """Generates the period's register, runs `tierline run` on it, deletes it; returns the input rows."""
    register = base / f"register-{period}"
    started = time.perf_counter()
    generate(register, first, last, SEEDS[period], chunk, gone_every)
    generated = time.perf_counter() - started
    command = [sys.executable, "-m", "tierline", "run", str(SCORECARD), "--input", str(register), "--output",
               str(output), "--period", period, "--max-invalid-fraction", "0.2", "--quiet"]
    seconds, peak, _, error = measure(command, base / f"run-{period}.out", base / "tmp")
    if error:
        raise SystemExit(f"tierline run of {period} failed, {error}")
    shutil.rmtree(register)
    manifest = json.loads((output / "_manifests" / f"period={period}.json").read_text())
    counts = manifest["counts"]
    print(f"  built {period}: {counts['input']:,} rows ({counts['scored']:,} scored, {counts['quarantined']:,} "
          f"quarantined); generated in {generated:.0f} s, `tierline run` {seconds:.0f} s, "
          f"peak RSS {peak / 2**20:,.0f} MiB", flush=True)
    return int(counts["input"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000_000, 100_000_000],
                        help="rows of the earlier period (the later one has about 1 %% more)")
    parser.add_argument("--dir", default=None, help="working directory (default: a new one in the temp dir); "
                                                     "periods already published there are reused")
    parser.add_argument("--keep", action="store_true", help="keep the published periods and entity files")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each diff command")
    parser.add_argument("--chunk", type=int, default=5_000_000, help="rows per generated file")
    parser.add_argument("--new", type=float, default=0.02, help="share of new keys in the later period")
    parser.add_argument("--gone", type=int, default=100, help="drop every N-th key from the later period (0: none)")
    parser.add_argument("--tierline", default=f"{sys.executable} -m tierline",
                        help="the command that runs `diff` (to measure another build or a patched engine)")
    args, extra = parser.parse_known_args()  # extra arguments go to `tierline diff`
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="tierline-diff-"))
    base.mkdir(parents=True, exist_ok=True)
    import duckdb
    import pyarrow

    print(f"{time.strftime('%Y-%m-%d %H:%M %Z')}; {os.cpu_count()} cores; duckdb {duckdb.__version__}, pyarrow "
          f"{pyarrow.__version__}; load average {os.getloadavg()[0]:.1f}; working in {base}", flush=True)
    results: list[str] = []
    try:
        for rows in args.rows:
            results += run_size(base / f"rows-{rows}", rows, args, extra)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.1f}\n", flush=True)
    print("| rows per period (from + to) | diff | wall | rows/s | peak RSS | spill | result |")
    print("|---|---|---:|---:|---:|---:|---|")
    print("\n".join(results))


def run_size(base: Path, rows: int, args: argparse.Namespace, extra: list[str]) -> list[str]:
    """Publishes the two periods (unless `base` has them) and runs the diffs; returns table rows."""
    output = base / "out"
    base.mkdir(parents=True, exist_ok=True)
    last = rows + int(rows * args.new)  # keys 1..rows before; 1..last after, less every `gone`-th
    counts = {}
    for period, keys, gone in ((FROM, rows, 0), (TO, last, args.gone)):
        manifest = output / "_manifests" / f"period={period}.json"
        counts[period] = (json.loads(manifest.read_text())["counts"]["input"] if manifest.exists()
                          else publish(base, output, period, 1, keys, args.chunk, gone))
    before, after = counts[FROM], counts[TO]
    expected = rows + sum(1 for k in range(rows + 1, last + 1) if not args.gone or k % args.gone)
    diff = [*args.tierline.split(), "diff", str(output), "--from", FROM, "--to", TO, "--format", "json"]
    runs = {"matrix": diff + extra, "entities": diff + ["-o", str(base / "entities.parquet")] + extra}
    table = []
    for name, command in runs.items():
        for _ in range(args.repeat):
            stdout = base / f"diff-{name}.json"
            seconds, peak, spill, error = measure(command, stdout, base / "tmp")
            if error is None:
                entities = json.loads(stdout.read_text())["entities"]
                if entities != expected:
                    raise SystemExit(f"{name}: the matrix has {entities:,} entities, expected {expected:,}")
            result = f"FAILED {error}" if error else f"entities={entities:,}"
            rate = (before + after) / seconds / 1e6
            print(f"rows={before:,}+{after:,} diff={name:<8} wall={seconds:6.1f} s rows/s={rate:5.2f} M "
                  f"peak_rss={peak / 2**20:,.0f} MiB spill={spill / 2**20:,.0f} MiB {result}", flush=True)
            if error is None:
                wall, speed, short = f"{seconds:.1f} s", f"{rate:.2f} M", "ok"
            else:
                wall, speed = f"({seconds:.1f} s)", "–"
                short = "**failed**: " + error.split(": ", 1)[-1].split(" Possible solutions")[0]
            table.append(f"| {before:,} + {after:,} | {name} | {wall} | {speed} | {peak / 2**20:,.0f} MiB | "
                         f"{spill / 2**20:,.0f} MiB | {short} |")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return table


if __name__ == "__main__":
    if sys.argv[1:2] == ["--generate"]:
        folder, *numbers = sys.argv[2:]
        write_register(Path(folder), *map(int, numbers))
    else:
        main()
