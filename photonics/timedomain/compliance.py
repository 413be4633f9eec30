"""Transmitter compliance: TDECQ (transmitter and dispersion eye closure quaternary) of PAM4.

IEEE Std 802.3-2022, 121.8.5.3 (400GBASE-FR8/LR8; reused by the other PAM4 optical clauses), with
the equaliser noise enhancement C_eq of IEEE Std 802.3cd-2018 (kept by 802.3cu-2021, 100G/lane
at 53.125 GBd; applied unchanged here to 100 GBd):

1. reference receiver: 4th-order Bessel-Thomson, 3 dB at half the signalling rate (121.8.5.2);
2. reference equaliser: T-spaced FFE (5 taps for 100G/lane), taps summing to 1 (121.8.5.4),
   chosen to minimise TDECQ;
3. two histogram windows 0.04 UI wide at T_L, T_R = eye centre ∓ 0.05 UI; the centre time is
   also chosen to minimise TDECQ (802.3bs change "TDECQ optimizing eye time centre of eye",
   IEEE 802.3 400G reflector, 1 Sep 2017);
4. thresholds P_th1,2,3 = P_ave − OMA_outer/3, P_ave, P_ave + OMA_outer/3;
5. σ_G: the receiver-input Gaussian noise at which the worse window reaches SER_t = 4.8e-4, each
   histogram convolved with the noise after the FFE, C_eq·σ_G (a sample errs across each
   adjacent threshold with probability Q(distance / (C_eq·σ_G)));
6. TDECQ = 10·log10(OMA_outer / (6·Q_t·√(σ_G² + σ_S²))), Q_t = 3.414 (SER_t = 1.5·Q(Q_t)),
   σ_S the O/E and oscilloscope noise in the waveform (121.8.5.1), and
   C_eq = √(∫|H_BT·H_FFE|² df / ∫|H_BT|² df), the FFE's rms gain for white noise behind the
   reference receiver. With σ_S = 0, TDECQ = 10·log10(C_eq) + the closure of the equalised eye
   (the split of the "TDECQ − 10·log10(C_eq)" limits of 802.3cd/cu). Limits: typically
   TDECQ ≤ 3.4 dB (DR/FR PMDs), ≤ 3.9 dB (LR).

Choices left to the instrument: OMA_outer = P3 − P0 from the settled (long-run) levels P0…P3,
which the clause measures on the pattern's runs (121.8.4) and which FFE taps summing to 1 leave
unchanged; here they come from a least-squares fit at the eye centre that works for any pattern
(the symbol's level plus linear ISI from ±8 neighbours, P_v = a_v + v·Σg: exact for a linear
transmitter). Each window is sampled at ``window_phases`` phases (band-limited interpolation of
the periodic waveform); histograms have 800 bins over P_ave ± OMA_outer (linear binning costs
≈ 0.001 dB). Search: least squares to ideal levels at the pulse peak (main-cursor position of
least residual unless set), MMSE refits at the tolerated noise σ_G, Nelder-Mead on TDECQ over
the free taps, a hill-climb of the eye centre on a window_width/window_phases grid, and the
refit and Nelder-Mead again if the centre moved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, minimize
from scipy.special import ndtr, ndtri

from cposim.control.core.validation import as_float_array, check_integer, check_range
from cposim.photonics.timedomain import _compliance_kernels as kernels
from cposim.photonics.timedomain.filters import lowpass_response

TDECQ_SER_TARGET = 4.8e-4
"""Target symbol error ratio of TDECQ (IEEE Std 802.3-2022, 121.8.5.3; KP4 FEC threshold)."""

_BINS = 800
_SPAN = 1.0  # histograms cover P_ave ± _SPAN·OMA_outer
_CENTRE_STEPS = 40  # most grid steps the eye-centre hill-climb may move
_ISI_SPAN = 8  # neighbours (each side) in the least-squares fit of the settled levels


@dataclass(frozen=True, kw_only=True)
class TdecqSettings:
    """Reference receiver and TDECQ procedure (IEEE Std 802.3-2022, 121.8.5.3 / 121.8.5.4).

    Parameters
    ----------
    ffe_taps : int
        Taps of the T-spaced reference FFE (1 … 31; 5 for 100G/lane PMDs).
    target_ser : float
        Target symbol error ratio (0 … 0.1); default :data:`TDECQ_SER_TARGET`.
    reference_bandwidth_hz : float or None
        3 dB bandwidth of the Bessel-Thomson reference receiver, Hz (> 0); None: half the
        symbol rate.
    window_width_ui : float
        Width of each histogram window, UI (0 … 0.5).
    window_separation_ui : float
        Distance between the two window centres, UI (0 … 0.9).
    scope_noise_w : float
        σ_S, rms noise of the O/E converter and oscilloscope present in the waveform, W (≥ 0).
    precursor_taps : int or None
        Position of the main cursor (number of precursor taps, 0 … ffe_taps − 1); None: the
        position with the smallest least-squares residual.
    window_phases : int
        Sampling phases per window (1 … 64).
    max_evaluations : int or None
        TDECQ evaluations allowed to each Nelder-Mead search (≥ 1); None: max(40, 5·n²) for
        n = ffe_taps − 1 free taps (80 for 5 taps, within 0.001 dB of convergence).
    """

    ffe_taps: int = 5
    target_ser: float = TDECQ_SER_TARGET
    reference_bandwidth_hz: float | None = None
    window_width_ui: float = 0.04
    window_separation_ui: float = 0.1
    scope_noise_w: float = 0.0
    precursor_taps: int | None = None
    window_phases: int = 5
    max_evaluations: int | None = None

    def __post_init__(self):
        taps = check_integer("ffe_taps", self.ffe_taps, low=1)
        check_range("ffe_taps", taps, high=31)
        check_range("target_ser", self.target_ser, low=0.0, high=0.1, low_inclusive=False)
        positive = {"low": 0.0, "low_inclusive": False}
        if self.reference_bandwidth_hz is not None:
            check_range(
                "reference_bandwidth_hz", self.reference_bandwidth_hz, **positive, allow_inf=True
            )
        check_range("window_width_ui", self.window_width_ui, high=0.5, **positive)
        check_range("window_separation_ui", self.window_separation_ui, low=0.0, high=0.9)
        check_range("scope_noise_w", self.scope_noise_w, low=0.0)
        if self.precursor_taps is not None:
            check_integer("precursor_taps", self.precursor_taps, low=0)
            check_range("precursor_taps", self.precursor_taps, high=taps - 1)
        check_range(
            "window_phases", check_integer("window_phases", self.window_phases, low=1), high=64
        )
        if self.max_evaluations is not None:
            check_integer("max_evaluations", self.max_evaluations, low=1)

    @property
    def q_t(self) -> float:
        """Q_t: Q-factor whose PAM4 SER 1.5·Q(Q_t) is the target (3.414 for 4.8e-4)."""
        return float(-ndtri(self.target_ser / 1.5))


@dataclass(frozen=True, kw_only=True, eq=False)
class TdecqResult:
    """TDECQ of one waveform, with the equalised eye behind it.

    Parameters
    ----------
    tdecq_db : float
        TDECQ, dB (inf when the equalised eye is closed).
    outer_oma_w, sigma_g_w : float
        OMA_outer and σ_G (receiver-input noise at the target SER), W.
    ceq : float
        C_eq, noise enhancement of the FFE.
    ffe_taps : ndarray
        FFE taps (sum 1), the main cursor at index ``main_tap_index``.
    main_tap_index : int
        Index of the main cursor.
    thresholds_w, levels_w : ndarray, shapes (3,), (4,)
        P_th1…3 and the settled (long-run) levels P0…P3, W.
    eye_center_ui : float
        Eye centre, UI after the start of a symbol (0 … 1).
    window_times_ui : ndarray, shape (2,)
        T_L and T_R, UI after the start of a symbol.
    ser_left, ser_right : float
        SER of each window with noise C_eq·σ_G (the worse equals the target).
    window_width_ui : float
        Width of each histogram window, UI.
    equalized_w : ndarray
        One period of the reference-receiver output after the FFE, W (``samples_per_symbol``
        samples per symbol).
    samples_per_symbol : int
        Samples per symbol of ``equalized_w``.
    """

    tdecq_db: float
    outer_oma_w: float
    sigma_g_w: float
    ceq: float
    ffe_taps: np.ndarray
    main_tap_index: int
    thresholds_w: np.ndarray
    levels_w: np.ndarray
    eye_center_ui: float
    window_times_ui: np.ndarray
    ser_left: float
    ser_right: float
    window_width_ui: float
    equalized_w: np.ndarray
    samples_per_symbol: int

    def plot(self, ax=None):
        """Equalised eye (2-D histogram over two UI) with windows and thresholds; the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.timedomain.plot import plot_tdecq

        return plot_tdecq(self, ax=ax)


