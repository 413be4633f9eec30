"""Resumable, reproducible batch execution of per-wafer Monte Carlo work.

A run directory holds the configuration (``config.toml``), a ``manifest.json`` and one Parquet
part per finished chunk of whole wafers::

    RUN/config.toml        the exact configuration (its SHA-256 is in the manifest)
    RUN/manifest.json      version, config hash, chunk plan, and a checksum per finished part
    RUN/parts/chunk-000012.parquet

Guarantees:

- **Reproducible.** ``compute_chunk(config, wafer_indices)`` must make every wafer's rows
  depend only on the configuration and the wafer index (random streams keyed by
  ``SeedSequence((seed, wafer))``), so the concatenated table is bit-identical whatever the chunk
  size, the backend (in-process, ``workers`` local processes, a Dask cluster), the completion
  order or an interruption.
- **Resumable.** Each part is written to a temporary file, flushed, then renamed into place;
  the manifest (also replaced atomically) records its SHA-256 afterwards. Resuming skips parts
  whose checksum verifies and recomputes missing or damaged ones; a run killed at any instant
  loses at most the chunks in flight.
- **Safe.** Resuming a directory whose ``config.toml`` no longer matches the manifest's hash
  is refused, and nothing already written is overwritten by a different configuration.
- **Bounded memory.** Only chunks in flight (at most two per worker) are held in memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from cposim.photonics.runtime.progress import progress_bar
from cposim.photonics.runtime.toml import ConfigError


@dataclass(frozen=True, kw_only=True)
class RunFiles:
    """The names of everything a run directory holds, defined here once.

    Parameters
    ----------
    manifest : str
        Checksums and row counts of the finished parts (JSON).
    config : str
        The study's configuration, as run (its hash is in the manifest).
    parts : str
        Folder of the Parquet parts, one per chunk.
    summary_json : str
        Yields, intervals and failure breakdown (JSON), written by the report.
    summary_text : str
        The same summary as text.
    plot_suffix : str
        Suffix of each report plot, named after its kind (``pareto.png`` …).
    lock : str
        Lock file held by the one process that writes the run (:meth:`RunDirectory.writing`).
    """

    manifest: str = "manifest.json"
    config: str = "config.toml"
    parts: str = "parts"
    summary_json: str = "summary.json"
    summary_text: str = "summary.txt"
    plot_suffix: str = ".png"
    lock: str = ".lock"


RUN_FILES = RunFiles()
"""File and folder names of a run directory."""
FORMAT_VERSION = 1


@dataclass(frozen=True, kw_only=True)
class Chunk:
    """A contiguous block of whole wafers computed and stored together.

    Parameters
    ----------
    index : int
        Chunk number (0-based), also its part file's name.
    first_wafer : int
        First wafer index of the chunk.
    n_wafers : int
        Number of wafers in the chunk (count).
    """

    index: int
    first_wafer: int
    n_wafers: int

    @property
    def wafer_indices(self) -> np.ndarray:
        """Wafer indices of this chunk (int64 array)."""
        return np.arange(self.first_wafer, self.first_wafer + self.n_wafers, dtype=np.int64)

    @property
    def filename(self) -> str:
        """Part file name relative to the run directory."""
        return f"{RUN_FILES.parts}/chunk-{self.index:06d}.parquet"


def plan_chunks(n_wafers: int, wafers_per_chunk: int) -> list[Chunk]:
    """Split ``n_wafers`` wafers into chunks of at most ``wafers_per_chunk`` whole wafers.

    Parameters
    ----------
    n_wafers : int
        Total number of wafers (≥ 1), a count.
    wafers_per_chunk : int
        Wafers per chunk (≥ 1), a count.
    """
    if n_wafers < 1 or wafers_per_chunk < 1:
        raise ValueError(
            f"n_wafers = {n_wafers} and wafers_per_chunk = {wafers_per_chunk} must both be >= 1"
        )
    return [
        Chunk(index=i, first_wafer=first, n_wafers=min(wafers_per_chunk, n_wafers - first))
        for i, first in enumerate(range(0, n_wafers, wafers_per_chunk))
    ]


def package_version() -> str:
    """Installed cposim version (``"unknown"`` when running from an uninstalled tree)."""
    try:
        return metadata.version("cposim")
    except metadata.PackageNotFoundError:
        return "unknown"


class RunDirectory:
    """A run directory: configuration, manifest and Parquet parts (see module docstring).

    Parameters
    ----------
    path : str or pathlib.Path
        The directory.
    """

    def __init__(self, path):
        self.path = Path(path)

    # ------------------------------------------------------------------------- manifest
    @property
    def manifest_path(self) -> Path:
        """Path of ``manifest.json``."""
        return self.path / RUN_FILES.manifest

    def exists(self) -> bool:
        """Whether the directory already holds a run (a manifest)."""
        return self.manifest_path.is_file()

    def read_manifest(self) -> dict:
        """The manifest, or a ConfigError when the directory holds no run."""
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(
                f"{str(self.path)!r} holds no cposim run (no {RUN_FILES.manifest})"
            ) from None
        except json.JSONDecodeError as error:
            raise ConfigError(f"{self.manifest_path} is damaged: {error}") from None

    def write_manifest(self, manifest: dict) -> None:
        """Replace the manifest atomically.

        Written after every chunk, so on one line: ``json.dumps`` with an indent runs the
        pure-Python encoder, which re-encoding a 400-part manifest 400 times made 13 % of a
        10^6-die run.

        Parameters
        ----------
        manifest : dict
            JSON-serialisable manifest.
        """
        text = json.dumps(manifest, sort_keys=True)
        _atomic_write_bytes(self.manifest_path, text.encode("utf-8"))

    @contextlib.contextmanager
    def writing(self):
        """Hold the run's lock file while writing it: a second process that tries to write the
        same directory gets a one-line :class:`ConfigError` at once instead of interleaving
        parts. The lock is an OS advisory lock (``flock``), released when the process ends,
        however it ends; the empty file stays behind in a run directory (and is removed from a
        directory where no run was started).

        Raises
        ------
        ConfigError
            When another process holds the lock.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        path = self.path / RUN_FILES.lock
        with open(path, "a+b") as stream:  # closing it releases the lock
            try:
                _lock(stream)
            except OSError:
                raise ConfigError(
                    f"another cposim process is writing {str(self.path)!r} (it holds {path}); "
                    "wait for it to finish, or write to another directory"
                ) from None
            try:
                yield self
            finally:
                if not self.exists():  # no run was started here: leave no lock file behind
                    path.unlink(missing_ok=True)

    def create(
        self,
        *,
        config_text: str,
        config_sha256: str,
        chunks: list[Chunk],
        seed: int,
        extra: dict | None = None,
    ) -> dict:
        """Start a new run, or return the existing manifest if it has the same configuration.

        Parameters
        ----------
        config_text : str
            Canonical TOML of the configuration.
        config_sha256 : str
            Its SHA-256 (hex).
        chunks : list of Chunk
            The chunk plan.
        seed : int
            Master seed of the run.
        extra : dict, optional
            Further JSON-serialisable facts to record (e.g. dies per wafer).
        """
        if self.exists():
            manifest = self.read_manifest()
            if manifest["config_sha256"] != config_sha256:
                raise ConfigError(
                    f"{str(self.path)!r} already holds a run with a different configuration; "
                    "choose another --out directory (nothing was overwritten)"
                )
            return manifest
        if self.path.exists() and any(p.name != RUN_FILES.lock for p in self.path.iterdir()):
            raise ConfigError(
                f"{str(self.path)!r} exists and is not empty but holds no cposim run; "
                "choose another --out directory (nothing was overwritten)"
            )
        (self.path / RUN_FILES.parts).mkdir(parents=True, exist_ok=True)
        _atomic_write_bytes(self.path / RUN_FILES.config, config_text.encode("utf-8"))
        manifest = {
            "format_version": FORMAT_VERSION,
            "cposim_version": package_version(),
            "config_sha256": config_sha256,
            "seed": seed,
            "chunks": [[c.index, c.first_wafer, c.n_wafers] for c in chunks],
            "parts": {},
            **(extra or {}),
        }
        self.write_manifest(manifest)
        return manifest

    def check_config_unchanged(self, manifest: dict) -> str:
        """Return ``config.toml``'s text after checking it still matches the manifest.

        Parameters
        ----------
        manifest : dict
            The run's manifest.
        """
        try:
            text = (self.path / RUN_FILES.config).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(
                f"{str(self.path)!r} has a manifest but no {RUN_FILES.config}"
            ) from None
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != manifest["config_sha256"]:
            raise ConfigError(
                f"{self.path / RUN_FILES.config} was changed since the run started (its SHA-256 no "
                "longer matches the manifest); refusing to resume. Start a new run with "
                "the edited file instead"
            )
        return text

    def chunks(self, manifest: dict) -> list[Chunk]:
        """The chunk plan recorded in the manifest.

        Parameters
        ----------
        manifest : dict
            The run's manifest.
        """
        return [Chunk(index=i, first_wafer=f, n_wafers=n) for i, f, n in manifest["chunks"]]

    # ---------------------------------------------------------------------------- parts
    def verified_chunks(self, manifest: dict) -> set[int]:
        """Indices of chunks whose part file exists and matches its recorded checksum.

        Parameters
        ----------
        manifest : dict
            The run's manifest.
        """
        return {int(key) for key, record in manifest["parts"].items() if self._intact(record)}

    def _intact(self, record: dict) -> bool:
        part = self.path / record["file"]
        return part.is_file() and _sha256_file(part) == record["sha256"]

    def write_part(self, chunk: Chunk, columns: dict[str, np.ndarray]) -> dict:
        """Write one chunk's table atomically; returns its manifest record.

        Parameters
        ----------
        chunk : Chunk
            The chunk the rows belong to.
        columns : dict of str to ndarray
            Equal-length columns.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({name: np.asarray(values) for name, values in columns.items()})
        target = self.path / chunk.filename
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".parquet")
        try:
            with os.fdopen(handle, "wb") as stream:
                pq.write_table(table, stream, compression="zstd")
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return {"file": chunk.filename, "sha256": _sha256_file(target), "rows": table.num_rows}

    def part_paths(self, manifest: dict | None = None) -> list[Path]:
        """Paths of the finished parts in chunk order, each checked against its checksum.

        Parameters
        ----------
        manifest : dict, optional
            The run's manifest; read from disk when omitted.

        Raises
        ------
        ConfigError
            When the run has no finished part, or a part is missing or damaged (the message
            says to resume).
        """
        manifest = manifest or self.read_manifest()
        records = [manifest["parts"][k] for k in sorted(manifest["parts"], key=int)]
        if not records:
            raise ConfigError(f"{str(self.path)!r} has no finished chunks yet")
        damaged = [r["file"] for r in records if not self._intact(r)]
        if damaged:
            raise ConfigError(
                f"{str(self.path)!r}: part(s) {', '.join(damaged)} are missing or do not match "
                f"their checksum; `cposim yield resume {self.path}` recomputes them"
            )
        return [self.path / r["file"] for r in records]

    def read_table(self, manifest: dict | None = None):
        """All finished parts concatenated in chunk order (a ``pyarrow.Table``).

        Parameters
        ----------
        manifest : dict, optional
            The run's manifest; read from disk when omitted.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        return pa.concat_tables([pq.read_table(p) for p in self.part_paths(manifest)])


