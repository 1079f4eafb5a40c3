"""%heap and %retained in a real IPython shell; the retained-tree source; the heap chart."""

from __future__ import annotations

import gc
import sys
import weakref

import altair as alt
import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from pympler_nb import charts, frames, magics_heap
from pympler_nb.core import heap
from pympler_nb.core.heap.discovery import LIVE
from pympler_nb.widgets import NodeGone, SizeTree
from pympler_nb.widgets.retained import RetainedTreeSource
from tests._ipython import error_of, run, usage_error
from tests._widgets import ask


@pytest.fixture
def shown(monkeypatch):
    """The objects the heap magics display (instead of publishing them)."""
    out = []
    monkeypatch.setattr(magics_heap, "show", lambda *objs: out.extend(objs))
    return out


def session(shell):
    return shell.magics_manager.registry["HeapMagics"].heap_session


# ---------------------------------------------------------------------------
# usage
# ---------------------------------------------------------------------------

def test_registered_and_unloaded_with_the_extension(shell):
    assert {"heap", "retained"} <= set(shell.magics_manager.magics["line"])
    run(shell, "%unload_ext pympler_nb")
    assert "heap" not in shell.magics_manager.magics["line"]
    assert "HeapMagics" not in shell.magics_manager.registry
    shell.run_cell("%load_ext pympler_nb").raise_error()
    assert "retained" in shell.magics_manager.magics["line"]


@pytest.mark.parametrize("src, usage", [
    ("%heap -h", ("Usage: %heap [--by {type,kind,module,rcs,via,size,prod}] [--new] [--setref] "
                  "[--clearref] [--retained] [--top N] [--load FILE] [--dask CLIENT] [--timeout S] "
                  "[--scheduler] [--save FILE] [--diff FILE [FILE ...]] [-q]")),
    ("%retained -h", "Usage: %retained [--via] [--top N] [-q] EXPR"),
])
def test_help_prints_usage(shell, src, usage):
    result, cap = run(shell, src)
    assert error_of(result) is None and result.result is None
    assert cap.stdout.startswith(usage)


@pytest.mark.parametrize("src, words", [
    ("%heap --by colour", ["'colour'", "'type', 'kind', 'module', 'rcs', 'via', 'size'", "usage: %heap"]),
    ("%heap --top 0", ["--top 0", ">= 1"]),
    ("%heap --bogus", ["--bogus", "usage: %heap"]),
    ("%heap --clearref --new", ["--clearref", "one at a time"]),
    ("%retained", ["give an expression"]),
    ("%retained --top x y", ["--top", "'x'", "usage: %retained"]),
    ("%retained y -q", ["-q", "options first"]),
    ("%retained --top 0 y", ["--top 0", ">= 1"]),
    ("%retained not_defined_anywhere", ["name 'not_defined_anywhere' is not defined", "define it first"]),
    ("%retained y[", ["'y['", "not a Python expression"]),
])
def test_mistakes_are_one_line_usage_errors(shell, src, words):
    shell.run_cell("y = [1]")
    result, _ = run(shell, src)
    err = error_of(result)
    assert isinstance(err, UsageError), err
    assert "\n" not in str(err)
    for word in words:
        assert word in str(err), (word, str(err))


def test_new_without_reference_point(shell):
    run(shell, "%heap -q --clearref")
    err = error_of(run(shell, "%heap --new")[0])
    assert isinstance(err, UsageError) and "%heap --setref first" in str(err)


def test_retained_of_an_object_outside_the_heap(shell):
    err = error_of(run(shell, "%retained -q 'abc' * 1000")[0])  # held by nothing but the magic
    assert isinstance(err, UsageError) and "assign it to a name first" in str(err)
    assert "\n" not in str(err)


# ---------------------------------------------------------------------------
# %heap
# ---------------------------------------------------------------------------

