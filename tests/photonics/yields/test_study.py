"""Design studies: sweeps, Pareto fronts and variation sensitivity."""

import numpy as np
import pandas as pd
import pytest

from cposim.photonics.fab.wafer import Wafer
from cposim.photonics.yields.config import RunSettings, YieldConfig
from cposim.photonics.yields.study import SweepResult, sweep, variation_sensitivity


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
