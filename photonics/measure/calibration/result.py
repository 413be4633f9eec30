"""What :func:`~cposim.photonics.measure.calibration.calibrate_variation` returns: each
estimate with its interval, the levels of one parameter, the semivariograms, and
:class:`VariationCalibration`, which becomes a
:class:`~cposim.photonics.fab.variation.VariationModel`."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_choice, check_range
from cposim.photonics.fab.variation import ParameterVariation, VariationModel
from cposim.photonics.fab.wafer import Wafer
from cposim.photonics.runtime.toml import to_toml as _config_toml

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
        from cposim.photonics.measure.calibration import plot

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


def _design_vector(design: DesignSensitivity) -> tuple[float, float]:
    return (design.dlambda_dwidth, design.dlambda_dthickness)


__all__ = [
    "COMPONENTS",
    "PLOT_KINDS",
    "DesignSensitivity",
    "EmpiricalVariogram",
    "Estimate",
    "LevelEstimates",
    "VariationCalibration",
]
