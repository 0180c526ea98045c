"""The expression language of `when` and `derived` (SPEC §2.4): parser, errors, types, no eval."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tierline.scorecard.expressions as expressions
from tierline.errors import ScorecardError
from tierline.scorecard.expressions import (
    Binary,
    Call,
    ExpressionError,
    InList,
    IsNull,
    Literal_,
    Name,
    Node,
    Unary,
    calls_in,
    check_types,
    names_in,
    parse_expression,
)
from tierline.scorecard.load import load_scorecard_text


def show(node: Node) -> str:
    """A fully parenthesised rendering without columns, so precedence reads at a glance."""
    if isinstance(node, Literal_):
        return repr(node.value)
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Unary):
        return f"({'neg' if node.op == '-' else 'not'} {show(node.operand)})"
    if isinstance(node, Binary):
        return f"({node.op} {show(node.left)} {show(node.right)})"
    if isinstance(node, InList):
        items = ", ".join(repr(item.value) for item in node.items)
        return f"({'not in' if node.negated else 'in'} {show(node.operand)} [{items}])"
    if isinstance(node, Call):
        return f"{node.function}({', '.join(show(arg) for arg in node.args)})"
    assert isinstance(node, IsNull)
    return f"({'is not null' if node.negated else 'is null'} {show(node.operand)})"


def parsed(text: str) -> str:
    return show(parse_expression(text))


# ---------------------------------------------------------------- precedence


@pytest.mark.parametrize(("text", "tree"), [
    ("a or b and c", "(or a (and b c))"),
    ("a and b or c and d", "(or (and a b) (and c d))"),
    ("a or b or c", "(or (or a b) c)"),
    ("not a and b", "(and (not a) b)"),
    ("not a or not b", "(or (not a) (not b))"),
    ("not not a", "(not (not a))"),
    ("not a == b", "(not (== a b))"),
    ("(a or b) and c", "(and (or a b) c)"),
    ("a + b * c", "(+ a (* b c))"),
    ("(a + b) * c", "(* (+ a b) c)"),
    ("a - b - c", "(- (- a b) c)"),
    ("a / b / c", "(/ (/ a b) c)"),
    ("a * b + c / d", "(+ (* a b) (/ c d))"),
    ("a < b + 1", "(< a (+ b 1))"),
    ("a * 2 >= b - 1", "(>= (* a 2) (- b 1))"),
    ("a == b and c != d", "(and (== a b) (!= c d))"),
    ("-a * b", "(* (neg a) b)"),
    ("-2 * 3", "(* -2 3)"),
    ("- -a", "(neg (neg a))"),
    ("a - -1", "(- a -1)"),
    ("-(a + b)", "(neg (+ a b))"),
    ("a * -b", "(* a (neg b))"),
    ("balance * provision_rate", "(* balance provision_rate)"),
])
def test_precedence(text: str, tree: str) -> None:
    assert parsed(text) == tree


@pytest.mark.parametrize(("text", "tree"), [
    ("x in [1, 2.5]", "(in x [1, 2.5])"),
    ("x in [-1, -2.5]", "(in x [-1, -2.5])"),
    ("x not in ['a', null]", "(not in x ['a', None])"),
    ("x in [true]", "(in x [True])"),
    ("not x in [1]", "(not (in x [1]))"),
    ("x + 1 in [2]", "(in (+ x 1) [2])"),
    ("x is null", "(is null x)"),
    ("x is not null", "(is not null x)"),
    ("x is null or y is not null", "(or (is null x) (is not null y))"),
    ("not x is null", "(not (is null x))"),
    ("a * b is null", "(is null (* a b))"),
])
def test_in_and_is_null(text: str, tree: str) -> None:
    assert parsed(text) == tree


@pytest.mark.parametrize(("text", "tree"), [
    ("a AND b OR c", "(or (and a b) c)"),
    ("NOT a", "(not a)"),
    ("x IS NOT NULL", "(is not null x)"),
    ("x Is Null", "(is null x)"),
    ("x NOT IN [1]", "(not in x [1])"),
    ("x In [1]", "(in x [1])"),
    ("TRUE or False", "(or True False)"),
    ("x == NULL", "(== x None)"),
])
def test_keywords_are_case_insensitive(text: str, tree: str) -> None:
    assert parsed(text) == tree


def test_names_keep_their_case_and_may_be_unicode() -> None:
    assert parsed("Score + 得分") == "(+ Score 得分)"
    assert parsed("_private") == "_private"


# ---------------------------------------------------------------- literals


@pytest.mark.parametrize(("text", "value"), [
    ("'it''s'", "it's"),
    ('"say ""hi"""', 'say "hi"'),
    ("''", ""),
    ("''''", "'"),
    ("'a\"b'", 'a"b'),
    ('"a\'b"', "a'b"),
    ("'一类 设备'", "一类 设备"),
    ("'a or b'", "a or b"),
    ("10", 10),
    ("1.5", 1.5),
    (".5", 0.5),
    ("1e3", 1000.0),
    ("2.5E-1", 0.25),
    ("true", True),
    ("false", False),
    ("null", None),
])
def test_literals(text: str, value: object) -> None:
    node = parse_expression(text)
    assert isinstance(node, Literal_)
    assert node.value == value and type(node.value) is type(value)


