"""Allocation tracing over :mod:`tracemalloc`: per-line statistics, peaks, diffs.

The block tracer (the contract ``%%memdiff --trace`` builds on)
----------------------------------------------------------------

>>> from pympler_nb.core import allocations
>>> with allocations.trace(frames=1) as t:
...     data = [bytearray(1000) for _ in range(100)]
>>> t.peak >= 100 * 1000
True
>>> top = t.statistics("lineno")[0]         # the block's line 2: 100 bytearrays and the list
>>> top.lineno, top.count > 100, top.size > 100 * 1000
(2, True, True)

``trace(frames=1)`` returns a :class:`Tracer`; ``with`` it around the code to observe:

- **Enter.** Starts ``tracemalloc`` with ``frames`` frames per traceback *if it was not
  tracing*.  If it was already tracing, tracing goes on with the user's depth (tracemalloc
  cannot change the depth without dropping every trace; ``t.frames`` tells the depth in
  effect) and a start snapshot is taken so that only what the block did is reported.
  Then it records the traced memory (``t.start_memory``) and resets the peak.
- **Exit** (also when the block raises; the exception propagates).  Reads the traced
  memory, takes a snapshot without the tool's own allocations (traces whose most recent
  frame is in the ``pympler_nb`` package or in ``tracemalloc.py``), and stops tracing
  *only if it started it*.
- **Results** (valid after the block; read-only):

  ``t.peak``
      highest traced memory during the block, in bytes above the level at entry;
  ``t.current``
      traced memory at exit minus at entry (net growth, may be negative);
  ``t.statistics(key='lineno', *, filename=None, cumulative=False, limit=None)``
      list of :class:`Stat` (``filename``, ``lineno``, ``size``, ``count``, ``traceback``):
      the memory allocated during the block and still allocated at its end, grouped by
      ``'lineno'``, ``'filename'`` or ``'traceback'``, largest first.  ``filename`` (an
      ``fnmatch`` pattern, e.g. the cell's file name) keeps only allocations made by
      those files: each trace is attributed to its most recent frame that matches,
      so a line that calls into a library is charged with the library's allocations
      (this needs ``frames`` deep enough to reach the line: ``frames=1`` sees only
      allocations made directly by the matching code; ``trace(frames=25)`` is a good
      choice for notebook cells).  Traces without a matching frame are left out;
  ``t.snapshot``
      the filtered end :class:`Snapshot` (``t.start_snapshot``: the start one, or None
      when the tracer started tracemalloc itself, since then every trace is new).

  Peaks of nested tracers stay right: an inner tracer (or :func:`reset_peak`) records
  the peak so far into every active tracer before it resets tracemalloc's peak.  A
  tracer started with tracing off cannot know the user's earlier peak (there was none);
  with tracing on, tracemalloc's peak is reset (the previous peak is kept in
  ``t.previous_peak``).

The rest is a thin, safer layer over :mod:`tracemalloc`: :func:`start`, :func:`stop`,
:func:`is_tracing`, :func:`take_snapshot` (own allocations filtered out),
:class:`Snapshot` (``statistics``, ``compare_to``, ``filter_traces``, ``dump``, ``load``),
:class:`Filter` / :class:`DomainFilter` (tracemalloc's own), :func:`get_traced_memory`,
:func:`reset_peak`.  Results are small immutable records (:class:`Stat`,
:class:`StatDiff`); ``pympler_nb.frames.alloc_stats_frame`` /
``alloc_diff_frame`` turn them into DataFrames.

``dump``/``load`` use tracemalloc's own file format (a pickle of a
``tracemalloc.Snapshot``), so files are interchangeable with ``tracemalloc``.
:func:`load` does not unpickle: a reader of our own interprets only the opcodes of a
snapshot file and builds only tracemalloc's snapshot classes and plain data, without
calling, hashing or printing anything, so a hostile file can neither run code nor
expand shared references exponentially (it raises :class:`SnapshotFormatError`, in
time and memory linear in its size).  ``tracemalloc.Snapshot.load`` has no such guard.
"""

from __future__ import annotations

import fnmatch
import os
import re
import struct as _struct
import sys
import time
import tracemalloc
from typing import NamedTuple
from itertools import compress
from operator import itemgetter, not_
from tracemalloc import DomainFilter, Filter

from . import _safeio
from ._format import format_size
from ._layout import count_elements
from .values import Frozen, check_int

__all__ = [
    "trace",
    "Tracer",
    "start",
    "stop",
    "is_tracing",
    "get_traceback_limit",
    "take_snapshot",
    "Snapshot",
    "Stat",
    "StatDiff",
    "Filter",
    "DomainFilter",
    "TracedMemory",
    "get_traced_memory",
    "reset_peak",
    "own_filters",
    "load",
    "SnapshotFormatError",
    "KEY_TYPES",
]

KEY_TYPES = ("lineno", "filename", "traceback")

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TRACEMALLOC_FILE = tracemalloc.__file__


def _normalize(filename: str) -> str:
    """tracemalloc's file name normalization (``.pyc`` -> ``.py``)."""
    return filename[:-1] if filename.lower().endswith(".pyc") else filename


def _is_own_file(filename: str) -> bool:
    filename = _normalize(filename)
    return filename == _TRACEMALLOC_FILE or filename.startswith(_PACKAGE_DIR + os.sep)


def own_filters() -> list:
    """The filters that remove the tool's own allocations (most recent frame only).

    Equivalent to what :func:`take_snapshot` applies; useful with a plain
    ``tracemalloc.Snapshot.filter_traces``.
    """
    return [Filter(False, os.path.join(_PACKAGE_DIR, "*")), Filter(False, _TRACEMALLOC_FILE)]


