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
fallbacks, which the exported HTML shows offline.
"""

from __future__ import annotations

import hashlib
import json
import pathlib

__all__ = ["STATIC", "BundleMissingError", "bundle_path", "read_bundle", "EsmBundle", "loader_source",
           "answer_bundle_request", "interactive_frontend", "WIDGET_VIEW_MIME"]

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
export default {
  async render({ model, el }) {
    el.textContent = "loading…";
    const timer = setTimeout(() => fallback(model, el), SHOW_FALLBACK_MS);
    let mod;
    try { mod = await load(model); } catch (err) {
      clearTimeout(timer); fallback(model, el); console.info("pympler_nb:", err && err.message); return;
    }
    clearTimeout(timer);
    el.replaceChildren();
    return mod.default.render({ model, el });
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
    except Exception:  # noqa: BLE001, S110 - the front end went away
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
