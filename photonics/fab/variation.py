"""Fabrication variation: wafers of dies of rings, sampled the way a fab produces them.

Model
-----
Three geometric parameters vary: waveguide width ``w``, silicon thickness ``t`` and the
ring-bus coupling gap ``g``. Each deviation from nominal is a sum of levels
(:class:`ParameterVariation`):

``Δ(x, y) = lot + wafer + bowl·(r/R)² + tilt·(x·cos θ + y·sin θ)/R + σ_field·f(x, y) + σ_local·ε``

- *lot* and *wafer* offsets: one normal draw per lot (``wafers_per_lot`` consecutive wafer
  indices) and one per wafer, shared by every ring of the wafer;
- *systematic* across-wafer profile, the same on every wafer: a radial bowl (value at the wafer
  edge minus the centre, ``R`` the wafer radius) and a linear tilt (value at the edge along
  ``tilt_angle_rad``);
- *field*: a stationary Gaussian random field ``f`` of unit variance across the wafer with a
  Gaussian ``exp(-d²/(2ℓ²))`` or exponential ``exp(-d/ℓ)`` correlation (note: some tools write
  the Gaussian kernel as ``exp(-d²/ℓ²)``, i.e. with an ℓ larger by √2);
- *local* ring-to-ring mismatch ``ε``, independent for every ring.

Width and thickness are independent. At a fixed centre-to-centre pitch between ring and bus
waveguide, a wider line narrows the gap: the gap deviation is ``Δg = Δg_own -
gap_shrink_per_width·Δw`` (1 when both facing edges move by ``Δw/2``; 0 switches it off).

Mapping to rings
----------------
- Resonance shift (metres): ``Δλ = a_w·Δw + a_t·Δt + ½·c_ww·Δw² + ½·c_tt·Δt² + c_wt·Δw·Δt``.
- Power couplings: the gap/width curve of
  :class:`~cposim.photonics.devices.coupler.EvanescentCoupler`, pinned so that the nominal gap
  and width give the nominal ring's couplings, at gap ``reference_gap_m + Δg`` and width
  ``reference_width_m + Δw``; input and drop couplers of a ring see the same Δg and Δw.
- :meth:`~cposim.photonics.fab.result.VariationSample.to_rings` builds an array-valued
  :class:`~cposim.photonics.devices.ring.Ring`.
  The Ring model places resonances at ``λ_m = n_g·L/(m + (n_g - n_eff)·L/λ0)``; changing only
  ``neff`` by ``Δn = n_g·λ0·Δλ/(λ_res·(λ_res + Δλ))`` (≈ ``n_g·Δλ/λ``) moves the nominal
  resonance ``λ_res`` to exactly ``λ_res + Δλ`` and keeps ``n_g`` (hence FSR and dλ/dT) at
  nominal — a fabrication-induced change of the group index is neglected.

Sampling
--------
Fields by circulant embedding on a wafer grid, drawn at the ring positions from their exact
conditional distribution given the surrounding nodes (kriging plus a conditional residual, so
the ring-to-ring covariance is the kernel's within a cluster of neighbouring rings, and within
5e-3 in correlation between clusters and dies; cost O(N log N) in the grid size plus, per die,
O(rings × (nodes + residual modes)) of each cluster, see :mod:`cposim.photonics.fab._kernels`);
local mismatch and the mapping in a Numba kernel. Random streams are keyed by (seed, wafer
index) and (seed, lot index) through :class:`numpy.random.SeedSequence`, so a wafer's sample
does not depend on which other wafers are drawn in the same call, on their order or on the
chunking (it does depend on the model and on the layout, whose die pitch sets the field grid).
Wafers run in parallel threads.

Outputs (:class:`VariationSample`; float64 arrays of shape ``(n_wafers, n_dies,
n_rings_per_die)``): ``delta_width_m``, ``delta_thickness_m``, ``delta_gap_m`` and
``resonance_shift_m`` in metres; ``resonance_m`` (metres) and ``frequency_shift_hz`` (hertz)
derived from them; ``power_coupling_in()`` / ``power_coupling_drop()`` (κ², dimensionless,
evaluated on demand through the coupler model); ``to_rings()`` (array-valued ``Ring``); ring
positions and labels come from ``layout`` (``ring_x_m``, ``ring_y_m``, ``die.bank`` ...).

Example
-------
>>> from cposim.photonics import variation, wafer
>>> layout = wafer.WaferLayout()
>>> result = variation.sample(variation.preset("typical"), layout, wafer_indices=2, rng=1)
>>> result.resonance_shift_m.shape  # (wafers, dies per wafer, rings per die)
(2, 1732, 128)
>>> ax = result.plot(wafer=0)  # wafer map of the die-mean resonance shift
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cposim.control.core.validation import check_choice, check_integer, check_range
from cposim.photonics.devices.coupler import EvanescentCoupler
from cposim.photonics.devices.ring import Ring
from cposim.photonics.fab import _kernels as _k

PARAMETERS = ("width", "thickness", "gap")
"""Geometric parameters, in the order used by every (3, ...) array."""
LEVELS = ("lot", "wafer", "systematic", "field", "local")
"""Levels of the hierarchy, from the whole lot down to one ring."""
KERNELS = _k.KERNELS
PRESETS = ("typical", "pessimistic")


@dataclass(frozen=True, kw_only=True)
class ParameterVariation:
    """Hierarchical variation of one geometric parameter (width, thickness or gap).

    Every σ is a standard deviation in metres (≥ 0); the defaults are zero (no variation), so
    a model states each level it wants. See :func:`preset` for cited values.

    Parameters
    ----------
    lot_sigma_m : float
        Lot-to-lot offset σ, metres.
    wafer_sigma_m : float
        Wafer-to-wafer offset σ within a lot, metres.
    bowl_m : float
        Radial bowl: deviation at the wafer edge minus the centre, metres (either sign),
        profile ``(r/R)²``.
    tilt_m : float
        Linear tilt: deviation at the wafer edge along ``tilt_angle_rad`` (minus at the
        opposite edge), metres (either sign).
    tilt_angle_rad : float
        Direction of the tilt in radians from +x.
    field_sigma_m : float
        σ of the spatially correlated random field, metres.
    correlation_length_m : float
        Correlation length ℓ of the field, metres (> 0, ≤ 1).
    kernel : {"gaussian", "exponential"}
        Field correlation ``exp(-d²/(2ℓ²))`` or ``exp(-d/ℓ)``.
    local_sigma_m : float
        Uncorrelated ring-to-ring mismatch σ, metres.
    grid_spacing_m : float or None
        Spacing of the grid the field is synthesised on, metres (> 0, ≤ ℓ). ``None`` chooses
        ℓ/4 (Gaussian) or ℓ/8 (exponential). Rings are drawn conditionally on the grid, so
        their correlation is the kernel's within a cluster of rings whatever the spacing and
        within 5e-3 between clusters and dies at the defaults (see
        :mod:`cposim.photonics.fab._kernels`); a finer grid costs more FFT and more nodes.
    """

    lot_sigma_m: float = 0.0
    wafer_sigma_m: float = 0.0
    bowl_m: float = 0.0
    tilt_m: float = 0.0
    tilt_angle_rad: float = 0.0
    field_sigma_m: float = 0.0
    correlation_length_m: float = 4.5e-3
    kernel: str = "gaussian"
    local_sigma_m: float = 0.0
    grid_spacing_m: float | None = None

    def __post_init__(self):
        for name in ("lot_sigma_m", "wafer_sigma_m", "field_sigma_m", "local_sigma_m"):
            check_range(name, getattr(self, name), low=0.0, high=1e-6)
        for name in ("bowl_m", "tilt_m"):
            check_range(name, getattr(self, name), low=-1e-6, high=1e-6)
        check_range("tilt_angle_rad", self.tilt_angle_rad, low=-2 * np.pi, high=2 * np.pi)
        check_range(
            "correlation_length_m",
            self.correlation_length_m,
            low=0.0,
            high=1.0,
            low_inclusive=False,
        )
        check_choice("kernel", self.kernel, KERNELS)
        if self.grid_spacing_m is not None:
            check_range(
                "grid_spacing_m",
                self.grid_spacing_m,
                low=0.0,
                high=self.correlation_length_m,
                low_inclusive=False,
            )

    @property
    def field_spacing_m(self) -> float:
        """Grid spacing actually used for the field, metres."""
        if self.grid_spacing_m is not None:
            return self.grid_spacing_m
        return self.correlation_length_m / (4.0 if self.kernel == "gaussian" else 8.0)

    @property
    def random_variance_m2(self) -> float:
        """Variance of lot + wafer + field + local, m² (what a ring sees besides the profile)."""
        return (
            self.lot_sigma_m**2
            + self.wafer_sigma_m**2
            + self.field_sigma_m**2
            + self.local_sigma_m**2
        )

    def systematic_m(self, x_m, y_m, radius_m: float) -> np.ndarray:
        """Across-wafer profile (bowl + tilt) at wafer coordinates, metres.

        Parameters
        ----------
        x_m, y_m : array_like
            Wafer coordinates in metres (origin at the centre).
        radius_m : float
            Wafer radius in metres.
        """
        x, y = np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64)
        along = x * np.cos(self.tilt_angle_rad) + y * np.sin(self.tilt_angle_rad)
        return self.bowl_m * (x * x + y * y) / radius_m**2 + self.tilt_m * along / radius_m

    def semivariogram_m2(self, distance_m) -> np.ndarray:
        """Model semivariance of the field plus local mismatch between two distinct rings, m².

        ``γ(d) = σ_field²·(1 - ρ(d)) + σ_local²`` (the profile and offsets removed).

        Parameters
        ----------
        distance_m : array_like
            Ring separation in metres (> 0).
        """
        rho = _k.correlation(self.kernel, distance_m, self.correlation_length_m)
        return self.field_sigma_m**2 * (1.0 - rho) + self.local_sigma_m**2


def _typical_width():
    return ParameterVariation(
        lot_sigma_m=1.0e-9,
        wafer_sigma_m=1.0e-9,
        field_sigma_m=0.5e-9,
        correlation_length_m=4.5e-3,
        local_sigma_m=0.1e-9,
    )


def _typical_thickness():
    return ParameterVariation(
        lot_sigma_m=1.0e-9,
        wafer_sigma_m=1.0e-9,
        bowl_m=2.0e-9,
        tilt_m=1.0e-9,
        tilt_angle_rad=0.0,
        field_sigma_m=0.8e-9,
        correlation_length_m=30e-3,
    )


def _typical_gap():
    return ParameterVariation(
        wafer_sigma_m=2.0e-9,
        field_sigma_m=2.0e-9,
        correlation_length_m=4.5e-3,
        local_sigma_m=1.0e-9,
    )


@dataclass(frozen=True, kw_only=True)
class VariationModel:
    """Hierarchical width/thickness/gap variation and its mapping to ring parameters.

    The defaults are the ``"typical"`` preset (see :func:`preset` for the sources).

    Parameters
    ----------
    width, thickness, gap : ParameterVariation
        Variation of waveguide width, silicon thickness and ring-bus gap (own variation; the
        gap also follows the width, see ``gap_shrink_per_width``).
    wafers_per_lot : int
        Consecutive wafer indices sharing a lot offset (≥ 1). Default 25, the standard
        25-wafer lot/FOUP.
    dlambda_dwidth : float
        First-order resonance sensitivity to width, m/m (nm/nm). Default 0.59 (400×220 nm
        strip at 1310 nm, *estimated* with a mode solver, an assumption to calibrate against your
        process).
    dlambda_dthickness : float
        First-order resonance sensitivity to thickness, m/m. Default 0.96 (*estimated* with a
        mode solver, an assumption to calibrate against your process).
    d2lambda_dwidth2_per_m : float
        Second derivative of the resonance with width, 1/m. Default -2.4e6 (*assumption*:
        the width sensitivity falls by ≈ 0.24 nm/nm per 100 nm of width as the mode becomes
        more confined, e.g. 0.71 → 0.47 nm/nm from 350 to 450 nm; calibrate with a mode solver).
    d2lambda_dthickness2_per_m : float
        Second derivative with thickness, 1/m. Default -4.0e6 (*assumption*, same reasoning,
        the thickness sensitivity falling ≈ 0.4 nm/nm per 100 nm).
    d2lambda_dwidth_dthickness_per_m : float
        Mixed second derivative, 1/m. Default 0 (*assumption*: not characterised).
    gap_shrink_per_width : float
        Gap change per unit width change at fixed ring-bus pitch (0…1): ``Δg = Δg_own -
        gap_shrink_per_width·Δw``. Default 1.0 (both facing edges move by Δw/2, lithography
        bias acting on ring and bus alike; set 0 for independent gaps).
    ring : Ring
        Nominal (scalar) ring. Default ``Ring()``, the default-link demultiplexer ring.
    coupler : EvanescentCoupler
        Gap/width dependence of the couplings; its reference gap and width are the nominal
        ones, its reference coupling is replaced by the ring's nominal coupling of each port.
        Default ``EvanescentCoupler()`` (200 nm gap, 400 nm width).
    """

    width: ParameterVariation = field(default_factory=_typical_width)
    thickness: ParameterVariation = field(default_factory=_typical_thickness)
    gap: ParameterVariation = field(default_factory=_typical_gap)
    wafers_per_lot: int = 25
    dlambda_dwidth: float = 0.59
    dlambda_dthickness: float = 0.96
    d2lambda_dwidth2_per_m: float = -2.4e6
    d2lambda_dthickness2_per_m: float = -4.0e6
    d2lambda_dwidth_dthickness_per_m: float = 0.0
    gap_shrink_per_width: float = 1.0
    ring: Ring = field(default_factory=Ring)
    coupler: EvanescentCoupler = field(default_factory=EvanescentCoupler)

    def __post_init__(self):
        for name in PARAMETERS:
            if not isinstance(getattr(self, name), ParameterVariation):
                raise ValueError(
                    f"{name} must be a ParameterVariation; got {type(getattr(self, name)).__name__}"
                )
        check_integer("wafers_per_lot", self.wafers_per_lot, low=1)
        check_range("dlambda_dwidth", self.dlambda_dwidth, low=-10.0, high=10.0)
        check_range("dlambda_dthickness", self.dlambda_dthickness, low=-10.0, high=10.0)
        for name in (
            "d2lambda_dwidth2_per_m",
            "d2lambda_dthickness2_per_m",
            "d2lambda_dwidth_dthickness_per_m",
        ):
            check_range(name, getattr(self, name), low=-1e9, high=1e9)
        check_range("gap_shrink_per_width", self.gap_shrink_per_width, low=0.0, high=1.0)
        if not isinstance(self.ring, Ring) or self.ring.shape != ():
            raise ValueError("ring must be a single (scalar-valued) Ring: the nominal design")
        if not isinstance(self.coupler, EvanescentCoupler):
            raise ValueError("coupler must be an EvanescentCoupler")

    @property
    def parameters(self) -> tuple[ParameterVariation, ParameterVariation, ParameterVariation]:
        """``(width, thickness, gap)``."""
        return (self.width, self.thickness, self.gap)

    @property
    def nominal_resonance_m(self) -> float:
        """Resonance of the nominal ring nearest its ``wavelength0_m``, metres."""
        return float(self.ring.resonance_m(self.ring.wavelength0_m))

    def resonance_shift_moments(
        self, *, systematic_width_m: float = 0.0, systematic_thickness_m: float = 0.0
    ) -> tuple[float, float]:
        """Exact mean and standard deviation of a ring's resonance shift, metres.

        Over the random levels (lot, wafer, field, local) of a ring whose systematic profile
        is given. With Gaussian ``Δw = s_w + G_w``, ``Δt = s_t + G_t`` (variances ``v_w``,
        ``v_t``, independent) and the quadratic mapping, the effective slopes are
        ``α_w = a_w + c_ww·s_w + c_wt·s_t``, ``α_t = a_t + c_tt·s_t + c_wt·s_w``, and

        - mean ``= Δλ(s_w, s_t) + ½·c_ww·v_w + ½·c_tt·v_t``,
        - variance ``= α_w²·v_w + α_t²·v_t + ½·c_ww²·v_w² + ½·c_tt²·v_t² + c_wt²·v_w·v_t``.

        Parameters
        ----------
        systematic_width_m, systematic_thickness_m : float
            Across-wafer profile of width and thickness at the ring, metres.
        """
        s_w, s_t = float(systematic_width_m), float(systematic_thickness_m)
        v_w, v_t = self.width.random_variance_m2, self.thickness.random_variance_m2
        a_w, a_t, c_ww, c_tt, c_wt, _ = self._mapping()
        alpha_w = a_w + c_ww * s_w + c_wt * s_t
        alpha_t = a_t + c_tt * s_t + c_wt * s_w
        centre = (
            a_w * s_w + a_t * s_t + 0.5 * c_ww * s_w**2 + 0.5 * c_tt * s_t**2 + c_wt * s_w * s_t
        )
        mean = centre + 0.5 * c_ww * v_w + 0.5 * c_tt * v_t
        variance = (
            alpha_w**2 * v_w
            + alpha_t**2 * v_t
            + 0.5 * c_ww**2 * v_w**2
            + 0.5 * c_tt**2 * v_t**2
            + c_wt**2 * v_w * v_t
        )
        return mean, float(np.sqrt(variance))

    def _mapping(self) -> np.ndarray:
        return np.array(
            [
                self.dlambda_dwidth,
                self.dlambda_dthickness,
                self.d2lambda_dwidth2_per_m,
                self.d2lambda_dthickness2_per_m,
                self.d2lambda_dwidth_dthickness_per_m,
                self.gap_shrink_per_width,
            ]
        )


def preset(name: str) -> VariationModel:
    """A named variation model: ``"typical"`` or ``"pessimistic"``.

    ``"typical"`` — a mature 300 mm SOI line, calibrated to Zortman et al., Opt. Express 18(23),
    23598 (2010) (resonances within 1 THz across a wafer and 105 GHz within a die, thickness
    dominating; see also Chrostowski & Hochberg, Silicon Photonics Design, ch. 11). Thickness:
    lot and wafer σ 1 nm, bowl 2 nm, tilt 1 nm, field σ 0.8 nm with a 30 mm Gaussian
    correlation (SOI thickness varies slowly); width: lot and wafer σ 1 nm, field σ 0.5 nm with
    the 4.5 mm Gaussian correlation of the UBC layout-aware model (Lu et al. 2017; Jhoja et al.,
    Opt. Express 28(6), 7799 (2020); simphony 0.6 defaults), local σ 0.1 nm; gap: wafer and
    field σ 2 nm (4.5 mm), local σ 1 nm. The level split is an *assumption*; the totals
    reproduce the Zortman spreads in order of magnitude (tested).

    ``"pessimistic"`` — the WDMSim envelope (github.com/wdmsim/wdm-simulator: local ±2 nm,
    global ±15 nm of resonance, uniform) on top of the UBC/simphony fields (σ_w 5 nm, σ_t 2 nm,
    4.5 mm, Gaussian). The uniform ranges are matched in variance by Gaussian levels: local
    width σ ``2 nm/√3/0.59 = 1.96 nm``; thickness lot and wafer σ 5.83 nm each so that lot +
    wafer + fields give a global resonance σ of ``15 nm/√3 = 8.66 nm``; gap field σ 5 nm, local
    2 nm.

    Parameters
    ----------
    name : {"typical", "pessimistic"}
        Preset name.
    """
    check_choice("name", name, PRESETS)
    if name == "typical":
        return VariationModel()
    return VariationModel(
        width=ParameterVariation(
            field_sigma_m=5e-9, correlation_length_m=4.5e-3, local_sigma_m=1.96e-9
        ),
        thickness=ParameterVariation(
            lot_sigma_m=5.83e-9,
            wafer_sigma_m=5.83e-9,
            field_sigma_m=2e-9,
            correlation_length_m=4.5e-3,
        ),
        gap=ParameterVariation(field_sigma_m=5e-9, correlation_length_m=4.5e-3, local_sigma_m=2e-9),
    )


__all__ = [
    "KERNELS",
    "LEVELS",
    "PARAMETERS",
    "PRESETS",
    "ParameterVariation",
    "VariationModel",
    "preset",
]
