"""Numba kernels of the time-domain link: driver → junction → ring (CMT) → photodiode → TIA.

Every waveform is one period of a periodic pattern. A kernel first runs ``warmup_symbols``
symbols from the end of the period (the pattern wraps), so filters, the junction and the ring
start each recorded period in their periodic steady state. Lanes run in parallel (``prange``);
each lane's physics is serial. The NumPy reference is :mod:`._reference`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import prange

from cposim.control.core.jit import jit, jit_parallel

SHIFT_LINEAR = 0
SHIFT_JUNCTION = 1


class DriveInputs(NamedTuple):
    """Symbols and the driver's edge response (lanes along the first axis)."""

    symbols: np.ndarray  # int64 (lanes, n_symbols), level index 0…M-1
    level_voltages_v: np.ndarray  # (lanes, M) drive voltage of each level
    edge_jitter_s: np.ndarray  # (lanes, n_symbols) time offset of the edge that starts each symbol
    step_response: np.ndarray  # driver step response on a grid, 0 before and 1 after it
    step_start_s: float  # time of step_response[0] after the edge
    step_interval_s: float  # grid spacing of step_response
    sample_response: np.ndarray  # (edges_before + edges_after + 1, sps): unjittered edge m's
    # response at sample s of symbol k, row k - m + edges_before
    edges_before: int  # edges after the sample's symbol that reach back to it (non-causal part)
    edges_after: int  # earlier edges whose response has not settled


class ModulatorTerms(NamedTuple):
    """Per-lane junction, ring and thermal constants (each an array over lanes)."""

    shift_model: np.ndarray  # int64: SHIFT_LINEAR or SHIFT_JUNCTION
    efficiency_m_per_v: np.ndarray
    built_in_voltage_v: np.ndarray
    low_voltage_v: np.ndarray  # lowest drive level (the bias is defined there)
    bias_voltage_v: np.ndarray  # voltage at which rc_time_constant_s is taken
    rc_time_constant_s: np.ndarray  # R·C at bias_voltage_v
    phase_low_rad: np.ndarray  # round-trip phase from resonance at low_voltage_v, cold
    phase_per_m: np.ndarray  # round-trip phase per metre of resonance red shift
    phase_per_k: np.ndarray  # round-trip phase per kelvin of self-heating
    decay_rate_per_s: np.ndarray  # γ
    input_coupling_per_s: np.ndarray  # μ1²
    detuning_scale_per_s: np.ndarray  # 2√(r1·x)/T
    field_amplitude: np.ndarray  # √(input power), √W
    heating_k_per_j: np.ndarray  # 2γ_i·η_heat·R_th: kelvin per joule of stored energy
    mean_heating_k: np.ndarray  # the part the lock cancels (mean over the pattern)
    thermal_decay: np.ndarray  # exp(-h/τ_th) per sample


class TimeGrid(NamedTuple):
    """Sampling of one period."""

    symbol_time_s: float
    samples_per_symbol: int
    warmup_symbols: int


class ReceiverTerms(NamedTuple):
    """Discretised receiver filter (state space, first-order hold) and noise terms."""

    gain_a_per_w: np.ndarray  # (lanes,) responsivity × channel transmission
    dark_current_a: float
    thermal_variance_a2: float  # per-sample variance of the input-referred TIA noise
    shot_variance_a2_per_a: float  # per-sample shot variance per ampere (2q·fs/2)
    rin_variance_per_a2: float  # per-sample RIN variance per ampere² (RIN·fs/2)
    state_matrix: np.ndarray  # (n, n)
    input_matrix: np.ndarray  # (n,)
    output_matrix: np.ndarray  # (n,)
    feedthrough: float
    warmup_samples: int


@jit(inline="always")
def _shift_m(v, model, efficiency, vbi):
    if model == SHIFT_LINEAR:
        return efficiency * v
    return 2.0 * efficiency * math.sqrt(vbi) * (math.sqrt(vbi + v) - math.sqrt(vbi))


