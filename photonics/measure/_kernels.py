"""Numba kernel: Levenberg-Marquardt fits of the through-port ring model, many resonances at once.

Model of one resonance window (points ``λ_i``, data ``y_i`` normalised by the baseline):

    y(λ) = (c0 + c1·t)·(e² + 2p·u)/((1 - p)² + 2p·u),   u = 1 - cos φ = 2·sin²(φ/2),
    φ = 2π·P·(λ_r - λ)/(λ·λ_r),   λ_r = λc + h·x0,   t = (λ - λc)/w,

the exact through-port transmission of a ring (Bogaerts et al., Laser Photonics Rev. 6, 47
(2012), eq. 2 and 7) written in ``p = r1·r2·a`` and ``e = |r1 - r2·a|`` (it depends on a and r
only through them), with the round-trip phase linear in 1/λ (exact for a group index constant
over the window; ``P = n_g·L``, fixed from the measured FSR). Parameters ``θ = (x0, p, e, c0,
c1)``: centre offset in units of ``h`` (the linewidth guess), the two ring terms, and a residual
linear baseline. Marquardt's scaled damping (``JᵀJ + μ·diag(JᵀJ)``) makes the steps independent
of the parameters' units. The reference is :mod:`cposim.photonics.measure._reference`
(scipy.optimize.least_squares on the same model).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from cposim.control.core.jit import jit, jit_parallel

N_PARAMETERS = 5
"""Fitted parameters per resonance: x0, p, e, c0, c1."""

CONVERGED, MAX_ITERATIONS, SINGULAR = 0, 1, 2
"""Status codes of a fit."""

_P_MIN, _P_MAX = 1e-9, 1.0 - 1e-12
_MU_START, _MU_MAX = 1e-3, 1e16
_STEP_FLOOR = 1e-3  # parameters are O(1e-3 … 1) in their own units


@jit(inline="always")
def _point(lam, t, lam_r, big_p, p, e, c0, c1):
    """Model value and its five derivatives at one wavelength."""
    phase = 2.0 * math.pi * big_p * (lam_r - lam) / (lam * lam_r)
    half_sine = math.sin(0.5 * phase)
    half_cosine = math.cos(0.5 * phase)
    u = 2.0 * half_sine * half_sine  # 1 - cos φ without the cancellation near resonance
    numerator = e * e + 2.0 * p * u
    one_minus_p = 1.0 - p
    denominator = one_minus_p * one_minus_p + 2.0 * p * u
    inv = 1.0 / denominator
    transmission = numerator * inv
    base = c0 + c1 * t
    dt_du = 2.0 * p * (denominator - numerator) * inv * inv
    dphase_dlam_r = 2.0 * math.pi * big_p / (lam_r * lam_r)
    d_lam_r = base * dt_du * 2.0 * half_sine * half_cosine * dphase_dlam_r
    d_p = base * (2.0 * u * denominator - numerator * (2.0 * u - 2.0 * one_minus_p)) * inv * inv
    d_e = base * 2.0 * e * inv
    return base * transmission, d_lam_r, d_p, d_e, transmission, t * transmission


@jit
def _normal_equations(lam, y, n, centre, scale, width, big_p, theta, a, g):
    """Fill ``a = JᵀJ`` and ``g = Jᵀr`` at ``theta``; return the residual sum of squares."""
    for i in range(N_PARAMETERS):
        g[i] = 0.0
        for j in range(N_PARAMETERS):
            a[i, j] = 0.0
    lam_r = centre + scale * theta[0]
    rss = 0.0
    row = np.empty(N_PARAMETERS)
    for k in range(n):
        t = (lam[k] - centre) / width
        value, d_lam_r, d_p, d_e, d_c0, d_c1 = _point(
            lam[k], t, lam_r, big_p, theta[1], theta[2], theta[3], theta[4]
        )
        residual = y[k] - value
        rss += residual * residual
        row[0] = d_lam_r * scale
        row[1] = d_p
        row[2] = d_e
        row[3] = d_c0
        row[4] = d_c1
        for i in range(N_PARAMETERS):
            g[i] += row[i] * residual
            for j in range(i + 1):
                a[i, j] += row[i] * row[j]
    for i in range(N_PARAMETERS):
        for j in range(i):
            a[j, i] = a[i, j]
    return rss


@jit
def _cholesky_solve(m, b, x):
    """Solve ``m·x = b`` for a symmetric positive-definite 5×5 ``m`` in place; False if not."""
    size = b.shape[0]
    low = np.zeros((size, size))
    for i in range(size):
        for j in range(i + 1):
            s = m[i, j]
            for k in range(j):
                s -= low[i, k] * low[j, k]
            if i == j:
                if not s > 0.0:
                    return False
                low[i, i] = math.sqrt(s)
            else:
                low[i, j] = s / low[j, j]
    for i in range(size):
        s = b[i]
        for k in range(i):
            s -= low[i, k] * x[k]
        x[i] = s / low[i, i]
    for i in range(size - 1, -1, -1):
        s = x[i]
        for k in range(i + 1, size):
            s -= low[k, i] * x[k]
        x[i] = s / low[i, i]
    return True


@jit
def _clip(theta):
    theta[1] = min(max(theta[1], _P_MIN), _P_MAX)
    theta[3] = max(theta[3], 1e-300)


@jit
def fit_one(lam, y, n, centre, scale, width, big_p, theta, covariance, max_iterations, tolerance):
    """Levenberg-Marquardt on one window; ``theta`` (start in, solution out) and ``covariance``
    (``s²·(JᵀJ)⁻¹``, ``s² = RSS/(n - 5)``) are filled in place.

    Returns
    -------
    rss : float
        Residual sum of squares at the solution.
    iterations : int
        Accepted steps.
    status : int
        :data:`CONVERGED`, :data:`MAX_ITERATIONS` or :data:`SINGULAR`.
    """
    a = np.empty((N_PARAMETERS, N_PARAMETERS))
    trial_a = np.empty((N_PARAMETERS, N_PARAMETERS))
    damped = np.empty((N_PARAMETERS, N_PARAMETERS))
    g = np.empty(N_PARAMETERS)
    trial_g = np.empty(N_PARAMETERS)
    step = np.empty(N_PARAMETERS)
    trial = np.empty(N_PARAMETERS)
    _clip(theta)
    rss = _normal_equations(lam, y, n, centre, scale, width, big_p, theta, a, g)
    mu = _MU_START
    status = MAX_ITERATIONS
    iterations = 0
    while iterations < max_iterations:
        for i in range(N_PARAMETERS):
            for j in range(N_PARAMETERS):
                damped[i, j] = a[i, j]
            damped[i, i] = a[i, i] * (1.0 + mu) + 1e-300
        if not _cholesky_solve(damped, g, step):
            mu *= 10.0
            if mu > _MU_MAX:
                status = SINGULAR
                break
            continue
        for i in range(N_PARAMETERS):
            trial[i] = theta[i] + step[i]
        _clip(trial)
        # Normal equations at the trial in the same pass as its RSS: most trials are accepted.
        trial_rss = _normal_equations(
            lam, y, n, centre, scale, width, big_p, trial, trial_a, trial_g
        )
        if trial_rss < rss:
            small = True
            for i in range(N_PARAMETERS):
                if abs(trial[i] - theta[i]) > tolerance * (abs(theta[i]) + _STEP_FLOOR):
                    small = False
            decrease = rss - trial_rss
            for i in range(N_PARAMETERS):
                theta[i] = trial[i]
                g[i] = trial_g[i]
                for j in range(N_PARAMETERS):
                    a[i, j] = trial_a[i, j]
            rss = trial_rss
            iterations += 1
            mu = max(mu * 0.1, 1e-12)
            if small or decrease <= 1e-15 * rss:
                status = CONVERGED
                break
        else:
            mu *= 10.0
            if mu > _MU_MAX:
                status = CONVERGED  # no descent left: the start is the minimum
                break
    _covariance(a, rss, n, covariance)
    return rss, iterations, status


@jit
def _covariance(a, rss, n, covariance):
    """``covariance = s²·a⁻¹`` by solving against unit vectors (NaN where ``a`` is singular)."""
    unit = np.zeros(N_PARAMETERS)
    column = np.empty(N_PARAMETERS)
    variance = rss / max(n - N_PARAMETERS, 1)
    for j in range(N_PARAMETERS):
        unit[:] = 0.0
        unit[j] = 1.0
        if not _cholesky_solve(a, unit, column):
            covariance[:, :] = np.nan
            return
        for i in range(N_PARAMETERS):
            covariance[i, j] = column[i] * variance


@jit_parallel
def fit_windows(windows, theta, covariance, rss, iterations, status, max_iterations, tolerance):
    """Fit every window of ``windows`` (a :class:`~cposim.photonics.measure.fitting._Windows`) in
    parallel; outputs are filled in place, one row per window."""
    for r in numba.prange(windows.count.shape[0]):
        out = fit_one(
            windows.wavelength_m[r],
            windows.data[r],
            windows.count[r],
            windows.centre_m[r],
            windows.scale_m[r],
            windows.half_span_m[r],
            windows.phase_length_m[r],
            theta[r],
            covariance[r],
            max_iterations,
            tolerance,
        )
        rss[r], iterations[r], status[r] = out