def test_heap_table_matches_the_core(shell):
    shell.run_cell("class HeapThing:\n    pass\nthings = [HeapThing() for _ in range(300)]").raise_error()
    result, cap = run(shell, "hp = %heap -q")
    assert error_of(result) is None
    assert cap.outputs == [] and cap.stdout == ""
    df = shell.user_ns["hp"]
    assert list(df.columns) == list(frames.HEAP_PARTITION_COLUMNS)
    assert df["size"].is_monotonic_decreasing
    assert int(df["count"].sum()) == df.attrs["objects"] and int(df["size"].sum()) == df.attrs["size"]
    assert df["cumulative"].iloc[-1] == df.attrs["size"]
    assert abs(df["size_pct"].sum() - 100) < 1e-6
    assert df.attrs["by"] == "type" and df.attrs["new"] is False
    core = heap.take().by_type().row("__main__.HeapThing")
    row = df[df["key"] == "__main__.HeapThing"].iloc[0]
    assert (int(row["count"]), int(row["size"])) == (core.count, core.size) and core.count == 300
    assert len(LIVE) == (session(shell).reference is not None)  # the magic kept no snapshot


def test_heap_by_other_keys(shell):
    shell.run_cell("class Keyed:\n    pass\nkeyed = [Keyed() for _ in range(120)]").raise_error()
    for by, key, at_least in (("module", "__main__", 120), ("kind", "__main__.Keyed", 120),
                              ("size", None, 0), ("rcs", None, 0)):
        df = shell.run_line_magic("heap", f"-q --by {by}")
        assert df.attrs["by"] == by
        assert list(df.columns) == list(frames.HEAP_PARTITION_COLUMNS)
        if key is not None:
            assert int(df[df["key"] == key]["count"].iloc[0]) >= at_least, by
    assert set(df["key"]) >= {"list"}  # by rcs: referred to by a list (things, keyed)


def test_heap_by_prod_names_cells_and_lines(shell):
    """Issue 17 item 18: %heap --by prod groups by allocation site, as cell and line."""
    msg = usage_error(shell, "%heap -q --by prod")
    assert "tracemalloc was not tracing" in msg and "tracemalloc.start()" in msg
    shell.run_cell("import tracemalloc; tracemalloc.start()").raise_error()
    try:
        result = shell.run_cell("class Made:\n    pass\nmade = [Made() for _ in range(150)]",
                                store_history=True)
        result.raise_error()
        df = shell.run_line_magic("heap", "-q --by prod")
    finally:
        shell.run_cell("tracemalloc.stop()").raise_error()
    number = result.execution_count
    assert df.attrs["by"] == "prod" and list(df.columns) == list(frames.HEAP_PARTITION_COLUMNS)
    rows = dict(zip(df["key"], df["count"]))
    assert rows.get(f"cell [{number}], line 3", 0) >= 150, sorted(rows.items(), key=lambda kv: -kv[1])[:5]
    assert "unknown" in rows  # what existed before tracing started


def test_heap_new_shows_what_was_created_and_not_the_tool(shell):
    result, cap = run(shell, "%heap -q --setref")
    assert error_of(result) is None and result.result is None and cap.outputs == []
    assert session(shell).reference is not None
    shell.run_cell("class NewThing:\n    def __init__(self):\n        self.payload = bytearray(1000)\n"
                   "fresh = [NewThing() for _ in range(250)]").raise_error()
    df = shell.run_line_magic("heap", "-q --new --setref")
    assert df.attrs["new"] is True
    rows = dict(zip(df["key"], df["count"]))
    assert rows["__main__.NewThing"] == 250 and rows["bytearray"] >= 250
    own = [k for k in rows if k.startswith(("pympler_nb.", "argparse."))]
    assert own == []  # no snapshot, partition, parsed arguments, note... of ours
    assert df.attrs["objects"] < 2000  # the new objects, not the heap
    df = shell.run_line_magic("heap", "-q --new")  # the reference point moved
    assert "__main__.NewThing" not in set(df["key"])


def test_heap_new_leaves_out_the_sessions_bookkeeping(shell):
    run(shell, "warm = 1")  # (first-time imports of the cell machinery)
    run(shell, "%heap -q --setref")
    run(shell, "plain = 2")
    result, _ = run(shell, "quiet_new = %heap -q --new")
    assert error_of(result) is None
    rows = dict(zip(shell.user_ns["quiet_new"]["key"], shell.user_ns["quiet_new"]["count"]))
    # the last execution result and its info, the cell's text in the history, the
    # compiler's flags, the weak references to our own snapshots: none of them is new
    for bookkeeping in ("IPython.core.interactiveshell.ExecutionResult",
                        "IPython.core.interactiveshell.ExecutionInfo", "weakref.ReferenceType"):
        assert bookkeeping not in rows


