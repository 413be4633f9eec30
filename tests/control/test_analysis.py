"""Loop analysis against python-control, and the residual-lock-error model against the
closed-loop simulation (statistical, tolerances stated)."""

import warnings

import numpy as np
import pytest

from cposim.control.analysis import (
    analyze_loop,
    loop_transfer_function,
    plant_transfer_function,
    residual_lock_error,
)
from cposim.control.controllers import PIDController
from cposim.control.detectors import DitherLockInDetector, IdealDetector, PowerMaximumTracker
from cposim.control.heater import HeaterDriver
from cposim.control.loop.locking import ResonatorArrays, simulate_locking
from cposim.control.thermal import CoarseSamplingWarning, Disturbance, ThermalNetwork

H = 1e-6
TAU = 4e-6
GAIN = 3175.0 * 63e-12
FWHM = 1300e-9 / 4000


def _pi(lam):
    return PIDController.lambda_tuned(
        plant_gain_m_per_w=GAIN, time_constant_s=TAU, closed_loop_time_constant_s=lam
    )


@pytest.mark.parametrize("case", ["dither_pi", "two_pole_pid"])
def test_margins_and_step_metrics_match_python_control(case, python_control):
    ct = python_control
    if case == "dither_pi":
        controller, tau2, detector = _pi(50e-6), 0.0, DitherLockInDetector()
    else:
        controller = PIDController.lambda_tuned(
            plant_gain_m_per_w=GAIN,
            time_constant_s=TAU,
            second_time_constant_s=2.5e-6,
            closed_loop_time_constant_s=4e-6,
            kind="pid",
        )
        tau2, detector = 2.5e-6, None
    a = analyze_loop(
        controller=controller,
        plant_gain_m_per_w=GAIN,
        time_constant_s=TAU,
        second_time_constant_s=tau2,
        sample_period_s=H,
        detector=detector,
    )
    loop = ct.tf(a.loop_num, a.loop_den, H)
    with warnings.catch_warnings():  # the oracle evaluates the loop at its pole z = 1
        warnings.simplefilter("ignore", RuntimeWarning)
        gm, pm, _, w180, wc, _ = ct.stability_margins(loop, method="poly")
    assert a.stable
    assert a.phase_margin_deg == pytest.approx(pm, rel=1e-6)
    assert a.gain_crossover_hz == pytest.approx(wc / (2 * np.pi), rel=1e-6)
    if np.isfinite(gm):
        assert a.gain_margin_db == pytest.approx(20 * np.log10(gm), rel=1e-6)
        assert a.phase_crossover_hz == pytest.approx(w180 / (2 * np.pi), rel=1e-6)
    info = ct.step_info(ct.feedback(loop, 1), SettlingTimeThreshold=0.02)
    # Sampled responses: rise and settling times agree to one sample period.
    assert a.rise_time_s == pytest.approx(info["RiseTime"], abs=1.01 * H)
    assert a.settling_time_s == pytest.approx(info["SettlingTime"], abs=1.01 * H)
    assert a.overshoot_percent == pytest.approx(info["Overshoot"], abs=1e-6)
    # Lambda tuning aims at a first-order closed loop: bandwidth ≈ 1/(2πλ) within 30 %.
    if case == "dither_pi":
        assert a.bandwidth_hz == pytest.approx(1 / (2 * np.pi * 50e-6), rel=0.3)
    assert a.plot().get_xlabel() == "frequency (Hz)"
    assert len(a.to_dataframe()) == a.frequency_hz.size


def test_plant_is_exact_zoh_and_warns_when_coarse():
    num, den = plant_transfer_function(
        plant_gain_m_per_w=GAIN, time_constant_s=TAU, sample_period_s=H
    )
    assert np.polyval(num, 1.0) / np.polyval(den, 1.0) == pytest.approx(GAIN, rel=1e-14)
    assert den[1] == pytest.approx(-np.exp(-H / TAU), rel=1e-15)
    with pytest.warns(CoarseSamplingWarning):
        plant_transfer_function(
            plant_gain_m_per_w=GAIN, time_constant_s=TAU, sample_period_s=2.5e-6
        )
    with pytest.raises(ValueError, match="nonlinear"):
        loop_transfer_function(
            controller=_pi(20e-6),
            plant_gain_m_per_w=GAIN,
            time_constant_s=TAU,
            sample_period_s=H,
            detector=PowerMaximumTracker(),
        )


def _uncoupled_bank(n_rings):
    grid = 1300e-9 + np.arange(n_rings) * 1.1e-9
    resonators = ResonatorArrays(cold_resonance_m=grid - 0.3e-9, fsr_m=20e-9)
    network = ThermalNetwork.uncoupled(n_rings, self_resistance_k_per_w=3175.0, time_constant_s=TAU)
    return resonators, grid, network


