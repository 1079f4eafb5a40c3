"""What CPython allocates for an object beyond ``sys.getsizeof`` — read, never changed.

Instances of ordinary classes keep their attributes outside the object proper:

* **3.11 / 3.12** — a separately allocated *values array* (``PyDictValues``) hangs off
  a pre-header slot of the object; ``sys.getsizeof`` does not count it. Its size is
  ``roundup(n + 2, 8) + 8 * n`` bytes where ``n`` is the usable size of the class's
  shared keys (an insertion-order prefix precedes the values).
* **3.13** — the values live *inline*, after ``tp_basicsize`` in the same allocation,
  and are again not counted by ``sys.getsizeof``: ``8 + 8 * cap + roundup(cap, 8)``
  bytes where ``cap`` is the first byte of the inline block.
* Once someone reads ``obj.__dict__`` a real dict object exists as well. On 3.13 that
  dict does *not* appear in ``gc.get_referents(obj)`` while the inline values stay
  valid, so it is found through the managed-dict pointer instead.

Reading ``obj.__dict__`` (or ``vars``/``dir``) would *create* that dict, so this module
reads the few words it needs with :mod:`ctypes` instead, only at addresses inside live
objects the caller holds, and never turns an address into an object except for the
attribute-name strings owned by a live class's shared keys. The layout is checked once
against a probe class; if anything does not match (another CPython version, a
free-threaded build) :data:`SUPPORTED` is false and callers fall back to
``sys.getsizeof`` plus ``gc.get_referents`` — sizes are then slightly low, never wrong
in kind, and still nothing is materialized.
"""

from __future__ import annotations

import ctypes
import sys
import sysconfig
from itertools import compress, repeat
from operator import and_, getitem, rshift, sub

try:  # counting without Counter(iterable)'s ABC isinstance check, whose cache grows
    from _collections import count_elements
except ImportError:  # pragma: no cover - other implementations

    def count_elements(mapping, iterable):
        for elem in iterable:
            mapping[elem] = mapping.get(elem, 0) + 1

__all__ = [
    "SUPPORTED",
    "GC_HEAD",
    "preheader_size",
    "managed_layout",
    "instances_hidden",
    "attribute_names",
    "split_dict_correction",
    "managed_rule",
]

_PTR = ctypes.sizeof(ctypes.c_void_p)
GC_HEAD = 2 * _PTR  # sizeof(PyGC_Head) on 3.8+

_TPFLAGS_INLINE_VALUES = 1 << 2  # 3.13
_TPFLAGS_MANAGED_WEAKREF = 1 << 3  # 3.12+
_TPFLAGS_MANAGED_DICT = 1 << 4  # 3.11+
_TPFLAGS_HAVE_GC = 1 << 14

_VER = sys.version_info[:2]
PRE_313 = _VER < (3, 13)
_FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))

read_ptr = ctypes.c_void_p.from_address
_read_u8 = ctypes.c_uint8.from_address
_read_ssize = ctypes.c_ssize_t.from_address

# offset of PyHeapTypeObject.ht_cached_keys, found by probing (see _probe)
_cached_keys_offset: int | None = None
SUPPORTED = False


# A type's slots read by the C getters of ``type``: a metaclass's ``__getattribute__``
# (which may raise or lie) is never run.
type_flags = type.__dict__["__flags__"].__get__
type_basicsize = type.__dict__["__basicsize__"].__get__
type_itemsize = type.__dict__["__itemsize__"].__get__
_type_mro = type.__dict__["__mro__"].__get__
_type_dict = type.__dict__["__dict__"].__get__


def type_lookup(tp: type, name: str):
    """``name`` looked up along ``tp``'s MRO in the classes' own dicts (what attribute
    lookup on the type finds, without running its metaclass's code); None if absent."""
    for klass in _type_mro(tp):
        found = _type_dict(klass).get(name)
        if found is not None:
            return found
    return None


def _roundup(n: int, m: int) -> int:
    return (n + m - 1) // m * m


def preheader_size(tp: type) -> int:
    """Bytes CPython allocates *before* an object of type ``tp`` (GC head, managed slots)."""
    flags = type_flags(tp)
    size = GC_HEAD if flags & _TPFLAGS_HAVE_GC else 0
    if _VER >= (3, 12):
        if flags & (_TPFLAGS_MANAGED_DICT | _TPFLAGS_MANAGED_WEAKREF):
            size += 2 * _PTR
    elif flags & _TPFLAGS_MANAGED_DICT:
        size += 2 * _PTR
    return size


