"""Heap enumeration: every live object, each once (drop-in for ``pympler.muppy``).

:func:`get_objects` lists what the garbage collector tracks *and* everything those
objects reference that the collector does not track: ``str``, ``int``, ``float``,
``bytes``, untracked ``dict`` and ``tuple`` objects, code objects and their
constants, the ``str`` keys of dictionaries (``gc.get_referents`` skips the
keys of a str-keyed dict, so Pympler misses them; see Pympler #97/#152), and what
the registered size rules' ``refs=`` say an object holds beyond its
``gc.get_referents`` (the elements of a numpy object array, an array's ``base``; see
:func:`pympler_nb.core._thirdparty.hidden_referents`), looked at only for the
objects whose type has such a rule.  The walk
is breadth-first over the untracked part of the heap, works in bulk with C-level
builtins (``gc.get_referents(*objects)``, ``map``, ``itertools``, ``dict(zip(...))``)
and never recurses.  Selections go through a byte per object (a ``bytearray`` that
``compress`` reads fast and ``bytes`` methods count and translate), and objects
referenced from one place only are told apart by their refcount instead of by an
id, so it costs roughly 0.3 µs per object (more below untracked dicts and tuples:
each level is another round of passes).

What is *not* listed:

- objects referenced only from the C stack or from locals of running functions
  that are not GC-tracked (a running function's frame is not an object until
  something asks for it; pass ``include_frames=True`` to list the outer frames and
  what their locals hold);
- the walk's own temporaries (they are created after the collector is asked for
  its objects) and frames of this module;
- memory that is not a Python object (C buffers of extension types are counted
  only as far as their ``__sizeof__`` reports them).

Sizes are flat (``sys.getsizeof``), as in Pympler (``muppy.getsizeof``); the other
views (summaries, tracker diffs, heap snapshots, graphs) count an object's own size,
``asizeof.flatsize``, which adds an instance's values array; use
:mod:`pympler_nb.core.asizeof` for deep sizes.

>>> from pympler_nb.core import muppy
>>> objs = muppy.get_objects()
>>> len(objs) > 1000
True
>>> muppy.get_size([]) == 0
True
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterable
from itertools import chain, compress
from operator import not_
from typing import Any

from .flatsize import flat_sizes
from .objwalk import (
    HeapList,
    code_parts,
    dict_key_list,
    is_iterable,
    rule_referents,
    ruled_objects,
    rules_of,
    type_set,
    walk_heap,
)
from .gcsafe import get_referents as _gc_referents
from .values import check_int

__all__ = [
    "getsizeof",
    "get_objects",
    "get_size",
    "get_diff",
    "sort",
    "filter",
    "get_referents",
    "print_summary",
    "ignore_object",
]

_getsizeof = sys.getsizeof
getsizeof = sys.getsizeof
"""``sys.getsizeof``, under the name Pympler's ``muppy`` gives it (``muppy.getsizeof(x)``)."""
_FrameType = types.FrameType
_CodeType = types.CodeType

def ignore_object(obj: Any) -> bool:
    """Whether :func:`get_objects` leaves ``obj`` out by default (frames).

    Uses ``type(obj)`` only, so a dead weak proxy does not raise.
    """
    return type(obj) is _FrameType


def get_objects(remove_dups: bool = True, include_frames: bool = False) -> list:
    """Return all live objects: GC-tracked ones and everything they reference.

    Runs ``gc.collect()`` first.  Besides what ``gc.get_objects()`` returns, the
    list holds every object reachable from those through objects the collector
    does not track: ``str``/``int``/``float``/``bytes`` objects, untracked
    ``dict`` and ``tuple`` objects and what they hold, code objects with their
    constants and names, the ``str`` keys of dictionaries, and the elements of
    numpy object arrays (what the size rules' ``refs=`` reach).

    Parameters
    ----------
    remove_dups : bool, default True
        List every object once.  With ``False`` an untracked object directly
        referenced by several tracked objects is repeated once per reference
        (Pympler's behaviour); deeper objects are still listed once.
    include_frames : bool, default False
        Also list frame objects: the frames of the callers above the caller of
        ``get_objects`` (the caller's own frame is left out so that the result
        does not form a cycle with its locals) and other frames alive in the heap.

    Returns
    -------
    list
        Strong references to the objects: drop the list when done, it keeps
        everything alive (``del objects``).

    Examples
    --------
    >>> objs = get_objects()
    >>> any(type(o) is str for o in objs)
    True
    >>> del objs
    """
    _check_bool("remove_dups", remove_dups)
    _check_bool("include_frames", include_frames)
    if remove_dups:
        result = HeapList.of_flat_walk(include_frames, depth=1)
        if result is not None:  # (the accelerated path: one list, no copy)
            return result
    tpart, upart = walk_heap(include_frames, remove_dups, depth=1)
    result = HeapList.of_walk(tpart, upart)
    del tpart, upart
    return result


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, (bool, int)):
        raise TypeError("%s must be True or False, got %r" % (name, value))


def _as_list(objects: Iterable, name: str = "objects") -> list:
    if isinstance(objects, list):
        return objects
    if isinstance(objects, (str, bytes, dict)) or not is_iterable(objects):
        raise TypeError(
            "%s must be a list (or other iterable) of objects, got %s: "
            "pass e.g. muppy.get_objects()" % (name, type(objects).__name__))
    return list(objects)




