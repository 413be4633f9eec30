"""Closed-loop wavelength locking of many ring banks: acquisition, lock and tracking.

A bank of ``n_rings`` resonators (given only as arrays, :class:`ResonatorArrays`) shares a
:class:`~cposim.control.thermal.ThermalNetwork`; ``n_banks`` such banks run at once (thermal
crosstalk stays inside a bank). Each sample period ``h`` the loop

1. reads each ring's temperature (heater paths + ambient + ASIC path) and its detuning from its
   channel laser (which drifts with ambient), wrapped to the nearest resonance order;
2. forms the detector's error (:mod:`cposim.control.detectors`);
3. updates the PI/PID controller (:mod:`cposim.control.controllers`) or the power-maximum
   tracker, adds the dither, clips to ``[0, P_max]`` and rounds to the heater DAC;
4. updates lock state (locked after the lock condition holds for ``hold_time_s``: measured
   error within a fraction of the FWHM, monitor power above a fraction of its peak, and the
   heater command below full power; lost after it fails for as long), residual-detuning
   statistics and decimated traces;
5. advances the thermal network by one exact zero-order-hold step.

Start-up (optional :class:`AcquisitionSweep`) follows "record-then-match" (Choi & Stojanović,
arXiv:2411.14810 (2024); WDMSim, github.com/wdmsim/wdm-simulator): every heater sweeps
0 → P_max while the drop response to each channel is recorded, the heater power at each
channel's peak is corrected for the thermal lag of the ramp (``rate·(τ1 + τ2)``), channels are
assigned (ordered, barrel or free, on the recorded powers; optionally only channels recorded
above a floor, the headroom for warming), and each heater jumps to its recorded power (or to
the powers that reproduce the recorded heating through the crosstalk matrix) and settles before
the loop closes (bumpless). Without a sweep the loop starts
from a static tuning plan computed from the true cold resonances
(:func:`cposim.control.tuning.plan.plan_tuning`), in thermal equilibrium.
Assumptions: during the sweep each channel is identifiable (lasers lit one at a time or
pilot-toned) and the sweep records noise-free responses; while locked, a photodiode monitor
sees the tails of the two nearest other channels when ``neighbour_channel_power`` says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from cposim.control.controllers import PIDController
from cposim.control.core.validation import (
    broadcast_fields,
    check_choice,
    check_integer,
    check_range,
)
from cposim.control.detectors import (
    Detector,
    DitherLockInDetector,
    IdealDetector,
    LorentzianSlopeDetector,
    PowerMaximumTracker,
)
from cposim.control.heater import HeaterDriver, quantise_power
from cposim.control.loop import _kernels as K
from cposim.control.loop import _reference as _loop_reference
from cposim.control.loop._noise import group_keys
from cposim.control.thermal import Disturbance, ThermalNetwork
from cposim.control.tuning import _kernels as tuning_kernels
from cposim.control.tuning.plan import STRATEGIES, plan_tuning

_TRACE_BUDGET = 1_000_000  # target trace samples per quantity (n_banks·n_rings·n_records)


@dataclass(frozen=True, kw_only=True, eq=False)
class ResonatorArrays:
    """Ring resonators described only by arrays, shape (n_banks, n_rings) or (n_rings,).

    Parameters
    ----------
    cold_resonance_m : array_like
        Resonance wavelength with the heater off at the reference temperature, m (any order).
    fwhm_m : float or array_like
        Resonance full width at half maximum, m (> 0). Default 0.325 nm (loaded Q ≈ 4000 at
        1300 nm, consistent with Zhang et al., Photonics Res. 10(4), 1127 (2022)).
    drop_peak : float or array_like
        Drop-port transmission on resonance, 0 < T0 ≤ 1 (scales the monitor photocurrent).
        Default 0.8 (≈ 1 dB drop loss, an assumption).
    thermal_shift_m_per_k : float or array_like
        Resonance shift per kelvin, m/K (> 0). Default 63 pm/K (estimated with a
        mode solver, an assumption to calibrate against your process).
    fsr_m : float or array_like
        Free spectral range, m (> 0). Default 17.9 nm (≈ 8 × 400 GHz, WDMSim rule).
    heater_resistance_ratio : float or array_like
        Each ring's heater resistance over the nominal heater's, ``R/R0`` (> 0): at the DAC's
        full scale it reaches ``heater.full_scale_power_w(ratio)`` (``max_power_w/ratio`` on
        a voltage driver). The controller knows its heater (the resistance is measured at
        power-up), so it commands watts as before, over this range. Default 1.
    """

    cold_resonance_m: np.ndarray
    fwhm_m: float | np.ndarray = 1300e-9 / 4000
    drop_peak: float | np.ndarray = 0.8
    thermal_shift_m_per_k: float | np.ndarray = 63e-12
    fsr_m: float | np.ndarray = 17.9e-9
    heater_resistance_ratio: float | np.ndarray = 1.0

    def __post_init__(self):
        fields = {
            "cold_resonance_m": check_range(
                "cold_resonance_m", self.cold_resonance_m, low=1e-7, high=1e-4
            ),
            "fwhm_m": check_range("fwhm_m", self.fwhm_m, low=0.0, low_inclusive=False),
            "drop_peak": check_range(
                "drop_peak", self.drop_peak, low=0.0, high=1.0, low_inclusive=False
            ),
            "thermal_shift_m_per_k": check_range(
                "thermal_shift_m_per_k", self.thermal_shift_m_per_k, low=0.0, low_inclusive=False
            ),
            "fsr_m": check_range("fsr_m", self.fsr_m, low=0.0, low_inclusive=False),
            "heater_resistance_ratio": check_range(
                "heater_resistance_ratio",
                self.heater_resistance_ratio,
                low=0.0,
                high=100.0,
                low_inclusive=False,
            ),
        }
        if fields["cold_resonance_m"].ndim not in (1, 2):
            raise ValueError(
                f"cold_resonance_m has shape {fields['cold_resonance_m'].shape}; use "
                "(n_rings,) or (n_banks, n_rings)"
            )
        shape = broadcast_fields(fields)
        if len(shape) == 1:
            shape = (1, *shape)
        for name, value in fields.items():
            array = np.ascontiguousarray(np.broadcast_to(value, shape), dtype=np.float64)
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    @property
    def shape(self) -> tuple[int, int]:
        """(n_banks, n_rings)."""
        return self.cold_resonance_m.shape


@dataclass(frozen=True, kw_only=True)
class LockCriteria:
    """When a ring counts as locked (all measured quantities; no hidden truth is used).

    Parameters
    ----------
    max_error_fraction_of_fwhm : float
        Largest |error| (detector output, m) as a fraction of the FWHM (> 0, ≤ 1). Default
        0.1, the lock-accuracy target (≤ FWHM/10), a design assumption.
    min_drop_fraction : float
        Smallest monitor power as a fraction of its on-resonance value (0 … 1). Default 0.9:
        the ring is then within FWHM/6 of its laser (``1/(1 + (2δ/FWHM)²) ≥ 0.9``), whatever
        the error detector says (an S-curve detector reads a small error far from resonance).
    hold_time_s : float
        How long both conditions must hold to lock (and fail to unlock), s (≥ 0). Default
        20 µs (*assumption*: five 4 µs thermal time constants).
    """

    max_error_fraction_of_fwhm: float = 0.1
    min_drop_fraction: float = 0.9
    hold_time_s: float = 20e-6

    def __post_init__(self):
        check_range(
            "max_error_fraction_of_fwhm",
            self.max_error_fraction_of_fwhm,
            low=0.0,
            high=1.0,
            low_inclusive=False,
        )
        check_range("min_drop_fraction", self.min_drop_fraction, low=0.0, high=1.0)
        check_range("hold_time_s", self.hold_time_s, low=0.0)


@dataclass(frozen=True, kw_only=True, eq=False)
class AcquisitionSweep:
    """Record-then-match start-up: heater sweep, peak recording, channel matching.

    Parameters
    ----------
    duration_s : float
        Length of the 0 → P_max heater ramp, s (> 0). Default 2 ms (*assumption*: 500 thermal
        time constants, so the lag correction is small).
    settle_time_s : float
        Time the heaters hold their recorded powers before the loop closes, s (≥ 0).
        Default 20 µs (five 4 µs time constants).
    min_peak_drop : float
        Smallest recorded drop response (fraction of peak, 0 … 1) that counts as a channel
        seen. Default 0.5.
    min_start_power_w : float or array_like, shape (n_rings,)
        Smallest recorded heater power a channel may be assigned at, W (≥ 0; one per ring of
        a bank, or one for all): the headroom a heater keeps to back off as the die warms
        after power-up; channels recorded below it count as not seen. Default 0.
    strategy : {"ordered", "barrel", "free"}
        Matching strategy on the recorded heater powers. Default "barrel".
    compensate_crosstalk : bool
        Jump to the powers that give every ring its recorded heating through the crosstalk
        matrix (``X·P = g·P_rec``, ``g_i = Σ_j X_ij``: the sweep heated all rings alike),
        instead of to the recorded powers themselves, which move each ring by its
        neighbours' power differences. Default False.
    """

    duration_s: float = 2e-3
    settle_time_s: float = 20e-6
    min_peak_drop: float = 0.5
    min_start_power_w: float | np.ndarray = 0.0
    strategy: str = "barrel"
    compensate_crosstalk: bool = False

    def __post_init__(self):
        check_range("duration_s", self.duration_s, low=0.0, low_inclusive=False)
        check_range("settle_time_s", self.settle_time_s, low=0.0)
        check_range("min_peak_drop", self.min_peak_drop, low=0.0, high=1.0)
        floor = check_range("min_start_power_w", self.min_start_power_w, low=0.0)
        if floor.ndim > 1:
            raise ValueError(
                f"min_start_power_w has shape {floor.shape}; use a float or one per ring"
            )
        object.__setattr__(self, "min_start_power_w", floor)
        check_choice("strategy", self.strategy, STRATEGIES)


@dataclass(frozen=True, kw_only=True, eq=False)
class LockingResult:
    """Outcome of :func:`simulate_locking` (banks × rings; traces decimated in time).

    Parameters
    ----------
    time_s : ndarray, shape (n_records,)
        Trace times from the start of the lock phase (after any acquisition sweep), s.
    detuning_m : ndarray, shape (n_banks, n_rings, n_records)
        True detuning laser − ring (nearest order), m; NaN for rings without a channel.
    heater_power_w : ndarray, shape (n_banks, n_rings, n_records)
        Applied heater power, W.
    error_m : ndarray, shape (n_banks, n_rings, n_records)
        Measured detector output, m (0 for the power-maximum tracker).
    assignment : ndarray of int64, shape (n_banks, n_rings)
        Channel index per ring (-1: no channel found).
    locked : ndarray of bool, shape (n_banks, n_rings)
        Lock state at the end.
    time_to_lock_s : ndarray, shape (n_banks, n_rings)
        Time from the start of the lock phase to the first lock, s (NaN: never locked).
    lock_loss_count : ndarray of int64, shape (n_banks, n_rings)
        Number of lock-loss events.
    residual_mean_m, residual_std_m, residual_max_abs_m : ndarray, shape (n_banks, n_rings)
        Statistics of the true detuning over the locked samples after ``stats_start_s``, m
        (NaN without samples).
    residual_samples : ndarray of int64, shape (n_banks, n_rings)
        Number of samples in those statistics.
    mean_heater_power_w, final_heater_power_w : ndarray, shape (n_banks, n_rings)
        Heater power averaged over the lock phase and at its end, W.
    saturated_time_s : ndarray, shape (n_banks, n_rings)
        Time during the lock phase that the heater command sat at an end of its range (0 or
        full power), s.
    fwhm_m : ndarray, shape (n_banks, n_rings)
        Resonance FWHM, m (for normalising).
    sample_period_s : float
        Sample period, s.
    acquisition_duration_s : float
        Duration of the acquisition sweep before the lock phase, s (0 without).
    """

    time_s: np.ndarray
    detuning_m: np.ndarray
    heater_power_w: np.ndarray
    error_m: np.ndarray
    assignment: np.ndarray
    locked: np.ndarray
    time_to_lock_s: np.ndarray
    lock_loss_count: np.ndarray
    residual_mean_m: np.ndarray
    residual_std_m: np.ndarray
    residual_max_abs_m: np.ndarray
    residual_samples: np.ndarray
    mean_heater_power_w: np.ndarray
    final_heater_power_w: np.ndarray
    saturated_time_s: np.ndarray
    fwhm_m: np.ndarray
    sample_period_s: float
    acquisition_duration_s: float

    @property
    def all_locked(self) -> np.ndarray:
        """True per bank when every ring is locked at the end, shape (n_banks,)."""
        return self.locked.all(axis=1)

    @property
    def ever_locked(self) -> np.ndarray:
        """True per ring that locked at some point, shape (n_banks, n_rings)."""
        return np.isfinite(self.time_to_lock_s)

    def to_dataframe(self):
        """One row per ring with its lock outcome and residual statistics."""
        import pandas as pd

        n_banks, n_rings = self.locked.shape
        bank, ring = np.meshgrid(np.arange(n_banks), np.arange(n_rings), indexing="ij")
        columns = {
            "bank": bank,
            "ring": ring,
            "channel": self.assignment,
            "locked": self.locked,
            "time_to_lock_s": self.time_to_lock_s,
            "lock_loss_count": self.lock_loss_count,
            "residual_mean_m": self.residual_mean_m,
            "residual_std_m": self.residual_std_m,
            "residual_max_abs_m": self.residual_max_abs_m,
            "mean_heater_power_w": self.mean_heater_power_w,
            "final_heater_power_w": self.final_heater_power_w,
            "saturated_time_s": self.saturated_time_s,
        }
        return pd.DataFrame({name: np.ravel(value) for name, value in columns.items()})

    def plot(self, ax=None, *, bank: int = 0):
        """Detuning of one bank's rings against time, in pm, with the ±FWHM/10 band.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        bank : int
            Bank to draw.
        """
        from cposim.control import plot

        return plot.locking(self, ax, bank=bank)


def simulate_locking(
    resonators: ResonatorArrays,
    channel_wavelength_m,
    *,
    network: ThermalNetwork,
    controller: PIDController,
    detector: Detector,
    sample_period_s: float,
    n_steps: int,
    heater: HeaterDriver | None = None,
    disturbance: Disturbance | None = None,
    acquisition: AcquisitionSweep | None = None,
    strategy: str = "barrel",
    assignment=None,
    initial_heater_power_w=None,
    lock_criteria: LockCriteria | None = None,
    stats_start_s: float = 0.0,
    neighbour_channel_power: float = 0.0,
    trace_decimation: int | None = None,
    engine: str = "numba",
    rng=None,
) -> LockingResult:
    """Simulate acquisition, lock and tracking of ``n_banks`` ring banks.

    Parameters
    ----------
    resonators : ResonatorArrays
        The rings, shape (n_banks, n_rings); n_rings must match ``network``.
    channel_wavelength_m : array_like, shape (n_channels,)
        Laser channel wavelengths at the reference ambient, m (n_channels ≥ n_rings).
    network : ThermalNetwork
        Thermal network of one bank (shared by all banks).
    controller : PIDController
        Loop controller (unused by :class:`~cposim.control.detectors.PowerMaximumTracker`).
    detector : IdealDetector, LorentzianSlopeDetector, DitherLockInDetector or PowerMaximumTracker
        Error detector.
    sample_period_s : float
        Loop sample period h, s (> 0); warns when ≥ half a thermal time constant.
    n_steps : int
        Number of lock-phase sample periods (≥ 1).
    heater : HeaterDriver, optional
        Heater and DAC (default :class:`~cposim.control.heater.HeaterDriver`); gives P_max.
    disturbance : Disturbance, optional
        Ambient, ASIC and laser disturbances (default: none).
    acquisition : AcquisitionSweep, optional
        Record-then-match start-up; default: start from the static tuning plan.
    strategy : {"ordered", "barrel", "free"}
        Channel assignment of the static plan (without ``acquisition``). Default "barrel".
    assignment : array_like of int, shape (n_banks, n_rings), optional
        Explicit channel per ring (without ``acquisition``), overriding the plan.
    initial_heater_power_w : float or array_like, optional
        Starting heater power (without ``acquisition``), W, in thermal equilibrium; default:
        the static plan's power (clipped to the heater range).
    lock_criteria : LockCriteria, optional
        Lock/unlock rule (default :class:`LockCriteria`).
    stats_start_s : float
        Residual statistics use locked samples from this lock-phase time on, s (≥ 0).
    neighbour_channel_power : float
        Power of the other channels at a ring's monitor relative to its own channel (0 … 10):
        with photodiode detectors (dither/lock-in, power maximum) each ring's monitor also sees
        the tails of the two channels nearest its own over its FSR, which pull its lock point
        and can capture it (mislock). Default 0 (ignored; the ideal and slope detectors never
        see them).
    trace_decimation : int, optional
        Keep every n-th sample in the traces (≥ 1); default: about 10^6 samples in total.
    engine : {"numba", "numpy"}
        Compiled kernel (default) or the plain NumPy reference.
    rng : numpy.random.Generator, int or None
        Random source of the detector noise.
    """
    heater = heater or HeaterDriver()
    disturbance = disturbance or Disturbance(laser_drift_m_per_k=0.0)
    lock_criteria = lock_criteria or LockCriteria()
    _check_types(
        [
            ("resonators", resonators, ResonatorArrays, False),
            ("network", network, ThermalNetwork, False),
            ("controller", controller, PIDController, False),
            ("detector", detector, DETECTORS, False),
            ("heater", heater, HeaterDriver, False),
            ("disturbance", disturbance, Disturbance, False),
            ("acquisition", acquisition, AcquisitionSweep, True),
            ("lock_criteria", lock_criteria, LockCriteria, False),
        ]
    )
    implementation = LOOP_ENGINES[check_choice("engine", engine, LOOP_ENGINES)]
    check_choice("strategy", strategy, STRATEGIES)
    check_integer("n_steps", n_steps, low=1)
    n_banks, n_rings = resonators.shape
    if n_rings != network.n_rings:
        raise ValueError(
            f"resonators have {n_rings} rings per bank but network has {network.n_rings}"
        )
    grid = check_range("channel_wavelength_m", channel_wavelength_m, low=1e-7, high=1e-4).reshape(
        -1
    )
    if grid.size < n_rings:
        raise ValueError(
            f"channel_wavelength_m has {grid.size} channels for {n_rings} rings per bank; "
            "n_channels must be >= n_rings"
        )
    h = float(check_range("sample_period_s", sample_period_s, low=0.0, low_inclusive=False))
    check_range("stats_start_s", stats_start_s, low=0.0)
    check_range("neighbour_channel_power", neighbour_channel_power, low=0.0, high=10.0)
    if acquisition is not None and (assignment is not None or initial_heater_power_w is not None):
        raise ValueError(
            "assignment and initial_heater_power_w apply only without acquisition; the "
            "acquisition sweep finds both"
        )
    discrete = network.discretise(h)
    n_sweep = round(acquisition.duration_s / h) if acquisition else 0
    settle = round(acquisition.settle_time_s / h) if acquisition else 0
    sampled = disturbance.sampled(n_sweep + n_steps, h)
    rasic = np.broadcast_to(disturbance.asic_resistance_k_per_w, (n_rings,))
    scalars = _scalars(controller, heater, lock_criteria, discrete, h, settle, stats_start_s)
    params = _params(resonators, network, rasic, lock_criteria, heater)
    _detector_setup(detector, resonators, network, discrete, h, scalars, params)
    _reciprocals(resonators, scalars, params)
    offsets, coefficients = discrete.band()
    inputs = K.LoopInputs(
        scalars=scalars,
        params=params,
        offsets=offsets,
        coefficients=coefficients,
        ambient_k=sampled.ambient_k,
        asic_heat_w=sampled.asic_heat_w,
        laser_shift_m=sampled.laser_shift_m,
    )
    state = np.zeros((n_banks, K.N_STATE, n_rings))
    state[:, K.T_LOCK] = -1.0
    state[:, K.PM_DIR] = 1.0
    state[:, K.PM_PREV] = -1.0
    if acquisition is None:
        channel, start_power = _start(
            resonators, grid, network, inputs, strategy, assignment, params[:, K.P_PMAX]
        )
        if initial_heater_power_w is not None:
            start_power = np.broadcast_to(
                check_range(
                    "initial_heater_power_w",
                    initial_heater_power_w,
                    low=0.0,
                    high=heater.max_power_w,
                ),
                resonators.shape,
            )
        _equilibrium(state, network, start_power)
    else:
        channel, start_power = _acquire(
            acquisition, implementation.sweep, inputs, grid, state, network, n_sweep, h
        )
    active = channel >= 0
    params[:, K.P_ACTIVE] = active
    params[:, K.P_LASER] = np.where(active, grid[np.maximum(channel, 0)], 0.0)
    _neighbours(params, grid, channel, neighbour_channel_power)
    seen = np.any(params[:, K.P_BELOW_WEIGHT] > 0.0) or np.any(params[:, K.P_ABOVE_WEIGHT] > 0.0)
    scalars[K.S_NEIGHBOURS] = float(seen)
    state[:, K.U_CMD] = np.where(active, start_power, 0.0)
    state[:, K.U_APPLIED] = state[:, K.U_CMD]
    if trace_decimation is None:
        n_records = int(np.clip(_TRACE_BUDGET // (n_banks * n_rings), 10, 2000))
        decimation = max(1, -(-n_steps // n_records))
    else:
        decimation = check_integer("trace_decimation", trace_decimation, low=1)
    scalars[K.S_DECIMATION] = decimation
    lock_inputs = inputs._replace(
        ambient_k=sampled.ambient_k[n_sweep:].copy(),
        asic_heat_w=sampled.asic_heat_w[n_sweep:].copy(),
        laser_shift_m=sampled.laser_shift_m[n_sweep:].copy(),
    )
    loop_state = K.LoopState(
        state=state,
        buffer=np.zeros((n_banks, int(scalars[K.S_DITHER_N]), n_rings)),
        # Every record of every ring is written by the kernel (bank, field, ring, record).
        traces=np.empty((n_banks, 3, n_rings, -(-n_steps // decimation))),
    )
    _run(implementation.lock, lock_inputs, loop_state, n_steps, np.random.default_rng(rng))
    return _result(
        loop_state,
        n_steps=n_steps,
        decimation=decimation,
        sample_period_s=h,
        assignment=channel,
        fwhm_m=np.array(resonators.fwhm_m),
        acquisition_duration_s=n_sweep * h,
    )


# ---------------------------------------------------------------------------------- internals
class _LoopEngine(NamedTuple):
    lock: Callable
    """Advances the loop: ``lock(k0, k1, inputs, keys, state)``."""
    sweep: Callable
    """Acquisition sweep: ``sweep(sweep_inputs, best_drop, best_power)``."""


LOOP_ENGINES = {
    "numba": _LoopEngine(lock=K.lock_banks, sweep=K.sweep_rings),
    "numpy": _LoopEngine(
        lock=_loop_reference.lock_banks_reference, sweep=_loop_reference.sweep_rings_reference
    ),
}
"""Implementations of :func:`simulate_locking` by ``engine`` name ("numpy" is the slow
reference)."""

DETECTORS = (IdealDetector, LorentzianSlopeDetector, DitherLockInDetector, PowerMaximumTracker)
"""Detector classes :func:`simulate_locking` runs."""


def _check_types(expected):
    for name, value, kind, optional in expected:
        if optional and value is None:
            continue
        if not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else ", ".join(k.__name__ for k in kind)
            raise ValueError(f"{name} = {value!r} must be a {names}")


def _scalars(controller, heater, lock_criteria, discrete, h, settle, stats_start_s):
    """The run's settings, indexed by the kernels' ``S_*`` constants (the detector's are set by
    :func:`_detector_setup`)."""
    scalars = np.zeros(K.N_SCALARS)
    pid = controller.discrete_coefficients(h)
    scalars[K.S_KP] = pid["kp"]
    scalars[K.S_KIH] = pid["ki_h"]
    scalars[K.S_DERIV_FILTER] = pid["deriv_filter"]
    scalars[K.S_DERIV_GAIN] = pid["deriv_gain"]
    scalars[K.S_BACK_CALC] = pid["back_calc"]
    scalars[K.S_ANTI_WINDUP] = controller.anti_windup_code
    scalars[K.S_BUMPLESS] = float(controller.bumpless_start)
    scalars[K.S_PMAX] = heater.max_power_w
    scalars[K.S_DAC_LEVELS] = heater.dac_levels
    scalars[K.S_DITHER_N] = 1.0
    scalars[K.S_PM_PERIOD] = 1.0
    scalars[K.S_LOCK_DROP] = lock_criteria.min_drop_fraction
    scalars[K.S_LOCK_HOLD] = max(1, round(lock_criteria.hold_time_s / h))
    scalars[K.S_CONTROL_START] = settle
    scalars[K.S_STATS_START] = int(np.ceil(stats_start_s / h - 1e-9))
    (scalars[K.S_SA11], scalars[K.S_SA12]), (scalars[K.S_SA21], scalars[K.S_SA22]) = discrete.self_a
    scalars[K.S_SB1], scalars[K.S_SB2] = discrete.self_b
    (scalars[K.S_MA11], scalars[K.S_MA12]), (scalars[K.S_MA21], scalars[K.S_MA22]) = (
        discrete.mutual_a
    )
    scalars[K.S_MB1], scalars[K.S_MB2] = discrete.mutual_b
    return scalars


def _params(resonators, network, rasic, lock_criteria, heater):
    """Per-ring parameters indexed by the kernels' ``P_*`` constants."""
    params = np.zeros((*resonators.shape[:1], K.N_PARAMS, resonators.shape[1]))
    params[:, K.P_COLD] = resonators.cold_resonance_m
    params[:, K.P_FWHM] = resonators.fwhm_m
    params[:, K.P_DLDT] = resonators.thermal_shift_m_per_k
    params[:, K.P_FSR] = resonators.fsr_m
    params[:, K.P_RSELF] = network.self_resistance_k_per_w
    params[:, K.P_RASIC] = rasic
    params[:, K.P_ERR_THRESHOLD] = lock_criteria.max_error_fraction_of_fwhm * resonators.fwhm_m
    params[:, K.P_PEAK_CURRENT] = 1.0
    params[:, K.P_PMAX] = heater.full_scale_power_w(resonators.heater_resistance_ratio)
    return params


