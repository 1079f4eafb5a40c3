"""Comparing two heap snapshots, by type and by module: before and after a kernel
restart, a library upgrade or a long computation.

:func:`compare` takes two :class:`~pympler_nb.core.heap.HeapSnapshot` (live, or loaded
from the JSON files :meth:`~pympler_nb.core.heap.HeapSnapshot.dump` writes; a path is
loaded) and returns a :class:`HeapComparison`: the change of the reachable objects of
``b`` against ``a``, by type and by module (the class's module), largest absolute size
change first (a snapshot taken with ``graph=False`` counts all its objects).  Objects
are matched by their type name, never by id: ids mean nothing across processes.

>>> from pympler_nb.core import heap
>>> a = heap.take(graph=False)
>>> extra = [bytearray(1000) for _ in range(50)]
>>> cmp = heap.compare(a, heap.take(graph=False))
>>> row = [r for r in cmp.by_type if r[0] == "bytearray"][0]
>>> row[1] >= 50, row[2] >= 50 * 1000
(True, True)
"""

from __future__ import annotations

from ..values import Frozen

__all__ = ["compare", "HeapComparison"]


class HeapComparison(Frozen):
    """``b`` against ``a``: ``by_type`` and ``by_module``, rows ``(key, count_diff,
    size_diff)`` of what changed (largest absolute size change first); ``count``/``size``
    of each side's reachable objects; ``source_a``/``source_b``: the file each was loaded
    from, or ``"live heap"``."""

    __slots__ = ("by_type", "by_module", "count_a", "size_a", "count_b", "size_b",
                 "source_a", "source_b")

    def __init__(self, by_type, by_module, count_a, size_a, count_b, size_b, source_a, source_b):
        self._set(by_type=tuple(by_type), by_module=tuple(by_module), count_a=count_a,
                  size_a=size_a, count_b=count_b, size_b=size_b, source_a=source_a,
                  source_b=source_b)

    def rows(self, by: str = "type") -> tuple:
        """``by_type`` (``by="type"``) or ``by_module`` (``by="module"``)."""
        if by not in ("type", "module"):
            raise ValueError(f"by must be 'type' or 'module', got {by!r}")
        return self.by_type if by == "type" else self.by_module

    def __repr__(self):
        return (f"<HeapComparison {self.source_a} -> {self.source_b}: "
                f"{self.count_b - self.count_a:+,} objects, {self.size_b - self.size_a:+,} bytes>")


def _snapshot(value, name: str):
    from .snapshot import HeapSnapshot, load

    if isinstance(value, HeapSnapshot):
        return value
    if isinstance(value, (str, bytes)) or hasattr(value, "__fspath__"):
        return load(value)
    raise TypeError(f"compare(): {name} must be a HeapSnapshot (heap.take(), heap.load(path)) or "
                    f"the path of a saved snapshot, got {type(value).__name__}")


def _source(snap) -> str:
    where = snap.meta.get("loaded_from")
    return str(where) if where else "live heap"


def _objects(snap):
    """The reachable objects (what a collection would not free), or all of them for a
    snapshot taken without references (``take(graph=False)``)."""
    return snap.reachable if snap.meta.get("graph", 1) else snap.all


def compare(a, b) -> HeapComparison:
    """What changed from snapshot ``a`` to snapshot ``b`` (either a snapshot or a saved
    file's path), by type and by module, counting reachable objects only (all objects
    of a snapshot taken with ``graph=False``)."""
    a = _snapshot(a, "a")
    b = _snapshot(b, "b")
    ra, rb = _objects(a), _objects(b)
    ta, tb = ra.by_type(), rb.by_type()
    ma, mb = ra.by_module(), rb.by_module()
    return HeapComparison(tb.diff(ta), mb.diff(ma), ta.count, ta.size, tb.count, tb.size,
                          _source(a), _source(b))
