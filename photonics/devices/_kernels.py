"""Numba kernels for many rings × many wavelengths (private; used by
:mod:`cposim.photonics.devices.ring`).

The per-ring quantities are precomputed in NumPy (O(rings), :func:`ring_coefficients`); the
kernels do the O(rings × wavelengths) work, parallel over rings, with a vectorisable inner loop.

Per ring the round-trip phase in cycles is ``n_eff(λ)·L/λ = p/λ - q`` with
``p = (ng + dneff_dt·ΔT)·L`` and ``q = (ng - neff)·L/λ0`` (first-order dispersion, see
:class:`~cposim.photonics.devices.ring.Ring`).

The textbook forms (Bogaerts et al. 2012, eqs. 4 and 6) subtract nearly equal numbers near
resonance (``1 - 2x·cos φ + x²`` with ``x = r1·r2·a`` close to 1). The kernels use the
algebraically identical, cancellation-free forms

    through = (d² + 4x·sin²(φ/2)) / ((1 - x)² + 4x·sin²(φ/2)),   d = r2·a - r1,
    drop    = κ1²·κ2²·a / ((1 - x)² + 4x·sin²(φ/2)),

with ``1 - x`` and ``d`` computed from ``log1p``/``expm1``, so both ports keep full relative
accuracy even for weakly coupled, nearly lossless rings.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from cposim.control.core.jit import jit_parallel
from cposim.control.core.vecmath import cos_sin_2pi, sin_squared_pi

_LN10_OVER_20 = np.log(10.0) / 20.0


class RingTerms(NamedTuple):
    """Per-ring inputs of the kernels, flat arrays of shape (n_rings,), built in one place
    (:meth:`Ring._phase_terms <cposim.photonics.devices.ring.Ring>`)."""

    p_m: np.ndarray
    """Phase coefficient ``(ng + dneff_dt·ΔT)·L``, metres: the phase is ``p/λ - q`` cycles."""
    q_cycles: np.ndarray
    """Phase offset ``(ng - neff)·L/λ0``, cycles."""
    x: np.ndarray
    """``r1·r2·a`` (dimensionless)."""
    one_minus_x: np.ndarray
    """``1 - x``, computed without cancellation."""
    mismatch: np.ndarray
    """``d = r2·a - r1`` (dimensionless)."""
    drop_numerator: np.ndarray
    """``κ1²·κ2²·a`` (dimensionless)."""


def ring_coefficients(power_coupling_in, power_coupling_drop, loss_db_per_m, length_m):
    """Accurate per-ring constants ``x = r1·r2·a``, ``1 - x``, ``d = r2·a - r1`` and ``κ1²κ2²a``.

    Parameters
    ----------
    power_coupling_in, power_coupling_drop : ndarray
        κ1² and κ2² (dimensionless).
    loss_db_per_m : ndarray
        Propagation loss in dB/m.
    length_m : ndarray
        Round-trip length in metres.
    """
    ln_a = -np.asarray(loss_db_per_m) * np.asarray(length_m) * _LN10_OVER_20
    ln_r1 = 0.5 * np.log1p(-np.asarray(power_coupling_in))
    ln_r2 = 0.5 * np.log1p(-np.asarray(power_coupling_drop))
    ln_x = ln_r1 + ln_r2 + ln_a
    x = np.exp(ln_x)
    one_minus_x = -np.expm1(ln_x)
    mismatch = np.exp(ln_r1) * np.expm1(ln_r2 + ln_a - ln_r1)
    drop_numerator = np.asarray(power_coupling_in) * np.asarray(power_coupling_drop) * np.exp(ln_a)
    return x, one_minus_x, mismatch, drop_numerator


@jit_parallel
def through_drop_power(terms, inverse_wavelength, want_drop, through, drop):
    """Fill ``through[i, j]`` and (if ``want_drop``) ``drop[i, j]``, linear power transmission.

    Parameters
    ----------
    terms : RingTerms
        Per-ring inputs, shape (n_rings,) each.
    inverse_wavelength : ndarray, shape (n_wavelengths,)
        ``1/λ`` in 1/m.
    want_drop : bool
        Whether to fill ``drop`` as well.
    through, drop : ndarray, shape (n_rings, n_wavelengths)
        Outputs.
    """
    p, q, x, one_minus_x, mismatch, drop_numerator = terms
    n_wavelengths = inverse_wavelength.size
    for i in numba.prange(p.size):
        four_x = 4.0 * x[i]
        floor = one_minus_x[i] * one_minus_x[i]
        d2 = mismatch[i] * mismatch[i]
        row_through = through[i]
        for j in range(n_wavelengths):
            detuning = four_x * sin_squared_pi(p[i] * inverse_wavelength[j] - q[i])
            row_through[j] = (d2 + detuning) / (floor + detuning)
        if want_drop:
            row_drop = drop[i]
            for j in range(n_wavelengths):
                detuning = four_x * sin_squared_pi(p[i] * inverse_wavelength[j] - q[i])
                row_drop[j] = drop_numerator[i] / (floor + detuning)


@jit_parallel
def through_drop_field(terms, r2a, inverse_wavelength, through, drop):
    """Fill the complex field transmissions ``through[i, j]`` and ``drop[i, j]``.

    Conventions (Bogaerts et al., Laser Photonics Rev. 6, 47 (2012), with real couplings):
    ``E_t = (r1 - r2·a·e^{iφ}) / (1 - x·e^{iφ})`` and
    ``E_d = -κ1·κ2·√a·e^{iφ/2} / (1 - x·e^{iφ})``, evaluated as
    ``1 - x·e^{iφ} = (1 - x) + 2x·sin²(φ/2) - i·x·sin φ`` and
    ``r1 - r2·a·e^{iφ} = -d + 2·r2·a·sin²(φ/2) - i·r2·a·sin φ`` to avoid cancellation.

    Parameters
    ----------
    terms : RingTerms
        Per-ring inputs, shape (n_rings,) each.
    r2a : ndarray, shape (n_rings,)
        ``r2·a``.
    inverse_wavelength : ndarray, shape (n_wavelengths,)
        ``1/λ`` in 1/m.
    through, drop : complex ndarray, shape (n_rings, n_wavelengths)
        Outputs.
    """
    p, q, x, one_minus_x, mismatch, drop_numerator = terms
    n_wavelengths = inverse_wavelength.size
    for i in numba.prange(p.size):
        drop_scale = -np.sqrt(drop_numerator[i])
        for j in range(n_wavelengths):
            half_c, half_s = cos_sin_2pi(0.5 * (p[i] * inverse_wavelength[j] - q[i]))
            sin_phi = 2.0 * half_s * half_c
            versine = 2.0 * half_s * half_s  # 1 - cos φ
            den_re = one_minus_x[i] + x[i] * versine
            den_im = -x[i] * sin_phi
            inv_norm = 1.0 / (den_re * den_re + den_im * den_im)
            num_re = -mismatch[i] + r2a[i] * versine
            num_im = -r2a[i] * sin_phi
            through[i, j] = complex(
                (num_re * den_re + num_im * den_im) * inv_norm,
                (num_im * den_re - num_re * den_im) * inv_norm,
            )
            drop[i, j] = complex(
                drop_scale * (half_c * den_re + half_s * den_im) * inv_norm,
                drop_scale * (half_s * den_re - half_c * den_im) * inv_norm,
            )
