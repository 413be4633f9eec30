"""Itemised link budget: the modulator's levels from its device, closed forms, waterfall."""

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cposim.photonics.devices.modulator import ModulatorOperatingPoint, RingModulator
from cposim.photonics.link.ber import DR4_SENSITIVITY_OMA_DBM, oma_w
from cposim.photonics.link.budget import evaluate_link
from cposim.photonics.link.parameters import LinkParameters
from cposim.photonics.link.wdm import ChannelGrid


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures each test draws (matplotlib warns past 20 open figures)."""
    yield
    plt.close("all")


def test_nrz_budget_er_penalty_and_oma_follow_closed_forms():
    modulator = ModulatorOperatingPoint.from_il_er(
        insertion_loss_db=3.0, extinction_ratio_db=4.0, modulation="nrz"
    )
    budget = evaluate_link(LinkParameters(modulator_datasheet=modulator))
    r = 10.0**0.4
    np.testing.assert_allclose(
        budget.value("extinction ratio penalty"), 10.0 * np.log10((r + 1.0) / (r - 1.0)), rtol=1e-9
    )
    average_w = 1e-3 * 10.0 ** (budget.value("received average power") / 10.0)
    np.testing.assert_allclose(
        budget.value("received OMA"), 10.0 * np.log10(1e3 * oma_w(average_w, 4.0)), atol=1e-9
    )


def test_thermal_limited_margin_equals_power_above_sensitivity():
    """NRZ, no RIN, no ISI (1 GBd), no crosstalk, no implementation penalty: the q margin is
    the received OMA minus the closed-form sensitivity, less the shot-noise penalty (< 0.1 dB at
    -22 dBm), and the power margin is that within the shot noise's growth."""
    dr = LinkParameters.dr_lane()
    params = dataclasses.replace(
        dr,
        modulator=dataclasses.replace(dr.modulator, modulation="nrz"),
        symbol_rate_baud=1e9,
        rin_db_per_hz=-300.0,
        laser_power_dbm=-12.0,
        laser_split_ways=1,
    )
    budget = evaluate_link(params)
    oma_dbm = budget.value("received OMA")[0]
    noise = budget.value("noise penalty")[0]
    assert 0.0 < noise < 0.1
    np.testing.assert_allclose(budget.value("isi penalty"), 0.0, atol=1e-12)
    q_margin = budget.value("q margin (= the budget above)")[0]
    assert q_margin == pytest.approx(oma_dbm - params.sensitivity_oma_dbm - noise, abs=1e-9)
    # the lane needs more light; shot noise grows with it, so a little more than the q ratio
    assert q_margin - 0.2 < budget.margin_db[0] < q_margin
    np.testing.assert_allclose(budget.value("crosstalk penalty"), 0.0, atol=1e-15)


def test_default_link_evaluates_with_itemised_waterfall():
    budget = evaluate_link()
    table = budget.to_dataframe()
    assert len(budget.channel_wavelength_m) == 8
    for item in (
        "laser output per wavelength",
        "mux pass-by",
        "modulator insertion loss",
        "demux drop",
        "crosstalk penalty",
        "residual detuning penalty",
        "implementation penalty",
        "q margin (= the budget above)",
        "optical power margin",
        "specification sensitivity (DR4 OMA)",
    ):
        assert item in set(table["item"])
    # the spec line is shown, not fitted or used
    np.testing.assert_allclose(
        budget.value("specification sensitivity (DR4 OMA)"), DR4_SENSITIVITY_OMA_DBM
    )
    respec = evaluate_link(dataclasses.replace(LinkParameters(), spec_sensitivity_oma_dbm=0.0))
    np.testing.assert_array_equal(respec.margin_db, budget.margin_db)
    # the waterfall adds up exactly
    kinds = np.array(budget.kinds)
    losses = budget.values_db[kinds == "loss"].sum(axis=0)
    np.testing.assert_allclose(
        budget.value("laser output per wavelength") - losses,
        budget.value("received average power"),
        atol=1e-9,
    )
    penalties = budget.values_db[kinds == "penalty"].sum(axis=0)
    np.testing.assert_allclose(
        budget.value("ideal OMA (2 × average power)")
        - penalties
        - budget.value("receiver sensitivity (thermal-noise OMA)"),
        budget.lanes.q_margin_db,
        atol=1e-9,
    )
    np.testing.assert_array_equal(budget.value("optical power margin"), budget.margin_db)
    np.testing.assert_allclose(
        budget.value("ideal OMA (2 × average power)") - budget.value("received average power"),
        10 * np.log10(2),
    )
    assert budget.margin_db.shape == (8,)
    assert np.all(
        (1e-12 < budget.power.energy_per_bit_j) & (budget.power.energy_per_bit_j < 10e-12)
    )
    ax = budget.plot()
    assert ax.get_ylabel() == "Power (dBm)"
    low, high = ax.get_ylim()  # every bar inside the axes, the laser bar not touching the top
    assert low < budget.value("receiver sensitivity (thermal-noise OMA)")[0]
    assert high > budget.value("laser output per wavelength")[0] + 1.0


