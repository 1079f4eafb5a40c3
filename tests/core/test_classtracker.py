"""ClassTracker: tracking, the manual's semantics, snapshots, threads, IPython."""

import contextlib
import gc
import inspect
import io
import threading
import time
import weakref
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pympler_nb.core import classtracker as ct
from pympler_nb.core import classtracker_sampling as sampling
from pympler_nb.core.asizeof import Asized, Asizer, asizeof
from pympler_nb.core.classtracker import ClassTracker, Snapshot, TrackedObject


@pytest.fixture
def tracker():
    tr = ClassTracker(stream=io.StringIO())
    yield tr
    tr.close()
    tr.clear()


class Plain:
    def __init__(self, payload=None):
        self.payload = payload


class Base:
    def __init__(self):
        self.base = True


class Derived(Base):
    pass


class OwnInit(Base):
    def __init__(self, x):
        super().__init__()
        self.x = x


class Skipper(OwnInit):
    """Calls Base.__init__ directly, skipping OwnInit's wrapper."""

    def __init__(self):
        Base.__init__(self)


class Slotted:
    __slots__ = ("a",)

    def __init__(self):
        self.a = 1


class SlottedWeak:
    __slots__ = ("__weakref__", "a")

    def __init__(self):
        self.a = 1


def _sizes_at(tracker, ts):
    return {tobj.id: tobj.get_size_at_time(ts) for tobjs in tracker.index.values() for tobj in tobjs
            if tobj.get_size_at_time(ts)}


# ---------------------------------------------------------------------------
# basics
def test_track_object_and_class_names(tracker):
    p = Plain()
    tracker.track_object(p)
    tracker.track_class(Base)
    b = Base()
    assert set(tracker.index) == {"Plain", f"{__name__}.Base"}
    assert tracker.objects[id(p)].ref() is p
    assert tracker.objects[id(b)].name == f"{__name__}.Base"
    tracker.track_object(p, name="other")  # tracked already: nothing changes
    assert "other" not in tracker.index and len(tracker.index["Plain"]) == 1


def test_track_class_registers_name_before_instances(tracker):
    tracker.track_class(Plain, name="P")
    tracker.create_snapshot()
    assert tracker.index == {"P": []}
    assert tracker.stats.annotate_snapshot(tracker.snapshots[0])["P"]["active"] == 0


@pytest.mark.parametrize("bad", [1, "text", [1], {"a": 1}, (1, 2)])
def test_track_object_rejects_builtins(tracker, bad):
    with pytest.raises(TypeError, match="weakly referenced.*keep=True"):
        tracker.track_object(bad)


def test_track_class_rejects_non_class(tracker):
    with pytest.raises(TypeError, match="only classes"):
        tracker.track_class(Plain())


def test_track_class_rejects_builtin_type(tracker):
    with pytest.raises(TypeError, match="cannot track class 'set'.*track_object"):
        tracker.track_class(set)


def test_slots_without_weakref_named_with_fix(tracker):
    with pytest.raises(TypeError, match=r"'Slotted'.*__weakref__.*Slotted.__slots__.*keep=True"):
        tracker.track_class(Slotted)
    with pytest.raises(TypeError, match=r"'Slotted'.*__weakref__"):
        tracker.track_object(Slotted())
    assert "__init__" in Slotted.__dict__ and not hasattr(Slotted.__init__, "__pympler_nb_tracker__")


def test_slots_with_keep_are_tracked_strongly(tracker):
    tracker.track_class(Slotted, keep=True)
    s = Slotted()
    wr_id = id(s)
    del s
    gc.collect()
    tobj = tracker.index[f"{__name__}.Slotted"][0]
    assert tobj.ref() is not None and tobj.id == wr_id and tobj.death is None
    tracker.create_snapshot()
    assert tobj.get_size_at_time(tracker.snapshots[-1].timestamp) > 0
    tracker.detach_all()
    assert tobj.ref() is None


def test_slots_with_weakref_slot_are_tracked(tracker):
    tracker.track_class(SlottedWeak)
    s = SlottedWeak()
    assert tracker.objects[id(s)].ref() is s


