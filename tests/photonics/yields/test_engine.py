"""Yield engine: analytic cases, monotonicity, attribution, statistics."""

import dataclasses

import numpy as np
import pytest
from scipy import stats

from cposim.photonics.devices.modulator import RingModulator
from cposim.photonics.fab.defects import DefectDensities, defect_yield
from cposim.photonics.fab.variation import ParameterVariation, VariationModel
from cposim.photonics.fab.wafer import Wafer
from cposim.photonics.link.parameters import LinkParameters
from cposim.photonics.link.wdm import ChannelGrid
from cposim.photonics.yields.config import PassCriteria, RunSettings, SpreadSettings, YieldConfig
from cposim.photonics.yields.engine import COLUMNS, FAILURE_MODES, simulate_wafers
from cposim.photonics.yields.run import simulate

NO_VARIATION = VariationModel(
    width=ParameterVariation(), thickness=ParameterVariation(), gap=ParameterVariation()
)


NO_DEFECTS = DefectDensities(
    waveguide_per_m2=0.0, heater_per_m2=0.0, junction_per_m2=0.0, photodiode_per_m2=0.0
)


STILL_SPREADS = {
    "laser_line_power_sigma_db": 0.0,
    "fiber_coupling_loss_sigma_db": 0.0,
    "fiber_array_loss_sigma_db": 0.0,
    "laser_wavelength_sigma_m": 0.0,
    "propagation_loss_sigma": 0.0,
    "photodiode_responsivity_sigma": 0.0,
    "photodiode_dark_current_sigma": 0.0,
    "tia_noise_sigma": 0.0,
    "laser_rin_sigma_db": 0.0,
    "heater_resistance_sigma": 0.0,
    "driver_swing_sigma": 0.0,
}
"""No part-to-part spread at all (``[spreads]`` zeroed)."""


def small(config=None, **changes):
    """A 100 mm wafer (≈ 290 dies of 5 mm) keeps every test fast; no killer defects, so the
    analytic cases stay exact (test_killer_defects_... turns them on)."""
    config = config or YieldConfig()
    base = config.with_changes(
        {
            "wafer": Wafer(diameter_m=0.1, edge_exclusion_m=3e-3),
            "run": RunSettings(seed=3, n_wafers=2, wafers_per_chunk=1),
            "defects": NO_DEFECTS,
        }
    )
    return base.with_changes(changes)


def test_columns_and_row_count():
    config = small()
    out = simulate_wafers(config, [0])
    assert tuple(out) == COLUMNS
    assert all(len(v) == config.layout().n_dies for v in out.values())


def test_without_variation_every_die_passes():
    still = {**{f"spreads.{k}": v for k, v in STILL_SPREADS.items()}, "lock.sigma_m": 0.0}
    result = simulate(small(variation=NO_VARIATION, **still))
    yields = result.yields().set_index("level")
    assert (yields["yield"] == 1.0).all()
    assert result.failure_pareto()["dies"].sum() == 0
    assert np.all(result.table["min_margin_db"] > 0)


def dr_local_mismatch_config(sigma_width_m, design_offset_m, max_power_w):
    """DR lanes (one ring each), only local width mismatch, no environment, no self-heating,
    a strong link."""
    variation = NO_VARIATION.__class__(
        width=ParameterVariation(local_sigma_m=sigma_width_m),
        thickness=ParameterVariation(),
        gap=ParameterVariation(),
        d2lambda_dwidth2_per_m=0.0,
        d2lambda_dthickness2_per_m=0.0,
        gap_shrink_per_width=0.0,
    )
    link = LinkParameters(
        grid=ChannelGrid.preset("dr"),
        modulator=RingModulator(wavelength_m=1311e-9, heat_fraction=0.0),
        demux=None,
        laser_power_dbm=16.0,
        rin_db_per_hz=-155.0,
    )
    return small(
        **{
            "variation": variation,
            "link": link,
            "die.links_per_engine": 8,
            "tuning.strategy": "ordered",
            "tuning.design_offset_m": design_offset_m,
            "tuning.max_heater_power_w": max_power_w,
            "tuning.ambient_range_k": 0.0,
            "tuning.laser_temperature_range_k": 0.0,
            "tuning.neighbour_crosstalk": 0.0,
            "tuning.alias_guard_m": 0.0,
            "lock.sigma_m": 0.0,
            "criteria": PassCriteria(
                min_modulator_extinction_ratio_db=0.0,
                max_modulator_insertion_loss_db=50.0,
                min_margin_db=-50.0,
            ),
            "run.n_wafers": 3,
        }
    )


