"""Plain-NumPy reference of the lane-budget kernel (private; tests and benchmarks).

Evaluates the model of :mod:`cposim.photonics.link.budget` over whole arrays, independently of
the blocked, vectorised layout of :mod:`cposim.photonics.link._kernels`.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from cposim.photonics.link._kernels import LaneOutputs


def reference_lane_budget(lanes, link):
    """Plain-NumPy evaluation of the same model over whole arrays (test and benchmark reference).

    Written with broadcasting over ``(links, receiver, channel, level)`` axes, ``np.sin`` and
    ``scipy.special``, and a vectorised Newton solve for ``q_eq``. Takes the kernel's
    :class:`~cposim.photonics.link._kernels.LaneInputs` (each of shape (n_links, n_channels))
    and :class:`~cposim.photonics.link._kernels.LinkConstants`; returns its
    :class:`~cposim.photonics.link._kernels.LaneOutputs`.
    """
    (mod_err, mod_fwhm, mod_ext_db, dmx_det, dmx_fwhm, dmx_drop_db, dmx_ext_db, laser_dbm,
     isi_closure, tia_density, dark_current, rin_db, swing) = lanes  # fmt: skip
    (
        lam,
        cycles,
        slope,
        curvature,
        mid_detuning,
        mod_fsr,
        dmx_fsr,
        has_demux,
        tx_gain,
        link_gain,
        excess,
        responsivity,
        bandwidth,
        shot_coeff,
        q_target,
        impl_factor,
        ber_scale,
        target_ber,
    ) = link
    n = lam.size
    m = cycles.size
    mod_tmin = 10.0 ** (-mod_ext_db / 10.0)
    dmx_drop = 10.0 ** (-dmx_drop_db / 10.0)
    dmx_tmin = 10.0 ** (-dmx_ext_db / 10.0)
    laser_w = 1e-3 * 10.0 ** (laser_dbm / 10.0)

    def peak(detuning, fwhm, fsr):  # Airy form, exactly ½ at ±FWHM/2
        return 1.0 / (
            1.0 + (np.sin(np.pi * detuning / fsr) / np.sin(0.5 * np.pi * fwhm / fsr)) ** 2
        )

    eye_n = np.eye(n, dtype=bool)
    # each level's phase at the lane's swing error δ, as a detuning (links, n, m), and the mid
    # level's move (links, n)
    delta = (swing - 1.0)[..., None]
    level_detuning = mod_fsr * (cycles + slope * delta + curvature * delta**2)
    mid_move = mod_fsr * (slope.mean() * delta + curvature.mean() * delta**2)[..., 0]
    # transmitter pass-by: [link, i (passing channel), j (ring)]
    det = lam[None, None, :] - lam[None, :, None] + mid_detuning + (mod_err + mid_move)[:, None, :]
    tails = 1.0 - (1.0 - mod_tmin[:, None, :]) * peak(det, mod_fwhm[:, None, :], mod_fsr)
    passing = np.where(eye_n, 1.0, tails).prod(axis=2) * excess ** (n - 1)
    scale = (laser_w * tx_gain * passing)[..., None]
    depth = (1.0 - mod_tmin)[..., None]
    fwhm = mod_fwhm[..., None]
    # each level's phase from resonance plus the lock error
    own = 1.0 - depth * peak(level_detuning + mod_err[..., None], fwhm, mod_fsr)
    levels = scale * own
    nominal = scale * (1.0 - depth * peak(level_detuning + 0.0 * mod_err[..., None], fwhm, mod_fsr))
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
    p = isi_closure[..., None]
    steps = np.diff(rx, axis=2)
    isi = (1.0 - p) * steps - p * np.abs(oma_actual)[..., None]
    eye = isi - xt_oma[..., None]
    sigma_impl = tia_density * np.sqrt(bandwidth) / impl_factor
    var_fixed = (sigma_impl**2 + shot_coeff * dark_current)[..., None]  # signal-independent
    rin_coeff = (10.0 ** (rin_db / 10.0) * bandwidth)[..., None]
    current = responsivity * rx
    sigma = np.sqrt(
        var_fixed
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
                    min_xt > 0.0,
                    db(responsivity * min_xt / (2.0 * sigma_impl), q_eq),
                    np.nan,
                ),
            ],
            axis=-1,
        )
        margin = np.where((min_xt > 0.0) & (q_eq > 0.0), 10.0 * np.log10(q_eq / q_target), -np.inf)
    power_margin = _power_margin_db(
        eye=responsivity * eye,
        current=current,
        xt_current=responsivity * xt_avg,
        variance_fixed=var_fixed,
        shot_coeff=shot_coeff,
        rin_coeff=rin_coeff,
        ber_scale=ber_scale,
        target_ber=target_ber,
    )
    power_margin = np.where(min_xt > 0.0, power_margin, -np.inf)
    closed_before = np.cumsum(np.isinf(penalties), axis=-1) - np.isinf(penalties) > 0
    penalties = np.where(closed_before, np.nan, penalties)
    first_inf = np.argmax(np.isinf(penalties), axis=-1)
    dominant = np.where(
        np.isinf(penalties).any(axis=-1),
        first_inf,
        np.argmax(np.nan_to_num(penalties, nan=-np.inf), axis=-1),
    )
    with np.errstate(divide="ignore"):
        rx_oma_dbm = 10.0 * np.log10(1e3 * np.maximum(oma_actual, 0.0))
    return LaneOutputs(
        received_average_dbm=10.0 * np.log10(1e3 * average_nominal),
        received_oma_dbm=rx_oma_dbm,
        ber=ber,
        margin_db=power_margin,
        q_margin_db=margin,
        mux_pass_by_db=0.0 - 10.0 * np.log10(passing),  # 0 - x: no -0.0
        demux_pass_by_db=0.0 - 10.0 * np.log10(pass_factor),
        modulator_extinction_ratio_db=10.0 * np.log10(own.max(axis=-1) / own.min(axis=-1)),
        modulator_insertion_loss_db=0.0 - 10.0 * np.log10(own.mean(axis=-1)),
        penalties_db=penalties,
        dominant_penalty=dominant,
    )


def _power_margin_db(
    *, eye, current, xt_current, variance_fixed, shot_coeff, rin_coeff, ber_scale, target_ber
):
    """Optical power margin by bisection in ``ln s`` (every optical power times ``s``) of
    ``BER(s) = target``, independent of the kernel's Newton solve; -inf where even ``s = e^23``
    (100 dB) does not reach the target (a RIN-limited lane).

    Eye currents ``eye`` (links, n, m - 1) and level currents ``current`` (links, n, m) at
    ``s = 1``, A; ``xt_current`` (links, n), A; the signal-independent noise variance
    ``variance_fixed`` (links, n, 1), A², and ``rin_coeff`` (links, n, 1).
    """

    def ber(log_scale):
        s = np.exp(log_scale)[..., None]
        level = current * s
        sigma = np.sqrt(
            variance_fixed + shot_coeff * (level + xt_current[..., None] * s) + rin_coeff * level**2
        )
        q = np.maximum(eye * s / (sigma[..., 1:] + sigma[..., :-1]), 0.0)
        return ber_scale * np.exp(special.logsumexp(special.log_ndtr(-q), axis=-1))

    low = np.full(eye.shape[:-1], -30.0)
    high = np.full(eye.shape[:-1], 23.0)
    reachable = ber(high) <= target_ber
    for _ in range(80):
        middle = 0.5 * (low + high)
        above = ber(middle) > target_ber
        low = np.where(above, middle, low)
        high = np.where(above, high, middle)
    return np.where(reachable, -10.0 * np.log10(np.e) * 0.5 * (low + high), -np.inf)
