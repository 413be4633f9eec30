"""Heater and driver: resistance, drive range, DAC resolution, achievable and electrical power.

A microheater of resistance ``R(ΔT) = R0·(1 + α·ΔT)`` is driven either by a voltage DAC
(``P = V²/R``) or a current DAC (``P = I²·R``). Either way the drive amplitude is quantised to
``2^bits`` levels between 0 and the full-scale amplitude, so the achievable powers at the
reference resistance are ``P_k = P_max·(k/(2^bits - 1))²``: fine steps near zero, coarse steps
near full scale. A requested power gets the code nearest in amplitude (:func:`quantise_power`);
the closed-loop kernels use exactly this level set and this rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_choice, check_integer, check_range

DRIVE_MODES = ("voltage", "current")
"""Allowed :attr:`HeaterDriver.drive` values."""

DEFAULT_MAX_POWER_W = 44.8e-3
"""The one default heater limit of cposim, W: a tuning range of half an FSR (8.95 nm for the
default 3.6 µm ring) at 0.2 nm/mW. Half an FSR with channel arbitration is the range of
Choi & Stojanović, arXiv:2411.14810 (2024), and of WDMSim; 0.2 nm/mW is inside the published
0.1 nm/mW (TiN over a ring; Zhang et al., Photonics Res. 10(4), 1127 (2022)) … 2.06 nm/mW
(doped-silicon heater in a 4 µm disk; Atabaki et al., Opt. Express 21(13), 15706 (2013)).
:class:`HeaterDriver`'s default full scale delivers exactly this, and the yield engine's
``tuning.max_heater_power_w`` defaults to it."""

DEFAULT_RESISTANCE_OHM = 500.0
"""Default heater resistance, Ω: an *assumption* typical of TiN or doped-silicon ring heaters
(hundreds of ohms)."""


def quantise_power(power_w, max_power_w, levels: int) -> np.ndarray:
    """Nearest square-law DAC level to each power, W: the arithmetic the lock kernel follows.

    The power is clipped to ``[0, P_max]`` and its amplitude ``√(P/P_max)`` rounded to the
    nearest of ``L`` steps (ties up): ``c = ⌊L·√(P·(1/P_max)) + ½⌋``, level
    ``P_max·(c·(1/L))²``. Written exactly as in the kernel (reciprocals, the correctly rounded
    square root), so both give the same level bit for bit. ``L = 0`` is an ideal driver: the
    clipped power is returned as it is.

    Parameters
    ----------
    power_w : float or array_like
        Requested power, W.
    max_power_w : float or array_like
        Full-scale power, W (> 0), broadcasting with ``power_w`` (each heater its own).
    levels : int
        Nonzero codes ``L = 2^bits - 1`` (≥ 1), or 0 for an ideal driver.
    """
    check_range("max_power_w", max_power_w, low=0.0, low_inclusive=False)
    levels = check_integer("levels", levels, low=0)
    power = np.clip(np.asarray(power_w, dtype=np.float64), 0.0, max_power_w)
    if not levels:
        return power
    code = np.floor(np.sqrt(power * (1.0 / max_power_w)) * levels + 0.5) * (1.0 / levels)
    return max_power_w * code * code


@dataclass(frozen=True, kw_only=True)
class HeaterDriver:
    """Resistive microheater with a voltage or current DAC driver.

    Parameters
    ----------
    resistance_ohm : float
        Heater resistance at the reference temperature, Ω (> 0). Default
        :data:`DEFAULT_RESISTANCE_OHM` (500 Ω, assumption).
    resistance_tcr_per_k : float
        Temperature coefficient of resistance α, 1/K (≥ -0.01, ≤ 0.01). Default 0 (constant
        resistance); metal heaters have a few 1e-3 /K (*assumption*, TiN ≈ 1e-3 /K).
    drive : {"voltage", "current"}
        What the DAC sets. Default "voltage".
    full_scale_voltage_v : float
        Largest drive voltage, V (> 0); used when ``drive == "voltage"``. Default
        ``√(P·R)`` ≈ 4.73 V, which delivers :data:`DEFAULT_MAX_POWER_W` into the default
        resistance.
    full_scale_current_a : float
        Largest drive current, A (> 0); used when ``drive == "current"``. Default ``√(P/R)``
        ≈ 9.47 mA (the same power).
    dac_bits : int
        DAC resolution in bits (1 … 24), or 0 for an ideal continuous driver. Default 12, an
        *assumption* (common for heater DACs).
    """

    resistance_ohm: float = DEFAULT_RESISTANCE_OHM
    resistance_tcr_per_k: float = 0.0
    drive: str = "voltage"
    full_scale_voltage_v: float = math.sqrt(DEFAULT_MAX_POWER_W * DEFAULT_RESISTANCE_OHM)
    full_scale_current_a: float = math.sqrt(DEFAULT_MAX_POWER_W / DEFAULT_RESISTANCE_OHM)
    dac_bits: int = 12

    def __post_init__(self):
        check_range("resistance_ohm", self.resistance_ohm, low=0.0, low_inclusive=False)
        check_range("resistance_tcr_per_k", self.resistance_tcr_per_k, low=-0.01, high=0.01)
        check_choice("drive", self.drive, DRIVE_MODES)
        check_range("full_scale_voltage_v", self.full_scale_voltage_v, low=0.0, low_inclusive=False)
        check_range("full_scale_current_a", self.full_scale_current_a, low=0.0, low_inclusive=False)
        if isinstance(self.dac_bits, bool) or not isinstance(self.dac_bits, int | np.integer):
            raise ValueError(f"dac_bits = {self.dac_bits!r} must be an integer (0 … 24)")
        check_range("dac_bits", self.dac_bits, low=0, high=24)

    @classmethod
    def with_max_power(
        cls,
        max_power_w: float,
        *,
        resistance_ohm: float = DEFAULT_RESISTANCE_OHM,
        drive: str = "voltage",
        dac_bits: int = 12,
    ) -> HeaterDriver:
        """The driver whose full scale delivers ``max_power_w`` into ``resistance_ohm``.

        Parameters
        ----------
        max_power_w : float
            Largest heater power at the reference resistance, W (> 0).
        resistance_ohm : float
            Heater resistance, Ω (> 0).
        drive : {"voltage", "current"}
            What the DAC sets.
        dac_bits : int
            DAC resolution in bits (0 … 24; 0 is an ideal driver).
        """
        power = float(check_range("max_power_w", max_power_w, low=0.0, low_inclusive=False))
        resistance = float(
            check_range("resistance_ohm", resistance_ohm, low=0.0, low_inclusive=False)
        )
        return cls(
            resistance_ohm=resistance,
            drive=drive,
            full_scale_voltage_v=math.sqrt(power * resistance),
            full_scale_current_a=math.sqrt(power / resistance),
            dac_bits=dac_bits,
        )

    @property
    def max_power_w(self) -> float:
        """Largest heater power at the reference resistance, W."""
        return float(self.full_scale_power_w())

    def full_scale_power_w(self, resistance_ratio=1.0):
        """Full-scale power of a heater whose resistance is ``resistance_ratio`` times
        :attr:`resistance_ohm` on this driver, W: ``V²/(ratio·R)`` for voltage drive,
        ``I²·ratio·R`` for current drive.

        Parameters
        ----------
        resistance_ratio : float or array_like
            Heater resistance over the nominal, ``R/R0`` (> 0), e.g. one per ring.
        """
        ratio = check_range("resistance_ratio", resistance_ratio, low=0.0, low_inclusive=False)
        if self.drive == "voltage":
            return self.full_scale_voltage_v**2 / (ratio * self.resistance_ohm)
        return self.full_scale_current_a**2 * (ratio * self.resistance_ohm)

    @property
    def dac_levels(self) -> int:
        """Number of nonzero DAC codes ``2^bits - 1`` (0 for an ideal driver)."""
        return 2**self.dac_bits - 1 if self.dac_bits else 0

    def power_levels_w(self) -> np.ndarray:
        """Every achievable heater power at the reference resistance, W (ascending).

        Raises ValueError for an ideal (``dac_bits == 0``) driver, which has no discrete levels.
        """
        if not self.dac_bits:
            raise ValueError("dac_bits = 0 is an ideal driver: it has no discrete power levels")
        codes = np.arange(self.dac_levels + 1, dtype=np.float64)
        return self.max_power_w * (codes / self.dac_levels) ** 2

    def quantise_power_w(self, heater_power_w) -> np.ndarray:
        """Nearest achievable power (drive code nearest in amplitude) to a requested power, W.

        Parameters
        ----------
        heater_power_w : float or array_like
            Requested heater power, W; clipped to ``[0, max_power_w]`` first.
        """
        return quantise_power(heater_power_w, self.max_power_w, self.dac_levels)

    def resistance_at_ohm(self, temperature_rise_k) -> np.ndarray:
        """Heater resistance at a temperature rise above the reference, Ω.

        Parameters
        ----------
        temperature_rise_k : float or array_like
            Heater temperature above the reference temperature, K.
        """
        rise = np.asarray(temperature_rise_k, dtype=np.float64)
        return self.resistance_ohm * (1.0 + self.resistance_tcr_per_k * rise)

    def electrical_power_w(self, drive_code, *, temperature_rise_k=0.0) -> np.ndarray:
        """Electrical power drawn by the heater for a DAC code, W.

        With a voltage drive ``P = V²/R(ΔT)``; with a current drive ``P = I²·R(ΔT)``, so a
        positive temperature coefficient lowers the power of a voltage-driven heater and raises
        that of a current-driven one.

        Parameters
        ----------
        drive_code : int or array_like
            DAC code, 0 … ``2^bits - 1`` (for an ideal driver: the drive amplitude as a
            fraction of full scale, 0 … 1).
        temperature_rise_k : float or array_like
            Heater temperature above the reference temperature, K.
        """
        code = np.asarray(drive_code, dtype=np.float64)
        top = self.dac_levels if self.dac_bits else 1.0
        check_range("drive_code", code, low=0.0, high=top)
        fraction = code / top
        resistance = self.resistance_at_ohm(temperature_rise_k)
        if self.drive == "voltage":
            return (fraction * self.full_scale_voltage_v) ** 2 / resistance
        return (fraction * self.full_scale_current_a) ** 2 * resistance


__all__ = [
    "DEFAULT_MAX_POWER_W",
    "DEFAULT_RESISTANCE_OHM",
    "DRIVE_MODES",
    "HeaterDriver",
    "quantise_power",
]
