"""Plain NumPy/scipy reference of the tuning-plan kernels (private; tests and benchmarks).

Same rules as :mod:`cposim.control.tuning._kernels`, written independently: whole-array
NumPy, :func:`scipy.optimize.linear_sum_assignment` for the free assignment and
:func:`numpy.linalg.solve` on the crosstalk matrix itself (the kernels use its inverse). One
bank at a time, so it is slow; :func:`plan_banks_reference` takes and fills the kernel's
structures.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize

from cposim.control.tuning import _kernels as kernels


def plan_banks_reference(inputs: kernels.BankInputs, out: kernels.PlanOutputs) -> None:
    """Plan every bank of ``inputs`` into ``out``, like :func:`~._kernels.plan_banks`.

    Parameters
    ----------
    inputs : BankInputs
        The banks, as built by :func:`cposim.control.tuning.plan.tuning_inputs`.
    out : PlanOutputs
        Filled in place.
    """
    for b in range(inputs.cold_resonance_m.shape[0]):
        assignment, shift, power, total, code = _plan_bank(inputs, b)
        out.assignment[b] = assignment
        out.shift_m[b] = shift
        out.heater_power_w[b] = power
        out.total_power_w[b] = total
        out.failure_code[b] = code


def _plan_bank(inputs, b):
    cold = inputs.cold_resonance_m[b]
    fsr = inputs.fsr_m[b]
    efficiency = inputs.tuning_efficiency_m_per_w[b]
    pmax = inputs.max_heater_power_w[b]
    grid = inputs.channel_wavelength_m
    crosstalk = inputs.crosstalk_fraction if inputs.has_crosstalk else None
    guard = inputs.alias_guard_m
    n, m = cold.size, grid.size
    shift_all = np.mod(grid[None, :] - cold[:, None], fsr[:, None])
    cost = shift_all / efficiency[:, None]
    allowed = cost <= pmax[:, None]
    rows = np.arange(n)

    def evaluate(columns):
        columns = np.asarray(columns, dtype=np.int64)
        shift = shift_all[rows, columns]
        failure = kernels.FEASIBLE
        if not np.all(allowed[rows, columns]):
            failure = kernels.TUNING_RANGE_EXCEEDED
        elif guard > 0.0:
            separation = grid[None, :] - grid[columns][:, None]
            distance = np.abs(
                np.mod(separation + 0.5 * fsr[:, None], fsr[:, None]) - 0.5 * fsr[:, None]
            )
            distance[rows, columns] = np.inf
            if np.any(distance < guard):
                failure = kernels.CHANNEL_ALIASING
        own = shift / efficiency
        power = np.linalg.solve(crosstalk, own) if crosstalk is not None else own
        total = float(np.sum(power))
        if failure == kernels.FEASIBLE:
            if np.any(power < -kernels.POWER_RTOL * pmax):
                failure = kernels.CROSSTALK_NEGATIVE_POWER
            elif total > inputs.total_power_budget_w:
                failure = kernels.POWER_BUDGET_EXCEEDED
        return columns, shift, power, total, failure

    def rotation_key(s):
        ok = allowed[rows, (rows + s) % m]
        chosen = cost[rows, (rows + s) % m][ok]
        return (int(np.sum(~ok)), float(chosen.max(initial=0.0)), float(np.sum(chosen)))

    def free_optimum(usable):
        largest = max(float(cost[usable].max()) if usable.any() else 0.0, 1e-300)
        tie_break = kernels.TIE_BREAK
        penalty = (n + 1.0) * largest * (1.0 + tie_break) + 1.0
        priced = np.where(usable, cost * (1.0 + tie_break * cost / largest), penalty)
        return scipy.optimize.linear_sum_assignment(priced)[1]

    def feasible(plan):
        return plan[4] == kernels.FEASIBLE

    if inputs.strategy == kernels.STRATEGY_CODES["ordered"]:
        return evaluate(rows)
    rotations = sorted(range(m), key=rotation_key)  # stable: equal keys keep smaller s first
    in_range = [s for s in rotations if rotation_key(s)[0] == 0]
    if inputs.strategy == kernels.STRATEGY_CODES["barrel"]:
        preferred = evaluate((rows + rotations[0]) % m)
        later = (evaluate((rows + s) % m) for s in in_range if s != rotations[0])
        return preferred if feasible(preferred) else next(filter(feasible, later), preferred)
    preferred = evaluate(free_optimum(allowed))
    if preferred[4] <= kernels.TUNING_RANGE_EXCEEDED:
        return preferred
    candidates = []
    usable = allowed.copy()
    plan = preferred
    for _ in range(n):  # repairs: forbid the pairs that need negative power, solve again
        if plan[4] != kernels.CROSSTALK_NEGATIVE_POWER:
            break
        columns, _, power, _, _ = plan
        new = (power < -kernels.POWER_RTOL * pmax) & usable[rows, columns]
        if not new.any():
            break
        usable[rows[new], columns[new]] = False
        plan = evaluate(free_optimum(usable))
        candidates.append(plan)
    candidates += [evaluate((rows + s) % m) for s in in_range]
    good = [plan for plan in candidates if feasible(plan)]
    return min(good, key=lambda plan: plan[3]) if good else preferred
