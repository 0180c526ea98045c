"""Expressions compile to postfix programs; text literals to the codes of what they compare with."""

from __future__ import annotations

import math

import numpy as np

from tierline.compiler.expressions import ProgramBuilder, constant, text_literals
from tierline.compiler.slots import SlotTable
from tierline.kernels import opcodes as op
from tierline.kernels.expressions import run_program
from tierline.scorecard.expressions import parse_expression
from tierline.scorecard.model import Expression

SLOTS = SlotTable(slots={"x": 0, "y": 1, "plant": 2}, n_inputs=3, text_vocab={"plant": {"north": 0, "south": 1}})


def _expression(text: str) -> Expression:
    return Expression(text=text, ast=parse_expression(text), type="bool")


def _program(text: str) -> tuple[ProgramBuilder, int]:
    builder = ProgramBuilder(SLOTS)
    return builder, builder.program(_expression(text))


def test_arithmetic_is_postfix_with_its_stack_height() -> None:
    builder, index = _program("x + 2 * y > 1")
    assert index == 0 and builder.program_start == [0, 7]
    assert builder.code == [op.PUSH_SLOT, op.PUSH_CONST, op.PUSH_SLOT, op.MUL, op.ADD, op.PUSH_CONST, op.GT]
    assert [arg0 for arg0, _ in builder.code_arg] == [0, 0, 1, 0, 0, 0, 0]
    assert builder.code_const[1] == 2.0 and builder.code_const[5] == 1.0
    assert builder.stack_depth == 3  # x, 2, y


def test_programs_share_one_code_array() -> None:
    builder = ProgramBuilder(SLOTS)
    assert builder.program(_expression("x > 1")) == 0
    assert builder.program(_expression("not (y == 2)")) == 1
    assert builder.program_start == [0, 3, 7]
    fields = builder.plan_fields()
    assert fields["code"].dtype == np.int64 and fields["code_arg"].shape == (7, 2)
    assert fields["stack_depth"] == 2


def test_a_text_literal_takes_the_code_of_the_column_it_is_compared_with() -> None:
    builder, _ = _program("plant == 'south' or 'north' == plant")
    consts = [c for code, c in zip(builder.code, builder.code_const) if code == op.PUSH_CONST]
    assert consts == [1.0, 0.0]


def test_free_standing_text_literals_share_a_pool_of_negative_codes() -> None:
    builder, _ = _program("'a' == 'b' or 'a' != 'c'")
    consts = [c for code, c in zip(builder.code, builder.code_const) if code == op.PUSH_CONST]
    assert consts == [-2.0, -3.0, -2.0, -4.0]  # never -1: that is a value outside a vocabulary


def test_in_list_puts_its_items_in_the_set_and_null_in_a_flag() -> None:
    builder, _ = _program("plant in ['north', null] and x not in [1, 2]")
    in_set = builder.code.index(op.IN_SET)
    not_in_set = builder.code.index(op.NOT_IN_SET)
    assert builder.code_arg[in_set] == (0, 1) and builder.code_const[in_set] == 1.0
    assert builder.code_arg[not_in_set] == (1, 2) and builder.code_const[not_in_set] == 0.0
    assert builder.set_values == [0.0, 1.0, 2.0]


def test_a_compiled_program_runs_on_the_kernel() -> None:
    builder, index = _program("x + 2 * y > 1 and plant == 'south'")
    fields = builder.plan_fields()
    values = np.array([[0.0, 2.0, math.nan], [0.0, 0.0, 5.0], [1.0, 1.0, 1.0]])  # slots × rows
    stack = np.empty((int(fields["stack_depth"]), 3))
    out = np.empty(3)
    run_program(fields["program_start"], fields["code"], fields["code_arg"], fields["code_const"],
                fields["set_values"], index, values, 0, 3, stack, out)
    assert out[0] == 0.0 and out[1] == 1.0 and math.isnan(out[2])  # null x: a null verdict


def test_constants_and_text_literals() -> None:
    assert constant(True) == 1.0 and constant(False) == 0.0 and math.isnan(constant(None)) and constant(3) == 3.0
    assert text_literals(parse_expression("plant == 'a' or x in ['b'] or not (plant != 'c')")) == [
        ("plant", "a"), ("x", "b"), ("plant", "c")]


def test_a_one_argument_function_is_its_argument_then_its_op() -> None:
    builder, _ = _program("exp(x) + sqrt(y)")
    assert builder.code == [op.PUSH_SLOT, op.EXP, op.PUSH_SLOT, op.SQRT, op.ADD]


def test_round_carries_its_decimals_in_arg0() -> None:
    builder, _ = _program("round(x / 3, 2)")
    assert builder.code == [op.PUSH_SLOT, op.PUSH_CONST, op.DIV, op.ROUND]
    assert builder.code_arg[-1] == (2, 0)


def test_min_max_clip_fold_two_at_a_time_then_null_a_non_finite_result() -> None:
    builder, _ = _program("min(x, y, 2)")
    assert builder.code == [op.PUSH_SLOT, op.PUSH_SLOT, op.MIN2, op.PUSH_CONST, op.MIN2, op.FINITE]
    assert builder.stack_depth == 2
    builder, _ = _program("clip(x, 0, 1)")
    assert builder.code == [op.PUSH_SLOT, op.PUSH_CONST, op.MAX2, op.PUSH_CONST, op.MIN2, op.FINITE]


def test_coalesce_folds_without_a_finite_step() -> None:
    builder, _ = _program("coalesce(x, y, 0)")
    assert builder.code == [op.PUSH_SLOT, op.PUSH_SLOT, op.COALESCE2, op.PUSH_CONST, op.COALESCE2]


def test_text_literals_inside_a_call_take_their_columns_codes() -> None:
    text = "coalesce(plant == 'south', x > 1)"
    assert text_literals(parse_expression(text)) == [("plant", "south")]
    builder, _ = _program(text)
    assert [c for code, c in zip(builder.code, builder.code_const) if code == op.PUSH_CONST][0] == 1.0


def test_a_probability_of_default_runs_on_the_kernel() -> None:
    builder, index = _program("1 / (1 + exp((x - 487.1) / 72.13))")
    fields = builder.plan_fields()
    values = np.array([[487.1, 560.0, math.nan, 1e6], [0.0] * 4, [0.0] * 4])
    stack = np.empty((int(fields["stack_depth"]), 4))
    out = np.empty(4)
    run_program(fields["program_start"], fields["code"], fields["code_arg"], fields["code_const"],
                fields["set_values"], index, values, 0, 4, stack, out)
    assert out[0] == 0.5 and out[1] == 1 / (1 + math.exp((560.0 - 487.1) / 72.13))
    assert math.isnan(out[2]) and math.isnan(out[3])  # null score; exp past float64: null
