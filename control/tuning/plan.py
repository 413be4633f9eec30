"""Static tuning plans for WDM ring banks: which ring takes which channel, and at what power.

Heaters only red-shift a ring, so ring ``i`` reaches channel ``c`` with the smallest shift
``s_ic = (λ_c - λ_i) mod FSR_i`` (a resonance order can be skipped: FSR wrap). Its own-heater
power is ``s_ic/η_i`` (η: tuning efficiency, m/W). For a given assignment the heater powers
solve the crosstalk system ``η_i·Σ_j X_ij·P_j = s_i`` (``X`` from
:attr:`cposim.control.thermal.ThermalNetwork.crosstalk_fraction`), and the bounds
``0 ≤ P_i ≤ P_max,i`` and the bank's total budget are checked (the upper bound holds
automatically once the own-heater range and ``P ≥ 0`` hold, see :class:`TuningFailure`). The
system is square and nonsingular, so its solution is unique: a bound violation means no
feasible power exists for that assignment. Strategies:

- ``"ordered"``: ring i takes channel i (sequential tuning);
- ``"barrel"``: ring i takes channel ``(i + s) mod C`` for a common rotation s (the "thermal
  tuning with bit reshuffle" of DSENT, MIT, OpticalLinkBackendTx model). Rotations are tried in
  order of preference — fewest rings out of heater range, then the smallest largest own-heater
  power, then the least total (with FSR = C·spacing all rotations need about the same total
  power) — and the first one that stays feasible after the crosstalk solve and the budget is
  taken. A rotation that needs almost no tuning can fail through crosstalk (neighbours' heat
  over-shifts a ring that needs ≈ 0 shift: negative power), while the next rotation works;
- ``"free"``: any one-to-one assignment, the one with the least total own-heater power
  (Hungarian algorithm; reference: :func:`scipy.optimize.linear_sum_assignment`). With FSR
  wrap, all assignments with the same number of wraps tie exactly; a quadratic term of
  relative weight 1e-6 breaks the tie toward balanced powers. When that optimum fails after
  the crosstalk solve, a heuristic (not an exact search) looks further and keeps the feasible
  candidate with the least total heater power among (a) repairs — the pairs whose rings need
  negative power are forbidden and the assignment is solved again, while that is the
  failure, at most n_rings times (each repair pushes an over-shifted ring to a channel that
  needs more of its own heat) — and (b) every barrel rotation within heater range (so free is
  feasible whenever barrel is).

When no candidate is feasible, the preferred assignment (best rotation, or the free optimum)
is reported with its first failure, in :class:`TuningFailure` order.

:func:`plan_tuning` runs the batched Numba kernels (banks in parallel) or, with
``engine="numpy"``, the plain NumPy/scipy reference one bank at a time (:data:`TUNING_ENGINES`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from cposim.control.core.validation import as_float_array, check_choice, check_range
from cposim.control.tuning import _kernels as kernels
from cposim.control.tuning import _reference

STRATEGIES = tuple(kernels.STRATEGY_CODES)
"""Allowed ``strategy`` values: "ordered", "barrel", "free"."""


class TuningFailure(IntEnum):
    """Why a bank's tuning plan is infeasible (the first failure found, in this order).

    Attributes
    ----------
    FEASIBLE
        0: every ring reaches its channel within its heater limit and the budget.
    TUNING_RANGE_EXCEEDED
        1: some ring's required own-heater power ``s/η`` exceeds its maximum (for the barrel
        strategy: in every rotation; for the free strategy: in every assignment).
    CHANNEL_ALIASING
        2: another channel lies within ``alias_guard_m`` of a resonance order of a tuned ring
        (the FSR is too close to a multiple of a channel separation; the ring would drop two
        channels).
    CROSSTALK_NEGATIVE_POWER
        3: through crosstalk, neighbours already over-shift a ring; it would need negative
        heater power (red-shift-only violated), in the preferred assignment and every other
        one tried (see the module notes).
    POWER_BUDGET_EXCEEDED
        4: the bank's total heater power exceeds ``total_power_budget_w``.

    Notes
    -----
    No separate "heater above maximum after crosstalk" code is needed: with ``X = I + E``,
    ``E ≥ 0``, the solution of ``X·P = own`` satisfies ``P_i = own_i - Σ_j E_ij·P_j ≤ own_i``
    whenever no power is negative, and ``own_i ≤ P_max,i`` is checked first.
    """

    FEASIBLE = kernels.FEASIBLE
    TUNING_RANGE_EXCEEDED = kernels.TUNING_RANGE_EXCEEDED
    CHANNEL_ALIASING = kernels.CHANNEL_ALIASING
    CROSSTALK_NEGATIVE_POWER = kernels.CROSSTALK_NEGATIVE_POWER
    POWER_BUDGET_EXCEEDED = kernels.POWER_BUDGET_EXCEEDED

    @property
    def reason(self) -> str:
        """One-line explanation."""
        return _REASONS[self]


_REASONS = {
    TuningFailure.FEASIBLE: "feasible",
    TuningFailure.TUNING_RANGE_EXCEEDED: "a ring's required red shift exceeds its heater range",
    TuningFailure.CHANNEL_ALIASING: "another channel sits on a resonance order of a tuned ring",
    TuningFailure.CROSSTALK_NEGATIVE_POWER: "crosstalk over-shifts a ring (negative power needed)",
    TuningFailure.POWER_BUDGET_EXCEEDED: "the bank's total heater power exceeds the budget",
}


@dataclass(frozen=True, kw_only=True, eq=False)
class TuningPlan:
    """Tuning plan of one bank (from :meth:`TuningPlanBatch.bank`).

    Parameters
    ----------
    assignment : ndarray of int64, shape (n_rings,)
        Channel index of every ring.
    shift_m : ndarray, shape (n_rings,)
        Required red shift of every ring, m.
    heater_power_w : ndarray, shape (n_rings,)
        Heater power of every ring (through crosstalk), W.
    total_power_w : float
        Sum of the heater powers, W.
    failure : TuningFailure
        Failure reason (``FEASIBLE`` when feasible).
    """

    assignment: np.ndarray
    shift_m: np.ndarray
    heater_power_w: np.ndarray
    total_power_w: float
    failure: TuningFailure

    @property
    def feasible(self) -> bool:
        """True when the plan is feasible."""
        return self.failure == TuningFailure.FEASIBLE

    @property
    def reason(self) -> str:
        """Explanation of :attr:`failure`."""
        return self.failure.reason

    def to_dataframe(self):
        """One row per ring: ring, channel, shift_m, heater_power_w."""
        import pandas as pd

        return pd.DataFrame(
            {
                "ring": np.arange(self.assignment.size),
                "channel": self.assignment,
                "shift_m": self.shift_m,
                "heater_power_w": self.heater_power_w,
            }
        )


@dataclass(frozen=True, kw_only=True, eq=False)
class TuningPlanBatch:
    """Tuning plans of many banks (from :func:`plan_tuning`).

    Parameters
    ----------
    assignment : ndarray of int64, shape (n_banks, n_rings)
        Channel index of every ring.
    shift_m : ndarray, shape (n_banks, n_rings)
        Required red shift, m.
    heater_power_w : ndarray, shape (n_banks, n_rings)
        Heater power (through crosstalk), W.
    total_power_w : ndarray, shape (n_banks,)
        Total heater power per bank, W.
    failure_code : ndarray of int8, shape (n_banks,)
        :class:`TuningFailure` code per bank (0 = feasible).
    """

    assignment: np.ndarray
    shift_m: np.ndarray
    heater_power_w: np.ndarray
    total_power_w: np.ndarray
    failure_code: np.ndarray

    @property
    def feasible(self) -> np.ndarray:
        """Boolean feasibility per bank."""
        return self.failure_code == TuningFailure.FEASIBLE

    @property
    def n_banks(self) -> int:
        """Number of banks."""
        return self.total_power_w.shape[0]

    def bank(self, index: int) -> TuningPlan:
        """The plan of one bank.

        Parameters
        ----------
        index : int
            Bank index.
        """
        return TuningPlan(
            assignment=self.assignment[index],
            shift_m=self.shift_m[index],
            heater_power_w=self.heater_power_w[index],
            total_power_w=float(self.total_power_w[index]),
            failure=TuningFailure(int(self.failure_code[index])),
        )

    def to_dataframe(self):
        """One row per bank: bank, feasible, failure, total_power_w."""
        import pandas as pd

        return pd.DataFrame(
            {
                "bank": np.arange(self.n_banks),
                "feasible": self.feasible,
                "failure": [TuningFailure(int(c)).name for c in self.failure_code],
                "total_power_w": self.total_power_w,
            }
        )

    def plot(self, ax=None):
        """Histogram of the total heater power of the feasible banks (mW); returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.control import plot

        return plot.tuning_plans(self, ax)


