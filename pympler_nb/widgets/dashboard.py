"""The ``%memdash`` dashboard: one widget with tabs, each computed when it is opened.

Tabs (:data:`~pympler_nb.widgets.dashboard_tabs.TABS`): **Process** (memory as the OS
sees it, the container limit, the segments, the threads' stacks; a click on a frame sizes
its locals), **Timeline** (the ``%memwatch`` ledger), **Variables** (``%memvars``),
**Classes** (the Class Tracker's statistics and charts) and **Garbage** (the reference
cycles, one table and one drawn reference graph per cycle, optionally reduced to the
objects on the cycle). A class on the Classes tab opens its detail (Pympler's
``/tracker/class/<name>``); a linked name in a table opens an object's detail (Pympler's
``/objects/<id>``: referents and referrers, each linked in turn). The pages
are made by :mod:`pympler_nb.widgets.dashboard_tabs`; a tab is computed in the kernel
the first time it is opened and again on "refresh", never before.

Messages (validated; an error goes back as ``{"type": "error", "message"}``):

* browser -> kernel: ``{"type": "open", "tab"}`` (compute the tab if it was not, make it
  the open one), ``{"type": "refresh", "tab"}`` (compute it again),
  ``{"type": "option", "tab": "garbage", "name": "reduce", "value": bool}``,
  ``{"type": "locals", "thread": int, "depth": int, "frame_id": str}`` (a frame shown on
  the Process tab: its ``depth`` and ``frame_id`` as shipped),
  ``{"type": "detail", "tab", "what": "class" | "object", "key": str}`` (a linked cell:
  a tracked class's detail on the Classes tab, Pympler's ``/tracker/class/<name>``; an
  object's detail, Pympler's ``/objects/<id>``: the key names the path to the object,
  ids and names only, and the object is found again from it when clicked, or said gone);
* kernel -> browser: the synced traits ``pages`` (tab -> ``{"blocks", "time", "detail",
  "object", "options"}``) and ``active``.

The display carries ``text/plain`` and ``text/html`` of the open tab: what an exported
notebook shows (the widget's saved ``_fallback`` is the same HTML).

>>> dash = Dashboard(providers={"timeline": None, "variables": None}, tab="garbage")
>>> sorted(dash.pages)
['garbage']
>>> _ = dash.handle({"type": "open", "tab": "timeline"})
>>> sorted(dash.pages), dash.active
(['garbage', 'timeline'], 'timeline')
"""

from __future__ import annotations

import html
import weakref

import anywidget
import traitlets as t

from ..core.format import clip_text, format_size, text_safe
from ..core.session import register_own
from . import _static
from . import dashboard_tabs as tabs
from ._static import EsmBundle, answer_bundle_request, read_bundle

__all__ = ["Dashboard"]

_BUNDLE = "dashboard.js"


def _error(message: str) -> dict:
    return {"type": "error", "message": text_safe(message)}


#: the dashboards alive: their pages are our own objects (left out of every walk: a
#: SummaryTracker diff or the %memwatch ledger never counts what the dashboard shows)
_DASHBOARDS: weakref.WeakSet = weakref.WeakSet()


def _own_pages() -> list:
    """Every container and string of the live dashboards' pages (iteratively)."""
    out: list = []
    for dash in list(_DASHBOARDS):
        stack = [dash.pages, dash._fallback, dash._handles]
        while stack:
            item = stack.pop()
            out.append(item)
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, (list, tuple)):
                stack.extend(item)
    return out


register_own(_own_pages)


