"""Real-browser test of ``%memvars`` (issue 20 item 1) in JupyterLab: the variables table
sorts on a header click, a row's "free" shows the release plan, "confirm" runs it, the
row disappears and the kernel's RSS drops by the 100 MB array that a variable and
``Out[n]`` held. Screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import pytest
from test_lab import ARTIFACTS, _run_all_cells, lab_page, write_notebook

pytestmark = pytest.mark.kernel  # (browser: every test under tests/browser/, tests/conftest.py)

MEMVARS_CELLS = [
    "%load_ext pympler_nb",
    "import numpy as np\nbig = np.ones(100 * 2**17)\nbig[:] = 2.0  # 100 MiB, resident\n"
    "names = [str(i) * 4 for i in range(20_000)]\nalias = names",
    "big",  # Out[n], _n and _ hold it too
    "%memvars",
]


def row_names(page, table: str = ".pympler-nb-vars") -> list[str]:
    """The names of the variables table's rows, top to bottom."""
    return page.eval_on_selector_all(f"{table} tbody tr", "rows => rows.map(r => r.dataset.name)")


def test_memvars_sort_free_row_disappears_rss_drops(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    write_notebook(work, "memvars.ipynb", MEMVARS_CELLS)
    with lab_page(tmp_path, work, "memvars.ipynb", shot="memvars") as (page, _console, _blocked):
        _run_all_cells(page)
        page.wait_for_selector(".pympler-nb-vars tbody tr[data-name='big']", timeout=120_000)
        names = row_names(page)
        # variables first, largest retained first: names (the list of strings) leads,
        # big retains nothing (Out[n] holds it too); the output cache row is listed
        assert {"big", "names", "alias"} <= set(names), names
        assert any(n.startswith("Out[") for n in names), names
        hidden = page.locator(".pympler-nb-vars tr.pnb-hidden").count()
        assert hidden >= 1
        page.screenshot(path=str(ARTIFACTS / "memvars_01.png"), full_page=True)
        # sort by name (ascending) with a header click, then descending with a second
        page.locator(".pympler-nb-vars th[data-key='name']").click()
        variables = [n for n in row_names(page) if not n.startswith(("Out[", "_", "In ", "sys.", "gc."))]
        assert variables == sorted(variables), variables
        page.locator(".pympler-nb-vars th[data-key='name']").click()
        variables = [n for n in row_names(page) if not n.startswith(("Out[", "_", "In ", "sys.", "gc."))]
        assert variables == sorted(variables, reverse=True), variables
        # the filter keeps matching rows
        page.fill(".pympler-nb-vars .pnb-filter", "ndarray")
        assert "names" not in row_names(page) and "big" in row_names(page)
        page.fill(".pympler-nb-vars .pnb-filter", "")
        # free: the plan first, nothing runs until "confirm"
        page.locator(".pympler-nb-vars tr[data-name='big'] .pnb-free").click()
        plan = page.wait_for_selector(".pympler-nb-vars .pnb-plan code", timeout=60_000)
        text = plan.inner_text()
        assert "del big" in text and "del Out[" in text, text
        assert "big" in row_names(page)
        page.screenshot(path=str(ARTIFACTS / "memvars_02_plan.png"), full_page=True)
        page.locator(".pympler-nb-vars .pnb-confirm").click()
        result = page.wait_for_selector(".pympler-nb-vars .pnb-result", timeout=120_000)
        page.wait_for_selector(".pympler-nb-vars tbody tr[data-name='big']", state="detached",
                               timeout=60_000)
        # the output cache's row of the array went with it (no ndarray row is left)
        assert page.locator(".pympler-nb-vars tbody tr", has_text="ndarray").count() == 0
        returned = int(result.get_attribute("data-rss-returned") or 0)
        assert returned > 80 * 2**20, result.inner_text()
        assert "RSS returned" in result.inner_text() and "the object is gone" in result.inner_text()
        page.screenshot(path=str(ARTIFACTS / "memvars_03_freed.png"), full_page=True)
