"""NumPy reference of :mod:`._kernels`: the same recurrences, vectorised over lanes.

The driver output is built for all samples at once as a sum of edge step responses
(``np.interp``); the junction, ring and thermal recurrences then step through time with every
lane in one array operation; the receiver filter is ``scipy.signal.lfilter``-free state space in
the same loop. It exists to check the kernels and to measure their speed-up, not to be fast.
"""

from __future__ import annotations

import numpy as np

from cposim.photonics.timedomain._kernels import SHIFT_LINEAR


def _shift(v, model, eff, vbi):
    junction = 2.0 * eff * np.sqrt(vbi) * (np.sqrt(np.maximum(vbi + v, 0.0)) - np.sqrt(vbi))
    return np.where(model == SHIFT_LINEAR, eff * v, junction)


def drive_waveform(drive, grid) -> np.ndarray:
    """Driver output of every lane, warm-up included, shape (lanes, (warmup + n)·sps)."""
    lanes, n_sym = drive.symbols.shape
    sps, period = grid.samples_per_symbol, grid.symbol_time_s
    h = period / sps
    ks = np.arange(-grid.warmup_symbols, n_sym)
    t = (ks[:, None] * period + (np.arange(sps) + 0.5) * h).ravel()
    table_t = drive.step_start_s + drive.step_interval_s * np.arange(drive.step_response.size)
    out = np.empty((lanes, t.size))
    for lane in range(lanes):
        levels = drive.level_voltages_v[lane][drive.symbols[lane]]
        first = ks[0] - drive.edges_after
        last = ks[-1] + drive.edges_before
        edges = np.arange(first, last + 1)
        steps = levels[edges % n_sym] - levels[(edges - 1) % n_sym]
        times = edges * period + drive.edge_jitter_s[lane, edges % n_sym]
        v = np.full(t.size, levels[(first - 1) % n_sym])
        for m in np.flatnonzero(steps):
            v += steps[m] * np.interp(
                t - times[m], table_t, drive.step_response, left=0.0, right=1.0
            )
        out[lane] = v
    return out


def modulate(drive, terms, grid, power, field, want_field):
    """Same contract as :func:`._kernels.modulate`."""
    lanes, n_sym = drive.symbols.shape
    sps = grid.samples_per_symbol
    h = grid.symbol_time_s / sps
    v_drive = drive_waveform(drive, grid)
    model, eff, vbi = terms.shift_model, terms.efficiency_m_per_v, terms.built_in_voltage_v
    shift_low = _shift(terms.low_voltage_v, model, eff, vbi)
    mu = np.sqrt(terms.input_coupling_per_s)
    c_scale = np.sqrt(vbi + terms.bias_voltage_v)
    vj = drive.level_voltages_v[np.arange(lanes), drive.symbols[:, -grid.warmup_symbols % n_sym]]
    a = np.zeros(lanes, dtype=np.complex128)
    d_t = np.zeros(lanes)
    skip = grid.warmup_symbols * sps
    for n in range(v_drive.shape[1]):
        v = v_drive[:, n]
        rc = np.where(
            model == SHIFT_LINEAR,
            terms.rc_time_constant_s,
            terms.rc_time_constant_s * c_scale / np.sqrt(vbi + vj),
        )
        vj = v + (vj - v) * np.exp(-h / rc)
        phase = (
            terms.phase_low_rad
            + terms.phase_per_m * (_shift(vj, model, eff, vbi) - shift_low)
            + terms.phase_per_k * d_t
        )
        lam = -terms.decay_rate_per_s - 1j * terms.detuning_scale_per_s * np.sin(0.5 * phase)
        e = np.exp(lam * h)
        a = a * e - 1j * mu * terms.field_amplitude * (e - 1.0) / lam
        out = terms.field_amplitude - 1j * mu * a
        target = terms.heating_k_per_j * np.abs(a) ** 2 - terms.mean_heating_k
        d_t = target + (d_t - target) * terms.thermal_decay
        if n >= skip:
            power[:, n - skip] = np.abs(out) ** 2
            if want_field:
                field[:, n - skip] = out


def receive(rx, power, normals, current):
    """Same contract as :func:`._kernels.receive`."""
    lanes, n = power.shape
    x = np.zeros((lanes, rx.input_matrix.size))
    for nn in range(-rx.warmup_samples, n):
        i = nn % n
        signal = rx.gain_a_per_w * power[:, i] + rx.dark_current_a
        variance = (
            rx.thermal_variance_a2
            + rx.shot_variance_a2_per_a * np.abs(signal)
            + rx.rin_variance_per_a2 * signal**2
        )
        u = signal + np.sqrt(variance) * normals[:, i] if normals.size else signal
        y = x @ rx.output_matrix + rx.feedthrough * u
        x = x @ rx.state_matrix.T + u[:, None] * rx.input_matrix
        if nn >= 0:
            current[:, i] = y
