"""Linear analysis of one ring's lock loop, and a cheap model of its residual lock error.

The loop (sample period ``h``) is ``L(z) = C(z)·F(z)·G(z)`` with the exact-ZOH plant
``G(z)`` of ``K/((1 + sτ1)(1 + sτ2))`` (K: resonance shift per heater watt, m/W), the
controller ``C(z)`` (:meth:`PIDController.transfer_function`) and the detector filter ``F(z)``
(1, or the lock-in's moving average over one dither period). :func:`analyze_loop` gives the
margins, closed-loop bandwidth and step metrics (scipy.signal); the tests check them against
python-control.

:func:`residual_lock_error` predicts the residual detuning of a locked ring without simulating
it: with measurement noise ``n`` (detector-referred, white) and heater-DAC rounding ``q``
(white, ``Δ²/12``, valid when noise keeps the rounding error uncorrelated), the detuning is
``δ = S·r - T·n - G·S·q`` with ``S = 1/(1 + L)``, ``T = L/(1 + L)``, so its variance is
``σ_n²·‖T‖² + σ_q²·‖G·S‖²`` (discrete H2 norms, from a Lyapunov equation), plus ``a²/2`` for a
heater dither of ring amplitude ``a``. A detuning drift ``v`` (m/s, e.g. laser and ring moving
apart on an ambient ramp) leaves the mean error ``v/(K_i·K)`` of a type-1 loop. Thermal
crosstalk between rings is neglected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.signal

from cposim.control.controllers import PIDController
from cposim.control.core.validation import check_range
from cposim.control.detectors import (
    Detector,
    DitherLockInDetector,
    IdealDetector,
    LorentzianSlopeDetector,
    PowerMaximumTracker,
)
from cposim.control.heater import HeaterDriver
from cposim.control.thermal import path_zoh, warn_if_coarse


def plant_transfer_function(
    *,
    plant_gain_m_per_w: float,
    time_constant_s: float,
    sample_period_s: float,
    second_time_constant_s: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact-ZOH ``G(z)`` of ``K/((1 + sτ1)(1 + sτ2))`` as (numerator, denominator) in z.

    Parameters
    ----------
    plant_gain_m_per_w : float
        DC gain K, m/W (> 0).
    time_constant_s : float
        τ1, s (> 0).
    sample_period_s : float
        Sample period, s (> 0); warns when ≥ τ/2.
    second_time_constant_s : float
        τ2, s (≥ 0; 0 = one pole).
    """
    gain = float(
        check_range("plant_gain_m_per_w", plant_gain_m_per_w, low=0.0, low_inclusive=False)
    )
    tau1 = float(check_range("time_constant_s", time_constant_s, low=0.0, low_inclusive=False))
    tau2 = float(check_range("second_time_constant_s", second_time_constant_s, low=0.0))
    h = float(check_range("sample_period_s", sample_period_s, low=0.0, low_inclusive=False))
    warn_if_coarse("time_constant_s", tau1, h)
    warn_if_coarse("second_time_constant_s", tau2, h)
    if tau2 == 0.0:
        a = np.exp(-h / tau1)
        return np.array([gain * (1.0 - a)]), np.array([1.0, -a])
    a, b = path_zoh(tau1, tau2, h)
    num, den = scipy.signal.ss2tf(a, b[:, None], np.array([[0.0, gain]]), np.zeros((1, 1)))
    return _trim(num[0]), den


def detector_filter(detector: Detector) -> tuple[np.ndarray, np.ndarray]:
    """Small-signal ``F(z)`` of a detector as (numerator, denominator) in z.

    1 for the ideal and Lorentzian-slope detectors; the moving average
    ``(z^{N-1} + … + 1)/(N·z^{N-1})`` for the dither lock-in.

    Parameters
    ----------
    detector : IdealDetector, LorentzianSlopeDetector or DitherLockInDetector
        The detector (the power-maximum tracker has no linear model).
    """
    if isinstance(detector, IdealDetector | LorentzianSlopeDetector):
        return np.array([1.0]), np.array([1.0])
    if isinstance(detector, DitherLockInDetector):
        n = detector.dither_period_steps
        den = np.zeros(n)
        den[0] = n
        return np.ones(n), den
    if isinstance(detector, PowerMaximumTracker):
        raise ValueError("the power-maximum tracker is a nonlinear law with no loop transfer")
    raise ValueError(f"detector = {detector!r} is not a known detector")


