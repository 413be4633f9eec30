"""Shared fixtures of the switch tests: the summary.json of a DR yield run."""

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
