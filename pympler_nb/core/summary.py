"""Type tables of object lists (drop-in for ``pympler.summary``).

A *summary* is a list of rows ``[type_repr, count, total_size]``: how many objects
of each kind a list holds and their summed own size (:func:`flatsize.own_sizes`, the
one own size of every view: ``sys.getsizeof`` plus an instance's values array or inline
values, a split dict's table, a one-digit int's 32-byte block; Pympler sums
``sys.getsizeof``, see the README's "Differences from Pympler").  Rows come in no
particular order; :func:`format_` / :func:`print_` sort them.

The kind of an object is its type written as Pympler writes it (``'str'``,
``'dict'``, ``'__main__.Foo'`` for ``<class '__main__.Foo'>``), except for types
listed in :data:`representations`, whose first (verbosity 1) function describes
each object: ``'function (name)'``, ``'module(name)'``,
``'frame (codename: name)'``.  Add your own::

    summary.representations[MyType] = [lambda o: "MyType (%s)" % o.kind]

Summaries hold only strings and integers, never the objects themselves, so they
keep nothing alive.

>>> from pympler_nb.core import summary
>>> rows = summary.summarize([1.5, 2.5, [], [], [], {}])
>>> sorted((r[0], r[1]) for r in rows)
[('dict', 1), ('float', 2), ('list', 3)]
>>> for line in summary.format_(rows, sort="#"):
...     print(line)
  types |   # objects |   total size
======= | =========== | ============
   list |           3 |    168     B
  float |           2 |     48     B
   dict |           1 |     64     B
"""

from __future__ import annotations

import gc
import re
import types
from collections.abc import Callable, Iterable, Iterator
from itertools import compress, repeat
from operator import attrgetter, is_, itemgetter, not_
from sys import getsizeof as _getsizeof
from typing import Any

from ._accel import speedups
from ._format import pp
from ._layout import count_elements
from .flatsize import (DIRECT_SIZEOF, beyond_getsizeof, c_sizeof, fixed_size, flat_sizes, own_rule, own_sizes,
                       python_sizeof, safe_size)
from .values import check_int
from .objwalk import (
    HeapList,
    byte_table,
    flag_mask,
    frequent_types,
    hashable_types,
    is_iterable,
    real_type,
    select_flagged,
    type_numbers,
)

__all__ = [
    "representations",
    "summarize",
    "get_diff",
    "format_",
    "print_",
    "sweep",
    "type_repr",
]

SORT_KEYS = ("type", "#", "size")
ORDERS = ("ascending", "descending")

# Pympler's clean-up of ``str(type)``: drop ' at 0x...' and unwrap "<class 'x'>".
_ADDRESS = re.compile(r" at 0x[0-9a-f]+")
_CLASS_WRAPPER = re.compile(r"<(?:type|class) '(\S+)'>\Z")


def _clean(text: str) -> str:
    # match + group rather than sub(r"\1"): a template replacement fills re's
    # template cache on first use, which would show up in the first tracker diff.
    if " at 0x" in text:
        text = _ADDRESS.sub("", text)
    if text[:1] != "<":  # (most keys: "function (name)", "module(name)")
        return text
    match = _CLASS_WRAPPER.match(text)
    return match.group(1) if match is not None else text


# --------------------------------------------------------------------------
# representations (verbosity levels; level 1 is what summaries use)
# --------------------------------------------------------------------------

def _frame_name(f: types.FrameType) -> str:
    return "frame (codename: %s)" % f.f_code.co_name


def _frame_line(f: types.FrameType) -> str:
    return "frame (codename: %s, codeline: %s)" % (f.f_code.co_name, f.f_code.co_firstlineno)


def _frame_file(f: types.FrameType) -> str:
    code = f.f_code
    return "frame (codename: %s, filename: %s, codeline: %s)" % (
        code.co_name, code.co_filename, code.co_firstlineno)