@dataclass(frozen=True, kw_only=True, eq=False)
class LoopAnalysis:
    """Linear metrics of one ring's lock loop (from :func:`analyze_loop`).

    Parameters
    ----------
    loop_num, loop_den : ndarray
        Loop gain ``L(z) = C·F·G`` (dimensionless), descending powers of z.
    sample_period_s : float
        Sample period, s.
    gain_margin_db : float
        Gain margin, dB (inf when the phase never reaches -180° below Nyquist).
    phase_margin_deg : float
        Phase margin, degrees (inf when |L| never crosses 1).
    gain_crossover_hz, phase_crossover_hz : float
        Frequencies of |L| = 1 and of phase -180°, Hz (NaN when absent).
    bandwidth_hz : float
        Closed-loop bandwidth: first frequency where |T| falls 3 dB below |T(1)|, Hz.
    rise_time_s : float
        10 → 90 % rise time of the closed-loop step response, s.
    settling_time_s : float
        Time after which the step response stays within 2 % of its final value, s.
    overshoot_percent : float
        Peak overshoot of the step response, %.
    stable : bool
        All closed-loop poles strictly inside the unit circle.
    frequency_hz : ndarray
        Frequency grid of the stored response, Hz.
    loop_response : ndarray of complex
        ``L(e^{jωh})`` on that grid.
    """

    loop_num: np.ndarray
    loop_den: np.ndarray
    sample_period_s: float
    gain_margin_db: float
    phase_margin_deg: float
    gain_crossover_hz: float
    phase_crossover_hz: float
    bandwidth_hz: float
    rise_time_s: float
    settling_time_s: float
    overshoot_percent: float
    stable: bool
    frequency_hz: np.ndarray
    loop_response: np.ndarray

    def to_dataframe(self):
        """Frequency response: frequency_hz, loop gain magnitude (dB) and phase (deg)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "frequency_hz": self.frequency_hz,
                "loop_gain_db": 20.0 * np.log10(np.abs(self.loop_response)),
                "loop_phase_deg": np.degrees(np.unwrap(np.angle(self.loop_response))),
            }
        )

    def plot(self, ax=None):
        """Loop-gain magnitude (dB) against frequency with the crossover marked; returns Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.control import plot

        return plot.loop_analysis(self, ax)


