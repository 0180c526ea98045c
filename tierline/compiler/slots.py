"""The value space: which slot holds what, and the vocabulary that turns each text column into codes.

Slots are, in order, the inputs the scorecard reads, the scores, the ranks, the action columns,
then the derived columns. A text column's vocabulary is its declared values and default, then every map
key, scale key and expression literal compared with it, in the order the scorecard gives them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tierline.compiler.compiled import InputSlot
from tierline.compiler.errortable import NO_CODE, ErrorTable
from tierline.compiler.expressions import text_literals
from tierline.scorecard.expressions import names_in
from tierline.scorecard.model import Expression, Scorecard, TieringKind


@dataclass(frozen=True)
class SlotTable:
    slots: dict[str, int]  # name → slot, in slot order
    n_inputs: int  # the first n_inputs slots are inputs
    # text column → its values in code order (dicts as ordered sets: a scorecard may list 50,000)
    text_vocab: dict[str, dict[Any, int]]

    def encode_key(self, column: str, value: Any) -> float:
        """The slot value of a scorecard constant compared with `column` (map key, scale key)."""
        if value is None:
            return math.nan
        if column in self.text_vocab:
            return float(self.text_vocab[column][value])
        if isinstance(value, bool):
            return 1.0 if value else 0.0
        return float(value)

    def vocabulary(self, column: str) -> tuple[Any, ...] | None:
        return tuple(self.text_vocab[column]) if column in self.text_vocab else None


def expressions_of(scorecard: Scorecard) -> list[Expression]:
    """Every expression the scorecard evaluates: overrides, derived columns, then rules."""
    expressions = [o.when for o in scorecard.overrides] + [d.expression for d in scorecard.derived]
    if scorecard.tiering.kind == TieringKind.RULES:
        expressions += [r.when for r in scorecard.tiering.rules if r.when is not None]
    return expressions


def _tiering_inputs(scorecard: Scorecard) -> set[str]:
    tiering = scorecard.tiering
    if tiering.kind == TieringKind.RULES:
        return set()
    if tiering.kind == TieringKind.MATRIX:
        return {axis.by for axis in (tiering.rows, tiering.cols) if not axis.by_score}
    used = set() if tiering.by_score else {tiering.by}
    if tiering.kind == TieringKind.LEVELS and tiering.scale is not None:
        used.add(tiering.scale.column)
    return used


def used_inputs(scorecard: Scorecard) -> list[str]:
    """The inputs the scorecard reads, in input order (the others get no slot)."""
    used = {c.input for c in scorecard.components} | _tiering_inputs(scorecard)
    used.update(rank.by for rank in scorecard.ranks if not rank.by_score)  # `within` is read from Arrow
    if scorecard.aggregate is not None and scorecard.aggregate.weight is not None:
        used.add(scorecard.aggregate.weight)  # a weighted mean reads each row's weight
    for expression in expressions_of(scorecard):
        used.update(name.name for name in names_in(expression.ast))
    return [name for name in scorecard.input_names if name in used]


def _declared_vocabularies(scorecard: Scorecard, slots: dict[str, int]) -> dict[str, dict[Any, int]]:
    inputs = {spec.name: spec for spec in scorecard.inputs}
    text_vocab: dict[str, dict[Any, int]] = {}
    for name in slots:
        if name in inputs and inputs[name].value_type == "text":
            spec = inputs[name]
            vocab: dict[Any, int] = {}
            for value in list(spec.values or ()) + ([spec.default] if spec.default is not None else []):
                if value is not None:
                    vocab.setdefault(value, len(vocab))
            text_vocab[name] = vocab
    return text_vocab


def _add_keys(vocab: dict[Any, int], keys: Any) -> None:
    for key in keys:
        vocab.setdefault(key, len(vocab))


def _vocabularies(scorecard: Scorecard, slots: dict[str, int]) -> dict[str, dict[Any, int]]:
    text_vocab = _declared_vocabularies(scorecard, slots)
    for component in scorecard.components:
        if component.input in text_vocab:
            _add_keys(text_vocab[component.input], (key for key, _ in component.map_points))
    tiering = scorecard.tiering
    if tiering.kind == TieringKind.LEVELS and tiering.scale is not None and tiering.scale.column in text_vocab:
        _add_keys(text_vocab[tiering.scale.column], (key for key, _ in tiering.scale.factors))
    for action in scorecard.actions:
        if action.type == "string":
            values = dict.fromkeys(v for v in action.values if v is not None)
            text_vocab[action.name] = {value: code for code, value in enumerate(values)}
    for expression in expressions_of(scorecard):
        for column, literal in text_literals(expression.ast):
            if column in text_vocab:
                _add_keys(text_vocab[column], (literal,))
    return text_vocab


def lay_out_slots(scorecard: Scorecard) -> SlotTable:
    names = used_inputs(scorecard)
    n_inputs = len(names)
    names += [s.name for s in scorecard.scores] + [r.name for r in scorecard.ranks]
    names += [a.name for a in scorecard.actions]
    names += [d.name for d in scorecard.derived]
    slots = {name: slot for slot, name in enumerate(names)}
    return SlotTable(slots=slots, n_inputs=n_inputs, text_vocab=_vocabularies(scorecard, slots))


def input_slots(scorecard: Scorecard, table: SlotTable, errors: ErrorTable) -> tuple[InputSlot, ...]:
    """How each input slot is filled from its column; claims the `<input>:type` codes."""
    inputs = {spec.name: spec for spec in scorecard.inputs}
    result = []
    for name, slot in list(table.slots.items())[:table.n_inputs]:
        spec = inputs[name]
        default = math.nan if spec.default is None else table.encode_key(name, spec.default)
        type_error = errors.code(f"{name}:type") if spec.value_type in ("number", "time") else NO_CODE
        result.append(InputSlot(slot=slot, name=name, type=spec.type, vocabulary=table.vocabulary(name),
                                default=default, type_error=type_error))
    return tuple(result)