@jit(inline="always")
def _drive_symbol(drive, lane, k, n_sym, sps, symbol_time, out):
    """Driver output at the mid-point of each sample interval of symbol ``k``, into ``out``.

    Each edge's contribution is added for all the symbol's samples at once; an unjittered edge
    reads its response at the samples from a table, a jittered one interpolates the finely
    tabulated step response."""
    sym = drive.symbols[lane]
    lev = drive.level_voltages_v[lane]
    table = drive.step_response
    last = table.size - 1
    h = symbol_time / sps
    first = k - drive.edges_after
    base = lev[sym[(first - 1) % n_sym]]
    for s in range(sps):
        out[s] = base
    for m in range(first, k + drive.edges_before + 1):
        mm = m % n_sym
        step = lev[sym[mm]] - lev[sym[(mm - 1) % n_sym]]
        if step == 0.0:
            continue
        jitter = drive.edge_jitter_s[lane, mm]
        if jitter == 0.0:
            row = drive.sample_response[k - m + drive.edges_before]
            for s in range(sps):
                out[s] += step * row[s]
            continue
        for s in range(sps):
            tau = (k - m) * symbol_time + (s + 0.5) * h - jitter
            u = (tau - drive.step_start_s) / drive.step_interval_s
            if u >= last:
                out[s] += step
            elif u > 0.0:
                i = int(u)
                out[s] += step * (table[i] + (u - i) * (table[i + 1] - table[i]))


@jit
def _modulate_lane(drive, terms, grid, lane, power, field, want_field):
    n_sym = drive.symbols.shape[1]
    sps = grid.samples_per_symbol
    h = grid.symbol_time_s / sps
    model = terms.shift_model[lane]
    eff = terms.efficiency_m_per_v[lane]
    vbi = terms.built_in_voltage_v[lane]
    per_m = terms.phase_per_m[lane]
    per_k = terms.phase_per_k[lane]
    # phase = phase_0 + per_m·shift(V) + per_k·ΔT
    phase_0 = terms.phase_low_rad[lane] - per_m * _shift_m(
        terms.low_voltage_v[lane], model, eff, vbi
    )
    gamma = terms.decay_rate_per_s[lane]
    scale = terms.detuning_scale_per_s[lane]
    decay = math.exp(-gamma * h)  # |e^{λh}|, the same every step
    s_in = terms.field_amplitude[lane]
    mu = math.sqrt(terms.input_coupling_per_s[lane])
    source = -mu * s_in  # the CMT drive -j·μ·s (imaginary)
    heating = terms.heating_k_per_j[lane]
    mean_heating = terms.mean_heating_k[lane]
    thermal = terms.thermal_decay[lane]
    rc = terms.rc_time_constant_s[lane]
    rc_decay = math.exp(-h / rc)
    c_scale = math.sqrt(vbi + terms.bias_voltage_v[lane])
    vj = drive.level_voltages_v[lane, drive.symbols[lane, -grid.warmup_symbols % n_sym]]
    a_re, a_im, d_t = 0.0, 0.0, 0.0
    v_symbol = np.empty(sps)
    for kk in range(-grid.warmup_symbols, n_sym):
        k = kk % n_sym
        _drive_symbol(drive, lane, kk, n_sym, sps, grid.symbol_time_s, v_symbol)
        for s in range(sps):
            v_drv = v_symbol[s]
            if model == SHIFT_JUNCTION:
                # C(V) = C(V_bias)·√((V_bi + V_bias)/(V_bi + V)) (abrupt junction)
                vj = v_drv + (vj - v_drv) * math.exp(-h * math.sqrt(vbi + vj) / (rc * c_scale))
                shift = 2.0 * eff * math.sqrt(vbi) * (math.sqrt(vbi + vj) - math.sqrt(vbi))
            else:
                vj = v_drv + (vj - v_drv) * rc_decay
                shift = eff * vj
            detuning = -scale * math.sin(0.5 * (phase_0 + per_m * shift + per_k * d_t))
            # exact step: a ← a·e^{λh} + (-jμs)·(e^{λh} - 1)/λ with λ = -γ + jΔ
            e_re = decay * math.cos(detuning * h)
            e_im = decay * math.sin(detuning * h)
            inv = 1.0 / (gamma * gamma + detuning * detuning)
            # (e - 1)/λ = (e - 1)·conj(λ)/|λ|², conj(λ) = -γ - jΔ
            q_re = ((1.0 - e_re) * gamma + e_im * detuning) * inv
            q_im = ((1.0 - e_re) * detuning - e_im * gamma) * inv
            a_re, a_im = (
                a_re * e_re - a_im * e_im - source * q_im,
                a_re * e_im + a_im * e_re + source * q_re,
            )
            target = heating * (a_re * a_re + a_im * a_im) - mean_heating
            d_t = target + (d_t - target) * thermal
            if kk >= 0:
                out_re = s_in + mu * a_im  # through = s - jμ·a
                out_im = -mu * a_re
                n = k * sps + s
                power[lane, n] = out_re * out_re + out_im * out_im
                if want_field:
                    field[lane, n] = complex(out_re, out_im)


