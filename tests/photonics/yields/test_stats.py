"""Binomial intervals: closed forms, edge cases and coverage over repeated seeds."""

import numpy as np
import pytest
from scipy import stats

from cposim.photonics.yields.stats import binomial_interval


def test_wilson_matches_textbook_example():
    # Wilson interval for 81/263 at 95 % (Brown, Cai & DasGupta 2001 style check) computed
    # from the score-test inversion with scipy's normal quantile.
    low, high = binomial_interval(81, 263)
    z = stats.norm.ppf(0.975)
    p, n = 81 / 263, 263
    roots = np.roots([1 + z**2 / n, -(2 * p + z**2 / n), p**2])
    assert sorted([low, high]) == pytest.approx(sorted(roots), rel=1e-12)


def test_clopper_pearson_equals_beta_quantiles_and_edges():
    low, high = binomial_interval(3, 20, method="clopper-pearson", confidence=0.9)
    assert low == pytest.approx(stats.beta.ppf(0.05, 3, 18), rel=1e-12)
    assert high == pytest.approx(stats.beta.ppf(0.95, 4, 17), rel=1e-12)
    low, high = binomial_interval(0, 50, method="clopper-pearson")
    assert low == 0.0 and high == pytest.approx(1 - 0.025 ** (1 / 50), rel=1e-12)
    low, high = binomial_interval(50, 50, method="clopper-pearson")
    assert high == 1.0 and low == pytest.approx(0.025 ** (1 / 50), rel=1e-12)


@pytest.mark.parametrize("n", [7, 62_200, 99_996, 123_457, 1_000_003])
def test_wilson_bounds_at_all_pass_and_all_fail_are_exactly_one_and_zero(n):
    """At k = n the Wilson upper bound is 1 exactly (rounding once gave 1 - 1 ulp, which the
    switch model rejected as an interval not around the yield 1.0); at k = 0 the lower is 0."""
    low, high = binomial_interval(n, n)
    assert high == 1.0 and low < 1.0
    low, high = binomial_interval(0, n)
    assert low == 0.0 and high > 0.0


@pytest.mark.parametrize("method", ["wilson", "clopper-pearson"])
@pytest.mark.parametrize("true_yield", [0.5, 0.9, 0.99])
def test_coverage_over_repeated_seeds(method, true_yield):
    """Over 4000 repeated experiments of n = 400 the 95 % interval covers the truth.

    Coverage is itself estimated from 4000 trials (σ ≈ 0.35 %); Wilson may dip slightly below
    nominal (Brown et al. 2001), so it must reach 0.93; Clopper-Pearson must reach 0.95 - 3σ.
    """
    rng = np.random.default_rng(11)
    passed = rng.binomial(400, true_yield, size=4000)
    low, high = binomial_interval(passed, 400, method=method)
    coverage = np.mean((low <= true_yield) & (true_yield <= high))
    assert coverage >= (0.93 if method == "wilson" else 0.95 - 3 * 0.0035)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"passed": 5, "total": 3}, "passed = 5 exceeds total = 3"),
        ({"passed": 1, "total": 0}, "total = 0.0 is out of range"),
        ({"passed": 1, "total": 3, "confidence": 1.0}, "confidence = 1.0"),
        ({"passed": 1, "total": 3, "method": "agresti"}, "method = 'agresti' is not allowed"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        binomial_interval(**kwargs)