def tdecq(
    samples_w,
    *,
    samples_per_symbol: int,
    symbol_rate_baud: float,
    settings: TdecqSettings | None = None,
    symbols=None,
) -> TdecqResult:
    """TDECQ of one period of a PAM4 optical waveform (IEEE Std 802.3-2022, 121.8.5.3).

    Parameters
    ----------
    samples_w : array_like, shape (n_symbols · samples_per_symbol,)
        Optical power, W; sample 0 at the start of symbol 0 of the periodic pattern.
    samples_per_symbol : int
        Samples per symbol (≥ 2).
    symbol_rate_baud : float
        Symbol rate, Bd (> 0).
    settings : TdecqSettings, optional
        Procedure settings (defaults: the clause's).
    symbols : array_like of int, optional
        Level index 0 … 3 of every symbol; None: decided by slicing the signal (needs an open
        unequalised eye), then re-decided once after the least-squares FFE.
    """
    settings = settings or TdecqSettings()
    sps = check_integer("samples_per_symbol", samples_per_symbol, low=2)
    baud = float(check_range("symbol_rate_baud", symbol_rate_baud, low=0.0, low_inclusive=False))
    power = as_float_array("samples_w", samples_w)
    check_range("samples_w", power, low=-np.inf)
    if power.ndim != 1 or power.size % sps or power.size // sps < 64:
        raise ValueError(
            f"samples_w has shape {power.shape}; it must be one period of n_symbols · "
            f"samples_per_symbol samples (samples_per_symbol = {sps}, n_symbols >= 64)"
        )
    n = power.size // sps
    bandwidth = settings.reference_bandwidth_hz or 0.5 * baud
    response = lowpass_response(
        np.fft.rfftfreq(power.size, d=1.0 / (sps * baud)), bandwidth_hz=bandwidth, kind="bessel4"
    )
    spectrum = np.fft.rfft(power) * response
    acf = _decimated_autocorrelation(np.abs(response) ** 2, power.size, sps)
    decided = symbols is None
    if decided:
        filtered = np.fft.irfft(spectrum, n=power.size)
        column = int(np.argmax(filtered.reshape(n, sps).var(axis=0)))
        symbols, centre = _slice(filtered.reshape(n, sps)[:, column]), column / sps
    else:
        symbols = np.asarray(symbols)
        if symbols.shape != (n,) or not np.all(np.isin(symbols, (0, 1, 2, 3))):
            raise ValueError(
                f"symbols must hold {n} level indices in 0…3 (one per symbol), got shape "
                f"{symbols.shape}"
            )
        symbols = symbols.astype(np.int64)
        centre = _pulse_peak_ui(spectrum, symbols, sps)
    if np.bincount(symbols, minlength=4).min() == 0:
        raise ValueError("symbols must contain all four PAM4 levels")
    eye = _Eye(spectrum, power.size, n, symbols, acf, settings)
    taps, main = eye.least_squares(centre, settings.precursor_taps)
    if decided:  # re-slice the least-squares-equalised eye, then fit again
        z = eye.rows([centre])[0]
        eye.symbols = _slice(sum(w * np.roll(z, i - main) for i, w in enumerate(taps)))
        eye._gram = None
        taps, main = eye.least_squares(centre, settings.precursor_taps)
    eye.set_levels(_settled_levels(eye.rows([centre])[0], eye.symbols), float(power.mean()))
    return eye.optimise(taps, main, centre)


