"""The command line: main job runs, bad input gives one line and exit status 2."""

import subprocess
import sys

from cposim.photonics.cli.main import main


def test_ring_demo_prints_metrics_and_writes_plot(tmp_path, capsys):
    out = tmp_path / "spectrum.png"
    assert main(["ring", "demo", "--out", str(out), "--radius-m", "5e-6"]) == 0
    printed = capsys.readouterr().out
    assert "loaded Q" in printed and "free spectral range" in printed
    assert out.stat().st_size > 10_000


def test_bad_value_is_one_line_and_status_2():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cposim.photonics.cli",
            "ring",
            "demo",
            "--power-coupling-in",
            "1.5",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "power_coupling_in = 1.5 is out of range" in result.stderr
    assert "Traceback" not in result.stderr
