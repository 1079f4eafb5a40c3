"""pympler_nb.frames: allocation statistics, heap partitions and retainers as DataFrames."""

from __future__ import annotations

import tracemalloc

import pandas as pd
import pytest

from pympler_nb import frames
from pympler_nb.core import allocations, heap


@pytest.fixture(autouse=True)
def _no_tracing():
    yield
    if tracemalloc.is_tracing():
        tracemalloc.stop()


def test_alloc_stats_frame_columns_and_order():
    with allocations.trace() as t:
        keep = [bytearray(5000) for _ in range(20)]
    df = frames.alloc_stats_frame(t.statistics())
    assert tuple(df.columns) == frames.ALLOC_STATS_COLUMNS
    assert str(df["size"].dtype) == "int64" and str(df["lineno"].dtype) == "Int64"
    assert df["size"].is_monotonic_decreasing
    assert df.loc[0, "filename"] == __file__
    by_file = frames.alloc_stats_frame(t.statistics("filename"))
    assert by_file["lineno"].isna().all()
    assert isinstance(df.index, pd.RangeIndex)
    del keep


def test_alloc_diff_frame():
    with allocations.trace() as t:
        keep = bytearray(10_000)
    df = frames.alloc_diff_frame(t.compare())
    assert tuple(df.columns) == frames.ALLOC_DIFF_COLUMNS
    assert (df["size_diff"] == df["size"]).all()
    with pytest.raises(TypeError, match="StatDiff"):
        frames.alloc_diff_frame(t.statistics())
    del keep


def test_empty_frames_keep_columns():
    assert tuple(frames.alloc_stats_frame([]).columns) == frames.ALLOC_STATS_COLUMNS
    assert len(frames.heap_diff_frame([])) == 0


def test_heap_partition_frame_and_retainers():
    data = [bytearray(1000) for _ in range(30)]
    snap = heap.take(roots=[data])
    part = snap.by_type()
    df = frames.heap_partition_frame(part)
    assert tuple(df.columns) == frames.HEAP_PARTITION_COLUMNS
    assert int(df["count"].sum()) == len(snap) and int(df["size"].sum()) == snap.size
    assert df["cumulative"].iloc[-1] == snap.size
    assert abs(df["size_pct"].sum() - 100) < 1e-6
    rf = frames.retainers_frame(snap.top_retainers(5))
    assert tuple(rf.columns) == frames.RETAINER_COLUMNS
    assert rf.loc[0, "id"] == id(data)
    tree = frames.retained_frame(snap.retained_tree(data).children())
    assert len(tree) == 30 and (tree["type"] == "bytearray").all()
    diff = frames.heap_diff_frame(part.diff(heap.take(roots=[data[:10]]).by_type()))
    assert tuple(diff.columns) == frames.HEAP_DIFF_COLUMNS
    assert diff.loc[0, "size_diff"] > 0
    with pytest.raises(TypeError, match="Partition"):
        frames.heap_partition_frame([("a", 1, 2)])
