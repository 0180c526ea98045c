"""`tierline explain`: one entity's component points, score, override, tier, reasons and errors.

It runs the same compiled kernels as `tierline run` on the matching rows, so what it shows is
what the batch job does.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

from pipeline.aggregate import group_entities, row_scores, rows_compiled
from pipeline.compile import Compiled, compile_scorecard, quantile_limits
from pipeline.encode import Evaluation, evaluate, tier_values
from pipeline.inputs import open_parquet, resolve_inputs
from pipeline.outputs import error_lists
from pipeline.register import check_register
from schemas.errors import InputError
from schemas.load import load_scorecard


def _typed_key(value: str, type_: pa.DataType) -> pa.Scalar:
    try:
        return pc.cast(pa.scalar(value), type_.value_type if pa.types.is_dictionary(type_) else type_)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise InputError(f"--key {value!r} cannot be read as the key column's type {type_}") from None


def _format(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    return f"{value:g}"


def explain(scorecard_path: str, inputs: list[str], key: str, console: Console | None = None) -> int:
    console = console or Console()
    scorecard = load_scorecard(scorecard_path)
    compiled = compile_scorecard(scorecard)
    files = resolve_inputs(inputs)
    check_register(compiled, files)
    key_type = files[0].schema.field(scorecard.key).type
    wanted = _typed_key(key, key_type)
    if scorecard.aggregate is not None:
        return _explain_entity(compiled, files, key, wanted, console)
    pieces, ranked = [], []
    quantiles = scorecard.tiering.kind == "quantiles"
    for f in files:
        with open_parquet(f.path) as parquet:
            table = parquet.read()
        if quantiles:  # ranks are global: the entity is ranked among the valid rows of every file
            ranked.append(tier_values(compiled, evaluate(compiled, table)))
        mask = pc.equal(table.column(scorecard.key), wanted)
        pieces.append(table.filter(mask))
    rows = pa.concat_tables(pieces) if pieces else None
    if rows is None or rows.num_rows == 0:
        raise InputError(f"no row has {scorecard.key} = {key!r} in {', '.join(inputs)}")
    population = limits = None
    if quantiles:
        population = np.sort(np.concatenate(ranked))
        limits = quantile_limits(scorecard, len(population))
        console.print(f"quantiles over {len(population):,} valid entities (the scorecard's own checks; "
                      "`run` also applies the validation suite)")
    evaluation = evaluate(compiled, rows, population, limits)
    errors = error_lists(compiled, evaluation.errors).to_pylist()
    for i in range(rows.num_rows):
        console.print(_points_table(compiled, rows, evaluation, [i], f"{scorecard.key} = {key}"))
        _print_scores(compiled, evaluation, i, console)
        _print_outcome(compiled, evaluation, i, errors[i], console)
    return 0


def _points_table(compiled: Compiled, rows: pa.Table, evaluation: Evaluation, indexes: list[int], title: str,
                  first_row: int = 1) -> Table:
    scorecard = compiled.scorecard
    slot = {name: i for i, name in enumerate(compiled.slot_names)}
    table = Table(title=f"{scorecard.name} v{scorecard.version} · {title}")
    if not scorecard.components:  # tiers from inputs or rules alone: show the inputs they read
        table.add_column("input")
        table.add_column("value")
        for i in indexes:
            for name in scorecard.input_names:
                table.add_row(name, repr(rows.column(name)[i].as_py()))
        return table
    columns = (["row"] if len(indexes) > 1 or scorecard.aggregate else []) + [
        "score", "component", "input", "value", "points", "weight", "weighted"]
    for column in columns:
        table.add_column(column, justify="right" if column in ("points", "weight", "weighted") else "left")
    for n, i in enumerate(indexes):
        record = {name: rows.column(name)[i].as_py() for name in scorecard.input_names}
        for c, component in enumerate(scorecard.components):
            points = float(evaluation.points[c, i])
            cells = [component.score, component.name, component.input, repr(record[component.input]),
                     _format(points), f"{component.weight:g}", _format(points * component.weight)]
            table.add_row(*([str(first_row + n)] if columns[0] == "row" else []), *cells)
        if columns[0] == "row":
            for score in scorecard.scores:
                table.add_row(str(first_row + n), score.name, f"({score.combine})", "", "",
                              _format(float(evaluation.values[slot[score.name], i])), "", "", style="bold")
    return table


def _print_scores(compiled: Compiled, evaluation: Evaluation, i: int, console: Console, how: str = "") -> None:
    slot = {name: i for i, name in enumerate(compiled.slot_names)}
    for score in compiled.scorecard.scores:
        rounding = "" if score.round is None else f", round {score.round}"
        console.print(f"{score.output_column} ({how or score.combine}{rounding}) = "
                         f"{_format(float(evaluation.values[slot[score.name], i]))}")


def _print_outcome(compiled: Compiled, evaluation: Evaluation, i: int, errors: list[str], console: Console) -> None:
    scorecard = compiled.scorecard
    slot = {name: i for i, name in enumerate(compiled.slot_names)}
    o = int(evaluation.override[i])
    console.print(f"override: {scorecard.overrides[o].name + ' (' + scorecard.overrides[o].when.text + ')' if o >= 0 else 'none'}")
    t = int(evaluation.tier[i])
    if errors:
        console.print(f"[bold red]invalid[/]: quarantined with {', '.join(errors)}")
    elif t >= 0:
        tier = scorecard.tiers[t]
        console.print(f"tier: [bold]{tier.code}[/] {tier.label} (rank {tier.rank})")
        reasons = [scorecard.components[r].name for r in evaluation.reasons[:, i] if r >= 0]
        console.print(f"reasons: {', '.join(reasons) if reasons else 'none'}")
        for action in scorecard.actions:
            value = action.values[t]
            console.print(f"{action.name}: {str(value).lower() if isinstance(value, bool) else value}")
        for derived in scorecard.derived:
            value = float(evaluation.values[slot[derived.name], i])
            shown = (_format(value) if derived.expression.type != "bool" or math.isnan(value)
                     else "true" if value == 1.0 else "false")
            console.print(f"{derived.name} = {shown}  ({derived.expression.text})")


def _explain_entity(compiled: Compiled, files: list, key: str, wanted: pa.Scalar, console: Console) -> int:
    """An aggregating scorecard: every row of the entity, then the group's outcome (SPEC §2.3). The
    whole register is grouped, as `run` groups it, so quantile ranks are among all entities."""
    scorecard = compiled.scorecard
    rows_plan = rows_compiled(compiled)
    passes, matches = [], []
    for f in files:
        with open_parquet(f.path) as parquet:
            table = parquet.read()
        evaluation = evaluate(rows_plan, table)
        passes.append(row_scores(compiled, table, evaluation))
        mask = pc.equal(table.column(scorecard.key), wanted).to_numpy(zero_copy_only=False)
        matches.append((table, evaluation, np.flatnonzero(mask)))
    if not any(len(found) for _, _, found in matches):
        raise InputError(f"no row has {scorecard.key} = {key!r} in {', '.join(f.path for f in files)}")
    entities, fates = group_entities(compiled, passes)
    entity, shown = -1, 0
    for f, (table, evaluation, found), fate, done in zip(files, matches, fates, passes):
        if not len(found):
            continue
        errors = error_lists(compiled, evaluation.errors[:, found]).to_pylist()
        console.print(_points_table(rows_plan, table, evaluation, list(found), f"{scorecard.key} = {key} in {f.path}",
                                    first_row=shown + 1))
        for n in range(len(found)):
            if errors[n]:
                console.print(f"row {shown + n + 1}: [bold red]invalid[/], quarantined with {', '.join(errors[n])}; "
                              "it leaves the group")
        shown += len(found)
        position = np.searchsorted(done.valid, found)
        hit = (position < len(done.valid)) & (done.valid[np.minimum(position, len(done.valid) - 1)] == found)
        if hit.any():
            entity = int(fate.entity[position[hit][0]])
    if entity < 0:
        console.print("no valid row: the entity is not scored")
        return 0
    aggregate = scorecard.aggregate
    outcome = entities.evaluation
    console.print(f"entity: {int(entities.rows[entity])} valid rows, scores combined by {aggregate.method}"
                  f"{' (odd_count)' if aggregate.odd_count else ''}")
    _print_scores(compiled, outcome, entity, console, how=f"{aggregate.method} of the rows")
    _print_outcome(compiled, outcome, entity, error_lists(compiled, outcome.errors[:, [entity]]).to_pylist()[0], console)
    return 0
