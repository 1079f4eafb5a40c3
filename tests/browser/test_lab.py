"""Real-browser test: JupyterLab on localhost, Debian's Chromium driven by Playwright.

The test starts its own JupyterLab server on a free port, with a ``PATH`` that holds
no Graphviz ``dot`` (so the reference graph must be drawn by the bundled WebAssembly
Graphviz), opens a notebook that uses ``%memsize`` and ``%refgraph``, runs it from the
UI (Run > Run All Cells), expands a size-tree row with a click and checks that the
graph's SVG nodes are there. Screenshots go to ``test-artifacts/browser/``.

Needs ``/usr/bin/chromium`` (the README's test command installs it with apt-get) and
the ``playwright`` Python package (dev extra); the browser download of
``playwright install`` is never used.
"""

from __future__ import annotations

import json
import os
import re
import pathlib
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright import sync_api as playwright_sync

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

CELLS = [
    "%load_ext pympler_nb",
    "import shutil\nprint('dot on PATH:', shutil.which('dot'))",
    "data = {'numbers': list(range(1000)), 'names': [str(i) * 3 for i in range(200)],\n"
    "        'nested': {'a': [1.5] * 10, 'b': ('x' * 100,)}}",
    "df = %memsize data\ndf.head()",
    "g = %refgraph --depth 2 data",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(path: pathlib.Path) -> None:
    nb = {
        "cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
                   "outputs": [], "source": src} for i, src in enumerate(CELLS)],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))


@pytest.fixture()
def lab(tmp_path):
    """A JupyterLab server without ``dot`` on its (and its kernels') PATH."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` "
                    "(bash .ci/test.sh does)")
    bindir = pathlib.Path(sys.executable).parent
    assert not (bindir / "dot").exists()
    work = tmp_path / "work"
    work.mkdir()
    _notebook(work / "browser.ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)  # no "get notified about Jupyter news?" toast
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env.update(PATH=str(bindir), HOME=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"), PYTHONPATH=str(ROOT),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"))
    log = open(tmp_path / "lab.log", "w")
    proc = subprocess.Popen(
        [str(bindir / "jupyter"), "lab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.token={token}", f"--ServerApp.root_dir={work}",
         f"--LabApp.workspaces_dir={tmp_path / 'ws'}", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    log.close()
                    pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:])
                time.sleep(0.5)
        yield base, token, work
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "lab.log", ARTIFACTS / "lab.log")


_SOME_CELL_RAN = ("() => [...document.querySelectorAll('.jp-Cell .jp-InputArea-prompt')]"
                  ".some(e => /[0-9*]/.test(e.textContent))")


def _run_all_cells(page) -> None:
    """Run > Run All Cells from the main menu, until the first cell has started.

    Right after the page loads, the kernel may still be connecting and the command
    does nothing: try again (a few times) until an execution prompt shows ``[*]``/``[1]``.
    """
    menu_run = page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$"))
    for _attempt in range(5):
        menu_run.first.click(timeout=10_000)
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).first.click(timeout=10_000)
        try:
            page.wait_for_function(_SOME_CELL_RAN, timeout=15_000)
            print(f"Run All Cells started the notebook at attempt {_attempt + 1}")
            return
        except playwright_sync.TimeoutError:
            page.keyboard.press("Escape")
    raise AssertionError("Run > Run All Cells did not start the notebook")


def test_memsize_tree_and_refgraph_in_jupyterlab(lab):
    base, token, work = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    console: list[str] = []
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                    headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.goto(f"{base}/lab/tree/browser.ipynb?token={token}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
            # the kernel must be up before "Run All Cells" does anything
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                                   timeout=90_000)
            _run_all_cells(page)

            tree = page.wait_for_selector(".pympler-nb-tree [role='tree']", timeout=120_000)
            page.screenshot(path=str(ARTIFACTS / "01_ran.png"), full_page=True)
            collapsed = page.locator(".pympler-nb-tree [role='treeitem'][aria-expanded='false']").first
            collapsed.wait_for(timeout=30_000)
            node_id = collapsed.get_attribute("data-node-id")
            items_before = page.locator(".pympler-nb-tree [role='treeitem']").count()
            collapsed.click()
            page.wait_for_selector(
                f".pympler-nb-tree [role='treeitem'][data-node-id='{node_id}'][aria-expanded='true']",
                timeout=30_000)
            page.wait_for_function(
                "n => document.querySelectorAll(\".pympler-nb-tree [role='treeitem']\").length > n",
                arg=items_before, timeout=30_000)
            assert tree.get_attribute("role") == "tree"
            page.screenshot(path=str(ARTIFACTS / "02_expanded.png"), full_page=True)

            page.wait_for_selector(".pympler-nb-graph svg g.node", timeout=120_000)
            nodes = page.locator(".pympler-nb-graph svg g.node").count()
            assert nodes >= 2
            graph = page.locator(".pympler-nb-graph").first
            graph.scroll_into_view_if_needed()
            # clicking a node shows its type, size and clipped repr
            page.locator(".pympler-nb-graph svg g.node").first.click()
            details = page.locator(".pympler-nb-graph .pnb-details dl").first
            details.wait_for(timeout=10_000)
            text = details.inner_text()
            assert "type" in text and "size" in text and "value" in text, text
            assert "bytes" in text
            graph.screenshot(path=str(ARTIFACTS / "03_graph.png"))
            # the kernel really had no dot: the cell printed None
            assert page.locator("text=dot on PATH: None").count() == 1
            page.screenshot(path=str(ARTIFACTS / "04_page.png"), full_page=True)
        except Exception:
            try:
                page.screenshot(path=str(ARTIFACTS / "failure.png"), full_page=True)
            except Exception:  # noqa: BLE001 - the page may be gone
                pass
            (ARTIFACTS / "console.log").write_text("\n".join(console))
            raise
        finally:
            browser.close()
    (ARTIFACTS / "console.log").write_text("\n".join(console))
