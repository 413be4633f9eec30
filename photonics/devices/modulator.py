"""Depletion-mode microring modulators: drive levels, bias, bandwidth and self-heating.

A reverse-biased pn junction in an all-pass :class:`~cposim.photonics.devices.ring.Ring` removes
carriers as the voltage rises, raising the index and red-shifting the resonance. Two
voltage-to-shift forms are offered:

- ``"linear"``: ``Δλ(V) = η·V`` with the modulation efficiency η in m/V;
- ``"junction"``: ``Δλ(V) = 2η·√V_bi·(√(V_bi + V) - √V_bi)``, the depletion width of an abrupt
  junction growing as ``√(V_bi + V)`` (Reed et al., Nat. Photon. 4, 518 (2010)); the prefactor
  makes η the small-signal slope at 0 V, so both forms agree for small swings.

The shift is applied to the :class:`Ring` as an equivalent temperature rise
``Δλ / (dλ_res/dT)``; in the ring's linear-dispersion model a temperature rise shifts every
resonance exactly linearly, so this is exact, not a small-signal approximation.

Sign convention used everywhere in cposim: **detuning = resonance wavelength minus laser
wavelength**. The modulator is biased with the laser on the blue side of the resonance (positive
detuning), the thermally stable side under self-heating (heating pushes the resonance away from
the laser); raising the reverse bias then raises the transmission.

:class:`ModulatorOperatingPoint` is the compact (periodic-Lorentzian) description of a biased
modulator that the link budget and its Numba lane kernel consume; :class:`RingModulator` builds
one from ring physics, and :meth:`ModulatorOperatingPoint.from_il_er` builds one from a datasheet
insertion loss and extinction ratio.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import optimize

from cposim.control.core.validation import check_choice, check_range
from cposim.photonics.devices.lorentzian import airy_coefficient, airy_fwhm_m, lorentzian_dip
from cposim.photonics.devices.ring import WAVELENGTH_RANGE_M, Ring
from cposim.photonics.units import SPEED_OF_LIGHT_M_PER_S

MODULATION_LEVELS = {"nrz": 2, "pam4": 4}
"""Number of optical levels per modulation format."""

SHIFT_MODELS = ("linear", "junction")
"""Voltage-to-resonance-shift forms of :class:`RingModulator`."""

BISTABILITY_THRESHOLD = 8.0 * np.sqrt(3.0) / 9.0
"""Normalised self-heating threshold ``σ_th = 8√3/9 ≈ 1.540``.

For a Lorentzian dip with a red shift proportional to the absorbed power, the hot resonance
obeys ``u = u0 + σ/(1 + u²)`` (``u`` detuning in half-widths, ``σ`` the shift at full absorption in
half-widths). ``u0(u)`` stops being monotonic, giving three steady states, when
``σ > min (1 + u²)²/(2|u|) = 8√3/9`` at ``|u| = 1/√3``; the bistable window opens at the cold
detuning ``u0 = -√3`` (laser on the red side).
"""


def modulation_levels(modulation: str) -> int:
    """Number of optical levels (2 for ``"nrz"``, 4 for ``"pam4"``).

    Parameters
    ----------
    modulation : str
        ``"nrz"`` or ``"pam4"``.
    """
    return MODULATION_LEVELS[check_choice("modulation", modulation, MODULATION_LEVELS)]


def isi_penalty_db(bandwidth_hz, symbol_rate_baud, modulation):
    """Worst-case intersymbol-interference penalty of a single-pole response, dB.

    A first-order response with 3 dB bandwidth ``f`` sampled at the end of each symbol has taps
    ``h0 = 1 - p`` and ``h_k = (1 - p)·p^k`` with ``p = exp(-2π·f/R_s)``. The worst pattern (all
    earlier symbols at the far level) leaves each of the ``M - 1`` equally spaced eyes open by
    ``1 - M·p`` of its ideal height, so the penalty is ``-10·log10(1 - M·p)`` (inf once closed).
    Equalisation is ignored, so this is a pessimistic estimate.

    Parameters
    ----------
    bandwidth_hz : float or array_like
        3 dB bandwidth of the transmitter response, Hz (> 0).
    symbol_rate_baud : float
        Symbol rate, baud (> 0).
    modulation : str
        ``"nrz"`` or ``"pam4"``.
    """
    levels = modulation_levels(modulation)
    bandwidth = check_range("bandwidth_hz", bandwidth_hz, low=0.0, low_inclusive=False)
    check_range("symbol_rate_baud", symbol_rate_baud, low=0.0, low_inclusive=False)
    opening = 1.0 - levels * np.exp(-2.0 * np.pi * bandwidth / symbol_rate_baud)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(opening > 0.0, -10.0 * np.log10(opening), np.inf)


def level_metrics(transmissions) -> dict[str, np.ndarray]:
    """Insertion loss, extinction ratio, OMA and eye penalties of a set of optical levels.

    Definitions (levels equiprobable, sorted along the last axis, linear transmission):

    - ``insertion_loss_db = -10·log10(mean T)`` (average-power loss);
    - ``extinction_ratio_db = 10·log10(T_max/T_min)``;
    - ``oma`` = ``T_max - T_min`` (fraction of the input power);
    - ``er_penalty_db = 10·log10(2·mean T/OMA)``, equal to ``10·log10((r+1)/(r-1))`` for NRZ;
    - ``eye_penalty_db = 10·log10((OMA/(M-1))/min eye)``, the TDECQ-like cost of unequal eyes
      (0 for NRZ and for equally spaced PAM4);
    - ``transmitter_penalty_db = er_penalty_db + eye_penalty_db``: the smallest eye compared
      with an ideal infinite-ER, equally spaced transmitter of the same average power.

    Parameters
    ----------
    transmissions : array_like, shape (..., M)
        Power transmission of each level (linear, 0…1), ascending.
    """
    t = np.asarray(transmissions, dtype=np.float64)
    levels = t.shape[-1]
    mean = t.mean(axis=-1)
    oma = t[..., -1] - t[..., 0]
    min_eye = np.diff(t, axis=-1).min(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        er_penalty = 10.0 * np.log10(2.0 * mean / oma)
        eye_penalty = 10.0 * np.log10(oma / ((levels - 1) * min_eye))
        return {
            "insertion_loss_db": -10.0 * np.log10(mean),
            "extinction_ratio_db": 10.0 * np.log10(t[..., -1] / t[..., 0]),
            "oma": oma,
            "min_eye": min_eye,
            "er_penalty_db": er_penalty,
            "eye_penalty_db": eye_penalty,
            "transmitter_penalty_db": er_penalty + eye_penalty,
        }


OPERATING_POINT_ORIGINS = ("device", "datasheet")
"""Where a :class:`ModulatorOperatingPoint` comes from: a :class:`RingModulator` evaluated at its
bias, or a datasheet's insertion loss and extinction ratio (an assumption the user types in)."""


