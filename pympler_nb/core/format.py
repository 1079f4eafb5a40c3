"""Formatting for the views: the one size formatter and safe, clipped text.

The public face of :mod:`pympler_nb.core._format` for the view modules (magics, frames,
widgets): sizes as human text (:func:`format_size`), text made safe to leave Python
(:func:`text_safe`), clipped text and ``repr`` (:func:`clip_text`, :func:`safe_repr`) and
type names read without running the user's code (:func:`type_name`).

>>> format_size(1536), clip_text("abcdef", 4)
('1.5 KiB', 'a...')
"""

from __future__ import annotations

from ._format import (axis_size, axis_size_expr, binary_ticks, clip_text, format_size, one_line, pp, safe_repr,
                      text_safe, type_name)

__all__ = ["format_size", "axis_size", "axis_size_expr", "binary_ticks", "pp", "safe_repr", "clip_text", "one_line",
           "type_name", "text_safe"]
