"""Numba kernel of the per-lane link budget, and its plain-NumPy reference (private).

Used by :func:`cposim.photonics.link.lanes.evaluate_lanes`. Inputs are laid out as ``(n_links,
n_channels)``: the lanes of one link share a bus (modulator bank, fiber, demultiplexer bank), so
each lane's pass-by loss and crosstalk come from its neighbours' actual resonances. The model is
documented in :mod:`cposim.photonics.link`; this module only evaluates it.

Rings are periodic Lorentzians (:func:`cposim.photonics.devices.lorentzian.lorentzian_peak`),
``1/(1 + F·sin²(π·detuning/FSR))``; :func:`lane_budget` explains how the kernel lays the work
out so that it vectorises.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from cposim.control.core.jit import jit, jit_parallel
from cposim.control.core.vecmath import (
    cos_sin_2pi,
    erfcx,
    erfcx_of_q_rows,
    exp_rows,
    log_rows,
    sqrt,
)

PENALTY_NAMES = (
    "extinction_ratio",
    "eye_linearity",
    "residual_detuning",
    "isi",
    "crosstalk",
    "implementation",
    "noise",
)
"""Itemised penalties, in the order of the ``penalties_db`` axis."""

_N_PEN = len(PENALTY_NAMES)


class LaneInputs(NamedTuple):
    """Per-lane inputs of :func:`lane_budget`, each of shape (n_links, n_channels), or
    (1, n_channels) when every link shares the value; named and in the units of
    :func:`~cposim.photonics.link.lanes.evaluate_lanes`."""

    modulator_detuning_m: np.ndarray
    modulator_fwhm_m: np.ndarray
    modulator_extinction_db: np.ndarray
    demux_detuning_m: np.ndarray
    demux_fwhm_m: np.ndarray
    demux_drop_loss_db: np.ndarray
    demux_extinction_db: np.ndarray
    laser_power_dbm: np.ndarray
    isi_closure: np.ndarray
    """ISI factor ``p`` of the worst-case eye ``(1 - p)·step - p·|OMA|`` (0 ≤ p < 1):
    :func:`~cposim.photonics.link.lanes.single_pole_isi_closure`, or a time-domain table's."""
    tia_noise_density_a_per_sqrt_hz: np.ndarray
    """Input-referred noise current density of the lane's receiver, A/√Hz."""
    dark_current_a: np.ndarray
    """Photodiode dark current, A (its shot noise adds to the thermal noise)."""
    rin_db_per_hz: np.ndarray
    """Relative intensity noise of the lane's laser, dB/Hz."""
    drive_swing_ratio: np.ndarray
    """The lane driver's output swing over its nominal (dimensionless): level ``k`` sits at the
    phase ``c_k + c1_k·δ + c2_k·δ²`` with ``δ = ratio − 1`` (:class:`LinkConstants`)."""


class LinkConstants(NamedTuple):
    """What every lane of a call shares (built by
    :func:`~cposim.photonics.link.lanes.link_constants`)."""

    channel_wavelength_m: np.ndarray
    """Channel wavelengths, shape (n_channels,), m."""
    level_phase_cycles: np.ndarray
    """Round-trip phase of the modulator at each level minus its resonance order, cycles,
    shape (levels,) ascending: the level's transmission is ``1 - D/(1 + F·sin²(π·c))``."""
    level_phase_slope_cycles: np.ndarray
    """``c1``: first-order change of each level's phase with the drive-swing error δ, cycles,
    shape (levels,) (``LinkParameters.level_phase_swing_cycles``)."""
    level_phase_curvature_cycles: np.ndarray
    """``c2``: its second-order change, cycles per δ², shape (levels,)."""
    mid_level_detuning_m: float
    """Modulator resonance minus laser at the mean level, m (for the pass-by tails)."""
    modulator_fsr_m: float
    demux_fsr_m: float
    has_demux: bool
    tx_gain: float
    """Laser to modulator input, linear (split, excess, laser coupler)."""
    link_gain: float
    """Modulator output to demultiplexer input, linear (couplers, fiber, connectors)."""
    excess: float
    """Non-resonant transmission per ring passed, linear."""
    responsivity_a_per_w: float
    noise_bandwidth_hz: float
    """Noise bandwidth of the receiver ``B_noise``, Hz."""
    shot_coefficient_a: float
    """``2qB``, A."""
    q_target: float
    implementation_factor: float
    """``10^(-penalty/10)`` (< 1): divides the thermal noise."""
    ber_per_eye: float
    """``2/(M·log2 M)``: BER per unit of summed Q over the eyes."""
    target_ber: float


class LaneOutputs(NamedTuple):
    """Per-lane outputs, each of shape (n_links, n_channels) (``penalties_db`` with a trailing
    axis of :data:`PENALTY_NAMES`); named and in the units of
    :class:`~cposim.photonics.link.lanes.LaneBudget`."""

    received_average_dbm: np.ndarray
    received_oma_dbm: np.ndarray
    ber: np.ndarray
    margin_db: np.ndarray
    q_margin_db: np.ndarray
    mux_pass_by_db: np.ndarray
    demux_pass_by_db: np.ndarray
    modulator_extinction_ratio_db: np.ndarray
    modulator_insertion_loss_db: np.ndarray
    penalties_db: np.ndarray
    dominant_penalty: np.ndarray

    @classmethod
    def empty(cls, n_links: int, n_channels: int) -> LaneOutputs:
        """Uninitialised outputs for ``n_links`` links of ``n_channels`` lanes (every element
        is written by the kernel)."""
        shape = (n_links, n_channels)
        return cls(
            *(np.empty(shape) for _ in range(9)),
            penalties_db=np.empty((*shape, _N_PEN)),
            dominant_penalty=np.empty(shape, dtype=np.int8),
        )


_N_INPUTS = len(LaneInputs._fields)


class _BlockConstants(NamedTuple):
    """Constants derived once per call from :class:`LinkConstants` for :func:`_block`."""

    tx_gain_per_mw: float
    link_gain: float
    excess: float
    excess_tx: float
    quarter_inv_mod_fsr: float
    quarter_inv_dmx_fsr: float
    half_inv_mod_fsr: float
    half_inv_dmx_fsr: float
    responsivity: float
    sqrt_bandwidth_over_impl: float
    noise_bandwidth: float
    shot_coeff: float
    ber_scale: float
    log_q_target: float
    pen_impl: float
    has_demux: bool
    log_target_sum: float


