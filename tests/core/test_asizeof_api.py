"""Pympler-compatible API of pympler_nb.core.asizeof: functions, options, Asized, Asizer."""

import gc
import io
import sys
import tracemalloc
import types
import weakref
from dataclasses import dataclass

import pytest

from pympler_nb.core import _layout
from pympler_nb.core import asizeof as A
from pympler_nb.core.asizeof import (
    Asized,
    Asizer,
    asized,
    asizeof,
    asizesof,
    basicsize,
    flatsize,
    itemsize,
    leng,
    named_refs,
    refs,
)

INT1 = flatsize(10**6)  # a one-digit int as allocated (32 on 64-bit)


class Plain:
    def __init__(self, a, b):
        self.a = a
        self.b = b


class Slotted:
    __slots__ = ("p", "q")

    def __init__(self, p, q):
        self.p = p
        self.q = q


def dict_is_materialized(obj):
    """Read the managed-dict pointer without touching obj.__dict__."""
    ptr = _layout._managed_dict_ptr(obj)
    return bool(ptr) and not (sys.version_info[:2] == (3, 12) and ptr & 1)


# -- functions -------------------------------------------------------------------
def test_asizeof_no_objects_is_zero():
    assert asizeof() == 0
    assert asizesof() == ()
    assert asized() == ()


def test_shared_objects_counted_once():
    x = [1001, 1002, 1003]
    assert asizeof(x, x) == asizeof(x)
    assert asizeof([x, x]) == flatsize([x, x]) + asizeof(x)


def test_asizesof_partitions_and_repeats():
    x = [10**6, 10**6 + 1, 10**6 + 2]
    y = [x]
    sy, sx = asizesof(y, x)
    assert sy == flatsize(y)  # the reference to the other given object is not followed
    assert sx == asizeof(x)
    assert sy + sx == asizeof(y, x)
    assert asizesof(x, x) == (asizeof(x), asizeof(x))


def test_asized_shapes():
    assert isinstance(asized([1]), Asized)
    two = asized([1], [2])
    assert isinstance(two, tuple) and len(two) == 2
    assert all(isinstance(a, Asized) for a in two)


def test_flat_pieces():
    lst = [1, 2, 3]
    assert flatsize(lst) == sys.getsizeof(lst)
    assert basicsize(lst) == list.__basicsize__ + _layout.GC_HEAD
    assert itemsize(lst) == 8
    assert leng(lst) >= 3
    assert leng(10**20) == 3  # 30-bit digits
    assert leng("abc") == 4
    assert flatsize(1.5) == sys.getsizeof(1.5)
    assert flatsize(1.5, align=16) == 32


def test_flatsize_counts_hidden_instance_values():
    p = Plain(1, 2)
    assert flatsize(p) > sys.getsizeof(p)  # the values array / inline values
    assert not dict_is_materialized(p)


def test_refs_and_named_refs():
    d = {"k": [1], 2: "v"}
    rs = refs(d)
    assert any(r is d["k"] for r in rs) and "k" in rs and 2 in rs
    p = Plain([1], "x")
    names = dict(named_refs(p))
    assert names["a"] is p.a and names["b"] is p.b and names["__class__"] is Plain
    assert not dict_is_materialized(p)
    s = Slotted(1.5, (1, 2))
    snames = dict(named_refs(s))
    assert snames["p"] == 1.5 and snames["q"] == (1, 2)


def test_refs_of_an_object_given_directly_are_what_sizing_it_follows():
    """A class or module given directly is sized (issue 17 item 3), so its referents are
    listed: the module's namespace, the class's ``__dict__`` and ``__mro__``."""
    assert any(r is sys.__dict__ for r in refs(sys))
    assert any(r is Plain.__mro__ for r in refs(Plain))
    assert refs(None) == []


