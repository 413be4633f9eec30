"""Ring modulator: voltage shift forms, levels, bias optimisation, bandwidth, self-heating."""

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cposim.photonics.devices.lorentzian import lorentzian_dip
from cposim.photonics.devices.modulator import (
    BISTABILITY_THRESHOLD,
    SPEED_OF_LIGHT_M_PER_S,
    ModulatorOperatingPoint,
    RingModulator,
    isi_penalty_db,
    level_metrics,
)
from cposim.photonics.devices.ring import Ring


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures each test draws (matplotlib warns past 20 open figures)."""
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def modulator():
    return RingModulator()


def test_shift_forms(modulator):
    v = np.linspace(-0.5, 3.0, 15)
    eta = modulator.efficiency_m_per_v
    np.testing.assert_allclose(modulator.resonance_shift_m(v), eta * v, rtol=1e-15)
    junction = dataclasses.replace(modulator, shift_model="junction")
    vbi = junction.built_in_voltage_v
    expected = 2 * eta * np.sqrt(vbi) * (np.sqrt(vbi + v) - np.sqrt(vbi))
    np.testing.assert_allclose(junction.resonance_shift_m(v), expected, rtol=1e-14)
    # small-signal slope at 0 V is the efficiency; the shift is sub-linear (concave)
    slope = (junction.resonance_shift_m(1e-6) - junction.resonance_shift_m(-1e-6)) / 2e-6
    assert slope == pytest.approx(eta, rel=1e-6)
    assert np.all(np.diff(junction.resonance_shift_m(v), 2) < 0.0)


@pytest.mark.parametrize("shift_model", ["linear", "junction"])
@pytest.mark.parametrize("ratio", [0.8, 1.0, 1.15])
def test_operating_point_at_a_drive_swing_ratio_scales_the_voltages_about_the_bias(
    shift_model, ratio
):
    """A driver swinging ``ratio`` × nominal puts level ``k`` at ``V_r + ratio·(V_k − V_r)``
    (``V_r`` the reverse bias), with the heater holding the nominal bias: the operating point
    transmits what the ring does at those voltages (≤ 1e-11), its lowest level moves by the
    junction's shift there, and ratio 1 is the nominal operating point exactly."""
    modulator = RingModulator(shift_model=shift_model)
    bias = modulator.bias_m
    op = modulator.operating_point(drive_swing_ratio=ratio)
    nominal = modulator.drive_voltages_v(bias_detuning_m=bias)
    voltages = modulator.reverse_bias_v + ratio * (nominal - modulator.reverse_bias_v)
    exact = modulator.transmission(bias_detuning_m=bias, voltage_v=voltages)
    np.testing.assert_allclose(op.transmissions(), exact, rtol=0.0, atol=1e-11)
    moved = modulator.resonance_shift_m(voltages[0]) - modulator.resonance_shift_m(nominal[0])
    assert op.bias_detuning_m == pytest.approx(bias + moved, abs=1e-18)
    if ratio == 1.0:
        assert op == modulator.operating_point()
    with pytest.raises(ValueError, match="drive_swing_ratio"):
        modulator.operating_point(drive_swing_ratio=0.0)


