"""The built front-end bundles (``pympler_nb/static/*.js``), how they reach the browser,
and the widgets' static fallbacks.

The bundles are built from ``js/`` by esbuild (``npm ci && npm run build``, or any
``pip install``/``pip wheel``); they are git-ignored, shipped in the wheel and the sdist,
and read when a widget is created (not at import, so ``import pympler_nb.widgets`` works
in a fresh clone before the build).

**The bundle is never part of a widget's saved state.** A widget's ``_esm`` is a small
loader (:func:`loader_source`): it asks the kernel for the bundle with a custom message
(which neither JupyterLab's "save widget state" nor nbclient store), imports it once per
page, and when no kernel answers (a reopened notebook whose kernel is gone) draws the
widget's static fallback (``_fallback``, HTML) instead. So a notebook executed by
``jupyter nbconvert --execute`` or saved with its widget state stays small (the 1.3 MB
graph bundle used to be stored once per widget).

**Non-interactive runs get the static view.** :func:`interactive_frontend` is False when
the cell was sent by a client that does not take input (nbclient, ``nbconvert
--execute``, papermill send ``allow_stdin=False``; JupyterLab, Notebook 7 and VS Code
send True): the widgets then display only their ``text/plain`` / ``text/html`` (SVG)
fallbacks, which the exported HTML shows offline, and create no widget model (no
comm: nothing for nbclient to store as widget state).

**A saved notebook shows the static view.** In a person's front end a widget is
displayed as two outputs (:func:`display_paired`): first its static view (``text/html``
marked ``pympler-nb-static``, ``text/plain``), then the widget view. JupyterLab and
Notebook 7 draw a widget view only while its model exists; reopened without a saved
widget state (JupyterLab's default) they show "Error displaying widget: model not
found" instead of falling back to another type of the same output. With two outputs
the static one is an ordinary output that survives; a small stylesheet in it hides the
static output while the live view (``.pympler-nb-live``) follows it, and hides the
widget output that follows it when it shows no live view (the "model not found" of a
reopened notebook, or "Loading widget..."). Front ends without those classes (VS Code)
hide the static output from the loader, by its ``data-pympler-nb-static`` id.
"""

from __future__ import annotations

import hashlib
import html
import json
import pathlib
import re
import uuid

__all__ = [
    "BundleMissingError", "EsmBundle", "STATIC", "StaticPairing", "WIDGET_VIEW_MIME",
    "answer_bundle_request", "batch_run", "bundle_path", "current_request", "display_paired",
    "interactive_frontend", "loader_source", "paired_static_html", "read_bundle",
    "static_bundle", "update_static",
]

STATIC = pathlib.Path(__file__).resolve().parent.parent / "static"

_cache: dict[str, tuple[int, int, str]] = {}


class BundleMissingError(FileNotFoundError):
    """A widget's JavaScript bundle has not been built."""

    def __init__(self, path: pathlib.Path):
        self.path = path
        super().__init__(
            f"the front-end bundle {path.name} of pympler_nb's widgets is missing ({path}); "
            f"run `pip install -e .` or `npm ci && npm run build` in the repo (needs Node.js "
            f"and npm: see package.json `engines`), or install a pympler_nb wheel or sdist, "
            f"which ship it")


def bundle_path(name: str) -> pathlib.Path:
    """Path of the bundle ``name`` (e.g. ``'size_tree.js'``); it may not exist."""
    return STATIC / name


def read_bundle(name: str) -> str:
    """Text of the bundle ``name``; re-read when the file changes (``npm run dev``).

    Raises
    ------
    BundleMissingError
        If the bundle was not built; the message says how to build it.
    """
    path = bundle_path(name)
    try:
        stat = path.stat()
    except OSError:
        raise BundleMissingError(path) from None
    cached = _cache.get(name)
    if cached is not None and cached[:2] == (stat.st_mtime_ns, stat.st_size):
        return cached[2]
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise BundleMissingError(path) from None
    _cache[name] = (stat.st_mtime_ns, stat.st_size, text)
    return text


class EsmBundle:
    """Class attribute for an anywidget ``_esm``: the loader of the bundle, per instance.

    On the class it is this descriptor (which anywidget leaves alone at class creation);
    on an instance it is :func:`loader_source` of the bundle, or
    :class:`BundleMissingError`.
    """

    def __init__(self, name: str):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return loader_source(self.name)

    def __repr__(self):
        return f"<EsmBundle {self.name}>"


#: the media type of a widget view (JupyterLab renders it only while the kernel has the model)
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"

#: the message a loader sends, and the type of the kernel's answer
BUNDLE_REQUEST = "pympler_nb.esm"

