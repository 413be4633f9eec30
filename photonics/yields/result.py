"""Results of a yield study: yields with intervals, failure Pareto, distributions, wafer maps.

:class:`YieldResult` wraps the per-die table produced by
:func:`cposim.photonics.yields.engine.simulate_wafers` (in memory, or read back from a run
directory) together with the configuration that produced it. Computing never plots and
plotting never recomputes the physics: every plot reads the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_choice
from cposim.photonics.yields.config import YieldConfig
from cposim.photonics.yields.engine import FAILURE_LABELS, FAILURE_MODES
from cposim.photonics.yields.stats import binomial_interval

PLOT_KINDS = ("pareto", "wafer_map", "heater", "margin")
"""Kinds accepted by :meth:`YieldResult.plot`."""


@dataclass(frozen=True, kw_only=True, eq=False)
class YieldResult:
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
        import pandas as pd

        counts = {
            "lane": (
                int(self.table["lanes_passed"].sum()),
                self.n_dies * self.engines_per_die * self.lanes_per_engine,
            ),
            "engine": (int(self.table["engines_passed"].sum()), self.n_dies * self.engines_per_die),
            "die": (int(self.table["passed"].sum()), self.n_dies),
        }
        passed = np.array([c[0] for c in counts.values()])
        total = np.array([c[1] for c in counts.values()])
        low, high = binomial_interval(passed, total, confidence=self.confidence)
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

    def failure_pareto(self):
        """Failing dies and failing lanes per failure mode, most frequent first (DataFrame).

        A die is attributed to the first failure mode (in :data:`FAILURE_MODES` order) among
        its lanes; lanes are counted per mode.
        """
        import pandas as pd

        modes = FAILURE_MODES[1:]
        dies = np.bincount(self.table["failure_mode"].to_numpy(), minlength=len(FAILURE_MODES))
        frame = pd.DataFrame(
            {
                "mode": list(modes),
                "description": [FAILURE_LABELS[m] for m in modes],
                "dies": dies[1:],
                "lanes": [int(self.table[f"lanes_failed_{m}"].sum()) for m in modes],
            }
        )
        frame["share_of_dies"] = frame["dies"] / self.n_dies
        return frame.sort_values(["dies", "lanes"], ascending=False, ignore_index=True)

    def summary(self) -> dict:
        """Headline numbers as a JSON-serialisable dict (written as ``summary.json`` by runs).

        Keys include ``die_yield``, ``engine_yield``, ``lane_yield`` and their ``*_interval``,
        ``n_dies``, ``n_engines``, ``lanes_per_engine``, ``mean_heater_power_per_ring_w``,
        ``median_min_margin_db`` and ``failure_modes`` (dies per mode).
        """
        yields = self.yields().set_index("level")
        heater = self.table["heater_power_w"].to_numpy()
        rings_per_die = (
            self.engines_per_die
            * self.config.die.links_per_engine
            * (self.config.banks_per_link * self.config.n_channels)
        )
        margins = self.table["min_margin_db"].to_numpy()
        summary = {
            "n_dies": self.n_dies,
            "n_engines": self.n_dies * self.engines_per_die,
            "lanes_per_engine": self.lanes_per_engine,
            "confidence": self.confidence,
            "mean_heater_power_per_ring_w": _finite_mean(heater) / rings_per_die,
            "mean_heater_power_per_die_w": _finite_mean(heater),
            "median_min_margin_db": _finite_median(margins),
            "failure_modes": {
                row.mode: int(row.dies) for row in self.failure_pareto().itertuples()
            },
        }
        for level in ("lane", "engine", "die"):
            row = yields.loc[level]
            summary[f"{level}_yield"] = float(row["yield"])
            summary[f"{level}_yield_interval"] = [float(row["low"]), float(row["high"])]
        return summary

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
        kind : {"pareto", "wafer_map", "heater", "margin"}
            Failure-mode Pareto of dies; die-yield wafer map; worst-case heater power per die;
            worst lane margin per die.
        """
        check_choice("kind", kind, PLOT_KINDS)
        return getattr(self, f"_plot_{kind}")(ax)

    def _plot_pareto(self, ax):
        from cposim.control.core import plotstyle as plot

        ax = plot.axes(ax)
        pareto = self.failure_pareto()
        pareto = pareto[pareto["dies"] > 0]
        die = self.yields().set_index("level").loc["die"]
        title = (
            f"Die yield {die['yield']:.1%} [{die['low']:.1%}, {die['high']:.1%}] "
            f"of {self.n_dies:,} dies"
        )
        if pareto.empty:
            ax.text(0.5, 0.5, "no failing dies", ha="center", va="center", transform=ax.transAxes)
        else:
            ax.barh(pareto["description"][::-1], 100 * pareto["share_of_dies"][::-1], color="C3")
            for y, share in enumerate(pareto["share_of_dies"][::-1]):
                ax.text(100 * share, y, f" {share:.1%}", va="center", fontsize="small")
        plot.label(ax, x="Dies failing (%)", y="", title=title)
        return ax

    def _plot_wafer_map(self, ax):
        from cposim.control.core import plotstyle as plot

        ax = plot.axes(ax, figsize=(5.6, 5.0))
        x, y, die_yield = self.wafer_map()
        # Each die is drawn over its full pitch (die plus street) so the map has no seams.
        width = (self.config.die.width_m + self.config.die.street_m) * 1e3
        height = (self.config.die.height_m + self.config.die.street_m) * 1e3
        import matplotlib.pyplot as plt
        from matplotlib.collections import PatchCollection
        from matplotlib.patches import Circle, Rectangle

        patches = [
            Rectangle((xi * 1e3 - width / 2, yi * 1e3 - height / 2), width, height)
            for xi, yi in zip(x, y, strict=True)
        ]
        collection = PatchCollection(patches, cmap="RdYlGn", edgecolor="none", antialiased=False)
        collection.set_array(die_yield)
        collection.set_clim(0.0, 1.0)
        ax.add_collection(collection)
        radius = self.config.wafer.radius_m * 1e3
        ax.add_patch(Circle((0, 0), radius, fill=False, color="0.3"))
        ax.set_xlim(-1.05 * radius, 1.05 * radius)
        ax.set_ylim(-1.05 * radius, 1.05 * radius)
        ax.set_aspect("equal")
        plt.colorbar(collection, ax=ax, label="Die yield")
        n_wafers = self.table["wafer"].nunique()
        plot.label(ax, x="x (mm)", y="y (mm)", title=f"Die yield by position ({n_wafers} wafers)")
        ax.grid(False)
        return ax

    def _plot_heater(self, ax):
        from cposim.control.core import plotstyle as plot

        ax = plot.axes(ax)
        heater = self.table["heater_power_w"].to_numpy()
        heater = heater[np.isfinite(heater)]
        ax.hist(heater * 1e3, bins=60, color="C1")
        plot.label(
            ax,
            x="Worst-case heater power per die (mW)",
            y="Dies",
            title=f"Heater power of tunable dies (mean {np.mean(heater) * 1e3:.0f} mW)"
            if heater.size
            else "No die could be tuned",
        )
        return ax

    def _plot_margin(self, ax):
        from cposim.control.core import plotstyle as plot

        ax = plot.axes(ax)
        margins = self.table["min_margin_db"].to_numpy()
        margins = margins[np.isfinite(margins)]
        ax.hist(margins, bins=60, color="C0")
        ax.axvline(
            self.config.criteria.min_margin_db, color="C3", linestyle="--", label="required margin"
        )
        ax.legend(loc="upper left", fontsize="small")
        plot.label(
            ax, x="Worst lane BER margin per die (dB)", y="Dies", title="Link margin of tuned dies"
        )
        return ax


def _finite_mean(values) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def _finite_median(values) -> float:
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


__all__ = [
    "PLOT_KINDS",
    "YieldResult",
]
