"""Switch assembly yield from per-engine yield, and the summary of a yield run.

A co-packaged switch is built from packages, one per ASIC, each carrying that ASIC's optical
engines. An engine that is bad once attached makes its whole package bad; a bad package is
scrapped (ASIC and every engine on it) unless rework recovers it. Three build flows:

- ``untested``: engines are attached as they come; a package is good with probability
  ``(y·a)^m`` (engine yield y, attach yield a, m engines per package), so a switch of n engines
  is good first time with probability ``(y·a)^n`` — ``y^n`` for perfect attach.
- ``known-good-engine``: engines are tested first; the test catches a fraction c of bad
  engines and rejects a fraction o of good ones (overkill), so an engine passes with
  probability ``y(1 − o) + (1 − y)(1 − c)`` and a passing engine is good with probability
  ``y(1 − o) / (y(1 − o) + (1 − y)(1 − c))``.
- ``known-good-engine + rework``: as above, and a failed package is recovered with
  probability r (one replacement engine per rework).

Each package is rebuilt until good, so the expected number of scrapped packages per good switch
is ``P·(1 − p)/p`` for P packages of effective yield p. A pluggable switch has no engines in its
packages (``m = 0``): a bad module is simply swapped. :meth:`AssemblyParameters.from_screening`
takes the engine yield, coverage and overkill from a sampled wafer test
(:func:`cposim.photonics.yields.screening.screen`), so the assembly is fed by the tested
population; :mod:`~cposim.photonics.switch.cost` prices the flow.

:func:`read_yield_run` reads ``DIR/summary.json`` written by the yield engine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from cposim.control.core.validation import check_range
from cposim.photonics.link.energy import ElectricalPowerParameters
from cposim.photonics.runtime.batch import RUN_FILES

SCENARIOS = ("untested", "known-good-engine", "known-good-engine + rework")
"""Assembly flows, in display order."""

SUMMARY_KEYS = (
    "engine_yield",
    "engine_yield_interval",
    "mean_heater_power_per_ring_w",
    "mean_heater_power_per_lane_w",
    "lanes_per_engine",
    "n_engines",
    "wavelengths_per_fiber",
    "heated_rings_per_lane",
    "lane_rate_bps",
    "laser_power_dbm",
    "lanes_per_laser",
    "electrical",
)
"""Keys of a yield run's ``summary.json`` that the switch model reads."""


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} = {value!r} must be a positive integer")


