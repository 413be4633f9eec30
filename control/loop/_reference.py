"""Plain NumPy reference of the lock kernel (private; for tests and the benchmark).

Same packed arrays and in-place semantics as :func:`cposim.control.loop._kernels.lock_banks`,
vectorised over all banks and rings at once, one Python iteration per time step.
"""

from __future__ import annotations

import numpy as np

from cposim.control.heater import quantise_power
from cposim.control.loop import _kernels as K
from cposim.control.loop._noise import bank_noise


def _thermal_update(s, p, st, offsets, coef):
    applied = st[:, K.U_APPLIED]
    n = applied.shape[1]
    mutual_in = np.zeros_like(applied)
    for o, off in enumerate(offsets):
        lo, hi = max(0, -off), min(n, n - off)
        mutual_in[:, lo:hi] += coef[o, lo:hi] * applied[:, lo + off : hi + off]
    own = p[:, K.P_RSELF] * applied
    a1, a2 = st[:, K.X_S1].copy(), st[:, K.X_S2].copy()
    st[:, K.X_S1] = s[K.S_SA11] * a1 + s[K.S_SA12] * a2 + s[K.S_SB1] * own
    st[:, K.X_S2] = s[K.S_SA21] * a1 + s[K.S_SA22] * a2 + s[K.S_SB2] * own
    m1, m2 = st[:, K.X_M1].copy(), st[:, K.X_M2].copy()
    st[:, K.X_M1] = s[K.S_MA11] * m1 + s[K.S_MA12] * m2 + s[K.S_MB1] * mutual_in
    st[:, K.X_M2] = s[K.S_MA21] * m1 + s[K.S_MA22] * m2 + s[K.S_MB2] * mutual_in


def _wrapped_drop(detuning, offset, p):
    raw = detuning + offset
    x = (raw - p[:, K.P_FSR] * np.floor(raw * p[:, K.P_INV_FSR] + 0.5)) * p[:, K.P_INV_HWHM]
    return 1.0 / (1.0 + x * x)


