"""ReferenceGraph (Pympler's refgraph API), the graph model and bounded walks."""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import types
from collections import namedtuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pympler_nb.core.asizeof import flatsize
from pympler_nb.core.refgraph import (
    GraphModel,
    GraphvizNotFoundError,
    MetaObject,
    ReferenceGraph,
    backrefs_graph,
    refs_graph,
)


class Node:
    def __init__(self, nxt=None):
        self.next = nxt


class Slotted:
    __slots__ = ("left", "right")

    def __init__(self, left=None, right=None):
        self.left = left
        self.right = right


class L(list):
    """A list that can be weakly referenced."""


class BadRepr:
    def __repr__(self):
        raise RuntimeError("no repr for you")


Pair = namedtuple("Pair", "first second")

HOSTILE_LABELS = [
    'say "hi"', "back\\slash", "trailing\\", '\\"', "<b>html?</b>", "<", ">", "{x}",
    "new\nline", "tab\t", "nul\x00byte", "bell\x07", "é ✓ 中文 🚀", "lone \ud800 surrogate",
    "a;b=c", "-> edge", "'single'", "",
]


class Labelled:
    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


# ---------------------------------------------------------------------------
# edges, labels, metadata
# ---------------------------------------------------------------------------


def test_edges_between_objects_with_python_labels():
    a = [1]
    b = {"a": a}
    a.append(b)
    g = ReferenceGraph([a, b])
    assert {(e.src, e.dst, e.label) for e in g.edges} == {(id(a), id(b), "[1]"), (id(b), id(a), "['a']")}
    assert g.count == 2
    assert g.num_in_cycles == "N/A"


def test_attribute_slot_and_namedtuple_labels():
    tail = Node()
    head = Node(tail)
    s = Slotted(head, tail)
    p = Pair(head, s)
    g = ReferenceGraph([head, tail, s, p])
    labels = {(e.src, e.dst): e.label for e in g.edges}
    assert labels[(id(head), id(tail))] == ".next"
    assert labels[(id(s), id(head))] == ".left"
    assert labels[(id(s), id(tail))] == ".right"
    assert labels[(id(p), id(head))] == ".first"
    assert labels[(id(p), id(s))] == ".second"


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="3.13 keeps inline values even after __dict__")
def test_labelling_does_not_materialize_instance_dicts():
    tail = Node()
    head = Node(tail)
    assert dict not in {type(r) for r in gc.get_referents(head)}
    ReferenceGraph([head, tail])
    refs_graph(head, max_depth=2)
    backrefs_graph(tail, max_depth=1)
    assert dict not in {type(r) for r in gc.get_referents(head)}, "__dict__ was created"


def test_materialized_dict_edge_is_labelled():
    tail = Node()
    head = Node(tail)
    d = head.__dict__
    g = ReferenceGraph([head, d, tail])
    labels = {(e.src, e.dst): e.label for e in g.edges}
    if sys.version_info < (3, 13):  # the instance now refers to its dict, the dict to the value
        assert labels[(id(head), id(d))] == ".__dict__"
        assert labels[(id(d), id(tail))] == "['next']"
    else:  # 3.13: the values stay inline; the dict does not own them
        assert labels[(id(head), id(tail))] == ".next"


def test_metadata_sizes_types_reprs():
    objs = [[1, 2, 3], {"k": "v"}, "x" * 300, BadRepr(), Node()]
    g = ReferenceGraph(objs)
    assert [m.id for m in g.metadata] == [id(o) for o in objs]
    assert [m.type for m in g.metadata] == ["list", "dict", "str", "BadRepr", "Node"]
    assert [m.size for m in g.metadata] == [flatsize(o) for o in objs]
    assert g.total_size == sum(flatsize(o) for o in objs)
    assert all(len(m.str) <= 128 for m in g.metadata)
    assert "repr failed" in g.metadata[3].str
    assert all(isinstance(m, MetaObject) for m in g.metadata)
    with pytest.raises(AttributeError):
        g.metadata[0].size = 1


