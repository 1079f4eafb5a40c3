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

import contextlib
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
import urllib.parse
import urllib.request

import pytest
from playwright import sync_api as playwright_sync

pytestmark = pytest.mark.kernel  # (browser: every test under tests/browser/, tests/conftest.py)

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


def write_notebook(work: pathlib.Path, name: str, cells: list[str]) -> pathlib.Path:
    """Write ``work / name``: a notebook of the code ``cells``, none run yet; return its path."""
    nb = {
        "cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
                   "outputs": [], "source": src} for i, src in enumerate(cells)],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    path = work / name
    path.write_text(json.dumps(nb))
    return path


def _start_lab(tmp_path: pathlib.Path, work: pathlib.Path, settings_extra: dict | None = None,
               app: str = "lab"):
    """Start JupyterLab (``app="notebook"``: Notebook 7) without ``dot`` on its PATH,
    serving ``work``; yield (base, token)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` "
                    "(bash .ci/test.sh does)")
    bindir = pathlib.Path(sys.executable).parent
    assert not (bindir / "dot").exists()
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)  # no "get notified about Jupyter news?" toast
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    for (package, plugin), values in (settings_extra or {}).items():
        folder = tmp_path / "settings" / package
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{plugin}.jupyterlab-settings").write_text(json.dumps(values))
    env.update(PATH=str(bindir), HOME=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"), PYTHONPATH=str(ROOT),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"))
    log = open(tmp_path / "lab.log", "w")
    args = [str(bindir / "jupyter"), app, "--no-browser", f"--port={port}", "--ip=127.0.0.1",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}"]
    # window.jupyterapp: the tests wait for the notebook's kernel through the app itself
    args.append(f"--{'LabApp' if app == 'lab' else 'JupyterNotebookApp'}.expose_app_in_browser=True")
    if app == "lab":
        args += [f"--LabApp.workspaces_dir={tmp_path / 'ws'}", "--LabApp.news_url=",
                 "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                 "--LabApp.extension_manager=readonly"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    proc = subprocess.Popen(args, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
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
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "lab.log", ARTIFACTS / f"{app}-{work.name}.log")


_SOME_CELL_RAN = ("() => [...document.querySelectorAll('.jp-Cell .jp-InputArea-prompt')]"
                  ".some(e => /[0-9*]/.test(e.textContent))")


_KERNEL_READY = """async () => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.sessionContext) return "no notebook yet";
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel) return "no kernel";
  await kernel.info;  // kernel_info answered: connected
  return "ready " + kernel.id;
}"""
_RUN_ALL = "() => window.jupyterapp.commands.execute('notebook:run-all-cells')"


# Save the open notebook until its model stays clean. A widget's message handler may send
# its static output again just after the change a test waited for, which marks the
# notebook dirty again after a save that began in between: one save is not enough.
_SAVE_UNTIL_CLEAN = """async (quietMs) => {
    const deadline = Date.now() + 60000;
    let cleanSince = null;
    while (Date.now() < deadline) {
        const p = window.jupyterapp.shell.currentWidget;
        if (p && p.context && p.context.model.dirty) {
            cleanSince = null;
            try { await p.context.save(); } catch (e) { /* retried */ }
        } else if (p && p.context) {
            cleanSince = cleanSince ?? Date.now();
            if (Date.now() - cleanSince >= quietMs) return true;
        }
        await new Promise(r => setTimeout(r, 100));
    }
    return false;
}"""


def save_notebook(page, quiet_ms: int = 1500) -> None:
    """Save the open notebook; return once it has stayed saved (not dirty) ``quiet_ms``."""
    assert page.evaluate(_SAVE_UNTIL_CLEAN, quiet_ms), "the notebook stayed dirty for 60 s after saving"


def _run_all_cells(page) -> None:
    """Run all cells once the notebook's kernel is connected, until the first cell has
    started.

    Clicking Run > Run All Cells while JupyterLab is still connecting the session raced:
    JupyterLab could ask "Select Kernel", start a second kernel and send the cells to the
    first one, which was being shut down. So wait for the session through the app
    (``expose_app_in_browser``), run the command, and if a dialog came up meanwhile
    (the handler of ``_auto_accept_kernel_dialog`` accepts it) wait for the new kernel
    and try again.
    """
    dialog_accept = page.locator(".jp-Dialog .jp-mod-accept")
    state = "?"
    for _attempt in range(5):
        if dialog_accept.count():  # any action runs the handler of _auto_accept_kernel_dialog
            page.locator(".jp-Notebook").first.hover(timeout=10_000)
        try:
            state = page.evaluate(_KERNEL_READY)
        except playwright_sync.Error as exc:  # the page reloaded meanwhile (a workspace ?reset)
            state = f"page changed: {str(exc).splitlines()[0]}"
        if not state.startswith("ready"):
            page.wait_for_timeout(2000)
            continue
        try:
            page.evaluate(_RUN_ALL)
            page.wait_for_function(_SOME_CELL_RAN, timeout=30_000)
            print(f"Run All Cells started the notebook at attempt {_attempt + 1} ({state})")
            return
        except playwright_sync.Error:  # (TimeoutError too)
            continue  # a dialog that came up meanwhile is accepted at the next action
    raise AssertionError(f"Run All Cells did not start the notebook (last state: {state})")


def test_memsize_tree_and_refgraph_in_jupyterlab(tmp_path):
    """JupyterLab without ``dot`` on its (and its kernels') PATH: the size tree expands on a
    click, the reference graph is drawn by the bundled WebAssembly Graphviz."""
    work = tmp_path / "work"
    work.mkdir()
    write_notebook(work, "browser.ipynb", CELLS)
    with lab_page(tmp_path, work, "browser.ipynb", shot="memsize") as (page, _console, _blocked):
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
        # a plain wheel over the graph scrolls the notebook (no scroll trap) and
        # shows the hint; Ctrl + wheel zooms
        svg = page.locator(".pympler-nb-graph .pnb-viewport svg").first
        page.mouse.move(5, 5)  # out of the graph: the click above engaged its wheel
        before = svg.get_attribute("viewBox")
        box = svg.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=3)
        page.mouse.wheel(0, 200)
        page.wait_for_timeout(300)
        assert svg.get_attribute("viewBox") == before
        assert page.locator(".pympler-nb-graph .pnb-wheel-hint.pnb-show").count() == 1
        page.mouse.move(box["x"] - 50, box["y"] - 50)  # leave the graph: it disengages
        svg.scroll_into_view_if_needed()
        box = svg.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.keyboard.down("Control")
        page.mouse.wheel(0, -200)
        page.keyboard.up("Control")
        page.wait_for_timeout(300)
        assert svg.get_attribute("viewBox") != before
        # a drag that starts on a node pans and selects nothing new
        node = page.locator(".pympler-nb-graph svg g.node").nth(1)
        nb = node.bounding_box()
        page.mouse.move(nb["x"] + nb["width"] / 2, nb["y"] + nb["height"] / 2)
        page.mouse.down()
        page.mouse.move(nb["x"] + 80, nb["y"] + 60, steps=5)
        page.mouse.up()
        outlined = page.evaluate(
            "() => [...document.querySelectorAll('.pympler-nb-graph g.node')].filter(g => {"
            " const s = g.querySelector('polygon, ellipse, path');"
            " return s && getComputedStyle(s).strokeWidth === '3px'; }).length")
        assert outlined <= 1, f"{outlined} nodes drawn as selected after a drag"
        dd = page.locator(".pympler-nb-graph .pnb-details dd").first
        assert dd.evaluate("e => getComputedStyle(e).wordBreak") == "normal"
        assert dd.evaluate("e => getComputedStyle(e).overflowWrap") == "anywhere"
        # the kernel really had no dot: the cell printed None
        assert page.locator("text=dot on PATH: None").count() == 1
        page.screenshot(path=str(ARTIFACTS / "04_page.png"), full_page=True)


# -- every demo notebook, offline ------------------------------------------------------------
DEMOS = ["01_tour.ipynb", "02_sizing.ipynb", "03_find_a_leak.ipynb", "04_class_tracker.ipynb",
         "05_reference_graphs.ipynb", "06_dask_workers.ipynb"]
#: what JupyterLab shows when an output cannot be drawn (a CDN script, a lost widget model)
_BROKEN = ("Error loading script", "Error displaying widget", "model not found",
           "Javascript Error", "Failed to create view")
_LOCAL_HOSTS = ("127.0.0.1", "localhost")
_ALL_RAN = ("() => { const cells = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];"
            " return cells.length > 0 && cells.every(e => /\\[[0-9]+\\]/.test(e.textContent)); }")


@pytest.fixture(scope="module")
def demo_lab(tmp_path_factory):
    """One JupyterLab for the demos: a copy of notebooks/, widget state saved on save
    (as .ci/lab.sh configures it)."""
    tmp = tmp_path_factory.mktemp("demos")
    work = tmp / "notebooks-work"
    work.mkdir()
    for name in DEMOS:
        shutil.copy(ROOT / "notebooks" / name, work / name)
    extra = {("@jupyter-widgets/jupyterlab-manager", "plugin"): {"saveState": True}}
    for base, token in _start_lab(tmp, work, extra):
        yield base, token, work


def _offline_page(browser, blocked: list[str], console: list[str]):
    """A page whose requests may only go to the local JupyterLab: any other is aborted
    and recorded (the test then fails)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})

    def route(r):
        host = urllib.parse.urlsplit(r.request.url).hostname or ""
        if r.request.url.startswith(("data:", "blob:")) or host in _LOCAL_HOSTS:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    _auto_accept_kernel_dialog(page)
    return page


