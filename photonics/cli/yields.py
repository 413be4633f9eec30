"""``cposim yield …``: presets, show-config, run, resume and report of batch yield studies."""

from __future__ import annotations

import math
import sys
from pathlib import Path

DEFAULT_OUT = Path("cposim-yield-run")


def add_yield_parser(subparsers) -> None:
    """Register the ``yield`` sub-command group on an argparse sub-parser collection.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The top-level ``cposim`` sub-parsers.
    """
    group = subparsers.add_parser("yield", help="yield Monte Carlo studies")
    commands = group.add_subparsers(dest="yield_command", required=True)

    presets = commands.add_parser("presets", help="list the shipped configurations")
    presets.set_defaults(handler=_presets)

    show = commands.add_parser("show-config", help="print a preset as an editable TOML file")
    show.add_argument("name", help="preset name (see `cposim yield presets`)")
    show.set_defaults(handler=_show_config)

    run = commands.add_parser("run", help="run a study into a directory (resumable)")
    run.add_argument("config", nargs="?", type=Path, help="TOML configuration file")
    run.add_argument("--preset", help="use a shipped preset instead of a file")
    run.add_argument("--out", type=Path, default=DEFAULT_OUT, help="run directory")
    run.add_argument("--dies", type=int, help="at least this many dies (whole wafers)")
    run.add_argument("--wafers", type=int, help="number of wafers (overrides --dies)")
    run.add_argument("--seed", type=int, help="master seed")
    run.add_argument("--wafers-per-chunk", type=int, help="whole wafers per stored part")
    _add_backend_options(run)
    run.set_defaults(handler=_run)

    resume = commands.add_parser("resume", help="finish an interrupted run")
    resume.add_argument("directory", type=Path)
    _add_backend_options(resume)
    resume.set_defaults(handler=_resume)

    report = commands.add_parser("report", help="summary table and plots of a run")
    report.add_argument("directory", type=Path)
    report.set_defaults(handler=_report)


def _add_backend_options(parser) -> None:
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="local worker processes (0: this process with Numba threads)",
    )
    parser.add_argument("--scheduler", help="address of a Dask distributed scheduler")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _presets(args) -> int:
    from cposim.photonics.yields.config import preset_description, preset_names

    names = preset_names()
    width = max(len(name) for name in names)
    for name in names:
        print(f"{name:<{width}}  {preset_description(name)}")
    return 0


def _show_config(args) -> int:
    from cposim.photonics.yields.config import preset_text

    sys.stdout.write(preset_text(args.name))
    return 0


def _run(args) -> int:
    from cposim.photonics.yields.config import load_config, preset
    from cposim.photonics.yields.run import run_study

    if (args.config is None) == (args.preset is None):
        raise ValueError("give either a CONFIG.toml file or --preset NAME (not both)")
    config = preset(args.preset) if args.preset else load_config(args.config)
    changes = {}
    if args.seed is not None:
        changes["run.seed"] = args.seed
    if args.wafers_per_chunk is not None:
        changes["run.wafers_per_chunk"] = args.wafers_per_chunk
    if args.wafers is not None:
        changes["run.n_wafers"] = args.wafers
    elif args.dies is not None:
        if args.dies < 1:
            raise ValueError(f"--dies = {args.dies} must be >= 1")
        dies_per_wafer = config.layout().n_dies
        changes["run.n_wafers"] = math.ceil(args.dies / dies_per_wafer)
    config = config.with_changes(changes)
    _check_workers(args.workers)
    print(
        f"running {config.run.n_wafers} wafer(s) × {config.layout().n_dies} dies into {args.out}",
        file=sys.stderr,
    )
    result = run_study(
        config,
        args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not args.no_progress,
    )
    return _print_and_write_report(result, args.out)


def _resume(args) -> int:
    from cposim.photonics.yields.run import resume_study

    _check_workers(args.workers)
    result = resume_study(
        args.directory,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not args.no_progress,
    )
    return _print_and_write_report(result, args.directory)


def _report(args) -> int:
    from cposim.photonics.yields.run import load_study

    return _print_and_write_report(load_study(args.directory), args.directory)


def _print_and_write_report(result, directory) -> int:
    from cposim.photonics.yields.run import format_summary, write_report

    print(format_summary(result))
    written = write_report(result, directory)
    print(f"\nwrote {', '.join(p.name for p in written)} and Parquet parts in {directory}")
    return 0


def _check_workers(workers: int) -> None:
    if workers < 0:
        raise ValueError(f"--workers = {workers} must be >= 0")


__all__ = [
    "DEFAULT_OUT",
    "add_yield_parser",
]
