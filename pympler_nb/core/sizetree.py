"""Bounded size trees: the largest children of each node, the rest folded into one row.

:func:`asizeof.asized` lists every referent down to ``detail`` levels: one
:class:`~pympler_nb.core.asizeof.Asized` node, named by its repr, per item of a
million-item list. :func:`top_sized` sizes the same objects with the same totals but
keeps, per node, only the ``top`` largest children (largest first) and one
``"other (K more)"`` node that carries the size of the rest, so every node still adds
up (``size == flat + sum(child.size)``). Children beyond the shown ones are sized in
bulk by the sizing engine and never named, so the cost stays close to
:func:`~pympler_nb.core.asizeof.asizeof` of the same objects.

Every node records its type name (``Asized.type``; ``None`` for the "other" node and for
a class-owned shared key).

Accounting is that of :meth:`Asizer.asizesof` at every level: each object given (each
sibling) counts itself, what several of them reach is counted once, in the first of them
in their own order; the roots together add up to ``asizeof(*objs)``.

Order: children largest first, ties in their own order; the key and the value of a dict
entry stay together (``[K] k`` then ``[V] k: v``) and are ordered by their sum.

>>> from pympler_nb.core.sizetree import top_sized
>>> from pympler_nb.core.asizeof import asizeof
>>> data = list(range(1000, 1100)) + ["x" * 500]
>>> (tree,) = top_sized(data, detail=1, top=3, names=["data"])
>>> [(n.name[:6], n.type, n.size) for n in tree.refs]
[("'xxxxx", 'str', 549), ('1000', 'int', 32), ('1001', 'int', 32), ('other ', None, 3136)]
>>> tree.refs[-1].name, tree.refs[-1].more
('other (98 more)', 98)
>>> tree.size == asizeof(data) == tree.flat + sum(n.size for n in tree.refs)
True
"""

from __future__ import annotations

import gc
import heapq
from collections import deque
from itertools import chain, compress, islice, repeat
from operator import add, and_, eq, is_, lt, not_

from . import asizeof as _az
from ._format import clip_text, safe_repr

__all__ = ["top_sized", "SizeNode", "OTHER", "DEFAULT_TOP"]

DEFAULT_TOP = 20
OTHER = "other ({:,} more)"  # the name of the node holding the children not shown

_SEQ_TYPES = frozenset(_az._SEQUENCES)
_FEW = 256  # up to this many children that are not atoms are walked one by one


def top_sized(*objs, detail: int = 1, top: int | None = DEFAULT_TOP, names=None, limit=None,
              align: int = 1, code: bool = False, clip: int = 80):
    """:class:`~pympler_nb.core.asizeof.Asized` trees of ``objs``, at most ``top`` children
    per node (largest first) plus an ``"other (K more)"`` node.

    Parameters
    ----------
    *objs
        The objects; sized together, each object counted once (in the first object that
        reaches it).
    detail : int
        Levels of children below each object (0: totals only).
    top : int or None
        Children kept per node (a dict entry's key and value are kept together, so a
        dict shows up to ``top`` rows); ``None`` keeps every child.
    names : sequence of str, optional
        The roots' names (default: their clipped reprs).
    limit, align, code, clip
        The :func:`~pympler_nb.core.asizeof.asizeof` options.

    Returns
    -------
    tuple of Asized
        One tree per object, in order (the same object given twice: the same tree).

    Raises
    ------
    ValueError
        For a ``detail`` or ``top`` that is not an int >= 0 / >= 1, or a bad sizing option.
    """
    if type(detail) is not int or detail < 0:
        raise ValueError(f"detail={detail!r}: use an int >= 0")
    if top is not None and (type(top) is not int or top < 1):
        raise ValueError(f"top={top!r}: use an int >= 1, or None for every child")
    opts = {"limit": limit, "align": align, "code": bool(code), "clip": clip}
    sizer = _az.Asizer(**opts)  # invalid options raise here, naming the value
    if names is not None:
        names = [str(n) for n in names]
        if len(names) != len(objs):
            raise ValueError(f"names must give one name per object: {len(objs)} objects, "
                             f"{len(names)} names")
    was_enabled = gc.isenabled()
    gc.disable()  # the many small records made here must not set off full collections
    try:
        return _Builder(sizer, opts, detail, top).build(objs, names)
    finally:
        if was_enabled:
            gc.enable()


