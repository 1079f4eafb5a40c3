"""The C extension ``pympler_nb._speedups`` against the pure-Python path (issue 18).

Every accelerated function gives what the pure path gives, on random object graphs
(Hypothesis): the heap walk's untracked closure (each object once, the same set), the
per-type counts and sizes of summaries, the breadth-first order and the dominators of a
snapshot; ``PYMPLER_NB_PURE=1`` forces the pure path; ``%load_ext`` says so once.
"""

from __future__ import annotations

import gc
import operator
import os
import subprocess
import sys
import types
from array import array
from collections import deque

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pympler_nb.core import _accel, heap, muppy, objwalk, summary, tracker
from pympler_nb.core.heap import dominators as D

SP = _accel.speedups()
needs_ext = pytest.mark.skipif(SP is None, reason=f"the extension does not run here: {_accel.why_pure()}")


def test_accelerated_unless_forced_pure():
    """The test command builds the extension (``pip install -e .``): the core runs on it
    unless ``PYMPLER_NB_PURE`` asks for the pure path."""
    from pympler_nb import core

    forced = os.environ.get(_accel.PURE_ENV, "") not in ("", "0")
    assert core.ACCELERATED is (not forced), _accel.why_pure()
    assert (_accel.speedups() is None) is forced


def _run(code: str, **env) -> subprocess.CompletedProcess:
    full = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full,
                          timeout=120)


def test_environment_variable_forces_the_pure_path():
    code = ("import pympler_nb.core as c, pympler_nb.core._accel as a\n"
            "print(c.ACCELERATED, a.speedups() is None, a.why_pure())")
    out = _run(code, PYMPLER_NB_PURE="1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[:2] == ["False", "True"]
    assert "PYMPLER_NB_PURE=1" in out.stdout
    if SP is not None:
        out = _run(code, PYMPLER_NB_PURE="0")
        assert out.stdout.split()[:2] == ["True", "False"]


def test_load_ext_mentions_the_pure_path_once():
    code = ("from IPython.testing.globalipapp import start_ipython\n"
            "ip = start_ipython()\n"
            "ip.run_line_magic('load_ext', 'pympler_nb')\n"
            "ip.run_line_magic('reload_ext', 'pympler_nb')\n")
    out = _run(code, PYMPLER_NB_PURE="1")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count("pure-Python path") == 1, out.stdout
    assert "PYMPLER_NB_PURE=1 is set" in out.stdout
    if SP is not None:
        out = _run(code)
        assert out.returncode == 0, out.stderr[-2000:]
        assert "pure-Python path" not in out.stdout


@needs_ext
def test_bad_arguments_raise_not_crash():
    with pytest.raises(TypeError):
        SP.untracked_closure([], "not a skip", None, None, None)
    with pytest.raises(TypeError):
        SP.split_tracked((), None)
    with pytest.raises(TypeError):
        SP.type_stats([1], lambda t, o: "bad", lambda o: 0)
    with pytest.raises(ValueError):
        SP.type_stats([1], lambda t, o: (7, 0), lambda o: 0)
    with pytest.raises(ZeroDivisionError):
        SP.type_stats([1], lambda t, o: 1 / 0, lambda o: 0)
    # a corrupt graph (a snapshot loaded from a file): row numbers out of range
    with pytest.raises(ValueError):
        SP.bfs(2, array("q", [0, 1, 2]), array("i", [1, 5]), array("i", [0]))
    with pytest.raises(ValueError):
        SP.bfs(2, array("q", [0, 3, 2]), array("i", [1, 0]), array("i", [0]))
    with pytest.raises(TypeError):
        SP.bfs(2, array("i", [0, 1, 2]), array("i", [1, 0]), array("i", [0]))
    with pytest.raises(ValueError):
        SP.dominators(2, [0, 0], array("q", [0, 1, 2]), array("i", [1, 0]), array("i", [0]),
                      array("q", [1, 1]))


# ---------------------------------------------------------------------------
# random object graphs
# ---------------------------------------------------------------------------

class Node:
    def __init__(self, payload):
        self.payload = payload


class Slotted:
    __slots__ = ("a", "b")


class PySizeof(list):
    def __sizeof__(self):  # a __sizeof__ written in Python: the walks never run it
        raise AssertionError("ran a Python __sizeof__")


LEAVES = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30), st.floats(allow_nan=False),
    st.text(max_size=6), st.binary(max_size=6), st.none(), st.booleans(),
    st.complex_numbers(allow_nan=False, allow_infinity=False),
)


