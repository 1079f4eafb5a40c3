"""Heapy-style heap snapshots: partitions, reference points, garbage, dominators.

A :class:`HeapSnapshot` is taken once and then only read.  It stores, in flat
``array`` columns, one row per object: its ``id``, a type index, its flat size, a
"kind" (the type, or ``dict of X`` for the ``__dict__`` of a module, class or
instance) and its outgoing references as node indices (a CSR graph).  It keeps **no
reference to any object** once :func:`take` returns, so it can be saved
(:meth:`HeapSnapshot.dump`, versioned JSON) and compared after a kernel restart.

>>> from pympler_nb.core import heap
>>> snap = heap.take()
>>> part = snap.by_type()
>>> part.count == len(snap) and part.size == snap.size
True
>>> big = [bytearray(1000) for _ in range(10)]
>>> snap = heap.take()
>>> snap.retained_size(big) >= 10 * 1000
True

What a snapshot holds
---------------------

``take()`` lists the whole heap the way :func:`muppy.get_objects` does (every object
the garbage collector tracks, plus everything reachable from those through untracked
objects: strs, ints, untracked tuples and dicts, dict keys, code constants, and what
the size rules' ``refs=`` say an object holds that ``gc.get_referents`` does not show:
the elements of numpy object arrays and an array's base), **without
running a collection first**, so garbage that a collection would free is still there
(see :meth:`HeapSnapshot.unreachable`).  ``take(roots=[...])`` lists only what is
reachable from the given objects.  The snapshot's own data and the data of other live
snapshots are left out.

Roots, reachability and garbage
-------------------------------

For a whole-heap snapshot the *roots* are found the way CPython's collector finds them,
but without collecting: a GC-tracked object is a root if its reference count is larger
than the number of references to it from other tracked objects (what is left comes
from C code, the interpreter state or local variables of running functions).  References
found by the size rules count as references from other objects: a list held only by a
numpy object array is no root, its array dominates it.  Objects
reachable from a root are alive; the rest (:meth:`~HeapSnapshot.unreachable`) is
cyclic garbage that the next ``gc.collect()`` would free.  Nothing is freed by
looking: the garbage is still in memory after the snapshot.

Dominators and retained sizes
-----------------------------

Object ``d`` *dominates* ``o`` if every path of references from the roots to ``o``
passes through ``d``; the retained size of ``d`` is the total flat size of what it
dominates (itself included): the memory freed if ``d`` went away.  The dominator tree
is computed for all reachable objects at once by an iterative Cooper-Harvey-Kennedy
algorithm over a breadth-first numbering (which, like a reverse postorder, puts every
dominator before what it dominates), with objects that have a single referrer settled
directly; the breadth-first numbering is done level by level in bulk.  No recursion.

The retained size of a single object needs no tree (heapy's ``domisize``): what the
roots reach without passing through ``x`` stays alive, ``x`` retains what it reaches
besides that.  :meth:`HeapSnapshot.retained_size` answers its first few calls so, with
two breadth-first walks of the snapshot's graph, and :func:`retained_size` does it on
the live heap without a snapshot (the same number as the snapshot's tree gives).

Partitions
----------

``by_type``, ``by_module`` (the class's module), ``by_kind`` (type, with ``dict of X``),
``by_rcs`` (the kinds of an object's referrers, heapy's ``byrcs``), ``by_via`` (how the
referrers hold it: ``.attr``, ``['key']``, ``[3]``; needs ``take(via=True)``) and
``by_size`` (power-of-two size classes) return a :class:`Partition`: immutable rows
(``key``, ``count``, ``size``) largest first, convertible with
``pympler_nb.frames.heap_partition_frame``.  Every partition is also available on any
:class:`HeapSet` (a subset of a snapshot: ``snap.new``, ``snap.unreachable()``, a
partition row's ``select``).

Sizes are flat sizes as :func:`asizeof.flatsize` counts them (``sys.getsizeof`` plus
each instance's hidden values array and split dict tables; a ``__sizeof__`` written
in Python is not run, as in :func:`summary.summarize`).  Rows are grouped by type:
sizes, type codes and the per-type totals behind ``by_type`` are computed per type
group in bulk when the snapshot is taken.
"""

from __future__ import annotations

import gc
import os
import sys
import time
import types
import weakref
from array import array
from bisect import bisect_right
from collections import deque
from itertools import accumulate, chain, compress, filterfalse, islice, repeat
from operator import add, eq, is_, is_not, not_, sub

from .. import _layout, _safeio
from .._format import format_size
from .._layout import _count_elements
from ..muppy import (
    _FLIP,
    _HAVE_GC,
    _SINGLE_RC,
    _code_parts,
    _dict_key_list,
    _hashable_types,
    _hidden,
    _level1,
    _mask,
    _positions,
    _real,
    _ruled,
    _rules_of,
    _safe_size,
    _select,
    _sizes,
    _table,
    _type_set,
    _untracked_closure,
)
from .._thirdparty import hidden_referents
from ..summary import _DIRECT_SIZEOF, _fixed_size, _python_sizeof

__all__ = [
    "take",
    "retained_size",
    "load",
    "HeapSnapshot",
    "HeapSet",
    "Partition",
    "PartitionRow",
    "Retainer",
    "RetainedNode",
    "HeapSession",
    "HeapFormatError",
    "FORMAT",
    "FORMAT_VERSION",
]

FORMAT = "pympler_nb.heap"
FORMAT_VERSION = 1

_getrefcount = sys.getrefcount
_get_referents = gc.get_referents
_is_tracked = gc.is_tracked
_CodeType = types.CodeType
_ModuleType = types.ModuleType
_CHUNK = 1 << 16
_PTR = 8 if sys.maxsize > 2**32 else 4
_INT_ONE_DIGIT = (1).__sizeof__()  # as asizeof: one-digit ints take a 32-byte block
_INT_FIX = max(0, (_INT_ONE_DIGIT + 7) // 8 * 8 - _INT_ONE_DIGIT)

_FAST_RETAINED = 3  # retained_size() calls answered without the dominator tree

# live snapshots: their own data is never listed by a later take()
_LIVE: "weakref.WeakSet[HeapSnapshot]" = weakref.WeakSet()


def _drain(iterator) -> None:
    deque(iterator, maxlen=0)


# --------------------------------------------------------------------------
# small immutable results
# --------------------------------------------------------------------------

class _Frozen:
    __slots__ = ()

    def __setattr__(self, name, value):
        raise AttributeError("%s is immutable (cannot set %r)" % (type(self).__name__, name))

    __delattr__ = __setattr__

    def _set(self, **fields):
        for k, v in fields.items():
            object.__setattr__(self, k, v)


class PartitionRow(_Frozen):
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

    def __repr__(self):
        return "PartitionRow(key=%r, count=%d, size=%d)" % (self.key, self.count, self.size)


class Partition(_Frozen):
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
        object.__setattr__(self, "_hset", hset)
        object.__setattr__(self, "_labels", labels)
        object.__setattr__(self, "_keys", keys)

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
           "size": "Individual Size"}


def _pct(part: int, whole: int) -> int:
    return int(100 * part / whole) if whole else 0


class Retainer(_Frozen):
    """A top retainer: ``id``, ``type``, ``size`` (flat), ``retained`` (bytes it alone
    keeps alive, itself included) and ``count`` (objects it dominates, itself included)."""

    __slots__ = ("id", "type", "size", "retained", "count")

    def __init__(self, id, type, size, retained, count):  # noqa: A002
        self._set(id=id, type=type, size=size, retained=retained, count=count)

    def __repr__(self):
        return "<Retainer %s id=%#x size=%d retained=%d count=%d>" % (
            self.type, self.id, self.size, self.retained, self.count)

    def __eq__(self, other):
        if type(other) is not Retainer:
            return NotImplemented
        return (self.id, self.type, self.size, self.retained, self.count) == (
            other.id, other.type, other.size, other.retained, other.count)

    def __hash__(self):
        return hash((self.id, self.retained))


