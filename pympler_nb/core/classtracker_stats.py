"""Statistics of a :class:`~.classtracker.ClassTracker`: tables, safe files, an HTML report.

Drop-in for ``pympler.classtracker_stats``: :class:`Stats` (sorting, per-snapshot class
summaries, files), :class:`ConsoleStats` (text tables) and :class:`HtmlStats` (one
self-contained HTML file with inline SVG charts: no network, no matplotlib, no
JavaScript).

This module is the facade; the parts are :mod:`.classtracker_model` (:class:`Stats`),
:mod:`.classtracker_reports` (the console and HTML reports) and
:mod:`.classtracker_format` (the file format).

Saved statistics are JSON, never pickle: loading a file only ever builds numbers,
strings and :class:`~.asizeof.Asized` trees, so a hostile file cannot run code; a
malformed, truncated or foreign file raises :class:`ValueError` that says what is wrong
and where. Pympler's pickled dumps cannot be read (and are not meant to be). The file
format (version 2, gzip when the name ends in ``.gz``) is documented in
:mod:`.classtracker_format`.
"""

from __future__ import annotations

from .classtracker_format import FORMAT, MAX_STATS_BYTES, READ_VERSIONS, VERSION, clamp_size, clamp_time
from .classtracker_model import SORT_KEYS, ClassRow, ObjectRecord, SizeRow, Stats, TotalRow
from .classtracker_reports import ConsoleStats, HtmlStats

__all__ = ["FORMAT", "MAX_STATS_BYTES", "VERSION", "ConsoleStats", "HtmlStats", "Stats"]

__all__ += ["READ_VERSIONS", "SORT_KEYS", "ClassRow", "ObjectRecord", "SizeRow", "TotalRow"]  # ours, beyond Pympler's

# the file's coercions under their former names (tests/core/test_files_hostile.py uses them)
_size = clamp_size
_time = clamp_time
