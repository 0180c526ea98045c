"""Ranks within groups (SPEC §2.4a), exact over the whole register like quantile tiers.

1. keys (`rank_keys`, one task per partition, before scoring): for every rank, the value each
   counted row ranks by and its `within` values, dictionary-encoded per partition. A row counts
   when it passed validation and every component (the errors of the rows plan: tier errors do not
   count, since rules may read the rank) and its value is not null.
2. tables (`group_ranks`, in the client): the partitions' dictionaries merged into one per
   `within` column, so equal values (null equal to null, as in SQL PARTITION BY) get one group
   everywhere; several columns combine into one group number, column by column. The values are
   sorted by group, then value (`tierline.kernels.ranks.RankTables`).
3. scoring (`rank_tables`, in each scoring task): every row's group looked up in those
   dictionaries; the kernel finds the rank by binary search in the group's slice.

Memory: the client holds one float64 and one group number per counted row and rank, plus the
distinct `within` values, as a quantile tiering holds its values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierline.compiler import Compiled
from tierline.kernels.ranks import RankTables, no_rank_tables
from tierline.pipeline.encode import Evaluation
from tierline.scorecard.model import Input, Rank

_TIME_TYPES = {"date": pa.date32(), "timestamp": pa.timestamp("us")}
_VALUE_TYPES = {"number": pa.float64(), "text": pa.string(), "bool": pa.bool_()}


def within_values(spec: Input, column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One `within` column as every partition encodes it alike: one Arrow type per input (numbers
    float64, so 1 and 1.0 are one group; NaN is null) and its `default` in place of null."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    target = _TIME_TYPES.get(spec.type) or _VALUE_TYPES[spec.value_type]
    column = column.cast(target, safe=False)
    if pa.types.is_floating(target):  # NaN is null (SPEC §2.1); + 0.0 makes -0.0 the group of 0.0
        column = pc.add(pc.if_else(pc.is_nan(column), pa.scalar(None, target), column), 0.0)
    if spec.default is not None:
        column = pc.fill_null(column, pa.scalar(spec.default).cast(target))
    return column


@dataclass(frozen=True, eq=False)
class RankKeys:
    """Pass 1 of one partition and one rank: its counted rows' values and `within` values."""

    values: np.ndarray  # float64, per counted row
    within: tuple[tuple[pa.Array, np.ndarray], ...]  # per within column: (dictionary, int32 index per row)


def rank_keys(compiled: Compiled, table: pa.Table, evaluation: Evaluation) -> tuple[RankKeys, ...]:
    """The counted rows of one partition (evaluated by the rows plan, validation applied)."""
    return counted_keys(compiled, table, evaluation.values, ~evaluation.invalid)


def counted_keys(compiled: Compiled, table: pa.Table, values: np.ndarray, counted: np.ndarray) -> tuple[RankKeys, ...]:
    """Every rank's keys of the `counted` rows of `table` (`values`: their slots × rows)."""
    scorecard = compiled.scorecard
    keys = []
    for rank in scorecard.ranks:
        by = values[compiled.slot_of[rank.by]]
        rows = pa.array(np.flatnonzero(counted & ~np.isnan(by)))
        within = []
        for column in rank.within:
            encoded = pc.dictionary_encode(within_values(scorecard.input(column), table.column(column).take(rows)),
                                           null_encoding="encode")
            within.append((encoded.dictionary, encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)))
        keys.append(RankKeys(by[rows.to_numpy()], tuple(within)))
    return tuple(keys)


def within_columns(compiled: Compiled) -> list[str]:
    """The inputs some rank groups by, in input order."""
    used = {column for rank in compiled.scorecard.ranks for column in rank.within}
    return [name for name in compiled.scorecard.input_names if name in used]


