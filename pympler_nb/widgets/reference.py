"""A :class:`~pympler_nb.widgets.SizeTree` source over a heap set's reference tree:
heapy's ``rp``, ``pathsin`` and ``pathsout``
(:class:`~pympler_nb.core.heap.ReferenceTree`).

The engine computes the tree (depth-limited, each row after its parent); this source
only shows it: a row's children are the rows the tree lists below it.  A row's ``size``
is the flat size of its objects; its name says how it relates to its parent and, for a
row that is not expanded, why (``seen as row 3``, ``module namespace``, ``depth
limit``, ``row limit``).

>>> from pympler_nb.core import heap
>>> items = [bytearray(100) for _ in range(2)]
>>> snap = heap.take(roots=[items])
>>> src = ReferenceTreeSource(snap.by_type().select("bytearray").pathsin())
>>> [(n.name, n.type) for n in src.roots()]  # doctest: +ELLIPSIS
[('bytearray 0x...', 'bytearray'), ('bytearray 0x...', 'bytearray')]
>>> kids, total = src.children(src.roots()[0].id)
>>> total, kids[0].type
(1, 'list')

The source copies the rows it shows when it is built and keeps no reference to the
tree or the snapshot (nor to any object: a snapshot holds ids and numbers only).
"""

from __future__ import annotations

from ..core.heap import ReferenceTree
from .size_tree import NodeInfo, TreeSource

__all__ = ["ReferenceTreeSource"]

_WHY = {"depth": "depth limit", "module": "module namespace", "cut": "row limit", "none": "",
        "expanded": ""}


def _label(row) -> str:
    who = "%d %s" % (row.count, row.key) if row.id is None else "%s %#x" % (row.key, row.id)
    if row.via is not None:
        who = "%s %s" % (row.via, who)
    why = "seen as row %d" % row.same if row.status == "seen" else _WHY[row.status]
    return "%s (%s)" % (who, why) if why else who


class ReferenceTreeSource(TreeSource):
    """The rows of one :class:`ReferenceTree` (``hset.rp()``, ``hset.pathsin()``,
    ``hset.pathsout()``) for :class:`~pympler_nb.widgets.SizeTree`.

    Node ids are the decimal row numbers; only the ids of rows handed out by
    :meth:`roots` or :meth:`children` are accepted (anything else, and every call after
    :meth:`release`, raises :class:`NodeGone`).
    """

    def __init__(self, tree: ReferenceTree):
        if not isinstance(tree, ReferenceTree):
            raise TypeError(f"ReferenceTreeSource(tree): expected a ReferenceTree (e.g. "
                            f"heap_set.rp()), got {type(tree).__name__}")
        self._infos: list[NodeInfo] | None = [
            NodeInfo(str(r.index), _label(r), r.key, r.size, r.size, bool(tree.children(r.index)))
            for r in tree.rows]
        self._kids = [tree.children(r.index) for r in tree.rows]
        self._top = tree.top()
        self._what = tree.what
        self._shown = bytearray(len(tree.rows))
        for i in self._top:
            self._shown[i] = 1

    def roots(self) -> list[NodeInfo]:
        if self._infos is None:
            return []
        return [self._infos[i] for i in self._top]

    def _index(self, node_id) -> int:
        return self.row_index(node_id, self._shown, self._infos is None)

    def children(self, node_id: str, offset: int = 0, count: int = 100) -> tuple[list[NodeInfo], int]:
        kids = self._kids[self._index(node_id)]
        start = min(max(0, offset), len(kids))
        page = kids[start:start + max(0, count)]
        for j in page:
            self._shown[j] = 1
        return [self._infos[j] for j in page], len(kids)

    def release(self) -> None:
        self._infos = None
        self._kids = []
        self._top = []
        self._shown = bytearray()

    def __repr__(self):
        if self._infos is None:
            return "<ReferenceTreeSource released>"
        return f"<ReferenceTreeSource {self._what}: {len(self._infos)} rows>"
