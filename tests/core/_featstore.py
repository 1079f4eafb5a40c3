"""The source of a user's module (a ``featstore``) that the why-alive tests hold objects in.

One ``Blob`` payload class (weak-referenceable, ``blob_size`` bytes by default), a
``__slots__`` class and a function with a mutable default cache are common to every such
module; each test adds the holders it needs (caches, closures, default arguments,
generators) with the payloads it wants (small blobs in core, pandas frames in the magics
tests). Stdlib-only: core tests import it.
"""

from __future__ import annotations

_COMMON = '''

class Blob:
    """A weak-referenceable payload of realistic size."""

    def __init__(self, name="blob", n={blob_size}):
        self.name = name
        self.data = bytearray(n)

    def __repr__(self):
        return f"<Blob {{self.name}}>"

    def on_event(self):
        return len(self.data)


class Slotted:
    __slots__ = ("payload", "other", "__weakref__")


def memo_fn(x, _memo={{}}):
    return _memo.setdefault(x, Blob(f"memo{{x}}"))

'''


def featstore_source(holders: str, *, imports: str, blob_size: int) -> str:
    """The module's source: ``imports``, then ``Blob``, ``Slotted`` and ``memo_fn``, then
    ``holders`` (more source that uses them)."""
    return imports + _COMMON.format(blob_size=blob_size) + holders
