"""The switch report: every table of a switch, each value traced to where it came from.

:func:`switch_report` is what ``cposim switch report PRESET [--yield-run DIR]`` prints, as a
Python object: the hierarchy, the power by component beside the pluggable equivalent with the
ratio's sensitivity band, the validation against published claims, the assembly yield and its
cost per good switch, and the reliability of both switches. With a yield run (a directory, its
:class:`~cposim.photonics.switch.assembly.YieldRunSummary` or an in-memory
:class:`~cposim.photonics.yields.result.YieldResult`), the engine yield, the heater power per
lane, the laser line and the lane's electrical energy components are the run's; without one
they are the library's defaults, and :attr:`SwitchReport.sources` says so for each.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cposim.photonics.switch.assembly import (
    AssemblyParameters,
    AssemblyYield,
    YieldRunSummary,
    read_yield_run,
)
from cposim.photonics.switch.cost import CostParameters, SwitchCost, switch_cost
from cposim.photonics.switch.sensitivity import (
    RELIABILITY_INPUTS,
    RatioSensitivity,
    link_down_ratio,
    ratio_sensitivity,
)
from cposim.photonics.switch.validation import ValidationTable, validation_table


@dataclass(frozen=True, kw_only=True, eq=False)
class SwitchReport:
    """Every table of one switch beside its pluggable equivalent.

    Parameters
    ----------
    cpo, pluggable : cposim.photonics.switch.model.Switch
        The co-packaged switch (with a yield run's lane when one was given) and its pluggable
        reference.
    assembly : AssemblyYield
        Assembly yield of the switch reported at the engine yield used.
    assembly_bounds : AssemblyYield or None
        The same at the ends of the engine yield's confidence interval (None without a run).
    cost : SwitchCost
        Cost per good switch and per delivered engine of each flow at that engine yield.
    validation : ValidationTable
        The model against published claims.
    power_sensitivity, reliability_sensitivity : RatioSensitivity
        One-at-a-time sensitivity of the power-per-port ratio and of the link-down ratio.
    sources : dict of str to str
        Where each input that the chain could supply came from (a yield run, or a default and
        its status).
    switch_name : str
        The switch the report is about (``cpo`` or, for a pluggable preset, ``pluggable``).
    """

    cpo: object
    pluggable: object
    assembly: AssemblyYield
    assembly_bounds: AssemblyYield | None
    cost: SwitchCost
    validation: ValidationTable
    power_sensitivity: RatioSensitivity
    reliability_sensitivity: RatioSensitivity
    sources: dict
    switch_name: str

    def power_table(self):
        """Energy per bit by component of both switches, pJ/bit, with a ``total`` row."""
        table = self.cpo.compare_power(self.pluggable).to_dataframe() * 1e12
        table.loc["total"] = table.sum()
        table.index.name = "pJ/bit"
        return table

    def assembly_table(self):
        """Assembly yield per flow, with the switch yield at the interval's ends when known."""
        table = self.assembly.to_dataframe()
        if self.assembly_bounds is not None:
            bounds = np.asarray(self.assembly_bounds.switch_yield)
            table["switch_yield_low"] = bounds[:, 0]
            table["switch_yield_high"] = bounds[:, 1]
        return table

    def cost_table(self):
        """Cost per good switch by item and per delivered engine, one row per flow."""
        return self.cost.to_dataframe()

    def sources_table(self):
        """One row per input: ``input``, ``source``."""
        import pandas as pd

        return pd.DataFrame({"input": list(self.sources), "source": list(self.sources.values())})

    def plot(self, ax=None):
        """Tornado of the power-per-port ratio (:meth:`RatioSensitivity.plot`); returns the
        Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        return self.power_sensitivity.plot(ax)


def _summary(yield_run) -> YieldRunSummary | None:
    if yield_run is None or isinstance(yield_run, YieldRunSummary):
        return yield_run
    if isinstance(yield_run, str | Path):
        return read_yield_run(yield_run)
    if hasattr(yield_run, "summary") and hasattr(yield_run, "config"):
        return YieldRunSummary.from_result(yield_run)
    raise ValueError(
        f"yield_run = {yield_run!r} must be a run directory, a YieldRunSummary or a YieldResult"
    )


def switch_report(
    switch,
    *,
    yield_run=None,
    assembly: AssemblyParameters | None = None,
    costs: CostParameters | None = None,
):
    """All tables of ``switch`` and its pluggable equivalent, with the inputs' sources.

    Parameters
    ----------
    switch : cposim.photonics.switch.model.Switch
        The switch; a pluggable switch is reported beside the Quantum-X Photonics preset.
    yield_run : str or pathlib.Path or YieldRunSummary or YieldResult, optional
        A yield run of the switch's kind of lane: its engine yield (scaled to the switch's
        engine lanes), heater power, laser line and lane energies replace the defaults.
    assembly : AssemblyParameters, optional
        Assembly-flow parameters; its ``engine_yield`` is replaced by the run's when a run is
        given (:meth:`AssemblyParameters.from_screening` feeds it from a wafer test).
    costs : CostParameters, optional
        Costs of the build; otherwise the defaults of
        :class:`~cposim.photonics.switch.cost.CostParameters` with the run's engines per wafer
        when a run is given.

    Raises
    ------
    ValueError
        When the run simulated another kind of lane than the switch's (see
        :meth:`~cposim.photonics.switch.model.Switch.with_yield_run`).
    """
    import dataclasses

    from cposim.photonics.switch.model import pluggable_equivalent, preset

    summary = _summary(yield_run)
    assembly = assembly or AssemblyParameters()
    if switch.packaging == "cpo":
        cpo, pluggable = switch, pluggable_equivalent(switch)
    else:
        cpo, pluggable = preset("quantum-x-photonics"), switch
    bounds = None
    if summary is not None:
        cpo = cpo.with_yield_run(summary)
        reported = cpo if switch.packaging == "cpo" else pluggable
        scaled = summary.engine_yield_for(reported.engine.lanes)
        assembly = dataclasses.replace(assembly, engine_yield=float(scaled[0]))
        bounds = dataclasses.replace(assembly, engine_yield=scaled[1:])
        run = summary.source or "an in-memory yield study"
        scaled_note = (
            f", scaled from {summary.lanes_per_engine} to {reported.engine.lanes} lanes"
            if summary.lanes_per_engine != reported.engine.lanes
            else ""
        )
        sources = {
            "engine yield": f"yield run {run}: {scaled[0]:.4f} [{scaled[1]:.4f}, "
            f"{scaled[2]:.4f}] over {summary.n_engines} engines{scaled_note}",
            "heater power per lane": f"yield run {run}: "
            f"{summary.mean_heater_power_per_lane_w * 1e3:.2f} mW "
            f"({summary.heated_rings_per_lane} heated ring(s) per lane)",
            "laser line": f"yield run {run}: {summary.laser_power_dbm:g} dBm split "
            f"{summary.lanes_per_laser} ways",
            "lane energies (laser WPE, driver, receiver, SerDes)": f"yield run {run}: its "
            "link.electrical (each default cited in ElectricalPowerParameters)",
        }
    else:
        sources = {
            "engine yield": f"AssemblyParameters.engine_yield = {assembly.engine_yield:g}, "
            "an assumption (no yield run given)",
            "heater power per lane": "ElectricalPowerParameters default, an estimate: "
            f"{cpo.electrical.heater_power_per_ring_w * 1e3:.1f} mW per ring × "
            f"{cpo.engine.rings_per_lane} (no yield run given)",
            "laser line": f"LaserSource default {cpo.laser.output_power_dbm:g} dBm split "
            f"{cpo.laser.lanes_per_laser} ways (no yield run given)",
            "lane energies (laser WPE, driver, receiver, SerDes)": "ElectricalPowerParameters "
            "defaults (each cited or marked as an assumption in its docstring)",
        }
    sources["pluggable reference"] = (
        "preset 'pluggable-1.6t': DSP, driver, housekeeping and laser temperature are "
        "assumptions (see its docstring)"
    )
    sources["failure rates and repair times"] = "ReliabilityParameters defaults: assumptions"
    if costs is not None:
        sources["costs"] = "CostParameters given"
    elif summary is not None and summary.engines_per_wafer is not None:
        costs = CostParameters(engines_per_wafer=summary.engines_per_wafer)
        sources["costs"] = (
            f"yield run {summary.source or 'an in-memory yield study'}: "
            f"{summary.engines_per_wafer} engines per wafer; the other CostParameters "
            "defaults are assumptions (see its docstring)"
        )
    else:
        costs = CostParameters()
        sources["costs"] = (
            f"CostParameters defaults ({costs.engines_per_wafer} engines per wafer, the "
            "default study's layout; the costs are assumptions, see its docstring)"
        )
    reported = cpo if switch.packaging == "cpo" else pluggable
    assembled = reported.assembly_yield(assembly)
    return SwitchReport(
        cpo=cpo,
        pluggable=pluggable,
        assembly=assembled,
        assembly_bounds=None if bounds is None else reported.assembly_yield(bounds),
        cost=switch_cost(reported, assembly, costs),
        validation=validation_table(cpo, pluggable),
        power_sensitivity=ratio_sensitivity(cpo, pluggable),
        reliability_sensitivity=ratio_sensitivity(
            cpo,
            pluggable,
            RELIABILITY_INPUTS,
            ratio=link_down_ratio,
            quantity="pluggable / CPO link-down events",
        ),
        sources=sources,
        switch_name=reported.name,
    )


__all__ = [
    "SwitchReport",
    "switch_report",
]
