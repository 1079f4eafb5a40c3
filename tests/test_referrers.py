"""Item 21 of issue 17: ``%referrers EXPR`` and ``refbrowser.InteractiveBrowser(obj).main()``
open the size tree widget walking referrers (who holds an object, lazily, named in
notebook terms), with the size tree's validated messages, "show more" and static
fallback; nothing of the user's is kept alive, the widget and our frames never appear."""

from __future__ import annotations

import gc
import io
import sys
import types
import weakref

import pytest

from _ipython import run, texts, usage_error
from pympler_nb.core import refbrowser
from pympler_nb.core.refbrowser import InteractiveBrowser, Referrer, ReferrerWalk
from pympler_nb.core.session import SNAPSHOT_LOCALS
from pympler_nb.widgets import NodeGone, SizeTree, StaticSizeTree, _static
from pympler_nb.widgets.referrers import ReferrerTreeSource, referrer_tree_view
from tests._widgets import ask, expand


class Holder:
    def __init__(self, data):
        self.data = data


@pytest.fixture()
def notebook_globals(monkeypatch):
    """A module standing in for a notebook's ``__main__`` (its globals name holders)."""
    main = types.ModuleType("__main__")
    monkeypatch.setitem(sys.modules, "__main__", main)
    return main.__dict__


def test_holders_are_named_in_notebook_terms(notebook_globals):
    ns = notebook_globals
    payload = bytearray(1000)
    ns["payload"] = payload
    ns["cache"] = [0, 1, payload]
    ns["table"] = {"k": payload}
    ns["h"] = Holder(payload)
    labels = {r.label: r for r in ReferrerWalk(payload).referrers()}
    assert {"global `payload`", "item 2 of list `cache`", "value ['k'] of dict `table`",
            "attribute .data of Holder `h`"} <= set(labels)
    assert labels["global `payload`"].root and not labels["global `payload`"].expandable
    cache_row = labels["item 2 of list `cache`"]
    assert cache_row.type == "list" and cache_row.size == sys.getsizeof(ns["cache"])
    assert cache_row.expandable and not cache_row.root
    # one level up from the list: the global that binds it, a root
    up = ReferrerWalk(payload).referrers((cache_row.id,))
    assert [r.label for r in up] == ["global `cache`"] and up[0].root


def test_frames_locals_and_module_globals():
    mod = types.ModuleType("featstore_demo")
    sys.modules["featstore_demo"] = mod
    try:
        mod.default = blob = bytearray(50)

        def worker(arr):
            return [r.label for r in ReferrerWalk(arr).referrers()]

        labels = worker(blob)
        assert "featstore_demo.default" in labels
        if not SNAPSHOT_LOCALS:  # 3.13+: running functions' locals are read without side effect
            assert "local `arr` of frame worker()" in labels
            assert "local `blob` of frame test_frames_locals_and_module_globals()" in labels
        else:  # 3.11/3.12: not read (a snapshot would keep the object alive): nothing listed
            assert not [label for label in labels if "frame" in label]
        # pympler_nb's own frames (the walk's, the widget's) are never listed
        assert not [label for label in labels if "referrers()" in label or "_describe" in label]
    finally:
        del sys.modules["featstore_demo"]


def test_path_is_checked_and_nothing_is_kept():
    payload = bytearray(100)
    box = Holder(payload)
    probe = weakref.ref(box)
    walk = ReferrerWalk(payload)
    rows = walk.referrers()
    row = next(r for r in rows if r.id == id(box))
    assert isinstance(row, Referrer) and row.label == "attribute .data of Holder"
    del rows, row
    box_id = id(box)
    del box
    gc.collect()
    assert probe() is None  # the walk does not keep the holders it listed
    with pytest.raises(LookupError, match="no longer holds"):
        walk.referrers((box_id,))
    with pytest.raises(TypeError, match="ids of holders"):
        walk.referrers(("0",))
    walk.release()
    with pytest.raises(LookupError, match="released"):
        walk.referrers()


def test_source_pages_show_more_and_realistic_holders():
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    import functools

    shared = "x" * 1000 + "shared"  # a str held by a pandas object column, an object array,
    ns = {"df": pd.DataFrame({"s": pd.Series([shared, "b"], dtype=object), "c": pd.Categorical(["a", "b"])}),
          "arr": np.array([shared, None], dtype=object)}  # as a notebook's globals hold them
    many = [[shared] for _ in range(250)]  # 250 lists: "show more" pages

    @functools.lru_cache(maxsize=4)
    def load(n):
        return shared

    load(1)
    tree = SizeTree(ReferrerTreeSource(shared, name="shared"), page_size=100)
    first = expand(tree, "0")
    assert first["total"] >= 250 + 2 and len(first["nodes"]) == 100
    second = expand(tree, "0", 100)
    assert second["offset"] == 100 and len(second["nodes"]) == 100
    names = [n["name"] for n in first["nodes"] + second["nodes"] + expand(tree, "0", 200)["nodes"]]
    assert sum(name == "item 0 of list" for name in names) == 250
    # `arr`, and the DataFrame's object block (2-D: row 0 of column 0)
    assert {"item 0 of ndarray", "item 0, 0 of ndarray"} <= set(names), sorted(set(names))
    assert "cell: .cell_contents" in names and "_lru_cache_wrapper: cached load(1)" in names
    # the size tree's validated messages
    assert "unknown node id" in ask(tree, {"type": "expand", "id": "0/99999"})["message"]
    assert "offset must be an integer" in ask(tree, {"type": "expand", "id": "0", "offset": "x"})["message"]
    assert "skips children" in ask(tree, {"type": "expand", "id": "0", "offset": 5000})["message"]
    # a list row expands to who holds it: the list `many`
    row = next(n for n in first["nodes"] if n["name"] == "item 0 of list")
    assert row["has_children"]
    up = expand(tree, row["id"])
    assert up["total"] == 1 and up["nodes"][0]["type"] == "list"  # the outer list `many`
    assert up["nodes"][0]["name"].startswith("item ") and up["nodes"][0]["size"] == sys.getsizeof(many)
    tree.close()
    del ns


