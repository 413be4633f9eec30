"""Run directories: atomic parts, checksums, resume, refusal of a changed configuration.

Backend equivalence (processes, Dask) and SIGKILL interruption are tested end to end with the
real yield pipeline in ``test_yield_engine.py``; here a small deterministic function stands in.
"""

from dataclasses import dataclass

import numpy as np
import pytest

from cposim.photonics.runtime import batch
from cposim.photonics.runtime.toml import ConfigError, config_hash, to_toml


@dataclass(frozen=True, kw_only=True)
class ToyConfig:
    seed: int = 5
    n_wafers: int = 7


def toy_chunk(config, wafer_indices):
    rows = []
    for wafer in wafer_indices:
        rng = np.random.default_rng(np.random.SeedSequence((config.seed, int(wafer))))
        rows.append(np.column_stack([np.full(3, wafer), np.arange(3), rng.normal(size=3)]))
    table = np.concatenate(rows)
    return {
        "wafer": table[:, 0].astype(np.int64),
        "die": table[:, 1].astype(np.int64),
        "value": table[:, 2],
    }


def start(path, config, wafers_per_chunk):
    run = batch.RunDirectory(path)
    manifest = run.create(
        config_text=to_toml(config),
        config_sha256=config_hash(config),
        chunks=batch.plan_chunks(config.n_wafers, wafers_per_chunk),
        seed=config.seed,
    )
    return run, manifest


def test_plan_chunks_covers_every_wafer_once():
    chunks = batch.plan_chunks(10, 3)
    assert [c.n_wafers for c in chunks] == [3, 3, 3, 1]
    assert np.array_equal(np.concatenate([c.wafer_indices for c in chunks]), np.arange(10))
    with pytest.raises(ValueError, match="wafers_per_chunk = 0"):
        batch.plan_chunks(10, 0)


def test_result_is_independent_of_chunking(tmp_path):
    config = ToyConfig()
    tables = []
    for size in (1, 3, 7):
        run, manifest = start(tmp_path / f"run{size}", config, size)
        batch.execute(run, manifest, toy_chunk, config, progress=False, rows_per_wafer=3)
        tables.append(run.read_table())
    assert tables[0].equals(tables[1]) and tables[0].equals(tables[2])
    assert tables[0].num_rows == 21


def test_interrupted_run_resumes_and_recomputes_damaged_parts(tmp_path):
    config = ToyConfig()
    reference_run, manifest = start(tmp_path / "reference", config, 2)
    batch.execute(reference_run, manifest, toy_chunk, config, progress=False)
    reference = reference_run.read_table()

    run, manifest = start(tmp_path / "run", config, 2)
    batch.execute(run, manifest, toy_chunk, config, progress=False, stop_after_chunks=2)
    assert sorted(run.read_manifest()["parts"]) == ["0", "1"]
    first_part = run.path / "parts/chunk-000000.parquet"
    mtime = first_part.stat().st_mtime_ns
    damaged = run.path / "parts/chunk-000001.parquet"
    damaged.write_bytes(damaged.read_bytes()[:100])  # truncated by a crash or a bad disk

    manifest = run.read_manifest()
    run.check_config_unchanged(manifest)
    assert run.verified_chunks(manifest) == {0}
    batch.execute(run, manifest, toy_chunk, config, progress=False)
    assert first_part.stat().st_mtime_ns == mtime  # verified part was not recomputed
    assert run.read_table().equals(reference)


def test_changed_config_is_refused_and_nothing_overwritten(tmp_path):
    run, manifest = start(tmp_path / "run", ToyConfig(), 2)
    batch.execute(run, manifest, toy_chunk, ToyConfig(), progress=False)
    before = {p.name: p.read_bytes() for p in (run.path / "parts").iterdir()}
    with pytest.raises(ConfigError, match="different configuration"):
        start(tmp_path / "run", ToyConfig(seed=6), 2)
    config_file = run.path / "config.toml"
    config_file.write_text(config_file.read_text().replace("seed = 5", "seed = 9"))
    with pytest.raises(ConfigError, match="was changed since the run started"):
        run.check_config_unchanged(run.read_manifest())
    assert {p.name: p.read_bytes() for p in (run.path / "parts").iterdir()} == before


def test_non_run_directory_is_refused(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not empty but holds no cposim run"):
        start(tmp_path, ToyConfig(), 2)
    with pytest.raises(ConfigError, match="holds no cposim run"):
        batch.RunDirectory(tmp_path).read_manifest()
    assert (tmp_path / "precious.txt").read_text() == "keep me"


# ------------------------------------------------------------------------ hardening
HOLD_LOCK = """
import sys
from cposim.photonics.runtime import batch
with batch.RunDirectory(sys.argv[1]).writing():
    print("locked", flush=True)
    sys.stdin.read()  # until the test closes our stdin
"""


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path):
    """Two processes never write one run directory: the second gets a one-line error at once,
    and once the first is done the directory can be written again."""
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tmp_path / "run")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigError, match="another cposim process is writing") as info:
            with batch.RunDirectory(tmp_path / "run").writing():
                pass
        assert "\n" not in str(info.value)
    finally:
        holder.stdin.close()
        holder.wait(60)
        holder.stdout.close()
    assert holder.returncode == 0
    with batch.RunDirectory(tmp_path / "run").writing():
        pass  # free again
    assert not (tmp_path / "run" / batch.RUN_FILES.lock).exists()  # no run started there


def test_a_failed_write_leaves_no_part_in_the_manifest(tmp_path, monkeypatch):
    """A full disk while a part is written (ENOSPC after some bytes) raises, leaves no
    temporary file and no manifest entry for that chunk, and the finished parts stay valid;
    resuming later completes the run to the same table."""
    import errno

    import pyarrow.parquet as pq

    config = ToyConfig()
    reference_run, manifest = start(tmp_path / "reference", config, 2)
    batch.execute(reference_run, manifest, toy_chunk, config, progress=False)

    run, manifest = start(tmp_path / "run", config, 2)
    real_write = pq.write_table
    calls = {"n": 0}

    def write_until_full(table, stream, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            stream.write(b"PAR1 partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(table, stream, **kwargs)

    monkeypatch.setattr(pq, "write_table", write_until_full)
    with pytest.raises(OSError, match="No space left"):
        batch.execute(run, manifest, toy_chunk, config, progress=False)
    monkeypatch.setattr(pq, "write_table", real_write)
    on_disk = run.read_manifest()
    assert sorted(on_disk["parts"]) == ["0"]
    assert run.verified_chunks(on_disk) == {0}
    assert not list((run.path / "parts").glob(".tmp-*"))
    batch.execute(run, on_disk, toy_chunk, config, progress=False)
    assert run.read_table().equals(reference_run.read_table())


def test_reading_a_damaged_part_says_to_resume(tmp_path):
    run, manifest = start(tmp_path / "run", ToyConfig(), 2)
    batch.execute(run, manifest, toy_chunk, ToyConfig(), progress=False)
    part = run.path / "parts/chunk-000001.parquet"
    part.write_bytes(part.read_bytes()[:-10])
    with pytest.raises(ConfigError, match=r"chunk-000001.parquet are missing .* yield resume "):
        run.read_table()
