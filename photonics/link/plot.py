"""Plots of link results: bank spectra, the budget waterfall, lane margins and lane power.

Each function takes the result object first and an optional Axes, and returns the Axes; the
results' ``.plot()`` methods call them. Plotting never computes physics; matplotlib is imported
only when something is drawn.
"""

from __future__ import annotations

import numpy as np

from cposim.control.core import plotstyle as style


def bank_spectrum(spectrum, ax=None):
    """Spectra in dB against wavelength in nm, channels marked; returns the Axes.

    Parameters
    ----------
    spectrum : BankSpectrum
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    nm = spectrum.wavelength_m * 1e9
    ax.plot(nm, style.to_db(spectrum.through), color="k", linewidth=1.0, label="bus through")
    if spectrum.drop is not None:
        for i, d in enumerate(spectrum.drop):
            ax.plot(nm, style.to_db(d), color=f"C{i % 10}", linewidth=1.0)
    for lam in spectrum.channel_wavelength_m:
        ax.axvline(lam * 1e9, color="0.6", linestyle=":", linewidth=0.8)
    style.label(ax, x="Wavelength (nm)", y="Transmission (dB)", title="WDM bank")
    ax.legend(loc="lower left", fontsize="small")
    return ax


def waterfall(budget, ax=None, *, channel: int | None = None):
    """Waterfall of one channel (default the worst) from laser power to margin.

    Parameters
    ----------
    budget : LinkBudget
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    channel : int, optional
        Channel index; default :attr:`worst_channel`.
    """
    ax = style.axes(ax, figsize=(9.0, 4.5))
    ch = budget.worst_channel if channel is None else int(channel)
    values = budget.values_db[:, ch]
    level = values[0]
    labels, lows, highs, colours = [], [], [], []
    floor = None
    for item, kind, value in zip(budget.items, budget.kinds, values, strict=True):
        if kind in ("loss", "penalty"):
            shown = value if np.isfinite(value) else 0.0
            labels.append(item)
            lows.append(level - shown)
            highs.append(level)
            colours.append("C3" if kind == "loss" else "C1")
            level -= shown
        elif kind in ("start", "subtotal"):
            labels.append(item)
            floor = value if floor is None else floor
            lows.append(np.nan)
            highs.append(value)
            colours.append("C0")
            level = value
    # The DR4 specification is a received-OMA sensitivity, so it is drawn across a column
    # of its own, the received OMA (before penalties), not across the whole budget.
    received = budget.value("received OMA")[ch]
    labels.append("received OMA (vs DR4 spec)")
    lows.append(np.nan)
    highs.append(received)
    colours.append("C2")
    x = np.arange(len(labels))
    finite = np.array([v for v in lows + highs if np.isfinite(v)])
    sensitivity = budget.value("receiver sensitivity (thermal-noise OMA)")[ch]
    spec = budget.value("specification sensitivity (DR4 OMA)")[ch]
    bottom = min(finite.min(), sensitivity, spec) - 2.0
    lows = [bottom if np.isnan(lo) else lo for lo in lows]
    ax.bar(x, np.array(highs) - np.array(lows), bottom=lows, color=colours, width=0.7)
    ax.axhline(
        sensitivity,
        color="k",
        linewidth=1.0,
        label=f"sensitivity {sensitivity:.1f} dBm (vs effective OMA)",
    )
    ax.hlines(
        spec,
        x[-1] - 0.5,
        x[-1] + 0.5,
        color="k",
        linestyle="--",
        linewidth=1.5,
        label=f"DR4 spec {spec:.1f} dBm (vs received OMA)",
    )
    ax.set_xticks(x, labels, rotation=60, ha="right", fontsize="small")
    ax.set_ylim(bottom, max(highs) + 1.5)  # room above the laser bar
    style.label(
        ax,
        x="Budget line",
        y="Power (dBm)",
        title=f"Channel {ch}: margin {budget.margin_db[ch]:.2f} dB, BER {budget.ber[ch]:.2e}",
    )
    ax.legend(loc="upper right", fontsize="small")
    return ax


def lane_margins(lanes, ax=None, *, bins: int = 60):
    """Histogram of the lane margins (closed eyes counted at the left edge); returns Axes.

    Parameters
    ----------
    lanes : LaneBudget
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    bins : int
        Number of histogram bins.
    """
    ax = style.axes(ax)
    margin = lanes.margin_db.ravel()
    finite = margin[np.isfinite(margin)]
    low = min(finite.min(), 0.0) if finite.size else -1.0
    ax.hist(np.where(np.isfinite(margin), margin, low), bins=bins, color="C0")
    ax.axvline(0.0, color="C3", linestyle="--", linewidth=1.0)
    style.label(
        ax,
        x="Margin to target BER (dB)",
        y="Lanes",
        title=f"{lanes.passed.mean():.1%} of {margin.size} lanes pass",
    )
    return ax


def lane_power(power, ax=None):
    """Bar chart of energy per bit by component in pJ/bit; returns the Axes.

    Parameters
    ----------
    power : LanePower
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    table = power.to_dataframe()
    ax.bar(table["component"], table["energy_per_bit_j"] * 1e12, color="C0")
    style.label(
        ax,
        x="Component",
        y="Energy (pJ/bit)",
        title=f"{float(np.mean(power.energy_per_bit_j)) * 1e12:.2f} pJ/bit per lane",
    )
    return ax


__all__ = [
    "bank_spectrum",
    "lane_margins",
    "lane_power",
    "waterfall",
]
