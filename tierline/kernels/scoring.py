"""The fused scoring pass: components → scores → ranks → overrides → tiers → reasons → actions → derived.

One call scores one partition, block by block (BLOCK rows at a time, so every intermediate stays
in cache). Inputs and outputs are NumPy arrays; `plan` is the NamedTuple of arrays built by
`tierline.compiler`. The functions are `nogil`, so Dask's threads run partitions in parallel.

Outputs (allocated by the caller):
- values[slot, row]: input slots are read; score, rank, action and derived slots are written
- points[component, row]: each component's points before its weight (NaN when it failed)
- tier[row]: index into the tier table, -1 when none; override[row]: override index or -1 (read,
  not written, when `plan.given_scores`: aggregated entities arrive with their group's scores in
  the score slots and their group's override)
- reasons[k, row]: up to `plan.reason_count` component indexes (the array's rows), largest
  weighted shortfall first, -1 pads; with `reason_count` 0 (no reasons column) none are computed
- errors[word, row]: bit `code` of the error-code table set for every check the row failed
"""

from __future__ import annotations


import numpy as np
from numba import njit

from tierline.kernels.errorbits import set_error
from tierline.kernels.expressions import run_program
from tierline.kernels.ranks import rank_rows
from tierline.kernels.opcodes import AXES, QUANTILES, RULES, BANDS, LINEAR, MAP, MAX, MEAN, MIN, PRODUCT, SUM, VALUE
from tierline.kernels.rounding import round_half_away

BLOCK = 2048


@njit(nogil=True, cache=True)
def _has_error(errors, row):
    for word in range(errors.shape[0]):
        if errors[word, row] != 0:
            return True
    return False


@njit(nogil=True, cache=True)
def _in_range(x, lo, lo_incl, hi, hi_incl, factor):
    """x within the range whose bounds are multiplied by factor (levels' scale); infinite bounds stay open."""
    if lo != -np.inf:
        bound = lo * factor
        if x < bound or (x == bound and not lo_incl):
            return False
    if hi != np.inf:
        bound = hi * factor
        if x > bound or (x == bound and not hi_incl):
            return False
    return True


