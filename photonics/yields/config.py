"""Configuration of a yield study: every parameter of the fab → lock → BER chain.

A :class:`YieldConfig` is a tree of frozen dataclasses that reads from and writes to TOML (see
:mod:`cposim.photonics.runtime.toml`): ``cposim yield show-config default`` prints one to copy
and edit, and any unknown key, wrong type or out-of-range value is rejected with its dotted
name. The library's own parameter objects are reused as tables: ``[wafer]`` is a
:class:`~cposim.photonics.fab.wafer.Wafer`, ``[variation]`` a
:class:`~cposim.photonics.fab.variation.VariationModel` and ``[link]`` a
:class:`~cposim.photonics.link.parameters.LinkParameters`, whose ``[link.modulator]`` (a
:class:`~cposim.photonics.devices.modulator.RingModulator` with its ``[link.modulator.ring]``)
and ``[link.demux]`` (a :class:`~cposim.photonics.devices.ring.Ring`) are the transmit and
receive ring designs that fabrication varies.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

import numpy as np

from cposim.control.core.validation import check_choice, check_integer, check_range
from cposim.control.heater import DEFAULT_MAX_POWER_W, HeaterDriver
from cposim.photonics.fab.defects import DefectDensities
from cposim.photonics.fab.variation import VariationModel
from cposim.photonics.fab.wafer import DieLayout, Wafer, WaferLayout
from cposim.photonics.link.parameters import LinkParameters
from cposim.photonics.runtime.toml import from_mapping, load_toml
from cposim.photonics.yields.closed_loop import DynamicLockSettings

MODULATOR_BIAS_RULES = ("linewidth", "wavelength")
"""Where the lock holds a fabricated modulator ring (:class:`LockSettings`)."""
ISI_MODELS = ("single-pole", "time-domain")
"""How a study models each lane's intersymbol interference (:class:`IsiSettings`)."""
LOCK_MODES = ("static", "dynamic")
"""How a study models the lock (:class:`LockSettings`)."""

PRESET_PACKAGE = "cposim.photonics.yields"
PRESET_FOLDER = "presets"


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """Size and seed of the Monte Carlo.

    Parameters
    ----------
    seed : int
        Master seed (≥ 0); every wafer's random streams are keyed by ``(seed, wafer index)``.
    n_wafers : int
        Wafers to simulate (≥ 1), a count; dies per wafer follow from ``[wafer]`` and ``[die]``.
    wafers_per_chunk : int
        Whole wafers per stored Parquet part (≥ 1), a count. Bounds memory; results do not
        depend on it.
    """

    seed: int = 1
    n_wafers: int = 4
    wafers_per_chunk: int = 1

    def __post_init__(self):
        for name, low in (("seed", 0), ("n_wafers", 1), ("wafers_per_chunk", 1)):
            check_integer(name, getattr(self, name), low=low)


@dataclass(frozen=True, kw_only=True)
class DieSettings:
    """Die size and its optical engines: each link is a TX bank and an RX bank of rings.

    Parameters
    ----------
    width_m, height_m : float
        Die size, metres. Default 5 mm × 5 mm (*assumption* for the photonic die of one
        1.6 Tb/s DR engine: room for 18 edge-coupled fibers at 127 µm pitch, 2.3 mm, and eight
        modulators with drivers bonded above).
    street_m : float
        Dicing street between dies, metres. Default 100e-6 (assumption).
    engines_x, engines_y : int
        Optical engines per die along x and y (≥ 1), a count. Default 1 × 1.
    links_per_engine : int
        Links (fibers) per engine (≥ 1), a count; each has one TX (modulator) bank and, when
        the link has a demultiplexer, one RX bank. Default 8: a 1.6T engine of 8 × 200G DR
        lanes (Quantum-X Photonics' 1.6 Tb/s engines).
    ring_pitch_m : float
        Ring spacing within a bank, metres. Default 25e-6 (assumption: a 3.6 µm ring with its
        heater and contacts).
    bank_pitch_m : float
        Spacing between the banks of an engine, metres. Default 250e-6 (assumption).
    engine_pitch_x_m, engine_pitch_y_m : float
        Spacing between engines, metres. Default 1.5e-3 (assumption).
    """

    width_m: float = 5e-3
    height_m: float = 5e-3
    street_m: float = 100e-6
    engines_x: int = 1
    engines_y: int = 1
    links_per_engine: int = 8
    ring_pitch_m: float = 25e-6
    bank_pitch_m: float = 250e-6
    engine_pitch_x_m: float = 1.5e-3
    engine_pitch_y_m: float = 1.5e-3

    def __post_init__(self):
        for name in ("engines_x", "engines_y", "links_per_engine"):
            check_integer(name, getattr(self, name), low=1)

    @property
    def n_engines(self) -> int:
        """Optical engines per die."""
        return self.engines_x * self.engines_y


