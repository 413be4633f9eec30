"""Plots of device results: a ring's spectrum, a modulator's levels, self-heating steady states.

Each function takes the result object first and an optional Axes, and returns the Axes; the
results' ``.plot()`` methods call them. Plotting never computes physics; matplotlib is imported
only when something is drawn.
"""

from __future__ import annotations

import numpy as np

from cposim.control.core import plotstyle as style


def ring_spectrum(spectrum, ax=None, *, max_rings: int = 12, db: bool = True, labels=None):
    """Plot the spectra against wavelength in nm; returns the matplotlib Axes.

    Parameters
    ----------
    spectrum : RingSpectrum
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is made when omitted.
    max_rings : int
        At most this many rings are drawn (the first ones in flat order), a count.
    db : bool
        Whether to plot in dB (floor -60 dB) or as linear transmission.
    labels : sequence of str, optional
        Legend name of each drawn ring (default ``"ring 0"``, ``"ring 1"``, …).
    """
    ax = style.axes(ax)
    through = spectrum.through.reshape(-1, spectrum.wavelength_m.size)[:max_rings]
    drop = spectrum.drop.reshape(-1, spectrum.wavelength_m.size)[:max_rings]
    scale = style.to_db if db else np.asarray
    names = list(labels) if labels is not None else [f"ring {i}" for i in range(len(through))]
    wavelength_nm = spectrum.wavelength_m * 1e9
    single = through.shape[0] == 1
    for index, (t, d) in enumerate(zip(through, drop, strict=True)):
        # One ring: a colour per port. Several rings: a colour per ring, a line style per port.
        through_colour = "C0" if single else f"C{index % 10}"
        prefix = "" if single else f"{names[index]} "
        ax.plot(wavelength_nm, scale(t), color=through_colour, label=f"{prefix}through")
        if not spectrum.all_pass:
            ax.plot(
                wavelength_nm,
                scale(d),
                color="C1" if single else through_colour,
                linestyle="-" if single else "--",
                label=f"{prefix}drop",
            )
    style.label(
        ax,
        x="Wavelength (nm)",
        y="Transmission (dB)" if db else "Transmission (linear)",
        title="Microring spectrum",
    )
    if through.shape[0] <= 6:
        ax.legend(loc="lower left", fontsize="small")
    return ax


def modulator_levels(levels, ax=None):
    """Transmission of each level against its drive voltage; returns the Axes.

    Parameters
    ----------
    levels : ModulatorLevels
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    ax.plot(levels.voltages_v, levels.transmissions, "o-")
    for level, (v, t) in enumerate(zip(levels.voltages_v, levels.transmissions, strict=True)):
        ax.annotate(f"L{level}", (v, t), textcoords="offset points", xytext=(4, 4))
    style.label(
        ax,
        x="Reverse bias (V)",
        y="Transmission (linear)",
        title=f"{levels.modulation.upper()} levels: ER {levels.extinction_ratio_db:.2f} "
        f"dB, IL {levels.insertion_loss_db:.2f} dB",
    )
    return ax


def self_heating(sweep, ax=None):
    """Transmission against laser detuning, stable states solid, unstable dotted.

    Parameters
    ----------
    sweep : SelfHeatingSweep
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    x = np.repeat(sweep.laser_detuning_m[:, None] * 1e12, 3, axis=1)
    for stable, marker, name in ((True, ".", "stable"), (False, "x", "unstable")):
        mask = (sweep.stable == stable) & ~np.isnan(sweep.transmission)
        ax.plot(x[mask], style.to_db(sweep.transmission[mask]), marker, markersize=3, label=name)
    style.label(
        ax,
        x="Cold resonance − laser (pm)",
        y="Transmission (dB)",
        title=f"Self-heating at {sweep.input_power_w * 1e3:.2f} mW "
        f"(threshold {sweep.threshold_w * 1e3:.2f} mW)",
    )
    ax.legend(loc="lower left", fontsize="small")
    return ax


__all__ = [
    "modulator_levels",
    "ring_spectrum",
    "self_heating",
]
