"""Peak memory of `tierline run` against register size and file count (issue: flat in files).

    python benchmarks/memory.py --rows 10000000 --files 1 20

Generates the equipment_abc demo register once per file count (in a child process, so the
generator's memory is not counted), runs `tierline run` in a child process and reads its peak
RSS from the kernel (ru_maxrss of the waited child). Prints one line per run.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCORECARD = ROOT / "scorecards" / "equipment_abc.yaml"


def generate(rows: int, files: int, directory: Path) -> None:
    code = ("import sys; from pathlib import Path; from tierline.tools.demo import generate; "
            f"generate('equipment_abc', {rows}, Path(sys.argv[1]), files={files})")
    subprocess.run([sys.executable, "-c", code, str(directory)], check=True)


def peak_rss_of_run(register: Path, output: Path, extra: list[str]) -> tuple[int, float]:
    """(peak RSS in bytes, wall seconds) of one `tierline run` child process."""
    command = [sys.executable, "-m", "tierline", "run", str(SCORECARD), "--input", str(register),
               "--output", str(output), "--period", "mem", "--quiet", "--max-invalid-fraction", "0.2", *extra]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"tierline run failed with exit code {os.waitstatus_to_exitcode(status)}")
    return usage.ru_maxrss * 1024, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--files", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--dir", default=None)
    args, extra = parser.parse_known_args()
    base = Path(args.dir or tempfile.mkdtemp(prefix="tierline-mem-"))
    for files in args.files:
        register = base / f"register-{files}"
        if not register.exists():
            generate(args.rows, files, register)
        peak, seconds = peak_rss_of_run(register, base / f"out-{files}", extra)
        print(f"rows={args.rows:,} files={files} peak_rss={peak / 2**20:,.0f} MiB wall={seconds:.1f} s "
              f"({args.rows / seconds / 1e6:.2f} M rows/s)", flush=True)


if __name__ == "__main__":
    main()