def _decimated_autocorrelation(power_response, n_samples, sps):
    """``irfft(power_response, n_samples)[::sps]`` by folding the spectrum onto the symbol grid
    (sampling every ``sps``-th point sums the spectrum's aliases), an FFT of ``n_samples/sps``
    points instead of ``n_samples``."""
    n = n_samples // sps
    tail = power_response[1 : (n_samples + 1) // 2][::-1]  # bins N-1 … N/2+1 (real, even)
    full = np.concatenate([power_response, tail])
    return np.fft.ifft(full.reshape(sps, n).sum(axis=0)).real / sps


def _slice(samples):
    """Symbol decisions 0…3 by 1-D k-means (Lloyd, four clusters) of symbol-spaced samples."""
    centres = np.quantile(samples, (0.125, 0.375, 0.625, 0.875))
    for _ in range(20):
        labels = np.searchsorted(0.5 * (centres[1:] + centres[:-1]), samples)
        counts = np.bincount(labels, minlength=4)
        sums = np.bincount(labels, weights=samples, minlength=4)
        centres = np.where(counts > 0, sums / np.maximum(counts, 1), centres)
    return labels.astype(np.int64)


def _settled_levels(z, symbols):
    """P0…P3 of long runs: least squares of z_k on the indicator of s_k and on s_(k±j), j ≤ 8."""
    lags = [np.roll(symbols, j) for j in range(-_ISI_SPAN, _ISI_SPAN + 1) if j]
    columns = np.column_stack([symbols == v for v in range(4)] + lags).astype(float)
    fit = np.linalg.solve(columns.T @ columns, columns.T @ z)
    levels = fit[:4] + np.arange(4) * fit[4:].sum()
    if not levels[3] > levels[0]:
        raise ValueError("samples_w: the settled level of symbol 3 is not above that of 0")
    return levels


def _pulse_peak_ui(spectrum, symbols, sps):
    """Time of the peak of the pulse response (cross-correlation with the symbols), UI."""
    n = symbols.size
    symbol_spectrum = np.fft.fft(symbols - symbols.mean())
    bins = np.arange(spectrum.size) % n
    corr = np.fft.irfft(spectrum * np.conj(symbol_spectrum[bins]), n=n * sps)
    peak = int(np.argmax(corr))
    left, mid, right = corr[peak - 1], corr[peak], corr[(peak + 1) % corr.size]
    curvature = left - 2.0 * mid + right
    offset = 0.5 * (left - right) / curvature if curvature < 0 else 0.0
    lag = peak + offset
    return (lag - corr.size if lag > corr.size / 2 else lag) / sps


class _Eye:
    """Reference-receiver output of one capture, sampled on demand, and the TDECQ objective."""

    def __init__(self, spectrum, n_samples, n_symbols, symbols, acf, settings):
        self.spectrum, self.n_samples, self.n = spectrum, n_samples, n_symbols
        self.symbols, self.settings = symbols, settings
        delays = np.arange(1 - settings.ffe_taps, settings.ffe_taps)
        self.shift_correlation = acf[np.abs(np.subtract.outer(delays, delays))] / acf[0]
        phases = settings.window_phases
        self.offsets = ((np.arange(phases) + 0.5) / phases - 0.5) * settings.window_width_ui
        self.grid_ui = settings.window_width_ui / phases
        self._rows: dict[int, np.ndarray] = {}
        self._gram = self._windows = self._sigma = None

    def set_levels(self, levels_w, p_ave_w):
        """Settled levels P0…P3 and average power, W: OMA_outer, thresholds, histogram bins."""
        self.levels, self.oma = levels_w, levels_w[3] - levels_w[0]
        self.thresholds = p_ave_w + self.oma * np.array([-1.0, 0.0, 1.0]) / 3.0
        self.low, self.width = p_ave_w - _SPAN * self.oma, 2.0 * _SPAN * self.oma / _BINS
        self.centres = self.low + (np.arange(_BINS) + 0.5) * self.width

    def rows(self, phases_ui):
        """Symbol-spaced samples y((k + φ)·T) for each phase, W, shape (P, N) (cached)."""
        keys = [round(float(p) * 1e9) for p in phases_ui]
        missing = sorted({k for k in keys if k not in self._rows})
        if missing:
            folded = kernels.phase_spectra(
                self.spectrum, self.n_samples, self.n, np.array(missing, dtype=float) * 1e-9
            )
            rows = np.fft.irfft(folded, n=self.n, axis=1) * (self.n / self.n_samples)
            self._rows.update(zip(missing, rows, strict=True))
        return np.stack([self._rows[k] for k in keys])

    def least_squares(self, centre, main=None, noise_w=0.0):
        """FFE taps (sum 1) of least squared error to ideal equally spaced levels at ``centre``,
        with white receiver-input noise ``noise_w`` seen through the reference receiver (MMSE);
        (taps, main), the main cursor position by smallest residual when ``main`` is None."""
        taps, n = self.settings.ffe_taps, self.n
        if self._gram is None or self._gram[0] != centre:
            z = self.rows([centre])[0]
            columns = np.array(
                [np.roll(z, d) for d in range(1 - taps, taps)] + [np.ones(n), self.symbols]
            )
            self._gram = (centre, columns @ columns.T)
        gram = self._gram[1].copy()
        gram[: 2 * taps - 1, : 2 * taps - 1] += n * noise_w**2 * self.shift_correlation
        best = (np.inf, None, 0)
        for m in range(taps) if main is None else [main]:
            index = [i - m + taps - 1 for i in range(taps)] + [2 * taps - 1, 2 * taps]
            g = gram[np.ix_(index, index)]
            kkt = np.zeros((taps + 3, taps + 3))
            kkt[:-1, :-1], kkt[:taps, -1], kkt[-1, :taps] = 2.0 * g, 1.0, 1.0
            theta = np.linalg.solve(kkt, np.eye(taps + 3)[-1])[:-1]
            residual = theta @ g @ theta / theta[-1] ** 2
            if residual < best[0]:
                best = (residual, theta[:taps], m)
        return best[1], best[2]

    def evaluate(self, taps, main, centre):
        """TDECQ (dB) for the given taps and eye centre, and (C_eq, σ_G, SER of each window)."""
        settings, oma = self.settings, self.oma
        if self._windows is None or self._windows[0] != centre:
            half = 0.5 * settings.window_separation_ui
            offsets = np.concatenate([self.offsets - half, self.offsets + half])
            self._windows = (centre, self.rows(centre + offsets))
        hist = kernels.window_histograms(self._windows[1], taps, main, self.low, self.width, _BINS)
        t = taps.size
        ceq = float(np.sqrt(taps @ self.shift_correlation[t - 1 :, t - 1 :] @ taps))
        sers = [
            _ser_function(w, self.centres, self.thresholds)
            for w in hist.reshape(2, -1, _BINS).sum(axis=1)
        ]
        sigmas = [_tolerable_sigma(ser, settings.target_ser, oma, self._sigma) for ser in sers]
        self._sigma = max(sigmas) or None
        sigma = min(sigmas) / ceq
        noise = np.hypot(sigma, settings.scope_noise_w)
        value = 10.0 * np.log10(oma / (6.0 * settings.q_t * noise)) if sigma > 0 else np.inf
        return value, (ceq, sigma, [ser(max(ceq * sigma, 1e-9 * oma)) for ser in sers])

    def _nelder_mead(self, taps, main, centre):
        """Nelder-Mead on TDECQ over the taps other than the main cursor (sum kept at 1)."""
        free = np.arange(taps.size) != main
        if not free.any():
            return taps

        def full(x):
            out = np.empty(taps.size)
            out[free], out[main] = x, 1.0 - x.sum()
            return out

        x0 = taps[free]
        simplex = np.vstack([x0, x0 + 0.01 * np.eye(x0.size)])
        budget = self.settings.max_evaluations or max(40, 5 * x0.size**2)
        result = minimize(
            lambda x: min(self.evaluate(full(x), main, centre)[0], 1e3),
            x0,
            method="Nelder-Mead",
            options={"initial_simplex": simplex, "maxfev": budget, "xatol": 1e-4, "fatol": 1e-4},
        )
        return full(result.x)

    def _mmse(self, taps, main, centre):
        """Refit the taps as MMSE equalisers for the noise σ_G they tolerate, while TDECQ falls."""
        best, details = self.evaluate(taps, main, centre)
        for _ in range(3):
            if not details[1] > 0:
                break
            trial = self.least_squares(centre, main, details[1])[0]
            value, trial_details = self.evaluate(trial, main, centre)
            if not value < best:
                break
            taps, best, details = trial, value, trial_details
        return taps

    def optimise(self, taps, main, centre):
        """Minimise TDECQ over taps and eye centre; the :class:`TdecqResult`."""
        taps = self._nelder_mead(self._mmse(taps, main, centre), main, centre)
        best, step = self.evaluate(taps, main, centre)[0], 0
        for direction in (1, -1):
            while abs(step + direction) <= _CENTRE_STEPS:
                trial = self.evaluate(taps, main, centre + (step + direction) * self.grid_ui)[0]
                if not trial < best:
                    break
                best, step = trial, step + direction
            if step:
                break
        if step:
            centre += step * self.grid_ui
            taps = self._nelder_mead(self._mmse(taps, main, centre), main, centre)
        value, (ceq, sigma, sers) = self.evaluate(taps, main, centre)
        sps = self.n_samples // self.n
        # the FFE on the filtered waveform as one spectrum: a delay of d symbols is
        # exp(-2πi·q·d·sps/N) on bin q (circular, as np.roll)
        delay = np.exp(-2j * np.pi * np.arange(self.spectrum.size) * sps / self.n_samples)
        ffe = sum(w * delay ** (i - main) for i, w in enumerate(taps))
        equalized = np.fft.irfft(self.spectrum * ffe, n=self.n_samples)
        eye_centre = centre % 1.0
        half = 0.5 * self.settings.window_separation_ui
        return TdecqResult(
            tdecq_db=float(value), outer_oma_w=float(self.oma), sigma_g_w=float(sigma), ceq=ceq,
            ffe_taps=taps, main_tap_index=int(main), thresholds_w=self.thresholds,
            levels_w=self.levels,
            eye_center_ui=float(eye_centre), window_times_ui=eye_centre + np.array([-half, half]),
            ser_left=float(sers[0]), ser_right=float(sers[1]),
            window_width_ui=self.settings.window_width_ui, equalized_w=equalized,
            samples_per_symbol=sps,
        )  # fmt: skip


def _ser_function(hist, y, thresholds):
    """SER(σ) of one window histogram: each sample errs across its adjacent thresholds."""
    keep = hist > 0
    weight, y = hist[keep] / hist.sum(), y[keep]
    region = np.searchsorted(thresholds, y)
    below = np.where(region > 0, y - thresholds[np.maximum(region - 1, 0)], np.inf)
    above = np.where(region < 3, thresholds[np.minimum(region, 2)] - y, np.inf)
    return lambda sigma: float(weight @ (ndtr(-below / sigma) + ndtr(-above / sigma)))


def _tolerable_sigma(ser, target, scale, guess=None):
    """Largest Gaussian σ with ser(σ) ≤ target (0 when the eye fails without noise); a
    ``guess`` narrows the bracket of the root."""
    lo, hi = np.log(1e-6 * scale), np.log(scale)
    if guess is not None and ser(guess / 1.5) < target < ser(guess * 1.5):
        lo, hi = np.log(guess / 1.5), np.log(guess * 1.5)
    elif ser(np.exp(lo)) >= target:
        return 0.0
    return float(np.exp(brentq(lambda x: ser(np.exp(x)) - target, lo, hi, xtol=1e-7)))


__all__ = ["TDECQ_SER_TARGET", "TdecqResult", "TdecqSettings", "tdecq"]