# raw traces are (domain, size, traceback, total_nframe); a traceback is its frames,
# most recent first; a frame is (filename, lineno)
_trace_size = itemgetter(1)
_trace_frames = itemgetter(2)
_newest_frame = itemgetter(0)
_frame_file = itemgetter(0)


def _without_own(raw: list) -> list:
    """Raw traces whose most recent frame is not in our files (C-level loops)."""
    try:
        names = list(map(_frame_file, map(_newest_frame, map(_trace_frames, raw))))
    except IndexError:  # a trace without frames (hand-made snapshot): slow path
        return [t for t in raw if not (t[2] and _is_own_file(t[2][0][0]))]
    own = {name for name in set(names) if _is_own_file(name)}
    if not own:
        return raw if isinstance(raw, list) else list(raw)
    return list(compress(raw, map(not_, map(own.__contains__, names))))


# --------------------------------------------------------------------------
# result records
# --------------------------------------------------------------------------

def _format_frames(traceback: tuple) -> str:
    return "\n".join("  %s:%s" % frame for frame in traceback)


class _Record(Frozen):
    """An immutable record with fields ``__slots__`` (set once, by position), equal by
    value."""

    __slots__ = ()

    def __init__(self, *values):
        if len(values) != len(self.__slots__):
            raise TypeError("%s takes %d values (%s)" % (type(self).__name__, len(self.__slots__),
                                                        ", ".join(self.__slots__)))
        self._set(**dict(zip(self.__slots__, values)))

    def _where(self) -> str:
        return self.filename if self.lineno is None else "%s:%s" % (self.filename, self.lineno)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self):
        return hash(self._values())


class Stat(_Record):
    """Memory allocated by one line (or file, or traceback): an immutable record.

    Attributes
    ----------
    filename : str
        The file (for ``key='traceback'``: of the most recent frame).
    lineno : int or None
        The line; None when grouped by ``'filename'``.
    size : int
        Bytes (for a block tracer: net bytes allocated during the block).
    count : int
        Memory blocks.
    traceback : tuple of (str, int)
        The frames, **most recent first**; one frame unless ``key='traceback'``.
    """

    __slots__ = ("filename", "lineno", "size", "count", "traceback")

    @property
    def average(self) -> float:
        """Mean block size in bytes (0 when ``count`` is 0)."""
        return self.size / self.count if self.count else 0.0

    def __str__(self):
        text = "%s: size=%s, count=%i" % (self._where(), format_size(self.size), self.count)
        if self.count:
            text += ", average=%s" % format_size(int(self.average))
        return text

    def __repr__(self):
        return "<Stat %s size=%i count=%i>" % (self._where(), self.size, self.count)

    def format(self) -> str:
        """The line and its traceback frames (most recent first), one per line."""
        return "%s\n%s" % (self, _format_frames(self.traceback))


class StatDiff(_Record):
    """Difference of one line (file, traceback) between two snapshots (immutable).

    Attributes: ``filename``, ``lineno`` (None for ``'filename'``), ``size`` and
    ``count`` (in the new snapshot), ``size_diff`` and ``count_diff`` (new - old),
    ``traceback`` (frames, most recent first).
    """

    __slots__ = ("filename", "lineno", "size", "size_diff", "count", "count_diff", "traceback")

    def __str__(self):
        return "%s: size=%s (%s), count=%i (%+i)" % (
            self._where(), format_size(self.size), format_size(self.size_diff, sign=True),
            self.count, self.count_diff)

    def __repr__(self):
        return "<StatDiff %s size=%i (%+i) count=%i (%+i)>" % (
            self._where(), self.size, self.size_diff, self.count, self.count_diff)


class TracedMemory(NamedTuple):
    """Traced memory in bytes: ``current`` and ``peak`` (a named tuple)."""

    current: int
    peak: int


# --------------------------------------------------------------------------
# grouping raw traces
# --------------------------------------------------------------------------

def _check_key(key_type: object, cumulative: object) -> None:
    if key_type not in KEY_TYPES:
        raise ValueError("unknown key_type %r: use one of %s"
                         % (key_type, ", ".join(map(repr, KEY_TYPES))))
    if not isinstance(cumulative, (bool, int)):
        raise TypeError("cumulative must be True or False, got %r" % (cumulative,))
    if cumulative and key_type == "traceback":
        raise ValueError("cumulative=True works with key_type 'lineno' or 'filename', "
                         "not 'traceback'")


def _matcher(pattern: str | None):
    """``filename -> bool`` for an fnmatch pattern (cached per file name)."""
    if pattern is None:
        return None
    if not isinstance(pattern, str):
        raise TypeError("filename must be a str (an fnmatch pattern) or None, got %r" % (pattern,))
    pat = _normalize(pattern)
    cache: dict[str, bool] = {}

    def match(name: str) -> bool:
        got = cache.get(name)
        if got is None:
            got = cache[name] = fnmatch.fnmatch(_normalize(name), pat)
        return got

    return match


