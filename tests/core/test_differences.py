"""The README's "Differences from Pympler" table: one test per row, its docstring quoting
the row (``Area | Pympler | pympler_nb | Why | What to do instead``). Each test shows our
documented behaviour and the documented way to get Pympler's answer; the ``pympler``
tests also show Pympler's side."""

from __future__ import annotations

import inspect
import sys
import types
import weakref

import pytest

from pympler_nb.core import muppy, summary
from pympler_nb.core.asizeof import Asizer, asized, asizeof, flatsize, named_refs, refs


class Foo:
    def __init__(self, data):
        self.data = data


class Chain:
    def __init__(self, nxt):
        self.nxt = nxt


def _dict_exists(obj) -> bool:
    return any(type(r) is dict for r in __import__("gc").get_referents(obj))


def test_align_default():
    """| asizeof `align` | every flat size rounded up to 8 (`align=8`) | exact requested
    bytes (`align=1`); `align=16` rounds each allocation as pymalloc does | true sizes,
    what `tracemalloc` counts | `asizeof(x, align=8)` |"""
    s = "abc"  # 52 bytes requested on 3.11 (one allocation)
    n = sys.getsizeof(s)
    assert n % 8 and asizeof(s) == n
    assert asizeof(s, align=8) == (n + 7) // 8 * 8
    assert asizeof(s, align=16) == (n + 15) // 16 * 16


def test_limit_default():
    """| asizeof `limit` | 100: deeper structures are cut off | `None`: no depth limit (the
    walk never recurses) | a long linked list is sized whole | `asizeof(x, limit=100)` |"""
    head = None
    for _ in range(300):
        head = [head]
    assert asizeof(head) == 300 * flatsize([None])
    assert asizeof(head, limit=100) == 101 * flatsize([None])


def test_functions_are_sized():
    """| asizeof functions | a function, its closure and cells count 0 | sized (their code
    objects only with `code=True`) | defaults, closures and a function's `__dict__` are
    memory it holds | `Asizer().exclude_types(types.FunctionType)` then `.asizeof(x)` |"""
    big = [1.5] * 1000

    def f(x=big):
        return x

    holder = [f]
    assert asizeof(holder) >= flatsize(holder) + flatsize(f) + flatsize(big)
    z = Asizer()
    z.exclude_types(types.FunctionType)
    assert z.asizeof(holder) == flatsize(holder)


def test_python_sizeof_not_trusted():
    """| asizeof `__sizeof__` written in Python | called | not trusted: the nearest C-level
    `__sizeof__` of the class's bases is used | pandas' returns a deep size (its data would
    count twice); Python code could change the object | `sys.getsizeof(obj)` for the
    object's own claim |"""

    class Claims(list):
        calls = 0

        def __sizeof__(self):
            type(self).calls += 1
            return 10**6

    c = Claims()
    assert asizeof(c) == flatsize(c) < 1000
    assert Claims.calls == 0
    assert sys.getsizeof(c) > 10**6


def test_ignored_kinds_given_directly_are_sized():
    """| asizeof of a class, code object, frame, builtin function or `None` given directly
    | 0 | its size, and what it reaches (a module: it and its namespace, as in Pympler) |
    the object asked about is never free; held by other objects they still count 0 |
    `0 if inspect.isclass(x) else asizeof(x)`, or size the structure that holds them |"""
    for obj in (Foo, Foo.__init__.__code__, sys._getframe(), len):
        assert asizeof(obj) >= flatsize(obj) > 0
    assert asizeof(None) > 0
    assert asizeof(sys) > flatsize(sys) + flatsize(sys.__dict__)
    held = [Foo, len, None]
    assert asizeof(held) == flatsize(held)  # as referents: 0
    assert (0 if inspect.isclass(Foo) else asizeof(Foo)) == 0


@pytest.mark.pympler
def test_ignored_kinds_given_directly_pympler_side():
    """Pympler's side of the row above: a class given directly counts 0 there, a module is
    sized with its namespace."""
    pa = pytest.importorskip("pympler.asizeof")
    assert pa.asizeof(Foo) == 0 and asizeof(Foo) > 0
    mod = types.ModuleType("given_module")  # (not sys: Pympler walks it all, pytest's state too)
    mod.data = [2.5] * 100
    assert pa.asizeof(mod) > 0 and asizeof(mod) > 0


def test_weakref_counts_the_reference_only():
    """| asizeof of a weak reference | `asizeof(weakref.ref(x))` adds the live `x` | the
    weak reference only (alive or dead) | a weak reference does not keep `x` alive:
    dropping it frees nothing of `x` | `asizeof(r, r())` |"""
    x = Foo([2.5] * 100)
    r = weakref.ref(x)
    assert asizeof(r) == sys.getsizeof(r)
    assert asizeof(r, r()) == sys.getsizeof(r) + asizeof(x)
    y = Foo(1)
    dead = weakref.ref(y)
    del y
    assert asizeof(dead) == sys.getsizeof(dead)


