"""`tierline explain`: one entity's component points, score, override, tier, reasons and errors.

`explain` decides every row exactly as `tierline run` does, by running run's own steps: the same
partitions, the same validation suite and mode (default `fast`), learned over the whole register
first as run learns it (the values a `unique` check finds repeated anywhere, GX's whole-column
`unique` verdicts, the valid values a quantile tiering ranks, the values and groups of ranks
within groups, the entities an aggregating scorecard forms: run's own passes, `tierline.pipeline.passes.learn_register`), and then the
same task function (`tierline.pipeline.task.validated`) on each partition that holds the key.
So a row `run` quarantines is shown quarantined with the same codes, and a row it scores is shown
with the tier it is written under. `--json` prints one JSON object per matching row instead of the
tables (see `row_record`).
"""

from __future__ import annotations

import json
import math
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tierline.pipeline.aggregate import Entities, rows_compiled
from tierline.compiler import Compiled, compile_scorecard
from tierline.pipeline.encode import Evaluation
from tierline.pipeline.inputs import read_partition, resolve_inputs
from tierline.pipeline.outputs import error_lists
from tierline.pipeline.partitions import Partition, plan_partitions
from tierline.pipeline.register import check_register
from tierline.tools.calls import call_values, expressions_with_calls
from tierline.tools.summary import unwrapped
from tierline.pipeline.passes import UniqueStrategy, learn_register, unique_strategy
from tierline.pipeline.task import Shared, validated
from tierline.pipeline.validate import VALIDATION_MODES, plan_validation
from tierline.errors import InputError, UsageError
from tierline.scorecard.load import load_scorecard


@dataclass(eq=False)  # compared by identity: the rows of one partition
class Matches:
    """The rows of one partition that carry a wanted key, and run's evaluation of them."""

    partition: Partition
    positions: np.ndarray  # in the partition
    rows: pa.Table
    evaluation: Evaluation  # of these rows (an aggregating scorecard's: of the rows, untiered)
    entity: np.ndarray  # aggregate: each row's entity, -1 for a row quarantined on its own


@dataclass(frozen=True)
class Row:
    """One matching row: the `i`-th of `matches`, whose key is `key`."""

    matches: Matches
    i: int
    key: Any


def explain(scorecard_path: str, inputs: Sequence[str], keys: str | Sequence[str], console: Console | None = None,
            validation: str = "fast", as_json: bool = False) -> int:
    """Show how the rows with each of `keys` are scored: tables, or with `as_json` one JSON object a row."""
    if validation not in VALIDATION_MODES:
        raise UsageError(f"--validation must be one of {', '.join(VALIDATION_MODES)}")
    keys = [keys] if isinstance(keys, str) else list(keys)
    console = unwrapped(console or Console())
    scorecard = load_scorecard(scorecard_path)
    files = resolve_inputs(list(inputs))
    if not sum(f.num_rows for f in files):
        raise InputError(f"{', '.join(inputs)}: the input holds no rows")
    compiled = compile_scorecard(scorecard)
    check_register(compiled, files)
    typed = _typed_keys(keys, files[0].schema.field(scorecard.key).type)
    wanted = pa.array(list(dict.fromkeys(typed)), type=_decoded_type(files[0].schema.field(scorecard.key).type))
    partitions = plan_partitions(files)
    plan, compiled = plan_validation(compiled, validation, files[0].schema)
    shared = _learned_from_register(Shared(compiled, plan), partitions)
    found = [m for m in _each(lambda p: _matches(shared, p, wanted), partitions) if m is not None]
    by_key = _rows_by_key(found, scorecard.key, wanted)
    missing = [key for key, value in zip(keys, typed) if not by_key.get(value)]
    if missing:
        more = f" (and {len(missing) - 1} more of the keys asked for)" if len(missing) > 1 else ""
        raise InputError(f"no row has {scorecard.key} = {missing[0]!r} in {', '.join(inputs)}{more}")
    if as_json:
        for rows in by_key.values():
            for row in rows:
                # plain print: rich would wrap on a terminal and read `:name:` as an emoji
                print(json.dumps(row_record(shared, row), ensure_ascii=False), file=console.file)
        return 0
    if shared.ranks is not None:
        console.print(f"quantiles over {len(shared.ranks.population):,} valid entities (after --validation {validation})")
    if shared.group_ranks is not None:
        console.print(f"ranks within groups over {len(shared.group_ranks.tables.values):,} counted values "
                      f"(after --validation {validation})")
    for key, rows in by_key.items():
        if scorecard.aggregate is not None:
            _print_entity(shared, rows, key, console)
            continue
        for row in rows:
            evaluation = row.matches.evaluation
            errors = error_lists(compiled, evaluation.errors[:, [row.i]]).to_pylist()[0]
            console.print(_points_table(compiled, row.matches.rows, evaluation, [row.i], f"{scorecard.key} = {key}"))
            _print_scores(compiled, evaluation, row.i, console)
            _print_ranks(compiled, evaluation, row.i, errors, console)
            _print_outcome(compiled, evaluation, row.i, errors, console)
    return 0


