"""Sets of a snapshot's objects and their partitions (heapy's nodesets and ``by...``).

A :class:`HeapSet` is a subset of one :class:`~pympler_nb.core.heap.HeapSnapshot` (row
numbers, no objects): ``snap.all``, ``snap.reachable``, ``snap.new_since(ref)``, a
partition row's :meth:`Partition.select`.  Its ``by_type``, ``by_kind``, ``by_module``,
``by_rcs``, ``by_via``, ``by_size``, ``by_id``, ``by_idset``, ``by_unity`` and
``by_prod`` (also spelled as heapy's ``bytype``...) return a :class:`Partition`: immutable
:class:`PartitionRow` s, largest first.  Retained sizes come from the snapshot's
dominator tree (:class:`~pympler_nb.core.heap.DominatorTree`):
:meth:`Partition.retained` per row, :meth:`HeapSet.top_retainers` per object.

>>> from pympler_nb.core import heap
>>> keep = [bytearray(5000) for _ in range(4)]
>>> part = heap.take().reachable.by_type()
>>> row = part.row("bytearray")
>>> row.count >= 4 and row.size >= 4 * 5000
True
>>> retained = part.retained()
>>> len(retained) == len(part.rows)
True
>>> retained[part.keys().index("bytearray")] >= row.size  # a type retains its objects
True
"""

from __future__ import annotations

from array import array
from itertools import compress, repeat

from .._format import format_size
from .._layout import count_elements
from ..objwalk import FLIP as _FLIP, flag_mask, select_flagged
from ..values import Frozen, check_int
from .discovery import drain
from .producers import NOT_TRACING

__all__ = ["HeapSet", "Partition", "PartitionRow", "StatRow"]


# --------------------------------------------------------------------------
# small immutable results
# --------------------------------------------------------------------------

class PartitionRow(Frozen):
    """One row of a :class:`Partition`: ``key`` (str), ``count``, ``size`` (bytes)."""

    __slots__ = ("key", "count", "size")

    def __init__(self, key: str, count: int, size: int):
        self._set(key=key, count=count, size=size)

    def __iter__(self):
        return iter((self.key, self.count, self.size))

    def __eq__(self, other):
        if type(other) is not PartitionRow:
            return NotImplemented
        return tuple(self) == tuple(other)

    def __hash__(self):
        return hash(tuple(self))

    @property
    def name(self) -> str:
        """The key (heapy's ``StatRow.name``)."""
        return self.key

    def __repr__(self):
        return "PartitionRow(key=%r, count=%d, size=%d)" % (self.key, self.count, self.size)


class StatRow(Frozen):
    """A row of :meth:`Partition.get_rows` (heapy's ``StatRow``): ``index``, ``name``
    (the key), ``count``, ``size`` and ``cumulsize`` (sizes of the rows up to this one)."""

    __slots__ = ("index", "name", "count", "size", "cumulsize")

    def __init__(self, index: int, name: str, count: int, size: int, cumulsize: int):
        self._set(index=index, name=name, count=count, size=size, cumulsize=cumulsize)

    def __repr__(self):
        return "StatRow(index=%d, name=%r, count=%d, size=%d, cumulsize=%d)" % (
            self.index, self.name, self.count, self.size, self.cumulsize)


