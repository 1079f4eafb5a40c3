"""One object in detail: what Pympler's web page ``/objects/<id>`` shows, as data.

:func:`object_detail` describes an object: its type, id, repr, own (flat) and deep
size, its referents (named as attributes, keys, slots or positions) each with its deep
size, and its referrers (who holds it, and how). The result holds no object: ids,
names, types, sizes and reprs only, so a view can keep it without keeping the object
alive. To follow a referent or a referrer later, a view keeps the path (the parent's
path plus the referent's ``name`` and ``id``) and resolves it again when asked, with
:func:`find_referent` and :func:`find_referrer`: ``None`` says the object is gone (or
no longer held so).

>>> class Box:
...     def __init__(self):
...         self.payload = list(range(100))
>>> box = Box()
>>> d = object_detail(box)
>>> d.type.endswith("Box"), [r.name for r in d.referents if r.type == "list"]
(True, ['payload'])
>>> find_referent(box, "payload", id(box.payload)) is box.payload
True
>>> find_referent(box, "payload", 1) is None   # an id that is not the one listed
True

Standard library only.
"""

from __future__ import annotations

import gc
import sys
import types

from . import asizeof as _asizeof
from ._format import class_name, safe_repr
from .values import Frozen, check_int

__all__ = ["ObjectLink", "ObjectDetail", "object_detail", "find_referent", "find_referrer"]

#: the repr clip of the detail's rows
REPR_CLIP = 120
#: referents sized at most (a list of a million items: the first ones, in order)
MAX_SIZED = 5000


class ObjectLink(Frozen):
    """A referent or referrer of the object described: ``name`` (how it is reached: an
    attribute, a key, ``[3]``; for a referrer, how it refers to the object), ``id``,
    ``type`` (``module.qualname``), ``size`` (deep bytes), ``flat`` (own bytes), ``repr``."""

    __slots__ = ("name", "id", "type", "size", "flat", "repr")

    def __init__(self, name, id, type, size, flat, repr):
        self._set(name=name, id=id, type=type, size=size, flat=flat, repr=repr)

    def __repr__(self):
        return f"<ObjectLink {self.name} {self.type} id={self.id:#x} size={self.size}>"


class ObjectDetail(Frozen):
    """:func:`object_detail`'s result: ``id``, ``type``, ``repr``, ``flat``, ``deep``,
    ``referents`` and ``referrers`` (tuples of :class:`ObjectLink`, largest deep size
    first, at most ``limit`` each), ``n_referents`` and ``n_referrers`` (how many there
    were in all). Holds no object."""

    __slots__ = ("id", "type", "repr", "flat", "deep", "referents", "referrers", "n_referents", "n_referrers")

    def __init__(self, id, type, repr, flat, deep, referents, referrers, n_referents, n_referrers):
        self._set(id=id, type=type, repr=repr, flat=flat, deep=deep, referents=tuple(referents),
                  referrers=tuple(referrers), n_referents=n_referents, n_referrers=n_referrers)

    def __repr__(self):
        return (f"<ObjectDetail {self.type} id={self.id:#x} deep={self.deep} "
                f"{self.n_referents} referents {self.n_referrers} referrers>")


def _flat(obj) -> int:
    """Own bytes, by the sizing rules (a DataFrame's ``__sizeof__`` counts its data)."""
    try:
        return int(_asizeof.flatsize(obj))
    except Exception:  # noqa: BLE001 - a hostile object
        return 0


def _deep(obj) -> int:
    """Deep size; a class, module or function counts its own bytes only (deep sizing of
    the objects that use it does not follow it either)."""
    if isinstance(obj, (type, types.ModuleType, types.FunctionType)):
        return _flat(obj)
    return _asizeof.asizeof(obj)


def _type(obj) -> str:
    return class_name(type(obj))


def _named_referents(obj) -> list:
    """``[(name, referent)]``: the named referents (attributes, keys, slots); an object
    without names (a list, a set) lists its referents by position (``[k]`` for lists and
    tuples, ``(referent k)`` otherwise)."""
    try:
        named = _asizeof.named_refs(obj)
    except Exception:  # noqa: BLE001 - a hostile object: no names
        named = []
    if named:
        return list(named)
    try:
        others = _asizeof.refs(obj)
    except Exception:  # noqa: BLE001
        others = []
    positional = isinstance(obj, (list, tuple))
    return [(f"[{k}]" if positional else f"(referent {k})", ref) for k, ref in enumerate(others)]


def _referrers(obj, own_ids: set[int]) -> list:
    """The gc-tracked objects that refer to ``obj`` (our own frames and lists left out)."""
    from .session import is_own_frame

    found = gc.get_referrers(obj)
    own_ids = own_ids | {id(found)}
    out = []
    frame_type = type(sys._getframe())
    for holder in found:
        if id(holder) in own_ids:
            continue
        if type(holder) is frame_type and is_own_frame(holder):
            continue
        out.append(holder)
    return out


def _how(holder, obj) -> str:
    """How ``holder`` refers to ``obj`` (the name :func:`_named_referents` gives it)."""
    for name, ref in _named_referents(holder):
        if ref is obj:
            return str(name)
    return ""


def object_detail(obj, *, limit: int = 200, referrers: bool = True) -> ObjectDetail:
    """``obj`` described: type, id, repr, flat and deep size, referents and referrers
    (each with its deep size; at most ``limit`` of each, largest first; of a big
    container the first :data:`MAX_SIZED` referents are sized and ranked).

    Sizes are :func:`~pympler_nb.core.asizeof.asizeof`'s: a referent's deep size counts
    everything it reaches, data shared with its siblings included. Referrers are found
    with ``gc.get_referrers`` (gc-tracked holders only; pympler_nb's own frames left out).
    Nothing is kept: the result holds ids and text.
    """
    check_int(limit, "limit", 1)
    rows = []
    kids = _named_referents(obj)
    n_referents = len(kids)
    for name, ref in kids[:MAX_SIZED]:
        rows.append(ObjectLink(str(name), id(ref), _type(ref), _deep(ref), _flat(ref),
                               safe_repr(ref, REPR_CLIP)))
    del kids
    rows.sort(key=lambda r: -r.size)  # stable: equal sizes keep their order
    back = []
    n_referrers = 0
    if referrers:
        holders = _referrers(obj, {id(rows), id(back)})
        n_referrers = len(holders)
        for holder in holders:
            back.append(ObjectLink(_how(holder, obj), id(holder), _type(holder), _deep(holder),
                                   _flat(holder), safe_repr(holder, REPR_CLIP)))
        del holders
        back.sort(key=lambda r: -r.size)
    return ObjectDetail(id(obj), _type(obj), safe_repr(obj, REPR_CLIP), _flat(obj), _asizeof.asizeof(obj),
                        rows[:limit], back[:limit], n_referents, n_referrers)


def find_referent(obj, name: str, oid: int):
    """The referent of ``obj`` listed as ``name`` by :func:`object_detail`, if it is still
    the object whose id was ``oid``; else None (it was replaced or removed)."""
    for ref_name, ref in _named_referents(obj):
        if str(ref_name) == name and id(ref) == oid:
            return ref
    return None


def find_referrer(obj, oid: int):
    """The referrer of ``obj`` whose id is ``oid`` (as :func:`object_detail` listed it),
    if it still refers to ``obj``; else None."""
    for holder in _referrers(obj, set()):
        if id(holder) == oid:
            return holder
    return None
