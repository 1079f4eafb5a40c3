"""Who holds these objects, and what does an object hold: the heap queries of the
reference-graph engine (:mod:`._graphwalk` is its facade).

``gc.get_referrers`` finds gc-tracked holders only; :class:`HolderSearch` adds the dicts
and tuples the collector stopped tracking and the objects whose references
``gc.get_referents`` hides (numpy arrays: see :func:`_thirdparty.hidden_referents`).
Standard library only.
"""

from __future__ import annotations

import array
import gc
import itertools
from .gcsafe import get_referents

# ---------------------------------------------------------------------------
# Walking referents / referrers
# ---------------------------------------------------------------------------

#: Frontier sizes up to this go to ``gc.get_referrers`` in one call; it compares
#: every reference in the heap against each argument, so big frontiers are split.
REFERRERS_CHUNK = 48
#: Above this many frontier objects a single Python pass over the heap is cheaper.
REFERRERS_SCAN = 1500


def referrers_of(objs, ignore: set[int]) -> tuple[list, dict[int, list[int]]]:
    """All gc-tracked objects referring to any of ``objs``, minus ``ignore``.

    Returns ``(referrers, kids)`` where ``kids[id(r)]`` lists the ids of the
    objects in ``objs`` that ``r`` refers to (with multiplicity). The lists this
    function creates are added to ``ignore`` while it runs.
    """
    referrers: list = []
    kids: dict[int, list[int]] = {}
    ignore.add(id(referrers))
    want = {id(o) for o in objs}

    def take(candidates):
        """Keep the candidates (not ours, not yet seen) that refer to a wanted id."""
        for candidate in candidates:
            cid = id(candidate)
            if cid in ignore or cid in kids:
                continue
            hit = [id(r) for r in get_referents(candidate) if id(r) in want]
            if hit:
                kids[cid] = hit
                referrers.append(candidate)

    if len(objs) > REFERRERS_SCAN:
        batches = [gc.get_objects()]
    else:  # gc skips the argument tuple it receives; on 3.13 that is a copy, not the chunk
        batches = (tuple(objs[start:start + REFERRERS_CHUNK]) for start in range(0, len(objs), REFERRERS_CHUNK))
    for batch in batches:
        found = batch if len(objs) > REFERRERS_SCAN else gc.get_referrers(*batch)
        ignore.add(id(batch))
        ignore.add(id(found))
        try:
            take(found)
        finally:
            ignore.discard(id(found))
            ignore.discard(id(batch))
        del found, batch
    ignore.discard(id(referrers))
    return referrers, kids


# ---------------------------------------------------------------------------
# Holders: who holds these objects (every kind of holder)
# ---------------------------------------------------------------------------


class HolderSearch:
    """Who holds these objects? The one answer of every backward graph walk.

    Three kinds of holders, found in the way each needs:

    * gc-tracked objects: :func:`referrers_of` (``gc.get_referrers``);
    * exact dicts and tuples that ``gc`` does not track (``{'k': array}``), which can
      only hold untracked objects;
    * objects whose ``gc.get_referents`` hides what they hold, as the size rules know
      (a numpy object array holds its elements, a view its ``base``; pandas object and
      ``str`` columns are such arrays; also nested in each other): what each holds is
      :func:`_thirdparty.hidden_referents`, the references the sizer and the heap walk
      follow. ``gc.get_referrers`` never returns these holders.

    The last two are found by one scan of the heap (:class:`_HeapScan`), made the first
    time it is needed (and never when no such holder can exist). The search's own
    containers are put in ``ignore`` while they live; call :meth:`close` when done (or
    use it as a context manager).
    """

    def __init__(self, ignore: set[int]):
        self.ignore = ignore
        self._scan: _HeapScan | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def find(self, objs) -> tuple[list, dict[int, list[int]]]:
        """``(holders, kids)`` of ``objs`` (a list): ``kids[id(h)]`` lists the ids of
        the objects of ``objs`` that holder ``h`` refers to (with multiplicity)."""
        ignore = self.ignore
        referrers, kids = referrers_of(objs, ignore)
        loose = {id(o) for o in objs if not gc.is_tracked(o)}
        hidden = _hidden_refs_possible()
        if loose or hidden:
            if self._scan is None:
                self._scan = _HeapScan(ignore, hidden)
            if loose:
                self._merge(referrers, kids, *self._scan.untracked_holders(loose))
            if hidden:
                self._merge(referrers, kids, *self._scan.hidden_holders({id(o) for o in objs}))
        return referrers, kids

    def _merge(self, referrers, kids, more, more_kids):
        for u in more:
            uid = id(u)
            if uid in self.ignore:
                continue
            if uid not in kids:
                referrers.append(u)
                kids[uid] = more_kids[uid]

    def close(self):
        if self._scan is not None:
            self._scan.close(self.ignore)
            self._scan = None


def _hidden_refs_possible() -> bool:
    from ._thirdparty import hidden_refs_possible

    return hidden_refs_possible()


def referents_of(obj) -> list:
    """What ``obj`` holds: ``gc.get_referents(obj)`` plus what the size rules say it holds
    beyond that (a numpy object array's elements, a view's ``base``): the forward
    counterpart of :class:`HolderSearch`."""
    refs = get_referents(obj)
    hidden = _hidden_of(obj)
    if hidden:
        known = {id(r) for r in refs}
        refs.extend(r for r in hidden if id(r) not in known)
    return refs


