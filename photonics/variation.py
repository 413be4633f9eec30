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
- Power couplings: the gap/width curve of :class:`~cposim.photonics.coupler.EvanescentCoupler`,
  pinned so that the nominal gap and width give the nominal ring's couplings, at gap
  ``reference_gap_m + Δg`` and width ``reference_width_m + Δw``; input and drop couplers of a
  ring see the same Δg and Δw.
- :meth:`VariationSample.to_rings` builds an array-valued :class:`~cposim.photonics.ring.Ring`.
  The Ring model places resonances at ``λ_m = n_g·L/(m + (n_g - n_eff)·L/λ0)``; changing only
  ``neff`` by ``Δn = n_g·λ0·Δλ/(λ_res·(λ_res + Δλ))`` (≈ ``n_g·Δλ/λ``) moves the nominal
  resonance ``λ_res`` to exactly ``λ_res + Δλ`` and keeps ``n_g`` (hence FSR and dλ/dT) at
  nominal — a fabrication-induced change of the group index is neglected.

Sampling
--------
Fields by circulant embedding on a wafer grid with variance-normalised bilinear interpolation
to ring positions (cost O(N log N) in the grid size plus O(1) per ring, see
:mod:`cposim.photonics._variation_kernels`); local mismatch and the mapping in a Numba kernel.
Random streams are keyed by (seed, wafer index) and (seed, lot index) through
:class:`numpy.random.SeedSequence`, so a wafer's sample does not depend on which other wafers
are drawn in the same call, on their order or on the chunking (it does depend on the model and
on the layout, whose die pitch sets the field grid). Wafers run in parallel threads.

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

import dataclasses
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import scipy.fft

from cposim.control._validation import check_choice, check_integer, check_range
from cposim.photonics import _variation_kernels as _k
from cposim.photonics.coupler import EvanescentCoupler
from cposim.photonics.ring import Ring
from cposim.photonics.wafer import WaferLayout

SPEED_OF_LIGHT_M_PER_S = 299_792_458.0
PARAMETERS = ("width", "thickness", "gap")
"""Geometric parameters, in the order used by every (3, ...) array."""
LEVELS = ("lot", "wafer", "systematic", "field", "local")
"""Levels of the hierarchy, from the whole lot down to one ring."""
KERNELS = _k.KERNELS
PRESETS = ("typical", "pessimistic")
_MAX_GRID_NODES = 4096  # per side; a finer grid needs a smaller wafer or a coarser spacing


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
        ℓ/4 (Gaussian; correlation error < 0.01) or ℓ/8 (exponential; < 0.08), see
        :mod:`cposim.photonics._variation_kernels`.
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
        First-order resonance sensitivity to width, m/m (nm/nm). Default 0.59 (REFERENCE.md C,
        400×220 nm strip at 1310 nm, *estimated* by a mode solver).
    dlambda_dthickness : float
        First-order resonance sensitivity to thickness, m/m. Default 0.96 (REFERENCE.md C,
        *estimated*).
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

    ``"typical"`` — a mature 300 mm SOI line, calibrated to Zortman et al., Opt. Express 18,
    23598 (2010) (REFERENCE.md C: resonances within 1 THz across a wafer and 105 GHz within a
    die, thickness dominating). Thickness: lot and wafer σ 1 nm, bowl 2 nm, tilt 1 nm, field
    σ 0.8 nm with a 30 mm Gaussian correlation (SOI thickness varies slowly); width: lot and
    wafer σ 1 nm, field σ 0.5 nm with the 4.5 mm Gaussian correlation of the UBC layout-aware
    model (Lu et al. 2017; simphony defaults; REFERENCE.md C), local σ 0.1 nm; gap: wafer and
    field σ 2 nm (4.5 mm), local σ 1 nm. The level split is an *assumption*; the totals
    reproduce the Zortman spreads in order of magnitude (tested).

    ``"pessimistic"`` — the WDMSim envelope (REFERENCE.md C: local ±2 nm, global ±15 nm of
    resonance, uniform) on top of the UBC/simphony fields (σ_w 5 nm, σ_t 2 nm, 4.5 mm,
    Gaussian). The uniform ranges are matched in variance by Gaussian levels: local width σ
    ``2 nm/√3/0.59 = 1.96 nm``; thickness lot and wafer σ 5.83 nm each so that lot + wafer +
    fields give a global resonance σ of ``15 nm/√3 = 8.66 nm``; gap field σ 5 nm, local 2 nm.

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


