"""Pympler's web pages in ``%memdash`` (widgets/dashboard_tabs.py, widgets/dashboard.py):
a tracked class's detail (``/tracker/class/<name>``), an object's detail with referents
and referrers (``/objects/<id>``, reached from the Classes tab and from a frame's locals
on the Process tab), and a drawn reference graph per garbage cycle
(``/garbage/graph/<n>``); the static (export) views of them; nothing kept alive."""

from __future__ import annotations

import functools
import gc
import json
import weakref

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from _ipython import run
from _widgets import thread_running

from pympler_nb import graphs
from pympler_nb.core.classtracker import ClassTracker
from pympler_nb.widgets import dashboard_tabs as tabs
from pympler_nb.widgets.dashboard import Dashboard

OFF = {"timeline": None, "variables": None}


class Basket:
    """A tracked class with realistic data: Arrow, categorical and object columns, an object
    array and a functools cache."""

    def __init__(self, n):
        self.frame = pd.DataFrame({"s": pd.Series([f"b{i}" for i in range(n)], dtype="string[pyarrow]"),
                                   "c": pd.Categorical(["x", "y"] * (n // 2)),
                                   "o": pd.Series([{"k": i} for i in range(n)], dtype=object),
                                   "a": pd.Series([1.5] * n, dtype=pd.ArrowDtype(pa.float64()))})
        self.objs = np.array([[i] for i in range(n)] + [None], dtype=object)[:-1]
        self.lookup = functools.lru_cache(maxsize=None)(str)
        for i in range(20):
            self.lookup(i)


@pytest.fixture()
def tracked():
    tracker = ClassTracker()
    tracker.track_class(Basket, name="Basket", resolution_level=2, trace=True)
    baskets = [Basket(20), Basket(2000)]
    tracker.create_snapshot("two")
    baskets.append(Basket(400))
    tracker.create_snapshot("three")
    yield tracker, baskets
    tracker.close()


def _table(blocks, prefix):
    (found,) = [b for b in blocks if b["kind"] == "table" and b["title"].startswith(prefix)]
    return found


def _linked(block, text):
    """The key of the linked cell showing ``text``."""
    col = block["link"]["column"]
    (key,) = [k for row, k in zip(block["rows"], block["keys"]) if row[col] == text]
    return key


def test_a_class_opens_its_detail_with_instances_traces_and_referent_trees(tracked):
    tracker, baskets = tracked
    dash = Dashboard(providers=OFF, tab="classes", tracker=lambda: tracker)
    last = _table(dash.pages["classes"]["blocks"], "Tracked classes at the last snapshot")
    assert last["link"] == {"column": 0, "what": "class"} and last["keys"] == ["Basket"]
    assert dash.handle({"type": "detail", "tab": "classes", "what": "class", "key": "Basket"}) is None
    detail = dash.pages["classes"]["detail"]
    assert detail["kind"] == "section" and detail["title"] == "Class Basket"
    blocks = detail["blocks"]
    assert "3 instances of Basket were registered" in blocks[0]["text"]
    inst = _table(blocks, "Instances of Basket")
    assert inst["columns"][-2].startswith("size @ two") and inst["columns"][-1].startswith("size @ three")
    assert inst["rows"][0][1] == f"{id(baskets[1]):#x}"  # the largest first
    sizes = [r[6] for r in inst["rows"]]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 100_000
    (third,) = [r for r in inst["rows"] if r[1] == f"{id(baskets[2]):#x}"]
    assert third[-2] is None and third[-1] > 0  # the third basket was not sized in the first snapshot
    # the merged referent trees name the attributes that make an instance big
    trees = [b for b in blocks if b["kind"] == "tree"]
    assert len(trees) == 2 and trees[-1].get("collapsed") is False
    names = [n["name"] for n in tabs_tree_nodes(trees[-1])]
    assert "__dict__" in names and any(n.startswith("[V] frame") for n in names)
    # each of the largest instances: its trace and its referent tree per snapshot
    sections = [b for b in blocks if b["kind"] == "section"]
    assert len(sections) == 3 and sections[0]["title"] == f"Instance Basket at {id(baskets[1]):#x}"
    kinds = [b["kind"] for b in sections[0]["blocks"]]
    assert kinds[:2] == ["note", "pre"] and kinds.count("tree") == 2
    trace = sections[0]["blocks"][1]["text"]
    assert "test_memdash_pages.py" in trace and "Basket(2000)" in trace
    json.dumps(dash.pages)  # plain JSON
    html, text = dash.static_html(), dash.text()
    assert "Class Basket" in html and "<details" in html and "[V] frame" in html
    assert "Instances of Basket" in text and "Instantiation" in text


def tabs_tree_nodes(block):
    out, stack = [], list(block["nodes"])
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(node["children"])
    return out


def test_an_instance_opens_its_object_detail_and_referents_open_theirs(tracked):
    tracker, baskets = tracked
    dash = Dashboard(providers=OFF, tab="classes", tracker=lambda: tracker)
    dash.handle({"type": "detail", "tab": "classes", "what": "class", "key": "Basket"})
    inst = _table(dash.pages["classes"]["detail"]["blocks"], "Instances of Basket")
    key = inst["keys"][0]
    assert dash.handle({"type": "detail", "tab": "classes", "what": "object", "key": key}) is None
    page = dash.pages["classes"]
    assert page["detail"]["title"] == "Class Basket"  # the class detail stays
    obj = page["object"]
    assert obj["title"] == f"Object {Basket.__module__}.Basket at {id(baskets[1]):#x}"
    facts = {i["label"]: i for i in obj["blocks"][0]["items"]}
    assert facts["deep size"]["bytes"] > 100_000 and facts["type"]["value"].endswith("Basket")
    refs = _table(obj["blocks"], "Referents")
    names = [r[0] for r in refs["rows"]]
    assert {"frame", "objs", "lookup"} <= set(names)
    assert names[0] == "frame"  # the DataFrame is the biggest attribute
    held = _table(obj["blocks"], "Referrers")
    assert any(r[0] == "list" for r in held["rows"])  # the test's list of baskets
    # follow the DataFrame, then its Arrow string column
    dash.handle({"type": "detail", "tab": "classes", "what": "object", "key": _linked(refs, "frame")})
    frame = dash.pages["classes"]["object"]
    assert frame["title"].startswith("Object pandas.DataFrame")
    cols = _table(frame["blocks"], "Referents")
    col_names = [r[0] for r in cols["rows"]]
    arrow = [n for n in col_names if n.startswith("column 's'")]
    assert arrow and any(n.startswith("column 'o'") for n in col_names), col_names
    dash.handle({"type": "detail", "tab": "classes", "what": "object", "key": _linked(cols, arrow[0])})
    assert "String" in dash.pages["classes"]["object"]["title"] or "Arrow" in dash.pages["classes"]["object"]["title"]
    # the object array and the functools cache are described too
    dash.handle({"type": "detail", "tab": "classes", "what": "object", "key": _linked(refs, "objs")})
    assert dash.pages["classes"]["object"]["title"].startswith("Object numpy.ndarray")
    dash.handle({"type": "detail", "tab": "classes", "what": "object", "key": _linked(refs, "lookup")})
    assert "lru_cache" in dash.pages["classes"]["object"]["title"]
    html = dash.static_html()
    assert "Referents (" in html and "Referrers (" in html


def test_an_object_the_widget_shows_is_not_kept_alive_and_is_said_gone(tracked):
    tracker, baskets = tracked
    dash = Dashboard(providers=OFF, tab="classes", tracker=lambda: tracker)
    objs = _table(dash.pages["classes"]["blocks"], "Tracked instances")
    col = objs["link"]["column"]
    assert objs["columns"][col] == "name" and all(objs["keys"])
    dash.handle({"type": "detail", "tab": "classes", "what": "class", "key": "Basket"})
    inst = _table(dash.pages["classes"]["detail"]["blocks"], "Instances of Basket")
    dash.handle({"type": "detail", "tab": "classes", "what": "object", "key": inst["keys"][0]})
    refs = _table(dash.pages["classes"]["object"]["blocks"], "Referents")
    frame_key = _linked(refs, "frame")
    ref = weakref.ref(baskets[1])
    frame_ref = weakref.ref(baskets[1].frame)
    del baskets[1]
    gc.collect()
    assert ref() is None and frame_ref() is None  # the dashboard kept neither
    for key in (inst["keys"][0], frame_key):
        assert dash.handle({"type": "detail", "tab": "classes", "what": "object", "key": key}) is None
        gone = dash.pages["classes"]["object"]
        assert gone["kind"] == "note" and "gone" in gone["text"]
    # an attribute replaced since it was listed: gone too (never another object under that id)
    dash.handle({"type": "detail", "tab": "classes", "what": "object", "key": inst["keys"][1]})
    refs = _table(dash.pages["classes"]["object"]["blocks"], "Referents")
    frame_key = _linked(refs, "frame")
    baskets[1].frame = baskets[1].frame.copy()  # Basket(400), the second largest
    dash.handle({"type": "detail", "tab": "classes", "what": "object", "key": frame_key})
    assert "gone" in dash.pages["classes"]["object"]["text"]


def test_a_frames_locals_open_their_object_detail():
    def hold(ready, done):
        table = pd.DataFrame({"s": pd.Series(["v"] * 500, dtype="string[pyarrow]")})  # noqa: F841
        ready.set()
        done.wait(30)

    with thread_running(hold, "pages-thread"):
        dash = Dashboard(providers=OFF)
        stacks = [b for b in dash.pages["process"]["blocks"] if b["kind"] == "stack"]
        (mine,) = [b for b in stacks if "pages-thread" in b["title"]]
        (frame,) = [f for f in mine["frames"] if f["function"] == "hold"]
        dash.handle({"type": "locals", "thread": mine["thread"], "depth": frame["depth"],
                     "frame_id": frame["frame_id"]})
        local = dash.pages["process"]["detail"]
        assert local["link"] == {"column": 0, "what": "object"}
        click = {"type": "detail", "tab": "process", "what": "object", "key": _linked(local, "table")}
        assert dash.handle(click) is None
        obj = dash.pages["process"]["object"]
        assert obj["title"].startswith("Object pandas.DataFrame")
        held = _table(obj["blocks"], "Referrers")
        assert held["total"] >= 1
        key = _linked(local, "table")
    dash.handle({"type": "detail", "tab": "process", "what": "object", "key": key})
    assert "gone" in dash.pages["process"]["object"]["text"]


class Knot:
    pass


def _make_cycles():
    for i in range(3):
        a, b = Knot(), Knot()
        a.other, b.other = b, a
        a.payload = list(range(100 * (i + 1)))
        del a, b
    lst = []
    lst.append(lst)
    del lst


@pytest.mark.needs_dot
def test_garbage_tab_draws_each_cycle_as_inline_svg():
    gc.collect()
    _make_cycles()
    dash = Dashboard(providers=OFF, tab="garbage")
    blocks = dash.pages["garbage"]["blocks"]
    cycles = [b for b in blocks if b["kind"] == "table" and b["title"].startswith("Cycle")
              and "references" not in b["title"]]
    drawn = [b for b in blocks if b["kind"] == "graph"]
    assert len(cycles) >= 4 and len(drawn) == len(cycles)
    for block in drawn:
        assert block["svg"].startswith("<svg") and "</svg>" in block["svg"] and block["dot"] is None
    assert [b.get("collapsed") for b in drawn[:4]] == [False, False, False, True]
    assert any("Knot" in b["svg"] for b in drawn)
    html = dash.static_html()
    assert html.count("<svg") >= len(drawn) and "<script" not in html
    assert "reference graph" in dash.text()
    # not reduced: everything unreachable is drawn too
    _make_cycles()
    dash.handle({"type": "option", "tab": "garbage", "name": "reduce", "value": False})
    assert [b for b in dash.pages["garbage"]["blocks"] if b["kind"] == "graph"]


def test_garbage_graphs_without_dot_show_the_dot_text(monkeypatch):
    gc.collect()
    _make_cycles()
    monkeypatch.setattr(graphs, "has_dot", lambda cmd="dot": False)
    dash = Dashboard(providers=OFF, tab="garbage")
    drawn = [b for b in dash.pages["garbage"]["blocks"] if b["kind"] == "graph"]
    assert drawn and all(b["svg"] is None and b["dot"].startswith("digraph") for b in drawn)
    assert "not installed" in drawn[0]["note"]
    assert "digraph" in dash.static_html() and "not installed" in dash.static_html()


def test_tree_blocks_are_cut_and_built_without_recursion():
    from pympler_nb.core.asizeof import Asized

    deep = root = Asized(10_000, 10)
    for i in range(3000):  # far deeper than the recursion limit would allow recursively
        kid = Asized(10_000 - i, 1, (), f"level{i}")
        deep.refs = (kid,)
        deep = kid
    block = tabs.tree_block("deep", root)
    assert len(tabs_tree_nodes(block)) == tabs.MAX_TREE_NODES
    wide = Asized(1000, 0, [Asized(1000 - i, 1, (), f"k{i}") for i in range(200)])
    block = tabs.tree_block("wide", wide)
    assert len(block["nodes"]) == tabs.MAX_TREE_CHILDREN + 1 and "150 smaller" in block["nodes"][-1]["name"]
    text = "\n".join(dash_text_of(block))
    assert "k0" in text and "150 smaller" in text


def dash_text_of(block):
    """The text view of a dashboard showing ``block`` as the open tab's detail."""
    dash = Dashboard(providers=OFF, tab="garbage")
    page = dict(dash.pages["garbage"], detail=block)
    dash.pages = {**dash.pages, "garbage": page}
    return dash.text().splitlines()


@pytest.mark.parametrize(("message", "text"), [
    ({"type": "detail", "tab": "classes", "what": "class", "key": "X"}, "not computed"),
    ({"type": "detail", "tab": "process", "what": "thing", "key": "X"}, "'class' or 'object'"),
    ({"type": "detail", "tab": "process", "what": "object", "key": 3}, "key a string"),
    ({"type": "detail", "tab": "process", "what": "object", "key": "o999999"}, "unknown object key"),
    ({"type": "detail", "tab": "process", "what": "class", "key": "X"}, "Classes tab"),
    ({"type": "detail", "tab": "nope", "what": "class", "key": "X"}, "unknown tab"),
])
def test_bad_detail_messages_get_an_error_reply(message, text):
    dash = Dashboard(providers=OFF)
    reply = dash.handle(message)
    assert reply["type"] == "error" and text in reply["message"], reply


def test_unknown_class_says_so(tracked):
    tracker, _ = tracked
    dash = Dashboard(providers=OFF, tab="classes", tracker=lambda: tracker)
    dash.handle({"type": "detail", "tab": "classes", "what": "class", "key": "Nope"})
    assert "not a tracked name; tracked: Basket" in dash.pages["classes"]["detail"]["text"]


def test_shell_memdash_class_detail_and_object_detail(shell, monkeypatch):
    """``%memdash`` in the IPython shell: the Classes tab's class opens its detail, an
    instance its object detail (the messages the browser sends)."""
    import pympler_nb.magics_memdash as magics_memdash

    shown = []
    real_show = magics_memdash.show
    monkeypatch.setattr(magics_memdash, "show", lambda view: (shown.append(view), real_show(view)))
    shell.user_ns["Basket"] = Basket
    run(shell, "%classtrack track Basket --resolution 2 --trace")
    run(shell, "_bs = [Basket(100), Basket(800)]")
    run(shell, "%classtrack snapshot one")
    try:
        result, _ = run(shell, "%memdash --tab classes")
        assert result.success
        (dash,) = shown
        name = _table(dash.pages["classes"]["blocks"], "Tracked classes at the last snapshot")["rows"][0][0]
        assert dash.handle({"type": "detail", "tab": "classes", "what": "class", "key": name}) is None
        detail = dash.pages["classes"]["detail"]
        inst = _table(detail["blocks"], "Instances of")
        assert len(inst["rows"]) == 2 and any(b["kind"] == "tree" for b in detail["blocks"])
        trace = [b for s in detail["blocks"] if s["kind"] == "section" for b in s["blocks"] if b["kind"] == "pre"]
        assert trace and "Basket(800)" in trace[0]["text"]
        dash.handle({"type": "detail", "tab": "classes", "what": "object", "key": inst["keys"][0]})
        obj = dash.pages["classes"]["object"]
        assert obj["title"].startswith("Object")
        assert id(shell.user_ns["_bs"][1]) == int(obj["title"].rsplit(" ", 1)[1], 16)
        held = _table(obj["blocks"], "Referrers")
        assert any(r[0] == "list" for r in held["rows"])
        dash.close()
    finally:
        run(shell, "%classtrack stop")
        shell.user_ns.pop("_bs", None)


def test_the_details_and_object_paths_are_our_own_objects(tracked):
    """The details and the paths the widget keeps (ids and names) are registered with the
    session: every walk (SummaryTracker diffs, the %memwatch ledger) leaves them out."""
    from pympler_nb.core.session import own_ids

    tracker, _ = tracked
    dash = Dashboard(providers=OFF, tab="classes", tracker=lambda: tracker)
    dash.handle({"type": "detail", "tab": "classes", "what": "class", "key": "Basket"})
    inst = _table(dash.pages["classes"]["detail"]["blocks"], "Instances of Basket")
    dash.handle({"type": "detail", "tab": "classes", "what": "object", "key": inst["keys"][0]})
    ids = own_ids()
    obj = dash.pages["classes"]["object"]
    assert id(obj) in ids and id(obj["blocks"]) in ids and id(dash.pages["classes"]["detail"]) in ids
    assert id(dash._handles) in ids and all(id(path) in ids for path in dash._handles.values())
