"""core.leakcheck (issue 21): real leak patterns found with the right holder and a per-run
growth within 10 % of the truth, and no false positive on code that does not leak."""

from __future__ import annotations

import gc
import itertools
import sys
import textwrap
import types

import pytest

from pympler_nb.core import heap
from pympler_nb.core.leakcheck import LeakReport, classify, leak_check, slope


def _within(value, truth, tol=0.10):
    return abs(value - truth) <= tol * abs(truth)


@pytest.fixture
def app():
    """A module of its own (``leakapp``): what holds the leaks has a module path."""
    mod = types.ModuleType("leakapp")
    sys.modules["leakapp"] = mod
    yield mod
    del sys.modules["leakapp"]
    mod.__dict__.clear()
    gc.collect()


def _define(app, src: str) -> None:
    code = compile(textwrap.dedent(src), "<leakapp>", "exec")
    exec(code, app.__dict__)  # the test's own module


def _row(report: LeakReport, name: str):
    row = report.row(name)
    assert row is not None, (name, [r.name for r in report.rows])
    return row


# ---------------------------------------------------------------------------
# leak patterns
# ---------------------------------------------------------------------------

def test_lru_cache_on_unbounded_keys(app):
    _define(app, """
        import functools
        @functools.lru_cache(maxsize=None)
        def load(k):
            return bytearray(10_000)
    """)
    counter = itertools.count()

    def run():
        for _ in range(20):
            app.load(next(counter))

    report = leak_check(run, runs=4)
    row = _row(report, "bytearray")
    assert row.verdict == "leak"
    assert _within(row.per_run_count, 20)
    assert _within(row.per_run_bytes, 20 * sys.getsizeof(bytearray(10_000)))
    assert "load" in row.holder and "cached" in row.holder, row.holder
    assert "cache_clear" in row.samples[0].action
    assert row.releasable_bytes >= 20 * 10_000  # clearing the cache frees every result
    assert report.verdict.startswith("leaks ~") and "bytearray" in report.verdict


def test_module_level_list_appended_to(app):
    app.history = []

    def run():
        app.history.extend({"payload": bytearray(2_000)} for _ in range(100))

    report = leak_check(run, runs=4)
    dicts, payloads = _row(report, "dict"), _row(report, "bytearray")
    assert dicts.verdict == payloads.verdict == "leak"
    assert _within(dicts.per_run_count, 100) and _within(payloads.per_run_count, 100)
    assert _within(payloads.per_run_bytes, 100 * sys.getsizeof(bytearray(2_000)))
    assert dicts.holder.startswith("leakapp.history["), dicts.holder
    assert "leakapp.history[" in payloads.holder, payloads.holder


def test_closure_registered_as_a_callback(app):
    _define(app, """
        callbacks = []
        def register(fn):
            callbacks.append(fn)
    """)

    def run():
        payload = bytearray(50_000)

        def on_event():
            return len(payload)

        app.register(on_event)

    report = leak_check(run, runs=4)
    payload, func = _row(report, "bytearray"), _row(report, "function (on_event)")
    assert payload.verdict == func.verdict == "leak"
    assert _within(payload.per_run_count, 1) and _within(func.per_run_count, 1)
    assert _within(payload.per_run_bytes, sys.getsizeof(bytearray(50_000)))
    assert "leakapp.callbacks[" in payload.holder and "leakapp.callbacks[" in func.holder


def test_traceback_kept_in_a_variable_keeps_frames_alive(app):
    app.errors = []

    def work():
        big = bytearray(100_000)  # noqa: F841 - kept alive by the traceback's frame
        raise ValueError("boom")

    def run():
        try:
            work()
        except ValueError as exc:
            app.errors.append(exc)

    report = leak_check(run, runs=4)
    big = _row(report, "bytearray")
    assert big.verdict == "leak" and _within(big.per_run_count, 1)
    assert _within(big.per_run_bytes, sys.getsizeof(bytearray(100_000)))
    assert _row(report, "ValueError").verdict == "leak"
    assert _row(report, "traceback").verdict == "leak"
    assert big.holder.startswith("leakapp.errors["), big.holder
    assert "work()" in big.holder and "big" in big.holder  # through the frame's local `big`


