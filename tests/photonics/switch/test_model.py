"""Switch hierarchy, presets, power bottom-up, validation table and the ``switch`` CLI.

Counts are checked against REFERENCE.md section A exactly; power against a hand-written
closed form of the same components (rtol 1e-12); the CPO/pluggable ratios against the
published band (claims are never inputs of the model).
"""

import dataclasses
import json

import numpy as np
import pytest

from cposim.photonics.cli import main as cli
from cposim.photonics.cli.switch import add_switch_parser
from cposim.photonics.link.energy import ElectricalPowerParameters
from cposim.photonics.switch.model import (
    PRESET_NAMES,
    LaserSource,
    OpticalEngine,
    Switch,
    pluggable_equivalent,
    preset,
)
from cposim.photonics.switch.power import COMPONENTS, OpticsOverheadParameters
from cposim.photonics.switch.validation import validation_table
from cposim.photonics.units import dbm_to_w

# REFERENCE.md section A, typed here as the expected totals (the model derives them).
EXPECTED = {
    "quantum-x-photonics": dict(
        total_bandwidth_bps=115.2e12,
        n_ports=144,
        n_asics=4,
        n_optical_engines=72,
        n_lanes=576,
        n_lasers=144,
        n_laser_modules=18,
        lanes_per_port=4,
    ),
    "spectrum-x-photonics-sn6810": dict(total_bandwidth_bps=102.4e12, n_ports=128, n_lanes=512),
    "spectrum-x-photonics-sn6800": dict(total_bandwidth_bps=409.6e12, n_ports=512, n_lanes=2048),
    "pluggable-1.6t": dict(
        total_bandwidth_bps=115.2e12, n_ports=144, n_optical_engines=72, n_lasers=576, n_lanes=576
    ),
}


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_preset_counts_match_reference(name):
    switch = preset(name)
    for attribute, value in EXPECTED[name].items():
        assert getattr(switch, attribute) == pytest.approx(value, rel=1e-12), attribute
    assert switch.port_rate_bps == 800e9
    assert switch.n_lanes * switch.engine.lane_rate_bps == pytest.approx(
        switch.total_bandwidth_bps, rel=1e-12
    )


def test_quantum_x_engines_are_six_sub_assemblies_of_three_per_asic():
    switch = preset("quantum-x-photonics")
    assert switch.engines_per_asic == 6 * 3  # fibermall: 6 optical sub-assemblies × 3 engines
    assert switch.engine.bandwidth_bps == 1.6e12
    assert switch.n_rings == 576  # DR: one heated modulator ring per lane


def test_spectrum_x_engines_are_3p2t():
    for name in ("spectrum-x-photonics-sn6810", "spectrum-x-photonics-sn6800"):
        switch = preset(name)
        assert switch.engine.bandwidth_bps == 3.2e12
        assert switch.n_optical_engines == switch.total_bandwidth_bps / 3.2e12


def test_counts_follow_the_hierarchy_not_typed_totals():
    base = preset("quantum-x-photonics")
    bigger_engines = dataclasses.replace(base, engine=OpticalEngine(lanes=16))
    assert bigger_engines.n_optical_engines == 36
    assert bigger_engines.n_lanes == 576
    fewer_splits = dataclasses.replace(base, laser=LaserSource(lanes_per_laser=2))
    assert fewer_splits.n_lasers == 288 and fewer_splits.n_laser_modules == 36
    wdm = dataclasses.replace(base, engine=OpticalEngine(wavelengths_per_fiber=8))
    assert wdm.n_rings == 2 * 576  # modulator + demultiplexer ring per lane
    assert wdm.n_signal_fibers == base.n_signal_fibers // 8
    assert wdm.n_lasers == 144


