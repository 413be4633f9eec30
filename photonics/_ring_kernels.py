"""Numba kernels for many rings × many wavelengths (private; used by :mod:`cposim.photonics.ring`).

The per-ring quantities are precomputed in NumPy (O(rings)); the kernels do the O(rings ×
wavelengths) work, parallel over rings, with a vectorisable inner loop over wavelengths.

Per ring the round-trip phase in cycles is ``n_eff(λ)·L/λ = p/λ - q`` with
``p = (ng + dneff_dt·ΔT)·L`` and ``q = (ng - neff)·L/λ0`` (first-order dispersion, see
:class:`~cposim.photonics.ring.Ring`), so a kernel needs ``p``, ``q``, the self-couplings ``r1``,
``r2`` and the round-trip amplitude ``a``.
"""

from __future__ import annotations

import numba
import numpy as np

from cposim.control._jit import jit_parallel
from cposim.control._vecmath import cos_2pi, cos_sin_2pi


@jit_parallel
def through_drop_power(p, q, r1, r2, a, inverse_wavelength, want_drop, through, drop):
    """Fill ``through[i, j]`` and (if ``want_drop``) ``drop[i, j]``, linear power transmission.

    Parameters
    ----------
    p, q, r1, r2, a : ndarray, shape (n_rings,)
        Phase coefficients (m, cycles), self-coupling amplitudes and round-trip amplitude.
    inverse_wavelength : ndarray, shape (n_wavelengths,)
        ``1/λ`` in 1/m.
    want_drop : bool
        Whether to fill ``drop`` as well.
    through, drop : ndarray, shape (n_rings, n_wavelengths)
        Outputs.
    """
    n_wavelengths = inverse_wavelength.size
    for i in numba.prange(p.size):
        x = r1[i] * r2[i] * a[i]
        k = 2.0 * x
        through_0 = r2[i] * r2[i] * a[i] * a[i] + r1[i] * r1[i]
        denominator_0 = 1.0 + x * x
        drop_numerator = (1.0 - r1[i] * r1[i]) * (1.0 - r2[i] * r2[i]) * a[i]
        row_through = through[i]
        for j in range(n_wavelengths):
            c = k * cos_2pi(p[i] * inverse_wavelength[j] - q[i])
            row_through[j] = (through_0 - c) / (denominator_0 - c)
        if want_drop:
            row_drop = drop[i]
            for j in range(n_wavelengths):
                c = k * cos_2pi(p[i] * inverse_wavelength[j] - q[i])
                row_drop[j] = drop_numerator / (denominator_0 - c)


@jit_parallel
def through_drop_field(p, q, r1, r2, a, inverse_wavelength, through, drop):
    """Fill the complex field transmissions ``through[i, j]`` and ``drop[i, j]``.

    Conventions (Bogaerts et al., Laser Photonics Rev. 6, 47 (2012), eqs. 5-6, with real
    couplings): ``E_t = (r1 - r2·a·e^{iφ}) / (1 - r1·r2·a·e^{iφ})`` and
    ``E_d = -κ1·κ2·√a·e^{iφ/2} / (1 - r1·r2·a·e^{iφ})``.

    Parameters
    ----------
    p, q, r1, r2, a : ndarray, shape (n_rings,)
        As for :func:`through_drop_power`.
    inverse_wavelength : ndarray, shape (n_wavelengths,)
        ``1/λ`` in 1/m.
    through, drop : complex ndarray, shape (n_rings, n_wavelengths)
        Outputs.
    """
    n_wavelengths = inverse_wavelength.size
    for i in numba.prange(p.size):
        x = r1[i] * r2[i] * a[i]
        drop_scale = -np.sqrt((1.0 - r1[i] * r1[i]) * (1.0 - r2[i] * r2[i]) * a[i])
        for j in range(n_wavelengths):
            cycles = p[i] * inverse_wavelength[j] - q[i]
            c, s = cos_sin_2pi(cycles)
            half_c, half_s = cos_sin_2pi(0.5 * cycles)
            # 1 / (1 - x e^{iφ}) = (1 - x cos φ + i x sin φ) / |1 - x e^{iφ}|²
            den_re = 1.0 - x * c
            den_im = -x * s
            inv_norm = 1.0 / (den_re * den_re + den_im * den_im)
            num_re = r1[i] - r2[i] * a[i] * c
            num_im = -r2[i] * a[i] * s
            through[i, j] = complex(
                (num_re * den_re + num_im * den_im) * inv_norm,
                (num_im * den_re - num_re * den_im) * inv_norm,
            )
            drop[i, j] = complex(
                drop_scale * (half_c * den_re + half_s * den_im) * inv_norm,
                drop_scale * (half_s * den_re - half_c * den_im) * inv_norm,
            )


def reference_through_drop(
    *,
    radius_m,
    straight_length_m,
    neff,
    ng,
    wavelength0_m,
    loss_db_per_m,
    power_coupling_in,
    power_coupling_drop,
    dneff_dt_per_k,
    delta_t_k,
    wavelength_m,
):
    """Plain-NumPy closed form of the through and drop power transmission (test reference).

    Written directly from Bogaerts et al., Laser Photonics Rev. 6, 47 (2012), eqs. 4 and 6, with
    ``np.cos`` and broadcasting, independent of the kernels' phase bookkeeping. Ring arguments
    broadcast with each other and gain a trailing axis for ``wavelength_m`` (1-D, m).

    Returns
    -------
    through, drop : ndarray
        Linear power transmission, shape ``ring_shape + (n_wavelengths,)``.
    """
    ring = [
        np.asarray(v, dtype=np.float64)[..., None]
        for v in (
            radius_m,
            straight_length_m,
            neff,
            ng,
            wavelength0_m,
            loss_db_per_m,
            power_coupling_in,
            power_coupling_drop,
            dneff_dt_per_k,
            delta_t_k,
        )
    ]
    radius, straight, n0, group, lam0, loss_db, k1, k2, dndt, dt = ring
    lam = np.asarray(wavelength_m, dtype=np.float64)
    length = 2.0 * np.pi * radius + 2.0 * straight
    n_eff = n0 - (group - n0) * (lam - lam0) / lam0 + dndt * dt
    phi = 2.0 * np.pi * n_eff * length / lam
    a = 10.0 ** (-loss_db * length / 20.0)
    r1 = np.sqrt(1.0 - k1)
    r2 = np.sqrt(1.0 - k2)
    cos_phi = np.cos(phi)
    denominator = 1.0 - 2.0 * r1 * r2 * a * cos_phi + (r1 * r2 * a) ** 2
    through = (r2**2 * a**2 - 2.0 * r1 * r2 * a * cos_phi + r1**2) / denominator
    drop = (1.0 - r1**2) * (1.0 - r2**2) * a / denominator
    return through, drop