@jit_parallel
def modulate(drive, terms, grid, power, field, want_field):
    """Optical power (and field) at the modulator output, one period per lane.

    Parameters: :class:`DriveInputs`, :class:`ModulatorTerms`, :class:`TimeGrid`; ``power``
    (lanes, n_symbols·samples_per_symbol) float64, W, written; ``field`` complex (same shape,
    √W) written when ``want_field``, else any (0, 0) array.
    """
    for lane in prange(drive.symbols.shape[0]):
        _modulate_lane(drive, terms, grid, lane, power, field, want_field)


@jit
def _receive_lane(rx, lane, power, normals, current):
    n = power.shape[1]
    order = rx.input_matrix.size
    x = np.zeros(order)
    x_new = np.zeros(order)
    gain = rx.gain_a_per_w[lane]
    for nn in range(-rx.warmup_samples, n):
        i = nn % n
        signal = gain * power[lane, i] + rx.dark_current_a
        variance = (
            rx.thermal_variance_a2
            + rx.shot_variance_a2_per_a * abs(signal)
            + rx.rin_variance_per_a2 * signal * signal
        )
        u = signal + math.sqrt(variance) * normals[lane, i] if normals.size else signal
        y = rx.feedthrough * u
        for r in range(order):
            y += rx.output_matrix[r] * x[r]
        for r in range(order):
            acc = rx.input_matrix[r] * u
            for c in range(order):
                acc += rx.state_matrix[r, c] * x[c]
            x_new[r] = acc
        for r in range(order):
            x[r] = x_new[r]
        if nn >= 0:
            current[lane, i] = y


@jit_parallel
def receive(rx, power, normals, current):
    """Photocurrent after the TIA filter, A, one period per lane.

    Parameters: :class:`ReceiverTerms`; ``power`` (lanes, n) received optical power, W;
    ``normals`` standard normal draws of the same shape (or a (0, 0) array: no noise);
    ``current`` (lanes, n) float64, written.
    """
    for lane in prange(power.shape[0]):
        _receive_lane(rx, lane, power, normals, current)


@jit
def drop_port(field, step, source, drop, warmup_samples, out):
    """Drop-port field of a fixed-detuning ring driven by ``field`` (one period, √W).

    ``step`` = e^{λh} and ``source`` = -jμ1·(e^{λh} - 1)/λ (complex), ``drop`` = -jμ2: the
    exact step for an input constant over each sample interval; ``out`` (n,) complex, written.
    """
    n = field.size
    a = 0j
    for nn in range(-warmup_samples, n):
        i = nn % n
        a = a * step + source * field[i]
        if nn >= 0:
            out[i] = drop * a
