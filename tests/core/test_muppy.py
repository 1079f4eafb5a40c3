"""pympler_nb.core.muppy: heap listing, completeness, identity diff, filters."""

from __future__ import annotations

import gc
import itertools
import operator
import subprocess
import sys
import time
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pympler_nb.core import muppy, objwalk
from tests.core._classes import Unhashable


def fresh_str(text: str) -> str:
    """A str object nobody else holds (not a code constant, not interned)."""
    return "".join(list(text))


def ids(objects: list) -> set[int]:
    return set(map(id, objects))


# ---------------------------------------------------------------------------
# get_objects: completeness
# ---------------------------------------------------------------------------

class Holder:
    def __init__(self, value):
        self.value = value


def test_lists_tracked_and_untracked_objects_once():
    s = fresh_str("a string only this test holds")
    f = float("1234.5678")
    i = int("123456789012345")
    b = fresh_str("bytes here").encode()
    untracked_dict = {"k": fresh_str("v")}
    untracked_tuple = (fresh_str("t1"), 7.25)
    container = [s, f, i, b, untracked_dict, untracked_tuple]
    gc.collect()
    assert not gc.is_tracked(untracked_dict) and not gc.is_tracked(untracked_tuple)
    objs = muppy.get_objects()
    found = ids(objs)
    for obj in (container, s, f, i, b, untracked_dict, untracked_tuple,
                untracked_dict["k"], untracked_tuple[0]):
        assert id(obj) in found, type(obj)
    assert len(found) == len(objs), "remove_dups=True lists every object once"
    del objs


def test_str_dict_keys_are_listed():
    key = fresh_str("a key nothing else references")
    d = {key: 1}
    holder = Holder(d)  # a tracked referrer
    assert not any(r is key for r in gc.get_referents(d)), "gc skips str keys"
    objs = muppy.get_objects()
    assert id(key) in ids(objs)
    del objs, holder


def test_keys_of_untracked_dicts_and_nested_untracked_containers():
    key = fresh_str("key of an untracked dict")
    inner = {key: fresh_str("value")}
    outer = ((fresh_str("deep"),), fresh_str("x"))
    keep = [inner, outer]
    gc.collect()
    gc.collect()  # nested tuples are untracked one level per collection
    assert not gc.is_tracked(inner) and not gc.is_tracked(outer)
    assert not gc.is_tracked(outer[0])
    objs = muppy.get_objects()
    found = ids(objs)
    assert {id(outer), id(inner), id(key), id(outer[0]), id(outer[0][0])} <= found
    del objs, keep


def test_code_object_constants_are_listed():
    ns: dict = {}
    exec(compile("def f():\n    return 'a constant of a nested code object'\n", "<t>", "exec"), ns)
    code = ns["f"].__code__
    const = next(c for c in code.co_consts if isinstance(c, str))
    objs = muppy.get_objects()
    found = ids(objs)
    assert id(code) in found and id(const) in found
    del objs


def test_no_duplicates_and_not_itself():
    objs = muppy.get_objects()
    assert len(ids(objs)) == len(objs)
    assert not any(o is objs for o in objs)
    del objs


def test_remove_dups_false_repeats_shared_referents():
    shared = fresh_str("shared by two lists")
    a, b = [shared], [shared]
    objs = muppy.get_objects(remove_dups=False)
    # (no generator expression here: it would put `shared` in a cell, a third referrer)
    assert sum(map(operator.is_, objs, itertools.repeat(shared))) == 2
    del objs, a, b


def test_frames_only_when_asked():
    def caller():
        return muppy.get_objects(include_frames=True)

    objs = muppy.get_objects()
    assert not any(type(o) is types.FrameType for o in objs)
    del objs
    this_frame = sys._getframe()
    objs = caller()
    frames = [o for o in objs if type(o) is types.FrameType]
    names = [f.f_code.co_name for f in frames]
    assert any(f is this_frame for f in frames), names
    assert "caller" not in names, "the caller's own frame is left out (Pympler)"
    assert "get_objects" not in names and "_walk" not in names
    del objs, frames, this_frame


def test_complete_versus_pympler():
    pympler_muppy = pytest.importorskip("pympler.muppy")
    theirs = pympler_muppy.get_objects()
    ours = muppy.get_objects()
    missing = ids(theirs) - ids(ours)
    # Pympler's list holds its own temporaries; everything else it finds, we find
    assert len(missing) <= 5, [type(o) for o in theirs if id(o) in missing][:10]
    assert len(ours) > len(theirs) - len(missing)
    del theirs, ours


