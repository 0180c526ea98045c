"""Fuzzing the scorecard loader and the expression parser through `tierline check` (issue 9).

Hypothesis mutates the shipped scorecards (and the SPEC example): lines dropped, doubled, swapped
or cut; numbers replaced by 10⁴⁰⁰, 2⁶³, 1.0e+400 or 5,000 digits; values replaced by odd unicode,
flow collections, anchors and aliases; values buried in deep nesting; expressions replaced by
generated ones (random nesting, long chains, big numbers, unbalanced text). Every document goes
through `tierline.cli.main(["check", path])` in-process, the path `tierline check` takes, and may
only end in exit 0 (and then the scorecard compiles) or exit 2 with one `path[:line]: message`
line per problem: never exit 4, never an exception, never a traceback.

CI runs a bounded number of examples (derandomized, see conftest.py); a longer session is
`TIERLINE_FUZZ_EXAMPLES=20000 pytest tests/functional/test_fuzz_scorecard.py`. Shapes it finds become
regression cases in tests/functional/test_scorecard_limits.py.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierline.cli import main
from tierline.compiler import compile_scorecard
from tierline.scorecard.load import load_scorecard
from spec_example import SPEC_SCORECARD

REPO = Path(__file__).resolve().parents[2]
SEEDS = [SPEC_SCORECARD] + [path.read_text(encoding="utf-8") for path in sorted((REPO / "scorecards").glob("*.yaml"))]
EXAMPLES = int(os.environ.get("TIERLINE_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

BIG_NUMBERS = (
    "1" + "0" * 400, "9" * 400, "-" + "9" * 400, "1" + "0" * 5000, "1.0e+400", "-1.0e+400", "1e400", "1.5e-400",
    str(1 << 63), str((1 << 63) - 1), str(-(1 << 63) - 1), str(1 << 31), str((1 << 31) - 1), "0x" + "f" * 20,
    "0b" + "1" * 70, "0o777", "0777", "1:2:3", "1:" * 200 + "1", "1_000", ".inf", "-.inf", ".nan", "0", "-0", "0.0",
    "1.7976931348623157e308", "5e-324", "1e308", "-1", "3.0", "true", "null", "'12'", "'" + "9" * 400 + "'",
)
ODD_TEXT = (
    "\u2028", "\u2029", "\x85", "\ufeff", "\u200b", "\u202e", "é", "e\u0301", "𝔸", "😀", "甲类", "\t", "\x00", "\x07",
    '"\\ud800"', '"\\x00"', "'", '"', ":", ": ", "#", "&a", "*a", "*nowhere", "!", "!!python/object:os.system", "%",
    "@", "`", "|", ">", "{", "}", "[", "]", ",", "?", "- ", "\r", "\r\n", "---", "...", "<<", "~", "", " ", "{}", "[]",
    "[[[]]]", "{a: {b: {c: 1}}}", "&x [*x]", "&y {k: *y}", "x" * 3000,
    # explicit tags and timestamps, whose PyYAML constructors trust the text
    "!!int x", "!!int ''", "!!float abc", "!!bool maybe", "!!timestamp x", "!!seq {a: 1}", "!!map [1]", "!!binary x",
    "!!set [a]", "!!omap {a: 1}", "!!null x", "!!str [a]", "2024-13-45", "2001-12-14t21:59:43.10-99:00", "2024-02-30",
    "<<: *a", "{<<: 1}", "? [a]",
)
MAX_TEXT = 30_000  # three times the expression limit: longer texts only test the length check again
OPERATORS = ("+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "and", "or", "not", "in", "is", "is not",
             "not in", "(", ")", "[", "]", ",", "null", "true", "false", ".", "=", "'", '"', "f(", "$")


# ------------------------------------------------------------------ expressions


def expression_names(seed: str) -> list[str]:
    """The input names of a seed (the `inputs:` block's keys), for expressions that might type-check."""
    block = re.split(r"\n(?=\S)", seed.split("\ninputs:\n", 1)[-1], maxsplit=1)[0]
    return re.findall(r"^  ([A-Za-z_]\w*):", block, flags=re.MULTILINE) or ["x"]


@st.composite
def expressions(draw: st.DrawFn, names: list[str], depth: int = 0) -> str:
    """An expression text: mostly grammatical, with long chains, deep nesting, big numbers and junk."""
    kind = draw(st.sampled_from(["name", "number", "text", "chain", "nest", "unary", "in", "is", "junk", "binary"]
                                if depth < 3 else ["name", "number", "text"]))
    if kind == "name":
        return draw(st.sampled_from(names))
    if kind == "number":
        return draw(st.sampled_from(BIG_NUMBERS[:20] + ("0", "1", "2.5", "100", "1e3", ".5")))
    if kind == "text":
        return draw(st.sampled_from(["'a'", "'o''k'", '"x"', "'甲'", "''", "'" + "z" * 500 + "'"]))
    if kind == "chain":
        term = draw(expressions(names, depth + 1))
        operator = draw(st.sampled_from(["+", "and", "or", "*", "-", "=="]))
        terms = draw(st.sampled_from([2, 10, 63, 64, 65, 300, 1001, 3000]))
        terms = max(2, min(terms, MAX_TEXT // (len(term) + 5)))  # chains of chains would not fit in memory
        return f" {operator} ".join([term] * terms)
    if kind == "nest":
        levels = draw(st.sampled_from([1, 5, 63, 64, 65, 130, 1000]))
        return "(" * levels + draw(expressions(names, depth + 1)) + ")" * levels
    if kind == "unary":
        return draw(st.sampled_from(["not ", "-", "not not ", "- -"])) * draw(st.sampled_from([1, 3, 70, 500])) \
            + draw(expressions(names, depth + 1))
    if kind == "in":
        items = draw(st.lists(st.sampled_from(["1", "'a'", "null", "-2", "1e400", "true"]), max_size=5))
        return f"{draw(expressions(names, depth + 1))} {draw(st.sampled_from(['in', 'not in']))} [{', '.join(items)}]"
    if kind == "is":
        return f"{draw(expressions(names, depth + 1))} is {draw(st.sampled_from(['null', 'not null', 'nul']))}"
    if kind == "junk":
        parts = draw(st.lists(st.one_of(st.sampled_from(OPERATORS), st.sampled_from(names), st.sampled_from(ODD_TEXT[:14])),
                              min_size=1, max_size=8))
        return " ".join(parts)
    left, right = draw(expressions(names, depth + 1)), draw(expressions(names, depth + 1))
    return f"{left} {draw(st.sampled_from(OPERATORS[:16]))} {right}"


def _yaml_string(expression: str) -> str:
    """An expression as a YAML double-quoted scalar (so any text survives to the parser)."""
    return '"' + expression.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# ------------------------------------------------------------------ YAML mutations


def _replace_nth(text: str, pattern: str, index: int, new: str) -> str:
    matches = list(re.finditer(pattern, text, flags=re.MULTILINE))
    if not matches:
        return text
    match = matches[index % len(matches)]
    group = "value" if "value" in match.re.groupindex else 0  # (?P<value>...): only that part is replaced
    return text[:match.start(group)] + new + text[match.end(group):]


@st.composite
def mutation(draw: st.DrawFn, text: str) -> str:
    lines = text.split("\n")
    kind = draw(st.sampled_from(["number", "value", "drop", "double", "swap", "cut", "insert", "nest", "alias",
                                 "expression", "key"]))
    at = draw(st.integers(0, 10_000))
    if kind == "number":
        return _replace_nth(text, r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", at, draw(st.sampled_from(BIG_NUMBERS)))
    if kind == "value":
        return _replace_nth(text, r"(?<=: )[^\s,{}\[\]#][^,{}\[\]#\n]*", at, draw(st.sampled_from(ODD_TEXT + BIG_NUMBERS)))
    if kind == "drop":
        del lines[at % len(lines)]
    elif kind == "double":
        lines.insert(at % len(lines), lines[at % len(lines)])
    elif kind == "swap":
        other = draw(st.integers(0, len(lines) - 1))
        lines[at % len(lines)], lines[other] = lines[other], lines[at % len(lines)]
    elif kind == "cut":
        return text[:at % max(1, len(text))]
    elif kind == "insert":
        position = at % max(1, len(text))
        return text[:position] + draw(st.sampled_from(ODD_TEXT)) + text[position:]
    elif kind == "nest":
        levels = draw(st.sampled_from([10, 63, 64, 65, 2000, 10_000]))
        opening, closing = draw(st.sampled_from([("[", "]"), ("{a: ", "}"), ("[{a: ", "}]")]))
        return _replace_nth(text, r"(?<=: )[^\s{}\[\]#][^,{}\[\]#\n]*", at, opening * levels + "1" + closing * levels)
    elif kind == "alias":
        return _alias_bomb(text, draw(st.integers(1, 9)), draw(st.sampled_from(["passthrough", "description", "values"])))
    elif kind == "expression":
        names = expression_names(text)
        return _replace_nth(text, r'(?:when: |^  \w+: )(?P<value>"[^"\n]*")', at,
                            _yaml_string(draw(expressions(names))))
    else:  # a key renamed to an output column's name, or an odd one
        new = draw(st.sampled_from(["points_impact", "score", "tier", "period", "rows", "run_id", "tier_rank",
                                    "'a b'", '"\\u2028"', "x" * 200, "é", "_", "1", "true", "null", "? [a]"]))
        return _replace_nth(text, r"^(\s*-?\s*)?[a-z_]\w*(?=:)", at, new)
    return "\n".join(lines)


def _alias_bomb(text: str, levels: int, where: str) -> str:
    """`levels` anchors, each ten aliases of the one before, put in place of a key's value."""
    rows = ["[lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        rows.append("[" + ", ".join([f"*l{level - 1}"] * 10) + "]")
    value = "[" + ", ".join(f"&l{i} {row}" for i, row in enumerate(rows)) + f", *l{levels - 1}]"
    return _replace_nth(text, rf"(?<=^{where}: ).*$|(?<=  {where}: ).*$", 0, value)


# ------------------------------------------------------------------ the property


def check_in_process(path: Path, text: str) -> tuple[int, str, str]:
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", str(path)])
    return code, out.getvalue(), err.getvalue()


def assert_checked_cleanly(text: str) -> None:
    with tempfile.TemporaryDirectory(prefix="tierline-fuzz-") as directory:
        path = Path(directory) / "card.yaml"
        code, out, err = check_in_process(path, text)
        assert "Traceback" not in err and "internal error" not in err, err[:3000]
        assert code in (0, 2), (code, err[:3000])
        if code == 0:
            assert err == "" and out.startswith(f"{path}: ok ("), (out, err)
            compile_scorecard(load_scorecard(path))  # what check accepts, a run compiles
            return
    assert out == ""
    lines = err.splitlines()
    assert lines, "exit 2 without a message"
    line_pattern = re.compile(rf"^{re.escape(str(path))}(?::\d+)?: \S")
    for line in lines:
        assert line_pattern.match(line), f"not a `path[:line]: message` line: {line[:300]!r}"
        assert len(line) < 1000, f"a message quotes too much: {line[:300]!r}..."


@FUZZ
@given(st.sampled_from(SEEDS).flatmap(lambda seed: st.tuples(st.just(seed), st.integers(1, 3))), st.data())
def test_mutated_scorecards_check_cleanly(seed_and_count: tuple[str, int], data: st.DataObject) -> None:
    text, count = seed_and_count
    for _ in range(count):
        text = data.draw(mutation(text))
    assert_checked_cleanly(text)


@FUZZ
@given(st.data())
def test_generated_expressions_check_cleanly(data: st.DataObject) -> None:
    names = expression_names(SPEC_SCORECARD) + ["score"]
    expression = data.draw(expressions(names))
    where = data.draw(st.sampled_from(["when", "derived"]))
    if where == "when":
        text = SPEC_SCORECARD.replace('when: "special_equipment"', f"when: {_yaml_string(expression)}")
    else:
        text = SPEC_SCORECARD + f"derived:\n  extra: {_yaml_string(expression)}\n"
    assert_checked_cleanly(text)


def test_the_seeds_pass_unmutated(tmp_path: Path) -> None:
    for seed in SEEDS:
        code, _, err = check_in_process(tmp_path / "card.yaml", seed)
        assert (code, err) == (0, ""), err
