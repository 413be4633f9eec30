"""Reliability: Arrhenius closed form, FIT algebra, and a direct Monte Carlo of failures."""

import dataclasses

import numpy as np
import pytest
import scipy.constants

from cposim.photonics.switch.model import preset
from cposim.photonics.switch.reliability import (
    ReliabilityParameters,
    arrhenius_acceleration,
    failure_modes,
    simulate_failures,
)

QX = preset("quantum-x-photonics")
PLUG = preset("pluggable-1.6t")


def test_arrhenius_against_scipy_constants():
    k_ev = scipy.constants.physical_constants["Boltzmann constant in eV/K"][0]
    for ea, t, t_ref in ((0.4, 348.15, 313.15), (0.7, 358.15, 298.15), (0.35, 300.0, 330.0)):
        expected = np.exp(ea / k_ev * (1 / t_ref - 1 / t))
        assert arrhenius_acceleration(
            activation_energy_ev=ea, temperature_k=t, reference_temperature_k=t_ref
        ) == pytest.approx(expected, rel=1e-12)
    assert (
        arrhenius_acceleration(
            activation_energy_ev=0.4, temperature_k=313.15, reference_temperature_k=313.15
        )
        == 1.0
    )
    with pytest.raises(ValueError, match=r"temperature_k = -1\.0 is out of range"):
        arrhenius_acceleration(
            activation_energy_ev=0.4, temperature_k=-1.0, reference_temperature_k=300.0
        )


def test_failures_per_year_is_devices_times_fit():
    laser, engine = failure_modes(QX)
    params = QX.failure_rates
    assert laser.failures_per_year == pytest.approx(
        144 * params.laser_fit * params.laser_acceleration * 8766 / 1e9, rel=1e-12
    )
    assert engine.failures_per_year == pytest.approx(72 * params.engine_fit * 8766 / 1e9, rel=1e-12)


def test_failure_footprint_follows_the_lane_map():
    laser, engine = failure_modes(QX)
    # one laser feeds 4 lanes of one engine; multi-plane ports put them in 4 different ports
    assert (laser.lanes_per_failure, laser.ports_per_failure) == (4, 4)
    assert laser.repair_action == "laser module" and laser.lanes_per_repair == 32
    assert engine.repair_action == "package" and engine.lanes_per_repair == 144
    plug_laser, plug_engine = failure_modes(PLUG)
    assert (plug_laser.lanes_per_failure, plug_laser.ports_per_failure) == (1, 1)
    assert (plug_engine.lanes_per_failure, plug_engine.ports_per_failure) == (8, 2)
    assert plug_engine.repair_action == "pluggable module"
    in_package = dataclasses.replace(
        QX, laser=dataclasses.replace(QX.laser, field_replaceable=False)
    )
    assert failure_modes(in_package)[0].repair_action == "package"


def test_lane_and_port_hours_lost_and_availability_by_hand():
    """A package swap darkens the whole package: the 8 failed lanes (8 ports) until the repair,
    the other 136 lanes (136 more ports, multi-plane) during the swap."""
    params = QX.failure_rates
    laser, engine = failure_modes(QX)
    assert (engine.lanes_per_repair, engine.ports_per_repair) == (144, 144)
    assert (laser.lanes_per_repair, laser.ports_per_repair) == (32, 32)
    repair_h, swap_h = params.package_repair_time_s / 3600, params.package_swap_time_s / 3600
    assert engine.lane_down_hours_per_year == pytest.approx(
        engine.failures_per_year * (8 * repair_h + 136 * swap_h), rel=1e-12
    )
    assert engine.port_down_hours_per_year == pytest.approx(
        engine.failures_per_year * (8 * repair_h + 136 * swap_h), rel=1e-12
    )
    report = QX.reliability()
    assert report.lane_availability == pytest.approx(
        1 - report.lane_down_hours_per_year / (576 * 8766), rel=1e-15
    )
    assert report.port_availability == pytest.approx(
        1 - report.port_down_hours_per_year / (144 * 8766), rel=1e-15
    )
    # a pluggable's other lanes are dark only for the swap; its 8 lanes sit in 2 ports
    plug_engine = failure_modes(PLUG)[1]
    field_h = PLUG.failure_rates.field_repair_time_s / 3600
    assert plug_engine.port_down_hours_per_year == pytest.approx(
        plug_engine.failures_per_year * 2 * field_h, rel=1e-12
    )
    # fewer link-down events, yet more lane-hours lost: the two readings of "resiliency"
    plug = PLUG.reliability()
    assert plug.link_down_events_per_year > 4 * report.link_down_events_per_year
    assert plug.lane_down_hours_per_year < report.lane_down_hours_per_year
    frame = report.to_dataframe()
    assert {"repair_time_h", "swap_time_h", "port_down_hours_per_year"} <= set(frame)