class _Phases(NamedTuple):
    """Fixed phases, ``sin``/``cos`` of ``π·(fixed detuning)/FSR`` (transmitter pass-by at the
    mid level and receiver cascade, ``(n, n)``), and the level phases' Taylor coefficients in
    the swing error, halved (``cos_sin_2pi`` of them is ``cos, sin`` of ``π·c``)."""

    sin_tx: np.ndarray
    cos_tx: np.ndarray
    sin_rx: np.ndarray
    cos_rx: np.ndarray
    level: np.ndarray
    """(3, m): ``c/2``, ``c1/2``, ``c2/2`` of each level."""
    mid: np.ndarray
    """(2,): ``mean(c1)/2``, ``mean(c2)/2``: how the mid level (the pass-by tails) moves."""


class _Scratch(NamedTuple):
    """Per-chunk work rows of :func:`_block` (one set per parallel chunk)."""

    W: np.ndarray
    lev: np.ndarray
    nom: np.ndarray
    sigma: np.ndarray
    q: np.ndarray
    logs: np.ndarray
    pen: np.ndarray
    eyes: np.ndarray
    """(5, m - 1, lanes): eye current ``R·E_k`` at the nominal laser power, and during the power
    margin solve each eye's q, dq/dln s, log Q(q) and φ(q)/Q(q)."""
    noise: np.ndarray
    """(2, m, lanes): each level's σ(s) and s·dσ/ds during the power margin solve."""
    level: np.ndarray
    """(2, m, lanes): ``cos, sin`` of each level's phase ``π·c_k(δ)`` (the lane's swing)."""


_SQRT1_2 = 1.0 / math.sqrt(2.0)
_TEN_OVER_LN10 = 10.0 / math.log(10.0)
_LN2 = math.log(2.0)


# ------------------------------------------------------------------------ equivalent q (q_eq)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_HALF_SQRT_2_OVER_PI = 0.5 * _SQRT_2_OVER_PI  # φ(q)·e^(q²/2) = 1/√(2π)
_HALLEY_FIXED = 3  # vectorised steps; lanes not converged then continue one by one
_HALLEY_MAX = 30


@jit(inline="always")
def _halley_step(x, log_q, erfcx_value, target):
    """Halley step for ``log Q(x) = target``, given ``log Q(x)`` and ``erfcx(x/√2)``.

    With ``Q(x) = ½·erfcx(x/√2)·exp(-x²/2)``, ``f = log Q - target`` has ``f' = -h`` and
    ``f'' = -h·(h - x)`` where ``h = φ/Q = √(2/π)/erfcx(x/√2)``: no exp, no underflow.
    Falls back to the Newton step if the Halley denominator is not safely positive.
    """
    f = log_q - target
    h = _SQRT_2_OVER_PI / erfcx_value
    denominator = 2.0 * h + f * (h - x)
    return 2.0 * f / denominator if denominator > h else f / h


@jit(inline="always")
def _log_qfunc_positive(x):
    """``log Q(x) = log(½·erfc(x/√2))`` for ``x > 0`` without underflow (scalar, libm log)."""
    return math.log(0.5 * erfcx(x * _SQRT1_2)) - 0.5 * x * x


# ------------------------------------------------------------- optical power margin (laser scale)
_POWER_FIXED = 7  # vectorised Newton steps; lanes not converged then continue one by one
_POWER_MAX = 60
_POWER_STEP_MAX = 3.0  # largest Newton step in ln s (13 dB)
_POWER_TOLERANCE = 1e-8  # last step, ln s (4e-8 dB)
_POWER_T_MAX = 23.0  # ln s beyond which the lane is called unreachable (100 dB; RIN-limited)


@jit(inline="always")
def _safeguarded_step(x, g, slope, log_target, low, high):
    """One step on ``g(x) = L(x) - L*`` (``L = ln Σ Q(q_k)``, decreasing in ``x = ln s``),
    Newton on ``Ψ = ½·ln(-2L)``, safeguarded by bisection; returns ``(step, low, high)``.

    ``Ψ`` is the log of the "equivalent q" ``√(-2L)``: it grows as ``x`` (slope 1) where
    thermal noise dominates and is concave where shot and RIN noise grow with the power, so
    its Newton steps, ``-L·ln(L/L*)/L'``, converge from either side in a few steps where
    Newton on ``g`` itself crawls. The bracket ``[low, high]`` (``g(low) > 0 > g(high)``,
    ±inf while unknown) shrinks to ``x``; the Newton point is taken when it falls inside and
    within ±:data:`_POWER_STEP_MAX`, else the midpoint of a closed bracket, else a step of
    ±:data:`_POWER_STEP_MAX` toward the root."""
    low = x if g > 0.0 else low
    high = x if g <= 0.0 else high
    log_sum = g + log_target
    usable = slope < 0.0 and log_sum < 0.0
    newton = x - log_sum * math.log(log_sum / log_target) / slope if usable else np.nan
    if low < newton < high and abs(newton - x) <= _POWER_STEP_MAX:
        target = newton
    elif low > -np.inf and high < np.inf:
        target = 0.5 * (low + high)
    else:
        target = x + (_POWER_STEP_MAX if g > 0.0 else -_POWER_STEP_MAX)
    step = target - x
    return step, low, high


@jit(inline="always")
def _level_noise(s, level, sig_gain, xt_avg, responsivity, var_thermal, shot_coeff, rin_coeff):
    """Noise σ(s) of one level at laser scale ``s`` (thermal, shot with the crosstalk's
    current, and RIN) and ``s·dσ/ds``."""
    current = responsivity * sig_gain * level
    shot = shot_coeff * (current + responsivity * xt_avg) * s
    rin = rin_coeff * current * current * s * s
    sigma = sqrt(var_thermal + shot + rin)
    return sigma, (0.5 * shot + rin) / sigma


@jit(inline="always")
def _eye_q(s, k, t, W, lev, eyes, consts):
    """q of eye ``k`` of lane ``t`` at laser scale ``s`` (optimum threshold, clipped at 0)
    and ``dq/d ln s``."""
    low, low_d = _level_noise(
        s,
        lev[k, t],
        W[_SIG, t],
        W[_XTA, t],
        consts.responsivity,
        W[_VTH, t],
        consts.shot_coeff,
        W[_RINC, t],
    )
    high, high_d = _level_noise(
        s,
        lev[k + 1, t],
        W[_SIG, t],
        W[_XTA, t],
        consts.responsivity,
        W[_VTH, t],
        consts.shot_coeff,
        W[_RINC, t],
    )
    den = low + high
    q = max(s * eyes[0, k, t] / den, 0.0)
    return q, q * (1.0 - (low_d + high_d) / den)


