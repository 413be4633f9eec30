"""cposim.control.loop: closed-loop locking of many ring banks in time.

Data flow: resonators (arrays) + thermal network + heater driver + detector + controller →
:func:`simulate_locking` (start-up acquisition, then a lock loop per ring for every time step)
→ :class:`LockingResult` (traces, lock statistics, ``.plot()``). The time loop runs in the Numba
kernels of :mod:`~cposim.control.loop._kernels` (``engine="numba"``) or the NumPy reference of
:mod:`~cposim.control.loop._reference` (``engine="numpy"``); detector noise comes from one
counter-based stream per group of banks (:mod:`~cposim.control.loop._noise`), made where it is
used.
"""

from cposim.control.core.lazy import lazy_exports

_CATALOGUE = {
    "locking": (
        "DETECTORS",
        "LOOP_ENGINES",
        "AcquisitionSweep",
        "LockCriteria",
        "LockingResult",
        "ResonatorArrays",
        "dither_path_response",
        "simulate_locking",
    ),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _CATALOGUE)
