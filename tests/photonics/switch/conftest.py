"""Shared fixtures of the switch tests: the summary.json of a DR yield run, and a direct Monte
Carlo of the assembly flow."""

import json

import pytest

DR_SUMMARY = {
    "engine_yield": 0.95,
    "engine_yield_interval": [0.94, 0.96],
    "mean_heater_power_per_ring_w": 0.015,
    "mean_heater_power_per_lane_w": 0.015,
    "lanes_per_engine": 8,
    "n_engines": 5000,
    "wavelengths_per_fiber": 1,
    "heated_rings_per_lane": 1,
    "lane_rate_bps": 200e9,
    "laser_power_dbm": 16.0,
    "lanes_per_laser": 4,
    "electrical": {},
}
"""What the yield engine writes for the DR lane (its other keys are ignored by the switch)."""


@pytest.fixture
def dr_summary():
    """A copy of :data:`DR_SUMMARY`."""
    return dict(DR_SUMMARY)


@pytest.fixture
def write_summary():
    """``write(directory, **override)``: write a DR run's summary.json there; returns it."""

    def write(directory, **override):
        directory.mkdir(exist_ok=True)
        data = {**DR_SUMMARY, "other_key_from_the_yield_engine": "ignored", **override}
        (directory / "summary.json").write_text(json.dumps(data))
        return directory

    return write


@pytest.fixture
def simulate_build():
    """``simulate_build(switch, params, scenario, n_good_packages, rng)``: see
    :func:`_simulate_build`."""
    return _simulate_build


def _simulate_build(switch, params, scenario, n_good_packages, rng):
    """A direct Monte Carlo of one assembly flow: packages are built one by one until good
    (engines drawn and tested, attached, the package tested, reworked once, scrapped).

    Returns per good package the engines drawn, the engines tested, the packages built and
    the reworks (arrays of length ``n_good_packages``)."""
    import numpy as np

    tested = scenario != "untested"
    rework = scenario.endswith("rework")
    tally = {name: np.zeros(n_good_packages) for name in ("engines", "tested", "built", "reworks")}

    def placed_engine_is_good(k):
        while True:  # draw engines until one passes the test (or take it untested)
            tally["engines"][k] += 1
            tally["tested"][k] += tested
            is_good = rng.random() < params.engine_yield
            if not tested:
                return is_good
            if rng.random() >= (params.test_overkill if is_good else params.test_coverage):
                return is_good

    for k in range(n_good_packages):
        while True:
            tally["built"][k] += 1
            good = True
            for _ in range(switch.engines_per_asic):
                good &= placed_engine_is_good(k) and rng.random() < params.attach_yield
            if not good and rework:
                tally["reworks"][k] += 1
                placed_engine_is_good(k)  # the replacement engine
                good = rng.random() < params.rework_success
            if good:
                break
    return tally
