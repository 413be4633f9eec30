"""cposim.control: thermal plants, heaters, detectors, controllers, tuning plans and closed loops.

A small, reusable thermal-control library. It describes a resonant device only by arrays (cold
resonance wavelength, linewidth, extinction, thermal shift per kelvin), and it never imports
``cposim.photonics``.

=======================  ==============================================================
:mod:`~.heater`          :class:`HeaterDriver` (resistance, drive mode, DAC) and the
                         one definition of the heater power limit
:mod:`~.thermal`         :class:`ThermalNetwork` (self and mutual paths, exact ZOH),
                         :class:`Disturbance` (ambient, laser drift, steps)
:mod:`~.detectors`       error detectors: ideal, Lorentzian slope, dither + lock-in,
                         power-maximum tracker, and the monitor photodiode they read
:mod:`~.controllers`     :class:`PIDController` with anti-windup
:mod:`~.analysis`        loop margins (:func:`analyze_loop`) and the residual lock error
                         model (:func:`residual_lock_error`)
:mod:`~.tuning`          static channel assignment and heater powers (:func:`plan_tuning`)
:mod:`~.loop`            closed-loop locking of many banks in time
                         (:func:`simulate_locking`)
:mod:`~.core`            validation, Numba settings, vectorisable maths, plot style
                         (shared with :mod:`cposim.photonics`)
=======================  ==============================================================

Every public name of the modules and subpackages above but :mod:`~.core` is re-exported here
lazily (PEP 562), so importing a helper of :mod:`~.core` does not pull in scipy.signal and
every kernel.
"""

from cposim.control import loop, tuning
from cposim.control.core.lazy import lazy_exports

_CATALOGUE = {
    "heater": (
        "DEFAULT_MAX_POWER_W",
        "DEFAULT_RESISTANCE_OHM",
        "DRIVE_MODES",
        "HeaterDriver",
        "quantise_power",
    ),
    "thermal": (
        "DEFAULT_DECAY_LENGTH_M",
        "DEFAULT_SELF_RESISTANCE_K_PER_W",
        "DEFAULT_TIME_CONSTANT_S",
        "CoarseSamplingWarning",
        "DiscreteThermalNetwork",
        "Disturbance",
        "SampledDisturbance",
        "ThermalNetwork",
        "path_zoh",
        "warn_if_coarse",
    ),
    "detectors": (
        "TIA_NOISE_DENSITY_A_PER_RTHZ",
        "Detector",
        "DitherLockInDetector",
        "IdealDetector",
        "LorentzianSlopeDetector",
        "MonitorPhotodiode",
        "PowerMaximumTracker",
        "lorentzian_drop",
        "lorentzian_slope_error_m",
    ),
    "controllers": (
        "ANTI_WINDUP_MODES",
        "CONTROLLER_KINDS",
        "PIDController",
    ),
    "analysis": (
        "LoopAnalysis",
        "ResidualLockError",
        "analyze_loop",
        "detector_filter",
        "loop_transfer_function",
        "plant_transfer_function",
        "residual_lock_error",
    ),
    "tuning": tuple(tuning.__all__),
    "loop": tuple(loop.__all__),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _CATALOGUE)
