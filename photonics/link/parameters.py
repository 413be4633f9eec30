"""Parameters of one link: laser, transmitter bank, channel, receiver bank and receiver.

:class:`LinkParameters` is what :func:`cposim.photonics.link.budget.evaluate_link` (one link,
itemised) and :func:`cposim.photonics.link.lanes.evaluate_lanes` (many lanes, Numba) evaluate;
:class:`DemuxRingSpec` is its nominal receive ring.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cposim.control.core.validation import check_integer, check_range
from cposim.photonics.devices.modulator import ModulatorOperatingPoint
from cposim.photonics.link.ber import (
    DR4_SENSITIVITY_OMA_DBM,
    IMPLEMENTATION_PENALTY_DB,
    KP4_BER_THRESHOLD,
    noise_limited_sensitivity_oma_w,
)
from cposim.photonics.link.energy import ElectricalPowerParameters
from cposim.photonics.link.wdm import ChannelGrid


@dataclass(frozen=True, kw_only=True)
class DemuxRingSpec:
    """Nominal demultiplexer ring as a periodic Lorentzian (per-lane values may override).

    Parameters
    ----------
    fwhm_m : float
        Drop resonance FWHM, metres (> 0). Default 3.215e-10: the default :class:`Ring`
        (loaded Q ≈ 4000, REFERENCE.md default link).
    drop_loss_db : float
        Drop loss on resonance, dB (≥ 0). Default 1.0 (REFERENCE.md default link "demux drop
        1.0 dB"; the default :class:`Ring` alone gives 0.84 dB).
    extinction_db : float
        Through-port dip depth on resonance, dB (> 0). Default 20.7 (default :class:`Ring`).
    fsr_m : float
        Free spectral range, metres (> 0). Default 17.91e-9 (≈ 8 × 400 GHz, REFERENCE.md).
    """

    fwhm_m: float = 3.215e-10
    drop_loss_db: float = 1.0
    extinction_db: float = 20.7
    fsr_m: float = 17.91e-9

    def __post_init__(self):
        check_range("fwhm_m", self.fwhm_m, low=0.0, high=1e-7, low_inclusive=False)
        check_range("drop_loss_db", self.drop_loss_db, low=0.0, high=100.0)
        check_range("extinction_db", self.extinction_db, low=0.0, high=100.0, low_inclusive=False)
        check_range("fsr_m", self.fsr_m, low=self.fwhm_m, high=1e-5, low_inclusive=False)


@dataclass(frozen=True, kw_only=True)
class LinkParameters:
    """One link: laser, transmitter bank, fiber, receiver bank and receiver.

    Defaults are the 8 λ × 200G PAM4 microring WDM link of REFERENCE.md ("Suggested default
    link").

    Parameters
    ----------
    grid : ChannelGrid
        Channel grid. Default 8 λ × 400 GHz at 1300.05 nm (CW-WDM MSA). A one-channel grid is
        a DR link (no demultiplexer).
    modulator : ModulatorOperatingPoint
        Transmitter ring at its bias. Default ``ModulatorOperatingPoint.from_il_er()``: IL 3 dB,
        ER 5 dB, PAM4 (REFERENCE.md default link, assumption).
    demux : DemuxRingSpec or None
        Receiver ring; ``None`` for a DR link (one channel, no demultiplexer).
    symbol_rate_baud : float
        Symbol rate, baud (> 0). Default 100e9 (200 Gb/s PAM4, REFERENCE.md).
    laser_power_dbm : float
        Laser power per wavelength at the external laser source output, dBm. Default +10
        (REFERENCE.md default link, inside the OIF ELSFP classes).
    laser_split_ways : int
        Lanes fed by one laser line (≥ 1). Default 1 (NVIDIA's CPO splits one laser four ways,
        REFERENCE.md A; use 4 with a stronger laser for that).
    splitter_excess_loss_db : float
        Excess loss of the splitter beyond ``10·log10(ways)``, dB (≥ 0). Default 0.
    laser_coupler_loss_db, tx_coupler_loss_db, rx_coupler_loss_db : float
        Fiber-to-chip coupler losses, dB (≥ 0). Default 1.5 each (O-band edge coupler < 1.52 dB,
        Wan et al., Adv. Photon. Nexus 4, 026004 (2025); REFERENCE.md E).
    fiber_connector_loss_db : float
        Fiber and connectors, dB (≥ 0). Default 1.0 (REFERENCE.md default link, assumption).
    pass_by_loss_db : float
        Non-resonant excess loss per ring passed, dB (≥ 0). Default 0.05 (REFERENCE.md default
        link); the resonant tails are computed on top.
    responsivity_a_per_w : float
        Photodiode responsivity, A/W (> 0). Default 1.0 (REFERENCE.md default link, assumption).
    tia_noise_density_a_per_sqrt_hz : float
        TIA input-referred noise density, A/√Hz (> 0). Default 17e-12 (REFERENCE.md default
        link, 16 nm TIA).
    receiver_bandwidth_hz : float
        Noise bandwidth, Hz (> 0). Default 50e9, half the 100 GBd symbol rate (assumption;
        the reference TIA has 32 GHz at 56 GBd, i.e. 0.57 × the symbol rate).
    rin_db_per_hz : float
        Laser relative intensity noise, dB/Hz (≤ -100), applied to every level's power. Default
        -145: an *assumption* 10 dB inside the CW-WDM MSA's informative ceiling of -135 dB/Hz
        (REFERENCE.md B), as high-power DFB sources typically are. At the -135 dB/Hz ceiling
        the default 200G PAM4 link is RIN-limited (noise penalty ≈ 7 dB, margin ≈ -1.3 dB);
        set it there for a worst-case laser.
    target_ber : float
        Pre-FEC BER threshold, in (0, 0.5). Default 2.4e-4 (KP4, REFERENCE.md E).
    implementation_penalty_db : float
        Named receiver implementation penalty, dB (≥ 0). Default
        :data:`IMPLEMENTATION_PENALTY_DB` ≈ 3.9 dB, the gap between the published 16 nm TIA
        sensitivity and its noise-limited closed form.
    spec_sensitivity_oma_dbm : float
        Specification sensitivity shown as a reference line (not used in the margin), dBm.
        Default −4.4 (100G DR4, REFERENCE.md E).
    electrical : ElectricalPowerParameters
        Electrical power components for energy per bit.
    """

    grid: ChannelGrid = field(default_factory=ChannelGrid)
    modulator: ModulatorOperatingPoint = field(default_factory=ModulatorOperatingPoint.from_il_er)
    demux: DemuxRingSpec | None = field(default_factory=DemuxRingSpec)
    symbol_rate_baud: float = 100e9
    laser_power_dbm: float = 10.0
    laser_split_ways: int = 1
    splitter_excess_loss_db: float = 0.0
    laser_coupler_loss_db: float = 1.5
    tx_coupler_loss_db: float = 1.5
    fiber_connector_loss_db: float = 1.0
    rx_coupler_loss_db: float = 1.5
    pass_by_loss_db: float = 0.05
    responsivity_a_per_w: float = 1.0
    tia_noise_density_a_per_sqrt_hz: float = 17e-12
    receiver_bandwidth_hz: float = 50e9
    rin_db_per_hz: float = -145.0
    target_ber: float = KP4_BER_THRESHOLD
    implementation_penalty_db: float = IMPLEMENTATION_PENALTY_DB
    spec_sensitivity_oma_dbm: float = DR4_SENSITIVITY_OMA_DBM
    electrical: ElectricalPowerParameters = field(default_factory=ElectricalPowerParameters)

    def __post_init__(self):
        if not isinstance(self.grid, ChannelGrid):
            raise ValueError("grid must be a cposim.photonics.link.wdm.ChannelGrid")
        if not isinstance(self.modulator, ModulatorOperatingPoint):
            raise ValueError("modulator must be a ModulatorOperatingPoint")
        if self.demux is None and self.grid.n_channels != 1:
            raise ValueError(
                f"demux = None (a DR link) needs a one-channel grid; the grid has "
                f"{self.grid.n_channels} channels"
            )
        if self.demux is not None and not isinstance(self.demux, DemuxRingSpec):
            raise ValueError("demux must be a DemuxRingSpec or None")
        if not isinstance(self.electrical, ElectricalPowerParameters):
            raise ValueError("electrical must be an ElectricalPowerParameters")
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
        check_range("rin_db_per_hz", self.rin_db_per_hz, low=-300.0, high=-100.0)
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

    @property
    def modulation(self) -> str:
        """Modulation format of the transmitter (``"nrz"`` or ``"pam4"``)."""
        return self.modulator.modulation

    @property
    def bit_rate_bps(self) -> float:
        """Lane bit rate, bit/s."""
        return self.symbol_rate_baud * np.log2(self.modulator.levels)

    @property
    def thermal_noise_a(self) -> float:
        """Thermal (TIA) noise current ``i_n·√B``, amperes RMS."""
        return self.tia_noise_density_a_per_sqrt_hz * np.sqrt(self.receiver_bandwidth_hz)

    @property
    def sensitivity_oma_dbm(self) -> float:
        """Thermal-noise-limited OMA sensitivity at ``target_ber``, dBm."""
        return float(
            10.0
            * np.log10(
                1e3
                * noise_limited_sensitivity_oma_w(
                    noise_density_a_per_sqrt_hz=self.tia_noise_density_a_per_sqrt_hz,
                    bandwidth_hz=self.receiver_bandwidth_hz,
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


__all__ = [
    "DemuxRingSpec",
    "LinkParameters",
]
