"""Benchmark: "why is it alive?" chains and reference graphs against objgraph, guppy3, Pympler.

Run ``python benchmarks/bench_graphs.py`` (about a minute). It prints a Markdown
report with two tables:

1. **Shortest chain to a root** on a heap of more than a million objects
   (250,000 instances holding an int, a str and a list each), for an object held
   3 references below a module global (``bench_mod.G.items[0]['k']``):
   ``pympler_nb.core.whyalive.find_chains`` (and ``why_alive`` with releasable
   bytes) vs ``objgraph.find_backref_chain(obj, inspect.ismodule)`` vs guppy3's
   ``hpy().iso(obj).sp``, all in one process. Target: within 2x of objgraph.
   A second row set does the same for an object that the garbage collector does
   not track, held by a dict that it does not track either (a dict of bytes):
   objgraph cannot see such holders.
2. **Reference graph of 10,000 objects**: ``ReferenceGraph(objects)`` plus the DOT
   text (``write_graph``), pympler_nb vs Pympler 1.1, and how many instance
   ``__dict__``s each run created as a side effect (CPython 3.11+ stores
   attributes inline; Pympler 1.1 materializes the dicts, pympler #170).
3. **Valid DOT**: how many of a few awkward reprs each tool's DOT text survives.

Times are the best of ``REPEAT`` runs with ``time.perf_counter``. objgraph,
guppy3 and Pympler are only imported here, never by pympler_nb.
"""

from __future__ import annotations

import gc
import inspect
import os
import platform
import sys
import tempfile
import time
import types

REPEAT = 3
N_NODES = 250_000
N_GRAPH = 10_000

if __package__ in (None, ""):  # run as a script from anywhere
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Node:
    def __init__(self, i):
        self.i = i
        self.s = str(i)
        self.l = []


class Holder:
    def __init__(self):
        self.items = []


class Target:
    pass


def best_of(func, repeat=REPEAT):
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - t0)
        if best > 20:
            break
    return best, result


def _fmt(seconds):
    return "n/a" if seconds is None else f"{seconds:.3f}"


def _ratio(value, base):
    return "n/a" if value is None or not base else f"{value / base:.2f}x"


def build_heap():
    data = [Node(i) for i in range(N_NODES)]
    mod = types.ModuleType("bench_mod")
    sys.modules["bench_mod"] = mod
    mod.G = Holder()
    mod.G.items.append({"k": Target()})  # G -> items -> [0] -> ['k']: 3 references below G
    mod.U = Holder()
    mod.U.items.append({"blob": bytes(bytearray(1000))})  # an untracked dict of bytes
    return data, mod


def count_objects():
    """All objects reachable from gc-tracked ones (tracked + untracked), once."""
    objs = gc.get_objects()
    seen = {id(o) for o in objs}
    for start in range(0, len(objs), 4096):
        for r in gc.get_referents(*objs[start:start + 4096]):
            seen.add(id(r))
    return len(objs), len(seen)


def chain_rows(mod):
    from pympler_nb.core.whyalive import find_chains, why_alive

    rows = []

    def target():
        return mod.G.items[0]["k"]

    t_ours, chains = best_of(lambda: find_chains(target()))
    rows.append(("pympler_nb", "`find_chains(obj)`", t_ours,
                 "; ".join(c.path for c in chains if c.root_kind == "module")))
    t_nocol, _ = best_of(lambda: find_chains(target(), collect=False))
    rows.append(("pympler_nb", "`find_chains(obj, collect=False)` (search only)", t_nocol, "same"))
    t_full, res = best_of(lambda: why_alive(target()))
    rows.append(("pympler_nb", "`why_alive(obj)` (+ actions, releasable bytes)", t_full,
                 f"{res.chains[0].path} → {res.chains[0].action.text}"))
    t_obj = None
    try:
        import objgraph
    except ImportError:
        rows.append(("objgraph", "not installed", None, ""))
    else:
        t_obj, chain = best_of(lambda: objgraph.find_backref_chain(target(), inspect.ismodule))
        rows.append(("objgraph", "`find_backref_chain(obj, inspect.ismodule)`", t_obj,
                     " → ".join(type(x).__name__ for x in chain)))
        del chain
    try:
        import guppy
    except ImportError:
        rows.append(("guppy3", "not installed", None, ""))
    else:
        hp = guppy.hpy()
        t_gup, sp = best_of(lambda: str(hp.iso(target()).sp).strip().splitlines()[0])
        rows.append(("guppy3", "`hpy().iso(obj).sp`", t_gup, sp))
        del hp
    # an untracked object held by an untracked dict
    t_unt, chains = best_of(lambda: find_chains(mod.U.items[0]["blob"]))
    rows.append(("pympler_nb", "`find_chains(bytes)` (untracked holder)", t_unt,
                 "; ".join(c.path for c in chains if c.root_kind == "module") or "not found"))
    if t_obj is not None:
        import objgraph

        t_ou, chain = best_of(lambda: objgraph.find_backref_chain(mod.U.items[0]["blob"], inspect.ismodule))
        rows.append(("objgraph", "`find_backref_chain(bytes, ismodule)`", t_ou,
                     " → ".join(type(x).__name__ for x in chain)
                     if len(chain) > 1 else "not found (chain is just the object)"))
        del chain
    return rows, t_ours, t_obj


