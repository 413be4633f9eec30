"""Results of the variation sampler: :class:`VariationSample` (every ring's width, thickness and
gap deviation and resonance shift, with couplings, rings, wafer maps and variograms derived
from them) and :class:`Variogram`.

Produced by :func:`cposim.photonics.fab.sampling.sample`; the model is
:class:`cposim.photonics.fab.variation.VariationModel`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_choice
from cposim.photonics.devices.ring import Ring
from cposim.photonics.fab.variation import PARAMETERS, VariationModel
from cposim.photonics.fab.wafer import WaferLayout
from cposim.photonics.units import SPEED_OF_LIGHT_M_PER_S


# ------------------------------------------------------------------------------------- results
@dataclass(frozen=True, kw_only=True, eq=False)
class VariationSample:
    """Per-ring fabrication deviations of a set of wafers.

    Per-ring arrays have shape ``(n_wafers, n_dies, n_rings_per_die)``: wafer ``wafer_index[i]``,
    die ``j`` of ``layout`` (positions ``layout.die_x_m[j]``...), ring ``k`` of
    ``layout.die`` (engine/bank/ring labels ``layout.die.engine[k]``...).

    Parameters
    ----------
    model : VariationModel
        The model sampled.
    layout : WaferLayout
        Wafer, die grid and ring layout.
    wafer_index : ndarray of int, shape (n_wafers,)
        Wafer indices, in the order of the first array axis.
    seed_sequence : numpy.random.SeedSequence
        Root of the keyed streams (pass it back as ``rng`` to reproduce).
    delta_width_m, delta_thickness_m : ndarray
        Width and thickness deviations from nominal, metres.
    delta_gap_m : ndarray
        Gap deviation from nominal, metres (own variation minus ``gap_shrink_per_width·Δw``).
    resonance_shift_m : ndarray
        Resonance wavelength shift from the nominal resonance, metres (red shift positive).
    levels : dict of str to ndarray or None
        With ``keep_levels=True``: for each of :data:`LEVELS`, an array of shape
        ``(3, n_wafers, n_dies, n_rings_per_die)`` with that level's own contribution to
        (width, thickness, gap), metres (the gap's width-following term is not in any level).
    """

    model: VariationModel
    layout: WaferLayout
    wafer_index: np.ndarray
    seed_sequence: np.random.SeedSequence
    delta_width_m: np.ndarray
    delta_thickness_m: np.ndarray
    delta_gap_m: np.ndarray
    resonance_shift_m: np.ndarray
    levels: dict | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(n_wafers, n_dies, n_rings_per_die)``."""
        return self.resonance_shift_m.shape

    @property
    def nominal_resonance_m(self) -> float:
        """Resonance of the nominal ring, metres."""
        return self.model.nominal_resonance_m

    @property
    def resonance_m(self) -> np.ndarray:
        """Resonance wavelength of every ring, metres."""
        return self.nominal_resonance_m + self.resonance_shift_m

    @property
    def frequency_shift_hz(self) -> np.ndarray:
        """Resonance frequency shift ``c/λ - c/λ_nominal``, hertz (negative for a red shift)."""
        nominal = self.nominal_resonance_m
        return SPEED_OF_LIGHT_M_PER_S * (1.0 / (nominal + self.resonance_shift_m) - 1.0 / nominal)

    def power_coupling_in(self) -> np.ndarray:
        """Input-bus power coupling κ1² of every ring (dimensionless), from gap and width."""
        return self._power_coupling(self.model.ring.power_coupling_in)

    def power_coupling_drop(self) -> np.ndarray:
        """Drop-bus power coupling κ2² of every ring (zeros for an all-pass nominal ring)."""
        return self._power_coupling(self.model.ring.power_coupling_drop)

    def _power_coupling(self, nominal: float) -> np.ndarray:
        if nominal == 0.0:
            return np.zeros(self.shape)
        coupler = dataclasses.replace(self.model.coupler, reference_power_coupling=nominal)
        return coupler.power_coupling(
            coupler.reference_gap_m + self.delta_gap_m,
            coupler.reference_width_m + self.delta_width_m,
        )

    def to_rings(self) -> Ring:
        """Array-valued :class:`Ring` of shape ``(n_wafers, n_dies, n_rings_per_die)``.

        Each ring has the nominal design with ``neff`` moved so that its resonance sits at
        exactly ``nominal_resonance_m + resonance_shift_m`` (see the module notes) and the
        couplings from :meth:`power_coupling_in` / :meth:`power_coupling_drop`, so its own Q and
        extinction follow.
        """
        ring = self.model.ring
        nominal = self.nominal_resonance_m
        shift = self.resonance_shift_m
        delta_neff = ring.ng * ring.wavelength0_m * shift / (nominal * (nominal + shift))
        return dataclasses.replace(
            ring,
            neff=ring.neff + delta_neff,
            power_coupling_in=self.power_coupling_in(),
            power_coupling_drop=self.power_coupling_drop(),
        )

    def to_dataframe(self):
        """One row per ring: ``wafer``, ``die``, ``engine``, ``bank``, ``ring``, ``x_m``,
        ``y_m`` (wafer coordinates), ``delta_width_m``, ``delta_thickness_m``, ``delta_gap_m``,
        ``resonance_shift_m``, ``frequency_shift_hz``, ``power_coupling_in``."""
        import pandas as pd

        n_wafers, n_dies, n_rings = self.shape
        die_layout = self.layout.die

        def per_ring(values):  # (n_rings,) labels -> flat
            return np.tile(values, n_wafers * n_dies)

        return pd.DataFrame(
            {
                "wafer": np.repeat(self.wafer_index, n_dies * n_rings),
                "die": np.tile(np.repeat(np.arange(n_dies), n_rings), n_wafers),
                "engine": per_ring(die_layout.engine),
                "bank": per_ring(die_layout.bank),
                "ring": per_ring(die_layout.ring),
                "x_m": np.tile(self.layout.ring_x_m.ravel(), n_wafers),
                "y_m": np.tile(self.layout.ring_y_m.ravel(), n_wafers),
                "delta_width_m": self.delta_width_m.ravel(),
                "delta_thickness_m": self.delta_thickness_m.ravel(),
                "delta_gap_m": self.delta_gap_m.ravel(),
                "resonance_shift_m": self.resonance_shift_m.ravel(),
                "frequency_shift_hz": self.frequency_shift_hz.ravel(),
                "power_coupling_in": self.power_coupling_in().ravel(),
            }
        )

    # ---------------------------------------------------------------------------------- plots
    def plot(self, ax=None, *, wafer: int = 0):
        """Wafer map of the die-mean resonance shift (nm); returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into; a new figure is made when omitted.
        wafer : int
            Position along the first axis (not the wafer index) of the wafer to draw.
        """
        from cposim.photonics.fab import plot

        return plot.wafer_map(self, ax, wafer=wafer)

    def plot_die(self, ax=None, *, wafer: int = 0, die: int | None = None):
        """Within-die map: each ring at its position coloured by its resonance shift (nm).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into; a new figure is made when omitted.
        wafer : int
            Position along the first axis of the wafer to draw.
        die : int, optional
            Die number; the die nearest the wafer centre when omitted.
        """
        from cposim.photonics.fab import plot

        return plot.die_map(self, ax, wafer=wafer, die=die)

    def plot_histograms(self, ax=None, *, by: str = "level", bins: int = 80):
        """Histograms of the first-order resonance-shift contributions, in nm.

        ``by="level"`` (needs ``keep_levels=True``) splits ``a_w·Δw + a_t·Δt`` by lot, wafer,
        systematic, field and local level; ``by="parameter"`` shows ``a_w·Δw``, ``a_t·Δt`` and
        the total shift. Returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into; a new figure is made when omitted.
        by : {"level", "parameter"}
            How to split.
        bins : int
            Number of histogram bins.
        """
        from cposim.photonics.fab import plot

        return plot.histograms(self, ax, by=by, bins=bins)

    def variogram(
        self, parameter: str = "width", *, n_pairs: int = 200_000, n_bins: int = 20, rng=None
    ) -> Variogram:
        """Empirical semivariogram of one parameter's own variation within wafers.

        Uses ``r = Δ_own - profile`` (for the gap ``Δg + gap_shrink_per_width·Δw``), whose
        within-wafer differences contain only field and local levels; half the pairs are
        drawn within one die, half anywhere on the wafer, and binned on a log distance scale.

        Parameters
        ----------
        parameter : {"width", "thickness", "gap"}
            Which parameter.
        n_pairs : int
            Number of random ring pairs (≥ 100).
        n_bins : int
            Number of distance bins (≥ 2).
        rng : numpy.random.Generator, int or None
            Picks the pairs.
        """
        check_choice("parameter", parameter, PARAMETERS)
        if n_pairs < 100 or n_bins < 2:
            raise ValueError(f"n_pairs = {n_pairs} must be >= 100 and n_bins = {n_bins} >= 2")
        generator = np.random.default_rng(rng)
        variation = getattr(self.model, parameter)
        layout = self.layout
        own = {
            "width": self.delta_width_m,
            "thickness": self.delta_thickness_m,
            "gap": self.delta_gap_m + self.model.gap_shrink_per_width * self.delta_width_m,
        }
        residual = own[parameter] - variation.systematic_m(
            layout.ring_x_m, layout.ring_y_m, layout.wafer.radius_m
        )
        n_wafers, n_dies, n_rings = self.shape
        wafer = generator.integers(n_wafers, size=n_pairs)
        die_a = generator.integers(n_dies, size=n_pairs)
        same_die = np.arange(n_pairs) < n_pairs // 2
        die_b = np.where(same_die, die_a, generator.integers(n_dies, size=n_pairs))
        ring_a = generator.integers(n_rings, size=n_pairs)
        ring_b = generator.integers(n_rings, size=n_pairs)
        distinct = (die_a != die_b) | (ring_a != ring_b)
        wafer, die_a, die_b, ring_a, ring_b = (
            v[distinct] for v in (wafer, die_a, die_b, ring_a, ring_b)
        )
        distance = np.hypot(
            layout.ring_x_m[die_a, ring_a] - layout.ring_x_m[die_b, ring_b],
            layout.ring_y_m[die_a, ring_a] - layout.ring_y_m[die_b, ring_b],
        )
        half_square = 0.5 * (residual[wafer, die_a, ring_a] - residual[wafer, die_b, ring_b]) ** 2
        edges = np.geomspace(distance.min(), distance.max() * (1 + 1e-12), n_bins + 1)
        which = np.clip(np.searchsorted(edges, distance, side="right") - 1, 0, n_bins - 1)
        count = np.bincount(which, minlength=n_bins)
        with np.errstate(invalid="ignore"):
            semivariance = np.bincount(which, half_square, n_bins) / count
            mean_distance = np.bincount(which, distance, n_bins) / count
        keep = count > 0
        model_distance = np.geomspace(edges[0], edges[-1], 200)
        return Variogram(
            parameter=parameter,
            distance_m=mean_distance[keep],
            semivariance_m2=semivariance[keep],
            pair_count=count[keep],
            model_distance_m=model_distance,
            model_semivariance_m2=variation.semivariogram_m2(model_distance),
        )


@dataclass(frozen=True, kw_only=True, eq=False)
class Variogram:
    """Empirical semivariogram of one parameter against the model.

    Parameters
    ----------
    parameter : str
        ``"width"``, ``"thickness"`` or ``"gap"``.
    distance_m : ndarray
        Mean pair distance of each bin, metres.
    semivariance_m2 : ndarray
        Empirical semivariance ``½·E[(r_i - r_j)²]`` of each bin, m².
    pair_count : ndarray of int
        Pairs per bin.
    model_distance_m, model_semivariance_m2 : ndarray
        Model curve ``σ_field²·(1 - ρ(d)) + σ_local²``, metres and m².
    """

    parameter: str
    distance_m: np.ndarray
    semivariance_m2: np.ndarray
    pair_count: np.ndarray
    model_distance_m: np.ndarray
    model_semivariance_m2: np.ndarray

    def to_dataframe(self):
        """Columns ``distance_m``, ``semivariance_m2``, ``pair_count``."""
        import pandas as pd

        return pd.DataFrame(
            {
                "distance_m": self.distance_m,
                "semivariance_m2": self.semivariance_m2,
                "pair_count": self.pair_count,
            }
        )

    def plot(self, ax=None):
        """Empirical points and model curve, semivariance in nm² against distance in mm.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into; a new figure is made when omitted.
        """
        from cposim.photonics.fab import plot

        return plot.variogram(self, ax)


__all__ = [
    "VariationSample",
    "Variogram",
]
