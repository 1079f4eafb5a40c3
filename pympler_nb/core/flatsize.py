"""Flat sizes: the one implementation of "how many bytes does this object itself take",
used by ``asizeof`` (its walker), ``muppy``, ``summary`` and ``heap.discovery``.

``sys.getsizeof`` is the base; a ``__sizeof__`` written in Python is never run (the
nearest C-level one in the MRO is used: pandas' returns a deep size and creates objects);
a size no object of this process can have is replaced by the object's layout size.

>>> flat_sizes([1.5, "abc"]) == [sys.getsizeof(1.5), sys.getsizeof("abc")]
True
>>> safe_size(()) == sys.getsizeof(())
True
"""

from __future__ import annotations

import sys
import types
from array import array
from collections.abc import Callable
from itertools import compress, repeat
from operator import add
from typing import Any

from . import _layout
from ._layout import type_basicsize as _tp_basicsize
from ._format import class_name

SAFE_CATCH = Exception  # what hostile objects may raise; KeyboardInterrupt passes
_getsizeof = sys.getsizeof

# ---------------------------------------------------------------------------
# physical bounds of a flat size
MAX_FLAT_SIZE = 2**47 if sys.maxsize > 2**32 else 2**32
"""No object is larger than the user address space (128 TiB on 64-bit x86 and ARM):
a ``__sizeof__`` beyond it (or beyond the memory the process has mapped) is not trusted."""
CHEAP_MAX = 2**32  # below this, a size is plausible without asking the OS
_PAGE = 4096
try:
    import os as _os

    _PAGE = _os.sysconf("SC_PAGE_SIZE")
