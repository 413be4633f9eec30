"""cposim.photonics.runtime: infrastructure of batch runs — no physics.

- :mod:`~cposim.photonics.runtime.toml`: strict TOML ↔ frozen-dataclass conversion (unknown
  keys, wrong types and out-of-range values named by their dotted key) and config hashes;
- :mod:`~cposim.photonics.runtime.batch`: run directories of checksummed Parquet parts written
  atomically, resumable, on in-process, local-process or Dask backends;
- :mod:`~cposim.photonics.runtime.progress`: progress bars (tqdm; widgets in Jupyter).
"""

from cposim.control.core.lazy import lazy_exports

_CATALOGUE = {
    "toml": (
        "NONE",
        "ConfigError",
        "config_hash",
        "from_mapping",
        "load_toml",
        "to_toml",
    ),
    "batch": (
        "FORMAT_VERSION",
        "RUN_FILES",
        "RunFiles",
        "Chunk",
        "RunDirectory",
        "execute",
        "package_version",
        "plan_chunks",
    ),
    "progress": ("progress_bar",),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _CATALOGUE)
