"""Throughput of the time-domain link (issue 16's performance target).

Workload: many lanes of the default 200G PAM4 transmitter (60 GHz Bessel driver, junction RC,
ring by CMT with self-heating) and receiver (single-pole TIA, thermal + shot + RIN noise), each
lane a different shift of PRBS13Q, at 16 and 32 samples per symbol. Prints PAM4 symbols per
second through modulator + receiver for the Numba kernels (lanes in parallel) and for the NumPy
reference vectorised over lanes on a subset, in the same run, their ratio and the largest
relative difference; then the noise draws' share (NumPy ``standard_normal``, one per sample);
then TDECQ of one SSPRQ period (2^16 - 1 symbols at 16 samples/symbol) including the
reference-FFE optimisation.

Run: ``python benchmarks/bench_timedomain.py`` (``--quick`` for a small smoke run).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_time_s, environment

from cposim.photonics.link import LinkParameters
from cposim.photonics.timedomain import (
    Receiver,
    Transmitter,
    _kernels,
    _reference,
    prbs13q,
    ssprq,
    tdecq,
)


def workload(lanes: int, n_symbols: int, sps: int):
    tx, rx = Transmitter(), Receiver()
    base = np.resize(prbs13q(), n_symbols)
    symbols = np.stack([np.roll(base, 97 * i) for i in range(lanes)])
    drive, terms, grid = tx.kernel_inputs(symbols, sps)
    rx_terms = rx.kernel_terms(
        sample_interval_s=grid.symbol_time_s / sps,
        gain_a_per_w=np.full(lanes, 0.9 * 10**-0.4),
        warmup_samples=256,
    )
    return drive, terms, grid, rx_terms


def run(engine, inputs, normals):
    drive, terms, grid, rx_terms = inputs
    lanes, n = drive.symbols.shape[0], drive.symbols.shape[1] * grid.samples_per_symbol
    power, current = np.empty((lanes, n)), np.empty((lanes, n))
    field = np.empty((0, 0), dtype=np.complex128)
    engine.modulate(drive, terms, grid, power, field, False)
    engine.receive(rx_terms, power, normals, current)
    return current


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke-test workload")
    args = parser.parse_args(argv)
    lanes, n_symbols, ref_lanes, ref_symbols = (
        (4, 512, 4, 128) if args.quick else (32, 8191, 32, 512)
    )
    repeats = 1 if args.quick else 3
    print("time-domain PAM4 lanes: modulator (driver, RC, CMT ring, self-heating) + receiver")
    print(environment())
    start = time.perf_counter()
    run(_kernels, workload(2, 64, 16), np.zeros((2, 64 * 16)))
    print(f"first call (compile or cache load): {time.perf_counter() - start:8.3f} s")
    for sps in (16, 32):
        inputs = workload(lanes, n_symbols, sps)
        rng = np.random.default_rng(1)
        shape = (lanes, n_symbols * sps)
        noise_s = best_time_s(lambda r=rng, s=shape: r.standard_normal(s), repeats=1)
        normals = rng.standard_normal((lanes, n_symbols * sps))
        numba_s = best_time_s(lambda i=inputs, n=normals: run(_kernels, i, n), repeats=repeats)
        small = workload(ref_lanes, ref_symbols, sps)
        small_normals = normals[:ref_lanes, : ref_symbols * sps]
        reference_s = best_time_s(lambda i=small, n=small_normals: run(_reference, i, n), repeats=1)
        fast = run(_kernels, small, small_normals)
        ref = run(_reference, small, small_normals)
        difference = float(np.max(np.abs(fast - ref)) / np.max(np.abs(ref)))
        numba_rate = lanes * n_symbols / numba_s
        reference_rate = ref_lanes * ref_symbols / reference_s
        print(f"--- {sps} samples/symbol")
        print(f"Numba kernels     : {numba_s:8.3f} s  {numba_rate:12.4g} symbols/s "
              f"({lanes} lanes x {n_symbols} symbols)")  # fmt: skip
        print(f"NumPy reference   : {reference_s:8.3f} s  {reference_rate:12.4g} symbols/s "
              f"({ref_lanes} lanes x {ref_symbols} symbols)")  # fmt: skip
        print(f"ratio Numba/NumPy : {numba_rate / reference_rate:8.1f} x   "
              f"max relative difference {difference:.1e}")  # fmt: skip
        print(
            f"noise draws       : {noise_s:8.3f} s  (NumPy, not in the kernel time above; "
            f"with them {lanes * n_symbols / (numba_s + noise_s):.4g} symbols/s)"
        )
    capture = Transmitter.from_link(LinkParameters.dr_lane()).modulate(
        ssprq()[: 4096 if args.quick else None]
    )

    def measure():
        return tdecq(capture.samples, samples_per_symbol=16, symbol_rate_baud=100e9,
                     symbols=capture.symbols)  # fmt: skip

    measure()  # compile
    tdecq_s = best_time_s(measure, repeats=repeats)
    print(f"--- TDECQ of {capture.symbols.size} SSPRQ symbols x 16 samples: {tdecq_s:.3f} s "
          f"({measure().tdecq_db:.2f} dB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
