"""Threads with their stacks and a frame's locals sized (core/threadstacks.py), and the
garbage grouped per cycle (core/garbagegraph.garbage_cycles): the data of the
dashboard's Process and Garbage tabs."""

from __future__ import annotations

import functools
import gc
import threading
import weakref

import numpy as np
import pandas as pd
import pytest

from pympler_nb.core.garbagegraph import GarbageCycles, garbage_cycles
from pympler_nb.core.threadstacks import LocalVar, StackFrame, ThreadStack, frame_locals, thread_stacks


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


def test_thread_stacks_list_every_thread_with_its_frames(worker):
    stacks = thread_stacks()
    assert stacks[0].current and stacks[0].ident == threading.get_ident()
    assert {threading.get_ident(), worker.ident} <= {s.ident for s in stacks}
    stack = _stack_of(worker)
    assert stack.name == "dash-worker" and stack.daemon and not stack.current
    names = [f.function for f in stack.frames]
    assert "hold" in names and names.index("hold") > names.index("run")  # outermost first
    assert [f.depth for f in stack.frames] == list(range(len(stack.frames)))
    hold = stack.frames[names.index("hold")]
    assert isinstance(hold, StackFrame) and hold.code == "done.wait(30)" and hold.nlocals >= 7
    assert hold.file == __file__
    with pytest.raises(AttributeError):
        stack.name = "x"  # immutable records
    # the calling thread's stack ends in this test, not in thread_stacks itself
    assert stacks[0].frames[-1].function == "test_thread_stacks_list_every_thread_with_its_frames"


def test_thread_stacks_hold_no_frame(worker):
    stack = _stack_of(worker)
    values = [v for f in stack.frames for v in (f.depth, f.file, f.line, f.function, f.code, f.nlocals)]
    assert all(isinstance(v, (int, str)) for v in values)


def test_thread_stacks_max_frames_keeps_the_innermost(worker):
    full = _stack_of(worker)
    (cut,) = [s for s in thread_stacks(max_frames=2) if s.ident == worker.ident]
    assert cut.frames == () or [f.function for f in cut.frames] == [f.function for f in full.frames[-2:]]
    assert cut.truncated == len(full.frames) - 2
    with pytest.raises(ValueError, match="max_frames"):
        thread_stacks(max_frames=0)


def test_frame_locals_are_sized_largest_first(worker):
    stack = _stack_of(worker)
    hold = [f for f in stack.frames if f.function == "hold"][0]
    rows = frame_locals(worker.ident, hold.depth, "hold")
    assert all(isinstance(r, LocalVar) for r in rows)
    by_name = {r.name: r for r in rows}
    assert {"big", "objs", "frame", "cached", "hostile", "ready", "done"} <= set(by_name)
    assert rows[0].name == "big" and by_name["big"].size >= 8_000_000
    assert by_name["big"].type == "ndarray"
    assert [r.size for r in rows] == sorted((r.size for r in rows), reverse=True)
    # object arrays count their dicts; the frame its Arrow and categorical columns
    assert by_name["objs"].size > by_name["objs"].flat + 200 * 64
    assert by_name["frame"].type == "DataFrame" and by_name["frame"].size > 1000
    assert by_name["cached"].size > by_name["cached"].flat  # the cache's entries
    hostile = by_name["hostile"]
    assert hostile.type == "_Hostile" and "repr failed" in hostile.repr and hostile.size >= 0


def test_frame_locals_refuse_a_frame_that_changed(worker):
    stack = _stack_of(worker)
    hold = [f for f in stack.frames if f.function == "hold"][0]
    with pytest.raises(LookupError, match="now runs hold"):
        frame_locals(worker.ident, hold.depth, "other")
    with pytest.raises(LookupError, match="returned"):
        frame_locals(worker.ident, 10_000)
    with pytest.raises(LookupError, match="gone"):
        frame_locals(2**62, 0)
    with pytest.raises(ValueError, match="depth"):
        frame_locals(worker.ident, -1)


def test_frame_locals_of_the_calling_thread():
    marker = bytearray(100_000)  # noqa: F841 - read through the frame
    me = [s for s in thread_stacks() if s.current][0]
    rows = frame_locals(me.ident, len(me.frames) - 1, "test_frame_locals_of_the_calling_thread")
    assert {r.name: r.size for r in rows}["marker"] >= 100_000


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
