"""Evaluate compiled expression programs over a block of rows, with SQL three-valued logic.

Values are float64: NaN is null (unknown), true is 1.0, false is 0.0. The program is postfix code
(`tierline.kernels.opcodes`); each op runs over the whole block, so the inner loops are flat and
vectorisable. Division by zero gives null. A condition that ends unknown counts as false — that
is the caller's reading of the result, not this evaluator's.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tierline.kernels.opcodes import (
    ADD, AND, DIV, EQ, GT, IN_SET, IS_NOT_NULL, IS_NULL, LE, LT, MUL, NE, NEG, NOT, NOT_IN_SET, OR,
    PUSH_CONST, PUSH_SLOT, SUB,
)


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
