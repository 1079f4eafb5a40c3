"""Statistics of a :class:`~.classtracker.ClassTracker`: tables, safe files, an HTML report.

Drop-in for ``pympler.classtracker_stats``: :class:`Stats` (sorting, per-snapshot class
summaries, files), :class:`ConsoleStats` (text tables) and :class:`HtmlStats` (one
self-contained HTML file with inline SVG charts: no network, no matplotlib, no
JavaScript).

Saved statistics are JSON, never pickle: loading a file only ever builds numbers,
strings and :class:`~.asizeof.Asized` trees, so a hostile file cannot run code; a
malformed, truncated or foreign file raises :class:`ValueError` that says what is wrong
and where. Pympler's pickled dumps cannot be read (and are not meant to be).

File format (version 2)
-----------------------
A UTF-8 JSON document, gzip-compressed when the file name ends in ``.gz`` (loading
detects gzip by its magic bytes). Surrogate code points (not encodable in UTF-8) are
written as ``\\uXXXX`` escapes and read back one code point each, so every string
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
import html
import io
import json
import math
import os
import sys
import zlib
from bisect import bisect_left, bisect_right
from contextlib import nullcontext
from typing import IO, TYPE_CHECKING, Any

from . import _safeio
from ._format import clip_text, format_size, pp
from .asizeof import Asized

if TYPE_CHECKING:  # pragma: no cover
    from .classtracker import ClassTracker, Snapshot, TrackedObject

__all__ = ["FORMAT", "MAX_STATS_BYTES", "VERSION", "ConsoleStats", "HtmlStats", "Stats"]

FORMAT = "pympler_nb.classtracker_stats"
VERSION = 2
#: versions :meth:`Stats.load_stats` reads (1: trees nested; 2: trees flat)
READ_VERSIONS = (1, 2)
#: largest (uncompressed) stats file :meth:`Stats.load_stats` reads by default
MAX_STATS_BYTES = _safeio.MAX_BYTES

SORT_KEYS = ("classname", "tsize", "birth", "death", "name", "repr", "size")


# ---------------------------------------------------------------------------
# small helpers
def _cell(text: Any, width: int) -> str:
    """One table cell: newlines shown as ``|``, clipped to ``width`` characters."""
    return clip_text(str(text).replace("\r", "").replace("\n", "|"), width)


def _fmt_ts(t: float | None) -> str:
    """``hh:mm:ss.ss`` of a timestamp (``''`` for ``None``), as Pympler prints them."""
    if t is None:
        return ""
    return "%02d:%02d:%05.2f" % (int(t / 3600), int(t / 60 % 60), t % 60)


def _ref_key(name: Any) -> Any:
    """The part of a referent's name that identifies it across instances (before ``':'``)."""
    return name.split(":")[0] if isinstance(name, str) else name


def _copy_tree(tree: Asized, rename: Any = None) -> Asized:
    """A deep copy of an :class:`Asized` tree (iterative); ``rename`` maps every name."""
    fix = rename or (lambda name: name)
    root = Asized(tree.size, tree.flat, (), fix(tree.name))
    stack = [(tree, root)]
    while stack:
        src, dst = stack.pop()
        if src.refs:
            kids = [Asized(r.size, r.flat, (), fix(r.name)) for r in src.refs]
            dst.refs = tuple(kids)
            stack.extend(zip(src.refs, kids))
    return root


def _merge_into(base: Asized, other: Asized) -> None:
    """Add ``other``'s sizes into ``base``, merging referents by name (before ``':'``).

    Below the root, names become their keys (``'[V] x: 1'`` -> ``'[V] x'``) at every
    level, whether one instance or many contributed (Pympler renames only the levels
    where two instances met).
    """
    stack = [(base, other, 0)]
    while stack:
        b, o, level = stack.pop()
        b.size += o.size
        b.flat += o.flat
        if level > 0:
            b.name = _ref_key(b.name)
        if not o.refs:
            continue
        refs = list(b.refs)
        by_key = {_ref_key(r.name): r for r in refs}
        for ref in o.refs:
            key = _ref_key(ref.name)
            mine = by_key.get(key)
            if mine is not None:
                stack.append((mine, ref, level + 1))
            else:
                mine = _copy_tree(ref, _ref_key)
                refs.append(mine)
                by_key[key] = mine
        b.refs = tuple(refs)


def _history(index: dict[str, list[TrackedObject]]) -> dict[str, list[tuple[float, int]]]:
    """``{name: [(timestamp, live count), ...]}`` from births and deaths, in time order."""
    out = {}
    for name, tobjs in index.items():
        events = []
        for tobj in tobjs:
            events.append((tobj.birth, 1))
            if tobj.death is not None:
                events.append((tobj.death, -1))
        events.sort(key=lambda e: (e[0], -e[1]))
        count = 0
        series = []
        for t, step in events:
            count += step
            series.append((t, count))
        out[name] = series
    return out


