"""Deep sizes of Python objects: a drop-in for ``pympler.asizeof`` with true numbers.

``asizeof(*objs)`` is the number of bytes CPython allocated for the objects and
everything they reference (each object once), the way ``tracemalloc`` counts them:

* flat sizes come from ``sys.getsizeof`` plus what it leaves out — the values array of
  ordinary instances (3.11/3.12) or their inline values (3.13), materialized
  ``__dict__`` objects CPython hides from ``gc.get_referents`` (3.13), split-table
  prefixes — read with :mod:`ctypes` from :mod:`._layout`, **without ever creating an
  instance ``__dict__``**;
* referents come from ``gc.get_referents`` plus the str keys it skips;
* the traversal is iterative and works on whole levels at once in C (``map``,
  ``gc.get_referents(*batch)``, set operations on ids), so a million-deep linked list is
  sized fully (``limit=None`` by default) and large containers are fast;
* third-party types are taught their true size through :func:`register` (numpy and
  pandas/pyarrow rules ship in :mod:`._thirdparty`).

Deviations from Pympler 1.1, on purpose:

* ``align`` defaults to 1 (exact requested bytes, what ``tracemalloc`` reports);
  ``align=16`` rounds every *allocation* up as pymalloc does. Pympler rounds each flat
  size to 8.
* ``limit`` defaults to ``None`` (no depth limit; Pympler's 100 truncates deep
  structures).
* Functions, closures and cells are sized (Pympler counts every function as 0); code
  objects only with ``code=True``; module globals, classes, modules, builtin functions
  bound to modules and ``None``/``True``/``False`` count 0 as in Pympler.
* A ``__sizeof__`` written in Python is not trusted (pandas' reports deep sizes, which
  would count data twice); the nearest C-level ``__sizeof__`` in the MRO is used.
* Instances whose ``__dict__`` was never materialized get a virtual ``'__dict__'`` node in
  :class:`Asized` trees; :func:`named_refs` returns their attributes by name directly and
  :func:`refs` as one new dict.
* An object given directly is always sized (a class, code object, frame, builtin or
  ``None`` too; a module with its namespace); weak references count without their
  referent; :func:`named_refs` lists only referents an attribute reaches.

The README's "Differences from Pympler" table lists each difference with its reason.

This module is the Pympler-API facade; the engine lives in (lower layers first):
:mod:`.flatsize` (flat sizes, shared with muppy/summary/heap), :mod:`._sizerules` (object
kinds, :class:`SizeRule` and its registry, per-type classification), :mod:`._labels` (node
names), :mod:`._asized` (result trees), :mod:`._referents` (an object's named referents),
:mod:`._asizer_groups` (per-group sizing), :mod:`._asizer_walk` (the pure walk),
:mod:`._asizer_cwalk` (the walk in C), :mod:`._asizer_trees` (size trees) and :mod:`._asizer`
(the walker: :class:`Asizer`, built from those mixins, and :class:`SizingSession`).
:mod:`._thirdparty` registers its rules with :mod:`._sizerules`.
"""

from __future__ import annotations

import array
import gc
import sys
import threading
import types

# Pympler 1.1's asizeof exposes these (they are :mod:`inspect`'s): kept for code written
# against it (``asizeof.isclass(x)``, the tutorials)
from inspect import isbuiltin, isclass, iscode, isframe, isfunction, ismethod, ismodule  # noqa: F401

from . import _layout
from . import _thirdparty  # the numpy/pandas/pyarrow rules register themselves by type name
from ._asized import OTHER, Asized, Part, SizeNode, TreeChild, TreeChildren
from ._asizer import Asizer, SizingSession, WalkContext, check_align
from ._labels import key_text, name_text
from ._layout import type_basicsize as _tp_basicsize
from ._layout import type_itemsize as _tp_itemsize
from ._referents import align_pieces, instance_namespace, tree_refs
from ._sizerules import (
    IGNORE,
    INT_FIX,
    INT_ONE_DIGIT,
    INT_SIZEOF,
    REFS,
    SAFE_CATCH,
    STATIC_IDS,
    SizeRule,
    TypeInfo,
    adict,
    amapped,
    register,
    registered,
    rule_for,
    unregister,
)
from ._sizerules import is_static as is_static  # public: whether the interpreter shares obj
from .flatsize import MAX_FLAT_SIZE, use_engine

# the engine is split into _sizerules, _asized, _labels, _referents, _asizer(_groups,
# _walk, _cwalk, _trees) and flatsize; these private names are still read from here by other modules and tests
from ._format import class_name as _typename  # noqa: F401
from ._sizerules import amapped_setting as _amapped  # noqa: F401
from ._sizerules import dictlike_names as _dictlike_names  # noqa: F401
from .flatsize import layout_size as _layout_size  # noqa: F401
from .flatsize import plausible_sizes as _plausible_sizes  # noqa: F401