@dataclass(frozen=True, kw_only=True)
class TuningSettings:
    """Heater tuning: channel assignment, heater limits and the environment to cover.

    Rings are characterised (their resonances sampled) at the *hottest* operating point; the
    plan red-shifts them onto the grid there, and every ring keeps
    ``thermal_shift·ambient_range + laser drift·laser range`` of heater headroom for the
    coldest corner (with the laser at its hottest), where it needs the most power.

    Parameters
    ----------
    strategy : {"ordered", "barrel", "free"}
        Channel assignment (see :mod:`cposim.control.tuning`). Default "barrel" (DSENT's
        thermal tuning with bit reshuffle: Sun et al., DSENT, NOCS 2012).
    tuning_efficiency_m_per_w : float
        Resonance red shift per heater watt, m/W (> 0). Default 2e-7 (0.2 nm/mW, assumption
        inside 0.1-2.06 nm/mW: Zhang et al., Photonics Res. 10(4), 1127 (2022); Atabaki et
        al., Opt. Express 21(13), 15706 (2013)).
    max_heater_power_w : float
        Largest heater power per ring, W (> 0): the study's heater limit, from which
        :attr:`heater` is derived. Default
        :data:`cposim.control.heater.DEFAULT_MAX_POWER_W` (44.8 mW: FSR/2 at 0.2 nm/mW).
    bank_power_budget_w : float
        Largest total heater power of one bank, W (> 0; inf for none). Default inf.
    neighbour_crosstalk : float
        Thermal crosstalk fraction from a heater to its nearest neighbour ring (dimensionless,
        0 … 0.5); next-nearest get its square. Default 0.05 (assumption for 25 µm pitch).
    design_offset_m : float
        Nominal resonance of each ring minus its channel at the hottest corner (a modulator
        ring self-heated at its nominal operating power), metres (≤ 0: designed blue of its
        channel). Default -1.12e-9, half of the 400 GHz channel spacing
        (assumption): a nominal bank then needs half a spacing of barrel shift, the middle of
        what any common fabrication offset can require. With 0, a nominal ring that lands a
        hair red of its channel needs a whole spacing, so yield would *rise* with variation.
    ambient_range_k : float
        Operating ambient temperature span, kelvin (≥ 0). Default 60 (the locking range of
        an analog PID lock, arXiv 2409.06604).
    laser_drift_m_per_k : float
        Laser wavelength drift, m/K (≥ 0). Default 0.09e-9 (the 0.08-0.10 nm/K of DFB laser
        datasheets).
    laser_temperature_range_k : float
        Temperature span of the laser (external laser source, TEC-stabilised), kelvin (≥ 0).
        Default 2 (assumption).
    alias_guard_m : float or None
        Smallest allowed distance between another channel and a tuned ring's resonance orders,
        m; ``"none"`` uses the tuning module's default (a quarter of the channel spacing).
    heater_dac_bits : int
        Resolution of every heater's DAC, bits (0: an ideal continuous driver, else 1 … 24);
        the dynamic lock drives the heaters through it. Default 12 (the
        :class:`~cposim.control.heater.HeaterDriver` assumption).
    """

    strategy: Literal["ordered", "barrel", "free"] = "barrel"
    tuning_efficiency_m_per_w: float = 2e-7
    max_heater_power_w: float = DEFAULT_MAX_POWER_W
    bank_power_budget_w: float = math.inf
    neighbour_crosstalk: float = 0.05
    design_offset_m: float = -1.12e-9
    ambient_range_k: float = 60.0
    laser_drift_m_per_k: float = 0.09e-9
    laser_temperature_range_k: float = 2.0
    alias_guard_m: float | None = None
    heater_dac_bits: int = 12

    def __post_init__(self):
        check_range(
            "tuning_efficiency_m_per_w",
            self.tuning_efficiency_m_per_w,
            low=0.0,
            high=1e-3,
            low_inclusive=False,
        )
        check_range(
            "max_heater_power_w", self.max_heater_power_w, low=0.0, high=10.0, low_inclusive=False
        )
        check_range(
            "bank_power_budget_w",
            self.bank_power_budget_w,
            low=0.0,
            low_inclusive=False,
            allow_inf=True,
        )
        check_range("neighbour_crosstalk", self.neighbour_crosstalk, low=0.0, high=0.5)
        check_range("design_offset_m", self.design_offset_m, low=-1e-7, high=0.0)
        check_range("ambient_range_k", self.ambient_range_k, low=0.0, high=300.0)
        check_range("laser_drift_m_per_k", self.laser_drift_m_per_k, low=0.0, high=1e-9)
        check_range(
            "laser_temperature_range_k", self.laser_temperature_range_k, low=0.0, high=300.0
        )
        if self.alias_guard_m is not None:
            check_range("alias_guard_m", self.alias_guard_m, low=0.0, high=1e-7)
        check_integer("heater_dac_bits", self.heater_dac_bits, low=0)
        check_range("heater_dac_bits", self.heater_dac_bits, high=24)

    @property
    def heater(self) -> HeaterDriver:
        """The heater driver whose full scale is :attr:`max_heater_power_w`, with
        :attr:`heater_dac_bits` (default resistance of
        :class:`~cposim.control.heater.HeaterDriver`)."""
        return HeaterDriver.with_max_power(self.max_heater_power_w, dac_bits=self.heater_dac_bits)

    def crosstalk_matrix(self, n_rings: int) -> np.ndarray:
        """Thermal crosstalk matrix ``X`` of a bank (diagonal 1, neighbours c, next c²).

        Parameters
        ----------
        n_rings : int
            Rings in the bank, a count.
        """
        distance = np.abs(np.subtract.outer(np.arange(n_rings), np.arange(n_rings)))
        return np.where(
            distance == 0, 1.0, np.where(distance <= 2, self.neighbour_crosstalk**distance, 0.0)
        )


