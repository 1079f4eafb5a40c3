"""The one text-column builder of every DataFrame (``frames*.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from .core.format import text_safe

__all__ = ["text_series"]


def text_series(values: Iterable, dtype: Any = "string") -> pd.Series:
    """A text column: every ``str`` made valid UTF-8 (lone surrogates escaped, see
    :func:`~pympler_nb.core.format.text_safe`) so that it converts to Arrow (pandas 3's
    string storage) and to JSON. Every frame builder makes its text columns with it.

    >>> text_series(["ok", "bad \\ud800"]).tolist()
    ['ok', 'bad \\\\ud800']
    """
    return pd.Series([text_safe(v) if isinstance(v, str) else v for v in values], dtype=dtype)
