"""The heap walk: every live object, found once, with its type.

The engine behind :func:`muppy.get_objects`, :func:`summary.summarize` of the whole
heap, the :class:`tracker.SummaryTracker` and the heap snapshots (:mod:`.heap`).
:func:`walk_heap` lists the GC-tracked objects and everything reachable from them
through objects the collector does not track (strs, ints, untracked tuples and dicts,
code constants, dict keys, what the third-party size rules' ``refs=`` reach), each
once, as two :class:`WalkPart` (objects, their types, and a byte code per object);
:class:`HeapList` is the list :func:`muppy.get_objects` hands out, remembering them.

The bulk helpers work a list at a time (C loops: ``map``, ``compress``, bytes
translation): :func:`flag_mask`/:func:`select_flagged`/:func:`flag_positions` pick
objects by a 0/1 byte mask, :func:`byte_table` builds a 256-entry translation table
from a predicate on the code byte, :func:`frequent_types`/:func:`type_numbers` number
the frequent types of a list.  No sizes here: flat sizes are another module's job.
"""

from __future__ import annotations

import gc
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate, chain, compress, count, filterfalse, repeat
from operator import add, attrgetter, eq, not_, or_
from typing import Any

from . import _layout
from ._accel import speedups
from ._layout import count_elements
from ._thirdparty import hidden_referents, hidden_refs_rules
from .gcsafe import ASYNCIO_FREELIST_BUG, get_referents

__all__ = [
    "HAVE_GC", "SINGLE_REFCOUNT", "FLIP", "WalkPart", "HeapList", "walk_heap", "real_type",
    "hashable_types", "type_set", "frequent_types", "type_numbers", "flag_mask", "flag_positions",
    "select_flagged", "dict_key_list", "byte_table", "rules_of", "ruled_objects",
    "untracked_referents", "untracked_closure", "code_parts", "is_iterable", "rule_referents",
    "type_is_ruled", "rule_refs_of", "walk_guard", "walk_flat",
]

HAVE_GC = 1 << 14  # Py_TPFLAGS_HAVE_GC
_FrameType = types.FrameType
_CodeType = types.CodeType
_getrefcount = sys.getrefcount
_is_tracked = gc.is_tracked
_dict_keys = dict.keys  # unbound: a subclass's keys() override never runs

# Attributes of a code object that are stored objects (reading them creates
# nothing).  ``co_code``/``co_varnames`` are left out on purpose: on 3.11+ the
# first read materializes a new cached object, which would grow the heap we
# are measuring.
code_parts = attrgetter(
    "co_consts", "co_names", "co_filename", "co_name", "co_qualname",
    "co_linetable", "co_exceptiontable",
)


# --------------------------------------------------------------------------
# the walk
# --------------------------------------------------------------------------

class _TypeKey:
    """A hashable stand-in for a type whose metaclass makes it unhashable
    (``__eq__`` without ``__hash__``, or a ``__hash__`` that raises); compared by identity."""

    __slots__ = ("type",)

    def __init__(self, t: type) -> None:
        self.type = t


def real_type(t: Any) -> type:
    """The type behind a :class:`_TypeKey` (or ``t`` itself)."""
    return t.type if type(t) is _TypeKey else t


def hashable_types(tys: list) -> list:
    """``tys`` with every unhashable type replaced by one :class:`_TypeKey` per type.

    The slow path (a Python loop): used only after hashing a type failed.
    """
    keys: dict[int, _TypeKey] = {}
    out = []
    for t in tys:
        try:
            hash(t)
        except Exception:  # noqa: BLE001 - unhashable, or a metaclass __hash__ that raises
            key = keys.get(id(t))
            if key is None:
                key = keys[id(t)] = _TypeKey(t)
            t = key
        out.append(t)
    return out


def type_set(tys: list) -> tuple[set, list]:
    """``(set(tys), tys)``; unhashable types replaced by stand-ins where needed."""
    try:
        return set(tys), tys
    except Exception:  # noqa: BLE001 - a metaclass's __hash__/__eq__ raised
        tys = hashable_types(tys)
        return set(tys), tys


