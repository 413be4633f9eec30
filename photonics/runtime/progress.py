"""Progress bars for long work: a widget in Jupyter, text on a terminal, nothing in logs.

tqdm's own automatic choice warns and draws nothing in a Jupyter kernel without ipywidgets, and
draws nothing in any kernel (its output is not a terminal); here a kernel always gets a bar —
the widget when ipywidgets is installed, otherwise tqdm's text bar on standard output.
"""

from __future__ import annotations

import importlib.util
import sys


def progress_bar(total: int, *, unit: str, initial: int = 0, enabled: bool = True):
    """A tqdm bar suited to where the code runs (use as a context manager or call ``close``).

    Parameters
    ----------
    total : int
        Units of work in all, a count.
    unit : str
        Name of one unit (``"die"``, ``"run"``).
    initial : int
        Units already done (a resumed run), a count.
    enabled : bool
        False returns a disabled bar (no output).
    """
    in_kernel = "ipykernel" in sys.modules
    if in_kernel and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm

        options = {"disable": not enabled}
    else:
        from tqdm.std import tqdm

        # disable=None: the text bar shows on a terminal only (not in CI logs or pipes).
        options = {
            "disable": (False if in_kernel else None) if enabled else True,
            "file": sys.stdout if in_kernel else sys.stderr,
            "dynamic_ncols": True,
        }
    # SI-scaled counts ("101k die") only where counts are large; "3/7 study" otherwise.
    scale = total >= 10_000
    return tqdm(total=total, initial=initial, unit=unit, unit_scale=scale, smoothing=0.1, **options)


__all__ = [
    "progress_bar",
]