class Dashboard(_static.StaticPairing, anywidget.AnyWidget):
    """The dashboard widget (see the module docstring).

    Parameters
    ----------
    tab : str
        The tab open first (computed at once; the others when they are opened).
    providers : dict, optional
        ``{"timeline": callable | None, "variables": callable | None}`` (default:
        :func:`~pympler_nb.widgets.dashboard_tabs.default_providers`).
    tracker : callable, optional
        Returns the Class Tracker to show (or None when not tracking); default: none.
    reduce : bool
        The Garbage tab's first setting: each cycle reduced to the objects on it.

    Raises
    ------
    BundleMissingError
        If the front end was not built (``npm ci && npm run build`` in the repo).
    ValueError
        For an unknown ``tab``.
    """

    _esm = EsmBundle(_BUNDLE)

    tabs = t.List(t.Dict(), help="[{name, title}] in order").tag(sync=True)
    active = t.Unicode("process", help="the open tab").tag(sync=True)
    pages = t.Dict(help="tab -> {blocks, time, detail, object, options}: the tabs computed so far").tag(sync=True)
    busy = t.Unicode("", help="the tab being computed ('' when idle)").tag(sync=True)
    _fallback = t.Unicode("", help="the static HTML of the open tab, drawn by the loader when no "
                                   "kernel answers (a reopened notebook)").tag(sync=True)
    _static_id = t.Unicode("", help="pairs the view with its static output").tag(sync=True)

    _MESSAGES = ("open", "refresh", "option", "locals", "detail")
    #: object paths kept at most (the oldest forgotten: their links then say so)
    MAX_HANDLES = 20000

    def __init__(self, *, tab: str = "process", providers: dict | None = None, tracker=None,
                 reduce: bool = True, workers=None, **kwargs):
        read_bundle(_BUNDLE)  # a missing build fails here, with the fix in the message
        # workers: a callable giving one row per Dask worker (pympler_nb.distributed.workers_frame)
        self._names = tabs.TABS + ((tabs.WORKERS_TAB,) if workers is not None else ())
        self._workers = workers
        if tab not in self._names:
            raise ValueError(f"unknown tab {tab!r}; use one of {', '.join(self._names)}")
        super().__init__(tabs=[{"name": n, "title": tabs.TAB_TITLES[n]} for n in self._names],
                         active=tab, _static_id=_static.new_static_id(), **kwargs)
        self._providers = dict(tabs.default_providers() if providers is None else providers)
        self._tracker = tracker
        self._children: dict = {}  # tab -> a widget its provider gave (kept while shown)
        self._options = {"garbage": {"reduce": bool(reduce)}}
        # key -> the path to an object shown in a table (ids and names: never the object)
        self._handles: dict[str, tuple] = {}
        self._next_handle = 0
        self.computed: list[str] = []  # tabs computed, in order (for tests and curiosity)
        _DASHBOARDS.add(self)
        self._compute(tab)
        self.on_msg(self._on_msg)

    # -- computing pages -------------------------------------------------------------
    def _blocks(self, tab: str) -> list[dict]:
        if tab == "process":
            return tabs.process_page()
        if tab == "classes":
            return tabs.classes_page(self._tracker() if self._tracker is not None else None, self._register)
        if tab == "garbage":
            return tabs.garbage_page(reduce=self._options["garbage"]["reduce"])
        if tab == tabs.WORKERS_TAB:
            return tabs.provider_page(self._workers, "no Dask client given (%memdash --dask CLIENT)",
                                      "Dask workers: RSS, limit, managed and the unmanaged split")
        old = self._children.pop(tab, None)  # a widget shown by the tab before: closed
        if old is not None:
            try:
                old.close()
            except Exception:  # noqa: BLE001 - a widget that fails to close is dropped anyway
                pass

        def keep(widget):
            self._children[tab] = widget

        if tab == "timeline":
            return tabs.provider_page(self._providers.get("timeline"),
                                      "%memwatch is not on: the timeline shows its per-cell ledger",
                                      "Memory per cell (%memwatch ledger)", keep)
        return tabs.provider_page(self._providers.get("variables"),
                                  "%memvars's table is not available here (no IPython session)",
                                  "Variables (%memvars)", keep)

    def _compute(self, tab: str) -> None:
        self.busy = tab
        try:
            try:
                blocks = self._blocks(tab)
            except Exception as exc:  # noqa: BLE001 - a tab that fails says why, the others work
                blocks = [tabs.note(f"this tab could not be computed: {type(exc).__name__}: "
                                    f"{clip_text(str(exc), 300)}")]
            self.computed.append(tab)
            pages = dict(self.pages)
            pages[tab] = {"blocks": blocks, "time": tabs.stamp(), "detail": None, "object": None,
                          "options": dict(self._options.get(tab, {}))}
            self.pages = pages
        finally:
            self.busy = ""

    # -- messages --------------------------------------------------------------------
    def _on_msg(self, widget, content, buffers):
        if answer_bundle_request(self, _BUNDLE, content):
            return
        reply = self.handle(content)
        if reply is not None:
            try:
                self.send(reply)
            except Exception:  # noqa: BLE001 - the front end went away
                pass
        self._refresh_static()

    def handle(self, content) -> dict | None:
        """Act on one browser message; None, or an error reply. Never raises."""
        try:
            return self._answer(content)
        except Exception as exc:  # noqa: BLE001 - a kernel traceback would be a failure
            return _error(f"internal error: {type(exc).__name__}: {exc}")

    def _tab_of(self, content) -> str:
        tab = content.get("tab")
        if tab not in self._names:
            raise LookupError(f"unknown tab {clip_text(repr(tab), 40)}; one of {', '.join(self._names)}")
        return tab

    def _answer(self, content) -> dict | None:
        if not isinstance(content, dict):
            return _error(f"expected a message object {{type, ...}}, got {type(content).__name__}")
        kind = content.get("type")
        if kind not in self._MESSAGES:
            return _error(f"unknown message type {clip_text(repr(kind), 40)}; allowed: "
                          f"{', '.join(map(repr, self._MESSAGES))}")
        if kind == "locals":
            return self._locals(content)
        if kind == "detail":
            return self._detail(content)
        try:
            tab = self._tab_of(content)
        except LookupError as exc:
            return _error(str(exc))
        if kind == "option":
            name, value = content.get("name"), content.get("value")
            if tab != "garbage" or name != "reduce" or not isinstance(value, bool):
                return _error(f"unknown option {clip_text(repr(name), 30)}={clip_text(repr(value), 20)} "
                              f"for tab {tab!r}; the garbage tab takes reduce=true|false")
            self._options["garbage"]["reduce"] = value
            self._compute(tab)
        elif kind == "refresh" or tab not in self.pages:
            self._compute(tab)
        self.active = tab
        self._fallback = self.static_html()
        return None

    def _locals(self, content) -> dict | None:
        thread, depth, frame_id = content.get("thread"), content.get("depth"), content.get("frame_id")
        if type(thread) is not int or type(depth) is not int or thread < 0 or depth < 0:
            return _error(f"locals: thread and depth must be ints >= 0, got {clip_text(repr(thread), 30)}, "
                          f"{clip_text(repr(depth), 30)}")
        if not isinstance(frame_id, str):
            return _error(f"locals: frame_id must be the string the frame was shown with, got "
                          f"{type(frame_id).__name__}")
        page = self.pages.get("process")
        shown = [f for b in (page["blocks"] if page is not None else ()) if b.get("kind") == "stack"
                 and b["thread"] == thread for f in b["frames"]
                 if f["depth"] == depth and f["frame_id"] == frame_id]
        if not shown:
            return _error(f"locals: frame {depth} of thread {thread} was not shown on the Process tab")
        title = f"Locals of {shown[0]['function']}() (thread {thread}, frame {depth} from the innermost)"
        try:
            block = tabs.locals_block(thread, depth, int(frame_id), title, self._register)
        except LookupError as exc:
            block = tabs.note(f"{title}: {exc.args[0] if exc.args else exc}")
        except Exception as exc:  # noqa: BLE001 - the page says so; the widget keeps working
            block = tabs.note(f"{title}: could not be sized: {type(exc).__name__}: {clip_text(str(exc), 200)}")
        pages = dict(self.pages)
        pages["process"] = dict(page, detail=block, object=None)
        self.pages = pages
        self._fallback = self.static_html()
        return None

    # -- details: a class (Classes tab) or an object (any table's linked cell) --------------
    def _register(self, path: tuple) -> str:
        """The key of an object's path (the ids and names leading to it, never the object)."""
        self._next_handle += 1
        key = f"o{self._next_handle}"
        self._handles[key] = path
        if len(self._handles) > self.MAX_HANDLES:
            del self._handles[next(iter(self._handles))]
        return key

    def _resolve(self, path: tuple):
        """The object at the end of ``path`` now, or None when it is gone (iterative)."""
        from ..core.objdetail import find_referent, find_referrer
        from ..core.process import frame_local

        hops = []
        while path[0] in ("ref", "referrer"):
            hops.append(path)
            path = path[1]
        if path[0] == "local":
            _, thread, depth, frame_id, name, oid = path
            try:
                obj = frame_local(thread, depth, frame_id, name, oid)
            except LookupError:
                return None
        elif path[0] == "tracked":
            tracker = self._tracker() if self._tracker is not None else None
            obj = None if tracker is None else tabs.tracker_stats(tracker).tracked_instance(path[1], path[2])
        else:
            return None
        for hop in reversed(hops):
            if obj is None:
                return None
            obj = find_referent(obj, hop[2], hop[3]) if hop[0] == "ref" else find_referrer(obj, hop[2])
        return obj

    def _detail(self, content) -> dict | None:
        try:
            tab = self._tab_of(content)
        except LookupError as exc:
            return _error(f"detail: {exc}")
        what, key = content.get("what"), content.get("key")
        if what not in ("class", "object") or not isinstance(key, str):
            return _error(f"detail: what must be 'class' or 'object' and key a string, got "
                          f"{clip_text(repr(what), 30)}, {clip_text(repr(key), 30)}")
        page = self.pages.get(tab)
        if page is None:
            return _error(f"detail: the {tab} tab is not computed; open it first")
        if what == "class":
            tracker = self._tracker() if self._tracker is not None else None
            if tab != "classes" or tracker is None:
                return _error("detail: a class opens on the Classes tab, while the Class Tracker is on")
            try:
                block = tabs.class_detail_page(tracker, key, self._register)
            except KeyError as exc:
                block = tabs.note(f"Class {key}: {exc.args[0] if exc.args else exc}")
        else:
            path = self._handles.get(key)
            if path is None:
                return _error(f"detail: unknown object key {clip_text(repr(key), 30)} (refresh the tab)")
            obj = self._resolve(path)
            if obj is None:
                block = tabs.note("that object is gone: it was freed, or is no longer held where it was "
                                  "listed (refresh the tab)")
            else:
                try:
                    block = tabs.object_detail_page(obj, path, self._register)
                finally:
                    obj = None
        pages = dict(self.pages)
        pages[tab] = dict(page, object=block) if what == "object" else dict(page, detail=block, object=None)
        self.pages = pages
        self._fallback = self.static_html()
        return None

    # -- static views ----------------------------------------------------------------
    def _page(self):
        return self.pages.get(self.active)

    def static_html(self) -> str:
        """The open tab as HTML (what exports show)."""
        page = self._page()
        names = " | ".join(("<b>%s</b>" if n == self.active else "%s") % tabs.TAB_TITLES[n] for n in self._names)
        out = [f"<div class='pympler-nb-dash-static'><p>pympler_nb dashboard: {names}</p>"]
        if page is None:
            out.append("<p>(not computed)</p>")
        else:
            out.append(f"<p style='opacity:.7'>{html.escape(tabs.TAB_TITLES[self.active])}, computed at "
                       f"{html.escape(page['time'])}</p>")
            for block in _shown(page):
                out.append(_block_html(block))
        out.append("</div>")
        return "".join(out)

    def text(self) -> str:
        """The open tab as text."""
        page = self._page()
        lines = [f"pympler_nb dashboard [{tabs.TAB_TITLES[self.active]}] "
                 f"(tabs: {', '.join(tabs.TAB_TITLES[n] for n in self._names)})"]
        if page is not None:
            for block in _shown(page):
                lines.extend(_block_text(block))
        return "\n".join(lines)

    def close(self) -> None:
        """Close the widget and the widgets its tabs show."""
        for child in list(getattr(self, "_children", {}).values()):
            try:
                child.close()
            except Exception:  # noqa: BLE001
                pass
        getattr(self, "_children", {}).clear()
        super().close()

    def __repr__(self):
        return f"<Dashboard open={self.active!r} computed={sorted(self.pages)}>"

    def _repr_mimebundle_(self, **kwargs):
        data, meta = self._widget_bundle(**kwargs)
        try:
            data["text/plain"] = text_safe(self.text())
            data["text/html"] = self.static_html()
        except Exception as exc:  # noqa: BLE001 - display must never crash the front end
            data["text/plain"] = f"{object.__repr__(self)} (no text view: {type(exc).__name__})"
        return data, meta

    def _ipython_display_(self):
        self._fallback = self.static_html()
        super()._ipython_display_()


