"""Reading traces: wide and long files, units from names and values, and clear errors."""

import numpy as np
import pandas as pd
import pytest

from cposim.photonics.measure import SpectrumTrace, read_spectra


def _lam_nm():
    return np.linspace(1540.0, 1560.0, 101)


def test_wide_csv_units_from_names(tmp_path):
    lam = _lam_nm()
    path = tmp_path / "wide.csv"
    pd.DataFrame(
        {"wavelength_nm": lam, "ring_a (dBm)": -10 - 0.01 * lam, "ring_b_mW": 0.5 + 0 * lam}
    ).to_csv(path, index=False)
    a, b = read_spectra(path)
    assert (a.name, a.wavelength_unit, a.power_unit) == ("ring_a (dBm)", "nm", "dBm")
    assert (b.name, b.power_unit) == ("ring_b_mW", "mW")
    np.testing.assert_allclose(a.wavelength_m, lam * 1e-9, rtol=1e-15)
    np.testing.assert_allclose(a.transmission_db, -10 - 0.01 * lam, rtol=1e-12)
    np.testing.assert_allclose(b.transmission, 0.5)


def test_long_tsv_and_parquet_units_from_values(tmp_path):
    lam = _lam_nm() * 1e-3  # micrometres, no unit in the name
    table = pd.DataFrame(
        {
            "device": np.repeat(["r1", "r2"], lam.size),
            "lambda": np.tile(lam, 2),
            "power": np.tile(-3.0 - lam, 2),
        }
    )
    table.to_csv(tmp_path / "long.tsv", sep="\t", index=False)
    table.to_parquet(tmp_path / "long.parquet")
    for name in ("long.tsv", "long.parquet"):
        r1, r2 = read_spectra(tmp_path / name)
        assert (r1.name, r2.name) == ("r1", "r2")
        assert (r1.wavelength_unit, r1.power_unit) == ("um", "dB")
        np.testing.assert_allclose(r2.wavelength_m, lam * 1e-6)


def test_decreasing_sweep_is_reversed():
    lam = _lam_nm()[::-1]
    trace = SpectrumTrace.from_arrays(lam, np.linspace(0.1, 0.2, lam.size))
    assert np.all(np.diff(trace.wavelength_m) > 0)
    assert trace.transmission[0] == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            pd.DataFrame({"wavelength_nm": [1550.0, 1549.0, 1551.0] * 6, "p": 1.0}),
            "wavelength_nm.*not monotonic",
        ),
        (
            pd.DataFrame({"wavelength_nm": np.arange(20.0) + 1540, "p": [1.0] * 5 + [np.nan] * 15}),
            "column 'p'",
        ),
        (pd.DataFrame({"wavelength_nm": np.arange(5.0) + 1540, "p": 1.0}), "needs >= 16"),
        (pd.DataFrame({"freq": np.arange(20.0), "p": 1.0}), "no wavelength column"),
        (
            pd.DataFrame({"wavelength": np.arange(20.0) * 1e4 + 1e6, "p": 1.0}),
            "give wavelength_unit",
        ),
    ],
)
def test_bad_files_name_the_problem(tmp_path, table, message):
    path = tmp_path / "bad.csv"
    table.to_csv(path, index=False)
    with pytest.raises(ValueError, match=message):
        read_spectra(path)


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="is empty"):
        read_spectra(tmp_path / "empty.csv")
    with pytest.raises(ValueError, match="does not exist"):
        read_spectra(tmp_path / "nothing.csv")
    with pytest.raises(ValueError, match="no column 'q'"):
        pd.DataFrame({"wavelength_nm": _lam_nm(), "p": 1.0}).to_csv(tmp_path / "x.csv", index=False)
        read_spectra(tmp_path / "x.csv", power_columns=["q"])
