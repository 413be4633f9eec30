"""``cposim switch report PRESET [--yield-run DIR]``: print a switch's tables.

The tables: hierarchy counts, optical I/O power by component beside the pluggable equivalent,
the validation table against published claims, assembly yield (from a yield run's
``summary.json`` when given) and reliability. Bad input raises ValueError or
FileNotFoundError, which ``cposim.photonics.cli.main.main()`` prints as one line with exit status 2.
"""

from __future__ import annotations

from pathlib import Path


def _section(title: str, table) -> None:
    print(f"\n{title}")
    print(table.to_string(index=False) if hasattr(table, "to_string") else table)


def _report(args) -> int:
    import numpy as np
    import pandas as pd

    from cposim.photonics.switch.assembly import AssemblyParameters, read_yield_run
    from cposim.photonics.switch.model import pluggable_equivalent, preset
    from cposim.photonics.switch.validation import validation_table

    switch = preset(args.preset)
    assembly = AssemblyParameters()
    yield_note = f"engine yield {assembly.engine_yield:g} (default, REFERENCE.md F)"
    interval = None
    if args.yield_run is not None:
        summary = read_yield_run(args.yield_run)
        switch = switch.with_yield_run(summary)
        scaled = summary.engine_yield_for(switch.engine.lanes)
        assembly = AssemblyParameters(engine_yield=float(scaled[0]))
        interval = AssemblyParameters(engine_yield=scaled[1:])
        yield_note = (
            f"engine yield {scaled[0]:.4f} [{scaled[1]:.4f}, {scaled[2]:.4f}] from "
            f"{summary.source} ({summary.n_engines} engines of {summary.lanes_per_engine} lanes"
            + (
                f", scaled to {switch.engine.lanes} lanes"
                if summary.lanes_per_engine != switch.engine.lanes
                else ""
            )
            + f"); mean heater {summary.mean_heater_power_per_ring_w * 1e3:.2f} mW per ring"
        )
    if switch.packaging == "cpo":
        cpo, pluggable = switch, pluggable_equivalent(switch)
    else:
        cpo, pluggable = preset("quantum-x-photonics"), switch
        if args.yield_run is not None:
            cpo = cpo.with_yield_run(summary)

    print(f"Switch report: {switch.name}")
    counts = pd.DataFrame(
        {"quantity": list(switch.counts()), "value": [f"{v:g}" for v in switch.counts().values()]}
    )
    _section("Hierarchy (derived counts)", counts)

    power = cpo.compare_power(pluggable).to_dataframe() * 1e12
    power.loc["total"] = power.sum()
    power.index.name = "pJ/bit"
    rows = {
        "optical I/O power (W)": [cpo.optics_power_w(), pluggable.optics_power_w()],
        "per 1.6T port (W)": [
            cpo.power_breakdown().power_for_bandwidth_w(),
            pluggable.power_breakdown().power_for_bandwidth_w(),
        ],
    }
    totals = pd.DataFrame(rows, index=[cpo.name, pluggable.name]).T
    _section("Optical I/O energy per bit by component (pJ/bit)", power.reset_index().round(3))
    _section("Optical I/O power", totals.reset_index(names="quantity").round(2))

    table = validation_table(cpo, pluggable).to_dataframe()
    table["model"] = table["model"].map(lambda v: f"{v:.3g}")
    _section("Validation against published claims (claims are never inputs)", table)

    result = switch.assembly_yield(assembly).to_dataframe()
    if interval is not None:
        bounds = switch.assembly_yield(interval).switch_yield
        result["switch_yield_interval"] = [
            f"[{low:.4f}, {high:.4f}]" for low, high in np.asarray(bounds)
        ]
    _section(f"Assembly yield ({yield_note})", result.round(4))

    for each in (cpo, pluggable):
        report = each.reliability()
        _section(
            f"Reliability of {each.name}: {report.link_down_events_per_year:.4f} link-down "
            f"events per switch-year, {report.lane_down_hours_per_year:.2f} lane-hours lost",
            report.to_dataframe().round(4),
        )
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
        help="yield run directory whose summary.json gives engine yield and heater power",
    )
    report.set_defaults(handler=_report)


__all__ = [
    "add_switch_parser",
]