def test_lane_map_is_consistent_with_the_hierarchy():
    for switch in (
        preset("quantum-x-photonics"),
        dataclasses.replace(
            preset("quantum-x-photonics"), engine=OpticalEngine(wavelengths_per_fiber=8)
        ),
        preset("spectrum-x-photonics-sn6800"),
        preset("pluggable-1.6t"),
    ):
        lanes = switch.lane_map()
        table = lanes.to_dataframe()
        assert len(table) == switch.n_lanes
        assert table.groupby("port").size().eq(switch.lanes_per_port).all()
        assert table.groupby("laser").size().eq(switch.laser.lanes_per_laser).all()
        assert table.groupby("laser")["wavelength"].nunique().eq(1).all()  # one λ per laser
        assert table.groupby("engine")["asic"].nunique().eq(1).all()
        assert table.groupby(["port", "lane_in_port"]).size().eq(1).all()
        assert table["laser_module"].nunique() == switch.n_laser_modules
        if switch.multi_plane:  # each 800G port: 4 lanes in 4 different ASICs
            assert table.groupby("port")["asic"].nunique().eq(switch.n_asics).all()


def test_uneven_hierarchy_is_rejected_with_the_quantity_named():
    with pytest.raises(ValueError, match="engines_per_asic"):
        Switch(engine=OpticalEngine(lanes=7), multi_plane=False)
    with pytest.raises(ValueError, match="wavelengths_per_fiber"):
        OpticalEngine(lanes=8, wavelengths_per_fiber=3)
    with pytest.raises(ValueError, match="multi_plane"):
        Switch(n_asics=2, asic_bandwidth_bps=57.6e12)
    with pytest.raises(ValueError, match="packaging"):
        Switch(packaging="onboard")
    with pytest.raises(ValueError, match="name = 'quantum-x'"):
        preset("quantum-x")


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_power_matches_a_hand_written_sum_of_components(name):
    s = preset(name)
    e, o, rate = s.electrical, s.overhead, s.engine.lane_rate_bps
    serdes = e.serdes_energy_j_per_bit_at_0_db + e.serdes_energy_j_per_bit_per_db * (
        e.electrical_channel_loss_db
    )
    lane_w = (
        float(dbm_to_w(s.laser.output_power_dbm))
        / s.laser.lanes_per_laser
        / e.laser_wall_plug_efficiency
        + e.heater_power_per_ring_w * s.engine.rings_per_lane
        + (e.modulator_driver_energy_j_per_bit + e.receiver_energy_j_per_bit + serdes) * rate
        + o.dsp_energy_j_per_bit * rate
        + o.control_power_per_lane_w
    ) / o.power_delivery_efficiency
    assert s.optics_power_w() == pytest.approx(lane_w * s.n_lanes, rel=1e-12)
    assert s.energy_per_bit_j() == pytest.approx(lane_w / rate, rel=1e-12)
    table = s.power_breakdown().to_dataframe()
    assert list(table["component"]) == list(COMPONENTS)
    assert table["power_w"].sum() == pytest.approx(s.optics_power_w(), rel=1e-12)
    assert table["share"].sum() == pytest.approx(1.0, rel=1e-12)


def test_changing_a_component_changes_power():
    base = preset("quantum-x-photonics")
    reference = base.optics_power_w()
    changes = {
        "electrical": dataclasses.replace(base.electrical, laser_wall_plug_efficiency=0.3),
        "laser": dataclasses.replace(base.laser, output_power_dbm=17.0),
        "overhead": OpticsOverheadParameters(power_delivery_efficiency=0.95),
    }
    for name, value in changes.items():
        assert dataclasses.replace(base, **{name: value}).optics_power_w() < reference, name
    hotter = dataclasses.replace(
        base, electrical=dataclasses.replace(base.electrical, heater_power_per_ring_w=0.05)
    )
    assert hotter.optics_power_w() > reference
    far = dataclasses.replace(
        base, electrical=dataclasses.replace(base.electrical, electrical_channel_loss_db=22.0)
    )
    extra_serdes = 18 * base.electrical.serdes_energy_j_per_bit_per_db * base.total_bandwidth_bps
    assert far.optics_power_w() - reference == pytest.approx(
        extra_serdes / base.overhead.power_delivery_efficiency, rel=1e-12
    )


