"""Detector noise of the lock kernel: counter-based normals, one stream per group of banks.

Private; used by :mod:`cposim.control.loop`. The lock kernel runs banks in groups of
:func:`~cposim.control.loop._kernels.group_lanes` (banks ``b0 … b0 + nl - 1``); a group's
``pairs = n_rings·nl`` (ring, bank) pairs, ring-major and bank-minor, each need one standard
normal per step.

Every group owns one stream, a 64-bit key drawn from the run's generator (:func:`group_keys`).
Step ``k`` of a group uses the ``2h`` uniforms at positions ``2h·k … 2h·k + 2h − 1`` of its
stream (``h = ⌈pairs/2⌉``), which Box–Muller turns into the step's ``2h`` normals, pairs ``j``
and ``j + h`` from uniforms ``2j`` and ``2j + 1``
(:func:`~cposim.control.core.vecmath.standard_normal_row`). A uniform depends only on its key
and position (SplitMix64's output at that position of a keyed Weyl sequence), so the kernel
makes each step's normals where it needs them, in parallel, in any chunking of the steps: runs
are reproducible bit for bit from the seed, and the NumPy reference (:func:`bank_noise`)
computes the very same uniforms. Drawing the normals with NumPy's generators beforehand cost
the lock kernel of 20,000 one-ring banks about as much as the loop itself (≈ 7 ns per normal
with the drawing threads competing for the cores, against ≈ 2.6 ns here).
"""

from __future__ import annotations

import numpy as np

from cposim.control.core.vecmath import GOLDEN_GAMMA
from cposim.control.loop._kernels import box_muller_half, group_lanes

_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def groups(n_banks: int, n_rings: int):
    """(first bank, number of banks) of each lane group."""
    lanes = group_lanes(n_rings)
    return [(b0, min(lanes, n_banks - b0)) for b0 in range(0, n_banks, lanes)]


def group_keys(rng: np.random.Generator, n_banks: int, n_rings: int) -> np.ndarray:
    """One uint64 stream key per lane group, drawn from ``rng``.

    Parameters
    ----------
    rng : numpy.random.Generator
        The run's generator.
    n_banks, n_rings : int
        Problem size.
    """
    n_groups = len(groups(n_banks, n_rings))
    return rng.integers(0, np.iinfo(np.uint64).max, size=n_groups, dtype=np.uint64, endpoint=True)


def uniforms(key, counters) -> np.ndarray:
    """Uniforms on [0, 1) at the given positions of stream ``key`` (NumPy, the arithmetic of
    :func:`~cposim.control.core.vecmath.counter_uniform`).

    Parameters
    ----------
    key : numpy.uint64
        Stream key.
    counters : array_like of uint64
        Positions.
    """
    with np.errstate(over="ignore"):
        z = np.uint64(key) + (np.asarray(counters, dtype=np.uint64) + np.uint64(1)) * GOLDEN_GAMMA
        z = (z ^ (z >> np.uint64(30))) * _MIX_1
        z = (z ^ (z >> np.uint64(27))) * _MIX_2
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def group_normals(key, pairs: int, k0: int, k1: int) -> np.ndarray:
    """A group's standard normals for steps ``k0 … k1 − 1``, shape (steps, pairs) (NumPy).

    Parameters
    ----------
    key : numpy.uint64
        The group's stream key.
    pairs : int
        (ring, bank) pairs of the group.
    k0, k1 : int
        Steps.
    """
    h = box_muller_half(pairs)
    first = np.arange(k0, k1, dtype=np.uint64)[:, None] * np.uint64(2 * h)
    offsets = 2 * np.arange(h, dtype=np.uint64)[None, :]
    u = uniforms(key, first + offsets)
    v = uniforms(key, first + offsets + np.uint64(1))
    radius = np.sqrt(-2.0 * np.log(1.0 - u))
    angle = 2.0 * np.pi * v
    normals = np.concatenate([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return normals[:, :pairs]


def bank_noise(keys: np.ndarray, n_banks: int, n_rings: int, k0: int, k1: int) -> np.ndarray:
    """Standard normals of steps ``k0 … k1 − 1`` as an array (steps, n_banks, n_rings), every
    group's from its key (for the NumPy reference and the tests).

    Parameters
    ----------
    keys : ndarray of uint64
        One key per group (:func:`group_keys`).
    n_banks, n_rings : int
        Problem size.
    k0, k1 : int
        Steps.
    """
    out = np.empty((k1 - k0, n_banks, n_rings))
    for key, (b0, nl) in zip(keys, groups(n_banks, n_rings), strict=True):
        normals = group_normals(key, n_rings * nl, k0, k1)
        out[:, b0 : b0 + nl] = normals.reshape(k1 - k0, n_rings, nl).transpose(0, 2, 1)
    return out
