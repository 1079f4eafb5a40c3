"""Heapy-style heap snapshots: partitions, reference points, garbage, dominators.

A :class:`HeapSnapshot` is taken once and then only read.  It stores, in flat
``array`` columns, one row per object: its ``id``, a type index, its flat size, a
"kind" (the type, or ``dict of X`` for the ``__dict__`` of a module, class or
instance) and its outgoing references as node indices (a CSR graph).  It keeps **no
reference to any object** once :func:`take` returns, so it can be saved
(:meth:`HeapSnapshot.dump`, versioned JSON) and compared after a kernel restart.

>>> from pympler_nb.core import heap
>>> snap = heap.take()
>>> part = snap.by_type()
>>> part.count == len(snap) and part.size == snap.size
True
>>> big = [bytearray(1000) for _ in range(10)]
>>> snap = heap.take()
>>> snap.retained_size(big) >= 10 * 1000
True

What a snapshot holds
---------------------

``take()`` lists the whole heap the way :func:`muppy.get_objects` does (every object
the garbage collector tracks, plus everything reachable from those through untracked
objects: strs, ints, untracked tuples and dicts, dict keys, code constants, and what
the size rules' ``refs=`` say an object holds that ``gc.get_referents`` does not show:
the elements of numpy object arrays and an array's base), **without
running a collection first**, so garbage that a collection would free is still there
(see :meth:`HeapSnapshot.unreachable`).  ``take(roots=[...])`` lists only what is
reachable from the given objects.  The snapshot's own data and the data of other live
snapshots are left out.

Roots, reachability and garbage
-------------------------------

For a whole-heap snapshot the *roots* are found the way CPython's collector finds them,
but without collecting: a GC-tracked object is a root if its reference count is larger
than the number of references to it from other tracked objects (what is left comes
from C code, the interpreter state or local variables of running functions).  References
found by the size rules count as references from other objects: a list held only by a
numpy object array is no root, its array dominates it.  Objects
reachable from a root are alive; the rest (:meth:`~HeapSnapshot.unreachable`) is
cyclic garbage that the next ``gc.collect()`` would free.  Nothing is freed by
looking: the garbage is still in memory after the snapshot.

Dominators and retained sizes
-----------------------------

Object ``d`` *dominates* ``o`` if every path of references from the roots to ``o``
passes through ``d``; the retained size of ``d`` is the total flat size of what it
dominates (itself included): the memory freed if ``d`` went away.  The dominator tree
is computed for all reachable objects at once by an iterative Cooper-Harvey-Kennedy
algorithm over a breadth-first numbering (which, like a reverse postorder, puts every
dominator before what it dominates), with objects that have a single referrer settled
directly; the breadth-first numbering is done level by level in bulk.  No recursion.
:meth:`HeapSnapshot.dominators` returns it as a :class:`DominatorTree` (retained size,
count, immediate dominator, children and dominated set of any row, top retainers);
:meth:`Partition.retained` gives each row's retained size and
:meth:`HeapSet.top_retainers` the largest retainers of a subset.

>>> tree = snap.dominators()
>>> tree.retained(snap.node(big)) == snap.retained_size(big)
True
>>> [r.id for r in snap.reachable.top_retainers(3)] == [r.id for r in snap.top_retainers(3)]
True

The retained size of a single object needs no tree (heapy's ``domisize``): what the
roots reach without passing through ``x`` stays alive, ``x`` retains what it reaches
besides that.  :meth:`HeapSnapshot.retained_size` answers its first few calls so, with
two breadth-first walks of the snapshot's graph, and :func:`retained_size` does it on
the live heap without a snapshot (the same number as the snapshot's tree gives).

Partitions
----------

``by_type``, ``by_module`` (the class's module), ``by_kind`` (type, with ``dict of X``),
``by_rcs`` (the kinds of an object's referrers, heapy's ``byrcs``), ``by_via`` (how the
referrers hold it: ``.attr``, ``['key']``, ``[3]``; needs ``take(via=True)``),
``by_size`` (each exact size; ``buckets=True``: power-of-two size classes), ``by_id``,
``by_idset``, ``by_unity`` and ``by_prod`` (the allocating line, recorded when the
snapshot is taken while tracemalloc traces: :mod:`.producers`) return a
:class:`Partition`: immutable rows (``key``, ``count``, ``size``) largest first,
convertible with ``pympler_nb.frames.heap_partition_frame``.  Every partition is also
available on any :class:`HeapSet` (a subset of a snapshot: ``snap.new``,
``snap.unreachable()``, a partition row's ``select``), also in heapy's spelling
(``x.bytype``, ``x.byprod``).  Sets and partitions combine as heapy's: ``|``, ``&``,
``-``, ``^``, ``disjoint``; ``.parts`` splits a partition into sets, ``.stat.get_rows()``
gives heapy's rows.

Who holds a set and what it holds: :meth:`HeapSet.rp` (heapy's reference pattern),
:meth:`HeapSet.pathsin` and :meth:`HeapSet.pathsout`, depth-limited, each a
:class:`ReferenceTree` (:mod:`.patterns`).

The package
-----------

Split as guppy's heapy is; this module is the facade (every public name is here):
:mod:`.snapshot` (:func:`take`, :class:`HeapSnapshot`, :func:`load`,
:class:`HeapSession`), :mod:`.sets` (:class:`HeapSet`, :class:`Partition`),
:mod:`.discovery` (the heap walk, :func:`retained_size` of a live object),
:mod:`.dominators` (:class:`DominatorTree`, :class:`RetainedNode`, :class:`Retainer`),
:mod:`.patterns` (:class:`ReferenceTree`), :mod:`.producers` (allocation sites) and
:mod:`.persistence` (the JSON format, :class:`HeapFormatError`) and :mod:`.compare`
(:func:`compare`: two snapshots, live or saved, by type and by module).

Sizes are flat sizes as :func:`asizeof.flatsize` counts them (``sys.getsizeof`` plus
each instance's hidden values array and split dict tables; a ``__sizeof__`` written
in Python is not run, as in :func:`summary.summarize`).  Rows are grouped by type:
sizes, type codes and the per-type totals behind ``by_type`` are computed per type
group in bulk when the snapshot is taken.
"""


from __future__ import annotations

from .compare import HeapComparison, compare
from .discovery import retained_size
from .dominators import DominatorTree, RetainedNode, Retainer, Subtree
from .persistence import FORMAT, FORMAT_VERSION, HeapFormatError
from .patterns import ReferenceTree, RefTreeRow
from .sets import HeapSet, Partition, PartitionRow, StatRow
from .snapshot import HeapNodeRef, HeapSession, HeapSnapshot, load, row, take

__all__ = [
    "take",
    "compare",
    "HeapComparison",
    "retained_size",
    "load",
    "row",
    "HeapSnapshot",
    "HeapSet",
    "Partition",
    "PartitionRow",
    "StatRow",
    "ReferenceTree",
    "RefTreeRow",
    "DominatorTree",
    "Retainer",
    "RetainedNode",
    "Subtree",
    "HeapSession",
    "HeapNodeRef",
    "HeapFormatError",
    "FORMAT",
    "FORMAT_VERSION",
]
