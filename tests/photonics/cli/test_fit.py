"""``cposim fit``: measured spectra and wafer tables in, tables, plots and TOML out."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cposim.photonics.cli.main import main
from cposim.photonics.yields.config import load_config

SPECTRA = Path(__file__).parents[2] / "reference_data" / "siepic_pcm_ring_r10_g100_te.csv"


def test_fit_spectrum_writes_the_table_and_plots(tmp_path, capsys):
    out = tmp_path / "fit"
    argv = ["fit", "spectrum", str(SPECTRA), "--power-columns", "d1750_through_dbm",
            "--ring-length-m", "6.2832e-5", "--drop-coupling", "symmetric",
            "--out-dir", str(out)]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "6 resonances in 1 traces" in printed and "Q loaded" in printed
    table = pd.read_csv(out / "resonances.csv")
    assert len(table) == 6
    assert table["group_index"].between(4.1, 4.25).all()
    for kind in ("trace", "parameters"):
        assert (out / f"d1750_through_dbm_{kind}.png").stat().st_size > 10_000


def wafer_table():
    """Two lots of three wafers, 49 rings each (a 7 × 7 grid) with random resonances."""
    grid = np.linspace(-0.04, 0.04, 7)
    gx, gy = (g.ravel() for g in np.meshgrid(grid, grid))
    n = 6
    rng = np.random.default_rng(4)
    return pd.DataFrame(
        {
            "lot": np.repeat(np.arange(n) // 3, gx.size),
            "wafer": np.repeat(np.arange(n) % 3, gx.size),
            "x_m": np.tile(gx, n),
            "y_m": np.tile(gy, n),
            "resonance_m": 1.31e-6 + 1e-9 * rng.standard_normal(gx.size * n),
        }
    )


def test_fit_wafer_writes_a_variation_section_a_config_loads(tmp_path, capsys):
    table = tmp_path / "wafer.csv"
    wafer_table().to_csv(table, index=False)
    out = tmp_path / "wafer"
    assert main(["fit", "wafer", str(table), "--n-bootstrap", "20", "--out-dir", str(out)]) == 0
    assert "calibrated" in capsys.readouterr().out
    config = tmp_path / "study.toml"
    config.write_text((out / "variation.toml").read_text())
    assert load_config(config).variation is not None
    assert len(pd.read_csv(out / "components.csv")) > 0
    for kind in ("variogram", "wafer_map", "residual_map"):
        assert (out / f"{kind}.png").stat().st_size > 10_000


@pytest.fixture
def bad_files(tmp_path):
    lam = np.arange(1540.0, 1560.0, 0.001)
    power = -10 + 0 * lam
    files = {}
    files["decreasing"] = tmp_path / "decreasing.csv"
    repeated = {
        "wavelength_nm": np.r_[lam[:10], lam[5:]],
        "power_dbm": np.r_[power[:10], power[5:]],
    }
    pd.DataFrame(repeated).to_csv(files["decreasing"], index=False)
    files["empty"] = tmp_path / "empty.csv"
    files["empty"].write_text("wavelength_nm,power_dbm\n")
    files["nan"] = tmp_path / "nan.csv"
    with_nan = power.copy()
    with_nan[7] = np.nan
    pd.DataFrame({"wavelength_nm": lam, "power_dbm": with_nan}).to_csv(files["nan"], index=False)
    files["no dip"] = tmp_path / "flat.csv"
    pd.DataFrame({"wavelength_nm": lam, "power_dbm": power}).to_csv(files["no dip"], index=False)
    return files


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("decreasing", "wavelength_nm"),
        ("empty", "empty"),
        ("nan", "power_dbm"),
        ("no dip", "no resonance"),
        ("missing", "does not exist"),
    ],
)
def test_bad_spectra_are_one_line_and_status_2(bad_files, tmp_path, case, message):
    path = bad_files.get(case, tmp_path / "missing.csv")
    result = subprocess.run(
        [sys.executable, "-m", "cposim.photonics.cli", "fit", "spectrum", str(path),
         "--out-dir", str(tmp_path / "out")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_bad_option_and_wafer_column_are_status_2(tmp_path, capsys):
    assert main(["fit", "spectrum", str(SPECTRA), "--drop-coupling", "wide"]) == 2
    assert "--drop-coupling" in capsys.readouterr().err
    table = tmp_path / "wafer.csv"
    wafer_table().drop(columns="resonance_m").to_csv(table, index=False)
    assert main(["fit", "wafer", str(table), "--out-dir", str(tmp_path / "w")]) == 2
    assert "resonance_m" in capsys.readouterr().err
