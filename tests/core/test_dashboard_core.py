"""The data of the dashboard's Process and Garbage tabs, on realistic objects: a frame's
locals sized (core/process.thread_stacks and frame_locals, from the ``reclaim`` branch)
and the garbage grouped per cycle (core/garbagegraph.garbage_cycles)."""

from __future__ import annotations

import functools
import gc
import threading
import weakref

import numpy as np
import pandas as pd
import pytest

from pympler_nb.core.garbagegraph import GarbageCycles, garbage_cycles
from pympler_nb.core.process import LocalVar, ThreadStack, frame_locals, thread_stacks


class _Hostile:
    """repr and sizeof raise."""

    def __repr__(self):
        raise RuntimeError("no repr")

    def __sizeof__(self):
        raise RuntimeError("no size")


@pytest.fixture()
def worker():
    """A thread parked in ``hold()`` with a realistic frame: a numpy array of 8 MB, an
    object array, a frame with Arrow and categorical columns, an lru_cache, a hostile
    object."""
    ready, done = threading.Event(), threading.Event()

    def hold():
        big = np.zeros(1_000_000)
        objs = np.array([{"k": i} for i in range(200)], dtype=object)
        frame = pd.DataFrame({"s": pd.Series(["ab"] * 500, dtype="string[pyarrow]"),
                              "c": pd.Categorical(["x", "y"] * 250)})
        cached = functools.lru_cache(maxsize=None)(lambda x: [x] * 10)
        for i in range(50):
            cached(i)
        hostile = _Hostile()
        ready.set()
        done.wait(30)
        return big, objs, frame, cached, hostile

    thread = threading.Thread(target=hold, name="dash-worker", daemon=True)
    thread.start()
    assert ready.wait(10)
    yield thread
    done.set()
    thread.join(10)


def _stack_of(thread) -> ThreadStack:
    (stack,) = [s for s in thread_stacks() if s.ident == thread.ident]
    return stack


def _hold_frame(thread):
    (stack,) = [s for s in thread_stacks() if s.ident == thread.ident]
    assert isinstance(stack, ThreadStack) and stack.name == "dash-worker"
    (frame,) = [f for f in stack.frames if f.function == "hold"]
    assert frame.line == "done.wait(30)" and frame.n_locals >= 7
    return frame


def test_frame_locals_size_realistic_locals_largest_first(worker):
    frame = _hold_frame(worker)
    rows = frame_locals(worker.ident, frame.depth, frame.frame_id)
    assert all(isinstance(r, LocalVar) for r in rows)
    by_name = {r.name: r for r in rows}
    assert {"big", "objs", "frame", "cached", "hostile", "ready", "done"} <= set(by_name)
    assert rows[0].name == "big" and by_name["big"].deep >= 8_000_000
    assert by_name["big"].type.endswith("ndarray")
    assert [r.deep for r in rows] == sorted((r.deep for r in rows), reverse=True)
    # object arrays count their dicts; the frame its Arrow and categorical columns
    assert by_name["objs"].deep > by_name["objs"].flat + 200 * 64
    assert by_name["frame"].type.endswith("DataFrame") and by_name["frame"].deep > 1000
    assert by_name["cached"].deep > by_name["cached"].flat  # the cache's entries
    assert by_name["hostile"].type.endswith("_Hostile") and by_name["hostile"].deep >= 0


def test_frame_locals_refuse_a_frame_that_moved_on(worker):
    frame = _hold_frame(worker)
    with pytest.raises(LookupError):
        frame_locals(worker.ident, frame.depth, frame.frame_id + 1)
    with pytest.raises(LookupError):
        frame_locals(worker.ident, 10_000)
    with pytest.raises(LookupError):
        frame_locals(2**62, 0)


class _Node:
    pass


def _cycle_with_frame():
    """A cycle node -> list -> node holding a DataFrame (Arrow column) that hangs on it."""
    node = _Node()
    node.frame = pd.DataFrame({"x": range(1000), "s": pd.Series(["q"] * 1000, dtype="string[pyarrow]")})
    node.back = [node]
    return weakref.ref(node)


def test_garbage_cycles_groups_per_cycle_and_releases():
    gc.collect()
    gc.disable()
    try:
        refs = [_cycle_with_frame() for _ in range(3)]
        hang = []
        hang.append(hang)
        tail = [hang, np.zeros(10)]
        hang.append(tail)
        del hang, tail
        found = garbage_cycles()
    finally:
        gc.enable()
    assert isinstance(found, GarbageCycles) and found.reduced and not found.kept
    assert found.found >= 3 * 2 + 2
    ours = [g for g in found.groups if "_Node" in {n.type.rsplit(".", 1)[-1] for n in g.nodes}]
    assert len(ours) == 3  # one group per cycle
    for group in ours:  # each reduced to the objects on its cycle: the frame hangs off it
        types = {n.type.rsplit(".", 1)[-1] for n in group.nodes}
        assert "list" in types and "DataFrame" not in types and all(n.cycle for n in group.nodes)
        assert len(group.edges) >= 2
    assert [sum(n.size for n in g.nodes) for g in found.groups] == \
        sorted((sum(n.size for n in g.nodes) for g in found.groups), reverse=True)
    assert found.size == sum(n.size for n in found.model.nodes)
    assert all(r() is None for r in refs)  # released and collected
    assert "GarbageCycles" in repr(found)


def test_garbage_cycles_unreduced_keeps_what_hangs_on_cycles():
    gc.collect()
    gc.disable()
    try:
        ref = _cycle_with_frame()
        nid = id(ref())
        found = garbage_cycles(reduce=False, keep=True)
    finally:
        gc.enable()
    try:  # (the collector clears weak references to what it finds, saved or not)
        assert found.kept and any(id(o) == nid for o in gc.garbage)  # kept in gc.garbage
        (group,) = [g for g in found.groups if any(n.id == nid for n in g.nodes)]
        assert "DataFrame" in {n.type.rsplit(".", 1)[-1] for n in group.nodes}  # hangs on the cycle
        assert not all(n.cycle for n in group.nodes)
    finally:
        gc.garbage.clear()
        gc.collect()
    assert not any(id(o) == nid for o in gc.garbage)