def _rows_by_key(found: list[Matches], key_column: str, wanted: pa.Array) -> dict[Any, list[Row]]:
    """The matching rows grouped by key, keys in the order asked, rows in input order."""
    by_key: dict[Any, list[Row]] = {value: [] for value in wanted.to_pylist()}
    for matches in found:
        for i, value in enumerate(_decoded(matches.rows.column(key_column)).to_pylist()):
            by_key[value].append(Row(matches, i, value))
    return by_key


# --- what run learns from the whole register before it scores --------------------------------------


def _learned_from_register(plan: Shared, partitions: list[Partition]) -> Shared:
    """The `Shared` of run's scoring pass: what `run` gathers from every partition before it."""
    strategy = unique_strategy(plan.validation, plan.compiled.scorecard)
    if strategy is UniqueStrategy.HASHES_WHILE_SCORING:  # explain scores once: the duplicates come first
        strategy = UniqueStrategy.HASHES_FIRST
    with tempfile.TemporaryDirectory(prefix="tierline-explain-") as scratch:
        return learn_register(_each_partition, plan, partitions, strategy, Path(scratch) / "hashes").scoring


def _each_partition(function: Callable[..., Any], shared: Shared, partitions: Sequence[Partition],
                    extra: tuple = (), what: str | None = None) -> list[Any]:
    """run's passes on threads (`tierline.pipeline.passes.PartitionMap`), without progress."""
    return _each(lambda p: function(shared, p, *extra), partitions)


def _each(function: Callable[[Partition], Any], partitions: Sequence[Partition]) -> list[Any]:
    """`function` over every partition on threads (the kernels release the GIL), in partition order."""
    with ThreadPoolExecutor() as pool:
        return list(pool.map(function, partitions))


def _matches(shared: Shared, partition: Partition, wanted: pa.Array) -> Matches | None:
    """The wanted keys' rows in one partition, evaluated on the whole partition as run's task does."""
    key = shared.compiled.scorecard.key
    hits = pc.is_in(_decoded(read_partition(partition, [key]).column(key)), value_set=wanted)
    positions = np.flatnonzero(pc.fill_null(hits, False).to_numpy(zero_copy_only=False))
    if not len(positions):
        return None
    table = read_partition(partition, None)
    evaluation, _ = validated(shared, partition, table)
    entity = np.full(len(positions), -1, dtype=np.int64)
    if shared.grouping is not None:  # each valid row's entity, from the fates of run's grouping
        valid = np.flatnonzero(~evaluation.invalid)
        place = np.searchsorted(valid, positions)
        is_valid = place < len(valid)
        is_valid[is_valid] = valid[place[is_valid]] == positions[is_valid]
        entity[is_valid] = shared.grouping.fates[partition.index].entity[place[is_valid]]
    return Matches(partition, positions, table.take(pa.array(positions)), _subset(evaluation, positions), entity)


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return column.cast(_decoded_type(column.type))


