"""pympler_nb.core.heap: partitions, reference points, garbage, dominators, persistence."""

from __future__ import annotations

import gc
import json
import random
import sys
import weakref
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pympler_nb.core import asizeof, heap
from pympler_nb.core.heap import HeapSnapshot
from pympler_nb.core.heap import discovery as heap_discovery
from pympler_nb.core.heap import snapshot as heap_snapshot


class Leaf:
    def __init__(self, i):
        self.payload = bytearray(100 + i % 7)
        self.name = "leaf-%d" % i


class Holder:
    def __init__(self):
        self.items = []
        self.table = {}


class Cyc:
    def __init__(self):
        self.other = None


@pytest.fixture(scope="module")
def snap():
    return heap.take()


# --------------------------------------------------------------------------
# partitions
# --------------------------------------------------------------------------

def test_partitions_sum_to_totals(snap):
    assert len(snap) > 1000 and snap.size > 0
    for part in (snap.by_type(), snap.by_kind(), snap.by_module(), snap.by_size(),
                 snap.by_rcs()):
        assert part.count == len(snap)
        assert part.size == snap.size
        assert sum(r.count for r in part) == len(snap)
        sizes = [r.size for r in part]
        assert sizes == sorted(sizes, reverse=True)
        assert "Partition of a set of" in part.format(3)


def test_by_type_matches_flatsize_on_known_objects():
    data = [Leaf(i) for i in range(200)]
    s = heap.take(roots=[data])
    part = s.by_type()
    row = part.row(__name__ + ".Leaf")
    assert row.count == 200
    expected = sum(asizeof.flatsize(o) for o in data)
    assert abs(row.size - expected) <= 0.05 * expected
    b = part.row("bytearray")
    assert b.count == 200 and b.size == sum(asizeof.flatsize(o.payload) for o in data)
    assert part.row("list").count == 1
    sel = part.select(__name__ + ".Leaf")
    assert len(sel) == 200 and sel.by_type().rows[0].key == __name__ + ".Leaf"


def test_by_rcs_on_a_known_structure():
    h = Holder()
    in_list = [bytearray(11) for _ in range(5)]
    in_dict = [bytearray(13) for _ in range(3)]
    both = bytearray(17)
    h.items.extend(in_list)
    h.items.append(both)
    h.table.update({"k%d" % i: v for i, v in enumerate(in_dict)})
    h.table["both"] = both
    s = heap.take(roots=[h])
    ba = s.by_type().select("bytearray")
    rcs = ba.by_rcs()
    assert rcs.row("list").count == 5
    assert rcs.row("dict").count == 3
    assert rcs.row("dict, list").count == 1
    # the root has no referrer inside the snapshot
    assert s.by_rcs().row("<none>").count == 1
    mods = s.by_module()
    assert mods.row(__name__).count == 1 and mods.row("builtins").count == len(s) - 1


def test_by_kind_names_module_and_class_dicts(snap):
    keys = set(snap.by_kind().keys())
    assert "dict of module" in keys
    assert "dict of type" in keys


def test_by_via_needs_labels_and_names_references():
    h = Holder()
    h.items.append(bytearray(5))
    h.table["key"] = bytearray(6)
    s0 = heap.take(roots=[h])
    with pytest.raises(ValueError, match="via=True"):
        s0.by_via()
    s = heap.take(roots=[h], via=True)
    keys = set(s.by_via().keys())
    assert "[0]" in keys and "['key']" in keys
    assert ".items" in keys and ".table" in keys


def test_by_size_classes():
    s = heap.take(roots=[[bytearray(1000)]])
    keys = s.by_size(buckets=True).keys()
    assert all(k == "0" or "-" in k for k in keys)
    assert any(k == "1025-2048" or k == "513-1024" for k in keys)
    assert s.by_size(buckets=True).by == "size class"


# --------------------------------------------------------------------------
# reference points, garbage, no observer effect
# --------------------------------------------------------------------------

