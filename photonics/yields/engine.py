"""Yield engine: fabrication → tuning → lock → link budget → pass/fail, per lane, engine, die.

:func:`simulate_wafers` is the per-chunk pipeline (vectorised over every die of the given
wafers; the heavy steps are the Numba kernels of the variation sampler, the tuning planner and
the lane budget):

1. **Variation.** :func:`cposim.photonics.fab.sampling.sample` draws width, thickness and gap of
   every ring of every die (streams keyed by ``(seed, wafer)``).
2. **Ring parameters.** Each ring's resonance is its design resonance (its channel plus
   ``design_offset_m``, at the hottest operating point) plus the sampled shift; its couplings
   follow the gap and width through the coupler model, and with them its exact Airy linewidth,
   dip and drop loss (modulator rings: ``link.modulator.ring``; demultiplexer rings:
   ``link.demux``).
3. **Self-heating.** Each modulator ring, locked at its bias with the link's input power,
   absorbs part of the light (:func:`~cposim.photonics.devices.modulator.locked_self_heating`):
   it sits that much red of where its heater alone would put it, so it needs less heater
   shift; where the locked point is thermally unstable the lane fails (``self_heating``).
4. **Tuning plan.** Each bank (TX and RX of every link) gets a channel assignment and heater
   powers through the thermal crosstalk matrix (:func:`cposim.control.tuning.plan.plan_tuning`),
   with headroom kept for the coldest ambient and the hottest laser (see
   :class:`~cposim.photonics.yields.config.TuningSettings`).
5. **Lock.** Static mode (default): every ring is left with a residual detuning
   ``N(mean, σ)`` from the lock loop. Dynamic mode (``[lock] mode = "dynamic"``): steps 4–5
   are replaced, on a stratified subsample of the dies or on all of them, by the closed loop
   itself (:mod:`cposim.photonics.yields.closed_loop`): power-up at the cold corner,
   record-then-match acquisition, lock and a mission profile, with the new failure modes
   (acquisition, wrong channel, lock lost, heater saturation, residual) and each ring's own
   simulated residual; the static outcome of every die is kept beside it.
6. **Link.** Every lane (the TX and RX rings assigned to one channel) goes through
   :func:`cposim.photonics.link.lanes.evaluate_lanes` with its own rings' linewidth, depth,
   drop loss and detuning, and the levels of the link's modulator at its bias
   (:attr:`~cposim.photonics.link.parameters.LinkParameters.operating_point`); the modulator's
   own extinction ratio and insertion loss are checked too.
7. **Pass/fail with attribution.** A lane fails for the first of: tuning range exceeded,
   heater power budget exceeded, channel aliasing, self-heating unstable, modulator ER/IL out
   of spec, optical power margin below ``criteria.min_margin_db``. An engine passes when all
   its lanes pass, a die when all its engines pass.

Modelling choices: fabrication changes couplings (hence linewidth and depth) but not the group
index (so FSR and dλ/dT are the design's) nor the levels' phases (the drive is the design's);
lanes enter the link budget sorted by channel (the cascade position of a barrel-shifted ring
changes only which pass-by tails it sees).

The output is one row per die (:data:`COLUMNS`); :class:`YieldResult` turns rows into yields
with confidence intervals, a failure Pareto, heater-power and margin distributions and wafer
maps.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from cposim.control.core.validation import check_choice, check_integer
from cposim.control.tuning.plan import (
    TuningFailure,
    plan_tuning,
)
from cposim.photonics.devices.lorentzian import airy_fwhm_m
from cposim.photonics.devices.modulator import locked_self_heating
from cposim.photonics.devices.ring import Ring
from cposim.photonics.fab.sampling import SAMPLE_ENGINES
from cposim.photonics.link.lanes import evaluate_lanes
from cposim.photonics.yields.closed_loop import (
    DYNAMIC_FAILURES,
    DieLockTimeline,
    choose_dies,
    failure_events,
    lock_banks,
    residual_detuning,
)
from cposim.photonics.yields.config import YieldConfig

FAILURE_MODES = (
    "pass",
    "ring_defect",
    "heater_defect",
    "photodiode_defect",
    "tuning_range",
    "heater_budget",
    "channel_aliasing",
    *DYNAMIC_FAILURES,
    "self_heating",
    "modulator_spec",
    "ber_margin",
)
"""Failure modes in attribution order (code = index; 0 passes). The dynamic lock mode's own
(:data:`~cposim.photonics.yields.closed_loop.DYNAMIC_FAILURES`) follow the static plan's."""

FAILURE_LABELS = {
    "ring_defect": "ring killed by a defect (waveguide or junction)",
    "heater_defect": "heater killed by a defect (ring cannot tune)",
    "photodiode_defect": "photodiode killed by a defect",
    "tuning_range": "tuning range exceeded",
    "heater_budget": "heater power budget exceeded",
    "channel_aliasing": "channel collision/aliasing",
    "acquisition_failed": "no lock at power-up (channel not found or never locked)",
    "wrong_channel": "locked to another channel's light",
    "lock_lost": "lock lost during the mission profile",
    "heater_saturation": "heater at an end of its range during the profile",
    "lock_residual": "residual lock error beyond tolerance",
    "self_heating": "modulator self-heating unstable at lock",
    "modulator_spec": "modulator ER/IL out of spec",
    "ber_margin": "BER margin below target",
}
"""Human-readable failure-mode names."""

_TUNING_TO_MODE = {
    TuningFailure.FEASIBLE: 0,
    TuningFailure.TUNING_RANGE_EXCEEDED: FAILURE_MODES.index("tuning_range"),
    TuningFailure.CROSSTALK_NEGATIVE_POWER: FAILURE_MODES.index("tuning_range"),
    TuningFailure.POWER_BUDGET_EXCEEDED: FAILURE_MODES.index("heater_budget"),
    TuningFailure.CHANNEL_ALIASING: FAILURE_MODES.index("channel_aliasing"),
}

