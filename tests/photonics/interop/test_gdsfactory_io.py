"""gdsfactory in: ring settings → Ring, placements → DieLayout (and back), crosstalk."""

import numpy as np
import pytest

from cposim.photonics.devices.coupler import EvanescentCoupler
from cposim.photonics.devices.ring import Ring
from cposim.photonics.fab.wafer import DieLayout
from cposim.photonics.interop.gdsfactory_io import (
    crosstalk_from_positions,
    layout_from_placements,
    ring_from_settings,
    write_placements,
)


class Component:
    """Stands in for a gdsfactory component: only ``.settings`` is read."""

    def __init__(self):
        self.settings = {
            "radius": 5.0,
            "gap": 0.2,
            "gap_top": 0.25,
            "length_x": 0.0,
            "cross_section": "strip",
        }


def test_ring_double_settings_give_radius_and_coupler_model_kappa():
    coupler = EvanescentCoupler()
    ring = ring_from_settings(Component(), component="ring_double")
    assert ring.radius_m == pytest.approx(5e-6, rel=1e-15)
    assert ring.power_coupling_in == pytest.approx(coupler.power_coupling(0.2e-6), rel=1e-14)
    assert ring.power_coupling_drop == pytest.approx(coupler.power_coupling(0.25e-6), rel=1e-14)
    assert ring.power_coupling_in == pytest.approx(0.05, rel=1e-12)  # the coupler's reference
    # the resonance follows the radius as for any Ring: same as building it by hand
    by_hand = Ring(
        radius_m=5e-6,
        power_coupling_in=ring.power_coupling_in,
        power_coupling_drop=ring.power_coupling_drop,
    )
    assert ring.resonance_m(1300e-9) == by_hand.resonance_m(1300e-9)


def test_ring_single_is_all_pass_and_racetracks_lengthen_the_round_trip():
    ring = ring_from_settings(
        {"radius": 10.0, "gap": 0.3, "length_x": 4.0}, component="ring_single"
    )
    assert ring.is_all_pass and ring.power_coupling_drop == 0.0
    assert ring.round_trip_length_m == pytest.approx(2 * np.pi * 10e-6 + 2 * 4e-6, rel=1e-14)
    assert ring.power_coupling_in < 0.05  # a wider gap couples less
    with pytest.raises(ValueError, match="settings lack 'gap'"):
        ring_from_settings({"radius": 10.0})
    with pytest.raises(ValueError, match="component = 'ring_triple'"):
        ring_from_settings(Component(), component="ring_triple")


def test_placements_written_are_the_placements_read(tmp_path):
    layout = DieLayout.ring_banks(
        width_m=5e-3,
        height_m=5e-3,
        engines_x=1,
        engines_y=1,
        banks_per_engine=2,
        rings_per_bank=8,
        ring_pitch_m=25e-6,
        bank_pitch_m=250e-6,
        engine_pitch_x_m=1.5e-3,
        engine_pitch_y_m=1.5e-3,
    )
    path = write_placements(layout, tmp_path / "rings.csv")
    back = layout_from_placements(path, width_m=5e-3, height_m=5e-3)
    # positions travel in µm (gdsfactory's unit): equal up to the rounding of m ↔ µm
    np.testing.assert_allclose(back.ring_x_m, layout.ring_x_m, rtol=1e-15, atol=0)
    np.testing.assert_allclose(back.ring_y_m, layout.ring_y_m, rtol=1e-15, atol=0)
    for name in ("engine", "bank", "ring"):
        np.testing.assert_array_equal(getattr(back, name), getattr(layout, name))


def test_placements_from_a_netlist_take_the_ring_instances():
    netlist = {
        "instances": {
            "r1": {"component": "ring_single"},
            "r0": {"component": "ring_double"},
            "wg": {"component": "straight"},
        },
        "placements": {
            "r1": {"x": 125.0, "y": 100.0},
            "r0": {"x": 100.0, "y": 100.0},
            "wg": {"x": 0.0, "y": 0.0},
        },
    }
    layout = layout_from_placements(netlist, width_m=1e-3, height_m=1e-3)
    np.testing.assert_allclose(layout.ring_x_m, [100e-6, 125e-6], rtol=1e-15)
    with pytest.raises(ValueError, match="no ring placements"):
        layout_from_placements({"placements": {}}, width_m=1e-3, height_m=1e-3)


def test_crosstalk_from_positions():
    x = np.array([0.0, 25e-6, 50e-6, 0.0])
    y = np.array([0.0, 0.0, 0.0, 25e-6])
    matrix = crosstalk_from_positions(x, y, neighbour_crosstalk=0.1, pitch_m=25e-6)
    np.testing.assert_allclose(np.diag(matrix), 1.0)
    np.testing.assert_allclose(matrix, matrix.T)
    assert matrix[0, 1] == pytest.approx(0.1) and matrix[0, 2] == pytest.approx(0.01)
    assert matrix[1, 3] == pytest.approx(0.1 ** np.sqrt(2))
    np.testing.assert_array_equal(
        crosstalk_from_positions(x, y, neighbour_crosstalk=0.0, pitch_m=25e-6), np.eye(4)
    )
