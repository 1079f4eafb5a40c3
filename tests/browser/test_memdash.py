"""Real-browser test of ``%memdash``: JupyterLab on localhost, Debian's Chromium driven by
Playwright, every request that is not to the local server refused (offline).

The notebook parks a worker thread holding an 8 MB array, tracks a class with the Class
Tracker and leaves reference cycles behind; ``%memdash`` shows the dashboard. The test
checks the Process tab (RSS, the threads' stacks), clicks the worker's frame and sees its
locals sized, then opens each other tab (Timeline, Variables, Classes, Garbage), toggles
the Garbage tab's "reduce" option and refreshes, and saves the notebook; in JupyterLab
and in Notebook 7. Screenshots go to
``test-artifacts/browser/``. Helpers (JupyterLab start, Run All) are those of test_lab.py.
"""

from __future__ import annotations

import contextlib
import json
import re

import pytest
from test_lab import ARTIFACTS, _run_all_cells, lab_page, save_notebook, write_notebook
from test_memvars_lab import row_names

pytestmark = pytest.mark.kernel  # (browser: every test under tests/browser/, tests/conftest.py)

CELLS = [
    "%load_ext pympler_nb",
    "import gc, threading, numpy as np, pandas as pd\n"
    "ready, done = threading.Event(), threading.Event()\n"
    "def hold_memory():\n"
    "    big = np.zeros(1_000_000)\n"
    "    ready.set()\n"
    "    done.wait(600)\n"
    "worker = threading.Thread(target=hold_memory, name='dash-worker', daemon=True)\n"
    "worker.start(); ready.wait(10)",
    "class Order:\n"
    "    def __init__(self, i):\n"
    "        self.frame = pd.DataFrame({'s': pd.Series(['o'] * 100, dtype='string[pyarrow]'),\n"
    "                                   'c': pd.Categorical(['x', 'y'] * 50)})\n"
    "%classtrack track Order\n"
    "orders = [Order(i) for i in range(3)]\n"
    "%classtrack snapshot",
    "class Knot:\n"
    "    pass\n"
    "gc.disable()\n"
    "for _ in range(2):\n"
    "    k = Knot(); k.back = [k]; k.frame = pd.DataFrame({'x': range(100)})\n"
    "del k",
    "%memdash",
]


DASH = ".pympler-nb-dash"
PANEL = f"{DASH} [role='tabpanel']"