@jit
def _power_function(x, t, W, lev, eyes, consts):
    """``g = ln Σ_k Q(q_k(s)) - ln(target/ber_scale)`` and ``dg/d ln s`` of lane ``t`` at
    ``s = e^x`` (scalar; :func:`_power_rows` is the same arithmetic in rows), each eye's Q
    taken relative to the worst eye's ``e^(-q_min²/2)``."""
    s = math.exp(x)
    m = lev.shape[0]
    q_min = np.inf
    for k in range(m - 1):
        q, _ = _eye_q(s, k, t, W, lev, eyes, consts)
        q_min = min(q_min, q)
    total = 0.0
    weighted = 0.0
    for k in range(m - 1):
        q, dq = _eye_q(s, k, t, W, lev, eyes, consts)
        e = math.exp(-0.5 * (q - q_min) * (q + q_min))
        total += 0.5 * erfcx(q * _SQRT1_2) * e
        weighted += _HALF_SQRT_2_OVER_PI * e * dq
    return math.log(total) - 0.5 * q_min * q_min - consts.log_target_sum, -weighted / total


@jit(inline="always")
def _power_rows(pt, W, lev, eyes, noise, consts):
    """``g`` and ``dg/d ln s`` of the power-margin solve (:func:`_power_function`) at ``pt``
    (ln s) for every lane of the block, in rows, into ``W[_PG]`` and ``W[_PD]``: each eye's
    ``Q(q_k) = ½·erfcx(q_k/√2)·e^(-q_k²/2)`` is summed relative to the worst eye's
    ``e^(-q_min²/2)``, so nothing underflows and no eye needs its own logarithm."""
    m = lev.shape[0]
    nl = pt.size
    s_row = W[_PS]
    exp_rows(pt, s_row, W[_T1])
    for k in range(m):
        level = lev[k]
        sigma = noise[0, k]
        s_dsigma = noise[1, k]
        for t in range(nl):
            sigma[t], s_dsigma[t] = _level_noise(
                s_row[t],
                level[t],
                W[_SIG, t],
                W[_XTA, t],
                consts.responsivity,
                W[_VTH, t],
                consts.shot_coeff,
                W[_RINC, t],
            )
    q_min = W[_T4]
    for k in range(m - 1):
        q = eyes[1, k]
        dq = eyes[2, k]
        for t in range(nl):
            den = noise[0, k, t] + noise[0, k + 1, t]
            x = s_row[t] * eyes[0, k, t] / den
            x = x if x > 0.0 else 0.0
            q[t] = x
            dq[t] = x * (1.0 - (noise[1, k, t] + noise[1, k + 1, t]) / den)
            q_min[t] = x if k == 0 or x < q_min[t] else q_min[t]
    total = W[_T5]
    weighted = W[_PA]
    total[:] = 0.0
    weighted[:] = 0.0
    for k in range(m - 1):
        q = eyes[1, k]
        scaled = eyes[4, k]
        erfcx_of_q_rows(q, scaled, W[_T1])
        for t in range(nl):
            W[_T1, t] = -0.5 * (q[t] - q_min[t]) * (q[t] + q_min[t])  # ≤ 0
        exp_rows(W[_T1], W[_T2], W[_T3])
        dq = eyes[2, k]
        for t in range(nl):
            e = W[_T2, t]
            total[t] += 0.5 * scaled[t] * e  # Q(q_k)·e^(q_min²/2)
            weighted[t] += _HALF_SQRT_2_OVER_PI * e * dq[t]  # φ(q_k)·dq_k·e^(q_min²/2)
    log_rows(total, W[_PB], W[_T1], W[_T2])
    for t in range(nl):
        W[_PG, t] = W[_PB, t] - 0.5 * q_min[t] * q_min[t] - consts.log_target_sum
        W[_PD, t] = -weighted[t] / total[t]


# -------------------------------------------------------------------------------- the kernel
# Rows of the per-block scratch W (each row holds one quantity for every lane of the block, lane
# t = channel·B + link-in-block, so the innermost loops run over contiguous lanes).
(
    _ERR,
    _FWHM,
    _FM,
    _DEP,
    _LASER,
    _DET,
    _FD,
    _DTM,
    _DROP,
    _MC,
    _MS,
    _DC,
    _DS,
    _PASS,
    _MEAN,
    _SWING,
    _SIG,
    _PASSF,
    _XTA,
    _XTO,
    _BEFORE,
    _P,
    _AVG,
    _OMA_NOM,
    _OMA_ACT,
    _NOMGAIN,
    _MIN_NOM,
    _MIN_ACT,
    _MIN_ISI,
    _MIN_XT,
    _QMIN,
    _QSUM,
    _X,
    _TARGET,
    _STEP,
    _T1,
    _T2,
    _T3,
    _T4,
    _T5,
    _MARGIN,
    _WORST,
    _ERFCX_X,
    _PT,
    _PS,
    _PSTEP,
    _PMARGIN,
    _PA,
    _PB,
    _PLO,
    _PHI,
    _PG,
    _PD,
    _G0D,
    _VTH,
    _RINC,
    _LNREF,
    _SWR,
    _TC,
    _TS,
    _MER,
    _MIL,
) = range(62)
_N_ROWS = 62
# log rows: received average, nominal OMA, smallest eye nominal / actual / after ISI / after
# crosstalk, q_eq, received OMA, mux and demux pass-by; penalties are differences of these logs
_N_LOGS = 10
_LN10_OVER_10 = math.log(10.0) / 10.0
_LN_1E3 = math.log(1e3)  # W → mW
_BLOCK_LANES = 512  # lanes per block (B links × n channels)
_CHUNKS = 64  # parallel work items, each allocating its scratch once (≥ 4 per thread on 16)


