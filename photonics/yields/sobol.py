"""Variance-based (Sobol') sensitivity of yield to the study's input distributions.

For inputs ``x_1 … x_d`` drawn independently and uniformly over given ranges, the first-order
index ``S_i = Var(E[Y|x_i])/Var(Y)`` is the share of the yield's variance that ``x_i`` explains
alone, the total index ``S_Ti = E[Var(Y|x_~i)]/Var(Y)`` its share with every interaction.
Both come from two independent sample matrices ``A`` and ``B`` (rows: points) and, for each
input, ``AB_i`` (``A`` with column ``i`` from ``B``), ``N·(d + 2)`` model runs in all:

- ``S_i ≈ mean(f(B)·(f(AB_i) - f(A))) / Var`` (Saltelli et al., Comput. Phys. Commun.
  181, 259, 2010, Table 2 (b));
- ``S_Ti ≈ mean((f(A) - f(AB_i))²) / (2·Var)`` (Jansen, Comput. Phys. Commun. 117, 35, 1999);

``Var`` the variance of ``f`` over ``A`` and ``B`` together, every output first centred on
the mean of all runs (the estimators are shift-invariant only in expectation; centring is
the usual variance reduction). Points are a scrambled Sobol'
sequence (scipy.stats.qmc). Each yield study runs at the study's own seed (common random
numbers), so the indices measure the inputs, not Monte Carlo noise between studies; bootstrap
intervals over the N rows say how well N resolves them. The one-at-a-time analysis
(:func:`~cposim.photonics.yields.study.variation_sensitivity`) stays beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from cposim.control.core.validation import check_choice, check_integer, check_range
from cposim.photonics.runtime.progress import progress_bar


def saltelli_points(bounds, *, n: int, seed: int = 0):
    """Sample matrices for :func:`sobol_indices`: ``(A, B, AB)``.

    Parameters
    ----------
    bounds : sequence of (float, float)
        Low and high value of each input (uniform), in the input's unit.
    n : int
        Base sample size N (a power of two keeps the Sobol' sequence balanced; ≥ 2).
    seed : int
        Scrambling seed of the Sobol' sequence.

    Returns
    -------
    tuple of ndarray
        ``A`` and ``B`` of shape (N, d), and ``AB`` of shape (d, N, d).
    """
    low, high = np.asarray(bounds, dtype=np.float64).T
    if np.any(high <= low):
        raise ValueError(f"bounds must have low < high for every input, got {bounds}")
    check_integer("n", n, low=2)
    d = low.size
    unit = qmc.Sobol(2 * d, scramble=True, seed=seed).random(int(n))
    a = low + (high - low) * unit[:, :d]
    b = low + (high - low) * unit[:, d:]
    ab = np.repeat(a[None], d, axis=0)
    for i in range(d):
        ab[i, :, i] = b[:, i]
    return a, b, ab


def sobol_indices(f_a, f_b, f_ab):
    """First-order and total Sobol' indices from model outputs (module docstring).

    Parameters
    ----------
    f_a, f_b : array_like, shape (N,)
        Outputs at the rows of ``A`` and ``B`` (any unit).
    f_ab : array_like, shape (d, N)
        Outputs at the rows of each ``AB_i``.

    Returns
    -------
    tuple of ndarray
        ``(first_order, total)``, each of shape (d,), fractions (0 where the output is
        constant).
    """
    fa, fb, fab = (np.asarray(v, dtype=np.float64) for v in (f_a, f_b, f_ab))
    # centred on the mean of every run: the estimators are shift-invariant only in expectation
    centre = np.mean(np.concatenate([fa, fb, fab.ravel()]))
    fa, fb, fab = fa - centre, fb - centre, fab - centre
    variance = np.var(np.concatenate([fa, fb]))
    if variance <= 0.0:
        zeros = np.zeros(fab.shape[0])
        return zeros, zeros.copy()
    first = np.mean(fb * (fab - fa), axis=1) / variance
    total = 0.5 * np.mean((fa - fab) ** 2, axis=1) / variance
    return first, total


@dataclass(frozen=True, kw_only=True, eq=False)
class SobolResult:
    """Sobol' indices of a yield to the study's inputs.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per input: ``key``, ``low``, ``high``, ``first_order``, ``total`` and their
        bootstrap ``*_low``/``*_high`` (95 %), largest total first.
    level : str
        The yield analysed (``"lane"``, ``"engine"`` or ``"die"``).
    n : int
        Base sample size; the study ran ``n·(d + 2)`` times.
    outputs : dict of str to ndarray
        The yields at ``A``, ``B`` and ``AB`` (fractions), for reuse.
    """

    table: object
    level: str
    n: int
    outputs: dict

    def to_dataframe(self):
        """The table (copy)."""
        return self.table.copy()

    def plot(self, ax=None):
        """First-order and total indices per input, as bars with intervals; returns Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.yields.plot import sobol

        return sobol(self, ax=ax)


def sobol_sensitivity(
    config,
    factors: dict,
    *,
    n: int = 32,
    level: str = "die",
    seed: int = 0,
    bootstrap: int = 500,
    progress: bool = True,
) -> SobolResult:
    """Sobol' indices of a yield to uniformly distributed study inputs.

    Parameters
    ----------
    config : YieldConfig
        Base study; every run keeps its seed (common random numbers).
    factors : dict of str to (float, float)
        Dotted configuration key (as in the TOML file, e.g. ``"lock.sigma_m"``) → the low and
        high value of its uniform distribution, in the key's unit.
    n : int
        Base sample size N (≥ 2; the study runs N·(d + 2) times). Default 32.
    level : {"lane", "engine", "die"}
        Which yield. Default ``"die"``.
    seed : int
        Scrambling seed of the input sample.
    bootstrap : int
        Bootstrap resamples of the N rows for the intervals (≥ 10).
    progress : bool
        Show a progress bar counting the studies run.
    """
    import pandas as pd

    from cposim.photonics.yields.run import simulate

    check_choice("level", level, ("lane", "engine", "die"))
    check_range("bootstrap", bootstrap, low=10, high=100_000)
    if not factors:
        raise ValueError("factors must name at least one configuration key")
    keys = tuple(factors)
    a, b, ab = saltelli_points([factors[k] for k in keys], n=n, seed=seed)
    d = len(keys)

    def run(points, bar):
        out = np.empty(points.shape[0])
        for row, values in enumerate(points):
            changed = config.with_changes(dict(zip(keys, map(float, values), strict=True)))
            out[row] = simulate(changed).yields().set_index("level").loc[level, "yield"]
            bar.update()
        return out

    with progress_bar(n * (d + 2), unit="study", enabled=progress) as bar:
        f_a, f_b = run(a, bar), run(b, bar)
        f_ab = np.stack([run(ab[i], bar) for i in range(d)])
    first, total = sobol_indices(f_a, f_b, f_ab)
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, n, size=(int(bootstrap), n))
    draws = [sobol_indices(f_a[r], f_b[r], f_ab[:, r]) for r in rows]
    boot_first = np.array([x[0] for x in draws])
    boot_total = np.array([x[1] for x in draws])
    table = pd.DataFrame(
        {
            "key": keys,
            "low": [factors[k][0] for k in keys],
            "high": [factors[k][1] for k in keys],
            "first_order": first,
            "first_order_low": np.percentile(boot_first, 2.5, axis=0),
            "first_order_high": np.percentile(boot_first, 97.5, axis=0),
            "total": total,
            "total_low": np.percentile(boot_total, 2.5, axis=0),
            "total_high": np.percentile(boot_total, 97.5, axis=0),
        }
    ).sort_values("total", ascending=False, ignore_index=True)
    return SobolResult(table=table, level=level, n=int(n), outputs={"A": f_a, "B": f_b, "AB": f_ab})


__all__ = ["SobolResult", "saltelli_points", "sobol_indices", "sobol_sensitivity"]
