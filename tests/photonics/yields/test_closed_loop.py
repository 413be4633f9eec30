"""Dynamic lock mode: the ideal loop reproduces the static mode, the dither loop's residual is
the static Gaussian's, constructed dies fail with the right mode, inputs are checked."""

import dataclasses

import numpy as np
import pytest

from cposim.photonics.fab.wafer import Wafer
from cposim.photonics.yields import engine as E
from cposim.photonics.yields.closed_loop import (
    DYNAMIC_FAILURES,
    SILICON_THERMAL_DIFFUSIVITY_M2_PER_S,
    DynamicLockSettings,
    MissionProfile,
    choose_dies,
    lock_banks,
    warming_headroom_w,
)
from cposim.photonics.yields.config import LockSettings, TuningSettings, preset

SPACING = 2.24e-9
FWHM = 0.3e-9
DLDT = 63e-12
QUIET = DynamicLockSettings(profile=MissionProfile(asic_step_w=0.0))
CODE = {name: k for k, name in enumerate(DYNAMIC_FAILURES, start=1)}

IDEAL = {
    "lock.mode": "dynamic",
    "lock.sigma_m": 0.0,
    "tuning.alias_guard_m": 0.0,
    "tuning.neighbour_crosstalk": 0.0,
    "tuning.heater_dac_bits": 0,
    "dynamic.detector": "ideal",
    "dynamic.neighbour_channel_power": 0.0,
    "dynamic.profile.asic_step_w": 0.0,
    "dynamic.profile.ambient_ramp_k_per_s": 0.0,
    # receiver noise, RIN and driver swing move neither lock; without them most WDM dies
    # pass, so the comparison has both outcomes in numbers
    "spreads.tia_noise_sigma": 0.0,
    "spreads.laser_rin_sigma_db": 0.0,
    "spreads.driver_swing_sigma": 0.0,
    "wafer": Wafer(diameter_m=0.1, edge_exclusion_m=3e-3),
}


def bank(shift_m, tuning, settings=QUIET, *, fsr_channels=None, rng=1):
    """Lock one bank whose rings need ``shift_m`` of heater red shift at power-up (coldest
    ambient, hottest laser), 2.24 nm channels, FWHM 0.3 nm, FSR ``fsr_channels`` spacings
    (default: twice the number of rings)."""
    shift = np.atleast_2d(shift_m)
    grid = 1311e-9 + np.arange(shift.shape[1]) * SPACING
    laser_hot = tuning.laser_drift_m_per_k * tuning.laser_temperature_range_k
    cold = grid + laser_hot + DLDT * tuning.ambient_range_k - shift
    return lock_banks(
        settings,
        tuning,
        cold_resonance_m=cold,
        fwhm_m=FWHM,
        drop_peak=0.8,
        fsr_m=(fsr_channels or 2 * shift.shape[1]) * SPACING,
        thermal_shift_m_per_k=DLDT,
        channel_wavelength_m=grid,
        rng=rng,
    )


@pytest.mark.parametrize("name", ["default", "wdm-8x200g"])
def test_ideal_loop_gives_the_static_pass_fail(name):
    """Ideal detector and DAC, no crosstalk or neighbour light, a still environment: every die
    passes or fails as in the static mode, except where a ring sits within two sweep steps
    (2·P_max/n_sweep ≈ 0.09 mW) of its heater floor or full scale, where the sweep's power
    resolution decides (≤ 0.5 % of the dies; 0.06 % and 0.01 % on 5,000 and 7,800 dies)."""
    config = preset(name).with_changes(IDEAL)
    wafers = np.array([0, 1])
    table = E.simulate_wafers(config, wafers)
    static, dynamic = table["static_failure_mode"] == 0, table["failure_mode"] == 0
    assert (table["lock_mode"] == 1).all()
    assert static.sum() > 0.5 * static.size  # a meaningful comparison
    differ = np.flatnonzero(static != dynamic)
    assert differ.size <= 0.005 * static.size
    if differ.size:
        layout = config.layout()
        rings, shared = E._study_inputs(config, layout, wafers, "numba")
        normal = shared["lock_normal"]
        locked, _ = E._dynamic_lock(
            config,
            rings,
            wafers,
            np.ones((2, layout.n_dies), dtype=bool),
            E._static_lock(config, rings, normal, "numba"),
            normal,
            "numba",
        )
        power = locked.heater_power_w.reshape(-1, rings["cold_m"].shape[-1])[differ]
        floor = warming_headroom_w(config.tuning, DLDT)
        full = config.tuning.max_heater_power_w
        step = full / round(config.dynamic.acquisition_time_s / config.dynamic.sample_period_s)
        edge = np.minimum(np.abs(power - floor), np.abs(full - power)).min(axis=-1)
        assert (edge < 2 * step).all(), edge


