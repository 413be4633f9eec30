"""Fit measured ring spectra with the full ring model, many resonances at once.

Pipeline per trace: envelope (:mod:`~cposim.photonics.measure.baseline`) → dips, FSR and group
index (:mod:`~cposim.photonics.measure.resonances`) → one window of ``±window_fwhm`` linewidths
per resonance (never past half an FSR) → Levenberg-Marquardt on the through-port model of
:mod:`~cposim.photonics.measure._kernels` for every window of every trace in one parallel
kernel, twice (the second time with n_g·L measured from the first pass's resonance wavelengths)
→ ring parameters with uncertainties (delta method on the fit covariance
``s²·(JᵀJ)⁻¹``) and flags.

Under- and over-coupling
------------------------
The through port of an all-pass ring is symmetric in ``a ↔ r``: one trace gives ``p = r·a``
and ``|r - a|`` and two solutions, under-coupled (``a < r``) and over-coupled (``a > r``),
both reported. ``coupling`` resolves them: "under" or "over" (a user's knowledge of the
design), "shared-loss" (a family of rings with different gaps, fitted together, sharing one
propagation loss: each ring takes the branch whose loss agrees with the family's), or None
(reported as unresolved; the under-coupled branch fills the primary columns). An add-drop
ring's through port gives ``p = r1·r2·a`` and ``|r1 - r2·a|``; with ``drop_coupling =
"symmetric"`` (``r1 = r2``) the solution is unique, with a known drop κ² it is a pair again,
of which the one needing ``a > 1`` is discarded.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.signal import find_peaks, peak_widths

from cposim.control.core.validation import check_choice, check_range
from cposim.photonics.measure import _kernels, _reference
from cposim.photonics.measure.baseline import fit_baseline
from cposim.photonics.measure.resonances import MIN_POINTS_PER_FWHM, find_resonances, remeasure
from cposim.photonics.measure.result import ResonanceFits, SpectrumFit
from cposim.photonics.measure.traces import SpectrumTrace

COUPLING_CHOICES = (None, "under", "over", "shared-loss")
"""How the under/over-coupling ambiguity is resolved (see the module docstring)."""


class _Windows(NamedTuple):
    """Resonance windows padded to one length, the input of the fitting kernels.

    ``wavelength_m`` and ``data`` (baseline-removed linear transmission) have shape
    ``(n_windows, max_points)`` with ``count`` valid points per row; ``centre_m`` (window
    centre), ``scale_m`` (unit of the centre offset: the linewidth estimate), ``half_span_m``
    and ``phase_length_m`` (``n_g·L``) are per window, metres.
    """

    wavelength_m: np.ndarray
    data: np.ndarray
    count: np.ndarray
    centre_m: np.ndarray
    scale_m: np.ndarray
    half_span_m: np.ndarray
    phase_length_m: np.ndarray


FIT_ENGINES = {"numba": _kernels.fit_windows, "scipy": _reference.fit_windows}
"""Implementations of the window fits: the parallel Numba kernel and its SciPy reference."""


def fit_spectrum(
    trace: SpectrumTrace,
    *,
    ring_length_m: float | None = None,
    coupling: str | None = None,
    drop_coupling=None,
    neff_hint: float | None = None,
    group_index_hint: float | None = None,
    engine: str = "numba",
) -> SpectrumFit:
    """Fit every resonance of one trace (:func:`fit_spectra` with its other defaults).

    Parameters
    ----------
    trace : SpectrumTrace
        The measured trace.
    ring_length_m : float, optional
        Round-trip length, metres.
    coupling : {None, "under", "over", "shared-loss"}
        Resolution of the coupling ambiguity.
    drop_coupling : None, "symmetric" or float
        Add-drop assumption (κ², dimensionless, when a number).
    neff_hint, group_index_hint : float, optional
        Effective and group index hints (dimensionless).
    engine : {"numba", "scipy"}
        Fit implementation.
    """
    return fit_spectra(
        [trace],
        ring_length_m=ring_length_m,
        coupling=coupling,
        drop_coupling=drop_coupling,
        neff_hint=neff_hint,
        group_index_hint=group_index_hint,
        engine=engine,
    )[0]


def fit_spectra(
    traces,
    *,
    ring_length_m: float | None = None,
    coupling: str | None = None,
    drop_coupling=None,
    neff_hint: float | None = None,
    group_index_hint: float | None = None,
    baseline_degree: int = 3,
    min_depth_db: float = 0.5,
    window_fwhm: float = 4.0,
    engine: str = "numba",
    max_iterations: int = 200,
    tolerance: float = 1e-10,
) -> tuple[SpectrumFit, ...]:
    """Fit every resonance of every trace (one ring per trace) in one batched kernel call.

    Parameters
    ----------
    traces : sequence of SpectrumTrace
        Measured traces (:func:`~cposim.photonics.measure.traces.read_spectra`).
    ring_length_m : float, optional
        Round-trip length ``2πR + 2·straight`` in metres; needed for n_g, loss in dB/m and the
        returned :class:`~cposim.photonics.devices.ring.Ring` objects.
    coupling : {None, "under", "over", "shared-loss"}
        How to resolve the under/over-coupling ambiguity (module docstring).
    drop_coupling : None, "symmetric" or float
        None for an all-pass ring; for an add-drop ring measured at its through port,
        "symmetric" (``κ2² = κ1²``) or the drop coupler's κ² (0…1).
    neff_hint, group_index_hint : float, optional
        As :func:`~cposim.photonics.measure.resonances.find_resonances`.
    baseline_degree : int
        Degree of the dB envelope (:func:`~cposim.photonics.measure.baseline.fit_baseline`).
    min_depth_db : float
        Smallest dip taken as a resonance, dB.
    window_fwhm : float
        Half width of each fit window in linewidths (1…50). Default 4 (≈ 94 % of the dip's
        area; about 200 points at 25 points per linewidth).
    engine : {"numba", "scipy"}
        :data:`FIT_ENGINES` entry.
    max_iterations : int
        Levenberg-Marquardt step limit per resonance.
    tolerance : float
        Relative parameter change that ends the iteration.

    Returns
    -------
    tuple of SpectrumFit
        One per trace.
    """
    if coupling not in COUPLING_CHOICES:
        allowed = ", ".join(map(repr, COUPLING_CHOICES))
        raise ValueError(f"coupling = {coupling!r} is not allowed; choose one of {allowed}")
    window_fwhm = float(check_range("window_fwhm", window_fwhm, low=1.0, high=50.0))
    run = FIT_ENGINES[check_choice("engine", engine, FIT_ENGINES)]
    drop = _drop_self_coupling(drop_coupling)
    prepared = []
    for trace in traces:
        baseline = fit_baseline(trace, degree=baseline_degree)
        found = find_resonances(
            trace,
            baseline,
            ring_length_m=ring_length_m,
            group_index_hint=group_index_hint,
            neff_hint=neff_hint,
            min_depth_db=min_depth_db,
        )
        if np.all(found.points_per_fwhm < MIN_POINTS_PER_FWHM):
            raise ValueError(
                f"trace {trace.name!r}: every resonance spans fewer than {MIN_POINTS_PER_FWHM} "
                f"points per linewidth (step {trace.step_m * 1e12:.3g} pm, narrowest FWHM "
                f"≈ {found.fwhm_m.min() * 1e12:.3g} pm); measure with a finer step"
            )
        prepared.append((trace, baseline, found, _bounds(trace, found, window_fwhm)))
    windows, starts = _windows(prepared)
    n = windows.count.size
    theta = _start(windows)
    covariance = np.empty((n, _kernels.N_PARAMETERS, _kernels.N_PARAMETERS))
    rss = np.empty(n)
    iterations = np.empty(n, dtype=np.int64)
    status = np.empty(n, dtype=np.int64)
    run(windows, theta, covariance, rss, iterations, status, max_iterations, tolerance)
    # Second pass: n_g·L from the fitted wavelengths instead of the sampled dip minima.
    prepared, windows = _remeasured(prepared, windows, theta, starts)
    run(windows, theta, covariance, rss, iterations, status, max_iterations, tolerance)
    theta[:, 2] = np.abs(theta[:, 2])
    fits = ResonanceFits.from_parameters(
        windows, theta, covariance, rss, iterations, status, drop_self_coupling=drop
    )
    fits = fits.resolved(coupling)
    results = []
    for (trace, baseline, found, bounds), start in zip(prepared, starts, strict=True):
        rows = slice(start, start + len(found))
        part = fits.take(rows)
        flags = _flags(baseline, found, windows.data[rows], windows.count[rows], part)
        results.append(SpectrumFit(trace, baseline, found, bounds, part.with_flags(flags)))
    return tuple(results)


def _drop_self_coupling(drop_coupling):
    """None (all-pass), "symmetric" or the drop coupler's self-coupling r2."""
    if drop_coupling is None or drop_coupling == "symmetric":
        return drop_coupling
    kappa2 = float(check_range("drop_coupling", drop_coupling, low=0.0, high=1.0))
    return float(np.sqrt(1.0 - kappa2))


