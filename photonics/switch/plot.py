"""Plots of switch results: power by component, assembly yield, reliability, an ASIC load step and
the claim validation.

Each function takes the result object first and an optional Axes, and returns the Axes; the
results' ``.plot()`` methods call them. Plotting never computes physics; matplotlib is imported
only when something is drawn.
"""

from __future__ import annotations

import numpy as np

from cposim.control.core import plotstyle as style
from cposim.control.core.validation import check_choice
from cposim.photonics.switch.assembly import SCENARIOS
from cposim.photonics.switch.power import PowerComparison


def power_breakdown(breakdown, ax=None):
    """Bar chart of energy per bit by component in pJ/bit; returns the Axes.

    Parameters
    ----------
    breakdown : PowerBreakdown
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    return power_comparison(PowerComparison(breakdowns=(breakdown,)), ax)


def power_comparison(comparison, ax=None):
    """Stacked bars of energy per bit (pJ/bit) by component, one bar per switch; returns
    the Axes.

    Parameters
    ----------
    comparison : PowerComparison
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    table = comparison.to_dataframe() * 1e12
    bottom = np.zeros(table.shape[1])
    for index, (component, row) in enumerate(table.iterrows()):
        values = row.to_numpy()
        ax.bar(
            table.columns,
            values,
            bottom=bottom,
            label=component.replace("_", " "),
            color=f"C{index}",
        )
        bottom += values
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(  # top to bottom, as stacked
        handles[::-1],
        labels[::-1],
        fontsize="small",
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
    )
    title = " vs ".join(f"{total:.2f}" for total in bottom) + " pJ/bit"
    style.label(ax, x="Switch", y="Optical I/O energy (pJ/bit)", title=title)
    return ax


def assembly_yield(result, ax=None):
    """Switch yield against engine yield per scenario (bars for a single engine yield);
    returns the Axes.

    Parameters
    ----------
    result : AssemblyYield
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    if np.size(result.engine_yield) == 1:
        ax.bar(SCENARIOS, [float(np.ravel(v)[0]) for v in result.switch_yield], color="C2")
        ax.tick_params(axis="x", labelsize="small")
        style.label(
            ax,
            x="Assembly flow",
            y="Switch yield (fraction)",
            title=f"{result.switch_name}, engine yield {float(result.engine_yield):.3f}",
        )
        return ax
    order = np.argsort(np.ravel(result.engine_yield))
    for index, scenario in enumerate(SCENARIOS):
        ax.plot(
            np.ravel(result.engine_yield)[order],
            np.ravel(result.switch_yield[index])[order],
            label=scenario,
        )
    ax.legend(frameon=False)
    style.label(
        ax, x="Engine yield (fraction)", y="Switch yield (fraction)", title=result.switch_name
    )
    return ax


def switch_cost(cost, ax=None, *, scenarios=SCENARIOS):
    """Stacked bars of the cost per good switch by item, one bar per assembly flow (the first
    engine yield evaluated); returns the Axes.

    Parameters
    ----------
    cost : SwitchCost
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    scenarios : sequence of str
        Flows to draw (of :data:`SCENARIOS`; the untested flow can dwarf the others).
    """
    from cposim.photonics.switch.cost import COST_ITEMS

    ax = style.axes(ax)
    rows = [SCENARIOS.index(check_choice("scenarios", name, SCENARIOS)) for name in scenarios]
    bottom = np.zeros(len(rows))
    for k, item in enumerate(COST_ITEMS):
        values = np.array([float(np.ravel(cost.per_good_switch[item][r])[0]) for r in rows])
        ax.bar(list(scenarios), values, bottom=bottom, label=item, color=f"C{k}")
        bottom += values
    for x, total in enumerate(bottom):
        ax.annotate(f"{total:,.0f}", (x, total), ha="center", va="bottom", fontsize="small")
    ax.set_ylim(0.0, 1.12 * bottom.max())
    ax.tick_params(axis="x", labelsize="small")
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    style.label(
        ax,
        x="Assembly flow",
        y=f"Cost per good switch ({cost.currency})",
        title=f"{cost.switch_name}, engine yield {float(np.ravel(cost.engine_yield)[0]):.3f}",
    )
    return ax


def reliability(report, ax=None):
    """Bar chart of expected failures per switch-year by mode; returns the Axes.

    Parameters
    ----------
    report : ReliabilityReport
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    ax.bar(
        [f"{m.name}\n({m.repair_action})" for m in report.modes],
        [m.failures_per_year for m in report.modes],
        color="C3",
    )
    style.label(
        ax,
        x="Failure mode",
        y="Failures per switch-year (1/year)",
        title=f"{report.switch_name}: {report.link_down_events_per_year:.3f} link-down events/year",
    )
    return ax


