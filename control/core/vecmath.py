"""Vectorisable maths for Numba kernels: trigonometry in cycles, sqrt, exp, log and erfcx.

libm's ``cos``, ``sqrt``, ``exp``, ``log`` and ``erfc`` are opaque calls that LLVM's loop
vectoriser cannot widen, so one of them in a loop keeps the whole loop scalar (and at ~5-20 ns
each they dominated the ring, link and lock kernels). Everything here is plain arithmetic, or an
LLVM intrinsic, so loops that call it vectorise, and it runs unchanged under
``NUMBA_DISABLE_JIT=1``. Both packages' kernels use it; it is public so that users' own kernels
can too.

- **Trigonometry in cycles** (:func:`cos_sin_2pi`, :func:`cos_2pi`, :func:`sin_2pi`,
  :func:`sin_squared_pi`). Phases in cposim are counted in cycles (``n_eff·L/λ`` round trips),
  so the argument reduction is exact: subtracting the nearest quarter cycle from a double is
  exact by Sterbenz's lemma, leaving ``|r| <= 1/8`` cycle. The reduced angle ``θ = 2π·r`` lies
  in ``[-π/4, π/4]``, where Taylor polynomials to ``θ^15`` (sine) and ``θ^16`` (cosine) have
  truncation errors below 5e-17, and the quadrant is applied with branch-free selects. Within
  2.5e-16 absolute of the exact ``cos(2π·x)`` and ``sin(2π·x)`` for every finite ``x`` (tested
  against mpmath over the whole double range and against NumPy on dense grids).
- **Square root** (:func:`sqrt`): the ``llvm.sqrt.f64`` intrinsic, correctly rounded like libm.
- **Rows of exp and log** (:func:`exp_rows`, :func:`log_rows`): whole 1-D scratch rows at a
  time; the integer parts of the argument reduction go through int64 views of float64 rows (a
  memory bitcast). Within 2 ulp of libm.
- **erfcx** (:func:`erfcx`, :func:`erfcx_of_q_rows`): a rational-map polynomial, within 1e-14
  relative of SciPy's for every ``x >= 0``.
- **Counter-based normals** (:func:`splitmix64`, :func:`standard_normal_row`): the SplitMix64
  output function (Steele, Lea & Flood, OOPSLA 2014) evaluated at arbitrary positions of a
  keyed Weyl sequence gives uniforms that depend only on (key, counter), so any thread can make
  any block of them, and Box–Muller turns pairs into normals; vectorised, ≈ 2.6 ns per normal.

Polynomials of degree above ~8 are evaluated as four interleaved Horner chains
(:func:`polynomial`): without fastmath LLVM fuses no multiply-add, so one Horner chain costs a
multiply and an add of latency per degree and a long one left the vector units mostly idle.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload
from scipy import special

from cposim.control.core.jit import jit

DBL_MIN = 2.2250738585072014e-308
"""Smallest normal float64."""

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


# ------------------------------------------------------------------ square root
def sqrt(x):
    """Square root of a float64 scalar (``nan`` for negative input), vectorisable in kernels.

    Parameters
    ----------
    x : float
        Argument.
    """
    return math.sqrt(x) if x >= 0.0 else math.nan


@intrinsic
def _llvm_sqrt(typingctx, x):
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        function = builder.module.declare_intrinsic("llvm.sqrt", [ir.DoubleType()])
        return builder.call(function, args)

    return types.float64(types.float64), codegen


@overload(sqrt, inline="always")
def _sqrt_overload(x):
    if x == types.float64:
        return lambda x: _llvm_sqrt(x)
    return None


# ---------------------------------------------------- rows of exp and log, and erfcx
_SQRT1_2 = 1.0 / math.sqrt(2.0)


def four_chains(coefficients) -> np.ndarray:
    """Coefficients regrouped for :func:`polynomial`: row ``r``, column ``s`` holds the
    coefficient of ``x^(4·(rows-1-r) + s)`` (zero-padded at the top).

    Parameters
    ----------
    coefficients : array_like
        Polynomial coefficients, highest power first (dimensionless).
    """
    lowest_first = np.asarray(coefficients, dtype=np.float64)[::-1]
    padded = np.concatenate([lowest_first, np.zeros(-lowest_first.size % 4)])
    return padded.reshape(-1, 4)[::-1].copy()


@jit(inline="always")
def polynomial(x, chains):
    """``Σ_j a_j·x^j`` from :func:`four_chains` coefficients: four independent Horner chains in
    ``x⁴`` (one per residue of ``j`` mod 4), combined as ``(P0 + x·P1) + x²·(P2 + x·P3)``.

    Parameters
    ----------
    x : float
        Argument (dimensionless).
    chains : ndarray, shape (rows, 4)
        Coefficients from :func:`four_chains`.
    """
    x2 = x * x
    x4 = x2 * x2
    p0 = chains[0, 0]
    p1 = chains[0, 1]
    p2 = chains[0, 2]
    p3 = chains[0, 3]
    for r in range(1, chains.shape[0]):
        p0 = p0 * x4 + chains[r, 0]
        p1 = p1 * x4 + chains[r, 1]
        p2 = p2 * x4 + chains[r, 2]
        p3 = p3 * x4 + chains[r, 3]
    return (p0 + x * p1) + x2 * (p2 + x * p3)


_LN2_HI = float.fromhex("0x1.62e42fee00000p-1")  # ln 2 with 20 trailing zero bits: k·hi is exact
_LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")  # ln 2 - hi, rounded (checked with mpmath)
_INV_LN2 = 1.0 / math.log(2.0)
_ROUND_SHIFT = 1.5 * 2.0**52  # x + this rounds x to an integer held in the low mantissa bits
_ROUND_SHIFT_BITS = 0x4338000000000000  # its bit pattern
_EXP_BIAS = 1023 + 64  # exponent bias plus 64: 2^(k+64) stays normal down to k = -1076
_TWO_M64 = 2.0**-64
_EXP_TAYLOR = four_chains([1.0 / math.factorial(k) for k in range(13, -1, -1)])  # to r^13
_MANTISSA_MASK = 0x000FFFFFFFFFFFFF
_ONE_BITS = 0x3FF0000000000000
_TWO52_BITS = 0x4330000000000000  # 2^52: or-ing a small integer into it gives 2^52 + integer
_TWO52_PLUS_BIAS = 2.0**52 + 1023.0
_SQRT2 = math.sqrt(2.0)
# log(m) = 2·atanh(s), s = (m-1)/(m+1), |s| <= 0.1716: 2s·Σ s^(2k)/(2k+1) to k = 10 (< 1e-18)
_ATANH_SERIES = four_chains([1.0 / (2 * k + 1) for k in range(10, 0, -1)])


_TWO54 = 2.0**54  # scales a subnormal into the normal range


@jit(inline="always")
def exp_rows(x, out, scratch):
    """``out = exp(x)`` elementwise for 1-D rows with ``x <= 600`` (vectorised).

    Cody-Waite reduction ``x = k·ln2 + r`` (|r| <= ln2/2), Taylor to ``r^13`` (truncation
    < 1e-17), and ``2^k`` built in the exponent field, via ``2^(k+64)·2^-64`` so results round
    gradually into the subnormal range and reach 0 below -745.2. Within 2 ulp of libm.

    Parameters
    ----------
    x : ndarray, 1-D float64
        Arguments (dimensionless).
    out : ndarray, 1-D float64
        Result row (may be ``x``).
    scratch : ndarray, 1-D float64
        Work row of the same length, overwritten.
    """
    bits = scratch.view(np.int64)
    for t in range(x.size):
        v = x[t] if x[t] > -746.0 else -746.0
        shifted = v * _INV_LN2 + _ROUND_SHIFT
        k = shifted - _ROUND_SHIFT
        out[t] = (v - k * _LN2_HI) - k * _LN2_LO
        scratch[t] = shifted
    for t in range(x.size):  # a pass of its own: shorter chains, measured ~25 % faster
        out[t] = polynomial(out[t], _EXP_TAYLOR)
    for t in range(x.size):
        bits[t] = (bits[t] - (_ROUND_SHIFT_BITS - _EXP_BIAS)) << 52
    for t in range(x.size):
        out[t] = out[t] * scratch[t] * _TWO_M64


@jit(inline="always")
def log_rows(x, out, mantissa, exponent):
    """``out = log(x)`` elementwise for 1-D rows (vectorised; within 2 ulp of libm).

    ``out`` may be ``x``. Subnormal inputs are scaled by ``2^54`` first; the exponent and
    mantissa are split in the bit pattern, the mantissa folded into ``[√½, √2)`` and
    ``log m = 2·atanh((m-1)/(m+1))`` summed as a series. Zero gives -inf, negative values and
    NaN give NaN, +inf gives +inf, like NumPy; every special case is a select, so no pass has
    a branch that stops it vectorising. Short passes keep each loop's dependency chain and
    register use small, which measured ~20 % faster than one fused pass.

    Parameters
    ----------
    x : ndarray, 1-D float64
        Arguments (dimensionless).
    out : ndarray, 1-D float64
        Result row (may be ``x``).
    mantissa, exponent : ndarray, 1-D float64
        Work rows of the same length, overwritten.
    """
    m_bits = mantissa.view(np.int64)
    e_bits = exponent.view(np.int64)
    for t in range(x.size):
        v = x[t]
        mantissa[t] = v * _TWO54 if v < DBL_MIN else v
    for t in range(x.size):
        b = m_bits[t]
        m_bits[t] = (b & _MANTISSA_MASK) | _ONE_BITS
        e_bits[t] = (b >> 52) | _TWO52_BITS  # 2^52 + biased exponent (sign: special case)
    for t in range(x.size):  # fold into [√½, √2): s and the exponent as a float
        m = mantissa[t]
        e = exponent[t] - (_TWO52_PLUS_BIAS + 54.0 if x[t] < DBL_MIN else _TWO52_PLUS_BIAS)
        fold = m > _SQRT2
        m = 0.5 * m if fold else m
        exponent[t] = e + 1.0 if fold else e
        mantissa[t] = (m - 1.0) / (m + 1.0)
    for t in range(x.size):
        s = mantissa[t]
        e = exponent[t]
        z = s * s
        p = polynomial(z, _ATANH_SERIES)
        mantissa[t] = e * _LN2_HI + (e * _LN2_LO + (2.0 * s + 2.0 * s * z * p))
    for t in range(x.size):
        v = x[t]
        special = np.inf if v > 0.0 else (-np.inf if v == 0.0 else np.nan)
        out[t] = mantissa[t] if (v > 0.0 and v < np.inf) else special


GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
"""SplitMix64's Weyl increment, ``⌊2^64/φ⌋`` made odd."""
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_SHIFT_30, _SHIFT_27, _SHIFT_31, _SHIFT_11 = (np.uint64(k) for k in (30, 27, 31, 11))
_TWO_M53 = 2.0**-53


