"""Wafer test data → variation model: the hierarchical levels of measured resonance shifts.

:func:`calibrate_variation` reads a table of measured ring resonances (one row per ring: lot,
wafer, position on the wafer, optional design, resonance wavelength) and estimates the levels
of :mod:`cposim.photonics.fab.variation` with confidence intervals; the result
(:class:`VariationCalibration`) gives the :class:`~cposim.photonics.fab.variation.VariationModel`
a yield configuration uses (``to_variation_model()``, ``to_toml()``).

Model
-----
A ring of design ``d`` shifts by ``r = λ - λ_nominal ≈ a_w·Δw + a_t·Δt`` (first order; ``a_w``,
``a_t`` the design's sensitivities, m/m). With the variation model's levels for ``Δw`` and
``Δt``, the shift has the same form,

``r(x, y) = μ + lot + wafer + B·(r/R)² + (T_x·x + T_y·y)/R + σ_field·f(x, y) + σ_local·ε``,

every level a combination of the width and thickness levels: variances ``a_w²·σ_w² + a_t²·σ_t²``
for the random levels (width and thickness independent), ``B = a_w·B_w + a_t·B_t`` and likewise
for the tilt vector ``(T_x, T_y) = T·(cos θ, sin θ)``; ``R`` is the wafer radius.

Estimation, for each design
---------------------------
1. *Systematic*: least squares of ``r`` on ``(r/R)²``, ``x/R``, ``y/R`` with one free offset per
   wafer (the within-wafer estimator, i.e. least squares on the profile common to all wafers).
2. *Field and local*: the empirical semivariogram ``γ̂(h) = ½·mean (e_i - e_j)²`` of the residuals
   ``e`` of step 1 over every pair of rings of the same wafer in distance bins ``(h_k, h_k+1]``
   (offsets cancel in the differences), fitted with ``γ(h) = σ_local² + σ_field²·(1 - ρ(h/ℓ))``
   (``ρ`` the Gaussian ``exp(-h²/(2ℓ²))`` or exponential ``exp(-h/ℓ)`` kernel of the model, at
   each bin's mean pair distance) by weighted least squares with weights ``n_k/γ̂_k²`` (Cressie,
   Math. Geol. 17, 563 (1985), with the empirical instead of the model semivariance, so that the
   weights and hence the weighted SSE that ``kernel="auto"`` compares are the same for both
   kernels). The two variances are linear given ``ℓ`` (non-negative least squares); ``ℓ`` is
   searched on a log grid over the binned lags and refined. The nugget is the local σ².
3. *Lot and wafer*: method of moments on the wafer means of ``e`` (nested, unbalanced ANOVA with
   exact expectations). A wafer mean also carries the field and local levels averaged over its
   rings, ``v = σ_field²·Σ_ij ρ(h_ij)/n² + σ_local²/n`` (from step 2, pair distances
   histogrammed at R/1024); ``v`` is subtracted, so wafer σ is the offset alone. Negative
   moment estimates are set to zero.

Width and thickness
-------------------
Resonance alone gives only the combined shift. With two or more designs whose ``(a_w, a_t)`` are
not proportional, the width and thickness levels are solved: non-negative least squares of the
designs' lot and wafer variances on ``(a_w², a_t²)``, least squares of their bowl and tilt on
``(a_w, a_t)``, and one joint fit of all designs' semivariograms with
``γ_d(h) = Σ_p a_dp²·(σ_local,p² + σ_field,p²·(1 - ρ_p(h/ℓ_p)))``, ``p`` = width, thickness
(each with its own kernel and ℓ). With one design the shift is split by a rule the caller
chooses (``split``) and the result says ``identifiable=False``. The gap never changes the
resonance: it is the prior's.

Intervals
---------
Percentile intervals from ``n_bootstrap`` replicates. Profile, field and local: a wafer
bootstrap (wafers drawn with replacement; the residuals and the kernels of the full fit are
kept, so profile uncertainty enters the variogram only at second order and the kernel choice is
not re-made). Lot and wafer: a parametric bootstrap of step 3 (Gaussian offsets with the
estimated σ on the measured lot/wafer structure, wafer-mean noise ``v`` of the full fit), each
replicate re-estimated with the ``v`` of the same replicate's field fit, so the field's
uncertainty propagates. Known limits: fewer than about 10 wafers make the within-wafer
intervals too narrow; with few lots (8 in the tests) the lot-σ interval, centred on its own
estimate, under-covers when the estimate falls low; the tilt interval is of the magnitude,
which is biased away from 0 when the tilt is not larger than its standard error.

Cost: all ring pairs of each wafer are visited (a Numba kernel, parallel over wafers), about
5 ns per pair: 3000 rings per wafer take 25 ms, 10^5 rings 25 s; measure a subset of rings per
die on larger data.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numba
import numpy as np
from scipy import optimize

from cposim.control.core.jit import jit_parallel
from cposim.control.core.validation import (
    check_choice,
    check_integer,
    check_range,
    describe_interval,
)
from cposim.photonics.fab._kernels import correlation
from cposim.photonics.fab.variation import KERNELS, ParameterVariation, VariationModel, preset
from cposim.photonics.fab.wafer import Wafer
from cposim.photonics.runtime.toml import to_toml as _config_toml

KERNEL_CHOICES = ("auto", *KERNELS)
"""Values of ``kernel``: ``"auto"`` fits every kernel and keeps the smallest weighted SSE."""
OFFSET_LEVELS = ("lot", "wafer")
"""Offset levels :func:`calibrate_variation` can estimate (``offset_levels``)."""
SPLIT_RULES = ("prior", "width", "thickness")
"""How one design's shift is attributed to width and thickness (``split``)."""
PLOT_KINDS = ("variogram", "wafer_map", "residual_map")
"""Kinds accepted by :meth:`VariationCalibration.plot`."""
COMPONENTS = (
    "lot_sigma_m",
    "wafer_sigma_m",
    "bowl_m",
    "tilt_m",
    "tilt_angle_rad",
    "field_sigma_m",
    "correlation_length_m",
    "local_sigma_m",
)
"""Estimated components of one parameter, named as in
:class:`~cposim.photonics.fab.variation.ParameterVariation`."""

