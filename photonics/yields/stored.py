"""A run directory opened without loading it: a lazy dataset, selected columns, streaming
summaries.

:func:`open_study` returns a :class:`StoredStudy`: the run's parts as one ``pyarrow.dataset``
(or a Dask DataFrame), :meth:`StoredStudy.to_dataframe` for the columns and rows a user asks
for, and yields, failure Pareto and summary computed batch by batch
(:mod:`~cposim.photonics.yields.reduce`), so a run of 10^8 dies summarises in bounded memory
and gives the numbers :func:`~cposim.photonics.yields.run.load_study` gives in memory, exactly.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from cposim.photonics.runtime import batch
from cposim.photonics.runtime.toml import from_mapping, load_toml
from cposim.photonics.yields.config import YieldConfig
from cposim.photonics.yields.engine import FAILURE_MODES
from cposim.photonics.yields.reduce import Totals, reduce_table
from cposim.photonics.yields.result import YieldResult, _StudyStatistics

BATCH_ROWS = 1 << 18
"""Rows per batch when a stored study is scanned (a count; ≈ 2 MB per float column)."""


class StoredStudy(_StudyStatistics):
    """A yield run directory, read lazily; its yields, Pareto and summary (from
    the shared statistics of :class:`~cposim.photonics.yields.result.YieldResult`) are computed
    batch by batch.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The run directory (finished or partly finished; damaged parts are refused with a
        message to resume).
    confidence : float
        Two-sided confidence level of the intervals, a fraction. Default 0.95.
    """

    def __init__(self, out_dir, *, confidence: float = 0.95):
        self.path = Path(out_dir)
        self._run = batch.RunDirectory(self.path)
        self._manifest = self._run.read_manifest()
        self.config = from_mapping(YieldConfig, load_toml(self.path / batch.RUN_FILES.config))
        self.confidence = confidence
        self._paths = self._run.part_paths(self._manifest)

    @property
    def n_dies(self) -> int:
        """Dies in the finished parts."""
        return sum(r["rows"] for r in self._manifest["parts"].values())

    def dataset(self):
        """The parts as one ``pyarrow.dataset.Dataset`` (nothing is read until scanned)."""
        import pyarrow.dataset as ds

        return ds.dataset([str(p) for p in self._paths], format="parquet")

    def to_dask(self, columns=None):
        """The parts as a Dask DataFrame, one partition per part (needs ``dask[dataframe]``).

        Parameters
        ----------
        columns : list of str, optional
            Columns to read; all when omitted.
        """
        try:
            import dask.dataframe as dd
        except ImportError as error:
            raise ImportError(
                "to_dask needs dask[dataframe] (pip install 'dask[dataframe]')"
            ) from error
        return dd.read_parquet([str(p) for p in self._paths], columns=columns)

    def to_dataframe(self, columns=None, filter=None):
        """The rows and columns asked for, as a pandas DataFrame, in chunk order.

        Parameters
        ----------
        columns : list of str, optional
            Columns of :data:`~cposim.photonics.yields.engine.COLUMNS`; all when omitted.
        filter : pyarrow.compute.Expression, optional
            Rows to keep, e.g. ``pyarrow.compute.field("passed") == False``.
        """
        return self.dataset().to_table(columns=columns, filter=filter).to_pandas()

    def batches(self, columns):
        """The table in batches of at most :data:`BATCH_ROWS` rows: an iterator of dicts of
        NumPy arrays.

        Parameters
        ----------
        columns : list of str
            Columns to read.
        """
        scanner = self.dataset().scanner(columns=list(columns), batch_size=BATCH_ROWS)
        for record_batch in scanner.to_batches():
            yield {
                name: record_batch.column(name).to_numpy(zero_copy_only=False) for name in columns
            }

    @cached_property
    def totals(self) -> Totals:
        """The table reduced batch by batch
        (:func:`~cposim.photonics.yields.reduce.reduce_table`)."""
        return reduce_table(self.batches, FAILURE_MODES)

    def load(self) -> YieldResult:
        """The whole table in memory, as a :class:`YieldResult`."""
        table = self._run.read_table(self._manifest).to_pandas()
        return YieldResult(table=table, config=self.config, confidence=self.confidence)


def open_study(out_dir, *, confidence: float = 0.95) -> StoredStudy:
    """Open a run directory without loading its table.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The run directory.
    confidence : float
        Two-sided confidence level of the intervals, a fraction. Default 0.95.
    """
    return StoredStudy(out_dir, confidence=confidence)


__all__ = [
    "BATCH_ROWS",
    "StoredStudy",
    "open_study",
]
