"""Where an error code lives in the row error bits: `errors[word, row]` is a uint64 word, and code
`k` of the error table is bit `k % 64` of word `k // 64` (shifts, since codes are never negative).

The scalar helpers are jitted for the kernels and callable from Python; the array helpers set or
read one code for every row at once, for the pipeline.
"""

from __future__ import annotations

import numpy as np
from numba import njit

WORD_BITS = 64


@njit(nogil=True, cache=True, inline="always")
def word_of(code):
    """The word of `errors` that holds error code `code`."""
    return code >> 6


@njit(nogil=True, cache=True, inline="always")
def bit_of(code):
    """The position of `code`'s bit in its word."""
    return code & 63


@njit(nogil=True, cache=True, inline="always")
def set_error(errors, code, row):
    errors[word_of(code), row] |= np.uint64(1) << np.uint64(bit_of(code))


def n_error_words(n_codes: int) -> int:
    """The words a row needs for `n_codes` error codes (at least one, so the array always exists)."""
    return max(1, (n_codes + WORD_BITS - 1) // WORD_BITS)


def code_at(word: int, bit: int) -> int:
    """The error code of bit `bit` of word `word` (the inverse of `word_of`, `bit_of`)."""
    return word * WORD_BITS + bit


def code_mask(code: int) -> np.uint64:
    """`code`'s bit within its word."""
    return np.uint64(1) << np.uint64(bit_of(code))


def set_error_rows(errors: np.ndarray, code: int, rows: np.ndarray) -> None:
    """Set `code` on every row where `rows` (one boolean per column of `errors`) is true."""
    errors[word_of(code)] |= rows.astype(np.uint64) << np.uint64(bit_of(code))


def rows_with_error(errors: np.ndarray, code: int) -> np.ndarray:
    """Per row (column of `errors`), whether it has error code `code`."""
    return (errors[word_of(code)] & code_mask(code)) != 0