def managed_layout(tp: type) -> bool:
    """True if instances of ``tp`` keep attributes in CPython's managed-dict layout."""
    return bool(type_flags(tp) & _TPFLAGS_MANAGED_DICT)


def _keys_ptr(tp: type) -> int:
    """Address of the class's shared keys object (``ht_cached_keys``), or 0."""
    if _cached_keys_offset is None or not (type_flags(tp) & (1 << 9)):  # HEAPTYPE
        return 0
    return read_ptr(id(tp) + _cached_keys_offset).value or 0


def _keys_usable(keys: int) -> tuple[int, int]:
    """(dk_usable + dk_nentries, dk_nentries) of a dict-keys object."""
    usable = _read_ssize(keys + 16).value
    nentries = _read_ssize(keys + 24).value
    return usable + nentries, nentries


def _values_alloc(n: int) -> int:
    """Size of a separately allocated values array with ``n`` slots."""
    if _VER >= (3, 13):
        return (n + 1) * _PTR + _roundup(n, _PTR)
    return _roundup(n + 2, _PTR) + n * _PTR


def _managed_dict_ptr(obj: object) -> int:
    return read_ptr(id(obj) - 3 * _PTR).value or 0


def _values_address(obj: object, tp: type) -> int:
    """Address of the first value slot of an instance, or 0 if it has none."""
    if _VER >= (3, 13):
        if not type_flags(tp) & _TPFLAGS_INLINE_VALUES:
            return 0
        base = id(obj) + type_basicsize(tp)
        if not _read_u8(base + 3).value:  # not valid: attributes live in the dict
            return 0
        return base + _PTR
    if _VER == (3, 12):
        dorv = _managed_dict_ptr(obj)
        return dorv + 1 if dorv & 1 else 0
    return read_ptr(id(obj) - 4 * _PTR).value or 0


def has_values(obj: object, tp: type, type_ok: bool | None = None) -> bool:
    """Whether the instance's attributes are in a values array whose names the class's
    shared keys give (what :func:`attribute_names` reads). ``type_ok`` is the part that
    depends on the type only (``has_values(None, tp)`` computes it), when known."""
    if type_ok is None:
        type_ok = bool(SUPPORTED and managed_layout(tp) and _keys_ptr(tp))
    if obj is None or not type_ok:
        return type_ok
    return bool(_values_address(obj, tp))


def attribute_names(obj: object, tp: type, cache: dict | None = None) -> list[tuple[str, int]] | None:
    """``[(name, address_of_value), ...]`` of an instance's inline/managed attributes.

    ``None`` when the attributes are not in a values array (no managed layout, the
    dict was materialized and owns them, or the layout is unsupported). The caller
    matches the addresses against ``id()`` of ``gc.get_referents(obj)``.
    """
    if not SUPPORTED or not managed_layout(tp):
        return None
    values = _values_address(obj, tp)
    keys = _keys_ptr(tp)
    if not values or not keys:
        return None
    _, nentries = _keys_usable(keys)
    # shared keys only ever grow: their names can be cached by (keys, count) for a call
    names = cache.get((keys, nentries)) if cache is not None else None
    if names is None:
        log2_index_bytes = _read_u8(keys + 9).value
        entries = keys + 32 + (1 << log2_index_bytes)
        names = []
        for i in range(nentries):
            kptr = read_ptr(entries + i * 2 * _PTR).value
            name = ctypes.cast(kptr, ctypes.py_object).value if kptr else None
            names.append(name if type(name) is str or name is None else repr(name))
        if cache is not None:
            cache[(keys, nentries)] = names
    out = []
    for i, name in enumerate(names):
        if name is None:
            continue
        vptr = read_ptr(values + i * _PTR).value
        if vptr:
            out.append((name, vptr))
    return out


_read_u64 = ctypes.c_uint64.from_address
DICT_SIZE = dict.__basicsize__ + GC_HEAD


def instances_hidden(group: list, tp: type, state: tuple | None = None) -> tuple[int, list]:
    """Hidden bytes of same-type managed-dict instances, and addresses of hidden dicts.

    The sum of :func:`instances_hidden_each`.
    """
    each, hidden = instances_hidden_each(group, tp, state)
    return sum(each), hidden


# --- reading one field of many objects ----------------------------------------------
#
# Large groups are read through a memoryview over the address space instead of one
# ctypes object per field.  Only addresses of fields of live objects are ever read.

