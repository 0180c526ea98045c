"""scorecards/project_grade.yaml: grades A-E by the weighted mean of the reviewers' additive
scores (项目资源 + 项目效果 + 项目难度; seed 004 §四.4-5), approval routing by grade, and the class
(I / II / III, a text derived column) by kind, read from the project's first reviewer row.

One register holds every panel below, its reviewers shuffled over two files and small partitions,
run once per module by the real `tierline run`; each entity and each quarantined row is also
checked against the oracle (`oracle.evaluate_aggregate`). A reviewer is (weight, total score); the
total is split over the three dimensions within their ranges (resource 0-30, effect 0-40,
difficulty 0-30).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from oracle_register import evaluate_aggregate
from schemes import grade, grade_panels, run_generated, scorecard_path
from tierline.cli import main
from tierline.scorecard.load import load_scorecard

SCHEME = "project_grade"
KINDS = {"strategic": "I", "annual_plan": "II", "improvement": "III"}

# project → (its reviewers' (weight, total), grade, weighted mean)
PANELS = {
    "A-max": ([(1.0, 100.0)], "A", 100.0),
    "A-at-90": ([(1.0, 90.0)], "A", 90.0),                      # A from 90: the boundary is A's
    "B-below-90": ([(1.0, 89.5)], "B", 89.5),
    "B-at-80": ([(1.0, 80.0)], "B", 80.0),
    "C-below-80": ([(1.0, 79.5)], "C", 79.5),
    "C-at-70": ([(1.0, 70.0)], "C", 70.0),
    "D-below-70": ([(1.0, 69.5)], "D", 69.5),
    "D-at-60": ([(1.0, 60.0)], "D", 60.0),
    "E-below-60": ([(1.0, 59.5)], "E", 59.5),
    "E-min": ([(1.0, 0.0)], "E", 0.0),
    # weighted, not plain: the plain means (85, 92.5, 65) would give B, A and D
    "A-weighted-at-90": ([(3.0, 95.0), (1.0, 75.0)], "A", 90.0),          # (285 + 75) / 4
    "B-weighted": ([(1.0, 100.0), (3.0, 85.0)], "B", 88.75),              # (100 + 255) / 4
    "C-weighted-at-70": ([(0.5, 40.0), (1.5, 80.0)], "C", 70.0),         # (20 + 120) / 2
    # a unanimous panel at a cut-off keeps its tier: Σ wᵢsᵢ / Σ wᵢ here is 89.99999999999999
    "A-unanimous-at-90": ([(w, 90.0) for w in (0.2, 0.3, 0.1, 1.1, 0.1)], "A", 90.0),
    "B-unanimous-at-80": ([(w, 80.0) for w in (0.35, 1.1, 0.35, 0.35, 0.15)], "B", 80.0),
    "C-unanimous-at-70": ([(w, 70.0) for w in (0.1, 1.1, 0.35)], "C", 70.0),
    "D-unanimous-at-60": ([(w, 60.0) for w in (0.35, 1.1, 1.1)], "D", 60.0),
}
# a reviewer without a positive weight, or with a score out of its range, leaves the panel:
# project → (reviewers with (weight, total, effect or None), that reviewer's codes, grade and mean of the rest)
LEAVERS = {
    "weight-zero": ([(2.0, 95.0, None), (0.0, 10.0, None), (1.0, 80.0, None)], ["reviewer_weight:between"], "A", 90.0),
    "weight-negative": ([(1.0, 70.0, None), (-1.0, 10.0, None)], ["reviewer_weight:between"], "C", 70.0),
    "weight-missing": ([(None, 10.0, None), (1.0, 60.0, None)], ["reviewer_weight:not_null"], "D", 60.0),
    "effect-too-high": ([(1.0, 85.0, None), (1.0, 85.0, 41.0)], ["effect_score:between"], "B", 85.0),
}


def _dimensions(total: float, effect: float | None = None) -> dict[str, float]:
    """`total` as resource + effect + difficulty within 0-30 / 0-40 / 0-30 (all halves: exact)."""
    effect = min(40.0, total) if effect is None else effect
    resource = min(30.0, total - effect) if total > effect else 0.0
    return {"resource_score": resource, "effect_score": effect, "difficulty_score": total - effect - resource}


def _rows() -> list[dict]:
    rows = []
    kinds = list(KINDS)
    panels = [(p, [(w, t, None) for w, t in reviewers]) for p, (reviewers, _, _) in PANELS.items()]
    panels += [(p, reviewers) for p, (reviewers, _, _, _) in LEAVERS.items()]
    for n, (project, reviewers) in enumerate(panels):
        for i, (weight, total, effect) in enumerate(reviewers):
            rows.append({"project_id": project, "kind": kinds[n % 3], "reviewer": f"r{i}", "reviewer_weight": weight,
                         **_dimensions(total, effect)})
    order = np.random.default_rng(11).permutation(len(rows))  # a panel's reviewers in different files
    return [{**rows[i], "serial": n} for n, i in enumerate(order)]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rows = _rows()
    table, quarantined = grade_panels(SCHEME, rows, tmp_path_factory.mktemp(SCHEME))
    scored = {r["project_id"]: r for r in table.to_pylist()}
    return {"rows": rows, "scored": scored, "quarantined": quarantined, "schema": table.schema}


@pytest.mark.parametrize("project", list(PANELS), ids=str)
def test_grades_on_both_sides_of_every_cut_off(graded: dict, project: str) -> None:
    reviewers, tier, mean = PANELS[project]
    row = graded["scored"][project]
    assert (str(row["tier"]), row["score_grade"], row["rows"]) == (tier, mean, len(reviewers))
    assert row["tier_label"] == f"{tier}级项目"


@pytest.mark.parametrize("project", list(LEAVERS), ids=str)
def test_a_bad_reviewer_row_leaves_the_panel(graded: dict, project: str) -> None:
    reviewers, codes, tier, mean = LEAVERS[project]
    row = graded["scored"][project]
    assert (str(row["tier"]), row["score_grade"], row["rows"]) == (tier, mean, len(reviewers) - 1)
    [left] = [r for r in graded["quarantined"] if r["project_id"] == project]
    assert left["errors"] == codes


def test_approval_routing(graded: dict) -> None:
    """C级以上项目需委员会主任签字纸质版审批存档, D、E级项目办审批存档."""
    routing = {tier: (r["approver"], r["approval"], r["paper_archive"]) for r in graded["scored"].values()
               for tier in [str(r["tier"])]}
    chair = ("committee_chair", "委员会主任签字纸质版审批存档", True)
    office = ("project_office", "项目办审批存档", False)
    assert routing == {"A": chair, "B": chair, "C": chair, "D": office, "E": office}


def test_project_class_by_kind(graded: dict) -> None:
    """strategic Ⅰ, annual_plan Ⅱ, improvement Ⅲ, as text, whatever the reviewers' weights."""
    classes = {(r["kind"], r["project_class"]) for r in graded["scored"].values()}
    assert classes == set(KINDS.items())
    assert graded["schema"].field("project_class").type == pa.string()