def _by_type(o: object) -> str:
    """Level 1 of dict/list/set: the type alone (rows must stay comparable)."""
    return str(type(o))


def _dict_len(d: dict) -> str:
    return "dict, len=%s" % len(d)


def _list_len(lst: list) -> str:
    return "list, len=%s" % len(lst)


def _set_len(s: set) -> str:
    return "set, len=%s" % len(s)


def _function_name(f: types.FunctionType) -> str:
    return "function (%s)" % f.__name__


def _function_qualified(f: types.FunctionType) -> str:
    return "function (%s.%s)" % (f.__module__, f.__name__)


def _module_name(m: types.ModuleType) -> str:
    name = getattr(m, "__name__", None)
    if name is None:
        name = getattr(m, "__file__", None)
    if name is None:
        name = "nameless, id: %d" % id(m)
    return "module(%s)" % name


representations: dict[type, list[Callable[[Any], str]]] = {
    types.FrameType: [_frame_name, _frame_line, _frame_file],
    dict: [_by_type, _dict_len],
    types.FunctionType: [_function_name, _function_qualified],
    list: [_by_type, _list_len],
    types.ModuleType: [_module_name],
    set: [_by_type, _set_len],
}
"""Per-type descriptions: ``{type: [verbosity 1 function, verbosity 2, ...]}``.

Summaries use verbosity 1, so its function must not depend on state that
changes (a row key must stay the same for the same object).  Keyed by exact type
(subclasses are not looked up).  Edit it to describe your own types.
"""

# Level-1 functions that depend on the type only: computed once per type.
_PER_TYPE = (_by_type,)


def _names(objs: Iterable) -> list:
    return list(map("function (%s)".__mod__, map(attrgetter("__name__"), objs)))


def _frame_names(objs: Iterable) -> list:
    return list(map("frame (codename: %s)".__mod__, map(attrgetter("f_code.co_name"), objs)))


# Bulk versions of the default level-1 functions (same output, no Python call per object).
_BULK: dict[Callable, Callable[[Iterable], list]] = {
    _function_name: _names,
    _frame_name: _frame_names,
}


def _representation_fn(t: type) -> Callable[[Any], str] | None:
    """The verbosity-1 function for objects of type ``t``, or None for the type text."""
    try:
        reps = representations.get(t)
    except Exception:  # noqa: BLE001 - an unhashable class (or __hash__ raises) cannot be a key of representations
        return None
    if not reps:
        return None
    fn = reps[0]
    if fn in _PER_TYPE:
        return None
    return fn


def type_text(t: type) -> str:
    """``str(t)`` cleaned the Pympler way (``"<class 'a.B'>"`` -> ``'a.B'``)."""
    t = real_type(t)
    try:
        text = str(t)
    except Exception:  # noqa: BLE001 - a metaclass __repr__ may fail
        text = type.__repr__(t)
    if not isinstance(text, str):
        text = type.__repr__(t)
    return _clean(text)


def type_repr(obj: object, verbosity: int = 1) -> str:
    """How summaries name ``obj``'s kind (Pympler's ``summary._repr``).

    ``verbosity=0`` is the plain type text; higher levels use
    :data:`representations` (capped at the last level defined for the type).

    >>> type_repr({}), type_repr(type_repr), type_repr(1.5, verbosity=0)
    ('dict', 'function (type_repr)', 'float')
    >>> type_repr({1: 2}, verbosity=2)
    'dict, len=1'
    """
    check_int(verbosity, "verbosity")
    t = type(obj)
    try:
        reps = representations.get(t)
    except Exception:  # noqa: BLE001 - an unhashable class (or __hash__ raises)
        reps = None
    if verbosity == 0 or not reps:
        return type_text(t)
    fn = reps[min(verbosity, len(reps)) - 1]
    return _clean(_call(fn, obj))


_second, _third = itemgetter(1), itemgetter(2)