@dataclass(frozen=True, eq=False)
class RankGroups:
    """How one rank numbers its groups: a dictionary per `within` column, and for each column after
    the first the sorted (group so far × column value) pairs that occur, whose positions are the
    new group numbers (so the numbers stay below the count of counted rows)."""

    dictionaries: tuple[pa.Array, ...]
    pairs: tuple[np.ndarray, ...]

    def combine(self, codes: Sequence[np.ndarray]) -> np.ndarray:
        """Per row, its group from its codes in each dictionary (-1: a value in none, so no group)."""
        group = codes[0]
        for column, pairs in enumerate(self.pairs, start=1):
            pair = group * len(self.dictionaries[column]) + codes[column]
            at = np.searchsorted(pairs, pair)
            hit = at < len(pairs)
            hit[hit] = pairs[at[hit]] == pair[hit]
            group = np.where(hit & (group >= 0) & (codes[column] >= 0), at, -1)
        return group


@dataclass(frozen=True, eq=False)
class GroupRanks:
    """What the scoring tasks rank against: per rank its groups, and the kernel's sorted values."""

    groups: tuple[RankGroups, ...]
    tables: RankTables  # `group` left empty: each task fills in its rows' groups


def _merged(pieces: Sequence[tuple[pa.Array, np.ndarray]], kind: pa.DataType) -> tuple[pa.Array, list[np.ndarray]]:
    """One dictionary for a column across partitions, and each partition's rows' codes in it."""
    dictionary = pc.unique(pa.concat_arrays([d for d, _ in pieces])) if pieces else pa.array([], kind)
    codes = []
    for local, index in pieces:
        mapping = pc.index_in(local, value_set=dictionary).to_numpy(zero_copy_only=False).astype(np.int64)
        codes.append(mapping[index])
    return dictionary, codes


def _groups(rank: Rank, compiled: Compiled, partitions: Sequence[RankKeys]) -> tuple[RankGroups, np.ndarray]:
    dictionaries, pairs, group = [], [], None
    for column, name in enumerate(rank.within):
        kind = within_values(compiled.scorecard.input(name), pa.array([], pa.null())).type
        dictionary, codes = _merged([p.within[column] for p in partitions], kind)
        code = np.concatenate(codes) if codes else np.zeros(0, np.int64)
        dictionaries.append(dictionary)
        if group is None:
            group = code
            continue
        pair = group * len(dictionary) + code
        pairs.append(np.unique(pair))
        group = np.searchsorted(pairs[-1], pair)
    return RankGroups(tuple(dictionaries), tuple(pairs)), group


def group_ranks(compiled: Compiled, partitions: Sequence[tuple[RankKeys, ...]]) -> GroupRanks:
    """Pass 2: every rank's groups and sorted values, from every partition's keys."""
    groups, first, starts, values, offset = [], [0], [], [], 0
    for r, rank in enumerate(compiled.scorecard.ranks):
        keys = [p[r] for p in partitions]
        numbering, group = _groups(rank, compiled, keys)
        ranked = np.concatenate([k.values for k in keys]) if keys else np.zeros(0)
        counts = np.bincount(group, minlength=int(group.max()) + 1 if len(group) else 0)
        starts.append(offset + np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))
        first.append(first[-1] + len(counts) + 1)
        values.append(ranked[np.lexsort((ranked, group))])
        groups.append(numbering)
        offset += len(ranked)
    tables = RankTables(group=np.zeros((0, 0), dtype=np.int64), first=np.asarray(first, dtype=np.int64),
                        start=np.concatenate(starts) if starts else np.zeros(0, np.int64),
                        values=np.concatenate(values) if values else np.zeros(0))
    return GroupRanks(tuple(groups), tables)


def rank_tables(compiled: Compiled, table: pa.Table, ranks: GroupRanks | None) -> RankTables:
    """The kernel's rank tables for one table's rows (every rank null before the ranks pass)."""
    scorecard = compiled.scorecard
    if ranks is None:
        return no_rank_tables(len(scorecard.ranks), table.num_rows)
    group = np.empty((len(scorecard.ranks), table.num_rows), dtype=np.int64)
    for r, (rank, numbering) in enumerate(zip(scorecard.ranks, ranks.groups)):
        codes = []
        for name, dictionary in zip(rank.within, numbering.dictionaries):
            found = pc.index_in(within_values(scorecard.input(name), table.column(name)), value_set=dictionary)
            codes.append(pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64))
        group[r] = numbering.combine(codes)
    return ranks.tables._replace(group=group)
