"""The names of the columns tierline writes (SPEC §4), said once.

The scored rows' schema (`tierline.pipeline.outputs`), the register checks and the names a
scorecard may not give its own columns (`RESERVED_COLUMNS`) all read them here.
"""

from __future__ import annotations

HIVE_KEYS = ("tier", "period")  # the output's directory levels, `tier=<code>/period=<period>`
GROUP_ROWS = "rows"  # an aggregating scorecard's entity: its group size (SPEC §2.3)
POINTS_PREFIX = "points_"  # a component's points column is `points_<component>`
DEFAULT_SCORE_COLUMN = "score"
TIER_RANK, TIER_LABEL, OVERRIDE, REASONS = "tier_rank", "tier_label", "override", "reasons"
SCORECARD, SCORECARD_VERSION, RUN_ID = "scorecard", "scorecard_version", "run_id"
QUARANTINE_ERRORS = "errors"  # the column a quarantined row gains: its error codes

# Columns every scored row carries besides the passthrough ones; user-named columns (scores,
# components, actions, derived) must not take these names, nor the Hive keys.
RESERVED_COLUMNS = frozenset({*HIVE_KEYS, TIER_RANK, TIER_LABEL, OVERRIDE, REASONS, QUARANTINE_ERRORS,
                              GROUP_ROWS, SCORECARD, SCORECARD_VERSION, RUN_ID})