def test_setref_shows_only_new_objects():
    hs = heap.HeapSession()
    hs.setref()
    fresh = [Leaf(i) for i in range(50)]
    new = hs.heap()
    part = new.by_type()
    assert part.row(__name__ + ".Leaf").count == 50
    assert part.count < 2000  # only what appeared since setref
    assert hs.reference is not None
    s2 = heap.take()
    newer = s2.new_since(hs.reference)
    assert newer.by_type().row(__name__ + ".Leaf").count == 50
    del fresh


def test_unreachable_finds_a_cycle_without_freeing_it():
    gc.collect()
    gc.disable()  # (an automatic collection, set off by any allocation, would free it)
    try:
        a, b = Cyc(), Cyc()
        a.other, b.other = b, a
        probe = weakref.ref(a)
        del a, b
        s = heap.take()
        garbage = s.unreachable()
        rows = {r.key: r.count for r in garbage.by_type()}
        assert rows.get(__name__ + ".Cyc") == 2
        assert probe() is not None  # found, not freed
    finally:
        gc.enable()
    live = s.reachable
    assert len(live) + len(garbage) == len(s)
    gc.collect()
    assert probe() is None
    assert __name__ + ".Cyc" not in {r.key for r in heap.take().unreachable().by_type()}


def test_snapshot_keeps_nothing_alive():
    obj = Leaf(1)
    probe = weakref.ref(obj)
    s = heap.take(roots=[obj])
    s_all = heap.take()
    assert len(s) >= 3
    del obj
    gc.collect()
    assert probe() is None
    assert len(s_all) > 0


def test_own_data_left_out():
    s1 = heap.take()
    s2 = heap.take()
    ids2 = set(s2._ids)
    assert id(s1) not in ids2 and id(s1._ids) not in ids2 and id(s1._tgt) not in ids2


def test_own_caches_and_skip_set_left_out():
    s1 = heap.take()
    s1.retained_tree().children()  # fills the node -> dominated nodes cache
    kids = s1._cache["kids"]
    s2 = heap.take()
    ids2 = set(s2._ids)
    assert id(kids) not in ids2
    assert not ids2.intersection(map(id, kids.values()))
    sets_before = s1.by_type().row("set").count
    assert s2.by_type().row("set").count <= sets_before  # the walk's own skip set is not listed


def test_snapshots_are_in_the_one_registry_of_our_own_objects():
    """Heap snapshots list their own objects in the session's registry (the one "leave our
    own objects out"): trackers and why_alive leave them out as the heap walk does."""
    from pympler_nb.core import session
    from pympler_nb.core.tracker import SummaryTracker

    snap = heap.take([[1, 2], "x"])
    snap.retained_tree().children()  # a derived table
    own = session.own_ids()
    assert {id(snap), id(snap._ids), id(snap._tgt), id(snap._cache["kids"])} <= own
    tr = SummaryTracker()
    tr.diff()
    later = heap.take([[3]])  # its tables are ours: not the program's growth
    rows = tr.diff()
    grown = [r for r in rows if (r[0] == "array.array" or r[0].endswith(".HeapSnapshot")) and r[1] > 0]
    assert not grown, rows
    assert id(later) in session.own_ids()
    gone = weakref.ref(snap)
    del snap, later
    gc.collect()
    assert gone() is None  # the registry keeps nothing alive


def test_collect_option():
    a, b = Cyc(), Cyc()
    a.other, b.other = b, a
    del a, b
    s = heap.take(collect=True)
    assert __name__ + ".Cyc" not in {r.key for r in s.unreachable().by_type()}


def test_graph_false_is_light():
    s = heap.take(graph=False)
    assert s.by_type().count == len(s)
    with pytest.raises(ValueError, match="graph=False"):
        s.by_rcs()
    with pytest.raises(ValueError, match="graph=False"):
        s.unreachable()


# --------------------------------------------------------------------------
# dominators
# --------------------------------------------------------------------------

