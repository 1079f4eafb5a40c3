"""The ``%memdash`` dashboard (widgets/dashboard.py, widgets/dashboard_tabs.py,
magics_memdash.py): each tab computed only when opened, the tabs' data on realistic
objects, the message validation, and the static (export) views of the open tab."""

from __future__ import annotations

import functools
import gc

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from _ipython import run, texts, usage_error
from _widgets import thread_running

from pympler_nb.core.classtracker import ClassTracker
from pympler_nb.widgets import dashboard_tabs as tabs
from pympler_nb.widgets.dashboard import Dashboard

OFF = {"timeline": None, "variables": None}


class Order:
    """A tracked class holding realistic data: Arrow and categorical columns, an object array."""

    def __init__(self, i):
        self.frame = pd.DataFrame({"s": pd.Series([f"o{i}"] * 200, dtype="string[pyarrow]"),
                                   "c": pd.Categorical(["x", "y"] * 100),
                                   "a": pd.Series([1.5] * 200, dtype=pd.ArrowDtype(pa.float64()))})
        self.objs = np.array([{"k": i}] * 50, dtype=object)


@pytest.fixture()
def counted(monkeypatch):
    """Count the page computations per tab (the real functions still run)."""
    calls: dict[str, int] = {}

    def wrap(name, fn):
        def inner(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return fn(*args, **kwargs)
        return inner

    for name, fn in (("process", tabs.process_page), ("classes", tabs.classes_page),
                     ("garbage", tabs.garbage_page), ("provider", tabs.provider_page)):
        monkeypatch.setattr(tabs, fn.__name__, wrap(name, fn))
    return calls


def test_only_the_open_tab_is_computed(counted):
    dash = Dashboard(providers=OFF)
    assert counted == {"process": 1} and sorted(dash.pages) == ["process"]
    assert dash.handle({"type": "open", "tab": "classes"}) is None
    assert counted == {"process": 1, "classes": 1} and dash.active == "classes"
    dash.handle({"type": "open", "tab": "process"})  # opened again: not computed again
    dash.handle({"type": "open", "tab": "classes"})
    assert counted == {"process": 1, "classes": 1}
    dash.handle({"type": "refresh", "tab": "classes"})  # refresh computes it again
    assert counted == {"process": 1, "classes": 2}
    assert "garbage" not in dash.pages and "timeline" not in dash.pages
    dash.handle({"type": "open", "tab": "garbage"})
    dash.handle({"type": "open", "tab": "timeline"})
    dash.handle({"type": "open", "tab": "variables"})
    assert counted == {"process": 1, "classes": 2, "garbage": 1, "provider": 2}
    assert dash.computed == ["process", "classes", "classes", "garbage", "timeline", "variables"]


def test_first_tab_is_chosen_and_checked(counted):
    dash = Dashboard(providers=OFF, tab="garbage")
    assert counted == {"garbage": 1} and dash.active == "garbage"
    with pytest.raises(ValueError, match="unknown tab 'nope'"):
        Dashboard(tab="nope")


def test_process_tab_shows_memory_segments_and_threads():
    def hold(ready, done):
        big = np.zeros(500_000)  # noqa: F841 - a local to size
        cache = functools.lru_cache(maxsize=None)(str)  # noqa: F841
        ready.set()
        done.wait(30)

    with thread_running(hold, "dash-thread"):
        dash = Dashboard(providers=OFF)
        blocks = dash.pages["process"]["blocks"]
        memory = {i["label"]: i for i in blocks[0]["items"]}
        assert memory["Resident set size (RSS)"]["bytes"] > 10_000_000
        assert memory["Virtual size (VMS)"]["bytes"] >= memory["Resident set size (RSS)"]["bytes"]
        assert {"Proportional set size (PSS)", "Unique set size (USS)", "Swap", "Minor page faults",
                "Major page faults", "Container limit", "Container used"} <= set(memory)
        (segments,) = [b for b in blocks if b.get("title", "").startswith("Memory segments")]
        assert segments["columns"][:2] == ["name", "kind"] and segments["bytes"][4]  # rss
        kinds = {r[1] for r in segments["rows"]}
        assert {"anonymous", "file"} <= kinds and sum(r[4] for r in segments["rows"]) > 10_000_000
        (system,) = [b for b in blocks if b.get("title") == "Operating system"]
        assert "Size of stack segment" in {r[0] for r in system["rows"]}  # Pympler's segments
        stacks = [b for b in blocks if b["kind"] == "stack"]
        (mine,) = [b for b in stacks if "dash-thread" in b["title"]]
        frame = [f for f in mine["frames"] if f["function"] == "hold"][0]
        assert frame["code"] == "done.wait(30)" and isinstance(frame["frame_id"], str)
        assert [f["depth"] for f in mine["frames"]] == sorted((f["depth"] for f in mine["frames"]), reverse=True)
        # a click on the frame: its locals sized, shown under the page
        click = {"type": "locals", "thread": mine["thread"], "depth": frame["depth"], "frame_id": frame["frame_id"]}
        assert dash.handle(click) is None
        detail = dash.pages["process"]["detail"]
        assert detail["kind"] == "table" and detail["columns"][:3] == ["name", "type", "size"]
        rows = {r[0]: r for r in detail["rows"]}
        assert rows["big"][1].endswith("ndarray") and rows["big"][2] >= 4_000_000
        assert "cache" in rows and "Locals of hold()" in detail["title"]
        assert "Locals of hold()" in dash.static_html() and "ndarray" in dash.text()
        # a frame never shown is refused
        err = dash.handle(dict(click, frame_id=str(int(frame["frame_id"]) + 1)))
        assert err["type"] == "error" and "was not shown" in err["message"]
        err = dash.handle({"type": "locals", "thread": "1", "depth": 0, "frame_id": "1"})
        assert err["type"] == "error" and "ints >= 0" in err["message"]
    # the thread ended: its frame is gone, the tab says so instead of failing
    dash.handle(click)
    assert dash.pages["process"]["detail"]["kind"] == "note"
    assert "not running any more" in dash.pages["process"]["detail"]["text"]


def test_classes_tab_shows_the_trackers_stats_and_charts():
    dash = Dashboard(providers=OFF, tab="classes")
    assert "not on" in dash.pages["classes"]["blocks"][0]["text"]
    tracker = ClassTracker()
    try:
        tracker.track_class(Order)
        dash = Dashboard(providers=OFF, tab="classes", tracker=lambda: tracker)
        assert "no snapshot yet" in dash.pages["classes"]["blocks"][0]["text"]
        orders = [Order(i) for i in range(4)]
        tracker.create_snapshot("four")
        orders.append(Order(9))
        tracker.create_snapshot("five")
        dash.handle({"type": "refresh", "tab": "classes"})
        blocks = dash.pages["classes"]["blocks"]
        kinds = [b["kind"] for b in blocks]
        assert kinds.count("image") == 3 and "snapshots: 2" in blocks[0]["text"]  # memory, instances, lifetimes
        (last,) = [b for b in blocks if b.get("title") == "Tracked classes at the last snapshot"]
        assert last["columns"] == ["class", "active", "size", "average", "pct"]
        assert last["bytes"] == [False, False, True, True, False]
        (row,) = last["rows"]
        assert row[0].endswith("Order") and row[1] == 5 and row[2] > 5 * 200 * 2
        (inst,) = [b for b in blocks if b.get("title", "").startswith("Tracked instances")]
        assert len(inst["rows"]) == 5
        for image in (b for b in blocks if b["kind"] == "image"):
            assert image["text"].startswith("<chart: ")
            assert image["svg"] is None or "<svg" in image["svg"]
        del orders
    finally:
        tracker.close()


class _Cycle:
    pass


def _make_cycles(n):
    for _ in range(n):
        node = _Cycle()
        node.frame = pd.DataFrame({"x": np.arange(100), "s": pd.Series(["z"] * 100, dtype="string[pyarrow]")})
        node.back = [node]


def test_garbage_tab_groups_per_cycle_with_the_reduce_option():
    gc.collect()
    gc.disable()
    try:
        _make_cycles(3)
        dash = Dashboard(providers=OFF, tab="garbage")
        _make_cycles(2)
        assert dash.handle({"type": "option", "tab": "garbage", "name": "reduce", "value": False}) is None
    finally:
        gc.enable()
    assert dash.computed.count("garbage") == 2  # the option computed the tab again
    page = dash.pages["garbage"]
    assert page["options"] == {"reduce": False}
    titles = [b["title"] for b in page["blocks"] if b["kind"] == "table"]
    assert any(t.startswith("Cycle 1:") for t in titles)
    ours = [b for b in page["blocks"] if b["kind"] == "table" and b["columns"][0] == "type"
            and any("_Cycle" in r[0] for r in b["rows"])]
    assert len(ours) == 2  # one table per cycle
    for block in ours:  # not reduced: the frame hanging on the cycle is listed
        types = [r[0] for r in block["rows"]]
        assert any(t.endswith("DataFrame") for t in types)
        assert any(r[3] == "" for r in block["rows"])  # not on the cycle
    err = dash.handle({"type": "option", "tab": "process", "name": "reduce", "value": True})
    assert err["type"] == "error" and "garbage tab" in err["message"]
    gc.collect()
    assert not [o for o in gc.garbage if type(o) is _Cycle]  # released, not kept


def test_garbage_tab_reduced_lists_only_objects_on_cycles():
    gc.collect()
    gc.disable()
    try:
        _make_cycles(1)
        dash = Dashboard(providers=OFF, tab="garbage")
    finally:
        gc.enable()
    ours = [b for b in dash.pages["garbage"]["blocks"] if b["kind"] == "table" and b["columns"][0] == "type"
            and any("_Cycle" in r[0] for r in b["rows"])]
    assert len(ours) == 1 and all(r[3] == "yes" for r in ours[0]["rows"])
    assert not any(r[0].endswith("DataFrame") for r in ours[0]["rows"])


def test_provider_tabs_render_a_frame_and_a_chart():
    ledger = pd.DataFrame({"cell": [1, 2, 3], "rss": [100 << 20, 180 << 20, 120 << 20],
                           "rss_delta": [0, 80 << 20, -60 << 20],
                           "top": pd.Series(["a", "df", None], dtype="string[pyarrow]"),
                           "kind": pd.Categorical(["x", "y", "x"])})
    chart = alt.Chart(ledger).mark_line().encode(x="cell:Q", y="rss:Q")
    calls = []

    def timeline():
        calls.append(1)
        return ledger, chart

    dash = Dashboard(providers={"timeline": timeline, "variables": lambda: None})
    assert calls == []  # not opened yet
    dash.handle({"type": "open", "tab": "timeline"})
    blocks = dash.pages["timeline"]["blocks"]
    assert [b["kind"] for b in blocks] == ["image", "table"] and calls == [1]
    table = blocks[1]
    assert table["columns"] == ["cell", "rss", "rss_delta", "top", "kind"]
    assert table["bytes"] == [False, True, False, False, False]
    assert table["rows"][2] == [3, 120 << 20, -60 << 20, None, "x"]
    dash.handle({"type": "open", "tab": "variables"})
    assert "not available" in dash.pages["variables"]["blocks"][0]["text"]
    bad = Dashboard(providers={"timeline": lambda: 42, "variables": None}, tab="timeline")
    assert "could not be computed: TypeError" in bad.pages["timeline"]["blocks"][0]["text"]
    bad.handle({"type": "open", "tab": "process"})  # the other tabs still work
    assert bad.pages["process"]["blocks"][0]["kind"] == "metrics"


def test_frame_table_cuts_long_frames():
    df = pd.DataFrame({"name": [f"v{i}" for i in range(1200)], "size": np.arange(1200)})
    block = tabs.frame_table("vars", df)
    assert len(block["rows"]) == tabs.MAX_ROWS and block["total"] == 1200
    assert isinstance(block["rows"][0][1], int)  # numpy ints become JSON ints


@pytest.mark.parametrize("message, text", [
    (None, "expected a message object"),
    ({"type": "drop"}, "unknown message type 'drop'"),
    ({"type": "open", "tab": "network"}, "unknown tab 'network'"),
    ({"type": "open"}, "unknown tab None"),
    ({"type": "option", "tab": "garbage", "name": "reduce", "value": "yes"}, "reduce=true|false"),
    ({"type": "locals", "thread": 1, "depth": -1, "frame_id": "1"}, "ints >= 0"),
    ({"type": "locals", "thread": 1, "depth": 0, "frame_id": 3}, "frame_id must be the string"),
    ({"type": "locals", "thread": 1, "depth": 0, "frame_id": "3"}, "was not shown"),
])
def test_bad_messages_get_an_error_reply(message, text):
    dash = Dashboard(providers=OFF)
    reply = dash.handle(message)
    assert reply["type"] == "error" and text in reply["message"]
    assert sorted(dash.pages) == ["process"]


def test_static_views_show_the_open_tab():
    dash = Dashboard(providers=OFF)
    data, _ = dash._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" not in data  # no kernel: static only
    assert data["text/plain"].startswith("pympler_nb dashboard [Process]")
    assert "Resident set size" in data["text/html"] and "<b>Process</b>" in data["text/html"]
    dash.handle({"type": "open", "tab": "classes"})
    data, _ = dash._repr_mimebundle_()
    assert data["text/plain"].startswith("pympler_nb dashboard [Classes]")
    assert "Class Tracker is not on" in data["text/html"] and "Resident set size" not in data["text/html"]
    assert dash._fallback == dash.static_html()  # what a reopened notebook shows


def test_memdash_magic_displays_the_dashboard(shell):
    result, cap = run(shell, "%memdash --tab garbage")
    assert result.success and result.result is None
    shown = texts(cap)
    assert any(t.startswith("pympler_nb dashboard [Garbage]") for t in shown), shown
    shell.user_ns["Order"] = Order
    run(shell, "%classtrack track Order")
    run(shell, "_o = Order(1)")
    run(shell, "%classtrack snapshot")
    result, cap = run(shell, "%memdash --tab classes")
    assert any("Order" in t and "[Classes]" in t for t in texts(cap)), texts(cap)
    run(shell, "%classtrack stop")
    assert "--tab" in usage_error(shell, "%memdash --tab nope")
    assert "--bogus" in usage_error(shell, "%memdash --bogus")


@pytest.mark.kernel
@pytest.mark.slow
def test_exported_notebook_shows_the_open_tab_as_html(tmp_path):
    """``jupyter nbconvert --execute`` then ``--to html``: no widget model is created, the
    dashboard's output is the HTML of the tab it opened (here Classes), nothing from a CDN."""
    import json
    import os
    import pathlib
    import subprocess
    import sys

    import nbformat

    root = pathlib.Path(__file__).resolve().parents[1]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in [
        "%load_ext pympler_nb",
        "import pandas as pd\n"
        "class Order:\n"
        "    def __init__(self):\n"
        "        self.frame = pd.DataFrame({'s': pd.Series(['o'] * 100, dtype='string[pyarrow]')})\n"
        "%classtrack track Order\n"
        "orders = [Order() for _ in range(3)]\n"
        "%classtrack snapshot",
        "%memdash --tab classes",
        "%memdash",
    ]]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "dash.ipynb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(PYTHONPATH=str(root), HOME=str(tmp_path))
    for args in (["--to", "notebook", "--execute", "--output", "run.ipynb", "dash.ipynb"],
                 ["--to", "html", "run.ipynb"]):
        proc = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stderr[-3000:]
    ran = json.loads((tmp_path / "run.ipynb").read_text())
    assert "widgets" not in ran["metadata"]  # no widget model
    outputs = [c["outputs"] for c in ran["cells"]]
    assert not [o for out in outputs for o in out if o.get("output_type") == "error"]
    classes, process = ("".join(o["data"]["text/html"]) for out in outputs[2:] for o in out
                        if "text/html" in o.get("data", {}))
    assert "<b>Classes</b>" in classes and "Order" in classes and "Tracked classes at the last snapshot" in classes
    assert "<b>Process</b>" in process and "Resident set size (RSS)" in process and "MainThread" in process
    text = (tmp_path / "run.html").read_text()
    assert "pympler-nb-dash-static" in text and "cdn.jsdelivr.net" not in text
    assert "application/vnd.jupyter.widget-view+json" not in text