def _reciprocals(resonators, scalars, params):
    """Reciprocals for the per-step loops (multiplications instead of divisions)."""
    params[:, K.P_INV_FSR] = 1.0 / resonators.fsr_m
    params[:, K.P_INV_HWHM] = 2.0 / resonators.fwhm_m
    params[:, K.P_INV_PEAK] = 1.0 / params[:, K.P_PEAK_CURRENT]
    quantised = scalars[K.S_QUANT_STEP] > 0.0
    scalars[K.S_INV_QUANT] = 1.0 / scalars[K.S_QUANT_STEP] if quantised else 0.0


def _detector_setup(detector, resonators, network, discrete, h, scalars, params):
    scalars[K.S_KIND] = detector.kind
    if isinstance(detector, IdealDetector | LorentzianSlopeDetector):
        scalars[K.S_NOISE_SIGMA] = detector.noise_m
        scalars[K.S_QUANT_STEP] = detector.quantisation_step_m
        scalars[K.S_ADC_FULL_SCALE] = np.inf
        return
    photodiode = detector.photodiode
    scalars[K.S_NOISE_SIGMA] = photodiode.noise_current_a(h)
    scalars[K.S_QUANT_STEP] = photodiode.adc_step_a
    scalars[K.S_ADC_FULL_SCALE] = photodiode.adc_full_scale_a
    params[:, K.P_PEAK_CURRENT] = photodiode.peak_current_a * resonators.drop_peak
    if isinstance(detector, PowerMaximumTracker):
        scalars[K.S_PM_STEP] = detector.step_power_w
        scalars[K.S_PM_PERIOD] = detector.update_period_steps
        scalars[K.S_MONITOR_ALPHA] = np.exp(-1.0 / detector.update_period_steps)
        return
    n = detector.dither_period_steps
    scalars[K.S_DITHER_N] = n
    scalars[K.S_DITHER_AMP] = detector.dither_amplitude_w
    scalars[K.S_MONITOR_ALPHA] = np.exp(-1.0 / n)
    response = dither_path_response(network, discrete, n)
    amplitude = resonators.thermal_shift_m_per_k * detector.dither_amplitude_w * np.abs(response)
    params[:, K.P_REF_COS] = np.cos(np.angle(response))
    params[:, K.P_REF_SIN] = np.sin(np.angle(response))
    params[:, K.P_NORM] = resonators.fwhm_m**2 / (4.0 * amplitude * params[:, K.P_PEAK_CURRENT] * n)


