"""Heap snapshots, dominators and allocation tracing: pympler_nb vs guppy3 / plain runs.

Builds the heap of ``bench_heap.py`` (``--objects`` extra objects: ``Node`` instances,
each with an int, a str and a list) in a fresh subprocess per tool and measures:

- **partition by type**: ``heap.take(graph=False).by_type()`` and
  ``heap.take().by_type()`` (with the reference graph) vs guppy3's ``hpy().heap()``
  (first call, and a second, warm call) and vs ``str(hpy().heap().bytype)`` (heapy's
  partition by type really computed: ``heap()`` alone only collects the set of
  objects, its sizes and rows are computed on demand);
- **partition by referrer kind**: ``snapshot.by_rcs()`` (on a taken snapshot, and
  including the ``take()``) vs ``hpy().heap().byrcs`` (rows formatted, so that both
  really compute them);
- **retained size of one large object** (the list holding every ``Node``):
  ``heap.retained_size(obj)`` (no snapshot: two walks of the live objects) and
  ``take()`` + ``snapshot.retained_size(obj)`` (two walks of the snapshot's graph; no
  dominator tree for a single object) vs guppy3's ``hp.iso(obj).domisize``;
- **full dominator tree**: time and memory (peak RSS growth) of the dominator tree and
  retained sizes of all objects;
- **tracemalloc overhead**: a cell making 1M allocations (``[object() for ...]``, kept
  alive) run plainly and inside ``allocations.trace()`` followed by the cell's
  per-line statistics (what ``%%memdiff --trace`` does), as a ratio.

Times are wall clock with CPU seconds in brackets (the machine may be shared), best of
``--repeat``; ratios ours/guppy below 1 mean faster.

Run::

    .venv/bin/python benchmarks/bench_alloc_heap.py            # 1M extra objects
    .venv/bin/python benchmarks/bench_alloc_heap.py --quick    # 200k
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from bench_heap import build_heap  # noqa: E402

TOOLS = ("ours", "guppy", "trace")


def _timed(fn, repeat: int = 1):
    """``([wall, cpu], result of the last run)``, best of ``repeat``."""
    wall = cpu = float("inf")
    result = None
    for _ in range(repeat):
        result = None
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return [wall, cpu], result


def _rss_kb() -> int:
    try:
        with open("/proc/self/statm") as fp:
            return int(fp.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        return 0


def worker_ours(objects: int, repeat: int) -> dict:
    sys.path.insert(0, ROOT)
    from pympler_nb.core import heap

    data = build_heap(objects)
    out: dict = {}
    heap.take(graph=False)  # warm imports
    out["type_light"], _ = _timed(lambda: heap.take(graph=False).by_type(), repeat)
    out["type_graph"], snap = _timed(lambda: heap.take(), 1)
    out["count"] = len(snap)
    out["edges"] = snap.edge_count
    out["by_type_only"], _ = _timed(snap.by_type, repeat)
    out["rcs_only"], part = _timed(lambda: snap.by_rcs().format(10), repeat)
    out["rcs_total"] = [out["type_graph"][0] + out["rcs_only"][0],
                        out["type_graph"][1] + out["rcs_only"][1]]
    snap = None  # (not `del`: the lambdas above read it)
    del part
    rss0 = _rss_kb()
    peak0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def retained():
        s = heap.take()
        return s, s.retained_size(data)

    out["retained"], (snap, size) = _timed(retained, 1)
    out["retained_size"] = size
    snap = None
    out["retained_fast"], size = _timed(lambda: heap.retained_size(data), repeat)
    out["retained_fast_size"] = size
    # the dominator tree alone, on a fresh snapshot
    snap2 = heap.take()
    rss1 = _rss_kb()
    out["dom_tree"], _ = _timed(snap2.dominators, 1)  # breadth-first order, dominators, counts
    peak1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["dom_mem_mb"] = max(0, peak1 - max(peak0, rss1)) / 1024
    out["snap_mem_mb"] = max(0, rss1 - rss0) / 1024
    out["reachable"] = len(snap2.dominators())  # reachable objects
    data = None
    return out


def worker_guppy(objects: int, repeat: int) -> dict:
    from guppy import hpy

    data = build_heap(objects)
    hp = hpy()
    out: dict = {}
    out["heap_first"], h = _timed(hp.heap, 1)
    out["count"] = h.count
    out["heap_warm"], h = _timed(hp.heap, repeat)
    del h
    out["bytype"], _ = _timed(lambda: str(hp.heap().bytype), repeat)

    def rcs():
        hh = hp.heap()
        return str(hh.byrcs)

    out["rcs_total"], _ = _timed(rcs, 1)
    hh = hp.heap()
    out["rcs_only"], _ = _timed(lambda: str(hh.byrcs), 1)
    hh = None
    out["retained"], size = _timed(lambda: hp.iso(data).domisize, 1)
    out["retained_size"] = size
    data = None
    return out


def worker_trace(allocs: int, repeat: int) -> dict:
    sys.path.insert(0, ROOT)
    from pympler_nb.core import allocations

    def cell():
        return [object() for _ in range(allocs)]

    out: dict = {}
    out["plain"], keep = _timed(cell, repeat)
    del keep
    import tracemalloc

    def raw():
        tracemalloc.start(1)
        try:
            return cell()
        finally:
            tracemalloc.stop()

    out["raw"], keep = _timed(raw, repeat)
    del keep
    for frames in (1, 25):
        def tracing_only(frames=frames):
            with allocations.trace(frames=frames) as t:
                kept = cell()
            return kept, t

        out["only_%d" % frames], keep = _timed(tracing_only, repeat)
        del keep

        def traced(frames=frames):
            with allocations.trace(frames=frames) as t:
                kept = cell()
            stats = t.statistics("lineno", filename=__file__)
            return kept, stats, t

        out["traced_%d" % frames], (kept, stats, t) = _timed(traced, repeat)
        out["top_%d" % frames] = [stats[0].lineno, stats[0].count] if stats else None
        out["peak_%d" % frames] = t.peak
        del kept, stats, t
    return out


def run_worker(tool: str, objects: int, repeat: int) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", tool,
           "--objects", str(objects), "--repeat", str(repeat)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt(t) -> str:
    return "n/a" if not t else "%.3f s (%.3f)" % (t[0], t[1])


def _ratio(a, b) -> str:
    if not a or not b:
        return "n/a"
    return "%.2f (%.2f)" % (a[0] / b[0], a[1] / b[1])


def table(ours: dict, gup: dict, trace: dict, allocs: int) -> str:
    lines = [
        "| measure | pympler_nb | guppy3 | ours/guppy |",
        "|---|---|---|---|",
    ]
    rows = [
        ("partition by type: take(graph=False).by_type() / heap() first call",
         ours.get("type_light"), gup.get("heap_first")),
        ("partition by type: take(graph=False).by_type() / heap() warm",
         ours.get("type_light"), gup.get("heap_warm")),
        ("partition by type: take(graph=False).by_type() / str(heap().bytype)",
         ours.get("type_light"), gup.get("bytype")),
        ("partition by type with graph: take().by_type() / heap() warm",
         ours.get("type_graph"), gup.get("heap_warm")),
        ("by referrer kind, snapshot given: by_rcs() / h.byrcs",
         ours.get("rcs_only"), gup.get("rcs_only")),
        ("by referrer kind incl. snapshot: take().by_rcs() / heap().byrcs",
         ours.get("rcs_total"), gup.get("rcs_total")),
        ("retained size of one object: heap.retained_size(x) / iso(x).domisize",
         ours.get("retained_fast"), gup.get("retained")),
        ("retained size of one object: take()+retained_size / iso(x).domisize",
         ours.get("retained"), gup.get("retained")),
    ]
    for label, a, b in rows:
        lines.append("| %s | %s | %s | %s |" % (label, _fmt(a), _fmt(b), _ratio(a, b)))
    lines.append("| full dominator tree + retained sizes (%s reachable objects) | %s | n/a | |"
                 % (ours.get("reachable", "?"), _fmt(ours.get("dom_tree"))))
    lines.append("| memory: dominator tree (peak RSS growth) / snapshot (RSS growth) | "
                 "%.0f MB / %.0f MB | | |" % (ours.get("dom_mem_mb", 0), ours.get("snap_mem_mb", 0)))
    lines.append("| objects listed (references) | %s (%s) | %s | |" % (
        ours.get("count"), ours.get("edges"), gup.get("count")))
    lines.append("| retained size of the Node list, bytes (heap.retained_size / snapshot) "
                 "| %s / %s | %s | |" % (ours.get("retained_fast_size"),
                                         ours.get("retained_size"), gup.get("retained_size")))
    lines += ["", "| tracemalloc overhead, cell of %d allocations | time | ratio to untraced |"
              % allocs, "|---|---|---|"]
    plain = trace.get("plain")
    lines.append("| untraced cell | %s | 1.00 |" % _fmt(plain))
    t = trace.get("raw")
    lines.append("| tracemalloc.start(1) / cell / stop (reference) | %s | %s |" % (
        _fmt(t), _ratio(t, plain)))
    for frames in (1, 25):
        t = trace.get("only_%d" % frames)
        lines.append("| trace(frames=%d), block only (incl. end snapshot) | %s | %s |" % (
            frames, _fmt(t), _ratio(t, plain)))
        t = trace.get("traced_%d" % frames)
        lines.append("| trace(frames=%d) + per-line statistics | %s | %s |" % (
            frames, _fmt(t), _ratio(t, plain)))
    errors = ["%s: %s" % (k, r["error"]) for k, r in
              (("ours", ours), ("guppy", gup), ("trace", trace)) if "error" in r]
    if errors:
        lines += [""] + ["error: " + e for e in errors]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=1_000_000,
                        help="extra objects on the heap (default 1,000,000)")
    parser.add_argument("--allocs", type=int, default=1_000_000,
                        help="allocations of the traced cell (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    parser.add_argument("--quick", action="store_true", help="200k objects and allocations")
    parser.add_argument("--worker", choices=TOOLS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "ours":
        print(json.dumps(worker_ours(args.objects, args.repeat)))
        return 0
    if args.worker == "guppy":
        print(json.dumps(worker_guppy(args.objects, args.repeat)))
        return 0
    if args.worker == "trace":
        print(json.dumps(worker_trace(args.objects, args.repeat)))
        return 0
    if args.quick:
        args.objects = args.allocs = 200_000
    print("# Heap snapshots, dominators, allocation tracing (Python %s, %d extra objects)\n"
          % (sys.version.split()[0], args.objects))
    ours = run_worker("ours", args.objects, args.repeat)
    gup = run_worker("guppy", args.objects, args.repeat)
    trace = run_worker("trace", args.allocs, args.repeat)
    print("Times: wall (CPU seconds); ratios: wall (CPU).\n")
    print(table(ours, gup, trace, args.allocs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