# -- Asized --------------------------------------------------------------------------
def test_asized_dict_names():
    d = {"a": [1000], 2: "b"}
    t = asized(d, detail=2)
    names = [r.name for r in t.refs]
    assert "[K] a" in names and "[V] a: [1000]" in names
    assert "[K] 2" in names and "[V] 2: 'b'" in names
    v = t.get("[V] a: [1000]")
    assert v.size == flatsize(d["a"]) + asizeof(1000) and v.refs[0].name == "1000"
    # cached small ints, 1-char strings, '' and () are interpreter statics: 0 as referents
    assert asizeof([1, 2, "a", ""]) == flatsize([1, 2, "a", ""])
    assert t.size == asizeof(d)
    assert t.flat == flatsize(d)
    assert t.get("nope") is None and t.get("nope", 5) == 5


def test_asized_instance_virtual_dict():
    p = Plain([10**6, 10**6 + 1], "xy")
    assert {r.name for r in asized(Plain(None, 1.5), detail=2).get("__dict__").refs} >= {"[V] a: None", "[K] a"}
    t = asized(p, detail=3)
    assert t.size == asizeof(p)
    dnode = t.get("__dict__")
    assert dnode is not None
    assert {r.name for r in dnode.refs} >= {"[K] a", "[K] b", "[V] a: [1000000, 1000001]", "[V] b: 'xy'"}
    assert t.get("__class__").size == 0
    assert t.flat + dnode.flat == flatsize(p)
    assert not dict_is_materialized(p)  # never created to show it


def test_asized_materialized_dict():
    p = Plain([1], "x")
    p.__dict__  # noqa: B018 - materialize
    t = asized(p, detail=2)
    assert t.get("__dict__") is not None
    assert t.size == asizeof(p)


def test_asized_slots_and_sequences():
    s = Slotted(1.5, (1, 2))
    t = asized(s, detail=2)
    assert {r.name for r in t.refs} >= {"p", "q", "__class__"}
    lst = asized([1, "x", (2,)], detail=1)
    # largest first; ties (the static 1 and 'x' count 0) keep the items' order
    assert [r.name for r in lst.refs] == ["(2,)", "1", "'x'"]


def test_asized_str_and_format():
    t = asized({"a": [1]}, detail=2)
    assert str(t).startswith(f"size {t.size}, flat {t.flat}, refs[2], name ")
    text = t.format()
    lines = text.splitlines()
    assert lines[0] == f"{{'a': [1]}} size={t.size} flat={t.flat}"
    assert all(line.startswith("    ") for line in lines[1:])
    assert any(line.startswith("        ") for line in lines)  # grandchildren indented 8
    assert t.format(depth=0) == lines[0]
    assert t.format(format="%(name)s") .splitlines()[0] == "{'a': [1]}"
    sizes = [r.size for r in t.refs]
    by_size = [line.strip() for line in t.format(depth=1).splitlines()[1:]]
    assert len(by_size) == len(sizes)
    with pytest.raises(ValueError, match="order_by"):
        t.format(order_by="colour")


def test_asized_holds_no_reference():
    class Big:
        pass

    obj = Big()
    obj.payload = [1] * 100
    ref = weakref.ref(obj)
    tree = asized(obj, detail=3)
    del obj
    gc.collect()
    assert ref() is None
    assert tree.size > 800


# -- options ---------------------------------------------------------------------------
def test_unknown_options_raise_keyerror():
    with pytest.raises(KeyError, match="bogus"):
        asizeof([1], bogus=1)
    with pytest.raises(KeyError, match="all"):
        asized([1], all=True)
    with pytest.raises(KeyError, match="all"):
        asizesof([1], all=True)


def test_bad_option_values():
    with pytest.raises(ValueError, match="align=3"):
        asizeof([1], align=3)
    with pytest.raises(ValueError, match="limit"):
        asizeof([1], limit=-1)
    with pytest.raises(ValueError, match="detail"):
        asized([1], detail=-2)


def test_align_rounds_each_allocation():
    lst = [1.5]
    # list object (56) and its item array (8) are two allocations; float is one (24)
    assert asizeof(lst, align=16) == 64 + 16 + 32
    assert asizeof(lst, align=0) == asizeof(lst, align=1) == sys.getsizeof(lst) + 24


