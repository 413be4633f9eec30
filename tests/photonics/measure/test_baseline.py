"""The envelope fit ignores the dips and recovers the coupler's response."""

import numpy as np
import pytest

from cposim.photonics.measure import SpectrumTrace, fit_baseline


def test_gaussian_envelope_recovered_under_dips(make_ring, envelope, synthetic_trace):
    ring = make_ring()
    trace = synthetic_trace(ring, noise=1e-3)
    baseline = fit_baseline(trace, degree=2)
    lam = trace.wavelength_m
    off = ring.through(lam) > 0.99  # truly off resonance
    # The ring's own off-resonance transmission (≥ 0.99) sits under the envelope: 0.05 dB.
    error_db = baseline.envelope_db(lam) - 10 * np.log10(envelope(lam))
    assert np.max(np.abs(error_db[off])) < 0.05
    assert not baseline.off_resonance[np.argmin(ring.through(lam))]
    # Additive noise of 1e-3 x the peak is 10/ln10 * 1e-3 * peak/envelope dB (first order);
    # the robust σ over the off-resonance points lands within 20 % of its median.
    expected_db = 10 / np.log(10) * 1e-3 * np.median(envelope(1551e-9) / envelope(lam[off]))
    assert baseline.noise_db == pytest.approx(expected_db, rel=0.2)


def test_flat_trace_degree_zero_is_its_level():
    lam = np.linspace(1.5e-6, 1.6e-6, 50)
    baseline = fit_baseline(SpectrumTrace(lam, np.full(lam.size, 0.25)), degree=0)
    np.testing.assert_allclose(baseline.envelope(lam), 0.25, rtol=1e-12)
    assert baseline.iterations == 1


def test_bad_settings():
    lam = np.linspace(1.5e-6, 1.6e-6, 50)
    trace = SpectrumTrace(lam, np.ones(lam.size))
    with pytest.raises(ValueError, match="degree"):
        fit_baseline(trace, degree=13)
    with pytest.raises(ValueError, match="clip_sigma"):
        fit_baseline(trace, clip_sigma=0.0)
