"""The variable explorer widget: every notebook variable and hidden holder with its
shallow, deep and retained size; sortable, filterable, with a "free" action per row.

The table renders :func:`pympler_nb.core.namespace_sizes.namespace_sizes` (rows of
names, type names, sizes and clipped reprs: no object is kept). The "free" action is
two custom messages, both validated by the kernel:

* ``{type: "plan", name}`` → ``{type: "plan", name, run: [...], skipped: [...], frees,
  text}``: ``%whyalive``'s release plan of that row (nothing runs).
* ``{type: "free", name, expect: [...]}`` → ``{type: "freed", name, ran, errors, text,
  rss_before, rss_after, rss_returned, gone}``: runs exactly the statements the user
  confirmed (if the plan changed in between, nothing runs and the reply says so),
  collects garbage, measures RSS, and sizes the namespace again (the row disappears).
* ``{type: "refresh"}`` sizes the namespace again.

Errors come back as ``{type: "error", name, message}``; a kernel traceback never
reaches the front end.

>>> w = VariablesTable(namespace={"xs": [bytearray(100)]}, hidden=False)
>>> [r["name"] for r in w.rows], w.rows[0]["retained"] > 100
(['xs'], True)
"""

from __future__ import annotations

import html

import anywidget
import traitlets as t

from ..core.format import clip_text, format_size, text_safe
from ..core.namespace_sizes import NamespaceSizes, namespace_sizes, plan_release, release
from . import _static
from ._static import EsmBundle, answer_bundle_request, read_bundle

__all__ = ["VariablesTable", "row_json"]

_BUNDLE = "variables.js"
_MESSAGES = ("plan", "free", "refresh")


def row_json(row) -> dict:
    """One :class:`~pympler_nb.core.namespace_sizes.HolderSize` as the table's row."""
    return {
        "name": text_safe(row.name), "kind": row.kind, "type": text_safe(row.type),
        "shallow": row.shallow, "deep": row.deep, "retained": row.retained, "shared": row.shared,
        "count": row.count, "note": text_safe(clip_text(row.note, 200)),
        "aliases": text_safe(", ".join(row.aliases)), "repr": text_safe(clip_text(row.repr, 120)),
        "freeable": row.kind in ("variable", "output", "exception"),
    }


