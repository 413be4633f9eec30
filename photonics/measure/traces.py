"""Measured transmission traces: read from CSV, TSV or Parquet, units detected and stated.

A file holds one or several traces, either *wide* (one wavelength column and one power column
per device) or *long* (a device-id column, a wavelength column and a power column). Units come
from the column name when it carries one (``wavelength_nm``, ``power (dBm)``, ``T_lin``), else
from the values, and every :class:`SpectrumTrace` records which it used:

- wavelength: metres, micrometres or nanometres (by magnitude: 0.1-100 µm, 100-10^5 nm);
- power: logarithmic (dB or dBm) when any value is negative or the name says so, else linear
  (mW, W or a ratio: an overall scale, which the baseline removes, so they fit alike).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cposim.control.core.validation import check_choice
from cposim.photonics.units import db_to_linear, linear_to_db

WAVELENGTH_UNITS = {"m": 1.0, "um": 1e-6, "nm": 1e-9}
"""Wavelength units a trace can be given in, with their size in metres."""

POWER_UNITS = ("dB", "dBm", "mW", "W", "linear")
"""Power units a trace can be given in (dB and dBm are logarithmic, the rest linear)."""

_LOG_UNITS = ("dB", "dBm")
_WAVELENGTH_ALIASES = {"m": "m", "um": "um", "micron": "um", "nm": "nm"}
_POWER_ALIASES = {
    "db": "dB",
    "dbm": "dBm",
    "mw": "mW",
    "w": "W",
    "lin": "linear",
    "linear": "linear",
}
_WAVELENGTH_NAMES = ("wavelength", "lambda", "wl", "wavelen")
_DEVICE_NAMES = ("device", "device_id", "ring", "id", "trace")
_MIN_POINTS = 16


@dataclass(frozen=True)
class SpectrumTrace:
    """One measured transmission trace on a strictly increasing wavelength axis.

    Parameters
    ----------
    wavelength_m : ndarray
        Wavelengths in metres, strictly increasing.
    transmission : ndarray
        Power transmission on a linear scale (any overall scale: coupler loss, laser power).
    name : str
        Device or column name.
    wavelength_unit, power_unit : str
        The units the file used (from :data:`WAVELENGTH_UNITS`, :data:`POWER_UNITS`).
    """

    wavelength_m: np.ndarray
    transmission: np.ndarray
    name: str = "trace"
    wavelength_unit: str = "m"
    power_unit: str = "linear"

    def __post_init__(self):
        lam = np.asarray(self.wavelength_m, dtype=float)
        power = np.asarray(self.transmission, dtype=float)
        if lam.ndim != 1 or lam.shape != power.shape:
            raise ValueError(
                f"trace {self.name!r}: wavelength_m and transmission must be 1-D of one length, "
                f"got shapes {lam.shape} and {power.shape}"
            )
        if lam.size < _MIN_POINTS:
            raise ValueError(
                f"trace {self.name!r}: {lam.size} points; a trace needs >= {_MIN_POINTS}"
            )
        _check_finite(self.name, "wavelength", lam)
        _check_finite(self.name, "power", power)
        if not np.all(np.diff(lam) > 0):
            row = int(np.flatnonzero(np.diff(lam) <= 0)[0]) + 1
            raise ValueError(
                f"trace {self.name!r}: wavelength must increase strictly; it does not at "
                f"row {row} ({lam[row - 1]!r} then {lam[row]!r} m)"
            )
        if not (1e-7 <= lam[0] and lam[-1] <= 1e-4):
            raise ValueError(
                f"trace {self.name!r}: wavelengths {lam[0]:.4g}..{lam[-1]:.4g} m are outside "
                "[1e-7, 1e-4] m; give wavelength_unit"
            )
        if not np.all(power > 0):
            raise ValueError(
                f"trace {self.name!r}: linear power must be > 0 (a dB trace read as linear? "
                "give power_unit)"
            )
        object.__setattr__(self, "wavelength_m", lam)
        object.__setattr__(self, "transmission", power)

    @property
    def transmission_db(self) -> np.ndarray:
        """The trace in dB (relative to the file's own power unit)."""
        return linear_to_db(self.transmission)

    @property
    def step_m(self) -> float:
        """Median wavelength step, metres."""
        return float(np.median(np.diff(self.wavelength_m)))

    @classmethod
    def from_arrays(
        cls, wavelength, power, *, name="trace", wavelength_unit="auto", power_unit="auto"
    ) -> SpectrumTrace:
        """A trace from arrays in any supported unit (sorted to increasing wavelength).

        Parameters
        ----------
        wavelength, power : array_like
            The two columns as measured.
        name : str
            Device name.
        wavelength_unit : {"auto", "m", "um", "nm"}
            Unit of ``wavelength``; "auto" detects it from the magnitude.
        power_unit : {"auto", "dB", "dBm", "mW", "W", "linear"}
            Unit of ``power``; "auto" reads negative values as dB, else linear.
        """
        lam = np.asarray(wavelength, dtype=float)
        power = np.asarray(power, dtype=float)
        _check_finite(name, "wavelength", lam)
        _check_finite(name, "power", power)
        lam_unit = _wavelength_unit(name, lam, wavelength_unit)
        p_unit = _power_unit(power, power_unit)
        lam = lam * WAVELENGTH_UNITS[lam_unit]
        linear = db_to_linear(power) if p_unit in _LOG_UNITS else power
        if lam.size > 1 and np.all(np.diff(lam) < 0):
            lam, linear = lam[::-1], linear[::-1]
        return cls(lam, linear, name=str(name), wavelength_unit=lam_unit, power_unit=p_unit)


def read_spectra(
    path,
    *,
    wavelength_column: str | None = None,
    power_columns=None,
    device_column: str | None = None,
    wavelength_unit: str = "auto",
    power_unit: str = "auto",
) -> tuple[SpectrumTrace, ...]:
    """Read every trace of a CSV, TSV or Parquet file.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.tsv``/``.txt`` (tab or whitespace separated) or ``.parquet`` file with a
        header row.
    wavelength_column : str, optional
        Name of the wavelength column; default the first whose name starts with
        "wavelength", "lambda" or "wl".
    power_columns : sequence of str, optional
        Power columns (wide format); default every other numeric column.
    device_column : str, optional
        Device-id column of a long-format file; default a column named "device", "ring", "id"
        or "trace" if there is one.
    wavelength_unit, power_unit : str
        As :meth:`SpectrumTrace.from_arrays`; "auto" first reads a unit in the column name.

    Returns
    -------
    tuple of SpectrumTrace
        One per device, in file order.
    """
    table = _read_table(Path(path))
    lam_col = wavelength_column or _find_column(table, _WAVELENGTH_NAMES, "wavelength", path)
    _require_columns(table, [lam_col], path)
    if device_column is None:
        device_column = next((c for c in table.columns if c.lower() in _DEVICE_NAMES), None)
    if device_column is not None:
        _require_columns(table, [device_column], path)
        others = [c for c in table.columns if c not in (lam_col, device_column)]
        columns = list(power_columns or others[:1])
        _require_columns(table, columns, path)
        groups = table.groupby(device_column, sort=False)
        pieces = [(str(key), part[lam_col], part[columns[0]]) for key, part in groups]
        power_name = columns[0]
    else:
        columns = list(power_columns or [c for c in table.columns if c != lam_col])
        _require_columns(table, columns, path)
        pieces = [(str(c), table[lam_col], table[c]) for c in columns]
        power_name = None
    traces = []
    for name, lam, power in pieces:
        column = power_name or name
        _check_monotonic(lam, lam_col, path)
        traces.append(
            SpectrumTrace.from_arrays(
                _numeric(lam, lam_col, path),
                _numeric(power, column, path),
                name=name,
                wavelength_unit=_unit_from_name(lam_col, _WAVELENGTH_ALIASES, wavelength_unit),
                power_unit=_unit_from_name(column, _POWER_ALIASES, power_unit),
            )
        )
    return tuple(traces)


def _check_monotonic(lam: pd.Series, column: str, path) -> None:
    """A sweep may run either way but must not turn back (``lam`` holds the file's rows)."""
    step = np.diff(pd.to_numeric(lam, errors="coerce").to_numpy(dtype=float))
    step = step[np.isfinite(step)]
    if step.size and not (np.all(step > 0) or np.all(step < 0)):
        rising = np.median(step) > 0
        bad = int(np.flatnonzero(step <= 0 if rising else step >= 0)[0])
        row = int(lam.index[bad + 1]) + 2  # 1-based file line, after the header
        raise ValueError(
            f"spectrum file {str(path)!r}: column {column!r} is not monotonic "
            f"(it turns back at line {row}); one sweep per trace, sorted by wavelength"
        )


def _read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ValueError(f"spectrum file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            table = pd.read_parquet(path)
        elif suffix == ".csv":
            table = pd.read_csv(path, comment="#")
        else:
            table = pd.read_csv(path, sep=None, engine="python", comment="#")
    except pd.errors.EmptyDataError:
        raise ValueError(f"spectrum file {str(path)!r} is empty") from None
    if table.empty or table.shape[1] < 2:
        raise ValueError(
            f"spectrum file {str(path)!r} has {table.shape[0]} rows and {table.shape[1]} "
            "columns; it needs a header, a wavelength column and at least one power column"
        )
    table.columns = [str(c).strip() for c in table.columns]
    return table


def _find_column(table, prefixes, what, path) -> str:
    for column in table.columns:
        if column.lower().startswith(prefixes):
            return column
    raise ValueError(
        f"spectrum file {str(path)!r}: no {what} column (names starting with "
        f"{', '.join(prefixes)}) among {list(table.columns)}; give wavelength_column"
    )


def _require_columns(table, columns, path):
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(
            f"spectrum file {str(path)!r}: no column {missing[0]!r}; columns are "
            f"{list(table.columns)}"
        )


def _numeric(series, column, path) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"spectrum file {str(path)!r}: column {column!r} has a missing or non-numeric "
            f"value at data row {row} ({series.iloc[row]!r}); remove or fill it"
        )
    return values


def _unit_from_name(column: str, aliases: dict, given: str) -> str:
    """The unit a column name ends with (``wavelength_nm``, ``power (dBm)``), else ``given``."""
    if given != "auto":
        return given
    for token in reversed(re.split(r"[^A-Za-z]+", column)):
        if token.lower() in aliases:
            return aliases[token.lower()]
    return "auto"


def _wavelength_unit(name, lam, unit) -> str:
    if unit != "auto":
        return check_choice("wavelength_unit", unit, WAVELENGTH_UNITS)
    typical = float(np.median(np.abs(lam))) if lam.size else 0.0
    for candidate, (low, high) in (("nm", (100.0, 1e5)), ("um", (0.1, 100.0))):
        if low <= typical <= high:
            return candidate
    if 1e-7 <= typical <= 1e-4:
        return "m"
    raise ValueError(
        f"trace {name!r}: wavelength values near {typical:.4g} are none of m (1e-7..1e-4), "
        "um (0.1..100) or nm (100..1e5); give wavelength_unit"
    )


def _power_unit(power, unit) -> str:
    if unit != "auto":
        return check_choice("power_unit", unit, POWER_UNITS)
    return "dB" if np.any(power < 0) else "linear"


def _check_finite(name, what, values):
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(
            f"trace {name!r}: {what} has a NaN or infinite value at row "
            f"{int(np.flatnonzero(bad)[0])}; remove or fill it"
        )


__all__ = [
    "POWER_UNITS",
    "WAVELENGTH_UNITS",
    "SpectrumTrace",
    "read_spectra",
]