def _auto_accept_kernel_dialog(page) -> None:
    """A fresh JupyterLab may ask "Select Kernel" when it opens a notebook (also on the
    first open, not only after the kernel was shut down): take the default whenever the
    dialog shows up and blocks an action."""
    page.add_locator_handler(page.locator(".jp-Dialog .jp-mod-accept"), _click_accept,
                             no_wait_after=True)


_dialog_shots: list = []  # one entry per dialog accepted (names its screenshot)


def _click_accept(button) -> None:
    """Accept a JupyterLab dialog. The handler does not wait for the dialog to hide
    (``no_wait_after``): a click that lands while the dialog is still being built is
    lost, and Playwright then runs the handler again on the next blocked action instead
    of waiting until its own timeout."""
    try:
        title = button.page.locator(".jp-Dialog-header").first.inner_text(timeout=1000)
    except playwright_sync.Error:
        title = "?"
    try:
        body = button.page.locator(".jp-Dialog-body").first.inner_text(timeout=1000)
    except playwright_sync.Error:
        body = "?"
    print(f"accepting dialog {title!r}: {body[:300]!r}")
    _dialog_shots.append(1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        button.page.screenshot(path=ARTIFACTS / f"dialog-{len(_dialog_shots)}.png")
    except playwright_sync.Error:
        pass
    try:
        button.click(timeout=3000)
        button.wait_for(state="hidden", timeout=3000)
    except playwright_sync.Error:
        pass  # still there: the next action runs this handler again


@contextlib.contextmanager
def lab_page(tmp_path: pathlib.Path, work: pathlib.Path, name: str, app: str = "lab",
             shot: str | None = None, offline: bool = False):
    """JupyterLab (``app="notebook"``: Notebook 7) serving ``work``, and Chromium showing
    its notebook ``name`` (in JupyterLab: once the kernel is idle); yield (page, console,
    blocked). ``offline``: requests that do not go to the local server are refused and
    listed in ``blocked``. If the block fails, the page's screenshot and the console go to
    ``ARTIFACTS`` as ``{shot}_failure.png`` and ``{shot}_console.log``."""
    shot = shot or pathlib.Path(name).stem
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    console: list[str] = []
    blocked: list[str] = []
    for base, token in _start_lab(tmp_path, work, app=app):
        with playwright_sync.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = None
            try:
                if offline:
                    page = _offline_page(browser, blocked, console)
                else:
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
                    _auto_accept_kernel_dialog(page)
                page.goto(f"{base}/{'lab/tree' if app == 'lab' else 'notebooks'}/{name}?token={token}")
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
                if app == "lab":  # the kernel must be up before "Run All Cells" does anything
                    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                                           timeout=90_000)
                yield page, console, blocked
            except Exception:
                if page is not None:
                    try:
                        page.screenshot(path=str(ARTIFACTS / f"{shot}_failure.png"), full_page=True)
                    except Exception:  # noqa: BLE001 - the page may be gone
                        pass
                (ARTIFACTS / f"{shot}_console.log").write_text("\n".join(console))
                raise
            finally:
                browser.close()


