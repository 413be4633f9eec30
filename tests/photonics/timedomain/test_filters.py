"""Low-pass responses and their circular application to one period."""

import numpy as np
import pytest
from scipy import signal

from cposim.photonics.timedomain import apply_lowpass, lowpass_response, rational_lowpass


@pytest.mark.parametrize("kind", ["bessel4", "gaussian", "single-pole"])
def test_lowpass_response_is_minus_3db_at_bandwidth_and_bessel_is_scipys(kind):
    h = lowpass_response(np.array([0.0, 30e9]), bandwidth_hz=30e9, kind=kind)
    np.testing.assert_allclose(np.abs(h), [1.0, 2**-0.5], rtol=1e-12)
    if kind == "bessel4":
        b, a = signal.bessel(4, 2 * np.pi * 30e9, analog=True, norm="mag")
        f = np.linspace(0, 100e9, 50)
        np.testing.assert_allclose(
            lowpass_response(f, bandwidth_hz=30e9),
            signal.freqs(b, a, worN=2 * np.pi * f)[1],
            rtol=1e-12,
        )


def test_apply_lowpass_multiplies_each_harmonic_by_the_response():
    n, fs = 1024, 1e12
    t = np.arange(n)
    x = np.cos(2 * np.pi * 40 * t / n) + 0.5 * np.sin(2 * np.pi * 3 * t / n)
    y = apply_lowpass(x, sample_rate_hz=fs, bandwidth_hz=30e9, kind="gaussian")
    for k in (3, 40):
        expected = lowpass_response(k * fs / n, bandwidth_hz=30e9, kind="gaussian")
        np.testing.assert_allclose(np.fft.rfft(y)[k] / np.fft.rfft(x)[k], expected, rtol=1e-10)
    z = apply_lowpass(x + 1j * x, sample_rate_hz=fs, bandwidth_hz=30e9, kind="gaussian")
    np.testing.assert_allclose(z, y + 1j * y, atol=1e-12)
    np.testing.assert_array_equal(apply_lowpass(x, sample_rate_hz=fs, bandwidth_hz=np.inf), x)


def test_clear_errors():
    with pytest.raises(ValueError, match="kind"):
        lowpass_response([1.0], bandwidth_hz=1.0, kind="elliptic")
    with pytest.raises(ValueError, match="bandwidth_hz"):
        apply_lowpass(np.ones(8), sample_rate_hz=1.0, bandwidth_hz=0.0)


@pytest.mark.parametrize("kind", ["bessel4", "single-pole"])
def test_rational_lowpass_is_the_analogue_filter_of_lowpass_response(kind):
    b, a = rational_lowpass(bandwidth_hz=30e9, kind=kind)
    f = np.linspace(0, 100e9, 41)
    expected = lowpass_response(f, bandwidth_hz=30e9, kind=kind)
    np.testing.assert_allclose(signal.freqs(b, a, worN=2 * np.pi * f)[1], expected, rtol=1e-12)
    if kind == "bessel4":
        b2, a2 = signal.bessel(4, 2 * np.pi * 30e9, analog=True, norm="mag")
        np.testing.assert_allclose(a, a2, rtol=1e-14)
        np.testing.assert_allclose(b, b2, rtol=1e-14)
    with pytest.raises(ValueError, match="kind"):
        rational_lowpass(bandwidth_hz=30e9, kind="gaussian")