class VariablesTable(_static.StaticPairing, anywidget.AnyWidget):
    """Memory per variable, with a "free" action (see the module docstring).

    Parameters
    ----------
    result : NamespaceSizes, optional
        Rows computed already (``%memvars`` passes its own); default: size ``namespace`` now.
    namespace : dict, optional
        The variables (default: the notebook's, looked up at each action). A dict given
        here is kept by the widget until it is closed.
    hidden : bool
        Show the hidden holders (output cache, input history, last exception).
    title : str
        Shown above the table.
    """

    _esm = EsmBundle(_BUNDLE)
    rows = t.List(t.Dict(), help="per row: {name, kind, type, shallow, deep, retained, shared, count, "
                                 "note, aliases, repr, freeable}").tag(sync=True)
    title = t.Unicode("", help="heading shown above the table").tag(sync=True)
    summary = t.Unicode("", help="objects walked and the time it took").tag(sync=True)
    _fallback = t.Unicode("", help="the static view (an HTML table), drawn by the loader when no "
                                   "kernel answers (a reopened notebook)").tag(sync=True)
    _static_id = t.Unicode("", help="pairs the view with its static output (see _static.display_paired)"
                           ).tag(sync=True)

    def __init__(self, result: NamespaceSizes | None = None, *, namespace=None, hidden: bool = True,
                 title: str = "Variables"):
        read_bundle(_BUNDLE)  # a missing build fails here, with the fix in the message
        if result is not None and not isinstance(result, NamespaceSizes):
            raise TypeError(f"VariablesTable(result): expected a NamespaceSizes (namespace_sizes()), "
                            f"got {type(result).__name__}")
        self._namespace = namespace
        self._hidden = bool(hidden)
        if result is None:
            result = namespace_sizes(namespace, hidden=hidden)
        super().__init__(title=text_safe(title), _static_id=_static.new_static_id())
        self._show(result)
        self.on_msg(self._on_msg)

    # -- data ---------------------------------------------------------------------------
    def _show(self, result: NamespaceSizes) -> None:
        self._result = result
        with self.hold_sync():
            self.rows = [row_json(r) for r in result.rows]
            variables = [r for r in result.rows if r.kind == "variable"]
            self.summary = (f"{len(variables)} variables, {format_size(sum(r.retained for r in variables))} "
                            f"retained; {result.objects:,} objects walked in {result.seconds:.2f} s")
            self._fallback = self._html()

    def refresh(self) -> None:
        """Size the namespace again."""
        self._show(namespace_sizes(self._namespace, hidden=self._hidden))

    # -- messages -----------------------------------------------------------------------
    def _on_msg(self, widget, content, buffers):
        """Answer one custom message; never raises (errors go back as a reply)."""
        if answer_bundle_request(self, _BUNDLE, content):
            return
        name = content.get("name") if isinstance(content, dict) else None
        try:
            reply = self.answer(content)
        except Exception as exc:  # noqa: BLE001 - a kernel traceback would be a failure
            reply = {"type": "error", "name": name, "message": f"{type(exc).__name__}: {exc}"}
        try:
            self.send(reply)
        except Exception:  # noqa: BLE001 - the front end went away
            pass

    def answer(self, content) -> dict:
        """The reply to one message of the protocol (see the module docstring)."""
        if not isinstance(content, dict):
            return {"type": "error", "name": None,
                    "message": f"expected a message object {{type, name}}, got {type(content).__name__}"}
        kind = content.get("type")
        name = content.get("name")
        if kind not in _MESSAGES:
            return {"type": "error", "name": name, "message": f"unknown message type {kind!r}; allowed: "
                    f"{', '.join(map(repr, _MESSAGES))}"}
        if kind == "refresh":
            self.refresh()
            return {"type": "refreshed"}
        shown = {r["name"]: r for r in self.rows}
        if not isinstance(name, str) or name not in shown:
            return {"type": "error", "name": None,
                    "message": f"unknown row {clip_text(repr(name), 60)}: this table does not show it"}
        if not shown[name]["freeable"]:
            return {"type": "error", "name": name, "message": f"{name} holds objects IPython or the "
                    f"collector keep: there is no statement that frees it"}
        if kind == "plan":
            plan = plan_release(name, self._namespace)
            run = [a.text for a in plan.plan if a.runnable]
            skipped = [a.text for a in plan.plan if not a.runnable]
            frees = plan.releasable_bytes
            text = (f"frees {format_size(frees)}" if frees is not None else "frees an unknown amount") + \
                (" after gc.collect()" if plan.needs_collect else "")
            if plan.hidden_refs:
                text += f"; {plan.hidden_refs} reference(s) from holders that cannot be seen may keep it"
            return {"type": "plan", "name": name, "run": run, "skipped": skipped,
                    "frees": frees, "text": text_safe(text)}
        expect = content.get("expect")
        if not isinstance(expect, list) or not all(isinstance(s, str) for s in expect):
            return {"type": "error", "name": name, "message": "free needs expect: the list of statements "
                    "that were shown and confirmed (ask for the plan first)"}
        done = release(name, self._namespace, expect=expect)
        self.refresh()
        return {"type": "freed", "name": name, "ran": list(done.ran), "errors": list(done.errors),
                "skipped": list(done.skipped), "text": text_safe(str(done)),
                "rss_before": done.rss_before, "rss_after": done.rss_after,
                "rss_returned": done.rss_returned, "gone": done.gone}

    # -- static views -------------------------------------------------------------------
    def _html(self) -> str:
        head = "".join(f"<th>{c}</th>" for c in ("name", "type", "shallow", "deep", "retained", "note"))
        body = []
        for r in self.rows:
            cells = [html.escape(r["name"]), html.escape(r["type"])]
            cells += [format_size(r[c]) for c in ("shallow", "deep", "retained")]
            cells.append(html.escape(r["note"]))
            style = ' style="color:#666"' if r["kind"] != "variable" else ""
            body.append(f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        return (f"<div class='pympler-nb-variables-static'><b>{html.escape(self.title)}</b> "
                f"<small>{html.escape(self.summary)}</small><table><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table></div>")

    def __repr__(self):
        return f"<VariablesTable {len(self.rows)} rows>"

    def _repr_mimebundle_(self, **kwargs):
        """The widget view plus ``text/plain`` and an HTML table (the static views);
        only the static ones when no person's front end runs the cell."""
        data, meta = self._widget_bundle(**kwargs)
        try:
            data["text/plain"] = text_safe(str(self._result))
        except Exception as exc:  # noqa: BLE001 - display must never crash the front end
            data["text/plain"] = f"{object.__repr__(self)} (no text view: {type(exc).__name__})"
        data["text/html"] = self._fallback
        return data, meta