_PARAMETERS = ("width", "thickness")
_N_BINS = 20  # assumption: 20 log-spaced lag bins, about 1.5 per octave over 4 decades
_FINE_BINS = 2048  # pair-distance histogram for v: 2R/2048 resolution (0.15 mm at 300 mm)
_GRID_1D, _GRID_2D = 48, 20  # log-ℓ search grid for one / two fields (assumption, refined)
_MIN_SENSITIVITY_CONTRAST = 0.01  # assumption: errors grow ≈ 1/ratio (singular values)
_FEW_WAFERS = 10  # assumption: below this a wafer bootstrap is too coarse


# ------------------------------------------------------------------------------------- results
@dataclass(frozen=True, kw_only=True)
class DesignSensitivity:
    """First-order resonance sensitivities of one ring design.

    Parameters
    ----------
    dlambda_dwidth : float
        Resonance shift per unit waveguide-width change, m/m (|value| ≤ 10).
    dlambda_dthickness : float
        Resonance shift per unit silicon-thickness change, m/m (|value| ≤ 10).
    """

    dlambda_dwidth: float
    dlambda_dthickness: float

    def __post_init__(self):
        check_range("dlambda_dwidth", self.dlambda_dwidth, low=-10.0, high=10.0)
        check_range("dlambda_dthickness", self.dlambda_dthickness, low=-10.0, high=10.0)
        if self.dlambda_dwidth == 0.0 and self.dlambda_dthickness == 0.0:
            raise ValueError("dlambda_dwidth and dlambda_dthickness must not both be 0")


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """One estimated component with its confidence interval.

    Parameters
    ----------
    value : float
        Point estimate, in the component's unit (m, or rad for an angle).
    low, high : float
        Confidence interval, same unit (NaN when not estimated from the data).
    standard_error : float
        Bootstrap standard deviation, same unit (NaN when not estimated from the data).
    source : {"data", "split", "prior"}
        ``"data"``: estimated; ``"split"``: one design's resonance estimate attributed by the
        ``split`` rule; ``"prior"``: not estimable from the data, the prior model's value.
    """

    value: float
    low: float = math.nan
    high: float = math.nan
    standard_error: float = math.nan
    source: str = "data"

    def __post_init__(self):
        for name in ("value", "low", "high", "standard_error"):
            object.__setattr__(self, name, float(getattr(self, name)))
        check_choice("source", self.source, ("data", "split", "prior"))


