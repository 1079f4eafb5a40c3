"""The file format of Class Tracker statistics: JSON, written and read back safely.

:meth:`Stats.dump_stats <.classtracker_stats.Stats.dump_stats>` writes through
:func:`stats_to_json`, :meth:`Stats.load_stats <.classtracker_stats.Stats.load_stats>` reads through
:func:`decode_stats` and :class:`StatsReader`.

Saved statistics are JSON, never pickle: loading a file only ever builds numbers,
strings and :class:`~.asizeof.Asized` trees, so a hostile file cannot run code; a
malformed, truncated or foreign file raises :class:`ValueError` that says what is wrong
and where. Pympler's pickled dumps cannot be read (and are not meant to be).

File format (version 2)
-----------------------
A UTF-8 JSON document, gzip-compressed when the file name ends in ``.gz`` (loading
detects gzip by its magic bytes). Surrogate code points (not encodable in UTF-8) are
written as JSON ``\\ud83d``-style escapes (four hex digits) and read back one code point each, so every string
comes back exactly (a lone surrogate, or a high one followed by a low one). Every key below is required, no
other key is allowed; ``int`` means a JSON integer in [0, 2**63) (never
``true``/``false``; sizes a hostile ``__sizeof__`` made negative, fractional or absurd
are written clamped to that range), ``float`` a finite number (``NaN``/``Infinity``
and numbers beyond a float's range are rejected), timestamps are seconds since the
tracker's module was imported::

    {
      "format": "pympler_nb.classtracker_stats",
      "version": 2,
      "epoch": float,              # wall-clock time (Unix seconds) of timestamp 0.0
      "snapshots": [               # oldest first
        {"timestamp": float, "desc": str,
         "tracked_total": int, "asizeof_total": int, "overhead": int,
         "system_total": {"available": bool, "rss": int, "vsz": int}}
      ],
      "index": {                   # tracked name -> its objects, dead ones included
        "<name>": [
          {"id": int, "name": str, "type": str, "repr": str,
           "birth": float, "death": float or null,
           "resolution_level": int, "birth_size": int,
           "trace": null or [[filename: str, lineno: int, function: str,
                              lines: null or [str, ...], index: null or int], ...],
           "samples": [[timestamp: float, size: int, flat: int]      # level 0
                       or [timestamp: float, tree], ...]}           # level > 0
        ]
      }
    }

    tree = [[size: int, flat: int, name: str or null, refs: int], ...]

A tree is flat, its nodes in preorder: each node is followed by its ``refs`` referents
(each with its own referents), so any depth is read and written without recursion.
Version 1 files (the same, but ``tree = {"size": int, "flat": int, "name": str or
null, "refs": [tree, ...]}``, nested) are still read.

Loading is bounded: files larger than ``max_bytes`` (default 128 MiB) and JSON nested
deeper than 512 levels are refused with a ``ValueError`` before they are parsed; a
missing, unreadable file or a directory raises an ``OSError`` naming it (see
:mod:`._safeio`).

The version is increased whenever a reader of an older version could misread a file.
"""

from __future__ import annotations

import gzip
import io
import math
import zlib
from typing import Any

from . import _safeio
from ._format import clip_text
from .asizeof import Asized
from .classtracker_objects import ProcessMemorySample, Snapshot, TrackedObject

__all__ = ["FORMAT", "MAX_STATS_BYTES", "READ_VERSIONS", "VERSION", "StatsReader", "clamp_size", "clamp_time",
           "decode_stats", "stats_sniffer", "stats_to_json"]

FORMAT = "pympler_nb.classtracker_stats"
VERSION = 2
#: versions :meth:`Stats.load_stats` reads (1: trees nested; 2: trees flat)
READ_VERSIONS = (1, 2)
#: largest (uncompressed) stats file :meth:`Stats.load_stats` reads by default
MAX_STATS_BYTES = _safeio.MAX_BYTES


# ---------------------------------------------------------------------------
# JSON encoding (never recursive; sizes and times coerced to what the reader accepts)
_INT_MAX = (1 << 63) - 1


def clamp_size(value: Any) -> int:
    """A size as the file stores it: an int in [0, 2**63) (a float, negative or absurd
    size from a hostile ``__sizeof__`` is truncated and clamped, anything else is 0)."""
    if isinstance(value, int):
        v = int.__int__(value)
    elif isinstance(value, float):
        v = float.__int__(value) if math.isfinite(value) else 0
    else:
        v = 0
    return 0 if v < 0 else _INT_MAX if v > _INT_MAX else v


