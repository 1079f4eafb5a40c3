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


# -- the locked copies the frames are built from (Stats.class_rows / object_records) --------
class Table:
    """A tracked holder of realistic data: a DataFrame with object, categorical and Arrow
    columns, a numpy object array and a functools cache."""

    def __init__(self, n):
        import functools

        import numpy as np

        self.df = pd.DataFrame({"obj": [f"row {i}" for i in range(n)],
                                "cat": pd.Categorical(["a", "b"] * (n // 2) + ["a"] * (n % 2)),
                                "arrow": pd.array([f"s{i}" for i in range(n)], dtype="string[pyarrow]")})
        self.arr = np.array([(i,) for i in range(n)] + [None], dtype=object)
        self.cached = functools.lru_cache(maxsize=None)(lambda x: [x] * 3)
        for i in range(n):
            self.cached(i)


def _check_consistent(tr, classes):
    """The three frames, each checked on its own: one consistent copy per call."""
    cf = classtracker_frame(tr)
    nsnap = cf["snapshot"].nunique()
    assert len(cf) == nsnap * len(classes)  # every snapshot has a row for every class
    assert set(cf["snapshot"]) == set(range(nsnap)) and set(cf["class"]) == set(classes)
    assert not cf.duplicated(["snapshot", "class"]).any()
    assert (cf["size"] >= 0).all() and (cf["active"] >= 0).all()
    sf = tracked_sizes_frame(tr)
    assert not sf.duplicated(["id", "snapshot", "class"]).any()
    if len(sf):
        assert sf["snapshot"].min() >= 0
        by_snap = sf.groupby("snapshot")["timestamp"].nunique()
        assert (by_snap == 1).all()  # a position names one snapshot
    of = tracked_objects_frame(tr)
    assert set(of["class"]) <= set(classes)
    assert (of["max_size"] >= of["last_size"]).all()
    return nsnap


def test_frames_while_periodic_snapshots_run():
    tr = ClassTracker()
    tr.track_class(Leaf, name="Leaf")
    tr.track_class(Table, name="Table", resolution_level=1)
    keep = [Table(20)]
    try:
        tr.start_periodic_snapshots(0.0)
        seen = 0
        for i in range(40):
            keep.append(Leaf(i % 7))
            if i % 5 == 0:
                keep.append(Table(10 + i))
            if i % 3 == 0:
                del keep[1]
            seen = max(seen, _check_consistent(tr, ("Leaf", "Table")))
        assert tr._periodic_thread.is_alive()
    finally:
        tr.close()
    assert seen >= 2  # the thread did take snapshots while the frames were built
    tr.create_snapshot("last")
    final = classtracker_frame(tr)
    table = final[(final["class"] == "Table") & (final["snapshot"] == final["snapshot"].max())].iloc[0]
    live_tables = sum(type(x) is Table for x in keep)
    assert table["active"] == live_tables and table["size"] > 0
    sizes = tracked_sizes_frame(tr)
    last = sizes[sizes["snapshot"] == final["snapshot"].max()]
    assert last.groupby("class")["size"].sum().to_dict() == \
        final[final["snapshot"] == final["snapshot"].max()].set_index("class")["size"].loc[
            sorted(set(last["class"]))].to_dict()


@pytest.mark.parametrize("build", [classtracker_frame, tracked_objects_frame, tracked_sizes_frame])
def test_frames_read_under_the_trackers_lock(tracker, build):
    import threading

    done = threading.Event()
    worker = threading.Thread(target=lambda: (build(tracker), done.set()), daemon=True)
    with tracker.snapshot_lock:  # e.g. a snapshot in progress
        worker.start()
        assert not done.wait(0.3)  # the frame waits for the lock
    assert done.wait(10)
    worker.join(10)


def test_locked_copies_hold_no_lock_while_iterated(tracker):
    import threading

    stats = Stats(tracker=tracker)
    rows, records, sizes = stats.class_rows(), stats.object_records(), stats.size_rows()
    first_row, first_record, first_size = next(rows), next(records), next(sizes)
    snap = threading.Thread(target=tracker.create_snapshot, args=("meanwhile",))
    snap.start()
    snap.join(10)
    assert not snap.is_alive()  # no lock held by the half-consumed iterators
    assert len(tracker.snapshots) == 4
    assert len(list(rows)) == 3 * 2 - 1  # the copy: 3 snapshots, not the 4th
    assert all(r.snapshot < 3 for r in [first_size, *sizes])
    assert sum(r.samples for r in [first_record, *records]) == 3 + 4 + 3
    assert first_row.snapshot == 0 and first_row.name == "Branch"
    assert first_record.key == "Leaf" or first_record.key == "Branch"
