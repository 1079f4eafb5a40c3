"""pympler_nb.graphs (Digraph / DOT / SVG / notebook display) and the graph DataFrames."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

graphviz = pytest.importorskip("graphviz")
pd = pytest.importorskip("pandas")

from pympler_nb import frames_graphs, graphs  # noqa: E402
from pympler_nb.core.refbrowser import referrer_tree  # noqa: E402
from pympler_nb.core.refgraph import ReferenceGraph, backrefs_graph, refs_graph  # noqa: E402
from pympler_nb.core.whyalive import why_alive  # noqa: E402


class L(list):
    pass


class Labelled:
    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


@pytest.fixture
def mod():
    m = types.ModuleType("graphs_probe_mod")
    sys.modules[m.__name__] = m
    try:
        yield m
    finally:
        del sys.modules[m.__name__]


def _all_results(mod):
    a = L()
    a.append(a)
    mod.cache = {"x": a}
    return [refs_graph(a, max_depth=2), backrefs_graph(a, max_depth=1), ReferenceGraph([a]),
            why_alive(mod.cache["x"]), referrer_tree(a, maxdepth=2)]


def test_every_result_converts_to_dot(mod):
    for result in _all_results(mod):
        dg = graphs.to_digraph(result)
        assert isinstance(dg, graphviz.Digraph)
        dot = graphs.to_dot(result)
        assert dot.startswith("digraph G {") and dot.rstrip().endswith("}")
        model = graphs.as_model(result)
        assert dot.count(" -> ") == len(model.edges)


def test_as_model_rejects_other_things():
    with pytest.raises(TypeError, match="expected a GraphModel, ReferenceGraph/GarbageGraph, WhyAlive"):
        graphs.as_model([1, 2])
    with pytest.raises(TypeError, match="WhyAlive result"):
        graphs.show_why_alive("nope")


def test_options_are_validated():
    g = refs_graph([1], max_depth=1)
    assert "rankdir=LR" in graphs.to_dot(g, rankdir="LR")
    with pytest.raises(ValueError, match=r"rankdir must be one of \('TB', 'LR', 'BT', 'RL'\)"):
        graphs.to_dot(g, rankdir="sideways")
    with pytest.raises(ValueError, match="engine must be one of"):
        graphs.to_svg(g, engine="nope")


def test_why_alive_graph_shows_the_chain(mod):
    mod.cache = {"x": Labelled("the target")}
    dot = graphs.to_dot(why_alive(mod.cache["x"]))
    assert "the target" in dot and "['x']" in dot and "['cache']" in dot
    assert "globals of graphs_probe_mod" in dot
    assert "#FFE680" in dot  # the target is highlighted


def test_tree_graph_edges_point_from_referrer(mod):
    target = L()
    mod.holder = {"t": target}
    tree = referrer_tree(target, maxdepth=1)
    model = graphs.as_model(tree)
    assert any(e.src == id(mod.holder) and e.dst == id(target) and e.label == "['t']"
               for e in model.edges)


@pytest.mark.needs_dot
def test_svg_with_dot_and_hostile_labels():
    texts = ['q"uote', "<html>", "back\\", "中文 é", "nul\x00", "\ud800"]
    objs = [Labelled(t) for t in texts]
    svg = graphs.to_svg(ReferenceGraph([{t: o for t, o in zip(texts, objs)}, *objs]))
    assert svg.lstrip().startswith(("<?xml", "<svg", "<!--"))
    assert "中文 é" in svg
    bundle = graphs.GraphView(refs_graph(objs[0], max_depth=1))._repr_mimebundle_()
    assert "image/svg+xml" in bundle and "text/vnd.graphviz" in bundle
    assert graphs.has_dot()


def test_without_dot(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    g = refs_graph(L([1]), max_depth=1)
    assert not graphs.has_dot()
    with pytest.raises(graphs.GraphvizNotFoundError) as info:
        graphs.to_svg(g)
    assert "apt-get install graphviz" in str(info.value) and "notebook" in str(info.value)
    bundle = graphs.GraphView(g)._repr_mimebundle_()
    assert "image/svg+xml" not in bundle
    assert bundle["text/vnd.graphviz"].startswith("digraph")
    assert "not installed" in bundle["text/html"] and "&lt;" not in bundle["text/html"][:60]
    assert graphs.to_dot(g).startswith("digraph")  # DOT never needs the executable


def test_show_helpers_hide_their_own_arguments():
    target = L()
    holder = [target]
    view = graphs.show_backrefs(target, max_depth=1)
    ids = {n.id for n in view.model.nodes}
    assert ids == {id(target), id(holder)}
    assert repr(view).startswith("<GraphView <GraphModel backrefs")
    assert graphs.show_refs(holder, max_depth=1).model.roots == {id(holder)}


def test_mimebundle_never_raises():
    class Broken(graphs.GraphView):
        @property
        def dot(self):
            raise RuntimeError("boom")

    bundle = Broken(refs_graph([1], max_depth=1))._repr_mimebundle_()
    assert "could not build the graph: RuntimeError: boom" in bundle["text/plain"]


# ---------------------------------------------------------------------------
# DataFrames
# ---------------------------------------------------------------------------


def test_node_and_edge_frames(mod):
    big = L(L() for _ in range(50))
    g = refs_graph(big, max_depth=1, max_fanout=5, filter=lambda o: not isinstance(o, type))
    nodes = frames_graphs.graph_nodes_frame(g)
    assert tuple(nodes.columns) == frames_graphs.NODE_COLUMNS
    assert str(nodes["id"].dtype) == "int64" and str(nodes["type"].dtype) == "string"
    assert nodes["root"].sum() == 1 and nodes.loc[nodes["root"], "id"].item() == id(big)
    more = nodes[nodes["kind"] == "more"]
    assert more["count"].tolist() == [45] and (more["id"] < 0).all()
    edges = frames_graphs.graph_edges_frame(g)
    assert tuple(edges.columns) == frames_graphs.EDGE_COLUMNS
    assert len(edges) == 6 and set(edges["label"]) >= {"[0]", "[4]"}
    for result in _all_results(mod):
        assert len(frames_graphs.graph_nodes_frame(result)) == len(graphs.as_model(result).nodes)


def test_empty_frames_keep_their_dtypes():
    df = frames_graphs.graph_edges_frame(ReferenceGraph([]))
    assert len(df) == 0 and tuple(df.columns) == frames_graphs.EDGE_COLUMNS
    assert str(df["src"].dtype) == "int64"


def test_chains_frame(mod):
    mod.cache = {"x": Labelled("t"), "y": None}
    mod.other = [mod.cache["x"]]
    r = why_alive(mod.cache["x"])
    df = frames_graphs.chains_frame(r)
    assert tuple(df.columns) == frames_graphs.CHAIN_COLUMNS
    assert list(df.columns[:4]) == ["root", "path", "length", "releasable_bytes"]
    assert str(df["releasable_bytes"].dtype) == "Int64"
    row = df.set_index("path").loc["graphs_probe_mod.cache['x']"]
    assert row["length"] == 2 and row["action"] == "del graphs_probe_mod.cache['x']"
    assert row["root_kind"] == "module" and row["releasable_bytes"] == 0
    assert df.attrs["plan_releasable_bytes"] > 0 and len(df.attrs["plan"]) == 2
    assert str(df["needs_collect"].dtype) == "bool" and not df["needs_collect"].any()
    assert df.attrs["plan_needs_collect"] is False
    df2 = frames_graphs.chains_frame(why_alive(mod.cache["x"], releasable=False))
    assert df2["releasable_bytes"].isna().all() and not df2["needs_collect"].any()
    mod.loop = {"me": None}
    mod.loop["me"] = mod.loop  # deleting the global leaves a self-reference to collect
    df3 = frames_graphs.chains_frame(why_alive(mod.loop))
    row = df3.set_index("path").loc["graphs_probe_mod.loop"]
    assert row["needs_collect"] and df3.attrs["plan_needs_collect"] is True
    mod.loop.clear()
    with pytest.raises(TypeError, match="WhyAlive result"):
        frames_graphs.chains_frame(df)


def test_graph_modules_keep_core_light():
    code = ("import sys, pympler_nb.core.refgraph, pympler_nb.core.whyalive, "
            "pympler_nb.core.garbagegraph, pympler_nb.core.refbrowser\n"
            "print([m for m in ('graphviz', 'pandas', 'IPython') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