def test_duplicates_by_identity_are_one_node():
    x = [1]
    g = ReferenceGraph([x, x, x])
    assert len(g.metadata) == 1
    assert g.count == 3  # Pympler: count is the number of objects given


# ---------------------------------------------------------------------------
# cycles: strongly connected components
# ---------------------------------------------------------------------------


def test_self_reference_is_a_cycle():
    x = []
    x.append(x)
    g = ReferenceGraph([x])
    assert {(e.src, e.dst, e.label) for e in g.edges} == {(id(x), id(x), "[0]")}
    assert g.metadata[0].cycle
    assert g.reduce_to_cycles().num_in_cycles == 1


def test_reduce_keeps_only_objects_on_cycles():
    a, b, c = L(), L(), L()
    a.append(b)
    b.append(c)
    c.append(b)  # b <-> c is a cycle; a only leads into it
    lone = L()
    g = ReferenceGraph([a, b, c, lone])
    reduced = g.reduce_to_cycles()
    assert {id(o) for o in reduced.objects} == {id(b), id(c)}
    assert g.num_in_cycles == 2 and reduced.num_in_cycles == 2
    assert all(m.cycle for m in reduced.metadata)
    assert g.reduce_to_cycles() is reduced  # cached
    g2 = ReferenceGraph([a, b, c, lone], reduce=True)
    assert g2.num_in_cycles == 2 and g2.count == 4
    assert {m.id for m in g2.metadata} == {id(b), id(c)}


def test_reduce_without_cycles_returns_none():
    a = L([L()])
    g = ReferenceGraph([a, a[0]])
    assert g.reduce_to_cycles() is None
    assert g.num_in_cycles == 0


def test_long_chain_and_big_cycle_without_recursion():
    n = 100_000
    nodes = [L() for _ in range(n)]
    for i in range(n - 1):
        nodes[i].append(nodes[i + 1])
    nodes[-1].append(nodes[0])  # one cycle through all of them
    g = ReferenceGraph(nodes, reduce=True)
    assert g.num_in_cycles == n
    assert len(g.edges) == n
    for x in nodes:
        x.clear()


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                                             max_size=3 * n))))
def test_edges_and_cycles_match_brute_force(spec):
    n, pairs = spec
    objs = [L() for _ in range(n)]
    for i, j in pairs:
        objs[i].append(objs[j])
    g = ReferenceGraph(objs)
    expected = {(id(objs[i]), id(objs[j])) for i, j in pairs}
    assert {(e.src, e.dst) for e in g.edges} == expected
    succ = {i: {j for a, j in pairs if a == i} for i in range(n)}

    def reaches(a, b):
        seen, todo = set(), list(succ[a])
        while todo:
            v = todo.pop()
            if v == b:
                return True
            if v not in seen:
                seen.add(v)
                todo.extend(succ[v])
        return False

    on_cycle = {id(objs[i]) for i in range(n) if reaches(i, i)}
    assert {m.id for m in g.metadata if m.cycle} == on_cycle
    for x in objs:
        x.clear()


# ---------------------------------------------------------------------------
# split
# ---------------------------------------------------------------------------


def test_split_and_sort():
    a = L([L(), L()])
    b = L([L()])
    c = L()
    objs = [c, b, b[0], a, a[0], a[1]]
    g = ReferenceGraph(objs)
    subs = list(g.split())
    assert [s.index for s in subs] == [0, 1, 2]
    assert sorted(len(s.metadata) for s in subs) == [1, 2, 3]
    for s in subs:
        assert s.count == len(s.metadata)
        assert s.total_size == sum(m.size for m in s.metadata)
        assert {e.src for e in s.edges} <= {m.id for m in s.metadata}
        assert all(m.group == s.index for m in s.metadata)
    ordered = g.split_and_sort()
    assert [len(s.metadata) for s in ordered] == [3, 2, 1]
    assert [s.index for s in ordered] == [0, 1, 2]
    assert {m.id for m in ordered[0].metadata} == {id(a), id(a[0]), id(a[1])}
    assert len(g.metadata) == 6  # the original is untouched