@pytest.mark.parametrize("level", [-1, 1.5, True, "2"])
def test_bad_resolution_level(tracker, level):
    with pytest.raises(ValueError, match="resolution_level"):
        tracker.track_object(Plain(), resolution_level=level)


def test_track_change_and_unknown(tracker):
    p = Plain([1, 2, 3])
    tracker.track_object(p)
    tracker.track_change(p, resolution_level=2)
    tracker.create_snapshot()
    tree = tracker.objects[id(p)].snapshots[-1][1]
    assert tree.refs and tree.get("__dict__") is not None
    with pytest.raises(KeyError, match="Plain object at .* is not tracked"):
        tracker.track_change(Plain())


def test_resolution_levels(tracker):
    zero, one = Plain("x" * 100), Plain("y" * 100)
    tracker.track_object(zero, resolution_level=0)
    tracker.track_object(one, resolution_level=1)
    tracker.create_snapshot()
    (_, a0), = tracker.objects[id(zero)].snapshots[1:]
    (_, a1), = tracker.objects[id(one)].snapshots[1:]
    assert a0.refs == () and a0.size > 100
    assert "__dict__" in [r.name for r in a1.refs]
    assert a1.size == sum(r.size for r in a1.refs) + a1.flat


def test_birth_sample_and_sizes(tracker):
    p = Plain()
    tracker.track_object(p)
    tobj = tracker.objects[id(p)]
    (t0, a0), = tobj.snapshots
    assert t0 == tobj.birth and a0.size == a0.flat > 0
    p.payload = list(range(1000))
    tracker.create_snapshot()
    ts = tracker.snapshots[-1].timestamp
    assert tobj.get_size_at_time(ts) == tobj.get_max_size() == asizeof(p)
    assert tobj.get_size_at_time(ts + 1) == 0
    assert repr(tobj).startswith("<TrackedObject 'Plain'")


# ---------------------------------------------------------------------------
# inheritance and constructors
def test_subclass_instances_tracked_under_base(tracker):
    tracker.track_class(Base, name="base")
    d = Derived()
    o = OwnInit(1)
    assert tracker.objects[id(d)].name == "base" and tracker.objects[id(o)].name == "base"
    assert d.base and o.base and o.x == 1


@pytest.mark.parametrize("order", ["base-first", "derived-first"])
def test_most_specialised_tracked_class_decides(tracker, order):
    if order == "base-first":
        tracker.track_class(Base, name="base", resolution_level=0)
        tracker.track_class(OwnInit, name="own", resolution_level=1)
    else:
        tracker.track_class(OwnInit, name="own", resolution_level=1)
        tracker.track_class(Base, name="base", resolution_level=0)
    o = OwnInit(2)
    s = Skipper()  # never runs OwnInit's wrapper: the MRO still decides
    b = Base()
    assert tracker.objects[id(o)].name == "own" and tracker.objects[id(o)].resolution_level == 1
    assert tracker.objects[id(s)].name == "own"
    assert tracker.objects[id(b)].name == "base"
    assert sum(len(v) for v in tracker.index.values()) == 3


def test_detach_restores_own_and_inherited_init(tracker):
    own = OwnInit.__dict__["__init__"]
    tracker.track_class(Base)
    tracker.track_class(Derived)  # inherits __init__
    tracker.track_class(OwnInit)
    assert "__init__" in Derived.__dict__
    assert inspect.signature(OwnInit.__init__) == inspect.signature(own)
    tracker.detach_class(Base)
    tracker.detach_class(Derived)
    assert "__init__" not in Derived.__dict__
    assert Derived.__init__ is Base.__init__
    tracker.detach_all_classes()
    assert OwnInit.__dict__["__init__"] is own
    n = sum(len(v) for v in tracker.index.values())
    Derived(), OwnInit(1), Base()
    assert sum(len(v) for v in tracker.index.values()) == n


def test_detach_unknown_class(tracker):
    tracker.track_class(Base)
    with pytest.raises(KeyError, match="'Plain' is not tracked.*Base"):
        tracker.detach_class(Plain)


