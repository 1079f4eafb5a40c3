"""Who holds a heap set, and what it holds: heapy's ``rp``, ``pathsin`` and ``pathsout``.

All three return a :class:`ReferenceTree`: immutable rows in display order (each row
after its parent), depth-limited, built from the snapshot's reference graph (no object
is touched; the snapshot holds none).

* :meth:`HeapSet.rp(depth=7) <pympler_nb.core.heap.HeapSet.rp>` -- the *reference
  pattern*: the set grouped by kind; below each group, the objects that refer to it,
  grouped by kind; below those, their referrers, and so on.  A group equal to one shown
  before is not expanded again (status ``'seen'``, ``same`` names the row, heapy's
  ``[^ n]``); module namespaces (``dict of module``, ``module``) end a branch (status
  ``'module'``, heapy's ``[S]``): above them is the whole program.
* :meth:`HeapSet.pathsin(depth=1) <pympler_nb.core.heap.HeapSet.pathsin>` -- per object
  of the set, its direct referrers, one row each, with how each holds it (``via``:
  ``.attr``, ``['key']``, ``[3]`` when the snapshot was taken with ``via=True``);
  deeper levels list the referrers' referrers.
* :meth:`HeapSet.pathsout(depth=1) <pympler_nb.core.heap.HeapSet.pathsout>` -- per
  object, what it refers to, one row per referent, with how it holds it.

An object already shown is not expanded again (``'seen'``).  At most ``max_rows`` rows are
made (default 1000); what did not fit is marked ``'cut'`` (and ``tree.truncated``).
``pympler_nb.frames.reference_tree_frame`` makes a DataFrame of a tree and
``pympler_nb.widgets.ReferenceTreeSource`` shows it in the size tree widget.

>>> from pympler_nb.core import heap
>>> class Leaf: pass
>>> leaves = [Leaf() for _ in range(3)]
>>> box = {"leaves": leaves}
>>> snap = heap.take(roots=[box], via=True)
>>> tree = snap.by_type().select("pympler_nb.core.heap.patterns.Leaf").rp(depth=3)
>>> [(r.depth, r.key, r.count, r.status) for r in tree.rows]  # doctest: +NORMALIZE_WHITESPACE
[(0, 'pympler_nb.core.heap.patterns.Leaf', 3, 'expanded'), (1, 'list', 1, 'expanded'),
 (2, 'dict', 1, 'none')]
>>> [(r.key, r.via) for r in snap.by_type().select("list").pathsin().rows]
[('list', None), ('dict', "['leaves']")]
"""

from __future__ import annotations

from array import array
from collections import Counter
from itertools import accumulate, chain, repeat

from .discovery import drain
from ..values import Frozen, check_int
from .sets import HeapSet

__all__ = ["ReferenceTree", "RefTreeRow", "STATUSES", "referrer_pattern", "paths"]

#: what a row's ``status`` says (its mark in :meth:`ReferenceTree.format`)
STATUSES = {
    "expanded": "[-]",   # its children are the rows below it
    "depth": "[+]",      # not expanded: the depth limit (it has more)
    "seen": "[^]",       # shown before as row ``same``: not expanded again
    "module": "[S]",     # a module namespace: the branch ends here
    "none": "[ ]",       # nothing further (no referrers / referents)
    "cut": "[...]",      # not expanded: max_rows reached
}
_STOP_KINDS = ("dict of module", "module")


class RefTreeRow(Frozen):
    """One row of a :class:`ReferenceTree`.

    Attributes
    ----------
    index, parent : int
        Row number and the parent's (-1 for a top row).
    depth : int
        0 for the set's own rows.
    key : str
        The kind (type, or ``dict of X``) of the row's objects.
    via : str or None
        How the parent relates (``pathsin``: how this referrer holds the parent object;
        ``pathsout``: how the parent holds this referent), when the snapshot has labels.
    count, size : int
        Objects in the row and their flat size.
    status : str
        One of :data:`STATUSES`.
    same : int
        For ``'seen'``: the row shown before; else -1.
    id : int or None
        The object's id (at the time of the snapshot) for a row of one object
        (``pathsin``/``pathsout``); None for a group (``rp``).
    """

    __slots__ = ("index", "parent", "depth", "key", "via", "count", "size", "status", "same", "id")

    def __init__(self, index, parent, depth, key, via, count, size, status, same, id):
        self._set(index=index, parent=parent, depth=depth, key=key, via=via, count=count,
                  size=size, status=status, same=same, id=id)

    def __repr__(self):
        return "RefTreeRow(%d, depth=%d, key=%r, via=%r, count=%d, size=%d, status=%r)" % (
            self.index, self.depth, self.key, self.via, self.count, self.size, self.status)