def _graph(draw_leaves, shapes, picks):
    """Objects built from leaves by the recipe ``shapes`` (kind, indexes of earlier
    objects): shared references, untracked tuples and dicts of atoms, code objects,
    instance dicts (shared keys), slotted objects, dict subclasses, a cycle."""
    pool = list(draw_leaves)
    for kind, idxs in shapes:
        parts = [pool[i % len(pool)] for i in idxs] if pool else []
        if kind == 0:
            obj = tuple(parts)
        elif kind == 1:
            obj = list(parts)
        elif kind == 2:
            obj = {("k%d" % i if i % 2 else i): p for i, p in enumerate(parts)}
        elif kind == 3:
            obj = Node(tuple(parts))
        elif kind == 4:
            obj = frozenset(p for p in parts if _hashable(p))
        elif kind == 5:
            obj = Slotted()
            obj.a = parts
            obj.b = tuple(parts[:1])
        elif kind == 6:
            obj = type("D", (dict,), {})({"x": tuple(parts), str(len(parts)): 1})
        elif kind == 7:
            obj = compile("x = %r" % (len(parts),), "<gen>", "exec")
        elif kind == 8:
            obj = PySizeof(parts)
        else:
            obj = [parts]
            obj.append(obj)  # a cycle
        pool.append(obj)
    return [pool[i % len(pool)] for i in picks] if pool else []


def _hashable(x):
    try:
        hash(x)
    except TypeError:
        return False
    return True


GRAPHS = st.builds(
    _graph,
    st.lists(LEAVES, min_size=1, max_size=20),
    st.lists(st.tuples(st.integers(0, 9), st.lists(st.integers(0, 1000), max_size=6)), max_size=40),
    st.lists(st.integers(0, 1000), min_size=1, max_size=10),
)


def _pure_closure(tracked, skip):
    dicts = [o for o in tracked if isinstance(o, dict)]
    rules = objwalk.rules_of(objwalk.type_set(list(map(type, tracked)))[0])
    ruled = objwalk.ruled_objects(tracked, objwalk.type_set(list(map(type, tracked)))[1], rules)
    level1 = objwalk.untracked_referents(tracked, dicts, ruled, rules)
    return objwalk.untracked_closure(level1, skip).objects


def _tracked_of(objs):
    """The tracked objects of a random graph (what gc.get_objects() would give for it)."""
    seen, out, todo = set(), [], list(objs)
    while todo:
        o = todo.pop()
        if id(o) in seen or not gc.is_tracked(o):
            continue
        seen.add(id(o))
        out.append(o)
        todo.extend(gc.get_referents(o))
    return out


@needs_ext
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(GRAPHS, st.integers(0, 3))
def test_untracked_closure_equals_the_pure_walk(objs, nskip):
    gc.collect(1)  # the young generations: untracks the example's tuples and dicts of atoms
    tracked = _tracked_of(objs)
    skipped = tracked[:nskip]
    skip = {id(o): o for o in skipped}
    kept = [o for o in tracked if id(o) not in skip]
    was = gc.isenabled()
    gc.disable()
    try:
        fast = SP.untracked_closure(kept, skip or None, objwalk.walk_guard(), objwalk.type_is_ruled,
                                    objwalk.rule_refs_of)
        slow = _pure_closure(kept, skip or None)
    finally:
        if was:
            gc.enable()
    assert len(set(map(id, fast))) == len(fast)  # each object once
    assert set(map(id, fast)) == set(map(id, slow))
    assert not any(gc.is_tracked(o) for o in fast)


@needs_ext
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(GRAPHS, st.integers(0, 3), st.booleans())
def test_walk_listing_equals_split_and_closure(objs, nskip, frames):
    """The walk of one list (``walk_listing``: the listing filtered while the closure passes
    over it) gives what ``split_tracked`` then ``untracked_closure`` give: the same kept
    tracked objects in the same order, then the same untracked objects in the same order."""
    gc.collect(1)
    tracked = _tracked_of(objs)
    if frames:  # frames are left out, as objects of skip are
        tracked[1:1] = [sys._getframe(), types.SimpleNamespace(f=sys._getframe())]
    skip = {id(o): o for o in tracked[:nskip]}
    args = (skip or None, objwalk.walk_guard(), objwalk.type_is_ruled, objwalk.rule_refs_of)
    gc.disable()
    try:
        kept, dropped_frames = SP.split_tracked(list(tracked), skip or None)
        closure = SP.untracked_closure(kept, *args)
        listing, into = list(tracked), objwalk.HeapList()
        ntracked = SP.walk_listing(listing, into, *args)
        moved, moved_frames = SP.split_tracked(list(tracked), skip or None, [])
    finally:
        gc.enable()
    assert listing == [] and type(into) is objwalk.HeapList
    assert ntracked == len(kept)
    assert all(map(operator.is_, into[:ntracked], kept))
    assert len(into) - ntracked == len(closure)
    assert all(map(operator.is_, into[ntracked:], closure))
    assert all(map(operator.is_, moved, kept)) and len(moved) == len(kept)
    assert all(map(operator.is_, moved_frames, dropped_frames))