@dataclass(frozen=True, kw_only=True)
class LevelEstimates:
    """Estimated variation levels of one quantity (resonance shift, width or thickness).

    Field names and units are those of
    :class:`~cposim.photonics.fab.variation.ParameterVariation`; for ``parameter="resonance"``
    every length is a resonance shift in metres.

    Parameters
    ----------
    parameter : {"resonance", "width", "thickness"}
        Which quantity.
    lot_sigma_m, wafer_sigma_m : Estimate
        Lot and wafer offset σ, m.
    bowl_m : Estimate
        Edge-minus-centre bowl, m.
    tilt_m : Estimate
        Tilt at the wafer edge along ``tilt_angle_rad``, m (≥ 0).
    tilt_angle_rad : Estimate
        Direction of the tilt from +x, rad.
    field_sigma_m : Estimate
        σ of the correlated field, m.
    correlation_length_m : Estimate
        Correlation length ℓ of the field, m.
    kernel : {"gaussian", "exponential"}
        Field correlation kernel.
    local_sigma_m : Estimate
        Ring-to-ring mismatch σ, m.
    """

    parameter: str
    lot_sigma_m: Estimate
    wafer_sigma_m: Estimate
    bowl_m: Estimate
    tilt_m: Estimate
    tilt_angle_rad: Estimate
    field_sigma_m: Estimate
    correlation_length_m: Estimate
    kernel: str
    local_sigma_m: Estimate

    def to_parameter_variation(self) -> ParameterVariation:
        """The levels as a :class:`ParameterVariation` (point estimates)."""
        return ParameterVariation(
            **{name: getattr(self, name).value for name in COMPONENTS}, kernel=self.kernel
        )


@dataclass(frozen=True, kw_only=True, eq=False)
class EmpiricalVariogram:
    """Binned empirical semivariogram of within-wafer differences.

    Parameters
    ----------
    bin_edges_m : ndarray, shape (n_bins + 1,)
        Lag bin edges, metres; bin k holds pairs with ``edges[k] < h <= edges[k+1]``.
    distance_m : ndarray, shape (n_bins,)
        Mean pair distance of each bin, metres (NaN for an empty bin).
    semivariance_m2 : ndarray, shape (n_bins,)
        ``½·mean (e_i - e_j)²`` over the bin's pairs, m² (NaN for an empty bin).
    pair_count : ndarray of int, shape (n_bins,)
        Pairs in each bin (each unordered pair once).
    """

    bin_edges_m: np.ndarray
    distance_m: np.ndarray
    semivariance_m2: np.ndarray
    pair_count: np.ndarray

    def to_dataframe(self):
        """Columns ``lower_m``, ``upper_m``, ``distance_m``, ``semivariance_m2``,
        ``pair_count``."""
        import pandas as pd

        return pd.DataFrame(
            {
                "lower_m": self.bin_edges_m[:-1],
                "upper_m": self.bin_edges_m[1:],
                "distance_m": self.distance_m,
                "semivariance_m2": self.semivariance_m2,
                "pair_count": self.pair_count,
            }
        )