def test_quoted_text_compares_as_one_literal() -> None:
    assert parsed("owner == 'O''Brien' or owner == \"x\"") == "(or (== owner \"O'Brien\") (== owner 'x'))"


def test_columns_are_one_based() -> None:
    node = parse_expression("a  and b")
    assert isinstance(node, Binary)
    assert (node.column, node.left.column, node.right.column) == (4, 1, 8)
    assert [(n.name, n.column) for n in names_in(parse_expression("a + b * (c - a) in [1]"))] == [
        ("a", 1), ("b", 5), ("c", 10), ("a", 14)]


# ---------------------------------------------------------------- function calls


@pytest.mark.parametrize(("text", "tree"), [
    ("1 / (1 + exp((score - 487.1) / 72.13))", "(/ 1 (+ 1 exp((/ (- score 487.1) 72.13))))"),
    ("EXP(a) + Ln(b)", "(+ exp(a) ln(b))"),
    ("min(a, b + 1, -c) * 2", "(* min(a, (+ b 1), (neg c)) 2)"),
    ("round(max(a, b), 2)", "round(max(a, b), 2)"),
    ("coalesce(a, b, 0) > 1 or flag", "(or (> coalesce(a, b, 0) 1) flag)"),
    ("clip(abs(x), 0, 1)", "clip(abs(x), 0, 1)"),
    ("exp + ln * round", "(+ exp (* ln round))"),  # a function's name without '(' is a column
    ("exp(exp) + Exp", "(+ exp(exp) Exp)"),
])
def test_calls(text: str, tree: str) -> None:
    assert parsed(text) == tree


def test_a_call_knows_its_span_and_its_inner_calls_come_first() -> None:
    text = "1 + max(sqrt(a), floor(b))"
    calls = calls_in(parse_expression(text))
    assert [text[c.column - 1:c.end - 1] for c in calls] == ["sqrt(a)", "floor(b)", "max(sqrt(a), floor(b))"]
    assert all(isinstance(c, Call) for c in calls)
    assert [n.name for n in names_in(parse_expression(text))] == ["a", "b"]


# ---------------------------------------------------------------- syntax errors