def _hidden_of(obj) -> list:
    from ._thirdparty import hidden_referents, hidden_refs_rules

    tp = type(obj)
    refs = hidden_refs_rules([tp])[0]
    return [] if refs is None else hidden_referents([obj], refs, tp)[0]


# ---------------------------------------------------------------------------
# The heap scan: untracked containers and holders of hidden references
# ---------------------------------------------------------------------------


class _HeapScan:
    """One pass over the heap for what ``gc.get_referrers`` cannot return.

    * ``untracked``: exact dicts and tuples that ``gc`` does not track (they only hold
      untracked objects), also nested in each other;
    * ``hidden``: objects of a type whose size rule has ``refs`` (numpy arrays), with the
      ids of what each holds beyond ``gc.get_referents`` (kept as ids only, in an
      ``array('Q')``: the scan keeps no element alive). They are found among the
      referents of tracked objects, of untracked containers and of each other (an
      object array of object arrays, a view's base).
    """

    def __init__(self, ignore: set[int], hidden: bool = True):
        from ._thirdparty import hidden_referents, hidden_refs_rules

        self.untracked: list = []
        self.hidden: list = []
        self._hidden_ids: list = []  # per hidden holder: array('Q') of the ids it holds
        for own in (self.untracked, self.hidden, self._hidden_ids):
            ignore.add(id(own))
        rules: dict[int, object] = {}  # id(type) -> refs or None
        types_seen: list = []  # keeps the types of `rules` alive (ids stay unique)
        ignore.add(id(types_seen))

        def ruled(objs):
            """The objects of ``objs`` whose type has a rule's refs."""
            if not hidden:
                return []
            tys = dict(zip(map(id, map(type, objs)), map(type, objs)))  # by id: metaclasses
            hit = set()  # may make types unhashable or raise in __eq__/__hash__
            for key, tp in tys.items():
                if key not in rules:
                    rules[key] = hidden_refs_rules([tp])[0]
                    types_seen.append(tp)
                if rules[key] is not None:
                    hit.add(key)
            return [o for o in objs if id(type(o)) in hit] if hit else []

        is_tracked = gc.is_tracked
        seen: set[int] = set()
        pending: list = []  # untracked containers to look into
        candidates: list = []  # objects with hidden references to look into
        for own in (pending, candidates):
            ignore.add(id(own))
        everything = gc.get_objects()
        ignore.add(id(everything))
        batch = 2048
        try:
            candidates.extend(ruled(everything))
            for start in range(0, len(everything), batch):
                refs = list(itertools.filterfalse(is_tracked, get_referents(*everything[start:start + batch])))
                pending.extend(r for r in refs if type(r) is dict or type(r) is tuple)
                candidates.extend(ruled(refs))
                del refs
        finally:
            ignore.discard(id(everything))
            del everything
        obj = None
        while pending or candidates:
            while pending:  # untracked containers nested in untracked containers, a level at a time
                level = []
                for obj in pending:
                    oid = id(obj)
                    if oid not in seen and oid not in ignore:
                        seen.add(oid)
                        level.append(obj)
                pending.clear()
                self.untracked.extend(level)
                for start in range(0, len(level), batch):
                    refs = list(itertools.filterfalse(is_tracked, get_referents(*level[start:start + batch])))
                    pending.extend(r for r in refs if type(r) is dict or type(r) is tuple)
                    candidates.extend(ruled(refs))
                    del refs
                del level
            if candidates:
                group_by: dict[int, list] = {}
                for obj in candidates:
                    oid = id(obj)
                    if oid in seen or oid in ignore:
                        continue
                    seen.add(oid)
                    group_by.setdefault(id(type(obj)), []).append(obj)
                candidates.clear()
                members = None  # (every candidate seen already: the loop does not run)
                for members in group_by.values():
                    tp = type(members[0])
                    for holder, got in zip(members, hidden_referents(members, rules[id(tp)], tp)):
                        if not got:
                            continue
                        self.hidden.append(holder)
                        self._hidden_ids.append(array.array("Q", map(id, got)))
                        # what the holder holds may hold more: nested arrays, tuples in an object array
                        loose = [r for r in got if not is_tracked(r)]
                        pending.extend(r for r in loose if type(r) is dict or type(r) is tuple)
                        candidates.extend(ruled(loose))
                        del got, loose
                    holder = None
                del group_by, members
        for own in (pending, candidates, types_seen):
            ignore.discard(id(own))
        types_seen.clear()
        del pending, candidates, obj

    def untracked_holders(self, want: set[int]):
        """(holders, kids) for the untracked containers referring to ids in ``want``."""
        found = []
        kids: dict[int, list[int]] = {}
        for u in self.untracked:
            hit = [id(r) for r in get_referents(u) if id(r) in want]
            if hit:
                found.append(u)
                kids[id(u)] = hit
        return found, kids

    def hidden_holders(self, want: set[int]):
        """(holders, kids) for the holders of hidden references to ids in ``want``."""
        found = []
        kids: dict[int, list[int]] = {}
        isdisjoint = want.isdisjoint
        for holder, ids in zip(self.hidden, self._hidden_ids):
            if not isdisjoint(ids):
                found.append(holder)
                kids[id(holder)] = [i for i in ids if i in want]
        return found, kids

    def close(self, ignore: set[int]):
        for own in (self.untracked, self.hidden, self._hidden_ids):
            own.clear()
            ignore.discard(id(own))
