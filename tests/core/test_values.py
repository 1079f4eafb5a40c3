"""The shared value layer: one immutable value base, one int-option check (issue 16)."""

from __future__ import annotations

import ast
import pathlib
import tracemalloc

import pytest

from pympler_nb.core import allocations, asizeof, classtracker, heap, muppy, refbrowser, summary, whyalive
from pympler_nb.core import _graphwalk, _safeio, sizetree
from pympler_nb.core.values import Frozen, check_int

CORE = pathlib.Path(__file__).resolve().parents[2] / "pympler_nb" / "core"


def _empty_snapshot():
    return allocations.Snapshot(tracemalloc.Snapshot((), 1))


# ---------------------------------------------------------------------------
# check_int
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", [0, 1, 7, 2**70])
def test_check_int_returns_good_values(value):
    assert check_int(value, "n") is value


@pytest.mark.parametrize("value, minimum, text", [
    (-1, 0, "n must be an int >= 0, got -1"),
    (0, 1, "n must be an int >= 1, got 0"),
    (True, 0, "n must be an int >= 0, got True"),  # a bool is not a count
    (False, 0, "n must be an int >= 0, got False"),
    ("3", 0, "n must be an int >= 0, got '3'"),
    (2.0, 0, "n must be an int >= 0, got 2.0"),
    (None, 0, "n must be an int >= 0, got None"),  # None only when allowed
])
def test_check_int_names_option_value_and_fix(value, minimum, text):
    with pytest.raises(ValueError) as info:
        check_int(value, "n", minimum)
    assert str(info.value) == text


def test_check_int_none_and_meaning():
    assert check_int(None, "limit", none="no limit") is None
    assert check_int(None, "limit", none="") is None
    with pytest.raises(ValueError, match=r"^limit must be an int >= 0 or None \(no limit\), got -2$"):
        check_int(-2, "limit", none="no limit")
    with pytest.raises(ValueError, match=r"^cap must be an int >= 1 or None, got 0$"):
        check_int(0, "cap", 1, none="")
    with pytest.raises(ValueError, match=r"^frames must be an int >= 1 \(frames kept\), got 0$"):
        check_int(0, "frames", 1, meaning="frames kept")


# every int option of the core goes through check_int: the same message everywhere
@pytest.mark.parametrize("call, text", [
    (lambda: allocations.start(frames=0), "frames must be an int >= 1 (frames stored per traceback), got 0"),
    (lambda: _empty_snapshot().statistics(limit=-1), "limit must be an int >= 0 or None (no limit), got -1"),
    (lambda: whyalive.why_alive([], max_depth=0), "max_depth must be an int >= 1, got 0"),
    (lambda: _graphwalk.walk_graph([[]], max_nodes=0), "max_nodes must be an int >= 1 or None (no limit), got 0"),
    (lambda: refbrowser.RefBrowser([], maxdepth=-1), "maxdepth must be an int >= 0, got -1"),
    (lambda: refbrowser.RefBrowser([], max_children=0), "max_children must be an int >= 1 or None (no cap), got 0"),
    (lambda: asizeof.Asizer(limit=-1), "limit must be an int >= 0 or None (no limit), got -1"),
    (lambda: asizeof.Asizer().size_trees([], top=0), "top must be an int >= 1 or None (every child), got 0"),
    (lambda: sizetree.top_sized([1], detail=True), "detail must be an int >= 0, got True"),
    (lambda: classtracker.ClassTracker().track_object([], resolution_level=-1), "resolution_level must be an int >= 0"),
    (lambda: _safeio.check_max_bytes(-1), "max_bytes must be an int >= 0 (the largest file to read, in bytes), got -1"),
    (lambda: summary.type_repr([], verbosity=-1), "verbosity must be an int >= 0, got -1"),
    (lambda: muppy.get_referents([], level=0), "level must be an int >= 1 (1 = direct referents), got 0"),
    (lambda: heap.row(-1), "row must be an int >= 0, got -1"),
])
def test_core_int_options_share_one_message(call, text):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value).startswith(text)


def test_no_hand_written_int_option_check_left_in_core():
    """``isinstance(x, bool) or not isinstance(x, int) or x < n`` is check_int's job."""
    found = []
    for path in sorted(CORE.rglob("*.py")):
        if path.name == "values.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id == "ValueError":
                text = ast.unparse(node)
                if "must be an int >=" in text or "use an int >=" in text:
                    found.append(f"{path.relative_to(CORE)}:{node.lineno}: {text[:80]}")
    assert not found, "use values.check_int:\n" + "\n".join(found)


# ---------------------------------------------------------------------------
# Frozen
# ---------------------------------------------------------------------------

class _Point(Frozen):
    __slots__ = ("x", "y", "_hidden")

    def __init__(self, x, y):
        self._set(x=x, y=y, _hidden=0)


def test_frozen_refuses_set_and_delete():
    p = _Point(1, 2)
    with pytest.raises(AttributeError, match=r"_Point is immutable \(cannot set 'x'\)"):
        p.x = 3
    with pytest.raises(AttributeError, match=r"_Point is immutable \(cannot delete 'y'\)"):
        del p.y
    with pytest.raises(AttributeError):
        p.other = 1  # no __dict__
    assert (p.x, p.y) == (1, 2)
    assert p._values() == (1, 2)  # public slots only
    assert p._values(("y", "_hidden")) == (2, 0)


def _frozen_results():
    snap = heap.take([[1, 2], "x"])
    tree = snap.dominators()
    return [
        allocations.Stat("f.py", 1, 10, 1, (("f.py", 1),)),
        allocations.StatDiff("f.py", 1, 10, 5, 1, 1, (("f.py", 1),)),
        _empty_snapshot(),
        snap, snap.all, snap.all.by_type(), snap.all.by_type().rows[0], tree,
        tree.node(-1), snap.top_retainers(1)[0], heap.row(0),
        whyalive.why_alive([]),
        _graphwalk.walk_graph([[]]),
    ]


def test_core_value_classes_share_the_base():
    for obj in _frozen_results():
        assert isinstance(obj, Frozen), type(obj)
        name = next(n for n in type(obj).__slots__ if n != "__weakref__")
        with pytest.raises(AttributeError, match="is immutable"):
            setattr(obj, name, None)


def test_records_compare_by_value():
    a = allocations.Stat("f.py", 1, 10, 1, ())
    b = allocations.Stat("f.py", 1, 10, 1, ())
    assert a == b and hash(a) == hash(b) and a != allocations.Stat("f.py", 2, 10, 1, ())
    assert repr(a) == "<Stat f.py:1 size=10 count=1>"
    assert allocations.TracedMemory(1, 2) == (1, 2)  # rows that are tuples stay NamedTuples
