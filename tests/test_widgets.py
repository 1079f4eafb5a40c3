"""Widgets (issue 6): SizeTree and RefGraph state, the expand protocol, references kept,
display fallbacks, the built bundles, and the front end's own tests under node."""

from __future__ import annotations

import gc
import json
import logging
import os
import pathlib
import random
import re
import shutil
import subprocess
import sys
import weakref

import pytest

from pympler_nb import graphs
from pympler_nb.core import _layout
from pympler_nb.core._format import format_size
from pympler_nb.core.asizeof import asized, asizeof, flatsize, named_refs
from pympler_nb.core.refgraph import ReferenceGraph, refs_graph
from pympler_nb.widgets import (
    AsizedTreeSource,
    BundleMissingError,
    NodeGone,
    NodeInfo,
    ObjectTreeSource,
    RefGraph,
    SizeTree,
    TreeSource,
    _static,
)
from tests._widgets import ask, expand

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUNDLES = ("size_tree.js", "ref_graph.js", "variables.js", "meter.js", "dashboard.js")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module", autouse=True)
def built_bundles():
    """The bundles must exist; build them once if node_modules is there (else fail with the fix)."""
    if all((_static.STATIC / name).is_file() for name in BUNDLES):
        return
    if shutil.which("npm") and (ROOT / "node_modules").is_dir():
        subprocess.run(["npm", "run", "--silent", "build"], cwd=ROOT, check=True, capture_output=True)
    missing = [name for name in BUNDLES if not (_static.STATIC / name).is_file()]
    if missing:
        pytest.fail(f"widget bundles {missing} not built: run `npm ci && npm run build` in {ROOT}")


class Plain:
    def __init__(self, a, b):
        self.a = a
        self.b = b


class Slotted:
    __slots__ = ("__weakref__", "p", "q")

    def __init__(self, p, q):
        self.p = p
        self.q = q


class Evil:
    """A repr that is markup and a hostile attribute lookup."""

    def __repr__(self):
        return "<script>alert('x')</script>"

    def __getattribute__(self, name):
        raise RuntimeError("do not touch me")


class BadRepr:
    def __repr__(self):
        raise ValueError("no repr")


def dict_is_materialized(obj):
    """Read the managed-dict pointer without touching obj.__dict__ (as tests/core do)."""
    return bool(_layout._managed_dict_ptr(obj)) and not (
        sys.version_info[:2] == (3, 12) and _layout._managed_dict_ptr(obj) & 1)


def walk_all(source, node, depth):
    """Every node of ``source`` below ``node`` to ``depth`` levels: (node, children) pairs."""
    out = []
    stack = [(node, 0)]
    while stack:
        cur, d = stack.pop()
        if not cur.has_children or d >= depth:
            continue
        kids, total = source.children(cur.id, 0, 10**9)
        assert total == len(kids)
        out.append((cur, kids))
        stack.extend((k, d + 1) for k in kids)
    return out


def nested_data():
    shared = [1.5, 2.5, "shared" * 5]
    p = Plain(shared, {"k": shared, "big": list(range(1000, 1100))})
    cyc = [3.25]
    cyc.append(cyc)
    return {"p": p, "s": Slotted(shared, (shared, 7.5)), "cyc": cyc, "again": shared,
            "t": (p, p), "text": "x" * 300, "none": None}


# -- size tree: state ----------------------------------------------------------------
def test_roots_shipped_with_core_sizes():
    a = [1.5, "two" * 10, {"three": 3.0}]
    b = Plain(a, 2.5)
    w = SizeTree.from_objects([a, b], ["a", "b"], title="sizes")
    assert [r["name"] for r in w.roots] == ["a", "b"]
    assert [r["type"] for r in w.roots] == ["list", f"{__name__}.Plain"]
    assert [r["size"] for r in w.roots] == [asizeof(a), asizeof(b)]  # each root on its own
    assert w.roots[0]["flat"] == flatsize(a)
    assert all(r["has_children"] for r in w.roots)
    assert w.total == asizeof(a) + asizeof(b)
    assert w.title == "sizes" and w.page_size == 100
    assert set(w.roots[0]) == {"id", "name", "type", "size", "flat", "has_children"}
    assert len(w._shipped) == 2 and not w._pages  # nothing below the roots yet
    w.close()


def test_options_reach_the_core():
    data = [[float(i)] for i in range(50)]
    src = ObjectTreeSource([data], limit=1, align=16)
    assert src.roots()[0].size == asizeof(data, limit=1, align=16)
    with pytest.raises(ValueError, match="align"):
        ObjectTreeSource([data], align=3)
    with pytest.raises(ValueError, match="one name per object"):
        ObjectTreeSource([data, data], ["only one"])