# ---------------------------------------------------------------------------
# DOT: write_graph, render
# ---------------------------------------------------------------------------


def _labels_in_dot(text):
    return re.findall(r'label="((?:[^"\\]|\\.)*)"', text)


def test_write_graph_hostile_labels(tmp_path):
    pytest.importorskip("graphviz")
    objs = [Labelled(t) for t in HOSTILE_LABELS]
    holder = {t: o for t, o in zip(HOSTILE_LABELS, objs)}
    g = ReferenceGraph([holder, *objs])
    path = tmp_path / "g.dot"
    g.write_graph(path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("digraph")
    labels = _labels_in_dot(text)
    for ch in "\x00\x07\t":
        assert not any(ch in label for label in labels), repr(ch)
    # every label is one quoted DOT string: the quotes inside are escaped
    assert len(labels) == len(objs) + 1 + len(objs)
    assert "é ✓ 中文 🚀" in text


@pytest.mark.needs_dot
def test_hostile_labels_are_valid_dot():
    pytest.importorskip("graphviz")
    objs = [Labelled(t) for t in HOSTILE_LABELS]
    holder = {t: o for t, o in zip(HOSTILE_LABELS, objs)}
    src = ReferenceGraph([holder, *objs])._get_graphviz_data()
    out = subprocess.run(["dot", "-Tsvg"], input=src.encode("utf-8"), capture_output=True)
    assert out.returncode == 0, out.stderr.decode()
    svg = out.stdout.decode("utf-8")
    assert "&quot;hi&quot;" in svg or '"hi"' in svg
    assert "中文" in svg


@pytest.mark.needs_dot
@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
def test_any_repr_gives_valid_dot(text):
    pytest.importorskip("graphviz")
    obj = Labelled(text)
    src = ReferenceGraph([{text: obj}, obj])._get_graphviz_data()
    out = subprocess.run(["dot", "-Tplain"], input=src.encode("utf-8"), capture_output=True)
    assert out.returncode == 0, (text, out.stderr.decode())


@pytest.mark.needs_dot
@pytest.mark.parametrize("fmt", ["ps", "svg"])
def test_render(tmp_path, fmt):
    pytest.importorskip("graphviz")
    a = L()
    a.append(a)
    g = ReferenceGraph([a])
    out = tmp_path / f"g.{fmt}"
    assert g.render(str(out), format=fmt) is True
    assert out.stat().st_size > 0
    out2 = tmp_path / f"u.{fmt}"
    assert g.render(out2, format=fmt, unflatten=True) is True
    assert out2.stat().st_size > 0


@pytest.mark.needs_dot
def test_render_bad_format_fails_softly(tmp_path):
    pytest.importorskip("graphviz")
    g = ReferenceGraph([L()])
    assert g.render(tmp_path / "x", format="no-such-format") is False


def test_render_empty_graph_is_false(tmp_path):
    assert ReferenceGraph([]).render(tmp_path / "x.ps") is False


def test_render_without_graphviz_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot anywhere
    g = ReferenceGraph([L()])
    with pytest.raises(GraphvizNotFoundError) as info:
        g.render(tmp_path / "x.ps")
    assert isinstance(info.value, OSError)
    msg = str(info.value)
    assert "'dot'" in msg and "apt-get install graphviz" in msg and "notebook" in msg
    with pytest.raises(GraphvizNotFoundError, match="unflatten|dot"):
        g.render(tmp_path / "x.ps", unflatten=True)
    # DOT text still works without Graphviz (it needs the graphviz Python package only)
    pytest.importorskip("graphviz")
    g.write_graph(tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def test_render_rejects_option_injection(tmp_path):
    g = ReferenceGraph([L()])
    with pytest.raises(ValueError, match="format must be"):
        g.render(tmp_path / "x", format="svg -o /etc/passwd")


# ---------------------------------------------------------------------------
# bounded walks
# ---------------------------------------------------------------------------


def test_refs_graph_depth_and_labels():
    tail = Node()
    head = Node(Node(tail))
    g = refs_graph(head, max_depth=3, filter=lambda o: isinstance(o, Node))
    assert isinstance(g, GraphModel) and g.direction == "refs"
    assert [n.id for n in g.nodes] == [id(head), id(head.next), id(tail)]
    assert [n.depth for n in g.nodes] == [0, 1, 2]
    assert {e.label for e in g.edges} == {".next"}
    assert g.roots == {id(head)}
    g1 = refs_graph(head, max_depth=1, filter=lambda o: isinstance(o, Node))
    assert len(g1.nodes) == 2 and g1.truncated


def test_fanout_cap_adds_more_node():
    big = L(L() for _ in range(100_000))
    g = refs_graph(big, max_depth=1, max_fanout=10, filter=lambda o: not isinstance(o, type))
    objects = [n for n in g.nodes if n.kind == "object"]
    more = [n for n in g.nodes if n.kind == "more"]
    assert len(objects) == 11
    assert len(more) == 1 and more[0].count == 100_000 - 10 and more[0].repr == "+99990 more"
    assert any(e.src == id(big) and e.dst == more[0].id for e in g.edges)
    assert g.truncated


def test_more_node_in_dot():
    pytest.importorskip("graphviz")
    g = refs_graph(L(L() for _ in range(100)), max_depth=1, max_fanout=10,
                   filter=lambda o: not isinstance(o, type))
    dot = g.to_dot()
    assert "+90 more" in dot and "style=dashed" in dot


def test_max_nodes_cap():
    big = L(L() for _ in range(1000))
    g = refs_graph(big, max_depth=1, max_nodes=50, max_fanout=None)
    assert len([n for n in g.nodes if n.kind == "object"]) == 50
    assert g.truncated


def test_highlight_and_filter_and_errors():
    items = L([L(), "text", L()])
    g = refs_graph(items, max_depth=1, highlight=lambda o: isinstance(o, str),
                   filter=lambda o: not isinstance(o, type))
    by_id = {n.id: n for n in g.nodes}
    assert by_id[id(items[1])].highlight and not by_id[id(items[0])].highlight
    assert id(L) not in by_id
    with pytest.raises(ValueError, match="filter callable"):
        refs_graph(items, filter=lambda o: 1 / 0)
    with pytest.raises(ValueError, match="max_depth must be an int"):
        refs_graph(items, max_depth=-1)
    with pytest.raises(ValueError, match="at least one object"):
        refs_graph()


def test_modules_are_not_expanded():
    g = refs_graph({"m": types}, max_depth=5, max_fanout=None, max_nodes=None)
    module_nodes = [n for n in g.nodes if n.type == "module"]
    assert module_nodes
    assert not any(e.src == module_nodes[0].id for e in g.edges)


class Doc:
    """A document tree: every instance leads to this class, its methods and their globals."""

    def __init__(self, name, parent=None):
        self.name = name
        self.children = []
        if parent is not None:
            parent.children.append(self)

    def walk(self):
        return [self] + [d for c in self.children for d in c.walk()]


def _doc_tree():
    root = Doc("root")
    a = Doc("a", root)
    Doc("b", root)
    Doc("c", a)
    return root


def test_classes_are_leaves_by_default():
    root = _doc_tree()
    g = refs_graph(root, max_depth=5, max_fanout=None, max_nodes=None)
    types_ = [n.type for n in g.nodes]
    # 4 instances, their 4 `children` lists, 4 names and the class, nothing of the class's
    assert sorted(types_) == sorted(["Doc"] * 4 + ["list"] * 4 + ["str"] * 4 + ["type"])
    cls = [n for n in g.nodes if n.type == "type"]
    assert [n.id for n in cls] == [id(Doc)]
    assert not any(e.src == id(Doc) for e in g.edges)
    assert {e.label for e in g.edges if e.dst == id(Doc)} == {".__class__"}
    entered = refs_graph(root, max_depth=5, max_fanout=None, max_nodes=None, classes=True)
    entered_types = {n.type for n in entered.nodes}
    assert {"function", "getset_descriptor", "tuple"} <= entered_types  # methods, __dict__, __mro__
    assert any(e.src == id(Doc) for e in entered.edges)
    assert len(entered.nodes) > len(g.nodes)


def test_start_objects_are_entered_even_classes_and_modules():
    g = refs_graph(Doc, max_depth=1)
    assert any(e.src == id(Doc) for e in g.edges)
    mod = types.ModuleType("rg_probe_start")
    mod.value = L([1])
    g = refs_graph(mod, max_depth=2, roots=False)
    assert id(mod.value) in g


def test_root_containers_are_named_leaves():
    name = "rg_probe_roots"
    mod = types.ModuleType(name)
    sys.modules[name] = mod
    try:
        exec("def f():\n    return 1\nholder = [f]", vars(mod))  # a module's own code
        g = refs_graph(mod.holder, max_depth=4, max_fanout=None)
        globs = g.node(id(vars(mod)))
        assert globs.repr == f"globals of {name}" and globs.type == "dict"
        assert not any(e.src == id(vars(mod)) for e in g.edges)
        builtins_dict = vars(sys.modules["builtins"])
        assert not any(e.src == id(builtins_dict) for e in g.edges)
        raw = refs_graph(mod.holder, max_depth=4, max_fanout=None, roots=False)
        assert any(e.src == id(vars(mod)) for e in raw.edges)
        assert raw.node(id(vars(mod))).repr != f"globals of {name}"
    finally:
        del sys.modules[name]
        vars(mod).clear()


def test_backrefs_stop_at_roots_named_as_why_alive():
    name = "rg_probe_back"
    mod = types.ModuleType(name)
    sys.modules[name] = mod
    try:
        target = L()
        mod.holder = [target]
        mod.direct = target
        g = backrefs_graph(target, max_depth=6, max_fanout=None)
        globs = g.node(id(vars(mod)))
        assert globs.repr == f"globals of {name}"
        # nothing above the root: not the module, not the functions using its globals
        assert not any(e.dst == id(vars(mod)) for e in g.edges)
        assert id(mod) not in g
        assert {n.type for n in g.nodes} == {"L", "list", "dict"}
        assert {(e.src, e.dst, e.label) for e in g.edges} == {
            (id(mod.holder), id(target), "[0]"), (id(vars(mod)), id(target), "['direct']"),
            (id(vars(mod)), id(mod.holder), "['holder']")}
        labels = {"extra": "locals of the calling function"}
        d = {"t": target}
        g = backrefs_graph(target, max_depth=3, extra_roots={id(d): labels["extra"]})
        assert g.node(id(d)).repr == labels["extra"]
        assert not any(e.dst == id(d) for e in g.edges)
    finally:
        del sys.modules[name]
        vars(mod).clear()


def test_backrefs_find_untracked_holders():
    payload = bytes(bytearray(300))  # not gc-tracked, and neither is a dict holding only it
    holder = {"k": payload}
    pair = (7, payload)
    store = L([holder, pair])  # (the scan finds untracked containers held by tracked ones)
    gc.collect()  # lets the collector untrack the tuple too
    assert not gc.is_tracked(holder) and not gc.is_tracked(pair)
    g = backrefs_graph(payload, max_depth=2)
    assert {id(holder), id(pair), id(store)} <= {n.id for n in g.nodes}
    labels = {(e.src, e.dst): e.label for e in g.edges}
    assert labels[(id(holder), id(payload))] == "['k']" and labels[(id(pair), id(payload))] == "[1]"
    assert labels[(id(store), id(holder))] == "[0]"


def test_cycle_flag_sees_only_the_drawn_graph():
    a, b, c = L(), L(), L()
    a.append(b)
    b.append(c)
    c.append(a)
    shallow = refs_graph(a, max_depth=2, filter=lambda o: isinstance(o, L))
    assert not any(n.cycle for n in shallow.nodes)  # closes at depth 3: not drawn, not flagged
    deep = refs_graph(a, max_depth=3, filter=lambda o: isinstance(o, L))
    assert all(n.cycle for n in deep.nodes)
    for x in (a, b, c):
        x.clear()


def test_million_deep_linked_list_walk_is_bounded():
    head = None
    for _ in range(1_000_000):
        head = Slotted(head)
    g = refs_graph(head, max_depth=None, max_nodes=2000, filter=lambda o: isinstance(o, Slotted))
    assert len([n for n in g.nodes if n.kind == "object"]) == 2000 and g.truncated
    assert [n.kind for n in g.nodes].count("more") == 1
    # unwind without recursion in the deallocator
    while head is not None:
        head = head.left


def test_backrefs_graph_finds_holders_and_hides_the_walker():
    target = L()
    holder = {"t": target}
    other = L([target])
    g = backrefs_graph(target, max_depth=1)
    assert g.direction == "backrefs"
    ids = {n.id for n in g.nodes}
    assert {id(holder), id(other)} <= ids
    labels = {(e.src, e.dst): e.label for e in g.edges}
    assert labels[(id(holder), id(target))] == "['t']"
    assert labels[(id(other), id(target))] == "[0]"
    # nothing but the test's own holders refers to the target: no walker lists or tuples
    assert ids - {id(target)} == {id(holder), id(other)}


def test_backrefs_extra_ignore_and_fanout():
    target = L()
    holders = []
    for _ in range(40):  # (a comprehension would put `target` in a closure cell)
        holders.append(L([target]))
    g = backrefs_graph(target, max_depth=1, max_fanout=5, extra_ignore=[id(holders)])
    assert len([n for n in g.nodes if n.kind == "object"]) == 6
    assert [n.count for n in g.nodes if n.kind == "more"] == [35]


def test_graph_model_is_immutable_and_holds_no_objects():
    import weakref

    x = L([L()])
    probe = weakref.ref(x)
    g = refs_graph(x, max_depth=2)
    rg = ReferenceGraph([x, x[0]])
    model = rg.model
    del rg, x
    gc.collect()
    assert probe() is None
    with pytest.raises(AttributeError):
        g.nodes = ()
    with pytest.raises(KeyError, match="no node with id"):
        model.node(12345)


# ---------------------------------------------------------------------------
# against Pympler 1.1
# ---------------------------------------------------------------------------


@pytest.mark.pympler
def test_same_edges_and_cycles_as_pympler():
    refgraph = pytest.importorskip("pympler.refgraph")
    a, b, c = L(), L(), L()
    d = {"x": a}
    a.append(b)
    b.append(c)
    c.append(a)
    objs = [a, b, c, d]
    ours = ReferenceGraph(objs)
    theirs = refgraph.ReferenceGraph(objs)
    assert {(e.src, e.dst) for e in ours.edges} == {(e.src, e.dst) for e in theirs.edges}
    assert [m.id for m in ours.metadata] == [m.id for m in theirs.metadata]
    assert [m.type for m in ours.metadata] == [m.type for m in theirs.metadata]
    # a pure cycle: both count the same objects; d only leads into it (we drop it)
    assert ReferenceGraph([a, b, c], reduce=True).num_in_cycles == \
        refgraph.ReferenceGraph([a, b, c], reduce=True).num_in_cycles == 3
    assert ReferenceGraph(objs, reduce=True).num_in_cycles == 3
    assert refgraph.ReferenceGraph(objs, reduce=True).num_in_cycles == 4
    for x in (a, b, c):
        x.clear()


def test_core_refgraph_imports_without_graphviz():
    code = ("import sys; sys.modules['graphviz'] = None\n"
            "from pympler_nb.core.refgraph import ReferenceGraph\n"
            "g = ReferenceGraph([[1]]); print(len(g.metadata))\n"
            "try:\n    g.write_graph('/dev/null')\n"
            "except ImportError as e:\n    print('pip install graphviz' in str(e))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert out.stdout.split() == ["1", "True"], out.stderr