class Partition(Frozen):
    """A classification of a :class:`HeapSet`: rows largest first (size, then count).

    Attributes
    ----------
    by : str
        What classifies (``'type'``, ``'module'``, ``'kind'``, ``'rcs'``, ``'via'``,
        ``'size'``).
    rows : tuple of PartitionRow
    count, size : int
        Totals of the set (every object is in exactly one row).
    """

    __slots__ = ("by", "rows", "count", "size", "_hset", "_labels", "_keys")

    def __init__(self, by, rows, hset, labels, keys):
        rows = tuple(sorted(rows, key=lambda r: (-r.size, -r.count, r.key)))
        self._set(by=by, rows=rows, count=sum(r.count for r in rows),
                  size=sum(r.size for r in rows))
        self._set(_hset=hset, _labels=labels, _keys=keys)

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    def keys(self) -> list:
        return [r.key for r in self.rows]

    def row(self, key: str) -> PartitionRow:
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError("no row %r in this partition by %s (rows: %s...)"
                       % (key, self.by, ", ".join(repr(r.key) for r in self.rows[:5])))

    def select(self, key) -> "HeapSet":
        """The objects of one row (by key or row index) as a :class:`HeapSet`."""
        if isinstance(key, int) and not isinstance(key, bool):
            key = self.rows[key].key
        self.row(key)
        code = self._keys.index(key)
        hset = self._hset
        nodes = array("i", compress(hset._nodes, map(code.__eq__, self._labels)))
        return HeapSet(hset.snapshot, nodes, "%s[%s=%r]" % (hset.name, self.by, key))

    @property
    def set(self) -> "HeapSet":
        """The classified set (heapy's partitions are their sets)."""
        return self._hset

    @property
    def parts(self) -> list:
        """The objects of each row as a :class:`HeapSet`, aligned with :attr:`rows`
        (heapy's ``.parts``).  One pass over the set."""
        hset = self._hset
        code_of = {key: i for i, key in enumerate(self._keys)}
        buckets = [array("i") for _ in self._keys]
        drain(map(array.append, map(buckets.__getitem__, self._labels), hset._nodes))
        return [HeapSet(hset.snapshot, buckets[code_of[r.key]],
                        "%s[%s=%r]" % (hset.name, self.by, r.key)) for r in self.rows]

    @property
    def stat(self) -> "Partition":
        """The partition itself (heapy's ``.stat``: rows, ``count``, ``size``,
        :meth:`get_rows`)."""
        return self

    def get_rows(self) -> list:
        """The rows as heapy's ``Stat.get_rows()`` gives them: :class:`StatRow` with
        ``index``, ``name``, ``count``, ``size``, ``cumulsize``."""
        out, cum = [], 0
        for i, r in enumerate(self.rows):
            cum += r.size
            out.append(StatRow(i, r.key, r.count, r.size, cum))
        return out

    # set algebra on the classified sets (a partition stands for its set, as in heapy)
    def __or__(self, other):
        return self._hset | other

    def __and__(self, other):
        return self._hset & other

    def __sub__(self, other):
        return self._hset - other

    def __xor__(self, other):
        return self._hset ^ other

    __ror__, __rand__, __rxor__ = __or__, __and__, __xor__

    def __rsub__(self, other):
        return other - self._hset if isinstance(other, HeapSet) else NotImplemented

    def disjoint(self, other) -> bool:
        return self._hset.disjoint(other)

    def retained(self, *, exact: bool = False) -> tuple:
        """Retained size of each row, aligned with :attr:`rows`.

        By default the bytes the row's objects keep alive each on its own: the
        retained sizes (:meth:`DominatorTree.retained`) of the row's objects that no
        other object of the row dominates, summed (Eclipse MAT's "minimum retained
        size" per class).  It is a lower bound of what freeing all of the row's
        objects at once would free: an object that two of them share (two lists
        holding one dict) is retained by neither alone.  Computed from the snapshot's
        dominator tree (:meth:`HeapSnapshot.dominators`, built once) in one walk.

        ``exact=True`` gives what freeing all of the row's objects at once would free
        (MAT's "precise retained size"): one walk of the snapshot's graph per row,
        slower on a whole heap.  Unreachable objects retain nothing either way.
        """
        if not isinstance(exact, (bool, int)):
            raise TypeError("exact must be True or False, got %r" % (exact,))
        hset = self._hset
        snap = hset.snapshot
        if exact:
            return tuple(self.select(r.key).retained_size() for r in self.rows)
        keys = self._keys
        totals = snap.dominators().retained_by_group(hset._nodes, self._labels, len(keys))
        code_of = {key: i for i, key in enumerate(keys)}
        return tuple(totals[code_of[r.key]] for r in self.rows)

    def diff(self, old: "Partition") -> list:
        """``self - old`` by key: ``[(key, count_diff, size_diff), ...]`` with rows that
        changed, largest absolute size change first (for comparing snapshots)."""
        if not isinstance(old, Partition):
            raise TypeError("diff needs another Partition, got %s" % type(old).__name__)
        before = {r.key: (r.count, r.size) for r in old.rows}
        after = {r.key: (r.count, r.size) for r in self.rows}
        out = []
        for key in after.keys() | before.keys():
            c1, s1 = after.get(key, (0, 0))
            c0, s0 = before.get(key, (0, 0))
            if c1 != c0 or s1 != s0:
                out.append((key, c1 - c0, s1 - s0))
        out.sort(key=lambda r: (-abs(r[2]), -abs(r[1]), r[0]))
        return out

    def format(self, limit: int | None = 10) -> str:
        """Heapy's table: index, count, %, size, %, cumulative size, %, key."""
        lines = ["Partition of a set of %d objects by %s. Total size = %d bytes."
                 % (self.count, self.by, self.size),
                 " Index  Count   %     Size   % Cumulative  % " + _TITLES.get(self.by, self.by)]
        cum = 0
        rows = self.rows if limit is None else self.rows[:limit]
        for i, r in enumerate(rows):
            cum += r.size
            lines.append("%6d %6d %3d %8d %3d %9d %3d %s" % (
                i, r.count, _pct(r.count, self.count), r.size, _pct(r.size, self.size),
                cum, _pct(cum, self.size), r.key))
        if limit is not None and len(self.rows) > limit:
            lines.append("<%d more rows>" % (len(self.rows) - limit))
        return "\n".join(lines)

    def __str__(self):
        return self.format()

    def __repr__(self):
        return "<Partition by %s: %d rows, %d objects, %s>" % (
            self.by, len(self.rows), self.count, format_size(self.size))