def test_reference_cycle_with_del_that_resurrects(app):
    _define(app, """
        graveyard = []
        class Node:
            def __init__(self):
                self.partner = None
                self.payload = bytearray(20_000)
            def __del__(self):
                graveyard.append(self)   # the collector finds the cycle; __del__ keeps it
    """)

    def run():
        a, b = app.Node(), app.Node()
        a.partner, b.partner = b, a

    report = leak_check(run, runs=4)
    nodes, payload = _row(report, "leakapp.Node"), _row(report, "bytearray")
    assert nodes.verdict == payload.verdict == "leak"
    assert _within(nodes.per_run_count, 2) and _within(payload.per_run_count, 2)
    assert _within(payload.per_run_bytes, 2 * sys.getsizeof(bytearray(20_000)))
    assert "leakapp.graveyard[" in nodes.holder, nodes.holder


def test_traced_sites_and_birth_lines(app):
    app.history = []

    def run():
        app.history.append(bytearray(30_000))  # the allocating line

    line = run.__code__.co_firstlineno + 1
    report = leak_check(run, runs=3, trace=True, site_file=__file__)
    assert report.traced
    payload = _row(report, "bytearray")
    assert payload.born is not None and f":{line}: app.history.append" in payload.born, payload.born
    sites = [r for r in report.rows if r.kind == "site" and r.verdict == "leak"]
    assert sites and f":{line}:" in sites[0].site, [r.site for r in report.rows if r.kind == "site"]
    assert _within(sites[0].per_run_bytes, 30_000)


# ---------------------------------------------------------------------------
# no false positives
# ---------------------------------------------------------------------------

def _no_leak(report: LeakReport) -> None:
    assert report.leaks == (), [(r.name, r.counts, r.sizes) for r in report.leaks]
    assert report.verdict.startswith("no leak"), report.verdict


def test_cache_that_fills_on_the_first_run(app):
    app.memo = {}

    def run():
        for i in range(200):
            app.memo.setdefault(i, bytearray(1_000))

    _no_leak(leak_check(run, runs=5))
    # without the warm-up the filling run is measured: growth that stops is a cache
    app.memo2 = {}
    calls = itertools.count()

    def fills_once():
        if next(calls) == 0:
            app.memo2.update((i, bytearray(1_000)) for i in range(100))

    report = leak_check(fills_once, runs=4, warmup=0)
    _no_leak(report)
    assert _row(report, "bytearray").verdict == "cache"


def test_interned_strings(app):
    def run():
        app.names = [sys.intern("field_%d" % i) for i in range(500)]

    _no_leak(leak_check(run, runs=5))


def test_dict_and_list_resizing(app):
    app.table, app.buf = {}, []
    grow = itertools.count(1)

    def run():
        n = 1000 * (1 + next(grow) % 3)  # sizes alternate: tables grow and shrink
        for i in range(n):
            app.table[i] = i
        for i in range(n):
            del app.table[i]
        app.buf.extend(range(n))
        del app.buf[:]

    _no_leak(leak_check(run, runs=6))


def test_large_temporary(app):
    def run():
        tmp = bytearray(20_000_000)
        rows = [{"i": i} for i in range(10_000)]
        del tmp, rows

    _no_leak(leak_check(run, runs=4))


def test_reference_cycle_with_del_that_is_collected(app):
    _define(app, """
        class Node:
            def __init__(self):
                self.partner = None
                self.payload = bytearray(20_000)
            def __del__(self):
                pass
    """)

    def run():
        a, b = app.Node(), app.Node()
        a.partner, b.partner = b, a

    _no_leak(leak_check(run, runs=4))


# ---------------------------------------------------------------------------
# bad input, errors, interruptions
# ---------------------------------------------------------------------------