def test_cpo_vs_pluggable_ratios_against_the_published_band():
    """The power ratio is computed bottom-up from cited lane energies, not fitted: with every
    input nominal it may miss the published 3-3.5×, but the band of its uncertain inputs must
    reach the claim (a claim outside every input's range would mean a missing component)."""
    from cposim.photonics.switch.sensitivity import ratio_sensitivity

    cpo = preset("quantum-x-photonics")
    pluggable = preset("pluggable-1.6t")
    cpo_port = cpo.power_breakdown().power_for_bandwidth_w(1.6e12)
    plug_port = pluggable.power_breakdown().power_for_bandwidth_w(1.6e12)
    power_ratio = plug_port / cpo_port
    laser_ratio = pluggable.n_lasers / cpo.n_lasers
    low, high = ratio_sensitivity(cpo, pluggable).band
    print(
        f"\nper 1.6T port: pluggable {plug_port:.2f} W, CPO {cpo_port:.2f} W, "
        f"ratio {power_ratio:.3f} ({low:.2f}-{high:.2f} over the inputs; published ≈ 3-3.5×); "
        f"lasers {pluggable.n_lasers} vs {cpo.n_lasers}, ratio {laser_ratio:.3f} (published 4×)"
    )
    assert low <= power_ratio <= high
    assert low <= 3.5 and high >= 3.0
    assert 9.0 * 0.8 <= cpo_port <= 9.0 * 1.2  # the CPO side is a check: ≈ 9 W ± 20 %
    assert laser_ratio == 4.0
    assert pluggable.n_lasers - cpo.n_lasers == 432


def test_validation_table_rows_and_verdicts(capsys):
    table = validation_table(preset("quantum-x-photonics"))
    frame = table.to_dataframe()
    with capsys.disabled():
        print("\n" + frame.drop(columns="source").to_string(index=False))
    # rows whose claim an input was taken from or chosen against are no check of the model
    for quantity in (
        "pluggable / CPO power per 1.6T port",
        "pluggable power per 1.6T port",
        "pluggable / CPO lasers",
        "lasers removed per switch",
    ):
        row = table.row(quantity)
        assert row.calibrated and row.agrees is None
        assert row.verdict == "calibrated, not a check"
    for quantity in ("CPO power per 1.6T port", "pluggable / CPO link-down events"):
        row = table.row(quantity)
        assert not row.calibrated and row.verdict in ("yes", "NO")
        assert row.verdict == ("yes" if row.agrees else "NO")
    assert "does not define" in table.row("pluggable / CPO link-down events").source
    assert table.row("optics power saved per switch").agrees is None
    assert table.row("pluggable / CPO lane-hours lost").verdict == "context"
    with pytest.raises(ValueError, match="not in the table"):
        table.row("speed")
    assert table.plot().get_xlabel() == "Model / published claim (ratio)"
    # Same per-port ratio at any size.
    ratio = table.row("pluggable / CPO power per 1.6T port").model
    for name in ("spectrum-x-photonics-sn6810", "spectrum-x-photonics-sn6800"):
        row = validation_table(preset(name)).row("pluggable / CPO power per 1.6T port")
        assert row.model == pytest.approx(ratio, rel=0.05)


def test_pluggable_equivalent_matches_size():
    for name in ("spectrum-x-photonics-sn6810", "spectrum-x-photonics-sn6800"):
        cpo = preset(name)
        plug = pluggable_equivalent(cpo)
        assert plug.total_bandwidth_bps == cpo.total_bandwidth_bps
        assert plug.n_lasers == 4 * cpo.n_lasers
    assert pluggable_equivalent(preset("quantum-x-photonics")) == preset("pluggable-1.6t")


