"""gdsfactory in: rings from component settings, die layouts from placements, thermal
crosstalk from ring positions (gdsfactory itself is not imported).

- :func:`ring_from_settings` turns the settings of gdsfactory's ``ring_single`` or
  ``ring_double`` (``component.settings``, or the dict itself: ``radius``, ``gap``,
  ``length_x`` in µm, gdsfactory's unit) into a cposim :class:`~cposim.photonics.devices.ring.Ring`,
  with κ² from the gap through the
  :class:`~cposim.photonics.devices.coupler.EvanescentCoupler` (a point-coupler model: a
  racetrack's ``length_x`` lengthens the round trip but does not raise κ²; calibrate the
  coupler's reference point to the racetrack if it matters).
- :func:`layout_from_placements` reads ring centres (µm) from a CSV placement list or from a
  gdsfactory netlist's ``placements`` into a :class:`~cposim.photonics.fab.wafer.DieLayout`;
  :func:`write_placements` writes one.
- :func:`crosstalk_from_positions` builds a thermal crosstalk matrix from those positions.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np

from cposim.control.core.validation import check_range
from cposim.photonics.devices.coupler import EvanescentCoupler
from cposim.photonics.devices.ring import Ring
from cposim.photonics.fab.wafer import DieLayout

RING_COMPONENTS = ("ring_single", "ring_double")
"""gdsfactory component names read as rings (all-pass and add-drop)."""

_UM = 1e-6


def ring_from_settings(
    settings, *, component: str = "ring_double", coupler=None, ring=None, width_m=None
) -> Ring:
    """A cposim ring from gdsfactory ring settings.

    Parameters
    ----------
    settings : dict or object with ``.settings``
        ``radius`` (µm, required), ``gap`` (µm, required), optional ``gap_top`` (µm, the drop
        coupler of ``ring_double``; default ``gap``) and ``length_x`` (µm, the straight
        coupler length of a racetrack; default 0).
    component : {"ring_single", "ring_double"}
        All-pass or add-drop ring (``component.name`` is not parsed: say which).
    coupler : EvanescentCoupler, optional
        Gap → κ² model; the default coupler when omitted.
    ring : Ring, optional
        Waveguide, index and loss to keep (the default ring when omitted); radius, couplings and
        straight length are replaced.
    width_m : float, optional
        Waveguide width in metres for the coupler model (gdsfactory names a cross-section, not
        a width); the coupler's reference width when omitted.
    """
    values = dict(getattr(settings, "settings", settings))
    if component not in RING_COMPONENTS:
        raise ValueError(f"component = {component!r} must be one of {', '.join(RING_COMPONENTS)}")
    for key in ("radius", "gap"):
        if key not in values:
            raise ValueError(f"settings lack {key!r} (µm); got keys {', '.join(sorted(values))}")
    coupler = coupler or EvanescentCoupler()
    ring = ring or Ring()
    gap_m = float(check_range("gap", values["gap"], low=0.0, low_inclusive=False)) * _UM
    drop_gap_m = float(values.get("gap_top", values["gap"])) * _UM
    kappa_in = float(coupler.power_coupling(gap_m, width_m))
    kappa_drop = (
        0.0 if component == "ring_single" else float(coupler.power_coupling(drop_gap_m, width_m))
    )
    return dataclasses.replace(
        ring,
        radius_m=float(values["radius"]) * _UM,
        power_coupling_in=kappa_in,
        power_coupling_drop=kappa_drop,
        straight_length_m=float(values.get("length_x", 0.0)) * _UM,
    )


def _rows_from_netlist(netlist: dict) -> list[dict]:
    instances = netlist.get("instances", {})
    rows = []
    for name, placement in netlist.get("placements", {}).items():
        component = instances.get(name, {}).get("component", "")
        if component in RING_COMPONENTS:
            rows.append({"name": name, "x": placement["x"], "y": placement["y"]})
    return rows


def layout_from_placements(source, *, width_m: float, height_m: float, origin_um=(0.0, 0.0)):
    """A die layout from ring placements.

    Parameters
    ----------
    source : str or pathlib.Path or dict
        A CSV file with columns ``x`` and ``y`` (ring centres, µm) and optional ``engine``,
        ``bank`` and ``ring`` (labels; default one bank, rings in file order), or a gdsfactory
        netlist dict whose ``placements`` of ``ring_single`` / ``ring_double`` instances are
        taken (instances sorted by name).
    width_m, height_m : float
        Die size, metres.
    origin_um : tuple of float
        Position (µm) of the die's lower-left corner in the placement coordinates.
    """
    if isinstance(source, dict):
        rows = sorted(_rows_from_netlist(source), key=lambda r: r["name"])
        where = "the netlist"
    else:
        with open(Path(source), newline="", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
        where = str(source)
    if not rows:
        raise ValueError(f"{where} holds no ring placements")
    for column in ("x", "y"):
        if column not in rows[0]:
            raise ValueError(f"{where} lacks column {column!r} (ring centre, µm)")
    x = (np.array([float(r["x"]) for r in rows]) - origin_um[0]) * _UM
    y = (np.array([float(r["y"]) for r in rows]) - origin_um[1]) * _UM
    n = len(rows)

    def labels(name, default):
        if name in rows[0]:
            return np.array([int(r[name]) for r in rows])
        return default

    return DieLayout(
        width_m=width_m,
        height_m=height_m,
        ring_x_m=x,
        ring_y_m=y,
        engine=labels("engine", np.zeros(n, dtype=np.int64)),
        bank=labels("bank", np.zeros(n, dtype=np.int64)),
        ring=labels("ring", np.arange(n)),
    )


def write_placements(layout: DieLayout, path) -> Path:
    """Write a die layout's rings as a CSV placement list (µm; columns ``name``, ``x``, ``y``,
    ``engine``, ``bank``, ``ring``); returns the path.

    Parameters
    ----------
    layout : DieLayout
        The die.
    path : str or pathlib.Path
        The CSV file to write.
    """
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["name", "x", "y", "engine", "bank", "ring"])
        for k in range(layout.ring_x_m.size):
            writer.writerow(
                [
                    f"ring{k}",
                    repr(float(layout.ring_x_m[k] / _UM)),
                    repr(float(layout.ring_y_m[k] / _UM)),
                    int(layout.engine[k]),
                    int(layout.bank[k]),
                    int(layout.ring[k]),
                ]
            )
    return path


def crosstalk_from_positions(x_m, y_m, *, neighbour_crosstalk: float, pitch_m: float):
    """Thermal crosstalk matrix from ring positions: ``X_ij = c^(d_ij / p)``.

    A heater's temperature rise at distance ``d`` is taken to fall exponentially, pinned to the
    crosstalk ``c`` measured (or assumed) between neighbours at pitch ``p`` (an assumption: the
    lateral heat spread of a buried heater is close to exponential over a few pitches;
    calibrate ``c`` and ``p`` to a measured pair). The diagonal is 1.

    Parameters
    ----------
    x_m, y_m : array_like
        Ring centres, metres (1-D, equal length).
    neighbour_crosstalk : float
        Crosstalk between rings ``pitch_m`` apart (fraction, 0 ≤ c < 1).
    pitch_m : float
        The distance at which ``neighbour_crosstalk`` holds, metres (> 0).
    """
    x = np.asarray(x_m, dtype=np.float64)
    y = np.asarray(y_m, dtype=np.float64)
    c = float(
        check_range(
            "neighbour_crosstalk", neighbour_crosstalk, low=0.0, high=1.0, high_inclusive=False
        )
    )
    pitch = float(check_range("pitch_m", pitch_m, low=0.0, low_inclusive=False))
    distance = np.hypot(np.subtract.outer(x, x), np.subtract.outer(y, y))
    if c == 0.0:
        return np.eye(x.size)
    return np.exp(np.log(c) * distance / pitch)


__all__ = [
    "RING_COMPONENTS",
    "crosstalk_from_positions",
    "layout_from_placements",
    "ring_from_settings",
    "write_placements",
]
