"""Building a checked `Scorecard`, second stage: tiers, levels, matrices, quantiles and the scale
(SPEC §2.2)."""

from __future__ import annotations

import math


from tierline.scorecard import format as fmt
from tierline.scorecard.model import (
    Level,
    Axis,
    LevelTiering,
    MatrixTiering,
    Override,
    Quantile,
    QuantileTiering,
    Rule,
    RuleTiering,
    Scale,
    Tier,
)
from tierline.scorecard.limits import quote
from tierline.scorecard.ranges import Range, check_ranges
from tierline.scorecard.problems import Path_
from tierline.scorecard.literals import python_type_ok, value_key, value_keys
from tierline.scorecard.build_components import ComponentBuilder


class TieringBuilder(ComponentBuilder):
    def resolve_by(self, by: str | None, path: Path_, what: str) -> tuple[str, bool] | None:
        """The score or numeric input that `by` names (default: the only score), and whether it is a score."""
        if by is None:
            if len(self.score_names) == 1:
                return self.score_names[0], True
            self.add(path, f"{what} need 'by' (a score or numeric input) when there is not exactly one score")
            return None
        if by in self.score_names:
            return by, True
        spec = self.inputs.get(by)
        if spec is None and by in self.rank_names:
            self.add(path + ("by",), f"'by' names rank {quote(by)}; {what} take a score or input (a rank is read "
                     "by overrides, rules and derived columns)")
        elif spec is None:
            self.add(path + ("by",), f"'by' names {quote(by)}, which is neither a score nor an input")
        elif spec.type not in ("int", "float"):
            self.add(path + ("by",), f"'by' input {quote(by)} must be int or float, not {spec.type}")
        return by, False

    def build_levels(self, raw_levels: list[fmt.LevelSpec], path: Path_, what: str) -> tuple[Level, ...]:
        levels = tuple(Level(tier=level.tier, range=Range.from_bounds(level.from_, level.above, level.to, level.upto),
                             line=self.line(path + (i,))) for i, level in enumerate(raw_levels))
        for problem in check_ranges([lv.range for lv in levels], [lv.tier for lv in levels], what, unbounded_ends=True):
            self.add(path + (problem.index,), problem.message)
        return levels

    def build_matrix(self, raw: fmt.MatrixSpec) -> tuple[list[tuple[str, str | None, Path_]], MatrixTiering | None]:
        path = ("tiers", "matrix")
        axes = []
        for name in ("rows", "cols"):
            raw_axis = getattr(raw, name)
            resolved = self.resolve_by(raw_axis.by, path + (name,), "matrix axes")
            if resolved is None:
                return [], None
            levels = self.build_levels(raw_axis.levels, path + (name, "levels"), f"{name} level")
            names = [lv.tier for lv in levels]
            if len(set(names)) != len(names):
                self.add(path + (name, "levels"), f"{name} level names must be distinct")
            axes.append(Axis(by=resolved[0], by_score=resolved[1], levels=levels))
        rows, cols = axes
        if len(raw.cells) != len(rows.levels):
            self.add(path + ("cells",), f"cells need one row per rows level ({len(rows.levels)}), not {len(raw.cells)}")
            return [], None
        order = list(raw.order)
        listed: set[str] = set()
        for index, code in enumerate(order):
            if not fmt.re_tier_code(code):
                self.add(path + ("order", index), f"tier code {quote(code)} must match ^[A-Za-z0-9_-]{{1,32}}$ (letters, digits, _ and -)")
            if code in listed:
                self.add(path + ("order", index), f"tier code {quote(code)} is listed twice")
            listed.add(code)
        used: set[str] = set()
        for r, row in enumerate(raw.cells):
            if len(row) != len(cols.levels):
                self.add(path + ("cells", r), f"cells row {r + 1} needs one tier per cols level ({len(cols.levels)}), not {len(row)}")
                return [], None
            for code in row:
                if code not in listed:
                    self.add(path + ("cells", r), f"cell tier {quote(code)} is not listed in 'order'")
                used.add(code)
        for index, code in enumerate(order):
            if code not in used:
                self.add(path + ("order", index), f"tier {quote(code)} in 'order' appears in no cell")
        labels = raw.labels or {}
        for code in labels:
            if code not in listed:
                self.add(path + ("labels", code), f"label for {quote(code)}, which is not in 'order'")
        tiers = [(code, labels.get(code), path + ("order", index)) for index, code in enumerate(order)]
        return tiers, MatrixTiering(rows=rows, cols=cols, cells=tuple(tuple(row) for row in raw.cells))

    def build_quantiles(self, raw: fmt.TiersSpec) -> tuple[list[tuple[str, str | None, Path_]], QuantileTiering | None]:
        resolved = self.resolve_by(raw.by, ("tiers",), "quantiles")
        if resolved is None:
            return [], None
        quantiles = []
        previous = 0.0
        count = len(raw.quantiles or [])
        for index, entry in enumerate(raw.quantiles or []):
            path = ("tiers", "quantiles", index)
            last = index == count - 1
            if entry.top is None and not last:
                self.add(path, "only the last quantile tier may leave out 'top' (it takes the rest)")
            elif entry.top is not None and last and entry.top != 1:
                self.add(path, f"the last quantile tier takes the rest: leave out 'top' (it is {entry.top:g})")
            elif entry.top is not None and entry.top <= previous:
                self.add(path, f"'top' must grow down the list: {entry.top:g} is not above {previous:g}")
            previous = entry.top if entry.top is not None else previous
            quantiles.append(Quantile(tier=entry.tier, top=None if last else entry.top, line=self.line(path)))
        tiers = [(q.tier, q.label, ("tiers", "quantiles", i)) for i, q in enumerate(raw.quantiles or [])]
        return tiers, QuantileTiering(by=resolved[0], by_score=resolved[1], order=raw.order, quantiles=tuple(quantiles))

    def build_tiering(self) -> tuple[list[tuple[str, str | None, Path_]], LevelTiering | RuleTiering | MatrixTiering | None]:
        raw = self.spec.tiers
        if raw.quantiles is not None:
            return self.build_quantiles(raw)
        if raw.matrix is not None:
            if raw.by is not None:
                self.add(("tiers", "by"), "a matrix takes 'by' on each axis (rows.by, cols.by), not on tiers")
            return self.build_matrix(raw.matrix)
        if raw.levels is not None:
            resolved = self.resolve_by(raw.by, ("tiers",), "levels")
            if resolved is None:
                return [], None
            by, by_score = resolved
            levels = list(self.build_levels(raw.levels, ("tiers", "levels"), "level"))
            scale = self.build_scale(raw.scale) if raw.scale is not None else None
            tiers = [(lv.tier, lv.label, ("tiers", "levels", i)) for i, lv in enumerate(raw.levels)]
            return tiers, LevelTiering(by=by, by_score=by_score, levels=tuple(levels), scale=scale)
        assert raw.rules is not None
        if raw.by is not None:
            self.add(("tiers", "by"), "'by' applies to levels and quantiles, not rules")
        rules = []
        tiers = []
        count = len(raw.rules.levels)
        for index, rule in enumerate(raw.rules.levels):
            path = ("tiers", "rules", "levels", index)
            when = None
            if rule.when is None:
                if index != count - 1:
                    self.add(path, "only the last rule may leave out 'when' (it catches every row)")
            else:
                when = self.expression(rule.when, path + ("when",), {}, "condition")
            rules.append(Rule(tier=rule.tier, when=when, line=self.line(path)))
            tiers.append((rule.tier, rule.label, path))
        return tiers, RuleTiering(hit=raw.rules.hit, rules=tuple(rules))

    def build_scale(self, raw: fmt.ScaleSpec) -> Scale | None:
        path = ("tiers", "scale")
        spec = self.inputs.get(raw.column)
        if spec is None:
            self.add(path + ("column",), f"scale column {quote(raw.column)} is not a declared input")
            return None
        if spec.type in ("float", "date", "timestamp"):
            self.add(path + ("column",), f"scale column {quote(raw.column)} must be a category, int, bool or string input")
        factors = []
        category_values = value_keys(spec.values or ())
        for value, factor in raw.factors.items():
            if spec.type == "category" and spec.values is not None and value_key(value) not in category_values:
                self.add(path + ("factors", value), f"{quote(value)} is not one of the values of {quote(raw.column)}")
            elif spec.type != "category" and not python_type_ok(value, spec.type):
                self.add(path + ("factors", value), f"{quote(value)} is not a {spec.type} like {quote(raw.column)}")
            if not (float(factor) > 0 and math.isfinite(float(factor))):
                self.add(path + ("factors", value), f"factor must be a positive number, not {factor}")
            factors.append((value, float(factor)))
        return Scale(column=raw.column, factors=tuple(factors), line=self.line(path))

    def build_tier_table(self, produced: list[tuple[str, str | None, Path_]]) -> tuple[Tier, ...]:
        """Override-only tiers rank first (in override order), then the tiering's, in listed order."""
        table: list[tuple[str, str]] = []
        produced_codes = {code for code, _, _ in produced}
        seen: dict[str, Path_] = {}
        for index, override in enumerate(self.spec.overrides):
            if override.tier in produced_codes or override.tier in seen:
                continue
            path = ("overrides", index)
            if override.label is None:
                self.add(path, f"override tier {quote(override.tier)} is not produced by 'tiers', so it needs its own 'label'")
            seen[override.tier] = path
            table.append((override.tier, override.label or override.tier))
        in_table = {code for code, _ in table}
        for code, label, path in produced:
            if code in seen:
                if code not in produced_codes or seen[code][0] != "overrides":
                    self.add(path, f"tier code {quote(code)} is listed twice")
                    continue
            if code in in_table:
                self.add(path, f"tier code {quote(code)} is listed twice")
                continue
            in_table.add(code)
            seen[code] = path
            table.append((code, label if label is not None else code))
        lowered: dict[str, str] = {}
        for code, _ in table:
            if code.lower() in lowered and lowered[code.lower()] != code:
                self.add(("tiers",), f"tier codes {quote(lowered[code.lower()])} and {quote(code)} differ only in case; their directories would clash on some file systems")
            lowered[code.lower()] = code
        return tuple(Tier(code=code, label=label, rank=rank) for rank, (code, label) in enumerate(table, start=1))

    def build_overrides(self, tiers: tuple[Tier, ...]) -> tuple[Override, ...]:
        overrides = []
        names: set[str] = set()
        for index, raw in enumerate(self.spec.overrides):
            path = ("overrides", index)
            if raw.name in names:
                self.add(path + ("name",), f"override name {quote(raw.name)} is used twice")
            names.add(raw.name)
            when = self.expression(raw.when, path + ("when",), {}, "condition")
            if when is not None:
                overrides.append(Override(name=raw.name, when=when, tier=raw.tier, line=self.line(path)))
        return tuple(overrides)
