"""Sampling machinery of :mod:`cposim.photonics.fab` (private).

Correlated fields: circulant embedding on a regular grid
--------------------------------------------------------
A stationary field with correlation ``ρ(d)`` is sampled on a regular ``ny × nx`` grid of spacing
``h`` (at most the requested spacing, rounded down so that whole cells span one die pitch and
die corners sit on nodes) covering the wafer, by embedding the grid in a periodic ``my × mx``
torus (Dietrich & Newsam, SIAM J. Sci. Comput. 18, 1088 (1997)). The covariance of a circulant
matrix is diagonalised by the 2-D DFT, so with ``λ = FFT2(c)`` (``c`` the torus covariance row)
and complex white noise ``ξ``, ``z = FFT2(√(λ/N)·ξ)`` has real and imaginary parts that are two
*independent* fields with covariance ``c``: one FFT gives two fields. The torus is larger than
the grid by ``pad`` nodes, where ``ρ`` has decayed below ~1e-8 (Gaussian) or ~3e-4
(exponential), so wrap-around correlation is negligible. Tiny negative eigenvalues of the
truncated embedding are clipped to zero; the interpolation then normalises with the covariance
actually realised, so every ring has unit variance. Cost: O(N log N) per field, N the torus
size.

Ring positions fall between grid nodes. The field there is the bilinear interpolation of the
four surrounding nodes divided by its own standard deviation (computed exactly from the four
weights and the node covariances), so every ring has exactly unit variance; the correlation
between two rings then follows the kernel to within 0.01 for a Gaussian kernel at
``h = ℓ/4`` and 0.08 for an exponential kernel at ``h = ℓ/8`` (the exponential kernel is rough
at scales below ``h``, which interpolation smooths out; refine ``grid_spacing_m`` to reduce it).
Because die corners are nodes, the k-th ring of every die has the same cell offset and weights:
:func:`assemble` reads them from per-ring tables (n_rings entries) and only adds each die's
corner node, so interpolation costs four loads and four multiply-adds per ring and field.

Assembly
--------
Per ring and per parameter (width, thickness, gap):
``Δ = offset + bowl·(r/R)² + tilt·(x·cos θ + y·sin θ)/R + σ_field·f(x, y) + σ_local·ε``,
then ``Δgap_total = Δgap - k_gw·Δw`` and the resonance shift
``Δλ = a_w·Δw + a_t·Δt + ½·c_ww·Δw² + ½·c_tt·Δt² + c_wt·Δw·Δt``.
:func:`assemble` is the Numba kernel (serial: the caller runs wafers in parallel threads, the
kernel releases the GIL), :func:`assemble_reference` its plain NumPy reference, which
interpolates from absolute positions and also returns each level separately. Random numbers
are drawn beforehand by the caller.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
import scipy.fft

from cposim.control.core.jit import jit

KERNELS = ("gaussian", "exponential")
"""Correlation kernels: ``exp(-d²/(2ℓ²))`` and ``exp(-d/ℓ)``."""

# Torus padding, in correlation lengths, beyond the grid: ρ(6ℓ) = 1.5e-8 (Gaussian),
# ρ(8ℓ) = 3.4e-4 (exponential).
_PAD_LENGTHS = {"gaussian": 6.0, "exponential": 8.0}


def correlation(kernel: str, distance_m, length_m: float) -> np.ndarray:
    """Correlation coefficient ``ρ(d)`` of a kernel (dimensionless).

    Parameters
    ----------
    kernel : {"gaussian", "exponential"}
        ``exp(-d²/(2ℓ²))`` or ``exp(-d/ℓ)``.
    distance_m : array_like
        Distances in metres (≥ 0).
    length_m : float
        Correlation length ℓ in metres.
    """
    scaled = np.asarray(distance_m, dtype=np.float64) / length_m
    if kernel == "gaussian":
        return np.exp(-0.5 * scaled * scaled)
    return np.exp(-scaled)


class FieldGrid(NamedTuple):
    """Grid and torus of one correlated field; ``sqrt_eigenvalues`` has shape (my, mx)."""

    x0_m: float
    y0_m: float
    spacing_x_m: float
    spacing_y_m: float
    nx: int
    ny: int
    sqrt_eigenvalues: np.ndarray
    node_covariance: tuple[float, float, float, float]  # node offsets (0,0), (1,0), (0,1), (1,1)


def field_grid(
    kernel: str,
    length_m: float,
    spacing_m: float,
    *,
    pitch_x_m: float,
    pitch_y_m: float,
    anchor_x_m: float,
    anchor_y_m: float,
    radius_m: float,
) -> FieldGrid:
    """Grid covering a wafer, aligned with the die grid, and its circulant embedding.

    The spacing along each axis is ``spacing_m`` rounded down so that a whole number of cells
    spans one die pitch, and a node sits on ``(anchor_x_m, anchor_y_m)`` (a die corner): every
    die then has the same in-cell position for its k-th ring, so interpolation weights are
    computed once per ring of the die layout.

    Parameters
    ----------
    kernel : {"gaussian", "exponential"}
        Correlation kernel.
    length_m : float
        Correlation length in metres.
    spacing_m : float
        Largest allowed grid spacing in metres.
    pitch_x_m, pitch_y_m : float
        Die pitch in metres.
    anchor_x_m, anchor_y_m : float
        A die corner in wafer coordinates, metres.
    radius_m : float
        Wafer radius in metres (the grid covers the wafer with one spare cell each side).
    """
    hx, hy = aligned_spacing(spacing_m, pitch_x_m), aligned_spacing(spacing_m, pitch_y_m)
    x0 = anchor_x_m - hx * np.ceil((anchor_x_m + radius_m) / hx + 1.0)
    y0 = anchor_y_m - hy * np.ceil((anchor_y_m + radius_m) / hy + 1.0)
    nx = int(np.ceil((radius_m - x0) / hx)) + 2
    ny = int(np.ceil((radius_m - y0) / hy)) + 2
    pad = _PAD_LENGTHS[kernel] * length_m
    mx = scipy.fft.next_fast_len(nx + int(np.ceil(pad / hx)))
    my = scipy.fft.next_fast_len(ny + int(np.ceil(pad / hy)))
    sqrt_eigenvalues, node_covariance = _embedding(kernel, hx / length_m, hy / length_m, mx, my)
    return FieldGrid(
        float(x0), float(y0), float(hx), float(hy), nx, ny, sqrt_eigenvalues, node_covariance
    )


def aligned_spacing(spacing_m: float, pitch_m: float) -> float:
    """Largest spacing ≤ ``spacing_m`` that divides ``pitch_m`` into whole cells, metres.

    Parameters
    ----------
    spacing_m : float
        Largest allowed spacing in metres.
    pitch_m : float
        Die pitch in metres.
    """
    return pitch_m / np.ceil(pitch_m / spacing_m)


@lru_cache(maxsize=16)
def _embedding(kernel: str, spacing_x: float, spacing_y: float, mx: int, my: int):
    """Square roots of the scaled torus eigenvalues and the realised node covariances.

    Spacings are in correlation lengths.
    """
    kx, ky = np.arange(mx), np.arange(my)
    wrapped_x = np.minimum(kx, mx - kx) * spacing_x
    wrapped_y = np.minimum(ky, my - ky) * spacing_y
    distance = np.hypot(wrapped_y[:, None], wrapped_x[None, :])
    eigenvalues = np.maximum(scipy.fft.fft2(correlation(kernel, distance, 1.0)).real, 0.0)
    realised = scipy.fft.ifft2(eigenvalues).real  # covariance after clipping, [dy, dx]
    node_covariance = (
        float(realised[0, 0]),
        float(realised[0, 1]),
        float(realised[1, 0]),
        float(realised[1, 1]),
    )
    sqrt_eigenvalues = np.sqrt(eigenvalues / eigenvalues.size)
    sqrt_eigenvalues.setflags(write=False)
    return sqrt_eigenvalues, node_covariance


def field_pair(grid: FieldGrid, noise: np.ndarray, *, fft=scipy.fft.fft2):
    """Two independent unit-variance fields on ``grid`` from complex white noise.

    Parameters
    ----------
    grid : FieldGrid
        Grid and circulant embedding.
    noise : ndarray, shape (2, my, mx)
        Standard normal numbers (real and imaginary parts).
    fft : callable
        2-D FFT to use (``scipy.fft.fft2`` in the library, ``numpy.fft.fft2`` in the reference).

    Returns
    -------
    tuple of ndarray
        Two C-contiguous arrays of shape (ny, nx), indexed ``[iy, ix]``.
    """
    z = fft(grid.sqrt_eigenvalues * (noise[0] + 1j * noise[1]))
    window = z[: grid.ny, : grid.nx]
    return np.ascontiguousarray(window.real), np.ascontiguousarray(window.imag)


def bilinear_weights(grid: FieldGrid, x_m, y_m):
    """Lower-left node and variance-normalised bilinear weights at positions (x, y).

    Parameters
    ----------
    grid : FieldGrid
        Grid and realised node covariances.
    x_m, y_m : ndarray
        Positions in wafer coordinates, metres.

    Returns
    -------
    ix, iy : ndarray of int64
        Lower-left node of each position's cell.
    weights : ndarray, shape x_m.shape + (4,)
        Weights of nodes (ix, iy), (ix+1, iy), (ix, iy+1), (ix+1, iy+1), scaled so that the
        interpolated unit-variance field has exactly unit variance.
    """
    u = (np.asarray(x_m) - grid.x0_m) / grid.spacing_x_m
    v = (np.asarray(y_m) - grid.y0_m) / grid.spacing_y_m
    ix, iy = np.floor(u).astype(np.int64), np.floor(v).astype(np.int64)
    fx, fy = u - ix, v - iy
    w00, w10, w01, w11 = (1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy
    c00, c10, c01, c11 = grid.node_covariance
    variance = (
        c00 * (w00**2 + w10**2 + w01**2 + w11**2)
        + 2 * c10 * (w00 * w10 + w01 * w11)
        + 2 * c01 * (w00 * w01 + w10 * w11)
        + 2 * c11 * (w00 * w11 + w10 * w01)
    )
    return ix, iy, np.stack([w00, w10, w01, w11], axis=-1) / np.sqrt(variance)[..., None]


class AssemblyTerms(NamedTuple):
    """Everything :func:`assemble` needs besides positions, noise and outputs.

    Per-parameter rows are in the order width, thickness, gap; lengths in metres.
    """

    coefficients: np.ndarray  # (3, 7): offset, bowl, tilt·cos θ, tilt·sin θ, σ_field,
    #                           local-noise row (or -1), σ_local
    inverse_radius_per_m: float
    grids: tuple[np.ndarray, np.ndarray, np.ndarray]  # flat unit-variance fields, [iy·nx + ix]
    die_node: np.ndarray  # (3, n_dies) int64: flat node index of each die's lower-left corner
    ring_node: np.ndarray  # (3, n_rings, 4) int64: flat offsets of each ring's cell corners
    ring_weight: np.ndarray  # (3, n_rings, 4): normalised bilinear weights
    mapping: np.ndarray  # a_w, a_t, c_ww, c_tt, c_wt, k_gw


@jit
def assemble(x, y, local_noise, t, out_width, out_thickness, out_gap, out_shift):
    """Fill per-ring Δw, Δt, Δgap (m) and resonance shift (m) for one wafer.

    Parameters
    ----------
    x, y : ndarray, shape (n_dies·n_rings,)
        Ring positions in wafer coordinates, metres, die-major.
    local_noise : ndarray, shape (k, n_dies·n_rings)
        Standard normal numbers for the local mismatch of the parameters that have one.
    t : AssemblyTerms
        Offsets, profiles, fields and mapping coefficients.
    out_width, out_thickness, out_gap, out_shift : ndarray, shape (n_dies·n_rings,)
        Outputs.
    """
    outputs = (out_width, out_thickness, out_gap)
    # Arrays are taken out of the tuple once: indexing into views inside the loops would
    # cost a reference-count update per ring.
    coefficients, die_node, ring_node, ring_weight = (
        t.coefficients,
        t.die_node,
        t.ring_node,
        t.ring_weight,
    )
    n_dies = die_node.shape[1]
    n_rings = ring_node.shape[1]
    inverse_radius = t.inverse_radius_per_m
    for p in range(3):
        out = outputs[p]
        grid = t.grids[p]
        offset, bowl = coefficients[p, 0], coefficients[p, 1] * inverse_radius**2
        tilt_x = coefficients[p, 2] * inverse_radius
        tilt_y = coefficients[p, 3] * inverse_radius
        field_sigma, row = coefficients[p, 4], np.int64(coefficients[p, 5])
        local_sigma = coefficients[p, 6]
        for i in range(x.size):
            out[i] = offset + bowl * (x[i] * x[i] + y[i] * y[i]) + tilt_x * x[i] + tilt_y * y[i]
        if field_sigma != 0.0:
            for d in range(n_dies):
                base = die_node[p, d]
                for k in range(n_rings):
                    out[d * n_rings + k] += field_sigma * (
                        ring_weight[p, k, 0] * grid[base + ring_node[p, k, 0]]
                        + ring_weight[p, k, 1] * grid[base + ring_node[p, k, 1]]
                        + ring_weight[p, k, 2] * grid[base + ring_node[p, k, 2]]
                        + ring_weight[p, k, 3] * grid[base + ring_node[p, k, 3]]
                    )
        if row >= 0:
            for i in range(x.size):
                out[i] += local_sigma * local_noise[row, i]
    a_w, a_t, c_ww, c_tt, c_wt, k_gw = (
        t.mapping[0],
        t.mapping[1],
        t.mapping[2],
        t.mapping[3],
        t.mapping[4],
        t.mapping[5],
    )
    for i in range(x.size):
        dw = out_width[i]
        dt = out_thickness[i]
        out_gap[i] -= k_gw * dw
        out_shift[i] = (
            a_w * dw + a_t * dt + 0.5 * c_ww * dw * dw + 0.5 * c_tt * dt * dt + c_wt * dw * dt
        )


def assemble_reference(x, y, local_noise, t: AssemblyTerms, field_grids):
    """Plain NumPy version of :func:`assemble` that also returns every level separately.

    It interpolates from absolute positions (:func:`bilinear_weights` on ``x``, ``y``) rather
    than from the per-die tables of :func:`assemble`, so it also checks those tables.

    Parameters
    ----------
    x, y : ndarray, shape (n,)
        Ring positions in wafer coordinates, metres.
    local_noise : ndarray, shape (k, n)
        Standard normal numbers for the local mismatch.
    t : AssemblyTerms
        Offsets, profiles, fields and mapping coefficients.
    field_grids : sequence of FieldGrid or None
        The grid of each parameter's field (None where it has none).

    Returns
    -------
    totals : dict of str to ndarray
        ``width``, ``thickness``, ``gap`` (total Δ, gap including the width term) and
        ``shift`` (resonance shift), metres, shape (n,).
    levels : dict of str to ndarray
        ``offset``, ``systematic``, ``field``, ``local``: each shape (3, n), metres, the
        parameter's own contribution (the gap's width-following term is not included).
    """
    levels = {name: np.zeros((3, x.size)) for name in ("offset", "systematic", "field", "local")}
    inverse_radius = t.inverse_radius_per_m
    for p in range(3):
        offset, bowl, tilt_x, tilt_y, field_sigma, row, local_sigma = t.coefficients[p]
        levels["offset"][p] = offset
        levels["systematic"][p] = (
            bowl * (x**2 + y**2) * inverse_radius**2 + (tilt_x * x + tilt_y * y) * inverse_radius
        )
        if field_sigma != 0.0:
            grid = field_grids[p]
            field = t.grids[p].reshape(grid.ny, grid.nx)
            ix, iy, weights = bilinear_weights(grid, x, y)
            corners = np.stack(
                [field[iy, ix], field[iy, ix + 1], field[iy + 1, ix], field[iy + 1, ix + 1]],
                axis=-1,
            )
            levels["field"][p] = field_sigma * (weights * corners).sum(axis=-1)
        if row >= 0:
            levels["local"][p] = local_sigma * local_noise[int(row)]
    own = levels["offset"] + levels["systematic"] + levels["field"] + levels["local"]
    a_w, a_t, c_ww, c_tt, c_wt, k_gw = t.mapping
    dw, dt = own[0], own[1]
    totals = {
        "width": dw,
        "thickness": dt,
        "gap": own[2] - k_gw * dw,
        "shift": a_w * dw + a_t * dt + 0.5 * c_ww * dw**2 + 0.5 * c_tt * dt**2 + c_wt * dw * dt,
    }
    return totals, levels