def lock_banks_reference(k0, k1, inputs, keys, state):
    """NumPy version of :func:`cposim.control.loop._kernels.lock_banks` (same arguments)."""
    s, p, offsets, coef, ambient, asic, laser_shift = inputs
    st, buf, tr = state
    kind = int(s[K.S_KIND])
    kp, kih = s[K.S_KP], s[K.S_KIH]
    pmax, levels = p[:, K.P_PMAX], int(s[K.S_DAC_LEVELS])
    sigma, qstep, full_scale = s[K.S_NOISE_SIGMA], s[K.S_QUANT_STEP], s[K.S_ADC_FULL_SCALE]
    nd = int(s[K.S_DITHER_N])
    pm_period = int(s[K.S_PM_PERIOD])
    alpha = s[K.S_MONITOR_ALPHA]
    decimation = int(s[K.S_DECIMATION])
    control_start = int(s[K.S_CONTROL_START])
    anti_windup = int(s[K.S_ANTI_WINDUP])
    has_noise = keys.size > 0 and sigma > 0.0
    noise = bank_noise(keys, p.shape[0], p.shape[2], k0, k1) if has_noise else None
    inv_qstep = s[K.S_INV_QUANT]
    active = p[:, K.P_ACTIVE]
    for k in range(k0, k1):
        row = k - k0
        temperature = st[:, K.X_S2] + st[:, K.X_M2] + ambient[k] + p[:, K.P_RASIC] * asic[k]
        raw = p[:, K.P_LASER] + laser_shift[k] - (p[:, K.P_COLD] + p[:, K.P_DLDT] * temperature)
        fsr = p[:, K.P_FSR]
        detuning = raw - fsr * np.floor(raw * p[:, K.P_INV_FSR] + 0.5)
        x = detuning * p[:, K.P_INV_HWHM]
        drop = 1.0 / (1.0 + x * x)
        sin_t = 0.0
        if kind <= 1:
            err = detuning if kind == 0 else detuning * drop * drop
            if has_noise:
                err = err + sigma * noise[row]
            if qstep > 0.0:
                err = qstep * np.floor(err * inv_qstep + 0.5)
            mon = drop
        else:
            slot = k % nd
            angle = 2.0 * np.pi * (k % nd) / nd
            cos_t, sin_t = np.cos(angle), np.sin(angle)
            light = (
                drop
                + p[:, K.P_BELOW_WEIGHT] * _wrapped_drop(detuning, p[:, K.P_BELOW], p)
                + p[:, K.P_ABOVE_WEIGHT] * _wrapped_drop(detuning, p[:, K.P_ABOVE], p)
            )
            signal = p[:, K.P_PEAK_CURRENT] * light
            if has_noise:
                signal = signal + sigma * noise[row]
            if qstep > 0.0:
                signal = np.clip(qstep * np.floor(signal * inv_qstep + 0.5), 0.0, full_scale)
            st[:, K.MONITOR] = (
                alpha * st[:, K.MONITOR] + (1.0 - alpha) * signal * p[:, K.P_INV_PEAK]
            )
            mon = st[:, K.MONITOR].copy()
            if kind == 2:
                product = signal * (sin_t * p[:, K.P_REF_COS] + cos_t * p[:, K.P_REF_SIN])
                st[:, K.LOCKIN_SUM] += product - buf[:, slot]
                buf[:, slot] = product
                err = st[:, K.LOCKIN_SUM] * p[:, K.P_NORM]
            else:
                st[:, K.PM_ACC] += signal
                err = np.zeros_like(signal)
        if k >= control_start:
            if kind <= 2:
                if k == control_start:
                    if s[K.S_BUMPLESS] > 0.0:
                        st[:, K.INTEG] = st[:, K.U_CMD] - kp * err
                        st[:, K.EPREV] = err
                    else:
                        st[:, K.INTEG] = 0.0
                        st[:, K.EPREV] = 0.0
                    st[:, K.DSTATE] = 0.0
                st[:, K.DSTATE] = s[K.S_DERIV_FILTER] * st[:, K.DSTATE] + s[K.S_DERIV_GAIN] * (
                    err - st[:, K.EPREV]
                )
                v = kp * err + st[:, K.INTEG] + st[:, K.DSTATE]
                u = np.clip(v, 0.0, pmax)
                increment = kih * err
                if anti_windup == 1:
                    hold = ((v > pmax) & (err > 0.0)) | ((v < 0.0) & (err < 0.0))
                    increment = np.where(hold, 0.0, increment)
                elif anti_windup == 2:
                    increment = increment + s[K.S_BACK_CALC] * (u - v)
                st[:, K.INTEG] += increment
                st[:, K.EPREV] = err
                st[:, K.U_CMD] = u
            elif (k + 1 - control_start) % pm_period == 0:
                average = st[:, K.PM_ACC] / pm_period
                flip = average < st[:, K.PM_PREV]
                st[:, K.PM_DIR] = np.where(flip, -st[:, K.PM_DIR], st[:, K.PM_DIR])
                st[:, K.PM_PREV] = average
                st[:, K.PM_ACC] = 0.0
                st[:, K.U_CMD] = np.clip(
                    st[:, K.U_CMD] + st[:, K.PM_DIR] * s[K.S_PM_STEP], 0.0, pmax
                )
        elif kind == 3:
            st[:, K.PM_ACC] = 0.0
        command = st[:, K.U_CMD] + s[K.S_DITHER_AMP] * sin_t if kind == 2 else st[:, K.U_CMD]
        st[:, K.U_APPLIED] = quantise_power(command, pmax, levels) * active
        ok = (active > 0.0) & (mon >= s[K.S_LOCK_DROP]) & (np.abs(err) <= p[:, K.P_ERR_THRESHOLD])
        ok &= st[:, K.U_CMD] < pmax
        previous = st[:, K.RUN]
        current = np.where(ok, np.maximum(previous, 0.0) + 1.0, np.minimum(previous, 0.0) - 1.0)
        st[:, K.RUN] = current
        hold = s[K.S_LOCK_HOLD]
        was = st[:, K.LOCKED].copy()
        gain = (was == 0.0) & (current >= hold)
        loss = (was == 1.0) & (-current >= hold)
        st[:, K.LOCKED] = np.where(gain, 1.0, np.where(loss, 0.0, was))
        st[:, K.T_LOCK] = np.where(gain & (st[:, K.T_LOCK] < 0.0), k, st[:, K.T_LOCK])
        st[:, K.N_LOSS] += loss
        counted = (st[:, K.LOCKED] == 1.0) & (k >= s[K.S_STATS_START])
        st[:, K.STAT_N] += counted
        st[:, K.STAT_SUM] += np.where(counted, detuning, 0.0)
        st[:, K.STAT_SUM2] += np.where(counted, detuning * detuning, 0.0)
        st[:, K.STAT_MAXABS] = np.where(
            counted, np.maximum(st[:, K.STAT_MAXABS], np.abs(detuning)), st[:, K.STAT_MAXABS]
        )
        st[:, K.POWER_SUM] += st[:, K.U_APPLIED]
        command = st[:, K.U_CMD]
        st[:, K.N_SATURATED] += ((command >= pmax) | (command <= 0.0)) & (active > 0.0)
        if k % decimation == 0:
            r = k // decimation
            tr[:, K.TR_DETUNING, :, r] = np.where(active > 0.0, detuning, np.nan)
            tr[:, K.TR_HEATER, :, r] = st[:, K.U_APPLIED]
            tr[:, K.TR_ERROR, :, r] = err
        _thermal_update(s, p, st, offsets, coef)
        if k % K.FLUSH_PERIOD == 0:  # as the kernel's ``flush``
            flushed = st[:, K.FLUSHED]
            st[:, K.FLUSHED] = np.where(np.abs(flushed) < K.DBL_MIN, 0.0, flushed)


def sweep_rings_reference(inputs, best_drop, best_power):
    """NumPy version of :func:`cposim.control.loop._kernels.sweep_rings` (same arguments)."""
    for k in range(inputs.power_w.shape[0]):
        temperature = (
            inputs.self_resistance * inputs.self_k_per_w[k]
            + inputs.mutual_resistance * inputs.mutual_k_per_w[k]
            + inputs.ambient_k[k]
            + inputs.asic_resistance * inputs.asic_heat_w[k]
        )
        resonance = inputs.cold_m + inputs.dldt * temperature
        raw = (inputs.grid[:, None] + inputs.laser_shift_m[k]) - resonance[None, :]
        x = (raw - inputs.fsr * np.floor(raw * inputs.inv_fsr + 0.5)) * inputs.inv_hwhm
        response = 1.0 / (1.0 + x * x)
        better = response > best_drop
        best_drop[better] = response[better]
        best_power[better] = inputs.power_w[k]
