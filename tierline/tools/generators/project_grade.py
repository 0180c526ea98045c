"""Reviewer panels for `project_grade`: one row per reviewer, 3-5 reviewers a project (the
committee chair weighted 2, experts 1.5, members 1, the project office 0.5), each reviewer's three
dimension scores scattered around the project's own quality. Kinds: 30% strategic, 40% annual
plan, 30% improvement, the same for every reviewer of a project. Bad rows: 0.4% of reviewers
without a weight, 0.3% with a weight of 0 or below, 0.3% with an effect score above its 40
(each such row leaves its panel; the project is graded on the others).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierline.tools.generators._common import ids

KINDS = np.array(["strategic", "annual_plan", "improvement"], dtype=object)
ROLES = np.array(["委员会主任", "专家", "专家", "委员", "项目办"], dtype=object)
ROLE_WEIGHTS = np.array([2.0, 1.5, 1.5, 1.0, 0.5])
DIMENSION_MAX = {"resource_score": 30, "effect_score": 40, "difficulty_score": 30}


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    """About `n` rows (whole panels: n rounded down to panels, at least one)."""
    panel = rng.choice(np.array([3, 4, 5]), size=max(1, n // 4), p=[0.3, 0.4, 0.3])
    ends = np.cumsum(panel)
    panel = panel[:max(int(np.searchsorted(ends, n, side="right")), 1)]
    projects, rows = len(panel), int(panel.sum())
    project = np.repeat(np.arange(projects), panel)
    seat = np.arange(rows) - np.repeat(np.cumsum(panel) - panel, panel)  # 0, 1, … within a panel

    # the project's own quality (a share of each dimension's maximum), each reviewer ±10 points off
    quality = np.clip(rng.beta(6, 2.2, size=projects), 0, 1)
    columns: dict[str, pa.Array] = {}
    for name, top in DIMENSION_MAX.items():
        scored = quality[project] * top + rng.normal(0, top / 10, size=rows)
        columns[name] = pa.array(np.clip(np.round(scored), 0, top))
    too_high = rng.random(rows) < 0.003
    columns["effect_score"] = pa.array(np.where(too_high, 45.0, columns["effect_score"].to_numpy()))

    weight = ROLE_WEIGHTS[seat]
    bad = rng.random(rows)
    weight = np.where(bad < 0.003, rng.choice(np.array([0.0, -1.0]), size=rows), weight)
    kind = KINDS[rng.choice(3, size=projects, p=[0.3, 0.4, 0.3])]
    return pa.table({
        "project_id": pc.take(ids("PJ", projects), pa.array(project)),
        "kind": pa.array(kind[project], type=pa.string()),
        "reviewer": pa.array(ROLES[seat], type=pa.string()),
        "reviewer_weight": pa.array(weight, mask=(bad >= 0.003) & (bad < 0.007)),
        **columns,
    })
