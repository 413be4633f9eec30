"""Closed-loop yield: every die's rings power up, acquire their channels and track, in time.

The dynamic lock mode (``[lock] mode = "dynamic"``) replaces the engine's static tuning plan
and Gaussian residual for the dies it runs. Every bank of a die (TX and RX rings, each with its
own fabricated resonance, linewidth and drop peak) runs
:func:`cposim.control.loop.simulate_locking`:

1. **Power-up** at the coldest ambient of ``[tuning]`` (``ambient_range_k`` below the hottest
   corner at which rings are characterised) with the lasers at their hottest
   (``laser_drift_m_per_k·laser_temperature_range_k`` red of the grid): the corner where the
   rings need the most heater power.
2. **Record-then-match acquisition**: every heater sweeps 0 → full power while each ring's
   response to every channel is recorded, channels are assigned by ``[tuning] strategy`` on the
   recorded powers, and each heater jumps to its recorded power and settles.
3. **Lock and track** the :class:`MissionProfile` (an ASIC load step and an ambient ramp) with
   the study's heater DAC, thermal crosstalk (mutual path with its own, later pole), the
   detector's noise and ADC, and each monitor seeing its two nearest other channels.

Each ring ends with one of the dynamic failure modes (:data:`DYNAMIC_FAILURES`) or passes, and
its residual detuning over the profile (a statistic of its own simulated trace, not a Gaussian
draw) enters the link budget. Assumptions: the modulator's bias controller holds the ring at
its bias with the residual of a peak lock; the acquisition sees each channel on its own
(lasers lit one by one or pilot-toned); all rings share the modulator ring's dλ/dT (as the
static plan does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from cposim.control.controllers import PIDController
from cposim.control.core.validation import check_choice, check_integer, check_range
from cposim.control.detectors import (
    DitherLockInDetector,
    IdealDetector,
    LorentzianSlopeDetector,
    PowerMaximumTracker,
)
from cposim.control.loop.locking import (
    AcquisitionSweep,
    LockingResult,
    ResonatorArrays,
    simulate_locking,
)
from cposim.control.thermal import DEFAULT_TIME_CONSTANT_S, Disturbance, ThermalNetwork

DETECTOR_KINDS = ("dither", "slope", "ideal", "power-maximum")
"""Lock detectors of the dynamic mode (:attr:`DynamicLockSettings.detector`)."""


@dataclass(frozen=True, kw_only=True)
class Arbitration:
    """How a record-then-match start-up picks channels and starts the loops: the contract of
    an entry of :data:`ARBITRATIONS` (with ``[tuning] strategy`` choosing among the channel
    orders allowed).

    Parameters
    ----------
    keeps_headroom : bool
        Only channels recorded at or above the power the die will take back as it warms
        (:func:`warming_headroom_w`, over each ring's crosstalk gain ``Σ_j X_ij``, since the
        sweep heats every ring at once) may be assigned.
    compensates_crosstalk : bool
        Heaters jump to the powers that reproduce every ring's recorded heating through the
        crosstalk matrix, instead of to the recorded powers.
    """

    keeps_headroom: bool
    compensates_crosstalk: bool

    def acquisition(self, settings, tuning, network, dldt_m_per_k: float) -> AcquisitionSweep:
        """The :class:`~cposim.control.loop.locking.AcquisitionSweep` of this arbitration.

        Parameters
        ----------
        settings : DynamicLockSettings
            Sweep and settle times.
        tuning : TuningSettings
            Strategy, environment corners, heater efficiency.
        network : ThermalNetwork
            The bank's thermal network (its crosstalk gains).
        dldt_m_per_k : float
            Resonance shift per kelvin, m/K.
        """
        floor = 0.0
        if self.keeps_headroom:
            floor = warming_headroom_w(tuning, dldt_m_per_k) / network.crosstalk_fraction.sum(
                axis=1
            )
        return AcquisitionSweep(
            duration_s=settings.acquisition_time_s,
            settle_time_s=settings.settle_time_s,
            min_start_power_w=floor,
            strategy=tuning.strategy,
            compensate_crosstalk=self.compensates_crosstalk,
        )


ARBITRATIONS = {
    "crosstalk-aware": Arbitration(keeps_headroom=True, compensates_crosstalk=True),
    "headroom": Arbitration(keeps_headroom=True, compensates_crosstalk=False),
    "lowest-power": Arbitration(keeps_headroom=False, compensates_crosstalk=False),
}
"""Arbitrations by name (:attr:`DynamicLockSettings.arbitration`); ``"lowest-power"`` is the
least-recorded-power assignment of WDMSim (github.com/wdmsim/wdm-simulator)."""

RESIDUAL_STATISTICS = ("sample", "rms", "mean")
"""How a ring's simulated residual detuning enters the link budget."""

