"""Shared plot helpers: labels derived from field names, dB conversion floor."""

import numpy as np
import pytest

from cposim.control.core.plotstyle import DB_FLOOR, quantity_label, to_db


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("tuning.max_heater_power_w", "max heater power (W)"),
        ("tuning_efficiency_m_per_w", "tuning efficiency (m/W)"),
        ("link.laser_power_dbm", "laser power (dBm)"),
        ("ambient_ramp_k_per_s", "ambient ramp (K/s)"),
        ("rin_db_per_hz", "rin (dB/Hz)"),
        ("run.n_wafers", "n wafers"),
        ("tuning.strategy", "strategy"),
    ],
)
def test_quantity_label_turns_unit_suffix_into_unit(key, label):
    assert quantity_label(key) == label


def test_quantity_label_keeps_at_least_one_word():
    assert quantity_label("w") == "w"
    assert quantity_label("per_w") == "per (W)"


def test_to_db_clips_at_floor():
    np.testing.assert_allclose(to_db([1.0, 0.1, 0.0]), [0.0, -10.0, DB_FLOOR])
