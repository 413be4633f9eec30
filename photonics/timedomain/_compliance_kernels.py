"""Compiled kernels of :mod:`cposim.photonics.timedomain.compliance`.

- :func:`phase_spectra`: N-bin spectra of the symbol-spaced samples ``y((k + φ)·T)`` of one
  period at arbitrary phases φ (band-limited interpolation of the periodic waveform);
- :func:`window_histograms`: FFE output of symbol-spaced rows, histogrammed with linear binning.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from cposim.control.core.jit import jit, jit_parallel

_RESYNC = 512
"""Steps of the phase-ramp recurrence between exact cos/sin evaluations."""
_LANES = 4
"""Interleaved partial histograms per row."""


@jit_parallel
def phase_spectra(half_spectrum, n_samples, n_symbols, phases_ui):
    """Fold the phase-shifted spectrum of one period onto the symbol-rate grid (half spectrum).

    Parameters
    ----------
    half_spectrum : complex ndarray, shape (n_samples // 2 + 1,)
        ``rfft`` of one period of ``n_samples = n_symbols · samples_per_symbol`` samples.
    n_samples, n_symbols : int
        Samples and symbols in the period.
    phases_ui : float ndarray, shape (P,)
        Sampling phases φ, UI (any real value; the waveform is periodic).

    Returns
    -------
    complex ndarray, shape (P, n_symbols // 2 + 1)
        ``irfft(row, n_symbols) / samples_per_symbol`` is ``y((k + φ)·T)``, k = 0 … N − 1.
    """
    n_phases = phases_ui.size
    n_half = half_spectrum.size
    top = n_symbols // 2
    out = np.zeros((n_phases, top + 1), dtype=np.complex128)
    for p in prange(n_phases):
        step = 2.0 * math.pi * phases_ui[p] / n_symbols
        rot = complex(math.cos(step), math.sin(step))
        factor = complex(1.0, 0.0)
        out[p, 0] += half_spectrum[0]
        for q in range(1, n_half):
            if q % _RESYNC == 0:
                factor = complex(math.cos(step * q), math.sin(step * q))
            else:
                factor *= rot
            value = half_spectrum[q] * factor
            if 2 * q == n_samples:  # Nyquist bin: half on each side of the spectrum
                value *= 0.5
            up = q % n_symbols
            down = n_symbols - up if up else 0
            if up <= top:
                out[p, up] += value
            if down <= top:
                out[p, down] += value.conjugate()
    return out


@jit(inline="always")
def _equalise(row, taps, main, scale, out):
    """out[k] = scale · Σ_i taps[i]·row[(k + main − i) mod n] (circular FFE)."""
    n, n_taps = row.size, taps.size
    padded = np.empty(n + n_taps - 1)  # padded[j] = row[(j - lead) mod n]
    lead = n_taps - 1 - main
    padded[:lead] = row[n - lead :]
    padded[lead : lead + n] = row
    padded[lead + n :] = row[:main]
    out[:] = 0.0
    for i in range(n_taps):
        weight, offset = scale * taps[i], n_taps - 1 - i
        for k in range(n):
            out[k] += weight * padded[k + offset]


@jit_parallel
def window_histograms(rows, taps, main, low_w, bin_width_w, n_bins):
    """Histogram of the FFE output of every row, linear (two-bin) binning.

    Parameters
    ----------
    rows : float ndarray, shape (R, N)
        Symbol-spaced samples, W, one row per sampling phase.
    taps : float ndarray, shape (n_taps,)
        FFE taps; ``main`` is the index of the main cursor.
    low_w, bin_width_w : float
        Lower edge and width of the bins, W; values outside land in the edge bins.
    n_bins : int
        Number of bins.

    Returns
    -------
    float ndarray, shape (R, n_bins)
        Weight per bin (each sample contributes 1).
    """
    n_rows, n = rows.shape
    # _LANES interleaved copies per row break the store-to-load chains of a peaked histogram
    partial = np.zeros((n_rows, _LANES, n_bins + 1))  # the extra bin only ever gets 0
    shift = low_w / bin_width_w + 0.5
    for r in prange(n_rows):
        x = np.empty(n)
        _equalise(rows[r], taps, main, 1.0 / bin_width_w, x)
        for k in range(n):
            y = min(max(x[k] - shift, 0.0), n_bins - 1.0)
            b = int(y)
            fraction = y - b
            partial[r, k % _LANES, b] += 1.0 - fraction
            partial[r, k % _LANES, b + 1] += fraction
    return partial.sum(axis=1)[:, :n_bins]
