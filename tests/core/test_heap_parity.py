"""Issue 17, items 17-19: heapy's set algebra, partitions, ``byprod`` and referrer
patterns on heap sets (public API only)."""

from __future__ import annotations

import gc
import sys
import tracemalloc
import weakref

import pytest

from pympler_nb.core import allocations, heap


class Node:
    def __init__(self, payload):
        self.payload = payload


@pytest.fixture
def data():
    nodes = [Node(bytearray(100 + i)) for i in range(4)]
    box = {"nodes": nodes, "extra": [bytearray(500)]}
    return box


def _type_set(snap, name):
    return snap.by_type().select(name)


# --------------------------------------------------------------------------
# item 17: set algebra, byid / byidset / byunity, parts, stat, exact bysize
# --------------------------------------------------------------------------

def test_set_algebra_and_partitions(data):
    snap = heap.take(roots=[data])
    nodes = _type_set(snap, f"{__name__}.Node")
    arrays = _type_set(snap, "bytearray")
    lists = _type_set(snap, "list")
    every = snap.all
    assert (nodes | arrays).count == 4 + 5 and (nodes | arrays).size == nodes.size + arrays.size
    assert (nodes & every).ids == nodes.ids
    assert sorted((every - nodes).ids) == sorted(set(every.ids) - set(nodes.ids))
    assert sorted((every ^ nodes).ids) == sorted((every - nodes).ids)
    assert (nodes & arrays).count == 0 and nodes.disjoint(arrays) and not every.disjoint(lists)
    # a partition stands for its set
    assert (snap.by_type() - nodes).count == len(snap) - 4
    assert (nodes | snap.by_kind()).count == len(snap)
    assert data["nodes"][0] in nodes and data["nodes"] not in nodes
    # sets of two snapshots are not mixed silently
    other = heap.take(roots=[data])
    with pytest.raises(ValueError, match="same snapshot"):
        nodes | other.all
    with pytest.raises(TypeError):
        nodes | {1, 2}
    with pytest.raises(TypeError, match="disjoint needs"):
        nodes.disjoint([1])

    by_id = every.by_id()
    assert len(by_id) == len(snap) and all(r.count == 1 for r in by_id)
    key = "%s.Node: %#x" % (__name__, id(data["nodes"][0]))
    assert by_id.row(key).size == by_id.select(key).size
    assert by_id.select(key).ids == [id(data["nodes"][0])]
    idset = every.by_idset()
    assert [r.size for r in idset] == [r.size for r in by_id]
    assert idset.keys()[0].startswith("<1 ") and idset.keys()[0].endswith(">")
    unity = every.by_unity()
    assert [tuple(r) for r in unity] == [("<Anything>", len(snap), snap.size)]

    parts = every.parts
    assert [p.count for p in parts] == [r.count for r in every.by_kind()]
    assert sum(p.size for p in parts) == snap.size
    assert sorted(i for p in parts for i in p.ids) == sorted(every.ids)
    tparts = snap.by_type().parts
    assert [(p.count, p.size) for p in tparts] == [(r.count, r.size) for r in snap.by_type()]

    rows = every.stat.get_rows()
    assert [r.name for r in rows] == every.by_kind().keys()
    assert rows[-1].cumulsize == snap.size and [r.index for r in rows] == list(range(len(rows)))
    assert every.stat.count == len(snap) and every.stat.size == snap.size

    exact = arrays.by_size()
    sizes = [sys.getsizeof(b) for b in [*(n.payload for n in data["nodes"]), *data["extra"]]]
    assert sorted(int(k) for k in exact.keys()) == sorted(set(sizes))
    assert exact.by == "size"
    buckets = arrays.by_size(buckets=True)
    assert buckets.by == "size class" and buckets.count == 5 and len(buckets) < len(exact)
    with pytest.raises(TypeError, match="buckets"):
        arrays.by_size(buckets="yes")


# --------------------------------------------------------------------------
# item 18: byprod
# --------------------------------------------------------------------------

def _made_here():
    return [Node(bytearray(300)) for _ in range(3)]  # the allocation line


