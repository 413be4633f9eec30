"""Plots of a variation calibration: measured against fitted semivariogram, measured against
simulated wafer map, and the map of residuals (field plus local) of one wafer.

Each function takes the :class:`~cposim.photonics.measure.calibration.VariationCalibration`
first and optional Axes, and returns the Axes; ``VariationCalibration.plot()`` calls them.
Lengths on the wafer are in mm, shifts in nm, semivariances in nm². matplotlib is imported only
when something is drawn.
"""

from __future__ import annotations

import numpy as np

from cposim.control.core import plotstyle as style

_MAX_HEXAGONS = 40  # most hexagons across the wafer in the wafer maps (assumption, legibility)
_COVERED = 97.0  # percentile of points whose nearest ring sizes the hexagons (assumption)
_MAP_PERCENTILES = (1.0, 99.0)  # colour range of the maps, so one outlier ring does not set it


def variogram(result, ax=None):
    """Measured semivariogram of each design (points) and the fitted model (line), nm² against
    ring separation in mm; returns the Axes.

    Parameters
    ----------
    result : VariationCalibration
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is made when omitted.
    """
    ax = style.axes(ax)
    for index, (label, measured) in enumerate(result.variograms.items()):
        colour = f"C{index}"
        edges = measured.bin_edges_m
        distance = np.geomspace(edges[0], edges[-1], 200)
        name = "" if len(result.variograms) == 1 else f" {label}"
        ax.plot(
            measured.distance_m * 1e3,
            measured.semivariance_m2 * 1e18,
            "o",
            color=colour,
            label=f"measured{name}",
        )
        ax.plot(
            distance * 1e3,
            result.model_semivariance_m2(distance, label) * 1e18,
            color=colour,
            label=f"fitted{name}",
        )
    _plain_log_axis(ax)
    ax.set_ylim(bottom=0.0)
    ax.legend(fontsize="small", loc="upper left")
    ax.text(
        0.98,
        0.04,
        _fitted_text(result),
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize="small",
        bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "0.8"},
    )
    return style.label(
        ax,
        x="Ring separation (mm)",
        y="Semivariance (nm²)",
        title="Within-wafer semivariogram of the resonance shift",
    )


def _plain_log_axis(ax):
    from matplotlib.ticker import FuncFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))


def _fitted_text(result) -> str:
    lines = []
    levels = (
        [result.resonance] if result.resonance is not None else [result.width, result.thickness]
    )
    for level in levels:
        lines.append(
            f"{level.parameter}: σ_field {level.field_sigma_m.value * 1e9:.3g} nm, "
            f"ℓ {level.correlation_length_m.value * 1e3:.3g} mm ({level.kernel}), "
            f"σ_local {level.local_sigma_m.value * 1e9:.3g} nm"
        )
    return "\n".join(lines)


def wafer_maps(result, axes=None, *, wafer: int = 0, design=None, rng=None):
    """Measured wafer map beside one simulated from the calibrated model: the mean resonance
    shift minus the wafer's mean in hexagons, nm, on one colour scale (the wafer means, lot
    plus wafer offset, are in the titles); returns the two Axes.

    The simulated wafer is drawn by :func:`cposim.photonics.fab.sampling.sample` from
    ``result.to_variation_model()`` on the default die layout of ``result.wafer``, its shift
    taken with the mapped design's sensitivities (first order).

    Parameters
    ----------
    result : VariationCalibration
        What to draw.
    axes : pair of matplotlib.axes.Axes, optional
        Axes to draw into; a new figure with two panels is made when omitted.
    wafer : int
        Position of the measured wafer in sorted (lot, wafer) order.
    design : hashable, optional
        Design to map; the only design when omitted.
    rng : int, numpy.random.Generator or None
        Seed of the simulated wafer.
    """
    from cposim.photonics.fab.sampling import sample
    from cposim.photonics.fab.wafer import WaferLayout

    label = result.design_label(design)
    rings = _wafer_rings(result, wafer, label)
    layout = WaferLayout(wafer=result.wafer)
    simulated = sample(result.to_variation_model(), layout, wafer_indices=1, rng=rng)
    a_w, a_t = result.sensitivities(label)
    shift = a_w * simulated.delta_width_m[0] + a_t * simulated.delta_thickness_m[0]
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(10.0, 4.4), layout="constrained")
    radius_mm = result.wafer.radius_m * 1e3
    extent = (-radius_mm, radius_mm, -radius_mm, radius_mm)
    measured = rings["resonance_shift_m"].to_numpy()
    panels = [
        (rings["x_m"].to_numpy(), rings["y_m"].to_numpy(), measured, "Measured"),
        (layout.ring_x_m.ravel(), layout.ring_y_m.ravel(), shift.ravel(), "Simulated"),
    ]
    gridsize = _gridsize(panels[0][0], panels[0][1], result.wafer.radius_m)
    meshes = []
    for ax, (x, y, value, what) in zip(axes, panels, strict=True):
        mean = float(value.mean())
        meshes.append(
            ax.hexbin(
                x * 1e3,
                y * 1e3,
                C=(value - mean) * 1e9,
                gridsize=gridsize,
                extent=extent,
                reduce_C_function=np.mean,
                cmap="coolwarm",
            )
        )
        _outline(ax, radius_mm)
        title = _wafer_title(rings, what) if what == "Measured" else "Simulated from the model"
        style.label(ax, x="x (mm)", y="y (mm)", title=f"{title} (mean {mean * 1e9:+.2f} nm)")
    values = np.concatenate([np.ma.compressed(mesh.get_array()) for mesh in meshes])
    limit = float(np.percentile(np.abs(values), _MAP_PERCENTILES[1])) or 1.0
    for mesh in meshes:
        mesh.set_clim(-limit, limit)
    axes[0].figure.colorbar(meshes[0], ax=list(axes), label="Shift minus wafer mean (nm)")
    return axes