_VIEW_BASE = 1 << 12
_VIEW_END = 1 << 48  # user-space addresses of 64-bit Linux, macOS and Windows
_BULK = 16  # from this many addresses on, the memoryview pays off


# the array types are made once, here: made on first use, ctypes would keep them in its
# cache, and sizing would leave a few hundred bytes behind
try:
    _VIEW_TYPES = {"Q": ctypes.c_uint64 * ((_VIEW_END - _VIEW_BASE) // 8),
                   "B": ctypes.c_uint8 * (_VIEW_END - _VIEW_BASE)}
except (OverflowError, ValueError):  # pragma: no cover - 32-bit: one ctypes read per field
    _VIEW_TYPES = {}


def _view(fmt: str):
    """A ``memoryview`` of ``fmt`` items over the addresses ``_VIEW_BASE`` to
    ``_VIEW_END`` (an address beyond raises IndexError: the caller falls back)."""
    return memoryview(_VIEW_TYPES[fmt].from_address(_VIEW_BASE)).cast("B").cast(fmt)


def read_words(addrs, offset: int) -> list:
    """The pointer-sized unsigned words at ``addr + offset`` for each of ``addrs`` (an
    8-aligned field of a live object)."""
    addrs = addrs if type(addrs) is list else list(addrs)
    if _PTR == 8 and len(addrs) >= _BULK:
        try:
            view = _view("Q")
            try:
                rows = map(sub, map(rshift, addrs, repeat(3)), repeat((_VIEW_BASE - offset) >> 3))
                return list(map(getitem, repeat(view), rows))
            finally:
                view.release()
        except Exception:  # noqa: BLE001 - no such view here: one ctypes read per field
            pass
    return [read_ptr(a + offset).value or 0 for a in addrs]


def read_bytes(addrs, offset: int) -> list:
    """The unsigned bytes at ``addr + offset`` for each of ``addrs``."""
    addrs = addrs if type(addrs) is list else list(addrs)
    if len(addrs) >= _BULK:
        try:
            view = _view("B")
            try:
                return list(map(getitem, repeat(view), map(sub, addrs, repeat(_VIEW_BASE - offset))))
            finally:
                view.release()
        except Exception:  # noqa: BLE001
            pass
    return [_read_u8(a + offset).value for a in addrs]


def instances_hidden_each(group: list, tp: type, state: tuple | None = None) -> tuple[list[int], list]:
    """Per instance, the hidden bytes of same-type managed-dict instances (a list
    parallel to ``group``), and the addresses of hidden dicts.

    ``state`` is :func:`values_state` of ``tp`` when the caller has it cached (3.11/3.12).
    The fields of all instances are read at once: on 3.11/3.12 the values pointer and
    the prefix byte before the array; on 3.13 the inline capacity, and the managed-dict
    pointer that ``gc.get_referents`` does not report while the inline values are valid.
    """
    n = len(group)
    if not SUPPORTED:
        return [0] * n, []
    ids = list(map(id, group))
    if _VER >= (3, 13):
        if not type_flags(tp) & _TPFLAGS_INLINE_VALUES:
            return [0] * n, []
        hdrs = read_words(ids, type_basicsize(tp))
        table = {}
        valid = set()
        for h in set(hdrs):
            cap = h & 0xFF
            table[h] = _PTR + cap * _PTR + _roundup(cap, _PTR)
            if (h >> 24) & 0xFF:
                valid.add(h)
        each = list(map(table.__getitem__, hdrs))
        hidden = []
        if valid:  # values valid: a materialized dict is not reported by the collector
            if len(valid) == len(table):
                pos = range(n)
                dptrs = read_words(ids, -3 * _PTR)
            else:
                pos = list(compress(range(n), map(valid.__contains__, hdrs)))
                dptrs = read_words(map(ids.__getitem__, pos), -3 * _PTR)
            for i, dptr in zip(compress(pos, dptrs), filter(None, dptrs)):
                each[i] += DICT_SIZE
                hidden.append(dptr)
        return each, hidden
    if state is None:
        state = values_state(tp)
    if state is None:
        return [0] * n, []
    # 3.11/3.12 shrink the shared keys' dk_usable by one for every new instance (down to
    # 1), so an instance's values array has the size the keys had when it was created.
    # The byte before the array holds its prefix size, roundup(n + 2, 8): that matches
    # the current n for all but a class's first ~28 instances; for those the middle of
    # the prefix's 8-slot bucket is used (error <= 4 slots).
    ncur, pcur = state
    if _VER == (3, 12):  # tagged: values pointer - 1, or a dict
        dorv = read_words(ids, -3 * _PTR)
        has = list(map(and_, dorv, repeat(1)))
        prefixes = read_bytes(compress(dorv, has) if not all(has) else dorv, 0)
    else:
        vals = has = read_words(ids, -4 * _PTR)
        prefixes = read_bytes(compress(vals, vals) if 0 in vals else vals, -1)
    table = {p: p + (ncur if p == pcur else max(1, p - 6)) * _PTR for p in set(prefixes)}
    sizes = list(map(table.__getitem__, prefixes))
    if len(sizes) == n:
        return sizes, []
    each = [0] * n
    for i, size in zip(compress(range(n), has), sizes):
        each[i] = size
    return each, []


def managed_rule(tp: type) -> tuple:
    """How the C loop of summaries (``_speedups.type_stats``) adds
    :func:`instances_hidden_each`'s bytes to each instance of ``tp`` (a managed-dict type,
    :data:`SUPPORTED` layout): ``(3, basicsize, DICT_SIZE)`` the inline values of 3.13,
    ``(4, *values_state(tp))`` the values array of 3.11/3.12, ``()`` nothing hidden."""
    if _VER >= (3, 13):
        if not type_flags(tp) & _TPFLAGS_INLINE_VALUES:
            return ()
        return (3, type_basicsize(tp), DICT_SIZE)
    state = values_state(tp)
    return () if state is None else (4, *state)


def values_state(tp: type) -> tuple[int, int] | None:
    """3.11/3.12: (current values-array slots, its prefix size) for instances of ``tp``."""
    keys = _keys_ptr(tp)
    if not keys:
        return None
    n = _keys_usable(keys)[0]
    return n, _roundup(n + 2, _PTR)


def split_dict_correction(d: dict) -> int | None:
    """``None`` for a combined-table dict; for a split-table dict (an instance's
    materialized ``__dict__``) the bytes to add to ``sys.getsizeof(d)``.

    ``dict.__sizeof__`` counts a split table's values as ``8 * usable`` bytes; the real
    allocation also has an insertion-order prefix (3.11/3.12) or header and suffix
    (3.13), and on 3.13 values embedded in the instance belong to it (negative). The
    keys of a split table are the class's shared keys: not the dict's own.
    """
    if not SUPPORTED:
        return None
    values = read_ptr(id(d) + 5 * _PTR).value  # PyDictObject.ma_values
    if not values:
        return None
    keys = read_ptr(id(d) + 4 * _PTR).value
    if not keys:
        return None
    usable = _keys_usable(keys)[0]
    if _VER >= (3, 13) and _read_u8(values + 2).value:  # embedded in an instance
        return -usable * _PTR
    return _values_alloc(usable) - usable * _PTR


def _probe() -> bool:
    """Find ``ht_cached_keys`` and check the layout on a probe class."""
    global _cached_keys_offset
    if _FREE_THREADED or not ((3, 11) <= _VER <= (3, 13)) or _PTR != 8:
        return False

    def make():
        class _PymplerNbProbe:
            def __init__(self):
                self.alpha = 1001
                self.beta = "beta-value"

        return _PymplerNbProbe

    cls = make()
    name_id, qual_id = id(cls.__name__), id(cls.__qualname__)
    raw = ctypes.string_at(id(cls), type.__basicsize__)
    words = [int.from_bytes(raw[i : i + 8], sys.byteorder) for i in range(0, len(raw) - 7, 8)]
    offset = None
    for i in range(len(words) - 3):
        if words[i] == name_id and words[i + 2] == qual_id:
            offset = (i + 3) * 8
            break
    if offset is None:
        return False
    _cached_keys_offset = offset
    keys = _keys_ptr(cls)
    if not keys or _read_u8(keys + 10).value != 2:  # DICT_KEYS_SPLIT
        _cached_keys_offset = None
        return False
    probe = cls()
    global SUPPORTED
    SUPPORTED = True
    try:
        names = attribute_names(probe, cls)
        refs = {id(r) for r in __import__("gc").get_referents(probe)}
        ok = (
            names is not None
            and [n for n, _ in names] == ["alpha", "beta"]
            and all(addr in refs for _, addr in names)
        )
    except Exception:  # noqa: BLE001 - any surprise means: unsupported layout
        ok = False
    if not ok:
        SUPPORTED = False
        _cached_keys_offset = None
    return ok


SUPPORTED = _probe()