def test_limit():
    nested = [[[[1.5]]]]
    assert asizeof(nested, limit=0) == flatsize(nested)
    assert asizeof(nested, limit=1) == flatsize(nested) + flatsize(nested[0])
    assert asizeof(nested) == asizeof(nested, limit=10)


def test_code_option_and_functions():
    def factory(x):
        def inner():
            return x

        return inner

    f = factory(10**7)
    base = asizeof(f)
    # the function, its closure tuple, the cell and the int are counted; code is not
    assert base >= flatsize(f) + flatsize(f.__closure__) + flatsize(f.__closure__[0]) + INT1
    assert asizeof(f, code=True) >= base + flatsize(f.__code__)
    assert asizeof([f.__code__]) == flatsize([f.__code__])  # inside a structure: 0
    assert asizeof([f.__code__], code=True) > flatsize([f.__code__])
    assert asizeof(f.__code__) >= flatsize(f.__code__)  # given directly: sized


def test_ignored_kinds_count_zero_as_referents():
    held = [Plain, sys, None, True, len]
    assert asizeof(held) == flatsize(held)
    assert asizeof(len) >= flatsize(len)  # given directly: sized (issue 17 item 3)
    assert asizeof([].append) > 0  # a builtin bound to an object owns it
    # module globals are not followed
    assert asizeof(test_ignored_kinds_count_zero_as_referents) < 2000


def test_frames_option():
    frame = sys._getframe()
    assert asizeof([frame]) == flatsize([frame])
    assert asizeof([frame], frames=True) > flatsize([frame])
    assert asizeof(frame) >= flatsize(frame)  # given directly: sized


def test_all_option_sizes_the_gc_heap():
    total = asizeof(all=True)
    assert total > asizeof(gc.get_objects()[:1000])


# -- Asizer ----------------------------------------------------------------------------
def test_asizer_accumulates():
    x = [10**6, 10**6 + 1]
    z = Asizer()
    first = z.asizeof(x)
    assert first == asizeof(x)
    assert z.asizeof(x) == 0
    assert z.total == first
    assert z.duplicate >= 1
    assert z.sized >= 3 and z.seen >= 3 and z.missed == 0
    z.reset()
    assert z.total == 0 and z.asizeof(x) == first


def test_asizer_exclusions():
    inner = [10**6] * 5
    outer = [inner, 1.5]
    z = Asizer()
    z.exclude_refs(inner)
    assert z.asizeof(outer) == flatsize(outer) + flatsize(1.5)
    z = Asizer()
    z.exclude_objs(inner)
    assert z.asizeof(outer) == flatsize(outer) + flatsize(1.5)
    assert z.asizeof(inner) == 0
    z = Asizer()
    z.exclude_types(float)
    assert z.asizeof(outer) == asizeof(outer) - flatsize(1.5)
    assert len(z.excluded) == 1


def test_asizer_set_and_properties():
    z = Asizer()
    assert z.align == 1 and z.limit is None and z.detail == 0 and z.above == 1024
    z.set(align=8, limit=3, code=True)
    assert z.align == 8 and z.limit == 3 and z.code is True
    with pytest.raises(ValueError):
        z.set(align=6)
    with pytest.raises(KeyError, match="settable"):
        z.set(colour=1)


def test_print_stats_to_stream():
    out = io.StringIO()
    data = [Plain(list(range(300)), "x" * 2000), {"k": b"x" * 5000}]
    total = asizeof(data, stats=3.5, stream=out)
    text = out.getvalue()
    assert f"{total} bytes" in text
    assert "objects sized" in text and "largest objects" in text
    assert "profiles" in text and "class bytes" in text
    assert "types:" in text and "class list:" in text


