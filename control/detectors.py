"""Error detectors: what a ring's lock loop measures, with photodiode noise and ADC quantisation.

The detuning is ``δ = λ_laser - λ_ring`` (m, wrapped to the nearest resonance order); a heater
red-shifts the ring, so a positive error calls for more heater power. Every detector below is
normalised so that its small-signal output equals ``δ`` (unit slope at lock), which lets one set
of controller gains serve them all.

- :class:`IdealDetector`: ``e = δ`` (design studies), optional white noise and quantisation.
- :class:`LorentzianSlopeDetector`: the derivative of the Lorentzian drop power with respect to
  the ring wavelength (the limit of an ideal, noise-free lock-in), ``e = δ/(1 + (2δ/FWHM)²)²``:
  an S-curve, linear near lock, decaying far from resonance.
- :class:`DitherLockInDetector`: a sinusoidal heater dither, a monitor photodiode on the drop
  port (:class:`MonitorPhotodiode`: shot/TIA noise and ADC quantisation), demodulation with the
  thermal path's phase and a moving average over exactly one dither period (which nulls the
  carrier and its harmonics).
- :class:`PowerMaximumTracker`: perturb-and-observe hill climbing on the photodiode power; a
  control law of its own (it moves the heater directly, without a PI/PID controller).

The drop power is the Lorentzian ``T0/(1 + (2δ/FWHM)²)`` (Bahadori et al., J. Lightwave
Technol. 2016); neighbouring channels' tails are neglected (channel spacing ≫ FWHM).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from cposim.control.core.validation import check_integer, check_range

TIA_NOISE_DENSITY_A_PER_RTHZ = 17e-12
"""Input-referred TIA noise density, A/√Hz: 16.9 pA/√Hz of the 16 nm FinFET TIA of Patel,
Sharif-Bakhtiar & Chan Carusone, "A 112-Gb/s −8.2-dBm sensitivity 4-PAM linear TIA in 16-nm
CMOS with co-packaged photodiodes", IEEE JSSC (2023), doi:10.1109/JSSC.2022.3218558."""


@dataclass(frozen=True, kw_only=True)
class _ErrorNoise:
    """White noise and quantisation on a detuning-referred error (shared by two detectors)."""

    noise_m: float = 0.0
    quantisation_step_m: float = 0.0

    def __post_init__(self):
        check_range("noise_m", self.noise_m, low=0.0)
        check_range("quantisation_step_m", self.quantisation_step_m, low=0.0)


@dataclass(frozen=True, kw_only=True)
class IdealDetector(_ErrorNoise):
    """Linear detuning detector, ``e = δ`` plus optional white noise and quantisation.

    Parameters
    ----------
    noise_m : float
        Rms white noise added to every sample of the error, m (≥ 0). Default 0.
    quantisation_step_m : float
        Quantisation step of the error (an ADC LSB referred to detuning), m (≥ 0; 0 = none).
        Default 0.
    """

    kind: ClassVar[int] = 0


@dataclass(frozen=True, kw_only=True)
class LorentzianSlopeDetector(_ErrorNoise):
    """Normalised Lorentzian drop-power slope, ``e = δ/(1 + (2δ/FWHM)²)²``.

    Parameters
    ----------
    noise_m : float
        Rms white noise added to every sample of the error, m (≥ 0). Default 0.
    quantisation_step_m : float
        Quantisation step of the error, m (≥ 0; 0 = none). Default 0.
    """

    kind: ClassVar[int] = 1


@dataclass(frozen=True, kw_only=True)
class MonitorPhotodiode:
    """Drop-port monitor photodiode, transimpedance amplifier and ADC.

    Parameters
    ----------
    peak_current_a : float
        Photocurrent with the ring exactly on resonance, A (> 0). Default 100 µA, an
        *assumption*: ≈ 0.1 mW reaching the monitor at 1 A/W (also an assumption).
    noise_density_a_per_rthz : float
        Input-referred current noise density, A/√Hz (≥ 0). Default 17 pA/√Hz (16.9 pA/√Hz
        of the 16 nm FinFET TIA of Patel et al., IEEE JSSC 2023). The rms noise per sample is
        ``density·√(1/(2h))`` (white over the Nyquist band of the sample period ``h``).
    adc_bits : int
        ADC resolution in bits (0 = no quantisation, else 1 … 24). Default 10 (*assumption*).
    adc_full_scale_a : float, optional
        ADC full scale, A (> 0); default ``1.25·peak_current_a`` (headroom *assumption*).
    """

    peak_current_a: float = 1e-4
    noise_density_a_per_rthz: float = TIA_NOISE_DENSITY_A_PER_RTHZ
    adc_bits: int = 10
    adc_full_scale_a: float | None = None

    def __post_init__(self):
        check_range("peak_current_a", self.peak_current_a, low=0.0, low_inclusive=False)
        check_range("noise_density_a_per_rthz", self.noise_density_a_per_rthz, low=0.0)
        if isinstance(self.adc_bits, bool) or not isinstance(self.adc_bits, int | np.integer):
            raise ValueError(f"adc_bits = {self.adc_bits!r} must be an integer (0 … 24)")
        check_range("adc_bits", self.adc_bits, low=0, high=24)
        if self.adc_full_scale_a is None:
            object.__setattr__(self, "adc_full_scale_a", 1.25 * self.peak_current_a)
        check_range("adc_full_scale_a", self.adc_full_scale_a, low=0.0, low_inclusive=False)

    def noise_current_a(self, sample_period_s: float) -> float:
        """Rms noise current per sample, A.

        Parameters
        ----------
        sample_period_s : float
            Sample period, s (> 0).
        """
        return self.noise_density_a_per_rthz * np.sqrt(0.5 / sample_period_s)

    @property
    def adc_step_a(self) -> float:
        """ADC least significant bit, A (0 without quantisation)."""
        return self.adc_full_scale_a / 2**self.adc_bits if self.adc_bits else 0.0


