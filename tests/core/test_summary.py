"""pympler_nb.core.summary: rows, type representations, diffs and Pympler's table."""

from __future__ import annotations

import sys
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pympler_nb.core import asizeof, flatsize, muppy, summary
from tests.core._classes import Unhashable


class Widget:
    pass


def naive(objects):
    """The obvious per-object summary, to check the bulk one against: each object's own
    size, ``asizeof.flatsize`` (``sys.getsizeof`` plus an instance's values array, ...;
    a ``__sizeof__`` written in Python is replaced by the nearest C-level one)."""
    table: dict[str, list[int]] = {}
    for o in objects:
        acc = table.setdefault(summary.type_repr(o), [0, 0])
        acc[0] += 1
        acc[1] += asizeof.flatsize(o)
    return table


def as_table(rows):
    return {r[0]: [r[1], r[2]] for r in rows}


# ---------------------------------------------------------------------------
# summarize
# ---------------------------------------------------------------------------

def test_rows_shape_and_values():
    rows = summary.summarize([1.5, 2.5, "ab", [], []])
    assert all(type(r) is list and len(r) == 3 for r in rows)
    assert as_table(rows) == {"float": [2, 48], "str": [1, sys.getsizeof("ab")],
                              "list": [2, 2 * sys.getsizeof([])]}


def test_type_representations():
    def some_function():
        return sys._getframe()

    frame = some_function()
    rows = as_table(summary.summarize([some_function, types, frame, Widget(), {}, Widget]))
    assert "function (some_function)" in rows
    assert "module(types)" in rows
    assert "frame (codename: some_function)" in rows
    assert f"{__name__}.Widget" in rows  # <class '...'> stripped
    assert "dict" in rows and "type" in rows
    assert not any("<class" in k or " at 0x" in k for k in rows)


def test_type_repr_levels():
    assert summary.type_repr({1: 2}) == "dict"
    assert summary.type_repr({1: 2}, verbosity=2) == "dict, len=1"
    assert summary.type_repr({1: 2}, verbosity=9) == "dict, len=1"  # capped at the last level
    assert summary.type_repr(summary.type_repr, verbosity=0) == "function"
    with pytest.raises(ValueError, match="verbosity"):
        summary.type_repr(1, verbosity=-1)


def test_user_representations(monkeypatch):
    monkeypatch.setitem(summary.representations, Widget, [lambda w: "widget (%s)" % w.kind])
    a, b, c = Widget(), Widget(), Widget()
    a.kind, b.kind, c.kind = "small", "small", "big"
    rows = as_table(summary.summarize([a, b, c]))
    assert rows["widget (small)"][0] == 2 and rows["widget (big)"][0] == 1


def test_failing_representation_falls_back_to_type(monkeypatch):
    monkeypatch.setitem(summary.representations, Widget, [lambda w: w.missing_attribute])
    ws = [Widget(), Widget()]
    rows = as_table(summary.summarize(ws))
    assert rows == {f"{__name__}.Widget": [2, sum(map(asizeof.flatsize, ws))]}


def test_bulk_paths_agree_with_naive_on_the_heap():
    objs = muppy.get_objects()
    assert as_table(summary.summarize(objs)) == naive(objs)
    del objs


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["str", "int", "float", "list", "tuple", "dict", "widget", "func"]),
                min_size=0, max_size=400),
       st.integers(min_value=1, max_value=30))
def test_property_bulk_equals_naive(kinds, repeat):
    makers = {
        "str": lambda i: "s" * (i % 7),
        "int": lambda i: 10 ** (i % 40),
        "float": float,
        "list": lambda i: [0] * (i % 5),
        "tuple": lambda i: (i,) * (i % 4),
        "dict": lambda i: {j: j for j in range(i % 6)},
        "widget": lambda i: Widget(),
        "func": lambda i: (lambda: i),
    }
    objs = [makers[k](i) for i, k in enumerate(kinds * repeat)]  # up to 12,000: the peeling path
    assert as_table(summary.summarize(objs)) == naive(objs)