@dataclass(frozen=True, kw_only=True)
class ModulatorOperatingPoint:
    """A biased ring modulator in the Airy form the link's lane kernel consumes.

    Level ``k`` transmits ``1 - D/(1 + F·sin²(π·(c_k + ε/FSR)))`` with ``c_k`` its round-trip
    phase from resonance in cycles (:attr:`level_phase_cycles`), ``ε`` the lane's lock error,
    ``D = 1 - T_min`` from :attr:`extinction_db` and ``F`` from the linewidth
    (:func:`~cposim.photonics.devices.lorentzian.airy_coefficient`). Built by
    :meth:`RingModulator.operating_point` (exact for that ring: ``origin = "device"``) or by
    :meth:`from_il_er` from datasheet values (``origin = "datasheet"``, an assumption).

    Parameters
    ----------
    modulation : str
        ``"nrz"`` or ``"pam4"``.
    bias_detuning_m : float
        Resonance at the lowest drive level minus laser wavelength, metres (> 0: laser on the
        thermally stable blue side).
    level_shifts_m : tuple of float
        Resonance shift of each drive level relative to the lowest one, metres; starts at 0,
        strictly increasing, one entry per level.
    fwhm_m : float
        Airy linewidth of the resonance, metres (> 0).
    extinction_db : float
        Depth of the through-port dip on resonance, ``-10·log10(T_min)``, dB (> 0).
    fsr_m : float
        Free spectral range: the resonance shift that advances the round-trip phase by one
        cycle at the laser, metres (> 0).
    wavelength_m : float
        Laser wavelength, metres.
    rc_bandwidth_hz : float
        Junction RC bandwidth ``1/(2π·R·C)``, Hz (> 0).
    level_phase_cycles : tuple of float or None
        Round-trip phase of each level minus its resonance order, cycles, ascending; ``None``
        takes ``(bias + shift_k)/FSR`` (the Airy form in the detuning itself).
    origin : {"device", "datasheet"}
        What produced it (shown in reports). Default "datasheet".
    """

    modulation: str = "pam4"
    bias_detuning_m: float
    level_shifts_m: tuple[float, ...]
    fwhm_m: float
    extinction_db: float
    fsr_m: float
    wavelength_m: float
    rc_bandwidth_hz: float
    level_phase_cycles: tuple[float, ...] | None = None
    origin: str = "datasheet"

    def __post_init__(self):
        levels = modulation_levels(self.modulation)
        check_range("bias_detuning_m", self.bias_detuning_m, low=-1e-6, high=1e-6)
        shifts = check_range("level_shifts_m", self.level_shifts_m, low=0.0, high=1e-6)
        if shifts.shape != (levels,) or shifts[0] != 0.0 or np.any(np.diff(shifts) <= 0.0):
            raise ValueError(
                f"level_shifts_m = {tuple(shifts.tolist())} must hold {levels} shifts for "
                f"{self.modulation!r}, starting at 0 and strictly increasing"
            )
        object.__setattr__(self, "level_shifts_m", tuple(float(s) for s in shifts))
        check_range("fwhm_m", self.fwhm_m, low=0.0, high=1e-7, low_inclusive=False)
        check_range("extinction_db", self.extinction_db, low=0.0, high=100.0, low_inclusive=False)
        check_range("fsr_m", self.fsr_m, low=self.fwhm_m, high=1e-5, low_inclusive=False)
        check_range(
            "wavelength_m", self.wavelength_m, low=WAVELENGTH_RANGE_M[0], high=WAVELENGTH_RANGE_M[1]
        )
        check_range("rc_bandwidth_hz", self.rc_bandwidth_hz, low=0.0, low_inclusive=False)
        check_choice("origin", self.origin, OPERATING_POINT_ORIGINS)
        if self.level_phase_cycles is None:
            cycles = (self.bias_detuning_m + shifts) / self.fsr_m
        else:
            cycles = check_range("level_phase_cycles", self.level_phase_cycles, low=-0.5, high=0.5)
            if cycles.shape != (levels,) or np.any(np.diff(cycles) <= 0.0):
                raise ValueError(
                    f"level_phase_cycles = {tuple(cycles.tolist())} must hold {levels} "
                    "strictly increasing phases"
                )
        object.__setattr__(self, "level_phase_cycles", tuple(float(c) for c in cycles))

    @classmethod
    def from_il_er(
        cls,
        *,
        insertion_loss_db: float,
        extinction_ratio_db: float,
        modulation: str = "pam4",
        ring_modulator: RingModulator | None = None,
    ) -> ModulatorOperatingPoint:
        """Datasheet mode: the operating point that reproduces a stated IL and ER with equally
        spaced levels, on the ring of ``ring_modulator`` (an *assumption* the user types in).

        The levels are ``T_k`` equally spaced between ``T_0 = 2T̄/(r+1)`` and ``T_{M-1} =
        2T̄·r/(r+1)`` (``T̄ = 10^(-IL/10)``, ``r`` the linear ER), i.e. ideally pre-distorted;
        each is placed on the blue side of the ring's Airy dip by inverting
        :func:`lorentzian_dip`.

        Parameters
        ----------
        insertion_loss_db : float
            Average-power insertion loss, dB (> 0).
        extinction_ratio_db : float
            Extinction ratio, dB (> 0).
        modulation : str
            ``"nrz"`` or ``"pam4"``.
        ring_modulator : RingModulator, optional
            Supplies the ring (linewidth, extinction, FSR), laser wavelength and RC bandwidth;
            default :class:`RingModulator`.
        """
        levels = modulation_levels(modulation)
        check_range("insertion_loss_db", insertion_loss_db, low=0.0, low_inclusive=False)
        check_range("extinction_ratio_db", extinction_ratio_db, low=0.0, low_inclusive=False)
        device = (ring_modulator or RingModulator()).operating_point()
        ratio = 10.0 ** (extinction_ratio_db / 10.0)
        mean = 10.0 ** (-insertion_loss_db / 10.0)
        low, high = 2.0 * mean / (ratio + 1.0), 2.0 * mean * ratio / (ratio + 1.0)
        t_min = device.min_transmission
        if low <= t_min or high >= 1.0:
            raise ValueError(
                f"insertion_loss_db = {insertion_loss_db} and extinction_ratio_db = "
                f"{extinction_ratio_db} need levels from {low:.4g} to {high:.4g}, outside what a "
                f"ring with extinction_db = {device.extinction_db:.4g} reaches ({t_min:.4g} to "
                "1); lower the ER or raise the IL or the ring extinction"
            )
        targets = np.linspace(low, high, levels)
        coefficient = airy_coefficient(fwhm_m=device.fwhm_m, fsr_m=device.fsr_m)
        sine = np.sqrt(((1.0 - t_min) / (1.0 - targets) - 1.0) / coefficient)
        detuning = device.fsr_m / np.pi * np.arcsin(sine)
        return cls(
            modulation=modulation,
            bias_detuning_m=float(detuning[0]),
            level_shifts_m=tuple(detuning - detuning[0]),
            fwhm_m=device.fwhm_m,
            extinction_db=device.extinction_db,
            fsr_m=device.fsr_m,
            wavelength_m=device.wavelength_m,
            rc_bandwidth_hz=device.rc_bandwidth_hz,
            origin="datasheet",
        )

    @property
    def levels(self) -> int:
        """Number of optical levels."""
        return len(self.level_shifts_m)

    @property
    def min_transmission(self) -> float:
        """Through-port transmission on resonance, ``10^(-extinction_db/10)`` (linear)."""
        return 10.0 ** (-self.extinction_db / 10.0)

    @property
    def photon_bandwidth_hz(self) -> float:
        """Photon-lifetime bandwidth ``c·FWHM/λ²`` (= optical linewidth in Hz), Hz."""
        return SPEED_OF_LIGHT_M_PER_S * self.fwhm_m / self.wavelength_m**2

    @property
    def bandwidth_hz(self) -> float:
        """Combined bandwidth ``(f_photon^-2 + f_RC^-2)^(-1/2)``, Hz."""
        return (self.photon_bandwidth_hz**-2 + self.rc_bandwidth_hz**-2) ** -0.5

    @property
    def mid_level_detuning_m(self) -> float:
        """Resonance minus laser at the mean drive level, metres (what a neighbour sees)."""
        return self.bias_detuning_m + float(np.mean(self.level_shifts_m))

    def transmissions(self, detuning_error_m=0.0) -> np.ndarray:
        """Power transmission of each level (linear), shape ``error_shape + (levels,)``.

        Parameters
        ----------
        detuning_error_m : float or array_like
            Resonance error added to the bias (e.g. residual lock error), metres.
        """
        error = check_range("detuning_error_m", detuning_error_m, low=-1e-6, high=1e-6)
        detuning = self.fsr_m * np.asarray(self.level_phase_cycles) + error[..., None]
        return lorentzian_dip(
            detuning, fwhm_m=self.fwhm_m, min_transmission=self.min_transmission, fsr_m=self.fsr_m
        )

    def metrics(self, detuning_error_m=0.0) -> dict[str, np.ndarray]:
        """:func:`level_metrics` of :meth:`transmissions` (IL, ER, OMA, penalties).

        Parameters
        ----------
        detuning_error_m : float or array_like
            Resonance error added to the bias, metres.
        """
        return level_metrics(self.transmissions(detuning_error_m))


