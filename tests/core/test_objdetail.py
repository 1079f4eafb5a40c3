"""One object in detail (core/objdetail.py, Pympler's ``/objects/<id>`` page), a tracked
class in detail (``Stats.class_detail``, Pympler's ``/tracker/class/<name>``) and a
running frame's local found again by name (``process.frame_local``): the data the
``%memdash`` details show. Standard library only (runs on 3.11-3.13 and the pure path)."""

from __future__ import annotations

import functools
import gc
import threading
import weakref

import pytest

from pympler_nb.core import objdetail
from pympler_nb.core.asizeof import asizeof
from pympler_nb.core.classtracker import ClassTracker
from pympler_nb.core.classtracker_stats import Stats
from pympler_nb.core.objdetail import ObjectDetail, find_referent, find_referrer, object_detail
from pympler_nb.core.process import frame_local, frame_locals, thread_stacks


class Holder:
    def __init__(self, n):
        self.rows = [str(i) * 10 for i in range(n)]
        self.index = {f"k{i}": i for i in range(n)}
        self.small = (1, 2)


class Hostile:
    """Its repr, sizeof and attribute lookup all raise."""

    def __repr__(self):
        raise RuntimeError("no repr")

    def __sizeof__(self):
        raise RuntimeError("no sizeof")

    def __getattr__(self, name):
        raise RuntimeError(f"no {name}")


def test_referents_are_named_sized_and_largest_first():
    box = Holder(500)
    d = object_detail(box)
    assert isinstance(d, ObjectDetail) and d.type.endswith("Holder") and d.id == id(box)
    by_name = {r.name: r for r in d.referents}
    assert {"rows", "index", "small"} <= set(by_name)
    assert by_name["rows"].size == asizeof(box.rows) and by_name["rows"].id == id(box.rows)
    assert by_name["index"].type == "dict" and by_name["small"].repr == "(1, 2)"
    sizes = [r.size for r in d.referents]
    assert sizes == sorted(sizes, reverse=True)
    assert d.deep == asizeof(box) and d.flat > 0 and d.n_referents == len(d.referents)
    # the class is listed with its own bytes only (deep sizing does not follow classes)
    assert by_name["__class__"].size == by_name["__class__"].flat


def test_referrers_say_who_holds_the_object_and_as_what():
    box = Holder(10)
    shared = box.rows
    keeper = {"mine": shared}
    d = object_detail(shared)
    hows = {(r.type, r.name) for r in d.referrers}
    assert any(t == "dict" and n.startswith("[V] mine") for t, n in hows), hows
    assert d.n_referrers >= 2  # the instance's attributes and keeper
    # our own frames and lists are never listed as holders
    assert not any(r.type == "frame" and "objdetail" in r.repr for r in d.referrers)
    assert find_referrer(shared, id(keeper)) is keeper
    assert find_referrer(shared, id(object())) is None


def test_sequences_list_their_items_by_position():
    items = ["a" * 100, [1, 2, 3], 7]
    d = object_detail(items)
    names = {r.name: r for r in d.referents}
    assert set(names) == {"[0]", "[1]", "[2]"} and names["[1]"].type == "list"
    assert find_referent(items, "[1]", id(items[1])) is items[1]
    cache = functools.lru_cache(maxsize=None)(lambda x: [x] * 20)
    for i in range(5):
        cache(i)
    assert object_detail(cache).deep > 0  # a functools cache is described, not crashed on


def test_find_referent_says_gone_when_replaced():
    box = Holder(3)
    old = box.rows
    assert find_referent(box, "rows", id(old)) is old
    box.rows = ["new"]
    assert find_referent(box, "rows", id(old)) is None
    assert find_referent(box, "nope", id(old)) is None


def test_nothing_is_kept_alive():
    box = Holder(50)
    ref = weakref.ref(box)
    d = object_detail(box)
    del box
    gc.collect()
    assert ref() is None and d.type.endswith("Holder")


def test_hostile_objects_are_described_not_crashed_on():
    h = Hostile()
    d = object_detail(h)
    assert "repr failed" in d.repr and d.flat >= 0 and d.deep >= d.flat
    d = object_detail([h, h])
    assert all("repr failed" in r.repr for r in d.referents)


def test_big_containers_are_sized_up_to_the_limit():
    big = list(range(objdetail.MAX_SIZED + 1000))
    d = object_detail(big, limit=10)
    assert d.n_referents == len(big) and len(d.referents) == 10
    with pytest.raises(ValueError, match="limit"):
        object_detail(big, limit=0)


class Node:
    def __init__(self, n):
        self.data = list(range(n))
        self.name = f"node{n}"


def test_class_detail_has_instances_traces_and_referent_trees():
    tracker = ClassTracker()
    try:
        tracker.track_class(Node, name="Node", resolution_level=2, trace=True)
        nodes = [Node(10), Node(1000)]
        tracker.create_snapshot("first")
        nodes.append(Node(300))
        tracker.create_snapshot("second")
        stats = Stats(tracker=tracker)
        d = stats.class_detail("Node")
        assert d.name == "Node" and d.count == 3 and len(d.labels) == 2
        assert [i.id for i in d.instances][0] == id(nodes[1])  # largest first
        big = d.instances[0]
        assert [s[0] for s in big.samples] == [0, 1] and big.samples[1][2] >= asizeof(nodes[1].data)
        assert any(fn.endswith("test_objdetail.py") for fn, _line, _func, _code in big.trace)
        assert any("Node(1000)" in code for _f, _l, _fn, code in big.trace)
        tree = big.samples[1][4]
        assert tree is not None and "__dict__" in [r.name for r in tree.refs]
        (merged_last,) = [m for m in d.merged if m[0] == 1]
        assert merged_last[2].size == sum(i.samples[-1][2] for i in d.instances)
        assert stats.tracked_instance("Node", id(nodes[0])) is nodes[0]
        gone = id(nodes.pop())
        gc.collect()
        assert stats.tracked_instance("Node", gone) is None
        assert stats.class_detail("Node", limit=1).instances[0].id == id(nodes[1])
        with pytest.raises(KeyError, match="not a tracked name; tracked: Node"):
            stats.class_detail("Nope")
    finally:
        tracker.close()


def test_frame_local_finds_a_local_again_by_name_and_id():
    ready, done = threading.Event(), threading.Event()

    def hold():
        payload = {"x": list(range(100))}  # noqa: F841 - the local found again
        ready.set()
        done.wait(30)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        (stack,) = [s for s in thread_stacks() if s.ident == thread.ident]
        (frame,) = [f for f in stack.frames if f.function == "hold"]
        (var,) = [v for v in frame_locals(thread.ident, frame.depth, frame.frame_id) if v.name == "payload"]
        found = frame_local(thread.ident, frame.depth, frame.frame_id, "payload", var.id)
        assert isinstance(found, dict) and id(found) == var.id
        assert frame_local(thread.ident, frame.depth, frame.frame_id, "payload", var.id + 1) is None
        assert frame_local(thread.ident, frame.depth, frame.frame_id, "nope") is None
        del found
    finally:
        done.set()
        thread.join(10)
    with pytest.raises(LookupError, match="not running any more"):
        frame_local(thread.ident, frame.depth, frame.frame_id, "payload")
