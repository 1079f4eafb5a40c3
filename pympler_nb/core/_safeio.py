"""Bounded, hostile-file-safe reading: the one implementation every loader uses.

Every file the package reads (ClassTracker stats, heap snapshots, tracemalloc
snapshots) goes through :func:`read_file` (or :func:`read_stream` for an open file)
and, when it is JSON, :func:`loads_json`:

* **Paths.** ``str``, ``bytes`` or ``os.PathLike``; anything else is a ``TypeError``.
  A missing file, a directory or a file that cannot be read raises the usual
  :class:`OSError` subclass (``FileNotFoundError``, ``IsADirectoryError``,
  ``PermissionError``...) whose message names the kind of file, the path and the
  problem (``cannot read heap snapshot '/x.json': No such file or directory``).
* **Size.** A file larger than ``max_bytes`` (default :data:`MAX_BYTES`, 128 MiB;
  every loader takes a ``max_bytes=`` keyword to raise it) is refused with a
  ``ValueError`` before anything is read when it is a regular file (its size is
  known); other files (pipes, ``/dev/zero``) are read in chunks, at most
  ``max_bytes + 1`` bytes.  FIFOs are opened without blocking on a missing writer.
* **Format sniffing.** The first bytes are checked against what the format must
  start with (``{`` for JSON, the pickle protocol header...) before the rest is read,
  so ``/dev/zero``, ``/dev/urandom`` or a large file of another kind is refused
  after reading one chunk.
* **JSON.** :func:`loads_json` decodes UTF-8 with a clear error, measures the
  nesting depth with a non-recursive scan (C-speed byte operations) and refuses
  documents nested deeper than ``max_depth`` before ``json.loads`` (which recurses)
  sees them; ``NaN``/``Infinity``, numbers that overflow a float and duplicate keys
  are refused.
"""

from __future__ import annotations

import codecs
import errno
import json
import math
import os
import re
import stat
from itertools import accumulate
from typing import Any, Callable

from .values import check_int

__all__ = ["MAX_BYTES", "MAX_JSON_DEPTH", "check_max_bytes", "display_path", "dumps_json", "loads_json",
           "read_file", "read_stream"]

#: default largest file a loader reads (bytes; uncompressed for gzip files)
MAX_BYTES = 128 << 20
#: deepest JSON nesting a loader parses (the formats need far less)
MAX_JSON_DEPTH = 512

_CHUNK = 1 << 20
_SNIFF = 1 << 12


def check_max_bytes(max_bytes: Any) -> int:
    return check_int(max_bytes, "max_bytes", meaning="the largest file to read, in bytes")


def fspath(path: Any, what: str) -> str | bytes:
    """``os.fspath(path)`` for ``str``/``bytes``/path-like; ``TypeError`` naming ``what`` else."""
    if isinstance(path, (str, bytes, os.PathLike)):
        try:
            return os.fspath(path)
        except TypeError:
            pass
    raise TypeError(f"{what}: the path must be a str, bytes or os.PathLike, got {type(path).__name__}")


def display_path(path: str | bytes) -> str:
    """A path as text for messages (undecodable bytes kept as surrogate escapes)."""
    return os.fsdecode(path)


def _os_error(exc: OSError, what: str, name: str) -> OSError:
    cls = type(exc) if isinstance(exc, OSError) else OSError
    try:
        out = cls(exc.errno or errno.EIO, f"cannot read {what} {name!r}: {exc.strerror or exc}")
    except TypeError:  # an OSError subclass with another constructor
        out = OSError(exc.errno or errno.EIO, f"cannot read {what} {name!r}: {exc.strerror or exc}")
    return out


def _too_large(what: str, name: str, size: int | None, limit: int, error: type) -> ValueError:
    amount = f"is {size:_} bytes, more than" if size is not None else "holds more than"
    return error(f"{what} {name!r} {amount} max_bytes={limit}; "
                 "pass a larger max_bytes= to the loader if you trust the file")


def _read_head(read: Callable[[int], Any], n: int) -> Any:
    """The first ``n`` bytes (or characters) that ``read`` gives, fewer only at the end of
    the data: a pipe may return less per call, and the sniff needs the whole window (a
    pipe that has sent only ``{"`` so far must not pass for JSON text)."""
    first = read(n)
    if not first:
        return first
    while len(first) < n:
        more = read(n - len(first))
        if not more:
            break
        first = first + more
    return first


