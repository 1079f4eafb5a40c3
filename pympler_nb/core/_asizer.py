"""The walker: :class:`Asizer` (accumulating deep sizer, level by level in C) and
:class:`SizingSession`.

This module holds its public API, options, exclusions, statistics and sessions; its parts are
mixins: :mod:`._asizer_groups` (per-group sizing: type decisions, flat sizes, referents),
:mod:`._asizer_cwalk` (the walk in C and the dispatch), :mod:`._asizer_walk` (the pure walk)
and :mod:`._asizer_trees` (size trees)."""

from __future__ import annotations

import sys
import types
from collections import Counter

from . import _layout
from ._asized import Asized
from ._asizer_cwalk import CWalk
from ._asizer_cwalk import c_walk as _c_walk  # noqa: F401 (_asizer._c_walk: the tests' name)
from ._asizer_groups import GroupSizing
from ._asizer_trees import TreeSizing
from ._asizer_walk import PyWalk
from ._format import class_name, clip_text, format_size, safe_repr
from ._referents import slot_names
from ._sizerules import (
    INST,
    KIND_NAMES,
    SAFE_CATCH,
    ignore_ids,
)
from .values import check_int


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


class Asizer(TreeSizing, CWalk, PyWalk, GroupSizing):
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
        own = None
        for o in given:  # (a loop: one root is the common case)
            d = _module_dict(o)
            if d is not None:
                own = own or set()
                own.add(id(d))
        if own:
            ctx.ignore = ctx.ignore - own  # a copy: the shared set is never changed
        seen = self._seen
        extra = set()
        if self._excl_refs or others:
            root_ids = {id(o) for o in roots}
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

