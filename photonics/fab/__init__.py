"""cposim.photonics.fab: fabrication — wafers, the variation model and its sampler.

- :mod:`~cposim.photonics.fab.wafer`: :class:`Wafer`, :class:`DieLayout` (engines, banks, rings)
  and :class:`WaferLayout` (the dies on a wafer);
- :mod:`~cposim.photonics.fab.variation`: :class:`VariationModel`, the hierarchical variation of
  width, thickness and gap (lot, wafer, systematic, correlated field, local), and cited
  :func:`preset` models;
- :mod:`~cposim.photonics.fab.sampling`: :func:`sample` (Numba) and :func:`reference_sample`
  (NumPy), keyed by ``(seed, wafer)``;
- :mod:`~cposim.photonics.fab.result`: the result, :class:`VariationSample` (every ring's
  deviations and resonance shift; rings, wafer maps, variograms);
- :mod:`~cposim.photonics.fab.defects`: random killer defects — densities per layer, critical
  areas from device geometry, Poisson / Murphy / negative-binomial yields, clustered samples.

Data flow: model + layout + seed → :class:`VariationSample` → rings for
:mod:`cposim.photonics.devices` and resonances for :mod:`cposim.photonics.yields`.
"""

from cposim.control.core.lazy import lazy_exports

_CATALOGUE = {
    "wafer": (
        "DieLayout",
        "Wafer",
        "WaferLayout",
    ),
    "variation": (
        "KERNELS",
        "LEVELS",
        "PARAMETERS",
        "PRESETS",
        "ParameterVariation",
        "VariationModel",
        "preset",
    ),
    "sampling": (
        "SAMPLE_ENGINES",
        "reference_sample",
        "sample",
    ),
    "result": (
        "VariationSample",
        "Variogram",
    ),
    "defects": (
        "DEFECT_LAYERS",
        "YIELD_MODELS",
        "CriticalAreas",
        "DefectDensities",
        "DefectSample",
        "defect_yield",
        "sample_defects",
    ),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _CATALOGUE)
