"""The pages of the ``%memdash`` dashboard: what each tab shows, as plain JSON blocks.

Each tab is computed by one function of this module from the core's results (and the
frames and charts of the notebook layer); the widget (:mod:`pympler_nb.widgets.dashboard`)
calls it only when the tab is opened or refreshed, ships the blocks to the browser and
renders the same blocks as HTML and text for exports. A page is a list of blocks:

* ``{"kind": "note", "text"}`` -- a line of text;
* ``{"kind": "metrics", "title", "items": [{"label", "value", "bytes"}]}`` -- named values
  (``value`` already formatted; ``bytes`` the raw byte count or None);
* ``{"kind": "table", "title", "columns", "bytes", "rows", "total"}`` -- a table whose
  cells are str, int, float, bool or None; ``bytes[i]`` says column ``i`` holds byte
  counts; ``total`` is the number of rows before the table was cut to the rows shipped;
  an optional ``collapsed`` (bool) draws it as a section that opens on a click;
* ``{"kind": "image", "title", "svg", "text"}`` -- a chart drawn in the kernel
  (``svg`` None without ``vl-convert-python``: then ``text``, its table, is shown);
* ``{"kind": "widget", "title", "ref", "html", "text"}`` -- another widget shown inside
  the tab (``ref``: ``"anywidget:<model id>"``, None without a kernel connection; ``html``
  and ``text``: its static views, shown when it cannot be drawn);
* ``{"kind": "stack", "title", "thread", "frames", "truncated"}`` -- a thread's stack,
  outermost frame first (``frames``: ``{"depth", "function", "file", "line", "code",
  "nlocals", "frame_id"}``, ``depth`` 0 the innermost, ``frame_id`` a string); the
  browser asks for a frame's locals with a click.

Providers: the Timeline and Variables tabs show what a *provider* gives, a callable
returning None (the feature is off: the tab says so), a DataFrame, ``(DataFrame,
chart)``, or a widget (an anywidget such as ``%memvars``'s table, drawn inside the tab
with its own interactions); ``%memwatch`` and ``%memvars`` provide them (see
:func:`default_providers`).
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Callable

from ..core.format import clip_text, format_size, text_safe
from ..core.process import (
    ProcessMemoryInfo,
    ThreadStack,
    frame_locals,
    memory_segments,
    process_overview,
    thread_stacks,
)

__all__ = ["TABS", "TAB_TITLES", "WORKERS_TAB", "MAX_ROWS", "note", "metrics", "table", "frame_table", "chart_image",
           "section", "tree_block", "graph_block", "process_page", "locals_block", "classes_page",
           "class_detail_page", "object_detail_page", "garbage_page", "provider_page", "widget_block",
           "default_providers"]

#: the tabs, in order
TABS = ("process", "timeline", "variables", "classes", "garbage")
TAB_TITLES = {"process": "Process", "timeline": "Timeline", "variables": "Variables",
              "classes": "Classes", "garbage": "Garbage", "workers": "Workers"}
#: the tab added when the dashboard is given a Dask client's workers (``%memdash --dask CLIENT``)
WORKERS_TAB = "workers"
#: cycles of the Garbage tab drawn open (the others open on a click)
OPEN_CYCLES = 3
#: rows shipped per table at most (the block says how many there were)
MAX_ROWS = 500

#: column names that hold byte counts (frames of other magics: the provider's DataFrames)
_BYTE_NAMES = {"size", "flat", "shallow", "deep", "retained", "rss", "vms", "vsz", "uss", "pss",
               "swap", "total", "tracked", "untracked", "overhead", "max_size", "last_size",
               "average", "bytes", "keeps_alive"}
_BYTE_SUFFIXES = ("_size", "_bytes", "_rss", "_retained", "_deep", "_shallow")


# ---------------------------------------------------------------------------
# blocks
def note(text: str) -> dict:
    return {"kind": "note", "text": text_safe(str(text))}


def metrics(title: str, items) -> dict:
    """``items``: ``(label, value)`` pairs; an int value is a byte count (formatted),
    a str is shown as it is, None is "n/a"."""
    out = []
    for label, value in items:
        if isinstance(value, bool) or not isinstance(value, int):
            out.append({"label": text_safe(label), "value": "n/a" if value is None else text_safe(str(value)),
                        "bytes": None})
        else:
            out.append({"label": text_safe(label), "value": format_size(value), "bytes": int(value)})
    return {"kind": "metrics", "title": text_safe(title), "items": out}


def _cell(value):
    if value is None or isinstance(value, (bool, str)):
        return text_safe(value) if isinstance(value, str) else value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    item = getattr(value, "item", None)  # numpy / pandas scalars
    if callable(item):
        try:
            return _cell(item())
        except Exception:  # noqa: BLE001 - an odd scalar: its text
            pass
    try:
        if bool(value != value):  # NaT
            return None
    except (TypeError, ValueError):  # pd.NA: "boolean value of NA is ambiguous"
        return None
    return text_safe(clip_text(str(value), 200))


def table(title: str, columns, rows, *, bytes_columns=(), total: int | None = None,
          max_rows: int = MAX_ROWS, link: tuple[str, str] | None = None, keys=None) -> dict:
    """A table block of ``rows`` (sequences of cells), cut to ``max_rows`` rows.

    ``link``: ``(column, what)``: the cells of ``column`` open a detail (``what``:
    ``"class"`` or ``"object"``) of the row's key in ``keys`` (one str or None per row).
    """
    columns = [str(c) for c in columns]
    rows = list(rows)
    byte_set = set(bytes_columns)
    block = {"kind": "table", "title": text_safe(title), "columns": [text_safe(c) for c in columns],
             "bytes": [c in byte_set for c in columns],
             "rows": [[_cell(v) for v in row] for row in rows[:max_rows]],
             "total": len(rows) if total is None else int(total)}
    if link is not None:
        column, what = link
        keys = list(keys)[:max_rows]
        if len(keys) != len(block["rows"]):
            raise ValueError(f"a linked table needs one key per row: {len(keys)} keys, {len(block['rows'])} rows")
        block["link"] = {"column": columns.index(column), "what": what}
        block["keys"] = [None if k is None else text_safe(str(k)) for k in keys]
    return block


def _is_bytes(name: str, dtype) -> bool:
    kind = getattr(dtype, "kind", "")
    return kind in "iuf" and (name in _BYTE_NAMES or name.endswith(_BYTE_SUFFIXES))


def frame_table(title: str, df, *, bytes_columns=None, max_rows: int = MAX_ROWS, link=None, keys=None) -> dict:
    """A table block of a DataFrame (its index left out; byte columns by name unless
    ``bytes_columns`` names them; ``link`` and ``keys`` as for :func:`table`)."""
    columns = [str(c) for c in df.columns]
    if bytes_columns is None:
        bytes_columns = [str(c) for c, dt in zip(df.columns, df.dtypes) if _is_bytes(str(c), dt)]
    head = df.head(max_rows)
    rows = [list(r) for r in head.itertuples(index=False, name=None)]
    return table(title, columns, rows, bytes_columns=bytes_columns, total=len(df), max_rows=max_rows,
                 link=link, keys=None if keys is None else list(keys)[:max_rows])


def chart_image(chart, title: str = "") -> dict:
    """An image block of an Altair chart: drawn in the kernel (offline), with its table."""
    from ..charts import chart_bundle

    bundle = chart_bundle(chart, title)
    return {"kind": "image", "title": text_safe(title), "svg": bundle.get("image/svg+xml"),
            "text": text_safe(bundle.get("text/plain", ""))}


def section(title: str, blocks, *, collapsed: bool | None = None) -> dict:
    """A titled group of blocks (a detail page; ``collapsed``: True/False draws it as a
    section that opens on a click, closed/open at first; None: always open)."""
    block = {"kind": "section", "title": text_safe(title), "blocks": list(blocks)}
    if collapsed is not None:
        block["collapsed"] = bool(collapsed)
    return block


#: nodes of a tree block at most, and children shown per node
MAX_TREE_NODES = 2000
MAX_TREE_CHILDREN = 50


def tree_block(title: str, tree, *, collapsed: bool | None = None) -> dict:
    """A tree block of an :class:`~pympler_nb.core.asizeof.Asized` tree's referents (the
    root's ``refs``), largest first: ``nodes`` of ``{"name", "type", "size", "flat",
    "children", "more"}`` (``more``: children left out). Built iteratively."""
    total = int(tree.size)
    roots: list = []
    stack = [(tree, roots)]
    count = 0
    while stack:
        node, out = stack.pop()
        kids = sorted(node.refs, key=lambda r: -r.size)
        for ref in kids[:MAX_TREE_CHILDREN]:
            if count >= MAX_TREE_NODES:
                break
            count += 1
            item = {"name": text_safe(clip_text(str(ref.name), 160)), "type": text_safe(str(ref.type or "")),
                    "size": int(ref.size), "flat": int(ref.flat), "children": [], "more": 0}
            out.append(item)
            if ref.refs:
                stack.append((ref, item["children"]))
        if len(kids) > MAX_TREE_CHILDREN and out:
            out.append({"name": f"... {len(kids) - MAX_TREE_CHILDREN} smaller referents", "type": "",
                        "size": int(sum(r.size for r in kids[MAX_TREE_CHILDREN:])), "flat": 0, "children": [],
                        "more": len(kids) - MAX_TREE_CHILDREN})
    block = {"kind": "tree", "title": text_safe(title), "total": total, "nodes": roots}
    if collapsed is not None:
        block["collapsed"] = bool(collapsed)
    return block


#: the largest group of the Garbage tab that is drawn as a graph (objects)
MAX_GRAPH_NODES = 150


def graph_block(title: str, model) -> dict:
    """A graph block of a :class:`~pympler_nb.core.refgraph.GraphModel`: SVG drawn by
    Graphviz's ``dot`` (in the kernel, offline) when installed; else the DOT text, with
    the edges as text."""
    from ..graphs import GraphvizNotFoundError, has_dot, to_dot, to_svg

    edges = "\n".join(f"{e.src:#x} -{e.label or ''}-> {e.dst:#x}" for e in model.edges)
    svg = None
    why = ""
    if has_dot():
        try:
            svg = to_svg(model)
        except GraphvizNotFoundError:
            why = "Graphviz's dot is not installed"
        except Exception as exc:  # noqa: BLE001 - the DOT text is shown instead
            why = f"dot failed: {type(exc).__name__}: {clip_text(str(exc), 200)}"
    else:
        why = "Graphviz's dot is not installed (apt install graphviz / conda install graphviz): the DOT text instead"
    if svg is not None:
        start = svg.find("<svg")
        svg = svg[start:] if start >= 0 else None
    return {"kind": "graph", "title": text_safe(title), "svg": svg, "dot": None if svg else text_safe(to_dot(model)),
            "note": text_safe(why), "text": text_safe(f"{title}: {len(model.nodes)} objects, {len(model.edges)} "
                                                      f"references\n{edges}")}


# ---------------------------------------------------------------------------
# Process
def stack_block(stack: ThreadStack) -> dict:
    """A thread's stack, outermost frame first (as a traceback reads); ``depth`` and
    ``frame_id`` are the core's (0: the innermost frame), sent back to size the locals."""
    kind = "daemon" if stack.daemon else "thread"
    title = f"{stack.name} ({kind} {stack.ident}{', this kernel thread' if stack.current else ''})"
    frames = [{"depth": f.depth, "function": text_safe(f.function), "file": text_safe(f.filename),
               "line": f.lineno, "code": text_safe(f.line), "nlocals": f.n_locals,
               "frame_id": str(f.frame_id)} for f in reversed(stack.frames)]
    return {"kind": "stack", "title": text_safe(title), "thread": int(stack.ident), "frames": frames,
            "truncated": bool(stack.truncated)}


