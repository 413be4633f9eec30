"""Discrete PI/PID heater controllers with saturation, anti-windup and bumpless start.

The control law (error ``e`` in m, output in W, sample period ``h``)::

    d[k] = c_f·d[k-1] + c_d·(e[k] - e[k-1])        c_f = T_f/(T_f + h), c_d = K_d/(T_f + h)
    v[k] = K_p·e[k] + I[k] + d[k]                  (unsaturated output)
    u[k] = clip(v[k], 0, P_max)                    (heater only: power ≥ 0)
    I[k+1] = I[k] + K_i·h·e[k]  (+ anti-windup correction)

i.e. ``C(z) = K_p + K_i·h/(z - 1) + K_d·(z - 1)/((T_f + h)·z - T_f)`` while unsaturated
(forward-Euler integral, backward-Euler filtered derivative; Åström & Hägglund, *Advanced PID
Control*, ISA 2006, ch. 3 and 13). Anti-windup:

- ``"clamping"`` (conditional integration): the integrator holds while the output is saturated
  and the error would drive it further into saturation;
- ``"back_calculation"``: ``I += (h/T_t)·(u - v)`` feeds the saturation excess back;
- ``"none"``: the naive controller.

Bumpless start: the integrator is initialised to ``u0 - K_p·e0`` so the first output equals the
heater power already applied (e.g. the acquisition's end point).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_choice, check_range

CONTROLLER_KINDS = ("pi", "pid")
"""Allowed :attr:`PIDController.kind` values."""

ANTI_WINDUP_MODES = ("none", "clamping", "back_calculation")
"""Allowed :attr:`PIDController.anti_windup` values (kernel codes 0, 1, 2)."""


@dataclass(frozen=True, kw_only=True)
class PIDController:
    """Discrete PI or PID heater controller (output in W, error in m).

    Parameters
    ----------
    kind : {"pi", "pid"}
        Controller structure; with "pi" the derivative gain must be 0.
    proportional_gain_w_per_m : float
        K_p, W/m (≥ 0).
    integral_gain_w_per_m_s : float
        K_i, W/(m·s) (≥ 0).
    derivative_gain_w_s_per_m : float
        K_d, W·s/m (≥ 0). Default 0.
    derivative_filter_time_constant_s : float
        T_f of the derivative low-pass, s (≥ 0). Default 0 (pure backward difference).
    anti_windup : {"none", "clamping", "back_calculation"}
        Integrator protection under saturation. Default "clamping".
    tracking_time_constant_s : float, optional
        T_t of back-calculation, s (> 0). Default: ``K_p/K_i`` (the integral time, a common
        choice, Åström & Hägglund 2006, §3.5).
    bumpless_start : bool
        Start from the heater power already applied instead of from zero. Default True.
    """

    kind: str = "pi"
    proportional_gain_w_per_m: float
    integral_gain_w_per_m_s: float
    derivative_gain_w_s_per_m: float = 0.0
    derivative_filter_time_constant_s: float = 0.0
    anti_windup: str = "clamping"
    tracking_time_constant_s: float | None = None
    bumpless_start: bool = True

    def __post_init__(self):
        check_choice("kind", self.kind, CONTROLLER_KINDS)
        check_range("proportional_gain_w_per_m", self.proportional_gain_w_per_m, low=0.0)
        check_range("integral_gain_w_per_m_s", self.integral_gain_w_per_m_s, low=0.0)
        check_range("derivative_gain_w_s_per_m", self.derivative_gain_w_s_per_m, low=0.0)
        if self.kind == "pi" and self.derivative_gain_w_s_per_m != 0.0:
            raise ValueError(
                f"derivative_gain_w_s_per_m = {self.derivative_gain_w_s_per_m!r} with kind = "
                "'pi'; use kind = 'pid' for derivative action"
            )
        check_range(
            "derivative_filter_time_constant_s", self.derivative_filter_time_constant_s, low=0.0
        )
        check_choice("anti_windup", self.anti_windup, ANTI_WINDUP_MODES)
        if self.tracking_time_constant_s is None:
            ki = self.integral_gain_w_per_m_s
            default = self.proportional_gain_w_per_m / ki if ki > 0.0 else np.inf
            object.__setattr__(self, "tracking_time_constant_s", float(default))
        check_range(
            "tracking_time_constant_s",
            self.tracking_time_constant_s,
            low=0.0,
            low_inclusive=False,
            allow_inf=True,
        )
        if not isinstance(self.bumpless_start, bool):
            raise ValueError(f"bumpless_start = {self.bumpless_start!r} must be True or False")

    @classmethod
    def lambda_tuned(
        cls,
        *,
        plant_gain_m_per_w: float,
        time_constant_s: float,
        closed_loop_time_constant_s: float,
        second_time_constant_s: float = 0.0,
        kind: str = "pi",
        anti_windup: str = "clamping",
    ) -> PIDController:
        """Lambda (IMC) tuning for ``G(s) = K/((1 + sτ1)(1 + sτ2))``.

        PI cancels the slow pole (``T_i = τ1 + τ2``, ``K_p = T_i/(K·λ)``); PID cancels both
        (``T_i = τ1 + τ2``, ``T_d = τ1·τ2/T_i``, derivative filter ``λ/10``), giving a
        closed loop close to ``1/(1 + sλ)`` (Rivera, Morari & Skogestad, Ind. Eng. Chem.
        Process Des. Dev. 25, 252 (1986)).

        Parameters
        ----------
        plant_gain_m_per_w : float
            Steady resonance shift per watt, K, m/W (> 0).
        time_constant_s : float
            τ1, s (> 0).
        closed_loop_time_constant_s : float
            Desired closed-loop time constant λ, s (> 0).
        second_time_constant_s : float
            τ2, s (≥ 0). Default 0.
        kind : {"pi", "pid"}
            Controller structure. Default "pi".
        anti_windup : {"none", "clamping", "back_calculation"}
            Integrator protection. Default "clamping".
        """
        gain = float(
            check_range("plant_gain_m_per_w", plant_gain_m_per_w, low=0.0, low_inclusive=False)
        )
        tau1 = float(check_range("time_constant_s", time_constant_s, low=0.0, low_inclusive=False))
        tau2 = float(check_range("second_time_constant_s", second_time_constant_s, low=0.0))
        lam = float(
            check_range(
                "closed_loop_time_constant_s",
                closed_loop_time_constant_s,
                low=0.0,
                low_inclusive=False,
            )
        )
        check_choice("kind", kind, CONTROLLER_KINDS)
        integral_time = tau1 + tau2
        kp = integral_time / (gain * lam)
        if kind == "pi":
            return cls(
                kind="pi",
                proportional_gain_w_per_m=kp,
                integral_gain_w_per_m_s=kp / integral_time,
                anti_windup=anti_windup,
            )
        derivative_time = tau1 * tau2 / integral_time
        return cls(
            kind="pid",
            proportional_gain_w_per_m=kp,
            integral_gain_w_per_m_s=kp / integral_time,
            derivative_gain_w_s_per_m=kp * derivative_time,
            derivative_filter_time_constant_s=lam / 10.0,
            anti_windup=anti_windup,
        )

    @property
    def anti_windup_code(self) -> int:
        """Kernel code of :attr:`anti_windup` (0 none, 1 clamping, 2 back-calculation)."""
        return ANTI_WINDUP_MODES.index(self.anti_windup)

    def discrete_coefficients(self, sample_period_s: float) -> dict[str, float]:
        """Per-step coefficients of the control law at ``sample_period_s``.

        Returns a dict with ``kp`` (W/m), ``ki_h`` (``K_i·h``, W/m), ``deriv_filter``
        (``c_f``), ``deriv_gain`` (``c_d``, W/m) and ``back_calc`` (``h/T_t``).

        Parameters
        ----------
        sample_period_s : float
            Sample period, s (> 0).
        """
        h = float(check_range("sample_period_s", sample_period_s, low=0.0, low_inclusive=False))
        tf = self.derivative_filter_time_constant_s
        return {
            "kp": self.proportional_gain_w_per_m,
            "ki_h": self.integral_gain_w_per_m_s * h,
            "deriv_filter": tf / (tf + h),
            "deriv_gain": self.derivative_gain_w_s_per_m / (tf + h),
            "back_calc": h / self.tracking_time_constant_s,
        }

    def transfer_function(self, sample_period_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Unsaturated ``C(z)`` as (numerator, denominator) in descending powers of z.

        Parameters
        ----------
        sample_period_s : float
            Sample period, s (> 0).
        """
        c = self.discrete_coefficients(sample_period_s)
        h = float(sample_period_s)
        tf = self.derivative_filter_time_constant_s
        # PI part: (kp·(z - 1) + ki_h)/(z - 1)
        num = np.array([c["kp"], c["ki_h"] - c["kp"]])
        den = np.array([1.0, -1.0])
        if self.derivative_gain_w_s_per_m > 0.0:
            # + Kd·(z - 1)/((Tf + h)·z - Tf)
            d_den = np.array([tf + h, -tf])
            d_num = self.derivative_gain_w_s_per_m * np.array([1.0, -2.0, 1.0])
            num = np.polyadd(np.polymul(num, d_den), d_num)
            den = np.polymul(den, d_den)
        return num, den


__all__ = [
    "ANTI_WINDUP_MODES",
    "CONTROLLER_KINDS",
    "PIDController",
]