def _bounds(trace, found, window_fwhm) -> np.ndarray:
    """``(start, stop)`` sample indices of each resonance's window."""
    lam = trace.wavelength_m
    half = np.minimum(window_fwhm * found.fwhm_m, 0.45 * found.fsr_m)
    start = np.searchsorted(lam, found.wavelength_m - half)
    stop = np.searchsorted(lam, found.wavelength_m + half, side="right")
    return np.stack([start, stop], axis=1)


def _windows(prepared) -> tuple[_Windows, list[int]]:
    counts = np.concatenate([np.diff(b, axis=1)[:, 0] for *_, b in prepared])
    width = int(counts.max())
    n = counts.size
    lam = np.ones((n, width))
    data = np.ones((n, width))
    centre, scale, half_span, phase_length = (np.empty(n) for _ in range(4))
    starts, row = [], 0
    for trace, baseline, found, bounds in prepared:
        starts.append(row)
        normalised = trace.transmission / baseline.envelope(trace.wavelength_m)
        for k, (lo, hi) in enumerate(bounds):
            segment = trace.wavelength_m[lo:hi]
            lam[row, : hi - lo] = segment
            data[row, : hi - lo] = normalised[lo:hi]
            centre[row] = found.wavelength_m[k]
            scale[row] = found.fwhm_m[k]
            half_span[row] = 0.5 * (segment[-1] - segment[0])
            phase_length[row] = found.phase_length_m[k]
            row += 1
    return _Windows(lam, data, counts, centre, scale, half_span, phase_length), starts