def test_local_mismatch_lane_yield_equals_analytic_probability():
    """A ring designed d0 blue of its channel with N(0, σ) mismatch reaches it with heater range
    R iff 0 ≤ d0 - ε ≤ R: P = Φ(d0/σ) - Φ((d0 - R)/σ) (wrapping one FSR needs ε > 15 nm here).
    Lanes are independent, so engine yield = P^8. Both must lie inside the 99 % intervals."""
    sigma_width, d0 = 1.5e-9, 1.0e-9
    config = dr_local_mismatch_config(sigma_width, -d0, max_power_w=10e-3)
    sigma = config.variation.dlambda_dwidth * sigma_width
    tuning_range = config.tuning.max_heater_power_w * config.tuning.tuning_efficiency_m_per_w
    p = stats.norm.cdf(d0 / sigma) - stats.norm.cdf((d0 - tuning_range) / sigma)
    result = simulate(config)
    result = type(result)(table=result.table, config=config, confidence=0.99)
    yields = result.yields().set_index("level")
    assert yields.loc["lane", "low"] <= p <= yields.loc["lane", "high"]
    assert yields.loc["engine", "low"] <= p**8 <= yields.loc["engine", "high"]
    assert set(result.table["failure_mode"].unique()) <= {0, FAILURE_MODES.index("tuning_range")}


@pytest.mark.parametrize(
    ("key", "values"),
    [
        ("tuning.max_heater_power_w", [0.022, 0.03, 0.045, 0.08]),
        ("link.laser_power_dbm", [4.0, 6.0, 8.0, 12.0]),
    ],
)
def test_yield_does_not_decrease_with_heater_range_or_laser_power(key, values):
    die_yield = [
        simulate(small(**{key: v, "run.n_wafers": 1})).table["passed"].mean() for v in values
    ]
    assert np.all(np.diff(die_yield) >= 0.0), die_yield
    assert die_yield[-1] > die_yield[0]


def test_too_little_heater_range_is_attributed_to_tuning():
    result = simulate(small(**{"tuning.max_heater_power_w": 0.01}))
    assert result.table["passed"].sum() == 0
    assert (result.table["failure_mode"] == FAILURE_MODES.index("tuning_range")).all()


def test_weak_laser_is_attributed_to_ber_margin():
    result = simulate(small(**{"variation": NO_VARIATION, "link.laser_power_dbm": -5.0}))
    assert (result.table["failure_mode"] == FAILURE_MODES.index("ber_margin")).all()


def test_red_side_bias_is_thermally_unstable_and_reported_as_self_heating():
    """A modulator locked on the red side of its resonance runs away thermally at the DR lane's
    ≈ 6 mW (threshold ≈ 1 mW): every lane that tunes fails as ``self_heating``; the blue-side
    optimum never does."""
    config = YieldConfig()
    red = dataclasses.replace(
        config.link.modulator, bias_detuning_m=-0.5 * config.link.modulator.fwhm_m
    )
    assert config.link.modulator_input_power_w > 3 * red.self_heating_threshold_w()
    result = simulate(small(config, **{"link.modulator": red, "run.n_wafers": 1}))
    table = result.table
    tuned = table["lanes_failed_tuning_range"] == 0
    assert tuned.any()
    assert (table.loc[tuned, "failure_mode"] == FAILURE_MODES.index("self_heating")).all()
    blue = simulate(small(config, **{"run.n_wafers": 1})).table
    assert (blue["lanes_failed_self_heating"] == 0).all()