def _synthetic(n: int, edges: list, roots: list) -> HeapSnapshot:
    """A snapshot of a hand-made graph: node i has id 1000 + i and size i + 1."""
    succ = [[] for _ in range(n)]
    for s, d in edges:
        succ[s].append(d)
    off = array("q", [0])
    tgt = array("i")
    for lst in succ:
        tgt.extend(lst)
        off.append(len(tgt))
    return HeapSnapshot._from_columns(
        array("Q", [1000 + i for i in range(n)]), array("i", [0] * n), ["node"], ["test"],
        array("q", [i + 1 for i in range(n)]), array("i", [0] * n), ["node"], off, tgt,
        array("i", roots), None, None, {"graph": 1})


def _brute_idom(n: int, edges: list, roots: list) -> list:
    """Reference dominators by definition: d dominates v iff v is unreachable from the
    roots once d is removed.  Returns idom per node (-1: virtual root, -2: unreachable)."""
    succ = [[] for _ in range(n)]
    for s, d in edges:
        succ[s].append(d)

    def reach(removed):
        seen = set()
        stack = [r for r in roots if r != removed]
        while stack:
            v = stack.pop()
            if v in seen:
                continue
            seen.add(v)
            stack.extend(w for w in succ[v] if w != removed and w not in seen)
        return seen

    live = reach(None)
    doms = {v: {d for d in live if d != v and v not in reach(d)} for v in live}
    out = []
    for v in range(n):
        if v not in live:
            out.append(-2)
            continue
        ds = doms[v]
        # the immediate dominator: the dominator dominated by all the others
        idom = [d for d in ds if all(o == d or o in doms[d] for o in ds)]
        out.append(idom[0] if idom else -1)
    return out


def _brute_retained(n, idom, sizes):
    ret = list(sizes)
    children = {}
    for v, d in enumerate(idom):
        children.setdefault(d, []).append(v)
    out = [0] * n
    for v in range(n):
        if idom[v] == -2:
            continue
        stack, total = [v], 0
        while stack:
            x = stack.pop()
            total += ret[x]
            stack.extend(children.get(x, ()))
        out[v] = total
    return out


def _check(n, edges, roots):
    s = _synthetic(n, edges, roots)
    idom, retained, _, _ = s._dom_data()
    expected = _brute_idom(n, edges, roots)
    assert list(idom) == expected
    assert list(retained) == _brute_retained(n, expected, [i + 1 for i in range(n)])


def test_dominators_diamond_and_cycle():
    # 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3 (diamond), 3 -> 4 -> 5 -> 3 (cycle), 6 unreachable
    edges = [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (4, 5), (5, 3), (6, 0)]
    _check(7, edges, [0])
    s = _synthetic(7, edges, [0])
    assert s.dominator(heap.row(3)) == 0
    assert s.retained_size(heap.row(3)) == 4 + 5 + 6
    assert s.retained_size(heap.row(0)) == sum(range(1, 7))
    assert s.retained_size(heap.row(6)) == 0
    with pytest.raises(KeyError):
        s.dominator(heap.row(6))


def test_dominators_two_roots_sharing():
    # shared node 2 held by both roots: dominated by the virtual root only
    _check(5, [(0, 2), (1, 2), (2, 3), (0, 4), (4, 4)], [0, 1])


def test_dominators_root_referenced_by_another():
    _check(4, [(0, 1), (1, 0), (1, 2), (2, 3), (3, 1)], [0, 1])


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 14).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
    st.lists(st.integers(0, n - 1), min_size=1, max_size=3))))
def test_dominators_match_brute_force(case):
    n, edges, roots = case
    _check(n, edges, roots)


def test_dominators_long_chain_no_recursion():
    n = 200_000
    edges = [(i, i + 1) for i in range(n - 1)] + [(n - 1, 0)]
    s = _synthetic(n, edges, [0])
    assert s.retained_size(heap.row(0)) == n * (n + 1) // 2
    assert s.retained_size(heap.row(n - 1)) == n