def _default_modulator_ring() -> Ring:
    return Ring(power_coupling_in=0.06, power_coupling_drop=0.0, loss_db_per_m=6000.0)


@dataclass(frozen=True, kw_only=True)
class RingModulator:
    """Depletion-mode all-pass microring modulator driven by NRZ or PAM4.

    Parameters
    ----------
    ring : Ring
        The (single, all-pass) ring. Default: the default :class:`Ring` geometry (3.6 µm radius,
        FSR ≈ 17.9 nm) with ``loss_db_per_m = 6000`` (intrinsic Q ≈ 14 600; *assumption* for a
        doped pn-junction ring, roughly 3× the undoped filter loss) and ``power_coupling_in =
        0.06`` (slightly over-coupled: loaded Q ≈ 4900, photon-lifetime bandwidth ≈ 47 GHz,
        9.7 dB dip): a linewidth that lets 100 GBd through, as the 50–55 GHz intrinsic EO
        bandwidth of the 200G-class ring of Zhang et al., Photonics Res. 10(4), 1127 (2022)
        does.
    wavelength_m : float
        Laser (channel) wavelength, metres. Default 1300.05e-9 (centre of the CW-WDM MSA
        O-band grid, rev 1.0, 2021).
    modulation : str
        ``"nrz"`` or ``"pam4"``. Default ``"pam4"`` (200 Gb/s PAM4 per wavelength, NVIDIA
        developer blog, "How industry collaboration fosters NVIDIA co-packaged optics", 2025).
    shift_model : str
        ``"linear"`` or ``"junction"`` (see the module docstring). Default ``"linear"``.
    efficiency_m_per_v : float
        Resonance red shift per volt of reverse bias (small-signal slope at 0 V), m/V (> 0).
        Default 35e-12: the ``Δλ/V = λ²/(2·VπL·n_g)`` of a depletion ring with the
        VπL = 0.825 V·cm of Zhang et al. (2022) at n_g 4.2 (derived; the 20 pm/V of de Cea,
        Atabaki & Ram, "Power handling of silicon microring modulators", Opt. Express 27(17),
        24274 (2019) is an energy-optimised ring, and MOSCAP rings reach ≈ 170 pm/V,
        Gevorgyan et al., Photonics Res. 10(1), A1 (2022)). At 2 Vpp the levels span
        ≈ 3.9 dB of extinction ratio at 4.6 dB insertion loss, as the 4.1 dB ER at 200 Gb/s
        PAM4 of the co-designed driver and ring of Ma et al. (PMC13028943).
    built_in_voltage_v : float
        Junction built-in voltage, volts (> 0), used by ``"junction"``. Default 0.9 V:
        ``kT/q·ln(N_A·N_D/n_i²)`` for 1e18 cm⁻³ doping on both sides (assumption).
    reverse_bias_v : float
        DC reverse bias at the centre of the swing, volts. Default 1.0 V (assumption).
    drive_swing_vpp : float
        Peak-to-peak drive swing, volts (> 0). Default 2.5 V: the 100 Gb/s drive of "A
        high-speed silicon ring modulator with a large working wavelength range", Electronics
        13(15), 2890 (2024), the top of the 1 … 2.5 Vpp of published ring drivers (1 Vpp:
        monolithic CMOS, Gevorgyan et al. 2022); *assumption* that a 3D-stacked CMOS driver
        delivers it (push-pull). The levels then span ≈ 4.8 dB of extinction ratio at
        4.6 dB insertion loss; at 2 Vpp the default DR lane has 1.9 dB of power margin.
    predistort : bool
        If True, PAM4 drive voltages are chosen so the optical levels are equally spaced (for
        any bias); otherwise the voltages are equally spaced.
    junction_capacitance_f : float
        Junction capacitance, farads (> 0). Default 20e-15 (assumption, compact depletion ring).
    series_resistance_ohm : float
        Series resistance of the junction contacts and driver, ohms (> 0). Default 75 Ω
        (assumption), so the RC bandwidth is ≈ 106 GHz.
    thermal_resistance_k_per_w : float
        Temperature rise of the ring per watt of absorbed optical power, K/W (> 0). Default
        3175 K/W: *assumption* that light absorbed in the ring heats it as efficiently as its
        heater, i.e. the default heater efficiency 0.2 nm/mW divided by 63 pm/K (a TiN heater
        over a ring gives 0.1 nm/mW at 83 pm/K, ≈ 1200 K/W: Zhang et al. 2022; Shi et al.,
        Open Physics 21, 20230138 (2023)).
    bias_detuning_m : float or None
        Resonance at the lowest drive level minus the laser wavelength at which the lock holds
        the ring, metres (> 0: blue side); ``None`` takes the bias that maximises the smallest
        eye (:meth:`optimise_bias`). Default None.
    heat_fraction : float
        Fraction of the power lost in the ring that becomes heat (0…1). Default 1.0 (loss in a
        doped ring is free-carrier absorption; scattering neglected; assumption).

    Notes
    -----
    Drive voltages run from ``reverse_bias_v - drive_swing_vpp/2`` to ``reverse_bias_v +
    drive_swing_vpp/2``; with the ``"junction"`` form the lowest voltage must stay above
    ``-built_in_voltage_v``. Self-heating follows de Cea et al. (2019): absorbed power heats the
    ring (their thermal decay rate 2.4e6 /s sets how fast, and only the steady state is modelled
    here), and the thermo-optic shift is the ring's own ``dneff_dt_per_k``.
    """

    ring: Ring = field(default_factory=_default_modulator_ring)
    wavelength_m: float = 1300.05e-9
    modulation: str = "pam4"
    shift_model: str = "linear"
    efficiency_m_per_v: float = 35e-12
    built_in_voltage_v: float = 0.9
    reverse_bias_v: float = 1.0
    drive_swing_vpp: float = 2.5
    predistort: bool = False
    junction_capacitance_f: float = 20e-15
    series_resistance_ohm: float = 75.0
    thermal_resistance_k_per_w: float = 3175.0
    heat_fraction: float = 1.0
    bias_detuning_m: float | None = None

    def __post_init__(self):
        if not isinstance(self.ring, Ring) or self.ring.shape != ():
            raise ValueError(
                "ring must be a single cposim.photonics.devices.ring.Ring (scalar fields)"
            )
        if not self.ring.is_all_pass:
            raise ValueError(
                f"ring.power_coupling_drop = {self.ring.power_coupling_drop} must be 0: a ring "
                "modulator here is an all-pass ring"
            )
        if self.ring.dneff_dt_per_k <= 0.0:
            raise ValueError(
                f"ring.dneff_dt_per_k = {self.ring.dneff_dt_per_k} must be > 0 (voltage and "
                "self-heating shifts are applied through the ring's thermal shift)"
            )
        check_range(
            "wavelength_m", self.wavelength_m, low=WAVELENGTH_RANGE_M[0], high=WAVELENGTH_RANGE_M[1]
        )
        modulation_levels(self.modulation)
        check_choice("shift_model", self.shift_model, SHIFT_MODELS)
        check_range(
            "efficiency_m_per_v", self.efficiency_m_per_v, low=0.0, high=1e-9, low_inclusive=False
        )
        check_range(
            "built_in_voltage_v", self.built_in_voltage_v, low=0.0, high=5.0, low_inclusive=False
        )
        check_range("reverse_bias_v", self.reverse_bias_v, low=-5.0, high=50.0)
        check_range(
            "drive_swing_vpp", self.drive_swing_vpp, low=0.0, high=50.0, low_inclusive=False
        )
        if self.shift_model == "junction":
            check_range(
                "lowest drive voltage (reverse_bias_v - drive_swing_vpp/2)",
                self.reverse_bias_v - self.drive_swing_vpp / 2.0,
                low=-self.built_in_voltage_v,
                low_inclusive=False,
            )
        check_range(
            "junction_capacitance_f", self.junction_capacitance_f, low=0.0, low_inclusive=False
        )
        check_range(
            "series_resistance_ohm", self.series_resistance_ohm, low=0.0, low_inclusive=False
        )
        check_range(
            "thermal_resistance_k_per_w",
            self.thermal_resistance_k_per_w,
            low=0.0,
            low_inclusive=False,
        )
        check_range("heat_fraction", self.heat_fraction, low=0.0, high=1.0)
        if self.bias_detuning_m is not None:
            check_range("bias_detuning_m", self.bias_detuning_m, low=-1e-6, high=1e-6)

    # ------------------------------------------------------------------------- ring quantities
    @property
    def levels(self) -> int:
        """Number of optical levels (2 or 4)."""
        return modulation_levels(self.modulation)

    @property
    def cold_resonance_m(self) -> float:
        """Resonance nearest ``wavelength_m`` at 0 V and no heating, metres."""
        return float(self.ring.resonance_m(self.wavelength_m))

    @property
    def fwhm_m(self) -> float:
        """Resonance FWHM at the laser wavelength, metres."""
        return float(self.ring.fwhm_m(self.wavelength_m))

    @property
    def thermal_shift_m_per_k(self) -> float:
        """Resonance shift per kelvin, m/K."""
        return float(self.ring.thermal_shift_m_per_k(self.wavelength_m))

    @property
    def photon_bandwidth_hz(self) -> float:
        """Photon-lifetime bandwidth ``c/(λ·Q_loaded)`` (= linewidth in Hz), Hz."""
        return SPEED_OF_LIGHT_M_PER_S / (
            self.wavelength_m * float(self.ring.q_loaded(self.wavelength_m))
        )

    @property
    def rc_bandwidth_hz(self) -> float:
        """Junction RC bandwidth ``1/(2π·R·C)``, Hz."""
        return 1.0 / (2.0 * np.pi * self.series_resistance_ohm * self.junction_capacitance_f)

    @property
    def bandwidth_hz(self) -> float:
        """Combined bandwidth ``(f_photon^-2 + f_RC^-2)^(-1/2)``, Hz (detuning peaking ignored)."""
        return (self.photon_bandwidth_hz**-2 + self.rc_bandwidth_hz**-2) ** -0.5

    def isi_penalty_db(self, symbol_rate_baud: float) -> float:
        """:func:`isi_penalty_db` at :attr:`bandwidth_hz`, dB.

        Parameters
        ----------
        symbol_rate_baud : float
            Symbol rate, baud.
        """
        return float(isi_penalty_db(self.bandwidth_hz, symbol_rate_baud, self.modulation))

    # --------------------------------------------------------------------------------- drive
    def resonance_shift_m(self, voltage_v):
        """Resonance red shift at reverse-bias voltage ``voltage_v`` relative to 0 V, metres.

        Parameters
        ----------
        voltage_v : float or array_like
            Reverse bias, volts (> -built_in_voltage_v for ``"junction"``).
        """
        v = check_range("voltage_v", voltage_v, low=-50.0, high=50.0)
        if self.shift_model == "linear":
            return self.efficiency_m_per_v * v
        vbi = self.built_in_voltage_v
        if np.any(v <= -vbi):
            raise ValueError(f"voltage_v must be > -built_in_voltage_v = {-vbi} (junction form)")
        return 2.0 * self.efficiency_m_per_v * np.sqrt(vbi) * (np.sqrt(vbi + v) - np.sqrt(vbi))

    def transmission(self, *, bias_detuning_m, voltage_v):
        """Through-port transmission at the laser for drive ``voltage_v`` (linear, 0…1).

        Parameters
        ----------
        bias_detuning_m : float
            Resonance at the lowest drive voltage minus laser wavelength, metres (the heater
            sets it).
        voltage_v : float or array_like
            Reverse bias, volts.
        """
        delta_t = self.ring_temperature_k(bias_detuning_m=bias_detuning_m, voltage_v=voltage_v)
        return self.ring.through(self.wavelength_m, delta_t_k=delta_t)

    def ring_temperature_k(self, *, bias_detuning_m, voltage_v):
        """Temperature rise at which :attr:`ring` has the resonance the modulator holds at this
        bias and drive, kelvin: the heater's bias plus the junction's shift, expressed as the
        equivalent heating (``ring.through_field(λ, delta_t_k=…)`` is then the modulator's field).

        Parameters
        ----------
        bias_detuning_m : float
            Resonance at the lowest drive voltage minus laser wavelength, metres.
        voltage_v : float or array_like
            Reverse bias, volts.
        """
        v_low = self.reverse_bias_v - self.drive_swing_vpp / 2.0
        shift = self.resonance_shift_m(voltage_v) - self.resonance_shift_m(v_low)
        check_range("bias_detuning_m", bias_detuning_m, low=-1e-6, high=1e-6)
        target = self.wavelength_m + bias_detuning_m + shift
        return (target - self.cold_resonance_m) / self.thermal_shift_m_per_k

    def drive_voltages_v(self, *, bias_detuning_m) -> np.ndarray:
        """Drive voltage of each level, volts, ascending (pre-distorted if ``predistort``).

        Parameters
        ----------
        bias_detuning_m : float
            Resonance at the lowest drive voltage minus laser wavelength, metres.
        """
        v_low = self.reverse_bias_v - self.drive_swing_vpp / 2.0
        v_high = v_low + self.drive_swing_vpp
        voltages = np.linspace(v_low, v_high, self.levels)
        if not self.predistort or self.levels == 2:
            return voltages
        ends = self.transmission(bias_detuning_m=bias_detuning_m, voltage_v=[v_low, v_high])
        targets = np.linspace(ends[0], ends[1], self.levels)
        inner = [
            optimize.brentq(
                lambda v, t=t: (
                    float(self.transmission(bias_detuning_m=bias_detuning_m, voltage_v=v)) - t
                ),
                v_low,
                v_high,
                xtol=1e-12,
            )
            if (ends[0] - t) * (ends[1] - t) < 0.0
            else np.nan
            for t in targets[1:-1]
        ]
        if np.any(np.isnan(inner)):
            raise ValueError(
                f"bias_detuning_m = {bias_detuning_m} makes the transmission non-monotonic over "
                "the swing, so PAM4 levels cannot be pre-distorted; bias further from resonance"
            )
        return np.concatenate([[v_low], inner, [v_high]])

    def levels_at(self, *, bias_detuning_m: float) -> ModulatorLevels:
        """Optical levels, IL, ER, OMA and penalties at a given bias detuning.

        Parameters
        ----------
        bias_detuning_m : float
            Resonance at the lowest drive voltage minus laser wavelength, metres.
        """
        voltages = self.drive_voltages_v(bias_detuning_m=bias_detuning_m)
        t = self.transmission(bias_detuning_m=bias_detuning_m, voltage_v=voltages)
        order = np.argsort(t)
        return ModulatorLevels(
            bias_detuning_m=float(bias_detuning_m),
            voltages_v=voltages[order],
            transmissions=t[order],
            modulation=self.modulation,
        )

    def optimise_bias(self, *, objective: str = "oma", max_detuning_m: float | None = None):
        """Bias detuning (laser on the blue side) that maximises OMA or the smallest eye.

        ``"oma"`` maximises the outer modulation amplitude; ``"eye"`` maximises the smallest of
        the ``M - 1`` eyes, i.e. OMA minus the TDECQ-like level-spacing penalty, which is what
        sets the BER when the noise is the same on every level.

        Parameters
        ----------
        objective : str
            ``"oma"`` or ``"eye"``.
        max_detuning_m : float, optional
            Largest bias searched, metres; default three FWHM.

        Returns
        -------
        ModulatorLevels
            The levels at the optimum.
        """
        check_choice("objective", objective, ("oma", "eye"))
        upper = (
            3.0 * self.fwhm_m
            if max_detuning_m is None
            else float(check_range("max_detuning_m", max_detuning_m, low=0.0, low_inclusive=False))
        )
        key = "oma" if objective == "oma" else "min_eye"

        def score(detuning):
            return level_metrics(self.levels_at(bias_detuning_m=detuning).transmissions)[key]

        grid = np.linspace(0.0, upper, 61)[1:]
        # Equal voltage steps never fail; pre-distortion can, near resonance, so skip those.
        values = np.array([_score_or_nan(score, d) for d in grid])
        best = int(np.nanargmax(values))
        low, high = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
        result = optimize.minimize_scalar(
            lambda d: -_score_or_nan(score, d, fallback=-np.inf),
            bounds=(low, high),
            method="bounded",
            options={"xatol": 1e-15},
        )
        return self.levels_at(bias_detuning_m=float(result.x))

    @cached_property
    def bias_m(self) -> float:
        """The bias the lock holds: :attr:`bias_detuning_m`, or the smallest-eye optimum
        (:meth:`optimise_bias` with ``objective="eye"``, computed once), metres."""
        if self.bias_detuning_m is not None:
            return float(self.bias_detuning_m)
        return self.optimise_bias(objective="eye").bias_detuning_m

    def operating_point(
        self, *, bias_detuning_m: float | None = None, drive_swing_ratio: float = 1.0
    ) -> ModulatorOperatingPoint:
        """This modulator at a bias in the Airy form of the link budget, exact for its ring.

        Each level's round-trip phase from resonance (the ring at the equivalent temperature of
        its drive voltage, :meth:`transmission`), the ring's coefficient of finesse
        ``4x/(1 - x)²`` and dip ``d²/(1 - x)²`` make ``1 - D/(1 + F·sin²(π·c_k))`` equal
        :meth:`transmission` at every level to rounding.

        Parameters
        ----------
        bias_detuning_m : float, optional
            Resonance at the lowest drive voltage minus laser wavelength, metres; default
            :attr:`bias_m`.
        drive_swing_ratio : float
            Driver output swing over its nominal ``drive_swing_vpp`` (dimensionless, 0 … 2):
            every level voltage ``V_k`` becomes ``reverse_bias_v + ratio·(V_k −
            reverse_bias_v)`` (the driver's codes fixed, its amplitude scaled about its DC
            bias), with the heater where it holds the nominal swing's bias, so the lowest level
            moves too. Default 1.
        """
        bias = self.bias_m if bias_detuning_m is None else float(bias_detuning_m)
        ratio = float(
            check_range(
                "drive_swing_ratio", drive_swing_ratio, low=0.0, high=2.0, low_inclusive=False
            )
        )
        nominal = self.drive_voltages_v(bias_detuning_m=bias)
        voltages = self.reverse_bias_v + ratio * (nominal - self.reverse_bias_v)
        shifts = self.resonance_shift_m(voltages) - self.resonance_shift_m(nominal[0])
        delta_t = (self.wavelength_m + bias + shifts - self.cold_resonance_m) / (
            self.thermal_shift_m_per_k
        )
        cycles = self.ring.round_trip_phase_cycles(self.wavelength_m, delta_t_k=delta_t)
        cycles = cycles - np.round(cycles)
        fsr = float(self.ring.fsr_m(self.wavelength_m, delta_t_k=delta_t[0]))
        t_min = float(self.ring.through_on_resonance())
        return ModulatorOperatingPoint(
            modulation=self.modulation,
            bias_detuning_m=bias + float(shifts[0]),
            level_shifts_m=tuple(shifts - shifts[0]),
            fwhm_m=float(airy_fwhm_m(self.ring.airy_coefficient(), fsr_m=fsr)),
            extinction_db=float(-10.0 * np.log10(t_min)),
            fsr_m=fsr,
            wavelength_m=self.wavelength_m,
            rc_bandwidth_hz=self.rc_bandwidth_hz,
            level_phase_cycles=tuple(cycles),
            origin="device",
        )

    # -------------------------------------------------------------------------- self-heating
    def self_heating_at_lock(self, *, input_power_w) -> LockedSelfHeating:
        """:func:`locked_self_heating` of this modulator at its bias.

        Parameters
        ----------
        input_power_w : float or array_like
            Optical power in the bus at the ring, W (≥ 0).
        """
        return locked_self_heating(
            self.operating_point(),
            input_power_w=input_power_w,
            thermal_shift_m_per_k=self.thermal_shift_m_per_k,
            thermal_resistance_k_per_w=self.thermal_resistance_k_per_w,
            heat_fraction=self.heat_fraction,
        )

    def self_heating_threshold_w(self) -> float:
        """Input power above which self-heating can be bistable (Lorentzian analytic), watts.

        ``P_th = σ_th·(FWHM/2) / (dλ/dT · R_th · η_heat · (1 - T_min))`` with
        ``σ_th = 8√3/9`` (:data:`BISTABILITY_THRESHOLD`).
        """
        depth = 1.0 - 10.0 ** (-float(self.ring.extinction_ratio_db(self.wavelength_m)) / 10.0)
        shift_per_w = (
            self.thermal_shift_m_per_k
            * self.thermal_resistance_k_per_w
            * self.heat_fraction
            * depth
        )
        return BISTABILITY_THRESHOLD * 0.5 * self.fwhm_m / shift_per_w

    def self_heating(self, *, input_power_w: float, laser_detuning_m, grid_points: int = 4001):
        """All steady states of the self-heated ring at a fixed drive, for each laser detuning.

        The ring temperature rise ``ΔT`` solves ``ΔT = R_th·η_heat·P_in·(1 - T(λ_L; ΔT))``
        with the exact ring transmission. Roots are bracketed on a grid of ``grid_points``
        temperatures over ``[0, R_th·η_heat·P_in]`` and refined by bisection; a root is stable
        when the heating grows slower than ``ΔT`` through it.

        Parameters
        ----------
        input_power_w : float
            Optical power in the bus at the ring, watts (≥ 0).
        laser_detuning_m : float or array_like
            Cold resonance (no heating, 0 V) minus laser wavelength, metres; negative puts the
            laser on the red side, where bistability occurs.
        grid_points : int
            Bracketing grid size (≥ 100).

        Returns
        -------
        SelfHeatingSweep
        """
        power = float(check_range("input_power_w", input_power_w, low=0.0, high=10.0))
        detuning = np.atleast_1d(
            check_range("laser_detuning_m", laser_detuning_m, low=-1e-6, high=1e-6)
        )
        if detuning.ndim != 1:
            raise ValueError(f"laser_detuning_m must be a scalar or 1-D; got {detuning.shape}")
        check_range("grid_points", grid_points, low=100, high=1e6)
        gain_k = self.thermal_resistance_k_per_w * self.heat_fraction * power
        laser = self.cold_resonance_m - detuning  # laser wavelength per case
        # Ring.through takes one wavelength per call: express the laser offset as a temperature.
        offset_k = (self.wavelength_m - laser) / self.thermal_shift_m_per_k

        def residual(offset, delta_t):  # heating imbalance, kelvin
            t = self.ring.through(self.wavelength_m, delta_t_k=offset + delta_t)
            return delta_t - gain_k * (1.0 - t)

        solutions = np.full((detuning.size, 3), np.nan)
        stable = np.zeros((detuning.size, 3), dtype=bool)
        if gain_k > 0.0:
            grid = np.linspace(0.0, gain_k, int(grid_points))
            values = residual(offset_k[:, None], grid[None, :])
            crossing = np.signbit(values[:, :-1]) != np.signbit(values[:, 1:])
            rows, cols = np.nonzero(crossing)
            low, high = grid[cols], grid[cols + 1]
            low_value = values[rows, cols]
            for _ in range(60):
                mid = 0.5 * (low + high)
                mid_value = residual(offset_k[rows], mid)
                same = np.signbit(mid_value) == np.signbit(low_value)
                low, low_value = np.where(same, mid, low), np.where(same, mid_value, low_value)
                high = np.where(same, high, mid)
            slot = np.zeros(rows.size, dtype=int)
            for k in range(1, rows.size):
                slot[k] = slot[k - 1] + 1 if rows[k] == rows[k - 1] else 0
            keep = slot < 3
            solutions[rows[keep], slot[keep]] = 0.5 * (low + high)[keep]
            stable[rows[keep], slot[keep]] = values[rows, cols + 1][keep] > 0.0
        else:
            solutions[:, 0] = 0.0
            stable[:, 0] = True
        shift = solutions * self.thermal_shift_m_per_k
        with np.errstate(invalid="ignore"):
            transmission = np.where(
                np.isnan(solutions),
                np.nan,
                self.ring.through(
                    self.wavelength_m, delta_t_k=offset_k[:, None] + np.nan_to_num(solutions)
                ),
            )
        return SelfHeatingSweep(
            input_power_w=power,
            laser_detuning_m=detuning,
            temperature_rise_k=solutions,
            resonance_shift_m=shift,
            absorbed_power_w=np.where(
                np.isnan(solutions), np.nan, power * self.heat_fraction * (1.0 - transmission)
            ),
            transmission=transmission,
            stable=stable,
            threshold_w=self.self_heating_threshold_w(),
        )