@pytest.mark.parametrize("modulation", ["nrz", "pam4"])
@pytest.mark.parametrize("predistort", [False, True])
def test_operating_point_is_exact_for_the_ring(modulation, predistort):
    """The Airy operating point reproduces the ring's own transmission at every level (the
    form is an identity, ≤ 1e-11 after the round trips through F and the phases), with the
    ring's exact dip and a linewidth within 0.5 % of its exact FWHM."""
    modulator = RingModulator(modulation=modulation, predistort=predistort)
    lam = modulator.wavelength_m
    op = modulator.operating_point()
    assert op.origin == "device" and op.bias_detuning_m == modulator.bias_m
    exact = modulator.levels_at(bias_detuning_m=modulator.bias_m).transmissions
    np.testing.assert_allclose(op.transmissions(), exact, rtol=0.0, atol=1e-11)
    assert op.min_transmission == pytest.approx(float(modulator.ring.through_on_resonance()))
    assert op.fwhm_m == pytest.approx(modulator.fwhm_m, rel=5e-3)
    locked_k = (lam + op.bias_detuning_m - modulator.cold_resonance_m) / (
        modulator.thermal_shift_m_per_k
    )
    assert op.fsr_m == float(modulator.ring.fsr_m(lam, delta_t_k=locked_k))
    assert op.rc_bandwidth_hz == modulator.rc_bandwidth_hz
    assert 4000 < float(modulator.ring.q_loaded(lam)) < 5500
    # a datasheet operating point sits on the same ring
    sheet = ModulatorOperatingPoint.from_il_er(
        insertion_loss_db=4.0, extinction_ratio_db=4.0, ring_modulator=modulator
    )
    assert sheet.origin == "datasheet"
    assert (sheet.fwhm_m, sheet.extinction_db) == (op.fwhm_m, op.extinction_db)


@pytest.mark.parametrize("modulation", ["nrz", "pam4"])
def test_from_il_er_reproduces_datasheet_values(modulation):
    op = ModulatorOperatingPoint.from_il_er(
        insertion_loss_db=3.0, extinction_ratio_db=5.0, modulation=modulation
    )
    metrics = op.metrics()
    assert metrics["insertion_loss_db"] == pytest.approx(3.0, abs=1e-12)
    assert metrics["extinction_ratio_db"] == pytest.approx(5.0, abs=1e-12)
    assert metrics["eye_penalty_db"] == pytest.approx(0.0, abs=1e-12)
    r = 10**0.5
    assert metrics["er_penalty_db"] == pytest.approx(10 * np.log10((r + 1) / (r - 1)), rel=1e-12)
    assert metrics["oma"] == pytest.approx(2 * 10**-0.3 * (r - 1) / (r + 1), rel=1e-12)


def test_levels_metrics_definitions():
    t = np.array([0.2, 0.3, 0.5, 0.6])
    m = level_metrics(t)
    assert m["insertion_loss_db"] == pytest.approx(-10 * np.log10(0.4))
    assert m["extinction_ratio_db"] == pytest.approx(10 * np.log10(3.0))
    assert m["eye_penalty_db"] == pytest.approx(10 * np.log10((0.4 / 3) / 0.1))
    assert m["transmitter_penalty_db"] == pytest.approx(10 * np.log10(0.8 / 0.3))


def test_predistortion_equalises_pam4_eyes(modulator):
    plain = modulator.optimise_bias(objective="oma")
    predistorted = dataclasses.replace(modulator, predistort=True).levels_at(
        bias_detuning_m=plain.bias_detuning_m
    )
    assert plain.eye_penalty_db > 0.01
    assert predistorted.eye_penalty_db == pytest.approx(0.0, abs=1e-9)
    # the outer levels do not move, only the inner drive voltages
    np.testing.assert_allclose(
        predistorted.transmissions[[0, -1]], plain.transmissions[[0, -1]], rtol=1e-12
    )
    assert predistorted.voltages_v[0] == plain.voltages_v[0]


def test_bias_optimisation(modulator):
    best_oma = modulator.optimise_bias(objective="oma")
    best_eye = modulator.optimise_bias(objective="eye")
    for factor in (0.9, 1.1):
        other = modulator.levels_at(bias_detuning_m=factor * best_oma.bias_detuning_m)
        assert other.oma < best_oma.oma
        other = modulator.levels_at(bias_detuning_m=factor * best_eye.bias_detuning_m)
        assert np.diff(other.transmissions).min() < np.diff(best_eye.transmissions).min()
    assert np.diff(best_eye.transmissions).min() >= np.diff(best_oma.transmissions).min()
    assert best_oma.to_dataframe().shape == (4, 4)
    assert best_oma.plot().get_xlabel() == "Reverse bias (V)"


