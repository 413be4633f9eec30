"""Numba kernels for batched WDM tuning plans (private; used by :mod:`cposim.control.tuning`).

Per bank: red-shift-only required shifts modulo FSR, candidate channel assignments (ordered,
barrel rotations in order of preference, or the Hungarian free assignment and its fallbacks),
and for each candidate an aliasing check, heater powers through the inverse crosstalk matrix and
the first failure reason, until a feasible one is found (rules: :mod:`cposim.control.tuning`).
Banks run in parallel; everything inside a bank is serial and small (n_rings ≲ 64). The plain
NumPy/scipy reference is :mod:`cposim.control.tuning._reference`.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from cposim.control.core.jit import jit, jit_parallel

STRATEGY_CODES = {"ordered": 0, "barrel": 1, "free": 2}

FEASIBLE = 0
TUNING_RANGE_EXCEEDED = 1
CHANNEL_ALIASING = 2
CROSSTALK_NEGATIVE_POWER = 3
POWER_BUDGET_EXCEEDED = 4

# Weight of the quadratic tie-break of the free assignment (relative to the linear cost).
TIE_BREAK = 1e-6

# Relative tolerance on the power bounds (round-off of the crosstalk solve).
POWER_RTOL = 1e-12


class BankInputs(NamedTuple):
    """Inputs of :func:`plan_banks`, validated and built in one place
    (:func:`cposim.control.tuning.plan.tuning_inputs`)."""

    cold_resonance_m: np.ndarray
    """Shape (n_banks, n_rings), m."""
    fsr_m: np.ndarray
    """Shape (n_banks, n_rings), m."""
    tuning_efficiency_m_per_w: np.ndarray
    """Shape (n_banks, n_rings), m/W."""
    max_heater_power_w: np.ndarray
    """Shape (n_banks, n_rings), W."""
    channel_wavelength_m: np.ndarray
    """Shape (n_channels,), m."""
    crosstalk_fraction: np.ndarray
    """``X`` (diagonal 1), shape (n_rings, n_rings); the identity without crosstalk."""
    inverse_crosstalk: np.ndarray
    """``X⁻¹``, shape (n_rings, n_rings)."""
    has_crosstalk: bool
    strategy: int
    """:data:`STRATEGY_CODES` value."""
    total_power_budget_w: float
    alias_guard_m: float


class PlanOutputs(NamedTuple):
    """Outputs of :func:`plan_banks`: per ring (n_banks, n_rings) and per bank (n_banks,)."""

    assignment: np.ndarray
    shift_m: np.ndarray
    heater_power_w: np.ndarray
    total_power_w: np.ndarray
    failure_code: np.ndarray

    @classmethod
    def empty(cls, n_banks: int, n_rings: int) -> PlanOutputs:
        """Uninitialised outputs (every element is written by :func:`plan_banks`)."""
        return cls(
            assignment=np.empty((n_banks, n_rings), dtype=np.int64),
            shift_m=np.empty((n_banks, n_rings)),
            heater_power_w=np.empty((n_banks, n_rings)),
            total_power_w=np.empty(n_banks),
            failure_code=np.empty(n_banks, dtype=np.int8),
        )


class _Bank(NamedTuple):
    """One bank's rows of :class:`BankInputs` (views, taken once per bank) and the shared
    settings :func:`evaluate` reads for every candidate."""

    fsr_m: np.ndarray
    tuning_efficiency_m_per_w: np.ndarray
    max_heater_power_w: np.ndarray
    channel_wavelength_m: np.ndarray
    inverse_crosstalk: np.ndarray
    has_crosstalk: bool
    total_power_budget_w: float
    alias_guard_m: float


class Candidate(NamedTuple):
    """One channel assignment of a bank with its shifts and heater powers (rows, n_rings)."""

    assignment: np.ndarray
    shift_m: np.ndarray
    heater_power_w: np.ndarray


@jit
def red_shift_m(target_m, resonance_m, fsr_m):
    """Smallest red shift (≥ 0, < FSR) that moves a resonance order onto ``target_m``."""
    x = target_m - resonance_m
    return x - fsr_m * np.floor(x / fsr_m)


@jit
def hungarian(cost, assignment):
    """Minimum-cost assignment of rows to distinct columns (rows ≤ columns), O(n²m).

    Shortest augmenting paths with potentials (Kuhn–Munkres as in Jonker & Volgenant,
    Computing 38, 325 (1987)); writes each row's column into ``assignment``.
    """
    n, m = cost.shape
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    p = np.zeros(m + 1, dtype=np.int64)
    way = np.zeros(m + 1, dtype=np.int64)
    minv = np.empty(m + 1)
    used = np.empty(m + 1, dtype=np.bool_)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv[:] = np.inf
        used[:] = False
        while True:
            used[j0] = True
            i0 = p[j0]
            delta = np.inf
            j1 = 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = cost[i0 - 1, j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j] = cur
                        way[j] = j0
                    if minv[j] < delta:
                        delta = minv[j]
                        j1 = j
            for j in range(m + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while True:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
            if j0 == 0:
                break
    for j in range(1, m + 1):
        if p[j] != 0:
            assignment[p[j] - 1] = j - 1


@jit
def barrel_order(cost, allowed, order):
    """Rotations ``s`` (ring i → channel (i + s) mod C) sorted by preference, written to ``order``.

    Preference: the fewest disallowed pairs, then the smallest largest cost, then the least
    total (with FSR = C·spacing every rotation has nearly the same total, so the largest cost
    decides); equal keys keep the smaller rotation first (stable insertion sort). Returns the
    number of disallowed pairs of every rotation (indexed by rotation).
    """
    n, m = cost.shape
    bad = np.zeros(m, dtype=np.int64)
    worst = np.zeros(m)
    total = np.zeros(m)
    for s in range(m):
        for i in range(n):
            c = (i + s) % m
            if allowed[i, c]:
                total[s] += cost[i, c]
                worst[s] = max(worst[s], cost[i, c])
            else:
                bad[s] += 1
    for s in range(m):
        j = s
        while j > 0:
            t = order[j - 1]
            before = bad[s] < bad[t] or (
                bad[s] == bad[t]
                and (worst[s] < worst[t] or (worst[s] == worst[t] and total[s] < total[t]))
            )
            if not before:
                break
            order[j] = t
            j -= 1
        order[j] = s
    return bad


@jit
def free_prices(cost, allowed):
    """Cost matrix for the free assignment's Hungarian solve.

    Disallowed pairs cost more than any assignment with fewer of them; exact ties (every
    assignment with the same number of FSR wraps has the same total) are broken toward
    balanced costs by a ``TIE_BREAK``-weighted quadratic term.
    """
    n, m = cost.shape
    largest = 0.0
    for i in range(n):
        for c in range(m):
            if allowed[i, c] and cost[i, c] > largest:
                largest = cost[i, c]
    largest = max(largest, 1e-300)
    penalty = (n + 1.0) * largest * (1.0 + TIE_BREAK) + 1.0
    priced = np.empty((n, m))
    for i in range(n):
        for c in range(m):
            priced[i, c] = (
                cost[i, c] * (1.0 + TIE_BREAK * cost[i, c] / largest) if allowed[i, c] else penalty
            )
    return priced


@jit
def assign(cost, allowed, strategy, assignment):
    """Choose each ring's channel from a (n_rings, n_channels) power cost (no crosstalk).

    ordered: ring i → channel i. barrel: the preferred rotation of :func:`barrel_order`.
    free: minimum total cost of :func:`free_prices` (Hungarian algorithm).
    """
    n, m = cost.shape
    if strategy == 0:
        for i in range(n):
            assignment[i] = i
    elif strategy == 1:
        order = np.empty(m, dtype=np.int64)
        barrel_order(cost, allowed, order)
        for i in range(n):
            assignment[i] = (i + order[0]) % m
    else:
        hungarian(free_prices(cost, allowed), assignment)


@jit
def evaluate(cost, allowed, bank, candidate):
    """Shifts, heater powers (through crosstalk) and the first failure of one assignment.

    ``candidate`` (a :class:`Candidate` of the bank ``bank``, a :class:`_Bank`) holds the
    assignment; its shifts and powers are filled in place. Returns (total power W, failure
    code).
    """
    assignment, shift, power = candidate
    fsr, efficiency, pmax, grid, inverse_crosstalk, has_crosstalk, budget, alias_guard = bank
    n = cost.shape[0]
    m = grid.shape[0]
    code = FEASIBLE
    for i in range(n):
        shift[i] = cost[i, assignment[i]] * efficiency[i]
        if not allowed[i, assignment[i]]:
            code = TUNING_RANGE_EXCEEDED
    if code == FEASIBLE and alias_guard > 0.0:
        for i in range(n):
            own = grid[assignment[i]]
            for c in range(m):
                if c != assignment[i]:
                    x = grid[c] - own + 0.5 * fsr[i]
                    distance = abs(x - fsr[i] * np.floor(x / fsr[i]) - 0.5 * fsr[i])
                    if distance < alias_guard:
                        code = CHANNEL_ALIASING
    for i in range(n):
        if has_crosstalk:
            acc = 0.0
            for j in range(n):
                acc += inverse_crosstalk[i, j] * shift[j] / efficiency[j]
            power[i] = acc
        else:
            power[i] = shift[i] / efficiency[i]
    total = 0.0
    negative = False
    for i in range(n):
        total += power[i]
        if power[i] < -POWER_RTOL * pmax[i]:
            negative = True
    if code == FEASIBLE:
        if negative:
            code = CROSSTALK_NEGATIVE_POWER
        elif total > budget:
            code = POWER_BUDGET_EXCEEDED
    return total, code


@jit
def forbid_negative(assignment, power, pmax, usable):
    """Mark each ring's assigned pair unusable where it needs negative power; True if any new."""
    changed = False
    for i in range(assignment.shape[0]):
        if power[i] < -POWER_RTOL * pmax[i] and usable[i, assignment[i]]:
            usable[i, assignment[i]] = False
            changed = True
    return changed