@needs_ext
def test_walk_listing_bad_arguments():
    with pytest.raises(TypeError):
        SP.walk_listing([1], [2], None, None, None, None)  # into must be empty
    lst = [1]
    with pytest.raises(TypeError):
        SP.walk_listing(lst, lst, None, None, None, None)
    with pytest.raises(TypeError):
        SP.walk_listing([1], [], "not a skip", None, None, None)
    with pytest.raises(TypeError):
        SP.split_tracked([1], None, [2])  # into must be empty


@needs_ext
def test_type_stats_collect_and_consume():
    """``collect``: rows carry the objects of the types the plan asks for (in order);
    ``consume``: each item of the list is replaced by None once counted."""
    objs = [1.5, "a", 2.5, "bc", [], 3.5]
    keep = list(objs)

    def plan(t, o):
        return (0, 8, None, None, t is float) if t is not list else (0, 8)

    rows = SP.type_stats(objs, plan, lambda o: 0, True)
    assert [(r[0], r[1], r[2]) for r in rows] == [(float, 3, 24), (str, 2, 16), (list, 1, 8)]
    assert rows[0][3] == [1.5, 2.5, 3.5] and rows[1][3] is None and rows[2][3] is None
    assert objs == keep
    assert SP.type_stats(objs, plan, lambda o: 0, False, True)[0] == [float, 3, 24]
    assert objs == [None] * len(keep)
    table = summary.tabulate(list(keep), consume=True)
    with _accel.pure_path():
        assert summary.tabulate(list(keep)) == table


def _closures_agree(tracked) -> list:
    """The C untracked closure of ``tracked`` (under the real walk's ``_asyncio`` guard):
    each object once, and the same objects as the pure closure. Returns the C one."""
    gc.disable()
    try:
        fast = SP.untracked_closure(tracked, None, objwalk.walk_guard(), objwalk.type_is_ruled,
                                    objwalk.rule_refs_of)
        slow = _pure_closure(tracked, None)
    finally:
        gc.enable()
    assert len(set(map(id, fast))) == len(fast)
    assert set(map(id, fast)) == set(map(id, slow))
    return fast


@needs_ext
def test_closure_with_materialized_instance_dicts():
    """3.13: an instance's inline values are shared with its materialized ``__dict__``
    (both report them with one reference count): still each object once."""
    nodes = []
    for i in range(50):
        n = Node("p%d" % i * 3)  # an untracked str held once, by the values
        n.other = float(i) + 0.5
        if i % 2:
            n.__dict__  # noqa: B018 - materializes the dict
        nodes.append(n)
    _closures_agree(_tracked_of([nodes]))


@needs_ext
@settings(max_examples=150, deadline=None)
@given(GRAPHS)
def test_summary_tables_equal(objs):
    objs = list(objs) + [types, Node, summary.summarize, sys._getframe()]
    fast = summary.tabulate(list(objs))
    with _accel.pure_path():
        slow = summary.tabulate(list(objs))
    assert fast == slow


def test_summaries_of_real_data_equal(both_paths):
    """pandas frames with object, categorical and Arrow columns, numpy object arrays,
    functools caches: the same table on both paths (compared in one process)."""
    import functools

    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"o": [f"s{i}" for i in range(300)],
                          "c": pd.Categorical(["a", "b", "c"] * 100),
                          "a": pd.array([f"x{i}" for i in range(300)], dtype="string[pyarrow]"),
                          "p": pd.Series(range(300), dtype=pd.ArrowDtype(__import__("pyarrow").int64()))})
    arr = np.array([object(), "x", 1.5, None] * 50, dtype=object)

    @functools.lru_cache(maxsize=None)
    def cached(i):
        return [i] * 3

    for i in range(50):
        cached(i)
    objs = [frame, frame["o"], frame["c"], frame["a"], arr, cached, *list(arr)]
    table = summary.tabulate(objs)
    with _accel.pure_path():
        assert summary.tabulate(objs) == table
    assert [v[0] for k, v in table.items() if k.endswith("DataFrame")] == [1]
    if both_paths == "accelerated":  # the walk from them: numpy's size rule reports elements
        fast = _closures_agree(_tracked_of([objs]))
        assert any(o is arr[0] for o in fast if type(o) is object)