# ---------------------------------------------------------------------------
# blocks as HTML and text (the browser draws them itself: js/dashboard.js)
def _fmt(value, is_bytes: bool) -> str:
    if value is None:
        return ""
    if is_bytes and isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_size(int(value))
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _esc(value) -> str:
    return html.escape(str(value))


def _more(block) -> str:
    shown = len(block["rows"])
    return f" ({shown} of {block['total']} rows)" if block["total"] > shown else ""


def _shown(page: dict) -> list:
    """A page's blocks, then its detail and its object detail (when open)."""
    return page["blocks"] + [page[k] for k in ("detail", "object") if page.get(k)]


def _tree_rows(block: dict) -> list[tuple[int, dict]]:
    """``(level, node)`` of a tree block, depth first (iterative)."""
    out = []
    stack = [(0, n) for n in reversed(block["nodes"])]
    while stack:
        level, node = stack.pop()
        out.append((level, node))
        stack.extend((level + 1, c) for c in reversed(node["children"]))
    return out


def _share(size, total) -> str:
    return f"{size * 100.0 / total:.1f}%" if total else ""


def _folded(block: dict, title: str, body: str) -> str:
    if "collapsed" in block:  # a section that opens on a click (also in an exported page)
        return f"<details{'' if block['collapsed'] else ' open'}><summary>{title}</summary>{body}</details>"
    return f"<h4>{title}</h4>{body}"


