"""Hazard register for `coal_hazard`: inspection findings across 40 mines, each of the 19 listed
major-hazard conditions rare (0.2-0.5%), 2% needing a production stop, 1% the group company, 90%
fixable on discovery; about 1% without an inspector's verdict and 1% without a mine (bad rows)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.tools.generators._common import flags, ids, with_nulls

# The 19 conditions of the source's list, in its order (see scorecards/coal_hazard.yaml).
MAJOR_HAZARD_CONDITIONS = (
    "over_capacity_production", "gas_over_limit_work", "no_outburst_prevention",
    "gas_drainage_monitoring_deficient", "ventilation_insufficient", "no_full_pressure_ventilation",
    "roadway_disrepair_low_airflow", "auxiliary_fan_recirculation", "gas_inspectors_instruments_lacking",
    "dust_control_deficient", "fire_materials_lacking", "spontaneous_combustion_uncontrolled",
    "fire_zone_in_workings", "adjacent_mine_water_barrier_broken", "confined_water_no_control",
    "raised_mining_limit_unapproved", "flooded_area_pillar_insufficient", "confined_water_no_facilities",
    "old_goaf_water_no_probing",
)


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    mines = rng.choice(np.array([f"M{number:02d}" for number in range(1, 41)], dtype=object), size=n)
    columns = {
        "hazard_id": ids("HZ", n),
        "mine_id": with_nulls(mines, rng, 0.01),
    }
    # Gas, ventilation and dust findings (items 1-11) are the common ones; fire and water rarer.
    for index, name in enumerate(MAJOR_HAZARD_CONDITIONS):
        columns[name] = flags(rng, n, 0.005 if index < 11 else 0.002)
    columns["needs_production_stop"] = flags(rng, n, 0.02)
    columns["needs_group_company"] = flags(rng, n, 0.01)
    columns["fixable_on_discovery"] = with_nulls(rng.random(n) < 0.9, rng, 0.01)
    return pa.table(columns)
