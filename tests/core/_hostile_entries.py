"""The public entry points the hostile corpus (``_hostile.py``) is run through.

Each entry is ``fn(obj, holder, kind) -> detail``: it calls the entry point on the hostile
object (and on a plain holder of it), checks the results' types and bounds, and raises
on anything else. The view entries (frames, widgets, graphs, magics) import pandas,
anywidget, IPython lazily.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile

from tests.core._hostile import HOLD, Bad, check_asized, check_size, check_text

ENTRIES: dict = {}


def entry(fn):
    ENTRIES[fn.__name__.removeprefix("e_")] = fn
    return fn


# -- asizeof -------------------------------------------------------------------------
@entry
def e_asizeof(obj, holder, kind):
    from pympler_nb.core.asizeof import Asizer, asizeof

    sizes = [check_size(asizeof(obj)), check_size(asizeof(holder)), check_size(asizeof([obj, obj]))]
    z = Asizer()
    check_size(z.asizeof(obj, holder, stats=0))
    check_size(z.total, "Asizer.total")
    out = io.StringIO()
    z.print_stats(file=out, stats=3)
    if z.untrusted and "sizeof not trusted" not in out.getvalue():
        raise Bad("print_stats does not show the untrusted sizes")
    return {"sizes": sizes, "untrusted": z.untrusted, "missed": z.missed}


@entry
def e_asized(obj, holder, kind):
    from pympler_nb.core.asizeof import asized

    n = check_asized(asized(obj, detail=3))
    n += check_asized(asized(holder, detail=3))
    for t in asized(obj, holder, detail=2):
        n += check_asized(t)
    return n


@entry
def e_asizesof(obj, holder, kind):
    from pympler_nb.core.asizeof import asizesof

    return [check_size(s) for s in asizesof(obj, holder, [obj])]


@entry
def e_flat(obj, holder, kind):
    from pympler_nb.core import asizeof as A

    out = [check_size(A.flatsize(obj)), check_size(A.flatsize(obj, align=8)), check_size(A.basicsize(obj)),
           check_size(A.itemsize(obj))]
    n = A.leng(obj)
    if n is not None:
        check_size(n, "leng")
    refs = A.refs(obj)
    if not isinstance(refs, list):
        raise Bad("refs is not a list")
    for name, _ in A.named_refs(obj):
        check_text(name, "named_refs name")
    return out


@entry
def e_asizeof_all(obj, holder, kind):
    from pympler_nb.core.asizeof import asizeof

    return check_size(asizeof(all=True))


# -- muppy, summary, tracker ---------------------------------------------------------
@entry
def e_summary(obj, holder, kind):
    from pympler_nb.core import muppy, summary

    objs = [obj, holder, holder.__dict__, type(obj)]
    rows = summary.summarize(objs)
    for r in rows:
        check_text(r[0], "summary type")
        check_size(r[1], "count")
        check_size(r[2], "summary size")
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        summary.print_(rows)
    check_size(muppy.get_size(objs), "muppy.get_size")
    muppy.sort(objs)
    muppy.filter(objs, Type=object, min=0, max=10**9)
    muppy.get_referents(obj, level=2)
    return len(rows)


@entry
def e_heap_walk(obj, holder, kind):
    """The whole heap with the object alive: muppy, summaries, tracker diffs."""
    from pympler_nb.core import muppy, summary, tracker

    t = tracker.SummaryTracker()
    objs = muppy.get_objects()
    if not any(o is holder for o in objs):
        raise Bad("holder not found by get_objects")
    rows = summary.summarize(objs)
    del objs
    for r in rows:
        check_text(r[0], "summary type")
        check_size(r[2], "summary size")
    diff = t.diff()
    for r in diff:
        check_text(r[0], "diff type")
        if type(r[2]) is not int:
            raise Bad("diff size not int")
    return len(rows)


@entry
def e_heap(obj, holder, kind):
    from pympler_nb.core import heap

    snap = heap.take(roots=[holder], via=True)
    check_size(snap.size, "snapshot size")
    for part in (snap.by_type(), snap.by_kind(), snap.by_module(), snap.by_size(), snap.by_rcs(),
                 snap.by_via()):
        for key in part.keys():
            check_text(key, "partition key")
            check_size(part.row(key).size, "partition size")
        part.format()
    check_size(snap.retained_size(holder), "retained")
    check_size(heap.retained_size(holder), "heap.retained_size")
    for r in snap.top_retainers(5):
        check_size(r.size, "retainer size")
    return snap.count


@entry
def e_reclaim(obj, holder, kind):
    """The RSS split and the releasable holders with every kind alive (``HOLD`` is a
    global of ``__main__``: the holders' search sizes and explains it)."""
    from pympler_nb.core import reclaim

    split = reclaim.rss_split()
    parts = dict(split.parts())
    for name, size in parts.items():
        check_size(size, name)
    if sum(parts.values()) != split.rss + split.overcount or split.overcount > 0.05 * split.rss:
        raise Bad(f"the split does not add up: {split}")
    for row in split.python_by_type + split.native_by_type:
        check_text(row.name, "type row")
        check_size(row.size, "type row size")
    holders = reclaim.releasable_holders(top=2, min_size=0)
    for h in holders:
        check_text(h.name, "holder name")
        check_size(h.deep_size, "holder deep size")
    return {"rss": split.rss, "holders": [h.name for h in holders]}


@entry
def e_threads(obj, holder, kind):
    """Containers grown and shrunk by another thread while they are sized and the heap
    is walked: sized or skipped, never ``RuntimeError: ... changed size``."""
    import threading

    from pympler_nb.core import heap, muppy, summary
    from pympler_nb.core.asizeof import Asizer, asized, asizeof, asizesof

    shared_d = {i: [i] for i in range(3000)}
    shared_l = [[i] for i in range(3000)]
    shared_s = set(range(3000))
    stop = threading.Event()

    def mutate():
        i = 0
        while not stop.is_set():
            shared_d[10_000 + i % 700] = [i]
            shared_d.pop(10_000 + (i + 350) % 700, None)
            shared_l.append([i])
            if len(shared_l) > 4000:
                del shared_l[3000:]
            shared_s.add(10_000 + i % 700)
            shared_s.discard(10_000 + (i + 350) % 700)
            i += 1

    th = threading.Thread(target=mutate, daemon=True)
    th.start()
    try:
        n = 0
        for _ in range(8):
            check_size(asizeof(shared_d, shared_l, shared_s))
            for s in asizesof(shared_d, shared_l, shared_s):
                check_size(s)
            check_asized(asized(shared_d, shared_l, detail=2)[0])
            z = Asizer()
            check_size(z.asizeof(shared_d, stats=1.1, stream=io.StringIO()))
            n += 1
        for _ in range(2):
            rows = summary.summarize(muppy.get_objects())
            for r in rows:
                check_size(r[2], "summary size")
            check_size(heap.take(roots=[shared_d, shared_l, shared_s]).size)
            check_size(heap.retained_size(shared_d))
    finally:
        stop.set()
        th.join()
    return n


@entry
def e_heap_whole(obj, holder, kind):
    from pympler_nb.core import heap

    snap = heap.take()
    check_size(snap.size, "snapshot size")
    for key in snap.by_type().keys():
        check_text(key, "partition key")
    check_size(snap.retained_size(holder), "retained")
    return snap.count


# -- graphs, why-alive -----------------------------------------------------------------
def _dot_ok(dot: str):
    check_text(dot, "dot")
    exe = shutil.which("dot")
    if exe is None:
        return "no dot"
    res = subprocess.run([exe, "-Tsvg"], input=dot.encode("utf-8"), capture_output=True, timeout=60)
    if res.returncode != 0 or res.stderr.strip():
        raise Bad(f"dot refused the graph: {res.stderr.decode('utf-8', 'replace')[:500]}")
    return "dot ok"


def _model_checks(model):
    for n in model.nodes:
        check_text(n.type, "node type")
        check_text(n.repr, "node repr")
        check_size(n.size, "node size")


@entry
def e_refgraph(obj, holder, kind):
    from pympler_nb.core import refgraph

    out = []
    for g in (refgraph.refs_graph(holder, max_depth=3), refgraph.backrefs_graph(obj, max_depth=3)):
        _model_checks(g)
    rg = refgraph.ReferenceGraph([holder, obj, holder.__dict__])
    _model_checks(rg.model)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "g.dot")
        rg.write_graph(path)
        with open(path, encoding="utf-8") as fh:
            out.append(_dot_ok(fh.read()))
    return out