class RetainedNode(_Frozen):
    """A node of the dominator tree, browsed lazily (:meth:`children` on demand).

    Attributes
    ----------
    id : int
        ``id()`` of the object when the snapshot was taken (0 for the virtual root).
    name : str
        How its dominator refers to it (``.attr``, ``['k']``, ``[3]``) when that is a
        direct reference recorded with ``take(via=True)``, else the type.
    type : str
    size : int
        Flat size.
    retained : int
        Retained size: flat sizes of everything it dominates, itself included.
    count : int
        Objects it dominates, itself included.
    node : int
        Its row in the snapshot (what :meth:`HeapSnapshot.node` accepts).
    """

    __slots__ = ("snapshot", "node", "id", "name", "type", "size", "retained", "count")

    def __init__(self, snapshot, node, name=None):
        snap = snapshot
        if node == -1:  # the virtual root
            self._set(snapshot=snap, node=-1, id=0, name="<roots>", type="<roots>", size=0,
                      retained=snap._dom_data()[2], count=snap._dom_data()[3])
            return
        tname = snap._type_names[snap._tidx[node]]
        idom, retained, _total, _ = snap._dom_data()
        self._set(snapshot=snap, node=node, id=snap._ids[node], name=name or tname, type=tname,
                  size=snap._sizes[node], retained=retained[node],
                  count=snap._dom_counts()[node])

    def children(self, limit: int | None = None) -> list:
        """The objects this one dominates directly, largest retained size first."""
        kids = self.snapshot._dominated(self.node)
        kids.sort(key=lambda k: -self.snapshot._dom_data()[1][k])
        if limit is not None:
            kids = kids[:limit]
        return [RetainedNode(self.snapshot, k, self.snapshot._edge_label(self.node, k))
                for k in kids]

    def __repr__(self):
        return "<RetainedNode %s id=%#x size=%d retained=%d>" % (
            self.name, self.id, self.size, self.retained)


class HeapFormatError(ValueError):
    """A heap snapshot file is malformed, of another format or of an unknown version."""


def _short(value) -> str:
    """A value read from a file, shown briefly (``int 10000...`` not 400 digits)."""
    text = repr(value) if type(value) in (str, int, float, bool) or value is None else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


# --------------------------------------------------------------------------
# building a snapshot
# --------------------------------------------------------------------------

def _own_ids() -> set:
    """Ids of live snapshots and of their tracked containers (left out of new ones)."""
    ids: set = set(map(id, list(_LIVE.data)))  # the weak references to them
    for snap in list(_LIVE):
        ids.add(id(snap))
        for name in HeapSnapshot.__slots__:
            if name == "__weakref__":
                continue
            value = getattr(snap, name, None)
            if value is not None and type(value) not in (int, float, str, bool):
                ids.add(id(value))
        for value in list(snap._cache.values()):  # derived tables (bfs order, dominators)
            ids.add(id(value))
            if type(value) is tuple:
                ids.update(map(id, value))
            elif type(value) is dict:  # node -> dominated nodes (lists)
                ids.update(map(id, list(value.values())))
        # (not the strs and numbers inside those containers: they are only reached
        # through them, unless they are shared, like the small int 1 or a type's name)
    return ids


def _discover_all(skip: set, refcounts: bool) -> tuple:
    """The whole heap, without collecting: ``(tracked, ttys, rcs, untracked, utys)``.

    ``tracked`` is what the collector tracks (minus ``skip``) and ``rcs`` their reference
    counts, measured before anything else referred to them (None unless ``refcounts``);
    ``untracked`` is everything reachable from them through untracked objects, each
    once.  This is the walk of :func:`muppy.get_objects` (an object referenced exactly
    once needs no de-duplication), without its ``gc.collect()``.  ``ttys`` and ``utys``
    are the types, parallel to the objects.
    """
    tracked = gc.get_objects()
    rcs = list(map(_getrefcount, tracked)) if refcounts else None
    if skip:
        keep = list(map(not_, map(skip.__contains__, map(id, tracked))))
        if not all(keep):
            tracked = list(compress(tracked, keep))
            if rcs is not None:
                rcs = list(compress(rcs, keep))
        del keep
    ttys = list(map(type, tracked))
    ttypes, ttys = _type_set(ttys)
    dict_types = {t for t in ttypes if issubclass(_real(t), dict)}
    rules = _rules_of(ttypes)
    del ttypes
    tdicts = _select(tracked, _mask(map(dict_types.__contains__, ttys))) if dict_types else []
    ruled = _ruled(tracked, ttys, rules)
    level1 = _level1(tracked, tdicts, ruled, rules)
    del tdicts, ruled
    # an object of ``skip`` is held by its snapshot, which is not looked into
    upart = _untracked_closure(level1, skip)
    del level1
    untracked, utys = upart.objects, upart.types
    del upart
    return tracked, ttys, rcs, untracked, utys


_X_DICT, _X_CODE, _X_RULE = 1, 2, 4
_IS_X_DICT = _table(lambda c: c & _X_DICT)
_IS_X_CODE = _table(lambda c: c & _X_CODE)
_IS_X_RULE = _table(lambda c: c & _X_RULE)


def _extra_referents(objs: list, tys: list, hidden: dict | None = None) -> dict:
    """``{position: [referents]}`` that ``gc.get_referents`` does not report: the keys of
    dicts, the parts of code objects and what the size rules' ``refs`` say an object
    holds (a numpy object array's elements, an array's base).  ``hidden`` (optional)
    counts, per id, the references to tracked objects found by the rules.

    One pass over the types gives each object a byte (dict, code, rule); the
    positions of each kind are then found in those bytes."""
    out: dict = {}
    tset, tys = _type_set(tys)
    rules = _rules_of(tset)
    kinds = dict.fromkeys(rules, _X_RULE)
    for t in tset:
        real = _real(t)
        if issubclass(real, dict):
            kinds[t] = kinds.get(t, 0) | _X_DICT
        elif real is _CodeType:
            kinds[t] = _X_CODE
    if not kinds:
        return out
    codes = _mask(map(kinds.get, tys, repeat(0)))
    if rules:
        by_type: dict = {}
        for p in _positions(codes.translate(_IS_X_RULE)):
            by_type.setdefault(tys[p], []).append(p)
        for t, pos in by_type.items():
            got = hidden_referents(list(map(objs.__getitem__, pos)), rules[t], _real(t))
            if hidden is not None:
                _count_elements(hidden, map(id, filter(_is_tracked, chain.from_iterable(got))))
            out.update(zip(pos, got))
            del got
    pos = list(_positions(codes.translate(_IS_X_DICT)))
    if pos:
        dicts = list(map(objs.__getitem__, pos))
        try:
            keys = list(map(list, map(dict.keys, dicts)))
        except RuntimeError:  # a dict changed size while read (another thread)
            keys = [_dict_key_list([d]) for d in dicts]
        for p, k in zip(pos, keys):
            have = out.get(p)
            out[p] = k if have is None else have + k
    pos = list(_positions(codes.translate(_IS_X_CODE)))
    if pos:
        out.update(zip(pos, map(list, map(_code_parts, map(objs.__getitem__, pos)))))
    return out


def _namespace_ids() -> set:
    """Ids of module namespaces (``sys.modules`` values' dicts)."""
    from .._graphwalk import _module_dict

    ids = set()
    for m in list(sys.modules.values()):
        try:
            ids.add(id(_module_dict(m)))
        except Exception:  # noqa: BLE001 - a module stand-in
            pass
    return ids


def _discover_roots(roots: list, skip: set) -> list:
    """Everything reachable from ``roots`` (breadth-first, each object once), without
    entering classes, modules and module namespaces (unless they are roots): what a
    data structure holds, not the program around it."""
    skip = set(skip) | _namespace_ids()
    seen: dict = {}
    frontier = []
    for r in roots:
        if id(r) not in seen and id(r) not in skip:
            seen[id(r)] = r
            frontier.append(r)
    out = list(frontier)
    while frontier:
        tys = list(map(type, frontier))
        found = _get_referents(*frontier)
        for extra in _extra_referents(frontier, tys).values():
            found.extend(extra)
        cand = dict(zip(map(id, found), found))
        del found
        new_ids = list(filterfalse(seen.__contains__, cand))
        if skip:
            new_ids = list(filterfalse(skip.__contains__, new_ids))
        frontier = list(map(cand.__getitem__, new_ids))
        outside = list(map(_outside, map(type, frontier)))
        if any(outside):
            inside = list(map(not_, outside))
            seen.update(zip(compress(new_ids, outside), repeat(None)))
            frontier = list(compress(frontier, inside))
            new_ids = list(compress(new_ids, inside))
        seen.update(zip(new_ids, frontier))
        out.extend(frontier)
        del cand
    return out


def _outside(tp) -> bool:
    """Classes and modules are not entered from a data structure."""
    return issubclass(tp, (type, _ModuleType))


def _groups(objs: list, tys: list, rcs: list | None = None) -> list:
    """``[(type, objects, refcounts or None), ...]``: ``objs`` split by exact type, in
    order of first appearance, each group in the objects' order (one pass)."""
    if not objs:
        return []
    try:
        order = list(dict.fromkeys(tys))
    except Exception:  # noqa: BLE001 - a metaclass made a class unhashable (or its __hash__ raises): stand-ins
        tys = _hashable_types(tys)
        order = list(dict.fromkeys(tys))
    if len(order) == 1:
        return [(order[0], list(objs), None if rcs is None else list(rcs))]
    buckets = {t: [] for t in order}
    _drain(map(list.append, map(buckets.__getitem__, tys), objs))
    if rcs is None:
        return [(t, buckets[t], None) for t in order]
    rbuckets = {t: [] for t in order}
    _drain(map(list.append, map(rbuckets.__getitem__, tys), rcs))
    return [(t, buckets[t], rbuckets[t]) for t in order]