def test_resiliency_cpo_vs_pluggables():
    cpo, plug = QX.reliability(), PLUG.reliability()
    ratio = plug.link_down_events_per_year / cpo.link_down_events_per_year
    laser_ratio = plug.modes[0].failures_per_year / cpo.modes[0].failures_per_year
    print(
        f"\nlink-down events per switch-year: pluggable {plug.link_down_events_per_year:.4f}, "
        f"CPO {cpo.link_down_events_per_year:.4f}, ratio {ratio:.2f} (claim 10×); "
        f"laser failures ratio {laser_ratio:.2f}"
    )
    # 4× fewer lasers times the Arrhenius factor of 75 °C over 45 °C
    assert laser_ratio == pytest.approx(
        4 * PLUG.failure_rates.laser_acceleration / QX.failure_rates.laser_acceleration, rel=1e-12
    )
    assert ratio > 4
    assert set(cpo.repair_actions_per_year()) == {"laser module", "package"}
    assert sum(cpo.repair_actions_per_year().values()) == pytest.approx(
        cpo.link_down_events_per_year, rel=1e-12
    )
    # hot lasers inside the package lose most of the advantage
    hot = dataclasses.replace(
        QX, failure_rates=dataclasses.replace(QX.failure_rates, laser_temperature_k=368.15)
    )
    assert hot.reliability().link_down_events_per_year > cpo.link_down_events_per_year * 2


@pytest.mark.parametrize("switch", [QX, PLUG], ids=["cpo", "pluggable"])
def test_expected_failures_match_a_direct_monte_carlo(switch):
    """Lifetimes drawn at the reference temperature, time-compressed by the Arrhenius factor,
    renewed on failure. Tolerance: k = 5 standard errors of the Monte Carlo mean."""
    simulation = simulate_failures(switch, years=5.0, n_switches=3000, rng=7)
    expected = np.array([mode.failures_per_year for mode in switch.reliability().modes])
    error = simulation.standard_error_per_year
    assert np.all(np.abs(simulation.failures_per_year - expected) < 5 * error)
    # Poisson: variance equals mean, to 10 % with 3000 switches
    counts = simulation.counts
    np.testing.assert_allclose(counts.var(axis=0, ddof=1), counts.mean(axis=0), rtol=0.1)
    assert list(simulation.to_dataframe()["mode"]) == ["laser", "engine"]
    assert simulation.plot().get_ylabel() == "Switches (count)"


def test_monte_carlo_renewal_counts_repeat_failures():
    """At a rate so high that each socket fails several times, counts follow n·λ·T."""
    fast = dataclasses.replace(
        QX,
        failure_rates=ReliabilityParameters(
            laser_fit=2e5, engine_fit=0.0, laser_temperature_k=313.15
        ),
    )
    simulation = simulate_failures(fast, years=2.0, n_switches=200, rng=1)
    expected = 144 * 2e5 / 1e9 * 8766  # per year; ≈ 3.5 failures per laser over 2 years
    assert simulation.failures_per_year[0] == pytest.approx(
        expected, abs=5 * simulation.standard_error_per_year[0]
    )
    assert simulation.failures_per_year[1] == 0.0


def test_parameters_are_validated():
    with pytest.raises(ValueError, match=r"laser_temperature_k = 0\.0 is out of range"):
        ReliabilityParameters(laser_temperature_k=0.0)
    with pytest.raises(ValueError, match="n_switches"):
        simulate_failures(QX, n_switches=1)
    report = QX.reliability()
    assert len(report.to_dataframe()) == 2
    assert report.plot().get_ylabel() == "Failures per switch-year (1/year)"