def _call(fn: Callable[[Any], Any], obj: object) -> str:
    """``str(fn(obj))``; the type text if ``fn`` fails for this object."""
    try:
        text = fn(obj)
    except Exception:  # noqa: BLE001 - one odd object must not stop a heap summary
        return type_text(type(obj))
    return text if isinstance(text, str) else str(text)


def _object_keys(fn: Callable[[Any], Any], objs: list) -> list[str]:
    """Row keys of ``objs`` (all of one type) under representation ``fn``."""
    bulk = _BULK.get(fn)
    keys: list
    try:
        keys = bulk(objs) if bulk is not None else list(map(fn, objs))
        uniq = set(keys)
    except Exception:  # noqa: BLE001
        keys = [_call(fn, o) for o in objs]
        uniq = set(keys)
    clean = {k: _clean(k if isinstance(k, str) else str(k)) for k in uniq}
    return list(map(clean.__getitem__, keys))


def _add(table: dict[str, list[int]], key: str, count: int, size: int) -> None:
    acc = table.get(key)
    if acc is None:
        table[key] = [count, size]
    else:
        acc[0] += count
        acc[1] += size


def _total_size(t: type, objs: list) -> int:
    """Summed ``sys.getsizeof`` of ``objs``, all of exact type ``t`` (a type whose own
    size is ``sys.getsizeof``: not one :func:`flatsize.beyond_getsizeof` names)."""
    if t in DIRECT_SIZEOF:
        sizeof = t.__sizeof__
        first = objs[0]
        header = _getsizeof(first) - sizeof(first)
        return sum(map(sizeof, objs)) + header * len(objs)
    return sum(_flat_sizes(objs, [t] * len(objs))[2])


def _flat_sizes(objects: list, tys: list) -> tuple[list, list, list]:
    """``(objects, tys, sizes)``: ``sys.getsizeof`` of each object, except that types
    with a ``__sizeof__`` written in Python are sized by :func:`flatsize.python_sizeof` (those
    objects move to the end; the three lists stay parallel)."""
    distinct = dict(zip(map(id, tys), tys))
    python = {}
    for key, t in distinct.items():
        fn = python_sizeof(t)
        if fn is not None:
            python[key] = fn
    del distinct
    if not python:
        return objects, tys, flat_sizes(objects)
    mask = list(map(python.__contains__, map(id, tys)))
    keep = list(map(not_, mask))
    bad_objs = list(compress(objects, mask))
    bad_tys = list(compress(tys, mask))
    objects = list(compress(objects, keep))
    tys = list(compress(tys, keep))
    del mask, keep
    sizes = flat_sizes(objects)
    sizes.extend(python[id(t)](o) for o, t in zip(bad_objs, bad_tys))
    objects.extend(bad_objs)
    tys.extend(bad_tys)
    return objects, tys, sizes


def _own_sizes(objects: list, tys: list, sizes: list) -> None:
    """Make ``sizes`` (``sys.getsizeof``) the objects' own sizes, in place: the types
    :func:`flatsize.beyond_getsizeof` names are sized by :func:`flatsize.own_sizes`."""
    distinct = dict(zip(map(id, tys), tys))
    need = {key: real_type(t) for key, t in distinct.items() if beyond_getsizeof(real_type(t))}
    if not need:
        return
    ids = list(map(id, tys))
    positions: dict[int, list[int]] = {key: [] for key in need}
    for i in compress(range(len(ids)), map(need.__contains__, ids)):
        positions[ids[i]].append(i)
    for key, at in positions.items():
        for i, size in zip(at, own_sizes(need[key], list(map(objects.__getitem__, at)))):
            sizes[i] = size