def process_page() -> list[dict]:
    """The Process tab: memory as the OS sees it (:func:`~pympler_nb.core.process.process_overview`),
    the memory segments (``/proc/self/smaps`` grouped), the OS's own figures (Pympler's
    process page) and the threads' stacks."""
    ov = process_overview()
    blocks = [metrics("Memory", [
        ("Resident set size (RSS)", ov.rss), ("Virtual size (VMS)", ov.vms),
        ("Proportional set size (PSS)", ov.pss), ("Unique set size (USS)", ov.uss),
        ("Swap", ov.swap), ("Peak RSS", ov.peak_rss),
        ("Minor page faults", None if ov.minor_faults is None else f"{ov.minor_faults:,}"),
        ("Major page faults", None if ov.major_faults is None else f"{ov.major_faults:,}"),
        ("Container limit", ov.container_limit if ov.container_limit is not None else "no limit"),
        ("Container usage", ov.container_usage),
        ("Container used", None if ov.container_percent is None else f"{ov.container_percent:.1f}%"),
        ("Container cgroup", ov.cgroup),
        ("Python threads", str(ov.threads)),
        ("Memory source", ov.source),
    ])]
    segments = memory_segments()
    if segments:
        blocks.append(table("Memory segments (mappings grouped, largest RSS first)",
                            ["name", "kind", "mappings", "size", "rss", "pss", "private", "swap"],
                            [(g.name, g.kind, g.mappings, g.size, g.rss, g.pss, g.private, g.swap)
                             for g in segments],
                            bytes_columns=("size", "rss", "pss", "private", "swap")))
    else:
        blocks.append(note("memory segments: the OS gives no memory map here (/proc/self/smaps)"))
    blocks.append(table("Operating system", ["field", "value"], list(ProcessMemoryInfo().os_specific)))
    stacks = thread_stacks()
    blocks.append(note(f"{len(stacks)} threads; click a frame to size its local variables"))
    blocks.extend(stack_block(s) for s in stacks)
    return blocks


