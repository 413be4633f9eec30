"""Link budget of many lanes at once (Numba lane kernel), each with its own rings and detuning.

:func:`evaluate_lanes` broadcasts per-lane inputs to ``batch_shape + (n_channels,)`` and runs
:mod:`cposim.photonics.link._kernels` (or, with ``engine="numpy"``, its reference
:mod:`cposim.photonics.link._reference`); :class:`LaneBudget` holds the per-lane results. The
model is documented in :mod:`cposim.photonics.link.budget`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import (
    as_float_array,
    check_choice,
    check_range,
    extremes_within,
)
from cposim.photonics.link import _kernels, _reference
from cposim.photonics.link._kernels import (
    PENALTY_NAMES,
    LaneInputs,
    LaneOutputs,
    LinkConstants,
)
from cposim.photonics.link.ber import _ber_scale, q_from_ber
from cposim.photonics.link.parameters import LinkParameters
from cposim.photonics.units import ELEMENTARY_CHARGE_C, SPEED_OF_LIGHT_M_PER_S

LANE_RANGES = LaneInputs(
    modulator_detuning_m={"low": -1e-6, "high": 1e-6},
    modulator_fwhm_m={"low": 0.0, "high": 1e-7, "low_inclusive": False},
    modulator_extinction_db={"low": 0.0, "high": 100.0, "low_inclusive": False},
    demux_detuning_m={"low": -1e-6, "high": 1e-6},
    demux_fwhm_m={"low": 0.0, "high": 1e-7, "low_inclusive": False},
    demux_drop_loss_db={"low": 0.0, "high": 100.0},
    demux_extinction_db={"low": 0.0, "high": 100.0, "low_inclusive": False},
    laser_power_dbm={"low": -100.0, "high": 40.0},
    isi_closure={"low": 0.0, "high": 1.0, "high_inclusive": False},
    tia_noise_density_a_per_sqrt_hz={"low": 0.0, "high": 1e-9, "low_inclusive": False},
    dark_current_a={"low": 0.0, "high": 1e-3},
    rin_db_per_hz={"low": -300.0, "high": -100.0},
    drive_swing_ratio={"low": 0.0, "high": 2.0, "low_inclusive": False},
)
"""Allowed range of each per-lane input of :func:`evaluate_lanes` (bounds of
:func:`~cposim.control.core.validation.check_range`)."""


def evaluate_lanes(
    params: LinkParameters,
    *,
    modulator_detuning_m=0.0,
    modulator_fwhm_m=None,
    modulator_extinction_db=None,
    demux_detuning_m=0.0,
    demux_fwhm_m=None,
    demux_drop_loss_db=None,
    demux_extinction_db=None,
    laser_power_dbm=None,
    isi_closure=None,
    tia_noise_density_a_per_sqrt_hz=None,
    dark_current_a=None,
    rin_db_per_hz=None,
    drive_swing_ratio=1.0,
    engine: str = "numba",
) -> LaneBudget:
    """Link budget of many lanes at once (Numba), each with its own rings and detuning.

    Every per-lane argument broadcasts to ``batch_shape + (n_channels,)``: the last axis is the
    channel (lanes on one bus, in cascade order), leading axes are independent links (dies,
    Monte Carlo samples). Omitted values take the nominal ones from ``params``.

    Parameters
    ----------
    params : LinkParameters
        The link.
    modulator_detuning_m : float or array_like
        Modulator resonance error with respect to its intended bias (residual lock error), m.
    modulator_fwhm_m : float or array_like, optional
        Modulator FWHM, m (> 0).
    modulator_extinction_db : float or array_like, optional
        Modulator through-port dip depth on resonance, dB (> 0).
    demux_detuning_m : float or array_like
        Demultiplexer ring resonance minus its channel wavelength, m (ignored for DR links).
    demux_fwhm_m : float or array_like, optional
        Demultiplexer FWHM, m (> 0).
    demux_drop_loss_db : float or array_like, optional
        Demultiplexer peak drop loss, dB (≥ 0).
    demux_extinction_db : float or array_like, optional
        Demultiplexer through-port dip depth, dB (> 0).
    laser_power_dbm : float or array_like, optional
        Laser power per wavelength at the source, dBm.
    isi_closure : float or array_like, optional
        ISI factor ``p`` of each lane's worst-case eye ``(1 - p)·step - p·|OMA|`` (0 ≤ p < 1,
        dimensionless); default :func:`single_pole_isi_closure` of the lane's modulator
        linewidth, or pass a time-domain table's
        (:meth:`cposim.photonics.timedomain.IsiTable.closure`).
    tia_noise_density_a_per_sqrt_hz : float or array_like, optional
        Input-referred noise current density of each lane's receiver, A/√Hz (> 0).
    dark_current_a : float or array_like, optional
        Photodiode dark current, A (≥ 0).
    rin_db_per_hz : float or array_like, optional
        Relative intensity noise of each lane's laser, dB/Hz.
    drive_swing_ratio : float or array_like
        Each lane's driver output swing over its nominal (dimensionless, 0 … 2): its levels
        move as :attr:`LinkParameters.level_phase_swing_cycles` says (second order in the
        error; the lock holds the nominal swing's bias). Default 1.
    engine : {"numba", "numpy"}
        Implementation (:data:`LANE_ENGINES`): the Numba kernel, or its plain NumPy reference
        (same results; for tests and the benchmarks' ratios).

    Returns
    -------
    LaneBudget
        Arrays of shape ``batch_shape + (n_channels,)``.
    """
    mod = params.operating_point
    demux = params.demux_airy
    given = LaneInputs(
        modulator_detuning_m=modulator_detuning_m,
        modulator_fwhm_m=_or(modulator_fwhm_m, mod.fwhm_m),
        modulator_extinction_db=_or(modulator_extinction_db, mod.extinction_db),
        demux_detuning_m=demux_detuning_m,
        demux_fwhm_m=_or(demux_fwhm_m, demux.fwhm_m),
        demux_drop_loss_db=_or(demux_drop_loss_db, demux.drop_loss_db),
        demux_extinction_db=_or(demux_extinction_db, demux.extinction_db),
        laser_power_dbm=_or(laser_power_dbm, params.laser_power_dbm),
        isi_closure=(
            single_pole_isi_closure(params, modulator_fwhm_m=_or(modulator_fwhm_m, mod.fwhm_m))
            if isi_closure is None
            else isi_closure
        ),
        tia_noise_density_a_per_sqrt_hz=_or(
            tia_noise_density_a_per_sqrt_hz, params.tia_noise_density_a_per_sqrt_hz
        ),
        dark_current_a=_or(dark_current_a, params.photodiode_dark_current_a),
        rin_db_per_hz=_or(rin_db_per_hz, params.rin_db_per_hz),
        drive_swing_ratio=drive_swing_ratio,
    )
    run = LANE_ENGINES[check_choice("engine", engine, LANE_ENGINES)]
    shape, out = run(given, link_constants(params))
    return LaneBudget(
        **{name: value.reshape(shape + value.shape[2:]) for name, value in out._asdict().items()}
    )


def single_pole_isi_closure(params: LinkParameters, *, modulator_fwhm_m) -> np.ndarray:
    """ISI factor ``p = exp(-2π·f/R_s)`` of one equivalent pole per lane (dimensionless).

    ``f = (f_photon^-2 + f_RC^-2 + f_rx^-2)^(-1/2)`` combines the modulator's photon-lifetime
    bandwidth ``c·FWHM/λ²`` (at each channel's wavelength), its junction RC and the receiver;
    the worst-case eye after a first-order response sampled at the end of each symbol is then
    ``(1 - p)·step - p·|OMA|`` (:func:`~cposim.photonics.devices.modulator.isi_penalty_db`).

    Parameters
    ----------
    params : LinkParameters
        The link (symbol rate, RC and receiver bandwidths, channel wavelengths).
    modulator_fwhm_m : float or array_like
        Modulator FWHM per lane, m; broadcasts with ``(n_channels,)`` as the last axis.
    """
    fwhm = check_range("modulator_fwhm_m", modulator_fwhm_m, **LANE_RANGES.modulator_fwhm_m)
    lam = params.grid.wavelengths_m
    f_photon = SPEED_OF_LIGHT_M_PER_S * fwhm / lam**2
    fixed = params.operating_point.rc_bandwidth_hz**-2 + params.receiver_bandwidth_hz**-2
    f_total = (f_photon**-2 + fixed) ** -0.5
    return np.exp(-2.0 * np.pi * f_total / params.symbol_rate_baud)


def link_constants(params: LinkParameters) -> LinkConstants:
    """What every lane of a link shares, in the lane kernel's units (built here only).

    Parameters
    ----------
    params : LinkParameters
        The link.
    """
    mod = params.operating_point

    def linear(db):
        return float(10.0 ** (-db / 10.0))

    bandwidth = params.noise_bandwidth_hz
    slope, curvature = params.level_phase_swing_cycles
    return LinkConstants(
        channel_wavelength_m=params.grid.wavelengths_m,
        level_phase_cycles=np.asarray(mod.level_phase_cycles),
        level_phase_slope_cycles=slope,
        level_phase_curvature_cycles=curvature,
        mid_level_detuning_m=mod.mid_level_detuning_m,
        modulator_fsr_m=mod.fsr_m,
        demux_fsr_m=params.demux_airy.fsr_m,
        has_demux=params.demux is not None,
        tx_gain=linear(params.split_loss_db + params.laser_coupler_loss_db),
        link_gain=linear(
            params.tx_coupler_loss_db + params.fiber_connector_loss_db + params.rx_coupler_loss_db
        ),
        excess=linear(params.pass_by_loss_db),
        responsivity_a_per_w=params.responsivity_a_per_w,
        noise_bandwidth_hz=bandwidth,
        shot_coefficient_a=2.0 * ELEMENTARY_CHARGE_C * bandwidth,
        q_target=float(q_from_ber(params.target_ber, params.modulation)),
        implementation_factor=linear(params.implementation_penalty_db),
        ber_per_eye=float(_ber_scale(params.modulation)) / (params.levels - 1),
        target_ber=params.target_ber,
    )


def _run_kernel(given: LaneInputs, link: LinkConstants):
    """The Numba path: inputs validated from the extremes the kernel records while it reads
    them (no extra pass over 10^6-lane arrays)."""
    values = LaneInputs(*(_float_array(k, v) for k, v in given._asdict().items()))
    shape = _lane_shape(values, link.channel_wavelength_m.size)
    lanes = LaneInputs(*(_kernel_rows(v, shape) for v in values))
    out = LaneOutputs.empty(math.prod(shape[:-1]), shape[-1])
    extremes = _kernels.lane_budget(lanes, link, out)
    for name, bounds, value, (low, high, flag) in zip(
        LaneInputs._fields, LANE_RANGES, values, extremes, strict=True
    ):
        if not (flag == 0.0 and extremes_within(low, high, **bounds)):
            check_range(name, value, **bounds)  # raises, naming the first offender
    return shape, out


def _run_reference(given: LaneInputs, link: LinkConstants):
    """The NumPy reference path: inputs validated first, then broadcast to full size."""
    values = LaneInputs(
        *(
            check_range(k, v, **b)
            for (k, v), b in zip(given._asdict().items(), LANE_RANGES, strict=True)
        )
    )
    shape = _lane_shape(values, link.channel_wavelength_m.size)
    rows = (math.prod(shape[:-1]), shape[-1])
    lanes = LaneInputs(*(np.broadcast_to(v, shape).reshape(rows) for v in values))
    return shape, _reference.reference_lane_budget(lanes, link)


LANE_ENGINES = {"numba": _run_kernel, "numpy": _run_reference}
"""Implementations of :func:`evaluate_lanes` by ``engine`` name."""


def _lane_shape(values: LaneInputs, n: int) -> tuple[int, ...]:
    """Common shape ``batch_shape + (n_channels,)`` of the per-lane inputs, or a ValueError."""
    try:
        shape = np.broadcast_shapes(*(np.shape(v) for v in values), (n,))
    except ValueError:
        raise ValueError(
            "per-lane inputs must broadcast to batch_shape + (n_channels,) with n_channels = "
            f"{n}; got shapes "
            + ", ".join(f"{k} {np.shape(v)}" for k, v in values._asdict().items())
        ) from None
    if shape[-1] != n:
        raise ValueError(
            f"the last axis of the per-lane inputs must be n_channels = {n}; "
            f"broadcast shape is {shape}"
        )
    return shape


def _float_array(name: str, value) -> np.ndarray:
    """``value`` as float64 without a pass over it (no copy if it already is one); non-numeric
    input raises the usual ValueError naming the field."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return as_float_array(name, value)


def _kernel_rows(value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """One per-lane input as the lane kernel takes it: shape (n_links, n_channels), or
    (1, n_channels) when every link shares the value (never copied out to full size).

    Always a writable C-contiguous float64 array, so Numba compiles (and caches) a single
    specialisation of the kernel; arrays that already are one pass through without a copy.
    """
    n = shape[-1]
    padded = (1,) * (len(shape) - value.ndim) + value.shape
    if all(d == 1 for d in padded[:-1]):
        return np.array(np.broadcast_to(value.reshape(padded[-1:]), (1, n)))
    if value.size == math.prod(shape):  # broadcasting only adds unit axes: same layout
        rows = value.reshape(-1, n)
    else:
        rows = np.broadcast_to(value, shape).reshape(-1, n)
    return np.require(rows, np.float64, ["C", "W"])


def _or(value, default):
    return default if value is None else value


@dataclass(frozen=True, kw_only=True)
class LaneBudget:
    """Per-lane results of :func:`evaluate_lanes` (arrays of shape ``batch + (n_channels,)``).

    Parameters
    ----------
    received_average_dbm : ndarray
        Average received power at the photodiode with the own rings on their lock points, dBm.
    received_oma_dbm : ndarray
        Actual received OMA (detuning included), dBm (-inf if the levels are inverted).
    ber : ndarray
        Bit error ratio.
    margin_db : ndarray
        Optical power margin, dB: how far the laser power (and with it every received power,
        crosstalk and ISI) can fall before the BER reaches ``target_ber``, solved exactly with
        shot and RIN noise scaling with the power (negative: the rise it needs; -inf when no
        power reaches the target, e.g. a closed or RIN-limited eye).
    q_margin_db : ndarray
        ``10·log10(q_eq/q_target)``, dB: the q ratio the itemised penalties add up to (equal to
        the power margin when thermal noise dominates).
    penalties_db : ndarray, shape ``... + (7,)``
        Itemised penalties in the order of :data:`PENALTY_NAMES`, dB (inf for the one that
        closes the eye, NaN after it).
    dominant_penalty : ndarray of int8
        Index into :data:`PENALTY_NAMES` of the largest penalty (the closing one if any).
    mux_pass_by_db, demux_pass_by_db : ndarray
        Pass-by loss in the transmitter and receiver banks, dB.
    modulator_extinction_ratio_db, modulator_insertion_loss_db : ndarray
        The lane's own modulator at its lock error and drive swing: highest over lowest level
        and the mean level's loss, dB.
    """

    received_average_dbm: np.ndarray
    received_oma_dbm: np.ndarray
    ber: np.ndarray
    margin_db: np.ndarray
    q_margin_db: np.ndarray
    penalties_db: np.ndarray
    dominant_penalty: np.ndarray
    mux_pass_by_db: np.ndarray
    demux_pass_by_db: np.ndarray
    modulator_extinction_ratio_db: np.ndarray
    modulator_insertion_loss_db: np.ndarray

    PENALTY_NAMES = PENALTY_NAMES

    @property
    def passed(self) -> np.ndarray:
        """True where the lane meets the target BER (``margin_db >= 0``)."""
        return self.margin_db >= 0.0

    @property
    def dominant_penalty_name(self) -> np.ndarray:
        """Name of the dominant penalty per lane (array of str)."""
        return np.asarray(PENALTY_NAMES)[self.dominant_penalty]

    def to_dataframe(self):
        """One row per lane: flat ``lane`` and ``channel`` indices, every result column and one
        ``penalty_<name>_db`` column per penalty."""
        import pandas as pd

        n = self.ber.shape[-1]
        columns = {
            "lane": np.arange(self.ber.size),
            "channel": np.tile(np.arange(n), self.ber.size // n),
            "received_average_dbm": self.received_average_dbm.ravel(),
            "received_oma_dbm": self.received_oma_dbm.ravel(),
            "ber": self.ber.ravel(),
            "margin_db": self.margin_db.ravel(),
            "q_margin_db": self.q_margin_db.ravel(),
            "passed": self.passed.ravel(),
            "dominant_penalty": self.dominant_penalty_name.ravel(),
            "mux_pass_by_db": self.mux_pass_by_db.ravel(),
            "demux_pass_by_db": self.demux_pass_by_db.ravel(),
            "modulator_extinction_ratio_db": self.modulator_extinction_ratio_db.ravel(),
            "modulator_insertion_loss_db": self.modulator_insertion_loss_db.ravel(),
        }
        for k, name in enumerate(PENALTY_NAMES):
            columns[f"penalty_{name}_db"] = self.penalties_db[..., k].ravel()
        return pd.DataFrame(columns)

    def plot(self, ax=None, *, bins: int = 60):
        """Histogram of the lane margins (closed eyes counted at the left edge); returns Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        bins : int
            Number of histogram bins.
        """
        from cposim.photonics.link import plot

        return plot.lane_margins(self, ax, bins=bins)


__all__ = [
    "LANE_ENGINES",
    "LANE_RANGES",
    "PENALTY_NAMES",
    "LaneBudget",
    "evaluate_lanes",
    "link_constants",
    "single_pole_isi_closure",
]
