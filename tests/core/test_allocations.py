"""pympler_nb.core.allocations: block tracer, snapshots, statistics, safe load."""

from __future__ import annotations

import os
import pickle
import tracemalloc

import pytest

from pympler_nb.core import allocations as A

HERE = os.path.abspath(__file__)


@pytest.fixture(autouse=True)
def _no_tracing():
    """Every test starts and ends with tracemalloc off."""
    if tracemalloc.is_tracing():
        tracemalloc.stop()
    yield
    if tracemalloc.is_tracing():
        tracemalloc.stop()


def _lineno_of(marker: str) -> int:
    with open(HERE) as fp:
        for i, line in enumerate(fp, 1):
            if marker in line and "_lineno_of" not in line:
                return i
    raise AssertionError(marker)


def _allocate():
    a = [bytearray(10_000) for _ in range(50)]  # MARK-A
    b = bytearray(300_000)  # MARK-B
    return a, b


def test_block_lines_sizes_and_no_own_allocations():
    with A.trace(frames=1) as t:
        keep = _allocate()
    assert not tracemalloc.is_tracing()  # started by the tracer, stopped by it
    assert t.started and t.frames == 1
    stats = t.statistics("lineno")
    by_line = {(s.filename, s.lineno): s for s in stats}
    a = by_line[(HERE, _lineno_of("MARK-A"))]
    b = by_line[(HERE, _lineno_of("MARK-B"))]
    assert 50 * 10_000 <= a.size <= 50 * 10_000 * 1.1
    assert a.count >= 50
    assert 300_000 <= b.size <= 300_000 + 200
    assert stats[0].size >= stats[-1].size  # largest first
    pkg = os.path.dirname(os.path.dirname(A.__file__))
    assert not [s for s in stats if s.filename.startswith(pkg + os.sep)]
    assert not [s for s in stats if s.filename == tracemalloc.__file__]
    assert t.peak >= t.current >= 800_000
    assert isinstance(a.traceback, tuple) and a.traceback[0] == (HERE, a.lineno)
    del keep


def test_peak_counts_freed_memory():
    with A.trace() as t:
        tmp = bytearray(2_000_000)
        del tmp
    assert t.peak >= 2_000_000
    assert t.current < 100_000
    assert t.peak >= t.current


def test_filename_attributes_library_allocations_to_the_caller():
    import json

    with A.trace(frames=30) as t:
        text = json.dumps(list(range(20_000)))  # MARK-JSON
    stats = t.statistics("lineno", filename=HERE)
    assert stats and all(s.filename == HERE for s in stats)
    top = stats[0]
    assert top.lineno == _lineno_of("MARK-JSON")
    assert top.size >= len(text)
    # without the pattern, json's own lines are reported
    assert any(s.filename != HERE for s in t.statistics("lineno"))
    cum = t.statistics("filename", cumulative=True)
    assert any(s.filename == HERE and s.lineno is None for s in cum)


def test_tracing_state_kept_when_already_tracing():
    tracemalloc.start(5)
    before = [bytearray(1000) for _ in range(100)]
    with A.trace(frames=1) as t:
        during = [bytearray(5000) for _ in range(20)]  # MARK-DURING
    assert tracemalloc.is_tracing() and tracemalloc.get_traceback_limit() == 5
    assert not t.started and t.frames == 5
    assert t.start_snapshot is not None and t.previous_peak is not None
    lines = {s.lineno: s for s in t.statistics() if s.filename == HERE}
    assert 20 * 5000 <= lines[_lineno_of("MARK-DURING")].size <= 20 * 5000 * 1.2
    # what existed before the block is not reported
    assert all(s.size > 0 for s in t.statistics() if s.filename == HERE)
    assert sum(s.size for s in t.statistics() if s.filename == HERE) < 150_000
    del before, during


def test_nested_tracers_keep_the_outer_peak():
    with A.trace() as outer:
        big = bytearray(3_000_000)
        del big
        with A.trace() as inner:  # resets tracemalloc's peak
            small = bytearray(100_000)
        del small
    assert inner.peak >= 100_000
    assert outer.peak >= 3_000_000
    assert not tracemalloc.is_tracing()


def test_exception_in_block_still_reports():
    with pytest.raises(ZeroDivisionError):
        with A.trace() as t:
            data = bytearray(500_000)  # noqa: F841
            1 / 0  # noqa: B018 - raises inside the block
    assert t.peak >= 500_000
    assert t.statistics()
    assert not tracemalloc.is_tracing()