def test_children_add_up_to_the_parent():
    data = nested_data()
    src = ObjectTreeSource([data, [data, data]])
    checked = 0
    for root in src.roots():
        for node, kids in walk_all(src, root, depth=4):
            if node.size:  # a node counted elsewhere shows 0, and so do its children
                assert node.flat + sum(k.size for k in kids) == node.size, node
            else:
                assert all(k.size == 0 for k in kids)
            checked += 1
    assert checked > 10


def entry_totals(kids):
    """Sizes of the rows, a dict entry's [K] and [V] rows together (as they are shown)."""
    out = []
    for k in kids:
        if k.name.startswith("[V] ") and out and out[-1][0].startswith("[K] "):
            out[-1] = (out[-1][0], out[-1][1] + k.size)
        else:
            out.append((k.name, k.size))
    return [size for _, size in out]


def test_children_follow_named_refs_largest_first():
    data = {"a": [1.5, 2.5], 7: "seven" * 3, "p": Plain(1.25, "bee" * 40)}
    src = ObjectTreeSource([data])
    kids, total = src.children("0", 0, 100)
    assert sorted(k.name for k in kids) == sorted(name for name, _ in named_refs(data))
    assert total == 2 * len(data)
    # largest entry first, each key next to its value
    assert [k.name for k in kids][:2] == ["[K] p", f"[V] p: {kids[1].name[len('[V] p: '):]}"]
    totals = entry_totals(kids)
    assert totals == sorted(totals, reverse=True)
    for i in range(0, len(kids), 2):
        assert kids[i].name.startswith("[K] ") and kids[i + 1].name.startswith("[V] " + kids[i].name[4:])
    assert asized(data, detail=1).size == src.roots()[0].size
    # the same rows as asized's tree, in the same order
    assert [(r.name, r.size) for r in asized(data, detail=1).refs] == [(k.name, k.size) for k in kids]
    p_node = kids[1]
    attrs, _ = src.children(p_node.id, 0, 100)
    assert {k.name for k in attrs} == {"__dict__", "__class__"}
    dnode = next(k for k in attrs if k.name == "__dict__")
    values, _ = src.children(dnode.id, 0, 100)
    assert {"[K] a", "[K] b"} <= {k.name for k in values}


def test_shared_objects_counted_once_among_siblings():
    x = [10.5] * 3
    holder = [x, x, [x]]
    src = ObjectTreeSource([holder])
    kids, _ = src.children("0", 0, 10)
    by_id = {k.id: k for k in kids}  # ids are reference-order positions
    assert by_id["0/0"].size == asizeof(x)
    assert by_id["0/1"].size == 0 and by_id["0/2"].size == flatsize(holder[2])
    assert [k.id for k in kids] == ["0/0", "0/2", "0/1"]  # largest first


def test_big_dict_names_match_named_refs_conventions():
    big = {f"k{i}": [i * 1.5] for i in range(200)}
    big[(1, 2)] = "tuple key"
    src = ObjectTreeSource([big])
    kids, total = src.children("0", 0, 4)
    assert total == 2 * len(big)
    every, _ = src.children("0", 0, total)
    assert [k.name for k in every[:4]] == [k.name for k in kids]
    assert sorted(k.name for k in every) == sorted(name for name, _ in named_refs(big))
    i = [k.name for k in every].index("[K] (1, 2)")
    assert every[i + 1].name == "[V] (1, 2): 'tuple key'"
    totals = entry_totals(every)
    assert totals == sorted(totals, reverse=True)


def test_million_element_list_ships_one_page():
    data = [float(i) for i in range(1_000_000)]
    w = SizeTree.from_objects([data], ["data"], page_size=50)
    assert len(w.roots) == 1 and w.roots[0]["size"] == asizeof(data)
    assert len(w._shipped) == 1
    reply = expand(w, "0")
    assert reply["total"] == 1_000_000 and reply["offset"] == 0
    assert len(reply["nodes"]) == 50
    assert [n["id"] for n in reply["nodes"][:2]] == ["0/0", "0/1"]
    assert all(n["size"] == 24 and n["type"] == "float" for n in reply["nodes"])
    assert len(w._shipped) == 51
    more = expand(w, "0", offset=50)
    assert more["offset"] == 50 and more["nodes"][0]["id"] == "0/50" and len(more["nodes"]) == 50
    assert len(w._shipped) == 101
    w.close()


def test_million_entry_dict_ships_one_page():
    data = {str(i): [i] for i in range(1_000_000)}
    w = SizeTree.from_objects([data], page_size=100)
    reply = expand(w, "0")
    assert reply["total"] == 2_000_000 and len(reply["nodes"]) == 100
    first, value = reply["nodes"][:2]  # the largest entry: a 6-digit key and its value
    assert first["name"] == "[K] 100000" and value["name"] == "[V] 100000: [100000]"
    assert value["size"] == asizeof(data["100000"]) and first["size"] == asizeof("100000")
    totals = [a["size"] + b["size"] for a, b in zip(reply["nodes"][0::2], reply["nodes"][1::2])]
    assert totals == sorted(totals, reverse=True)
    assert value["id"] == "0/200001"  # ids are reference-order positions
    deeper = expand(w, value["id"])
    assert deeper["total"] == 1 and deeper["nodes"][0]["type"] == "int"
    assert len(w._shipped) == 1 + 100 + 1
    w.close()


