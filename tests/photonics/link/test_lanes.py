"""Lane kernel: API, kernel against its NumPy reference, the power-margin solve, errors."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cposim.photonics.devices.modulator import (
    ModulatorOperatingPoint,
    RingModulator,
    level_metrics,
)
from cposim.photonics.link import PENALTY_NAMES, _reference
from cposim.photonics.link._kernels import LaneInputs
from cposim.photonics.link.lanes import evaluate_lanes, link_constants, single_pole_isi_closure
from cposim.photonics.link.parameters import LinkParameters

ROOT = Path(__file__).resolve().parents[3]


def test_residual_detuning_penalty_grows_with_lock_error():
    errors = np.array([0.0, 10e-12, 20e-12, 40e-12])
    lanes = evaluate_lanes(LinkParameters(), demux_detuning_m=errors[:, None])
    penalty = lanes.penalties_db[:, 0, PENALTY_NAMES.index("residual_detuning")]
    assert penalty[0] == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.diff(penalty) > 0.0)
    # a demux ring far off its channel fails the lane and is named as the cause
    far = evaluate_lanes(LinkParameters(), demux_detuning_m=[[400e-12] + [0.0] * 7])
    assert far.margin_db[0, 0] < 0.0 and not far.passed[0, 0]
    assert far.dominant_penalty_name[0, 0] == "residual_detuning"
    # a modulator pulled onto the laser makes the levels non-monotonic: closed eye
    modulator = LinkParameters().operating_point
    error = -(modulator.bias_detuning_m + modulator.level_shifts_m[2])
    closed = evaluate_lanes(LinkParameters(), modulator_detuning_m=[[error] + [0.0] * 7])
    assert closed.margin_db[0, 0] == -np.inf
    assert closed.dominant_penalty_name[0, 0] == "residual_detuning"
    assert np.isnan(closed.penalties_db[0, 0, PENALTY_NAMES.index("isi") :]).all()


def test_lane_api_broadcasts_and_tabulates():
    rng = np.random.default_rng(1)
    lanes = evaluate_lanes(
        LinkParameters(),
        modulator_detuning_m=rng.normal(0, 5e-12, (3, 5, 8)),
        laser_power_dbm=rng.uniform(9.0, 11.0, (5, 1)),
    )
    assert lanes.ber.shape == (3, 5, 8)
    assert lanes.penalties_db.shape == (3, 5, 8, len(PENALTY_NAMES))
    table = lanes.to_dataframe()
    assert len(table) == 120 and "penalty_crosstalk_db" in table
    assert lanes.plot().get_xlabel() == "Margin to target BER (dB)"
    with pytest.raises(ValueError, match="n_channels"):
        evaluate_lanes(LinkParameters(), demux_detuning_m=np.zeros(5))


# ------------------------------------------------------------------------ kernel vs reference
def _random_lanes(params, n_links, seed):
    rng = np.random.default_rng(seed)
    shape = (n_links, params.grid.n_channels)
    lanes = {
        "modulator_detuning_m": rng.normal(0.0, 60e-12, shape),
        "modulator_fwhm_m": params.operating_point.fwhm_m * rng.uniform(0.8, 1.2, shape),
        "modulator_extinction_db": rng.uniform(6.0, 14.0, shape),
        "demux_detuning_m": rng.normal(0.0, 100e-12, shape),
        "demux_fwhm_m": params.demux_airy.fwhm_m * rng.uniform(0.8, 1.2, shape),
        "demux_drop_loss_db": rng.uniform(0.5, 2.0, shape),
        "demux_extinction_db": rng.uniform(10.0, 30.0, shape),
        "laser_power_dbm": rng.uniform(6.0, 14.0, shape),
        "tia_noise_density_a_per_sqrt_hz": rng.uniform(5e-12, 10e-12, shape),
        "dark_current_a": rng.uniform(0.0, 2e-6, shape),
        "rin_db_per_hz": rng.uniform(-150.0, -140.0, shape),
        "drive_swing_ratio": rng.uniform(0.8, 1.2, shape),
    }
    lanes["isi_closure"] = single_pole_isi_closure(
        params, modulator_fwhm_m=lanes["modulator_fwhm_m"]
    )
    return lanes


@pytest.mark.parametrize("modulation", ["nrz", "pam4"])
def test_kernel_matches_numpy_reference(modulation):
    """Kernel vs reference over random lanes including closed eyes: BER rtol 1e-9, margins and
    penalties atol 1e-6 dB (near-closed eyes lose digits to cancellation)."""
    # At the assumed -145 dB/Hz RIN, 10-90 % of these random lanes fail.
    params = LinkParameters(modulator=RingModulator(modulation=modulation))
    lanes = _random_lanes(params, 300, seed=3)
    result = evaluate_lanes(params, **lanes)
    reference = _reference.reference_lane_budget(LaneInputs(**lanes), link_constants(params))
    assert 0.05 < result.passed.mean() < 0.95  # both outcomes exercised
    np.testing.assert_allclose(result.ber, reference.ber, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(result.margin_db, reference.margin_db, atol=1e-6)
    np.testing.assert_allclose(result.q_margin_db, reference.q_margin_db, atol=1e-6)
    np.testing.assert_allclose(result.penalties_db, reference.penalties_db, atol=1e-6)
    np.testing.assert_array_equal(result.dominant_penalty, reference.dominant_penalty)
    np.testing.assert_allclose(
        10 ** (result.received_average_dbm / 10),
        10 ** (reference.received_average_dbm / 10),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        10 ** (result.received_oma_dbm / 10), 10 ** (reference.received_oma_dbm / 10), rtol=1e-9
    )
    np.testing.assert_allclose(result.demux_pass_by_db, reference.demux_pass_by_db, atol=1e-12)
    for name in ("mux_pass_by_db", "modulator_extinction_ratio_db", "modulator_insertion_loss_db"):
        np.testing.assert_allclose(getattr(result, name), getattr(reference, name), atol=1e-12)


def test_kernel_without_jit_matches_reference_and_the_compiled_kernel(tmp_path):
    """Under NUMBA_DISABLE_JIT (strict IEEE arithmetic) the kernel matches the reference to the
    tolerances above, and the compiled kernel, whose block function may fuse multiply-adds
    (fastmath "contract" only), matches that strict run: BER rtol 1e-12, dB atol 1e-10."""
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from cposim.photonics.link import _reference\n"
        "from cposim.photonics.link._kernels import LaneInputs\n"
        "from cposim.photonics.link.lanes import evaluate_lanes, link_constants\n"
        "from cposim.photonics.link.parameters import LinkParameters\n"
        "import test_lanes as t\n"
        "p = LinkParameters(rin_db_per_hz=-140.0)\n"
        "lanes = t._random_lanes(p, 4, seed=5)\n"
        "r = evaluate_lanes(p, **lanes)\n"
        "ref = _reference.reference_lane_budget(LaneInputs(**lanes), link_constants(p))\n"
        "np.testing.assert_allclose(r.ber, ref.ber, rtol=1e-9, atol=1e-300)\n"
        "np.testing.assert_allclose(r.margin_db, ref.margin_db, atol=1e-6)\n"
        "np.savez(sys.argv[1], **{k: getattr(r, k) for k in t.LANE_OUTPUTS})\n"
    )
    env = dict(
        os.environ,
        NUMBA_DISABLE_JIT="1",
        PYTHONPATH=str(Path(__file__).parent) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    strict_file = tmp_path / "strict.npz"
    subprocess.run(
        [sys.executable, "-W", "error", "-c", code, str(strict_file)],
        check=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    strict = np.load(strict_file)
    params = LinkParameters(rin_db_per_hz=-140.0)
    compiled = evaluate_lanes(params, **_random_lanes(params, 4, seed=5))
    assert 0.0 < compiled.passed.mean() < 1.0
    for name in LANE_OUTPUTS:
        if name == "ber":
            np.testing.assert_allclose(compiled.ber, strict["ber"], rtol=1e-12, atol=1e-300)
        else:
            np.testing.assert_allclose(getattr(compiled, name), strict[name], atol=1e-10)


LANE_OUTPUTS = (
    "received_average_dbm",
    "received_oma_dbm",
    "ber",
    "margin_db",
    "q_margin_db",
    "penalties_db",
    "dominant_penalty",
    "mux_pass_by_db",
    "demux_pass_by_db",
    "modulator_extinction_ratio_db",
    "modulator_insertion_loss_db",
)


def test_benchmark_quick_runs():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_link
    finally:
        sys.path.pop(0)
    figures = bench_link.main(["--quick"])
    assert figures["lanes"] == 10_000 and figures["ratio"] > 0.0


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_lane_inputs_checked_like_check_range(engine):
    """The kernel validates per-lane inputs from the extremes it records while gathering them;
    the messages are check_range's, naming the field and the first offending lane."""
    params = LinkParameters()
    lanes = _random_lanes(params, 50, seed=1)
    for field, bad, message in [
        ("modulator_fwhm_m", 0.0, r"modulator_fwhm_m = 0.0 \(first at index \(20, 3\)\)"),
        ("demux_extinction_db", np.nan, r"demux_extinction_db contains NaN \(first at index \(20"),
        ("laser_power_dbm", np.inf, r"laser_power_dbm contains an infinite value"),
        ("demux_detuning_m", -2e-6, r"demux_detuning_m = -2e-06 .* must be >= -1e-06"),
    ]:
        values = lanes[field].copy()
        values[20, 3] = bad
        with pytest.raises(ValueError, match=message):
            evaluate_lanes(params, engine=engine, **{**lanes, field: values})
    with pytest.raises(ValueError, match="not a number"):
        evaluate_lanes(params, engine=engine, laser_power_dbm="loud")
    # inclusive bounds pass, and an empty batch evaluates to empty arrays
    edge = {**lanes, "demux_drop_loss_db": np.where(lanes["demux_drop_loss_db"] > 1.0, 0.0, 1.0)}
    assert evaluate_lanes(params, engine=engine, **edge).ber.shape == (50, 8)
    empty = evaluate_lanes(params, engine=engine, modulator_detuning_m=np.zeros((0, 8)))
    assert empty.ber.shape == (0, 8)


