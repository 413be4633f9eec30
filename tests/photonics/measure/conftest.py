"""Synthetic measured traces: cposim rings under a grating-coupler envelope, with noise."""

import numpy as np
import pytest

from cposim.photonics.devices.ring import Ring
from cposim.photonics.measure import SpectrumTrace

RADIUS_M = 10e-6
LENGTH_M = 2 * np.pi * RADIUS_M


def _make_ring(**overrides):
    settings = dict(
        radius_m=RADIUS_M,
        neff=2.40,
        ng=4.20,
        wavelength0_m=1550e-9,
        loss_db_per_m=300.0,
        power_coupling_in=0.01,
        power_coupling_drop=0.0,
    )
    return Ring(**{**settings, **overrides})


def _envelope(lam):
    """A grating coupler: -6 dB peak, Gaussian (parabola in dB), 1 dB down at ±14 nm."""
    return 10 ** ((-6.0 - ((lam - 1551e-9) / 14e-9) ** 2) / 10.0)


def _synthetic_trace(ring, *, noise=0.0, seed=0, step_m=1e-12, span=(1535e-9, 1565e-9), name="sim"):
    """Through port under :func:`envelope` plus white noise of ``noise`` × the envelope's peak
    (additive, as a detector's)."""
    lam = np.arange(span[0], span[1], step_m)
    clean = ring.through(lam) * _envelope(lam)
    peak = _envelope(1551e-9)
    noisy = clean + noise * peak * np.random.default_rng(seed).standard_normal(lam.size)
    return SpectrumTrace(lam, noisy, name=name)


@pytest.fixture(scope="session")
def make_ring():
    """Build the reference ring with some settings changed."""
    return _make_ring


@pytest.fixture(scope="session")
def envelope():
    """The grating-coupler envelope (linear, of wavelength in m)."""
    return _envelope


@pytest.fixture(scope="session")
def synthetic_trace():
    """Build a measured-looking through-port trace of a ring."""
    return _synthetic_trace


@pytest.fixture
def ring():
    return _make_ring()
