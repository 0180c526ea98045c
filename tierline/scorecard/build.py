"""Building a checked `Scorecard`, last stage: overrides, action and derived columns, passthrough,
aggregation, and `Builder.build`, which runs every stage in order."""

from __future__ import annotations

from typing import Any


from tierline.scorecard.expressions import Binary, Call, Literal_, Node, ValueType
from tierline.scorecard.format import ChoiceSpec
from tierline.scorecard.model import (
    ActionColumn,
    Aggregate,
    Choice,
    Derived,
    Expression,
    Output,
    Score,
    Scorecard,
    Tier,
)
from tierline.scorecard.limits import quote
from tierline.scorecard.problems import Path_
from tierline.scorecard.build_ranks import RankBuilder
from tierline.scorecard.build_tiering import TieringBuilder


class Builder(TieringBuilder, RankBuilder):
    def build_actions(self, tiers: tuple[Tier, ...]) -> tuple[ActionColumn, ...]:
        raw = self.spec.actions
        if not raw:
            return ()
        codes = [t.code for t in tiers]
        for code in raw:
            if code not in codes:
                self.add(("actions", code), f"actions name tier {quote(code)}, which is not a tier of this scorecard")
        missing = [code for code in codes if code not in raw]
        if missing:
            self.add(("actions",), f"actions must list every tier; missing: {', '.join(missing)}")
            return ()
        columns = list(dict.fromkeys(column for code in codes for column in raw[code]))
        result = []
        for column in columns:
            first = next(code for code in codes if column in raw[code])
            self.check_column_name(column, f"action column {quote(column)}", ("actions", first, column))
            values = []
            for code in codes:
                if column not in raw[code]:
                    self.add(("actions", code), f"tier {quote(code)} lacks action column {quote(column)} (every tier needs the same columns)")
                values.append(raw[code].get(column))
            kinds = {("bool" if isinstance(v, bool) else "int" if isinstance(v, int) else "float" if isinstance(v, float) else "string")
                     for v in values if v is not None}
            if kinds <= {"int"} and kinds:
                kind = "int"
            elif kinds and kinds <= {"int", "float"}:
                kind = "float"
            elif len(kinds) == 1:
                kind = kinds.pop()
            elif not kinds:
                kind = "string"
            else:
                self.add(("actions",), f"action column {quote(column)} mixes types ({', '.join(sorted(kinds))}) across tiers")
                continue
            if kind == "float":
                values = [None if v is None else float(v) for v in values]
            result.append(ActionColumn(name=column, type=kind, values=tuple(values)))  # type: ignore[arg-type]
        return tuple(result)

    def check_column_name(self, column: str, what: str, path: Path_) -> bool:
        """An action or derived column needs a name of its own among inputs, scores and output columns."""
        if not column.isidentifier():
            self.add(path, f"{what} must be an identifier (letters, digits, _) so expressions can name it")
            return False
        if not self.check_keyword(column, what, path):
            return False
        holder = self.claim(column, what, path)
        if column in self.inputs or column in self.score_names:
            kind = "an input" if column in self.inputs else "a score"
            self.add(path, f"{what} has the name of {kind}; expressions could not tell them apart")
            return False
        if holder is not None:
            self.add(path, f"{what} has the name of {holder}; the output would hold two columns named {quote(column)}")
            return False
        return True

    def build_passthrough(self) -> Any:
        """`all`, or the listed columns: each once, the key among them, none named like an output column."""
        passthrough = self.spec.passthrough
        if not isinstance(passthrough, list):
            return passthrough
        if self.spec.key not in passthrough:
            self.add(("passthrough",), f"passthrough must include the key column {quote(self.spec.key)}")
        listed: set[str] = set()
        for index, column in enumerate(passthrough):
            path = ("passthrough", index)
            if column in listed:
                self.add(path, f"passthrough lists {quote(column)} twice")
            elif column in self.columns:
                self.add(path, f"passthrough column {quote(column)} has the name of {self.columns[column]}; "
                         f"the output would hold two columns named {quote(column)}")
            listed.add(column)
        return tuple(passthrough)

    def build_derived(self, actions: tuple[ActionColumn, ...]) -> tuple[Derived, ...]:
        extra: dict[str, ValueType] = {a.name: a.value_type for a in actions}
        result = []
        for name, text in (self.spec.derived or {}).items():
            path = ("derived", name)
            if not self.check_column_name(name, f"derived column {quote(name)}", path):
                continue
            if isinstance(text, ChoiceSpec):
                derived = self.build_choice(name, text, path, extra)
                if derived is not None:
                    result.append(derived)  # text: no expression reads it (it stays out of `extra`)
                    self.text_derived.add(name)
                continue
            expression = self.expression(str(text), path, extra, "derived")
            if expression is not None:
                result.append(Derived(name=name, expression=expression))
                extra[name] = expression.type
        return tuple(result)

    def build_choice(self, name: str, spec: ChoiceSpec, path: Path_, extra: dict[str, ValueType]) -> Derived | None:
        """A text derived column: the value of the first item whose `when` holds (see `Derived`)."""
        choices: list[Choice] = []
        for n, item in enumerate(spec.choose):
            item_path = path + ("choose", n)
            if item.when is None and n != len(spec.choose) - 1:
                self.add(item_path, f"derived column {quote(name)}: only the last item may leave out `when` "
                         "(it takes every row no item before it took)")
                return None
            when = None if item.when is None else self.expression(item.when, item_path + ("when",), extra, "condition")
            if item.when is not None and when is None:
                return None
            choices.append(Choice(when=when, value=item.value))
        parts: list[Node] = [Literal_(float(n + 1), 0) if c.when is None else Binary("/", Literal_(float(n + 1), 0), c.when.ast, 0)
                             for n, c in enumerate(choices)]
        ast: Node = parts[0] if len(parts) == 1 else Call("coalesce", tuple(parts), 0, 0)
        text = "; ".join(f"{c.value} when {c.when.text}" if c.when else f"{c.value} otherwise" for c in choices)
        expression = Expression(text=text, ast=ast, type="number", line=self.line(path))
        return Derived(name=name, expression=expression, choices=tuple(choices))

    def build_aggregate(self, scores: tuple[Score, ...]) -> Aggregate | None:
        raw = self.spec.aggregate
        if raw is None:
            return None
        path = ("aggregate",)
        if raw.by != self.spec.key:
            self.add(path + ("by",), f"aggregate by {quote(raw.by)}: rows are grouped by the key, so `by` must be {quote(self.spec.key)}")
        if not scores:
            self.add(path, "aggregate combines the rows' scores, and this scorecard defines no score")
        key = self.inputs.get(self.spec.key)
        if key is not None and not key.required:
            self.add(("inputs", self.spec.key), f"aggregate groups rows by {quote(self.spec.key)}: declare it `required: true` "
                     "(a row without a key belongs to no entity)")
        self.check_weight(raw)
        return Aggregate(by=raw.by, method=raw.score, odd_count=raw.odd_count, weight=raw.weight, line=self.line(path))

    def check_weight(self, raw: Any) -> None:
        """`weight` names the numeric input that weighs each row: required by `weighted_mean`, meaningless otherwise."""
        path = ("aggregate", "weight")
        if raw.weight is None:
            if raw.score == "weighted_mean":
                self.add(("aggregate",), "score: weighted_mean needs `weight: <column>`, the numeric input that "
                         "weighs each row (Σ wᵢsᵢ / Σ wᵢ)")
            return
        if raw.score != "weighted_mean":
            self.add(path, f"weight applies to `score: weighted_mean` only; this aggregate combines by {raw.score} "
                     "(drop weight, or use weighted_mean)")
        elif raw.weight not in self.spec.inputs:
            self.add(path, f"weight {quote(raw.weight)} is not a declared input")
        elif raw.weight in self.inputs and self.inputs[raw.weight].type not in ("int", "float"):
            self.add(path, f"weight {quote(raw.weight)} is a {self.inputs[raw.weight].type} input; "
                     "a weight must be an int or float input")

    def build_output(self) -> Output:
        spec = self.spec
        if spec.reasons is not None and not spec.output.reasons:
            self.add(("reasons",), "reasons: {count} sizes the reasons column, which output: {reasons: false} "
                     "leaves out; drop one of the two")
        count = 3 if spec.reasons is None else spec.reasons.count
        return Output(points=spec.output.points, reasons=spec.output.reasons, reason_count=count)

    def claim_score_columns(self, scores: tuple[Score, ...], output: Output) -> None:
        """The score columns, and the points columns when written (their names are checked in build_scores)."""
        for score in scores:
            score_path: Path_ = ("score",) if self.spec.score is not None else ("scores", score.name)
            self.claim(score.output_column, f"the column of score {quote(score.name)}", score_path)
            for index, component in enumerate(score.components if output.points else ()):
                self.claim(component.output_column, f"the points column of component {quote(component.name)}",
                           score_path + ("components", index, "name"))
                if component.output_column in self.inputs:
                    self.add(("inputs", component.output_column), f"input {quote(component.output_column)} has the name "
                             f"of the points column of component {quote(component.name)}")
            if score.output_column in self.inputs and score.output_column != score.name:  # else said already
                self.add(("inputs", score.output_column), f"input {quote(score.output_column)} has the name of the "
                         f"column of score {quote(score.name)}")

    def check_case_clashes(self, passthrough: Any) -> None:
        """DuckDB, Spark and Hive read column names case-insensitively: two output columns whose names
        differ only in case (components `l` and `L` write points_l and points_L) are one to them."""
        # the reserved columns (they have no line) first, so that a clash is reported at the user's column
        reserved = [(column, holder, ()) for column, holder in self.columns.items() if column not in self.column_paths]
        claimed = [(column, self.columns[column], path) for column, path in self.column_paths.items()]
        if passthrough == "all":
            passed = [(name, "a passed-through input", ("inputs", name)) for name in self.inputs]
        else:
            passed = [(name, "a passthrough column", ("passthrough", i)) for i, name in enumerate(passthrough)]
        first: dict[str, tuple[str, str]] = {}
        for column, holder, path in reserved + passed + claimed:
            seen, seen_holder = first.setdefault(column.lower(), (column, holder))
            if seen != column:
                self.add(path, f"{holder} writes {quote(column)}, which differs only in case from {quote(seen)} "
                         f"({seen_holder}); DuckDB, Spark and Hive read column names case-insensitively, so "
                         "readers could not tell the two apart: rename one")

    def build(self) -> Scorecard | None:
        spec = self.spec
        inputs = self.build_inputs()
        scores = self.build_scores()
        aggregate = self.build_aggregate(scores)
        self.declare_ranks()
        produced, tiering = self.build_tiering()
        if tiering is None:
            return None  # overrides and actions name tiers: checking them now would only echo this
        tiers = self.build_tier_table(produced)
        overrides = self.build_overrides(tiers)
        output = self.build_output()
        self.claim_score_columns(scores, output)
        ranks = self.build_ranks(scores)
        self.check_override_ranks(overrides)
        actions = self.build_actions(tiers)
        derived = self.build_derived(actions)
        passthrough = self.build_passthrough()
        self.check_case_clashes(passthrough)
        if tiering is None or self.problems.errors:
            return None
        return Scorecard(
            name=spec.scorecard, version=spec.version, key=spec.key, inputs=inputs, scores=scores,
            tiers=tiers, tiering=tiering, overrides=overrides, actions=actions, derived=derived,
            passthrough=passthrough, description=spec.description, expectations=spec.expectations,
            aggregate=aggregate, output=output, ranks=ranks, source=self.source, sha256=self.sha256,
        )