# ------------------------------------------------------------------------------------ sampling
def sample(
    model: VariationModel,
    layout: WaferLayout,
    *,
    wafer_indices,
    rng=None,
    keep_levels: bool = False,
    workers: int | None = None,
) -> VariationSample:
    """Sample every ring of the given wafers.

    Parameters
    ----------
    model : VariationModel
        Variation model and mapping.
    layout : WaferLayout
        Wafer, die grid and ring layout.
    wafer_indices : int or array_like of int
        Which wafers (≥ 0) to draw; an int ``n`` means ``range(n)``. A wafer's sample depends
        only on the seed, its index, the model and the layout — not on the other indices, their
        order or how a run is chunked.
    rng : int, numpy.random.SeedSequence, numpy.random.Generator or None
        Root of the keyed streams. An int or SeedSequence gives reproducible, chunk-invariant
        streams; a Generator is asked for one root integer (so two calls with the same
        Generator differ); None uses fresh OS entropy. The root is kept in the result
        (``seed_sequence``) to reproduce it.
    keep_levels : bool
        Also return each level separately (``levels``, computed in addition by the plain NumPy
        path: about 10× slower and 5× the memory, meant for plots and checks, not for yield
        runs). The per-ring totals are the same bit for bit either way.
    workers : int or None
        Threads drawing wafers in parallel (≥ 1); None uses the CPU count.

    Returns
    -------
    VariationSample
        Per-ring arrays of shape (n_wafers, n_dies, n_rings_per_die).
    """
    if not isinstance(model, VariationModel):
        raise ValueError(f"model must be a VariationModel; got {type(model).__name__}")
    if not isinstance(layout, WaferLayout):
        raise ValueError(f"layout must be a WaferLayout; got {type(layout).__name__}")
    indices = _wafer_indices(wafer_indices)
    root = _root_seed(rng)
    if workers is None:
        workers = os.cpu_count() or 1
    check_integer("workers", workers, low=1)
    plan = _Plan(model, layout)
    shape = (indices.size, layout.n_dies, layout.n_rings_per_die)
    outputs = [np.empty(shape) for _ in range(4)]
    levels = {name: np.empty((3, *shape)) for name in LEVELS} if keep_levels else None

    def run(position):
        plan.draw_wafer(
            root,
            int(indices[position]),
            [o[position].reshape(-1) for o in outputs],
            None if levels is None else {k: v[:, position] for k, v in levels.items()},
        )

    if workers == 1 or indices.size == 1:
        for position in range(indices.size):
            run(position)
    else:
        with ThreadPoolExecutor(max_workers=min(workers, indices.size)) as pool:
            list(pool.map(run, range(indices.size)))
    return VariationSample(
        model=model,
        layout=layout,
        wafer_index=indices,
        seed_sequence=root,
        delta_width_m=outputs[0],
        delta_thickness_m=outputs[1],
        delta_gap_m=outputs[2],
        resonance_shift_m=outputs[3],
        levels=levels,
    )


def _wafer_indices(wafer_indices) -> np.ndarray:
    if isinstance(wafer_indices, int | np.integer):
        if wafer_indices < 1:
            raise ValueError(f"wafer_indices = {wafer_indices!r} must be >= 1 wafers")
        return np.arange(int(wafer_indices))
    values = check_range("wafer_indices", wafer_indices, low=0.0, high=2.0**62)
    if values.ndim != 1 or values.size == 0 or np.any(values != np.round(values)):
        raise ValueError("wafer_indices must be an int or a non-empty 1-D array of whole numbers")
    return values.astype(np.int64)


def _root_seed(rng) -> np.random.SeedSequence:
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(int(rng.integers(2**63)))
    if rng is None:
        return np.random.SeedSequence()
    if isinstance(rng, int | np.integer) and rng >= 0:
        return np.random.SeedSequence(int(rng))
    raise ValueError(f"rng = {rng!r} must be a Generator, a SeedSequence, an int >= 0 or None")