def dither_path_response(network: ThermalNetwork, discrete, dither_period_steps: int):
    """Complex temperature response per watt to an in-phase dither of every heater, K/W.

    ``G_i = R_ii·H_self(e^{jω}) + (Σ_{j≠i} R_ij)·H_mutual(e^{jω})`` at ``ω = 2π/N`` rad per
    sample, where ``H(z) = [0, 1]·(zI - A)⁻¹·b`` of the exact-ZOH paths.

    Parameters
    ----------
    network : ThermalNetwork
        The bank's thermal network.
    discrete : DiscreteThermalNetwork
        Its discretisation at the loop's sample period.
    dither_period_steps : int
        Dither period N in samples.
    """
    z = np.exp(2j * np.pi / dither_period_steps)

    def path(a, b):
        return np.linalg.solve(z * np.eye(2) - a, b)[1]

    matrix = network.resistance_k_per_w
    own = np.diag(matrix)
    return own * path(discrete.self_a, discrete.self_b) + (matrix.sum(axis=1) - own) * path(
        discrete.mutual_a, discrete.mutual_b
    )


def _start(resonators, grid, network, inputs, strategy, assignment, max_heater_power_w):
    """Channel and starting heater power of every ring without acquisition: the given
    assignment at 0 W, or the static tuning plan of the rings and lasers as they stand at
    t = 0 (ambient and ASIC offsets included), clipped to the heater range."""
    shape = resonators.shape
    if assignment is not None:
        channel = np.asarray(assignment)
        if channel.shape != shape or not np.issubdtype(channel.dtype, np.integer):
            raise ValueError(f"assignment must be an integer array of shape {shape}")
        if channel.min() < 0 or channel.max() >= grid.size:
            raise ValueError(f"assignment values must be channel indices 0 … {grid.size - 1}")
        return channel.astype(np.int64), np.zeros(shape)
    rasic = inputs.params[:, K.P_RASIC]
    warm = resonators.cold_resonance_m + resonators.thermal_shift_m_per_k * (
        inputs.ambient_k[0] + rasic * inputs.asic_heat_w[0]
    )
    plan = plan_tuning(
        warm,
        fsr_m=resonators.fsr_m,
        channel_wavelength_m=grid + inputs.laser_shift_m[0],
        tuning_efficiency_m_per_w=network.tuning_efficiency_m_per_w(
            resonators.thermal_shift_m_per_k
        ),
        max_heater_power_w=max_heater_power_w,
        strategy=strategy,
        crosstalk_fraction=network.crosstalk_fraction,
        alias_guard_m=0.0,
    )
    return plan.assignment, np.clip(plan.heater_power_w, 0.0, max_heater_power_w)