@settings(max_examples=12, deadline=None)
@given(st.recursive(
    st.one_of(st.text(min_size=2), st.integers(min_value=1000), st.floats(allow_nan=False),
              st.binary(min_size=2)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.tuples(children, children),
                               st.dictionaries(st.text(min_size=2), children, max_size=3)),
    max_leaves=12))
def test_property_every_reachable_object_once(value):
    keep = [value]
    expected = []
    stack = [value]
    while stack:
        obj = stack.pop()
        expected.append(obj)
        if isinstance(obj, (list, tuple)):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
    objs = muppy.get_objects()
    found = ids(objs)
    assert len(found) == len(objs)
    for obj in expected:
        assert id(obj) in found, repr(obj)[:60]
    del objs, keep


def test_deep_structure_no_recursion():
    deep: list = []
    node = deep
    for _ in range(100_000):
        nxt: list = []
        node.append(nxt)
        node = nxt
    node.append(fresh_str("bottom of a very deep list"))
    objs = muppy.get_objects()
    assert id(node[0]) in ids(objs)
    del objs, deep, node, nxt


# ---------------------------------------------------------------------------
# get_size, sort, filter
# ---------------------------------------------------------------------------

def test_get_size_is_flat_sum():
    objs = [[1, 2, 3], "abc", (1,), {}]
    assert muppy.get_size(objs) == sum(sys.getsizeof(o) for o in objs)
    assert muppy.get_size([]) == 0


class BadSize:
    def __sizeof__(self):
        raise RuntimeError("no size")


def test_get_size_survives_broken_sizeof():
    from pympler_nb.core.asizeof import basicsize

    # the layout size: basic size with the GC and managed-dict headers, as asizeof counts it
    assert muppy.get_size([BadSize(), "x"]) == basicsize(BadSize()) + sys.getsizeof("x")


def test_get_size_bad_input():
    with pytest.raises(TypeError, match="list .*of objects"):
        muppy.get_size(5)


def test_sort_ascending_by_size():
    objs = [[1] * 10, [], "abc" * 100, (1, 2)]
    out = muppy.sort(objs)
    assert [sys.getsizeof(o) for o in out] == sorted(sys.getsizeof(o) for o in objs)
    assert out is not objs


def test_filter_type_and_strict_bounds():
    a, b, c = [], [1] * 10, "x" * 100
    objs = [a, b, c]
    assert muppy.filter(objs, Type=list) == [a, b]
    size_a = sys.getsizeof(a)
    assert a not in muppy.filter(objs, min=size_a), "min is exclusive"
    assert muppy.filter(objs, Type=list, max=size_a) == [], "max is exclusive"
    assert muppy.filter(objs, Type=list, max=size_a + 1) == [a]
    assert muppy.filter(objs, Type=(list, str), min=-1, max=-1) == objs


def test_filter_min_greater_than_max():
    with pytest.raises(ValueError, match=r"min=10 is larger than max=5.*min <= max"):
        muppy.filter([], min=10, max=5)


def test_filter_bad_arguments():
    with pytest.raises(TypeError, match="Type must be a type"):
        muppy.filter([], Type="list")
    with pytest.raises(TypeError, match="min and max must be integers"):
        muppy.filter([], min=1.5)


# ---------------------------------------------------------------------------
# get_diff (identity, linear)
# ---------------------------------------------------------------------------

def test_get_diff_identity_not_equality():
    a, b = [1], [1]  # equal, not identical
    d = muppy.get_diff([a], [b])
    assert d["+"][0] is b and d["-"][0] is a


def test_get_diff_linear_on_100k_objects():
    left = [object() for _ in range(100_000)]
    right = left[50_000:] + [object() for _ in range(100_000)]
    start = time.process_time()  # CPU time: a loaded machine does not fail it
    d = muppy.get_diff(left, right)
    elapsed = time.process_time() - start
    assert len(d["+"]) == 100_000 and len(d["-"]) == 50_000
    assert elapsed < 2.0, "quadratic identity diff?"


# ---------------------------------------------------------------------------
# get_referents
# ---------------------------------------------------------------------------

def test_get_referents_levels_and_keys():
    key = fresh_str("ref key")
    leaf = fresh_str("leaf")
    inner = [leaf]
    d = {key: inner}
    level1 = muppy.get_referents(d)
    assert any(o is key for o in level1) and any(o is inner for o in level1)
    assert not any(o is leaf for o in level1)
    level2 = muppy.get_referents(d, level=2)
    assert any(o is leaf for o in level2)
    assert len(ids(level2)) == len(level2)


def test_get_referents_deep_chain_no_recursion():
    head: list = []
    node = head
    for _ in range(50_000):
        nxt: list = []
        node.append(nxt)
        node = nxt
    refs = muppy.get_referents(head, level=60_000)
    assert len(refs) == 50_000


