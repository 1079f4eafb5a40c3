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
  wrapper (not pyarrow's ``__sizeof__``, which already adds ``nbytes``) plus each Arrow
  buffer's size, each buffer counted once per sizing by its address (slices share their
  parent's buffers). Arrow memory is invisible to ``tracemalloc``; it is what
  ``pyarrow.total_allocated_bytes()`` counts.
* pandas needs no sizing rule: DataFrame/Series/Index are walked like any object
  (pandas' Python ``__sizeof__``, which returns ``memory_usage(deep=True)``, is not
  trusted because walking would count the data twice). The result equals
  ``memory_usage(deep=True)`` for numeric and Arrow columns plus the few KB of pandas'
  own objects; for object columns each distinct element counts once (pandas counts
  every reference), so ours is lower exactly by the repeated elements.

Size trees (``asized``, the size tree widget) show these objects in a user's terms,
through ``children=`` rules: a DataFrame expands into its columns (one node per pandas
block: ``column 'b' (str)``, or ``columns 'a', 'd' (int64, one 2-D block)`` for
columns stored together), its index and its column labels, before pandas' internals
(``_mgr`` and the rest, which then hold only what the columns did not); a Series into
its values and index; an Index into its values; a Categorical into codes and
categories; an Arrow-backed array into its Arrow data; a numpy structured (record)
array into one node per field (the field's bytes of the data buffer, and its objects);
an ``lru_cache`` wrapper into its cache. The rules only name objects the walk already
reaches, so the sizes are the same with or without them.
"""

from __future__ import annotations

import sys
import types
import weakref
from itertools import compress
from time import monotonic as _monotonic

from . import _layout
from ._asized import Part
from ._format import class_name, clip_text, safe_repr
from ._sizerules import SAFE_CATCH, amapped_setting, register, registered, rule_for
from .flatsize import c_sizeof
from .gcsafe import get_referents

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
        if class_name(klass) == "numpy.ndarray":
            return klass
    raise TypeError(f"not a numpy array type: {class_name(tp)}")


def ndarray_counts(a):
    """``(number of elements, bytes per element)`` of a numpy array (any subclass), read
    with ``numpy.ndarray``'s own C getters (``size``, ``itemsize``: a subclass's
    overrides are not run); None if ``a`` is no numpy array."""
    for klass in type.__dict__["__mro__"].__get__(type(a)):
        if class_name(klass) == "numpy.ndarray":
            own = type.__dict__["__dict__"].__get__(klass)
            try:
                return own["size"].__get__(a), own["itemsize"].__get__(a)
            except SAFE_CATCH:
                return None
    return None


def array_base(obj):
    """The ``base`` of a numpy array that is a view (the array whose buffer it shares),
    read with ``numpy.ndarray``'s own C getter; None for an array that owns its buffer
    or for anything that is no numpy array (a type-name rule: numpy is never imported)."""
    for klass in type.__dict__["__mro__"].__get__(type(obj)):
        if class_name(klass) == "numpy.ndarray":
            try:
                return type.__dict__["__dict__"].__get__(klass)["base"].__get__(obj)
            except SAFE_CATCH:
                return None
    return None


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
            raise BudgetExceeded(f"object elements of a {class_name(type(arr))} beyond "
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


# What the numpy rule reads of an array type, kept for static types (numpy.ndarray
# itself, compiled subclasses: immutable and never freed), keyed by id: a call on a
# fresh array (whose type's MRO and dicts are out of the CPU caches) does not walk the MRO
# again. Heap subclasses (defined in Python) are read per call.
_ND_FACTS: dict[int, tuple] = {}
_HEAPTYPE = 1 << 9
_type_flags = type.__dict__["__flags__"].__get__


def _nd_facts(tp) -> tuple:
    """``(tp, ndarray class, C __sizeof__, pre-header, base getter, dtype getter)`` of
    an ndarray type ``tp``."""
    facts = _ND_FACTS.get(id(tp))
    if facts is not None and facts[0] is tp:
        return facts
    nd = _ndarray_base_class(tp)
    getters = type.__dict__["__dict__"].__get__(nd)
    facts = (tp, nd, c_sizeof(tp), _layout.preheader_size(tp), getters["base"].__get__,
             getters["dtype"].__get__)
    if not _type_flags(tp) & _HEAPTYPE and len(_ND_FACTS) < 64:
        _ND_FACTS[id(tp)] = facts
    return facts


def _ndarray_flat(a, claim):
    """numpy's C ``__sizeof__`` (not a subclass's Python one) plus the pre-header."""
    facts = _nd_facts(type(a))
    return facts[2](a) + facts[3]


def _owns_elements(base, nd) -> bool:
    """Whether an array whose ``base`` is given holds the references to its object
    elements: a view (base an ndarray, ``nd`` numpy's class) shares its base's buffer
    and holds none."""
    return base is None or not issubclass(type(base), nd)


def _ndarray_refs(a):
    out = []
    tp, nd, _, _, base_of, dtype_of = _nd_facts(type(a))
    base = base_of(a)
    if base is not None:
        out.append(base)
    if dtype_of(a).hasobject and _owns_elements(base, nd):  # a view's: its base's
        out.extend(_object_elements(a))
    if _type_flags(tp) & _HEAPTYPE:  # a subclass defined in Python
        out.extend(r for r in get_referents(a) if not isinstance(r, type))
    return out


register("numpy.ndarray", flat=_ndarray_flat, refs=_ndarray_refs,
         children=lambda a: _ndarray_children(a))
register("numpy.dtype", flat=lambda d, claim: 0, refs=lambda d: ())


# -- memory maps -------------------------------------------------------------------
def _mmap_flat(m, claim):
    import mmap

    try:
        mapped = mmap.mmap.__len__(m)  # the C length: a subclass's __len__ may lie
    except (ValueError, OSError):  # closed
        mapped = 0
    return c_sizeof(type(m))(m) + _layout.preheader_size(type(m)) + int(mapped * amapped_setting[0])


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


# -- size trees: named parts (``children=`` rules) ------------------------------------
_getsets = (types.GetSetDescriptorType, types.MemberDescriptorType)


def _attrs(obj) -> dict:
    """An instance's own attributes, read without running descriptors (no property or
    cached property runs, so nothing is computed or stored) and without creating its
    ``__dict__``."""
    tp = type(obj)
    refs = get_referents(obj)
    names = _layout.attribute_names(obj, tp, None)
    if names is not None:
        byaddr = {id(r): r for r in refs}
        return {n: byaddr[a] for n, a in names if a in byaddr}
    for r in refs:
        if type(r) is dict:
            return r
    return {}


def _field(obj, name):
    """A field of a compiled base class (a Cython ``cdef public`` attribute: reading it
    only returns the stored object), or an instance attribute; None if neither."""
    for klass in type.__dict__["__mro__"].__get__(type(obj)):
        desc = type.__dict__["__dict__"].__get__(klass).get(name)
        if desc is None:
            continue
        if type(desc) in _getsets and name not in ("__dict__", "__weakref__"):
            return desc.__get__(obj, type(obj))
        break
    return _attrs(obj).get(name)


def _dtype_text(arr) -> str:
    """The dtype's name, read without pandas' ``dtype`` properties (some are cached
    properties: reading them would store a new object in the array)."""
    try:
        if type(arr).__name__ in ("ndarray", "memmap", "recarray"):
            return str(arr.dtype)  # numpy's C getter: returns the array's descriptor
        dt = _field(arr, "_dtype")
        if dt is None:
            own = _attrs(arr)
            dt = own.get("_cache", {}).get("dtype") if type(own.get("_cache")) is dict else None
            if dt is None and type(own.get("_data")).__name__ == "ndarray":
                npname = str(own["_data"].dtype)
                return "boolean" if npname == "bool" else npname.capitalize()
        if dt is None:
            return type(arr).__name__
        storage = _attrs(dt).get("_storage") if type(dt).__name__ == "StringDtype" else None
        return f"{dt}[{storage}]" if type(storage) is str else str(dt)
    except Exception:  # noqa: BLE001 - a name only
        return type(arr).__name__


def _labels_text(labels, n) -> str:
    shown = ", ".join(safe_repr(x, 30) for x in labels)
    return clip_text(shown, 80) + (f", ... (+{n - len(labels)})" if n > len(labels) else "")


def _label(index, i):
    """The ``i``-th label of a pandas Index, read from its storage: ``Index.__getitem__``
    would fill the index's caches (sizing must not change what it measures)."""
    if index is None:
        return i
    a = _attrs(index)
    rng = a.get("_range")
    if type(rng) is range:
        return rng[i]
    data = a.get("_data")
    if data is None:
        return i
    if type(data).__name__ == "ndarray":
        return data[i]
    data = _field(data, "_ndarray") if _attrs(data).get("_pa_array") is None else _attrs(data)["_pa_array"]
    if data is None:
        return i
    try:
        item = data[i]
        return item.as_py() if hasattr(item, "as_py") else item
    except Exception:  # noqa: BLE001 - a name only
        return i


