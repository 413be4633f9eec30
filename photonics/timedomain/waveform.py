"""One period of a sampled waveform and the symbols that made it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from cposim.control.core.validation import check_range


@dataclass(frozen=True, kw_only=True)
class Waveform:
    """One period of a periodic waveform: sample 0 at the start of symbol 0 plus the system's
    delay (:attr:`delay_samples`, which the analyses remove).

    Parameters
    ----------
    samples : ndarray
        The samples, in ``unit`` (W for optical power, A for photocurrent).
    samples_per_symbol : int
        Samples per symbol (≥ 2).
    symbol_rate_baud : float
        Symbol rate, baud.
    symbols : ndarray of int
        The transmitted level indices, one per symbol.
    quantity : str
        What the samples are (``"optical power"``, ``"photocurrent"``).
    unit : str
        Unit of the samples (``"W"``, ``"A"``).
    field : ndarray or None
        Complex optical field, √W, where kept.
    """

    samples: np.ndarray
    samples_per_symbol: int
    symbol_rate_baud: float
    symbols: np.ndarray
    quantity: str
    unit: str
    field: np.ndarray | None = None

    def __post_init__(self):
        check_range("samples_per_symbol", self.samples_per_symbol, low=2)
        if self.samples.shape != (self.symbols.size * self.samples_per_symbol,):
            raise ValueError(
                f"samples has shape {self.samples.shape}; it must be (len(symbols) · "
                f"samples_per_symbol,) = ({self.symbols.size * self.samples_per_symbol},)"
            )

    @property
    def levels(self) -> int:
        """Number of signalling levels (2 or 4)."""
        return 4 if self.symbols.max(initial=0) > 1 else 2

    @property
    def sample_interval_s(self) -> float:
        """Time between samples, s."""
        return 1.0 / (self.symbol_rate_baud * self.samples_per_symbol)

    @property
    def time_s(self) -> np.ndarray:
        """Sample times, s."""
        return np.arange(self.samples.size) * self.sample_interval_s

    @cached_property
    def delay_samples(self) -> int:
        """The system's delay, samples: the circular lag at which the samples correlate best
        with the ideal staircase of the symbols (0 … n-1)."""
        levels = self.symbols.astype(np.float64)
        staircase = np.repeat(levels - levels.mean(), self.samples_per_symbol)
        signal = self.samples - self.samples.mean()
        correlation = np.fft.irfft(
            np.fft.rfft(signal) * np.conj(np.fft.rfft(staircase)), n=signal.size
        )
        return int(np.argmax(correlation))

    @cached_property
    def by_symbol(self) -> np.ndarray:
        """The samples, the delay removed, as (symbols, samples_per_symbol): row ``k`` holds the
        response to symbol ``k`` (computed once; every analysis reads it)."""
        aligned = np.roll(self.samples, -self.delay_samples)
        return aligned.reshape(self.symbols.size, self.samples_per_symbol)

    def mean_levels(self, *, phase: int | None = None) -> np.ndarray:
        """Mean sample of each level at one sampling phase, in :attr:`unit`.

        Parameters
        ----------
        phase : int, optional
            Sample index within the symbol (0 … samples_per_symbol-1); default the phase where
            the levels are furthest apart (:meth:`best_phase`).
        """
        k = self.best_phase() if phase is None else int(phase)
        column = self.by_symbol[:, k]
        return np.array([column[self.symbols == m].mean() for m in range(self.levels)])

    def best_phase(self) -> int:
        """Sampling phase (sample index within the symbol) whose worst eye has the largest
        ``(μ_{m+1} - μ_m)/(σ_{m+1} + σ_m)`` (its level separation over its spread; open eyes
        and closed ones, noisy or not, are ranked alike)."""
        by = self.by_symbol
        groups = [self.symbols == m for m in range(self.levels)]
        means = np.array([by[g].mean(axis=0) for g in groups])
        spreads = np.array([by[g].std(axis=0) for g in groups]) + 1e-300
        q = (means[1:] - means[:-1]) / (spreads[1:] + spreads[:-1])
        return int(np.argmax(q.min(axis=0)))

    def with_samples(self, samples, *, quantity: str, unit: str) -> Waveform:
        """The same symbols and timing with new samples (e.g. after a receiver).

        Parameters
        ----------
        samples : array_like
            New samples, in ``unit``.
        quantity : str
            What they are.
        unit : str
            Their unit.
        """
        return Waveform(
            samples=np.asarray(samples, dtype=np.float64),
            samples_per_symbol=self.samples_per_symbol,
            symbol_rate_baud=self.symbol_rate_baud,
            symbols=self.symbols,
            quantity=quantity,
            unit=unit,
        )

    def eye(self, *, amplitude_bins: int = 200, phase: int | None = None):
        """The :class:`~cposim.photonics.timedomain.eye.EyeDiagram` of this waveform.

        Parameters
        ----------
        amplitude_bins : int
            Bins of the amplitude axis (≥ 10).
        phase : int, optional
            Sampling phase (sample index within the symbol); default :meth:`best_phase`.
        """
        from cposim.photonics.timedomain.eye import eye_diagram

        return eye_diagram(self, amplitude_bins=amplitude_bins, phase=phase)

    def plot(self, ax=None, *, symbols: int = 48):
        """Draw the first ``symbols`` symbols against time; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        symbols : int
            Number of symbols drawn (a count).
        """
        from cposim.photonics.timedomain.plot import plot_waveform

        return plot_waveform(self, ax=ax, symbols=symbols)


__all__ = ["Waveform"]
