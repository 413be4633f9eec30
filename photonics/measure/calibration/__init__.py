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

from cposim.control.core.lazy import lazy_exports

_CATALOGUE = {
    "result": (
        "COMPONENTS", "PLOT_KINDS", "DesignSensitivity", "EmpiricalVariogram", "Estimate",
        "LevelEstimates", "VariationCalibration",
    ),
    "calibrate": ("KERNEL_CHOICES", "OFFSET_LEVELS", "SPLIT_RULES", "calibrate_variation"),
    "semivariogram": ("empirical_variogram",),
    "plot": ("residual_map", "variogram", "wafer_maps"),
}  # fmt: skip

__all__, __getattr__, __dir__ = lazy_exports(__name__, _CATALOGUE)
