"""The hostile-object corpus over every core entry point (issue 14, objects).

Each entry point runs in a subprocess over every kind of ``tests/core/_hostile.py``
(``__sizeof__`` returning floats, negative or absurd numbers, hostile metaclasses, lying
``__class__``, Mocks, raising or huge reprs, surrogates in names, dead proxies,
generators and coroutines, numpy subclasses with garbage dtypes, ...): a hang fails the
test at the timeout (generous: a loaded CI machine is slow; unloaded, each
entry point takes a few seconds) instead of hanging CI, and each kind is reported on its own.
Sizes must be non-negative ints within physical bounds, no exception may escape, and
the sizer's statistics must note the sizes it did not trust.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from tests.core import _hostile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PER_KIND = ("asizeof", "asized", "asizesof", "flat", "summary", "heap", "refgraph",
            "garbagegraph", "whyalive", "classtracker")
WHOLE_HEAP = ("asizeof_all", "heap_walk", "heap_whole", "threads", "reclaim")


def run_entry(entry: str, *args: str, timeout: float = 300) -> list[dict]:
    """Run one entry point over the corpus in a subprocess; its JSON results."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               HOSTILE_DUMP_AFTER=str(timeout - 10))
    try:
        proc = subprocess.run([sys.executable, "-m", "tests.core._hostile", entry, *args],
                              capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or b""
        out = out.decode("utf-8", "replace") if isinstance(out, bytes) else out
        done = [line for line in out.splitlines() if line.startswith(_hostile.MARK)]
        last = json.loads(done[-1][len(_hostile.MARK):])["kind"] if done else "(none)"
        pytest.fail(f"{entry}: hung after kind {last!r} ({len(done)} kinds done)")
    results = [json.loads(line[len(_hostile.MARK):]) for line in proc.stdout.splitlines()
               if line.startswith(_hostile.MARK)]
    if proc.returncode != 0:
        last = results[-1]["kind"] if results else "(none)"
        pytest.fail(f"{entry}: the subprocess died (rc {proc.returncode}) after kind {last!r}:\n"
                    f"{proc.stderr[-3000:]}")
    return results


def failures(results: list[dict]) -> str:
    return "\n".join(f"{r['kind']}: {r['error']}\n{r.get('where', '')}" for r in results if not r["ok"])


@pytest.mark.parametrize("entry", PER_KIND)
def test_every_kind_through_entry_point(entry):
    results = run_entry(entry)
    assert {r["kind"] for r in results} == set(_hostile.kinds()), "some kinds were not reported"
    assert not failures(results), failures(results)


@pytest.mark.parametrize("entry", WHOLE_HEAP)
def test_whole_heap_with_every_kind_alive(entry):
    (result,) = run_entry(entry, "--all")
    assert result["ok"], failures([result])


UNTRUSTED = ("c_sizeof_float", "c_sizeof_negative", "c_sizeof_huge", "c_sizeof_zero", "c_sizeof_bool",
             "c_sizeof_str", "cython_spoof_float", "cython_spoof_huge", "cython_spoof_negative")


def test_untrusted_sizes_are_noted_in_the_stats():
    results = {r["kind"]: r for r in run_entry("asizeof", *UNTRUSTED, "numpy_huge_sizeof", "mock")}
    for kind in UNTRUSTED:
        assert results[kind]["ok"], failures([results[kind]])
        assert results[kind]["detail"]["untrusted"] >= 1, kind
    assert results["mock"]["detail"]["untrusted"] == 0
    if "numpy_huge_sizeof" in results:  # numpy is installed: the C size is used, no note
        assert results["numpy_huge_sizeof"]["detail"]["sizes"][0] < 10**6


def test_untrusted_sizes_in_process():
    """The clamp itself: layout size for the lie, a note in skipped/print_stats."""
    from pympler_nb.core.asizeof import MAX_FLAT_SIZE, Asizer, asized, basicsize, flatsize

    huge = _hostile._c_sizeof(10**15)()
    floaty = _hostile._c_sizeof(1.5)()
    neg = _hostile._spoofed_cython(-100)()
    z = Asizer()
    total = z.asizeof(huge, floaty, neg)
    assert type(total) is int
    # each is counted by its layout (object.__sizeof__: the basic size), plus what the
    # engine adds for any instance of its class (the hidden values array)
    assert 3 * basicsize(huge) <= total < 3 * 4096
    assert z.untrusted == 3 and z.missed >= 3
    reasons = {why for _, why, _ in z.skipped}
    assert any("more than" in r or "1000000000000000" in r for r in reasons), reasons
    assert any("float" in r for r in reasons), reasons
    out = io.StringIO()
    z.print_stats(file=out)
    assert "3 objects with sizeof not trusted" in out.getvalue()
    assert basicsize(huge) <= flatsize(huge) < 4096 < MAX_FLAT_SIZE
    tree = asized([huge, floaty], detail=2)
    assert all(type(t.size) is int for t in tree.refs)


def test_legit_big_sizes_are_trusted():
    """A real 64 MB buffer is not clamped: the bound is the process's memory."""
    from pympler_nb.core.asizeof import Asizer

    big = bytearray(64 * 2**20)
    z = Asizer()
    assert z.asizeof(big) >= 64 * 2**20
    assert z.untrusted == 0


_STORE: dict = {}


def test_why_alive_goes_through_generators_and_coroutines():
    """A payload held by a suspended generator / coroutine / async generator's frame:
    the chain names the real holder (``_STORE['g']``), then the frame's local."""
    from pympler_nb.core.whyalive import why_alive

    class Payload:
        pass

    ids = []
    for key, factory in (("g", _hostile._gen), ("c", _hostile._coro_suspending), ("ag", _hostile._agen)):
        p = Payload()
        ids.append((key, id(p)))
        obj = factory(p)
        if key == "g":
            next(obj)
        elif key == "c":
            obj.send(None)
        else:
            step = obj.__anext__()
            try:
                step.send(None)
            except StopIteration:
                pass
            del step
        _STORE[key] = obj
        del p, obj
    try:
        import gc

        for key, pid in ids:
            payload = next(o for o in gc.get_objects() if id(o) == pid)
            paths = [ch.path for ch in why_alive(payload).chains]
            word = {"g": "generator", "c": "coroutine", "ag": "async generator"}[key]
            assert any(f"_STORE['{key}']" in p and f"{word} " in p and " local " in p
                       for p in paths), paths
            del payload
    finally:
        _STORE.clear()
