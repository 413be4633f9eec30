"""Gap/width → power-coupling model."""

import numpy as np
import pytest

from cposim.photonics.devices.coupler import EvanescentCoupler


def test_reference_point_is_reproduced():
    coupler = EvanescentCoupler(reference_gap_m=180e-9, reference_power_coupling=0.07)
    assert coupler.power_coupling(180e-9) == pytest.approx(0.07, rel=1e-14)


def test_decay_constant_is_the_evanescent_closed_form():
    coupler = EvanescentCoupler()
    k0 = 2 * np.pi / coupler.wavelength_m
    expected = k0 * np.sqrt(coupler.neff_reference**2 - coupler.cladding_index**2)
    assert coupler.decay_constant_per_m() == pytest.approx(expected, rel=1e-14)


def test_weak_coupling_decays_exponentially_with_gap():
    # For small θ, κ² ≈ θ² ∝ exp(-2γg): the log-slope is -2γ.
    coupler = EvanescentCoupler(reference_power_coupling=1e-4)
    gaps = np.array([300e-9, 320e-9])
    slope = np.diff(np.log(coupler.power_coupling(gaps)))[0] / 20e-9
    assert slope == pytest.approx(-2 * coupler.decay_constant_per_m(), rel=1e-3)


def test_coupling_falls_with_gap_and_with_width():
    coupler = EvanescentCoupler()
    gaps = np.linspace(80e-9, 400e-9, 50)
    kappa2 = coupler.power_coupling(gaps)
    assert np.all(np.diff(kappa2) <= 0) and np.all((kappa2 >= 0) & (kappa2 <= 1))
    assert coupler.power_coupling(200e-9, 420e-9) < coupler.power_coupling(200e-9, 380e-9)


def test_gap_and_width_broadcast():
    coupler = EvanescentCoupler()
    out = coupler.power_coupling(np.array([[150e-9], [200e-9]]), np.array([390e-9, 400e-9, 410e-9]))
    assert out.shape == (2, 3)


@pytest.mark.parametrize(
    ("field", "value"),
    [("reference_gap_m", -1e-9), ("reference_power_coupling", 1.0), ("neff_reference", 1.2)],
)
def test_bad_parameters_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        EvanescentCoupler(**{field: value})


def test_negative_gap_is_rejected():
    with pytest.raises(ValueError, match="gap_m = -1e-08 is out of range"):
        EvanescentCoupler().power_coupling(-10e-9)
