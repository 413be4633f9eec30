"""Pair statistics of measured shifts: the empirical semivariogram (every pair of rings of one
wafer, a Numba kernel parallel over wafers) and the sufficient statistics the fit uses."""

from __future__ import annotations

import math

import numba
import numpy as np

from cposim.control.core.jit import jit_parallel
from cposim.control.core.validation import check_range
from cposim.photonics.fab._kernels import correlation
from cposim.photonics.fab.variation import VariationModel
from cposim.photonics.measure.calibration._table import _PARAMETERS, _check_edges, _Data, _labels
from cposim.photonics.measure.calibration.result import EmpiricalVariogram

_FINE_BINS = 2048  # pair-distance histogram for v: 2R/2048 resolution (0.15 mm at 300 mm)


def empirical_variogram(x_m, y_m, values_m, *, bin_edges_m, group=None) -> EmpiricalVariogram:
    """Binned semivariogram over every pair of points of the same group.

    Parameters
    ----------
    x_m, y_m : array_like, shape (n,)
        Positions, metres (finite).
    values_m : array_like, shape (n,)
        Values, metres (finite).
    bin_edges_m : array_like
        Lag bin edges, metres, increasing, > 0; bin k holds ``edges[k] < h <= edges[k+1]``.
    group : array_like, shape (n,), optional
        Label of each point (e.g. its wafer); only pairs within a group count. Default: one
        group.
    """
    x = check_range("x_m", x_m)
    y = check_range("y_m", y_m)
    values = check_range("values_m", values_m)
    if x.ndim != 1 or x.shape != y.shape or x.shape != values.shape:
        raise ValueError(
            f"x_m, y_m and values_m must be 1-D of one length; got shapes {x.shape}, {y.shape} "
            f"and {values.shape}"
        )
    edges = _check_edges(bin_edges_m)
    codes = np.zeros(x.size, dtype=np.int64) if group is None else _labels("group", group)[0]
    if codes.shape != x.shape:
        raise ValueError(f"group must hold one label per point ({x.size}); got {codes.size}")
    order = np.argsort(codes, kind="stable")
    start = np.searchsorted(codes[order], np.arange(codes.max() + 2))
    sums = _group_pair_sums(x[order], y[order], values[order], start, edges, 0.0, 1)
    count, total, distance = (s.sum(axis=0) for s in sums[:3])
    return _variogram(edges, count, total, distance)


# -------------------------------------------------------------------------------- statistics
@jit_parallel
def _pair_sums(x, y, value, start, edges, fine_per_m, count, total, distance, fine):
    """Per group: pair count, Σ ½(v_i - v_j)² and Σ h in each lag bin; pair-distance histogram."""
    n_bins = edges.size - 1
    n_fine = fine.shape[1]
    for g in numba.prange(start.size - 1):
        for i in range(start[g], start[g + 1]):
            for j in range(i + 1, start[g + 1]):
                dx = x[i] - x[j]
                dy = y[i] - y[j]
                h = math.sqrt(dx * dx + dy * dy)
                fine[g, min(int(h * fine_per_m), n_fine - 1)] += 1
                if edges[0] < h <= edges[n_bins]:
                    k = np.searchsorted(edges, h) - 1
                    diff = value[i] - value[j]
                    count[g, k] += 1
                    total[g, k] += 0.5 * diff * diff
                    distance[g, k] += h


def _group_pair_sums(x, y, value, start, edges, fine_per_m, n_fine):
    n_groups, n_bins = start.size - 1, edges.size - 1
    count = np.zeros((n_groups, n_bins), dtype=np.int64)
    total = np.zeros((n_groups, n_bins))
    distance = np.zeros((n_groups, n_bins))
    fine = np.zeros((n_groups, n_fine), dtype=np.int64)
    _pair_sums(
        np.ascontiguousarray(x),
        np.ascontiguousarray(y),
        np.ascontiguousarray(value),
        start.astype(np.int64),
        edges,
        fine_per_m,
        count,
        total,
        distance,
        fine,
    )
    return count, total, distance, fine


def _variogram(edges, count, total, distance) -> EmpiricalVariogram:
    with np.errstate(invalid="ignore", divide="ignore"):
        return EmpiricalVariogram(
            bin_edges_m=edges,
            distance_m=np.where(count > 0, distance / count, np.nan),
            semivariance_m2=np.where(count > 0, total / count, np.nan),
            pair_count=np.asarray(count, dtype=np.int64),
        )


