"""Electrical power and energy per bit of one lane."""

import pytest

from cposim.photonics.link.energy import ElectricalPowerParameters


def test_energy_per_bit_components():
    power = ElectricalPowerParameters().lane_power(laser_optical_power_w=10e-3, bit_rate_bps=200e9)
    assert power.laser_w == pytest.approx(10e-3 / 0.15)
    assert power.energy_per_bit_j == pytest.approx(
        (10e-3 / 0.15 + 2 * 22.4e-3) / 200e9 + (0.5 + 1.0 + 1.0 + 0.2 * 4.0) * 1e-12
    )
    pluggable = ElectricalPowerParameters(electrical_channel_loss_db=22.0)
    assert (
        pluggable.serdes_energy_j_per_bit - ElectricalPowerParameters().serdes_energy_j_per_bit
        == pytest.approx(3.6e-12)
    )
    assert list(power.to_dataframe()["component"]) == list(power.COMPONENTS)


def test_bad_inputs_rejected():
    with pytest.raises(ValueError, match="laser_optical_power_w"):
        ElectricalPowerParameters().lane_power(laser_optical_power_w=-1.0, bit_rate_bps=1e9)