@pytest.mark.pympler
def test_weakref_pympler_side():
    """Pympler's side of the row above: its size of a live weak reference includes ``x``."""
    pa = pytest.importorskip("pympler.asizeof")
    x = Foo([2.5] * 100)
    r = weakref.ref(x)
    assert pa.asizeof(r) > pa.asizeof(x) > asizeof(r)


def test_named_refs_of_an_instance_without_dict():
    """| `named_refs` of an instance without a `__dict__` object | one `'__dict__'` entry |
    its attributes by name (`'data'`) | reading `obj.__dict__` creates the dict (more
    memory, a different object) | `refs(obj)` (the attributes as one dict) or
    `asized(obj, detail=2).get('__dict__')` |"""
    f = Foo([1.5])
    assert dict(named_refs(f))["data"] is f.data
    assert {"data": f.data} in refs(f)
    node = asized(f, detail=2).get("__dict__")
    assert node is not None and node.get("[V] data: [1.5]") is not None
    assert not _dict_exists(f)


def test_named_refs_only_names_reaching_attributes():
    """| `named_refs` of referents no attribute reaches (an `enumerate`'s iterator, a list
    iterator's list, `zip`/`map` arguments) | names from the type: `'__doc__'` (the type's
    docstring, no referent), `'iteref'`, `'__class__'` | not listed: each listed name is
    the attribute that reaches that referent (`tb_frame`, `tb_next`, `__func__`,
    `__self__`, `co_consts`) | a name must say how to reach the object; a type's
    docstring is not the instance's memory | `refs(obj)` lists every referent |"""
    data = [1.5, 2.5]
    for obj in (enumerate(data), iter(data), zip(data, data), map(len, ["a"])):
        assert named_refs(obj) == []
        assert refs(obj)
    assert any(r is data for r in refs(iter(data)))
    m = Foo(1).__init__
    for name, ref in named_refs(m):
        assert getattr(m, name) is ref
    code = Foo.__init__.__code__
    for name, ref in named_refs(code):
        assert getattr(code, name) == ref


def test_tree_dict_node_of_an_instance_without_dict():
    """| size tree `'__dict__'` node of an instance without a `__dict__` object | the dict's
    size | the values array (inline values) plus the attributes | the dict does not
    exist; `asizeof(obj.__dict__)` would create one |
    `flatsize(obj) - sys.getsizeof(obj)` is the values array |"""
    f = Foo([1.5] * 10)
    node = asized(f, detail=1).get("__dict__")
    values_array = flatsize(f) - sys.getsizeof(f)
    assert node.flat == values_array
    assert node.size == values_array + asizeof(f.data)
    assert not _dict_exists(f)


def test_tree_child_sizes():
    """| size tree child sizes | each object counted once per call, in the first child
    that reaches it | the same: a child's size is `asizeof(child)` alone, less what an
    earlier sibling or an ancestor already counted (shared objects, e.g. one list held
    twice) | the children add up to the parent's size | `asizeof(child)` for a child
    alone |"""
    own = [3.5] * 20
    shared = [2.5] * 50
    root = [[own], [shared], [shared]]
    t = asized(root, detail=1)
    sizes = sorted(r.size for r in t.refs)
    assert max(sizes) == asizeof(root[1])  # reached first: all of it
    assert asizeof(root[0]) in sizes  # shares nothing: as alone
    assert min(sizes) == flatsize(root[2]) < asizeof(root[2])  # its list counted before
    assert t.flat + sum(sizes) == t.size == asizeof(root)


def test_own_size_in_summaries():
    """| own size in summaries and tracker diffs | `sys.getsizeof` (an instance: 48–56 B,
    its attributes' storage counted nowhere) | `asizeof.flatsize`: `sys.getsizeof` plus
    the values array / inline values, split-dict tables, one-digit ints' 32-byte blocks |
    that memory is the object's and no other object's; one own size in every view |
    `sys.getsizeof(o)`; `muppy.get_size(objs)` sums `sys.getsizeof` |"""
    objs = [Foo(float(i)) for i in range(20)]
    row = next(r for r in summary.summarize(objs) if r[0].endswith(".Foo"))
    assert row[2] == sum(map(flatsize, objs)) > sum(map(sys.getsizeof, objs))
    assert muppy.get_size(objs) == sum(map(sys.getsizeof, objs))
    assert muppy.getsizeof(objs[0]) == sys.getsizeof(objs[0])


@pytest.mark.pympler
def test_own_size_in_summaries_pympler_side():
    """Pympler's side of the row above: its summary row is the sum of ``sys.getsizeof``."""
    ps = pytest.importorskip("pympler.summary")
    objs = [Foo(float(i)) for i in range(20)]
    row = next(r for r in ps.summarize(objs) if r[0].endswith(".Foo"))
    assert row[2] == sum(map(sys.getsizeof, objs))