def execute(
    run: RunDirectory,
    manifest: dict,
    compute_chunk,
    config,
    *,
    workers: int = 0,
    scheduler: str | None = None,
    progress: bool = True,
    rows_per_wafer: int = 1,
    stop_after_chunks: int | None = None,
) -> dict:
    """Compute every chunk not yet verified on disk, writing parts and updating the manifest.

    Parameters
    ----------
    run : RunDirectory
        Target directory (already created).
    manifest : dict
        Its manifest (updated in place and on disk after every chunk).
    compute_chunk : callable
        Top-level (picklable) function ``(config, wafer_indices) -> dict of columns``.
    config : dataclass instance
        The run's configuration, passed to ``compute_chunk``.
    workers : int
        0 computes in this process (Numba threads); N ≥ 1 uses N local worker processes.
    scheduler : str, optional
        Address of an existing Dask distributed scheduler (overrides ``workers``).
    progress : bool
        Show a progress bar (tqdm; terminal or Jupyter) counting rows per second.
    rows_per_wafer : int
        Rows each wafer produces (for the progress bar's total), a count.
    stop_after_chunks : int, optional
        Stop after computing this many chunks (count; for tests of interruption).
    """
    chunks = run.chunks(manifest)
    done = run.verified_chunks(manifest)
    manifest["parts"] = {k: v for k, v in manifest["parts"].items() if int(k) in done}
    todo = [c for c in chunks if c.index not in done]
    if stop_after_chunks is not None:
        todo = todo[:stop_after_chunks]
    total_rows = sum(c.n_wafers for c in chunks) * rows_per_wafer
    finished_rows = sum(r["rows"] for r in manifest["parts"].values())
    bar = progress_bar(total_rows, unit="die", initial=finished_rows, enabled=progress)
    try:
        for chunk, columns in _results(todo, compute_chunk, config, workers, scheduler):
            record = run.write_part(chunk, columns)
            manifest["parts"][str(chunk.index)] = record
            run.write_manifest(manifest)
            bar.update(record["rows"])
    finally:
        bar.close()
    return manifest


