"""Size rules for numpy, pyarrow and memory maps, registered by type name.

Nothing here imports numpy, pandas or pyarrow: rules are looked up by the
``'module.QualName'`` of the types met while sizing, so they cost nothing until such an
object is sized.

The rules (documented in the README, "How sizes are counted"):

* ``numpy.ndarray`` — numpy's own ``__sizeof__`` (header, dims/strides and the data
  buffer when the array owns it) plus its ``base`` (so views share the base's buffer,
  counted once) plus, for object dtypes (also object fields of structured dtypes), the
  elements, as references of the array that holds them (the owner of the buffer: a view
  refers to its base, which refers to the elements). ``numpy.dtype`` objects count 0
  (type-like descriptors, shared).
* The heap walk (``muppy``, ``summary``, ``tracker``, ``heap``) follows the same ``refs``
  where ``gc.get_referents`` sees nothing (:func:`hidden_refs_rules`,
  :func:`hidden_referents`), so it reaches what the sizer reaches.
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

import gc
import sys
from itertools import compress

from . import _layout
from .asizeof import _amapped, register, rule_for

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


def _owns_elements(a, base) -> bool:
    """Whether array ``a`` (``base`` its ``base``) holds the references to its object
    elements: a view (base an ndarray) shares its base's buffer and holds none."""
    if base is None:
        return True
    numpy = sys.modules.get("numpy")
    ndarray = getattr(numpy, "ndarray", None)
    return not (isinstance(ndarray, type) and isinstance(base, ndarray))


def _ndarray_refs(a):
    out = []
    base = a.base
    if base is not None:
        out.append(base)
    if a.dtype.hasobject and _owns_elements(a, base):  # a view's are listed by its base
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


# -- the heap walk's view of the rules ------------------------------------------------
# The heap walk (muppy.get_objects, summary, tracker, heap snapshots and retained sizes)
# follows ``gc.get_referents``, which sees nothing inside an object whose type does not
# traverse what it holds (a numpy object array holds its elements, a view its base). The
# ``refs=`` of the registered rules say what such an object holds: the walk follows them
# too, so that it reaches what asizeof reaches.

_HAVE_GC = 1 << 14
_flags = type.__dict__["__flags__"].__get__  # (not a metaclass's __flags__)


def hidden_refs_rules(tys) -> list:
    """For each type of ``tys`` (a list of types), the ``refs`` of the registered rule
    that applies to it, or None: an object of a type with ``refs`` may hold more than
    ``gc.get_referents`` reports, namely :func:`hidden_referents`.

    Nothing is cached: a cache would be part of the heap the walk lists (and grow
    between two walks).
    """
    out = []
    for tp in tys:
        rule = rule_for(tp)
        out.append(None if rule is None else rule.refs)
    return out


def _calibrate_alone() -> int:
    """The refcount ``map(sys.getrefcount, lst)`` reports for an object only ``lst`` holds."""
    lst = [float("0.5")]  # a fresh object
    return list(map(sys.getrefcount, lst))[0]


_ALONE_RC = _calibrate_alone()
_getrefcount = sys.getrefcount
_get_referents = gc.get_referents


def hidden_referents(objs: list, refs, tp: type) -> list:
    """Per object of ``objs`` (all of type ``tp``, whose rule's refs is ``refs``), the
    list of objects it holds that ``gc.get_referents`` does not report.

    Objects the rule made (held by nothing else: not a reference ``obj`` holds) are
    left out, and so is everything of an object whose rule raises (a hostile or broken
    object is skipped, not crashed on).
    """
    gc_type = bool(_flags(tp) & _HAVE_GC)
    out = []
    for o in objs:
        try:
            got = refs(o)
            if type(got) is not list:
                got = list(got)
        except Exception:  # noqa: BLE001 - a rule failing on one object skips it
            out.append([])
            continue
        if got:
            rcs = list(map(_getrefcount, got))
            if min(rcs) <= _ALONE_RC:
                got = list(compress(got, map(_ALONE_RC.__lt__, rcs)))
            del rcs
        if gc_type and got:
            known = set(map(id, _get_referents(o)))
            got = [x for x in got if id(x) not in known]
        out.append(got)
    return out