def _neighbours(params, grid, channel, relative_power):
    """Offsets (m) and relative powers of the nearest other channel below and above each
    ring's own, with the other channels brought to the ring's own resonance order."""
    if grid.size < 2 or relative_power == 0.0:
        return
    fsr = params[:, K.P_FSR][..., None]
    raw = grid[None, None, :] - grid[np.maximum(channel, 0)][..., None]
    offset = raw - fsr * np.floor(raw / fsr + 0.5)
    others = np.arange(grid.size)[None, None, :] != channel[..., None]
    below = np.where(others & (offset < 0.0), offset, -np.inf).max(axis=-1)
    above = np.where(others & (offset >= 0.0), offset, np.inf).min(axis=-1)
    seen = params[:, K.P_ACTIVE] > 0.0
    for name, weight, value in (
        (K.P_BELOW, K.P_BELOW_WEIGHT, below),
        (K.P_ABOVE, K.P_ABOVE_WEIGHT, above),
    ):
        present = seen & np.isfinite(value)
        params[:, name] = np.where(present, value, 0.0)
        params[:, weight] = np.where(present, relative_power, 0.0)


def _equilibrium(state, network, power):
    matrix = network.resistance_k_per_w
    own = np.diag(matrix) * power
    mutual = power @ matrix.T - own
    state[:, K.X_S1] = state[:, K.X_S2] = own
    state[:, K.X_M1] = state[:, K.X_M2] = mutual


