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
truncated embedding are clipped to zero; the conditioning below uses the node covariance
actually realised, so every ring still has exactly unit variance. Cost: O(N log N) per field,
N the torus size.

Ring positions fall between grid nodes: conditional simulation
--------------------------------------------------------------
The field at the rings is drawn from its exact conditional distribution given the grid nodes
around them (conditional simulation: Journel & Huijbregts, *Mining Geostatistics*, Academic
Press 1978, §VII; Chilès & Delfiner, *Geostatistics*, 2nd ed., Wiley 2012, §7.3). Rings whose
cells touch (8-neighbour cells chain together) form a cluster; the nodes ``N`` of a cluster
are the 4 × 4 nodes around each of its rings' cells (a margin of one cell), merged. With ``K``
the covariances of the nodes (the ones the torus realises), ``k`` those between rings and nodes
and ``k₀`` those between rings (both from the kernel), the rings get

``f = A·g_N + F·η``,  ``A = k·K⁻¹`` (simple kriging),  ``F·Fᵀ = S = k₀ - A·K·Aᵀ``,

``η`` standard normal and independent of the grid, ``F = V·√Λ`` from the eigendecomposition of
``S`` (the kriging variance; eigenvalues below 1e-10, including rounding negatives, dropped).
Then ``Cov(f) = A·K·Aᵀ + S = k₀`` exactly: within a cluster the ring covariance *is* the kernel
(to the 1e-10 of the dropped eigenvalues), whatever the grid spacing and however rough the
kernel — bilinear interpolation of the grid instead smooths the cusp of the exponential kernel
at the origin (+0.02…0.04 in correlation at ℓ/8). ``S`` is a Schur complement of the joint
covariance of rings and nodes, which is positive semi-definite because the realised node
covariance is the kernel's plus the positive part removed by the eigenvalue clipping, so ``S``
is too. Rings of different clusters (> one cell apart) or different dies share the grid but not
``η``: their covariance is that of the two kriging predictors, which differs from the kernel by
the residual cross-covariance the split ignores and the predictors' finite neighbourhoods:
≤ 4e-3 in correlation measured at the default spacings (the kriging residual decorrelates
within about a cell, the screening effect; tested to 5e-3). Rings of neighbouring dies within
one cell of each other (rings less than a cell from the die edge across a narrow street) lose
more of their residual correlation: up to 0.03 measured for the exponential kernel at ℓ = 4.5
mm (cell 0.5 mm, rings 120 µm apart across the street); a finer ``grid_spacing_m`` reduces it.
Because die corners are nodes, every die has the same clusters, node offsets, ``A`` and ``F``:
they are computed once per die layout (cost cubic in a cluster's nodes + rings) and
:func:`assemble` applies them die by die, ``n_rings_c·(n_nodes_c + n_modes_c)`` multiply-adds
per cluster and field (the residual normals come from a stream of their own, see
:mod:`cposim.photonics.fab.sampling`).

Assembly
--------
Per ring and per parameter (width, thickness, gap):
``Δ = offset + bowl·(r/R)² + tilt·(x·cos θ + y·sin θ)/R + σ_field·f(x, y) + σ_local·ε``,
then ``Δgap_total = Δgap - k_gw·Δw`` and the resonance shift
``Δλ = a_w·Δw + a_t·Δt + ½·c_ww·Δw² + ½·c_tt·Δt² + c_wt·Δw·Δt``.
:func:`assemble` is the Numba kernel (serial: the caller runs wafers in parallel threads, the
kernel releases the GIL), :func:`assemble_reference` its plain NumPy reference, which finds
the conditioning nodes from absolute positions and also returns each level separately. Random
numbers are drawn beforehand by the caller.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
import scipy.fft
import scipy.linalg
import scipy.ndimage

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
    covariance: np.ndarray  # (my, mx): realised node covariance at node offset [dy, dx]


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
    die then has the same in-cell position for its k-th ring, so conditioning weights are
    computed once per die layout.

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
    sqrt_eigenvalues, covariance = _embedding(kernel, hx / length_m, hy / length_m, mx, my)
    return FieldGrid(
        float(x0), float(y0), float(hx), float(hy), nx, ny, sqrt_eigenvalues, covariance
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
    """Square roots of the scaled torus eigenvalues and the realised node covariance [dy, dx].

    Spacings are in correlation lengths.
    """
    kx, ky = np.arange(mx), np.arange(my)
    wrapped_x = np.minimum(kx, mx - kx) * spacing_x
    wrapped_y = np.minimum(ky, my - ky) * spacing_y
    distance = np.hypot(wrapped_y[:, None], wrapped_x[None, :])
    eigenvalues = np.maximum(scipy.fft.fft2(correlation(kernel, distance, 1.0)).real, 0.0)
    realised = scipy.fft.ifft2(eigenvalues).real  # covariance after clipping, [dy, dx]
    sqrt_eigenvalues = np.sqrt(eigenvalues / eigenvalues.size)
    for array in (sqrt_eigenvalues, realised):
        array.setflags(write=False)
    return sqrt_eigenvalues, realised


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


def cells(grid: FieldGrid, x_m, y_m):
    """Grid cell (lower-left node) of each position.

    A position within 1e-9 cells below a node line counts as on it, so that a ring's cell
    computed from in-die and from wafer coordinates agrees despite rounding.

    Parameters
    ----------
    grid : FieldGrid
        Grid (origin ``x0_m``, ``y0_m``; spacings).
    x_m, y_m : ndarray
        Positions in metres, in the coordinates of the grid origin.

    Returns
    -------
    ix, iy : ndarray of int64
        Column and row of each position's cell.
    """
    u = (np.asarray(x_m) - grid.x0_m) / grid.spacing_x_m
    v = (np.asarray(y_m) - grid.y0_m) / grid.spacing_y_m
    return np.floor(u + _CELL_SNAP).astype(np.int64), np.floor(v + _CELL_SNAP).astype(np.int64)


_CELL_SNAP = 1e-9  # cells, see cells()
_MARGIN = 1  # cells of kriging neighbourhood around a ring's cell: 4 × 4 nodes
_MODE_FLOOR = 1e-10  # residual eigenvalues (variance, unit field) below this are dropped


def neighbourhood(ix, iy, nx: int):
    """Conditioning nodes of a cluster: the 4 × 4 nodes around each ring's cell, merged.

    Parameters
    ----------
    ix, iy : ndarray of int64, shape (..., n)
        Cells of the cluster's rings; leading axes are independent clusters of the same
        shape (e.g. one per die), which must have the same number of distinct nodes.
    nx : int
        Nodes per grid row.

    Returns
    -------
    flat, jx, jy : ndarray of int64, shape (..., n_nodes)
        Flat index ``jy·nx + jx`` (sorted ascending), column and row of each node.
    """
    _, ix, iy = _distinct(iy * nx + ix, ix, iy)  # rings sharing a cell share its nodes
    steps = np.arange(-_MARGIN, _MARGIN + 2)
    shape = (*ix.shape, steps.size, steps.size)
    jx = np.broadcast_to(ix[..., None, None] + steps[None, :], shape)
    jy = np.broadcast_to(iy[..., None, None] + steps[:, None], shape)
    jx, jy = (a.reshape(*ix.shape[:-1], -1) for a in (jx, jy))
    return _distinct(jy * nx + jx, jx, jy)


def _distinct(flat, *others):
    """Distinct values of ``flat`` along the last axis, sorted, with matching ``others``."""
    order = np.argsort(flat, axis=-1, kind="stable")
    flat, *others = (np.take_along_axis(a, order, axis=-1) for a in (flat, *others))
    first = np.ones(flat.shape, dtype=bool)
    first[..., 1:] = flat[..., 1:] != flat[..., :-1]
    shape = (*flat.shape[:-1], -1)
    return tuple(a[first].reshape(shape) for a in (flat, *others))


class DieConditioning(NamedTuple):
    """Per-die-layout conditional simulation of one field (see the module notes).

    Clusters are stored one after the other; ``start[c]`` holds where cluster ``c`` begins in
    ``ring``, ``node``, ``weight`` and the die's residual noise, ``start[-1]`` the totals.
    """

    ring: np.ndarray  # (n_rings,) int64: the die's ring indices, cluster by cluster
    node: np.ndarray  # (n_nodes,) int64: flat node offsets from the die's corner node
    weight: np.ndarray  # flat: per cluster, (n_nodes_c + n_modes_c, n_rings_c) row-major [Aᵀ; Fᵀ]
    start: np.ndarray  # (n_clusters + 1, 4) int64: offsets into ring, node, weight, noise

    @property
    def n_modes(self) -> int:
        """Residual standard normals per die."""
        return int(self.start[-1, 3])


def die_conditioning(grid: FieldGrid, kernel: str, length_m: float, ring_x_m, ring_y_m):
    """Clusters, kriging weights and residual factors of one die layout on ``grid``.

    Parameters
    ----------
    grid : FieldGrid
        Grid with a node on the die's lower-left corner.
    kernel : {"gaussian", "exponential"}
        Correlation kernel.
    length_m : float
        Correlation length in metres.
    ring_x_m, ring_y_m : ndarray, shape (n_rings,)
        Ring positions in metres from the die's lower-left corner.

    Returns
    -------
    DieConditioning
        Clusters with ``f = A·g_N + F·η`` per cluster, exact in covariance within a cluster.
    """
    corner = grid._replace(x0_m=0.0, y0_m=0.0)
    ix, iy = cells(corner, ring_x_m, ring_y_m)
    occupied = np.zeros((iy.max() + 1, ix.max() + 1), dtype=bool)
    occupied[iy, ix] = True
    labels, n_clusters = scipy.ndimage.label(occupied, structure=np.ones((3, 3)))
    ring_label = labels[iy, ix]
    my, mx = grid.covariance.shape
    rings, nodes, weights, start = [], [], [], [np.zeros(4, dtype=np.int64)]
    for label in range(1, n_clusters + 1):
        members = np.flatnonzero(ring_label == label)
        flat, jx, jy = neighbourhood(ix[members], iy[members], grid.nx)
        node_covariance = grid.covariance[
            np.abs(jy[:, None] - jy[None, :]) % my, np.abs(jx[:, None] - jx[None, :]) % mx
        ]
        x, y = ring_x_m[members], ring_y_m[members]
        cross = correlation(
            kernel,
            np.hypot(x[:, None] - jx * grid.spacing_x_m, y[:, None] - jy * grid.spacing_y_m),
            length_m,
        )
        ring_covariance = correlation(
            kernel, np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]), length_m
        )
        kriging = scipy.linalg.solve(node_covariance, cross.T, assume_a="pos").T
        residual = ring_covariance - kriging @ node_covariance @ kriging.T
        variance, vectors = np.linalg.eigh(0.5 * (residual + residual.T))
        keep = variance > _MODE_FLOOR
        factor = vectors[:, keep] * np.sqrt(variance[keep])
        rings.append(members)
        nodes.append(flat)
        weights.append(np.concatenate([kriging.T, factor.T]).ravel())
        start.append(start[-1] + [members.size, flat.size, weights[-1].size, keep.sum()])
    return DieConditioning(
        ring=np.concatenate(rings).astype(np.int64),
        node=np.concatenate(nodes).astype(np.int64),
        weight=np.concatenate(weights),
        start=np.array(start, dtype=np.int64),
    )