def _blocks_axes(mgr):
    blocks = _field(mgr, "blocks")
    axes = _field(mgr, "axes")
    return ((blocks if type(blocks) is list or type(blocks) is tuple else ()),
            (axes if type(axes) is list or type(axes) is tuple else ()))


def _block_positions(blk):
    """The column positions of a pandas block, as its BlockPlacement stores them (a
    range or an integer array; its methods (iteration, indexer) would build and keep an
    array or a slice in it). Raises if the placement is not readable."""
    stored = [r for r in get_referents(_field(blk, "_mgr_locs") or blk.mgr_locs)
              if type(r) is slice or type(r).__name__ == "ndarray"]
    stored.sort(key=lambda r: type(r) is not slice)
    ix = stored[0]
    return range(ix.start or 0, ix.stop, ix.step or 1) if type(ix) is slice else ix


def _frame_children(df):
    mgr = _attrs(df).get("_mgr")
    if mgr is None:
        return
    blocks, axes = _blocks_axes(mgr)
    items = axes[0] if axes else None
    for blk in blocks:
        vals = _field(blk, "values")
        if vals is None:
            continue
        locs = []
        try:
            pos = _block_positions(blk)
            n = len(pos)
            locs = [_label(items, int(i)) for i in pos[:6]]
        except Exception:  # noqa: BLE001 - unnamed columns: the block is still shown
            n = 0
        dtype = _dtype_text(vals)
        if n == 1:
            yield f"column {_labels_text(locs, 1)} ({dtype})", vals
            continue
        if type(vals).__name__ == "ndarray" and vals.dtype.hasobject and vals.ndim == 2:
            # an object block: each column's objects apart (its pointers stay in the block)
            for j in range(n):
                label = _labels_text([_label(items, int(pos[j]))], 1)
                yield f"column {label} ({dtype})", Part(0, _object_elements(vals[j]))
            yield f"columns {_labels_text(locs, n)} ({dtype}, {n} in one 2-D block: its pointers)", vals
        else:
            try:
                _remember_columns(vals, [_labels_text([_label(items, int(pos[j]))], 1) for j in range(n)])
            except Exception:  # noqa: BLE001 - the block is still shown whole
                pass
            yield f"columns {_labels_text(locs, n)} ({dtype}, {n} in one 2-D block)", vals
    if len(axes) > 1:
        yield f"index ({type(axes[1]).__name__})", axes[1]
    if items is not None:
        yield f"column labels ({type(items).__name__})", items


