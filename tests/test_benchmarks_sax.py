"""SAX version of benchmark workload W1 (``benchmarks/_sax_ring.py``) against cposim's rings.

Skipped unless SAX (the JAX photonic circuit simulator, ``pip install 'cposim[bench]'``) is
installed.
"""

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sax")

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


@pytest.fixture
def benchmarks(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import _sax_ring
    import bench_ring

    return bench_ring, _sax_ring


@pytest.mark.parametrize("backend", ["filipsson_gunnar", "klu"])
def test_sax_matches_ring_through(benchmarks, backend):
    # Both compute the same closed form in float64; they differ only by rounding of the
    # ~280 rad round-trip phase (~1e-13 rad), amplified near resonance by dT/dφ ≲ 1/(1 - r·a)
    # ~ 1e3 for these rings: 1e-9 leaves a wide margin (measured ~3e-12).
    bench_ring, sax_ring = benchmarks
    rings, wavelength_m = bench_ring.workload(60, 300)
    # The callable is dropped while JAX still runs its result: with "klu" this segfaulted before
    # _sax_ring kept its circuits alive (the compiled program points into the circuit).
    through = np.asarray(sax_ring.sax_all_pass_through(rings, wavelength_m, backend=backend)())
    assert through.dtype == np.float64
    assert through.shape == (60, 300)
    np.testing.assert_allclose(through, rings.through(wavelength_m), rtol=0, atol=1e-9)


def test_sax_keeps_ring_and_wavelength_shapes(benchmarks):
    _, sax_ring = benchmarks
    from cposim.photonics.devices.ring import Ring

    rings = Ring(
        radius_m=[[5e-6], [8e-6]],
        neff=[2.55, 2.6, 2.65],
        straight_length_m=2e-6,
        power_coupling_drop=0.0,
    )
    wavelength_m = np.linspace(1300e-9, 1320e-9, 40).reshape(4, 10)
    through = np.asarray(sax_ring.sax_all_pass_through(rings, wavelength_m)())
    assert through.shape == (2, 3, 4, 10)
    np.testing.assert_allclose(through, rings.through(wavelength_m), rtol=0, atol=1e-9)


def test_sax_rejects_add_drop_rings(benchmarks):
    _, sax_ring = benchmarks
    from cposim.photonics.devices.ring import Ring

    with pytest.raises(ValueError, match="power_coupling_drop"):
        sax_ring.sax_all_pass_through(Ring(), np.array([1310e-9]))


def test_quick_benchmark_times_sax(benchmarks, capsys):
    bench_ring, _ = benchmarks
    assert bench_ring.main(["--quick"]) == 0
    assert "ring-points/s  (library is" in capsys.readouterr().out
