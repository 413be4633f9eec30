"""Plots of yield results: failure Pareto, die-yield wafer map, heater power, link margin, lock
time, one die's lock timeline, sweeps and sensitivities.

Each function takes the result object first and an optional Axes, and returns the Axes; the
results' ``.plot()`` methods call them. Plotting never computes physics; matplotlib is imported
only when something is drawn.
"""

from __future__ import annotations

import numpy as np

from cposim.control.core import plotstyle as style
from cposim.control.core.validation import check_choice
from cposim.photonics.yields.study import YIELD_LEVELS


def failure_pareto(result, ax):
    """YieldResult view; returns the Axes.

    Parameters
    ----------
    result : YieldResult
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    pareto = result.failure_pareto()
    pareto = pareto[pareto["dies"] > 0]
    die = result.yields().set_index("level").loc["die"]
    title = (
        f"Die yield {die['yield']:.1%} [{die['low']:.1%}, {die['high']:.1%}] "
        f"of {result.n_dies:,} dies"
    )
    if pareto.empty:
        ax.text(0.5, 0.5, "no failing dies", ha="center", va="center", transform=ax.transAxes)
    else:
        ax.barh(pareto["description"][::-1], 100 * pareto["share_of_dies"][::-1], color="C3")
        for y, share in enumerate(pareto["share_of_dies"][::-1]):
            ax.text(100 * share, y, f" {share:.1%}", va="center", fontsize="small")
    style.label(ax, x="Dies failing (%)", y="", title=title)
    return ax


def yield_waterfall(result, ax):
    """YieldResult view: die yield after each failure mechanism in chain order; returns Axes.

    Parameters
    ----------
    result : YieldResult
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    frame = result.yield_waterfall()
    before = np.r_[1.0, frame["yield_after"].to_numpy()[:-1]]
    labels = ["fabricated", *frame["description"]]
    ax.bar(labels[0], 100.0, color="C0")
    ax.bar(labels[1:], 100 * (before - frame["yield_after"]), bottom=100 * frame["yield_after"],
           color="C3")  # fmt: skip
    ax.plot(labels[1:], 100 * frame["yield_after"], "k_", ms=14)
    ax.tick_params(axis="x", labelrotation=60, labelsize="small")
    for tick in ax.get_xticklabels():
        tick.set_horizontalalignment("right")
    style.label(ax, x="", y="Die yield (%)",
                title=f"Yield waterfall: {frame['yield_after'].iloc[-1]:.1%} of "
                f"{result.n_dies:,} dies pass")  # fmt: skip
    return ax


def wafer_map(result, ax):
    """YieldResult view; returns the Axes.

    Parameters
    ----------
    result : YieldResult
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax, figsize=(5.6, 5.0))
    x, y, die_yield = result.wafer_map()
    # Each die is drawn over its full pitch (die plus street) so the map has no seams.
    width = (result.config.die.width_m + result.config.die.street_m) * 1e3
    height = (result.config.die.height_m + result.config.die.street_m) * 1e3
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
    radius = result.config.wafer.radius_m * 1e3
    ax.add_patch(Circle((0, 0), radius, fill=False, color="0.3"))
    ax.set_xlim(-1.05 * radius, 1.05 * radius)
    ax.set_ylim(-1.05 * radius, 1.05 * radius)
    ax.set_aspect("equal")
    plt.colorbar(collection, ax=ax, label="Die yield")
    n_wafers = result.table["wafer"].nunique()
    style.label(ax, x="x (mm)", y="y (mm)", title=f"Die yield by position ({n_wafers} wafers)")
    ax.grid(False)
    return ax


def heater_power(result, ax):
    """YieldResult view; returns the Axes.

    Parameters
    ----------
    result : YieldResult
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    heater = result.table["heater_power_w"].to_numpy()
    heater = heater[np.isfinite(heater)]
    ax.hist(heater * 1e3, bins=60, color="C1")
    style.label(
        ax,
        x="Worst-case heater power per die (mW)",
        y="Dies",
        title=f"Heater power of tunable dies (mean {np.mean(heater) * 1e3:.0f} mW)"
        if heater.size
        else "No die could be tuned",
    )
    return ax