def test_registry_teaches_a_type():
    class NativeBuffer:
        def __init__(self, n):
            self.nbytes = n

    name = f"{NativeBuffer.__module__}.{NativeBuffer.__qualname__}"
    A.register(name, flat=lambda o, claim: object.__sizeof__(o) + o.nbytes, refs=lambda o: ())
    try:
        assert asizeof(NativeBuffer(10_000)) >= 10_000
        assert name in A.registered()
    finally:
        A.unregister(name)
    assert asizeof(NativeBuffer(10_000)) < 10_000
    with pytest.raises(KeyError, match="no size rule"):
        A.unregister(name)
    with pytest.raises(ValueError, match="type name"):
        A.register("nodots")


def test_adict_sizes_dict_like_classes():
    class Bag:
        def __init__(self):
            self._d = {}

        def items(self):
            return [("k", [1.5] * 100)]

    bag = Bag()
    plain = asizeof(bag)
    assert A.adict(Bag) is True
    try:
        assert asizeof(bag) > plain + 800
    finally:
        A._dictlike_names.discard(A._typename(Bag))
    assert A.adict(1) is False


def test_amapped_validates():
    prev = A.amapped()
    assert prev == pytest.approx(1.0)
    with pytest.raises(ValueError, match="0 to 100"):
        A.amapped(150)


# -- truth-critical layouts ---------------------------------------------------------------
def test_sizing_never_materializes_instance_dicts():
    objs = [Plain(i, str(i)) for i in range(1000)]
    asizeof(objs)
    asized(objs[0], detail=3)
    named_refs(objs[1])
    refs(objs[2])
    assert not any(dict_is_materialized(o) for o in objs)


def test_observer_effect_is_zero():
    objs = [Plain(i + 1000, None) for i in range(100_000)]
    asizeof([Plain(1000, None)])  # first sight of these types: decisions about C types are cached
    gc.collect()
    callbacks = gc.callbacks[:]  # (hypothesis, once imported, records every collection)
    gc.callbacks.clear()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        size = asizeof(objs)
        del size
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        gc.callbacks[:] = callbacks
    assert after - before <= 0, f"sizing left {after - before} bytes behind"


def test_million_node_linked_list_is_sized_fully():
    class Node:
        __slots__ = ("next",)

        def __init__(self, nxt):
            self.next = nxt

    head = None
    for _ in range(1_000_000):
        head = Node(head)
    assert asizeof(head) == 1_000_000 * flatsize(Node(None))
    assert asizeof(head, limit=10) == 11 * flatsize(Node(None))


def test_dataclass_and_namedtuple_are_instances():
    from collections import namedtuple

    @dataclass
    class D:
        x: float
        y: float

    @dataclass(slots=True)
    class DS:
        x: float
        y: float

    Point = namedtuple("Point", "x y")
    # (each new instance of a class may get a smaller values array than the last one:
    # CPython shrinks the shared keys' usable size per instance, so size one instance)
    for obj in (D(1.5, 2.5), DS(1.5, 2.5)):
        assert asizeof(obj) == flatsize(obj) + 2 * 24
    pt = Point(1.5, 2.5)
    # a tuple subclass is allocated by PyType_GenericAlloc with one spare item slot
    assert asizeof(pt) == sys.getsizeof(pt) + 8 + 2 * 24


def test_str_keys_that_gc_skips_are_counted():
    d = {f"key{i}": None for i in range(100)}
    assert asizeof(d) == sys.getsizeof(d) + sum(sys.getsizeof(k) for k in d)


def test_generator_and_method_objects():
    def gen():
        data = [1.5] * 50
        yield data

    g = gen()
    next(g)
    assert asizeof(g) >= sys.getsizeof(g) + sys.getsizeof([1.5] * 50)
    p = Plain([1.5] * 10, None)

    class WithMethod(Plain):
        def m(self):
            return self

    w = WithMethod(1.5, 2.5)
    assert asizeof(w.m) >= sys.getsizeof(w.m) + flatsize(w)
    assert isinstance(w.m, types.MethodType)
    assert asizeof(p) > 0


def test_pandas_index_engine_hash_table_is_counted():
    pd = pytest.importorskip("pandas")
    from benchmarks._truth import ground_truth

    def build():
        idx = pd.Index([f"k{i}" for i in range(50_000)], dtype=object)
        idx.get_loc("k500")  # builds the engine's C hash table
        return idx

    truth = ground_truth(build)
    assert abs(asizeof(truth.obj) - truth.raw) <= 0.02 * truth.raw


