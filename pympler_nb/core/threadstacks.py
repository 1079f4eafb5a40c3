"""The threads of this process with their current stacks, and a frame's locals sized.

What Pympler's web frontend shows on its process page (the threads and, per thread, its
traceback with each frame's local variables and their sizes), as immutable records that
hold no frame and no object:

* :func:`thread_stacks` -- one :class:`ThreadStack` per live thread (name, ident, daemon,
  whether it is the calling thread) with its frames, innermost last, as
  :class:`StackFrame` records (file, line, function, source line, number of locals);
* :func:`frame_locals` -- the local variables of one frame of one thread (found again by
  the thread's ident and the frame's position in its stack, and checked to still run the
  same function), each with its type, its own size and its deep size
  (:func:`~pympler_nb.core.asizeof.asizeof`, each variable on its own), largest first.

Standard library only. Frames are read while the other threads run: a stack is a
snapshot, and a frame that returned meanwhile raises :class:`LookupError` with a message
saying so. No frame or local is kept once a function returns.

>>> me = [s for s in thread_stacks() if s.current][0]
>>> me.frames[-1].function
'<module>'
>>> rows = frame_locals(me.ident, len(me.frames) - 1)
>>> any(r.name == "me" and r.type == "ThreadStack" for r in rows)
True
"""

from __future__ import annotations

import linecache
import sys
import threading

from ._format import clip_text
from .asizeof import asizeof, flatsize
from .flatsize import safe_size
from .values import Frozen, check_int

__all__ = ["StackFrame", "ThreadStack", "LocalVar", "thread_stacks", "frame_locals"]

_type_name = type.__dict__["__name__"].__get__  # not a metaclass's __name__ property

#: frames listed per thread at most (the innermost ones)
MAX_FRAMES = 200


class StackFrame(Frozen):
    """One frame of a thread's stack: ``depth`` (0 = outermost), ``file``, ``line``,
    ``function``, ``code`` (the source line, stripped; ``""`` if unknown) and
    ``nlocals`` (number of local variables)."""

    __slots__ = ("depth", "file", "line", "function", "code", "nlocals")

    def __init__(self, depth: int, file: str, line: int, function: str, code: str, nlocals: int):
        self._set(depth=depth, file=file, line=line, function=function, code=code, nlocals=nlocals)

    def __repr__(self):
        return f"<StackFrame {self.depth} {self.function} {self.file}:{self.line}>"


class ThreadStack(Frozen):
    """A live thread: ``ident``, ``name``, ``daemon``, ``current`` (the calling thread),
    ``frames`` (a tuple of :class:`StackFrame`, outermost first; empty when the thread
    runs no Python code) and ``truncated`` (outer frames left out beyond
    :data:`MAX_FRAMES`)."""

    __slots__ = ("ident", "name", "daemon", "current", "frames", "truncated")

    def __init__(self, ident: int, name: str, daemon: bool, current: bool, frames: tuple, truncated: int):
        self._set(ident=ident, name=name, daemon=daemon, current=current, frames=tuple(frames),
                  truncated=truncated)

    def __repr__(self):
        return f"<ThreadStack {self.name!r} ident={self.ident} {len(self.frames)} frames>"


class LocalVar(Frozen):
    """A local variable of a frame: ``name``, ``type`` (the type's name), ``flat`` (own
    size), ``size`` (deep size, the variable on its own) and ``repr`` (clipped)."""

    __slots__ = ("name", "type", "flat", "size", "repr")

    def __init__(self, name: str, type: str, flat: int, size: int, repr: str):
        self._set(name=name, type=type, flat=flat, size=size, repr=repr)

    def __repr__(self):
        return f"<LocalVar {self.name} {self.type} {self.size}>"


def _frames_of(frame) -> list:
    """The frames from ``frame`` outwards, innermost first (iteratively)."""
    out = []
    while frame is not None:
        out.append(frame)
        frame = frame.f_back
    return out


def _locals_count(frame) -> int:
    code = frame.f_code
    return code.co_nlocals + len(code.co_cellvars) + len(code.co_freevars)


def thread_stacks(max_frames: int = MAX_FRAMES) -> list[ThreadStack]:
    """Every live thread with its current stack (the calling thread first, then by name).

    ``max_frames``: frames kept per thread (the innermost ones; an int >= 1).
    """
    check_int(max_frames, "max_frames", 1)
    current = threading.get_ident()
    frames = sys._current_frames()
    threads = {t.ident: t for t in threading.enumerate() if t.ident is not None}
    out = []
    try:
        for ident in set(frames) | set(threads):
            thread = threads.get(ident)
            chain = _frames_of(frames.get(ident))
            if ident == current and chain:
                chain = chain[1:]  # not this function's own frame
            kept = chain[:max_frames]
            records = []
            depth0 = len(chain) - 1
            for k, frame in enumerate(kept):
                code = frame.f_code
                line = frame.f_lineno or 0
                text = linecache.getline(code.co_filename, line).strip() if line else ""
                records.append(StackFrame(depth0 - k, code.co_filename, line, code.co_name,
                                          clip_text(text, 200), _locals_count(frame)))
            records.reverse()
            out.append(ThreadStack(ident, thread.name if thread is not None else f"thread {ident}",
                                   bool(thread.daemon) if thread is not None else False,
                                   ident == current, records, len(chain) - len(kept)))
    finally:
        frames = chain = kept = frame = None
    out.sort(key=lambda s: (not s.current, s.name, s.ident))
    return out


def _find_frame(ident: int, depth: int, function: str | None):
    frames = sys._current_frames()
    frame = frames.get(ident)
    frames = None
    if frame is None:
        raise LookupError(f"thread {ident} is gone or runs no Python code now")
    chain = _frames_of(frame)
    if ident == threading.get_ident():
        chain = chain[2:]  # this function's and frame_locals' own frames
    chain.reverse()  # outermost first: depth is the position
    if depth >= len(chain):
        raise LookupError(f"thread {ident} has {len(chain)} frames now; frame {depth} returned "
                          "(refresh the stack)")
    frame = chain[depth]
    if function is not None and frame.f_code.co_name != function:
        raise LookupError(f"frame {depth} of thread {ident} now runs {frame.f_code.co_name}(), "
                          f"not {function}() (refresh the stack)")
    return frame


def frame_locals(ident: int, depth: int, function: str | None = None, *, clip: int = 80) -> list[LocalVar]:
    """The local variables of frame ``depth`` (0 = outermost, as
    :attr:`StackFrame.depth`) of thread ``ident``, largest deep size first.

    ``function``: the frame's function as it was shown; a frame that runs another one
    now raises :class:`LookupError` (as does a thread that ended or a frame that
    returned). Each variable is sized on its own (what two variables share counts in
    both). Hostile values are sized by their basic size and shown by type.
    """
    check_int(ident, "ident", 0)
    check_int(depth, "depth", 0)
    frame = _find_frame(ident, depth, function)
    try:
        items = list(frame.f_locals.items())
    finally:
        frame = None
    rows = []
    try:
        for name, value in items:
            try:
                flat, size = flatsize(value), asizeof(value)
            except Exception:  # noqa: BLE001 - a hostile object: its basic size only
                flat = size = safe_size(value)
            try:
                text = repr(value)
            except Exception as exc:  # noqa: BLE001 - hostile __repr__
                text = f"<{type(value).__name__}: repr failed ({type(exc).__name__})>"
            rows.append(LocalVar(str(name), _type_name(type(value)), flat, size,
                                 clip_text(text, clip)))
    finally:
        items = value = None
    rows.sort(key=lambda r: (-r.size, r.name))
    return rows
