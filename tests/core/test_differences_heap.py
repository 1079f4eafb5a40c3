"""Each row of the README's "Differences from Pympler" table about heapy and tracemalloc
(issue 17 items 17-20) shows the documented behaviour here."""

from __future__ import annotations

import sys
import tracemalloc

import pytest

from pympler_nb.core import allocations, heap
from pympler_nb.core.alloc_sites import site_label


def _outer():
    return _inner()


def _inner():
    return bytearray(2048)  # allocated here, called from _outer


class Plain:
    pass


GLOBAL_BLOCK = bytearray(321)


def test_traceback_most_recent_first_format_as_tracemalloc(tracing):
    block = _outer()
    ours = allocations.get_object_traceback(block)
    theirs = tracemalloc.get_object_traceback(block)
    assert ours[0].lineno == _inner.__code__.co_firstlineno + 1  # the allocating line first
    assert theirs[-1].lineno == ours[0].lineno and theirs[0].lineno == ours[-1].lineno
    assert list(reversed(ours)) == [(f.filename, f.lineno) for f in theirs]
    assert ours.format() == theirs.format()


def test_plain_instances_found_on_every_version(tracing):
    obj = Plain()
    tb = allocations.get_object_traceback(obj)
    assert tb is not None and tb[0].filename == __file__
    if sys.version_info[:2] == (3, 11):  # what tracemalloc itself answers there
        assert tracemalloc.get_object_traceback(obj) is None


def test_byprod_recorded_when_the_snapshot_is_taken(tmp_path):
    was = tracemalloc.is_tracing()
    tracemalloc.start()
    try:
        made = [bytearray(700) for _ in range(4)]
        snap = heap.take(roots=[made])
    finally:
        tracemalloc.stop()
    # tracing stopped: the sites are still there, also after dump/load
    row = snap.by_type().select("bytearray").by_prod().rows[0]
    assert row.count == 4 and row.key.startswith(__file__ + ":")
    snap.dump(tmp_path / "s.json")
    assert heap.load(tmp_path / "s.json").by_prod().rows == snap.by_prod().rows
    with pytest.raises(ValueError, match="tracemalloc was not tracing"):
        heap.take(roots=[made]).by_prod()
    if was:
        tracemalloc.start()


def test_byprod_names_cells():
    assert site_label("<ipython-input-4-deadbeef>", 2) == "cell [4], line 2"
    assert site_label("/tmp/ipykernel_1/99.py", 7, {"/tmp/ipykernel_1/99.py": 12}) == "cell [12], line 7"
    assert site_label("lib.py", 3) == "lib.py:3"
    from pympler_nb.core.heap.producers import UNKNOWN

    assert UNKNOWN == "unknown"


def test_dict_without_owner_is_dict():
    free = {"a": 1}
    kinds = heap.take(roots=[[free]]).all.stat.keys()
    assert "dict" in kinds and "dict (no owner)" not in kinds


def test_sets_of_two_snapshots_do_not_mix():
    data = [bytearray(10)]
    a, b = heap.take(roots=[data]), heap.take(roots=[data])
    for op in (lambda x, y: x | y, lambda x, y: x & y, lambda x, y: x - y, lambda x, y: x.disjoint(y)):
        with pytest.raises(ValueError, match="same snapshot"):
            op(a.all, b.all)
    assert (a.all | a.all).count == len(a)


def test_reference_trees_are_rows_named_with_via_only():
    holder = {"k": [bytearray(5)]}
    plain = heap.take(roots=[holder])
    labelled = heap.take(roots=[holder], via=True)
    lists = [s.by_type().select("list") for s in (plain, labelled)]
    assert [r.via for r in lists[0].pathsin() if r.depth == 1] == [None]
    assert [r.via for r in lists[1].pathsin() if r.depth == 1] == ["['k']"]
    tree = lists[1].rp()
    assert isinstance(tree, heap.ReferenceTree) and {r.status for r in tree} <= {
        "expanded", "depth", "seen", "module", "none", "cut"}
    snap = heap.take()  # the whole heap: a module global's referrer is its module's dict
    mod_tree = snap.by_id().select("bytearray: %#x" % id(GLOBAL_BLOCK)).rp(depth=3)
    assert [(r.depth, r.key, r.status) for r in mod_tree] == [
        (0, "bytearray", "expanded"), (1, "dict of module", "module")]
