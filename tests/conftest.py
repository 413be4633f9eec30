"""Shared pytest configuration."""

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")
import matplotlib.pyplot as plt

# Numba compiles a kernel on its first call, which can take longer than Hypothesis' default
# deadline; the properties are about values, not speed.
settings.register_profile(
    "cposim", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60
)
settings.load_profile("cposim")


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every matplotlib figure after each test (more than 20 open ones warn, an error)."""
    yield
    plt.close("all")