@dataclass(frozen=True, kw_only=True)
class YieldRunSummary:
    """What the switch model takes from a yield run: the engine yield, and the lane the run
    simulated (its mode, light, heater power and electrical energy components), so a switch
    built on it describes the same lane.

    Parameters
    ----------
    engine_yield : float
        Fraction of simulated engines that meet the link targets (0 ≤ y ≤ 1).
    engine_yield_interval : tuple of float
        Confidence interval ``(low, high)`` of ``engine_yield`` (fractions).
    mean_heater_power_per_ring_w : float
        Mean worst-case heater power per ring over the dies with a finite plan, watts (≥ 0).
    mean_heater_power_per_lane_w : float
        The same per lane (all its heated rings), watts (≥ 0).
    lanes_per_engine : int
        Lanes per simulated engine (count, ≥ 1).
    n_engines : int
        Engines simulated (count, ≥ 1).
    wavelengths_per_fiber : int
        Wavelengths per fiber of the simulated link (count, ≥ 1; 1 is DR).
    heated_rings_per_lane : int
        Heated rings per lane of the simulated link (count, ≥ 1: the modulator, plus the
        demultiplexer ring in WDM modes).
    lane_rate_bps : float
        Bit rate of one lane, bit/s (> 0).
    laser_power_dbm : float
        Optical power of one laser line before it is split, dBm.
    lanes_per_laser : int
        Lanes one laser line feeds (count, ≥ 1).
    electrical : dict
        The simulated lane's
        :class:`~cposim.photonics.link.energy.ElectricalPowerParameters` fields.
    engines_per_wafer : int, optional
        Engines one wafer of the run's layout holds (count, ≥ 1; None for a run written
        before cposim recorded it).
    source : str
        File the summary was read from ("" when built in code).
    """

    engine_yield: float
    engine_yield_interval: tuple
    mean_heater_power_per_ring_w: float
    mean_heater_power_per_lane_w: float
    lanes_per_engine: int
    n_engines: int
    wavelengths_per_fiber: int
    heated_rings_per_lane: int
    lane_rate_bps: float
    laser_power_dbm: float
    lanes_per_laser: int
    electrical: dict
    engines_per_wafer: int | None = None
    source: str = ""

    def __post_init__(self):
        where = f" in {self.source}" if self.source else ""
        try:
            check_range("engine_yield", self.engine_yield, low=0.0, high=1.0)
            interval = check_range(
                "engine_yield_interval", self.engine_yield_interval, low=0.0, high=1.0
            )
            if interval.shape != (2,) or not interval[0] <= self.engine_yield <= interval[1]:
                raise ValueError(
                    f"engine_yield_interval = {self.engine_yield_interval!r} must be [low, high] "
                    f"around engine_yield = {self.engine_yield!r}"
                )
            for name in ("mean_heater_power_per_ring_w", "mean_heater_power_per_lane_w"):
                check_range(name, getattr(self, name), low=0, high=10)
            for name in (
                "lanes_per_engine",
                "n_engines",
                "wavelengths_per_fiber",
                "heated_rings_per_lane",
                "lanes_per_laser",
            ):
                _positive_int(name, getattr(self, name))
            if self.engines_per_wafer is not None:
                _positive_int("engines_per_wafer", self.engines_per_wafer)
            check_range("lane_rate_bps", self.lane_rate_bps, low=0.0, low_inclusive=False)
            check_range("laser_power_dbm", self.laser_power_dbm, low=-100.0, high=40.0)
            self.electrical_parameters()
        except (ValueError, TypeError) as error:
            raise ValueError(f"{error}{where}") from None

    def electrical_parameters(self) -> ElectricalPowerParameters:
        """The simulated lane's electrical power parameters."""
        if not isinstance(self.electrical, dict):
            raise ValueError(f"electrical = {self.electrical!r} must be a table of fields")
        known = {f.name for f in fields(ElectricalPowerParameters)}
        unknown = sorted(set(self.electrical) - known)
        if unknown:
            raise ValueError(
                f"electrical has unknown field(s) {', '.join(unknown)}; allowed: "
                f"{', '.join(sorted(known))}"
            )
        return ElectricalPowerParameters(**self.electrical)

    @classmethod
    def from_result(cls, result) -> YieldRunSummary:
        """The summary of an in-memory :class:`~cposim.photonics.yields.result.YieldResult`
        (what :func:`read_yield_run` reads from a run directory).

        Parameters
        ----------
        result : cposim.photonics.yields.result.YieldResult
            The yield study.
        """
        return cls._from_dict(result.summary(), source="")

    @classmethod
    def _from_dict(cls, data: dict, source: str) -> YieldRunSummary:
        interval = data["engine_yield_interval"]
        if not isinstance(interval, list | tuple) or len(interval) != 2:
            raise ValueError(
                f"engine_yield_interval = {interval!r} must be [low, high]"
                + (f" in {source}" if source else "")
            )
        values = {key: data[key] for key in SUMMARY_KEYS}
        values["engines_per_wafer"] = data.get("engines_per_wafer")
        values["engine_yield_interval"] = tuple(interval)
        return cls(**values, source=source)

    def engine_yield_for(self, lanes: int) -> np.ndarray:
        """Yield and interval ``[yield, low, high]`` of an engine with ``lanes`` lanes.

        The run's engine may have a different lane count than the switch's engine; lanes are
        taken as independent, so the yield scales as ``y^(lanes / lanes_per_engine)``
        (assumption; exact when the run's engine and the switch's have the same lanes).

        Parameters
        ----------
        lanes : int
            Lanes per engine of the switch (count).
        """
        values = np.array([self.engine_yield, *self.engine_yield_interval], dtype=np.float64)
        return values ** (lanes / self.lanes_per_engine)


def read_yield_run(directory) -> YieldRunSummary:
    """Read ``directory/summary.json`` of a yield run.

    Parameters
    ----------
    directory : str or pathlib.Path
        The run directory.

    Raises
    ------
    FileNotFoundError
        When ``summary.json`` does not exist.
    ValueError
        When it is not JSON, lacks a key of :data:`SUMMARY_KEYS` (a run written by an older
        version: run it again) or holds a value out of range.
    """
    path = Path(directory) / RUN_FILES.summary_json
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; is {directory} a finished yield run?")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object with keys {', '.join(SUMMARY_KEYS)}")
    missing = [key for key in SUMMARY_KEYS if key not in data]
    if missing:
        raise ValueError(
            f"{path} lacks key(s) {', '.join(missing)} (written by an older cposim?); "
            f"`cposim yield report {directory}` rewrites it"
        )
    return YieldRunSummary._from_dict(data, source=str(path))