def _group(raw: list, key_type: str, cumulative: bool, pattern: str | None) -> dict:
    """``{key: [size, count, traceback]}`` of raw tracemalloc traces.

    Keys: ``(filename, lineno)`` for 'lineno', ``(filename, None)`` for 'filename',
    the frames tuple for 'traceback'.  With ``pattern`` every trace is attributed to
    its most recent frame matching it (cumulative: every matching frame, once each).
    """
    match = _matcher(pattern)
    acc: dict = {}
    # 1. each distinct traceback -> its keys (few distinct tracebacks, many traces)
    # (by identity first: tracemalloc shares one tuple per distinct traceback, and
    # hashing deep tuples per trace would cost more than the rest)
    tbs = list(map(_trace_frames, raw))
    ids = list(map(id, tbs))
    counts: dict = {}
    count_elements(counts, ids)
    sizes = dict.fromkeys(counts, 0)
    for tid, size in zip(ids, map(_trace_size, raw)):
        sizes[tid] += size
    by_id = dict(zip(ids, tbs))
    del tbs, ids
    merged: dict = {}
    for tid, size in sizes.items():
        tb = by_id[tid]
        slot = merged.get(tb)
        if slot is None:
            merged[tb] = [size, counts[tid]]
        else:
            slot[0] += size
            slot[1] += counts[tid]
    del by_id, sizes, counts
    for tb, (size, count) in merged.items():
        if not tb:
            tb = (("<unknown>", 0),)
        if match is None:
            frames = tb if cumulative else tb[:1]
        else:
            frames = [f for f in tb if match(f[0])]
            if not frames:
                continue
            if not cumulative:
                frames = frames[:1]
        if key_type == "traceback":
            keys = [(tb, tb)] if match is None else [(tb[tb.index(frames[0]):],) * 2]
        elif key_type == "lineno":
            keys = [(f, (f,)) for f in dict.fromkeys(frames)]
        else:
            keys = [((f[0], None), ((f[0], 0),)) for f in dict.fromkeys(frames)]
            keys = list(dict(keys).items())
        for key, frames_of_key in keys:
            slot = acc.get(key)
            if slot is None:
                acc[key] = [size, count, frames_of_key]
            else:
                slot[0] += size
                slot[1] += count
    return acc


def _split_key(key, key_type: str) -> tuple:
    if key_type == "traceback":
        return key[0][0], key[0][1]
    return key[0], key[1]


def _stats_from(acc: dict, key_type: str, limit: int | None) -> list:
    out = []
    for key, (size, count, frames) in acc.items():
        filename, lineno = _split_key(key, key_type)
        if key_type == "filename":
            frames = ((filename, 0),)
        out.append(Stat(filename, lineno, size, count, tuple(frames)))
    out.sort(key=lambda s: (-s.size, -s.count, s.filename, s.lineno or 0))
    return out if limit is None else out[:limit]


def _diffs_from(new: dict, old: dict, key_type: str, limit: int | None) -> list:
    out = []
    for key, (size, count, frames) in new.items():
        prev = old.get(key)
        osize, ocount = (prev[0], prev[1]) if prev is not None else (0, 0)
        filename, lineno = _split_key(key, key_type)
        out.append(StatDiff(filename, lineno, size, size - osize, count, count - ocount,
                            tuple(frames)))
    for key, (size, count, frames) in old.items():
        if key not in new:
            filename, lineno = _split_key(key, key_type)
            out.append(StatDiff(filename, lineno, 0, -size, 0, -count, tuple(frames)))
    out.sort(key=lambda s: (-abs(s.size_diff), -s.size, -abs(s.count_diff), -s.count,
                            s.filename, s.lineno or 0))
    return out if limit is None else out[:limit]


# --------------------------------------------------------------------------
# snapshots
# --------------------------------------------------------------------------

class SnapshotFormatError(ValueError):
    """A snapshot file is not a tracemalloc snapshot this module accepts."""


class Snapshot(Frozen):
    """An immutable tracemalloc snapshot with pympler_nb's statistics.

    Wraps a ``tracemalloc.Snapshot`` (``raw``).  Operations return new objects.

    Attributes
    ----------
    raw : tracemalloc.Snapshot
    traceback_limit : int
        Frames stored per traceback when the snapshot was taken.
    """

    __slots__ = ("raw",)

    def __init__(self, raw: tracemalloc.Snapshot):
        if not isinstance(raw, tracemalloc.Snapshot):
            raise TypeError("Snapshot wraps a tracemalloc.Snapshot, got %s (use "
                            "allocations.take_snapshot() or allocations.load(path))"
                            % type(raw).__name__)
        self._set(raw=raw)

    @property
    def traceback_limit(self) -> int:
        return self.raw.traceback_limit

    @property
    def _traces(self) -> list:
        return self.raw.traces._traces

    def __len__(self) -> int:
        """Number of traces (allocated memory blocks)."""
        return len(self._traces)

    @property
    def size(self) -> int:
        """Total traced bytes in the snapshot."""
        return sum(map(_trace_size, self._traces))

    def __repr__(self):
        return "<allocations.Snapshot traces=%d size=%s traceback_limit=%s>" % (
            len(self), format_size(self.size), self.traceback_limit)

    def statistics(self, key_type: str = "lineno", cumulative: bool = False, *,
                   filename: str | None = None, limit: int | None = None) -> list:
        """Allocated memory grouped by ``key_type``, largest first: a list of :class:`Stat`.

        Parameters
        ----------
        key_type : {'lineno', 'filename', 'traceback'}
        cumulative : bool
            Count a trace in every frame of its traceback (each distinct frame once),
            not just the most recent one.
        filename : str, optional
            fnmatch pattern: keep allocations made by matching files, each charged to
            its most recent matching frame.
        limit : int, optional
            Return at most this many rows.
        """
        _check_key(key_type, cumulative)
        check_int(limit, "limit", none="no limit")
        return _stats_from(_group(self._traces, key_type, cumulative, filename), key_type, limit)

    def compare_to(self, old_snapshot: "Snapshot", key_type: str = "lineno",
                   cumulative: bool = False, *, filename: str | None = None,
                   limit: int | None = None) -> list:
        """Differences from ``old_snapshot``: a list of :class:`StatDiff` sorted by the
        absolute size difference (then size, absolute count difference, count)."""
        old = _as_snapshot(old_snapshot, "old_snapshot")
        _check_key(key_type, cumulative)
        check_int(limit, "limit", none="no limit")
        new_acc = _group(self._traces, key_type, cumulative, filename)
        old_acc = _group(old._traces, key_type, cumulative, filename)
        return _diffs_from(new_acc, old_acc, key_type, limit)

    def filter_traces(self, filters) -> "Snapshot":
        """A new snapshot keeping the traces that pass ``filters`` (tracemalloc's rules:
        a trace must match one inclusive filter, if any, and no exclusive one)."""
        if isinstance(filters, (Filter, DomainFilter)):
            filters = [filters]
        filters = list(filters)
        for f in filters:
            if not isinstance(f, (Filter, DomainFilter)):
                raise TypeError("filters must be allocations.Filter or DomainFilter objects, "
                                "got %r" % (f,))
        return Snapshot(self.raw.filter_traces(filters))

    def without_own(self) -> "Snapshot":
        """A new snapshot without the tool's own allocations (see :func:`own_filters`)."""
        return Snapshot(tracemalloc.Snapshot(_without_own(self._traces), self.traceback_limit))

    def dump(self, path) -> None:
        """Write the snapshot in tracemalloc's format (``tracemalloc.Snapshot.dump``)."""
        self.raw.dump(_safeio.fspath(path, "tracemalloc snapshot"))

    @staticmethod
    def load(path, *, max_bytes: int = _safeio.MAX_BYTES) -> "Snapshot":
        """Read a snapshot file safely; see :func:`load`."""
        return load(path, max_bytes=max_bytes)