def _acquire(acquisition, sweep, inputs, grid, state, network, n_sweep, h):
    """Record-then-match start-up: sweep every heater, record each ring's channels, assign.

    Every heater ramps over its own range, ``scale = P_PMAX/S_PMAX`` times the nominal ramp,
    so a ring's temperature is its self resistance times its own scale, plus its mutual
    resistances weighted by its neighbours' scales, times the paths' responses to the nominal
    ramp; its recorded powers are its own scale times the nominal ramp's."""
    params, scalars = inputs.params, inputs.scalars
    n_banks, _, n_rings = params.shape
    best_drop = np.zeros((grid.size, n_banks * n_rings))
    best_power = np.zeros((grid.size, n_banks * n_rings))
    power = quantise_power(
        scalars[K.S_PMAX] * np.arange(n_sweep) / max(n_sweep - 1, 1),
        scalars[K.S_PMAX],
        int(scalars[K.S_DAC_LEVELS]),
    )
    discrete = network.discretise(h)
    own_path = _ramp_response(discrete.self_a, discrete.self_b, power)
    mutual_path = _ramp_response(discrete.mutual_a, discrete.mutual_b, power)
    scale = params[:, K.P_PMAX] / scalars[K.S_PMAX]  # (n_banks, n_rings)
    own = np.diag(network.resistance_k_per_w) * scale
    mutual = scale @ network.resistance_k_per_w.T - own

    def rings(values):
        return np.ascontiguousarray(np.broadcast_to(values, (n_banks, n_rings))).reshape(-1)

    sweep(
        K.SweepInputs(
            grid=grid,
            self_k_per_w=own_path[:-1, 1],
            mutual_k_per_w=mutual_path[:-1, 1],
            power_w=power,
            ambient_k=inputs.ambient_k[:n_sweep],
            asic_heat_w=inputs.asic_heat_w[:n_sweep],
            laser_shift_m=inputs.laser_shift_m[:n_sweep],
            cold_m=rings(params[:, K.P_COLD]),
            dldt=rings(params[:, K.P_DLDT]),
            self_resistance=rings(own),
            mutual_resistance=rings(mutual),
            asic_resistance=rings(params[:, K.P_RASIC]),
            fsr=rings(params[:, K.P_FSR]),
            inv_fsr=rings(params[:, K.P_INV_FSR]),
            inv_hwhm=rings(params[:, K.P_INV_HWHM]),
        ),
        best_drop,
        best_power,
    )
    best_drop = best_drop.T.reshape(n_banks, n_rings, grid.size)
    best_power = best_power.T.reshape(n_banks, n_rings, grid.size)
    # The thermal state the ramp leaves (every heater at the last ramp power).
    state[:, K.X_S1] = own * own_path[-1, 0]
    state[:, K.X_S2] = own * own_path[-1, 1]
    state[:, K.X_M1] = mutual * mutual_path[-1, 0]
    state[:, K.X_M2] = mutual * mutual_path[-1, 1]
    state[:, K.U_APPLIED] = power[-1] * scale
    # The ramp rises by P_max/(n_sweep - 1) per step; a path with poles τ1, τ2 lags a ramp by
    # τ1 + τ2, so the resonance is seen that much power too late (each ring's own ramp).
    rate = scalars[K.S_PMAX] / max(n_sweep - 1, 1)
    lag_steps = (network.time_constant_s + network.second_time_constant_s) / h
    recorded = np.clip(best_power - rate * lag_steps, 0.0, scalars[K.S_PMAX]) * scale[..., None]
    floor = np.broadcast_to(acquisition.min_start_power_w, (n_rings,))[None, :, None]
    seen = (best_drop >= acquisition.min_peak_drop) & (recorded >= floor)
    channel = np.empty((n_banks, n_rings), dtype=np.int64)
    tuning_kernels.assign_banks(
        recorded, seen, tuning_kernels.STRATEGY_CODES[acquisition.strategy], channel
    )
    found = np.take_along_axis(seen, channel[:, :, None], axis=2)[:, :, 0]
    start = np.where(found, np.take_along_axis(recorded, channel[:, :, None], axis=2)[:, :, 0], 0.0)
    if acquisition.compensate_crosstalk:
        crosstalk = network.crosstalk_fraction
        heating = start * crosstalk.sum(axis=1)
        start = np.clip(np.linalg.solve(crosstalk, heating.T).T, 0.0, params[:, K.P_PMAX])
        start = np.where(found, start, 0.0)
    return np.where(found, channel, -1), start