def test_dither_residual_is_the_static_gaussian():
    """The default dither loop on a 60 K/s ramp (no ASIC step): the RMS over rings of each
    ring's residual standard deviation equals the static σ (3.82 pm, the control model's
    prediction, itself checked against simulation in tests/control/test_analysis.py) within
    3 %, and the mean offset is under 0.1 σ (the static mode takes it as 0)."""
    tuning = TuningSettings(neighbour_crosstalk=0.0)
    shifts = np.full((64, 4), 6e-9) + np.linspace(0.0, 0.5e-9, 4)
    locks = bank(shifts, tuning, dataclasses.replace(QUIET, neighbour_channel_power=0.0))
    assert (locks.failure == 0).all()
    sigma = LockSettings().sigma_m
    assert np.sqrt(np.mean(locks.residual_std_m**2)) == pytest.approx(sigma, rel=0.03)
    assert abs(np.mean(locks.residual_mean_m)) < 0.1 * sigma


def test_constructed_dies_fail_with_their_mode():
    ordered = TuningSettings(strategy="ordered", neighbour_crosstalk=0.0)
    healthy = bank([6e-9, 6.5e-9], ordered)
    assert (healthy.failure == 0).all()
    assert (healthy.time_to_lock_s > QUIET.acquisition_time_s).all()
    # a ring whose own channel lies beyond its heater range at power-up (ordered: no other
    # channel may replace it) is never acquired
    assert bank([6e-9, 9.5e-9], ordered).failure.tolist() == [[0, CODE["acquisition_failed"]]]
    # a ring one channel spacing red of its design (FSR = 3 spacings): under "ordered" its
    # channel needs less heat than the warming headroom, so it is never acquired; "barrel"
    # rotates the bank by one channel and every ring locks
    off = [5e-9, 5e-9 - SPACING, 5e-9]
    failed = bank(off, ordered, fsr_channels=3).failure
    assert failed.tolist() == [[0, CODE["acquisition_failed"], 0]]
    rotated = bank(off, dataclasses.replace(ordered, strategy="barrel"), fsr_channels=3)
    assert (rotated.failure == 0).all()
    assert rotated.assignment.tolist() == [[1, 2, 0]]
    # a ring acquired near full power at a cold start that keeps cooling (5000 K/s) runs out
    # of heater
    cooling = dataclasses.replace(
        QUIET, profile=MissionProfile(asic_step_w=0.0, ambient_ramp_k_per_s=-5000.0)
    )
    assert bank([6e-9, 8.7e-9], ordered, cooling).failure.tolist() == [
        [0, CODE["heater_saturation"]]
    ]
    # a 200 W ASIC step through a 1 ms path outruns the 50 µs loop (tracking error ≈ 63 pm >
    # FWHM/10): lock lost
    step = dataclasses.replace(
        QUIET, profile=MissionProfile(asic_step_w=200.0, asic_time_constant_s=1e-3)
    )
    assert (bank([6e-9, 6.5e-9], ordered, step).failure == CODE["lock_lost"]).all()
    # the default dither residual (3.8 pm) against a 1 % of FWHM tolerance
    tight = dataclasses.replace(QUIET, max_residual_fraction_of_fwhm=0.01)
    assert (bank([6e-9, 6.5e-9], ordered, tight).failure == CODE["lock_residual"]).all()


def test_strong_crosstalk_makes_the_loops_lock_to_each_others_channels():
    """Two rings with 45 % mutual heating: the sweep records each ring's channel with both
    heaters equal; after a jump to the recorded (unequal) powers the neighbour's extra or
    missing heat moves each ring by c·ΔS/(1 + c) ≈ one channel spacing, and each dither loop
    locks to the other ring's channel, which its monitor sees (residual ±2.24 nm). The
    crosstalk-aware jump solves for the powers instead and finds that ring 0 would need
    negative power: its heater sits at 0 W (the static plan's crosstalk failure, in time)."""
    fight = TuningSettings(strategy="ordered", neighbour_crosstalk=0.45)
    naive = bank([5e-9, 12.2e-9], fight, dataclasses.replace(QUIET, arbitration="headroom"))
    assert (naive.failure == CODE["wrong_channel"]).all()
    np.testing.assert_allclose(np.abs(naive.residual_mean_m), SPACING, rtol=0.01)
    aware = bank([5e-9, 12.2e-9], fight)
    assert (aware.failure == CODE["heater_saturation"]).all()