def test_summary_holds_the_switch_model_keys():
    from cposim.photonics.switch.assembly import SUMMARY_KEYS

    result = simulate(small(**{"run.n_wafers": 1}))
    summary = result.summary()
    assert set(SUMMARY_KEYS) <= set(summary)
    assert summary["lanes_per_engine"] == 8
    low, high = summary["engine_yield_interval"]
    assert low <= summary["engine_yield"] <= high
    # the DR lane of the default preset: one wavelength per fiber, one heated ring per lane
    link = result.config.link
    assert (summary["wavelengths_per_fiber"], summary["heated_rings_per_lane"]) == (1, 1)
    assert summary["lane_rate_bps"] == link.bit_rate_bps == 200e9
    assert (summary["laser_power_dbm"], summary["lanes_per_laser"]) == (16.0, 4)
    assert summary["mean_heater_power_per_lane_w"] == summary["mean_heater_power_per_ring_w"]
    assert summary["electrical"]["receiver_energy_j_per_bit"] == (
        link.electrical.receiver_energy_j_per_bit
    )
    wdm = simulate(small(YieldConfig(link=LinkParameters()), **{"run.n_wafers": 1})).summary()
    assert (wdm["wavelengths_per_fiber"], wdm["heated_rings_per_lane"]) == (8, 2)
    assert wdm["mean_heater_power_per_lane_w"] == pytest.approx(
        2 * wdm["mean_heater_power_per_ring_w"], rel=1e-12
    )


@pytest.mark.parametrize("kind", ["pareto", "wafer_map", "heater", "margin"])
def test_plots(kind):
    result = simulate(small(**{"run.n_wafers": 1}))
    ax = result.plot(kind=kind)
    assert ax.get_title()


def test_unknown_plot_kind_and_bad_change():
    result = simulate(small(**{"run.n_wafers": 1}))
    with pytest.raises(ValueError, match="kind = 'map' is not allowed"):
        result.plot(kind="map")
    with pytest.raises(ValueError, match=r"'tuning\.max_power' is not a configuration key"):
        YieldConfig().with_changes({"tuning.max_power": 1.0})
    with pytest.raises(ValueError, match=r"max_heater_power_w = -1\.0 is out of range"):
        YieldConfig().with_changes({"tuning.max_heater_power_w": -1.0})


def test_numpy_reference_pipeline_gives_the_same_table():
    """Every stage on its NumPy/scipy reference reproduces the Numba pipeline's table (counts
    exactly; margins to the link kernel's tolerance, heater powers to 1e-12 relative)."""
    config = small(**{"wafer": Wafer(diameter_m=0.05, edge_exclusion_m=3e-3)})
    fast = simulate_wafers(config, [4])
    reference = simulate_wafers(config, [4], engine="numpy")
    for name in COLUMNS:
        if name == "min_margin_db":
            np.testing.assert_allclose(fast[name], reference[name], rtol=0, atol=1e-6)
        elif name == "heater_power_w":
            np.testing.assert_allclose(fast[name], reference[name], rtol=1e-12)
        else:
            np.testing.assert_array_equal(fast[name], reference[name], err_msg=name)
    with pytest.raises(ValueError, match="engine = 'jax' is not allowed"):
        simulate_wafers(config, [0], engine="jax")


def test_time_domain_isi_mode_uses_each_lanes_own_table_value():
    """``isi.model = "time-domain"``: without an equaliser the simulated lane closes its eyes
    more than the single-pole estimate, so margins fall; the result does not depend on how
    wafers are chunked; the summary and report name the mode."""
    from cposim.photonics.link.lanes import single_pole_isi_closure
    from cposim.photonics.yields.engine import study_isi_table
    from cposim.photonics.yields.run import format_summary

    single = small(**{"run.n_wafers": 1})
    timed = single.with_changes({"isi.model": "time-domain", "isi.ffe_taps": 1})
    a = simulate_wafers(single, [0])
    b = simulate_wafers(timed, [0])
    table = study_isi_table(timed)
    fwhm = timed.link.operating_point.fwhm_m
    design = table.closure_at(modulator_fwhm_m=fwhm, modulator_detuning_m=0.0)
    assert design > single_pole_isi_closure(timed.link, modulator_fwhm_m=fwhm).max()
    assert np.nanmedian(b["min_margin_db"]) < np.nanmedian(a["min_margin_db"])
    both = simulate_wafers(timed.with_changes({"run.n_wafers": 2}), [0, 1])
    np.testing.assert_array_equal(both["min_margin_db"][: len(b["min_margin_db"])],
                                  b["min_margin_db"])  # fmt: skip
    result = simulate(timed)
    assert result.summary()["isi_model"] == "time-domain"
    assert "time-domain table (no equaliser" in format_summary(result)
    assert "single-pole" in format_summary(simulate(single))