class ReferenceTree(Frozen):
    """Rows of ``rp``/``pathsin``/``pathsout`` (see the module docstring).

    Attributes: ``what`` (``'rp'``, ``'pathsin'`` or ``'pathsout'``), ``depth`` (the
    limit), ``rows`` (tuple of :class:`RefTreeRow`, each after its parent),
    ``truncated`` (``max_rows`` was reached).
    """

    __slots__ = ("what", "depth", "rows", "truncated", "_snapshot", "_sets", "_first", "_kids")

    def __init__(self, what, depth, rows, truncated, snapshot, sets):
        kids = [[] for _ in rows]
        tops = []
        for r in rows:
            (tops if r.parent < 0 else kids[r.parent]).append(r.index)
        self._set(what=what, depth=depth, rows=tuple(rows), truncated=truncated,
                  _snapshot=snapshot, _sets=sets, _first=tuple(tops),
                  _kids=tuple(map(tuple, kids)))

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    def _check(self, i) -> int:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(self.rows):
            raise IndexError("row must be an int in [0, %d), got %r" % (len(self.rows), i))
        return i

    def top(self) -> list:
        """Row numbers of the top rows (the set's own objects or groups)."""
        return list(self._first)

    def children(self, i: int) -> list:
        """Row numbers of row ``i``'s children, in display order."""
        return list(self._kids[self._check(i)])

    def set(self, i: int) -> HeapSet:
        """The objects of row ``i`` as a :class:`HeapSet` (to partition or expand further)."""
        nodes = self._sets[self._check(i)]
        return HeapSet(self._snapshot, array("i", nodes), "%s row %d" % (self.what, i))

    def format(self, limit: int | None = 50) -> str:
        """The rows as text, heapy style: ``index: indent [status] count key (size)``."""
        title = {"rp": "Reference pattern (referrers by kind)",
                 "pathsin": "Paths in (direct referrers)",
                 "pathsout": "Paths out (referents)"}[self.what]
        lines = ["%s, depth %d: %d rows." % (title, self.depth, len(self.rows))]
        rows = self.rows if limit is None else self.rows[:limit]
        for r in rows:
            mark = STATUSES[r.status] if r.status != "seen" else "[^ %d]" % r.same
            via = "" if r.via is None else "%s " % r.via
            who = r.key if r.id is None else "%s %#x" % (r.key, r.id)
            lines.append("%4d: %s%s %d %s%s (%d B)" % (r.index, "  " * r.depth, mark, r.count,
                                                       via, who, r.size))
        if limit is not None and len(self.rows) > limit:
            lines.append("<%d more rows>" % (len(self.rows) - limit))
        return "\n".join(lines)

    def __str__(self):
        return self.format()

    def __repr__(self):
        return "<ReferenceTree %s depth=%d: %d rows%s>" % (
            self.what, self.depth, len(self.rows), ", truncated" if self.truncated else "")


# --------------------------------------------------------------------------
# building
# --------------------------------------------------------------------------

def _reverse(snap) -> tuple:
    """``(offsets, sources, edge numbers)``: the referrers of row ``v`` are
    ``sources[offsets[v]:offsets[v+1]]`` (cached with the snapshot)."""
    got = snap._cache.get("rev")
    if got is None:
        src, dst = snap._edges()
        order = array("i", sorted(range(len(dst)), key=dst.__getitem__))
        counts = Counter(dst)
        off = array("q", accumulate(map(counts.get, range(len(snap)), repeat(0)), initial=0))
        got = snap._cache["rev"] = (off, array("i", map(src.__getitem__, order)), order)
    return got


def _check_args(depth, max_rows) -> None:
    check_int(depth, "depth")
    check_int(max_rows, "max_rows")