DYNAMIC_FAILURES = (
    "acquisition_failed",
    "wrong_channel",
    "lock_lost",
    "heater_saturation",
    "lock_residual",
)
"""Failure modes only the dynamic mode sees, in attribution order (engine codes follow
``channel_aliasing``)."""

SILICON_THERMAL_DIFFUSIVITY_M2_PER_S = 148.0 / (2329.0 * 712.0)
"""Thermal diffusivity of silicon at 300 K, m²/s (≈ 8.9e-5): conductivity 148 W/(m·K)
(Glassbrenner & Slack, Phys. Rev. 134, A1058 (1964)) over density 2329 kg/m³ times specific
heat 712 J/(kg·K) (CRC Handbook of Chemistry and Physics)."""


@dataclass(frozen=True, kw_only=True)
class MissionProfile:
    """What every die goes through after power-up (times from power-up, the sweep's start).

    Parameters
    ----------
    asic_step_w : float
        Switch-ASIC power switched on during the profile, W (≥ 0). Default 100 W
        (*assumption*: a load step of a few hundred-watt switch ASIC).
    asic_step_time_s : float
        When the step happens, s (≥ 0). Default 1.3 ms (after the default 1 ms acquisition,
        once the loops are locked).
    asic_resistance_k_per_w : float
        Thermal resistance from the ASIC to every ring, K/W (≥ 0). Default 0.1 (*assumption*
        of :class:`~cposim.control.thermal.Disturbance`: 100 W warm the photonic die ≈ 10 K).
    asic_time_constant_s : float
        Pole of the ASIC-to-ring path, s (> 0). Default 10 ms (*assumption*: heat crossing the
        package substrate and lid to the optical engine). The loop's tracking error peaks
        just after the step, at ``R·P·dλ/dT/τ`` times its closed-loop time constant: 3 pm by
        default, 31 pm (beyond FWHM/10, the default loop loses lock) at 1 ms.
    ambient_ramp_k_per_s : float
        Ambient ramp from power-up on, K/s. Default 60 K/s, the drift the static residual
        (:class:`~cposim.photonics.yields.config.LockSettings`) is computed for.
    laser_drift_m_per_k : float
        Laser wavelength drift per kelvin of ambient change during the profile, m/K (−1e-9 …
        1e-9). Default 0 (the external laser is TEC-stabilised; its range is in ``[tuning]``).
    """

    asic_step_w: float = 100.0
    asic_step_time_s: float = 1.3e-3
    asic_resistance_k_per_w: float = 0.1
    asic_time_constant_s: float = 10e-3
    ambient_ramp_k_per_s: float = 60.0
    laser_drift_m_per_k: float = 0.0

    def __post_init__(self):
        check_range("asic_step_w", self.asic_step_w, low=0.0, high=1e4)
        check_range("asic_step_time_s", self.asic_step_time_s, low=0.0, high=10.0)
        check_range("asic_resistance_k_per_w", self.asic_resistance_k_per_w, low=0.0, high=10.0)
        check_range(
            "asic_time_constant_s",
            self.asic_time_constant_s,
            low=0.0,
            high=10.0,
            low_inclusive=False,
        )
        check_range("ambient_ramp_k_per_s", self.ambient_ramp_k_per_s, low=-1e6, high=1e6)
        check_range("laser_drift_m_per_k", self.laser_drift_m_per_k, low=-1e-9, high=1e-9)

    def disturbance(self, *, start_ambient_k: float, sample_period_s: float) -> Disturbance:
        """The profile as a :class:`~cposim.control.thermal.Disturbance`.

        Parameters
        ----------
        start_ambient_k : float
            Ambient at power-up relative to the rings' reference corner, K.
        sample_period_s : float
            Loop sample period, s (the ASIC step rises within one).
        """
        step_at = self.asic_step_time_s
        return Disturbance(
            ambient_step_k=start_ambient_k,
            ambient_ramp_k_per_s=self.ambient_ramp_k_per_s,
            asic_time_s=[0.0, step_at + 0.5 * sample_period_s, step_at + sample_period_s],
            asic_power_w=[0.0, 0.0, self.asic_step_w],
            asic_resistance_k_per_w=self.asic_resistance_k_per_w,
            asic_time_constant_s=self.asic_time_constant_s,
            laser_drift_m_per_k=self.laser_drift_m_per_k,
        )


