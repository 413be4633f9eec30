"""How far a CPO-vs-pluggable ratio moves with each uncertain input (a tornado).

Most component energies and failure-rate inputs behind the switch comparison are ranges in
the literature or assumptions, so one ratio alone overstates what the model knows.
:func:`ratio_sensitivity` moves one input at a time to the ends of its range, with everything
else at its nominal value, and records a ratio of the two switches (by default the pluggable /
CPO power per 1.6 Tb/s port, :func:`port_power_ratio`; :func:`link_down_ratio` for the
reliability inputs of :data:`RELIABILITY_INPUTS`) at both ends; the spread of all the bars is
the band the report prints beside the nominal ratio. Ranges are relative to the
switch's own nominal value (``scale``) or added to it (``offset``), so a nominal value taken
from a yield run keeps its run-derived centre.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_choice

SIDES = ("cpo", "pluggable", "both")
"""Which switch of the comparison an input belongs to (``both``: the same input of each)."""

KINDS = ("scale", "offset")
"""How an input's range applies to its nominal value: multiplied, or added."""


@dataclass(frozen=True, kw_only=True)
class UncertainInput:
    """One input of the switch model with the range it may take.

    Parameters
    ----------
    label : str
        Name shown on the tornado's axis.
    side : {"cpo", "pluggable", "both"}
        The switch whose input it is; ``both`` moves the same input of the two switches
        together (each from its own nominal value).
    path : str
        Dotted attribute path inside :class:`~cposim.photonics.switch.model.Switch`, e.g.
        ``"electrical.laser_wall_plug_efficiency"``.
    low, high : float
        Ends of the range: factors of the nominal value (``kind="scale"``) or amounts added to
        it in the field's own unit (``kind="offset"``).
    kind : {"scale", "offset"}
        How ``low`` and ``high`` apply.
    source : str
        Where the range comes from, or "assumption".
    """

    label: str
    side: str
    path: str
    low: float
    high: float
    kind: str = "scale"
    source: str = "assumption"

    def __post_init__(self):
        check_choice("side", self.side, SIDES)
        check_choice("kind", self.kind, KINDS)
        if not self.low <= self.high:
            raise ValueError(f"low = {self.low!r} must not exceed high = {self.high!r}")

    def value(self, switch, end: float) -> float:
        """The input's value at one end of its range for ``switch``.

        Parameters
        ----------
        switch : cposim.photonics.switch.model.Switch
            The switch whose nominal value is moved.
        end : float
            ``low`` or ``high``.
        """
        nominal = float(_get(switch, self.path))
        return nominal * end if self.kind == "scale" else nominal + end

    def apply(self, switch, end: float):
        """``switch`` with this input at one end of its range.

        Parameters
        ----------
        switch : cposim.photonics.switch.model.Switch
            The switch to change (it is not modified; a changed copy is returned).
        end : float
            ``low`` or ``high``.
        """
        return _replace(switch, self.path.split("."), self.value(switch, end))


def _get(obj, path: str):
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _replace(obj, parts, value):
    if len(parts) == 1:
        return dataclasses.replace(obj, **{parts[0]: value})
    child = _replace(getattr(obj, parts[0]), parts[1:], value)
    return dataclasses.replace(obj, **{parts[0]: child})