def test_random_graph_medium_against_brute():
    rng = random.Random(8)
    n = 60
    edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(150)]
    _check(n, edges, [0, 1])


# --------------------------------------------------------------------------
# retained sizes on the real heap
# --------------------------------------------------------------------------

def test_retained_size_of_a_container_matches_asizeof():
    container = [Leaf(i) for i in range(300)]
    s = heap.take()
    retained = s.retained_size(container)
    deep = asizeof.asizeof(container)
    assert abs(retained - deep) <= 0.05 * deep, (retained, deep)
    top = s.retained_tree(container)
    assert top.retained == retained and top.type == "list"
    kids = top.children()
    assert len(kids) == 300
    assert kids[0].retained >= kids[-1].retained
    leaf = kids[0]
    assert leaf.type == __name__ + ".Leaf"
    assert {k.type for k in leaf.children()} >= {"bytearray", "str"}
    assert sum(k.retained for k in leaf.children()) + leaf.size == leaf.retained
    assert top.count == 1 + 300 * 3


def test_top_retainers_and_root_tree():
    big = [bytearray(10_000) for _ in range(200)]
    s = heap.take()
    tops = s.top_retainers(50)
    assert tops and tops[0].retained >= tops[-1].retained
    assert any(t.id == id(big) for t in tops)
    root = s.retained_tree()
    assert root.retained == sum(map(s._sizes.__getitem__, s._bfs()))
    first = root.children(limit=3)
    assert len(first) == 3 and first[0].retained >= first[1].retained
    with pytest.raises(ValueError):
        s.top_retainers(-1)
    with pytest.raises(KeyError, match="not in this snapshot"):
        s.retained_size(object())


def test_retained_names_with_via():
    h = Holder()
    h.items.append(bytearray(5000))
    s = heap.take(roots=[h], via=True)
    names = {k.name for k in s.retained_tree(h).children()}
    assert ".items" in names


# --------------------------------------------------------------------------
# persistence
# --------------------------------------------------------------------------

def test_dump_load_roundtrip(tmp_path):
    data = [Leaf(i) for i in range(20)]
    s = heap.take(roots=[data], via=True)
    path = tmp_path / "heap.json"
    s.dump(path)
    t = heap.load(path)
    assert len(t) == len(s) and t.size == s.size
    assert list(t.by_type()) == list(s.by_type())
    assert list(t.by_rcs()) == list(s.by_rcs())
    assert list(t.by_via()) == list(s.by_via())
    assert t.retained_size(heap.row(0)) == s.retained_size(data)
    assert t.meta["loaded_from"] == str(path)
    assert s.by_type().diff(t.by_type()) == []
    with open(path) as fp:
        doc = json.load(fp)
    assert doc["format"] == heap.FORMAT and doc["version"] == heap.FORMAT_VERSION


def _write(path, doc):
    path.write_text(json.dumps(doc))
    return path


def test_malformed_files_rejected(tmp_path):
    s = heap.take(roots=[[1, 2, "x"]])
    path = tmp_path / "ok.json"
    s.dump(path)
    good = json.loads(path.read_text())
    cases = {
        "format": dict(good, format="pickle"),
        "version": dict(good, version=99),
        "missing": {k: v for k, v in good.items() if k != "targets"},
        "integers": dict(good, size=["1"] * len(good["size"])),
        "outside": dict(good, targets=[10**6] * len(good["targets"])),
        "offsets": dict(good, offsets=list(reversed(good["offsets"]))),
        "types": dict(good, types=[["a"]]),
        "entries": dict(good, kind=good["kind"][:-1]),
    }
    for name, doc in cases.items():
        with pytest.raises(heap.HeapFormatError,
                           match=name if name in ("format", "version") else None):
            heap.load(_write(tmp_path / (name + ".json"), doc))
    (tmp_path / "junk.json").write_text("{not json")
    with pytest.raises(heap.HeapFormatError, match="JSON"):
        heap.load(tmp_path / "junk.json")
    _write(tmp_path / "list.json", [1, 2])
    with pytest.raises(heap.HeapFormatError, match=r"list.json' is not a JSON document .*expected '\{'"):
        heap.load(tmp_path / "list.json")
    (tmp_path / "str.json").write_text('{"a": 1}' + " " * 8000 + '"x"')
    with pytest.raises(heap.HeapFormatError, match="not valid JSON"):
        heap.load(tmp_path / "str.json")