def _ids_of(objs: list) -> array:
    """``array("Q", map(id, objs))``; on CPython a copy of the list's item pointers
    (which are the ids), without making an int per object."""
    n = len(objs)
    if type(objs) is list and n > 64 and _PTR == 8 and _layout.SUPPORTED:
        try:
            import ctypes

            out = array("Q", bytes(8 * n))
            items = _layout._read_ptr(id(objs) + 3 * _PTR).value  # PyListObject.ob_item
            ctypes.memmove(out.buffer_info()[0], items, 8 * n)
            if out[0] == id(objs[0]) and out[-1] == id(objs[-1]):
                return out
        except Exception:  # noqa: BLE001
            pass
    return array("Q", map(id, objs))


def _hidden_each(group: list, tp: type) -> list | None:
    """Per instance, the hidden bytes of same-type managed-dict instances (see
    :func:`_layout.instances_hidden_each`), or None for other types."""
    if not (_layout.SUPPORTED and _layout.managed_layout(tp)):
        return None
    return _layout.instances_hidden_each(group, tp)[0]


_DIRECT_IDS = {id(t) for t in _DIRECT_SIZEOF}


def _group_sizes(t, group: list) -> array:
    """Flat sizes of ``group`` (objects of exact type ``t``), as :func:`asizeof.flatsize`
    counts them: ``sys.getsizeof`` (a ``__sizeof__`` written in Python is not run; see
    :func:`summary._python_sizeof`), one-digit ints rounded up to their allocation,
    hidden instance values, split dict tables.  In bulk, per type."""
    tp = _real(t)
    fn = _python_sizeof(tp)
    if fn is not None:
        sizes = array("q", map(fn, group))
    elif _fixed_size(tp):
        sizes = array("q", [_safe_size(group[0])]) * len(group)
    elif id(tp) in _DIRECT_IDS:
        sizeof = tp.__sizeof__
        header = _safe_size(group[0]) - sizeof(group[0])
        sizes = array("q", map(add, map(sizeof, group), repeat(header)) if header else
                      map(sizeof, group))
    else:
        sizes = array("q", _sizes(group))
    if tp is int and _INT_FIX and sizes.count(_INT_ONE_DIGIT):  # allocated in 32 bytes
        fix = list(range(max(sizes) + 1))
        fix[_INT_ONE_DIGIT] += _INT_FIX
        sizes = array("q", map(fix.__getitem__, sizes))
    elif tp is dict and _layout.SUPPORTED:  # split tables (ma_values set): a few
        values = _layout.read_words(map(id, group), 5 * _PTR)
        for i in compress(range(len(group)), values):
            c = _layout.split_dict_correction(group[i])
            if c:
                sizes[i] += c
    hidden = _hidden_each(group, tp)
    if hidden is not None:
        sizes = array("q", map(add, sizes, hidden))
    return sizes


def _session_objects() -> dict[int, str]:
    """``{id: type name}`` of the IPython session's per-cell bookkeeping alive now
    (empty outside IPython); no reference to the objects is kept."""
    from ..tracker import _Discount, _session_bookkeeping

    out = _Discount()
    try:
        _session_bookkeeping(out)
        own = {id(out), id(out.skip), id(out.subtract)}
        return {key: _type_text(type(obj))
                for table in (out.skip, out.subtract) for key, obj in table.items()
                if key not in own}
    finally:
        out.skip.clear()
        out.subtract.clear()


def _type_text(t) -> str:
    from ..summary import _type_text as text

    return text(t)


def _type_module(t) -> str:
    try:
        mod = type.__dict__["__module__"].__get__(t)
    except Exception:  # noqa: BLE001
        return "?"
    return mod if isinstance(mod, str) else "?"


def _dict_owners(groups: list, starts: list, index: dict, tidx: array, dict_code) -> dict:
    """``{dict row: owner kind text}`` for module, class and instance ``__dict__`` s."""
    owners: dict = {}
    if dict_code is None:
        return owners
    tagged = sys.version_info[:2] == (3, 12)
    for (t, group, _), start in zip(groups, starts):
        tp = _real(t)
        if issubclass(tp, _ModuleType):  # a module refers to its dict only
            for m in group:
                for r in _get_referents(m):
                    j = index.get(id(r))
                    if j is not None and tidx[j] == dict_code:
                        owners[j] = "dict of module"
        elif issubclass(tp, type):  # tp_dict is visited first
            for cls in group:
                refs = _get_referents(cls)
                if refs and type(refs[0]) is dict:
                    j = index.get(id(refs[0]))
                    if j is not None:
                        owners[j] = "dict of type"
        elif _layout.SUPPORTED and _layout.managed_layout(tp):  # a materialized dict
            ptrs = set(_layout.read_words(map(id, group), -3 * _PTR))
            ptrs.discard(0)
            name = None
            for p in ptrs:
                if not (tagged and p & 1):
                    j = index.get(p)
                    if j is not None and tidx[j] == dict_code:
                        owners[j] = name = name or "dict of " + _type_text(tp)
    return owners


def _via_labels(holder, tp, index: dict, cache: dict) -> dict:
    """``{child id: label}`` for the references ``holder`` makes (``take(via=True)``)."""
    from .._format import safe_repr

    out: dict = {}
    if issubclass(tp, dict):
        try:
            items = list(dict.items(holder))
        except RuntimeError:
            items = []
        for k, v in items:
            if id(v) not in out:
                out[id(v)] = "[%s]" % safe_repr(k, 30) if type(k) is str or type(k) is int else \
                    "[<%s>]" % type(k).__name__
            out.setdefault(id(k), "<key>")
        return out
    if issubclass(tp, (list, tuple)):
        it = list.__iter__(holder) if issubclass(tp, list) else tuple.__iter__(holder)
        for i, v in enumerate(it):
            out.setdefault(id(v), "[%d]" % i)
        return out
    if issubclass(tp, (set, frozenset)):
        return dict.fromkeys(map(id, _get_referents(holder)), "<member>")
    from .._graphwalk import edge_hops

    labeller = cache.get("labeller")
    if labeller is None:
        from .._graphwalk import _Labeller

        labeller = cache["labeller"] = _Labeller()
    wanted = set(map(id, _get_referents(holder)))
    wanted.add(id(tp))
    try:
        hops = edge_hops(holder, wanted, labeller)
    except Exception:  # noqa: BLE001 - one odd holder must not stop the snapshot
        return out
    for cid, hop in hops.items():
        text = hop.text.strip() or "<ref>"
        out[cid] = text if hop.kind != "dict" else ".__dict__"
    return out


class _ViaLabels:
    """Labels of references (``take(via=True)``): per edge, a code into ``names``."""

    __slots__ = ("index", "names", "codes", "cache")

    def __init__(self, index: dict, names: list):
        self.index = index
        self.names = names
        self.codes: dict = {}
        self.cache: dict = {}

    def labels(self, chunk: list, tp, refs: list) -> list:
        codes, names = self.codes, self.names
        out = []
        for o, r in zip(chunk, refs):
            labs = _via_labels(o, tp, self.index, self.cache)
            for x in r:
                text = labs.get(id(x), "<ref>")
                c = codes.get(text)
                if c is None:
                    c = codes[text] = len(names)
                    names.append(text)
                out.append(c)
        return out


def _chunk_edges(chunk: list, tp, index: dict, indeg: dict | None, via: _ViaLabels | None,
                 rule_refs=None, hidden_indeg: dict | None = None):
    """``(lens, target rows, via label codes or None)`` of objects of exact type ``tp``,
    or None if they refer to nothing.  References are what ``gc.get_referents``
    reports, plus the keys of dicts, the parts of code objects and, for a type whose
    size rule has ``refs`` (``rule_refs``), what that says the object holds besides
    (:func:`_thirdparty.hidden_referents`: a numpy object array's elements); references
    to objects outside the snapshot (our own) are dropped.  ``indeg`` (for tracked
    objects) counts the references the collector sees, per target row;
    ``hidden_indeg`` (for all objects) the references found by the rules, which the
    collector does not see."""
    is_dict = issubclass(tp, dict)
    is_code = tp is _CodeType
    gc_type = bool(_layout.type_flags(tp) & _HAVE_GC)
    if not (gc_type or is_dict or is_code or rule_refs is not None):
        return None
    labels = None
    if via is not None or is_dict or is_code or rule_refs is not None:  # a list per object
        refs = list(map(_get_referents, chunk)) if gc_type else [[] for _ in chunk]
        if indeg is not None:
            _count_elements(indeg, map(index.get, map(id, chain.from_iterable(refs))))
        if rule_refs is not None:
            hidden = hidden_referents(chunk, rule_refs, tp)
            if hidden_indeg is not None:
                _count_elements(hidden_indeg,
                                map(index.get, map(id, chain.from_iterable(hidden))))
            refs = list(map(list.__add__, refs, hidden))
            del hidden
        if is_dict:
            try:
                keys = list(map(list, map(dict.keys, chunk)))
            except RuntimeError:  # a dict changed size while read (another thread)
                keys = [_dict_key_list([d]) for d in chunk]
            refs = list(map(list.__add__, refs, keys))
            del keys
        if is_code:
            refs = list(map(list.__add__, refs, map(list, map(_code_parts, chunk))))
        lens = list(map(len, refs))
        flat = list(chain.from_iterable(refs))
        if via is not None:
            labels = via.labels(chunk, tp, refs)
        del refs
        targets = list(map(index.get, map(id, flat), repeat(-1)))
    else:  # one C call for the references, one pass for the counts per object
        flat = _get_referents(*chunk)
        lens = list(map(len, map(_get_referents, chunk)))
        targets = list(map(index.get, map(id, flat), repeat(-1)))
        if indeg is not None:
            _count_elements(indeg, targets)
    del flat
    if targets and min(targets) < 0:  # references to left-out objects: dropped
        keep = list(map((0).__le__, targets))
        cum = list(accumulate(lens))
        for p in compress(range(len(keep)), map(not_, keep)):
            lens[bisect_right(cum, p)] -= 1
        targets = list(compress(targets, keep))
        if labels is not None:
            labels = list(compress(labels, keep))
    return lens, targets, labels