except (ImportError, AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
    pass


def max_flat() -> int:
    """The largest flat size an object of this process can have: the memory it has
    mapped (``/proc/self/statm``), else :data:`MAX_FLAT_SIZE`. Asked only for sizes
    above 4 GiB."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return min(int(fh.read().split()[0]) * _PAGE, MAX_FLAT_SIZE)
    except (OSError, ValueError, IndexError):
        return MAX_FLAT_SIZE


def plausible_total(total) -> bool:
    """Whether a summed ``__sizeof__`` of a group can be taken as it is."""
    return type(total) is int and 0 <= total and (total <= CHEAP_MAX or total <= max_flat())


def layout_size(o) -> int:
    """What ``o``'s layout allocates (basic size plus items, plus pre-header), read in C:
    the size of an object whose ``__sizeof__`` cannot be trusted."""
    tp = type(o)
    try:
        return object.__sizeof__(o) + _layout.preheader_size(tp)
    except SAFE_CATCH:
        try:
            return _tp_basicsize(tp) + _layout.preheader_size(tp)
        except SAFE_CATCH:
            return 0


def plausible_sizes(objects: list, sizes: list) -> list:
    """``sizes`` (``sys.getsizeof`` of ``objects``) with each size no object of this
    process can have replaced by the object's layout size. The flat-size check of the
    heap walks (muppy, summary, heap); costs one ``sum`` when every size is plausible."""
    if plausible_total(sum(sizes)):
        return sizes
    bound = max_flat()
    return [s if type(s) is int and 0 <= s <= bound else layout_size(o) for o, s in zip(objects, sizes)]


def describe(value) -> str:
    """A short description of a bad size, for statistics (never the object's repr)."""
    if type(value) is int:
        return str(value) if -10**30 < value < 10**30 else f"a {value.bit_length()}-bit int"
    return f"a {class_name(type(value))}"




# ---------------------------------------------------------------------------
# the C-level __sizeof__ of a type
C_DESCRIPTORS = (types.WrapperDescriptorType, types.MethodDescriptorType, types.BuiltinFunctionType)
# methods of C types: CPython checks the receiver's type before calling them
C_METHODS = (types.WrapperDescriptorType, types.MethodDescriptorType)


def own_sizeof(tp):
    try:
        return type.__dict__["__dict__"].__get__(tp).get("__sizeof__")
    except SAFE_CATCH:
        return None


def c_sizeof(tp):
    """The nearest ``__sizeof__`` in the MRO that is implemented in C.

    A ``__sizeof__`` written in Python (or a Mock's proxy) is skipped: pandas' returns a
    deep size, which a deep walk would count twice.
    """
    try:
        mro = type.__dict__["__mro__"].__get__(tp)
    except SAFE_CATCH:
        return object.__sizeof__
    for klass in mro:
        desc = own_sizeof(klass)
        if desc is not None and (type(desc) in C_DESCRIPTORS or type(desc).__name__ in CYTHON_FUNCTIONS):
            return desc
    return object.__sizeof__


# compiled by Cython: C code, trusted like builtin descriptors (pandas' index engines and
# hash tables report their C tables this way)
CYTHON_FUNCTIONS = frozenset({"cython_function_or_method", "fused_cython_function"})


# ---------------------------------------------------------------------------
# flat sizes of heap objects (muppy, summary, heap)
def safe_size(obj: object) -> int:
    """``sys.getsizeof(obj)``; the object's layout size if ``__sizeof__`` fails or
    returns a size no object of this process can have (``10**15``)."""
    try:
        return plausible_sizes([obj], [_getsizeof(obj)])[0]
    except Exception:  # noqa: BLE001 - a broken __sizeof__ must not stop a heap walk
        return layout_size(obj)


def flat_sizes(objects: list) -> list[int]:
    """Flat sizes of ``objects`` (bulk ``sys.getsizeof``, per-object on failure),
    checked by :func:`plausible_sizes`."""
    try:
        return plausible_sizes(objects, list(map(_getsizeof, objects)))
    except Exception:  # noqa: BLE001
        return [safe_size(o) for o in objects]


# Exact builtin types whose C ``__sizeof__`` can be called directly (no special
# method lookup per object); ``sys.getsizeof`` adds a constant per type (the GC
# header) on top of it.
DIRECT_SIZEOF = frozenset((str, int, float, complex, bytes, bytearray, tuple, list,
                           dict, set, frozenset))
_OBJECT_SIZEOF = object.__sizeof__


def fixed_size(t: type) -> bool:
    """Whether every instance of ``t`` has the same ``sys.getsizeof`` (at one time).

    True for types without items (``__itemsize__ == 0``) that keep
    ``object.__sizeof__``: their size is the basic size plus per-type headers.
    """
    try:
        return t.__itemsize__ == 0 and t.__sizeof__ is _OBJECT_SIZEOF
    except Exception:  # noqa: BLE001 - exotic metaclasses
        return False


def python_sizeof(t: type) -> Callable[[Any], int] | None:
    """For a type whose ``__sizeof__`` is written in Python, a C-level replacement
    (``obj -> bytes``, as ``sys.getsizeof`` counts them); None for the other types.

    A heap summary must not run such methods: pandas' ``__sizeof__`` returns a deep
    size (``memory_usage(deep=True)``, which the summary would count on top of the
    objects it reaches) and creates objects while doing so (its copy-on-write
    bookkeeping keeps weak references), so every summary would grow the heap it
    measures.  The nearest C-level ``__sizeof__`` in the MRO is used instead (the
    rule ``asizeof`` follows), plus the object's pre-header.
    """
    try:
        mro = type.__dict__["__mro__"].__get__(t)
    except Exception:  # noqa: BLE001 - exotic metaclasses
        return None
    for klass in mro:
        desc = own_sizeof(klass)
        if desc is None:
            continue
        if type(desc) in C_DESCRIPTORS or type(desc).__name__ in CYTHON_FUNCTIONS:
            return None  # compiled: trusted, as in asizeof
        break
    else:
        return None
    fn = c_sizeof(t)
    try:
        pre = _layout.preheader_size(t)
    except Exception:  # noqa: BLE001
        pre = 0

    def size(obj: Any) -> int:
        try:
            return plausible_sizes([obj], [fn(obj) + pre])[0]
        except Exception:  # noqa: BLE001 - never fail a heap walk
            return _layout.type_basicsize(t) + pre

    return size


# ---------------------------------------------------------------------------
# own sizes: the one definition of "the bytes of this object", used by every view
INT_ONE_DIGIT = (1).__sizeof__()  # a one-digit int asks for 28 bytes, pymalloc gives 32
INT_FIX = max(0, (INT_ONE_DIGIT + 7) // 8 * 8 - INT_ONE_DIGIT)
_PTR = 8 if sys.maxsize > 2**32 else 4
_DIRECT_IDS = frozenset(map(id, DIRECT_SIZEOF))


_HEAPTYPE = 1 << 9
_ENGINE: list = []  # [asizeof.flatsizes, has a size rule]: the sizer, for the other types


def use_engine(flatsizes: Callable[[type, list], list], ruled: Callable[[type], object]) -> None:
    """Called by :mod:`.asizeof` when it is imported (with the package): :func:`own_sizes`
    sizes the types it has no fast path for, and those with a size rule (``ruled(tp)``
    true: numpy, Arrow), by the sizer's ``flatsizes(tp, group)``, so that an object's own
    size is ``asizeof.flatsize`` in every view (this module is a lower layer than the
    sizer and does not import it)."""
    _ENGINE[:] = [flatsizes, ruled]


def _fast(t: type) -> bool:
    """Whether :func:`own_sizes` sizes ``t`` itself (``sys.getsizeof`` based) rather than
    by the sizer: builtins it sizes in bulk, fixed-size types without a size rule."""
    if _ENGINE and _ENGINE[1](t):
        return False
    if id(t) in _DIRECT_IDS:
        return True
    return fixed_size(t) and not issubclass(t, type) and spare_item(t) is None


def spare_item(tp: type) -> tuple[int, int] | None:
    """``(extra, preheader)`` for a variable-size heap type (a namedtuple, an int or bytes
    subclass, a metaclass): ``PyType_GenericAlloc`` allocates one item more than
    ``sys.getsizeof`` counts (and an int subclass's basic size beyond int's), the whole
    rounded up to 8 bytes after the pre-header; None for other types."""
    try:
        isize = _layout.type_itemsize(tp)
        if not (isize and _layout.type_flags(tp) & _HEAPTYPE):
            return None
        extra = isize
        if issubclass(tp, int):
            extra += _tp_basicsize(tp) - int.__basicsize__
    except Exception:  # noqa: BLE001 - exotic metaclasses
        return None
    return extra, _layout.preheader_size(tp)


def with_spare_item(sizes, extra: int, pre: int) -> list:
    """``sizes`` (``sys.getsizeof``-like, pre-header included) with :func:`spare_item`'s
    item added and rounded up to 8 bytes."""
    return [(s - pre + extra + 7) // 8 * 8 + pre for s in sizes]


def beyond_getsizeof(t: type) -> bool:
    """Whether an object of exact type ``t`` may own bytes ``sys.getsizeof`` leaves out
    (:func:`own_sizes` differs from :func:`flat_sizes` only for these types)."""
    if t is int or t is dict or (_layout.SUPPORTED and _layout.managed_layout(t)):
        return True
    return not _fast(t)


def own_rule(tp: type) -> tuple | None:
    """What :func:`own_sizes` adds to the ``sys.getsizeof`` of each object of exact type
    ``tp``, as a rule the C loop of summaries applies (``_speedups.type_stats``, same
    numbers): ``()`` nothing, ``(1, INT_ONE_DIGIT, INT_FIX)`` the one-digit int
    rounding, ``(2,)`` a split dict's table, ``_layout.managed_rule(tp)`` an instance's
    hidden values; None when the sizer sizes the type (not :func:`_fast`): Python code.

    >>> own_rule(float)
    ()
    """
    if not _fast(tp):
        return None
    if tp is int:
        return (1, INT_ONE_DIGIT, INT_FIX) if INT_FIX else ()
    if not _layout.SUPPORTED:
        return ()
    if tp is dict:
        return (2,)
    if _layout.managed_layout(tp):
        return _layout.managed_rule(tp)
    return ()


def own_sizes(tp: type, group: list) -> array:
    """Own sizes of ``group`` (objects of exact type ``tp``): the one definition of an
    object's own size, shared by ``asizeof.flatsize``, summaries and tracker diffs,
    heap snapshots, reference graphs and why-alive.

    ``sys.getsizeof`` (a ``__sizeof__`` written in Python is not run; see
    :func:`python_sizeof`) plus what CPython allocates for the object that is no
    object of its own: the attribute values of an instance whose ``__dict__`` was
    never created (its values array, 3.11/3.12, or inline values, 3.13), a split
    dict's table, and the rounding of a one-digit int to its 32-byte block. In bulk.

    >>> list(own_sizes(float, [1.5, 2.5])) == [sys.getsizeof(1.5)] * 2
    True
    """
    fn = python_sizeof(tp)
    fast = _fast(tp)
    if fn is not None and fast:
        sizes = array("q", map(fn, group))
    elif fast and id(tp) not in _DIRECT_IDS:
        sizes = array("q", [safe_size(group[0])]) * len(group)
    elif fast:
        sizeof = tp.__sizeof__
        header = safe_size(group[0]) - sizeof(group[0])
        sizes = array("q", map(add, map(sizeof, group), repeat(header)) if header else
                      map(sizeof, group))
    elif _ENGINE:  # classes, variable-size subclasses, size rules (numpy, Arrow), C extensions
        return array("q", _ENGINE[0](tp, group))
    else:  # pragma: no cover - asizeof is imported with the package
        sizes = array("q", flat_sizes(group))
    if tp is int and INT_FIX and sizes.count(INT_ONE_DIGIT):  # allocated in 32 bytes
        fix = list(range(max(sizes) + 1))
        fix[INT_ONE_DIGIT] += INT_FIX
        sizes = array("q", map(fix.__getitem__, sizes))
    elif tp is dict and _layout.SUPPORTED:  # split tables (ma_values set): a few
        values = _layout.read_words(map(id, group), 5 * _PTR)
        for i in compress(range(len(group)), values):
            c = _layout.split_dict_correction(group[i])
            if c:
                sizes[i] += c
    if _layout.SUPPORTED and _layout.managed_layout(tp):
        hidden = _layout.instances_hidden_each(group, tp)[0]
        sizes = array("q", map(add, sizes, hidden))
    return sizes


def own_size(obj: object) -> int:
    """The own size of one object (:func:`own_sizes`)."""
    return own_sizes(type(obj), [obj])[0]