def _format_trace(trace: list) -> str:
    """Readable instantiation stack: the source line, then ``file:line in function``."""
    lines = []
    for fname, lineno, func, src, _ in trace:
        for line in src or ():
            lines.append("    " + str(line).strip() + "\n")
        lines.append("  %s:%4d in %s\n" % (fname, lineno, func))
    return "".join(lines)




# ---------------------------------------------------------------------------
# JSON encoding (never recursive; sizes and times coerced to what the reader accepts)
_INT_MAX = (1 << 63) - 1


def _size(value: Any) -> int:
    """A size as the file stores it: an int in [0, 2**63) (a float, negative or absurd
    size from a hostile ``__sizeof__`` is truncated and clamped, anything else is 0)."""
    if isinstance(value, int):
        v = int.__int__(value)
    elif isinstance(value, float):
        v = float.__int__(value) if math.isfinite(value) else 0
    else:
        v = 0
    return 0 if v < 0 else _INT_MAX if v > _INT_MAX else v


def _time(value: Any) -> float:
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
        out.append([_size(node.size), _size(node.flat), None if name is None else _text(name), len(refs)])
        stack.extend(reversed(refs))
    return out


def _system_to_json(system: Any) -> dict:
    available = bool(getattr(system, "available", False))
    return {"available": available,
            "rss": _size(getattr(system, "rss", 0)) if available else 0,
            "vsz": _size(getattr(system, "vsz", 0)) if available else 0}


def _tobj_to_json(tobj: TrackedObject) -> dict:
    samples = []
    for ts, size, flat, tree in tobj._iter_samples():
        if tree is None:
            samples.append([_time(ts), _size(size), _size(flat)])
        else:
            samples.append([_time(ts), _tree_to_json(tree)])
    trace = None
    if tobj.trace is not None:
        trace = [[_text(f), _size(n), _text(fn), None if src is None else [_text(x) for x in src],
                  None if idx is None else _size(idx)]
                 for f, n, fn, src, idx in tobj.trace]
    return {"id": _size(tobj.id), "name": _text(tobj.name), "type": _text(tobj.type),
            "repr": _text(tobj.repr), "birth": _time(tobj.birth),
            "death": None if tobj.death is None else _time(tobj.death),
            "resolution_level": _size(tobj._resolution_level), "birth_size": _size(tobj.birth_size),
            "trace": trace, "samples": samples}


def _stats_to_json(index: dict, snapshots: list, epoch: float) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "epoch": _time(epoch),
        "snapshots": [
            {"timestamp": _time(s.timestamp), "desc": _text(s.desc), "tracked_total": _size(s.tracked_total),
             "asizeof_total": _size(s.asizeof_total), "overhead": _size(s.overhead),
             "system_total": _system_to_json(s.system_total)}
            for s in snapshots
        ],
        "index": {_text(name): [_tobj_to_json(t) for t in tobjs] for name, tobjs in index.items()},
    }