def residual_map(result, ax=None, *, wafer: int = 0, design=None):
    """Residual of every ring of one wafer (shift minus wafer mean and profile: field plus
    local), nm, at its position in mm; returns the Axes.

    Parameters
    ----------
    result : VariationCalibration
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is made when omitted.
    wafer : int
        Position of the wafer in sorted (lot, wafer) order.
    design : hashable, optional
        Design to map; the only design when omitted.
    """
    rings = _wafer_rings(result, wafer, result.design_label(design))
    residual_nm = rings["residual_m"].to_numpy() * 1e9
    limit = float(np.percentile(np.abs(residual_nm), _MAP_PERCENTILES[1])) or 1.0
    ax = style.axes(ax, figsize=(5.6, 4.6))
    points = ax.scatter(
        rings["x_m"].to_numpy() * 1e3,
        rings["y_m"].to_numpy() * 1e3,
        c=residual_nm,
        cmap="coolwarm",
        vmin=-limit,
        vmax=limit,
        s=max(1.0, min(20.0, 2e4 / len(rings))),
        linewidths=0,
    )
    ax.figure.colorbar(points, ax=ax, label="Residual shift: field + local (nm)")
    _outline(ax, result.wafer.radius_m * 1e3)
    return style.label(ax, x="x (mm)", y="y (mm)", title=_wafer_title(rings, "Residuals"))


def _gridsize(x_m, y_m, radius_m: float) -> int:
    """Hexagons across the wafer (≤ ``_MAX_HEXAGONS``) large enough that most hold a ring.

    A hexagon whose inscribed radius is at least the distance from a point to its nearest
    ring holds that ring; the distance is taken at the ``_COVERED`` percentile over a grid of
    points inside the rings' radius, so that fraction of hexagons is filled.
    """
    from scipy.spatial import cKDTree

    reach = float(np.hypot(x_m, y_m).max())
    axis = np.linspace(-reach, reach, 101)
    gx, gy = (g.ravel() for g in np.meshgrid(axis, axis))
    inside = np.hypot(gx, gy) <= reach
    distance = cKDTree(np.column_stack([x_m, y_m])).query(
        np.column_stack([gx[inside], gy[inside]])
    )[0]
    inscribed = float(np.percentile(distance, _COVERED))
    if inscribed == 0.0:
        return _MAX_HEXAGONS
    return int(np.clip(radius_m / inscribed, 4, _MAX_HEXAGONS))


def _wafer_rings(result, wafer: int, label):
    rings = result.rings
    n_wafers = int(rings["wafer_index"].max()) + 1
    if not 0 <= wafer < n_wafers:
        raise ValueError(f"wafer = {wafer!r} is out of range: must be >= 0 and < {n_wafers}")
    selected = rings[(rings["wafer_index"] == wafer) & (rings["design"] == label)]
    if selected.empty:
        raise ValueError(f"design {label!r} has no rings on wafer {wafer}")
    return selected


def _wafer_title(rings, what: str) -> str:
    first = rings.iloc[0]
    return f"{what}: lot {first['lot']}, wafer {first['wafer']}"


def _outline(ax, radius_mm: float):
    from matplotlib.patches import Circle

    ax.add_patch(Circle((0.0, 0.0), radius_mm, fill=False, color="0.4", linewidth=0.8))
    limit = radius_mm * 1.05
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")


__all__ = [
    "residual_map",
    "variogram",
    "wafer_maps",
]
