"""The expression language of `when` and `derived` (SPEC §2.4): parsed to a small typed AST.

Grammar, loosest binding first::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum [ ("=="|"!="|"<"|"<="|">"|">=") sum
                   | ["not"] "in" "[" literal ("," literal)* "]"
                   | "is" ["not"] "null" ]
    sum     := product (("+"|"-") product)*
    product := unary (("*"|"/") unary)*
    unary   := "-" unary | atom
    atom    := number | 'text' | "text" | true | false | null | call | name | "(" expr ")"
    call    := function "(" expr ("," expr)* ")"

Nothing else exists: the functions are the fixed list in `FUNCTIONS` (a name is a function only
when `(` follows it, so a column may be called `exp`), a `.` is refused (no attributes), and the
text is never handed to Python's `eval`. Keywords and function names are case-insensitive.
Evaluation, with SQL three-valued logic, happens in the kernels (`tierline.kernels.expressions`)
and in the test oracle.

Bounded (`tierline.scorecard.limits`): the text's length, its terms (names and literals), each number
literal (at most MAX_NUMBER_CHARS characters and a finite float64), the nesting of parentheses,
`not` and `-`, and the depth of the tree, where each operator of a chain adds one level: the
parser, the type check and the compiler all recurse, and stay far inside Python's stack.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Literal, Union

from tierline.scorecard.limits import MAX_EXPRESSION_CHARS, MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_TERMS, MAX_NUMBER_CHARS, quote

ValueType = Literal["number", "bool", "text", "time", "null"]


class ExpressionError(ValueError):
    """A syntax or type error at a 1-based column of the expression text."""

    def __init__(self, message: str, column: int):
        super().__init__(message)
        self.message = message
        self.column = column


@dataclass(frozen=True)
class Literal_:
    value: Union[float, int, str, bool, None]
    column: int


@dataclass(frozen=True)
class Name:
    name: str
    column: int


@dataclass(frozen=True)
class Unary:
    op: Literal["-", "not"]
    operand: "Node"
    column: int


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / == != < <= > >= and or
    left: "Node"
    right: "Node"
    column: int


@dataclass(frozen=True)
class InList:
    operand: "Node"
    items: tuple[Literal_, ...]
    negated: bool
    column: int


@dataclass(frozen=True)
class IsNull:
    operand: "Node"
    negated: bool
    column: int


@dataclass(frozen=True)
class Call:
    function: str  # one of FUNCTIONS, lower case
    args: tuple["Node", ...]
    column: int  # of the function name
    end: int  # the column after its closing parenthesis: text[column - 1:end - 1] is the call


Node = Union[Literal_, Name, Unary, Binary, InList, IsNull, Call]

# function → (fewest, most) arguments; None: any number. SPEC §2.4's fixed list, nothing else.
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "abs": (1, 1), "sqrt": (1, 1), "exp": (1, 1), "ln": (1, 1), "log10": (1, 1), "floor": (1, 1),
    "ceil": (1, 1), "round": (2, 2), "min": (2, None), "max": (2, None), "clip": (3, 3), "coalesce": (2, None),
}
MAX_ROUND_DECIMALS = 12  # as a score's `round` (SPEC §2.2): the same rounding, the same bound

KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false"}
_OPERATOR_WORDS = {"and", "or", "not", "in", "is"}  # keywords that are not values (terms)
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
ARITHMETIC = ("+", "-", "*", "/")

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<name>[^\W\d]\w*)
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|\[|\]|,)
  | (?P<other>.)
    """,
    re.VERBOSE | re.UNICODE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # number string name keyword op end
    text: str
    column: int
    value: object = None