@jit(inline="always")
def _ring_rows(error, fwhm, quarter_inv_fsr, half_inv_fsr, finesse2, cosine, sine):
    """Airy coefficient ``F = 1/sin²(π·FWHM/(2·FSR))`` of each ring (the peak is exactly ½ at
    ±FWHM/2) and ``cos, sin`` of ``π·error/FSR`` (``finesse2`` may be ``fwhm``: each element is
    read before it is written)."""
    for t in range(fwhm.size):
        s = cos_sin_2pi(fwhm[t] * quarter_inv_fsr)[1]
        finesse2[t] = 1.0 / (s * s)
    for t in range(error.size):
        c, s = cos_sin_2pi(error[t] * half_inv_fsr)
        cosine[t] = c
        sine[t] = s


@jit(inline="always")
def _tail_rows(sa, ca, cosine, sine, finesse2, depth, passing, oj, oi, count):
    """``passing[oi+b] *= 1 - depth·L`` for ring j's tail (rows offset ``oj``)."""
    for b in range(count):
        s = sa * cosine[oj + b] + ca * sine[oj + b]
        passing[oi + b] *= 1.0 - depth[oj + b] / (1.0 + finesse2[oj + b] * s * s)


@jit(inline="always")
def _swing_rows(delta, half, half_slope, half_curvature, cosine, sine):
    """``cos, sin`` of a level's phase ``π·(c + c1·δ + c2·δ²)`` for every lane's swing error
    ``δ`` (the coefficients given halved)."""
    for t in range(delta.size):
        x = delta[t]
        c, s = cos_sin_2pi(half + x * (half_slope + x * half_curvature))
        cosine[t] = c
        sine[t] = s


@jit(inline="always")
def _level_rows(sa, ca, scale, cosine, sine, finesse2, depth, out):
    """``out = scale·(1 - depth·L)`` at the phase ``sa·cos + ca·sin`` (rows: the level's own
    phase, sine and cosine, per lane)."""
    for t in range(out.size):
        s = sa[t] * cosine[t] + ca[t] * sine[t]
        out[t] = scale[t] * (1.0 - depth[t] / (1.0 + finesse2[t] * s * s))


@jit(inline="always")
def _nominal_rows(sine, scale, finesse2, depth, out):
    """``out = scale·(1 - depth·L)`` on the lock point (``sine``: the level's phase, per
    lane)."""
    for t in range(out.size):
        out[t] = scale[t] * (1.0 - depth[t] / (1.0 + finesse2[t] * sine[t] * sine[t]))


@jit(inline="always")
def _add_rows(acc, x):
    for t in range(acc.size):
        acc[t] += x[t]


@jit(inline="always")
def _min_rows(acc, x):
    for t in range(acc.size):
        acc[t] = x[t] if x[t] < acc[t] else acc[t]


@jit(inline="always")
def _drop_rows(sa, ca, cosine, sine, finesse2, shape, oi, count):
    """Drop shape of ring i (rows offset ``oi``) for one channel, into ``shape[:count]``."""
    for b in range(count):
        s = sa * cosine[oi + b] + ca * sine[oi + b]
        shape[b] = 1.0 / (1.0 + finesse2[oi + b] * s * s)


@jit(inline="always")
def _cross_rows(before, drop, shape, cross, oi, count):
    for b in range(count):
        cross[b] = before[b] * drop[oi + b] * shape[b]


@jit(inline="always")
def _accumulate_rows(acc, cross, x, oi, oj, count):
    for b in range(count):
        acc[oi + b] += cross[b] * x[oj + b]


@jit(inline="always")
def _through_rows(before, through_depth, shape, excess, oi, count):
    for b in range(count):
        before[b] *= (1.0 - through_depth[oi + b] * shape[b]) * excess


@jit(inline="always")
def _min_step_rows(gain, low, high, acc):
    for t in range(acc.size):
        step = gain[t] * (high[t] - low[t])
        acc[t] = step if step < acc[t] else acc[t]


@jit(inline="always")
def _isi_rows(signal, low, high, p, oma, out):
    """Eye after worst-case single-pole ISI: ``(1-p)·step - p·|OMA|``."""
    for t in range(out.size):
        out[t] = (1.0 - p[t]) * (signal[t] * (high[t] - low[t])) - p[t] * abs(oma[t])


@jit(inline="always")
def _qfunc_sum_rows(q, erfcx_value, gauss, acc):
    """``acc += Q(q)`` with ``Q = ½·erfcx(|q|/√2)·exp(-q²/2)``, reflected for ``q < 0``."""
    for t in range(acc.size):
        tail = 0.5 * erfcx_value[t] * gauss[t]
        acc[t] += 1.0 - tail if q[t] < 0.0 else tail


@jit(inline="always")
def _halley_rows(log_erfcx, erfcx_value, target, x, step):
    """One Halley step for every lane, given ``erfcx(x/√2)`` and its log."""
    for t in range(x.size):
        xt = x[t]
        d = _halley_step(xt, log_erfcx[t] - _LN2 - 0.5 * xt * xt, erfcx_value[t], target[t])
        x[t] = xt + d
        step[t] = d


@jit(inline="always")
def _take(x, r, i, extremes, field):
    """Input ``x`` of link ``r``, channel ``i``, recorded in ``extremes[field]`` = (min, max,
    NaN-or-inf flag). An input with one row holds the same value for every link (a broadcast
    scalar or per-channel value, never copied out to full size)."""
    v = x[r if x.shape[0] > 1 else 0, i]
    extremes[field, 0] = v if v < extremes[field, 0] else extremes[field, 0]
    extremes[field, 1] = v if v > extremes[field, 1] else extremes[field, 1]
    extremes[field, 2] += v - v  # 0, or NaN for NaN and ±inf
    return v