def _as_snapshot(obj, name: str) -> Snapshot:
    if isinstance(obj, Snapshot):
        return obj
    if isinstance(obj, tracemalloc.Snapshot):
        return Snapshot(obj)
    raise TypeError("%s must be an allocations.Snapshot (or tracemalloc.Snapshot), got %s"
                    % (name, type(obj).__name__))


# --------------------------------------------------------------------------
# reading snapshot files: a pickle reader of our own
# --------------------------------------------------------------------------
#
# tracemalloc's format is a pickle of a tracemalloc.Snapshot.  ``pickle.Unpickler``
# (even with a restricted ``find_class``) is not safe on hostile files: a few hundred
# bytes of shared references (memo gets) make a DAG whose hashing (dict keys, sets)
# or repr expands exponentially, and deeply nested tuples overflow the C stack when
# hashed.  This reader interprets only the opcodes a snapshot needs, never calls
# anything, never hashes or prints what it builds, and refuses everything else; its
# work and memory are linear in the file's size.  The result is then checked at the
# fixed depths of the format (each traceback once, however often it is shared) and
# only then turned into a ``tracemalloc.Snapshot``.

_ALLOWED_CLASSES = {("tracemalloc", "Snapshot"): tracemalloc.Snapshot,
                    ("tracemalloc", "_Traces"): tracemalloc._Traces}
#: largest integer a snapshot field may hold (pandas' int64)
_INT_LIMIT = 1 << 63
#: deepest stack a snapshot file needs: a batch of 1000 traces or a traceback of up to
#: 65535 frames (tracemalloc's largest depth) between a MARK and its TUPLE
_MAX_STACK = 70_000


class _Global:
    __slots__ = ("cls",)

    def __init__(self, cls):
        self.cls = cls


class _Instance:
    """An allowed class's instance as the file describes it (nothing is called)."""

    __slots__ = ("cls", "state")

    def __init__(self, cls):
        self.cls = cls
        self.state = None


class _Mark:
    __slots__ = ()


_MARK = _Mark()


def _kind(obj) -> str:
    """What a value read from a file is, without printing it (no repr: it may be a DAG)."""
    if type(obj) is _Instance:
        return "a %s object" % obj.cls.__name__
    if type(obj) is int:
        return "int %d" % obj if -10**12 < obj < 10**12 else "an int of %d bits" % obj.bit_length()
    if type(obj) is str:
        return "str of length %d" % len(obj)
    if obj is None:
        return "None"
    return "a %s of %d items" % (type(obj).__name__, len(obj)) if type(obj) in (tuple, list, dict) \
        else type(obj).__name__


# What Snapshot.dump writes most: a frame (filename from the memo, line number) and a
# trace (domain, size, traceback from the memo, total frames), each memoized.  Each
# layout is one alternative of a regex (``lastindex`` tells which) with a struct
# format to read its numbers: one match instead of 4 to 7 opcodes.  Anything else
# goes through the general loop.
def _layouts(prefix: bytes, parts: list, suffix: bytes):
    from itertools import product

    alts, fmts = [], {}
    for i, combo in enumerate(product(*parts), 1):
        alts.append(b"(" + re.escape(prefix) + b"".join(re.escape(op) + b"." * size for op, size, _ in combo)
                    + re.escape(suffix) + b")")
        fmts[i] = _struct.Struct("<" + "x" * len(prefix) + "".join("x" + f for _, _, f in combo))
    return re.compile(b"|".join(alts), re.S).match, fmts


_INT_OPS = [(b"K", 1, "B"), (b"M", 2, "H"), (b"J", 4, "i")]
_GET_OPS = [(b"h", 1, "B"), (b"j", 4, "I")]
_FRAME_MATCH, _FRAME_FMT = _layouts(b"", [_GET_OPS, _INT_OPS[:2]], b"\x86\x94")
_TRACE_MATCH, _TRACE_FMT = _layouts(b"(", [_INT_OPS[:1], _INT_OPS, _GET_OPS, _INT_OPS[:1]], b"t\x94")


