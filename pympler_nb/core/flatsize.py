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
from collections.abc import Callable
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