ENGINES = ("numba", "numpy")
"""Pipeline implementations: the Numba kernels, or every stage's NumPy reference."""

LOCK_STREAM = 1000
"""SeedSequence key (after the seed) of the residual-lock-error stream: ``(seed, 1000, wafer)``;
distinct from the variation sampler's keys."""

DEFECT_STREAM = 1001
"""SeedSequence key of the killer-defect stream: ``(seed, 1001, wafer)``."""

SPREAD_STREAM = 1002
"""SeedSequence key of the laser-line and fibre-coupling spreads: ``(seed, 1002, wafer)``."""

LASER_WAVELENGTH_STREAM = 1005
"""SeedSequence key of the laser sources' wavelength errors: ``(seed, 1005, wafer)``."""

PHOTODIODE_STREAM = 1006
"""SeedSequence key of the photodiodes' responsivity spread: ``(seed, 1006, wafer)``."""

LOSS_STREAM = 1007
"""SeedSequence key of the dies' propagation-loss spread: ``(seed, 1007, wafer)``."""

RECEIVER_NOISE_STREAM = 1008
"""SeedSequence key of the receivers' noise and the photodiodes' dark current: ``(seed, 1008,
wafer)``."""

RIN_STREAM = 1009
"""SeedSequence key of the lasers' RIN spread: ``(seed, 1009, wafer)``."""

HEATER_STREAM = 1010
"""SeedSequence key of the heaters' resistance spread: ``(seed, 1010, wafer)``."""

DRIVER_STREAM = 1011
"""SeedSequence key of the modulator drivers' swing spread: ``(seed, 1011, wafer)``."""

FIBER_ARRAY_STREAM = 1012
"""SeedSequence key of the engines' fibre-array attach offsets: ``(seed, 1012, wafer)``."""

_SWING_RATIO_CLIP = (0.05, 1.95)  # inside what evaluate_lanes accepts; only σ ≫ 0.1 reaches it

CHOICE_STREAM = 1003
"""SeedSequence key of the choice of dies that run the dynamic lock: ``(seed, 1003, wafer)``."""

DYNAMIC_STREAM = 1004
"""SeedSequence key of the dynamic lock's detector noise: ``(seed, 1004, wafer)``."""

COLUMNS = (
    "wafer",
    "die",
    "die_x_m",
    "die_y_m",
    "passed",
    "failure_mode",
    "engines_passed",
    "lanes_passed",
    "min_margin_db",
    "heater_power_w",
    "lock_mode",
    "static_failure_mode",
    "lock_time_s",
    *(f"lanes_failed_{mode}" for mode in FAILURE_MODES[1:]),
)
"""Columns of the per-die table (one row per die). ``lock_mode`` is 0 where the die ran the
static lock, 1 where it ran the dynamic one; ``static_failure_mode`` is its static outcome
either way (the two compared); ``lock_time_s`` is the power-up-to-lock time of its slowest
ring (NaN when static or never locked)."""


def simulate_wafers(config: YieldConfig, wafer_indices, *, engine: str = "numba"):
    """Per-die results of the given wafers (the batch runner's chunk function).

    Parameters
    ----------
    config : YieldConfig
        The study.
    wafer_indices : array_like of int
        Wafer indices (≥ 0); each wafer's rows depend only on the config and its index.
    engine : {"numba", "numpy"}
        ``"numpy"`` runs the same pipeline on every stage's plain NumPy/scipy reference (the
        variation sampler's, one tuning plan per bank, the lock loop's, the lane budget's); the
        tests check that both give the same table and the benchmark measures their ratio.

    Returns
    -------
    dict of str to ndarray
        The :data:`COLUMNS`, one entry per die, wafers in the given order.
    """
    check_choice("engine", engine, ENGINES)
    wafers = np.asarray(wafer_indices, dtype=np.int64).reshape(-1)
    layout = config.layout()
    rings, shared = _study_inputs(config, layout, wafers, engine)
    static = _static_lock(config, rings, shared["lock_normal"], engine)
    columns = _evaluate(config, layout, wafers, rings, static, shared, engine)
    columns["static_failure_mode"] = columns["failure_mode"].copy()
    n_dies = layout.n_dies
    if config.lock.mode == "static":
        columns["lock_mode"] = np.zeros(wafers.size * n_dies, dtype=np.int8)
        columns["lock_time_s"] = np.full(wafers.size * n_dies, np.nan)
        return _ordered(columns)
    chosen = np.stack(
        [
            choose_dies(
                columns["failure_mode"][i * n_dies : (i + 1) * n_dies],
                config.dynamic.fraction,
                np.random.default_rng(_stream(config, CHOICE_STREAM, wafer)),
            )
            for i, wafer in enumerate(wafers)
        ]
    )
    dynamic, lock_time = _dynamic_lock(
        config, rings, wafers, chosen, static, shared["lock_normal"], engine
    )
    closed = _evaluate(config, layout, wafers, rings, dynamic, shared, engine)
    flat = chosen.ravel()
    for name in closed:
        if name not in ("wafer", "die", "die_x_m", "die_y_m"):
            columns[name] = np.where(flat, closed[name], columns[name])
    columns["lock_mode"] = flat.astype(np.int8)
    columns["lock_time_s"] = lock_time.ravel()
    return _ordered(columns)


def _ordered(columns):
    return {name: columns[name] for name in COLUMNS}


def _stream(config, key, wafer):
    return np.random.SeedSequence(config.run.seed, spawn_key=(key, int(wafer)))


