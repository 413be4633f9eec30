"""Cost per known-good engine and per good switch, from the assembly flow's expected counts.

Every good switch carries what its build consumed (:func:`switch_cost`):

- engines: every engine built, test rejects and rework replacements included
  (:attr:`~cposim.photonics.switch.assembly.AssemblyYield.engines_per_good_switch`), each at
  its cost before test (its share of a processed wafer, plus the electronic IC, bonding and
  fibre attach of the engine);
- engine test: every tested engine (the known-good-engine flows only);
- packages: every package built, scrapped ones included (ASIC and substrate), and the attach
  of each of its engines;
- rework: every rework of a failed package.

An engine delivered to assembly costs its build untested, and ``(build + test) / P(pass)``
as a known-good engine (the test's rejects carried by the engines that pass). All costs are
in one currency the user chooses (the defaults in US dollars); each default is named in
:class:`CostParameters` as published or as an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_range
from cposim.photonics.switch.assembly import (
    SCENARIOS,
    AssemblyParameters,
    assembly_yield,
    scenario_frame,
)

COST_ITEMS = ("engines", "engine test", "packages", "attach", "rework")
"""What a good switch's cost is made of, in display order."""


@dataclass(frozen=True, kw_only=True)
class CostParameters:
    """Costs of the build flow (one currency throughout; US dollars by default).

    Parameters
    ----------
    wafer_cost : float
        Processed 300 mm silicon-photonics wafer, currency (≥ 0). Default 5000
        (*assumption*: foundries publish no price; a bare 300 mm SOI substrate is about 500
        (SOI Industry Consortium, "Driving SOI cost reductions", 2009) and a mature-node
        300 mm logic wafer a few thousand; the photonic modules add layers).
    engines_per_wafer : int
        Engines one wafer holds before test (count, ≥ 1). Default 2488: the default yield
        study's layout (5 mm dies on a 300 mm wafer, one engine per die).
    engine_build_cost : float
        Per engine, what is added to its photonic die before the engine test (electronic
        IC, 3D bonding, fibre array), currency (≥ 0). Default 300 (*assumption*: about 60 %
        of a 1.6T engine of about 500; packaging is "up to 80 % of the cost of photonics
        components", PIXAPP/Tyndall, eeNews Europe, 2017).
    engine_test_cost : float
        Known-good-engine test per tested engine, currency (≥ 0). Default 20
        (*assumption*: minutes of 200G PAM4 optical test at temperature on a test cell of a
        few hundred per hour; no public figure).
    package_cost : float
        ASIC and package substrate per package built, currency (≥ 0). Default 15000
        (*assumption*: switch ASICs are not publicly priced).
    attach_cost : float
        Attaching one engine to a package, currency (≥ 0). Default 20 (*assumption*).
    rework_cost : float
        One rework of a failed package (removing and re-attaching an engine; the replacement
        engine is counted with the engines), currency (≥ 0). Default 200 (*assumption*;
        reworkable attach of several engines on one organic substrate is reported, without a
        cost, by Prasad et al. (Cisco; IEEE ECTC paper on a 3.2 Tb/s optical engine with
        on-chip mux-demux for co-packaged optics)).
    currency : str
        Name of the currency, for reports. Default "USD".
    """

    wafer_cost: float = 5000.0
    engines_per_wafer: int = 2488
    engine_build_cost: float = 300.0
    engine_test_cost: float = 20.0
    package_cost: float = 15000.0
    attach_cost: float = 20.0
    rework_cost: float = 200.0
    currency: str = "USD"

    def __post_init__(self):
        for name in ("wafer_cost", "engine_build_cost", "engine_test_cost", "package_cost",
                     "attach_cost", "rework_cost"):  # fmt: skip
            check_range(name, getattr(self, name), low=0.0, high=1e9)
        n = self.engines_per_wafer
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(f"engines_per_wafer = {n!r} must be a positive integer")

    @property
    def engine_cost(self) -> float:
        """Cost of one engine before test: its share of the wafer plus its build, currency."""
        return self.wafer_cost / self.engines_per_wafer + self.engine_build_cost


@dataclass(frozen=True, kw_only=True)
class SwitchCost:
    """Expected cost per good switch by item and per known-good engine, per assembly flow.

    Arrays have shape ``(len(SCENARIOS),) + engine_yield.shape``.

    Parameters
    ----------
    switch_name : str
        Name of the switch.
    engine_yield : ndarray
        Engine yield(s) evaluated (fraction).
    per_good_switch : dict of str to ndarray
        Expected cost per good switch of each item of :data:`COST_ITEMS`, currency.
    per_delivered_engine : ndarray
        Cost of one engine delivered to assembly, currency: its build, and in the tested
        flows its test with the test's rejects carried by the engines that pass (a
        known-good engine).
    currency : str
        Name of the currency.
    """

    switch_name: str
    engine_yield: np.ndarray
    per_good_switch: dict
    per_delivered_engine: np.ndarray
    currency: str

    SCENARIOS = SCENARIOS
    """Assembly flows, in the order of the arrays' first axis."""

    @property
    def total_per_good_switch(self) -> np.ndarray:
        """Expected cost per good switch, all items, currency."""
        return sum(self.per_good_switch[item] for item in COST_ITEMS)

    def to_dataframe(self):
        """One row per scenario and engine yield: each item, the total and the engine cost."""
        return scenario_frame(
            self.engine_yield,
            {
                **{item: self.per_good_switch[item] for item in COST_ITEMS},
                "total per good switch": self.total_per_good_switch,
                "per engine delivered": self.per_delivered_engine,
            },
        )

    def plot(self, ax=None, *, scenarios=SCENARIOS):
        """Stacked bars of the cost per good switch by item, one bar per flow (the first
        engine yield); returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        scenarios : sequence of str
            Flows to draw (of :data:`SCENARIOS`).
        """
        from cposim.photonics.switch import plot

        return plot.switch_cost(self, ax, scenarios=scenarios)


def switch_cost(switch, params: AssemblyParameters, costs: CostParameters) -> SwitchCost:
    """Expected cost per good switch and per known-good engine of each assembly flow.

    Parameters
    ----------
    switch : cposim.photonics.switch.model.Switch
        The switch (its packaging, ASIC and engine counts are used).
    params : AssemblyParameters
        The assembly flow (engine yield, test coverage and overkill, attach, rework); its
        expected counts are :func:`~cposim.photonics.switch.assembly.assembly_yield`'s.
    costs : CostParameters
        Costs of the build.
    """
    assembly = assembly_yield(switch, params)
    passing = params.pass_probability()
    tested = np.array([scenario != "untested" for scenario in SCENARIOS])
    shape = (len(SCENARIOS),) + (1,) * np.ndim(assembly.engine_yield)
    tested = tested.reshape(shape)
    engines = assembly.engines_per_good_switch
    built = assembly.packages_built_per_good_switch
    per_good_switch = {
        "engines": engines * costs.engine_cost,
        "engine test": np.where(tested, engines * costs.engine_test_cost, 0.0),
        "packages": built * costs.package_cost,
        "attach": built * assembly.engines_per_package * costs.attach_cost,
        "rework": assembly.reworks_per_good_switch * costs.rework_cost,
    }
    known_good = np.where(
        tested, (costs.engine_cost + costs.engine_test_cost) / passing, costs.engine_cost
    )
    return SwitchCost(
        switch_name=assembly.switch_name,
        engine_yield=assembly.engine_yield,
        per_good_switch=per_good_switch,
        per_delivered_engine=known_good,
        currency=costs.currency,
    )


__all__ = ["COST_ITEMS", "CostParameters", "SwitchCost", "switch_cost"]
