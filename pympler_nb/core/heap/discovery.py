"""The heap walk behind :func:`~pympler_nb.core.heap.take` and the retained size of one
live object (:func:`retained_size`), without a snapshot.

Discovery lists objects and their references in bulk, per type group: the whole heap
(what the collector tracks plus everything reachable from it through untracked
objects, as :func:`muppy.get_objects` lists it, without collecting) or what given roots
reach; their flat sizes (:func:`group_sizes`), the owners of ``__dict__`` objects and
the outgoing references of each chunk of a type group (:func:`chunk_edges`).  The
snapshots alive now (``LIVE``) and their own tables are our own objects (listed in the
session's registry, :func:`session.register_own`): every walk leaves them out.
Nothing here recurses over user data.

>>> from pympler_nb.core.heap import discovery
>>> big = [bytearray(1000) for _ in range(10)]
>>> discovery.retained_size(big) >= 10 * 1000
True
"""

from __future__ import annotations

import gc
import sys
import types
import weakref
from array import array
from bisect import bisect_right
from collections import deque
from itertools import accumulate, chain, compress, filterfalse, repeat
from operator import add, eq, is_not, not_, sub

from .. import _layout
from .._accel import speedups
from .._layout import count_elements
from .._thirdparty import hidden_referents
from ..objwalk import (
    FLIP as _FLIP,
    HAVE_GC as _HAVE_GC,
    SINGLE_REFCOUNT as _SINGLE_RC,
    code_parts as _code_parts,
    dict_key_list as _dict_key_list,
    hashable_types as _hashable_types,
    untracked_referents,
    flag_mask,
    flag_positions,
    real_type as _real,
    ruled_objects as _ruled,
    rules_of as _rules_of,
    select_flagged,
    byte_table,
    rule_refs_of,
    type_is_ruled,
    type_set as _type_set,
    untracked_closure as _untracked_closure,
    walk_guard,
)
from ..flatsize import own_sizes
from ..gcsafe import get_referents
from ..session import own_ids

__all__ = ["retained_size"]

_getrefcount = sys.getrefcount
_get_referents = get_referents
_is_tracked = gc.is_tracked
_CodeType = types.CodeType
_ModuleType = types.ModuleType
CHUNK = 1 << 16  # objects of one type group whose references are listed at once
_PTR = 8 if sys.maxsize > 2**32 else 4

# live snapshots: their own data is never listed by a later walk
LIVE: weakref.WeakSet = weakref.WeakSet()


def drain(iterator) -> None:
    deque(iterator, maxlen=0)


# --------------------------------------------------------------------------
# walking the heap: objects, sizes, references
# --------------------------------------------------------------------------

def discover_all(skip: set, refcounts: bool) -> tuple:
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
    sp = speedups()
    if sp is not None:  # the C closure (an object of ``skip`` is not looked into)
        del ttypes
        untracked = sp.untracked_closure(tracked, skip or None, walk_guard(), type_is_ruled,
                                         rule_refs_of)
        return tracked, ttys, rcs, untracked, _type_set(list(map(type, untracked)))[1]
    dict_types = {t for t in ttypes if issubclass(_real(t), dict)}
    rules = _rules_of(ttypes)
    del ttypes
    tdicts = select_flagged(tracked, flag_mask(map(dict_types.__contains__, ttys))) if dict_types else []
    ruled = _ruled(tracked, ttys, rules)
    direct_untracked = untracked_referents(tracked, tdicts, ruled, rules)
    del tdicts, ruled
    # an object of ``skip`` is held by its snapshot, which is not looked into
    upart = _untracked_closure(direct_untracked, skip)
    del direct_untracked
    untracked, utys = upart.objects, upart.types
    del upart
    return tracked, ttys, rcs, untracked, utys


_X_DICT, _X_CODE, _X_RULE = 1, 2, 4
_IS_X_DICT = byte_table(lambda c: c & _X_DICT)
_IS_X_CODE = byte_table(lambda c: c & _X_CODE)
_IS_X_RULE = byte_table(lambda c: c & _X_RULE)


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
    codes = flag_mask(map(kinds.get, tys, repeat(0)))
    if rules:
        by_type: dict = {}
        for p in flag_positions(codes.translate(_IS_X_RULE)):
            by_type.setdefault(tys[p], []).append(p)
        for t, pos in by_type.items():
            got = hidden_referents(list(map(objs.__getitem__, pos)), rules[t], _real(t))
            if hidden is not None:
                count_elements(hidden, map(id, filter(_is_tracked, chain.from_iterable(got))))
            out.update(zip(pos, got))
            del got
    pos = list(flag_positions(codes.translate(_IS_X_DICT)))
    if pos:
        dicts = list(map(objs.__getitem__, pos))
        try:
            keys = list(map(list, map(dict.keys, dicts)))
        except RuntimeError:  # a dict changed size while read (another thread)
            keys = [_dict_key_list([d]) for d in dicts]
        for p, k in zip(pos, keys):
            have = out.get(p)
            out[p] = k if have is None else have + k
    pos = list(flag_positions(codes.translate(_IS_X_CODE)))
    if pos:
        out.update(zip(pos, map(list, map(_code_parts, map(objs.__getitem__, pos)))))
    return out