def _read_pickle(data, path: str):
    """Interpret the pickle ``data`` (protocol 2 to 5, the opcodes of a snapshot file).

    One pass over the opcodes, the frequent ones first; the loop only pushes, pops
    and builds tuples, lists and str-keyed dicts.  Truncated or inconsistent data
    ends in :class:`SnapshotFormatError`.
    """
    data = bytes(data)
    n = len(data)
    if n < 2 or data[0] != 0x80 or not 2 <= data[1] <= 5:
        raise SnapshotFormatError("%s: not a tracemalloc snapshot (no pickle protocol 2-5 header; "
                                  "Snapshot.dump writes one)" % path)
    stack: list = []
    push = stack.append
    marks: list = []
    memo: list = []  # a list: 8 bytes per entry (picklers number entries 0, 1, 2...)
    memoize = memo.append
    # containers and instances built: a real file spends 4 bytes or more on each, so
    # memory stays within a small multiple of the file's size
    budget = n // 4 + 16
    unpack_from = _struct.unpack_from
    pos = 2
    at = 0

    def bad(what: str) -> SnapshotFormatError:
        return SnapshotFormatError("%s: not a readable tracemalloc snapshot (%s at byte %d)"
                                   % (path, what, at))

    def text(start: int, length: int) -> str:
        if start + length > n:
            raise bad("truncated string")
        try:
            return data[start:start + length].decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            raise bad("a string that is not UTF-8") from None

    def pop_mark() -> list:
        if not marks:
            raise bad("no MARK for this opcode")
        k = marks.pop()
        items = stack[k + 1:]
        del stack[k:]  # the items and the mark
        return items

    frame_at, frame_fmt, trace_at, trace_fmt = _FRAME_MATCH, _FRAME_FMT, _TRACE_MATCH, _TRACE_FMT
    try:
        while True:
            at = pos
            op = data[pos]
            pos += 1
            if op == 0x28 or op == 0x68 or op == 0x6A:  # fast paths: a whole trace or frame
                m = trace_at(data, at) if op == 0x28 else frame_at(data, at)
                if m is not None:
                    budget -= 1
                    if len(stack) > _MAX_STACK:
                        raise bad("more than %d values on the stack" % _MAX_STACK)
                    if op == 0x28:
                        d, size, ref, nframe = trace_fmt[m.lastindex].unpack_from(data, at)
                        item = (d, size, memo[ref], nframe)
                    else:
                        ref, lineno = frame_fmt[m.lastindex].unpack_from(data, at)
                        item = (memo[ref], lineno)
                    push(item)
                    memoize(item)
                    pos = m.end()
                    continue
            if op == 0x4B:  # BININT1
                push(data[pos])
                pos += 1
            elif op == 0x94:  # MEMOIZE
                memoize(stack[-1])
            elif op == 0x86:  # TUPLE2
                budget -= 1
                b = stack.pop()
                stack[-1] = (stack[-1], b)
            elif op == 0x68:  # BINGET
                push(memo[data[pos]])  # shared, never copied
                pos += 1
            elif op == 0x4D:  # BININT2
                push(data[pos] | data[pos + 1] << 8)
                pos += 2
            elif op == 0x6A:  # LONG_BINGET
                push(memo[unpack_from("<I", data, pos)[0]])
                pos += 4
            elif op == 0x28:  # MARK
                if len(stack) > _MAX_STACK:
                    raise bad("more than %d values on the stack" % _MAX_STACK)
                marks.append(len(stack))
                push(_MARK)
            elif op == 0x74:  # TUPLE
                budget -= 1
                push(tuple(pop_mark()))
            elif op == 0x4A:  # BININT
                push(unpack_from("<i", data, pos)[0])
                pos += 4
            elif op == 0x4E:  # NONE
                push(None)
            elif op == 0x85:  # TUPLE1
                budget -= 1
                stack[-1] = (stack[-1],)
            elif op == 0x87:  # TUPLE3
                budget -= 1
                c = stack.pop()
                b = stack.pop()
                stack[-1] = (stack[-1], b, c)
            elif op == 0x29:  # EMPTY_TUPLE
                push(())
            elif op == 0x8C:  # SHORT_BINUNICODE
                length = data[pos]
                push(text(pos + 1, length))
                pos += 1 + length
            elif op == 0x58:  # BINUNICODE
                length = unpack_from("<I", data, pos)[0]
                push(text(pos + 4, length))
                pos += 4 + length
            elif op == 0x8D:  # BINUNICODE8
                length = unpack_from("<Q", data, pos)[0]
                push(text(pos + 8, length))
                pos += 8 + length
            elif op in (0x8A, 0x8B):  # LONG1, LONG4
                if op == 0x8A:
                    length = data[pos]
                    pos += 1
                else:
                    length = unpack_from("<i", data, pos)[0]
                    pos += 4
                if not 0 <= length <= 9:
                    raise bad("an integer of %d bytes (no snapshot field needs more than 8)" % length)
                if pos + length > n:
                    raise bad("truncated integer")
                push(int.from_bytes(data[pos:pos + length], "little", signed=True))
                pos += length
            elif op == 0x95:  # FRAME: the length of the next frame (only a hint)
                pos += 8
            elif op in (0x71, 0x72):  # BINPUT, LONG_BINPUT
                if op == 0x71:
                    index = data[pos]
                    pos += 1
                else:
                    index = unpack_from("<I", data, pos)[0]
                    pos += 4
                if index == len(memo):
                    memoize(stack[-1])
                elif index < len(memo):
                    memo[index] = stack[-1]
                else:
                    raise bad("memo entry %d out of sequence" % index)
            elif op == 0x5D:  # EMPTY_LIST
                budget -= 1
                if len(stack) > _MAX_STACK:
                    raise bad("more than %d values on the stack" % _MAX_STACK)
                push([])
            elif op == 0x61:  # APPEND
                item = stack.pop()
                if type(stack[-1]) is not list:
                    raise bad("APPEND to %s" % _kind(stack[-1]))
                stack[-1].append(item)
            elif op == 0x65:  # APPENDS
                items = pop_mark()
                if not stack or type(stack[-1]) is not list:
                    raise bad("APPENDS to %s" % (_kind(stack[-1]) if stack else "nothing"))
                stack[-1].extend(items)
            elif op == 0x7D:  # EMPTY_DICT
                budget -= 1
                if len(stack) > _MAX_STACK:
                    raise bad("more than %d values on the stack" % _MAX_STACK)
                push({})
            elif op in (0x73, 0x75):  # SETITEM, SETITEMS
                if op == 0x73:
                    value = stack.pop()
                    items = [stack.pop(), value]
                else:
                    items = pop_mark()
                target = stack[-1] if stack else None
                if type(target) is not dict or len(items) % 2:
                    raise bad("SETITEM(S) on %s" % _kind(target))
                for k in range(0, len(items), 2):
                    key = items[k]
                    if type(key) is not str:  # only str keys: nothing else is ever hashed
                        raise bad("a dict key that is %s, not a str" % _kind(key))
                    if key in target:
                        raise bad("duplicate key %r" % key[:40])
                    target[key] = items[k + 1]
            elif op in (0x93, 0x63):  # STACK_GLOBAL, GLOBAL
                if op == 0x93:
                    name = stack.pop()
                    module = stack.pop()
                else:
                    end1 = data.find(b"\n", pos, min(n, pos + 256))
                    end2 = data.find(b"\n", end1 + 1, min(n, end1 + 257)) if end1 >= 0 else -1
                    if end2 < 0:
                        raise bad("a malformed GLOBAL")
                    module, name = text(pos, end1 - pos), text(end1 + 1, end2 - end1 - 1)
                    pos = end2 + 1
                cls = _ALLOWED_CLASSES.get((module, name)) if type(module) is str and type(name) is str \
                    else None
                if cls is None:
                    raise SnapshotFormatError(
                        "%s: refusing to load %s.%s: a tracemalloc snapshot file holds only "
                        "tracemalloc.Snapshot data (is this file from Snapshot.dump?)"
                        % (path, module[:80] if type(module) is str else _kind(module),
                           name[:80] if type(name) is str else _kind(name)))
                push(_Global(cls))
            elif op == 0x81:  # NEWOBJ: cls, args -> an empty instance (nothing is called)
                budget -= 1
                args = stack.pop()
                cls = stack.pop()
                if type(cls) is not _Global or type(args) is not tuple or args:
                    raise bad("NEWOBJ of %s" % _kind(cls))
                push(_Instance(cls.cls))
            elif op == 0x62:  # BUILD: set an instance's state once
                state = stack.pop()
                target = stack[-1]
                if type(target) is not _Instance or target.state is not None or type(state) is not dict:
                    raise bad("BUILD of %s with %s" % (_kind(target), _kind(state)))
                target.state = state
            elif op == 0x2E:  # STOP
                if len(stack) != 1 or marks:
                    raise bad("STOP with %d values on the stack" % len(stack))
                if pos != n:
                    at = pos
                    raise bad("%d bytes after the end of the pickle" % (n - pos))
                return stack[0]
            elif op == 0x80:  # PROTO (again)
                pos += 1
            else:
                raise bad("opcode %r, which a snapshot file does not use" % bytes([op]))
            if budget < 0:
                raise bad("more objects than a file of this size can describe")
    except (IndexError, _struct.error):
        raise bad("truncated or inconsistent pickle (a value, memo entry or stack item is "
                  "missing)") from None


