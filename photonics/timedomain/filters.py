"""Low-pass responses of drivers, receivers and reference receivers, applied to periodic waveforms.

Every waveform of the time-domain engine is one period of a periodic test pattern (a PRBS or
SSPRQ loops on a scope and in a BERT), so a filter is applied exactly as a product in the
frequency domain of the period (circular convolution, no edge transient to discard).

Responses (``f_3dB`` the 3 dB bandwidth, ``x = f/f_3dB``):

- ``"bessel4"``: fourth-order Bessel-Thomson, normalised to −3 dB at ``f_3dB``; the reference
  receiver of IEEE 802.3 optical PMDs (e.g. IEEE Std 802.3-2022, 121.8.5.2: "a fourth-order
  Bessel-Thomson response" with its 3 dB frequency at half the signalling rate for TDECQ);
- ``"gaussian"``: ``exp(-(ln 2/2)·x²)``, the Gaussian response of many driver and scope models;
- ``"single-pole"``: ``1/(1 + j·x)``, an RC pole.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from cposim.control.core.validation import check_choice, check_range

FILTER_KINDS = ("bessel4", "gaussian", "single-pole")
"""Names of the low-pass responses :func:`lowpass_response` knows."""

_BESSEL4 = signal.bessel(4, 1.0, analog=True, norm="mag")
"""Numerator and denominator of the fourth-order Bessel-Thomson filter, −3 dB at 1 rad/s."""


RATIONAL_KINDS = ("bessel4", "single-pole")
"""The responses of :data:`FILTER_KINDS` that are rational in ``s`` (have a state space)."""


def rational_lowpass(*, bandwidth_hz: float, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator of an analogue low-pass in ``s`` (rad/s), 1 at DC.

    Parameters
    ----------
    bandwidth_hz : float
        3 dB bandwidth, Hz (> 0, finite).
    kind : {"bessel4", "single-pole"}
        The response (the Gaussian has no rational form).
    """
    check_choice("kind", kind, RATIONAL_KINDS)
    check_range("bandwidth_hz", bandwidth_hz, low=0.0, low_inclusive=False)
    omega = 2.0 * np.pi * bandwidth_hz
    if kind == "single-pole":
        return np.array([omega]), np.array([1.0, omega])
    b, a = _BESSEL4  # −3 dB at 1 rad/s: s → s/ω scales coefficient k of a by ω^k
    scale = omega ** np.arange(a.size)
    return b * scale[-1], a * scale


def lowpass_response(frequency_hz, *, bandwidth_hz: float, kind: str = "bessel4") -> np.ndarray:
    """Complex frequency response of a low-pass filter (1 at DC).

    Parameters
    ----------
    frequency_hz : array_like
        Frequencies, Hz (any sign: the response is Hermitian).
    bandwidth_hz : float
        3 dB bandwidth, Hz (> 0; ``inf`` gives an all-pass 1).
    kind : {"bessel4", "gaussian", "single-pole"}
        The response (see the module docstring).
    """
    check_choice("kind", kind, FILTER_KINDS)
    check_range("bandwidth_hz", bandwidth_hz, low=0.0, low_inclusive=False, allow_inf=True)
    f = np.asarray(frequency_hz, dtype=np.float64)
    if np.isinf(bandwidth_hz):
        return np.ones(f.shape, dtype=np.complex128)
    x = f / bandwidth_hz
    if kind == "bessel4":
        b, a = _BESSEL4
        s = 1j * x
        return np.polyval(b, s) / np.polyval(a, s)
    if kind == "gaussian":
        return np.exp(-0.5 * np.log(2.0) * x * x).astype(np.complex128)
    return 1.0 / (1.0 + 1j * x)


def apply_lowpass(
    samples, *, sample_rate_hz: float, bandwidth_hz: float, kind: str = "bessel4"
) -> np.ndarray:
    """Filter one period of a periodic waveform (circular convolution), along the last axis.

    Parameters
    ----------
    samples : array_like, shape (..., n)
        Real or complex samples, one period (any unit; the output has the same unit).
    sample_rate_hz : float
        Sampling rate, Hz (> 0).
    bandwidth_hz : float
        3 dB bandwidth, Hz (> 0; ``inf`` returns the input unchanged).
    kind : {"bessel4", "gaussian", "single-pole"}
        The response (see the module docstring).
    """
    check_range("sample_rate_hz", sample_rate_hz, low=0.0, low_inclusive=False)
    x = np.asarray(samples)
    if np.isinf(bandwidth_hz):
        check_range("bandwidth_hz", bandwidth_hz, low=0.0, low_inclusive=False, allow_inf=True)
        return x.copy()
    n = x.shape[-1]
    if np.iscomplexobj(x):
        freq = np.fft.fftfreq(n, d=1.0 / sample_rate_hz)
        response = lowpass_response(freq, bandwidth_hz=bandwidth_hz, kind=kind)
        return np.fft.ifft(np.fft.fft(x, axis=-1) * response, axis=-1)
    freq = np.fft.rfftfreq(n, d=1.0 / sample_rate_hz)
    response = lowpass_response(freq, bandwidth_hz=bandwidth_hz, kind=kind)
    return np.fft.irfft(np.fft.rfft(x, axis=-1) * response, n=n, axis=-1)


__all__ = [
    "FILTER_KINDS",
    "RATIONAL_KINDS",
    "apply_lowpass",
    "lowpass_response",
    "rational_lowpass",
]
