"""Speed and memory of ``pympler_nb.core.classtracker`` against Pympler 1.1's ClassTracker.

Run ``python benchmarks/bench_classtracker.py [--quick] [--no-pympler]`` from the
repository root. It prints Markdown tables:

1. ``create_snapshot()`` over N tracked instances (N = 100,000; ``--quick``: 10,000) at
   resolution levels 0 and 1. Each tool gets its own freshly built instances of its own
   class (Pympler materializes instance ``__dict__``s, so objects it has sized are not the
   same objects any more), tracked through ``track_class``; ``gc.collect()`` runs before
   each timed snapshot; the best of 2 consecutive snapshots is reported (the second
   one also sizes the bookkeeping of the first, in both tools). Every measurement runs
   in a fresh interpreter and is CPU time of the process (:func:`time.process_time`),
   so that other programs on a shared machine do not skew the ratio; both trackers
   are single-threaded here, so on an idle machine this equals wall time.
   Target: >= 3x faster.
2. The tracker's own memory per tracked instance, measured with :mod:`tracemalloc`
   (bytes allocated and still held, after ``gc.collect()``): for ``track_object`` alone
   (before any snapshot), and what each snapshot adds per instance at levels 0 and 1.
   Also the ``Snapshot.overhead`` the tracker reports about itself.
3. The cost of a tracked constructor call (``track_class``) against an untracked one.

Sizes differ between the tools by design (ours counts what CPython allocates, with no
8-byte rounding; Pympler rounds and materializes ``__dict__``s), so tracked totals are
shown side by side, not compared.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pympler_nb.core import ACCELERATED
from pympler_nb.core import classtracker as ours

try:  # the comparison anchor only (bench extra); never imported by pympler_nb itself
    from pympler import classtracker as theirs
except ImportError:  # pragma: no cover - 3.12/3.13 venvs have no Pympler
    theirs = None

SPEEDUP_TARGET = 6.0 if ACCELERATED else 3.0  # issue 18: the C walk; the pure path's target stays 3x
PURE_TARGET = 3.0
LEVELS = (0, 1)


def make_class(tag: str) -> type:
    """A fresh class per run, so that the two trackers never wrap the same ``__init__``."""

    def __init__(self, i):
        self.index = i
        self.name = f"item {i}"
        self.tags = [i, i + 1]
        self.score = i * 0.5

    return type(f"Item_{tag}", (), {"__init__": __init__, "__module__": __name__})


def _tracker(module: Any) -> Any:
    return module.ClassTracker()


def time_in_subprocess(tool: str, n: int, level: int) -> tuple[float, int, float]:
    """:func:`time_snapshots` in a fresh interpreter (no garbage or caches of the other tool);
    ``tool`` ``'pure'``: ours on the pure-Python path (``PYMPLER_NB_PURE=1``)."""
    env = dict(os.environ, PYMPLER_NB_PURE="1") if tool == "pure" else None
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--one", "ours" if tool == "pure" else tool,
                          str(level), str(n)], capture_output=True, text=True, check=True, env=env)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["seconds"], data["total"], data["per_init"]


def time_snapshots(module: Any, n: int, level: int) -> tuple[float, int, float]:
    """Best of two ``create_snapshot()`` times; the tracked total; seconds per constructor."""
    cls = make_class(f"{module.__name__.split('.')[0]}_{level}")
    tracker = _tracker(module)
    tracker.track_class(cls, resolution_level=level)
    gc.collect()
    t0 = time.perf_counter()
    items = [cls(i) for i in range(n)]
    per_init = (time.perf_counter() - t0) / n
    times = []
    for _ in range(2):
        gc.collect()
        t0 = time.process_time()
        tracker.create_snapshot()
        times.append(time.process_time() - t0)
    total = tracker.snapshots[-1].tracked_total
    tracker.detach_all()
    tracker.close()
    del items, tracker
    gc.collect()
    return min(times), total, per_init


def plain_init_seconds(n: int) -> float:
    cls = make_class("plain")
    gc.collect()
    t0 = time.perf_counter()
    items = [cls(i) for i in range(n)]
    elapsed = time.perf_counter() - t0
    del items
    return elapsed / n


def _traced(fn: Callable[[], Any]) -> int:
    """Bytes that ``fn()`` allocated and that are still held afterwards (after gc)."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    fn()
    gc.collect()
    return tracemalloc.get_traced_memory()[0] - before


def memory_per_instance(module: Any, n: int) -> dict[str, float]:
    """Tracker bytes per tracked instance: tracking, then one snapshot at level 0 and 1."""
    cls = make_class(f"{module.__name__.split('.')[0]}_mem")
    items = [cls(i) for i in range(n)]
    tracker = _tracker(module)
    out: dict[str, float] = {}
    tracemalloc.start()
    try:
        out["track"] = _traced(lambda: [tracker.track_object(o) for o in items]) / n
        out["snapshot0"] = _traced(tracker.create_snapshot) / n
        out["reported0"] = tracker.snapshots[-1].overhead / n
        for o in items:
            tracker.track_change(o, 1)
        out["snapshot1"] = _traced(tracker.create_snapshot) / n
        out["reported1"] = tracker.snapshots[-1].overhead / n
    finally:
        tracemalloc.stop()
        tracker.detach_all()
    return out