def _number(raw: str, column: int) -> float | int:
    """A number literal's value; it must be short and a finite float64 (the kernels' numbers)."""
    if len(raw) > MAX_NUMBER_CHARS:
        raise ExpressionError(f"the number {raw[:20]}... has {len(raw)} characters; at most {MAX_NUMBER_CHARS}", column)
    value: float | int = float(raw) if any(c in raw for c in ".eE") else int(raw)
    try:
        finite = math.isfinite(float(value))
    except OverflowError:  # an integer past float64's range
        finite = False
    if not finite:
        raise ExpressionError(f"the number {raw} is too large for a float64 (at most about 1.8e+308)", column)
    return value


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    terms = 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        raw = match.group()
        column = match.start() + 1
        if kind == "space":
            continue
        if kind in ("number", "string") or (kind == "name" and raw.lower() not in _OPERATOR_WORDS):
            terms += 1
            if terms > MAX_EXPRESSION_TERMS:
                raise ExpressionError(f"more than {MAX_EXPRESSION_TERMS:,} names and values in one expression; "
                                      "split it into derived columns", column)
        if kind == "number":
            tokens.append(_Token("number", raw, column, _number(raw, column)))
        elif kind == "string":
            quote = raw[0]
            tokens.append(_Token("string", raw, column, raw[1:-1].replace(quote * 2, quote)))
        elif kind == "name":
            if raw.lower() in KEYWORDS:
                tokens.append(_Token("keyword", raw.lower(), column))
            else:
                tokens.append(_Token("name", raw, column))
        elif kind == "op":
            tokens.append(_Token("op", raw, column))
        else:
            if raw in "'\"":
                raise ExpressionError("unterminated text literal", column)
            if raw == ".":
                raise ExpressionError("attributes are not allowed", column)
            if raw == "=":
                raise ExpressionError("'=' is not an operator: write '==' to compare", column)
            raise ExpressionError(f"unexpected character {raw!r}", column)
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokenize(text)
        self.position = 0
        self.nesting = 0  # open parentheses, `not`s and `-`s: each is a recursion of the parser
        self.heights: dict[int, int] = {}  # id(node) → levels of the tree below and at it

    def _descend(self, token: _Token) -> None:
        self.nesting += 1
        if self.nesting > MAX_EXPRESSION_DEPTH:
            raise ExpressionError(f"the expression nests more than {MAX_EXPRESSION_DEPTH} levels deep", token.column)

    def _node(self, node: "Node", *children: "Node") -> "Node":
        """`node`, once the tree it tops is known to be at most MAX_EXPRESSION_DEPTH deep."""
        height = 1 + max((self.heights.get(id(child), 1) for child in children), default=0)
        if height > MAX_EXPRESSION_DEPTH:
            raise ExpressionError(
                f"the expression nests more than {MAX_EXPRESSION_DEPTH} levels deep (each operator of a chain "
                "adds one); split it into derived columns", node.column)
        self.heights[id(node)] = height
        return node

    @property
    def current(self) -> _Token:
        return self.tokens[self.position]

    def _advance(self) -> _Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def _at(self, kind: str, text: str | None = None) -> bool:
        token = self.current
        return token.kind == kind and (text is None or token.text == text)

    def _expect(self, kind: str, text: str) -> _Token:
        if not self._at(kind, text):
            raise ExpressionError(f"expected {text!r} but found {self._describe()}", self.current.column)
        return self._advance()

    def _describe(self) -> str:
        token = self.current
        return "the end of the expression" if token.kind == "end" else quote(token.text)

    def parse(self) -> Node:
        node = self._or()
        if not self._at("end"):
            raise ExpressionError(f"unexpected {self._describe()}", self.current.column)
        return node

    def _or(self) -> Node:
        node = self._and()
        while self._at("keyword", "or"):
            token = self._advance()
            right = self._and()
            node = self._node(Binary("or", node, right, token.column), node, right)
        return node

    def _and(self) -> Node:
        node = self._not()
        while self._at("keyword", "and"):
            token = self._advance()
            right = self._not()
            node = self._node(Binary("and", node, right, token.column), node, right)
        return node

    def _not(self) -> Node:
        if self._at("keyword", "not"):
            token = self._advance()
            self._descend(token)
            operand = self._not()
            self.nesting -= 1
            return self._node(Unary("not", operand, token.column), operand)
        return self._compare()

    def _compare(self) -> Node:
        node = self._sum()
        token = self.current
        if token.kind == "op" and token.text in COMPARISONS:
            self._advance()
            right = self._sum()
            return self._node(Binary(token.text, node, right, token.column), node, right)
        if self._at("keyword", "in"):
            self._advance()
            return self._node(InList(node, self._list(), False, token.column), node)
        if self._at("keyword", "not"):
            self._advance()
            self._expect("keyword", "in")
            return self._node(InList(node, self._list(), True, token.column), node)
        if self._at("keyword", "is"):
            self._advance()
            negated = False
            if self._at("keyword", "not"):
                self._advance()
                negated = True
            self._expect("keyword", "null")
            return self._node(IsNull(node, negated, token.column), node)
        return node

    def _list(self) -> tuple[Literal_, ...]:
        self._expect("op", "[")
        items: list[Literal_] = []
        if not self._at("op", "]"):
            while True:
                items.append(self._list_literal())
                if self._at("op", ","):
                    self._advance()
                    continue
                break
        self._expect("op", "]")
        if not items:
            raise ExpressionError("an 'in' list needs at least one value", self.current.column)
        return tuple(items)

    def _list_literal(self) -> Literal_:
        token = self.current
        if self._at("op", "-") and self.tokens[self.position + 1].kind == "number":
            self._advance()
            number = self._advance()
            return Literal_(-number.value, token.column)  # type: ignore[operator]
        atom = self._atom()
        if not isinstance(atom, Literal_):
            raise ExpressionError("an 'in' list holds literal values only", token.column)
        return atom

    def _sum(self) -> Node:
        node = self._product()
        while self.current.kind == "op" and self.current.text in ("+", "-"):
            token = self._advance()
            right = self._product()
            node = self._node(Binary(token.text, node, right, token.column), node, right)
        return node

    def _product(self) -> Node:
        node = self._unary()
        while self.current.kind == "op" and self.current.text in ("*", "/"):
            token = self._advance()
            right = self._unary()
            node = self._node(Binary(token.text, node, right, token.column), node, right)
        return node

    def _unary(self) -> Node:
        if self._at("op", "-"):
            token = self._advance()
            self._descend(token)
            operand = self._unary()
            self.nesting -= 1
            if isinstance(operand, Literal_) and isinstance(operand.value, (int, float)) and not isinstance(operand.value, bool):
                return Literal_(-operand.value, token.column)
            return self._node(Unary("-", operand, token.column), operand)
        return self._atom()

    def _atom(self) -> Node:
        token = self.current
        if token.kind == "number" or token.kind == "string":
            self._advance()
            return Literal_(token.value, token.column)  # type: ignore[arg-type]
        if token.kind == "keyword" and token.text in ("true", "false", "null"):
            self._advance()
            return Literal_({"true": True, "false": False, "null": None}[token.text], token.column)
        if token.kind == "name":
            self._advance()
            if self._at("op", "("):
                return self._call(token)
            return Name(token.text, token.column)
        if self._at("op", "("):
            self._descend(self._advance())
            node = self._or()
            self._expect("op", ")")
            self.nesting -= 1
            return node
        raise ExpressionError(f"expected a value but found {self._describe()}", token.column)


    def _call(self, name: _Token) -> Node:
        function = name.text.lower()
        if function not in FUNCTIONS:
            raise ExpressionError(f"unknown function {quote(name.text)}; the functions are {', '.join(FUNCTIONS)}",
                                  name.column)
        self._descend(self._advance())
        args = [self._or()]
        while self._at("op", ","):
            self._advance()
            args.append(self._or())
        end = self._expect("op", ")").column + 1
        self.nesting -= 1
        fewest, most = FUNCTIONS[function]
        if len(args) < fewest or (most is not None and len(args) > most):
            wanted = f"{fewest}" if fewest == most else f"at least {fewest}"
            raise ExpressionError(f"{function} takes {wanted} argument{'s' * (wanted != '1')}, not {len(args)}",
                                  name.column)
        return self._node(Call(function, tuple(args), name.column, end), *args)


