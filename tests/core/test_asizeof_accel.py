"""The asizeof walk in C (``pympler_nb._speedups``, src/speedups/asizeof.c) against the
pure-Python walk (issue 18): the same sizes, trees, counters and Class Tracker results, on
random object graphs (Hypothesis) and on the pandas / numpy / ``functools`` corpus.

Each comparison sizes the very same objects twice, once per path
(:func:`pympler_nb.core._accel.pure_path` switches the C loops off in one process).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import weakref
from collections import OrderedDict, defaultdict, deque

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pympler_nb.core import ACCELERATED, _accel
from pympler_nb.core import classtracker_sampling as sampling
from pympler_nb.core.asizeof import Asizer, asized, asizeof, asizesof
from tests.core.test_asized_tree import nodes_of

pytestmark = pytest.mark.skipif(not ACCELERATED, reason=f"the C extension is not in use: {_accel.why_pure()}")


# -- object graphs -------------------------------------------------------------------
class Plain:
    def __init__(self, a=None, b=None):
        self.a = a
        self.b = b


class Slotted:
    __slots__ = ("x", "y", "__weakref__")

    def __init__(self, x=None, y=None):
        self.x = x
        self.y = y


class Mixed(Slotted):
    def __init__(self, x=None, y=None, z=None):
        super().__init__(x, y)
        self.z = z


class Sub(dict):
    pass


class BigInt(int):
    pass


class Tup(tuple):
    pass


def _materialized(obj):
    obj.__dict__  # noqa: B018 - reading it materializes the dict (3.11/3.12)
    return obj


atoms = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.binary(max_size=12),
    st.none(),
    st.booleans(),
    st.complex_numbers(allow_nan=False),
    st.builds(BigInt, st.integers(min_value=-(2**70), max_value=2**70)),
)


def _node(children):
    return st.one_of(
        st.lists(children, max_size=5),
        st.tuples(children, children),
        st.builds(Tup, st.lists(children, max_size=3)),
        st.dictionaries(st.text(max_size=6) | st.integers(), children, max_size=5),
        st.builds(Sub, st.dictionaries(st.text(max_size=4), children, max_size=3)),
        st.frozensets(st.integers() | st.text(max_size=4), max_size=5),
        st.builds(set, st.lists(st.integers(), max_size=5)),
        st.builds(deque, st.lists(children, max_size=4)),
        st.builds(OrderedDict, st.dictionaries(st.text(max_size=4), children, max_size=3)),
        st.builds(bytearray, st.binary(max_size=20)),
        st.builds(Plain, children, children),
        st.builds(lambda a, b: _materialized(Plain(a, b)), children, children),
        st.builds(Slotted, children, children),
        st.builds(Mixed, children, children, children),
        st.builds(lambda xs: functools.partial(print, *xs), st.lists(children, max_size=2)),
    )


graphs = st.recursive(atoms, _node, max_leaves=30)


def _share(draw_objs):
    """A graph with shared parts and a cycle: the lists reference each other."""
    head = list(draw_objs)
    tail = [head, draw_objs[:1]]
    head.append(tail)
    return head


def _tree(node):
    return [(n.name, n.size, n.flat) for n in nodes_of(node)]


def fingerprint(objs, **opts):
    """Everything the sizer reports about ``objs``, on the current path."""
    sizer = Asizer(**opts)
    total = sizer.asizeof(*objs)
    out = [total, sizer.total, sizer.duplicate, sizer.seen, sizer.sized, sizer.missed, sizer.untrusted,
           sizer.skipped, sorted((n, c, t) for n, (c, t, _) in sizer._profiles.items())]
    out.append(asizeof(*objs, **opts))
    out.append(asizesof(*objs, **opts))
    again = Asizer(**opts)
    out.append([again.asizeof(o) for o in objs])  # accumulating: sized before counts 0
    return out


def both(fn, *args, **kw):
    accel = fn(*args, **kw)
    with _accel.pure_path():
        pure = fn(*args, **kw)
    return accel, pure


def test_the_c_walk_runs():
    from pympler_nb.core import _asizer

    assert _asizer._c_walk() is not None
    with _accel.pure_path():
        assert _asizer._c_walk() is None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(graphs, min_size=1, max_size=4))
def test_random_graphs_identical(objs):
    objs = objs + [_share(objs)]
    accel, pure = both(fingerprint, objs)
    assert accel == pure


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(graphs, min_size=1, max_size=3), st.integers(min_value=0, max_value=4))
def test_limit_identical(objs, limit):
    objs = objs + [_share(objs)]
    accel, pure = both(fingerprint, objs, limit=limit)
    assert accel == pure


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs, st.integers(min_value=0, max_value=4), st.sampled_from([None, 1, 3]))
def test_trees_identical_at_every_detail(obj, detail, limit):
    root = [obj, _share([obj])]
    accel, pure = both(lambda: _tree(asized(root, detail=detail, limit=limit)))
    assert accel == pure


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(graphs, min_size=1, max_size=6), st.lists(st.integers(min_value=0, max_value=2), min_size=6,
                                                          max_size=6))
def test_session_size_all_identical(objs, levels):
    """The Class Tracker's sizing (``SizingSession.size_many`` / ``tree``) on both paths."""
    objs = [Plain(o, objs[0]) for o in objs] + [objs]  # shared data, references among them
    levels = levels[: len(objs)] + [0] * (len(objs) - len(levels))

    def run():
        sizer = Asizer()
        res = sampling.size_all(sizer, objs, levels)
        # (size, flat) per object: a level-1 instance is an InstanceTree where the bulk walk
        # applies, an Asized tree where it does not (the pure bulk walk gives up on more kinds)
        return [r[:2] if type(r) is tuple else (r.size, r.flat) for r in res], sizer.total

    accel, pure = both(run)
    assert accel == pure


