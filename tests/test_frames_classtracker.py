"""ClassTracker statistics as tidy DataFrames."""

import gc
import io

import pandas as pd
import pytest

from pympler_nb.core.classtracker import ClassTracker
from pympler_nb.core.classtracker_stats import Stats
from pympler_nb.frames_classtracker import (
    CLASSTRACKER_COLUMNS,
    TRACKED_OBJECT_COLUMNS,
    TRACKED_SIZE_COLUMNS,
    classtracker_frame,
    tracked_objects_frame,
    tracked_sizes_frame,
)


class Leaf:
    def __init__(self, n):
        self.data = list(range(n))


class Branch:
    def __init__(self):
        self.leaves = []


@pytest.fixture
def tracker():
    tr = ClassTracker()
    tr.track_class(Leaf, name="Leaf")
    tr.track_class(Branch, name="Branch", resolution_level=1)
    branch = Branch()
    tr.create_snapshot("start")
    branch.leaves.extend(Leaf(50) for _ in range(4))
    tr.create_snapshot("grown")
    branch.leaves.pop()
    gc.collect()
    tr.create_snapshot("pruned")
    tr.branch = branch
    yield tr
    tr.close()


def test_classtracker_frame(tracker):
    df = classtracker_frame(tracker)
    assert tuple(df.columns) == CLASSTRACKER_COLUMNS
    assert str(df["class"].dtype) == "string" and str(df["size"].dtype) == "int64"
    assert len(df) == 3 * 2 and list(df["snapshot"]) == [0, 0, 1, 1, 2, 2]
    assert list(df["class"][:2]) == ["Branch", "Leaf"]
    leaf = df[df["class"] == "Leaf"].set_index("snapshot")
    assert list(leaf["active"]) == [0, 4, 3]
    stats = Stats(tracker=tracker)
    for i, snap in enumerate(tracker.snapshots):
        info = stats.annotate_snapshot(snap)["Leaf"]
        assert leaf.loc[i, "size"] == info["sum"] and leaf.loc[i, "pct"] == pytest.approx(info["pct"])
        assert leaf.loc[i, "label"] == snap.label and leaf.loc[i, "timestamp"] == snap.timestamp
    assert leaf.loc[0, "average"] == 0 and leaf.loc[1, "average"] == leaf.loc[1, "size"] / 4


def test_tracked_objects_frame(tracker):
    df = tracked_objects_frame(tracker)
    assert tuple(df.columns) == TRACKED_OBJECT_COLUMNS
    assert len(df) == 5 and df["alive"].sum() == 4
    dead = df[~df["alive"]].iloc[0]
    assert dead["class"] == "Leaf" and dead["death"] > dead["birth"] and dead["last_size"] == 0
    alive = df[df["alive"] & (df["class"] == "Leaf")]
    assert alive["death"].isna().all() and (alive["samples"] == 2).all()
    assert (alive["last_size"] > 0).all() and (alive["max_size"] >= alive["last_size"]).all()
    branch = df[df["class"] == "Branch"].iloc[0]
    assert branch["resolution_level"] == 1 and branch["type"].endswith("Branch")
    assert branch["id"] == id(tracker.branch) and "Branch object" in branch["repr"]


def test_tracked_sizes_frame(tracker):
    df = tracked_sizes_frame(tracker)
    assert tuple(df.columns) == TRACKED_SIZE_COLUMNS
    assert len(df) == 3 + 4 + 3  # branch in 3 snapshots, 4 leaves in one, 3 in the last
    per = df.groupby(["snapshot", "class"])["size"].sum()
    frame = classtracker_frame(tracker).set_index(["snapshot", "class"])["size"]
    for key, value in per.items():
        assert frame[key] == value
    assert (df["flat"] <= df["size"]).all()


def test_frames_from_loaded_file_equal_live(tracker):
    buf = io.StringIO()
    Stats(tracker=tracker).dump_stats(buf, close=False)
    buf.seek(0)
    loaded = Stats()
    loaded.load_stats(buf)
    pd.testing.assert_frame_equal(classtracker_frame(loaded), classtracker_frame(tracker))
    pd.testing.assert_frame_equal(tracked_sizes_frame(loaded), tracked_sizes_frame(tracker))
    live, back = tracked_objects_frame(tracker), tracked_objects_frame(loaded)
    pd.testing.assert_frame_equal(live, back)


def test_empty_tracker_frames():
    tr = ClassTracker()
    for fn, cols in ((classtracker_frame, CLASSTRACKER_COLUMNS), (tracked_objects_frame, TRACKED_OBJECT_COLUMNS),
                     (tracked_sizes_frame, TRACKED_SIZE_COLUMNS)):
        df = fn(tr)
        assert df.empty and tuple(df.columns) == cols
    assert str(tracked_objects_frame(tr)["death"].dtype) == "float64"


def test_bad_source():
    with pytest.raises(TypeError, match="ClassTracker or a classtracker_stats.Stats.*Stats\\(filename"):
        classtracker_frame([1, 2])
