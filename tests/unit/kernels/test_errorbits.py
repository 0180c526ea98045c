"""Error code k is bit k % 64 of word k // 64, the same from the kernel and from Python."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from tierline.kernels.errorbits import (
    bit_of, code_at, code_mask, n_error_words, rows_with_error, set_error, set_error_rows, word_of,
)


@njit
def _set_in_kernel(errors, code, row):
    set_error(errors, code, row)


@pytest.mark.parametrize("code", [0, 1, 63, 64, 65, 127, 128, 200])
def test_word_and_bit_invert(code: int) -> None:
    assert 0 <= bit_of(code) < 64
    assert code_at(word_of(code), bit_of(code)) == code
    assert code_mask(code) == np.uint64(1) << np.uint64(code % 64)


@pytest.mark.parametrize("n_codes, words", [(0, 1), (1, 1), (64, 1), (65, 2), (128, 2), (129, 3)])
def test_words_per_row(n_codes: int, words: int) -> None:
    assert n_error_words(n_codes) == words


def test_kernel_and_python_set_the_same_bits() -> None:
    codes, n_rows = [0, 5, 63, 64, 130], 4
    from_kernel = np.zeros((n_error_words(131), n_rows), dtype=np.uint64)
    from_python = np.zeros_like(from_kernel)
    for code in codes:
        rows = np.arange(n_rows) % 2 == code % 2
        for row in np.flatnonzero(rows):
            _set_in_kernel(from_kernel, code, row)
        set_error_rows(from_python, code, rows)
    np.testing.assert_array_equal(from_kernel, from_python)
    for code in codes:
        assert rows_with_error(from_python, code).tolist() == [(row % 2 == code % 2) for row in range(n_rows)]
    assert not rows_with_error(from_python, 1).any()
