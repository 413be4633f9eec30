"""Optical I/O power of a switch: the parts beyond one lane's optics, and the itemised result.

:class:`cposim.photonics.link.energy.ElectricalPowerParameters` gives one lane's laser, heater,
modulator driver, receiver and host SerDes power. A switch's optical I/O also spends power on a
pluggable module's DSP (with its host-side retimer), on each lane's housekeeping electronics
(lock loops, monitor ADCs, heater DACs, bias, clocks, the module's microcontroller) and in the
voltage regulators that feed all of it. :class:`OpticsOverheadParameters` holds those;
:class:`PowerBreakdown` is the itemised switch power that
:meth:`cposim.photonics.switch.model.Switch.power_breakdown` returns, and :class:`PowerComparison`
sets several of them side by side in pJ/bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_range

COMPONENTS = (
    "laser",
    "heater",
    "modulator_driver",
    "receiver",
    "serdes",
    "dsp",
    "control",
    "power_delivery_loss",
)
"""Power components of the optical I/O in display order: the five of
:class:`cposim.photonics.link.energy.LanePower`, then the DSP, housekeeping control and regulator
loss."""


@dataclass(frozen=True, kw_only=True)
class OpticsOverheadParameters:
    """Optical I/O power beyond the lane optics of :mod:`cposim.photonics.link.energy`.

    Parameters
    ----------
    dsp_energy_j_per_bit : float
        PAM4 DSP energy including its host-side SerDes (the retimer), joules per bit (≥ 0).
        Default 0: co-packaged engines drive the rings linearly from the switch SerDes, without
        a DSP (assumption for first-generation NVIDIA CPO, whose electronic IC sits directly on
        the photonic IC in TSMC's COUPE stack, NVIDIA developer blog 2025). The pluggable
        preset sets 6e-12.
    control_power_per_lane_w : float
        Housekeeping electronics per lane (lock loops, monitor ADCs, heater DACs, bias, clock
        distribution, the module's microcontroller share), watts (≥ 0). Default 0.1
        (assumption: ≈ 0.8 W per 8-lane engine).
    power_delivery_efficiency : float
        Efficiency of the voltage regulators feeding the optics and SerDes (0 < η ≤ 1).
        Default 0.85 (assumption: point-of-load conversion from the board rail at 85-90 %).
    """

    dsp_energy_j_per_bit: float = 0.0
    control_power_per_lane_w: float = 0.1
    power_delivery_efficiency: float = 0.85

    def __post_init__(self):
        check_range("dsp_energy_j_per_bit", self.dsp_energy_j_per_bit, low=0.0, high=1e-9)
        check_range("control_power_per_lane_w", self.control_power_per_lane_w, low=0.0, high=100.0)
        check_range(
            "power_delivery_efficiency",
            self.power_delivery_efficiency,
            low=0.0,
            high=1.0,
            low_inclusive=False,
        )


@dataclass(frozen=True, kw_only=True)
class PowerBreakdown:
    """Electrical power of a switch's optical I/O by component.

    Parameters
    ----------
    switch_name : str
        Name of the switch.
    lane_power_w : ndarray
        Power per lane of each component of :data:`COMPONENTS` (same order), watts.
    n_lanes : int
        Lanes in the switch.
    lanes_per_engine : int
        Lanes per optical engine or pluggable module.
    lane_rate_bps : float
        Bit rate of one lane, bit/s.
    """

    switch_name: str
    lane_power_w: np.ndarray
    n_lanes: int
    lanes_per_engine: int
    lane_rate_bps: float

    COMPONENTS = COMPONENTS
    """Component names in display order."""

    def component_w(self, name: str) -> float:
        """Switch total of one component (see :attr:`COMPONENTS`), watts.

        Parameters
        ----------
        name : str
            Component name.
        """
        if name not in COMPONENTS:
            raise ValueError(
                f"name = {name!r} is not a component; choose one of {', '.join(COMPONENTS)}"
            )
        return float(self.lane_power_w[COMPONENTS.index(name)]) * self.n_lanes

    @property
    def total_w(self) -> float:
        """Total optical I/O power of the switch, watts."""
        return float(np.sum(self.lane_power_w)) * self.n_lanes

    @property
    def energy_per_bit_j(self) -> float:
        """Optical I/O energy per bit, joules (total power over total lane bandwidth)."""
        return float(np.sum(self.lane_power_w)) / self.lane_rate_bps

    def power_for_bandwidth_w(self, bandwidth_bps: float = 1.6e12) -> float:
        """Optical I/O power attributable to ``bandwidth_bps`` of ports, watts.

        Parameters
        ----------
        bandwidth_bps : float
            Port bandwidth, bit/s (> 0). Default 1.6e12: one 1.6 Tb/s port, the unit of the
            published per-port comparison (notebookcheck; LightCounting).
        """
        bandwidth = float(check_range("bandwidth_bps", bandwidth_bps, low=0.0, low_inclusive=False))
        return self.energy_per_bit_j * bandwidth

    @property
    def engine_power_w(self) -> float:
        """Power of one engine or pluggable module with its lasers, without the host SerDes
        (its share of the regulator loss included), watts."""
        serdes = self.lane_power_w[COMPONENTS.index("serdes")]
        loss = self.lane_power_w[COMPONENTS.index("power_delivery_loss")]
        consumed = np.sum(self.lane_power_w) - loss
        module = (consumed - serdes) * (1.0 + loss / consumed)
        return float(module) * self.lanes_per_engine

    def to_dataframe(self):
        """One row per component: ``component``, ``power_per_lane_w``, ``power_w`` (switch),
        ``energy_per_bit_j`` and ``share`` (fraction of the total)."""
        import pandas as pd

        lane = np.asarray(self.lane_power_w, dtype=np.float64)
        return pd.DataFrame(
            {
                "component": list(COMPONENTS),
                "power_per_lane_w": lane,
                "power_w": lane * self.n_lanes,
                "energy_per_bit_j": lane / self.lane_rate_bps,
                "share": lane / lane.sum(),
            }
        )

    def plot(self, ax=None):
        """Bar chart of energy per bit by component in pJ/bit; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.switch import plot

        return plot.power_breakdown(self, ax)


@dataclass(frozen=True, kw_only=True)
class PowerComparison:
    """Several switches' power breakdowns side by side.

    Parameters
    ----------
    breakdowns : tuple of PowerBreakdown
        One breakdown per switch (≥ 1).
    """

    breakdowns: tuple

    def __post_init__(self):
        if not self.breakdowns or not all(isinstance(b, PowerBreakdown) for b in self.breakdowns):
            raise ValueError("breakdowns must be a non-empty tuple of PowerBreakdown")

    def to_dataframe(self):
        """Energy per bit, joules, with one row per component and one column per switch."""
        import pandas as pd

        return pd.DataFrame(
            {b.switch_name: np.asarray(b.lane_power_w) / b.lane_rate_bps for b in self.breakdowns},
            index=pd.Index(COMPONENTS, name="component"),
        )

    def plot(self, ax=None):
        """Stacked bars of energy per bit (pJ/bit) by component, one bar per switch; returns
        the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.switch import plot

        return plot.power_comparison(self, ax)


__all__ = [
    "COMPONENTS",
    "OpticsOverheadParameters",
    "PowerBreakdown",
    "PowerComparison",
]
