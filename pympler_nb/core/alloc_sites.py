"""Where memory was allocated: tracebacks with tracemalloc's ``format()``, and the names
of notebook cells.

:class:`Traceback` is the traceback of an allocation statistic
(:attr:`allocations.Stat.traceback <pympler_nb.core.allocations.Stat>`) and of
:func:`allocations.get_object_traceback <pympler_nb.core.allocations.get_object_traceback>`:
a tuple of :class:`Frame` ``(filename, lineno)``, **most recent first** (as the rest of
:mod:`~pympler_nb.core.allocations` orders frames; ``tracemalloc.Traceback`` is oldest
first), whose :meth:`Traceback.format` gives exactly the lines tracemalloc's does.

:func:`site_label` names a source line the way a notebook user knows it: the code of a
cell run by IPython lives in a file named ``<ipython-input-N-...>`` (terminal IPython) or
``/tmp/ipykernel_.../....py`` (ipykernel); both become ``"cell [N], line K"``.  Other
files are ``"file.py:K"``.

>>> tb = Traceback([("b.py", 2), ("a.py", 1)])      # b.py:2 called from a.py:1
>>> tb[0].filename, tb[0].lineno, len(tb)
('b.py', 2, 2)
>>> tb.format()                                     # oldest first, as tracemalloc
['  File "a.py", line 1', '  File "b.py", line 2']
>>> site_label("<ipython-input-7-0123abcd>", 3)
'cell [7], line 3'
>>> site_label("/srv/app/model.py", 12)
'/srv/app/model.py:12'
"""

from __future__ import annotations

import linecache
import re
import sys
import tracemalloc
from collections import namedtuple

__all__ = ["Frame", "Traceback", "site_label", "cell_number", "cell_files", "object_frames"]

Frame = namedtuple("Frame", "filename lineno")
Frame.__doc__ = "One frame of a traceback: ``filename`` (str), ``lineno`` (int)."


class Traceback(tuple):
    """Frames of an allocation, most recent first: a tuple of :class:`Frame`.

    Equal to (and hashed as) the plain tuple of ``(filename, lineno)`` pairs, so code
    that compared tracebacks as tuples keeps working.  ``total_nframe`` is the number of
    frames the stack had when the memory was allocated (tracemalloc stores at most
    ``get_traceback_limit()`` of them); None when unknown.
    """

    def __new__(cls, frames=(), total_nframe: int | None = None):
        self = super().__new__(cls, (Frame(str(f[0]), int(f[1])) for f in frames))
        self.total_nframe = total_nframe  # (tuple subclasses cannot have __slots__)
        return self

    def __init__(self, frames=(), total_nframe: int | None = None):
        pass

    def format(self, limit: int | None = None, most_recent_first: bool = False) -> list:
        """The frames as text lines, as ``tracemalloc.Traceback.format`` writes them:
        ``'  File "x.py", line 3'`` followed by the stripped source line (when
        :mod:`linecache` has it), **oldest frame first** unless ``most_recent_first``.

        ``limit`` > 0 keeps the ``limit`` most recent frames, ``limit`` < 0 the
        ``-limit`` oldest ones (tracemalloc's semantics).
        """
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise TypeError("limit must be an int or None, got %r" % (limit,))
        frames = list(reversed(self))  # oldest first
        if limit is not None:
            frames = frames[-limit:] if limit > 0 else frames[:limit]
        if most_recent_first:
            frames.reverse()
        lines = []
        for filename, lineno in frames:
            lines.append('  File "%s", line %s' % (filename, lineno))
            code = linecache.getline(filename, lineno).strip()
            if code:
                lines.append("    %s" % code)
        return lines

    def __repr__(self):
        return "<Traceback %s>" % (tuple.__repr__(tuple(self)),)


# --------------------------------------------------------------------------
# where an object was allocated
# --------------------------------------------------------------------------

def _preheader_lookup():
    """CPython 3.11 only: ``tracemalloc.get_object_traceback`` misses instances whose
    class keeps its ``__dict__`` before the object (``Py_TPFLAGS_MANAGED_DICT``: plain
    classes without ``__slots__``), because it looks their memory up one pre-header too
    late (fixed in 3.12).  This looks it up at the right address, as guppy's ``byprod``
    does: ``(flag, lookup(obj) -> frames or None)``, or None where not needed or not
    available.  The lookup only searches tracemalloc's table by address; it reads no
    memory."""
    if sys.implementation.name != "cpython" or sys.version_info[:2] != (3, 11):
        return None
    try:
        import ctypes

        func = ctypes.pythonapi._PyTraceMalloc_GetTraceback
    except (ImportError, AttributeError):
        return None
    func.restype = ctypes.py_object
    func.argtypes = (ctypes.c_uint, ctypes.c_size_t)
    back = 4 * ctypes.sizeof(ctypes.c_void_p)  # the GC header (2 words), the dict's 2 words

    def lookup(obj):
        return func(0, id(obj) - back) or None  # frames, most recent first

    return 1 << 4, lookup


_PREHEADER = _preheader_lookup()
_type_flags = type.__dict__["__flags__"].__get__


def object_frames(obj) -> tuple | None:
    """The frames where ``obj``'s memory was allocated, most recent first, as
    ``((filename, lineno), ...)``, or None (not tracing, or not traced).

    ``tracemalloc.get_object_traceback``, and on CPython 3.11 also the instances that
    it misses there (see :func:`_preheader_lookup`).
    """
    try:
        tb = tracemalloc.get_object_traceback(obj)
        if tb:
            return tuple((f.filename, f.lineno) for f in reversed(tb))
        if _PREHEADER is not None and _type_flags(type(obj)) & _PREHEADER[0]:
            got = _PREHEADER[1](obj)
            return tuple((str(f[0]), int(f[1])) for f in got) if got else None
    except Exception:  # noqa: BLE001 - a hostile object is never a reason to fail
        return None
    return None


# --------------------------------------------------------------------------
# notebook cells
# --------------------------------------------------------------------------

_INPUT_NAME = re.compile(r"<ipython-input-(\d+)-[0-9a-fA-F]+>\Z")


def cell_files() -> dict:
    """The running IPython shell's table ``{cell file name: execution count}`` ({} outside
    IPython)."""
    from .session import running_shell

    shell = running_shell()
    names = getattr(getattr(shell, "compile", None), "_filename_map", None)
    return names if isinstance(names, dict) else {}


def cell_number(filename: str, names: dict | None = None) -> int | None:
    """The execution count of the IPython cell whose code is in ``filename``, or None.

    Known from the running shell's compiler (every cell it compiled, in terminal IPython
    and in ipykernel, whose cell files are ``/tmp/ipykernel_<pid>/<hash>.py``), else from
    a name ``<ipython-input-N-...>``.  ``names`` is the compiler's table when the caller
    already has it (``site_label`` in a loop).
    """
    if names is None:
        names = cell_files()
    number = names.get(filename)
    if isinstance(number, int) and not isinstance(number, bool):
        return number
    m = _INPUT_NAME.match(filename) if isinstance(filename, str) else None
    return int(m.group(1)) if m else None


def site_label(filename: str, lineno: int, names: dict | None = None) -> str:
    """``"cell [N], line K"`` for a line of a notebook cell, else ``"filename:K"``."""
    number = cell_number(filename, names)
    if number is not None:
        return "cell [%d], line %d" % (number, lineno)
    return "%s:%d" % (filename, lineno)
