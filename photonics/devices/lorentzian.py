"""The Airy (periodic-Lorentzian) form of a ring: transmission from linewidth, depth and FSR.

Every port of a ring is exactly an Airy function of its round-trip phase φ: with
``x = r1·r2·a`` the through port of an all-pass or add-drop ring is
``T = 1 - D/(1 + F·sin²(φ/2))`` and the drop port ``D_max/(1 + F·sin²(φ/2))``, with the
coefficient of finesse ``F = 4x/(1 - x)²`` and depth ``D = 1 - T_min`` (Bogaerts et al.,
Laser Photonics Rev. 6, 47 (2012), eqs. 4 and 6). Writing the phase as ``φ/2 = π·δ/FSR`` for a
detuning δ, and ``F`` through the linewidth as ``F = 1/sin²(π·FWHM/(2·FSR))`` (so the peak is
exactly ½ at ``δ = ±FWHM/2``), gives the compact description the link budget and the yield
engine use; near resonance it is the Lorentzian ``1/(1 + (2δ/FWHM)²)`` of Bahadori et al.,
JLT 34(17), 4043 (2016). :func:`airy_coefficient` and :func:`airy_fwhm_m` convert between
``F`` and that linewidth.
"""

from __future__ import annotations

import numpy as np


def airy_coefficient(*, fwhm_m, fsr_m):
    """Coefficient of finesse ``F = 1/sin²(π·FWHM/(2·FSR))`` (dimensionless).

    Parameters
    ----------
    fwhm_m : float or array_like
        Full width at half maximum of the Airy peak, metres (> 0, < FSR).
    fsr_m : float or array_like
        Free spectral range, metres.
    """
    return 1.0 / np.sin(0.5 * np.pi * np.asarray(fwhm_m) / np.asarray(fsr_m)) ** 2


def airy_fwhm_m(coefficient, *, fsr_m):
    """Full width at half maximum of an Airy peak of coefficient ``F``, metres:
    ``(2·FSR/π)·asin(1/√F)`` (the inverse of :func:`airy_coefficient`).

    Parameters
    ----------
    coefficient : float or array_like
        Coefficient of finesse ``F = 4x/(1 - x)²`` (dimensionless, > 1).
    fsr_m : float or array_like
        Free spectral range, metres.
    """
    return 2.0 * np.asarray(fsr_m) / np.pi * np.arcsin(1.0 / np.sqrt(np.asarray(coefficient)))


def lorentzian_dip(detuning_m, *, fwhm_m, min_transmission, fsr_m):
    """Through-port power transmission ``1 - (1 - T_min)/(1 + F·sin²(πδ/FSR))`` (0…1).

    Parameters
    ----------
    detuning_m : float or array_like
        Resonance wavelength minus laser wavelength, metres.
    fwhm_m : float or array_like
        Resonance full width at half maximum, metres.
    min_transmission : float or array_like
        Through-port transmission on resonance (linear, 0…1).
    fsr_m : float or array_like
        Free spectral range, metres.
    """
    return 1.0 - (1.0 - min_transmission) * lorentzian_peak(detuning_m, fwhm_m=fwhm_m, fsr_m=fsr_m)


def lorentzian_peak(detuning_m, *, fwhm_m, fsr_m):
    """Airy peak ``1/(1 + F·sin²(πδ/FSR))`` normalised to 1 on resonance, ½ at ±FWHM/2.

    Parameters
    ----------
    detuning_m : float or array_like
        Offset from resonance, metres.
    fwhm_m : float or array_like
        Full width at half maximum, metres.
    fsr_m : float or array_like
        Free spectral range, metres.
    """
    sine = np.sin(np.pi * np.asarray(detuning_m) / fsr_m)
    return 1.0 / (1.0 + airy_coefficient(fwhm_m=fwhm_m, fsr_m=fsr_m) * sine * sine)


__all__ = [
    "airy_coefficient",
    "airy_fwhm_m",
    "lorentzian_dip",
    "lorentzian_peak",
]