class AssemblyTerms(NamedTuple):
    """Everything :func:`assemble` needs besides positions, noise and outputs.

    Per-parameter rows are in the order width, thickness, gap; lengths in metres.
    """

    coefficients: np.ndarray  # (3, 7): offset, bowl, tilt·cos θ, tilt·sin θ, σ_field,
    #                           local-noise row (or -1), σ_local
    inverse_radius_per_m: float
    grids: tuple[np.ndarray, np.ndarray, np.ndarray]  # flat unit-variance fields, [iy·nx + ix]
    residual_noise: tuple[np.ndarray, np.ndarray, np.ndarray]  # (n_dies, n_modes) normals
    die_node: np.ndarray  # (3, n_dies) int64: flat node index of each die's lower-left corner
    conditioning: tuple[DieConditioning, DieConditioning, DieConditioning]
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
    # Arrays are taken out of the tuples once per field: indexing into views inside the loops
    # would cost a reference-count update per ring.
    coefficients, die_node = t.coefficients, t.die_node
    n_dies = die_node.shape[1]
    n_rings = x.size // n_dies
    inverse_radius = t.inverse_radius_per_m
    values = np.empty(n_rings)
    for p in range(3):
        out = outputs[p]
        grid, noise = t.grids[p], t.residual_noise[p]
        ring, node, weight, start = t.conditioning[p]
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
                for c in range(start.shape[0] - 1):
                    # f = Aᵀ·g_N + Fᵀ·η of the cluster: one axpy over its rings per input
                    r0, m = start[c, 0], start[c + 1, 0] - start[c, 0]
                    w = start[c, 2]
                    values[:m] = 0.0
                    for j in range(start[c, 1], start[c + 1, 1]):
                        value = grid[base + node[j]]
                        for k in range(m):
                            values[k] += weight[w + k] * value
                        w += m
                    for q in range(start[c, 3], start[c + 1, 3]):
                        value = noise[d, q]
                        for k in range(m):
                            values[k] += weight[w + k] * value
                        w += m
                    for k in range(m):
                        out[d * n_rings + ring[r0 + k]] += field_sigma * values[k]
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

    It finds each cluster's conditioning nodes from the rings' absolute positions
    (:func:`cells` and :func:`neighbourhood` on ``x``, ``y``) rather than from the die-corner
    offsets of :func:`assemble`, so it also checks those offsets.

    Parameters
    ----------
    x, y : ndarray, shape (n_dies·n_rings,)
        Ring positions in wafer coordinates, metres, die-major.
    local_noise : ndarray, shape (k, n_dies·n_rings)
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
    n_dies = t.die_node.shape[1]
    for p in range(3):
        offset, bowl, tilt_x, tilt_y, field_sigma, row, local_sigma = t.coefficients[p]
        levels["offset"][p] = offset
        levels["systematic"][p] = (
            bowl * (x**2 + y**2) * inverse_radius**2 + (tilt_x * x + tilt_y * y) * inverse_radius
        )
        if field_sigma != 0.0:
            grid, (ring, _, weight, start) = field_grids[p], t.conditioning[p]
            ix, iy = (a.reshape(n_dies, -1) for a in cells(grid, x, y))
            field = np.zeros(ix.shape)
            for c in range(start.shape[0] - 1):
                members = ring[start[c, 0] : start[c + 1, 0]]
                flat, _, _ = neighbourhood(ix[:, members], iy[:, members], grid.nx)
                inputs = np.concatenate(
                    [t.grids[p][flat], t.residual_noise[p][:, start[c, 3] : start[c + 1, 3]]],
                    axis=1,
                )
                matrix = weight[start[c, 2] : start[c + 1, 2]].reshape(-1, members.size)
                field[:, members] = inputs @ matrix
            levels["field"][p] = field_sigma * field.ravel()
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
