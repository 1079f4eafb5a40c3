"""The session service's base: the running shell, our own frames, our own objects.

* **The running shell**, found one way (:func:`running_shell`: IPython's
  ``InteractiveShell`` singleton, looked up in ``sys.modules``; IPython is never
  imported), and the names IPython gives its bookkeeping (``_N``, ``_iN``, ``_``...).
* **Our own objects** (:func:`register_own`, :func:`own_objects`, :func:`own_ids`): one
  registry of what pympler_nb keeps for itself (trackers' summaries, heap snapshots'
  tables); every walk leaves them out, and :func:`is_own_frame` tells our frames apart.

Part of :mod:`pympler_nb.core.session` (its facade re-exports every name here).
Standard library only.
"""

from __future__ import annotations

import re
import sys
import threading
from itertools import filterfalse
from typing import Any

__all__ = [
    "running_shell",
    "is_own_frame",
    "register_own",
    "own_objects",
    "own_ids",
    "LAST_EXC_NAMES",
    "OUT_VAR",
    "IN_VAR",
    "UNDERSCORES",
    "SNAPSHOT_LOCALS",
]


# ---------------------------------------------------------------------------
# our own objects: one registry, left out of every walk
# ---------------------------------------------------------------------------

_OWN_PROVIDERS: list = []
_own_lock = threading.Lock()


def register_own(provider) -> None:
    """Register ``provider() -> iterable of objects``: objects pympler_nb keeps for itself
    (a tracker's summaries, a heap snapshot's tables) that every walk leaves out.

    A provider is called at each walk and must not keep what it lists alive by itself
    (list what the owning object holds; keep the owners in a ``weakref.WeakSet``).
    Registering the same provider twice has no effect.
    """
    if not callable(provider):
        raise TypeError(f"register_own() needs a callable returning objects, got {provider!r}")
    with _own_lock:
        if provider not in _OWN_PROVIDERS:
            _OWN_PROVIDERS.append(provider)


IMMORTAL_REFCOUNT = 1 << 28  # refcounts this large belong to immortal/cached objects


def is_shared(obj: object) -> bool:
    """Objects the interpreter shares with everyone (small ints, 1-char strings,
    immortal objects): never leave them out, they exist whatever the session does."""
    if obj is None or obj is True or obj is False:
        return True
    t = type(obj)
    if t is int:
        return -5 <= obj <= 256  # type: ignore[operator]
    if t is str or t is bytes:
        return len(obj) <= 1  # type: ignore[arg-type]  # (cached 1-character objects)
    if t is tuple:
        return not obj  # the empty tuple only: a 1-tuple is made each time
    return sys.getrefcount(obj) >= IMMORTAL_REFCOUNT


def own_objects() -> list:
    """Every object the registered providers list now (a new list: drop it when done),
    without those the interpreter shares with everyone (:func:`is_shared`: a provider that
    lists a small int must not hide it from every walk)."""
    with _own_lock:
        providers = list(_OWN_PROVIDERS)
    out: list = []
    for provider in providers:
        try:
            out.extend(provider())
        except Exception:  # noqa: BLE001 - a provider that fails lists nothing
            continue
    return list(filterfalse(is_shared, out))


def own_ids() -> set[int]:
    """Ids of :func:`own_objects` (nothing is kept)."""
    objs = own_objects()
    try:
        return {id(o) for o in objs}
    finally:
        objs.clear()


# ---------------------------------------------------------------------------
# the running shell and its roots
# ---------------------------------------------------------------------------

LAST_EXC_NAMES = ("last_type", "last_value", "last_traceback", "last_exc")
OUT_VAR = re.compile(r"_\d+\Z")
IN_VAR = re.compile(r"_i\d+\Z")
UNDERSCORES = ("_", "__", "___")
SNAPSHOT_LOCALS = sys.version_info < (3, 13)  # f_locals of a function frame is a cached dict


def running_shell() -> Any:
    """The IPython shell running in this process (IPython's ``InteractiveShell`` singleton,
    which ``get_ipython()`` returns), else None. IPython is never imported."""
    mod = sys.modules.get("IPython.core.interactiveshell")
    cls = getattr(mod, "InteractiveShell", None)
    if cls is None:
        return None
    try:
        return cls.instance() if cls.initialized() else None
    except Exception:  # noqa: BLE001
        return None


def is_own_frame(frame) -> bool:
    """Whether ``frame`` runs pympler_nb's own code (left out of every walk's roots)."""
    try:
        name = frame.f_globals.get("__name__", "")
    except Exception:  # noqa: BLE001
        return False
    return isinstance(name, str) and (name == "pympler_nb" or name.startswith("pympler_nb."))
