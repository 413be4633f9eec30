"""Tuning plans: Numba batch == scipy reference, free == brute force, bounds and failures."""

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cposim.control.thermal import ThermalNetwork
from cposim.control.tuning.plan import TuningFailure, plan_tuning


def plan_tuning_reference(cold_resonance_m, **settings):
    """One bank planned by the NumPy/scipy reference engine."""
    return plan_tuning(np.asarray(cold_resonance_m)[None, :], engine="numpy", **settings).bank(0)


SPACING = 2.24e-9
N = 6
GRID = 1300e-9 + np.arange(N) * SPACING


def _banks(n_banks, seed, *, n=N, sigma=1.5e-9):
    rng = np.random.default_rng(seed)
    return GRID[:n] - 2e-9 + rng.normal(0.0, sigma, (n_banks, n))


COMMON = {
    "fsr_m": N * SPACING * 1.003,
    "channel_wavelength_m": GRID,
    "tuning_efficiency_m_per_w": 0.2e-6,
    "max_heater_power_w": 0.04,
}


@pytest.mark.parametrize("strategy", ["ordered", "barrel", "free"])
@pytest.mark.parametrize("crosstalk", [False, True])
def test_batched_plan_equals_reference(strategy, crosstalk):
    cold = _banks(300, 1)
    extra = {"crosstalk_fraction": ThermalNetwork.banded(N).crosstalk_fraction} if crosstalk else {}
    batch = plan_tuning(cold, strategy=strategy, **COMMON, **extra)
    codes = set()
    for b in range(cold.shape[0]):
        ref = plan_tuning_reference(cold[b], strategy=strategy, **COMMON, **extra)
        got = batch.bank(b)
        codes.add(ref.failure)
        assert got.failure == ref.failure
        assert got.total_power_w == pytest.approx(ref.total_power_w, rel=1e-9)
        if strategy != "free":  # the free optimum may be tied between permutations
            np.testing.assert_array_equal(got.assignment, ref.assignment)
            np.testing.assert_allclose(
                got.heater_power_w, ref.heater_power_w, rtol=1e-9, atol=1e-15
            )
    assert TuningFailure.FEASIBLE in codes
    if strategy != "free":
        assert len(codes) > 1  # infeasible banks exercised too


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 5))
def test_free_assignment_equals_brute_force(seed, n):
    rng = np.random.default_rng(seed)
    grid = 1300e-9 + np.arange(n) * SPACING
    cold = grid - rng.uniform(0.0, n * SPACING, n)
    fsr = n * SPACING
    pmax = rng.uniform(0.01, 0.06)
    plan = plan_tuning(
        cold,
        fsr_m=fsr,
        channel_wavelength_m=grid,
        tuning_efficiency_m_per_w=0.2e-6,
        max_heater_power_w=pmax,
        strategy="free",
        alias_guard_m=0.0,
    ).bank(0)
    shift = np.mod(grid[None, :] - cold[:, None], fsr)
    best = None
    for perm in itertools.permutations(range(n)):
        s = shift[np.arange(n), perm]
        key = (int(np.sum(s / 0.2e-6 > pmax)), float(np.sum(s)))
        best = key if best is None or key < best else best
    feasible = best[0] == 0
    assert plan.feasible == feasible
    if feasible:
        # Minimum total power; the 1e-6 tie-break may only trade 1e-6 of it for balance.
        assert np.sum(plan.shift_m) == pytest.approx(best[1], rel=2e-6)


@given(seed=st.integers(0, 2**32 - 1), offset=st.floats(0.0, 1.0))
def test_barrel_needs_at_most_one_spacing_beyond_the_common_offset(seed, offset):
    rng = np.random.default_rng(seed)
    mismatch = rng.uniform(-0.05, 0.05, N) * SPACING
    fsr = N * SPACING
    cold = GRID - offset * fsr + mismatch
    plan = plan_tuning(
        cold,
        fsr_m=fsr,
        channel_wavelength_m=GRID,
        tuning_efficiency_m_per_w=0.2e-6,
        max_heater_power_w=1.0,
        strategy="barrel",
    ).bank(0)
    # Best rotation s puts every ring within one spacing (plus twice the mismatch) of a channel.
    assert plan.shift_m.max() <= SPACING + 2 * np.abs(mismatch).max() + 1e-18


