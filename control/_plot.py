"""Plot style for ``cposim.control`` results (private).

``cposim.control`` must not import ``cposim.photonics``, so this mirrors the shared style of
``cposim.photonics.plot``: units in axis labels, a light grid (alpha 0.3), no top/right spines.
matplotlib is imported only when something is drawn.
"""

from __future__ import annotations


def axes(ax=None, *, figsize=(6.4, 4.0)):
    """Return ``ax``, or a new Axes on a new figure.

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
    """Set axis labels (with units), an optional title, a light grid; hide top/right spines.

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
    ax.grid(True, which="major", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return ax
