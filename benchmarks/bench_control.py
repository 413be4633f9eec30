"""Throughput of the closed-loop lock kernel and of the batched tuning plans.

Prints ring-steps per second of the Numba kernel and of the NumPy reference of the same loop
(measured in this run, on fewer steps), their ratio, and the compile time, for:

1. 10,000 rings (625 banks × 16) with 3-neighbour crosstalk under PI control, 10,000 steps,
   with the Lorentzian-slope detector and with the dither + lock-in detector; with JAX
   installed (``pip install cposim[bench]``) also the same loop as a ``jax.lax.scan``
   (``_jax_lock.py``) and the Numba/JAX ratio, on the next line. JAX runs the whole workload
   once untimed first, which compiles every chunk shape of the run (it runs in chunks of steps,
   and a shorter last chunk would compile again), then once timed;
2. one 16-ring bank, 10^6 steps (per-step overhead dominates);
3. batched tuning plans of 8-ring banks (banks per second, each strategy), against the
   per-bank scipy reference.

Run: ``python benchmarks/bench_control.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
try:
    import _jax_lock
except ImportError:  # JAX not installed: Numba and NumPy only
    _jax_lock = None

from cposim.control.controllers import PIDController
from cposim.control.detectors import DitherLockInDetector, LorentzianSlopeDetector
from cposim.control.heater import HeaterDriver
from cposim.control.loop.locking import ResonatorArrays, simulate_locking
from cposim.control.thermal import Disturbance, ThermalNetwork
from cposim.control.tuning.plan import plan_tuning

SPACING_M = 1.1e-9
SAMPLE_PERIOD_S = 1e-6


def _bank_problem(n_banks: int, n_rings: int, seed: int = 0):
    grid = 1300.05e-9 + (np.arange(n_rings) - (n_rings - 1) / 2) * SPACING_M
    rng = np.random.default_rng(seed)
    cold = grid - 1.5e-9 + rng.normal(0.0, 0.1e-9, (n_banks, n_rings))
    resonators = ResonatorArrays(cold_resonance_m=cold, fsr_m=n_rings * SPACING_M)
    network = ThermalNetwork.banded(n_rings, neighbour_fractions=(0.1, 0.03, 0.01))
    gain = float(network.tuning_efficiency_m_per_w(63e-12)[0])
    controller = PIDController.lambda_tuned(
        plant_gain_m_per_w=gain, time_constant_s=4e-6, closed_loop_time_constant_s=50e-6
    )
    return resonators, grid, network, controller


def _run(problem, detector, n_steps, engine):
    resonators, grid, network, controller = problem
    start = time.perf_counter()
    simulate_locking(
        resonators,
        grid,
        network=network,
        controller=controller,
        detector=detector,
        sample_period_s=SAMPLE_PERIOD_S,
        n_steps=n_steps,
        heater=HeaterDriver(full_scale_voltage_v=3.0),
        disturbance=Disturbance(ambient_ramp_k_per_s=2000.0),
        trace_decimation=max(1, n_steps // 100),
        engine=engine,
        rng=1,
    )
    return time.perf_counter() - start


def _jax_timing(problem, detector, n_steps):
    """(first run incl. compile, second run) in seconds of the JAX loop on the same workload."""
    with _jax_lock.numpy_engine_runs_jax():
        first_s = _run(problem, detector, n_steps, "numpy")
        return first_s, _run(problem, detector, n_steps, "numpy")


def bench_loop(name, n_banks, n_rings, n_steps, n_reference_steps, detector, *, with_jax=False):
    problem = _bank_problem(n_banks, n_rings)
    start = time.perf_counter()
    _run(problem, detector, 2, "numba")
    compile_s = time.perf_counter() - start
    # Best of three: the two cores are shared, and single runs vary by up to ~10 %.
    numba_s = min(_run(problem, detector, n_steps, "numba") for _ in range(3))
    numpy_s = _run(problem, detector, n_reference_steps, "numpy")
    rings = n_banks * n_rings
    numba_rate = rings * n_steps / numba_s
    numpy_rate = rings * n_reference_steps / numpy_s
    print(
        f"{name:<44s} numba {numba_rate:9.3e} ring-steps/s   numpy {numpy_rate:9.3e}   "
        f"ratio {numba_rate / numpy_rate:7.1f}x   (first call incl. compile {compile_s:.2f} s)"
    )
    if with_jax and _jax_lock is not None:
        first_s, jax_s = _jax_timing(problem, detector, n_steps)
        jax_rate = rings * n_steps / jax_s
        print(
            f"{'':<44s} jax   {jax_rate:9.3e} ring-steps/s   numba/jax ratio "
            f"{numba_rate / jax_rate:7.1f}x   (first run incl. compile {first_s:.2f} s)"
        )


def bench_tuning(n_banks: int, n_rings: int, n_reference: int):
    rng = np.random.default_rng(2)
    grid = 1300.05e-9 + np.arange(n_rings) * 2.24e-9
    cold = grid - 3e-9 + rng.normal(0.0, 1e-9, (n_banks, n_rings))
    crosstalk = ThermalNetwork.banded(n_rings).crosstalk_fraction
    common = {
        "fsr_m": n_rings * 2.24e-9,
        "channel_wavelength_m": grid,
        "tuning_efficiency_m_per_w": 0.2e-6,
        "max_heater_power_w": 0.05,
        "crosstalk_fraction": crosstalk,
    }
    for strategy in ("ordered", "barrel", "free"):
        start = time.perf_counter()
        plan_tuning(cold[:2], strategy=strategy, **common)
        compile_s = time.perf_counter() - start
        best = np.inf
        for _ in range(3):
            start = time.perf_counter()
            plans = plan_tuning(cold, strategy=strategy, **common)
            best = min(best, time.perf_counter() - start)
        start = time.perf_counter()
        plan_tuning(cold[:n_reference], strategy=strategy, engine="numpy", **common)
        reference_rate = n_reference / (time.perf_counter() - start)
        rate = n_banks / best
        print(
            f"tuning plan, {n_rings}-ring banks, {strategy:<8s}        numba {rate:9.3e} banks/s"
            f"        scipy {reference_rate:9.3e}   ratio {rate / reference_rate:7.1f}x   "
            f"(feasible {plans.feasible.mean():.1%}; compile {compile_s:.2f} s)"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check it runs")
    args = parser.parse_args(argv)
    if args.quick:
        big = {"n_banks": 4, "n_steps": 200, "n_reference_steps": 20}
        small = {"n_steps": 1000, "n_reference_steps": 50}
        tuning = {"n_banks": 1000, "n_reference": 20}
    else:
        big = {"n_banks": 625, "n_steps": 10_000, "n_reference_steps": 300}
        small = {"n_steps": 1_000_000, "n_reference_steps": 5000}
        tuning = {"n_banks": 200_000, "n_reference": 2000}
    for label, detector in (
        ("Lorentzian slope", LorentzianSlopeDetector()),
        ("dither + lock-in", DitherLockInDetector()),
    ):
        rings = big["n_banks"] * 16
        bench_loop(
            f"{rings} rings, 3-nbr crosstalk, PI, {label}",
            n_rings=16,
            detector=detector,
            with_jax=True,
            **big,
        )
    bench_loop(
        "one 16-ring bank, Lorentzian slope",
        n_banks=1,
        n_rings=16,
        detector=LorentzianSlopeDetector(),
        **small,
    )
    bench_tuning(n_rings=8, **tuning)


if __name__ == "__main__":
    main()