@njit(nogil=True, cache=True)
def _find_key(keys, first, last, x):
    """Binary search of x in sorted keys[first:last]; returns the index or -1."""
    lo = first
    hi = last
    while lo < hi:
        mid = (lo + hi) // 2
        if keys[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    if lo < last and keys[lo] == x:
        return lo
    return -1


@njit(nogil=True, cache=True)
def _components(plan, values, points, errors, start, end):
    for c in range(plan.comp_slot.shape[0]):
        slot = plan.comp_slot[c]
        method = plan.comp_method[c]
        missing = plan.comp_missing[c]
        first = plan.comp_table_start[c]
        last = plan.comp_table_start[c + 1]
        for i in range(start, end):
            x = values[slot, i]
            if np.isnan(x):
                points[c, i] = missing
                if np.isnan(missing):
                    set_error(errors, plan.comp_error_null[c], i)
                continue
            result = np.nan
            if method == MAP:
                found = _find_key(plan.table_lo, first, last, x)
                # a value it does not list (a text outside the vocabulary is -1) takes `other`, NaN if none
                result = plan.table_points[found] if found >= 0 else plan.comp_other[c]
            elif method == BANDS:
                for b in range(first, last):
                    if _in_range(x, plan.table_lo[b], plan.table_lo_incl[b], plan.table_hi[b], plan.table_hi_incl[b], 1.0):
                        result = plan.table_points[b]
                        break
            elif method == LINEAR:
                x0 = plan.comp_linear[c, 0]
                x1 = plan.comp_linear[c, 1]
                y0 = plan.comp_linear[c, 2]
                y1 = plan.comp_linear[c, 3]
                clipped = min(max(x, x0), x1)
                result = y0 + (clipped - x0) * (y1 - y0) / (x1 - x0)
            elif method == VALUE:
                result = x
            points[c, i] = result
            if np.isnan(result) and plan.comp_error_value[c] >= 0:  # linear and value never fail here
                set_error(errors, plan.comp_error_value[c], i)


@njit(nogil=True, cache=True)
def _weights(plan, values, errors, start, end):
    """weighted_mean (SPEC §2.3): a row's weight must be a positive finite number, or the group's
    mean cannot take the row; checked here, not by validation, so that `--validation off` holds too."""
    slot = plan.weight_slot
    for i in range(start, end):
        w = values[slot, i]
        if np.isnan(w):
            set_error(errors, plan.weight_error_null, i)
        elif not (0.0 < w < np.inf):
            set_error(errors, plan.weight_error_between, i)


@njit(nogil=True, cache=True)
def _combine(plan, values, points, start, end):
    n_components = plan.comp_slot.shape[0]
    for s in range(plan.score_slot.shape[0]):
        combine = plan.score_combine[s]
        decimals = plan.score_round[s]
        slot = plan.score_slot[s]
        for i in range(start, end):
            if combine == PRODUCT:
                acc = 1.0
            elif combine == MIN:
                acc = np.inf
            elif combine == MAX:
                acc = -np.inf
            else:
                acc = 0.0
            weights = 0.0
            failed = False
            for c in range(n_components):
                if plan.comp_score[c] != s:
                    continue
                p = points[c, i]
                if np.isnan(p):
                    failed = True
                    break
                w = plan.comp_weight[c]
                if combine == SUM or combine == MEAN:
                    acc += w * p
                    weights += w
                elif combine == PRODUCT:
                    acc *= p
                elif combine == MIN:
                    acc = min(acc, w * p)
                else:
                    acc = max(acc, w * p)
            if failed:
                values[slot, i] = np.nan
                continue
            if combine == MEAN:
                acc = acc / weights
            elif combine == SUM:
                acc += plan.score_base[s]  # base points: after combining, before rounding
            if decimals >= 0:
                acc = round_half_away(acc, decimals)
            values[slot, i] = acc


@njit(nogil=True, cache=True)
def _axis_level(plan, axis, x, factor):
    """The value of the first level on `axis` that holds x (bounds × factor), -1 if none."""
    for level in range(plan.axis_level_start[axis], plan.axis_level_start[axis + 1]):
        if _in_range(x, plan.axis_lo[level], plan.axis_lo_incl[level], plan.axis_hi[level], plan.axis_hi_incl[level], factor):
            return plan.axis_level_value[level]
    return -1


@njit(nogil=True, cache=True)
def _axes(plan, values, tier, errors, from_score, start, end):
    """Levels (one axis, its level values are tiers) and matrices (two axes and a cell table)."""
    for i in range(start, end):
        if tier[i] >= 0:
            continue
        factor = 1.0
        if plan.scale_slot >= 0:
            key = values[plan.scale_slot, i]
            found = -1 if np.isnan(key) else _find_key(plan.scale_keys, 0, plan.scale_keys.shape[0], key)
            if found < 0:
                set_error(errors, plan.error_no_scale, i)
                continue
            factor = plan.scale_factors[found]
        first = -1
        second = -1
        for axis in range(plan.n_axes):
            x = values[plan.axis_slot[axis], i]
            if np.isnan(x):
                # a null score is the echo of its failed components: report it only when it is the sole problem
                if not plan.axis_by_score[axis] or not _has_error(errors, i):
                    set_error(errors, plan.axis_error[axis], i)
                break
            if axis == 0:
                first = _axis_level(plan, axis, x, factor)
            else:
                second = _axis_level(plan, axis, x, factor)
        if first < 0 or (plan.n_axes == 2 and second < 0):
            continue
        tier[i] = first if plan.n_axes == 1 else plan.matrix_cells[first * plan.matrix_n_cols + second]
        from_score[i] = True


@njit(nogil=True, cache=True)
def _quantiles(plan, values, tier, errors, from_score, population, limits, start, end):
    """Global quantile tiers: rank = 1 + the valid values strictly better than x in the whole
    register (`population`, sorted ascending); the first tier with rank ≤ its limit. Without a
    population (the first pass of a run) only null values are marked."""
    n = population.shape[0]
    for i in range(start, end):
        if tier[i] >= 0:
            continue
        x = values[plan.axis_slot[0], i]
        if np.isnan(x):
            if not plan.axis_by_score[0] or not _has_error(errors, i):
                set_error(errors, plan.axis_error[0], i)
            continue
        if limits.shape[0] == 0:
            continue
        if plan.quantile_desc:
            better = n - np.searchsorted(population, x, side="right")
        else:
            better = np.searchsorted(population, x, side="left")
        rank = 1 + better
        for q in range(limits.shape[0]):
            if rank <= limits[q]:
                tier[i] = plan.quantile_tier[q]
                from_score[i] = True
                break


@njit(nogil=True, cache=True)
def _rules(plan, values, tier, errors, stack, conditions, start, end):
    n_rules = plan.rule_program.shape[0]
    for r in range(n_rules):
        if plan.rule_program[r] >= 0:
            run_program(plan.program_start, plan.code, plan.code_arg, plan.code_const, plan.set_values,
                        plan.rule_program[r], values, start, end, stack, conditions[r])
    for i in range(start, end):
        if tier[i] >= 0:
            continue
        k = i - start
        chosen = -1
        matches = 0
        catch_all = -1
        for r in range(n_rules):
            if plan.rule_program[r] < 0:
                catch_all = r
            elif conditions[r, k] == 1.0:
                matches += 1
                if chosen < 0:
                    chosen = r
                if not plan.rule_unique:
                    break
        if matches > 1:
            set_error(errors, plan.error_ambiguous, i)
        elif chosen >= 0:
            tier[i] = plan.rule_tier[chosen]
        elif catch_all >= 0:
            tier[i] = plan.rule_tier[catch_all]
        elif not _has_error(errors, i):  # a row already invalid matches no rule for that reason
            set_error(errors, plan.error_no_rule, i)


@njit(nogil=True, cache=True)
def _reasons(plan, points, tier, from_score, reasons, start, end):
    n_components = plan.comp_slot.shape[0]
    # The components that can give a reason (their score sets tiers, their max is known): once.
    eligible = np.empty(n_components, dtype=np.int64)
    m = 0
    for c in range(n_components):
        if plan.reason_mask[plan.comp_score[c]] and not np.isnan(plan.comp_max[c]):
            eligible[m] = c
            m += 1
    shortfall = np.empty(max(m, 1))
    for i in range(start, end):
        for k in range(reasons.shape[0]):
            reasons[k, i] = -1
        if tier[i] < 0 or not from_score[i]:
            continue
        for e in range(m):
            c = eligible[e]
            shortfall[e] = plan.comp_weight[c] * (plan.comp_max[c] - points[c, i])  # NaN never wins
        for k in range(reasons.shape[0]):
            best = -1
            best_shortfall = 0.0
            for e in range(m):
                if shortfall[e] > best_shortfall:  # strict: ties keep component order
                    best = e
                    best_shortfall = shortfall[e]
            if best < 0:
                break
            reasons[k, i] = eligible[best]
            shortfall[best] = 0.0  # taken: only a positive shortfall is a reason


@njit(nogil=True, cache=True)
def score_partition(plan, values, points, tier, override, reasons, errors, population, limits, ranks):
    """Score every row of one partition. See the module docstring for the arrays; `population` and
    `limits` are the register's sorted valid values and rank limits for quantile tiers (else empty);
    `ranks` the register's ranked values (`tierline.kernels.ranks.RankTables`)."""
    n = values.shape[1]
    depth = max(plan.stack_depth, 1)
    stack = np.empty((depth, BLOCK))
    condition = np.empty(BLOCK)
    conditions = np.empty((max(plan.rule_program.shape[0], 1), BLOCK))
    from_score = np.zeros(n, dtype=np.bool_)
    for start in range(0, n, BLOCK):
        end = min(start + BLOCK, n)
        for i in range(start, end):
            if plan.given_scores:  # an aggregated entity: its group's scores and override came in
                tier[i] = plan.override_tier[override[i]] if override[i] >= 0 else -1
            else:
                tier[i] = -1
                override[i] = -1
        _components(plan, values, points, errors, start, end)
        if plan.weight_slot >= 0 and not plan.given_scores:  # an entity's first row had a valid weight
            _weights(plan, values, errors, start, end)
        if not plan.given_scores:
            _combine(plan, values, points, start, end)
        rank_rows(plan, values, ranks, start, end)  # before anything that may read a rank
        if not plan.given_scores:
            for o in range(plan.override_program.shape[0]):
                run_program(plan.program_start, plan.code, plan.code_arg, plan.code_const, plan.set_values,
                            plan.override_program[o], values, start, end, stack, condition)
                for i in range(start, end):
                    if tier[i] < 0 and condition[i - start] == 1.0:
                        tier[i] = plan.override_tier[o]
                        override[i] = o
        if plan.tiering == AXES:
            _axes(plan, values, tier, errors, from_score, start, end)
        elif plan.tiering == QUANTILES:
            _quantiles(plan, values, tier, errors, from_score, population, limits, start, end)
        elif plan.tiering == RULES:
            _rules(plan, values, tier, errors, stack, conditions, start, end)
        if plan.reason_count > 0:  # the lean profile (`output: {reasons: false}`) skips them
            _reasons(plan, points, tier, from_score, reasons, start, end)
        for a in range(plan.action_slot.shape[0]):
            slot = plan.action_slot[a]
            for i in range(start, end):
                values[slot, i] = plan.action_values[a, tier[i]] if tier[i] >= 0 else np.nan
        for d in range(plan.derived_program.shape[0]):
            run_program(plan.program_start, plan.code, plan.code_arg, plan.code_const, plan.set_values,
                        plan.derived_program[d], values, start, end, stack, condition)
            slot = plan.derived_slot[d]
            for i in range(start, end):
                values[slot, i] = condition[i - start]