# -- instances: values arrays, materialized dicts, weakrefs, many types ----------------
def test_instances_identical():
    objs = [Plain(i, str(i)) for i in range(300)]
    objs += [_materialized(Plain(i, [i])) for i in range(50)]
    objs += [Slotted(i, {"k": i}) for i in range(50)] + [Mixed(1, 2, 3) for _ in range(20)]
    alive = Plain()
    objs += [weakref.ref(alive), weakref.proxy(alive), Sub(a=1), BigInt(10**30), Tup((1, 2))]
    objs.append(defaultdict(list, {"a": [1, 2]}))
    accel, pure = both(fingerprint, [objs])
    assert accel == pure
    for detail in range(4):
        accel, pure = both(lambda d=detail: _tree(asized(objs, detail=d)))
        assert accel == pure


def test_caches_and_functions_identical():
    @functools.lru_cache(maxsize=None)
    def feature(i):
        return [float(i)] * 10

    for i in range(200):
        feature(i)
    accel, pure = both(fingerprint, [feature, {"f": feature, "g": lambda x: x}])
    assert accel == pure


def test_code_and_frames_options_identical():
    import inspect

    frame = inspect.currentframe()
    objs = [test_code_and_frames_options_identical, frame, Plain]
    for opts in ({}, {"code": True}, {"frames": True}, {"code": True, "frames": True}, {"ignored": False}):
        both(fingerprint, objs, **opts)  # the frame reaches the whole heap: caches made on first use
        accel, pure = both(fingerprint, objs, **opts)
        assert accel[0] == pure[0], opts
    del frame


# -- the pandas / numpy / Arrow corpus ----------------------------------------------
@pytest.fixture(scope="module")
def corpus():
    from tests.core.test_real_data_sizing import CORPUS

    return CORPUS


def test_corpus_identical(corpus):
    for key, obj in corpus.items():
        accel, pure = both(fingerprint, [obj])
        assert accel == pure, key


def test_corpus_trees_identical(corpus):
    for key in ("frame", "series_categorical", "series_arrow", "object_array", "record_array", "lru_cache",
                "mixed"):
        for detail in (1, 2):
            accel, pure = both(lambda k=key, d=detail: _tree(asized(corpus[k], detail=d)))
            assert accel == pure, (key, detail)


def test_corpus_tracker_identical(corpus):
    objs = list(corpus.values())

    def run():
        sizer = Asizer()
        return [r[:2] for r in sampling.size_all(sizer, objs, [0] * len(objs))], sizer.total

    accel, pure = both(run)
    assert accel == pure


# -- hostile objects on the C walk -------------------------------------------------------
class RaisingSizeof(list):
    def __sizeof__(self):
        raise RuntimeError("no size")


class HugeSizeof:
    def __sizeof__(self):
        return 10**18


def test_hostile_identical():
    from unittest import mock

    gone = Plain()
    proxy = weakref.proxy(gone)
    del gone
    objs = [RaisingSizeof([1, 2]), HugeSizeof(), mock.Mock(), mock.MagicMock(), proxy, [proxy]]
    accel, pure = both(fingerprint, [objs])
    assert accel == pure


class Interrupting:
    pass


def test_keyboard_interrupt_from_a_rule_passes_through():
    """A BaseException raised by Python code the walk calls (a size rule) is not swallowed:
    it propagates from the C walk as from the pure one, and the sizer stays usable."""
    from pympler_nb.core.asizeof import register, unregister

    def flat(obj, claim):
        raise KeyboardInterrupt

    register(Interrupting, flat=flat)
    try:
        objs = [[1, 2], Interrupting(), "x" * 50]
        for pure in (False, True):
            ctx = _accel.pure_path() if pure else open(os.devnull)  # (devnull: a no-op context)
            with ctx:
                sizer = Asizer()
                with pytest.raises(KeyboardInterrupt):
                    sizer.asizeof(objs)
                assert sizer.asizeof([3.5]) == asizeof([3.5])
    finally:
        unregister(Interrupting)


