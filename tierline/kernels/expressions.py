"""Evaluate compiled expression programs over a block of rows, with SQL three-valued logic.

Values are float64: NaN is null (unknown), true is 1.0, false is 0.0. The program is postfix code
(`tierline.kernels.opcodes`); each op runs over the whole block, so the inner loops are flat and
vectorisable. Division by zero gives null. A condition that ends unknown counts as false — that
is the caller's reading of the result, not this evaluator's.

Functions (SPEC §2.4) run in `apply_function`, beside the main loop. They use the C library's
`exp`, `log`, `log10` (as Python's `math` does, so the test oracle agrees to the bit) and IEEE
`sqrt`, `floor`, `ceil`, which are exact.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from tierline.kernels.opcodes import (
    ABS, ADD, AND, CEIL, COALESCE2, DIV, EQ, EXP, FIRST_FUNCTION, FLOOR, GT, IN_SET, IS_NOT_NULL,
    IS_NULL, LE, LN, LOG10, LT, MAX2, MIN2, MUL, NE, NEG, NOT, NOT_IN_SET, OR, PUSH_CONST, PUSH_SLOT, ROUND,
    SQRT, SUB,
)
from tierline.kernels.rounding import round_half_away


@njit(nogil=True, cache=True)
def function_value(c, decimals, a):
    """One-argument function `c` of `a` (null in, null out); null outside its domain or not finite."""
    if c == ABS:
        result = abs(a)
    elif c == SQRT:
        result = math.sqrt(a) if a >= 0.0 else np.nan
    elif c == EXP:
        result = math.exp(a)
    elif c == LN:
        result = math.log(a) if a > 0.0 else np.nan
    elif c == LOG10:
        result = math.log10(a) if a > 0.0 else np.nan
    elif c == FLOOR:
        result = np.floor(a)  # math.floor would give an int64, which overflows past 2**63
    elif c == CEIL:
        result = np.ceil(a)
    elif c == ROUND:
        result = round_half_away(a, decimals)
    else:  # FINITE
        result = a
    return result if math.isfinite(result) else np.nan


@njit(nogil=True, cache=True)
def apply_function(c, decimals, stack, sp, m):
    """Run function op `c` on the top of the stack; returns the new stack height.

    MIN2, MAX2 and COALESCE2 are the two-argument steps of min, max and coalesce: they pop one.
    On a tie min and max keep the first argument, as Python's `min` and `max` do."""
    if c == MIN2 or c == MAX2 or c == COALESCE2:
        sp -= 1
        for i in range(m):
            a = stack[sp - 1, i]
            b = stack[sp, i]
            if c == COALESCE2:
                if np.isnan(a):
                    stack[sp - 1, i] = b
            elif np.isnan(b) or (b < a if c == MIN2 else b > a):  # a NaN a fails both comparisons
                stack[sp - 1, i] = b
        return sp
    for i in range(m):
        stack[sp - 1, i] = function_value(c, decimals, stack[sp - 1, i])
    return sp


@njit(nogil=True, cache=True)
def run_program(program_start, code, code_arg, code_const, set_values, program, values, start, end, stack, out):
    """Evaluate program number `program` for rows start..end-1 of `values` (slots × rows) into out[:end-start]."""
    m = end - start
    sp = 0
    for k in range(program_start[program], program_start[program + 1]):
        c = code[k]
        if c == PUSH_SLOT:
            slot = code_arg[k, 0]
            for i in range(m):
                stack[sp, i] = values[slot, start + i]
            sp += 1
        elif c == PUSH_CONST:
            constant = code_const[k]
            for i in range(m):
                stack[sp, i] = constant
            sp += 1
        elif c == NEG:
            for i in range(m):
                stack[sp - 1, i] = -stack[sp - 1, i]
        elif c == NOT:
            for i in range(m):
                a = stack[sp - 1, i]
                stack[sp - 1, i] = a if np.isnan(a) else 1.0 - a
        elif c == IS_NULL or c == IS_NOT_NULL:
            hit = 1.0 if c == IS_NULL else 0.0
            for i in range(m):
                stack[sp - 1, i] = hit if np.isnan(stack[sp - 1, i]) else 1.0 - hit
        elif c == IN_SET or c == NOT_IN_SET:
            first = code_arg[k, 0]
            count = code_arg[k, 1]
            list_has_null = code_const[k] != 0.0
            found_value = 1.0 if c == IN_SET else 0.0
            for i in range(m):
                a = stack[sp - 1, i]
                if np.isnan(a):
                    continue
                found = False
                for j in range(first, first + count):
                    if set_values[j] == a:
                        found = True
                        break
                if found:
                    stack[sp - 1, i] = found_value
                elif list_has_null:
                    stack[sp - 1, i] = np.nan
                else:
                    stack[sp - 1, i] = 1.0 - found_value
        elif c >= FIRST_FUNCTION:
            sp = apply_function(c, code_arg[k, 0], stack, sp, m)
        else:
            sp -= 1
            if c == ADD:
                for i in range(m):
                    stack[sp - 1, i] = stack[sp - 1, i] + stack[sp, i]
            elif c == SUB:
                for i in range(m):
                    stack[sp - 1, i] = stack[sp - 1, i] - stack[sp, i]
            elif c == MUL:
                for i in range(m):
                    stack[sp - 1, i] = stack[sp - 1, i] * stack[sp, i]
            elif c == DIV:
                for i in range(m):
                    b = stack[sp, i]
                    stack[sp - 1, i] = np.nan if b == 0.0 else stack[sp - 1, i] / b
            elif c == AND:
                for i in range(m):
                    a = stack[sp - 1, i]
                    b = stack[sp, i]
                    if a == 0.0 or b == 0.0:
                        stack[sp - 1, i] = 0.0
                    elif np.isnan(a) or np.isnan(b):
                        stack[sp - 1, i] = np.nan
                    else:
                        stack[sp - 1, i] = 1.0
            elif c == OR:
                for i in range(m):
                    a = stack[sp - 1, i]
                    b = stack[sp, i]
                    if a == 1.0 or b == 1.0:
                        stack[sp - 1, i] = 1.0
                    elif np.isnan(a) or np.isnan(b):
                        stack[sp - 1, i] = np.nan
                    else:
                        stack[sp - 1, i] = 0.0
            else:
                for i in range(m):
                    a = stack[sp - 1, i]
                    b = stack[sp, i]
                    if np.isnan(a) or np.isnan(b):
                        stack[sp - 1, i] = np.nan
                    elif c == EQ:
                        stack[sp - 1, i] = 1.0 if a == b else 0.0
                    elif c == NE:
                        stack[sp - 1, i] = 1.0 if a != b else 0.0
                    elif c == LT:
                        stack[sp - 1, i] = 1.0 if a < b else 0.0
                    elif c == LE:
                        stack[sp - 1, i] = 1.0 if a <= b else 0.0
                    elif c == GT:
                        stack[sp - 1, i] = 1.0 if a > b else 0.0
                    else:  # GE
                        stack[sp - 1, i] = 1.0 if a >= b else 0.0
    for i in range(m):
        out[i] = stack[0, i]
