"""Per-group sizing of :class:`Asizer` (a mixin): type decisions, flat sizes, hidden
bytes, referents and :meth:`~GroupSizing._size_group`, shared by the C walk (it calls
them back) and the pure walk (:mod:`._asizer_walk`)."""

from __future__ import annotations

import sys
import types
from itertools import compress, repeat
from operator import is_, is_not

from . import _layout
from ._format import class_name, safe_repr
from ._layout import type_basicsize as _tp_basicsize
from ._layout import type_flags as _tp_flags
from ._referents import (
    align_pieces,
    code_refs,
    dict_keys,
    dict_keys_many,
    owned_builtin,
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
    IGNORE_TYPES,
    INST,
    INT_FIX,
    INT_ONE_DIGIT,
    INT_SIZEOF,
    REFS,
    RULE,
    SAFE_CATCH,
    STATIC_INFO,
    TypeInfo,
    dictlike_names,
    registry_version,
    rule_registry,
)
from .flatsize import CHEAP_MAX, describe, layout_size, max_flat, plausible_total, with_spare_item
from .gcsafe import get_referents

_getsizeof = sys.getsizeof
_get_referents = get_referents


#: 3.12+: bools are immortal, ignored when held, sized by :meth:`_given_info` when given
_IMMORTAL_BOOLS = sys.version_info >= (3, 12)

class GroupSizing:
    """The per-group sizing methods of :class:`Asizer` (a mixin: they use its options and
    state)."""

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
            total = 0
            for o in group:  # (a loop, not a generator: groups of one are common)
                total += self._rule_flat(o, info)
            return total
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
                out = list(rule.refs(o))  # (a copy: never the rule's own list; in C)
                if any(map(is_, out, repeat(None))):  # by identity: no __eq__ of the items runs
                    out = list(compress(out, map(is_not, out, repeat(None))))
                return out
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

    # -- objects given directly ---------------------------------------------
    def _given_info(self, info, tp):
        """The decisions for an object the caller gave directly: it is always sized (a
        module, class, code object, frame, builtin or ``None`` given directly is what the
        user asks about), as a plain object with referents; its referents follow the
        usual rules."""
        if self._given_special(info):
            given = TypeInfo(REFS, tp, name=info.name)
            if given.fn is INT_SIZEOF and _IMMORTAL_BOOLS:  # bool, ignored as immortal on
                given.checked = False  # 3.12+: int's own size with the one-digit rounding, as flatsize
            return given
        return info

    def _given_special(self, info):
        """Whether an object of this kind given directly is sized otherwise than when
        reached (:meth:`_given_info`)."""
        kind = info.kind
        return kind == IGNORE or kind == CLASS or kind == BUILTIN or not self._enabled(info)

    # -- group sizing (the C walk calls it back) ----------------------------
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
