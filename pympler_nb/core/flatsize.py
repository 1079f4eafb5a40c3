"""Flat sizes."""

from __future__ import annotations

import sys

from . import _layout
from ._layout import type_basicsize as _tp_basicsize
from ._sizerules import SAFE_CATCH, typename

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
    return f"a {typename(type(value))}"


