"""Microring resonators: all-pass and add-drop rings, one or many at once.

Physics follows Bogaerts et al., "Silicon microring resonators", Laser Photonics Rev. 6, 47-73
(2012): a ring of round-trip length ``L = 2πR + 2·straight`` with power couplings κ1² (input bus)
and κ2² (drop bus), self-couplings ``r_i = √(1 - κ_i²)``, round-trip amplitude
``a = 10^(-loss_db_per_m·L/20)`` and round-trip phase ``φ = 2π·n_eff(λ, ΔT)·L/λ``, where

    n_eff(λ, ΔT) = neff - (ng - neff)·(λ - λ0)/λ0 + dneff_dt_per_k·ΔT

(first-order dispersion around ``wavelength0_m``, so the group index is ``ng`` everywhere).

Because ``n_eff`` is linear in λ, the resonance condition ``n_eff(λ_m)·L = m·λ_m`` has the exact
solution ``λ_m = (ng + dneff_dt·ΔT)·L / (m + (ng - neff)·L/λ0)``; every resonance metric below is
computed exactly from it rather than from a numerical search.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np

from cposim.control.core.validation import broadcast_fields, check_range
from cposim.photonics.devices import _kernels as _ring_kernels

# Guard against unit mistakes (nm or µm typed where metres are expected).
WAVELENGTH_RANGE_M = (1e-7, 1e-4)
"""Accepted wavelengths in metres: 100 nm to 100 µm."""

_LN10_OVER_10 = np.log(10.0) / 10.0


@dataclass(frozen=True, kw_only=True)
class Ring:
    """One microring or, when any field is an array, many rings (fields broadcast together).

    Defaults describe the demultiplexer ring of cposim's default 8 λ × 200G link: a 3.6 µm-radius,
    400×220 nm silicon strip ring in the O-band with FSR ≈ 17.9 nm (≈ 8 × 400 GHz channel spacing,
    the rule of WDMSim, github.com/wdmsim/wdm-simulator), loaded Q ≈ 4000 and ≈ 0.8 dB drop
    loss.

    Parameters
    ----------
    radius_m : float or array_like
        Ring radius in metres (> 0, ≤ 1 cm). Default 3.6e-6 (FSR ≈ 8 × channel spacing at
        ng 4.2, the WDMSim rule, github.com/wdmsim/wdm-simulator).
    neff : float or array_like
        Effective index at ``wavelength0_m`` (≥ 1). Default 2.60, 400×220 nm strip at 1310 nm
        (*estimated* with a mode solver, an assumption to calibrate against your process).
    ng : float or array_like
        Group index (≥ 1). Default 4.20 (*estimated* with a mode solver, an
        assumption to calibrate against your process).
    wavelength0_m : float or array_like
        Wavelength at which ``neff`` is given, metres. Default 1300.05e-9, the centre of the
        O-band grid of the CW-WDM MSA Technical Specification rev 1.0 (2021).
    loss_db_per_m : float or array_like
        Propagation loss of the ring waveguide in dB/m (≥ 0). Default 2000 dB/m (20 dB/cm): an
        *assumption* for a doped, tightly bent modulator/filter ring, giving intrinsic Q ≈ 44 000.
    power_coupling_in : float or array_like
        κ1², fraction of power crossing the input-bus coupler (0 < κ1² < 1). Default 0.05,
        chosen with the drop coupling to give loaded Q ≈ 4000 (consistent with
        Zhang et al., Photonics Res. 10(4), 1127 (2022)).
    power_coupling_drop : float or array_like
        κ2², fraction of power crossing the drop-bus coupler (0 ≤ κ2² < 1; 0 is an all-pass
        ring). Default 0.05 (symmetric add-drop, see above).
    dneff_dt_per_k : float or array_like
        Thermo-optic coefficient of the mode, 1/K. Default 2.035e-4, which gives the
        default dλ/dT = 63 pm/K at ng 4.2 (estimated with a mode solver, an assumption to
        calibrate; inside the measured 60-90 pm/K, Appl. Phys. Lett. 121, 261104 (2022)).
    straight_length_m : float or array_like
        Length of each straight coupler section of a racetrack, metres (≥ 0); the round trip is
        ``2πR + 2·straight``. Default 0 (circular ring).

    Notes
    -----
    Methods that take ``wavelength_m`` return arrays of shape ``ring_shape + wavelength_shape``,
    where ``ring_shape`` is the broadcast shape of the fields and of ``delta_t_k`` (a per-ring
    temperature rise in kelvin). Resonance metrics take ``near_m``, which broadcasts with the
    ring shape (one target wavelength per ring or one for all).
    """

    radius_m: float | np.ndarray = 3.6e-6
    neff: float | np.ndarray = 2.60
    ng: float | np.ndarray = 4.20
    wavelength0_m: float | np.ndarray = 1300.05e-9
    loss_db_per_m: float | np.ndarray = 2000.0
    power_coupling_in: float | np.ndarray = 0.05
    power_coupling_drop: float | np.ndarray = 0.05
    dneff_dt_per_k: float | np.ndarray = 2.035e-4
    straight_length_m: float | np.ndarray = 0.0

    def __post_init__(self):
        checked = {
            "radius_m": check_range(
                "radius_m", self.radius_m, low=0.0, high=1e-2, low_inclusive=False
            ),
            "neff": check_range("neff", self.neff, low=1.0),
            "ng": check_range("ng", self.ng, low=1.0),
            "wavelength0_m": _check_wavelength("wavelength0_m", self.wavelength0_m),
            "loss_db_per_m": check_range("loss_db_per_m", self.loss_db_per_m, low=0.0),
            "power_coupling_in": check_range(
                "power_coupling_in",
                self.power_coupling_in,
                low=0.0,
                high=1.0,
                low_inclusive=False,
                high_inclusive=False,
            ),
            "power_coupling_drop": check_range(
                "power_coupling_drop",
                self.power_coupling_drop,
                low=0.0,
                high=1.0,
                high_inclusive=False,
            ),
            "dneff_dt_per_k": check_range("dneff_dt_per_k", self.dneff_dt_per_k),
            "straight_length_m": check_range(
                "straight_length_m", self.straight_length_m, low=0.0, high=1e-2
            ),
        }
        broadcast_fields(checked)
        for name, value in checked.items():
            object.__setattr__(self, name, value if value.ndim else float(value))
        one_minus_x = self._coefficients()[1]
        if np.any(one_minus_x * one_minus_x == 0.0):
            raise ValueError(
                "power_coupling_in is too small to resolve in float64 for a lossless ring "
                "(1 - r1·r2·a underflows: a zero linewidth); use power_coupling_in >= 1e-100 "
                "or a nonzero loss_db_per_m"
            )

    # ----------------------------------------------------------------------- derived quantities
    @property
    def shape(self) -> tuple[int, ...]:
        """Broadcast shape of the ring fields (``()`` for a single ring)."""
        return np.broadcast_shapes(*(np.shape(getattr(self, f.name)) for f in fields(self)))

    @property
    def round_trip_length_m(self):
        """Round-trip length ``L = 2πR + 2·straight`` in metres."""
        return 2.0 * np.pi * np.asarray(self.radius_m) + 2.0 * np.asarray(self.straight_length_m)

    @property
    def self_coupling_in(self):
        """Input-coupler self-coupling amplitude ``r1 = √(1 - κ1²)`` (dimensionless)."""
        return np.sqrt(1.0 - np.asarray(self.power_coupling_in))

    @property
    def self_coupling_drop(self):
        """Drop-coupler self-coupling amplitude ``r2 = √(1 - κ2²)`` (dimensionless)."""
        return np.sqrt(1.0 - np.asarray(self.power_coupling_drop))

    @property
    def round_trip_amplitude(self):
        """Round-trip field amplitude ``a = 10^(-loss_db_per_m·L/20)`` (dimensionless)."""
        return 10.0 ** (-np.asarray(self.loss_db_per_m) * self.round_trip_length_m / 20.0)

    @property
    def is_all_pass(self):
        """True where the ring has no drop bus (``power_coupling_drop == 0``)."""
        return np.asarray(self.power_coupling_drop) == 0.0

    def neff_at(self, wavelength_m, *, delta_t_k=0.0):
        """Effective index ``n_eff(λ, ΔT)`` (dimensionless), shape ``ring_shape + λ shape``.

        Parameters
        ----------
        wavelength_m : float or array_like
            Wavelength in metres.
        delta_t_k : float or array_like
            Temperature rise of the ring above the reference, kelvin (broadcasts with the ring).
        """
        lam = _check_wavelength("wavelength_m", wavelength_m)
        dt = _check_delta_t(delta_t_k)
        shape = np.broadcast_shapes(self.shape, dt.shape)
        expand = (...,) + (None,) * lam.ndim
        n0, group, lam0, dndt, dt = (
            np.broadcast_to(v, shape)[expand]
            for v in (self.neff, self.ng, self.wavelength0_m, self.dneff_dt_per_k, dt)
        )
        return n0 - (group - n0) * (lam - lam0) / lam0 + dndt * dt

    # -------------------------------------------------------------------------- transmission
    def through(self, wavelength_m, *, delta_t_k=0.0) -> np.ndarray:
        """Through-port power transmission (linear, 0…1).

        Parameters
        ----------
        wavelength_m : float or array_like
            Wavelengths in metres (any shape).
        delta_t_k : float or array_like
            Ring temperature rise in kelvin, broadcast with the ring fields.

        Returns
        -------
        ndarray
            Shape ``ring_shape + wavelength_shape``.
        """
        return self._power(wavelength_m, delta_t_k, want_drop=False)[0]

    def drop(self, wavelength_m, *, delta_t_k=0.0) -> np.ndarray:
        """Drop-port power transmission (linear, 0…1; zero for all-pass rings).

        Parameters
        ----------
        wavelength_m : float or array_like
            Wavelengths in metres (any shape).
        delta_t_k : float or array_like
            Ring temperature rise in kelvin, broadcast with the ring fields.

        Returns
        -------
        ndarray
            Shape ``ring_shape + wavelength_shape``.
        """
        return self._power(wavelength_m, delta_t_k, want_drop=True)[1]

    def through_field(self, wavelength_m, *, delta_t_k=0.0) -> np.ndarray:
        """Complex through-port field transmission ``(r1 - r2·a·e^{iφ})/(1 - r1·r2·a·e^{iφ})``.

        Parameters
        ----------
        wavelength_m : float or array_like
            Wavelengths in metres (any shape).
        delta_t_k : float or array_like
            Ring temperature rise in kelvin, broadcast with the ring fields.
        """
        return self._fields(wavelength_m, delta_t_k)[0]

    def drop_field(self, wavelength_m, *, delta_t_k=0.0) -> np.ndarray:
        """Complex drop-port field ``-κ1·κ2·√a·e^{iφ/2}/(1 - r1·r2·a·e^{iφ})``.

        Parameters
        ----------
        wavelength_m : float or array_like
            Wavelengths in metres (any shape).
        delta_t_k : float or array_like
            Ring temperature rise in kelvin, broadcast with the ring fields.
        """
        return self._fields(wavelength_m, delta_t_k)[1]

    def spectrum(self, wavelength_m, *, delta_t_k=0.0):
        """Through and drop spectra as a :class:`RingSpectrum` (with ``.plot`` and a table).

        Parameters
        ----------
        wavelength_m : array_like
            1-D wavelength grid in metres.
        delta_t_k : float or array_like
            Ring temperature rise in kelvin, broadcast with the ring fields.
        """
        lam = _check_wavelength("wavelength_m", wavelength_m)
        if lam.ndim != 1:
            raise ValueError(f"wavelength_m must be 1-D for a spectrum; got shape {lam.shape}")
        through, drop = self._power(lam, delta_t_k, want_drop=True)
        return RingSpectrum(
            wavelength_m=lam, through=through, drop=drop, all_pass=bool(np.all(self.is_all_pass))
        )

    # ---------------------------------------------------------------------- resonance metrics
    def resonance_m(self, near_m, *, delta_t_k=0.0):
        """Exact resonance wavelength nearest ``near_m``, in metres (dispersion included).

        Parameters
        ----------
        near_m : float or array_like
            Wavelength in metres to search around; broadcasts with the ring shape.
        delta_t_k : float or array_like
            Ring temperature rise in kelvin.
        """
        p, q, near = self._resonance_terms(near_m, delta_t_k)
        order = _nearest_order(p, q, near)
        return p / (order + q)

    def resonance_of_order_m(self, order, *, delta_t_k=0.0):
        """Exact wavelength of the resonance of azimuthal order ``order``, in metres.

        Use it to follow one resonance as the ring heats (``resonance_m`` jumps to a
        neighbouring order once the shift exceeds half an FSR).

        Parameters
        ----------
        order : int or array_like of int
            Azimuthal order m ≥ 1 (``n_eff·L = m·λ``); broadcasts with the ring shape.
        delta_t_k : float or array_like
            Ring temperature rise in kelvin.
        """
        order = check_range("order", order, low=1.0)
        if np.any(order != np.round(order)):
            raise ValueError(f"order = {order!r} must hold whole numbers >= 1")
        shape, terms = self._phase_terms(delta_t_k)
        p, q = terms.p_m, terms.q_cycles
        return p.reshape(shape) / (order + q.reshape(shape))

    def resonance_order(self, near_m, *, delta_t_k=0.0):
        """Azimuthal order ``m`` (integer) of the resonance nearest ``near_m``.

        Parameters
        ----------
        near_m : float or array_like
            Wavelength in metres; broadcasts with the ring shape.
        delta_t_k : float or array_like
            Ring temperature rise in kelvin.
        """
        p, q, near = self._resonance_terms(near_m, delta_t_k)
        return _nearest_order(p, q, near).astype(np.int64)

    def fsr_m(self, near_m, *, delta_t_k=0.0):
        """Free spectral range ``λ²/(n_g·L)`` at the resonance nearest ``near_m``, metres.

        This is the local FSR; neighbouring resonances sit at ``λ ± FSR`` to first order in
        ``FSR/λ`` (use :meth:`resonance_m` for their exact positions).

        Parameters
        ----------
        near_m : float or array_like
            Wavelength in metres; broadcasts with the ring shape.
        delta_t_k : float or array_like
            Ring temperature rise in kelvin.
        """
        p, q, near = self._resonance_terms(near_m, delta_t_k)
        lam = p / (_nearest_order(p, q, near) + q)
        return lam * lam / p  # p = n_g·L

    def fwhm_m(self, near_m, *, delta_t_k=0.0):
        """Exact full width at half maximum of the resonance nearest ``near_m``, metres.

        The half-maximum points solve ``1 - 2x·cos φ + x² = 2(1 - x)²`` with ``x = r1·r2·a``;
        for high finesse this tends to ``(1 - x)·λ²/(π·n_g·L·√x)`` (Bogaerts 2012, eq. 8). Rings
        so lossy or strongly coupled that ``x < 3 - 2√2`` never reach half depth: NaN.

        Parameters
        ----------
        near_m : float or array_like
            Wavelength in metres; broadcasts with the ring shape.
        delta_t_k : float or array_like
            Ring temperature rise in kelvin.
        """
        p, q, near = self._resonance_terms(near_m, delta_t_k)
        x, one_minus_x, *_ = (np.broadcast_to(c, p.shape) for c in self._coefficients())
        half_width_cycles = _half_width_cycles(x, one_minus_x)
        order_term = _nearest_order(p, q, near) + q
        return p / (order_term - half_width_cycles) - p / (order_term + half_width_cycles)

    def q_loaded(self, near_m, *, delta_t_k=0.0):
        """Loaded quality factor ``λ_res/FWHM`` (dimensionless).

        Parameters
        ----------
        near_m : float or array_like
            Wavelength in metres; broadcasts with the ring shape.
        delta_t_k : float or array_like
            Ring temperature rise in kelvin.
        """
        return self.resonance_m(near_m, delta_t_k=delta_t_k) / self.fwhm_m(
            near_m, delta_t_k=delta_t_k
        )

    def q_intrinsic(self, near_m, *, delta_t_k=0.0):
        """Intrinsic quality factor ``2π·n_g/(λ·α)``, α the power loss in 1/m (inf if lossless).

        Parameters
        ----------
        near_m : float or array_like
            Wavelength in metres; broadcasts with the ring shape.
        delta_t_k : float or array_like
            Ring temperature rise in kelvin.
        """
        p, q, near = self._resonance_terms(near_m, delta_t_k)
        lam = p / (_nearest_order(p, q, near) + q)
        group_index = p / np.asarray(self.round_trip_length_m)
        alpha = np.asarray(self.loss_db_per_m) * _LN10_OVER_10
        with np.errstate(divide="ignore"):
            return 2.0 * np.pi * group_index / (lam * alpha)

    def finesse(self, near_m, *, delta_t_k=0.0):
        """Finesse ``FSR/FWHM`` (dimensionless).

        Parameters
        ----------
        near_m : float or array_like
            Wavelength in metres; broadcasts with the ring shape.
        delta_t_k : float or array_like
            Ring temperature rise in kelvin.
        """
        return self.fsr_m(near_m, delta_t_k=delta_t_k) / self.fwhm_m(near_m, delta_t_k=delta_t_k)

    def extinction_ratio_db(self, near_m, *, delta_t_k=0.0):
        """Through-port extinction ratio (off-resonance maximum over on-resonance minimum), dB.

        ``T_max = (r2·a + r1)²/(1 + r1·r2·a)²`` at anti-resonance and
        ``T_min = (r2·a - r1)²/(1 - r1·r2·a)²`` on resonance; inf at critical coupling.

        Parameters
        ----------
        near_m : float or array_like
            Wavelength in metres; broadcasts with the ring shape.
        delta_t_k : float or array_like
            Ring temperature rise in kelvin.
        """
        p, _, _ = self._resonance_terms(near_m, delta_t_k)
        x, one_minus_x, mismatch, _ = self._coefficients()
        r1, r2a = self.self_coupling_in, self.self_coupling_drop * self.round_trip_amplitude
        t_max = (r2a + r1) ** 2 / (1.0 + x) ** 2
        t_min = mismatch**2 / one_minus_x**2
        with np.errstate(divide="ignore"):
            return np.broadcast_to(10.0 * np.log10(t_max / t_min), p.shape).copy()

    def round_trip_phase_cycles(self, wavelength_m, *, delta_t_k=0.0):
        """Round-trip phase ``n_eff(λ, ΔT)·L/λ`` in cycles (whole number on resonance).

        Parameters
        ----------
        wavelength_m : float or array_like
            Wavelength in metres; broadcasts with the ring shape.
        delta_t_k : float or array_like
            Ring temperature rise in kelvin.
        """
        lam = _check_wavelength("wavelength_m", wavelength_m)
        shape, terms = self._phase_terms(delta_t_k)
        return terms.p_m.reshape(shape) / lam - terms.q_cycles.reshape(shape)

    def airy_coefficient(self):
        """Coefficient of finesse ``F = 4x/(1 - x)²`` with ``x = r1·r2·a``: every port is an
        Airy function of the phase, e.g. ``T = 1 - (1 - T_min)/(1 + F·sin²(φ/2))``
        (dimensionless; :mod:`cposim.photonics.devices.lorentzian`)."""
        x, one_minus_x, _, _ = self._coefficients()
        return np.broadcast_to(4.0 * x / one_minus_x**2, self.shape).copy()

    def through_on_resonance(self):
        """Through-port power transmission exactly on resonance, ``d²/(1 - x)²`` (linear).

        ``d = r2·a - r1`` and ``x = r1·r2·a``; it does not depend on which resonance.
        """
        _, one_minus_x, mismatch, _ = self._coefficients()
        return np.broadcast_to(mismatch**2 / one_minus_x**2, self.shape).copy()

    def drop_on_resonance(self):
        """Drop-port power transmission exactly on resonance, ``κ1²·κ2²·a/(1 - x)²`` (linear)."""
        _, one_minus_x, _, drop_numerator = self._coefficients()
        return np.broadcast_to(drop_numerator / one_minus_x**2, self.shape).copy()

    def thermal_shift_m_per_k(self, near_m, *, delta_t_k=0.0):
        """Resonance shift per kelvin ``dλ_res/dT = λ_res·dneff_dt/n_g``, metres per kelvin.

        Parameters
        ----------
        near_m : float or array_like
            Wavelength in metres; broadcasts with the ring shape.
        delta_t_k : float or array_like
            Ring temperature rise in kelvin.
        """
        p, q, near = self._resonance_terms(near_m, delta_t_k)
        length = np.asarray(self.round_trip_length_m)
        return np.asarray(self.dneff_dt_per_k) * length / (_nearest_order(p, q, near) + q)

    def coupling_regime(self, *, rtol: float = 1e-9) -> np.ndarray:
        """``'under'``, ``'critical'`` or ``'over'`` coupled, per ring (array of str).

        Critical coupling is ``r1 = r2·a`` (zero through-port transmission on resonance);
        under-coupled rings have ``r1 > r2·a`` (coupling weaker than loss plus drop).

        Parameters
        ----------
        rtol : float
            Relative tolerance on ``|r1 - r2·a|/r1`` below which a ring counts as critical.
        """
        check_range("rtol", rtol, low=0.0)
        mismatch = np.broadcast_to(self._coefficients()[2], self.shape)  # r2·a - r1
        regime = np.where(mismatch < 0.0, "under", "over")
        return np.where(np.abs(mismatch) <= rtol * self.self_coupling_in, "critical", regime)

    # -------------------------------------------------------------------------------- internals
    @cached_property
    def _coefficient_cache(self):
        # Stored in the instance __dict__ (allowed on a frozen dataclass): many rings' metrics
        # all start from these four arrays, so they are computed once per Ring.
        return _ring_kernels.ring_coefficients(
            self.power_coupling_in,
            self.power_coupling_drop,
            self.loss_db_per_m,
            self.round_trip_length_m,
        )

    def _coefficients(self):
        """``x = r1·r2·a``, ``1 - x``, ``d = r2·a - r1`` and ``κ1²·κ2²·a``, computed accurately."""
        return self._coefficient_cache

    def _phase_terms(self, delta_t_k):
        """Per-ring kernel inputs (:class:`~cposim.photonics.devices._kernels.RingTerms`), flat,
        broadcast to one shape."""
        dt = _check_delta_t(delta_t_k)
        length = self.round_trip_length_m
        p = (np.asarray(self.ng) + np.asarray(self.dneff_dt_per_k) * dt) * length
        q = (np.asarray(self.ng) - np.asarray(self.neff)) * length / np.asarray(self.wavelength0_m)
        shape = np.broadcast_shapes(np.shape(p), np.shape(q), self.shape)
        # Writable C arrays whatever the input: one kernel specialisation (read-only broadcast
        # views would make Numba compile and cache a second one).
        flat = [
            np.require(np.broadcast_to(t, shape), np.float64, ["C", "W"]).ravel()
            for t in (p, q, *self._coefficients())
        ]
        return shape, _ring_kernels.RingTerms(*flat)

    def _resonance_terms(self, near_m, delta_t_k):
        near = _check_wavelength("near_m", near_m)
        shape, terms = self._phase_terms(delta_t_k)
        p, q = terms.p_m, terms.q_cycles
        try:
            out_shape = np.broadcast_shapes(shape, near.shape)
        except ValueError:
            raise ValueError(
                f"near_m has shape {near.shape}, which does not broadcast with the ring shape "
                f"{shape}"
            ) from None
        return (
            np.broadcast_to(p.reshape(shape), out_shape),
            np.broadcast_to(q.reshape(shape), out_shape),
            np.broadcast_to(near, out_shape),
        )

    def _power(self, wavelength_m, delta_t_k, *, want_drop):
        lam = _check_wavelength("wavelength_m", wavelength_m)
        shape, terms = self._phase_terms(delta_t_k)
        inverse = np.ascontiguousarray(1.0 / lam.ravel())
        through = np.empty((terms.p_m.size, inverse.size))
        drop = np.empty_like(through) if want_drop else np.empty((0, 0))
        _ring_kernels.through_drop_power(terms, inverse, want_drop, through, drop)
        out_shape = shape + lam.shape
        return through.reshape(out_shape), (drop.reshape(out_shape) if want_drop else None)

    def _fields(self, wavelength_m, delta_t_k):
        lam = _check_wavelength("wavelength_m", wavelength_m)
        shape, terms = self._phase_terms(delta_t_k)
        inverse = np.ascontiguousarray(1.0 / lam.ravel())
        through = np.empty((terms.p_m.size, inverse.size), dtype=np.complex128)
        drop = np.empty_like(through)
        r2a = np.broadcast_to(self.self_coupling_drop * self.round_trip_amplitude, shape).ravel()
        _ring_kernels.through_drop_field(terms, np.ascontiguousarray(r2a), inverse, through, drop)
        out_shape = shape + lam.shape
        return through.reshape(out_shape), drop.reshape(out_shape)


@dataclass(frozen=True, kw_only=True)
class RingSpectrum:
    """Through and drop spectra of one or many rings.

    Parameters
    ----------
    wavelength_m : ndarray, shape (n_wavelengths,)
        Wavelength grid in metres.
    through, drop : ndarray, shape ring_shape + (n_wavelengths,)
        Linear power transmission of the through and drop ports.
    all_pass : bool
        True when every ring is all-pass (the drop port is then not plotted).
    """

    wavelength_m: np.ndarray
    through: np.ndarray
    drop: np.ndarray
    all_pass: bool

    def to_dataframe(self):
        """Long table with columns ``ring`` (flat ring index), ``wavelength_m``, ``through``,
        ``drop`` (linear)."""
        import pandas as pd

        n_rings = int(np.prod(self.through.shape[:-1], dtype=np.int64))
        n_wavelengths = self.wavelength_m.size
        return pd.DataFrame(
            {
                "ring": np.repeat(np.arange(n_rings), n_wavelengths),
                "wavelength_m": np.tile(self.wavelength_m, n_rings),
                "through": self.through.ravel(),
                "drop": self.drop.ravel(),
            }
        )

    def plot(self, ax=None, *, max_rings: int = 12, db: bool = True, labels=None):
        """Plot the spectra against wavelength in nm; returns the matplotlib Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into; a new figure is made when omitted.
        max_rings : int
            At most this many rings are drawn (the first ones in flat order), a count.
        db : bool
            Whether to plot in dB (floor -60 dB) or as linear transmission.
        labels : sequence of str, optional
            Legend name of each drawn ring (default ``"ring 0"``, ``"ring 1"``, …).
        """
        from cposim.photonics.devices import plot

        return plot.ring_spectrum(self, ax, max_rings=max_rings, db=db, labels=labels)


def _check_wavelength(name, value):
    return check_range(name, value, low=WAVELENGTH_RANGE_M[0], high=WAVELENGTH_RANGE_M[1])


def _check_delta_t(delta_t_k):
    # Colder than 0 K is impossible; anything above a few hundred kelvin melts the package.
    return check_range("delta_t_k", delta_t_k, low=-300.0, high=1000.0)


def _nearest_order(p, q, near):
    """Order m ≥ 1 of the resonance λ_m = p/(m + q) closest to ``near``."""
    estimate = p / near - q
    lower = np.maximum(np.floor(estimate), 1.0)
    upper = lower + 1.0
    closer_upper = np.abs(p / (upper + q) - near) < np.abs(p / (lower + q) - near)
    return np.where(closer_upper, upper, lower)


def _half_width_cycles(x, one_minus_x):
    """Half of the FWHM in round-trip cycles: ``sin(π·d) = (1 - x)/(2√x)`` (NaN if > 1)."""
    sine = one_minus_x / (2.0 * np.sqrt(x))
    with np.errstate(invalid="ignore"):
        return np.where(sine <= 1.0, np.arcsin(np.minimum(sine, 1.0)), np.nan) / np.pi


__all__ = [
    "WAVELENGTH_RANGE_M",
    "Ring",
    "RingSpectrum",
]
