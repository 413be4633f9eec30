"""Throughput of the measured-spectrum fitter (issue 18's performance target).

Workload: resonance windows of the reference test ring (R = 10 µm, n_g 4.2, 300 dB/m, κ² 0.01,
FWHM ≈ 21 pm) sampled every 1 pm, ±4.8 linewidths (≈ 200 points each), each with its own white
noise of 1 % of the level, fitted with the full through-port ring model. Prints resonances per
second of the batched Numba Levenberg-Marquardt kernel and of the scipy ``least_squares``
reference on the same windows in the same run, their ratio and the largest relative parameter
difference, then the end-to-end rate of :func:`fit_spectra` (file-free: envelope, peak finding,
windows, two fit passes, uncertainties) on whole traces.

Run: ``python benchmarks/bench_fit.py`` (``--quick`` for a small smoke run).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_time_s, environment

from cposim.photonics.devices.ring import Ring
from cposim.photonics.measure import SpectrumTrace, fit_spectra, fitting
from cposim.photonics.measure.baseline import fit_baseline
from cposim.photonics.measure.resonances import find_resonances

RING = Ring(
    radius_m=10e-6, neff=2.40, ng=4.20, wavelength0_m=1550e-9, loss_db_per_m=300.0,
    power_coupling_in=0.01, power_coupling_drop=0.0,
)  # fmt: skip
LENGTH_M = float(RING.round_trip_length_m)


def trace(seed: int) -> SpectrumTrace:
    """A 1535-1565 nm sweep (three resonances) under a curved envelope, 1 % additive noise."""
    lam = np.arange(1535e-9, 1565e-9, 1e-12)
    envelope = 10 ** ((-6.0 - ((lam - 1551e-9) / 14e-9) ** 2) / 10.0)
    noise = 1e-2 * 10**-0.6 * np.random.default_rng(seed).standard_normal(lam.size)
    return SpectrumTrace(lam, RING.through(lam) * envelope + noise, name=str(seed))


def windows(n: int):
    """``n`` kernel windows: those of one trace, tiled, each row with fresh noise."""
    one = trace(0)
    baseline = fit_baseline(one)
    found = find_resonances(one, baseline, ring_length_m=LENGTH_M)
    bounds = fitting._bounds(one, found, 4.8)
    base, _ = fitting._windows([(one, baseline, found, bounds)])
    rows = np.arange(n) % base.count.size
    data = base.data[rows].copy()
    data += 1e-2 * np.random.default_rng(1).standard_normal(data.shape)
    tiled = base._replace(
        **{f: getattr(base, f)[rows] for f in base._fields if f != "data"}, data=data
    )
    return tiled


def run(engine: str, tiled, max_iterations=200, tolerance=1e-10):
    n = tiled.count.size
    theta = fitting._start(tiled)
    covariance = np.empty((n, 5, 5))
    rss, iterations, status = np.empty(n), np.empty(n, np.int64), np.empty(n, np.int64)
    fitting.FIT_ENGINES[engine](
        tiled, theta, covariance, rss, iterations, status, max_iterations, tolerance
    )
    return theta, status


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke-test workload")
    args = parser.parse_args(argv)
    n_kernel, n_reference, n_traces = (300, 60, 5) if args.quick else (160_000, 2_000, 200)
    repeats = 1 if args.quick else 3

    start = time.perf_counter()
    run("numba", windows(3))
    first_call_s = time.perf_counter() - start

    tiled = windows(n_kernel)
    points = float(tiled.count.mean())
    numba_s = best_time_s(lambda: run("numba", tiled), repeats=repeats)
    subset = tiled._replace(**{f: getattr(tiled, f)[:n_reference] for f in tiled._fields})
    scipy_s = best_time_s(lambda: run("scipy", subset), repeats=1)
    theta_numba, status = run("numba", subset)
    theta_scipy, _ = run("scipy", subset)
    scale = np.maximum(np.abs(theta_scipy), 1e-3)  # x0 and c1 are O(1e-2) offsets about 0
    difference = float(np.max(np.abs(theta_numba - theta_scipy) / scale))

    traces = [trace(seed) for seed in range(n_traces)]
    end_to_end_s = best_time_s(
        lambda: fit_spectra(traces, ring_length_m=LENGTH_M, coupling="over"), repeats=1
    )
    n_end = 3 * n_traces

    numba_rate, scipy_rate = n_kernel / numba_s, n_reference / scipy_s
    print(f"ring-model fits: {n_kernel} resonances x {points:.0f} points, float64")
    print(environment())
    print(f"first call (compile or cache load): {first_call_s:8.3f} s")
    print(f"Numba LM kernel        : {numba_s:8.3f} s  {numba_rate:12.4g} resonances/s")
    print(f"scipy least_squares    : {scipy_s:8.3f} s  {scipy_rate:12.4g} resonances/s "
          f"({n_reference} resonances)")  # fmt: skip
    print(f"ratio Numba/scipy      : {numba_rate / scipy_rate:8.1f} x")
    print(f"max |Δθ|/max(|θ|, 1e-3): {difference:.2e}  (converged {np.mean(status == 0):.1%})")
    print(f"fit_spectra end to end : {end_to_end_s:8.3f} s  {n_end / end_to_end_s:12.4g} "
          f"resonances/s ({n_traces} traces of 3)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