def _series_children(ser):
    mgr = _attrs(ser).get("_mgr")
    if mgr is None:
        return
    blocks, axes = _blocks_axes(mgr)
    for blk in blocks[:1]:
        vals = _field(blk, "values")
        if vals is not None:
            yield f"values ({_dtype_text(vals)})", vals
    if axes:
        yield f"index ({type(axes[0]).__name__})", axes[0]


def _named_fields(get, fields):
    """``(label, value)`` for each ``(key, label)`` of ``fields`` whose ``get(key)`` is not
    None; ``label`` is a text or a function of the value."""
    for key, label in fields:
        value = get(key)
        if value is not None:
            yield (label(value) if callable(label) else label), value


def _values_label(values) -> str:
    return f"values ({_dtype_text(values)})"


def _block_children(blk):
    return _named_fields(lambda k: _field(blk, k), [("values", _values_label)])


def _index_children(idx):
    return _named_fields(_attrs(idx).get, [("_data", _values_label)])


def _multiindex_children(idx):
    return _named_fields(_attrs(idx).get, [("_levels", lambda v: f"levels ({len(v)})"), ("_codes", "codes")])


def _categorical_children(cat):
    codes = _field(cat, "_ndarray")
    if codes is not None:
        yield f"codes ({_dtype_text(codes)})", codes
    dtype = _field(cat, "_dtype")
    cats = _attrs(dtype).get("_categories") if dtype is not None else None
    if cats is not None:
        yield f"categories ({len(cats)}, {_dtype_text(cats)})", cats