def _read_chunks(read: Callable[[int], Any], limit: int, first: bytes | bytearray,
                 buf: bytearray) -> bytearray:
    """Append what ``read`` returns to ``buf`` until EOF or ``limit + 1`` bytes."""
    buf += first
    while len(buf) <= limit:
        chunk = read(min(_CHUNK, limit + 1 - len(buf)))
        if not chunk:
            break
        buf += chunk
    return buf


def read_stream(fobj: Any, *, what: str, name: str, max_bytes: int,
                sniff: Callable[[bytes | str], None] | None = None,
                error: type = ValueError) -> bytes | bytearray | str:
    """Read an open file (binary or text) in chunks: at most ``max_bytes + 1`` bytes or
    characters; ``sniff(first_chunk)`` may refuse the start of the data."""
    check_max_bytes(max_bytes)
    first = _read_head(fobj.read, min(_SNIFF, max_bytes + 1))
    if first is None:
        first = b""
    if sniff is not None and first:
        sniff(first)
    if isinstance(first, str):
        parts = [first]
        total = len(first)
        while total <= max_bytes:
            chunk = fobj.read(min(_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
        data: Any = "".join(parts)
    else:
        data = _read_chunks(fobj.read, max_bytes, first, bytearray())
    if len(data) > max_bytes:
        raise _too_large(what, name, None, max_bytes, error)
    return data


def read_file(path: Any, *, what: str, max_bytes: int,
              sniff: Callable[[bytes], None] | None = None,
              error: type = ValueError) -> tuple[bytearray, str]:
    """Read the file at ``path`` whole, in bounded time and memory.

    Returns ``(data, name)``: the bytes and the path as text for messages.
    Raises ``TypeError`` (not a path), an :class:`OSError` subclass naming ``what``
    and the path (missing, a directory, unreadable), or ``error`` (a ``ValueError``
    subclass: larger than ``max_bytes``, or refused by ``sniff``).
    """
    check_max_bytes(max_bytes)
    p = fspath(path, what)
    name = display_path(p)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(p, flags)
    except OSError as exc:
        raise _os_error(exc, what, name) from None
    try:
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
            regular = stat.S_ISREG(st.st_mode)
            if regular and st.st_size > max_bytes:
                raise _too_large(what, name, st.st_size, max_bytes, error)
            if hasattr(os, "set_blocking"):
                os.set_blocking(fd, True)
            read = lambda n: os.read(fd, n)  # noqa: E731
            first = _read_head(read, min(_SNIFF, max_bytes + 1))
            if sniff is not None and first:
                sniff(first)
            buf = bytearray()
            data = _read_chunks(read, max_bytes, first, buf)
        except OSError as exc:
            raise _os_error(exc, what, name) from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise _too_large(what, name, None, max_bytes, error)
    return data, name


def describe_start(first: bytes | str) -> str:
    """The first bytes of a refused file, shown safely (``b'\\x00\\x00...'``)."""
    head = first[:16]
    if isinstance(head, str):
        head = head.encode("utf-8", "backslashreplace")
    return repr(bytes(head)) + ("..." if len(first) > 16 else "")


_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _not_json_text(raw: bytes, utf8: bool = True) -> str:
    """Why the start of a file cannot be JSON text ('' when it can): JSON is UTF-8 and never
    holds a control byte other than tab, newline and carriage return (not even in strings).
    A random or binary file fails this within its first bytes, so it is refused before
    it is read whole."""
    try:
        if utf8:
            codecs.getincrementaldecoder("utf-8")().decode(raw, final=False)
    except UnicodeDecodeError as exc:
        return f"byte {exc.start} is not UTF-8 text"
    m = _CONTROL.search(raw)
    if m:
        return f"byte {m.start()} is {raw[m.start()]:#04x}, a control byte JSON text never holds"
    return ""


def json_sniffer(what: str, name: str, error: type = ValueError,
                 also: tuple[bytes, ...] = (), hint: str = "") -> Callable[[bytes | str], None]:
    """A ``sniff`` that accepts data starting (after whitespace) with ``{`` or one of
    the byte strings ``also`` (e.g. the gzip magic); ``hint`` ends the message."""

    def sniff(first: bytes | str) -> None:
        raw = first.encode("utf-8", "surrogatepass") if isinstance(first, str) else bytes(first)
        if any(raw.startswith(a) for a in also):
            return
        head = raw.lstrip(b" \t\r\n")
        if head.startswith(b"\xef\xbb\xbf"):
            head = head[3:]
        if head and not head.startswith(b"{"):
            raise error(f"{what} {name!r} is not a JSON document of this format (it starts with "
                        f"{describe_start(raw)}, expected '{{'){hint}")
        bad = _not_json_text(raw, utf8=not isinstance(first, str))
        if bad:
            raise error(f"{what} {name!r} is not a JSON document of this format ({bad}; it starts "
                        f"with {describe_start(raw)}){hint}")

    return sniff


# ---------------------------------------------------------------------------
# JSON
_ESCAPE = re.compile(rb"\\.", re.S)
_STRING = re.compile(rb'"[^"]*"')
_DELETE = bytes(sorted(set(range(256)) - set(b'[]{}"')))
_DELTA = [0] * 256
_DELTA[ord("[")] = _DELTA[ord("{")] = 1
_DELTA[ord("]")] = _DELTA[ord("}")] = -1


def json_depth(data: bytes | bytearray, stop: int | None = None) -> int:
    """Deepest nesting of arrays/objects in a JSON text, without recursion.

    An upper bound of what ``json.loads`` would recurse through (brackets inside
    strings are not counted); linear in the size, with byte-level C operations.
    With ``stop``, a run of more than ``stop`` opening brackets returns ``stop + 1``
    at once (the depth is larger than ``stop``; no need to know by how much).
    """
    s = _ESCAPE.sub(b"", data).translate(None, _DELETE)
    # strings: quotes alternate (open, close); dropping adjacent pairs keeps that, and
    # most strings hold no bracket, so few are left for the regex
    s = s.replace(b'""', b"")
    if b'"' in s:
        s = _STRING.sub(b"", s)
    if stop is not None and re.search(rb"[\[{]{%d}" % (stop + 1), s):
        return stop + 1
    return max(accumulate(map(_DELTA.__getitem__, s)), default=0)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large for a float")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed (numbers must be finite)")


def _pairs(pairs: list) -> dict:
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key[:80]!r}")
        out[key] = value
    return out


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\\\|\\u([dD][89a-fA-F][0-9a-fA-F]{2})")


