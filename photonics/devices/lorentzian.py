"""The periodic Lorentzian (Airy) form of an all-pass ring: dip and peak from linewidth, depth
and FSR, the compact ring description the link budget and the yield engine use."""

from __future__ import annotations

import numpy as np


def lorentzian_dip(detuning_m, *, fwhm_m, min_transmission, fsr_m):
    """Through-port power transmission of an all-pass ring as a periodic Lorentzian (0…1).

    ``T(δ) = 1 - (1 - T_min)/(1 + (2F/π)²·sin²(πδ/FSR))`` with finesse ``F = FSR/FWHM``: the Airy
    function of a ring parameterised by its linewidth and depth, which tends to
    ``1 - (1 - T_min)/(1 + (2δ/FWHM)²)`` near resonance (Bahadori et al., JLT 34(13), 2016).

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
    """Periodic Lorentzian ``1/(1 + (2F/π)²·sin²(πδ/FSR))`` normalised to 1 on resonance.

    Parameters
    ----------
    detuning_m : float or array_like
        Offset from resonance, metres.
    fwhm_m : float or array_like
        Full width at half maximum, metres.
    fsr_m : float or array_like
        Free spectral range, metres.
    """
    finesse_term = 2.0 * np.asarray(fsr_m) / (np.pi * np.asarray(fwhm_m))
    return 1.0 / (1.0 + (finesse_term * np.sin(np.pi * np.asarray(detuning_m) / fsr_m)) ** 2)


__all__ = [
    "lorentzian_dip",
    "lorentzian_peak",
]
