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
import os
import pathlib
import re
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.kernel, pytest.mark.notebooks]

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ["01_tour.ipynb", "02_sizing.ipynb", "03_find_a_leak.ipynb",
             "04_class_tracker.ipynb", "05_reference_graphs.ipynb"]
#: nbconvert's own lab template (CSS, no output) is about 290 KB; the biggest demo adds
#: ~200 KB of outputs. The widget bundle alone is 1.3 MB: this limit keeps it out.
SIZE_LIMIT = 1_000_000
STATE_LIMIT = 150_000  # saved widget state (RefGraph/SizeTree made directly in a notebook)

_STATE = re.compile(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', re.S)
_VIEW_OUTPUT = re.compile(r'<script type="application/vnd.jupyter.widget-view\+json">')


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
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
            proc = subprocess.run(
                [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--execute",
                 "--ExecutePreprocessor.timeout=300", "--output-dir", str(out / "html"), str(work / name)],
                cwd=work, env=env, capture_output=True, text=True, timeout=900)
            assert proc.returncode == 0, proc.stderr[-4000:]
            done[name] = (out / "html" / name.replace(".ipynb", ".html")).read_text(encoding="utf-8")
        return done[name]

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


@pytest.mark.slow
@pytest.mark.parametrize("name", ["03_find_a_leak.ipynb", "04_class_tracker.ipynb"])
def test_export_shows_the_charts_as_text_tables(exported, name):
    visible = _visible(exported(name))
    charts = re.findall(r"<chart: [^>]+>\n?[^<]*", visible)
    assert charts, "no chart fallback in the export"
    assert "rank" not in " ".join(charts).split() and "class_rank" not in visible
    # Markdown is never used: names like __main__.Order stay literal
    assert "__main__." in visible or name.startswith("03")
