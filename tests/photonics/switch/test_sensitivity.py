"""One-at-a-time sensitivity of the CPO-vs-pluggable ratios (the report's tornado)."""

import dataclasses

import numpy as np
import pytest

from cposim.photonics.switch.model import pluggable_equivalent, preset
from cposim.photonics.switch.sensitivity import (
    POWER_RATIO_INPUTS,
    RELIABILITY_INPUTS,
    UncertainInput,
    link_down_ratio,
    port_power_ratio,
    ratio_sensitivity,
)

CPO = preset("quantum-x-photonics")
PLUG = pluggable_equivalent(CPO)


def test_each_bar_is_the_ratio_recomputed_with_that_input_moved():
    result = ratio_sensitivity(CPO, PLUG)
    assert result.nominal == port_power_ratio(CPO, PLUG)
    wpe = POWER_RATIO_INPUTS[0]
    row = 0
    assert wpe.path == "electrical.laser_wall_plug_efficiency"
    for column, end in enumerate((wpe.low, wpe.high)):
        value = CPO.electrical.laser_wall_plug_efficiency * end
        moved = dataclasses.replace(
            CPO, electrical=dataclasses.replace(CPO.electrical, laser_wall_plug_efficiency=value)
        )
        assert result.values[row, column] == pytest.approx(value, rel=1e-15)
        assert result.ratio[row, column] == pytest.approx(port_power_ratio(moved, PLUG), rel=1e-12)
    # a more efficient laser lowers CPO power: the ratio rises at the high end
    assert result.ratio[row, 1] > result.nominal > result.ratio[row, 0]
    low, high = result.band
    assert low <= result.nominal <= high
    assert low == pytest.approx(result.ratio.min()) and high == pytest.approx(result.ratio.max())


def test_offset_inputs_and_both_sides():
    power = UncertainInput(
        label="laser", side="cpo", path="laser.output_power_dbm", low=-3.0, high=3.0, kind="offset"
    )
    result = ratio_sensitivity(CPO, PLUG, [power])
    np.testing.assert_allclose(result.values[0], [17.0, 23.0])
    both = next(i for i in RELIABILITY_INPUTS if i.side == "both")
    result = ratio_sensitivity(CPO, PLUG, [both], ratio=link_down_ratio, quantity="events")
    cpo_low, plug_low = both.apply(CPO, both.low), both.apply(PLUG, both.low)
    assert result.ratio[0, 0] == pytest.approx(link_down_ratio(cpo_low, plug_low), rel=1e-12)
    # a higher activation energy widens the gap between the hot pluggable and the cooler CPO
    assert result.ratio[0, 1] > result.nominal > result.ratio[0, 0]


def test_table_and_tornado():
    result = ratio_sensitivity(CPO, PLUG)
    frame = result.to_dataframe()
    assert list(frame["swing"]) == sorted(frame["swing"], reverse=True)
    assert len(frame) == len(POWER_RATIO_INPUTS) and frame["source"].str.len().min() > 0
    ax = result.plot()
    assert len(ax.patches) == 2 * len(POWER_RATIO_INPUTS)
    assert "power per 1.6T port" in ax.get_xlabel()


def test_bad_inputs_name_the_field():
    with pytest.raises(ValueError, match="side"):
        UncertainInput(label="x", side="left", path="laser.output_power_dbm", low=0, high=1)
    with pytest.raises(ValueError, match="must not exceed"):
        UncertainInput(label="x", side="cpo", path="laser.output_power_dbm", low=2, high=1)