def link_margin(result, ax):
    """YieldResult view; returns the Axes.

    Parameters
    ----------
    result : YieldResult
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    margins = result.table["min_margin_db"].to_numpy()
    margins = margins[np.isfinite(margins)]
    ax.hist(margins, bins=60, color="C0")
    ax.axvline(
        result.config.criteria.min_margin_db, color="C3", linestyle="--", label="required margin"
    )
    ax.legend(loc="upper left", fontsize="small")
    style.label(
        ax,
        x="Worst lane optical power margin per die (dB)",
        y="Dies",
        title="Link margin of tuned dies",
    )
    return ax


def lock_time(result, ax):
    """YieldResult view: power-up-to-lock time of the dies that ran the dynamic lock (their
    slowest ring), with the static dies counted in the title; returns the Axes.

    Parameters
    ----------
    result : YieldResult
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    dynamic = result.table["lock_mode"].to_numpy() == 1
    times = result.table["lock_time_s"].to_numpy()[dynamic]
    locked = times[np.isfinite(times)]
    if locked.size == 0:
        ax.text(
            0.5,
            0.5,
            "no die ran the dynamic lock" if not dynamic.any() else "no die locked",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        return style.label(ax, x="Lock time (ms)", y="Dies", title="Lock time")
    ax.hist(locked * 1e3, bins=60, color="C2")
    ax.axvline(
        result.config.dynamic.acquisition_time_s * 1e3,
        color="0.3",
        linestyle=":",
        label="end of acquisition sweep",
    )
    ax.legend(loc="upper right", fontsize="small")
    return style.label(
        ax,
        x="Power-up to lock of the die's slowest ring (ms)",
        y="Dies",
        title=(
            f"Lock time: median {np.median(locked) * 1e3:.3f} ms, {locked.size:,} of "
            f"{dynamic.sum():,} dynamic dies locked"
        ),
    )


def lock_timeline(timeline, ax=None):
    """DieLockTimeline view: detuning of every ring of one die against time from power-up,
    failing rings in colour with their failure marked, the ±FWHM/10 lock band and the
    profile's ASIC step; returns the Axes.

    Parameters
    ----------
    timeline : DieLockTimeline
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    from cposim.photonics.yields.closed_loop import DYNAMIC_FAILURES

    ax = style.axes(ax)
    time_ms = timeline.time_s * 1e3
    failing = np.flatnonzero(timeline.failure > 0)
    for ring in np.flatnonzero(timeline.failure == 0):
        ax.plot(time_ms, timeline.detuning_m[ring] * 1e12, color="0.7", lw=0.7)
    for k, ring in enumerate(failing):
        name = DYNAMIC_FAILURES[timeline.failure[ring] - 1].replace("_", " ")
        color = f"C{(k % 9) + 1}"
        ax.plot(
            time_ms,
            timeline.detuning_m[ring] * 1e12,
            color=color,
            lw=1.2,
            label=f"{timeline.ring_labels[ring]}: {name}",
        )
        event = timeline.event_time_s[ring]
        if np.isfinite(event):
            at = np.searchsorted(timeline.time_s, event)
            at = min(at, time_ms.size - 1)
            ax.plot(time_ms[at], timeline.detuning_m[ring, at] * 1e12, "x", color=color, ms=8)
    band = 0.1 * float(np.median(timeline.fwhm_m)) * 1e12
    ax.axhspan(-band, band, color="C0", alpha=0.12, lw=0, label="±FWHM/10")
    if timeline.asic_step_time_s is not None:
        ax.axvline(timeline.asic_step_time_s * 1e3, color="0.3", ls=":", label="ASIC load step")
    # scale to the tracking, not to the jump after the sweep (the first tenth of the trace)
    settled = timeline.time_s >= timeline.time_s[0] + 0.1 * np.ptp(timeline.time_s)
    tracking = np.abs(timeline.detuning_m[:, settled]) * 1e12
    limit = max(5 * band, float(np.nanmax(tracking, initial=0.0)))
    ax.set_ylim(-1.2 * limit, 1.2 * limit)
    ax.legend(loc="upper right", fontsize="small", frameon=False)
    verdict = "passes" if failing.size == 0 else f"{failing.size} ring(s) fail"
    return style.label(
        ax,
        x="time from power-up (ms)",
        y="detuning laser − ring (pm)",
        title=f"Wafer {timeline.wafer}, die {timeline.die}: {verdict}",
    )


def sweep(result, ax=None, *, level: str = "die"):
    """Yield (with its confidence band) against the first swept key; returns the Axes.

    With several keys, one line per combination of the others. Heater power goes on a
    secondary axis when one key is swept.

    Parameters
    ----------
    result : SweepResult
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    level : {"die", "engine", "lane"}
        Which yield to plot.
    """
    check_choice("level", level, YIELD_LEVELS)
    ax = style.axes(ax)
    x_key, *others = result.keys
    groups = result.table.groupby(others) if others else [((), result.table)]
    for index, (label, rows) in enumerate(groups):
        rows = rows.sort_values(x_key)
        colour = f"C{index % 10}"
        name = ", ".join(_setting(k, v) for k, v in zip(others, np.atleast_1d(label), strict=False))
        ax.plot(
            rows[x_key],
            100 * rows[f"{level}_yield"],
            "o-",
            color=colour,
            label=name or f"{level} yield",
        )
        ax.fill_between(
            rows[x_key],
            100 * rows[f"{level}_low"],
            100 * rows[f"{level}_high"],
            color=colour,
            alpha=0.2,
            linewidth=0,
        )
    if not others:
        power = ax.twinx()
        power.plot(
            result.table[x_key],
            1e3 * result.table["mean_heater_power_per_die_w"],
            "s--",
            color="C1",
            label="heater power",
        )
        power.set_ylabel("Mean worst-case heater power per die (mW)", color="C1")
    ax.legend(loc="lower right", fontsize="small")
    x_label = style.quantity_label(x_key)
    style.label(
        ax,
        x=x_label,
        y=f"{level.capitalize()} yield (%)",
        title=f"{level.capitalize()} yield vs {x_label.split(' (')[0]}",
    )
    return ax


def sensitivity(result, ax=None):
    """Bar chart of the die-yield gain per removed component; returns the Axes.

    Parameters
    ----------
    result : SensitivityResult
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    table = result.table.iloc[::-1]
    labels = [f"{p} · {c}" for p, c in zip(table["parameter"], table["component"], strict=True)]
    ax.barh(labels, 100 * table["gain"], color="C2")
    style.label(
        ax,
        x="Die-yield gain when removed (percentage points)",
        y="",
        title=f"Yield sensitivity (baseline {result.baseline_yield:.1%})",
    )
    return ax


def sobol(result, ax=None):
    """First-order and total Sobol' indices per input as paired bars with 95 % bootstrap
    intervals; returns the Axes.

    Parameters
    ----------
    result : SobolResult
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    table = result.table.iloc[::-1]
    y = np.arange(len(table))
    for offset, name, colour in ((-0.2, "first_order", "C0"), (0.2, "total", "C3")):
        values = table[name].to_numpy()
        errors = np.abs(np.vstack([values - table[f"{name}_low"], table[f"{name}_high"] - values]))
        ax.barh(y + offset, values, height=0.38, xerr=errors, color=colour,
                label=name.replace("_", "-"))  # fmt: skip
    ax.set_yticks(y, table["key"])
    ax.legend(fontsize="small")
    title = f"{result.level.capitalize()}-yield variance by input (N = {result.n})"
    style.label(ax, x="Sobol' index (share of the yield's variance)", y="", title=title)
    return ax


RESULT_VIEWS = {
    "pareto": failure_pareto,
    "waterfall": yield_waterfall,
    "wafer_map": wafer_map,
    "heater": heater_power,
    "margin": link_margin,
    "lock_time": lock_time,
}
"""The views of :meth:`YieldResult.plot <cposim.photonics.yields.result.YieldResult.plot>`."""


def _setting(key: str, value) -> str:
    """Legend text of one swept setting: the last part of its dotted key and its value."""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{key.rsplit('.', 1)[-1]}={text}"


__all__ = [
    "RESULT_VIEWS",
    "failure_pareto",
    "heater_power",
    "link_margin",
    "lock_time",
    "lock_timeline",
    "sensitivity",
    "sobol",
    "sweep",
    "wafer_map",
    "yield_waterfall",
]