@dataclass(frozen=True, kw_only=True)
class DynamicLockSettings:
    """The closed-loop simulation of the dynamic lock mode (``[dynamic]``).

    Parameters
    ----------
    sample_period_s : float
        Loop sample period, s (> 0, ≤ 100 µs). Default 1 µs (as the static residual's loop).
    acquisition_time_s : float
        Duration of the record-then-match heater sweep, s (> 0). Default 1 ms (*assumption*:
        250 heater time constants, so the lag correction stays small).
    settle_time_s : float
        Hold at the recorded powers before the loops close, s (≥ 0). Default 20 µs (five heater
        time constants).
    tracking_time_s : float
        Closed-loop time after the acquisition, s (> 0). Default 1 ms (20 closed-loop time
        constants; with the default 1 ms sweep, 2,000 steps per die).
    stats_start_s : float
        Residual statistics use the locked samples from this time after the acquisition on, s
        (≥ 0, < ``tracking_time_s``). Default 0.3 ms (six closed-loop time constants).
    detector : {"dither", "slope", "ideal", "power-maximum"}
        Error detector with its library defaults (dither: 50 µW over 16 samples, monitor TIA
        17 pA/√Hz, 10-bit ADC). Default "dither". "ideal" reads the true detuning without
        noise.
    closed_loop_time_constant_s : float
        λ of the lambda-tuned PI controller, s (> 0). Default 50 µs (as the static residual).
    heater_time_constant_s : float
        Pole of each ring's own heater path, s (> 0). Default 4 µs (metal heater: Atabaki et
        al., Opt. Express 18(17), 18312 (2010)).
    mutual_delay_time_constant_s : float
        Extra pole of the path from a heater to its neighbours, s (≥ 0): heat reaches a
        neighbour later and slower than its own ring. Default 1.75 µs, the lateral diffusion
        time ``pitch²/(4·D_Si)`` over the default 25 µm ring pitch
        (:data:`SILICON_THERMAL_DIFFUSIVITY_M2_PER_S`; *assumption* that heat spreads
        sideways through the silicon substrate, after crossing the buried oxide as fast as
        into its own ring).
    arbitration : {"crosstalk-aware", "headroom", "lowest-power"}
        How record-then-match picks channels and starts the loops (with ``[tuning] strategy``
        among the channel orders it allows). ``"lowest-power"``: the assignment of least
        recorded heater power (WDMSim's arbitration), each heater jumping to its recorded
        power; at a cold start it can leave a heater too little power to give back once the
        die warms. ``"headroom"``: only channels recorded at or above the power the die will
        take back (its ambient and laser ranges as heater power, :func:`warming_headroom_w`,
        over the ring's crosstalk gain ``Σ_j X_ij``, since the sweep heats every ring at once):
        the static plan's rule asked at power-up. ``"crosstalk-aware"``: as ``"headroom"``,
        and the heaters jump to the powers that reproduce every ring's recorded heating
        through the crosstalk matrix (after a jump to the recorded powers, each ring moves by
        its neighbours' power differences, and with strong crosstalk locks to a neighbouring
        channel). Default "crosstalk-aware".
    neighbour_channel_power : float
        Power of the other channels at a ring's monitor relative to its own (0 … 10). Default 1
        (equal-power lasers on one bus: every TX and RX ring sees them all).
    max_residual_fraction_of_fwhm : float
        Largest RMS residual detuning over the profile, as a fraction of the ring's FWHM
        (> 0, ≤ 1), beyond which a locked ring fails (``lock_residual``). Default 0.1, the
        lock-accuracy target (design assumption).
    residual_statistic : {"sample", "rms", "mean"}
        The residual detuning each lane's link budget uses, from the ring's own locked samples
        after ``stats_start_s``: ``"sample"``, one instant of its trace (its mean plus its
        standard deviation times the normal the static mode draws for that ring, so both
        modes see the same instant); ``"rms"``, the RMS with the sign of the mean; or the
        mean. Default "sample" (the static mode's question, asked of the simulated loop).
    fraction : float
        Fraction of the dies that run dynamically (0 … 1), stratified by their static outcome:
        in every wafer and every static failure mode, that fraction (rounded up) of its dies is
        chosen by the study's seed; the others keep their static result. Default 1.
    profile : MissionProfile
        The mission profile after power-up.
    """

    sample_period_s: float = 1e-6
    acquisition_time_s: float = 1e-3
    settle_time_s: float = 20e-6
    tracking_time_s: float = 1e-3
    stats_start_s: float = 0.3e-3
    detector: Literal["dither", "slope", "ideal", "power-maximum"] = "dither"
    closed_loop_time_constant_s: float = 50e-6
    heater_time_constant_s: float = DEFAULT_TIME_CONSTANT_S
    mutual_delay_time_constant_s: float = 1.75e-6
    arbitration: Literal["crosstalk-aware", "headroom", "lowest-power"] = "crosstalk-aware"
    neighbour_channel_power: float = 1.0
    max_residual_fraction_of_fwhm: float = 0.1
    residual_statistic: Literal["sample", "rms", "mean"] = "sample"
    fraction: float = 1.0
    profile: MissionProfile = field(default_factory=MissionProfile)

    def __post_init__(self):
        check_range(
            "sample_period_s", self.sample_period_s, low=0.0, high=1e-4, low_inclusive=False
        )
        check_range(
            "acquisition_time_s", self.acquisition_time_s, low=0.0, high=1.0, low_inclusive=False
        )
        check_range("settle_time_s", self.settle_time_s, low=0.0, high=1.0)
        check_range(
            "tracking_time_s", self.tracking_time_s, low=0.0, high=10.0, low_inclusive=False
        )
        check_range(
            "stats_start_s",
            self.stats_start_s,
            low=0.0,
            high=float(self.tracking_time_s),
            high_inclusive=False,
        )
        check_choice("detector", self.detector, DETECTOR_KINDS)
        check_range(
            "closed_loop_time_constant_s",
            self.closed_loop_time_constant_s,
            low=0.0,
            high=1.0,
            low_inclusive=False,
        )
        check_range(
            "heater_time_constant_s",
            self.heater_time_constant_s,
            low=0.0,
            high=1.0,
            low_inclusive=False,
        )
        check_range(
            "mutual_delay_time_constant_s", self.mutual_delay_time_constant_s, low=0.0, high=1.0
        )
        check_choice("arbitration", self.arbitration, ARBITRATIONS)
        check_range("neighbour_channel_power", self.neighbour_channel_power, low=0.0, high=10.0)
        check_range(
            "max_residual_fraction_of_fwhm",
            self.max_residual_fraction_of_fwhm,
            low=0.0,
            high=1.0,
            low_inclusive=False,
        )
        check_choice("residual_statistic", self.residual_statistic, RESIDUAL_STATISTICS)
        check_range("fraction", self.fraction, low=0.0, high=1.0)

    @property
    def n_steps(self) -> int:
        """Closed-loop steps per die after the acquisition."""
        return max(1, round(self.tracking_time_s / self.sample_period_s))

    def detector_model(self):
        """The lock detector object (library defaults of the chosen kind)."""
        return {
            "dither": DitherLockInDetector,
            "slope": LorentzianSlopeDetector,
            "ideal": IdealDetector,
            "power-maximum": PowerMaximumTracker,
        }[self.detector]()


