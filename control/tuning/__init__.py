"""cposim.control.tuning: static channel assignment and heater powers of ring banks.

Data flow: cold resonances of every ring of every bank (arrays, from fabrication) → a channel
assignment (``"ordered"``, ``"barrel"`` or ``"free"``) and the heater power of each ring through
the bank's thermal crosstalk matrix → :class:`TuningPlanBatch` with a failure code per bank.
:func:`plan_tuning` runs the Numba kernels of :mod:`~cposim.control.tuning._kernels`
(``engine="numba"``) or the SciPy reference of :mod:`~cposim.control.tuning._reference`
(``engine="numpy"``).
"""

from cposim.control.core.lazy import lazy_exports

_CATALOGUE = {
    "plan": (
        "STRATEGIES",
        "TuningFailure",
        "TuningPlan",
        "TuningPlanBatch",
        "plan_tuning",
        "TUNING_ENGINES",
        "tuning_inputs",
    ),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _CATALOGUE)
