"""NumPy/SciPy reference of :mod:`cposim.photonics.measure._kernels`: the same model and
parameters, fitted window by window with :func:`scipy.optimize.least_squares` (MINPACK
Levenberg-Marquardt, analytic Jacobian)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import least_squares

from cposim.photonics.measure._kernels import CONVERGED, MAX_ITERATIONS, N_PARAMETERS


def model(theta, wavelength_m, centre_m, scale_m, half_span_m, phase_length_m, *, jacobian=False):
    """Through-port model of one window (and its Jacobian, shape ``(n, 5)``).

    Parameters
    ----------
    theta : array_like
        ``(x0, p, e, c0, c1)`` as in :mod:`cposim.photonics.measure._kernels`.
    wavelength_m : ndarray
        Wavelengths in metres.
    centre_m, scale_m, half_span_m, phase_length_m : float
        Window centre, linewidth scale of ``x0``, half span of the baseline slope's variable
        ``t`` and ``P = n_g·L``, all metres.
    """
    x0, p, e, c0, c1 = theta
    lam = np.asarray(wavelength_m, dtype=float)
    lam_r = centre_m + scale_m * x0
    t = (lam - centre_m) / half_span_m
    phase = 2.0 * np.pi * phase_length_m * (lam_r - lam) / (lam * lam_r)
    u = 2.0 * np.sin(0.5 * phase) ** 2
    numerator = e * e + 2.0 * p * u
    denominator = (1.0 - p) ** 2 + 2.0 * p * u
    transmission = numerator / denominator
    base = c0 + c1 * t
    if not jacobian:
        return base * transmission
    dt_du = 2.0 * p * (denominator - numerator) / denominator**2
    d_x0 = base * dt_du * np.sin(phase) * 2.0 * np.pi * phase_length_m / lam_r**2 * scale_m
    d_p = base * (2.0 * u * denominator - numerator * (2.0 * u - 2.0 * (1.0 - p))) / denominator**2
    d_e = base * 2.0 * e / denominator
    return np.stack([d_x0, d_p, d_e, transmission, t * transmission], axis=-1)


def fit_windows(windows, theta, covariance, rss, iterations, status, max_iterations, tolerance):
    """Same contract as :func:`cposim.photonics.measure._kernels.fit_windows`."""
    for r in range(windows.count.shape[0]):
        n = int(windows.count[r])
        lam, y = windows.wavelength_m[r, :n], windows.data[r, :n]
        constants = (
            windows.centre_m[r],
            windows.scale_m[r],
            windows.half_span_m[r],
            windows.phase_length_m[r],
        )
        solution = least_squares(
            lambda th, lam=lam, y=y, c=constants: model(th, lam, *c) - y,
            theta[r],
            jac=lambda th, lam=lam, c=constants: model(th, lam, *c, jacobian=True),
            method="lm",
            xtol=tolerance,
            ftol=1e-15,
            gtol=1e-15,
            max_nfev=100 * max_iterations,
        )
        theta[r] = solution.x
        rss[r] = 2.0 * solution.cost
        iterations[r] = solution.nfev
        status[r] = CONVERGED if solution.status > 0 else MAX_ITERATIONS
        jac = solution.jac
        variance = rss[r] / max(n - N_PARAMETERS, 1)
        try:
            covariance[r] = np.linalg.inv(jac.T @ jac) * variance
        except np.linalg.LinAlgError:
            covariance[r] = np.nan
