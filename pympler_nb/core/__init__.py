"""The sizing and tracker core: a drop-in for Pympler's public API.

Standard library only; ``psutil`` and ``graphviz`` are imported lazily where needed.
``from pympler_nb.core import asizeof`` works like ``from pympler import asizeof``.
"""

from . import asizeof

__all__ = ["asizeof"]