def _results(todo, compute_chunk, config, workers, scheduler):
    """Yield ``(chunk, columns)`` as chunks finish, on the chosen backend."""
    if scheduler is not None:
        yield from _dask_results(todo, compute_chunk, config, scheduler)
    elif workers and workers > 0:
        yield from _process_results(todo, compute_chunk, config, workers)
    else:
        for chunk in todo:
            yield chunk, compute_chunk(config, chunk.wafer_indices)


def _process_results(todo, compute_chunk, config, workers):
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    threads = max(1, (os.cpu_count() or 1) // workers)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_limit_threads, initargs=(threads,)
    ) as pool:
        pending = {}
        queue = list(todo)
        try:
            while queue or pending:
                while queue and len(pending) < 2 * workers:
                    chunk = queue.pop(0)
                    pending[pool.submit(compute_chunk, config, chunk.wafer_indices)] = chunk
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield pending.pop(future), future.result()
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def _dask_results(todo, compute_chunk, config, scheduler):
    from dask.distributed import Client, as_completed

    with Client(scheduler) as client:
        workers = max(1, len(client.scheduler_info()["workers"]))
        queue = list(todo)
        pending = {}

        def submit(chunk):
            future = client.submit(compute_chunk, config, chunk.wafer_indices, pure=False)
            pending[future] = chunk
            return future

        completed = as_completed(
            [submit(queue.pop(0)) for _ in range(min(2 * workers, len(queue)))]
        )
        for future in completed:
            chunk = pending.pop(future)
            columns = future.result()
            future.release()
            if queue:
                completed.add(submit(queue.pop(0)))
            yield chunk, columns


def _limit_threads(threads: int) -> None:
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


def _lock(stream) -> None:
    """Take an exclusive, non-blocking lock on an open file (OSError if it is held)."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        stream.seek(0)
        msvcrt.locking(stream.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = [
    "FORMAT_VERSION",
    "RUN_FILES",
    "Chunk",
    "RunDirectory",
    "RunFiles",
    "execute",
    "package_version",
    "plan_chunks",
]