def _block_html(block: dict) -> str:
    kind = block.get("kind")
    if kind == "section":
        body = "".join(_block_html(b) for b in block["blocks"])
        return _folded(block, _esc(block["title"]), f"<div style='margin-left:1em'>{body}</div>")
    if kind == "tree":
        rows = "".join(f"<tr><td style='padding-left:{4 + 16 * level}px'><code>{_esc(n['name'])}</code></td>"
                       f"<td>{_esc(n['type'])}</td><td>{_esc(format_size(n['size']))}</td>"
                       f"<td>{_share(n['size'], block['total'])}</td></tr>" for level, n in _tree_rows(block))
        return _folded(block, _esc(block["title"]), f"<table class='tex2jax_ignore'>{rows}</table>")
    if kind == "graph":
        body = block.get("svg") or f"<p>{_esc(block['note'])}</p><pre>{_esc(block['dot'] or '')}</pre>"
        return _folded(block, _esc(block["title"]), body)
    if kind == "pre":
        return f"<h4>{_esc(block['title'])}</h4><pre>{_esc(block['text'])}</pre>"
    if kind == "note":
        return f"<p>{_esc(block['text'])}</p>"
    if kind == "metrics":
        rows = "".join(f"<tr><th style='text-align:left'>{_esc(i['label'])}</th><td>{_esc(i['value'])}</td></tr>"
                       for i in block["items"])
        return f"<h4>{_esc(block['title'])}</h4><table>{rows}</table>"
    if kind == "table":
        head = "".join(f"<th>{_esc(c)}</th>" for c in block["columns"])
        body = "".join("<tr>" + "".join(f"<td>{_esc(_fmt(v, b))}</td>" for v, b in zip(row, block["bytes"]))
                       + "</tr>" for row in block["rows"])
        title = f"{_esc(block['title'])}{_esc(_more(block))}"
        grid = f"<table class='tex2jax_ignore'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        if "collapsed" in block:  # a section that opens on a click (also in an exported page)
            return f"<details{'' if block['collapsed'] else ' open'}><summary>{title}</summary>{grid}</details>"
        return f"<h4>{title}</h4>{grid}"
    if kind == "image":
        body = block["svg"] if block.get("svg") else f"<pre>{_esc(block['text'])}</pre>"
        return f"<h4>{_esc(block['title'])}</h4>{body}"
    if kind == "widget":  # the hosted widget's own static HTML
        return f"<h4>{_esc(block['title'])}</h4>{block['html']}"
    if kind == "stack":
        frames = "\n".join(f"{f['file']}:{f['line']} in {f['function']}" + (f"\n    {f['code']}" if f["code"] else "")
                           for f in block["frames"])
        return f"<h4>{_esc(block['title'])}</h4><pre>{_esc(frames)}</pre>"
    return ""


