"""Ranks within groups (SPEC §2.4a): each row's rank from the register's sorted values of its group.

The pipeline (tierline.pipeline.ranks) gathers, before scoring, the value every valid row ranks
by, per rank and group, sorted; a row's rank is then 1 + the values of its group strictly better
than its own, found by binary search in the group's slice: O(log n) per row, no per-group work.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit


class RankTables(NamedTuple):
    """The register's ranked values as the kernel reads them (empty arrays: not known yet)."""

    group: np.ndarray  # ranks × rows, int64: each row's group (numbered per rank), -1 when it has none
    first: np.ndarray  # ranks + 1 offsets into `start`: rank r's groups are start[first[r]:first[r + 1]]
    start: np.ndarray  # per rank, its groups' offsets into `values` and then the end (groups + 1 each)
    values: np.ndarray  # per rank and group, the valid rows' values, sorted ascending


def no_rank_tables(n_ranks: int, n_rows: int) -> RankTables:
    """Before the ranks pass (or without ranks): every rank is null."""
    return RankTables(group=np.full((n_ranks, n_rows), -1, dtype=np.int64), first=np.zeros(0, dtype=np.int64),
                      start=np.zeros(0, dtype=np.int64), values=np.zeros(0))


@njit(nogil=True, cache=True)
def rank_rows(plan, values, tables, start, end):
    """values[rank slot] = 1 + the group's values strictly better (larger for desc, smaller for asc);
    null when the value ranked is null or the row has no group (it is not valid)."""
    known = tables.first.shape[0] > 0
    for r in range(plan.rank_slot.shape[0]):
        slot = plan.rank_slot[r]
        by = plan.rank_by_slot[r]
        desc = plan.rank_desc[r]
        for i in range(start, end):
            x = values[by, i]
            group = tables.group[r, i] if known else -1
            if np.isnan(x) or group < 0:
                values[slot, i] = np.nan
                continue
            at = tables.first[r] + group
            lo = tables.start[at]
            hi = tables.start[at + 1]
            ranked = tables.values[lo:hi]
            if desc:
                better = (hi - lo) - np.searchsorted(ranked, x, side="right")
            else:
                better = np.searchsorted(ranked, x, side="left")
            values[slot, i] = 1.0 + better