@dataclass(frozen=True, kw_only=True)
class DitherLockInDetector:
    """Heater dither with lock-in demodulation of the drop-port monitor photodiode.

    The heater power carries ``A·sin(2πk/N)``; the photodiode samples are multiplied by a
    reference delayed by the thermal path's phase at the dither frequency and averaged over
    the last ``N`` samples. The result is scaled so its slope at lock is 1 (m/m).

    Parameters
    ----------
    dither_amplitude_w : float
        Heater dither amplitude, W (> 0). Default 50 µW, an *assumption*: ≈ 5 pm of ring
        dither at 0.2 nm/mW and 4 µs / 1 µs sampling, a few per cent of a 0.33 nm FWHM.
    dither_period_steps : int
        Dither period in sample periods (≥ 4). Default 16 (*assumption*).
    photodiode : MonitorPhotodiode
        The monitor photodiode chain.
    """

    kind: ClassVar[int] = 2
    dither_amplitude_w: float = 5e-5
    dither_period_steps: int = 16
    photodiode: MonitorPhotodiode = field(default_factory=MonitorPhotodiode)

    def __post_init__(self):
        check_range("dither_amplitude_w", self.dither_amplitude_w, low=0.0, low_inclusive=False)
        check_integer("dither_period_steps", self.dither_period_steps, low=4)


@dataclass(frozen=True, kw_only=True)
class PowerMaximumTracker:
    """Perturb-and-observe maximum tracking of the drop-port photodiode power.

    Every ``update_period_steps`` samples the mean photodiode current of the block is compared
    with the previous block; if it fell, the search direction reverses; the heater power then
    moves by ``step_power_w`` in the current direction. Once locked the heater dithers by about
    one step around the maximum. It replaces the PI/PID controller (whose gains are unused).

    Parameters
    ----------
    step_power_w : float
        Heater power step, W (> 0). Default 10 µW (*assumption*: ≈ 2 pm at 0.2 nm/mW).
    update_period_steps : int
        Block length in sample periods (≥ 1). Default 8 (*assumption*: two thermal time
        constants at 1 µs sampling and τ = 4 µs, so each block sees the previous step settled).
    photodiode : MonitorPhotodiode
        The monitor photodiode chain.
    """

    kind: ClassVar[int] = 3
    step_power_w: float = 1e-5
    update_period_steps: int = 8
    photodiode: MonitorPhotodiode = field(default_factory=MonitorPhotodiode)

    def __post_init__(self):
        check_range("step_power_w", self.step_power_w, low=0.0, low_inclusive=False)
        check_integer("update_period_steps", self.update_period_steps, low=1)


Detector = IdealDetector | LorentzianSlopeDetector | DitherLockInDetector | PowerMaximumTracker
"""Any of the error detectors."""


def lorentzian_drop(detuning_m, fwhm_m):
    """Normalised Lorentzian drop power ``1/(1 + (2δ/FWHM)²)`` (dimensionless).

    Parameters
    ----------
    detuning_m : float or array_like
        Detuning δ, m.
    fwhm_m : float or array_like
        Full width at half maximum, m (> 0).
    """
    x = 2.0 * np.asarray(detuning_m, dtype=np.float64) / fwhm_m
    return 1.0 / (1.0 + x * x)


def lorentzian_slope_error_m(detuning_m, fwhm_m):
    """Normalised slope detector output ``δ/(1 + (2δ/FWHM)²)²``, m (unit slope at δ = 0).

    Parameters
    ----------
    detuning_m : float or array_like
        Detuning δ, m.
    fwhm_m : float or array_like
        Full width at half maximum, m (> 0).
    """
    detuning = np.asarray(detuning_m, dtype=np.float64)
    drop = lorentzian_drop(detuning, fwhm_m)
    return detuning * drop * drop


__all__ = [
    "TIA_NOISE_DENSITY_A_PER_RTHZ",
    "Detector",
    "DitherLockInDetector",
    "IdealDetector",
    "LorentzianSlopeDetector",
    "MonitorPhotodiode",
    "PowerMaximumTracker",
    "lorentzian_drop",
    "lorentzian_slope_error_m",
]
