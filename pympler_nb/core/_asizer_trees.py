"""Size trees of :class:`Asizer`: :class:`Asized`/:class:`SizeNode` trees to ``detail``
levels and the lazily sized children of a node (mixed into :class:`Asizer`)."""

from __future__ import annotations

import copy as _copy
import gc
import sys
from collections import Counter, deque
from itertools import compress, repeat
from operator import is_, not_

from . import _accel, _layout
from ._asized import (
    FEW_ROOTS,
    OTHER,
    SHARED,
    Asized,
    Kids,
    Part,
    SizeNode,
    TreeChildren,
    largest_first_groups,
    tree_type_name,
)
from ._labels import name_text
from ._referents import EXACT_COVERED_IDS, group_by_type, part_objs, tree_refs, unique_types
from ._sizerules import (
    ATOM,
    DICT,
    IGNORE,
    INST,
    INT_FIX,
    INT_FIXED,
    INT_ONE_DIGIT,
    INT_SIZEOF,
    PLAIN_ATOM_IDS,
    SAFE_CATCH,
)
from .gcsafe import get_referents
from .values import check_int

_getsizeof = sys.getsizeof
_get_referents = get_referents

class TreeSizing:
    """The size-tree methods of :class:`Asizer` (a mixin: they use its walk)."""

    def size_trees(self, *objs, top=None, names=None, final=False):
        """:class:`SizeNode` trees of ``objs`` to ``detail`` levels (see
        ``pympler_nb.core.sizetree.top_sized``): :meth:`asized`'s trees and totals, each
        node recording its type name, ``id()`` and counting-order index, at most ``top``
        children per node (largest first, whole dict entries) and one ``"other (K
        more)"`` node with the rest. ``names``: the roots' names (default: their names
        in size trees). The same object given again gives a 0-byte root (counted in its
        first). ``final=True``: this sizer is not used after the call, so what the last
        level of the last tree counts is not recorded as sized (faster on big containers;
        a later call of the same sizer would count those objects again)."""
        check_int(top, "top", 1, none="every child")
        if names is not None:
            names = [str(n) for n in names]
            if len(names) != len(objs):
                raise ValueError(f"names must give one name per object: {len(objs)} objects, "
                                 f"{len(names)} names")
        return tuple(self._trees(objs, top, True, names, final))

    def _trees(self, objs, top=None, record=False, names=None, final=False):
        self._given += len(objs)
        out = []
        done = {}
        ctx, extra = self._begin((), {id(o) for o in objs}, objs)  # the others are not followed
        was_enabled = gc.isenabled()
        gc.disable()  # the many small records made here must not set off full collections
        try:
            for k, o in enumerate(objs):
                i = id(o)
                if i in extra:
                    self._seen.discard(i)
                    extra.discard(i)
                name = None if names is None else names[k]
                tree = done.get(i)
                if tree is None:
                    last = final and k == len(objs) - 1  # nothing is sized after this tree
                    tree = done[i] = self._asized_tree(ctx, o, top, record, name, last)
                elif record:  # the same object again: counted in its first row
                    tree = SizeNode(0, 0, (), tree.name if name is None else name, tree.type, i)
                out.append(tree)
        finally:
            if was_enabled:
                gc.enable()
            self._end(ctx, extra)
        return out

    def _asized_tree(self, ctx, root, top=None, record=False, name=None, final=False):
        """The :class:`Asized` tree of ``root`` to ``detail`` levels (iterative, DFS).

        How sizes are shared (the rule :meth:`tree_children` replays): the children of a
        node are counted in counting order (:func:`tree_refs`); all of them are first
        marked as counted, so a child that a sibling also reaches counts in its own row
        (as :meth:`asizesof` does), and what several children reach counts once, in the
        first of them; everything the node's ancestors and their earlier siblings
        reached counts 0. A node's size is its flat size plus its children's sizes, so
        the root's size is :meth:`asizeof`'s whatever ``detail`` is (``limit`` aside).
        Children are stored largest first, a dict entry's key and value together.
        Names are made after the whole tree is sized (``repr`` may change objects).

        ``top`` (an int): a node keeps only its ``top`` largest children (whole dict
        entries, at least one) and one ``"other (K more)"`` node with the rest's sizes
        (:data:`OTHER`), the same counting: the children not kept are sized in bulk and
        never named. Where such a node's kept children are expanded further, they are
        chosen on a scratch copy of the state first. ``record``: :class:`SizeNode`
        records (type name, ``id()``, counting-order index) instead of :class:`Asized`.
        ``name``: the root's name (default: its name in size trees). ``final``: nothing
        is sized after this tree and the sizer is dropped (:meth:`size_trees`): the
        root's children, when they are its last level, are sized without recording them.
        """
        detail = self._detail
        seen = self._seen
        clip = self._clip
        named = []  # (node, lazy name), named at the end
        # frames: [name, flat, kids, results, index, depth, pending, tname, oid, pos, sizes, flats]
        # results: a list (every child, in counting order), or with ``top`` cutting the
        # node, a dict {index: node} of the children expanded and sizes/flats of them all
        stack = []
        result = None

        def leaf(size, flat, name, obj=None, index=None):
            if record:
                node = SizeNode(size, flat, (), None, tree_type_name(obj),
                                None if obj is None or obj is SHARED or type(obj) is Part else id(obj), 0, index)
            else:
                node = Asized(size, flat, (), None, tree_type_name(obj))
            named.append((node, name))
            return node

        def push(name, flat, kids, depth, obj, index):
            tname = tree_type_name(obj)
            oid = None
            if record:
                oid = None if type(obj) is Part else id(obj)
            stack.append([name, flat, kids, [], 0, depth, None, tname, oid, index, None, None])

        def open_(obj, name, depth, index):
            """A claimed object at ``depth``: a finished leaf, or a frame pushed (None)."""
            if type(obj) is Part:
                if depth >= detail:
                    vals = part_objs(obj.kids)
                    return leaf(obj.flat + (self._walk(ctx, vals, depth + 1, False) if vals else 0), obj.flat,
                                name, obj, index)
                push(name, obj.flat, obj.kids, depth, obj, index)
                return None
            info = ctx.types.get(id(type(obj))) or self._info(ctx, type(obj))
            if depth == 0:  # the object given: always sized (a module, a class, None, ...)
                info = self._given_info(info, type(obj))
            if depth >= detail or info.kind == ATOM or not self._enabled(info):
                size = self._walk(ctx, (obj,), depth0=depth, given=depth == 0)
                return leaf(size, self._root_flat, name, obj, index)
            seen.add(id(obj))
            self._seen_count += 1
            flat = self._size_group(ctx, [obj], info, None)
            self._total += flat
            kids = tree_refs(self, obj, info, ctx)
            if id(type(obj)) not in EXACT_COVERED_IDS:  # the items of a list or a dict are never parts
                for ref in kids.objs:
                    if type(ref) is Part:
                        flat -= ref.flat  # e.g. the values array, shown as the '__dict__' node
            push(name, flat, kids, depth, obj, index)
            return None

        rid = id(root)
        rname = ("r", "", root) if name is None else name
        if rid in seen:
            self._duplicate += 1
            result = leaf(0, 0, rname, root)
        else:
            result = open_(root, rname, 0, None)
        while stack:
            frame = stack[-1]
            kids, res = frame[2], frame[3]
            depth = frame[5] + 1
            n = len(kids)
            if frame[6] is None:
                cut = top is not None and n > top
                if depth >= detail:  # all children are leaves: size them in one pass
                    frame[6] = ()
                    # the root's children are the last level sized: its last walk, in C,
                    # need not record them; a list's, dict's... items are never parts
                    last = final and len(stack) == 1
                    sizes, flats = self._level_sizes(ctx, kids, depth, last,
                                                     last and id(type(root)) in EXACT_COVERED_IDS)
                    if cut:  # named at the end, only those kept
                        frame[3], frame[10], frame[11] = {}, sizes, flats
                    else:
                        for i, size, flat in zip(range(n), sizes, flats):
                            res.append(leaf(size, flat, kids.name(i), kids.objs[i], i))
                    frame[4] = n
                    res = frame[3]
                    continue
                frame[6] = pending = self._preseed(ctx, kids)
                if cut:  # expand only the children kept: chosen on a scratch copy
                    trial, _ = self._scratch()._sibling_sizes(ctx, kids, depth, set(pending))
                    frame[3] = {i: None for i in largest_first_groups(trial, kids, top)}
                    frame[10], frame[11] = [0] * n, [0] * n
                    trial = None
                res = frame[3]
            index = frame[4]
            if index < n:
                if type(res) is dict and index not in res:  # a run of children not kept: in bulk
                    end = index + 1
                    while end < n and end not in res:
                        end += 1
                    run = kids.objs[index:end]
                    ids = set(map(id, run))
                    pending = frame[6]
                    part = pending.intersection(ids)
                    s, f = self._sibling_sizes(ctx, Kids(run), depth, part)
                    pending.difference_update(ids)
                    frame[10][index:end], frame[11][index:end] = s, f
                    frame[4] = end
                    continue
                frame[4] = index + 1
                obj = kids.objs[index]
                name = kids.name(index)
                if obj is SHARED:
                    node = leaf(0, 0, name, obj, index)
                elif type(obj) is Part or self._claim(ctx, frame[6], obj):
                    node = open_(obj, name, depth, index)
                else:
                    self._duplicate += 1
                    node = leaf(0, 0, name, obj, index)
                if node is not None:
                    self._tree_add(frame, index, node)
                continue
            stack.pop()
            if type(res) is dict:
                sizes, flats = frame[10], frame[11]
                order = largest_first_groups(sizes, kids, top)
                refs = [res.get(i) or leaf(sizes[i], flats[i], kids.name(i), kids.objs[i], i) for i in order]
                rest = n - len(refs)
                if rest:
                    size = sum(sizes) - sum(r.size for r in refs)
                    flat = sum(flats) - sum(r.flat for r in refs)
                    refs.append(SizeNode(size, flat, (), OTHER.format(rest), None, None, rest) if record
                                else Asized(size, flat, (), OTHER.format(rest)))
            else:
                order = largest_first_groups([r.size for r in res], kids)
                refs = [res[i] for i in order]
            size = frame[1] + sum(r.size for r in refs)
            if record:
                node = SizeNode(size, frame[1], refs, None, frame[7], frame[8], 0, frame[9])
            else:
                node = Asized(size, frame[1], refs, None, frame[7])
            named.append((node, frame[0]))
            if stack:
                self._tree_add(stack[-1], stack[-1][4] - 1, node)
            else:
                result = node
        labels = {}
        for node, name in named:
            node.name = name if type(name) is str and record and node is result else name_text(name, clip, labels)
        return result

    @staticmethod
    def _tree_add(frame, index, node):
        """A finished child ``node`` (at counting-order ``index``) of a tree frame."""
        res = frame[3]
        if type(res) is dict:
            res[index] = node
            frame[10][index] = node.size
            frame[11][index] = node.flat
        else:
            res.append(node)

    def _scratch(self):
        """A copy of this sizer whose counting state can change without changing ours
        (to size children on trial)."""
        s = _copy.copy(self)
        s._seen = set(self._seen)
        s._claimed = set(self._claimed)
        s._profiles = {}
        s._largest = []
        s._type_largest = {}
        s._skipped = Counter()
        return s

    # -- the tree's counting rule, shared by asized and tree_children ---------------------
    def _preseed(self, ctx, kids):
        """Mark the children of a node as counted before any is sized (each then counts
        in its own row); returns the ids marked."""
        seen = self._seen
        objs = kids.objs
        pending = set(map(id, objs))
        pending.difference_update(seen)
        pending.difference_update(ctx.ignore)
        pending.discard(id(SHARED))
        if any(map(is_, map(type, objs), repeat(Part))):
            for r in objs:
                if type(r) is Part:
                    pending.discard(id(r))
        seen.update(pending)
        return pending

    def _claim(self, ctx, pending, obj) -> bool:
        """True if ``obj`` (a pre-seeded child) counts in its row: it is then unmarked,
        to be sized; False if it was counted elsewhere (or is never counted)."""
        i = id(obj)
        if i in pending:
            pending.discard(i)
            self._seen.discard(i)
            return True
        return False

    def _level_sizes(self, ctx, kids, depth, last=False, items=False):
        """``(sizes, flats)`` of all the children ``kids`` of a node at ``depth``, counted
        as :meth:`_preseed` then :meth:`_sibling_sizes` count them, fast where the engine
        can (no parts or shared keys among them): atoms (they reach nothing, so no
        sibling reaches through them) flat-sized by type in C; the others in one bulk
        walk, which marks them all at its first level so that none is followed from
        another, or one plain walk each when they are few (deep objects: a walk per root
        is cheaper than tracking roots). Ignored objects (small ints, module dicts) are
        marked for the walk's first level only, so they count 0. ``last``: the sizer's
        last level (see ``_asized_tree``): its last walk leaves ``seen`` as it was;
        ``items`` (with ``last``): the children are the items of a list, dict, ... (never
        parts): all of them in one walk in C, atoms included."""
        objs = kids.objs
        n = len(objs)
        if n <= 8 or self._limit is not None or self._align > 1 or self._stats:
            return self._sibling_sizes(ctx, kids, depth, self._preseed(ctx, kids), last)
        if items and _accel.speedups() is not None:  # atoms are no cheaper apart in C
            return self._bulk_sizes(ctx, objs, last)
        all_tps = list(map(type, objs))
        tps = unique_types(objs, all_tps)  # by identity: no metaclass __hash__/__eq__ runs
        if id(Part) in tps or id(object) in tps:
            return self._sibling_sizes(ctx, kids, depth, self._preseed(ctx, kids), last)
        infos = [(tp, ctx.types.get(tid) or self._info(ctx, tp)) for tid, tp in tps.items()]
        atoms = [(tp, info) for tp, info in infos if info.kind == ATOM]
        if len(atoms) == len(infos):
            return self._atom_sizes(ctx, objs, infos, all_tps)
        sizes = flats = None
        where = None
        if (len(atoms) == 1 and len(infos) == 2 and kids.groups == "pairs" and n % 2 == 0
                and all(map(is_, all_tps[0::2], repeat(atoms[0][0])))):
            # a dict's entries, atom keys (str, int) and other values: split by slicing
            a_sizes, _ = self._atom_sizes(ctx, objs[0::2], atoms)
            sizes = [0] * n
            sizes[0::2] = a_sizes
            flats = list(sizes)
            where = slice(1, None, 2)
            objs = objs[1::2]
            kids = Kids(objs)
            a_sizes = None
        elif atoms:  # the atoms first (each counts in its own row whatever the order)
            if len(atoms) == 1:
                mask = list(map(is_, all_tps, repeat(atoms[0][0])))
            else:
                atom_ids = frozenset(id(tp) for tp, _ in atoms)
                mask = list(map(atom_ids.__contains__, map(id, all_tps)))
            a_sizes, _ = self._atom_sizes(ctx, list(compress(objs, mask)), atoms, list(compress(all_tps, mask)))
            sizes = [0] * n
            deque(map(sizes.__setitem__, compress(range(n), mask), a_sizes), 0)
            flats = list(sizes)
            where = list(compress(range(n), map(not_, mask)))
            objs = list(compress(objs, map(not_, mask)))
            kids = Kids(objs)
            mask = a_sizes = None
        res = self._bulk_sizes(ctx, objs, last) if len(objs) > FEW_ROOTS else None
        if res is None:  # few (or the bulk walk cannot keep the order): one walk each
            pending = self._preseed(ctx, kids)
            r_s, r_f = [0] * len(objs), [0] * len(objs)
            for k, r in enumerate(objs):
                if self._claim(ctx, pending, r):
                    r_s[k] = self._walk(ctx, (r,), depth0=depth)
                    r_f[k] = self._root_flat
                else:
                    self._duplicate += 1
            res = (r_s, r_f)
        if where is None:
            return res[0], res[1]
        if type(where) is slice:
            sizes[where] = res[0]
            flats[where] = res[1]
            return sizes, flats
        deque(map(sizes.__setitem__, where, res[0]), 0)
        deque(map(flats.__setitem__, where, res[1]), 0)
        return sizes, flats

    def _bulk_sizes(self, ctx, objs, last=False):
        """``(sizes, flats)`` of ``objs`` in one bulk walk (:meth:`_walk_many`), or None
        where it cannot keep their order. Ignored objects among them (small ints, module
        dicts) count 0. ``last``: the sizer's last walk (see :meth:`_walk_many`)."""
        res = self._walk_many(ctx, objs, ignored_roots=True, last=last)
        return None if res is None else (res[0], res[1])

    def _atom_sizes(self, ctx, objs, infos, tps=None):
        """:meth:`_level_sizes` of children that are all atoms (they reach nothing):
        flat sizes by type, in C; one counted before, ignored or given again counts 0.
        ``infos``: ``[(type, info)]`` of the atoms' types; ``tps``: the objects' types
        (listed if not given)."""
        seen = self._seen
        n = len(objs)
        ids = list(map(id, objs))
        prior = seen.intersection(ids)
        ign = ctx.ignore.intersection(ids) if ctx.ignore else set()
        before = len(seen)
        seen.update(ids)
        added = len(seen) - before
        if len(infos) == 1:
            ((tp, info),) = infos
            sizes = self._flat_refs_each(objs, info, [])[0]
        elif all(id(tp) in PLAIN_ATOM_IDS and info.kind == ATOM for tp, info in infos):
            # exact int, float and str: sys.getsizeof is their own C __sizeof__ (they have
            # no gc header), one pass over them all; the per-type totals are only counted
            sizes = list(map(_getsizeof, objs))
            if any(tp is int for tp, _ in infos):
                sizes = list(map(INT_FIXED.get, sizes, sizes))
            if tps is None:
                tps = list(map(type, objs))
            for tp, info in infos:
                part = list(compress(sizes, map(is_, tps, repeat(tp))))
                prof = self._profiles.get(info.name)
                if prof is None:
                    self._profiles[info.name] = [len(part), sum(part), info]
                else:
                    prof[0] += len(part)
                    prof[1] += sum(part)
        else:
            sizes = [0] * n
            if tps is None:
                tps = list(map(type, objs))
            for tp, info in infos:
                mask = list(map(is_, tps, repeat(tp)))
                part = self._flat_refs_each(list(compress(objs, mask)), info, [])[0]
                deque(map(sizes.__setitem__, compress(range(n), mask), part), 0)
        if prior or ign or added != n:  # counted before, ignored, or given twice: 0 but the first
            zero = prior | ign
            repeats = added != n - (sum(map(prior.__contains__, ids)) if prior else 0)
            if not repeats:  # in C: only the ones counted before or ignored
                deque(map(sizes.__setitem__, compress(range(n), map(zero.__contains__, ids)), repeat(0)), 0)
            else:
                first = set()
                for k, i in enumerate(ids):
                    if i in zero or i in first:
                        sizes[k] = 0
                    else:
                        first.add(i)
            if ign:
                seen -= ign - prior  # ignored objects are never marked
        self._total += sum(sizes)
        self._seen_count += added
        return sizes, list(sizes)

    def _sibling_sizes(self, ctx, kids, depth, pending, last=False):
        """``(sizes, flats)`` of pre-seeded children ``kids`` at ``depth``, sized one
        after the other (one bulk walk where the engine can keep that order; ``last``:
        the sizer's last walk, see :meth:`_walk_many`)."""
        objs = kids.objs
        n = len(objs)
        tps = unique_types(objs)
        if id(Part) not in tps and self._align == 1 and not self._stats and n > 8:
            # atoms (numbers, strings) reach nothing: their size is their flat size
            atoms = [tid for tid, tp in tps.items()
                     if (ctx.types.get(tid) or self._info(ctx, tp)).kind == ATOM]
            if atoms:
                return self._sibling_sizes_atoms(ctx, kids, depth, pending, frozenset(atoms))
        if id(Part) not in tps:
            if len(pending) == n:  # all distinct and to be counted: the common case
                claim, where = objs, None
            else:
                claim = []
                where = {}
                for r in objs:
                    i = id(r)
                    if i in pending and i not in where:
                        where[i] = len(claim)
                        claim.append(r)
            res = self._walk_many(ctx, claim, frozenset(pending), last=last) if claim else ([], [], [])
            if res is not None:
                pending.clear()
                sizes, flats, _ = res
                if where is None:
                    return sizes, flats
                out_s, out_f = [0] * n, [0] * n
                for k, r in enumerate(objs):
                    j = where.pop(id(r), None)
                    if j is None:
                        self._duplicate += r is not SHARED
                    else:
                        out_s[k] = sizes[j]
                        out_f[k] = flats[j]
                return out_s, out_f
        out_s, out_f = [0] * n, [0] * n
        for k, r in enumerate(objs):
            if r is SHARED:
                continue
            if type(r) is Part:
                vals = part_objs(r.kids)
                out_s[k] = r.flat + (self._walk(ctx, vals, depth + 1, False) if vals else 0)
                out_f[k] = r.flat
            elif self._claim(ctx, pending, r):
                out_s[k] = self._walk(ctx, (r,), depth0=depth)
                out_f[k] = self._root_flat
            else:
                self._duplicate += 1
        return out_s, out_f

    def _sibling_sizes_atoms(self, ctx, kids, depth, pending, atoms):
        """:meth:`_sibling_sizes` with the atoms sized apart, by type in C (they reach
        nothing, so no sibling can reach through them); the others by the bulk walk."""
        objs = kids.objs
        n = len(objs)
        is_atom = list(map(atoms.__contains__, map(id, map(type, objs))))  # atoms: type ids
        out_s, out_f = [0] * n, [0] * n
        ids = list(map(id, objs))
        first = dict(zip(reversed(list(compress(ids, is_atom))), reversed(list(compress(range(n), is_atom)))))
        claim = list(pending.intersection(first))  # the atoms counted here, each at its first place
        where = list(map(first.__getitem__, claim))
        size_of = {}
        for tp, group in group_by_type(list(map(objs.__getitem__, where))):
            info = ctx.types.get(id(tp)) or self._info(ctx, tp)
            sizes = self._flat_sizes(group, info)
            if info.fn is INT_SIZEOF:
                sizes = [s + INT_FIX if s == INT_ONE_DIGIT else s for s in sizes]
            size_of.update(zip(map(id, group), sizes))
            total = sum(sizes)
            self._total += total
            self._seen_count += len(group)
            prof = self._profiles.get(info.name)
            if prof is None:
                self._profiles[info.name] = [len(group), total, info]
            else:
                prof[0] += len(group)
                prof[1] += total
        for k, size in zip(where, map(size_of.__getitem__, claim)):
            out_s[k] = out_f[k] = size
        pending.difference_update(claim)  # they stay in seen: counted
        self._duplicate += sum(is_atom) - len(claim)
        rest = list(compress(range(n), map(not_, is_atom)))
        if rest:
            sub = Kids(list(map(objs.__getitem__, rest)))
            rs, rf = self._sibling_sizes(ctx, sub, depth, pending)
            for k, size, flat in zip(rest, rs, rf):
                out_s[k] = size
                out_f[k] = flat
        return out_s, out_f

    def _count_earlier(self, ctx, kids, depth, pending):
        """Count what pre-seeded children ``kids`` reach (siblings before a node)."""
        objs = []
        for r in kids:
            if r is SHARED:
                continue
            if type(r) is Part:
                objs.extend(part_objs(r.kids))
                continue
            i = id(r)
            if i in pending:
                pending.discard(i)
                self._seen.discard(i)
            objs.append(r)
        if objs:
            self._walk(ctx, objs, depth0=depth, free_roots=False)

    def tree_children(self, root, path=(), expect=None, sized=True, together=None, position=None):
        """The children of one node of ``root``'s size tree, sized as :meth:`asized` does.

        Parameters
        ----------
        root : object
            The tree's root (sized as if by ``asized(root)`` with a fresh sizer).
        path : sequence of int
            The node: at each level the index of the child in counting order (the
            :attr:`TreeChild.index` of a previous answer); ``()`` is the root.
        expect : sequence of int, optional
            ``id()`` of the object expected at each level of ``path``; a mismatch (the
            objects changed since they were shown) raises :class:`LookupError`.
        sized : bool
            False: names and objects only (sizes 0), in counting order, cheaply.
        together : sequence, optional
            The objects ``root`` was sized with (``asized(*together)``, ``root`` among
            them): those before ``root`` are counted first, none is followed from
            another, so the children agree with that tree.
        position : int, optional
            ``root``'s index in ``together`` (default: its first; a later one of an
            object given twice counts 0, as in ``asized``).

        Returns
        -------
        TreeChildren
            A sequence of :class:`TreeChild`, largest first (a dict entry's key and
            value together), or in counting order when ``sized`` is False. It holds
            the child objects (a tree view drops it after use).

        Raises
        ------
        LookupError
            For an index out of range or an object that changed.
        """
        path = list(path)
        if expect is not None and len(expect) != len(path):
            raise ValueError(f"expect must give one id per path level: {len(path)} levels, {len(expect)} ids")
        together = list(together) if together else []
        ctx, extra = self._begin((), {id(o) for o in together})  # the others are not followed
        was_enabled = gc.isenabled()
        gc.disable()  # the many small records made here must not set off full collections
        try:
            seen = self._seen
            zero = not sized
            if sized:
                if position is None:
                    position = next((k for k, other in enumerate(together) if other is root), 0)
                elif not (0 <= position < len(together) and together[position] is root):
                    raise ValueError(f"position={position!r}: together[{position!r}] must be the root")
                for other in together[:position]:  # the roots before this one, counted first
                    i = id(other)
                    if i in extra:
                        seen.discard(i)
                        extra.discard(i)
                        self._walk(ctx, (other,))
                if id(root) in extra:
                    seen.discard(id(root))
                    extra.discard(id(root))
                if id(root) in seen:
                    zero = True
                else:
                    seen.add(id(root))
            obj = root
            for depth, index in enumerate(path, 1):
                kids = self._kids_of(ctx, obj)
                if type(index) is not int or not 0 <= index < len(kids):
                    raise LookupError(f"no child {index!r} at level {depth} (it has {len(kids)})")
                kid = kids.objs[index]
                if kid is SHARED or (expect is not None and type(kid) is not Part  # parts are made anew
                                      and id(kid) != expect[depth - 1]):
                    raise LookupError(f"the object at level {depth} changed since it was shown "
                                      f"(re-run to see it again)")
                if not zero:
                    pending = self._preseed(ctx, kids)
                    self._count_earlier(ctx, kids.objs[:index], depth, pending)
                    if type(kid) is not Part:
                        if self._claim(ctx, pending, kid):
                            seen.add(id(kid))
                        else:
                            zero = True
                obj = kid
            kids = self._kids_of(ctx, obj)
            depth = len(path) + 1
            n = len(kids)
            if zero:
                sizes = flats = [0] * n
            else:
                sizes, flats = self._level_sizes(ctx, kids, depth)
                flats = self._shown_flats(ctx, kids, flats)
            order = largest_first_groups(sizes, kids) if sized else range(n)
            return TreeChildren(self, kids, sizes, flats, order)
        finally:
            if was_enabled:
                gc.enable()
            self._end(ctx, extra)

    def _shown_flats(self, ctx, kids, flats):
        """The flat sizes a tree shows for children that are expanded: without the
        parts shown as their own children (an instance's values array, shown as
        ``'__dict__'``; the fields of a record array), so that a node's flat size plus
        its children's sizes is its size."""
        objs = kids.objs
        todo = {}  # id(type) -> type (by id: no metaclass __hash__ runs)
        for tid, tp in unique_types(objs).items():
            if tp is Part:
                continue
            info = ctx.types.get(tid) or self._info(ctx, tp)
            if info.tree is not None or (info.kind in (INST, DICT) and info.managed):
                todo[tid] = tp
        if not todo:
            return flats
        flats = list(flats)
        plain = {tid: tp for tid, tp in todo.items() if ctx.types[tid].tree is None}  # '__dict__' only
        for tid, tp in plain.items():
            idx = [k for k, o in enumerate(objs) if type(o) is tp and flats[k]]
            group = [objs[k] for k in idx]
            info = ctx.types[tid]
            if info.state is None and _layout.SUPPORTED and _layout.PRE_313:
                info.state = _layout.values_state(tp) or ()
            hidden, _ = _layout.instances_hidden_each(group, tp, info.state or None)
            for k, o, h in zip(idx, group, hidden):
                if _layout.attribute_names(o, tp, ctx.names) is not None:  # shown as a '__dict__' part
                    flats[k] -= h
        for k, obj in enumerate(objs):
            tid = id(type(obj))
            if flats[k] and tid in todo and tid not in plain:
                flats[k] -= sum(r.flat for r in self._kids_of(ctx, obj).objs if type(r) is Part)
        return flats

    def _kids_of(self, ctx, obj):
        if type(obj) is Part:
            return obj.kids
        info = ctx.types.get(id(type(obj))) or self._info(ctx, type(obj))
        if info.kind == ATOM or not self._enabled(info):
            return Kids([])
        return tree_refs(self, obj, info, ctx)

    def tree_expandable(self, obj) -> bool:
        """Whether a size tree can show children under ``obj`` (cheap: nothing is
        named or sized). Classes, modules and atoms (numbers, strings) are leaves."""
        return self._expandable(None, obj)

    def _expandable(self, ctx, obj) -> bool:
        if obj is SHARED:
            return False
        if type(obj) is Part:
            return bool(obj.kids)
        tp = type(obj)
        info = ctx.types.get(id(tp)) or self._info(ctx, tp) if ctx is not None else self._classify(tp)
        if info.kind in (ATOM, IGNORE) or not self._enabled(info):
            return False
        if id(tp) in EXACT_COVERED_IDS:
            return len(obj) > 0
        if info.tree is not None:
            return True
        try:
            return bool(self._followed(obj, info)) or bool(_get_referents(obj))
        except SAFE_CATCH:
            return False

