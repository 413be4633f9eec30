"""Input checks shared by every parameter object in cposim.

Each check raises :class:`ValueError` whose message names the field, shows the offending value and
states the allowed range, e.g. ``radius_m = -1e-06 is out of range: must be > 0``. Checks accept
scalars and arrays; for arrays the message shows the first offending element and its index.
"""

from __future__ import annotations

import numpy as np


def as_float_array(name: str, value) -> np.ndarray:
    """Convert ``value`` to a float64 array, rejecting NaN and non-numeric input.

    Parameters
    ----------
    name : str
        Field name used in the error message.
    value : float or array_like
        The value to convert.
    """
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {value!r} is not a number or an array of numbers") from None
    if np.isnan(array).any():
        index = _first_index(np.isnan(array))
        raise ValueError(f"{name} contains NaN{index}; every value must be a finite number")
    return array


def check_range(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    allow_inf: bool = False,
) -> np.ndarray:
    """Check that every element of ``value`` lies in the stated interval and return it as float64.

    Parameters
    ----------
    name : str
        Field name used in the error message.
    value : float or array_like
        The value to check.
    low, high : float, optional
        Interval bounds in the field's own unit; ``None`` means unbounded.
    low_inclusive, high_inclusive : bool
        Whether each bound itself is allowed.
    allow_inf : bool
        Whether ±inf is acceptable (it still has to satisfy the bounds).
    """
    if _within(value, low, high, low_inclusive, high_inclusive, allow_inf):
        return np.asarray(value, dtype=np.float64)
    array = as_float_array(name, value)
    if not allow_inf and np.isinf(array).any():
        index = _first_index(np.isinf(array))
        raise ValueError(f"{name} contains an infinite value{index}; it must be finite")
    bad = np.zeros(array.shape, dtype=bool)
    if low is not None:
        bad |= array < low if low_inclusive else array <= low
    if high is not None:
        bad |= array > high if high_inclusive else array >= high
    if bad.any():
        offending = float(array[bad].flat[0]) if array.ndim else float(array)
        raise ValueError(
            f"{name} = {offending!r}{_first_index(bad)} is out of range: must be "
            f"{describe_interval(low, high, low_inclusive, high_inclusive)}"
        )
    return array


def _within(value, low, high, low_inclusive, high_inclusive, allow_inf) -> bool:
    """Fast path of :func:`check_range` for float arrays: True when every element passes.

    Two reductions (NaN propagates through ``min``/``max``) instead of a temporary mask per
    condition, which matters for per-lane arrays of 10^6 values; anything else (other input, a
    failure) takes the full check, which also locates the offending element for the message.
    """
    if not (isinstance(value, np.ndarray) and value.dtype == np.float64 and value.size):
        return False
    lo, hi = float(value.min()), float(value.max())
    if lo != lo or hi != hi or (not allow_inf and (lo == -np.inf or hi == np.inf)):
        return False
    return extremes_within(
        lo, hi, low=low, high=high, low_inclusive=low_inclusive, high_inclusive=high_inclusive
    )


def extremes_within(
    lo: float,
    hi: float,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> bool:
    """Whether values whose smallest is ``lo`` and largest ``hi`` all satisfy the bounds
    (False when either is NaN); the cheap test before :func:`check_range`'s full check.

    Parameters
    ----------
    lo, hi : float
        Smallest and largest value, in the field's own unit.
    low, high : float, optional
        Interval bounds in the same unit; ``None`` means unbounded.
    low_inclusive, high_inclusive : bool
        Whether each bound itself is allowed.
    """
    if low is not None and not (lo >= low if low_inclusive else lo > low):
        return False
    return high is None or (hi <= high if high_inclusive else hi < high)


def describe_interval(
    low: float | None, high: float | None, low_inclusive: bool, high_inclusive: bool
) -> str:
    """Human-readable form of an interval, e.g. ``'> 0 and < 1'``.

    Parameters
    ----------
    low, high : float or None
        Bounds in the field's own unit; ``None`` means unbounded.
    low_inclusive, high_inclusive : bool
        Whether each bound itself is allowed.
    """
    parts = []
    if low is not None:
        parts.append(f"{'>=' if low_inclusive else '>'} {low:g}")
    if high is not None:
        parts.append(f"{'<=' if high_inclusive else '<'} {high:g}")
    return " and ".join(parts) if parts else "any finite number"


def check_integer(name: str, value, *, low: int) -> int:
    """Check that ``value`` is a whole number (int or NumPy integer, not bool) ≥ ``low``.

    Parameters
    ----------
    name : str
        Field name used in the error message.
    value : int
        The value to check.
    low : int
        Smallest allowed value.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"{name} = {value!r} must be an integer >= {low}")
    return int(value)


def check_choice(name: str, value, allowed) -> str:
    """Check that ``value`` is one of ``allowed`` (strings) and return it.

    Parameters
    ----------
    name : str
        Field name used in the error message.
    value : str
        The value to check.
    allowed : iterable of str
        The permitted values.
    """
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} = {value!r} is not allowed; choose one of {', '.join(allowed)}")
    return value


def broadcast_fields(fields: dict[str, np.ndarray]) -> tuple[int, ...]:
    """Common broadcast shape of named arrays, or a ValueError naming the clashing fields.

    Parameters
    ----------
    fields : dict of str to ndarray
        Field name to value.
    """
    shape: tuple[int, ...] = ()
    owner = None
    for name, array in fields.items():
        try:
            shape = np.broadcast_shapes(shape, np.shape(array))
        except ValueError:
            raise ValueError(
                f"{name} has shape {np.shape(array)}, which does not broadcast with "
                f"{owner} (broadcast shape so far {shape}); array-valued fields must share a "
                "NumPy-broadcastable shape"
            ) from None
        if np.ndim(array):
            owner = owner or name
    return shape


def _first_index(mask: np.ndarray) -> str:
    if mask.ndim == 0:
        return ""
    return f" (first at index {tuple(int(i) for i in np.argwhere(mask)[0])})"


__all__ = [
    "as_float_array",
    "broadcast_fields",
    "check_choice",
    "check_integer",
    "check_range",
    "describe_interval",
    "extremes_within",
]
