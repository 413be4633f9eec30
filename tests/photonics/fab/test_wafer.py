"""Wafer geometry: die grid inside the usable area, ring-bank layout, input errors."""

import numpy as np
import pytest

from cposim.photonics.fab.wafer import DieLayout, Wafer, WaferLayout


def corners(layout):
    x0, y0 = layout.die_x_m, layout.die_y_m
    x1, y1 = x0 + layout.die.width_m, y0 + layout.die.height_m
    return [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]


@pytest.mark.parametrize("offset", [(0.0, 0.0), (1.3e-3, -2.2e-3)])
def test_dies_inside_usable_area_and_grid_is_maximal(offset):
    layout = WaferLayout(grid_offset_x_m=offset[0], grid_offset_y_m=offset[1])
    radius = layout.wafer.usable_radius_m
    for x, y in corners(layout):
        assert np.all(np.hypot(x, y) <= radius * (1 + 1e-12))
    # Brute force over every grid cell: exactly the fitting cells are dies.
    index = np.arange(-40, 40)
    left = index[:, None] * layout.pitch_x_m + offset[0] + layout.street_m / 2 + 0 * index
    bottom = index[None, :] * layout.pitch_y_m + offset[1] + layout.street_m / 2 + 0 * index
    far_x = np.maximum(abs(left), abs(left + layout.die.width_m))
    far_y = np.maximum(abs(bottom), abs(bottom + layout.die.height_m))
    assert layout.n_dies == int((far_x**2 + far_y**2 <= radius**2).sum())
    # Dies do not overlap: distinct (row, column) and pitch-aligned positions.
    cells = set(zip(layout.die_row.tolist(), layout.die_column.tolist(), strict=True))
    assert len(cells) == layout.n_dies
    np.testing.assert_allclose(
        layout.die_x_m - layout.die_x_m.min(), layout.die_column * layout.pitch_x_m, atol=1e-12
    )


def test_die_count_close_to_area_ratio():
    layout = WaferLayout()
    area_ratio = np.pi * layout.wafer.usable_radius_m**2 / (layout.pitch_x_m * layout.pitch_y_m)
    # Whole dies lose a rim about one die diagonal wide: count between 85 % and 100 % of ratio.
    assert 0.85 * area_ratio < layout.n_dies < area_ratio


def test_ring_bank_layout():
    die = DieLayout.ring_banks(
        rings_per_bank=8, banks_per_engine=3, engines_x=2, engines_y=1, ring_pitch_m=30e-6
    )
    assert die.n_rings == 48
    assert np.array_equal(np.bincount(die.bank), np.full(6, 8))
    assert np.array_equal(np.unique(die.engine), [0, 1])
    first_bank = die.bank == 0
    np.testing.assert_allclose(np.diff(die.ring_x_m[first_bank]), 30e-6, rtol=1e-9)
    assert np.array_equal(die.ring[first_bank], np.arange(8))
    assert np.ptp(die.ring_y_m[first_bank]) == 0.0


def test_absolute_ring_positions():
    layout = WaferLayout()
    assert layout.ring_x_m.shape == (layout.n_dies, 128)
    np.testing.assert_array_equal(layout.ring_x_m[5], layout.die_x_m[5] + layout.die.ring_x_m)
    np.testing.assert_array_equal(layout.ring_y_m[7], layout.die_y_m[7] + layout.die.ring_y_m)
    assert np.all(np.hypot(layout.ring_x_m, layout.ring_y_m) < layout.wafer.usable_radius_m)


def test_errors_name_the_field():
    with pytest.raises(ValueError, match="diameter_m"):
        Wafer(diameter_m=-0.3)
    with pytest.raises(ValueError, match="edge_exclusion_m"):
        Wafer(diameter_m=0.1, edge_exclusion_m=0.05)
    with pytest.raises(ValueError, match=r"die\.width_m"):
        WaferLayout(
            wafer=Wafer(diameter_m=0.05),
            die=DieLayout.ring_banks(
                width_m=0.06, height_m=0.06, engine_pitch_x_m=0.02, engine_pitch_y_m=0.02
            ),
        )
    with pytest.raises(ValueError, match="ring_x_m"):
        DieLayout(
            width_m=1e-3,
            height_m=1e-3,
            ring_x_m=[0.5e-3, 1.5e-3],
            ring_y_m=[0.5e-3, 0.5e-3],
            engine=[0, 0],
            bank=[0, 0],
            ring=[0, 1],
        )
    with pytest.raises(ValueError, match="ring_y_m"):
        DieLayout(
            width_m=1e-3,
            height_m=1e-3,
            ring_x_m=[0.5e-3],
            ring_y_m=[-1e-6],
            engine=[0],
            bank=[0],
            ring=[0],
        )
    with pytest.raises(ValueError, match="ring_x_m"):
        # a bank wider than the die puts rings outside it
        DieLayout.ring_banks(width_m=1e-3, rings_per_bank=64, ring_pitch_m=25e-6)
    with pytest.raises(ValueError, match="rings_per_bank"):
        DieLayout.ring_banks(rings_per_bank=0)
    with pytest.raises(ValueError, match="bank"):
        DieLayout(
            width_m=1e-3,
            height_m=1e-3,
            ring_x_m=[0.5e-3],
            ring_y_m=[0.5e-3],
            engine=[0],
            bank=[0.5],
            ring=[0],
        )
    with pytest.raises(ValueError, match="street_m"):
        WaferLayout(street_m=-1e-6)


def test_plot_returns_axes():
    ax = WaferLayout(die=DieLayout.ring_banks(width_m=20e-3, height_m=20e-3)).plot()
    assert ax.get_xlabel() == "x (mm)"