def parse_expression(text: str) -> Node:
    """Parse expression text to an AST; raises `ExpressionError` with the column at fault."""
    if not text.strip():
        raise ExpressionError("the expression is empty", 1)
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"the expression has {len(text):,} characters; at most {MAX_EXPRESSION_CHARS:,}",
                              MAX_EXPRESSION_CHARS + 1)
    return _Parser(text).parse()


def children(node: Node) -> tuple[Node, ...]:
    """The operands of a node, in reading order."""
    if isinstance(node, (Unary, InList, IsNull)):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    return node.args if isinstance(node, Call) else ()


def names_in(node: Node) -> list[Name]:
    """Every column name an expression reads, in reading order."""
    if isinstance(node, Name):
        return [node]
    return [name for child in children(node) for name in names_in(child)]


def calls_in(node: Node) -> list[Call]:
    """Every function call in an expression, inner calls before the call they are arguments of."""
    inner = [call for child in children(node) for call in calls_in(child)]
    return inner + [node] if isinstance(node, Call) else inner


def literal_type(value: object) -> ValueType:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "text"


def check_types(node: Node, type_of: Callable[[Name], ValueType]) -> ValueType:
    """Infer the type of an expression; raise `ExpressionError` where operand types do not fit.

    `type_of` resolves a column name (and raises `ExpressionError` for an unknown one). Text
    columns may be compared for (in)equality with text literals only, so that the kernels can
    compare dictionary codes; ordering is defined for numbers and for times against times.
    """
    if isinstance(node, Literal_):
        return literal_type(node.value)
    if isinstance(node, Name):
        return type_of(node)
    if isinstance(node, Unary):
        inner = check_types(node.operand, type_of)
        wanted = "bool" if node.op == "not" else "number"
        if inner not in (wanted, "null"):
            raise ExpressionError(f"'{node.op}' needs a {wanted} operand, not {inner}", node.column)
        return wanted
    if isinstance(node, IsNull):
        check_types(node.operand, type_of)
        return "bool"
    if isinstance(node, Call):
        return _check_call(node, [check_types(arg, type_of) for arg in node.args])
    if isinstance(node, InList):
        operand = check_types(node.operand, type_of)
        if operand == "time":
            raise ExpressionError("'in' does not apply to dates and timestamps", node.column)
        for item in node.items:
            item_type = literal_type(item.value)
            if item_type != "null" and operand != "null" and item_type != operand:
                raise ExpressionError(f"'in' list value {quote(item.value)} is {item_type}, the operand is {operand}", item.column)
        return "bool"
    assert isinstance(node, Binary)
    left = check_types(node.left, type_of)
    right = check_types(node.right, type_of)
    if node.op in ("and", "or"):
        for side in (left, right):
            if side not in ("bool", "null"):
                raise ExpressionError(f"'{node.op}' needs true/false operands, not {side}", node.column)
        return "bool"
    if node.op in ARITHMETIC:
        for side in (left, right):
            if side not in ("number", "null"):
                raise ExpressionError(f"'{node.op}' needs numbers, not {side}", node.column)
        return "number"
    # comparisons
    if "null" in (left, right):
        return "bool"
    if left != right:
        raise ExpressionError(f"cannot compare {left} with {right}", node.column)
    if left == "text":
        if isinstance(node.left, Name) and isinstance(node.right, Name):
            raise ExpressionError("comparing two text columns is not supported; compare each with a literal", node.column)
        if node.op not in ("==", "!="):
            raise ExpressionError(f"'{node.op}' does not apply to text; use == != or in", node.column)
    if left == "bool" and node.op not in ("==", "!="):
        raise ExpressionError(f"'{node.op}' does not apply to true/false values", node.column)
    if left == "time" and not all(isinstance(side, (Name, Call)) for side in (node.left, node.right)):
        raise ExpressionError("dates and timestamps compare with other date/timestamp columns only", node.column)
    return "bool"