def test_dr_link_has_no_demux_or_crosstalk():
    params = LinkParameters.dr_lane()
    assert params.grid == ChannelGrid.preset("dr")
    budget = evaluate_link(params)
    assert budget.value("demux drop")[0] == 0.0
    assert budget.value("crosstalk penalty")[0] == 0.0
    assert budget.value("laser split and excess")[0] == pytest.approx(10 * np.log10(4))
    with pytest.raises(ValueError, match="one-channel grid"):
        LinkParameters(demux=None)


def test_bad_inputs_rejected():
    with pytest.raises(ValueError, match="laser_split_ways"):
        LinkParameters(laser_split_ways=0)
    with pytest.raises(ValueError, match="fiber_connector_loss_db"):
        LinkParameters(fiber_connector_loss_db=-1.0)
    with pytest.raises(ValueError, match="target_ber"):
        LinkParameters(target_ber=0.5)
    with pytest.raises(ValueError, match=r"demux = .* must be a Ring or None"):
        LinkParameters(demux="ring")
    with pytest.raises(ValueError, match=r"modulator\.wavelength_m"):
        LinkParameters(modulator=RingModulator(wavelength_m=1311e-9))
    with pytest.raises(TypeError):
        LinkParameters(laser_power_w=1.0)  # unknown keyword
    with pytest.raises(ValueError, match="not a budget line"):
        evaluate_link().value("nonsense")


@pytest.mark.parametrize("modulation", ["nrz", "pam4"])
@pytest.mark.parametrize("link", ["dr", "wdm"])
def test_link_levels_are_the_ring_modulators(modulation, link):
    """The budget's modulator insertion loss, extinction ratio and OMA are those of a direct
    RingModulator evaluation of the same config (≤ 1e-9): the link computes them from the
    device, nothing is typed in."""
    base = LinkParameters.dr_lane() if link == "dr" else LinkParameters()
    params = dataclasses.replace(
        base, modulator=dataclasses.replace(base.modulator, modulation=modulation)
    )
    modulator = params.modulator
    levels = modulator.levels_at(bias_detuning_m=modulator.bias_m)
    budget = evaluate_link(params)
    assert params.operating_point.origin == "device"
    np.testing.assert_allclose(
        budget.value("modulator insertion loss"), levels.insertion_loss_db, rtol=0, atol=1e-9
    )
    metrics = params.operating_point.metrics()
    assert metrics["extinction_ratio_db"] == pytest.approx(levels.extinction_ratio_db, abs=1e-9)
    assert metrics["oma"] == pytest.approx(levels.oma, abs=1e-9)
    # the received OMA is the levels' swing through the lossless-lock path of this channel
    centre = params.grid.n_channels // 2
    average_w = 1e-3 * 10.0 ** (budget.value("received average power")[centre] / 10.0)
    swing = levels.transmissions[-1] - levels.transmissions[0]
    expected = average_w * swing / levels.transmissions.mean()
    assert budget.value("received OMA")[centre] == pytest.approx(
        10.0 * np.log10(1e3 * expected), abs=0.05 if link == "wdm" else 1e-9
    )
