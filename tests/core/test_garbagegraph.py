"""GarbageGraph: graphs of what the garbage collector finds (Pympler's garbagegraph API)."""

from __future__ import annotations

import gc
import io
import re

import pytest

from pympler_nb.core.garbagegraph import (
    GarbageGraph,
    clear_garbage,
    end_debug_garbage,
    start_debug_garbage,
)
from pympler_nb.core.refgraph import ReferenceGraph


class Cyclic:
    def __init__(self):
        self.me = self


class Leaf:
    pass


@pytest.fixture
def debug_garbage():
    clear_garbage()
    was_enabled = gc.isenabled()
    start_debug_garbage()
    try:
        yield
    finally:
        end_debug_garbage()
        clear_garbage()
        if not was_enabled:
            gc.disable()


def _make_garbage():
    """A 2-cycle with a tail (a -> b -> a, b -> leaf) and a self-loop; returns ids."""
    a, b, leaf, c = [], [], Leaf(), Cyclic()
    a.append(b)
    b.append(a)
    b.append(leaf)
    return id(a), id(b), id(leaf), id(c)


def test_collectable_cycles_are_graphed(debug_garbage):
    ia, ib, ileaf, ic = _make_garbage()
    gb = GarbageGraph()
    assert isinstance(gb, ReferenceGraph)
    ids = {m.id for m in gb.metadata}
    assert {ia, ib, ileaf, ic} <= ids
    edges = {(e.src, e.dst, e.label) for e in gb.edges}
    assert (ia, ib, "[0]") in edges and (ib, ia, "[0]") in edges and (ib, ileaf, "[1]") in edges
    assert (ic, ic, ".me") in edges
    cyc = {m.id for m in gb.metadata if m.cycle}
    assert {ia, ib, ic} <= cyc and ileaf not in cyc
    assert gb.num_in_cycles == "N/A"


def test_reduce_keeps_cycle_members_only(debug_garbage):
    ia, ib, ileaf, ic = _make_garbage()
    gb = GarbageGraph(reduce=True)
    ids = {m.id for m in gb.metadata}
    assert {ia, ib, ic} <= ids and ileaf not in ids
    assert gb.num_in_cycles == len(gb.metadata)
    assert gb.count >= gb.num_in_cycles


def test_debug_flags_are_restored(debug_garbage):
    gc.set_debug(gc.DEBUG_UNCOLLECTABLE)
    try:
        GarbageGraph()
        assert gc.get_debug() == gc.DEBUG_UNCOLLECTABLE
        # a later collection does not keep saving objects into gc.garbage
        before = len(gc.garbage)
        _make_garbage()
        gc.collect()
        assert len(gc.garbage) == before
    finally:
        gc.set_debug(0)


def test_uncollectable_only(debug_garbage):
    _make_garbage()
    gb = GarbageGraph(collectable=False)
    assert gb.metadata == [] and gb.count == 0
    assert gb.render("unused.ps") is False


def test_print_stats_format(debug_garbage):
    _make_garbage()
    gb = GarbageGraph()
    out = io.StringIO()
    gb.print_stats(out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["id", "size", "type", "representation"]
    sizes = [int(line.split()[1]) for line in lines[1:-1]]
    assert sizes == sorted(sizes, reverse=True)
    assert all(re.match(r"0x[0-9a-f]{8,} +\d+ ", line) for line in lines[1:-1])
    assert re.match(r"Garbage: +\d+ collected objects \(N/A in cycles\): +[\d.]+ +[KMG]?B$", lines[-1])
    assert len(lines) == len(gb.metadata) + 2


def test_start_and_end_debug_garbage():
    was_enabled = gc.isenabled()
    try:
        start_debug_garbage()
        assert not gc.isenabled()
        gc.set_debug(gc.DEBUG_SAVEALL)
        end_debug_garbage()
        assert gc.isenabled() and gc.get_debug() == 0
    finally:
        if not was_enabled:
            gc.disable()
        clear_garbage()


def test_clear_garbage_releases_objects(debug_garbage):
    def make():
        return id(Cyclic())

    cid = make()
    gb = GarbageGraph()
    assert any(id(o) == cid for o in gc.garbage)  # saved (weakrefs to it are already cleared)
    assert any(m.id == cid for m in gb.metadata)
    del gb
    assert clear_garbage() >= 1 and gc.garbage == []
    gc.collect()
    assert not any(id(o) == cid and type(o) is Cyclic for o in gc.get_objects())


@pytest.mark.pympler
def test_print_stats_like_pympler(debug_garbage):
    pg = pytest.importorskip("pympler.garbagegraph")
    _make_garbage()
    ours = GarbageGraph()
    theirs = pg.GarbageGraph.__new__(pg.GarbageGraph)
    pg.ReferenceGraph.__init__(theirs, list(gc.garbage))
    a, b = io.StringIO(), io.StringIO()
    ours.print_stats(a)
    theirs.print_stats(b)
    assert a.getvalue().splitlines()[0] == b.getvalue().splitlines()[0]
    assert len(a.getvalue().splitlines()) == len(b.getvalue().splitlines())
    assert {m.id for m in ours.metadata} == {m.id for m in theirs.metadata}
