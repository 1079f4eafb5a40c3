"""The RSS split (core.reclaim): parts that add up to RSS on real data, the allocators'
statistics, trim() with and without glibc, tracemalloc on and off.

The heavy scenarios run in a fresh interpreter (``_scenario``): freed memory stays in a
process's RSS, so they must not run inside the test worker, and a fresh heap gives clean
figures.
"""

import json
import os
import subprocess
import sys
import textwrap
import tracemalloc

import pytest

from pympler_nb.core import reclaim
from pympler_nb.core.process import current_rss

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MB = 1 << 20
GLIBC = reclaim.glibc() is not None


def _assert_adds_up(split):
    """The parts sum to RSS (+ overcount) and the overcount is within 5 % of RSS."""
    parts = dict(split.parts())
    assert sum(parts.values()) == split.rss + split.overcount
    assert split.overcount <= 0.05 * split.rss, split
    assert all(size >= 0 for size in parts.values()), split


def _scenario(body: str) -> list[dict]:
    """Run ``body`` in a fresh interpreter; it calls ``record(split)`` / ``record_trim(r)``;
    return the records (each split as a dict of its parts plus a few fields)."""
    code = textwrap.dedent("""
        import json, sys
        from pympler_nb.core import reclaim
        out = []
        def record(split, label=""):
            d = dict(split.parts())
            d.update(label=label, rss=split.rss, overcount=split.overcount, tracing=split.tracing,
                     notes=list(split.notes), native_types=[r.name for r in split.native_by_type],
                     pymalloc_free=split.allocators.pymalloc_free,
                     malloc_free_resident=split.allocators.malloc_free_resident)
            out.append(d)
        def record_trim(r, label=""):
            out.append(dict(label=label, rss_before=r.rss_before, rss_after=r.rss_after,
                            returned=r.returned, trimmed=r.trimmed, message=r.message))
    """) + textwrap.dedent(body) + "\nprint(json.dumps(out))\n"
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _check_parts(d):
    total = sum(d[name] for name in reclaim.PARTS)
    assert total == d["rss"] + d["overcount"]
    assert d["overcount"] <= 0.05 * d["rss"], d


def test_split_adds_up_to_rss():
    split = reclaim.rss_split()
    assert split.rss > 0 and abs(split.rss - current_rss()) < 0.2 * split.rss
    _assert_adds_up(split)
    assert split.python_live > 1_000_000 and split.python_count > 10_000
    # the by-type table is bounded and sums to the live total
    assert len(split.python_by_type) <= 11 and split.python_by_type[-1].name == "other"
    assert sum(row.size for row in split.python_by_type) == split.python_live
    assert split.python_by_type[0].size >= split.python_by_type[1].size


def test_freed_small_objects_show_as_allocator_free_not_live():
    """200 MB of small objects, then del with every 64th kept: pymalloc keeps the pools
    (the split says the memory is free inside the allocator, not live, and still in RSS)."""
    before, built, freed = _scenario("""
        record(reclaim.rss_split(), "before")
        data = [("%07d" % i) * 10 for i in range(1_500_000)]   # ~200 MB: 70-char str
        keep = data[::64]
        record(reclaim.rss_split(), "built")
        del data
        record(reclaim.rss_split(), "freed")
    """)
    for d in (before, built, freed):
        _check_parts(d)
    assert built["python_live"] - before["python_live"] > 150 * MB
    assert built["rss"] - before["rss"] > 150 * MB
    # after del: live drops, RSS stays (pools pinned), the split names it allocator free
    assert built["python_live"] - freed["python_live"] > 150 * MB
    assert freed["rss"] > built["rss"] - 30 * MB
    assert freed["allocator_free"] - built["allocator_free"] > 150 * MB
    assert freed["pymalloc_free"] > 150 * MB


