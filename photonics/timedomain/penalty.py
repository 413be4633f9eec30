"""ISI from the time-domain engine as a table the link budget and the yield engine interpolate.

The lane kernel closes each eye, worst case, to ``(1 - p)·step - p·|OMA|``
(:func:`~cposim.photonics.link.lanes.single_pole_isi_closure` gives ``p`` for one equivalent
pole). :func:`isi_table` measures ``p`` instead: for each modulator linewidth and bias
detuning on a grid it simulates the link's lane in time (driver, junction, ring by CMT with
self-heating, receiver filter, then the receiver's feed-forward equaliser), reads the
worst-case opening of every eye at the best sampling phase, and keeps the ``p`` of the most
closed eye, ``p = max_k (step_k - eye_k)/(step_k + OMA)`` with the static steps and OMA of the
same lane. A study computes the table once and interpolates it per lane (bilinear in FWHM and
detuning, clamped to the grid), so each fabricated ring gets its own dynamic ISI.

The equaliser's noise enhancement is not carried into the budget's noise (the table holds a
closure, not a noise factor); :attr:`IsiTable.noise_enhancement` reports it per grid point.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy import interpolate, optimize

from cposim.control.core.validation import check_range
from cposim.photonics.link.lanes import single_pole_isi_closure
from cposim.photonics.link.parameters import LinkParameters
from cposim.photonics.timedomain.eye import equalise
from cposim.photonics.timedomain.patterns import pattern_symbols
from cposim.photonics.timedomain.receiver import Receiver, demultiplex
from cposim.photonics.timedomain.transmitter import Driver, Transmitter

_CLOSED = 1.0 - 1e-12
"""``p`` of an eye the equaliser cannot open (the kernel's closed-eye limit is p < 1)."""


@dataclass(frozen=True, kw_only=True)
class IsiTable:
    """Measured ISI factor ``p`` over modulator FWHM and bias detuning.

    Parameters
    ----------
    fwhm_m : ndarray
        Modulator FWHM grid, m (ascending).
    detuning_m : ndarray
        Modulator detuning from its bias grid, m (ascending).
    closure : ndarray, shape (n_fwhm, n_detuning)
        ISI factor ``p`` (dimensionless, 0 ≤ p < 1).
    single_pole : ndarray, shape (n_fwhm,)
        The single-pole model's ``p`` at each FWHM (for comparison), dimensionless.
    noise_enhancement : ndarray, shape (n_fwhm, n_detuning)
        ``Σ c²`` of the fitted equaliser taps (1 without equaliser), dimensionless.
    ffe_taps : int
        Equaliser taps used (1: none).
    symbol_rate_baud : float
        Symbol rate of the link, baud.
    """

    fwhm_m: np.ndarray
    detuning_m: np.ndarray
    closure: np.ndarray
    single_pole: np.ndarray
    noise_enhancement: np.ndarray
    ffe_taps: int
    symbol_rate_baud: float

    def closure_at(self, *, modulator_fwhm_m, modulator_detuning_m) -> np.ndarray:
        """``p`` interpolated per lane (bilinear, clamped to the grid), dimensionless.

        Parameters
        ----------
        modulator_fwhm_m : array_like
            Each lane's modulator FWHM, m.
        modulator_detuning_m : array_like
            Each lane's modulator detuning from its bias, m (broadcasts with the FWHM).
        """
        fwhm, detuning = np.broadcast_arrays(
            np.asarray(modulator_fwhm_m, float), np.asarray(modulator_detuning_m, float)
        )
        points = np.stack(
            [
                np.clip(fwhm, self.fwhm_m[0], self.fwhm_m[-1]),
                np.clip(detuning, self.detuning_m[0], self.detuning_m[-1]),
            ],
            axis=-1,
        )
        grid = interpolate.RegularGridInterpolator((self.fwhm_m, self.detuning_m), self.closure)
        return np.minimum(grid(points), _CLOSED)

    def penalty_db(self, levels: int = 4) -> np.ndarray:
        """Worst-case ISI penalty of equally spaced levels, ``-10·log10(1 - M·p)``, dB.

        Parameters
        ----------
        levels : int
            Number of signalling levels ``M`` (4 for PAM4, 2 for NRZ).
        """
        opening = 1.0 - levels * self.closure
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(opening > 0.0, -10.0 * np.log10(opening), np.inf)

    def to_dataframe(self):
        """One row per grid point: FWHM, detuning, p, single-pole p, noise enhancement."""
        import pandas as pd

        f, d = np.meshgrid(self.fwhm_m, self.detuning_m, indexing="ij")
        return pd.DataFrame(
            {
                "fwhm_m": f.ravel(),
                "detuning_m": d.ravel(),
                "closure": self.closure.ravel(),
                "single_pole_closure": np.repeat(self.single_pole, self.detuning_m.size),
                "noise_enhancement": self.noise_enhancement.ravel(),
            }
        )

    def plot(self, ax=None):
        """``p`` against FWHM, one line per detuning, with the single-pole model; returns Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.timedomain.plot import plot_isi_table

        return plot_isi_table(self, ax=ax)


def isi_table(
    link: LinkParameters,
    *,
    driver: Driver | None = None,
    ffe_taps: int = 5,
    fwhm_scales=(0.6, 0.8, 1.0, 1.2, 1.4, 1.7),
    detuning_m=(-20e-12, -10e-12, 0.0, 10e-12, 20e-12),
    samples_per_symbol: int = 16,
    pattern: str = "prbs9",
) -> IsiTable:
    """The ISI factor of ``link``'s lane measured in time over a FWHM × detuning grid.

    Each FWHM is reached by changing the modulator ring's input coupling (its loss kept); the
    lane's bias is the link's plus the detuning. In WDM links the light passes the
    demultiplexer ring's drop port with its dynamics (on its channel,
    :func:`~cposim.photonics.timedomain.receiver.demultiplex`). The receiver is ``link``'s
    (its bandwidth, no noise).

    Parameters
    ----------
    link : LinkParameters
        The link (modulator, symbol rate, receiver, modulator input power).
    driver : Driver, optional
        The modulator driver; default :class:`Driver`.
    ffe_taps : int
        Receiver equaliser taps (1: none), one precursor when more than two. Default 5 (the
        reference equaliser length of IEEE 802.3 100G-per-lane PMDs, e.g. clause 140.7.5;
        200G-per-lane receivers use longer ones).
    fwhm_scales : sequence of float
        FWHM grid as multiples of the design modulator's FWHM (> 0, ascending).
    detuning_m : sequence of float
        Detuning grid, m (ascending).
    samples_per_symbol : int
        Samples per symbol of the simulation (≥ 4).
    pattern : str
        Test pattern (:data:`~cposim.photonics.timedomain.patterns.PATTERNS`). Default
        ``"prbs9"`` (511 PAM4 symbols: every 4-symbol history, enough for a few-symbol memory).
    """
    scales = check_range("fwhm_scales", fwhm_scales, low=0.0, low_inclusive=False)
    detunings = check_range("detuning_m", detuning_m, low=-1e-9, high=1e-9)
    check_range("ffe_taps", ffe_taps, low=1, high=64)
    check_range("samples_per_symbol", samples_per_symbol, low=4, high=256)
    for name, grid in (("fwhm_scales", scales), ("detuning_m", detunings)):
        if grid.ndim != 1 or grid.size < 2 or np.any(np.diff(grid) <= 0):
            raise ValueError(f"{name} must be at least two ascending values, got {grid}")
    mod = link.modulator
    design_fwhm = mod.fwhm_m
    symbols = pattern_symbols(pattern, modulation=mod.modulation)
    receiver = Receiver.from_link(link)
    closure = np.empty((scales.size, detunings.size))
    enhancement = np.empty_like(closure)
    fwhm = scales * design_fwhm
    # the demultiplexer's static drop on resonance scales the static levels like the dynamic ones
    drop = 1.0 if link.demux is None else float(link.demux.drop_on_resonance())
    for i, target in enumerate(fwhm):
        lane = dataclasses.replace(
            link, modulator=dataclasses.replace(mod, ring=_ring_with_fwhm(mod, target))
        )
        for j, detuning in enumerate(detunings):
            tx = Transmitter.from_link(lane, driver=driver, bias_detuning_m=mod.bias_m + detuning)
            optical = tx.modulate(symbols, samples_per_symbol=samples_per_symbol,
                                  return_field=link.demux is not None)  # fmt: skip
            if link.demux is not None:  # WDM: through the demultiplexer ring's dynamics
                optical = demultiplex(optical, ring=link.demux, wavelength_m=mod.wavelength_m)
            current = receiver.detect(optical)
            taps = int(ffe_taps)
            equalised, weights = equalise(current, taps=taps, precursors=min(1, taps - 1))
            static = receiver.responsivity_a_per_w * tx.static_levels_w() * drop
            closure[i, j] = _closure(equalised, static)
            enhancement[i, j] = float(np.sum(weights**2))
    return IsiTable(
        fwhm_m=fwhm,
        detuning_m=detunings,
        closure=closure,
        single_pole=np.asarray(single_pole_isi_closure(link, modulator_fwhm_m=fwhm[:, None]))[:, 0],
        noise_enhancement=enhancement,
        ffe_taps=int(ffe_taps),
        symbol_rate_baud=link.symbol_rate_baud,
    )


def _ring_with_fwhm(modulator, fwhm_m: float):
    """The modulator's ring with the input coupling that gives FWHM ``fwhm_m`` at its laser."""
    ring, lam = modulator.ring, modulator.wavelength_m

    def excess(log_kappa2):
        trial = dataclasses.replace(ring, power_coupling_in=float(np.exp(log_kappa2)))
        return float(trial.fwhm_m(lam)) - fwhm_m

    try:
        log_k2 = optimize.brentq(excess, np.log(1e-5), np.log(0.9), xtol=1e-12)
    except ValueError:
        raise ValueError(
            f"no input coupling in [1e-5, 0.9] gives the modulator ring a FWHM of {fwhm_m} m"
        ) from None
    return dataclasses.replace(ring, power_coupling_in=float(np.exp(log_k2)))


def _closure(equalised, static_levels) -> float:
    """``min over phases of max_k (step_k - eye_k)/(step_k + OMA)``: the worst-case eyes at
    the sampling phase where the most closed one is most open."""
    by = equalised.by_symbol
    sym = equalised.symbols
    order = np.argsort(static_levels)
    levels = static_levels[order]
    steps = np.diff(levels)
    oma = levels[-1] - levels[0]
    lows = np.array([by[sym == order[k]].max(axis=0) for k in range(levels.size)])
    highs = np.array([by[sym == order[k]].min(axis=0) for k in range(levels.size)])
    eyes = highs[1:] - lows[:-1]  # (eyes, phases)
    p = ((steps[:, None] - eyes) / (steps[:, None] + oma)).max(axis=0).min()
    return float(min(max(p, 0.0), _CLOSED))


__all__ = ["IsiTable", "isi_table"]
