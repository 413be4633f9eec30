"""Model against published claims: CPO vs pluggable power, lasers, resiliency.

Published claims appear only here, beside what the model computes bottom-up from its
components. A claim is a band ``[low, high]`` and a relative tolerance: bands quoted as a range
are checked as they stand (tolerance 0), approximate figures ("≈ 9 W", "10×") within ±20 %, and
whole-switch figures that include more than the optical I/O are shown for context only (no
verdict). A row whose claim an input was taken from or chosen against is marked *calibrated*:
its agreement is shown as "calibrated, not a check", because it could not have disagreed.
"""

from __future__ import annotations

from dataclasses import dataclass

APPROXIMATE = 0.2
"""Relative tolerance applied to approximate published figures ("≈ 9 W", "10×")."""


@dataclass(frozen=True, kw_only=True)
class ValidationRow:
    """One model quantity beside its published claim.

    Parameters
    ----------
    quantity : str
        What is compared.
    unit : str
        Unit of ``model``, ``claim_low`` and ``claim_high`` (e.g. "W", "ratio").
    model : float
        Value computed by the model, in ``unit``.
    claim_low, claim_high : float
        Published band, in ``unit`` (equal for a single figure).
    tolerance : float or None
        Relative tolerance around the band for the verdict (fraction); None: context only.
    source : str
        Where the claim comes from.
    calibrated : str
        Empty for a check; else which input was taken from, or chosen against, this claim
        (the row is then no check of the model).
    """

    quantity: str
    unit: str
    model: float
    claim_low: float
    claim_high: float
    tolerance: float | None
    source: str
    calibrated: str = ""

    @property
    def verdict(self) -> str:
        """``"yes"`` or ``"NO"`` for a check, ``"calibrated, not a check"`` or ``"context"``."""
        if self.calibrated:
            return "calibrated, not a check"
        return {None: "context", True: "yes", False: "NO"}[self.agrees]

    @property
    def agrees(self) -> bool | None:
        """Whether the model lies in the band widened by the tolerance (None: context only or
        calibrated)."""
        if self.tolerance is None or self.calibrated:
            return None
        low = self.claim_low * (1.0 - self.tolerance) * (1.0 - 1e-12)
        high = self.claim_high * (1.0 + self.tolerance) * (1.0 + 1e-12)
        return bool(low <= self.model <= high)


