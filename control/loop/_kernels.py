"""Numba kernels of the closed-loop lock simulation (private; used by :mod:`cposim.control.loop`).

Layout: banks are independent (crosstalk stays inside a bank), so the outer loop runs groups
of banks (:func:`group_lanes`: ``LANES``, more for small banks) in parallel, and each group
runs all its time steps serially with its state packed (ring, bank) pair by pair, bank
fastest, in blocks of one local array, so the loops over the pairs vectorise without aliasing
checks (:func:`lock_group`); fewer than ``LANES`` banks run one by one with loops over the
rings (:func:`lock_bank`). Per step: measurement → detector →
controller → lock bookkeeping → exact-ZOH thermal update (self path, and the mutual path driven
by the banded crosstalk sum). Every constant arrives packed in arrays whose row indices are the
module constants below; random numbers arrive drawn beforehand. The plain NumPy reference of
the same loop is :mod:`cposim.control.loop._reference`.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from cposim.control.core.jit import jit, jit_parallel
from cposim.control.core.vecmath import cos_sin_2pi, sqrt, standard_normal_row

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
    S_INV_QUANT,
    S_NEIGHBOURS,
) = range(37)
N_SCALARS = 37
"""``S_NEIGHBOURS`` is 1 when some monitor sees other channels (``P_*_WEIGHT`` > 0), so the
kernels run the loops that add their light, and 0 otherwise."""


class LoopInputs(NamedTuple):
    """What the lock loop reads and never writes, built in one place
    (:func:`cposim.control.loop.locking.simulate_locking`)."""

    scalars: np.ndarray
    """Settings shared by every ring, indexed by the ``S_*`` constants, shape (N_SCALARS,)."""
    params: np.ndarray
    """Per-ring parameters indexed by the ``P_*`` constants: (n_banks, N_PARAMS, n_rings), or
    (N_PARAMS, n_rings) for one bank."""
    offsets: np.ndarray
    """Neighbour offsets of the banded crosstalk (int64)."""
    coefficients: np.ndarray
    """Crosstalk coefficient per offset and ring."""
    ambient_k: np.ndarray
    """Ambient temperature per global step, K."""
    asic_heat_w: np.ndarray
    """ASIC heat per global step, W."""
    laser_shift_m: np.ndarray
    """Laser wavelength shift per global step, m."""


class LoopState(NamedTuple):
    """What the lock loop updates in place: per bank (or for one bank, without the first
    axis) the ``N_STATE`` states, the dither buffer and the traces."""

    state: np.ndarray
    buffer: np.ndarray
    traces: np.ndarray


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
    P_INV_FSR,
    P_INV_HWHM,
    P_INV_PEAK,
    P_BELOW,
    P_ABOVE,
    P_BELOW_WEIGHT,
    P_ABOVE_WEIGHT,
    P_PMAX,
) = range(21)
N_PARAMS = 21
"""``P_BELOW``/``P_ABOVE``: offset of the nearest other channel below (< 0) and above (> 0)
the ring's own, m, over the ring's FSR; ``P_*_WEIGHT``: their power at the monitor relative to
the ring's own channel (0: not seen). ``P_PMAX``: the ring's heater full-scale power, W (the
DAC's full-scale voltage over its own resistance; ``S_PMAX`` is the nominal heater's, which
the acquisition ramp is drawn for)."""

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
    N_SATURATED,
) = range(24)
N_STATE = 24
"""``N_SATURATED`` counts the samples at which an active ring's heater command sat at an end
of its range (0 or full power)."""

# trace fields (array ``tr[b]``: field, ring, record)
TR_DETUNING, TR_HEATER, TR_ERROR = range(3)

# ------------------------------------------- groups of banks, packed pair by pair (lock kernel)
LANES = 4
"""Banks per group of the lock kernel. A group's (ring, bank) pairs, ring-major and bank-minor,
run as loops of ``n_rings·LANES`` iterations (one AVX2 vector of float64 per ring); the fields
one step touches, about 20 kB for 16-ring banks, stay in the 32 kB L1 cache (16 banks per group
touched about 86 kB; the smaller group measured ~5 % faster)."""
CHUNK = 64
"""(ring, bank) pairs per block of the group's local array: every field of a block sits at a
compile-time offset from the block, so the compiler proves the loops' loads and stores
never overlap and vectorises them without run-time alias checks."""


@jit
def group_lanes(n_rings):
    """Banks per group of the lock kernel for banks of ``n_rings`` rings: ``LANES``, or for
    banks of fewer than 16 rings as many as fill one block of ``CHUNK`` pairs (rounded down to
    an even number, so that every full group holds an even number of pairs, as the noise layout
    needs). With 4 banks of one ring a group's per-step overhead (loop set-up, the crosstalk
    passes, the Box–Muller row) was spread over 4 pairs, and the kernel ran ~4× slower."""
    return max(LANES, (CHUNK // n_rings) // 2 * 2)


(G_DETUNING, G_ERR, G_MON) = range(3)
G_STATE = N_PARAMS  # a block's fields: parameters, then state, then the scratch fields above
G_SCRATCH = N_PARAMS + N_STATE
N_FIELDS = G_SCRATCH + 3
STRIDE = CHUNK + 8
"""Floats from one field of a block to the next: one cache line more than ``CHUNK``, so that
the fields of a pair fall in different sets of the L1 cache (with a power-of-two stride they
share a few sets and evict each other)."""
BLOCK = N_FIELDS * STRIDE  # floats per block
# Offsets (floats) of each field inside a block.
A_COLD = P_COLD * STRIDE
A_DLDT = P_DLDT * STRIDE
A_FSR = P_FSR * STRIDE
A_LASER = P_LASER * STRIDE
A_RSELF = P_RSELF * STRIDE
A_RASIC = P_RASIC * STRIDE
A_PEAK = P_PEAK_CURRENT * STRIDE
A_NORM = P_NORM * STRIDE
A_REF_COS = P_REF_COS * STRIDE
A_REF_SIN = P_REF_SIN * STRIDE
A_THRESHOLD = P_ERR_THRESHOLD * STRIDE
A_ACTIVE = P_ACTIVE * STRIDE
A_INV_FSR = P_INV_FSR * STRIDE
A_INV_HWHM = P_INV_HWHM * STRIDE
A_INV_PEAK = P_INV_PEAK * STRIDE
A_BELOW = P_BELOW * STRIDE
A_ABOVE = P_ABOVE * STRIDE
A_BELOW_WEIGHT = P_BELOW_WEIGHT * STRIDE
A_ABOVE_WEIGHT = P_ABOVE_WEIGHT * STRIDE
A_PMAX = P_PMAX * STRIDE
A_XS1 = (G_STATE + X_S1) * STRIDE
A_XS2 = (G_STATE + X_S2) * STRIDE
A_XM1 = (G_STATE + X_M1) * STRIDE
A_XM2 = (G_STATE + X_M2) * STRIDE
A_APPLIED = (G_STATE + U_APPLIED) * STRIDE
A_UCMD = (G_STATE + U_CMD) * STRIDE
A_INTEG = (G_STATE + INTEG) * STRIDE
A_DSTATE = (G_STATE + DSTATE) * STRIDE
A_EPREV = (G_STATE + EPREV) * STRIDE
A_LOCKIN = (G_STATE + LOCKIN_SUM) * STRIDE
A_MONITOR = (G_STATE + MONITOR) * STRIDE
A_PM_DIR = (G_STATE + PM_DIR) * STRIDE
A_PM_ACC = (G_STATE + PM_ACC) * STRIDE
A_PM_PREV = (G_STATE + PM_PREV) * STRIDE
A_RUN = (G_STATE + RUN) * STRIDE
A_LOCKED = (G_STATE + LOCKED) * STRIDE
A_TLOCK = (G_STATE + T_LOCK) * STRIDE
A_NLOSS = (G_STATE + N_LOSS) * STRIDE
A_STAT_N = (G_STATE + STAT_N) * STRIDE
A_STAT_SUM = (G_STATE + STAT_SUM) * STRIDE
A_STAT_SUM2 = (G_STATE + STAT_SUM2) * STRIDE
A_STAT_MAXABS = (G_STATE + STAT_MAXABS) * STRIDE
A_POWER_SUM = (G_STATE + POWER_SUM) * STRIDE
A_NSAT = (G_STATE + N_SATURATED) * STRIDE
A_DETUNING = (G_SCRATCH + G_DETUNING) * STRIDE
A_ERR = (G_SCRATCH + G_ERR) * STRIDE
A_MON = (G_SCRATCH + G_MON) * STRIDE


@jit(inline="always")
def fmax(a, b):
    """Larger of two floats, ``b if b > a else a`` (Python's ``max``), as one select.

    Numba compiles the builtin ``max``/``min`` as calls, which LLVM inlines only after its loop
    vectoriser has run, so a loop calling them stays scalar.
    """
    return b if b > a else a


@jit(inline="always")
def fmin(a, b):
    """Smaller of two floats, ``b if b < a else a`` (Python's ``min``), as one select."""
    return b if b < a else a


DBL_MIN = 2.2250738585072014e-308
"""Smallest normal float64; smaller states are flushed to zero (:func:`flush`)."""
FLUSH_PERIOD = 64
"""Steps between flushes: after the thermal update of every step ``k`` with ``k % 64 == 0``,
the states of :data:`FLUSHED` below :data:`DBL_MIN` in magnitude are set to 0."""
FLUSHED = (X_S1, X_S2, X_M1, X_M2, MONITOR, DSTATE)
"""States that decay geometrically when their input is zero: the thermal paths of a heater
(or of all neighbours) at 0 W, the smoothed monitor fed zeros by an ADC that rounds a
far-detuned ring's photocurrent to 0, and the derivative filter once the error stops
changing."""


@jit(inline="always")
def flush(x):
    """``x``, or 0 if it is subnormal (NaN passes).

    A state that decays with a factor ``a > ½`` per step reaches the smallest subnormal and
    stays there (``a·x`` rounds back to ``x``), and every vector operation touching it then
    takes a microcode assist: with 8 % of heaters at 0 W for a few milliseconds the whole lock
    loop ran 1.6× slower. 2.2e-308 K is zero. Flushing every :data:`FLUSH_PERIOD` steps rather
    than every step bounds that to 64 slow steps and costs nothing measurable (every step cost
    5 % of the throughput).
    """
    return 0.0 if abs(x) < DBL_MIN else x


@jit(inline="always")
def quantise_power(power, pmax, levels):
    """Clip to [0, pmax] and round the drive amplitude to the nearest DAC code (square law).

    The arithmetic of :func:`cposim.control.heater.quantise_power`, bit for bit. ``levels ==
    0`` is an ideal driver (clip only). The rounding is a select, not a branch, so loops
    calling this vectorise.
    """
    power = fmin(fmax(power, 0.0), pmax)
    code = np.floor(sqrt(power * (1.0 / pmax)) * levels + 0.5) * (1.0 / levels)
    rounded = pmax * code * code
    return rounded if levels > 0.0 else power


@jit(inline="always")
def quantise(value, step, inv_step, full_scale):
    """Round to the ADC grid ``step`` (``inv_step = 1/step``) and clip to [0, full_scale].

    A no-op when ``step == 0`` (a select, so loops calling this vectorise).
    """
    rounded = fmin(fmax(step * np.floor(value * inv_step + 0.5), 0.0), full_scale)
    return rounded if step > 0.0 else value


@jit(inline="always")
def wrapped_drop(d, offset, fsr, inv_fsr, inv_hwhm):
    """Normalised drop response to a channel ``offset`` away from the one at detuning ``d``."""
    raw = d + offset
    x = (raw - fsr * np.floor(raw * inv_fsr + 0.5)) * inv_hwhm
    return 1.0 / (1.0 + x * x)


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


@jit(inline="always")
def box_muller_half(pairs):
    """Box–Muller pairs per step of a group of ``pairs`` (ring, bank) pairs, ``⌈pairs/2⌉``
    (the noise layout of :mod:`cposim.control.loop._noise`)."""
    return (pairs + 1) // 2


@jit
def group_normals(key, pairs, k0, k1):
    """A group's standard normals for steps ``k0 … k1 - 1`` as an array (steps, pairs): step
    ``k`` from positions ``2h·k …`` of the group's stream ``key`` (layout:
    :mod:`cposim.control.loop._noise`)."""
    h = box_muller_half(pairs)
    out = np.empty((k1 - k0, 2 * h))
    scratch = np.empty((4, h))
    for k in range(k0, k1):
        standard_normal_row(key, np.uint64(k) * np.uint64(2 * h), out[k - k0], scratch)
    return out[:, :pairs].copy()


@jit
def padded_buffer(n, offsets):
    """Zeroed buffer of length ``n + 2·max|offset|`` for :func:`advance_paths`."""
    reach = 0
    for o in range(offsets.shape[0]):
        reach = max(reach, abs(offsets[o]))
    return np.zeros(n + 2 * reach)


@jit
def lock_bank(k0, k1, inputs, noise, state):
    """Run one bank from global step ``k0`` to ``k1`` (``inputs`` and ``state`` of that bank).

    Each step is a sequence of short, branch-free loops over the rings (measure, detect,
    control, apply, lock bookkeeping, statistics, thermal update); choices that are fixed for
    the run (detector kind, anti-windup mode, noise, quantisation) select whole loops, so every
    loop vectorises. All array views are taken once, outside the time loop.
    """
    s, p, offsets, coef, ambient, asic, laser_shift = inputs
    st, buf, tr = state
    n = p.shape[1]
    kind = int(s[S_KIND])
    kp = s[S_KP]
    kih = s[S_KIH]
    deriv_filter = s[S_DERIV_FILTER]
    deriv_gain = s[S_DERIV_GAIN]
    back_calc = s[S_BACK_CALC]
    anti_windup = int(s[S_ANTI_WINDUP])
    levels = s[S_DAC_LEVELS]
    sigma = s[S_NOISE_SIGMA]
    qstep = s[S_QUANT_STEP]
    inv_qstep = s[S_INV_QUANT]
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
    neighbours = s[S_NEIGHBOURS] > 0.0
    cold = p[P_COLD]
    inv_hwhm = p[P_INV_HWHM]
    inv_fsr = p[P_INV_FSR]
    inv_peak = p[P_INV_PEAK]
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
    pmax = p[P_PMAX]
    below = p[P_BELOW]
    above = p[P_ABOVE]
    below_weight = p[P_BELOW_WEIGHT]
    above_weight = p[P_ABOVE_WEIGHT]
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
    n_saturated = st[N_SATURATED]
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
            d = raw - fsr[i] * np.floor(raw * inv_fsr[i] + 0.5)
            x = d * inv_hwhm[i]
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
                    err[i] = qstep * np.floor(err[i] * inv_qstep + 0.5)
            for i in range(n):
                mon[i] = drop[i]
        else:
            if neighbours:
                for i in range(n):
                    d, f, inv_f, inv_h = detuning[i], fsr[i], inv_fsr[i], inv_hwhm[i]
                    light = drop[i] + below_weight[i] * wrapped_drop(d, below[i], f, inv_f, inv_h)
                    light += above_weight[i] * wrapped_drop(d, above[i], f, inv_f, inv_h)
                    signal[i] = peak[i] * light
            else:
                for i in range(n):
                    signal[i] = peak[i] * drop[i]
            if has_noise:
                for i in range(n):
                    signal[i] += sigma * noise[row, i]
            if qstep > 0.0:
                for i in range(n):
                    signal[i] = quantise(signal[i], qstep, inv_qstep, full_scale)
            for i in range(n):
                m = alpha * monitor[i] + (1.0 - alpha) * signal[i] * inv_peak[i]
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
                    u = fmin(fmax(v, 0.0), pmax[i])
                    increment = kih * e
                    if anti_windup == 1:
                        clamp = ((v > pmax[i]) & (e > 0.0)) | ((v < 0.0) & (e < 0.0))
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
                    ucmd[i] = fmin(fmax(ucmd[i] + direction * pm_step, 0.0), pmax[i])
        elif kind == 3:
            for i in range(n):
                pm_acc[i] = 0.0
        dither = dither_amp * sin_t
        if levels > 0.0:
            for i in range(n):
                applied[i] = quantise_power(ucmd[i] + dither, pmax[i], levels) * active[i]
        else:
            for i in range(n):
                applied[i] = fmin(fmax(ucmd[i] + dither, 0.0), pmax[i]) * active[i]
        # ----------------------------------------------------------- lock bookkeeping
        # ``run`` counts consecutive good (> 0) or bad (< 0) samples.
        for i in range(n):
            ok = (active[i] > 0.0) & (mon[i] >= lock_drop) & (abs(err[i]) <= threshold[i])
            ok = ok & (ucmd[i] < pmax[i])
            previous = run[i]
            current = (fmax(previous, 0.0) + 1.0) if ok else (fmin(previous, 0.0) - 1.0)
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
                stat_maxabs[i] = fmax(stat_maxabs[i], w * abs(d))
        for i in range(n):
            power_sum[i] += applied[i]
            saturated = ((ucmd[i] >= pmax[i]) | (ucmd[i] <= 0.0)) & (active[i] > 0.0)
            n_saturated[i] += 1.0 if saturated else 0.0
        if k % decimation == 0:
            r = k // decimation
            for i in range(n):
                tr[TR_DETUNING, i, r] = detuning[i] if active[i] > 0.0 else np.nan
                tr[TR_HEATER, i, r] = applied[i]
                tr[TR_ERROR, i, r] = err[i]
        advance_paths(s, xs1, xs2, xm1, xm2, applied, rself, offsets, coef, padded, mutual_in)
        if k % FLUSH_PERIOD == 0:
            for f in FLUSHED:
                state = st[f]
                for i in range(n):
                    state[i] = flush(state[i])


@jit
def pack_group(p, st, buf, b0, nl, w, lb):
    """Copy banks ``b0 … b0 + nl - 1`` into a group's local arrays.

    Pair ``t = i·nl + b`` (ring ``i``, lane ``b``) lives in block ``t // CHUNK`` at position
    ``u = t % CHUNK``: ``w[(t // CHUNK)·BLOCK + f·CHUNK + u]`` is its field ``f`` (parameters,
    then state, then scratch); ``lb[slot·n·nl + t]`` is its lock-in history.
    """
    n = p.shape[2]
    pairs = n * nl
    for b in range(nl):
        for i in range(n):
            t = i * nl + b
            o = (t // CHUNK) * BLOCK + t % CHUNK
            for f in range(N_PARAMS):
                w[o + f * STRIDE] = p[b0 + b, f, i]
            for f in range(N_STATE):
                w[o + (G_STATE + f) * STRIDE] = st[b0 + b, f, i]
            for slot in range(buf.shape[1]):
                lb[slot * pairs + t] = buf[b0 + b, slot, i]


@jit
def unpack_group(w, lb, b0, nl, st, buf):
    """Copy a group's state and lock-in history back to banks ``b0 … b0 + nl - 1``."""
    n = st.shape[2]
    pairs = n * nl
    for b in range(nl):
        for i in range(n):
            t = i * nl + b
            o = (t // CHUNK) * BLOCK + t % CHUNK
            for f in range(N_STATE):
                st[b0 + b, f, i] = w[o + (G_STATE + f) * STRIDE]
            for slot in range(buf.shape[1]):
                buf[b0 + b, slot, i] = lb[slot * pairs + t]


@jit(inline="always")
def measure(w, o, b, amb, heat, shift):
    """Detuning laser − ring (nearest order), m, and normalised drop response of one lane."""
    temperature = w[o + A_XS2 + b] + w[o + A_XM2 + b] + amb + w[o + A_RASIC + b] * heat
    raw = w[o + A_LASER + b] + shift - (w[o + A_COLD + b] + w[o + A_DLDT + b] * temperature)
    d = raw - w[o + A_FSR + b] * np.floor(raw * w[o + A_INV_FSR + b] + 0.5)
    x = d * w[o + A_INV_HWHM + b]
    return d, 1.0 / (1.0 + x * x)


@jit(inline="always")
def monitor_light(w, o, b, d, drop):
    """Light at one lane's monitor relative to its own channel's peak: its own channel's drop
    response plus the two nearest other channels' (weighted by their relative power)."""
    fsr = w[o + A_FSR + b]
    inv_fsr = w[o + A_INV_FSR + b]
    inv_hwhm = w[o + A_INV_HWHM + b]
    below = wrapped_drop(d, w[o + A_BELOW + b], fsr, inv_fsr, inv_hwhm)
    above = wrapped_drop(d, w[o + A_ABOVE + b], fsr, inv_fsr, inv_hwhm)
    return drop + w[o + A_BELOW_WEIGHT + b] * below + w[o + A_ABOVE_WEIGHT + b] * above


@jit(inline="always")
def photodiode(w, o, b, drop, noise, adc):
    """Monitor photocurrent (noise added, ADC-quantised), A; updates the smoothed monitor."""
    sigma, qstep, inv_qstep, full_scale, alpha = adc
    signal = quantise(w[o + A_PEAK + b] * drop + sigma * noise, qstep, inv_qstep, full_scale)
    m = alpha * w[o + A_MONITOR + b] + (1.0 - alpha) * signal * w[o + A_INV_PEAK + b]
    w[o + A_MONITOR + b] = m
    return signal, m


@jit(inline="always")
def lockin_pair(w, o, b, d, light, noise, adc, sin_t, cos_t, history):
    """Dither lock-in of one pair: monitor photocurrent of ``light``, the moving sum of
    signal × reference over one dither period, the error, detuning and monitor fields."""
    signal, m = photodiode(w, o, b, light, noise, adc)
    product = signal * (sin_t * w[o + A_REF_COS + b] + cos_t * w[o + A_REF_SIN + b])
    total = w[o + A_LOCKIN + b] + product - history[b]
    w[o + A_LOCKIN + b] = total
    history[b] = product
    w[o + A_DETUNING + b] = d
    w[o + A_ERR + b] = total * w[o + A_NORM + b]
    w[o + A_MON + b] = m


@jit(inline="always")
def tracker_pair(w, o, b, d, light, noise, adc, control):
    """Power-maximum tracker of one pair: accumulate the monitor photocurrent of ``light``."""
    signal, m = photodiode(w, o, b, light, noise, adc)
    w[o + A_PM_ACC + b] = (w[o + A_PM_ACC + b] + signal) if control else 0.0
    w[o + A_DETUNING + b] = d
    w[o + A_ERR + b] = 0.0
    w[o + A_MON + b] = m


@jit(inline="always")
def pi_update(w, o, b, step, c):
    """Controller and heater DAC of one pair: error ``A_ERR`` → command and applied power.

    ``step = (first, pi_on, stats_on)`` are this step's phase flags and ``c`` the run-wide
    constants (:func:`run_constants`). Every choice is a select between values already
    computed (no load or arithmetic inside a conditional), so LLVM emits no branch and the loop
    vectorises. Same arithmetic, in the same order, as the NumPy reference.
    """
    first, pi_on, _ = step
    kp, kih, deriv_filter, deriv_gain, back_calc, clamping, back_calculation, bumpless = c[0]
    pmax = w[o + A_PMAX + b]
    e = w[o + A_ERR + b]
    command = w[o + A_UCMD + b]
    integ_old = w[o + A_INTEG + b]
    dstate_old = w[o + A_DSTATE + b]
    eprev_old = w[o + A_EPREV + b]
    start_integ = command - kp * e
    start_integ = start_integ if bumpless else 0.0
    start_eprev = e if bumpless else 0.0
    integ = start_integ if first else integ_old
    eprev = start_eprev if first else eprev_old
    dstate = 0.0 if first else dstate_old
    dterm = deriv_filter * dstate + deriv_gain * (e - eprev)
    v = kp * e + integ + dterm
    u = fmin(fmax(v, 0.0), pmax)
    increment = kih * e
    clamp = ((v > pmax) & (e > 0.0)) | ((v < 0.0) & (e < 0.0))
    clamped = 0.0 if clamp else increment
    back = increment + back_calc * (u - v)
    increment = clamped if clamping else increment
    increment = back if back_calculation else increment
    integrated = integ + increment
    w[o + A_INTEG + b] = integrated if pi_on else integ_old
    w[o + A_DSTATE + b] = dterm if pi_on else dstate_old
    w[o + A_EPREV + b] = e if pi_on else eprev_old
    w[o + A_UCMD + b] = u if pi_on else command


@jit(inline="always")
def book_ring(w, o, b, time, step, c):
    """Lock bookkeeping, statistics and the self thermal path of one pair (after the heater).

    Reads the step's detuning, error, monitor, command and applied power from the block.
    Branch-free like :func:`pi_update`.
    """
    stats_on = step[2]
    _, lock_drop, hold = c[1]
    pmax = w[o + A_PMAX + b]
    sa11, sa12, sa21, sa22, sb1, sb2 = c[2]
    d = w[o + A_DETUNING + b]
    e = w[o + A_ERR + b]
    power = w[o + A_APPLIED + b]
    # ``run`` counts consecutive good (> 0) or bad (< 0) samples.
    ok = (w[o + A_ACTIVE + b] > 0.0) & (w[o + A_MON + b] >= lock_drop)
    ok = ok & (abs(e) <= w[o + A_THRESHOLD + b])
    ok = ok & (w[o + A_UCMD + b] < pmax)
    previous = w[o + A_RUN + b]
    good = fmax(previous, 0.0) + 1.0
    bad = fmin(previous, 0.0) - 1.0
    current = good if ok else bad
    w[o + A_RUN + b] = current
    was = w[o + A_LOCKED + b]
    gained = (was == 0.0) & (current >= hold)
    lost = (was == 1.0) & (-current >= hold)
    kept = 0.0 if lost else was
    locked = 1.0 if gained else kept
    w[o + A_LOCKED + b] = locked
    # Whole numbers, so this is exact; as arithmetic rather than a select, LLVM cannot turn
    # it into a conditional (masked) store, which is microcoded and slow on AMD Zen.
    t_lock = w[o + A_TLOCK + b]
    first_lock = 1.0 if gained & (t_lock < 0.0) else 0.0
    w[o + A_TLOCK + b] = t_lock + (time - t_lock) * first_lock
    w[o + A_NLOSS + b] += 1.0 if lost else 0.0
    count = w[o + A_STAT_N + b]
    total = w[o + A_STAT_SUM + b]
    total2 = w[o + A_STAT_SUM2 + b]
    largest = w[o + A_STAT_MAXABS + b]
    count_on = count + locked
    total_on = total + locked * d
    total2_on = total2 + locked * d * d
    largest_on = fmax(largest, locked * abs(d))
    w[o + A_STAT_N + b] = count_on if stats_on else count
    w[o + A_STAT_SUM + b] = total_on if stats_on else total
    w[o + A_STAT_SUM2 + b] = total2_on if stats_on else total2
    w[o + A_STAT_MAXABS + b] = largest_on if stats_on else largest
    w[o + A_POWER_SUM + b] += power
    command = w[o + A_UCMD + b]
    saturated = ((command >= pmax) | (command <= 0.0)) & (w[o + A_ACTIVE + b] > 0.0)
    w[o + A_NSAT + b] += 1.0 if saturated else 0.0
    # Self path of the exact-ZOH thermal step (it needs only this ring's power).
    own = w[o + A_RSELF + b] * power
    a1 = w[o + A_XS1 + b]
    a2 = w[o + A_XS2 + b]
    w[o + A_XS1 + b] = sa11 * a1 + sa12 * a2 + sb1 * own
    w[o + A_XS2 + b] = sa21 * a1 + sa22 * a2 + sb2 * own


@jit
def run_constants(s):
    """Run-wide scalars of :func:`pi_update` and :func:`book_ring`, as tuples (in registers)."""
    pid = (
        s[S_KP],
        s[S_KIH],
        s[S_DERIV_FILTER],
        s[S_DERIV_GAIN],
        s[S_BACK_CALC],
        s[S_ANTI_WINDUP] == 1.0,
        s[S_ANTI_WINDUP] == 2.0,
        s[S_BUMPLESS] > 0.0,
    )
    limits = (s[S_DAC_LEVELS], s[S_LOCK_DROP], s[S_LOCK_HOLD])
    path = (s[S_SA11], s[S_SA12], s[S_SA21], s[S_SA22], s[S_SB1], s[S_SB2])
    return pid, limits, path


@jit
def lock_group(k0, k1, inputs, key, has_noise, state, b0):
    """Run the banks ``b0 … b0 + group_lanes(n_rings) - 1`` (fewer in the last group) from step
    ``k0`` to ``k1``.

    The group's (ring, bank) pairs, ring-major and bank-minor, are packed into blocks of
    ``CHUNK`` pairs of one local array ``w`` (:func:`pack_group`). Every field sits at a fixed
    offset from its block, so the compiler proves that the loads and stores of a
    ``for t in range(count)`` loop over a block never overlap and turns it into packed vector
    operations (the trip count is a run-time value on purpose: a loop with a small constant
    trip count is fully unrolled before the loop vectoriser runs, and Numba does not run LLVM's
    SLP vectoriser). With ``has_noise``, each step makes its normals from the group's stream
    ``key`` (:func:`~cposim.control.core.vecmath.standard_normal_row`, layout of
    :mod:`cposim.control.loop._noise`) before the blocks run.

    Per step and block, a few branch-free loops run in stages that pass values through the
    block's scratch fields: the detector's loop (measure, error with noise and ADC rounding,
    monitor; the kind selects which one runs), then the controller (:func:`pi_update`), the
    heater DAC, and the lock bookkeeping, statistics and self thermal path
    (:func:`book_ring`). One fused loop was slower: its dependency chain, about 150 cycles
    from the loads to the thermal state, outgrew the core's out-of-order window, so the loop
    ran at the latency of the chain instead of the throughput of its instructions. Then the
    banded crosstalk sum runs over dense pair arrays, one loop over all pairs per three
    offsets (ring ``i ± o`` is pair ``t ± o·nl``; one pass per offset, each loading and storing
    the running sum, was ~10 % slower), and one loop per block advances the mutual path. Choices
    fixed for the run (noise, quantisation, anti-windup) are selects. The arithmetic is that of
    the NumPy reference, in the same order.
    """
    s, p, offsets, coef, ambient, asic, laser_shift = inputs
    st, buf, tr = state
    n_banks = p.shape[0]
    n = p.shape[2]
    nl = min(group_lanes(n), n_banks - b0)
    pairs = n * nl
    n_blocks = (pairs + CHUNK - 1) // CHUNK
    w = np.empty(n_blocks * BLOCK)
    lb = np.empty(buf.shape[1] * pairs)
    pack_group(p, st, buf, b0, nl, w, lb)
    c = run_constants(s)
    kind = int(s[S_KIND])
    sigma = s[S_NOISE_SIGMA]
    half = box_muller_half(pairs)
    nz = np.zeros(2 * half)  # this step's normals (zeros without noise)
    scratch = np.empty((4, half))
    adc = (sigma, s[S_QUANT_STEP], s[S_INV_QUANT], s[S_ADC_FULL_SCALE], s[S_MONITOR_ALPHA])
    qstep = s[S_QUANT_STEP]
    inv_qstep = s[S_INV_QUANT]
    quantised = qstep > 0.0
    ideal = kind == 0
    neighbours = s[S_NEIGHBOURS] > 0.0
    dither_amp = s[S_DITHER_AMP]
    nd = int(s[S_DITHER_N])
    pm_step = s[S_PM_STEP]
    pm_period = int(s[S_PM_PERIOD])
    levels = s[S_DAC_LEVELS]
    decimation = int(s[S_DECIMATION])
    control_start = int(s[S_CONTROL_START])
    stats_start = int(s[S_STATS_START])
    ma11, ma12, ma21, ma22 = s[S_MA11], s[S_MA12], s[S_MA21], s[S_MA22]
    mb1, mb2 = s[S_MB1], s[S_MB2]
    # Applied powers with ``reach`` rings of zeros on both sides, so that every loop of the
    # banded crosstalk sum runs over all pairs (whole vectors, no scalar remainder
    # whose narrow stores would stall the next loop's vector loads).
    reach = 0
    for j in range(offsets.shape[0]):
        reach = max(reach, abs(offsets[j]))
    margin = reach * nl
    # Banks without crosstalk (one-ring DR banks) have no mutual heat: their mutual state
    # starts at exactly 0 (equilibrium or sweep) and stays there, so its update is skipped.
    coupled = offsets.shape[0] > 0
    padded = np.zeros(pairs + 2 * margin)
    mutual = np.empty(pairs)
    # Offsets three at a time (one pass over the pairs per three, instead of one per offset),
    # padded with zero weights, which leave every sum unchanged: where (pair index of the
    # source of each term in ``padded``) and weights ``spread``.
    n_terms = 3 * ((offsets.shape[0] + 2) // 3)
    where = np.full(n_terms, margin)
    spread = np.zeros((n_terms, pairs))
    for j in range(offsets.shape[0]):
        where[j] = margin + offsets[j] * nl
        for i in range(n):
            for b in range(nl):
                spread[j, i * nl + b] = coef[j, i]
    for k in range(k0, k1):
        amb = ambient[k]
        heat = asic[k]
        shift = laser_shift[k]
        if has_noise:
            standard_normal_row(key, np.uint64(k) * np.uint64(2 * half), nz, scratch)
        slot = k % nd
        cos_t, sin_t = cos_sin_2pi(slot / nd) if kind == 2 else (1.0, 0.0)
        dither = dither_amp * sin_t
        control = k >= control_start
        step = (k == control_start, control and kind <= 2, k >= stats_start)
        time = float(k)
        for g in range(n_blocks):
            o = g * BLOCK
            first = g * CHUNK
            count = min(CHUNK, pairs - first)
            z = nz[first : first + count]  # views from 0: provably non-negative indices
            if kind <= 1:
                # Ideal (e = δ) or Lorentzian-slope (e = δ·D²) error, noise, ADC rounding.
                for t in range(count):
                    d, drop = measure(w, o, t, amb, heat, shift)
                    slope = d * drop * drop
                    e = (d if ideal else slope) + sigma * z[t]
                    rounded = qstep * np.floor(e * inv_qstep + 0.5)
                    w[o + A_DETUNING + t] = d
                    w[o + A_ERR + t] = rounded if quantised else e
                    w[o + A_MON + t] = drop
            elif kind == 2:
                # Dither + lock-in: moving sum of signal × reference over one dither period.
                q = slot * pairs + first
                history = lb[q : q + count]
                if neighbours:
                    for t in range(count):
                        d, drop = measure(w, o, t, amb, heat, shift)
                        light = monitor_light(w, o, t, d, drop)
                        lockin_pair(w, o, t, d, light, z[t], adc, sin_t, cos_t, history)
                else:
                    for t in range(count):
                        d, drop = measure(w, o, t, amb, heat, shift)
                        lockin_pair(w, o, t, d, drop, z[t], adc, sin_t, cos_t, history)
            else:
                # Power-maximum tracker: accumulate, step the heater every period, apply.
                if neighbours:
                    for t in range(count):
                        d, drop = measure(w, o, t, amb, heat, shift)
                        light = monitor_light(w, o, t, d, drop)
                        tracker_pair(w, o, t, d, light, z[t], adc, control)
                else:
                    for t in range(count):
                        d, drop = measure(w, o, t, amb, heat, shift)
                        tracker_pair(w, o, t, d, drop, z[t], adc, control)
                if control and (k + 1 - control_start) % pm_period == 0:
                    for t in range(count):
                        average = w[o + A_PM_ACC + t] / pm_period
                        direction = w[o + A_PM_DIR + t]
                        previous = w[o + A_PM_PREV + t]
                        direction = -direction if average < previous else direction
                        w[o + A_PM_DIR + t] = direction
                        w[o + A_PM_PREV + t] = average
                        w[o + A_PM_ACC + t] = 0.0
                        command = w[o + A_UCMD + t] + direction * pm_step
                        w[o + A_UCMD + t] = fmin(fmax(command, 0.0), w[o + A_PMAX + t])
            # Stages common to every detector, as separate loops: a fused loop's dependency
            # chain (measure → error → controller → square-root DAC → bookkeeping → thermal
            # path) outgrew the out-of-order window, which then bounded the loop by latency.
            for t in range(count):
                pi_update(w, o, t, step, c)
            for t in range(count):
                power = quantise_power(w[o + A_UCMD + t] + dither, w[o + A_PMAX + t], levels)
                w[o + A_APPLIED + t] = power * w[o + A_ACTIVE + t]
            for t in range(count):
                book_ring(w, o, t, time, step, c)
            if coupled:
                powers = padded[margin + first : margin + first + count]
                for t in range(count):
                    powers[t] = w[o + A_APPLIED + t]
        if k % decimation == 0:
            r = k // decimation
            for i in range(n):
                for b in range(nl):
                    t = i * nl + b
                    o = (t // CHUNK) * BLOCK + t % CHUNK  # shifts: CHUNK is a power of two
                    active = w[o + A_ACTIVE] > 0.0
                    tr[b0 + b, TR_DETUNING, i, r] = w[o + A_DETUNING] if active else np.nan
                    tr[b0 + b, TR_HEATER, i, r] = w[o + A_APPLIED]
                    tr[b0 + b, TR_ERROR, i, r] = w[o + A_ERR]
        # ------------------------------------- banded crosstalk and the mutual thermal path
        # On dense pair arrays, three offsets per loop over all pairs, in the reference's order
        # of additions (its out-of-bank terms are zeros, which leave the sum unchanged).
        mutual[:] = 0.0
        for j in range(0, n_terms, 3):
            x0 = padded[where[j] : where[j] + pairs]  # views from 0: no negative indices
            x1 = padded[where[j + 1] : where[j + 1] + pairs]
            x2 = padded[where[j + 2] : where[j + 2] + pairs]
            r0 = spread[j]
            r1 = spread[j + 1]
            r2 = spread[j + 2]
            for t in range(pairs):
                mutual[t] = ((mutual[t] + r0[t] * x0[t]) + r1[t] * x1[t]) + r2[t] * x2[t]
        for g in range(n_blocks):
            o = g * BLOCK
            first = g * CHUNK
            count = min(CHUNK, pairs - first)
            inputs = mutual[first : first + count]
            if coupled:
                for t in range(count):
                    m1 = w[o + A_XM1 + t]
                    m2 = w[o + A_XM2 + t]
                    w[o + A_XM1 + t] = ma11 * m1 + ma12 * m2 + mb1 * inputs[t]
                    w[o + A_XM2 + t] = ma21 * m1 + ma22 * m2 + mb2 * inputs[t]
            if k % FLUSH_PERIOD == 0:
                for f in FLUSHED:
                    a = o + (G_STATE + f) * STRIDE
                    for t in range(count):
                        w[a + t] = flush(w[a + t])
    unpack_group(w, lb, b0, nl, st, buf)


@jit_parallel
def lock_banks(k0, k1, inputs, keys, state):
    """Run every bank from global step ``k0`` to ``k1`` in parallel (state and traces in place).

    With at least ``LANES`` banks, banks run in groups of :func:`group_lanes`
    (:func:`lock_group`, vectorised across banks), the groups in parallel; with fewer, each
    bank runs on its own (:func:`lock_bank`, vectorised across its rings), which is faster
    when a group would hold only a few banks. Both give bit-for-bit the same results.
    ``keys`` holds one uint64 noise stream per group (:mod:`cposim.control.loop._noise`), or
    nothing without detector noise.
    """
    p = inputs.params
    n_banks = p.shape[0]
    n = p.shape[2]
    lanes = group_lanes(n)
    has_noise = keys.shape[0] > 0 and inputs.scalars[S_NOISE_SIGMA] > 0.0
    if n_banks >= LANES:
        for g in numba.prange((n_banks + lanes - 1) // lanes):
            key = keys[g] if has_noise else np.uint64(0)
            lock_group(k0, k1, inputs, key, has_noise, state, g * lanes)
    else:
        # One group: its lanes are the banks.
        if has_noise:
            normals = group_normals(keys[0], n * n_banks, k0, k1)
        else:
            normals = np.zeros((0, n * n_banks))
        banks_noise = normals.reshape((normals.shape[0], n, n_banks))
        for b in numba.prange(n_banks):
            _lock_one_bank(k0, k1, inputs, banks_noise[:, :, b], state, b)


@jit
def _lock_one_bank(k0, k1, inputs, noise, state, b):
    """:func:`lock_bank` on bank ``b`` of the batch's ``inputs`` and ``state`` (the parallel
    loop body of :func:`lock_banks`)."""
    s, p, offsets, coef, ambient, asic, laser_shift = inputs
    bank_inputs = LoopInputs(s, p[b], offsets, coef, ambient, asic, laser_shift)
    lock_bank(
        k0, k1, bank_inputs, noise, LoopState(state.state[b], state.buffer[b], state.traces[b])
    )


class SweepInputs(NamedTuple):
    """What the acquisition sweep reads (:func:`sweep_rings`), every ring of every bank on one
    axis. Every heater receives the same ramp, so through the linear thermal network each
    ring's heater-driven temperature is ``R_self·self_k_per_w[k] + R_mutual·mutual_k_per_w[k]``
    (its self resistance and the sum of its mutual resistances times the unit responses of
    the two paths to the common ramp), and the sweep needs no thermal state per ring."""

    grid: np.ndarray
    """Channel wavelengths, m, shape (n_channels,)."""
    self_k_per_w: np.ndarray
    """Temperature of the self path per K/W at each step (before the step's update)."""
    mutual_k_per_w: np.ndarray
    """The same for the mutual path."""
    power_w: np.ndarray
    """The applied (DAC-quantised) ramp power at each step, W."""
    ambient_k: np.ndarray
    """Ambient temperature offset per step, K."""
    asic_heat_w: np.ndarray
    """Filtered ASIC power per step, W."""
    laser_shift_m: np.ndarray
    """Laser shift per step, m."""
    cold_m: np.ndarray
    """Every ring's cold resonance, m, shape (n_total,)."""
    dldt: np.ndarray
    """Every ring's resonance shift per kelvin, m/K."""
    self_resistance: np.ndarray
    """Every ring's self thermal resistance, K/W."""
    mutual_resistance: np.ndarray
    """Every ring's summed mutual resistance from the other heaters of its bank, K/W."""
    asic_resistance: np.ndarray
    """Every ring's resistance from the ASIC, K/W."""
    fsr: np.ndarray
    """Every ring's FSR, m."""
    inv_fsr: np.ndarray
    """1/FSR, 1/m."""
    inv_hwhm: np.ndarray
    """2/FWHM, 1/m."""


SWEEP_BLOCK = 256
"""Rings per block of :func:`sweep_rings` (a block's per-channel records stay in cache)."""


@jit_parallel
def sweep_rings(inputs, best_drop, best_power):
    """Acquisition sweep: for every ring and channel, the largest normalised drop response
    over the ramp and the applied power at which it occurred (``best_drop``, ``best_power``:
    (n_channels, n_total), updated in place).

    Blocks of :data:`SWEEP_BLOCK` rings run in parallel; in each, every step computes the
    block's resonances, then per channel one branch-free loop over the block's rings (a
    select keeps the record), which vectorises.
    """
    n_total = inputs.cold_m.shape[0]
    n_steps = inputs.power_w.shape[0]
    grid = inputs.grid
    for block in numba.prange((n_total + SWEEP_BLOCK - 1) // SWEEP_BLOCK):
        r0 = block * SWEEP_BLOCK
        r1 = min(n_total, r0 + SWEEP_BLOCK)
        count = r1 - r0
        cold = inputs.cold_m[r0:r1]
        dldt = inputs.dldt[r0:r1]
        own = inputs.self_resistance[r0:r1]
        mutual = inputs.mutual_resistance[r0:r1]
        rasic = inputs.asic_resistance[r0:r1]
        fsr = inputs.fsr[r0:r1]
        inv_fsr = inputs.inv_fsr[r0:r1]
        inv_hwhm = inputs.inv_hwhm[r0:r1]
        resonance = np.empty(count)
        for k in range(n_steps):
            ys = inputs.self_k_per_w[k]
            ym = inputs.mutual_k_per_w[k]
            amb = inputs.ambient_k[k]
            heat = inputs.asic_heat_w[k]
            shift = inputs.laser_shift_m[k]
            power = inputs.power_w[k]
            for t in range(count):
                temperature = own[t] * ys + mutual[t] * ym + amb + rasic[t] * heat
                resonance[t] = cold[t] + dldt[t] * temperature
            for c in range(grid.shape[0]):
                laser = grid[c] + shift
                row_drop = best_drop[c, r0:r1]
                row_power = best_power[c, r0:r1]
                for t in range(count):
                    raw = laser - resonance[t]
                    x = (raw - fsr[t] * np.floor(raw * inv_fsr[t] + 0.5)) * inv_hwhm[t]
                    response = 1.0 / (1.0 + x * x)
                    better = response > row_drop[t]
                    row_power[t] = power if better else row_power[t]
                    row_drop[t] = response if better else row_drop[t]
