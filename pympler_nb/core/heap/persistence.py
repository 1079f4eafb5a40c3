"""Saving and loading heap snapshots: versioned JSON, never pickle.

:meth:`HeapSnapshot.dump <pympler_nb.core.heap.HeapSnapshot.dump>` writes the
snapshot's columns with :func:`write_columns`; :func:`~pympler_nb.core.heap.load` reads
them back with :func:`read_columns`, which checks every field (format name, version,
types and ranges, graph offsets) and raises :class:`HeapFormatError` naming the file
and the bad field.  Loading never runs code and is bounded in size and nesting.

>>> import os, tempfile
>>> from pympler_nb.core import heap
>>> snap = heap.take(roots=[[1.5, "x"]])
>>> path = os.path.join(tempfile.mkdtemp(), "snap.json")
>>> snap.dump(path)
>>> again = heap.load(path)
>>> (len(again), again.size) == (len(snap), snap.size)
True
>>> with open(path, "w") as fp:
...     _ = fp.write('{"format": "other"}')
>>> heap.load(path)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
pympler_nb.core.heap.persistence.HeapFormatError: ...: format is 'other', expected 'pympler_nb.heap' (save...)
"""

from __future__ import annotations

import os
from array import array

from .. import _safeio

__all__ = ["FORMAT", "FORMAT_VERSION", "HeapFormatError", "read_columns", "write_columns"]

FORMAT = "pympler_nb.heap"
FORMAT_VERSION = 1


class HeapFormatError(ValueError):
    """A heap snapshot file is malformed, of another format or of an unknown version."""


def _short(value) -> str:
    """A value read from a file, shown briefly (``int 10000...`` not 400 digits)."""
    text = repr(value) if type(value) in (str, int, float, bool) or value is None else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------

def write_columns(data: dict, path) -> None:
    """Write a snapshot's columns (``data``, the file's JSON object) to ``path``
    atomically: a temporary file next to it, then renamed."""
    path = _safeio.fspath(path, "heap snapshot")
    tmp = path + (b".tmp" if isinstance(path, bytes) else ".tmp")
    # UTF-8; names with surrogates come back exactly (see _safeio.dumps_json)
    with open(tmp, "wb") as fp:
        fp.write(_safeio.dumps_json(data))
    os.replace(tmp, path)


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------

_FIELDS = ("format", "version", "meta", "types", "kinds", "ids", "type", "kind", "size",
           "offsets", "targets", "roots", "via", "via_names")


_INT64 = 1 << 63


def _int_list(data: dict, name: str, lo: int, hi: int, path: str) -> list:
    value = data[name]
    if type(value) is not list:
        raise HeapFormatError("%s: field %r must be a list of integers, got %s"
                              % (path, name, type(value).__name__))
    if value and set(map(type, value)) != {int}:
        raise HeapFormatError("%s: field %r must hold integers only" % (path, name))
    if value and (min(value) < lo or max(value) >= hi):
        raise HeapFormatError("%s: field %r has values outside [%d, %s)"
                              % (path, name, lo, "2**63" if hi == _INT64 else hi))
    return value


def read_columns(path, max_bytes: int = _safeio.MAX_BYTES) -> tuple:
    """The checked columns of a snapshot file, in the order
    ``HeapSnapshot._from_columns`` takes them (see :func:`~pympler_nb.core.heap.load`)."""
    raw, path = _safeio.read_file(path, what="heap snapshot", max_bytes=max_bytes,
                                  error=HeapFormatError,
                                  sniff=_safeio.json_sniffer(
                                      "heap snapshot", _safeio.display_path(_safeio.fspath(path, "heap snapshot")),
                                      error=HeapFormatError))
    # the format nests 3 levels deep ("types": [[name, module], ...])
    data = _safeio.loads_json(raw, what="heap snapshot", name=path, max_depth=8, error=HeapFormatError)
    del raw
    if type(data) is not dict:
        raise HeapFormatError("%s: not a heap snapshot (top level is %s, not an object)"
                              % (path, type(data).__name__))
    if data.get("format") != FORMAT:
        raise HeapFormatError("%s: format is %s, expected %r (save with HeapSnapshot.dump)"
                              % (path, _short(data.get("format")), FORMAT))
    version = data.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise HeapFormatError("%s: version %s is not supported (this pympler_nb reads version %d)"
                              % (path, _short(version), FORMAT_VERSION))
    missing = [f for f in _FIELDS if f not in data]
    if missing:
        raise HeapFormatError("%s: missing field(s) %s" % (path, ", ".join(missing)))
    meta = data["meta"]
    if type(meta) is not dict or not all(type(v) in (str, float) or (type(v) is int and -_INT64 <= v < _INT64)
                                         for v in meta.values()):
        raise HeapFormatError("%s: field 'meta' must be an object of strings and numbers "
                              "(integers within int64)" % path)
    tys = data["types"]
    if type(tys) is not list or not all(type(t) is list and len(t) == 2
                                        and all(type(x) is str for x in t) for t in tys):
        raise HeapFormatError("%s: field 'types' must be a list of [name, module] strings" % path)
    kinds = data["kinds"]
    if type(kinds) is not list or not all(type(k) is str for k in kinds):
        raise HeapFormatError("%s: field 'kinds' must be a list of strings" % path)
    ids = _int_list(data, "ids", 0, _INT64, path)
    n = len(ids)
    tidx = _int_list(data, "type", 0, len(tys), path)
    kind = _int_list(data, "kind", 0, len(tys) + len(kinds), path)
    size = _int_list(data, "size", 0, _INT64, path)
    off = _int_list(data, "offsets", 0, _INT64, path)
    tgt = _int_list(data, "targets", 0, max(n, 1), path)
    roots = _int_list(data, "roots", 0, max(n, 1), path)
    for name, col in (("type", tidx), ("kind", kind), ("size", size)):
        if len(col) != n:
            raise HeapFormatError("%s: field %r has %d entries for %d objects"
                                  % (path, name, len(col), n))
    if len(off) != n + 1 or off[0] != 0 or off[-1] != len(tgt) or \
            any(map(int.__gt__, off[:-1], off[1:])):
        raise HeapFormatError("%s: field 'offsets' must rise from 0 to len(targets) with one "
                              "entry per object plus one" % path)
    via, via_names = data["via"], data["via_names"]
    if via is not None:
        if type(via_names) is not list or not all(type(x) is str for x in via_names):
            raise HeapFormatError("%s: field 'via_names' must be a list of strings" % path)
        via = _int_list(data, "via", 0, max(len(via_names), 1), path)
        if len(via) != len(tgt):
            raise HeapFormatError("%s: field 'via' needs one entry per target" % path)
        via = array("i", via)
    else:
        via_names = None
    prod = prod_names = None
    if data.get("prod") is not None:
        prod_names = data.get("prod_names")
        if type(prod_names) is not list or not prod_names or \
                not all(type(x) is str for x in prod_names):
            raise HeapFormatError("%s: field 'prod_names' must be a non-empty list of strings"
                                  % path)
        prod = array("i", _int_list(data, "prod", 0, len(prod_names), path))
        if len(prod) != n:
            raise HeapFormatError("%s: field 'prod' has %d entries for %d objects"
                                  % (path, len(prod), n))
    type_names = [t[0] for t in tys]
    return (
        array("Q", ids), array("i", tidx), type_names, [t[1] for t in tys], array("q", size),
        array("i", kind), type_names + list(kinds), array("q", off), array("i", tgt),
        array("i", roots), via, via_names, dict(meta, loaded_from=path), prod, prod_names)