def _namespace_ids() -> set:
    """Ids of module namespaces (``sys.modules`` values' dicts)."""
    from .._graphwalk import module_dict

    ids = set()
    for m in list(sys.modules.values()):
        try:
            ids.add(id(module_dict(m)))
        except Exception:  # noqa: BLE001 - a module stand-in
            pass
    return ids


def discover_roots(roots: list, skip: set) -> list:
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
        outside = list(map(_is_class_or_module, map(type, frontier)))
        if any(outside):
            inside = list(map(not_, outside))
            seen.update(zip(compress(new_ids, outside), repeat(None)))
            frontier = list(compress(frontier, inside))
            new_ids = list(compress(new_ids, inside))
        seen.update(zip(new_ids, frontier))
        out.extend(frontier)
        del cand
    return out


def _is_class_or_module(tp) -> bool:
    """Classes and modules are not entered from a data structure."""
    return issubclass(tp, (type, _ModuleType))


def split_by_type(objs: list, tys: list, rcs: list | None = None) -> list:
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
    drain(map(list.append, map(buckets.__getitem__, tys), objs))
    if rcs is None:
        return [(t, buckets[t], None) for t in order]
    rbuckets = {t: [] for t in order}
    drain(map(list.append, map(rbuckets.__getitem__, tys), rcs))
    return [(t, buckets[t], rbuckets[t]) for t in order]


def ids_of(objs: list) -> array:
    """``array("Q", map(id, objs))``; on CPython a copy of the list's item pointers
    (which are the ids), without making an int per object."""
    n = len(objs)
    if type(objs) is list and n > 64 and _PTR == 8 and _layout.SUPPORTED:
        try:
            import ctypes

            out = array("Q", bytes(8 * n))
            items = _layout.read_ptr(id(objs) + 3 * _PTR).value  # PyListObject.ob_item
            ctypes.memmove(out.buffer_info()[0], items, 8 * n)
            if out[0] == id(objs[0]) and out[-1] == id(objs[-1]):
                return out
        except Exception:  # noqa: BLE001
            pass
    return array("Q", map(id, objs))


def group_sizes(t, group: list) -> array:
    """Flat sizes of ``group`` (objects of exact type ``t``, possibly a hashable
    stand-in): :func:`flatsize.own_sizes`, the one definition of an object's own size."""
    return own_sizes(_real(t), group)


def session_objects() -> dict[int, str]:
    """``{id: type name}`` of the IPython session's per-cell bookkeeping alive now
    (empty outside IPython); no reference to the objects is kept."""
    from ..session import Discount, session_bookkeeping

    out = Discount()
    try:
        session_bookkeeping(out)
        own = {id(out), id(out.skip), id(out.subtract)}
        return {key: type_text(type(obj))
                for table in (out.skip, out.subtract) for key, obj in table.items()
                if key not in own}
    finally:
        out.skip.clear()
        out.subtract.clear()


def type_text(t) -> str:
    from ..summary import type_text as text

    return text(t)


def type_module(t) -> str:
    try:
        mod = type.__dict__["__module__"].__get__(t)
    except Exception:  # noqa: BLE001
        return "?"
    return mod if isinstance(mod, str) else "?"


def dict_owners(groups: list, index: dict, tidx: array, dict_code) -> dict:
    """``{dict row: owner kind text}`` for module, class and instance ``__dict__`` s."""
    owners: dict = {}
    if dict_code is None:
        return owners
    tagged = sys.version_info[:2] == (3, 12)
    for t, group, _ in groups:
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
                        owners[j] = name = name or "dict of " + type_text(tp)
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
        from .._graphwalk import Labeller

        labeller = cache["labeller"] = Labeller()
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


class ViaLabels:
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


def chunk_edges(chunk: list, tp, index: dict, indeg: dict | None, via: ViaLabels | None,
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
            count_elements(indeg, map(index.get, map(id, chain.from_iterable(refs))))
        if rule_refs is not None:
            hidden = hidden_referents(chunk, rule_refs, tp)
            if hidden_indeg is not None:
                count_elements(hidden_indeg,
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
            count_elements(indeg, targets)
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
    is_root = flag_mask(map((0).__lt__, ext))
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
        out = {t for t in tset if _is_class_or_module(_real(t))}
        if out:
            keep = list(map(not_, map(out.__contains__, tys)))
            new = list(compress(new, keep))
            tys = list(compress(tys, keep))
    return new, tys, hit


def root_list_of(roots) -> list | None:
    """``roots`` (an iterable of objects, or None for the whole session) as a list;
    a clear ``TypeError`` for a string or a non-iterable."""
    if roots is None:
        return None
    if isinstance(roots, (str, bytes)) or not hasattr(type(roots), "__iter__"):
        raise TypeError("roots must be an iterable of objects (e.g. [obj]), got %s" % type(roots).__name__)
    return list(roots)


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
    root_list = root_list_of(roots)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        skip = own_ids()
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
            real = flag_mask(map(int.__gt__, ext, map(hidden.get, map(id, root_objs), repeat(0))))
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
    return sum(sum(group_sizes(t, g)) for t, g, _ in split_by_type(kept, kept_tys))