def test_by_prod_groups_by_allocation_line(tmp_path):
    was = tracemalloc.is_tracing()
    if was:
        tracemalloc.stop()
    snap = heap.take(roots=[[1]])
    with pytest.raises(ValueError, match="tracemalloc was not tracing"):
        snap.by_prod()
    with pytest.raises(ValueError, match="prod=True needs tracemalloc"):
        heap.take(roots=[[1]], prod=True)
    tracemalloc.start(5)
    try:
        made = _made_here()
        snap = heap.take(roots=[made])
        assert snap.has_prod and not heap.take(roots=[made], prod=False).has_prod
    finally:
        tracemalloc.stop()
        if was:
            tracemalloc.start()
    line = _made_here.__code__.co_firstlineno + 1
    part = snap.by_type().select("bytearray").by_prod()
    assert part.by == "prod"
    assert [tuple(r) for r in part] == [("%s:%d" % (__file__, line), 3, 3 * sys.getsizeof(made[0].payload))]
    # instances of a plain class too (CPython 3.11's tracemalloc misses them by itself)
    part = snap.by_type().select(f"{__name__}.Node").by_prod()
    assert [(r.key, r.count) for r in part] == [("%s:%d" % (__file__, line), 3)]
    assert allocations.get_object_traceback(made[0]) is None  # tracing stopped: traces gone
    # the sites survive dump/load
    path = tmp_path / "snap.json"
    snap.dump(path)
    assert heap.load(path).by_prod().rows == snap.by_prod().rows


def test_cell_names():
    from pympler_nb.core.alloc_sites import site_label

    assert site_label("<ipython-input-12-0a1b2c3d4e5f>", 4) == "cell [12], line 4"
    assert site_label("/tmp/ipykernel_77/1234.py", 2, {"/tmp/ipykernel_77/1234.py": 5}) == \
        "cell [5], line 2"
    assert site_label("/srv/mod.py", 9) == "/srv/mod.py:9"


# --------------------------------------------------------------------------
# item 19: rp / pathsin / pathsout
# --------------------------------------------------------------------------

def test_referrer_pattern_and_paths(data):
    snap = heap.take(roots=[data], via=True)
    nodes = _type_set(snap, f"{__name__}.Node")
    tree = nodes.rp(depth=5)
    assert [(r.depth, r.key, r.count) for r in tree] == [
        (0, f"{__name__}.Node", 4), (1, "list", 1), (2, "dict", 1)]
    assert [r.status for r in tree] == ["expanded", "expanded", "none"]
    assert tree.children(0) == [1] and tree.set(1).ids == [id(data["nodes"])]
    shallow = nodes.rp(depth=1)
    assert [r.status for r in shallow] == ["expanded", "depth"]

    pin = nodes.pathsin()
    tops = pin.top()
    assert len(tops) == 4 and {pin[i].id for i in tops} == {id(n) for n in data["nodes"]}
    kids = [pin[c] for i in tops for c in pin.children(i)]
    assert sorted(k.via for k in kids) == ["[0]", "[1]", "[2]", "[3]"]
    assert {k.id for k in kids} == {id(data["nodes"])}
    assert sum(k.status == "seen" for k in kids) == 3  # the list is shown once
    pin2 = nodes.pathsin(depth=2)
    assert any(r.via == "['nodes']" and r.key == "dict" for r in pin2)

    pout = nodes.pathsout()
    out_kids = [pout[c] for i in pout.top() for c in pout.children(i)]
    assert {k.id for k in out_kids if k.key == "bytearray"} == {id(n.payload) for n in data["nodes"]}
    assert [k.via for k in out_kids] == [".payload"] * 4

    capped = snap.all.pathsout(depth=3, max_rows=3)
    assert capped.truncated and len(capped) <= 3
    with pytest.raises(ValueError, match="depth must be an int"):
        nodes.rp(depth=-1)
    with pytest.raises(IndexError):
        tree.children(99)
    assert "Reference pattern" in tree.format()


def test_views_do_not_keep_objects_alive():
    payload = [Node(bytearray(50)) for _ in range(3)]
    refs = [weakref.ref(p) for p in payload]
    snap = heap.take(roots=[payload], via=True)
    nodes = _type_set(snap, f"{__name__}.Node")
    keep = (nodes | snap.all, nodes.rp(), nodes.pathsin(), nodes.pathsout(), nodes.by_id(),
            nodes.parts, nodes.stat.get_rows(), snap.by_size())
    del payload
    gc.collect()
    assert all(r() is None for r in refs)
    assert keep[1].rows[0].count == 3