class _Lock(NamedTuple):
    """Every ring's tuning/lock outcome, shaped (wafer, die, ring) except ``assignment``
    (bank, channel)."""

    mode: np.ndarray
    """Failure code (0: tuned and locked)."""
    assignment: np.ndarray
    """Channel of every ring of every bank, a permutation per bank."""
    residual_m: np.ndarray
    """Residual detuning laser − ring (at the lock point), m."""
    heater_power_w: np.ndarray
    """Heater power, W (NaN where the bank could not be planned)."""


def _study_inputs(config: YieldConfig, layout, wafers, engine):
    """Everything drawn for the given wafers before the lock: the fabricated rings (with each
    laser source's wavelength error folded into its rings' resonances, since only laser −
    ring enters), and the defects, power spreads and lock normals the evaluation shares."""
    drawn = SAMPLE_ENGINES[engine](
        config.variation, layout, wafer_indices=wafers, rng=config.run.seed
    )
    rings = _fabricated_rings(config, layout, drawn, _loss_factors(config, wafers, layout))
    rings["cold_m"] = rings["cold_m"] - _laser_wavelength_errors(config, wafers, layout)
    ratio = _heater_resistance_ratios(config, wafers, rings["cold_m"].shape)
    rings["heater_resistance_ratio"] = ratio
    rings["heater_range_w"] = config.tuning.heater.full_scale_power_w(ratio)
    shared = {
        "defects": _defects(config, layout, wafers),
        "power_spread_db": _power_spreads(config, layout, wafers),
        "lane": _lane_spreads(config, layout, wafers),
        "lock_normal": _lock_normals(config, wafers, rings["cold_m"].shape),
    }
    return rings, shared


def _loss_factors(config: YieldConfig, wafers, layout) -> np.ndarray:
    """Each die's propagation-loss factor (dimensionless, ≥ 0), shape (wafer, die, 1): every
    ring of a die has ``factor × its design's loss``; per wafer keyed by ``(seed,
    LOSS_STREAM, wafer)``."""
    sigma = config.spreads.propagation_loss_sigma
    out = np.empty((len(wafers), layout.n_dies, 1))
    for i, wafer in enumerate(wafers):
        rng = np.random.default_rng(_stream(config, LOSS_STREAM, wafer))
        out[i, :, 0] = np.maximum(1.0 + sigma * rng.standard_normal(layout.n_dies), 0.0)
    return out


def _heater_resistance_ratios(config: YieldConfig, wafers, shape) -> np.ndarray:
    """Each ring's heater resistance over nominal, shape (wafer, die, ring): ``1 + σz``
    clipped at 0.1; per wafer keyed by ``(seed, HEATER_STREAM, wafer)``."""
    sigma = config.spreads.heater_resistance_sigma
    out = np.ones(shape)
    if sigma > 0.0:
        for i, wafer in enumerate(wafers):
            rng = np.random.default_rng(_stream(config, HEATER_STREAM, wafer))
            out[i] = np.maximum(1.0 + sigma * rng.standard_normal(shape[1:]), 0.1)
    return out