def locals_block(thread: int, depth: int, frame_id: int | None, title: str, register: Callable | None = None) -> dict:
    """The table of a frame's locals sized (:func:`~pympler_nb.core.process.frame_locals`);
    with ``register`` (path -> key), each name opens the object's detail (Pympler's
    "Show locals", then ``/objects/<id>``)."""
    rows = frame_locals(thread, depth, frame_id)
    keys = None if register is None else [register(("local", thread, depth, frame_id, r.name, r.id)) for r in rows]
    return table(title, ["name", "type", "size", "flat", "repr"],
                 [(r.name, r.type, r.deep, r.flat, r.repr) for r in rows], bytes_columns=("size", "flat"),
                 link=None if register is None else ("name", "object"), keys=keys)


# ---------------------------------------------------------------------------
# Classes
def classes_page(tracker, register: Callable | None = None) -> list[dict]:
    """The Classes tab: the Class Tracker's statistics and charts (``%classtrack``). Each
    class name opens the class's detail (:func:`class_detail_page`); with ``register``
    (path -> key), each tracked instance opens its object detail."""
    if tracker is None:
        return [note("the Class Tracker is not on: %classtrack track CLASS, then %classtrack snapshot")]
    from ..charts import classtracker_active_chart, classtracker_memory_chart, lifetimes_chart
    from ..frames_classtracker import classtracker_frame, classtracker_totals_frame, tracked_objects_frame

    df = classtracker_frame(tracker)
    if not len(df):
        return [note("the Class Tracker is on, with no snapshot yet: %classtrack snapshot")]
    last = df[df["snapshot"] == df["snapshot"].max()]
    last = last[["class", "active", "size", "average", "pct"]].sort_values("size", ascending=False)
    every = df[["snapshot", "label", "class", "active", "size", "average", "pct"]]
    blocks = [
        note(f"snapshots: {df['snapshot'].nunique()}; the last: {last_label(df)}; click a class for its "
             "instances, their sizes per snapshot, instantiation traces and referents"),
        frame_table("Tracked classes at the last snapshot", last, link=("class", "class"), keys=last["class"]),
        chart_image(classtracker_memory_chart(df), "Tracked memory per class"),
        chart_image(classtracker_active_chart(df), "Live instances per class"),
        dict(frame_table("Tracked classes per snapshot", every, link=("class", "class"), keys=every["class"]),
             collapsed=True),
        frame_table("Process totals per snapshot", classtracker_totals_frame(tracker)),
    ]
    objs = tracked_objects_frame(tracker)
    if len(objs):
        blocks.append(chart_image(lifetimes_chart(objs), "Lifetimes of the largest tracked instances"))
        objs = objs.sort_values("last_size", ascending=False).head(MAX_ROWS)
        keys = None
        if register is not None:
            keys = [register(("tracked", c, int(i))) if alive else None
                    for c, i, alive in zip(objs["class"], objs["id"], objs["alive"])]
        blocks.append(frame_table("Tracked instances (largest last size first)",
                                  objs[["class", "name", "repr", "alive", "last_size", "max_size", "samples"]],
                                  link=None if keys is None else ("name", "object"), keys=keys))
    return blocks


