"""Wafer, die grid and in-die ring layout: where every ring sits, in metres.

Coordinates
-----------
- Wafer coordinates ``(x, y)`` have their origin at the wafer centre, in metres.
- In-die coordinates have their origin at the die's lower-left corner, in metres, with
  ``0 <= x <= width_m`` and ``0 <= y <= height_m``.
- Dies sit on a rectangular grid of pitch ``die width + street``; a die is kept when all four of
  its corners lie inside the usable radius ``diameter/2 - edge_exclusion``. Dies are numbered
  row by row from the bottom-left (``die_row``, ``die_column`` give the grid position).

The ring layout of a die is arbitrary (any positions); :meth:`DieLayout.ring_banks` builds the
usual optical-engine arrangement: engines on a grid, each carrying banks of equally spaced rings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from cposim.control.core.validation import check_integer, check_range


@dataclass(frozen=True, kw_only=True)
class Wafer:
    """A round wafer with an edge exclusion ring.

    Parameters
    ----------
    diameter_m : float
        Wafer diameter in metres (> 0, ≤ 1). Default 0.300, the 300 mm wafers that current
        silicon-photonics foundries (and TSMC COUPE) run on.
    edge_exclusion_m : float
        Width of the unusable rim, metres (≥ 0, < radius). Default 3e-3: an *assumption*,
        the common 2–3 mm edge exclusion of 300 mm process specifications.
    """

    diameter_m: float = 0.300
    edge_exclusion_m: float = 3e-3

    def __post_init__(self):
        check_range("diameter_m", self.diameter_m, low=0.0, high=1.0, low_inclusive=False)
        check_range(
            "edge_exclusion_m",
            self.edge_exclusion_m,
            low=0.0,
            high=self.diameter_m / 2.0,
            high_inclusive=False,
        )

    @property
    def radius_m(self) -> float:
        """Wafer radius in metres."""
        return self.diameter_m / 2.0

    @property
    def usable_radius_m(self) -> float:
        """Radius inside the edge exclusion, metres."""
        return self.radius_m - self.edge_exclusion_m


@dataclass(frozen=True, kw_only=True, eq=False)
class DieLayout:
    """Rings placed in one die: positions in metres from the die's lower-left corner.

    Build the usual engine/bank arrangement with :meth:`ring_banks`; any other layout can be
    given ring by ring.

    Parameters
    ----------
    width_m, height_m : float
        Die size in metres (> 0, ≤ 0.3).
    ring_x_m, ring_y_m : array_like, shape (n_rings,)
        Ring centres in metres from the die's lower-left corner; every ring must lie inside the
        die (``0 <= x <= width_m``, ``0 <= y <= height_m``).
    engine, bank, ring : array_like of int, shape (n_rings,)
        Labels of each ring: optical engine, bank within the die (numbered across the whole
        die) and position within its bank (all ≥ 0).
    """

    width_m: float
    height_m: float
    ring_x_m: np.ndarray
    ring_y_m: np.ndarray
    engine: np.ndarray
    bank: np.ndarray
    ring: np.ndarray

    def __post_init__(self):
        check_range("width_m", self.width_m, low=0.0, high=0.3, low_inclusive=False)
        check_range("height_m", self.height_m, low=0.0, high=0.3, low_inclusive=False)
        x = check_range("ring_x_m", self.ring_x_m, low=0.0, high=self.width_m)
        y = check_range("ring_y_m", self.ring_y_m, low=0.0, high=self.height_m)
        if x.ndim != 1 or x.size == 0 or y.shape != x.shape:
            raise ValueError(
                f"ring_x_m and ring_y_m must be non-empty 1-D arrays of equal length; got shapes "
                f"{x.shape} and {y.shape}"
            )
        object.__setattr__(self, "ring_x_m", x)
        object.__setattr__(self, "ring_y_m", y)
        for name in ("engine", "bank", "ring"):
            labels = check_range(name, getattr(self, name), low=0.0)
            if labels.shape != x.shape or np.any(labels != np.round(labels)):
                raise ValueError(
                    f"{name} must hold one whole number >= 0 per ring ({x.size} rings); got "
                    f"shape {labels.shape}"
                )
            object.__setattr__(self, name, labels.astype(np.int64))

    @classmethod
    def ring_banks(
        cls,
        *,
        width_m: float = 6e-3,
        height_m: float = 6e-3,
        engines_x: int = 2,
        engines_y: int = 2,
        banks_per_engine: int = 2,
        rings_per_bank: int = 16,
        ring_pitch_m: float = 25e-6,
        bank_pitch_m: float = 250e-6,
        engine_pitch_x_m: float = 3e-3,
        engine_pitch_y_m: float = 3e-3,
    ) -> DieLayout:
        """Engines on a grid centred in the die, each with banks of equally spaced rings.

        Rings of a bank lie along x at ``ring_pitch_m``; the banks of an engine are stacked
        along y at ``bank_pitch_m``; engines repeat at ``engine_pitch_x_m``/``engine_pitch_y_m``.
        The defaults (an *assumption* standing for a CPO photonic die: 4 engines × 2 banks ×
        16 rings = 128 rings, e.g. a transmit and a receive bank per engine, 16 λ per bank) give
        a 6 mm × 6 mm die; a 3.6 µm-radius ring with its heater and contacts fits in 25 µm.

        Parameters
        ----------
        width_m, height_m : float
            Die size in metres.
        engines_x, engines_y : int
            Number of optical engines along x and y (≥ 1).
        banks_per_engine : int
            Ring banks per engine (≥ 1).
        rings_per_bank : int
            Rings per bank (≥ 1), typically 8 or 16 (one per WDM wavelength).
        ring_pitch_m : float
            Centre-to-centre ring spacing within a bank, metres (> 0).
        bank_pitch_m : float
            Spacing between the banks of one engine, metres (> 0).
        engine_pitch_x_m, engine_pitch_y_m : float
            Spacing between engines along x and y, metres (> 0).
        """
        counts = {
            "engines_x": engines_x,
            "engines_y": engines_y,
            "banks_per_engine": banks_per_engine,
            "rings_per_bank": rings_per_bank,
        }
        for name, value in counts.items():
            check_integer(name, value, low=1)
        for name, value in (
            ("ring_pitch_m", ring_pitch_m),
            ("bank_pitch_m", bank_pitch_m),
            ("engine_pitch_x_m", engine_pitch_x_m),
            ("engine_pitch_y_m", engine_pitch_y_m),
        ):
            check_range(name, value, low=0.0, high=0.3, low_inclusive=False)
        ring_offset = (np.arange(rings_per_bank) - (rings_per_bank - 1) / 2.0) * ring_pitch_m
        bank_offset = (np.arange(banks_per_engine) - (banks_per_engine - 1) / 2.0) * bank_pitch_m
        engine_x = (np.arange(engines_x) - (engines_x - 1) / 2.0) * engine_pitch_x_m
        engine_y = (np.arange(engines_y) - (engines_y - 1) / 2.0) * engine_pitch_y_m
        # Index order: engine (row-major over the engine grid), then bank, then ring.
        ey, ex, b, r = np.meshgrid(
            np.arange(engines_y),
            np.arange(engines_x),
            np.arange(banks_per_engine),
            np.arange(rings_per_bank),
            indexing="ij",
        )
        return cls(
            width_m=width_m,
            height_m=height_m,
            ring_x_m=(width_m / 2.0 + engine_x[ex] + ring_offset[r]).ravel(),
            ring_y_m=(height_m / 2.0 + engine_y[ey] + bank_offset[b]).ravel(),
            engine=(ey * engines_x + ex).ravel(),
            bank=((ey * engines_x + ex) * banks_per_engine + b).ravel(),
            ring=r.ravel(),
        )

    @property
    def n_rings(self) -> int:
        """Number of rings per die."""
        return int(self.ring_x_m.size)


@dataclass(frozen=True, kw_only=True, eq=False)
class WaferLayout:
    """A wafer tiled with identical dies: die grid and absolute ring positions.

    Parameters
    ----------
    wafer : Wafer
        Wafer size and edge exclusion. Default ``Wafer()`` (300 mm, 3 mm exclusion).
    die : DieLayout
        Die size and ring layout. Default ``DieLayout.ring_banks()`` (6 mm die, 128 rings).
    street_m : float
        Scribe street between neighbouring dies, metres (≥ 0). Default 100e-6 (*assumption*,
        a typical dicing street).
    grid_offset_x_m, grid_offset_y_m : float
        Shift of the die grid from the wafer centre, metres (|offset| ≤ one die pitch). With
        zero offset a die corner sits on the wafer centre. Default 0.
    """

    wafer: Wafer = field(default_factory=Wafer)
    die: DieLayout = field(default_factory=DieLayout.ring_banks)
    street_m: float = 100e-6
    grid_offset_x_m: float = 0.0
    grid_offset_y_m: float = 0.0

    def __post_init__(self):
        check_range("street_m", self.street_m, low=0.0, high=0.1)
        check_range(
            "grid_offset_x_m", self.grid_offset_x_m, low=-self.pitch_x_m, high=self.pitch_x_m
        )
        check_range(
            "grid_offset_y_m", self.grid_offset_y_m, low=-self.pitch_y_m, high=self.pitch_y_m
        )
        usable = 2.0 * self.wafer.usable_radius_m
        if np.hypot(self.die.width_m, self.die.height_m) > usable:
            raise ValueError(
                f"die.width_m = {self.die.width_m!r} × die.height_m = {self.die.height_m!r} is "
                f"larger than the wafer: its diagonal must be <= the usable diameter {usable!r} m "
                "(wafer.diameter_m - 2·wafer.edge_exclusion_m)"
            )
        if self.n_dies == 0:
            raise ValueError(
                "no die fits inside the usable wafer area with this grid offset; shift "
                "grid_offset_x_m/grid_offset_y_m or use a smaller die"
            )

    @property
    def pitch_x_m(self) -> float:
        """Die pitch along x (die width plus street), metres."""
        return self.die.width_m + self.street_m

    @property
    def pitch_y_m(self) -> float:
        """Die pitch along y (die height plus street), metres."""
        return self.die.height_m + self.street_m

    @cached_property
    def _die_grid(self):
        radius = self.wafer.usable_radius_m
        columns = np.arange(
            -int(np.ceil(radius / self.pitch_x_m)) - 1, int(np.ceil(radius / self.pitch_x_m)) + 1
        )
        rows = np.arange(
            -int(np.ceil(radius / self.pitch_y_m)) - 1, int(np.ceil(radius / self.pitch_y_m)) + 1
        )
        row, column = (a.ravel() for a in np.meshgrid(rows, columns, indexing="ij"))
        left = column * self.pitch_x_m + self.grid_offset_x_m + self.street_m / 2.0
        bottom = row * self.pitch_y_m + self.grid_offset_y_m + self.street_m / 2.0
        right, top = left + self.die.width_m, bottom + self.die.height_m
        far_x = np.maximum(np.abs(left), np.abs(right))
        far_y = np.maximum(np.abs(bottom), np.abs(top))
        inside = far_x**2 + far_y**2 <= radius**2
        row, column = row[inside], column[inside]
        return (
            row - row.min() if row.size else row,
            column - column.min() if column.size else column,
            left[inside],
            bottom[inside],
        )

    @property
    def n_dies(self) -> int:
        """Number of whole dies inside the usable area of one wafer."""
        return int(self._die_grid[0].size)

    @property
    def n_rings_per_die(self) -> int:
        """Number of rings in each die."""
        return self.die.n_rings

    @property
    def die_row(self) -> np.ndarray:
        """Grid row of each die (0 at the bottom), shape (n_dies,)."""
        return self._die_grid[0]

    @property
    def die_column(self) -> np.ndarray:
        """Grid column of each die (0 at the left), shape (n_dies,)."""
        return self._die_grid[1]

    @property
    def die_x_m(self) -> np.ndarray:
        """x of each die's lower-left corner in wafer coordinates, metres, shape (n_dies,)."""
        return self._die_grid[2]

    @property
    def die_y_m(self) -> np.ndarray:
        """y of each die's lower-left corner in wafer coordinates, metres, shape (n_dies,)."""
        return self._die_grid[3]

    @property
    def die_centre_x_m(self) -> np.ndarray:
        """x of each die centre in wafer coordinates, metres, shape (n_dies,)."""
        return self.die_x_m + self.die.width_m / 2.0

    @property
    def die_centre_y_m(self) -> np.ndarray:
        """y of each die centre in wafer coordinates, metres, shape (n_dies,)."""
        return self.die_y_m + self.die.height_m / 2.0

    @cached_property
    def ring_x_m(self) -> np.ndarray:
        """x of every ring in wafer coordinates, metres, shape (n_dies, n_rings_per_die)."""
        return self.die_x_m[:, None] + self.die.ring_x_m[None, :]

    @cached_property
    def ring_y_m(self) -> np.ndarray:
        """y of every ring in wafer coordinates, metres, shape (n_dies, n_rings_per_die)."""
        return self.die_y_m[:, None] + self.die.ring_y_m[None, :]

    def plot(self, ax=None):
        """Draw the wafer outline, the edge exclusion and the dies (mm); returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into; a new figure is made when omitted.
        """
        from cposim.photonics.fab import plot

        return plot.wafer_layout(self, ax)


__all__ = [
    "DieLayout",
    "Wafer",
    "WaferLayout",
]