@dataclass(frozen=True, kw_only=True, eq=False)
class VariationCalibration:
    """Variation levels estimated from measured resonances (see the module notes).

    Parameters
    ----------
    width, thickness : LevelEstimates
        Levels of width and thickness: solved (``identifiable``) or, with one design, the
        resonance levels attributed by ``split``. Offset levels that were not estimated, and
        every level the data cannot reach, hold the prior's value (``source="prior"``).
    resonance : LevelEstimates or None
        With one design: the levels of its resonance shift, metres of resonance.
    identifiable : bool
        Whether width and thickness were separated (two or more designs).
    split : str or None
        With one design, the rule that attributed the shift (one of :data:`SPLIT_RULES`).
    notes : tuple of str
        How each part was obtained and what it rests on.
    designs : dict
        Design label → :class:`DesignSensitivity`.
    variograms : dict
        Design label → :class:`EmpiricalVariogram` of its residuals.
    kernel_sse : dict of str to float
        Weighted SSE of each kernel (or width/thickness kernel pair) fitted, dimensionless.
    mean_shift_m : dict or None
        Design label → :class:`Estimate` of the mean shift from the nominal resonance, metres
        (None when the table had no ``nominal_resonance_m``: the design mean is the reference).
    prior : VariationModel
        Model the gap, the resonance mapping, the ring, the coupler and unestimated levels
        come from.
    wafers_per_lot : int
        Wafers per lot of the returned model, a count.
    wafer : Wafer
        Wafer size (its radius scales bowl and tilt).
    rings : pandas.DataFrame
        One row per ring: ``design``, ``lot``, ``wafer``, ``x_m``, ``y_m``,
        ``resonance_shift_m``, ``systematic_m`` (the fitted profile) and ``residual_m`` (shift
        minus its wafer mean and the profile: field plus local), metres, and ``wafer_index``
        (position of the ring's wafer in sorted (lot, wafer) order).
    confidence : float
        Two-sided confidence level of the intervals, a fraction.
    n_bootstrap : int
        Bootstrap replicates, a count.
    """

    width: LevelEstimates
    thickness: LevelEstimates
    resonance: LevelEstimates | None
    identifiable: bool
    split: str | None
    notes: tuple[str, ...]
    designs: dict
    variograms: dict
    kernel_sse: dict
    mean_shift_m: dict | None
    prior: VariationModel
    wafers_per_lot: int
    wafer: Wafer
    rings: object
    confidence: float
    n_bootstrap: int

    def to_variation_model(self) -> VariationModel:
        """The prior model with the calibrated width and thickness levels (point estimates)
        and ``wafers_per_lot``; gap, resonance mapping, ring and coupler are the prior's."""
        return dataclasses.replace(
            self.prior,
            width=self.width.to_parameter_variation(),
            thickness=self.thickness.to_parameter_variation(),
            wafers_per_lot=self.wafers_per_lot,
        )

    def to_toml(self) -> str:
        """TOML text of the ``[variation]`` table (and its sub-tables) a yield configuration
        accepts, headed by comments that say where it came from."""
        n_rings = len(self.rings)
        header = [
            "# Variation model calibrated from wafer test data (cposim.photonics.measure):",
            f"# {n_rings} rings, {self.rings.groupby(['lot', 'wafer']).ngroups} wafers, "
            f"{self.rings['lot'].nunique()} lots, designs {', '.join(map(str, self.designs))}.",
            *(f"# - {note}" for note in self.notes),
        ]
        return "\n".join(header) + "\n" + _config_toml(_VariationTable(self.to_variation_model()))

    def to_dataframe(self):
        """One row per estimated component: ``parameter``, ``component``, ``value``, ``low``,
        ``high``, ``standard_error``, ``source`` (units in the component's name)."""
        import pandas as pd

        rows = []
        for levels in (self.resonance, self.width, self.thickness):
            if levels is None:
                continue
            for name in COMPONENTS:
                estimate = getattr(levels, name)
                rows.append(
                    {
                        "parameter": levels.parameter,
                        "component": name,
                        **{
                            key: getattr(estimate, key)
                            for key in ("value", "low", "high", "standard_error", "source")
                        },
                    }
                )
        return pd.DataFrame(rows)

    def sensitivities(self, design=None) -> tuple[float, float]:
        """``(a_w, a_t)`` of a design, m/m.

        Parameters
        ----------
        design : hashable, optional
            Design label; the only design when omitted (required with several).
        """
        return _design_vector(self.designs[self.design_label(design)])

    def model_semivariance_m2(self, distance_m, design=None) -> np.ndarray:
        """Fitted semivariogram of a design's resonance shift, m².

        ``Σ_p a_p²·(σ_local,p² + σ_field,p²·(1 - ρ_p(h)))`` over width and thickness; with one
        design the fitted resonance levels themselves.

        Parameters
        ----------
        distance_m : array_like
            Ring separations, metres (> 0).
        design : hashable, optional
            Design label; the only design when omitted (required with several).
        """
        label = self.design_label(design)
        if self.resonance is not None:
            return self.resonance.to_parameter_variation().semivariogram_m2(distance_m)
        a = _design_vector(self.designs[label])
        return sum(
            coefficient**2 * levels.to_parameter_variation().semivariogram_m2(distance_m)
            for coefficient, levels in zip(a, (self.width, self.thickness), strict=True)
        )

    def design_label(self, design=None):
        """The calibrated design label ``design`` names (checked), or the only one.

        Parameters
        ----------
        design : hashable, optional
            Design label; may be omitted when one design was calibrated.
        """
        if design is None:
            if len(self.designs) > 1:
                raise ValueError(
                    f"design must be one of {', '.join(map(repr, self.designs))} (several "
                    "designs were calibrated)"
                )
            return next(iter(self.designs))
        if design not in self.designs:
            raise ValueError(
                f"design = {design!r} is not a calibrated design; choose one of "
                f"{', '.join(map(repr, self.designs))}"
            )
        return design

    # ---------------------------------------------------------------------------------- plots
    def plot(self, ax=None, *, kind: str = "variogram", wafer: int = 0, design=None, rng=None):
        """One view of the calibration; returns the Axes (two for ``"wafer_map"``).

        Parameters
        ----------
        ax : matplotlib.axes.Axes or pair of Axes, optional
            Where to draw; a new figure when omitted.
        kind : {"variogram", "wafer_map", "residual_map"}
            Measured against fitted semivariogram of every design; measured wafer map beside a
            wafer simulated from :meth:`to_variation_model`; map of the residuals (field plus
            local) of one wafer.
        wafer : int
            Position of the wafer in the table's sorted (lot, wafer) order (maps only).
        design : hashable, optional
            Design to map; the only design when omitted (maps only).
        rng : int, numpy.random.Generator or None
            Seed of the simulated wafer (``"wafer_map"`` only).
        """
        from cposim.photonics.measure import calibration_plot as plot

        check_choice("kind", kind, PLOT_KINDS)
        if kind == "variogram":
            return plot.variogram(self, ax)
        if kind == "wafer_map":
            return plot.wafer_maps(self, ax, wafer=wafer, design=design, rng=rng)
        return plot.residual_map(self, ax, wafer=wafer, design=design)


@dataclass(frozen=True)
class _VariationTable:
    """The ``[variation]`` table of a yield configuration (for :meth:`to_toml`)."""

    variation: VariationModel


# ------------------------------------------------------------------------------ calibration
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


# -------------------------------------------------------------------------------- input table
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


def _design_vector(design: DesignSensitivity) -> tuple[float, float]:
    return (design.dlambda_dwidth, design.dlambda_dthickness)


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


# ------------------------------------------------------------------------------- the fitting
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


# ------------------------------------------------------------------------------ summarising
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


__all__ = [
    "COMPONENTS",
    "KERNEL_CHOICES",
    "OFFSET_LEVELS",
    "PLOT_KINDS",
    "SPLIT_RULES",
    "DesignSensitivity",
    "EmpiricalVariogram",
    "Estimate",
    "LevelEstimates",
    "VariationCalibration",
    "calibrate_variation",
    "empirical_variogram",
]