def tracker_stats(tracker):
    """The :class:`~pympler_nb.core.classtracker_stats.Stats` of a Class Tracker (or the
    Stats given)."""
    from ..core.classtracker_stats import Stats

    return tracker if isinstance(tracker, Stats) else Stats(tracker=tracker)


def last_label(df) -> str:
    """The label of the last snapshot of a :func:`classtracker_frame`."""
    return str(df[df["snapshot"] == df["snapshot"].max()]["label"].iloc[0])


#: instances of a class detail drawn with their trace and referent trees (the largest)
DETAIL_INSTANCES = 20
#: frames of an instantiation trace shown (the innermost: the kernel's own are above them)
TRACE_FRAMES = 12


def _fmt_time(t) -> str:
    return "" if t is None else f"{t:.3f}s"


def class_detail_page(tracker, name: str, register: Callable | None = None, *,
                      limit: int = MAX_ROWS) -> dict:
    """A class's detail (Pympler's ``/tracker/class/<name>``), as a section block: its
    instances with their size per snapshot, and for the largest the instantiation trace
    (``trace=True``) and the referent tree of each snapshot (resolution level > 0); per
    snapshot, the referents of all instances merged. ``register`` (path -> key) links
    the live instances to their object detail."""
    detail = tracker_stats(tracker).class_detail(name, limit=limit)
    title = f"Class {name}"
    if not detail.count:
        return section(title, [note(f"no instance of {name} was tracked")])
    sizes = [i.max_size for i in detail.instances]
    blocks = [note(f"{detail.count} instances of {name} were registered; largest size per instance: average "
                   f"{format_size(int(sum(sizes) / len(sizes)))}, smallest {format_size(min(sizes))}, largest "
                   f"{format_size(max(sizes))}")]
    labels = detail.labels[-8:]  # the last snapshots as columns
    first = len(detail.labels) - len(labels)
    rows, keys = [], []
    for inst in detail.instances:
        per = {pos: size for pos, _label, size, _flat, _tree in inst.samples}
        rows.append([inst.name, f"{inst.id:#x}", inst.repr, "yes" if inst.death is None else "no",
                     _fmt_time(inst.birth), _fmt_time(inst.death), inst.max_size]
                    + [per.get(first + k) for k in range(len(labels))])
        alive = inst.death is None and register is not None
        keys.append(register(("tracked", name, inst.id)) if alive else None)
    columns = ["instance", "id", "repr", "alive", "birth", "death", "max_size"] + [f"size @ {lb}" for lb in labels]
    blocks.append(table(f"Instances of {name} (largest first; sizes at the last {len(labels)} snapshots)", columns,
                        rows, bytes_columns=["max_size"] + columns[7:], total=detail.count,
                        link=("instance", "object") if register is not None else None,
                        keys=keys if register is not None else None))
    merged = [(label, tree) for _pos, label, tree in detail.merged if tree.refs]
    for k, (label, tree) in enumerate(merged):
        blocks.append(tree_block(f"Referents of all instances merged, {label}: {format_size(tree.size)}", tree,
                                 collapsed=k < len(merged) - 1))
    if not merged:
        blocks.append(note("no per-referent sizes recorded: track with a resolution level > 0 "
                           "(%classtrack track CLASS --resolution 2) to see which attributes make an instance big"))
    for k, inst in enumerate(detail.instances[:DETAIL_INSTANCES]):
        parts = []
        if inst.trace:
            shown = inst.trace[-TRACE_FRAMES:]
            text = "\n".join(f"{f}:{line} in {func}" + (f"\n    {code}" if code else "")
                              for f, line, func, code in shown)
            if len(inst.trace) > len(shown):
                text = f"... {len(inst.trace) - len(shown)} outer frames\n" + text
            parts.append({"kind": "pre", "title": "Instantiation (innermost frame last)", "text": text_safe(text)})
        for _pos, label, size, _flat, tree in inst.samples:
            if tree is not None and tree.refs:
                parts.append(tree_block(f"Referents at {label}: {format_size(size)}", tree, collapsed=True))
        sizes_text = ", ".join(f"{label}: {format_size(size)}" for _pos, label, size, _flat, _tree in inst.samples)
        parts.insert(0, note(f"{inst.repr}; lifetime {_fmt_time(inst.birth)} - "
                             f"{_fmt_time(inst.death) or 'alive'}; sizes: {sizes_text or 'not sized yet'}"))
        blocks.append(section(f"Instance {inst.name} at {inst.id:#x}", parts, collapsed=k >= 3))
    if len(detail.instances) > DETAIL_INSTANCES:
        blocks.append(note(f"the {len(detail.instances) - DETAIL_INSTANCES} smaller instances are in the table only"))
    return section(title, blocks)