class WalkPart:
    """What the heap walk found of one kind (tracked or untracked objects).

    ``objects`` and ``types`` (hashable: see :func:`type_set`) are parallel lists;
    ``types`` is None when ``objects`` has repeats (``unique`` False). The accelerated
    walk computes ``types`` on first use only (its summaries size objects in C).
    ``codes`` has a byte per object, the number (1..15) of its type in ``frequent``
    or 0 (None when not computed).  Summaries count the frequent types with bytes
    methods instead of a pass over the types each.
    """

    __slots__ = ("objects", "_types", "codes", "frequent", "unique", "_lazy")

    def __init__(self, objects: list, types: list | None,
                 codes: bytearray | None = None, frequent: list | tuple = (),
                 unique: bool = True, lazy_types: bool = False) -> None:
        self.objects = objects
        self._types = types
        self.codes = codes
        self.frequent = frequent
        self.unique = unique
        self._lazy = lazy_types and types is None

    @property
    def types(self) -> list | None:
        """The objects' types (hashable), computed on first use after an accelerated walk."""
        if self._lazy:
            self._lazy = False
            self._types = type_set(list(map(type, self.objects)))[1]
        return self._types

    @types.setter
    def types(self, value: list | None) -> None:
        self._types = value
        self._lazy = False

    def valid(self) -> bool:
        """Whether the lists still line up (nothing changed them since the walk)."""
        n = len(self.objects)
        return (self.unique and (self._lazy or (self._types is not None and len(self._types) == n))
                and (self.codes is None or len(self.codes) == n))


_PEEL_MIN = 2000  # a type this frequent (and >= 1/_PEEL_DIV of the list) is counted on its own
_PEEL_DIV = 10


def _prime_at_least(k: int) -> int:
    while any(k % d == 0 for d in range(2, int(k ** 0.5) + 1)):
        k += 1
    return k


