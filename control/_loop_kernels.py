"""Numba kernels of the closed-loop lock simulation (private; used by :mod:`cposim.control.loop`).

Layout: banks are independent (crosstalk stays inside a bank), so the outer loop runs banks in
parallel and each bank runs all its time steps serially with its small state hot in cache. Per
step and bank, short loops over the rings (which vectorise) do: measurement → detector →
controller → lock bookkeeping → exact-ZOH thermal update (self path, and the mutual path driven
by the banded crosstalk sum). Every constant arrives packed in arrays whose row indices are the
module constants below; random numbers arrive drawn beforehand. The plain NumPy reference of
the same loop is :mod:`cposim.control._loop_reference`.
"""

from __future__ import annotations

import numba
import numpy as np

from cposim.control._jit import jit, jit_parallel
from cposim.control._vecmath import cos_sin_2pi

# ---------------------------------------------------------------- scalar settings (array ``s``)
(
    S_KP,
    S_KIH,
    S_DERIV_FILTER,
    S_DERIV_GAIN,
    S_BACK_CALC,
    S_ANTI_WINDUP,
    S_PMAX,
    S_DAC_LEVELS,
    S_KIND,
    S_NOISE_SIGMA,
    S_QUANT_STEP,
    S_ADC_FULL_SCALE,
    S_DITHER_AMP,
    S_DITHER_N,
    S_PM_STEP,
    S_PM_PERIOD,
    S_MONITOR_ALPHA,
    S_LOCK_DROP,
    S_LOCK_HOLD,
    S_BUMPLESS,
    S_DECIMATION,
    S_CONTROL_START,
    S_STATS_START,
    S_SA11,
    S_SA12,
    S_SA21,
    S_SA22,
    S_SB1,
    S_SB2,
    S_MA11,
    S_MA12,
    S_MA21,
    S_MA22,
    S_MB1,
    S_MB2,
) = range(35)
N_SCALARS = 35

# -------------------------------------------------------- per-ring parameters (array ``p[b]``)
(
    P_COLD,
    P_FWHM,
    P_DLDT,
    P_FSR,
    P_LASER,
    P_RSELF,
    P_RASIC,
    P_PEAK_CURRENT,
    P_NORM,
    P_REF_COS,
    P_REF_SIN,
    P_ERR_THRESHOLD,
    P_ACTIVE,
) = range(13)
N_PARAMS = 13

# ------------------------------------------------------------- per-ring state (array ``st[b]``)
(
    X_S1,
    X_S2,
    X_M1,
    X_M2,
    U_APPLIED,
    U_CMD,
    INTEG,
    DSTATE,
    EPREV,
    LOCKIN_SUM,
    MONITOR,
    PM_DIR,
    PM_ACC,
    PM_PREV,
    RUN,
    LOCKED,
    T_LOCK,
    N_LOSS,
    STAT_N,
    STAT_SUM,
    STAT_SUM2,
    STAT_MAXABS,
    POWER_SUM,
) = range(23)
N_STATE = 23

# trace rows (array ``tr[b]``)
TR_DETUNING, TR_HEATER, TR_ERROR = range(3)


@jit(inline="always")
def quantise_power(power, pmax, levels):
    """Clip to [0, pmax] and round the drive amplitude to the nearest DAC code (square law)."""
    power = min(max(power, 0.0), pmax)
    if levels > 0.0:
        code = np.floor(np.sqrt(power * (1.0 / pmax)) * levels + 0.5) * (1.0 / levels)
        power = pmax * code * code
    return power


@jit(inline="always")
def quantise(value, step, full_scale):
    """Round to the ADC grid ``step`` and clip to [0, full_scale] (no-op when step == 0)."""
    if step > 0.0:
        value = min(max(step * np.floor(value / step + 0.5), 0.0), full_scale)
    return value


