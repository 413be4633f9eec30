"""The ``cposim`` command line.

Every sub-command reports bad input (a ValueError from a parameter object, a missing file) and
failed writes (a full disk) as one line on standard error and exits with status 2, without a
traceback; what a run had already written stays valid (``cposim yield resume`` continues it).
Output piped into a program that stops reading (``| head``) ends quietly.
"""

from __future__ import annotations

import argparse
import os
import sys

from cposim.photonics.cli.fit import add_fit_parser
from cposim.photonics.cli.ring import add_ring_parser
from cposim.photonics.cli.switch import add_switch_parser
from cposim.photonics.cli.yields import add_yield_parser


def build_parser() -> argparse.ArgumentParser:
    """The ``cposim`` argument parser with all sub-commands."""
    from cposim.photonics.runtime.batch import package_version

    parser = argparse.ArgumentParser(
        prog="cposim", description="Simulator of silicon-photonics co-packaged optics."
    )
    parser.add_argument("--version", action="version", version=f"cposim {package_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_ring_parser(subparsers)
    add_yield_parser(subparsers)
    add_switch_parser(subparsers)
    add_fit_parser(subparsers)
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
        status = args.handler(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below
        return status
    except BrokenPipeError:
        # the reader stopped (e.g. `| head`): point stdout at devnull so that Python's own
        # flush at exit does not raise again, and end as `yes | head` does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE_STATUS
    except (ValueError, OSError) as error:  # bad input, a missing file, a full disk
        print(f"cposim: error: {error}", file=sys.stderr)
        return 2


BROKEN_PIPE_STATUS = 141
"""Exit status when the output pipe closes early: 128 + SIGPIPE, as other Unix tools end."""


__all__ = [
    "BROKEN_PIPE_STATUS",
    "build_parser",
    "main",
]