def object_detail_page(obj, path: tuple, register: Callable, title: str = "") -> dict:
    """An object's detail (Pympler's ``/objects/<id>``), as a section block: type, id,
    repr, own and deep size, its referents and its referrers, each with its deep size;
    every referent and referrer opens its own detail (``register`` gives the key of its
    path: the object is found again from ``path`` when clicked, never kept)."""
    from ..core.objdetail import object_detail

    d = object_detail(obj)
    blocks = [metrics("Object", [("type", d.type), ("id", f"{d.id:#x}"), ("repr", d.repr),
                                 ("size (own)", d.flat), ("deep size", d.deep),
                                 ("referents", str(d.n_referents)), ("referrers", str(d.n_referrers))])]
    blocks.append(table(f"Referents ({d.n_referents}; largest first)", ["name", "type", "size", "flat", "repr"],
                        [(r.name, r.type, r.size, r.flat, r.repr) for r in d.referents],
                        bytes_columns=("size", "flat"), total=d.n_referents, link=("name", "object"),
                        keys=[register(("ref", path, r.name, r.id)) for r in d.referents]))
    blocks.append(table(f"Referrers ({d.n_referrers}; who holds it, and as what)",
                        ["type", "as", "size", "flat", "repr"],
                        [(r.type, r.name, r.size, r.flat, r.repr) for r in d.referrers],
                        bytes_columns=("size", "flat"), total=d.n_referrers, link=("type", "object"),
                        keys=[register(("referrer", path, r.id)) for r in d.referrers]))
    return section(title or f"Object {d.type} at {d.id:#x}", blocks)