def take(roots=None, *, collect: bool = False, via: bool = False,
         graph: bool = True) -> "HeapSnapshot":
    """Take a heap snapshot.

    Parameters
    ----------
    roots : iterable of objects, optional
        List only what is reachable from these objects; they are the roots of the
        dominator tree.  Classes, modules and module namespaces are not entered (as
        :func:`asizeof.asizeof` does): the snapshot is the data structure, not the
        program around it.  Default: the whole heap, with the
        roots found by reference counting (see the module docstring).
    collect : bool, default False
        Run ``gc.collect()`` first (then :meth:`HeapSnapshot.unreachable` is empty).
    via : bool, default False
        Also record how each reference is held (``.attr``, ``['key']``, ``[3]``) for
        :meth:`HeapSnapshot.by_via` and the names in :meth:`HeapSnapshot.retained_tree`.
        Costs a Python call per container; off by default.
    graph : bool, default True
        Record the references.  ``graph=False`` is a faster, smaller snapshot that
        supports ``by_type``/``by_module``/``by_size``/``new_since`` and ``dump`` only
        (no ``by_kind`` dict owners, ``by_rcs``, ``unreachable`` or dominators).

    Returns
    -------
    HeapSnapshot
        Holds ids, type names, sizes and the reference graph; no object.
    """
    for name, value in (("collect", collect), ("via", via), ("graph", graph)):
        if not isinstance(value, (bool, int)):
            raise TypeError("%s must be True or False, got %r" % (name, value))
    if via and not graph:
        raise ValueError("via=True needs graph=True (labels belong to references)")
    root_list = None
    if roots is not None:
        if isinstance(roots, (str, bytes)) or not hasattr(type(roots), "__iter__"):
            raise TypeError("roots must be an iterable of objects (e.g. [obj]), got %s"
                            % type(roots).__name__)
        root_list = list(roots)
    if collect:
        gc.collect()
    t0 = time.perf_counter()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        skip = _own_ids()
        skip.add(id(skip))  # (and the set itself)
        if root_list is not None:
            skip.add(id(root_list))
            objs = _discover_roots(root_list, skip)
            parts = [(objs, list(map(type, objs)), None)]
            root_ids = [id(r) for r in root_list]
            del root_list, objs
        else:
            tracked, ttys, rcs, untracked, utys = _discover_all(skip, graph)
            parts = [(tracked, ttys, rcs), (untracked, utys, None)]
            root_ids = None
            del tracked, ttys, rcs, untracked, utys
        snap = HeapSnapshot._build(parts, root_ids, via, graph)
        del parts
    finally:
        if was_enabled:
            gc.enable()
    object.__setattr__(snap, "_meta", dict(snap._meta, seconds=time.perf_counter() - t0))
    return snap


# --------------------------------------------------------------------------
# the retained size of one object, without a snapshot
# --------------------------------------------------------------------------

def _references(objs: list, tys: list, hidden: dict | None = None) -> list:
    """The references of ``objs`` (of types ``tys``) as a snapshot records them
    (``gc.get_referents``, dict keys, code parts, the size rules' ``refs``), with
    repeats.  ``hidden`` (optional) counts, per id, the references to tracked objects
    found by the rules (which the collector does not see)."""
    found = _get_referents(*objs)
    extra = _extra_referents(objs, tys, hidden)
    if extra:
        found.extend(chain.from_iterable(extra.values()))
    return found


def _whole_heap_roots(skip: set) -> tuple[list, list]:
    """``(roots, outside)``: the candidate roots of a whole-heap snapshot, the tracked
    objects referenced from more places than the other tracked objects, and for each
    the number of those other references (what :func:`take` finds before it counts
    the references the size rules see: a list held only by a numpy object array is
    among these candidates, see :func:`retained_size`).

    The references from tracked objects are counted without a table: listing them
    (``gc.get_referents``) raises each referent's reference count by the number of
    times it is listed.  (References from our own objects, in ``skip``, only reach
    our own objects: they are counted, and those objects are then left out.)
    """
    tracked = gc.get_objects()
    before = list(map(_getrefcount, tracked))
    listed = _get_referents(*tracked)
    after = list(map(_getrefcount, tracked))
    del listed
    # external references = before - base - (after - before)
    ext = list(map(sub, map(sub, map(add, before, before), after), repeat(_SINGLE_RC - 1)))
    is_root = _mask(map((0).__lt__, ext))
    roots = list(compress(tracked, is_root))
    ext = list(compress(ext, is_root))
    del tracked, before, after, is_root
    if skip:
        keep = list(map(not_, map(skip.__contains__, map(id, roots))))
        roots = list(compress(roots, keep))
        ext = list(compress(ext, keep))
    return roots, ext


def _closure_step(frontier: list, ftys: list, seen: set, outside: bool,
                  watch: int = 0, hidden: dict | None = None) -> tuple:
    """One breadth-first level: ``(new objects, their types, whether the object of id
    ``watch`` was referred to)``; ``hidden`` as for :func:`_references`.

    An object referenced exactly once (by the frontier object it was found in) cannot
    be met again: it is neither de-duplicated nor recorded in ``seen`` (most objects;
    the caller holds the watched object, so it is never one of them).  With
    ``outside``, classes and modules are neither listed nor entered.
    """
    found = _references(frontier, ftys, hidden)
    single = list(map(eq, map(_getrefcount, found), repeat(_SINGLE_RC)))
    new = list(compress(found, single))
    multi = list(compress(found, map(not_, single)))
    del found, single
    cand = dict(zip(map(id, multi), multi))
    del multi
    hit = watch in cand
    new_ids = list(filterfalse(seen.__contains__, cand))
    seen.update(new_ids)
    new.extend(map(cand.__getitem__, new_ids))
    del cand, new_ids
    tys = list(map(type, new))
    if outside and new:
        tset, tys = _type_set(tys)
        out = {t for t in tset if _outside(_real(t))}
        if out:
            keep = list(map(not_, map(out.__contains__, tys)))
            new = list(compress(new, keep))
            tys = list(compress(tys, keep))
    return new, tys, hit


