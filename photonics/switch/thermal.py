"""ASIC load step → engine temperatures → closed-loop locking of every ring of a switch.

The switch ASIC's power reaches each co-packaged engine through a thermal path
(:class:`cposim.control.thermal.Disturbance`: resistance and a slow pole). A load step warms
the engines and red-shifts every ring; each ring's heater loop
(:func:`cposim.control.loop.locking.simulate_locking`) backs its heater off to follow. A ring whose
heater hits zero (or full scale, for a load drop) before the shift is absorbed loses lock.
All engines of the switch run at once, one engine per bank (thermal crosstalk stays inside an
engine; every engine sees the same ASIC path).

Rings start locked, in thermal equilibrium: each ring's cold resonance sits blue of its
channel by the design bias (heater at ``heater_bias_fraction`` of full scale at the initial
ASIC load, crosstalk included) plus a Gaussian fabrication spread, and its starting heater
power is the exact solution of ``R·P = ΔT`` for the bank's resistance matrix R.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cposim.control.controllers import PIDController
from cposim.control.core.validation import check_range
from cposim.control.detectors import IdealDetector
from cposim.control.heater import HeaterDriver
from cposim.control.loop.locking import LockingResult, ResonatorArrays, simulate_locking
from cposim.control.thermal import Disturbance, ThermalNetwork
from cposim.photonics.link.wdm import ChannelGrid

_GRID_OF_WAVELENGTHS = {1: "dr", 8: "cw-wdm-8x400", 16: "cw-wdm-16x200", 32: "cw-wdm-32x100"}


@dataclass(frozen=True, kw_only=True)
class AsicLoadStep:
    """An ASIC load step and the ring loops that ride it out.

    Parameters
    ----------
    initial_asic_power_w : float
        ASIC power before the step, W (≥ 0). Default 200 (assumption: a lightly loaded
        28.8 Tb/s switch ASIC).
    final_asic_power_w : float
        ASIC power after the step, W (≥ 0; below the initial power for a load drop). Default
        500 (assumption: the same ASIC at full load).
    step_time_s : float
        Time of the step, s (≥ 0). Default 0.2 ms.
    asic_resistance_k_per_w : float
        Thermal resistance from the ASIC to the engine rings, K/W (≥ 0). Default 0.02
        (assumption: a liquid-cooled package where a 300 W step warms the engines by 6 K; the
        control library's generic default is 0.1 K/W).
    asic_time_constant_s : float
        Pole of the ASIC-to-engine path, s (> 0). Default 1 ms (the control library's
        assumption: package-scale heat spreading is much slower than a ring heater).
    duration_s : float
        Simulated time, s (> 0). Default 3 ms (≈ 3 ASIC-path time constants after the step).
    sample_period_s : float
        Loop sample period, s (> 0, below half the 4 µs heater time constant). Default 1 µs.
    resonance_spread_m : float
        Standard deviation of each ring's cold resonance around its design value, m (≥ 0).
        Default 0.2e-9: a within-die σ of ≈ 200 pm, the order reported for multi-project
        wafers (assumption; Zortman et al., Opt. Express 18(23), 23598 (2010) report 105 GHz,
        ≈ 0.6 nm, across one die).
    heater_bias_fraction : float
        Design heater power at the initial ASIC load, as a fraction of the heater's full
        scale (0 … 1). Default 0.5 (assumption: rings designed so their heaters sit mid-range).
    closed_loop_time_constant_s : float
        Closed-loop time constant of the lambda-tuned PI controllers, s (> 0). Default 20 µs
        (assumption: five 4 µs heater time constants).
    heater : cposim.control.heater.HeaterDriver
        Heater and DAC of every ring (default: the control library's HeaterDriver).
    """

    initial_asic_power_w: float = 200.0
    final_asic_power_w: float = 500.0
    step_time_s: float = 0.2e-3
    asic_resistance_k_per_w: float = 0.02
    asic_time_constant_s: float = 1e-3
    duration_s: float = 3e-3
    sample_period_s: float = 1e-6
    resonance_spread_m: float = 0.2e-9
    heater_bias_fraction: float = 0.5
    closed_loop_time_constant_s: float = 20e-6
    heater: HeaterDriver = field(default_factory=HeaterDriver)

    def __post_init__(self):
        for name in ("initial_asic_power_w", "final_asic_power_w"):
            check_range(name, getattr(self, name), low=0.0, high=1e5)
        check_range("step_time_s", self.step_time_s, low=0.0)
        check_range("asic_resistance_k_per_w", self.asic_resistance_k_per_w, low=0.0, high=10.0)
        for name in ("asic_time_constant_s", "closed_loop_time_constant_s"):
            check_range(name, getattr(self, name), low=0.0, low_inclusive=False)
        check_range("duration_s", self.duration_s, low=0.0, high=1.0, low_inclusive=False)
        check_range(
            "sample_period_s",
            self.sample_period_s,
            low=0.0,
            low_inclusive=False,
            high=float(self.duration_s),
        )
        check_range("resonance_spread_m", self.resonance_spread_m, low=0.0, high=1e-8)
        check_range("heater_bias_fraction", self.heater_bias_fraction, low=0.0, high=1.0)
        if not isinstance(self.heater, HeaterDriver):
            raise ValueError(f"heater = {self.heater!r} must be a HeaterDriver")

    @property
    def engine_temperature_step_k(self) -> float:
        """Steady engine temperature change caused by the step, K."""
        return self.asic_resistance_k_per_w * (self.final_asic_power_w - self.initial_asic_power_w)

    def disturbance(self) -> Disturbance:
        """The step as a :class:`cposim.control.thermal.Disturbance` (lasers in the external,
        temperature-stabilised light source do not drift)."""
        edge = self.step_time_s + 1e-3 * self.sample_period_s
        return Disturbance(
            asic_time_s=np.array([0.0, self.step_time_s, edge]),
            asic_power_w=np.array(
                [self.initial_asic_power_w, self.initial_asic_power_w, self.final_asic_power_w]
            ),
            asic_resistance_k_per_w=self.asic_resistance_k_per_w,
            asic_time_constant_s=self.asic_time_constant_s,
            laser_drift_m_per_k=0.0,
        )


@dataclass(frozen=True, kw_only=True, eq=False)
class AsicLoadStepResult:
    """How a switch's rings rode out an ASIC load step.

    Parameters
    ----------
    switch_name : str
        Name of the switch.
    step : AsicLoadStep
        The step simulated.
    locking : cposim.control.loop.locking.LockingResult
        The closed-loop result, one bank per optical engine.
    initial_heater_power_w : ndarray, shape (n_engines, rings_per_engine)
        Heater power of every ring before the step, W.
    """

    switch_name: str
    step: AsicLoadStep
    locking: LockingResult
    initial_heater_power_w: np.ndarray

    @property
    def n_rings(self) -> int:
        """Rings simulated (all rings of the switch)."""
        return int(self.locking.locked.size)

    @property
    def lock_losses(self) -> int:
        """Lock-loss events summed over all rings (count)."""
        return int(self.locking.lock_loss_count.sum())

    @property
    def rings_unlocked_at_end(self) -> int:
        """Rings not locked at the end of the simulation (count)."""
        return int((~self.locking.locked).sum())

    @property
    def extra_heater_power_w(self) -> float:
        """Change of the switch's total heater power from before the step to the end, W
        (negative when the ASIC heat lets the heaters back off)."""
        return float(np.sum(self.locking.final_heater_power_w - self.initial_heater_power_w))

    @property
    def worst_detuning_m(self) -> float:
        """Largest |laser − ring| detuning of any ring after the step, m."""
        after = self.locking.time_s >= self.step.step_time_s
        return float(np.nanmax(np.abs(self.locking.detuning_m[..., after])))

    def to_dataframe(self):
        """One row per quantity: rings, lock losses, rings unlocked, extra heater power, worst
        detuning, engine temperature step."""
        import pandas as pd

        return pd.DataFrame(
            {
                "quantity": [
                    "rings simulated",
                    "engine temperature step (K)",
                    "lock-loss events",
                    "rings unlocked at end",
                    "extra heater power (W)",
                    "worst detuning after step (pm)",
                    "FWHM (pm)",
                ],
                "value": [
                    self.n_rings,
                    self.step.engine_temperature_step_k,
                    self.lock_losses,
                    self.rings_unlocked_at_end,
                    self.extra_heater_power_w,
                    self.worst_detuning_m * 1e12,
                    float(np.median(self.locking.fwhm_m)) * 1e12,
                ],
            }
        )

    def plot(self, ax=None):
        """Total heater power of the switch against time, W; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.switch import plot

        return plot.asic_load_step(self, ax)


def simulate_asic_load_step(
    switch, step: AsicLoadStep | None = None, *, engine: str = "numba", rng=None
) -> AsicLoadStepResult:
    """Close the heater loop of every ring of a switch through an ASIC load step.

    Parameters
    ----------
    switch : cposim.photonics.switch.model.Switch
        A ring-based switch (one bank per optical engine, its rings per lane from the
        hierarchy).
    step : AsicLoadStep, optional
        The step and loop settings (defaults when omitted).
    engine : {"numba", "numpy"}
        Loop kernel: compiled (default) or the control library's NumPy reference.
    rng : numpy.random.Generator or int or None
        Random source of the fabrication spread.
    """
    step = step or AsicLoadStep()
    if not switch.engine.ring_based:
        raise ValueError(f"switch {switch.name!r} has no heated rings (engine.ring_based=False)")
    wavelengths_per_fiber = switch.engine.wavelengths_per_fiber
    if wavelengths_per_fiber not in _GRID_OF_WAVELENGTHS:
        raise ValueError(
            f"wavelengths_per_fiber = {wavelengths_per_fiber} has no channel-grid preset; "
            f"choose one of {', '.join(map(str, _GRID_OF_WAVELENGTHS))}"
        )
    rng = np.random.default_rng(rng)
    grid = ChannelGrid.preset(_GRID_OF_WAVELENGTHS[wavelengths_per_fiber]).wavelengths_m
    lanes = switch.engine.lanes
    # modulator ring of every lane, then (WDM) the demultiplexer ring of every lane
    channel = np.tile(grid[np.arange(lanes) % wavelengths_per_fiber], switch.engine.rings_per_lane)
    n_banks, n_rings = switch.n_optical_engines, channel.size
    network = ThermalNetwork.banded(n_rings)
    thermal_shift = ResonatorArrays(cold_resonance_m=channel).thermal_shift_m_per_k[0]
    max_heater_power_w = step.heater.max_power_w
    design_rise_k = (
        step.heater_bias_fraction * max_heater_power_w * network.resistance_k_per_w.sum(axis=1)
        + step.asic_resistance_k_per_w * step.initial_asic_power_w
    )
    spread = rng.normal(0.0, step.resonance_spread_m, size=(n_banks, n_rings))
    cold = channel - thermal_shift * design_rise_k + spread
    needed_rise_k = (channel - cold) / thermal_shift - (
        step.asic_resistance_k_per_w * step.initial_asic_power_w
    )
    start = np.clip(
        np.linalg.solve(network.resistance_k_per_w, needed_rise_k.T).T, 0.0, max_heater_power_w
    )
    controller = PIDController.lambda_tuned(
        plant_gain_m_per_w=float(network.tuning_efficiency_m_per_w(thermal_shift)[0]),
        time_constant_s=network.time_constant_s,
        closed_loop_time_constant_s=step.closed_loop_time_constant_s,
    )
    locking = simulate_locking(
        ResonatorArrays(cold_resonance_m=cold),
        channel,
        network=network,
        controller=controller,
        detector=IdealDetector(),
        sample_period_s=step.sample_period_s,
        n_steps=round(step.duration_s / step.sample_period_s),
        heater=step.heater,
        disturbance=step.disturbance(),
        assignment=np.broadcast_to(np.arange(n_rings), (n_banks, n_rings)).copy(),
        initial_heater_power_w=start,
        engine=engine,
        rng=rng,
    )
    return AsicLoadStepResult(
        switch_name=switch.name, step=step, locking=locking, initial_heater_power_w=start
    )


__all__ = [
    "AsicLoadStep",
    "AsicLoadStepResult",
    "simulate_asic_load_step",
]