def test_operating_point_matches_exact_ring(modulator):
    """The periodic Lorentzian reproduces the exact ring levels to 1 % (it ignores the
    asymmetry of the Airy dip, ~FWHM/FSR = 1.5 %)."""
    levels = modulator.optimise_bias(objective="oma")
    op = modulator.operating_point(bias_detuning_m=levels.bias_detuning_m)
    np.testing.assert_allclose(op.transmissions(), levels.transmissions, rtol=1e-2)
    exact = modulator.ring.through(modulator.wavelength_m, delta_t_k=np.linspace(-3, 3, 7))
    detuning = (
        modulator.cold_resonance_m
        + np.linspace(-3, 3, 7) * modulator.thermal_shift_m_per_k
        - modulator.wavelength_m
    )
    np.testing.assert_allclose(
        lorentzian_dip(
            detuning, fwhm_m=op.fwhm_m, min_transmission=op.min_transmission, fsr_m=op.fsr_m
        ),
        exact,
        rtol=1e-2,
    )


def test_bandwidth_and_isi(modulator):
    lam = modulator.wavelength_m
    q = float(modulator.ring.q_loaded(lam))
    assert modulator.photon_bandwidth_hz == pytest.approx(SPEED_OF_LIGHT_M_PER_S / (lam * q))
    assert modulator.rc_bandwidth_hz == pytest.approx(1 / (2 * np.pi * 75.0 * 20e-15))
    expected = (modulator.photon_bandwidth_hz**-2 + modulator.rc_bandwidth_hz**-2) ** -0.5
    assert modulator.bandwidth_hz == pytest.approx(expected)
    p = np.exp(-2 * np.pi * 40e9 / 100e9)
    assert isi_penalty_db(40e9, 100e9, "nrz") == pytest.approx(-10 * np.log10(1 - 2 * p))
    assert isi_penalty_db(40e9, 100e9, "pam4") == pytest.approx(-10 * np.log10(1 - 4 * p))
    assert np.isinf(isi_penalty_db(5e9, 100e9, "pam4"))


def _sweep_near_critical(modulator, power_w):
    """Laser detunings around the analytic bistability onset u0 = -√3 half-widths."""
    half_width = 0.5 * modulator.fwhm_m
    u0 = np.linspace(-np.sqrt(3) - 1.0, -np.sqrt(3) + 0.6, 321)
    return modulator.self_heating(input_power_w=power_w, laser_detuning_m=u0 * half_width)


def test_self_heating_linear_below_threshold(modulator):
    threshold = modulator.self_heating_threshold_w()
    below = _sweep_near_critical(modulator, 0.95 * threshold)
    assert not below.is_bistable and np.all(below.n_solutions == 1)
    assert below.stable[:, 0].all()
    # the shift is linear in the absorbed power: dλ/dT · R_th · P_abs
    per_watt = modulator.thermal_shift_m_per_k * modulator.thermal_resistance_k_per_w
    np.testing.assert_allclose(
        below.resonance_shift_m[:, 0], per_watt * below.absorbed_power_w[:, 0], rtol=1e-8
    )
    # and, below 1 % of the threshold, proportional to the input power (to 1 %)
    small = [
        modulator.self_heating(input_power_w=p, laser_detuning_m=0.0) for p in (1e-7, 1e-6, 1e-5)
    ]
    ratios = [s.resonance_shift_m[0, 0] / p for s, p in zip(small, (1e-7, 1e-6, 1e-5), strict=True)]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-2)


def test_self_heating_bistable_above_analytic_threshold(modulator):
    """Three steady states (middle one unstable) appear just above P_th = σ_th·(FWHM/2)/(dλ/dT·
    R_th·(1-T_min)), σ_th = 8√3/9; tolerance ±5 % on the power (Lorentzian vs exact ring)."""
    assert BISTABILITY_THRESHOLD == pytest.approx(8 * np.sqrt(3) / 9)
    threshold = modulator.self_heating_threshold_w()
    above = _sweep_near_critical(modulator, 1.05 * threshold)
    assert above.is_bistable
    triple = above.n_solutions == 3
    assert np.all(above.stable[triple] == [True, False, True])
    table = above.to_dataframe()
    assert set(table["branch"]) == {0, 1, 2}
    assert above.plot().get_ylabel() == "Transmission (dB)"