def _ndarray_backed_children(arr):
    return _named_fields(lambda k: _field(arr, k), [("_ndarray", _values_label)])


def _masked_children(arr):
    return _named_fields(_attrs(arr).get, [("_data", _values_label), ("_mask", "mask (bool)")])


def _arrow_ea_children(arr):
    data = _attrs(arr).get("_pa_array")
    if data is not None:
        try:
            what = f"{data.num_chunks} chunk{'s' if data.num_chunks != 1 else ''}, {data.type}"
        except Exception:  # noqa: BLE001
            what = type(data).__name__
        yield f"arrow data ({what})", data


# The column labels of a pandas 2-D block's values array, as the frame's children rule
# saw them (the array alone does not know them): {id(array): (weakref to it, labels)}.
_BLOCK_COLUMNS: dict = {}
_BLOCK_COLUMNS_MAX = 256


def _remember_columns(vals, labels):
    if len(_BLOCK_COLUMNS) >= _BLOCK_COLUMNS_MAX:
        for key, (ref, _) in list(_BLOCK_COLUMNS.items()):
            if ref() is None:
                del _BLOCK_COLUMNS[key]
        while len(_BLOCK_COLUMNS) >= _BLOCK_COLUMNS_MAX:
            del _BLOCK_COLUMNS[next(iter(_BLOCK_COLUMNS))]  # the oldest
    _BLOCK_COLUMNS[id(vals)] = (weakref.ref(vals), tuple(labels))


def _block_columns(a):
    """The column labels remembered for ``a`` (a pandas block's 2-D values), or None."""
    entry = _BLOCK_COLUMNS.get(id(a))
    return entry[1] if entry is not None and entry[0]() is a else None


def _ndarray_children(a):
    """A structured (record) array: one part per field — the field's bytes of the data
    buffer (when the array owns it) and, for object fields, its objects. A pandas
    block's 2-D numeric values (several columns stored together): one part per column
    (its row of the buffer), named as the frame's columns."""
    dt = a.dtype
    if not dt.names:
        labels = _block_columns(a) if a.ndim == 2 and not dt.hasobject else None
        if labels is not None and a.base is None and a.shape[0] == len(labels):
            row = a.shape[1] * dt.itemsize
            for label in labels:
                yield f"column {label} ({dt})", Part(row, [])
        return
    owns = a.base is None
    n = a.size
    for name in dt.names:
        fdt = dt.fields[name][0]
        kids = _object_elements(a[name]) if fdt.hasobject else []
        yield f"field {name!r} ({fdt})", Part(fdt.itemsize * n if owns else 0, kids)


def _lru_children(f):
    """An ``lru_cache`` wrapper: its cache (the dict it does not expose)."""
    dicts = [r for r in get_referents(f) if type(r) is dict]
    try:
        wdict = type(f).__dict__["__dict__"].__get__(f) if "__dict__" in type(f).__dict__ else None
    except Exception:  # noqa: BLE001
        wdict = None
    for d in dicts:
        if d is not wdict:
            yield f"cache ({len(d)} entries)", d


def _frame_label(df):
    blocks, axes = _blocks_axes(_attrs(df).get("_mgr"))
    rows, cols = (len(axes[1]), len(axes[0])) if len(axes) == 2 else ("?", "?")
    return f"DataFrame ({rows:,} rows x {cols:,} columns)"


def _series_label(ser):
    blocks, axes = _blocks_axes(_attrs(ser).get("_mgr"))
    vals = _field(blocks[0], "values") if blocks else None
    name = _attrs(ser).get("_name")
    named = "" if name is None else f" {safe_repr(name, 30)}"
    return f"Series{named} ({len(axes[0]) if axes else '?':,}, {_dtype_text(vals)})"