# --------------------------------------------------------------------- optical power margin
@pytest.mark.parametrize("modulation", ["nrz", "pam4"])
@pytest.mark.parametrize("link", ["dr", "wdm"])
def test_power_margin_puts_the_lane_at_the_target_ber(modulation, link):
    """Raising every laser of a link by a lane's reported margin puts that lane at the target
    BER: its BER equals the target to 1e-6 relative and its margin is then 0 within 0.01 dB,
    on random lanes (RIN-limited, unreachable lanes excluded: their margin is -inf)."""
    base = LinkParameters.dr_lane() if link == "dr" else LinkParameters()
    params = dataclasses.replace(
        base, modulator=dataclasses.replace(base.modulator, modulation=modulation)
    )
    rng = np.random.default_rng(7)
    shape = (40, params.grid.n_channels)
    lanes = {
        "modulator_detuning_m": rng.normal(0.0, 5e-12, shape),
        "modulator_fwhm_m": params.operating_point.fwhm_m * rng.uniform(0.95, 1.05, shape),
        "modulator_extinction_db": rng.uniform(9.0, 11.0, shape),
        "demux_detuning_m": rng.normal(0.0, 5e-12, shape),
        "laser_power_dbm": params.laser_power_dbm + rng.uniform(-22.0, 3.0, (40, 1)),
    }
    if params.demux is None:
        lanes = {k: v for k, v in lanes.items() if not k.startswith("demux")}
    result = evaluate_lanes(params, **lanes)
    finite = np.isfinite(result.margin_db)
    assert finite.mean() > 0.3 and (result.margin_db[finite] > 0).any()
    assert (result.margin_db[finite] < 0).any()
    for r, c in np.argwhere(finite)[:60]:
        shifted = {**lanes, "laser_power_dbm": lanes["laser_power_dbm"] - result.margin_db[r, c]}
        at_target = evaluate_lanes(params, **{k: v[r : r + 1] for k, v in shifted.items()})
        assert at_target.ber[0, c] == pytest.approx(params.target_ber, rel=1e-6)
        assert abs(at_target.margin_db[0, c]) < 0.01


