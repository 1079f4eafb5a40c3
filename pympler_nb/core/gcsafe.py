"""``gc.get_referents`` that cannot corrupt the interpreter it inspects.

CPython 3.12.0 to 3.12.5 have a bug (python/cpython#122695, fixed in 3.12.6): the
``_asyncio`` module's ``tp_traverse`` visits its free list of ``FutureIter`` objects,
so ``gc.get_referents(_asyncio)`` hands out objects that were already freed. Dropping
them frees them a second time, the free list becomes a cycle, and the next traversal
of the module - the next ``gc.collect()``, ``gc.get_referrers()`` or heap walk - never
ends. Any process that ever awaited an asyncio future has such objects (a Jupyter
kernel always has). Every walk of ours asks for referents through :func:`get_referents`,
which on those versions never passes the ``_asyncio`` module to ``gc`` (its referents
are then its ``__dict__``); elsewhere it *is* ``gc.get_referents``.

>>> import gc
>>> get_referents([1, "a"]) == gc.get_referents([1, "a"])
True
"""

from __future__ import annotations

import gc
import sys
from itertools import repeat
from operator import is_

__all__ = ["ASYNCIO_FREELIST_BUG", "get_referents"]

#: whether this interpreter has python/cpython#122695 (see the module's docstring)
ASYNCIO_FREELIST_BUG = sys.implementation.name == "cpython" and (3, 12, 0) <= sys.version_info[:3] < (3, 12, 6)

_modules = sys.modules
_gc_referents = gc.get_referents


def _guarded_referents(*objs) -> list:
    """``gc.get_referents(*objs)``, the ``_asyncio`` module's free list left out."""
    mod = _modules.get("_asyncio")
    if mod is None or not any(map(is_, objs, repeat(mod))):
        return _gc_referents(*objs)
    out = _gc_referents(*[o for o in objs if o is not mod])
    for o in objs:
        if o is mod:
            out.append(mod.__dict__)
    return out


get_referents = _guarded_referents if ASYNCIO_FREELIST_BUG else _gc_referents