def _add_keyed(table: dict[str, list[int]], fn: Callable, objs: list,
               sizes: list | None, fixed: int | None = None) -> None:
    """Add objects whose row key comes from representation ``fn`` (one per object)."""
    keys = _object_keys(fn, objs)
    if fixed is not None:
        counts: dict[str, int] = {}
        count_elements(counts, keys)
        for key, n in counts.items():
            _add(table, key, n, n * fixed)
        return
    if sizes is None:
        sizes = flat_sizes(objs)
    pairs: dict[tuple[str, int], int] = {}
    count_elements(pairs, zip(keys, sizes))
    for (key, size), n in pairs.items():
        _add(table, key, n, size * n)


def tabulate(objects: list, tys: list | None = None,
              table: dict[str, list[int]] | None = None, codes: bytearray | None = None,
              frequent: list | tuple = (), consume: bool = False) -> dict[str, list[int]]:
    """``{row key: [count, total size]}`` of ``objects``, computed in bulk.

    ``tys`` may give ``list(map(type, objects))`` if it is known, ``codes`` and
    ``frequent`` the walk's numbering of the frequent types (see ``objwalk.WalkPart``);
    ``table`` is a table to add to.  The most frequent types (found on a sample)
    are handled one at a time: a fixed-size type costs a count of its byte, a
    builtin one a direct ``__sizeof__`` call per object; the rest goes through one
    ``sys.getsizeof`` and one count of a ``(type, size)`` pair per object.  Row
    keys are computed once per type, except for types whose representation
    describes each object.  ``consume=True`` (a private listing, e.g. a tracker's): the
    C loop replaces each object of ``objects`` by None once it is counted, releasing it
    while it is in the cache (the pure path leaves the list as it is).
    """
    if table is None:
        table = {}
    sp = speedups()
    if sp is not None:  # the C loop: one pass, a Python call per type
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            _tabulate_accelerated(sp, objects if isinstance(objects, list) else list(objects), table,
                                  consume)
        finally:
            if was_enabled:
                gc.enable()
        return table
    if tys is None:
        tys = list(map(type, objects))
    was_enabled = gc.isenabled()
    gc.disable()  # the temporary lists and tuples must not trigger full collections
    try:
        try:
            part = _tabulate_bulk(objects, tys, {}, codes, frequent)
        except Exception:  # noqa: BLE001
            # a class whose metaclass defines __eq__ without __hash__ (or a __hash__
            # or __eq__ that raises) cannot be a dict key: retry with hashable
            # stand-ins for such types
            part = _tabulate_bulk(objects, hashable_types(tys), {})
        for key, (n, size) in part.items():
            _add(table, key, n, size)
        del part
    finally:
        if was_enabled:
            gc.enable()
    return table


_SIZE_FIXED, _SIZE_DIRECT, _SIZE_CALL = 0, 1, 2
_MethodDescriptorType = types.MethodDescriptorType


def size_plan(t: type, first: object) -> tuple:
    """How the C loop sizes the objects of exact type ``t`` (``first`` one of them) so
    that each gets what the pure path gives it (``sys.getsizeof``, or
    :func:`flatsize.python_sizeof`'s replacement for a ``__sizeof__`` written in Python):
    ``(0, size)`` a fixed size; ``(1, desc, header)`` the type's C ``__sizeof__``
    called directly, plus ``header``; ``(2, fn)`` a call ``fn(obj)`` per object.

    >>> size_plan(float, 1.5) == (0, _getsizeof(1.5))
    True
    >>> size_plan(str, "a")[:2] == (1, str.__sizeof__)
    True
    """
    try:
        return _size_plan(t, first)
    except Exception:  # noqa: BLE001 - an exotic type: sized object by object, as the pure path
        return (_SIZE_CALL, safe_size)


def _size_plan(t: type, first: object) -> tuple:
    fn = python_sizeof(t)
    if fn is not None:
        return (_SIZE_CALL, fn)
    if issubclass(t, type):  # (a type's GC header depends on the object: heap or static type)
        return (_SIZE_CALL, safe_size)
    if fixed_size(t):
        return (_SIZE_FIXED, safe_size(first))
    desc = c_sizeof(t)
    if type(desc) is _MethodDescriptorType:
        try:
            own = desc(first)
            header = _getsizeof(first) - own
        except Exception:  # noqa: BLE001 - a failing __sizeof__: sized per object by safe_size
            return (_SIZE_CALL, safe_size)
        if type(own) is int and type(header) is int and 0 <= own and 0 <= header < 4096:
            return (_SIZE_DIRECT, desc, header)
    return (_SIZE_CALL, safe_size)


