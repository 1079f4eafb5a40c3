"""Heap snapshots: :func:`take`, :class:`HeapSnapshot`, :func:`load` and heapy's
``hpy()`` reference point (:class:`HeapSession`).

A snapshot is taken once and then only read.  It stores, in flat ``array`` columns,
one row per object (its ``id``, a type index, its flat size, a kind) and its outgoing
references as row numbers (a CSR graph); it keeps no reference to any object.  The
walk that lists the objects is :mod:`.discovery`; subsets and partitions are
:mod:`.sets`; dominators and retained sizes :mod:`.dominators`; the file format
:mod:`.persistence`.

>>> from pympler_nb.core import heap
>>> data = {"rows": [bytearray(100) for _ in range(5)]}
>>> snap = heap.take(roots=[data])
>>> len(snap), snap.by_type().row("bytearray").count  # the dict, 'rows', the list...
(8, 5)
>>> snap.retained_size(data) == snap.size
True
>>> snap.type_of(snap.dominator(data["rows"][0]))  # the list holds each bytearray
'list'
"""

from __future__ import annotations

import gc
import sys
import time
from array import array
from itertools import accumulate, chain, compress, filterfalse, islice, repeat
from operator import not_, sub

from .. import _safeio
from . import producers
from ..session import own_ids, register_own
from .._format import format_size
from ..objwalk import SINGLE_REFCOUNT as _SINGLE_RC, real_type as _real, rules_of as _rules_of
from .discovery import (
    CHUNK,
    LIVE,
    ViaLabels,
    chunk_edges,
    dict_owners,
    discover_all,
    discover_roots,
    drain,
    group_sizes,
    ids_of,
    root_list_of,
    session_objects,
    split_by_type,
    type_module,
    type_text,
)
from .._accel import speedups
from .dominators import DominatorTree, RetainedNode, graph_columns, immediate_dominators
from .persistence import FORMAT, FORMAT_VERSION, read_columns, write_columns
from ..values import Frozen, check_int
from .sets import HeapSet, Partition

__all__ = ["take", "load", "row", "HeapSnapshot", "HeapNodeRef", "HeapSession"]

_FAST_RETAINED = 3  # retained_size() calls answered without the dominator tree


# --------------------------------------------------------------------------
# taking a snapshot
# --------------------------------------------------------------------------

