"""Link budget and BER of microring WDM (or single-wavelength DR) lanes.

Model of one lane (channel ``i`` of a link), all powers optical unless stated:

1. **Transmitter.** The external laser line (``laser_power_dbm`` per wavelength) is split
   ``laser_split_ways`` ways, coupled onto the chip, passes the other modulators (periodic
   Lorentzian tails at their mid level plus ``pass_by_loss_db`` per ring) and is modulated by its
   own ring: level ``k`` has transmission ``T(bias + shift_k + error)``
   (:class:`~cposim.photonics.modulator.ModulatorOperatingPoint`).
2. **Channel.** TX coupler, fiber and connectors, RX coupler.
3. **Receiver bank.** Ring ``i`` drops channel ``i`` after rings ``0 … i-1``; each ring is a
   periodic Lorentzian (peak drop, through-port dip depth, FWHM, FSR) at its actual detuning, so
   channel ``j`` reaches receiver ``i`` with ``X[i, j]``. DR links (one channel) have no bank.
4. **Photodiode and noise.** Level currents ``I_k = R·P_k``; per-level noise
   ``σ_k² = (i_n·√B)² + 2q·(I_k + I_xt)·B + RIN·I_k²·B`` (TIA input-referred density over the
   noise bandwidth, shot noise including the crosstalk's average current, laser RIN).
5. **Eyes.** Each of the ``M - 1`` eyes is closed, worst case, by (a) single-pole ISI from the
   modulator's photon lifetime and RC (:func:`~cposim.photonics.modulator.isi_penalty_db`), and
   (b) incoherent crosstalk taken as stated: every interferer's full received swing
   ``Σ_j X[i, j]·OMA_j`` subtracts from every eye.
5b. **Implementation penalty.** An explicit, named receiver penalty raises the thermal noise by
   its factor (it stands for a measured sensitivity gap, so it acts where sensitivity does).
6. **BER.** With the optimum threshold per eye, ``q_k = eye_k/(σ_k + σ_{k+1})`` and, Gray coded,
   ``BER = 2/(M·log2 M)·Σ_k Q(q_k)`` with ``Q(x) = ½·erfc(x/√2)``; for equal eyes this is
   :func:`ber_from_q`. The margin is ``10·log10(q_eq/q_target)``, where ``q_eq`` gives the same
   BER with equal eyes, so ``margin >= 0`` exactly when ``BER <= target_ber``; it is the optical
   power margin when thermal noise dominates (shot and RIN noise shrink with the power, so it
   is then slightly conservative).

Penalties are itemised in optical dB, each the ratio of the smallest eye before and after the
effect (``PENALTY_NAMES``): extinction ratio (average power → OMA), eye linearity (TDECQ-like,
unequal PAM4 spacing), residual detuning (own modulator and demux ring off their lock points),
ISI, crosstalk, implementation, and noise (shot/RIN noise and the mix of unequal eyes, measured
against the thermal-noise-only sensitivity). They add up exactly:
``received average + 3.01 dB (ideal OMA = 2 × average) − Σ penalties − sensitivity = margin``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from cposim.control._validation import (
    as_float_array,
    check_choice,
    check_integer,
    check_range,
    extremes_within,
)
from cposim.photonics import _link_kernels
from cposim.photonics._link_kernels import PENALTY_NAMES
from cposim.photonics.energy import ElectricalPowerParameters, LanePower
from cposim.photonics.modulator import (
    MODULATION_LEVELS,
    SPEED_OF_LIGHT_M_PER_S,
    ModulatorOperatingPoint,
    modulation_levels,
)
from cposim.photonics.wdm import ChannelGrid

ELEMENTARY_CHARGE_C = 1.602176634e-19
"""Elementary charge, coulombs (exact, SI)."""

KP4_BER_THRESHOLD = 2.4e-4
"""Pre-FEC BER threshold of RS(544,514) "KP4" (IEEE 802.3; REFERENCE.md E)."""

DR4_SENSITIVITY_OMA_DBM = -4.4
"""100G DR4 receiver sensitivity (OMA), dBm (IEEE 802.3 via vendor datasheets; REFERENCE.md E).
Shown as a specification line, never fitted."""

TIA_16NM_NOISE_DENSITY_A_PER_SQRT_HZ = 16.9e-12
"""Input-referred noise density of a published 16 nm FinFET TIA, A/√Hz (REFERENCE.md E)."""

TIA_16NM_BANDWIDTH_HZ = 32e9
"""Bandwidth of the same TIA, Hz (REFERENCE.md E)."""

TIA_16NM_SENSITIVITY_OMA_DBM = -8.2
"""Published sensitivity of the same TIA at 112G PAM4, dBm, taken as OMA at the KP4 BER with a
1 A/W photodiode (REFERENCE.md E)."""


def _check_modulation(modulation):
    return check_choice("modulation", modulation, MODULATION_LEVELS)


def _ber_scale(modulation):
    levels = MODULATION_LEVELS[_check_modulation(modulation)]
    # Gray code: each adjacent-level error costs one of log2(M) bits, both sides of each eye.
    return 2.0 * (levels - 1) / (levels * np.log2(levels))


def ber_from_q(q, modulation):
    """Bit error ratio from the eye's q (half-height over σ), Gray-coded, equal eyes and noise.

    NRZ: ``½·erfc(q/√2)``; PAM4: ``¾·½·erfc(q/√2)`` (REFERENCE.md E).

    Parameters
    ----------
    q : float or array_like
        Each eye's half-height over the noise σ (dimensionless).
    modulation : str
        ``"nrz"`` or ``"pam4"``.
    """
    scale = _ber_scale(modulation)
    return scale * 0.5 * special.erfc(as_float_array("q", q) / np.sqrt(2.0))


def q_from_ber(ber, modulation):
    """Inverse of :func:`ber_from_q` (dimensionless q).

    Parameters
    ----------
    ber : float or array_like
        Bit error ratio, in (0, 0.5). For PAM4 a BER above 0.375 returns a negative q
        (a closed eye).
    modulation : str
        ``"nrz"`` or ``"pam4"``.
    """
    scale = _ber_scale(modulation)
    value = check_range("ber", ber, low=0.0, high=0.5, low_inclusive=False, high_inclusive=False)
    return np.sqrt(2.0) * special.erfcinv(2.0 * value / scale)


def extinction_ratio_penalty_db(extinction_ratio_db):
    """Power penalty of a finite extinction ratio, ``10·log10((r+1)/(r-1))``, dB.

    Parameters
    ----------
    extinction_ratio_db : float or array_like
        Extinction ratio, dB (> 0).
    """
    r = 10.0 ** (
        check_range("extinction_ratio_db", extinction_ratio_db, low=0.0, low_inclusive=False) / 10.0
    )
    return 10.0 * np.log10((r + 1.0) / (r - 1.0))


def oma_w(average_power_w, extinction_ratio_db):
    """Outer modulation amplitude ``2·P_avg·(r-1)/(r+1)``, watts (two-level signal).

    Parameters
    ----------
    average_power_w : float or array_like
        Average optical power, watts (≥ 0).
    extinction_ratio_db : float or array_like
        Extinction ratio, dB (> 0).
    """
    power = check_range("average_power_w", average_power_w, low=0.0)
    r = 10.0 ** (
        check_range("extinction_ratio_db", extinction_ratio_db, low=0.0, low_inclusive=False) / 10.0
    )
    return 2.0 * power * (r - 1.0) / (r + 1.0)


def noise_limited_sensitivity_oma_w(
    *, noise_density_a_per_sqrt_hz, bandwidth_hz, responsivity_a_per_w, ber, modulation
):
    """Thermal-noise-limited receiver sensitivity as OMA, watts.

    ``(M - 1)·2·q·σ/R`` with ``σ = i_n·√B`` and ``q = q_from_ber(ber)``: each of the ``M - 1``
    eyes must be ``2qσ`` tall in current.

    Parameters
    ----------
    noise_density_a_per_sqrt_hz : float
        Input-referred noise current density, A/√Hz (> 0).
    bandwidth_hz : float
        Noise bandwidth, Hz (> 0).
    responsivity_a_per_w : float
        Photodiode responsivity, A/W (> 0).
    ber : float
        Target BER, in (0, 0.5).
    modulation : str
        ``"nrz"`` or ``"pam4"``.
    """
    density = check_range(
        "noise_density_a_per_sqrt_hz", noise_density_a_per_sqrt_hz, low=0.0, low_inclusive=False
    )
    bandwidth = check_range("bandwidth_hz", bandwidth_hz, low=0.0, low_inclusive=False)
    responsivity = check_range(
        "responsivity_a_per_w", responsivity_a_per_w, low=0.0, low_inclusive=False
    )
    q = q_from_ber(ber, modulation)
    return (
        (modulation_levels(modulation) - 1)
        * 2.0
        * q
        * density
        * np.sqrt(bandwidth)
        / (responsivity)
    )


IMPLEMENTATION_PENALTY_DB = float(
    TIA_16NM_SENSITIVITY_OMA_DBM
    - 10.0
    * np.log10(
        1e3
        * noise_limited_sensitivity_oma_w(
            noise_density_a_per_sqrt_hz=TIA_16NM_NOISE_DENSITY_A_PER_SQRT_HZ,
            bandwidth_hz=TIA_16NM_BANDWIDTH_HZ,
            responsivity_a_per_w=1.0,
            ber=KP4_BER_THRESHOLD,
            modulation="pam4",
        )
    )
)
"""Gap between the published 16 nm TIA sensitivity (−8.2 dBm OMA at 112G PAM4) and the
noise-limited closed form for its 16.9 pA/√Hz over 32 GHz at the KP4 BER with 1 A/W
(≈ −12.1 dBm): ≈ 3.9 dB. Carried as the explicit, named implementation penalty of the default
link (receiver non-idealities the closed form omits), never folded into another parameter."""


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
            raise ValueError("grid must be a cposim.photonics.wdm.ChannelGrid")
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


_LANE_RANGES = {
    "modulator_detuning_m": {"low": -1e-6, "high": 1e-6},
    "modulator_fwhm_m": {"low": 0.0, "high": 1e-7, "low_inclusive": False},
    "modulator_extinction_db": {"low": 0.0, "high": 100.0, "low_inclusive": False},
    "demux_detuning_m": {"low": -1e-6, "high": 1e-6},
    "demux_fwhm_m": {"low": 0.0, "high": 1e-7, "low_inclusive": False},
    "demux_drop_loss_db": {"low": 0.0, "high": 100.0},
    "demux_extinction_db": {"low": 0.0, "high": 100.0, "low_inclusive": False},
    "laser_power_dbm": {"low": -100.0, "high": 40.0},
}
"""Allowed range of each per-lane input of :func:`evaluate_lanes`, in the lane kernel's order."""