class _Statistics:
    """Per (design, wafer) group sums that every estimate (and bootstrap replicate) reuses."""

    def __init__(self, data: _Data, edges: np.ndarray):
        self.data, self.edges = data, edges
        radius = data.radius_m
        start = data.start
        n_groups = start.size - 1
        self.size = np.diff(start).astype(np.float64)
        group_of_ring = np.repeat(np.arange(n_groups), np.diff(start))
        self.group_of_ring = group_of_ring
        regressors = np.column_stack(
            [(data.x**2 + data.y**2) / radius**2, data.x / radius, data.y / radius]
        )

        def group_mean(values):
            return np.bincount(group_of_ring, values, n_groups) / self.size

        centred = regressors - np.column_stack([group_mean(c)[group_of_ring] for c in regressors.T])
        shift = data.shift - group_mean(data.shift)[group_of_ring]
        outer = centred[:, :, None] * centred[:, None, :]
        self.normal = np.stack(
            [
                np.bincount(group_of_ring, outer[:, i, j], n_groups)
                for i in range(3)
                for j in range(3)
            ],
            axis=-1,
        ).reshape(n_groups, 3, 3)
        self.moment = np.stack(
            [np.bincount(group_of_ring, centred[:, i] * shift, n_groups) for i in range(3)], axis=-1
        )
        self.design_groups = [
            np.flatnonzero(data.group_design == d) for d in range(len(data.labels))
        ]
        self.profile = np.array(
            [
                self._solve_profile(d, np.ones(data.n_wafers), check=True)
                for d in range(len(data.labels))
            ]
        )
        systematic = np.einsum(
            "ij,ij->i", regressors, self.profile[data.group_design][group_of_ring]
        )
        residual = data.shift - systematic
        self.systematic = systematic
        self.group_mean = group_mean(residual)
        self.residual = residual - self.group_mean[group_of_ring]
        self.fine_per_m = _FINE_BINS / (2.0 * radius)
        self.count, self.total, self.distance, fine = _group_pair_sums(
            data.x, data.y, self.residual, start, edges, self.fine_per_m, _FINE_BINS
        )
        self.fine_lag = (np.arange(_FINE_BINS) + 0.5) / self.fine_per_m
        self.fine = fine.astype(np.float64)
        for d, label in enumerate(data.labels):
            if np.count_nonzero(self.count[self.design_groups[d]].sum(axis=0)) < 3:
                where = "" if len(data.labels) == 1 else f" of design {label!r}"
                raise ValueError(
                    f"x_m, y_m: the ring pairs{where} fill fewer than 3 lag bins between "
                    f"{edges[0]!r} and {edges[-1]!r} m; a variogram fit needs >= 3 (more rings "
                    "per wafer, or other bin_edges_m)"
                )

    def _solve_profile(self, d, wafer_weight, *, check=False):
        groups = self.design_groups[d]
        weight = wafer_weight[self.data.group_wafer[groups]]
        normal = np.tensordot(weight, self.normal[groups], axes=1)
        moment = weight @ self.moment[groups]
        if check and np.linalg.cond(normal) > 1e10:
            raise ValueError(
                "x_m, y_m: the ring positions do not spread enough across the wafers to fit "
                "bowl and tilt (they need >= 4 positions, not all on one line or circle)"
            )
        return np.linalg.lstsq(normal, moment, rcond=None)[0]

    def profiles(self, wafer_weight) -> np.ndarray:
        """(D, 3): bowl, tilt x, tilt y of each design's shift, metres."""
        return np.array(
            [self._solve_profile(d, wafer_weight) for d in range(len(self.design_groups))]
        )

    def variograms(self, wafer_weight) -> list[EmpiricalVariogram]:
        """Each design's semivariogram with the wafers weighted (bootstrap multiplicities)."""
        return [self.variogram(d, wafer_weight) for d in range(len(self.design_groups))]

    def variogram(self, d, wafer_weight) -> EmpiricalVariogram:
        groups = self.design_groups[d]
        w = wafer_weight[self.data.group_wafer[groups]]
        return _variogram(
            self.edges, w @ self.count[groups], w @ self.total[groups], w @ self.distance[groups]
        )

    def mean_correlation(self, kernel, length_m) -> np.ndarray:
        """(G,): Σ_ij ρ(h_ij)/n² over the rings of each group (self pairs included)."""
        rho = correlation(kernel, self.fine_lag, length_m)
        return (self.size + 2.0 * self.fine @ rho) / self.size**2


class _Space:
    """The unknowns: one "resonance" parameter (one design) or width and thickness."""

    def __init__(self, data: _Data, prior: VariationModel, offset_levels):
        self.identifiable = len(data.labels) > 1
        self.names = _PARAMETERS if self.identifiable else ("resonance",)
        self.n = len(self.names)
        self.linear = data.sensitivity if self.identifiable else np.ones((1, 1))
        self.square = self.linear**2
        self.fit_lot = "lot" in offset_levels
        self.fit_wafer = "wafer" in offset_levels
        prior_params = (prior.width, prior.thickness)
        if self.identifiable:
            self.prior_lot = np.array([p.lot_sigma_m**2 for p in prior_params])
            self.prior_wafer = np.array([p.wafer_sigma_m**2 for p in prior_params])
        else:
            a2 = data.sensitivity[0] ** 2
            self.prior_lot = np.array([a2 @ [p.lot_sigma_m**2 for p in prior_params]])
            self.prior_wafer = np.array([a2 @ [p.wafer_sigma_m**2 for p in prior_params]])


__all__ = ["empirical_variogram"]