def test_get_referents_bad_level():
    with pytest.raises(ValueError, match="level must be an int >= 1"):
        muppy.get_referents([], level=0)
    with pytest.raises(TypeError, match="level must be an int"):
        muppy.get_referents([], level="1")


def test_print_summary_table(capsys):
    muppy.print_summary()
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["types", "|", "#", "objects", "|", "total", "size"]
    assert set(out[1].replace(" | ", "")) == {"="}
    assert len(out) == 17


def test_ignore_object():
    assert muppy.ignore_object(sys._getframe())
    assert not muppy.ignore_object([])


def test_the_walk_engine_stands_alone():
    """``objwalk`` (the heap walk of muppy, summary, tracker and heap) imports neither
    facade: the engine is below them."""
    code = ("import sys, pympler_nb.core.objwalk\n"
            "print(sorted(m for m in ('pympler_nb.core.muppy', 'pympler_nb.core.summary',"
            " 'pympler_nb.core.tracker') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_get_objects_is_the_walk():
    """``get_objects()`` lists both parts of ``walk_heap`` and remembers them."""
    objs = muppy.get_objects()
    try:
        assert type(objs) is objwalk.HeapList
        tracked, untracked = objs.parts()
        assert len(tracked.objects) + len(untracked.objects) == len(objs)
        assert all(map(operator.is_, objs[:len(tracked.objects)], tracked.objects))
    finally:
        del objs


def test_walk_keeps_no_cells():
    """Functions on the stack during the walk must not create cell objects: the
    collector would list them as heap objects (our own bookkeeping)."""
    from pympler_nb.core import tracker

    for fn in (objwalk.walk_heap, muppy.get_objects, tracker._summarize_heap,
               tracker.SummaryTracker._summary, tracker.SummaryTracker.diff,
               tracker.ObjectTracker._get_objects, tracker.ObjectTracker.get_diff):
        assert fn.__code__.co_cellvars == (), fn.__qualname__


# ---------------------------------------------------------------------------
# bulk helpers of the walk
# ---------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), max_size=300), st.booleans())
def test_select_equals_compress(flags, want):
    objects = [object() for _ in flags]
    mask = objwalk.flag_mask(flags)
    expected = [o for o, f in zip(objects, flags) if f == want]
    assert objwalk.select_flagged(objects, mask, want=want) == expected
    assert objwalk.select_flagged(objects, mask, len(expected), want=want) == expected
    assert list(objwalk.flag_positions(mask, want)) == [i for i, f in enumerate(flags) if f == want]


class Skipped:
    """A type only skipped objects have (the walk's candidate path)."""


@pytest.mark.parametrize("kinds", ["own type", "own type, 40", "common types",
                                   "many of a common type"])
def test_walk_skip_leaves_out_exactly_the_skipped_objects(kinds):
    keep = [[i] for i in range(50)] + [{"k": [i]} for i in range(50)]  # (all tracked)
    if kinds.startswith("own type"):
        skipped = [Skipped() for _ in range(40 if "40" in kinds else 5)]  # deleted in place / not
    elif kinds == "common types":
        skipped = keep[:3] + keep[60:62]  # a few lists and dicts among many
    else:
        skipped = [[i] for i in range(200_000)]  # more than 1/8 of the heap: every id is tested
    skip = {id(o): o for o in skipped}
    tpart, upart = objwalk.walk_heap(skip=skip)
    tracked, ttys = tpart.objects, tpart.types
    listed = ids(tracked)
    try:
        assert not listed & set(skip)
        assert all(id(o) in listed for o in keep if id(o) not in skip)
        assert ttys == list(map(type, tracked))
        for part in (tpart, upart):  # the frequent types' numbers line up with the objects
            assert part.valid()
            assert part.types == list(map(type, part.objects))
            if part.codes is not None:  # (the pure path's numbering; the C walk has none)
                assert all(part.types[p] is part.frequent[c - 1]
                           for p, c in enumerate(part.codes) if c)
        # every tracked object of a frequent type has its number (untracked objects
        # found below the first level are counted with the other types)
        if tpart.codes is not None:
            assert all(tpart.codes.count(i) == sum(t is f for t in tpart.types)
                       for i, f in enumerate(tpart.frequent, 1))
    finally:
        del tracked, ttys, tpart, upart


def test_walk_skip_with_an_unhashable_class():
    objs = [Unhashable() for _ in range(3)]
    skip = {id(objs[1]): objs[1]}
    tpart, upart = objwalk.walk_heap(skip=skip)
    listed = ids(tpart.objects)
    del tpart, upart
    assert id(objs[1]) not in listed and id(objs[0]) in listed and id(objs[2]) in listed