def take(roots=None, *, collect: bool = False, via: bool = False,
         graph: bool = True, prod: bool | None = None) -> "HeapSnapshot":
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
    prod : bool, optional
        Record where each object was allocated, for :meth:`HeapSnapshot.by_prod`
        (heapy's ``byprod``; see :mod:`.producers`).  Default: when tracemalloc is
        tracing.  ``prod=True`` without tracing raises ``ValueError``.

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
    if prod is None:
        prod = producers.is_tracing()
    elif not isinstance(prod, (bool, int)):
        raise TypeError("prod must be True, False or None, got %r" % (prod,))
    elif prod and not producers.is_tracing():
        raise ValueError("prod=True needs tracemalloc tracing: call tracemalloc.start() "
                         "(or allocations.start()) before creating the objects")
    root_list = root_list_of(roots)
    if collect:
        gc.collect()
    t0 = time.perf_counter()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        skip = own_ids()
        skip.add(id(skip))  # (and the set itself)
        if root_list is not None:
            skip.add(id(root_list))
            objs = discover_roots(root_list, skip)
            parts = [(objs, list(map(type, objs)), None)]
            root_ids = [id(r) for r in root_list]
            del root_list, objs
        else:
            tracked, ttys, rcs, untracked, utys = discover_all(skip, graph)
            parts = [(tracked, ttys, rcs), (untracked, utys, None)]
            root_ids = None
            del tracked, ttys, rcs, untracked, utys
        snap = HeapSnapshot._build(parts, root_ids, via, graph, bool(prod))
        del parts
    finally:
        if was_enabled:
            gc.enable()
    snap._set(_meta=dict(snap._meta, seconds=time.perf_counter() - t0))
    return snap



class HeapSnapshot(Frozen):
    """An immutable heap snapshot; create it with :func:`take` or :func:`load`.

    ``len(snap)`` objects of ``snap.size`` bytes; partitions as on :class:`HeapSet`
    (``snap.by_type()`` is ``snap.all.by_type()``).
    """

    __slots__ = ("_ids", "_tidx", "_type_names", "_type_modules", "_sizes", "_kind",
                 "_kind_names", "_off", "_tgt", "_roots", "_via", "_via_names", "_meta",
                 "_all_nodes", "_cache", "_prod", "_prod_names", "__weakref__")

    def _own_objects(self) -> list:
        """The snapshot and the containers it holds (see :func:`_snapshots_own`)."""
        own: list = [self]
        for name in type(self).__slots__:
            if name == "__weakref__":
                continue
            value = getattr(self, name, None)
            if value is not None and type(value) not in (int, float, str, bool):
                own.append(value)
        for value in list(self._cache.values()):  # derived tables (bfs order, dominators)
            own.append(value)
            if type(value) is tuple:
                own.extend(value)
            elif type(value) is dict:  # node -> dominated nodes (lists)
                own.extend(value.values())
        return own

    # -- construction ----------------------------------------------------------

    @classmethod
    def _from_columns(cls, ids, tidx, type_names, type_modules, sizes, kind, kind_names,
                      off, tgt, roots, via, via_names, meta, prod=None,
                      prod_names=None) -> "HeapSnapshot":
        self = object.__new__(cls)
        self._set(_ids=ids, _tidx=tidx, _type_names=type_names, _type_modules=type_modules,
                  _sizes=sizes, _kind=kind, _kind_names=kind_names, _off=off, _tgt=tgt,
                  _roots=roots, _via=via, _via_names=via_names, _meta=meta,
                  _all_nodes=range(len(ids)), _cache={}, _prod=prod, _prod_names=prod_names)
        LIVE.add(self)
        return self

    @classmethod
    def _build(cls, parts: list, root_ids: list | None, via: bool,
               graph: bool = True, prod: bool = False) -> "HeapSnapshot":
        """A snapshot of ``parts``: ``[(objects, types, refcounts or None), ...]``.

        Rows are the objects grouped by type, part by part; a part with refcounts (the
        tracked objects of a whole-heap snapshot) must come first: its externally
        referenced objects are the roots.  Everything is done per type group or per
        chunk of a group, in bulk.
        """
        groups: list = []
        ntracked = 0
        for objs, tys, rcs in parts:
            got = split_by_type(objs, tys, rcs)
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
            ids += ids_of(g)
            tidx += array("i", [code]) * len(g)
            s = group_sizes(t, g)
            sizes += s
            counts[code] += len(g)
            totals[code] += sum(s)
            del s
        n = len(ids)
        prod_col, prod_names = producers.allocation_sites(groups) if prod else (None, None)
        type_names = [type_text(t) for t in type_objs]
        type_modules = [type_module(t) for t in type_objs]
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
            labeller = ViaLabels(index, via_names) if via else None
            rules = _rules_of([t for t, _, _ in groups])
            for (t, g, _), start in zip(groups, starts):
                tp = _real(t)
                counted = indeg if start < ntracked else None
                rule_refs = rules.get(t)
                for c0 in range(0, len(g), CHUNK):
                    chunk = g[c0:c0 + CHUNK] if len(g) > CHUNK else g
                    got = chunk_edges(chunk, tp, index, counted, labeller, rule_refs, indeg)
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
            owners = dict_owners(groups, index, tidx, dict_code)
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
                                 kind_names, off, tgt, roots, via_col, via_names, meta,
                                 prod_col, prod_names)
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

    def by_size(self, *, buckets: bool = False) -> Partition:
        return self.all.by_size(buckets=buckets)

    def by_id(self) -> Partition:
        return self.all.by_id()

    def by_idset(self) -> Partition:
        return self.all.by_idset()

    def by_unity(self) -> Partition:
        return self.all.by_unity()

    def by_prod(self) -> Partition:
        return self.all.by_prod()

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
    by_id.__doc__ = HeapSet.by_id.__doc__
    by_idset.__doc__ = HeapSet.by_idset.__doc__
    by_unity.__doc__ = HeapSet.by_unity.__doc__
    by_prod.__doc__ = HeapSet.by_prod.__doc__

    @property
    def has_prod(self) -> bool:
        """Whether allocation sites were recorded (:meth:`by_prod` works)."""
        return self._prod is not None

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
        drain(map(seen.__setitem__, new, repeat(1)))
        return new

    def _bfs(self) -> list:
        """Rows reachable from the roots in breadth-first order (level by level, in bulk)."""
        got = self._cache.get("bfs")
        if got is not None:
            return got
        self._require_graph("reachability")
        sp = speedups()
        if sp is not None:  # the same order, from a C queue
            order, seen = sp.bfs(len(self), *graph_columns(self._off, self._tgt, self._roots))
            self._cache["bfs"] = order
            self._cache["reached"] = seen
            return order
        seen = bytearray(len(self))
        frontier = list(dict.fromkeys(self._roots))
        drain(map(seen.__setitem__, frontier, repeat(1)))
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
        drain(map(seen.__setitem__, frontier, repeat(1)))
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

    def _freed_size(self, nodes) -> int:
        """Flat size of what goes when all of ``nodes`` go at once (themselves
        included): what the roots reach, less what they reach with ``nodes`` removed.
        One breadth-first walk, in bulk."""
        self._require_graph("retained sizes")
        sizes = self._sizes
        full = sum(map(sizes.__getitem__, self._bfs()))
        seen = bytearray(len(self))
        removed = set(nodes)
        drain(map(seen.__setitem__, removed, repeat(1)))
        frontier = list(filterfalse(seen.__getitem__, dict.fromkeys(self._roots)))
        drain(map(seen.__setitem__, frontier, repeat(1)))
        while frontier:
            frontier = self._next_level(frontier, seen)
        alive = sum(compress(sizes, seen)) - sum(map(sizes.__getitem__, removed))
        return full - alive

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
            old.update(session_objects())
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
            got = self._cache["dom"] = immediate_dominators(self)
        return got

    def dominators(self) -> DominatorTree:
        """The :class:`~pympler_nb.core.heap.DominatorTree` of the reachable objects,
        computed once (a breadth-first walk and a fixed point): its tables are kept
        with the snapshot, later calls are free."""
        # (the tables are cached, not the tree: it refers to the snapshot, and a cycle
        # would keep a dropped snapshot alive until the next collection)
        self._require_graph("the dominator tree")
        return DominatorTree(self)

    def dominator(self, obj_or_node) -> int:
        """Row of the immediate dominator (-1: dominated only by the virtual root)."""
        return self.dominators().dominator(self._as_node(obj_or_node))

    def _as_node(self, obj_or_node) -> int:
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
        if self._cache.get("dom") is None:
            # one object: two walks (no dominator tree); after a few, build the tree
            calls = self._cache.setdefault("retained_calls", [])
            calls.append(None)
            if len(calls) <= _FAST_RETAINED:
                return self._retained_one(node)
        return self.dominators().retained(node)

    def top_retainers(self, n: int = 10, *, min_size: int = 0) -> list:
        """The ``n`` objects with the largest retained sizes, as :class:`Retainer` rows.

        Objects that dominate each other are all listed (a module dict and the
        objects it holds); use :meth:`retained_tree` to browse the nesting.
        (:meth:`HeapSet.top_retainers` does the same within a subset.)
        """
        check_int(n, "n")
        return self.dominators().top_retainers(n, min_size=min_size)

    def retained_tree(self, obj=None, *, name: str | None = None) -> RetainedNode:
        """The dominator tree below ``obj`` (default: the virtual root of all roots),
        browsed lazily: ``node.children()`` lists the directly dominated objects.
        ``name`` is what the node is called (default: its type).  Raises ``KeyError``
        if ``obj`` is not reachable from the roots."""
        return self.dominators().node(-1 if obj is None else self._as_node(obj), name)

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
        if self._prod is not None:
            data["prod"] = self._prod.tolist()
            data["prod_names"] = self._prod_names
        write_columns(data, path)


def _snapshots_own() -> list:
    """Our own objects of every live snapshot, for the session's registry: the snapshot,
    its columns and derived tables (bfs order, dominators; not the strs and numbers inside
    them, which are only reached through them unless shared, like the small int 1 or a
    type's name), and the registry of live snapshots with its weak references."""
    own: list = [LIVE, LIVE.data]
    own.extend(LIVE.data)
    for snap in list(LIVE):
        own.extend(snap._own_objects())
    return own


register_own(_snapshots_own)


class HeapNodeRef(Frozen):
    """A row number given where an object is expected (``heap.row(12)``)."""

    __slots__ = ("node",)

    def __init__(self, node: int):
        self._set(node=node)


def row(node: int) -> HeapNodeRef:
    """Refer to a snapshot row by number (for ``retained_size`` and friends)."""
    check_int(node, "row")
    return HeapNodeRef(node)



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
    return HeapSnapshot._from_columns(*read_columns(path, max_bytes))


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