def test_new_with_arguments_and_no_init(tracker):
    class WithNew:
        def __new__(cls, value):
            self = super().__new__(cls)
            self.value = value
            return self

    class NoArgs:
        pass

    tracker.track_class(WithNew)
    tracker.track_class(NoArgs)
    assert WithNew(5).value == 5
    with pytest.raises(TypeError, match="NoArgs.* takes no arguments"):
        NoArgs(1)
    assert len(tracker.index[f"{__name__}.{WithNew.__name__}"]) == 1


def test_dataclass_signature_and_kwargs(tracker):
    @dataclass
    class Point:
        x: int
        y: int = 0

    tracker.track_class(Point)
    p = Point(1, y=2)
    assert (p.x, p.y) == (1, 2)
    assert list(inspect.signature(Point).parameters) == ["x", "y"]


def test_retrack_changes_options(tracker):
    tracker.track_class(Plain, name="first")
    a = Plain()
    tracker.track_class(Plain, name="second", resolution_level=1)
    b = Plain()
    assert tracker.objects[id(a)].name == "first" and tracker.objects[id(b)].name == "second"
    assert tracker.objects[id(b)].resolution_level == 1


def test_two_trackers_on_one_class():
    one, two = ClassTracker(), ClassTracker()
    try:
        one.track_class(Plain)
        two.track_class(Plain)
        p = Plain()
        assert id(p) in one.objects and id(p) in two.objects
        one.detach_class(Plain)  # wrapped over by `two`: becomes a pass-through
        q = Plain()
        assert id(q) not in one.objects and id(q) in two.objects
        two.detach_class(Plain)
        r = Plain()
        assert id(r) not in one.objects and id(r) not in two.objects
    finally:
        one.close()
        two.close()


# ---------------------------------------------------------------------------
# sizing semantics from the manual
def test_shared_data_goes_to_first_tracked_owner(tracker):
    a, b = Plain(), Plain()
    tracker.track_object(a)
    tracker.track_object(b)
    b.content = list(range(100000))
    tracker.create_snapshot("#1")
    a.notmine = b.content
    tracker.create_snapshot("#2")
    t1, t2 = (s.timestamp for s in tracker.snapshots)
    ta, tb = tracker.objects[id(a)], tracker.objects[id(b)]
    big = asizeof(b.content)
    assert tb.get_size_at_time(t1) > big > ta.get_size_at_time(t1)
    assert ta.get_size_at_time(t2) > big > tb.get_size_at_time(t2)
    for snap in tracker.snapshots:  # counted once
        assert snap.tracked_total == asizeof(a, b) == sum(_sizes_at(tracker, snap.timestamp).values())


@pytest.mark.parametrize("order", ["referrer-first", "referent-first"])
def test_tracked_referent_not_added_to_referrer(tracker, order):
    outer, inner = Plain(), Plain(list(range(5000)))
    outer.child = inner
    first, second = (outer, inner) if order == "referrer-first" else (inner, outer)
    tracker.track_object(first)
    tracker.track_object(second)
    tracker.create_snapshot()
    ts = tracker.snapshots[0].timestamp
    size_outer = tracker.objects[id(outer)].get_size_at_time(ts)
    size_inner = tracker.objects[id(inner)].get_size_at_time(ts)
    assert size_inner >= asizeof(inner.payload)
    assert size_outer < asizeof(inner.payload)
    assert size_outer + size_inner == asizeof(outer) == tracker.snapshots[0].tracked_total


def test_morphing(tracker):
    class Source:
        pass

    class Target:
        def __init__(self):
            self.morphed = True

    tracker.track_class(Source, name="source")
    tracker.track_class(Target, name="target")
    obj = Source()
    obj.__class__ = Target
    tracker.create_snapshot()
    tobj = tracker.objects[id(obj)]
    assert tobj.name == "source" and "Target" in tobj.repr and tobj.type.endswith("Target")
    assert tracker.index["target"] == []
    free = object.__new__(Source)  # an untracked instance
    free.__class__ = Target
    assert id(free) not in tracker.objects
    Target.__init__(free)  # the constructor of the target class tracks it
    assert tracker.objects[id(free)].name == "target"


