"""Numba kernels for batched WDM tuning plans (private; used by :mod:`cposim.control.tuning`).

Per bank: red-shift-only required shifts modulo FSR, channel assignment (ordered, barrel shift,
or free assignment by the Hungarian algorithm), an aliasing check, heater powers through the
inverse crosstalk matrix, and the first failure reason. Banks run in parallel; everything inside
a bank is serial and small (n_rings ≲ 64). The plain NumPy/scipy reference is
:func:`cposim.control.tuning.plan_tuning_reference`.
"""

from __future__ import annotations

import numba
import numpy as np

from cposim.control._jit import jit, jit_parallel

STRATEGY_CODES = {"ordered": 0, "barrel": 1, "free": 2}

FEASIBLE = 0
TUNING_RANGE_EXCEEDED = 1
CHANNEL_ALIASING = 2
CROSSTALK_NEGATIVE_POWER = 3
POWER_BUDGET_EXCEEDED = 4

# Weight of the quadratic tie-break of the free assignment (relative to the linear cost).
TIE_BREAK = 1e-6

# Relative tolerance on the power bounds (round-off of the crosstalk solve).
_POWER_RTOL = 1e-12


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
def assign(cost, allowed, strategy, assignment):
    """Choose each ring's channel from a (n_rings, n_channels) power cost.

    ordered: ring i → channel i. barrel: ring i → channel (i + s) mod C for the rotation s with
    the fewest disallowed pairs, then the smallest largest cost, then the least total (with
    FSR = C·spacing every rotation has nearly the same total, so the largest cost decides).
    free: minimum total cost, disallowed pairs priced so that any assignment with fewer of them
    is cheaper; exact ties (every assignment with the same number of FSR wraps has the same
    total) are broken toward balanced costs by a ``TIE_BREAK``-weighted quadratic term.
    """
    n, m = cost.shape
    if strategy == 0:
        for i in range(n):
            assignment[i] = i
    elif strategy == 1:
        best_bad = n + 1
        best_max = np.inf
        best_total = np.inf
        best_shift = 0
        for s in range(m):
            bad = 0
            worst = 0.0
            total = 0.0
            for i in range(n):
                c = (i + s) % m
                if allowed[i, c]:
                    total += cost[i, c]
                    worst = max(worst, cost[i, c])
                else:
                    bad += 1
            better = bad < best_bad or (
                bad == best_bad and (worst < best_max or (worst == best_max and total < best_total))
            )
            if better:
                best_bad = bad
                best_max = worst
                best_total = total
                best_shift = s
        for i in range(n):
            assignment[i] = (i + best_shift) % m
    else:
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
                    cost[i, c] * (1.0 + TIE_BREAK * cost[i, c] / largest)
                    if allowed[i, c]
                    else penalty
                )
        hungarian(priced, assignment)


@jit
def plan_one_bank(
    cold,
    fsr,
    grid,
    efficiency,
    pmax,
    inverse_crosstalk,
    has_crosstalk,
    strategy,
    budget,
    alias_guard,
    assignment,
    shift,
    power,
):
    """Plan one bank in place; returns (total power W, failure code)."""
    n = cold.shape[0]
    m = grid.shape[0]
    cost = np.empty((n, m))
    allowed = np.empty((n, m), dtype=np.bool_)
    for i in range(n):
        for c in range(m):
            cost[i, c] = red_shift_m(grid[c], cold[i], fsr[i]) / efficiency[i]
            allowed[i, c] = cost[i, c] <= pmax[i]
    assign(cost, allowed, strategy, assignment)
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
        if power[i] < -_POWER_RTOL * pmax[i]:
            negative = True
    if code == FEASIBLE:
        if negative:
            code = CROSSTALK_NEGATIVE_POWER
        elif total > budget:
            code = POWER_BUDGET_EXCEEDED
    return total, code


@jit_parallel
def plan_banks(
    cold,
    fsr,
    grid,
    efficiency,
    pmax,
    inverse_crosstalk,
    has_crosstalk,
    strategy,
    budget,
    alias_guard,
    assignment,
    shift,
    power,
    total,
    code,
):
    """Plan every bank (rows of the (n_banks, n_rings) inputs) in parallel, in place."""
    for b in numba.prange(cold.shape[0]):
        t, c = plan_one_bank(
            cold[b],
            fsr[b],
            grid,
            efficiency[b],
            pmax[b],
            inverse_crosstalk,
            has_crosstalk,
            strategy,
            budget,
            alias_guard,
            assignment[b],
            shift[b],
            power[b],
        )
        total[b] = t
        code[b] = c


@jit_parallel
def assign_banks(cost, allowed, strategy, assignment):
    """Channel assignment for every bank from a (n_banks, n_rings, n_channels) cost, in place."""
    for b in numba.prange(cost.shape[0]):
        assign(cost[b], allowed[b], strategy, assignment[b])