def _decoded_type(type_: pa.DataType) -> pa.DataType:
    return type_.value_type if pa.types.is_dictionary(type_) else type_


def _subset(evaluation: Evaluation, positions: np.ndarray) -> Evaluation:
    return Evaluation(values=evaluation.values[:, positions], points=evaluation.points[:, positions],
                      tier=evaluation.tier[positions], override=evaluation.override[positions],
                      reasons=evaluation.reasons[:, positions], errors=evaluation.errors[:, positions])


def _typed_keys(values: Sequence[str], type_: pa.DataType) -> list[Any]:
    """Each key asked for as a value of the key column's type."""
    value_type = _decoded_type(type_)
    typed = []
    for value in values:
        try:
            typed.append(pc.cast(pa.scalar(value), value_type).as_py())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise InputError(f"--key {value!r} cannot be read as the key column's type {type_}") from None
    return typed


# --- --json ---------------------------------------------------------------------------------------


def row_record(shared: Shared, row: Row) -> dict[str, Any]:
    """One matching row as `--json` prints it.

    `key` is the row's key value, `input` and `row` (0-based, in that file) say which row; `quarantined` and `errors` (the codes
    of its `errors` column in the quarantine) what run does with it; for a scored row `tier`,
    `label`, `rank`, `override`, `reasons`, and the action and derived values of its output row
    (null for a quarantined one, whose `override` is still the one that held; `reasons` is null too
    with `output: {reasons: false}`); `calls`: for each condition or derived column that calls
    functions ("override <name>", "rule <n> (<tier>)", "derived <name>"), each call's text and value
    (null for a quarantined row). `scores` (by output column), `points` (by component) and `other`
    (the components whose map gave the row its `other` points) are the row's own. An aggregating scorecard's row adds
    `entity`: the group's `rows` and combined `scores`, whose tier the row's fields then show; a
    weighted mean's row adds its own `weight` (null when it has none).
    """
    compiled = shared.compiled
    matches, i = row.matches, row.i
    partition, position = matches.partition, int(matches.positions[i])
    row_errors = error_lists(compiled, matches.evaluation.errors[:, [i]]).to_pylist()[0]
    record: dict[str, Any] = {"key": _json_value(row.key), "input": partition.path,
                              "row": partition.first_row + position}
    record.update(_scores_and_points(compiled, matches.evaluation, i))
    if compiled.plan.weight_slot >= 0:
        record["weight"] = _number(float(matches.evaluation.values[compiled.plan.weight_slot, i]))
    outcome, column, errors = matches.evaluation, i, row_errors
    if shared.grouping is not None and matches.entity[i] >= 0:
        entities: Entities = shared.grouping.entities
        outcome, column = entities.evaluation, int(matches.entity[i])
        errors = error_lists(compiled, outcome.errors[:, [column]]).to_pylist()[0]
        record["entity"] = {"rows": int(entities.rows[column]),
                            "scores": _scores_and_points(compiled, outcome, column)["scores"]}
    if compiled.scorecard.ranks:  # an aggregated row shows its entity's ranks, as it shows its tier
        record["ranks"] = _ranks(compiled, outcome, column, errors)
    record.update(_outcome(compiled, outcome, column, errors))
    return record