POWER_RATIO_INPUTS = (
    UncertainInput(
        label="CPO laser wall-plug efficiency",
        side="cpo",
        path="electrical.laser_wall_plug_efficiency",
        low=0.67,
        high=2.0,
        source="assumption: 10 %-30 % around 15 %, cooled DFB arrays to uncooled quantum-dot "
        "lasers (Buyalo et al., Sci. Rep. 2024: > 30 %)",
    ),
    UncertainInput(
        label="CPO laser line power",
        side="cpo",
        path="laser.output_power_dbm",
        low=-1.5,
        high=1.5,
        kind="offset",
        source="OIF ELSFP power class tolerance, ±1.5 dB",
    ),
    UncertainInput(
        label="CPO heater power per ring",
        side="cpo",
        path="electrical.heater_power_per_ring_w",
        low=0.5,
        high=1.5,
        source="assumption: ±50 % (tuning efficiency, ambient range, fabricated spread)",
    ),
    UncertainInput(
        label="CPO modulator driver energy",
        side="cpo",
        path="electrical.modulator_driver_energy_j_per_bit",
        low=0.5,
        high=2.0,
        source="assumption: ×0.5-×2 of the nominal driver energy",
    ),
    UncertainInput(
        label="CPO receiver energy",
        side="cpo",
        path="electrical.receiver_energy_j_per_bit",
        low=0.5,
        high=2.0,
        source="assumption: ×0.5-×2 of the nominal TIA energy",
    ),
    UncertainInput(
        label="CPO SerDes energy",
        side="cpo",
        path="electrical.serdes_energy_j_per_bit_at_0_db",
        low=0.5,
        high=2.0,
        source="assumption: ×0.5-×2 of the lossless-channel SerDes energy",
    ),
    UncertainInput(
        label="CPO housekeeping per lane",
        side="cpo",
        path="overhead.control_power_per_lane_w",
        low=0.5,
        high=2.0,
        source="assumption",
    ),
    UncertainInput(
        label="pluggable DSP energy",
        side="pluggable",
        path="overhead.dsp_energy_j_per_bit",
        low=0.67,
        high=1.33,
        source="assumption: 4-8 pJ/bit around 6 pJ/bit",
    ),
    UncertainInput(
        label="pluggable SerDes energy per dB",
        side="pluggable",
        path="electrical.serdes_energy_j_per_bit_per_db",
        low=0.5,
        high=1.5,
        source="assumption",
    ),
    UncertainInput(
        label="pluggable driver energy",
        side="pluggable",
        path="electrical.modulator_driver_energy_j_per_bit",
        low=0.5,
        high=1.5,
        source="assumption",
    ),
)
"""Default uncertain inputs of the CPO-vs-pluggable power ratio, each with its range's source."""

RELIABILITY_INPUTS = (
    UncertainInput(
        label="laser activation energy (both)",
        side="both",
        path="failure_rates.laser_activation_energy_ev",
        low=0.35 / 0.4,
        high=0.7 / 0.4,
        source="assumption: 0.35-0.7 eV, the spread of activation energies used for InP laser "
        "random failures (no single measured value)",
    ),
    UncertainInput(
        label="CPO laser temperature",
        side="cpo",
        path="failure_rates.laser_temperature_k",
        low=-10.0,
        high=20.0,
        kind="offset",
        source="assumption: 35-65 °C for an external light source",
    ),
    UncertainInput(
        label="pluggable laser temperature",
        side="pluggable",
        path="failure_rates.laser_temperature_k",
        low=-20.0,
        high=5.0,
        kind="offset",
        source="assumption: 55-80 °C inside an OSFP",
    ),
    UncertainInput(
        label="CPO engine FIT",
        side="cpo",
        path="failure_rates.engine_fit",
        low=0.5,
        high=4.0,
        source="assumption: 25-200 FIT",
    ),
    UncertainInput(
        label="laser FIT at 40 °C (both)",
        side="both",
        path="failure_rates.laser_fit",
        low=0.5,
        high=2.5,
        source="assumption: 10-50 FIT",
    ),
)
"""Default uncertain inputs of the reliability comparison, each with its range's source."""


