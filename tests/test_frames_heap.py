"""pympler_nb.frames: summaries, summary diffs and process memory as DataFrames."""

from __future__ import annotations

import pandas as pd
import pytest

from pympler_nb import frames
from pympler_nb.core import muppy, process, summary
from pympler_nb.core.tracker import SummaryTracker


def test_summary_frame_columns_dtypes_order():
    rows = [["str", 3, 150], ["dict", 1, 232], ["int", 10, 280], ["list", 1, 150]]
    df = frames.summary_frame(rows)
    assert list(df.columns) == ["type", "count", "size"]
    assert str(df["count"].dtype) == "int64" and str(df["size"].dtype) == "int64"
    assert list(df["type"]) == ["int", "dict", "str", "list"]  # size desc, then count desc
    assert isinstance(df.index, pd.RangeIndex)


def test_summary_frame_of_the_heap_adds_up():
    rows = summary.summarize(muppy.get_objects())
    df = frames.summary_frame(rows)
    assert len(df) == len(rows)
    assert int(df["size"].sum()) == sum(r[2] for r in rows)
    assert df["size"].is_monotonic_decreasing


def test_diff_frame_sorted_by_absolute_size_change():
    rows = [["str", 2, 100], ["dict", -1, -300], ["int", 5, 0], ["list", 0, 100]]
    df = frames.diff_frame(rows)
    assert list(df.columns) == ["type", "count_diff", "size_diff"]
    assert list(df["type"]) == ["dict", "str", "list", "int"]
    assert df.loc[0, "size_diff"] == -300
    assert str(df["count_diff"].dtype) == "int64"


def test_diff_frame_from_a_tracker():
    tr = SummaryTracker()
    keep = [{} for _ in range(300)]
    d = tr.diff()
    df = frames.diff_frame(d)
    row = df[df["type"] == "dict"].iloc[0]
    assert row["count_diff"] == 300 and row["size_diff"] == 300 * 64
    del keep


def test_empty_frames_keep_columns_and_dtypes():
    for fn, cols in ((frames.summary_frame, ["type", "count", "size"]),
                     (frames.diff_frame, ["type", "count_diff", "size_diff"])):
        df = fn([])
        assert list(df.columns) == cols and len(df) == 0
        assert str(df[cols[1]].dtype) == "int64"


def test_process_frame():
    pmi = process.ProcessMemoryInfo()
    df = frames.process_frame(pmi)
    assert list(df.columns) == ["metric", "bytes"]
    assert str(df["bytes"].dtype) == "int64"
    metrics = list(df["metric"])
    assert metrics[:2] == ["rss", "vsz"]
    assert set(metrics) <= set(process.BYTE_METRICS)
    assert df.set_index("metric").loc["rss", "bytes"] == pmi.rss


def test_process_frame_of_a_delta():
    a = process.ProcessMemoryInfo()
    b = process.ProcessMemoryInfo()
    df = frames.process_frame(b - a)
    assert list(df["metric"]) == ["Resident set size (delta)", "Virtual size (delta)"]


def test_bad_input():
    with pytest.raises(TypeError, match="process_frame expects a ProcessMemoryInfo"):
        frames.process_frame("rss")
    with pytest.raises(TypeError, match=r"\(label, bytes\) pairs"):
        frames.process_frame([("rss", "12")])
    with pytest.raises(TypeError, match="summary row"):
        frames.summary_frame([["str", "3", 150]])
