"""ASIC load step through the control library's closed loop, for every ring of a switch.

Checked against the static closed form: once locked, the heaters of a bank must cancel the
ASIC-path temperature change, ``ΔP = −R⁻¹·1·ΔT_asic(t_end)`` (first-order ASIC path), to
within the DAC quantisation and the loop's residual (rtol 2 %).
"""

import dataclasses

import numpy as np
import pytest

from cposim.control.heater import HeaterDriver
from cposim.control.thermal import ThermalNetwork
from cposim.photonics.switch.model import preset
from cposim.photonics.switch.thermal import AsicLoadStep, simulate_asic_load_step

QX = preset("quantum-x-photonics")


def _expected_extra_heater_w(step, n_banks, n_rings):
    end = round(step.duration_s / step.sample_period_s) * step.sample_period_s
    settled = 1.0 - np.exp(-(end - step.step_time_s) / step.asic_time_constant_s)
    resistance = ThermalNetwork.banded(n_rings).resistance_k_per_w
    per_bank = np.linalg.solve(resistance, np.ones(n_rings)).sum()
    return -step.engine_temperature_step_k * settled * per_bank * n_banks


def test_small_step_keeps_every_ring_locked_and_matches_the_static_solution():
    step = AsicLoadStep(final_asic_power_w=300.0, duration_s=2e-3, resonance_spread_m=0.05e-9)
    result = simulate_asic_load_step(QX, step, rng=3)
    assert result.n_rings == QX.n_rings == 576
    assert result.lock_losses == 0 and result.rings_unlocked_at_end == 0
    expected = _expected_extra_heater_w(step, QX.n_optical_engines, 8)
    print(f"\nextra heater power {result.extra_heater_power_w:.4f} W, closed form {expected:.4f} W")
    assert result.extra_heater_power_w == pytest.approx(expected, rel=2e-2)
    assert result.worst_detuning_m < 0.5 * float(np.median(result.locking.fwhm_m))


def test_step_beyond_the_heater_headroom_loses_lock():
    # 20 K shift > the mid-range headroom of an 8 mW heater (2 V into 500 Ω, ≈ 13 K at 4 mW):
    # rings saturate at zero heater power
    step = AsicLoadStep(
        asic_resistance_k_per_w=0.0667,
        duration_s=2e-3,
        heater=HeaterDriver(full_scale_voltage_v=2.0),
    )
    result = simulate_asic_load_step(QX, step, rng=3)
    assert result.lock_losses > 0.5 * result.n_rings
    assert np.all(result.locking.final_heater_power_w[~result.locking.locked] < 1e-6)
    table = result.to_dataframe()
    assert table.loc[table["quantity"] == "lock-loss events", "value"].item() == result.lock_losses
    assert result.plot().get_ylabel() == "Total heater power (W)"


def test_wdm_switch_simulates_modulator_and_demux_rings():
    from cposim.photonics.switch.model import OpticalEngine

    wdm = dataclasses.replace(QX, engine=OpticalEngine(wavelengths_per_fiber=8))
    step = AsicLoadStep(duration_s=0.5e-3, step_time_s=0.1e-3)
    result = simulate_asic_load_step(wdm, step, rng=0)
    assert result.locking.locked.shape == (72, 16)


def test_pluggables_and_bad_input_are_rejected():
    with pytest.raises(ValueError, match="no heated rings"):
        simulate_asic_load_step(preset("pluggable-1.6t"))
    with pytest.raises(ValueError, match="heater_bias_fraction"):
        AsicLoadStep(heater_bias_fraction=1.5)
