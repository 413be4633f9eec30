"""Run a yield study in memory (notebooks) or as a resumable batch run (CLI).

- :func:`simulate`: all wafers in this process, returns a :class:`YieldResult`.
- :func:`run_study` / :func:`resume_study`: the same study written to a run directory as
  Parquet parts (see :mod:`cposim.photonics.runtime.batch`), on the in-process, local-process
  or Dask backend, with a progress bar; results are bit-identical across backends, worker counts,
  chunk sizes and interruptions.
- :func:`load_study`: read a run directory back as a :class:`YieldResult`.
- :func:`write_report`: ``summary.json``, ``summary.txt`` and PNG plots into a run directory.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from cposim.photonics.runtime import batch
from cposim.photonics.runtime.toml import config_hash, from_mapping, load_toml, to_toml
from cposim.photonics.yields.closed_loop import DYNAMIC_FAILURES
from cposim.photonics.yields.config import YieldConfig
from cposim.photonics.yields.engine import simulate_wafers
from cposim.photonics.yields.result import PLOT_KINDS, YieldResult


def simulate(config: YieldConfig) -> YieldResult:
    """Run the whole study in this process and return the result (no files written).

    Parameters
    ----------
    config : YieldConfig
        The study (``config.run.n_wafers`` wafers, chunked by ``wafers_per_chunk``).
    """
    import pandas as pd

    parts = [
        simulate_wafers(config, chunk.wafer_indices)
        for chunk in batch.plan_chunks(config.run.n_wafers, config.run.wafers_per_chunk)
    ]
    table = pd.DataFrame({name: np.concatenate([p[name] for p in parts]) for name in parts[0]})
    return YieldResult(table=table, config=config)


def run_study(
    config: YieldConfig,
    out_dir,
    *,
    workers: int = 0,
    scheduler: str | None = None,
    progress: bool = True,
    stop_after_chunks: int | None = None,
) -> YieldResult | None:
    """Run (or continue, if ``out_dir`` holds the same study) a batch yield study.

    Parameters
    ----------
    config : YieldConfig
        The study.
    out_dir : str or pathlib.Path
        Run directory; created if missing. A directory holding a different study is refused.
    workers : int
        0: in this process (Numba threads); N ≥ 1: N local worker processes (a count).
    scheduler : str, optional
        Address of a running Dask distributed scheduler (e.g. ``tcp://host:8786``).
    progress : bool
        Show a progress bar with dies per second.
    stop_after_chunks : int, optional
        Stop after this many chunks (a count; for interruption tests); returns None then.
    """
    run = batch.RunDirectory(out_dir)
    layout = config.layout()
    with run.writing():
        manifest = run.create(
            config_text=to_toml(config),
            config_sha256=config_hash(config),
            chunks=batch.plan_chunks(config.run.n_wafers, config.run.wafers_per_chunk),
            seed=config.run.seed,
            extra={"dies_per_wafer": layout.n_dies},
        )
        return _execute(run, manifest, config, workers, scheduler, progress, stop_after_chunks)


def resume_study(
    out_dir, *, workers: int = 0, scheduler: str | None = None, progress: bool = True
) -> YieldResult:
    """Finish an interrupted run: verified parts are kept, missing or damaged ones recomputed.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Run directory. Refused if its ``config.toml`` was edited since the run started.
    workers : int
        As for :func:`run_study` (a count).
    scheduler : str, optional
        As for :func:`run_study`.
    progress : bool
        Show a progress bar.
    """
    run = batch.RunDirectory(out_dir)
    run.read_manifest()  # a directory without a run is refused before the lock creates it
    with run.writing():
        manifest = run.read_manifest()
        run.check_config_unchanged(manifest)
        config = from_mapping(YieldConfig, load_toml(Path(out_dir) / batch.RUN_FILES.config))
        return _execute(run, manifest, config, workers, scheduler, progress, None)


def load_study(out_dir) -> YieldResult:
    """Read a finished (or partly finished) run directory back as a :class:`YieldResult`.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Run directory.
    """
    run = batch.RunDirectory(out_dir)
    manifest = run.read_manifest()
    config = from_mapping(YieldConfig, load_toml(Path(out_dir) / batch.RUN_FILES.config))
    return YieldResult(table=run.read_table(manifest).to_pandas(), config=config)


def write_report(result: YieldResult, out_dir) -> list[Path]:
    """Write ``summary.json``, ``summary.txt`` and one PNG per plot kind; returns the paths.

    Parameters
    ----------
    result : YieldResult
        The study's result.
    out_dir : str or pathlib.Path
        Directory to write into (created if missing).
    """
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / batch.RUN_FILES.summary_json, out / batch.RUN_FILES.summary_text]
    written[0].write_text(json.dumps(result.summary(), indent=1) + "\n", encoding="utf-8")
    written[1].write_text(format_summary(result) + "\n", encoding="utf-8")
    for kind in PLOT_KINDS:
        if kind == "lock_time" and result.config.lock.mode == "static":
            continue  # no die ran the dynamic lock
        ax = result.plot(kind=kind)
        path = out / f"{kind}{batch.RUN_FILES.plot_suffix}"
        ax.figure.savefig(path, dpi=110)
        plt.close(ax.figure)
        written.append(path)
    return written


def format_summary(result: YieldResult) -> str:
    """Plain-text summary: yields with intervals and the failure-mode breakdown.

    Parameters
    ----------
    result : YieldResult
        The study's result.
    """
    isi = result.config.isi
    isi_line = (
        "ISI: single-pole model (photon lifetime, junction RC, receiver; no equaliser)"
        if isi.model == "single-pole"
        else "ISI: time-domain table ("
        + ("no equaliser" if isi.ffe_taps == 1 else f"{isi.ffe_taps}-tap FFE")
        + f", {isi.driver_bandwidth_hz / 1e9:g} GHz driver), interpolated per lane"
    )
    lines = [
        f"{result.n_dies:,} dies, {result.engines_per_die} engine(s) per die, "
        f"{result.lanes_per_engine} lanes per engine; "
        f"{result.confidence:.0%} Wilson intervals",
        isi_line,
        _lock_line(result),
        "",
    ]
    for row in result.yields().to_dict("records"):
        lines.append(
            f"  {row['level']:<7} yield {row['yield']:8.3%}   "
            f"[{row['low']:.3%}, {row['high']:.3%}]   "
            f"({row['passed']:,} of {row['total']:,})"
        )
    lines += ["", "failure modes (dies attributed to their first failure; lanes per mode):"]
    pareto = result.failure_pareto()
    if result.config.lock.mode == "static":  # modes only the dynamic lock can see
        pareto = pareto[~pareto["mode"].isin(DYNAMIC_FAILURES)]
    width = int(pareto["description"].str.len().max())
    for row in pareto.itertuples():
        lines.append(
            f"  {row.description:<{width}} {row.dies:>9,} dies ({row.share_of_dies:6.2%})"
            f"  {row.lanes:>10,} lanes"
        )
    summary = result.summary()
    lines += [
        "",
        f"mean worst-case heater power: {summary['mean_heater_power_per_ring_w'] * 1e3:.2f}"
        f" mW per ring; median worst-lane optical power margin "
        f"{summary['median_min_margin_db']:.2f} dB",
    ]
    return "\n".join(lines)


def _lock_line(result) -> str:
    """How the study locked its rings, and for a dynamic study its dies against their static
    outcome."""
    config = result.config
    if config.lock.mode == "static":
        return (
            f"lock: static (tuning plan, Gaussian residual σ = {config.lock.sigma_m * 1e12:.2f} pm)"
        )
    dynamic = config.dynamic
    summary = result.summary()
    outcomes = summary.get("lock_outcomes", {})
    return (
        f"lock: dynamic on {summary.get('dynamic_dies', 0):,} dies ({dynamic.detector} "
        f"detector, {dynamic.arbitration} record-then-match, "
        f"{dynamic.acquisition_time_s * 1e3:g} ms sweep + {dynamic.tracking_time_s * 1e3:g} ms "
        f"profile); on those dies die yield {summary.get('dynamic_die_yield', float('nan')):.3%}"
        f" dynamic vs {summary.get('static_die_yield_on_dynamic_dies', float('nan')):.3%} static "
        f"({outcomes.get('static_only', 0):,} pass only static, "
        f"{outcomes.get('dynamic_only', 0):,} only dynamic); median lock time "
        f"{summary.get('median_lock_time_s', float('nan')) * 1e3:.3f} ms"
    )


def _execute(run, manifest, config, workers, scheduler, progress, stop_after_chunks):
    batch.execute(
        run,
        manifest,
        simulate_wafers,
        config,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        rows_per_wafer=manifest["dies_per_wafer"],
        stop_after_chunks=stop_after_chunks,
    )
    if stop_after_chunks is not None:
        return None
    return load_study(run.path)


__all__ = [
    "format_summary",
    "load_study",
    "resume_study",
    "run_study",
    "simulate",
    "write_report",
]
