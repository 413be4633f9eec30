"""The ``cposim`` command line.

Every sub-command reports bad input (a ValueError from a parameter object, a missing file) as
one line on standard error and exits with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from cposim.photonics.cli.ring import add_ring_parser
from cposim.photonics.cli.switch import add_switch_parser
from cposim.photonics.cli.yields import add_yield_parser


def build_parser() -> argparse.ArgumentParser:
    """The ``cposim`` argument parser with all sub-commands."""
    parser = argparse.ArgumentParser(
        prog="cposim", description="Simulator of silicon-photonics co-packaged optics."
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_ring_parser(subparsers)
    add_yield_parser(subparsers)
    add_switch_parser(subparsers)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``cposim`` console script; returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when omitted.
    """
    args = build_parser().parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")  # plots go to files; no window, no display needed
    try:
        return args.handler(args)
    except (ValueError, FileNotFoundError, PermissionError) as error:
        print(f"cposim: error: {error}", file=sys.stderr)
        return 2


__all__ = [
    "build_parser",
    "main",
]
