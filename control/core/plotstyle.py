"""Plot style shared by every result's ``.plot(ax=None)`` in cposim (private home).

It lives in ``cposim.control`` (the lower layer) so that both packages use one copy:
``cposim.control`` must not import ``cposim.photonics``, and :mod:`cposim.control.core.plotstyle`
re-exports these helpers. Style: units in axis labels, a light grid (alpha 0.3), no top/right
spines, no offset tick labels. Plotting never computes physics; matplotlib is imported only when
something is drawn.
"""

from __future__ import annotations

import numpy as np

DB_FLOOR = -60.0
"""Lowest value, in dB, that :func:`to_db` returns (a perfect null would otherwise be -inf)."""


def axes(ax=None, *, figsize=(6.4, 4.0)):
    """Return ``ax``, or a new Axes on a new figure with cposim's style.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Existing Axes to draw into.
    figsize : tuple of float
        Size of a new figure in inches.
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def label(ax, *, x: str, y: str, title: str | None = None):
    """Set axis labels (with units), an optional title and a light grid.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes to label.
    x, y : str
        Axis labels, each with its unit in parentheses.
    title : str, optional
        Axes title.
    """
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if title:
        ax.set_title(title)
    for axis in (ax.xaxis, ax.yaxis):
        formatter = axis.get_major_formatter()
        if hasattr(formatter, "set_useOffset"):
            formatter.set_useOffset(False)  # "1304.3 nm", not "0.3 + 1.304e3"
    ax.grid(True, which="major", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


_UNIT_SYMBOLS = {
    "w": "W",
    "m": "m",
    "s": "s",
    "k": "K",
    "v": "V",
    "j": "J",
    "hz": "Hz",
    "db": "dB",
    "dbm": "dBm",
    "bps": "b/s",
}


def quantity_label(key: str) -> str:
    """Axis label for a field name with a unit suffix: ``"tuning.max_heater_power_w"`` →
    ``"max heater power (W)"``, ``"tuning_efficiency_m_per_w"`` → ``"tuning efficiency (m/W)"``.

    Parameters
    ----------
    key : str
        A field name, optionally dotted (only the last part is used).
    """
    words = key.rsplit(".", 1)[-1].split("_")
    start = len(words)
    while start > 1 and (words[start - 1] in _UNIT_SYMBOLS or words[start - 1] == "per"):
        start -= 1
    while start < len(words) and words[start] == "per":
        start += 1
    unit = "".join("/" if w == "per" else _UNIT_SYMBOLS[w] for w in words[start:])
    text = " ".join(words[:start])
    return f"{text} ({unit})" if unit else text


def to_db(linear, *, floor_db: float = DB_FLOOR):
    """``10·log10`` of a linear power ratio, clipped below at ``floor_db`` (dB).

    Parameters
    ----------
    linear : array_like
        Linear power ratio (≥ 0).
    floor_db : float
        Lowest value returned, in dB.
    """
    with np.errstate(divide="ignore"):
        return np.maximum(10.0 * np.log10(np.asarray(linear, dtype=np.float64)), floor_db)


__all__ = [
    "DB_FLOOR",
    "axes",
    "label",
    "quantity_label",
    "to_db",
]