def evaluate_lanes(
    params: LinkParameters,
    *,
    modulator_detuning_m=0.0,
    modulator_fwhm_m=None,
    modulator_extinction_db=None,
    demux_detuning_m=0.0,
    demux_fwhm_m=None,
    demux_drop_loss_db=None,
    demux_extinction_db=None,
    laser_power_dbm=None,
    engine: str = "numba",
) -> LaneBudget:
    """Link budget of many lanes at once (Numba), each with its own rings and detuning.

    Every per-lane argument broadcasts to ``batch_shape + (n_channels,)``: the last axis is the
    channel (lanes on one bus, in cascade order), leading axes are independent links (dies,
    Monte Carlo samples). Omitted values take the nominal ones from ``params``.

    Parameters
    ----------
    params : LinkParameters
        The link.
    modulator_detuning_m : float or array_like
        Modulator resonance error with respect to its intended bias (residual lock error), m.
    modulator_fwhm_m : float or array_like, optional
        Modulator FWHM, m (> 0).
    modulator_extinction_db : float or array_like, optional
        Modulator through-port dip depth on resonance, dB (> 0).
    demux_detuning_m : float or array_like
        Demultiplexer ring resonance minus its channel wavelength, m (ignored for DR links).
    demux_fwhm_m : float or array_like, optional
        Demultiplexer FWHM, m (> 0).
    demux_drop_loss_db : float or array_like, optional
        Demultiplexer peak drop loss, dB (≥ 0).
    demux_extinction_db : float or array_like, optional
        Demultiplexer through-port dip depth, dB (> 0).
    laser_power_dbm : float or array_like, optional
        Laser power per wavelength at the source, dBm.
    engine : {"numba", "numpy"}
        The Numba kernel, or its plain NumPy reference (same results; for tests and the
        benchmarks' ratios).

    Returns
    -------
    LaneBudget
        Arrays of shape ``batch_shape + (n_channels,)``.
    """
    mod = params.modulator
    demux = params.demux if params.demux is not None else DemuxRingSpec()
    n = params.grid.n_channels
    given = {
        "modulator_detuning_m": modulator_detuning_m,
        "modulator_fwhm_m": _or(modulator_fwhm_m, mod.fwhm_m),
        "modulator_extinction_db": _or(modulator_extinction_db, mod.extinction_db),
        "demux_detuning_m": demux_detuning_m,
        "demux_fwhm_m": _or(demux_fwhm_m, demux.fwhm_m),
        "demux_drop_loss_db": _or(demux_drop_loss_db, demux.drop_loss_db),
        "demux_extinction_db": _or(demux_extinction_db, demux.extinction_db),
        "laser_power_dbm": _or(laser_power_dbm, params.laser_power_dbm),
    }
    check_choice("engine", engine, ("numba", "numpy"))
    if engine == "numpy":
        values = {k: check_range(k, v, **_LANE_RANGES[k]) for k, v in given.items()}
    else:  # the kernel records each input's extremes; they are checked after it
        values = {k: _float_array(k, v) for k, v in given.items()}
    try:
        shape = np.broadcast_shapes(*(np.shape(v) for v in values.values()), (n,))
    except ValueError:
        raise ValueError(
            "per-lane inputs must broadcast to batch_shape + (n_channels,) with n_channels = "
            f"{n}; got shapes " + ", ".join(f"{k} {np.shape(v)}" for k, v in values.items())
        ) from None
    if shape[-1] != n:
        raise ValueError(
            f"the last axis of the per-lane inputs must be n_channels = {n}; "
            f"broadcast shape is {shape}"
        )
    n_links = math.prod(shape[:-1])
    if engine == "numpy":
        lanes = {k: np.broadcast_to(v, shape).reshape(n_links, n) for k, v in values.items()}
        out = _link_kernels.reference_lane_budget(**kernel_inputs(params, lanes))
    else:
        lanes = {k: _kernel_rows(v, shape) for k, v in values.items()}
        out = {
            name: np.empty((n_links, n))
            for name in ("rx_avg_dbm", "rx_oma_dbm", "ber", "margin", "tx_pass_db", "rx_pass_db")
        }
        out["penalties"] = np.empty((n_links, n, len(PENALTY_NAMES)))
        out["dominant"] = np.empty((n_links, n), dtype=np.int8)
        extremes = _link_kernels.lane_budget(*kernel_inputs(params, lanes).values(), *out.values())
        _check_extremes(values, extremes)
    return LaneBudget(
        received_average_dbm=out["rx_avg_dbm"].reshape(shape),
        received_oma_dbm=out["rx_oma_dbm"].reshape(shape),
        ber=out["ber"].reshape(shape),
        margin_db=out["margin"].reshape(shape),
        penalties_db=out["penalties"].reshape((*shape, len(PENALTY_NAMES))),
        dominant_penalty=out["dominant"].reshape(shape),
        mux_pass_by_db=out["tx_pass_db"].reshape(shape),
        demux_pass_by_db=out["rx_pass_db"].reshape(shape),
    )