_LOADER = """// pympler_nb: loads the widget's front end from the kernel, once per page (see
// pympler_nb/widgets/_static.py). Until it arrives (the kernel may be busy running the
// next cells, or gone: a reopened notebook) the widget shows its static view.
const KEY = %(key)s;
const SHOW_FALLBACK_MS = 1500;
function load(model) {
  const cache = (globalThis.__pympler_nb_bundles ??= {});
  if (!cache[KEY]) {
    cache[KEY] = new Promise((resolve, reject) => {
      function onMessage(msg) {
        if (!msg || msg.type !== %(request)s) return;
        model.off("msg:custom", onMessage);
        const url = URL.createObjectURL(new Blob([msg.code], { type: "text/javascript" }));
        import(url).then(resolve, reject).finally(() => URL.revokeObjectURL(url));
      }
      model.on("msg:custom", onMessage);
      try { model.send({ type: %(request)s, key: KEY }); } catch (err) { reject(err); }
    });
    cache[KEY].catch(() => { delete cache[KEY]; });
  }
  return cache[KEY];
}
function fallback(model, el) {
  const box = document.createElement("div");
  box.className = "pympler-nb-fallback";
  const note = document.createElement("p");
  note.style.cssText = "font-size:smaller;opacity:.7;margin:0 0 .3em";
  note.textContent = "(static view: the interactive one needs the kernel that drew it; " +
                     "if that kernel is gone, run the cell again)";
  box.innerHTML = model.get("_fallback") || "";
  box.prepend(note);
  el.replaceChildren(box);
}
function hideStatic(model, el) {
  // the static output displayed just before this view (pympler_nb.widgets._static.display_paired):
  // JupyterLab's stylesheet hides it through .pympler-nb-live; other front ends by its id
  el.classList.add("pympler-nb-live");
  const id = model.get("_static_id");
  if (!id || !/^[0-9a-f]+$/.test(id)) return;
  for (const s of document.querySelectorAll(`[data-pympler-nb-static="${id}"]`)) s.style.display = "none";
}
export default {
  async render(ctx) {
    const { model, el } = ctx;  // (ctx.host: anywidget's host, for widgets that show others)
    try { hideStatic(model, el); } catch (err) { /* a view without a document */ }
    el.textContent = "loading…";
    const timer = setTimeout(() => fallback(model, el), SHOW_FALLBACK_MS);
    let mod;
    try { mod = await load(model); } catch (err) {
      clearTimeout(timer); fallback(model, el); console.info("pympler_nb:", err && err.message); return;
    }
    clearTimeout(timer);
    el.replaceChildren();
    return mod.default.render(ctx);
  },
};
"""


def _key(name: str, text: str) -> str:
    return f"{name}:{hashlib.sha1(text.encode('utf-8')).hexdigest()[:16]}"


def loader_source(name: str) -> str:
    """The ``_esm`` of a widget whose bundle is ``name``: a loader of about 2 KB that
    fetches the bundle from the kernel (see the module docstring).

    Raises
    ------
    BundleMissingError
        If the bundle was not built.
    """
    key = _key(name, read_bundle(name))
    return _LOADER % {"key": json.dumps(key), "request": json.dumps(BUNDLE_REQUEST)}


def answer_bundle_request(widget, name: str, content) -> bool:
    """Answer a loader's request for the bundle ``name`` (True when ``content`` was one).

    The answer carries the bundle text (the current build, also after a rebuild).
    """
    if not (isinstance(content, dict) and content.get("type") == BUNDLE_REQUEST):
        return False
    text = read_bundle(name)
    try:
        widget.send({"type": BUNDLE_REQUEST, "key": _key(name, text), "code": text})
    except Exception:  # noqa: BLE001 - the front end went away
        pass
    return True


def interactive_frontend() -> bool:
    """Whether the running cell came from a front end a person uses (JupyterLab,
    Notebook 7, VS Code: ``allow_stdin`` True), not from a batch runner (nbclient,
    ``jupyter nbconvert --execute``, papermill: False) or outside a kernel."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    kernel = getattr(get_ipython(), "kernel", None)
    if kernel is None:
        return False
    try:
        parent = kernel.get_parent("shell")
    except Exception:  # noqa: BLE001 - an older or unusual kernel
        parent = getattr(kernel, "_parent_header", None)
    content = parent.get("content", {}) if isinstance(parent, dict) else {}
    return bool(content.get("allow_stdin", False))


def batch_run() -> bool:
    """Whether a kernel runs the current cell for a batch runner (nbclient, ``nbconvert
    --execute``, papermill): then the widgets open no comm (no widget model, nothing
    stored as widget state) and display their static views only. False outside a kernel
    (scripts, terminal IPython, tests), where a widget is an ordinary object."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    if getattr(get_ipython(), "kernel", None) is None:
        return False
    return not interactive_frontend()


#: hides the static output while the live view follows it, and the widget output after it
#: when that shows no live view ("Error displaying widget: model not found" of a reopened
#: notebook, "Loading widget..."): JupyterLab's and Notebook 7's output-area classes
STATIC_CSS = (
    ".jp-OutputArea-child:has(.pympler-nb-static):has(+ .jp-OutputArea-child .pympler-nb-live)"
    "{display:none}"
    # the widget output is always the one right after (display_paired); JupyterLab marks
    # it with no media type, so it is found by its place
    ".jp-OutputArea-child:has(.pympler-nb-static)+.jp-OutputArea-child:not(:has(.pympler-nb-live))"
    "{display:none}"
)

