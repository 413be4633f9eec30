"""The one place that holds cposim's Numba settings.

Every kernel in ``cposim.control`` and ``cposim.photonics`` is compiled through :func:`jit` or
:func:`jit_parallel`, so caching, the error model and threading are decided here once.

- ``cache=True`` keeps compiled machine code on disk, so the CLI and notebooks start fast after
  the first run.
- ``error_model="numpy"`` makes division by zero give inf/nan like NumPy instead of raising,
  which lets kernels vectorise; kernels guard singular inputs explicitly.
- ``fastmath`` is never set here: a kernel that wants it opts in locally, with a test against
  the strict version.
- ``parallel=True`` only on outermost batch loops (:func:`jit_parallel`); per-point physics stays
  serial so other kernels can call it.

This module lives in ``cposim.control`` because ``control`` is the lower layer (``photonics``
imports ``control``, never the reverse).
"""

from __future__ import annotations

import numba

_COMMON = {"cache": True, "error_model": "numpy", "nogil": True}


def jit(function=None, *, inline: str = "never", fastmath=False):
    """Compile a serial kernel with the project-wide settings.

    Parameters
    ----------
    function : callable, optional
        The Python function to compile (when used as a bare decorator).
    inline : {"never", "always"}
        Numba's inlining at the Numba IR level; ``"always"`` for small helpers called inside
        vectorised loops.
    fastmath : bool or set of str
        LLVM fast-math flags for this kernel only (e.g. ``{"contract"}`` to allow fused
        multiply-adds); only with a test against the strict kernel.
    """
    return _compile(function, {**_COMMON, "inline": inline, "fastmath": fastmath})


def jit_parallel(function=None, *, fastmath=False):
    """Compile an outer batch kernel with ``parallel=True`` (use ``numba.prange`` inside).

    Parameters
    ----------
    function : callable, optional
        The Python function to compile (when used as a bare decorator).
    fastmath : bool or set of str
        LLVM fast-math flags for this kernel only.
    """
    return _compile(function, {**_COMMON, "parallel": True, "fastmath": fastmath})


def _compile(function, options):
    if function is None:
        return numba.njit(**options)
    return numba.njit(**options)(function)


__all__ = [
    "jit",
    "jit_parallel",
]
