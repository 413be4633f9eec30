"""Streaming reductions: exact sums whatever the batching, exact order statistics."""

import math

import numpy as np
import pytest

from cposim.photonics.yields.reduce import ExactSum, median, select


def _awkward(n, seed):
    """Floats over 600 decades, subnormals, both signs, NaN and inf sprinkled in."""
    rng = np.random.default_rng(seed)
    values = rng.normal(0.0, 1e3, n) * 10.0 ** rng.integers(-300, 300, n)
    values[2::11] = 5e-324 * rng.integers(-5, 5, values[2::11].size)
    values[1::7] = np.nan
    values[3::13] = np.inf
    return values


@pytest.mark.parametrize("n", [2, 3, 1000, 100_001])
def test_exact_sum_equals_fsum_in_any_batching(n):
    values = _awkward(n, seed=n)
    finite = values[np.isfinite(values)]
    for parts in (1, 2, 7):
        total = ExactSum()
        for part in np.array_split(values, parts):
            total.add(part)
        assert total.value == math.fsum(finite)
        assert total.count == finite.size
    # the mean is the exact one, rounded once: fsum / n can round twice
    from fractions import Fraction

    exact_mean = float(sum(Fraction(v) for v in finite[:2000]) / min(finite.size, 2000))
    head = ExactSum()
    head.add(finite[:2000])
    assert head.mean == exact_mean


def test_empty_and_cancelling_sums():
    total = ExactSum()
    total.add([np.nan, np.inf])
    assert total.count == 0 and math.isnan(total.mean) and total.value == 0.0
    total.add([1e308, 1.0, -1e308])
    assert total.value == 1.0  # the naive sum gives 0


@pytest.mark.parametrize("n", [1, 2, 5, 1000, 100_000])
def test_select_and_median_against_numpy(n):
    values = _awkward(n + 2, seed=n)[:n] if n > 2 else np.array([3.0, -1.0])[:n]
    finite = np.sort(values[np.isfinite(values)])

    def batches():
        return np.array_split(values, 3)

    for rank in {0, finite.size // 3, finite.size - 1}:
        assert select(batches, rank) == finite[rank]
    assert median(batches, finite.size) == np.median(finite)
    assert math.isnan(median(batches, 0))