def test_numpy_buffers_show_as_native():
    pytest.importorskip("numpy")
    before, held = _scenario("""
        import numpy as np
        record(reclaim.rss_split(), "before")
        arr = np.ones(80 * 2**20 // 8)
        view = arr[::2]   # a view owns no buffer: counted once
        record(reclaim.rss_split(), "held")
    """)
    for d in (before, held):
        _check_parts(d)
    assert held["native_held"] - before["native_held"] >= 80 * MB
    assert held["native_held"] - before["native_held"] < 81 * MB
    assert held["python_live"] - before["python_live"] < 1 * MB  # not counted twice
    assert held["native_types"][0] == "numpy.ndarray"


def test_pandas_frames_split_adds_up():
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    (d,) = _scenario("""
        import numpy as np, pandas as pd
        n = 300_000
        df = pd.DataFrame({
            "obj": [f"name-{i}" for i in range(n)],
            "cat": pd.Categorical(np.arange(n) % 50),
            "arrow": pd.array([f"s{i}" for i in range(n)], dtype="string[pyarrow]"),
            "num": np.arange(n, dtype="float64"),
        })
        import functools
        @functools.lru_cache(maxsize=None)
        def f(i):
            return [i] * 20
        for i in range(20_000):
            f(i)
        record(reclaim.rss_split(), "pandas")
    """)
    del pd
    _check_parts(d)
    assert d["python_live"] > 20 * MB and d["native_held"] > 2 * MB


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's")
def test_trim_returns_freed_heap_on_glibc():
    """Small objects above pymalloc's 512-byte limit live in glibc's heap: after del (with
    survivors pinning the heap's top) RSS stays until trim() returns the free pages."""
    built, freed, trimmed, after = _scenario("""
        data = [("%07d" % i) * 100 for i in range(300_000)]   # 700-byte str: glibc heap
        keep = data[::100]
        record(reclaim.rss_split(), "built")
        del data
        record(reclaim.rss_split(), "freed")
        record_trim(reclaim.trim(), "trim")
        record(reclaim.rss_split(), "after")
    """)
    for d in (built, freed, after):
        _check_parts(d)
    assert freed["rss"] > built["rss"] - 30 * MB  # del alone gives little back
    assert freed["malloc_free_resident"] > 150 * MB
    assert trimmed["trimmed"] is True and trimmed["returned"] > 150 * MB
    assert trimmed["rss_after"] < trimmed["rss_before"] - 150 * MB
    # what came back is no longer counted as free-and-resident
    assert after["allocator_free"] < freed["allocator_free"] - 150 * MB


def test_without_glibc_trim_says_why_and_the_split_still_adds_up(monkeypatch):
    monkeypatch.setattr(reclaim, "glibc", lambda: None)
    result = reclaim.trim()
    assert result.trimmed is None
    assert "not glibc" in result.message and "malloc_trim" in result.message
    assert result.rss_before > 0 and result.rss_after > 0
    stats = reclaim.allocator_stats()
    assert stats.malloc_free is None and stats.malloc_free_resident is None
    assert any("not glibc" in note for note in stats.notes)
    split = reclaim.rss_split()
    _assert_adds_up(split)
    assert split.allocator_free == (split.allocators.pymalloc_free or 0)


def test_tracemalloc_off_and_on(tracing):
    on = reclaim.rss_split()
    assert on.tracing and on.tracemalloc_overhead > 0
    assert not any("tracemalloc is off" in n for n in on.notes)
    _assert_adds_up(on)
    tracemalloc.stop()
    try:
        off = reclaim.rss_split()
    finally:
        tracemalloc.start(5)  # the fixture stops it
    assert not off.tracing and off.traced_other == 0 and off.tracemalloc_overhead == 0
    assert any("tracemalloc is off" in n for n in off.notes)
    _assert_adds_up(off)


def test_traced_memory_beyond_live_objects_is_traced_other():
    """zlib's compressor state is traced (PyMem_RawMalloc) but no object's size: it is
    traced_other, as far as it is resident (a deflate window is only partly written)."""
    before, after = _scenario("""
        import tracemalloc, zlib
        tracemalloc.start()
        record(reclaim.rss_split(), "before")
        objs = [zlib.compressobj(9, zlib.DEFLATED, 15, 9) for _ in range(200)]
        for o in objs:
            o.compress(bytes(range(256)) * 400)
        record(reclaim.rss_split(), "after")
    """)
    for d in (before, after):
        _check_parts(d)
        assert d["tracing"] and d["tracemalloc_overhead"] > 0
    assert after["traced_other"] - before["traced_other"] > 20 * MB
    assert any("hidden while tracemalloc traces" in n for n in after["notes"])