def _float_array(name: str, value) -> np.ndarray:
    """``value`` as float64 without a pass over it (no copy if it already is one); non-numeric
    input raises the usual ValueError naming the field."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return as_float_array(name, value)


def _check_extremes(values: dict[str, np.ndarray], extremes: np.ndarray) -> None:
    """Validate the per-lane inputs from the kernel's (min, max, NaN-or-inf flag) per input; only
    a suspect input gets the full :func:`check_range`, which raises naming the first offender."""
    for (name, bounds), (low, high, flag) in zip(_LANE_RANGES.items(), extremes, strict=True):
        if not (flag == 0.0 and extremes_within(low, high, **bounds)):
            check_range(name, values[name], **bounds)


def _kernel_rows(value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """One per-lane input as the lane kernel takes it: shape (n_links, n_channels), or
    (1, n_channels) when every link shares the value (never copied out to full size).

    Always a writable C-contiguous float64 array, so Numba compiles (and caches) a single
    specialisation of the kernel; arrays that already are one pass through without a copy.
    """
    n = shape[-1]
    padded = (1,) * (len(shape) - value.ndim) + value.shape
    if all(d == 1 for d in padded[:-1]):
        return np.array(np.broadcast_to(value.reshape(padded[-1:]), (1, n)))
    if value.size == math.prod(shape):  # broadcasting only adds unit axes: same layout
        rows = value.reshape(-1, n)
    else:
        rows = np.broadcast_to(value, shape).reshape(-1, n)
    return np.require(rows, np.float64, ["C", "W"])


def kernel_inputs(params: LinkParameters, lanes: dict[str, np.ndarray]) -> dict:
    """Arguments of the lane kernel (and of its NumPy reference) in kernel order.

    Parameters
    ----------
    params : LinkParameters
        The link.
    lanes : dict of str to ndarray
        Per-lane values named (and in the units) as in :func:`evaluate_lanes`, each of shape
        (n_links, n_channels); the kernel (not the reference) also takes (1, n_channels).
    """
    mod = params.modulator
    demux = params.demux if params.demux is not None else DemuxRingSpec()

    def linear(db):
        return 10.0 ** (-db / 10.0)

    bandwidth = params.receiver_bandwidth_hz
    return {
        "mod_err": lanes["modulator_detuning_m"],
        "mod_fwhm": lanes["modulator_fwhm_m"],
        "mod_ext_db": lanes["modulator_extinction_db"],
        "dmx_det": lanes["demux_detuning_m"],
        "dmx_fwhm": lanes["demux_fwhm_m"],
        "dmx_drop_db": lanes["demux_drop_loss_db"],
        "dmx_ext_db": lanes["demux_extinction_db"],
        "laser_dbm": lanes["laser_power_dbm"],
        "lam": params.grid.wavelengths_m,
        "shifts": np.asarray(mod.level_shifts_m),
        "bias": mod.bias_detuning_m,
        "mod_fsr": mod.fsr_m,
        "dmx_fsr": demux.fsr_m,
        "has_demux": params.demux is not None,
        "tx_gain": float(linear(params.split_loss_db + params.laser_coupler_loss_db)),
        "link_gain": float(
            linear(
                params.tx_coupler_loss_db
                + params.fiber_connector_loss_db
                + params.rx_coupler_loss_db
            )
        ),
        "excess": float(linear(params.pass_by_loss_db)),
        "symbol_rate": params.symbol_rate_baud,
        "rc_bandwidth": mod.rc_bandwidth_hz,
        "responsivity": params.responsivity_a_per_w,
        "sigma_thermal": params.thermal_noise_a,
        "shot_coeff": 2.0 * ELEMENTARY_CHARGE_C * bandwidth,
        "rin_coeff": 10.0 ** (params.rin_db_per_hz / 10.0) * bandwidth,
        "q_target": float(q_from_ber(params.target_ber, params.modulation)),
        "impl_factor": float(linear(params.implementation_penalty_db)),
        "ber_scale": float(_ber_scale(params.modulation)) / (params.modulator.levels - 1),
        "c_light": SPEED_OF_LIGHT_M_PER_S,
    }


def _or(value, default):
    return default if value is None else value


@dataclass(frozen=True, kw_only=True)
class LaneBudget:
    """Per-lane results of :func:`evaluate_lanes` (arrays of shape ``batch + (n_channels,)``).

    Parameters
    ----------
    received_average_dbm : ndarray
        Average received power at the photodiode with the own rings on their lock points, dBm.
    received_oma_dbm : ndarray
        Actual received OMA (detuning included), dBm (-inf if the levels are inverted).
    ber : ndarray
        Bit error ratio.
    margin_db : ndarray
        Margin to ``target_ber`` in optical dB (-inf when an eye is closed).
    penalties_db : ndarray, shape ``... + (7,)``
        Itemised penalties in the order of :data:`PENALTY_NAMES`, dB (inf for the one that
        closes the eye, NaN after it).
    dominant_penalty : ndarray of int8
        Index into :data:`PENALTY_NAMES` of the largest penalty (the closing one if any).
    mux_pass_by_db, demux_pass_by_db : ndarray
        Pass-by loss in the transmitter and receiver banks, dB.
    """

    received_average_dbm: np.ndarray
    received_oma_dbm: np.ndarray
    ber: np.ndarray
    margin_db: np.ndarray
    penalties_db: np.ndarray
    dominant_penalty: np.ndarray
    mux_pass_by_db: np.ndarray
    demux_pass_by_db: np.ndarray

    PENALTY_NAMES = PENALTY_NAMES

    @property
    def passed(self) -> np.ndarray:
        """True where the lane meets the target BER (``margin_db >= 0``)."""
        return self.margin_db >= 0.0

    @property
    def dominant_penalty_name(self) -> np.ndarray:
        """Name of the dominant penalty per lane (array of str)."""
        return np.asarray(PENALTY_NAMES)[self.dominant_penalty]

    def to_dataframe(self):
        """One row per lane: flat ``lane`` and ``channel`` indices, every result column and one
        ``penalty_<name>_db`` column per penalty."""
        import pandas as pd

        n = self.ber.shape[-1]
        columns = {
            "lane": np.arange(self.ber.size),
            "channel": np.tile(np.arange(n), self.ber.size // n),
            "received_average_dbm": self.received_average_dbm.ravel(),
            "received_oma_dbm": self.received_oma_dbm.ravel(),
            "ber": self.ber.ravel(),
            "margin_db": self.margin_db.ravel(),
            "passed": self.passed.ravel(),
            "dominant_penalty": self.dominant_penalty_name.ravel(),
            "mux_pass_by_db": self.mux_pass_by_db.ravel(),
            "demux_pass_by_db": self.demux_pass_by_db.ravel(),
        }
        for k, name in enumerate(PENALTY_NAMES):
            columns[f"penalty_{name}_db"] = self.penalties_db[..., k].ravel()
        return pd.DataFrame(columns)

    def plot(self, ax=None, *, bins: int = 60):
        """Histogram of the lane margins (closed eyes counted at the left edge); returns Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        bins : int
            Number of histogram bins.
        """
        from cposim.photonics import plot

        ax = plot.axes(ax)
        margin = self.margin_db.ravel()
        finite = margin[np.isfinite(margin)]
        low = min(finite.min(), 0.0) if finite.size else -1.0
        ax.hist(np.where(np.isfinite(margin), margin, low), bins=bins, color="C0")
        ax.axvline(0.0, color="C3", linestyle="--", linewidth=1.0)
        plot.label(
            ax,
            x="Margin to target BER (dB)",
            y="Lanes",
            title=f"{self.passed.mean():.1%} of {margin.size} lanes pass",
        )
        return ax


def evaluate_link(
    params: LinkParameters | None = None,
    *,
    modulator_detuning_m=0.0,
    demux_detuning_m=0.0,
    laser_power_dbm=None,
    heater_power_w=None,
) -> LinkBudget:
    """Itemised budget of one link (every channel), with energy per bit.

    Parameters
    ----------
    params : LinkParameters, optional
        The link; default :class:`LinkParameters` (REFERENCE.md default 8 λ × 200G PAM4 link).
    modulator_detuning_m, demux_detuning_m : float or array_like, shape (n_channels,)
        Residual resonance errors of the modulator and demultiplexer rings, metres.
    laser_power_dbm : float or array_like, optional
        Laser power per wavelength, dBm (default ``params.laser_power_dbm``).
    heater_power_w : float or array_like, optional
        Heater power per lane (all its rings), watts; default from ``params.electrical``.

    Returns
    -------
    LinkBudget
    """
    params = LinkParameters() if params is None else params
    n = params.grid.n_channels
    lanes = evaluate_lanes(
        params,
        modulator_detuning_m=modulator_detuning_m,
        demux_detuning_m=demux_detuning_m,
        laser_power_dbm=laser_power_dbm,
    )
    if lanes.ber.shape != (n,):
        raise ValueError(
            f"evaluate_link takes one value per channel (shape ({n},)); got lanes "
            f"of shape {lanes.ber.shape}; use evaluate_lanes for batches"
        )
    laser_dbm = np.broadcast_to(_or(laser_power_dbm, params.laser_power_dbm), (n,)).astype(float)
    mod = params.modulator
    modulator_il = -10.0 * np.log10(mod.transmissions().mean())
    drop_loss = params.demux.drop_loss_db if params.demux is not None else 0.0
    rows = [
        ("laser output per wavelength", "start", laser_dbm),
        ("laser split and excess", "loss", params.split_loss_db),
        ("laser coupler (ELS to PIC)", "loss", params.laser_coupler_loss_db),
        ("mux pass-by", "loss", lanes.mux_pass_by_db),
        ("modulator insertion loss", "loss", modulator_il),
        ("TX coupler (PIC to fiber)", "loss", params.tx_coupler_loss_db),
        ("fiber and connectors", "loss", params.fiber_connector_loss_db),
        ("RX coupler (fiber to PIC)", "loss", params.rx_coupler_loss_db),
        ("demux pass-by", "loss", lanes.demux_pass_by_db),
        ("demux drop", "loss", drop_loss),
        ("received average power", "subtotal", lanes.received_average_dbm),
        (
            "ideal OMA (2 × average power)",
            "subtotal",
            lanes.received_average_dbm + 10.0 * np.log10(2.0),
        ),
    ]
    rows += [
        (f"{name.replace('_', ' ')} penalty", "penalty", lanes.penalties_db[:, k])
        for k, name in enumerate(PENALTY_NAMES)
    ]
    effective = lanes.received_average_dbm + 10.0 * np.log10(2.0) - lanes.penalties_db.sum(axis=1)
    rows += [
        ("effective OMA", "subtotal", effective),
        ("receiver sensitivity (thermal-noise OMA)", "reference", params.sensitivity_oma_dbm),
        ("margin", "result", lanes.margin_db),
        ("received OMA", "info", lanes.received_oma_dbm),
        ("specification sensitivity (DR4 OMA)", "spec", params.spec_sensitivity_oma_dbm),
        (
            "margin to specification",
            "spec",
            lanes.received_oma_dbm - params.spec_sensitivity_oma_dbm,
        ),
    ]
    laser_lane_w = 1e-3 * 10.0 ** (laser_dbm / 10.0) / params.laser_split_ways
    return LinkBudget(
        items=tuple(r[0] for r in rows),
        kinds=tuple(r[1] for r in rows),
        values_db=np.array([np.broadcast_to(r[2], (n,)) for r in rows], dtype=np.float64),
        channel_wavelength_m=params.grid.wavelengths_m,
        ber=lanes.ber,
        target_ber=params.target_ber,
        lanes=lanes,
        power=params.electrical.lane_power(
            laser_optical_power_w=laser_lane_w,
            bit_rate_bps=params.bit_rate_bps,
            heater_power_w=heater_power_w,
        ),
    )


@dataclass(frozen=True, kw_only=True)
class LinkBudget:
    """Itemised link budget of every channel of one link.

    Parameters
    ----------
    items : tuple of str
        Budget lines, in waterfall order.
    kinds : tuple of str
        Kind of each line: ``start`` (dBm), ``loss``/``penalty`` (dB, positive = worse),
        ``subtotal``/``reference``/``info`` (dBm), ``result`` (margin, dB), ``spec`` (dBm or dB).
    values_db : ndarray, shape (n_items, n_channels)
        Value of each line per channel, dB or dBm as its kind says.
    channel_wavelength_m : ndarray, shape (n_channels,)
        Channel wavelengths, metres.
    ber : ndarray, shape (n_channels,)
        Bit error ratio per channel.
    target_ber : float
        BER threshold.
    lanes : LaneBudget
        The underlying per-lane result.
    power : LanePower
        Electrical power and energy per bit of each lane.
    """

    items: tuple[str, ...]
    kinds: tuple[str, ...]
    values_db: np.ndarray
    channel_wavelength_m: np.ndarray
    ber: np.ndarray
    target_ber: float
    lanes: LaneBudget
    power: LanePower

    @property
    def margin_db(self) -> np.ndarray:
        """Margin per channel, dB."""
        return self.lanes.margin_db

    @property
    def worst_channel(self) -> int:
        """Index of the channel with the smallest margin."""
        return int(np.argmin(self.margin_db))

    def value(self, item: str) -> np.ndarray:
        """Values of one budget line per channel (dB or dBm).

        Parameters
        ----------
        item : str
            Line name (see :attr:`items`).
        """
        if item not in self.items:
            raise ValueError(
                f"item = {item!r} is not a budget line; choose one of {', '.join(self.items)}"
            )
        return self.values_db[self.items.index(item)]

    def to_dataframe(self):
        """Itemised table: ``item``, ``kind``, ``unit`` and one column ``ch<i>`` per channel,
        followed by BER and energy-per-bit rows."""
        import pandas as pd

        unit = {
            "start": "dBm",
            "loss": "dB",
            "penalty": "dB",
            "subtotal": "dBm",
            "reference": "dBm",
            "result": "dB",
            "info": "dBm",
        }
        table = pd.DataFrame(
            {
                "item": list(self.items),
                "kind": list(self.kinds),
                "unit": [
                    unit.get(k, "dB" if "margin" in i else "dBm")
                    for i, k in zip(self.items, self.kinds, strict=True)
                ],
            }
        )
        n = self.channel_wavelength_m.size
        channels = pd.DataFrame(self.values_db, columns=[f"ch{i}" for i in range(n)])
        extra = pd.DataFrame(
            [
                ["BER", "result", "1", *self.ber],
                [
                    "energy per bit",
                    "info",
                    "pJ/bit",
                    *np.broadcast_to(self.power.energy_per_bit_j * 1e12, (n,)),
                ],
            ],
            columns=["item", "kind", "unit", *channels.columns],
        )
        return pd.concat([pd.concat([table, channels], axis=1), extra], ignore_index=True)

    def plot(self, ax=None, *, channel: int | None = None):
        """Waterfall of one channel (default the worst) from laser power to margin.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        channel : int, optional
            Channel index; default :attr:`worst_channel`.
        """
        from cposim.photonics import plot

        ax = plot.axes(ax, figsize=(9.0, 4.5))
        ch = self.worst_channel if channel is None else int(channel)
        values = self.values_db[:, ch]
        level = values[0]
        labels, lows, highs, colours = [], [], [], []
        floor = None
        for item, kind, value in zip(self.items, self.kinds, values, strict=True):
            if kind in ("loss", "penalty"):
                shown = value if np.isfinite(value) else 0.0
                labels.append(item)
                lows.append(level - shown)
                highs.append(level)
                colours.append("C3" if kind == "loss" else "C1")
                level -= shown
            elif kind in ("start", "subtotal"):
                labels.append(item)
                floor = value if floor is None else floor
                lows.append(np.nan)
                highs.append(value)
                colours.append("C0")
                level = value
        # The DR4 specification is a received-OMA sensitivity, so it is drawn across a column
        # of its own, the received OMA (before penalties), not across the whole budget.
        received = self.value("received OMA")[ch]
        labels.append("received OMA (vs DR4 spec)")
        lows.append(np.nan)
        highs.append(received)
        colours.append("C2")
        x = np.arange(len(labels))
        finite = np.array([v for v in lows + highs if np.isfinite(v)])
        sensitivity = self.value("receiver sensitivity (thermal-noise OMA)")[ch]
        spec = self.value("specification sensitivity (DR4 OMA)")[ch]
        bottom = min(finite.min(), sensitivity, spec) - 2.0
        lows = [bottom if np.isnan(lo) else lo for lo in lows]
        ax.bar(x, np.array(highs) - np.array(lows), bottom=lows, color=colours, width=0.7)
        ax.axhline(
            sensitivity,
            color="k",
            linewidth=1.0,
            label=f"sensitivity {sensitivity:.1f} dBm (vs effective OMA)",
        )
        ax.hlines(
            spec,
            x[-1] - 0.5,
            x[-1] + 0.5,
            color="k",
            linestyle="--",
            linewidth=1.5,
            label=f"DR4 spec {spec:.1f} dBm (vs received OMA)",
        )
        ax.set_xticks(x, labels, rotation=60, ha="right", fontsize="small")
        ax.set_ylim(bottom, max(highs) + 1.5)  # room above the laser bar
        plot.label(
            ax,
            x="Budget line",
            y="Power (dBm)",
            title=f"Channel {ch}: margin {self.margin_db[ch]:.2f} dB, BER {self.ber[ch]:.2e}",
        )
        ax.legend(loc="upper right", fontsize="small")
        return ax


__all__ = [
    "DR4_SENSITIVITY_OMA_DBM",
    "IMPLEMENTATION_PENALTY_DB",
    "KP4_BER_THRESHOLD",
    "PENALTY_NAMES",
    "TIA_16NM_BANDWIDTH_HZ",
    "TIA_16NM_NOISE_DENSITY_A_PER_SQRT_HZ",
    "TIA_16NM_SENSITIVITY_OMA_DBM",
    "DemuxRingSpec",
    "LaneBudget",
    "LinkBudget",
    "LinkParameters",
    "ber_from_q",
    "evaluate_lanes",
    "evaluate_link",
    "extinction_ratio_penalty_db",
    "kernel_inputs",
    "noise_limited_sensitivity_oma_w",
    "oma_w",
    "q_from_ber",
]
