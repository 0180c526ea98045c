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

from pipeline.compile import compile_scorecard, quantile_limits
from pipeline.encode import evaluate, tier_values
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
    slot = {name: i for i, name in enumerate(compiled.slot_names)}
    for i in range(rows.num_rows):
        record = {name: rows.column(name)[i].as_py() for name in scorecard.input_names}
        table = Table(title=f"{scorecard.name} v{scorecard.version} · {scorecard.key} = {key}")
        for column in ("score", "component", "input", "value", "points", "weight", "weighted"):
            table.add_column(column, justify="right" if column in ("points", "weight", "weighted") else "left")
        for c, component in enumerate(scorecard.components):
            points = float(evaluation.points[c, i])
            weighted = points * component.weight
            table.add_row(component.score, component.name, component.input, repr(record[component.input]),
                          _format(points), f"{component.weight:g}", _format(weighted))
        console.print(table)
        for score in scorecard.scores:
            console.print(f"{score.output_column} ({score.combine}{'' if score.round is None else f', round {score.round}'}) = "
                          f"{_format(float(evaluation.values[slot[score.name], i]))}")
        o = int(evaluation.override[i])
        console.print(f"override: {scorecard.overrides[o].name + ' (' + scorecard.overrides[o].when.text + ')' if o >= 0 else 'none'}")
        t = int(evaluation.tier[i])
        if errors[i]:
            console.print(f"[bold red]invalid[/]: quarantined with {', '.join(errors[i])}")
        elif t >= 0:
            tier = scorecard.tiers[t]
            console.print(f"tier: [bold]{tier.code}[/] {tier.label} (rank {tier.rank})")
            reasons = [scorecard.components[r].name for r in evaluation.reasons[:, i] if r >= 0]
            console.print(f"reasons: {', '.join(reasons) if reasons else 'none'}")
            for a, action in enumerate(scorecard.actions):
                console.print(f"{action.name}: {action.values[t]}")
            for derived in scorecard.derived:
                console.print(f"{derived.name} = {_format(float(evaluation.values[slot[derived.name], i]))}  ({derived.expression.text})")
    return 0
