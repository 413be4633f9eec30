"""The switch report built from a yield study: its engine yield, heater power, laser line and
lane energies reach the switch, and every chain input says where it came from."""

import pytest

from cposim.photonics.fab.wafer import Wafer
from cposim.photonics.link.parameters import LinkParameters
from cposim.photonics.switch.assembly import YieldRunSummary
from cposim.photonics.switch.model import preset
from cposim.photonics.switch.report import switch_report
from cposim.photonics.yields.config import RunSettings, YieldConfig
from cposim.photonics.yields.run import simulate


def _study(config=None):
    """One 100 mm wafer of the default (DR) study: ≈ 290 dies, fast."""
    return simulate(
        (config or YieldConfig()).with_changes(
            {
                "wafer": Wafer(diameter_m=0.1, edge_exclusion_m=3e-3),
                "run": RunSettings(seed=5, n_wafers=1, wafers_per_chunk=1),
            }
        )
    )


@pytest.fixture(scope="module")
def study():
    return _study()


def test_report_from_a_yield_study_shows_its_engine_yield_and_heater_power(study):
    summary = study.summary()
    report = switch_report(preset("quantum-x-photonics"), yield_run=study)
    # same 8-lane engine: the run's engine yield and interval, unscaled
    assert float(report.assembly.engine_yield) == summary["engine_yield"]
    assert list(report.assembly_bounds.engine_yield) == summary["engine_yield_interval"]
    heater = report.cpo.power_breakdown().component_w("heater")
    assert heater == pytest.approx(summary["mean_heater_power_per_lane_w"] * 576, rel=1e-12)
    assert report.cpo.laser.output_power_dbm == summary["laser_power_dbm"]
    assert report.cpo.electrical.receiver_energy_j_per_bit == (
        study.config.link.electrical.receiver_energy_j_per_bit
    )
    assert f"{summary['engine_yield']:.4f}" in report.sources["engine yield"]
    assert all("yield run" in report.sources[k] for k in ("heater power per lane", "laser line"))
    assert f"{summary['engines_per_wafer']} engines per wafer" in report.sources["costs"]
    assert summary["engines_per_wafer"] == study.config.layout().n_dies  # one engine per die
    frame = report.assembly_table()
    assert (frame["switch_yield_low"] <= frame["switch_yield"]).all()
    assert (frame["switch_yield"] <= frame["switch_yield_high"]).all()


def test_report_prices_the_assembly_it_reports_and_takes_a_tested_population(study):
    """The cost table is the reported flow priced (the run's engine yield); a wafer screen of
    the same study feeds the flow its coverage and overkill, and costs given are used."""
    import numpy as np

    from cposim.photonics.switch.assembly import AssemblyParameters
    from cposim.photonics.switch.cost import CostParameters, switch_cost
    from cposim.photonics.yields.screening import ScreeningSettings, screen

    costs = CostParameters(package_cost=1000.0)
    screening = screen(study.table, ScreeningSettings(), rng=np.random.default_rng(1))
    fed = AssemblyParameters.from_screening(screening)
    report = switch_report(
        preset("quantum-x-photonics"), yield_run=study, assembly=fed, costs=costs
    )
    # the screen's good dies are the study's passing ones: the run's engine yield is the fed one
    assert fed.engine_yield == pytest.approx(study.summary()["engine_yield"], rel=1e-12)
    assert float(report.assembly.engine_yield) == pytest.approx(fed.engine_yield, rel=1e-12)
    expected = switch_cost(report.cpo, fed, costs)
    np.testing.assert_allclose(report.cost.total_per_good_switch, expected.total_per_good_switch)
    assert report.sources["costs"] == "CostParameters given"
    assert len(report.cost_table()) == 3


def test_report_without_a_run_names_its_assumptions():
    report = switch_report(preset("quantum-x-photonics"))
    assert "assumption" in report.sources["engine yield"]
    assert "no yield run" in report.sources["heater power per lane"]
    assert report.assembly_bounds is None
    assert "2488 engines per wafer" in report.sources["costs"]
    assert len(report.power_table()) == 9  # eight components and the total
    assert report.plot().get_ylabel() == ""


def test_summary_object_and_directory_give_the_same_report(study, tmp_path):
    import json

    (tmp_path / "summary.json").write_text(json.dumps(study.summary()))
    from_dir = switch_report(preset("quantum-x-photonics"), yield_run=tmp_path)
    in_memory = switch_report(
        preset("quantum-x-photonics"), yield_run=YieldRunSummary.from_result(study)
    )
    assert from_dir.cpo == in_memory.cpo
    assert from_dir.assembly.to_dataframe().equals(in_memory.assembly.to_dataframe())


def test_a_wdm_run_does_not_describe_the_dr_switch():
    wdm = _study(YieldConfig(link=LinkParameters()))
    with pytest.raises(ValueError, match=r"wavelengths_per_fiber = 8 .* but 1 in switch"):
        switch_report(preset("quantum-x-photonics"), yield_run=wdm)
    with pytest.raises(ValueError, match="yield_run = 3 must be"):
        switch_report(preset("quantum-x-photonics"), yield_run=3)
