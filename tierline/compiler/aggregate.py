"""Aggregation's part of the plan (SPEC §2.3): the weight a `weighted_mean` reads from each row,
and the codes of the row checks and group checks aggregation claims."""

from __future__ import annotations

from typing import Any

import numpy as np

from tierline.compiler.errortable import NO_CODE, ErrorTable
from tierline.compiler.slots import SlotTable
from tierline.scorecard.model import Scorecard


def compile_aggregate(scorecard: Scorecard, slots: SlotTable, errors: ErrorTable) -> dict[str, Any]:
    """The weight's slot and codes (a null weight is `<weight>:not_null`, one that is not a positive
    finite number `<weight>:between`: the mean cannot be formed with it, so the row is invalid in
    every validation mode); then `<key>:not_null` (a row without a key belongs to no entity, in
    every mode too: `tierline.pipeline.aggregate.mark_keyless_rows`) and `<key>:even_count` for
    `odd_count`."""
    aggregate = scorecard.aggregate
    weight_slot, null_code, between_code = -1, NO_CODE, NO_CODE
    if aggregate is not None and aggregate.weight is not None:
        weight_slot = slots.slots[aggregate.weight]
        null_code, between_code = (errors.code(code) for code in aggregate.weight_codes)
    if aggregate is not None:
        errors.code(aggregate.key_null_code)
    if aggregate is not None and aggregate.odd_count:
        errors.code(aggregate.even_count_code)
    return {"weight_slot": np.int64(weight_slot), "weight_error_null": np.int64(null_code),
            "weight_error_between": np.int64(between_code)}
