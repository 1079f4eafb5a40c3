"""Heap summaries and tracker diffs: pympler_nb vs Pympler 1.1 vs guppy3.

Builds a heap of ``--objects`` extra objects in a fresh subprocess per tool, one
of two workloads:

- ``node``: ``Node`` instances, each holding an int, a str and a list (4 objects
  per node);
- ``mixed``: records of the kinds notebooks hold, each a list of a str-keyed dict
  (an int, a str and a float), a tuple (an int, a str), a ``__slots__`` instance
  (a float, a bytes) and a set of two ints: dicts and tuples the collector does not
  track, values reached only through them, shared interned keys;

and measures, best of ``--repeat`` runs:

- **summary**: ``summary.summarize(muppy.get_objects())`` (ours, Pympler) and
  ``hpy().heap()`` (guppy3);
- **tracker**: creating ``tracker.SummaryTracker()`` and one ``tracker.diff()``
  with nothing changed in between (ours, Pympler); guppy3's equivalent of a diff
  is ``hp.heap() - h0`` (a new heap minus a stored one).

``ours`` is the accelerated path (the C extension ``pympler_nb._speedups``) when it
is built, ``pure`` the same code with ``PYMPLER_NB_PURE=1`` (the pure-Python path), both
in the same table as ratios to Pympler 1.1 and guppy3 measured in the same run.  Ours
also reports the extra memory per walked object (the peak traced memory of
``muppy.get_objects()`` beyond the returned list's own 8 bytes per object) and the
dominator tree of a ``--dom-objects`` heap snapshot (``heap.take().dominators()``:
breadth-first order, dominators, retained sizes, counts).

Then it measures ours alone from 100k to 5M extra objects to show how the time
grows.  Prints Markdown tables; ``ours/pympler`` below 0.1 means 10x faster (the last
column, ``Pympler/ours``, says it directly: ``25.0x`` is the issue's target).

Run::

    .venv/bin/python benchmarks/bench_heap.py            # full run (about a minute)
    .venv/bin/python benchmarks/bench_heap.py --quick    # 200k objects, scaling to 1M
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

TOOLS = ("ours", "pure", "pympler", "guppy")


class Node:
    """One workload unit: the node itself, an int, a str and an empty list."""

    def __init__(self, i: int) -> None:
        self.i = i + 1_000_000  # beyond the small-int cache: one int object per node
        self.s = str(i)
        self.l: list = []


class Slot:
    """A ``__slots__`` instance of the mixed workload."""

    __slots__ = ("a", "b")

    def __init__(self, a: float, b: bytes) -> None:
        self.a = a
        self.b = b


def build_heap(objects: int, workload: str = "node") -> list:
    if workload == "node":
        return [Node(i) for i in range(objects // 4)]
    out = []
    for i in range(objects // 14):  # about 14 new objects per record
        f = i * 0.5
        record = {"id": i + 10**6, "name": "k%d" % i, "score": f}
        pair = (i + 2 * 10**6, "t%d" % i)
        out.append([record, pair, Slot(f + 1, b"x" * (2 + i % 20)), {i + 10**6, i + 10**7}])
    return out


WORKLOADS = ("node", "mixed")


def _best(fn, repeat: int) -> list[float]:
    """``[wall, cpu]`` seconds, each the best of ``repeat`` runs.

    CPU time (``time.process_time``) is reported next to wall time because the
    benchmark may run on a shared machine: it is what the work costs.
    """
    wall = cpu = float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
        del result
    return [wall, cpu]


def _walk_memory(muppy, count: int) -> float:
    """Extra bytes per walked object: the peak traced memory of ``get_objects()`` minus
    the returned list (8 bytes a pointer)."""
    import tracemalloc

    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        objs = muppy.get_objects()
        n = len(objs)
        peak = tracemalloc.get_traced_memory()[1] - base
        del objs
    finally:
        tracemalloc.stop()
    return max(0.0, (peak - 8 * n) / max(n, count, 1))


def _dominators(objects: int, workload: str) -> dict:
    """``heap.take().dominators()`` of a heap with ``objects`` extra objects."""
    from pympler_nb.core import heap

    data = build_heap(objects, workload)
    snap = heap.take()
    start, start_cpu = time.perf_counter(), time.process_time()
    tree = snap.dominators()
    out = {"dom": [time.perf_counter() - start, time.process_time() - start_cpu],
           "dom_objects": len(snap), "dom_reachable": len(tree)}
    del tree, snap, data
    return out


def worker(tool: str, objects: int, repeat: int, workload: str = "node",
           dom_objects: int = 0) -> dict:
    """Build the heap and time one tool; runs in its own process."""
    if tool in ("ours", "pure"):
        sys.path.insert(0, ROOT)
        from pympler_nb.core import ACCELERATED, muppy, summary, tracker
    elif tool == "pympler":
        from pympler import muppy, summary, tracker  # type: ignore[no-redef]
    data = build_heap(objects, workload)
    out: dict = {"tool": tool, "objects": objects}
    if tool in ("ours", "pure"):
        out["accelerated"] = ACCELERATED
    if tool == "guppy":
        from guppy import hpy

        hp = hpy()
        out["count"] = hp.heap().count
        out["summary"] = _best(hp.heap, repeat)
        start, start_cpu = time.perf_counter(), time.process_time()
        h0 = hp.heap()
        out["tracker_init"] = [time.perf_counter() - start, time.process_time() - start_cpu]
        out["diff"] = _best(lambda: hp.heap() - h0, repeat)
    else:
        objs = muppy.get_objects()
        out["count"] = len(objs)
        del objs
        out["summary"] = _best(lambda: summary.summarize(muppy.get_objects()), repeat)
        start, start_cpu = time.perf_counter(), time.process_time()
        tr = tracker.SummaryTracker()
        out["tracker_init"] = [time.perf_counter() - start, time.process_time() - start_cpu]
        tr.diff()  # the calibration call Pympler needs; ours is quiet without it
        out["diff"] = _best(tr.diff, repeat)
        tr.diff()
        idle = tr.diff()  # nothing happened since the previous line
        out["idle_diff_rows"] = len(idle)
        del tr, idle
        if tool != "pympler":
            out["walk_bytes"] = _walk_memory(muppy, out["count"])
    del data
    if dom_objects and tool in ("ours", "pure"):
        out.update(_dominators(dom_objects, workload))
    return out


def run_worker(tool: str, objects: int, repeat: int, workload: str = "node",
               dom_objects: int = 0) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", tool,
           "--objects", str(objects), "--repeat", str(repeat), "--workload", workload,
           "--dom-objects", str(dom_objects)]
    env = dict(os.environ)
    env.pop("PYMPLER_NB_PURE", None)
    if tool == "pure":
        env["PYMPLER_NB_PURE"] = "1"
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False, env=env)
    if proc.returncode != 0:
        return {"tool": tool, "objects": objects, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt(times: list[float] | None) -> str:
    return "n/a" if not times else "%.3f s (%.3f)" % (times[0], times[1])


def _ratio(a: list[float] | None, b: list[float] | None) -> str:
    if not a or not b:
        return "n/a"
    return "%.2f (%.2f)" % (a[0] / b[0], a[1] / b[1])


def _speedup(slow: list[float] | None, fast: list[float] | None) -> str:
    """How many times faster ``fast`` is: wall (CPU), e.g. ``25.3x (25.1x)``."""
    if not slow or not fast:
        return "n/a"
    return "%.1fx (%.1fx)" % (slow[0] / fast[0], slow[1] / fast[1])


def compare_table(results: dict[str, dict]) -> str:
    ours, pure = results.get("ours", {}), results.get("pure", {})
    pym, gup = results.get("pympler", {}), results.get("guppy", {})
    path = "C" if ours.get("accelerated") else "pure (extension not built!)"
    lines = [
        "Times: wall, best of N (CPU seconds in brackets); ratios: wall (CPU). "
        "ours = the %s path, pure = PYMPLER_NB_PURE=1." % path,
        "",
        "| measure | ours | pure | Pympler 1.1 | guppy3 | ours/pympler | ours/guppy "
        "| pure/pympler | pure/guppy | Pympler/ours |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, label in (("summary", "summarize(get_objects()) / hpy().heap()"),
                       ("tracker_init", "SummaryTracker() / first heap()"),
                       ("diff", "tracker.diff() / heap() - h0")):
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, _fmt(ours.get(key)), _fmt(pure.get(key)), _fmt(pym.get(key)), _fmt(gup.get(key)),
            _ratio(ours.get(key), pym.get(key)), _ratio(ours.get(key), gup.get(key)),
            _ratio(pure.get(key), pym.get(key)), _ratio(pure.get(key), gup.get(key)),
            _speedup(pym.get(key), ours.get(key))))
    lines.append("| objects listed | %s | %s | %s | %s | | | | | |" % (
        ours.get("count", "n/a"), pure.get("count", "n/a"), pym.get("count", "n/a"),
        gup.get("count", "n/a")))
    lines.append("| rows in an idle diff | %s | %s | %s | n/a | | | | | |" % (
        ours.get("idle_diff_rows", "n/a"), pure.get("idle_diff_rows", "n/a"),
        pym.get("idle_diff_rows", "n/a")))
    lines.append("| extra memory per walked object (get_objects) | %s | %s | | | | | | | |" % (
        _bytes(ours.get("walk_bytes")), _bytes(pure.get("walk_bytes"))))
    if "dom" in ours or "dom" in pure:
        lines.append("| dominator tree of heap.take() (%s objects, %s reachable) | %s | %s | n/a | n/a "
                     "| | | | | |" % (ours.get("dom_objects", pure.get("dom_objects")),
                                   ours.get("dom_reachable", pure.get("dom_reachable")),
                                   _fmt(ours.get("dom")), _fmt(pure.get("dom"))))
    errors = [f"{tool}: {r['error']}" for tool, r in results.items() if "error" in r]
    if errors:
        lines.append("")
        lines.extend("error: " + e for e in errors)
    return "\n".join(lines)


def _bytes(value: float | None) -> str:
    return "n/a" if value is None else "%.1f B" % value


def scaling_table(rows: list[dict]) -> str:
    lines = [
        "| extra objects | objects listed | summarize(get_objects()) | CPU µs/object | tracker.diff() "
        "| CPU µs/object |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append("| %d | error: %s | | | | |" % (r["objects"], r["error"]))
            continue
        n = r["count"]
        lines.append("| %d | %d | %s | %.3f | %s | %.3f |" % (
            r["objects"], n, _fmt(r["summary"]), r["summary"][1] / n * 1e6,
            _fmt(r["diff"]), r["diff"][1] / n * 1e6))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=1_000_000,
                        help="extra objects on the heap for the comparison (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=5, help="best of N runs (default 5)")
    parser.add_argument("--pympler-repeat", type=int, default=2,
                        help="best of N runs for Pympler, which is slow (default 2)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help="comma-separated subset of %s (default: both)" % ",".join(WORKLOADS))
    parser.add_argument("--workload", choices=WORKLOADS, default="node", help=argparse.SUPPRESS)
    parser.add_argument("--dom-objects", type=int, default=1_000_000,
                        help="extra objects of the heap whose dominator tree is timed (ours, pure; "
                             "0: skip)")
    parser.add_argument("--scaling", default="100000,300000,1000000,3000000,5000000",
                        help="comma-separated extra-object counts for the scaling table")
    parser.add_argument("--quick", action="store_true",
                        help="200k objects, scaling up to 1M (for a smoke run)")
    parser.add_argument("--tools", default=",".join(TOOLS), help="subset of ours,pympler,guppy")
    parser.add_argument("--worker", choices=TOOLS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, args.objects, args.repeat, args.workload,
                                args.dom_objects)))
        return 0

    if args.quick:
        args.objects = 200_000
        args.scaling = "100000,1000000"
    tools = [t for t in args.tools.split(",") if t]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        parser.error("unknown tool(s) %s: use a subset of %s" % (sorted(unknown), ",".join(TOOLS)))

    workloads = [w for w in args.workloads.split(",") if w]
    if set(workloads) - set(WORKLOADS):
        parser.error("unknown workload(s) %s: use a subset of %s"
                     % (sorted(set(workloads) - set(WORKLOADS)), ",".join(WORKLOADS)))
    for workload in workloads:
        print("# Heap summary and tracker diff: %s workload (Python %s, %d extra objects)\n"
              % (workload, sys.version.split()[0], args.objects))
        results = {}
        for tool in tools:
            repeat = args.pympler_repeat if tool == "pympler" else args.repeat
            dom = args.dom_objects if workload == workloads[0] else 0
            results[tool] = run_worker(tool, args.objects, repeat, workload, dom)
        print(compare_table(results))
        print()

    counts = [int(x) for x in args.scaling.split(",") if x]
    if counts and "ours" in tools:
        print("## pympler_nb scaling (node workload)\n")
        print(scaling_table([run_worker("ours", n, args.repeat) for n in counts]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
