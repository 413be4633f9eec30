"""Detector noise of the lock kernel: one stream per group of banks, drawn in parallel threads.

Private; used by :mod:`cposim.control.loop`. The lock kernel runs banks in groups of
:data:`~cposim.control._loop_kernels.LANES` (banks ``b0 … b0 + nl - 1``), so its noise comes
in the same layout: a chunk of ``steps`` time steps is one flat array in which group ``g``
owns ``steps·n_rings·nl`` consecutive numbers ordered (step, ring, lane), contiguous across
the lanes the kernel vectorises over.

Each group draws from its own child of the run's generator (``Generator.spawn``), in that
order, chunk after chunk. A group's numbers therefore depend only on the seed and on the
group, never on the chunk size or on how many threads draw them, so runs are reproducible bit
for bit, and the NumPy reference receives the very same numbers (:func:`bank_noise`). NumPy
releases the GIL while it fills an array, so the groups' draws run on every core, and the next
chunk is drawn while the kernel runs the current one (drawing ~10^8 normals costs about as
much as the kernel itself).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from cposim.control._loop_kernels import LANES


def _groups(n_banks: int):
    """(first bank, number of banks) of each lane group."""
    return [(b0, min(LANES, n_banks - b0)) for b0 in range(0, n_banks, LANES)]


def noise_chunks(rng, n_banks: int, n_rings: int, n_steps: int, chunk_steps: int, workers: int):
    """Yield ``(k0, k1, noise)`` for consecutive chunks of steps, ``noise`` in group layout.

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
    groups = _groups(n_banks)
    streams = rng.spawn(len(groups))
    bounds = [(k0, min(n_steps, k0 + chunk_steps)) for k0 in range(0, n_steps, chunk_steps)]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:

        def submit(k0, k1):
            steps = k1 - k0
            noise = np.empty(steps * n_banks * n_rings)
            jobs = [
                pool.submit(
                    stream.standard_normal,
                    out=noise[steps * n_rings * b0 : steps * n_rings * (b0 + nl)],
                )
                for stream, (b0, nl) in zip(streams, groups, strict=True)
            ]
            return noise, jobs

        pending = submit(*bounds[0])
        for index, (k0, k1) in enumerate(bounds):
            noise, jobs = pending
            for job in jobs:
                job.result()
            if index + 1 < len(bounds):
                pending = submit(*bounds[index + 1])
            yield k0, k1, noise


def bank_noise(noise: np.ndarray, n_banks: int, n_rings: int) -> np.ndarray:
    """Noise in group layout as an array of shape (steps, n_banks, n_rings)."""
    steps = noise.size // (n_banks * n_rings)
    out = np.empty((steps, n_banks, n_rings))
    for b0, nl in _groups(n_banks):
        block = noise[steps * n_rings * b0 : steps * n_rings * (b0 + nl)]
        out[:, b0 : b0 + nl] = block.reshape(steps, n_rings, nl).transpose(0, 2, 1)
    return out
