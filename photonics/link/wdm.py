"""Wavelength grids and microring WDM banks (rings in series on one bus).

- :class:`ChannelGrid` with the presets of the CW-WDM MSA (8/16/32 lines at 400/200/100 GHz
  around 1300.05 nm) and a single-wavelength DR grid.
- :class:`ModulatorBank` (transmitter): all-pass modulator rings in series; each channel passes
  every other ring (pass-by loss).
- :class:`DemuxBank` (receiver): add-drop rings in series; ring ``i`` drops channel ``i`` after the
  light has passed rings ``0 … i-1``. Its drop spectra, pass-by loss and crosstalk matrix are
  computed from each ring's *actual* resonance (fields, temperature), so fabrication variation
  and residual lock error flow through.

Channel index 0 is the shortest wavelength; the cascade order on the bus is the channel order.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from cposim.control.core.validation import check_choice, check_range
from cposim.photonics.devices.lorentzian import airy_fwhm_m
from cposim.photonics.devices.modulator import RingModulator, modulation_levels
from cposim.photonics.devices.ring import WAVELENGTH_RANGE_M, Ring
from cposim.photonics.units import SPEED_OF_LIGHT_M_PER_S

GRID_PRESETS = {
    "cw-wdm-8x400": {"n_channels": 8, "spacing_hz": 400e9, "center_wavelength_m": 1300.05e-9},
    "cw-wdm-8x200": {"n_channels": 8, "spacing_hz": 200e9, "center_wavelength_m": 1300.05e-9},
    "cw-wdm-16x200": {"n_channels": 16, "spacing_hz": 200e9, "center_wavelength_m": 1300.05e-9},
    "cw-wdm-32x100": {"n_channels": 32, "spacing_hz": 100e9, "center_wavelength_m": 1300.05e-9},
    "dr": {"n_channels": 1, "spacing_hz": 0.0, "center_wavelength_m": 1311e-9},
}
"""Channel-grid presets. CW-WDM MSA Technical Specification rev 1.0 (2021): 8/16/32 lines over
≈ 18 nm in the O-band centred on 1300.05 nm; "dr": one wavelength per fiber at the IEEE 802.3 DR
nominal 1311 nm (first-generation NVIDIA CPO is DR-style, as read from NVIDIA's GTC 2025
co-packaged-optics announcements and the NVIDIA developer blog "How industry collaboration
fosters NVIDIA co-packaged optics")."""


@dataclass(frozen=True, kw_only=True)
class ChannelGrid:
    """Equally spaced optical frequency grid.

    Parameters
    ----------
    n_channels : int
        Number of channels (≥ 1). Default 8 (CW-WDM MSA Technical Specification rev 1.0 (2021)
        8-line grid).
    spacing_hz : float
        Channel spacing in optical frequency, Hz (> 0 unless ``n_channels == 1``). Default
        400e9 (CW-WDM MSA 8-line grid).
    center_wavelength_m : float
        Wavelength of the grid centre, metres. Default 1300.05e-9 (CW-WDM MSA).
    """

    n_channels: int = 8
    spacing_hz: float = 400e9
    center_wavelength_m: float = 1300.05e-9

    def __post_init__(self):
        if not isinstance(self.n_channels, int | np.integer) or not 1 <= self.n_channels <= 256:
            raise ValueError(f"n_channels = {self.n_channels!r} must be an integer from 1 to 256")
        check_range(
            "spacing_hz", self.spacing_hz, low=0.0, high=10e12, low_inclusive=self.n_channels == 1
        )
        check_range(
            "center_wavelength_m",
            self.center_wavelength_m,
            low=WAVELENGTH_RANGE_M[0],
            high=WAVELENGTH_RANGE_M[1],
        )

    @classmethod
    def preset(cls, name: str) -> ChannelGrid:
        """Grid from :data:`GRID_PRESETS` (``"cw-wdm-8x400"``, ``"cw-wdm-16x200"``, ``"dr"`` …).

        Parameters
        ----------
        name : str
            Preset name.
        """
        return cls(**GRID_PRESETS[check_choice("name", name, GRID_PRESETS)])

    @property
    def frequencies_hz(self) -> np.ndarray:
        """Channel frequencies, Hz, shape (n_channels,), descending (wavelength ascending)."""
        center = SPEED_OF_LIGHT_M_PER_S / self.center_wavelength_m
        offsets = np.arange(self.n_channels) - (self.n_channels - 1) / 2.0
        return center - offsets * self.spacing_hz

    @property
    def wavelengths_m(self) -> np.ndarray:
        """Channel wavelengths, metres, shape (n_channels,), ascending."""
        return SPEED_OF_LIGHT_M_PER_S / self.frequencies_hz


@dataclass(frozen=True, kw_only=True)
class _RingBank:
    grid: ChannelGrid = field(default_factory=ChannelGrid)
    rings: Ring
    delta_t_k: float | np.ndarray = 0.0
    pass_by_excess_loss_db: float = 0.05

    def __post_init__(self):
        if not isinstance(self.rings, Ring):
            raise ValueError(
                "rings must be a cposim.photonics.devices.ring.Ring with one entry per channel"
            )
        n = self.grid.n_channels
        shape = np.broadcast_shapes(self.rings.shape, np.shape(self.delta_t_k))
        if shape != (n,):
            raise ValueError(
                f"rings (shape {self.rings.shape}) and delta_t_k (shape {np.shape(self.delta_t_k)})"
                f" must broadcast to one ring per channel, shape ({n},); got {shape}"
            )
        check_range("delta_t_k", self.delta_t_k, low=-300.0, high=1000.0)
        check_range("pass_by_excess_loss_db", self.pass_by_excess_loss_db, low=0.0, high=10.0)

    @classmethod
    def designed(
        cls,
        *,
        grid: ChannelGrid | None = None,
        ring: Ring | None = None,
        pass_by_excess_loss_db: float = 0.05,
    ):
        """Bank whose ring ``i`` resonates exactly on channel ``i`` at ``delta_t_k = 0``.

        Each radius is set to ``L_i = m·λ_i/n_eff(λ_i)`` (one azimuthal order ``m`` for all,
        taken from ``ring`` at the grid centre), the usual radius-stepped bank.

        Parameters
        ----------
        grid : ChannelGrid, optional
            Channel grid; default :class:`ChannelGrid` (8 × 400 GHz).
        ring : Ring, optional
            Nominal ring (scalar fields); default the bank's default ring.
        pass_by_excess_loss_db : float
            Non-resonant loss of passing one ring, dB (see the class).
        """
        grid = ChannelGrid() if grid is None else grid
        ring = cls._default_ring() if ring is None else ring
        if ring.shape != ():
            raise ValueError("ring must have scalar fields; designed() builds the array itself")
        lam = grid.wavelengths_m
        order = ring.resonance_order(grid.center_wavelength_m)
        neff = ring.neff_at(lam)
        length = order * lam / neff
        radius = (length - 2.0 * ring.straight_length_m) / (2.0 * np.pi)
        return cls(
            grid=grid,
            rings=dataclasses.replace(ring, radius_m=radius),
            pass_by_excess_loss_db=pass_by_excess_loss_db,
        )

    @property
    def _excess(self) -> float:
        return 10.0 ** (-self.pass_by_excess_loss_db / 10.0)

    def resonances_m(self) -> np.ndarray:
        """Actual resonance of each ring nearest its channel, metres, shape (n_channels,)."""
        return self.rings.resonance_m(self.grid.wavelengths_m, delta_t_k=self.delta_t_k)

    def detuning_m(self) -> np.ndarray:
        """Resonance minus channel wavelength for each ring, metres, shape (n_channels,)."""
        return self.resonances_m() - self.grid.wavelengths_m

    def fwhm_m(self) -> np.ndarray:
        """FWHM of each ring at its channel, metres, shape (n_channels,)."""
        return self.rings.fwhm_m(self.grid.wavelengths_m, delta_t_k=self.delta_t_k)

    def _through(self, wavelength_m) -> np.ndarray:
        """Through transmission of each ring alone, shape (n_rings,) + wavelength shape."""
        return self.rings.through(wavelength_m, delta_t_k=self.delta_t_k)


@dataclass(frozen=True, kw_only=True)
class ModulatorBank(_RingBank):
    """Transmitter bank: all-pass modulator rings in series on one bus (undriven spectra).

    Parameters
    ----------
    grid : ChannelGrid
        Channel grid; ring ``i`` modulates channel ``i``.
    rings : Ring
        One all-pass ring per channel (fields broadcast to shape (n_channels,)).
    delta_t_k : float or array_like
        Temperature rise of each ring (heater, ambient), kelvin.
    pass_by_excess_loss_db : float
        Non-resonant loss of passing one ring (bends, scattering), dB per ring. Default 0.05
        (an *assumption*); the resonant tail is computed on top of it.
    """

    @staticmethod
    def _default_ring() -> Ring:
        return RingModulator().ring

    def pass_by_loss_db(self) -> np.ndarray:
        """Loss of channel ``i`` from passing every other ring, dB, shape (n_channels,)."""
        through = self._through(self.grid.wavelengths_m)  # [ring, channel]
        n = self.grid.n_channels
        others = np.where(np.eye(n, dtype=bool), 1.0, through).prod(axis=0)
        return -10.0 * np.log10(others * self._excess ** (n - 1))

    def spectrum(self, wavelength_m) -> BankSpectrum:
        """Bus transmission of the whole bank (all rings undriven).

        Parameters
        ----------
        wavelength_m : array_like
            1-D wavelength grid, metres.
        """
        lam = _one_d(wavelength_m)
        through = self._through(lam).prod(axis=0) * self._excess**self.grid.n_channels
        return BankSpectrum(
            wavelength_m=lam,
            through=through,
            drop=None,
            channel_wavelength_m=self.grid.wavelengths_m,
        )


@dataclass(frozen=True, kw_only=True)
class DemuxBank(_RingBank):
    """Receiver bank: add-drop rings in series; ring ``i`` drops channel ``i``.

    Parameters
    ----------
    grid : ChannelGrid
        Channel grid.
    rings : Ring
        One add-drop ring per channel (fields broadcast to shape (n_channels,)); default
        geometry via :meth:`designed` is the default :class:`Ring` (loaded Q ≈ 4000).
    delta_t_k : float or array_like
        Temperature rise of each ring (heater, ambient), kelvin.
    pass_by_excess_loss_db : float
        Non-resonant loss of passing one ring, dB per ring. Default 0.05 (an *assumption*);
        the resonant tail is computed on top of it.

    Notes
    -----
    The transmission from the bus input to drop port ``i`` at wavelength λ is
    ``X_i(λ) = D_i(λ)·Π_{k<i} T_k(λ)·10^(-i·excess/10)`` with each ring's exact drop ``D`` and
    through ``T`` (:class:`Ring`).
    """

    @staticmethod
    def _default_ring() -> Ring:
        return Ring()

    def __post_init__(self):
        super().__post_init__()
        if np.any(self.rings.is_all_pass):
            raise ValueError("every demultiplexer ring needs power_coupling_drop > 0")

    def drop_spectra(self, wavelength_m) -> np.ndarray:
        """Bus-input to drop-port ``i`` transmission through the cascade, (n_channels, n_λ).

        Parameters
        ----------
        wavelength_m : array_like
            1-D wavelength grid, metres.
        """
        lam = _one_d(wavelength_m)
        through = self._through(lam)
        drop = self.rings.drop(lam, delta_t_k=self.delta_t_k)
        return self._cascade(through, drop)[0]

    def _cascade(self, through, drop):
        n = self.grid.n_channels
        before = np.cumprod(np.vstack([np.ones_like(through[:1]), through[:-1]]), axis=0)
        excess = self._excess ** np.arange(n)[:, None]
        return drop * before * excess, before * excess, through.prod(axis=0) * self._excess**n

    def spectrum(self, wavelength_m) -> BankSpectrum:
        """Drop spectra of every channel and the bus through-port after the last ring.

        Parameters
        ----------
        wavelength_m : array_like
            1-D wavelength grid, metres.
        """
        lam = _one_d(wavelength_m)
        drops, _, through = self._cascade(
            self._through(lam), self.rings.drop(lam, delta_t_k=self.delta_t_k)
        )
        return BankSpectrum(
            wavelength_m=lam,
            through=through,
            drop=drops,
            channel_wavelength_m=self.grid.wavelengths_m,
        )

    def crosstalk_matrix(self) -> np.ndarray:
        """``X[i, j]``: fraction of channel ``j``'s bus power reaching receiver ``i`` (linear).

        The diagonal is each channel's own bus-to-drop transmission (pass-by times drop); the
        off-diagonal entries are the crosstalk. Shape (n_channels, n_channels).
        """
        lam = self.grid.wavelengths_m
        return self.drop_spectra(lam)

    def crosstalk_ratio(self) -> np.ndarray:
        """``X[i, j]/X[i, i]`` for ``j ≠ i`` and 0 on the diagonal (linear)."""
        x = self.crosstalk_matrix()
        ratio = x / np.diag(x)[:, None]
        np.fill_diagonal(ratio, 0.0)
        return ratio

    def crosstalk_penalty_db(self, modulation: str = "nrz") -> np.ndarray:
        """Incoherent crosstalk penalty per receiver, dB, shape (n_channels,).

        Every interferer is taken as fully modulated with the same OMA as the signal, closing
        each of the ``M - 1`` eyes by its whole swing (worst case):
        ``-10·log10(1 - (M-1)·Σ_j X[i, j]/X[i, i])``, which for NRZ is the
        ``-10·log10(1 - ΣX)`` of Bahadori et al., JLT 34(17), 4043 (2016). inf once the eye is
        closed.

        Parameters
        ----------
        modulation : str
            ``"nrz"`` or ``"pam4"``.
        """
        levels = modulation_levels(modulation)
        opening = 1.0 - (levels - 1) * self.crosstalk_ratio().sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(opening > 0.0, -10.0 * np.log10(opening), np.inf)

    def pass_by_loss_db(self) -> np.ndarray:
        """Loss of channel ``i`` from the rings before its own, dB, shape (n_channels,)."""
        lam = self.grid.wavelengths_m
        _, before, _ = self._cascade(self._through(lam), np.ones((self.grid.n_channels,) * 2))
        return -10.0 * np.log10(np.diag(before))

    def drop_loss_db(self) -> np.ndarray:
        """Drop loss of each ring at its own channel (detuning included), dB."""
        lam = self.grid.wavelengths_m
        drop = self.rings.drop(lam, delta_t_k=self.delta_t_k)
        return -10.0 * np.log10(np.diag(drop))

    def lane_inputs(self) -> dict[str, np.ndarray]:
        """Per-channel demultiplexer inputs of :func:`cposim.photonics.link.lanes.evaluate_lanes`.

        Returns a dict with ``demux_detuning_m``, ``demux_fwhm_m`` (each ring's Airy linewidth,
        :func:`~cposim.photonics.devices.lorentzian.airy_fwhm_m` of its coefficient of
        finesse), ``demux_drop_loss_db`` (drop loss on resonance) and ``demux_extinction_db``
        (through-port dip ``-10·log10(T_min)``), each shape (n_channels,).
        """
        resonance = self.resonances_m()
        fsr = self.rings.fsr_m(self.grid.wavelengths_m, delta_t_k=self.delta_t_k)
        return {
            "demux_detuning_m": resonance - self.grid.wavelengths_m,
            "demux_fwhm_m": airy_fwhm_m(self.rings.airy_coefficient(), fsr_m=fsr),
            "demux_drop_loss_db": -10.0 * np.log10(self.rings.drop_on_resonance()),
            "demux_extinction_db": -10.0 * np.log10(self.rings.through_on_resonance()),
        }


@dataclass(frozen=True, kw_only=True)
class BankSpectrum:
    """Spectra of a WDM bank.

    Parameters
    ----------
    wavelength_m : ndarray, shape (n,)
        Wavelength grid, metres.
    through : ndarray, shape (n,)
        Bus transmission after the last ring (linear).
    drop : ndarray, shape (n_channels, n) or None
        Bus-to-drop transmission of each channel (receiver banks), linear.
    channel_wavelength_m : ndarray, shape (n_channels,)
        Channel wavelengths, metres (marked on the plot).
    """

    wavelength_m: np.ndarray
    through: np.ndarray
    drop: np.ndarray | None
    channel_wavelength_m: np.ndarray

    def to_dataframe(self):
        """Wide table: ``wavelength_m``, ``through`` and ``drop_<i>`` per channel (linear)."""
        import pandas as pd

        columns = {"wavelength_m": self.wavelength_m, "through": self.through}
        if self.drop is not None:
            columns |= {f"drop_{i}": d for i, d in enumerate(self.drop)}
        return pd.DataFrame(columns)

    def plot(self, ax=None):
        """Spectra in dB against wavelength in nm, channels marked; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.link import plot

        return plot.bank_spectrum(self, ax)


def _one_d(wavelength_m):
    lam = check_range(
        "wavelength_m", wavelength_m, low=WAVELENGTH_RANGE_M[0], high=WAVELENGTH_RANGE_M[1]
    )
    if lam.ndim != 1:
        raise ValueError(f"wavelength_m must be 1-D; got shape {lam.shape}")
    return lam


__all__ = [
    "GRID_PRESETS",
    "BankSpectrum",
    "ChannelGrid",
    "DemuxBank",
    "ModulatorBank",
]