TUNING_ENGINES = {"numba": kernels.plan_banks, "numpy": _reference.plan_banks_reference}
"""Implementations of :func:`plan_tuning` by ``engine`` name; each fills
:class:`~cposim.control.tuning._kernels.PlanOutputs` from
:class:`~cposim.control.tuning._kernels.BankInputs`."""


def plan_tuning(
    cold_resonance_m,
    *,
    fsr_m,
    channel_wavelength_m,
    tuning_efficiency_m_per_w,
    max_heater_power_w,
    strategy: str = "barrel",
    crosstalk_fraction=None,
    total_power_budget_w: float = np.inf,
    alias_guard_m: float | None = None,
    engine: str = "numba",
) -> TuningPlanBatch:
    """Tuning plans of many banks at once (Numba, banks in parallel).

    Parameters
    ----------
    cold_resonance_m : array_like, shape (n_banks, n_rings) or (n_rings,)
        Resonance wavelength of every ring with its heater off, m (one order, any).
    fsr_m : float or array_like
        Free spectral range per ring, m (> 0); broadcasts with ``cold_resonance_m``.
    channel_wavelength_m : array_like, shape (n_channels,)
        Laser channel grid, m (n_channels ≥ n_rings).
    tuning_efficiency_m_per_w : float or array_like
        Red shift per watt of a ring's own heater, m/W (> 0); broadcasts.
    max_heater_power_w : float or array_like
        Largest heater power per ring, W (> 0); broadcasts.
    strategy : {"ordered", "barrel", "free"}
        Channel assignment strategy. Default "barrel".
    crosstalk_fraction : array_like, shape (n_rings, n_rings), optional
        Thermal crosstalk ``X`` (diagonal 1), shared by all banks; default: none.
    total_power_budget_w : float
        Largest total heater power per bank, W (> 0, may be inf). Default inf.
    alias_guard_m : float, optional
        Smallest allowed distance between another channel and a tuned ring's resonance
        orders, m (≥ 0). Default: a quarter of the smallest channel spacing (*assumption*: a
        few linewidths at Q ≈ 4000 and 400 GHz spacing); 0 disables the check.
    engine : {"numba", "numpy"}
        Implementation (:data:`TUNING_ENGINES`): the Numba kernels, or the NumPy/scipy
        reference (same plans; for tests and benchmarks).
    """
    plan_banks = TUNING_ENGINES[check_choice("engine", engine, TUNING_ENGINES)]
    inputs = tuning_inputs(
        cold_resonance_m,
        fsr_m=fsr_m,
        channel_wavelength_m=channel_wavelength_m,
        tuning_efficiency_m_per_w=tuning_efficiency_m_per_w,
        max_heater_power_w=max_heater_power_w,
        strategy=strategy,
        crosstalk_fraction=crosstalk_fraction,
        total_power_budget_w=total_power_budget_w,
        alias_guard_m=alias_guard_m,
    )
    out = kernels.PlanOutputs.empty(*inputs.cold_resonance_m.shape)
    plan_banks(inputs, out)
    return TuningPlanBatch(**out._asdict())


