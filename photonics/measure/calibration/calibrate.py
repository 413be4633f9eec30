""":func:`calibrate_variation`: wafer test data → the levels of a variation model, with
bootstrap intervals (the model and estimators are in the package docstring)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from cposim.control.core.validation import check_choice, check_integer, check_range
from cposim.photonics.fab.variation import KERNELS, VariationModel, preset
from cposim.photonics.fab.wafer import Wafer
from cposim.photonics.measure.calibration._fit import _bootstrap, _choose_kernels, _estimate
from cposim.photonics.measure.calibration._summary import (
    _levels,
    _notes,
    _ring_table,
    _split,
    _Summary,
)
from cposim.photonics.measure.calibration._table import _bin_edges, _read_table
from cposim.photonics.measure.calibration.result import VariationCalibration
from cposim.photonics.measure.calibration.semivariogram import _Space, _Statistics

KERNEL_CHOICES = ("auto", *KERNELS)
"""Values of ``kernel``: ``"auto"`` fits every kernel and keeps the smallest weighted SSE."""
OFFSET_LEVELS = ("lot", "wafer")
"""Offset levels :func:`calibrate_variation` can estimate (``offset_levels``)."""
SPLIT_RULES = ("prior", "width", "thickness")
"""How one design's shift is attributed to width and thickness (``split``)."""


