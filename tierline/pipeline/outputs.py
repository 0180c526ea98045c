"""Turn one partition's kernel results into the output tables of SPEC §4 (vectorised Arrow).

Scored rows: passthrough columns, scores, `points_<component>`, tier_rank, tier_label, override,
reasons, rank (int32), action and derived columns, scorecard, scorecard_version, run_id (`output: {points: false}`
leaves out the points columns, `output: {reasons: false}` the reasons column). Invalid rows go to the
quarantine unchanged, plus `errors` (list<string>, in error-table order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from tierline.compiler import Compiled
from tierline.kernels.errorbits import rows_with_error
from tierline.pipeline.encode import Evaluation
from tierline.scorecard.model import Derived
from tierline.scorecard.columns import (
    GROUP_ROWS, OVERRIDE, QUARANTINE_ERRORS, REASONS, RUN_ID, SCORECARD, SCORECARD_VERSION, TIER_LABEL, TIER_RANK,
)

_ACTION_TYPES = {"string": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
_TIER_FIELDS = [pa.field(TIER_RANK, pa.int16()), pa.field(TIER_LABEL, pa.string()), pa.field(OVERRIDE, pa.string())]
_REASONS_FIELD = pa.field(REASONS, pa.list_(pa.string()))
_RUN_FIELDS = [pa.field(SCORECARD, pa.string()), pa.field(SCORECARD_VERSION, pa.int32()),
               pa.field(RUN_ID, pa.string())]


def generated_columns(compiled: Compiled) -> list[str]:
    """Names of every column tierline adds to a scored row (for clash checks)."""
    return output_schema(compiled, pa.schema([])).names


def output_schema(compiled: Compiled, passthrough_schema: pa.Schema) -> pa.Schema:
    sc = compiled.scorecard
    fields = list(passthrough_schema)
    if sc.aggregate is not None:
        fields.append(pa.field(GROUP_ROWS, pa.int64()))
    fields += [pa.field(s.output_column, pa.float64()) for s in sc.scores]
    fields += [pa.field(c.output_column, pa.float64()) for c in sc.components if sc.output.points]
    fields += _TIER_FIELDS + ([_REASONS_FIELD] if sc.output.reasons else [])
    fields += [pa.field(r.name, pa.int32()) for r in sc.ranks]
    fields += [pa.field(a.name, _ACTION_TYPES[a.type]) for a in sc.actions]
    fields += [pa.field(d.name, _derived_type(d)) for d in sc.derived]
    fields += _RUN_FIELDS
    return pa.schema(fields)


def _derived_type(derived: Derived) -> pa.DataType:
    if derived.is_text:
        return pa.string()
    return pa.bool_() if derived.expression.type == "bool" else pa.float64()


def _derived_column(derived: Derived, values: np.ndarray) -> pa.Array:
    """A derived column's output from its slot values (a text column's: the number of its item)."""
    if derived.is_text:  # item numbers 1…n, null where no item held
        texts = pa.array([c.value for c in derived.choices], type=pa.string())
        return texts.take(pa.array(np.nan_to_num(values).astype(np.int32) - 1, mask=np.isnan(values)))
    if derived.expression.type == "bool":
        return pa.array(values == 1.0, mask=np.isnan(values))
    return _float_column(values)


def _float_column(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.float64(), from_pandas=True)  # NaN → null


def _list_of_names(index: np.ndarray, names: list[str]) -> pa.Array:
    """A list<string> column from a (k × rows) matrix of name indexes, -1 meaning none."""
    present = index >= 0
    counts = present.sum(axis=0)
    offsets = np.zeros(index.shape[1] + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    flat = index.T[present.T]  # row-major: each row's names in order
    values = pa.array(names, type=pa.string()).take(pa.array(flat.astype(np.int32)))
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def _constant(value: object, type_: pa.DataType, n: int) -> pa.Array:
    return pa.array([value], type=type_).take(pa.array(np.zeros(n, dtype=np.int32)))


def error_lists(compiled: Compiled, errors: np.ndarray) -> pa.Array:
    """list<string> of the error codes set in each column of `errors` (words × rows)."""
    n_codes = len(compiled.error_codes)
    bits = np.empty((n_codes, errors.shape[1]), dtype=np.int16)
    for code in range(n_codes):
        bits[code] = np.where(rows_with_error(errors, code), code, -1)
    return _list_of_names(bits, list(compiled.error_codes))


@dataclass
class PartitionOutput:
    scored: pa.Table  # rows grouped by tier (tier-table order), stable within a tier
    tier_bounds: list[tuple[int, int, int]]  # (tier index, first row, end row) in `scored`
    quarantine: pa.Table


def build_outputs(compiled: Compiled, table: pa.Table, evaluation: Evaluation, run_id: str,
                  passthrough: list[str], group_rows: np.ndarray | None = None) -> PartitionOutput:
    """`group_rows`: for an aggregating scorecard, each row's group size (its `rows` column)."""
    sc = compiled.scorecard
    invalid = evaluation.invalid
    valid_rows = np.flatnonzero(~invalid)
    tiers = evaluation.tier[valid_rows]
    order = np.argsort(tiers, kind="stable")
    rows = valid_rows[order]
    tiers = tiers[order]
    n = len(rows)
    take = pa.array(rows.astype(np.int64))

    columns: list[pa.Array | pa.ChunkedArray] = [table.column(name).take(take) for name in passthrough]
    if sc.aggregate is not None:
        assert group_rows is not None, "an aggregating scorecard's rows need their group sizes"
        columns.append(pa.array(group_rows[rows].astype(np.int64)))
    slot = compiled.slot_of
    for score in sc.scores:
        columns.append(_float_column(evaluation.values[slot[score.name], rows]))
    for c in range(len(sc.components) if sc.output.points else 0):
        columns.append(_float_column(evaluation.points[c, rows]))
    tier_index = pa.array(tiers.astype(np.int32))
    columns.append(pa.array((tiers + 1).astype(np.int16)))  # the tier table is in rank order
    columns.append(pa.array([t.label for t in sc.tiers], type=pa.string()).take(tier_index))
    override = evaluation.override[rows]
    override_names = pa.array([o.name for o in sc.overrides] or [""], type=pa.string())
    columns.append(override_names.take(pa.array(override.astype(np.int32), mask=override < 0)))
    if sc.output.reasons:
        columns.append(_list_of_names(evaluation.reasons[:, rows], [c.name for c in sc.components]))
    for rank in sc.ranks:  # whole numbers below 2³¹ (a rank is at most the register's row count)
        values = evaluation.values[slot[rank.name], rows]
        columns.append(pa.array(np.nan_to_num(values).astype(np.int32), mask=np.isnan(values)))
    for action in sc.actions:
        columns.append(pa.array(list(action.values), type=_ACTION_TYPES[action.type]).take(tier_index))
    for derived in sc.derived:
        columns.append(_derived_column(derived, evaluation.values[slot[derived.name], rows]))
    columns.append(_constant(sc.name, pa.string(), n))
    columns.append(_constant(sc.version, pa.int32(), n))
    columns.append(_constant(run_id, pa.string(), n))
    schema = output_schema(compiled, pa.schema([table.schema.field(name) for name in passthrough]))
    scored = pa.Table.from_arrays(columns, schema=schema)

    bounds = []
    if n:
        present = np.unique(tiers)
        starts = np.searchsorted(tiers, present, side="left")
        ends = np.searchsorted(tiers, present, side="right")
        bounds = [(int(t), int(s), int(e)) for t, s, e in zip(present, starts, ends)]

    invalid_rows = np.flatnonzero(invalid)
    quarantine = table.take(pa.array(invalid_rows.astype(np.int64)))
    quarantine = quarantine.append_column(QUARANTINE_ERRORS, error_lists(compiled, evaluation.errors[:, invalid_rows]))
    return PartitionOutput(scored=scored, tier_bounds=bounds, quarantine=quarantine)
