"""Switch assembly yield: closed forms, a direct Monte Carlo of the build flow, yield-run files."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cposim.photonics.link.energy import ElectricalPowerParameters
from cposim.photonics.switch.assembly import (
    SCENARIOS,
    AssemblyParameters,
    YieldRunSummary,
    assembly_yield,
    read_yield_run,
)
from cposim.photonics.switch.model import preset

QX = preset("quantum-x-photonics")


def test_independent_case_is_engine_yield_to_the_n():
    y = np.array([0.9, 0.99, 0.999])
    result = assembly_yield(QX, AssemblyParameters(engine_yield=y, attach_yield=1.0))
    untested = SCENARIOS.index("untested")
    np.testing.assert_allclose(result.switch_yield[untested], y**QX.n_optical_engines, rtol=1e-12)
    np.testing.assert_allclose(result.package_yield[untested], y**QX.engines_per_asic, rtol=1e-12)


def test_known_good_engine_testing_and_rework_raise_yield_as_computed():
    y, c, r = 0.9, 0.95, 0.5
    result = assembly_yield(
        QX, AssemblyParameters(engine_yield=y, test_coverage=c, attach_yield=1.0, rework_success=r)
    )
    m, packages = QX.engines_per_asic, QX.n_asics
    kge = (y / (y + (1 - y) * (1 - c))) ** m
    rework = kge + (1 - kge) * r
    np.testing.assert_allclose(
        result.switch_yield, [y ** (m * packages), kge**packages, rework**packages], rtol=1e-12
    )
    assert result.switch_yield[0] < result.switch_yield[1] < result.switch_yield[2]
    np.testing.assert_allclose(
        result.scrapped_packages_per_good_switch,
        [packages * (1 - p) / p for p in (y**m, kge, rework)],
        rtol=1e-12,
    )


def test_zero_coverage_test_is_no_test():
    result = assembly_yield(QX, AssemblyParameters(engine_yield=0.97, test_coverage=0.0))
    np.testing.assert_allclose(result.switch_yield[1], result.switch_yield[0], rtol=1e-12)


@given(st.floats(0.5, 0.999), st.floats(0.0, 0.2))
def test_switch_yield_is_monotone_in_engine_yield(y, step):
    low = assembly_yield(QX, AssemblyParameters(engine_yield=y))
    high = assembly_yield(QX, AssemblyParameters(engine_yield=min(1.0, y + step)))
    assert np.all(high.switch_yield >= low.switch_yield * (1 - 1e-12))
    assert np.all(
        high.scrapped_packages_per_good_switch
        <= low.scrapped_packages_per_good_switch * (1 + 1e-12)
    )


def test_scrap_and_engine_use_match_a_direct_monte_carlo(simulate_build):
    """Build packages one by one (test with overkill, attach, package test, rework, scrap) and
    count (``conftest.simulate_build``).

    Tolerance: 5 standard errors of the Monte Carlo mean (k = 5).
    """
    params = AssemblyParameters(
        engine_yield=0.93, test_coverage=0.8, attach_yield=0.99, rework_success=0.6,
        test_overkill=0.05,
    )  # fmt: skip
    expected = assembly_yield(QX, params)
    rng = np.random.default_rng(20250321)
    n_good_packages = 5_000
    for index, scenario in enumerate(SCENARIOS):
        tally = simulate_build(QX, params, scenario, n_good_packages, rng)
        for simulated, target in (
            (tally["built"] - 1, expected.scrapped_packages_per_good_switch[index]),
            (tally["built"], expected.packages_built_per_good_switch[index]),
            (tally["engines"], expected.engines_per_good_switch[index]),
            (tally["reworks"], expected.reworks_per_good_switch[index]),
        ):
            mean = simulated.mean() * QX.n_asics
            error = simulated.std(ddof=1) / np.sqrt(n_good_packages) * QX.n_asics
            assert abs(mean - target) < 5 * error + 1e-12, (scenario, mean, target, error)


def test_overkill_costs_engines_and_dilutes_what_passes():
    """Rejecting good engines leaves the bad ones' escapes as they were, so more engines are
    drawn per placement and a passing engine is good with the lower y(1 − o)/P(pass)."""
    base = AssemblyParameters(engine_yield=0.9, test_coverage=0.9)
    harsh = AssemblyParameters(engine_yield=0.9, test_coverage=0.9, test_overkill=0.1)
    assert harsh.pass_probability() == pytest.approx(0.9 * 0.9 + 0.1 * 0.1, rel=1e-12)
    low, high = assembly_yield(QX, harsh), assembly_yield(QX, base)
    m = QX.engines_per_asic
    quality = 0.9 * 0.9 / (0.9 * 0.9 + 0.1 * 0.1)
    assert low.package_yield[1] == pytest.approx((quality * 0.995) ** m, rel=1e-12)
    assert low.package_yield[0] == high.package_yield[0]  # untested: no test to overkill
    tested = slice(1, None)
    assert np.all(low.package_yield[tested] < high.package_yield[tested])
    assert np.all(low.engines_per_good_switch[tested] > high.engines_per_good_switch[tested])


def test_assembly_fed_by_a_sampled_wafer_test():
    """The tested population's yield, coverage and overkill; what passes then is good with
    the screen's own outgoing quality."""
    from cposim.photonics.yields.screening import ScreeningResult

    good = np.array([True] * 90 + [False] * 10)
    passed = good.copy()
    passed[:3] = False  # 3 of 90 good rejected
    passed[90:92] = True  # 2 of 10 bad escape
    screening = ScreeningResult(good=good, passed_test=passed)
    params = AssemblyParameters.from_screening(screening, rework_success=0.3)
    assert (params.engine_yield, params.test_coverage, params.test_overkill) == pytest.approx(
        (0.9, 0.8, 3 / 90), rel=1e-12
    )
    assert params.rework_success == 0.3
    assert params.pass_probability() == pytest.approx(screening.known_good_fraction, rel=1e-12)
    quality = params.engine_yield * (1 - params.test_overkill) / params.pass_probability()
    assert quality == pytest.approx(1 - screening.outgoing_quality, rel=1e-12)
    with pytest.raises(ValueError, match="no good die"):
        AssemblyParameters.from_screening(ScreeningResult(good=~good & False, passed_test=passed))


