"""cposim.photonics.cli: the ``cposim`` command line (``cposim ring``, ``cposim yield``,
``cposim switch``, ``cposim fit``).

Each sub-command module adds its parser to :func:`~cposim.photonics.cli.main.build_parser`;
bad input is reported in one line on standard error with exit status 2, without a traceback.
"""

__all__ = [
    "fit",
    "main",
    "ring",
    "switch",
    "yields",
]