def _block_text(block: dict) -> list[str]:
    kind = block.get("kind")
    if kind == "section":
        return [f"{block['title']}:"] + ["  " + line for b in block["blocks"] for line in _block_text(b)]
    if kind == "tree":
        return [f"{block['title']}:"] + [f"  {'  ' * level}{n['name']}  {format_size(n['size'])}  "
                                         f"{_share(n['size'], block['total'])}" for level, n in _tree_rows(block)]
    if kind == "graph":
        return [block["text"]]
    if kind == "pre":
        return [f"{block['title']}:"] + ["  " + line for line in block["text"].splitlines()]
    if kind == "note":
        return [block["text"]]
    if kind == "metrics":
        width = max((len(i["label"]) for i in block["items"]), default=0)
        return [f"{block['title']}:"] + [f"  {i['label']:<{width}}  {i['value']}" for i in block["items"]]
    if kind == "table":
        cells = [[_fmt(v, b) for v, b in zip(row, block["bytes"])] for row in block["rows"][:50]]
        widths = [min(60, max([len(c)] + [len(r[k]) for r in cells])) for k, c in enumerate(block["columns"])]
        out = [f"{block['title']}{_more(block)}:",
               "  " + "  ".join(c[:w].ljust(w) for c, w in zip(block["columns"], widths))]
        out += ["  " + "  ".join(clip_text(c, w).ljust(w) for c, w in zip(r, widths)) for r in cells]
        if len(block["rows"]) > 50:
            out.append(f"  ... {len(block['rows']) - 50} more rows")
        return out
    if kind in ("image", "widget"):
        return [block["text"]]
    if kind == "stack":
        return [f"{block['title']}:"] + [f"  {f['file']}:{f['line']} in {f['function']}" for f in block["frames"]]
    return []