@jit(fastmath={"contract"})  # fused multiply-add only; tested against the strict kernel
def _block(r0, nb, B, lanes, consts, phases, out, scratch, extremes):
    """Fill the outputs of links ``r0 … r0+nb-1`` (one block; rows past ``nb`` repeat ``r0``)
    and update ``extremes`` (per input: min, max, NaN-or-inf flag)."""
    (mod_err, mod_fwhm, mod_ext_db, dmx_det, dmx_fwhm, dmx_drop_db, dmx_ext_db, laser_dbm,
     isi_closure, tia_density, dark_a, rin_db, swing_ratio) = lanes  # fmt: skip
    sin_tx, cos_tx, sin_rx, cos_rx, level_c, mid_c = phases
    (
        rx_avg_dbm,
        rx_oma_dbm,
        ber,
        margin,
        q_margin,
        tx_pass_db,
        rx_pass_db,
        mod_er_db,
        mod_il_db,
        penalties,
        dominant,
    ) = out
    W, lev, nom, sigma, q, logs, pen, eyes, level_noise, level_cs = scratch
    n = mod_err.shape[1]
    m = lev.shape[0]
    nl = n * B
    (
        tx_gain_per_mw,
        link_gain,
        excess,
        excess_tx,
        quarter_inv_mod_fsr,
        quarter_inv_dmx_fsr,
        half_inv_mod_fsr,
        half_inv_dmx_fsr,
        responsivity,
        sqrt_bandwidth_over_impl,
        noise_bandwidth,
        shot_coeff,
        ber_scale,
        log_q_target,
        pen_impl,
        has_demux,
        _,
    ) = consts
    # --- gather the block, channel-major (dB values as natural-log arguments), then convert;
    # the inputs' extremes are recorded on the way, so validating them costs no extra pass
    for b in range(B):
        r = r0 + b if b < nb else r0
        for i in range(n):
            t = i * B + b
            W[_ERR, t] = _take(mod_err, r, i, extremes, 0)
            W[_FWHM, t] = _take(mod_fwhm, r, i, extremes, 1)
            W[_DEP, t] = -_LN10_OVER_10 * _take(mod_ext_db, r, i, extremes, 2)
            W[_DET, t] = _take(dmx_det, r, i, extremes, 3)
            W[_FD, t] = _take(dmx_fwhm, r, i, extremes, 4)
            W[_DROP, t] = -_LN10_OVER_10 * _take(dmx_drop_db, r, i, extremes, 5)
            W[_DTM, t] = -_LN10_OVER_10 * _take(dmx_ext_db, r, i, extremes, 6)
            W[_LASER, t] = _LN10_OVER_10 * _take(laser_dbm, r, i, extremes, 7)
            W[_P, t] = _take(isi_closure, r, i, extremes, 8)
            # signal-independent noise (thermal over the implementation factor, and the dark
            # current's shot noise), the laser's RIN·B, and log(R/2σ_thermal) (the reference
            # of the noise penalty: the thermal-noise-limited sensitivity)
            sigma_th = _take(tia_density, r, i, extremes, 9) * sqrt_bandwidth_over_impl
            W[_VTH, t] = sigma_th * sigma_th + shot_coeff * _take(dark_a, r, i, extremes, 10)
            W[_LNREF, t] = sigma_th
            W[_RINC, t] = _LN10_OVER_10 * _take(rin_db, r, i, extremes, 11)
            W[_SWR, t] = _take(swing_ratio, r, i, extremes, 12) - 1.0
    exp_rows(W[_RINC], W[_RINC], W[_T1])
    log_rows(W[_LNREF], W[_LNREF], W[_T1], W[_T2])
    log_half_r = math.log(responsivity * 0.5)
    for t in range(nl):
        W[_RINC, t] *= noise_bandwidth
        W[_LNREF, t] = log_half_r - W[_LNREF, t]
    for row in (_DEP, _LASER, _DTM, _DROP):
        exp_rows(W[row], W[row], W[_T1])
    for t in range(nl):
        W[_DEP, t] = 1.0 - W[_DEP, t]  # dip depth 1 - T_min
        W[_DTM, t] = 1.0 - W[_DTM, t]
    _ring_rows(W[_ERR], W[_FWHM], quarter_inv_mod_fsr, half_inv_mod_fsr, W[_FM], W[_MC], W[_MS])
    _ring_rows(W[_DET], W[_FD], quarter_inv_dmx_fsr, half_inv_dmx_fsr, W[_FD], W[_DC], W[_DS])
    for k in range(m):  # each level's phase at the lane's swing
        _swing_rows(W[_SWR], level_c[0, k], level_c[1, k], level_c[2, k], level_cs[0, k],
                    level_cs[1, k])  # fmt: skip
    # --- transmitter: Lorentzian tails of the other modulators at their mid level (moved by
    # their swing), sin(a + b) = sa·cb + ca·sb
    if n > 1:
        for t in range(nl):
            x = W[_SWR, t]
            c, s = cos_sin_2pi(W[_ERR, t] * half_inv_mod_fsr + x * (mid_c[0] + x * mid_c[1]))
            W[_TC, t] = c
            W[_TS, t] = s
    for i in range(n):
        o = i * B
        for b in range(B):
            W[_PASS, o + b] = excess_tx
        for j in range(n):
            if j != i:
                sa = sin_tx[i, j]
                ca = cos_tx[i, j]
                _tail_rows(sa, ca, W[_TC], W[_TS], W[_FM], W[_DEP], W[_PASS], j * B, o, B)
    scale = W[_T1]
    for t in range(nl):
        scale[t] = W[_LASER, t] * tx_gain_per_mw * W[_PASS, t]
    mean = W[_MEAN]
    mean[:] = 0.0
    for k in range(m):
        cos_k, sin_k = level_cs[0, k], level_cs[1, k]
        _level_rows(sin_k, cos_k, scale, W[_MC], W[_MS], W[_FM], W[_DEP], lev[k])
        _nominal_rows(sin_k, scale, W[_FM], W[_DEP], nom[k])
        _add_rows(mean, lev[k])
    swing = W[_SWING]
    for t in range(nl):
        mean[t] /= m
        swing[t] = abs(lev[m - 1, t] - lev[0, t])
        low = lev[0, t]
        high = lev[0, t]
        for k in range(1, m):
            low = lev[k, t] if lev[k, t] < low else low
            high = lev[k, t] if lev[k, t] > high else high
        W[_MER, t] = high / low  # the modulator's own ER and IL at its error and swing
        W[_MIL, t] = mean[t] / scale[t]
    log_rows(W[_MER], W[_MER], W[_T2], W[_T3])
    log_rows(W[_MIL], W[_MIL], W[_T2], W[_T3])
    W[_XTA, :] = 0.0
    W[_XTO, :] = 0.0
    # --- receiver bank: channel j through rings 0 … n-1; ring i drops X[i, j]
    if has_demux:
        before = W[_BEFORE]
        shape = W[_T2]
        cross = W[_T3]
        for j in range(n):
            oj = j * B
            before[:B] = 1.0
            for i in range(n):
                oi = i * B
                _drop_rows(sin_rx[i, j], cos_rx[i, j], W[_DC], W[_DS], W[_FD], shape, oi, B)
                _cross_rows(before, W[_DROP], shape, cross, oi, B)
                if i == j:
                    for b in range(B):
                        W[_SIG, oi + b] = link_gain * cross[b]
                        W[_PASSF, oi + b] = before[b]
                else:
                    _accumulate_rows(W[_XTA], cross, mean, oi, oj, B)
                    _accumulate_rows(W[_XTO], cross, swing, oi, oj, B)
                _through_rows(before, W[_DTM], shape, excess, oi, B)
        for t in range(nl):
            W[_XTA, t] *= link_gain
            W[_XTO, t] *= link_gain
            W[_NOMGAIN, t] = link_gain * W[_PASSF, t] * W[_DROP, t]
    else:
        W[_SIG, :] = link_gain
        W[_PASSF, :] = 1.0
        W[_NOMGAIN, :] = link_gain
    # --- per lane: received powers, noise per level
    avg = W[_AVG]
    avg[:] = 0.0
    for k in range(m):
        _add_rows(avg, nom[k])
        level = lev[k]
        for t in range(nl):  # σ at the nominal power, and s·dσ/ds there for the power margin
            sigma[k, t], level_noise[1, k, t] = _level_noise(
                1.0,
                level[t],
                W[_SIG, t],
                W[_XTA, t],
                responsivity,
                W[_VTH, t],
                shot_coeff,
                W[_RINC, t],
            )
    for t in range(nl):
        avg[t] = W[_NOMGAIN, t] * avg[t] / m
        W[_OMA_NOM, t] = W[_NOMGAIN, t] * (nom[m - 1, t] - nom[0, t])
        W[_OMA_ACT, t] = W[_SIG, t] * (lev[m - 1, t] - lev[0, t])
    for row in (_MIN_NOM, _MIN_ACT, _MIN_ISI, _MIN_XT, _QMIN):
        W[row, :] = np.inf
    W[_QSUM, :] = 0.0
    W[_G0D, :] = 0.0
    # --- eyes: worst-case ISI and crosstalk, optimum threshold q = eye/(σ_low + σ_high)
    for k in range(m - 1):
        _min_step_rows(W[_NOMGAIN], nom[k], nom[k + 1], W[_MIN_NOM])
        _min_step_rows(W[_SIG], lev[k], lev[k + 1], W[_MIN_ACT])
        _isi_rows(W[_SIG], lev[k], lev[k + 1], W[_P], W[_OMA_ACT], W[_T4])
        _min_rows(W[_MIN_ISI], W[_T4])
        qk = q[k]
        for t in range(nl):
            qk[t] = responsivity * (W[_T4, t] - W[_XTO, t]) / (sigma[k, t] + sigma[k + 1, t])
        _min_rows(W[_QMIN], qk)
        for t in range(nl):
            W[_T4, t] -= W[_XTO, t]  # eye after crosstalk
            eyes[0, k, t] = responsivity * W[_T4, t]
        _min_rows(W[_MIN_XT], W[_T4])
        # Q(q) = ½·erfcx(|q|/√2)·exp(-q²/2), reflected for a closed eye (q < 0)
        for t in range(nl):
            W[_T1, t] = -0.5 * qk[t] * qk[t]
        exp_rows(W[_T1], W[_T3], W[_T2])
        erfcx_of_q_rows(qk, W[_T5], W[_T2])
        _qfunc_sum_rows(qk, W[_T5], W[_T3], W[_QSUM])
        for t in range(nl):  # Σ φ(q_k)·dq_k/d ln s at the nominal power (the margin's slope)
            den = sigma[k, t] + sigma[k + 1, t]
            dq = qk[t] * (1.0 - (level_noise[1, k, t] + level_noise[1, k + 1, t]) / den)
            W[_G0D, t] += _HALF_SQRT_2_OVER_PI * W[_T3, t] * dq
        for t in range(nl):  # erfcx at the worst eye, where the q_eq solve starts
            W[_ERFCX_X, t] = W[_T5, t] if k == 0 or qk[t] == W[_QMIN, t] else W[_ERFCX_X, t]
    # --- equivalent q: Q(q_eq) = mean Q(q_k), Halley on log Q from the worst eye
    n_eyes = m - 1
    x_eq = W[_X]
    if m == 2:
        x_eq[:] = W[_QMIN]
    else:
        for t in range(nl):
            valid = W[_MIN_XT, t] > 0.0
            x_eq[t] = W[_QMIN, t] if valid else 1.0
            W[_T1, t] = W[_QSUM, t] / n_eyes if valid else 0.5
        log_rows(W[_T1], W[_TARGET], W[_T2], W[_T3])
        for t in range(nl):
            if W[_MIN_XT, t] > 0.0 and not W[_QSUM, t] >= 1e-290:
                # every eye beyond q ≈ 36: sum relative to the worst eye, in the log domain
                x0 = W[_QMIN, t]
                scaled = 0.0
                for k in range(n_eyes):
                    qk = q[k, t]
                    scaled += 0.5 * erfcx(qk * _SQRT1_2) * math.exp(0.5 * (x0 - qk) * (x0 + qk))
                W[_TARGET, t] = math.log(scaled / n_eyes) - 0.5 * x0 * x0
        for iteration in range(_HALLEY_FIXED):
            if iteration > 0:  # the first starts from the worst eye's erfcx (valid lanes)
                erfcx_of_q_rows(x_eq, W[_ERFCX_X], W[_T1])
            log_rows(W[_ERFCX_X], W[_T5], W[_T2], W[_T3])
            _halley_rows(W[_T5], W[_ERFCX_X], W[_TARGET], x_eq, W[_STEP])
        for t in range(nl):
            if W[_MIN_XT, t] > 0.0:
                x = x_eq[t]
                step = W[_STEP, t]
                for _ in range(_HALLEY_MAX):
                    if abs(step) <= 1e-10 * abs(x):
                        break
                    step = _halley_step(
                        x, _log_qfunc_positive(x), erfcx(x * _SQRT1_2), W[_TARGET, t]
                    )
                    x += step
                x_eq[t] = x
    # --- logarithms; each penalty is a difference of two (a non-positive argument gives -inf
    # or NaN, and the selects below replace those lanes)
    for t in range(nl):
        W[_T4, t] = W[_OMA_ACT, t] if W[_OMA_ACT, t] > 0.0 else 0.0
    for k, row in enumerate(
        (_AVG, _OMA_NOM, _MIN_NOM, _MIN_ACT, _MIN_ISI, _MIN_XT, _X, _T4, _PASS, _PASSF)
    ):
        log_rows(W[row], logs[k], W[_T2], W[_T3])
    log_n_eyes = math.log(n_eyes)
    for t in range(nl):
        min_xt = W[_MIN_XT, t]
        x = x_eq[t]
        pen[0, t] = (
            _TEN_OVER_LN10 * (_LN2 + logs[0, t] - logs[1, t]) if W[_OMA_NOM, t] > 0.0 else np.inf
        )
        pen[1, t] = (
            _TEN_OVER_LN10 * (logs[1, t] - logs[2, t] - log_n_eyes)
            if W[_MIN_NOM, t] > 0.0
            else np.inf
        )
        pen[2, t] = _TEN_OVER_LN10 * (logs[2, t] - logs[3, t]) if W[_MIN_ACT, t] > 0.0 else np.inf
        pen[3, t] = _TEN_OVER_LN10 * (logs[3, t] - logs[4, t]) if W[_MIN_ISI, t] > 0.0 else np.inf
        pen[4, t] = _TEN_OVER_LN10 * (logs[4, t] - logs[5, t]) if min_xt > 0.0 else np.inf
        pen[5, t] = pen_impl
        noise = _TEN_OVER_LN10 * (W[_LNREF, t] + logs[5, t] - logs[6, t]) if x > 0.0 else np.inf
        pen[6, t] = noise if min_xt > 0.0 else np.nan
        open_eye = min_xt > 0.0 and x > 0.0
        W[_MARGIN, t] = _TEN_OVER_LN10 * (logs[6, t] - log_q_target) if open_eye else -np.inf
    # --- optical power margin: the laser-power scale s* = e^t at which the BER meets its target
    # (every optical power, crosstalk and ISI scales with s; thermal noise does not, shot and
    # RIN noise grow as s and s²): safeguarded Newton (_safeguarded_step) from the nominal
    # power (t = ln s = 0), where g and its slope are already known exactly from the BER
    # above, a few steps in rows, then lane by lane to convergence; a lane that even 100 dB
    # more light (t = _POWER_T_MAX) leaves above the target is RIN-limited: no laser power
    # reaches it
    pt = W[_PT]
    pt[:] = _POWER_T_MAX  # first the ceiling, in rows: it tells RIN-limited lanes apart and
    _power_rows(pt, W, lev, eyes, level_noise, consts)  # closes every other bracket above
    for t in range(nl):
        reachable = W[_PG, t] <= 0.0
        W[_PLO, t] = -np.inf if reachable else _POWER_T_MAX
        W[_PHI, t] = _POWER_T_MAX if reachable else np.inf
    log_rows(W[_QSUM], W[_PG], W[_T1], W[_T2])
    for t in range(nl):
        solve = W[_MARGIN, t] > -np.inf and W[_PLO, t] < _POWER_T_MAX
        usable = solve and W[_QSUM, t] >= 1e-290  # else every eye beyond q ≈ 36
        g = W[_PG, t] - consts.log_target_sum
        slope = -W[_G0D, t] / W[_QSUM, t] if usable else -1.0
        step, low, high = _safeguarded_step(
            0.0, g if usable else -1.0, slope, consts.log_target_sum, W[_PLO, t], W[_PHI, t]
        )
        W[_PLO, t] = low if solve else W[_PLO, t]
        W[_PHI, t] = high if solve else W[_PHI, t]
        pt[t] = step if solve else _POWER_T_MAX
        W[_PSTEP, t] = step if solve else 0.0
    for _ in range(_POWER_FIXED):
        _power_rows(pt, W, lev, eyes, level_noise, consts)
        for t in range(nl):
            step, low, high = _safeguarded_step(
                pt[t], W[_PG, t], W[_PD, t], consts.log_target_sum, W[_PLO, t], W[_PHI, t]
            )
            done = W[_PLO, t] >= _POWER_T_MAX or abs(W[_PSTEP, t]) <= _POWER_TOLERANCE
            step = 0.0 if done else step
            W[_PLO, t] = W[_PLO, t] if done else low
            W[_PHI, t] = W[_PHI, t] if done else high
            pt[t] += step
            W[_PSTEP, t] = step
    for t in range(nl):
        x = pt[t]
        step = W[_PSTEP, t]
        low = W[_PLO, t]
        high = W[_PHI, t]
        if W[_MARGIN, t] > -np.inf and not low >= _POWER_T_MAX:
            for _ in range(_POWER_MAX):
                if abs(step) <= _POWER_TOLERANCE:
                    break
                g, slope = _power_function(x, t, W, lev, eyes, consts)
                step, low, high = _safeguarded_step(x, g, slope, consts.log_target_sum, low, high)
                x += step
        unreachable = W[_MARGIN, t] == -np.inf or low >= _POWER_T_MAX
        W[_PMARGIN, t] = -np.inf if unreachable else -_TEN_OVER_LN10 * x
    # --- the first infinite penalty closes the eye (NaN after it); the dominant one is that, or
    # else the largest (first of equals); selects only, so the loop vectorises
    for t in range(nl):
        worst_value = pen[0, t]
        worst = 0.0
        closed = worst_value == np.inf
        for k in range(1, _N_PEN):
            v = np.nan if closed else pen[k, t]
            pen[k, t] = v
            take = v > worst_value
            worst = k if take else worst
            worst_value = v if take else worst_value
            closed = closed or v == np.inf
        W[_WORST, t] = worst
    # --- scatter to the outputs, link by link
    for b in range(nb):
        r = r0 + b
        for i in range(n):
            t = i * B + b
            rx_avg_dbm[r, i] = _TEN_OVER_LN10 * (logs[0, t] + _LN_1E3)
            rx_oma_dbm[r, i] = _TEN_OVER_LN10 * (logs[7, t] + _LN_1E3)
            ber[r, i] = ber_scale * W[_QSUM, t]
            margin[r, i] = W[_PMARGIN, t]
            q_margin[r, i] = W[_MARGIN, t]
            tx_pass_db[r, i] = 0.0 - _TEN_OVER_LN10 * logs[8, t]  # 0 - x: no -0.0
            rx_pass_db[r, i] = 0.0 - _TEN_OVER_LN10 * logs[9, t]
            mod_er_db[r, i] = _TEN_OVER_LN10 * W[_MER, t]
            mod_il_db[r, i] = 0.0 - _TEN_OVER_LN10 * W[_MIL, t]
            for k in range(_N_PEN):
                penalties[r, i, k] = pen[k, t]
            dominant[r, i] = np.int8(W[_WORST, t])