def test_dataframe_opens_into_columns_like_asized():
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    n = 50_000
    df = pd.DataFrame({"a": np.arange(n), "b": pd.Series([f"s{i}" for i in range(n)], dtype=object),
                       "c": pd.Series([f"c{i % 100}" for i in range(n)], dtype=pd.ArrowDtype(pa.string())),
                       "d": pd.Categorical([f"k{i % 9}" for i in range(n)])})
    expected = asizeof(df)
    w = SizeTree.from_objects([df], ["df"])
    assert w.roots[0]["size"] == expected and w.roots[0]["has_children"]
    reply = expand(w, "0")
    nodes = reply["nodes"]
    assert nodes[0]["name"] == "column 'b' (object)"  # the largest column first
    assert {"column 'a' (int64)", "column 'c' (string[pyarrow])", "column 'd' (category)",
            "index (RangeIndex)", "column labels (Index)"} <= {x["name"] for x in nodes}
    assert w.roots[0]["flat"] + sum(x["size"] for x in nodes) == expected
    assert [(x["name"], x["size"]) for x in nodes] == [(r.name, r.size) for r in asized(df, detail=1).refs]
    assert not next(x for x in nodes if x["name"] == "__class__")["has_children"]
    src = ObjectTreeSource([df])
    for x, _ in zip(src.children("0", 0, 100)[0], range(6)):  # the columns open, and add up
        if x.has_children and x.size:
            kids, total = src.children(x.id, 0, 10**9)
            assert x.flat + sum(k.size for k in kids) == x.size, x
    assert asizeof(df) == expected  # nothing was filled in the frame
    w.close()


def test_page_size_and_text_fallback_show_more():
    data = list(range(1000, 1250))
    w = SizeTree.from_objects([data], ["data"], page_size=10)
    expand(w, "0")
    text = w._repr_mimebundle_()[0]["text/plain"]
    assert "data (list)" in text and "... 240 more" in text
    assert text.count("(int)") == 10


# -- size tree: messages -------------------------------------------------------------------
FORGED = [
    {"type": "expand", "id": "0/999999", "offset": 0},  # a real child, never shipped
    {"type": "expand", "id": "../../etc/passwd", "offset": 0},
    {"type": "expand", "id": 0, "offset": 0},
    {"type": "expand", "id": None},
    {"type": "expand"},
    {"type": "expand", "id": "0", "offset": -1},
    {"type": "expand", "id": "0", "offset": "0"},
    {"type": "expand", "id": "0", "offset": 1.0},
    {"type": "expand", "id": "0", "offset": True},
    {"type": "expand", "id": "0", "offset": 10**9},  # skips children never shipped
    {"type": "delete", "id": "0"},
    {"type": None, "id": "0"},
    {"id": "0"},
    {},
    [],
    "expand",
    None,
    42,
]


@pytest.mark.parametrize("content", FORGED, ids=lambda c: json.dumps(c)[:40])
def test_bad_messages_get_an_error_reply(content, caplog):
    data = [[1.5] for _ in range(300)]
    w = SizeTree.from_objects([data])
    with caplog.at_level(logging.DEBUG):
        reply = ask(w, content)
    assert reply["type"] == "error" and reply["message"]
    assert set(reply) == {"type", "id", "message"}
    assert reply["id"] is None or isinstance(reply["id"], str)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    w._on_msg(w, content, [])  # called directly: never raises either
    w.close()


def test_error_messages_name_the_problem():
    w = SizeTree.from_objects([[1.5, 2.5]])
    assert "unknown node id '0/1'" in ask(w, {"type": "expand", "id": "0/1"})["message"]
    assert "allowed: 'expand'" in ask(w, {"type": "collapse", "id": "0"})["message"]
    assert "offset must be an integer >= 0" in ask(w, {"type": "expand", "id": "0", "offset": -3})["message"]
    assert expand(w, "0")["total"] == 2  # offset defaults to 0


def test_reexpanding_and_second_view_are_fine():
    data = [[1.5, 2.5] for _ in range(30)]
    w = SizeTree.from_objects([data], page_size=10)
    first = expand(w, "0")
    expand(w, "0", 10)
    again = expand(w, "0")  # a second view starts from the top
    assert again["nodes"] == first["nodes"]
    assert len(w._pages["0"][0]) == 10
    assert expand(w, "0/3")["total"] == 2


