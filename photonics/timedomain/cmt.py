"""Coupled-mode theory of a microring whose steady state is the exact Airy response of its ring.

The ring's energy amplitude ``a`` (``|a|²`` in joules) driven by the bus field ``s`` (``|s|²`` in
watts), in the frame rotating at the laser frequency, obeys (Haus, *Waves and Fields in
Optoelectronics*, 1984, ch. 7; Little et al., J. Lightwave Technol. 15(6), 998 (1997))::

    da/dt = (jΔ - γ)·a - j·μ1·s,   through = s - j·μ1·a,   drop = -j·μ2·a,
    γ = γ_i + μ1²/2 + μ2²/2

with ``Δ`` the resonance minus the laser angular frequency. The textbook rates
(``γ_i = (1-a)/T``…) reproduce the Airy response of the ring only near resonance. Here they are
chosen so that the steady state equals the ring's Airy power response at every detuning, to
rounding: with ``T = n_g·L/c`` the round-trip time, ``r1, r2`` the self-couplings, ``a`` the
round-trip amplitude and ``x = r2·a`` (everything but the input coupler),

- ``γ = (1 - r1·x)/T``,
- ``μ1² = (1 + x)(1 - r1)/T``,
- ``μ2² = (1 + r1)(1 - r2²)·a/(T·(1 + x))``,
- ``Δ = -(2·√(r1·x)/T)·sin(φ/2)``, ``φ`` the round-trip phase from resonance (positive when the
  resonance lies to the red of the laser),

because the Airy through and drop responses are Lorentzians in ``sin(φ/2)``:
``T = 1 - (1-x²)(1-r1²)/((1-r1·x)² + 4·r1·x·sin²(φ/2))``. In the high-finesse limit the rates
are the textbook ones (``γ_i → (1-a)/T``, ``μ1² → κ1²/T``, ``Δ → -φ/T``). The field phase of the
steady state differs from the Airy phase away from resonance by ``O(1 - x)`` (chirp is
modelled, not matched to rounding).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_range
from cposim.photonics.devices.ring import WAVELENGTH_RANGE_M, Ring
from cposim.photonics.units import SPEED_OF_LIGHT_M_PER_S


@dataclass(frozen=True, kw_only=True)
class RingDynamics:
    """Coupled-mode rates of one ring at one laser wavelength.

    Build it with :meth:`from_ring`.

    Parameters
    ----------
    round_trip_time_s : float
        Group round-trip time ``n_g·L/c``, s (> 0).
    decay_rate_per_s : float
        Total amplitude decay rate ``γ``, 1/s (> 0).
    input_coupling_per_s : float
        ``μ1²``, power coupling rate to the input bus, 1/s (> 0).
    drop_coupling_per_s : float
        ``μ2²``, power coupling rate to the drop bus, 1/s (≥ 0; 0 for an all-pass ring).
    detuning_scale_per_s : float
        ``2·√(r1·x)/T``, the largest detuning of the Airy mapping, 1/s (> 0).
    """

    round_trip_time_s: float
    decay_rate_per_s: float
    input_coupling_per_s: float
    drop_coupling_per_s: float
    detuning_scale_per_s: float

    def __post_init__(self):
        for name in ("round_trip_time_s", "decay_rate_per_s", "input_coupling_per_s"):
            check_range(name, getattr(self, name), low=0.0, low_inclusive=False)
        check_range("drop_coupling_per_s", self.drop_coupling_per_s, low=0.0)
        check_range("detuning_scale_per_s", self.detuning_scale_per_s, low=0.0, low_inclusive=False)
        if self.intrinsic_decay_rate_per_s < -1e-9 * self.decay_rate_per_s:
            raise ValueError(
                f"decay_rate_per_s = {self.decay_rate_per_s} is below the coupling rates' "
                f"(μ1² + μ2²)/2 = {(self.input_coupling_per_s + self.drop_coupling_per_s) / 2}"
            )

    @classmethod
    def from_ring(cls, ring: Ring, *, wavelength_m: float) -> RingDynamics:
        """The rates of ``ring`` (a single ring) near ``wavelength_m`` (module docstring).

        Parameters
        ----------
        ring : Ring
            A single ring (scalar fields), all-pass or add-drop.
        wavelength_m : float
            Laser wavelength, m (sets nothing but the check that it is in the ring's band: the
            rates of the linear-dispersion ring are the same at every resonance).
        """
        if not isinstance(ring, Ring) or ring.shape != ():
            raise ValueError("ring must be a single cposim.photonics.devices.ring.Ring")
        check_range(
            "wavelength_m", wavelength_m, low=WAVELENGTH_RANGE_M[0], high=WAVELENGTH_RANGE_M[1]
        )
        t = float(ring.ng * ring.round_trip_length_m / SPEED_OF_LIGHT_M_PER_S)
        r1 = float(ring.self_coupling_in)
        r2 = float(ring.self_coupling_drop)
        a = float(ring.round_trip_amplitude)
        x = r2 * a
        one_minus_r1 = float(ring.power_coupling_in) / (1.0 + r1)  # 1 - r1 without cancellation
        # 1 - r1·r2·a from the coefficient of finesse 4x/(1 - x)², without cancellation
        one_minus_r1x = 2.0 * np.sqrt(r1 * x / float(ring.airy_coefficient()))
        return cls(
            round_trip_time_s=t,
            decay_rate_per_s=one_minus_r1x / t,
            input_coupling_per_s=(1.0 + x) * one_minus_r1 / t,
            drop_coupling_per_s=(1.0 + r1) * float(ring.power_coupling_drop) * a / (t * (1.0 + x)),
            detuning_scale_per_s=2.0 * np.sqrt(r1 * x) / t,
        )

    @property
    def intrinsic_decay_rate_per_s(self) -> float:
        """``γ_i = γ - (μ1² + μ2²)/2``, the amplitude decay by loss, 1/s."""
        return self.decay_rate_per_s - 0.5 * (self.input_coupling_per_s + self.drop_coupling_per_s)

    @property
    def photon_lifetime_s(self) -> float:
        """Energy lifetime ``1/(2γ)``, s."""
        return 0.5 / self.decay_rate_per_s

    @property
    def linewidth_hz(self) -> float:
        """Full width at half depth of the Lorentzian in ``Δ``, ``γ/π``, Hz (= c/(λ·Q_L))."""
        return self.decay_rate_per_s / np.pi

    def detuning_per_s(self, phase_rad):
        """Angular detuning ``Δ`` (resonance minus laser) of round-trip phase ``φ``, rad/s.

        Parameters
        ----------
        phase_rad : float or array_like
            Round-trip phase from resonance at the laser, rad (positive: resonance to the red).
        """
        return -self.detuning_scale_per_s * np.sin(0.5 * np.asarray(phase_rad, dtype=np.float64))

    def steady_state(self, detuning_per_s):
        """Steady-state ``a/s``, through and drop field transmissions at detuning ``Δ``.

        Parameters
        ----------
        detuning_per_s : float or array_like
            Angular detuning ``Δ``, rad/s.

        Returns
        -------
        tuple of ndarray
            ``(a/s in √s, through field, drop field)`` (complex).
        """
        delta = np.asarray(detuning_per_s, dtype=np.float64)
        amplitude = -1j * np.sqrt(self.input_coupling_per_s) / (self.decay_rate_per_s - 1j * delta)
        through = 1.0 - 1j * np.sqrt(self.input_coupling_per_s) * amplitude
        drop = -1j * np.sqrt(self.drop_coupling_per_s) * amplitude
        return amplitude, through, drop

    def small_signal_response(self, frequency_hz, *, detuning_per_s: float):
        """Through-power response to a small detuning modulation, normalised to 1 at DC.

        Linearising the CMT about the steady state ``a0``, ``t0`` at detuning ``Δ0`` gives
        ``δP/δΔ ∝ μ1·[t0*·a0/(γ + j(Ω - Δ0)) + t0·a0*/(γ + j(Ω + Δ0))]`` (the photon-lifetime
        pole, and the peaking near ``Ω ≈ |Δ0|`` that detuning adds; Sacher and Poon, Opt. Express
        16(20), 15741 (2008)).

        Parameters
        ----------
        frequency_hz : array_like
            Modulation frequencies, Hz.
        detuning_per_s : float
            Bias detuning ``Δ0``, rad/s (≠ 0: on resonance the first-order response vanishes).

        Returns
        -------
        ndarray
            Complex response ``H(f)/H(0)``.
        """
        check_range("detuning_per_s", abs(detuning_per_s), low=0.0, low_inclusive=False)
        omega = 2.0 * np.pi * np.asarray(frequency_hz, dtype=np.float64)
        a0, t0, _ = self.steady_state(detuning_per_s)
        gamma, d0 = self.decay_rate_per_s, detuning_per_s

        def response(w):
            return np.conj(t0) * a0 / (gamma + 1j * (w - d0)) + t0 * np.conj(a0) / (
                gamma + 1j * (w + d0)
            )

        return response(omega) / response(0.0)


__all__ = ["RingDynamics"]