@pytest.mark.parametrize("link", ["dr", "wdm"])
def test_killer_defects_fail_lanes_as_the_closed_form_predicts(link):
    """Dense defects, no variation, a perfect lock: lanes fail only by defects; the die yield
    lies in the 99.9 % binomial interval of the negative-binomial yield of all the die's
    devices together (one gamma density per die: each die its own cell), and the lane yield
    within 5 standard errors counted per die (a die's lanes share their density)."""
    base = YieldConfig() if link == "dr" else YieldConfig(link=LinkParameters())
    dense = DefectDensities(waveguide_per_m2=2e9, heater_per_m2=5e8, junction_per_m2=2e9,
                            photodiode_per_m2=1e8, clustering=2.0, cluster_size_m=1e-4)  # fmt: skip
    still = {"run.n_wafers": 3, "lock.sigma_m": 0.0}
    config = small(base, variation=NO_VARIATION, defects=dense,
                   spreads=SpreadSettings(**STILL_SPREADS), **still)  # fmt: skip
    out = simulate_wafers(config, [0, 1, 2])
    defect_modes = {FAILURE_MODES.index(m) for m in ("ring_defect", "heater_defect",
                                                     "photodiode_defect")}  # fmt: skip
    modes = set(np.unique(out["failure_mode"])) - {0}
    assert modes and modes <= defect_modes
    from cposim.photonics.fab.defects import CriticalAreas

    link_params = config.link
    devices = [CriticalAreas.ring_device(link_params.modulator.ring), CriticalAreas.photodiode()]
    if config.has_demux:
        devices.append(CriticalAreas.ring_device(link_params.demux, doped=False))
    # one lane alive: every device of it has no defect in any layer; a die's devices share a
    # gamma density, so P = E_g[exp(-g·Λ)] with Λ the lane's total expected count = NB form
    total = sum(float(d.per_layer_m2 @ dense.per_layer_per_m2) for d in devices)
    lane_alive = float(defect_yield(total, 1.0, clustering=2.0))
    per_die = config.die.n_engines * config.die.links_per_engine * config.n_channels
    die_alive = float(defect_yield(per_die * total, 1.0, clustering=2.0))
    n = len(out["passed"])
    low, high = stats.binom.interval(0.999, n, die_alive)
    assert low <= out["passed"].sum() <= high
    lanes = out["lanes_passed"].sum()
    assert abs(lanes / (per_die * n) - lane_alive) < 5 * np.sqrt(lane_alive * (1 - lane_alive) / n)


def test_yield_waterfall_steps_down_by_each_modes_dies_to_the_die_yield():
    result = simulate(small(**{"tuning.max_heater_power_w": 0.03}))
    frame = result.yield_waterfall()
    assert list(frame["mode"]) == list(FAILURE_MODES[1:])  # chain order
    lost = frame["dies_lost"].to_numpy()
    np.testing.assert_allclose(np.diff(np.r_[1.0, frame["yield_after"]]), -lost / result.n_dies)
    die = result.yields().set_index("level").loc["die", "yield"]
    assert frame["yield_after"].iloc[-1] == pytest.approx(die)
    assert lost.sum() > 0
    ax = result.plot(kind="waterfall")
    assert ax.get_ylabel() == "Die yield (%)"


