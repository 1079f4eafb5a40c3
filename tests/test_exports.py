"""Exported notebooks are small and readable offline: ``jupyter nbconvert --to html --execute``.

Each demo notebook is executed and exported as a user would (``jupyter nbconvert --to
html --execute``, its own kernel with this checkout on ``PYTHONPATH``). The exported
HTML must be small (the widgets' JavaScript is not in it: batch runs display the static
views, and a widget's saved state holds a 2 KB loader, never the 1.3 MB bundle), hold no
widget view that would need the widget manager from a CDN, and show the static
fallbacks: the size tree as an HTML table, the reference graph as SVG (``dot``) or as
its DOT text, the charts as text tables — and no chart loads Vega from a CDN.

Slow (five notebooks run in fresh kernels): marked ``slow``.
"""

from __future__ import annotations

import html
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.kernel, pytest.mark.notebooks]

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ["01_tour.ipynb", "02_sizing.ipynb", "03_find_a_leak.ipynb",
             "04_class_tracker.ipynb", "05_reference_graphs.ipynb", "06_dask_workers.ipynb"]
#: nbconvert's own lab template (CSS, no output) is about 290 KB; the biggest demo adds
#: ~200 KB of outputs. The widget bundle alone is 1.3 MB: this limit keeps it out.
SIZE_LIMIT = 1_000_000
STATE_LIMIT = 150_000  # saved widget state (RefGraph/SizeTree made directly in a notebook)