@dataclass(frozen=True, kw_only=True, eq=False)
class BankLocks:
    """Outcome of the dynamic lock of many banks (made by :func:`lock_banks`).

    Parameters
    ----------
    assignment : ndarray of int64, shape (n_banks, n_rings)
        Channel of every ring, a permutation per bank (rings the acquisition left without a
        channel get the channels nobody took, and fail with ``acquisition_failed``).
    failure : ndarray of int8, shape (n_banks, n_rings)
        0 (locked and tracking) or 1 + index into :data:`DYNAMIC_FAILURES`.
    residual_mean_m, residual_std_m, residual_max_abs_m : ndarray, shape (n_banks, n_rings)
        Statistics of the residual detuning laser − ring over the locked samples of the
        profile, m (0 where the ring has none).
    heater_power_w : ndarray, shape (n_banks, n_rings)
        Mean heater power over the profile, W.
    time_to_lock_s : ndarray, shape (n_banks, n_rings)
        Time from power-up to first lock, s (NaN: never locked).
    over_budget : ndarray of bool, shape (n_banks,)
        Whether the bank's mean total heater power exceeds ``[tuning] bank_power_budget_w``.
    trace : LockingResult or None
        The loop's full result with decimated traces, when asked for
        (:func:`lock_banks` ``trace_records``).
    """

    assignment: np.ndarray
    failure: np.ndarray
    residual_mean_m: np.ndarray
    residual_std_m: np.ndarray
    residual_max_abs_m: np.ndarray
    heater_power_w: np.ndarray
    time_to_lock_s: np.ndarray
    over_budget: np.ndarray
    trace: LockingResult | None = None


