"""Shared pytest configuration."""

import matplotlib
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

# Numba compiles a kernel on its first call, which can take longer than Hypothesis' default
# deadline; the properties are about values, not speed.
settings.register_profile(
    "cposim", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60
)
settings.load_profile("cposim")