def _plan_with_rules(sized_later: dict) -> Callable[[type, object], tuple]:
    """The ``plan`` of ``type_stats``: :func:`size_plan` plus the type's own-size rule
    (:func:`flatsize.own_rule`), so that the C loop counts own sizes as the pure path does
    (:func:`flatsize.own_sizes`). A type whose own size needs the sizer (Python code: a
    class, a size rule) is counted with size 0 and recorded in ``sized_later``
    (``id(type) -> type``), to be sized afterwards by :func:`flatsize.own_sizes`. The
    plan's fifth item asks ``type_stats`` for the objects of such types and of the types
    whose rows are keyed object by object (:data:`representations`)."""

    def plan(t: type, first: object) -> tuple:
        rule = own_rule(real_type(t))  # (() for the types beyond_getsizeof does not name)
        if rule is None:
            sized_later[id(t)] = t
            return (_SIZE_FIXED, 0, None, None, True)
        how = size_plan(t, first)
        keyed = _representation_fn(t) is not None
        if rule or keyed:
            return (*how, *(None,) * (3 - len(how)), rule or None, keyed)
        return how

    return plan


def _tabulate_accelerated(sp, objects: list, table: dict[str, list[int]],
                          consume: bool = False) -> None:
    """:func:`tabulate` with the C loop ``type_stats`` (same table as the pure path): one
    pass, which also hands back the objects of the types sized or keyed in Python."""
    special = []  # (type, its objects)
    sized_later: dict = {}
    for t, n, size, objs_t in sp.type_stats(objects, _plan_with_rules(sized_later), safe_size,
                                            True, consume):
        if objs_t is None:
            _add(table, type_text(t), n, size)
        else:
            special.append((t, objs_t))
    for t, objs_t in special:
        fn = _representation_fn(t)
        real = real_type(t)
        if beyond_getsizeof(real):
            sizes_t = own_sizes(real, objs_t)
        elif fn is not None and fixed_size(real):  # (functions, modules: one size, one key each)
            _add_keyed(table, fn, objs_t, None, fixed=safe_size(objs_t[0]))
            continue
        else:
            objs_t, _, sizes_t = _flat_sizes(objs_t, [t] * len(objs_t))
        if fn is None:
            _add(table, type_text(t), len(objs_t), sum(sizes_t))
        else:
            _add_keyed(table, fn, objs_t, sizes_t)
    del special


def _tabulate_bulk(objects: list, tys: list, table: dict[str, list[int]],
                   codes: bytearray | None = None,
                   frequent: list | tuple = ()) -> dict[str, list[int]]:
    if codes is None or len(codes) != len(objects):
        # a byte per object: the frequent type's number (1, 2, ...) or 0; counts,
        # first positions and selection masks of each type then come from bytes methods
        frequent = frequent_types(tys)
        codes = flag_mask(map(type_numbers(frequent).get, tys, repeat(0))) if frequent else None
    if frequent:
        rest = codes.translate(_ONE_HOT[0])
        rest_tys = list(compress(tys, rest))
        rest_objs = select_flagged(objects, rest, len(rest_tys))
        del rest
        for i, t in enumerate(frequent, 1):
            _tabulate_type(table, t, objects, codes, i)
        objects, tys = rest_objs, rest_tys
    _tabulate_rest(objects, tys, table)
    return table


# bytes.translate tables: entry i maps byte i to 1 and every other byte to 0
_ONE_HOT = [byte_table(i.__eq__) for i in range(256)]