def test_expand_after_the_object_died():
    obj = Plain([2.5, 3.5], "x" * 40)
    probe = weakref.ref(obj)
    w = SizeTree.from_objects([obj], ["obj"])
    assert w.roots[0]["size"] == asizeof(obj)
    del obj
    gc.collect()
    assert probe() is None  # the widget keeps weakrefable roots weakly
    reply = ask(w, {"type": "expand", "id": "0", "offset": 0})
    assert reply["type"] == "error" and "no longer exists" in reply["message"]


def test_expand_after_the_object_changed():
    data = [[1.5], [2.5]]
    w = SizeTree.from_objects([data])
    expand(w, "0")
    data[0] = [9.5, 8.5]
    reply = ask(w, {"type": "expand", "id": "0/0", "offset": 0})
    assert reply["type"] == "error" and "changed" in reply["message"]
    assert expand(w, "0/1")["total"] == 1


def test_a_failing_source_is_an_error_reply_not_a_traceback(caplog):
    class Broken(TreeSource):
        def roots(self):
            return [NodeInfo("r", "root", "thing", 10, 10, True)]

        def children(self, node_id, offset=0, count=100):
            raise ZeroDivisionError("boom")

    w = SizeTree(Broken())
    with caplog.at_level(logging.DEBUG):
        reply = ask(w, {"type": "expand", "id": "r", "offset": 0})
    assert reply == {"type": "error", "id": "r", "message": "internal error: ZeroDivisionError: boom"}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_custom_sources_follow_the_protocol():
    class Numbers(TreeSource):
        """A tree of numbers: node n has children 2n and 2n+1 below 100."""

        def roots(self):
            return [self._node(1)]

        def _node(self, n):
            return NodeInfo(str(n), f"n{n}", "int", 100 - n, 1, 2 * n < 100)

        def children(self, node_id, offset=0, count=100):
            n = int(node_id)
            kids = [self._node(k) for k in (2 * n, 2 * n + 1) if k < 100]
            return kids[offset:offset + count], len(kids)

    w = SizeTree(Numbers(), page_size=1)
    first = expand(w, "1")
    assert [n["id"] for n in first["nodes"]] == ["2"] and first["total"] == 2
    assert [n["id"] for n in expand(w, "1", 1)["nodes"]] == ["3"]
    assert expand(w, "3")["nodes"][0]["name"] == "n6"
    with pytest.raises(TypeError, match="expected a TreeSource"):
        SizeTree([1, 2, 3])


# -- size tree: references and observer effect -------------------------------------------------
def test_close_drops_every_reference():
    inner = Plain(1.5, "inner" * 5)
    obj = Slotted(inner, [inner, 2.5])
    probes = [weakref.ref(obj), weakref.ref(inner)]
    w = SizeTree.from_objects([obj])
    expand(w, "0")
    expand(w, "0/0")
    w.close()
    del obj, inner
    gc.collect()
    assert [p() for p in probes] == [None, None]
    reply = ask(w, {"type": "expand", "id": "0/1", "offset": 0})
    assert reply["type"] == "error" and "closed" in reply["message"]


def test_non_weakrefable_root_is_held_until_close_only():
    item = Plain(1.5, 2.5)
    probe = weakref.ref(item)
    data = [item, {"k": item}]
    w = SizeTree.from_objects([data])
    expand(w, "0")
    expand(w, "0/1")
    del data, item
    gc.collect()
    assert probe() is not None  # the list root is held while the widget is open (documented)
    w.release()
    gc.collect()
    assert probe() is None


def test_interior_objects_are_not_cached():
    leaf = Plain("leaf" * 10, 0.5)
    probe = weakref.ref(leaf)
    root = Plain([leaf], None)
    w = SizeTree.from_objects([root])
    expand(w, "0")
    reply = expand(w, "0/0")  # root's '__dict__'
    alist = next(n for n in reply["nodes"] if n["name"].startswith("[V] a: "))  # the list holding the leaf
    inner = expand(w, alist["id"])
    expand(w, inner["nodes"][0]["id"])  # the leaf itself
    root.a = None  # the user drops it: nothing in the widget may keep it
    del leaf
    gc.collect()
    assert probe() is None
    w.close()


def test_no_instance_dict_is_created():
    objs = [Plain(1.5, [2.5]) for _ in range(3)]
    holder = {"objs": objs, "one": Plain("a" * 20, objs)}
    assert not any(dict_is_materialized(o) for o in [*objs, holder["one"]])
    w = SizeTree.from_objects([holder, objs[0]])
    for nid in ("0", "1"):
        expand(w, nid)
    for node in list(w._shipped.values()):
        if node.has_children:
            expand(w, node.id)
    w._repr_mimebundle_()
    assert not any(dict_is_materialized(o) for o in [*objs, holder["one"]])
    w.close()


