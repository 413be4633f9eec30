"""cposim.control: thermal plants, heaters, controllers, tuning plans and closed-loop locking.

A small, reusable thermal-control library. It describes a resonant device only by arrays (cold
resonance wavelength, linewidth, extinction, thermal shift per kelvin), and it never imports
``cposim.photonics``.

Modules: :mod:`~cposim.control.heater` (heater and DAC driver), :mod:`~cposim.control.thermal`
(thermal network, exact ZOH, disturbances), :mod:`~cposim.control.detectors` (error
detectors), :mod:`~cposim.control.controllers` (PI/PID with anti-windup),
:mod:`~cposim.control.tuning` (static channel assignment and heater powers, batched),
:mod:`~cposim.control.loop` (closed-loop simulation of many banks) and
:mod:`~cposim.control.analysis` (loop margins, residual lock error model). Their public names
are re-exported here lazily (PEP 562), so the low-level helpers that :mod:`cposim.photonics`
imports (``_jit``, ``_validation``) do not pull in scipy.signal and every kernel.
"""

import importlib

_EXPORTS = {
    "LoopAnalysis": "analysis",
    "ResidualLockError": "analysis",
    "analyze_loop": "analysis",
    "residual_lock_error": "analysis",
    "PIDController": "controllers",
    "DitherLockInDetector": "detectors",
    "IdealDetector": "detectors",
    "LorentzianSlopeDetector": "detectors",
    "MonitorPhotodiode": "detectors",
    "PowerMaximumTracker": "detectors",
    "HeaterDriver": "heater",
    "AcquisitionSweep": "loop",
    "LockCriteria": "loop",
    "LockingResult": "loop",
    "ResonatorArrays": "loop",
    "simulate_locking": "loop",
    "CoarseSamplingWarning": "thermal",
    "Disturbance": "thermal",
    "ThermalNetwork": "thermal",
    "TuningFailure": "tuning",
    "TuningPlan": "tuning",
    "TuningPlanBatch": "tuning",
    "plan_tuning": "tuning",
    "plan_tuning_reference": "tuning",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"cposim.control.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
