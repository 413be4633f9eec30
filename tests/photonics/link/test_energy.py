"""Electrical power and energy per bit of one lane."""

import pytest

from cposim.photonics.link.energy import ElectricalPowerParameters


def test_energy_per_bit_components():
    power = ElectricalPowerParameters().lane_power(laser_optical_power_w=10e-3, bit_rate_bps=200e9)
    assert power.laser_w == pytest.approx(10e-3 / 0.15)
    assert power.energy_per_bit_j == pytest.approx(
        (10e-3 / 0.15 + 2 * 22.4e-3) / 200e9 + (1.44 + 0.42 + 0.82 + 0.0708 * 4.0) * 1e-12
    )
    assert list(power.to_dataframe()["component"]) == list(power.COMPONENTS)


def test_serdes_line_passes_through_its_two_cited_points():
    """1.1 pJ/bit at 4 dB (Gangasani et al. 2025, XSR) and 2.29 pJ/bit at 20.8 dB (Ye et al.
    2022, medium reach), to the 3 significant figures the defaults carry."""
    for loss_db, energy_j in ((4.0, 1.1e-12), (20.8, 2.29e-12)):
        serdes = ElectricalPowerParameters(electrical_channel_loss_db=loss_db)
        assert serdes.serdes_energy_j_per_bit == pytest.approx(energy_j, rel=5e-3)


def test_bad_inputs_rejected():
    with pytest.raises(ValueError, match="laser_optical_power_w"):
        ElectricalPowerParameters().lane_power(laser_optical_power_w=-1.0, bit_rate_bps=1e9)