def test_pluggables_scrap_no_packages():
    result = assembly_yield(preset("pluggable-1.6t"), AssemblyParameters(engine_yield=0.9))
    np.testing.assert_array_equal(result.switch_yield, 1.0)
    np.testing.assert_array_equal(result.scrapped_packages_per_good_switch, 0.0)
    np.testing.assert_allclose(result.engines_per_good_switch, 72 / 0.9, rtol=1e-12)


def test_result_table_and_plots():
    sweep = QX.assembly_yield(AssemblyParameters(engine_yield=np.linspace(0.8, 1.0, 5)))
    assert len(sweep.to_dataframe()) == 3 * 5
    assert sweep.plot().get_xlabel() == "Engine yield (fraction)"
    single = QX.assembly_yield()
    assert len(single.to_dataframe()) == 3
    assert single.plot().get_ylabel() == "Switch yield (fraction)"


def test_read_yield_run_reads_the_agreed_keys(tmp_path, write_summary):
    summary = read_yield_run(
        write_summary(
            tmp_path,
            engine_yield=0.9,
            engine_yield_interval=[0.88, 0.92],
            mean_heater_power_per_ring_w=0.012,
            lanes_per_engine=16,
            n_engines=4000,
        )
    )
    assert summary.engine_yield == 0.9
    assert summary.engine_yield_interval == (0.88, 0.92)
    assert summary.mean_heater_power_per_ring_w == 0.012
    assert (summary.lanes_per_engine, summary.n_engines) == (16, 4000)
    assert summary.engines_per_wafer is None  # optional: older runs lack it
    assert read_yield_run(write_summary(tmp_path, engines_per_wafer=600)).engines_per_wafer == 600
    # an 8-lane engine from a 16-lane run: independent lanes, y^(8/16)
    np.testing.assert_allclose(summary.engine_yield_for(8), np.sqrt([0.9, 0.88, 0.92]), rtol=1e-12)
    np.testing.assert_allclose(summary.engine_yield_for(16), [0.9, 0.88, 0.92], rtol=1e-12)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"engine_yield": 1.2}, "engine_yield = 1.2 is out of range"),
        ({"engine_yield_interval": [0.96, 0.99]}, "must be \\[low, high\\] around"),
        ({"engine_yield_interval": 0.9}, "must be \\[low, high\\]"),
        ({"lanes_per_engine": 0}, "lanes_per_engine = 0 must be a positive integer"),
        ({"mean_heater_power_per_ring_w": -1}, "mean_heater_power_per_ring_w"),
        ({"wavelengths_per_fiber": 0}, "wavelengths_per_fiber = 0 must be a positive integer"),
        ({"lane_rate_bps": 0.0}, "lane_rate_bps"),
        ({"electrical": {"speed": 1.0}}, "electrical has unknown field"),
        ({"electrical": {"receiver_energy_j_per_bit": -1.0}}, "receiver_energy_j_per_bit"),
    ],
)
def test_read_yield_run_rejects_bad_values_naming_field_and_file(
    tmp_path, write_summary, override, message
):
    with pytest.raises(ValueError, match=message) as info:
        read_yield_run(write_summary(tmp_path, **override))
    assert "summary.json" in str(info.value)


def test_read_yield_run_missing_file_key_or_bad_json(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_yield_run(tmp_path / "nothing")
    (tmp_path / "summary.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_yield_run(tmp_path)
    (tmp_path / "summary.json").write_text(json.dumps({"engine_yield": 0.9, "n_engines": 3}))
    with pytest.raises(ValueError, match=r"lacks key.*engine_yield_interval"):
        read_yield_run(tmp_path)


def test_summary_built_in_code_is_validated(dr_summary):
    electrical = {"receiver_energy_j_per_bit": 0.5e-12}
    values = {**dr_summary, "engine_yield_interval": (0.8, 0.95), "n_engines": 0}
    values["electrical"] = electrical
    with pytest.raises(ValueError, match="n_engines"):
        YieldRunSummary(**values)
    assert YieldRunSummary(**{**values, "n_engines": 3}).electrical_parameters() == (
        ElectricalPowerParameters(receiver_energy_j_per_bit=0.5e-12)
    )