def test_residual_model_matches_simulation_with_detector_noise():
    """White detector noise 3 pm rms per sample: σ(δ) = 3 pm·‖T‖₂. 16 rings × 40 000 steps,
    correlation ≈ λ/h = 20 samples → ≈ 3·10⁴ independent samples, σ known to ≈ 0.5 %;
    tolerance 3 %."""
    controller = _pi(20e-6)
    detector = IdealDetector(noise_m=3e-12)
    resonators, grid, network = _uncoupled_bank(16)
    result = simulate_locking(
        resonators,
        grid,
        network=network,
        controller=controller,
        detector=detector,
        sample_period_s=H,
        n_steps=40_000,
        heater=HeaterDriver(dac_bits=0),
        stats_start_s=0.5e-3,
        rng=7,
    )
    model = residual_lock_error(
        controller=controller,
        detector=detector,
        plant_gain_m_per_w=GAIN,
        time_constant_s=TAU,
        sample_period_s=H,
        fwhm_m=FWHM,
    )
    simulated = np.sqrt(np.mean(result.residual_std_m**2))
    assert simulated == pytest.approx(model.sigma_m, rel=0.03)
    assert abs(np.mean(result.residual_mean_m)) < 0.05 * model.sigma_m
    draws = model.draw(10_000, rng=1)
    assert np.std(draws) == pytest.approx(model.sigma_m, rel=0.05)


def test_residual_model_ramp_offset_matches_simulation():
    """Laser (0.09 nm/K) and ring (63 pm/K) drift apart on a 3000 K/s ramp: a type-1 loop
    follows with the offset v/(K_i·K); deterministic, tolerance 1 %."""
    controller = _pi(20e-6)
    resonators, grid, network = _uncoupled_bank(2)
    ramp = Disturbance(ambient_ramp_k_per_s=3000.0, laser_drift_m_per_k=0.09e-9)
    result = simulate_locking(
        resonators,
        grid,
        network=network,
        controller=controller,
        detector=IdealDetector(),
        sample_period_s=H,
        n_steps=3000,
        heater=HeaterDriver(full_scale_voltage_v=4.0, dac_bits=0),
        disturbance=ramp,
        stats_start_s=1e-3,
    )
    drift = (0.09e-9 - 63e-12) * 3000.0
    model = residual_lock_error(
        controller=controller,
        detector=IdealDetector(),
        plant_gain_m_per_w=GAIN,
        time_constant_s=TAU,
        sample_period_s=H,
        fwhm_m=FWHM,
        detuning_drift_m_per_s=drift,
    )
    np.testing.assert_allclose(result.residual_mean_m, model.mean_m, rtol=0.01)


def test_residual_model_for_the_dither_detector():
    """Dominated by the dither itself (ring amplitude a, σ = a/√2) for the default low-noise
    photodiode; the 10-bit ADC adds a slow dead-band wander the white-noise model cannot see,
    so the tolerance is 15 %."""
    controller = _pi(50e-6)
    detector = DitherLockInDetector()
    resonators, grid, network = _uncoupled_bank(8)
    result = simulate_locking(
        resonators,
        grid,
        network=network,
        controller=controller,
        detector=detector,
        sample_period_s=H,
        n_steps=20_000,
        heater=HeaterDriver(dac_bits=0),
        stats_start_s=1e-3,
        rng=3,
    )
    model = residual_lock_error(
        controller=controller,
        detector=detector,
        plant_gain_m_per_w=GAIN,
        time_constant_s=TAU,
        sample_period_s=H,
        fwhm_m=FWHM,
        drop_peak=0.8,
    )
    assert model.dither_sigma_m > 5 * model.noise_sigma_m
    simulated = np.sqrt(np.mean(result.residual_std_m**2 + result.residual_mean_m**2))
    assert simulated == pytest.approx(model.sigma_m, rel=0.15)


def test_heater_quantisation_term():
    controller = _pi(20e-6)
    model = residual_lock_error(
        controller=controller,
        detector=IdealDetector(),
        plant_gain_m_per_w=GAIN,
        time_constant_s=TAU,
        sample_period_s=H,
        fwhm_m=FWHM,
        heater=HeaterDriver(full_scale_voltage_v=2.0, dac_bits=8),
        heater_power_w=4e-3,
    )
    step = 2 * np.sqrt(4e-3 * 8e-3) / 255
    # Bounded by the open-loop white-noise response K·step/√12 (|G·S| ≤ |G| here).
    assert 0 < model.heater_quantisation_sigma_m < GAIN * step / np.sqrt(12)
