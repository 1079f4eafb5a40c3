"""Which path the core runs: the C loops of ``pympler_nb._speedups`` or pure Python.

The one accessor every engine uses: :func:`speedups` returns the compiled module, or None
when it is not built (no C compiler at install time, a source checkout without
``python hatch_build.py``) or when the environment variable ``PYMPLER_NB_PURE=1`` forces
the pure-Python path. Both paths give the same results; the pure one is complete, only
slower. ``pympler_nb.core.ACCELERATED`` is ``speedups() is not None`` at import time.

>>> isinstance(ACCELERATED, bool)
True
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Iterator
from types import ModuleType

__all__ = ["ACCELERATED", "ABI_VERSION", "PURE_ENV", "speedups", "why_pure", "pure_path_note",
           "pure_path"]

PURE_ENV = "PYMPLER_NB_PURE"
ABI_VERSION = 4  # what src/speedups/module.c's ABI_VERSION must be (a stale build is not used)


def _load() -> tuple[ModuleType | None, str]:
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return None, f"{PURE_ENV}={os.environ[PURE_ENV]} is set"
    try:
        mod = importlib.import_module("pympler_nb._speedups")
    except ImportError as exc:
        return None, f"the C extension pympler_nb._speedups is not built ({exc})"
    if getattr(mod, "ABI_VERSION", None) != ABI_VERSION:
        return None, ("the C extension pympler_nb._speedups is stale (rebuild it: "
                      "`python hatch_build.py` or reinstall)")
    return mod, ""


_MODULE, _WHY = _load()

#: whether the C loops run (False: the pure-Python path)
ACCELERATED: bool = _MODULE is not None


def speedups() -> ModuleType | None:
    """The ``pympler_nb._speedups`` module, or None on the pure-Python path."""
    return _MODULE


def why_pure() -> str:
    """Why the pure-Python path runs ('' when accelerated)."""
    return _WHY


def pure_path_note() -> str | None:
    """The one line ``%load_ext pympler_nb`` shows on the pure-Python path (None when
    accelerated)."""
    if ACCELERATED:
        return None
    return (f"pympler_nb: running on the pure-Python path ({_WHY}); results are the same, "
            "heap walks are slower.")


@contextlib.contextmanager
def pure_path() -> Iterator[None]:
    """Run the pure-Python path inside the ``with`` block (for comparisons of the two
    paths in one process: tests and benchmarks); :data:`ACCELERATED` is unchanged.

    >>> with pure_path():
    ...     speedups() is None
    True
    """
    global _MODULE
    saved = _MODULE
    _MODULE = None
    try:
        yield
    finally:
        _MODULE = saved
