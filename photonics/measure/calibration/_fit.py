"""Fitting the levels: the semivariogram model (kernels, correlation lengths, variances), the
lot and wafer moments and their bootstrap (private)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from cposim.photonics.fab._kernels import correlation
from cposim.photonics.fab.variation import KERNELS
from cposim.photonics.measure.calibration._table import _Data
from cposim.photonics.measure.calibration.result import COMPONENTS
from cposim.photonics.measure.calibration.semivariogram import _Space, _Statistics

_GRID_1D, _GRID_2D = 48, 20  # log-ℓ search grid for one / two fields (assumption, refined)


@dataclass(frozen=True)
class _Field:
    nugget: np.ndarray  # (P,) m²
    sill: np.ndarray  # (P,) m²
    length: np.ndarray  # (P,) m
    sse: float


class _FieldProblem:
    """Weighted least squares of the pooled semivariograms of every design (rows: valid bins).

    Columns: the nugget and the sill of each parameter, ``a_dp²`` and ``a_dp²·(1 - ρ_p(h))``
    per row, scaled by ``sqrt(n_k/N_d)/γ̂_k``; the target is ``γ̂_k`` scaled alike.
    """

    def __init__(self, variograms, space: _Space, kernels, bounds):
        count = np.array([v.pair_count for v in variograms])
        gamma = np.nan_to_num(np.array([v.semivariance_m2 for v in variograms]))
        distance = np.array([v.distance_m for v in variograms])
        valid = (count > 0) & (gamma > 0)
        design, _ = np.nonzero(valid)
        total = np.where(valid, count, 0).sum(axis=1)
        weight = np.sqrt(count[valid] / total[design]) / gamma[valid]
        self.kernels, self.n = kernels, space.n
        self.distance = distance[valid]
        self.square = space.square[design] * weight[:, None]  # (rows, P)
        self.target = gamma[valid] * weight
        self.log_bounds = (math.log(bounds[0]), math.log(bounds[1]))

    def variances(self, lengths):
        """NNLS nugget and sill (P each), m², and the weighted SSE at fixed lengths."""
        sill_columns = [
            self.square[:, p] * (1.0 - correlation(self.kernels[p], self.distance, lengths[p]))
            for p in range(self.n)
        ]
        matrix = np.column_stack([self.square, *sill_columns])
        scale = np.abs(matrix).max(axis=0)
        scale[scale == 0] = 1.0
        solution, residual = optimize.nnls(matrix / scale, self.target)
        return solution / scale, residual**2

    def sse(self, log_lengths) -> float:
        return self.variances(np.exp(log_lengths))[1]

    def fit(self, start=None) -> _Field:
        """ℓ by a log grid over the lag range, refined by a bounded local search; with
        ``start`` (lengths, m) and two parameters, only the local search from there."""
        low, high = self.log_bounds
        if self.n == 1:
            grid = np.linspace(low, high, _GRID_1D)
            best = grid[int(np.argmin([self.sse([g]) for g in grid]))]
            step = grid[1] - grid[0]
            result = optimize.minimize_scalar(
                lambda g: self.sse([g]),
                bounds=(max(low, best - step), min(high, best + step)),
                method="bounded",
                options={"xatol": 1e-4},
            )
            log_lengths = np.array([result.x])
        else:
            if start is None:
                axis = np.linspace(low, high, _GRID_2D)
                grid = np.array(np.meshgrid(axis, axis, indexing="ij")).reshape(2, -1).T
                first = grid[int(np.argmin([self.sse(g) for g in grid]))]
            else:
                first = np.clip(np.log(start), low, high)
            log_lengths = optimize.minimize(
                self.sse,
                first,
                method="Nelder-Mead",
                bounds=[(low, high)] * 2,
                options={"xatol": 1e-4, "fatol": 1e-12},
            ).x
        lengths = np.exp(log_lengths)
        variances, value = self.variances(lengths)
        return _Field(
            nugget=variances[: self.n], sill=variances[self.n :], length=lengths, sse=float(value)
        )


def _choose_kernels(stats: _Statistics, space: _Space, kernel: str):
    variograms = stats.variograms(np.ones(stats.data.n_wafers))
    bounds = (stats.edges[0], stats.edges[-1])
    options = KERNELS if kernel == "auto" else (kernel,)
    combos = [(k,) for k in options] if space.n == 1 else [(a, b) for a in options for b in options]
    fits = {combo: _FieldProblem(variograms, space, combo, bounds).fit().sse for combo in combos}
    best = min(fits, key=fits.get)
    return best, {"/".join(combo): value for combo, value in fits.items()}


@dataclass(frozen=True)
class _Fit:
    profile: np.ndarray  # (P, 3): bowl, tilt x, tilt y
    field: _Field
    lot: np.ndarray  # (P,) variances, m²
    wafer: np.ndarray  # (P,)
    mean: np.ndarray  # (D,) mean shift
    noise: np.ndarray  # (G,) wafer-mean variance from field and local levels

    def vector(self) -> np.ndarray:
        """(P, 8) components in the order of :data:`COMPONENTS`, tilt as x and y parts."""
        return np.column_stack(
            [
                np.sqrt(self.lot),
                np.sqrt(self.wafer),
                self.profile,
                np.sqrt(self.field.sill),
                self.field.length,
                np.sqrt(self.field.nugget),
            ]
        )


def _estimate(stats, space, kernels, wafer_weight, group_mean, field_start) -> _Fit:
    data = stats.data
    profile_d = stats.profiles(wafer_weight)
    profile = np.linalg.lstsq(space.linear, profile_d, rcond=None)[0]
    bounds = (stats.edges[0], stats.edges[-1])
    field = _FieldProblem(stats.variograms(wafer_weight), space, kernels, bounds).fit(field_start)
    noise = _wafer_mean_noise(stats, space, kernels, field)
    lot, wafer, mean = _offsets(data, space, group_mean, noise)
    return _Fit(profile=profile, field=field, lot=lot, wafer=wafer, mean=mean, noise=noise)


def _wafer_mean_noise(stats: _Statistics, space: _Space, kernels, field: _Field) -> np.ndarray:
    design = stats.data.group_design
    noise = np.zeros(design.size)
    for p in range(space.n):
        mean_rho = stats.mean_correlation(kernels[p], field.length[p])
        noise += space.square[design, p] * (field.sill[p] * mean_rho + field.nugget[p] / stats.size)
    return noise


def _offsets(data: _Data, space: _Space, group_mean, noise):
    """Lot and wafer variances (P,) by moments per design and NNLS; mean shift per design."""
    n_designs = len(data.labels)
    lot_d, wafer_d, mean = np.zeros(n_designs), np.zeros(n_designs), np.zeros(n_designs)
    for d in range(n_designs):
        groups = np.flatnonzero(data.group_design == d)
        means, v = group_mean[groups], noise[groups]
        lot = np.unique(data.wafer_lot[data.group_wafer[groups]], return_inverse=True)[1]
        per_lot = np.bincount(lot).astype(float)
        n, n_lots = means.size, per_lot.size
        lot_mean = np.bincount(lot, means) / per_lot
        mean[d] = means.mean()
        ss_wafer = np.sum((means - lot_mean[lot]) ** 2)
        ss_lot = np.sum(per_lot * (lot_mean - mean[d]) ** 2)
        noise_wafer = np.sum((1.0 - 1.0 / per_lot[lot]) * v)
        noise_lot = np.sum((1.0 / per_lot[lot] - 1.0 / n) * v)
        wafer_d[d] = (
            (ss_wafer - noise_wafer) / (n - n_lots)
            if space.fit_wafer
            else space.square[d] @ space.prior_wafer
        )
        if space.fit_lot:
            lot_d[d] = (ss_lot - (n_lots - 1) * wafer_d[d] - noise_lot) / (
                n - np.sum(per_lot**2) / n
            )
    lot = optimize.nnls(space.square, lot_d)[0] if space.fit_lot else space.prior_lot
    wafer = optimize.nnls(space.square, wafer_d)[0] if space.fit_wafer else space.prior_wafer
    return lot, wafer, mean


def _bootstrap(stats, space, kernels, full: _Fit, n_bootstrap, generator):
    """(B, P, 8) component replicates and (B, D) mean shifts (see the module notes)."""
    data = stats.data
    n_wafers, n_lots = data.n_wafers, len(data.lot_labels)
    components = np.empty((n_bootstrap, space.n, len(COMPONENTS)))
    means = np.empty((n_bootstrap, len(data.labels)))
    design, wafer_of_group = data.group_design, data.group_wafer
    lot_of_group = data.wafer_lot[wafer_of_group]
    for b in range(n_bootstrap):
        weight = np.bincount(generator.integers(n_wafers, size=n_wafers), minlength=n_wafers)
        lot_offset = np.sqrt(full.lot)[:, None] * generator.standard_normal((space.n, n_lots))
        wafer_offset = np.sqrt(full.wafer)[:, None] * generator.standard_normal((space.n, n_wafers))
        offsets = lot_offset[:, lot_of_group] + wafer_offset[:, wafer_of_group]  # (P, G)
        simulated = (
            full.mean[design]
            + np.einsum("gp,pg->g", space.linear[design], offsets)
            + np.sqrt(full.noise) * generator.standard_normal(design.size)
        )
        replicate = _estimate(
            stats, space, kernels, weight.astype(float), simulated, full.field.length
        )
        components[b] = replicate.vector()
        means[b] = replicate.mean
    return components, means