def _visible_text(page) -> str:
    return page.locator(".jp-Notebook").inner_text()


@pytest.mark.slow
@pytest.mark.notebooks
@pytest.mark.parametrize("name", DEMOS)
def test_demo_notebook_runs_offline_in_jupyterlab(demo_lab, name):
    base, token, work = demo_lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = name.removesuffix(".ipynb")
    blocked: list[str] = []
    console: list[str] = []
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = _offline_page(browser, blocked, console)
            url = f"{base}/lab/workspaces/{stem}/tree/{name}?reset&token={token}"  # one tab, own workspace
            page.goto(url)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
            _run_all_cells(page)
            page.wait_for_function(_ALL_RAN, timeout=300_000, polling=1000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
            page.wait_for_timeout(3000)  # let charts and widgets draw
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            tracebacks = [e for e in errors.all_inner_texts() if "Traceback" in e or "Error" in e]
            assert not tracebacks, tracebacks[:2]
            text = _visible_text(page)
            for broken in _BROKEN:
                assert broken not in text, f"{name}: {broken!r} shown"
            charts = page.locator(".jp-RenderedVegaCommon5, .vega-embed")
            graphs_ = page.locator(".pympler-nb-graph svg g.node")
            trees = page.locator(".pympler-nb-tree [role='tree']")
            counts = {"charts": charts.count(), "graph nodes": graphs_.count(), "trees": trees.count()}
            print(f"{name}: {counts}")
            if name in ("03_find_a_leak.ipynb", "04_class_tracker.ipynb"):
                assert counts["charts"] >= 2, counts
                for i in range(min(charts.count(), 6)):
                    chart = charts.nth(i)
                    chart.scroll_into_view_if_needed()
                    chart.locator("svg, canvas").first.wait_for(timeout=30_000)
                    chart.screenshot(path=str(ARTIFACTS / f"{stem}-chart{i}.png"))
            if name == "03_find_a_leak.ipynb":  # the --backrefs graph opens fitted
                assert counts["graph nodes"] >= 3, counts
                graph = page.locator(".pympler-nb-graph").first
                graph.scroll_into_view_if_needed()
                inside = graph.evaluate(
                    "g => { const v = g.querySelector('.pnb-viewport').getBoundingClientRect();"
                    " return [...g.querySelectorAll('g.node')].every(n => { const b = n.getBoundingClientRect();"
                    " return b.left >= v.left - 1 && b.right <= v.right + 1 && b.top >= v.top - 1"
                    " && b.bottom <= v.bottom + 1; }); }")
                graph.screenshot(path=str(ARTIFACTS / f"{stem}-backrefs.png"))
                assert inside, "the --backrefs graph opened cropped"
            if name == "05_reference_graphs.ipynb":
                assert counts["graph nodes"] >= 3, counts
                graph = page.locator(".pympler-nb-graph").first
                graph.scroll_into_view_if_needed()
                graph.screenshot(path=str(ARTIFACTS / f"{stem}-graph.png"))
            if name == "01_tour.ipynb":
                assert counts["trees"] >= 1 and counts["charts"] >= 1, counts
                tree = page.locator(".pympler-nb-tree").first
                tree.scroll_into_view_if_needed()
                tree.screenshot(path=str(ARTIFACTS / f"{stem}-tree.png"))
            warnings = [c for c in console if "Vega-Lite" in c and "current" in c]
            assert not warnings, warnings[:2]  # "spec uses Vega-Lite v5.20.1, current v5.6.1"
            page.screenshot(path=str(ARTIFACTS / f"{stem}-end.png"))
            # save (the widget state goes into the notebook), then reopen with a new kernel:
            # the widgets show their static views, never "model not found"
            page.keyboard.press("Control+s")
            page.wait_for_timeout(2000)
            if counts["trees"] or counts["graph nodes"]:
                urllib.request.urlopen(urllib.request.Request(
                    f"{base}/api/kernels/{_kernel_id(base, token, name)}?token={token}", method="DELETE"))
                page.goto(url)
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
                _accept_kernel_dialog(page)
                page.wait_for_selector(".pympler-nb-fallback", timeout=60_000)
                page.wait_for_timeout(2000)
                text = _visible_text(page)
                for broken in _BROKEN:
                    assert broken not in text, f"{name} reopened: {broken!r} shown"
                fallback = page.locator(".pympler-nb-fallback").first
                fallback.scroll_into_view_if_needed()
                fallback.screenshot(path=str(ARTIFACTS / f"{stem}-reopened.png"))
                saved = json.loads((work / name).read_text())
                state = json.dumps(saved.get("metadata", {}).get("widgets", {}))
                assert len(state) < 300_000, f"saved widget state {len(state):,} bytes"
        except Exception:
            try:
                page.screenshot(path=str(ARTIFACTS / f"{stem}-failure.png"))
            except Exception:  # noqa: BLE001 - the page may be gone
                pass
            raise
        finally:
            (ARTIFACTS / f"{stem}-console.log").write_text("\n".join(console))
            browser.close()
    assert not blocked, f"requests that left localhost: {blocked[:5]}"


def _accept_kernel_dialog(page) -> None:
    """A "Select Kernel" dialog (the notebook's kernel was shut down): take the default."""
    button = page.locator(".jp-Dialog .jp-mod-accept")
    try:
        button.wait_for(state="visible", timeout=5000)
    except playwright_sync.TimeoutError:
        return
    _click_accept(button)


def _kernel_id(base: str, token: str, name: str) -> str:
    with urllib.request.urlopen(f"{base}/api/sessions?token={token}") as resp:
        sessions = json.loads(resp.read())
    (kernel,) = [s["kernel"]["id"] for s in sessions if s["path"].endswith(name)]
    return kernel


# -- a saved notebook reopened without re-running, with JupyterLab's default settings ----------
REOPEN_CELLS = [
    "%load_ext pympler_nb",
    ("data = {'numbers': list(range(1000)), 'names': [str(i) * 3 for i in range(200)],\n"
     "        'nested': {'a': [1.5] * 10, 'b': ('x' * 100,)}}"),
    "%memsize -q data\nfrom pympler_nb.widgets import SizeTree\n%memsize data",
    "%refgraph -q data\n%refgraph --depth 2 data",
    ("from pympler_nb.core.refgraph import refs_graph\nfrom pympler_nb.widgets import RefGraph\n"
     "SizeTree.from_objects([data['nested']], ['direct_tree'])"),
    "RefGraph(refs_graph(data['nested'], max_depth=2), title='direct graph')",
]
_WIDGET_OUT = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.widget-view+json']"


def _visible_count(page, selector: str) -> int:
    return page.evaluate(
        "s => [...document.querySelectorAll(s)].filter(e => e.checkVisibility()).length", selector)


@pytest.mark.slow
def test_saved_notebook_reopens_with_static_views_by_default(tmp_path):
    """JupyterLab's default settings (no saved widget state): after a save and a reload
    without running anything, every widget output shows its static view (the tree's
    table, the graph's SVG), never "Error displaying widget: model not found"; while the
    kernel runs, the live views are shown and the static ones hidden."""
    work = tmp_path / "work"
    work.mkdir()
    path = write_notebook(work, "reopen.ipynb", REOPEN_CELLS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    console: list[str] = []
    blocked: list[str] = []
    for base, token in _start_lab(tmp_path, work):  # no saveState: JupyterLab's default
        with playwright_sync.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = _offline_page(browser, blocked, console)
            try:
                url = f"{base}/lab/workspaces/reopen/tree/reopen.ipynb?reset&token={token}"
                page.goto(url)
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
                page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
                _run_all_cells(page)
                page.wait_for_function(_ALL_RAN, timeout=300_000, polling=1000)
                page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
                page.wait_for_function("() => document.querySelectorAll('.pympler-nb-graph svg g.node').length > 0"
                                       " && document.querySelectorAll('.pympler-nb-tree [role=tree]').length >= 2",
                                       timeout=120_000)
                page.wait_for_timeout(1500)
                # live: four widget views, their static outputs hidden
                assert page.locator(".pympler-nb-live").count() == 4
                assert page.locator(".pympler-nb-static").count() == 4
                assert _visible_count(page, ".pympler-nb-static") == 0
                assert _visible_count(page, ".pympler-nb-tree [role='tree']") == 2
                # open a second-level row: the saved static table shows the rows opened
                tree0 = page.locator(".pympler-nb-tree").first
                tree0.scroll_into_view_if_needed()
                root = tree0.locator("[role='treeitem'][aria-level='1']").first
                if root.get_attribute("aria-expanded") == "false":
                    root.click()
                nested = tree0.locator("[role='treeitem']", has_text="[V] nested").first
                nested.click()
                tree0.locator("[role='treeitem']", has_text="[V] b").first.wait_for(timeout=30_000)
                page.wait_for_timeout(1000)
                page.screenshot(path=str(ARTIFACTS / "reopen-live.png"), full_page=True)
                save_notebook(page)
                saved = json.loads(path.read_text())
                assert "widgets" not in saved["metadata"]  # really no saved widget state
                urllib.request.urlopen(urllib.request.Request(
                    f"{base}/api/kernels/{_kernel_id(base, token, 'reopen.ipynb')}?token={token}",
                    method="DELETE"))
                page.goto(url)
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
                _accept_kernel_dialog(page)
                page.wait_for_selector(".pympler-nb-static", timeout=60_000)
                page.wait_for_timeout(4000)  # the widget manager has given up on the models
                page.screenshot(path=str(ARTIFACTS / "reopen-reopened.png"), full_page=True)
                shown = page.evaluate(  # every output's text, and whether it is displayed
                    "() => [...document.querySelectorAll('.jp-OutputArea-child')].map(e =>"
                    " [e.checkVisibility(), e.textContent, !!e.querySelector('.pympler-nb-static')])")
                visible = "\n".join(t for v, t, _ in shown if v)
                for broken in _BROKEN:
                    assert broken not in visible, f"reopened: {broken!r} shown"
                assert "Loading widget" not in visible
                statics = [t for v, t, static in shown if static and v]
                assert len(statics) == 4 and len([1 for _, _, static in shown if static]) == 4
                trees = [t for t in statics if "share of parent" in t]
                graphs_static = [t for t in statics if "digraph" in t or "<svg" in t]
                assert len(trees) == 2 and len(graphs_static) == 2, statics
                # the tree's table holds the roots and their first children, the graph its nodes
                assert "numbers" in trees[0] and "names" in trees[0] and "direct_tree" in trees[1]
                assert "[V] numbers" in trees[0] and "[V] a" in trees[1], trees
                assert "[V] b" in trees[0], trees[0]  # opened in the live view before the save
                assert page.locator(".pympler-nb-live").count() == 0
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "reopen-failure.png"), full_page=True)
                raise
            finally:
                (ARTIFACTS / "reopen-console.log").write_text("\n".join(console))
                browser.close()
    assert not blocked, blocked[:5]
    # the notebook as JupyterLab saved it, exported by nbconvert: the static views, readable
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env["HOME"] = str(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(path)],
                          cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    exported = (work / "reopen.html").read_text(encoding="utf-8")
    assert len(re.findall(r"""class=["']pympler-nb-static["']""", exported)) == 4
    assert exported.count("share of parent") >= 2 and "[V] b" in exported
    assert "getViz" not in exported and len(exported.encode()) < 1_000_000


