"""tierline/kernels/hashing.py against plain NumPy: the repeated hashes of the register-wide `unique`, and
the grouping of a partition's hashes into spill buckets."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from tierline.kernels.hashing import group_by_top_bits, repeated_values

UINT64 = st.integers(min_value=0, max_value=2**64 - 1)


def _reference(values: np.ndarray) -> np.ndarray:
    ordered = np.sort(values)
    return np.unique(ordered[1:][ordered[1:] == ordered[:-1]])


@settings(deadline=None)  # the first example compiles the kernel (or loads it from Numba's cache)
@given(st.lists(UINT64, max_size=300), st.lists(st.integers(0, 299), max_size=60))
def test_repeated_values(distinct: list[int], copies: list[int]) -> None:
    values = np.array(distinct + [distinct[i % len(distinct)] for i in copies] if distinct else [], dtype=np.uint64)
    np.random.default_rng(0).shuffle(values)
    assert np.array_equal(repeated_values(values), _reference(values))


def test_repeated_values_at_size() -> None:
    rng = np.random.default_rng(4)
    values = rng.integers(0, 2**64 - 1, 300_000, dtype=np.uint64, endpoint=True)
    values[rng.choice(300_000, 5_000)] = values[rng.choice(300_000, 5_000)]
    values[:3] = [0, 0, 2**64 - 1]
    found = repeated_values(values)
    assert np.array_equal(found, _reference(values)) and found[0] == 0


@settings(deadline=None)
@given(st.lists(UINT64, max_size=200), st.integers(0, 6))
def test_group_by_top_bits(values: list[int], bits: int) -> None:
    array = np.array(values, dtype=np.uint64)
    grouped, cuts = group_by_top_bits(array, bits)
    top = (array >> np.uint64(64 - bits)) if bits else np.zeros(len(array), dtype=np.uint64)
    order = np.argsort(top, kind="stable")
    assert np.array_equal(grouped, array[order])
    assert np.array_equal(cuts, np.concatenate([[0], np.cumsum(np.bincount(top.astype(np.int64), minlength=2**bits))]))


def test_value_hashes_agree_with_equality() -> None:
    """Equal values hash equal across types a column can take (5 and 5.0 alike) and chunkings;
    different values differ (no collision among these)."""
    import pyarrow as pa

    from tierline.validation.checks import hashable_values
    from tierline.pipeline.validate import value_hashes

    def hashes(values) -> list[int]:
        return value_hashes(hashable_values(values)).tolist()

    texts = ["", "a", "ab", "abcdefgh", "abcdefghi", "键值", "abcdefgh\x00", None]
    assert hashes(pa.chunked_array([texts[:3], texts[3:]])) == hashes(pa.array(texts)) == hashes(pa.array(texts, pa.large_string()))
    assert len(set(hashes(pa.array(texts)))) == 7  # the null is left out
    assert hashes(pa.array([5, 7], pa.int64())) == hashes(pa.array([5.0, 7.0])) == hashes(pa.array([5, 7], pa.int32()))
    assert hashes(pa.array([0.0])) == hashes(pa.array([-0.0]))  # pandas counts them as one value
    assert hashes(pa.array([True, False])) != hashes(pa.array([False, True]))
    assert len(hashes(pa.array([1.0, None, float("nan")]))) == 1  # NaN is null
