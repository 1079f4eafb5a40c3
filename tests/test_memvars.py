"""Issue 20 item 1: ``%memvars``, its DataFrame (``frames_vars``), the variables table
widget (sort/filter in the browser, "free" through validated messages) and the free
action releasing a 100 MB array held by a variable and by ``Out[n]``."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from _ipython import error_of, run, texts, usage_error
from pympler_nb.core.process import ProcessMemoryInfo
from pympler_nb.frames_vars import VAR_COLUMNS, memvars_frame, vars_frame
from pympler_nb.widgets import _static
from pympler_nb.widgets.variables import VariablesTable
from tests._widgets import ask

MB = 2**20


def cell(shell, src):
    result, cap = run(shell, src)
    assert error_of(result) is None, (src, error_of(result))
    return result, cap


def test_magic_returns_the_table_with_hidden_holders(shell):
    cell(shell, "import numpy as np, pandas as pd\n"
                "arr = np.ones(2_000_000)\n"
                "view = arr[::4]\n"
                "frame = pd.DataFrame({'x': np.arange(10_000), 's': [str(i) for i in range(10_000)]})\n"
                "rows = frame.iloc[:, :]\n"
                "names = [str(i) * 5 for i in range(10_000)]\n"
                "same = names")
    cell(shell, "frame")  # a cell's output: Out[n], _n, _ hold the frame
    run(shell, "1 / 0")  # sys.last_value holds the exception
    result, cap = cell(shell, "df = %memvars\ndf")
    df = shell.user_ns["df"]
    assert tuple(df.columns) == VAR_COLUMNS
    by = df.set_index("name")
    variables = set(df.loc[df["kind"] == "variable", "name"])
    assert {"arr", "view", "frame", "rows", "names", "same"} <= variables
    assert not variables & {"In", "Out", "_", "__", "___", "_ih", "_oh", "get_ipython", "exit", "quit", "np"}
    # views and shared blocks marked; retained < deep when shared
    assert by.loc["view", "view_of"] == "arr" and "view of arr" in by.loc["view", "note"]
    assert by.loc["arr", "retained"] == 0 < by.loc["arr", "deep"]
    assert "rows" in by.loc["frame", "shares_with"] and by.loc["frame", "retained"] < by.loc["frame", "deep"]
    assert by.loc["names", "held_by"] == "same" and by.loc["names", "retained"] == 0
    # hidden holders found, with what they keep
    outs = df[df["kind"] == "output"]
    frame_out = outs[outs["repr"].str.contains("x") & outs["type"].eq("DataFrame")]
    assert len(frame_out) >= 1 and frame_out.iloc[0]["name"].startswith("Out[")
    assert "frame" in by.loc["frame", "held_by"] or "Out[" in by.loc["frame", "held_by"]
    assert "Out[" in by.loc["frame", "held_by"]
    assert (df["kind"] == "exception").sum() == 1
    assert by.loc["sys.last_value", "type"] == "ZeroDivisionError"
    assert (df["kind"] == "input").sum() == 1 and by.loc["In / _i…", "deep"] > 0
    assert all(df["retained"] <= df["deep"])
    assert df.attrs["objects"] > 10_000 and df.attrs["seconds"] > 0
    # the widget's static fallback is in the output (text and HTML)
    plain = "\n".join(texts(cap))
    assert "retained" in plain and "arr" in plain
    cell(shell, "del arr, view, frame, rows, names, same, df; _ = __ = ___ = None")


def test_usage(shell):
    _, cap = cell(shell, "%memvars -h")
    assert "--no-hidden" in cap.stdout
    assert "--bogus" in usage_error(shell, "%memvars --bogus")
    result, cap = cell(shell, "t = %memvars -q --no-hidden")
    assert not cap.outputs
    assert set(shell.user_ns["t"]["kind"]) <= {"variable"}
    cell(shell, "del t")


def test_frames_function_for_the_dashboard():
    ns = {"a": [bytearray(1000)], "b": np.zeros(1000)}
    df = memvars_frame(ns, hidden=False)
    assert list(df["name"]) == ["b", "a"] and tuple(df.columns) == VAR_COLUMNS
    assert df["shallow"].dtype == "int64" and str(df["name"].dtype) == "string"
    with pytest.raises(TypeError, match="NamespaceSizes"):
        vars_frame(df)


def test_widget_messages_validated(shell):
    cell(shell, "xs = [bytearray(10_000) for _ in range(3)]\nk = 5")
    ns = shell.user_ns
    w = VariablesTable(hidden=False)
    names = [r["name"] for r in w.rows]
    assert names[0] == "xs" and w.rows[0]["freeable"] and "k" in names
    assert ask(w, "nope")["type"] == "error"
    assert "unknown message type" in ask(w, {"type": "eval", "name": "xs"})["message"]
    assert "does not show it" in ask(w, {"type": "plan", "name": "__import__('os')"})["message"]
    plan = ask(w, {"type": "plan", "name": "xs"})
    assert plan["type"] == "plan" and plan["run"] == ["del xs"] and plan["frees"] > 30_000
    assert "xs" in ns  # showing the plan runs nothing
    bad = ask(w, {"type": "free", "name": "xs"})
    assert bad["type"] == "error" and "expect" in bad["message"]
    changed = ask(w, {"type": "free", "name": "xs", "expect": ["del k"]})
    assert changed["type"] == "error" and "changed" in changed["message"] and "xs" in ns
    done = ask(w, {"type": "free", "name": "xs", "expect": plan["run"]})
    assert done["type"] == "freed" and done["ran"] == ["del xs"] and "xs" not in ns
    assert "xs" not in [r["name"] for r in w.rows] and "k" in [r["name"] for r in w.rows]
    assert ">xs<" not in w._fallback  # the row disappeared from the static view too
    w.close()
    cell(shell, "del k")


def test_widget_static_views():
    w = VariablesTable(namespace={"a": bytearray(5000)}, hidden=False, title="T")
    data, _ = w._repr_mimebundle_()
    assert "a" in data["text/plain"] and "retained" in data["text/plain"]
    assert "<table>" in data["text/html"] and _static.WIDGET_VIEW_MIME not in data
    with pytest.raises(TypeError, match="NamespaceSizes"):
        VariablesTable(result={"a": 1})
    w.close()


def _rss():
    return ProcessMemoryInfo().rss


@pytest.mark.fresh_process
def test_free_releases_100mb_held_by_a_variable_and_out(shell):
    """The free action: the plan (del big; del Out[n]; _n; _) runs after confirmation,
    the array is gone and the process's RSS drops by about 100 MB."""
    cell(shell, "import numpy as np\nbig = np.ones(100 * 2**17)\nbig[:] = 2.0")  # touched: resident
    result, _ = cell(shell, "big")  # Out[n], _n and _ hold it too
    n = result.execution_count
    del result  # (the ExecutionResult holds the output too)
    assert shell.user_ns["Out"][n] is shell.user_ns["big"]
    ref = weakref.ref(shell.user_ns["big"])
    cell(shell, "1")  # big moves to __ (still held)
    w = VariablesTable(hidden=True)
    rows = {r["name"]: r for r in w.rows}
    assert rows["big"]["retained"] == 0 and f"Out[{n}]" in rows["big"]["note"]
    assert rows[f"Out[{n}]"]["deep"] >= 100 * MB
    plan = ask(w, {"type": "plan", "name": "big"})
    assert "del big" in plan["run"] and f"del Out[{n}]" in plan["run"], plan
    assert plan["frees"] >= 100 * MB
    before = _rss()
    done = ask(w, {"type": "free", "name": "big", "expect": plan["run"]})
    assert done["type"] == "freed" and not done["errors"], done
    gc.collect()
    assert ref() is None, done["text"]
    assert before - _rss() > 80 * MB
    assert done["rss_returned"] > 80 * MB, done["text"]
    names = [r["name"] for r in w.rows]
    assert "big" not in names and f"Out[{n}]" not in names
    w.close()