def _int_in(value, lo: int, hi: int) -> bool:
    return type(value) is int and lo <= value < hi


def _ints_in(values, lo: int, hi: int) -> bool:
    """All ``values`` are ints in [lo, hi) (checked in bulk; types before values)."""
    return not values or (set(map(type, values)) == {int} and lo <= min(values) and max(values) < hi)


def _validate(raw: object, path: str) -> tracemalloc.Snapshot:
    """Check what :func:`_read_pickle` built and make the ``tracemalloc.Snapshot``."""
    def bad(what: str) -> SnapshotFormatError:
        return SnapshotFormatError("%s: not a tracemalloc snapshot (%s)" % (path, what))

    if type(raw) is not _Instance or raw.cls is not tracemalloc.Snapshot:
        raise bad("found %s" % _kind(raw))
    state = raw.state
    if type(state) is not dict or set(state) != {"traces", "traceback_limit"}:
        raise bad("unexpected snapshot fields %s" % (
            "none" if state is None else ", ".join(sorted(k[:40] for k in state)[:10])))
    limit = state["traceback_limit"]
    traces = state["traces"]
    if not _int_in(limit, 1, 1 << 31):
        raise bad("traceback_limit must be an int >= 1, got %s" % _kind(limit))
    if type(traces) is not _Instance or traces.cls is not tracemalloc._Traces \
            or type(traces.state) is not dict or set(traces.state) != {"_traces"}:
        raise bad("malformed traces: %s" % _kind(traces))
    items = traces.state["_traces"]
    if type(items) not in (list, tuple):
        raise bad("traces must be a list, got %s" % _kind(items))
    # column checks in bulk (types first: nothing is compared or hashed before that)
    traces_ok = not items or (set(map(type, items)) == {tuple} and set(map(len, items)) == {4})
    if traces_ok and items:
        domains, sizes, tbs, nframes = (list(map(itemgetter(k), items)) for k in range(4))
        tbs_unique = list({id(tb): tb for tb in tbs}.values())
        frames = [f for tb in tbs_unique if type(tb) is tuple for f in tb]
        traces_ok = (_ints_in(domains, 0, 1 << 32) and _ints_in(sizes, 0, _INT_LIMIT)
                     and set(map(type, tbs_unique)) == {tuple}
                     and _ints_in([f for f in nframes if f is not None], 0, 1 << 31)
                     and (not frames or (set(map(type, frames)) == {tuple} and set(map(len, frames)) == {2})))
        if traces_ok and frames:
            names, lines = map(itemgetter(0), frames), list(map(itemgetter(1), frames))
            traces_ok = set(map(type, names)) == {str} and _ints_in(lines, 0, 1 << 31)
        del domains, sizes, tbs, nframes, tbs_unique, frames
    if not traces_ok:  # find the first bad trace, for the message
        for i, t in enumerate(items):
            ok = (type(t) is tuple and len(t) == 4 and _int_in(t[0], 0, 1 << 32)
                  and _int_in(t[1], 0, _INT_LIMIT) and type(t[2]) is tuple
                  and (t[3] is None or _int_in(t[3], 0, 1 << 31))
                  and all(type(f) is tuple and len(f) == 2 and type(f[0]) is str
                          and _int_in(f[1], 0, 1 << 31) for f in t[2]))
            if not ok:
                what = ", ".join(map(_kind, t[:4])) if type(t) is tuple else _kind(t)
                raise SnapshotFormatError("%s: trace %d is malformed (%s; expected (domain, size >= 0 "
                                          "and < 2**63, traceback of (filename, lineno) frames, "
                                          "total frames or None))" % (path, i, what))
    return tracemalloc.Snapshot(items if type(items) is tuple else tuple(items), limit)


