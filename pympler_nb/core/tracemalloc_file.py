"""Reading tracemalloc snapshot files safely: a pickle reader of our own.

``tracemalloc.Snapshot.dump`` writes a pickle of a ``tracemalloc.Snapshot``;
:func:`read_pickle` interprets only the opcodes such a file needs (never calling,
hashing or printing what it builds), :func:`validate_snapshot` checks the result field
by field and makes the ``tracemalloc.Snapshot``, :func:`pickle_sniffer` refuses a file
that does not start like one. Anything else raises :class:`SnapshotFormatError`.
:func:`pympler_nb.core.allocations.load` is the public entry point.

Standard library only.
"""

from __future__ import annotations

import re
import struct as _struct
import tracemalloc
from operator import itemgetter

from . import _safeio

__all__ = ["SnapshotFormatError", "read_pickle", "validate_snapshot", "pickle_sniffer"]


class SnapshotFormatError(ValueError):
    """A snapshot file is not a tracemalloc snapshot this module accepts."""


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


def read_pickle(data, path: str):
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


def validate_snapshot(raw: object, path: str) -> tracemalloc.Snapshot:
    """Check what :func:`read_pickle` built and make the ``tracemalloc.Snapshot``."""
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


def pickle_sniffer(path: str):
    def sniff(first: bytes) -> None:
        if len(first) < 2 or first[0] != 0x80 or not 2 <= first[1] <= 5:
            raise SnapshotFormatError(
                "%s: not a tracemalloc snapshot (it starts with %s; Snapshot.dump files start "
                "with a pickle protocol header, b'\\x80\\x05')" % (path, _safeio.describe_start(first)))
    return sniff
