"""The walker: :class:`Asizer` (accumulating deep sizer, level by level in C) and
:class:`SizingSession`."""

from __future__ import annotations

import sys
import types
from bisect import bisect_right
from collections import Counter, deque
from functools import partial
from itertools import accumulate, chain, compress, repeat
from operator import add, is_, lt, not_, sub

from . import _layout
from ._asized import Asized
from ._asizer_trees import TreeSizing
from ._format import class_name, clip_text, format_size, safe_repr
from ._layout import type_basicsize as _tp_basicsize
from ._layout import type_flags as _tp_flags
from ._referents import (
    align_pieces,
    code_refs,
    dict_keys,
    dict_keys_many,
    group_by_type,
    labels_runs,
    owned_builtin,
    run_labels,
    runs_kept,
    slot_names,
)
from ._sizerules import (
    ATOM,
    ATOM_IDS,
    BUILTIN,
    CLASS,
    CODE,
    DICT,
    DICTLIKE,
    FRAME,
    HAVE_GC,
    HEAPTYPE,
    IGNORE,
    IGNORE_ID_TYPES,
    IGNORE_TYPES,
    INST,
    INT_FIX,
    INT_ONE_DIGIT,
    INT_SIZEOF,
    KIND_NAMES,
    REFS,
    RULE,
    SAFE_CATCH,
    STATIC_INFO,
    TypeInfo,
    dictlike_names,
    ignore_ids,
    ignore_version,
    registry_version,
    rule_registry,
)
from .flatsize import CHEAP_MAX, describe, layout_size, max_flat, plausible_total, with_spare_item
from ._accel import speedups
from .gcsafe import ASYNCIO_FREELIST_BUG, get_referents
from .values import check_int

_getsizeof = sys.getsizeof
_get_referents = get_referents


def _module_dict(o):
    """The ``__dict__`` of a module (read from the C slot, never a hostile getattr), or None."""
    if issubclass(type(o), types.ModuleType):  # type(): a proxy's isinstance may raise
        try:
            d = types.ModuleType.__dict__["__dict__"].__get__(o)
        except SAFE_CATCH:
            return None
        return d if type(d) is dict else None
    return None
_PTR = 8 if sys.maxsize > 2**32 else 4

# ---------------------------------------------------------------------------
# the walk in C: ``asizeof_walk`` of pympler_nb._speedups (src/speedups/asizeof.c), None on
# the pure-Python path (asked per call: ``_accel.pure_path()`` switches it off)
def _c_walk():
    mod = speedups()
    return None if mod is None else mod.asizeof_walk


_OBJECT_SIZEOF = object.__sizeof__

# ---------------------------------------------------------------------------
# options
_DEFAULTS = dict(
    above=1024,
    align=1,
    clip=80,
    code=False,
    cutoff=10,
    derive=False,
    detail=0,
    frames=False,
    ignored=True,
    infer=False,
    limit=None,
    stats=0,
    stream=None,
)
_SETTABLE = ("above", "align", "clip", "code", "cutoff", "detail", "frames", "limit", "stats", "stream")


def check_align(align):
    if not isinstance(align, int) or isinstance(align, bool) or align < 0:
        raise ValueError(f"invalid option: set(align={align!r}): use 0 or 1 (none) or a power of 2")
    if align > 1 and (align & (align - 1)):
        raise ValueError(f"invalid option: set(align={align!r}): use 0 or 1 (none) or a power of 2")


def _check_int_opt(name, value, minimum=0):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"invalid option: {name}={value!r}: use a number >= {minimum}")


class WalkContext:
    """State of one top-level sizing call (dropped when it returns)."""

    __slots__ = ("types", "alive", "ignore", "names", "slots")

    def __init__(self, sizer):
        self.types = {}  # id(type) -> TypeInfo
        self.alive = []  # the heap types of ``types`` (their ids stay theirs)
        self.names = {}  # attribute names of shared keys, for Asized trees
        self.slots = {}  # type -> its __slots__ member descriptors
        self.ignore = ignore_ids(sizer._ignored)