def graph_objects():
    """10k objects: linked nodes with dict payloads and a few cycles."""
    objs = []
    prev = None
    while len(objs) < N_GRAPH:
        h = Holder()
        payload = {"prev": prev, "n": len(objs)}
        h.items.append(payload)
        if prev is not None and len(objs) % 50 == 0:
            prev.items.append(h)  # a cycle every 50 holders
        objs += [h, h.items, payload]
        prev = h
    return objs[:N_GRAPH]


def graph_rows():
    from pympler_nb.core.refgraph import ReferenceGraph

    objs = graph_objects()
    rows = []

    def dicts_created():  # did the run create the Holders' instance __dict__ (Pympler #170)?
        return sum(1 for o in objs if isinstance(o, Holder) and dict in map(type, gc.get_referents(o)))

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "g.dot")
        t_build, g = best_of(lambda: ReferenceGraph(objs))
        t_dot, _ = best_of(lambda: g.write_graph(path))
        rows.append(("pympler_nb", t_build, t_dot, len(g.edges), dicts_created()))
        ours = t_build + t_dot
        theirs = None
        try:
            from pympler.refgraph import ReferenceGraph as PymplerGraph
        except ImportError:
            rows.append(("Pympler 1.1", None, None, 0, 0))
        else:
            # one run: it creates the instances' __dict__, which changes every later run
            t_pb, pg = best_of(lambda: PymplerGraph(objs), repeat=1)
            t_pd, _ = best_of(lambda: pg.write_graph(path), repeat=1)
            rows.append(("Pympler 1.1", t_pb, t_pd, len(pg.edges), dicts_created()))
            theirs = t_pb + t_pd
            pg = None
        g = None
    return rows, ours, theirs


HOSTILE = ['say "hi"', "trailing\\", "<b>", "nul\x00byte", "new\nline", "é ✓ 中文", "lone \ud800"]


class _Labelled:
    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def validity_rows():
    """Does Graphviz accept the DOT each tool writes for objects with awkward reprs?"""
    import shutil
    import subprocess

    from pympler_nb.core.refgraph import ReferenceGraph

    if shutil.which("dot") is None:
        return None
    rows = []
    makers = [("pympler_nb", ReferenceGraph)]
    try:
        from pympler.refgraph import ReferenceGraph as PymplerGraph

        makers.append(("Pympler 1.1", PymplerGraph))
    except ImportError:
        pass
    for tool, maker in makers:
        ok = 0
        for text in HOSTILE:
            obj = _Labelled(text)
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "g.dot")
                try:
                    maker([{text: obj}, obj]).write_graph(path)
                    data = open(path, "rb").read()
                except Exception:  # noqa: BLE001 - a tool that cannot even write it
                    continue
            out = subprocess.run(["dot", "-Tplain"], input=data, capture_output=True)
            ok += out.returncode == 0
        rows.append((tool, ok))
    return rows


def main():
    data, mod = build_heap()
    tracked, total = count_objects()
    out = []
    out.append(f"# bench_graphs — Python {platform.python_version()}, {platform.machine()}\n")
    out.append(f"Heap: {total:,} objects ({tracked:,} tracked by gc); best of {REPEAT}.\n")
    rows, t_ours, t_obj = chain_rows(mod)
    out.append("## Shortest chain to a root (object 3 references below a module global)\n")
    out.append("| Tool | Call | Time (s) | vs objgraph | Result |")
    out.append("|---|---|---:|---:|---|")
    for tool, call, t, result in rows:
        out.append(f"| {tool} | {call} | {_fmt(t)} | {_ratio(t, t_obj)} | {result.replace('|', '¦')} |")
    if t_obj:
        verdict = "PASS" if t_ours <= 2 * t_obj else "FAIL"
        out.append(f"\nTarget `find_chains` ≤ 2× objgraph: **{verdict}** "
                   f"({t_ours:.3f} s vs {t_obj:.3f} s, {t_ours / t_obj:.2f}×).\n")
    del data
    mod.G = mod.U = None
    gc.collect()
    grows, ours, theirs = graph_rows()
    out.append(f"## Reference graph of {N_GRAPH:,} objects: build + DOT export\n")
    out.append("| Tool | Build (s) | DOT export (s) | Total (s) | Edges | Time relative to pympler_nb "
               "| Instance `__dict__`s created |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for tool, tb, td, nedges, created in grows:
        total_t = None if tb is None else tb + td
        speed = "1.00x" if tool == "pympler_nb" else _ratio(total_t, ours)
        out.append(f"| {tool} | {_fmt(tb)} | {_fmt(td)} | {_fmt(total_t)} | {nedges:,} | {speed} "
                   f"| {created:,} |")
    out.append("\n(pympler_nb: best of 3; Pympler: its first run, on the same untouched objects.)")
    valid = validity_rows()
    if valid is not None:
        out.append(f"\n## Valid DOT for awkward reprs ({len(HOSTILE)} cases: quotes, trailing "
                   f"backslash, `<...>`, NUL, newline, unicode, lone surrogate)\n")
        out.append("| Tool | Accepted by `dot` |")
        out.append("|---|---:|")
        for tool, ok in valid:
            out.append(f"| {tool} | {ok}/{len(HOSTILE)} |")
    out.append("")
    print("\n".join(out))
    del sys.modules["bench_mod"]


if __name__ == "__main__":
    main()