def test_weak_references_do_not_keep_objects_alive(tracker):
    tracker.track_class(Plain)
    p = Plain([0] * 100)
    wr = weakref.ref(p)
    tobj = tracker.objects[id(p)]
    tracker.create_snapshot()
    del p
    gc.collect()
    assert wr() is None
    assert tobj.death is not None and tobj.death > tobj.birth
    tracker.create_snapshot()
    assert id(tobj.id) not in tracker.objects  # dropped from the live objects at the snapshot
    assert tobj.id not in tracker.objects
    assert tobj.get_size_at_time(tracker.snapshots[-1].timestamp) == 0


def test_keep_holds_objects_until_detach(tracker):
    tracker.track_class(Plain, keep=True)
    p = Plain()
    wr = weakref.ref(p)
    tobj = tracker.objects[id(p)]
    del p
    gc.collect()
    assert wr() is not None and tobj.death is None
    tracker.detach_all()
    gc.collect()
    assert wr() is None and tobj.death is not None


def test_snapshot_keeps_nothing_alive(tracker):
    tracker.track_class(Plain, resolution_level=2)
    p = Plain({"k": [1, 2, 3]})
    inner = weakref.ref(p)
    tracker.create_snapshot()
    del p
    gc.collect()
    assert inner() is None


def test_id_reuse_makes_a_new_record(tracker):
    tracker.track_class(Plain)
    seen_ids = set()
    records = 0
    for _ in range(200):  # ids of freed objects come back quickly
        p = Plain()
        seen_ids.add(id(p))
        records += 1
        del p
    assert sum(len(v) for v in tracker.index.values()) == records
    assert len(seen_ids) < records
    assert all(t.death is not None for t in tracker.index[f"{__name__}.Plain"])


def test_trace(tracker):
    tracker.track_class(Plain, trace=True)

    def make_one():
        return Plain()

    p = make_one()
    trace = tracker.objects[id(p)].trace
    assert trace[-1][2] == "make_one" and trace[-1][0] == __file__
    assert "return Plain()" in trace[-1][3][0]
    assert all(rec[0] != ct.__file__ for rec in trace)


def test_history(tracker):
    tracker.track_class(Plain, name="P")
    a = Plain()
    b = Plain()
    del a
    gc.collect()
    counts = [c for _, c in tracker.history["P"]]
    assert counts == [1, 2, 1]
    times = [t for t, _ in tracker.history["P"]]
    assert times == sorted(times)
    del b


# ---------------------------------------------------------------------------
# snapshots
def test_snapshot_fields(tracker):
    tracker.track_object(Plain(list(range(100))), keep=True)
    tracker.create_snapshot("with total", compute_total=True)
    tracker.create_snapshot()
    s, plain = tracker.snapshots
    assert isinstance(s, Snapshot) and s.desc == "with total"
    assert s.tracked_total > 0 and s.overhead > 0
    assert s.asizeof_total > s.tracked_total
    assert plain.asizeof_total == 0
    assert s.system_total.available and s.system_total.rss > 0
    assert s.total == s.system_total.vsz
    assert s.label == "with total (%.3fs)" % s.timestamp and plain.label == "%.3fs" % plain.timestamp
    assert s.timestamp < plain.timestamp


def test_snapshot_total_without_process_info():
    s = Snapshot(1.0)
    assert not s.system_total.available
    s.tracked_total = 5
    assert s.total == 5
    s.asizeof_total = 7
    assert s.total == 7


def test_overhead_excludes_tracked_objects(tracker):
    big = Plain(list(range(200000)))
    tracker.track_object(big)
    tracker.create_snapshot()
    s = tracker.snapshots[0]
    assert s.tracked_total >= asizeof(big.payload)
    assert 0 < s.overhead < asizeof(big.payload) / 10


