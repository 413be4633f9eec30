"""Killer defects: closed-form yields, critical areas by hand, the clustered sampler against
the negative-binomial yield."""

import numpy as np
import pytest
from scipy import stats

from cposim.photonics.devices.ring import Ring
from cposim.photonics.fab import (
    CriticalAreas,
    DefectDensities,
    Wafer,
    WaferLayout,
    defect_yield,
    sample_defects,
)  # fmt: skip
from cposim.photonics.fab.wafer import DieLayout


def test_closed_forms_and_their_limits():
    lam = np.array([0.0, 0.1, 1.0, 3.0])
    area = lam / 1e3  # with D0 = 1000 /m²
    np.testing.assert_allclose(defect_yield(area, 1e3, model="poisson"), np.exp(-lam))
    murphy = defect_yield(area, 1e3, model="murphy")
    np.testing.assert_allclose(murphy[1:], ((1 - np.exp(-lam[1:])) / lam[1:]) ** 2, rtol=1e-14)
    assert murphy[0] == 1.0
    np.testing.assert_allclose(defect_yield(area, 1e3, clustering=2.0), (1 + lam / 2) ** -2.0)
    # α → ∞ is Poisson; clustering raises the yield at the same mean density
    np.testing.assert_allclose(defect_yield(area, 1e3, clustering=1e7), np.exp(-lam), rtol=1e-6)
    y = [defect_yield(1e-3, 1e3, model=m) for m in ("poisson", "murphy", "negative-binomial")]
    assert y[0] < y[1] < y[2]


def test_critical_areas_of_the_default_ring_by_hand():
    ring = Ring()  # R = 3.6 µm: round trip 2π·3.6 µm = 22.619 µm
    areas = CriticalAreas.ring_device(ring)
    length = 2 * np.pi * 3.6e-6
    assert areas.waveguide_m2 == pytest.approx(length * 400e-9, rel=1e-12)
    assert areas.heater_m2 == pytest.approx(length * 1.5e-6, rel=1e-12)
    assert areas.junction_m2 == pytest.approx(length * 400e-9, rel=1e-12)
    assert CriticalAreas.ring_device(ring, doped=False).junction_m2 == 0.0
    np.testing.assert_allclose(CriticalAreas.photodiode().per_layer_m2, [0, 0, 0, 200e-12])


def _layout():
    die = DieLayout.ring_banks(width_m=2e-3, height_m=2e-3, engines_x=1, engines_y=1,
                               banks_per_engine=1, rings_per_bank=1)  # fmt: skip
    return WaferLayout(wafer=Wafer(diameter_m=0.3), die=die)


@pytest.mark.parametrize("alpha", [0.5, 2.0, 1e6])
def test_sampled_yield_is_the_negative_binomial_closed_form(alpha):
    """One device per die, each die its own cluster cell: the fraction of live devices lies in
    the 99.9 % binomial interval of (1 + λ/α)^-α (α = 1e6: Poisson)."""
    layout = _layout()
    densities = DefectDensities(waveguide_per_m2=1e9, heater_per_m2=0.0, junction_per_m2=0.0,
                                photodiode_per_m2=0.0, clustering=alpha,
                                cluster_size_m=1e-4)  # fmt: skip
    areas = [CriticalAreas(waveguide_m2=0.7e-9)]  # λ = 0.7
    rng = np.random.default_rng(11)
    alive = np.concatenate([~sample_defects(layout, areas, densities, rng=rng).killed[:, 0]
                            for _ in range(3)])  # fmt: skip
    expected = float(defect_yield(0.7e-9, 1e9, clustering=alpha))
    low, high = stats.binom.interval(0.999, alive.size, expected)
    assert low <= alive.sum() <= high, (alive.mean(), expected)


def test_clusters_are_shared_by_neighbouring_dies_and_layers_are_attributed():
    layout = _layout()
    areas = [CriticalAreas(heater_m2=1e-9), CriticalAreas.photodiode(area_m2=1e-9)]
    dense = DefectDensities(heater_per_m2=1e9, photodiode_per_m2=1e9, cluster_size_m=30e-3)
    sample = sample_defects(layout, areas, dense, rng=np.random.default_rng(2))
    g = sample.multiplier
    grid = {(c, r): v for c, r, v in zip(layout.die_column, layout.die_row, g, strict=True)}
    pairs = [(v, grid[(c + 1, r)]) for (c, r), v in grid.items() if (c + 1, r) in grid]
    assert np.corrcoef(np.array(pairs).T)[0, 1] > 0.5  # neighbours share their cell's density
    # killing_layer names the layer: device 0 only has heater area, device 1 only photodiode
    layer = sample.killing_layer
    assert set(np.unique(layer[:, 0])) <= {-1, 1} and set(np.unique(layer[:, 1])) <= {-1, 3}
    assert (layer[:, 0] == 1).any() and (layer[:, 1] == 3).any()
    np.testing.assert_array_equal(sample.killed, layer >= 0)


def test_clear_errors():
    with pytest.raises(ValueError, match="model"):
        defect_yield(1e-9, 1.0, model="seeds")
    with pytest.raises(ValueError, match="clustering"):
        DefectDensities(clustering=0.0)
    with pytest.raises(ValueError, match="heater_per_m2"):
        DefectDensities(heater_per_m2=-1.0)
