"""Reductions of the per-die table that stream: what a summary needs, in bounded memory, exactly.

A study's summary (yields, failure counts, mean heater power, median margin) is computed from
batches of rows, so a run directory of 10^8 dies summarises without its table in memory
(:class:`~cposim.photonics.yields.stored.StoredStudy`), and gives *the same numbers* as the
in-memory :class:`~cposim.photonics.yields.result.YieldResult`, which runs these reductions on
its table as one batch:

- counts are integer sums;
- a sum of floats is exact (:class:`ExactSum`: each float split into two 26-bit integer halves of
  its mantissa, summed per binary exponent, exactly, and combined as Python integers), and a mean
  is that sum over the count, rounded once, so batching cannot change it;
- the median is found by radix selection (:func:`select`) over the floats' order-preserving
  64-bit keys, four passes of a 65,536-bin histogram, so no column is held in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

_SCALE_BITS = 1126  # value = m·2^(e-53) with e - 53 ≥ -1126 for every finite double
_MIN_EXPONENT = -1073  # frexp exponents of finite doubles: -1073 … 1024
_N_EXPONENTS = 1024 - _MIN_EXPONENT + 1
_BLOCK = 1 << 25  # halves summed per block: |sum| < 2^27 · 2^25 = 2^52, exact in float64
_SIGN = np.uint64(1 << 63)
_DIGIT_BITS = 16


class ExactSum:
    """Exact sum and count of the finite values added, in any batching."""

    def __init__(self):
        self._total = 0  # the sum times 2^_SCALE_BITS, an integer
        self.count = 0

    def add(self, values) -> None:
        """Add the finite entries of an array (NaN and ±inf are skipped).

        Parameters
        ----------
        values : array_like
            Floats (any shape).
        """
        v = np.asarray(values, dtype=np.float64).ravel()
        v = v[np.isfinite(v)]
        self.count += v.size
        if v.size == 0:
            return
        for start in range(0, v.size, _BLOCK):
            self._add_block(v[start : start + _BLOCK])

    def _add_block(self, v) -> None:
        mantissa, exponent = np.frexp(v)  # v = mantissa·2^exponent, 0.5 ≤ |mantissa| < 1
        high = np.floor(mantissa * 2.0**27)  # integers, |high| ≤ 2^27, exact in float64
        low = mantissa * 2.0**53 - high * 2.0**26  # integers, 0 ≤ low < 2^26, exact
        bins = exponent - _MIN_EXPONENT
        # per-exponent sums of at most _BLOCK halves stay below 2^53: exact in float64
        high_sums = np.bincount(bins, weights=high, minlength=_N_EXPONENTS)
        low_sums = np.bincount(bins, weights=low, minlength=_N_EXPONENTS)
        for b in np.flatnonzero((high_sums != 0) | (low_sums != 0)):
            shift = int(b) + _MIN_EXPONENT - 53 + _SCALE_BITS
            self._total += ((int(high_sums[b]) << 26) + int(low_sums[b])) << shift

    @property
    def value(self) -> float:
        """The exact sum, rounded once to float."""
        return float(Fraction(self._total, 1 << _SCALE_BITS))

    @property
    def mean(self) -> float:
        """The exact mean, rounded once to float (NaN when nothing finite was added)."""
        if self.count == 0:
            return float("nan")
        return float(Fraction(self._total, self.count << _SCALE_BITS))


def _keys(values) -> np.ndarray:
    """Order-preserving unsigned 64-bit keys of finite floats."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    return np.where(bits & _SIGN, ~bits, bits | _SIGN)


def _value(key: int) -> float:
    key = np.uint64(key)
    bits = key & ~_SIGN if key & _SIGN else ~key
    return float(np.array([bits], dtype=np.uint64).view(np.float64)[0])


