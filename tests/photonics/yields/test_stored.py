"""A stored study read lazily: its streaming summary equals the in-memory one exactly."""

import json

import numpy as np
import pyarrow.compute as pc
import pytest

from cposim.photonics.fab.wafer import Wafer
from cposim.photonics.yields import stored
from cposim.photonics.yields.config import RunSettings, YieldConfig
from cposim.photonics.yields.run import load_study, run_study


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """Three 100 mm wafers of the default study, one part per wafer."""
    config = YieldConfig().with_changes(
        {
            "wafer": Wafer(diameter_m=0.1, edge_exclusion_m=3e-3),
            "run": RunSettings(seed=4, n_wafers=3, wafers_per_chunk=1),
        }
    )
    out = tmp_path_factory.mktemp("stored") / "run"
    run_study(config, out, progress=False)
    return out


@pytest.mark.parametrize("batch_rows", [7, 100, 1 << 18])
def test_streaming_summary_equals_the_in_memory_one(run_dir, monkeypatch, batch_rows):
    monkeypatch.setattr(stored, "BATCH_ROWS", batch_rows)
    study = stored.open_study(run_dir)
    in_memory = load_study(run_dir)
    assert study.summary() == in_memory.summary()  # exactly, floats included
    assert json.dumps(study.summary()) == json.dumps(in_memory.summary())
    assert study.yields().equals(in_memory.yields())
    assert study.failure_pareto().equals(in_memory.failure_pareto())
    assert study.n_dies == in_memory.n_dies


def test_columns_and_filters_without_loading_everything(run_dir):
    study = stored.open_study(run_dir)
    failing = study.to_dataframe(
        columns=["wafer", "die", "failure_mode"],
        filter=pc.field("passed") == False,  # noqa: E712
    )
    table = load_study(run_dir).table
    expected = table.loc[~table["passed"], ["wafer", "die", "failure_mode"]]
    assert list(failing.columns) == ["wafer", "die", "failure_mode"]
    np.testing.assert_array_equal(failing.to_numpy(), expected.to_numpy())
    assert study.load().table.equals(table)


# dask's own read_parquet calls a pandas API that pandas 3.1 deprecates (reset_index inplace)
@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
def test_dask_dataframe_of_the_parts(run_dir):
    pytest.importorskip("dask.dataframe")
    frame = stored.open_study(run_dir).to_dask(columns=["passed", "lanes_passed"])
    assert frame.npartitions == 3
    table = load_study(run_dir).table
    assert int(frame["lanes_passed"].sum().compute()) == int(table["lanes_passed"].sum())
