"""Parameters of one link: laser, transmitter bank, channel, receiver bank and receiver.

:class:`LinkParameters` is what :func:`cposim.photonics.link.budget.evaluate_link` (one link,
itemised) and :func:`cposim.photonics.link.lanes.evaluate_lanes` (many lanes, Numba) evaluate.
Its modulator is a physical :class:`~cposim.photonics.devices.modulator.RingModulator` and its
demultiplexer a :class:`~cposim.photonics.devices.ring.Ring`: the levels, extinction, linewidth
and drop loss the budget uses are computed from them (:attr:`LinkParameters.operating_point`),
unless a datasheet operating point is given explicitly (``modulator_datasheet``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from cposim.control.core.validation import check_integer, check_range
from cposim.photonics.devices.lorentzian import airy_fwhm_m
from cposim.photonics.devices.modulator import ModulatorOperatingPoint, RingModulator
from cposim.photonics.devices.ring import Ring
from cposim.photonics.link.ber import (
    DR4_SENSITIVITY_OMA_DBM,
    KP4_BER_THRESHOLD,
    noise_limited_sensitivity_oma_w,
)
from cposim.photonics.link.energy import ElectricalPowerParameters
from cposim.photonics.link.wdm import ChannelGrid


@dataclass(frozen=True, kw_only=True)
class DemuxAiry:
    """A demultiplexer ring as the lane kernel sees it (:attr:`LinkParameters.demux_airy`).

    Parameters
    ----------
    fwhm_m : float
        Airy linewidth, m.
    drop_loss_db : float
        Drop loss on resonance, dB.
    extinction_db : float
        Through-port dip on resonance, ``-10·log10(T_min)``, dB.
    fsr_m : float
        Free spectral range at the grid centre, m.
    """

    fwhm_m: float
    drop_loss_db: float
    extinction_db: float
    fsr_m: float


SINGLE_POLE_NOISE_BANDWIDTH_RATIO = float(np.pi / 2.0)
"""Noise-equivalent bandwidth of a first-order low-pass over its 3 dB bandwidth, ``π/2``
(textbook: ``∫|H|² df = (π/2)·f_3dB`` for ``H = 1/(1 + jf/f_3dB)``)."""


SWING_STEP = 0.01
"""Step in the drive-swing ratio of the central differences behind
:attr:`LinkParameters.level_phase_swing_cycles` (dimensionless)."""


@dataclass(frozen=True, kw_only=True)
class LinkParameters:
    """One link: laser, transmitter bank, fiber, receiver bank and receiver.

    Defaults are an 8 λ × 200G PAM4 microring WDM link in the O-band; the single-wavelength DR
    link of the Quantum-X-like engine is ``grid=ChannelGrid.preset("dr"), demux=None``.

    Parameters
    ----------
    grid : ChannelGrid
        Channel grid. Default 8 λ × 400 GHz at 1300.05 nm (CW-WDM MSA Technical Specification
        rev 1.0, 2021). A one-channel grid is a DR link (no demultiplexer).
    modulator : RingModulator
        Transmitter ring modulator (ring, junction, drive, bias); the levels the budget uses
        are computed from it. Default :class:`~cposim.photonics.devices.modulator.RingModulator`.
    modulator_datasheet : ModulatorOperatingPoint or None
        Explicit datasheet mode: use these levels (e.g.
        :meth:`ModulatorOperatingPoint.from_il_er`, an *assumption*) instead of the device's.
        Default None (the device's levels).
    demux : Ring or None
        Receiver (demultiplexer) add-drop ring design; ``None`` for a DR link (one channel, no
        demultiplexer). Default :class:`~cposim.photonics.devices.ring.Ring`.
    symbol_rate_baud : float
        Symbol rate, baud (> 0). Default 100e9: 200 Gb/s PAM4 per wavelength, the lane rate of
        NVIDIA's co-packaged optics (NVIDIA developer blog, "How industry collaboration fosters
        NVIDIA co-packaged optics", 2025).
    laser_power_dbm : float
        Laser power per wavelength at the external laser source output, dBm. Default +10
        (*assumption* at the low end of the OIF External Laser Small Form Factor Pluggable
        (ELSFP) power classes, 11–26 dBm per fiber).
    laser_split_ways : int
        Lanes fed by one laser line (≥ 1). Default 1 (NVIDIA's CPO splits one laser four ways:
        144 lasers for 576 lanes; use 4 with a stronger laser for that).
    splitter_excess_loss_db : float
        Excess loss of the splitter beyond ``10·log10(ways)``, dB (≥ 0). Default 0.
    laser_coupler_loss_db, tx_coupler_loss_db, rx_coupler_loss_db : float
        Fiber-to-chip coupler losses, dB (≥ 0). Default 1.5 each (O-band edge coupler
        < 1.52 dB, Wan et al., Adv. Photon. Nexus 4, 026004 (2025)).
    fiber_connector_loss_db : float
        Fiber and connectors, dB (≥ 0). Default 1.0 (assumption).
    pass_by_loss_db : float
        Non-resonant excess loss per ring passed, dB (≥ 0). Default 0.05 (assumption); the
        resonant tails are computed on top.
    responsivity_a_per_w : float
        Photodiode responsivity, A/W (> 0). Default 0.9: inside the 0.89–0.95 A/W of Ge-on-Si
        photodiodes near 1.3 µm (Famà et al., Appl. Phys. Lett. 81, 586 (2002): 0.89 A/W;
        Shi et al., Photonics Res. 12(1), 1 (2024): 0.95 A/W at 1550 nm).
    photodiode_dark_current_a : float
        Photodiode dark current, A (≥ 0), whose shot noise adds to the thermal noise. Default
        1.3e-9: the Ge-on-Si photodiode of Shi et al. (the same paper, 1.3 nA at room
        temperature; it grows with temperature).
    tia_noise_density_a_per_sqrt_hz : float
        TIA input-referred noise density, A/√Hz (> 0). Default 7.6e-12: the 100 Gb/s SiGe
        linear TIA of Garcia Lopez et al., IEEE JSSC 53(8), 2018 (7.6 pA/√Hz, 66 GHz).
    receiver_bandwidth_hz : float
        3 dB bandwidth of photodiode and TIA, Hz (> 0): a pole in the eye's ISI and, times
        ``noise_bandwidth_ratio``, the noise bandwidth. Default 66e9 (the same TIA).
    noise_bandwidth_ratio : float
        Noise-equivalent bandwidth over the 3 dB bandwidth (≥ 1). Default π/2, a single-pole
        response (:data:`SINGLE_POLE_NOISE_BANDWIDTH_RATIO`).
    rin_db_per_hz : float
        Laser relative intensity noise, dB/Hz (≤ -100), applied to every level's power. Default
        -145: an *assumption* 10 dB inside the informative ceiling of -135 dB/Hz of the CW-WDM
        MSA rev 1.0, as high-power DFB sources typically are.
    target_ber : float
        Pre-FEC BER threshold, in (0, 0.5). Default 2.4e-4 (RS(544,514) "KP4" FEC, IEEE
        802.3 clause 91).
    implementation_penalty_db : float
        Named receiver penalty an engineer wants to carry on top of the model (a measured
        sensitivity gap), dB (≥ 0); it scales the thermal noise. Default 0: the receiver's
        bandwidth and noise are modelled, so no penalty is assumed.
    spec_sensitivity_oma_dbm : float
        Specification sensitivity shown as a reference line (not used in the margin), dBm.
        Default −4.4 (IEEE 802.3 100GBASE-DR receiver sensitivity, OMA).
    electrical : ElectricalPowerParameters
        Electrical power components for energy per bit.
    """

    grid: ChannelGrid = field(default_factory=ChannelGrid)
    modulator: RingModulator = field(default_factory=RingModulator)
    modulator_datasheet: ModulatorOperatingPoint | None = None
    demux: Ring | None = field(default_factory=Ring)
    symbol_rate_baud: float = 100e9
    laser_power_dbm: float = 10.0
    laser_split_ways: int = 1
    splitter_excess_loss_db: float = 0.0
    laser_coupler_loss_db: float = 1.5
    tx_coupler_loss_db: float = 1.5
    fiber_connector_loss_db: float = 1.0
    rx_coupler_loss_db: float = 1.5
    pass_by_loss_db: float = 0.05
    responsivity_a_per_w: float = 0.9
    photodiode_dark_current_a: float = 1.3e-9
    tia_noise_density_a_per_sqrt_hz: float = 7.6e-12
    receiver_bandwidth_hz: float = 66e9
    noise_bandwidth_ratio: float = SINGLE_POLE_NOISE_BANDWIDTH_RATIO
    rin_db_per_hz: float = -145.0
    target_ber: float = KP4_BER_THRESHOLD
    implementation_penalty_db: float = 0.0
    spec_sensitivity_oma_dbm: float = DR4_SENSITIVITY_OMA_DBM
    electrical: ElectricalPowerParameters = field(default_factory=ElectricalPowerParameters)

    def __post_init__(self):
        for name, kind, optional in (
            ("grid", ChannelGrid, False),
            ("modulator", RingModulator, False),
            ("modulator_datasheet", ModulatorOperatingPoint, True),
            ("demux", Ring, True),
            ("electrical", ElectricalPowerParameters, False),
        ):
            value = getattr(self, name)
            if not (isinstance(value, kind) or (optional and value is None)):
                allowed = f"a {kind.__name__}" + (" or None" if optional else "")
                raise ValueError(f"{name} = {value!r} must be {allowed}")
        if self.demux is None and self.grid.n_channels != 1:
            raise ValueError(
                f"demux = None (a DR link) needs a one-channel grid; the grid has "
                f"{self.grid.n_channels} channels"
            )
        if self.demux is not None and (self.demux.shape != () or self.demux.is_all_pass):
            raise ValueError("demux must be a single add-drop Ring (power_coupling_drop > 0)")
        span = np.ptp(self.grid.wavelengths_m)
        offset = abs(self.modulator.wavelength_m - float(self.grid.wavelengths_m.mean()))
        if offset > 0.5 * span + 1e-9:
            raise ValueError(
                f"modulator.wavelength_m = {self.modulator.wavelength_m!r} is "
                f"{offset * 1e9:.2f} nm from the channel grid's centre; it must lie within the "
                "grid (set it to the channel the modulator serves)"
            )
        check_range(
            "symbol_rate_baud", self.symbol_rate_baud, low=0.0, high=1e13, low_inclusive=False
        )
        check_range("laser_power_dbm", self.laser_power_dbm, low=-100.0, high=40.0)
        check_integer("laser_split_ways", self.laser_split_ways, low=1)
        for name in (
            "splitter_excess_loss_db",
            "laser_coupler_loss_db",
            "tx_coupler_loss_db",
            "fiber_connector_loss_db",
            "rx_coupler_loss_db",
            "pass_by_loss_db",
            "implementation_penalty_db",
        ):
            check_range(name, getattr(self, name), low=0.0, high=100.0)
        for name in (
            "responsivity_a_per_w",
            "tia_noise_density_a_per_sqrt_hz",
            "receiver_bandwidth_hz",
        ):
            check_range(name, getattr(self, name), low=0.0, low_inclusive=False)
        check_range("noise_bandwidth_ratio", self.noise_bandwidth_ratio, low=1.0, high=10.0)
        check_range("rin_db_per_hz", self.rin_db_per_hz, low=-300.0, high=-100.0)
        check_range("photodiode_dark_current_a", self.photodiode_dark_current_a, low=0.0, high=1e-3)
        check_range(
            "target_ber",
            self.target_ber,
            low=0.0,
            high=0.5,
            low_inclusive=False,
            high_inclusive=False,
        )
        check_range(
            "spec_sensitivity_oma_dbm", self.spec_sensitivity_oma_dbm, low=-100.0, high=40.0
        )

    @classmethod
    def dr_lane(cls) -> LinkParameters:
        """The Quantum-X-like DR lane: one wavelength per fiber at 1311 nm (IEEE 802.3 DR), no
        demultiplexer, the default modulator at that wavelength, and one external laser line of
        +16 dBm split four ways (144 lasers for the 576 lanes of Quantum-X Photonics; +16 dBm is
        inside the OIF ELSFP power classes, *assumption*); one heated ring per lane."""
        grid = ChannelGrid.preset("dr")
        return cls(
            grid=grid,
            modulator=RingModulator(wavelength_m=float(grid.wavelengths_m[0])),
            demux=None,
            laser_power_dbm=16.0,
            laser_split_ways=4,
            electrical=ElectricalPowerParameters(rings_per_lane=1),
        )

    @cached_property
    def operating_point(self) -> ModulatorOperatingPoint:
        """The modulator's levels as the budget uses them: ``modulator_datasheet`` when given,
        else the :class:`RingModulator` at its bias and the first channel's wavelength."""
        if self.modulator_datasheet is not None:
            return self.modulator_datasheet
        return self.modulator.operating_point()

    @cached_property
    def level_phase_swing_cycles(self) -> tuple[np.ndarray, np.ndarray]:
        """How a driver-swing error moves each level's phase: ``(c1, c2)``, cycles, shape
        (levels,) each, with ``c_k(ratio) ≈ c_k + c1_k·δ + c2_k·δ²`` and ``δ = ratio − 1``
        (:attr:`~cposim.photonics.devices.modulator.ModulatorOperatingPoint.level_phase_cycles`
        at a swing ``ratio`` of nominal).

        The device's: central differences (step :data:`SWING_STEP`) of
        :meth:`RingModulator.operating_point` over ``drive_swing_ratio``. A datasheet operating
        point has no voltages, so its level shifts scale about their mean (``c1_k = c_k −
        mean(c)``, ``c2 = 0``: an *assumption* of a linear modulator).
        """
        cycles = np.asarray(self.operating_point.level_phase_cycles)
        if self.modulator_datasheet is not None:
            return cycles - cycles.mean(), np.zeros_like(cycles)
        up, down = (
            np.asarray(self.modulator.operating_point(drive_swing_ratio=1.0 + h).level_phase_cycles)
            for h in (SWING_STEP, -SWING_STEP)
        )
        return (up - down) / (2.0 * SWING_STEP), (up - 2.0 * cycles + down) / (2.0 * SWING_STEP**2)

    @cached_property
    def demux_airy(self) -> DemuxAiry:
        """The demultiplexer ring in the Airy form of the lane kernel, at the grid centre (a DR
        link, which has none, gets the default :class:`Ring`'s: the kernel ignores them)."""
        ring = self.demux if self.demux is not None else Ring()
        centre = float(self.grid.wavelengths_m.mean())
        fsr = float(ring.fsr_m(centre))
        return DemuxAiry(
            fwhm_m=float(airy_fwhm_m(ring.airy_coefficient(), fsr_m=fsr)),
            drop_loss_db=float(-10.0 * np.log10(ring.drop_on_resonance())),
            extinction_db=float(-10.0 * np.log10(ring.through_on_resonance())),
            fsr_m=fsr,
        )

    @property
    def modulation(self) -> str:
        """Modulation format of the transmitter (``"nrz"`` or ``"pam4"``)."""
        return self.operating_point.modulation

    @property
    def levels(self) -> int:
        """Number of optical levels per symbol."""
        return self.operating_point.levels

    @property
    def bit_rate_bps(self) -> float:
        """Lane bit rate, bit/s."""
        return self.symbol_rate_baud * np.log2(self.levels)

    @property
    def noise_bandwidth_hz(self) -> float:
        """Noise-equivalent bandwidth of the receiver, Hz."""
        return self.noise_bandwidth_ratio * self.receiver_bandwidth_hz

    @property
    def thermal_noise_a(self) -> float:
        """Thermal (TIA) noise current ``i_n·√B_noise``, amperes RMS."""
        return self.tia_noise_density_a_per_sqrt_hz * np.sqrt(self.noise_bandwidth_hz)

    @property
    def sensitivity_oma_dbm(self) -> float:
        """Thermal-noise-limited OMA sensitivity at ``target_ber``, dBm (no ISI)."""
        return float(
            10.0
            * np.log10(
                1e3
                * noise_limited_sensitivity_oma_w(
                    noise_density_a_per_sqrt_hz=self.tia_noise_density_a_per_sqrt_hz,
                    bandwidth_hz=self.noise_bandwidth_hz,
                    responsivity_a_per_w=self.responsivity_a_per_w,
                    ber=self.target_ber,
                    modulation=self.modulation,
                )
            )
        )

    @property
    def split_loss_db(self) -> float:
        """Laser split loss ``10·log10(ways)`` plus excess, dB."""
        return 10.0 * np.log10(self.laser_split_ways) + self.splitter_excess_loss_db

    @property
    def modulator_input_power_w(self) -> float:
        """Nominal optical power reaching the modulator (laser, split, laser coupler), watts;
        what heats the modulator ring (pass-by tails of a WDM bus neglected)."""
        loss_db = self.split_loss_db + self.laser_coupler_loss_db
        return float(1e-3 * 10.0 ** ((self.laser_power_dbm - loss_db) / 10.0))


__all__ = [
    "SINGLE_POLE_NOISE_BANDWIDTH_RATIO",
    "SWING_STEP",
    "DemuxAiry",
    "LinkParameters",
]