@jit
def plan_one_bank(inputs, b, out):
    """Plan one bank in place; returns (total power W, failure code).

    ordered: ring i → channel i. barrel: the first rotation in :func:`barrel_order`'s
    preference that is feasible after the crosstalk solve and the budget. free: the Hungarian
    optimum of the own-heater costs when it is feasible; otherwise the feasible candidate of
    least total heater power among (a) repairs of the optimum — forbid each ring's pair that
    needs negative power and solve again, while that is the failure, at most n_rings times —
    and (b) every in-range barrel rotation. When nothing is feasible, the preferred assignment
    (rotation or optimum) and its first failure are reported.
    """
    assignment, shift, power = out
    cold = inputs.cold_resonance_m[b]
    bank = _Bank(
        inputs.fsr_m[b],
        inputs.tuning_efficiency_m_per_w[b],
        inputs.max_heater_power_w[b],
        inputs.channel_wavelength_m,
        inputs.inverse_crosstalk,
        inputs.has_crosstalk,
        inputs.total_power_budget_w,
        inputs.alias_guard_m,
    )
    fsr, efficiency, pmax, grid = bank[:4]
    strategy = inputs.strategy
    n = cold.shape[0]
    m = grid.shape[0]
    cost = np.empty((n, m))
    allowed = np.empty((n, m), dtype=np.bool_)
    for i in range(n):
        for c in range(m):
            cost[i, c] = red_shift_m(grid[c], cold[i], fsr[i]) / efficiency[i]
            allowed[i, c] = cost[i, c] <= pmax[i]
    if strategy == 0:
        for i in range(n):
            assignment[i] = i
        return evaluate(cost, allowed, bank, out)
    trial = np.empty(n, dtype=np.int64)
    trial_shift = np.empty(n)
    trial_power = np.empty(n)
    candidate = Candidate(trial, trial_shift, trial_power)
    order = np.empty(m, dtype=np.int64)
    bad = barrel_order(cost, allowed, order)
    if strategy == 1:
        total, code = 0.0, FEASIBLE
        for r in range(m):
            s = order[r]
            if r > 0 and bad[s] > 0:
                break  # this and every later rotation exceeds some ring's heater range
            for i in range(n):
                trial[i] = (i + s) % m
            t, c = evaluate(cost, allowed, bank, candidate)
            if r == 0 or c == FEASIBLE:
                assignment[:] = trial
                shift[:] = trial_shift
                power[:] = trial_power
                total, code = t, c
            if c == FEASIBLE:
                break
        return total, code
    hungarian(free_prices(cost, allowed), assignment)
    total, code = evaluate(cost, allowed, bank, out)
    if code <= TUNING_RANGE_EXCEEDED:
        return total, code  # feasible, or every assignment exceeds some ring's range
    # Fallback candidates: up to n repairs of the optimum, then the in-range rotations.
    best = np.empty(n, dtype=np.int64)
    best_shift = np.empty(n)
    best_power = np.empty(n)
    best_total = np.inf
    usable = allowed.copy()
    trial[:] = assignment
    trial_power[:] = power
    repairing = code == CROSSTALK_NEGATIVE_POWER
    repairs = 0
    rotation = 0
    for _ in range(n + m):
        repairing = repairing and repairs < n and forbid_negative(trial, trial_power, pmax, usable)
        if repairing:
            repairs += 1
            hungarian(free_prices(cost, usable), trial)
        else:
            if rotation == m or bad[order[rotation]] > 0:
                break
            for i in range(n):
                trial[i] = (i + order[rotation]) % m
            rotation += 1
        t, c = evaluate(cost, allowed, bank, candidate)
        repairing = repairing and c == CROSSTALK_NEGATIVE_POWER
        if c == FEASIBLE and t < best_total:
            best[:] = trial
            best_shift[:] = trial_shift
            best_power[:] = trial_power
            best_total = t
    if best_total < np.inf:
        assignment[:] = best
        shift[:] = best_shift
        power[:] = best_power
        return best_total, FEASIBLE
    return total, code


@jit_parallel
def plan_banks(inputs, out):
    """Plan every bank of ``inputs`` (:class:`BankInputs`) in parallel into ``out``
    (:class:`PlanOutputs`)."""
    for b in numba.prange(inputs.cold_resonance_m.shape[0]):
        _plan_into(inputs, b, out)


@jit
def _plan_into(inputs, b, out):
    """Bank ``b`` planned into its rows of ``out``. The parallel loop body is this one call:
    Numba 0.68's parfor lowering mis-stores the tuple returned by :func:`plan_one_bank` when it
    is unpacked inside the loop (measured: wrong totals and codes)."""
    row = Candidate(out.assignment[b], out.shift_m[b], out.heater_power_w[b])
    total, code = plan_one_bank(inputs, b, row)
    out.total_power_w[b] = total
    out.failure_code[b] = code


@jit_parallel
def assign_banks(cost, allowed, strategy, assignment):
    """Channel assignment for every bank from a (n_banks, n_rings, n_channels) cost, in place."""
    for b in numba.prange(cost.shape[0]):
        assign(cost[b], allowed[b], strategy, assignment[b])