@jit(inline="always")
def advance_paths(s, xs1, xs2, xm1, xm2, applied, rself, offsets, coef, padded, mutual_in):
    """Exact-ZOH step of the self and mutual paths with the applied heater powers held.

    ``padded`` holds the powers with ``reach = max|offset|`` zeros on both sides, so the banded
    crosstalk sum runs over whole rows without bounds checks (and vectorises).
    """
    n = applied.shape[0]
    reach = (padded.shape[0] - n) // 2
    for i in range(n):
        padded[reach + i] = applied[i]
        mutual_in[i] = 0.0
    for o in range(offsets.shape[0]):
        start = reach + offsets[o]
        row = coef[o]
        for i in range(n):
            mutual_in[i] += row[i] * padded[start + i]
    sa11, sa12, sa21, sa22 = s[S_SA11], s[S_SA12], s[S_SA21], s[S_SA22]
    sb1, sb2 = s[S_SB1], s[S_SB2]
    ma11, ma12, ma21, ma22 = s[S_MA11], s[S_MA12], s[S_MA21], s[S_MA22]
    mb1, mb2 = s[S_MB1], s[S_MB2]
    for i in range(n):
        own = rself[i] * applied[i]
        a1 = xs1[i]
        a2 = xs2[i]
        xs1[i] = sa11 * a1 + sa12 * a2 + sb1 * own
        xs2[i] = sa21 * a1 + sa22 * a2 + sb2 * own
        m1 = xm1[i]
        m2 = xm2[i]
        xm1[i] = ma11 * m1 + ma12 * m2 + mb1 * mutual_in[i]
        xm2[i] = ma21 * m1 + ma22 * m2 + mb2 * mutual_in[i]


@jit
def padded_buffer(n, offsets):
    """Zeroed buffer of length ``n + 2·max|offset|`` for :func:`advance_paths`."""
    reach = 0
    for o in range(offsets.shape[0]):
        reach = max(reach, abs(offsets[o]))
    return np.zeros(n + 2 * reach)


@jit
def thermal_update(s, p, st, offsets, coef, mutual_in):
    """Exact-ZOH step of one bank's thermal state ``st`` (applied powers in ``st[U_APPLIED]``)."""
    advance_paths(
        s,
        st[X_S1],
        st[X_S2],
        st[X_M1],
        st[X_M2],
        st[U_APPLIED],
        p[P_RSELF],
        offsets,
        coef,
        padded_buffer(p.shape[1], offsets),
        mutual_in,
    )


