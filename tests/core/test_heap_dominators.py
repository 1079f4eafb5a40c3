"""pympler_nb.core.heap's dominator engine: DominatorTree, Partition.retained,
HeapSet.top_retainers, RetainedNode.subtree, checked against brute force.

Brute force: the retained size of ``x`` is what is freed when ``x`` goes: walk the
snapshot's graph from the roots with ``x`` removed; what the roots reached before and
do not reach now is what ``x`` alone kept alive (for a partition row: remove all of
its objects at once).  The data are what notebooks hold: a pandas frame with object,
categorical and Arrow columns, a numpy object array of lists (references only the
size rules see), an ``lru_cache``.
"""

from __future__ import annotations

import functools
import gc
import random
from array import array

import pytest

from pympler_nb.core import heap
from pympler_nb.core.heap import DominatorTree, HeapSet, HeapSnapshot

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")


class Record:
    def __init__(self, i):
        self.name = "record %d" % i
        self.values = list(range(i % 7))


def _realistic():
    shared = ["shared", "by", "many", "cells"]
    objs = pd.Series([Record(i) if i % 3 else [i, "x%d" % i] for i in range(120)],
                     dtype=object)
    df = pd.DataFrame({
        "obj": objs,
        "cat": pd.Categorical(["red", "green", "blue"] * 40),
        "arrow": pd.array(["t%d" % i for i in range(120)], dtype="string[pyarrow]"),
        "num": np.arange(120, dtype="int64"),
    })
    arr = np.empty(60, dtype=object)
    for i in range(60):
        arr[i] = shared if i % 4 == 0 else [i, str(i) * 3]

    @functools.lru_cache(maxsize=None)
    def expand(n):
        return [Record(n)] * 3

    for i in range(25):
        expand(i)
    return {"df": df, "arr": arr, "cache": expand, "shared": shared, "records": objs}


_DATA: dict = {}


@pytest.fixture(scope="module")
def data():
    _DATA.update(_realistic())
    yield _DATA
    _DATA.clear()


@pytest.fixture(scope="module")
def snap(data):
    return heap.take(roots=[data])


# -- brute force over the snapshot's graph (public referents, no dominator code) ----------

def _reach(s: HeapSnapshot, removed: frozenset = frozenset()) -> set:
    seen: set = set()
    stack = [r for r in s.roots.nodes if r not in removed]
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        stack.extend(u for u in s.referents(v) if u not in removed and u not in seen)
    return seen


def _freed(s: HeapSnapshot, nodes, full: set) -> set:
    """What goes when all of ``nodes`` go (they included, if they were reachable)."""
    return full - _reach(s, frozenset(nodes))


def _size(s: HeapSnapshot, nodes) -> int:
    return HeapSet(s, array("i", sorted(nodes))).size


# -- DominatorTree ----------------------------------------------------------------------

def test_realistic_snapshot_holds_what_the_data_hold(snap, data):
    types = set(snap.by_type().keys())
    # object column elements, the arrow chunks, the cache's entries, the array's lists
    assert {"test_heap_dominators.Record", "pyarrow.lib.ChunkedArray",
            "functools._lru_cache_wrapper", "numpy.ndarray", "pandas.Categorical"} <= types
    assert snap.node(data["arr"][1]) >= 0 and snap.node(data["shared"]) >= 0


def test_dominator_tree_matches_brute_force_for_every_object(snap):
    tree = snap.dominators()
    assert isinstance(tree, DominatorTree) and snap.dominators()._idom is tree._idom
    full = _reach(snap)
    assert len(tree) == tree.total_count == len(full)
    assert tree.total_retained == _size(snap, full) == tree.retained(-1)
    for v in range(len(snap)):
        freed = _freed(snap, [v], full)
        assert tree.retained(v) == _size(snap, freed), snap.type_of(v)
        assert tree.count(v) == len(freed)
        assert list(tree.dominated(v).nodes) == sorted(freed)
        d = tree.dominator(v)
        if d == -1:  # dominated by nothing but the virtual root: a root, or held by 2 roots
            assert all(v not in _freed(snap, [r], full) for r in snap.roots.nodes if r != v)
        else:  # the immediate dominator frees v, and every other dominator frees it too
            dom_freed = _freed(snap, [d], full)
            assert v in dom_freed and freed < dom_freed
            assert v in tree.children(d)


def test_named_objects_match_the_live_walk(snap, data):
    tree = snap.dominators()
    full = _reach(snap)
    for name in ("df", "arr", "cache", "shared", "records"):
        obj = data[name]
        v = snap.node(obj)
        expected = _size(snap, _freed(snap, [v], full))
        assert tree.retained(v) == expected == snap.retained_size(obj), name
        assert heap.retained_size(obj, roots=[data]) == expected, name
    # the shared list is held by the dict and by the object array: neither retains it
    shared = snap.node(data["shared"])
    assert tree.dominator(shared) == snap.node(data)
    assert shared not in tree.dominated(snap.node(data["arr"])).nodes
    # a list held only by the object array (a reference only the size rules see)
    inner = snap.node(data["arr"][1])
    assert tree.dominator(inner) == snap.node(data["arr"])


