"""The pure-Python walk of :class:`Asizer` (a mixin): level-synchronous, one root set
(:meth:`~PyWalk._walk_py`) or many roots as if one after the other
(:meth:`~PyWalk._walk_many_py`); the C walk gives the same results."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, deque
from itertools import accumulate, chain, compress, repeat
from operator import add, is_, lt, not_, sub

from . import _layout
from ._layout import type_flags as _tp_flags
from ._referents import (
    align_pieces,
    dict_keys,
    group_by_type,
    labels_runs,
    run_labels,
    runs_kept,
)
from ._sizerules import (
    ATOM,
    CLASS,
    CODE,
    DICT,
    FRAME,
    HAVE_GC,
    IGNORE,
    INST,
    INT_FIX,
    INT_ONE_DIGIT,
    INT_SIZEOF,
    REFS,
)
from .gcsafe import get_referents

_get_referents = get_referents


class PyWalk:
    """The pure walk of :class:`Asizer` (a mixin: it sizes each group with
    :class:`._asizer_groups.GroupSizing`)."""

    def _walk_py(self, ctx, roots, depth0=0, free_roots=True, given=False):
        """Size ``roots`` and all they reach; return the total (also added to ``total``).

        Level-synchronous: each level is deduplicated by id with set operations, split
        by type, sized with ``map`` over C-level ``__sizeof__`` and expanded with one
        ``gc.get_referents(*group)`` per type. Sets ``_root_flat`` to the first level's
        flat size. Ids in ``ctx.ignore`` (module dicts, statics) are never followed; with
        ``free_roots`` the roots themselves are sized whatever they are; ``given`` (objects
        the caller passed directly) also sizes roots of ignored kinds (:meth:`_given_info`),
        and a module given directly is sized with its ``__dict__`` (see :meth:`_begin`).
        """
        seen = self._seen
        ignore = ctx.ignore
        first = free_roots
        total = 0
        limit = self._limit
        frontier = list(roots)
        level = depth0
        self._root_flat = 0
        due = {}  # with a limit: level -> objects due two levels below their holder (_size_limited)
        while frontier or due:
            if due:
                more = due.pop(level, None)
                if more:
                    frontier = (frontier or []) + more
            if not frontier:
                level += 1
                continue
            n = len(frontier)
            if n <= 8:  # deep, narrow structures (linked lists): plain loop
                objs = []
                for o in frontier:
                    i = id(o)
                    if i not in seen and (first or i not in ignore):
                        seen.add(i)
                        objs.append(o)
                self._duplicate += n - len(objs)
            else:
                ids = list(map(id, frontier))
                common = seen.intersection(ids)
                if not first:
                    common |= ignore.intersection(ids)
                if common:  # drop what was seen before or is never followed, in C
                    keep = list(map(not_, map(common.__contains__, ids)))
                    frontier = list(compress(frontier, keep))
                    ids = list(compress(ids, keep))
                    keep = common = None
                before = len(seen)
                seen.update(ids)
                if len(seen) - before == len(ids):
                    objs = frontier
                else:  # duplicates within the level
                    objs = list(dict(zip(ids, frontier)).values())
                ids = None
                self._duplicate += n - len(objs)
            frontier = None
            nxt = [] if limit is None or level < limit else None
            if not objs:
                frontier = nxt
                level += 1
                continue
            self._seen_count += len(objs)
            if level > self._depth:
                self._depth = level
            if first and given:
                for tp, group in group_by_type(objs):
                    total += self._size_group(ctx, group, self._given_info(self._info(ctx, tp), tp), nxt)
            elif limit is not None:
                later = [] if level + 1 < limit else None
                for tp, group in group_by_type(objs):
                    total += self._size_limited(ctx, group, self._info(ctx, tp), nxt, later, level < limit)
                if later:
                    due[level + 2] = later
            elif len(objs) == 1:
                tp = type(objs[0])
                info = ctx.types.get(id(tp)) or self._info(ctx, tp)
                if info.kind != IGNORE:
                    total += self._size_group(ctx, objs, info, nxt)
            else:
                for tp, group in group_by_type(objs):
                    total += self._size_group(ctx, group, self._info(ctx, tp), nxt)
            first = False
            if level == depth0:
                self._root_flat = total
            objs = None
            frontier = nxt
            level += 1
        self._total += total
        return total

    def _size_limited(self, ctx, group, info, nxt, later, with_dict):
        """:meth:`_size_group` under a ``limit``: an instance whose attributes live in its
        values array (no ``__dict__`` object) counts as Pympler's instance and
        ``__dict__`` two levels: its own bytes at its level, the values array one level
        deeper (``with_dict``: that level is within the limit) and the attribute values
        one more (``later``: the list of the level after next, None beyond the limit),
        so that totals grow with every level as Pympler's do."""
        if not (info.managed and info.kind == INST):
            return self._size_group(ctx, group, info, nxt)
        if not with_dict:  # at the limit: the instances' own bytes only
            sizes = self._flat_sizes(group, info)
            if self._align > 1:
                return sum(align_pieces(s, 0, info, self._align) for s in sizes)
            return sum(sizes)
        refs = []
        flat = self._size_group(ctx, group, info, refs)
        values = set()
        tp = type(group[0])
        for o in group:
            names = _layout.attribute_names(o, tp, ctx.names)
            if names:
                values.update(addr for _, addr in names)
        if values:
            deferred = [r for r in refs if id(r) in values]
            refs = [r for r in refs if id(r) not in values]
            if later is not None:
                later += deferred
        nxt += refs
        return flat

    def _walk_many_py(self, ctx, roots, free=frozenset()):
        """Size many roots as if one after the other, in one level-synchronous walk.

        Returns ``(sizes, flats, hiddens)``, lists parallel to ``roots``: what
        ``[self._walk(ctx, (r,)) for r in roots]`` would give (each root's deep size,
        its flat size, and the hidden instance-values part of that flat size), with
        the same ``seen`` afterwards, but with the per-call overhead paid once per
        level instead of once per root. ``free`` holds root ids that are in ``seen``
        only to keep the other roots' walks from following them (``_begin``'s
        ``others``): each root is sized at level 0 all the same, and never followed.

        Objects come in root order at every level, so the first root to reach an
        object owns it, as in one walk per root. Which root an object was reached
        from is kept as runs (the root of each run and where the run ends in the
        level), not per object: a level's sizes are added per root from the running
        sum of its flat sizes, in C. Where the order could differ (an earlier root
        reaching, at a deeper level, an object a later root already owns), and for
        kinds sized by other code (rules, builtins, code with ``code=True``, ...),
        nothing is kept: the method undoes its changes and returns ``None`` so the
        caller sizes one root at a time. Needs ``limit=None``, ``align=1``, no stats.
        """
        if self._limit is not None or self._align > 1 or self._stats:
            return None
        seen = self._seen
        ignore = ctx.ignore
        saved = (self._total, self._seen_count, self._duplicate, self._depth, self._missed,
                 {k: list(v) for k, v in self._profiles.items()}, Counter(self._skipped))
        added = []  # id lists added to seen, undone on a fallback
        nroots = len(roots)
        sizes = [0] * nroots
        flats = [0] * nroots
        hiddens = [0] * nroots
        owner = {}  # id -> index of the root that reached it first
        unowned = []  # (ids, run roots, run ends) of levels not in ``owner`` yet
        ids = list(map(id, roots))
        frontier = list(roots)
        labels = list(range(nroots))
        # level 0: roots seen before this call count 0; the ``free`` ones are sized
        freed = free.intersection(ids)
        seen.difference_update(freed)
        drop = seen.intersection(ids)
        if drop:
            keep = list(map(not_, map(drop.__contains__, ids)))
            frontier = list(compress(frontier, keep))
            ids = list(compress(ids, keep))
            labels = list(compress(labels, keep))
        # runs: frontier[ends[k-1]:ends[k]] was reached from root runs[k] (runs ascending)
        runs, ends = labels, list(range(1, len(frontier) + 1))
        labels = None
        level = 0
        try:
            while frontier:
                n = len(frontier)
                if level:
                    ids = list(map(id, frontier))
                    common = seen.intersection(ids)
                    common |= ignore.intersection(ids)
                    if common:
                        mask = list(map(common.__contains__, ids))
                        if unowned:
                            for lvl_ids, lvl_runs, lvl_ends in unowned:
                                owner.update(zip(lvl_ids, run_labels(lvl_runs, lvl_ends)))
                            unowned.clear()
                            # a free root met again is not followed, as in one walk per root
                            owner.update(zip(freed, repeat(-1)))
                        # met again: fine if the root that owns it comes first
                        where = map(bisect_right, repeat(ends), compress(range(n), mask))
                        firsts = map(owner.get, compress(ids, mask), repeat(-1))
                        if any(map(lt, map(runs.__getitem__, where), firsts)):
                            raise _Reorder
                        keep = list(map(not_, mask))
                        frontier = list(compress(frontier, keep))
                        ids = list(compress(ids, keep))
                        runs, ends = runs_kept(runs, ends, keep)
                        mask = keep = None
                before = len(seen)
                seen.update(ids)
                added.append(ids)
                if len(seen) - before != len(ids):  # repeats within the level: keep the first
                    firsts = dict(zip(reversed(ids), range(len(ids) - 1, -1, -1)))
                    order = sorted(firsts.values())
                    labels = run_labels(runs, ends)
                    frontier = list(map(frontier.__getitem__, order))
                    ids = list(map(ids.__getitem__, order))
                    runs, ends = labels_runs(list(map(labels.__getitem__, order)))
                    firsts = order = labels = None
                if not frontier:
                    break
                unowned.append((ids, runs, ends))
                m = len(frontier)
                self._duplicate += n - m
                self._seen_count += m
                if level > self._depth:
                    self._depth = level
                tp0 = type(frontier[0])
                if all(map(is_, map(type, frontier), repeat(tp0))):  # one type (the common case)
                    parts = ((tp0, None),)
                else:
                    tps = list(map(type, frontier))
                    uniq = dict(zip(map(id, tps), tps))  # by id: no metaclass __hash__/__eq__
                    if len(uniq) <= 8:
                        parts = [(tp, list(compress(range(m), map(is_, tps, repeat(tp)))))
                                 for tp in uniq.values()]
                    else:
                        where = {}
                        for k, tp in enumerate(tps):
                            w = where.get(id(tp))
                            if w is None:
                                where[id(tp)] = (tp, [k])
                            else:
                                w[1].append(k)
                        parts = list(where.values())
                    tps = uniq = where = None
                infos = [(ctx.types.get(id(tp)) or self._info(ctx, tp), idx) for tp, idx in parts]
                parts = None
                leaves = all(info.kind in (ATOM, IGNORE) for info, _ in infos)  # nothing followed
                # flat sizes (and referents) in frontier order
                if len(infos) == 1:
                    ((info, _),) = infos
                    level_flat, hid, refs = self._flat_refs_each(frontier, info, added)
                    nxt = None
                    if refs is None and not leaves:
                        if info.kind == REFS and (tp0 is list or tp0 is tuple):
                            lens = list(map(len, frontier))
                            nxt = _get_referents(*frontier)
                            if len(nxt) != sum(lens):  # changed meanwhile (another thread)
                                refs = list(map(_get_referents, frontier))
                            nxt = (lens, nxt) if refs is None else None
                        else:
                            refs = list(map(_get_referents, frontier))
                    if level == 0 and hid is not None:
                        deque(map(hiddens.__setitem__, runs, hid), 0)
                else:
                    nxt = None
                    level_flat = [0] * m
                    refs = None if leaves else list(map(_get_referents, frontier))
                    for info, idx in infos:
                        group = list(map(frontier.__getitem__, idx))
                        g_flat, g_hid, g_refs = self._flat_refs_each(group, info, added)
                        deque(map(level_flat.__setitem__, idx, g_flat), 0)
                        if g_refs is not None and refs is not None:
                            deque(map(refs.__setitem__, idx, g_refs), 0)
                        if level == 0 and g_hid is not None:
                            deque(map(hiddens.__setitem__, map(runs.__getitem__, idx), g_hid), 0)
                        group = None
                infos = None
                if level == 0:  # one object per root
                    if m == nroots:  # every root (in order): by slicing
                        flats[:] = level_flat
                        sizes[:] = level_flat
                    else:
                        deque(map(flats.__setitem__, runs, level_flat), 0)
                        deque(map(sizes.__setitem__, runs, level_flat), 0)
                else:  # sizes[root] += the sum of its run, in C
                    acc = list(accumulate(level_flat, initial=0))
                    ends_acc = list(map(acc.__getitem__, ends))
                    starts_acc = [0]
                    starts_acc += ends_acc[:-1]
                    deque(map(sizes.__setitem__, runs,
                              map(add, map(sizes.__getitem__, runs), map(sub, ends_acc, starts_acc))), 0)
                    acc = ends_acc = starts_acc = None
                self._total += sum(level_flat)
                level_flat = None
                if leaves:
                    break
                if nxt is not None:
                    lens, frontier = nxt
                else:
                    lens = list(map(len, refs))
                    frontier = list(chain.from_iterable(refs))
                runs, ends = runs_kept(runs, ends, lens)
                refs = nxt = lens = None
                level += 1
        except _Reorder:
            for lst in added:
                seen.difference_update(lst)
            seen.update(freed)
            (self._total, self._seen_count, self._duplicate, self._depth, self._missed,
             self._profiles, self._skipped) = saved
            return None
        return sizes, flats, hiddens

    def _flat_refs_each(self, group, info, added):
        """Per object of a same-type group: flat sizes, hidden bytes (or None), and the
        referent lists where they are not ``gc.get_referents`` (or None).

        The per-object form of :meth:`_size_group` for the kinds :meth:`_walk_many`
        handles; raises :class:`_Reorder` for the others.
        """
        kind = info.kind
        n = len(group)
        if kind == IGNORE or (kind in (CLASS, CODE, FRAME) and not self._enabled(info)):
            return [0] * n, None, [()] * n
        if kind not in (ATOM, REFS, INST, DICT):
            raise _Reorder
        sizes = self._flat_sizes(group, info)
        if info.fn is INT_SIZEOF:
            sizes = [s + INT_FIX if s == INT_ONE_DIGIT else s for s in sizes]
        hid = None
        if info.managed:
            if info.state is None and _layout.SUPPORTED and _layout.PRE_313:
                info.state = _layout.values_state(type(group[0])) or ()
            hid, hidden = _layout.instances_hidden_each(group, type(group[0]), info.state or None)
            if hidden:
                self._seen.update(hidden)
                added.append(hidden)
            sizes = list(map(int.__add__, sizes, hid))
        refs = None
        if kind == ATOM and _tp_flags(type(group[0])) & HAVE_GC:
            refs = [()] * n  # an atom's referents are not followed
        elif kind == DICT:
            splits = list(map(_layout.split_dict_correction, group)) if type(group[0]) is dict else [None] * n
            refs = [_get_referents(d) + dict_keys(self, d, info) if c is None else _get_referents(d)
                    for d, c in zip(group, splits)]
            if splits.count(None) != n:
                sizes = [s + c if c else s for s, c in zip(sizes, splits)]
        total = sum(sizes)
        prof = self._profiles.get(info.name)
        if prof is None:
            self._profiles[info.name] = [n, total, info]
        else:
            prof[0] += n
            prof[1] += total
        return sizes, hid, refs


class _Reorder(Exception):
    """:meth:`Asizer._walk_many` cannot keep the one-root-at-a-time order."""
