"""Dips, FSR, group index and order against the ring that made the trace."""

import numpy as np
import pytest

from cposim.photonics.measure import find_resonances, fit_baseline


def found(trace, **options):
    return find_resonances(trace, fit_baseline(trace), **options)


def test_every_resonance_found_with_the_ring_fsr_and_group_index(ring, synthetic_trace):
    trace = synthetic_trace(ring, noise=1e-3)
    length = float(ring.round_trip_length_m)
    res = found(trace, ring_length_m=length, neff_hint=2.405)
    lam = trace.wavelength_m
    truth = np.unique(ring.resonance_m(np.arange(lam[0], lam[-1], 1e-9)))
    truth = truth[(truth > lam[0]) & (truth < lam[-1])]
    assert len(res) == truth.size
    # Dip minima sit within one sample of the exact resonances.
    np.testing.assert_allclose(res.wavelength_m, truth, atol=1.5e-12)
    # Constant n_g: the FSR fit gives it to 1e-3 (λ sampled at 1 pm over 9 nm intervals).
    np.testing.assert_allclose(res.group_index, 4.20, rtol=1e-3)
    np.testing.assert_allclose(res.fsr_m, ring.fsr_m(truth), rtol=1e-3)
    np.testing.assert_array_equal(res.order, ring.resonance_order(truth))
    # The linewidth estimate (half depth) is the exact FWHM to a sample or two.
    np.testing.assert_allclose(res.fwhm_m, ring.fwhm_m(truth), atol=2.5e-12)


def test_missing_resonance_counted_as_two_fsr(make_ring, synthetic_trace):
    ring = make_ring()  # FSR ≈ 9.1 nm: six resonances, the third one flattened away
    trace = synthetic_trace(ring, span=(1522e-9, 1578e-9))
    lam = trace.wavelength_m
    truth = np.unique(ring.resonance_m(np.arange(lam[0], lam[-1], 2e-9)))
    truth = truth[(truth > lam[0]) & (truth < lam[-1])]
    assert truth.size == 6
    keep = np.abs(lam - truth[2]) > 0.3e-9
    flattened = trace.transmission.copy()
    flattened[~keep] = np.interp(lam[~keep], lam[keep], flattened[keep])
    gapped = type(trace)(lam, flattened, name="gap")
    res = found(gapped, ring_length_m=float(ring.round_trip_length_m))
    np.testing.assert_allclose(res.wavelength_m, np.delete(truth, 2), atol=1.5e-12)
    np.testing.assert_allclose(res.group_index, 4.20, rtol=2e-3)


def test_without_length_or_index_only_the_phase_length(ring, synthetic_trace):
    res = found(synthetic_trace(ring))
    assert np.all(np.isnan(res.group_index)) and np.all(np.isnan(res.order))
    np.testing.assert_allclose(res.phase_length_m, 4.2 * float(ring.round_trip_length_m), rtol=1e-3)


def test_one_resonance_needs_a_group_index_hint(make_ring, synthetic_trace):
    ring = make_ring()
    trace = synthetic_trace(ring, span=(1546e-9, 1553e-9))
    with pytest.raises(ValueError, match="group_index_hint"):
        found(trace, ring_length_m=float(ring.round_trip_length_m))
    res = found(trace, ring_length_m=float(ring.round_trip_length_m), group_index_hint=4.2)
    assert len(res) == 1 and res.group_index[0] == pytest.approx(4.2)


def test_no_dip_is_an_error(synthetic_trace, make_ring):
    flat = make_ring(power_coupling_in=1e-6, loss_db_per_m=1e4)  # dips ≪ 0.5 dB
    with pytest.raises(ValueError, match="no resonance"):
        found(synthetic_trace(flat))