def calibrate_variation(
    table,
    *,
    wafer: Wafer | None = None,
    designs: Mapping | None = None,
    prior: VariationModel | None = None,
    kernel: str = "auto",
    offset_levels: tuple[str, ...] = OFFSET_LEVELS,
    split: str | None = None,
    wafers_per_lot: int | None = None,
    bin_edges_m=None,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    rng=None,
) -> VariationCalibration:
    """Estimate the variation model's levels from measured ring resonances.

    Parameters
    ----------
    table : pandas.DataFrame or mapping of str to array_like
        One row per ring. Columns: ``wafer`` (label), ``lot`` (label; needed when ``"lot"`` is
        in ``offset_levels``), ``resonance_m`` (measured resonance, metres, > 0), the position
        as ``x_m``, ``y_m`` (wafer coordinates, metres, origin at the centre) or as
        ``die_x_m``, ``die_y_m`` (die lower-left corner) plus ``ring_x_m``, ``ring_y_m`` (ring
        offset in the die); optional ``design`` (label; needed with several designs) and
        ``nominal_resonance_m`` (metres; without it each design's mean resonance is the
        reference, so all its rings must share one nominal resonance). Wafer labels are read
        within their lot.
    wafer : Wafer, optional
        Wafer the rings sit on; its radius scales bowl and tilt. Default ``Wafer()`` (300 mm).
    designs : mapping, optional
        Design label → :class:`DesignSensitivity`. Default: one design with the prior's
        ``dlambda_dwidth`` and ``dlambda_dthickness``.
    prior : VariationModel, optional
        Model the gap, the mapping, the ring, the coupler, the ``split="prior"`` shares and
        any unestimated level come from. Default ``preset("typical")``.
    kernel : {"auto", "gaussian", "exponential"}
        Field kernel; ``"auto"`` fits each (with two designs, each width/thickness pair) and
        keeps the smallest weighted SSE.
    offset_levels : tuple of str
        Offset levels to estimate, from :data:`OFFSET_LEVELS`; one left out keeps the prior's σ
        (e.g. ``("wafer",)`` for data from one lot). ``"lot"`` needs ≥ 2 lots, ``"wafer"`` a
        lot with ≥ 2 wafers.
    split : {"prior", "width", "thickness"}, optional
        One design only: ``"prior"`` (default) gives width and thickness the prior's share of
        each level (variance shares for σ's, magnitude shares for bowl and tilt; a level the
        prior leaves at zero takes the prior's share of total random variance) and both the
        fitted ℓ and kernel, which reproduces the fitted shift exactly; ``"width"`` or
        ``"thickness"`` attributes everything to that parameter.
    wafers_per_lot : int, optional
        ``wafers_per_lot`` of the returned model (≥ 1), a count. Default: the prior's.
    bin_edges_m : array_like, optional
        Lag bin edges, metres, increasing, > 0. Default: 20 log-spaced bins (assumption) from
        0.9 × the smallest ring separation to the usable wafer radius (half the largest lag, the
        usual limit of a reliable variogram: Journel & Huijbregts, Mining Geostatistics, 1978).
    n_bootstrap : int
        Bootstrap replicates (≥ 20), a count. Default 1000 (Efron & Tibshirani, An Introduction
        to the Bootstrap, 1993, ch. 19: about 1000 for percentile intervals).
    confidence : float
        Two-sided confidence level of the intervals, a fraction (0.5 … 0.999). Default 0.95.
    rng : int, numpy.random.Generator or None
        Seed of the bootstrap.

    Returns
    -------
    VariationCalibration
        Estimates, intervals, variograms and the model.
    """
    wafer = Wafer() if wafer is None else wafer
    prior = preset("typical") if prior is None else prior
    if not isinstance(wafer, Wafer):
        raise ValueError(f"wafer must be a Wafer; got {type(wafer).__name__}")
    if not isinstance(prior, VariationModel):
        raise ValueError(f"prior must be a VariationModel; got {type(prior).__name__}")
    check_choice("kernel", kernel, KERNEL_CHOICES)
    offset_levels = tuple(offset_levels)
    for level in offset_levels:
        check_choice("offset_levels", level, OFFSET_LEVELS)
    n_bootstrap = check_integer("n_bootstrap", n_bootstrap, low=20)
    check_range("confidence", confidence, low=0.5, high=0.999)
    if wafers_per_lot is not None:
        check_integer("wafers_per_lot", wafers_per_lot, low=1)
    data = _read_table(table, wafer, designs, prior, offset_levels)
    if data.n_wafers < 2:
        raise ValueError(
            "wafer: the table holds 1 wafer; the intervals (a wafer bootstrap) need >= 2 wafers"
        )
    identifiable = len(data.labels) > 1
    if identifiable and split is not None:
        raise ValueError(
            f"split = {split!r} applies to one design; with {len(data.labels)} designs width "
            "and thickness are solved (leave split out)"
        )
    split = None if identifiable else check_choice("split", split or "prior", SPLIT_RULES)
    edges = _bin_edges(data, bin_edges_m)
    stats = _Statistics(data, edges)
    space = _Space(data, prior, offset_levels)
    kernels, kernel_sse = _choose_kernels(stats, space, kernel)
    full = _estimate(stats, space, kernels, np.ones(data.n_wafers), stats.group_mean, None)
    replicates = _bootstrap(stats, space, kernels, full, n_bootstrap, np.random.default_rng(rng))
    summary = _Summary(full, replicates, confidence)
    estimates = [_levels(space, summary, p, kernels[p]) for p in range(space.n)]
    notes = _notes(data, space, prior, split, kernels, kernel_sse, n_bootstrap, stats.edges)
    if identifiable:
        width, thickness = estimates
        resonance = None
    else:
        (resonance,) = estimates
        width, thickness = _split(resonance, prior, data.sensitivity[0], split)
    return VariationCalibration(
        width=width,
        thickness=thickness,
        resonance=resonance,
        identifiable=identifiable,
        split=split,
        notes=notes,
        designs=dict(zip(data.labels, data.designs, strict=True)),
        variograms={
            label: stats.variogram(d, np.ones(data.n_wafers)) for d, label in enumerate(data.labels)
        },
        kernel_sse=kernel_sse,
        mean_shift_m=(
            {label: summary.mean(d) for d, label in enumerate(data.labels)}
            if data.has_nominal
            else None
        ),
        prior=prior,
        wafers_per_lot=prior.wafers_per_lot if wafers_per_lot is None else wafers_per_lot,
        wafer=wafer,
        rings=_ring_table(data, stats, full),
        confidence=float(confidence),
        n_bootstrap=n_bootstrap,
    )


__all__ = ["KERNEL_CHOICES", "OFFSET_LEVELS", "SPLIT_RULES", "calibrate_variation"]