def _pickle_sniffer(path: str):
    def sniff(first: bytes) -> None:
        if len(first) < 2 or first[0] != 0x80 or not 2 <= first[1] <= 5:
            raise SnapshotFormatError(
                "%s: not a tracemalloc snapshot (it starts with %s; Snapshot.dump files start "
                "with a pickle protocol header, b'\\x80\\x05')" % (path, _safeio.describe_start(first)))
    return sniff


def load(path, *, max_bytes: int = _safeio.MAX_BYTES) -> Snapshot:
    """Load a snapshot written by :meth:`Snapshot.dump` or ``tracemalloc.Snapshot.dump``.

    Safe: the file is read by a pickle interpreter of our own that knows only the
    opcodes of a snapshot file and can create only ``tracemalloc.Snapshot`` / its
    trace list and plain tuples, lists, ints and strings, without calling, hashing or
    printing anything it builds; shared references stay shared (a "DAG bomb" is not
    expanded).  The result is checked field by field.  Anything else raises
    :class:`SnapshotFormatError` (a ``ValueError``) naming the file, in time and memory
    linear in its size.  A file larger than ``max_bytes`` (default 128 MiB) is refused
    before it is read; a missing or unreadable file or a directory raises an
    :class:`OSError` naming it.
    """
    name = _safeio.display_path(_safeio.fspath(path, "tracemalloc snapshot"))
    data, name = _safeio.read_file(path, what="tracemalloc snapshot", max_bytes=max_bytes,
                                   error=SnapshotFormatError, sniff=_pickle_sniffer(name))
    raw = _read_pickle(data, name)
    del data
    return Snapshot(_validate(raw, name))


# --------------------------------------------------------------------------
# tracing state
# --------------------------------------------------------------------------

def start(frames: int = 1) -> None:
    """Start tracing with ``frames`` frames per traceback (no-op if already tracing:
    tracemalloc keeps its depth then; see :func:`get_traceback_limit`)."""
    tracemalloc.start(check_int(frames, "frames", 1, meaning="frames stored per traceback"))


def stop() -> None:
    """Stop tracing and drop every trace (``tracemalloc.stop``)."""
    tracemalloc.stop()


def is_tracing() -> bool:
    return tracemalloc.is_tracing()


def get_traceback_limit() -> int:
    return tracemalloc.get_traceback_limit()


def get_traced_memory() -> TracedMemory:
    """``(current, peak)`` traced bytes as a named tuple; ``(0, 0)`` when not tracing."""
    return TracedMemory(*tracemalloc.get_traced_memory())


_active: list = []  # block tracers inside their block, outermost first


def reset_peak() -> None:
    """Reset tracemalloc's peak to the current traced memory.

    Active :class:`Tracer` blocks first record the peak so far, so their own
    ``peak`` stays right.
    """
    if _active:
        peak = tracemalloc.get_traced_memory()[1]
        for t in _active:
            t._note_peak(peak)
    tracemalloc.reset_peak()


def take_snapshot(own: bool = False) -> Snapshot:
    """A snapshot of the traces, without the tool's own allocations unless ``own``.

    Raises
    ------
    RuntimeError
        If tracemalloc is not tracing (call :func:`start` first, or use :func:`trace`).
    """
    if not tracemalloc.is_tracing():
        raise RuntimeError("tracemalloc is not tracing: call allocations.start(frames) "
                           "first, or use `with allocations.trace():`")
    raw = tracemalloc.take_snapshot()
    if own:
        return Snapshot(raw)
    return Snapshot(tracemalloc.Snapshot(_without_own(raw.traces._traces), raw.traceback_limit))


# --------------------------------------------------------------------------
# the block tracer
# --------------------------------------------------------------------------