@entry
def e_garbagegraph(obj, holder, kind):
    from pympler_nb.core import garbagegraph

    cyc = [obj]
    cyc.append(cyc)
    HOLD.pop(kind, None)
    del cyc
    gb = garbagegraph.GarbageGraph()
    try:
        _model_checks(gb.model)
        out = io.StringIO()
        gb.print_stats(stream=out)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "g.dot")
            gb.write_graph(path)
            with open(path, encoding="utf-8") as fh:
                return _dot_ok(fh.read())
    finally:
        del gb
        garbagegraph.clear_garbage()


@entry
def e_whyalive(obj, holder, kind):
    from pympler_nb.core import whyalive

    res = whyalive.why_alive(obj)
    paths = []
    for ch in res.chains:
        check_text(ch.path, "chain path")
        paths.append(ch.path)
    text = str(res)
    check_text(text)
    if not any("HOLD" in p or ".obj" in p for p in paths):
        raise Bad(f"no chain through the holder: {paths!r:.300}")
    return paths[:3]


@entry
def e_classtracker(obj, holder, kind):
    from pympler_nb.core.classtracker import ClassTracker

    ct = ClassTracker(stream=io.StringIO())
    try:
        ct.track_object(obj, resolution_level=2, keep=True)
        ct.track_object(holder, resolution_level=2)
        ct.create_snapshot("one", compute_total=True)
        ct.create_snapshot("two")
        ct.stats.print_summary()
        ct.stats.print_stats()
        for tobj in ct.objects.values():
            check_text(tobj.repr, "tracked repr")
            for _, size in tobj.snapshots:
                check_asized(size) if not isinstance(size, int) else check_size(size)
            check_size(tobj.get_max_size(), "max size")
        for snap in ct.snapshots:
            check_size(snap.total, "snapshot total") if snap.total is not None else None
    finally:
        ct.close()
    return len(ct.snapshots)