def test_breakdown_and_comparison_plots():
    cpo = preset("quantum-x-photonics")
    ax = cpo.power_breakdown().plot()
    assert ax.get_ylabel() == "Optical I/O energy (pJ/bit)"
    comparison = cpo.compare_power(preset("pluggable-1.6t"))
    assert comparison.to_dataframe().shape == (len(COMPONENTS), 2)
    assert len(comparison.plot().patches) == 2 * len(COMPONENTS)


def test_electrical_parameters_are_reused_not_copied():
    assert isinstance(preset("quantum-x-photonics").electrical, ElectricalPowerParameters)
    assert preset("pluggable-1.6t").electrical.electrical_channel_loss_db == 22.0
    assert preset("quantum-x-photonics").electrical.electrical_channel_loss_db == 4.0


# --- command line -------------------------------------------------------------------------------


@pytest.fixture
def switch_main(monkeypatch):
    """``cli.main`` with the switch sub-command added (the lead wires it in for real)."""
    build = cli.build_parser

    def with_switch():
        parser = build()
        subparsers = next(a for a in parser._actions if hasattr(a, "add_parser"))
        if "switch" not in subparsers.choices:
            add_switch_parser(subparsers)
        return parser

    monkeypatch.setattr(cli, "build_parser", with_switch)
    return cli.main


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_cli_report_prints_all_tables(switch_main, capsys, name):
    assert switch_main(["switch", "report", name]) == 0
    out = capsys.readouterr().out
    for title in ("Hierarchy", "energy per bit", "Validation", "Assembly yield", "Reliability"):
        assert title in out


def test_cli_report_with_yield_run(switch_main, capsys, tmp_path, write_summary):
    run = write_summary(tmp_path / "run")
    plot = tmp_path / "tornado.png"
    argv = ["switch", "report", "quantum-x-photonics", "--yield-run", str(run), "--plot", str(plot)]
    assert switch_main(argv) == 0
    out = capsys.readouterr().out
    assert "0.9500 [0.9400, 0.9600] over 5000 engines" in out
    assert "15.00 mW (1 heated ring(s) per lane)" in out
    assert "16 dBm split 4 ways" in out
    assert "calibrated, not a check" in out and "lane availability" in out
    assert plot.stat().st_size > 10_000


def test_cli_report_refuses_a_run_of_another_kind_of_lane(
    switch_main, capsys, tmp_path, write_summary
):
    run = write_summary(tmp_path / "wdm", wavelengths_per_fiber=8, heated_rings_per_lane=2)
    assert switch_main(["switch", "report", "quantum-x-photonics", "--yield-run", str(run)]) == 2
    err = capsys.readouterr().err
    assert "wavelengths_per_fiber = 8" in err and "'wdm-8x200g'" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["switch", "report", "nope"], "name = 'nope' is not allowed"),
        (["switch", "report", "quantum-x-photonics", "--yield-run", "missing"], "does not exist"),
        (["switch", "report", "quantum-x-photonics", "--yield-run", "{bad}"], "lacks key"),
    ],
)
def test_cli_errors_are_one_line_and_status_2(switch_main, capsys, tmp_path, argv, message):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "summary.json").write_text(json.dumps({"engine_yield": 0.9}))
    argv = [str(bad) if a == "{bad}" else str(tmp_path / a) if a == "missing" else a for a in argv]
    assert switch_main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.strip().count("\n") == 0


def test_heater_power_from_a_yield_run_enters_the_power(tmp_path, write_summary):
    from cposim.photonics.switch.assembly import read_yield_run

    base = preset("quantum-x-photonics")
    summary = read_yield_run(write_summary(tmp_path / "r", mean_heater_power_per_lane_w=0.05))
    updated = base.with_yield_run(summary)
    assert updated.electrical.heater_power_per_ring_w == 0.05  # DR: one heated ring per lane
    assert updated.power_breakdown().component_w("heater") == pytest.approx(
        0.05 * base.n_lanes, rel=1e-12
    )
    assert updated.laser.output_power_dbm == 16.0 and updated.laser.lanes_per_laser == 4
    assert np.isfinite(updated.energy_per_bit_j())