def test_failure_reasons():
    grid = GRID
    base = {"fsr_m": N * SPACING, "channel_wavelength_m": grid, "tuning_efficiency_m_per_w": 0.2e-6}
    cold = grid - 0.5e-9
    ok = plan_tuning(cold, max_heater_power_w=0.01, **base).bank(0)
    assert ok.feasible and ok.reason == "feasible"
    np.testing.assert_allclose(ok.heater_power_w, 0.5e-9 / 0.2e-6)
    too_far = plan_tuning(cold, max_heater_power_w=0.001, **base).bank(0)
    assert too_far.failure == TuningFailure.TUNING_RANGE_EXCEEDED
    budget = plan_tuning(cold, max_heater_power_w=0.01, total_power_budget_w=0.01, **base)
    assert budget.failure_code[0] == TuningFailure.POWER_BUDGET_EXCEEDED
    # FSR equal to three spacings: channel i+3 sits on the next order of a ring on channel i.
    alias = plan_tuning(cold, max_heater_power_w=0.02, **{**base, "fsr_m": 3 * SPACING})
    assert alias.bank(0).failure == TuningFailure.CHANNEL_ALIASING
    # Strong crosstalk: a ring that needs little shift is over-heated by its neighbours.
    x = ThermalNetwork.banded(N, neighbour_fractions=(0.3,)).crosstalk_fraction
    uneven = grid - np.array([2.0, 0.1, 2.0, 2.0, 2.0, 2.0]) * 1e-9
    negative = plan_tuning(
        uneven, max_heater_power_w=0.02, crosstalk_fraction=x, strategy="ordered", **base
    ).bank(0)
    assert negative.failure == TuningFailure.CROSSTALK_NEGATIVE_POWER
    for code in TuningFailure:
        assert code.reason


def test_plan_input_checks():
    with pytest.raises(ValueError, match="strategy = 'greedy' is not allowed"):
        plan_tuning(GRID, strategy="greedy", **COMMON)
    with pytest.raises(ValueError, match="channels collide"):
        plan_tuning(np.r_[GRID, GRID[:1]], **COMMON)
    with pytest.raises(ValueError, match=r"max_heater_power_w = -1\.0 is out of range"):
        plan_tuning(GRID, **{**COMMON, "max_heater_power_w": -1.0})
    with pytest.raises(ValueError, match="ones on its diagonal"):
        plan_tuning(GRID, crosstalk_fraction=0.5 * np.eye(N), **COMMON)


def test_tuning_kernel_without_jit_matches(tmp_path):
    """The same kernel run as plain Python (NUMBA_DISABLE_JIT=1) gives the same plans."""
    cold = _banks(40, 7)
    np.save(tmp_path / "cold.npy", cold)
    script = (
        "import numpy as np, sys\n"
        "from cposim.control.tuning import plan_tuning\n"
        f"cold = np.load(r'{tmp_path / 'cold.npy'}')\n"
        "p = plan_tuning(cold, fsr_m=%r, channel_wavelength_m=np.array(%r),"
        " tuning_efficiency_m_per_w=0.2e-6, max_heater_power_w=0.04, strategy='free')\n"
        f"np.save(r'{tmp_path / 'out.npy'}', np.c_[p.heater_power_w, p.failure_code])\n"
    ) % (COMMON["fsr_m"], list(GRID))
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=tmp_path)
    plain = np.load(tmp_path / "out.npy")
    jitted = plan_tuning(cold, strategy="free", **COMMON)
    np.testing.assert_allclose(
        plain, np.c_[jitted.heater_power_w, jitted.failure_code], rtol=1e-12, atol=1e-18
    )


# ------------------------------------------- candidates after the crosstalk solve (barrel, free)
NEAR = {
    "fsr_m": 8 * SPACING,
    "channel_wavelength_m": 1300e-9 + np.arange(8) * SPACING,
    "tuning_efficiency_m_per_w": 0.2e-6,
    "alias_guard_m": 0.0,
    "crosstalk_fraction": ThermalNetwork.banded(8, neighbour_fractions=(0.05,)).crosstalk_fraction,
}
# Rings almost exactly on their channels (blue by 0 … 0.03 nm): rotation 0 needs ≈ 0 shift, so
# the neighbours' heat (5 % per neighbour) over-shifts the rings that need none.
NEAR_COLD = NEAR["channel_wavelength_m"] - np.array([0.0, 10, 30, 0, 20, 5, 15, 0]) * 1e-12


def _brute_force_rotations(cold, pmax, budget=np.inf):
    """Every rotation in barrel preference order, with its feasibility after crosstalk."""
    grid, x = NEAR["channel_wavelength_m"], NEAR["crosstalk_fraction"]
    n = m = grid.size
    rows = []
    for s in range(m):
        columns = (np.arange(n) + s) % m
        own = np.mod(grid[columns] - cold, NEAR["fsr_m"]) / NEAR["tuning_efficiency_m_per_w"]
        ok = own <= pmax
        power = np.linalg.solve(x, own)
        feasible = ok.all() and np.all(power >= -1e-12 * pmax) and power.sum() <= budget
        key = (int(np.sum(~ok)), float(own[ok].max(initial=0.0)), float(own[ok].sum()))
        rows.append((key, s, columns, bool(feasible), power))
    return sorted(rows, key=lambda row: row[0])


