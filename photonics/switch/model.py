"""Switch-level model of co-packaged optics (NVIDIA Quantum-X / Spectrum-X Photonics) and of a
pluggable reference: hierarchy, counts, optical I/O power, yield and reliability.

Hierarchy (every count is derived from it, none is typed in as a total)::

    switch ─► ASICs ─► optical engines (or pluggable modules) ─► lanes ─► rings ─► heaters
    laser modules ─► lasers ─► split to lanes          ports ─► lanes (800G = 4 × 200G)

A lane is one 200 Gb/s duplex channel (one transmit and one receive wavelength): 576 of them
make the 115.2 Tb/s of Quantum-X Photonics. In DR mode (one wavelength per fiber, what
first-generation NVIDIA CPO most likely uses; an inference from the 144 lasers for 576 lanes
below, not a published fact) a lane has one heated modulator
ring and a bare photodiode; in WDM modes (8 or 16 wavelengths per fiber) it also has a heated
demultiplexer ring, and one laser serves one wavelength on several fibers.

Presets (:func:`preset`; fibermall: fibermall.com/de/news/silicon-photonics-cpo.htm;
transurfing pt4: transurfing-volatility.ghost.io/on-cpo-pt4; notebookcheck: "Nvidia unveils
photonics switches", notebookcheck.net, 2025-03; NVIDIA blog: "How industry collaboration
fosters NVIDIA co-packaged optics", NVIDIA developer blog, 2025):

=============================  =========================================================
``quantum-x-photonics``        Q3450-LD: 4 × Quantum-X800 ASICs of 28.8 Tb/s (fibermall),
                               800G ports (notebookcheck), 1.6T engines of 8 × 200G
                               (fibermall; transurfing pt4), multi-plane ports (transurfing
                               pt4), one laser feeding 4 lanes and 144 lasers in 18 modules
                               (NVIDIA blog, Forbes, wedoany: 8 lasers per module derived)
``spectrum-x-photonics-sn6810`` 1 × Spectrum-6 of 102.4 Tb/s, 800G ports (notebookcheck,
                               particle.news), 3.2T engines (transurfing pt4)
``spectrum-x-photonics-sn6800`` 4 × 102.4 Tb/s for 409.6 Tb/s (notebookcheck; four ASICs
                               inferred from 409.6 / 102.4), 3.2T engines
``pluggable-1.6t``             the Quantum-X800 switch with 72 twin-port 1.6T OSFP modules,
                               each with 8 lasers, a DSP and retimers (Lambda blog: 72
                               transceivers; NVIDIA: 576 lasers, 432 removed by CPO)
=============================  =========================================================

Companion modules: :mod:`~cposim.photonics.switch.power` (power breakdown),
:mod:`~cposim.photonics.switch.validation` (against published claims),
:mod:`~cposim.photonics.switch.assembly` (assembly yield, yield-run summaries),
:mod:`~cposim.photonics.switch.reliability` (failures, repairs, Monte Carlo) and
:mod:`~cposim.photonics.switch.thermal` (ASIC load step through every ring's heater loop).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from cposim.control.core.validation import check_choice, check_range
from cposim.photonics.link.energy import ElectricalPowerParameters, LanePower
from cposim.photonics.switch.assembly import AssemblyParameters, AssemblyYield, YieldRunSummary
from cposim.photonics.switch.power import OpticsOverheadParameters, PowerBreakdown, PowerComparison
from cposim.photonics.switch.reliability import ReliabilityParameters, ReliabilityReport
from cposim.photonics.units import dbm_to_w

PACKAGING = ("cpo", "pluggable")
"""Where the optics sit: co-packaged with the ASIC, or in front-panel pluggable modules."""


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} = {value!r} must be a positive integer")
    return int(value)


def _whole_ratio(what: str, numerator: float, denominator: float) -> int:
    """``numerator / denominator`` as an int, or a ValueError saying which counts do not fit."""
    ratio = numerator / denominator
    whole = round(ratio)
    if whole < 1 or abs(ratio - whole) > 1e-9 * max(1.0, ratio):
        raise ValueError(
            f"{what} = {numerator:g} / {denominator:g} = {ratio:g} is not a whole number; "
            "the hierarchy's counts must divide evenly"
        )
    return whole


@dataclass(frozen=True, kw_only=True)
class OpticalEngine:
    """One co-packaged optical engine, or one pluggable module: its lanes, rings and fibers.

    Parameters
    ----------
    lanes : int
        Duplex lanes per engine (count, ≥ 1). Default 8: a 1.6 Tb/s engine of 8 × 200G
        (fibermall; transurfing pt4).
    lane_rate_bps : float
        Bit rate of one lane, bit/s (> 0). Default 200e9: 200 Gb/s PAM4 per microring
        modulator (NVIDIA developer blog, 2025).
    wavelengths_per_fiber : int
        Wavelengths multiplexed on one fiber (count, ≥ 1, divides ``lanes``). Default 1: DR
        single-wavelength lanes (assumption: first-generation NVIDIA CPO is most likely
        DR-style, one laser split four ways); 8 or 16 for CW-WDM MSA modes.
    ring_based : bool
        True: one heated microring modulator per lane and, in WDM modes, one heated
        demultiplexer ring per lane (NVIDIA developer blog: microring modulators). False: pluggable-
        style Mach-Zehnder or EML lanes without heated rings (their bias control is in the
        housekeeping power).
    """

    lanes: int = 8
    lane_rate_bps: float = 200e9
    wavelengths_per_fiber: int = 1
    ring_based: bool = True

    def __post_init__(self):
        _positive_int("lanes", self.lanes)
        check_range("lane_rate_bps", self.lane_rate_bps, low=0.0, high=10e12, low_inclusive=False)
        _positive_int("wavelengths_per_fiber", self.wavelengths_per_fiber)
        if self.lanes % self.wavelengths_per_fiber:
            raise ValueError(
                f"wavelengths_per_fiber = {self.wavelengths_per_fiber} must divide lanes = "
                f"{self.lanes}"
            )
        if not isinstance(self.ring_based, bool | np.bool_):
            raise ValueError(f"ring_based = {self.ring_based!r} must be True or False")

    @property
    def bandwidth_bps(self) -> float:
        """Engine bandwidth, bit/s."""
        return self.lanes * self.lane_rate_bps

    @property
    def rings_per_lane(self) -> int:
        """Heated rings per lane: the modulator, plus a demultiplexer ring in WDM modes."""
        if not self.ring_based:
            return 0
        return 1 + (self.wavelengths_per_fiber > 1)

    @property
    def signal_fibers(self) -> int:
        """Transmit plus receive signal fibers of the engine (count)."""
        return 2 * self.lanes // self.wavelengths_per_fiber


@dataclass(frozen=True, kw_only=True)
class LaserSource:
    """Lasers and the modules that hold them.

    Parameters
    ----------
    output_power_dbm : float
        Optical output of one laser, dBm. Default 20: the OIF ELSFP example class, 20 ± 1.5
        dBm per fiber (OIF External Laser Small Form Factor Pluggable implementation
        agreement), split four ways to ≈ +14 dBm per lane. A yield run supplies its own laser
        line (:meth:`Switch.with_yield_run`).
    lanes_per_laser : int
        Lanes one laser feeds through a splitter (count, ≥ 1). Default 4: inferred from 144
        lasers for 576 lanes (NVIDIA developer blog: 4× fewer lasers; Forbes: 432 lasers
        removed), not published as such.
    lasers_per_module : int
        Lasers in one field-replaceable laser module (count, ≥ 1). Default 8 (derived: 144
        lasers in 18 external light-source modules, en.wedoany.com/shortnews/193917). For a
        pluggable, the
        "module" is the transceiver itself.
    field_replaceable : bool
        Whether a failed laser is fixed by swapping its module in the field (True for external
        light sources and pluggables) rather than by replacing the package.
    """

    output_power_dbm: float = 20.0
    lanes_per_laser: int = 4
    lasers_per_module: int = 8
    field_replaceable: bool = True

    def __post_init__(self):
        check_range("output_power_dbm", self.output_power_dbm, low=-20.0, high=40.0)
        _positive_int("lanes_per_laser", self.lanes_per_laser)
        _positive_int("lasers_per_module", self.lasers_per_module)
        if not isinstance(self.field_replaceable, bool | np.bool_):
            raise ValueError(f"field_replaceable = {self.field_replaceable!r} must be a bool")

    @property
    def power_per_lane_w(self) -> float:
        """Laser optical power attributed to one lane (its share of the split), watts."""
        return float(dbm_to_w(self.output_power_dbm)) / self.lanes_per_laser


@dataclass(frozen=True, kw_only=True)
class LaneMap:
    """Where every lane of a switch sits in the hierarchy (arrays of length ``n_lanes``).

    Parameters
    ----------
    asic, engine, lane_in_engine, fiber : ndarray
        Index (counting from 0) of each lane's ASIC, engine, position in its engine and
        transmit fiber.
    wavelength, laser, laser_module, port, lane_in_port : ndarray
        Index (counting from 0) of each lane's wavelength slot on its fiber, laser, laser
        module, port and position in the port.
    """

    asic: np.ndarray
    engine: np.ndarray
    lane_in_engine: np.ndarray
    fiber: np.ndarray
    wavelength: np.ndarray
    laser: np.ndarray
    laser_module: np.ndarray
    port: np.ndarray
    lane_in_port: np.ndarray

    def to_dataframe(self):
        """One row per lane with all its indices."""
        import pandas as pd

        return pd.DataFrame({f.name: getattr(self, f.name) for f in dataclasses.fields(self)})


@dataclass(frozen=True, kw_only=True)
class Switch:
    """A switch's optical I/O: hierarchy, components, failure rates. Defaults are Quantum-X
    Photonics (Q3450-LD).

    Parameters
    ----------
    name : str
        Name shown in tables and plots.
    packaging : {"cpo", "pluggable"}
        Co-packaged optics or front-panel pluggable modules.
    n_asics : int
        Switch ASICs (count, ≥ 1). Default 4 Quantum-X800 (fibermall).
    asic_bandwidth_bps : float
        Bandwidth of one ASIC, bit/s (> 0). Default 28.8e12 (fibermall).
    port_rate_bps : float
        Bit rate of one front-panel port, bit/s (> 0). Default 800e9 (144 × 800 Gb/s,
        notebookcheck).
    multi_plane : bool
        True: the lanes of each port go to different ASICs, one per ASIC (transurfing pt4);
        needs lanes per port = ``n_asics``. False: a port's lanes are
        consecutive lanes of one engine.
    engine : OpticalEngine
        The optical engine (or pluggable module).
    laser : LaserSource
        The lasers and their modules.
    electrical : cposim.photonics.link.energy.ElectricalPowerParameters
        Per-lane electrical power parameters (laser wall-plug, heater per ring, driver,
        receiver, SerDes against electrical channel loss: 4 dB co-packaged by default).
    overhead : OpticsOverheadParameters
        DSP, housekeeping and regulator parameters.
    failure_rates : ReliabilityParameters
        Laser and engine failure rates and repair times.
    """

    name: str = "quantum-x-photonics"
    packaging: str = "cpo"
    n_asics: int = 4
    asic_bandwidth_bps: float = 28.8e12
    port_rate_bps: float = 800e9
    multi_plane: bool = True
    engine: OpticalEngine = field(default_factory=OpticalEngine)
    laser: LaserSource = field(default_factory=LaserSource)
    electrical: ElectricalPowerParameters = field(default_factory=ElectricalPowerParameters)
    overhead: OpticsOverheadParameters = field(default_factory=OpticsOverheadParameters)
    failure_rates: ReliabilityParameters = field(default_factory=ReliabilityParameters)

    def __post_init__(self):
        check_choice("packaging", self.packaging, PACKAGING)
        _positive_int("n_asics", self.n_asics)
        check_range(
            "asic_bandwidth_bps", self.asic_bandwidth_bps, low=0.0, high=1e16, low_inclusive=False
        )
        check_range("port_rate_bps", self.port_rate_bps, low=0.0, high=1e14, low_inclusive=False)
        for name, kind in (
            ("engine", OpticalEngine),
            ("laser", LaserSource),
            ("electrical", ElectricalPowerParameters),
            ("overhead", OpticsOverheadParameters),
            ("failure_rates", ReliabilityParameters),
        ):
            if not isinstance(getattr(self, name), kind):
                raise ValueError(f"{name} = {getattr(self, name)!r} must be a {kind.__name__}")
        # Deriving every count checks that the hierarchy divides evenly.
        self.engines_per_asic  # noqa: B018
        self.n_ports  # noqa: B018
        _whole_ratio(
            "lasers per group of fibers",
            self.n_lanes,
            self.laser.lanes_per_laser * self.engine.wavelengths_per_fiber,
        )
        self.n_laser_modules  # noqa: B018
        if self.multi_plane and self.lanes_per_port != self.n_asics:
            raise ValueError(
                f"multi_plane = True needs one lane per ASIC in every port, but lanes per port "
                f"= {self.lanes_per_port} and n_asics = {self.n_asics}"
            )

    # --- counts, all derived --------------------------------------------------------------
    @property
    def total_bandwidth_bps(self) -> float:
        """Switch bandwidth, bit/s: ASICs × ASIC bandwidth."""
        return self.n_asics * self.asic_bandwidth_bps

    @property
    def n_ports(self) -> int:
        """Front-panel ports: switch bandwidth / port rate."""
        return _whole_ratio("n_ports", self.total_bandwidth_bps, self.port_rate_bps)

    @property
    def lanes_per_port(self) -> int:
        """Lanes per port: port rate / lane rate."""
        return _whole_ratio("lanes_per_port", self.port_rate_bps, self.engine.lane_rate_bps)

    @property
    def lanes_per_asic(self) -> int:
        """Lanes per ASIC: ASIC bandwidth / lane rate."""
        return _whole_ratio("lanes_per_asic", self.asic_bandwidth_bps, self.engine.lane_rate_bps)

    @property
    def n_lanes(self) -> int:
        """Lanes in the switch."""
        return self.n_asics * self.lanes_per_asic

    @property
    def engines_per_asic(self) -> int:
        """Optical engines (or pluggable modules) per ASIC: ASIC bandwidth / engine bandwidth."""
        return _whole_ratio("engines_per_asic", self.asic_bandwidth_bps, self.engine.bandwidth_bps)

    @property
    def n_optical_engines(self) -> int:
        """Optical engines (or pluggable modules) in the switch."""
        return self.n_asics * self.engines_per_asic

    @property
    def n_lasers(self) -> int:
        """Lasers in the switch: lanes / lanes per laser."""
        return _whole_ratio("n_lasers", self.n_lanes, self.laser.lanes_per_laser)

    @property
    def n_laser_modules(self) -> int:
        """Laser modules (external light sources, or the pluggables themselves)."""
        return _whole_ratio("n_laser_modules", self.n_lasers, self.laser.lasers_per_module)

    @property
    def n_rings(self) -> int:
        """Heated microrings (one heater each) in the switch."""
        return self.n_lanes * self.engine.rings_per_lane

    @property
    def n_signal_fibers(self) -> int:
        """Transmit plus receive signal fibers of the switch."""
        return self.n_optical_engines * self.engine.signal_fibers

    def counts(self) -> dict[str, float]:
        """Every derived count of the hierarchy by name (counts, and bandwidths in bit/s)."""
        names = (
            "total_bandwidth_bps",
            "n_ports",
            "port_rate_bps",
            "lanes_per_port",
            "n_asics",
            "engines_per_asic",
            "n_optical_engines",
            "n_lanes",
            "n_rings",
            "n_signal_fibers",
            "n_lasers",
            "n_laser_modules",
        )
        return {name: getattr(self, name) for name in names}

    def lane_map(self) -> LaneMap:
        """Each lane's ASIC, engine, fiber, wavelength, laser, laser module and port.

        Lanes are numbered engine by engine. One laser serves one wavelength slot on
        ``lanes_per_laser`` consecutive fibers (in DR mode: ``lanes_per_laser`` consecutive
        lanes of one engine).
        """
        lane = np.arange(self.n_lanes)
        wpf = self.engine.wavelengths_per_fiber
        fiber = lane // wpf
        wavelength = lane % wpf
        laser = (fiber // self.laser.lanes_per_laser) * wpf + wavelength
        if self.multi_plane:
            port, lane_in_port = lane % self.lanes_per_asic, lane // self.lanes_per_asic
        else:
            port, lane_in_port = lane // self.lanes_per_port, lane % self.lanes_per_port
        return LaneMap(
            asic=lane // self.lanes_per_asic,
            engine=lane // self.engine.lanes,
            lane_in_engine=lane % self.engine.lanes,
            fiber=fiber,
            wavelength=wavelength,
            laser=laser,
            laser_module=laser // self.laser.lasers_per_module,
            port=port,
            lane_in_port=lane_in_port,
        )

    # --- power ------------------------------------------------------------------------------
    def lane_power(self) -> LanePower:
        """Electrical power of one lane's optics and SerDes from
        :class:`~cposim.photonics.link.energy.ElectricalPowerParameters`, with the laser share and
        the ring count of this hierarchy."""
        return self.electrical.lane_power(
            laser_optical_power_w=self.laser.power_per_lane_w,
            bit_rate_bps=self.engine.lane_rate_bps,
            heater_power_w=self.electrical.heater_power_per_ring_w * self.engine.rings_per_lane,
        )

    def power_breakdown(self) -> PowerBreakdown:
        """Optical I/O power by component, bottom-up from one lane."""
        lane = self.lane_power()
        rate = self.engine.lane_rate_bps
        consumed = {name: float(np.mean(lane.component_w(name))) for name in lane.COMPONENTS}
        consumed["dsp"] = self.overhead.dsp_energy_j_per_bit * rate
        consumed["control"] = self.overhead.control_power_per_lane_w
        subtotal = sum(consumed.values())
        consumed["power_delivery_loss"] = subtotal * (
            1.0 / self.overhead.power_delivery_efficiency - 1.0
        )
        return PowerBreakdown(
            switch_name=self.name,
            lane_power_w=np.array([consumed[name] for name in PowerBreakdown.COMPONENTS]),
            n_lanes=self.n_lanes,
            lanes_per_engine=self.engine.lanes,
            lane_rate_bps=rate,
        )

    def optics_power_w(self) -> float:
        """Electrical power of the optical I/O (engines or modules, lasers, heaters, drivers,
        receivers, DSP, housekeeping, host SerDes, regulator loss), watts."""
        return self.power_breakdown().total_w

    def energy_per_bit_j(self) -> float:
        """Optical I/O energy per bit, joules (power over total lane bandwidth)."""
        return self.power_breakdown().energy_per_bit_j

    def compare_power(self, other: Switch) -> PowerComparison:
        """This switch's power breakdown beside another's.

        Parameters
        ----------
        other : Switch
            The switch to compare with (e.g. :func:`pluggable_equivalent`).
        """
        return PowerComparison(breakdowns=(self.power_breakdown(), other.power_breakdown()))

    # --- yield and reliability ----------------------------------------------------------------
    def with_yield_run(self, summary: YieldRunSummary) -> Switch:
        """This switch with the lane a yield run simulated: its heater power per lane, its
        laser line and split, and its electrical energy components.

        The run must have simulated this switch's kind of lane (wavelengths per fiber, heated
        rings per lane, lane rate): a WDM run's barrel-shifted demultiplexer heaters say nothing
        about a DR lane's single modulator ring.

        Parameters
        ----------
        summary : YieldRunSummary
            Summary of a yield run (see :func:`cposim.photonics.switch.assembly.read_yield_run`).

        Raises
        ------
        ValueError
            When the run's lane is of another mode or rate than this switch's, naming both.
        """
        engine = self.engine
        wanted = {
            "wavelengths_per_fiber": (summary.wavelengths_per_fiber, engine.wavelengths_per_fiber),
            "heated_rings_per_lane": (summary.heated_rings_per_lane, engine.rings_per_lane),
            "lane_rate_bps": (summary.lane_rate_bps, engine.lane_rate_bps),
        }
        for name, (run, here) in wanted.items():
            if not np.isclose(run, here, rtol=1e-12, atol=0.0):
                where = summary.source or "the yield run"
                raise ValueError(
                    f"{name} = {run:g} in {where} but {here:g} in switch {self.name!r}: the run "
                    "simulated another kind of lane (the 'default' yield preset is the DR lane, "
                    "'wdm-8x200g' the 8-wavelength one)"
                )
        electrical = dataclasses.replace(
            summary.electrical_parameters(),
            heater_power_per_ring_w=summary.mean_heater_power_per_lane_w / engine.rings_per_lane,
            rings_per_lane=engine.rings_per_lane,
        )
        laser = dataclasses.replace(
            self.laser,
            output_power_dbm=summary.laser_power_dbm,
            lanes_per_laser=summary.lanes_per_laser,
        )
        return dataclasses.replace(self, electrical=electrical, laser=laser)

    def assembly_yield(self, params: AssemblyParameters | None = None) -> AssemblyYield:
        """Package and switch assembly yield and scrap (see
        :func:`cposim.photonics.switch.assembly.assembly_yield`).

        Parameters
        ----------
        params : AssemblyParameters, optional
            Engine yield, test coverage, attach yield, rework success; defaults when omitted.
        """
        from cposim.photonics.switch.assembly import assembly_yield

        return assembly_yield(self, params or AssemblyParameters())

    def reliability(self) -> ReliabilityReport:
        """Expected failures, link-down events and repairs per switch-year (see
        :func:`cposim.photonics.switch.reliability.reliability_report`)."""
        from cposim.photonics.switch.reliability import reliability_report

        return reliability_report(self)


def _quantum_x_photonics() -> Switch:
    return Switch()


def _spectrum_x(name: str, n_asics: int) -> Switch:
    return Switch(
        name=name,
        n_asics=n_asics,
        asic_bandwidth_bps=102.4e12,
        multi_plane=False,
        engine=OpticalEngine(lanes=16),
    )


def _pluggable_1p6t() -> Switch:
    return Switch(
        name="pluggable-1.6t",
        packaging="pluggable",
        multi_plane=False,
        engine=OpticalEngine(ring_based=False),
        laser=LaserSource(output_power_dbm=13.0, lanes_per_laser=1, lasers_per_module=8),
        electrical=ElectricalPowerParameters(
            electrical_channel_loss_db=22.0, modulator_driver_energy_j_per_bit=2.0e-12
        ),
        overhead=OpticsOverheadParameters(
            dsp_energy_j_per_bit=6.0e-12, control_power_per_lane_w=0.125
        ),
        failure_rates=ReliabilityParameters(laser_temperature_k=348.15, engine_fit=100.0),
    )


_PRESETS = {
    "quantum-x-photonics": _quantum_x_photonics,
    "spectrum-x-photonics-sn6810": lambda: _spectrum_x("spectrum-x-photonics-sn6810", 1),
    "spectrum-x-photonics-sn6800": lambda: _spectrum_x("spectrum-x-photonics-sn6800", 4),
    "pluggable-1.6t": _pluggable_1p6t,
}

PRESET_NAMES = tuple(_PRESETS)
"""Names accepted by :func:`preset`."""


def preset(name: str) -> Switch:
    """A switch preset by name.

    - ``"quantum-x-photonics"``: Q3450-LD, the :class:`Switch` defaults (sources in the
      module docstring:
      4 × 28.8 Tb/s Quantum-X800, 800G multi-plane ports, 1.6T engines of 8 × 200G microring
      lanes in DR mode, one 20 dBm laser per 4 lanes, 8 lasers per external module).
    - ``"spectrum-x-photonics-sn6810"``: one 102.4 Tb/s Spectrum-6 ASIC, 800G ports
      (notebookcheck; particle.news), 3.2T engines of 16 × 200G (transurfing
      pt4); lasers as Quantum-X (assumption: not published).
    - ``"spectrum-x-photonics-sn6800"``: four 102.4 Tb/s ASICs, 409.6 Tb/s (notebookcheck;
      the ASIC count is inferred from 409.6 / 102.4), otherwise as the SN6810.
    - ``"pluggable-1.6t"``: the Quantum-X800 switch with twin-port 1.6T OSFP modules of
      8 × 200G (Lambda blog: one CPO switch replaces 72 transceivers; 576 lasers),
      each lane with its own +13 dBm laser (assumption: a CW DFB per lane of a DR silicon-
      photonics module), 22 dB electrical channel (notebookcheck), a
      2 pJ/bit Mach-Zehnder/EML driver (assumption: ≈ 0.4 W per 100 GBd lane into 50 Ω), a
      6 pJ/bit DSP with host-side retimer (assumption: ≈ 10 W of a 20-25 W module; Lambda:
      25 W per 1.6T transceiver), 0.125 W housekeeping per lane (assumption: ≈ 1 W per
      module for microcontroller, clocks and bias), lasers at 75 °C inside the module and a
      100 FIT module (assumptions, see :class:`ReliabilityParameters`).

    Parameters
    ----------
    name : str
        One of :data:`PRESET_NAMES`.
    """
    check_choice("name", name, PRESET_NAMES)
    return _PRESETS[name]()


def pluggable_equivalent(switch: Switch) -> Switch:
    """The ``"pluggable-1.6t"`` reference resized to ``switch``'s ASICs and ports.

    Parameters
    ----------
    switch : Switch
        The co-packaged switch to match.
    """
    return dataclasses.replace(
        preset("pluggable-1.6t"),
        name=f"pluggable equivalent of {switch.name}"
        if switch.name != "quantum-x-photonics"
        else "pluggable-1.6t",
        n_asics=switch.n_asics,
        asic_bandwidth_bps=switch.asic_bandwidth_bps,
        port_rate_bps=switch.port_rate_bps,
    )


__all__ = [
    "PACKAGING",
    "PRESET_NAMES",
    "LaneMap",
    "LaserSource",
    "OpticalEngine",
    "Switch",
    "pluggable_equivalent",
    "preset",
]
