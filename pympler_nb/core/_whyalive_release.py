"""Releasable bytes: what removing some references frees, as CPython's collector reasons.

Part of the why-alive engine (:mod:`.whyalive` is its facade).
"""

from __future__ import annotations

import itertools
from itertools import compress
import sys
import types

from ._thirdparty import hidden_referents, hidden_refs_rules
from ._graphwalk import (
    flat_size,
)
from .flatsize import INT_FIX, INT_ONE_DIGIT
from .gcsafe import get_referents


# ---------------------------------------------------------------------------
# Releasable bytes
# ---------------------------------------------------------------------------


def _sizing_refs(obj) -> list:
    """What deep sizing follows from ``obj`` (its third-party rule), or nothing."""
    from .asizeof import refs  # lazy: the sizing core is a sibling module

    try:
        return list(refs(obj))
    except Exception:  # noqa: BLE001 - a hostile array: its elements are not counted
        return []


#: Types without references whose flat size (asizeof.flatsize) is sys.getsizeof exactly
#: (a test checks it): the releasable walk sizes them without a sizer call.
ATOMS = frozenset((str, bytes, float, complex))
_ATOM_IDS = frozenset(map(id, ATOMS))  # by id: no metaclass __hash__ runs
_getsizeof = sys.getsizeof


def reach_closure(seeds, stop: set[int], max_nodes: int, folded: list | None = None):
    """Everything reachable from ``seeds`` (not entering ``stop``, types or modules).

    ``folded`` (a list): atoms (:data:`ATOMS`) that only their one holder refers to are
    not members; ``folded[i]`` gets ``(bytes, count)`` of those member ``i`` holds (a
    list of fresh strings is one member). Without it every object is a member."""
    members: list = []
    index: dict[int, int] = {}
    kids_of: list[list[int]] = []
    kinds: dict[int, tuple] = {}  # id(type) -> _type_kind(type) (the types are held by members)
    append, append_kids = members.append, kids_of.append
    stack = list(seeds)
    pop, push = stack.pop, stack.extend
    while stack:
        x = pop()
        xid = id(x)
        if xid in index or xid in stop:
            continue
        tp = type(x)
        kind = kinds.get(id(tp))
        if kind is None:
            kind = kinds[id(tp)] = _type_kind(tp)
        what, rule = kind
        if what == _SKIP:
            continue
        index[xid] = len(members)
        append(x)
        if what == _ATOM:  # no references: skip the call (object arrays hold many)
            append_kids(())
            if folded is not None:
                folded.append(_NO_FOLD)
            continue
        refs = get_referents(x)
        if rule is not None:  # what a numpy object array holds
            refs.extend(hidden_referents([x], rule, tp)[0])
        if what == _DICT:
            keys = list(dict.keys(x))
            if keys and all(type(k) is str for k in keys):
                refs.extend(keys)  # str keys of a str-only table are not traversed by gc
            del keys
        elif not refs and what == _ARRAY:
            # numpy does not show gc its base or object elements; the sizing rules know them
            refs = _sizing_refs(x)
        if folded is not None:
            refs = _fold(refs, folded)
        append_kids([id(r) for r in refs])
        push(refs)
        del refs
        if len(members) > max_nodes:
            return None
    x = None
    return members, index, kids_of


_SKIP, _ATOM, _DICT, _ARRAY, _OTHER = range(5)


def _type_kind(tp: type) -> tuple:
    """``(what, rule)`` for the objects of ``tp`` in :func:`reach_closure`: ``what`` is
    _SKIP (a class or module: not entered), _ATOM, _DICT, _ARRAY (a numpy array) or
    _OTHER; ``rule`` the size rule's ``refs`` (what gc does not show) or None."""
    if issubclass(tp, (type, types.ModuleType)):
        return _SKIP, None
    if id(tp) in _ATOM_IDS:
        return _ATOM, None
    rule = hidden_refs_rules([tp])[0]
    if issubclass(tp, dict):
        return _DICT, rule
    try:
        array = tp.__name__ in ("ndarray", "memmap", "matrix", "recarray") and \
            str(getattr(tp, "__module__", "")).startswith("numpy")
    except Exception:  # noqa: BLE001 - a hostile metaclass: not an array
        array = False
    return (_ARRAY if array else _OTHER), rule