@dataclass(frozen=True, kw_only=True)
class AssemblyParameters:
    """Engine yield and assembly-flow parameters.

    Parameters
    ----------
    engine_yield : float or array_like
        Probability that an engine is good (fraction, 0 < y ≤ 1; arrays give a sweep).
        Default 0.88: an engine of 128 rings at 99.9 % per ring (0.999^128, an assumption:
        no ring-based CPO yield is published); a yield run supplies the value instead.
    test_coverage : float
        Fraction of bad engines a known-good-engine test catches (0 ≤ c ≤ 1). Default 0.95
        (assumption: wafer- and engine-level optical test before attach).
    attach_yield : float
        Probability that attaching one engine to the package succeeds (fraction, 0 < a ≤ 1).
        Default 0.995 (assumption).
    rework_success : float
        Probability that reworking a failed package recovers it (fraction, 0 ≤ r ≤ 1). Default
        0.5 (assumption: the package is built to allow one engine replacement).
    test_overkill : float
        Fraction of good engines the known-good-engine test rejects (0 ≤ o < 1). Default 0
        (a perfect reading); :meth:`from_screening` takes a sampled test's.
    """

    engine_yield: float = 0.88
    test_coverage: float = 0.95
    attach_yield: float = 0.995
    rework_success: float = 0.5
    test_overkill: float = 0.0

    def __post_init__(self):
        check_range("engine_yield", self.engine_yield, low=0.0, high=1.0, low_inclusive=False)
        check_range("test_coverage", self.test_coverage, low=0.0, high=1.0)
        check_range("attach_yield", self.attach_yield, low=0.0, high=1.0, low_inclusive=False)
        check_range("rework_success", self.rework_success, low=0.0, high=1.0)
        check_range("test_overkill", self.test_overkill, low=0.0, high=1.0, high_inclusive=False)

    @classmethod
    def from_screening(cls, screening, **others) -> AssemblyParameters:
        """The known-good-engine flow fed by a sampled wafer test: engine yield, coverage and
        overkill are the tested population's.

        Parameters
        ----------
        screening : cposim.photonics.yields.screening.ScreeningResult
            The wafer test of a study's dies (one engine per die).
        **others
            ``attach_yield`` and ``rework_success`` (defaults otherwise).
        """
        good = np.asarray(screening.good)
        passed = np.asarray(screening.passed_test)
        n_good, n_bad = good.sum(), (~good).sum()
        if n_good == 0:
            raise ValueError("the screened study has no good die: no engine yield to assemble")
        return cls(
            engine_yield=float(n_good / good.size),
            test_coverage=float((~good & ~passed).sum() / n_bad) if n_bad else 1.0,
            test_overkill=float((good & ~passed).sum() / n_good),
            **others,
        )

    def pass_probability(self):
        """Probability that an engine passes the known-good-engine test (fraction)."""
        y = np.asarray(self.engine_yield, dtype=np.float64)
        return y * (1.0 - self.test_overkill) + (1.0 - y) * (1.0 - self.test_coverage)


