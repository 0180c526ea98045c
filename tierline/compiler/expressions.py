"""Expressions → postfix programs for the kernels' stack machine (`tierline.kernels.expressions`).

All programs of a scorecard share one code array; program `p` is `code[program_start[p]:
program_start[p + 1]]`. A constant is a float: numbers as they are, bools 0/1, null NaN, text its
code (`ProgramBuilder.text_code`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from tierline.compiler.arrays import PlanFields, f64, i64
from tierline.kernels import opcodes as op
from tierline.scorecard.expressions import Binary, Call, InList, IsNull, Literal_, Name, Node, Unary
from tierline.scorecard.model import Expression

if TYPE_CHECKING:
    from tierline.compiler.slots import SlotTable

_BINARY = {"+": op.ADD, "-": op.SUB, "*": op.MUL, "/": op.DIV, "==": op.EQ, "!=": op.NE, "<": op.LT,
           "<=": op.LE, ">": op.GT, ">=": op.GE, "and": op.AND, "or": op.OR}
_UNARY_FUNCTION = {"abs": op.ABS, "sqrt": op.SQRT, "exp": op.EXP, "ln": op.LN, "log10": op.LOG10,
                   "floor": op.FLOOR, "ceil": op.CEIL}
_CHAIN = {"min": op.MIN2, "max": op.MAX2, "coalesce": op.COALESCE2}


def constant(value: Any) -> float:
    """A non-text constant as a slot value."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    return float(value)


def text_literals(node: Node) -> list[tuple[str, str]]:
    """(column, literal) pairs where a text literal is compared with a column."""
    found: list[tuple[str, str]] = []
    if isinstance(node, Binary):
        if node.op in ("==", "!="):
            for a, b in ((node.left, node.right), (node.right, node.left)):
                if isinstance(a, Name) and isinstance(b, Literal_) and isinstance(b.value, str):
                    found.append((a.name, b.value))
        found += text_literals(node.left) + text_literals(node.right)
    elif isinstance(node, InList):
        if isinstance(node.operand, Name):
            found += [(node.operand.name, i.value) for i in node.items if isinstance(i.value, str)]
        found += text_literals(node.operand)
    elif isinstance(node, (Unary, IsNull)):
        found += text_literals(node.operand)
    elif isinstance(node, Call):
        for arg in node.args:
            found += text_literals(arg)
    return found


def _column_of(node: Node) -> str | None:
    return node.name if isinstance(node, Name) else None


class ProgramBuilder:
    """Emits every program of one scorecard, in the order they are asked for, into shared arrays."""

    def __init__(self, slots: SlotTable):
        self.slots = slots
        self.code: list[int] = []
        self.code_arg: list[tuple[int, int]] = []
        self.code_const: list[float] = []
        self.program_start: list[int] = [0]
        self.set_values: list[float] = []
        self.literal_pool: dict[str, int] = {}
        self.stack_depth = 1

    def program(self, expression: Expression) -> int:
        """Emit `expression`'s program; returns its index."""
        depth = self.emit(expression.ast, 0)
        self.stack_depth = max(self.stack_depth, depth)
        self.program_start.append(len(self.code))
        return len(self.program_start) - 2

    def push(self, code: int, arg0: int = 0, arg1: int = 0, const: float = 0.0) -> None:
        self.code.append(code)
        self.code_arg.append((arg0, arg1))
        self.code_const.append(const)

    def text_code(self, text: str, column: str | None) -> float:
        """The code of a text literal: in `column`'s vocabulary when it is compared with a text
        column, else in the pool of free-standing literals (codes -2, -3, …), which only ever meet
        each other because text compares with == != in, and never two text columns together."""
        if column is not None and column in self.slots.text_vocab:
            return float(self.slots.text_vocab[column][text])
        return -2.0 - self.literal_pool.setdefault(text, len(self.literal_pool))

    def constant(self, value: Any, column: str | None = None) -> float:
        if isinstance(value, str):
            return self.text_code(value, column)
        return constant(value)

    def emit(self, node: Node, height: int, column: str | None = None) -> int:
        """Emit postfix code for `node`; returns the highest stack height it reaches.

        `column` is the text column a literal is compared with, if any (its codes apply)."""
        if isinstance(node, Literal_):
            self.push(op.PUSH_CONST, const=self.constant(node.value, column))
            return height + 1
        if isinstance(node, Name):
            self.push(op.PUSH_SLOT, self.slots.slots[node.name])
            return height + 1
        if isinstance(node, Unary):
            top = self.emit(node.operand, height)
            self.push(op.NOT if node.op == "not" else op.NEG)
            return top
        if isinstance(node, IsNull):
            top = self.emit(node.operand, height)
            self.push(op.IS_NOT_NULL if node.negated else op.IS_NULL)
            return top
        if isinstance(node, InList):
            return self.emit_in_list(node, height)
        if isinstance(node, Call):
            return self.emit_call(node, height)
        assert isinstance(node, Binary)
        top_left = self.emit(node.left, height, _column_of(node.right))
        top_right = self.emit(node.right, height + 1, _column_of(node.left))
        self.push(_BINARY[node.op])
        return max(top_left, top_right)

    def emit_call(self, node: Call, height: int) -> int:
        """A function: its arguments, then its op; min, max and coalesce fold their arguments left
        to right two at a time, and clip(x, lo, hi) is min(max(x, lo), hi). Only the whole call's
        result is made finite-or-null, so that max(x, lo) may pass an infinite x on to min."""
        top = self.emit(node.args[0], height)
        if node.function in _UNARY_FUNCTION:
            self.push(_UNARY_FUNCTION[node.function])
            return top
        if node.function == "round":
            self.push(op.ROUND, int(node.args[1].value))  # type: ignore[union-attr, arg-type]  # a checked int literal
            return top
        steps = [op.MAX2, op.MIN2] if node.function == "clip" else [_CHAIN[node.function]] * (len(node.args) - 1)
        for arg, step in zip(node.args[1:], steps):
            top = max(top, self.emit(arg, height + 1))
            self.push(step)
        if node.function != "coalesce":  # coalesce passes a value through, it computes none
            self.push(op.FINITE)
        return top

    def emit_in_list(self, node: InList, height: int) -> int:
        """`x in (...)`: the items go to `set_values`, a null item as a flag (it matches a null x)."""
        top = self.emit(node.operand, height)
        operand_column = _column_of(node.operand)
        start = len(self.set_values)
        has_null = False
        for item in node.items:
            if item.value is None:
                has_null = True
            else:
                self.set_values.append(self.constant(item.value, operand_column))
        self.push(op.NOT_IN_SET if node.negated else op.IN_SET, start, len(self.set_values) - start,
                  1.0 if has_null else 0.0)
        return top

    def plan_fields(self) -> PlanFields:
        return {
            "program_start": i64(self.program_start),
            "code": i64(self.code),
            "code_arg": np.asarray(self.code_arg, dtype=np.int64).reshape(-1, 2),
            "code_const": f64(self.code_const),
            "set_values": f64(self.set_values),
            "stack_depth": np.int64(self.stack_depth),
        }