def test_children_are_ordered_and_consistent(snap):
    tree = snap.dominators()
    for v in [-1] + list(range(len(snap))):
        if v >= 0 and not tree.is_reachable(v):
            continue
        kids = tree.children(v)
        rets = [tree.retained(k) for k in kids]
        assert rets == sorted(rets, reverse=True)
        assert all(tree.dominator(k) == v for k in kids)
        own = 0 if v == -1 else HeapSet(snap, array("i", [v])).size
        assert tree.retained(v) == own + sum(rets)


def test_subtree_columns_follow_children(snap, data):
    node = snap.retained_tree(data, name="data")
    sub = node.subtree()
    assert len(sub) == node.count and sub.name == "data" and sub.retained[0] == node.retained
    tree = snap.dominators()
    rows = [node.node]
    for i in range(len(sub)):  # breadth-first, children in children() order
        kids = tree.children(rows[i])
        assert sub.first[i + 1] - sub.first[i] == len(kids)
        rows.extend(kids)
    assert list(sub.ids) == [snap.all.ids[r] for r in rows]
    assert [sub.type_names[c] for c in sub.type_codes] == [snap.type_of(r) for r in rows]
    assert list(sub.retained) == [tree.retained(r) for r in rows]
    assert sub.retained[0] == sub.sizes[0] + sum(sub.retained[j] for j in range(
        sub.first[0], sub.first[1]))
    assert node.child_count() == len(tree.children(node.node))


def test_subtree_labels_with_via(data):
    s = heap.take(roots=[data], via=True)
    sub = s.retained_tree(data).subtree()
    labels = {sub.label_names[c] for c in sub.label_codes if c >= 0}
    assert {"['df']", "['arr']", "['cache']", "['records']"} <= labels
    assert sub.label_codes[0] == -1


def test_dominator_tree_errors(snap):
    with pytest.raises(TypeError, match="DominatorTree needs a HeapSnapshot"):
        DominatorTree([1, 2])
    tree = snap.dominators()
    with pytest.raises(TypeError, match="snapshot row"):
        tree.retained("0")
    with pytest.raises(IndexError, match="not a row of this snapshot"):
        tree.count(len(snap))
    with pytest.raises(IndexError, match="not a row"):
        tree.dominator(-1)
    with pytest.raises(ValueError, match="n must be an int >= 0, got -1"):
        tree.top_retainers(-1)
    with pytest.raises(TypeError, match="within must be a HeapSet of this snapshot"):
        tree.top_retainers(3, within=heap.take(roots=[[1]]).all)
    with pytest.raises(AttributeError, match="immutable"):
        tree.total_count = 0
    graphless = heap.take(roots=[[1]], graph=False)
    with pytest.raises(ValueError, match="graph=False"):
        graphless.dominators()


def test_a_dropped_snapshot_is_freed_at_once(data):
    import weakref

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        s = heap.take(roots=[data])
        s.retained_tree(data).children()
        s.all.by_type().retained()
        s.all.top_retainers(3)
        ref = weakref.ref(s)
        del s  # no cycle through the snapshot's caches: freed without a collection
        assert ref() is None
    finally:
        if was_enabled:
            gc.enable()


def test_unreachable_rows_retain_nothing():
    class Cycle:
        pass

    gc.collect()
    a, b = Cycle(), Cycle()
    a.other, b.other = b, a
    ids = (id(a), id(b))
    del a, b  # cyclic garbage, not collected yet
    s = heap.take()
    try:
        tree = s.dominators()
        rows = [s.node(i) for i in ids]
        assert set(rows) <= set(s.unreachable().nodes)
        for v in rows:
            assert not tree.is_reachable(v)
            assert tree.retained(v) == 0 and tree.count(v) == 0
            assert len(tree.dominated(v)) == 0
            with pytest.raises(KeyError, match="not reachable"):
                tree.dominator(v)
            with pytest.raises(KeyError, match="not reachable"):
                tree.node(v)
        assert set(rows).isdisjoint(tree.dominated(-1).nodes)
        assert all(r.id not in ids for r in s.unreachable().top_retainers(5))
    finally:
        del s
        gc.collect()


# -- Partition.retained -------------------------------------------------------------------

def _row_retained(s: HeapSnapshot, members, full: set) -> tuple:
    """Brute force ``(minimum, exact)`` retained size of a group: the members that no
    other member's removal frees, their own freed sizes summed; and what removing all
    of them at once frees."""
    members = [m for m in members if m in full]
    freed = {m: _freed(s, [m], full) for m in members}
    tops = [m for m in members if not any(m in freed[o] for o in members if o != m)]
    return sum(_size(s, freed[m]) for m in tops), _size(s, _freed(s, members, full))