class Nesting:
    def __init__(self, payload):
        self.payload = payload


def test_rule_that_sizes_again_inside_the_walk():
    """A size rule that calls asizeof itself (other options: another ``ignore`` set) while
    the C walk runs: the outer walk's results stay those of the pure walk."""
    import types as _types

    from pympler_nb.core.asizeof import register, unregister

    mod = _types.ModuleType("nested_mod")
    mod.data = [1, 2, 3]

    def flat(obj, claim):
        asizeof(mod, ignored=False)  # nested walk, another ignore set
        return sys.getsizeof(obj)

    register(Nesting, flat=flat)
    try:
        objs = [[Nesting([i, str(i)]) for i in range(20)], vars(sys)["modules"].get("os"), {"k": [1.5] * 10}]
        accel, pure = both(fingerprint, [objs])
        assert accel == pure
    finally:
        unregister(Nesting)


def test_pure_path_forced_by_environment():
    code = "from pympler_nb.core import _asizer, ACCELERATED; print(ACCELERATED, _asizer._c_walk())"
    env = dict(os.environ, PYMPLER_NB_PURE="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "None"]


# -- static types' plans, kept by the C walk across calls (issue 18) -------------------
def test_static_type_plans_follow_rules_and_options_between_calls():
    """The C walk keeps the plan of a static type (``datetime.timedelta``, static on
    3.11-3.13) from one call to the next, under the sizer's static key: a rule registered
    or removed between two calls, and the options that change a TypeInfo (``ignored``,
    ``infer``, excluded types), are seen by the very next call, on both paths alike."""
    import datetime

    from pympler_nb.core.asizeof import register, unregister

    td = datetime.timedelta
    assert not td.__flags__ & (1 << 9)  # not a heap type: its plan is kept

    def run():
        obj = [td(1), td(2), b"abc"]
        base = asizeof(obj)
        assert asizeof(obj) == base  # the second call: from the kept plans
        register(td, flat=lambda o, claim: 1000, refs=lambda o: ())
        try:
            ruled = asizeof(obj)
        finally:
            unregister(td)
        after = asizeof(obj)
        sizer = Asizer()
        sizer.exclude_types(td)
        excluded = sizer.asizeof(obj)
        return base, ruled, after, excluded, asizeof(obj, ignored=False), asizeof(obj, infer=True)

    accel, pure = both(run)
    assert accel == pure
    base, ruled, after, excluded, _, _ = accel
    one = sys.getsizeof(td(1))
    assert ruled == base - 2 * one + 2000
    assert after == base
    assert excluded == base - 2 * one


# -- top_sized: the last level of a dropped sizer is walked without recording it -------
def _top_fingerprint(trees):
    return [[(n.name, n.size, n.flat, n.type, getattr(n, "more", 0), getattr(n, "index", None))
             for n in nodes_of(t)] for t in trees]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(graphs, min_size=1, max_size=6), st.integers(min_value=0, max_value=3),
       st.sampled_from(["list", "dict", "tuple", "instance", "two roots"]), st.sampled_from([None, 3, 20]))
def test_top_sized_last_walk_identical(objs, repeat_n, shape, top):
    """``top_sized`` drops its sizer after the call (``size_trees(final=True)``), so the
    last level of its last tree is walked without recording what it counted (in C); the
    trees are those of a sizer that records (``Asizer.size_trees``) and those of the pure
    path: children that repeat,
    atoms shared with a deeper object, small ints and module dicts (never counted),
    more children than a walk per child takes (> 256)."""
    from pympler_nb.core.sizetree import top_sized

    shared = objs[0]
    items = [*objs, shared, [shared, objs[-1]], 7, sys.modules["os"].__dict__, 10**30]
    items += [float(i) for i in range(300)] + [str(i) * 3 for i in range(40)] * (repeat_n + 1)
    if shape == "list":
        roots = [items]
    elif shape == "dict":
        roots = [{f"k{i}": v for i, v in enumerate(items)}]
    elif shape == "tuple":
        roots = [tuple(items)]
    elif shape == "instance":
        roots = [Plain(items, shared)]
    else:
        roots = [items[:50], items]

    def run():
        for detail in (1, 2):
            final = top_sized(*roots, detail=detail, top=top)
            recording = Asizer(detail=detail).size_trees(*roots, top=top)
            assert _top_fingerprint(final) == _top_fingerprint(recording)
            assert sum(t.size for t in final) == asizeof(*roots)
        return _top_fingerprint(final)

    accel, pure = both(run)
    assert accel == pure