def test_hostile_objects_do_not_break_the_tree():
    evil = Evil()
    data = {"evil": evil, "bad": BadRepr(), "list": [evil]}
    w = SizeTree.from_objects([data])
    reply = expand(w, "0")
    names = [n["name"] for n in reply["nodes"]]
    assert any("repr failed" in n for n in names)
    for node in reply["nodes"]:
        if node["has_children"]:
            assert ask(w, {"type": "expand", "id": node["id"], "offset": 0})["type"] in ("children", "error")


# -- size tree: Asized trees ------------------------------------------------------------------
def test_from_asized():
    data = {"a": [1.5] * 20, "b": "text" * 30, "c": {"d": [2.5, 3.5]}}
    tree = asized(data, detail=3)
    w = SizeTree.from_asized(tree, title="%memsize -d 3")
    assert w.roots[0]["size"] == tree.size == asizeof(data)
    assert w.roots[0]["type"] == "dict"  # Asized.type, recorded by asized
    reply = expand(w, "0")
    assert {(n["name"][:5], n["type"]) for n in reply["nodes"]} == {
        ("[K] a", "str"), ("[K] b", "str"), ("[K] c", "str"), ("[V] a", "list"), ("[V] b", "str"), ("[V] c", "dict")}
    sizes = [n["size"] for n in reply["nodes"]]
    names = [n["name"] for n in reply["nodes"]]
    assert sorted(names[0::2]) == ["[K] a", "[K] b", "[K] c"]
    assert all(v.startswith("[V] " + k[4:] + ": ") for k, v in zip(names[0::2], names[1::2]))  # key, then value
    totals = [a + b for a, b in zip(sizes[0::2], sizes[1::2])]
    assert totals == sorted(totals, reverse=True)  # largest entry first
    assert [(r.name, r.size) for r in tree.refs] == list(zip(names, sizes))  # as asized stores them
    assert sum(sizes) + tree.flat == tree.size
    assert reply["total"] == len(tree.refs)
    big = next(n for n in reply["nodes"] if n["has_children"])
    assert expand(w, big["id"])["total"] > 0
    assert ask(w, {"type": "expand", "id": "0/77", "offset": 0})["type"] == "error"
    several = SizeTree.from_asized(asized([1.5], [2.5, 3.5], detail=1), order="given")
    assert [r["size"] for r in several.roots] == [asizeof([1.5]), asizeof([2.5, 3.5])]
    with pytest.raises(TypeError, match="Asized"):
        AsizedTreeSource([1, 2])
    with pytest.raises(ValueError, match="order must be one of"):
        AsizedTreeSource(tree, order="name")


def test_asized_source_rejects_forged_paths():
    src = AsizedTreeSource(asized([1.5, [2.5]], detail=2))
    for bad in ("x", "0/x", "5", "0/9/9", ""):
        with pytest.raises(NodeGone):
            src.children(bad)


# -- display fallbacks ---------------------------------------------------------------------
def test_size_tree_mimebundle_has_escaped_fallbacks(monkeypatch):
    monkeypatch.setattr(_static, "interactive_frontend", lambda: True)
    data = {"<script>alert(1)</script>": Evil(), "b": [1.5]}
    w = SizeTree.from_objects([data], ["<b>data</b>"], title="<i>t</i>")
    expand(w, "0")
    data_, _meta = w._repr_mimebundle_()
    assert data_[WIDGET_MIME]["model_id"] == w.model_id
    html_ = data_["text/html"]
    assert "<script" not in html_ and "<b>data" not in html_ and "<i>t" not in html_
    assert "&lt;script&gt;" in html_ and "&lt;b&gt;data&lt;/b&gt;" in html_
    assert "pympler-nb-tree-static" in html_
    text = data_["text/plain"]
    assert text.startswith("<SizeTree 1 root")
    assert "<b>data</b> (dict)" in text and format_size(asizeof(data)) in text
    assert repr(w).startswith("<SizeTree 1 root")


# -- reference graph ---------------------------------------------------------------------------
def _small_graph():
    leaf = [1.5, "<tag> & \"quotes\""]
    data = {"leaf": leaf, "again": leaf, "t": (leaf,)}
    return data, refs_graph(data, max_depth=3)


def test_ref_graph_ships_dot_and_nodes():
    data, graph = _small_graph()
    w = RefGraph(graph, title="refs")
    model = graphs.as_model(graph)
    assert w.dot == graphs.to_dot(model, label_clip=48)
    assert w.dot.startswith("digraph G {") and w.dot.rstrip().endswith("}")
    assert len(w.nodes) == len(model.nodes)
    for node in w.nodes:
        assert set(node) >= {"id", "type", "size", "repr", "label"}
        assert re.search(rf"^\s*{re.escape(node['id'])} \[", w.dot, re.MULTILINE), node["id"]
    root = next(n for n in w.nodes if n["root"])
    assert root["type"] == "dict" and root["size"] == flatsize(data)
    assert root["id"] == f"X{id(data):x}"
    assert w.dot.count(" -> ") == len(model.edges)
    assert any("&lt;tag&gt;" in n["repr"] or "<tag>" in n["repr"] for n in w.nodes)
    assert RefGraph.from_graph(graph).dot == w.dot
    assert repr(w) == f"<RefGraph {len(model.nodes)} nodes, {len(model.edges)} edges>"


