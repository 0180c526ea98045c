"""64-bit hashes of a column's values, and finding the repeated ones in linear time, for the
register-wide `unique` check.

The hashes are uniformly spread, so a counting sort on a few of their bits cuts them into groups
small enough to sort in cache. That is several times cheaper than `np.sort` of all the hashes,
which the run would wait for.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def group_by_top_bits(values, bits):
    """`values` (uint64) grouped by their top `bits` bits, stable: (grouped, cuts), where group g is
    grouped[cuts[g]:cuts[g + 1]]."""
    groups = 1 << bits
    if bits == 0:  # one group (and a shift by 64 bits would be undefined)
        cuts = np.zeros(2, dtype=np.int64)
        cuts[1] = values.shape[0]
        return values.copy(), cuts
    shift = np.uint64(64 - bits)
    cuts = np.zeros(groups + 1, dtype=np.int64)
    for v in values:
        cuts[np.int64(v >> shift) + 1] += 1  # int64: uint64 + int is a float in Numba
    for g in range(groups):
        cuts[g + 1] += cuts[g]
    filled = cuts[:-1].copy()
    grouped = np.empty_like(values)
    for v in values:
        g = np.int64(v >> shift)
        grouped[filled[g]] = v
        filled[g] += 1
    return grouped, cuts


DIGIT_BITS = 11
DIGITS = 1 << DIGIT_BITS


@njit(nogil=True, cache=True, inline="always")
def _scatter(source, target, lo, hi, shift, cuts):
    """Counting sort of source[lo:hi] into target[lo:hi] by the DIGIT_BITS bits at `shift`."""
    cuts[:] = 0
    digit = np.uint64(DIGITS - 1)
    for i in range(lo, hi):
        cuts[np.int64((source[i] >> shift) & digit) + 1] += 1  # int64: uint64 + int is a float
    cuts[0] = lo
    for d in range(DIGITS):
        cuts[d + 1] += cuts[d]
    filled = cuts[:DIGITS].copy()
    for i in range(lo, hi):
        d = np.int64((source[i] >> shift) & digit)
        target[filled[d]] = source[i]
        filled[d] += 1


@njit(nogil=True, cache=True)
def repeated_values(values):
    """The values (uint64) that occur more than once, each once, sorted.

    Two counting-sort passes on the low 22 bits (11 at a time, so each pass writes to 2,048 places
    and stays in cache; spill buckets share their top bits, not their low ones), then an
    insertion sort of each group of about one value, whose repeats are then neighbours.
    """
    n = values.shape[0]
    first = np.empty(n, dtype=np.uint64)
    second = np.empty(n, dtype=np.uint64)
    outer = np.empty(DIGITS + 1, dtype=np.int64)
    inner = np.empty(DIGITS + 1, dtype=np.int64)
    _scatter(values, first, 0, n, np.uint64(0), outer)
    found = np.empty(n // 2 + 1, dtype=np.uint64)
    k = 0
    for d in range(DIGITS):
        if outer[d + 1] - outer[d] < 2:
            continue
        _scatter(first, second, outer[d], outer[d + 1], np.uint64(DIGIT_BITS), inner)
        for e in range(DIGITS):
            lo, hi = inner[e], inner[e + 1]
            for i in range(lo + 1, hi):
                v = second[i]
                j = i - 1
                while j >= lo and second[j] > v:
                    second[j + 1] = second[j]
                    j -= 1
                second[j + 1] = v
            for i in range(lo + 1, hi):
                if second[i] == second[i - 1] and (i == lo + 1 or second[i - 1] != second[i - 2]):
                    found[k] = second[i]
                    k += 1
    return np.sort(found[:k])


@njit(nogil=True, cache=True, inline="always")
def _mix(h):
    """splitmix64's finaliser: every input bit moves every output bit."""
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


@njit(nogil=True, cache=True)
def hash_words(words):
    """One hash per 64-bit word (a float64's or an int64's bits)."""
    out = np.empty(words.shape[0], dtype=np.uint64)
    for i in range(words.shape[0]):
        out[i] = _mix(words[i] + np.uint64(0x9E3779B97F4A7C15))
    return out


@njit(nogil=True, cache=True)
def hash_bytes(offsets, data):
    """One hash per byte string data[offsets[i]:offsets[i + 1]] (FNV-1a, eight bytes a step, mixed)."""
    n = offsets.shape[0] - 1
    out = np.empty(n, dtype=np.uint64)
    prime = np.uint64(0x100000001B3)
    for i in range(n):
        lo, hi = offsets[i], offsets[i + 1]
        h = np.uint64(0xCBF29CE484222325) ^ np.uint64(hi - lo)
        j = lo
        while j + 8 <= hi:
            word = np.uint64(0)
            for b in range(8):
                word |= np.uint64(data[j + b]) << np.uint64(8 * b)
            h = (h ^ word) * prime
            j += 8
        tail = np.uint64(0)
        for b in range(hi - j):
            tail |= np.uint64(data[j + b]) << np.uint64(8 * b)
        h = (h ^ tail) * prime
        out[i] = _mix(h)
    return out
