"""What `--validation fast` costs against `--validation off` (issue: at most 15 % of the run).

    python benchmarks/validation_cost.py --rows 20000000 --rounds 3

Generates the equipment_abc demo register once (in `--dir`, reused when present), then runs
`tierline run` in child processes, alternating off / fast, and prints each run's wall time and
peak RSS, the medians, and validation's share of the fast run: (fast − off) / fast.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from memory import generate, peak_rss_of_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", default=None)
    args, extra = parser.parse_known_args()
    base = Path(args.dir or tempfile.mkdtemp(prefix="tierline-validation-"))
    register = base / f"register-{args.rows}-{args.files}"
    if not register.exists():
        generate(args.rows, args.files, register)

    walls: dict[str, list[float]] = {"off": [], "fast": []}
    for round_ in range(args.rounds):
        for mode in ("off", "fast"):
            peak, seconds = peak_rss_of_run(register, base / f"out-{mode}", ["--validation", mode, *extra])
            walls[mode].append(seconds)
            print(f"round {round_ + 1} validation={mode:4} wall={seconds:6.1f} s peak_rss={peak / 2**20:,.0f} MiB",
                  flush=True)
    off, fast = statistics.median(walls["off"]), statistics.median(walls["fast"])
    print(f"rows={args.rows:,} files={args.files}: median off {off:.1f} s, fast {fast:.1f} s; "
          f"validation is {(fast - off) / fast:.1%} of the fast run")


if __name__ == "__main__":
    main()