def test_crosstalk_aware_start_locks_loops_the_recorded_jump_leaves_fighting():
    """20 % crosstalk, the middle ring needing 3 nm more than its neighbours: jumping to the
    recorded powers leaves the middle ring 0.57 nm (two FWHM) short of its channel and the
    outer ones 0.29 nm past theirs (9/1.4 + 0.4·6/1.2 against 9 nm; 6/1.2 + 0.2·9/1.4 against
    6 nm); the outer loops recapture, the middle one never does within the profile. The
    crosstalk-aware jump starts every ring on its channel."""
    coupled = TuningSettings(strategy="ordered", neighbour_crosstalk=0.2)
    shifts = [6e-9, 9e-9, 6e-9]
    naive = bank(shifts, coupled, dataclasses.replace(QUIET, arbitration="headroom"))
    assert naive.failure.tolist() == [[0, CODE["acquisition_failed"], 0]]
    aware = bank(shifts, coupled)
    assert (aware.failure == 0).all()
    assert (np.abs(aware.residual_mean_m) < 1e-12).all()


def test_stratified_choice_takes_the_fraction_of_every_static_mode():
    modes = np.repeat([0, 4, 13], [90, 7, 3])
    chosen = choose_dies(modes, 0.1, np.random.default_rng(2))
    assert [int(chosen[modes == m].sum()) for m in (0, 4, 13)] == [9, 1, 1]
    assert choose_dies(modes, 1.0, np.random.default_rng(2)).all()


def test_partial_dynamic_study_keeps_static_results_elsewhere():
    config = preset("default").with_changes(
        {"lock.mode": "dynamic", "dynamic.fraction": 0.2, "wafer": IDEAL["wafer"]}
    )
    static = E.simulate_wafers(config.with_changes({"lock.mode": "static"}), [0])
    mixed = E.simulate_wafers(config, [0])
    dynamic = mixed["lock_mode"] == 1
    assert 0.2 <= dynamic.mean() < 0.3
    np.testing.assert_array_equal(mixed["static_failure_mode"], static["failure_mode"])
    for name in ("failure_mode", "min_margin_db", "heater_power_w"):
        np.testing.assert_array_equal(mixed[name][~dynamic], static[name][~dynamic])
    assert np.isfinite(mixed["lock_time_s"][dynamic & mixed["passed"]]).all()
    assert np.isnan(mixed["lock_time_s"][~dynamic]).all()


def test_numpy_reference_pipeline_gives_the_same_table():
    """Same outcomes; margins within 1e-6 (the lock kernel's cos/sin differ from NumPy's by
    ~1e-15, and a margin moves ~0.3 dB per pm of detuning)."""
    config = preset("default").with_changes(
        {"lock.mode": "dynamic", "dynamic.fraction": 0.05, "wafer": IDEAL["wafer"]}
    )
    fast = E.simulate_wafers(config, [3])
    slow = E.simulate_wafers(config, [3], engine="numpy")
    for name in E.COLUMNS:
        np.testing.assert_allclose(fast[name], slow[name], rtol=1e-6, err_msg=name)


def test_defaults_trace_to_their_sources():
    assert SILICON_THERMAL_DIFFUSIVITY_M2_PER_S == pytest.approx(8.9e-5, rel=0.01)
    pitch = preset("default").die.ring_pitch_m
    assert DynamicLockSettings().mutual_delay_time_constant_s == pytest.approx(
        pitch**2 / (4 * SILICON_THERMAL_DIFFUSIVITY_M2_PER_S), rel=0.01
    )
    # 2,000 steps per die: sweep plus tracking
    settings = DynamicLockSettings()
    steps = (settings.acquisition_time_s + settings.tracking_time_s) / settings.sample_period_s
    assert steps == pytest.approx(2000)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("stats_start_s", 2e-3, "stats_start_s"),
        ("detector", "psychic", "detector"),
        ("fraction", 1.5, "fraction"),
        ("arbitration", "coin", "arbitration"),
        ("residual_statistic", "median", "residual_statistic"),
    ],
)
def test_settings_name_the_bad_field(field, value, message):
    with pytest.raises(ValueError, match=message):
        DynamicLockSettings(**{field: value})


