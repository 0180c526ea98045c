"""Grouping the rows of an aggregating scorecard into entities (SPEC §2.3).

Rows arrive in input order with a dense group number each (the groups numbered in order of their
first row). Per group: its size, its first row, its override (the earliest override, in the
scorecard's order, that held for any of its rows) and each score combined over its rows. A mean
adds the scores in input order, and a weighted mean adds wᵢ(sᵢ − s₁) and wᵢ in input order and
divides once, so a run (whatever its partitions and workers) and the oracle agree to the last bit. A null
score among a group's rows makes the group's score null, whatever the method (as a null
component's points make a row's score null).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tierline.kernels.opcodes import MAX, MEAN, MEDIAN, MIN, WEIGHTED_MEAN


@njit(nogil=True, cache=True)
def _any_null(scores, rows):
    for k in range(rows.shape[0]):
        if np.isnan(scores[rows[k]]):
            return True
    return False


@njit(nogil=True, cache=True)
def _weighted_mean(scores, weights, rows):
    """Σ wᵢsᵢ / Σ wᵢ over `rows` (a group's rows, in input order), computed as s₁ + Σ wᵢ(sᵢ − s₁) / Σ wᵢ
    with each sum added in that order. The same mean; but Σ wᵢsᵢ / Σ wᵢ of a panel that agrees
    is often an ulp off its score (weights 0.35, 0.3, 0.15, 1.1, 0.7 of 90 give 90.00000000000001),
    which would move a unanimous panel at a cut-off to the other tier; this form gives it exactly."""
    first = scores[rows[0]]
    total = 0.0
    weight = weights[rows[0]]
    for k in range(1, rows.shape[0]):
        total += weights[rows[k]] * (scores[rows[k]] - first)
        weight += weights[rows[k]]
    return first + total / weight


@njit(nogil=True, cache=True)
def group_rows(group, n_groups, scores, weights, override, method):
    """group[r] ∈ [0, n_groups) per row; scores[s, r]; weights[r] (read by WEIGHTED_MEAN only: a
    positive finite number per row, else any array); override[r] (-1: none); method MEAN,
    WEIGHTED_MEAN, MIN, MAX or MEDIAN.

    Returns (combined[s, g], rows[g], first[g], group_override[g]).
    """
    n = group.shape[0]
    n_scores = scores.shape[0]
    rows = np.zeros(n_groups, dtype=np.int64)
    first = np.full(n_groups, -1, dtype=np.int64)
    group_override = np.full(n_groups, -1, dtype=np.int64)
    for r in range(n):
        g = group[r]
        rows[g] += 1
        if first[g] < 0:
            first[g] = r
        o = override[r]
        if o >= 0 and (group_override[g] < 0 or o < group_override[g]):
            group_override[g] = o

    # the rows of each group, contiguous and in input order (a counting sort)
    start = np.zeros(n_groups + 1, dtype=np.int64)
    for g in range(n_groups):
        start[g + 1] = start[g] + rows[g]
    filled = start[:-1].copy()
    members = np.empty(n, dtype=np.int64)
    for r in range(n):
        members[filled[group[r]]] = r
        filled[group[r]] += 1

    combined = np.empty((n_scores, n_groups))
    for s in range(n_scores):
        for g in range(n_groups):
            lo, hi = start[g], start[g + 1]
            if _any_null(scores[s], members[lo:hi]):
                combined[s, g] = np.nan
                continue
            if method == MEDIAN:
                ordered = np.sort(scores[s, members[lo:hi]])
                middle = (hi - lo) // 2
                if (hi - lo) % 2 == 1:
                    combined[s, g] = ordered[middle]
                else:
                    combined[s, g] = (ordered[middle - 1] + ordered[middle]) / 2.0
                continue
            if method == WEIGHTED_MEAN:
                combined[s, g] = _weighted_mean(scores[s], weights, members[lo:hi])
                continue
            acc = scores[s, members[lo]]
            for k in range(lo + 1, hi):
                x = scores[s, members[k]]
                if method == MEAN:
                    acc += x
                elif method == MIN:
                    acc = min(acc, x)
                elif method == MAX:
                    acc = max(acc, x)
            combined[s, g] = acc / (hi - lo) if method == MEAN else acc
    return combined, rows, first, group_override

