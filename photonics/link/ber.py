"""Bit error ratio, q and receiver sensitivity in closed form; cited thresholds and receivers.

NRZ ``BER = ½·erfc(q/√2)``; Gray-coded PAM4 with equal eyes ``BER = ¾·½·erfc(q/√2)``
(q = eye half-height over σ); the power penalty of a finite extinction ratio and the
thermal-noise-limited OMA sensitivity.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from cposim.control.core.validation import as_float_array, check_choice, check_range
from cposim.photonics.devices.modulator import MODULATION_LEVELS, modulation_levels

KP4_BER_THRESHOLD = 2.4e-4
"""Pre-FEC BER threshold of the RS(544,514) "KP4" FEC of IEEE 802.3 clause 91 (2.4e-4 for a
post-FEC BER of 1e-15)."""


DR4_SENSITIVITY_OMA_DBM = -4.4
"""100GBASE-DR receiver sensitivity (OMA), dBm (IEEE 802.3cd, as listed in vendor
datasheets). Shown as a specification line, never fitted."""


def _check_modulation(modulation):
    return check_choice("modulation", modulation, MODULATION_LEVELS)


def _ber_scale(modulation):
    levels = MODULATION_LEVELS[_check_modulation(modulation)]
    # Gray code: each adjacent-level error costs one of log2(M) bits, both sides of each eye.
    return 2.0 * (levels - 1) / (levels * np.log2(levels))


def ber_from_q(q, modulation):
    """Bit error ratio from the eye's q (half-height over σ), Gray-coded, equal eyes and noise.

    NRZ: ``½·erfc(q/√2)``; PAM4: ``¾·½·erfc(q/√2)`` (textbook; e.g. Agrawal, Fiber-Optic
    Communication Systems, 4th ed., Wiley 2010, §4.5).

    Parameters
    ----------
    q : float or array_like
        Each eye's half-height over the noise σ (dimensionless).
    modulation : str
        ``"nrz"`` or ``"pam4"``.
    """
    scale = _ber_scale(modulation)
    return scale * 0.5 * special.erfc(as_float_array("q", q) / np.sqrt(2.0))


def q_from_ber(ber, modulation):
    """Inverse of :func:`ber_from_q` (dimensionless q).

    Parameters
    ----------
    ber : float or array_like
        Bit error ratio, in (0, 0.5). For PAM4 a BER above 0.375 returns a negative q
        (a closed eye).
    modulation : str
        ``"nrz"`` or ``"pam4"``.
    """
    scale = _ber_scale(modulation)
    value = check_range("ber", ber, low=0.0, high=0.5, low_inclusive=False, high_inclusive=False)
    return np.sqrt(2.0) * special.erfcinv(2.0 * value / scale)


def extinction_ratio_penalty_db(extinction_ratio_db):
    """Power penalty of a finite extinction ratio, ``10·log10((r+1)/(r-1))``, dB.

    Parameters
    ----------
    extinction_ratio_db : float or array_like
        Extinction ratio, dB (> 0).
    """
    r = 10.0 ** (
        check_range("extinction_ratio_db", extinction_ratio_db, low=0.0, low_inclusive=False) / 10.0
    )
    return 10.0 * np.log10((r + 1.0) / (r - 1.0))


def oma_w(average_power_w, extinction_ratio_db):
    """Outer modulation amplitude ``2·P_avg·(r-1)/(r+1)``, watts (two-level signal).

    Parameters
    ----------
    average_power_w : float or array_like
        Average optical power, watts (≥ 0).
    extinction_ratio_db : float or array_like
        Extinction ratio, dB (> 0).
    """
    power = check_range("average_power_w", average_power_w, low=0.0)
    r = 10.0 ** (
        check_range("extinction_ratio_db", extinction_ratio_db, low=0.0, low_inclusive=False) / 10.0
    )
    return 2.0 * power * (r - 1.0) / (r + 1.0)


def noise_limited_sensitivity_oma_w(
    *, noise_density_a_per_sqrt_hz, bandwidth_hz, responsivity_a_per_w, ber, modulation
):
    """Thermal-noise-limited receiver sensitivity as OMA, watts.

    ``(M - 1)·2·q·σ/R`` with ``σ = i_n·√B`` and ``q = q_from_ber(ber)``: each of the ``M - 1``
    eyes must be ``2qσ`` tall in current.

    Parameters
    ----------
    noise_density_a_per_sqrt_hz : float
        Input-referred noise current density, A/√Hz (> 0).
    bandwidth_hz : float
        Noise bandwidth, Hz (> 0).
    responsivity_a_per_w : float
        Photodiode responsivity, A/W (> 0).
    ber : float
        Target BER, in (0, 0.5).
    modulation : str
        ``"nrz"`` or ``"pam4"``.
    """
    density = check_range(
        "noise_density_a_per_sqrt_hz", noise_density_a_per_sqrt_hz, low=0.0, low_inclusive=False
    )
    bandwidth = check_range("bandwidth_hz", bandwidth_hz, low=0.0, low_inclusive=False)
    responsivity = check_range(
        "responsivity_a_per_w", responsivity_a_per_w, low=0.0, low_inclusive=False
    )
    q = q_from_ber(ber, modulation)
    return (
        (modulation_levels(modulation) - 1)
        * 2.0
        * q
        * density
        * np.sqrt(bandwidth)
        / (responsivity)
    )


__all__ = [
    "DR4_SENSITIVITY_OMA_DBM",
    "KP4_BER_THRESHOLD",
    "ber_from_q",
    "extinction_ratio_penalty_db",
    "noise_limited_sensitivity_oma_w",
    "oma_w",
    "q_from_ber",
]