def test_ref_graph_accepts_every_graph_result():
    a = [2.5]
    a.append(a)
    for result in (ReferenceGraph([a]), refs_graph(a, max_depth=1)):
        w = RefGraph(result)
        assert w.nodes and w.dot.startswith("digraph")
    with pytest.raises(TypeError, match="expected a GraphModel"):
        RefGraph([1, 2, 3])


def test_ref_graph_keeps_no_objects():
    item = Plain(1.5, 2.5)
    probe = weakref.ref(item)
    w = RefGraph(ReferenceGraph([item, [item]]))
    del item
    gc.collect()
    assert probe() is None and w.nodes


def test_ref_graph_more_nodes_are_named_like_dot():
    graph = refs_graph(list(range(1000, 1100)), max_depth=1, max_fanout=5)
    w = RefGraph(graph)
    more = [n for n in w.nodes if n["kind"] == "more"]
    assert more and all(n["id"].startswith("M") and f"{n['id']} [" in w.dot for n in more)


def test_ref_graph_fallback_without_dot(monkeypatch):
    monkeypatch.setattr(graphs, "has_dot", lambda cmd="dot": False)
    monkeypatch.setattr(_static, "interactive_frontend", lambda: True)
    evil = Evil()
    w = RefGraph(refs_graph([evil], max_depth=1))
    data, _meta = w._repr_mimebundle_()
    assert data[WIDGET_MIME]["model_id"] == w.model_id
    assert "image/svg+xml" not in data
    html_ = data["text/html"]
    assert "<pre>" in html_ and "not installed" in html_
    assert "<script>" not in html_ and "&lt;script&gt;" in html_
    assert data["text/plain"].startswith("<RefGraph")


@pytest.mark.needs_dot
def test_ref_graph_fallback_with_dot():
    if not graphs.has_dot():
        pytest.fail("Graphviz `dot` is not installed (the README's test command installs it)")
    _, graph = _small_graph()
    data, _meta = RefGraph(graph)._repr_mimebundle_()
    assert data["image/svg+xml"].lstrip().startswith(("<?xml", "<svg", "<!--"))
    assert "<svg" in data["image/svg+xml"]


# -- the bundles ------------------------------------------------------------------------------
_URL = re.compile(r"https?://[^\s\"'`)<>]+")
_ALLOWED_URLS = ("http://www.w3.org/", "https://www.graphviz.org", "https://libexpat.github.io")
_REMOTE_LOAD = re.compile(
    r"""(?:\bimport\s*\(\s*|\bfrom\s*|\bimport\s*|\bfetch\s*\(\s*|importScripts\s*\(\s*)["'`](?:https?:)?//""")


@pytest.mark.parametrize("name", BUNDLES)
def test_bundles_are_self_contained(name):
    text = (_static.STATIC / name).read_text(encoding="utf-8")
    assert "export" in text and "render" in text
    assert not _REMOTE_LOAD.search(text), _REMOTE_LOAD.search(text).group(0)
    assert not re.search(r"""\bimport\s*\(\s*[^)"'`]""", text.replace("import.meta", "")), \
        "dynamic import of a computed URL"
    others = sorted({u for u in _URL.findall(text) if not u.startswith(_ALLOWED_URLS)})
    assert others == []  # only XML namespaces and licence links, nothing to load


def test_ref_graph_bundle_inlines_the_wasm():
    text = (_static.STATIC / "ref_graph.js").read_text(encoding="utf-8")
    assert len(text) > 500_000  # Graphviz itself is in there
    assert ".wasm" not in text


def test_missing_bundle_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setattr(_static, "STATIC", tmp_path)
    with pytest.raises(BundleMissingError, match=r"npm ci && npm run build"):
        SizeTree.from_objects([[1.5]])
    with pytest.raises(BundleMissingError, match=r"ref_graph\.js"):
        RefGraph(refs_graph([1.5], max_depth=1))
    assert issubclass(BundleMissingError, FileNotFoundError)


