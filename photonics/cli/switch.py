"""``cposim switch report PRESET [--yield-run DIR] [--plot FILE]``: print a switch's tables.

The tables of :func:`cposim.photonics.switch.report.switch_report`: where each chain input came
from, hierarchy counts, optical I/O power by component beside the pluggable equivalent with
the ratio's sensitivity band, the validation table against published claims, assembly yield
(from a yield run's ``summary.json`` when given) with its cost per good switch, and
reliability with availability. Bad input
raises ValueError or FileNotFoundError, which ``cposim.photonics.cli.main.main()`` prints as one
line with exit status 2.
"""

from __future__ import annotations

from pathlib import Path


def _section(title: str, table) -> None:
    print(f"\n{title}")
    print(table.to_string(index=False) if hasattr(table, "to_string") else table)


def _sensitivity_section(sensitivity) -> None:
    low, high = sensitivity.band
    table = sensitivity.to_dataframe()[["input", "value_low", "value_high", "ratio_low"]]
    table = table.assign(ratio_high=sensitivity.to_dataframe()["ratio_high"])
    _section(
        f"{sensitivity.quantity}: {sensitivity.nominal:.2f}, {low:.2f}-{high:.2f} over one input "
        "at a time",
        table.to_string(index=False, float_format=lambda v: f"{v:.4g}"),
    )


def _report(args) -> int:
    import pandas as pd

    from cposim.photonics.switch.model import preset
    from cposim.photonics.switch.report import switch_report

    report = switch_report(preset(args.preset), yield_run=args.yield_run)
    cpo, pluggable = report.cpo, report.pluggable
    print(f"Switch report: {report.switch_name}")
    _section("Where the inputs came from", report.sources_table())
    reported = cpo if report.switch_name == cpo.name else pluggable
    counts = reported.counts()
    _section(
        "Hierarchy (derived counts)",
        pd.DataFrame({"quantity": list(counts), "value": [f"{v:g}" for v in counts.values()]}),
    )
    _section(
        "Optical I/O energy per bit by component (pJ/bit)",
        report.power_table().reset_index().round(3),
    )
    totals = pd.DataFrame(
        {
            "optical I/O power (W)": [cpo.optics_power_w(), pluggable.optics_power_w()],
            "per 1.6T port (W)": [
                cpo.power_breakdown().power_for_bandwidth_w(),
                pluggable.power_breakdown().power_for_bandwidth_w(),
            ],
        },
        index=[cpo.name, pluggable.name],
    ).T
    _section("Optical I/O power", totals.reset_index(names="quantity").round(2))
    _sensitivity_section(report.power_sensitivity)

    table = report.validation.to_dataframe().drop(columns="calibrated")
    table["model"] = table["model"].map(lambda v: f"{v:.3g}")
    _section("Validation against published claims (claims are never inputs)", table)
    for row in report.validation.rows:
        if row.calibrated:
            print(f"  calibrated: {row.quantity}: {row.calibrated}")

    _section(
        f"Assembly yield of {report.switch_name} ({report.sources['engine yield']})",
        report.assembly_table().round(4),
    )
    costs = report.cost_table()
    money = {name: "{:,.0f}".format for name in costs.columns[2:]}
    _section(
        f"Cost per good switch of {report.switch_name} ({report.cost.currency}; "
        f"{report.sources['costs']})",
        costs.to_string(index=False, formatters={"engine_yield": "{:.4f}".format, **money}),
    )
    for each in (cpo, pluggable):
        reliability = each.reliability()
        _section(
            f"Reliability of {each.name}: {reliability.link_down_events_per_year:.4f} link-down "
            f"events, {reliability.lane_down_hours_per_year:.2f} lane-hours and "
            f"{reliability.port_down_hours_per_year:.2f} port-hours lost per switch-year "
            f"(lane availability {reliability.lane_availability:.6f}, port "
            f"{reliability.port_availability:.6f})",
            reliability.to_dataframe().round(4),
        )
    _sensitivity_section(report.reliability_sensitivity)
    if args.plot is not None:
        import matplotlib.pyplot as plt

        ax = report.plot()
        ax.figure.savefig(args.plot, dpi=120, bbox_inches="tight")
        plt.close(ax.figure)
        print(f"\nwrote {args.plot}")
    return 0


def add_switch_parser(subparsers) -> None:
    """Add the ``switch`` sub-command (``switch report PRESET [--yield-run DIR]``).

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The sub-parsers object of the ``cposim`` parser.
    """
    from cposim.photonics.switch.model import PRESET_NAMES

    switch = subparsers.add_parser("switch", help="switch-level model (CPO vs pluggables)")
    switch_sub = switch.add_subparsers(dest="switch_command", required=True)
    report = switch_sub.add_parser(
        "report", help="print hierarchy, power, validation, yield and reliability tables"
    )
    report.add_argument("preset", help=f"one of {', '.join(PRESET_NAMES)}")
    report.add_argument(
        "--yield-run",
        type=Path,
        default=None,
        metavar="DIR",
        help="yield run directory (of the switch's kind of lane) whose summary.json gives the "
        "engine yield, heater power, laser line and lane energies",
    )
    report.add_argument(
        "--plot",
        type=Path,
        default=None,
        metavar="FILE",
        help="also save the power ratio's tornado plot to FILE (PNG)",
    )
    report.set_defaults(handler=_report)


__all__ = [
    "add_switch_parser",
]