__all__ = [
    "MAX_FLAT_SIZE",
    "OTHER",
    "Asized",
    "Asizer",
    "SizeNode",
    "SizeRule",
    "SizingSession",
    "TreeChild",
    "TreeChildren",
    "adict",
    "amapped",
    "asized",
    "asizeof",
    "asizesof",
    "basicsize",
    "flatsize",
    "flatsizes",
    "itemsize",
    "leng",
    "named_refs",
    "refs",
    "register",
    "registered",
    "unregister",
]

__version__ = "pympler_nb"

_PTR = 8 if sys.maxsize > 2**32 else 4

# ---------------------------------------------------------------------------
# module-level API
def _sizer(opts, allowed_all=False):
    if not allowed_all and "all" in opts:
        raise KeyError(f"invalid option: reset(all={opts['all']!r})")
    return Asizer(**opts)


def asizeof(*objs, **opts):
    """Combined deep size in bytes of ``objs`` (objects reachable from several counted once).

    Options (defaults): ``above=1024, align=1, clip=80, code=False, cutoff=10,
    derive=False, detail=0, frames=False, ignored=True, infer=False, limit=None,
    stats=0``; ``all=True`` with no objects sizes every object the gc knows, including
    modules, globals and frames. Unknown options raise ``KeyError``.

    >>> asizeof([1.5, 2.5]) == sys.getsizeof([1.5, 2.5]) + 2 * sys.getsizeof(1.5)
    True
    """
    all_ = opts.pop("all", False)
    if all_ and not objs:
        opts.setdefault("ignored", False)
        opts.setdefault("frames", True)
        opts.setdefault("code", True)
        sizer = _sizer(opts)
        objs = gc.get_objects()
        try:
            return sizer.asizeof(*objs)
        finally:
            objs = None
    if opts:
        return _sizer(opts).asizeof(*objs)
    # default options: one sizer per thread, its state cleared (not rebuilt) per call
    sizer = getattr(_sizer_local, "sizer", None)
    if sizer is None or sizer._busy:
        sizer = Asizer()
        if getattr(_sizer_local, "sizer", None) is None:
            _sizer_local.sizer = sizer
    # (the thread's sizer was cleared when its previous call returned: below)
    sizer._busy = True
    try:
        return sizer.asizeof(*objs)
    finally:
        sizer._busy = False
        sizer._clear_state()  # keep nothing between calls: no observer effect


_sizer_local = threading.local()


def asizesof(*objs, **opts):
    """Deep size of each object in a tuple; references to the other given objects are
    not followed, so the sizes add up to ``asizeof(*objs)`` for distinct objects."""
    return _sizer(opts).asizesof(*objs)


def asized(*objs, **opts):
    """:class:`Asized` of one object, a tuple of them for several, ``()`` for none."""
    return _sizer(opts).asized(*objs)


def flatsize(obj, align=0, **opts):
    """Own bytes of ``obj`` (``sys.getsizeof`` plus hidden allocations), rounded to ``align``.

    Unlike :func:`asizeof` this counts the object even if it is of an ignored kind
    (a class, a module, a code object): it answers "how big is this one object". It is
    the own size every view shows (summaries, tracker diffs, heap snapshots, graphs).
    """
    check_align(align)
    return flatsizes(type(obj), [obj], align, **opts)[0]


def flatsizes(tp, group, align=0, **opts) -> list:
    """:func:`flatsize` of each object of ``group`` (all of exact type ``tp``), in bulk."""
    if opts:
        sizer = _sizer(opts)
    else:  # one light sizer per thread: flatsize is called per node by graph walks
        sizer = getattr(_flat_local, "sizer", None)
        if sizer is None:
            sizer = _flat_local.sizer = Asizer()
        sizer._seen.clear()
        sizer._claimed.clear()  # shared buffers (Arrow) are claimed per call, not once per thread
    try:
        return _flat_group(sizer, tp, group, align)
    finally:
        if not opts:  # nothing kept between calls (a tracker's diff would see it)
            sizer._skipped.clear()
            sizer._missed = sizer._untrusted_count = 0


def _flat_group(sizer, tp, group, align):
    info = sizer._classify(tp)
    if info.kind == IGNORE:
        info = TypeInfo(REFS, tp, name=info.name)
    sizes = sizer._flat_sizes(group, info)
    if info.fn is INT_SIZEOF:
        sizes = [s + INT_FIX if s == INT_ONE_DIGIT else s for s in sizes]
    if info.managed or tp is dict or align > 1:
        extras = [sizer._hidden([obj], info, [_layout.split_dict_correction(obj)] if tp is dict else None)
                  for obj in group]
        if align > 1:
            return [align_pieces(size, extra, info, align) for size, extra in zip(sizes, extras)]
        return [size + extra for size, extra in zip(sizes, extras)]
    return sizes


_flat_local = threading.local()
_flat_local.sizer = Asizer()  # made now, not by the first summary: a tracker's diff never sees it
use_engine(flatsizes, rule_for)  # summaries, heap snapshots and tracker diffs size by the same rules