def test_esm_is_a_small_loader_and_the_kernel_sends_the_bundle():
    """The bundle is never in the widget's (saved) state: a loader asks the kernel for it."""
    sent = []
    for w, name in ((SizeTree.from_objects([[1.5]]), "size_tree.js"),
                    (RefGraph(refs_graph([1.5], max_depth=1)), "ref_graph.js")):
        assert len(w._esm) < 4000 and "msg:custom" in w._esm and "import(url)" in w._esm
        assert "pympler-nb-tree" not in w._esm  # the bundle itself is not in the state
        state = w.get_state()
        assert len(json.dumps({k: v for k, v in state.items() if isinstance(v, (str, int, list, dict))})) < 60_000
        w.send = sent.append  # what the kernel answers the loader
        w._handle_custom_msg({"type": _static.BUNDLE_REQUEST, "key": "x"}, [])
        assert sent[-1]["type"] == _static.BUNDLE_REQUEST
        assert sent[-1]["code"] == (_static.STATIC / name).read_text(encoding="utf-8")
    assert len(sent) == 2  # the tree did not also answer with an error


def test_batch_runs_get_the_static_view_and_people_the_widget(monkeypatch):
    tree = SizeTree.from_objects([[1.5, 2.5]], ["xs"])
    graph = RefGraph(refs_graph([1.5], max_depth=1))
    for w in (tree, graph):
        monkeypatch.setattr(_static, "interactive_frontend", lambda: False)
        data, _ = w._repr_mimebundle_()
        assert WIDGET_MIME not in data and "text/plain" in data
        assert "text/html" in data or "image/svg+xml" in data
        monkeypatch.setattr(_static, "interactive_frontend", lambda: True)
        data, _ = w._repr_mimebundle_()
        assert data[WIDGET_MIME]["model_id"] == w.model_id
    assert "xs" in tree._fallback and "<table>" in tree._fallback
    assert graph._fallback


def _shown(monkeypatch, obj) -> list[dict]:
    """The outputs ``display(obj)`` sends (IPython's display, as a kernel runs it)."""
    import IPython.display

    sent = []
    def display(data, metadata=None, raw=False, display_id=None):
        assert raw
        sent.append(dict(data, **({"display_id": display_id} if display_id else {})))

    monkeypatch.setattr(IPython.display, "display", display)
    obj._ipython_display_()
    return sent


def test_a_person_gets_the_static_output_then_the_widget_view(monkeypatch):
    """Two outputs: the static one survives a reopened notebook whose widget models are gone
    (JupyterLab's default saves no widget state), the view after it is the live widget."""
    monkeypatch.setattr(_static, "interactive_frontend", lambda: True)
    frame_like = {"a": [1.5] * 50, "b": {"x": "y" * 300}, "<i>c</i>": (2.5,)}
    tree = SizeTree.from_objects([frame_like], ["<b>frame_like</b>"])
    graph = RefGraph(refs_graph(frame_like, max_depth=2), title="refs")
    for w in (tree, graph):
        static, view = _shown(monkeypatch, w)
        assert set(view) == {WIDGET_MIME, "text/plain"} and view[WIDGET_MIME]["model_id"] == w.model_id
        assert "\n" not in view["text/plain"]  # one line: the static output has the text view
        html_ = static["text/html"]
        assert re.fullmatch(r"[0-9a-f]{32}", w._static_id)
        assert f"data-pympler-nb-static='{w._static_id}'" in html_ and "pympler-nb-static" in html_
        assert "<style>" in html_ and ".pympler-nb-live" in html_
        assert "<b>frame_like" not in html_ and "<i>c</i>" not in html_
        assert "text/plain" in static and WIDGET_MIME not in static
        assert static["display_id"] == w._static_id and "display_id" not in view  # updatable
        assert w.get_state()["_static_id"] == w._static_id  # the loader finds its static output
    static = _shown(monkeypatch, tree)[0]["text/html"]
    # the roots' first children are in the saved table, not only the roots
    assert "&lt;b&gt;frame_like&lt;/b&gt;" in static and "[V] a" in static and "[V] b" in static
    assert "share of parent" in static
    graph_static = _shown(monkeypatch, graph)[0]["text/html"]
    assert ("<svg" in graph_static) == graphs.has_dot()
    assert "<?xml" not in graph_static and ("digraph" in graph_static or "<svg" in graph_static)
    assert "[data-pympler-nb-static=" in _static.loader_source("size_tree.js")
    tree.close()
    # a closed widget shows its static view only
    (only,) = _shown(monkeypatch, tree)
    assert WIDGET_MIME not in only and "share of parent" in only["text/html"]