_NO_FOLD = (0, 0)
_getrefcount = sys.getrefcount
# folded: the atoms, and ints (a one-digit int is allocated in 32 bytes: INT_FIX more than
# its getsizeof, which no other folded type's size equals; else ints are not folded)
_FOLD_INTS = INT_ONE_DIGIT not in (_getsizeof(0.0), _getsizeof(0j)) and \
    min(_getsizeof(""), _getsizeof(b"")) > INT_ONE_DIGIT
_is_atom_type = (_ATOM_IDS | {id(int)} if _FOLD_INTS else _ATOM_IDS).__contains__


def _atom_counts(refs: list) -> list:
    """Reference counts of the atoms of ``refs``, as :func:`_fold` reads them (in bulk)."""
    return list(map(_getrefcount, compress(refs, map(_is_atom_type, map(id, map(type, refs))))))


def _calibrate_fold() -> int:
    """The count :func:`_atom_counts` reads for an atom that only its holder refers to."""
    holder = [float(len(sys.argv) + 0.5)]
    return _atom_counts(get_referents(holder))[0]


def _short_alone(refs: list, alone: int) -> list:
    """The atoms of a short ``refs`` whose reference count is ``alone`` (only their holder
    refers to them; a plain loop: for a tuple's two or three referents the bulk maps of
    :func:`_fold` cost more than the work)."""
    return [r for r in refs if _is_atom_type(id(type(r))) and _getrefcount(r) == alone]


def _calibrate_short() -> int:
    """The count :func:`_short_alone` sees for an atom only its holder refers to (found by
    running it: the loop's own references differ between Python versions)."""
    holder = [float(len(sys.argv) + 0.5)]
    refs = get_referents(holder)
    for count in range(1, 16):
        if _short_alone(refs, count):
            return count
    raise RuntimeError("pympler_nb: cannot calibrate reference counts on this interpreter")


def _fold(refs: list, folded: list) -> list:
    """``refs`` without the atoms only their holder refers to; their ``(bytes, count)``
    appended to ``folded``."""
    if len(refs) <= 8:
        gone = _short_alone(refs, _ALONE_SHORT)
        if not gone:
            folded.append(_NO_FOLD)
            return refs
        sizes = list(map(_getsizeof, gone))
        folded.append((sum(sizes) + INT_FIX * sizes.count(INT_ONE_DIGIT), len(gone)))
        if len(gone) == len(refs):  # a tuple of fresh atoms: nothing is left to walk
            return []
        gone_ids = set(map(id, gone))
        del gone, sizes
        return [r for r in refs if id(r) not in gone_ids]
    atoms = list(map(_is_atom_type, map(id, map(type, refs))))
    if not any(atoms):
        folded.append(_NO_FOLD)
        return refs
    counts = list(map(_getrefcount, compress(refs, atoms)))
    alone = list(map(_ALONE.__eq__, counts))
    if not any(alone):
        folded.append(_NO_FOLD)
        return refs
    atom_refs = list(compress(refs, atoms))
    gone = list(compress(atom_refs, alone))
    sizes = list(map(_getsizeof, gone))
    folded.append((sum(sizes) + INT_FIX * sizes.count(INT_ONE_DIGIT), len(gone)))
    del sizes
    del gone
    # keep the non-atoms and the shared atoms, in order
    it_alone = iter(alone)
    keep = [not a or not next(it_alone) for a in atoms]
    del atom_refs
    return list(compress(refs, keep))


_FLIP = bytes([1, 0]) + bytes(254)  # bytearray.translate table: 0 <-> 1


