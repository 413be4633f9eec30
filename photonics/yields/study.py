"""Design studies on top of the yield engine: parameter sweeps, yield–power Pareto fronts, the
sensitivity of yield to each fabrication-variation component and to each part-to-part spread,
and the value of one parameter that reaches a target yield ("what tolerance buys 1 %").

Every point of a study reuses the configuration's seed, so points differ only by the parameter
changed (common random numbers): curves are smooth and differences are not Monte Carlo noise.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_choice, check_range
from cposim.photonics.fab.variation import PARAMETERS
from cposim.photonics.runtime.progress import progress_bar
from cposim.photonics.yields.config import YieldConfig
from cposim.photonics.yields.run import simulate

YIELD_LEVELS = ("die", "engine", "lane")
"""Levels a yield is reported at, from the whole die down to one lane."""

VARIATION_COMPONENTS = {
    "lot": ("lot_sigma_m",),
    "wafer": ("wafer_sigma_m",),
    "systematic": ("bowl_m", "tilt_m"),
    "field": ("field_sigma_m",),
    "local": ("local_sigma_m",),
}
"""Variation components and the :class:`~cposim.photonics.fab.variation.ParameterVariation` fields
that make each up."""


@dataclass(frozen=True, kw_only=True, eq=False)
class SweepResult:
    """Yields and heater power at every point of a parameter sweep.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per point: the swept keys, then for each level ``{level}_yield``,
        ``{level}_low``, ``{level}_high``, and ``mean_heater_power_per_die_w``.
    keys : tuple of str
        The swept configuration keys (dotted), in the order given.
    """

    table: object
    keys: tuple

    def to_dataframe(self):
        """The sweep table (a copy)."""
        return self.table.copy()

    def pareto_front(self, *, level: str = "die"):
        """Points not beaten on both yield (higher) and mean heater power (lower), by power.

        Parameters
        ----------
        level : {"die", "engine", "lane"}
            Which yield to trade against power.
        """
        check_choice("level", level, YIELD_LEVELS)
        table = self.table.dropna(subset=["mean_heater_power_per_die_w"])
        table = table.sort_values(
            ["mean_heater_power_per_die_w", f"{level}_yield"], ascending=[True, False]
        )
        best = -np.inf
        keep = []
        for index, value in table[f"{level}_yield"].items():
            if value > best:
                keep.append(index)
                best = value
        return table.loc[keep]

    def plot(self, ax=None, *, level: str = "die"):
        """Yield (with its confidence band) against the first swept key; returns the Axes.

        With several keys, one line per combination of the others. Heater power goes on a
        secondary axis when one key is swept.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        level : {"die", "engine", "lane"}
            Which yield to plot.
        """
        from cposim.photonics.yields import plot

        return plot.sweep(self, ax, level=level)


def sweep(config: YieldConfig, changes: dict, *, progress: bool = True) -> SweepResult:
    """Run the study at every combination of the given values (Cartesian product).

    Parameters
    ----------
    config : YieldConfig
        Base study; its seed is shared by every point.
    changes : dict of str to sequence
        Dotted configuration key (as in the TOML file, e.g. ``"tuning.max_heater_power_w"``)
        → values to try; the values are validated by the table they land in.
    progress : bool
        Show a progress bar counting the studies run.
    """
    import pandas as pd

    if not changes:
        raise ValueError("changes must name at least one configuration key to sweep")
    keys = tuple(changes)
    points = list(itertools.product(*(list(changes[k]) for k in keys)))
    rows = []
    with progress_bar(len(points), unit="study", enabled=progress) as bar:
        for values in points:
            result = simulate(config.with_changes(dict(zip(keys, values, strict=True))))
            rows.append({**dict(zip(keys, values, strict=True)), **_yield_row(result)})
            bar.update()
    return SweepResult(table=pd.DataFrame(rows), keys=keys)


@dataclass(frozen=True, kw_only=True, eq=False)
class SensitivityResult:
    """Yield gained by removing each fabrication-variation component (or each spread) in turn.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per (parameter, component): ``parameter``, ``component``, ``die_yield`` with
        the component removed, and ``gain`` over the baseline, largest first (for spreads,
        ``parameter`` is ``"spreads"`` and ``component`` the spread's field).
    baseline_yield : float
        Die yield with every component present, a fraction.
    """

    table: object
    baseline_yield: float

    def to_dataframe(self):
        """The sensitivity table (a copy)."""
        return self.table.copy()

    def plot(self, ax=None):
        """Bar chart of the die-yield gain per removed component; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.yields import plot

        return plot.sensitivity(self, ax)


def variation_sensitivity(config: YieldConfig, *, progress: bool = True) -> SensitivityResult:
    """Die yield with each variation component (per parameter) switched off, one at a time.

    Parameters
    ----------
    config : YieldConfig
        Base study (its seed is shared by every run).
    progress : bool
        Show a progress bar counting the studies run.
    """
    removals = []  # (parameter, component, the change that removes the component)
    for parameter in PARAMETERS:
        current = getattr(config.variation, parameter)
        for component, fields in VARIATION_COMPONENTS.items():
            if any(getattr(current, f) != 0.0 for f in fields):
                removed = dataclasses.replace(current, **dict.fromkeys(fields, 0.0))
                removals.append((parameter, component, {f"variation.{parameter}": removed}))
    return _one_at_a_time(config, removals, progress)


def spread_sensitivity(config: YieldConfig, *, progress: bool = True) -> SensitivityResult:
    """Die yield with each part-to-part spread (``[spreads]``) switched off, one at a time: what
    each spread costs with all the others present.

    Parameters
    ----------
    config : YieldConfig
        Base study (its seed is shared by every run).
    progress : bool
        Show a progress bar counting the studies run.
    """
    removals = [
        ("spreads", f.name, {f"spreads.{f.name}": 0.0})
        for f in dataclasses.fields(config.spreads)
        if getattr(config.spreads, f.name) != 0.0
    ]
    return _one_at_a_time(config, removals, progress)


def _one_at_a_time(config: YieldConfig, removals, progress: bool) -> SensitivityResult:
    """The baseline die yield and, per ``(parameter, component, changes)``, the die yield with
    those changes, largest gain first."""
    import pandas as pd

    rows = []
    with progress_bar(1 + len(removals), unit="study", enabled=progress) as bar:
        baseline = _die_yield(config)
        bar.update()
        for parameter, component, changes in removals:
            die_yield = _die_yield(config.with_changes(changes))
            rows.append({"parameter": parameter, "component": component,
                         "die_yield": die_yield, "gain": die_yield - baseline})  # fmt: skip
            bar.update()
    table = pd.DataFrame(rows, columns=["parameter", "component", "die_yield", "gain"])
    return SensitivityResult(
        table=table.sort_values("gain", ascending=False, ignore_index=True), baseline_yield=baseline
    )


def _die_yield(config: YieldConfig) -> float:
    return float(simulate(config).table["passed"].mean())


@dataclass(frozen=True, kw_only=True, eq=False)
class TargetResult:
    """The value of one parameter at which a study reaches a target die yield.

    Parameters
    ----------
    key : str
        The dotted configuration key solved for.
    value : float
        The value found (the end of the last bracket on the target's side).
    die_yield : float
        Die yield at ``value`` (a fraction, ≥ the target).
    target : float
        The target die yield (a fraction).
    table : pandas.DataFrame
        Every study run: ``value``, ``die_yield``, in the order run.
    """

    key: str
    value: float
    die_yield: float
    target: float
    table: object

    def to_dataframe(self):
        """The studies run (a copy)."""
        return self.table.copy()


def value_for_yield(
    config: YieldConfig,
    key: str,
    *,
    die_yield: float,
    low: float,
    high: float,
    tolerance: float,
    progress: bool = True,
) -> TargetResult:
    """The value of ``key`` in ``[low, high]`` at which the die yield reaches ``die_yield``,
    by bisection with common random numbers (the yield must move monotonically with the key
    over the bracket; e.g. the fibre-attach σ or a defect density a process must reach for a
    yield 1 point above today's).

    Parameters
    ----------
    config : YieldConfig
        Base study (its seed is shared by every run).
    key : str
        Dotted configuration key of a numeric parameter, e.g. ``"defects.waveguide_per_m2"``.
    die_yield : float
        Target die yield (fraction, 0 … 1).
    low, high : float
        The bracket: the target must lie between the die yields at its two ends.
    tolerance : float
        Stop when the bracket is narrower than this (the key's unit, > 0).
    progress : bool
        Show a progress bar counting the studies run.

    Returns
    -------
    TargetResult
        The end of the final bracket that meets the target, and every study run.
    """
    import pandas as pd

    check_range("die_yield", die_yield, low=0.0, high=1.0)
    check_range("tolerance", tolerance, low=0.0, low_inclusive=False)
    if not low < high:
        raise ValueError(f"low = {low!r} must be below high = {high!r}")
    rows = []

    def run(value):
        result = _die_yield(config.with_changes({key: value}))
        rows.append({"value": value, "die_yield": result})
        bar.update()
        return result

    steps = 2 + max(0, int(np.ceil(np.log2((high - low) / tolerance))))
    with progress_bar(steps, unit="study", enabled=progress) as bar:
        y_low, y_high = run(low), run(high)
        if (y_low - die_yield) * (y_high - die_yield) > 0.0:
            raise ValueError(
                f"die_yield = {die_yield!r} is not between the yields at the bracket's ends "
                f"({key} = {low!r}: {y_low:.4f}; {high!r}: {y_high:.4f})"
            )
        rising = y_high >= y_low
        while high - low > tolerance:
            middle = 0.5 * (low + high)
            y_middle = run(middle)
            if (y_middle >= die_yield) == rising:
                high, y_high = middle, y_middle
            else:
                low, y_low = middle, y_middle
    value, reached = (high, y_high) if rising else (low, y_low)
    return TargetResult(key=key, value=value, die_yield=reached, target=die_yield,
                        table=pd.DataFrame(rows))  # fmt: skip


def _yield_row(result) -> dict:
    yields = result.yields().set_index("level")
    row = {}
    for level in YIELD_LEVELS:
        row[f"{level}_yield"] = float(yields.loc[level, "yield"])
        row[f"{level}_low"] = float(yields.loc[level, "low"])
        row[f"{level}_high"] = float(yields.loc[level, "high"])
    row["mean_heater_power_per_die_w"] = result.summary()["mean_heater_power_per_die_w"]
    return row


__all__ = [
    "VARIATION_COMPONENTS",
    "YIELD_LEVELS",
    "SensitivityResult",
    "SweepResult",
    "TargetResult",
    "spread_sensitivity",
    "sweep",
    "value_for_yield",
    "variation_sensitivity",
]