def test_widget_loader_gets_its_bundle_from_the_kernel():
    w = VariablesTable(namespace={"a": 1}, hidden=False)
    assert len(w._esm) < 4000 and "import(url)" in w._esm  # a loader, not the bundle
    reply = ask(w, {"type": _static.BUNDLE_REQUEST})
    assert "pympler-nb-vars" in reply["code"] and "render" in reply["code"]
    w.close()


@pytest.mark.kernel
def test_memvars_exports_statically(tmp_path):
    """Under ``nbconvert --execute`` (a batch run) ``%memvars`` creates no widget model and
    shows its static views: the HTML table in the exported page, the text table."""
    import json
    import os
    import pathlib
    import subprocess
    import sys

    import nbformat

    root = pathlib.Path(__file__).resolve().parent.parent
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in (
        "%load_ext pympler_nb", "payload = [bytearray(50_000) for _ in range(4)]", "table = %memvars")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "vars.ipynb"
    nbformat.write(nb, path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(PYTHONPATH=str(root), HOME=str(tmp_path))
    for args in (["--to", "notebook", "--execute", "--output", "run.ipynb", str(path)],
                 ["--to", "html", str(tmp_path / "run.ipynb")]):
        subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", *args], cwd=tmp_path, env=env,
                       check=True, capture_output=True, timeout=300)
    ran = json.loads((tmp_path / "run.ipynb").read_text())
    assert "widgets" not in ran["metadata"]
    outputs = [o for c in ran["cells"] for o in c["outputs"]]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert not [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    shown = [o["data"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("pympler-nb-variables-static" in "".join(d["text/html"]) and "payload" in "".join(d["text/html"])
               for d in shown)
    assert any("payload" in "".join(d["text/plain"]) and "retained" in "".join(d["text/plain"]) for d in shown)
    page = (tmp_path / "run.html").read_text()
    assert "pympler-nb-variables-static" in page and "payload" in page and "pympler-nb-vars" not in page


def test_free_the_last_exception(shell):
    """The ``sys.last_value`` row: its plan clears ``sys.last_*`` and IPython's traceback."""
    import sys

    cell(shell, "def fail():\n    local = bytearray(3 * 2**20)\n    raise ValueError('x')")
    run(shell, "fail()")
    assert isinstance(sys.last_value, ValueError)
    w = VariablesTable(hidden=True)
    rows = {r["name"]: r for r in w.rows}
    assert rows["sys.last_value"]["type"] == "ValueError" and rows["sys.last_value"]["deep"] > 3 * MB
    plan = ask(w, {"type": "plan", "name": "sys.last_value"})
    assert any("sys.last_value" in s for s in plan["run"]), plan
    done = ask(w, {"type": "free", "name": "sys.last_value", "expect": plan["run"]})
    assert done["type"] == "freed" and not done["errors"], done
    assert getattr(sys, "last_value", None) is None
    assert "sys.last_value" not in [r["name"] for r in w.rows]
    w.close()
    cell(shell, "del fail")