def test_the_pages_are_our_own_objects():
    """What the dashboard keeps (its pages) is registered with the session: every walk
    (SummaryTracker diffs, the %memwatch ledger) leaves it out."""
    from pympler_nb.core.session import own_ids

    dash = Dashboard(providers=OFF, tab="classes")
    page = dash.pages["classes"]
    ids = own_ids()
    assert id(dash.pages) in ids and id(page) in ids and id(page["blocks"]) in ids
    assert id(page["blocks"][0]["text"]) in ids


def test_a_provider_can_give_a_widget_shown_inside_the_tab():
    """The Variables tab can host ``%memvars``'s table widget: a provider returning a
    widget gets a ``widget`` block (its static HTML for exports); the dashboard keeps it
    while the tab shows it and closes it when the tab is computed again or closed."""
    from pympler_nb.widgets import SizeTree

    data = {"frame": pd.DataFrame({"s": pd.Series(["ab"] * 100, dtype="string[pyarrow]")}),
            "objs": np.array([{"k": 1}] * 20, dtype=object)}
    made = []

    def variables():
        made.append(SizeTree.from_objects([data], ["data"], title="variables"))
        return made[-1]

    dash = Dashboard(providers={"timeline": None, "variables": variables}, tab="variables")
    (block,) = dash.pages["variables"]["blocks"]
    assert block["kind"] == "widget" and block["ref"] == f"anywidget:{made[0].model_id}"
    assert "pympler-nb-tree-static" in block["html"] and "data" in block["text"]
    assert "pympler-nb-tree-static" in dash.static_html()
    dash.handle({"type": "refresh", "tab": "variables"})
    assert len(made) == 2 and made[0]._source is None  # the first one was closed (released)
    dash.close()
    assert made[1]._source is None
