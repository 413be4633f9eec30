"""``cposim yield``: presets, show-config, run/report output, and one-line errors."""

import subprocess
import sys
import tomllib

from cposim.photonics.cli.main import main
from cposim.photonics.runtime.toml import from_mapping
from cposim.photonics.yields.config import YieldConfig, preset, preset_names


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "cposim.photonics.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_presets_exist_and_show_config_round_trips(capsys):
    assert {"default", "wdm-8x200g"} <= set(preset_names())
    assert main(["yield", "presets"]) == 0
    assert "wdm-8x200g" in capsys.readouterr().out
    for name in preset_names():
        assert main(["yield", "show-config", name]) == 0
        text = capsys.readouterr().out
        assert from_mapping(YieldConfig, tomllib.loads(text)) == preset(name)


def test_run_prints_summary_and_writes_parquet_and_plots(tmp_path, capsys):
    config_file = tmp_path / "small.toml"
    text = (main(["yield", "show-config", "default"]) and "") or capsys.readouterr().out
    config_file.write_text(text.replace("diameter_m = 0.3", "diameter_m = 0.1"))
    out = tmp_path / "run"
    assert (
        main(
            ["yield", "run", str(config_file), "--out", str(out), "--wafers", "1", "--no-progress"]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "die     yield" in printed and "failure modes" in printed
    for name in ("manifest.json", "config.toml", "summary.json", "pareto.png", "wafer_map.png"):
        assert (out / name).is_file()
    assert list((out / "parts").glob("chunk-*.parquet"))
    assert main(["yield", "report", str(out)]) == 0
    assert "lane    yield" in capsys.readouterr().out


def test_unknown_key_is_one_line_exit_2_and_nothing_written(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[tuning]\nmax_heater_power = 0.03\n")
    out = tmp_path / "run"
    result = cli("yield", "run", str(bad), "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "unknown key 'tuning.max_heater_power'" in result.stderr
    assert not out.exists()


def test_out_of_range_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[tuning]\nmax_heater_power_w = -0.03\n")
    result = cli("yield", "run", str(bad), "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    assert "tuning: max_heater_power_w = -0.03 is out of range" in result.stderr
    result = cli("yield", "run", str(tmp_path / "missing.toml"))
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_resume_refuses_an_edited_config(tmp_path, capsys):
    config_file = tmp_path / "small.toml"
    main(["yield", "show-config", "default"])
    config_file.write_text(capsys.readouterr().out.replace("diameter_m = 0.3", "diameter_m = 0.1"))
    out = tmp_path / "run"
    assert (
        main(
            ["yield", "run", str(config_file), "--out", str(out), "--wafers", "1", "--no-progress"]
        )
        == 0
    )
    before = {p.name: p.read_bytes() for p in (out / "parts").iterdir()}
    stored = out / "config.toml"
    stored.write_text(stored.read_text().replace("seed = 1", "seed = 2"))
    result = cli("yield", "resume", str(out))
    assert result.returncode == 2 and "was changed since the run started" in result.stderr
    assert {p.name: p.read_bytes() for p in (out / "parts").iterdir()} == before