def test_fixed_size_types_really_are_fixed():
    objs = muppy.get_objects()
    sizes: dict[type, set[int]] = {}
    for o in objs:
        t = type(o)
        if flatsize.fixed_size(t):
            sizes.setdefault(t, set()).add(sys.getsizeof(o))
    del objs
    assert sizes, "some fixed-size types exist"
    varying = {t: s for t, s in sizes.items() if len(s) > 1}
    assert not varying


def test_summarize_bad_input():
    with pytest.raises(TypeError, match="list of objects"):
        summary.summarize(42)


def test_summary_keeps_nothing_alive():
    rows = summary.summarize(muppy.get_objects())
    for row in rows:
        assert type(row[0]) is str and type(row[1]) is int and type(row[2]) is int


# ---------------------------------------------------------------------------
# get_diff / sweep
# ---------------------------------------------------------------------------

def test_get_diff_semantics():
    left = [["str", 2, 100], ["int", 1, 28], ["same", 3, 30]]
    right = [["str", 3, 150], ["float", 1, 24], ["same", 3, 30]]
    diff = as_table(summary.get_diff(left, right))
    assert diff == {"str": [1, 50], "float": [1, 24], "int": [-1, -28], "same": [0, 0]}
    assert summary.sweep(summary.get_diff(left, right)) == [["str", 1, 50], ["float", 1, 24],
                                                            ["int", -1, -28]]


ROWS_ST = st.lists(st.tuples(st.sampled_from(["str", "int", "dict", "x"]), st.integers(-3, 3),
                             st.integers(-50, 50)).map(list), max_size=8)


@settings(max_examples=300, deadline=None)
@given(ROWS_ST, ROWS_ST)
def test_changed_rows_is_sweep_of_get_diff(left, right):
    """The tracker's one-pass diff: the rows of ``sweep(get_diff(...))``, in the same order
    (repeated keys added up, rows of no change dropped)."""
    assert summary.changed_rows(left, right) == summary.sweep(summary.get_diff(left, right))
    with pytest.raises(TypeError, match=r"right\[0\] is \['x', 1\]"):
        summary.changed_rows(left, [["x", 1]])


def test_get_diff_does_not_alias_input_rows():
    right = [["float", 1, 24]]
    diff = summary.get_diff([], right)
    diff[0][1] = 99
    assert right == [["float", 1, 24]]


def test_checked_rows_is_the_public_reader():
    rows = [["str", 2, 100], ("int", 1, 28)]
    assert summary.checked_rows(rows) is rows
    assert summary.checked_rows(iter(rows)) == rows
    with pytest.raises(TypeError, match=r"s0\[1\] is \['x', 1\]"):
        summary.checked_rows([["str", 2, 100], ["x", 1]], "s0")
    with pytest.raises(TypeError, match="must be a summary"):
        summary.checked_rows("str 2 100")


def test_get_diff_bad_rows():
    with pytest.raises(TypeError, match=r"right\[0\] is \['x', 1\]"):
        summary.get_diff([], [["x", 1]])


# ---------------------------------------------------------------------------
# format_ / print_
# ---------------------------------------------------------------------------

ROWS = [["str", 3, 2000], ["dict", 1, 64], ["__main__.Foo", 12, 1500000], ["int", -2, -56]]


def test_format_table():
    lines = list(summary.format_(ROWS))
    assert lines == [
        "         types |   # objects |   total size",
        "============== | =========== | ============",
        "  __main__.Foo |          12 |      1.43 MB",
        "           str |           3 |      1.95 KB",
        "          dict |           1 |     64     B",
        "           int |          -2 |    -56     B",
    ]


def test_format_sort_order_limit():
    by_count = [line.split("|")[0].strip() for line in summary.format_(ROWS, sort="#")][2:]
    assert by_count == ["__main__.Foo", "str", "dict", "int"]
    by_type = [line.split("|")[0].strip()
               for line in summary.format_(ROWS, sort="type", order="ascending")][2:]
    assert by_type == sorted(by_type)
    assert len(list(summary.format_(ROWS, limit=2))) == 4
    assert len(list(summary.format_(ROWS, limit=None))) == 6