def _laser_wavelength_errors(config: YieldConfig, wafers, layout) -> np.ndarray:
    """Each ring's laser-source wavelength error, m, shape (wafer, die, ring), per wafer keyed
    by ``(seed, LASER_WAVELENGTH_STREAM, wafer)``: one Gaussian offset per source, shared by
    every channel of it (the grid moves as a whole) and by the ``link.laser_split_ways``
    consecutive links it feeds."""
    n_links = config.die.n_engines * config.die.links_per_engine
    ways = config.link.laser_split_ways
    n_sources = -(-n_links // ways)
    rings_per_link = layout.n_rings_per_die // n_links
    sigma = config.spreads.laser_wavelength_sigma_m
    out = np.empty((len(wafers), layout.n_dies, layout.n_rings_per_die))
    for i, wafer in enumerate(wafers):
        rng = np.random.default_rng(_stream(config, LASER_WAVELENGTH_STREAM, wafer))
        sources = sigma * rng.standard_normal((layout.n_dies, n_sources))
        links = np.repeat(sources, ways, axis=1)[:, :n_links]
        out[i] = np.repeat(links, rings_per_link, axis=1)
    return out


def _fabricated_rings(config: YieldConfig, layout, drawn, loss_factor) -> dict:
    """Every ring's heater-off resonance at the hottest corner (self-heating included), Airy
    linewidth, depth, drop peak and FSR, shaped (wafer, die, ring); TX/RX masks; the
    modulator's self-heating stability. ``loss_factor`` (wafer, die, 1) scales every ring's
    design propagation loss."""
    banks_per_link = config.banks_per_link
    grid = config.link.grid.wavelengths_m
    channel_of_position = np.asarray(layout.die.ring)
    is_tx = np.asarray(layout.die.bank) % banks_per_link == 0
    cold = grid[channel_of_position] + config.tuning.design_offset_m + drawn.resonance_shift_m
    link = config.link
    operating_point = link.operating_point
    coupler = config.variation.coupler
    tx = _airy_rings(link.modulator.ring, coupler, drawn, is_tx, operating_point.fsr_m, loss_factor)
    rx = (
        _airy_rings(link.demux, coupler, drawn, ~is_tx, link.demux_airy.fsr_m, loss_factor)
        if config.has_demux
        else None
    )
    # Each modulator ring, locked at its bias, heats itself: it sits that much red of where its
    # heater alone puts it, so the plan needs that much less heater shift. The design places the
    # nominal ring design_offset_m from its channel at its nominal self-heating; a fabricated
    # ring heats more or less by its own linewidth and depth.
    nominal = link.modulator.self_heating_at_lock(input_power_w=link.modulator_input_power_w)
    heating = locked_self_heating(
        operating_point,
        input_power_w=link.modulator_input_power_w,
        thermal_shift_m_per_k=link.modulator.thermal_shift_m_per_k,
        thermal_resistance_k_per_w=link.modulator.thermal_resistance_k_per_w,
        heat_fraction=link.modulator.heat_fraction,
        fwhm_m=tx["fwhm_m"],
        extinction_db=tx["extinction_db"],
    )
    extra_heating_m = np.nan_to_num(heating.resonance_shift_m) - nominal.resonance_shift_m
    cold = cold + np.where(is_tx, extra_heating_m, 0.0)
    tx_fsr = float(link.modulator.ring.fsr_m(grid.mean()))
    fsr = np.full(cold.shape, tx_fsr)
    fwhm = tx["fwhm_m"]
    # a TX ring's monitor is its drop port where it has one, else a tap (assumption: its
    # photocurrent scale is the drop port's of a lossless ring)
    drop_peak = 10.0 ** (-tx.get("drop_loss_db", np.zeros(cold.shape)) / 10.0)
    if rx is not None:
        fsr = np.broadcast_to(
            np.where(is_tx, tx_fsr, float(link.demux.fsr_m(grid.mean()))), cold.shape
        )
        fwhm = np.where(is_tx, fwhm, rx["fwhm_m"])
        drop_peak = np.where(is_tx, drop_peak, 10.0 ** (-rx["drop_loss_db"] / 10.0))
    return {
        "cold_m": cold,
        "is_tx": is_tx,
        "tx": tx,
        "rx": rx,
        "stability": heating.stability,
        "fsr_m": fsr,
        "fwhm_m": fwhm,
        "drop_peak": np.clip(drop_peak, 1e-6, 1.0),
    }


def _lock_normals(config: YieldConfig, wafers, shape) -> np.ndarray:
    """A standard normal per ring, shape (wafer, die, ring), keyed by ``(seed, LOCK_STREAM,
    wafer)``: the instant of each ring's residual that its link budget sees."""
    out = np.empty(shape)
    for i, wafer in enumerate(wafers):
        out[i] = np.random.default_rng(_stream(config, LOCK_STREAM, wafer)).standard_normal(
            shape[1:]
        )
    return out


def _static_lock(config: YieldConfig, rings, normal, engine) -> _Lock:
    """The static tuning plan of every bank, with headroom for the cold/laser-hot corner, and
    a Gaussian residual detuning per ring (``mean + σ·normal``)."""
    cold = rings["cold_m"]
    n_channels = config.n_channels
    grid = config.link.grid.wavelengths_m
    tuning = config.tuning
    swing_m = (
        config.link.modulator.ring.thermal_shift_m_per_k(grid.mean()) * tuning.ambient_range_k
        + tuning.laser_drift_m_per_k * tuning.laser_temperature_range_k
    )
    swing_power_w = float(swing_m / tuning.tuning_efficiency_m_per_w)
    # each ring's range less the corner headroom (a ring left with none cannot tune)
    plan_max_heater_power_w = np.maximum(
        rings["heater_range_w"].reshape(-1, n_channels) - swing_power_w, 1e-15
    )
    budget_w = tuning.bank_power_budget_w - n_channels * swing_power_w
    banks_cold = cold.reshape(-1, n_channels)
    n_banks = banks_cold.shape[0]
    no_range = tuning.max_heater_power_w <= swing_power_w
    if no_range or budget_w <= 0.0:
        failed = "tuning_range" if no_range else "heater_budget"
        mode = np.full(n_banks, FAILURE_MODES.index(failed), dtype=np.int8)
        assignment = np.tile(np.arange(n_channels), (n_banks, 1))
        heater_w = np.full((n_banks, n_channels), np.nan)
    else:
        plan = plan_tuning(
            banks_cold,
            fsr_m=rings["fsr_m"].reshape(-1, n_channels),
            channel_wavelength_m=grid,
            tuning_efficiency_m_per_w=tuning.tuning_efficiency_m_per_w,
            max_heater_power_w=plan_max_heater_power_w,
            strategy=tuning.strategy,
            crosstalk_fraction=tuning.crosstalk_matrix(n_channels),
            total_power_budget_w=budget_w,
            alias_guard_m=tuning.alias_guard_m,
            engine=engine,
        )
        mode = _tuning_modes(plan.failure_code)
        assignment = plan.assignment
        heater_w = plan.heater_power_w + swing_power_w
        heater_w = np.where((mode == 0)[:, None], heater_w, np.nan)
    return _Lock(
        mode=np.repeat(mode, n_channels).reshape(cold.shape),
        assignment=assignment,
        residual_m=config.lock.mean_m + config.lock.sigma_m * normal,
        heater_power_w=heater_w.reshape(cold.shape),
    )


def _dynamic_lock(config: YieldConfig, rings, wafers, chosen, static: _Lock, normal, engine):
    """The closed-loop lock of the chosen dies
    (:func:`cposim.photonics.yields.closed_loop.lock_banks`, one call per wafer with noise
    keyed by ``(seed, DYNAMIC_STREAM, wafer)``), the static outcome elsewhere; and each die's
    lock time (s: its last ring's first lock from power-up; NaN where a ring never locked or
    the die ran static)."""
    n_wafers, n_dies, n_rings = rings["cold_m"].shape
    n_channels = config.n_channels
    banks_per_die = n_rings // n_channels
    mode = static.mode.copy()
    assignment = static.assignment.reshape(n_wafers, n_dies, banks_per_die, n_channels).copy()
    residual = static.residual_m.copy()
    heater = static.heater_power_w.copy()
    lock_time = np.full((n_wafers, n_dies), np.nan)
    to_mode = np.array(
        [0, *(FAILURE_MODES.index(name) for name in DYNAMIC_FAILURES)], dtype=np.int8
    )
    for i, wafer in enumerate(wafers):
        dies = np.flatnonzero(chosen[i])
        if dies.size == 0:
            continue
        locks = _lock_wafer(config, rings, i, wafer, dies, engine)

        def banks(values, i=i, dies=dies):
            return values[i, dies].reshape(-1, n_channels)

        codes = to_mode[locks.failure]
        budget = FAILURE_MODES.index("heater_budget")
        codes = np.where((codes == 0) & locks.over_budget[:, None], budget, codes)
        shape = (dies.size, n_rings)
        mode[i, dies] = codes.reshape(shape)
        assignment[i, dies] = locks.assignment.reshape(dies.size, banks_per_die, n_channels)
        residual[i, dies] = residual_detuning(
            config.dynamic.residual_statistic, locks, banks(normal)
        ).reshape(shape)
        heater[i, dies] = locks.heater_power_w.reshape(shape)
        lock_time[i, dies] = locks.time_to_lock_s.reshape(shape).max(axis=-1)
    locked = _Lock(
        mode=mode,
        assignment=assignment.reshape(-1, n_channels),
        residual_m=residual,
        heater_power_w=heater,
    )
    return locked, lock_time


def _lock_wafer(config, rings, i, wafer, dies, engine, trace_records=None):
    """:func:`~cposim.photonics.yields.closed_loop.lock_banks` on the banks of dies ``dies``
    of the ``i``-th wafer of ``rings`` (wafer index ``wafer``), noise keyed by ``(seed,
    DYNAMIC_STREAM, wafer)``: every die's outcome depends only on the study and the wafer's
    chosen dies."""
    n_channels = config.n_channels
    grid = config.link.grid.wavelengths_m

    def banks(values):
        return values[i, dies].reshape(-1, n_channels)

    return lock_banks(
        config.dynamic,
        config.tuning,
        cold_resonance_m=banks(rings["cold_m"]),
        fwhm_m=banks(rings["fwhm_m"]),
        drop_peak=banks(rings["drop_peak"]),
        fsr_m=banks(rings["fsr_m"]),
        thermal_shift_m_per_k=float(config.link.modulator.ring.thermal_shift_m_per_k(grid.mean())),
        channel_wavelength_m=grid,
        rng=np.random.default_rng(_stream(config, DYNAMIC_STREAM, wafer)),
        heater_resistance_ratio=banks(rings["heater_resistance_ratio"]),
        engine=engine,
        trace_records=trace_records,
    )


def die_lock_timeline(
    config: YieldConfig, wafer: int, die: int, *, records: int = 400, engine: str = "numba"
) -> DieLockTimeline:
    """Replay one die's dynamic lock with traces: the same rings, noise and outcome as in the
    study (its wafer's chosen dies run again, with every ring traced at about ``records``
    samples, so memory grows with the wafer's rings times ``records``).

    Parameters
    ----------
    config : YieldConfig
        The study (``lock.mode = "dynamic"``).
    wafer : int
        Wafer index (≥ 0).
    die : int
        Die index on the wafer (0 … dies per wafer - 1).
    records : int
        Trace samples per ring (≥ 1). Default 400.
    engine : {"numba", "numpy"}
        Kernels or references.

    Examples
    --------
    >>> table = simulate_wafers(config, [0])                                  # doctest: +SKIP
    >>> failing = np.flatnonzero((table["lock_mode"] == 1) & ~table["passed"])  # doctest: +SKIP
    >>> die_lock_timeline(config, 0, failing[0]).plot()                        # doctest: +SKIP
    """
    if config.lock.mode != "dynamic":
        raise ValueError('die_lock_timeline needs a study with lock.mode = "dynamic"')
    layout = config.layout()
    check_integer("wafer", wafer, low=0)
    check_integer("die", die, low=0)
    if die >= layout.n_dies:
        raise ValueError(f"die = {die} must be below the {layout.n_dies} dies per wafer")
    wafers = np.array([wafer])
    rings, shared = _study_inputs(config, layout, wafers, engine)
    static = _evaluate(
        config,
        layout,
        wafers,
        rings,
        _static_lock(config, rings, shared["lock_normal"], engine),
        shared,
        engine,
    )
    chosen = choose_dies(
        static["failure_mode"],
        config.dynamic.fraction,
        np.random.default_rng(_stream(config, CHOICE_STREAM, wafer)),
    )
    if not chosen[die]:
        raise ValueError(f"die {die} of wafer {wafer} ran the static lock (dynamic.fraction < 1)")
    dies = np.flatnonzero(chosen)
    locks = _lock_wafer(config, rings, 0, wafer, dies, engine, trace_records=records)
    trace = locks.trace
    n_channels = config.n_channels
    per_die = rings["cold_m"].shape[-1] // n_channels
    first = int(np.searchsorted(dies, die)) * per_die
    rows = slice(first, first + per_die)

    def ring_values(values):
        return np.asarray(values)[rows].reshape(per_die * n_channels, *np.shape(values)[2:])

    detuning = ring_values(trace.detuning_m)
    heater = ring_values(trace.heater_power_w)
    failure = ring_values(locks.failure)
    fwhm = ring_values(trace.fwhm_m)
    time_s = trace.time_s + trace.acquisition_duration_s
    per_link = config.banks_per_link
    labels = tuple(
        f"link {bank // per_link} {'TX' if bank % per_link == 0 else 'RX'} ch {channel}"
        for bank, channel in zip(
            np.repeat(np.arange(per_die), n_channels), ring_values(locks.assignment), strict=True
        )
    )
    profile = config.dynamic.profile
    return DieLockTimeline(
        wafer=int(wafer),
        die=int(die),
        time_s=time_s,
        detuning_m=detuning,
        heater_power_w=heater,
        failure=failure,
        ring_labels=labels,
        fwhm_m=fwhm,
        event_time_s=failure_events(
            failure,
            time_s,
            detuning,
            heater,
            fwhm_m=fwhm,
            first_lock_s=ring_values(locks.time_to_lock_s),
            pmax_w=rings["heater_range_w"][0, die],
        ),
        asic_step_time_s=profile.asic_step_time_s if profile.asic_step_w > 0.0 else None,
    )


def _evaluate(config: YieldConfig, layout, wafers, rings, lock: _Lock, shared, engine):
    """Link budget and attribution of every lane, engine and die for one lock outcome."""
    n_wafers, n_dies, n_rings = rings["cold_m"].shape
    n_channels = config.n_channels
    banks_per_link = config.banks_per_link
    link = config.link
    operating_point = link.operating_point
    tx, rx = rings["tx"], rings["rx"]

    # --- lanes: gather each channel's TX and RX ring
    ring_of_channel = np.argsort(lock.assignment, axis=1, kind="stable").reshape(
        n_wafers, n_dies, -1, n_channels
    )
    per_bank = (n_wafers, n_dies, -1, n_channels)

    def lanes(values, bank_offset):
        banks = np.broadcast_to(values, (n_wafers, n_dies, n_rings)).reshape(per_bank)
        chosen = banks[:, :, bank_offset::banks_per_link]
        order = ring_of_channel[:, :, bank_offset::banks_per_link]
        return np.take_along_axis(chosen, order, axis=-1)

    demux_inputs = {}
    if config.has_demux:
        demux_inputs = {
            "demux_detuning_m": lanes(lock.residual_m, 1),
            "demux_fwhm_m": lanes(rx["fwhm_m"], 1),
            "demux_drop_loss_db": lanes(rx["drop_loss_db"], 1),
            "demux_extinction_db": lanes(rx["extinction_db"], 1),
        }
    ring_killed, heater_killed, photodiode_defect = shared["defects"]
    ring_defect = lanes(ring_killed, 0)
    heater_defect = lanes(heater_killed, 0)
    if config.has_demux:  # a lane fails with either of its rings
        ring_defect = ring_defect | lanes(ring_killed, 1)
        heater_defect = heater_defect | lanes(heater_killed, 1)
    photodiode_defect = photodiode_defect.reshape(ring_defect.shape)
    modulator_fwhm = lanes(tx["fwhm_m"], 0)
    modulator_extinction = lanes(tx["extinction_db"], 0)
    modulator_error = lanes(lock.residual_m, 0)
    if config.lock.modulator_bias == "linewidth":  # the bias scales with the ring's linewidth
        bias = operating_point.bias_detuning_m
        modulator_error = modulator_error + bias * (modulator_fwhm / operating_point.fwhm_m - 1.0)
    isi_closure = None
    if config.isi.model == "time-domain":
        isi_closure = study_isi_table(config).closure_at(
            modulator_fwhm_m=modulator_fwhm, modulator_detuning_m=modulator_error
        )
    budget = evaluate_lanes(
        link,
        laser_power_dbm=link.laser_power_dbm
        + shared["power_spread_db"].reshape(modulator_fwhm.shape),
        modulator_detuning_m=modulator_error,
        modulator_fwhm_m=modulator_fwhm,
        modulator_extinction_db=modulator_extinction,
        isi_closure=isi_closure,
        engine=engine,
        **{name: value.reshape(modulator_fwhm.shape) for name, value in shared["lane"].items()},
        **demux_inputs,
    )
    stable = lanes(rings["stability"], 0) > 0.0
    criteria = config.criteria  # the modulator's own levels at its error and swing
    modulator_ok = (
        budget.modulator_extinction_ratio_db >= criteria.min_modulator_extinction_ratio_db
    ) & (budget.modulator_insertion_loss_db <= criteria.max_modulator_insertion_loss_db)

    # --- attribution per lane, then per engine and die
    lock_fail = lanes(lock.mode, 0)
    if banks_per_link > 1:
        lock_fail = _first_failure(lock_fail, lanes(lock.mode, 1))
    code = {mode: k for k, mode in enumerate(FAILURE_MODES)}
    lane_mode = np.select(
        [
            ring_defect,
            heater_defect,
            photodiode_defect,
            lock_fail > 0,
            ~stable,
            ~modulator_ok,
            budget.margin_db < config.criteria.min_margin_db,
        ],
        [
            code["ring_defect"],
            code["heater_defect"],
            code["photodiode_defect"],
            lock_fail,
            code["self_heating"],
            code["modulator_spec"],
            code["ber_margin"],
        ],
        0,
    ).astype(np.int8)
    lane_mode = lane_mode.reshape(n_wafers, n_dies, -1)  # (wafer, die, lanes)
    lanes_per_engine = config.die.links_per_engine * n_channels
    engine_pass = (
        lane_mode.reshape(n_wafers, n_dies, config.die.n_engines, lanes_per_engine) == 0
    ).all(axis=-1)
    die_mode = np.where(
        (lane_mode > 0).any(axis=-1), np.where(lane_mode > 0, lane_mode, 127).min(axis=-1), 0
    )
    tuned = lock_fail == 0
    margins = np.where(tuned, budget.margin_db, np.nan).reshape(n_wafers, n_dies, -1)
    heater_die = np.where((lock.mode == 0).all(axis=-1), lock.heater_power_w.sum(axis=-1), np.nan)

    columns = {
        "wafer": np.repeat(wafers, n_dies).astype(np.int32),
        "die": np.tile(np.arange(n_dies), n_wafers).astype(np.int32),
        "die_x_m": np.tile(layout.die_centre_x_m, n_wafers),
        "die_y_m": np.tile(layout.die_centre_y_m, n_wafers),
        "passed": (die_mode == 0).ravel(),
        "failure_mode": die_mode.astype(np.int8).ravel(),
        "engines_passed": engine_pass.sum(axis=-1).astype(np.int16).ravel(),
        "lanes_passed": (lane_mode == 0).sum(axis=-1).astype(np.int16).ravel(),
        "min_margin_db": _nanmin_last(margins).ravel(),
        "heater_power_w": heater_die.ravel(),
    }
    for k, name in enumerate(FAILURE_MODES[1:], start=1):
        columns[f"lanes_failed_{name}"] = (lane_mode == k).sum(axis=-1).astype(np.int16).ravel()
    return columns


_ISI_TABLES: dict = {}
"""Time-domain ISI tables already computed in this process, by study (link and settings)."""


def study_isi_table(config: YieldConfig):
    """The time-domain :class:`~cposim.photonics.timedomain.penalty.IsiTable` of a study's
    lane, computed once per process and study (deterministic: every chunk and worker gets the
    same table, so results do not depend on chunking).

    Parameters
    ----------
    config : YieldConfig
        The study (its ``link`` and ``isi`` settings).
    """
    from cposim.photonics.timedomain.penalty import isi_table
    from cposim.photonics.timedomain.transmitter import Driver

    key = repr((config.link, config.isi))
    if key not in _ISI_TABLES:
        _ISI_TABLES[key] = isi_table(
            config.link,
            driver=Driver(bandwidth_hz=config.isi.driver_bandwidth_hz),
            ffe_taps=config.isi.ffe_taps,
            samples_per_symbol=config.isi.samples_per_symbol,
        )
    return _ISI_TABLES[key]


def _airy_rings(design: Ring, coupler, sample, selected, fsr_m, loss_factor):
    """Airy linewidth, dip depth and (add-drop rings) drop loss of every fabricated ring of
    the ``selected`` positions, exact for its own couplings (gap and width through the
    coupler model pinned to the design's couplings) and its die's loss; NaN at the other
    positions.

    Parameters are the ring design, the coupler model, the variation sample, a boolean mask of
    the ring positions of this design, the FSR of the Airy form, m, and each die's
    propagation-loss factor (wafer, die, 1).
    """
    gap = coupler.reference_gap_m + sample.delta_gap_m[..., selected]
    width = coupler.reference_width_m + sample.delta_width_m[..., selected]
    couplings = {}
    for name in ("power_coupling_in", "power_coupling_drop"):
        nominal = getattr(design, name)
        if nominal > 0.0:
            pinned = dataclasses.replace(coupler, reference_power_coupling=nominal)
            couplings[name] = pinned.power_coupling(gap, width)
    rings = dataclasses.replace(
        design, **couplings, loss_db_per_m=design.loss_db_per_m * np.asarray(loss_factor)
    )
    metrics = {
        "fwhm_m": airy_fwhm_m(rings.airy_coefficient(), fsr_m=fsr_m),
        "extinction_db": -10.0 * np.log10(np.maximum(rings.through_on_resonance(), 1e-10)),
    }
    if design.power_coupling_drop > 0.0:
        metrics["drop_loss_db"] = -10.0 * np.log10(rings.drop_on_resonance())
    for name, values in metrics.items():
        full = np.full(sample.shape, np.nan)
        full[..., selected] = values
        metrics[name] = full
    return metrics


def _power_spreads(config: YieldConfig, layout, wafers) -> np.ndarray:
    """Each lane's laser-line power deviation minus its fibre's coupling-loss deviation, plus
    its photodiode's responsivity deviation, dB, shape (wafer, die, lane); per wafer keyed by
    ``(seed, SPREAD_STREAM, wafer)`` and ``(seed, PHOTODIODE_STREAM, wafer)``. A responsivity
    ratio r scales every photocurrent term the budget holds (signal, shot and RIN noise) as
    received power does, so it enters as ``10·log10(r)`` dB of power.

    Lanes are numbered link by link, channel by channel. Each laser line feeds its lanes
    (:func:`_laser_normals`, as RIN and the wavelength error are grouped), the channels of
    one link share its fibre (a DR link has one channel, so one fibre per lane), and every
    fibre of an engine shares its fibre array's offset (keyed by ``(seed,
    FIBER_ARRAY_STREAM, wafer)``)."""
    n_wafers, n_dies = len(wafers), layout.n_dies
    n_channels = config.n_channels
    n_links = config.die.n_engines * config.die.links_per_engine
    n_lanes = n_links * n_channels
    spread = config.spreads
    out = np.empty((n_wafers, n_dies, n_lanes))
    for i, wafer in enumerate(wafers):
        rng = np.random.default_rng(_stream(config, SPREAD_STREAM, wafer))
        lines = spread.laser_line_power_sigma_db * _laser_normals(config, n_dies, rng)
        fibres = spread.fiber_coupling_loss_sigma_db * rng.standard_normal((n_dies, n_links))
        arrays = np.random.default_rng(_stream(config, FIBER_ARRAY_STREAM, wafer))
        engines = spread.fiber_array_loss_sigma_db * arrays.standard_normal(
            (n_dies, config.die.n_engines)
        )
        fibres = fibres + np.repeat(engines, config.die.links_per_engine, axis=1)
        out[i] = lines - np.repeat(fibres, n_channels, axis=1)
        detectors = np.random.default_rng(_stream(config, PHOTODIODE_STREAM, wafer))
        ratio = 1.0 + spread.photodiode_responsivity_sigma * detectors.standard_normal(
            (n_dies, n_lanes)
        )
        out[i] += 10.0 * np.log10(np.maximum(ratio, 1e-6))
    return out


def _lane_spreads(config: YieldConfig, layout, wafers) -> dict[str, np.ndarray]:
    """Each lane's receiver noise density (A/√Hz), photodiode dark current (A), laser RIN
    (dB/Hz) and driver swing ratio, shape (wafer, die, lane), as ``evaluate_lanes`` keywords;
    per wafer keyed by ``(seed, RECEIVER_NOISE_STREAM, wafer)``, ``(seed, RIN_STREAM, wafer)``
    and ``(seed, DRIVER_STREAM, wafer)``; a laser's RIN is shared by the lanes it feeds
    (:func:`_laser_normals`), every lane has its own driver."""
    n_wafers, n_dies = len(wafers), layout.n_dies
    n_links = config.die.n_engines * config.die.links_per_engine
    spread, link = config.spreads, config.link
    shape = (n_wafers, n_dies, n_links * config.n_channels)
    out = {name: np.empty(shape) for name in
           ("tia_noise_density_a_per_sqrt_hz", "dark_current_a", "rin_db_per_hz",
            "drive_swing_ratio")}  # fmt: skip
    for i, wafer in enumerate(wafers):
        rng = np.random.default_rng(_stream(config, RECEIVER_NOISE_STREAM, wafer))
        factor = 1.0 + spread.tia_noise_sigma * rng.standard_normal(shape[1:])
        out["tia_noise_density_a_per_sqrt_hz"][i] = link.tia_noise_density_a_per_sqrt_hz * (
            np.maximum(factor, 1e-3)
        )
        out["dark_current_a"][i] = link.photodiode_dark_current_a * np.exp(
            spread.photodiode_dark_current_sigma * rng.standard_normal(shape[1:])
        )
        lasers = np.random.default_rng(_stream(config, RIN_STREAM, wafer))
        out["rin_db_per_hz"][i] = link.rin_db_per_hz + spread.laser_rin_sigma_db * (
            _laser_normals(config, n_dies, lasers)
        )
        drivers = np.random.default_rng(_stream(config, DRIVER_STREAM, wafer))
        out["drive_swing_ratio"][i] = np.clip(
            1.0 + spread.driver_swing_sigma * drivers.standard_normal(shape[1:]),
            *_SWING_RATIO_CLIP,
        )
    return out


def _laser_normals(config: YieldConfig, n_dies: int, rng) -> np.ndarray:
    """One standard normal per laser, given to each lane it feeds, shape (die, lane): a laser
    per channel of a source, and each source feeds ``link.laser_split_ways`` consecutive
    links (lanes numbered link by link, channel by channel)."""
    n_links = config.die.n_engines * config.die.links_per_engine
    ways = config.link.laser_split_ways
    lasers = rng.standard_normal((n_dies, -(-n_links // ways), config.n_channels))
    return np.repeat(lasers, ways, axis=1)[:, :n_links].reshape(n_dies, -1)


def _defects(config: YieldConfig, layout, wafers):
    """Killer defects, per wafer keyed by ``(seed, DEFECT_STREAM, wafer)``: every ring's
    waveguide or junction and its heater, (wafer, die, ring) bool; every lane's photodiode,
    (wafer, die, lane) bool."""
    from cposim.photonics.fab.defects import DEFECT_LAYERS, CriticalAreas, sample_defects

    waveguide, heater, junction = (
        DEFECT_LAYERS.index(n) for n in ("waveguide", "heater", "junction")
    )

    link = config.link
    n_rings = layout.n_rings_per_die
    per_bank = config.banks_per_link
    ring_areas = [CriticalAreas.ring_device(link.modulator.ring, doped=True)]
    if config.has_demux:
        ring_areas.append(CriticalAreas.ring_device(link.demux, doped=False))
    # rings alternate TX/RX bank by bank (bank b of a link is ring design b % banks_per_link)
    n_channels = config.n_channels
    bank_of_ring = (np.arange(n_rings) // n_channels) % per_bank
    areas = [ring_areas[b] for b in bank_of_ring]
    n_lanes = n_rings // per_bank
    areas += [CriticalAreas.photodiode()] * n_lanes
    shape = (len(wafers), layout.n_dies)
    ring_killed = np.zeros((*shape, n_rings), dtype=bool)
    heater_killed = np.zeros_like(ring_killed)
    pd_killed = np.zeros((*shape, n_lanes), dtype=bool)
    for i, wafer in enumerate(wafers):
        layer = sample_defects(
            layout,
            areas,
            config.defects,
            rng=np.random.default_rng(_stream(config, DEFECT_STREAM, wafer)),
        ).killing_layer
        rings = layer[:, :n_rings]
        ring_killed[i] = (rings == waveguide) | (rings == junction)
        heater_killed[i] = rings == heater
        pd_killed[i] = layer[:, n_rings:] >= 0
    return ring_killed, heater_killed, pd_killed


def _tuning_modes(failure_code) -> np.ndarray:
    table = np.zeros(max(int(c) for c in TuningFailure) + 1, dtype=np.int8)
    for failure, mode in _TUNING_TO_MODE.items():
        table[int(failure)] = mode
    return table[np.asarray(failure_code, dtype=np.int64)]


def _first_failure(a, b):
    """Element-wise the earlier (smaller, nonzero) failure mode of two, 0 if both pass."""
    both = np.where(a == 0, b, np.where(b == 0, a, np.minimum(a, b)))
    return both


def _nanmin_last(values):
    empty = np.isnan(values).all(axis=-1)
    filled = np.where(np.isnan(values), np.inf, values).min(axis=-1)
    return np.where(empty, np.nan, filled)


__all__ = [
    "CHOICE_STREAM",
    "COLUMNS",
    "DEFECT_STREAM",
    "DRIVER_STREAM",
    "DYNAMIC_STREAM",
    "ENGINES",
    "FAILURE_LABELS",
    "FAILURE_MODES",
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
]