def _tabulate_type(table: dict[str, list[int]], t: type, objects: list,
                   codes: bytearray, code: int) -> None:
    """Add the objects of exact type ``t`` (a frequent one; ``code`` in ``codes``).

    A fixed-size type costs a count of its code; a builtin one a direct
    ``__sizeof__`` call per object, streamed (no list of them is made).
    """
    count = codes.count(code)
    if not count:
        return
    fn = _representation_fn(t)
    first = objects[codes.index(code)]
    real = real_type(t)
    if beyond_getsizeof(real):  # own sizes (flatsize.own_sizes): instance values, ...
        objs_t = list(compress(objects, codes.translate(_ONE_HOT[code])))
        sizes = own_sizes(real, objs_t)
        if fn is None:
            _add(table, type_text(t), len(objs_t), sum(sizes))
        else:
            _add_keyed(table, fn, objs_t, sizes)
        return
    if fn is None and fixed_size(real):
        _add(table, type_text(t), count, count * safe_size(first))
        return
    mask = codes.translate(_ONE_HOT[code])
    if fn is None and t in DIRECT_SIZEOF:
        sizeof = t.__sizeof__
        header = _getsizeof(first) - sizeof(first)
        total = sum(map(sizeof, compress(objects, mask)))
        _add(table, type_text(t), count, total + header * count)
        return
    objs_t = list(compress(objects, mask))
    del mask
    if fn is None:
        _add(table, type_text(t), len(objs_t), _total_size(t, objs_t))
    elif fixed_size(real_type(t)):
        _add_keyed(table, fn, objs_t, None, fixed=safe_size(first))
    else:
        _add_keyed(table, fn, objs_t, None)


def _tabulate_rest(objects: list, tys: list, table: dict[str, list[int]]) -> None:
    """The general case of :func:`tabulate`: one ``(type, size)`` count per object."""
    objects, tys, sizes = _flat_sizes(objects, tys)
    _own_sizes(objects, tys, sizes)
    per_type: dict[type, list[int]] = {}
    pairs: dict[tuple[type, int], int] = {}
    count_elements(pairs, zip(tys, sizes))
    for (t, size), n in pairs.items():
        acc = per_type.get(t)
        if acc is None:
            per_type[t] = [n, size * n]
        else:
            acc[0] += n
            acc[1] += size * n
    del pairs
    special: dict[type, Callable] = {}
    for t, (n, total) in per_type.items():
        fn = _representation_fn(t)
        if fn is None:
            _add(table, type_text(t), n, total)
        else:
            special[t] = fn
    del per_type
    if special:
        mask = list(map(special.__contains__, tys))
        sub_objs = list(compress(objects, mask))
        sub_types = list(compress(tys, mask))
        sub_sizes = list(compress(sizes, mask))
        del mask
        for t, fn in special.items():
            if len(special) == 1:
                objs_t, sizes_t = sub_objs, sub_sizes
            else:
                m = list(map(is_, sub_types, repeat(t)))
                objs_t = list(compress(sub_objs, m))
                sizes_t = list(compress(sub_sizes, m))
            _add_keyed(table, fn, objs_t, sizes_t)
            del objs_t, sizes_t
        del sub_objs, sub_types, sub_sizes


def row_key_function() -> Callable[[object], str]:
    """A ``obj -> row key`` function that caches the type text per type (one call)."""
    cache: dict[type, str | None] = {}

    def key(obj: object) -> str:
        t = type(obj)
        try:
            text = cache.get(t, 0)
        except Exception:  # noqa: BLE001 - an unhashable class (or __hash__ raises)
            return type_text(t)
        if text == 0:
            text = None if _representation_fn(t) is not None else type_text(t)
            cache[t] = text
        if text is None:
            return _object_keys(_representation_fn(t), [obj])[0]
        return text

    return key


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------

