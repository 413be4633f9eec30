"""cposim.photonics.switch: switches built from optical engines — power, lasers, yield, reliability.

- :mod:`~cposim.photonics.switch.model`: :class:`Switch` (ports, ASICs, engines, lasers, lane
  map) and the Quantum-X / Spectrum-X Photonics :func:`preset` switches, with their pluggable
  equivalents;
- :mod:`~cposim.photonics.switch.power`: power breakdown by component and CPO-vs-pluggable
  comparison;
- :mod:`~cposim.photonics.switch.assembly`: package assembly yield from an engine yield (read
  from a yield run directory, or fed by a sampled wafer test);
- :mod:`~cposim.photonics.switch.cost`: cost per good switch and per delivered engine of each
  assembly flow;
- :mod:`~cposim.photonics.switch.reliability`: failure rates, link-down events and their
  simulation;
- :mod:`~cposim.photonics.switch.thermal`: an ASIC load step seen by every ring's lock loop;
- :mod:`~cposim.photonics.switch.validation`: the model's ratios against published claims,
  with the rows calibrated on their claim marked;
- :mod:`~cposim.photonics.switch.sensitivity`: how far the CPO-vs-pluggable ratios move with
  each uncertain input (the tornado);
- :mod:`~cposim.photonics.switch.report`: :func:`switch_report`, every table of a switch built
  on a yield run, each chain input with its source (what ``cposim switch report`` prints).

Data flow: a yield run of :mod:`cposim.photonics.yields` (engine yield, heater power, laser
line and lane energies of :mod:`cposim.photonics.link`) → switch-level power, yield and
reliability.
"""

from cposim.control.core.lazy import lazy_exports

_CATALOGUE = {
    "model": (
        "PACKAGING",
        "PRESET_NAMES",
        "LaneMap",
        "LaserSource",
        "OpticalEngine",
        "Switch",
        "pluggable_equivalent",
        "preset",
    ),
    "power": (
        "COMPONENTS",
        "OpticsOverheadParameters",
        "PowerBreakdown",
        "PowerComparison",
    ),
    "assembly": (
        "SCENARIOS",
        "SUMMARY_KEYS",
        "AssemblyParameters",
        "AssemblyYield",
        "YieldRunSummary",
        "assembly_yield",
        "read_yield_run",
        "scenario_frame",
    ),
    "cost": (
        "COST_ITEMS",
        "CostParameters",
        "SwitchCost",
        "switch_cost",
    ),
    "reliability": (
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
    ),
    "thermal": (
        "AsicLoadStep",
        "AsicLoadStepResult",
        "simulate_asic_load_step",
    ),
    "validation": (
        "APPROXIMATE",
        "ValidationRow",
        "ValidationTable",
        "validation_table",
    ),
    "sensitivity": (
        "KINDS",
        "POWER_RATIO_INPUTS",
        "RELIABILITY_INPUTS",
        "SIDES",
        "RatioSensitivity",
        "UncertainInput",
        "link_down_ratio",
        "port_power_ratio",
        "ratio_sensitivity",
    ),
    "report": (
        "SwitchReport",
        "switch_report",
    ),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _CATALOGUE)