class Retention:
    """Reference-count bookkeeping over one closure; answers 'what does a cut free?'."""

    def __init__(self, members, index, kids_of, target_id, target_ext, extra_own):
        self.members = members
        self.index = index
        self.kids_of = kids_of
        n = len(members)
        internal = [0] * n
        get = index.get
        for i in range(n):
            for cid in kids_of[i]:
                j = get(cid)
                if j is not None:
                    internal[j] += 1
        base = [0] * n
        for i in range(n):
            x = members[i]
            xid = id(x)
            if xid == target_id:
                ext = target_ext
            else:
                # 3 = members list + this local + getrefcount's argument
                ext = sys.getrefcount(x) - 3 - extra_own.get(xid, 0)
            base[i] = ext - internal[i]
        x = None
        self.base = base
        self._sizes: dict[int, int] = {}

    def freed_bytes(self, cuts) -> int:
        return self.release(cuts, check_collect=False)[0]

    def release(self, cuts, before: bytearray | None = None,
                check_collect: bool = True) -> tuple[int, bool, bytearray]:
        """What removing the references ``cuts`` frees: ``(bytes, needs_collect, dead)``.

        ``dead[i]`` is 1 for every member that nothing live refers to any more.
        Reference counting frees the dead members in a cascade from those no dead
        member refers to; the others are on, or only held by, a cycle of dead
        members, and wait for the cyclic collector. ``before``: the ``dead`` of
        another release; members dead there are not counted (neither bytes nor
        ``needs_collect``). ``check_collect=False`` skips the cascade (``needs_collect``
        is then False).
        """
        index = self.index
        kids_of = self.kids_of
        n = len(self.members)
        cut_ext: dict[int, int] = {}
        cut_int: dict[tuple[int, int], int] = {}
        for holder_id, child_id, _slot in cuts:
            j = index.get(child_id)
            if j is None:
                continue
            h = index.get(holder_id)
            if h is None:
                cut_ext[j] = cut_ext.get(j, 0) + 1
            else:
                cut_int[(h, j)] = cut_int.get((h, j), 0) + 1
        live = bytearray(n)
        stack = []
        base = self.base
        for i in range(n):
            if base[i] - cut_ext.get(i, 0) > 0:
                live[i] = 1
                stack.append(i)
        while stack:
            i = stack.pop()
            kids = kids_of[i]
            for cid in kids:
                j = index.get(cid)
                if j is None or live[j]:
                    continue
                if cut_int and (i, j) in cut_int:
                    if sum(1 for c in kids if c == cid) - cut_int[(i, j)] <= 0:
                        continue
                live[j] = 1
                stack.append(j)
        dead = live.translate(_FLIP)
        total = 0
        newly = 0
        sizes = self._sizes
        for i in range(n):
            if dead[i] and (before is None or not before[i]):
                newly += 1
                size = sizes.get(i)
                if size is None:
                    x = self.members[i]
                    # atoms (an object column's strings): their flat size is sys.getsizeof
                    size = sizes[i] = _getsizeof(x) if id(type(x)) in _ATOM_IDS else flat_size(x)
                total += size
        collect = check_collect and newly > 0 and self._needs_collect(dead, cut_int, before)
        return total, collect, dead

    def _needs_collect(self, dead, cut_int, before) -> bool:
        """True if some dead member (not dead in ``before``) survives the refcount cascade.

        Kahn's algorithm over the dead members: one that no dead member refers to any
        more is freed by reference counting, which releases its references in turn;
        what is left is on, or only held by, a cycle.
        """
        get = self.index.get
        kids_of = self.kids_of
        n = len(dead)
        cut_from: dict[int, dict[int, int]] = {}
        for (h, j), c in cut_int.items():
            if dead[h] and dead[j]:
                cut_from.setdefault(h, {})[j] = c
        dead_ids = list(itertools.compress(range(n), dead))
        indeg = [0] * n  # references from dead members that the cuts leave in place
        dkids: list = [()] * n
        for i in dead_ids:
            kids = kids_of[i]
            if not kids:
                continue
            ks = [j for j in map(get, kids) if j is not None and dead[j]]
            if not ks:
                continue
            skip = cut_from.get(i)
            if skip:
                skip = dict(skip)
                kept = []
                for j in ks:
                    if skip.get(j, 0) > 0:
                        skip[j] -= 1
                    else:
                        kept.append(j)
                ks = kept
            dkids[i] = ks
            for j in ks:
                indeg[j] += 1
        stack = [i for i in dead_ids if not indeg[i]]
        freed = 0
        while stack:
            i = stack.pop()
            freed += 1
            for j in dkids[i]:
                indeg[j] -= 1
                if not indeg[j]:
                    stack.append(j)
        if freed == len(dead_ids):
            return False
        return any(indeg[i] and (before is None or not before[i]) for i in dead_ids)


_ALONE = _calibrate_fold()
_ALONE_SHORT = _calibrate_short()
