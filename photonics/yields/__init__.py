"""cposim.photonics.yields: Monte Carlo yield of dies, engines and lanes, in memory or in batch.

- :mod:`~cposim.photonics.yields.config`: :class:`YieldConfig`, one TOML file of every parameter
  of the chain, and the shipped presets (``presets/*.toml``);
- :mod:`~cposim.photonics.yields.engine`: :func:`simulate_wafers`, the per-chunk pipeline
  fabrication → tuning → lock → link → pass/fail with attribution;
- :mod:`~cposim.photonics.yields.closed_loop`: the dynamic lock mode, every die's rings
  powering up, acquiring their channels and tracking a :class:`MissionProfile` in time;
- :mod:`~cposim.photonics.yields.result`: :class:`YieldResult` (yields with confidence
  intervals, failure Pareto, wafer maps);
- :mod:`~cposim.photonics.yields.stats`: binomial confidence intervals;
- :mod:`~cposim.photonics.yields.reduce`: the reductions behind every summary (exact sums,
  radix-select medians), batch by batch;
- :mod:`~cposim.photonics.yields.stored`: :func:`open_study`, a run directory read lazily
  (pyarrow dataset, Dask, selected columns, streaming summaries);
- :mod:`~cposim.photonics.yields.run`: :func:`simulate` (in memory) and :func:`run_study` /
  :func:`resume_study` / :func:`load_study` (a resumable run directory of Parquet parts);
- :mod:`~cposim.photonics.yields.study`: sweeps, variation and spread sensitivity (one at a
  time) and the value of a parameter that reaches a target yield;
- :mod:`~cposim.photonics.yields.sobol`: Sobol' (variance-based) sensitivity of a yield to the
  study's input distributions;
- :mod:`~cposim.photonics.yields.screening`: wafer test of each die's margin with measurement
  error → known-good dies, escapes, overkill, cost per good die.

Data flow: :class:`YieldConfig` → :mod:`cposim.photonics.fab` (sampled rings) →
:mod:`cposim.control.tuning` (heater plan) → :mod:`cposim.photonics.link` (lane budgets) →
per-die rows → :class:`YieldResult` → :mod:`cposim.photonics.switch` (engine yield).
"""

from cposim.control.core.lazy import lazy_exports

_CATALOGUE = {
    "config": (
        "PRESET_FOLDER",
        "PRESET_PACKAGE",
        "ISI_MODELS",
        "LOCK_MODES",
        "DieSettings",
        "IsiSettings",
        "LockSettings",
        "PassCriteria",
        "RunSettings",
        "SpreadSettings",
        "TuningSettings",
        "YieldConfig",
        "load_config",
        "preset",
        "preset_description",
        "preset_names",
        "preset_text",
    ),
    "engine": (
        "COLUMNS",
        "ENGINES",
        "FAILURE_LABELS",
        "FAILURE_MODES",
        "CHOICE_STREAM",
        "DEFECT_STREAM",
        "DRIVER_STREAM",
        "DYNAMIC_STREAM",
        "FIBER_ARRAY_STREAM",
        "HEATER_STREAM",
        "LASER_WAVELENGTH_STREAM",
        "LOCK_STREAM",
        "LOSS_STREAM",
        "PHOTODIODE_STREAM",
        "RECEIVER_NOISE_STREAM",
        "RIN_STREAM",
        "SPREAD_STREAM",
        "die_lock_timeline",
        "simulate_wafers",
        "study_isi_table",
    ),
    "result": (
        "PLOT_KINDS",
        "YieldResult",
        "pareto_frame",
        "summary_dict",
        "waterfall_frame",
        "yields_frame",
    ),
    "reduce": (
        "ExactSum",
        "Totals",
        "median",
        "reduce_table",
        "select",
    ),
    "stored": (
        "BATCH_ROWS",
        "StoredStudy",
        "open_study",
    ),
    "stats": (
        "METHODS",
        "binomial_interval",
    ),
    "run": (
        "format_summary",
        "load_study",
        "resume_study",
        "run_study",
        "simulate",
        "write_report",
    ),
    "study": (
        "YIELD_LEVELS",
        "VARIATION_COMPONENTS",
        "SensitivityResult",
        "SweepResult",
        "TargetResult",
        "spread_sensitivity",
        "sweep",
        "value_for_yield",
        "variation_sensitivity",
    ),
    "sobol": ("SobolResult", "saltelli_points", "sobol_indices", "sobol_sensitivity"),
    "screening": (
        "ScreeningResult",
        "ScreeningSettings",
        "gaussian_bins",
        "gaussian_screening",
        "screen",
    ),
    "closed_loop": (
        "ARBITRATIONS",
        "DETECTOR_KINDS",
        "Arbitration",
        "DYNAMIC_FAILURES",
        "RESIDUAL_STATISTICS",
        "SILICON_THERMAL_DIFFUSIVITY_M2_PER_S",
        "BankLocks",
        "DieLockTimeline",
        "DynamicLockSettings",
        "MissionProfile",
        "choose_dies",
        "failure_events",
        "lock_banks",
        "residual_detuning",
        "thermal_network",
        "warming_headroom_w",
    ),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _CATALOGUE)