def _index_label(idx):
    a = _attrs(idx)
    rng = a.get("_range")
    if type(rng) is range:
        return f"{type(idx).__name__}({rng.start}, {rng.stop}, {rng.step})"
    data = a.get("_data")
    if data is None:
        codes = a.get("_codes")
        n = len(codes[0]) if codes else 0
        return f"{type(idx).__name__} ({n:,} entries, {len(codes or ())} levels)"
    return f"{type(idx).__name__} ({len(data):,}, {_dtype_text(data)})"


def _placement_label(bp):
    """A BlockPlacement by what it stores (its repr builds and keeps a slice or array)."""
    stored = [r for r in get_referents(bp) if type(r) is slice or type(r).__name__ == "ndarray"]
    return f"BlockPlacement({stored[0]!r})" if stored else "BlockPlacement"


def _pandas_label(obj):
    """Any other pandas object: its type (pandas' reprs fill caches and may be slow)."""
    name = type(obj).__name__
    return f"{name} ({len(obj)})" if isinstance(obj, (list, tuple)) else name


def _array_label(arr):
    return f"{type(arr).__name__} ({len(arr):,}, {_dtype_text(arr)})"


def _block_label(blk):
    vals = _field(blk, "values")
    return f"{type(blk).__name__} ({_dtype_text(vals)})"


for _name in ("pandas.DataFrame", "pandas.core.frame.DataFrame"):
    register(_name, children=_frame_children, label=_frame_label)
for _name in ("pandas.Series", "pandas.core.series.Series"):
    register(_name, children=_series_children, label=_series_label)
for _name in ("pandas.Index", "pandas.core.indexes.base.Index"):
    register(_name, children=_index_children, label=_index_label)
for _name in ("pandas.MultiIndex", "pandas.core.indexes.multi.MultiIndex"):
    register(_name, children=_multiindex_children)
for _name in ("pandas.Categorical", "pandas.core.arrays.categorical.Categorical"):
    register(_name, children=_categorical_children, label=_array_label)
for _name in ("pandas.arrays.ArrowExtensionArray", "pandas.core.arrays.arrow.array.ArrowExtensionArray"):
    register(_name, children=_arrow_ea_children, label=_array_label)
register("pandas.core.arrays._mixins.NDArrayBackedExtensionArray", children=_ndarray_backed_children,
         label=_array_label)
register("pandas.core.arrays.masked.BaseMaskedArray", children=_masked_children, label=_array_label)
register("pandas._libs.internals.Block", children=_block_children, label=_block_label)
def _manager_children(mgr):
    blocks, axes = _blocks_axes(mgr)
    if blocks:
        yield f"blocks ({len(blocks)})", blocks
    if axes:
        yield "axes", axes


register("pandas._libs.internals.BlockManager", children=_manager_children, label=lambda m: type(m).__name__)
register("pandas.core.base.PandasObject", label=_pandas_label)
register("pandas._libs.internals.BlockPlacement", label=_placement_label)
for _name in ("pandas.api.extensions.ExtensionDtype", "pandas.core.dtypes.base.ExtensionDtype"):
    register(_name, label=lambda d: f"{type(d).__name__} ({d})")
register("pandas.core.internals.managers.BaseBlockManager", label=lambda m: type(m).__name__)
register("functools._lru_cache_wrapper", children=_lru_children)


# -- reference paths in a user's terms ------------------------------------------------
_FRAME_TYPES = ("pandas.DataFrame", "pandas.core.frame.DataFrame")
_SERIES_TYPES = ("pandas.Series", "pandas.core.series.Series")
_INDEX_TYPES = ("pandas.Index", "pandas.core.indexes.base.Index")


def _is_a(obj, names) -> bool:
    try:
        mro = type.__dict__["__mro__"].__get__(type(obj))
    except Exception:  # noqa: BLE001
        return False
    return any(class_name(k) in names for k in mro)


