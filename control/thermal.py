"""Thermal network of a ring bank: self and mutual thermal resistances, poles, disturbances.

Ring ``i`` warms by ``ΔT_i = Σ_j R_ij·H_ij(s)·P_j`` above ambient, where ``R`` (K/W) holds the
self resistances on its diagonal and the mutual (crosstalk) resistances off it, and every path
has one or two real poles, ``H(s) = 1/((1 + sτ1)(1 + sτ2))`` (``τ2 = 0`` is one pole). All self
paths share ``(τ1, τ2)`` and all mutual paths share their own pair, so each ring carries one
state pair for its own heater and one for the summed heat of its neighbours.

Discretisation is the exact zero-order hold: with the heater power held over each sample
period ``h``, ``x[k+1] = e^{Ah}·x[k] + A⁻¹(e^{Ah} - I)·B·u[k]``, computed once with
:func:`scipy.linalg.expm` of the augmented matrix ``[[A, B], [0, 0]]·h``; the sampled response
is then identical to the continuous one at the sample instants.

Disturbances (:class:`Disturbance`): ambient steps, ramps and sinusoids that add directly to
every ring's temperature, a switch-ASIC power profile that reaches each ring through its own
thermal path, and the laser's wavelength drift with ambient temperature.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.signal

from cposim.control.core.validation import as_float_array, check_integer, check_range

DEFAULT_SELF_RESISTANCE_K_PER_W = 0.2e-9 / 1e-3 / 63e-12
"""Self thermal resistance, K/W (≈ 3175): the default heater efficiency 0.2 nm/mW (inside the
published 0.1–2.06 nm/mW range: Zhang et al., Photonics Res. 10(4), 1127 (2022); Atabaki et al.,
Opt. Express 21(13), 15706 (2013)) divided by the default dλ/dT 63 pm/K (estimated with a mode
solver, an assumption to calibrate against your process)."""

DEFAULT_TIME_CONSTANT_S = 4e-6
"""Heater thermal time constant, s: ≈ 4 µs for a metal heater (Atabaki et al., Opt. Express
18(17), 18312 (2010))."""

DEFAULT_DECAY_LENGTH_M = 11e-6
"""Crosstalk decay length of the distance model, m: an *assumption* giving ≈ 10 % mutual
heating at a 25 µm ring pitch (``exp(-25/11) ≈ 0.10``)."""


class CoarseSamplingWarning(UserWarning):
    """The sample period is too coarse for a thermal pole (``h >= τ/2``)."""


def path_zoh(time_constant_s: float, second_time_constant_s: float, sample_period_s: float):
    """Exact zero-order-hold matrices of a unit-DC-gain thermal path with one or two poles.

    The path is ``x1' = (u - x1)/τ1``, ``x2' = (x1 - x2)/τ2`` with output ``x2``; a single pole
    (``τ2 = 0``) is written as two identical states ``x1' = x2' = (u - x)/τ1``, so every path has
    the same 2-state form.

    Parameters
    ----------
    time_constant_s : float
        First time constant τ1, s (> 0).
    second_time_constant_s : float
        Second time constant τ2, s (≥ 0; 0 means one pole).
    sample_period_s : float
        Sample period h, s (> 0).

    Returns
    -------
    a : ndarray, shape (2, 2)
        State transition ``e^{Ah}``.
    b : ndarray, shape (2,)
        Input vector of the held input, per watt of unit-gain input.
    """
    t1, t2 = time_constant_s, second_time_constant_s
    if t2 > 0.0:
        a_cont = np.array([[-1.0 / t1, 0.0], [1.0 / t2, -1.0 / t2]])
        b_cont = np.array([1.0 / t1, 0.0])
    else:
        a_cont = np.array([[-1.0 / t1, 0.0], [0.0, -1.0 / t1]])
        b_cont = np.array([1.0 / t1, 1.0 / t1])
    augmented = np.zeros((3, 3))
    augmented[:2, :2] = a_cont
    augmented[:2, 2] = b_cont
    exponential = scipy.linalg.expm(augmented * sample_period_s)
    return exponential[:2, :2].copy(), exponential[:2, 2].copy()


def warn_if_coarse(name: str, time_constant_s: float, sample_period_s: float) -> None:
    """Warn (:class:`CoarseSamplingWarning`) when ``sample_period_s >= time_constant_s / 2``.

    Parameters
    ----------
    name : str
        Name of the time constant, used in the message.
    time_constant_s : float
        Time constant, s (a value of 0 means "no such pole" and is skipped).
    sample_period_s : float
        Sample period, s.
    """
    if time_constant_s > 0.0 and sample_period_s >= 0.5 * time_constant_s:
        warnings.warn(
            f"sample_period_s = {sample_period_s:g} is >= {name}/2 = {0.5 * time_constant_s:g}: "
            "the loop is sampled too coarsely for this thermal pole (the discretisation stays "
            "exact, but a controller cannot act within the pole's dynamics); use a sample "
            "period well below the smallest time constant",
            CoarseSamplingWarning,
            stacklevel=3,
        )


@dataclass(frozen=True, kw_only=True, eq=False)
class ThermalNetwork:
    """Self and mutual thermal resistances of one ring bank, with one or two poles per path.

    Parameters
    ----------
    resistance_k_per_w : array_like, shape (n_rings, n_rings)
        Thermal resistance matrix, K/W: ``R[i, j]`` is ring i's steady temperature rise per watt
        in heater j. Must be symmetric and positive definite (a passive thermal network).
        Build it with :meth:`uncoupled`, :meth:`from_distance` or :meth:`banded`.
    time_constant_s : float
        First pole of every self path, s (> 0). Default 4 µs (metal heater; Atabaki 2010).
    second_time_constant_s : float
        Second pole of every self path, s (≥ 0; 0 = single pole). Default 0.
    mutual_time_constant_s : float, optional
        First pole of every mutual path, s (> 0); default: ``time_constant_s``.
    mutual_second_time_constant_s : float, optional
        Second pole of every mutual path, s (≥ 0); default: ``second_time_constant_s``.
    """

    resistance_k_per_w: np.ndarray
    time_constant_s: float = DEFAULT_TIME_CONSTANT_S
    second_time_constant_s: float = 0.0
    mutual_time_constant_s: float | None = None
    mutual_second_time_constant_s: float | None = None

    def __post_init__(self):
        matrix = as_float_array("resistance_k_per_w", self.resistance_k_per_w)
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
            raise ValueError(
                f"resistance_k_per_w has shape {matrix.shape}; it must be a square "
                "(n_rings, n_rings) matrix"
            )
        check_range("resistance_k_per_w", matrix, low=0.0)
        check_range("resistance_k_per_w (diagonal)", np.diag(matrix), low=0.0, low_inclusive=False)
        if not np.allclose(matrix, matrix.T, rtol=1e-12, atol=0.0):
            i, j = np.argwhere(~np.isclose(matrix, matrix.T, rtol=1e-12, atol=0.0))[0]
            raise ValueError(
                f"resistance_k_per_w is not symmetric: R[{i}, {j}] = {matrix[i, j]:g} but "
                f"R[{j}, {i}] = {matrix[j, i]:g}; a passive thermal network is reciprocal"
            )
        try:
            np.linalg.cholesky(matrix)
        except np.linalg.LinAlgError:
            smallest = float(np.linalg.eigvalsh(matrix)[0])
            raise ValueError(
                f"resistance_k_per_w is not positive definite (smallest eigenvalue "
                f"{smallest:g} K/W); mutual resistances are too large for the self resistances"
            ) from None
        matrix.setflags(write=False)
        object.__setattr__(self, "resistance_k_per_w", matrix)
        check_range("time_constant_s", self.time_constant_s, low=0.0, low_inclusive=False)
        check_range("second_time_constant_s", self.second_time_constant_s, low=0.0)
        if self.mutual_time_constant_s is None:
            object.__setattr__(self, "mutual_time_constant_s", float(self.time_constant_s))
        if self.mutual_second_time_constant_s is None:
            object.__setattr__(
                self, "mutual_second_time_constant_s", float(self.second_time_constant_s)
            )
        check_range(
            "mutual_time_constant_s", self.mutual_time_constant_s, low=0.0, low_inclusive=False
        )
        check_range("mutual_second_time_constant_s", self.mutual_second_time_constant_s, low=0.0)

    # ------------------------------------------------------------------------ constructors
    @classmethod
    def uncoupled(
        cls,
        n_rings: int,
        *,
        self_resistance_k_per_w=DEFAULT_SELF_RESISTANCE_K_PER_W,
        time_constant_s: float = DEFAULT_TIME_CONSTANT_S,
        second_time_constant_s: float = 0.0,
    ) -> ThermalNetwork:
        """Rings without thermal crosstalk (diagonal resistance matrix).

        Parameters
        ----------
        n_rings : int
            Number of rings (≥ 1).
        self_resistance_k_per_w : float or array_like
            Self thermal resistance per ring, K/W (> 0). Default ≈ 3175 K/W
            (:data:`DEFAULT_SELF_RESISTANCE_K_PER_W`).
        time_constant_s, second_time_constant_s : float
            Poles of the self path, s (see the class parameters).
        """
        check_integer("n_rings", n_rings, low=1)
        diagonal = np.broadcast_to(
            check_range(
                "self_resistance_k_per_w", self_resistance_k_per_w, low=0.0, low_inclusive=False
            ),
            (n_rings,),
        )
        return cls(
            resistance_k_per_w=np.diag(diagonal),
            time_constant_s=time_constant_s,
            second_time_constant_s=second_time_constant_s,
        )

    @classmethod
    def from_distance(
        cls,
        positions_m,
        *,
        self_resistance_k_per_w: float = DEFAULT_SELF_RESISTANCE_K_PER_W,
        decay_length_m: float = DEFAULT_DECAY_LENGTH_M,
        time_constant_s: float = DEFAULT_TIME_CONSTANT_S,
        second_time_constant_s: float = 0.0,
        mutual_time_constant_s: float | None = None,
        mutual_second_time_constant_s: float | None = None,
    ) -> ThermalNetwork:
        """Crosstalk decaying exponentially with distance, ``R_ij = R_self·exp(-d_ij/L)``.

        The exponential kernel is positive definite for points in any dimension, so the matrix
        is always a valid thermal network.

        Parameters
        ----------
        positions_m : array_like, shape (n_rings,) or (n_rings, 2)
            Ring centres along a line or in the plane, m.
        self_resistance_k_per_w : float
            Self thermal resistance, K/W (> 0). Default ≈ 3175 K/W.
        decay_length_m : float
            Decay length L of the mutual resistance, m (> 0). Default 11 µm (assumption,
            :data:`DEFAULT_DECAY_LENGTH_M`).
        time_constant_s, second_time_constant_s, mutual_time_constant_s, mutual_second_time_constant_s : float
            Path poles, s (see the class parameters).
        """  # noqa: E501
        positions = as_float_array("positions_m", positions_m)
        if positions.ndim == 1:
            positions = positions[:, None]
        if positions.ndim != 2 or positions.shape[0] == 0:
            raise ValueError(f"positions_m has shape {np.shape(positions_m)}; use (n,) or (n, 2)")
        check_range(
            "self_resistance_k_per_w", self_resistance_k_per_w, low=0.0, low_inclusive=False
        )
        check_range("decay_length_m", decay_length_m, low=0.0, low_inclusive=False)
        distance = np.linalg.norm(positions[:, None, :] - positions[None, :, :], axis=-1)
        return cls(
            resistance_k_per_w=self_resistance_k_per_w * np.exp(-distance / decay_length_m),
            time_constant_s=time_constant_s,
            second_time_constant_s=second_time_constant_s,
            mutual_time_constant_s=mutual_time_constant_s,
            mutual_second_time_constant_s=mutual_second_time_constant_s,
        )

    @classmethod
    def banded(
        cls,
        n_rings: int,
        *,
        neighbour_fractions=(0.1, 0.03, 0.01),
        self_resistance_k_per_w: float = DEFAULT_SELF_RESISTANCE_K_PER_W,
        time_constant_s: float = DEFAULT_TIME_CONSTANT_S,
        second_time_constant_s: float = 0.0,
    ) -> ThermalNetwork:
        """Crosstalk to the nearest neighbours only: ``R[i, i±k] = fraction_k·R_self``.

        Parameters
        ----------
        n_rings : int
            Number of rings (≥ 1).
        neighbour_fractions : sequence of float
            Mutual/self resistance ratio for neighbours 1, 2, … rings away (each in [0, 1)).
            Default (0.1, 0.03, 0.01): an *assumption* for a 25 µm pitch, decaying faster than
            the exponential model beyond the first neighbour (metal lines spread heat locally).
        self_resistance_k_per_w : float
            Self thermal resistance, K/W (> 0).
        time_constant_s, second_time_constant_s : float
            Path poles, s (see the class parameters).
        """
        check_integer("n_rings", n_rings, low=1)
        fractions = check_range(
            "neighbour_fractions", neighbour_fractions, low=0.0, high=1.0, high_inclusive=False
        ).reshape(-1)
        matrix = np.eye(n_rings)
        for distance, fraction in enumerate(fractions, start=1):
            if distance < n_rings:
                matrix += fraction * (np.eye(n_rings, k=distance) + np.eye(n_rings, k=-distance))
        return cls(
            resistance_k_per_w=self_resistance_k_per_w * matrix,
            time_constant_s=time_constant_s,
            second_time_constant_s=second_time_constant_s,
        )

    # ------------------------------------------------------------------------ derived values
    @property
    def n_rings(self) -> int:
        """Number of rings in the bank."""
        return self.resistance_k_per_w.shape[0]

    @property
    def self_resistance_k_per_w(self) -> np.ndarray:
        """Self thermal resistance of every ring, K/W, shape (n_rings,)."""
        return np.diag(self.resistance_k_per_w).copy()

    @property
    def crosstalk_fraction(self) -> np.ndarray:
        """Dimensionless crosstalk ``X[i, j] = R[i, j]/R[j, j]`` (diagonal = 1).

        ``X[i, j]`` is the fraction of ring j's own heating that reaches ring i; this is the
        matrix the tuning plans take.
        """
        return self.resistance_k_per_w / np.diag(self.resistance_k_per_w)[None, :]

    def tuning_efficiency_m_per_w(self, thermal_shift_m_per_k) -> np.ndarray:
        """Resonance shift per watt of the ring's own heater, m/W (``R_ii·dλ/dT``).

        Parameters
        ----------
        thermal_shift_m_per_k : float or array_like
            Resonance shift per kelvin, m/K; broadcasts with (n_rings,).
        """
        return self.self_resistance_k_per_w * as_float_array(
            "thermal_shift_m_per_k", thermal_shift_m_per_k
        )

    def discretise(self, sample_period_s: float) -> DiscreteThermalNetwork:
        """Exact zero-order-hold discretisation at ``sample_period_s``.

        Warns (:class:`CoarseSamplingWarning`) when the period is at least half of a time
        constant of the self path, the one a controller acts through; the mutual path only
        carries the neighbours' heat, which the exact discretisation filters correctly at any
        period.

        Parameters
        ----------
        sample_period_s : float
            Sample period, s (> 0).
        """
        check_range("sample_period_s", sample_period_s, low=0.0, low_inclusive=False)
        h = float(sample_period_s)
        for name in ("time_constant_s", "second_time_constant_s"):
            warn_if_coarse(name, getattr(self, name), h)
        self_a, self_b = path_zoh(self.time_constant_s, self.second_time_constant_s, h)
        mutual_a, mutual_b = path_zoh(
            self.mutual_time_constant_s, self.mutual_second_time_constant_s, h
        )
        return DiscreteThermalNetwork(
            sample_period_s=h,
            resistance_k_per_w=self.resistance_k_per_w,
            self_a=self_a,
            self_b=self_b,
            mutual_a=mutual_a,
            mutual_b=mutual_b,
        )

    def temperature_rise_k(self, heater_power_w, sample_period_s: float) -> np.ndarray:
        """Sampled temperature rise for heater powers held over each period (NumPy, exact ZOH).

        Starts from thermal equilibrium at zero power; sample ``k`` is the temperature at
        ``t = k·h``, before power ``k`` has acted.

        Parameters
        ----------
        heater_power_w : array_like, shape (n_steps, n_rings)
            Heater power held over each sample period, W.
        sample_period_s : float
            Sample period, s (> 0).
        """
        power = as_float_array("heater_power_w", heater_power_w)
        if power.ndim != 2 or power.shape[1] != self.n_rings:
            raise ValueError(
                f"heater_power_w has shape {power.shape}; expected (n_steps, {self.n_rings})"
            )
        discrete = self.discretise(sample_period_s)
        state = np.zeros((4, self.n_rings))
        out = np.empty_like(power)
        for k in range(power.shape[0]):
            out[k] = discrete.temperature_k(state)
            state = discrete.advance(state, power[k])
        return out


@dataclass(frozen=True, kw_only=True, eq=False)
class DiscreteThermalNetwork:
    """Exact ZOH form of a :class:`ThermalNetwork` (made by :meth:`ThermalNetwork.discretise`).

    The state of each ring is four numbers: the self-path pair driven by ``R_ii·P_i`` and the
    mutual-path pair driven by ``Σ_{j≠i} R_ij·P_j``; the temperature rise is the sum of the two
    second states.

    Parameters
    ----------
    sample_period_s : float
        Sample period, s.
    resistance_k_per_w : ndarray, shape (n_rings, n_rings)
        Thermal resistance matrix, K/W.
    self_a, mutual_a : ndarray, shape (2, 2)
        Unit-gain state transitions of the self and mutual paths (dimensionless).
    self_b, mutual_b : ndarray, shape (2,)
        Unit-gain input vectors of the self and mutual paths (dimensionless; the input is a
        temperature, ``R·P`` in K).
    """

    sample_period_s: float
    resistance_k_per_w: np.ndarray
    self_a: np.ndarray
    self_b: np.ndarray
    mutual_a: np.ndarray
    mutual_b: np.ndarray

    def band(self) -> tuple[np.ndarray, np.ndarray]:
        """Nonzero off-diagonals of ``R`` as (offsets, coefficients) for banded kernels.

        Returns
        -------
        offsets : ndarray of int64, shape (n_offsets,)
            Offsets ``o`` such that some ``R[i, i + o] != 0`` (``o != 0``).
        coefficients : ndarray, shape (n_offsets, n_rings)
            ``R[i, i + o]`` in K/W (0 where ``i + o`` is outside the bank).
        """
        matrix = self.resistance_k_per_w
        n = matrix.shape[0]
        offsets = [o for o in range(-n + 1, n) if o and np.any(np.diagonal(matrix, o))]
        coefficients = np.zeros((len(offsets), n))
        for row, offset in enumerate(offsets):
            diagonal = np.diagonal(matrix, offset)
            if offset > 0:
                coefficients[row, : n - offset] = diagonal
            else:
                coefficients[row, -offset:] = diagonal
        return np.asarray(offsets, dtype=np.int64), coefficients

    def temperature_k(self, state: np.ndarray) -> np.ndarray:
        """Temperature rise, K, from a state of shape (4, …) (rows: self 1, 2, mutual 1, 2).

        Parameters
        ----------
        state : ndarray, shape (4, n_rings)
            Thermal state, K.
        """
        return state[1] + state[3]

    def advance(self, state: np.ndarray, heater_power_w: np.ndarray) -> np.ndarray:
        """State after one period with ``heater_power_w`` held (NumPy).

        Parameters
        ----------
        state : ndarray, shape (4, n_rings)
            Thermal state, K.
        heater_power_w : ndarray, shape (n_rings,)
            Heater power held over the period, W.
        """
        matrix = self.resistance_k_per_w
        own = np.diag(matrix) * heater_power_w
        mutual = matrix @ heater_power_w - own
        new = np.empty_like(state)
        new[0:2] = self.self_a @ state[0:2] + self.self_b[:, None] * own
        new[2:4] = self.mutual_a @ state[2:4] + self.mutual_b[:, None] * mutual
        return new


@dataclass(frozen=True, kw_only=True, eq=False)
class Disturbance:
    """Ambient temperature, switch-ASIC load and laser drift seen by a ring bank.

    The ambient temperature offset (K) adds directly to every ring; the ASIC power reaches
    ring ``i`` through ``asic_resistance_k_per_w[i]`` and its own one- or two-pole path; the
    laser wavelengths move by ``laser_drift_m_per_k`` per kelvin of ambient change.

    Parameters
    ----------
    ambient_step_k : float
        Size of an ambient step, K. Default 0.
    ambient_step_time_s : float
        Time of the step, s (≥ 0). Default 0.
    ambient_ramp_k_per_s : float
        Slope of an ambient ramp, K/s. Default 0. A 60 K swing (arXiv:2409.06604)
        over 10 ms is 6000 K/s.
    ambient_ramp_start_s, ambient_ramp_stop_s : float
        The ramp runs between these times, s (0 ≤ start ≤ stop; stop may be inf).
    ambient_sine_amplitude_k : float
        Amplitude of a sinusoidal ambient swing, K. Default 0.
    ambient_sine_frequency_hz : float
        Its frequency, Hz (≥ 0). Default 0.
    asic_time_s, asic_power_w : array_like, shape (n_points,)
        ASIC power profile (W) at increasing times (s), linearly interpolated and held
        constant outside. Default: none.
    asic_resistance_k_per_w : float or array_like
        Thermal resistance from the ASIC to each ring, K/W (≥ 0); broadcasts with (n_rings,).
        Default 0.1 K/W, an *assumption* (a 100 W ASIC warming the photonic die by ≈ 10 K).
    asic_time_constant_s : float
        First pole of the ASIC path, s (> 0). Default 1 ms, an *assumption* (package-scale
        heat spreading is much slower than a ring heater).
    asic_second_time_constant_s : float
        Second pole of the ASIC path, s (≥ 0). Default 0.
    laser_drift_m_per_k : float
        Laser wavelength drift per kelvin of ambient change, m/K. Default 0.09 nm/K (inside
        the common DFB-laser datasheet range 0.08–0.10 nm/K); use 0 for a temperature-stabilised
        laser.
    """

    ambient_step_k: float = 0.0
    ambient_step_time_s: float = 0.0
    ambient_ramp_k_per_s: float = 0.0
    ambient_ramp_start_s: float = 0.0
    ambient_ramp_stop_s: float = np.inf
    ambient_sine_amplitude_k: float = 0.0
    ambient_sine_frequency_hz: float = 0.0
    asic_time_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    asic_power_w: np.ndarray = field(default_factory=lambda: np.zeros(0))
    asic_resistance_k_per_w: float | np.ndarray = 0.1
    asic_time_constant_s: float = 1e-3
    asic_second_time_constant_s: float = 0.0
    laser_drift_m_per_k: float = 0.09e-9

    def __post_init__(self):
        check_range("ambient_step_k", self.ambient_step_k)
        check_range("ambient_step_time_s", self.ambient_step_time_s, low=0.0)
        check_range("ambient_ramp_k_per_s", self.ambient_ramp_k_per_s)
        check_range("ambient_ramp_start_s", self.ambient_ramp_start_s, low=0.0)
        check_range(
            "ambient_ramp_stop_s",
            self.ambient_ramp_stop_s,
            low=float(self.ambient_ramp_start_s),
            allow_inf=True,
        )
        check_range("ambient_sine_amplitude_k", self.ambient_sine_amplitude_k)
        check_range("ambient_sine_frequency_hz", self.ambient_sine_frequency_hz, low=0.0)
        times = as_float_array("asic_time_s", self.asic_time_s).reshape(-1)
        powers = check_range("asic_power_w", self.asic_power_w, low=0.0).reshape(-1)
        if times.shape != powers.shape:
            raise ValueError(
                f"asic_time_s has {times.size} points but asic_power_w has {powers.size}; "
                "give one power per time"
            )
        if np.any(np.diff(times) <= 0.0):
            raise ValueError("asic_time_s must be strictly increasing")
        object.__setattr__(self, "asic_time_s", times)
        object.__setattr__(self, "asic_power_w", powers)
        object.__setattr__(
            self,
            "asic_resistance_k_per_w",
            check_range("asic_resistance_k_per_w", self.asic_resistance_k_per_w, low=0.0),
        )
        check_range("asic_time_constant_s", self.asic_time_constant_s, low=0.0, low_inclusive=False)
        check_range("asic_second_time_constant_s", self.asic_second_time_constant_s, low=0.0)
        check_range("laser_drift_m_per_k", self.laser_drift_m_per_k, low=-1e-9, high=1e-9)

    def ambient_k(self, time_s) -> np.ndarray:
        """Ambient temperature offset at ``time_s``, K.

        Parameters
        ----------
        time_s : float or array_like
            Time, s.
        """
        t = np.asarray(time_s, dtype=np.float64)
        step = np.where(t >= self.ambient_step_time_s, self.ambient_step_k, 0.0)
        ramp_time = np.clip(t, self.ambient_ramp_start_s, self.ambient_ramp_stop_s)
        ramp = self.ambient_ramp_k_per_s * (ramp_time - self.ambient_ramp_start_s)
        sine = self.ambient_sine_amplitude_k * np.sin(
            2.0 * np.pi * self.ambient_sine_frequency_hz * t
        )
        return step + ramp + sine

    def asic_power_at_w(self, time_s) -> np.ndarray:
        """ASIC power at ``time_s`` (linear interpolation of the profile), W.

        Parameters
        ----------
        time_s : float or array_like
            Time, s.
        """
        t = np.asarray(time_s, dtype=np.float64)
        if self.asic_time_s.size == 0:
            return np.zeros_like(t)
        return np.interp(t, self.asic_time_s, self.asic_power_w)

    def sampled(self, n_steps: int, sample_period_s: float) -> SampledDisturbance:
        """Per-step disturbance profiles for a simulation of ``n_steps`` periods.

        The ASIC power is sampled at each step start and held (ZOH); its path response is
        exact for that held input. The ASIC path starts in equilibrium with the power at t = 0.

        Parameters
        ----------
        n_steps : int
            Number of sample periods (≥ 1).
        sample_period_s : float
            Sample period, s (> 0).
        """
        check_integer("n_steps", n_steps, low=1)
        h = float(check_range("sample_period_s", sample_period_s, low=0.0, low_inclusive=False))
        time = np.arange(n_steps) * h
        ambient = self.ambient_k(time)
        power = self.asic_power_at_w(time)
        response = np.zeros(n_steps)
        if np.any(power):
            # The held-input ASIC path is a discrete filter; run it on the deviation from the
            # power at t = 0 (the path starts in equilibrium with it).
            a, b = path_zoh(self.asic_time_constant_s, self.asic_second_time_constant_s, h)
            num, den = scipy.signal.ss2tf(a, b[:, None], np.array([[0.0, 1.0]]), np.zeros((1, 1)))
            response = power[0] + scipy.signal.lfilter(num[0], den, power - power[0])
        return SampledDisturbance(
            ambient_k=ambient,
            asic_heat_w=response,
            laser_shift_m=self.laser_drift_m_per_k * ambient,
        )


@dataclass(frozen=True, kw_only=True, eq=False)
class SampledDisturbance:
    """Disturbance profiles at the sample instants (made by :meth:`Disturbance.sampled`).

    Parameters
    ----------
    ambient_k : ndarray, shape (n_steps,)
        Ambient temperature offset, K.
    asic_heat_w : ndarray, shape (n_steps,)
        ASIC power filtered by its thermal path (unit DC gain), W; ring ``i`` warms by
        ``asic_resistance_k_per_w[i]·asic_heat_w``.
    laser_shift_m : ndarray, shape (n_steps,)
        Laser wavelength shift, m.
    """

    ambient_k: np.ndarray
    asic_heat_w: np.ndarray
    laser_shift_m: np.ndarray


__all__ = [
    "DEFAULT_DECAY_LENGTH_M",
    "DEFAULT_SELF_RESISTANCE_K_PER_W",
    "DEFAULT_TIME_CONSTANT_S",
    "CoarseSamplingWarning",
    "DiscreteThermalNetwork",
    "Disturbance",
    "SampledDisturbance",
    "ThermalNetwork",
    "path_zoh",
    "warn_if_coarse",
]