def test_barrel_takes_the_first_rotation_feasible_after_crosstalk():
    ordered = plan_tuning(NEAR_COLD, max_heater_power_w=0.04, strategy="ordered", **NEAR).bank(0)
    assert ordered.failure == TuningFailure.CROSSTALK_NEGATIVE_POWER  # rotation 0 fails
    rotations = _brute_force_rotations(NEAR_COLD, 0.04)
    assert rotations[0][1] == 0 and not rotations[0][3]  # ... and it is the preferred one
    expected = next(row for row in rotations if row[3])
    plan = plan_tuning(NEAR_COLD, max_heater_power_w=0.04, strategy="barrel", **NEAR).bank(0)
    assert plan.feasible
    np.testing.assert_array_equal(plan.assignment, expected[2])
    np.testing.assert_allclose(plan.heater_power_w, expected[4], rtol=1e-9)
    reference = plan_tuning_reference(NEAR_COLD, max_heater_power_w=0.04, **NEAR)
    np.testing.assert_array_equal(reference.assignment, expected[2])
    # Free looks beyond its infeasible optimum too, and never needs more power than barrel.
    free = plan_tuning(NEAR_COLD, max_heater_power_w=0.04, strategy="free", **NEAR).bank(0)
    free_reference = plan_tuning_reference(
        NEAR_COLD, max_heater_power_w=0.04, strategy="free", **NEAR
    )
    assert free.feasible and free_reference.feasible
    assert free.total_power_w <= plan.total_power_w * (1 + 1e-12)
    assert free.total_power_w == pytest.approx(free_reference.total_power_w, rel=1e-9)
    assert np.all(free.heater_power_w >= 0.0)


@pytest.mark.parametrize("strategy", ["barrel", "free"])
def test_no_feasible_candidate_reports_the_preferred_assignments_failure(strategy):
    # Heaters reach only 0.1 nm: rotation 0 is the only one in range, and it fails by crosstalk.
    pmax = 0.1e-9 / NEAR["tuning_efficiency_m_per_w"]
    plan = plan_tuning(NEAR_COLD, max_heater_power_w=pmax, strategy=strategy, **NEAR).bank(0)
    reference = plan_tuning_reference(NEAR_COLD, max_heater_power_w=pmax, strategy=strategy, **NEAR)
    for got in (plan, reference):
        assert got.failure == TuningFailure.CROSSTALK_NEGATIVE_POWER
        np.testing.assert_array_equal(got.assignment, np.arange(8))
    # With a budget below every rotation's total, barrel reports the preferred rotation's
    # first failure (negative power), not the budget failure of the later ones.
    budget = plan_tuning(
        NEAR_COLD, max_heater_power_w=0.04, total_power_budget_w=1e-3, strategy=strategy, **NEAR
    ).bank(0)
    assert budget.failure == TuningFailure.CROSSTALK_NEGATIVE_POWER


@pytest.mark.parametrize("strategy", ["barrel", "free"])
def test_batched_fallback_equals_reference_and_brute_force(strategy):
    """Banks near their channels with 5 % crosstalk: the fallback paths, kernel == reference."""
    rng = np.random.default_rng(4)
    grid = NEAR["channel_wavelength_m"]
    cold = grid - np.abs(rng.normal(0.0, 0.04e-9, (150, 8)))
    ring = rng.integers(0, 8, 150)
    cold[np.arange(150), ring] = grid[ring]  # one ring per bank needs exactly 0 shift
    batch = plan_tuning(cold, max_heater_power_w=0.04, strategy=strategy, **NEAR)
    ordered = plan_tuning(cold, max_heater_power_w=0.04, strategy="ordered", **NEAR)
    assert np.mean(ordered.failure_code == TuningFailure.CROSSTALK_NEGATIVE_POWER) > 0.5
    assert batch.feasible.all()
    for b in range(cold.shape[0]):
        ref = plan_tuning_reference(cold[b], max_heater_power_w=0.04, strategy=strategy, **NEAR)
        got = batch.bank(b)
        assert got.failure == ref.failure
        assert got.total_power_w == pytest.approx(ref.total_power_w, rel=1e-9)
        if strategy == "barrel":
            np.testing.assert_array_equal(got.assignment, ref.assignment)
            expected = next(row for row in _brute_force_rotations(cold[b], 0.04) if row[3])
            np.testing.assert_array_equal(got.assignment, expected[2])