# ---------------------------------------------------------------------------
# Garbage
def garbage_page(reduce: bool = True, max_groups: int = 50) -> list[dict]:
    """The Garbage tab: the reference cycles the collector finds now, one table and one
    drawn reference graph per cycle (Pympler's ``/garbage`` and ``/garbage/graph/<n>``;
    ``reduce``: each reduced to the objects on the cycle). The collection frees them."""
    from ..core.garbagegraph import garbage_cycles

    found = garbage_cycles(reduce=reduce)
    shown = len(found.model.nodes)
    if not found.found:
        return [note("no garbage: the collector found no unreachable objects")]
    what = "objects on cycles" if reduce else "unreachable objects"
    blocks = [note(f"{found.found} unreachable objects; {shown} {what} ({format_size(found.size)}) in "
                   f"{len(found.groups)} groups; released (they were collected)")]
    for k, group in enumerate(found.groups[:max_groups]):
        labels = {n.id: f"{n.type} {n.id:#x}" for n in group.nodes}
        size = sum(n.size for n in group.nodes)
        rows = [(n.type, n.size, n.repr, "yes" if n.cycle else "") for n in
                sorted(group.nodes, key=lambda n: -n.size)]
        blocks.append(dict(table(f"Cycle {k + 1}: {len(group.nodes)} objects, {format_size(size)}",
                                 ["type", "size", "repr", "on cycle"], rows, bytes_columns=("size",)),
                           collapsed=k >= OPEN_CYCLES))
        if len(group.nodes) <= MAX_GRAPH_NODES:
            blocks.append(dict(graph_block(f"Cycle {k + 1}: reference graph", group), collapsed=k >= OPEN_CYCLES))
        else:
            blocks.append(note(f"Cycle {k + 1}: {len(group.nodes)} objects, too many to draw (at most "
                               f"{MAX_GRAPH_NODES}); its references are in the table below"))
        edges = [(labels.get(e.src, hex(e.src)), e.label, labels.get(e.dst, hex(e.dst))) for e in group.edges]
        if edges:
            blocks.append(dict(table(f"Cycle {k + 1}: references", ["from", "via", "to"], edges),
                               collapsed=True))
    if len(found.groups) > max_groups:
        blocks.append(note(f"{len(found.groups) - max_groups} smaller groups not shown"))
    return blocks


