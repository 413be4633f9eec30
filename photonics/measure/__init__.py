"""cposim.photonics.measure: measurements in — measured ring spectra fitted with the ring model.

- :mod:`~cposim.photonics.measure.traces`: :func:`read_spectra` reads CSV/TSV/Parquet traces
  (wide or long format, units detected and stated) into :class:`SpectrumTrace` objects;
- :mod:`~cposim.photonics.measure.baseline`: the coupler envelope, fitted off resonance;
- :mod:`~cposim.photonics.measure.resonances`: dips, FSR(λ), group index and orders;
- :mod:`~cposim.photonics.measure.fitting`: :func:`fit_spectrum` / :func:`fit_spectra`, the
  full through-port ring model fitted by Levenberg-Marquardt in Numba over every resonance at
  once (SciPy's ``least_squares`` is the reference engine);
- :mod:`~cposim.photonics.measure.result`: :class:`SpectrumFit` and :class:`ResonanceFits`
  (values, uncertainties, both coupling branches, flags, ``to_dataframe``, ``rings()``,
  ``plot()``);
- :mod:`~cposim.photonics.measure.calibration` (a subpackage): :func:`calibrate_variation`,
  wafer test data (resonances per lot, wafer and position) → the levels of a
  :class:`~cposim.photonics.fab.VariationModel` with bootstrap intervals, what is identifiable
  said; its ``plot`` module draws the variogram and maps.

Data flow: file → traces → envelope → resonances → fits → :class:`~cposim.photonics.devices.Ring`;
wafer table → :class:`VariationCalibration` → a yield configuration's ``[variation]``.
"""

from cposim.control.core.lazy import lazy_exports

_CATALOGUE = {
    "traces": ("POWER_UNITS", "WAVELENGTH_UNITS", "SpectrumTrace", "read_spectra"),
    "baseline": ("Baseline", "fit_baseline"),
    "resonances": ("MIN_POINTS_PER_FWHM", "Resonances", "find_resonances", "remeasure"),
    "fitting": ("COUPLING_CHOICES", "FIT_ENGINES", "fit_spectra", "fit_spectrum"),
    "result": ("ResonanceFits", "SpectrumFit"),
    "plot": ("SPECTRUM_PLOTS", "plot_spectrum_fit"),
    "calibration": (
        "COMPONENTS", "KERNEL_CHOICES", "OFFSET_LEVELS", "PLOT_KINDS", "SPLIT_RULES",
        "DesignSensitivity", "EmpiricalVariogram", "Estimate", "LevelEstimates",
        "VariationCalibration", "calibrate_variation", "empirical_variogram",
        "residual_map", "variogram", "wafer_maps",
    ),
}  # fmt: skip

__all__, __getattr__, __dir__ = lazy_exports(__name__, _CATALOGUE)
