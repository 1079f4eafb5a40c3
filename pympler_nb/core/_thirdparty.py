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

from . import _layout
from .asizeof import _amapped, register

_getsizeof = sys.getsizeof


def _wrapper(obj) -> int:
    """Bytes of the Python object itself, ignoring a ``__sizeof__`` that adds its data."""
    tp = type(obj)
    return object.__sizeof__(obj) + _layout.preheader_size(tp)


# -- numpy ---------------------------------------------------------------------
def _object_elements(arr):
    """The Python objects held by an array of object dtype (also in structured fields)."""
    out = []
    stack = [arr]
    while stack:
        a = stack.pop()
        dt = a.dtype
        if not dt.hasobject:
            continue
        if dt.names:
            for name in dt.names:
                stack.append(a[name])
        elif dt.subdtype is not None:
            stack.append(a.reshape(-1))
        elif dt.kind == "O":
            flat = a.reshape(-1)
            if flat.ndim == 1 and flat.dtype.kind == "O":
                out.extend(flat.tolist())
    return out


def _ndarray_refs(a):
    out = []
    base = a.base
    if base is not None:
        out.append(base)
    if a.dtype.hasobject:
        out.extend(_object_elements(a))
    if type(a).__flags__ & (1 << 9):  # an ndarray subclass defined in Python: its attributes
        import gc

        out.extend(r for r in gc.get_referents(a) if not isinstance(r, type))
    return out


register("numpy.ndarray", flat=lambda a, claim: _getsizeof(a), refs=_ndarray_refs)
register("numpy.dtype", flat=lambda d, claim: 0, refs=lambda d: ())


# -- memory maps -------------------------------------------------------------------
def _mmap_flat(m, claim):
    try:
        mapped = len(m)
    except (ValueError, OSError):  # closed
        mapped = 0
    return _getsizeof(m) + int(mapped * _amapped[0])


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
