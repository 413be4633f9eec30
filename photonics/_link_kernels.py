"""Numba kernel of the per-lane link budget, and its plain-NumPy reference (private).

Used by :func:`cposim.photonics.link.evaluate_lanes`. Inputs are laid out as ``(n_links,
n_channels)``: the lanes of one link share a bus (modulator bank, fiber, demultiplexer bank), so
each lane's pass-by loss and crosstalk come from its neighbours' actual resonances. The model is
documented in :mod:`cposim.photonics.link`; this module only evaluates it.

Rings are periodic Lorentzians (:func:`cposim.photonics.modulator.lorentzian_peak`) written with
``sin²(πx) = (1 - cos 2πx)/2`` and the vectorisable :func:`cos_2pi`.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy import special

from cposim.control._jit import jit, jit_parallel
from cposim.control._vecmath import cos_2pi

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
_SQRT1_2 = 1.0 / math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_TEN_OVER_LN10 = 10.0 / math.log(10.0)
_BLOCK = 64  # links per parallel work item (amortises the scratch allocation)


@jit(inline="always")
def _lorentz(cycles, finesse2):
    """Periodic Lorentzian ``1/(1 + finesse2·sin²(π·cycles))``, 1 on resonance.

    ``cycles`` is the detuning over the FSR, ``finesse2 = (2·FSR/(π·FWHM))²``.
    """
    return 1.0 / (1.0 + finesse2 * 0.5 * (1.0 - cos_2pi(cycles)))


@jit(inline="always")
def _log_qfunc(x):
    """``log(½·erfc(x/√2))``, with the asymptotic series where erfc underflows."""
    if x < 30.0:
        return math.log(0.5 * math.erfc(x * _SQRT1_2))
    inv2 = 1.0 / (x * x)
    return (
        -0.5 * x * x
        - math.log(x)
        - _LOG_SQRT_2PI
        + math.log(1.0 - inv2 + 3.0 * inv2 * inv2 - 15.0 * inv2 * inv2 * inv2)
    )


@jit(inline="always")
def _db_ratio(numerator, denominator):
    """``10·log10(numerator/denominator)``; inf when the denominator (an eye) is closed."""
    if denominator <= 0.0:
        return np.inf
    return _TEN_OVER_LN10 * math.log(numerator / denominator)


@jit(inline="always")
def _equivalent_q(q_min, qfunc_sum, n_eyes, log_qfunc_fallback):
    """``q_eq`` with ``Q(q_eq) = mean Q(q_k)``: the equal-eyes q giving the same BER.

    Newton on ``log Q`` from the worst eye ``q_min`` (``log Q`` is concave, so after the first
    step the iterates approach from above, quadratically). ``qfunc_sum = Σ Q(q_k)``;
    ``log_qfunc_fallback`` is ``log Σ Q(q_k)`` computed in the log domain, used when the sum
    underflows.
    """
    if qfunc_sum > 0.0:
        target = math.log(qfunc_sum / n_eyes)
    else:
        target = log_qfunc_fallback - math.log(n_eyes)
    x = q_min
    for _ in range(30):
        log_q = _log_qfunc(x)
        # d/dx log Q(x) = -φ(x)/Q(x)
        step = (log_q - target) / math.exp(-0.5 * x * x - _LOG_SQRT_2PI - log_q)
        x += step
        if abs(step) <= 1e-10 * abs(x):
            break
    return x


@jit
def _one_link(
    r,
    mod_err,
    mod_fwhm,
    mod_tmin,
    dmx_det,
    dmx_fwhm,
    dmx_drop,
    dmx_tmin,
    laser_w,
    lam,
    shifts,
    bias,
    mod_fsr,
    dmx_fsr,
    has_demux,
    tx_gain,
    link_gain,
    excess,
    symbol_rate,
    rc_bandwidth,
    responsivity,
    sigma_thermal,
    shot_coeff,
    rin_coeff,
    q_target,
    impl_factor,
    ber_scale,
    c_light,
    rx_avg,
    rx_oma,
    ber,
    margin,
    tx_pass_db,
    rx_pass_db,
    penalties,
    dominant,
    levels,
    nominal,
    cross,
    work,
):
    n = lam.size
    m = shifts.size
    mid_shift = 0.0
    for k in range(m):
        mid_shift += shifts[k]
    mid_shift /= m
    inv_mod_fsr = 1.0 / mod_fsr
    inv_dmx_fsr = 1.0 / dmx_fsr
    # per-ring constants: work[0] modulator finesse², work[1] demux finesse², work[2] scratch
    for i in range(n):
        f = 2.0 * mod_fsr / (math.pi * mod_fwhm[r, i])
        work[0, i] = f * f
        f = 2.0 * dmx_fsr / (math.pi * dmx_fwhm[r, i])
        work[1, i] = f * f
    # --- transmitter: pass-by tails of the other modulators (at their mid level), then levels
    excess_tx = excess ** (n - 1)
    for i in range(n):
        offset = bias + mid_shift - lam[i]
        for j in range(n):
            cycles = (lam[j] + offset + mod_err[r, j]) * inv_mod_fsr
            work[2, j] = 1.0 - (1.0 - mod_tmin[r, j]) * _lorentz(cycles, work[0, j])
        passing = excess_tx
        for j in range(n):
            if j != i:
                passing *= work[2, j]
        tx_pass_db[r, i] = -_TEN_OVER_LN10 * math.log(passing)
        scale = laser_w[r, i] * tx_gain * passing
        depth = 1.0 - mod_tmin[r, i]
        for k in range(m):
            levels[i, k] = scale * (
                1.0 - depth * _lorentz((bias + shifts[k] + mod_err[r, i]) * inv_mod_fsr, work[0, i])
            )
            nominal[i, k] = scale * (
                1.0 - depth * _lorentz((bias + shifts[k]) * inv_mod_fsr, work[0, i])
            )
    # --- receiver bank: cross[i, j] = bus power of channel j reaching drop port i
    if has_demux:
        for j in range(n):
            for i in range(n):
                cross[i, j] = _lorentz((lam[i] + dmx_det[r, i] - lam[j]) * inv_dmx_fsr, work[1, i])
            before = 1.0
            for i in range(n):
                shape = cross[i, j]
                cross[i, j] = before * dmx_drop[r, i] * shape
                if i == j:
                    cross[i, n] = before  # pass-by factor of channel i
                before *= (1.0 - (1.0 - dmx_tmin[r, i]) * shape) * excess
    else:
        for i in range(n):
            for j in range(n):
                cross[i, j] = 1.0 if i == j else 0.0
            cross[i, n] = 1.0
    # --- per receiver
    sigma_impl = sigma_thermal / impl_factor
    var_thermal = sigma_impl * sigma_impl
    for i in range(n):
        rx_pass_db[r, i] = -_TEN_OVER_LN10 * math.log(cross[i, n])
        signal = link_gain * cross[i, i]
        nominal_gain = link_gain * cross[i, n] * (dmx_drop[r, i] if has_demux else 1.0)
        xt_oma = 0.0
        xt_avg = 0.0
        for j in range(n):
            if j != i:
                mean_j = 0.0
                for k in range(m):
                    mean_j += levels[j, k]
                xt_avg += cross[i, j] * mean_j / m
                xt_oma += cross[i, j] * abs(levels[j, m - 1] - levels[j, 0])
        xt_avg *= link_gain
        xt_oma *= link_gain
        mean_nominal = 0.0
        for k in range(m):
            mean_nominal += nominal[i, k]
        average_nominal = nominal_gain * mean_nominal / m
        oma_nominal = nominal_gain * (nominal[i, m - 1] - nominal[i, 0])
        oma_actual = signal * (levels[i, m - 1] - levels[i, 0])
        rx_avg[r, i] = average_nominal
        rx_oma[r, i] = oma_actual
        # single-pole ISI from photon lifetime and RC
        f_photon = c_light * mod_fwhm[r, i] / (lam[i] * lam[i])
        f_total = 1.0 / math.sqrt(1.0 / (f_photon * f_photon) + 1.0 / (rc_bandwidth * rc_bandwidth))
        p = math.exp(-2.0 * math.pi * f_total / symbol_rate)
        # noise (current) of the lowest level; each eye then brings its upper level
        current = responsivity * signal * levels[i, 0]
        sigma_low = math.sqrt(
            var_thermal
            + shot_coeff * (current + responsivity * xt_avg)
            + rin_coeff * current * current
        )
        min_nominal = np.inf
        min_actual = np.inf
        min_isi = np.inf
        min_xt = np.inf
        qfunc_sum = 0.0
        q_min = np.inf
        for k in range(m - 1):
            step_nominal = nominal_gain * (nominal[i, k + 1] - nominal[i, k])
            step = signal * (levels[i, k + 1] - levels[i, k])
            isi = (1.0 - p) * step - p * abs(oma_actual)
            eye = isi - xt_oma
            current = responsivity * signal * levels[i, k + 1]
            sigma_high = math.sqrt(
                var_thermal
                + shot_coeff * (current + responsivity * xt_avg)
                + rin_coeff * current * current
            )
            # optimum threshold between Gaussians of unequal σ: q = eye/(σ_low + σ_high)
            q = responsivity * eye / (sigma_low + sigma_high)
            sigma_low = sigma_high
            qfunc_sum += 0.5 * math.erfc(q * _SQRT1_2)
            if q < q_min:
                q_min = q
            min_nominal = min(min_nominal, step_nominal)
            min_actual = min(min_actual, step)
            min_isi = min(min_isi, isi)
            min_xt = min(min_xt, eye)
        ber[r, i] = ber_scale * qfunc_sum
        # itemised penalties (dB); after the first closed eye the rest are undefined (nan)
        pen = penalties[r, i]
        pen[0] = _db_ratio(2.0 * average_nominal, oma_nominal)
        pen[1] = _db_ratio(oma_nominal, (m - 1) * min_nominal)
        pen[2] = _db_ratio(min_nominal, min_actual)
        pen[3] = _db_ratio(min_actual, min_isi)
        pen[4] = _db_ratio(min_isi, min_xt)
        pen[5] = -_TEN_OVER_LN10 * math.log(impl_factor)
        if min_xt > 0.0:
            if m == 2:
                q_eq = q_min
            else:
                fallback = 0.0
                if qfunc_sum == 0.0:  # every eye beyond q ≈ 38: sum in the log domain
                    fallback = _log_qfunc(q_min)
                q_eq = _equivalent_q(q_min, qfunc_sum, m - 1, fallback)
            pen[6] = _db_ratio(responsivity * min_xt / (2.0 * sigma_impl), q_eq)
            margin[r, i] = _db_ratio(q_eq, q_target) if q_eq > 0.0 else -np.inf
        else:
            pen[6] = np.nan
            margin[r, i] = -np.inf
        closed = False
        worst = 0
        for k in range(_N_PEN):
            if closed:
                pen[k] = np.nan
            elif pen[k] == np.inf:
                closed = True
                worst = k
            elif pen[k] > pen[worst]:
                worst = k
        dominant[r, i] = worst


@jit_parallel
def lane_budget(
    mod_err,
    mod_fwhm,
    mod_tmin,
    dmx_det,
    dmx_fwhm,
    dmx_drop,
    dmx_tmin,
    laser_w,
    lam,
    shifts,
    bias,
    mod_fsr,
    dmx_fsr,
    has_demux,
    tx_gain,
    link_gain,
    excess,
    symbol_rate,
    rc_bandwidth,
    responsivity,
    sigma_thermal,
    shot_coeff,
    rin_coeff,
    q_target,
    impl_factor,
    ber_scale,
    c_light,
    rx_avg,
    rx_oma,
    ber,
    margin,
    tx_pass_db,
    rx_pass_db,
    penalties,
    dominant,
):
    """Fill the per-lane outputs for every link (parallel over blocks of links).

    Per-lane inputs have shape (n_links, n_channels); outputs the same (``penalties`` has a
    trailing axis of :data:`PENALTY_NAMES`). Powers in W, wavelengths in m, rates in Hz/baud,
    currents in A; ``tx_gain``/``link_gain``/``excess`` are linear factors, ``impl_factor``
    (< 1) divides the thermal noise, ``shot_coeff = 2qB`` (A), ``rin_coeff = RIN·B`` (1),
    ``ber_scale = 2/(M·log2 M)``.
    """
    n_links, n = mod_err.shape
    m = shifts.size
    n_blocks = (n_links + _BLOCK - 1) // _BLOCK
    for b in numba.prange(n_blocks):
        levels = np.empty((n, m))
        nominal = np.empty((n, m))
        cross = np.empty((n, n + 1))
        work = np.empty((3, n))
        for r in range(b * _BLOCK, min((b + 1) * _BLOCK, n_links)):
            _one_link(
                r,
                mod_err,
                mod_fwhm,
                mod_tmin,
                dmx_det,
                dmx_fwhm,
                dmx_drop,
                dmx_tmin,
                laser_w,
                lam,
                shifts,
                bias,
                mod_fsr,
                dmx_fsr,
                has_demux,
                tx_gain,
                link_gain,
                excess,
                symbol_rate,
                rc_bandwidth,
                responsivity,
                sigma_thermal,
                shot_coeff,
                rin_coeff,
                q_target,
                impl_factor,
                ber_scale,
                c_light,
                rx_avg,
                rx_oma,
                ber,
                margin,
                tx_pass_db,
                rx_pass_db,
                penalties,
                dominant,
                levels,
                nominal,
                cross,
                work,
            )


def reference_lane_budget(
    *,
    mod_err,
    mod_fwhm,
    mod_tmin,
    dmx_det,
    dmx_fwhm,
    dmx_drop,
    dmx_tmin,
    laser_w,
    lam,
    shifts,
    bias,
    mod_fsr,
    dmx_fsr,
    has_demux,
    tx_gain,
    link_gain,
    excess,
    symbol_rate,
    rc_bandwidth,
    responsivity,
    sigma_thermal,
    shot_coeff,
    rin_coeff,
    q_target,
    impl_factor,
    ber_scale,
    c_light,
):
    """Plain-NumPy evaluation of the same model over whole arrays (test and benchmark reference).

    Written with broadcasting over ``(links, receiver, channel, level)`` axes, ``np.sin`` and
    ``scipy.special``, and a vectorised Newton solve for ``q_eq``; returns a dict of the outputs
    the kernel fills.
    """
    n = lam.size
    m = shifts.size

    def peak(detuning, fwhm, fsr):
        return 1.0 / (1.0 + (2.0 * fsr / (np.pi * fwhm) * np.sin(np.pi * detuning / fsr)) ** 2)

    eye_n = np.eye(n, dtype=bool)
    # transmitter pass-by: [link, i (passing channel), j (ring)]
    det = lam[None, None, :] - lam[None, :, None] + bias + shifts.mean() + mod_err[:, None, :]
    tails = 1.0 - (1.0 - mod_tmin[:, None, :]) * peak(det, mod_fwhm[:, None, :], mod_fsr)
    passing = np.where(eye_n, 1.0, tails).prod(axis=2) * excess ** (n - 1)
    scale = (laser_w * tx_gain * passing)[..., None]
    depth = (1.0 - mod_tmin)[..., None]
    fwhm = mod_fwhm[..., None]
    levels = scale * (1.0 - depth * peak(bias + shifts + mod_err[..., None], fwhm, mod_fsr))
    nominal = scale * (1.0 - depth * peak(bias + shifts + 0.0 * mod_err[..., None], fwhm, mod_fsr))
    # receiver cascade: [link, i (ring), j (channel)]
    if has_demux:
        shape = peak(
            lam[None, :, None] + dmx_det[..., None] - lam[None, None, :],
            dmx_fwhm[..., None],
            dmx_fsr,
        )
        through = (1.0 - (1.0 - dmx_tmin[..., None]) * shape) * excess
        before = np.cumprod(
            np.concatenate([np.ones_like(through[:, :1]), through[:, :-1]], axis=1), axis=1
        )
        cross = before * dmx_drop[..., None] * shape
        pass_factor = np.diagonal(before, axis1=1, axis2=2)
        nominal_gain = link_gain * pass_factor * dmx_drop
    else:
        cross = np.broadcast_to(eye_n.astype(float), (mod_err.shape[0], n, n))
        pass_factor = np.ones_like(mod_err)
        nominal_gain = link_gain * pass_factor
    signal = link_gain * np.diagonal(cross, axis1=1, axis2=2)
    off = np.where(eye_n, 0.0, cross)
    xt_avg = link_gain * np.einsum("lij,lj->li", off, levels.mean(axis=2))
    xt_oma = link_gain * np.einsum("lij,lj->li", off, np.abs(levels[..., -1] - levels[..., 0]))
    rx = signal[..., None] * levels
    rx_nominal = nominal_gain[..., None] * nominal
    average_nominal = rx_nominal.mean(axis=2)
    oma_nominal = rx_nominal[..., -1] - rx_nominal[..., 0]
    oma_actual = rx[..., -1] - rx[..., 0]
    f_photon = c_light * mod_fwhm / lam**2
    f_total = (f_photon**-2 + rc_bandwidth**-2) ** -0.5
    p = np.exp(-2.0 * np.pi * f_total / symbol_rate)[..., None]
    steps = np.diff(rx, axis=2)
    isi = (1.0 - p) * steps - p * np.abs(oma_actual)[..., None]
    eye = isi - xt_oma[..., None]
    sigma_impl = sigma_thermal / impl_factor
    current = responsivity * rx
    sigma = np.sqrt(
        sigma_impl**2
        + shot_coeff * (current + responsivity * xt_avg[..., None])
        + rin_coeff * current**2
    )
    q = responsivity * eye / (sigma[..., 1:] + sigma[..., :-1])
    qfunc = 0.5 * special.erfc(q / np.sqrt(2.0))
    ber = ber_scale * qfunc.sum(axis=2)
    min_xt = eye.min(axis=2)
    # q_eq: Newton on log Q from the worst eye (same iteration as the kernel)
    log_qf = special.log_ndtr(-q)
    target = special.logsumexp(log_qf, axis=2) - np.log(m - 1)
    x = q.min(axis=2)
    with np.errstate(all="ignore"):  # closed eyes (masked below) may diverge
        for _ in range(50):
            log_q = special.log_ndtr(-x)
            slope = -np.exp(-0.5 * x * x - 0.5 * np.log(2.0 * np.pi) - log_q)
            x = x - (log_q - target) / slope
    q_eq = x

    with np.errstate(divide="ignore", invalid="ignore"):

        def db(a, b):
            return np.where(b > 0.0, 10.0 * np.log10(a / b), np.inf)

        min_nominal = np.diff(rx_nominal, axis=2).min(axis=2)
        min_actual = steps.min(axis=2)
        penalties = np.stack(
            [
                db(2.0 * average_nominal, oma_nominal),
                db(oma_nominal, (m - 1) * min_nominal),
                db(min_nominal, min_actual),
                db(min_actual, isi.min(axis=2)),
                db(isi.min(axis=2), min_xt),
                np.full_like(ber, -10.0 * np.log10(impl_factor)),
                np.where(
                    min_xt > 0.0, db(responsivity * min_xt / (2.0 * sigma_impl), q_eq), np.nan
                ),
            ],
            axis=-1,
        )
        margin = np.where((min_xt > 0.0) & (q_eq > 0.0), 10.0 * np.log10(q_eq / q_target), -np.inf)
    closed_before = np.cumsum(np.isinf(penalties), axis=-1) - np.isinf(penalties) > 0
    penalties = np.where(closed_before, np.nan, penalties)
    first_inf = np.argmax(np.isinf(penalties), axis=-1)
    dominant = np.where(
        np.isinf(penalties).any(axis=-1),
        first_inf,
        np.argmax(np.nan_to_num(penalties, nan=-np.inf), axis=-1),
    )
    return {
        "rx_avg": average_nominal,
        "rx_oma": oma_actual,
        "ber": ber,
        "margin": margin,
        "tx_pass_db": -10.0 * np.log10(passing),
        "rx_pass_db": -10.0 * np.log10(pass_factor),
        "penalties": penalties,
        "dominant": dominant,
    }