def loop_transfer_function(
    *,
    controller: PIDController,
    plant_gain_m_per_w: float,
    time_constant_s: float,
    sample_period_s: float,
    second_time_constant_s: float = 0.0,
    detector: Detector | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Loop gain ``L(z) = C(z)·F(z)·G(z)`` as (numerator, denominator) in z.

    Parameters
    ----------
    controller : PIDController
        The controller.
    plant_gain_m_per_w : float
        Plant DC gain, m/W (> 0).
    time_constant_s : float
        τ1 of the heater path, s (> 0).
    sample_period_s : float
        Sample period, s (> 0).
    second_time_constant_s : float
        τ2, s (≥ 0).
    detector : detector, optional
        Error detector (default: ideal, F = 1).
    """
    g_num, g_den = plant_transfer_function(
        plant_gain_m_per_w=plant_gain_m_per_w,
        time_constant_s=time_constant_s,
        sample_period_s=sample_period_s,
        second_time_constant_s=second_time_constant_s,
    )
    c_num, c_den = controller.transfer_function(sample_period_s)
    f_num, f_den = detector_filter(detector or IdealDetector())
    return (
        np.polymul(np.polymul(c_num, f_num), g_num),
        np.polymul(np.polymul(c_den, f_den), g_den),
    )


def analyze_loop(
    *,
    controller: PIDController,
    plant_gain_m_per_w: float,
    time_constant_s: float,
    sample_period_s: float,
    second_time_constant_s: float = 0.0,
    detector: Detector | None = None,
    n_frequencies: int = 4000,
) -> LoopAnalysis:
    """Margins, crossover frequencies, bandwidth and step metrics of one ring's loop.

    Parameters
    ----------
    controller : PIDController
        The controller.
    plant_gain_m_per_w : float
        Plant DC gain, m/W (> 0).
    time_constant_s : float
        τ1 of the heater path, s (> 0).
    sample_period_s : float
        Sample period, s (> 0).
    second_time_constant_s : float
        τ2, s (≥ 0).
    detector : detector, optional
        Error detector (default: ideal).
    n_frequencies : int
        Points of the stored log-spaced frequency grid up to Nyquist (≥ 100).
    """
    if (
        isinstance(n_frequencies, bool)
        or not isinstance(n_frequencies, int | np.integer)
        or (n_frequencies < 100)
    ):
        raise ValueError(f"n_frequencies = {n_frequencies!r} must be an integer >= 100")
    h = float(sample_period_s)
    num, den = loop_transfer_function(
        controller=controller,
        plant_gain_m_per_w=plant_gain_m_per_w,
        time_constant_s=time_constant_s,
        sample_period_s=h,
        second_time_constant_s=second_time_constant_s,
        detector=detector,
    )
    nyquist = 0.5 / h
    slowest = max(time_constant_s + second_time_constant_s, h)
    frequency = np.geomspace(1e-4 / (2 * np.pi * slowest), nyquist, n_frequencies)

    def response(f):
        z = np.exp(2j * np.pi * np.asarray(f) * h)
        return np.polyval(num, z) / np.polyval(den, z)

    loop = response(frequency)
    magnitude = np.abs(loop)
    phase = np.unwrap(np.angle(loop))

    gain_crossover = _crossing(frequency, np.log(magnitude), lambda f: np.log(np.abs(response(f))))
    phase_margin = np.inf
    if np.isfinite(gain_crossover):
        index = min(np.searchsorted(frequency, gain_crossover), frequency.size - 1)
        angle = _unwrapped_near(np.angle(response(gain_crossover)), phase[index])
        phase_margin = float(np.degrees(angle + np.pi))

    def phase_at(f):
        index = min(np.searchsorted(frequency, f), frequency.size - 1)
        return _unwrapped_near(np.angle(response(f)), phase[index]) + np.pi

    phase_crossover = _crossing(frequency, phase + np.pi, phase_at)
    gain_margin = np.inf
    if np.isfinite(phase_crossover):
        gain_margin = float(-20.0 * np.log10(np.abs(response(phase_crossover))))

    cl_num, cl_den = _closed_loop(num, den)
    poles = np.roots(cl_den)
    stable = bool(np.all(np.abs(poles) < 1.0))
    closed = np.abs(
        np.polyval(cl_num, np.exp(2j * np.pi * frequency * h))
        / np.polyval(cl_den, np.exp(2j * np.pi * frequency * h))
    )
    dc = abs(np.polyval(cl_num, 1.0) / np.polyval(cl_den, 1.0))
    below = np.nonzero(closed < dc / np.sqrt(2.0))[0]
    bandwidth = float(frequency[below[0]]) if below.size else np.nan
    rise, settle, overshoot = (
        _step_metrics(cl_num, cl_den, poles, h) if stable else (np.nan, np.nan, np.nan)
    )
    return LoopAnalysis(
        loop_num=num,
        loop_den=den,
        sample_period_s=h,
        gain_margin_db=gain_margin,
        phase_margin_deg=phase_margin,
        gain_crossover_hz=gain_crossover,
        phase_crossover_hz=phase_crossover,
        bandwidth_hz=bandwidth,
        rise_time_s=rise,
        settling_time_s=settle,
        overshoot_percent=overshoot,
        stable=stable,
        frequency_hz=frequency,
        loop_response=loop,
    )


@dataclass(frozen=True, kw_only=True)
class ResidualLockError:
    """Predicted residual detuning of a locked ring (from :func:`residual_lock_error`).

    Parameters
    ----------
    mean_m : float
        Mean detuning (ramp-following error), m.
    sigma_m : float
        Standard deviation of the detuning, m (all sources in quadrature).
    noise_sigma_m : float
        Part due to detector noise and ADC quantisation, m.
    heater_quantisation_sigma_m : float
        Part due to heater-DAC rounding, m.
    dither_sigma_m : float
        Part due to the heater dither itself, m.
    """

    mean_m: float
    sigma_m: float
    noise_sigma_m: float
    heater_quantisation_sigma_m: float
    dither_sigma_m: float

    def draw(self, size, *, rng=None) -> np.ndarray:
        """Gaussian residual detunings ``N(mean_m, sigma_m²)``, m.

        Parameters
        ----------
        size : int or tuple of int
            Output shape.
        rng : numpy.random.Generator, int or None
            Random source.
        """
        return np.random.default_rng(rng).normal(self.mean_m, self.sigma_m, size)


def residual_lock_error(
    *,
    controller: PIDController,
    detector: Detector,
    plant_gain_m_per_w: float,
    time_constant_s: float,
    sample_period_s: float,
    fwhm_m: float,
    second_time_constant_s: float = 0.0,
    drop_peak: float = 1.0,
    heater: HeaterDriver | None = None,
    heater_power_w: float = 0.0,
    detuning_drift_m_per_s: float = 0.0,
) -> ResidualLockError:
    """Residual detuning (mean, σ) of one locked ring from the linearised loop.

    Parameters
    ----------
    controller : PIDController
        The controller.
    detector : IdealDetector, LorentzianSlopeDetector or DitherLockInDetector
        Error detector with its noise and quantisation.
    plant_gain_m_per_w : float
        Resonance shift per heater watt, m/W (> 0).
    time_constant_s : float
        τ1 of the heater path, s (> 0).
    sample_period_s : float
        Sample period h, s (> 0).
    fwhm_m : float
        Resonance FWHM, m (> 0); sets the lock-in's slope.
    second_time_constant_s : float
        τ2, s (≥ 0).
    drop_peak : float
        Drop transmission on resonance (0 < T0 ≤ 1), scales the monitor current.
    heater : HeaterDriver, optional
        Heater DAC; without it the heater is continuous.
    heater_power_w : float
        Operating heater power, W (≥ 0): the square-law DAC step there is ``2√(P·P_max)/L``.
    detuning_drift_m_per_s : float
        Rate at which laser and ring drift apart while locked, m/s.
    """
    h = float(check_range("sample_period_s", sample_period_s, low=0.0, low_inclusive=False))
    fwhm = float(check_range("fwhm_m", fwhm_m, low=0.0, low_inclusive=False))
    peak = float(check_range("drop_peak", drop_peak, low=0.0, high=1.0, low_inclusive=False))
    power = float(check_range("heater_power_w", heater_power_w, low=0.0))
    drift = float(check_range("detuning_drift_m_per_s", detuning_drift_m_per_s))
    gain = float(plant_gain_m_per_w)
    kw = {
        "plant_gain_m_per_w": gain,
        "time_constant_s": time_constant_s,
        "sample_period_s": h,
        "second_time_constant_s": second_time_constant_s,
    }
    num, den = loop_transfer_function(controller=controller, detector=detector, **kw)
    g_num, g_den = plant_transfer_function(**kw)
    _f_num, f_den = detector_filter(detector)
    _, c_den = controller.transfer_function(h)
    dither_sigma = 0.0
    if isinstance(detector, DitherLockInDetector):
        photodiode = detector.photodiode
        z = np.exp(2j * np.pi / detector.dither_period_steps)
        amplitude = detector.dither_amplitude_w * abs(np.polyval(g_num, z) / np.polyval(g_den, z))
        scale = fwhm**2 / (4.0 * amplitude * photodiode.peak_current_a * peak * np.sqrt(2.0))
        noise_variance = scale**2 * (
            photodiode.noise_current_a(h) ** 2 + photodiode.adc_step_a**2 / 12.0
        )
        dither_sigma = amplitude / np.sqrt(2.0)
    else:
        noise_variance = detector.noise_m**2 + detector.quantisation_step_m**2 / 12.0
    # δ = -T·n with T = C·F·G/(1 + L); δ = -G·S·q with S = 1/(1 + L).
    t_num, t_den = _closed_loop(num, den)
    gs_num = np.polymul(g_num, np.polymul(c_den, f_den))
    gs_den = np.polyadd(den, num)
    noise_sigma = np.sqrt(noise_variance * _h2_squared(t_num, t_den))
    quant_sigma = 0.0
    if heater is not None and heater.dac_levels:
        step = (
            2.0 * np.sqrt(min(power, heater.max_power_w) * heater.max_power_w) / heater.dac_levels
        )
        quant_sigma = np.sqrt(step**2 / 12.0 * _h2_squared(gs_num, gs_den))
    integral = controller.integral_gain_w_per_m_s
    mean = drift / (integral * gain) if drift else 0.0
    if drift and integral == 0.0:
        mean = np.inf
    return ResidualLockError(
        mean_m=float(mean),
        sigma_m=float(np.sqrt(noise_sigma**2 + quant_sigma**2 + dither_sigma**2)),
        noise_sigma_m=float(noise_sigma),
        heater_quantisation_sigma_m=float(quant_sigma),
        dither_sigma_m=float(dither_sigma),
    )


# ---------------------------------------------------------------------------------- helpers
def _trim(poly):
    poly = np.asarray(poly, dtype=np.float64)
    nonzero = np.nonzero(np.abs(poly) > 1e-14 * np.abs(poly).max())[0]
    return poly[nonzero[0] :] if nonzero.size else np.zeros(1)


def _closed_loop(num, den):
    """``L/(1 + L)`` as (numerator, denominator)."""
    return np.asarray(num, dtype=np.float64), np.polyadd(den, num)


def _h2_squared(num, den) -> float:
    """Sum of the squared impulse response of a stable discrete transfer function."""
    num = _trim(num)
    den = _trim(den)
    if num.size > den.size:
        raise ValueError("improper transfer function")
    a, b, c, d = scipy.signal.tf2ss(num, den)
    if a.size == 0:
        return float(d[0, 0] ** 2)
    gram = scipy.linalg.solve_discrete_lyapunov(a, b @ b.T)
    return float((c @ gram @ c.T)[0, 0] + d[0, 0] ** 2)


def _unwrapped_near(angle, reference):
    return angle + 2.0 * np.pi * np.round((reference - angle) / (2.0 * np.pi))


def _crossing(frequency, values, function):
    """First frequency where ``values`` changes sign from positive, refined with ``function``."""
    sign = np.sign(values)
    changes = np.nonzero((sign[:-1] > 0) & (sign[1:] <= 0))[0]
    if not changes.size:
        return np.nan
    i = changes[0]
    lo, hi = frequency[i], frequency[i + 1]
    if function(hi) == 0.0:
        return float(hi)
    try:
        return float(scipy.optimize.brentq(function, lo, hi, xtol=1e-12 * hi, rtol=1e-13))
    except ValueError:
        return float(0.5 * (lo + hi))


def _step_metrics(num, den, poles, h):
    slowest = np.max(np.abs(poles)) if poles.size else 0.0
    horizon = 50 if slowest <= 0.0 else int(min(2e6, max(50, 20.0 / -np.log(slowest))))
    _, (step,) = scipy.signal.dstep((num, den, h), n=horizon)
    step = step[:, 0]
    final = step[-1]
    time = np.arange(horizon) * h
    rise = time[np.argmax(step >= 0.9 * final)] - time[np.argmax(step >= 0.1 * final)]
    outside = np.nonzero(np.abs(step - final) > 0.02 * abs(final))[0]
    settle = time[outside[-1] + 1] if outside.size else 0.0
    overshoot = max(0.0, (step.max() - final) / final * 100.0)
    return float(rise), float(settle), float(overshoot)


__all__ = [
    "LoopAnalysis",
    "ResidualLockError",
    "analyze_loop",
    "detector_filter",
    "loop_transfer_function",
    "plant_transfer_function",
    "residual_lock_error",
]
