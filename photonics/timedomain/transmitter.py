"""The transmitter in time: a driver of finite bandwidth, the junction's RC, the ring by CMT.

Chain per sample (``h`` = symbol time / samples per symbol):

1. **Driver.** The symbol levels' drive voltages (:meth:`RingModulator.drive_voltages_v`) as
   ideal steps at each symbol edge, each edge displaced by its own random jitter, through the
   driver's low-pass: the output is the sum of each edge's step response (exact for any
   response shape, jittered or not).
2. **Junction.** The junction voltage follows the driver through the series resistance and the
   junction capacitance, integrated exactly per step; for the ``"junction"`` shift model the
   depletion capacitance follows ``C(V) ∝ 1/√(V_bi + V)`` (abrupt junction).
3. **Ring.** The voltage's resonance shift (:meth:`RingModulator.resonance_shift_m`) and the
   self-heating deviation set the round-trip phase; the ring's energy amplitude follows the
   coupled-mode equation of :mod:`~cposim.photonics.timedomain.cmt`, integrated exactly per step
   for the step's detuning.
4. **Self-heating.** The power the ring absorbs heats it through ``R_th`` with time constant
   ``τ_th``. The heater's lock (much slower than a symbol) holds the bias against the *mean*
   absorbed power of the pattern, so only the pattern-dependent deviation moves the resonance.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
from scipy import signal, special

from cposim.control.core.validation import check_choice, check_range
from cposim.photonics.devices.modulator import RingModulator
from cposim.photonics.timedomain import _kernels
from cposim.photonics.timedomain.cmt import RingDynamics
from cposim.photonics.timedomain.filters import FILTER_KINDS, rational_lowpass
from cposim.photonics.timedomain.patterns import user_symbols
from cposim.photonics.timedomain.waveform import Waveform

DE_CEA_THERMAL_TIME_CONSTANT_S = 1.0 / 2.4e6
"""Thermal time constant of a silicon microring modulator, s: the inverse of the thermal decay
rate 2.4e6 /s measured by de Cea, Atabaki and Ram, Opt. Express 27(17), 24274 (2019)."""

_STEP_GRID_PER_SAMPLE = 64
"""Grid points of the tabulated driver step response per sample interval (linear interpolation
between them only matters for jittered edges: unjittered ones land on grid points)."""

_SETTLED = 1e-12
"""The step response counts as settled once within this of 0 (before) or 1 (after)."""


@dataclass(frozen=True, kw_only=True)
class Driver:
    """The modulator driver's dynamics (its swing and bias are the modulator's).

    Parameters
    ----------
    bandwidth_hz : float
        3 dB bandwidth of the driver output, Hz (> 0; ``inf``: ideal steps). Default 60e9
        (*assumption*: 0.6 × the 100 GBd symbol rate, the order of published 200G-PAM4 CMOS and
        SiGe ring drivers; set it from your driver's datasheet).
    kind : {"bessel4", "gaussian", "single-pole"}
        Shape of the response (:mod:`~cposim.photonics.timedomain.filters`). Default
        ``"bessel4"``.
    rms_jitter_s : float
        Random jitter of each symbol edge (Gaussian, rms), s (≥ 0). Default 0.
    """

    bandwidth_hz: float = 60e9
    kind: str = "bessel4"
    rms_jitter_s: float = 0.0

    def __post_init__(self):
        check_range("bandwidth_hz", self.bandwidth_hz, low=0.0, low_inclusive=False, allow_inf=True)
        check_choice("kind", self.kind, FILTER_KINDS)
        check_range("rms_jitter_s", self.rms_jitter_s, low=0.0, high=1e-9)

    def step_response(self, time_s) -> np.ndarray:
        """Output for a unit step at time 0 (dimensionless), at ``time_s`` (s, any sign).

        Parameters
        ----------
        time_s : array_like
            Times after the edge, s.
        """
        t = np.asarray(time_s, dtype=np.float64)
        if np.isinf(self.bandwidth_hz):
            return (t >= 0.0).astype(np.float64)
        omega = 2.0 * np.pi * self.bandwidth_hz
        if self.kind == "gaussian":
            sigma = np.sqrt(np.log(2.0)) / omega  # |H| = exp(-(ln 2/2)(f/B)²)
            return 0.5 * special.erfc(-t / (np.sqrt(2.0) * sigma))
        if self.kind == "single-pole":
            return np.where(t > 0.0, -np.expm1(-omega * np.maximum(t, 0.0)), 0.0)
        # partial fractions of the Bessel-Thomson response: step = Σ r_i·(e^{p_i·t} - 1)/p_i
        residues, poles, _ = signal.residue(
            *rational_lowpass(bandwidth_hz=self.bandwidth_hz, kind="bessel4")
        )
        tp = np.maximum(t, 0.0)[..., None]
        step = np.real(np.sum(residues * np.expm1(poles * tp) / poles, axis=-1))
        return np.where(t > 0.0, step, 0.0)

    @functools.lru_cache(maxsize=16)  # noqa: B019 (a frozen, hashable dataclass; few keys)
    def _edge_table(self, sample_interval_s: float, symbol_time_s: float):
        """The step response tabulated for the kernel, and how many edges reach a sample."""
        if np.isinf(self.bandwidth_hz):
            step = sample_interval_s / _STEP_GRID_PER_SAMPLE
            # 0 at the grid point just before the edge, 1 from the one after
            first = -_STEP_GRID_PER_SAMPLE // 2 - 1
            edges = int(np.ceil(8.0 * self.rms_jitter_s / symbol_time_s)) + 1
            start = 0.5 * sample_interval_s + first * step
            return np.array([0.0, 1.0]), start, step, first, edges, edges
        span = 40.0 / (2.0 * np.pi * self.bandwidth_hz)  # well past any settling
        step = sample_interval_s / _STEP_GRID_PER_SAMPLE
        # grid points at half-sample offsets, where unjittered samples fall
        offset = 0.5 * sample_interval_s
        n_before = int(np.ceil(span / step)) if self.kind == "gaussian" else 0
        index = np.arange(-n_before - int(np.ceil(offset / step)), int(span / step))
        grid = offset + step * index
        values = self.step_response(grid)
        settled_low = np.flatnonzero(values > _SETTLED)
        settled_high = np.flatnonzero(np.abs(values - 1.0) > _SETTLED)
        lo = max(int(settled_low[0]) - 1, 0)
        hi = min(int(settled_high[-1]) + 2, grid.size)
        grid, values, index = grid[lo:hi], values[lo:hi], index[lo:hi]
        jitter = 8.0 * self.rms_jitter_s
        before = int(np.ceil((max(-grid[0], 0.0) + jitter) / symbol_time_s)) + 1
        after = int(np.ceil((grid[-1] + jitter) / symbol_time_s)) + 1
        return values, float(grid[0]), step, int(index[0]), before, after


def _sample_response(table, first_index, before, after, sps) -> np.ndarray:
    """Response of an unjittered edge at each sample of the symbols ``-before … after`` after it:
    the table's grid points (0 before it, 1 after it)."""
    distance = np.arange(-before, after + 1)[:, None]
    index = (distance * sps + np.arange(sps)) * _STEP_GRID_PER_SAMPLE - first_index
    inside = np.clip(index, 0, table.size - 1)
    return np.where(index < 0, 0.0, np.where(index >= table.size, 1.0, table[inside]))


@dataclass(frozen=True, kw_only=True)
class Transmitter:
    """A ring-modulator transmitter: driver, modulator, laser power and symbol rate.

    Parameters
    ----------
    modulator : RingModulator
        The modulator (its ring, drive swing, bias, junction RC and thermal resistance).
        Default :class:`~cposim.photonics.devices.modulator.RingModulator`.
    driver : Driver
        The driver's bandwidth and jitter. Default :class:`Driver`.
    symbol_rate_baud : float
        Symbol rate, baud (> 0). Default 100e9 (200 Gb/s PAM4 per wavelength).
    input_power_w : float
        Laser power in the bus at the ring, W (> 0). Default 7.08e-3: the default
        :class:`~cposim.photonics.link.parameters.LinkParameters` (+10 dBm laser, 1.5 dB
        laser-coupler loss).
    self_heating : bool
        Whether the pattern-dependent self-heating deviation moves the resonance.
    thermal_time_constant_s : float
        Ring thermal time constant, s (> 0). Default :data:`DE_CEA_THERMAL_TIME_CONSTANT_S`.
    bias_detuning_m : float or None
        Resonance at the lowest drive level minus laser wavelength, m; ``None`` takes the
        modulator's own bias (:attr:`RingModulator.bias_m`).
    """

    modulator: RingModulator = field(default_factory=RingModulator)
    driver: Driver = field(default_factory=Driver)
    symbol_rate_baud: float = 100e9
    input_power_w: float = 7.079457843841379e-3
    self_heating: bool = True
    thermal_time_constant_s: float = DE_CEA_THERMAL_TIME_CONSTANT_S
    bias_detuning_m: float | None = None

    def __post_init__(self):
        if not isinstance(self.modulator, RingModulator):
            raise ValueError("modulator must be a cposim.photonics.devices.RingModulator")
        if not isinstance(self.driver, Driver):
            raise ValueError("driver must be a cposim.photonics.timedomain.Driver")
        check_range("symbol_rate_baud", self.symbol_rate_baud, low=1e6, high=1e12)
        check_range("input_power_w", self.input_power_w, low=0.0, high=1.0, low_inclusive=False)
        check_range(
            "thermal_time_constant_s", self.thermal_time_constant_s, low=0.0, low_inclusive=False
        )
        if self.bias_detuning_m is not None:
            check_range("bias_detuning_m", self.bias_detuning_m, low=-1e-6, high=1e-6)

    @classmethod
    def from_link(
        cls,
        link,
        *,
        driver: Driver | None = None,
        bias_detuning_m: float | None = None,
        self_heating: bool = True,
    ) -> Transmitter:
        """The transmitter of a :class:`~cposim.photonics.link.parameters.LinkParameters`: its
        modulator, symbol rate and the laser power that reaches the modulator.

        Parameters
        ----------
        link : LinkParameters
            The link.
        driver : Driver, optional
            The driver; default :class:`Driver`.
        bias_detuning_m : float or None
            Bias detuning, m; ``None`` takes the modulator's own.
        self_heating : bool
            Whether the pattern-dependent self-heating moves the resonance.
        """
        return cls(
            modulator=link.modulator,
            driver=Driver() if driver is None else driver,
            symbol_rate_baud=link.symbol_rate_baud,
            input_power_w=link.modulator_input_power_w,
            bias_detuning_m=bias_detuning_m,
            self_heating=self_heating,
        )

    @property
    def bias_m(self) -> float:
        """Bias detuning the lock holds, m."""
        return self.modulator.bias_m if self.bias_detuning_m is None else self.bias_detuning_m

    @property
    def dynamics(self) -> RingDynamics:
        """The modulator ring's coupled-mode rates."""
        return RingDynamics.from_ring(self.modulator.ring, wavelength_m=self.modulator.wavelength_m)

    def static_levels_w(self) -> np.ndarray:
        """Output power of each level in steady state (no dynamics, no self-heating), W."""
        mod = self.modulator
        volts = mod.drive_voltages_v(bias_detuning_m=self.bias_m)
        return self.input_power_w * mod.transmission(bias_detuning_m=self.bias_m, voltage_v=volts)

    def modulate(
        self, symbols, *, samples_per_symbol: int = 16, rng=None, return_field: bool = False
    ) -> Waveform:
        """Optical power at the modulator output for one period of ``symbols``.

        Parameters
        ----------
        symbols : array_like of int
            One period of level indices 0…M-1 (M = 4 for PAM4, 2 for NRZ), e.g. from
            :func:`~cposim.photonics.timedomain.patterns.pattern_symbols`.
        samples_per_symbol : int
            Samples per symbol (≥ 2). Default 16.
        rng : numpy.random.Generator, optional
            Source of the edge jitter (required when ``driver.rms_jitter_s > 0``).
        return_field : bool
            Also keep the complex output field (√W) in :attr:`Waveform.field`.
        """
        sym = user_symbols(symbols, modulation=self.modulator.modulation)
        drive, terms, grid = self.kernel_inputs(sym[None, :], samples_per_symbol, rng)
        n = sym.size * samples_per_symbol
        power = np.empty((1, n))
        fld = np.empty((1, n) if return_field else (0, 0), dtype=np.complex128)
        _kernels.modulate(drive, terms, grid, power, fld, return_field)
        return Waveform(
            samples=power[0],
            samples_per_symbol=samples_per_symbol,
            symbol_rate_baud=self.symbol_rate_baud,
            symbols=sym,
            quantity="optical power",
            unit="W",
            field=fld[0] if return_field else None,
        )

    def kernel_inputs(self, symbols: np.ndarray, samples_per_symbol: int, rng=None):
        """The kernel's drive inputs, modulator terms and time grid (every lane this
        transmitter).

        Parameters
        ----------
        symbols : ndarray of int, shape (lanes, n_symbols)
            One period of level indices per lane.
        samples_per_symbol : int
            Samples per symbol (≥ 2).
        rng : numpy.random.Generator, optional
            Source of the edge jitter.
        """
        check_range("samples_per_symbol", samples_per_symbol, low=2, high=1024)
        sps = int(samples_per_symbol)
        lanes, n_sym = symbols.shape
        mod = self.modulator
        symbol_time = 1.0 / self.symbol_rate_baud
        h = symbol_time / sps
        bias = self.bias_m
        volts = mod.drive_voltages_v(bias_detuning_m=bias)
        if self.driver.rms_jitter_s > 0.0:
            if rng is None:
                raise ValueError("rng is required when driver.rms_jitter_s > 0")
            jitter = rng.normal(0.0, self.driver.rms_jitter_s, size=(lanes, n_sym))
        else:
            jitter = np.zeros((lanes, n_sym))
        table, start, step, first, before, after = self.driver._edge_table(h, symbol_time)
        drive = _kernels.DriveInputs(
            symbols=np.ascontiguousarray(symbols, dtype=np.int64),
            level_voltages_v=np.tile(volts, (lanes, 1)),
            edge_jitter_s=jitter,
            step_response=table,
            step_start_s=start,
            step_interval_s=step,
            sample_response=_sample_response(table, first, before, after, sps),
            edges_before=before,
            edges_after=after,
        )
        dyn = self.dynamics
        ring, lam = mod.ring, mod.wavelength_m
        t_low = float(mod.ring_temperature_k(bias_detuning_m=bias, voltage_v=volts[0]))
        cycles = float(ring.round_trip_phase_cycles(lam, delta_t_k=t_low))
        per_k = (
            2.0
            * np.pi
            * float(
                ring.round_trip_phase_cycles(lam, delta_t_k=t_low + 1.0)
                - ring.round_trip_phase_cycles(lam, delta_t_k=t_low)
            )
        )
        phase_low = 2.0 * np.pi * (cycles - np.round(cycles))
        heating = (
            2.0
            * dyn.intrinsic_decay_rate_per_s
            * mod.heat_fraction
            * mod.thermal_resistance_k_per_w
            * float(self.self_heating)
        )
        shifts = mod.resonance_shift_m(volts) - mod.resonance_shift_m(volts[0])
        level_phase = phase_low + per_k / mod.thermal_shift_m_per_k * shifts
        amplitude, _, _ = dyn.steady_state(dyn.detuning_per_s(level_phase))
        stored = self.input_power_w * np.abs(amplitude) ** 2  # |a|² of each level, J
        counts = np.bincount(symbols.ravel(), minlength=mod.levels) / symbols.size
        ones = np.ones(lanes)
        terms = _kernels.ModulatorTerms(
            shift_model=np.full(lanes, 0 if mod.shift_model == "linear" else 1, dtype=np.int64),
            efficiency_m_per_v=mod.efficiency_m_per_v * ones,
            built_in_voltage_v=mod.built_in_voltage_v * ones,
            low_voltage_v=volts[0] * ones,
            bias_voltage_v=mod.reverse_bias_v * ones,
            rc_time_constant_s=mod.series_resistance_ohm * mod.junction_capacitance_f * ones,
            phase_low_rad=phase_low * ones,
            phase_per_m=per_k / mod.thermal_shift_m_per_k * ones,
            phase_per_k=per_k * ones,
            decay_rate_per_s=dyn.decay_rate_per_s * ones,
            input_coupling_per_s=dyn.input_coupling_per_s * ones,
            detuning_scale_per_s=dyn.detuning_scale_per_s * ones,
            field_amplitude=np.sqrt(self.input_power_w) * ones,
            heating_k_per_j=heating * ones,
            mean_heating_k=heating * float(counts @ stored) * ones,
            thermal_decay=np.exp(-h / self.thermal_time_constant_s) * ones,
        )
        # 40 time constants of the ring's field and of the junction: both start settled
        slowest = max(
            1.0 / dyn.decay_rate_per_s, mod.series_resistance_ohm * mod.junction_capacitance_f
        )
        warmup = int(np.ceil(40.0 * slowest / symbol_time)) + after + 8
        return drive, terms, _kernels.TimeGrid(symbol_time, sps, min(warmup, n_sym * 4))


__all__ = ["DE_CEA_THERMAL_TIME_CONSTANT_S", "Driver", "Transmitter"]
