"""Unit helpers."""

import numpy as np
import pytest

from cposim.photonics import units


def test_length_helpers():
    assert units.nm(1310) == pytest.approx(1.31e-6, rel=1e-15)
    assert units.um(3.6) == pytest.approx(3.6e-6, rel=1e-15)
    np.testing.assert_allclose(units.nm([1300, 1310]), [1.3e-6, 1.31e-6], rtol=1e-15)


def test_power_conversions_round_trip():
    assert units.dbm_to_w(0.0) == pytest.approx(1e-3)
    assert units.w_to_dbm(units.dbm_to_w(7.3)) == pytest.approx(7.3, rel=1e-14)
    assert units.linear_to_db(0.5) == pytest.approx(-3.0103, abs=1e-4)
    assert units.linear_to_db(0.0) == -np.inf


def test_linewidth_conversion():
    # 1 nm at 1550 nm is about 124.8 GHz.
    assert units.linewidth_m_to_hz(1e-9, 1550e-9) == pytest.approx(124.8e9, rel=1e-3)
    assert units.wavelength_to_frequency_hz(1550e-9) == pytest.approx(193.41e12, rel=1e-4)