def test_overhead_equals_a_full_walk(tracker):
    """The shortcut in _overhead gives what walking the whole tracker gives."""

    class Rich:
        def __init__(self, i):
            self.i = i
            self.text = "t%d" % i

        def __repr__(self):
            return "Rich(%d)" % self.i

    tracker.track_class(Rich, resolution_level=1, trace=True)
    tracker.track_class(Plain, keep=True)
    items = [Rich(i) for i in range(200)] + [Plain([i]) for i in range(300)]
    tracker.create_snapshot("one")
    del items[:50]
    gc.collect()
    tracker.create_snapshot("two")
    tracker.detach_class(Plain)  # keep=True objects stay alive, held by the tracker

    def sized():
        sizer = Asizer()
        live = [t for t in tracker.objects.values() if t.ref() is not None]
        sampling.size_all(sizer, [t.ref() for t in live], [t.resolution_level for t in live])
        return sizer

    full = sized().asizeof(tracker)
    fast = tracker._overhead(sized())
    assert abs(fast - full) <= full * 0.002, (fast, full)
    assert tracker.snapshots[-1].overhead > 0


def test_repr_refreshed_and_default_repr_made_lazily(tracker):
    class Named:
        def __init__(self, name):
            self.name = name

        def __repr__(self):
            return f"Named({self.name!r})"

    n, p = Named("a"), Plain()
    tracker.track_object(n)
    tracker.track_object(p)
    assert tracker.objects[id(n)].repr == ""
    tracker.create_snapshot()
    n.name = "b"
    tracker.create_snapshot()
    assert tracker.objects[id(n)].repr == "Named('b')"
    assert tracker.objects[id(p)].repr == repr(p)


def test_hostile_repr(tracker):
    class Bad:
        def __repr__(self):
            raise RuntimeError("no repr")

    b = Bad()
    tracker.track_object(b)
    tracker.create_snapshot()
    assert "repr failed" in tracker.objects[id(b)].repr


@pytest.mark.timeout(60)
def test_reentrant_repr_tracks_without_deadlock(tracker):
    made = []

    class Chatty:
        def __repr__(self):
            made.append(Plain())  # a tracked class instantiated during the snapshot
            return "Chatty()"

    tracker.track_class(Plain)
    tracker.track_object(Chatty(), keep=True, resolution_level=1)
    tracker.create_snapshot()
    tracker.create_snapshot()
    assert made and all(id(p) in tracker.objects for p in made)


def test_fast_path_equals_public_path():
    shared = list(range(1000))
    a, b, c = Plain(shared), Plain({"s": shared, "t": "x" * 50}), Plain()
    c.peer = a
    a.peer = c
    objs, levels = [a, b, c], [0, 2, 1]
    fast = sampling.size_all(Asizer(), objs, levels)
    slow = sampling.size_all_public(Asizer(), objs, levels)
    assert fast[0] == slow[0]
    assert fast[1] == slow[1] and fast[2] == slow[2]
    assert isinstance(fast[1], Asized) and fast[1].refs


def _public_form(results: list) -> list:
    """``size_all`` results with compact level-1 instance trees made into Asized trees."""
    return [r[2].asized(r[0], r[1]) if type(r) is tuple and len(r) == 3 else r for r in results]


def _shared_world(data, n_roots: int):
    """Roots (Plain instances) that share parts of a random pool, refer to each other
    and to themselves, at random depths."""
    pool: list = []
    for i in range(data.draw(st.integers(0, 12), label="pool")):
        kind = data.draw(st.sampled_from(["list", "dict", "str", "int", "tuple", "plain"]))
        if kind == "list":
            pool.append([object() for _ in range(data.draw(st.integers(0, 3)))])
        elif kind == "dict":
            pool.append({f"k{i}_{j}": [j + 1000] for j in range(data.draw(st.integers(0, 3)))})
        elif kind == "str":
            pool.append("s" * data.draw(st.integers(2, 300)) + str(i))
        elif kind == "int":
            pool.append(10 ** 30 + i)
        elif kind == "tuple":
            pool.append(tuple(pool[-2:]) + (i * 1.5,))
        else:
            pool.append(Plain(list(pool[-1:])))
    roots = [Plain() for _ in range(n_roots)]
    everything = pool + roots
    for holder in pool + roots:
        picks = data.draw(st.lists(st.integers(0, len(everything) - 1), max_size=3))
        depth = data.draw(st.integers(0, 3))
        value: object = [everything[k] for k in picks] + ["own" * data.draw(st.integers(1, 40))]
        for _ in range(depth):  # bury the references a few levels down
            value = {"down": value}
        if isinstance(holder, Plain):
            holder.payload = value
            if data.draw(st.booleans()):
                holder.extra = data.draw(st.integers(-5, 10 ** 6))
        elif isinstance(holder, list):
            holder.append(value)
        elif isinstance(holder, dict):
            holder["v"] = value
    return roots, pool


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_bulk_walk_equals_one_root_at_a_time(data):
    n = data.draw(st.integers(1, 8), label="roots")
    roots, pool = _shared_world(data, n)
    levels = data.draw(st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n))
    fast_sizer, slow_sizer = Asizer(), Asizer()
    fast = _public_form(sampling.size_all(fast_sizer, roots, levels))
    slow = sampling.size_all_public(slow_sizer, roots, levels)
    assert fast == slow
    assert fast_sizer.total == slow_sizer.total