@pytest.mark.pympler
@pytest.mark.parametrize("sort", ["size", "#"])
@pytest.mark.parametrize("order", ["ascending", "descending"])
def test_format_matches_pympler(sort, order):
    pympler_summary = pytest.importorskip("pympler.summary")
    rows = [["str", 3, 2000], ["dict", 1, 64], ["x.Foo", 12, 1500000], ["int", -2, -56],
            ["bytes", 40, 1023], ["function (f)", 7, 1025]]
    ours = list(summary.format_(rows, limit=5, sort=sort, order=order))
    theirs = list(pympler_summary.format_(rows, limit=5, sort=sort, order=order))
    assert ours == theirs


@pytest.mark.pympler
def test_summarize_matches_pympler_rows():
    pympler_summary = pytest.importorskip("pympler.summary")
    objs = [1.5, "abc", [], {}, (1, 2), Widget(), Widget, types, test_format_table]
    ours, theirs = as_table(summary.summarize(objs)), as_table(pympler_summary.summarize(objs))
    # an instance's own size includes its values array (README: Differences from Pympler)
    widget = f"{__name__}.Widget"
    assert ours.pop(widget) == [1, asizeof.flatsize(objs[5])]
    assert theirs.pop(widget) == [1, sys.getsizeof(objs[5])]
    assert ours == theirs


def test_bad_sort_and_order_fail_at_once():
    with pytest.raises(ValueError, match="unknown sort key 'sz': use one of 'type', '#', 'size'"):
        summary.format_(ROWS, sort="sz")
    with pytest.raises(ValueError, match="unknown order 'down': use 'ascending' or 'descending'"):
        summary.format_(ROWS, order="down")
    with pytest.raises(ValueError, match="unknown sort key"):
        summary.print_(ROWS, sort="count")


def test_print_(capsys):
    summary.print_(ROWS, limit=1)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and "__main__.Foo" in out[2]


def test_classes_that_cannot_be_hashed():
    with pytest.raises(TypeError):
        hash(Unhashable)
    few = [Unhashable() for _ in range(3)]
    many = [Unhashable() for _ in range(20_000)]  # the bulk (peeling) path too
    for objs in (few, many, few + [1.5, "x"] * 5000):
        assert as_table(summary.summarize(objs)) == naive(objs)
    heap = as_table(summary.summarize(muppy.get_objects()))
    assert heap[f"{Unhashable.__module__}.Unhashable"][0] >= 20_003
    assert summary.type_repr(few[0]) == f"{Unhashable.__module__}.Unhashable"


class LyingEqMeta(type):
    """A hashable metaclass whose ``==`` says every class is equal to its classes."""

    def __eq__(cls, other):
        return True

    __hash__ = type.__hash__


class Liar(metaclass=LyingEqMeta):
    pass


def test_a_metaclass_eq_that_lies_does_not_change_counts():
    # counting a frequent type with list.count would compare with ==: floats would
    # count as Liar instances
    objs = [Liar() for _ in range(12_000)] + [float(i) for i in range(12_000)] + ["x"] * 300
    table = as_table(summary.summarize(objs))
    assert table == naive(objs)
    assert table[f"{__name__}.Liar"][0] == 12_000 and table["float"][0] == 12_000


def test_pympler_internal_aliases():
    assert summary._repr is summary.type_repr and summary._sweep is summary.sweep


def test_listing_from_get_objects_is_summarized_from_the_walk_and_safely():
    objs = muppy.get_objects()
    assert isinstance(objs, list) and objs.parts() is not None
    assert as_table(summary.summarize(objs)) == naive(objs)
    for mutate in (lambda o: o.__setitem__(0, 1.5), lambda o: o.append(2.5),
                   lambda o: o.pop(), lambda o: o.extend([1.5]), lambda o: o.sort(key=id)):
        fresh = muppy.get_objects()
        mutate(fresh)
        assert fresh.parts() is None, "any change drops what the walk remembered"
        assert as_table(summary.summarize(fresh)) == naive(fresh)
        del fresh
    del objs