@dataclass(frozen=True, kw_only=True)
class LockSettings:
    """How rings lock: the static residual detuning (from the control model), or the loop
    itself in time (``mode = "dynamic"``, configured by ``[dynamic]``).

    The default is what :func:`cposim.control.analysis.residual_lock_error` predicts for the
    loop of notebook 03: a dither/lock-in detector (50 µW dither over 16 samples, monitor TIA
    17 pA/√Hz), a lambda-tuned PI controller (50 µs closed-loop time constant) on a 4 µs heater
    (Atabaki et al. 2010) with 0.2 nm/mW, sampled at 1 µs, FWHM 0.32 nm, tracking a 60 K/s
    ambient drift: σ ≈ 3.82 pm, almost all from the dither itself, and a 0.19 pm mean offset
    (taken as 0). ``tests/photonics/yields/test_config.py`` recomputes it. Users with
    measured lock statistics enter them here.

    Parameters
    ----------
    mode : {"static", "dynamic"}
        ``"static"``: the tuning plan and a Gaussian residual per ring (fast). ``"dynamic"``:
        every chosen die powers up, acquires its channels and tracks its mission profile
        (:mod:`cposim.photonics.yields.closed_loop`). Default "static".
    mean_m : float
        Mean residual detuning of the static mode, metres. Default 0.
    sigma_m : float
        Standard deviation of the residual detuning, metres (≥ 0). Default 3.82e-12 (above);
        well inside a lock-accuracy target of FWHM/10 ≈ 30 pm (design assumption).
    modulator_bias : {"linewidth", "wavelength"}
        Where the loop holds each fabricated modulator ring. ``"linewidth"``: at the design's
        bias in units of the ring's own linewidth (a slope or dither detector's zero crossing
        sits at a fixed fraction of the linewidth; *assumption*), so a narrower ring is biased
        closer. ``"wavelength"``: at the design's bias in metres. Default "linewidth".
    """

    mode: Literal["static", "dynamic"] = "static"
    mean_m: float = 0.0
    sigma_m: float = 3.82e-12
    modulator_bias: Literal["linewidth", "wavelength"] = "linewidth"

    def __post_init__(self):
        check_choice("mode", self.mode, LOCK_MODES)
        check_range("mean_m", self.mean_m, low=-1e-9, high=1e-9)
        check_range("sigma_m", self.sigma_m, low=0.0, high=1e-9)
        check_choice("modulator_bias", self.modulator_bias, MODULATOR_BIAS_RULES)


