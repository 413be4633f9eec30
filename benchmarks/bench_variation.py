"""Throughput of the fabrication-variation sampler (rings per second).

Samples whole 300 mm wafers of the default layout (1732 dies × 128 rings) with the "typical"
preset — wafer-level correlated fields for width, thickness and gap, lot/wafer offsets, bowl and
tilt, local mismatch and the quadratic resonance mapping — until at least 10^4 dies are drawn,
and prints rings per second of :func:`cposim.photonics.fab.sampling.sample` (Numba assembly,
threads over wafers) and of the plain NumPy, single-threaded implementation of the same model
measured in the same run, their ratio, the first-call time (compilation or cache load) and the
cost of evaluating the power couplings (NumPy, through the coupler model).

Run: ``python benchmarks/bench_variation.py`` (``--quick`` for a smoke run of one wafer).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_time_s, environment

from cposim.photonics.fab import sampling, variation
from cposim.photonics.fab.wafer import WaferLayout


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one wafer, one repeat")
    parser.add_argument("--dies", type=float, default=1e4, help="dies to sample (default 1e4)")
    args = parser.parse_args(argv)

    layout = WaferLayout()
    model = variation.preset("typical")
    n_wafers = 1 if args.quick else int(np.ceil(args.dies / layout.n_dies))
    repeats = 1 if args.quick else 3
    n_rings = n_wafers * layout.n_dies * layout.n_rings_per_die
    print(environment())
    print(
        f"{n_wafers} wafers × {layout.n_dies} dies × {layout.n_rings_per_die} rings "
        f"= {n_rings:.3e} rings"
    )

    start = time.perf_counter()
    sampling.sample(model, layout, wafer_indices=[0], rng=1)
    first_s = time.perf_counter() - start

    def library():
        return sampling.sample(model, layout, wafer_indices=n_wafers, rng=1)

    def reference():
        return sampling.reference_sample(model, layout, wafer_indices=n_wafers, rng=1)

    library_s = best_time_s(library, repeats=repeats)
    reference_s = best_time_s(reference, repeats=1 if args.quick else 2)
    result = library()
    difference = np.abs(result.resonance_shift_m - reference().resonance_shift_m).max()
    coupling_s = best_time_s(result.power_coupling_in, repeats=1)

    library_rate, reference_rate = n_rings / library_s, n_rings / reference_s
    print(f"sample (Numba, threads)   {library_rate:10.3e} rings/s   ({library_s * 1e3:7.1f} ms)")
    print(
        f"NumPy reference (serial)  {reference_rate:10.3e} rings/s   ({reference_s * 1e3:7.1f} ms)"
    )
    print(
        f"ratio {library_rate / reference_rate:.1f}x   first call (compile or cache load) "
        f"{first_s:.2f} s   max |Δλ library - reference| {difference:.1e} m"
    )
    print(f"power_coupling_in (NumPy via EvanescentCoupler) {n_rings / coupling_s:10.3e} rings/s")


if __name__ == "__main__":
    main()
