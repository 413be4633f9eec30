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


def test_version():
    result = subprocess.run(
        [sys.executable, "-m", "cposim.photonics.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.startswith("cposim ")


def test_output_into_a_closed_pipe_ends_quietly():
    """``cposim ... | head`` where head has gone: no BrokenPipeError traceback, status 141."""
    from cposim.photonics.cli.main import BROKEN_PIPE_STATUS

    process = subprocess.Popen(
        [sys.executable, "-m", "cposim.photonics.cli", "yield", "show-config", "default"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # the reader is gone before the first line is written
    _, err = process.communicate(timeout=120)
    assert process.returncode == BROKEN_PIPE_STATUS
    assert b"Traceback" not in err and b"BrokenPipe" not in err


def test_a_full_disk_is_one_line_and_status_2(monkeypatch, capsys):
    """An OSError from a write (ENOSPC) is reported like bad input: one line, status 2."""
    import argparse
    import errno

    from cposim.photonics.cli import main as cli

    def full(args):
        raise OSError(errno.ENOSPC, "No space left on device")

    class Parser:
        def parse_args(self, argv):
            return argparse.Namespace(handler=full)

    monkeypatch.setattr(cli, "build_parser", Parser)
    assert main(["anything"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cposim: error: ") and "No space left" in err
    assert err.strip().count("\n") == 0