@jit(inline="always")
def splitmix64(z):
    """SplitMix64's output function of a uint64 (a bijection that mixes every bit)."""
    z = (z ^ (z >> _SHIFT_30)) * _MIX_1
    z = (z ^ (z >> _SHIFT_27)) * _MIX_2
    return z ^ (z >> _SHIFT_31)


@jit(inline="always")
def counter_uniform(key, counter):
    """Uniform on [0, 1) at position ``counter`` of the stream ``key`` (both uint64): the top
    53 bits of ``splitmix64(key + (counter + 1)·γ)``, SplitMix64's ``counter``-th output."""
    return (splitmix64(key + (counter + np.uint64(1)) * GOLDEN_GAMMA) >> _SHIFT_11) * _TWO_M53


@jit(inline="always")
def standard_normal_row(key, counter, out, scratch):
    """Fill ``out`` (length 2h) with standard normals from positions ``counter … counter +
    2h - 1`` of the stream ``key``: pair ``j`` takes uniforms ``u = U[counter + 2j]`` and
    ``v = U[counter + 2j + 1]`` and gives ``out[j] = √(−2 ln(1 − u))·cos 2πv`` and
    ``out[j + h] = √(−2 ln(1 − u))·sin 2πv`` (Box & Muller 1958; ``1 − u`` is in (0, 1], so
    the logarithm is finite).

    Parameters
    ----------
    key, counter : numpy.uint64
        Stream and first position.
    out : ndarray, 1-D float64
        The normals, even length 2h.
    scratch : ndarray, shape (4, ≥ h)
        Work rows.
    """
    h = out.shape[0] // 2
    radius = scratch[0, :h]
    angle = scratch[1, :h]
    for j in range(h):
        c = counter + np.uint64(2 * j)
        radius[j] = 1.0 - counter_uniform(key, c)
        angle[j] = counter_uniform(key, c + np.uint64(1))
    log_rows(radius, radius, scratch[2, :h], scratch[3, :h])
    cosines = out[:h]
    sines = out[h : 2 * h]
    for j in range(h):
        r = sqrt(-2.0 * radius[j])
        cosine, sine = cos_sin_2pi(angle[j])
        cosines[j] = r * cosine
        sines[j] = r * sine