def test_argument_errors():
    with pytest.raises(TypeError, match="roots"):
        heap.take(roots=5)
    with pytest.raises(TypeError, match="collect"):
        heap.take(collect="yes")
    with pytest.raises(ValueError, match="via=True needs graph"):
        heap.take(via=True, graph=False)
    with pytest.raises(ValueError):
        heap.row(-1)
    s = heap.take(roots=[[1]])
    with pytest.raises(KeyError, match="no row"):
        s.by_type().row("nope")
    with pytest.raises(AttributeError):
        s.by_type().rows[0].count = 3
    with pytest.raises(AttributeError):
        s._ids = None


# --------------------------------------------------------------------------
# fast paths: retained size of one object, bulk sizing, exact by_rcs
# --------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(st.integers(2, 14).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
    st.lists(st.integers(0, n - 1), min_size=1, max_size=3))))
def test_retained_one_matches_dominator_tree(case):
    n, edges, roots = case
    s = _synthetic(n, edges, roots)
    expected = _brute_retained(n, _brute_idom(n, edges, roots), [i + 1 for i in range(n)])
    assert [s._retained_one(v) for v in range(n)] == expected
    tree = _synthetic(n, edges, roots)._dom_data()[1]
    assert list(tree) == expected


def test_retained_size_switches_to_the_tree_after_a_few_calls():
    rng = random.Random(3)
    n = 80
    edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(200)]
    s = _synthetic(n, edges, [0, 1])
    fast = [s.retained_size(heap.row(v)) for v in range(heap_snapshot._FAST_RETAINED)]
    assert "dom" not in s._cache
    rest = [s.retained_size(heap.row(v)) for v in range(heap_snapshot._FAST_RETAINED, n)]
    assert "dom" in s._cache
    assert fast + rest == list(s._dom_data()[1])


def _structure(rng, n):
    """Random objects referring to each other (lists, dicts, tuples, instances)."""
    nodes = []
    for _ in range(n):
        kind = rng.randrange(4)
        nodes.append([] if kind == 0 else {} if kind == 1 else Cyc() if kind == 2
                     else bytearray(rng.randrange(200)))
    for _ in range(2 * n):
        a, b = rng.choice(nodes), rng.choice(nodes)
        if type(a) is list:
            a.append(b)
        elif type(a) is dict:
            a["k%d" % rng.randrange(1000)] = b
        elif type(a) is Cyc:
            a.other = b
    return nodes


@pytest.mark.parametrize("seed", range(6))
def test_module_retained_size_matches_the_snapshot_tree(seed):
    rng = random.Random(seed)
    nodes = _structure(rng, 60)
    roots = [nodes[0], nodes[1], nodes[2]]
    s = heap.take(roots=roots)
    tree = s._dom_data()[1]
    for obj in nodes:
        try:
            node = s.node(obj)
        except KeyError:
            assert heap.retained_size(obj, roots=roots) == 0
            continue
        assert heap.retained_size(obj, roots=roots) == tree[node]


