"""Wafer-level test and screening: known-good-die decisions, escapes, overkill, cost per good die.

The wafer test measures each die's worst-lane optical power margin with a Gaussian measurement
error and passes the die when the measured value reaches a test limit (the spec plus a guard
band). A die whose other failures (tuning range, heater budget, aliasing, self-heating,
modulator spec, defects) the test sees directly fails the test whatever its margin
(*assumption*: those failures are gross). Then:

- **escape**: a bad die (true margin below the spec) that passes the test, per tested die;
- **overkill**: a good die that fails the test, per tested die.

For a true margin ``X ~ N(μ, σ_x)`` and a reading ``X + E``, ``E ~ N(0, σ_e)``, the escape
rate is ``P(X < spec, X + E ≥ limit)`` and the overkill rate ``P(X ≥ spec, X + E < limit)``,
bivariate-normal probabilities (:func:`gaussian_screening`), which the tests check the sampled
screen against.

Binning: the dies that pass are graded by their reading into bins above the limit
(``bin_edges_db``), e.g. dies that can run their laser a few dB lower;
:meth:`ScreeningResult.bin_table` counts each bin and how many of its dies are good, and
:func:`gaussian_bins` gives the bins' shares in closed form for a Gaussian margin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from cposim.control.core.validation import check_range


@dataclass(frozen=True, kw_only=True)
class ScreeningSettings:
    """The wafer test of the die's worst-lane margin.

    Parameters
    ----------
    spec_margin_db : float
        Margin a good die has, dB. Default 0 (the study's pass criterion).
    guard_band_db : float
        Test limit above the spec, dB (≥ 0: trades overkill for escapes). Default 0.5
        (*assumption*).
    measurement_sigma_db : float
        Rms error of the margin measurement, dB (≥ 0). Default 0.3 (*assumption*: a wafer
        prober's optical power repeatability through grating couplers is a few tenths of a dB).
    bin_edges_db : tuple of float
        Readings, dB, that split the passing dies into bins: bin 0 from the limit to the first
        edge, bin k from edge k to edge k + 1, the last from the last edge up (ascending, each
        above the limit). Default none (one bin).
    """

    spec_margin_db: float = 0.0
    guard_band_db: float = 0.5
    measurement_sigma_db: float = 0.3
    bin_edges_db: tuple = ()

    def __post_init__(self):
        check_range("spec_margin_db", self.spec_margin_db, low=-50.0, high=50.0)
        check_range("guard_band_db", self.guard_band_db, low=0.0, high=20.0)
        check_range("measurement_sigma_db", self.measurement_sigma_db, low=0.0, high=10.0)
        edges = check_range("bin_edges_db", tuple(self.bin_edges_db), low=self.limit_db,
                            high=100.0, low_inclusive=False)  # fmt: skip
        if np.any(np.diff(edges) <= 0.0):
            raise ValueError(f"bin_edges_db = {self.bin_edges_db!r} must be ascending")
        object.__setattr__(self, "bin_edges_db", tuple(float(e) for e in edges))

    @property
    def limit_db(self) -> float:
        """Test limit, dB."""
        return self.spec_margin_db + self.guard_band_db


@dataclass(frozen=True, kw_only=True)
class ScreeningResult:
    """Outcome of screening every die of a study.

    Parameters
    ----------
    good : ndarray of bool
        Dies that meet the spec.
    passed_test : ndarray of bool
        Dies the test passes (known-good dies).
    bin_index : ndarray of int, optional
        Each die's bin (-1: failed the test); None when the screen did not bin.
    bin_edges_db : tuple of float
        The bins' edges (:attr:`ScreeningSettings.bin_edges_db`).
    limit_db : float
        The test limit, dB (where bin 0 starts).
    true_margin_db : ndarray, optional
        Each die's true worst-lane margin, dB (-inf where it failed before the budget).
    """

    good: np.ndarray
    passed_test: np.ndarray
    bin_index: np.ndarray | None = None
    bin_edges_db: tuple = ()
    limit_db: float = -np.inf
    true_margin_db: np.ndarray | None = None

    def bin_table(self):
        """One row per bin: ``bin``, ``low_db``, ``high_db`` (readings), ``dies``, ``fraction``
        (of tested dies), ``good_fraction`` (of the bin's dies that meet the spec) and
        ``median_true_margin_db``."""
        import pandas as pd

        if self.bin_index is None:
            raise ValueError("this screen did not bin its dies (built without screen())")
        lows = (self.limit_db, *self.bin_edges_db)
        highs = (*self.bin_edges_db, np.inf)
        rows = []
        for k, (low, high) in enumerate(zip(lows, highs, strict=True)):
            members = self.bin_index == k
            n = int(members.sum())
            rows.append({
                "bin": k, "low_db": low, "high_db": high, "dies": n,
                "fraction": n / self.good.size,
                "good_fraction": float(self.good[members].mean()) if n else np.nan,
                "median_true_margin_db": (float(np.median(self.true_margin_db[members]))
                                          if n else np.nan),
            })  # fmt: skip
        return pd.DataFrame(rows)

    @property
    def escape_rate(self) -> float:
        """Bad dies passing the test, per tested die (fraction)."""
        return float(np.mean(~self.good & self.passed_test))

    @property
    def overkill_rate(self) -> float:
        """Good dies failing the test, per tested die (fraction)."""
        return float(np.mean(self.good & ~self.passed_test))

    @property
    def known_good_fraction(self) -> float:
        """Dies passing the test, per tested die (fraction)."""
        return float(np.mean(self.passed_test))

    @property
    def outgoing_quality(self) -> float:
        """Bad dies among those shipped as known good (fraction; 0 if none pass)."""
        shipped = self.passed_test.sum()
        return float((~self.good & self.passed_test).sum() / shipped) if shipped else 0.0

    def cost_per_good_die(
        self, *, die_cost: float, test_cost_per_die: float, downstream_cost_per_bad: float = 0.0
    ) -> float:
        """Cost per die shipped as known good (currency of the inputs).

        ``(die + test)·N / N_pass + escapes·downstream / N_pass``: every tested die's cost is
        carried by the passing ones, and each escape costs what it wastes downstream (the
        package it is assembled into, rework).

        Parameters
        ----------
        die_cost : float
            Cost of one die before test (wafer cost over dies per wafer), currency (≥ 0).
        test_cost_per_die : float
            Wafer-test cost per die, currency (≥ 0).
        downstream_cost_per_bad : float
            Cost an escaped bad die causes after test, currency (≥ 0).
        """
        for name, value in (("die_cost", die_cost), ("test_cost_per_die", test_cost_per_die),
                            ("downstream_cost_per_bad", downstream_cost_per_bad)):  # fmt: skip
            check_range(name, value, low=0.0)
        n_pass = self.passed_test.sum()
        if n_pass == 0:
            return float("inf")
        escapes = (~self.good & self.passed_test).sum()
        n = self.good.size
        return float(((die_cost + test_cost_per_die) * n + escapes * downstream_cost_per_bad)
                     / n_pass)  # fmt: skip


def screen(table, settings: ScreeningSettings, *, rng: np.random.Generator) -> ScreeningResult:
    """Apply the wafer test to a study's per-die table.

    Parameters
    ----------
    table : pandas.DataFrame or dict of ndarray
        Per-die rows with ``failure_mode`` (0: no failure) and ``min_margin_db`` (NaN where
        the die failed before the link budget).
    settings : ScreeningSettings
        The test.
    rng : numpy.random.Generator
        Source of the measurement errors.
    """
    # a die that failed before the link budget has no margin: -inf, bad and caught
    true = np.nan_to_num(np.asarray(table["min_margin_db"], dtype=np.float64), nan=-np.inf)
    meets_spec = true >= settings.spec_margin_db
    other_failure = (np.asarray(table["failure_mode"]) > 0) & meets_spec
    good = meets_spec & ~other_failure
    reading = true + settings.measurement_sigma_db * rng.standard_normal(true.size)
    passed = (reading >= settings.limit_db) & ~other_failure
    bins = np.searchsorted(np.asarray(settings.bin_edges_db), reading, side="right")
    return ScreeningResult(
        good=good,
        passed_test=passed,
        bin_index=np.where(passed, bins, -1),
        bin_edges_db=settings.bin_edges_db,
        limit_db=settings.limit_db,
        true_margin_db=true,
    )


def gaussian_screening(
    *, mean_db: float, sigma_db: float, settings: ScreeningSettings
) -> tuple[float, float]:
    """Escape and overkill rates for a Gaussian true margin, in closed form (bivariate normal).

    Parameters
    ----------
    mean_db, sigma_db : float
        Mean and standard deviation of the true margin, dB (σ > 0).
    settings : ScreeningSettings
        The test.

    Returns
    -------
    tuple of float
        ``(escape_rate, overkill_rate)``, fractions of tested dies.
    """
    check_range("sigma_db", sigma_db, low=0.0, low_inclusive=False)
    s_e = settings.measurement_sigma_db
    s_r = np.hypot(sigma_db, s_e)
    rho = sigma_db / s_r  # correlation of truth and reading
    x = (settings.spec_margin_db - mean_db) / sigma_db
    y = (settings.limit_db - mean_db) / s_r
    if s_e == 0.0:  # the reading is the truth: P(X < spec and X < limit)
        below_both = float(stats.norm.cdf(min(x, y)))
    else:
        joint = stats.multivariate_normal(mean=[0.0, 0.0], cov=[[1.0, rho], [rho, 1.0]])
        below_both = float(joint.cdf([x, y]))  # X < spec and reading < limit
    escape = stats.norm.cdf(x) - below_both  # X < spec, reading ≥ limit
    overkill = stats.norm.cdf(y) - below_both  # X ≥ spec, reading < limit
    return float(escape), float(overkill)


def gaussian_bins(*, mean_db: float, sigma_db: float, settings: ScreeningSettings) -> np.ndarray:
    """Share of tested dies in each bin for a Gaussian true margin, in closed form: the reading
    is ``N(μ, √(σ_x² + σ_e²))``, so bin k holds ``Φ((e_(k+1) − μ)/s) − Φ((e_k − μ)/s)`` with
    ``e_0`` the test limit (no gross failures).

    Parameters
    ----------
    mean_db, sigma_db : float
        Mean and standard deviation of the true margin, dB (σ > 0).
    settings : ScreeningSettings
        The test and its bins.

    Returns
    -------
    ndarray
        One fraction per bin (``len(bin_edges_db) + 1``).
    """
    check_range("sigma_db", sigma_db, low=0.0, low_inclusive=False)
    spread = np.hypot(sigma_db, settings.measurement_sigma_db)
    edges = np.array([settings.limit_db, *settings.bin_edges_db, np.inf])
    return np.diff(stats.norm.cdf((edges - mean_db) / spread))


__all__ = ["ScreeningResult", "ScreeningSettings", "gaussian_bins", "gaussian_screening", "screen"]