@contextlib.contextmanager
def dashboard_page(tmp_path, name: str, cells: list[str], app: str, shot: str):
    """``cells`` as notebook ``name`` in JupyterLab (``app="notebook"``: Notebook 7), run
    offline up to a shown ``%memdash``; yield ``(page, console, blocked)``."""
    work = tmp_path / "work"
    work.mkdir()
    write_notebook(work, name, cells)
    with lab_page(tmp_path, work, name, app=app, shot=shot, offline=True) as (page, console, blocked):
        _run_all_cells(page)
        page.wait_for_selector(f"{DASH} [role='tablist']", timeout=120_000)
        yield page, console, blocked


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_memdash_tabs_in_jupyterlab(tmp_path, app):
    """JupyterLab (``app="lab"``) and Notebook 7 (``"notebook"``)."""
    dash, panel, shot = DASH, PANEL, f"memdash_{app}"
    with dashboard_page(tmp_path, "memdash.ipynb", CELLS, app, shot) as (page, console, blocked):
        tabs = page.locator(f"{dash} [role='tab']")
        assert tabs.all_inner_texts() == ["Process", "Timeline", "Variables", "Classes", "Garbage"]
        # Process: memory figures and the threads' stacks
        assert page.locator(f"{dash} [role='tab'][aria-selected='true']").inner_text() == "Process"
        page.locator(panel, has_text="Resident set size (RSS)").wait_for(timeout=30_000)
        text = page.locator(panel).inner_text()
        assert "Container limit" in text and "Memory segments" in text and "dash-worker" in text
        assert "Size of stack segment" in text and "[anonymous]" in text
        page.screenshot(path=str(ARTIFACTS / f"{shot}_01_process.png"), full_page=True)
        # a click on the worker's frame sizes its locals
        page.locator(f"{panel} .pnb-frame", has_text="in hold_memory").first.click()
        detail = page.locator(f"{panel} .pnb-detail")
        detail.wait_for(timeout=30_000)
        assert "Locals of hold_memory()" in detail.inner_text()
        big = detail.locator("tr", has_text="ndarray").first
        assert "big" in big.inner_text() and "7.6 MiB" in big.inner_text()
        # each other tab: computed when opened
        # (Garbage before Variables: sizing the namespace walks the heap, which collects
        # first, as Pympler's muppy does: the test's cycles would be gone)
        expected = {"Timeline": "%memwatch is not on", "Garbage": "Cycle 1:",
                    "Variables": "%memvars", "Classes": "Tracked classes at the last snapshot"}
        for name, marker in expected.items():
            page.locator(f"{dash} [role='tab']", has_text=name).click()
            page.locator(f"{dash} [role='tab'][aria-selected='true']", has_text=name).wait_for(timeout=10_000)
            page.locator(panel, has_text=marker).wait_for(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / f"{shot}_02_{name.lower()}.png"), full_page=True)
        classes = page.locator(f"{dash} [role='tab']", has_text="Classes")
        classes.click()
        page.locator(f"{panel} td", has_text="Order").first.wait_for(timeout=30_000)
        assert page.locator(f"{panel} img.pnb-chart, {panel} pre").count() >= 2  # the charts
        # Garbage: our cycles, reduced (only objects on cycles), then not reduced
        page.locator(f"{dash} [role='tab']", has_text="Garbage").click()
        page.locator(panel, has_text="Cycle 1:").wait_for(timeout=30_000)
        knot = page.locator(f"{panel} details", has=page.locator("td", has_text="Knot")).first
        if knot.get_attribute("open") is None:  # a later cycle: opens on a click
            knot.locator("summary").click()
        page.locator(f"{panel} td", has_text="Knot").first.wait_for(timeout=10_000)
        assert knot.locator("td", has_text="list").count() >= 1  # the cycle's other member
        reduce = page.locator(f"{dash} .pnb-reduce")
        assert reduce.is_checked()
        reduce.uncheck()  # computed again: every unreachable object, not only those on cycles
        page.locator(panel, has_text=re.compile(r"unreachable objects \(|no garbage")).wait_for(timeout=60_000)
        page.locator(f"{dash} .pnb-status", has_text="computed at").wait_for(timeout=60_000)
        # refresh recomputes the open tab (the time stamp is shown again)
        page.locator(f"{dash} .pnb-refresh").click()
        page.locator(f"{dash} .pnb-status", has_text="computed at").wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / f"{shot}_03_garbage.png"), full_page=True)
        # the notebook saved now keeps the open tab (Garbage) as its static output
        save_notebook(page)
        saved = json.loads((tmp_path / "work" / "memdash.ipynb").read_text())
        statics = ["".join(o["data"]["text/html"]) for c in saved["cells"] for o in c.get("outputs", [])
                   if "pympler-nb-dash-static" in "".join(o.get("data", {}).get("text/html", ""))]
        assert len(statics) == 1 and "<b>Garbage</b>" in statics[0] and "Garbage, computed at" in statics[0]
        # keyboard: arrows move between the tabs
        page.locator(f"{dash} [role='tab'][aria-selected='true']").focus()
        page.keyboard.press("Home")
        page.locator(f"{dash} [role='tab'][aria-selected='true']", has_text="Process").wait_for(timeout=10_000)
        assert not blocked, blocked
        assert not [m for m in console if "pympler_nb dashboard failed" in m], console


HOSTED_CELLS = [
    "%load_ext pympler_nb",
    "import pandas as pd\n"
    "from pympler_nb.widgets import SizeTree\n"
    "from pympler_nb.widgets.dashboard import Dashboard\n"
    "data = {'frame': pd.DataFrame({'s': pd.Series(['ab'] * 100, dtype='string[pyarrow]')}),\n"
    "        'numbers': list(range(1000))}\n"
    "Dashboard(tab='variables', providers={'timeline': None,\n"
    "          'variables': lambda: SizeTree.from_objects([data], ['data'], title='hosted tree')})",
]