def retained_size(obj, *, roots=None) -> int:
    """Bytes that only ``obj`` keeps alive (its flat size included), without a snapshot.

    The same number as ``take(roots=roots).retained_size(obj)`` (heapy's ``domisize``),
    computed without the dominator tree: what is reachable from the roots without
    passing through ``obj`` is alive anyway; ``obj`` retains what it reaches besides
    that.  Two breadth-first walks over the live objects, in bulk, keeping nothing
    (an object met through its only reference is not even recorded).

    Parameters
    ----------
    obj : object
    roots : iterable of objects, optional
        As for :func:`take`: the roots of a data structure (classes, modules and module
        namespaces not entered).  Default: the whole heap, roots found by reference
        counting.

    Returns
    -------
    int
        0 if ``obj`` is not reachable from the roots (garbage, or outside the
        structure), or is one of this tool's own objects.

    >>> from pympler_nb.core import heap
    >>> big = [bytearray(1000) for _ in range(10)]
    >>> heap.retained_size(big) >= 10 * 1000
    True
    """
    root_list = None
    if roots is not None:
        if isinstance(roots, (str, bytes)) or not hasattr(type(roots), "__iter__"):
            raise TypeError("roots must be an iterable of objects (e.g. [obj]), got %s"
                            % type(roots).__name__)
        root_list = list(roots)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        skip = _own_ids()
        skip.add(id(skip))  # (and the set itself)
        if root_list is None:
            root_objs, ext = _whole_heap_roots(skip)
            outside = False
        else:
            skip.add(id(root_list))
            skip |= _namespace_ids()
            root_objs = [r for r in dict(zip(map(id, root_list), root_list)).values()
                         if id(r) not in skip]
            ext = None
            outside = True
            del root_list
        if id(obj) in skip:
            return 0
        if ext is None:
            return _retained_walks(obj, root_objs, skip, outside)
        # A candidate root may be referenced only from objects the collector does not
        # see into (a list in a numpy object array): it is no root if the size rules
        # find as many references to it as were left unexplained.  The walks count
        # those references, apart (``inside``) those from what obj retains; if such a
        # candidate is referred to from there, the walks are done again without the
        # candidates that are no roots.  (Not when all the references come from what
        # is alive anyway: then the candidate is alive anyway too, unless it lies on
        # a cycle through arrays that nothing else reaches, which obj would then be
        # credited with by the snapshot but not here.)
        hidden: dict = {}
        inside: dict = {}
        size = _retained_walks(obj, root_objs, skip, outside, hidden, inside)
        if inside:
            for k, v in inside.items():
                hidden[k] = hidden.get(k, 0) + v
            real = _mask(map(int.__gt__, ext, map(hidden.get, map(id, root_objs), repeat(0))))
            if real.count(0) and any(map(inside.__contains__, map(
                    id, compress(root_objs, real.translate(_FLIP))))):
                root_objs = list(compress(root_objs, real))
                del real, ext, hidden, inside
                size = _retained_walks(obj, root_objs, skip, outside)
        return size
    finally:
        if was_enabled:
            gc.enable()


def _retained_walks(obj, root_objs: list, skip: set, outside: bool,
                    hidden: dict | None = None, inside: dict | None = None) -> int:
    """The two walks of :func:`retained_size` from ``root_objs``; ``hidden`` and
    ``inside`` (optional) count the references the size rules find to tracked
    objects, per id: from what is alive anyway, and from what ``obj`` retains."""
    # 1. what the roots reach without passing through obj (ids, where needed)
    seen = set(skip)
    seen.update(map(id, root_objs))
    alive = id(obj) in seen
    seen.add(id(obj))
    frontier = list(compress(root_objs, map(is_not, root_objs, repeat(obj))))
    ftys = list(map(type, frontier))
    while frontier:
        frontier, ftys, hit = _closure_step(frontier, ftys, seen, outside, id(obj), hidden)
        alive = alive or hit
    if not alive:
        return 0
    # 2. what obj reaches besides that
    kept, kept_tys = [obj], [type(obj)]
    frontier, ftys = [obj], [type(obj)]
    while frontier:
        frontier, ftys, _ = _closure_step(frontier, ftys, seen, outside, 0, inside)
        kept.extend(frontier)
        kept_tys.extend(ftys)
    del frontier, ftys, seen
    return sum(sum(_group_sizes(t, g)) for t, g, _ in _groups(kept, kept_tys))


# --------------------------------------------------------------------------
# the snapshot
# --------------------------------------------------------------------------

class HeapSet:
    """A set of objects of one snapshot (node indices), with its partitions.

    Attributes
    ----------
    snapshot : HeapSnapshot
    name : str
    """

    __slots__ = ("snapshot", "_nodes", "name")

    def __init__(self, snapshot, nodes, name="set"):
        object.__setattr__(self, "snapshot", snapshot)
        object.__setattr__(self, "_nodes", nodes)
        object.__setattr__(self, "name", name)

    def __setattr__(self, name, value):
        raise AttributeError("HeapSet is immutable (cannot set %r)" % (name,))

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
        _count_elements(pairs, zip(labels, node_sizes))
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

    def by_size(self) -> Partition:
        """Rows per power-of-two size class: ``'0'``, ``'1-1'``..., ``'33-64'``,
        ``'65-128'`` bytes."""
        bits = list(map(int.bit_length, map((-1).__add__, self._node_values(self.snapshot._sizes))))
        keys = {}
        for b in set(bits):
            lo, hi = (0, 0) if b < 0 else ((1 << (b - 1)) + 1 if b else 1, 1 << b)
            keys[b] = "0" if b < 0 else "%d-%d" % (lo, hi)
        order = sorted(keys)
        code = {b: i for i, b in enumerate(order)}
        return self._partition("size", list(map(code.__getitem__, bits)),
                               [keys[b] for b in order])

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
            _drain(map(member.__setitem__, nodes, repeat(1)))
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
        _drain(map(inside.__setitem__, nodes, repeat(1)))
        src, dst = snap._edges()
        into = _mask(map(inside.__getitem__, dst))
        pos = _select(range(len(into)), into)
        entry = [d for d, s in zip(map(dst.__getitem__, pos), map(src.__getitem__, pos))
                 if not inside[s]]
        del into, pos
        seen = inside.translate(_FLIP)  # walk the rows of ``nodes`` only
        frontier = list(dict.fromkeys(entry))
        _drain(map(seen.__setitem__, frontier, repeat(1)))
        while frontier:
            frontier = snap._next_level(frontier, seen)
        return HeapSet(snap, array("i", compress(nodes, map(seen.__getitem__, nodes))),
                       self.name)

    def __sub__(self, other: "HeapSet") -> "HeapSet":
        if not isinstance(other, HeapSet) or other.snapshot is not self.snapshot:
            return NotImplemented
        drop = set(other._nodes)
        return HeapSet(self.snapshot, array("i", filterfalse(drop.__contains__, self._nodes)),
                       "%s - %s" % (self.name, other.name))


