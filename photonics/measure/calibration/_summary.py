"""From fits to reported levels: intervals, width/thickness split, notes on what is
identifiable, and the per-ring table (private)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from cposim.photonics.fab.variation import VariationModel
from cposim.photonics.measure.calibration._fit import _Fit
from cposim.photonics.measure.calibration._table import _PARAMETERS, _Data
from cposim.photonics.measure.calibration.result import COMPONENTS, Estimate, LevelEstimates
from cposim.photonics.measure.calibration.semivariogram import _Space, _Statistics

_FEW_WAFERS = 10  # assumption: below this a wafer bootstrap is too coarse


class _Summary:
    """Point estimates with percentile intervals; tilt turned into magnitude and angle."""

    def __init__(self, full: _Fit, replicates, confidence):
        self.full = _polar(full.vector()[None])[0]
        self.replicates = _polar(replicates[0], reference=self.full)
        self.means, self.mean_replicates = full.mean, replicates[1]
        self.tail = 50.0 * (1.0 - confidence)

    def estimate(self, p, c, source="data") -> Estimate:
        values = self.replicates[:, p, c]
        low, high = np.percentile(values, [self.tail, 100.0 - self.tail])
        return Estimate(
            value=float(self.full[p, c]),
            low=float(low),
            high=float(high),
            standard_error=float(values.std(ddof=1)),
            source=source,
        )

    def mean(self, d) -> Estimate:
        values = self.mean_replicates[:, d]
        low, high = np.percentile(values, [self.tail, 100.0 - self.tail])
        return Estimate(
            value=float(self.means[d]),
            low=float(low),
            high=float(high),
            standard_error=float(values.std(ddof=1)),
        )


_TILT_X, _TILT_Y = COMPONENTS.index("tilt_m"), COMPONENTS.index("tilt_angle_rad")


def _polar(vectors, reference=None) -> np.ndarray:
    """Replace (tilt x, tilt y) by (tilt magnitude, angle); angles unwrapped around
    ``reference``'s so that intervals do not straddle ±π."""
    out = vectors.copy()
    tx, ty = vectors[..., _TILT_X], vectors[..., _TILT_Y]
    out[..., _TILT_X] = np.hypot(tx, ty)
    angle = np.arctan2(ty, tx)
    if reference is not None:
        centre = reference[..., _TILT_Y]
        angle = centre + (angle - centre + np.pi) % (2.0 * np.pi) - np.pi
    out[..., _TILT_Y] = angle
    return out


def _levels(space: _Space, summary: _Summary, p: int, kernel: str) -> LevelEstimates:
    sources = {"lot_sigma_m": space.fit_lot, "wafer_sigma_m": space.fit_wafer}
    values = {}
    for c, name in enumerate(COMPONENTS):
        if sources.get(name, True):
            values[name] = summary.estimate(p, c)
        else:
            values[name] = Estimate(value=float(summary.full[p, c]), source="prior")
    return LevelEstimates(parameter=space.names[p], kernel=kernel, **values)


# Which prior level sets the width:thickness share of each component (split="prior").
_SHARE_LEVEL = {
    "lot_sigma_m": "lot_sigma_m",
    "wafer_sigma_m": "wafer_sigma_m",
    "bowl_m": "bowl_m",
    "tilt_m": "tilt_m",
    "tilt_angle_rad": "tilt_m",
    "field_sigma_m": "field_sigma_m",
    "correlation_length_m": "field_sigma_m",
    "local_sigma_m": "local_sigma_m",
}


def _split(resonance: LevelEstimates, prior: VariationModel, a, rule):
    """Width and thickness levels from one design's resonance levels by the ``split`` rule."""
    prior_params = (prior.width, prior.thickness)
    a = np.asarray(a, dtype=float)
    if rule == "prior":
        fallback = a**2 * np.array([p.random_variance_m2 for p in prior_params])
        if fallback.sum() == 0.0:
            raise ValueError(
                "split = 'prior' needs a prior with random variation to take shares from; "
                "choose split='width' or 'thickness'"
            )
    else:
        if a[_PARAMETERS.index(rule)] == 0.0:
            raise ValueError(f"split = {rule!r} needs a design with a nonzero dlambda_d{rule}")
        fallback = np.array([rule == name for name in _PARAMETERS], dtype=float)
    fallback = fallback / fallback.sum()

    def shares(component):
        if rule != "prior":
            return fallback
        level = np.array([getattr(p, _SHARE_LEVEL[component]) for p in prior_params])
        weight = (a * level) ** 2 if component.endswith("sigma_m") else np.abs(a * level)
        return weight / weight.sum() if weight.sum() > 0 else fallback

    out = {parameter: {} for parameter in _PARAMETERS}
    for name in COMPONENTS:
        estimate = getattr(resonance, name)
        share = shares(name)
        for p, parameter in enumerate(_PARAMETERS):
            if estimate.source == "prior":
                out[parameter][name] = Estimate(
                    value=getattr(prior_params[p], name), source="prior"
                )
            else:
                out[parameter][name] = _scaled(name, estimate, share[p], a[p])
    return tuple(
        LevelEstimates(parameter=parameter, kernel=resonance.kernel, **out[parameter])
        for parameter in _PARAMETERS
    )