def test_memdash_hosts_a_widget_in_a_tab(tmp_path):
    """A provider's widget (here a size tree; ``%memvars``'s table at merge) is drawn inside
    the Variables tab and answers clicks: expanding a row fetches its children."""
    work = tmp_path / "work"
    work.mkdir()
    write_notebook(work, "hosted.ipynb", HOSTED_CELLS)
    item = ".pympler-nb-dash .pympler-nb-tree [role='treeitem']"
    with lab_page(tmp_path, work, "hosted.ipynb", shot="memdash_hosted", offline=True) as (page, _console, blocked):
        _run_all_cells(page)
        page.wait_for_selector(".pympler-nb-dash .pympler-nb-tree [role='tree']", timeout=120_000)
        root = page.locator(f"{item}[data-node-id='0']").first
        root.wait_for(timeout=30_000)
        before = page.locator(item).count()
        if root.get_attribute("aria-expanded") != "true":
            root.click()
        page.wait_for_selector(f"{item}[data-node-id='0'][aria-expanded='true']", timeout=30_000)
        page.wait_for_function(f"n => document.querySelectorAll(\"{item}\").length > n",
                               arg=before, timeout=30_000)
        assert page.locator(".pympler-nb-dash", has_text="hosted tree").count() == 1
        page.screenshot(path=str(ARTIFACTS / "memdash_hosted.png"), full_page=True)
        assert not blocked, blocked


VARIABLES_CELLS = [
    "%load_ext pympler_nb",
    "import numpy as np\nbig = np.ones(100 * 2**17)\nbig[:] = 2.0  # 100 MiB, resident\n"
    "names = [str(i) * 4 for i in range(20_000)]",
    "big",  # Out[n], _n and _ hold it too
    "%memdash --tab variables",
]


def test_memdash_variables_tab_sorts_and_frees(tmp_path):
    """Issue 20's dashboard test: the Variables tab is %memvars' table; a header click sorts
    it, "free" shows the release plan, "confirm" runs it: the row disappears and the
    kernel's RSS drops by the 100 MB array a variable and ``Out[n]`` held."""
    work = tmp_path / "work"
    work.mkdir()
    write_notebook(work, "dashvars.ipynb", VARIABLES_CELLS)
    table = ".pympler-nb-dash .pympler-nb-vars"
    with lab_page(tmp_path, work, "dashvars.ipynb", shot="memdash_variables",
                  offline=True) as (page, _console, blocked):
        _run_all_cells(page)
        page.wait_for_selector(f"{table} tbody tr[data-name='big']", timeout=120_000)
        assert {"big", "names"} <= set(row_names(page, table)), row_names(page, table)
        page.locator(f"{table} th[data-key='name']").click()
        variables = [n for n in row_names(page, table) if not n.startswith(("Out[", "_", "In ", "sys.", "gc."))]
        assert variables == sorted(variables), variables
        page.screenshot(path=str(ARTIFACTS / "memdash_variables_01.png"), full_page=True)
        page.locator(f"{table} tr[data-name='big'] .pnb-free").click()
        plan = page.wait_for_selector(f"{table} .pnb-plan code", timeout=60_000).inner_text()
        assert "del big" in plan and "del Out[" in plan, plan
        page.locator(f"{table} .pnb-confirm").click()
        result = page.wait_for_selector(f"{table} .pnb-result", timeout=120_000)
        page.wait_for_selector(f"{table} tbody tr[data-name='big']", state="detached", timeout=60_000)
        returned = int(result.get_attribute("data-rss-returned") or 0)
        assert returned > 80 * 2**20, result.inner_text()
        page.screenshot(path=str(ARTIFACTS / "memdash_variables_02_freed.png"), full_page=True)
        assert not blocked, blocked
