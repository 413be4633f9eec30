"""The wafer test table read and checked: rings, their lot, wafer, position and design
(private; :func:`~cposim.photonics.measure.calibration.calibrate_variation` reads it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_range, describe_interval
from cposim.photonics.fab.variation import VariationModel
from cposim.photonics.fab.wafer import Wafer
from cposim.photonics.measure.calibration.result import DesignSensitivity, _design_vector

_PARAMETERS = ("width", "thickness")
_N_BINS = 20  # assumption: 20 log-spaced lag bins, about 1.5 per octave over 4 decades
_MIN_SENSITIVITY_CONTRAST = 0.01  # assumption: errors grow ≈ 1/ratio (singular values)


@dataclass(frozen=True, eq=False)
class _Data:
    labels: list  # design labels
    designs: list  # DesignSensitivity per design
    sensitivity: np.ndarray  # (D, 2): a_w, a_t
    has_nominal: bool
    radius_m: float
    usable_radius_m: float
    x: np.ndarray  # per ring, sorted by (design, wafer)
    y: np.ndarray
    shift: np.ndarray
    start: np.ndarray  # (G + 1,) group offsets; a group is one design on one wafer
    group_design: np.ndarray  # (G,)
    group_wafer: np.ndarray  # (G,)
    wafer_lot: np.ndarray  # (W,) lot code of each wafer
    lot_labels: list
    wafer_labels: list  # (lot label, wafer label) of each wafer

    @property
    def n_wafers(self) -> int:
        return len(self.wafer_labels)


def _read_table(table, wafer: Wafer, designs, prior: VariationModel, offset_levels) -> _Data:
    import pandas as pd

    if not isinstance(table, pd.DataFrame | Mapping):
        raise ValueError(f"table must be a pandas DataFrame or a mapping of columns; got {table!r}")
    radius = wafer.radius_m
    resonance = _numeric(table, "resonance_m", low=0.0, low_inclusive=False)
    n = resonance.size
    if resonance.ndim != 1 or n < 4:
        raise ValueError(
            f"resonance_m must be a 1-D column of >= 4 rings; got shape {resonance.shape}"
        )
    if "x_m" in table or "y_m" in table or "die_x_m" not in table:
        x = _numeric(table, "x_m", low=-radius, high=radius, length=n)
        y = _numeric(table, "y_m", low=-radius, high=radius, length=n)
    else:
        x = _numeric(table, "die_x_m", low=-radius, high=radius, length=n)
        x = x + _numeric(table, "ring_x_m", low=0.0, high=2 * radius, length=n)
        y = _numeric(table, "die_y_m", low=-radius, high=radius, length=n)
        y = y + _numeric(table, "ring_y_m", low=0.0, high=2 * radius, length=n)
    outside = np.hypot(x, y) > radius * (1.0 + 1e-12)
    if outside.any():
        row = int(np.argmax(outside))
        raise ValueError(
            f"x_m, y_m: the ring at row {row} is {np.hypot(x[row], y[row])!r} m from the wafer "
            f"centre; must be <= wafer.radius_m = {radius!r} m"
        )
    wafer_codes, wafer_names = _labels("wafer", _column(table, "wafer", n))
    if "lot" in table:
        lot_codes, lot_labels = _labels("lot", _column(table, "lot", n))
    elif "lot" in offset_levels:
        raise ValueError(
            "table has no column 'lot'; estimating the lot σ needs it (or leave 'lot' out of "
            "offset_levels to keep the prior's)"
        )
    else:
        lot_codes, lot_labels = np.zeros(n, dtype=np.int64), ["(one lot)"]
    keys, wafer_of_ring = np.unique(lot_codes * n + wafer_codes, return_inverse=True)
    wafer_lot = keys // n
    wafer_labels = [
        (lot_labels[lot], wafer_names[code]) for lot, code in zip(wafer_lot, keys % n, strict=True)
    ]
    labels, sensitivities, design_of_ring = _designs(table, designs, prior, n)
    if "nominal_resonance_m" in table:
        nominal = _numeric(table, "nominal_resonance_m", low=0.0, low_inclusive=False, length=n)
        shift = resonance - nominal
    else:
        design_mean = np.bincount(design_of_ring, resonance) / np.bincount(design_of_ring)
        shift = resonance - design_mean[design_of_ring]
    _check_offset_levels(offset_levels, wafer_lot, wafer_of_ring, design_of_ring, labels)
    group = design_of_ring * len(wafer_labels) + wafer_of_ring
    order = np.argsort(group, kind="stable")
    group_keys, start = np.unique(group[order], return_index=True)
    return _Data(
        labels=labels,
        designs=sensitivities,
        sensitivity=np.array([_design_vector(design) for design in sensitivities]),
        has_nominal="nominal_resonance_m" in table,
        radius_m=radius,
        usable_radius_m=wafer.usable_radius_m,
        x=x[order],
        y=y[order],
        shift=shift[order],
        start=np.append(start, n).astype(np.int64),
        group_design=group_keys // len(wafer_labels),
        group_wafer=group_keys % len(wafer_labels),
        wafer_lot=wafer_lot,
        lot_labels=list(lot_labels),
        wafer_labels=wafer_labels,
    )


def _column(table, name: str, length: int | None = None) -> np.ndarray:
    if name not in table:
        raise ValueError(f"table has no column {name!r}")
    values = np.asarray(table[name])
    if length is not None and values.shape != (length,):
        raise ValueError(
            f"table column {name!r} has shape {values.shape}; every column must be 1-D with "
            f"one value per ring ({length})"
        )
    return values


def _numeric(table, name, *, low=None, high=None, low_inclusive=True, length=None) -> np.ndarray:
    allowed = describe_interval(low, high, low_inclusive, True)
    values = _column(table, name, length)
    try:
        values = values.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"table column {name!r} must hold numbers {allowed}") from None
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(
            f"table column {name!r} holds {float(values[row])!r} at row {row}; every value "
            f"must be a finite number {allowed}"
        )
    return check_range(name, values, low=low, high=high, low_inclusive=low_inclusive)


def _labels(name: str, values) -> tuple[np.ndarray, list]:
    import pandas as pd

    codes, uniques = pd.factorize(np.asarray(values), sort=True)
    if (codes < 0).any():
        row = int(np.argmax(codes < 0))
        raise ValueError(f"{name} has a missing label at row {row}; every row needs one")
    return codes.astype(np.int64), list(uniques)


def _designs(table, designs, prior, n):
    """Design labels present, their sensitivities, and each ring's design index."""
    if designs is None:
        if "design" in table and len(set(_column(table, "design", n).tolist())) > 1:
            raise ValueError(
                "table column 'design' holds several designs; pass designs={label: "
                "DesignSensitivity(...)} with the sensitivities of each"
            )
        design = DesignSensitivity(
            dlambda_dwidth=prior.dlambda_dwidth, dlambda_dthickness=prior.dlambda_dthickness
        )
        return ["(one design)"], [design], np.zeros(n, dtype=np.int64)
    if not isinstance(designs, Mapping) or not designs:
        raise ValueError("designs must be a non-empty mapping of label → DesignSensitivity")
    for label, design in designs.items():
        if not isinstance(design, DesignSensitivity):
            raise ValueError(
                f"designs[{label!r}] must be a DesignSensitivity; got {type(design).__name__}"
            )
    labels = list(designs)
    if "design" in table:
        column = _column(table, "design", n).tolist()
        index = {label: d for d, label in enumerate(labels)}
        unknown = next((v for v in column if v not in index), None)
        if unknown is not None:
            raise ValueError(
                f"table column 'design' holds {unknown!r}, which is not in designs; allowed: "
                f"{', '.join(map(repr, labels))}"
            )
        present, design_of_ring = np.unique([index[v] for v in column], return_inverse=True)
        labels = [labels[d] for d in present]
    elif len(labels) == 1:
        design_of_ring = np.zeros(n, dtype=np.int64)
    else:
        raise ValueError("table has no column 'design'; it is needed with several designs")
    a = np.array([_design_vector(designs[label]) for label in labels])
    if len(labels) > 1:
        for name, matrix in (("(a_w, a_t)", a), ("(a_w², a_t²)", a * a)):
            rows = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
            s = np.linalg.svd(rows, compute_uv=False)
            if s[-1] < _MIN_SENSITIVITY_CONTRAST * s[0]:
                raise ValueError(
                    f"designs: the sensitivities {name} of the designs are (nearly) proportional "
                    f"(singular-value ratio {s[-1] / s[0]:.2g}, must be >= "
                    f"{_MIN_SENSITIVITY_CONTRAST}); width and thickness cannot be separated"
                )
    return labels, [designs[label] for label in labels], design_of_ring.astype(np.int64)


