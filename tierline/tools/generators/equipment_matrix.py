"""Equipment register for `equipment_matrix`: five integer factor scores 1-5 that share a latent
criticality per unit (valuable equipment tends to matter to safety and production too), 3% special
equipment, 2% with an accident history; about 1% null use scores and 0.5% cost scores out of 1-5."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.tools.generators._common import choice, flags, ids, with_nulls

FACTORS = ("value_score", "use_score", "safety_score", "production_score", "cost_score")


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    criticality = rng.normal(2.7, 0.4, size=n)
    scores = {name: np.clip(np.round(criticality + rng.normal(0.0, 0.6, size=n)), 1, 5).astype(np.int64)
              for name in FACTORS}
    miskeyed = rng.random(n) < 0.005  # a cost typed on the 0-10 scale of another form
    scores["cost_score"][miskeyed] = rng.choice(np.array([0, 6, 8]), size=int(miskeyed.sum()))
    return pa.table({
        "equipment_id": ids("EM", n),
        **{name: with_nulls(values, rng, 0.01) if name == "use_score" else pa.array(values)
           for name, values in scores.items()},
        "special_equipment": flags(rng, n, 0.03),
        "accident_history": flags(rng, n, 0.02),
        "team": choice(rng, ["drilling", "pumping", "power", "workshop", "transport"], n),
    })
