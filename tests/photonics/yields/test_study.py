"""Design studies: sweeps, Pareto fronts, variation and spread sensitivity, target values."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from cposim.photonics.fab.wafer import Wafer
from cposim.photonics.yields.config import RunSettings, YieldConfig
from cposim.photonics.yields.run import simulate
from cposim.photonics.yields.study import (
    SweepResult,
    spread_sensitivity,
    sweep,
    value_for_yield,
    variation_sensitivity,
)


def small():
    return YieldConfig().with_changes(
        {
            "wafer": Wafer(diameter_m=0.1, edge_exclusion_m=3e-3),
            "run": RunSettings(seed=3, n_wafers=1),
        }
    )


def test_sweep_over_heater_range_is_monotone_and_plots():
    result = sweep(small(), {"tuning.max_heater_power_w": [0.02, 0.025, 0.045]})
    table = result.to_dataframe()
    assert list(table["tuning.max_heater_power_w"]) == [0.02, 0.025, 0.045]
    assert np.all(np.diff(table["die_yield"]) >= 0)
    assert (table["die_low"] <= table["die_yield"]).all()
    assert result.plot().get_ylabel() == "Die yield (%)"


def test_two_key_sweep_is_a_cartesian_product():
    result = sweep(
        small(),
        {"tuning.max_heater_power_w": [0.03, 0.045], "tuning.strategy": ["ordered", "barrel"]},
    )
    assert len(result.table) == 4
    assert result.plot(level="lane").get_title() == "Lane yield vs max heater power"


def test_pareto_front_keeps_only_non_dominated_points():
    table = pd.DataFrame(
        {
            "x": [1, 2, 3, 4],
            "die_yield": [0.5, 0.4, 0.9, 0.9],
            "mean_heater_power_per_die_w": [0.1, 0.2, 0.3, 0.4],
        }
    )
    front = SweepResult(table=table, keys=("x",)).pareto_front()
    assert list(front["x"]) == [1, 3]


def test_variation_sensitivity_covers_active_components():
    result = variation_sensitivity(small())
    assert set(result.table["parameter"]) <= {"width", "thickness", "gap"}
    assert len(result.table) >= 5
    assert 0.0 <= result.baseline_yield <= 1.0
    assert result.plot().get_title().startswith("Yield sensitivity")


def test_empty_sweep_is_rejected():
    with pytest.raises(ValueError, match="at least one configuration key"):
        sweep(small(), {})


def test_spread_sensitivity_switches_each_spread_off_in_turn():
    config = small()
    result = spread_sensitivity(config, progress=False)
    table = result.to_dataframe().set_index("component")
    spreads = {
        f.name for f in dataclasses.fields(config.spreads) if getattr(config.spreads, f.name)
    }
    assert set(table.index) == spreads and (table["parameter"] == "spreads").all()
    assert result.baseline_yield == simulate(config).table["passed"].mean()
    worst = table.index[0]  # the largest gain first
    off = simulate(config.with_changes({f"spreads.{worst}": 0.0})).table["passed"].mean()
    assert table.loc[worst, "die_yield"] == off
    assert table.loc[worst, "gain"] == pytest.approx(off - result.baseline_yield, abs=1e-15)
    assert np.all(np.diff(table["gain"]) <= 0)


def test_value_for_yield_inverts_an_analytic_yield():
    """No variation, a perfect lock, only the fibre-attach spread σ: a die of 8 lanes (one
    fibre each) passes with Φ(m0/σ)^8. The σ found for a target die yield Y gives, in that
    closed form, a yield inside the 99.9 % binomial interval of Y over the study's dies."""
    from scipy import stats

    from cposim.photonics.fab.variation import ParameterVariation, VariationModel
    from cposim.photonics.yields.config import SpreadSettings
    from cposim.photonics.yields.engine import simulate_wafers

    off = {f.name: 0.0 for f in dataclasses.fields(SpreadSettings)}
    still = small().with_changes(
        {
            "variation": VariationModel(width=ParameterVariation(),
                                        thickness=ParameterVariation(), gap=ParameterVariation()),
            "spreads": SpreadSettings(**off),
            "lock.sigma_m": 0.0,
            "run.n_wafers": 3,
        }
    )  # fmt: skip
    m0 = float(np.unique(np.round(simulate_wafers(still, [0])["min_margin_db"], 9))[0])
    target = 0.9
    key = "spreads.fiber_coupling_loss_sigma_db"
    found = value_for_yield(
        still, key, die_yield=target, low=0.2 * m0, high=0.8 * m0, tolerance=1e-3 * m0,
        progress=False,
    )  # fmt: skip
    assert found.die_yield >= target
    n = simulate(still).n_dies
    low, high = stats.binom.interval(0.999, n, target)
    analytic = stats.norm.cdf(m0 / found.value) ** 8
    assert low / n <= analytic <= high / n
    assert len(found.to_dataframe()) >= 3
    with pytest.raises(ValueError, match="not between"):
        value_for_yield(
            still,
            key,
            die_yield=0.999999,
            low=0.5 * m0,
            high=0.8 * m0,
            tolerance=0.1,
            progress=False,
        )