def get_size(objects: Iterable) -> int:
    """Total flat size (``sys.getsizeof``) of ``objects``, in bytes.

    An object whose ``__sizeof__`` fails (or returns a size no object of this process
    can have) counts with its layout size (basic size, items and headers).

    >>> get_size([[], ()]) == sys.getsizeof([]) + sys.getsizeof(())
    True
    """
    objs = _as_list(objects)
    return sum(flat_sizes(objs))


def get_diff(left: Iterable, right: Iterable) -> dict[str, list]:
    """Identity diff of two object lists: ``{'+': [...], '-': [...]}``.

    ``'+'`` holds the objects of ``right`` that are not in ``left`` (compared by
    identity, not equality), ``'-'`` those of ``left`` not in ``right``; both keep
    the input order.  Linear time (Pympler's version is quadratic per type).

    >>> a, b, c = [], [], []
    >>> d = get_diff([a, b], [b, c])
    >>> d['+'][0] is c, d['-'][0] is a
    (True, True)
    """
    lobjs = _as_list(left, "left")
    robjs = _as_list(right, "right")
    left_ids = set(map(id, lobjs))
    right_ids = set(map(id, robjs))
    plus = list(compress(robjs, map(not_, map(left_ids.__contains__, map(id, robjs)))))
    minus = list(compress(lobjs, map(not_, map(right_ids.__contains__, map(id, lobjs)))))
    return {"+": plus, "-": minus}


def sort(objects: Iterable) -> list:
    """Return a new list of ``objects`` sorted by flat size, smallest first.

    >>> [len(x) for x in sort([[1, 2, 3], [], [1]])]
    [0, 1, 3]
    """
    objs = _as_list(objects)
    sizes = flat_sizes(objs)
    order = sorted(range(len(objs)), key=sizes.__getitem__)
    return [objs[i] for i in order]


def filter(objects: Iterable, Type: type | tuple | None = None,  # noqa: N803 - Pympler's names
           min: int = -1, max: int = -1) -> list:  # noqa: A002
    """Objects of a type and/or a size range (``min < getsizeof(o) < max``, strict).

    Parameters
    ----------
    objects : iterable
        The objects to filter (e.g. ``get_objects()``).
    Type : type or tuple of types, optional
        Keep instances of this type (``isinstance``, so subclasses count).
    min, max : int, default -1
        Exclusive bounds in bytes; ``-1`` means no bound.

    Raises
    ------
    ValueError
        If both bounds are given and ``min > max``.

    >>> filter([[], "abc", 5], Type=str)
    ['abc']
    """
    if not isinstance(min, int) or not isinstance(max, int):
        raise TypeError("min and max must be integers (bytes, -1 = no bound), got min=%r, max=%r"
                        % (min, max))
    if max > -1 and min > max:
        raise ValueError(
            "min=%d is larger than max=%d: use min <= max, or -1 for no bound" % (min, max))
    if Type is not None and not isinstance(Type, (type, tuple)):
        raise TypeError("Type must be a type or a tuple of types, got %r" % (Type,))
    objs = _as_list(objects)
    if Type is not None:
        objs = [o for o in objs if issubclass(type(o), Type)]  # type(): __class__ may lie
    if min > -1 or max > -1:
        sizes = flat_sizes(objs)
        if min > -1:
            mask = [s > min for s in sizes]
            objs = list(compress(objs, mask))
            sizes = list(compress(sizes, mask))
        if max > -1:
            objs = list(compress(objs, [s < max for s in sizes]))
    return objs


def get_referents(object: Any, level: int = 1) -> list:  # noqa: A002 - Pympler's name
    """Objects referenced by ``object``, up to ``level`` references away, each once.

    Unlike ``gc.get_referents`` this also returns the ``str`` keys of a dict,
    the constants and names of a code object and what the size rules' ``refs=`` say
    an object holds (a numpy object array's elements, an array's base).  Breadth-first, no recursion;
    ``object`` itself appears only if it is reachable from itself.

    Parameters
    ----------
    object : object
        Where to start.
    level : int, default 1
        How many references to follow (1 = direct referents).

    >>> d = {"key": [1]}
    >>> refs = get_referents(d)
    >>> "key" in refs and [1] in refs
    True
    """
    if isinstance(level, bool) or not isinstance(level, int):
        raise TypeError("level must be an int >= 1, got %r" % (level,))
    check_int(level, "level", 1, meaning="1 = direct referents")
    seen: dict[int, Any] = {}
    frontier = [object]
    for _step in range(level):
        found = _direct_referents(frontier)
        new = []
        for o in found:
            oid = id(o)
            if oid not in seen:
                seen[oid] = o
                new.append(o)
        del found
        frontier = new
        if not frontier:
            break
    del frontier
    return list(seen.values())


def _direct_referents(objs: list) -> list:
    """Referents of ``objs`` (tp_traverse, dict keys, code object parts, size rules'
    ``refs``), with repeats."""
    found = _gc_referents(*objs)
    tset, tys = type_set(list(map(type, objs)))
    rules = rules_of(tset)
    if rules:
        found.extend(rule_referents(ruled_objects(objs, tys, rules), rules))
    dicts = [o for o in objs if issubclass(type(o), dict)]  # type(): __class__ may lie
    if dicts:
        found.extend(dict_key_list(dicts))
    codes = [o for o in objs if type(o) is _CodeType]
    if codes:
        found.extend(chain.from_iterable(map(code_parts, codes)))
    return found


def print_summary() -> None:
    """Print a summary table of all live objects (``summary.print_`` of the heap)."""
    from . import summary

    objs = get_objects()
    rows = summary.summarize(objs)
    del objs
    summary.print_(rows)