_XML_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)


def paired_static_html(static_id: str, data: dict) -> str:
    """The ``text/html`` of a widget's static output: its ``text/html`` (or inline SVG),
    marked with ``static_id`` and carrying :data:`STATIC_CSS`."""
    body = data.get("text/html")
    if body is None and data.get("image/svg+xml"):
        body = _XML_PROLOGUE.sub("", data["image/svg+xml"], count=1)
    if body is None:
        body = f"<pre>{html.escape(str(data.get('text/plain', '')))}</pre>"
    return (f"<div class='pympler-nb-static' data-pympler-nb-static='{html.escape(static_id)}'>"
            f"<style>{STATIC_CSS}</style>{body}</div>")


def static_bundle(data: dict, static_id: str) -> dict:
    """The static output of a widget's bundle ``data``: everything but the widget view,
    with ``text/html`` made by :func:`paired_static_html`."""
    static = {k: v for k, v in data.items() if k not in (WIDGET_VIEW_MIME, "text/html")}
    static["text/html"] = paired_static_html(static_id, data)
    return static


def display_paired(data: dict, metadata: dict | None, static_id: str) -> None:
    """Display a widget's bundle ``data`` as two outputs: the static view (display id
    ``static_id``: :func:`update_static` replaces it), then the widget view (see the
    module docstring); a bundle without a widget view as it is."""
    from IPython.display import display

    view = data.get(WIDGET_VIEW_MIME)
    if view is None:
        display(data, metadata=metadata or {}, raw=True)
        return
    text = str(data.get("text/plain", ""))
    display(static_bundle(data, static_id), raw=True, display_id=static_id)
    first = text.splitlines()[0] if text else ""
    display({WIDGET_VIEW_MIME: view, "text/plain": first + " (interactive view; the static one is above)"},
            metadata=metadata or {}, raw=True)


def current_request():
    """The request the kernel is answering (the cell's ``execute_request``), or None."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    kernel = getattr(get_ipython(), "kernel", None)
    try:
        return kernel.get_parent("shell") if kernel is not None else None
    except Exception:  # noqa: BLE001 - an older or unusual kernel
        return None


def update_static(static_id: str, static: dict, request) -> bool:
    """Replace the static output ``static_id`` with ``static``, from a comm message
    handler: the ``update_display_data`` names the cell's ``request`` as its parent, so
    that JupyterLab routes it to that cell's outputs (and saves it with the notebook).
    False when there is no kernel or no request."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    pub = getattr(get_ipython(), "display_pub", None)
    session = getattr(pub, "session", None)
    if session is None or request is None:
        return False
    content = {"data": static, "metadata": {}, "transient": {"display_id": static_id}}
    session.send(pub.pub_socket, session.msg("update_display_data", content, parent=request), ident=pub.topic)
    return True


class StaticPairing:
    """Mixin of the widgets (before ``anywidget.AnyWidget``): no comm in a batch run
    (:func:`batch_run`), and display as a static output plus the widget view
    (:func:`display_paired`). The class declares the synced ``_static_id`` trait."""

    def open(self):
        if batch_run():
            return  # nbconvert --execute: no widget model; the display is static
        super().open()

    def _widget_bundle(self, **kwargs) -> tuple[dict, dict]:
        """The widget view's bundle when a person's front end shows it, else ``({}, {})``."""
        if getattr(self, "comm", None) is None or not interactive_frontend():
            return {}, {}
        bundle = super()._repr_mimebundle_(**kwargs)
        data, meta = bundle if isinstance(bundle, tuple) else (bundle or {}, {})
        return data, meta

    def _before_display(self) -> None:
        """Load what the static view should show (the size tree: the roots' children)."""

    def _ipython_display_(self):
        # the class's method: ipywidgets' close() sets the instance's to None (a closed
        # widget then shows its static view: _widget_bundle is empty without a comm)
        self._before_display()
        data, meta = type(self)._repr_mimebundle_(self)
        if not self._static_id:
            self._static_id = new_static_id()
        if WIDGET_VIEW_MIME in data:
            self._display_request = current_request()
        display_paired(data, meta, self._static_id)

    def _refresh_static(self) -> None:
        """Send the static output again (the rows opened since): called by a message
        handler after the view changed what the static view shows."""
        request = getattr(self, "_display_request", None)
        if request is None:
            return
        try:
            data, _ = type(self)._repr_mimebundle_(self)
            update_static(self._static_id, static_bundle(data, self._static_id), request)
        except Exception:  # noqa: BLE001 - the front end or the kernel went away
            pass


def new_static_id() -> str:
    """A fresh id pairing a widget with its static output (hex: safe in HTML and CSS)."""
    return uuid.uuid4().hex