def summarize(objects: Iterable) -> list[list]:
    """Summarize a list of objects: ``[[type_repr, count, total_size], ...]``.

    Parameters
    ----------
    objects : iterable
        Typically ``muppy.get_objects()``.

    Returns
    -------
    list of [str, int, int]
        One row per kind of object, in no particular order.

    >>> summarize([1.0, 2.0])
    [['float', 2, 48]]
    """
    if isinstance(objects, (str, bytes, dict)) or not is_iterable(objects):
        raise TypeError("objects must be a list of objects (e.g. muppy.get_objects()), got %s"
                        % type(objects).__name__)
    was_enabled = gc.isenabled()
    gc.disable()  # (a young collection would traverse the big temporary lists)
    try:
        # straight from get_objects(): the pure path reuses what the walk knows (the C
        # loop needs nothing of it: the listing itself is summarized in one pass)
        accelerated = speedups() is not None
        parts = objects.parts() if type(objects) is HeapList and not accelerated else None
        if parts is not None:
            table = {}
            for part in parts:
                tabulate(part.objects, part.types, table, part.codes, part.frequent)
            del parts, part
        else:
            objs = objects if isinstance(objects, list) else list(objects)
            table = tabulate(objs)
            del objs
        return [[key, n, size] for key, (n, size) in table.items()]
    finally:
        if was_enabled:
            gc.enable()


def _row_ok(row: object) -> bool:
    return (isinstance(row, (list, tuple)) and len(row) >= 3
            and isinstance(row[1], int) and isinstance(row[2], int))


def _all_subclasses(tys: set, base: type | tuple) -> bool:
    return all(issubclass(t, base) for t in tys)


def checked_rows(rows: Iterable, name: str = "rows") -> list:
    """Validate a summary: an iterable of ``[type_repr, count, size]`` rows, as a list
    (the rows themselves); a :class:`TypeError` naming ``name`` and the bad row otherwise.

    Checked in bulk (the distinct types of the rows, counts and sizes): a tracker's
    summary has thousands of rows (a row per function name)."""
    if isinstance(rows, (str, bytes)) or not is_iterable(rows):
        raise TypeError("%s must be a summary (a list of [type, count, size] rows), got %s"
                        % (name, type(rows).__name__))
    out = rows if isinstance(rows, list) else list(rows)
    try:
        ok = (_all_subclasses(set(map(type, out)), (list, tuple)) and min(map(len, out), default=3) >= 3
              and _all_subclasses(set(map(type, map(_second, out))), int)
              and _all_subclasses(set(map(type, map(_third, out))), int))
    except Exception:  # noqa: BLE001 - an odd row (a __len__ that fails): found below
        ok = False
    if not ok:
        for i, row in enumerate(out):
            if not _row_ok(row):
                raise TypeError("%s[%d] is %r: a summary row is [type_repr, count, size] with "
                                "integer count and size" % (name, i, row))
    return out


def _totals(rows: list) -> dict[Any, list[int]]:
    """``{key: [count, size]}`` of checked rows, rows with the same key added up."""
    table = {row[0]: [row[1], row[2]] for row in rows}
    if len(table) != len(rows):  # repeated keys (rows of several summaries): added up
        table = {}
        for row in rows:
            _add(table, row[0], row[1], row[2])
    return table


def get_diff(left: Iterable, right: Iterable) -> list[list]:
    """``right - left`` row by row: ``[[type_repr, count_diff, size_diff], ...]``.

    Rows present on both sides are kept even when both differences are 0 (use
    :func:`sweep` to drop them); a row on one side only is taken as it is
    (``right``) or negated (``left``).  Rows with the same key are added up.

    >>> get_diff([["str", 2, 100]], [["str", 3, 150], ["int", 1, 28]])
    [['str', 1, 50], ['int', 1, 28]]
    """
    return _diff_rows(left, right, changed_only=False)


