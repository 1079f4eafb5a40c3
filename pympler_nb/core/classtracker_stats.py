"""Statistics of a :class:`~.classtracker.ClassTracker`: tables, safe files, an HTML report.

Drop-in for ``pympler.classtracker_stats``: :class:`Stats` (sorting, per-snapshot class
summaries, files), :class:`ConsoleStats` (text tables) and :class:`HtmlStats` (one
self-contained HTML file with inline SVG charts: no network, no matplotlib, no
JavaScript).

This module is the facade; the parts are :mod:`.classtracker_model` (:class:`Stats`),
:mod:`.classtracker_reports` (the console and HTML reports) and
:mod:`.classtracker_format` (the file format below).

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

from .classtracker_format import FORMAT, MAX_STATS_BYTES, READ_VERSIONS, VERSION, clamp_size, clamp_time
from .classtracker_model import SORT_KEYS, ClassRow, ObjectRecord, SizeRow, Stats
from .classtracker_reports import ConsoleStats, HtmlStats

__all__ = ["FORMAT", "MAX_STATS_BYTES", "VERSION", "ConsoleStats", "HtmlStats", "Stats"]

__all__ += ["READ_VERSIONS", "SORT_KEYS", "ClassRow", "ObjectRecord", "SizeRow"]  # ours, beyond Pympler's

# the file's coercions under their former names (tests/core/test_files_hostile.py uses them)
_size = clamp_size
_time = clamp_time