def test_memmap_counts_the_amapped_share(tmp_path):
    np = pytest.importorskip("numpy")
    path = tmp_path / "data.bin"
    mm = np.memmap(path, dtype=np.float64, mode="w+", shape=(1_000_000,))
    try:
        one_pct = asizeof(mm)
        assert 0.01 * mm.nbytes <= one_pct < 0.01 * mm.nbytes + 4096
        prev = A.amapped(100)
        try:
            assert asizeof(mm) >= mm.nbytes
        finally:
            A.amapped(prev)
        assert asizeof(mm) == one_pct
    finally:
        mm._mmap.close()


# -- Asizer.session(): the public in-package entry point of one sizing context ------------------
def test_session_sizes_one_after_the_other_as_asizesof():
    shared = [float(i) for i in range(100)]
    objs = [[shared, "x" * 50], {"s": shared}, (1.5, shared)]
    sizer = A.Asizer()
    with sizer.session(others=list(map(id, objs))) as s:
        got = [s.size(o)[0] for o in objs]
    assert got == list(A.asizesof(*objs))
    assert sizer.total == sum(got) == A.asizeof(*objs)
    # flat sizes; an object counted before is 0
    sizer = A.Asizer()
    with sizer.session() as s:
        assert s.size(shared) == (A.asizeof(shared), A.flatsize(shared))
        assert s.size(shared) == (0, 0)


def test_session_bulk_and_trees_match_one_at_a_time():
    class Point:
        def __init__(self, x):
            self.x = [x] * 3

    objs = [Point(float(i)) for i in range(50)]
    objs.append(objs[0].x)  # one of the others: not followed from objs[0], counted in its own row
    one = A.Asizer()
    with one.session(others=list(map(id, objs))) as s:
        each = [s.size(o) for o in objs]
    bulk = A.Asizer()
    with bulk.session(others=list(map(id, objs))) as s:
        assert s.plain_instances(Point) is _layout.has_values(None, Point)
        assert not s.plain_instances(list)
        res = s.size_many(objs)
    assert res is not None  # plain instances and lists: one bulk walk keeps the order
    assert list(zip(res[0], res[1])) == each
    assert bulk.total == one.total
    trees = A.Asizer()
    with trees.session(others=list(map(id, objs))) as s:
        got = [s.tree(o, 1) for o in objs]
    assert [t.size for t in got] == [e[0] for e in each]
    assert got[0].type.endswith("Point") and got[-1].size == A.asizeof(objs[-1]) == each[-1][0]


def test_session_others_not_followed_until_sized_and_closed():
    inner = [1.5] * 100
    outer = [inner]
    sizer = A.Asizer()
    with sizer.session(roots=(outer,), others=[id(inner)]) as s:
        assert s.size(outer)[0] == A.flatsize(outer)  # inner is not followed
    assert sizer.asizeof(inner) == A.asizeof(inner)  # closed: inner is no longer marked
    with pytest.raises(ValueError, match="closed"):
        s.size(outer)


# the modules of the sizing engine itself (asizeof.py is its facade)
_ASIZEOF_ENGINE = ("asizeof", "_asizer", "_asizer_groups", "_asizer_walk", "_asizer_cwalk", "_asizer_trees",
                   "_referents", "_labels", "_asized", "_sizerules", "flatsize")


def test_no_module_drives_asizer_private_names():
    """Issue 16: the Class Tracker and the size tree use Asizer.session() and the public
    methods, never Asizer's private members (the engine's seams)."""
    import pathlib
    import re

    import pympler_nb

    private = re.compile(r"\b(?:\w*sizer|Asizer\([^)]*\))\._[a-z]\w*")  # sizer._walk, Asizer()._begin
    root = pathlib.Path(pympler_nb.__file__).parent
    hits = []
    for path in root.rglob("*.py"):
        if path.parent.name == "core" and path.stem in _ASIZEOF_ENGINE:
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if private.search(line):
                hits.append(f"{path.relative_to(root)}:{no}: {line.strip()}")
    assert not hits, "\n".join(hits)