_STATE = re.compile(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', re.S)
_VIEW_OUTPUT = re.compile(r'<script type="application/vnd.jupyter.widget-view\+json">')


def _nbconvert(args: list[str], cwd: pathlib.Path, env: dict) -> None:
    proc = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """``export(name)``: the HTML of the demo ``name`` executed by nbconvert (as
    ``jupyter nbconvert --to html --execute`` makes it: executed to a notebook, then
    exported, so that ``export.notebook(name)`` is the executed notebook)."""
    out = tmp_path_factory.mktemp("export")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env["PYTHONPATH"] = str(ROOT)
    env["HOME"] = str(out)  # no user config
    done = {}

    def export(name: str) -> str:
        if name not in done:
            work = out / "nb"
            work.mkdir(exist_ok=True)
            (work / name).write_bytes((ROOT / "notebooks" / name).read_bytes())
            _nbconvert(["--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=300",
                        "--output-dir", str(out / "exec"), str(work / name)], work, env)
            _nbconvert(["--to", "html", "--output-dir", str(out / "html"), str(out / "exec" / name)], work, env)
            done[name] = (out / "html" / name.replace(".ipynb", ".html")).read_text(encoding="utf-8")
        return done[name]

    def notebook(name: str) -> dict:
        export(name)
        return json.loads((out / "exec" / name).read_text(encoding="utf-8"))

    export.notebook = notebook
    return export


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_export_is_small_and_needs_no_widget_javascript(exported, name):
    text = exported(name)
    size = len(text.encode("utf-8"))
    print(f"{name}: {size:,} bytes")
    assert size < SIZE_LIMIT, f"{name}: {size:,} bytes exported"
    state = sum(len(m) for m in _STATE.findall(text))
    assert state < STATE_LIMIT, f"{name}: {state:,} bytes of widget state"
    assert "pympler-nb-tree\"" not in text and "getViz" not in text  # no bundle inside
    assert not _VIEW_OUTPUT.search(text), "a widget view that needs the CDN widget manager"
    assert "cdn.jsdelivr.net/npm/vega" not in text  # charts: no Vega from a CDN


def _visible(text: str) -> str:
    """The HTML's output text, tags stripped and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


@pytest.mark.slow
def test_export_shows_the_size_tree_as_a_table(exported):
    text = exported("01_tour.ipynb")
    assert "pympler-nb-tree-static" in text and "share of parent" in text
    tables = re.findall(r"<div class=[\"']pympler-nb-tree-static[^\"']*[\"']>.*?</table>", text, re.S)
    assert tables and all(t.count("<tr>") >= 2 for t in tables)  # header + rows


@pytest.mark.slow
def test_export_shows_the_graphs_statically(exported):
    text = exported("05_reference_graphs.ipynb")
    # SVG when Graphviz `dot` is installed, else the DOT text in <pre>
    assert text.count('data-mime-type="image/svg+xml"') >= 3 or _visible(text).count("digraph") >= 3


_SVG_IMG = re.compile(r'data-mime-type="image/svg\+xml"[^>]*>\s*<img [^>]*src="data:image/svg\+xml;base64,([^"]+)"')


def _chart_svgs(text: str) -> list[str]:
    """The SVG images of the HTML (nbconvert embeds them as data URIs) drawn by Vega."""
    import base64

    svgs = [base64.b64decode(b).decode("utf-8") for b in _SVG_IMG.findall(text)]
    return [svg for svg in svgs if 'class="marks"' in svg]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["01_tour.ipynb", "03_find_a_leak.ipynb", "04_class_tracker.ipynb"])
def test_export_shows_each_chart_as_an_image(exported, name):
    """Every chart output carries an SVG drawn in the kernel (vl-convert-python), which the
    HTML shows instead of the chart's text table."""
    text = exported(name)
    outputs = [o for cell in exported.notebook(name)["cells"] for o in cell.get("outputs", [])]
    charts = [o for o in outputs if "application/vnd.vegalite.v5+json" in o.get("data", {})]
    assert charts, "no chart in the notebook"
    assert all("image/svg+xml" in o["data"] for o in charts)
    svgs = _chart_svgs(text)
    assert len(svgs) == len(charts)
    assert all("<text" in svg for svg in svgs)  # axes and labels drawn, not a blank image
    visible = _visible(text)
    assert "<chart: " not in visible  # the text tables stay in text/plain, for other viewers
    assert "cdn.jsdelivr.net/npm/vega" not in text


@pytest.mark.slow
def test_export_of_the_class_tracker_reads_right(exported):
    """Item 4 of the export bugs: names literal (no Markdown), the reprs' ``$CC $CFLAGS``
    not typeset by MathJax, floats rounded, no internal columns, one stats table."""
    text = exported("04_class_tracker.ipynb")
    nb = exported.notebook("04_class_tracker.ipynb")
    visible = _visible(text)
    assert "__main__." in visible and "<strong>main" not in text  # __main__.Order stays literal
    tables = re.findall(r"<table[^>]*>.*?</table>", text, re.S)
    dollar = [t for t in tables if "$CC $CFLAGS" in t]
    assert dollar and all(re.match(r'<table[^>]*class="[^"]*tex2jax_ignore', t) for t in dollar)
    for t in tables:  # internal change/rank columns never reach a table header
        heads = re.findall(r"<th[^>]*>([^<]*)</th>", t)
        assert not {"change", "rank", "class_rank"} & set(heads), heads
        cells = re.findall(r"<td>([^<]*)</td>", t)
        long_floats = [c for c in cells if re.fullmatch(r"-?\d+\.\d{7,}", c.strip())]
        assert not long_floats, long_floats[:3]
    # `st = %classtrack stats` then `st`: the table is shown once (the magic's value)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "".join(cell["source"]).startswith("st = %classtrack stats"):
            html_tables = [o for o in cell["outputs"] if "<table" in "".join(o.get("data", {}).get("text/html", ""))]
            texts = [o for o in cell["outputs"] if "size" in "".join(o.get("data", {}).get("text/plain", ""))
                     and "image/svg+xml" not in o.get("data", {})]
            assert len(html_tables) == 1 and len(texts) == 1, [o.get("output_type") for o in cell["outputs"]]
            break
    else:
        raise AssertionError("the `st = %classtrack stats` cell is gone from notebook 04")


_DIRECT = [
    ("import pandas as pd, numpy as np\n"
     "from pympler_nb.widgets import RefGraph, SizeTree\n"
     "from pympler_nb.core.refgraph import refs_graph\n"
     "frame = pd.DataFrame({'name': pd.Series(['a', 'bb'] * 50, dtype='string[pyarrow]'),\n"
     "                      'kind': pd.Categorical(['x', 'y'] * 50),\n"
     "                      'obj': np.array([{'k': i} for i in range(100)])})"),
    "SizeTree.from_objects([frame], ['frame'], title='direct tree')",
    "g = RefGraph(refs_graph({'frame': frame, 'cache': {}}, max_depth=2), title='direct graph')\ng",
    "from IPython.display import display\ndisplay(SizeTree.from_objects([[1.5, 'x' * 50]], ['pair']))",
]


@pytest.mark.slow
def test_widgets_made_directly_export_statically(tmp_path):
    """``SizeTree(...)``/``RefGraph(...)`` called directly under ``nbconvert --execute``
    create no widget model (no saved widget state) and show their static views."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in _DIRECT]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "direct.ipynb"
    nbformat.write(nb, path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(PYTHONPATH=str(ROOT), HOME=str(tmp_path))
    _nbconvert(["--to", "notebook", "--execute", "--output", "run.ipynb", str(path)], tmp_path, env)
    _nbconvert(["--to", "html", str(tmp_path / "run.ipynb")], tmp_path, env)
    ran = json.loads((tmp_path / "run.ipynb").read_text())
    assert "widgets" not in ran["metadata"]  # no widget model was created
    outputs = [o for c in ran["cells"] for o in c["outputs"]]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert not [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    text = (tmp_path / "run.html").read_text()
    visible = _visible(text)
    assert text.count("pympler-nb-tree-static") == 2 and "direct tree" in visible and "pair" in visible
    assert "share of parent" in visible
    assert 'data-mime-type="image/svg+xml"' in text or "digraph" in visible
    assert len(text.encode()) < SIZE_LIMIT and "getViz" not in text