def test_unwritten_numpy_pages_are_not_resident():
    pytest.importorskip("numpy")
    if not GLIBC:
        pytest.skip("residency is read with mincore through glibc")
    zeros, written = _scenario("""
        import numpy as np
        z = np.zeros(400 * 2**20 // 8)      # calloc: pages appear when written
        record(reclaim.rss_split(), "zeros")
        z[: 100 * 2**20 // 8] = 1.0
        record(reclaim.rss_split(), "written")
    """)
    for d in (zeros, written):
        _check_parts(d)
    assert zeros["native_held"] < 10 * MB
    assert any("not in RSS" in n for n in zeros["notes"])
    assert 95 * MB < written["native_held"] - zeros["native_held"] < 110 * MB


def test_parse_debugmallocstats_reads_this_interpreter():
    stats = reclaim.parse_debugmallocstats(reclaim.debugmallocstats_text())
    assert stats["bytes in allocated blocks"] > 0
    assert "bytes in available blocks" in stats
    assert stats["arena map bytes"] >= 0


def test_parse_debugmallocstats_sample():
    text = textwrap.dedent("""\
        Small block threshold = 512, in 32 size classes.
        # arenas allocated current         =                   10
        # bytes in allocated blocks        =            7,243,680
        # bytes in available blocks        =              357,680
        164 unused pools * 16384 bytes     =            2,686,976
        # bytes lost to pool headers       =               22,368
        # bytes lost to quantization       =               11,216
        # bytes lost to arena alignment    =              163,840
        Total                              =           10,485,760
        # bytes lost to arena map root     =              262,144
        # bytes lost to arena map mid      =              262,144
        # bytes lost to arena map bot      =              131,072
    """)
    stats = reclaim.parse_debugmallocstats(text)
    assert stats["unused pools bytes"] == 2_686_976
    assert stats["bytes in available blocks"] == 357_680
    assert stats["arena map bytes"] == 655_360
    assert reclaim.parse_debugmallocstats("nothing here") == {}


def test_stderr_is_restored_after_capture(capfd):
    reclaim.debugmallocstats_text()
    os.write(2, b"still here\n")
    assert "still here" in capfd.readouterr().err


def test_options_are_checked():
    with pytest.raises(ValueError, match="top must be an int >= 1"):
        reclaim.rss_split(top=0)
    with pytest.raises(ValueError, match="top must be an int >= 0"):
        reclaim.releasable_holders(top=-1)
    with pytest.raises(ValueError, match="min_size must be an int >= 0"):
        reclaim.releasable_holders(min_size="big")


def test_results_are_immutable():
    split = reclaim.rss_split(top=2)
    with pytest.raises(AttributeError, match="immutable"):
        split.rss = 0
    assert "python_live" in str(split) and repr(split).startswith("<RssSplit")


def test_releasable_holders_outside_ipython(monkeypatch):
    """Without a shell the holders are __main__'s globals, each with %whyalive's plan."""
    import types

    main = types.ModuleType("__main__")
    big = [bytes(1000) for _ in range(3000)]   # ~3 MB
    main.big = big
    main.alias = {"k": big}
    main.small = [1, 2, 3]
    monkeypatch.setitem(sys.modules, "__main__", main)
    from pympler_nb.core import session

    monkeypatch.setattr(session, "running_shell", lambda: None)  # (a test shell may run)
    holders = reclaim.releasable_holders(top=3, min_size=1 << 20)
    names = [h.name for h in holders]
    assert "big" in names and "small" not in names
    h = holders[names.index("big")]
    assert h.deep_size >= 3_000_000 and h.type == "list"
    assert set(h.plan) >= {"del big", "del alias['k']"} or set(h.plan) >= {"del big", "del alias"}
    assert h.releasable_bytes is not None and h.releasable_bytes >= 3_000_000
    del big