def select(batches, rank: int) -> float:
    """The ``rank``-th smallest finite value (0-based) of a column given in batches.

    Parameters
    ----------
    batches : callable
        ``batches()`` returns a fresh iterable of arrays (the column, batch by batch); it is
        called once per pass (four passes).
    rank : int
        0 ≤ rank < number of finite values.
    """
    prefix, shift = 0, 64
    for _ in range(64 // _DIGIT_BITS):
        shift -= _DIGIT_BITS
        counts = np.zeros(1 << _DIGIT_BITS, dtype=np.int64)
        for batch in batches():
            v = np.asarray(batch, dtype=np.float64).ravel()
            keys = _keys(v[np.isfinite(v)])
            if shift + _DIGIT_BITS < 64:
                keys = keys[(keys >> np.uint64(shift + _DIGIT_BITS)) == np.uint64(prefix)]
            digits = (keys >> np.uint64(shift)) & np.uint64((1 << _DIGIT_BITS) - 1)
            counts += np.bincount(digits.astype(np.int64), minlength=1 << _DIGIT_BITS)
        cumulative = np.cumsum(counts)
        digit = int(np.searchsorted(cumulative, rank, side="right"))
        rank -= int(cumulative[digit - 1]) if digit else 0
        prefix = (prefix << _DIGIT_BITS) | digit
    return _value(prefix)


def median(batches, count: int) -> float:
    """Median of the ``count`` finite values of a column given in batches (NaN if none): the
    middle value, or the mean of the two middle values.

    Parameters
    ----------
    batches : callable
        As for :func:`select`.
    count : int
        Number of finite values in the column.
    """
    if count == 0:
        return float("nan")
    upper = select(batches, count // 2)
    if count % 2:
        return upper
    lower = select(batches, count // 2 - 1)
    return float(np.mean([lower, upper]))


@dataclass(frozen=True, kw_only=True)
class Totals:
    """What a summary needs from the per-die table, reduced.

    Parameters
    ----------
    n_dies : int
        Rows (dies), a count.
    lanes_passed, engines_passed, dies_passed : int
        Passing lanes, engines and dies (counts).
    dies_by_mode : ndarray
        Dies per ``failure_mode`` code (counts, one per mode of ``FAILURE_MODES``).
    lanes_by_mode : dict of str to int
        Failing lanes per mode (counts).
    heater_power_sum_w : float
        Exact sum of the finite per-die heater powers, watts.
    heater_power_mean_w : float
        Their exact mean, watts (NaN when none is finite).
    heater_power_count : int
        Dies with a finite heater power (a count).
    median_min_margin_db : float
        Median of the finite worst-lane margins, dB.
    dynamic_dies : int
        Dies that ran the dynamic lock (a count).
    lock_outcomes : ndarray of int64, shape (2, 2)
        Those dies by static outcome (row: 0 failed, 1 passed) and dynamic outcome (column).
    median_lock_time_s : float
        Median power-up-to-lock time of the dynamic dies whose rings all locked, s.
    """

    n_dies: int
    lanes_passed: int
    engines_passed: int
    dies_passed: int
    dies_by_mode: np.ndarray
    lanes_by_mode: dict
    heater_power_sum_w: float
    heater_power_mean_w: float
    heater_power_count: int
    median_min_margin_db: float
    dynamic_dies: int
    lock_outcomes: np.ndarray
    median_lock_time_s: float


def reduce_table(batches, modes) -> Totals:
    """Reduce the per-die table to :class:`Totals`, batch by batch.

    Parameters
    ----------
    batches : callable
        ``batches(columns)`` returns a fresh iterable of dicts of arrays holding those columns;
        called once for the counts and sums and again for the median's passes.
    modes : sequence of str
        ``FAILURE_MODES`` (index 0 is "none").
    """
    lane_columns = [f"lanes_failed_{mode}" for mode in modes[1:]]
    columns = [
        "passed",
        "engines_passed",
        "lanes_passed",
        "failure_mode",
        "heater_power_w",
        "min_margin_db",
        "lock_mode",
        "static_failure_mode",
        "lock_time_s",
        *lane_columns,
    ]
    n_dies = lanes = engines = dies = 0
    by_mode = np.zeros(len(modes), dtype=np.int64)
    lanes_by_mode = dict.fromkeys(modes[1:], 0)
    heater = ExactSum()
    margins = 0
    lock_outcomes = np.zeros((2, 2), dtype=np.int64)
    lock_times = 0
    for batch in batches(columns):
        n_dies += len(batch["passed"])
        dies += int(np.count_nonzero(batch["passed"]))
        engines += int(np.sum(batch["engines_passed"], dtype=np.int64))
        lanes += int(np.sum(batch["lanes_passed"], dtype=np.int64))
        by_mode += np.bincount(
            np.asarray(batch["failure_mode"], dtype=np.int64), minlength=len(modes)
        )
        for mode, column in zip(modes[1:], lane_columns, strict=True):
            lanes_by_mode[mode] += int(np.sum(batch[column], dtype=np.int64))
        heater.add(batch["heater_power_w"])
        margins += int(np.count_nonzero(np.isfinite(batch["min_margin_db"])))
        dynamic = np.asarray(batch["lock_mode"]) == 1
        static_pass = np.asarray(batch["static_failure_mode"])[dynamic] == 0
        dynamic_pass = np.asarray(batch["passed"])[dynamic]
        np.add.at(lock_outcomes, (static_pass.astype(int), dynamic_pass.astype(int)), 1)
        lock_times += int(np.count_nonzero(np.isfinite(batch["lock_time_s"])))
    return Totals(
        n_dies=n_dies,
        lanes_passed=lanes,
        engines_passed=engines,
        dies_passed=dies,
        dies_by_mode=by_mode,
        lanes_by_mode=lanes_by_mode,
        heater_power_sum_w=heater.value,
        heater_power_mean_w=heater.mean,
        heater_power_count=heater.count,
        median_min_margin_db=median(
            lambda: (b["min_margin_db"] for b in batches(["min_margin_db"])), margins
        ),
        dynamic_dies=int(lock_outcomes.sum()),
        lock_outcomes=lock_outcomes,
        median_lock_time_s=median(
            lambda: (b["lock_time_s"] for b in batches(["lock_time_s"])), lock_times
        ),
    )


__all__ = [
    "ExactSum",
    "Totals",
    "median",
    "reduce_table",
    "select",
]
