"""Size rules for numpy, pyarrow and memory maps, registered by type name.

Nothing here imports numpy, pandas or pyarrow: rules are looked up by the
``'module.QualName'`` of the types met while sizing, so they cost nothing until such an
object is sized.

The rules (documented in the README, "How sizes are counted"):

* ``numpy.ndarray`` — numpy's own ``__sizeof__`` (header, dims/strides and the data
  buffer when the array owns it) plus its ``base`` (so views share the base's buffer,
  counted once) plus, for object dtypes (also object fields of structured dtypes), the
  elements. ``numpy.dtype`` objects count 0 (type-like descriptors, shared).
* ``mmap.mmap`` (and through ``base``, ``numpy.memmap``) — the object plus
  :func:`~pympler_nb.core.asizeof.amapped` percent (default 1%) of the mapped length:
  mapped pages are page cache, not heap.
* ``pyarrow`` arrays, chunked arrays, record batches, tables and buffers — the Python
  wrapper (not pyarrow's ``__sizeof__``, which already adds ``nbytes``) plus each Arrow buffer's size, each buffer counted once per sizing by its
  address (slices share their parent's buffers). Arrow memory is invisible to
  ``tracemalloc``; it is what ``pyarrow.total_allocated_bytes()`` counts.
* pandas needs no rule: DataFrame/Series/Index are walked like any object (pandas'
  Python ``__sizeof__``, which returns ``memory_usage(deep=True)``, is not trusted
  because walking would count the data twice). The result equals
  ``memory_usage(deep=True)`` for numeric and Arrow columns plus the few KB of pandas'
  own objects; for object columns each distinct element counts once (pandas counts
  every reference), so ours is lower exactly by the repeated elements.
"""

from __future__ import annotations

import sys
from time import monotonic as _monotonic

from . import _layout
from .asizeof import _amapped, _c_sizeof, _typename, register

_getsizeof = sys.getsizeof


def _wrapper(obj) -> int:
    """Bytes of the Python object itself, ignoring a ``__sizeof__`` that adds its data."""
    tp = type(obj)
    return object.__sizeof__(obj) + _layout.preheader_size(tp)


# -- numpy ---------------------------------------------------------------------------
# An ndarray subclass may override ``dtype``, ``base``, ``reshape`` or ``__sizeof__``
# with anything (a property returning garbage, a reshape returning itself): the rule reads
# the array through ``numpy.ndarray``'s own C getters and methods, so the walk is bounded
# by the real buffer (at most ``size`` elements per object field), and by a time budget.
ELEMENTS_SECONDS = 30.0
"""Time budget of one array's object elements; beyond it the rule raises
:class:`BudgetExceeded` (the sizer reports it and counts the array without them)."""


class BudgetExceeded(RuntimeError):
    """A third-party rule gave up: the object is too big for its time budget."""


def _ndarray_base_class(tp):
    """The ``numpy.ndarray`` class in ``tp``'s MRO (``tp`` is an ndarray or subclass)."""
    for klass in type.__dict__["__mro__"].__get__(tp):
        if _typename(klass) == "numpy.ndarray":
            return klass
    raise TypeError(f"not a numpy array type: {_typename(tp)}")


def _plain(a):
    """``(a as a plain ndarray, ndarray)``: a view with no subclass behaviour."""
    nd = _ndarray_base_class(type(a))
    return (a if type(a) is nd else nd.view(a, nd)), nd


def _object_elements(arr):
    """The Python objects held by an array of object dtype (also in structured fields)."""
    out = []
    plain, nd = _plain(arr)
    stack = [plain]
    deadline = _monotonic() + ELEMENTS_SECONDS
    while stack:
        if _monotonic() > deadline:
            raise BudgetExceeded(f"object elements of a {_typename(type(arr))} beyond "
                                 f"{ELEMENTS_SECONDS:g} s")
        a = stack.pop()
        dt = a.dtype
        if not dt.hasobject:
            continue
        if dt.names:
            for name in dt.names:
                stack.append(nd.__getitem__(a, name))
        elif dt.subdtype is not None:
            stack.append(nd.reshape(a, -1))  # the sub-array dims join the shape
        elif dt.kind == "O":
            flat = nd.reshape(a, -1)
            if flat.ndim == 1 and flat.dtype.kind == "O":
                out.extend(nd.tolist(flat))
    return out


def _ndarray_flat(a, claim):
    """numpy's C ``__sizeof__`` (not a subclass's Python one) plus the pre-header."""
    tp = type(a)
    return _c_sizeof(tp)(a) + _layout.preheader_size(tp)


def _ndarray_refs(a):
    out = []
    tp = type(a)
    nd = _ndarray_base_class(tp)
    getters = type.__dict__["__dict__"].__get__(nd)
    base = getters["base"].__get__(a)
    if base is not None:
        out.append(base)
    if getters["dtype"].__get__(a).hasobject:
        out.extend(_object_elements(a))
    if type.__dict__["__flags__"].__get__(tp) & (1 << 9):  # a subclass defined in Python
        import gc

        out.extend(r for r in gc.get_referents(a) if not isinstance(r, type))
    return out


register("numpy.ndarray", flat=_ndarray_flat, refs=_ndarray_refs)
register("numpy.dtype", flat=lambda d, claim: 0, refs=lambda d: ())


# -- memory maps -------------------------------------------------------------------
def _mmap_flat(m, claim):
    import mmap

    try:
        mapped = mmap.mmap.__len__(m)  # the C length: a subclass's __len__ may lie
    except (ValueError, OSError):  # closed
        mapped = 0
    return _c_sizeof(type(m))(m) + _layout.preheader_size(type(m)) + int(mapped * _amapped[0])


register("mmap.mmap", flat=_mmap_flat, refs=lambda m: ())


# -- pyarrow ------------------------------------------------------------------------
def _buffers_size(buffers, claim):
    total = 0
    for buf in buffers:
        if buf is None:
            continue
        size = buf.size
        if size and claim(("arrow-buffer", buf.address)):
            total += size
    return total


def _arrow_array_flat(arr, claim):
    return _wrapper(arr) + _buffers_size(arr.buffers(), claim)


def _arrow_chunked_flat(carr, claim):
    total = _wrapper(carr)
    for chunk in carr.chunks:
        total += _buffers_size(chunk.buffers(), claim)
    return total


def _arrow_table_flat(table, claim):
    total = _wrapper(table)
    for col in table.columns:
        chunks = getattr(col, "chunks", None)
        for chunk in chunks if chunks is not None else (col,):
            total += _buffers_size(chunk.buffers(), claim)
    return total


def _arrow_buffer_flat(buf, claim):
    return _wrapper(buf) + _buffers_size((buf,), claim)


register("pyarrow.lib.Array", flat=_arrow_array_flat, refs=lambda a: ())
register("pyarrow.lib.ChunkedArray", flat=_arrow_chunked_flat, refs=lambda a: ())
register("pyarrow.lib.RecordBatch", flat=_arrow_table_flat, refs=lambda a: ())
register("pyarrow.lib.Table", flat=_arrow_table_flat, refs=lambda a: ())
register("pyarrow.lib.Buffer", flat=_arrow_buffer_flat, refs=lambda a: ())