@dataclass(frozen=True, kw_only=True)
class ValidationTable:
    """The validation table of a co-packaged switch against its pluggable equivalent.

    Parameters
    ----------
    cpo_name, pluggable_name : str
        Names of the two switches compared.
    rows : tuple of ValidationRow
        The comparisons.
    """

    cpo_name: str
    pluggable_name: str
    rows: tuple

    def row(self, quantity: str) -> ValidationRow:
        """The row of one quantity.

        Parameters
        ----------
        quantity : str
            The row's ``quantity``.
        """
        for row in self.rows:
            if row.quantity == quantity:
                return row
        raise ValueError(
            f"quantity = {quantity!r} is not in the table; choose one of "
            f"{', '.join(r.quantity for r in self.rows)}"
        )

    def to_dataframe(self):
        """One row per comparison: quantity, unit, model, claim band, tolerance, verdict,
        source, and what was calibrated on it."""
        import pandas as pd

        return pd.DataFrame(
            {
                "quantity": [r.quantity for r in self.rows],
                "unit": [r.unit for r in self.rows],
                "model": [r.model for r in self.rows],
                "claim": [_claim_text(r) for r in self.rows],
                "agrees": [r.verdict for r in self.rows],
                "source": [r.source for r in self.rows],
                "calibrated": [r.calibrated for r in self.rows],
            }
        )

    def plot(self, ax=None):
        """Model over claim (1 = the claim's centre) for each compared row, with the band and
        tolerance as an error bar; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.switch import plot

        return plot.validation(self, ax)


def _claim_text(row: ValidationRow) -> str:
    band = (
        f"{row.claim_low:g}"
        if row.claim_low == row.claim_high
        else f"{row.claim_low:g}–{row.claim_high:g}"
    )
    if row.tolerance:
        band += f" (±{row.tolerance:.0%})"
    return band


def validation_table(cpo, pluggable=None) -> ValidationTable:
    """Compare a co-packaged switch and its pluggable equivalent with the published claims.

    Parameters
    ----------
    cpo : cposim.photonics.switch.model.Switch
        The co-packaged switch.
    pluggable : cposim.photonics.switch.model.Switch, optional
        The pluggable reference; :func:`cposim.photonics.switch.model.pluggable_equivalent` of
        ``cpo`` when omitted.
    """
    from cposim.photonics.switch.model import pluggable_equivalent

    if pluggable is None:
        pluggable = pluggable_equivalent(cpo)
    cpo_power = cpo.power_breakdown()
    plug_power = pluggable.power_breakdown()
    cpo_port_w = cpo_power.power_for_bandwidth_w(1.6e12)
    plug_port_w = plug_power.power_for_bandwidth_w(1.6e12)
    cpo_reliability, plug_reliability = cpo.reliability(), pluggable.reliability()
    cpo_events = cpo_reliability.link_down_events_per_year
    plug_events = plug_reliability.link_down_events_per_year
    pluggable_calibration = (
        "the pluggable preset's DSP (6 pJ/bit), driver and housekeeping were chosen against "
        "the ≈ 25 W module"
    )
    laser_calibration = (
        "lanes_per_laser = 4 was inferred from the same claim (144 lasers for 576 lanes)"
    )
    rows = (
        ValidationRow(
            quantity="pluggable / CPO power per 1.6T port",
            unit="ratio",
            model=plug_port_w / cpo_port_w,
            claim_low=3.0,
            claim_high=3.5,
            tolerance=0.0,
            source="30 W → 9 W (notebookcheck; LightCounting), 3.5× (TechInsights), "
            "70 % less (Broadcom Davisson)",
            calibrated=pluggable_calibration,
        ),
        ValidationRow(
            quantity="CPO power per 1.6T port",
            unit="W",
            model=cpo_port_w,
            claim_low=9.0,
            claim_high=9.0,
            tolerance=APPROXIMATE,
            source="notebookcheck; LightCounting",
        ),
        ValidationRow(
            quantity="pluggable power per 1.6T port",
            unit="W",
            model=plug_port_w,
            claim_low=30.0,
            claim_high=30.0,
            tolerance=APPROXIMATE,
            source="notebookcheck; LightCounting",
            calibrated=pluggable_calibration,
        ),
        ValidationRow(
            quantity="pluggable module without host SerDes",
            unit="W",
            model=plug_power.engine_power_w * 1.6e12 / pluggable.engine.bandwidth_bps,
            claim_low=25.0,
            claim_high=25.0,
            tolerance=APPROXIMATE,
            source="Lambda blog: 72 transceivers × 25 W",
            calibrated=pluggable_calibration,
        ),
        ValidationRow(
            quantity="pluggable / CPO lasers",
            unit="ratio",
            model=pluggable.n_lasers / cpo.n_lasers,
            claim_low=4.0,
            claim_high=4.0,
            tolerance=0.0,
            source="NVIDIA developer blog: 4× fewer lasers",
            calibrated=laser_calibration,
        ),
        ValidationRow(
            quantity="lasers removed per switch",
            unit="count",
            model=float(pluggable.n_lasers - cpo.n_lasers),
            claim_low=432.0 * cpo.total_bandwidth_bps / 115.2e12,
            claim_high=432.0 * cpo.total_bandwidth_bps / 115.2e12,
            tolerance=0.0,
            source="Forbes / NVIDIA: 432 lasers removed per 115.2 Tb/s (scaled to bandwidth)",
            calibrated=laser_calibration,
        ),
        ValidationRow(
            quantity="pluggable / CPO link-down events",
            unit="ratio",
            model=plug_events / cpo_events,
            claim_low=10.0,
            claim_high=10.0,
            tolerance=APPROXIMATE,
            source="10× resiliency (TechInsights; Forbes), read as link-down events per "
            "switch-year: the claim does not define resiliency",
        ),
        ValidationRow(
            quantity="pluggable / CPO lane-hours lost",
            unit="ratio",
            model=plug_reliability.lane_down_hours_per_year
            / cpo_reliability.lane_down_hours_per_year,
            claim_low=10.0,
            claim_high=10.0,
            tolerance=None,
            source="10× resiliency read as availability (lane-hours lost per switch-year, "
            "repair and swap times included); context: the claim does not define it",
        ),
        ValidationRow(
            quantity="optics power saved per switch",
            unit="kW",
            model=(plug_power.total_w - cpo_power.total_w) / 1e3,
            claim_low=(7.0 - 3.95) * cpo.total_bandwidth_bps / 115.2e12,
            claim_high=(7.0 - 3.95) * cpo.total_bandwidth_bps / 115.2e12,
            tolerance=None,
            source="Lambda blog: whole switch 7.0 → 3.95 kW (includes cooling; context only)",
        ),
    )
    return ValidationTable(cpo_name=cpo.name, pluggable_name=pluggable.name, rows=rows)


__all__ = [
    "APPROXIMATE",
    "ValidationRow",
    "ValidationTable",
    "validation_table",
]