def test_widget_keeps_nothing_alive_and_lists_itself_nowhere():
    payload = Holder(bytearray(10_000))
    box = {"p": payload}
    probe = weakref.ref(payload)
    tree = SizeTree(ReferrerTreeSource(payload, name="payload"))
    rows = expand(tree, "0")["nodes"]
    types_shown = {n["type"] for n in rows}
    assert "dict" in types_shown
    assert not types_shown & {"SizeTree", "ReferrerTreeSource", "ReferrerWalk", "_RootBox"}, rows
    frames = [n["name"] for n in rows if n["type"] == "frame"]  # this test's own local only (3.13+)
    assert frames in ([], ["local `payload` of frame test_widget_keeps_nothing_alive_and_lists_itself_nowhere()"])
    dict_row = next(n for n in rows if n["name"] == "value ['p'] of dict")
    expand(tree, dict_row["id"])
    tree.close()
    del tree, rows, box, payload, dict_row
    gc.collect()
    assert probe() is None


def test_non_weakrefable_object_is_released_on_close():
    item = Holder(1)
    probe = weakref.ref(item)
    data = [item]  # a list cannot be weakly referenced: held until close
    holder = {"data": data}
    tree = SizeTree(ReferrerTreeSource(data))
    rows = expand(tree, "0")["nodes"]
    assert [n["name"] for n in rows if n["type"] == "dict"] == ["value ['data'] of dict"]
    del data, item, holder
    gc.collect()
    assert probe() is not None
    tree.close()
    gc.collect()
    assert probe() is None
    reply = ask(tree, {"type": "expand", "id": "0"})
    assert reply["type"] == "error" and "closed" in reply["message"]


def test_source_errors_are_node_gone():
    payload = Holder(10)
    src = ReferrerTreeSource(payload)
    with pytest.raises(NodeGone, match="unknown node id"):
        src.children("0/3")
    del payload
    gc.collect()
    with pytest.raises(NodeGone, match="no longer exists"):
        src.children("0")


def test_static_fallback_in_batch_runs(monkeypatch):
    payload = bytearray(10)
    box = Holder(payload)
    probe = weakref.ref(box)
    monkeypatch.setattr(_static, "interactive_frontend", lambda: False)
    view = referrer_tree_view(payload, name="payload", title="who holds payload")
    assert isinstance(view, StaticSizeTree)
    bundle = view._repr_mimebundle_()
    assert "attribute .data of Holder" in bundle["text/plain"] and "<table>" in bundle["text/html"]
    assert "who holds payload" in bundle["text/html"]
    del box
    gc.collect()
    assert probe() is None  # the static view keeps nothing
    monkeypatch.setattr(_static, "interactive_frontend", lambda: True)
    view = referrer_tree_view(payload, name="payload")
    assert isinstance(view, SizeTree)
    view.close()


def test_interactive_browser_prints_the_console_tree_outside_a_notebook():
    payload = bytearray(10)
    box = [payload]  # noqa: F841
    out = io.StringIO()
    assert InteractiveBrowser(payload, maxdepth=1, stream=out).main() is None
    assert out.getvalue().splitlines() == ["bytearray--list"]


def test_interactive_browser_opens_the_widget_in_a_kernel(monkeypatch):
    shown = []
    monkeypatch.setattr(refbrowser, "running_shell", lambda: types.SimpleNamespace(kernel=object()))
    import pympler_nb.widgets.referrers as wref

    monkeypatch.setattr(wref, "show_referrers", lambda obj: shown.append(type(obj).__name__) or "view")
    assert InteractiveBrowser(bytearray(3)).main() == "view"
    assert shown == ["bytearray"]


def test_referrers_magic(shell):
    result, cap = run(shell, "blob = bytearray(5000)\ncache = [0, blob]\n%referrers blob")
    assert result.error_in_exec is None and result.error_before_exec is None
    (text,) = texts(cap)
    assert "Who holds blob" in text and "item 1 of list `cache`" in text and "global `blob`" in text
    assert result.result is None  # nothing goes to Out[n] (no `_` shift)
    assert "give an expression" in usage_error(shell, "%referrers")
    assert "interpreter itself shares" in usage_error(shell, "%referrers 1")
    assert "--page-size 0 is too small" in usage_error(shell, "%referrers --page-size 0 blob")
    assert "too large" in usage_error(shell, "%referrers --page-size 100000 blob")
    assert "not defined" in usage_error(shell, "%referrers nosuch")
    run(shell, "del blob, cache")