def clamp_time(value: Any) -> float:
    """A timestamp as the file stores it: a finite float (0.0 if it is not one)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            v = float(value)
        except OverflowError:
            return 0.0
        return v if math.isfinite(v) else 0.0
    return 0.0


def _text(value: Any) -> str:
    """A name, repr or description as the file stores it: an exact ``str``."""
    if isinstance(value, str):
        return str.__str__(value)
    return "<%s>" % type(value).__name__


def _tree_to_json(tree: Asized) -> list:
    """The tree as a flat list of ``[size, flat, name, number of refs]`` in preorder."""
    out = []
    stack = [tree]
    while stack:
        node = stack.pop()
        refs = tuple(node.refs or ())
        name = node.name
        out.append([clamp_size(node.size), clamp_size(node.flat), None if name is None else _text(name), len(refs)])
        stack.extend(reversed(refs))
    return out


def _system_to_json(system: Any) -> dict:
    available = bool(getattr(system, "available", False))
    return {"available": available,
            "rss": clamp_size(getattr(system, "rss", 0)) if available else 0,
            "vsz": clamp_size(getattr(system, "vsz", 0)) if available else 0}


def _tobj_to_json(tobj: TrackedObject) -> dict:
    samples = []
    for ts, size, flat, tree in tobj.iter_samples():
        if tree is None:
            samples.append([clamp_time(ts), clamp_size(size), clamp_size(flat)])
        else:
            samples.append([clamp_time(ts), _tree_to_json(tree)])
    trace = None
    if tobj.trace is not None:
        trace = [[_text(f), clamp_size(n), _text(fn), None if src is None else [_text(x) for x in src],
                  None if idx is None else clamp_size(idx)]
                 for f, n, fn, src, idx in tobj.trace]
    return {"id": clamp_size(tobj.id), "name": _text(tobj.name), "type": _text(tobj.type),
            "repr": _text(tobj.repr), "birth": clamp_time(tobj.birth),
            "death": None if tobj.death is None else clamp_time(tobj.death),
            "resolution_level": clamp_size(tobj.resolution_level), "birth_size": clamp_size(tobj.birth_size),
            "trace": trace, "samples": samples}


def stats_to_json(index: dict, snapshots: list, epoch: float) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "epoch": clamp_time(epoch),
        "snapshots": [
            {"timestamp": clamp_time(s.timestamp), "desc": _text(s.desc), "tracked_total": clamp_size(s.tracked_total),
             "asizeof_total": clamp_size(s.asizeof_total), "overhead": clamp_size(s.overhead),
             "system_total": _system_to_json(s.system_total)}
            for s in snapshots
        ],
        "index": {_text(name): [_tobj_to_json(t) for t in tobjs] for name, tobjs in index.items()},
    }


# ---------------------------------------------------------------------------
# JSON decoding with strict validation
class StatsReader:
    """Checks a parsed stats document and builds the objects; errors name the place."""

    def __init__(self, source: str, version: int = VERSION) -> None:
        self.source = source
        self.version = version

    def fail(self, where: str, what: str) -> ValueError:
        return ValueError(f"stats file {self.source}: {what} in {where}")

    def obj(self, value: Any, where: str, keys: tuple[str, ...]) -> dict:
        if type(value) is not dict:
            raise self.fail(where, f"expected an object with keys {', '.join(keys)}, got {_kind(value)}")
        for key in keys:
            if key not in value:
                raise self.fail(where, f"missing key {key!r}")
        if len(value) != len(keys):
            extra = sorted(k for k in value if k not in keys)
            raise self.fail(where, f"unknown key {extra[0]!r} (allowed: {', '.join(keys)})")
        return value

    def list(self, value: Any, where: str) -> list:
        if type(value) is not list:
            raise self.fail(where, f"expected a list, got {_kind(value)}")
        return value

    def int(self, value: Any, where: str) -> int:
        if type(value) is not int or not 0 <= value < 1 << 63:
            raise self.fail(where, f"expected an integer >= 0 and < 2**63, got {_kind(value)}")
        return value

    def float(self, value: Any, where: str) -> float:
        if type(value) in (int, float):
            try:
                out = float(value)
            except OverflowError:  # an integer beyond a float's range (10**400)
                out = math.inf
            if math.isfinite(out):
                return out
        raise self.fail(where, f"expected a finite number, got {_kind(value)}")

    def str(self, value: Any, where: str) -> str:
        if type(value) is not str:
            raise self.fail(where, f"expected a string, got {_kind(value)}")
        return value

    def bool(self, value: Any, where: str) -> bool:
        if type(value) is not bool:
            raise self.fail(where, f"expected true or false, got {_kind(value)}")
        return value

    def flat_tree(self, value: Any, where: str) -> Asized:
        """A version-2 tree: ``[[size, flat, name, number of refs], ...]`` in preorder."""
        nodes = self.list(value, where)
        if not nodes:
            raise self.fail(where, "expected at least the root node, got an empty list")
        root = None
        open_: list[list] = []  # [node, referents still expected, referents so far]
        left = len(nodes)
        for i, node in enumerate(nodes):
            at = f"{where}[{i}]"
            left -= 1
            if type(node) is not list or len(node) != 4:
                raise self.fail(at, f"expected [size, flat, name, number of referents], got {_kind(node)}"
                                + (f" of {len(node)} items" if type(node) is list else ""))
            name = node[2]
            if name is not None:
                self.str(name, at + "[2]")
            count = self.int(node[3], at + "[3]")
            if count > left:
                raise self.fail(at + "[3]", f"{count} referents announced but only {left} nodes follow")
            me = Asized(self.int(node[0], at + "[0]"), self.int(node[1], at + "[1]"), (), name)
            if open_:
                top = open_[-1]
                top[1] -= 1
                top[2].append(me)
            elif root is None:
                root = me
            else:
                raise self.fail(at, "a node after the end of the tree")
            if count:
                open_.append([me, count, []])
            while open_ and open_[-1][1] == 0:
                done = open_.pop()
                done[0].refs = tuple(done[2])
        if open_:
            raise self.fail(where, f"the tree ends early ({open_[-1][1]} more referents expected)")
        return root

    def tree(self, value: Any, where: str) -> Asized:
        """A version-1 tree (nested objects)."""
        keys = ("size", "flat", "name", "refs")
        # iterative: (json node, where, parent's children list or None)
        root_holder: list[Asized] = []
        pending = [(value, where, root_holder, False)]
        built: list[tuple[Asized, list, list]] = []
        while pending:
            node, at, holder, _ = pending.pop()
            self.obj(node, at, keys)
            name = node["name"]
            if name is not None:
                self.str(name, at + ".name")
            me = Asized(self.int(node["size"], at + ".size"), self.int(node["flat"], at + ".flat"), (), name)
            kids: list[Asized] = []
            holder.append(me)
            built.append((me, kids, holder))
            refs = self.list(node["refs"], at + ".refs")
            for i in range(len(refs) - 1, -1, -1):
                pending.append((refs[i], f"{at}.refs[{i}]", kids, False))
        for me, kids, _ in built:
            if kids:
                me.refs = tuple(kids)
        return root_holder[0]

    def trace(self, value: Any, where: str) -> list | None:
        if value is None:
            return None
        out = []
        for i, rec in enumerate(self.list(value, where)):
            at = f"{where}[{i}]"
            rec = self.list(rec, at)
            if len(rec) != 5:
                raise self.fail(at, f"expected [filename, lineno, function, lines, index], got {len(rec)} items")
            fname = self.str(rec[0], at + "[0]")
            lineno = self.int(rec[1], at + "[1]")
            func = self.str(rec[2], at + "[2]")
            lines = None
            if rec[3] is not None:
                lines = [self.str(x, f"{at}[3][{j}]") for j, x in enumerate(self.list(rec[3], at + "[3]"))]
            idx = None if rec[4] is None else self.int(rec[4], at + "[4]")
            out.append((fname, lineno, func, lines, idx))
        return out

    def tobj(self, value: Any, where: str, key: str):
        d = self.obj(value, where, ("id", "name", "type", "repr", "birth", "death", "resolution_level",
                                    "birth_size", "trace", "samples"))
        samples = []
        for i, s in enumerate(self.list(d["samples"], where + ".samples")):
            at = f"{where}.samples[{i}]"
            s = self.list(s, at)
            if len(s) == 3:
                samples.append((self.float(s[0], at + "[0]"), self.int(s[1], at + "[1]"),
                                self.int(s[2], at + "[2]"), None))
            elif len(s) == 2:
                tree = (self.tree if self.version == 1 else self.flat_tree)(s[1], at + "[1]")
                samples.append((self.float(s[0], at + "[0]"), tree.size, tree.flat, tree))
            else:
                raise self.fail(at, f"expected [timestamp, size, flat] or [timestamp, tree], got {len(s)} items")
        death = d["death"]
        return TrackedObject.restore(
            id=self.int(d["id"], where + ".id"),
            name=self.str(d["name"], where + ".name"),
            repr=self.str(d["repr"], where + ".repr"),
            type=self.str(d["type"], where + ".type"),
            birth=self.float(d["birth"], where + ".birth"),
            death=None if death is None else self.float(death, where + ".death"),
            trace=self.trace(d["trace"], where + ".trace"),
            resolution_level=self.int(d["resolution_level"], where + ".resolution_level"),
            birth_size=self.int(d["birth_size"], where + ".birth_size"),
            samples=samples,
        )

    def snapshot(self, value: Any, where: str):
        d = self.obj(value, where, ("timestamp", "desc", "tracked_total", "asizeof_total", "overhead",
                                    "system_total"))
        sysd = self.obj(d["system_total"], where + ".system_total", ("available", "rss", "vsz"))
        snap = Snapshot(self.float(d["timestamp"], where + ".timestamp"), self.str(d["desc"], where + ".desc"),
                        ProcessMemorySample(self.bool(sysd["available"], where + ".system_total.available"),
                                            self.int(sysd["rss"], where + ".system_total.rss"),
                                            self.int(sysd["vsz"], where + ".system_total.vsz")))
        snap.tracked_total = self.int(d["tracked_total"], where + ".tracked_total")
        snap.asizeof_total = self.int(d["asizeof_total"], where + ".asizeof_total")
        snap.overhead = self.int(d["overhead"], where + ".overhead")
        return snap

    def document(self, doc: Any) -> tuple[dict, list, float]:
        if type(doc) is not dict:
            raise self.fail("the top-level value", f"expected an object, got {_kind(doc)}")
        fmt = doc.get("format")
        if fmt != FORMAT:
            raise self.fail("the top-level object",
                            f"format is {fmt!r}, expected {FORMAT!r} (not a pympler_nb ClassTracker stats file)")
        version = doc.get("version")
        if type(version) is not int or version not in READ_VERSIONS:
            raise self.fail("the top-level object",
                            f"unsupported version {_kind(version)}: this pympler_nb reads versions "
                            f"{', '.join(map(str, READ_VERSIONS))}; "
                            "save the stats again with this version, or load them with the version that wrote them")
        self.version = version
        d = self.obj(doc, "the top-level object", ("format", "version", "epoch", "snapshots", "index"))
        epoch = self.float(d["epoch"], "epoch")
        snapshots = [self.snapshot(s, f"snapshots[{i}]")
                     for i, s in enumerate(self.list(d["snapshots"], "snapshots"))]
        idx = d["index"]
        if type(idx) is not dict:
            raise self.fail("index", f"expected an object (name -> list of objects), got {_kind(idx)}")
        index = {}
        for name, tobjs in idx.items():
            at = f"index[{name!r}]"
            index[name] = [self.tobj(t, f"{at}[{i}]", name) for i, t in enumerate(self.list(tobjs, at))]
        return index, snapshots, epoch


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) in (int, float):
        return f"{type(value).__name__} {clip_text(repr(value), 40)}"
    if type(value) is str:
        return f"string {clip_text(repr(value), 40)}"
    return {"list": "a list", "dict": "an object"}.get(type(value).__name__, type(value).__name__)


_NOT_JSON_HINT = "; Pympler's pickled stats cannot be loaded (save them again with pympler_nb)"


def stats_sniffer(name: str):
    return _safeio.json_sniffer("stats file", name, also=(b"\x1f\x8b\x08",), hint=_NOT_JSON_HINT)


def _gzip_text(raw: bytes | bytearray, name: str, limit: int) -> bytes | bytearray:
    """The decompressed content of a gzip stats file, read in bounded chunks (at most
    ``limit + 1`` bytes are decompressed)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
            return _safeio.read_stream(gz, what="stats file", name=name, max_bytes=limit,
                                       sniff=_safeio.json_sniffer("stats file", name))
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"stats file {name!r}: broken gzip data ({exc})") from None


def decode_stats(raw: bytes | bytearray | str, name: str, limit: int) -> Any:
    if not isinstance(raw, str) and raw[:2] == b"\x1f\x8b":
        raw = _gzip_text(raw, name, limit)
    return _safeio.loads_json(raw, what="stats file", name=name)
