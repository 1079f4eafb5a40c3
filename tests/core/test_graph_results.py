"""Every graph result of the core has ``to_graph()`` returning a ``GraphModel`` (issue 16)."""

from __future__ import annotations

import gc

import pytest

from pympler_nb.core import heap, refbrowser, refgraph, whyalive
from pympler_nb.core._graphwalk import GraphModel, walk_graph
from pympler_nb.core.garbagegraph import (
    GarbageGraph,
    clear_garbage,
    end_debug_garbage,
    start_debug_garbage,
)


class Node:
    def __init__(self, name):
        self.name = name
        self.next = None


def _structure():
    a, b = Node("a"), Node("b")
    a.next, b.next = b, a  # a cycle
    return {"pair": [a, b], "payload": bytearray(2000), "names": ["x" * 50 for _ in range(40)]}


def _check(model: GraphModel, start_ids=()):
    assert type(model) is GraphModel
    ids = {n.id for n in model.nodes}
    assert len(ids) == len(model.nodes) and model.nodes
    assert all(e.src in ids and e.dst in ids for e in model.edges)
    assert model.roots <= ids
    assert set(start_ids) <= ids
    assert model.to_graph() is model  # a GraphModel is its own graph


def _garbage_graph():
    clear_garbage()
    was_enabled = gc.isenabled()
    start_debug_garbage()
    try:
        a, b = [], []
        a.append(b)
        b.append(a)
        ids = (id(a), id(b))
        del a, b
        return GarbageGraph(), ids
    finally:
        end_debug_garbage()
        clear_garbage()
        if not was_enabled:
            gc.disable()


def test_every_graph_result_has_to_graph():
    data = _structure()
    results = {
        "walk_graph": (walk_graph([data], max_depth=2), [id(data)]),
        "refs_graph": (refgraph.refs_graph(data, max_depth=2), [id(data)]),
        "backrefs_graph": (refgraph.backrefs_graph(data["pair"][0], max_depth=2), [id(data["pair"][0])]),
        "ReferenceGraph": (refgraph.ReferenceGraph([data, data["pair"], *data["pair"]]), [id(data)]),
        "GarbageGraph": _garbage_graph(),
        "WhyAlive": (whyalive.why_alive(data["pair"][0]), [id(data["pair"][0])]),
        "RefTreeNode": (refbrowser.referrer_tree(data["payload"], maxdepth=2), [id(data["payload"])]),
    }
    snap = heap.take([data], via=True)
    node = snap.retained_tree(data)
    results["RetainedNode"] = (node, [id(data), id(data["payload"])])
    results["Subtree"] = (node.subtree(), [id(data), id(data["payload"])])
    for name, (result, start_ids) in results.items():
        model = result.to_graph()
        assert type(model) is GraphModel, name
        _check(model, start_ids)
    del snap, node


def test_reference_graph_to_graph_is_its_model():
    data = _structure()
    rg = refgraph.ReferenceGraph([data, data["pair"], *data["pair"]])
    assert rg.to_graph() is rg.model
    cyc = {n.id for n in rg.to_graph().nodes if n.cycle}
    assert {id(x) for x in data["pair"]} <= cyc


def test_referrer_tree_to_graph_points_from_referrer_to_referent():
    target = bytearray(10)
    holder = {"t": target}
    tree = refbrowser.referrer_tree(target, maxdepth=1)
    model = tree.to_graph()
    assert model.direction == "backrefs" and model.roots == {id(target)}
    assert any(e.src == id(holder) and e.dst == id(target) and e.label == "['t']" for e in model.edges)


def test_dominator_tree_to_graph_follows_the_tree_and_caps_it():
    data = {"big": [bytearray(100) for _ in range(50)], "small": "y" * 300}
    snap = heap.take([data], via=True)
    node = snap.retained_tree(data)
    full = node.to_graph(max_nodes=None)
    sub = node.subtree()
    assert len(full.nodes) == len(sub) and len(full.edges) == len(sub) - 1 and not full.truncated
    assert full.roots == {id(data)}
    labels = {(e.src, e.dst): e.label for e in full.edges}
    assert labels[(id(data), id(data["big"]))] == "['big']"
    # each node's text is its retained size; the root retains the whole structure
    root = full.node(id(data))
    assert root.repr.startswith("retains ") and root.depth == 0
    assert full.node(id(data["big"][0])).depth == 2
    cut = node.to_graph(max_nodes=10)
    objects = [n for n in cut.nodes if n.kind == "object"]
    more = [n for n in cut.nodes if n.kind == "more"]
    assert len(objects) == 10 and cut.truncated
    assert sum(n.count for n in more) == len(sub) - 10  # every cut object counted once
    _check(cut, [id(data)])
    with pytest.raises(ValueError, match="max_nodes must be an int >= 1"):
        node.to_graph(max_nodes=0)
    del snap, node, sub


def test_largest_components_keeps_whole_components_largest_first():
    rings = []
    for size in (3, 8, 2):
        ring = [Node(str(i)) for i in range(size)]
        for x, y in zip(ring, ring[1:] + ring[:1]):
            x.next = y
        rings.append(ring)
    model = refgraph.ReferenceGraph([n for ring in rings for n in ring]).to_graph()
    cut = model.largest_components(9)
    assert {n.id for n in cut.nodes} == {id(n) for n in rings[1]} and cut.truncated
    assert model.largest_components(len(model.nodes)) is model
    with pytest.raises(ValueError, match="max_nodes must be an int >= 1"):
        model.largest_components(0)
