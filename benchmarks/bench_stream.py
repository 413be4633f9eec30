"""Summarising a large run directory: streaming (bounded memory) against loading the table.

Writes a synthetic run of the default study's per-die columns (random but well-formed rows,
one part per "wafer" of 100,000 dies), then summarises it twice, each in a fresh process so
that its peak memory is its own: ``open_study(DIR).summary()`` (batch by batch) and
``load_study(DIR).summary()`` (the whole table in pandas). Prints dies per second, the peak
resident memory of each process, their ratio, and whether the two summaries are identical.

    python benchmarks/bench_stream.py              # 10^7 dies
    python benchmarks/bench_stream.py --quick      # 2×10^5 dies, for tests
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from cposim.photonics.runtime import batch
from cposim.photonics.runtime.toml import config_hash, to_toml
from cposim.photonics.yields.config import RunSettings, YieldConfig
from cposim.photonics.yields.engine import COLUMNS, FAILURE_MODES

DIES_PER_PART = 100_000

MEASURE = """
import json, resource, sys, time
from cposim.photonics.yields.run import load_study
from cposim.photonics.yields.stored import open_study
mode, directory = sys.argv[1], sys.argv[2]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
summary = (open_study(directory) if mode == "stream" else load_study(directory)).summary()
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_kib": peak, "growth_kib": peak - base,
                  "summary": summary}))
"""


def synthetic_part(rng, first_die: int, n: int) -> dict:
    """Well-formed per-die rows: pass/fail, modes, lane counts, heater power and margin."""
    lanes = 8
    mode = np.where(rng.random(n) < 0.3, rng.integers(1, len(FAILURE_MODES), n), 0)
    failed_lanes = np.where(mode > 0, rng.integers(1, lanes + 1, n), 0)
    columns = {
        "wafer": np.zeros(n, dtype=np.int32),
        "die": np.arange(first_die, first_die + n, dtype=np.int32),
        "die_x_m": rng.uniform(-0.15, 0.15, n),
        "die_y_m": rng.uniform(-0.15, 0.15, n),
        "passed": mode == 0,
        "failure_mode": mode.astype(np.int8),
        "engines_passed": (mode == 0).astype(np.int16),
        "lanes_passed": (lanes - failed_lanes).astype(np.int16),
        "min_margin_db": np.where(rng.random(n) < 0.05, np.nan, rng.normal(2.8, 1.5, n)),
        "heater_power_w": np.where(rng.random(n) < 0.1, np.nan, rng.gamma(8.0, 0.03, n)),
        "lock_mode": np.zeros(n, dtype=np.int8),
        "static_failure_mode": mode.astype(np.int8),
        "lock_time_s": np.full(n, np.nan),
    }
    for k, name in enumerate(FAILURE_MODES[1:], start=1):
        columns[f"lanes_failed_{name}"] = np.where(mode == k, failed_lanes, 0).astype(np.int16)
    assert tuple(columns) == COLUMNS
    return columns


def write_run(directory: Path, n_parts: int) -> None:
    """A run directory of ``n_parts`` parts of :data:`DIES_PER_PART` synthetic dies."""
    config = YieldConfig().with_changes(
        {"run": RunSettings(seed=1, n_wafers=n_parts, wafers_per_chunk=1)}
    )
    run = batch.RunDirectory(directory)
    manifest = run.create(
        config_text=to_toml(config),
        config_sha256=config_hash(config),
        chunks=batch.plan_chunks(n_parts, 1),
        seed=1,
        extra={"dies_per_wafer": DIES_PER_PART},
    )
    rng = np.random.default_rng(2026)
    for chunk in run.chunks(manifest):
        columns = synthetic_part(rng, chunk.index * DIES_PER_PART, DIES_PER_PART)
        manifest["parts"][str(chunk.index)] = run.write_part(chunk, columns)
    run.write_manifest(manifest)


def measure(mode: str, directory: Path) -> dict:
    """Summarise ``directory`` in a fresh process; its time, peak memory and summary."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, mode, str(directory)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2×10^5 dies")
    parser.add_argument("--parts", type=int, default=None, help="parts of 10^5 dies (100)")
    args = parser.parse_args(argv)
    n_parts = args.parts or (2 if args.quick else 100)
    n_dies = n_parts * DIES_PER_PART
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder) / "run"
        write_run(directory, n_parts)
        size = sum(p.stat().st_size for p in (directory / "parts").iterdir())
        stream = measure("stream", directory)
        memory = measure("memory", directory)
    print(f"summary of a run of {n_dies:,} dies ({size / 2**20:.0f} MiB of Parquet)")
    for name, figures in (("streaming (open_study)", stream), ("in memory (load_study)", memory)):
        print(
            f"  {name:<24} {n_dies / figures['seconds']:10.3e} dies/s   "
            f"peak RSS {figures['peak_kib'] / 1024:7.0f} MiB "
            f"(+{figures['growth_kib'] / 1024:.0f} MiB while summarising)"
        )
    print(
        f"  ratio of peak memory in memory / streaming: "
        f"{memory['peak_kib'] / stream['peak_kib']:.1f}x; "
        f"time streaming / in memory: {stream['seconds'] / memory['seconds']:.1f}x"
    )
    print(f"  summaries identical: {stream['summary'] == memory['summary']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