@pytest.mark.parametrize("part", ["fiber", "array", "laser", "photodiode"])
def test_a_power_spread_alone_moves_yield_as_its_gaussian_tail(part):
    """No variation, a perfect lock: every lane has the nominal margin m0. A Gaussian fibre-loss
    (fibre, fibre-array or laser-line) spread σ alone makes a lane pass with Φ(m0/σ) (margin
    in dB of laser power); lanes sharing a laser line (4 here) fail together, and so do the 8
    lanes of one engine's fibre array, so an engine passes with Φ(m0/σ)^8 for fibres,
    Φ(m0/σ)^2 for laser lines and Φ(m0/σ) for arrays. A photodiode responsivity ratio
    1 + σ·z scales the received power: a lane passes with Φ((1 − 10^(−m0/10))/σ), each its
    own. Inside the 99.9 % intervals (lanes of one line or array counted as one trial)."""

    still = small(variation=NO_VARIATION, spreads=SpreadSettings(**STILL_SPREADS),
                  **{"lock.sigma_m": 0.0})  # fmt: skip
    m0 = float(np.unique(np.round(simulate_wafers(still, [0])["min_margin_db"], 9))[0])
    key, sigma = {
        "fiber": ("fiber_coupling_loss_sigma_db", m0 / 1.5),  # Φ(1.5) = 0.933 per lane
        "array": ("fiber_array_loss_sigma_db", m0 / 1.5),
        "laser": ("laser_line_power_sigma_db", m0 / 1.5),
        "photodiode": ("photodiode_responsivity_sigma", (1.0 - 10.0 ** (-m0 / 10.0)) / 1.5),
    }[part]
    spread = small(still, spreads=dataclasses.replace(still.spreads, **{key: sigma}),
                   **{"run.n_wafers": 4})  # fmt: skip
    result = simulate(spread)
    result = type(result)(table=result.table, config=spread, confidence=0.999)
    yields = result.yields().set_index("level")
    p = stats.norm.cdf(1.5)
    assert spread.link.laser_split_ways == 4
    per_unit = {"laser": 4, "array": 8}.get(part, 1)
    engine = p ** (8 // per_unit)
    # lanes of one laser line (or array) are one trial: the lane yield over independent units
    lanes = yields.loc["lane"]
    units = lanes["total"] / per_unit
    low, high = stats.binom.interval(0.999, units, p)
    assert low / units <= lanes["yield"] <= high / units
    assert yields.loc["engine", "low"] <= engine <= yields.loc["engine", "high"]


def test_a_laser_wavelength_spread_alone_moves_yield_as_its_tuning_window():
    """No variation, a perfect lock: the nominal DR ring needs the design's 1.12 nm of red
    shift, and the static plan allows 0 … P_plan·η (P_plan: full power less the cold-corner
    swing). A source wavelength error δ ~ N(0, σ) moves the need to 1.12 nm + δ, so a lane
    passes with Φ((P_plan·η − 1.12 nm)/σ) − Φ(−1.12 nm/σ); the 4 lanes a source feeds pass or
    fail together (engine: that probability squared). Inside the 99.9 % intervals."""

    sigma = 1e-9
    spreads = SpreadSettings(**{**STILL_SPREADS, "laser_wavelength_sigma_m": sigma})
    config = small(
        variation=NO_VARIATION, spreads=spreads, **{"lock.sigma_m": 0.0, "run.n_wafers": 4}
    )
    tuning = config.tuning
    grid = config.link.grid.wavelengths_m
    swing = (
        config.link.modulator.ring.thermal_shift_m_per_k(grid.mean()) * tuning.ambient_range_k
        + tuning.laser_drift_m_per_k * tuning.laser_temperature_range_k
    )
    reach = tuning.max_heater_power_w * tuning.tuning_efficiency_m_per_w - swing
    need = -tuning.design_offset_m
    p = stats.norm.cdf((reach - need) / sigma) - stats.norm.cdf(-need / sigma)
    result = simulate(config)
    result = type(result)(table=result.table, config=config, confidence=0.999)
    yields = result.yields().set_index("level")
    units = yields.loc["lane", "total"] / 4
    low, high = stats.binom.interval(0.999, units, p)
    assert 0.5 < p < 0.99
    assert low / units <= yields.loc["lane", "yield"] <= high / units
    assert yields.loc["engine", "low"] <= p**2 <= yields.loc["engine", "high"]
    assert (result.table["failure_mode"].isin([0, FAILURE_MODES.index("tuning_range")])).all()


def test_a_heater_resistance_spread_alone_moves_yield_as_its_tuning_window():
    """No variation, a perfect lock: the nominal DR ring needs 1.12 nm of red shift; a heater of
    resistance R0·(1 + σz) at full-scale voltage reaches P/(1 + σz), less the corner headroom
    P_swing, so a ring tunes when 1 + σz ≤ P/(need/η + P_swing): a lane passes with
    Φ((P/(need/η + P_swing) − 1)/σ), each ring its own heater (engine: that to the 8th).
    Inside the 99.9 % intervals. The dynamic lock (ideal detector and DAC, no crosstalk, a
    still die) fails the same lanes: each ring's controller knows its heater's range."""
    tuning = small().tuning
    grid = small().link.grid.wavelengths_m
    swing = (
        small().link.modulator.ring.thermal_shift_m_per_k(grid.mean()) * tuning.ambient_range_k
        + tuning.laser_drift_m_per_k * tuning.laser_temperature_range_k
    )
    eta = tuning.tuning_efficiency_m_per_w
    need_w = -tuning.design_offset_m / eta + swing / eta
    full_w = 1.15 * need_w  # a heater 15 % above the need: x = P/(need/η + P_swing) − 1
    sigma = 0.15 / 1.5  # Φ(1.5) per lane
    spreads = SpreadSettings(**{**STILL_SPREADS, "heater_resistance_sigma": sigma})
    config = small(
        variation=NO_VARIATION,
        spreads=spreads,
        **{"lock.sigma_m": 0.0, "run.n_wafers": 4, "tuning.max_heater_power_w": full_w},
    )
    result = simulate(config)
    result = type(result)(table=result.table, config=config, confidence=0.999)
    yields = result.yields().set_index("level")
    p = stats.norm.cdf(1.5)
    n = yields.loc["lane", "total"]
    low, high = stats.binom.interval(0.999, n, p)
    assert low / n <= yields.loc["lane", "yield"] <= high / n
    assert yields.loc["engine", "low"] <= p**8 <= yields.loc["engine", "high"]
    assert (result.table["failure_mode"].isin([0, FAILURE_MODES.index("tuning_range")])).all()
    dynamic = simulate_wafers(
        config.with_changes(
            {"lock.mode": "dynamic", "dynamic.detector": "ideal", "tuning.heater_dac_bits": 0,
             "tuning.neighbour_crosstalk": 0.0, "dynamic.neighbour_channel_power": 0.0,
             "dynamic.profile.asic_step_w": 0.0, "dynamic.profile.ambient_ramp_k_per_s": 0.0}
        ),
        [0, 1],
    )  # fmt: skip
    static = result.table[result.table["wafer"] < 2]
    assert (dynamic["lock_mode"] == 1).all() and (static["lanes_passed"] < 8).any()
    np.testing.assert_array_equal(dynamic["lanes_passed"], static["lanes_passed"])


def test_a_loss_spread_alone_moves_yield_as_its_pass_window():
    """No variation, a perfect lock: a die passes when its propagation-loss factor f lies in a
    window (f_low, f_high) found by bisection with the factor forced (too little loss: a
    narrow ring's ISI closes the margin; too much: the modulator's ER fails). A Gaussian factor
    1 + σ·z then passes a die with Φ((f_high − 1)/σ) − Φ((f_low − 1)/σ), every lane of the die
    together. Inside the 99.9 % interval."""
    from scipy.optimize import bisect

    from cposim.photonics.yields import engine as E

    still = small(variation=NO_VARIATION, spreads=SpreadSettings(**STILL_SPREADS),
                  **{"lock.sigma_m": 0.0, "run.n_wafers": 1})  # fmt: skip
    original = E._loss_factors

    def passes(factor):
        E._loss_factors = lambda c, w, layout: np.full((len(w), layout.n_dies, 1), factor)
        try:
            return bool(simulate_wafers(still, [0])["passed"].all())
        finally:
            E._loss_factors = original

    assert passes(1.0) and not passes(0.5) and not passes(3.0)
    low = bisect(lambda f: 0.5 if passes(f) else -0.5, 0.5, 1.0, xtol=1e-4)
    high = bisect(lambda f: 0.5 if passes(f) else -0.5, 1.0, 3.0, xtol=1e-4)
    sigma = 0.15
    p = stats.norm.cdf((high - 1.0) / sigma) - stats.norm.cdf((low - 1.0) / sigma)
    spread = small(still, spreads=dataclasses.replace(still.spreads, propagation_loss_sigma=sigma),
                   **{"run.n_wafers": 4})  # fmt: skip
    dies = simulate(spread).table["passed"]
    lo, hi = stats.binom.interval(0.999, dies.size, p)
    assert 0.5 < p < 0.99
    assert lo / dies.size <= dies.mean() <= hi / dies.size


@pytest.mark.parametrize("part", ["tia", "rin", "swing"])
def test_a_lane_spread_alone_moves_yield_as_its_tail(part):
    """No variation, a perfect lock: every lane passes below one threshold of its receiver
    noise density d* or laser RIN r*, and above one of its driver swing ratio s* (found by
    bisection with the value forced on every lane). With the link's nominal value put 1.5σ
    inside it, a Gaussian density d0·(1 + σz) passes a lane with Φ((d*/d0 − 1)/σ) = Φ(1.5), a
    Gaussian RIN with Φ((r* − r0)/σ) (the 4 lanes of one laser together), a swing 1 + σz with
    σ = (1 − s*)/1.5 likewise. Inside the 99.9 % intervals. (A dark current's shot noise stays
    below the thermal noise up to milliamperes, so it has no threshold to test here;
    test_lanes checks its budget.)"""
    from scipy.optimize import bisect

    from cposim.photonics.yields import engine as E

    still = small(variation=NO_VARIATION, spreads=SpreadSettings(**STILL_SPREADS),
                  **{"lock.sigma_m": 0.0, "run.n_wafers": 1})  # fmt: skip
    link = still.link
    name, key, sigma = {
        "tia": ("tia_noise_density_a_per_sqrt_hz", "tia_noise_sigma", 0.05),
        "rin": ("rin_db_per_hz", "laser_rin_sigma_db", 1.0),
        "swing": ("drive_swing_ratio", "driver_swing_sigma", None),
    }[part]
    original = E._lane_spreads

    def passes(value):
        def forced(config, layout, wafers):
            lane = original(config, layout, wafers)
            lane[name] = np.full_like(lane[name], value)
            return lane

        E._lane_spreads = forced
        try:
            return bool(simulate_wafers(still, [0])["passed"].all())
        finally:
            E._lane_spreads = original

    def edge(good, bad, tolerance):
        assert passes(good) and not passes(bad)
        return bisect(lambda v: 0.5 if passes(v) else -0.5, good, bad, xtol=tolerance)

    changes = {"run.n_wafers": 4}
    if part == "rin":
        changes[f"link.{name}"] = edge(link.rin_db_per_hz, -110.0, 1e-6) - 1.5 * sigma
    elif part == "tia":
        nominal = link.tia_noise_density_a_per_sqrt_hz
        changes[f"link.{name}"] = edge(nominal, 20 * nominal, 1e-7 * nominal) / (1 + 1.5 * sigma)
    else:
        sigma = (1.0 - edge(1.0, 0.5, 1e-7)) / 1.5
        assert 0.01 < sigma < 0.3
    spread = small(still, spreads=dataclasses.replace(still.spreads, **{key: sigma}), **changes)
    result = simulate(spread)
    result = type(result)(table=result.table, config=spread, confidence=0.999)
    yields = result.yields().set_index("level")
    p = stats.norm.cdf(1.5)
    per_unit = 4 if part == "rin" else 1  # lanes of one laser are one trial
    lanes = yields.loc["lane"]
    units = lanes["total"] / per_unit
    low, high = stats.binom.interval(0.999, units, p)
    assert low / units <= lanes["yield"] <= high / units
    engine = p ** (8 // per_unit)
    assert yields.loc["engine", "low"] <= engine <= yields.loc["engine", "high"]


def test_a_laser_line_feeds_one_channel_of_the_links_its_source_serves():
    """WDM with a source split two ways: lanes of the same channel on the two links of one
    source share their line power; other channels and other sources have their own."""
    from cposim.photonics.yields import engine as E

    config = YieldConfig(link=LinkParameters(laser_split_ways=2)).with_changes(
        {"wafer": Wafer(diameter_m=0.1, edge_exclusion_m=3e-3), "run.n_wafers": 1,
         "spreads.fiber_coupling_loss_sigma_db": 0.0, "spreads.fiber_array_loss_sigma_db": 0.0,
         "spreads.photodiode_responsivity_sigma": 0.0}
    )  # fmt: skip
    n = config.n_channels
    lanes = E._power_spreads(config, config.layout(), [0])[0]
    lanes = lanes.reshape(-1, config.die.links_per_engine, n)
    np.testing.assert_array_equal(lanes[:, 0], lanes[:, 1])  # links 0 and 1: one source
    assert np.all(lanes[:, 0] != lanes[:, 2])  # the next source
    assert np.all(lanes[:, 0, 0] != lanes[:, 0, 1])  # another channel, another laser