_ERFCX_K = 3.0


def _erfcx_coefficients():
    """Power series in ``y = (x-K)/(x+K)`` of ``(x+K)·erfcx(x)`` on ``x >= 0``, highest first.

    The map ``y`` (Shepherd & Laframboise, Math. Comp. 36, 249 (1981)) turns ``[0, ∞)`` into
    ``[-1, 1)``, where ``(x+K)·erfcx(x)`` is smooth and tends to ``1/√π``; a degree-24
    Chebyshev interpolant of SciPy's erfcx, converted to monomials (largest coefficient ≈ 1.1,
    so Horner loses nothing), is within 1e-14 relative of erfcx for every x >= 0.
    """
    from numpy.polynomial import chebyshev

    def scaled(y):
        with np.errstate(divide="ignore", invalid="ignore"):
            x = _ERFCX_K * (1.0 + y) / (1.0 - y)
            return np.where(y >= 1.0, 1.0 / math.sqrt(math.pi), special.erfcx(x) * (x + _ERFCX_K))

    return chebyshev.cheb2poly(chebyshev.chebinterpolate(scaled, 24))[::-1].copy()


_ERFCX_POLY = four_chains(_erfcx_coefficients())


@jit(inline="always")
def erfcx(x):
    """Scaled complementary error function ``exp(x²)·erfc(x)`` for ``x >= 0`` (vectorisable;
    :func:`erfcx_of_q_rows` is the same arithmetic in two passes).

    Parameters
    ----------
    x : float
        Argument, ``>= 0`` (dimensionless).
    """
    inverse = 1.0 / (x + _ERFCX_K)
    return polynomial((x - _ERFCX_K) * inverse, _ERFCX_POLY) * inverse