def referrer_pattern(hset: HeapSet, depth: int = 7, *, max_rows: int = 1000) -> ReferenceTree:
    """heapy's ``rp``: see the module docstring."""
    _check_args(depth, max_rows)
    snap = hset.snapshot
    snap._require_graph("rp")
    roff, rsrc, _ = _reverse(snap)
    kind, names, sizes = snap._kind, snap._kind_names, snap._sizes
    rows: list = []   # [parent, depth, key, count, size, status, same]
    sets: list = []
    seen: dict = {}   # frozenset of rows -> row number
    truncated = False

    def add(parent, level, key, nodes) -> int:
        i = len(rows)
        frozen = frozenset(nodes)
        same = seen.get(frozen, -1)
        status = "seen" if same >= 0 else ("module" if key in _STOP_KINDS and level else "")
        if same < 0:
            seen[frozen] = i
        rows.append([parent, level, key, len(nodes), sum(map(sizes.__getitem__, nodes)), status,
                     same])
        sets.append(nodes)
        return i

    def groups(nodes):
        by: dict = {}
        for v in nodes:
            k = kind[v]
            g = by.get(k)
            if g is None:
                by[k] = [v]
            else:
                g.append(v)
        out = [(names[k], g) for k, g in by.items()]
        out.sort(key=lambda kg: (-sum(map(sizes.__getitem__, kg[1])), kg[0]))
        return out

    frontier = [add(-1, 0, key, g) for key, g in groups(hset._nodes)]
    while frontier:
        nxt = []
        for i in frontier:
            row = rows[i]
            if row[5]:  # seen / module: not expanded
                continue
            members = sets[i]
            refs = list(dict.fromkeys(chain.from_iterable(
                rsrc[roff[v]:roff[v + 1]] for v in members)))
            if not refs:
                row[5] = "none"
            elif row[1] >= depth:
                row[5] = "depth"
            elif len(rows) >= max_rows:
                row[5] = "cut"
                truncated = True
            else:
                row[5] = "expanded"
                nxt.extend(add(i, row[1] + 1, key, g) for key, g in groups(refs))
        frontier = nxt
    for row in rows:
        if not row[5]:
            row[5] = "cut"
    return _finish("rp", depth, rows, sets, truncated, snap, None)


def paths(hset: HeapSet, what: str, depth: int = 1, *, max_rows: int = 1000) -> ReferenceTree:
    """heapy's ``pathsin`` (``what='pathsin'``: referrers) and ``pathsout`` (referents):
    see the module docstring."""
    _check_args(depth, max_rows)
    if what not in ("pathsin", "pathsout"):
        raise ValueError("what must be 'pathsin' or 'pathsout', got %r" % (what,))
    snap = hset.snapshot
    snap._require_graph(what)
    kind, names, sizes, ids = snap._kind, snap._kind_names, snap._sizes, snap._ids
    if what == "pathsin":
        off, nbr, _ = _reverse(snap)
    else:
        off, nbr = snap._off, snap._tgt
    rows: list = []   # [parent, depth, key, count, size, status, same, via, node]
    sets: list = []
    shown: dict = {}  # object row -> tree row
    truncated = False

    def add(parent, level, v, via) -> int:
        i = len(rows)
        same = shown.get(v, -1)
        if same < 0:
            shown[v] = i
        rows.append([parent, level, names[kind[v]], 1, sizes[v], "seen" if same >= 0 else "",
                     same, via, v])
        sets.append((v,))
        return i

    def label(holder, child):
        return snap._edge_label(holder, child)

    order = sorted(hset._nodes, key=lambda v: (-sizes[v], v))
    frontier = []
    for v in order:
        if len(rows) >= max_rows:
            truncated = True
            break
        frontier.append(add(-1, 0, v, None))
    while frontier:
        nxt = []
        for i in frontier:
            row = rows[i]
            if row[5]:
                continue
            v = row[8]
            near = list(dict.fromkeys(nbr[off[v]:off[v + 1]]))
            if not near:
                row[5] = "none"
            elif row[1] >= depth:
                row[5] = "depth"
            elif len(rows) + len(near) > max_rows:
                row[5] = "cut"
                truncated = True
            else:
                row[5] = "expanded"
                near.sort(key=lambda u: (-sizes[u], u))
                for u in near:
                    via = label(u, v) if what == "pathsin" else label(v, u)
                    nxt.append(add(i, row[1] + 1, u, via))
        frontier = nxt
    return _finish(what, depth, rows, sets, truncated, snap, ids)


def _finish(what, depth, rows, sets, truncated, snap, ids) -> ReferenceTree:
    """Rows in display order (each parent followed by its subtree), renumbered."""
    kids: list = [[] for _ in rows]
    tops = []
    for i, row in enumerate(rows):
        (tops if row[0] < 0 else kids[row[0]]).append(i)
    order = []
    stack = list(reversed(tops))
    while stack:
        i = stack.pop()
        order.append(i)
        stack.extend(reversed(kids[i]))
    new = [0] * len(rows)
    drain(map(new.__setitem__, order, range(len(order))))
    out = []
    for j, i in enumerate(order):
        r = rows[i]
        parent = new[r[0]] if r[0] >= 0 else -1
        same = new[r[6]] if r[6] >= 0 else -1
        via = r[7] if len(r) > 7 else None
        oid = ids[r[8]] if ids is not None else None
        out.append(RefTreeRow(j, parent, r[1], r[2], via, r[3], r[4], r[5], same, oid))
    return ReferenceTree(what, depth, out, truncated, snap, [sets[i] for i in order])