def test_bad_arguments():
    with pytest.raises(ValueError, match="runs must be an int >= 2"):
        leak_check(lambda: None, runs=1)
    with pytest.raises(ValueError, match="warmup must be an int >= 0"):
        leak_check(lambda: None, warmup=-1)
    with pytest.raises(TypeError, match="run must be a callable"):
        leak_check(42)
    with pytest.raises(ValueError, match="errors must be"):
        leak_check(lambda: None, errors="ignore")


def test_raising_run_stops_reports_and_reraises(app):
    app.store = []
    calls = itertools.count()

    def run():
        app.store.append(bytearray(1_000))
        if next(calls) == 3:  # warm-up, runs 1 and 2 pass; run 3 raises
            raise KeyError("bad key")

    with pytest.raises(KeyError) as info:
        leak_check(run, runs=5)
    assert any("leak_check:" in note and "run 3 raised KeyError" in note
               for note in getattr(info.value, "__notes__", []))
    calls = itertools.count()
    report = leak_check(run, runs=5, errors="return")
    assert isinstance(report.error, KeyError)
    assert report.runs_done == 2 and report.stopped == "run 3 raised KeyError"
    assert _row(report, "bytearray").verdict == "leak"  # the two runs done are reported


def test_keyboard_interrupt_reports_the_runs_done(app):
    calls = itertools.count()

    def run():
        if next(calls) == 2:
            raise KeyboardInterrupt

    report = leak_check(run, runs=4, errors="return")
    assert isinstance(report.error, KeyboardInterrupt)
    assert report.runs_done == 1 and report.stopped == "interrupted during run 2"
    assert report.verdict.startswith("no verdict: 1 of 4 run(s) measured")
    with pytest.raises(KeyboardInterrupt):
        leak_check(_interrupt, runs=2)


def _interrupt():
    raise KeyboardInterrupt


def test_the_report_keeps_no_object(app):
    import weakref

    class Thing:
        pass

    app.things = []
    refs = []

    def run():
        t = Thing()
        app.things.append(t)
        refs.append(weakref.ref(t))

    report = leak_check(run, runs=3)
    assert _row(report, Thing.__module__ + "." + Thing.__qualname__).verdict == "leak"
    del app.things[:]
    gc.collect()
    assert all(r() is None for r in refs)  # the samples were not kept
    assert report.rows and all(isinstance(s.id, int) for r in report.rows for s in r.samples)


def test_arithmetic():
    assert slope([3, 3, 3]) == 3.0 and slope([]) == 0.0
    assert classify([1, 2, 3]) == "leak"
    assert classify([4, 0, 0, 0]) == "cache" and classify([0, 4, 1, 0]) == "cache"
    assert classify([2, 0, 2, 0]) == "noise" and classify([2, -2, 2]) == "noise"
    assert classify([0, -1, 0]) == "shrinks" and classify([0, 0]) is None


# ---------------------------------------------------------------------------
# heap snapshots across restarts (core.heap.compare)
# ---------------------------------------------------------------------------

def test_heap_compare_saved_and_live(tmp_path):
    path = tmp_path / "before.json"
    heap.take().dump(str(path))
    kept = [bytearray(3_000) for _ in range(200)]
    cmp = heap.compare(str(path), heap.take())
    assert cmp.source_a == str(path) and cmp.source_b == "live heap"
    by_type = {k: (c, s) for k, c, s in cmp.by_type}
    assert by_type["bytearray"][0] >= 200 and by_type["bytearray"][1] >= 200 * 3_000
    by_module = {k: (c, s) for k, c, s in cmp.rows("module")}
    assert by_module["builtins"][1] >= 200 * 3_000
    again = heap.compare(str(path), str(path))
    assert again.by_type == () and again.by_module == ()
    del kept


def test_heap_compare_bad_input(tmp_path):
    with pytest.raises(TypeError, match="must be a HeapSnapshot"):
        heap.compare(42, heap.take(graph=False))
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other"}')
    with pytest.raises(heap.HeapFormatError):
        heap.compare(str(bad), heap.take(graph=False))
    with pytest.raises(ValueError, match="by must be"):
        heap.compare(heap.take(graph=False), heap.take(graph=False)).rows("rcs")