def lane_budget(lanes, link, out):
    """Fill ``out`` for every link (parallel over chunks of blocks of links).

    ``lanes`` (:class:`LaneInputs`) hold the per-lane values, ``link`` (:class:`LinkConstants`)
    what the lanes share, ``out`` (:class:`LaneOutputs`) receives the results; extinction
    ratios, drop loss and laser power come in dB/dBm (converted here, in parallel), received
    powers go out in dBm, pass-by and penalties in dB.

    Returns, per per-lane input (in :class:`LaneInputs` order), its smallest and largest value
    and a flag that is NaN if any value is NaN or infinite (0 otherwise), so the caller can
    validate 10^6-lane inputs without another pass over them.

    Layout: blocks of ``B`` links (``B·n_channels ≈`` :data:`_BLOCK_LANES` lanes) are gathered
    channel-major into scratch rows, so every inner loop runs over contiguous lanes and
    vectorises. Every ring's phase ``π·error/FSR`` is evaluated once (sine and cosine); the
    fixed part of each detuning (channel offsets, bias, level shifts) enters through the
    angle-addition formula with constants hoisted here (:func:`_fixed_phases`), so a periodic
    Lorentzian costs a few multiplications and one division.
    """
    n = out.ber.shape[1]
    B = max(1, _BLOCK_LANES // n)
    # Built here, outside the parallel kernel: Numba's parfor lowering cannot capture a
    # NamedTuple made inside the parallel function (NameError in the generated gufunc).
    return _lane_chunks(lanes, _block_constants(link, n), _fixed_phases(link), out, B)


@jit_parallel
def _lane_chunks(lanes, consts, phases, out, B):
    """The parallel part of :func:`lane_budget`: chunks of blocks of ``B`` links."""
    n_links, n = out.ber.shape
    m = phases.level.shape[1]
    n_blocks = (n_links + B - 1) // B
    n_chunks = min(n_blocks, _CHUNKS)
    chunk_extremes = np.empty((max(n_chunks, 1), _N_INPUTS, 3))
    chunk_extremes[0, :, 0] = np.inf  # no links: nothing recorded
    chunk_extremes[0, :, 1] = -np.inf
    chunk_extremes[0, :, 2] = 0.0
    for c in numba.prange(n_chunks):
        extremes = np.empty((_N_INPUTS, 3))
        extremes[:, 0] = np.inf
        extremes[:, 1] = -np.inf
        extremes[:, 2] = 0.0
        scratch = _Scratch(
            W=np.empty((_N_ROWS, n * B)),
            lev=np.empty((m, n * B)),
            nom=np.empty((m, n * B)),
            sigma=np.empty((m, n * B)),
            q=np.empty((m - 1, n * B)),
            logs=np.empty((_N_LOGS, n * B)),
            pen=np.empty((_N_PEN, n * B)),
            eyes=np.empty((5, m - 1, n * B)),
            noise=np.empty((2, m, n * B)),
            level=np.empty((2, m, n * B)),
        )
        for blk in range(c * n_blocks // n_chunks, (c + 1) * n_blocks // n_chunks):
            r0 = blk * B
            _block(r0, min(B, n_links - r0), B, lanes, consts, phases, out, scratch, extremes)
        chunk_extremes[c] = extremes
    result = chunk_extremes[0].copy()
    for c in range(1, n_chunks):
        for f in range(_N_INPUTS):
            result[f, 0] = min(result[f, 0], chunk_extremes[c, f, 0])
            result[f, 1] = max(result[f, 1], chunk_extremes[c, f, 1])
            result[f, 2] += chunk_extremes[c, f, 2]
    return result


@jit
def _fixed_phases(link):
    """:class:`_Phases` of a call: ``sin``/``cos`` of ``π·(fixed detuning)/FSR`` for the
    transmitter pass-by (ring j seen by channel i, at its mid level) and the receiver
    cascade, and the halved level-phase coefficients."""
    lam = link.channel_wavelength_m
    cycles = link.level_phase_cycles
    n = lam.size
    m = cycles.size
    sin_tx = np.zeros((n, n))
    cos_tx = np.ones((n, n))
    sin_rx = np.zeros((n, n))
    cos_rx = np.ones((n, n))
    for i in range(n):
        offset = link.mid_level_detuning_m - lam[i]
        for j in range(n):
            phase = math.pi * ((lam[j] + offset) / link.modulator_fsr_m)
            sin_tx[i, j] = math.sin(phase)
            cos_tx[i, j] = math.cos(phase)
            if j != i:
                phase = math.pi * ((lam[i] - lam[j]) / link.demux_fsr_m)
                sin_rx[i, j] = math.sin(phase)
                cos_rx[i, j] = math.cos(phase)
    level = np.empty((3, m))
    level[0] = 0.5 * cycles
    level[1] = 0.5 * link.level_phase_slope_cycles
    level[2] = 0.5 * link.level_phase_curvature_cycles
    mid = np.array([level[1].mean(), level[2].mean()])
    return _Phases(sin_tx, cos_tx, sin_rx, cos_rx, level, mid)


@jit
def _block_constants(link, n):
    """:class:`_BlockConstants` of a call with ``n`` channels."""
    return _BlockConstants(
        1e-3 * link.tx_gain,  # per mW of laser power
        link.link_gain,
        link.excess,
        link.excess ** (n - 1),
        0.25 / link.modulator_fsr_m,
        0.25 / link.demux_fsr_m,
        0.5 / link.modulator_fsr_m,
        0.5 / link.demux_fsr_m,
        link.responsivity_a_per_w,
        math.sqrt(link.noise_bandwidth_hz) / link.implementation_factor,
        link.noise_bandwidth_hz,
        link.shot_coefficient_a,
        link.ber_per_eye,
        math.log(link.q_target),
        -_TEN_OVER_LN10 * math.log(link.implementation_factor),
        link.has_demux,
        math.log(link.target_ber / link.ber_per_eye),
    )