def _stream(root: np.random.SeedSequence, kind: int, index: int) -> np.random.Generator:
    """Generator keyed by (root, kind, index): kind 0 = wafer, 1 = lot."""
    key = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, kind, index))
    return np.random.Generator(np.random.PCG64(key))


class _Plan:
    """Per-call constants (grids, interpolation tables, positions) and the per-wafer draw."""

    def __init__(self, model: VariationModel, layout: WaferLayout):
        self.model = model
        radius = layout.wafer.radius_m
        self.x = np.ascontiguousarray(layout.ring_x_m.ravel())
        self.y = np.ascontiguousarray(layout.ring_y_m.ravel())
        params = model.parameters
        self.lot_sigma = np.array([p.lot_sigma_m for p in params])
        self.wafer_sigma = np.array([p.wafer_sigma_m for p in params])
        n_dies, n_rings = layout.n_dies, layout.n_rings_per_die
        die_node = np.zeros((3, n_dies), dtype=np.int64)
        ring_node = np.zeros((3, n_rings, 4), dtype=np.int64)
        ring_weight = np.zeros((3, n_rings, 4))
        self.grids: list[_k.FieldGrid | None] = []
        for index, (name, p) in enumerate(zip(PARAMETERS, params, strict=True)):
            if p.field_sigma_m == 0.0:
                self.grids.append(None)
                continue
            spacing = min(
                _k.aligned_spacing(p.field_spacing_m, layout.pitch_x_m),
                _k.aligned_spacing(p.field_spacing_m, layout.pitch_y_m),
            )
            if 2.0 * radius / spacing > _MAX_GRID_NODES:
                raise ValueError(
                    f"{name}.grid_spacing_m = {p.field_spacing_m!r} needs "
                    f"{2.0 * radius / spacing:.0f} grid nodes across the wafer; must be <= "
                    f"{_MAX_GRID_NODES} (raise grid_spacing_m or correlation_length_m)"
                )
            grid = _k.field_grid(
                p.kernel,
                p.correlation_length_m,
                p.field_spacing_m,
                pitch_x_m=layout.pitch_x_m,
                pitch_y_m=layout.pitch_y_m,
                anchor_x_m=layout.die_x_m[0],
                anchor_y_m=layout.die_y_m[0],
                radius_m=radius,
            )
            self.grids.append(grid)
            # Die corners sit on nodes, so the k-th ring of every die has the same weights.
            die_ix = np.rint((layout.die_x_m - grid.x0_m) / grid.spacing_x_m).astype(np.int64)
            die_iy = np.rint((layout.die_y_m - grid.y0_m) / grid.spacing_y_m).astype(np.int64)
            die_node[index] = die_iy * grid.nx + die_ix
            ix, iy, ring_weight[index] = _k.bilinear_weights(
                grid._replace(x0_m=0.0, y0_m=0.0), layout.die.ring_x_m, layout.die.ring_y_m
            )
            corner = iy * grid.nx + ix
            ring_node[index] = np.stack(
                [corner, corner + 1, corner + grid.nx, corner + grid.nx + 1], axis=-1
            )
        # Parameters whose fields share a spectrum share one complex FFT (two fields per FFT).
        self.fft_groups: list[list[int]] = []
        for index, grid in enumerate(self.grids):
            if grid is None:
                continue
            partner = next(
                (
                    group
                    for group in self.fft_groups
                    if len(group) == 1 and _same_spectrum(self.grids[group[0]], grid)
                ),
                None,
            )
            if partner is None:
                self.fft_groups.append([index])
            else:
                partner.append(index)
        local_row = -np.ones(3)
        with_local = [i for i, p in enumerate(params) if p.local_sigma_m > 0.0]
        local_row[with_local] = np.arange(len(with_local))
        self.n_local = len(with_local)
        self.coefficients = np.array(
            [
                [
                    0.0,
                    p.bowl_m,
                    p.tilt_m * np.cos(p.tilt_angle_rad),
                    p.tilt_m * np.sin(p.tilt_angle_rad),
                    p.field_sigma_m,
                    row,
                    p.local_sigma_m,
                ]
                for p, row in zip(params, local_row, strict=True)
            ]
        )
        self.constant = dict(
            inverse_radius_per_m=1.0 / radius,
            die_node=die_node,
            ring_node=ring_node,
            ring_weight=ring_weight,
            mapping=model._mapping(),
        )

    def draw_wafer(self, root, wafer_index: int, outputs, levels, *, reference: bool = False):
        """Draw one wafer into ``outputs`` (4 flat arrays) and optionally ``levels``."""
        lot_offset = self.lot_sigma * _stream(
            root, 1, wafer_index // self.model.wafers_per_lot
        ).standard_normal(3)
        generator = _stream(root, 0, wafer_index)
        wafer_offset = self.wafer_sigma * generator.standard_normal(3)
        fields = [np.zeros(1)] * 3
        fft = np.fft.fft2 if reference else scipy.fft.fft2
        for group in self.fft_groups:
            grid = self.grids[group[0]]
            noise = generator.standard_normal((2, *grid.sqrt_eigenvalues.shape))
            pair = _k.field_pair(grid, noise, fft=fft)
            for slot, index in enumerate(group):
                fields[index] = pair[slot].ravel()
        local_noise = generator.standard_normal((self.n_local, self.x.size))
        coefficients = self.coefficients.copy()
        coefficients[:, 0] = lot_offset + wafer_offset
        terms = _k.AssemblyTerms(coefficients=coefficients, grids=tuple(fields), **self.constant)
        if reference:
            totals, _ = _k.assemble_reference(self.x, self.y, local_noise, terms, self.grids)
            for output, name in zip(outputs, ("width", "thickness", "gap", "shift"), strict=True):
                output[...] = totals[name]
            return
        _k.assemble(self.x, self.y, local_noise, terms, *outputs)
        if levels is not None:
            # Levels come from the reference path; the totals above stay those of the kernel,
            # so keep_levels does not change a single bit of the sample.
            _, parts = _k.assemble_reference(self.x, self.y, local_noise, terms, self.grids)
            shape = levels["lot"].shape
            levels["lot"][...] = np.broadcast_to(lot_offset[:, None, None], shape)
            levels["wafer"][...] = np.broadcast_to(wafer_offset[:, None, None], shape)
            for name in ("systematic", "field", "local"):
                levels[name][...] = parts[name].reshape(shape)


