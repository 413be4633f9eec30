"""Thermal network, ZOH discretisation, disturbances and heater driver (closed forms)."""

import warnings

import mpmath
import numba
import numpy as np
import pytest

from cposim.control.heater import DEFAULT_MAX_POWER_W, HeaterDriver, quantise_power
from cposim.control.loop import _kernels as lock_kernels
from cposim.control.loop.locking import ResonatorArrays
from cposim.control.thermal import CoarseSamplingWarning, Disturbance, ThermalNetwork, path_zoh


def test_first_order_step_reaches_63_2_percent_at_tau():
    # Closed form: 1 - e^{-1} = 0.632120558..., rtol 1e-12.
    tau, h = 4e-6, 0.1e-6
    network = ThermalNetwork.uncoupled(1, self_resistance_k_per_w=1000.0, time_constant_s=tau)
    rise = network.temperature_rise_k(np.full((81, 1), 1e-3), h)[:, 0]
    assert rise[40] == pytest.approx(1.0 * (1.0 - np.exp(-1.0)), rel=1e-12)
    assert rise[40] / 1.0 == pytest.approx(0.6321205588285577, rel=1e-12)


@pytest.mark.parametrize("tau2", [0.0, 1.3e-6])
def test_zoh_is_exact_at_sample_points_for_a_piecewise_constant_input(tau2):
    # Continuous solution of K/((1+sτ1)(1+sτ2)) driven by a held input, superposed steps.
    tau1, h, r = 4e-6, 0.6e-6, 2500.0
    network = ThermalNetwork.uncoupled(
        1, self_resistance_k_per_w=r, time_constant_s=tau1, second_time_constant_s=tau2
    )
    power = np.random.default_rng(0).uniform(0.0, 5e-3, (60, 1))
    sampled = network.temperature_rise_k(power, h)[:, 0]

    def unit_step(t):
        t = np.maximum(t, 0.0)
        if tau2 == 0.0:
            return 1.0 - np.exp(-t / tau1)
        return 1.0 - (tau1 * np.exp(-t / tau1) - tau2 * np.exp(-t / tau2)) / (tau1 - tau2)

    times = np.arange(60) * h
    steps = np.diff(np.concatenate([[0.0], power[:, 0]]))
    exact = r * sum(dp * unit_step(times - j * h) * (times > j * h) for j, dp in enumerate(steps))
    np.testing.assert_allclose(sampled, exact, rtol=1e-11, atol=1e-12)


def test_mutual_path_gives_steady_crosstalk_of_the_matrix():
    network = ThermalNetwork.from_distance(
        [0.0, 25e-6, 50e-6], time_constant_s=2e-6, mutual_time_constant_s=6e-6
    )
    power = np.zeros((400, 3))
    power[:, 1] = 2e-3
    rise = network.temperature_rise_k(power, 0.5e-6)[-1]
    np.testing.assert_allclose(rise, network.resistance_k_per_w[:, 1] * 2e-3, rtol=1e-9)
    np.testing.assert_allclose(np.diag(network.crosstalk_fraction), 1.0)


def test_bad_thermal_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="time_constant_s = -1e-06 is out of range"):
        ThermalNetwork.uncoupled(2, time_constant_s=-1e-6)
    with pytest.raises(ValueError, match="not positive definite"):
        ThermalNetwork(resistance_k_per_w=[[1000.0, 1500.0], [1500.0, 1000.0]])
    with pytest.raises(ValueError, match="not symmetric"):
        ThermalNetwork(resistance_k_per_w=[[1000.0, 100.0], [50.0, 1000.0]])
    with pytest.raises(ValueError, match="square"):
        ThermalNetwork(resistance_k_per_w=np.ones(3))