def readable_steps(holder, steps) -> tuple[int, str] | None:
    """A pandas object's internal references named as its user names them.

    ``steps`` are the references that follow ``holder`` along a chain, as
    ``(kind, name)`` pairs (``("attr", "_mgr")``, ``("index", "1, 2")``; see
    ``_graphwalk.Hop``). If they walk into the storage of a DataFrame, Series or
    Index, returns ``(how many steps, text)``: ``df._mgr.blocks[1].values[0, 2]`` is
    ``['name'].iloc[2]``, ``ser._mgr.blocks[0].values[2]`` is ``.iloc[2]``,
    ``df._mgr.axes[1]`` is ``.index``, ``idx._data[3]`` is ``[3]``. None otherwise.
    The text is for reading, not a statement to run (pandas may copy on write).
    """
    names = [(k, n) for k, n in steps[:6]]
    if len(names) >= 6 and names[3] == ("attr", "values") and names[4] == ("attr", "_ndarray"):
        del names[4]  # an extension array over an object ndarray (StringArray): one more hop
        extra = 1
    else:
        extra = 0
    try:
        frame = _is_a(holder, _FRAME_TYPES)
        if frame or _is_a(holder, _SERIES_TYPES):
            if len(names) < 3 or names[0] != ("attr", "_mgr"):
                return None
            mgr = _attrs(holder).get("_mgr")
            blocks, axes = _blocks_axes(mgr)
            if names[1] == ("attr", "axes") and names[2][0] == "index":
                k = int(names[2][1])
                what = (("columns", "index") if frame else ("index",))[k]
                return 3, f".{what}"
            if (len(names) < 5 or names[1] != ("attr", "blocks") or names[2][0] != "index"
                    or names[3] != ("attr", "values") or names[4][0] != "index"):
                return None
            blk = blocks[int(names[2][1])]
            at = [int(x) for x in names[4][1].split(",")]
            if not frame:
                return (5 + extra, f".iloc[{at[0]}]") if len(at) == 1 else None
            pos = _block_positions(blk)
            j, i = (at if len(at) == 2 else (0, at[0]))
            label = _label(axes[0] if axes else None, int(pos[j]))
            return 5 + extra, f"[{safe_repr(label, 40)}].iloc[{i}]"
        if _is_a(holder, _INDEX_TYPES):
            if len(names) >= 2 and names[0] == ("attr", "_data") and names[1][0] == "index":
                return 2, f"[{names[1][1]}]"
    except Exception:  # noqa: BLE001 - a name only: the plain path is shown instead
        return None
    return None


# -- the heap walk's view of the rules ------------------------------------------------
# The heap walk (muppy.get_objects, summary, tracker, heap snapshots and retained sizes)
# follows ``gc.get_referents``, which sees nothing inside an object whose type does not
# traverse what it holds (a numpy object array holds its elements, a view its base). The
# ``refs=`` of the registered rules say what such an object holds: the walk follows them
# too, so that it reaches what asizeof reaches.

HAVE_GC = 1 << 14
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


def hidden_refs_possible() -> bool:
    """Whether any object can hold references ``gc.get_referents`` does not report: a
    registered rule has ``refs`` and the module defining its type is imported (no numpy
    imported: no numpy array exists).  Lets the graph walks skip the heap scan that
    finds such holders."""
    modules = sys.modules
    for name, rule in registered().items():
        if rule.refs is not None and name.split(".", 1)[0] in modules:
            return True
    return False


def _calibrate_alone() -> int:
    """The refcount ``map(sys.getrefcount, lst)`` reports for an object only ``lst`` holds."""
    lst = [float("0.5")]  # a fresh object
    return list(map(sys.getrefcount, lst))[0]


_ALONE_RC = _calibrate_alone()
_getrefcount = sys.getrefcount
_get_referents = get_referents


def hidden_referents(objs: list, refs, tp: type) -> list:
    """Per object of ``objs`` (all of type ``tp``, whose rule's refs is ``refs``), the
    list of objects it holds that ``gc.get_referents`` does not report.

    Objects the rule made (held by nothing else: not a reference ``obj`` holds) are
    left out, and so is everything of an object whose rule raises (a hostile or broken
    object is skipped, not crashed on).
    """
    gc_type = bool(_flags(tp) & HAVE_GC)
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
