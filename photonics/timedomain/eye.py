"""Eye diagrams and what is read off them: levels, RLM, OMA, ER, eye heights and widths, SER.

An eye is read at the sampling phase where the smallest of the ``M - 1`` eyes is most open.
Level ``m``'s mean and spread are taken over the symbols sent at level ``m`` at that phase; the
thresholds are midway between neighbouring means.

- **RLM**, the level separation mismatch ratio of IEEE Std 802.3-2022 clause 120D.3.1.2:
  ``ES1 = (P1 - P_mid)/(P0 - P_mid)``, ``ES2 = (P2 - P_mid)/(P3 - P_mid)``,
  ``P_mid = (P0 + P3)/2``, ``RLM = min(3·ES1, 3·ES2, 2 - 3·ES1, 2 - 3·ES2)`` (1 for equally
  spaced levels).
- **Outer OMA** ``P3 - P0`` and **ER** ``10·log10(P3/P0)`` from the level means.
- **Eye height** of eye ``k`` at a symbol error ratio target: ``(μ_{k+1} - Q·σ_{k+1}) -
  (μ_k + Q·σ_k)`` with ``σ`` the Gaussian noise added to the samples' own spread and ``Q`` the
  Gaussian quantile of the target; the **inner** height (``Q·σ = 0``) is the worst-case
  opening of the samples themselves.
- **Eye width** of eye ``k``: the span of sampling phases over which every sample of the upper
  level lies above the threshold and every sample of the lower level below it (worst case,
  interpolated between phases), UI.
- **Statistical SER**: each sample ``y`` of level ``m`` errs with probability
  ``Q((y - θ_{m-1})/σ) + Q((θ_m - y)/σ)`` (the terms that exist); averaged over the pattern.
  BER of Gray-coded PAM4 is SER/2 (a symbol error is, to first order, one wrong bit of two).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from cposim.control.core.validation import check_range
from cposim.photonics.timedomain.waveform import Waveform


def _q(x):
    """Gaussian tail probability ``Q(x)``."""
    return 0.5 * special.erfc(np.asarray(x) / np.sqrt(2.0))


def symbol_error_ratio(
    waveform: Waveform, *, noise_sigma, phase: int | None = None, thresholds=None
) -> float:
    """Statistical symbol error ratio at one phase with Gaussian noise added to every sample.

    Parameters
    ----------
    waveform : Waveform
        Noiseless (or partly noisy) samples.
    noise_sigma : float or array_like
        Rms noise added at the decision, in the waveform's unit (≥ 0); one value, or one per
        level (signal-dependent noise).
    phase : int, optional
        Sample index within the symbol; default :meth:`Waveform.best_phase`.
    thresholds : array_like, optional
        The ``M - 1`` decision thresholds; default midway between the level means.
    """
    k = waveform.best_phase() if phase is None else int(phase)
    levels = waveform.levels
    sigma = np.broadcast_to(check_range("noise_sigma", noise_sigma, low=0.0), (levels,))
    theta = _thresholds(waveform, k) if thresholds is None else np.asarray(thresholds, float)
    y = waveform.by_symbol[:, k]
    m = waveform.symbols
    s = np.maximum(sigma[m], 1e-300)
    p = np.zeros(y.size)
    below = m > 0
    p[below] += _q((y[below] - theta[m[below] - 1]) / s[below])
    above = m < levels - 1
    p[above] += _q((theta[m[above]] - y[above]) / s[above])
    return float(p.mean())


@dataclass(frozen=True, kw_only=True)
class StatisticalEye:
    """Symbol error ratio over sampling phase and decision threshold with Gaussian noise.

    Parameters
    ----------
    ser : ndarray, shape (amplitudes, phases)
        At each threshold (inside the eye it belongs to: between two neighbouring level means)
        and phase, the SER contributed by that eye, fraction; NaN outside every eye.
    amplitude : ndarray
        Threshold grid, in :attr:`unit`.
    time_ui : ndarray
        Sampling phases, UI from the eye's sampling phase (−0.5 … 0.5).
    unit : str
        Unit of the amplitudes.
    noise_sigma : ndarray
        Noise added to each level, in :attr:`unit`.
    """

    ser: np.ndarray
    amplitude: np.ndarray
    time_ui: np.ndarray
    unit: str
    noise_sigma: np.ndarray

    def plot(self, ax=None, *, levels=(1e-2, 1e-3, 1e-4, 1e-6, 1e-9, 1e-12)):
        """SER contours over phase and threshold; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        levels : sequence of float
            SER values of the contour lines (fractions).
        """
        from cposim.photonics.timedomain.plot import plot_statistical_eye

        return plot_statistical_eye(self, ax=ax, levels=levels)


def statistical_eye(waveform: Waveform, *, noise_sigma, amplitude_points: int = 200):
    """The statistical eye: each sample convolved with Gaussian noise, SER mapped over phase
    and threshold (the contours are the eye's "BER contours"; a vertical cut is a bathtub).

    At phase ``t`` and threshold ``θ`` between the means of levels ``m`` and ``m + 1``, the
    SER is ``(1/N)·[Σ_{level m} Q((θ - y)/σ_m) + Σ_{level m+1} Q((y - θ)/σ_{m+1})]`` over the
    N symbols of the pattern; at the eye's threshold and phase it is that eye's share of
    :func:`symbol_error_ratio`.

    Parameters
    ----------
    waveform : Waveform
        Noiseless samples.
    noise_sigma : float or array_like
        Rms noise at the decision, in the waveform's unit (> 0); one value or one per level.
    amplitude_points : int
        Threshold grid points from the lowest to the highest level mean (≥ 10).
    """
    check_range("amplitude_points", amplitude_points, low=10, high=5000)
    levels = waveform.levels
    sigma = np.broadcast_to(
        check_range("noise_sigma", noise_sigma, low=0.0, low_inclusive=False), (levels,)
    )
    sps = waveform.samples_per_symbol
    phase = waveform.best_phase()
    order = (np.arange(sps) + phase - sps // 2) % sps  # the eye's phase at the centre
    by = waveform.by_symbol[:, order]
    means = waveform.mean_levels(phase=phase)
    theta = np.linspace(means[0], means[-1], int(amplitude_points))
    ser = np.full((theta.size, sps), np.nan)
    n = waveform.symbols.size
    for m in range(levels - 1):
        inside = (theta >= means[m]) & (theta <= means[m + 1])
        low = by[waveform.symbols == m]  # (samples, phases)
        high = by[waveform.symbols == m + 1]
        t = theta[inside, None, None]
        ser[inside] = (
            _q((t - low[None]) / sigma[m]).sum(axis=1)
            + _q((high[None] - t) / sigma[m + 1]).sum(axis=1)
        ) / n
    return StatisticalEye(
        ser=ser,
        amplitude=theta,
        time_ui=(np.arange(sps) - sps // 2) / sps,
        unit=waveform.unit,
        noise_sigma=np.array(sigma),
    )


def count_errors(waveform: Waveform, *, phase: int | None = None, thresholds=None):
    """Symbol decisions of a noisy waveform and their errors, counted.

    Parameters
    ----------
    waveform : Waveform
        Noisy samples.
    phase : int, optional
        Sample index within the symbol; default :meth:`Waveform.best_phase`.
    thresholds : array_like, optional
        The ``M - 1`` decision thresholds; default midway between the level means.

    Returns
    -------
    dict
        ``decisions`` (level per symbol), ``symbol_errors``, ``bit_errors`` (Gray-coded bits
        for PAM4), ``symbols``, ``ser`` and ``ber`` (fractions).
    """
    from cposim.photonics.timedomain.patterns import pam4_bits

    k = waveform.best_phase() if phase is None else int(phase)
    theta = _thresholds(waveform, k) if thresholds is None else np.asarray(thresholds, float)
    decisions = np.searchsorted(theta, waveform.by_symbol[:, k]).astype(np.uint8)
    sent = waveform.symbols.astype(np.uint8)
    if waveform.levels == 4:
        bit_errors = int(np.count_nonzero(pam4_bits(decisions) != pam4_bits(sent)))
        bits = 2 * sent.size
    else:
        bit_errors = int(np.count_nonzero(decisions != sent))
        bits = sent.size
    symbol_errors = int(np.count_nonzero(decisions != sent))
    return {
        "decisions": decisions,
        "symbol_errors": symbol_errors,
        "bit_errors": bit_errors,
        "symbols": sent.size,
        "ser": symbol_errors / sent.size,
        "ber": bit_errors / bits,
    }


def equalise(waveform: Waveform, *, taps: int = 5, precursors: int = 1, phase: int | None = None):
    """A symbol-spaced feed-forward equaliser fitted by least squares, applied to the waveform.

    The taps ``c`` (and an offset) minimise ``Σ_k (Σ_j c_j·x_{k-j+pre} + b - L(s_k))²`` at the
    sampling phase, ``L`` the level means of the unequalised waveform there (so the equaliser
    removes ISI without moving the levels); the same taps then act on every sample, shifting
    the waveform by whole symbols, so the result is again a waveform with an eye.

    Parameters
    ----------
    waveform : Waveform
        Samples to equalise (noiseless for a penalty, noisy for a receiver).
    taps : int
        Number of taps (≥ 1; 1 is a gain and offset only).
    precursors : int
        Taps before the main cursor (0 … taps-1).
    phase : int, optional
        Sample index within the symbol the taps are fitted at; default the phase at which the
        equalised smallest eye (worst case) is largest.

    Returns
    -------
    tuple
        ``(Waveform, taps)``: the equalised waveform and the tap weights (dimensionless, main
        cursor at index ``precursors``).
    """
    check_range("taps", taps, low=1, high=64)
    check_range("precursors", precursors, low=0, high=taps - 1)
    phases = range(waveform.samples_per_symbol) if phase is None else [int(phase)]
    best = None
    for k in phases:
        weights, offset = _ffe_fit(waveform, k, int(taps), int(precursors))
        column = _apply_ffe(waveform.by_symbol[:, k], weights, precursors) + offset
        inner = min(
            column[waveform.symbols == m + 1].min() - column[waveform.symbols == m].max()
            for m in range(waveform.levels - 1)
        )
        if best is None or inner > best[0]:
            best = (inner, weights, offset)
    _, weights, offset = best
    by = waveform.by_symbol
    out = np.empty_like(by)
    for s in range(waveform.samples_per_symbol):
        out[:, s] = _apply_ffe(by[:, s], weights, precursors) + offset
    return waveform.with_samples(
        out.ravel(), quantity=waveform.quantity, unit=waveform.unit
    ), weights


def _ffe_fit(waveform: Waveform, phase: int, taps: int, precursors: int):
    x = waveform.by_symbol[:, phase]
    columns = [np.roll(x, j - precursors) for j in range(taps)]  # tap j sees x_{k-j+pre}
    design = np.column_stack([*columns, np.ones_like(x)])
    target = waveform.mean_levels(phase=phase)[waveform.symbols]
    solution = np.linalg.lstsq(design, target, rcond=None)[0]
    return solution[:taps], solution[taps]


def _apply_ffe(x, weights, precursors):
    return sum(w * np.roll(x, j - precursors) for j, w in enumerate(weights))


def _thresholds(waveform: Waveform, phase: int) -> np.ndarray:
    means = waveform.mean_levels(phase=phase)
    return 0.5 * (means[1:] + means[:-1])


def rlm(level_means) -> float:
    """Level separation mismatch ratio (IEEE 802.3 clause 120D.3.1.2) of four levels.

    Parameters
    ----------
    level_means : array_like, shape (4,)
        Mean of each level, ascending (any unit).
    """
    p0, p1, p2, p3 = np.asarray(level_means, dtype=np.float64)
    mid = 0.5 * (p0 + p3)
    es1 = (p1 - mid) / (p0 - mid)
    es2 = (p2 - mid) / (p3 - mid)
    return float(min(3.0 * es1, 3.0 * es2, 2.0 - 3.0 * es1, 2.0 - 3.0 * es2))


@dataclass(frozen=True, kw_only=True)
class EyeDiagram:
    """An eye: the folded 2-D histogram and the metrics read off it.

    Parameters
    ----------
    histogram : ndarray, shape (amplitude_bins, time_bins)
        Sample counts over two unit intervals.
    amplitude_edges : ndarray
        Bin edges of the amplitude axis, in :attr:`unit`.
    time_edges_ui : ndarray
        Bin edges of the time axis, UI (−1 … 1, 0 at the sampling phase).
    unit : str
        Unit of the amplitudes (``"W"`` or ``"A"``).
    phase : int
        Sampling phase (sample index within the symbol).
    level_means, level_sigmas : ndarray
        Mean and standard deviation of each level at the phase, in :attr:`unit`.
    thresholds : ndarray
        Decision thresholds, in :attr:`unit`.
    inner_heights : ndarray
        Worst-case opening of each eye at the phase, in :attr:`unit` (negative if closed).
    widths_ui : ndarray
        Worst-case width of each eye at its threshold, UI.
    """

    histogram: np.ndarray
    amplitude_edges: np.ndarray
    time_edges_ui: np.ndarray
    unit: str
    phase: int
    level_means: np.ndarray
    level_sigmas: np.ndarray
    thresholds: np.ndarray
    inner_heights: np.ndarray
    widths_ui: np.ndarray

    @property
    def outer_oma(self) -> float:
        """Outer optical (or electrical) modulation amplitude ``P_top - P_bottom``, in unit."""
        return float(self.level_means[-1] - self.level_means[0])

    @property
    def extinction_ratio_db(self) -> float:
        """``10·log10(P_top/P_bottom)``, dB."""
        return float(10.0 * np.log10(self.level_means[-1] / self.level_means[0]))

    @property
    def rlm(self) -> float:
        """Level separation mismatch ratio (1 for NRZ)."""
        return rlm(self.level_means) if self.level_means.size == 4 else 1.0

    def heights(self, *, noise_sigma: float = 0.0, target_ser: float = 4.8e-4) -> np.ndarray:
        """Eye heights with Gaussian noise at a symbol-error target, in :attr:`unit`.

        Parameters
        ----------
        noise_sigma : float
            Rms noise added to each level's own spread, in unit (≥ 0).
        target_ser : float
            Probability of each edge of the eye, in (0, 0.5); default 4.8e-4 (the TDECQ SER
            target, IEEE 802.3 clause 121.8.5.3).
        """
        check_range("target_ser", target_ser, low=0.0, high=0.5, low_inclusive=False)
        q = -special.ndtri(target_ser)
        spread = np.sqrt(
            self.level_sigmas**2 + check_range("noise_sigma", noise_sigma, low=0.0) ** 2
        )
        return (self.level_means[1:] - q * spread[1:]) - (self.level_means[:-1] + q * spread[:-1])

    def to_dataframe(self):
        """One row per eye: threshold, inner height, width (and the levels below and above)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "eye": np.arange(self.thresholds.size),
                f"lower_level_{self.unit.lower()}": self.level_means[:-1],
                f"upper_level_{self.unit.lower()}": self.level_means[1:],
                f"threshold_{self.unit.lower()}": self.thresholds,
                f"inner_height_{self.unit.lower()}": self.inner_heights,
                "width_ui": self.widths_ui,
            }
        )

    def plot(self, ax=None):
        """Draw the eye (density image) with thresholds and the sampling phase; returns Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.timedomain.plot import plot_eye

        return plot_eye(self, ax=ax)


def eye_diagram(waveform: Waveform, *, amplitude_bins: int = 200, phase: int | None = None):
    """The eye of a waveform over two unit intervals centred on the sampling phase.

    Parameters
    ----------
    waveform : Waveform
        Samples (noisy or not).
    amplitude_bins : int
        Bins of the amplitude axis (≥ 10). Default 200.
    phase : int, optional
        Sampling phase (sample index within the symbol); default :meth:`Waveform.best_phase`.
    """
    check_range("amplitude_bins", amplitude_bins, low=10, high=10_000)
    sps = waveform.samples_per_symbol
    k = waveform.best_phase() if phase is None else int(phase)
    by = waveform.by_symbol
    sym = waveform.symbols
    levels = waveform.levels
    column = by[:, k]
    means = waveform.mean_levels(phase=k)
    sigmas = np.array([column[sym == m].std() for m in range(levels)])
    thresholds = 0.5 * (means[1:] + means[:-1])
    inner = np.array(
        [column[sym == m + 1].min() - column[sym == m].max() for m in range(levels - 1)]
    )
    widths = _eye_widths(by, sym, thresholds, k)
    # fold: times from -1 UI to +1 UI around the phase, one sample per bin column
    shifted = np.roll(waveform.samples, -(waveform.delay_samples + k - sps))
    traces = shifted[: (sym.size - 1) * sps].reshape(-1, sps)
    traces = np.concatenate([traces[:-1], traces[1:]], axis=1)  # two UI per row
    lo, hi = waveform.samples.min(), waveform.samples.max()
    pad = 0.05 * (hi - lo + 1e-300)
    edges = np.linspace(lo - pad, hi + pad, int(amplitude_bins) + 1)
    idx = np.clip(np.searchsorted(edges, traces, side="right") - 1, 0, amplitude_bins - 1)
    hist = np.zeros((amplitude_bins, 2 * sps))
    np.add.at(hist, (idx, np.broadcast_to(np.arange(2 * sps), idx.shape)), 1.0)
    return EyeDiagram(
        histogram=hist,
        amplitude_edges=edges,
        time_edges_ui=(np.arange(2 * sps + 1) - sps - 0.5) / sps,
        unit=waveform.unit,
        phase=k,
        level_means=means,
        level_sigmas=sigmas,
        thresholds=thresholds,
        inner_heights=inner,
        widths_ui=widths,
    )


def _eye_widths(by, sym, thresholds, phase) -> np.ndarray:
    """Worst-case width of each eye at its threshold over the phases of one symbol, UI."""
    sps = by.shape[1]
    order = (np.arange(sps) - phase + sps // 2) % sps  # put the phase at the centre
    cols = np.argsort(order)
    widths = []
    for m, theta in enumerate(thresholds):
        margin = np.minimum(
            by[sym == m + 1][:, cols].min(axis=0) - theta, theta - by[sym == m][:, cols].max(axis=0)
        )
        open_ = margin > 0.0
        if not open_.any():
            widths.append(0.0)
            continue
        centre = sps // 2
        left, right = centre, centre
        while left > 0 and open_[left - 1]:
            left -= 1
        while right < sps - 1 and open_[right + 1]:
            right += 1
        # interpolated crossings on each side; open up to the last phase: half a sample more
        width = right - left
        width += margin[left] / (margin[left] - margin[left - 1]) if left > 0 else 0.5
        width += margin[right] / (margin[right] - margin[right + 1]) if right < sps - 1 else 0.5
        widths.append(width / sps if open_[centre] else 0.0)
    return np.array(widths)


__all__ = [
    "EyeDiagram",
    "StatisticalEye",
    "count_errors",
    "equalise",
    "eye_diagram",
    "rlm",
    "statistical_eye",
    "symbol_error_ratio",
]
