"""Resonance dips of a trace, the free spectral range between them and the group index.

Dips are prominences of the baseline-removed trace in dB (:func:`scipy.signal.find_peaks`) at
least ``min_depth_db`` deep and ``5·noise`` above the envelope's noise, no closer than
``fsr_guard`` of the median spacing (so a split doublet counts once). Between neighbouring
resonances ``1/λ_k - 1/λ_{k+1} = n_k/(n_g·L)`` for ``n_k`` free spectral ranges (``n_k > 1``
where a resonance was too shallow to find), exact for a group index constant over the interval;
``P = n_g·L`` is fitted as a straight line in λ through the interval midpoints, which gives
FSR(λ) = λ²/P, n_g(λ) = P/L for a ring of round-trip length ``L`` and the dispersion dn_g/dλ.
The resonance order ``m = n_eff·L/λ`` needs the effective index, which a spectrum does not
carry: give ``neff_hint`` (the order is then rounded from it; any n_eff within ±λ/(2L) of the
truth gives the right order).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.signal import find_peaks, peak_prominences, peak_widths

from cposim.control.core.validation import check_range
from cposim.photonics.measure.baseline import Baseline
from cposim.photonics.measure.traces import SpectrumTrace
from cposim.photonics.units import db_to_linear

MIN_POINTS_PER_FWHM = 4
"""Fewer samples across a linewidth leave Q unmeasurable: such resonances are flagged
(assumption: four samples fix a Lorentzian's width to a few per cent at low noise)."""


@dataclass(frozen=True)
class Resonances:
    """Resonances found in one trace (arrays, one entry per resonance, increasing λ).

    Parameters
    ----------
    index : ndarray of int
        Sample index of each dip's minimum.
    wavelength_m, fwhm_m : ndarray
        Estimates from the data (minimum, width at half depth), metres; starting points of the
        fit.
    depth_db : ndarray
        Prominence of each dip, dB.
    points_per_fwhm : ndarray
        Samples across the linewidth estimate.
    phase_length_m : ndarray
        ``P = n_g·L`` at each resonance, metres (from the FSR fit).
    fsr_m : ndarray
        Free spectral range ``λ²/P`` at each resonance, metres.
    group_index : ndarray
        ``P/L`` (NaN without ``ring_length_m``).
    order : ndarray
        Resonance order (NaN without ``neff_hint``).
    group_index_slope_per_m : float
        dn_g/dλ from the FSR fit, 1/m (NaN with fewer than three intervals or no ring length).
    ring_length_m : float
        Round-trip length used, metres (NaN if not given).
    """

    index: np.ndarray
    wavelength_m: np.ndarray
    fwhm_m: np.ndarray
    depth_db: np.ndarray
    points_per_fwhm: np.ndarray
    phase_length_m: np.ndarray
    fsr_m: np.ndarray
    group_index: np.ndarray
    order: np.ndarray
    group_index_slope_per_m: float
    ring_length_m: float

    def __len__(self) -> int:
        return int(self.index.size)


def find_resonances(
    trace: SpectrumTrace,
    baseline: Baseline,
    *,
    ring_length_m: float | None = None,
    group_index_hint: float | None = None,
    neff_hint: float | None = None,
    min_depth_db: float = 0.5,
    fsr_guard: float = 0.5,
) -> Resonances:
    """Find the resonances of ``trace`` and measure FSR and group index.

    Parameters
    ----------
    trace : SpectrumTrace
        The measured trace.
    baseline : Baseline
        Its envelope (:func:`~cposim.photonics.measure.baseline.fit_baseline`).
    ring_length_m : float, optional
        Round-trip length of the ring, metres (``2πR + 2·straight``); needed for n_g, the
        order and the loss per metre.
    group_index_hint : float, optional
        Group index used when the trace holds a single resonance (no FSR to measure).
    neff_hint : float, optional
        Effective index at the trace's centre, to number the resonance orders.
    min_depth_db : float
        Smallest dip prominence taken as a resonance, dB (> 0). Default 0.5 dB (assumption:
        above typical grating-coupler ripple).
    fsr_guard : float
        Fraction of the median spacing within which only the deepest dip counts (0…1).

    Returns
    -------
    Resonances
    """
    if ring_length_m is not None:
        ring_length_m = float(
            check_range("ring_length_m", ring_length_m, low=0.0, high=0.1, low_inclusive=False)
        )
    min_depth_db = float(check_range("min_depth_db", min_depth_db, low=0.0, low_inclusive=False))
    fsr_guard = float(check_range("fsr_guard", fsr_guard, low=0.0, high=1.0))
    lam = trace.wavelength_m
    dip_db = baseline.envelope_db(lam) - trace.transmission_db
    prominence = max(min_depth_db, 5.0 * baseline.noise_db)
    peaks, _ = find_peaks(dip_db, prominence=prominence)
    if peaks.size > 1 and fsr_guard > 0:
        spacing = np.median(np.diff(peaks))
        peaks, _ = find_peaks(dip_db, prominence=prominence, distance=max(fsr_guard * spacing, 1))
    if peaks.size == 0:
        raise ValueError(
            f"trace {trace.name!r}: no resonance dip deeper than {prominence:.3g} dB "
            f"(min_depth_db = {min_depth_db}, envelope noise {baseline.noise_db:.3g} dB)"
        )
    depth = peak_prominences(dip_db, peaks)[0]
    linear_dip = 1.0 - db_to_linear(-dip_db)
    width_points = peak_widths(linear_dip, peaks, rel_height=0.5)[0]
    step = np.gradient(lam)[peaks]
    phase_length = _phase_length(trace.name, lam[peaks], ring_length_m, group_index_hint)
    length = np.nan if ring_length_m is None else ring_length_m
    group_index = phase_length / length
    order = np.full(peaks.size, np.nan)
    if neff_hint is not None:
        if ring_length_m is None:
            raise ValueError("neff_hint needs ring_length_m (the order is n_eff·L/λ)")
        order = _orders(lam[peaks], phase_length, float(neff_hint) * ring_length_m)
    return Resonances(
        index=peaks,
        wavelength_m=lam[peaks],
        fwhm_m=width_points * step,
        depth_db=depth,
        points_per_fwhm=width_points,
        phase_length_m=phase_length,
        fsr_m=lam[peaks] ** 2 / phase_length,
        group_index=group_index,
        order=order,
        group_index_slope_per_m=_slope(lam[peaks], phase_length) / length,
        ring_length_m=length,
    )


def remeasure(found: Resonances, wavelength_m, name: str = "") -> Resonances:
    """The same resonances with FSR, n_g and dispersion measured from better wavelengths.

    The dips' minima are sample positions (a 1 pm step leaves n_g uncertain by ≈ 1e-4 over a
    10 nm FSR); the fitted resonance wavelengths are not. Orders are integers and are kept.

    Parameters
    ----------
    found : Resonances
        From :func:`find_resonances`.
    wavelength_m : array_like
        Resonance wavelengths, metres, one per resonance of ``found``.
    name : str
        Trace name for error messages.
    """
    wavelength_m = np.asarray(wavelength_m, dtype=float)
    if len(found) < 2:
        return found
    phase_length = _phase_length(name, wavelength_m, None, None)
    return replace(
        found,
        phase_length_m=phase_length,
        fsr_m=wavelength_m**2 / phase_length,
        group_index=phase_length / found.ring_length_m,
        group_index_slope_per_m=_slope(wavelength_m, phase_length) / found.ring_length_m,
    )


def _phase_length(name, resonance_m, ring_length_m, group_index_hint) -> np.ndarray:
    """``P = n_g·L`` at each resonance: a line through the interval estimates, or the hint."""
    if resonance_m.size < 2:
        if group_index_hint is None or ring_length_m is None:
            raise ValueError(
                f"trace {name!r}: one resonance only, so no FSR to measure; give "
                "group_index_hint and ring_length_m"
            )
        return np.full(resonance_m.size, float(group_index_hint) * ring_length_m)
    inverse_gap = 1.0 / resonance_m[:-1] - 1.0 / resonance_m[1:]
    spans = np.rint(inverse_gap / np.median(inverse_gap))
    use = spans >= 1
    intervals = spans[use] / inverse_gap[use]
    midpoints = 0.5 * (resonance_m[:-1] + resonance_m[1:])[use]
    if intervals.size < 3:
        return np.full(resonance_m.size, intervals.mean())
    coefficients = np.polynomial.polynomial.polyfit(midpoints - midpoints.mean(), intervals, 1)
    return np.polynomial.polynomial.polyval(resonance_m - midpoints.mean(), coefficients)


def _slope(resonance_m, phase_length) -> float:
    if resonance_m.size < 4:
        return np.nan
    return float(np.polyfit(resonance_m, phase_length, 1)[0])


def _orders(resonance_m, phase_length, optical_length_hint) -> np.ndarray:
    """Orders consistent from one resonance to the next, anchored on the hint at the centre.

    Between neighbours the order drops by the number of FSRs between them.
    """
    spans = np.rint(phase_length[:-1] * (1.0 / resonance_m[:-1] - 1.0 / resonance_m[1:]))
    relative = -np.concatenate([[0.0], np.cumsum(spans)])
    centre = resonance_m.size // 2
    anchor = np.rint(optical_length_hint / resonance_m[centre])
    return anchor + relative - relative[centre]


__all__ = [
    "MIN_POINTS_PER_FWHM",
    "Resonances",
    "find_resonances",
    "remeasure",
]
