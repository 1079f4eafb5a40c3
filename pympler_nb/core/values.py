"""The shared value layer: the one immutable value base and the one int-option check.

* :class:`Frozen` — the base of every small immutable result object of the core
  (tracemalloc's ``Statistic`` is the model): fields are ``__slots__``, set once in
  ``__init__`` with :meth:`Frozen._set`, after which every assignment or deletion raises
  ``AttributeError`` naming the class and the field. Subclasses add their own ``__repr__``
  and, when they compare by value, ``__eq__``/``__hash__`` over :meth:`Frozen._values`.
  (Rows that are tuples by contract, like ``TracedMemory`` or the Class Tracker's rows,
  stay ``typing.NamedTuple``: they are immutable already and unpack like tuples.)
* :func:`check_int` — every int option of the core (``limit``, ``depth``, ``top``,
  ``detail``, ``n`` ...) is checked by it: an ``int`` (never a ``bool``) at least
  ``minimum``, optionally None; otherwise one ``ValueError`` naming the option, the
  value given and what to pass instead.

>>> check_int(3, "top", 1)
3
>>> check_int(0, "top", 1)
Traceback (most recent call last):
...
ValueError: top must be an int >= 1, got 0
>>> check_int(None, "limit", none="no limit") is None
True

Standard library only.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Frozen", "check_int"]


class Frozen:
    """Base of the immutable value classes: ``__slots__`` set once, then read-only.

    >>> class Point(Frozen):
    ...     __slots__ = ("x", "y")
    ...     def __init__(self, x, y):
    ...         self._set(x=x, y=y)
    >>> p = Point(1, 2)
    >>> p.x = 5
    Traceback (most recent call last):
    ...
    AttributeError: Point is immutable (cannot set 'x')
    """

    __slots__ = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable (cannot set {name!r})")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is immutable (cannot delete {name!r})")

    def _set(self, **fields) -> None:
        """Set fields once (from ``__init__`` or a constructor classmethod)."""
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def _values(self, names: tuple | None = None) -> tuple:
        """The values of ``names`` (default: every public slot of the class), in order:
        the key of a subclass's ``__eq__``/``__hash__``."""
        if names is None:
            names = _public_slots(type(self))
        return tuple(getattr(self, name) for name in names)


def _public_slots(cls: type) -> tuple:
    """The public ``__slots__`` of ``cls`` and its bases, bases first."""
    out: list = []
    for klass in reversed(cls.__mro__):
        slots = klass.__dict__.get("__slots__", ())
        out.extend(s for s in ((slots,) if isinstance(slots, str) else slots)
                   if not s.startswith("_") and s not in out)
    return tuple(out)


def check_int(value: Any, name: str, minimum: int = 0, *, none: str | None = None,
              meaning: str = "") -> Any:
    """``value`` if it is an int (not a bool) >= ``minimum`` — or None when ``none`` says
    what None means — else a ``ValueError`` naming the option, the value and the fix:
    ``"limit must be an int >= 0 or None (no limit), got -1"``.

    ``meaning`` (optional) says what the number counts, in the message:
    ``"frames must be an int >= 1 (frames stored per traceback), got 0"``.
    """
    if value is None and none is not None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        what = f" ({meaning})" if meaning else ""
        alt = f" or None ({none})" if none else (" or None" if none is not None else "")
        raise ValueError(f"{name} must be an int >= {minimum}{what}{alt}, got {value!r}")
    return value
