"""Batch yield runs: identical Parquet contents across backends, chunking and a SIGKILL, in
the static lock mode and in the dynamic one (on a stratified half of the dies)."""

import json
import os
import signal
import subprocess
import sys
import time
import warnings

import pytest

from cposim.photonics.fab.wafer import Wafer
from cposim.photonics.runtime import batch
from cposim.photonics.runtime.toml import to_toml
from cposim.photonics.yields.config import RunSettings, YieldConfig
from cposim.photonics.yields.run import load_study, resume_study, run_study, simulate, write_report


def config(n_wafers=4, wafers_per_chunk=1, lock="static"):
    return YieldConfig().with_changes(
        {
            "wafer": Wafer(diameter_m=0.1, edge_exclusion_m=3e-3),
            "run": RunSettings(seed=7, n_wafers=n_wafers, wafers_per_chunk=wafers_per_chunk),
            "lock.mode": lock,
            "dynamic.fraction": 0.5,
        }
    )


def parquet_table(directory):
    """The run's rows as a DataFrame (pandas compares NaN equal; Arrow's equals does not)."""
    return batch.RunDirectory(directory).read_table().to_pandas()


@pytest.fixture(scope="module", params=["static", "dynamic"])
def lock(request):
    return request.param


@pytest.fixture(scope="module")
def reference(tmp_path_factory, lock):
    directory = tmp_path_factory.mktemp("reference")
    run_study(config(lock=lock), directory, progress=False)
    return parquet_table(directory)


def test_in_memory_result_equals_stored_run(reference, lock):
    assert simulate(config(lock=lock)).table.equals(reference)
    assert (reference["lock_mode"] == 1).any() == (lock == "dynamic")


def test_chunk_size_does_not_change_results(tmp_path, reference, lock):
    run_study(config(wafers_per_chunk=3, lock=lock), tmp_path, progress=False)
    assert parquet_table(tmp_path).equals(reference)


def test_local_worker_processes_give_identical_results(tmp_path, reference, lock):
    run_study(config(lock=lock), tmp_path, workers=2, progress=False)
    assert parquet_table(tmp_path).equals(reference)


def test_dask_cluster_gives_identical_results(tmp_path, reference, lock):
    distributed = pytest.importorskip("dask.distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dask's own start-up chatter is not under test
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            run_study(
                config(lock=lock), tmp_path, scheduler=cluster.scheduler_address, progress=False
            )
    assert parquet_table(tmp_path).equals(reference)


def test_run_killed_with_sigkill_resumes_to_identical_results(tmp_path):
    study = config(n_wafers=10)  # long enough that the kill lands mid-run
    config_file = tmp_path / "study.toml"
    config_file.write_text(to_toml(study))
    out = tmp_path / "run"
    log = tmp_path / "stderr.txt"
    command = [
        sys.executable,
        "-m",
        "cposim.photonics.cli",
        "yield",
        "run",
        str(config_file),
        "--out",
        str(out),
        "--no-progress",
    ]
    with open(log, "wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    manifest = out / "manifest.json"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if manifest.exists() and json.loads(manifest.read_text())["parts"]:
            break
        if process.poll() is not None:
            pytest.fail(f"run ended before it could be killed: {log.read_text()}")
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finished = json.loads(manifest.read_text())["parts"]
    assert 1 <= len(finished) < 10, "the kill must land mid-run"
    kept = {k: (out / v["file"]).stat().st_mtime_ns for k, v in finished.items()}
    resume_study(out, progress=False)
    assert parquet_table(out).equals(simulate(study).table)
    assert all(
        (out / f"parts/chunk-{int(k):06d}.parquet").stat().st_mtime_ns == t for k, t in kept.items()
    ), "verified parts must not be recomputed"


def test_stop_and_resume_in_process(tmp_path, reference, lock):
    assert run_study(config(lock=lock), tmp_path, progress=False, stop_after_chunks=2) is None
    result = resume_study(tmp_path, progress=False)
    assert parquet_table(tmp_path).equals(reference)
    assert result.n_dies == len(reference)


def test_load_study_round_trips_config(tmp_path):
    run_study(config(n_wafers=1), tmp_path, progress=False)
    assert load_study(tmp_path).config == config(n_wafers=1)


def test_write_report_leaves_the_matplotlib_backend_alone(tmp_path):
    """A notebook calling write_report keeps its inline backend (svg stands in for it here)."""
    import matplotlib

    result = simulate(config(n_wafers=1))
    before = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        written = write_report(result, tmp_path)
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)
    assert {p.name for p in written} >= {"summary.json", "summary.txt", "pareto.png"}
    assert all(p.stat().st_size > 0 for p in written)