def test_opened_rows_update_the_static_output_of_the_cell(monkeypatch):
    """An expand answered from a comm message re-sends the static output (its display id),
    with the displaying cell's request as parent: JupyterLab updates and saves it."""
    import IPython

    request = {"header": {"msg_id": "exec-1", "msg_type": "execute_request"},
               "content": {"allow_stdin": True}}
    sent = []

    class Session:
        def msg(self, msg_type, content, parent=None):
            return {"msg_type": msg_type, "content": content, "parent": parent}

        def send(self, socket, msg, ident=None):
            sent.append(msg)

    class Pub:
        session, pub_socket, topic = Session(), object(), b"display_data"

    class Kernel:
        parent = request

        def get_parent(self, channel=None):
            return self.parent

    class Shell:
        kernel, display_pub = Kernel(), Pub()

    shell = Shell()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    nested = {"inner": {"deep_key": [2.5] * 20}}
    tree = SizeTree.from_objects([nested], ["nested"])
    tree.send = lambda msg: None
    static, _view = _shown(monkeypatch, tree)
    assert "[K] deep_key" not in static["text/html"]  # the second level is not opened yet
    shell.kernel.parent = {"header": {"msg_id": "comm-7", "msg_type": "comm_msg"}, "content": {}}
    inner = next(k["id"] for k in expand(tree, "0")["nodes"] if k["name"].startswith("[V] inner"))
    sent.clear()
    tree._on_msg(tree, {"type": "expand", "id": inner, "offset": 0}, [])
    (update,) = sent
    assert update["msg_type"] == "update_display_data" and update["parent"] is request
    assert update["content"]["transient"] == {"display_id": tree._static_id}
    assert "[K] deep_key" in update["content"]["data"]["text/html"]
    assert WIDGET_MIME not in update["content"]["data"]
    tree._on_msg(tree, {"type": "expand", "id": "forged", "offset": 0}, [])
    assert len(sent) == 1  # an error reply changes nothing shown
    tree.close()


class _BatchKernel:
    def get_parent(self, channel=None):
        return {"header": {"msg_type": "execute_request"}, "content": {"allow_stdin": False}}


def test_batch_runs_create_no_widget_model(monkeypatch):
    """nbconvert --execute: a SizeTree or RefGraph made directly opens no comm (nothing for
    nbclient to save as widget state) and displays its static view."""
    import IPython

    class Shell:
        kernel = _BatchKernel()

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    assert _static.batch_run() is True and _static.interactive_frontend() is False
    tree = SizeTree.from_objects([{"k": [1.5, 2.5]}], ["d"])
    graph = RefGraph(refs_graph([1.5, "x"], max_depth=1))
    for w in (tree, graph):
        assert w.comm is None
        (only,) = _shown(monkeypatch, w)
        assert WIDGET_MIME not in only and "pympler-nb-static" not in only.get("text/html", "")
        assert "text/plain" in only and ("text/html" in only or "image/svg+xml" in only)
        data, _ = w._repr_mimebundle_()
        assert WIDGET_MIME not in data
        w.close()  # no comm: nothing to close, no error
    assert "[V] k" in _shown(monkeypatch, tree)[0]["text/html"]


def test_interactive_frontend_reads_allow_stdin(monkeypatch):
    import IPython

    class Kernel:
        def __init__(self, allow):
            self.allow = allow

        def get_parent(self, channel=None):
            return {"content": {"allow_stdin": self.allow}}

    class Shell:
        kernel = None

    shell = Shell()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    assert _static.interactive_frontend() is False  # no kernel: terminal IPython, scripts
    shell.kernel = Kernel(True)  # JupyterLab, Notebook 7, VS Code
    assert _static.interactive_frontend() is True
    shell.kernel = Kernel(False)  # nbclient, nbconvert --execute, papermill
    assert _static.interactive_frontend() is False


# -- the front end's own tests ----------------------------------------------------------------------
def test_js_unit_tests_under_node(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed for the front-end tests (and to build the widgets)")
    rng = random.Random(6)
    sizes = [0, 1, 1023, 1024, 1025, 1280, 1408, 102399, 102400, 2**20, 2**30 * 3, 2**60 * 7, 2**70]
    sizes += [rng.randrange(0, 2**rng.randrange(1, 53)) for _ in range(3000)]
    sizes += [k * 2**(10 * d) // 20 for k in range(1, 400) for d in (1, 2, 3)]  # ties galore
    cases = [[s, sign, format_size(s, sign)] for s in sizes for sign in (False, True)]
    cases += [[-s, True, format_size(-s, True)] for s in sizes]
    path = tmp_path / "format_cases.json"
    path.write_text(json.dumps(cases))
    env = dict(os.environ, PYMPLER_NB_FORMAT_CASES=str(path))
    files = sorted(str(p) for p in (ROOT / "js" / "tests").glob("*.test.mjs"))
    out = subprocess.run([node, "--test", *files], cwd=ROOT, env=env, capture_output=True, text=True, check=False,
                         timeout=300)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert re.search(r"^# fail 0$", out.stdout, re.MULTILINE) and re.search(r"^# skipped 0$", out.stdout, re.MULTILINE)


def test_tree_source_is_an_interface():
    from pympler_nb.widgets.retained import RetainedTreeSource
    from pympler_nb.widgets.size_tree import AsizedTreeSource, ObjectTreeSource, TreeSource

    with pytest.raises(TypeError, match="abstract"):
        TreeSource()
    for cls in (ObjectTreeSource, AsizedTreeSource, RetainedTreeSource):
        assert not cls.__abstractmethods__