@dataclass(frozen=True, kw_only=True)
class RatioSensitivity:
    """One-at-a-time sensitivity of a ratio of the two switches.

    Parameters
    ----------
    quantity : str
        What the ratio is (axis label), e.g. "pluggable / CPO power per 1.6T port".
    nominal : float
        The ratio with every input at its nominal value.
    inputs : tuple of UncertainInput
        The inputs moved.
    values : ndarray
        Each input's value at the low and high end of its range, shape ``(n_inputs, 2)``, in
        the field's own unit (the CPO switch's for ``side="both"``).
    ratio : ndarray
        The ratio with that input at the low and high end, shape ``(n_inputs, 2)``.
    """

    quantity: str
    nominal: float
    inputs: tuple
    values: np.ndarray
    ratio: np.ndarray

    @property
    def band(self) -> tuple[float, float]:
        """Smallest and largest ratio over the nominal and all the one-at-a-time moves."""
        return (
            float(min(self.ratio.min(), self.nominal)),
            float(max(self.ratio.max(), self.nominal)),
        )

    def to_dataframe(self):
        """One row per input, widest swing first: label, side, field, values and ratios at the
        two ends, swing, source."""
        import pandas as pd

        frame = pd.DataFrame(
            {
                "input": [i.label for i in self.inputs],
                "side": [i.side for i in self.inputs],
                "field": [i.path for i in self.inputs],
                "value_low": self.values[:, 0],
                "value_high": self.values[:, 1],
                "ratio_low": self.ratio[:, 0],
                "ratio_high": self.ratio[:, 1],
                "swing": np.abs(self.ratio[:, 1] - self.ratio[:, 0]),
                "source": [i.source for i in self.inputs],
            }
        )
        return frame.sort_values("swing", ascending=False, ignore_index=True)

    def plot(self, ax=None):
        """Tornado of the ratio's swing per input around the nominal; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.switch import plot

        return plot.tornado(self, ax)


def port_power_ratio(cpo, pluggable) -> float:
    """Pluggable over CPO optical I/O power per 1.6 Tb/s of bandwidth (ratio).

    Parameters
    ----------
    cpo, pluggable : cposim.photonics.switch.model.Switch
        The two switches.
    """
    plug_w = pluggable.power_breakdown().power_for_bandwidth_w(1.6e12)
    return plug_w / cpo.power_breakdown().power_for_bandwidth_w(1.6e12)


def link_down_ratio(cpo, pluggable) -> float:
    """Pluggable over CPO link-down events per switch-year (ratio).

    Parameters
    ----------
    cpo, pluggable : cposim.photonics.switch.model.Switch
        The two switches.
    """
    plug = pluggable.reliability().link_down_events_per_year
    return plug / cpo.reliability().link_down_events_per_year


def ratio_sensitivity(
    cpo,
    pluggable,
    inputs=POWER_RATIO_INPUTS,
    *,
    ratio=port_power_ratio,
    quantity="pluggable / CPO power per 1.6T port",
) -> RatioSensitivity:
    """Move each input to both ends of its range, one at a time, and record the ratio.

    Parameters
    ----------
    cpo, pluggable : cposim.photonics.switch.model.Switch
        The co-packaged switch and its pluggable reference, at their nominal inputs.
    inputs : sequence of UncertainInput
        The inputs and ranges; default :data:`POWER_RATIO_INPUTS`.
    ratio : callable
        ``ratio(cpo, pluggable) -> float``; default :func:`port_power_ratio`.
    quantity : str
        What ``ratio`` is, for tables and plots.
    """
    inputs = tuple(inputs)
    values = np.empty((len(inputs), 2))
    ratios = np.empty((len(inputs), 2))
    for row, item in enumerate(inputs):
        for column, end in enumerate((item.low, item.high)):
            values[row, column] = item.value(pluggable if item.side == "pluggable" else cpo, end)
            moved_cpo = cpo if item.side == "pluggable" else item.apply(cpo, end)
            moved_plug = pluggable if item.side == "cpo" else item.apply(pluggable, end)
            ratios[row, column] = ratio(moved_cpo, moved_plug)
    return RatioSensitivity(
        quantity=quantity,
        nominal=ratio(cpo, pluggable),
        inputs=inputs,
        values=values,
        ratio=ratios,
    )


__all__ = [
    "KINDS",
    "POWER_RATIO_INPUTS",
    "RELIABILITY_INPUTS",
    "SIDES",
    "RatioSensitivity",
    "UncertainInput",
    "link_down_ratio",
    "port_power_ratio",
    "ratio_sensitivity",
]