@dataclass(frozen=True, kw_only=True)
class AssemblyYield:
    """Package and switch yield, scrap and engine use per assembly flow.

    Arrays have shape ``(len(SCENARIOS),) + engine_yield.shape``.

    Parameters
    ----------
    switch_name : str
        Name of the switch.
    engine_yield : ndarray
        Engine yield(s) evaluated (fraction).
    engines_per_package : int
        Engines on one package (count; 0 for pluggables).
    packages_per_switch : int
        Packages (ASICs) per switch (count).
    package_yield : ndarray
        Probability that a built package is good before rework (fraction).
    switch_yield : ndarray
        Probability that a switch's packages are all good first time, rework included
        (fraction).
    scrapped_packages_per_good_switch : ndarray
        Expected packages scrapped per good switch (count).
    engines_per_good_switch : ndarray
        Expected engines consumed per good switch, test rejects included (count).
    packages_built_per_good_switch : ndarray
        Expected packages built per good switch, scrapped ones included (count).
    reworks_per_good_switch : ndarray
        Expected reworks per good switch (count; 0 without rework).
    """

    switch_name: str
    engine_yield: np.ndarray
    engines_per_package: int
    packages_per_switch: int
    package_yield: np.ndarray
    switch_yield: np.ndarray
    scrapped_packages_per_good_switch: np.ndarray
    engines_per_good_switch: np.ndarray
    packages_built_per_good_switch: np.ndarray
    reworks_per_good_switch: np.ndarray

    SCENARIOS = SCENARIOS
    """Assembly flows, in the order of the arrays' first axis."""

    def to_dataframe(self):
        """One row per scenario and engine yield."""
        return scenario_frame(
            self.engine_yield,
            {
                name: getattr(self, name)
                for name in (
                    "package_yield",
                    "switch_yield",
                    "scrapped_packages_per_good_switch",
                    "engines_per_good_switch",
                    "packages_built_per_good_switch",
                    "reworks_per_good_switch",
                )
            },
        )

    def plot(self, ax=None):
        """Switch yield against engine yield per scenario (bars for a single engine yield);
        returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.switch import plot

        return plot.assembly_yield(self, ax)


def scenario_frame(engine_yield, columns: dict):
    """One row per assembly flow and engine yield: ``scenario``, ``engine_yield`` and each of
    ``columns`` (name → array of shape ``(len(SCENARIOS),) + engine_yield.shape``).

    Parameters
    ----------
    engine_yield : float or ndarray
        Engine yield(s) evaluated (fraction).
    columns : dict of str to ndarray
        The per-flow quantities, in column order.
    """
    import pandas as pd

    yields = np.atleast_1d(np.asarray(engine_yield, dtype=np.float64))
    data = {
        "scenario": [scenario for scenario in SCENARIOS for _ in yields],
        "engine_yield": np.tile(yields, len(SCENARIOS)),
    }
    for name, values in columns.items():
        values = np.asarray(values, dtype=np.float64).reshape(len(SCENARIOS), -1)
        data[name] = np.broadcast_to(values, (len(SCENARIOS), yields.size)).ravel()
    return pd.DataFrame(data)


def assembly_yield(switch, params: AssemblyParameters) -> AssemblyYield:
    """Package and switch yield, scrapped packages and engines used per good switch.

    Parameters
    ----------
    switch : cposim.photonics.switch.model.Switch
        The switch (its packaging, ASIC and engine counts are used).
    params : AssemblyParameters
        Engine yield and assembly-flow parameters.
    """
    y = np.asarray(params.engine_yield, dtype=np.float64)
    a, r = params.attach_yield, params.rework_success
    m = 0 if switch.packaging == "pluggable" else switch.engines_per_asic
    packages = switch.n_asics
    passing = params.pass_probability()
    good_passing = y * (1.0 - params.test_overkill) / passing
    good_if_placed = (y, good_passing, good_passing)
    placed_per_engine = (1.0, 1.0 / passing, 1.0 / passing)  # engines consumed per placement
    rework = (0.0, 0.0, r)
    package_yield, switch_yield, scrapped, engines, built, reworked = [], [], [], [], [], []
    for q, per_placement, recover in zip(good_if_placed, placed_per_engine, rework, strict=True):
        p = (q * a) ** m
        p_eff = p + (1.0 - p) * recover
        package_yield.append(p)
        switch_yield.append(p_eff**packages)
        scrapped.append(packages * (1.0 - p_eff) / p_eff)
        built.append(packages / p_eff)
        reworks = (1.0 - p) * (recover > 0)  # per package built
        reworked.append(packages / p_eff * reworks)
        if m == 0:  # pluggables: every bad module is swapped, nothing else is lost
            engines.append(switch.n_optical_engines / y)
        else:
            engines.append(packages / p_eff * (m + reworks) * per_placement)
    return AssemblyYield(
        switch_name=switch.name,
        engine_yield=y,
        engines_per_package=m,
        packages_per_switch=packages,
        package_yield=np.array(package_yield),
        switch_yield=np.array(switch_yield),
        scrapped_packages_per_good_switch=np.array(scrapped),
        engines_per_good_switch=np.array(engines),
        packages_built_per_good_switch=np.array(built),
        reworks_per_good_switch=np.array(reworked),
    )


__all__ = [
    "SCENARIOS",
    "SUMMARY_KEYS",
    "AssemblyParameters",
    "AssemblyYield",
    "YieldRunSummary",
    "assembly_yield",
    "read_yield_run",
    "scenario_frame",
]
