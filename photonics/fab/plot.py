"""Plots of fabrication results: the wafer layout, wafer and die maps of a variation sample, its
histograms by level, and the variogram.

Each function takes the result object first and an optional Axes, and returns the Axes; the
results' ``.plot()`` methods call them. Plotting never computes physics; matplotlib is imported
only when something is drawn.
"""

from __future__ import annotations

import numpy as np

from cposim.control.core import plotstyle as style
from cposim.control.core.validation import check_choice
from cposim.photonics.fab.variation import LEVELS


def wafer_layout(layout, ax=None):
    """Draw the wafer outline, the edge exclusion and the dies (mm); returns the Axes.

    Parameters
    ----------
    layout : WaferLayout
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is made when omitted.
    """
    from matplotlib.patches import Circle, Rectangle

    ax = style.axes(ax, figsize=(5.0, 5.0))
    ax.add_patch(Circle((0.0, 0.0), layout.wafer.radius_m * 1e3, fill=False, color="k"))
    ax.add_patch(
        Circle(
            (0.0, 0.0),
            layout.wafer.usable_radius_m * 1e3,
            fill=False,
            color="0.5",
            linestyle="--",
        )
    )
    for x, y in zip(layout.die_x_m, layout.die_y_m, strict=True):
        ax.add_patch(
            Rectangle(
                (x * 1e3, y * 1e3),
                layout.die.width_m * 1e3,
                layout.die.height_m * 1e3,
                fill=False,
                linewidth=0.4,
            )
        )
    limit = layout.wafer.radius_m * 1e3 * 1.05
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    return style.label(
        ax, x="x (mm)", y="y (mm)", title=f"{layout.n_dies} dies of {layout.die.n_rings} rings"
    )


def wafer_map(sample, ax=None, *, wafer: int = 0):
    """Wafer map of the die-mean resonance shift (nm); returns the Axes.

    Parameters
    ----------
    sample : VariationSample
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is made when omitted.
    wafer : int
        Position along the first axis (not the wafer index) of the wafer to draw.
    """
    layout = sample.layout
    die_mean_nm = sample.resonance_shift_m[wafer].mean(axis=1) * 1e9
    image = np.full((layout.die_row.max() + 1, layout.die_column.max() + 1), np.nan)
    image[layout.die_row, layout.die_column] = die_mean_nm
    x_edges = (layout.die_x_m.min() + np.arange(image.shape[1] + 1) * layout.pitch_x_m) * 1e3
    y_edges = (layout.die_y_m.min() + np.arange(image.shape[0] + 1) * layout.pitch_y_m) * 1e3
    ax = style.axes(ax, figsize=(5.6, 4.6))
    mesh = ax.pcolormesh(x_edges, y_edges, image, cmap="coolwarm")
    ax.figure.colorbar(mesh, ax=ax, label="Die-mean resonance shift (nm)")
    ax.set_aspect("equal")
    return style.label(
        ax,
        x="x (mm)",
        y="y (mm)",
        title=f"Wafer {sample.wafer_index[wafer]}: resonance shift per die",
    )


def die_map(sample, ax=None, *, wafer: int = 0, die: int | None = None):
    """Within-die map: each ring at its position coloured by its resonance shift (nm).

    Parameters
    ----------
    sample : VariationSample
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is made when omitted.
    wafer : int
        Position along the first axis of the wafer to draw.
    die : int, optional
        Die number; the die nearest the wafer centre when omitted.
    """
    layout = sample.layout
    if die is None:
        die = int(np.argmin(np.hypot(layout.die_centre_x_m, layout.die_centre_y_m)))
    ax = style.axes(ax, figsize=(5.6, 4.6))
    points = ax.scatter(
        layout.die.ring_x_m * 1e3,
        layout.die.ring_y_m * 1e3,
        c=sample.resonance_shift_m[wafer, die] * 1e9,
        cmap="coolwarm",
        s=12,
    )
    ax.figure.colorbar(points, ax=ax, label="Resonance shift (nm)")
    ax.set_xlim(0.0, layout.die.width_m * 1e3)
    ax.set_ylim(0.0, layout.die.height_m * 1e3)
    ax.set_aspect("equal")
    return style.label(
        ax,
        x="x in die (mm)",
        y="y in die (mm)",
        title=f"Wafer {sample.wafer_index[wafer]}, die {die}",
    )


def histograms(sample, ax=None, *, by: str = "level", bins: int = 80):
    """Histograms of the first-order resonance-shift contributions, in nm.

    ``by="level"`` (needs ``keep_levels=True``) splits ``a_w·Δw + a_t·Δt`` by lot, wafer,
    systematic, field and local level; ``by="parameter"`` shows ``a_w·Δw``, ``a_t·Δt`` and
    the total shift. Returns the Axes.

    Parameters
    ----------
    sample : VariationSample
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is made when omitted.
    by : {"level", "parameter"}
        How to split.
    bins : int
        Number of histogram bins.
    """
    check_choice("by", by, ("level", "parameter"))
    a_w, a_t = sample.model.dlambda_dwidth, sample.model.dlambda_dthickness
    if by == "level":
        if sample.levels is None:
            raise ValueError("by='level' needs a sample drawn with keep_levels=True")
        parts = {
            name: a_w * sample.levels[name][0] + a_t * sample.levels[name][1] for name in LEVELS
        }
    else:
        parts = {
            "width (a_w·Δw)": a_w * sample.delta_width_m,
            "thickness (a_t·Δt)": a_t * sample.delta_thickness_m,
            "total shift": sample.resonance_shift_m,
        }
    ax = style.axes(ax)
    values = {name: part.ravel() * 1e9 for name, part in parts.items()}
    spread = max(float(np.ptp(v)) for v in values.values()) or 1.0
    centre = np.mean([v.mean() for v in values.values()])
    edges = np.linspace(centre - 0.55 * spread, centre + 0.55 * spread, bins + 1)
    for index, (name, value) in enumerate(values.items()):
        if np.ptp(value) > 0:
            ax.hist(value, bins=edges, histtype="step", density=True, label=name, color=f"C{index}")
        else:  # e.g. the lot offset of wafers from a single lot
            ax.axvline(value[0], color=f"C{index}", linestyle=":", label=f"{name} (constant)")
    ax.legend(fontsize="small")
    return style.label(
        ax,
        x="Resonance-shift contribution (nm)",
        y="Probability density (1/nm)",
        title=f"Resonance shift by {by}",
    )


def variogram(variogram, ax=None):
    """Empirical points and model curve, semivariance in nm² against distance in mm.

    Parameters
    ----------
    variogram : Variogram
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is made when omitted.
    """
    ax = style.axes(ax)
    ax.plot(
        variogram.model_distance_m * 1e3,
        variogram.model_semivariance_m2 * 1e18,
        color="k",
        label="model",
    )
    ax.plot(
        variogram.distance_m * 1e3,
        variogram.semivariance_m2 * 1e18,
        "o",
        color="C1",
        label="sampled",
    )
    ax.set_xscale("log")
    ax.legend(fontsize="small")
    return style.label(
        ax,
        x="Ring separation (mm)",
        y="Semivariance (nm²)",
        title=f"Variogram of {variogram.parameter}",
    )


__all__ = [
    "die_map",
    "histograms",
    "variogram",
    "wafer_layout",
    "wafer_map",
]