def test_power_and_q_margins_agree_when_thermal_noise_dominates():
    """Without RIN and near the target (the shot noise then changes little) the solved power
    margin equals the q ratio within 0.05 dB; with RIN the q ratio understates what a lower
    laser power still delivers (RIN scales with the power)."""
    base = LinkParameters.dr_lane()
    quiet = dataclasses.replace(base, rin_db_per_hz=-300.0, laser_power_dbm=7.0)
    lanes = evaluate_lanes(quiet)
    assert lanes.margin_db[0] == pytest.approx(lanes.q_margin_db[0], abs=0.05)
    noisy = evaluate_lanes(base)
    assert noisy.margin_db[0] > noisy.q_margin_db[0] + 1.0


def test_rin_limited_lane_has_no_power_margin():
    """At a RIN far above any laser's, no power reaches the target: the margin is -inf."""
    params = dataclasses.replace(LinkParameters.dr_lane(), rin_db_per_hz=-120.0)
    lanes = evaluate_lanes(params, laser_power_dbm=[30.0])
    assert lanes.margin_db[0] == -np.inf and not lanes.passed[0]
    assert np.isfinite(lanes.q_margin_db[0])


# ---------------------------------------------------------------------- receiver bandwidth
def test_receiver_bandwidth_trades_noise_for_isi():
    """A wider receiver never lowers the noise (thermal noise over a wider noise bandwidth,
    a higher thermal-noise sensitivity) and never adds ISI; a narrower one adds ISI."""
    base = LinkParameters.dr_lane()
    bandwidths = np.array([20e9, 35e9, 50e9, 66e9, 100e9, 200e9])
    rows = [dataclasses.replace(base, receiver_bandwidth_hz=b) for b in bandwidths]
    noise = np.array([p.thermal_noise_a for p in rows])
    sensitivity = np.array([p.sensitivity_oma_dbm for p in rows])
    isi = np.array([evaluate_lanes(p).penalties_db[0, PENALTY_NAMES.index("isi")] for p in rows])
    assert np.all(np.diff(noise) > 0.0) and np.all(np.diff(sensitivity) > 0.0)
    assert np.all(np.diff(isi) < 0.0)
    np.testing.assert_allclose(
        noise, base.tia_noise_density_a_per_sqrt_hz * np.sqrt(np.pi / 2 * bandwidths), rtol=1e-12
    )