def test_new_since_in_a_session_and_anchored(shell):
    ref = heap.take()
    shell.user_ns["kept_in_ns"] = kept = [{} for _ in range(20)]
    local = [{} for _ in range(30)]  # held only by this running function
    snap = heap.take()
    new = snap.new_since(ref)
    assert set(new.ids) <= set(snap.new_since(ref, ignore_session=False).ids)
    assert {id(kept), id(local)} | set(map(id, kept + local)) <= set(new.ids)
    anchored = set(new.anchored().ids)
    assert {id(kept)} | set(map(id, kept)) <= anchored  # referred to from the namespace
    assert not ({id(local)} | set(map(id, local))) & anchored
    del shell.user_ns["kept_in_ns"], kept, local, snap, ref, new


def test_heap_retained(shell):
    run(shell, "%heap -q --setref")
    shell.run_cell("class Owner:\n    def __init__(self):\n        self.payload = bytearray(2000)\n"
                   "owners = [Owner() for _ in range(40)]").raise_error()
    df = shell.run_line_magic("heap", "-q --new --retained --top 5")
    assert list(df.columns) == list(frames.HEAP_PARTITION_COLUMNS) + ["retained"]
    row = df[df["key"] == "__main__.Owner"].iloc[0]
    snap = heap.take()
    owners = shell.user_ns["owners"]
    expected = sum(snap.retained_size(o) for o in owners)
    assert int(row["retained"]) == expected
    assert expected >= 40 * (2000 + int(row["size"]) // 40)
    top = pd.DataFrame(df.attrs["top_retainers"])
    assert list(top.columns) == list(frames.RETAINER_COLUMNS) and len(top) == 5
    assert top["retained"].is_monotonic_decreasing
    # the list of owners is new and retains them all: it is the top retainer
    assert int(top["id"].iloc[0]) == id(owners)
    assert int(top["retained"].iloc[0]) == snap.retained_size(owners)


def test_heap_displays_a_note_and_a_top_n_chart(shell, shown):
    run(shell, "%heap -q --setref")
    shell.run_cell("disp = [bytearray(3000) for _ in range(30)] + [{} for _ in range(20)]").raise_error()
    result, _ = run(shell, "dd = %heap --new --top 2 --by type")
    assert error_of(result) is None
    note, chart = shown
    assert repr(note).startswith("heap: ") and "created since the reference point" in repr(note)
    assert isinstance(chart, alt.Chart)
    (rows,) = chart.to_dict()["datasets"].values()
    df = shell.user_ns["dd"]
    assert [r["key"] for r in rows] == list(df["key"][:2]) + [charts.OTHER]
    assert sum(r["size"] for r in rows) == int(df["size"].sum())  # the table stays complete
    assert len(df) > 3


def test_heap_by_via_names_how_objects_are_held(shell):
    run(shell, "%heap -q --setref")
    shell.run_cell("class Held:\n    def __init__(self):\n        self.payload_slot = bytearray(10)\n"
                   "held = [Held() for _ in range(60)]").raise_error()
    df = shell.run_line_magic("heap", "-q --new --by via")
    rows = dict(zip(df["key"], df["count"]))
    assert rows.get(".payload_slot") == 60, rows


# ---------------------------------------------------------------------------
# %retained
# ---------------------------------------------------------------------------

def test_retained_table_and_tree(shell, shown):
    shell.run_cell("box = [bytearray(1000) for _ in range(50)]\nshared = bytearray(5000)\n"
                   "box.append(shared)").raise_error()
    result, _ = run(shell, "rt = %retained --top 5 box")
    assert error_of(result) is None
    df = shell.user_ns["rt"]
    assert list(df.columns) == list(frames.RETAINER_COLUMNS)
    root = df.iloc[0]
    assert root["name"] == "box" and root["type"] == "list" and int(root["id"]) == id(shell.user_ns["box"])
    box = shell.user_ns["box"]
    exclusive = sum(map(sys.getsizeof, box[:50]))
    # the list and its 50 exclusive items; `shared` is held by the namespace too
    assert int(root["retained"]) == exclusive + int(root["size"])
    assert int(root["count"]) == 51 and len(df) == 6 and df.attrs["children"] == 50
    assert (df["type"][1:] == "bytearray").all()
    note, tree = shown
    assert "box: retains" in repr(note)
    assert isinstance(tree, SizeTree) and isinstance(tree._source, RetainedTreeSource)
    assert tree.roots[0]["size"] == int(root["retained"]) and tree.roots[0]["name"] == "box"
    assert len(LIVE) == (session(shell).reference is not None)  # the snapshot was dropped
    # the widget's expand protocol over the retained tree: pages, and forged ids refused
    reply = ask(tree, {"type": "expand", "id": "0", "offset": 0})
    assert reply["type"] == "children" and reply["total"] == 50
    assert [n["size"] for n in reply["nodes"]] == list(map(sys.getsizeof, box[:50]))
    child = reply["nodes"][0]["id"]
    assert ask(tree, {"type": "expand", "id": child, "offset": 0}) == {
        "type": "children", "id": child, "offset": 0, "nodes": [], "total": 0}
    for forged in ("999", "0/1", "-1", "00", "51", 7, None):
        reply = ask(tree, {"type": "expand", "id": forged, "offset": 0})
        assert reply["type"] == "error" and "unknown node id" in reply["message"], reply
    with pytest.raises(NodeGone):  # the source refuses ids it did not hand out, widget or not
        tree._source.children("51", 0, 10)
    tree.close()
    assert tree._source is None


def test_retained_quiet_and_no_user_object_kept(shell):
    shell.run_cell("class Big:\n    def __init__(self):\n        self.data = bytearray(10_000)\n"
                   "big = Big()").raise_error()
    probe = weakref.ref(shell.user_ns["big"])
    result, cap = run(shell, "rq = %retained -q big")
    assert error_of(result) is None and cap.outputs == [] and cap.stdout == ""
    assert int(shell.user_ns["rq"]["retained"].iloc[0]) >= 10_000
    with capture_output():
        tree = shell.run_line_magic("retained", "big")  # displayed: a widget is alive
    assert isinstance(tree, pd.DataFrame)
    shell.run_cell("del big")
    gc.collect()
    assert probe() is None


def _rows(nodes):
    return [(n.name, n.type, n.size, n.flat, n.has_children) for n in nodes]


def _core_rows(nodes):
    return [(n.name, n.type, n.retained, n.size, n.count > 1) for n in nodes]


@pytest.mark.parametrize("via", [False, True])
def test_tree_source_children_match_the_core(via):
    class Node:
        def __init__(self, i):
            self.items = [bytearray(100 + i) for _ in range(3)]
            self.label = f"node-{i}"

    data = {"nodes": [Node(i) for i in range(7)], "blob": bytearray(4000)}
    # the whole heap, and (faster, for the reference names) the data structure only
    snap = heap.take(roots=[data], via=True) if via else heap.take()
    root = snap.retained_tree(data)
    src = RetainedTreeSource(root, name="data")
    (top,) = src.roots()
    assert (top.id, top.name, top.size, top.flat) == ("0", "data", root.retained, root.size)
    stack = [(top, root)]
    checked = 0
    while stack:  # every level: the same children, in the same order
        info, node = stack.pop()
        kids, total = src.children(info.id, 0, 10_000)
        core = node.children()
        assert total == len(core) and _rows(kids) == _core_rows(core)
        assert info.size == info.flat + sum(k.size for k in kids)
        for k, c in zip(kids, core):
            assert src.object_id(k.id) == c.id
            stack.append((k, c))
        checked += len(kids)
    assert checked == root.count - 1
    if via:
        names = {n.name for n in src.children("0", 0, 100)[0]}
        assert {"['nodes']", "['blob']"} <= names
    page, total = src.children("0", 1, 1)
    assert _rows(page) == _core_rows(root.children()[1:2]) and total == len(root.children())


def test_tree_source_validates_ids_and_pages():
    box = [bytearray(10) for _ in range(30)]
    src = RetainedTreeSource(heap.take(roots=[box]).retained_tree(box))
    for forged in ("1", "00", "-1", " 0", "0.0", "0/1", "", "99999999999", "٣", 0, None):
        with pytest.raises(NodeGone):
            src.children(forged, 0, 10)
    kids, total = src.children("0", 0, 10)
    assert total == 30 and [k.id for k in kids] == [str(i) for i in range(1, 11)]
    assert src.children("0", 25, 10)[0][-1].id == "30" and len(src.children("0", 25, 10)[0]) == 5
    assert src.children("5", 0, 10) == ([], 0)  # shown now: a leaf
    with pytest.raises(NodeGone):
        src.children("20", 0, 10)  # not shown yet
    src.release()
    with pytest.raises(NodeGone, match="released"):
        src.children("0", 0, 10)
    with pytest.raises(TypeError, match="RetainedNode"):
        RetainedTreeSource(box)


# ---------------------------------------------------------------------------
# the chart builder
# ---------------------------------------------------------------------------

def test_heap_partition_chart_top_n_and_other():
    df = pd.DataFrame({"key": ["str", "dict", "int", "list"], "count": [10, 2, 5, 1],
                       "size": [600, 464, 160, 56], "retained": [700, 900, 160, 80]})
    spec = charts.heap_partition_chart(df, top=2, by="module").to_dict()
    assert spec["mark"]["type"] == "bar" and spec["title"] == "Heap by module"
    (rows,) = spec["datasets"].values()
    assert [r["key"] for r in rows] == ["str", "dict", charts.OTHER]
    assert rows[-1]["count"] == 6 and rows[-1]["size"] == 216 and rows[-1]["retained"] is None
    assert sum(r["size"] for r in rows) == 1280
    assert spec["encoding"]["x"]["field"] == "size"
    assert "retained" in [t["field"] for t in spec["encoding"]["tooltip"]]
    (rows,) = charts.heap_partition_chart(df.drop(columns="retained"), top=10).to_dict()["datasets"].values()
    assert len(rows) == 4 and "retained" not in rows[0]


def test_heap_partition_chart_errors():
    with pytest.raises(ValueError, match="heap_partition_frame"):
        charts.heap_partition_chart(pd.DataFrame({"key": ["a"]}))
    with pytest.raises(ValueError, match="top must be an int >= 1, got 0"):
        charts.heap_partition_chart(pd.DataFrame({"key": ["a"], "count": [1], "size": [1]}), top=0)


# ---------------------------------------------------------------------------
# objects held only by numpy object arrays (issue 13, item 3)
# ---------------------------------------------------------------------------

def test_heap_and_retained_count_an_object_column(shell, shown):
    import numpy as np

    from pympler_nb.core import asizeof

    run(shell, "%heap -q --setref")
    shell.run_cell("import numpy as np, pandas as pd\n"
                   "reach_df = pd.DataFrame({'a': np.arange(20_000), 's': pd.Series("
                   "['object-column-%d' % i for i in range(20_000)], dtype=object)})").raise_error()
    df = shell.user_ns["reach_df"]
    strs = sum(map(sys.getsizeof, df["s"].tolist()))  # 20,000 distinct strings
    # %heap: the strings held only by the column's array are on the heap, and retained
    new = shell.run_line_magic("heap", "-q --new --retained")
    rows = new.set_index("key")
    # (--new compares ids: a string may reuse the id of one freed since --setref)
    assert int(rows.loc["str", "count"]) >= 19_900 and int(rows.loc["str", "size"]) >= strs * 0.99
    assert int(rows.loc["numpy.ndarray", "retained"]) >= strs + 20_000 * 8
    # %retained: close to asizeof (what it does not count is shared with the program)
    result, _ = run(shell, "rr = %retained --top 5 reach_df")
    assert error_of(result) is None
    table = shell.user_ns["rr"]
    retained = int(table["retained"].iloc[0])
    deep = asizeof.asizeof(df)
    assert retained <= deep and deep - retained < 2048, (retained, deep)
    assert retained >= strs + 20_000 * 16  # the strings, the int and object buffers
    note, tree = shown
    assert "reach_df: retains" in repr(note) and tree.roots[0]["size"] == retained
    tree.close()
    assert isinstance(df["s"].values, np.ndarray)
    shell.run_cell("del reach_df, rr").raise_error()
    del df, table, new, rows, note, tree