def test_tracer_misuse_errors():
    t = A.trace()
    with pytest.raises(RuntimeError, match="after the block"):
        t.statistics()
    with t:
        pass
    with pytest.raises(RuntimeError, match="once"):
        with t:
            pass
    with pytest.raises(ValueError, match="key_type"):
        t.statistics("line")
    with pytest.raises(ValueError, match="cumulative"):
        t.statistics("traceback", cumulative=True)
    with pytest.raises(ValueError, match="frames"):
        A.trace(frames=0)
    with pytest.raises(ValueError, match="limit"):
        t.statistics(limit=-1)


def test_tracemalloc_stopped_inside_block():
    with A.trace() as t:
        tracemalloc.stop()
    with pytest.raises(RuntimeError, match="stopped"):
        t.statistics()


def test_snapshot_api_compare_filter_memory():
    A.start(3)
    assert A.is_tracing() and A.get_traceback_limit() == 3
    s1 = A.take_snapshot()
    x = [bytearray(2000) for _ in range(100)]  # MARK-X
    s2 = A.take_snapshot()
    mem = A.get_traced_memory()
    assert mem.current > 0 and mem.peak >= mem.current
    A.reset_peak()
    assert A.get_traced_memory().peak <= mem.peak
    diffs = s2.compare_to(s1, "lineno")
    top = [d for d in diffs if d.filename == HERE][0]
    assert top.lineno == _lineno_of("MARK-X") and top.size_diff >= 200_000
    assert abs(diffs[0].size_diff) >= abs(diffs[-1].size_diff)
    only_here = s2.filter_traces([A.Filter(True, HERE)])
    assert {s.filename for s in only_here.statistics("filename")} == {HERE}
    dom = s2.filter_traces([A.DomainFilter(False, 12345)])
    assert len(dom) == len(s2)
    assert A.Filter is tracemalloc.Filter and A.DomainFilter is tracemalloc.DomainFilter
    raw = A.take_snapshot(own=True)
    assert len(raw) >= len(A.take_snapshot())
    A.stop()
    assert not A.is_tracing()
    with pytest.raises(RuntimeError, match="start"):
        A.take_snapshot()
    del x


def test_dump_load_roundtrip(tmp_path):
    A.start(2)
    keep = [bytearray(1000) for _ in range(10)]
    snap = A.take_snapshot()
    A.stop()
    path = tmp_path / "snap.pickle"
    snap.dump(path)
    again = A.load(path)
    assert len(again) == len(snap) and again.size == snap.size
    assert again.statistics() == snap.statistics()
    # tracemalloc reads our files and we read its files
    assert len(tracemalloc.Snapshot.load(str(path)).traces) == len(snap)
    snap.raw.dump(str(tmp_path / "tm.pickle"))
    assert len(A.Snapshot.load(tmp_path / "tm.pickle")) == len(snap)
    del keep


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_hostile_and_malformed_files_rejected(tmp_path):
    evil = tmp_path / "evil.pickle"
    evil.write_bytes(pickle.dumps(_Evil()))
    with pytest.raises(A.SnapshotFormatError, match="refusing"):
        A.load(evil)
    garbage = tmp_path / "garbage.pickle"
    garbage.write_bytes(b"not a pickle at all")
    with pytest.raises(A.SnapshotFormatError):
        A.load(garbage)
    wrong = tmp_path / "wrong.pickle"
    wrong.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(A.SnapshotFormatError, match="not a tracemalloc snapshot"):
        A.load(wrong)
    bad = tracemalloc.Snapshot([(0, "big", (("f", 1),), 1)], 1)
    badp = tmp_path / "bad.pickle"
    bad.dump(str(badp))
    with pytest.raises(A.SnapshotFormatError, match="malformed"):
        A.load(badp)


def test_records_are_immutable_and_printable():
    with A.trace() as t:
        keep = bytearray(10_000)
    s = t.statistics()[0]
    with pytest.raises(AttributeError):
        s.size = 0
    assert "size=" in str(s) and "Stat" in repr(s)
    d = t.compare()[0]
    with pytest.raises(AttributeError):
        d.size_diff = 0
    assert d.size_diff == d.size  # the tracer started tracing: every row is new
    assert "(+" in str(d)
    assert "Tracer" in repr(t)
    del keep
