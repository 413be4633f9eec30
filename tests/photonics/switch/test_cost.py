"""Cost per good switch and per delivered engine: by hand, against a direct Monte Carlo of the
build flow, and against the wafer screen's cost per good die."""

import numpy as np
import pytest

from cposim.photonics.switch.assembly import SCENARIOS, AssemblyParameters
from cposim.photonics.switch.cost import COST_ITEMS, CostParameters, switch_cost
from cposim.photonics.switch.model import preset

QX = preset("quantum-x-photonics")
COSTS = CostParameters(
    wafer_cost=5000.0, engines_per_wafer=1000, engine_build_cost=45.0, engine_test_cost=8.0,
    package_cost=12000.0, attach_cost=30.0, rework_cost=400.0,
)  # fmt: skip


def test_costs_by_hand():
    """Every item is a count of the flow times its unit cost: untested, nothing is tested or
    reworked, a package of m engines is built 1/y^m times per good one."""
    y, m, packages = 0.97, QX.engines_per_asic, QX.n_asics
    params = AssemblyParameters(engine_yield=y, attach_yield=1.0, test_coverage=0.9)
    cost = switch_cost(QX, params, COSTS)
    untested = SCENARIOS.index("untested")
    built = packages / y**m
    assert COSTS.engine_cost == pytest.approx(5000.0 / 1000 + 45.0, rel=1e-15)
    expected = {
        "engines": built * m * COSTS.engine_cost,
        "engine test": 0.0,
        "packages": built * 12000.0,
        "attach": built * m * 30.0,
        "rework": 0.0,
    }
    for item in COST_ITEMS:
        assert cost.per_good_switch[item][untested] == pytest.approx(expected[item], rel=1e-12)
    assert cost.total_per_good_switch[untested] == pytest.approx(sum(expected.values()))
    kge = SCENARIOS.index("known-good-engine")
    passing = y + (1 - y) * 0.1
    assert cost.per_delivered_engine[kge] == pytest.approx((50.0 + 8.0) / passing, rel=1e-12)
    assert cost.per_delivered_engine[untested] == pytest.approx(50.0, rel=1e-15)
    frame = cost.to_dataframe()
    assert list(frame["scenario"]) == list(SCENARIOS)
    assert frame["total per good switch"].to_numpy() == pytest.approx(cost.total_per_good_switch)


def test_cost_per_good_switch_matches_a_direct_monte_carlo(simulate_build):
    """The cost tallied build by build (``conftest.simulate_build``) against the expected cost.

    Tolerance: 5 standard errors of the Monte Carlo mean (k = 5).
    """
    params = AssemblyParameters(
        engine_yield=0.9, test_coverage=0.85, attach_yield=0.98, rework_success=0.5,
        test_overkill=0.04,
    )  # fmt: skip
    cost = switch_cost(QX, params, COSTS)
    rng = np.random.default_rng(7)
    for index, scenario in enumerate(SCENARIOS):
        tally = simulate_build(QX, params, scenario, 4000, rng)
        per_package = (
            tally["engines"] * COSTS.engine_cost
            + tally["tested"] * COSTS.engine_test_cost
            + tally["built"] * (COSTS.package_cost + QX.engines_per_asic * COSTS.attach_cost)
            + tally["reworks"] * COSTS.rework_cost
        )
        mean = per_package.mean() * QX.n_asics
        error = per_package.std(ddof=1) / np.sqrt(per_package.size) * QX.n_asics
        target = cost.total_per_good_switch[index]
        assert abs(mean - target) < 5 * error, (scenario, mean, target, error)


def test_known_good_engine_cost_equals_the_screens_cost_per_good_die():
    """Fed by a sampled wafer test, the cost of a known-good engine is the screen's cost per
    good die (every tested die's cost carried by the passing ones, escapes free downstream)."""
    from cposim.photonics.yields.screening import ScreeningSettings, screen

    rng = np.random.default_rng(3)
    margin = rng.normal(1.0, 1.0, 20_000)
    table = {"min_margin_db": margin, "failure_mode": np.zeros(margin.size, dtype=np.int8)}
    screening = screen(table, ScreeningSettings(), rng=rng)
    params = AssemblyParameters.from_screening(screening)
    cost = switch_cost(QX, params, COSTS)
    direct = screening.cost_per_good_die(
        die_cost=COSTS.engine_cost, test_cost_per_die=COSTS.engine_test_cost
    )
    assert cost.per_delivered_engine[SCENARIOS.index("known-good-engine")] == pytest.approx(
        direct, rel=1e-12
    )


def test_cost_falls_with_test_coverage_and_rises_with_overkill():
    """Cost per good switch falls as the test catches more bad engines (scrapped packages are
    the dear part), and rises with overkill (good engines thrown away)."""
    totals = []
    for coverage in (0.0, 0.5, 0.9, 0.99):
        params = AssemblyParameters(engine_yield=0.9, test_coverage=coverage)
        cost = switch_cost(QX, params, COSTS)
        totals.append(cost.total_per_good_switch[SCENARIOS.index("known-good-engine")])
    assert np.all(np.diff(totals) < 0)
    params = AssemblyParameters(engine_yield=0.9, test_overkill=0.2)
    harsh = switch_cost(QX, params, COSTS)
    plain = AssemblyParameters(engine_yield=0.9)
    base = switch_cost(QX, plain, COSTS)
    assert harsh.per_good_switch["engines"][1] > base.per_good_switch["engines"][1]


def test_engine_yield_sweep_and_plot():
    params = AssemblyParameters(engine_yield=np.array([0.8, 0.9, 0.99]))
    cost = switch_cost(QX, params, CostParameters())
    assert cost.total_per_good_switch.shape == (len(SCENARIOS), 3)
    assert np.all(np.diff(cost.total_per_good_switch, axis=1) < 0)
    assert len(cost.to_dataframe()) == 3 * len(SCENARIOS)
    ax = cost.plot()
    assert ax.get_ylabel() == "Cost per good switch (USD)"
    assert len(cost.plot(scenarios=SCENARIOS[1:]).get_xticklabels()) == 2
    with pytest.raises(ValueError, match="scenarios"):
        cost.plot(scenarios=["tested twice"])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("wafer_cost", -1.0, "wafer_cost"),
        ("engines_per_wafer", 0, "engines_per_wafer"),
        ("rework_cost", float("nan"), "rework_cost"),
    ],
)
def test_bad_costs_name_the_field(field, value, message):
    with pytest.raises(ValueError, match=message):
        CostParameters(**{field: value})