@dataclass(frozen=True, kw_only=True)
class LockedSelfHeating:
    """Steady self-heating of locked modulator rings (arrays broadcast over rings).

    Parameters
    ----------
    absorbed_power_w : ndarray
        Mean optical power turned into heat in the ring over the levels, W.
    resonance_shift_m : ndarray
        Red shift of the resonance from that heat, m; the heater supplies this much less.
    stability : ndarray
        ``1 - G·P·dA/dδ`` (dimensionless): > 0 where the locked point is thermally stable on
        its own (always on the blue side), ≤ 0 where heating runs away (a failure).
    """

    absorbed_power_w: np.ndarray
    resonance_shift_m: np.ndarray
    stability: np.ndarray

    @property
    def stable(self) -> np.ndarray:
        """True where the locked point is thermally stable (:attr:`stability` > 0)."""
        return self.stability > 0.0


def locked_self_heating(
    operating_point: ModulatorOperatingPoint,
    *,
    input_power_w,
    thermal_shift_m_per_k,
    thermal_resistance_k_per_w,
    heat_fraction,
    fwhm_m=None,
    extinction_db=None,
) -> LockedSelfHeating:
    """Self-heating of rings locked at ``operating_point`` (the symbols are far faster than the
    ring's thermal time, so the ring sees the mean absorption over the levels).

    With ``A(δ)`` the mean absorbed fraction ``D/(1 + F·sin²(π·(c_k + δ/FSR)))`` and
    ``G = R_th·η·dλ/dT`` (m/W), the resonance sits ``G·P·A`` red of where the heater alone
    puts it, and a small detuning grows by ``G·P·dA/dδ`` per unit: the point is stable while
    ``1 - G·P·dA/dδ > 0``, which holds for every blue-side bias (``dA/dδ < 0``); the
    bistable window of the unlocked ring (:meth:`RingModulator.self_heating`) lies on the red
    side (de Cea et al., Opt. Express 27(17), 24274 (2019); Zheng et al., Opt. Express 20(10),
    11478 (2012)).

    Parameters
    ----------
    operating_point : ModulatorOperatingPoint
        The levels (their phases) and the nominal ring.
    input_power_w : float or array_like
        Optical power in the bus at the ring, W (≥ 0).
    thermal_shift_m_per_k : float
        Resonance shift per kelvin, m/K (> 0).
    thermal_resistance_k_per_w : float
        Ring temperature rise per absorbed watt, K/W (> 0).
    heat_fraction : float
        Fraction of the lost power that becomes heat (0 … 1).
    fwhm_m, extinction_db : float or array_like, optional
        Each ring's own Airy linewidth (m) and dip depth (dB); default the operating point's.
    """
    power = check_range("input_power_w", input_power_w, low=0.0)
    fwhm = np.asarray(operating_point.fwhm_m if fwhm_m is None else fwhm_m)
    depth = 1.0 - 10.0 ** (
        -np.asarray(operating_point.extinction_db if extinction_db is None else extinction_db)
        / 10.0
    )
    coefficient = airy_coefficient(fwhm_m=fwhm, fsr_m=operating_point.fsr_m)[..., None]
    phase = np.pi * np.asarray(operating_point.level_phase_cycles)
    denominator = 1.0 + coefficient * np.sin(phase) ** 2
    absorbed = (depth[..., None] / denominator).mean(axis=-1)
    slope = (
        -depth[..., None]
        * coefficient
        * np.sin(2.0 * phase)
        * np.pi
        / operating_point.fsr_m
        / denominator**2
    ).mean(axis=-1)
    gain = thermal_resistance_k_per_w * heat_fraction * thermal_shift_m_per_k * power
    return LockedSelfHeating(
        absorbed_power_w=heat_fraction * power * absorbed,
        resonance_shift_m=gain * absorbed,
        stability=1.0 - gain * slope,
    )