def test_single_pole_isi_closure_is_the_modulator_isi_penalty():
    """``p`` of the lane kernel's ISI is the pole of isi_penalty_db at the combined bandwidth:
    ``-10·log10(1 - M·p)`` equals it (1e-12)."""
    from cposim.photonics.devices.modulator import isi_penalty_db

    params = LinkParameters()
    mod = params.operating_point
    fwhm = mod.fwhm_m * np.array([0.7, 1.0, 1.4])[:, None]
    p = single_pole_isi_closure(params, modulator_fwhm_m=fwhm)
    lam = params.grid.wavelengths_m
    f_photon = 299_792_458.0 * fwhm / lam**2
    f_total = (f_photon**-2 + mod.rc_bandwidth_hz**-2 + params.receiver_bandwidth_hz**-2) ** -0.5
    expected = isi_penalty_db(f_total, params.symbol_rate_baud, "pam4")
    np.testing.assert_allclose(-10 * np.log10(1 - 4 * p), expected, rtol=1e-12)
    assert p.shape == (3, params.grid.n_channels)


def test_per_lane_noise_equals_the_link_of_that_noise():
    """Each lane's receiver noise density, dark current and RIN give exactly the budget of a
    link whose parameters hold those values (rel 1e-12), and more of any never helps."""
    params = LinkParameters()
    rng = np.random.default_rng(11)
    n = params.grid.n_channels
    density = rng.uniform(5e-12, 12e-12, (6, n))
    dark = rng.uniform(0.0, 5e-6, (6, n))
    rin = rng.uniform(-155.0, -138.0, (6, n))
    batch = evaluate_lanes(
        params, tia_noise_density_a_per_sqrt_hz=density, dark_current_a=dark, rin_db_per_hz=rin
    )
    for row in range(6):
        for channel in range(n):
            alone = evaluate_lanes(
                dataclasses.replace(
                    params,
                    tia_noise_density_a_per_sqrt_hz=density[row, channel],
                    photodiode_dark_current_a=dark[row, channel],
                    rin_db_per_hz=rin[row, channel],
                )
            )
            for name in ("ber", "margin_db", "q_margin_db"):
                np.testing.assert_allclose(
                    getattr(batch, name)[row, channel], getattr(alone, name)[channel], rtol=1e-12
                )
    base = evaluate_lanes(params)
    for more in (
        {"tia_noise_density_a_per_sqrt_hz": 1.2 * params.tia_noise_density_a_per_sqrt_hz},
        {"dark_current_a": 1e-5},
        {"rin_db_per_hz": params.rin_db_per_hz + 3.0},
    ):
        assert np.all(evaluate_lanes(params, **more).margin_db < base.margin_db)


