"""Detector noise of the lock kernel: one stream per group of banks, drawn in parallel threads.

Private; used by :mod:`cposim.control.loop`. The lock kernel runs banks in groups of
:func:`~cposim.control.loop._kernels.group_lanes` (banks ``b0 … b0 + nl - 1``); a group's
``pairs = n_rings·nl`` (ring, bank) pairs, ring-major and bank-minor, each need one standard
normal per step.

The normals come from Box–Muller pairs built in the kernel: with ``h = ⌈pairs/2⌉``, step ``k``
of a group uses ``h`` standard exponentials ``E_j`` and ``h`` uniforms ``U_j`` on [0, 1), and
pairs ``j`` and ``j + h`` receive ``√(2E_j)·cos(2πU_j)`` and ``√(2E_j)·sin(2πU_j)``. Since
``-2·ln U ~ 2E``, these are exactly two independent standard normals (Box & Muller 1958),
and no logarithm is left for the kernel. NumPy draws an exponential (ziggurat) and a uniform
in about 5 ns together, where two normals cost about 18 ns, and the kernel's vectorised square
root and :func:`~cposim.control.core.vecmath.cos_sin_2pi` take about 1 ns per normal.

Layout of a chunk of ``steps`` time steps: one flat array in which each group owns
``2·steps·h`` consecutive numbers, first its exponentials (step, j), then its uniforms
(step, j). Every group but the last holds an even number of pairs, so group ``g`` starts at
``steps·n_rings·b0``.

Each group draws from two children of the run's generator (``Generator.spawn``), one for its
exponentials and one for its uniforms, each consumed in order, chunk after chunk. A group's
numbers therefore depend only on the seed and on the group, never on the chunk size or on how
many threads draw them, so runs are reproducible bit for bit, and the NumPy reference receives
the very same numbers (:func:`bank_noise`). NumPy releases the GIL while it fills an array, so
the groups' draws run on every core, and the next chunk is drawn while the kernel runs the
current one.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from cposim.control.loop._kernels import box_muller_half, group_lanes


def _groups(n_banks: int, n_rings: int):
    """(first bank, number of banks) of each lane group."""
    lanes = group_lanes(n_rings)
    return [(b0, min(lanes, n_banks - b0)) for b0 in range(0, n_banks, lanes)]


def _half(n_rings: int, nl: int) -> int:
    """Box–Muller pairs per step of a group of ``nl`` banks (``⌈n_rings·nl/2⌉``)."""
    return box_muller_half(n_rings * nl)


def chunk_size(n_banks: int, n_rings: int, steps: int) -> int:
    """Numbers in a chunk of ``steps`` steps (exponentials and uniforms of every group)."""
    return 2 * steps * sum(_half(n_rings, nl) for _, nl in _groups(n_banks, n_rings))


def noise_chunks(rng, n_banks: int, n_rings: int, n_steps: int, chunk_steps: int, workers: int):
    """Yield ``(k0, k1, noise)`` for consecutive chunks of steps, ``noise`` in group layout.

    Each ``noise`` is valid until the next chunk is requested (its buffer is then refilled).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the per-group child generators.
    n_banks, n_rings : int
        Problem size.
    n_steps : int
        Total number of steps.
    chunk_steps : int
        Steps per chunk (≥ 1).
    workers : int
        Threads that draw (any number gives the same numbers).
    """
    groups = _groups(n_banks, n_rings)
    streams = [group.spawn(2) for group in rng.spawn(len(groups))]
    members = list(zip(streams, groups, strict=True))
    # One job per drawing thread, each a run of groups (a job costs ~40 µs to hand over).
    workers = max(1, min(workers, len(groups)))
    size = -(-len(members) // workers)
    shares = [members[i : i + size] for i in range(0, len(members), size)]
    bounds = [(k0, min(n_steps, k0 + chunk_steps)) for k0 in range(0, n_steps, chunk_steps)]
    # Two buffers, filled in turn: the next chunk is drawn into one while the kernel reads the
    # other, and reusing them avoids faulting in fresh pages for every chunk.
    buffers = [np.empty(chunk_size(n_banks, n_rings, bounds[0][1])) for _ in range(2)]

    def draw(noise, steps, share):
        for (exponential, uniform), (b0, nl) in share:
            start = steps * n_rings * b0
            half = steps * _half(n_rings, nl)
            exponential.standard_exponential(out=noise[start : start + half])
            uniform.random(out=noise[start + half : start + 2 * half])

    with ThreadPoolExecutor(max_workers=workers) as pool:

        def submit(index):
            k0, k1 = bounds[index]
            noise = buffers[index % 2][: chunk_size(n_banks, n_rings, k1 - k0)]
            return noise, [pool.submit(draw, noise, k1 - k0, share) for share in shares]

        pending = submit(0)
        for index, (k0, k1) in enumerate(bounds):
            noise, jobs = pending
            for job in jobs:
                job.result()
            if index + 1 < len(bounds):
                pending = submit(index + 1)
            yield k0, k1, noise


def box_muller(exponentials: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Standard normals ``[√(2E)·cos 2πU, √(2E)·sin 2πU]`` along the last axis (NumPy).

    Parameters
    ----------
    exponentials, uniforms : ndarray
        Standard exponentials and uniforms on [0, 1), the same shape (..., h).
    """
    radius = np.sqrt(2.0 * exponentials)
    angle = 2.0 * np.pi * uniforms
    return np.concatenate([radius * np.cos(angle), radius * np.sin(angle)], axis=-1)


def bank_noise(noise: np.ndarray, n_banks: int, n_rings: int, steps: int) -> np.ndarray:
    """Standard normals of a chunk in group layout, as an array (steps, n_banks, n_rings).

    The NumPy counterpart of the kernel's transform (:func:`box_muller`), for the reference
    and the tests.
    """
    out = np.empty((steps, n_banks, n_rings))
    for b0, nl in _groups(n_banks, n_rings):
        half = _half(n_rings, nl)
        start = steps * n_rings * b0
        planes = noise[start : start + 2 * steps * half].reshape(2, steps, half)
        normals = box_muller(planes[0], planes[1])[:, : n_rings * nl]
        out[:, b0 : b0 + nl] = normals.reshape(steps, n_rings, nl).transpose(0, 2, 1)
    return out