# -- views (tests/test_hostile_views.py) ---------------------------------------------
def _wire(value):
    """``value`` through the comm's serialization as jupyter_client does it (JSON,
    UTF-8 with surrogateescape): a lone surrogate in widget state breaks the message."""
    import json

    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8", "surrogateescape")


def _frame_ok(df):
    """Every column converts (Arrow too, as pandas 3 string columns are)."""
    import pyarrow as pa

    pa.Table.from_pandas(df)
    df.to_json()
    for col in df.columns:
        if str(df[col].dtype) in ("object", "string", "str"):
            df[col].astype("string[pyarrow]")
    return len(df)


@entry
def e_frames(obj, holder, kind):
    from pympler_nb import frames, frames_alloc, frames_classtracker, frames_graphs
    from pympler_nb.core import asizeof, heap, refgraph, summary, whyalive
    from pympler_nb.core.classtracker import ClassTracker

    n = 0
    rows = summary.summarize([obj, holder, holder.__dict__])
    n += _frame_ok(frames.summary_frame(rows))
    n += _frame_ok(frames.diff_frame(summary.get_diff(rows, [])))
    n += _frame_ok(frames.size_tree_frame(asizeof.asized(holder, obj, detail=3), ["holder", "obj"]))
    g = refgraph.refs_graph(holder, max_depth=3)
    n += _frame_ok(frames_graphs.graph_nodes_frame(g))
    n += _frame_ok(frames_graphs.graph_edges_frame(g))
    n += _frame_ok(frames_graphs.chains_frame(whyalive.why_alive(obj)))
    snap = heap.take(roots=[holder])
    n += _frame_ok(frames_alloc.heap_partition_frame(snap.by_type()))
    n += _frame_ok(frames_alloc.retainers_frame(snap.top_retainers(5)))
    ct = ClassTracker(stream=io.StringIO())
    try:
        ct.track_object(obj, resolution_level=1, keep=True)
        ct.track_object(holder, resolution_level=1)
        ct.create_snapshot("one")
        n += _frame_ok(frames_classtracker.classtracker_frame(ct))
        n += _frame_ok(frames_classtracker.tracked_objects_frame(ct))
        n += _frame_ok(frames_classtracker.tracked_sizes_frame(ct))
    finally:
        ct.close()
    return n