# ---------------------------------------------------------------------------
# providers: Timeline (%memwatch) and Variables (%memvars)
def widget_block(widget, title: str) -> dict:
    """A block showing ``widget`` (an ipywidget / anywidget) inside the tab."""
    bundle = widget._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else (bundle or {})
    text = str(data.get("text/plain", ""))
    body = data.get("text/html") or f"<pre>{html.escape(text)}</pre>"
    model_id = getattr(widget, "model_id", None) if getattr(widget, "comm", None) is not None else None
    return {"kind": "widget", "title": text_safe(title), "ref": f"anywidget:{model_id}" if model_id else None,
            "html": text_safe(body), "text": text_safe(text)}


def provider_page(provider: Callable | None, off: str, title: str, keep: Callable | None = None) -> list[dict]:
    """A tab that shows what ``provider()`` gives: None (``off`` is shown), a DataFrame,
    ``(DataFrame, chart)`` (the chart drawn above the table), or a widget (drawn inside
    the tab; ``keep(widget)`` is called so that the caller keeps it alive)."""
    if provider is None:
        return [note(off)]
    result = provider()
    if result is None:
        return [note(off)]
    if hasattr(result, "_repr_mimebundle_") and hasattr(result, "model_id"):  # a widget
        if keep is not None:
            keep(result)
        return [widget_block(result, title)]
    chart = None
    if isinstance(result, tuple):
        if len(result) != 2:
            raise TypeError(f"a {title} provider returns None, a DataFrame, (DataFrame, chart) or a "
                            f"widget, got a tuple of {len(result)}")
        result, chart = result
    if not hasattr(result, "itertuples"):
        raise TypeError(f"a {title} provider returns None, a DataFrame, (DataFrame, chart) or a "
                        f"widget, got {type(result).__name__}")
    blocks = []
    if chart is not None:
        blocks.append(chart_image(chart, title))
    blocks.append(frame_table(title, result))
    return blocks


def timeline_provider():
    """The Timeline tab: the ``%memwatch`` ledger and its RSS timeline chart (None while
    nothing is recorded: the tab then says how to start it)."""
    from ..charts_ledger import ledger_chart
    from ..magics_memwatch import ledger

    try:
        frame = ledger()
    except RuntimeError:  # not in an IPython session with the extension loaded
        return None
    if frame.empty:
        return None
    return frame, ledger_chart(frame)


def variables_provider():
    """The Variables tab: ``%memvars``'s table widget on the session's namespace (sort,
    filter, free)."""
    from .variables import VariablesTable

    return VariablesTable()


def default_providers() -> dict[str, Callable | None]:
    """The Timeline (``%memwatch``'s ledger) and Variables (``%memvars``' table) providers."""
    return {"timeline": timeline_provider, "variables": variables_provider}


def stamp() -> str:
    """When a page was computed (local time, for the tab's header)."""
    return time.strftime("%H:%M:%S")