def test_module_retained_size_on_the_whole_heap():
    shared = [bytearray(500) for _ in range(20)]
    container = [Leaf(i) for i in range(300)] + shared[:10]
    keep = list(shared)
    s = heap.take()
    expected = s._dom_data()[1][s.node(container)]
    got = heap.retained_size(container)
    assert got == expected
    assert got == s._retained_one(s.node(container))
    # the shared bytearrays are kept alive by `keep` too: not retained
    assert got < asizeof.asizeof(container)
    del keep
    # garbage is not retained by anything
    gc.collect()
    a, b = Cyc(), Cyc()
    a.other, b.other = b, a
    probe = weakref.ref(a)
    del a, b
    assert heap.retained_size(probe()) > 0  # held by probe() while measured
    gc.collect()


def test_module_retained_size_arguments():
    with pytest.raises(TypeError, match="roots"):
        heap.retained_size([], roots=3)
    assert heap.retained_size(5, roots=[[1]]) == 0  # not in the structure
    leaf = bytearray(77)
    assert heap.retained_size(leaf, roots=[leaf]) == asizeof.flatsize(leaf)


def test_by_rcs_exact_on_mixed_referrers():
    # row 3 is referred to by kinds 0, 1, 0 in row order (the case a first/last
    # comparison misses), row 4 by two rows of the same kind
    n = 6
    edges = [(0, 3), (1, 3), (2, 3), (0, 4), (2, 4), (1, 5)]
    succ = [[] for _ in range(n)]
    for a, b in edges:
        succ[a].append(b)
    off = array("q", [0])
    tgt = array("i")
    for lst in succ:
        tgt.extend(lst)
        off.append(len(tgt))
    kinds = [0, 1, 0, 2, 2, 2]
    s = HeapSnapshot._from_columns(
        array("Q", range(100, 100 + n)), array("i", kinds), ["a", "b", "c"], ["m"] * 3,
        array("q", [1] * n), array("i", kinds), ["a", "b", "c"], off, tgt,
        array("i", [0, 1, 2]), None, None, {"graph": 1})
    rows = {r.key: r.count for r in s.by_rcs()}
    assert rows == {"<none>": 3, "a, b": 1, "a": 1, "b": 1}
    sub = s.by_type().select("c").by_rcs()
    assert {r.key: r.count for r in sub} == {"a, b": 1, "a": 1, "b": 1}


def test_by_rcs_matches_brute_force_on_the_heap():
    s = heap.take(roots=_structure(random.Random(5), 200))
    kinds = {}
    for v in range(len(s)):
        for t in s.referents(v):
            kinds.setdefault(t, set()).add(s._kind_names[s._kind[v]])
    expected = {}
    for v in range(len(s)):
        key = ", ".join(sorted(kinds[v])) if v in kinds else "<none>"
        expected[key] = expected.get(key, 0) + 1
    assert {r.key: r.count for r in s.by_rcs()} == expected


def test_partition_totals_match_the_generic_count(snap):
    for by in ("type", "kind"):
        fast = getattr(snap, "by_" + by)()
        col = snap._tidx if by == "type" else snap._kind
        names = snap._type_names if by == "type" else snap._kind_names
        slow = snap.all._partition(by, col, names)
        assert list(fast) == list(slow)


def test_bulk_sizes_match_flatsize():
    from pympler_nb.core import _layout

    class Many:
        def __init__(self, k):
            for i in range(k % 9):
                setattr(self, "a%d" % i, i)

    objs = [Many(k) for k in range(400)]
    for o in objs[::7]:
        o.__dict__  # noqa: B018 - a materialized dict
    ints = [0, 1, 2**29, 2**40, -5, 10**30]
    group_sizes = heap_discovery.group_sizes(Many, objs)
    assert list(group_sizes) == [asizeof.flatsize(o) for o in objs]
    assert list(heap_discovery.group_sizes(int, ints)) == [asizeof.flatsize(i) for i in ints]
    state = _layout.values_state(Many) if _layout.PRE_313 else None
    each = _layout.instances_hidden_each(objs, Many, state)[0]
    assert list(group_sizes) == [sys.getsizeof(o) + h for o, h in zip(objs, each)]
    assert list(heap_discovery.ids_of(objs)) == [id(o) for o in objs]