def changed_rows(left: Iterable, right: Iterable) -> list[list]:
    """``sweep(get_diff(left, right))`` in one pass: the rows of ``right - left`` whose
    count or size changed (what a tracker's diff shows; no row is made for the others).

    >>> changed_rows([["str", 2, 100], ["int", 1, 28]], [["str", 3, 150], ["int", 1, 28]])
    [['str', 1, 50]]
    """
    return _diff_rows(left, right, changed_only=True)


def _diff_rows(left: Iterable, right: Iterable, changed_only: bool) -> list[list]:
    """:func:`get_diff` (``changed_only`` False) and :func:`changed_rows` (True)."""
    before = _totals(checked_rows(left, "left"))
    after = _totals(checked_rows(right, "right"))
    old = before.get
    res = []
    for key, (n, size) in after.items():
        was = old(key)
        if was is None:
            if n or size or not changed_only:
                res.append([key, n, size])
        elif not changed_only or n != was[0] or size != was[1]:
            res.append([key, n - was[0], size - was[1]])
    res.extend([key, -n, -size] for key, (n, size) in before.items()
               if key not in after and (n or size or not changed_only))
    return res


def sweep(rows: Iterable) -> list[list]:
    """The rows whose count or size is not 0 (Pympler's ``_sweep``), as a new list.

    >>> sweep([["str", 0, 0], ["int", 0, 8]])
    [['int', 0, 8]]
    """
    return [list(row) for row in checked_rows(rows) if row[1] != 0 or row[2] != 0]


def _format_table(rows: list[list[str]]) -> Iterator[str]:
    """Right-justified columns joined by ``' | '``, the header underlined with ``=``."""
    widths = [max(len(cell) for cell in column) + 2 for column in zip(*rows)]
    yield " | ".join(cell.rjust(w) for cell, w in zip(rows[0], widths))
    yield " | ".join("=" * w for w in widths)
    for row in rows[1:]:
        yield " | ".join(cell.rjust(w) for cell, w in zip(row, widths))


def _check_sort(sort: object, order: object) -> None:
    if sort not in SORT_KEYS:
        raise ValueError("unknown sort key %r: use one of %s"
                         % (sort, ", ".join(repr(k) for k in SORT_KEYS)))
    if order not in ORDERS:
        raise ValueError("unknown order %r: use 'ascending' or 'descending'" % (order,))


def format_(rows: Iterable, limit: int | None = 15, sort: str = "size",
            order: str = "descending") -> Iterator[str]:
    """Lines of the summary table (Pympler's format), largest rows first by default.

    Parameters
    ----------
    rows : summary
        From :func:`summarize` or :func:`get_diff`.
    limit : int or None, default 15
        Show at most this many rows (``None``: all).
    sort : {'size', '#', 'type'}
        Sort by total size, object count or type text.
    order : {'descending', 'ascending'}

    Returns
    -------
    iterator of str
        The header, a ``=`` rule, then one line per row; sizes as ``pp()`` cells.

    Raises
    ------
    ValueError
        For an unknown ``sort`` or ``order`` (checked at once, not when iterating).
    """
    _check_sort(sort, order)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
        raise TypeError("limit must be an int or None, got %r" % (limit,))
    local = [list(r) for r in checked_rows(rows)]
    column = SORT_KEYS.index(sort)
    if column == 0:
        local.sort(key=lambda r: str(r[0]), reverse=order == "descending")
    else:
        local.sort(key=lambda r: r[column], reverse=order == "descending")
    local = local[:limit]
    table = [["types", "# objects", "total size"]]
    table.extend([str(r[0]), str(r[1]), pp(r[2])] for r in local)
    return _format_table(table)


def print_(rows: Iterable, limit: int | None = 15, sort: str = "size",
           order: str = "descending") -> None:
    """Print the summary table; see :func:`format_` for the parameters."""
    for line in format_(rows, limit=limit, sort=sort, order=order):
        print(line)


# Pympler's internal names, for code written against them (RefBrowser's default
# ``str_func`` is ``summary._repr``).
_repr = type_repr
_sweep = sweep
