"""Variation calibration from wafer test data: round trips through our own sampler, width and
thickness separation, the variogram estimator in closed form, bad input, TOML, plots.

Statistical tolerances (fixed seeds, so every test is deterministic): for each component the
true value must lie inside the 99 % bootstrap interval (a correct estimator fails this with
probability ≈ 1 % per check and seed) and the estimate within ``K·SE`` of it, SE the bootstrap
standard deviation, with K = 4 (≈ 6e-5 per check for a normal estimate). Data: 32 wafers in 8
lots of 4 on a 100 mm wafer, 156 dies of 16 rings (2496 rings per wafer); 200 replicates.
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from cposim.photonics.fab.sampling import sample
from cposim.photonics.fab.variation import ParameterVariation, VariationModel, preset
from cposim.photonics.fab.wafer import DieLayout, Wafer, WaferLayout
from cposim.photonics.measure.calibration import (
    COMPONENTS,
    DesignSensitivity,
    calibrate_variation,
    empirical_variogram,
)
from cposim.photonics.yields.config import RunSettings, YieldConfig, load_config
from cposim.photonics.yields.run import simulate

NM = 1e-9
K = 4.0
CONFIDENCE = 0.99
N_BOOTSTRAP = 200
N_WAFERS, WAFERS_PER_LOT = 32, 4
WAFER = Wafer(diameter_m=0.1)
NONE = ParameterVariation()


def layout(ring_pitch_m=25e-6):
    """156 dies of 6 mm; four engines 3 mm apart, each one bank of 4 rings at ``ring_pitch_m``."""
    die = DieLayout.ring_banks(
        width_m=6e-3,
        height_m=6e-3,
        engines_x=2,
        engines_y=2,
        banks_per_engine=1,
        rings_per_bank=4,
        ring_pitch_m=ring_pitch_m,
        engine_pitch_x_m=3e-3,
        engine_pitch_y_m=3e-3,
    )
    return WaferLayout(wafer=WAFER, die=die)


def first_order(width, thickness):
    """A model whose shift is exactly a_w·Δw + a_t·Δt (second-order terms off), no gap."""
    return VariationModel(
        width=width,
        thickness=thickness,
        gap=NONE,
        d2lambda_dwidth2_per_m=0.0,
        d2lambda_dthickness2_per_m=0.0,
        wafers_per_lot=WAFERS_PER_LOT,
    )


def measured_table(model, wafer_layout, *, seed, designs=None):
    """Resonances of every ring sampled from ``model``: a wafer-test table. With ``designs``,
    even rings of a bank are the first design and odd ones the second."""
    drawn = sample(model, wafer_layout, wafer_indices=N_WAFERS, rng=seed)
    rings = drawn.to_dataframe()
    table = pd.DataFrame(
        {
            "lot": rings["wafer"] // WAFERS_PER_LOT,
            "wafer": rings["wafer"] % WAFERS_PER_LOT,  # labels within the lot
            "x_m": rings["x_m"],
            "y_m": rings["y_m"],
        }
    )
    if designs is None:
        table["resonance_m"] = drawn.nominal_resonance_m + rings["resonance_shift_m"]
        return table
    labels = list(designs)
    table["design"] = np.where(rings["ring"] % 2 == 0, labels[0], labels[1])
    a = np.array([[designs[d].dlambda_dwidth, designs[d].dlambda_dthickness] for d in table.design])
    shift = a[:, 0] * rings["delta_width_m"] + a[:, 1] * rings["delta_thickness_m"]
    table["resonance_m"] = 1.31e-6 + shift
    return table


def resonance_truth(model):
    """The true levels of the resonance shift of a one-design model (module notes)."""
    a_w, a_t = model.dlambda_dwidth, model.dlambda_dthickness
    w, t = model.width, model.thickness

    def sigma(name):
        return np.hypot(a_w * getattr(w, name), a_t * getattr(t, name))

    tilt = a_w * w.tilt_m * np.exp(1j * w.tilt_angle_rad) + a_t * t.tilt_m * np.exp(
        1j * t.tilt_angle_rad
    )
    field = w if w.field_sigma_m else t
    return {
        "lot_sigma_m": sigma("lot_sigma_m"),
        "wafer_sigma_m": sigma("wafer_sigma_m"),
        "bowl_m": a_w * w.bowl_m + a_t * t.bowl_m,
        "tilt_m": abs(tilt),
        "tilt_angle_rad": np.angle(tilt),
        "field_sigma_m": sigma("field_sigma_m"),
        "correlation_length_m": field.correlation_length_m,
        "local_sigma_m": sigma("local_sigma_m"),
    }


def assert_recovered(levels, truth, components=COMPONENTS):
    for name in components:
        estimate, true = getattr(levels, name), truth[name]
        where = f"{levels.parameter}.{name}: true {true:.4g}, estimate {estimate}"
        assert estimate.source == "data", where
        assert estimate.low <= true <= estimate.high, where
        assert abs(estimate.value - true) <= K * estimate.standard_error, where


# A one-design truth the calibration is not told: the field in width only (one kernel and ℓ in
# the shift), lot and wafer offsets in both parameters, bowl and tilt in thickness.
def one_design_model(kernel, grid_spacing_m=None):
    return first_order(
        ParameterVariation(
            lot_sigma_m=1.5 * NM,
            wafer_sigma_m=1.0 * NM,
            field_sigma_m=0.8 * NM,
            correlation_length_m=5e-3,
            kernel=kernel,
            local_sigma_m=0.3 * NM,
            grid_spacing_m=grid_spacing_m,
        ),
        ParameterVariation(
            lot_sigma_m=0.5 * NM,
            wafer_sigma_m=0.5 * NM,
            bowl_m=2 * NM,
            tilt_m=1 * NM,
            tilt_angle_rad=0.6,
        ),
    )


GAUSSIAN = one_design_model("gaussian")
# The sampler draws the field exactly at the rings of one cluster (to 5e-3 between
# clusters); this round trip keeps the fine grid (ℓ/32) it was written with.
EXPONENTIAL = one_design_model("exponential", grid_spacing_m=5e-3 / 32)
EXPONENTIAL_PITCH_M = 0.25e-3


@pytest.fixture(scope="module")
def gaussian_run():
    table = measured_table(GAUSSIAN, layout(), seed=7)
    result = calibrate_variation(
        table, wafer=WAFER, n_bootstrap=N_BOOTSTRAP, confidence=CONFIDENCE, rng=1
    )
    return table, result


@pytest.fixture(scope="module")
def exponential_run():
    table = measured_table(EXPONENTIAL, layout(EXPONENTIAL_PITCH_M), seed=9)
    return calibrate_variation(
        table, wafer=WAFER, n_bootstrap=N_BOOTSTRAP, confidence=CONFIDENCE, rng=2
    )


DESIGNS = {
    "narrow": DesignSensitivity(dlambda_dwidth=0.9, dlambda_dthickness=0.3),
    "wide": DesignSensitivity(dlambda_dwidth=0.15, dlambda_dthickness=0.95),
}
# Width and thickness each with every level, different correlation lengths (4 and 15 mm).
TWO_PARAMETERS = first_order(
    ParameterVariation(
        lot_sigma_m=1.0 * NM,
        wafer_sigma_m=1.5 * NM,
        bowl_m=-0.8 * NM,
        tilt_m=1.0 * NM,
        tilt_angle_rad=0.5,
        field_sigma_m=1.0 * NM,
        correlation_length_m=4e-3,
        local_sigma_m=0.5 * NM,
    ),
    ParameterVariation(
        lot_sigma_m=1.5 * NM,
        wafer_sigma_m=0.8 * NM,
        bowl_m=2.0 * NM,
        tilt_m=0.7 * NM,
        tilt_angle_rad=-2.0,
        field_sigma_m=0.8 * NM,
        correlation_length_m=15e-3,
        local_sigma_m=0.2 * NM,
    ),
)


@pytest.fixture(scope="module")
def two_design_run():
    table = measured_table(TWO_PARAMETERS, layout(), seed=11, designs=DESIGNS)
    return calibrate_variation(
        table,
        wafer=WAFER,
        designs=DESIGNS,
        n_bootstrap=N_BOOTSTRAP,
        confidence=CONFIDENCE,
        rng=3,
    )


# ---------------------------------------------------------------------------------- round trip
def test_gaussian_round_trip_recovers_every_level(gaussian_run):
    _, result = gaussian_run
    assert result.resonance.kernel == "gaussian"
    assert result.kernel_sse["gaussian"] < result.kernel_sse["exponential"]
    assert_recovered(result.resonance, resonance_truth(GAUSSIAN))


def test_exponential_round_trip_recovers_every_level_but_local(exponential_run):
    assert exponential_run.resonance.kernel == "exponential"
    assert exponential_run.kernel_sse["exponential"] < exponential_run.kernel_sse["gaussian"]
    components = [c for c in COMPONENTS if c != "local_sigma_m"]
    assert_recovered(exponential_run.resonance, resonance_truth(EXPONENTIAL), components)


def test_exponential_round_trip_recovers_local_sigma(exponential_run):
    assert_recovered(exponential_run.resonance, resonance_truth(EXPONENTIAL), ["local_sigma_m"])


def test_empirical_variogram_is_the_residuals_of_each_wafer(gaussian_run):
    _, result = gaussian_run
    rings = result.rings
    (measured,) = result.variograms.values()
    direct = empirical_variogram(
        rings["x_m"],
        rings["y_m"],
        rings["residual_m"],
        bin_edges_m=measured.bin_edges_m,
        group=rings["wafer_index"],
    )
    np.testing.assert_array_equal(direct.pair_count, measured.pair_count)
    np.testing.assert_allclose(direct.semivariance_m2, measured.semivariance_m2, rtol=1e-12)
    by_wafer = rings.groupby("wafer_index")
    # residual = shift - profile - its wafer mean: zero mean per wafer, the rest per-wafer constant
    np.testing.assert_allclose(by_wafer["residual_m"].mean(), 0.0, atol=1e-22)
    offset = rings["resonance_shift_m"] - rings["systematic_m"] - rings["residual_m"]
    np.testing.assert_allclose(offset.groupby(rings["wafer_index"]).std(), 0.0, atol=1e-22)


# ------------------------------------------------------------------------- width and thickness
def test_two_designs_separate_width_and_thickness(two_design_run):
    result = two_design_run
    assert result.identifiable and result.resonance is None and result.split is None
    assert result.notes[0].startswith("identifiable")
    for name in ("width", "thickness"):
        true = getattr(TWO_PARAMETERS, name)
        assert_recovered(getattr(result, name), {c: getattr(true, c) for c in COMPONENTS})
    assert (result.width.kernel, result.thickness.kernel) == ("gaussian", "gaussian")
    model = result.to_variation_model()
    assert model.gap == preset("typical").gap  # not identifiable from resonances: the prior's
    assert model.width == result.width.to_parameter_variation()


def test_one_design_is_flagged_not_identifiable_and_split_by_the_prior(gaussian_run):
    _, result = gaussian_run
    assert not result.identifiable and result.split == "prior"
    assert result.notes[0].startswith("not identifiable")
    a_w, a_t = result.sensitivities()
    prior = preset("typical")
    resonance, width, thickness = result.resonance, result.width, result.thickness
    for name in ("lot_sigma_m", "wafer_sigma_m", "field_sigma_m", "local_sigma_m"):
        # every random level reproduces the fitted shift variance, in the prior's shares
        w, t = getattr(width, name).value, getattr(thickness, name).value
        assert (a_w * w) ** 2 + (a_t * t) ** 2 == pytest.approx(getattr(resonance, name).value ** 2)
        prior_w, prior_t = (
            (a_w * getattr(prior.width, name)) ** 2,
            (a_t * getattr(prior.thickness, name)) ** 2,
        )
        assert (a_w * w) ** 2 == pytest.approx(
            resonance.__getattribute__(name).value ** 2 * prior_w / (prior_w + prior_t)
        )
    # the typical prior has bowl and tilt in thickness only, local mismatch in width only
    assert width.bowl_m.value == 0.0 and width.tilt_m.value == 0.0
    assert a_t * thickness.bowl_m.value == pytest.approx(resonance.bowl_m.value)
    assert thickness.local_sigma_m.value == 0.0
    for levels in (width, thickness):
        assert levels.correlation_length_m == dataclasses.replace(
            resonance.correlation_length_m, source="split"
        )
        assert levels.kernel == resonance.kernel


def test_split_width_attributes_everything_to_width(gaussian_run):
    table, _ = gaussian_run
    result = calibrate_variation(table, wafer=WAFER, split="width", n_bootstrap=20, rng=1)
    a_w, _ = result.sensitivities()
    for name in ("lot_sigma_m", "field_sigma_m", "local_sigma_m", "bowl_m"):
        estimate = getattr(result.width, name)
        assert estimate.value == pytest.approx(getattr(result.resonance, name).value / a_w)
        assert estimate.source == "split"
        assert getattr(result.thickness, name).value == 0.0
    assert "entirely to width" in result.notes[0]


# ------------------------------------------------------------------- variogram in closed form
def test_empirical_variogram_closed_form():
    # Group a: three points, distances 0.125, 0.25 and √0.078125 m, values 0, 1, 3 nm. Group b:
    # two points 0.125 m apart, values 0 and 2 nm. Group c: one point 0.125 m from a's origin
    # (on top of a's second point), value 7 nm, which must not pair with a.
    x = np.array([0.0, 0.125, 0.0, 0.5, 0.625, 0.125])
    y = np.array([0.0, 0.0, 0.25, 0.5, 0.5, 0.0])
    values = np.array([0.0, 1.0, 3.0, 0.0, 2.0, 7.0]) * NM
    group = np.array(["a", "a", "a", "b", "b", "c"])
    edges = np.array([0.0625, 0.125, 0.25, 0.28, 0.375])  # bins (lower, upper]
    vg = empirical_variogram(x, y, values, bin_edges_m=edges, group=group)
    np.testing.assert_array_equal(vg.pair_count, [2, 1, 1, 0])
    expected_nm2 = [(0.5 * 1**2 + 0.5 * 2**2) / 2, 0.5 * 3**2, 0.5 * (3 - 1) ** 2]
    np.testing.assert_allclose(vg.semivariance_m2[:3], np.array(expected_nm2) * NM**2, rtol=1e-14)
    np.testing.assert_allclose(vg.distance_m[:3], [0.125, 0.25, np.sqrt(0.078125)], rtol=1e-14)
    assert np.isnan(vg.semivariance_m2[3]) and np.isnan(vg.distance_m[3])
    frame = vg.to_dataframe()
    assert list(frame.columns) == [
        "lower_m",
        "upper_m",
        "distance_m",
        "semivariance_m2",
        "pair_count",
    ]
    # one group: c's point pairs with a's origin (0 and 7 nm, 0.125 m), not with its twin at
    # distance 0 (lags start above edges[0])
    one = empirical_variogram(x, y, values, bin_edges_m=edges)
    assert one.pair_count[0] == 3
    assert one.semivariance_m2[0] == pytest.approx((0.5 + 2.0 + 24.5) / 3 * NM**2, rel=1e-14)


# --------------------------------------------------------------------------------- bad input
def tiny_table(**changes):
    """Three lots of two wafers, 25 rings each on a 5 × 5 grid (validation only)."""
    grid = np.linspace(-0.03, 0.03, 5)
    gx, gy = (g.ravel() for g in np.meshgrid(grid, grid))
    n_wafers = 6
    table = {
        "lot": np.repeat(np.arange(n_wafers) // 2, gx.size),
        "wafer": np.repeat(np.arange(n_wafers) % 2, gx.size),
        "x_m": np.tile(gx, n_wafers),
        "y_m": np.tile(gy, n_wafers),
        "resonance_m": 1.31e-6
        + 1e-9 * np.random.default_rng(0).standard_normal(gx.size * n_wafers),
    }
    table.update(changes)
    return table


def calibrate(table, **options):
    return calibrate_variation(table, wafer=WAFER, n_bootstrap=20, rng=0, **options)


def test_tiny_table_calibrates():
    result = calibrate(tiny_table())
    assert result.resonance.lot_sigma_m.source == "data"
    assert result.mean_shift_m is None  # no nominal: each design's mean is the reference
    assert any("only 6 wafers" in note for note in result.notes)


def test_die_positions_and_nominal_resonances():
    table = tiny_table()
    reference = calibrate(table)
    by_die = {k: v for k, v in table.items() if k not in ("x_m", "y_m")}
    by_die.update(
        die_x_m=table["x_m"] - 1e-3,
        ring_x_m=np.full(150, 1e-3),
        die_y_m=table["y_m"] - 2e-3,
        ring_y_m=np.full(150, 2e-3),
        nominal_resonance_m=np.full(150, 1.31e-6 - 2e-9),
    )
    result = calibrate(by_die)
    # the same rings: every component and interval as from x_m, y_m and the design mean
    for column in ("value", "low", "high", "standard_error"):
        np.testing.assert_allclose(
            result.to_dataframe()[column], reference.to_dataframe()[column], rtol=1e-6, atol=1e-18
        )
    (mean,) = result.mean_shift_m.values()
    assert mean.low <= 2e-9 <= mean.high
    assert abs(mean.value - 2e-9) <= K * mean.standard_error


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"resonance_m": None}, "no column 'resonance_m'"),
        ({"x_m": None, "y_m": None}, "no column 'x_m'"),
        ({"lot": None}, "no column 'lot'"),
        (
            {"resonance_m": "nan at 5"},
            r"'resonance_m' holds nan at row 5; every value must be a finite number > 0",
        ),
        (
            {"x_m": "inf at 3"},
            r"'x_m' holds inf at row 3; every value must be a finite number >= -0.05 and <= 0.05",
        ),
        (
            {"y_m": "0.2 at 0"},
            r"y_m = 0.2 \(first at index \(0,\)\) is out of range: must be >= -0.05 and <= 0.05",
        ),
        ({"x_m": "0.04 at 0", "y_m": "0.04 at 0"}, "must be <= wafer.radius_m = 0.05 m"),
        ({"resonance_m": "-1 at 2"}, r"resonance_m = -1.0 .* must be > 0"),
        (
            {"lot": "one lot"},
            r"lot: the rings come from 1 lot; estimating the lot σ needs >= 2 lots",
        ),
        ({"wafer": "one per lot"}, "wafer: no lot has more than 1 wafer"),
    ],
)
def test_bad_tables_name_the_column_and_the_allowed_range(changes, message):
    table = tiny_table()
    for column, change in changes.items():
        if change is None:
            del table[column]
        elif change == "one lot":
            table["lot"] = np.zeros_like(table["lot"])
        elif change == "one per lot":
            table["lot"] = table["lot"] * 2 + table["wafer"]
        else:
            value, _, row = change.partition(" at ")
            table[column] = table[column].astype(float)
            table[column][int(row)] = float(value)
    with pytest.raises(ValueError, match=message):
        calibrate(table)


def test_a_single_wafer_cannot_give_offsets_or_intervals():
    table = {k: v[:25] for k, v in tiny_table().items()}
    with pytest.raises(ValueError, match=r"lot: .*1 lot"):
        calibrate(table)
    with pytest.raises(ValueError, match=r"wafer: no lot has more than 1 wafer"):
        calibrate(table, offset_levels=("wafer",))
    with pytest.raises(ValueError, match=r"1 wafer; the intervals .* need >= 2 wafers"):
        calibrate(table, offset_levels=())


def test_one_lot_keeps_the_prior_lot_sigma():
    table = tiny_table(lot=np.zeros(150, dtype=int), wafer=np.repeat(np.arange(6), 25))
    result = calibrate(table, offset_levels=("wafer",))
    prior = preset("typical")
    assert result.width.lot_sigma_m.source == "prior"
    assert result.width.lot_sigma_m.value == prior.width.lot_sigma_m
    assert np.isnan(result.width.lot_sigma_m.low)
    assert any("lot σ: not estimated" in note for note in result.notes)


def test_bad_designs_and_options():
    table = tiny_table(design=np.where(np.arange(150) % 2, "a", "b"))
    with pytest.raises(ValueError, match="pass designs="):
        calibrate(table)
    with pytest.raises(ValueError, match=r"'design' holds 'b', which is not in designs"):
        calibrate(table, designs={"a": DESIGNS["narrow"]})
    proportional = {
        "a": DESIGNS["narrow"],
        "b": DesignSensitivity(dlambda_dwidth=1.8, dlambda_dthickness=0.6),
    }
    with pytest.raises(ValueError, match="proportional"):
        calibrate(table, designs=proportional)
    with pytest.raises(ValueError, match="split = 'width' applies to one design"):
        calibrate(table, designs={"a": DESIGNS["narrow"], "b": DESIGNS["wide"]}, split="width")
    with pytest.raises(ValueError, match="kernel = 'matern' is not allowed"):
        calibrate(tiny_table(), kernel="matern")
    with pytest.raises(ValueError, match="offset_levels = 'die' is not allowed"):
        calibrate(tiny_table(), offset_levels=("die",))
    with pytest.raises(ValueError, match="n_bootstrap = 5 must be an integer >= 20"):
        calibrate_variation(tiny_table(), wafer=WAFER, n_bootstrap=5)


# ------------------------------------------------------------------------ outputs and plots
def test_to_toml_is_a_variation_table_the_yield_config_loads(gaussian_run, tmp_path):
    _, result = gaussian_run
    path = tmp_path / "calibrated.toml"
    path.write_text(result.to_toml(), encoding="utf-8")
    config = load_config(path)
    assert config.variation == result.to_variation_model()
    assert config.variation.width.field_sigma_m == result.width.field_sigma_m.value
    assert result.to_toml().startswith("# Variation model calibrated")


def test_to_dataframe_lists_every_component(gaussian_run):
    _, result = gaussian_run
    frame = result.to_dataframe()
    assert list(frame.columns) == [
        "parameter",
        "component",
        "value",
        "low",
        "high",
        "standard_error",
        "source",
    ]
    assert len(frame) == 3 * len(COMPONENTS)
    assert set(frame["source"]) == {"data", "split"}


@pytest.mark.parametrize("kind", ["variogram", "wafer_map", "residual_map"])
def test_plots_label_their_units(gaussian_run, two_design_run, kind):
    _, result = gaussian_run
    axes = result.plot(kind=kind, wafer=1, rng=0)
    axes = np.atleast_1d(axes)
    for ax in axes:
        assert "(mm)" in ax.get_xlabel()
    if kind == "variogram":
        assert ax.get_ylabel() == "Semivariance (nm²)"
        assert len(two_design_run.plot().get_lines()) == 4  # measured and fitted per design
    with pytest.raises(ValueError, match="wafer = 99 is out of range"):
        result.plot(kind="residual_map", wafer=99)


# --------------------------------------------------------------------------------- yield run
@pytest.mark.xfail(
    strict=False,
    reason="open (issue 18): 8 wafers of one lot share one lot offset, so the run's yield rides "
    "on one lot draw and the Wilson interval (dies as independent) is too narrow; the point "
    "estimate misses at this seed (0.604 vs [0.619, 0.662]). Die yield is not monotone in the "
    "σ's (the nominal point fails red-only tuning, so variation helps some lots), so the σ "
    "intervals cannot bracket it either; needs yields over calibration bootstrap replicates",
)
def test_yield_on_the_calibrated_model_matches_the_true_model(two_design_run):
    """The calibrated model against the truth with the same prior parts (gap, mapping, ring),
    on the same seed (the lot and wafer draws are common; the fields' grids differ): the die
    yield must fall inside the true run's 95 % Wilson interval (1920 dies)."""
    base = YieldConfig().with_changes(
        {"wafer": Wafer(diameter_m=0.1), "run": RunSettings(seed=5, n_wafers=8)}
    )
    model = two_design_run.to_variation_model()  # gap, mapping, ring: the prior's
    truth = dataclasses.replace(
        model, width=TWO_PARAMETERS.width, thickness=TWO_PARAMETERS.thickness
    )
    true = simulate(base.with_changes({"variation": truth}))
    calibrated = simulate(base.with_changes({"variation": model}))
    true_die = true.yields().set_index("level").loc["die"]
    calibrated_die = calibrated.yields().set_index("level").loc["die"]
    assert 0.05 < true_die["yield"] < 0.95
    assert true_die["low"] <= calibrated_die["yield"] <= true_die["high"]