def _remeasured(prepared, windows: _Windows, theta, starts):
    """Traces and windows with each trace's phase length from its fitted wavelengths."""
    fitted = windows.centre_m + windows.scale_m * theta[:, 0]
    phase_length = windows.phase_length_m.copy()
    updated = []
    for (trace, baseline, found, bounds), start in zip(prepared, starts, strict=True):
        rows = slice(start, start + len(found))
        found = remeasure(found, fitted[rows], trace.name)
        phase_length[rows] = found.phase_length_m
        updated.append((trace, baseline, found, bounds))
    return updated, windows._replace(phase_length_m=phase_length)


def _start(windows: _Windows) -> np.ndarray:
    """Starting parameters from each window's depth, level and linewidth estimate."""
    n = windows.count
    column = np.arange(windows.data.shape[1])
    edge = np.maximum(n // 10, 1)[:, None]
    valid = column < n[:, None]
    head = column < edge
    tail = (column >= n[:, None] - edge) & valid
    level = 0.5 * (
        np.sum(windows.data * head, axis=1) / edge[:, 0]
        + np.sum(windows.data * tail, axis=1) / edge[:, 0]
    )
    half_cycles = 0.5 * windows.scale_m * windows.phase_length_m / windows.centre_m**2
    sine = np.sin(np.pi * np.minimum(half_cycles, 0.25))
    p = (np.sqrt(sine * sine + 1.0) - sine) ** 2
    lowest = np.min(np.where(valid, windows.data, np.inf), axis=1)
    minimum = np.clip(lowest / level, 0.0, 1.0)
    theta = np.zeros((n.size, _kernels.N_PARAMETERS))
    theta[:, 1], theta[:, 2], theta[:, 3] = p, np.sqrt(minimum) * (1.0 - p), level
    return theta


def _flags(baseline, found, data, count, fits) -> list[str]:
    """Per-resonance flags: undersampled, not converged, poor fit (reduced χ² > 4), split (two
    dips of 5 noise σ or 10 % of the depth), depth unresolved
    (``e = |r1 - r2·a|`` within 2σ of 0: near critical coupling the dip's floor, not the fit,
    bounds the extinction), asymmetric (half widths differing by > 1.6×); the thresholds are
    assumptions. ``data`` and ``count`` are the resonances' windows."""
    noise = np.log(10.0) / 10.0 * baseline.noise_db
    flags = []
    for k, n in enumerate(count):
        marks = []
        if found.points_per_fwhm[k] < MIN_POINTS_PER_FWHM:
            marks.append("undersampled")
        if fits.status[k] != _kernels.CONVERGED:
            marks.append("not_converged")
        sigma = noise * fits.level[k]
        if sigma > 0 and fits.reduced_chi2(k, sigma) > 4.0:
            marks.append("poor_fit")
        dip = 1.0 - data[k, :n] / fits.level[k]
        depth = 1.0 - fits.through_minimum[k]
        dips, _ = find_peaks(dip, prominence=max(5.0 * noise, 0.1 * depth))
        if dips.size >= 2:
            marks.append("split")
        if fits.depth_unresolved[k]:
            marks.append("depth_unresolved")
        centre = int(np.argmax(dip))
        _, _, left, right = peak_widths(dip, [centre], rel_height=0.5)
        half_left, half_right = centre - left[0], right[0] - centre
        if min(half_left, half_right) > 0 and max(half_left, half_right) > 1.6 * min(
            half_left, half_right
        ):
            marks.append("asymmetric")
        flags.append(",".join(marks))
    return flags


__all__ = [
    "COUPLING_CHOICES",
    "FIT_ENGINES",
    "fit_spectra",
    "fit_spectrum",
]