@jit(inline="always")
def erfcx_of_q_rows(x, out, scratch):
    """``out = erfcx(|x|/√2)`` elementwise, as :func:`erfcx` but the polynomial in a pass of its
    own; with it the Gaussian tail is ``Q(x) = ½·erfcx(|x|/√2)·exp(-x²/2)`` for ``x >= 0``.

    Parameters
    ----------
    x : ndarray, 1-D float64
        Arguments, e.g. eye q values (dimensionless).
    out : ndarray, 1-D float64
        Result row.
    scratch : ndarray, 1-D float64
        Work row of the same length, overwritten.
    """
    for t in range(x.size):
        z = abs(x[t]) * _SQRT1_2
        scratch[t] = 1.0 / (z + _ERFCX_K)
        out[t] = (z - _ERFCX_K) * scratch[t]
    for t in range(x.size):
        out[t] = polynomial(out[t], _ERFCX_POLY) * scratch[t]


__all__ = [
    "DBL_MIN",
    "GOLDEN_GAMMA",
    "cos_2pi",
    "cos_sin_2pi",
    "counter_uniform",
    "erfcx",
    "erfcx_of_q_rows",
    "exp_rows",
    "four_chains",
    "log_rows",
    "polynomial",
    "sin_2pi",
    "sin_squared_pi",
    "splitmix64",
    "sqrt",
    "standard_normal_row",
]