@needs_ext
def test_heap_summaries_agree():
    """``summarize(get_objects())`` and the tracker's diff: the same rows on both paths
    (the heap of this process, compared on the rows that do not change between walks)."""
    def rows():
        objs = muppy.get_objects()
        try:
            return {r[0]: (r[1], r[2]) for r in summary.summarize(objs)}
        finally:
            del objs

    data = [{"k": (i, str(i))} for i in range(2000)]  # noqa: F841 - on the heap
    fast = rows()
    with _accel.pure_path():
        slow = rows()
    assert set(fast) ^ set(slow) <= {"frame (codename: rows)", "frame (codename: summarize)"}
    same = [k for k in fast if fast[k] == slow.get(k)]
    assert len(same) >= 0.95 * len(fast)
    assert fast["float"] == slow["float"] and fast["tuple"][0] >= 2000
    tr = tracker.SummaryTracker()
    keep = [Node(i) for i in range(500)]
    diff = {r[0]: r[1] for r in tr.diff()}
    assert [n for k, n in diff.items() if k.endswith("test_speedups.Node")] == [500]
    with _accel.pure_path():
        more = [Node(i) for i in range(300)]
        diff = {r[0]: r[1] for r in tr.diff()}
    assert [n for k, n in diff.items() if k.endswith("test_speedups.Node")] == [300]
    del keep, more


# ---------------------------------------------------------------------------
# reachability and dominators
# ---------------------------------------------------------------------------

class _Graph:
    """What immediate_dominators reads of a snapshot, for a synthetic graph."""

    def __init__(self, n, edges, roots, sizes):
        self.n = n
        adj = [[] for _ in range(n)]
        for a, b in edges:
            adj[a].append(b)
        self._off = array("q", [0])
        self._tgt = array("i")
        for lst in adj:
            self._tgt.extend(lst)
            self._off.append(len(self._tgt))
        self._roots = array("i", roots)
        self._sizes = array("q", sizes)
        self._cache = {}
        self.adj = adj

    def __len__(self):
        return self.n

    def _bfs(self):
        seen, order = set(), []
        for r in self._roots:
            if r not in seen:
                seen.add(r)
                order.append(r)
        q = deque(order)
        while q:
            v = q.popleft()
            for w in self.adj[v]:
                if w not in seen:
                    seen.add(w)
                    order.append(w)
                    q.append(w)
        return order

    def _edges(self):
        src = array("i", [v for v in range(self.n) for _ in self.adj[v]])
        return src, self._tgt


def _naive_idom(g):
    """Dominators by definition: d dominates v if v is unreachable without d."""
    order = g._bfs()
    reach = set(order)

    def reachable_without(d):
        seen = set()
        todo = [r for r in g._roots if r != d]
        while todo:
            v = todo.pop()
            if v in seen or v == d:
                continue
            seen.add(v)
            todo.extend(g.adj[v])
        return seen

    doms = {v: {d for d in reach if d != v and v not in reachable_without(d)} for v in reach}
    idom = {}
    for v, ds in doms.items():
        # the immediate dominator: the dominator dominated by all the others
        cand = [d for d in ds if all(e == d or e in doms[d] for e in ds)]
        idom[v] = cand[0] if cand else -1
    return idom


GRAPH_SPECS = st.integers(1, 25).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=4 * n),
    st.lists(st.integers(0, n - 1), min_size=1, max_size=4),
    st.lists(st.integers(0, 10**6), min_size=n, max_size=n)))


@needs_ext
@settings(max_examples=300, deadline=None)
@given(GRAPH_SPECS)
def test_bfs_and_dominators_equal_the_pure_path_and_the_definition(spec):
    g = _Graph(*spec)
    order, seen = SP.bfs(g.n, g._off, g._tgt, g._roots)
    assert order == g._bfs()
    assert bytes(seen) == bytes(1 if v in set(order) else 0 for v in range(g.n))
    with _accel.pure_path():
        slow = D.immediate_dominators(g)
    fast = D.immediate_dominators(g)
    assert fast == slow
    idom_rows, retained, total, m = fast
    naive = _naive_idom(g)
    for v in order:
        assert idom_rows[v] == naive[v]
    counts = g._cache["domcount"]
    for v in range(g.n):  # the pure path's counts (DominatorTree's bottom-up loop)
        expect = 1 + sum(1 for w in order if w != v and _dominated_by(idom_rows, w, v))
        assert counts[v] == (expect if v in naive else 1)
    assert total == sum(g._sizes[v] for v in order) and m == len(order)