def tuning_inputs(
    cold_resonance_m,
    *,
    fsr_m,
    channel_wavelength_m,
    tuning_efficiency_m_per_w,
    max_heater_power_w,
    strategy: str = "barrel",
    crosstalk_fraction=None,
    total_power_budget_w: float = np.inf,
    alias_guard_m: float | None = None,
) -> kernels.BankInputs:
    """The validated kernel inputs of :func:`plan_tuning` (same parameters and units).

    Parameters
    ----------
    cold_resonance_m : array_like, shape (n_banks, n_rings) or (n_rings,)
        Cold resonance wavelength per ring, m.
    fsr_m, channel_wavelength_m, tuning_efficiency_m_per_w, max_heater_power_w : array_like
        As in :func:`plan_tuning` (m, m, m/W, W).
    strategy : {"ordered", "barrel", "free"}
        Channel assignment strategy.
    crosstalk_fraction : array_like, shape (n_rings, n_rings), optional
        Thermal crosstalk (diagonal 1).
    total_power_budget_w : float
        Largest total heater power per bank, W.
    alias_guard_m : float, optional
        Aliasing guard, m (default: a quarter of the smallest channel spacing).
    """
    check_choice("strategy", strategy, STRATEGIES)
    cold = as_float_array("cold_resonance_m", cold_resonance_m)
    if cold.ndim == 1:
        cold = cold[None, :]
    if cold.ndim != 2 or cold.shape[1] == 0:
        raise ValueError(
            f"cold_resonance_m has shape {np.shape(cold_resonance_m)}; use (n_rings,) or "
            "(n_banks, n_rings)"
        )
    cold = np.require(check_range("cold_resonance_m", cold, low=1e-7, high=1e-4), None, ["C"])
    shape = cold.shape
    grid = check_range("channel_wavelength_m", channel_wavelength_m, low=1e-7, high=1e-4).reshape(
        -1
    )
    if grid.size < shape[1]:
        raise ValueError(
            f"channel_wavelength_m has {grid.size} channels for {shape[1]} rings; each ring "
            "needs its own channel (n_channels >= n_rings), otherwise channels collide"
        )

    def per_ring(name, value):
        array = check_range(name, value, low=0.0, low_inclusive=False)
        try:
            # Writable C copies: read-only broadcast views would be a second kernel signature.
            return np.require(np.broadcast_to(array, shape), np.float64, ["C", "W"])
        except ValueError:
            raise ValueError(
                f"{name} has shape {array.shape}, which does not broadcast with "
                f"cold_resonance_m {shape}"
            ) from None

    crosstalk = np.eye(shape[1])
    if crosstalk_fraction is not None:
        crosstalk = as_float_array("crosstalk_fraction", crosstalk_fraction)
        if crosstalk.shape != (shape[1], shape[1]):
            raise ValueError(
                f"crosstalk_fraction has shape {crosstalk.shape}; expected ({shape[1]}, {shape[1]})"
            )
        check_range("crosstalk_fraction", crosstalk, low=0.0)
        if not np.allclose(np.diag(crosstalk), 1.0, rtol=0.0, atol=1e-12):
            raise ValueError("crosstalk_fraction must have ones on its diagonal (X[i, i] = 1)")
        if np.linalg.cond(crosstalk) > 1e12:
            raise ValueError("crosstalk_fraction is singular; heater powers are undetermined")
    if alias_guard_m is None:
        spacing = np.diff(np.sort(grid))
        guard = 0.25 * float(spacing.min()) if spacing.size else 0.0
    else:
        guard = float(check_range("alias_guard_m", alias_guard_m, low=0.0))
    return kernels.BankInputs(
        cold_resonance_m=cold,
        fsr_m=per_ring("fsr_m", fsr_m),
        tuning_efficiency_m_per_w=per_ring("tuning_efficiency_m_per_w", tuning_efficiency_m_per_w),
        max_heater_power_w=per_ring("max_heater_power_w", max_heater_power_w),
        channel_wavelength_m=np.ascontiguousarray(grid),
        crosstalk_fraction=np.ascontiguousarray(crosstalk),
        inverse_crosstalk=np.linalg.inv(crosstalk),
        has_crosstalk=crosstalk_fraction is not None,
        strategy=kernels.STRATEGY_CODES[strategy],
        total_power_budget_w=float(
            check_range(
                "total_power_budget_w",
                total_power_budget_w,
                low=0.0,
                low_inclusive=False,
                allow_inf=True,
            )
        ),
        alias_guard_m=guard,
    )


__all__ = [
    "STRATEGIES",
    "TUNING_ENGINES",
    "TuningFailure",
    "TuningPlan",
    "TuningPlanBatch",
    "plan_tuning",
    "tuning_inputs",
]