def test_one_flat_size_implementation_for_every_walk():
    """Issue 16 item 1: asizeof, muppy, summary and heap.discovery size flat objects with
    the functions of core.flatsize (no copies), and they agree on realistic data."""
    import functools
    from collections import defaultdict

    from pympler_nb.core import _sizerules, muppy, summary
    from pympler_nb.core import flatsize as FS
    from pympler_nb.core.heap import discovery

    assert muppy.flat_sizes is summary.flat_sizes is FS.flat_sizes
    assert summary.own_sizes is discovery.own_sizes is FS.own_sizes  # issue 17 item 22
    assert summary.python_sizeof is FS.python_sizeof
    assert summary.fixed_size is FS.fixed_size
    assert _sizerules.c_sizeof is FS.c_sizeof and A._layout_size is FS.layout_size

    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    pa = pytest.importorskip("pyarrow")

    @functools.lru_cache(maxsize=None)
    def cached(n):
        return [n]

    for i in range(20):
        cached(i)
    df = pd.DataFrame({"o": [f"s{i}" for i in range(100)], "c": pd.Categorical(["a", "b"] * 50),
                       "a": pd.array([f"x{i}" for i in range(100)], dtype="string[pyarrow]"),
                       "ad": pd.array(list(range(100)), dtype=pd.ArrowDtype(pa.int64()))})
    objs = [df, df["o"], df["c"], df["a"], df["ad"], df.index, np.array(["a", None], dtype=object),
            cached, Plain(1, 2), Plain(3, 4), Slotted(1, 2), {}, {"a": 1}, 1, 2**80, "abc", (1,), [1, 2],
            b"x" * 100, 1.5]
    by_type = defaultdict(list)
    for o in objs:
        by_type[type(o)].append(o)
    for t, group in by_type.items():  # the heap's bulk sizes are asizeof's flat sizes
        assert list(discovery.group_sizes(t, group)) == [flatsize(o) for o in group], t
    assert muppy.get_size(objs) == sum(FS.flat_sizes(objs)) == sum(map(sys.getsizeof, objs))


def test_type_name_helper_and_no_engine_cycle():
    """Issue 16: one "module.qualname of a type" helper (_format.class_name), read by the
    type's own getters; the third-party rules import the rule registry, never asizeof."""
    import ast
    import pathlib

    from pympler_nb.core import _format, _thirdparty, classtracker

    assert A._typename is _format.class_name
    assert _format.class_name(int) == "int" and _format.class_name(Plain) == f"{__name__}.Plain"
    assert _format.class_name(dict, module=False) == "dict"
    assert _format.type_name(Plain(1, 2), qualified=True, module=True) == f"{__name__}.Plain"

    class Lying(type):
        def __getattribute__(cls, name):
            raise RuntimeError("no")

    assert _format.class_name(Lying("Hidden", (), {})) == f"{__name__}.Hidden"
    assert classtracker.type_name(Lying("Hidden", (), {})) == f"{__name__}.Hidden"

    core = pathlib.Path(_thirdparty.__file__).parent
    engine = {"asizeof", "_asizer", "_asizer_groups", "_asizer_walk", "_asizer_cwalk", "_asizer_trees",
              "_referents", "_labels", "_asized", "_sizerules",
              "flatsize", "_thirdparty", "_format", "_layout"}
    graph = {}
    for name in engine:
        deps = set()
        for node in ast.walk(ast.parse((core / f"{name}.py").read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                deps.update([node.module] if node.module else [a.name for a in node.names])
        graph[name] = deps & engine
    assert "asizeof" not in graph["_thirdparty"]
    order = []  # a topological order exists iff there is no cycle (function-level imports too)
    while graph:
        ready = [n for n, deps in graph.items() if not deps - set(order)]
        assert ready, f"import cycle among {sorted(graph)}"
        order += ready
        for n in ready:
            del graph[n]
