"""Plain-NumPy closed forms of the ring kernels (private; tests and benchmarks)."""

from __future__ import annotations

import numpy as np


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
    want_drop=True,
):
    """Plain-NumPy closed form of the through and drop power transmission (test reference).

    Written directly from Bogaerts et al., Laser Photonics Rev. 6, 47 (2012), eqs. 4 and 6, with
    ``np.cos`` and broadcasting, independent of the kernels' phase bookkeeping. Ring arguments
    broadcast with each other and gain a trailing axis for ``wavelength_m`` (1-D, m); with
    ``want_drop=False`` only the through port is computed and ``drop`` is None.

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
    if not want_drop:
        return through, None
    return through, (1.0 - r1**2) * (1.0 - r2**2) * a / denominator
