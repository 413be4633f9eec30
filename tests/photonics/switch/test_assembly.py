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


def test_scrap_and_engine_use_match_a_direct_monte_carlo():
    """Build packages one by one (test, attach, package test, rework, scrap) and count.

    Tolerance: 5 standard errors of the Monte Carlo mean (k = 5).
    """
    params = AssemblyParameters(
        engine_yield=0.93, test_coverage=0.8, attach_yield=0.99, rework_success=0.6
    )
    expected = assembly_yield(QX, params)
    rng = np.random.default_rng(20250321)
    m, n_good_packages = QX.engines_per_asic, 5_000
    for index, scenario in enumerate(SCENARIOS):
        tested = scenario != "untested"
        rework = scenario.endswith("rework")
        scrapped = np.zeros(n_good_packages)
        engines = np.zeros(n_good_packages)
        for k in range(n_good_packages):
            while True:
                good = True
                for _ in range(m):
                    while True:  # draw engines until one passes (or take it untested)
                        engines[k] += 1
                        is_good = rng.random() < params.engine_yield
                        if not tested or is_good or rng.random() >= params.test_coverage:
                            break
                    good &= is_good and rng.random() < params.attach_yield
                if not good and rework:
                    engines[k] += 1 / (1 - (1 - params.engine_yield) * params.test_coverage)
                    good = rng.random() < params.rework_success
                if good:
                    break
                scrapped[k] += 1
        per_switch = QX.n_asics
        for simulated, target in (
            (scrapped, expected.scrapped_packages_per_good_switch[index]),
            (engines, expected.engines_per_good_switch[index]),
        ):
            mean = simulated.mean() * per_switch
            error = simulated.std(ddof=1) / np.sqrt(n_good_packages) * per_switch
            assert abs(mean - target) < 5 * error + 1e-12, (scenario, mean, target, error)


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
