"""Tasks the Dask cluster tests run on the workers (imported there by name)."""

import os
import sys
import types


class Leaked:
    """What :func:`leak` leaves behind in a module-level list."""

    __slots__ = ("payload",)

    def __init__(self, i):
        self.payload = i


def _module():
    mod = sys.modules.get("leaky_store")
    if mod is None:
        mod = sys.modules["leaky_store"] = types.ModuleType("leaky_store")
        mod.items = []
    return mod


def leak(n):
    """Append ``n`` :class:`Leaked` objects to ``leaky_store.items`` on this worker."""
    _module().items.extend(Leaked(i) for i in range(n))
    return os.getpid()


def clear():
    """Empty ``leaky_store.items``."""
    _module().items.clear()


def ballast(n):
    """Keep ``n`` small objects alive on this worker (so that a heap summary takes a while)."""
    _module().ballast = [str(i) for i in range(n)]
    return n


def make_bytes(n):
    return bytearray(n)


class Tracked:
    """A class the Class Tracker test tracks on the workers."""

    def __init__(self, n):
        self.data = list(range(n))


def make_tracked(n):
    _module().tracked = [Tracked(10) for _ in range(n)]
    return n


def cache_frame(n):
    """Keep a pandas frame with object, categorical and Arrow string columns in ``leaky_store.frames``."""
    import numpy as np
    import pandas as pd

    df = pd.DataFrame({
        "name": [f"customer {i}" for i in range(n)],
        "region": pd.Categorical(np.array(["north", "south", "east"])[np.arange(n) % 3]),
        "tag": pd.array([f"t{i % 50}" for i in range(n)], dtype="string[pyarrow]"),
        "objs": np.array([(i, str(i)) for i in range(n)] + [None], dtype=object)[:n],
    })
    _module().__dict__.setdefault("frames", []).append(df)
    return len(df)


def warm():
    """Import what :func:`cache_frame` needs, and run it once without keeping the frame."""
    cache_frame(10)
    _module().frames.clear()