def _dominated_by(idom, w, v):
    while w >= 0:
        w = idom[w]
        if w == v:
            return True
    return False


def test_snapshot_dominators_agree(both_paths):
    box = {"data": [bytearray(100 + i) for i in range(30)], "shared": ["x"] * 3}
    box["again"] = box["data"][:5]
    snap = heap.take(roots=[box])
    tree = snap.dominators()
    top = snap.node(box)
    assert tree.retained(top) == snap.size
    assert tree.count(top) == len(snap)
    rows = [(r.type, r.count, r.retained) for r in tree.top_retainers(5)]
    assert rows[0] == ("dict", len(snap), snap.size)


# ---------------------------------------------------------------------------
# own sizes counted in C (flatsize.own_rule): ints, split dicts, instance values
# ---------------------------------------------------------------------------

def _attr_class(name):
    return type(name, (), {"__module__": __name__})


# an instance: (attribute names drawn from a small pool so that classes share keys or
# not, whether __dict__ is materialized, keys added or deleted through it afterwards)
INSTANCE = st.tuples(st.integers(0, 2), st.lists(st.integers(0, 70), max_size=45),
                     st.booleans(), st.lists(st.integers(0, 70), max_size=3), st.booleans())
INT = st.one_of(st.integers(-2**30, 2**30), st.integers(-2**70, 2**70),
                st.integers(0, 64).map(lambda b: 2**b), st.integers(0, 64).map(lambda b: -(2**b) + 1),
                st.integers(-10**200, 10**200))


def _own_size_objects(instances, ints, dict_sizes):
    classes = [_attr_class("Own%d" % i) for i in range(3)]
    objs = []
    for cls_i, names, materialize, extra, drop in instances:
        inst = classes[cls_i]()
        for n in names:
            setattr(inst, "a%d" % n, n * 1.5)
        if materialize:
            d = inst.__dict__
            for n in extra:
                d["b%d" % n] = n
            if drop and d:
                del d[next(iter(d))]
            objs.append(d)
        objs.append(inst)
    objs.extend(ints)
    objs.extend({"k%d" % i: i for i in range(n)} for n in dict_sizes)
    objs.extend(dict.fromkeys(range(n)) for n in dict_sizes)
    return classes, objs


@needs_ext
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(INSTANCE, max_size=40), st.lists(INT, max_size=40),
       st.lists(st.integers(0, 40), max_size=6))
def test_own_sizes_in_c_equal_the_pure_path(instances, ints, dict_sizes):
    """The C loop of summaries adds what ``flatsize.own_sizes`` adds (one-digit int
    rounding, split tables, 3.11/3.12 values arrays and 3.13 inline values with or without
    a materialized ``__dict__``): the same size, object by object and in bulk."""
    from pympler_nb.core import flatsize

    classes, objs = _own_size_objects(instances, ints, dict_sizes)
    for o in objs:
        (row,) = summary.tabulate([o]).values()
        assert row == [1, flatsize.own_size(o)], (type(o), o if type(o) is int else None)
    fast = summary.tabulate(objs)
    with _accel.pure_path():
        slow = summary.tabulate(objs)
    assert fast == slow
    assert all(flatsize.own_rule(c) is not None for c in classes)  # sized in C, not Python


@needs_ext
def test_own_size_rules_are_checked_against_the_type():
    """A rule that does not fit the type (it would read fields the object has not) is
    refused, not applied."""
    from pympler_nb.core import flatsize

    for obj, rule in ((1.5, (1, 28, 4)), ([], (2,)), ({}, (1, 28, 4)), (1, (2,)), (1, (9, 0, 0)),
                      (1, (1, 28)), (Slotted(), (4, 1, 8)), (Slotted(), (3, 16, 48))):
        with pytest.raises(ValueError):
            SP.type_stats([obj], lambda t, o, rule=rule: (0, 8, None, rule), flatsize.safe_size)
    with pytest.raises(TypeError):
        SP.type_stats([1], lambda t, o: (0, 8, None, [1, 28, 4]), flatsize.safe_size)
    assert SP.type_stats([1, 2], lambda t, o: (0, 28, None, ()), flatsize.safe_size)[0][1:] == [2, 56]