@dataclass(frozen=True, kw_only=True)
class PassCriteria:
    """What a lane must meet to pass (BER margin comes from ``[link]``'s target BER).

    Parameters
    ----------
    min_margin_db : float
        Smallest acceptable BER margin at the link's target BER, dB. Default 0.
    min_modulator_extinction_ratio_db : float
        Smallest transmitter extinction ratio (outer levels), dB. Default 3.5 (IEEE 802.3 DR4
        floor, as listed in 100G DR4 transceiver datasheets).
    max_modulator_insertion_loss_db : float
        Largest transmitter insertion loss (average level), dB. Default 6 (assumption: 3 dB
        nominal plus 3 dB allowance).
    """

    min_margin_db: float = 0.0
    min_modulator_extinction_ratio_db: float = 3.5
    max_modulator_insertion_loss_db: float = 6.0

    def __post_init__(self):
        check_range("min_margin_db", self.min_margin_db, low=-50.0, high=50.0)
        check_range(
            "min_modulator_extinction_ratio_db",
            self.min_modulator_extinction_ratio_db,
            low=0.0,
            high=50.0,
        )
        check_range(
            "max_modulator_insertion_loss_db",
            self.max_modulator_insertion_loss_db,
            low=0.0,
            high=50.0,
            low_inclusive=False,
        )


@dataclass(frozen=True, kw_only=True)
class IsiSettings:
    """How each lane's intersymbol interference enters its link budget.

    ``"single-pole"``: one equivalent pole of the modulator's photon lifetime, its junction RC
    and the receiver, worst case, no equaliser
    (:func:`~cposim.photonics.link.lanes.single_pole_isi_closure`). ``"time-domain"``: the
    lane simulated in time (driver, junction, ring dynamics with self-heating, receiver, then a
    feed-forward equaliser) on a linewidth × detuning grid once per study, and interpolated per
    lane with its own fabricated linewidth and lock error
    (:func:`~cposim.photonics.timedomain.penalty.isi_table`); slower to start (a few seconds),
    the same speed per die afterwards.

    Parameters
    ----------
    model : {"single-pole", "time-domain"}
        The ISI model. Default ``"single-pole"``.
    driver_bandwidth_hz : float
        Modulator driver 3 dB bandwidth (Bessel), Hz (> 0), time domain only. Default 60e9
        (*assumption*, :class:`~cposim.photonics.timedomain.transmitter.Driver`).
    ffe_taps : int
        Receiver feed-forward equaliser taps (1 … 64; 1: none), time domain only. Default 5
        (the reference equaliser length of IEEE 802.3 100G-per-lane PMDs).
    samples_per_symbol : int
        Samples per symbol of the simulation (4 … 256), time domain only. Default 16.
    """

    model: Literal["single-pole", "time-domain"] = "single-pole"
    driver_bandwidth_hz: float = 60e9
    ffe_taps: int = 5
    samples_per_symbol: int = 16

    def __post_init__(self):
        check_choice("model", self.model, ISI_MODELS)
        check_range("driver_bandwidth_hz", self.driver_bandwidth_hz, low=1e9, high=1e13)
        check_integer("ffe_taps", self.ffe_taps, low=1)
        check_range("ffe_taps", self.ffe_taps, high=64)
        check_integer("samples_per_symbol", self.samples_per_symbol, low=4)
        check_range("samples_per_symbol", self.samples_per_symbol, high=256)