def _escape_surrogate(m: re.Match) -> str:
    return "\\u%04x" % ord(m.group())


def _unescape_surrogate(m: re.Match) -> str:
    return m.group() if m.group(1) is None else chr(int(m.group(1), 16))


def dumps_json(doc: Any) -> bytes:
    """``doc`` as compact UTF-8 JSON that :func:`loads_json` reads back exactly.

    Characters outside ASCII are written as they are, except surrogate code points
    (not encodable in UTF-8), written as JSON ``\\ud83d``-style escapes (four hex digits), each read back as
    one code point: a lone surrogate, or a high one followed by a low one, stays what
    it was (a standard reader would join the pair into one character).
    """
    text = json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return _SURROGATE.sub(_escape_surrogate, text).encode("utf-8")


def loads_json(data: bytes | bytearray | str, *, what: str, name: str,
               max_depth: int = MAX_JSON_DEPTH, error: type = ValueError) -> Any:
    """Parse a JSON document of a loader's format; every problem raises ``error``
    naming ``what`` and ``name``."""
    prefix = f"{what} {name!r}"
    if isinstance(data, str):
        text = data
        raw = data.encode("utf-8", "surrogatepass")
    else:
        raw = data
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(f"{prefix}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    depth = json_depth(raw, stop=max_depth)
    del raw
    if depth > max_depth:
        raise error(f"{prefix}: nested more than {max_depth} levels deep, more than this "
                    "format allows (not a file this loader wrote)")
    if "\\u" in text:  # surrogate escapes as single code points (see dumps_json)
        text = _SURROGATE_ESCAPE.sub(_unescape_surrogate, text)
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float,
                          object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise error(f"{prefix}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
                    "the file may be truncated") from None
    except RecursionError:  # cannot happen below max_depth; kept as a guard
        raise error(f"{prefix}: nested too deeply") from None
    except ValueError as exc:
        raise error(f"{prefix}: {exc}") from None