def frequent_types(tys: list) -> list:
    """The types of at least a tenth of ``tys`` (and of 2,000 objects), most frequent
    first, estimated on a sample (a prime stride: objects often come in repeating
    groups such as node, str, int)."""
    n = len(tys)
    if n < 4 * _PEEL_MIN:
        return []
    step = _prime_at_least(max(2, n // 8192))
    sample: dict[type, int] = {}
    count_elements(sample, tys[::step])
    threshold = max(_PEEL_MIN, n // _PEEL_DIV)
    return sorted((t for t, c in sample.items() if c * step >= threshold),
                  key=sample.__getitem__, reverse=True)[:15]


def type_numbers(frequent: list | tuple) -> dict:
    """``{type: its number}`` for the frequent types: 1, 2, ... (0 is every other type)."""
    return dict(zip(frequent, range(1, len(frequent) + 1)))


FLIP = bytes([1, 0]) + bytes(254)  # bytes.translate table: 0 <-> 1


def flag_mask(flags: Iterable) -> bytearray:
    """A selection mask from an iterable of bools (or 0/1): a bytearray, which
    ``compress`` reads about twice as fast as a list of bools."""
    return bytearray(flags)


def flag_positions(mask: bytes | bytearray, want: bool = True) -> Iterator[int]:
    """Positions of the entries of a 0/1 mask equal to ``want``, found in the mask
    alone (split at those entries: cheap when they are few)."""
    gaps = mask.split(b"\x01" if want else b"\x00")
    gaps.pop()
    return map(add, accumulate(map(len, gaps)), count())


def select_flagged(objects: list, mask: bytes | bytearray, hits: int | None = None,
            want: bool = True) -> list:
    """``list(compress(objects, mask))`` for a 0/1 :func:`flag_mask`, ``hits`` entries of
    which equal ``want`` (with ``want=False``: the objects whose entry is 0).

    ``compress`` reads every object (a reference count update each: on a big heap,
    a cache miss each).  When few are selected, their positions are found in the
    mask alone and only they are read.
    """
    if hits is None:
        hits = mask.count(want)
    if hits * 8 > len(mask):
        return list(compress(objects, mask if want else mask.translate(FLIP)))
    return list(map(objects.__getitem__, flag_positions(mask, want)))


def dict_key_list(dicts: list) -> list:
    """All keys of ``dicts`` in one flat list (read through the unbound ``dict.keys``).

    A dict that changes size while it is read (only possible if another thread
    or a finalizer runs in between) is retried once and then skipped.
    """
    try:
        return list(chain.from_iterable(map(_dict_keys, dicts)))
    except RuntimeError:
        pass
    keys: list = []
    for d in dicts:
        for _attempt in range(2):
            try:
                keys.extend(_dict_keys(d))
                break
            except RuntimeError:
                continue
    return keys


# Flags of untracked objects' types (one byte per object, above the frequent
# type's number, see _type_codes).
_GC_KIND, _DICT_KIND, _CODE_KIND, _RULE_KIND = 16, 32, 64, 128
_LOW4 = bytes(i & 15 for i in range(256))


def byte_table(pred: Callable[[int], bool]) -> bytes:
    """A ``bytes.translate`` table mapping each byte value to ``pred(value)`` (0/1)."""
    return bytes(int(bool(pred(i))) for i in range(256))


_HAS_GC = byte_table(lambda c: c & _GC_KIND)
_HAS_DICT = byte_table(lambda c: c & _DICT_KIND)
_HAS_CODE = byte_table(lambda c: c & _CODE_KIND)
_HAS_RULE = byte_table(lambda c: c & _RULE_KIND)


def rules_of(tset) -> dict:
    """``{type: refs}`` for the (hashable, see :func:`type_set`) types of ``tset``
    whose registered size rule has ``refs``: their objects may hold references that
    ``gc.get_referents`` does not report (a numpy object array its elements, a view
    its base), found by :func:`rule_referents`."""
    keys = list(tset)
    return {k: r for k, r in zip(keys, hidden_refs_rules(list(map(real_type, keys))))
            if r is not None}


def rule_referents(objs: list, rules: dict) -> list:
    """What ``objs`` (objects of the types of ``rules``) hold besides their
    ``gc.get_referents``, by the registered rules' ``refs`` (with repeats)."""
    if not objs:
        return []
    by_type: dict = {}
    for o in objs:
        group = by_type.get(id(type(o)))
        if group is None:
            group = by_type[id(type(o))] = [type(o)]
        group.append(o)
    refs_by_id = {id(real_type(k)): r for k, r in rules.items()}
    out: list = []
    for group in by_type.values():
        tp = group[0]
        refs = refs_by_id.get(id(tp))
        if refs is not None:
            out.extend(chain.from_iterable(hidden_referents(group[1:], refs, tp)))
    return out


def ruled_objects(objects: list, tys: list, rules: dict) -> list:
    """The objects of ``objects`` (types ``tys``, hashable) whose type is in ``rules``."""
    if not rules:
        return []
    return select_flagged(objects, flag_mask(map(rules.__contains__, tys)))


def _type_codes(tys: list, tset: set, frequent: list | tuple = (),
                rules: dict | None = None) -> bytearray:
    """A byte per object of types ``tys`` (hashable; ``tset`` their set): the number
    (1..15) of its type in ``frequent`` or 0, plus flags for the kinds whose objects
    have referents to follow (collector-aware types, dicts, code objects, types
    with a size rule's ``refs``: ``rules``, see :func:`rules_of`)."""
    byte = type_numbers(frequent)
    for t in tset:
        real = real_type(t)
        bits = _RULE_KIND if rules and t in rules else 0
        if _layout.type_flags(real) & HAVE_GC:
            bits |= _GC_KIND
        if issubclass(real, dict):
            bits |= _DICT_KIND
        if real is _CodeType:
            bits |= _CODE_KIND
        if bits:
            byte[t] = byte.get(t, 0) | bits
    return flag_mask(map(byte.get, tys, repeat(0))) if byte else bytearray(len(tys))


def _referents_of_untracked(frontier: list, codes: bytearray, rules: dict | None = None,
                            ) -> list:
    """Untracked objects referenced by the objects of ``frontier``, with repeats.

    ``frontier`` holds objects that were just found (all untracked), ``codes`` their
    :func:`_type_codes`.  Their referents come from four places: the
    ``tp_traverse`` of GC-capable types (untracked tuples and dicts), the stored
    attributes of code objects, the keys of dicts, and the size rules' ``refs`` of
    the types in ``rules`` (what a numpy array holds).  Most of the frontier is
    leaves (str, int, ...): only the few containers are read.
    """
    found = get_referents(*select_flagged(frontier, codes.translate(_HAS_GC)))
    found.extend(chain.from_iterable(map(code_parts,
                                         select_flagged(frontier, codes.translate(_HAS_CODE)))))
    found.extend(dict_key_list(select_flagged(frontier, codes.translate(_HAS_DICT))))
    if rules:
        found.extend(rule_referents(select_flagged(frontier, codes.translate(_HAS_RULE)), rules))
    return list(filterfalse(_is_tracked, found))


def _frontier_codes(frontier: list, frequent: list | None = None,
                    ) -> tuple[list, bytearray, dict]:
    """``(types, codes, rules)`` of a frontier: hashable types, :func:`_type_codes`
    and :func:`rules_of` its types.

    ``frequent`` (the numbering of a whole part) gets the frontier's frequent types
    that it lacks appended, up to 15: the numbers already given stay valid.
    """
    ftypes, ftys = type_set(list(map(type, frontier)))
    if frequent is None:
        frequent = []
    elif len(frequent) < 15:
        known = set(frequent)
        frequent.extend([t for t in frequent_types(ftys) if t not in known][:15 - len(frequent)])
    rules = rules_of(ftypes)
    return ftys, _type_codes(ftys, ftypes, frequent, rules), rules


def _new_ids(cand: dict, seen: dict, skip: dict | None) -> list:
    """Ids of ``cand`` in neither ``seen`` nor ``skip`` (cost: len(cand), not len(seen))."""
    new = filterfalse(seen.__contains__, cand)
    if skip:
        new = filterfalse(skip.__contains__, new)
    return list(new)


def _with_repeats(level1: list, skip: dict[int, Any] | None) -> list:
    """``remove_dups=False``: ``level1`` as found (with repeats) plus the deeper objects."""
    if skip:
        level1 = list(compress(level1, map(not_, map(skip.__contains__, map(id, level1)))))
    seen = dict(zip(map(id, level1), level1))
    frontier = list(seen.values())
    deeper: list = []
    while frontier:
        _, fcodes, rules = _frontier_codes(frontier)
        found = _referents_of_untracked(frontier, fcodes, rules)
        cand = dict(zip(map(id, found), found))
        new_ids = _new_ids(cand, seen, skip)
        frontier = list(map(cand.__getitem__, new_ids))
        seen.update(zip(new_ids, frontier))
        deeper.extend(frontier)
    level1.extend(deeper)
    return level1


def untracked_referents(tracked: list, dicts: list, ruled: list | None = None,
            rules: dict | None = None) -> list:
    """The untracked direct referents of ``tracked`` objects (with repeats), plus the
    keys of ``dicts`` (tracked dicts among them) that the collector does not visit,
    plus what ``ruled`` (those whose type is in ``rules``) hold besides their
    ``gc.get_referents`` (see :func:`rule_referents`)."""
    level1 = list(filterfalse(_is_tracked, get_referents(*tracked)))
    level1.extend(filterfalse(_is_tracked, dict_key_list(dicts)))
    if ruled:
        level1.extend(filterfalse(_is_tracked, rule_referents(ruled, rules)))
    return level1


def _singles(found: list, skip: dict | set | None, seen: dict) -> list:
    """The objects of ``found`` met for the first time, each once.

    An object whose refcount shows exactly one reference besides its entry in
    ``found`` is referenced only by the container it was found through: it cannot be
    met again, so it needs no dedup (most strs and ints).  The others go through
    ``seen``, an id-keyed dict (updated here).  Objects in ``skip`` are held by
    ``skip``'s owner too, so they are never singles; they are left out.
    """
    single = flag_mask(map(eq, map(_getrefcount, found), repeat(SINGLE_REFCOUNT)))
    new = list(compress(found, single))
    multi = select_flagged(found, single, len(found) - len(new), want=False)
    del single
    if multi:
        cand = dict(zip(map(id, multi), multi))
        del multi
        new_ids = _new_ids(cand, seen, skip)
        again = list(map(cand.__getitem__, new_ids))
        seen.update(zip(new_ids, again))
        new.extend(again)
        del cand, new_ids, again
    return new


def untracked_closure(level1: list, skip: dict | set | None) -> WalkPart:
    """``level1`` (untracked objects found from tracked ones, with repeats) and all that
    is reachable from them through untracked objects, each once, as a :class:`WalkPart`
    (deduplicated level by level with :func:`_singles`)."""
    seen: dict[int, Any] = {}
    untracked = _singles(level1, skip, seen)
    frequent: list = []
    utys, codes, rules = _frontier_codes(untracked, frequent)
    frontier, fcodes = untracked, codes
    while frontier:
        found = _referents_of_untracked(frontier, fcodes, rules)
        frontier = _singles(found, skip, seen)
        del found
        ftys, fcodes, rules = _frontier_codes(frontier, frequent)
        untracked.extend(frontier)
        utys.extend(ftys)
        codes.extend(fcodes)
    return WalkPart(untracked, utys, codes.translate(_LOW4), frequent)


def _calibrate_single() -> int:
    """The refcount ``map(sys.getrefcount, lst)`` reports for an object held by
    exactly one container besides ``lst``."""
    probe = float("0.123456789")  # a fresh object
    holder = [probe]
    lst = [probe]
    del probe
    rc = list(map(_getrefcount, lst))[0]
    del holder, lst
    return rc


SINGLE_REFCOUNT = _calibrate_single()


def _own_frames(depth: int) -> tuple[set[int], list]:
    """Split the current stack after the ``depth`` innermost frames.

    Counting from the caller of this function (``walk_heap``), the ``depth`` frames
    are ours plus the user's frame that called the public function (Pympler
    leaves that one out too, so that the returned list does not form a cycle
    with the caller's locals).  Returns their ids and the list of the frames
    above them.
    """
    frame = sys._getframe(1)
    own: set[int] = set()
    for _level in range(depth):
        if frame is None:
            break
        own.add(id(frame))
        frame = frame.f_back
    outer = []
    while frame is not None:
        outer.append(frame)
        frame = frame.f_back
    return own, outer


# Flags of tracked objects' types (one byte per object, above the frequent type's
# number, see _tracked_part).
_DICT, _FRAME, _SKIPPABLE, _DROP = 16, 32, 64, 128
_IS_DICT = byte_table(lambda c: c & _DICT and not c & _DROP)
_IS_SKIPPABLE = byte_table(lambda c: c & _SKIPPABLE)
_IS_GONE = byte_table(lambda c: c & (_DROP | _FRAME))
_IS_FRAME = byte_table(lambda c: c & _FRAME and not c & _DROP)
_TO_DROP = bytes([0, _DROP]) + bytes(254)


class OthersWait:
    """Context manager: other Python threads wait (a switch interval of at least 2 s) while
    this thread, which does no I/O meanwhile, lists and sizes what they could change."""

    __slots__ = ("_switch",)

    def __enter__(self) -> "OthersWait":
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(max(self._switch, 2.0))
        return self

    def __exit__(self, *exc) -> None:
        sys.setswitchinterval(self._switch)


def _list_tracked(before_listing=None) -> list:
    """``gc.get_objects()``; ``before_listing()`` runs right before it while the other
    threads wait (:class:`OthersWait`), so what it discounts cannot change meanwhile."""
    if before_listing is None:
        return gc.get_objects()
    with OthersWait():
        before_listing()
        return gc.get_objects()


def _tracked_part(skip: dict[int, Any] | None, include_frames: bool,
                  depth: int, before_listing=None) -> tuple[WalkPart, list, list, dict]:
    """``(part, dicts, ruled, rules)``: the objects the collector tracks, without frames
    (unless ``include_frames``) and without the objects whose id is in ``skip``; the
    dicts among them; those of a type with a size rule's ``refs`` and those rules
    (see :func:`rules_of`).

    One pass over the types gives each object a byte: its type's number among the
    frequent types and flags (dict, frame, of a type some skipped object has).  Ids,
    which cost an integer each, are taken only of the objects whose type some
    skipped object has, when those are few (a tracker's own objects have types of
    their own).
    """
    tracked = _list_tracked(before_listing)
    ttypes, ttys = type_set(list(map(type, tracked)))
    frequent = frequent_types(ttys)
    flags = type_numbers(frequent)
    for t in ttypes:
        if issubclass(real_type(t), dict):
            flags[t] = flags.get(t, 0) | _DICT
    if _FrameType in ttypes:
        flags[_FrameType] = flags.get(_FrameType, 0) | _FRAME
    test_all = False
    if skip:
        try:
            for t in set(map(type, skip.values())) & ttypes:
                flags[t] = flags.get(t, 0) | _SKIPPABLE
        except Exception:  # noqa: BLE001 - an unhashable class (or its __hash__ raises): test every object
            test_all = True
    rules = rules_of(ttypes)
    del ttypes
    n = len(tracked)
    codes = flag_mask(map(flags.get, ttys, repeat(0))) if flags else bytearray(n)
    del flags
    if skip:
        candidate = codes.translate(_IS_SKIPPABLE)
        hits = candidate.count(1)
        if test_all or hits * 8 > n:
            dropped = flag_mask(map(skip.__contains__, map(id, tracked)))
            codes = bytearray(map(or_, codes, dropped.translate(_TO_DROP)))
            del dropped
        elif hits:
            pos = list(flag_positions(candidate))
            for p in compress(pos, map(skip.__contains__, map(id, map(tracked.__getitem__, pos)))):
                codes[p] |= _DROP
            del pos
        del candidate
    gone = codes.translate(_IS_GONE)
    n_gone = gone.count(1)
    frames = select_flagged(tracked, codes.translate(_IS_FRAME)) if include_frames else []
    if 0 < n_gone <= 16:  # a tracker's own objects: delete them in place (a memmove each)
        for p in reversed(list(flag_positions(gone))):
            del tracked[p], ttys[p], codes[p]
    elif n_gone:
        kept = n - n_gone
        tracked = select_flagged(tracked, gone, kept, want=False)
        ttys = select_flagged(ttys, gone, kept, want=False)
        codes = bytearray(compress(codes, gone.translate(FLIP)))
    del gone
    tdicts = select_flagged(tracked, codes.translate(_IS_DICT))
    ruled = ruled_objects(tracked, ttys, rules)
    codes = codes.translate(_LOW4)
    if include_frames:
        own, outer = _own_frames(depth + 3)
        frames = list(compress(frames, map(not_, map(own.__contains__, map(id, frames)))))
        listed = set(map(id, frames))
        frames.extend(compress(outer, map(not_, map(listed.__contains__, map(id, outer)))))
        tracked.extend(frames)
        ttys.extend(map(type, frames))
        codes.extend(bytes(len(frames)))  # (counted with the other types)
        del own, outer, listed
    del frames
    return WalkPart(tracked, ttys, codes, frequent), tdicts, ruled, rules


def type_is_ruled(t: type) -> bool:
    """Whether objects of type ``t`` have a size rule with ``refs`` (see :func:`rules_of`)."""
    return hidden_refs_rules([t])[0] is not None


def rule_refs_of(objs: list) -> list:
    """What ``objs`` (of ruled types) hold besides their ``gc.get_referents``."""
    return rule_referents(objs, rules_of(type_set(list(map(type, objs)))[0]))


def walk_guard() -> object:
    """The object the C walk must never traverse: the ``_asyncio`` module on the CPython
    versions with its free-list bug (see :mod:`.gcsafe`), else None."""
    return sys.modules.get("_asyncio") if ASYNCIO_FREELIST_BUG else None


def _accelerated_tracked(sp, skip: dict[int, Any] | None, include_frames: bool, depth: int,
                         before_listing=None, make=None) -> list:
    """The tracked objects of the walk on the accelerated path (``skip`` left out, frames
    only with ``include_frames``), in a new list (``make()``: made after the listing, so
    that it is not listed itself; the listing is filtered in place and moved there).
    ``depth``: the frames between the caller of this function and the user's caller."""
    listing = _list_tracked(before_listing)
    tracked, frames = sp.split_tracked(listing, skip, None if make is None else make())
    del listing
    if include_frames:  # (no comprehension: its cell would be an object of the walk)
        own, outer = _own_frames(depth + 3)
        frames = list(compress(frames, map(not_, map(own.__contains__, map(id, frames)))))
        listed = set(map(id, frames))
        frames.extend(compress(outer, map(not_, map(listed.__contains__, map(id, outer)))))
        tracked.extend(frames)
        del own, outer, listed
    del frames
    return tracked


def _walk_accelerated(sp, skip: dict[int, Any] | None, include_frames: bool,
                      depth: int, before_listing=None) -> tuple[WalkPart, WalkPart]:
    """:func:`walk_heap` (``remove_dups=True``) with the C loops of ``_speedups``: the
    same objects; the parts compute their types on first use (summaries size them in C)."""
    tracked = _accelerated_tracked(sp, skip, include_frames, depth + 1, before_listing)
    untracked = sp.untracked_closure(tracked, skip, walk_guard(), type_is_ruled, rule_refs_of)
    return WalkPart(tracked, None, lazy_types=True), WalkPart(untracked, None, lazy_types=True)


def walk_flat(include_frames: bool = False, depth: int = 2, skip: dict[int, Any] | None = None,
              before_listing=None, make: Callable[[], list] = list) -> tuple[list, int] | None:
    """The objects of :func:`walk_heap` (``remove_dups=True``, same arguments) in one list
    made by ``make()``, the tracked objects first, and how many those are; None on the
    pure-Python path (use :func:`walk_heap` there: its parts carry what the pure summaries
    reuse).

    One list instead of two parts and their concatenation: on a big heap every copy of a
    listing and every release of one is a pass over all objects (a reference count
    each), which costs as much as the walk's own work per object.
    """
    sp = speedups()
    if sp is None:
        return None
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()  # no collection (and no finalizer) in the middle of the walk
    try:
        if include_frames:
            objects = _accelerated_tracked(sp, skip, include_frames, depth, before_listing, make)
            ntracked = len(objects)
            sp.untracked_closure(objects, skip, walk_guard(), type_is_ruled, rule_refs_of, objects)
            return objects, ntracked
        # without frames: the listing is filtered during the closure's pass over it
        listing = _list_tracked(before_listing)
        objects = make()
        ntracked = sp.walk_listing(listing, objects, skip, walk_guard(), type_is_ruled,
                                   rule_refs_of)
        del listing
        return objects, ntracked
    finally:
        if was_enabled:
            gc.enable()


def walk_heap(include_frames: bool = False, remove_dups: bool = True,
          depth: int = 2, skip: dict[int, Any] | None = None,
          before_listing=None) -> tuple[WalkPart, WalkPart]:
    """Enumerate the heap.

    Returns two :class:`WalkPart`: the GC-tracked objects (frames only with
    ``include_frames``), and everything reachable from them through untracked
    objects, each once, with their types (so that summaries need not compute them
    again).  ``remove_dups=False`` repeats the untracked direct referents of
    tracked objects once per reference, as Pympler does (the second part then has
    no types).

    ``depth`` is the number of frames between this function and the user's
    caller (used only with ``include_frames``).  Objects whose id is in ``skip``
    are neither listed nor looked into: what only they reference is not found
    (this is how trackers leave out their own objects).

    ``before_listing()``, if given, runs right before the collector's objects are listed
    (after the collection), with other threads kept waiting until they are: it can add
    to ``skip`` what other threads change all the time (the kernel's queues, see
    :func:`pympler_nb.core.session.kernel_background`) and both see the same heap.
    """
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()  # no collection (and no finalizer) in the middle of the walk
    try:
        sp = speedups()
        if sp is not None and remove_dups:
            return _walk_accelerated(sp, skip, include_frames, depth, before_listing)
        tpart, tdicts, ruled, rules = _tracked_part(skip, include_frames, depth, before_listing)
        level1 = untracked_referents(tpart.objects, tdicts, ruled, rules)
        del tdicts, ruled
        if not remove_dups:
            return tpart, WalkPart(_with_repeats(level1, skip), None, unique=False)
        upart = untracked_closure(level1, skip)
        del level1
        return tpart, upart
    finally:
        if was_enabled:
            gc.enable()


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------

def _invalidating(name: str) -> Any:
    method = getattr(list, name)

    def mutate(self: HeapList, *args: Any, **kwargs: Any) -> Any:
        self._parts = None
        return method(self, *args, **kwargs)

    mutate.__name__ = name
    mutate.__doc__ = method.__doc__
    return mutate


class HeapList(list):
    """The list :func:`get_objects` returns: a plain list of objects that also
    remembers how the walk found them (the tracked and the untracked part, as the
    walk's own lists, and their types), so that ``summary.summarize(get_objects())``
    need not work it out again.  Any change to the list drops that memory."""

    __slots__ = ("_parts",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._parts: tuple[WalkPart, WalkPart] | int | None = None

    for _name in ("__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend",
                  "insert", "pop", "remove", "clear", "sort", "reverse"):
        locals()[_name] = _invalidating(_name)
    del _name

    @classmethod
    def of_flat_walk(cls, include_frames: bool = False, depth: int = 2) -> HeapList | None:
        """The objects of :func:`walk_flat`, listed straight into a new HeapList that
        remembers where the untracked part starts; None on the pure-Python path."""
        flat = walk_flat(include_frames, depth + 1, make=cls)
        if flat is None:
            return None
        out, ntracked = flat
        out._parts = ntracked
        return out

    @classmethod
    def of_walk(cls, tracked: WalkPart, untracked: WalkPart) -> HeapList:
        """The objects of both parts of :func:`walk_heap`, remembering the parts when
        each object is listed once (``remove_dups=True``)."""
        out = cls(tracked.objects)
        out.extend(untracked.objects)
        if untracked.unique:
            # (the walk's lists are kept: 8 bytes an object while the listing lives,
            # and summarize() then needs no copy of either part)
            out._parts = (tracked, untracked)
        return out

    def parts(self) -> tuple[WalkPart, WalkPart] | None:
        """The walk's tracked and untracked parts, if still valid (after the accelerated
        walk, copies of the two slices, made on demand)."""
        parts = self._parts
        if parts is None:
            return None
        if type(parts) is int:  # (of_flat_walk: the untracked objects start there)
            return (WalkPart(self[:parts], None, lazy_types=True),
                    WalkPart(self[parts:], None, lazy_types=True))
        tracked, untracked = parts
        if (not tracked.valid() or not untracked.valid()
                or len(tracked.objects) + len(untracked.objects) != len(self)):
            return None
        return parts


def is_iterable(obj: object) -> bool:
    """Iterable, decided without ``isinstance(obj, collections.abc.Iterable)``.

    ABC checks cache the type they saw (new weak references and sets): a heap
    profiler must not grow the heap as a side effect of checking its arguments.
    """
    t = type(obj)
    return hasattr(t, "__iter__") or hasattr(t, "__getitem__")