class HeapSnapshot:
    """An immutable heap snapshot; create it with :func:`take` or :func:`load`.

    ``len(snap)`` objects of ``snap.size`` bytes; partitions as on :class:`HeapSet`
    (``snap.by_type()`` is ``snap.all.by_type()``).
    """

    __slots__ = ("_ids", "_tidx", "_type_names", "_type_modules", "_sizes", "_kind",
                 "_kind_names", "_off", "_tgt", "_roots", "_via", "_via_names", "_meta",
                 "_all_nodes", "_cache", "__weakref__")

    def __setattr__(self, name, value):
        raise AttributeError("HeapSnapshot is immutable (cannot set %r)" % (name,))

    # -- construction ----------------------------------------------------------

    @classmethod
    def _from_columns(cls, ids, tidx, type_names, type_modules, sizes, kind, kind_names,
                      off, tgt, roots, via, via_names, meta) -> "HeapSnapshot":
        self = object.__new__(cls)
        for name, value in (("_ids", ids), ("_tidx", tidx), ("_type_names", type_names),
                            ("_type_modules", type_modules), ("_sizes", sizes),
                            ("_kind", kind), ("_kind_names", kind_names), ("_off", off),
                            ("_tgt", tgt), ("_roots", roots), ("_via", via),
                            ("_via_names", via_names), ("_meta", meta),
                            ("_all_nodes", range(len(ids))), ("_cache", {})):
            object.__setattr__(self, name, value)
        _LIVE.add(self)
        return self

    @classmethod
    def _build(cls, parts: list, root_ids: list | None, via: bool,
               graph: bool = True) -> "HeapSnapshot":
        """A snapshot of ``parts``: ``[(objects, types, refcounts or None), ...]``.

        Rows are the objects grouped by type, part by part; a part with refcounts (the
        tracked objects of a whole-heap snapshot) must come first: its externally
        referenced objects are the roots.  Everything is done per type group or per
        chunk of a group, in bulk.
        """
        groups: list = []
        ntracked = 0
        for objs, tys, rcs in parts:
            got = _groups(objs, tys, rcs)
            if rcs is not None:
                ntracked = sum(len(g) for _, g, _ in got)
            groups.extend(got)
        del parts, objs, tys, rcs, got
        # columns, one type group at a time (types keyed by id: a metaclass may make a
        # class unhashable)
        tmap: dict = {}
        type_objs: list = []
        counts: list = []
        totals: list = []
        starts: list = []
        ids = array("Q")
        tidx = array("i")
        sizes = array("q")
        for t, g, _ in groups:
            tp = _real(t)
            code = tmap.get(id(tp))
            if code is None:
                code = tmap[id(tp)] = len(type_objs)
                type_objs.append(tp)
                counts.append(0)
                totals.append(0)
            starts.append(len(ids))
            ids += _ids_of(g)
            tidx += array("i", [code]) * len(g)
            s = _group_sizes(t, g)
            sizes += s
            counts[code] += len(g)
            totals[code] += sum(s)
            del s
        n = len(ids)
        type_names = [_type_text(t) for t in type_objs]
        type_modules = [_type_module(t) for t in type_objs]
        dict_code = tmap.get(id(dict))
        del tmap, type_objs
        off = array("q", [0])
        tgt = array("i")
        via_col = array("i") if via else None
        via_names: list = [] if via else None
        roots = array("i")
        owners: dict = {}
        if not graph:
            off = array("q", bytes(8 * (n + 1)))
        else:
            index = dict(zip(ids, range(n)))
            indeg: dict = {}  # references from tracked objects, per row (for the roots)
            labeller = _ViaLabels(index, via_names) if via else None
            rules = _rules_of([t for t, _, _ in groups])
            for (t, g, _), start in zip(groups, starts):
                tp = _real(t)
                counted = indeg if start < ntracked else None
                rule_refs = rules.get(t)
                for c0 in range(0, len(g), _CHUNK):
                    chunk = g[c0:c0 + _CHUNK] if len(g) > _CHUNK else g
                    got = _chunk_edges(chunk, tp, index, counted, labeller, rule_refs, indeg)
                    if got is None:  # leaves: no references
                        off.extend(repeat(off[-1], len(chunk)))
                        continue
                    lens, targets, labels = got
                    tgt.extend(targets)
                    if via:
                        via_col.extend(labels)
                    off.extend(islice(accumulate(lens, initial=off[-1]), 1, None))
                    del chunk, got, lens, targets, labels
            # roots
            if root_ids is not None:
                roots = array("i", dict.fromkeys(j for j in map(index.get, root_ids)
                                                 if j is not None))
            elif ntracked:
                base = _SINGLE_RC - 1
                rcs_rows = chain.from_iterable(r for _, _, r in groups if r is not None)
                ext = map(sub, map(sub, rcs_rows, repeat(base)),
                          map(indeg.get, range(ntracked), repeat(0)))
                roots = array("i", compress(range(ntracked), map((0).__lt__, ext)))
            del indeg
            owners = _dict_owners(groups, starts, index, tidx, dict_code)
            del index
        del groups
        # kinds: the type, or "dict of X" for __dict__ objects
        kind_names = list(type_names)
        kind_code: dict = {}
        kind = array("i", tidx)
        kcounts, ktotals = list(counts), list(totals)
        for j, name in owners.items():
            c = kind_code.get(name)
            if c is None:
                c = kind_code[name] = len(kind_names)
                kind_names.append(name)
                kcounts.append(0)
                ktotals.append(0)
            kind[j] = c
            kcounts[dict_code] -= 1
            ktotals[dict_code] -= sizes[j]
            kcounts[c] += 1
            ktotals[c] += sizes[j]
        meta = {"python": sys.version.split()[0], "created": time.time(),
                "mode": "roots" if root_ids is not None else "all", "graph": int(graph)}
        snap = cls._from_columns(ids, tidx, type_names, type_modules, sizes, kind,
                                 kind_names, off, tgt, roots, via_col, via_names, meta)
        snap._cache["totals"] = (array("q", counts), array("q", totals),
                                 array("q", kcounts), array("q", ktotals))
        return snap


    # -- basic properties ---------------------------------------------------------

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def size(self) -> int:
        """Total flat size of the objects, in bytes."""
        return sum(self._sizes)

    @property
    def count(self) -> int:
        return len(self._ids)

    @property
    def meta(self) -> dict:
        """``python`` version, ``created`` (epoch seconds), ``mode``, ``seconds`` taken."""
        return dict(self._meta)

    @property
    def all(self) -> HeapSet:
        return HeapSet(self, self._all_nodes, "all")

    @property
    def edge_count(self) -> int:
        return len(self._tgt)

    def __repr__(self):
        return "<HeapSnapshot %d objects, %s, %d references>" % (
            len(self), format_size(self.size), len(self._tgt))

    def __str__(self):
        return self.by_kind().format()

    def by_type(self) -> Partition:
        return self.all.by_type()

    def by_kind(self) -> Partition:
        return self.all.by_kind()

    def by_module(self) -> Partition:
        return self.all.by_module()

    def by_size(self) -> Partition:
        return self.all.by_size()

    def by_rcs(self) -> Partition:
        return self.all.by_rcs()

    def by_via(self) -> Partition:
        return self.all.by_via()

    by_type.__doc__ = HeapSet.by_type.__doc__
    by_kind.__doc__ = HeapSet.by_kind.__doc__
    by_module.__doc__ = HeapSet.by_module.__doc__
    by_size.__doc__ = HeapSet.by_size.__doc__
    by_rcs.__doc__ = HeapSet.by_rcs.__doc__
    by_via.__doc__ = HeapSet.by_via.__doc__

    # -- lookups ----------------------------------------------------------------------

    def node(self, obj_or_id) -> int:
        """The row of an object (given itself, or its id as an int) in this snapshot.

        Raises ``KeyError`` if it is not in the snapshot (created later, or left out).
        Ids are those of the time of the snapshot: after a restart, look rows up by
        the ids the snapshot shows.
        """
        oid = obj_or_id if type(obj_or_id) is int else id(obj_or_id)
        try:
            return self._ids.index(oid)
        except (ValueError, OverflowError):
            raise KeyError("object %#x is not in this snapshot (taken before it existed, "
                           "or one of the tool's own objects)" % oid) from None

    def referents(self, node: int) -> list:
        """Rows the object of row ``node`` refers to."""
        return list(self._tgt[self._off[node]:self._off[node + 1]])

    def type_of(self, node: int) -> str:
        return self._type_names[self._tidx[node]]

    # -- edges ------------------------------------------------------------------------

    def _require_graph(self, what: str) -> None:
        if not self._meta.get("graph", 1):
            raise ValueError("%s needs the references: this snapshot was taken with "
                             "graph=False; use heap.take() (graph=True)" % what)

    def _edges(self) -> tuple[array, array]:
        """``(src, dst)`` arrays, one entry per reference (cached)."""
        self._require_graph("this view")
        got = self._cache.get("edges")
        if got is None:
            off = self._off
            lens = map(sub, off[1:], off[:-1])
            src = array("i", chain.from_iterable(map(repeat, range(len(self)), lens)))
            got = self._cache["edges"] = (src, self._tgt)
        return got

    def _edge_kinds(self) -> array:
        """The kind of the referrer of each reference (parallel to the targets), from
        the runs of equal kinds in row order (rows are grouped by type)."""
        kind, off = self._kind, self._off
        n = len(kind)
        if not n:
            return array("i")
        starts = [0]
        starts.extend(compress(range(1, n), map(int.__ne__, islice(kind, 1, None), kind)))
        ends = starts[1:]
        ends.append(n)
        lens = map(sub, map(off.__getitem__, ends), map(off.__getitem__, starts))
        return array("i", chain.from_iterable(map(repeat, map(kind.__getitem__, starts), lens)))

    def _edge_label(self, holder: int, child: int) -> str | None:
        if self._via is None or holder < 0:
            return None
        lo, hi = self._off[holder], self._off[holder + 1]
        tg = self._tgt
        for e in range(lo, hi):
            if tg[e] == child:
                return self._via_names[self._via[e]]
        return None

    # -- reachability -------------------------------------------------------------------

    def _next_level(self, frontier, seen: bytearray) -> list:
        """The rows ``frontier`` refers to that are not marked in ``seen`` (each once,
        in order; marked on return).  Rows without references are not sliced."""
        off, tgt = self._off, self._tgt
        ends = list(map(off.__getitem__, map((1).__add__, frontier)))
        starts = list(map(off.__getitem__, frontier))
        if ends and min(map(sub, ends, starts)) == 0:
            has = list(map(int.__ne__, ends, starts))
            starts = compress(starts, has)
            ends = compress(ends, has)
        cand = chain.from_iterable(map(tgt.__getitem__, map(slice, starts, ends)))
        new = list(dict.fromkeys(filterfalse(seen.__getitem__, cand)))
        _drain(map(seen.__setitem__, new, repeat(1)))
        return new

    def _bfs(self) -> list:
        """Rows reachable from the roots in breadth-first order (level by level, in bulk)."""
        got = self._cache.get("bfs")
        if got is not None:
            return got
        self._require_graph("reachability")
        seen = bytearray(len(self))
        frontier = list(dict.fromkeys(self._roots))
        _drain(map(seen.__setitem__, frontier, repeat(1)))
        order = list(frontier)
        while frontier:
            frontier = self._next_level(frontier, seen)
            order.extend(frontier)
        self._cache["bfs"] = order
        self._cache["reached"] = seen
        return order

    def _retained_one(self, node: int) -> int:
        """The retained size of one row without the dominator tree: what the roots
        reach without passing through ``node`` is alive anyway; ``node`` retains what
        it reaches besides that (heapy's ``domisize``).  Two breadth-first walks."""
        self._require_graph("retained sizes")
        seen = bytearray(len(self))
        frontier = list(dict.fromkeys(self._roots))
        _drain(map(seen.__setitem__, frontier, repeat(1)))
        alive = False
        while frontier:
            if not alive and seen[node]:  # reached without passing through itself
                alive = True
                frontier = list(filter(node.__ne__, frontier))
            frontier = self._next_level(frontier, seen)
        alive = alive or seen[node]
        if not alive:
            return 0
        sizes = self._sizes
        total = sizes[node]
        frontier = [node]
        while frontier:
            frontier = self._next_level(frontier, seen)
            total += sum(map(sizes.__getitem__, frontier))
        return total

    @property
    def roots(self) -> HeapSet:
        """The roots: the given objects, or the externally referenced tracked objects."""
        return HeapSet(self, array("i", self._roots), "roots")

    @property
    def reachable(self) -> HeapSet:
        """Objects reachable from the roots (the live heap)."""
        order = self._bfs()
        return HeapSet(self, array("i", sorted(order)), "reachable")

    def unreachable(self) -> HeapSet:
        """Objects not reachable from any root: garbage that ``gc.collect()`` would free
        (cycles, and what only they hold).  Found by reference counting, without
        collecting, so the objects are still alive.  Empty for ``take(roots=...)``
        snapshots and after ``take(collect=True)`` (save for finalizer-made garbage)."""
        self._bfs()
        seen = self._cache["reached"]
        nodes = array("i", compress(range(len(self)), map(not_, seen)))
        return HeapSet(self, nodes, "unreachable")

    # -- reference points ---------------------------------------------------------------

    def new_since(self, ref: "HeapSnapshot", *, ignore_session: bool = True) -> HeapSet:
        """Objects of this snapshot that were not in ``ref`` (same id and type name).

        With ``ignore_session`` (the default), inside IPython, what the session keeps
        per executed cell (history entries, the last execution result, caches: see
        ``SummaryTracker(ignore_session=True)``) is left out.  Outside IPython it
        changes nothing.  ``HeapSet.anchored()`` then leaves out what only running
        code holds.
        """
        if not isinstance(ref, HeapSnapshot):
            raise TypeError("ref must be a HeapSnapshot (from heap.take()), got %s"
                            % type(ref).__name__)
        old = dict(zip(ref._ids, map(ref._type_names.__getitem__, ref._tidx)))
        if ignore_session:
            old.update(_session_objects())
        names = self._type_names
        is_old = map(str.__eq__, map(old.get, self._ids, repeat("")),
                     map(names.__getitem__, self._tidx))
        nodes = array("i", compress(range(len(self)), map(not_, is_old)))
        return HeapSet(self, nodes, "new")

    # -- dominators ---------------------------------------------------------------------

    def _dom_data(self) -> tuple:
        """``(idom, retained, total_retained, total_count)`` with ``idom[v]`` the
        immediate dominator row (-1: the virtual root; -2: unreachable)."""
        got = self._cache.get("dom")
        if got is None:
            got = self._cache["dom"] = _dominators(self)
        return got

    def _dom_counts(self) -> list:
        got = self._cache.get("domcount")
        if got is None:
            idom = self._dom_data()[0]
            order = self._bfs()
            cnt = [1] * len(self)
            for v in reversed(order):
                p = idom[v]
                if p >= 0:
                    cnt[p] += cnt[v]
            got = self._cache["domcount"] = cnt
        return got

    def _dominated(self, node: int) -> list:
        kids = self._cache.get("kids")
        if kids is None:
            idom = self._dom_data()[0]
            kids = {}
            for v in self._bfs():
                kids.setdefault(idom[v], []).append(v)
            self._cache["kids"] = kids
        return list(kids.get(node, ()))

    def dominator(self, obj_or_node) -> int:
        """Row of the immediate dominator (-1: dominated only by the virtual root)."""
        node = self._as_node(obj_or_node)
        d = self._dom_data()[0][node]
        if d == -2:
            raise KeyError("row %d is not reachable from the roots: it has no dominator" % node)
        return d

    def _as_node(self, obj_or_node, name="obj") -> int:
        if isinstance(obj_or_node, HeapNodeRef):
            return obj_or_node.node
        return self.node(obj_or_node)

    def retained_size(self, obj) -> int:
        """Bytes that only ``obj`` keeps alive (its flat size included).

        ``obj`` is the object itself (looked up by id) or :func:`row` of a row
        (``snap.retained_size(heap.row(12))``).  0 for an unreachable object.  The first
        few calls walk the graph twice (no dominator tree); later ones build the tree
        once (as :meth:`top_retainers` and :meth:`retained_tree` do) and read it.
        """
        node = self._as_node(obj)
        dom = self._cache.get("dom")
        if dom is None:
            # one object: two walks (no dominator tree); after a few, build the tree
            calls = self._cache.setdefault("retained_calls", [])
            calls.append(None)
            if len(calls) <= _FAST_RETAINED:
                return self._retained_one(node)
            dom = self._dom_data()
        return dom[1][node]

    def top_retainers(self, n: int = 10, *, min_size: int = 0) -> list:
        """The ``n`` objects with the largest retained sizes, as :class:`Retainer` rows.

        Objects that dominate each other are all listed (a module dict and the
        objects it holds); use :meth:`retained_tree` to browse the nesting.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError("n must be an int >= 0, got %r" % (n,))
        import heapq

        retained = self._dom_data()[1]
        best = heapq.nlargest(n, range(len(self)), key=retained.__getitem__)
        counts = self._dom_counts()
        return [Retainer(self._ids[v], self.type_of(v), self._sizes[v], retained[v], counts[v])
                for v in best if retained[v] > min_size]

    def retained_tree(self, obj=None) -> RetainedNode:
        """The dominator tree below ``obj`` (default: the virtual root of all roots),
        browsed lazily: ``node.children()`` lists the directly dominated objects."""
        if obj is None:
            return RetainedNode(self, -1)
        node = self._as_node(obj)
        if self._dom_data()[0][node] == -2:
            raise KeyError("row %d is not reachable from the roots (see unreachable())" % node)
        return RetainedNode(self, node)

    # -- persistence ---------------------------------------------------------------------

    def dump(self, path) -> None:
        """Save as versioned JSON (no pickle): see :func:`load`."""
        data = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "meta": self._meta,
            "types": [[n, m] for n, m in zip(self._type_names, self._type_modules)],
            "kinds": self._kind_names[len(self._type_names):],
            "ids": self._ids.tolist(),
            "type": self._tidx.tolist(),
            "kind": self._kind.tolist(),
            "size": self._sizes.tolist(),
            "offsets": self._off.tolist(),
            "targets": self._tgt.tolist(),
            "roots": self._roots.tolist(),
            "via": None if self._via is None else self._via.tolist(),
            "via_names": self._via_names,
        }
        path = _safeio.fspath(path, "heap snapshot")
        tmp = path + (b".tmp" if isinstance(path, bytes) else ".tmp")
        # UTF-8; names with surrogates come back exactly (see _safeio.dumps_json)
        with open(tmp, "wb") as fp:
            fp.write(_safeio.dumps_json(data))
        os.replace(tmp, path)


class HeapNodeRef(_Frozen):
    """A row number given where an object is expected (``heap.row(12)``)."""

    __slots__ = ("node",)

    def __init__(self, node: int):
        self._set(node=node)


def row(node: int) -> HeapNodeRef:
    """Refer to a snapshot row by number (for ``retained_size`` and friends)."""
    if isinstance(node, bool) or not isinstance(node, int) or node < 0:
        raise ValueError("row must be an int >= 0, got %r" % (node,))
    return HeapNodeRef(node)


__all__ += ["row", "HeapNodeRef"]


# --------------------------------------------------------------------------
# dominators: Cooper-Harvey-Kennedy over a breadth-first numbering
# --------------------------------------------------------------------------

def _dominators(snap: HeapSnapshot) -> tuple:
    n = len(snap)
    order = snap._bfs()  # reachable rows, breadth-first from the roots
    m = len(order)
    # rank space: 0 = virtual root, rows get 1..m in breadth-first order
    rank = array("i", [0]) * n  # 0 also for unreachable rows (their edges are dropped)
    _drain(map(rank.__setitem__, order, range(1, m + 1)))
    src, dst = snap._edges()
    rs = list(map(rank.__getitem__, src))
    rd = list(map(rank.__getitem__, dst))
    # drop edges from unreachable rows (rank 0), into the roots' own rank 0, self-loops
    keep = list(map(bool, map(int.__mul__, rs, rd)))
    rs = list(compress(rs, keep))
    rd = list(compress(rd, keep))
    del keep
    roots = set(map(rank.__getitem__, snap._roots))
    # in-degrees (the virtual root counts as one referrer of each root)
    indeg = [0] * (m + 1)
    cnt: dict = {}
    _count_elements(cnt, rd)
    for v, c in cnt.items():
        indeg[v] = c
    del cnt
    for r in roots:
        indeg[r] += 1
    idom = [-1] * (m + 1)
    idom[0] = 0
    for r in roots:
        if indeg[r] == 1:
            idom[r] = 0
    # rows with a single referrer: that referrer is the immediate dominator
    single = list(map((1).__eq__, map(indeg.__getitem__, rd)))
    _drain(map(idom.__setitem__, compress(rd, single), compress(rs, single)))
    # the others: predecessor lists, then iterate to the fixed point
    multi_mask = list(map(not_, single))
    del single
    preds: dict = {}
    for d, s in zip(compress(rd, multi_mask), compress(rs, multi_mask)):
        p = preds.get(d)
        if p is None:
            preds[d] = [s]
        else:
            p.append(s)
    del multi_mask, rs, rd
    for r in roots:
        if r in preds:
            preds[r].append(0)
    multi = sorted(preds)
    first = True
    changed = True
    while changed:
        changed = False
        for v in multi:
            new = -1
            for p in preds[v]:
                if first and p >= v:
                    continue  # not numbered yet on the first pass
                if idom[p] == -1:
                    continue
                if new == -1:
                    new = p
                    continue
                a = p
                b = new
                while a != b:
                    while a > b:
                        a = idom[a]
                    while b > a:
                        b = idom[b]
                new = a
                if new == 0:
                    break
            if new != idom[v]:
                idom[v] = new
                changed = True
        first = False
    # back to rows; retained sizes bottom-up (reverse breadth-first order)
    sizes = snap._sizes
    ret_r = [0] * (m + 1)
    _drain(map(ret_r.__setitem__, range(1, m + 1), map(sizes.__getitem__, order)))
    for v in range(m, 0, -1):
        ret_r[idom[v]] += ret_r[v]
    idom_rows = [-2] * n
    row_of = [-1] + order  # rank -> row (-1 for the virtual root)
    _drain(map(idom_rows.__setitem__, order, map(row_of.__getitem__, idom[1:])))
    retained = [0] * n
    _drain(map(retained.__setitem__, order, ret_r[1:]))
    return idom_rows, retained, ret_r[0], m


# --------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------

_FIELDS = ("format", "version", "meta", "types", "kinds", "ids", "type", "kind", "size",
           "offsets", "targets", "roots", "via", "via_names")


_INT64 = 1 << 63


def _int_list(data: dict, name: str, lo: int, hi: int, path: str) -> list:
    value = data[name]
    if type(value) is not list:
        raise HeapFormatError("%s: field %r must be a list of integers, got %s"
                              % (path, name, type(value).__name__))
    if value and set(map(type, value)) != {int}:
        raise HeapFormatError("%s: field %r must hold integers only" % (path, name))
    if value and (min(value) < lo or max(value) >= hi):
        raise HeapFormatError("%s: field %r has values outside [%d, %s)"
                              % (path, name, lo, "2**63" if hi == _INT64 else hi))
    return value


def load(path, *, max_bytes: int = _safeio.MAX_BYTES) -> HeapSnapshot:
    """Load a snapshot saved by :meth:`HeapSnapshot.dump`.

    The file is plain JSON: loading never runs code.  Every field is checked (format
    name, version, types and ranges, graph offsets); a malformed or foreign file
    raises :class:`HeapFormatError` (a ``ValueError``) naming the file and the bad
    field.  Loading is bounded: a file larger than ``max_bytes`` (default 128 MiB)
    is refused before it is read, one that does not start like JSON after its first
    chunk, one nested deeper than the format allows before it is parsed.  A missing
    or unreadable file or a directory raises an :class:`OSError` naming it.
    """
    raw, path = _safeio.read_file(path, what="heap snapshot", max_bytes=max_bytes,
                                  error=HeapFormatError,
                                  sniff=_safeio.json_sniffer(
                                      "heap snapshot", _safeio.display_path(_safeio.fspath(path, "heap snapshot")),
                                      error=HeapFormatError))
    # the format nests 3 levels deep ("types": [[name, module], ...])
    data = _safeio.loads_json(raw, what="heap snapshot", name=path, max_depth=8, error=HeapFormatError)
    del raw
    if type(data) is not dict:
        raise HeapFormatError("%s: not a heap snapshot (top level is %s, not an object)"
                              % (path, type(data).__name__))
    if data.get("format") != FORMAT:
        raise HeapFormatError("%s: format is %s, expected %r (save with HeapSnapshot.dump)"
                              % (path, _short(data.get("format")), FORMAT))
    version = data.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise HeapFormatError("%s: version %s is not supported (this pympler_nb reads version %d)"
                              % (path, _short(version), FORMAT_VERSION))
    missing = [f for f in _FIELDS if f not in data]
    if missing:
        raise HeapFormatError("%s: missing field(s) %s" % (path, ", ".join(missing)))
    meta = data["meta"]
    if type(meta) is not dict or not all(type(v) in (str, float) or (type(v) is int and -_INT64 <= v < _INT64)
                                         for v in meta.values()):
        raise HeapFormatError("%s: field 'meta' must be an object of strings and numbers "
                              "(integers within int64)" % path)
    tys = data["types"]
    if type(tys) is not list or not all(type(t) is list and len(t) == 2
                                        and all(type(x) is str for x in t) for t in tys):
        raise HeapFormatError("%s: field 'types' must be a list of [name, module] strings" % path)
    kinds = data["kinds"]
    if type(kinds) is not list or not all(type(k) is str for k in kinds):
        raise HeapFormatError("%s: field 'kinds' must be a list of strings" % path)
    ids = _int_list(data, "ids", 0, _INT64, path)
    n = len(ids)
    tidx = _int_list(data, "type", 0, len(tys), path)
    kind = _int_list(data, "kind", 0, len(tys) + len(kinds), path)
    size = _int_list(data, "size", 0, _INT64, path)
    off = _int_list(data, "offsets", 0, _INT64, path)
    tgt = _int_list(data, "targets", 0, max(n, 1), path)
    roots = _int_list(data, "roots", 0, max(n, 1), path)
    for name, col in (("type", tidx), ("kind", kind), ("size", size)):
        if len(col) != n:
            raise HeapFormatError("%s: field %r has %d entries for %d objects"
                                  % (path, name, len(col), n))
    if len(off) != n + 1 or off[0] != 0 or off[-1] != len(tgt) or \
            any(map(int.__gt__, off[:-1], off[1:])):
        raise HeapFormatError("%s: field 'offsets' must rise from 0 to len(targets) with one "
                              "entry per object plus one" % path)
    via, via_names = data["via"], data["via_names"]
    if via is not None:
        if type(via_names) is not list or not all(type(x) is str for x in via_names):
            raise HeapFormatError("%s: field 'via_names' must be a list of strings" % path)
        via = _int_list(data, "via", 0, max(len(via_names), 1), path)
        if len(via) != len(tgt):
            raise HeapFormatError("%s: field 'via' needs one entry per target" % path)
        via = array("i", via)
    else:
        via_names = None
    type_names = [t[0] for t in tys]
    return HeapSnapshot._from_columns(
        array("Q", ids), array("i", tidx), type_names, [t[1] for t in tys], array("q", size),
        array("i", kind), type_names + list(kinds), array("q", off), array("i", tgt),
        array("i", roots), via, via_names, dict(meta, loaded_from=path))


# --------------------------------------------------------------------------
# a session with a reference point (heapy's hpy())
# --------------------------------------------------------------------------

class HeapSession:
    """Heapy's ``hpy()`` in small: a reference point and views relative to it.

    >>> hs = HeapSession()
    >>> hs.setref()
    >>> data = [object() for _ in range(100)]
    >>> hs.heap().by_type().row("object").count >= 100
    True
    """

    __slots__ = ("_ref",)

    def __init__(self):
        # what a snapshot imports lazily is imported now, so that the session's first
        # "new since" view does not list the tool's own modules as new objects
        from .. import _format, _graphwalk, asizeof, summary  # noqa: F401

        self._ref: HeapSnapshot | None = None

    def setref(self, snapshot: HeapSnapshot | None = None) -> None:
        """Take (or use) a snapshot as the reference point: later :meth:`heap` views
        show only objects created after it."""
        if snapshot is not None and not isinstance(snapshot, HeapSnapshot):
            raise TypeError("setref takes a HeapSnapshot or nothing, got %s"
                            % type(snapshot).__name__)
        self._ref = None
        self._ref = snapshot if snapshot is not None else take()

    def clearref(self) -> None:
        self._ref = None

    @property
    def reference(self) -> HeapSnapshot | None:
        return self._ref

    def snapshot(self, **options) -> HeapSnapshot:
        """A fresh whole-heap snapshot (see :func:`take` for the options)."""
        return take(**options)

    def heap(self, **options) -> HeapSet:
        """The reachable objects, only those new since :meth:`setref` if it was called."""
        snap = take(**options)
        live = snap.reachable
        if self._ref is None:
            return live
        new = snap.new_since(self._ref)
        keep = set(live._nodes)
        return HeapSet(snap, array("i", filter(keep.__contains__, new._nodes)), "new")

    def heapu(self, **options) -> HeapSet:
        """The unreachable (collectable) objects, not freed."""
        return take(**options).unreachable()
