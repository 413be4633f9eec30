"""Yield results on a hand-built per-die table (no engine run): every count, yield, Pareto row,
waterfall step and summary number against the table itself."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cposim.photonics.yields.config import YieldConfig
from cposim.photonics.yields.engine import COLUMNS, FAILURE_MODES
from cposim.photonics.yields.result import YieldResult

CONFIG = YieldConfig()  # one engine of 8 lanes per die
CODE = {name: k for k, name in enumerate(FAILURE_MODES)}


def _table():
    """40 dies on 2 wafers: 25 pass, 9 fail on tuning range (1 or 3 lanes), 5 on the BER margin
    (2 lanes, and 1 of them with a tuning-range lane too, so attributed to tuning range), 1 on a
    photodiode defect; margins and heater powers known."""
    n = 40
    mode = np.zeros(n, dtype=np.int8)
    mode[25:34] = CODE["tuning_range"]
    mode[34:39] = CODE["ber_margin"]
    mode[39] = CODE["photodiode_defect"]
    mode[33] = CODE["tuning_range"]  # its first failure, among BER lanes below
    columns = {name: np.zeros(n, dtype=np.int16) for name in COLUMNS if name.startswith("lanes_")}
    columns["lanes_failed_tuning_range"][25:33] = 1
    columns["lanes_failed_tuning_range"][33] = 3
    columns["lanes_failed_ber_margin"][33:39] = 2
    columns["lanes_failed_photodiode_defect"][39] = 1
    failed = sum(v for k, v in columns.items() if k.startswith("lanes_failed_"))
    columns["lanes_passed"] = (8 - failed).astype(np.int16)
    rng = np.random.default_rng(0)
    margin = rng.uniform(-1.0, 6.0, n)
    margin[25:33] = np.nan  # untuned: no margin
    table = {
        "wafer": np.repeat([0, 1], n // 2).astype(np.int32),
        "die": np.tile(np.arange(n // 2), 2).astype(np.int32),
        "die_x_m": np.tile(np.linspace(-0.04, 0.04, n // 2), 2),
        "die_y_m": np.zeros(n),
        "passed": mode == 0,
        "failure_mode": mode,
        "engines_passed": (mode == 0).astype(np.int16),
        "min_margin_db": margin,
        "heater_power_w": np.where(np.isnan(margin), np.nan, rng.uniform(0.1, 0.3, n)),
        "lock_mode": np.zeros(n, dtype=np.int8),
        "static_failure_mode": mode.copy(),
        "lock_time_s": np.full(n, np.nan),
        **columns,
    }
    return pd.DataFrame({name: table[name] for name in COLUMNS})


def test_yields_are_the_tables_counts_with_wilson_intervals():
    table = _table()
    result = YieldResult(table=table, config=CONFIG, confidence=0.9)
    frame = result.yields().set_index("level")
    lanes = int(table["lanes_passed"].sum())
    expected = {"lane": (lanes, 40 * 8), "engine": (25, 40), "die": (25, 40)}
    z = stats.norm.ppf(0.95)
    for level, (k, n) in expected.items():
        row = frame.loc[level]
        assert (row["passed"], row["total"]) == (k, n)
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        assert row["low"] == pytest.approx(centre - half, rel=1e-12)
        assert row["high"] == pytest.approx(centre + half, rel=1e-12)
    assert result.n_dies == 40


def test_pareto_and_waterfall_attribute_each_die_once_in_chain_order():
    result = YieldResult(table=_table(), config=CONFIG)
    pareto = result.failure_pareto().set_index("mode")
    assert pareto.loc["tuning_range", "dies"] == 9 and pareto.loc["tuning_range", "lanes"] == 11
    assert pareto.loc["ber_margin", "dies"] == 5 and pareto.loc["ber_margin", "lanes"] == 12
    assert pareto.loc["photodiode_defect", "dies"] == 1
    assert pareto["dies"].sum() == 15 and set(pareto.index) == set(FAILURE_MODES[1:])
    assert list(result.failure_pareto()["mode"][:3]) == [
        "tuning_range",
        "ber_margin",
        "photodiode_defect",
    ]
    waterfall = result.yield_waterfall()
    assert list(waterfall["mode"]) == list(FAILURE_MODES[1:])
    after = waterfall.set_index("mode")["yield_after"]
    assert after["photodiode_defect"] == pytest.approx(39 / 40)  # defects come first
    assert after["tuning_range"] == pytest.approx(30 / 40)
    assert after.iloc[-1] == pytest.approx(25 / 40)


def test_summary_numbers_come_from_the_table():
    table = _table()
    summary = YieldResult(table=table, config=CONFIG).summary()
    assert summary["die_yield"] == 25 / 40 and summary["n_engines"] == 40
    rings = CONFIG.die.n_engines * CONFIG.die.links_per_engine * CONFIG.banks_per_link
    heater = table["heater_power_w"].dropna()
    assert summary["mean_heater_power_per_ring_w"] == pytest.approx(heater.mean() / rings)
    assert summary["median_min_margin_db"] == np.nanmedian(table["min_margin_db"])
    assert summary["failure_modes"]["tuning_range"] == 9
    assert summary["lock_mode"] == "static" and "dynamic_dies" not in summary


def test_wafer_map_and_views():
    table = _table()
    result = YieldResult(table=table, config=CONFIG)
    x, _, die_yield = result.wafer_map()
    assert x.size == 20
    expected = table.groupby("die")["passed"].mean().to_numpy()
    np.testing.assert_array_equal(die_yield, expected)
    copy = result.to_dataframe()
    copy.loc[0, "passed"] = False
    assert bool(result.table.loc[0, "passed"])  # a copy, not the table
    with pytest.raises(ValueError, match="kind"):
        result.plot(kind="histogram")