def _same_spectrum(a: _k.FieldGrid, b: _k.FieldGrid) -> bool:
    # Embeddings are cached, so equal spectra are the same array object.
    return a[:6] == b[:6] and a.sqrt_eigenvalues is b.sqrt_eigenvalues


def reference_sample(model, layout, *, wafer_indices, rng=None) -> VariationSample:
    """Plain NumPy, single-threaded implementation of :func:`sample` (the tests' reference).

    Same arguments and result as :func:`sample` (without ``keep_levels`` and ``workers``).

    Parameters
    ----------
    model : VariationModel
        Variation model and mapping.
    layout : WaferLayout
        Wafer, die grid and ring layout.
    wafer_indices : int or array_like of int
        Which wafers to draw (see :func:`sample`).
    rng : int, numpy.random.SeedSequence, numpy.random.Generator or None
        Root of the keyed streams (see :func:`sample`).
    """
    indices = _wafer_indices(wafer_indices)
    root = _root_seed(rng)
    plan = _Plan(model, layout)
    shape = (indices.size, layout.n_dies, layout.n_rings_per_die)
    outputs = [np.empty(shape) for _ in range(4)]
    for position, wafer_index in enumerate(indices):
        plan.draw_wafer(
            root, int(wafer_index), [o[position].reshape(-1) for o in outputs], None, reference=True
        )
    return VariationSample(
        model=model,
        layout=layout,
        wafer_index=indices,
        seed_sequence=root,
        delta_width_m=outputs[0],
        delta_thickness_m=outputs[1],
        delta_gap_m=outputs[2],
        resonance_shift_m=outputs[3],
        levels=None,
    )


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
        from cposim.photonics import plot

        layout = self.layout
        die_mean_nm = self.resonance_shift_m[wafer].mean(axis=1) * 1e9
        image = np.full((layout.die_row.max() + 1, layout.die_column.max() + 1), np.nan)
        image[layout.die_row, layout.die_column] = die_mean_nm
        x_edges = (layout.die_x_m.min() + np.arange(image.shape[1] + 1) * layout.pitch_x_m) * 1e3
        y_edges = (layout.die_y_m.min() + np.arange(image.shape[0] + 1) * layout.pitch_y_m) * 1e3
        ax = plot.axes(ax, figsize=(5.6, 4.6))
        mesh = ax.pcolormesh(x_edges, y_edges, image, cmap="coolwarm")
        ax.figure.colorbar(mesh, ax=ax, label="Die-mean resonance shift (nm)")
        ax.set_aspect("equal")
        return plot.label(
            ax,
            x="x (mm)",
            y="y (mm)",
            title=f"Wafer {self.wafer_index[wafer]}: resonance shift per die",
        )

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
        from cposim.photonics import plot

        layout = self.layout
        if die is None:
            die = int(np.argmin(np.hypot(layout.die_centre_x_m, layout.die_centre_y_m)))
        ax = plot.axes(ax, figsize=(5.6, 4.6))
        points = ax.scatter(
            layout.die.ring_x_m * 1e3,
            layout.die.ring_y_m * 1e3,
            c=self.resonance_shift_m[wafer, die] * 1e9,
            cmap="coolwarm",
            s=12,
        )
        ax.figure.colorbar(points, ax=ax, label="Resonance shift (nm)")
        ax.set_xlim(0.0, layout.die.width_m * 1e3)
        ax.set_ylim(0.0, layout.die.height_m * 1e3)
        ax.set_aspect("equal")
        return plot.label(
            ax,
            x="x in die (mm)",
            y="y in die (mm)",
            title=f"Wafer {self.wafer_index[wafer]}, die {die}",
        )

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
        from cposim.photonics import plot

        check_choice("by", by, ("level", "parameter"))
        a_w, a_t = self.model.dlambda_dwidth, self.model.dlambda_dthickness
        if by == "level":
            if self.levels is None:
                raise ValueError("by='level' needs a sample drawn with keep_levels=True")
            parts = {
                name: a_w * self.levels[name][0] + a_t * self.levels[name][1] for name in LEVELS
            }
        else:
            parts = {
                "width (a_w·Δw)": a_w * self.delta_width_m,
                "thickness (a_t·Δt)": a_t * self.delta_thickness_m,
                "total shift": self.resonance_shift_m,
            }
        ax = plot.axes(ax)
        values = {name: part.ravel() * 1e9 for name, part in parts.items()}
        spread = max(float(np.ptp(v)) for v in values.values()) or 1.0
        centre = np.mean([v.mean() for v in values.values()])
        edges = np.linspace(centre - 0.55 * spread, centre + 0.55 * spread, bins + 1)
        for index, (name, value) in enumerate(values.items()):
            if np.ptp(value) > 0:
                ax.hist(
                    value, bins=edges, histtype="step", density=True, label=name, color=f"C{index}"
                )
            else:  # e.g. the lot offset of wafers from a single lot
                ax.axvline(value[0], color=f"C{index}", linestyle=":", label=f"{name} (constant)")
        ax.legend(fontsize="small")
        return plot.label(
            ax,
            x="Resonance-shift contribution (nm)",
            y="Probability density (1/nm)",
            title=f"Resonance shift by {by}",
        )

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
        from cposim.photonics import plot

        ax = plot.axes(ax)
        ax.plot(
            self.model_distance_m * 1e3, self.model_semivariance_m2 * 1e18, color="k", label="model"
        )
        ax.plot(
            self.distance_m * 1e3, self.semivariance_m2 * 1e18, "o", color="C1", label="sampled"
        )
        ax.set_xscale("log")
        ax.legend(fontsize="small")
        return plot.label(
            ax,
            x="Ring separation (mm)",
            y="Semivariance (nm²)",
            title=f"Variogram of {self.parameter}",
        )


__all__ = [
    "KERNELS",
    "LEVELS",
    "PARAMETERS",
    "PRESETS",
    "ParameterVariation",
    "VariationModel",
    "VariationSample",
    "Variogram",
    "preset",
    "sample",
]