# -- Notebook 7 ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_demo_notebook_runs_offline_in_notebook7(tmp_path):
    """Notebook 7 (``jupyter notebook``, the demo extra): the file browser at /tree lists
    the demos; 01_tour opened at /notebooks/..., run from its Run menu, draws its charts
    with the front end's own Vega-Lite and its size tree widget, with no request leaving
    localhost and no broken output."""
    work = tmp_path / "notebooks-work"
    work.mkdir()
    name = "01_tour.ipynb"
    shutil.copy(ROOT / "notebooks" / name, work / name)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    blocked: list[str] = []
    console: list[str] = []
    for base, token in _start_lab(tmp_path, work, app="notebook"):
        with playwright_sync.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = _offline_page(browser, blocked, console)
            try:
                page.goto(f"{base}/tree?token={token}")
                page.wait_for_selector(f".jp-DirListing-item[title*='{name}'], .jp-DirListing-item:has-text('{name}')",
                                       timeout=90_000)
                page.goto(f"{base}/notebooks/{name}?token={token}")
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
                _run_all_cells(page)
                page.wait_for_function(_ALL_RAN, timeout=300_000, polling=1000)
                page.wait_for_function(
                    "() => document.querySelectorAll('.pympler-nb-tree [role=tree]').length > 0"
                    " && document.querySelectorAll('.jp-RenderedVegaCommon5 svg, .jp-RenderedVegaCommon5 canvas')"
                    ".length > 0", timeout=120_000)
                page.wait_for_timeout(3000)
                assert "/notebooks/" in page.url  # Notebook 7's own page, not JupyterLab
                errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
                tracebacks = [e for e in errors.all_inner_texts() if "Traceback" in e or "Error" in e]
                assert not tracebacks, tracebacks[:2]
                shown = page.evaluate(
                    "() => [...document.querySelectorAll('.jp-OutputArea-child')]"
                    ".filter(e => e.checkVisibility()).map(e => e.textContent).join('\\n')")
                for broken in _BROKEN:
                    assert broken not in shown, f"Notebook 7: {broken!r} shown"
                charts = page.locator(".jp-RenderedVegaCommon5")
                assert charts.count() >= 1
                for i in range(charts.count()):
                    charts.nth(i).scroll_into_view_if_needed()
                    charts.nth(i).locator("svg, canvas").first.wait_for(timeout=30_000)
                charts.first.screenshot(path=str(ARTIFACTS / "notebook7-chart.png"))
                trees = page.locator(".pympler-nb-tree [role='tree']")
                assert trees.count() >= 1 and _visible_count(page, ".pympler-nb-static") == 0
                trees.first.scroll_into_view_if_needed()
                trees.first.screenshot(path=str(ARTIFACTS / "notebook7-tree.png"))
                warnings = [c for c in console if "Vega-Lite" in c and "current" in c]
                assert not warnings, warnings[:2]
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "notebook7-failure.png"), full_page=True)
                raise
            finally:
                (ARTIFACTS / "notebook7-console.log").write_text("\n".join(console))
                browser.close()
    assert not blocked, f"requests that left localhost: {blocked[:5]}"


