"""Closed-loop yield throughput: dies per second in the dynamic lock mode, Numba vs NumPy.

Every die of a wafer of the default preset (8 DR lanes, one heated modulator ring each) powers
up, acquires its channel and tracks the default mission profile: a 1 ms record-then-match sweep
and 1 ms of dither-lock tracking at 1 µs, 2,000 steps per ring. Printed, measured in this run:

- the lock alone (:func:`cposim.photonics.yields.closed_loop.lock_banks` on all the wafer's
  banks): Numba kernels and the plain NumPy reference loop on the same banks, and their ratio;
- the whole dynamic pipeline (``simulate_wafers`` with ``lock.mode = "dynamic"``: fabrication,
  static plan for the comparison, lock, link budgets), in dies/s;
- the same for the WDM preset (2 links × TX and RX banks of 8 rings per die), for scale;
- peak memory growth of a dynamic batch run to a run directory over the first one-wafer call,
  which depends on the chunk (one wafer), not on the number of dies: no traces are kept.

Run: ``python benchmarks/bench_dynamic_yield.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_time_s, environment, peak_rss_bytes

from cposim.photonics.yields import engine as E
from cposim.photonics.yields.config import RunSettings, preset
from cposim.photonics.yields.run import run_study


def wafer_lock(config, wafer: int, engine: str):
    """A callable locking every bank of one wafer (fabricated rings drawn beforehand)."""
    layout = config.layout()
    rings, _ = E._study_inputs(config, layout, np.array([wafer]), "numba")
    dies = np.arange(layout.n_dies)
    return lambda: E._lock_wafer(config, rings, 0, wafer, dies, engine)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke-test workload")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    changes = {"lock.mode": "dynamic"}
    if args.quick:
        changes["wafer.diameter_m"] = 0.1
    config = preset("default").with_changes(changes)
    dies = config.layout().n_dies
    settings = config.dynamic
    steps = round(
        (settings.acquisition_time_s + settings.tracking_time_s) / settings.sample_period_s
    )
    repeats = 1 if args.quick else 3

    start = time.perf_counter()
    E.simulate_wafers(config, [0])
    first_call_s = time.perf_counter() - start
    # the batch run first: the peak resident set is a high-water mark, and the NumPy reference
    # below needs more memory than a chunk
    n_batch = 2 if args.quick else 6
    batch = config.with_changes({"run": RunSettings(seed=1, n_wafers=n_batch, wafers_per_chunk=1)})
    rss_before = peak_rss_bytes()
    with tempfile.TemporaryDirectory() as directory:
        start = time.perf_counter()
        run_study(batch, Path(directory) / "run", progress=False)
        batch_s = time.perf_counter() - start
    rss_growth = peak_rss_bytes() - rss_before

    lock_s = best_time_s(wafer_lock(config, 1, "numba"), repeats=repeats)
    reference_s = best_time_s(wafer_lock(config, 1, "numpy"), repeats=1)
    pipeline_s = best_time_s(lambda: E.simulate_wafers(config, [1]), repeats=repeats)
    wdm = preset("wdm-8x200g").with_changes(changes)
    E.simulate_wafers(wdm, [0])
    wdm_s = best_time_s(lambda: E.simulate_wafers(wdm, [1]), repeats=repeats)

    rings = config.layout().die.n_rings
    print(
        f"Dynamic lock, default preset: {dies} dies per wafer, {rings} rings per die, "
        f"{steps} steps per ring ({settings.detector} detector, {settings.arbitration})"
    )
    print(environment())
    print(f"first call (compile or cache load): {first_call_s:8.2f} s")
    print(
        f"lock, Numba kernels   : {dies / lock_s:10.0f} dies/s "
        f"({dies * rings * steps / lock_s:.2e} ring-steps/s)"
    )
    print(f"lock, NumPy reference : {dies / reference_s:10.0f} dies/s")
    print(f"ratio Numba/NumPy     : {reference_s / lock_s:10.1f} x")
    print(f"dynamic pipeline      : {dies / pipeline_s:10.0f} dies/s (one wafer, all stages)")
    wdm_dies = wdm.layout().n_dies
    print(
        f"WDM preset pipeline   : {wdm_dies / wdm_s:10.0f} dies/s "
        f"({wdm.layout().die.n_rings} rings per die)"
    )
    n_dies = n_batch * dies
    print(
        f"batch run with Parquet: {n_dies / batch_s:10.0f} dies/s ({n_dies} dies, "
        f"{batch_s:.1f} s); peak memory growth {rss_growth / 2**20:.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