class Tracer:
    """Traces the allocations of a ``with`` block; see the module docstring.

    Create it with :func:`trace`.  Single use: entering it twice raises.
    """

    __slots__ = ("_frames", "frames", "started", "start_memory", "previous_peak",
                 "start_snapshot", "snapshot", "_end", "elapsed", "_peak_seen", "_state", "_t0", "_with_line")

    def __init__(self, frames: int = 1):
        self._frames = check_int(frames, "frames", 1, meaning="frames stored per traceback")
        self.frames: int | None = None
        self.started = False
        self.start_memory = 0
        self.previous_peak: int | None = None
        self.start_snapshot: Snapshot | None = None
        self.snapshot: Snapshot | None = None
        self._end: tuple | None = None  # (current, peak) at exit
        self.elapsed: float | None = None
        self._peak_seen = 0
        self._state = "new"
        self._t0 = 0.0
        self._with_line: tuple | None = None

    def __repr__(self):
        if self._state != "done":
            return "<allocations.Tracer %s frames=%s>" % (self._state, self.frames or self._frames)
        return "<allocations.Tracer peak=%s current=%s frames=%d>" % (
            format_size(self.peak), format_size(self.current, sign=True), self.frames)

    def _note_peak(self, peak: int) -> None:
        if peak > self._peak_seen:
            self._peak_seen = peak

    def __enter__(self) -> "Tracer":
        if self._state != "new":
            raise RuntimeError("a Tracer can be used once: call allocations.trace() again")
        if tracemalloc.is_tracing():
            self.previous_peak = tracemalloc.get_traced_memory()[1]
            caller = sys._getframe(1)
            # the `with` line itself holds interpreter temporaries (the bound
            # __enter__ is alive in the start snapshot only): not the block's doing
            self._with_line = (caller.f_code.co_filename, caller.f_lineno)
            del caller
            self.start_snapshot = take_snapshot()
        else:
            tracemalloc.start(self._frames)
            self.started = True
        self.frames = tracemalloc.get_traceback_limit()
        reset_peak()  # (records the peak so far into enclosing tracers)
        self.start_memory = tracemalloc.get_traced_memory()[0]
        self._peak_seen = self.start_memory
        self._state = "active"
        _active.append(self)
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc_info) -> bool:
        elapsed = time.perf_counter() - self._t0
        try:
            _active.remove(self)
        except ValueError:
            pass
        if tracemalloc.is_tracing():
            current, peak = tracemalloc.get_traced_memory()
            self._note_peak(peak)
            try:
                self.snapshot = take_snapshot()
            finally:
                if self.started:
                    tracemalloc.stop()
            # (a plain tuple: a named tuple's __new__ lives in "<string>", which the
            # own-allocation filter cannot recognise inside an enclosing tracer)
            self._end = (current, self._peak_seen)
        else:  # someone stopped tracemalloc inside the block: no traces to report
            self._end = (self.start_memory, self._peak_seen)
        for outer in _active:  # our peak belongs to the enclosing blocks too
            outer._note_peak(self._peak_seen)
        self.elapsed = elapsed
        self._state = "done"
        return False

    # -- results -------------------------------------------------------------

    @property
    def end_memory(self) -> TracedMemory | None:
        """``(current, peak)`` traced bytes at exit (absolute; None before the exit)."""
        return None if self._end is None else TracedMemory(*self._end)

    @property
    def peak(self) -> int:
        """Highest traced memory during the block, in bytes above the level at entry."""
        if self._state == "active":
            return max(self._peak_seen, tracemalloc.get_traced_memory()[1]) - self.start_memory
        self._require_done()
        return self._end[1] - self.start_memory

    @property
    def current(self) -> int:
        """Traced memory at exit minus at entry, in bytes (net growth of the block)."""
        if self._state == "active":
            return tracemalloc.get_traced_memory()[0] - self.start_memory
        self._require_done()
        return self._end[0] - self.start_memory

    def _require_done(self) -> None:
        if self._state != "done":
            raise RuntimeError("the block has not run yet: use `with allocations.trace() as t:` "
                               "and read the results after the block")

    def _require_snapshot(self) -> Snapshot:
        self._require_done()
        if self.snapshot is None:
            raise RuntimeError("tracemalloc was stopped inside the traced block: no "
                               "allocation statistics are available")
        return self.snapshot

    def statistics(self, key_type: str = "lineno", *, filename: str | None = None,
                   cumulative: bool = False, limit: int | None = None) -> list:
        """What the block allocated and still held at its end, as :class:`Stat` rows.

        ``size``/``count`` are net: bytes and blocks allocated during the block minus
        those of the same line freed during it (lines with no net change are left out).
        Sorted by size, largest first.  See :meth:`Snapshot.statistics` for the
        parameters.
        """
        snap = self._require_snapshot()
        _check_key(key_type, cumulative)
        check_int(limit, "limit", none="no limit")
        if self.start_snapshot is None:
            new = _group(snap._traces, key_type, cumulative, filename)
        else:
            new = _group(self._block_traces(snap), key_type, cumulative, filename)
            old = _group(self._block_traces(self.start_snapshot), key_type, cumulative, filename)
            for key, (size, count, frames) in old.items():
                slot = new.get(key)
                if slot is None:
                    new[key] = [-size, -count, frames]
                else:
                    slot[0] -= size
                    slot[1] -= count
            new = {k: v for k, v in new.items() if v[0] or v[1]}
        return _stats_from(new, key_type, limit)

    def _block_traces(self, snap: Snapshot) -> list:
        raw = snap._traces
        line = self._with_line
        if line is None:
            return raw
        return [t for t in raw if not (t[2] and t[2][0] == line)]

    def compare(self, key_type: str = "lineno", *, filename: str | None = None,
                cumulative: bool = False, limit: int | None = None) -> list:
        """The end snapshot against the start, as :class:`StatDiff` rows (sizes at the
        end and their change).  Without a start snapshot (the tracer started tracing),
        every row is new: ``size_diff == size``."""
        snap = self._require_snapshot()
        old = self.start_snapshot
        if old is None:
            old = Snapshot(tracemalloc.Snapshot([], snap.traceback_limit))
        return snap.compare_to(old, key_type, cumulative, filename=filename, limit=limit)


def trace(frames: int = 1) -> Tracer:
    """A :class:`Tracer` for ``with allocations.trace(frames) as t:``; see the module
    docstring for what it does and reports."""
    return Tracer(frames)
