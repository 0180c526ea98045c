"""Building a checked `Scorecard`: ranks within groups (SPEC §2.4a). A rank reads a score or a
numeric input and groups by inputs; it exists once the scores do, so expressions (overrides,
rules, derived) may read it, but components, tier `by`s and other ranks may not."""

from __future__ import annotations

from tierline.scorecard import format as fmt
from tierline.scorecard.expressions import names_in
from tierline.scorecard.limits import quote
from tierline.scorecard.model import Override, Rank, Score
from tierline.scorecard.problems import Path_


class RankBuilder:
    """Mixed into `Builder` (tierline.scorecard.build), after `ComponentBuilder`'s inputs and scores."""

    def declare_ranks(self) -> None:
        """The rank names, for the expressions built before the ranks themselves."""
        self.rank_names.extend((self.spec.ranks or {}).keys())

    def check_override_ranks(self, overrides: tuple[Override, ...]) -> None:
        """With aggregate, overrides hold per row, before the entities (and so their ranks) exist."""
        if self.spec.aggregate is None:
            return
        for override in overrides:
            used = [n.name for n in names_in(override.when.ast) if n.name in self.rank_names]
            if used:
                index = next(i for i, raw in enumerate(self.spec.overrides) if raw.name == override.name)
                self.add(("overrides", index, "when"), f"override {quote(override.name)} reads rank {quote(used[0])}, "
                         "but with aggregate overrides hold per row, before entities are ranked; "
                         "read the rank in rules or derived")

    def _rank_by(self, raw: fmt.RankSpec, path: Path_) -> bool | None:
        """Whether `by` is a score (else a numeric input); None when it is neither."""
        if raw.by in self.score_names:
            return True
        if raw.by in self.inputs:
            if self.inputs[raw.by].type in ("int", "float"):
                return False
            self.add(path, f"rank 'by' input {quote(raw.by)} must be int or float, not {self.inputs[raw.by].type}")
        elif raw.by in (self.spec.ranks or {}):
            self.add(path, f"rank 'by' names rank {quote(raw.by)}; ranks are computed together from the scores "
                     "and inputs, so one rank cannot order by another")
        elif raw.by in (self.spec.derived or {}):
            self.add(path, f"rank 'by' names derived column {quote(raw.by)}, which is computed after the ranks; "
                     "rank by a score or a numeric input")
        else:
            self.add(path, f"rank 'by' names {quote(raw.by)}, which is neither a score nor a numeric input")
        return None

    def _rank_within(self, raw: fmt.RankSpec, path: Path_) -> tuple[str, ...]:
        within = (raw.within,) if isinstance(raw.within, str) else tuple(raw.within)
        for index, column in enumerate(within):
            where = path if isinstance(raw.within, str) else path + (index,)
            if column in within[:index]:
                self.add(where, f"rank 'within' lists {quote(column)} twice")
            elif column not in self.inputs:
                kind = "a score" if column in self.score_names else "a rank" if column in self.rank_names else None
                what = f"is {kind}, not an input" if kind else "is not a declared input"
                self.add(where, f"rank 'within' column {quote(column)} {what}; groups are formed of input values")
        return within

    def build_ranks(self, scores: tuple[Score, ...]) -> tuple[Rank, ...]:
        ranks = []
        for name, raw in (self.spec.ranks or {}).items():
            path = ("ranks", name)
            if not self.check_column_name(name, f"rank {quote(name)}", path):
                continue
            if any(component.name == name for score in scores for component in score.components):
                self.add(path, f"rank {quote(name)} has the name of a component; names must differ (SPEC §2)")
                continue
            by_score = self._rank_by(raw, path + ("by",))
            within = self._rank_within(raw, path + ("within",))
            if by_score is not None:
                ranks.append(Rank(name=name, by=raw.by, by_score=by_score, within=within, order=raw.order,
                                  line=self.line(path)))
        return tuple(ranks)
