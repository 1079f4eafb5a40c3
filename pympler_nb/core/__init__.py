"""The sizing and tracker core: a drop-in for Pympler's public API.

Standard library only; ``psutil`` and ``graphviz`` are imported lazily where needed.
``from pympler_nb.core import asizeof`` works like ``from pympler import asizeof``, and
so do ``muppy``, ``summary``, ``tracker``, ``process``, ``classtracker``,
``classtracker_stats``, ``refgraph``, ``garbagegraph`` and ``refbrowser``; ``whyalive``
finds the holders of an object in notebook terms; ``allocations`` wraps tracemalloc
(per-line statistics of a block) and ``heap`` takes heapy-style heap snapshots
(partitions, unreachable objects, dominators and retained sizes).

``ACCELERATED`` says whether the C loops of ``pympler_nb._speedups`` run (False: the
pure-Python path, forced by ``PYMPLER_NB_PURE=1``; same results, slower).
"""

from . import asizeof
from ._accel import ACCELERATED, pure_path_note

__all__ = [
    "ACCELERATED",
    "pure_path_note",
    "asizeof",
    "muppy",
    "summary",
    "tracker",
    "process",
    "classtracker",
    "classtracker_stats",
    "refgraph",
    "garbagegraph",
    "refbrowser",
    "whyalive",
    "allocations",
    "heap",
]


def __getattr__(name):  # the other modules load on first use
    if name in __all__ and name not in ("ACCELERATED", "pure_path_note"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