@pytest.mark.parametrize(("text", "column", "says"), [
    ("", 1, "empty"),
    ("   ", 1, "empty"),
    ("a ==", 5, "expected a value but found the end"),
    ("a = 1", 3, "write '=='"),
    ("len(a)", 1, "unknown function 'len'; the functions are abs, sqrt, exp"),
    ("__import__('os')", 1, "unknown function '__import__'"),
    ("a and eval('1')", 7, "unknown function 'eval'"),
    ("exp(a", 6, "expected ')'"),
    ("exp()", 5, "expected a value but found ')'"),
    ("min(a,, b)", 7, "expected a value but found ','"),
    ("exp(a, b)", 1, "exp takes 1 argument, not 2"),
    ("min(a)", 1, "min takes at least 2 arguments, not 1"),
    ("1 + clip(a, b)", 5, "clip takes 3 arguments, not 2"),
    ("round(a)", 1, "round takes 2 arguments, not 1"),
    ("coalesce(a)", 1, "coalesce takes at least 2 arguments, not 1"),
    ("exp.a", 4, "attributes are not allowed"),
    ("a.b", 2, "attributes are not allowed"),
    ("x.__class__", 2, "attributes are not allowed"),
    ("os.system('ls')", 3, "attributes are not allowed"),
    ("'abc", 1, "unterminated text literal"),
    ('a == "abc', 6, "unterminated text literal"),
    ("a and (b or c", 14, "expected ')'"),
    ("a b", 3, "unexpected 'b'"),
    ("1 < 2 < 3", 7, "unexpected '<'"),
    ("a in 1", 6, "expected '['"),
    ("a in [b]", 7, "literal values only"),
    ("a in [1,]", 9, "expected a value"),
    ("a is 1", 6, "expected 'null'"),
    ("a not b", 7, "expected 'in'"),
    ("a ; b", 3, "unexpected character ';'"),
    ("a && b", 3, "unexpected character '&'"),
    ("!a", 1, "unexpected character '!'"),
    ("a[0]", 2, "unexpected '['"),
    ("a ** b", 4, "expected a value but found '*'"),
    ("a if b else c", 3, "unexpected 'if'"),
    ("()", 2, "expected a value but found ')'"),
], ids=lambda value: repr(value) if isinstance(value, str) else None)
def test_syntax_errors_name_their_column(text: str, column: int, says: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert caught.value.column == column
    assert says in caught.value.message


def test_an_empty_in_list_is_refused() -> None:
    with pytest.raises(ExpressionError, match="at least one value"):
        parse_expression("a in []")


TOKENS = ["a", "b", "n", "t", "1", "2.5", "-", "+", "*", "/", "(", ")", "[", "]", ",", "==", "!=", "<",
          "<=", ">", ">=", "and", "or", "not", "in", "is", "null", "true", "'x'", "'", '"', ".", "=", "NOT",
          "f(", "__import__", "é"]
TYPES = {"a": "bool", "b": "bool", "n": "number", "t": "text"}


def _type_of(name: Name) -> str:
    if name.name in TYPES:
        return TYPES[name.name]
    raise ExpressionError(f"unknown name {name.name!r}", name.column)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=10).map(" ".join) | st.text(max_size=20))
def test_any_text_parses_or_fails_with_a_column_inside_it(text: str) -> None:
    try:
        check_types(parse_expression(text), _type_of)
    except ExpressionError as error:
        assert 1 <= error.column <= len(text) + 1


# ---------------------------------------------------------------- types

COLUMN_TYPES = {"n": "number", "m": "number", "t": "text", "u": "text", "b": "bool", "d": "time", "e": "time"}


def type_of(text: str) -> str:
    def resolve(name: Name) -> str:
        if name.name not in COLUMN_TYPES:
            raise ExpressionError(f"unknown name {name.name!r}", name.column)
        return COLUMN_TYPES[name.name]  # type: ignore[return-value]

    return check_types(parse_expression(text), resolve)


@pytest.mark.parametrize(("text", "kind"), [
    ("n + m * 2", "number"),
    ("-n", "number"),
    ("n / null", "number"),
    ("t == 'x'", "bool"),
    ("t != 'x' and t in ['a', null]", "bool"),
    ("b == true", "bool"),
    ("not b", "bool"),
    ("not null", "bool"),
    ("d < e", "bool"),
    ("n is null or t is not null", "bool"),
    ("n == null", "bool"),
    ("n in [1, -2.5]", "bool"),
    ("null", "null"),
    ("t", "text"),
    ("d", "time"),
    ("abs(n) + sqrt(m) + exp(n) + ln(m) + log10(n) + floor(m) + ceil(n)", "number"),
    ("round(n, 0) + round(m, 12) + round(null, 2)", "number"),
    ("min(n, m, 1) + max(n, null) + clip(n, 0, 1) + clip(n, m, 2)", "number"),
    ("coalesce(n, m, 0)", "number"),
    ("coalesce(b, false)", "bool"),
    ("coalesce(n > 1, null)", "bool"),
    ("coalesce(d, e)", "time"),
    ("coalesce(d, e) < e", "bool"),
    ("coalesce(null, null)", "null"),
    ("exp(null)", "number"),
])
def test_types_that_fit(text: str, kind: str) -> None:
    assert type_of(text) == kind


