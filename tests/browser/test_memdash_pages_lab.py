"""Real-browser test of Pympler's web pages in ``%memdash`` (JupyterLab and Notebook 7,
Debian's Chromium driven by Playwright, every request that is not to the local server
refused: offline).

The notebook tracks a class with per-referent sizes and instantiation traces, leaves
reference cycles behind and parks a worker thread holding a DataFrame. The test opens
the Garbage tab and sees one inline ``<svg>`` reference graph per cycle (drawn by
Graphviz in the kernel); on the Classes tab it opens a class's detail (instance rows,
the referent tree, expanded), an instance's object detail and, from it, a referent's;
on the Process tab a frame's locals and a local's object detail. Screenshots go to
``test-artifacts/browser/``.
"""

from __future__ import annotations

import os
import shutil

import pytest
from test_lab import ARTIFACTS
from test_memdash import DASH, PANEL, dashboard_page

pytestmark = [pytest.mark.kernel, pytest.mark.needs_dot]

# JupyterLab is started without `dot` on its PATH (test_lab.py); the kernel gets it back here
DOT_DIR = os.path.dirname(shutil.which("dot") or "/usr/bin/dot")

CELLS = [
    "%load_ext pympler_nb",
    f"import os\nos.environ['PATH'] = {DOT_DIR!r} + os.pathsep + os.environ['PATH']\n"
    "import gc, threading, pandas as pd\n"
    "ready, done = threading.Event(), threading.Event()\n"
    "def hold_table():\n"
    "    table = pd.DataFrame({'s': pd.Series(['v'] * 5000, dtype='string[pyarrow]')})\n"
    "    ready.set()\n"
    "    done.wait(600)\n"
    "worker = threading.Thread(target=hold_table, name='pages-worker', daemon=True)\n"
    "worker.start(); ready.wait(10)",
    "class Order:\n"
    "    def __init__(self, n):\n"
    "        self.frame = pd.DataFrame({'s': pd.Series(['o'] * n, dtype='string[pyarrow]'),\n"
    "                                   'c': pd.Categorical(['x', 'y'] * (n // 2))})\n"
    "        self.items = list(range(n))\n"
    "%classtrack track Order --resolution 2 --trace\n"
    "orders = [Order(n) for n in (100, 2000, 400)]\n"
    "%classtrack snapshot first",
    "class Knot:\n"
    "    pass\n"
    "gc.collect(); gc.disable()\n"
    "for n in (100, 1000, 10000):\n"
    "    a, b = Knot(), Knot(); a.other, b.other = b, a; a.data = list(range(n))\n"
    "del a, b",
    "%memdash --tab garbage",
]


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_memdash_class_object_and_garbage_pages(tmp_path, app):
    """JupyterLab (``app="lab"``) and Notebook 7 (``"notebook"``)."""
    dash, panel, shot = DASH, PANEL, f"memdash_pages_{app}"
    with dashboard_page(tmp_path, "pages.ipynb", CELLS, app, shot) as (page, console, blocked):
        # Garbage: one drawn graph per cycle, inline SVG (Graphviz ran in the kernel)
        page.locator(panel, has_text="Cycle 1:").wait_for(timeout=60_000)
        cycles = page.locator(f"{panel} .pnb-table", has=page.locator("th", has_text="on cycle"))
        graphs = page.locator(f"{panel} .pnb-graph .pnb-graph-view svg")
        page.wait_for_function("n => document.querySelectorAll(n).length > 0",
                               arg=f"{panel} .pnb-graph svg", timeout=30_000)
        assert cycles.count() >= 3 and graphs.count() == cycles.count(), (cycles.count(), graphs.count())
        first = graphs.first
        assert first.is_visible() and first.locator("g.node").count() >= 2
        assert page.locator(f"{panel} .pnb-graph svg", has_text="Knot").count() >= 3
        assert page.locator(f"{panel} .pnb-graph svg script").count() == 0
        page.screenshot(path=str(ARTIFACTS / f"{shot}_01_garbage.png"), full_page=True)
        # Classes: a class opens its detail
        page.locator(f"{dash} [role='tab']", has_text="Classes").click()
        link = page.locator(f"{panel} .pnb-link[data-what='class']", has_text="Order").first
        link.wait_for(timeout=60_000)
        link.click()
        detail = page.locator(f"{panel} .pnb-detail-detail")
        detail.locator("h4, summary", has_text="Instances of __main__.Order").first.wait_for(timeout=60_000)
        rows = detail.locator(".pnb-table", has_text="Instances of __main__.Order").locator("tbody tr")
        assert rows.count() == 3
        assert "alive" in detail.inner_text() and "Instantiation" in detail.inner_text()
        assert "orders = [Order(n) for n in (100, 2000, 400)]" in detail.inner_text()
        # the referent tree: expand __dict__ and see the attributes that make an instance big
        tree = detail.locator(".pnb-tree").first
        node = tree.locator("details.pnb-tree-node", has_text="__dict__").first
        node.locator("summary").first.click()
        tree.locator("li", has_text="[V] frame").first.wait_for(state="visible", timeout=10_000)
        assert tree.locator("[role='treeitem'][aria-expanded='true']").count() >= 1
        page.screenshot(path=str(ARTIFACTS / f"{shot}_02_class.png"), full_page=True)
        # an instance opens its object detail; a referent opens its own
        detail.locator(".pnb-table", has_text="Instances of __main__.Order").locator(".pnb-link").first.click()
        obj = page.locator(f"{panel} .pnb-detail-object")
        obj.locator("h4", has_text="Object __main__.Order at").wait_for(timeout=60_000)
        text = obj.inner_text()
        assert "deep size" in text and "Referents (" in text and "Referrers (" in text
        obj.locator(".pnb-link", has_text="frame").first.click()
        obj.locator("h4", has_text="Object pandas.DataFrame at").wait_for(timeout=60_000)
        assert "column 's'" in obj.inner_text()
        page.screenshot(path=str(ARTIFACTS / f"{shot}_03_object.png"), full_page=True)
        # Process: a frame's locals, then a local's object detail
        page.locator(f"{dash} [role='tab']", has_text="Process").click()
        page.locator(f"{panel} .pnb-frame", has_text="in hold_table").first.click()
        locals_ = page.locator(f"{panel} .pnb-detail-detail")
        locals_.locator("h4", has_text="Locals of hold_table()").wait_for(timeout=60_000)
        locals_.locator(".pnb-link", has_text="table").first.click()
        obj = page.locator(f"{panel} .pnb-detail-object")
        obj.locator("h4", has_text="Object pandas.DataFrame at").wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / f"{shot}_04_local.png"), full_page=True)
        assert not blocked, blocked
        assert not [m for m in console if "pympler_nb dashboard failed" in m], console