class SizeNode(_az.Asized):
    """A node of :func:`top_sized`: an :class:`~pympler_nb.core.asizeof.Asized` that also
    records ``oid``, the ``id()`` of the sized object (an int, never a reference; ``None``
    for the "other" node, a class-owned shared key and an instance's attribute values
    shown as ``__dict__``), and ``more``, the number of children folded into an "other"
    node (0 for the others)."""

    __slots__ = ("oid", "more")

    def __init__(self, size, flat, refs=(), name=None, type=None, oid=None, more=0):  # noqa: A002
        super().__init__(size, flat, refs, name, type)
        self.oid = oid
        self.more = more


# ---------------------------------------------------------------------------
# entries: SINGLE (each kid alone), PAIRS (kids 2j, 2j+1 together) or a list of index tuples
SINGLE = "single"
PAIRS = "pairs"


def _children(sizer, ctx, obj, info, clip):
    """``(kids, namer, entries)``: the referents of ``obj`` in
    :func:`~pympler_nb.core.asizeof.named_refs` order, a function naming kid ``i`` (called
    only for the kids shown), and how kids are kept together (:data:`SINGLE`,
    :data:`PAIRS` or a list of index tuples).

    Exact sequences and dicts are listed without naming their items.
    """
    vclip = max(clip, 1)
    tp = type(obj)
    if tp is _az._VirtualDict:  # an instance's attributes: [K] name, [V] name: value
        names = [name for name, _ in obj.pairs]
        kids = [val for _, val in obj.pairs]
        return kids, names.__getitem__, _pair_entries(names)
    if tp in _SEQ_TYPES:
        try:
            kids = list(tp.__iter__(obj))
        except _az._SAFE_CATCH:
            kids = []
        return kids, lambda i: safe_repr(kids[i], vclip), SINGLE
    if tp is dict and info.kind == _az._DICT:
        items = []
        for _ in range(3):
            try:
                items = list(dict.items(obj))
                break
            except RuntimeError:  # changed size during iteration (another thread)
                continue
        kids = list(chain.from_iterable(items))
        if _az._layout.split_dict_correction(obj) is not None:  # keys owned by the class
            kids[0::2] = [_az._SHARED] * len(items)

        def namer(i):
            key = items[i // 2][0]
            kname = clip_text(key if type(key) is str else safe_repr(key, vclip), vclip)
            if i % 2 == 0:
                return "[K] " + kname
            return "[V] " + kname + ": " + safe_repr(items[i // 2][1], vclip)

        return kids, namer, PAIRS
    pairs = _az._named_refs_of(sizer, obj, info, clip, ctx)
    names = [name for name, _ in pairs]
    return [ref for _, ref in pairs], names.__getitem__, _pair_entries(names)


def _pair_entries(names):
    """Entries of a named listing: a ``[K] k`` followed by its ``[V] k: v`` is one entry."""
    out = []
    i, n = 0, len(names)
    while i < n:
        if i + 1 < n and names[i].startswith("[K] ") and names[i + 1].startswith("[V] "):
            out.append((i, i + 1))
            i += 2
        else:
            out.append((i,))
            i += 1
    return out


def _choose(entries, sizes, top):
    """The entries shown (tuples of kid indices), largest first (ties in their order),
    within ``top`` rows (at least one entry)."""
    n = len(sizes)
    if entries == SINGLE:
        return [(i,) for i in _largest(sizes, top)]
    if entries == PAIRS:
        esizes = list(map(add, sizes[0::2], sizes[1::2]))
        return [(2 * e, 2 * e + 1) for e in _largest(esizes, None if top is None else max(1, top // 2))]
    esizes = [sum(map(sizes.__getitem__, e)) for e in entries]
    order = _largest(esizes, top)
    shown, rows = [], 0
    for e in order:
        entry = entries[e]
        if top is not None and shown and rows + len(entry) > top:
            break
        shown.append(entry)
        rows += len(entry)
    return shown


def _largest(sizes, top):
    """Indices of the ``top`` largest ``sizes`` (all for None), largest first, ties in
    index order; in C but for the few above the cut."""
    n = len(sizes)
    if top is None or top >= n:
        return sorted(range(n), key=sizes.__getitem__, reverse=True)
    cut = heapq.nlargest(top, sizes)[-1]
    above = list(compress(range(n), map(lt, repeat(cut), sizes)))
    above.sort(key=sizes.__getitem__, reverse=True)
    above += islice(compress(range(n), map(eq, repeat(cut), sizes)), top - len(above))
    return above


class _Node:
    """A node being expanded (a frame of the builder's explicit stack)."""

    __slots__ = ("name", "type", "flat", "depth", "kids", "namer", "entries", "pre", "sizes",
                 "flats", "trees", "shown", "pos", "oid")


class _Builder:
    def __init__(self, sizer, opts, detail, top):
        self.sizer = sizer
        self.opts = opts
        self.detail = detail
        self.top = top
        self.clip = opts["clip"]
        self.ctx = None

    def build(self, objs, names=None):
        sizer = self.sizer
        out, done = [], {}
        names = names or [None] * len(objs)
        ctx, extra = sizer._begin((), {id(o) for o in objs})  # the others are not followed
        self.ctx = ctx
        try:
            for o, name in zip(objs, names):
                i = id(o)
                if i in extra:
                    sizer._seen.discard(i)
                    extra.discard(i)
                tree = done.get(i)
                if tree is None:
                    tree = done[i] = self._tree(o, safe_repr(o, self.clip) if name is None else name)
                else:  # the same object again: counted in its first row
                    tree = SizeNode(0, 0, (), tree.name if name is None else name, tree.type, i)
                out.append(tree)
        finally:
            sizer._end(ctx, extra)
            self.ctx = None
        return tuple(out)

    # -- one tree, iteratively ------------------------------------------------------
    def _tree(self, root, name):
        stack: list[_Node] = []
        result = self._enter(root, name, 0, stack, None)
        while stack:
            node = stack[-1]
            if self._advance(node, stack):  # a shown child was pushed to be expanded
                continue
            stack.pop()
            finished = self._finish(node)
            if stack:
                parent = stack[-1]
                parent.trees[parent.pos] = finished
                parent.sizes[parent.pos] = finished.size
                parent.flats[parent.pos] = finished.flat
                parent.pos += 1
            else:
                result = finished
        return result

    def _enter(self, obj, name, depth, stack, pre):
        """A finished :class:`Asized` for ``obj``, or None after pushing a node to expand."""
        sizer, ctx = self.sizer, self.ctx
        seen = sizer._seen
        if obj is _az._SHARED:
            return SizeNode(0, 0, (), name)
        if type(obj) is _az._VirtualDict:
            if depth >= self.detail:
                size, flat = self._virtual_leaf(sizer, obj, depth)
                return SizeNode(size, flat, (), name, "dict")
            self._push(stack, obj, name, "dict", obj.flat, depth, None)
            return None
        i = id(obj)
        if pre is not None and i in pre:  # a sibling: counted here, not by the others
            pre.discard(i)
            seen.discard(i)
        elif i in seen or (depth and i in ctx.ignore):
            return SizeNode(0, 0, (), name, _az._typename(type(obj)), i)
        info = ctx.types.get(type(obj)) or sizer._info(ctx, type(obj))
        if info.kind == _az._ATOM or depth >= self.detail or not sizer._enabled(info):
            size = sizer._walk(ctx, (obj,), depth0=depth)
            return SizeNode(size, sizer._root_flat, (), name, info.name, i)
        seen.add(i)
        flat = sizer._size_group(ctx, [obj], info, None)
        sizer._total += flat
        self._push(stack, obj, name, info.name, flat, depth, info).oid = i
        return None

    def _push(self, stack, obj, name, tname, flat, depth, info):
        sizer, ctx = self.sizer, self.ctx
        kids, namer, entries = _children(sizer, ctx, obj, info, self.clip)
        virtual = [] if entries in (SINGLE, PAIRS) else [k for k in kids if type(k) is _az._VirtualDict]
        if type(obj) is not _az._VirtualDict:
            flat -= sum(k.flat for k in virtual)  # the values array is shown as the '__dict__' node
        node = _Node()
        node.name, node.type, node.flat, node.depth = name, tname, flat, depth
        node.kids, node.namer, node.entries = kids, namer, entries
        node.trees = {}
        node.oid = None
        n = len(kids)
        if depth + 1 >= self.detail:  # the children are leaves: sized in bulk, in order
            node.pre = None
            node.sizes, node.flats = self._leaf_sizes(sizer, kids, depth + 1, None, entries)
            node.shown = frozenset()
            node.pos = n
        else:
            # siblings are not followed from each other (as Asizer.asizesof)
            seen = sizer._seen
            pre = set(map(id, kids)) - seen - ctx.ignore
            pre.discard(id(_az._SHARED))
            pre.difference_update(map(id, virtual))
            seen |= pre
            node.pre = pre
            node.sizes, node.flats = [0] * n, [0] * n
            node.pos = 0
            if self.top is None or n <= self.top:
                node.shown = frozenset(range(n))
            else:  # choose the largest on a scratch copy of the state, then size for real
                scratch = _az.Asizer(**self.opts)
                scratch._seen = set(seen)
                scratch._claimed = set(sizer._claimed)
                trial, _ = self._leaf_sizes(scratch, kids, depth + 1, set(pre))
                chosen = _choose(entries, trial, self.top)
                node.shown = frozenset(i for entry in chosen for i in entry)
        stack.append(node)
        return node

    def _advance(self, node, stack) -> bool:
        """Size the node's next children in order: a run of children not shown in bulk,
        then each shown one entered; True when one was pushed to be expanded."""
        kids, shown = node.kids, node.shown
        n = len(kids)
        while node.pos < n:
            pos = node.pos
            if pos in shown:
                tree = self._enter(kids[pos], node.namer(pos), node.depth + 1, stack, node.pre)
                if tree is None:
                    return True
                node.trees[pos] = tree
                node.sizes[pos] = tree.size
                node.flats[pos] = tree.flat
                node.pos += 1
                continue
            end = pos + 1
            while end < n and end not in shown:
                end += 1
            node.sizes[pos:end], node.flats[pos:end] = self._leaf_sizes(
                self.sizer, kids[pos:end], node.depth + 1, node.pre)
            node.pos = end
        return False

    def _finish(self, node):
        sizes, flats = node.sizes, node.flats
        chosen = _choose(node.entries, sizes, self.top)
        refs = []
        kids, trees = node.kids, node.trees
        for entry in chosen:
            for i in entry:
                tree = trees.get(i)
                if tree is None:
                    kid = kids[i]
                    oid = None
                    if kid is _az._SHARED:
                        tname = None
                    elif type(kid) is _az._VirtualDict:
                        tname = "dict"
                    else:
                        tname = _az._typename(type(kid))
                        oid = id(kid)
                    tree = SizeNode(sizes[i], flats[i], (), node.namer(i), tname, oid)
                refs.append(tree)
        rest = len(kids) - len(refs)
        if rest:
            size = sum(sizes)
            flat = size if flats is sizes else sum(flats)
            size -= sum(r.size for r in refs)
            flat -= sum(r.flat for r in refs)
            refs.append(SizeNode(size, flat, (), OTHER.format(rest), None, None, rest))
        return SizeNode(node.flat + sum(r.size for r in refs), node.flat, refs, node.name, node.type,
                        node.oid)

    # -- bulk sizing ------------------------------------------------------------------
    def _virtual_leaf(self, sizer, obj, depth):
        """``(size, flat)`` of an instance's attributes (no ``__dict__`` object) at ``depth``."""
        vals = [v for _, v in obj.pairs if v is not _az._SHARED]
        return obj.flat + (sizer._walk(self.ctx, vals, depth + 1, False) if vals else 0), obj.flat

    def _leaf_sizes(self, sizer, kids, depth, pre, tps_hint=None):
        """``(sizes, flats)`` of ``kids`` (at ``depth``), sized in bulk by the engine: each
        in full, the siblings not followed from each other (as :meth:`Asizer.asizesof`),
        what several reach counted in the first of them, a kid given twice counted in its
        first row, a kid counted before this node 0.

        ``pre`` is None when ``kids`` are all of a node's children, else the ids of the
        siblings marked as counted beforehand (only the kids among them count); the kids
        sized are removed from it. ``tps_hint`` is :data:`SINGLE` for the items of an exact
        sequence (no class-owned key among them).
        """
        ctx = self.ctx
        seen = sizer._seen
        n = len(kids)
        sizes, flats = [0] * n, [0] * n
        if not n:
            return sizes, flats
        ids = list(map(id, kids))
        skip = ctx.ignore.intersection(ids)
        if tps_hint is not SINGLE:  # a class-owned key (dicts, attribute listings)
            skip |= {id(_az._SHARED)}.intersection(ids)
        elig = None if pre is None else list(map(pre.__contains__, ids))
        if skip:
            keep = list(map(not_, map(skip.__contains__, ids)))
            elig = keep if elig is None else list(map(and_, elig, keep))
        pos = range(n) if elig is None else list(compress(range(n), elig))
        tps = list(map(type, kids))
        kinds = {tp: (ctx.types.get(tp) or sizer._info(ctx, tp)) for tp in set(tps)}
        kinds.pop(_az._VirtualDict, None)
        fast = sizer._align == 1 and not sizer._stats
        atoms = {tp for tp, info in kinds.items() if info.kind == _az._ATOM} if fast else set()
        ptps = tps if elig is None else list(map(tps.__getitem__, pos))
        if atoms:
            if len(atoms) == len(kinds) and _az._VirtualDict not in tps:
                a_pos, others = pos, []
            else:
                is_atom = list(map(atoms.__contains__, ptps))
                a_pos = list(compress(pos, is_atom))
                others = list(compress(pos, map(not_, is_atom)))
            self._atoms(sizer, kids, ids, tps, kinds, atoms, a_pos, pre, sizes)
            if len(a_pos) == n:  # an atom's flat size is its size: one list for both
                flats = sizes
            else:
                deque(map(flats.__setitem__, a_pos, map(sizes.__getitem__, a_pos)), 0)
        else:
            others = pos
        if not others:
            if pre is not None:
                pre.difference_update(ids)
            return sizes, flats
        vpos = [k for k in others if tps[k] is _az._VirtualDict]
        if vpos:
            others = [k for k in others if tps[k] is not _az._VirtualDict]
        objs = list(map(kids.__getitem__, others))
        if pre is None:  # not marked: the walk marks them all at its first level
            free = frozenset()
        else:
            free = set(map(id, objs))
        # many small kids: one walk for all of them; a few: one plain walk each is cheaper
        res = sizer._walk_many(ctx, objs, free) if len(objs) > _FEW else None
        if res is not None:
            deque(map(sizes.__setitem__, others, res[0]), 0)
            deque(map(flats.__setitem__, others, res[1]), 0)
        else:  # one at a time, the others marked so that none follows another
            if pre is None:
                free = set(map(id, objs)) - seen
                seen |= free
            for k, kid in zip(others, objs):
                i = id(kid)
                if i in free:
                    free.discard(i)
                    seen.discard(i)
                    sizes[k] = sizer._walk(ctx, (kid,), depth0=depth)
                    flats[k] = sizer._root_flat
        for k in vpos:
            sizes[k], flats[k] = self._virtual_leaf(sizer, kids[k], depth)
        if pre is not None:
            pre.difference_update(ids)
        return sizes, flats

    def _atoms(self, sizer, kids, ids, tps, kinds, atoms, a_pos, pre, sizes):
        """Flat-size the atoms at positions ``a_pos`` into ``sizes`` and mark them counted;
        an atom counts in its first row only, and not at all if it was counted before."""
        seen = sizer._seen
        a_ids = ids if len(a_pos) == len(ids) else list(map(ids.__getitem__, a_pos))
        everything = len(a_pos) == len(kids)
        for tp in atoms:
            if len(atoms) == 1:
                where, group = a_pos, (kids if everything else list(map(kids.__getitem__, a_pos)))
            elif everything:  # split by type in C
                where = list(compress(a_pos, map(is_, tps, repeat(tp))))
                group = list(compress(kids, map(is_, tps, repeat(tp))))
            else:
                where = list(compress(a_pos, map(is_, map(tps.__getitem__, a_pos), repeat(tp))))
                group = list(map(kids.__getitem__, where))
            if not where:
                continue
            part, _, _ = sizer._flat_refs_each(group, kinds[tp], [])
            if len(where) == len(sizes):
                sizes[:] = part
            else:
                deque(map(sizes.__setitem__, where, part), 0)
        if pre is None:
            prior = seen.intersection(a_ids)
            before = len(seen)
            seen.update(a_ids)
            clean = not prior and len(seen) - before == len(a_ids)
        else:
            prior = ()  # the caller passed only ids in pre: counted here
            clean = len(set(a_ids)) == len(a_ids)
        if not clean:  # counted before, or given twice: 0 but in the first row
            first = set()
            for k, i in zip(a_pos, a_ids):
                if i in prior or i in first:
                    sizes[k] = 0
                else:
                    first.add(i)
        counted = sum(sizes) if len(a_pos) == len(sizes) else sum(map(sizes.__getitem__, a_pos))
        sizer._total += counted
        sizer._seen_count += len(a_pos)
