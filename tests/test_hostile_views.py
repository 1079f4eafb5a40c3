"""The hostile-object corpus through the views (issue 14, objects): DataFrames (which
must convert to Arrow, as pandas 3 string columns are), widgets (whose state must survive
the comm's UTF-8 JSON), DOT graphs (accepted by ``dot``) and the magics ``%memsize``,
``%refgraph``, ``%whyalive``, ``%heap`` in a real IPython shell.

Each entry point runs in a subprocess over every kind (``tests/core/_hostile.py``), so a
hang fails at the timeout; see ``tests/core/test_hostile_corpus.py``.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pympler_nb import frames, frames_graphs
from pympler_nb.core import refgraph
from pympler_nb.core._format import text_safe
from tests.core import _hostile
from tests.core.test_hostile_corpus import failures, run_entry


@pytest.mark.parametrize("entry", ["frames", "widgets", "magics"])
def test_every_kind_through_views(entry):
    results = run_entry(entry, timeout=400)
    assert {r["kind"] for r in results} == set(_hostile.kinds())
    assert not failures(results), failures(results)


def test_heap_magic_with_every_kind_alive():
    (result,) = run_entry("magics_heap", "--all", timeout=400)
    assert result["ok"], failures([result])


@pytest.mark.needs_dot
def test_every_kind_through_dot():
    results = run_entry("graphs", timeout=400)
    assert {r["kind"] for r in results} == set(_hostile.kinds())
    assert not failures(results), failures(results)
    assert all(d == "dot ok" for r in results for d in r["detail"]), "dot was not run"


def test_text_safe_escapes_only_lone_surrogates():
    assert text_safe("plain ünïcødé <>\"\\\n\u202e\x00") == "plain ünïcødé <>\"\\\n\u202e\x00"
    assert text_safe("a\ud800b\udfff") == "a\\ud800b\\udfff"
    assert text_safe("\U0001f600") == "\U0001f600"  # a real pair is kept
    text_safe(_hostile.WEIRD_TEXT).encode("utf-8")


def test_frames_with_surrogates_convert_to_arrow():
    import pyarrow as pa

    weird = {_hostile.WEIRD_TEXT: [_hostile.WEIRD_TEXT]}
    df = frames.summary_frame([[_hostile.WEIRD_TEXT, 1, 10]])
    pa.Table.from_pandas(df)
    assert df["type"][0] == text_safe(_hostile.WEIRD_TEXT)
    g = refgraph.refs_graph(weird, max_depth=2)
    nodes = frames_graphs.graph_nodes_frame(g)
    assert str(nodes["repr"].dtype) in ("string", "str")
    nodes["repr"].astype("string[pyarrow]")
    pa.Table.from_pandas(frames_graphs.graph_edges_frame(g))
    assert isinstance(nodes, pd.DataFrame)


def test_widget_state_survives_the_comm():
    from pympler_nb.widgets import RefGraph, SizeTree

    weird = {_hostile.WEIRD_TEXT: [_hostile.WEIRD_TEXT]}
    tree = SizeTree.from_objects([weird], [_hostile.WEIRD_TEXT], title=_hostile.WEIRD_TEXT)
    try:
        state = {"roots": tree.roots, "title": tree.title}
        json.dumps(state, ensure_ascii=False).encode("utf-8", "surrogateescape")
        reply = tree._answer({"type": "expand", "id": tree.roots[0]["id"], "offset": 0})
        json.dumps(reply, ensure_ascii=False).encode("utf-8", "surrogateescape")
        assert any("\\ud800" in n["name"] for n in reply["nodes"])
    finally:
        tree.close()
    w = RefGraph(refgraph.refs_graph(weird), title=_hostile.WEIRD_TEXT)
    try:
        json.dumps({"dot": w.dot, "nodes": w.nodes, "title": w.title},
                   ensure_ascii=False).encode("utf-8", "surrogateescape")
    finally:
        w.close()
