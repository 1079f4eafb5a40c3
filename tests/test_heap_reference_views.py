"""Issue 17 item 19 in the views: rp / pathsin / pathsout as a DataFrame
(``frames.reference_tree_frame``) and in the size tree widget (``ReferenceTreeSource``).
The core computes the tree; the views only show it."""

from __future__ import annotations

import gc
import weakref

import pandas as pd
import pytest

from pympler_nb import frames
from pympler_nb.core import heap
from pympler_nb.widgets import NodeGone, ReferenceTreeSource, SizeTree


class Row:
    def __init__(self, i):
        self.values = pd.Series([f"v{i}", None], dtype="object")


@pytest.fixture
def table():
    """A realistic holder: a DataFrame with object, categorical and Arrow columns, plus
    instances holding object Series."""
    df = pd.DataFrame({"obj": ["a", "b", None], "cat": pd.Categorical(["x", "y", "x"]),
                       "arrow": pd.array(["p", "q", None], dtype="string[pyarrow]")})
    return {"frame": df, "rows": [Row(i) for i in range(3)]}


def test_reference_tree_frame(table):
    snap = heap.take(roots=[table], via=True)
    rows = snap.by_type().select(f"{__name__}.Row")
    tree = rows.rp(depth=4)
    df = frames.reference_tree_frame(tree)
    assert list(df.columns) == list(frames.REFERENCE_TREE_COLUMNS)
    assert df["row"].tolist() == list(range(len(tree)))
    assert df.loc[0, "key"] == f"{__name__}.Row" and df.loc[0, "count"] == 3
    assert df.loc[1, "key"] == "list" and df.loc[1, "parent"] == 0 and df.loc[2, "key"] == "dict"
    assert df["id"].isna().all() and str(df["id"].dtype) == "Int64"
    assert df["status"].tolist() == [r.status for r in tree]
    pin = frames.reference_tree_frame(rows.pathsin())
    assert set(pin.loc[pin["depth"] == 1, "via"]) == {"[0]", "[1]", "[2]"}
    assert set(pin.loc[pin["depth"] == 0, "id"]) == {id(r) for r in table["rows"]}
    pout = frames.reference_tree_frame(rows.pathsout())
    assert (pout.loc[pout["depth"] == 1, "via"] == ".values").all()
    assert pout["same"].isna().all()
    with pytest.raises(TypeError, match="reference_tree_frame expects a ReferenceTree"):
        frames.reference_tree_frame(snap.by_type())


def test_reference_tree_in_the_size_tree_widget(table):
    snap = heap.take(roots=[table], via=True)
    series = snap.by_type().select("pandas.Series")
    tree = series.pathsin(depth=2)
    src = ReferenceTreeSource(tree)
    widget = SizeTree(src, title="who holds the Series")
    roots = widget.roots
    assert [r["type"] for r in roots] == [tree[i].key for i in tree.top()]
    assert all(r["size"] == tree[int(r["id"])].size for r in roots)
    kids, total = src.children(roots[0]["id"], 0, 10)
    assert total == len(tree.children(int(roots[0]["id"])))
    assert kids and all(k.type == tree[int(k.id)].key for k in kids)
    assert [k.name.split(" ")[0] for k in kids] == [".values"], [k.name for k in kids]
    with pytest.raises(NodeGone):
        src.children("99999", 0, 10)
    with pytest.raises(NodeGone):
        src.children("01", 0, 10)
    widget.close()
    with pytest.raises(NodeGone):
        src.children(roots[0]["id"], 0, 10)
    with pytest.raises(TypeError, match="expected a ReferenceTree"):
        ReferenceTreeSource(snap.by_type())


def test_views_keep_no_user_object():
    rows = [Row(i) for i in range(3)]
    refs = [weakref.ref(r) for r in rows]
    snap = heap.take(roots=[rows], via=True)
    tree = snap.by_type().select(f"{__name__}.Row").pathsout()
    keep = (frames.reference_tree_frame(tree), ReferenceTreeSource(tree))
    del rows, snap, tree
    gc.collect()
    assert all(r() is None for r in refs) and len(keep[0]) > 0