@pytest.mark.parametrize(("text", "column", "says"), [
    ("t < 'x'", 3, "'<' does not apply to text"),
    ("'a' >= 'b'", 5, "'>=' does not apply to text"),
    ("b + 1", 3, "'+' needs numbers, not bool"),
    ("n * t", 3, "'*' needs numbers, not text"),
    ("-b", 1, "'-' needs a number operand, not bool"),
    ("t == u", 3, "comparing two text columns"),
    ("n and b", 3, "'and' needs true/false operands, not number"),
    ("b or t", 3, "'or' needs true/false operands, not text"),
    ("not n", 1, "'not' needs a bool operand, not number"),
    ("b < true", 3, "'<' does not apply to true/false"),
    ("n == 'x'", 3, "cannot compare number with text"),
    ("b == 1", 3, "cannot compare bool with number"),
    ("n in [1, 'a']", 10, "'in' list value 'a' is text, the operand is number"),
    ("d in [1]", 3, "'in' does not apply to dates"),
    ("d > '2024-01-01'", 3, "cannot compare time with text"),
    ("d == n", 3, "cannot compare time with number"),
    ("n > 1 and nowhere", 11, "unknown name 'nowhere'"),
    ("exp(b)", 1, "exp takes numbers; argument 1 is bool"),
    ("1 + max(n, t)", 5, "max takes numbers; argument 2 is text"),
    ("abs(d)", 1, "abs takes numbers; argument 1 is time"),
    ("round(n, m)", 10, "round's second argument is the number of decimals: a whole number literal 0 to 12"),
    ("round(n, 2.0)", 10, "a whole number literal"),
    ("round(n, -1)", 10, "a whole number literal"),
    ("round(n, 13)", 10, "a whole number literal"),
    ("clip(n, 2, -1)", 9, "clip's lower bound 2 is above its upper bound -1"),
    ("coalesce(n, b)", 1, "coalesce needs arguments of one type, not bool and number"),
    ("coalesce(t, 'x')", 1, "coalesce does not take text"),
    ("coalesce(d, n)", 1, "coalesce needs arguments of one type, not number and time"),
    ("coalesce(n, 0) and b", 16, "'and' needs true/false operands, not number"),
    ("coalesce(d, e) < n", 16, "cannot compare time with number"),
    ("sqrt(nowhere)", 6, "unknown name 'nowhere'"),
])
def test_type_errors_name_their_column(text: str, column: int, says: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        type_of(text)
    assert caught.value.column == column
    assert says in caught.value.message


SCORECARD = """\
scorecard: expressions
version: 1
key: id
inputs:
  id: {type: string}
  amount: {type: float}
  kind: {type: category, values: [a, b]}
overrides:
  - {name: o, when: %s, tier: one}
tiers:
  by: amount
  levels: [{tier: one, from: 1}, {tier: two, to: 1}]
"""


@pytest.mark.parametrize(("when", "says"), [
    ('"amount * 2"', "'amount * 2' is a number, a condition must be true or false"),
    ('"kind"', "'kind' is a text, a condition must be true or false"),
    ('"kind < \'b\'"', "at column 6: '<' does not apply to text"),
    ('"amount > 1 and score > 2"', "at column 16: unknown name 'score'"),
])
def test_scorecard_conditions_must_be_true_or_false(when: str, says: str) -> None:
    with pytest.raises(ScorecardError) as caught:
        load_scorecard_text(SCORECARD % when)
    assert caught.value.line == 9
    assert says in caught.value.detail


def test_a_null_condition_is_accepted_and_stays_a_parsed_tree() -> None:
    scorecard = load_scorecard_text(SCORECARD % '"amount is null and kind in [\'a\']"')
    when = scorecard.overrides[0].when
    assert (when.type, show(when.ast)) == ("bool", "(and (is null amount) (in kind ['a']))")


# ---------------------------------------------------------------- never eval


def test_parsing_and_checking_never_call_eval_or_exec(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("eval/exec was called")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    for text in ["n + m * 2 > 3", "t in ['a', 'b'] or not b", "d < e and n is not null", "-(n - 1) / 2 == m"]:
        type_of(text)
    for text in ["__import__('os').system('touch x')", "(lambda: 1)()", "open('x', 'w')", "().__class__"]:
        with pytest.raises(ExpressionError):
            parse_expression(text)
    load_scorecard_text(SCORECARD % '"amount > 1"')


def test_the_expression_module_names_no_dynamic_evaluation() -> None:
    tree = ast.parse(Path(expressions.__file__).read_text(encoding="utf-8"))
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__", "getattr"}
