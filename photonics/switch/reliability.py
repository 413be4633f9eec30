"""Reliability of a switch's optical I/O: laser and engine failures, link-down events, repairs.

Failures are a renewal process per device socket with constant rate (a failed laser, laser
module, pluggable or package is replaced by a new one). A laser's rate is its FIT at a reference
temperature times the Arrhenius acceleration factor

    AF = exp(Ea / k_B · (1/T_ref − 1/T)),

so lasers inside a hot pluggable (or a hot package) fail more often than the same lasers in a
cooler external, field-replaceable light source. Every failure takes its lanes down (a laser
feeding four lanes takes four links down); each triggers one repair action: swapping a laser
module or a pluggable in the field, or replacing a package (switch tray) when a co-packaged
engine fails. :func:`reliability` gives expected values; :func:`simulate_failures` draws device
lifetimes directly (fixed seed) and is used to check them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_range
from cposim.photonics.units import BOLTZMANN_J_PER_K, ELEMENTARY_CHARGE_C

BOLTZMANN_EV_PER_K = BOLTZMANN_J_PER_K / ELEMENTARY_CHARGE_C
"""Boltzmann constant, eV/K: k_B / e, both exact in the 2019 SI."""

HOURS_PER_YEAR = 8766.0
"""Hours in a mean Julian year (365.25 days)."""

SECONDS_PER_HOUR = 3600.0
"""Seconds in an hour."""

FIT_HOURS = 1e9
"""Device-hours per FIT unit: 1 FIT is one failure in 10^9 device-hours."""


@dataclass(frozen=True, kw_only=True)
class ReliabilityParameters:
    """Failure rates and repair times of a switch's optical I/O.

    Parameters
    ----------
    laser_fit : float
        Laser failure rate at ``laser_reference_temperature_k``, FIT (a count of failures per
        10^9 device-hours, ≥ 0). Default 20 (assumption: typical random-failure rate quoted for
        Telcordia GR-468-qualified InP DFB lasers near 40 °C).
    laser_reference_temperature_k : float
        Temperature at which ``laser_fit`` holds, kelvin (> 0). Default 313.15 (40 °C).
    laser_activation_energy_ev : float
        Arrhenius activation energy of laser failures, electronvolts (1 eV = 1.602e-19 J; ≥ 0).
        Default 0.4 (assumption: the value commonly used for InP laser random failures in
        GR-468-style analyses; published fits span ≈ 0.35-0.7 eV).
    laser_temperature_k : float
        Operating temperature of the lasers, kelvin (> 0). Default 318.15 (45 °C, assumption:
        an external, cooled light-source module at the front panel of a liquid-cooled switch).
        The pluggable preset uses 348.15 (75 °C: a laser inside an OSFP whose case may reach
        70 °C, assumption).
    engine_fit : float
        Failure rate of one optical engine or pluggable module excluding its lasers (electronic
        and photonic ICs, DSP, connectors), FIT (a count of failures per 10^9 device-hours,
        ≥ 0). Default 50 (assumption for a co-packaged engine without DSP); the pluggable preset
        uses 100 (assumption: more active parts, a DSP and a hot-plugged connector).
    field_repair_time_s : float
        Mean time a link stays down until a field-replaceable part (laser module, pluggable)
        is swapped, seconds (> 0). Default 14400 (4 h, assumption).
    package_repair_time_s : float
        Mean time a link stays down when a co-packaged engine fails and its package (switch
        tray) has to be replaced, seconds (> 0). Default 172800 (48 h, assumption).
    field_swap_time_s : float
        Time the *other* lanes of a field-replaceable part (the rest of a laser module or
        pluggable) are dark while it is swapped, seconds (≥ 0). Default 600 (10 min,
        assumption).
    package_swap_time_s : float
        Time every lane of a package (switch tray) is dark while it is replaced, seconds (≥ 0).
        Default 7200 (2 h, assumption: a scheduled tray swap).
    """

    laser_fit: float = 20.0
    laser_reference_temperature_k: float = 313.15
    laser_activation_energy_ev: float = 0.4
    laser_temperature_k: float = 318.15
    engine_fit: float = 50.0
    field_repair_time_s: float = 4 * SECONDS_PER_HOUR
    package_repair_time_s: float = 48 * SECONDS_PER_HOUR
    field_swap_time_s: float = 600.0
    package_swap_time_s: float = 2 * SECONDS_PER_HOUR

    def __post_init__(self):
        check_range("laser_fit", self.laser_fit, low=0.0, high=1e9)
        for name in ("laser_reference_temperature_k", "laser_temperature_k"):
            check_range(name, getattr(self, name), low=0.0, high=1000.0, low_inclusive=False)
        check_range("laser_activation_energy_ev", self.laser_activation_energy_ev, low=0.0, high=5)
        check_range("engine_fit", self.engine_fit, low=0.0, high=1e9)
        for name in ("field_repair_time_s", "package_repair_time_s"):
            check_range(name, getattr(self, name), low=0.0, high=1e9, low_inclusive=False)
        for name in ("field_swap_time_s", "package_swap_time_s"):
            check_range(name, getattr(self, name), low=0.0, high=1e9)

    @property
    def laser_acceleration(self) -> float:
        """Arrhenius acceleration of the laser failure rate at ``laser_temperature_k``."""
        return float(
            arrhenius_acceleration(
                activation_energy_ev=self.laser_activation_energy_ev,
                temperature_k=self.laser_temperature_k,
                reference_temperature_k=self.laser_reference_temperature_k,
            )
        )


def arrhenius_acceleration(*, activation_energy_ev, temperature_k, reference_temperature_k):
    """Arrhenius acceleration factor ``exp(Ea/k_B · (1/T_ref − 1/T))`` (dimensionless).

    Parameters
    ----------
    activation_energy_ev : float or array_like
        Activation energy, electronvolts (1 eV = 1.602e-19 J; ≥ 0).
    temperature_k : float or array_like
        Operating temperature, kelvin (> 0).
    reference_temperature_k : float or array_like
        Temperature at which the reference failure rate holds, kelvin (> 0).
    """
    energy = check_range("activation_energy_ev", activation_energy_ev, low=0.0)
    temperature = check_range("temperature_k", temperature_k, low=0.0, low_inclusive=False)
    reference = check_range(
        "reference_temperature_k", reference_temperature_k, low=0.0, low_inclusive=False
    )
    return np.exp(energy / BOLTZMANN_EV_PER_K * (1.0 / reference - 1.0 / temperature))


@dataclass(frozen=True, kw_only=True)
class FailureMode:
    """One kind of failure in a switch's optical I/O.

    Parameters
    ----------
    name : str
        ``"laser"`` or ``"engine"`` (an engine or pluggable module's non-laser parts).
    n_devices : int
        Devices of this kind in the switch (count).
    rate_fit : float
        Failure rate of one device at its operating temperature, FIT (a count of failures per
        10^9 device-hours).
    lanes_per_failure : int
        Lanes (200G links) that go down when one device fails (count).
    ports_per_failure : int
        Distinct ports that lose at least one lane when one device fails (count).
    repair_action : str
        What is replaced: ``"laser module"``, ``"pluggable module"`` or ``"package"``.
    lanes_per_repair : int
        Lanes served by the replaced part, dark while it is swapped (count).
    ports_per_repair : int
        Distinct ports that lose a lane while the part is swapped (count).
    repair_time_s : float
        Mean time the failed lanes stay down, seconds.
    swap_time_s : float
        Time the part's other lanes are dark while it is swapped, seconds.
    """

    name: str
    n_devices: int
    rate_fit: float
    lanes_per_failure: int
    ports_per_failure: int
    repair_action: str
    lanes_per_repair: int
    ports_per_repair: int
    repair_time_s: float
    swap_time_s: float

    @property
    def failures_per_year(self) -> float:
        """Expected failures of this kind per switch-year (count per year)."""
        return self.n_devices * self.rate_fit / FIT_HOURS * HOURS_PER_YEAR

    @property
    def lane_down_hours_per_year(self) -> float:
        """Expected lane-hours lost per switch-year to this kind of failure (lane × hours): the
        failed lanes until the repair, and the part's other lanes during the swap."""
        collateral = (self.lanes_per_repair - self.lanes_per_failure) * self.swap_time_s
        lane_s = self.lanes_per_failure * self.repair_time_s + collateral
        return self.failures_per_year * lane_s / SECONDS_PER_HOUR

    @property
    def port_down_hours_per_year(self) -> float:
        """Expected port-hours with at least one lane down per switch-year (port × hours),
        counted as :attr:`lane_down_hours_per_year` but over ports."""
        collateral = (self.ports_per_repair - self.ports_per_failure) * self.swap_time_s
        port_s = self.ports_per_failure * self.repair_time_s + collateral
        return self.failures_per_year * port_s / SECONDS_PER_HOUR


def failure_modes(switch) -> tuple[FailureMode, FailureMode]:
    """The laser and engine failure modes of a switch, from its hierarchy and its
    :class:`ReliabilityParameters`.

    Parameters
    ----------
    switch : cposim.photonics.switch.model.Switch
        The switch.
    """
    params = switch.failure_rates
    lanes = switch.lane_map()
    pluggable = switch.packaging == "pluggable"
    field_laser = switch.laser.field_replaceable or pluggable
    module = lanes.laser_module == 0 if not pluggable else lanes.engine == 0
    laser_repair, laser_repair_lanes = (
        ("pluggable module" if pluggable else "laser module"),
        int(module.sum()),
    )
    laser_swap_ports = len(np.unique(lanes.port[module]))
    package = lanes.asic == 0
    if not field_laser:
        laser_repair, laser_repair_lanes = "package", switch.lanes_per_asic
        laser_swap_ports = len(np.unique(lanes.port[package]))
    engine_repair, engine_repair_lanes, engine_swap_ports = (
        ("pluggable module", switch.engine.lanes, len(np.unique(lanes.port[lanes.engine == 0])))
        if pluggable
        else ("package", switch.lanes_per_asic, len(np.unique(lanes.port[package])))
    )
    laser = FailureMode(
        name="laser",
        n_devices=switch.n_lasers,
        rate_fit=params.laser_fit * params.laser_acceleration,
        lanes_per_failure=switch.laser.lanes_per_laser,
        ports_per_failure=len(np.unique(lanes.port[lanes.laser == 0])),
        repair_action=laser_repair,
        lanes_per_repair=laser_repair_lanes,
        ports_per_repair=laser_swap_ports,
        repair_time_s=params.field_repair_time_s if field_laser else params.package_repair_time_s,
        swap_time_s=params.field_swap_time_s if field_laser else params.package_swap_time_s,
    )
    engine = FailureMode(
        name="engine",
        n_devices=switch.n_optical_engines,
        rate_fit=params.engine_fit,
        lanes_per_failure=switch.engine.lanes,
        ports_per_failure=len(np.unique(lanes.port[lanes.engine == 0])),
        repair_action=engine_repair,
        lanes_per_repair=engine_repair_lanes,
        ports_per_repair=engine_swap_ports,
        repair_time_s=params.field_repair_time_s if pluggable else params.package_repair_time_s,
        swap_time_s=params.field_swap_time_s if pluggable else params.package_swap_time_s,
    )
    return laser, engine


@dataclass(frozen=True, kw_only=True)
class ReliabilityReport:
    """Expected failures, link-down events and repair actions of one switch per year.

    Parameters
    ----------
    switch_name : str
        Name of the switch.
    modes : tuple of FailureMode
        The failure modes.
    n_lanes, n_ports : int
        Lanes and ports of the switch (counts), for availabilities.
    """

    switch_name: str
    modes: tuple
    n_lanes: int
    n_ports: int

    @property
    def link_down_events_per_year(self) -> float:
        """Expected failures that take at least one link down, per switch-year (count/year)."""
        return sum(mode.failures_per_year for mode in self.modes)

    @property
    def lane_down_hours_per_year(self) -> float:
        """Expected lane-hours lost per switch-year (lane × hours per year)."""
        return sum(mode.lane_down_hours_per_year for mode in self.modes)

    @property
    def port_down_hours_per_year(self) -> float:
        """Expected port-hours with a lane down per switch-year (port × hours per year)."""
        return sum(mode.port_down_hours_per_year for mode in self.modes)

    @property
    def lane_availability(self) -> float:
        """Mean fraction of time a lane is up (1 − lane-hours lost / lane-hours)."""
        return 1.0 - self.lane_down_hours_per_year / (self.n_lanes * HOURS_PER_YEAR)

    @property
    def port_availability(self) -> float:
        """Mean fraction of time a port has all its lanes up."""
        return 1.0 - self.port_down_hours_per_year / (self.n_ports * HOURS_PER_YEAR)

    def repair_actions_per_year(self) -> dict[str, float]:
        """Expected repair actions per switch-year by what is replaced (count/year)."""
        actions: dict[str, float] = {}
        for mode in self.modes:
            actions[mode.repair_action] = (
                actions.get(mode.repair_action, 0.0) + mode.failures_per_year
            )
        return actions

    def to_dataframe(self):
        """One row per failure mode with its devices, rate, events per year, lanes and ports
        per failure, repair action, repair and swap times, and lane- and port-hours lost per
        year."""
        import pandas as pd

        return pd.DataFrame(
            {
                "mode": [m.name for m in self.modes],
                "n_devices": [m.n_devices for m in self.modes],
                "rate_fit": [m.rate_fit for m in self.modes],
                "failures_per_year": [m.failures_per_year for m in self.modes],
                "lanes_per_failure": [m.lanes_per_failure for m in self.modes],
                "ports_per_failure": [m.ports_per_failure for m in self.modes],
                "repair_action": [m.repair_action for m in self.modes],
                "lanes_per_repair": [m.lanes_per_repair for m in self.modes],
                "repair_time_h": [m.repair_time_s / SECONDS_PER_HOUR for m in self.modes],
                "swap_time_h": [m.swap_time_s / SECONDS_PER_HOUR for m in self.modes],
                "lane_down_hours_per_year": [m.lane_down_hours_per_year for m in self.modes],
                "port_down_hours_per_year": [m.port_down_hours_per_year for m in self.modes],
            }
        )

    def plot(self, ax=None):
        """Bar chart of expected failures per switch-year by mode; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.switch import plot

        return plot.reliability(self, ax)


def reliability_report(switch) -> ReliabilityReport:
    """Expected failures, link-down events and repair actions per switch-year.

    Parameters
    ----------
    switch : cposim.photonics.switch.model.Switch
        The switch, with its :class:`ReliabilityParameters`.
    """
    return ReliabilityReport(
        switch_name=switch.name,
        modes=failure_modes(switch),
        n_lanes=switch.n_lanes,
        n_ports=switch.n_ports,
    )


@dataclass(frozen=True, kw_only=True)
class FailureSimulation:
    """Monte Carlo failure counts per simulated switch.

    Parameters
    ----------
    switch_name : str
        Name of the switch.
    mode_names : tuple of str
        Failure mode of each column of ``counts``.
    counts : ndarray
        Failures per simulated switch and mode over the horizon, shape ``(n_switches, n_modes)``
        (count).
    years : float
        Simulated horizon, years (1 year = 365.25 days = 3.15576e7 s).
    """

    switch_name: str
    mode_names: tuple
    counts: np.ndarray
    years: float

    @property
    def failures_per_year(self) -> np.ndarray:
        """Mean failures per switch-year of each mode (count/year)."""
        return self.counts.mean(axis=0) / self.years

    @property
    def standard_error_per_year(self) -> np.ndarray:
        """Standard error of :attr:`failures_per_year` (count/year)."""
        n = self.counts.shape[0]
        return self.counts.std(axis=0, ddof=1) / np.sqrt(n) / self.years

    def to_dataframe(self):
        """One row per mode: ``mode``, ``failures_per_year``, ``standard_error_per_year``."""
        import pandas as pd

        return pd.DataFrame(
            {
                "mode": list(self.mode_names),
                "failures_per_year": self.failures_per_year,
                "standard_error_per_year": self.standard_error_per_year,
            }
        )

    def plot(self, ax=None):
        """Histogram of link-down events per simulated switch over the horizon; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.switch import plot

        return plot.failure_simulation(self, ax)


def simulate_failures(switch, *, years: float = 5.0, n_switches: int = 1000, rng=None):
    """Direct Monte Carlo of device failures with replacement, independent of the FIT algebra.

    Each device socket draws lifetimes at the reference temperature (exponential, rate from
    the reference FIT) and compresses them by the Arrhenius factor (time scaling); a failed
    device is replaced by a new one at once, and failures before ``years`` are counted.

    Parameters
    ----------
    switch : cposim.photonics.switch.model.Switch
        The switch.
    years : float
        Simulated horizon per switch, years (1 year = 365.25 days = 3.15576e7 s; > 0).
    n_switches : int
        Number of switches simulated (≥ 2).
    rng : numpy.random.Generator or int or None
        Random generator or seed.

    Returns
    -------
    FailureSimulation
    """
    horizon_years = float(check_range("years", years, low=0.0, high=1000.0, low_inclusive=False))
    if not isinstance(n_switches, int | np.integer) or n_switches < 2:
        raise ValueError(f"n_switches = {n_switches!r} must be an integer ≥ 2")
    rng = np.random.default_rng(rng)
    params = switch.failure_rates
    horizon_h = horizon_years * HOURS_PER_YEAR
    sources = (
        ("laser", switch.n_lasers, params.laser_fit, params.laser_acceleration),
        ("engine", switch.n_optical_engines, params.engine_fit, 1.0),
    )
    counts = np.zeros((n_switches, len(sources)), dtype=np.int64)
    for column, (_, n_devices, fit_ref, acceleration) in enumerate(sources):
        if fit_ref == 0.0:
            continue
        mean_life_ref_h = FIT_HOURS / fit_ref
        time_h = rng.exponential(mean_life_ref_h, size=(n_switches, n_devices)) / acceleration
        failed = time_h < horizon_h
        while failed.any():
            counts[:, column] += failed.sum(axis=1)
            time_h[failed] += (
                rng.exponential(mean_life_ref_h, size=int(failed.sum())) / acceleration
            )
            failed &= time_h < horizon_h
    return FailureSimulation(
        switch_name=switch.name,
        mode_names=tuple(name for name, *_ in sources),
        counts=counts,
        years=horizon_years,
    )


__all__ = [
    "BOLTZMANN_EV_PER_K",
    "FIT_HOURS",
    "HOURS_PER_YEAR",
    "SECONDS_PER_HOUR",
    "FailureMode",
    "FailureSimulation",
    "ReliabilityParameters",
    "ReliabilityReport",
    "arrhenius_acceleration",
    "failure_modes",
    "reliability_report",
    "simulate_failures",
]