def test_coarse_sample_period_warns_and_fine_one_does_not():
    network = ThermalNetwork.uncoupled(1, time_constant_s=4e-6)
    with pytest.warns(CoarseSamplingWarning, match="time_constant_s/2"):
        network.discretise(2e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        network.discretise(1.9e-6)


def test_path_zoh_has_unit_dc_gain():
    a, b = path_zoh(3e-6, 1e-6, 0.5e-6)
    np.testing.assert_allclose(np.linalg.solve(np.eye(2) - a, b), [1.0, 1.0], rtol=1e-12)


def test_disturbance_profiles():
    d = Disturbance(
        ambient_ramp_k_per_s=1000.0,
        ambient_ramp_start_s=1e-3,
        ambient_ramp_stop_s=3e-3,
        ambient_step_k=2.0,
        ambient_step_time_s=5e-4,
        laser_drift_m_per_k=0.09e-9,
        asic_time_s=[0.0, 1e-5],
        asic_power_w=[0.0, 10.0],
        asic_time_constant_s=2e-6,
    )
    np.testing.assert_allclose(d.ambient_k([0.0, 6e-4, 2e-3, 4e-3]), [0.0, 2.0, 3.0, 4.0])
    sampled = d.sampled(200, 1e-6)
    np.testing.assert_allclose(sampled.laser_shift_m, 0.09e-9 * sampled.ambient_k)
    # ASIC path: lfilter result equals the explicit ZOH recursion.
    a, b = path_zoh(2e-6, 0.0, 1e-6)
    power = d.asic_power_at_w(np.arange(200) * 1e-6)
    state, expected = np.full(2, power[0]), []
    for p in power:
        expected.append(state[1])
        state = a @ state + b * p
    np.testing.assert_allclose(sampled.asic_heat_w, expected, rtol=1e-12, atol=1e-12)
    assert sampled.asic_heat_w[-1] == pytest.approx(10.0, rel=1e-9)


@numba.njit
def _kernel_quantise(powers, pmax, levels):
    out = np.empty_like(powers)
    for i in range(powers.size):
        out[i] = lock_kernels.quantise_power(powers[i], pmax, levels)
    return out


@pytest.mark.parametrize("bits", [1, 3, 12, 16, 24])
def test_dac_level_is_the_same_in_kernel_and_numpy_and_the_nearest_in_amplitude(bits):
    """Kernel and NumPy give the same level bit for bit, on random powers and on the rounding
    boundaries (c ± ½)/L of the amplitude and their float neighbours; away from boundaries the
    code equals floor(L·√(P/P_max) + ½) in 50-digit mpmath."""
    pmax, levels = 7.3e-3, 2**bits - 1
    rng = np.random.default_rng(bits)
    random = rng.uniform(-0.1, 1.1, 400) * pmax
    boundaries = pmax * ((rng.integers(0, levels + 1, 60) + 0.5) / levels) ** 2
    powers = np.concatenate(
        [
            random,
            [0.0, pmax, 1e-300],
            boundaries,
            np.nextafter(boundaries, 0.0),
            np.nextafter(boundaries, 1.0),
        ]
    )
    expected = quantise_power(powers, pmax, levels)
    np.testing.assert_array_equal(_kernel_quantise(powers, pmax, float(levels)), expected)
    with mpmath.workdps(50):
        exact = [
            int(mpmath.floor(levels * mpmath.sqrt(mpmath.mpf(p) / pmax) + 0.5))
            for p in np.clip(random, 0.0, pmax)
        ]
    amplitude = np.array(exact) * (1.0 / levels)
    np.testing.assert_array_equal(expected[: random.size], pmax * amplitude * amplitude)


def test_dac_quantisation_input_checks():
    np.testing.assert_array_equal(quantise_power([-1.0, 0.3, 2.0], 1.0, 0), [0.0, 0.3, 1.0])
    with pytest.raises(ValueError, match=r"max_power_w = 0\.0"):
        quantise_power(0.1, 0.0, 7)
    with pytest.raises(ValueError, match=r"levels = 7\.0 must be an integer >= 0"):
        quantise_power(0.1, 1.0, 7.0)
    with pytest.raises(ValueError, match="levels = -1"):
        quantise_power(0.1, 1.0, -1)


def test_heater_driver_levels_quantisation_and_temperature_coefficient():
    heater = HeaterDriver(resistance_ohm=500.0, full_scale_voltage_v=2.0, dac_bits=3)
    assert heater.max_power_w == pytest.approx(8e-3)
    levels = heater.power_levels_w()
    np.testing.assert_allclose(levels, 8e-3 * (np.arange(8) / 7) ** 2)
    np.testing.assert_allclose(
        heater.quantise_power_w([1e-3, 9e-3, -1.0]),
        [levels[np.argmin(abs(np.sqrt(levels) - np.sqrt(1e-3)))], 8e-3, 0],
    )
    hot = HeaterDriver(resistance_tcr_per_k=2e-3, full_scale_voltage_v=2.0, dac_bits=0)
    # Voltage drive: P = V²/(R0(1 + αΔT)); current drive: P = I²·R0(1 + αΔT).
    assert hot.electrical_power_w(1.0, temperature_rise_k=50.0) == pytest.approx(8e-3 / 1.1)
    current = HeaterDriver(
        drive="current", resistance_tcr_per_k=2e-3, full_scale_current_a=4e-3, dac_bits=0
    )
    assert current.electrical_power_w(1.0, temperature_rise_k=50.0) == pytest.approx(8e-3 * 1.1)
    with pytest.raises(ValueError, match="drive = 'pwm' is not allowed"):
        HeaterDriver(drive="pwm")


def test_default_heater_reaches_half_an_fsr():
    """Tuning range FSR/2 (17.9 nm/2 = 8.95 nm) at 0.2 nm/mW, i.e. 44.8 mW: the one default
    heater limit, which the default driver delivers in both drive modes."""
    tuning = float(ThermalNetwork.banded(4).tuning_efficiency_m_per_w(63e-12)[0])
    assert tuning == pytest.approx(0.2e-6, rel=0.01)
    for drive in ("voltage", "current"):
        pmax = HeaterDriver(drive=drive).max_power_w
        assert pmax == pytest.approx(DEFAULT_MAX_POWER_W, rel=1e-12)
        assert DEFAULT_MAX_POWER_W == 44.8e-3
        assert pmax * 0.2e-6 >= 0.5 * ResonatorArrays(cold_resonance_m=[1.3e-6]).fsr_m[0, 0]