def _score_or_nan(score, detuning, fallback=np.nan):
    try:
        return float(score(detuning))
    except ValueError:
        return fallback


@dataclass(frozen=True, kw_only=True)
class ModulatorLevels:
    """Optical levels of a driven ring modulator at one bias.

    Parameters
    ----------
    bias_detuning_m : float
        Resonance at the lowest drive voltage minus laser wavelength, metres.
    voltages_v : ndarray, shape (M,)
        Drive voltage of each level, volts, in order of increasing transmission.
    transmissions : ndarray, shape (M,)
        Power transmission of each level at the laser (linear), ascending.
    modulation : str
        ``"nrz"`` or ``"pam4"``.
    """

    bias_detuning_m: float
    voltages_v: np.ndarray
    transmissions: np.ndarray
    modulation: str

    def _metric(self, name):
        return float(level_metrics(self.transmissions)[name])

    @property
    def insertion_loss_db(self) -> float:
        """Average-power insertion loss, dB."""
        return self._metric("insertion_loss_db")

    @property
    def extinction_ratio_db(self) -> float:
        """Highest over lowest level, dB."""
        return self._metric("extinction_ratio_db")

    @property
    def oma(self) -> float:
        """Outer modulation amplitude as a fraction of the input power."""
        return self._metric("oma")

    @property
    def eye_penalty_db(self) -> float:
        """TDECQ-like penalty of unequal eyes, dB (0 for NRZ)."""
        return self._metric("eye_penalty_db")

    @property
    def transmitter_penalty_db(self) -> float:
        """ER penalty plus eye penalty, dB (see :func:`level_metrics`)."""
        return self._metric("transmitter_penalty_db")

    def to_dataframe(self):
        """One row per level: ``level``, ``voltage_v``, ``transmission``, ``transmission_db``."""
        import pandas as pd

        return pd.DataFrame(
            {
                "level": np.arange(self.transmissions.size),
                "voltage_v": self.voltages_v,
                "transmission": self.transmissions,
                "transmission_db": 10.0 * np.log10(self.transmissions),
            }
        )

    def plot(self, ax=None):
        """Transmission of each level against its drive voltage; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.devices import plot

        return plot.modulator_levels(self, ax)


@dataclass(frozen=True, kw_only=True)
class SelfHeatingSweep:
    """Steady states of a self-heated modulator ring over a sweep of laser detuning.

    Parameters
    ----------
    input_power_w : float
        Bus power at the ring, watts.
    laser_detuning_m : ndarray, shape (n,)
        Cold resonance minus laser wavelength, metres.
    temperature_rise_k, resonance_shift_m, absorbed_power_w, transmission : ndarray, (n, 3)
        Per steady state (up to three, ascending heating; NaN where absent): ring heating in K,
        resonance red shift in m, heat in W, through transmission (linear).
    stable : ndarray of bool, shape (n, 3)
        Whether each steady state is stable.
    threshold_w : float
        Analytic bistability threshold (:meth:`RingModulator.self_heating_threshold_w`), W.
    """

    input_power_w: float
    laser_detuning_m: np.ndarray
    temperature_rise_k: np.ndarray
    resonance_shift_m: np.ndarray
    absorbed_power_w: np.ndarray
    transmission: np.ndarray
    stable: np.ndarray
    threshold_w: float

    @property
    def n_solutions(self) -> np.ndarray:
        """Number of steady states at each detuning (1 or 3; 2 only at a fold)."""
        return np.sum(~np.isnan(self.temperature_rise_k), axis=1)

    @property
    def is_bistable(self) -> bool:
        """True if any detuning in the sweep has more than one steady state."""
        return bool(np.any(self.n_solutions > 1))

    def to_dataframe(self):
        """Long table: ``laser_detuning_m``, ``branch``, ``temperature_rise_k``,
        ``resonance_shift_m``, ``absorbed_power_w``, ``transmission``, ``stable``."""
        import pandas as pd

        n = self.laser_detuning_m.size
        present = ~np.isnan(self.temperature_rise_k)
        return pd.DataFrame(
            {
                "laser_detuning_m": np.repeat(self.laser_detuning_m, 3)[present.ravel()],
                "branch": np.tile(np.arange(3), n)[present.ravel()],
                "temperature_rise_k": self.temperature_rise_k[present],
                "resonance_shift_m": self.resonance_shift_m[present],
                "absorbed_power_w": self.absorbed_power_w[present],
                "transmission": self.transmission[present],
                "stable": self.stable[present],
            }
        )

    def plot(self, ax=None):
        """Transmission against laser detuning, stable states solid, unstable dotted.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.devices import plot

        return plot.self_heating(self, ax)


__all__ = [
    "BISTABILITY_THRESHOLD",
    "MODULATION_LEVELS",
    "OPERATING_POINT_ORIGINS",
    "SHIFT_MODELS",
    "LockedSelfHeating",
    "ModulatorLevels",
    "ModulatorOperatingPoint",
    "RingModulator",
    "SelfHeatingSweep",
    "isi_penalty_db",
    "level_metrics",
    "locked_self_heating",
    "modulation_levels",
]
