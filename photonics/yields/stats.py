"""Binomial confidence intervals for yields.

Two standard intervals for a proportion ``k/n`` (Brown, Cai & DasGupta, "Interval estimation
for a binomial proportion", Statistical Science 16, 101 (2001)):

- Wilson score interval: closed form, close to nominal coverage on average; the default.
- Clopper-Pearson "exact" interval from beta quantiles: never under-covers, conservative.

Both return ``(low, high)`` arrays broadcast from ``passed`` and ``total``.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from cposim.control.core.validation import check_choice, check_range

METHODS = ("wilson", "clopper-pearson")


def binomial_interval(passed, total, *, confidence=0.95, method="wilson"):
    """Two-sided confidence interval of a yield ``passed/total``.

    Parameters
    ----------
    passed : int or array_like
        Number of passing units (0 ≤ passed ≤ total), a count.
    total : int or array_like
        Number of units tested (≥ 1), a count.
    confidence : float
        Two-sided confidence level, a fraction in (0, 1). Default 0.95.
    method : {"wilson", "clopper-pearson"}
        Interval construction (see module docstring).

    Returns
    -------
    low, high : ndarray
        Interval bounds, fractions in [0, 1].
    """
    check_choice("method", method, METHODS)
    level = float(
        check_range(
            "confidence", confidence, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
        )
    )
    n = check_range("total", total, low=1.0)
    k = check_range("passed", passed, low=0.0)
    if np.any(k > n):
        raise ValueError(f"passed = {passed!r} exceeds total = {total!r}")
    alpha = 1.0 - level
    if method == "wilson":
        z = special.ndtri(1.0 - alpha / 2.0)
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        # the bounds at k = 0 and k = n are exactly 0 and 1; rounding may miss them by an ulp
        low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
        high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
        return low, high
    low = np.where(k > 0, stats.beta.ppf(alpha / 2.0, k, n - k + 1), 0.0)
    high = np.where(k < n, stats.beta.ppf(1.0 - alpha / 2.0, k + 1, n - k), 1.0)
    return low, high


__all__ = [
    "METHODS",
    "binomial_interval",
]