def _fmt_s(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.3f}"


def _fmt_b(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def render(n: int, speed: list[dict], mem: dict[str, dict[str, float]], inits: dict[str, float]) -> str:
    path = "C walk" if ACCELERATED else "pure Python"
    lines = [f"### `create_snapshot()` over {n:,} tracked instances (best of 2, CPU seconds)", "",
             f"| resolution level | pympler_nb ({path}) | pympler_nb pure | Pympler 1.1 | speed-up | target | "
             "pure speed-up | pympler_nb tracked total | Pympler tracked total |",
             "|---:|---:|---:|---:|---:|:---:|---:|---:|---:|"]
    for row in speed:
        ratio = row["theirs"] / row["ours"] if row["theirs"] else None
        ok = "—" if ratio is None else ("met" if ratio >= SPEEDUP_TARGET else "missed")
        speedup = "—" if ratio is None else f"{ratio:.2f}x"
        pure = row.get("pure")
        pratio = row["theirs"] / pure if row["theirs"] and pure else None
        pure_speedup = "—" if pratio is None else f"{pratio:.2f}x ({'met' if pratio >= PURE_TARGET else 'missed'}" \
            f" >= {PURE_TARGET:g}x)"
        theirs_total = "—" if row["theirs_total"] is None else f"{row['theirs_total']:,}"
        lines.append(f"| {row['level']} | {_fmt_s(row['ours'])} | {_fmt_s(pure)} | {_fmt_s(row['theirs'])} | "
                     f"{speedup} | {ok} (>= {SPEEDUP_TARGET:g}x) | {pure_speedup} | {row['ours_total']:,} | "
                     f"{theirs_total} |")
    m_ours, m_theirs = mem.get("ours", {}), mem.get("theirs", {})
    lines += ["", "### Tracker memory per tracked instance (bytes, tracemalloc)", "",
              "| what | pympler_nb | Pympler 1.1 |", "|---|---:|---:|"]
    for key, label in (("track", "tracking it (`track_object`, before any snapshot)"),
                       ("snapshot0", "each snapshot at level 0 adds"),
                       ("snapshot1", "each snapshot at level 1 adds"),
                       ("reported0", "`Snapshot.overhead` / N after 1 snapshot (self-reported)"),
                       ("reported1", "`Snapshot.overhead` / N after 2 snapshots (self-reported)")):
        lines.append(f"| {label} | {_fmt_b(m_ours.get(key))} | {_fmt_b(m_theirs.get(key))} |")
    theirs_init = "—" if inits.get("theirs") is None else f"{inits['theirs'] * 1e6:.2f}"
    lines += ["", "### Constructor call (µs per instance)", "",
              "| untracked | pympler_nb tracked | Pympler tracked |", "|---:|---:|---:|",
              f"| {inits['plain'] * 1e6:.2f} | {inits['ours'] * 1e6:.2f} | {theirs_init} |"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 instances instead of 100,000")
    parser.add_argument("--no-pympler", action="store_true", help="skip Pympler 1.1")
    parser.add_argument("--one", nargs=3, metavar=("TOOL", "LEVEL", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:  # a single measurement, run by time_in_subprocess()
        tool, level, count = args.one[0], int(args.one[1]), int(args.one[2])
        seconds, total, per_init = time_snapshots(ours if tool == "ours" else theirs, count, level)
        print(json.dumps({"seconds": seconds, "total": total, "per_init": per_init}))
        return 0
    use_theirs = theirs is not None and not args.no_pympler
    n = 10_000 if args.quick else 100_000
    n_mem = min(n, 20_000)

    versions = [f"CPython {platform.python_version()}"]
    for dist in ("Pympler", "psutil"):
        try:
            versions.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    print(f"# ClassTracker benchmark ({'quick' if args.quick else 'full'}): " + ", ".join(versions))
    print()

    speed = []
    inits: dict[str, float] = {"plain": plain_init_seconds(n)}
    for level in LEVELS:
        t0 = time.perf_counter()
        ours_s, ours_total, ours_init = time_in_subprocess("ours", n, level)
        row = {"level": level, "ours": ours_s, "ours_total": ours_total, "theirs": None, "theirs_total": None}
        inits.setdefault("ours", ours_init)
        if ACCELERATED:  # the pure-Python path, same run (same totals: checked)
            pure_s, pure_total, _ = time_in_subprocess("pure", n, level)
            if pure_total != ours_total:
                raise SystemExit(f"level {level}: the pure path sized {pure_total:,} bytes, the C walk {ours_total:,}")
            row["pure"] = pure_s
        if use_theirs:
            theirs_s, theirs_total, theirs_init = time_in_subprocess("theirs", n, level)
            row.update(theirs=theirs_s, theirs_total=theirs_total)
            inits.setdefault("theirs", theirs_init)
        speed.append(row)
        print(f"<!-- level {level}: measured in {time.perf_counter() - t0:.1f} s -->", file=sys.stderr, flush=True)
    mem = {"ours": memory_per_instance(ours, n_mem)}
    if use_theirs:
        mem["theirs"] = memory_per_instance(theirs, n_mem)
    print(render(n, speed, mem, inits))
    if n_mem != n:
        print(f"\n(memory measured over {n_mem:,} instances)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
