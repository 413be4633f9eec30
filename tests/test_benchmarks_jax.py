"""JAX version of the lock loop (``benchmarks/_jax_lock.py``) against the NumPy reference.

Skipped unless JAX is installed (``pip install 'cposim[bench]'``).
"""

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jax")

from cposim.control.controllers import PIDController
from cposim.control.detectors import (
    DitherLockInDetector,
    IdealDetector,
    LorentzianSlopeDetector,
    MonitorPhotodiode,
    PowerMaximumTracker,
)
from cposim.control.heater import HeaterDriver
from cposim.control.loop import _reference as _loop_reference
from cposim.control.loop import locking as loop
from cposim.control.loop.locking import ResonatorArrays, simulate_locking
from cposim.control.thermal import Disturbance, ThermalNetwork

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
SPACING_M = 1.1e-9

DETECTORS = {
    "ideal": IdealDetector(noise_m=2e-12, quantisation_step_m=0.5e-12),
    "lorentzian": LorentzianSlopeDetector(),
    "dither": DitherLockInDetector(photodiode=MonitorPhotodiode(noise_density_a_per_rthz=2e-9)),
}


@pytest.fixture
def benchmarks(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import _jax_lock
    import bench_control

    return bench_control, _jax_lock


def _problem(n_banks, n_rings, anti_windup):
    grid = 1300.05e-9 + (np.arange(n_rings) - (n_rings - 1) / 2) * SPACING_M
    rng = np.random.default_rng(3)
    cold = grid - 1.5e-9 + rng.normal(0.0, 0.1e-9, (n_banks, n_rings))
    network = ThermalNetwork.banded(n_rings)
    gain = float(network.tuning_efficiency_m_per_w(63e-12)[0])
    controller = PIDController.lambda_tuned(
        plant_gain_m_per_w=gain,
        time_constant_s=4e-6,
        closed_loop_time_constant_s=50e-6,
        anti_windup=anti_windup,
    )
    kwargs = {
        "network": network,
        "controller": controller,
        "sample_period_s": 1e-6,
        "n_steps": 400,
        "trace_decimation": 3,
        "disturbance": Disturbance(
            ambient_ramp_k_per_s=5000.0,
            asic_time_s=[0.0, 2e-4],
            asic_power_w=[0.0, 40.0],
            asic_time_constant_s=2e-5,
        ),
        "stats_start_s": 1e-4,
        "rng": 5,
    }
    return ResonatorArrays(cold_resonance_m=cold, fsr_m=n_rings * SPACING_M), grid, kwargs


def _assert_same(jax_result, reference):
    # Same arithmetic in the same order, except that XLA may contract a·b + c into one fused
    # multiply-add and that its cos/sin of the Box–Muller noise may differ in the last bit.
    for field in (
        "detuning_m",
        "heater_power_w",
        "error_m",
        "residual_mean_m",
        "residual_std_m",
        "residual_max_abs_m",
        "mean_heater_power_w",
        "final_heater_power_w",
    ):
        np.testing.assert_allclose(
            getattr(jax_result, field),
            getattr(reference, field),
            rtol=1e-9,
            atol=1e-20,
            err_msg=field,
        )
    for field in ("locked", "time_to_lock_s", "lock_loss_count", "residual_samples"):
        np.testing.assert_array_equal(getattr(jax_result, field), getattr(reference, field), field)


@pytest.mark.parametrize(
    ("name", "anti_windup", "dac_bits", "full_scale_v", "n_banks"),
    [
        ("ideal", "clamping", 8, 3.0, 2),
        ("ideal", "back_calculation", 0, 1.0, 7),
        ("lorentzian", "none", 10, 1.0, 2),
        ("lorentzian", "back_calculation", 10, 3.0, 7),
        ("lorentzian", "clamping", 0, 1.0, 7),
        ("dither", "clamping", 10, 1.0, 7),
        ("dither", "none", 0, 3.0, 2),
    ],
)
def test_jax_loop_equals_numpy_reference(
    benchmarks, name, anti_windup, dac_bits, full_scale_v, n_banks
):
    """1 V full scale (2 mW) saturates heaters, so the anti-windup modes act."""
    _, jax_lock = benchmarks
    resonators, grid, kwargs = _problem(n_banks, 5, anti_windup)
    heater = HeaterDriver(full_scale_voltage_v=full_scale_v, dac_bits=dac_bits)
    kwargs |= {"detector": DETECTORS[name], "heater": heater}
    reference = simulate_locking(resonators, grid, engine="numpy", **kwargs)
    with jax_lock.numpy_engine_runs_jax():
        result = simulate_locking(resonators, grid, engine="numpy", **kwargs)
    _assert_same(result, reference)


def test_jax_loop_carries_state_across_chunks(benchmarks, monkeypatch):
    """Chunks of 23 steps: state, lock-in history and records cross chunk boundaries that do
    not fall on recorded steps (decimation 3 → head, blocks and a partial tail per chunk)."""
    _, jax_lock = benchmarks
    resonators, grid, kwargs = _problem(2, 5, "clamping")
    kwargs |= {"detector": DETECTORS["dither"], "heater": HeaterDriver(full_scale_voltage_v=3.0)}
    monkeypatch.setattr(jax_lock, "CHUNK_NORMALS", 23 * 10)
    reference = simulate_locking(resonators, grid, engine="numpy", **kwargs)
    with jax_lock.numpy_engine_runs_jax():
        result = simulate_locking(resonators, grid, engine="numpy", **kwargs)
    assert loop.LOOP_ENGINES["numpy"].lock is _loop_reference.lock_banks_reference  # restored
    _assert_same(result, reference)


def test_jax_loop_rejects_power_maximum_tracker(benchmarks):
    _, jax_lock = benchmarks
    resonators, grid, kwargs = _problem(1, 5, "clamping")
    kwargs |= {"detector": PowerMaximumTracker(), "n_steps": 10}
    with jax_lock.numpy_engine_runs_jax(), pytest.raises(ValueError, match="kind 3"):
        simulate_locking(resonators, grid, engine="numpy", **kwargs)


def test_quick_benchmark_times_jax(benchmarks, capsys):
    bench_control, _ = benchmarks
    bench_control.main(["--quick"])
    out = capsys.readouterr().out
    assert out.count("numba/jax ratio") == 2
