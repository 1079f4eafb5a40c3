"""Issue 17 items 17-19 against guppy3's heapy itself (installed with the bench extra, on
3.11): the same objects give the same set algebra, partitions and producers."""

from __future__ import annotations

import tracemalloc

import pytest

from pympler_nb.core import heap

guppy = pytest.importorskip("guppy", reason="guppy3 comes with the bench extra (3.11 venv)")


def _make():
    return [bytearray(10 * i) for i in range(1, 6)] + ["x" * i for i in range(3)] + [(1, 2), (3, 4)]


@pytest.fixture
def pair():
    """The same objects as our heap set and as heapy's (ints inside the tuples left out)."""
    tracemalloc.start()  # (heapy's byprod reads tracemalloc when it is called)
    try:
        objs = _make()
        holder = list(objs)
        snap = heap.take(roots=[holder], via=True)
        ours = snap.all - snap.by_id().select("list: %#x" % id(holder)) - snap.by_type().select("int")
        hp = guppy.hpy()
        yield objs, ours, hp.iso(*objs), hp, snap
    finally:
        tracemalloc.stop()


def _rows(stat):
    return sorted((str(r.name).strip(), r.count, r.size) for r in stat.get_rows())


def test_same_sets_sizes_and_partitions(pair):
    objs, ours, theirs, hp, snap = pair
    assert (ours.count, ours.size) == (theirs.count, theirs.size)
    assert _rows(ours.bysize.stat) == _rows(theirs.bysize.stat)
    assert _rows(ours.byunity.stat)[0][1:] == _rows(theirs.byunity.stat)[0][1:]
    assert len(ours.byid) == len(theirs.byid.parts) == len(ours.byidset)
    assert [(r.count, r.size) for r in ours.stat.get_rows()] == \
        [(r.count, r.size) for r in theirs.stat.get_rows()]
    strs = snap.by_type().select("str")
    arrays = snap.by_type().select("bytearray")
    t_strs, t_arrays = hp.iso(*objs[5:8]), hp.iso(*objs[:5])
    for op in ("__or__", "__and__", "__sub__", "__xor__"):
        a = getattr(ours, op)(strs | arrays)
        b = getattr(theirs, op)(t_strs | t_arrays)
        assert (a.count, a.size) == (b.count, b.size), op
    assert ours.disjoint(strs) == theirs.disjoint(t_strs) is False
    assert (ours - strs).disjoint(strs) == (theirs - t_strs).disjoint(t_strs) is True
    assert sorted(p.count for p in ours.parts) == sorted(p.count for p in theirs.parts)


def test_same_producers(pair):
    objs, ours, theirs, hp, snap = pair
    mine = {k: c for k, c, _ in _rows(ours.byprod.stat)}
    heapy = {k: c for k, c, _ in _rows(theirs.byprod.stat)}
    line = "%s:%d" % (__file__, _make.__code__.co_firstlineno + 1)
    assert mine[line] == heapy[line] > 0
    assert set(mine) == set(heapy)  # "unknown" spelled as heapy spells it


def test_reference_pattern_and_paths_agree(pair):
    objs, ours, theirs, hp, snap = pair
    arrays = snap.by_type().select("bytearray")
    rp = arrays.rp(depth=2)
    assert [(r.depth, r.key, r.count) for r in rp][:2] == [(0, "bytearray", 5), (1, "list", 1)]
    # heapy's pathsin of the same bytearrays names each by its index in the holder
    # list (and in `objs`, not in our snapshot); ours too
    t_paths = {str(p).split(": ", 1)[-1].replace("%s", "Src") for p in hp.iso(*objs[:5]).pathsin}
    pin = arrays.pathsin()
    ours_paths = {"Src%s" % r.via for r in pin if r.depth == 1}
    assert ours_paths == {"Src[%d]" % i for i in range(5)} and ours_paths <= t_paths, t_paths