@jit
def lock_bank(k0, k1, s, p, offsets, coef, ambient, asic, laser_shift, noise, st, buf, tr):
    """Run one bank from global step ``k0`` to ``k1`` (state in ``st``, traces in ``tr``).

    Each step is a sequence of short, branch-free loops over the rings (measure, detect,
    control, apply, lock bookkeeping, statistics, thermal update); choices that are fixed for
    the run (detector kind, anti-windup mode, noise, quantisation) select whole loops, so every
    loop vectorises. All array views are taken once, outside the time loop.
    """
    n = p.shape[1]
    kind = int(s[S_KIND])
    kp = s[S_KP]
    kih = s[S_KIH]
    deriv_filter = s[S_DERIV_FILTER]
    deriv_gain = s[S_DERIV_GAIN]
    back_calc = s[S_BACK_CALC]
    anti_windup = int(s[S_ANTI_WINDUP])
    pmax = s[S_PMAX]
    levels = s[S_DAC_LEVELS]
    sigma = s[S_NOISE_SIGMA]
    qstep = s[S_QUANT_STEP]
    full_scale = s[S_ADC_FULL_SCALE]
    dither_amp = s[S_DITHER_AMP]
    nd = int(s[S_DITHER_N])
    pm_step = s[S_PM_STEP]
    pm_period = int(s[S_PM_PERIOD])
    alpha = s[S_MONITOR_ALPHA]
    lock_drop = s[S_LOCK_DROP]
    hold = s[S_LOCK_HOLD]
    bumpless = s[S_BUMPLESS] > 0.0
    decimation = int(s[S_DECIMATION])
    control_start = int(s[S_CONTROL_START])
    stats_start = int(s[S_STATS_START])
    has_noise = noise.shape[0] > 0 and sigma > 0.0
    cold = p[P_COLD]
    fwhm = p[P_FWHM]
    dldt = p[P_DLDT]
    fsr = p[P_FSR]
    laser = p[P_LASER]
    rself = p[P_RSELF]
    rasic = p[P_RASIC]
    peak = p[P_PEAK_CURRENT]
    norm = p[P_NORM]
    ref_cos = p[P_REF_COS]
    ref_sin = p[P_REF_SIN]
    threshold = p[P_ERR_THRESHOLD]
    active = p[P_ACTIVE]
    xs1 = st[X_S1]
    xs2 = st[X_S2]
    xm1 = st[X_M1]
    xm2 = st[X_M2]
    applied = st[U_APPLIED]
    ucmd = st[U_CMD]
    integ = st[INTEG]
    dstate = st[DSTATE]
    eprev = st[EPREV]
    lockin = st[LOCKIN_SUM]
    monitor = st[MONITOR]
    pm_dir = st[PM_DIR]
    pm_acc = st[PM_ACC]
    pm_prev = st[PM_PREV]
    run = st[RUN]
    locked = st[LOCKED]
    t_lock = st[T_LOCK]
    n_loss = st[N_LOSS]
    stat_n = st[STAT_N]
    stat_sum = st[STAT_SUM]
    stat_sum2 = st[STAT_SUM2]
    stat_maxabs = st[STAT_MAXABS]
    power_sum = st[POWER_SUM]
    detuning = np.empty(n)
    drop = np.empty(n)
    err = np.empty(n)
    mon = np.empty(n)
    signal = np.empty(n)
    mutual_in = np.empty(n)
    padded = padded_buffer(n, offsets)
    for k in range(k0, k1):
        amb = ambient[k]
        heat = asic[k]
        shift = laser_shift[k]
        row = k - k0
        # ---------------------------------------------------------------- measurement
        for i in range(n):
            temperature = xs2[i] + xm2[i] + amb + rasic[i] * heat
            raw = laser[i] + shift - (cold[i] + dldt[i] * temperature)
            d = raw - fsr[i] * np.floor(raw / fsr[i] + 0.5)
            x = 2.0 * d / fwhm[i]
            detuning[i] = d
            drop[i] = 1.0 / (1.0 + x * x)
        # ------------------------------------------------------------------- detector
        sin_t = 0.0
        if kind <= 1:
            if kind == 0:
                for i in range(n):
                    err[i] = detuning[i]
            else:
                for i in range(n):
                    err[i] = detuning[i] * drop[i] * drop[i]
            if has_noise:
                for i in range(n):
                    err[i] += sigma * noise[row, i]
            if qstep > 0.0:
                for i in range(n):
                    err[i] = qstep * np.floor(err[i] / qstep + 0.5)
            for i in range(n):
                mon[i] = drop[i]
        else:
            for i in range(n):
                signal[i] = peak[i] * drop[i]
            if has_noise:
                for i in range(n):
                    signal[i] += sigma * noise[row, i]
            if qstep > 0.0:
                for i in range(n):
                    signal[i] = quantise(signal[i], qstep, full_scale)
            for i in range(n):
                m = alpha * monitor[i] + (1.0 - alpha) * signal[i] / peak[i]
                monitor[i] = m
                mon[i] = m
            if kind == 2:
                slot = k % nd
                cos_t, sin_t = cos_sin_2pi(slot / nd)
                for i in range(n):
                    product = signal[i] * (sin_t * ref_cos[i] + cos_t * ref_sin[i])
                    total = lockin[i] + product - buf[slot, i]
                    lockin[i] = total
                    buf[slot, i] = product
                    err[i] = total * norm[i]
            else:
                for i in range(n):
                    pm_acc[i] += signal[i]
                    err[i] = 0.0
        # ----------------------------------------------------------------- controller
        if k >= control_start:
            if kind <= 2:
                if k == control_start:
                    for i in range(n):
                        integ[i] = ucmd[i] - kp * err[i] if bumpless else 0.0
                        eprev[i] = err[i] if bumpless else 0.0
                        dstate[i] = 0.0
                for i in range(n):
                    e = err[i]
                    dterm = deriv_filter * dstate[i] + deriv_gain * (e - eprev[i])
                    v = kp * e + integ[i] + dterm
                    u = min(max(v, 0.0), pmax)
                    increment = kih * e
                    if anti_windup == 1:
                        clamp = ((v > pmax) & (e > 0.0)) | ((v < 0.0) & (e < 0.0))
                        increment = 0.0 if clamp else increment
                    elif anti_windup == 2:
                        increment += back_calc * (u - v)
                    integ[i] += increment
                    dstate[i] = dterm
                    eprev[i] = e
                    ucmd[i] = u
            elif (k + 1 - control_start) % pm_period == 0:
                for i in range(n):
                    average = pm_acc[i] / pm_period
                    direction = -pm_dir[i] if average < pm_prev[i] else pm_dir[i]
                    pm_dir[i] = direction
                    pm_prev[i] = average
                    pm_acc[i] = 0.0
                    ucmd[i] = min(max(ucmd[i] + direction * pm_step, 0.0), pmax)
        elif kind == 3:
            for i in range(n):
                pm_acc[i] = 0.0
        dither = dither_amp * sin_t
        if levels > 0.0:
            for i in range(n):
                applied[i] = quantise_power(ucmd[i] + dither, pmax, levels) * active[i]
        else:
            for i in range(n):
                applied[i] = min(max(ucmd[i] + dither, 0.0), pmax) * active[i]
        # ----------------------------------------------------------- lock bookkeeping
        # ``run`` counts consecutive good (> 0) or bad (< 0) samples.
        for i in range(n):
            ok = (active[i] > 0.0) & (mon[i] >= lock_drop) & (abs(err[i]) <= threshold[i])
            ok = ok & (ucmd[i] < pmax)
            previous = run[i]
            current = (max(previous, 0.0) + 1.0) if ok else (min(previous, 0.0) - 1.0)
            run[i] = current
            was = locked[i]
            gained = (was == 0.0) & (current >= hold)
            lost = (was == 1.0) & (-current >= hold)
            locked[i] = 1.0 if gained else (0.0 if lost else was)
            t_lock[i] = k if gained & (t_lock[i] < 0.0) else t_lock[i]
            n_loss[i] += 1.0 if lost else 0.0
        if k >= stats_start:
            for i in range(n):
                w = locked[i]
                d = detuning[i]
                stat_n[i] += w
                stat_sum[i] += w * d
                stat_sum2[i] += w * d * d
                stat_maxabs[i] = max(stat_maxabs[i], w * abs(d))
        for i in range(n):
            power_sum[i] += applied[i]
        if k % decimation == 0:
            r = k // decimation
            for i in range(n):
                tr[TR_DETUNING, r, i] = detuning[i] if active[i] > 0.0 else np.nan
                tr[TR_HEATER, r, i] = applied[i]
                tr[TR_ERROR, r, i] = err[i]
        advance_paths(s, xs1, xs2, xm1, xm2, applied, rself, offsets, coef, padded, mutual_in)


