"""Where each object of a snapshot was allocated (heapy's ``byprod``), from
:mod:`tracemalloc`.

When tracemalloc is tracing, :func:`~pympler_nb.core.heap.take` records for every object
the line that allocated its memory (the most recent frame of its tracemalloc traceback,
as tracemalloc's ``'lineno'`` statistics count it), named as a notebook user knows it:
``"cell [3], line 2"`` for code run in an IPython cell, ``"file.py:12"`` elsewhere
(:func:`~pympler_nb.core.alloc_sites.site_label`).  Objects whose memory tracemalloc did
not trace (allocated before tracing started, taken from a free list, or made by C code
with another allocator) are ``"unknown"`` (as in heapy).  Only the names are kept,
never the objects.

>>> import tracemalloc
>>> from pympler_nb.core import heap
>>> tracemalloc.start()
>>> data = [bytearray(100) for _ in range(3)]
>>> part = heap.take(roots=[data]).by_prod()
>>> tracemalloc.stop()
>>> part.rows[0].count                     # the three bytearrays share their line
3
"""

from __future__ import annotations

import tracemalloc
from array import array

from ..alloc_sites import cell_files, object_frames, site_label

__all__ = ["UNKNOWN", "allocation_sites", "is_tracing", "NOT_TRACING"]

UNKNOWN = "unknown"  # heapy's name

NOT_TRACING = ("this snapshot has no allocation sites: tracemalloc was not tracing when it "
               "was taken.  Start tracing before the objects are created "
               "(tracemalloc.start(), or allocations.start()), then take the snapshot "
               "(heap.take() records the sites whenever tracemalloc is tracing)")


def is_tracing() -> bool:
    return tracemalloc.is_tracing()




def allocation_sites(groups: list) -> tuple[array, list]:
    """``(codes, names)``: for every object of ``groups`` (``[(type, objects, _), ...]``,
    in row order) the code of its allocation site in ``names``."""
    cells = cell_files()  # the running shell's cell files, read once
    names = [UNKNOWN]
    code_of: dict = {}
    codes = array("i")
    append = codes.append
    for _, objs, _ in groups:
        for o in objs:
            frames = object_frames(o)
            if not frames:
                append(0)
                continue
            key = frames[0]  # the most recent frame: the line that allocated it
            c = code_of.get(key)
            if c is None:
                c = code_of[key] = len(names)
                names.append(site_label(key[0], key[1], cells))
            append(c)
    return codes, names