class Asizer(TreeSizing):
    """Accumulating sizer: objects sized by earlier calls count 0 again.

    Options are those of :func:`asizeof` (``reset`` lists them with their defaults).
    Not thread-safe: use one Asizer per thread. Between calls it keeps object *ids*
    only, never the objects.
    """

    def __init__(self, **opts):
        self._claimed = set()
        self.reset(**opts)

    # -- options -----------------------------------------------------------
    def reset(self, above=1024, align=1, clip=80, code=False, cutoff=10, derive=False, detail=0,
              frames=False, ignored=True, infer=False, limit=None, stats=0, stream=None, **extra):
        """Reset options, state and statistics. Unknown options raise ``KeyError``."""
        if extra:
            bad = ", ".join(f"{k}={v!r}" for k, v in extra.items())
            raise KeyError(f"invalid option: reset({bad})")
        check_align(align)
        check_int(limit, "limit", none="no limit")
        _check_int_opt("above", above)
        _check_int_opt("clip", clip)
        _check_int_opt("cutoff", cutoff)
        _check_int_opt("detail", detail)
        _check_int_opt("stats", stats)
        self._above = above
        self._align = align
        self._clip = clip
        self._code = bool(code)
        self._cutoff = cutoff
        self._derive = bool(derive)
        self._detail = detail
        self._frames = bool(frames)
        self._ignored = bool(ignored)
        self._infer = bool(infer)
        self._limit = limit
        self._stats = stats
        self._stream = stream
        self._seen = set()
        self._seen_count = 0
        self._duplicate = 0
        self._missed = 0
        self._total = 0
        self._depth = 0
        self._excl_refs = set()
        self._excl_types = ()
        self._excluded = []
        self._profiles = {}
        self._largest = []
        self._type_largest = {}
        self._skipped = Counter()
        self._untrusted_count = 0
        self._claimed.clear()
        self._given = 0
        self._root_flat = 0
        self._busy = False

    def _clear_state(self):
        """Forget what was sized (options stay): the cheap part of :meth:`reset`."""
        self._seen.clear()
        self._seen_count = self._duplicate = self._missed = self._total = self._depth = 0
        self._given = self._root_flat = 0
        self._profiles.clear()
        self._largest.clear()
        self._type_largest.clear()
        self._skipped.clear()
        self._untrusted_count = 0
        self._claimed.clear()

    def set(self, **opts):
        """Change some options (``align``, ``code``, ``detail``, ``limit``, ...)."""
        for name, value in opts.items():
            if name not in _SETTABLE:
                raise KeyError(
                    f"invalid option: set({name}={value!r}): settable are {', '.join(_SETTABLE)}"
                )
            if value is None and name != "limit":
                continue
            if name == "align":
                check_align(value)
            elif name == "limit":
                check_int(value, "limit", none="no limit")
            elif name in ("above", "clip", "cutoff", "detail", "stats"):
                _check_int_opt(name, value)
            setattr(self, "_" + name, bool(value) if name in ("code", "frames") else value)

    above = property(lambda self: self._above, doc="threshold (bytes) for the largest objects")
    align = property(lambda self: self._align, doc="allocation alignment (1: none)")
    clip = property(lambda self: self._clip, doc="clip repr strings to this many characters")
    code = property(lambda self: self._code, doc="size code objects too")
    cutoff = property(lambda self: self._cutoff, doc="rows shown in statistics")
    derive = property(lambda self: self._derive, doc="accepted for compatibility")
    detail = property(lambda self: self._detail, doc="levels of Asized.refs kept")
    frames = property(lambda self: self._frames, doc="size frame objects too")
    ignored = property(lambda self: self._ignored, doc="ignore module globals, classes, builtins")
    infer = property(lambda self: self._infer, doc="size dict-like unknown types like dicts")
    limit = property(lambda self: self._limit, doc="maximum depth (None: unlimited)")
    stats = property(lambda self: self._stats, doc="statistics level printed after each call")
    total = property(lambda self: self._total, doc="bytes sized so far")
    duplicate = property(lambda self: self._duplicate, doc="references to already sized or ignored objects")
    sized = property(lambda self: sum(p[0] for p in self._profiles.values()), doc="objects sized")
    seen = property(lambda self: self._seen_count, doc="objects seen (sized or ignored)")
    missed = property(lambda self: self._missed, doc="objects whose size could not be read exactly")
    untrusted = property(lambda self: self._untrusted_count,
                         doc="objects whose __sizeof__ (or size rule) returned a value their "
                             "layout does not allow (a float, a negative or absurd number): "
                             "sized by their layout instead (also in ``skipped``)")
    ranked = property(lambda self: len(self._largest), doc="objects ranked (over `above` bytes)")
    excluded = property(lambda self: tuple(self._excluded), doc="descriptions of excluded objects")
    skipped = property(
        lambda self: tuple((t, why, n) for (t, why), n in sorted(self._skipped.items())),
        doc="(type, reason, count) of hostile objects sized best-effort or skipped",
    )

    # -- exclusions --------------------------------------------------------
    def exclude_refs(self, *objs):
        """Do not follow references to these objects (they still count when given)."""
        for o in objs:
            self._excl_refs.add(id(o))
            self._excluded.append(f"ref {type(o).__name__} at {id(o):#x}")

    def exclude_objs(self, *objs):
        """Do not size these objects at all (they count 0, wherever they appear)."""
        for o in objs:
            self._seen.add(id(o))
            self._excluded.append(f"obj {type(o).__name__} at {id(o):#x}")

    def exclude_types(self, *objs):
        """Instances of these types (or of the types of these objects) count 0."""
        tps = list(self._excl_types)
        for o in objs:
            tp = o if issubclass(type(o), type) else type(o)
            if tp not in tps:
                tps.append(tp)
                self._excluded.append(f"type {class_name(tp)}")
        self._excl_types = tuple(tps)

    # -- type decisions ----------------------------------------------------
    def _info(self, ctx, tp):
        """The decisions for type ``tp`` (``ctx.types`` is keyed by ``id(tp)``: a
        metaclass's ``__hash__``/``__eq__`` is never called; ``ctx.alive`` keeps the
        types of the call alive, so that ids are not reused)."""
        info = ctx.types.get(id(tp))
        if info is None:
            if _tp_flags(tp) & HEAPTYPE or self._excl_types:
                ctx.alive.append(tp)
                info = self._classify(tp)
            else:  # static types never die: their decisions are kept across calls
                key = (tp, self._ignored, self._infer, registry_version[0])
                info = STATIC_INFO.get(key)
                if info is None:
                    info = self._classify(tp)
                    if len(STATIC_INFO) < 4096:
                        STATIC_INFO[key] = info
            ctx.types[id(tp)] = info
        return info

    def _classify(self, tp):
        name = class_name(tp)
        if self._excl_types and any(issubclass(tp, x) for x in self._excl_types):
            return TypeInfo(IGNORE, name=name)
        try:
            mro = type.__dict__["__mro__"].__get__(tp)
        except SAFE_CATCH:
            mro = (tp, object)
        tree = None
        if rule_registry:
            for i, klass in enumerate(mro):
                rule = rule_registry.get(class_name(klass))
                if rule is not None and (i == 0 or rule.subclasses):
                    if tree is None:
                        tree = rule.children
                    if rule.sizes:
                        info = TypeInfo(RULE, tp, rule, name)
                        info.tree = tree
                        return info
        info = self._classify_kind(tp, name, mro)
        info.tree = tree
        return info

    def _classify_kind(self, tp, name, mro):
        if dictlike_names and any(class_name(k) in dictlike_names for k in mro):
            return TypeInfo(DICTLIKE, tp, name=name)
        if id(tp) in ATOM_IDS:
            return TypeInfo(ATOM, tp, name=name)
        if issubclass(tp, IGNORE_TYPES):
            if self._ignored or not issubclass(tp, types.ModuleType):
                return TypeInfo(IGNORE, name=name)
            return TypeInfo(REFS, tp, name=name)
        if issubclass(tp, type):
            return TypeInfo(CLASS, tp, name=name)
        if tp is types.CodeType:
            return TypeInfo(CODE, tp, name=name)
        if tp is types.FrameType:
            return TypeInfo(FRAME, tp, name=name)
        if tp is types.BuiltinFunctionType:
            return TypeInfo(BUILTIN, tp, name=name)
        if issubclass(tp, dict):
            return TypeInfo(DICT, tp, name=name)
        flags = _tp_flags(tp)
        heap = flags & HEAPTYPE
        if self._infer and heap:
            try:
                if all(callable(getattr(tp, a, None)) for a in ("get", "keys", "items", "values")):
                    return TypeInfo(DICTLIKE, tp, name=name)
            except SAFE_CATCH:  # a metaclass whose attribute lookup raises
                pass
        if _layout.managed_layout(tp):
            return TypeInfo(INST, tp, name=name)
        if not heap and not flags & HAVE_GC:
            return TypeInfo(ATOM, tp, name=name)  # C types without referents
        return TypeInfo(REFS, tp, name=name)

    def _enabled(self, info):
        """Whether objects of this kind are sized at all in this sizer."""
        kind = info.kind
        if kind == IGNORE:
            return False
        if kind in (CLASS, CODE):
            return self._code
        if kind == FRAME:
            return self._frames
        return True

    # -- flat sizes ----------------------------------------------------------
    def _flat_one(self, o, info):
        """``__sizeof__`` part of one object's flat size (never raises).

        The result is checked against what the object's layout allows: an ``int``, at
        least the layout size (``object.__sizeof__``: basic size plus items), at most
        :data:`MAX_FLAT_SIZE` (and the process's mapped memory). Anything else is not
        trusted: the layout size is used and the object counted in :attr:`Asizer.untrusted`.
        """
        try:
            if info.fn is None:
                s = _getsizeof(o)
                pre = 0
            else:
                s = info.fn(o)
                pre = info.preheader
        except SAFE_CATCH as exc:
            self._missed += 1
            self._skipped[(info.name, f"__sizeof__ raised {type(exc).__name__}")] += 1
            return layout_size(o)
        if type(s) is int and s >= _tp_basicsize(type(o)) and (s <= CHEAP_MAX or s <= max_flat()):
            return s + pre
        self._untrusted(info.name, s)
        return layout_size(o)

    def _flat_sizes(self, group, info):
        """Per-object ``__sizeof__`` parts (a list), in C where possible."""
        if info.kind == RULE and info.rule.flat is not None:
            return [self._rule_flat(o, info) for o in group]
        if info.varfix:
            pre = info.preheader
            extra = info.varfix + info.basefix
            return with_spare_item(self._flat_sizes_plain(group, info), extra, pre)
        return self._flat_sizes_plain(group, info)

    def _flat_sizes_plain(self, group, info):
        if info.const is not None:
            return [info.const] * len(group)
        if info.fn is not None and not info.checked:
            try:
                sizes = list(map(info.fn, group))
                if plausible_total(sum(sizes)) and min(sizes) >= 0:
                    pre = info.preheader
                    if pre:
                        sizes = [s + pre for s in sizes]
                    return sizes
            except SAFE_CATCH:
                pass
        return [self._flat_one(o, info) for o in group]

    def _flat_total(self, group, info):
        """Sum of the ``__sizeof__`` parts of a group (fast path of :meth:`_flat_sizes`)."""
        if info.kind == RULE and info.rule.flat is not None:
            return sum(self._rule_flat(o, info) for o in group)
        if info.const is not None:
            return info.const * len(group)
        if info.fn is not None and not info.checked and info.kind != RULE and not info.varfix:
            try:
                if info.fn is INT_SIZEOF:
                    sizes = list(map(INT_SIZEOF, group))
                    return sum(sizes) + INT_FIX * sizes.count(INT_ONE_DIGIT)
                total = sum(map(info.fn, group))
                if plausible_total(total):  # else: per object, each one validated
                    return total + info.preheader * len(group)
            except SAFE_CATCH:
                pass
        return sum(self._flat_sizes(group, info))

    def _hidden(self, group, info, splits=None):
        """Hidden bytes of a group: instance values, hidden dicts, split tables."""
        extra = 0
        if info.managed:
            if info.state is None and _layout.SUPPORTED and _layout.PRE_313:
                info.state = _layout.values_state(type(group[0])) or ()
            extra, hidden = _layout.instances_hidden(group, type(group[0]), info.state or None)
            if hidden:
                self._seen.update(hidden)
        if splits:
            extra += sum(c for c in splits if c)
        return extra

    # -- referents -----------------------------------------------------------
    def _refs_of(self, o, info):
        """Referents of one object that deep sizing follows (a list)."""
        kind = info.kind
        if kind in (ATOM, IGNORE):
            return []
        if kind == RULE:
            rule = info.rule
            if rule.refs is None:
                return _get_referents(o)
            try:
                return [r for r in rule.refs(o) if r is not None]
            except SAFE_CATCH as exc:
                self._skipped[(info.name, f"rule refs raised {type(exc).__name__}")] += 1
                return _get_referents(o)
        if kind == DICT:
            if type(o) is dict and _layout.split_dict_correction(o) is not None:
                return _get_referents(o)  # a split table's keys are the class's
            return _get_referents(o) + dict_keys(self, o, info)
        if kind == DICTLIKE:
            out = _get_referents(o)
            try:
                for k, v in list(o.items()):
                    out.append(k)
                    out.append(v)
            except SAFE_CATCH as exc:
                self._skipped[(info.name, f"items() raised {type(exc).__name__}")] += 1
            return out
        if kind == CODE:
            return code_refs(o)
        return _get_referents(o)

    def _followed(self, o, info):
        """What the sizing walk follows from ``o`` (as :meth:`_size_group` does)."""
        kind = info.kind
        if kind in (ATOM, IGNORE) or not self._enabled(info):
            return []
        if kind == CLASS and not o.__flags__ & HEAPTYPE:
            return []
        if kind == BUILTIN and not owned_builtin(o):
            return []
        return self._refs_of(o, info)

    # -- the engine ------------------------------------------------------------
    def _given_info(self, info, tp):
        """The decisions for an object the caller gave directly: it is always sized (a
        module, class, code object, frame, builtin or ``None`` given directly is what the
        user asks about), as a plain object with referents; its referents follow the
        usual rules."""
        kind = info.kind
        if kind == IGNORE or not self._enabled(info) or kind in (CLASS, BUILTIN):
            return TypeInfo(REFS, tp, name=info.name)
        return info

    def _c_config(self, ctx):
        """The configuration tuple of the C walk (see csrc/asizeof.c): the sizer's state
        and the Python rules it calls back, per group of same-type objects."""
        return (self._seen, ctx.ignore, self._limit, partial(self._info, ctx), partial(self._size_group, ctx),
                self._values_state, self._flat_one, _layout.split_dict_correction, INT_SIZEOF, _OBJECT_SIZEOF,
                INT_ONE_DIGIT, INT_FIX, sys.modules.get("_asyncio") if ASYNCIO_FREELIST_BUG else None,
                self._busy,  # asizeof()'s sizer: its seen ids are cleared after the call
                IGNORE_ID_TYPES, _layout.SUPPORTED, _layout.DICT_SIZE, ignore_version(ctx.ignore))

    @staticmethod
    def _values_state(tp, info):
        """3.11/3.12: the values-array state of ``tp`` for this call (as :meth:`_hidden` reads it)."""
        if info.state is None and _layout.SUPPORTED and _layout.PRE_313:
            info.state = _layout.values_state(tp) or ()
        return info.state or None

    def _c_account(self, dup, count, depth, profiles):
        self._duplicate += dup
        self._seen_count += count
        if depth > self._depth:
            self._depth = depth
        for info, n, flat in profiles:
            prof = self._profiles.get(info.name)
            if prof is None:
                self._profiles[info.name] = [n, flat, info]
            else:
                prof[0] += n
                prof[1] += flat

    def _walk(self, ctx, roots, depth0=0, free_roots=True, given=False):
        """Size ``roots`` and all they reach; return the total (also added to ``total``).

        In C (``pympler_nb._speedups``) unless on the pure-Python path, ``align > 1``,
        ``stats``, a ``limit`` (an instance's values array is a level of its own there) or
        roots given directly that are sized only because they were given (a class, module,
        code object...: :meth:`_given_info`): then :meth:`_walk_py`, the pure walk the C
        walk gives the same results as.
        """
        walk = _c_walk()
        if (walk is None or self._align > 1 or self._stats or self._limit is not None
                or (given and free_roots and self._given_differs(ctx, roots))):
            return self._walk_py(ctx, roots, depth0, free_roots, given)
        total, root_flat, dup, count, depth, profiles = walk(self._c_config(ctx), roots, depth0, free_roots, None)
        self._c_account(dup, count, depth, profiles)
        self._root_flat = root_flat
        self._total += total
        return total

    def _given_differs(self, ctx, roots) -> bool:
        """Whether a root's type is sized otherwise when given directly (:meth:`_given_info`)."""
        types = {id(t): t for t in map(type, roots)}  # (ids: a metaclass's __hash__ may raise)
        return any(self._given_info(info, tp) is not info
                   for tp in types.values() for info in (self._info(ctx, tp),))

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

    def _walk_many(self, ctx, roots, free=frozenset()):
        """Size many roots as if one after the other: ``(sizes, flats, hiddens)`` (see
        :meth:`_walk_many_py`), in C (one walk per root) where :meth:`_walk` is."""
        walk = _c_walk()
        if walk is None or self._limit is not None or self._align > 1 or self._stats:
            return self._walk_many_py(ctx, roots, free)
        free = free if type(free) is set else set(free)
        sizes, flats, hiddens, dup, count, depth, profiles = walk(self._c_config(ctx), roots, 0, True, free)
        self._c_account(dup, count, depth, profiles)
        self._total += sum(sizes)
        if -1 in hiddens:  # a root sized by a Python rule: its values array read here
            for k, h in enumerate(hiddens):
                if h == -1:
                    tp = type(roots[k])
                    state = self._values_state(tp, self._info(ctx, tp))
                    hiddens[k] = _layout.instances_hidden_each([roots[k]], tp, state)[0][0]
        return sizes, flats, hiddens

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

    def _size_group(self, ctx, group, info, nxt):
        """Flat-size a group of same-type objects; extend ``nxt`` with their referents."""
        kind = info.kind
        if kind == IGNORE:
            return 0
        if kind == CLASS:
            if not self._code:
                return 0
            group = [c for c in group if _tp_flags(c) & HEAPTYPE]  # static types: 0
            if not group:
                return 0
        elif kind == CODE or kind == FRAME:
            if not self._enabled(info):
                return 0
        elif kind == BUILTIN:
            group = [f for f in group if owned_builtin(f)]
            if not group:
                return 0
        refs = None
        splits = None  # per exact dict: None, or the split-table correction
        if kind == DICT and type(group[0]) is dict:
            # split tables (materialized instance dicts): their keys are the class's
            splits = list(map(_layout.split_dict_correction, group))
            if splits.count(None) == len(splits):
                splits = None
        if nxt is not None:
            if kind in (REFS, INST, CLASS, FRAME, BUILTIN):
                refs = _get_referents(*group)
            elif kind == DICT:
                refs = _get_referents(*group)
                if splits is None:
                    refs += dict_keys_many(self, group, info)
                else:
                    refs += dict_keys_many(self, [d for d, c in zip(group, splits) if c is None], info)
            elif kind != ATOM:
                refs = []
                for o in group:
                    refs += self._refs_of(o, info)
        align = self._align
        if align > 1 or self._stats:
            sizes = self._flat_sizes(group, info)
            if info.fn is INT_SIZEOF:
                sizes = [s + INT_FIX if s == INT_ONE_DIGIT else s for s in sizes]
            if info.managed or splits:
                extras = [self._hidden([o], info, None if splits is None else [c])
                          for o, c in zip(group, splits or repeat(None))]
            else:
                extras = [0] * len(sizes)
            if align > 1:
                sizes = [align_pieces(s, e, info, align) for s, e in zip(sizes, extras)]
            else:
                sizes = list(map(int.__add__, sizes, extras))
            flat = sum(sizes)
            if self._stats:
                self._rank(group, sizes, info)
        else:
            flat = self._flat_total(group, info)
            if info.managed or splits:
                flat += self._hidden(group, info, splits)
        prof = self._profiles.get(info.name)
        if prof is None:
            self._profiles[info.name] = [len(group), flat, info]
        else:
            prof[0] += len(group)
            prof[1] += flat
        if nxt is not None and refs:
            nxt += refs
        return flat

    def _rule_flat(self, o, info):
        try:
            s = info.rule.flat(o, self._claim)
        except SAFE_CATCH as exc:
            self._skipped[(info.name, f"rule flat raised {type(exc).__name__}")] += 1
            self._missed += 1
            return self._flat_one(o, info)
        if type(s) is int and s >= 0 and (s <= CHEAP_MAX or s <= max_flat()):
            return s
        self._untrusted(info.name, s, "rule returned")
        return self._flat_one(o, info)

    def _untrusted(self, name, value, what="__sizeof__ returned"):
        """Count an object whose size was not trusted (shown by :meth:`print_summary`)."""
        self._missed += 1
        self._untrusted_count += 1
        self._skipped[(name, f"sizeof not trusted: {what} {describe(value)}")] += 1

    def _rank(self, group, sizes, info):
        above = self._above
        largest = self._type_largest
        i = max(range(len(sizes)), key=sizes.__getitem__)
        if sizes[i] > largest.get(info.name, (-1,))[0]:
            largest[info.name] = (sizes[i], safe_repr(group[i], self._clip))
        for o, s in zip(group, sizes):
            if s >= above:
                self._largest.append((s, info.name, safe_repr(o, self._clip)))

    # -- public sizing -----------------------------------------------------------------
    # -- one sizing context, for in-package engines (the Class Tracker) ---------------------
    def session(self, roots=(), others=()) -> SizingSession:
        """A :class:`SizingSession`: one sizing context in which objects are sized one
        after the other, what one sized counting 0 for the next, and references to
        ``others`` (ids) not followed until each of them is sized itself. ``roots``:
        objects that are sized even if they are also ``others`` or excluded.

        Use it as a context manager (``with sizer.session(others=ids) as s: ...``): the
        context is closed (the ``others`` marks removed) on exit. The Class Tracker
        sizes its tracked objects so, in one pass.
        """
        return SizingSession(self, roots, others)

    def _begin(self, roots, others=(), given=()):
        """Pre-seed ``seen`` with the excluded refs and the other given objects (for this
        call only; ``_end`` removes them). Module dicts and statics are ``ctx.ignore``,
        except the ``__dict__`` of a module among the ``given`` objects: a module given
        directly is sized with its namespace, as Pympler does."""
        ctx = WalkContext(self)
        own = {id(d) for d in map(_module_dict, given) if d is not None}
        if own:
            ctx.ignore = ctx.ignore - own  # a copy: the shared set is never changed
        seen = self._seen
        root_ids = {id(o) for o in roots}
        extra = set()
        if self._excl_refs or others:
            others = others if type(others) is set else set(others)
            extra = others.union(self._excl_refs) if self._excl_refs else set(others)
            if seen:
                extra -= seen
            if root_ids:
                extra -= root_ids - others
            seen |= extra
        return ctx, extra

    def _end(self, ctx, extra):
        if extra:
            self._seen -= extra
        ctx.types.clear()
        ctx.alive.clear()
        ctx.names.clear()
        ctx.slots.clear()

    def asizeof(self, *objs, **opts):
        """Combined deep size of ``objs``; objects sized before count 0."""
        if opts:
            self.set(**opts)
        self._given += len(objs)
        ctx, pre = self._begin(objs, given=objs)
        try:
            size = self._walk(ctx, objs, given=True)
        finally:
            self._end(ctx, pre)
        if self._stats:
            self.print_stats(objs=objs, stats=self._stats)
        return size

    def asizesof(self, *objs, **opts):
        """Deep size of each object; references to the other given objects are not followed."""
        if opts:
            self.set(**opts)
        self._given += len(objs)
        sizes = {}
        out = []
        ctx, extra = self._begin((), {id(o) for o in objs}, objs)  # the others are not followed
        try:
            for o in objs:
                i = id(o)
                if i not in sizes:
                    if i in extra:
                        self._seen.discard(i)
                        extra.discard(i)
                    sizes[i] = self._walk(ctx, (o,), given=True)
                out.append(sizes[i])
        finally:
            self._end(ctx, extra)
        if self._stats:
            self.print_stats(objs=objs, sizes=out, stats=self._stats)
        return tuple(out)

    def asized(self, *objs, **opts):
        """:class:`Asized` of one object, a tuple of them for several, ``()`` for none
        (as Pympler), with ``detail`` levels of named referents."""
        if opts:
            self.set(**opts)
        out = self._trees(objs)
        if self._stats:
            self.print_stats(objs=objs, sized=out, stats=self._stats)
        if len(out) == 1:
            return out[0]
        return tuple(out)

    # -- statistics ----------------------------------------------------------------------
    def _out(self, stream, text):
        (stream or self._stream or sys.stdout).write(text + "\n")

    def print_summary(self, w=0, objs=(), **print3options):
        """Totals: bytes, alignment, objects given/sized/seen/missed, duplicates, depth."""
        stream = print3options.get("file")
        if objs:
            args = ", ".join(safe_repr(o, self._clip // 2 or 1) for o in objs)
            self._out(stream, f"\nasizeof(({clip_text(args, self._clip)},), ...) ...")
        ind = " " * w
        self._out(stream, f"{ind}{self._total:6d} bytes or {format_size(self._total)}")
        self._out(stream, f"{ind}{self._align:6d} byte aligned")
        self._out(stream, f"{ind}{_PTR:6d} byte sizeof(void*)")
        self._out(stream, f"{ind}{self._given:6d} object{'s' if self._given != 1 else ''} given")
        self._out(stream, f"{ind}{self.sized:6d} objects sized")
        self._out(stream, f"{ind}{self._seen_count:6d} objects seen")
        self._out(stream, f"{ind}{self.ranked:6d} objects ranked")
        self._out(stream, f"{ind}{self._missed:6d} objects missed")
        self._out(stream, f"{ind}{self._untrusted_count:6d} objects with sizeof not trusted")
        self._out(stream, f"{ind}{self._duplicate:6d} duplicates")
        self._out(stream, f"{ind}{self._depth:6d} deepest level")
        for tname, why, n in self.skipped:
            self._out(stream, f"{ind}{n:6d} {tname} objects: {why}")

    def print_largest(self, w=0, cutoff=0, **print3options):
        """The largest objects by flat size (over ``above`` bytes)."""
        stream = print3options.get("file")
        cutoff = cutoff or self._cutoff
        rows = sorted(self._largest, key=lambda r: -r[0])
        if not rows:
            return
        ind = " " * w
        self._out(stream, f"\n{ind}{min(len(rows), cutoff):6d} largest objects (of {len(rows)} over {self._above} bytes"
                             f" or {format_size(self._above)}, by flat size)")
        for size, tname, text in rows[: int(cutoff)]:
            self._out(stream, f"{ind}{size:6d} bytes or {format_size(size)}: class {tname}: {text}")

    def print_profiles(self, w=0, cutoff=0, **print3options):
        """Per type: count, total (% of grand total), average and largest flat size."""
        stream = print3options.get("file")
        cutoff = cutoff or self._cutoff
        profs = sorted(((n, c, t) for n, (c, t, _) in self._profiles.items() if c), key=lambda p: -p[2])
        if not profs:
            return
        grand = sum(p[2] for p in profs) or 1
        ind = " " * w
        self._out(stream, f"\n{ind}{len(profs):6d} profiles:  total (% of grand total), average,"
                             " and largest flat size:  largest object")
        for name, count, tot in profs[: int(cutoff)]:
            big, text = self._type_largest.get(name, (0, "?"))
            plural = "s" if count != 1 else ""
            self._out(stream, f"{ind}{count:6d} class {name} object{plural}:  {tot} or {format_size(tot)}"
                             f" ({100 * tot // grand}%), {tot // count}, {big}:  {text}")
        if len(profs) > cutoff:
            self._out(stream, f"{ind}{'+' + str(len(profs) - int(cutoff)):>6} profiles below cutoff")

    def print_typedefs(self, w=0, **print3options):
        """The sizing rule applied to each type seen."""
        stream = print3options.get("file")
        infos = sorted((p[2] for p in self._profiles.values()), key=lambda i: i.name)
        if not infos:
            return
        ind = " " * w
        self._out(stream, f"\n{ind}{len(infos)} types:  kind, flat size from, rule")
        for info in infos:
            if info.const is not None:
                src = f"constant {info.const}"
            elif info.fn is not None:
                src = f"{getattr(info.fn, '__qualname__', '__sizeof__')} + {info.preheader}"
            else:
                src = "sys.getsizeof"
            rule = info.rule.name if info.rule is not None else "-"
            self._out(stream, f"{ind} class {info.name}:  {KIND_NAMES[info.kind]}, {src}, {rule}")

    def print_stats(self, objs=(), opts={}, sized=(), sizes=(), stats=3, **print3options):  # noqa: B006
        """Print the statistics of what was sized so far (``stats`` 1: summary and largest,
        2: + profiles, 3: + typedefs; a fraction .NN sets the cutoff to NN)."""
        level = int(stats)
        frac = round((stats - level) * 100)
        cutoff = frac or self._cutoff
        self.print_summary(objs=objs, **print3options)
        if level >= 1:
            self.print_largest(cutoff=cutoff, **print3options)
        if level >= 2:
            self.print_profiles(cutoff=cutoff, **print3options)
        if level >= 3:
            self.print_typedefs(**print3options)


# ---------------------------------------------------------------------------
# helpers of the engine
class SizingSession:
    """One sizing context of an :class:`Asizer` (:meth:`Asizer.session`).

    Objects are sized one after the other (:meth:`size`, :meth:`tree`, or many at once
    with :meth:`size_many`); everything one of them reaches counts 0 for the ones
    after it, as for :meth:`Asizer.asizesof`. The ``others`` given to
    :meth:`Asizer.session` are not followed from the objects sized, until each is
    sized itself. What was sized stays counted in the :class:`Asizer` (its ``total``
    and later calls) after the session closes.
    """

    __slots__ = ("_sizer", "_ctx", "_others", "_open")

    def __init__(self, sizer: Asizer, roots=(), others=()):
        self._sizer = sizer
        self._ctx, self._others = sizer._begin(roots, others)
        self._open = True

    def __enter__(self) -> SizingSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Remove the ``others`` not sized from the sizer's counted objects (idempotent)."""
        if self._open:
            self._open = False
            self._sizer._end(self._ctx, self._others)

    def _check(self):
        if not self._open:
            raise ValueError("this sizing session is closed; open another with Asizer.session()")

    def _release(self, obj) -> None:
        """``obj`` is sized now: no longer one of the others kept from being followed."""
        i = id(obj)
        if i in self._others:
            self._others.discard(i)
            self._sizer._seen.discard(i)

    def size(self, obj) -> tuple:
        """``(size, flat)`` of ``obj``: its deep size in this session (0 if counted
        before) and its own (flat) size."""
        self._check()
        self._release(obj)
        sizer = self._sizer
        size = sizer._walk(self._ctx, (obj,))
        return size, (sizer._root_flat if size else 0)

    def tree(self, obj, detail: int) -> Asized:
        """The :class:`Asized` tree of ``obj`` to ``detail`` levels, counted in this
        session (:func:`asized`'s tree: the same children, counting rule and order)."""
        self._check()
        sizer = self._sizer
        if sizer.detail != detail:
            sizer.set(detail=detail)
        self._release(obj)
        return sizer._asized_tree(self._ctx, obj)

    def size_many(self, objs):
        """``(sizes, flats, hiddens)``, lists parallel to ``objs``: what :meth:`size`
        one after the other gives (``hiddens``: the part of each flat size that is an
        instance's values array), in one bulk walk; or ``None`` where the bulk walk
        cannot keep that order or those kinds (nothing was counted then: size them one
        at a time)."""
        self._check()
        res = self._sizer._walk_many(self._ctx, objs, self._others)
        if res is not None:
            self._others.difference_update(map(id, objs))
        return res

    def plain_instances(self, tp) -> bool:
        """Whether instances of ``tp`` are plain instances (no ``__slots__``, no size
        rule) whose attributes may live in a values array: their level-1 tree is the
        instance, its ``'__dict__'`` and its ``'__class__'``."""
        self._check()
        sizer = self._sizer
        info = sizer._info(self._ctx, tp)
        return info.kind == INST and not slot_names(tp, self._ctx) and _layout.has_values(None, tp)


class _Reorder(Exception):
    """:meth:`Asizer._walk_many` cannot keep the one-root-at-a-time order."""


