"""check_range: the min/max fast path for float arrays returns the input and keeps the messages;
extremes_within, the bounds test it shares with the lane kernel's post-check."""

import numpy as np
import pytest

from cposim.control.core.validation import check_range, extremes_within


def test_check_range_fast_path_returns_the_array_itself():
    values = np.linspace(0.0, 1.0, 10_000)
    assert check_range("x", values, low=0.0, high=1.0) is values
    assert check_range("x", np.array([np.inf, 1.0]), low=0.0, allow_inf=True)[0] == np.inf


@pytest.mark.parametrize(
    ("bad", "kwargs", "message"),
    [
        (np.nan, {"low": 0.0}, r"x contains NaN \(first at index \(7,\)\)"),
        (np.inf, {"low": 0.0}, r"x contains an infinite value \(first at index \(7,\)\)"),
        (-1.0, {"low": 0.0}, r"x = -1.0 \(first at index \(7,\)\) is out of range: must be >= 0"),
        (0.0, {"low": 0.0, "low_inclusive": False}, r"x = 0.0 \(first at index \(7,\)\)"),
        (2.0, {"high": 1.0}, r"x = 2.0 \(first at index \(7,\)\) is out of range: must be <= 1"),
        (1.0, {"high": 1.0, "high_inclusive": False}, r"must be < 1"),
    ],
)
def test_check_range_large_arrays_name_the_first_offender(bad, kwargs, message):
    values = np.full(10_000, 0.5)
    values[[7, 9000]] = bad
    with pytest.raises(ValueError, match=message):
        check_range("x", values, **kwargs)


@pytest.mark.parametrize(
    ("lo", "hi", "kwargs", "expected"),
    [
        (0.0, 1.0, {"low": 0.0, "high": 1.0}, True),
        (0.0, 1.0, {"low": 0.0, "low_inclusive": False}, False),
        (0.0, 1.0, {"high": 1.0, "high_inclusive": False}, False),
        (-5.0, 5.0, {}, True),
        (np.nan, 1.0, {"low": 0.0}, False),
        (0.0, np.nan, {"high": 1.0}, False),
    ],
)
def test_extremes_within_decides_from_min_and_max(lo, hi, kwargs, expected):
    assert extremes_within(lo, hi, **kwargs) is expected