@dataclass(frozen=True, kw_only=True, eq=False)
class DieLockTimeline:
    """One die's dynamic lock in time (made by
    :func:`cposim.photonics.yields.engine.die_lock_timeline`).

    Parameters
    ----------
    wafer, die : int
        Which die.
    time_s : ndarray, shape (n_records,)
        Time from power-up, s (the tracking phase, after the acquisition sweep).
    detuning_m, heater_power_w : ndarray, shape (n_rings, n_records)
        Every ring's detuning laser − ring (m; NaN without a channel) and heater power (W).
    failure : ndarray of int8, shape (n_rings,)
        0 or 1 + index into :data:`DYNAMIC_FAILURES`.
    ring_labels : tuple of str
        Each ring's bank and channel, e.g. ``"link 2 TX ch 5"``.
    fwhm_m : ndarray, shape (n_rings,)
        Each ring's FWHM, m.
    event_time_s : ndarray, shape (n_rings,)
        When each failing ring's failure shows in its trace, s (NaN: passing, or never
        locked): leaving the ±FWHM/10 band after its first lock (lock lost), the heater first
        at an end of its range (saturation), its first lock (wrong channel), its largest
        excursion (residual).
    asic_step_time_s : float or None
        The profile's ASIC step, s (None without one).
    """

    wafer: int
    die: int
    time_s: np.ndarray
    detuning_m: np.ndarray
    heater_power_w: np.ndarray
    failure: np.ndarray
    ring_labels: tuple
    fwhm_m: np.ndarray
    event_time_s: np.ndarray
    asic_step_time_s: float | None

    def plot(self, ax=None):
        """Detuning of every ring against time, failing rings marked; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.yields import plot

        return plot.lock_timeline(self, ax)


def failure_events(failure, time_s, detuning_m, heater_power_w, *, fwhm_m, first_lock_s, pmax_w):
    """When each failing ring's failure shows in its (decimated) trace, s (see
    :attr:`DieLockTimeline.event_time_s`).

    Parameters
    ----------
    failure : array_like of int, shape (n_rings,)
        Dynamic failure codes.
    time_s : array_like, shape (n_records,)
        Trace times, s.
    detuning_m, heater_power_w : array_like, shape (n_rings, n_records)
        Traces, m and W.
    fwhm_m, first_lock_s : array_like, shape (n_rings,)
        FWHM (m) and time of first lock (s, NaN if never).
    pmax_w : float or array_like, shape (n_rings,)
        Each heater's full-scale power, W.
    """
    code = {name: k for k, name in enumerate(DYNAMIC_FAILURES, start=1)}
    events = np.full(len(failure), np.nan)
    pmax_w = np.broadcast_to(pmax_w, (len(failure),))
    for ring, mode in enumerate(failure):
        trace = detuning_m[ring]
        if mode == code["wrong_channel"]:
            events[ring] = first_lock_s[ring]
        elif mode == code["lock_lost"]:
            out = (time_s > first_lock_s[ring]) & (np.abs(trace) > 0.1 * fwhm_m[ring])
            events[ring] = time_s[np.argmax(out)] if out.any() else np.nan
        elif mode == code["heater_saturation"]:
            power = heater_power_w[ring]
            at_end = (power >= pmax_w[ring] * (1.0 - 1e-9)) | (power <= 0.0)
            events[ring] = time_s[np.argmax(at_end)] if at_end.any() else np.nan
        elif mode == code["lock_residual"]:
            events[ring] = time_s[np.nanargmax(np.abs(trace))]
    return events


def thermal_network(settings: DynamicLockSettings, tuning, n_rings: int, dldt_m_per_k: float):
    """The thermal network of one bank: self resistance from the study's heater efficiency,
    mutual resistances from its crosstalk matrix, the mutual path one pole later.

    Parameters
    ----------
    settings : DynamicLockSettings
        Time constants.
    tuning : TuningSettings
        Heater efficiency (m/W) and crosstalk.
    n_rings : int
        Rings per bank.
    dldt_m_per_k : float
        Resonance shift per kelvin, m/K.
    """
    self_resistance = tuning.tuning_efficiency_m_per_w / dldt_m_per_k
    return ThermalNetwork(
        resistance_k_per_w=self_resistance * tuning.crosstalk_matrix(n_rings),
        time_constant_s=settings.heater_time_constant_s,
        mutual_time_constant_s=settings.heater_time_constant_s,
        mutual_second_time_constant_s=settings.mutual_delay_time_constant_s,
    )


def warming_headroom_w(tuning, dldt_m_per_k: float) -> float:
    """Heater power a ring gives back between power-up (coldest ambient, hottest laser) and the
    hottest corner, W: ``(ΔT_ambient·dλ/dT + laser drift·ΔT_laser)/efficiency``, the static
    plan's headroom. The ambient range is the die's temperature range: the hottest corner
    includes the ASIC's heat, so the profile's ASIC step moves the die inside it.

    Parameters
    ----------
    tuning : TuningSettings
        Ambient and laser ranges, heater efficiency (m/W).
    dldt_m_per_k : float
        Resonance shift per kelvin, m/K.
    """
    shift_m = (
        dldt_m_per_k * tuning.ambient_range_k
        + tuning.laser_drift_m_per_k * tuning.laser_temperature_range_k
    )
    return float(shift_m / tuning.tuning_efficiency_m_per_w)


def lock_banks(
    settings: DynamicLockSettings,
    tuning,
    *,
    cold_resonance_m,
    fwhm_m,
    drop_peak,
    fsr_m,
    thermal_shift_m_per_k: float,
    channel_wavelength_m,
    rng,
    heater_resistance_ratio=1.0,
    engine: str = "numba",
    trace_records: int | None = None,
) -> BankLocks:
    """Power up, acquire and track every bank; classify every ring.

    Parameters
    ----------
    settings : DynamicLockSettings
        The closed-loop simulation.
    tuning : TuningSettings
        Strategy, heater limits, bank budget, crosstalk and the environment corners.
    cold_resonance_m, fwhm_m, drop_peak, fsr_m : array_like, shape (n_banks, n_rings)
        Each ring's resonance with its heater off at the hottest corner (m), FWHM (m), drop
        peak (0 … 1) and FSR (m).
    thermal_shift_m_per_k : float
        Resonance shift per kelvin, m/K.
    channel_wavelength_m : array_like, shape (n_rings,)
        The channel grid, m.
    rng : numpy.random.Generator or int
        Source of the detector noise.
    heater_resistance_ratio : float or array_like, shape (n_banks, n_rings)
        Each heater's resistance over nominal (> 0): its range is
        ``tuning.heater.full_scale_power_w(ratio)``
        (:class:`~cposim.control.loop.locking.ResonatorArrays`). Default 1.
    engine : {"numba", "numpy"}
        The lock kernel or its NumPy reference.
    trace_records : int, optional
        Keep about this many samples of every ring's trace (≥ 1) in :attr:`BankLocks.trace`;
        default: none (memory bounded by the banks, not the steps).
    """
    cold = np.asarray(cold_resonance_m, dtype=np.float64)
    n_rings = cold.shape[1]
    h = settings.sample_period_s
    network = thermal_network(settings, tuning, n_rings, thermal_shift_m_per_k)
    gain = float(network.tuning_efficiency_m_per_w(thermal_shift_m_per_k)[0])
    controller = PIDController.lambda_tuned(
        plant_gain_m_per_w=gain,
        time_constant_s=settings.heater_time_constant_s,
        closed_loop_time_constant_s=settings.closed_loop_time_constant_s,
    )
    laser_hot_m = tuning.laser_drift_m_per_k * tuning.laser_temperature_range_k
    grid = np.asarray(channel_wavelength_m, dtype=np.float64) + laser_hot_m
    result = simulate_locking(
        ResonatorArrays(
            cold_resonance_m=cold,
            fwhm_m=fwhm_m,
            drop_peak=drop_peak,
            thermal_shift_m_per_k=thermal_shift_m_per_k,
            fsr_m=fsr_m,
            heater_resistance_ratio=heater_resistance_ratio,
        ),
        grid,
        network=network,
        controller=controller,
        detector=settings.detector_model(),
        sample_period_s=h,
        n_steps=settings.n_steps,
        heater=tuning.heater,
        disturbance=settings.profile.disturbance(
            start_ambient_k=-tuning.ambient_range_k, sample_period_s=h
        ),
        acquisition=ARBITRATIONS[settings.arbitration].acquisition(
            settings, tuning, network, thermal_shift_m_per_k
        ),
        stats_start_s=settings.stats_start_s,
        neighbour_channel_power=settings.neighbour_channel_power,
        trace_decimation=(
            settings.n_steps
            if trace_records is None
            else max(
                1, -(-settings.n_steps // check_integer("trace_records", trace_records, low=1))
            )
        ),
        engine=engine,
        rng=rng,
    )
    fwhm = result.fwhm_m
    rms = np.sqrt(result.residual_mean_m**2 + result.residual_std_m**2)
    code = {name: k for k, name in enumerate(DYNAMIC_FAILURES, start=1)}
    found = result.assignment >= 0
    ever = result.ever_locked
    saturated = result.saturated_time_s > 0.0
    lost = ever & ((result.lock_loss_count > 0) | ~result.locked)
    off_channel = np.abs(result.residual_mean_m) > 0.5 * fwhm
    failure = np.select(
        [
            ~found,
            ~ever & saturated,
            ~ever,
            ever & off_channel,
            lost & saturated,
            lost,
            rms > settings.max_residual_fraction_of_fwhm * fwhm,
        ],
        [
            code["acquisition_failed"],
            code["heater_saturation"],
            code["acquisition_failed"],
            code["wrong_channel"],
            code["heater_saturation"],
            code["lock_lost"],
            code["lock_residual"],
        ],
        0,
    ).astype(np.int8)
    heater = result.mean_heater_power_w
    return BankLocks(
        assignment=_permutation(result.assignment),
        failure=failure,
        residual_mean_m=np.nan_to_num(result.residual_mean_m),
        residual_std_m=np.nan_to_num(result.residual_std_m),
        residual_max_abs_m=np.nan_to_num(result.residual_max_abs_m),
        heater_power_w=heater,
        time_to_lock_s=result.time_to_lock_s + result.acquisition_duration_s,
        over_budget=heater.sum(axis=1) > tuning.bank_power_budget_w,
        trace=None if trace_records is None else result,
    )


def residual_detuning(statistic: str, locks: BankLocks, normal) -> np.ndarray:
    """Each ring's residual detuning for its link budget, m, by ``statistic`` (see
    :attr:`DynamicLockSettings.residual_statistic`).

    Parameters
    ----------
    statistic : {"sample", "rms", "mean"}
        Which statistic.
    locks : BankLocks
        The simulated locks.
    normal : array_like, shape (n_banks, n_rings)
        A standard normal per ring (used by ``"sample"``).
    """
    check_choice("residual_statistic", statistic, RESIDUAL_STATISTICS)
    mean, std = locks.residual_mean_m, locks.residual_std_m
    if statistic == "sample":
        return mean + std * np.asarray(normal)
    if statistic == "mean":
        return mean
    return np.copysign(np.sqrt(mean**2 + std**2), mean)


def _permutation(assignment: np.ndarray) -> np.ndarray:
    """Each bank's channels as a permutation: rings without a channel (-1) take, in ring
    order, the channels nobody took, lowest first."""
    out = assignment.copy()
    n_channels = assignment.shape[1]
    for bank in np.flatnonzero((assignment < 0).any(axis=1)):
        row = out[bank]
        taken = np.zeros(n_channels, dtype=bool)
        taken[row[row >= 0]] = True
        row[row < 0] = np.flatnonzero(~taken)[: int((row < 0).sum())]
    return out


def choose_dies(static_mode, fraction: float, rng) -> np.ndarray:
    """Which dies of one wafer run dynamically: in every static failure mode, ``fraction`` of
    its dies (rounded up), chosen at random.

    Parameters
    ----------
    static_mode : array_like of int, shape (n_dies,)
        Each die's static failure code.
    fraction : float
        Fraction per stratum (0 … 1).
    rng : numpy.random.Generator
        Source of the choice.
    """
    static_mode = np.asarray(static_mode)
    chosen = np.zeros(static_mode.shape, dtype=bool)
    if fraction >= 1.0:
        chosen[:] = True
        return chosen
    order = rng.permutation(static_mode.size)
    for mode in np.unique(static_mode):
        members = order[static_mode[order] == mode]
        chosen[members[: int(np.ceil(fraction * members.size))]] = True
    return chosen


__all__ = [
    "ARBITRATIONS",
    "DETECTOR_KINDS",
    "DYNAMIC_FAILURES",
    "RESIDUAL_STATISTICS",
    "SILICON_THERMAL_DIFFUSIVITY_M2_PER_S",
    "Arbitration",
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
]