@pytest.mark.parametrize("by", ["type", "kind", "module", "size", "rcs"])
def test_partition_retained_matches_brute_force(snap, by):
    full = _reach(snap)
    part = getattr(snap.all, "by_" + by)()
    got = part.retained()
    exact = part.retained(exact=True)
    assert isinstance(got, tuple) and len(got) == len(exact) == len(part.rows)
    for r, minimum, precise in zip(part.rows, got, exact):
        members = part.select(r.key).nodes
        assert (minimum, precise) == _row_retained(snap, members, full), r.key
        assert part.select(r.key).retained_size() == precise
        assert r.size <= minimum <= precise  # every object of the row is reachable here
    if by == "type":  # the lists of the object array share one list: only "exact" sees it
        lists = part.keys().index("list")
        shared = HeapSet(snap, array("i", [snap.node(snap_data_shared(snap))])).size
        assert exact[lists] - got[lists] >= shared


def snap_data_shared(s):
    return _DATA["shared"]


def test_partition_retained_of_a_subset(snap):
    full = _reach(snap)
    subset = snap.all.by_type().select("list")  # a subset: only the lists
    part = subset.by_size()
    for r, minimum, precise in zip(part.rows, part.retained(), part.retained(exact=True)):
        members = part.select(r.key).nodes
        assert (minimum, precise) == _row_retained(snap, members, full), r.key
    with pytest.raises(TypeError, match="exact must be True or False"):
        part.retained(exact="yes")


def test_partition_retained_on_the_whole_heap(data):
    s = heap.take()
    part = s.reachable.by_type()
    full = _reach(s)
    key = "test_heap_dominators.Record"
    i = part.keys().index(key)
    members = part.select(key)
    precise = _size(s, _freed(s, members.nodes, full))
    assert members.retained_size() == precise
    # the records share nothing but small ints (alive anyway): both measures agree,
    # and they hold their names and lists of values (only they do)
    assert part.retained()[i] == precise > part.row(key).size


# -- HeapSet.top_retainers -------------------------------------------------------------

def test_top_retainers_of_a_set_match_brute_force(snap):
    full = _reach(snap)
    for key in ("list", "dict", "test_heap_dominators.Record"):
        hset = snap.all.by_type().select(key)
        brute = sorted(((_size(snap, _freed(snap, [v], full)), v) for v in hset.nodes),
                       key=lambda p: -p[0])
        top = hset.top_retainers(5)
        assert [t.retained for t in top] == [b for b, _ in brute[:5] if b > 0]
        for t in top:
            v = snap.node(t.id)
            assert v in hset.nodes and t.type == key
            assert t.retained == _size(snap, _freed(snap, [v], full))
            assert t.count == len(_freed(snap, [v], full))
    assert snap.reachable.top_retainers(7) == snap.top_retainers(7)
    assert snap.all.top_retainers(3, min_size=10**9) == []
    with pytest.raises(ValueError, match="n must be an int >= 0"):
        snap.all.top_retainers(True)


def test_synthetic_graphs_with_garbage_against_brute_force():
    rng = random.Random(16)
    for trial in range(30):
        n = rng.randrange(2, 40)
        edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randrange(n * 3))]
        roots = sorted(set(rng.sample(range(n), rng.randrange(1, 3))))
        s = _synthetic(n, edges, roots, rng)
        tree = s.dominators()
        full = _reach(s)
        for v in range(n):
            freed = _freed(s, [v], full)
            assert tree.retained(v) == _size(s, freed), (trial, v)
            assert tree.count(v) == len(freed), (trial, v)
        part = s.all.by_type()
        for r, got, exact in zip(part.rows, part.retained(), part.retained(exact=True)):
            assert (got, exact) == _row_retained(s, part.select(r.key).nodes, full), (trial, r.key)
        brute = sorted((_size(s, _freed(s, [v], full)) for v in range(n)), reverse=True)
        assert [t.retained for t in s.all.top_retainers(4)] == [b for b in brute[:4] if b > 0]


def _synthetic(n: int, edges: list, roots: list, rng) -> HeapSnapshot:
    """A snapshot of a made-up graph: rows of types t0..t2, random sizes."""
    out: list = [[] for _ in range(n)]
    for a, b in edges:
        out[a].append(b)
    off = array("q", [0])
    tgt = array("i")
    for targets in out:
        tgt.extend(targets)
        off.append(len(tgt))
    tidx = array("i", (rng.randrange(3) for _ in range(n)))
    names = ["t0", "t1", "t2"]
    return HeapSnapshot._from_columns(
        array("Q", range(1000, 1000 + n)), tidx, names, ["m"] * 3,
        array("q", (rng.randrange(1, 100) for _ in range(n))), array("i", tidx), list(names),
        off, tgt, array("i", roots), None, None, {"graph": 1})