def _json_value(value: Any) -> Any:
    """A key as JSON holds it: dates and times in ISO form, bytes as text."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def _scores_and_points(compiled: Compiled, evaluation: Evaluation, i: int) -> dict[str, Any]:
    slot = compiled.slot_of
    scorecard = compiled.scorecard
    return {"scores": {s.output_column: _number(float(evaluation.values[slot[s.name], i])) for s in scorecard.scores},
            "points": {c.name: _number(float(evaluation.points[n, i])) for n, c in enumerate(scorecard.components)},
            "other": [c.name for n, c in enumerate(scorecard.components) if took_other(compiled, evaluation, n, i)]}


def took_other(compiled: Compiled, evaluation: Evaluation, c: int, i: int) -> bool:
    """Whether component `c` gave row `i` its map's `other` points: the input holds a value the map
    does not list. Read as the kernel reads it, from the encoded value and the compiled map keys."""
    component = compiled.scorecard.components[c]
    if component.other is None:
        return False
    plan = compiled.plan
    x = float(evaluation.values[compiled.slot_of[component.input], i])
    keys = plan.table_lo[plan.comp_table_start[c]:plan.comp_table_start[c + 1]]
    return not math.isnan(x) and not bool(np.any(keys == x))


def _ranks(compiled: Compiled, evaluation: Evaluation, i: int, errors: list[str]) -> dict[str, int | None]:
    """The row's ranks within groups (SPEC §2.4a); null for a quarantined row, which is not ranked."""
    slot = compiled.slot_of
    values = {r.name: float(evaluation.values[slot[r.name], i]) for r in compiled.scorecard.ranks}
    return {name: None if errors or math.isnan(value) else int(value) for name, value in values.items()}


def _outcome(compiled: Compiled, evaluation: Evaluation, i: int, errors: list[str]) -> dict[str, Any]:
    scorecard = compiled.scorecard
    o = int(evaluation.override[i])
    record: dict[str, Any] = {"quarantined": bool(errors), "errors": errors,
                              "override": scorecard.overrides[o].name if o >= 0 else None,
                              "tier": None, "label": None, "rank": None, "reasons": None, "actions": None,
                              "derived": None, "calls": None}
    t = int(evaluation.tier[i])
    if errors or t < 0:
        return record
    slot = compiled.slot_of
    tier = scorecard.tiers[t]
    record.update(tier=tier.code, label=tier.label, rank=tier.rank,
                  reasons=_reasons(scorecard, evaluation, i) if scorecard.output.reasons else None,
                  actions={a.name: a.values[t] for a in scorecard.actions},
                  derived={d.name: _derived_value(d, float(evaluation.values[slot[d.name], i]))
                           for d in scorecard.derived},
                  calls={where: {c.text: c.value for c in call_values(compiled, expression, evaluation.values, i)}
                         for where, expression in expressions_with_calls(scorecard)})
    return record


def _reasons(scorecard: Any, evaluation: Evaluation, i: int) -> list[str]:
    return [scorecard.components[r].name for r in evaluation.reasons[:, i] if r >= 0]


def _derived_value(derived: Any, value: float) -> float | bool | str | None:
    if math.isnan(value):
        return None
    if derived.is_text:
        return derived.text_of(value)
    return value == 1.0 if derived.expression.type == "bool" else value


# --- the tables ---------------------------------------------------------------------------------