@jit_parallel
def lock_banks(k0, k1, s, p, offsets, coef, ambient, asic, laser_shift, noise, st, buf, tr):
    """Run every bank from global step ``k0`` to ``k1`` in parallel (state and traces in place).

    ``noise`` has shape (k1 - k0, n_banks, n_rings) of standard normals, or (0, n_banks,
    n_rings) without noise.
    """
    for b in numba.prange(p.shape[0]):
        lock_bank(
            k0,
            k1,
            s,
            p[b],
            offsets,
            coef,
            ambient,
            asic,
            laser_shift,
            noise[:, b, :],
            st[b],
            buf[b],
            tr[b],
        )


@jit_parallel
def sweep_banks(
    n_sweep, s, p, grid, offsets, coef, ambient, asic, laser_shift, st, best_drop, best_power
):
    """Acquisition sweep: ramp every heater from 0 to P_max over ``n_sweep`` steps.

    For every ring and channel, record the largest normalised drop response and the applied
    heater power at which it occurred (``best_drop``, ``best_power``: (n_banks, n_rings,
    n_channels)). The thermal state in ``st`` is advanced in place.
    """
    pmax = s[S_PMAX]
    levels = s[S_DAC_LEVELS]
    n_channels = grid.shape[0]
    for b in numba.prange(p.shape[0]):
        pb = p[b]
        sb = st[b]
        n = pb.shape[1]
        mutual_in = np.empty(n)
        for k in range(n_sweep):
            power = quantise_power(pmax * k / max(n_sweep - 1, 1), pmax, levels)
            for i in range(n):
                temperature = sb[X_S2, i] + sb[X_M2, i] + ambient[k] + pb[P_RASIC, i] * asic[k]
                resonance = pb[P_COLD, i] + pb[P_DLDT, i] * temperature
                fsr = pb[P_FSR, i]
                for c in range(n_channels):
                    raw = grid[c] + laser_shift[k] - resonance
                    d = raw - fsr * np.floor(raw / fsr + 0.5)
                    x = 2.0 * d / pb[P_FWHM, i]
                    response = 1.0 / (1.0 + x * x)
                    if response > best_drop[b, i, c]:
                        best_drop[b, i, c] = response
                        best_power[b, i, c] = power
                sb[U_APPLIED, i] = power
            thermal_update(s, pb, sb, offsets, coef, mutual_in)