def test_bulk_walk_falls_back_and_undoes_when_a_later_root_comes_first():
    x = ["x" * 100]
    first, second = Plain({"a": {"b": {"c": x}}}), Plain(x)  # second reaches x sooner
    sizer = Asizer()
    ctx, extra = sizer._begin((), [id(first), id(second)])
    seen_before, total_before = set(sizer._seen), sizer.total
    # the pure bulk walk (the C walk sizes the roots one after the other: it never falls back)
    assert sizer._walk_many_py(ctx, [first, second], extra) is None
    assert sizer._seen == seen_before and sizer.total == total_before
    sizer._end(ctx, extra)
    fast = sampling.size_all(Asizer(), [first, second], [0, 0])
    slow = sampling.size_all_public(Asizer(), [first, second], [0, 0])
    assert fast == slow and fast[0][0] > fast[1][0]  # x counted for the first root


def test_level_one_trees_through_the_tracker(tracker):
    from pympler_nb.core.asizeof import asized
    tracker.track_class(Plain, resolution_level=1)
    items = [Plain([i + 1000, "v" * i]) for i in range(30)]
    tracker.create_snapshot()
    for item in items:
        tobj = tracker.objects[id(item)]
        tree = tobj.snapshots[-1][1]
        assert tree == asized(item, detail=1)  # what one sizer per object gives
        assert [r.name for r in tree.refs] == ["__dict__", "__class__"]


def test_bulk_walk_used_for_plain_instances():
    roots = [Plain([i, str(i) * 3]) for i in range(50)]
    sizer = Asizer()
    ctx, extra = sizer._begin((), list(map(id, roots)))
    res = sizer._walk_many(ctx, roots, extra)
    sizer._end(ctx, extra)
    assert res is not None
    sizes, flats, hiddens = res
    assert sizes == [asizeof(r) for r in roots]
    assert all(h > 0 for h in hiddens) and all(f > h for f, h in zip(flats, hiddens))


# ---------------------------------------------------------------------------
# threads
def test_periodic_snapshots_thread(tracker):
    tracker.track_class(Plain)
    keep = [Plain() for _ in range(10)]
    tracker.start_periodic_snapshots(interval=0.01)
    thread = tracker._periodic_thread
    assert thread.name == "BackgroundMonitor" and thread.daemon
    tracker.start_periodic_snapshots(interval=0.02)  # only changes the interval
    assert tracker._periodic_thread is thread and thread.interval == 0.02
    deadline = time.monotonic() + 10
    while len(tracker.snapshots) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    tracker.stop_periodic_snapshots()
    assert not thread.is_alive() and tracker._periodic_thread is None
    n = len(tracker.snapshots)
    assert n >= 3
    time.sleep(0.05)
    assert len(tracker.snapshots) == n
    del keep