# ---------------------------------------------------------------------------
# JSON decoding with strict validation
class _Reader:
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
        from .classtracker import TrackedObject

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
        return TrackedObject._restore(
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
        from .classtracker import ProcessMemorySample, Snapshot

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


def _sniffer(name: str):
    return _safeio.json_sniffer("stats file", name, also=(b"\x1f\x8b",), hint=_NOT_JSON_HINT)


def _gzip_text(raw: bytes | bytearray, name: str, limit: int) -> bytes | bytearray:
    """The decompressed content of a gzip stats file, read in bounded chunks (at most
    ``limit + 1`` bytes are decompressed)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
            return _safeio.read_stream(gz, what="stats file", name=name, max_bytes=limit,
                                       sniff=_safeio.json_sniffer("stats file", name))
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"stats file {name!r}: broken gzip data ({exc})") from None


def _decode(raw: bytes | bytearray | str, name: str, limit: int) -> Any:
    if not isinstance(raw, str) and raw[:2] == b"\x1f\x8b":
        raw = _gzip_text(raw, name, limit)
    return _safeio.loads_json(raw, what="stats file", name=name)


# ---------------------------------------------------------------------------
class Stats:
    """Statistics of a :class:`~.classtracker.ClassTracker`, live or loaded from a file.

    Parameters
    ----------
    tracker : ClassTracker, optional
        Show this tracker's data (shared, not copied).
    filename : str or path or file, optional
        Load a file written by :meth:`dump_stats`.
    stream : file-like, optional
        Where to print (default ``sys.stdout``).

    Attributes
    ----------
    index : dict[str, list[TrackedObject]]
    snapshots : list[Snapshot]
    sorted : list[TrackedObject]
        The order used by :meth:`ConsoleStats.print_stats` (see :meth:`sort_stats`).
    """

    def __init__(self, tracker: ClassTracker | None = None, filename: Any = None,
                 stream: IO[str] | None = None) -> None:
        self.stream = stream if stream else sys.stdout
        self.tracker = tracker
        self.index: dict[str, list[TrackedObject]] = {}
        self.snapshots: list[Snapshot] = []
        self.epoch: float | None = None
        if tracker is not None:
            from .classtracker import EPOCH

            self.index = tracker.index
            self.snapshots = tracker.snapshots
            self.epoch = EPOCH
        self.sorted: list[TrackedObject] = []
        self._keys: dict[int, dict[str, Any]] = {}
        if filename is not None:
            self.load_stats(filename)

    def _guard(self):
        return self.tracker._lock if self.tracker is not None else nullcontext()

    @property
    def history(self) -> dict[str, list[tuple[float, int]]]:
        """``{name: [(timestamp, live instances), ...]}``, one entry per birth and death."""
        with self._guard():
            return _history(self.index)

    # -- files ---------------------------------------------------------------------
    def load_stats(self, fdump: Any, max_bytes: int = MAX_STATS_BYTES) -> None:
        """Replace the data with that of a file written by :meth:`dump_stats`.

        Parameters
        ----------
        fdump : str, bytes, path or file
            File name (gzip is detected) or a file opened for reading (binary or text).
        max_bytes : int
            Refuse files larger than this (uncompressed; default :data:`MAX_STATS_BYTES`,
            128 MiB): a regular file before it is read, a stream or gzip data after
            ``max_bytes + 1`` bytes.

        Raises
        ------
        ValueError
            The file is larger than ``max_bytes``, not JSON, truncated, nested too
            deeply, of another format or version, or does not follow the documented
            layout; the message names the file and the place.
        OSError
            The file is missing, a directory or unreadable (the message names it).
        """
        _safeio.check_max_bytes(max_bytes)
        if isinstance(fdump, (str, bytes, os.PathLike)):
            name = _safeio.display_path(_safeio.fspath(fdump, "stats file"))
            raw, name = _safeio.read_file(fdump, what="stats file", max_bytes=max_bytes,
                                          sniff=_sniffer(name))
        elif callable(getattr(fdump, "read", None)):
            name = getattr(fdump, "name", "<stream>")
            name = name if isinstance(name, str) else os.fsdecode(name) if isinstance(name, bytes) else str(name)
            raw = _safeio.read_stream(fdump, what="stats file", name=name, max_bytes=max_bytes,
                                      sniff=_sniffer(name))
        else:
            raise TypeError(f"stats file: the path must be a str, bytes or os.PathLike (or a file "
                            f"opened for reading), got {type(fdump).__name__}")
        doc = _decode(raw, name, max_bytes)
        del raw
        index, snapshots, epoch = _Reader(repr(name)).document(doc)
        self.index = index
        self.snapshots = snapshots
        self.epoch = epoch
        self.sorted = []
        self._keys = {}

    def dump_stats(self, fdump: Any, close: bool = True) -> None:
        """Write the data as JSON (see the module docstring); stops periodic snapshots.

        Parameters
        ----------
        fdump : str, bytes, path or file
            File name (a ``.gz`` suffix writes gzip) or a file opened for writing
            (text or binary).
        close : bool
            Close ``fdump`` afterwards when it is a file object.
        """
        if self.tracker is not None:
            self.tracker.stop_periodic_snapshots()
        with self._guard():
            doc = _stats_to_json(self.index, self.snapshots, self.epoch if self.epoch is not None else 0.0)
            # UTF-8; surrogate code points as \\u escapes, read back one by one
            data = _safeio.dumps_json(doc)
        if isinstance(fdump, (str, bytes, os.PathLike)):
            if os.fspath(fdump)[-3:] in (".gz", b".gz"):
                data = gzip.compress(data, mtime=0)
            with open(fdump, "wb") as f:
                f.write(data)
            return
        try:
            if isinstance(fdump, io.TextIOBase):
                fdump.write(data.decode("utf-8"))
            else:
                fdump.write(data)
        finally:
            if close:
                fdump.close()

    # -- ordering ------------------------------------------------------------------
    def _init_sort(self) -> None:
        if self.sorted:
            return
        with self._guard():
            tmax = None
            best = -1
            for snap in self.snapshots:
                if snap.tracked_total > best:
                    best = snap.tracked_total
                    tmax = snap.timestamp
            keys = {}
            out = []
            for classname, tobjs in self.index.items():
                for tobj in tobjs:
                    keys[id(tobj)] = {
                        "classname": classname,
                        "size": tobj.get_max_size(),
                        "tsize": tobj.get_size_at_time(tmax) if tmax is not None else 0,
                    }
                out.extend(tobjs)
        self._keys = keys
        self.sorted = out

    def sort_stats(self, *args: str) -> Stats:
        """Sort the tracked objects by the given keys (all of them, in this order, if none).

        Keys: ``'classname'`` (tracked name), ``'name'``, ``'birth'``, ``'death'``
        (alive objects last), ``'repr'`` ascending; ``'size'`` (largest sample) and
        ``'tsize'`` (size in the snapshot with the largest tracked total) descending.
        Returns ``self``: ``stats.sort_stats('size').reverse_order().print_stats()``.

        Raises
        ------
        ValueError
            For a key not in the list above.
        """
        bad = [a for a in args if a not in SORT_KEYS]
        if bad:
            raise ValueError(f"invalid sort key {bad[0]!r}: use one or more of {', '.join(SORT_KEYS)}")
        keys = args or SORT_KEYS
        self._init_sort()
        info = self._keys

        def key(tobj: TrackedObject) -> tuple:
            k = info.get(id(tobj)) or {"classname": tobj.name, "size": tobj.get_max_size(), "tsize": 0}
            out: list[Any] = []
            for attr in keys:
                if attr in ("size", "tsize"):
                    out.append(-k[attr])
                elif attr == "classname":
                    out.append(k["classname"])
                elif attr == "death":
                    out.append((tobj.death is None, tobj.death or 0.0))
                else:
                    out.append(getattr(tobj, attr))
            return tuple(out)

        self.sorted.sort(key=key)
        return self

    def reverse_order(self) -> Stats:
        """Reverse the current order; returns ``self``."""
        self._init_sort()
        self.sorted.reverse()
        return self

    # -- per-snapshot summaries ------------------------------------------------------
    def annotate(self) -> None:
        """Fill ``snapshot.classes`` of every snapshot (see :meth:`annotate_snapshot`)."""
        with self._guard():
            todo = [s for s in self.snapshots if not self._annotated(s)]
            if todo:
                self._annotate(todo)

    def annotate_snapshot(self, snapshot: Snapshot) -> dict[str, dict[str, Any]]:
        """Per-class summary of ``snapshot``, stored in ``snapshot.classes`` and returned.

        ``{name: {'sum': bytes, 'avg': bytes per active instance, 'pct': share of the
        snapshot's total in %, 'active': live instances, 'merged': Asized}}``, where
        ``merged`` adds up the instances' :class:`Asized` trees (referents merged by name).
        """
        with self._guard():
            if not self._annotated(snapshot):
                self._annotate([snapshot])
            return snapshot.classes

    def _annotated(self, snapshot: Snapshot) -> bool:
        return snapshot.classes is not None and snapshot.classes.keys() == self.index.keys()

    def _annotate(self, snapshots: list[Snapshot]) -> None:
        """One pass over all objects for all ``snapshots``."""
        times = sorted({s.timestamp for s in snapshots})
        pos = {t: i for i, t in enumerate(times)}
        k = len(times)
        result: dict[float, dict[str, dict[str, Any]]] = {t: {} for t in times}
        for classname, tobjs in self.index.items():
            sums = [0] * k
            diff = [0] * (k + 1)
            merged = [Asized(0, 0) for _ in range(k)]
            for tobj in tobjs:
                lo = bisect_right(times, tobj.birth)
                hi = k if tobj.death is None else bisect_left(times, tobj.death)
                if lo < hi:
                    diff[lo] += 1
                    diff[hi] -= 1
                for ts, size, flat, tree in tobj._iter_samples():
                    i = pos.get(ts)
                    if i is None:
                        continue
                    sums[i] += size
                    if tree is None:
                        m = merged[i]
                        m.size += size
                        m.flat += flat
                    else:
                        _merge_into(merged[i], tree)
            active = 0
            for i, t in enumerate(times):
                active += diff[i]
                result[t][classname] = {"sum": sums[i], "active": active, "merged": merged[i]}
        for snap in snapshots:
            classes = {}
            total = snap.total
            for classname, info in result[snap.timestamp].items():
                size, active = info["sum"], info["active"]
                # duplicate timestamps (only in hand-made files) must not share Asized objects
                merged = info["merged"] if len(snapshots) == len(times) else _copy_tree(info["merged"])
                classes[classname] = {
                    "sum": size,
                    "avg": size / active if active else 0,
                    "pct": size * 100.0 / total if total else 0,
                    "active": active,
                    "merged": merged,
                }
            snap.classes = classes

    @property
    def tracked_classes(self) -> list[str]:
        """The tracked names, sorted."""
        return sorted(self.index.keys())


# ---------------------------------------------------------------------------
def _ref_rows(refs: tuple, total: int, minsize: int = 0, minpct: float = 0.1) -> list[tuple[int, Asized]]:
    """``(level, Asized)`` of the referents worth showing, depth first, largest first."""
    out = []
    if not total:
        return out
    stack = [(r, 1) for r in sorted(refs, key=lambda r: r.size)]
    while stack:
        ref, level = stack.pop()
        if ref.size > minsize and ref.size * 100.0 / total > minpct:
            out.append((level, ref))
            stack.extend((r, level + 1) for r in sorted(ref.refs, key=lambda r: r.size))
    return out


class ConsoleStats(Stats):
    """Text tables of the statistics, as Pympler prints them."""

    def _print_refs(self, refs: tuple, total: int, prefix: str = "    ", level: int = 1,
                    minsize: int = 0, minpct: float = 0.1) -> None:
        write = self.stream.write
        for lvl, ref in _ref_rows(refs, total, minsize, minpct):
            pad = prefix + "  " * (lvl - 1)
            write("%-50s %-14s %3d%% [%d]\n" % (_cell(pad + str(ref.name), 50), pp(ref.size),
                                               int(ref.size * 100.0 / total), lvl + level - 1))

    def print_object(self, tobj: TrackedObject) -> None:
        """Print one tracked object: identity, trace, its sizes over time, its death."""
        write = self.stream.write
        if tobj.death is not None:
            write("%-32s ( free )   %-35s\n" % (_cell(tobj.name, 32), _cell(tobj.repr, 35)))
        else:
            write("%-32s 0x%08x %-35s\n" % (_cell(tobj.name, 32), tobj.id, _cell(tobj.repr, 35)))
        if tobj.trace:
            write(_format_trace(tobj.trace))
        for timestamp, size in tobj.snapshots:
            write("  %-30s %s\n" % (_fmt_ts(timestamp), pp(size.size)))
            self._print_refs(size.refs, size.size)
        if tobj.death is not None:
            write("  %-30s finalize\n" % (_fmt_ts(tobj.death),))

    def print_stats(self, clsname: str | None = None, limit: float = 1.0) -> None:
        """Print the tracked objects in :attr:`sorted` order (default: :meth:`sort_stats`).

        Parameters
        ----------
        clsname : str, optional
            Only objects whose tracked name contains this text.
        limit : int or float
            A float below 1 prints that fraction of all tracked objects (at least one),
            a number >= 1 that many objects. Filtering comes first.
        """
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit > 0:
            raise ValueError(f"limit={limit!r}: use a count >= 1 or a fraction between 0 and 1")
        if self.tracker is not None:
            self.tracker.stop_periodic_snapshots()
        if not self.sorted:
            self.sort_stats()
        chosen = self.sorted
        if clsname:
            keys = self._keys
            chosen = [t for t in chosen if clsname in keys.get(id(t), {"classname": t.name})["classname"]]
        if limit < 1.0:
            limit = max(1, int(len(self.sorted) * limit))
        with self._guard():
            for tobj in chosen[: int(limit)]:
                self.print_object(tobj)

    def print_summary(self) -> None:
        """Print per snapshot and tracked class: live instances, bytes, average, share."""
        write = self.stream.write
        with self._guard():
            self.annotate()
            classlist = self.tracked_classes
            write("---- SUMMARY " + "-" * 66 + "\n")
            for snap in self.snapshots:
                classes = snap.classes
                write("%-35s %11s %12s %12s %5s\n" % (_cell(snap.desc or snap.label, 35), "active",
                                                       pp(snap.total), "average", "pct"))
                for classname in classlist:
                    info = classes[classname]
                    write("  %-33s %11d %12s %12s %4d%%\n" % (_cell(classname, 33), info["active"],
                                                            pp(info["sum"]), pp(info["avg"]), info["pct"]))
            write("-" * 79 + "\n")


# ---------------------------------------------------------------------------
# HTML report: tables and inline SVG, nothing fetched
_PALETTE = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2",
            "#ff9da6", "#9d755d", "#bab0ac")
_OTHER_COLOR = "#c8c8c8"

_CSS = """
body.pympler-nb-report { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em;
  color: #222; max-width: 1100px; }
.pympler-nb-report h1 { font-size: 1.6em; } .pympler-nb-report h2 { margin-top: 1.6em; }
.pympler-nb-report table { border-collapse: collapse; margin: .5em 0 1em 0; }
.pympler-nb-report th, .pympler-nb-report td { padding: 2px 8px; border-bottom: 1px solid #ddd;
  text-align: left; vertical-align: top; }
.pympler-nb-report td.num, .pympler-nb-report th.num { text-align: right; font-variant-numeric: tabular-nums; }
.pympler-nb-report code, .pympler-nb-report pre { font-family: ui-monospace, Menlo, Consolas, monospace;
  font-size: .9em; }
.pympler-nb-report pre { background: #f6f6f6; padding: .4em; overflow-x: auto; }
.pympler-nb-report .note { color: #666; }
.pympler-nb-report svg text { font-family: system-ui, sans-serif; font-size: 11px; fill: #333; }
"""


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        top = m * 10 ** exp
        if top >= value:
            return top
    return 10 ** (exp + 1)  # pragma: no cover


def _bytes_label(value: float) -> str:
    return format_size(int(round(value)))


def _svg_legend(names: list[str], colors: list[str], x: int, y: int) -> list[str]:
    out = []
    for i, (name, color) in enumerate(zip(names, colors)):
        yy = y + i * 16
        out.append(f'<rect x="{x}" y="{yy}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{x + 14}" y="{yy + 9}">{_esc(clip_text(name, 40))}</text>')
    return out


def _svg_stacked_bars(labels: list[str], series: list[tuple[str, list[int]]], title: str) -> str:
    """Stacked columns: one per snapshot, one colour per series (bytes)."""
    width, height, left, right, top, bottom = 900, 320, 70, 260, 30, 60
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    totals = [sum(vals[i] for _, vals in series) for i in range(len(labels))]
    ymax = _nice_max(max(totals, default=0))
    colors = [(_OTHER_COLOR if name == "other" and j == len(series) - 1 else _PALETTE[j % len(_PALETTE)])
              for j, (name, _) in enumerate(series)]
    out = [f'<svg role="img" aria-label="{_esc(title)}" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">', f'<title>{_esc(title)}</title>',
           f'<text x="{left}" y="18" style="font-size:13px;font-weight:600">{_esc(title)}</text>']
    for i in range(5):
        v = ymax * i / 4
        y = top + plot_h - plot_h * i / 4
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_esc(_bytes_label(v))}</text>')
    slot = plot_w / n
    bar = max(1.0, min(60.0, slot * 0.7))
    for i, label in enumerate(labels):
        x = left + slot * i + (slot - bar) / 2
        base = 0.0
        for (name, vals), color in zip(series, colors):
            v = vals[i]
            if v <= 0:
                continue
            h = plot_h * v / ymax
            y = top + plot_h - plot_h * base / ymax - h
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{color}">'
                       f'<title>{_esc(label)} - {_esc(name)}: {_esc(format_size(v))}</title></rect>')
            base += v
        if n <= 20 or i % math.ceil(n / 20) == 0:
            cx = left + slot * i + slot / 2
            out.append(f'<text x="{cx:.1f}" y="{top + plot_h + 14}" text-anchor="end" '
                       f'transform="rotate(-30 {cx:.1f} {top + plot_h + 14})">{_esc(clip_text(label, 24))}</text>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#888"/>')
    out.extend(_svg_legend([name for name, _ in series], colors, left + plot_w + 20, top))
    out.append("</svg>")
    return "\n".join(out)


def _svg_lines(series: list[tuple[str, list[tuple[float, float]]]], title: str, y_title: str) -> str:
    """Step lines over time (e.g. live instances per class)."""
    width, height, left, right, top, bottom = 900, 280, 70, 260, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [x for _, pts in series for x, _ in pts]
    x0, x1 = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x1 <= x0:
        x1 = x0 + 1.0
    ymax = _nice_max(max((y for _, pts in series for _, y in pts), default=0))
    out = [f'<svg role="img" aria-label="{_esc(title)}" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">', f'<title>{_esc(title)}</title>',
           f'<text x="{left}" y="18" style="font-size:13px;font-weight:600">{_esc(title)}</text>']
    for i in range(5):
        v = ymax * i / 4
        y = top + plot_h - plot_h * i / 4
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:g}</text>')
    for i in range(5):
        t = x0 + (x1 - x0) * i / 4
        x = left + plot_w * i / 4
        out.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{t:.2f}s</text>')
    out.append(f'<text x="14" y="{top + plot_h / 2:.0f}" transform="rotate(-90 14 {top + plot_h / 2:.0f})" '
               f'text-anchor="middle">{_esc(y_title)}</text>')
    colors = [_PALETTE[j % len(_PALETTE)] for j in range(len(series))]
    for (name, pts), color in zip(series, colors):
        if not pts:
            continue
        coords = []
        prev_y = None
        for x, y in pts:
            px = left + plot_w * (x - x0) / (x1 - x0)
            py = top + plot_h - plot_h * y / ymax
            if prev_y is not None:
                coords.append(f"{px:.1f},{prev_y:.1f}")
            coords.append(f"{px:.1f},{py:.1f}")
            prev_y = py
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{" ".join(coords)}">'
                   f'<title>{_esc(name)}</title></polyline>')
    out.extend(_svg_legend([name for name, _ in series], colors, left + plot_w + 20, top))
    out.append("</svg>")
    return "\n".join(out)


def _svg_lifetimes(rows: list[tuple[str, float, float, bool]], t0: float, t1: float, title: str) -> str:
    """One horizontal bar per instance from birth to death (open end: still alive)."""
    left, right, top, row_h = 260, 20, 30, 14
    width = 900
    plot_w = width - left - right
    height = top + row_h * max(len(rows), 1) + 30
    if t1 <= t0:
        t1 = t0 + 1.0
    out = [f'<svg role="img" aria-label="{_esc(title)}" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">', f'<title>{_esc(title)}</title>',
           f'<text x="10" y="18" style="font-size:13px;font-weight:600">{_esc(title)}</text>']
    for j, (word, color) in enumerate((("alive", _PALETTE[0]), ("freed", _PALETTE[1]))):
        x = width - 160 + 80 * j
        out.append(f'<rect x="{x}" y="8" width="10" height="10" fill="{color}"/>'
                   f'<text x="{x + 14}" y="17">{word}</text>')
    for i, (label, birth, death, alive) in enumerate(rows):
        y = top + i * row_h
        xa = left + plot_w * (birth - t0) / (t1 - t0)
        xb = left + plot_w * (death - t0) / (t1 - t0)
        color = _PALETTE[0] if alive else _PALETTE[1]
        out.append(f'<text x="{left - 6}" y="{y + 10}" text-anchor="end">{_esc(clip_text(label, 40))}</text>')
        out.append(f'<rect x="{xa:.1f}" y="{y + 2}" width="{max(xb - xa, 1.0):.1f}" height="{row_h - 4}" '
                   f'fill="{color}"><title>{_esc(label)}: {birth:.3f}s - '
                   f'{"alive" if alive else f"{death:.3f}s"}</title></rect>')
    yb = top + row_h * max(len(rows), 1) + 14
    for i in range(5):
        t = t0 + (t1 - t0) * i / 4
        out.append(f'<text x="{left + plot_w * i / 4:.1f}" y="{yb}" text-anchor="middle">{t:.2f}s</text>')
    out.append("</svg>")
    return "\n".join(out)


def _decimate(points: list[tuple[float, int]], limit: int) -> list[tuple[float, int]]:
    """At most about ``limit`` points of a step series, keeping each bucket's peak."""
    if len(points) <= limit:
        return points
    t0, t1 = points[0][0], points[-1][0]
    span = (t1 - t0) or 1.0
    buckets: dict[int, tuple[float, int]] = {}
    for t, v in points:
        b = min(int((t - t0) / span * limit), limit - 1)
        cur = buckets.get(b)
        if cur is None or v > cur[1]:
            buckets[b] = (t, v)
    out = [buckets[b] for b in sorted(buckets)]
    if out[-1] != points[-1]:
        out.append(points[-1])
    return out


class HtmlStats(Stats):
    """The statistics as one self-contained HTML file (inline SVG charts, no scripts)."""

    def create_html(self, fname: Any, title: str = "ClassTracker Statistics", *, top: int = 8,
                    max_instances: int = 100) -> None:
        """Write the report to ``fname``.

        Parameters
        ----------
        fname : str or path
            The HTML file (nothing else is written).
        title : str
            Page title.
        top : int
            Classes shown by name in the memory chart (the rest is ``'other'``).
        max_instances : int
            Largest instances listed (and drawn) per class.
        """
        if isinstance(top, bool) or not isinstance(top, int) or top < 1:
            raise ValueError(f"top={top!r}: use an int >= 1")
        if isinstance(max_instances, bool) or not isinstance(max_instances, int) or max_instances < 0:
            raise ValueError(f"max_instances={max_instances!r}: use an int >= 0")
        if self.tracker is not None:
            self.tracker.stop_periodic_snapshots()
        with self._guard():
            self.annotate()
            page = self._page(str(title), top, max_instances)
        # a lone surrogate in a name or repr is written as \udc80, not refused
        with open(fname, "w", encoding="utf-8", errors="backslashreplace") as f:
            f.write(page)

    # -- pieces ----------------------------------------------------------------------
    def _memory_series(self, top: int) -> list[tuple[str, list[int]]]:
        classes = self.tracked_classes
        peak = {c: max((s.classes[c]["sum"] for s in self.snapshots), default=0) for c in classes}
        ranked = sorted(classes, key=lambda c: (-peak[c], c))
        shown = [c for c in ranked[:top] if peak[c] > 0]
        rest = [c for c in ranked if c not in shown]
        series = [(c, [s.classes[c]["sum"] for s in self.snapshots]) for c in shown]
        if rest:
            other = [sum(s.classes[c]["sum"] for c in rest) for s in self.snapshots]
            if any(other):
                series.append(("other", other))
        return series

    def _page(self, title: str, top: int, max_instances: int) -> str:
        out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
               f"<title>{_esc(title)}</title><style>{_CSS}</style></head>",
               '<body class="pympler-nb-report">', f"<h1>{_esc(title)}</h1>"]
        n_objs = sum(len(v) for v in self.index.values())
        out.append(f'<p class="note">{len(self.snapshots)} snapshots, {len(self.index)} tracked classes, '
                   f"{n_objs} tracked objects. Sizes are deep sizes; data shared by several tracked "
                   "objects is counted once, for the first of them.</p>")
        out.append("<h2>Memory distribution over time</h2>")
        series = self._memory_series(top)
        if self.snapshots and series:
            out.append(_svg_stacked_bars([s.label for s in self.snapshots], series,
                                         "Tracked memory per class and snapshot"))
        else:
            out.append('<p class="note">No snapshot with tracked memory.</p>')
        hist = self.history
        ranked = [name for name, _ in series if name != "other"] or self.tracked_classes[:top]
        lines = [(name, _decimate(hist.get(name, []), 600)) for name in ranked if hist.get(name)]
        if lines:
            out.append(_svg_lines(lines, "Live instances over time", "instances"))
        out.append("<h2>Snapshots</h2>")
        for i, snap in enumerate(self.snapshots):
            out.append(self._snapshot_html(i, snap))
        out.append("<h2>Classes</h2>")
        for classname in self.tracked_classes:
            out.append(self._class_html(classname, max_instances))
        rows = [{"snapshot": i, "label": s.label, "timestamp": s.timestamp, "class": c,
                 "active": info["active"], "size": info["sum"], "average": info["avg"], "pct": info["pct"]}
                for i, s in enumerate(self.snapshots) for c, info in sorted(s.classes.items())]
        data = json.dumps(rows, ensure_ascii=True, allow_nan=False).replace("</", "<\\/")
        out.append(f'<script type="application/json" id="pympler-nb-classes">{data}</script>')
        out.append("</body></html>\n")
        return "\n".join(out)

    def _snapshot_html(self, i: int, snap: Snapshot) -> str:
        out = [f'<h3 id="snapshot-{i}">{_esc(snap.desc or "Untitled")} snapshot'
               f' at {_esc(_fmt_ts(snap.timestamp))}</h3>']
        system = snap.system_total
        if getattr(system, "available", False):
            proc = (f"The process's virtual size was {_esc(format_size(system.vsz))}, its resident set "
                    f"{_esc(format_size(system.rss))}.")
        else:
            proc = "The process's memory was not available."
        total = f" All objects known to the gc: {_esc(format_size(snap.asizeof_total))}." if snap.asizeof_total else ""
        out.append(f"<p>{proc} Tracked objects: {_esc(format_size(snap.tracked_total))}; the tracker's own "
                   f"bookkeeping: {_esc(format_size(snap.overhead))}.{total}</p>")
        out.append('<table><tr><th>Class</th><th class="num">Instances</th><th class="num">Total</th>'
                   '<th class="num">Average</th><th class="num">Share</th></tr>')
        for classname in self.tracked_classes:
            info = snap.classes[classname]
            out.append(f'<tr><td><a href="#class-{_esc(_anchor(classname))}">{_esc(classname)}</a></td>'
                       f'<td class="num">{info["active"]}</td><td class="num">{_esc(format_size(info["sum"]))}</td>'
                       f'<td class="num">{_esc(format_size(int(info["avg"])))}</td>'
                       f'<td class="num">{info["pct"]:.2f}%</td></tr>')
        out.append("</table>")
        return "\n".join(out)

    def _refs_table(self, refs: tuple, total: int) -> str:
        rows = _ref_rows(refs, total)
        if not rows:
            return ""
        out = ["<table>"]
        for level, ref in rows:
            out.append(f'<tr><td style="padding-left:{8 + 16 * (level - 1)}px"><code>'
                       f"{_esc(clip_text(str(ref.name), 128))}</code></td>"
                       f'<td class="num">{_esc(format_size(ref.size))}</td>'
                       f'<td class="num">{ref.size * 100.0 / total:.1f}%</td></tr>')
        out.append("</table>")
        return "\n".join(out)

    def _class_html(self, classname: str, max_instances: int) -> str:
        tobjs = self.index[classname]
        out = [f'<h3 id="class-{_esc(_anchor(classname))}">{_esc(classname)}</h3>']
        if not tobjs:
            out.append("<p>No instances were tracked.</p>")
            return "\n".join(out)
        sizes = [t.get_max_size() for t in tobjs]
        out.append(f"<p>{len(tobjs)} instances were tracked. Largest size per instance: average "
                   f"{_esc(format_size(int(sum(sizes) / len(sizes))))}, smallest {_esc(format_size(min(sizes)))}, "
                   f"largest {_esc(format_size(max(sizes)))}.</p>")
        for snap in self.snapshots:
            merged = snap.classes[classname]["merged"]
            if merged.refs:
                out.append(f"<h4>Referents merged over all instances, {_esc(snap.label)}: "
                           f"{_esc(format_size(merged.size))}</h4>")
                out.append(self._refs_table(merged.refs, merged.size))
        chosen = sorted(tobjs, key=lambda t: (-t.get_max_size(), t.birth))[:max_instances]
        if chosen:
            ends = [t.death for t in tobjs if t.death is not None]
            t0 = min(t.birth for t in tobjs)
            t1 = max([s.timestamp for s in self.snapshots] + ends + [t.birth for t in tobjs])
            rows = [(f"{t.name} 0x{t.id:x}", t.birth, t.death if t.death is not None else t1, t.death is None)
                    for t in sorted(chosen, key=lambda t: t.birth)]
            out.append(_svg_lifetimes(rows, t0, t1, f"Lifetimes of the {len(chosen)} largest instances"))
        out.append('<table><tr><th>Instance</th><th>Representation</th><th>Lifetime</th>'
                   '<th class="num">Sizes</th></tr>')
        for tobj in chosen:
            life = f"{_fmt_ts(tobj.birth)} - {_fmt_ts(tobj.death) if tobj.death is not None else 'alive'}"
            trace = f"<pre>{_esc(_format_trace(tobj.trace))}</pre>" if tobj.trace else ""
            cells = []
            for ts, size, _flat, tree in tobj._iter_samples():
                refs = self._refs_table(tree.refs, size) if tree is not None else ""
                cells.append(f"<div>{_esc(_fmt_ts(ts))}: {_esc(format_size(size))}{refs}</div>")
            out.append(f"<tr><td><code>0x{tobj.id:x}</code></td><td><code>{_esc(tobj.repr)}</code>{trace}</td>"
                       f"<td>{_esc(life)}</td><td class=\"num\">{''.join(cells) or '-'}</td></tr>")
        out.append("</table>")
        if len(tobjs) > len(chosen):
            out.append(f'<p class="note">{len(tobjs) - len(chosen)} smaller instances not listed.</p>')
        return "\n".join(out)


def _anchor(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