def _scaled(name: str, estimate: Estimate, share: float, a: float) -> Estimate:
    """One resonance component attributed to a parameter of sensitivity ``a`` with ``share``."""
    if name == "correlation_length_m":
        return dataclasses.replace(estimate, source="split")
    if name == "tilt_angle_rad":  # a negative sensitivity turns the tilt around
        turn = np.pi if a < 0 else 0.0
        value = float(np.angle(np.exp(1j * (estimate.value + turn))))
        offset = value - estimate.value
        return dataclasses.replace(
            estimate,
            value=value,
            low=estimate.low + offset,
            high=estimate.high + offset,
            source="split",
        )
    if share == 0.0:
        factor = 0.0
    else:
        factor = math.sqrt(share) / abs(a) if name.endswith("sigma_m") else share / a
    if name == "tilt_m":
        factor = abs(factor)
    low, high = sorted((estimate.low * factor, estimate.high * factor))
    return Estimate(
        value=estimate.value * factor,
        low=low,
        high=high,
        standard_error=estimate.standard_error * abs(factor),
        source="split",
    )


def _notes(data, space, prior, split, kernels, kernel_sse, n_bootstrap, edges) -> tuple[str, ...]:
    notes = []
    if space.identifiable:
        notes.append(
            f"identifiable: {len(data.labels)} designs of different (a_w, a_t) separate width "
            "and thickness at every level"
        )
    else:
        a_w, a_t = data.sensitivity[0]
        rule = {
            "prior": "split between width and thickness in the prior's share of each level, "
            "both with the fitted correlation length and kernel (which reproduces the fitted "
            "shift exactly)",
            "width": "attributed entirely to width",
            "thickness": "attributed entirely to thickness",
        }[split]
        notes.append(
            f"not identifiable: one design gives only the combined shift a_w·Δw + a_t·Δt (a_w = "
            f"{a_w:g}, a_t = {a_t:g}); it is {rule} (split = {split!r})"
        )
    notes.append("gap: not identifiable from resonances; kept from the prior")
    for level, fitted in (("lot", space.fit_lot), ("wafer", space.fit_wafer)):
        if not fitted:
            notes.append(f"{level} σ: not estimated (offset_levels); kept from the prior")
    notes.append(
        "first order: the fit neglects second-order terms; the returned model keeps the prior's "
        f"resonance mapping (a_w = {prior.dlambda_dwidth:g}, a_t = {prior.dlambda_dthickness:g} "
        "and its second-order terms)"
    )
    if len(kernel_sse) > 1:
        listed = ", ".join(f"{k} {v:.3g}" for k, v in kernel_sse.items())
        notes.append(f"kernel: {'/'.join(kernels)} has the smallest weighted SSE ({listed})")
    notes.append(
        f"intervals: {n_bootstrap} bootstrap replicates, wafers resampled (profile, field, "
        "local) and parametric lot/wafer offsets (see cposim.photonics.measure.calibration)"
    )
    if data.n_wafers < _FEW_WAFERS:
        notes.append(
            f"only {data.n_wafers} wafers: the wafer-bootstrap intervals are likely too narrow"
        )
    notes.append(
        f"variogram lags {edges[0] * 1e3:.3g}-{edges[-1] * 1e3:.3g} mm; correlation lengths are "
        "searched in this range"
    )
    return tuple(notes)


def _ring_table(data: _Data, stats: _Statistics, full: _Fit):
    import pandas as pd

    group = stats.group_of_ring
    wafer = data.group_wafer[group]
    return pd.DataFrame(
        {
            "design": np.array(data.labels, dtype=object)[data.group_design[group]],
            "wafer_index": wafer,
            "lot": np.array([data.wafer_labels[w][0] for w in wafer], dtype=object),
            "wafer": np.array([data.wafer_labels[w][1] for w in wafer], dtype=object),
            "x_m": data.x,
            "y_m": data.y,
            "resonance_shift_m": data.shift,
            "systematic_m": stats.systematic,
            "residual_m": stats.residual,
        }
    )