@dataclass(frozen=True, kw_only=True)
class SpreadSettings:
    """Part-to-part spreads of the lane beyond its rings, each from its own keyed stream
    (Gaussian, but the dark current's log-normal).

    Parameters
    ----------
    laser_line_power_sigma_db : float
        Standard deviation of each laser line's output power, dB (≥ 0); every lane the line
        feeds (``link.laser_split_ways``) shares it. Default 0.33: the ±1 dB line-power
        tolerance of the CW-WDM MSA Technical Specification rev 1.0 (2021) taken as ±3σ
        (*assumption* on the distribution).
    fiber_coupling_loss_sigma_db : float
        Standard deviation of each fibre's own attach loss (laser, transmit and receive
        couplers of a lane's fibre together: its core's position in the array), dB (≥ 0); the
        lanes of one fibre (the WDM channels) share it. Default 0.13 (*assumption*: ±0.4 dB as
        ±3σ for a core placed within ≈ ±0.5 µm of its V-groove position against an edge
        coupler's ≈ 3 µm mode field).
    fiber_array_loss_sigma_db : float
        Standard deviation of each engine's fibre-array attach offset, dB (≥ 0), shared by
        every fibre of the engine (the array's lateral, vertical and angular alignment), on top
        of each fibre's own. Default 0.15 (*assumption*; with the fibre's own 0.13 dB, 0.2 dB
        per fibre in all, the sub-micrometre passive alignment of an array to edge couplers).
    laser_wavelength_sigma_m : float
        Standard deviation of each laser source's wavelength error, m (≥ 0): the whole grid of
        one source moves together (a DR line and the lanes it feeds, or one WDM source and its
        channels); only laser − ring enters, so it moves every ring's needed tuning. Default
        33 pm (*assumption*: a TEC-stabilised source within ±0.1 nm of its grid as ±3σ).
    propagation_loss_sigma : float
        Relative standard deviation of each die's waveguide and ring propagation loss (0 …
        1; every ring of a die shares its factor, clipped at 0), which moves every ring's Q,
        extinction, drop loss and with them the modulator's levels and the lock. Default 0.05
        (*assumption*: ±15 % die to die as ±3σ; a doped modulator ring's loss is set mostly
        by its implant doses, the rest by sidewall roughness varying over the wafer).
    photodiode_responsivity_sigma : float
        Relative standard deviation of each lane's photodiode responsivity (0 … 0.5). Default
        0.02 (*assumption*: ±0.054 A/W at 0.9 A/W as ±3σ, the width of the 0.89–0.95 A/W range
        of published Ge-on-Si photodiodes cited at
        :attr:`~cposim.photonics.link.parameters.LinkParameters.responsivity_a_per_w`).
    photodiode_dark_current_sigma : float
        Standard deviation of the natural log of each photodiode's dark current (0 … 3; a
        log-normal factor of median 1 on
        :attr:`~cposim.photonics.link.parameters.LinkParameters.photodiode_dark_current_a`).
        Default 0.5 (*assumption*: dark currents of one process spread over a factor of a few;
        at nanoamperes their shot noise is far below the TIA's, so this moves little).
    tia_noise_sigma : float
        Relative standard deviation of each lane's receiver input-referred noise density (0 …
        0.5). Default 0.05 (*assumption*: ±15 % die to die and lane to lane as ±3σ).
    laser_rin_sigma_db : float
        Standard deviation of each laser's RIN, dB (0 … 10); the lanes one laser feeds share
        it (the same channel of the ``link.laser_split_ways`` links of one source). Default 1
        (*assumption*: ±3 dB as ±3σ about the link's RIN).
    heater_resistance_sigma : float
        Relative standard deviation of each ring's heater resistance (0 … 0.3). On the
        study's voltage driver a heater of ``R0·(1 + σz)`` reaches ``V²/R =
        tuning.max_heater_power_w / (1 + σz)`` at full scale
        (:meth:`~cposim.control.heater.HeaterDriver.full_scale_power_w`). The controller
        knows its heater (the resistance is measured at power-up), so both lock modes see
        that ring's own range in watts, its tuning efficiency per watt unchanged. Default
        0.05 (*assumption*: ±15 % as ±3σ, a metal-heater film's sheet-resistance and
        line-width spread).
    driver_swing_sigma : float
        Relative standard deviation of each lane's modulator-driver output swing (0 … 0.3;
        the ratio ``1 + σz`` enters
        :func:`~cposim.photonics.link.lanes.evaluate_lanes` as ``drive_swing_ratio``): it
        moves the levels, so the OMA, the ER and the eye spacing. Default 0.03 (*assumption*:
        ±9 % as ±3σ, a CMOS driver's swing following its supply, ±5 %, and its process and
        temperature corner).
    """

    laser_line_power_sigma_db: float = 0.33
    fiber_coupling_loss_sigma_db: float = 0.13
    fiber_array_loss_sigma_db: float = 0.15
    laser_wavelength_sigma_m: float = 33e-12
    propagation_loss_sigma: float = 0.05
    photodiode_responsivity_sigma: float = 0.02
    photodiode_dark_current_sigma: float = 0.5
    tia_noise_sigma: float = 0.05
    laser_rin_sigma_db: float = 1.0
    heater_resistance_sigma: float = 0.05
    driver_swing_sigma: float = 0.03

    def __post_init__(self):
        check_range("laser_line_power_sigma_db", self.laser_line_power_sigma_db, low=0.0, high=10.0)
        check_range(
            "fiber_coupling_loss_sigma_db", self.fiber_coupling_loss_sigma_db, low=0.0, high=10.0
        )
        check_range("fiber_array_loss_sigma_db", self.fiber_array_loss_sigma_db, low=0.0, high=10.0)
        check_range("laser_wavelength_sigma_m", self.laser_wavelength_sigma_m, low=0.0, high=1e-8)
        check_range("propagation_loss_sigma", self.propagation_loss_sigma, low=0.0, high=1.0)
        check_range(
            "photodiode_responsivity_sigma", self.photodiode_responsivity_sigma, low=0.0, high=0.5
        )
        check_range(
            "photodiode_dark_current_sigma", self.photodiode_dark_current_sigma, low=0.0, high=3.0
        )
        check_range("tia_noise_sigma", self.tia_noise_sigma, low=0.0, high=0.5)
        check_range("laser_rin_sigma_db", self.laser_rin_sigma_db, low=0.0, high=10.0)
        check_range("heater_resistance_sigma", self.heater_resistance_sigma, low=0.0, high=0.3)
        check_range("driver_swing_sigma", self.driver_swing_sigma, low=0.0, high=0.3)


