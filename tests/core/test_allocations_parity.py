"""Issue 17, item 20: tracemalloc's object tracebacks, trace table and ``format()``."""

import linecache
import tracemalloc

import pytest

from pympler_nb.core import allocations


def _make_block():
    return bytearray(4096)  # the allocation line


def test_get_object_traceback_matches_tracemalloc(tracing):
    block = _make_block()
    ours = allocations.get_object_traceback(block)
    theirs = tracemalloc.get_object_traceback(block)
    assert ours is not None and theirs is not None
    # the same frames; ours most recent first (as Stat.traceback), tracemalloc's oldest first
    assert [(f.filename, f.lineno) for f in ours] == [(f.filename, f.lineno) for f in reversed(theirs)]
    assert ours[0].filename == __file__
    assert linecache.getline(__file__, ours[0].lineno).strip().startswith("return bytearray(4096)")
    assert ours.total_nframe == theirs.total_nframe
    for args in ({}, {"limit": 1}, {"limit": -1}, {"limit": 2, "most_recent_first": True},
                 {"most_recent_first": True}):
        assert ours.format(**args) == theirs.format(**args), args
    with pytest.raises(TypeError, match="limit"):
        ours.format(limit="2")


class Plain:  # no __slots__: CPython 3.11 keeps its __dict__ pointers before the object
    pass


def test_get_object_traceback_of_plain_instances(tracing):
    obj = Plain()  # allocated here
    tb = allocations.get_object_traceback(obj)
    assert tb is not None and tb[0].filename == __file__
    assert linecache.getline(__file__, tb[0].lineno).strip().startswith("obj = Plain()")


def test_not_traced_gives_none(tracing):
    allocations.clear_traces()  # drops the traces of everything allocated so far
    old = _make_block()
    tracemalloc.clear_traces()
    assert allocations.get_object_traceback(old) is None
    was = tracemalloc.is_tracing()
    tracemalloc.stop()
    try:
        assert allocations.get_object_traceback(_make_block()) is None
    finally:
        if was:
            tracemalloc.start(5)


def test_clear_traces_and_tracemalloc_memory(tracing):
    keep = [_make_block() for _ in range(50)]
    assert allocations.get_traced_memory().current >= 50 * 4096
    used = allocations.get_tracemalloc_memory()
    assert isinstance(used, int) and used > 0
    assert abs(used - tracemalloc.get_tracemalloc_memory()) < 4096  # (it grows as we call)
    allocations.clear_traces()
    assert tracemalloc.is_tracing()
    assert allocations.get_traced_memory().current < 50 * 4096
    assert allocations.get_object_traceback(keep[0]) is None
    assert keep[-1] is not None


def test_stat_traceback_format():
    with allocations.trace(frames=5) as t:
        data = [_make_block() for _ in range(20)]
    stats = t.statistics("traceback")
    top = next(s for s in stats if s.filename == __file__ and s.size >= 20 * 4096)
    tb = top.traceback
    assert isinstance(tb, allocations.Traceback)
    assert tb == tuple(tuple(f) for f in tb)  # still equal to the plain tuple of pairs
    lines = tb.format()
    assert lines[-2] == '  File "%s", line %d' % (__file__, tb[0].lineno)
    assert lines[-1].strip() == "return bytearray(4096)  # the allocation line"
    assert tb.format(most_recent_first=True)[0] == lines[-2]
    assert t.statistics("lineno")[0].traceback.format(limit=1)[0].startswith('  File "')
    del data
