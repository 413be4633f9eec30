"""Throughput of the per-lane link budget: Numba kernel vs the plain-NumPy reference.

Evaluates the default 8 λ × 200G PAM4 link for many lanes, each with its own modulator and
demultiplexer detuning, FWHM and laser power (random, drawn beforehand), and prints lanes per
second, the ratio against the NumPy reference measured in the same run, and the compile time.

    python benchmarks/bench_link.py            # 10^6 lanes
    python benchmarks/bench_link.py --quick    # 10^4 lanes, for tests

The headline figure is end to end (``evaluate_lanes``: input checks, output allocation and
the kernel, which also does the dB conversions); the kernel alone is printed beside it.
"""

from __future__ import annotations

import argparse
import os
import time

import numba
import numpy as np

from cposim.photonics.link import _kernels, _reference
from cposim.photonics.link._kernels import LaneInputs, LaneOutputs
from cposim.photonics.link.lanes import evaluate_lanes, link_constants, single_pole_isi_closure
from cposim.photonics.link.parameters import LinkParameters


def random_lanes(params: LinkParameters, n_links: int, rng: np.random.Generator) -> dict:
    """Per-lane inputs, shape (n_links, n_channels): lock errors, ±10 % FWHM, ±1 dB laser,
    ±10 % receiver noise, log-normal dark current, ±2 dB RIN, 3 % driver swing."""
    shape = (n_links, params.grid.n_channels)
    lanes = {
        "modulator_detuning_m": rng.normal(0.0, 10e-12, shape),
        "modulator_fwhm_m": params.operating_point.fwhm_m * rng.uniform(0.9, 1.1, shape),
        "modulator_extinction_db": rng.uniform(8.0, 12.0, shape),
        "demux_detuning_m": rng.normal(0.0, 30e-12, shape),
        "demux_fwhm_m": params.demux_airy.fwhm_m * rng.uniform(0.9, 1.1, shape),
        "demux_drop_loss_db": rng.uniform(0.8, 1.2, shape),
        "demux_extinction_db": rng.uniform(15.0, 25.0, shape),
        "laser_power_dbm": params.laser_power_dbm + rng.uniform(-1.0, 1.0, shape),
        "tia_noise_density_a_per_sqrt_hz": params.tia_noise_density_a_per_sqrt_hz
        * rng.uniform(0.9, 1.1, shape),
        "dark_current_a": params.photodiode_dark_current_a * rng.lognormal(0.0, 0.5, shape),
        "rin_db_per_hz": params.rin_db_per_hz + rng.uniform(-2.0, 2.0, shape),
        "drive_swing_ratio": 1.0 + 0.03 * rng.standard_normal(shape),
    }
    lanes["isi_closure"] = single_pole_isi_closure(
        params, modulator_fwhm_m=lanes["modulator_fwhm_m"]
    )
    return lanes


def best_time(function, repeats: int) -> float:
    """Smallest wall time of ``repeats`` calls, seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None) -> dict:
    """Run the benchmark and print the figures; returns them as a dict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^4 lanes, one repeat")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls (default 5)")
    parser.add_argument("--lanes", type=int, default=None, help="number of lanes (default 1e6)")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]  # others' work on the machine, before ours starts
    params = LinkParameters()
    n_channels = params.grid.n_channels
    n_lanes = args.lanes or (10_000 if args.quick else 1_000_000)
    n_links = max(n_lanes // n_channels, 1)
    n_lanes = n_links * n_channels
    repeats = args.repeats or (1 if args.quick else 5)
    lanes = random_lanes(params, n_links, np.random.default_rng(2024))

    start = time.perf_counter()
    evaluate_lanes(params, **{k: v[:1] for k, v in lanes.items()})
    compile_s = time.perf_counter() - start

    kernel_s = best_time(lambda: evaluate_lanes(params, **lanes), repeats)
    link = link_constants(params)
    kernel_lanes = LaneInputs(**lanes)
    outputs = LaneOutputs.empty(n_links, n_channels)
    kernel_only_s = best_time(lambda: _kernels.lane_budget(kernel_lanes, link, outputs), repeats)
    reference_links = min(n_links, 12_500)  # the reference holds (links, 8, 8) temporaries
    subset = LaneInputs(*(v[:reference_links] for v in kernel_lanes))
    reference_s = best_time(lambda: _reference.reference_lane_budget(subset, link), repeats)
    reference_rate = reference_links * n_channels / reference_s
    kernel_rate = n_lanes / kernel_s
    figures = {
        "lanes": n_lanes,
        "threads": numba.get_num_threads(),
        "load_average_1min": load_before,
        "compile_or_cache_load_s": compile_s,
        "kernel_lanes_per_s": kernel_rate,
        "kernel_only_lanes_per_s": n_lanes / kernel_only_s,
        "numpy_reference_lanes_per_s": reference_rate,
        "ratio": kernel_rate / reference_rate,
    }
    print(
        f"link budget, {n_lanes} lanes ({n_links} links × {n_channels} λ), "
        f"{figures['threads']} Numba threads, load average {figures['load_average_1min']:.2f} "
        f"on {os.cpu_count()} CPUs before the run"
    )
    print(f"  first call (compile or cache load): {compile_s:.2f} s")
    print(
        f"  Numba kernel (evaluate_lanes):      {kernel_rate:.3e} lanes/s "
        f"({kernel_s:.3f} s, best of {repeats})"
    )
    print(
        f"  of which the kernel alone:          {n_lanes / kernel_only_s:.3e} lanes/s "
        f"({kernel_only_s:.3f} s; the rest is input checks and allocating the outputs)"
    )
    print(f"  NumPy reference ({reference_links * n_channels} lanes): {reference_rate:.3e} lanes/s")
    print(f"  ratio kernel / NumPy:               {figures['ratio']:.1f}x")
    return figures


if __name__ == "__main__":
    main()