_TITLES = {"type": "Type", "module": "Module", "kind": "Kind (type / dict of type)",
           "rcs": "Referrers by Kind (type / dict of type)", "via": "Referred Via:",
           "size": "Individual Size", "size class": "Size Class", "id": "Identity",
           "idset": "by identity set", "unity": "<unclassified>",
           "prod": "Producer (line of allocation)"}


def _pct(part: int, whole: int) -> int:
    return int(100 * part / whole) if whole else 0



# --------------------------------------------------------------------------
# the snapshot
# --------------------------------------------------------------------------

class HeapSet(Frozen):
    """A set of objects of one snapshot (node indices), with its partitions.

    Attributes
    ----------
    snapshot : HeapSnapshot
    name : str
    """

    __slots__ = ("snapshot", "_nodes", "name")

    def __init__(self, snapshot, nodes, name="set"):
        self._set(snapshot=snapshot, _nodes=nodes, name=name)

    def __len__(self):
        return len(self._nodes)

    @property
    def count(self) -> int:
        return len(self._nodes)

    @property
    def size(self) -> int:
        sizes = self.snapshot._sizes
        if len(self._nodes) == len(sizes):
            return sum(sizes)
        return sum(map(sizes.__getitem__, self._nodes))

    @property
    def nodes(self) -> array:
        """Row indices into the snapshot (a copy)."""
        return array("i", self._nodes)

    @property
    def ids(self) -> list:
        ids = self.snapshot._ids
        return list(map(ids.__getitem__, self._nodes))

    def __repr__(self):
        return "<HeapSet %s: %d objects, %s>" % (self.name, len(self), format_size(self.size))

    def __str__(self):
        return self.by_kind().format()

    # -- partitions -------------------------------------------------------------

    def _partition(self, by: str, labels, keys: list) -> Partition:
        """Rows from per-node label codes (``labels`` parallel to ``_nodes``)."""
        labels = labels if isinstance(labels, (list, array)) else list(labels)
        sizes = self.snapshot._sizes
        node_sizes = sizes if self._is_all() else map(sizes.__getitem__, self._nodes)
        pairs: dict = {}  # (code, size) -> objects: few distinct pairs, counted in C
        count_elements(pairs, zip(labels, node_sizes))
        counts: dict = {}
        totals: dict = {}
        for (code, size), k in pairs.items():
            counts[code] = counts.get(code, 0) + k
            totals[code] = totals.get(code, 0) + size * k
        del pairs
        rows = [PartitionRow(keys[c], n, totals[c]) for c, n in counts.items()]
        # (an array, not a list of ints: a partition kept by the user is one object
        # for later snapshots, not a million)
        return Partition(by, rows, self, labels if type(labels) is array else array("i", labels),
                         keys)

    def _is_all(self) -> bool:
        return self._nodes is self.snapshot._all_nodes

    def _node_values(self, column):
        if self._is_all():
            return column
        return list(map(column.__getitem__, self._nodes))

    def _from_totals(self, by: str, which: int, labels, keys: list) -> Partition | None:
        """The partition of the whole snapshot from the totals counted when it was
        taken (None if there are none: a loaded snapshot, or a subset)."""
        got = self.snapshot._cache.get("totals") if self._is_all() else None
        if got is None:
            return None
        counts, totals = got[2 * which], got[2 * which + 1]
        rows = [PartitionRow(keys[c], k, s) for c, (k, s) in enumerate(zip(counts, totals))
                if k]
        return Partition(by, rows, self, labels, keys)

    def by_type(self) -> Partition:
        """Rows per type (``'str'``, ``'mod.Class'``, ``'function'``...)."""
        snap = self.snapshot
        return self._from_totals("type", 0, snap._tidx, snap._type_names) or \
            self._partition("type", self._node_values(snap._tidx), snap._type_names)

    def by_kind(self) -> Partition:
        """Rows per kind: the type, except ``dict of module``, ``dict of type`` and
        ``dict of mod.Class`` for ``__dict__`` objects (heapy's default)."""
        snap = self.snapshot
        return self._from_totals("kind", 1, snap._kind, snap._kind_names) or \
            self._partition("kind", self._node_values(snap._kind), snap._kind_names)

    def by_module(self) -> Partition:
        """Rows per module of the object's class (``builtins``, ``numpy``, ``__main__``)."""
        snap = self.snapshot
        mods = snap._type_modules
        keys = sorted(set(mods))
        code = {m: i for i, m in enumerate(keys)}
        per_type = list(map(code.__getitem__, mods))
        return self._partition("module", list(map(per_type.__getitem__,
                                                  self._node_values(snap._tidx))), keys)

    def by_size(self, *, buckets: bool = False) -> Partition:
        """Rows per individual size in bytes (heapy's ``bysize``): ``'56'``, ``'184'``.

        ``buckets=True`` groups sizes into power-of-two classes instead: ``'0'``,
        ``'1-1'``..., ``'33-64'``, ``'65-128'`` bytes (few rows on a whole heap).
        """
        if not isinstance(buckets, (bool, int)):
            raise TypeError("buckets must be True or False, got %r" % (buckets,))
        sizes = self._node_values(self.snapshot._sizes)
        if not buckets:
            order = sorted(set(sizes))
            code = {b: i for i, b in enumerate(order)}
            return self._partition("size", list(map(code.__getitem__, sizes)), list(map(str, order)))
        bits = list(map(int.bit_length, map((-1).__add__, sizes)))
        keys = {}
        for b in set(bits):
            lo, hi = (0, 0) if b < 0 else ((1 << (b - 1)) + 1 if b else 1, 1 << b)
            keys[b] = "0" if b < 0 else "%d-%d" % (lo, hi)
        order = sorted(keys)
        code = {b: i for i, b in enumerate(order)}
        return self._partition("size class", list(map(code.__getitem__, bits)),
                               [keys[b] for b in order])

    def _object_keys(self, fmt: str) -> list:
        snap = self.snapshot
        names, tidx, ids = snap._type_names, snap._tidx, snap._ids
        return [fmt % (names[tidx[j]], ids[j]) for j in self._nodes]

    def by_id(self) -> Partition:
        """One row per object (heapy's ``byid``), keyed ``'type: 0xADDRESS'`` (the id at
        the time of the snapshot)."""
        return self._partition("id", range(len(self._nodes)), self._object_keys("%s: %#x"))

    def by_idset(self) -> Partition:
        """One row per object as a one-object set (heapy's ``byidset``), keyed
        ``'<1 type: 0xADDRESS>'``."""
        return self._partition("idset", range(len(self._nodes)), self._object_keys("<1 %s: %#x>"))

    def by_unity(self) -> Partition:
        """One row with every object (heapy's ``byunity``), keyed ``'<Anything>'``."""
        return self._partition("unity", bytes(len(self._nodes)), ["<Anything>"])

    def by_prod(self) -> Partition:
        """Rows per allocation site (heapy's ``byprod``): the line that allocated each
        object, ``'cell [3], line 2'`` in a notebook, ``'file.py:12'`` elsewhere,
        ``'unknown'`` for memory tracemalloc did not trace.  Needs a snapshot taken
        while tracemalloc was tracing (see :mod:`~pympler_nb.core.heap.producers`)."""
        snap = self.snapshot
        if snap._prod is None:
            raise ValueError(NOT_TRACING)
        return self._partition("prod", self._node_values(snap._prod), snap._prod_names)

    def by_rcs(self) -> Partition:
        """Rows per set of referrer kinds (heapy's ``byrcs``): ``'list'``,
        ``'dict of module, function'``; ``'<none>'`` for roots without referrers."""
        return self._by_referrer("rcs", self.snapshot._kind, self.snapshot._kind_names)

    def by_via(self) -> Partition:
        """Rows per way the object is held (``.attr``, ``['key']``, ``[3]``; several
        referrers give a comma-separated set).  Needs ``take(via=True)``."""
        snap = self.snapshot
        if snap._via is None:
            raise ValueError("this snapshot has no reference labels: take it with "
                             "heap.take(via=True) to partition by via")
        return self._by_referrer("via", snap._via, snap._via_names, edge_labels=True)

    def _by_referrer(self, by, kind_col, kind_names, edge_labels=False) -> Partition:
        snap = self.snapshot
        snap._require_graph("a partition by referrers")
        dst = snap._tgt
        ksrc = kind_col if edge_labels else snap._edge_kinds()  # one label per edge
        nodes = self._nodes
        if not self._is_all():
            member = bytearray(len(snap))
            drain(map(member.__setitem__, nodes, repeat(1)))
            mask = list(map(member.__getitem__, dst))
            dst = list(compress(dst, mask))
            ksrc = list(compress(ksrc, mask))
            del mask, member
        # the label of the last referrer of each object; the objects with another label
        # on any of their references have several (found exactly, in one pass)
        last = dict(zip(dst, ksrc))
        other = map(int.__ne__, ksrc, map(last.__getitem__, dst))
        multi = set(compress(dst, other))
        nk = len(kind_names)
        names: list = []
        code_of: dict = {}

        def code_for(key):
            c = code_of.get(key)
            if c is None:
                c = code_of[key] = len(names)
                names.append(key)
            return c

        # label -> row code (labels with equal names share a row); nk: no referrer
        table = [code_for(kind_names[k]) for k in range(nk)]
        table.append(code_for("<none>") if len(last) < len(nodes) else -1)
        labels = array("i", map(table.__getitem__, map(last.get, nodes, repeat(nk))))
        del last
        if multi:
            sets: dict = {}
            mask = list(map(multi.__contains__, dst))
            for d, k in set(zip(compress(dst, mask), compress(ksrc, mask))):
                s = sets.get(d)
                if s is None:
                    sets[d] = {k}
                else:
                    s.add(k)
            del mask
            combo: dict = {}
            pos = range(len(nodes)) if self._is_all() else \
                dict(zip(compress(nodes, map(multi.__contains__, nodes)),
                         compress(range(len(nodes)), map(multi.__contains__, nodes))))
            for d, s in sets.items():
                key = frozenset(s)
                c = combo.get(key)
                if c is None:
                    c = combo[key] = code_for(", ".join(sorted({kind_names[k] for k in s})))
                labels[pos[d]] = c
        return self._partition(by, labels, names)

    # -- retained sizes -----------------------------------------------------------

    def retained_size(self) -> int:
        """Bytes freed if all of this set's objects went away at once (themselves
        included): what the roots reach, less what they reach without the set.  One
        walk of the snapshot's graph (no dominator tree)."""
        return self.snapshot._freed_size(self._nodes)

    def top_retainers(self, n: int = 10, *, min_size: int = 0) -> list:
        """The ``n`` objects of this set with the largest retained sizes (bytes each
        alone keeps alive, with what it dominates outside the set), as
        :class:`~pympler_nb.core.heap.Retainer` rows, largest first.  Computes the
        snapshot's dominator tree once (:meth:`HeapSnapshot.dominators`)."""
        check_int(n, "n")
        return self.snapshot.dominators().top_retainers(n, min_size=min_size, within=self)

    # -- set operations -----------------------------------------------------------

    def anchored(self) -> "HeapSet":
        """The objects of this set that an object outside it refers to, directly or
        through other objects of the set.

        What is left out is held only from outside the heap: by running code (the
        locals and the value stack of running functions, the C stack).  For the new
        objects of a notebook cell (``snapshot.new_since(ref).anchored()``), that is
        the machinery still running the cell that asks; what a cell left behind is
        referred to from the session (its namespace, its output cache).
        """
        snap = self.snapshot
        snap._require_graph("anchored()")
        nodes = self._nodes
        inside = bytearray(len(snap))
        drain(map(inside.__setitem__, nodes, repeat(1)))
        src, dst = snap._edges()
        into = flag_mask(map(inside.__getitem__, dst))
        pos = select_flagged(range(len(into)), into)
        entry = [d for d, s in zip(map(dst.__getitem__, pos), map(src.__getitem__, pos))
                 if not inside[s]]
        del into, pos
        seen = inside.translate(_FLIP)  # walk the rows of ``nodes`` only
        frontier = list(dict.fromkeys(entry))
        drain(map(seen.__setitem__, frontier, repeat(1)))
        while frontier:
            frontier = snap._next_level(frontier, seen)
        return HeapSet(snap, array("i", compress(nodes, map(seen.__getitem__, nodes))),
                       self.name)

    def _other(self, other, op: str):
        """``other``'s rows as a set, or None if ``other`` is no heap set (then the
        operator returns NotImplemented).  A partition stands for its set."""
        if isinstance(other, Partition):
            other = other.set
        if not isinstance(other, HeapSet):
            return None
        if other.snapshot is not self.snapshot:
            raise ValueError("%s needs two sets of the same snapshot (%r and %r): to compare "
                             "snapshots use snap.new_since(old) or Partition.diff"
                             % (op, self, other))
        return other

    def _combined(self, other, op: str, keep) -> "HeapSet":
        got = self._other(other, op)
        if got is None:
            return NotImplemented
        rows = keep(set(self._nodes), set(got._nodes))
        return HeapSet(self.snapshot, array("i", sorted(rows)),
                       "(%s %s %s)" % (self.name, op, got.name))

    def __or__(self, other) -> "HeapSet":
        """The objects in either set (heapy's ``|``)."""
        return self._combined(other, "|", set.union)

    def __and__(self, other) -> "HeapSet":
        """The objects in both sets (heapy's ``&``)."""
        return self._combined(other, "&", set.intersection)

    def __sub__(self, other) -> "HeapSet":
        """The objects of this set that are not in ``other`` (heapy's ``-``)."""
        return self._combined(other, "-", set.difference)

    def __xor__(self, other) -> "HeapSet":
        """The objects in exactly one of the sets (heapy's ``^``)."""
        return self._combined(other, "^", set.symmetric_difference)

    __ror__, __rand__, __rxor__ = __or__, __and__, __xor__

    def disjoint(self, other) -> bool:
        """Whether no object is in both sets (heapy's ``disjoint``)."""
        got = self._other(other, "disjoint")
        if got is None:
            raise TypeError("disjoint needs a HeapSet or a Partition of the same snapshot, "
                            "got %s" % type(other).__name__)
        return set(self._nodes).isdisjoint(got._nodes)

    def __contains__(self, obj) -> bool:
        """Whether ``obj`` (looked up by ``id``, as of the snapshot) is in this set."""
        try:
            node = self.snapshot.node(obj)
        except KeyError:
            return False
        if self._is_all():
            return True
        return node in set(self._nodes)

    # heapy's spelling: partitions as attributes (x.bytype, x.byprod, ...)
    bytype = property(lambda self: self.by_type(), doc="heapy's ``bytype``: :meth:`by_type`.")
    byclodo = property(lambda self: self.by_kind(),
                       doc="heapy's ``byclodo`` (class or dict owner): :meth:`by_kind`.")
    bymodule = property(lambda self: self.by_module(), doc="heapy's ``bymodule``: :meth:`by_module`.")
    byrcs = property(lambda self: self.by_rcs(), doc="heapy's ``byrcs``: :meth:`by_rcs`.")
    byvia = property(lambda self: self.by_via(), doc="heapy's ``byvia``: :meth:`by_via`.")
    bysize = property(lambda self: self.by_size(), doc="heapy's ``bysize``: :meth:`by_size`.")
    byid = property(lambda self: self.by_id(), doc="heapy's ``byid``: :meth:`by_id`.")
    byidset = property(lambda self: self.by_idset(), doc="heapy's ``byidset``: :meth:`by_idset`.")
    byunity = property(lambda self: self.by_unity(), doc="heapy's ``byunity``: :meth:`by_unity`.")
    byprod = property(lambda self: self.by_prod(), doc="heapy's ``byprod``: :meth:`by_prod`.")

    # -- who holds it, what it holds (heapy's rp, pathsin, pathsout) --------------

    def rp(self, depth: int = 7, *, max_rows: int = 1000):
        """The reference pattern (heapy's ``rp``): this set by kind, below each group
        its referrers by kind, up to ``depth`` levels, as a
        :class:`~pympler_nb.core.heap.ReferenceTree` (see :mod:`.patterns`)."""
        from .patterns import referrer_pattern

        return referrer_pattern(self, depth, max_rows=max_rows)

    def pathsin(self, depth: int = 1, *, max_rows: int = 1000):
        """Each object's direct referrers and how they hold it (heapy's ``pathsin``),
        ``depth`` levels, as a :class:`~pympler_nb.core.heap.ReferenceTree`."""
        from .patterns import paths

        return paths(self, "pathsin", depth, max_rows=max_rows)

    def pathsout(self, depth: int = 1, *, max_rows: int = 1000):
        """What each object refers to and how (heapy's ``pathsout``), ``depth`` levels,
        as a :class:`~pympler_nb.core.heap.ReferenceTree`."""
        from .patterns import paths

        return paths(self, "pathsout", depth, max_rows=max_rows)

    @property
    def parts(self) -> list:
        """The set split by kind (heapy's default ``.parts``): one :class:`HeapSet` per
        row of :meth:`by_kind`, largest first."""
        return self.by_kind().parts

    @property
    def stat(self) -> Partition:
        """The partition by kind (heapy's ``.stat``; rows by :meth:`Partition.get_rows`)."""
        return self.by_kind()