def test_periodic_snapshot_failure_is_reported(tracker, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("sizing failed")

    monkeypatch.setattr(ct, "size_all", boom)
    tracker.track_object(Plain(), keep=True)
    tracker.start_periodic_snapshots(0.01)
    tracker._periodic_thread.join(10)
    with pytest.warns(RuntimeWarning, match="sizing failed"):
        tracker.stop_periodic_snapshots()


def test_bad_interval(tracker):
    with pytest.raises(ValueError, match="interval"):
        tracker.start_periodic_snapshots(-1)


@pytest.mark.timeout(120)
def test_background_snapshots_while_creating_and_deleting():
    tracker = ClassTracker()
    tracker.track_class(Plain, name="P")
    tracker.track_class(Base, name="B", resolution_level=1)
    errors = []
    try:
        tracker.start_periodic_snapshots(interval=0.001)
        live = []
        deadline = time.monotonic() + 1.5
        i = 0
        while time.monotonic() < deadline or len(tracker.snapshots) < 5:
            live.append(Plain([i] * (i % 7)) if i % 3 else Base())
            if len(live) > 50:
                del live[: i % 40]
            if i % 500 == 0:
                gc.collect()
            i += 1
            if time.monotonic() > deadline + 30:
                errors.append("no snapshots")
                break
        tracker.stop_periodic_snapshots()
    finally:
        tracker.close()
    assert not errors
    stats = tracker.stats
    stats.annotate()
    checked = 0
    for snap in tracker.snapshots:
        sampled = {}
        total = 0
        for name, tobjs in tracker.index.items():
            for tobj in tobjs:
                size = [s for t, s, _, _ in tobj.iter_samples() if t == snap.timestamp]
                if size:
                    sampled[name] = sampled.get(name, 0) + 1
                    total += size[0]
        for name in tracker.index:
            assert snap.classes[name]["active"] == sampled.get(name, 0), (snap.label, name)
        assert snap.tracked_total == total
        checked += 1
    assert checked >= 5 and i > 100


@pytest.mark.timeout(60)
def test_concurrent_track_object():
    tracker = ClassTracker()
    objs = [[Plain() for _ in range(2000)] for _ in range(4)]

    def work(chunk):
        for o in chunk:
            tracker.track_object(o)

    threads = [threading.Thread(target=work, args=(c,)) for c in objs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(tracker.objects) == 8000 == len(tracker.index["Plain"])


# ---------------------------------------------------------------------------
# lifecycle
def test_clear_close_and_context_manager():
    with ClassTracker() as tr:
        tr.track_class(Plain)
        tr.start_periodic_snapshots(0.01)
        p = Plain()
        tr.create_snapshot()
    assert "__init__" in Plain.__dict__ and not hasattr(Plain.__init__, "__pympler_nb_tracker__")
    assert tr._periodic_thread is None
    assert tr.index and tr.snapshots  # close keeps the data
    tr.clear()
    assert not tr.index and not tr.objects and not tr.snapshots
    with contextlib.closing(ClassTracker()) as tr2:
        tr2.track_class(Derived)
    assert "__init__" not in Derived.__dict__
    del p


def test_tracked_object_standalone():
    p = Plain()
    died = []
    tobj = TrackedObject(p, "solo", resolution_level=1, on_delete=lambda: died.append(1))
    sizer = Asizer()
    tobj.track_size(1.0, sizer)
    assert tobj.get_size_at_time(1.0) == asizeof(p)
    assert tobj.snapshots[-1][1].refs
    del p
    gc.collect()
    assert died == [1] and tobj.death is not None


class _OddName:
    """A callable ``__init__`` whose ``__name__`` is not a str (``update_wrapper`` raises TypeError)."""

    __name__ = 5

    def __call__(self, obj, *args):
        obj.args = args


class _HostileAttrs:
    """A callable ``__init__`` whose attributes raise (``update_wrapper`` reads them)."""

    def __getattribute__(self, name):
        if name in ("__call__", "__class__"):
            return object.__getattribute__(self, name)
        raise RuntimeError(f"no {name} for you")

    def __call__(self, obj, *args):
        obj.args = args


@pytest.mark.parametrize("init", [_OddName(), _HostileAttrs()], ids=["non-str-name", "raising-attrs"])
def test_track_class_with_an_exotic_callable_init(tracker, init):
    class Odd:
        pass

    Odd.__init__ = init
    tracker.track_class(Odd, name="Odd")
    odd = Odd(1, 2)
    assert odd.args == (1, 2) and len(tracker.index["Odd"]) == 1
    tracker.detach_class(Odd)
    assert Odd.__dict__["__init__"] is init