@pytest.mark.parametrize(
    ("link", "shift_model", "largest", "phase_cycles", "oma_db", "margin_db"),
    [
        ("dr", "linear", 0.2, 1e-8, 1e-6, 1e-5),
        ("wdm", "linear", 0.2, 1e-8, 1e-6, 1e-5),
        ("dr", "junction", 0.1, 2e-6, 2e-3, 5e-3),  # WDM lanes at this drive: eyes closed
    ],
)
def test_drive_swing_moves_the_levels_as_the_device_does(
    link, shift_model, largest, phase_cycles, oma_db, margin_db
):
    """A lane whose driver swings ``ratio`` × nominal has the budget of a link whose modulator
    levels are the device's driven at that swing (``operating_point(drive_swing_ratio=…)``,
    given as a datasheet operating point with the nominal ring's FSR and linewidth, which the
    device re-evaluates at its lowest level's temperature). The kernel expands each level's
    phase to second order in the swing error: exact for the linear shift model (phases within
    1e-8 cycles at ±20 %; OMA within 1e-6 dB, margin 1e-5 dB), within 2e-6 cycles of the
    junction model's square root at ±10 % (its lowest level sits near the built-in voltage,
    where 1e-6 cycles is ≈ 1e-3 dB of OMA; OMA within 2e-3 dB, margin 5e-3 dB, near the RIN
    limit a steep function of the eye spacing). More swing opens this lane's eyes: OMA grows,
    the ER penalty falls."""
    base = LinkParameters() if link == "wdm" else LinkParameters.dr_lane()
    modulator = dataclasses.replace(base.modulator, shift_model=shift_model)
    params = dataclasses.replace(base, modulator=modulator)
    nominal = np.asarray(params.operating_point.level_phase_cycles)
    slope, curvature = params.level_phase_swing_cycles
    ratios = 1.0 + largest * np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    n = params.grid.n_channels
    batch = evaluate_lanes(params, drive_swing_ratio=np.repeat(ratios[:, None], n, axis=1))
    for row, ratio in enumerate(ratios):
        device = modulator.operating_point(drive_swing_ratio=ratio)
        delta = ratio - 1.0
        np.testing.assert_allclose(
            nominal + delta * slope + delta**2 * curvature,
            device.level_phase_cycles,
            atol=phase_cycles,
            rtol=0,
        )
        device = dataclasses.replace(
            device, fsr_m=params.operating_point.fsr_m, fwhm_m=params.operating_point.fwhm_m
        )
        alone = evaluate_lanes(dataclasses.replace(params, modulator_datasheet=device))
        np.testing.assert_allclose(
            batch.received_oma_dbm[row], alone.received_oma_dbm, atol=oma_db, rtol=0
        )
        np.testing.assert_allclose(batch.margin_db[row], alone.margin_db, atol=margin_db, rtol=0)
    assert np.all(np.diff(batch.received_oma_dbm, axis=0) > 0.0)
    assert np.all(np.diff(batch.penalties_db[..., 0], axis=0) < 0.0)
    np.testing.assert_array_equal(batch.margin_db[2], evaluate_lanes(params).margin_db)


def test_a_datasheet_operating_point_scales_its_level_shifts_about_their_mean():
    """No voltages behind a datasheet operating point: a swing ratio scales its level phases
    about their mean (an assumption of a linear modulator), so the mid level, and with it the
    WDM pass-by, stays where it is."""
    sheet = ModulatorOperatingPoint.from_il_er(insertion_loss_db=4.0, extinction_ratio_db=4.0)
    params = LinkParameters(modulator_datasheet=sheet)
    cycles = np.asarray(sheet.level_phase_cycles)
    slope, curvature = params.level_phase_swing_cycles
    np.testing.assert_allclose(slope, cycles - cycles.mean(), rtol=0, atol=1e-18)
    assert np.all(curvature == 0.0)
    wider = evaluate_lanes(params, drive_swing_ratio=1.1)
    base = evaluate_lanes(params)
    np.testing.assert_allclose(wider.mux_pass_by_db, base.mux_pass_by_db, rtol=1e-12)
    assert np.all(wider.received_oma_dbm > base.received_oma_dbm)


def test_the_lanes_modulator_er_and_il_are_its_own_levels():
    """The budget reports each lane's own modulator ER and IL at its lock error: those of the
    operating point's transmissions there (``level_metrics``, sorted levels), within 1e-9 dB,
    for lock errors from blue to red of the bias (levels reorder past resonance)."""
    params = LinkParameters.dr_lane()
    op = params.operating_point
    error = np.linspace(-150e-12, 150e-12, 31)[:, None]
    budget = evaluate_lanes(params, modulator_detuning_m=error)
    levels = np.sort(op.transmissions(error[:, 0]), axis=-1)
    expected = level_metrics(levels)
    np.testing.assert_allclose(
        budget.modulator_extinction_ratio_db[:, 0], expected["extinction_ratio_db"], atol=1e-9
    )
    np.testing.assert_allclose(
        budget.modulator_insertion_loss_db[:, 0], expected["insertion_loss_db"], atol=1e-9
    )