def test_die_lock_timeline_replays_the_studys_outcome():
    """A fast ASIC step (200 W through a 1 ms path) makes rings lose lock; replaying a failing
    die gives the same failing rings as the study's table, with the event after the step."""
    import matplotlib

    matplotlib.use("Agg")
    config = preset("default").with_changes(
        {
            "lock.mode": "dynamic",
            "dynamic.fraction": 0.5,
            "dynamic.profile.asic_step_w": 200.0,
            "dynamic.profile.asic_time_constant_s": 1e-3,
            "wafer": IDEAL["wafer"],
        }
    )
    table = E.simulate_wafers(config, [2])
    lost = np.flatnonzero(table["lanes_failed_lock_lost"] > 0)
    assert lost.size > 0
    die = int(lost[0])
    timeline = E.die_lock_timeline(config, 2, die, records=200)
    failing = timeline.failure == CODE["lock_lost"]
    assert failing.sum() == table["lanes_failed_lock_lost"][die]  # DR: one ring per lane
    assert (timeline.event_time_s[failing] > config.dynamic.profile.asic_step_time_s).all()
    assert np.isnan(timeline.event_time_s[~failing]).all()
    assert timeline.detuning_m.shape == (8, 200)
    ax = timeline.plot()
    assert "die" in ax.get_title() and len(ax.lines) >= 8
    static_die = int(np.flatnonzero(table["lock_mode"] == 0)[0])
    with pytest.raises(ValueError, match="ran the static lock"):
        E.die_lock_timeline(config, 2, static_die)


def test_summary_and_report_compare_the_two_modes():
    from cposim.photonics.yields.run import format_summary, simulate

    config = preset("default").with_changes(
        {"lock.mode": "dynamic", "dynamic.fraction": 0.5, "wafer": IDEAL["wafer"]}
    )
    result = simulate(config.with_changes({"run.n_wafers": 2}))
    summary = result.summary()
    dynamic = result.table["lock_mode"] == 1
    assert summary["lock_mode"] == "dynamic"
    assert summary["dynamic_dies"] == dynamic.sum() == sum(summary["lock_outcomes"].values())
    assert summary["dynamic_die_yield"] == pytest.approx(result.table["passed"][dynamic].mean())
    assert summary["static_die_yield_on_dynamic_dies"] == pytest.approx(
        (result.table["static_failure_mode"][dynamic] == 0).mean()
    )
    assert summary["median_lock_time_s"] > config.dynamic.acquisition_time_s
    assert "lock: dynamic on" in format_summary(result)
    static = simulate(config.with_changes({"lock.mode": "static", "run.n_wafers": 1}))
    assert "dynamic_dies" not in static.summary()
    assert "lock: static" in format_summary(static)
    assert result.plot(kind="lock_time").get_title().startswith("Lock time")


def test_an_arbitration_plugs_into_the_registry(monkeypatch):
    """ARBITRATIONS is a registry: a new entry is usable by name, and each entry's acquisition
    carries its rule (floor per ring over its crosstalk gain; the compensated jump)."""
    from cposim.photonics.yields import closed_loop

    custom = closed_loop.Arbitration(keeps_headroom=False, compensates_crosstalk=True)
    monkeypatch.setitem(closed_loop.ARBITRATIONS, "compensated-only", custom)
    coupled = TuningSettings(strategy="ordered", neighbour_crosstalk=0.2)
    settings = dataclasses.replace(QUIET, arbitration="compensated-only")
    assert (bank([6e-9, 9e-9, 6e-9], coupled, settings).failure == 0).all()
    network = closed_loop.thermal_network(QUIET, coupled, 3, DLDT)
    sweep = closed_loop.ARBITRATIONS["headroom"].acquisition(QUIET, coupled, network, DLDT)
    gain = network.crosstalk_fraction.sum(axis=1)
    np.testing.assert_allclose(sweep.min_start_power_w, warming_headroom_w(coupled, DLDT) / gain)
    assert not sweep.compensate_crosstalk
