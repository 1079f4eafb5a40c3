"""Graphs of the garbage the collector finds (Pympler's ``garbagegraph``).

:class:`GarbageGraph` runs a collection with ``gc.DEBUG_SAVEALL`` so that every
object the collector would free is kept in ``gc.garbage`` instead, and draws those
objects as a :class:`~pympler_nb.core.refgraph.ReferenceGraph`: the reference
cycles your code leaves behind.

Typical use::

    start_debug_garbage()          # collect once, then switch automatic collection off
    ...                            # run the code that creates cycles
    gb = GarbageGraph(reduce=True) # only the objects on cycles
    gb.print_stats()
    gb.render("garbage.svg", format="svg")   # or pympler_nb.graphs.to_svg(gb)
    end_debug_garbage()            # collection on again

Unlike Pympler 1.1, the constructor restores the collector's previous debug flags
after its collection (Pympler left ``DEBUG_SAVEALL`` on, so every later collection
kept piling objects into ``gc.garbage``). The saved objects stay in
``gc.garbage`` (that is where Python puts them); ``clear_garbage()`` empties it.
"""

from __future__ import annotations

import gc
import sys

from ._format import clip_text, pp
from .refgraph import ReferenceGraph
from .values import Frozen

__all__ = ["GarbageGraph", "GarbageCycles", "garbage_cycles", "start_debug_garbage",
           "end_debug_garbage", "clear_garbage"]


class GarbageGraph(ReferenceGraph):
    """A :class:`ReferenceGraph` of the objects the garbage collector finds unreachable.

    Parameters
    ----------
    reduce : bool
        Keep only the objects that lie on reference cycles.
    collectable : bool
        ``True``: save (and draw) every unreachable object, collectable cycles
        included. ``False``: only what the collector cannot free by itself
        (``gc.garbage`` as Python fills it without debug flags).

    Examples
    --------
    >>> import gc
    >>> from pympler_nb.core.garbagegraph import GarbageGraph, clear_garbage
    >>> start_debug_garbage()
    >>> l = []; l.append(l); lid = id(l); del l
    >>> gb = GarbageGraph()
    >>> any(m.id == lid for m in gb.metadata)
    True
    >>> end_debug_garbage(); del gb; _ = clear_garbage()
    """

    def __init__(self, reduce: bool = False, collectable: bool = True):
        previous = gc.get_debug()
        gc.set_debug(gc.DEBUG_SAVEALL if collectable else 0)
        try:
            gc.collect()
        finally:
            gc.set_debug(previous)
        ReferenceGraph.__init__(self, gc.garbage, reduce)

    def print_stats(self, stream=None) -> None:
        """Write one line per garbage object (largest first) and a total to ``stream``.

        ``stream`` defaults to ``sys.stdout``. Columns: id, flat size, type, repr.
        """
        if stream is None:
            stream = sys.stdout
        self.metadata.sort(key=lambda m: -m.size)
        stream.write("%-10s %8s %-12s %-46s\n" % ("id", "size", "type", "representation"))
        for m in self.metadata:
            stream.write("0x%08x %8d %-12s %-46s\n" % (
                m.id, m.size, clip_text(m.type, 12), clip_text(m.str.replace("\n", "|"), 46)))
        stream.write("Garbage: %8d collected objects (%s in cycles): %12s\n"
                     % (self.count, self.num_in_cycles, pp(self.total_size)))


class GarbageCycles(Frozen):
    """What :func:`garbage_cycles` found: ``found`` (objects the collection found
    unreachable), ``model`` (the :class:`~pympler_nb.core.refgraph.GraphModel` of the
    objects shown), ``groups`` (one ``GraphModel`` per group of connected objects, most
    bytes first), ``reduced`` (only objects on cycles were kept) and ``kept`` (the
    objects were left in ``gc.garbage``). Holds no object: ids, types, sizes, reprs."""

    __slots__ = ("found", "model", "groups", "reduced", "kept")

    def __init__(self, found, model, groups, reduced, kept):
        self._set(found=found, model=model, groups=tuple(groups), reduced=reduced, kept=kept)

    @property
    def size(self) -> int:
        """Bytes of the objects shown (their own sizes)."""
        return sum(n.size for n in self.model.nodes)

    def __repr__(self):
        return (f"<GarbageCycles {self.found} unreachable, {len(self.model.nodes)} shown in "
                f"{len(self.groups)} groups, {pp(self.size)}>")


def garbage_cycles(reduce: bool = True, keep: bool = False) -> GarbageCycles:
    """Run one collection and describe the garbage, grouped per reference cycle.

    A :class:`GarbageGraph` (``gc.DEBUG_SAVEALL``) parks the unreachable objects in
    ``gc.garbage``; they are described (``reduce=True``: only the objects that lie on
    cycles, each group reduced to its core; ``False``: everything unreachable, with
    what hangs on the cycles), split into groups of connected objects (one per cycle
    or knot of cycles, most bytes first), and then released and collected, unless
    ``keep`` leaves them in ``gc.garbage``. As in any collection, finalizers and
    weakref callbacks run.

    >>> import gc
    >>> a = []; b = [a]; a.append(b); del a, b
    >>> found = garbage_cycles()
    >>> found.found >= 2 and any(len(g.nodes) == 2 for g in found.groups)
    True
    """
    before = len(gc.garbage)
    graph = GarbageGraph(reduce=bool(reduce))
    try:
        found = len(gc.garbage) - before
        model = graph.to_graph()
        groups = []
        for sub in graph.split():
            groups.append(sub.to_graph())
            sub = None
        groups.sort(key=lambda g: (-sum(n.size for n in g.nodes), -len(g.nodes)))
    finally:
        graph = None
        if not keep:
            del gc.garbage[before:]
            gc.collect()
    return GarbageCycles(found, model, groups, bool(reduce), bool(keep))


def start_debug_garbage() -> None:
    """Collect once, then turn automatic garbage collection off.

    New reference cycles then stay in memory until :class:`GarbageGraph` (or
    ``gc.collect()``) finds them.
    """
    gc.collect()
    gc.disable()


def end_debug_garbage() -> None:
    """Turn garbage collection back on and clear the collector's debug flags."""
    gc.set_debug(0)
    gc.enable()


def clear_garbage() -> int:
    """Empty ``gc.garbage`` (the objects a :class:`GarbageGraph` saved); return how many."""
    count = len(gc.garbage)
    del gc.garbage[:]
    return count