def failure_simulation(simulation, ax=None):
    """Histogram of link-down events per simulated switch over the horizon; returns the Axes.

    Parameters
    ----------
    simulation : FailureSimulation
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    total = simulation.counts.sum(axis=1)
    ax.hist(total, bins=np.arange(total.max() + 2) - 0.5, color="C0")
    style.label(
        ax,
        x=f"Link-down events in {simulation.years:g} years (count)",
        y="Switches (count)",
        title=simulation.switch_name,
    )
    return ax


def asic_load_step(result, ax=None):
    """Total heater power of the switch against time, W; returns the Axes.

    Parameters
    ----------
    result : AsicLoadStepResult
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    total = np.sum(result.locking.heater_power_w, axis=(0, 1))
    ax.plot(result.locking.time_s * 1e3, total, color="C1")
    ax.axvline(result.step.step_time_s * 1e3, color="0.5", lw=0.8, ls="--", label="ASIC load step")
    ax.legend(loc="best", fontsize="small", frameon=False)
    style.label(
        ax,
        x="Time (ms)",
        y="Total heater power (W)",
        title=f"{result.switch_name}: heaters {result.extra_heater_power_w:+.2f} W, "
        f"{result.lock_losses} lock losses",
    )
    return ax


def validation(table, ax=None):
    """Model over claim (1 = the claim's centre) for each compared row, with the band and
    tolerance as an error bar, rows calibrated on their claim hollow; returns the Axes.

    Parameters
    ----------
    table : ValidationTable
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax, figsize=(7.0, 4.5))
    rows = [r for r in table.rows if r.tolerance is not None]
    centre = np.array([(r.claim_low + r.claim_high) / 2 for r in rows])
    low = np.array([r.claim_low * (1 - r.tolerance) for r in rows]) / centre
    high = np.array([r.claim_high * (1 + r.tolerance) for r in rows]) / centre
    y = np.arange(len(rows))
    ax.errorbar(
        np.ones(len(rows)),
        y,
        xerr=[1 - low, high - 1],
        fmt="none",
        color="0.6",
        capsize=4,
        label="claim band ± tolerance",
    )
    ratio = np.array([r.model for r in rows]) / centre
    checked = np.array([not r.calibrated for r in rows])
    ax.plot(ratio[checked], y[checked], "o", color="C0", label="model (a check)")
    ax.plot(
        ratio[~checked],
        y[~checked],
        "o",
        mfc="none",
        color="C1",
        label="model (calibrated, not a check)",
    )
    ax.set_yticks(y, [r.quantity for r in rows], fontsize="small")
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    style.label(
        ax,
        x="Model / published claim (ratio)",
        y="",
        title=f"{table.cpo_name} vs {table.pluggable_name}",
    )
    return ax


def tornado(sensitivity, ax=None):
    """Tornado of a CPO-vs-pluggable ratio: one bar per uncertain input from the ratio with
    the input at the low end of its range to the high end, widest on top, around the nominal
    ratio (a vertical line); returns the Axes.

    Parameters
    ----------
    sensitivity : RatioSensitivity
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    table = sensitivity.to_dataframe().iloc[::-1]  # widest at the top
    ax = style.axes(ax, figsize=(7.5, 0.4 * len(table) + 1.5))
    y = np.arange(len(table))
    nominal = sensitivity.nominal
    for row, (_, item) in zip(y, table.iterrows(), strict=True):
        for ratio, colour, end in ((item.ratio_low, "C0", "low"), (item.ratio_high, "C3", "high")):
            ax.barh(
                row,
                ratio - nominal,
                left=nominal,
                color=colour,
                height=0.6,
                label=f"input at the {end} end of its range" if row == y[-1] else None,
            )
    ax.axvline(nominal, color="k", lw=1.0, label=f"nominal {nominal:.2f}")
    ax.set_yticks(y, table["input"], fontsize="small")
    ax.legend(
        frameon=False, fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3
    )
    style.label(
        ax,
        x=f"{sensitivity.quantity} (ratio)",
        y="",
        title="One input at a time over its range",
    )
    return ax


__all__ = [
    "asic_load_step",
    "assembly_yield",
    "failure_simulation",
    "power_breakdown",
    "power_comparison",
    "reliability",
    "tornado",
    "validation",
]
