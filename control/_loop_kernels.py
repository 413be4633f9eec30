"""Numba kernels of the closed-loop lock simulation (private; used by :mod:`cposim.control.loop`).

Layout: banks are independent (crosstalk stays inside a bank), so the outer loop runs groups
of ``LANES`` banks in parallel, and each group runs all its time steps serially with its state
packed lane-interleaved (bank fastest) in one local array, so the loops over the lanes vectorise
across banks without aliasing checks (:func:`lock_group`); fewer than ``LANES`` banks run one
by one with loops over the rings (:func:`lock_bank`). Per step: measurement → detector →
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

# ------------------------------------------- lane-interleaved groups of banks (lock kernel)
LANES = 16
"""Banks run side by side in one group of the lock kernel (four AVX2 vectors of float64 per ring
and field; a group's working set, about 90 kB for 16-ring banks, stays in the L2 cache)."""
(G_DETUNING, G_DROP, G_ERR, G_MON, G_SIGNAL) = range(5)
G_STATE = N_PARAMS  # a ring's block: parameters, then state, then the scratch fields above
G_SCRATCH = N_PARAMS + N_STATE
N_FIELDS = G_SCRATCH + 5
# Offsets (floats) of each field inside a ring's block of ``N_FIELDS·LANES`` floats.
A_COLD = P_COLD * LANES
A_FWHM = P_FWHM * LANES
A_DLDT = P_DLDT * LANES
A_FSR = P_FSR * LANES
A_LASER = P_LASER * LANES
A_RSELF = P_RSELF * LANES
A_RASIC = P_RASIC * LANES
A_PEAK = P_PEAK_CURRENT * LANES
A_NORM = P_NORM * LANES
A_REF_COS = P_REF_COS * LANES
A_REF_SIN = P_REF_SIN * LANES
A_THRESHOLD = P_ERR_THRESHOLD * LANES
A_ACTIVE = P_ACTIVE * LANES
A_XS1 = (G_STATE + X_S1) * LANES
A_XS2 = (G_STATE + X_S2) * LANES
A_XM1 = (G_STATE + X_M1) * LANES
A_XM2 = (G_STATE + X_M2) * LANES
A_APPLIED = (G_STATE + U_APPLIED) * LANES
A_UCMD = (G_STATE + U_CMD) * LANES
A_INTEG = (G_STATE + INTEG) * LANES
A_DSTATE = (G_STATE + DSTATE) * LANES
A_EPREV = (G_STATE + EPREV) * LANES
A_LOCKIN = (G_STATE + LOCKIN_SUM) * LANES
A_MONITOR = (G_STATE + MONITOR) * LANES
A_PM_DIR = (G_STATE + PM_DIR) * LANES
A_PM_ACC = (G_STATE + PM_ACC) * LANES
A_PM_PREV = (G_STATE + PM_PREV) * LANES
A_RUN = (G_STATE + RUN) * LANES
A_LOCKED = (G_STATE + LOCKED) * LANES
A_TLOCK = (G_STATE + T_LOCK) * LANES
A_NLOSS = (G_STATE + N_LOSS) * LANES
A_STAT_N = (G_STATE + STAT_N) * LANES
A_STAT_SUM = (G_STATE + STAT_SUM) * LANES
A_STAT_SUM2 = (G_STATE + STAT_SUM2) * LANES
A_STAT_MAXABS = (G_STATE + STAT_MAXABS) * LANES
A_POWER_SUM = (G_STATE + POWER_SUM) * LANES
A_DETUNING = (G_SCRATCH + G_DETUNING) * LANES
A_DROP = (G_SCRATCH + G_DROP) * LANES
A_ERR = (G_SCRATCH + G_ERR) * LANES
A_MON = (G_SCRATCH + G_MON) * LANES
A_SIGNAL = (G_SCRATCH + G_SIGNAL) * LANES


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


@jit
def pack_group(p, st, buf, b0, w, lb):
    """Copy banks ``b0 …`` (one per lane) into a group's lane-interleaved arrays.

    ``w[(i·N_FIELDS + f)·LANES + b]`` is field ``f`` (parameters, then state, then scratch) of
    ring ``i`` in lane ``b``; ``lb[(slot·n + i)·LANES + b]`` is the lock-in history.
    """
    n = p.shape[2]
    for b in range(min(LANES, p.shape[0] - b0)):
        for i in range(n):
            for f in range(N_PARAMS):
                w[(i * N_FIELDS + f) * LANES + b] = p[b0 + b, f, i]
            for f in range(N_STATE):
                w[(i * N_FIELDS + G_STATE + f) * LANES + b] = st[b0 + b, f, i]
            for slot in range(buf.shape[1]):
                lb[(slot * n + i) * LANES + b] = buf[b0 + b, slot, i]


@jit
def unpack_group(w, lb, b0, st, buf):
    """Copy a group's state and lock-in history back to banks ``b0 …`` (real lanes only)."""
    n = st.shape[2]
    for b in range(min(LANES, st.shape[0] - b0)):
        for i in range(n):
            for f in range(N_STATE):
                st[b0 + b, f, i] = w[(i * N_FIELDS + G_STATE + f) * LANES + b]
            for slot in range(buf.shape[1]):
                buf[b0 + b, slot, i] = lb[(slot * n + i) * LANES + b]


@jit
def lock_group(k0, k1, s, p, offsets, coef, ambient, asic, laser_shift, noise, st, buf, tr, b0):
    """Run the banks ``b0 … b0 + LANES - 1`` (fewer in the last group) from step ``k0`` to ``k1``.

    The group's banks are packed lane-interleaved into one local array ``w``
    (:func:`pack_group`). Every field of a ring sits at a fixed offset from the ring's block,
    so the compiler proves that the loads and stores of a ``for b in range(nl)`` loop never
    overlap and turns it into packed vector operations across the banks. The lane count
    ``nl`` is a run-time value on purpose: a loop with a small constant trip count is fully
    unrolled before the loop vectoriser runs, and Numba does not run LLVM's SLP vectoriser,
    so it would stay scalar. Per step and ring, one loop measures (and forms the
    Lorentzian/ideal error), optional loops add noise, quantise or run the photodiode
    detectors, and one branch-free loop runs the controller, heater, lock bookkeeping and
    statistics (run-wide and per-step choices are selects there); then the banded crosstalk
    sum runs over dense (ring, lane) arrays, one long loop per offset, and one loop per ring
    does the exact-ZOH thermal update. The arithmetic is that of the NumPy reference, in
    the same order, so results are bit-for-bit those of the bank-by-bank kernel.
    """
    n_banks = p.shape[0]
    n = p.shape[2]
    nl = min(LANES, n_banks - b0)
    w = np.empty(n * N_FIELDS * LANES)
    lb = np.empty(buf.shape[1] * n * LANES)
    pack_group(p, st, buf, b0, w, lb)
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
    sa11, sa12, sa21, sa22 = s[S_SA11], s[S_SA12], s[S_SA21], s[S_SA22]
    sb1, sb2 = s[S_SB1], s[S_SB2]
    ma11, ma12, ma21, ma22 = s[S_MA11], s[S_MA12], s[S_MA21], s[S_MA22]
    mb1, mb2 = s[S_MB1], s[S_MB2]
    has_noise = noise.shape[0] > 0 and sigma > 0.0
    # Banded crosstalk on dense (ring, lane) arrays: one long loop per offset.
    applied = np.zeros(n * nl)
    mutual = np.empty(n * nl)
    spread = np.zeros((offsets.shape[0], n * nl))
    for j in range(offsets.shape[0]):
        for i in range(n):
            for b in range(nl):
                spread[j, i * nl + b] = coef[j, i]
    for k in range(k0, k1):
        amb = ambient[k]
        heat = asic[k]
        shift = laser_shift[k]
        row = k - k0
        slot = k % nd
        cos_t, sin_t = cos_sin_2pi(slot / nd) if kind == 2 else (1.0, 0.0)
        dither = dither_amp * sin_t
        control = k >= control_start
        first = k == control_start
        pi_on = control and kind <= 2
        stats_on = k >= stats_start
        for i in range(n):
            o = i * N_FIELDS * LANES
            # ------------------------------------------------ measurement (+ detector e = δ…)
            for b in range(nl):
                temperature = w[o + A_XS2 + b] + w[o + A_XM2 + b] + amb + w[o + A_RASIC + b] * heat
                raw = (
                    w[o + A_LASER + b]
                    + shift
                    - (w[o + A_COLD + b] + w[o + A_DLDT + b] * temperature)
                )
                fsr = w[o + A_FSR + b]
                d = raw - fsr * np.floor(raw / fsr + 0.5)
                x = 2.0 * d / w[o + A_FWHM + b]
                drop = 1.0 / (1.0 + x * x)
                w[o + A_DETUNING + b] = d
                w[o + A_DROP + b] = drop
                w[o + A_ERR + b] = d if kind == 0 else d * drop * drop
                w[o + A_MON + b] = drop
            # ----------------------------------------------------------------- detector
            if kind <= 1:
                if has_noise:
                    for b in range(nl):
                        w[o + A_ERR + b] += sigma * noise[row, b0 + b, i]
                if qstep > 0.0:
                    for b in range(nl):
                        w[o + A_ERR + b] = qstep * np.floor(w[o + A_ERR + b] / qstep + 0.5)
            else:
                for b in range(nl):
                    w[o + A_SIGNAL + b] = w[o + A_PEAK + b] * w[o + A_DROP + b]
                if has_noise:
                    for b in range(nl):
                        w[o + A_SIGNAL + b] += sigma * noise[row, b0 + b, i]
                for b in range(nl):
                    signal = quantise(w[o + A_SIGNAL + b], qstep, full_scale)
                    w[o + A_SIGNAL + b] = signal
                    m = alpha * w[o + A_MONITOR + b] + (1.0 - alpha) * signal / w[o + A_PEAK + b]
                    w[o + A_MONITOR + b] = m
                    w[o + A_MON + b] = m
                if kind == 2:
                    q = (slot * n + i) * LANES
                    for b in range(nl):
                        product = w[o + A_SIGNAL + b] * (
                            sin_t * w[o + A_REF_COS + b] + cos_t * w[o + A_REF_SIN + b]
                        )
                        total = w[o + A_LOCKIN + b] + product - lb[q + b]
                        w[o + A_LOCKIN + b] = total
                        lb[q + b] = product
                        w[o + A_ERR + b] = total * w[o + A_NORM + b]
                else:
                    for b in range(nl):
                        w[o + A_PM_ACC + b] += w[o + A_SIGNAL + b]
                        w[o + A_ERR + b] = 0.0
                    if control and (k + 1 - control_start) % pm_period == 0:
                        for b in range(nl):
                            average = w[o + A_PM_ACC + b] / pm_period
                            direction = w[o + A_PM_DIR + b]
                            previous = w[o + A_PM_PREV + b]
                            direction = -direction if average < previous else direction
                            w[o + A_PM_DIR + b] = direction
                            w[o + A_PM_PREV + b] = average
                            w[o + A_PM_ACC + b] = 0.0
                            command = w[o + A_UCMD + b] + direction * pm_step
                            w[o + A_UCMD + b] = min(max(command, 0.0), pmax)
                    elif not control:
                        for b in range(nl):
                            w[o + A_PM_ACC + b] = 0.0
            # ---------------- controller, heater, lock bookkeeping, statistics (one pass)
            # Run-wide and per-step choices are selects, so this loop stays branch-free.
            for b in range(nl):
                e = w[o + A_ERR + b]
                command = w[o + A_UCMD + b]
                integ = w[o + A_INTEG + b]
                dstate = w[o + A_DSTATE + b]
                eprev = w[o + A_EPREV + b]
                start_integ = command - kp * e
                start_integ = start_integ if bumpless else 0.0
                start_eprev = e if bumpless else 0.0
                integ = start_integ if first else integ
                eprev = start_eprev if first else eprev
                dstate = 0.0 if first else dstate
                dterm = deriv_filter * dstate + deriv_gain * (e - eprev)
                v = kp * e + integ + dterm
                u = min(max(v, 0.0), pmax)
                increment = kih * e
                clamp = ((v > pmax) & (e > 0.0)) | ((v < 0.0) & (e < 0.0))
                clamped = 0.0 if clamp else increment
                back = increment + back_calc * (u - v)
                increment = clamped if anti_windup == 1 else increment
                increment = back if anti_windup == 2 else increment
                w[o + A_INTEG + b] = integ + increment if pi_on else w[o + A_INTEG + b]
                w[o + A_DSTATE + b] = dterm if pi_on else w[o + A_DSTATE + b]
                w[o + A_EPREV + b] = e if pi_on else w[o + A_EPREV + b]
                command = u if pi_on else command
                w[o + A_UCMD + b] = command
                active = w[o + A_ACTIVE + b]
                power = quantise_power(command + dither, pmax, levels) * active
                w[o + A_APPLIED + b] = power
                applied[i * nl + b] = power
                # ``run`` counts consecutive good (> 0) or bad (< 0) samples.
                ok = (active > 0.0) & (w[o + A_MON + b] >= lock_drop)
                ok = ok & (abs(e) <= w[o + A_THRESHOLD + b])
                ok = ok & (command < pmax)
                previous = w[o + A_RUN + b]
                current = (max(previous, 0.0) + 1.0) if ok else (min(previous, 0.0) - 1.0)
                w[o + A_RUN + b] = current
                was = w[o + A_LOCKED + b]
                gained = (was == 0.0) & (current >= hold)
                lost = (was == 1.0) & (-current >= hold)
                locked = 1.0 if gained else (0.0 if lost else was)
                w[o + A_LOCKED + b] = locked
                t_lock = w[o + A_TLOCK + b]
                w[o + A_TLOCK + b] = k if gained & (t_lock < 0.0) else t_lock
                w[o + A_NLOSS + b] += 1.0 if lost else 0.0
                d = w[o + A_DETUNING + b]
                count = w[o + A_STAT_N + b]
                total = w[o + A_STAT_SUM + b]
                total2 = w[o + A_STAT_SUM2 + b]
                largest = w[o + A_STAT_MAXABS + b]
                w[o + A_STAT_N + b] = count + locked if stats_on else count
                w[o + A_STAT_SUM + b] = total + locked * d if stats_on else total
                w[o + A_STAT_SUM2 + b] = total2 + locked * d * d if stats_on else total2
                largest_on = max(largest, locked * abs(d))
                w[o + A_STAT_MAXABS + b] = largest_on if stats_on else largest
                w[o + A_POWER_SUM + b] += power
            if k % decimation == 0:
                r = k // decimation
                for b in range(nl):
                    active = w[o + A_ACTIVE + b] > 0.0
                    tr[b0 + b, TR_DETUNING, r, i] = w[o + A_DETUNING + b] if active else np.nan
                    tr[b0 + b, TR_HEATER, r, i] = w[o + A_APPLIED + b]
                    tr[b0 + b, TR_ERROR, r, i] = w[o + A_ERR + b]
        # ----------------------------------------------------------- thermal update
        # Same order of additions as the padded sum of :func:`advance_paths` (its zero
        # terms leave the sum unchanged).
        mutual[:] = 0.0
        for j in range(offsets.shape[0]):
            shift_l = offsets[j] * nl
            lo = max(0, -shift_l)
            hi = min(n * nl, n * nl - shift_l)
            # Views starting at 0, so the indices are provably non-negative (vectorises).
            target = mutual[lo:hi]
            weight = spread[j, lo:hi]
            source = applied[lo + shift_l : hi + shift_l]
            for t in range(hi - lo):
                target[t] += weight[t] * source[t]
        for i in range(n):
            o = i * N_FIELDS * LANES
            for b in range(nl):
                own = w[o + A_RSELF + b] * w[o + A_APPLIED + b]
                a1 = w[o + A_XS1 + b]
                a2 = w[o + A_XS2 + b]
                w[o + A_XS1 + b] = sa11 * a1 + sa12 * a2 + sb1 * own
                w[o + A_XS2 + b] = sa21 * a1 + sa22 * a2 + sb2 * own
                m1 = w[o + A_XM1 + b]
                m2 = w[o + A_XM2 + b]
                mutual_i = mutual[i * nl + b]
                w[o + A_XM1 + b] = ma11 * m1 + ma12 * m2 + mb1 * mutual_i
                w[o + A_XM2 + b] = ma21 * m1 + ma22 * m2 + mb2 * mutual_i
    unpack_group(w, lb, b0, st, buf)


@jit_parallel
def lock_banks(k0, k1, s, p, offsets, coef, ambient, asic, laser_shift, noise, st, buf, tr):
    """Run every bank from global step ``k0`` to ``k1`` in parallel (state and traces in place).

    With at least ``LANES`` banks, banks run in lane-interleaved groups of ``LANES``
    (:func:`lock_group`, vectorised across banks), the groups in parallel; with fewer, each
    bank runs on its own (:func:`lock_bank`, vectorised across its rings), which is faster
    when a group would hold only a few banks. Both give bit-for-bit the same results.
    ``noise`` has shape (k1 - k0, n_banks, n_rings) of standard normals, or (0, n_banks,
    n_rings) without noise.
    """
    n_banks = p.shape[0]
    if n_banks >= LANES:
        for g in numba.prange((n_banks + LANES - 1) // LANES):
            lock_group(
                k0,
                k1,
                s,
                p,
                offsets,
                coef,
                ambient,
                asic,
                laser_shift,
                noise,
                st,
                buf,
                tr,
                g * LANES,
            )
    else:
        for b in numba.prange(n_banks):
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
