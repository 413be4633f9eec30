"""Results of a yield study: yields with intervals, failure Pareto, distributions, wafer maps.

:class:`YieldResult` wraps the per-die table produced by
:func:`cposim.photonics.yields.engine.simulate_wafers` (in memory, or read back from a run
directory) together with the configuration that produced it. Computing never plots and
plotting never recomputes the physics: every plot reads the table.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np

from cposim.control.core.validation import check_choice
from cposim.photonics.yields.config import YieldConfig
from cposim.photonics.yields.engine import FAILURE_LABELS, FAILURE_MODES
from cposim.photonics.yields.reduce import Totals, reduce_table
from cposim.photonics.yields.stats import binomial_interval

PLOT_KINDS = ("pareto", "waterfall", "wafer_map", "heater", "margin", "lock_time")
"""Kinds accepted by :meth:`YieldResult.plot`."""


class _StudyStatistics:
    """What every view of a study derives from its ``config``, ``confidence`` and ``totals``
    (:class:`~cposim.photonics.yields.reduce.Totals`): shared by the in-memory
    :class:`YieldResult` and the streaming
    :class:`~cposim.photonics.yields.stored.StoredStudy`, so both give the same numbers."""

    @property
    def engines_per_die(self) -> int:
        """Optical engines per die."""
        return self.config.die.n_engines

    @property
    def lanes_per_engine(self) -> int:
        """Lanes (wavelength channels) per engine."""
        return self.config.die.links_per_engine * self.config.n_channels

    def yields(self):
        """Yield per level (lane, engine, die) with Wilson intervals, as a DataFrame.

        Columns: ``level``, ``passed``, ``total``, ``yield``, ``low``, ``high``.
        """
        return yields_frame(self.totals, self.config, self.confidence)

    def failure_pareto(self):
        """Failing dies and failing lanes per failure mode, most frequent first (DataFrame).

        A die is attributed to the first failure mode (in :data:`FAILURE_MODES` order) among
        its lanes; lanes are counted per mode.
        """
        return pareto_frame(self.totals)

    def yield_waterfall(self):
        """Die yield after each failure mechanism in chain order (DataFrame).

        Columns ``mode``, ``description``, ``dies_lost`` (dies attributed to the mode) and
        ``yield_after`` (fraction of dies still passing once this and every earlier mode has
        taken its dies); the last row's ``yield_after`` is the die yield.
        """
        return waterfall_frame(self.totals)

    def summary(self) -> dict:
        """Headline numbers as a JSON-serialisable dict (written as ``summary.json`` by runs);
        see :func:`summary_dict` for the keys."""
        return summary_dict(self.totals, self.config, self.confidence)


@dataclass(frozen=True, kw_only=True, eq=False)
class YieldResult(_StudyStatistics):
    """Per-die outcomes of a yield study and the statistics derived from them.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per die with the columns of :data:`cposim.photonics.yields.engine.COLUMNS`.
    config : YieldConfig
        The configuration that produced the table.
    confidence : float
        Two-sided confidence level of the reported intervals, a fraction. Default 0.95.
    """

    table: object
    config: YieldConfig
    confidence: float = 0.95

    # ---------------------------------------------------------------------------- counts
    @property
    def n_dies(self) -> int:
        """Dies simulated."""
        return len(self.table)

    @cached_property
    def totals(self) -> Totals:
        """The table reduced to what the statistics need
        (:func:`~cposim.photonics.yields.reduce.reduce_table`, the table as one batch)."""
        table = self.table
        return reduce_table(
            lambda columns: [{c: table[c].to_numpy() for c in columns}], FAILURE_MODES
        )

    def to_dataframe(self):
        """The per-die table (a copy)."""
        return self.table.copy()

    def wafer_map(self):
        """Die yield at each die position across all wafers: ``(x_m, y_m, yield)`` arrays."""
        grouped = self.table.groupby("die").agg(
            x=("die_x_m", "first"), y=("die_y_m", "first"), passed=("passed", "mean")
        )
        return (grouped["x"].to_numpy(), grouped["y"].to_numpy(), grouped["passed"].to_numpy())

    # ---------------------------------------------------------------------------- plots
    def plot(self, ax=None, *, kind: str = "pareto"):
        """One view of the result; returns the matplotlib Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        kind : {"pareto", "waterfall", "wafer_map", "heater", "margin", "lock_time"}
            Failure-mode Pareto of dies; die yield after each mechanism in chain order;
            die-yield wafer map; worst-case heater power per die; worst lane margin per die;
            power-up-to-lock time of the dynamic dies.
        """
        from cposim.photonics.yields import plot

        check_choice("kind", kind, PLOT_KINDS)
        return plot.RESULT_VIEWS[kind](self, ax)


def yields_frame(totals: Totals, config: YieldConfig, confidence: float):
    """Yield per level (lane, engine, die) with Wilson intervals (DataFrame with ``level``,
    ``passed``, ``total``, ``yield``, ``low``, ``high``).

    Parameters
    ----------
    totals : Totals
        The reduced table.
    config : YieldConfig
        The study (engines per die, lanes per engine).
    confidence : float
        Two-sided confidence level, a fraction.
    """
    import pandas as pd

    engines = totals.n_dies * config.die.n_engines
    counts = {
        "lane": (totals.lanes_passed, engines * config.die.links_per_engine * config.n_channels),
        "engine": (totals.engines_passed, engines),
        "die": (totals.dies_passed, totals.n_dies),
    }
    passed = np.array([c[0] for c in counts.values()])
    total = np.array([c[1] for c in counts.values()])
    low, high = binomial_interval(passed, total, confidence=confidence)
    return pd.DataFrame(
        {
            "level": list(counts),
            "passed": passed,
            "total": total,
            "yield": passed / total,
            "low": low,
            "high": high,
        }
    )


def pareto_frame(totals: Totals):
    """Failing dies (attributed to their first failure) and failing lanes per mode, most
    frequent first (DataFrame with ``mode``, ``description``, ``dies``, ``lanes``,
    ``share_of_dies``).

    Parameters
    ----------
    totals : Totals
        The reduced table.
    """
    import pandas as pd

    modes = FAILURE_MODES[1:]
    frame = pd.DataFrame(
        {
            "mode": list(modes),
            "description": [FAILURE_LABELS[m] for m in modes],
            "dies": totals.dies_by_mode[1:],
            "lanes": [totals.lanes_by_mode[m] for m in modes],
        }
    )
    frame["share_of_dies"] = frame["dies"] / totals.n_dies
    return frame.sort_values(["dies", "lanes"], ascending=False, ignore_index=True)


def waterfall_frame(totals: Totals):
    """Die yield after each failure mechanism in attribution (chain) order (DataFrame with
    ``mode``, ``description``, ``dies_lost``, ``yield_after``).

    Parameters
    ----------
    totals : Totals
        The reduced table.
    """
    import pandas as pd

    modes = FAILURE_MODES[1:]
    lost = np.asarray(totals.dies_by_mode[1:], dtype=np.int64)
    return pd.DataFrame(
        {
            "mode": list(modes),
            "description": [FAILURE_LABELS[m] for m in modes],
            "dies_lost": lost,
            "yield_after": 1.0 - np.cumsum(lost) / totals.n_dies,
        }
    )


def summary_dict(totals: Totals, config: YieldConfig, confidence: float) -> dict:
    """Headline numbers as a JSON-serialisable dict (``summary.json``).

    Keys include ``die_yield``, ``engine_yield``, ``lane_yield`` and their ``*_interval``,
    ``n_dies``, ``n_engines``, ``engines_per_wafer``, ``lanes_per_engine``,
    ``mean_heater_power_per_ring_w``,
    ``median_min_margin_db``, ``isi_model``, ``lock_mode`` and, for a dynamic study,
    ``dynamic_dies``, ``static_die_yield_on_dynamic_dies``, ``dynamic_die_yield``,
    ``lock_outcomes`` (dies by static and dynamic pass/fail) and ``median_lock_time_s``;
    ``failure_modes`` (dies per mode), and what a switch model
    built on this run needs to match it: the lane's mode (``wavelengths_per_fiber``,
    ``heated_rings_per_lane``, ``lane_rate_bps``), its light (``laser_power_dbm`` per laser
    line, ``lanes_per_laser``), ``mean_heater_power_per_lane_w`` and the lane's electrical
    energy components (``electrical``, the fields of
    :class:`~cposim.photonics.link.energy.ElectricalPowerParameters`).

    Parameters
    ----------
    totals : Totals
        The reduced table.
    config : YieldConfig
        The study.
    confidence : float
        Two-sided confidence level of the intervals, a fraction.
    """
    die = config.die
    rings_per_die = die.n_engines * die.links_per_engine * config.banks_per_link * config.n_channels
    heater_w = totals.heater_power_mean_w
    link = config.link
    summary = {
        "n_dies": totals.n_dies,
        "n_engines": totals.n_dies * die.n_engines,
        "engines_per_wafer": config.layout().n_dies * die.n_engines,
        "lanes_per_engine": die.links_per_engine * config.n_channels,
        "confidence": confidence,
        "mean_heater_power_per_ring_w": heater_w / rings_per_die,
        "mean_heater_power_per_lane_w": heater_w / rings_per_die * config.banks_per_link,
        "mean_heater_power_per_die_w": heater_w,
        "wavelengths_per_fiber": config.n_channels,
        "heated_rings_per_lane": config.banks_per_link,
        "lane_rate_bps": float(link.bit_rate_bps),
        "laser_power_dbm": float(link.laser_power_dbm),
        "lanes_per_laser": int(link.laser_split_ways),
        "electrical": {f.name: getattr(link.electrical, f.name) for f in fields(link.electrical)},
        "median_min_margin_db": totals.median_min_margin_db,
        "isi_model": config.isi.model,
        "lock_mode": config.lock.mode,
        **_lock_comparison(totals),
        "failure_modes": {row.mode: int(row.dies) for row in pareto_frame(totals).itertuples()},
    }
    yields = yields_frame(totals, config, confidence).set_index("level")
    for level in ("lane", "engine", "die"):
        row = yields.loc[level]
        summary[f"{level}_yield"] = float(row["yield"])
        summary[f"{level}_yield_interval"] = [float(row["low"]), float(row["high"])]
    return summary


def _lock_comparison(totals: Totals) -> dict:
    """The dynamic dies' outcomes against their static ones (empty for a static study)."""
    if totals.dynamic_dies == 0:
        return {}
    (both_fail, dynamic_only), (static_only, both_pass) = totals.lock_outcomes.tolist()
    n = totals.dynamic_dies
    return {
        "dynamic_dies": n,
        "static_die_yield_on_dynamic_dies": (static_only + both_pass) / n,
        "dynamic_die_yield": (dynamic_only + both_pass) / n,
        "lock_outcomes": {
            "both_pass": both_pass,
            "static_only": static_only,
            "dynamic_only": dynamic_only,
            "both_fail": both_fail,
        },
        "median_lock_time_s": totals.median_lock_time_s,
    }


__all__ = [
    "PLOT_KINDS",
    "YieldResult",
    "pareto_frame",
    "summary_dict",
    "waterfall_frame",
    "yields_frame",
]
