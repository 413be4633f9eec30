"""Physical constants (defined once, here) and unit helpers for people typing in notebooks:
``Ring(radius_m=um(3.6))``.

Every public quantity in cposim is SI with the unit in its name; these helpers only convert
*into* SI (``nm(1310)`` is 1.31e-6 m) or between linear and logarithmic power.
"""

from __future__ import annotations

import numpy as np

SPEED_OF_LIGHT_M_PER_S = 299_792_458.0
"""Speed of light in vacuum, m/s (exact, SI definition)."""

ELEMENTARY_CHARGE_C = 1.602176634e-19
"""Elementary charge, coulombs (exact, SI definition)."""

BOLTZMANN_J_PER_K = 1.380649e-23
"""Boltzmann constant, J/K (exact, SI definition)."""


def nm(value):
    """Nanometres → metres.

    Parameters
    ----------
    value : float or array_like
        Length in nanometres.
    """
    return np.asarray(value, dtype=np.float64) * 1e-9 if np.ndim(value) else float(value) * 1e-9


def um(value):
    """Micrometres → metres.

    Parameters
    ----------
    value : float or array_like
        Length in micrometres.
    """
    return np.asarray(value, dtype=np.float64) * 1e-6 if np.ndim(value) else float(value) * 1e-6


def db_to_linear(value_db):
    """Power ratio in dB → linear ratio.

    Parameters
    ----------
    value_db : float or array_like
        Ratio in dB.
    """
    return 10.0 ** (np.asarray(value_db, dtype=np.float64) / 10.0)


def linear_to_db(ratio):
    """Linear power ratio → dB (``-inf`` for 0).

    Parameters
    ----------
    ratio : float or array_like
        Linear power ratio (≥ 0).
    """
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(np.asarray(ratio, dtype=np.float64))


def dbm_to_w(power_dbm):
    """Optical or electrical power in dBm → watts.

    Parameters
    ----------
    power_dbm : float or array_like
        Power in dBm.
    """
    return 1e-3 * db_to_linear(power_dbm)


def w_to_dbm(power_w):
    """Power in watts → dBm (``-inf`` for 0 W).

    Parameters
    ----------
    power_w : float or array_like
        Power in watts (≥ 0).
    """
    return linear_to_db(np.asarray(power_w, dtype=np.float64) / 1e-3)


def wavelength_to_frequency_hz(wavelength_m):
    """Vacuum wavelength in metres → optical frequency in Hz.

    Parameters
    ----------
    wavelength_m : float or array_like
        Vacuum wavelength in metres.
    """
    return SPEED_OF_LIGHT_M_PER_S / np.asarray(wavelength_m, dtype=np.float64)


def linewidth_m_to_hz(linewidth_m, wavelength_m):
    """Spectral width in metres → width in Hz at the given wavelength (``c·Δλ/λ²``).

    Parameters
    ----------
    linewidth_m : float or array_like
        Width in metres (e.g. a FWHM).
    wavelength_m : float or array_like
        Centre wavelength in metres.
    """
    lam = np.asarray(wavelength_m, dtype=np.float64)
    return SPEED_OF_LIGHT_M_PER_S * np.asarray(linewidth_m, dtype=np.float64) / lam**2


__all__ = [
    "BOLTZMANN_J_PER_K",
    "ELEMENTARY_CHARGE_C",
    "SPEED_OF_LIGHT_M_PER_S",
    "db_to_linear",
    "dbm_to_w",
    "linear_to_db",
    "linewidth_m_to_hz",
    "nm",
    "um",
    "w_to_dbm",
    "wavelength_to_frequency_hz",
]