@dataclass(frozen=True, kw_only=True)
class YieldConfig:
    """Every parameter of a yield study (see the module docstring for the tables).

    Parameters
    ----------
    run : RunSettings
        Seed and size.
    wafer : Wafer
        Wafer diameter and edge exclusion.
    die : DieSettings
        Die size and engines.
    variation : VariationModel
        Fabrication variation (its ``ring`` is only the sampler's reference for absolute
        resonance wavelengths; the ring designs are ``link.modulator.ring`` and
        ``link.demux``).
    link : LinkParameters
        The link: grid, modulator device and drive, demultiplexer ring, channel, receiver.
        Default :meth:`LinkParameters.dr_lane` (the Quantum-X-like DR lane).
    tuning : TuningSettings
        Heater tuning and environment.
    lock : LockSettings
        Lock mode and the static residual lock error.
    dynamic : DynamicLockSettings
        The closed-loop simulation of the dynamic lock mode.
    criteria : PassCriteria
        Pass/fail limits.
    isi : IsiSettings
        How each lane's ISI is modelled.
    defects : DefectDensities
        Killer-defect densities per layer and their clustering; critical areas come from the
        link's ring designs and a default photodiode
        (:class:`~cposim.photonics.fab.defects.CriticalAreas`).
    spreads : SpreadSettings
        Laser line power and fibre coupling loss, part to part.
    """

    run: RunSettings = field(default_factory=RunSettings)
    wafer: Wafer = field(default_factory=Wafer)
    die: DieSettings = field(default_factory=DieSettings)
    variation: VariationModel = field(default_factory=VariationModel)
    link: LinkParameters = field(default_factory=LinkParameters.dr_lane)
    tuning: TuningSettings = field(default_factory=TuningSettings)
    lock: LockSettings = field(default_factory=LockSettings)
    dynamic: DynamicLockSettings = field(default_factory=DynamicLockSettings)
    criteria: PassCriteria = field(default_factory=PassCriteria)
    isi: IsiSettings = field(default_factory=IsiSettings)
    defects: DefectDensities = field(default_factory=DefectDensities)
    spreads: SpreadSettings = field(default_factory=SpreadSettings)

    @property
    def has_demux(self) -> bool:
        """Whether links have a receive (demultiplexer) bank."""
        return self.link.demux is not None

    @property
    def n_channels(self) -> int:
        """Wavelengths per link (rings per bank)."""
        return self.link.grid.n_channels

    @property
    def banks_per_link(self) -> int:
        """Ring banks per link: TX, plus RX when there is a demultiplexer."""
        return 2 if self.has_demux else 1

    def layout(self) -> WaferLayout:
        """Wafer layout with the die's ring banks (bank ``b``: link ``b // banks_per_link``,
        TX when ``b % banks_per_link == 0``)."""
        die = self.die
        return WaferLayout(
            wafer=self.wafer,
            die=DieLayout.ring_banks(
                width_m=die.width_m,
                height_m=die.height_m,
                engines_x=die.engines_x,
                engines_y=die.engines_y,
                banks_per_engine=die.links_per_engine * self.banks_per_link,
                rings_per_bank=self.n_channels,
                ring_pitch_m=die.ring_pitch_m,
                bank_pitch_m=die.bank_pitch_m,
                engine_pitch_x_m=die.engine_pitch_x_m,
                engine_pitch_y_m=die.engine_pitch_y_m,
            ),
            street_m=die.street_m,
        )

    def with_changes(self, changes: dict) -> YieldConfig:
        """Copy with dotted-key changes, e.g. ``config.with_changes({"tuning.strategy": "free"})``.

        Parameters
        ----------
        changes : dict
            Dotted key (as in the TOML file) → new value; the new value is validated by the
            table it lands in.
        """
        config = self
        for key, value in changes.items():
            config = _replace_path(config, key.split("."), value, key)
        return config