@pytest.mark.parametrize("side", [1.0, -1.0], ids=["blue", "red"])
def test_locked_self_heating_absorption_and_stability_from_the_level_transmissions(side):
    """The locked ring absorbs η·P·mean(1 - T_k) (T_k each level's transmission) and its
    stability is 1 - G·P·dA/dδ (G = R_th·η·dλ/dT), with dA/dδ by a central difference of the
    same transmissions (h = 1e-14 m, truncation ~ (h/FWHM)² ≈ 1e-8): rtol 1e-6. A blue-side
    bias is stable at any power; a red-side one loses stability above the Lorentzian
    threshold, the bistable side of the unlocked ring."""
    base = RingModulator()
    modulator = dataclasses.replace(base, bias_detuning_m=side * 0.5 * base.fwhm_m)
    op = modulator.operating_point()
    power_w = np.array([1e-5, 1e-3, 2e-2])
    locked = modulator.self_heating_at_lock(input_power_w=power_w)
    absorbed_fraction = np.mean(1.0 - op.transmissions(0.0))
    np.testing.assert_allclose(
        locked.absorbed_power_w, modulator.heat_fraction * power_w * absorbed_fraction, rtol=1e-9
    )
    gain_m_per_w = (
        modulator.thermal_resistance_k_per_w
        * modulator.heat_fraction
        * modulator.thermal_shift_m_per_k
    )
    np.testing.assert_allclose(
        locked.resonance_shift_m, gain_m_per_w * power_w * absorbed_fraction, rtol=1e-9
    )
    h = 1e-14
    slope = (np.mean(1.0 - op.transmissions(h)) - np.mean(1.0 - op.transmissions(-h))) / (2 * h)
    np.testing.assert_allclose(locked.stability, 1.0 - gain_m_per_w * power_w * slope, rtol=1e-6)
    if side > 0:
        assert locked.stable.all()
    else:
        assert locked.stable[0] and not locked.stable[-1]
        assert modulator.self_heating_threshold_w() < power_w[-1]


def test_bad_inputs_rejected(modulator):
    with pytest.raises(ValueError, match="power_coupling_drop"):
        RingModulator(ring=Ring())
    with pytest.raises(ValueError, match="modulation"):
        RingModulator(modulation="pam8")
    with pytest.raises(ValueError, match="shift_model"):
        RingModulator(shift_model="quadratic")
    with pytest.raises(ValueError, match="lowest drive voltage"):
        RingModulator(shift_model="junction", reverse_bias_v=-0.5, drive_swing_vpp=1.0)
    with pytest.raises(ValueError, match="input_power_w"):
        modulator.self_heating(input_power_w=-1e-3, laser_detuning_m=0.0)
    with pytest.raises(ValueError, match="extinction_ratio_db"):
        ModulatorOperatingPoint.from_il_er(insertion_loss_db=3.0, extinction_ratio_db=0.0)
    with pytest.raises(ValueError, match="outside what a ring"):
        ModulatorOperatingPoint.from_il_er(insertion_loss_db=0.1, extinction_ratio_db=5.0)
    op = modulator.operating_point()
    with pytest.raises(ValueError, match="level_shifts_m"):
        dataclasses.replace(op, level_shifts_m=(0.0, 1e-11))
    with pytest.raises(ValueError, match="level_phase_cycles"):
        dataclasses.replace(op, level_phase_cycles=(0.004, 0.003, 0.005, 0.006))
    with pytest.raises(ValueError, match="origin"):
        dataclasses.replace(op, origin="guess")
    with pytest.raises(ValueError, match="objective"):
        modulator.optimise_bias(objective="ber")
