"""Timing helpers shared by the benchmark scripts (best-of-N wall time, environment line)."""

from __future__ import annotations

import os
import platform
import resource
import time


def best_time_s(function, *, repeats: int = 3) -> float:
    """Best wall time of ``repeats`` calls of ``function()``, in seconds.

    Parameters
    ----------
    function : callable
        Work to time; its result is discarded.
    repeats : int
        Number of timed calls.
    """
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def environment() -> str:
    """One line describing the machine and the thread settings of this run."""
    import numba
    import numpy as np

    return (
        f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
        f"{os.cpu_count()} CPUs, numba threads {numba.get_num_threads()}, "
        f"machine {platform.machine()}"
    )


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far, bytes (a high-water mark: measure growth
    before anything larger has run)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