def _replace_path(obj, parts, value, key):
    name = parts[0]
    if not dataclasses.is_dataclass(obj) or name not in {f.name for f in dataclasses.fields(obj)}:
        raise ValueError(
            f"{key!r} is not a configuration key ({name!r} is not in {type(obj).__name__})"
        )
    if len(parts) == 1:
        return dataclasses.replace(obj, **{name: value})
    inner = _replace_path(getattr(obj, name), parts[1:], value, key)
    return dataclasses.replace(obj, **{name: inner})


def load_config(path) -> YieldConfig:
    """Read a yield configuration from a TOML file (strict: unknown keys are errors).

    Parameters
    ----------
    path : str or pathlib.Path
        TOML file.
    """
    return from_mapping(YieldConfig, load_toml(path))


def preset_names() -> list[str]:
    """Names of the shipped presets (``cposim yield presets``)."""
    folder = resources.files(PRESET_PACKAGE) / PRESET_FOLDER
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def preset_text(name: str) -> str:
    """TOML text of a shipped preset, with its explanatory comments.

    Parameters
    ----------
    name : str
        Preset name (see :func:`preset_names`).
    """
    names = preset_names()
    if name not in names:
        raise ValueError(
            f"preset = {name!r} is not a shipped preset; choose one of {', '.join(names)}"
        )
    folder = resources.files(PRESET_PACKAGE) / PRESET_FOLDER
    return (folder / f"{name}.toml").read_text(encoding="utf-8")


def preset_description(name: str) -> str:
    """First comment line of a preset file (its one-line description).

    Parameters
    ----------
    name : str
        Preset name.
    """
    for line in preset_text(name).splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""


def preset(name: str) -> YieldConfig:
    """A shipped preset configuration by name (``"default"``, ``"dr-200g"`` …).

    Parameters
    ----------
    name : str
        Preset name (see :func:`preset_names`).
    """
    return from_mapping(YieldConfig, tomllib.loads(preset_text(name)))


__all__ = [
    "ISI_MODELS",
    "LOCK_MODES",
    "PRESET_FOLDER",
    "PRESET_PACKAGE",
    "DieSettings",
    "IsiSettings",
    "LockSettings",
    "PassCriteria",
    "RunSettings",
    "SpreadSettings",
    "TuningSettings",
    "YieldConfig",
    "load_config",
    "preset",
    "preset_description",
    "preset_names",
    "preset_text",
]
