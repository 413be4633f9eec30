"""Vectorisable cosine and sine of ``2π·x`` for Numba kernels.

libm's ``cos`` is an opaque call that LLVM cannot vectorise, which caps a ring-spectrum kernel at
a few times NumPy. Phases in cposim are naturally counted in cycles (``n_eff·L/λ`` round trips), so
the argument reduction is exact: subtracting the nearest quarter cycle from a double is exact by
Sterbenz's lemma, leaving ``|r| <= 1/8`` cycle. The reduced angle ``θ = 2π·r`` lies in
``[-π/4, π/4]``, where Taylor polynomials to ``θ^15`` (sine) and ``θ^16`` (cosine) have truncation
errors below 5e-17, and the quadrant is applied with branch-free selects. The functions are plain
arithmetic, so loops that call them vectorise (AVX2 here).

Accuracy: within 2.5e-16 absolute of the exact ``cos(2π·x)`` and ``sin(2π·x)`` for every finite
``x`` (tested against mpmath over the whole double range and against NumPy on dense grids).
"""

from __future__ import annotations

import math

import numpy as np

from cposim.control._jit import jit

# Taylor coefficients 1/k! with alternating signs, exact rationals rounded to double.
_S3 = -1.0 / 6.0
_S5 = 1.0 / 120.0
_S7 = -1.0 / 5040.0
_S9 = 1.0 / 362880.0
_S11 = -1.0 / 39916800.0
_S13 = 1.0 / 6227020800.0
_S15 = -1.0 / 1307674368000.0
_C2 = -1.0 / 2.0
_C4 = 1.0 / 24.0
_C6 = -1.0 / 720.0
_C8 = 1.0 / 40320.0
_C10 = -1.0 / 3628800.0
_C12 = 1.0 / 479001600.0
_C14 = -1.0 / 87178291200.0
_C16 = 1.0 / 20922789888000.0
_TWO_PI = 2.0 * np.pi
# Odd Taylor coefficients (-1)^k/(2k+1)! for k = 1 … 10: sine to t^21 on |t| <= π/2, where the
# truncation error is below (π/2)^23/23! ≈ 1.2e-18.
_HALF_RANGE_SINE = tuple((-1.0) ** k / math.factorial(2 * k + 1) for k in range(1, 11))
(_H3, _H5, _H7, _H9, _H11, _H13, _H15, _H17, _H19, _H21) = _HALF_RANGE_SINE


@jit(inline="always")
def _reduce(cycles):
    """Quadrant (0.0 … 3.0, as a float) and the reduced angle ``θ`` in [-π/4, π/4] radians.

    The quadrant stays a float (``q - 4·floor(q/4)`` is exact for every whole double) so huge
    arguments never overflow an integer conversion, and the selects stay vectorisable.
    """
    quarters = np.floor(4.0 * cycles + 0.5)
    theta = _TWO_PI * (cycles - 0.25 * quarters)
    quadrant = quarters - 4.0 * np.floor(0.25 * quarters)
    return quadrant, theta


@jit(inline="always")
def _sin_poly(theta):
    z = theta * theta
    p = _S13 + z * _S15
    p = _S11 + z * p
    p = _S9 + z * p
    p = _S7 + z * p
    p = _S5 + z * p
    p = _S3 + z * p
    return theta + theta * z * p


@jit(inline="always")
def _cos_poly(theta):
    z = theta * theta
    p = _C14 + z * _C16
    p = _C12 + z * p
    p = _C10 + z * p
    p = _C8 + z * p
    p = _C6 + z * p
    p = _C4 + z * p
    p = _C2 + z * p
    return 1.0 + z * p


@jit(inline="always")
def cos_sin_2pi(cycles):
    """``(cos(2π·cycles), sin(2π·cycles))`` for a float64 scalar, vectorisable in Numba loops.

    Parameters
    ----------
    cycles : float
        Angle in cycles (turns), any finite value.
    """
    quadrant, theta = _reduce(cycles)
    s = _sin_poly(theta)
    c = _cos_poly(theta)
    odd = quadrant == 1.0 or quadrant == 3.0
    cos_magnitude = s if odd else c
    sin_magnitude = c if odd else s
    cosine = -cos_magnitude if quadrant == 1.0 or quadrant == 2.0 else cos_magnitude
    sine = -sin_magnitude if quadrant >= 2.0 else sin_magnitude
    return cosine, sine


@jit(inline="always")
def cos_2pi(cycles):
    """``cos(2π·cycles)`` for a float64 scalar, vectorisable inside Numba loops.

    Parameters
    ----------
    cycles : float
        Angle in cycles (turns), any finite value.
    """
    return cos_sin_2pi(cycles)[0]  # inlined: LLVM drops the unused sine select


@jit(inline="always")
def sin_2pi(cycles):
    """``sin(2π·cycles)`` for a float64 scalar, vectorisable inside Numba loops.

    Parameters
    ----------
    cycles : float
        Angle in cycles (turns), any finite value.
    """
    return cos_sin_2pi(cycles)[1]


@jit(inline="always")
def sin_squared_pi(cycles):
    """``sin²(π·cycles)`` for a float64 scalar, vectorisable inside Numba loops.

    Cheaper than squaring :func:`sin_2pi` of ``cycles/2``: since the square is even and has
    period 1, the reduction only subtracts the nearest whole number (exact), leaving
    ``|π·u| <= π/2``, where one odd polynomial (to ``t^21``) suffices and no quadrant select is
    needed. Relative accuracy is kept near zero, where ring resonances sit.

    Parameters
    ----------
    cycles : float
        Argument in cycles (the result is ``sin²`` of ``π`` times it), any finite value.
    """
    u = cycles - np.floor(cycles + 0.5)
    t = np.pi * u
    z = t * t
    p = _H19 + z * _H21
    p = _H17 + z * p
    p = _H15 + z * p
    p = _H13 + z * p
    p = _H11 + z * p
    p = _H9 + z * p
    p = _H7 + z * p
    p = _H5 + z * p
    p = _H3 + z * p
    sine = t + t * z * p
    return sine * sine