@entry
def e_widgets(obj, holder, kind):
    from pympler_nb.core import asizeof, refgraph, whyalive
    from pympler_nb.widgets import RefGraph, SizeTree

    out = []
    for tree in (SizeTree.from_objects([obj, holder], ["obj", "holder"], title=kind),
                 SizeTree.from_asized(asizeof.asized(obj, holder, detail=3))):
        try:
            state = {"roots": tree.roots, "total": tree.total, "title": tree.title}
            _wire(state)
            for r in tree.roots:
                check_size(r["size"], "root size")
                check_size(r["flat"], "root flat")
                check_text(r["name"], "root name")
                if r["has_children"]:
                    reply = tree._answer({"type": "expand", "id": r["id"], "offset": 0})
                    _wire(reply)
                    for node in reply.get("nodes", ()):
                        check_size(node["size"], "node size")
                        check_text(node["name"], "node name")
                        if node["has_children"]:
                            _wire(tree._answer({"type": "expand", "id": node["id"], "offset": 0}))
            tree._repr_mimebundle_()
            out.append(tree.total)
        finally:
            tree.close()
    for g in (refgraph.refs_graph(holder, max_depth=3), refgraph.backrefs_graph(obj, max_depth=2),
              whyalive.why_alive(obj)):
        w = RefGraph(g, title=kind)
        try:
            _wire({"dot": w.dot, "nodes": w.nodes, "title": w.title})
            _dot_ok(w.dot)
            w._repr_mimebundle_()
        finally:
            w.close()
    return out


@entry
def e_graphs(obj, holder, kind):
    from pympler_nb import graphs
    from pympler_nb.core import refgraph, whyalive

    out = []
    for g in (refgraph.refs_graph(holder, max_depth=3), refgraph.backrefs_graph(obj, max_depth=2),
              whyalive.why_alive(obj), refgraph.ReferenceGraph([holder, obj, holder.__dict__])):
        out.append(_dot_ok(graphs.to_dot(g)))
        graphs.GraphView(graphs.as_model(g))._repr_mimebundle_()
    return out


_SHELL = []


def _shell():
    if not _SHELL:
        from tests._ipython import start_shell

        _SHELL.append(start_shell())
    return _SHELL[0]


@entry
def e_magics(obj, holder, kind):
    return _magics(obj, holder, ("%memsize hostile holder", "%memsize -d 3 hostile", "%refgraph holder",
                                 "%refgraph --backrefs hostile", "%whyalive hostile"))


@entry
def e_magics_heap(obj, holder, kind):
    """The whole-heap magics, once with every kind alive (``--all``); ``%reclaim`` sizes
    the session's variables (``hostile``, ``holder``) and explains the largest."""
    return _magics(obj, holder, ("df = %heap -q", "df = %heap -q --by kind", "%memsize hostile",
                                 "df = %reclaim --holders 2", "%reclaim --holders 1 --top 3"))


def _magics(obj, holder, lines):
    from IPython.utils.capture import capture_output

    ip = _shell()
    ip.user_ns["hostile"] = obj
    ip.user_ns["holder"] = holder
    out = []
    try:
        for line in lines:
            with capture_output() as cap:
                res = ip.run_cell(line, store_history=True)
            err = res.error_before_exec or res.error_in_exec
            if err is not None:
                raise Bad(f"{line}: {type(err).__name__}: {err}")
            for o in cap.outputs:
                _wire({k: v for k, v in o.data.items() if isinstance(v, str)})
            out.append(line)
    finally:
        ip.user_ns.pop("hostile", None)
        ip.user_ns.pop("holder", None)
        ip.run_cell("Out.clear(); _ = __ = ___ = None", store_history=False)
    return out