# -- %referrers: the size tree walking referrers (issue 17, item 21) -------------------------
REFERRER_CELLS = [
    "%load_ext pympler_nb",
    "payload = bytearray(1000)\nholder = {'p': payload}\nbox = [0, holder]",
    "%referrers payload",
]


def test_referrers_tree_expands_two_levels_in_jupyterlab(tmp_path):
    """``%referrers payload`` opens the tree; a click lists who holds ``payload`` (the dict
    ``holder``), a second click who holds that (the list ``box``, the global ``holder``)."""
    work = tmp_path / "work"
    work.mkdir()
    write_notebook(work, "referrers.ipynb", REFERRER_CELLS)
    item = ".pympler-nb-tree [role='treeitem']"
    with lab_page(tmp_path, work, "referrers.ipynb", shot="referrers") as (page, _console, _blocked):
        _run_all_cells(page)
        page.wait_for_selector(".pympler-nb-tree [role='tree']", timeout=120_000)
        root = page.locator(f"{item}[data-node-id='0']").first
        root.wait_for(timeout=30_000)
        assert "payload" in root.inner_text()
        if root.get_attribute("aria-expanded") != "true":
            root.click()
        page.wait_for_selector(f"{item}[data-node-id='0'][aria-expanded='true']", timeout=30_000)
        level1 = page.locator(item, has_text="value ['p'] of dict `holder`").first
        level1.wait_for(timeout=30_000)
        assert page.locator(item, has_text="global `payload`").count() == 1
        page.screenshot(path=str(ARTIFACTS / "referrers_01.png"), full_page=True)
        node_id = level1.get_attribute("data-node-id")
        assert node_id.startswith("0/") and level1.get_attribute("aria-expanded") == "false"
        level1.click()
        page.wait_for_selector(f"{item}[data-node-id='{node_id}'][aria-expanded='true']",
                               timeout=30_000)
        page.locator(item, has_text="item 1 of list `box`").first.wait_for(timeout=30_000)
        assert page.locator(item, has_text="global `holder`").count() == 1
        # the browser's own widget and frames are nowhere in the tree
        text = page.locator(".pympler-nb-tree").first.inner_text()
        assert "SizeTree" not in text and "frame" not in text, text
        page.screenshot(path=str(ARTIFACTS / "referrers_02.png"), full_page=True)