def _ramp_response(a, b, power):
    """States (n_steps + 1, 2) of a 2-pole exact-ZOH path per K/W driven by ``power`` from
    rest: row ``k`` before step ``k``'s update, the last after the ramp."""
    states = np.zeros((power.size + 1, 2))
    for k, p in enumerate(power):
        states[k + 1] = a @ states[k] + b * p
    return states


def _run(lock, inputs, state, n_steps: int, rng: np.random.Generator) -> None:
    """Advance the loop ``n_steps`` steps in place, each group of banks with its own
    detector-noise stream (:mod:`cposim.control.loop._noise`)."""
    n_banks, _, n_rings = inputs.params.shape
    if inputs.scalars[K.S_NOISE_SIGMA] > 0.0:
        keys = group_keys(rng, n_banks, n_rings)
    else:
        keys = np.zeros(0, dtype=np.uint64)
    lock(0, n_steps, inputs, keys, state)


def _result(loop_state, *, n_steps, decimation, sample_period_s, **fields) -> LockingResult:
    """The :class:`LockingResult` of a finished run (lock statistics from the state)."""
    st, traces = loop_state.state, loop_state.traces
    h = sample_period_s
    count = st[:, K.STAT_N]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, st[:, K.STAT_SUM] / count, np.nan)
        variance = np.where(count > 0, st[:, K.STAT_SUM2] / count - mean * mean, np.nan)
    t_lock = st[:, K.T_LOCK]
    return LockingResult(
        time_s=np.arange(traces.shape[3]) * decimation * h,
        detuning_m=traces[:, K.TR_DETUNING],  # views: each ring's trace is contiguous
        heater_power_w=traces[:, K.TR_HEATER],
        error_m=traces[:, K.TR_ERROR],
        locked=st[:, K.LOCKED] == 1.0,
        time_to_lock_s=np.where(t_lock >= 0.0, t_lock * h, np.nan),
        lock_loss_count=st[:, K.N_LOSS].astype(np.int64),
        residual_mean_m=mean,
        residual_std_m=np.sqrt(np.maximum(variance, 0.0)),
        residual_max_abs_m=np.where(count > 0, st[:, K.STAT_MAXABS], np.nan),
        residual_samples=count.astype(np.int64),
        mean_heater_power_w=st[:, K.POWER_SUM] / n_steps,
        final_heater_power_w=st[:, K.U_APPLIED].copy(),
        saturated_time_s=st[:, K.N_SATURATED] * h,
        sample_period_s=h,
        **fields,
    )


__all__ = [
    "DETECTORS",
    "LOOP_ENGINES",
    "AcquisitionSweep",
    "LockCriteria",
    "LockingResult",
    "ResonatorArrays",
    "dither_path_response",
    "simulate_locking",
]