def _check_offset_levels(offset_levels, wafer_lot, wafer_of_ring, design_of_ring, labels):
    for d, label in enumerate(labels):
        wafers = np.unique(wafer_of_ring[design_of_ring == d])
        lots, per_lot = np.unique(wafer_lot[wafers], return_counts=True)
        where = "" if len(labels) == 1 else f" of design {label!r}"
        if "lot" in offset_levels and lots.size < 2:
            raise ValueError(
                f"lot: the rings{where} come from {lots.size} lot; estimating the lot σ needs >= "
                "2 lots (or leave 'lot' out of offset_levels to keep the prior's)"
            )
        if "wafer" in offset_levels and per_lot.max() < 2:
            raise ValueError(
                f"wafer: no lot{where} has more than {per_lot.max()} wafer; estimating the "
                "wafer σ needs a lot with >= 2 wafers (or leave 'wafer' out of offset_levels "
                "to keep the prior's)"
            )


def _check_edges(bin_edges_m) -> np.ndarray:
    edges = check_range("bin_edges_m", bin_edges_m, low=0.0, high=1.0, low_inclusive=False)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("bin_edges_m must be a 1-D array of >= 2 increasing distances > 0")
    return edges


def _bin_edges(data: _Data, bin_edges_m) -> np.ndarray:
    if bin_edges_m is not None:
        return _check_edges(bin_edges_m)
    from scipy.spatial import cKDTree

    points = np.unique(np.column_stack([data.x, data.y]), axis=0)
    if len(points) < 2:
        raise ValueError("x_m, y_m: every ring sits at one position; a variogram needs >= 2")
    nearest = cKDTree(points).query(points, k=2)[0][:, 1].min()
    return np.geomspace(0.9 * nearest, max(data.usable_radius_m, 2.0 * nearest), _N_BINS + 1)