def basicsize(obj, **opts):
    """Basic size of ``obj``'s type including the GC header and managed pre-header."""
    _sizer({k: v for k, v in opts.items() if k not in ("save",)})
    tp = type(obj)
    return _tp_basicsize(tp) + _layout.preheader_size(tp)


def itemsize(obj, **opts):
    """Size of one item of ``obj`` (pointer size for list/set/dict-like out-of-line tables,
    the element size of an ``array.array`` or a numpy array), 0 if it has no items.

    >>> itemsize(array.array("d", [1.5]))
    8
    """
    _sizer({k: v for k, v in opts.items() if k not in ("save",)})
    tp = type(obj)
    counts = _thirdparty.ndarray_counts(obj)
    if counts is not None:
        return counts[1]
    if _tp_itemsize(tp):
        return _tp_itemsize(tp)
    if issubclass(tp, (list, dict, set, frozenset)):
        return _PTR
    if issubclass(tp, (bytearray,)):
        return 1
    if issubclass(tp, array.array):
        return array.array.itemsize.__get__(obj)
    return 0


def leng(obj, **opts):
    """Number of items ``obj`` has room for (allocated slots), or None if it has no items.

    ``leng(int)`` is the number of 30-bit digits; ``leng(list)`` includes over-allocation;
    an ``array.array`` and a numpy array give their number of elements.

    >>> leng(array.array("d", [1.5, 2.5]))
    2
    """
    _sizer({k: v for k, v in opts.items() if k not in ("save",)})
    tp = type(obj)
    counts = _thirdparty.ndarray_counts(obj)
    if counts is not None:
        return counts[0]
    try:
        if issubclass(tp, array.array):
            return array.array.__len__(obj)
        if issubclass(tp, bool):
            return None
        if issubclass(tp, int):
            return max(1, (abs(int(obj)).bit_length() + 29) // 30)
        # lengths are read by the C-level __len__ of the builtin base: a subclass's
        # __len__ may return anything (sys.maxsize) or raise
        if issubclass(tp, str):
            return str.__len__(obj) + 1
        for base in (list, set, frozenset, bytearray, dict):
            if issubclass(tp, base):
                n = base.__len__(obj)
                if base is dict:
                    return n
                basic = _tp_basicsize(tp) + _layout.preheader_size(tp)
                isz = itemsize(obj) or 1
                return max(n, (flatsize(obj) - basic) // isz)
        if _tp_itemsize(tp):  # variable-size objects: their ob_size, from the layout
            return max(0, (object.__sizeof__(obj) - _tp_basicsize(tp)) // _tp_itemsize(tp))
    except SAFE_CATCH:
        return None
    return None


def refs(obj, **opts):
    """The referents deep sizing follows from ``obj`` (a list; empty if none).

    An instance whose attributes live in its values array (no ``__dict__`` object yet,
    CPython 3.11–3.13) lists them as one dict ``{name: value}``, as Pympler lists
    ``obj.__dict__``: a new dict made for this list (``obj.__dict__`` is not created).

    >>> class Foo:
    ...     def __init__(self, data):
    ...         self.data = data
    >>> {'data': 42} in refs(Foo(42))
    True
    """
    sizer = _sizer(opts)
    ctx = WalkContext(sizer)
    tp = type(obj)
    info = sizer._given_info(sizer._classify(tp), tp)  # given directly
    out = sizer._refs_of(obj, info)
    if info.managed:
        ns = instance_namespace(obj, tp, out, ctx.names)
        if ns is not None:
            attrs, ids = ns
            out = [attrs] + [r for r in out if id(r) not in ids]
    skip = ctx.ignore - STATIC_IDS  # module globals are not followed (but a given module's own)
    if issubclass(type(obj), types.ModuleType):
        skip = skip - {id(r) for r in out}
    return [r for r in out if id(r) not in skip]


def named_refs(obj, **opts):
    """``[(name, referent)]``: the named referents of ``obj`` (attributes, keys, slots).

    Instances whose ``__dict__`` was never materialized list their attributes by name
    (it is not created to list them). Only named referents are listed (as in Pympler):
    a referent no attribute reaches (the items of a list, an ``enumerate``'s iterator) is
    in :func:`refs`, not here; a name is never an object's ``repr``.
    """
    sizer = _sizer(opts)
    info = sizer._given_info(sizer._classify(type(obj)), type(obj))  # given directly
    out = []
    clip = sizer._clip
    ctx = WalkContext(sizer)
    kids = tree_refs(sizer, obj, info, ctx)
    for i, ref in enumerate(kids.objs):
        if type(ref) is Part:
            pk = ref.kids
            for j, val in enumerate(pk.objs):
                vname = pk.name(j)
                if type(vname) is tuple and vname[0] == "v":
                    out.append((key_text(vname[1], max(clip, 1)), val))
        else:
            name = kids.name(i)
            if type(name) is tuple and name[0] == "r":  # reached by no attribute, key or slot
                continue
            out.append((name_text(name, clip), ref))
    return out


