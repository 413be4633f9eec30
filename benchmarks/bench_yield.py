"""End-to-end yield throughput: dies per second for the default preset (8 DR lanes, one heated
modulator ring each, static lock), Numba pipeline vs the same pipeline on every stage's NumPy
reference, in one run (the dynamic lock mode: ``bench_dynamic_yield.py``).

Three figures:

- pipeline only (``simulate_wafers``, in memory), library and NumPy reference, and their ratio;
- a batch run to a run directory (``run_study``: Parquet parts, checksums, manifest), in dies/s
  including the writes and reading the result back, after a one-wafer run that pays the
  process's one-time imports (pandas, pyarrow: ≈ 0.4 s, printed);
- peak memory (resident set) growth during the batch run, which depends on the chunk size, not
  on the number of dies.

Run: ``python benchmarks/bench_yield.py`` (``--quick`` for a smoke run; ``--wafers N`` sets the
batch size, default 26 wafers ≈ 10^5 dies).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_time_s, environment, peak_rss_bytes

from cposim.photonics.yields.config import RunSettings, preset
from cposim.photonics.yields.engine import simulate_wafers
from cposim.photonics.yields.run import run_study


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke-test workload")
    parser.add_argument("--wafers", type=int, default=26, help="wafers in the batch run")
    args = parser.parse_args(argv)

    config = preset("default")
    if args.quick:
        config = config.with_changes({"wafer.diameter_m": 0.1})
    dies_per_wafer = config.layout().n_dies
    n_batch_wafers = 2 if args.quick else args.wafers

    start = time.perf_counter()
    simulate_wafers(config, [0])
    first_call_s = time.perf_counter() - start
    library_s = best_time_s(lambda: simulate_wafers(config, [1]), repeats=1 if args.quick else 3)
    numpy_s = best_time_s(lambda: simulate_wafers(config, [1], engine="numpy"), repeats=1)

    def timed_batch_s(n_wafers):
        """Seconds of a batch run of ``n_wafers`` into a fresh directory."""
        run = RunSettings(seed=1, n_wafers=n_wafers, wafers_per_chunk=1)
        with tempfile.TemporaryDirectory() as directory:
            start = time.perf_counter()
            run_study(config.with_changes({"run": run}), Path(directory) / "run", progress=False)
            return time.perf_counter() - start

    first_batch_s = timed_batch_s(1)  # a process's first run imports pandas and pyarrow
    rss_before = peak_rss_bytes()
    batch_s = timed_batch_s(n_batch_wafers)
    rss_growth = peak_rss_bytes() - rss_before

    rings_per_die = config.layout().die.n_rings
    print(
        f"Yield pipeline, default preset: {dies_per_wafer} dies per wafer, "
        f"{rings_per_die} rings per die"
    )
    print(environment())
    print(f"first call (compile or cache load): {first_call_s:8.2f} s")
    print(f"library pipeline      : {dies_per_wafer / library_s:10.0f} dies/s (one wafer)")
    print(f"NumPy reference       : {dies_per_wafer / numpy_s:10.0f} dies/s")
    print(f"ratio library/NumPy   : {numpy_s / library_s:10.1f} x")
    n_dies = n_batch_wafers * dies_per_wafer
    print(
        f"batch run with Parquet: {n_dies / batch_s:10.0f} dies/s ({n_dies} dies, "
        f"{batch_s:.1f} s, includes reading the result back)"
    )
    print(
        f"first batch run       : {first_batch_s:10.2f} s (one wafer; imports pandas and pyarrow, "
        "once per process)"
    )
    print(f"peak memory growth    : {rss_growth / 2**20:10.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
