"""Wafer-test screening: escapes and overkill against the bivariate-normal closed form, gross
failures always caught, cost per good die by hand, bins against the Gaussian reading."""

import numpy as np
import pytest
from scipy import stats

from cposim.photonics.yields.screening import (
    ScreeningResult,
    ScreeningSettings,
    gaussian_bins,
    gaussian_screening,
    screen,
)  # fmt: skip


@pytest.mark.parametrize(("guard", "sigma_e"), [(0.0, 0.3), (0.5, 0.3), (0.3, 0.8)])
def test_sampled_escapes_and_overkill_match_the_bivariate_normal(guard, sigma_e):
    """Gaussian true margins N(1 dB, 0.8 dB), Gaussian reading error: both rates inside the
    99.9 % binomial interval of the closed form (2e5 dies)."""
    n = 200_000
    rng = np.random.default_rng(5)
    table = {"min_margin_db": rng.normal(1.0, 0.8, n), "failure_mode": np.zeros(n, np.int8)}
    settings = ScreeningSettings(guard_band_db=guard, measurement_sigma_db=sigma_e)
    result = screen(table, settings, rng=np.random.default_rng(6))
    escape, overkill = gaussian_screening(mean_db=1.0, sigma_db=0.8, settings=settings)
    for measured, p in ((result.escape_rate, escape), (result.overkill_rate, overkill)):
        low, high = stats.binom.interval(0.999, n, p)
        assert low / n <= measured <= high / n, (measured, p)


def test_closed_form_limits_and_the_guard_band_trade():
    exact = ScreeningSettings(guard_band_db=0.0, measurement_sigma_db=0.0)
    assert gaussian_screening(mean_db=1.0, sigma_db=0.8, settings=exact) == pytest.approx(
        (0.0, 0.0), abs=1e-9
    )
    rates = [gaussian_screening(mean_db=1.0, sigma_db=0.8,
                                settings=ScreeningSettings(guard_band_db=g))
             for g in (0.0, 0.3, 0.6, 1.0)]  # fmt: skip
    escapes, overkills = np.array(rates).T
    assert np.all(np.diff(escapes) < 0) and np.all(np.diff(overkills) > 0)


def test_gross_failures_never_pass_and_cost_per_good_die_by_hand():
    table = {
        "min_margin_db": np.array([2.0, 2.0, np.nan, -1.0, 3.0]),
        "failure_mode": np.array([0, 1, 4, 9, 0], dtype=np.int8),  # defect, tuning, BER
    }
    result = screen(table, ScreeningSettings(measurement_sigma_db=0.0), rng=np.random.default_rng())
    np.testing.assert_array_equal(result.passed_test, [True, False, False, False, True])
    np.testing.assert_array_equal(result.good, [True, False, False, False, True])
    assert result.escape_rate == 0.0 and result.overkill_rate == 0.0
    assert result.known_good_fraction == pytest.approx(0.4)
    # 5 dies at 10 + 2 each, carried by 2 good ones: 30
    assert result.cost_per_good_die(die_cost=10.0, test_cost_per_die=2.0) == pytest.approx(30.0)
    leaky = ScreeningResult(good=np.array([True, False]), passed_test=np.array([True, True]))
    assert leaky.outgoing_quality == 0.5
    cost = leaky.cost_per_good_die(die_cost=1.0, test_cost_per_die=0.0, downstream_cost_per_bad=8.0)
    assert cost == pytest.approx((2 + 8) / 2)
    with pytest.raises(ValueError, match="guard_band_db"):
        ScreeningSettings(guard_band_db=-1.0)


def test_bins_match_the_gaussian_reading_and_grade_the_good_dies():
    """Bins by reading above the limit: each bin's share inside the 99.9 % binomial interval of
    the closed form (2e5 dies), every passing die in exactly one bin, higher bins better."""
    n = 200_000
    rng = np.random.default_rng(8)
    table = {"min_margin_db": rng.normal(1.5, 1.0, n), "failure_mode": np.zeros(n, np.int8)}
    settings = ScreeningSettings(guard_band_db=0.5, bin_edges_db=(1.5, 3.0))
    result = screen(table, settings, rng=np.random.default_rng(9))
    frame = result.bin_table()
    expected = gaussian_bins(mean_db=1.5, sigma_db=1.0, settings=settings)
    assert list(frame["low_db"]) == [0.5, 1.5, 3.0]
    assert list(frame["high_db"]) == [1.5, 3.0, np.inf]
    for measured, p in zip(frame["fraction"], expected, strict=True):
        low, high = stats.binom.interval(0.999, n, p)
        assert low / n <= measured <= high / n, (measured, p)
    assert frame["dies"].sum() == result.passed_test.sum()
    assert np.all(np.diff(frame["good_fraction"]) >= 0) and frame["good_fraction"].iloc[0] < 1
    assert np.all(np.diff(frame["median_true_margin_db"]) > 0)


@pytest.mark.parametrize("edges", [(0.2,), (2.0, 1.0)])
def test_bin_edges_must_rise_above_the_limit(edges):
    with pytest.raises(ValueError, match="bin_edges_db"):
        ScreeningSettings(guard_band_db=0.5, bin_edges_db=edges)


def test_one_bin_by_default_and_a_hand_built_result_has_none():
    table = {"min_margin_db": np.array([2.0, -1.0, np.nan]), "failure_mode": np.zeros(3, np.int8)}
    result = screen(
        table, ScreeningSettings(measurement_sigma_db=0.0), rng=np.random.default_rng(1)
    )
    assert list(result.bin_index) == [0, -1, -1]
    assert len(result.bin_table()) == 1
    with pytest.raises(ValueError, match="did not bin"):
        ScreeningResult(good=result.good, passed_test=result.passed_test).bin_table()