def _check_call(node: Call, types: list[ValueType]) -> ValueType:
    """The type of a call: numbers in, a number out; `coalesce` takes and gives one type."""
    if node.function == "coalesce":
        kinds = set(types) - {"null"}
        if len(kinds) > 1:
            raise ExpressionError(f"coalesce needs arguments of one type, not {' and '.join(sorted(kinds))}", node.column)
        if kinds == {"text"}:
            # each text column has its own codes (its vocabulary): a mix of two cannot be compared
            raise ExpressionError("coalesce does not take text; compare each text column with its literals instead",
                                  node.column)
        return kinds.pop() if kinds else "null"
    for position, kind in enumerate(types, 1):
        if kind not in ("number", "null"):
            raise ExpressionError(f"{node.function} takes numbers; argument {position} is {kind}", node.column)
    if node.function == "round":
        decimals = node.args[1]
        if not (isinstance(decimals, Literal_) and type(decimals.value) is int
                and 0 <= decimals.value <= MAX_ROUND_DECIMALS):
            raise ExpressionError(f"round's second argument is the number of decimals: a whole number literal "
                                  f"0 to {MAX_ROUND_DECIMALS}", decimals.column)
    if node.function == "clip":
        lo, hi = node.args[1], node.args[2]
        if (isinstance(lo, Literal_) and isinstance(hi, Literal_) and None not in (lo.value, hi.value)
                and lo.value > hi.value):  # type: ignore[operator]
            raise ExpressionError(f"clip's lower bound {lo.value} is above its upper bound {hi.value}", lo.column)
    return "number"
