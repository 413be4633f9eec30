"""Shared plotting style for every result's ``.plot(ax=None)``.

The helpers live in :mod:`cposim.control._plot` (the lower layer, so ``cposim.control`` can use
them without importing ``cposim.photonics``) and are re-exported here for photonics results.
"""

from cposim.control._plot import DB_FLOOR, axes, label, quantity_label, to_db

__all__ = ["DB_FLOOR", "axes", "label", "quantity_label", "to_db"]
