"""Throughput of the microring spectrum kernel (workload W1 of the foundation issue).

W1: 20,000 all-pass rings, each with its own neff, loss and coupling, × 2,000 wavelengths in
1300-1320 nm, float64. Prints ring-points per second of the library path (``Ring.through``) and
of a NumPy closed-form reference measured in the same run, their ratio, the maximum absolute
difference, and the first-call time (Numba compile, or cache load when the on-disk cache is
warm). With SAX installed (``pip install cposim[bench]``) it also times SAX on the same
workload.

Run: ``python benchmarks/bench_ring.py`` (``--quick`` for a small smoke run).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_time_s, environment

from cposim.photonics.devices import _reference as _ring_reference
from cposim.photonics.devices.ring import Ring


def workload(n_rings: int, n_wavelengths: int):
    """W1 rings (own neff, loss, coupling) and the wavelength grid in metres."""
    rng = np.random.default_rng(2024)
    rings = Ring(
        neff=rng.uniform(2.55, 2.65, n_rings),
        loss_db_per_m=rng.uniform(500.0, 5000.0, n_rings),
        power_coupling_in=rng.uniform(0.01, 0.2, n_rings),
        power_coupling_drop=0.0,
    )
    return rings, np.linspace(1300e-9, 1320e-9, n_wavelengths)


def numpy_reference(rings: Ring, wavelength_m: np.ndarray) -> np.ndarray:
    """Through-port closed form in plain NumPy (broadcasting, ``np.cos``)."""
    through, _ = _ring_reference.reference_through_drop(
        radius_m=rings.radius_m,
        straight_length_m=rings.straight_length_m,
        neff=rings.neff,
        ng=rings.ng,
        wavelength0_m=rings.wavelength0_m,
        loss_db_per_m=rings.loss_db_per_m,
        power_coupling_in=rings.power_coupling_in,
        power_coupling_drop=rings.power_coupling_drop,
        dneff_dt_per_k=rings.dneff_dt_per_k,
        delta_t_k=0.0,
        wavelength_m=wavelength_m,
        want_drop=False,
    )
    return through


def sax_timing(rings: Ring, wavelength_m: np.ndarray):
    """Seconds for SAX's all-pass ring circuit on the same workload, or None without SAX."""
    try:
        import jax
        import sax  # noqa: F401
    except ImportError:
        return None
    from _sax_ring import sax_all_pass_through

    function = sax_all_pass_through(rings, wavelength_m)
    jax.block_until_ready(function())  # compile
    return best_time_s(lambda: jax.block_until_ready(function()), repeats=3)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke-test workload")
    args = parser.parse_args(argv)
    n_rings, n_wavelengths = (200, 200) if args.quick else (20_000, 2_000)
    repeats = 1 if args.quick else 3
    points = n_rings * n_wavelengths

    rings, wavelength_m = workload(n_rings, n_wavelengths)
    start = time.perf_counter()
    Ring(power_coupling_drop=0.0).through(wavelength_m[:4])
    first_call_s = time.perf_counter() - start

    library = rings.through(wavelength_m)
    reference = numpy_reference(rings, wavelength_m)
    max_error = float(np.max(np.abs(library - reference)))
    del reference

    library_s = best_time_s(lambda: rings.through(wavelength_m), repeats=repeats)
    numpy_s = best_time_s(lambda: numpy_reference(rings, wavelength_m), repeats=repeats)

    print(f"W1 ring spectra: {n_rings} all-pass rings x {n_wavelengths} wavelengths, float64")
    print(environment())
    print(f"first call (compile or cache load): {first_call_s:8.3f} s")
    print(f"library  Ring.through : {library_s:8.4f} s  {points / library_s:12.4g} ring-points/s")
    print(f"NumPy closed form     : {numpy_s:8.4f} s  {points / numpy_s:12.4g} ring-points/s")
    print(f"ratio library/NumPy   : {numpy_s / library_s:8.1f} x")
    print(f"max |library - NumPy| : {max_error:.2e}")
    sax_s = sax_timing(rings, wavelength_m)
    if sax_s is None:
        print("SAX                   : not installed (pip install 'cposim[bench]')")
    else:
        print(
            f"SAX                   : {sax_s:8.4f} s  {points / sax_s:12.4g} ring-points/s  "
            f"(library is {sax_s / library_s:.1f} x faster)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
