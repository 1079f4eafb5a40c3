"""The one size formatter of pympler_nb, and safe, clipped ``repr``.

Every module that shows a byte count goes through :func:`format_size` (human text,
optionally signed, like ``tracemalloc``'s ``_format_size``) or :func:`pp` (Pympler's
fixed-width table cells, used by the ``summary`` tables).  Every module that shows an
object goes through :func:`safe_repr`, which never raises and never returns more than
``clip`` characters.
"""

from __future__ import annotations

import math

__all__ = ["format_size", "axis_size", "axis_size_expr", "binary_ticks", "pp", "safe_repr", "clip_text", "one_line",
           "type_name", "text_safe"]


def text_safe(text: str) -> str:
    """``text`` as valid UTF-8: lone surrogates (``'\\ud800'``, from a file name or a
    ``__repr__``) escaped as backslash sequences, everything else unchanged. What every
    view applies to text before it leaves Python (DataFrame string columns, which
    pandas 3 keeps in Arrow; widget state, which travels as UTF-8 JSON; DOT).

    >>> text_safe("a\\ud800b"), text_safe("naïve <\\u202e>")
    ('a\\\\ud800b', 'naïve <\\u202e>')
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")

_type_name_get = type.__dict__["__name__"].__get__
_type_qualname_get = type.__dict__["__qualname__"].__get__
_type_module_get = type.__dict__["__module__"].__get__


def class_name(tp: type, qualified: bool = True, module: bool = True) -> str:
    """The name of a class, ``module.qualname`` by default (``builtins`` left out), read
    by ``type``'s own getters: a metaclass whose ``__getattribute__`` raises or lies is
    never run. ``qualified=False``: ``__name__``; ``module=False``: no module prefix.
    The one helper for "the name of a type" (``asizeof``'s rules are looked up by it).

    >>> class_name(int), class_name(type(_scale)), class_name(dict, module=False)
    ('int', 'function', 'dict')
    >>> import collections; class_name(collections.OrderedDict)
    'collections.OrderedDict'
    """
    try:
        text = (_type_qualname_get if qualified else _type_name_get)(tp)
        mod = _type_module_get(tp) if module else "builtins"
    except Exception:  # noqa: BLE001 - never fails
        return "?"
    if type(text) is not str:
        return "?"
    return text if type(mod) is not str or mod == "builtins" else f"{mod}.{text}"


def type_name(obj: object, qualified: bool = False, module: bool = False) -> str:
    """:func:`class_name` of ``type(obj)``, by default its bare ``__name__``.

    >>> type_name([]), type_name(type_name, qualified=True), type_name(1j, module=True)
    ('list', 'function', 'complex')
    """
    return class_name(type(obj), qualified, module)


_UNITS = ("B", "KB", "MB", "GB", "TB", "PB", "EB")
_HUMAN_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def _scale(size: float, base: int) -> tuple[float, int]:
    """Divide ``|size|`` by ``base`` while it is larger than ``base``."""
    degree = 0
    value = float(size)
    while abs(value) > base and degree < len(_UNITS) - 1:
        value /= base
        degree += 1
    return value, degree


def pp(size: int, base: int = 1024) -> str:
    """Pympler's table cell for a byte count: ``'1023     B'``, ``'   1.46 KB'``.

    Integers up to ``base`` are shown as whole bytes in 4 columns, larger ones with
    two decimals in 7 columns, so the cells of a column line up. Negative values
    (diffs) scale by their absolute value.

    >>> pp(1023), pp(1500), pp(-2048)
    ('1023     B', '   1.46 KB', '  -2.00 KB')
    """
    value, degree = _scale(size, base)
    if degree == 0:
        return "%4d     %s" % (int(size), _UNITS[0])
    return "%7.2f %s" % (value, _UNITS[degree])


def format_size(size: int, sign: bool = False) -> str:
    """Human-readable byte count: ``'512 B'``, ``'1.5 KiB'``, ``'+3.2 MiB'``.

    ``sign=True`` always shows the sign (for diffs).

    >>> format_size(512), format_size(1536), format_size(-3 * 2**20, sign=True)
    ('512 B', '1.5 KiB', '-3.0 MiB')
    """
    value, degree = _scale(size, 1024)
    fmt_sign = "+" if sign else ""
    if degree == 0:
        return f"{int(size):{fmt_sign}d} B"
    if abs(value) >= 100:
        return f"{value:{fmt_sign}.0f} {_HUMAN_UNITS[degree]}"
    return f"{value:{fmt_sign}.1f} {_HUMAN_UNITS[degree]}"


def _axis_digits(value: float) -> str:
    """The number of an axis label as d3-format writes it (Vega draws the charts): no
    decimals from 100 up, else one, a trailing ``.0`` dropped, ``'−'`` (U+2212) for minus,
    no sign on a value that rounds to zero."""
    text = f"{value:.0f}" if abs(value) >= 100 else f"{value:.1f}"
    text = text[:-2] if text.endswith(".0") else text
    if text.startswith("-"):
        text = "0" if text == "-0" else "\u2212" + text[1:]
    return text


def axis_size(size: float) -> str:
    """A byte count as a chart's axis label: ``'0 B'``, ``'512 B'``, ``'1 KiB'``,
    ``'1.5 MiB'``, ``'10 MiB'``, ``'−256 KiB'`` (a minus sign, U+2212, as Vega writes it).

    The rule of :func:`format_size` for round tick values: a unit is used from one whole
    unit on (``1024`` is ``'1 KiB'``) and a trailing ``.0`` is dropped. Charts drawn by
    Vega use the same rule as the expression :func:`axis_size_expr`.

    >>> [axis_size(v) for v in (0, 512, 1024, 1536, 10 * 2**20, -2**18)]
    ['0 B', '512 B', '1 KiB', '1.5 KiB', '10 MiB', '\u2212256 KiB']
    """
    value, degree = float(size), 0
    while abs(value) >= 1024 and degree < len(_HUMAN_UNITS) - 1:
        value /= 1024
        degree += 1
    return f"{_axis_digits(value)} {_HUMAN_UNITS[degree]}"


def axis_size_expr(field: str = "datum.value") -> str:
    """The Vega expression of :func:`axis_size` (an Altair axis's ``labelExpr``), so that
    charts drawn by Vega label bytes as the HTML report does.

    >>> axis_size_expr().count("' KiB'"), "abs(datum.value) >= 1024 ?" in axis_size_expr()
    (1, True)
    """
    def digits(v: str) -> str:  # d3-format's '.1~f' drops a trailing .0
        return f"(abs({v}) >= 100 ? format({v}, '.0f') : format({v}, '.1~f'))"

    expr = f"{digits(field)} + ' {_HUMAN_UNITS[0]}'"
    for degree in range(1, len(_HUMAN_UNITS)):
        unit = 1024 ** degree
        scaled = f"({field} / {unit})"
        expr = f"abs({field}) >= {unit} ? {digits(scaled)} + ' {_HUMAN_UNITS[degree]}' : ({expr})"
    return expr


def binary_ticks(values, target: int = 5) -> list[int]:
    """About ``target`` round tick values in binary units spanning ``values`` (and 0),
    for charts labelled by :func:`axis_size`.

    >>> [axis_size(t) for t in binary_ticks([0, 5 * 2**20])]
    ['0 B', '1 MiB', '2 MiB', '3 MiB', '4 MiB', '5 MiB']
    """
    vals = [float(v) for v in values if v == v]
    lo, hi = min(vals + [0.0]), max(vals + [0.0])
    span = hi - lo
    if span <= 0:
        return [0]
    unit = 1024 ** max(0, min(4, int(math.log(span, 1024)))) if span >= 1 else 1
    step = unit
    for mult in (0.125, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        step = mult * unit
        if step >= 1 and span / step <= target:
            break
    first = int(lo // step) * step
    ticks, t = [], first
    while t <= hi + step * 1e-9:
        ticks.append(int(round(t)))
        t += step
    if ticks[-1] < hi:
        ticks.append(int(round(t)))
    return ticks


def clip_text(text: str, clip: int = 80) -> str:
    """Shorten ``text`` to at most ``clip`` characters, marking the cut with ``...``.

    ``clip <= 0`` means no clipping.
    """
    if clip and clip > 0 and len(text) > clip:
        if clip <= 3:
            return text[:clip]
        head = (clip - 3) // 2 + (clip - 3) % 2
        tail = clip - 3 - head
        return text[:head] + "..." + (text[-tail:] if tail else "")
    return text


def one_line(text: str, clip: int = 80) -> str:
    """``text`` on one line (a multi-line repr, such as a DataFrame's, joined with
    `` ⏎ ``), clipped to ``clip`` characters."""
    if "\n" in text or "\r" in text:
        text = " ⏎ ".join(filter(None, map(str.strip, text.splitlines())))
    return clip_text(text, clip)


def safe_repr(obj: object, clip: int = 80) -> str:
    """``repr(obj)`` clipped to ``clip`` characters; never raises.

    A failing ``__repr__`` gives ``'<TypeName object at 0x... (repr failed: Error)>'``.
    Only ``type(obj)`` is consulted, never ``obj.__class__`` (which may lie).
    """
    try:
        text = repr(obj)
        if not isinstance(text, str):
            raise TypeError("__repr__ returned non-string")
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        tname = type_name(obj, qualified=True)
        text = "<%s object at %#x (repr failed: %s)>" % (tname, id(obj), type(exc).__name__)
    return clip_text(text, clip)
