"""Real-browser test of ``%memwatch --meter`` (issue 19, item 4): in JupyterLab the meter
widget shows RSS against the limit, keeps updating while a long cell runs (the kernel's
thread pushes the readings), and its close button stops the kernel's timer.

Started and driven like ``test_lab.py`` (same JupyterLab and chromium helpers)."""

from __future__ import annotations

from test_lab import _KERNEL_READY, ARTIFACTS, lab_page, write_notebook

METER_CELLS = [
    "%load_ext pympler_nb",
    "%memwatch --meter",
    "import time\nblocks = []\nfor _ in range(16):\n    blocks.append(b'x' * (8 * 2**20))\n    time.sleep(0.5)",
]

# run one cell by its index through the app (the meter's front end is fetched from the
# kernel when it is idle, so the long cell must start after the meter is drawn)
_RUN_CELL = """(i) => {
  const panel = window.jupyterapp.shell.currentWidget;
  panel.content.activeCellIndex = i;
  window.jupyterapp.commands.execute('notebook:run-cell');  // not awaited: it ends with the cell
  return i;
}"""

# the prompt of the notebook's cell 1 ("[2]:" once run, "[*]:" while running)
_PROMPT = "(() => document.querySelectorAll('.jp-Notebook .jp-Cell .jp-InputArea-prompt')[1].textContent.trim())()"
_TICKS = "() => Number((document.querySelector('.pympler-nb-meter') || {dataset: {}}).dataset.ticks || -1)"


def test_meter_updates_while_a_cell_runs_and_stops_when_closed(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    write_notebook(work, "meter.ipynb", METER_CELLS)
    with lab_page(tmp_path, work, "meter.ipynb", shot="meter") as (page, _console, _blocked):
        for _attempt in range(30):
            if page.evaluate(_KERNEL_READY).startswith("ready"):
                break
            page.wait_for_timeout(2000)
        page.evaluate(_RUN_CELL, 0)
        page.evaluate(_RUN_CELL, 1)
        meter = page.wait_for_selector(".pympler-nb-meter", timeout=120_000)
        text = meter.inner_text()
        assert "RSS" in text and "%" in text, text
        # readings keep coming while the long cell runs (the kernel is busy)
        page.wait_for_function(_PROMPT + " === '[2]:'", timeout=60_000)  # the meter's cell is done
        page.evaluate(_RUN_CELL, 2)
        page.wait_for_function(_PROMPT.replace("[1]", "[2]") + " === '[*]:'", timeout=30_000)
        first = page.evaluate(_TICKS)
        page.wait_for_function(f"() => ({_TICKS})() >= {first + 3}", timeout=30_000)
        running = page.evaluate(_PROMPT.replace("[1]", "[2]"))
        print("ticks", first, "->", page.evaluate(_TICKS), "long cell prompt:", running)
        assert running == "[*]:"  # three readings arrived while the cell ran
        page.wait_for_function(
            "() => document.querySelector('.pympler-nb-meter polyline').getAttribute('points')"
            ".split(' ').length >= 3", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "meter_01_running.png"), full_page=True)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        # close: the kernel stops its timer and says so (running -> False)
        page.locator(".pympler-nb-meter .pnb-meter-close").click()
        page.wait_for_selector(".pympler-nb-meter.pnb-stopped", timeout=60_000)
        stopped = page.evaluate(_TICKS)
        page.wait_for_timeout(3000)
        assert page.evaluate(_TICKS) == stopped  # no reading after the close
        assert "(stopped)" in page.locator(".pympler-nb-meter").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "meter_02_stopped.png"), full_page=True)