def _format(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    return f"{value:g}"


def _points_table(compiled: Compiled, rows: pa.Table, evaluation: Evaluation, indexes: list[int], title: str,
                  first_row: int = 1) -> Table:
    scorecard = compiled.scorecard
    slot = compiled.slot_of
    table = Table(title=escape(f"{scorecard.name} v{scorecard.version} · {title}"))
    if not scorecard.components:  # tiers from inputs or rules alone: show the inputs they read
        table.add_column("input")
        table.add_column("value")
        for i in indexes:
            for name in scorecard.input_names:
                table.add_row(name, escape(repr(rows.column(name)[i].as_py())))
        return table
    columns = (["row"] if len(indexes) > 1 or scorecard.aggregate else []) + [
        "score", "component", "input", "value", "points", "weight", "weighted"]
    for column in columns:
        table.add_column(column, justify="right" if column in ("points", "weight", "weighted") else "left")
    for n, i in enumerate(indexes):
        record = {name: rows.column(name)[i].as_py() for name in scorecard.input_names}
        row = [str(first_row + n)] if columns[0] == "row" else []
        for c, component in enumerate(scorecard.components):
            points = float(evaluation.points[c, i])
            shown = _format(points) + (" (other)" if took_other(compiled, evaluation, c, i) else "")
            cells = [component.score, component.name, component.input, escape(repr(record[component.input])),
                     shown, f"{component.weight:g}", _format(points * component.weight)]
            table.add_row(*row, *cells)
        for score in scorecard.scores:
            if score.base is not None:  # added to the sum of the weighted points, before rounding
                table.add_row(*row, score.name, "base", "", "", "", "", _format(score.base))
        if columns[0] == "row":
            for score in scorecard.scores:
                table.add_row(str(first_row + n), score.name, f"({score.combine})", "", "",
                              _format(float(evaluation.values[slot[score.name], i])), "", "", style="bold")
    return table


def _print_scores(compiled: Compiled, evaluation: Evaluation, i: int, console: Console, how: str = "") -> None:
    slot = compiled.slot_of
    for score in compiled.scorecard.scores:
        base = "" if score.base is None or how else f" + base {score.base:g}"  # an entity's: the rows' mean
        rounding = "" if score.round is None else f", round {score.round}"
        console.print(f"{score.output_column} ({how or score.combine}{base}{rounding}) = "
                      f"{_format(float(evaluation.values[slot[score.name], i]))}")


def _print_ranks(compiled: Compiled, evaluation: Evaluation, i: int, errors: list[str], console: Console) -> None:
    ranks = _ranks(compiled, evaluation, i, errors)
    for rank in compiled.scorecard.ranks:
        value = ranks[rank.name]
        console.print(f"{rank.name} = {'null' if value is None else value}  (RANK() by {rank.by} {rank.order} "
                      f"within {', '.join(rank.within)}, over the whole register)", markup=False)


def _print_outcome(compiled: Compiled, evaluation: Evaluation, i: int, errors: list[str], console: Console) -> None:
    scorecard = compiled.scorecard
    slot = compiled.slot_of
    o = int(evaluation.override[i])
    held = f"{scorecard.overrides[o].name} ({scorecard.overrides[o].when.text})" if o >= 0 else "none"
    console.print(f"override: {escape(held)}")
    t = int(evaluation.tier[i])
    if errors:
        console.print(f"[bold red]invalid[/]: quarantined with {', '.join(errors)}")
    elif t >= 0:
        tier = scorecard.tiers[t]
        console.print(f"tier: [bold]{tier.code}[/] {escape(tier.label)} (rank {tier.rank})")
        if scorecard.output.reasons:
            reasons = _reasons(scorecard, evaluation, i)
            console.print(f"reasons: {', '.join(reasons) if reasons else 'none'}")
        else:
            console.print("reasons: not computed (output: {reasons: false})", markup=False)
        for action in scorecard.actions:
            value = action.values[t]
            console.print(f"{action.name}: {str(value).lower() if isinstance(value, bool) else value}", markup=False)
        for derived in scorecard.derived:
            value = float(evaluation.values[slot[derived.name], i])
            if derived.is_text:
                shown = derived.text_of(value) or "null"
            else:
                shown = (_format(value) if derived.expression.type != "bool" or math.isnan(value)
                         else "true" if value == 1.0 else "false")
            console.print(f"{derived.name} = {shown}  ({derived.expression.text})", markup=False)
        _print_calls(compiled, evaluation, i, console)


def _print_calls(compiled: Compiled, evaluation: Evaluation, i: int, console: Console) -> None:
    """Each function call's value in the conditions and derived columns that call functions."""
    for where, expression in expressions_with_calls(compiled.scorecard):
        console.print(f"calls in {where}:", markup=False)
        for call in call_values(compiled, expression, evaluation.values, i):
            shown = (_format(call.value) if isinstance(call.value, float) or call.value is None
                     else str(call.value).lower() if isinstance(call.value, bool) else call.value)
            console.print(f"  {call.text} = {shown}", markup=False)


def _row_weight_text(compiled: Compiled, evaluation: Evaluation, i: int) -> str:
    """A weighted mean's valid row: its weight, and its weighted score for each score."""
    weight = float(evaluation.values[compiled.plan.weight_slot, i])
    slot = compiled.slot_of
    terms = [f"{s.output_column} {_format(float(evaluation.values[slot[s.name], i]))} × {_format(weight)} = "
             f"{_format(weight * float(evaluation.values[slot[s.name], i]))}" for s in compiled.scorecard.scores]
    return f"{compiled.scorecard.aggregate.weight} = {_format(weight)}; " + ", ".join(terms)


def _weighted_sums_text(compiled: Compiled, valid_rows: list[Row], score: str) -> str:
    """Σ wᵢsᵢ / Σ wᵢ of one score over the entity's valid rows, added in input order as the kernel adds them."""
    score_slot = compiled.slot_of[score]
    total = weight = 0.0
    for row in valid_rows:
        w = float(row.matches.evaluation.values[compiled.plan.weight_slot, row.i])
        total += w * float(row.matches.evaluation.values[score_slot, row.i])
        weight += w
    name = compiled.scorecard.aggregate.weight
    return f"weighted_mean of the rows: Σ {name} × {score} / Σ {name} = {_format(total)} / {_format(weight)}"


def _print_entity(shared: Shared, rows: list[Row], key: Any, console: Console) -> None:
    """An aggregating scorecard: every row of the entity, then the group's outcome (SPEC §2.3)."""
    compiled = shared.compiled
    scorecard = compiled.scorecard
    rows_plan = rows_compiled(compiled)
    shown = 0
    for matches in dict.fromkeys(row.matches for row in rows):  # its partitions, in input order
        indexes = [row.i for row in rows if row.matches is matches]
        errors = error_lists(compiled, matches.evaluation.errors[:, indexes]).to_pylist()
        console.print(_points_table(rows_plan, matches.rows, matches.evaluation, indexes,
                                    f"{scorecard.key} = {key} in {matches.partition.path}", first_row=shown + 1))
        for n, row_errors in enumerate(errors):
            if row_errors:
                console.print(f"row {shown + n + 1}: [bold red]invalid[/], quarantined with {', '.join(row_errors)}; "
                              "it leaves the group")
            elif compiled.plan.weight_slot >= 0:
                console.print(f"row {shown + n + 1}: {escape(_row_weight_text(compiled, matches.evaluation, indexes[n]))}")
        shown += len(indexes)
    entity = next((int(row.matches.entity[row.i]) for row in rows if row.matches.entity[row.i] >= 0), -1)
    if entity < 0:
        console.print("no valid row: the entity is not scored")
        return
    entities: Entities = shared.grouping.entities
    aggregate = scorecard.aggregate
    outcome = entities.evaluation
    weighted = f" of {aggregate.weight}" if aggregate.weight else ""
    console.print(f"entity: {int(entities.rows[entity])} valid rows, scores combined by {aggregate.method}{weighted}"
                  f"{' (odd_count)' if aggregate.odd_count else ''}")
    if aggregate.weight:
        valid_rows = [row for row in rows if row.matches.entity[row.i] >= 0]
        for score in scorecard.scores:
            console.print(f"{score.output_column} ({_weighted_sums_text(compiled, valid_rows, score.name)}) = "
                          f"{_format(float(outcome.values[compiled.slot_of[score.name], entity]))}")
    else:
        _print_scores(compiled, outcome, entity, console, how=f"{aggregate.method} of the rows")
    errors = error_lists(compiled, outcome.errors[:, [entity]]).to_pylist()[0]
    _print_ranks(compiled, outcome, entity, errors, console)
    _print_outcome(compiled, outcome, entity, errors, console)