def test_a_mixed_panel_takes_the_class_of_its_first_reviewer_row(tmp_path: Path) -> None:
    """Derived columns of an entity are its first valid row's: the class is not averaged, so a
    panel whose reviewers disagree on kind is classed by the first reviewer in input order."""
    rows = [{"project_id": "mixed", "kind": kind, "reviewer": f"r{i}", "reviewer_weight": 1.0, **_dimensions(total)}
            for i, (kind, total) in enumerate([("improvement", 80.0), ("strategic", 90.0), ("strategic", 100.0)])]
    row = grade(SCHEME, rows, tmp_path)["mixed"]
    assert (row["tier"], row["score_grade"], row["rows"], row["project_class"]) == ("A", 90.0, 3, "III")


def test_reasons_name_the_dimensions_short_of_their_maximum(graded: dict) -> None:
    assert graded["scored"]["A-max"]["reasons"] == []
    assert graded["scored"]["E-min"]["reasons"] == ["effect", "resource", "difficulty"]  # shortfalls 40, 30, 30


def test_nothing_lost_and_oracle_agrees(graded: dict) -> None:
    """The oracle reads the scorecard, not the suite: the row only the suite rejects (effect 41,
    above the input's max) is taken out before the oracle groups the rest."""
    scored = graded["scored"]
    assert sum(r["rows"] for r in scored.values()) + len(graded["quarantined"]) == len(graded["rows"])
    suite_rejected = {r["serial"] for r in graded["quarantined"] if r["errors"] == ["effect_score:between"]}
    assert len(suite_rejected) == 1
    rows = [row for row in graded["rows"] if row["serial"] not in suite_rejected]
    entities, quarantine = evaluate_aggregate(load_scorecard(scorecard_path(SCHEME)), rows)
    assert set(scored) == {key for key, e in entities.items() if not e.result.errors}
    for key, row in scored.items():
        entity = entities[key]
        assert (str(row["tier"]), row["score_grade"], row["project_class"], row["rows"]) == (
            entity.result.tier, entity.result.scores["grade"], entity.result.derived["project_class"], entity.rows)
    expected = sorted((row["serial"], sorted(codes)) for row, codes in zip(rows, quarantine) if codes)
    assert sorted((r["serial"], sorted(r["errors"])) for r in graded["quarantined"] if r["serial"] not in suite_rejected) \
        == expected


def test_generated_register_runs(tmp_path: Path) -> None:
    table, scored, _ = run_generated(SCHEME, tmp_path, 3000, seed=1)  # several reviewers' rows per project
    assert {"project_id", "kind", "reviewer", "reviewer_weight", "resource_score", "effect_score",
            "difficulty_score"} <= set(table.column_names)
    assert set(scored.column("tier").to_pylist()) == {"A", "B", "C", "D", "E"}
    assert {(k, c) for k, c in zip(scored.column("kind").to_pylist(), scored.column("project_class").to_pylist())} \
        == set(KINDS.items())


def test_check_accepts_the_scorecard() -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
