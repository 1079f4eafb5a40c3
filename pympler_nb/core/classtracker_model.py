"""The statistics model of the Class Tracker: :class:`Stats` over a live tracker or a file.

:class:`Stats` shows a :class:`~.classtracker.ClassTracker`'s records (shared, read under
the tracker's lock) or those of a file (:mod:`.classtracker_format`): sorting, per-snapshot
class summaries with merged size trees (:meth:`Stats.annotate_snapshot`), saving and
loading, and consistent copies for views (:meth:`Stats.class_rows`,
:meth:`Stats.object_records`, :meth:`Stats.size_rows`). The text and HTML reports are in :mod:`.classtracker_reports`.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
from bisect import bisect_left, bisect_right
from contextlib import nullcontext
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from . import _safeio
from .asizeof import Asized
from .classtracker_format import MAX_STATS_BYTES, StatsReader, decode_stats, stats_sniffer, stats_to_json
from .classtracker_objects import EPOCH, Snapshot, TrackedObject, history
from .values import check_int

if TYPE_CHECKING:
    from .classtracker import ClassTracker

__all__ = ["SORT_KEYS", "ClassDetail", "ClassRow", "InstanceDetail", "ObjectRecord", "SizeRow", "Stats", "TotalRow",
           "copy_tree", "merge_into", "ref_key"]

SORT_KEYS = ("classname", "tsize", "birth", "death", "name", "repr", "size")


class ClassRow(NamedTuple):
    """One tracked class in one snapshot (see :meth:`Stats.class_rows`)."""

    snapshot: int  #: position of the snapshot in :attr:`Stats.snapshots` (0 = first)
    label: str  #: :attr:`Snapshot.label <.classtracker_objects.Snapshot.label>`
    timestamp: float  #: when the snapshot was taken (s)
    name: str  #: the tracked name
    active: int  #: live instances at the snapshot
    size: int  #: bytes of those instances (shared data counted once)
    average: float  #: ``size / active`` (0 without instances)
    pct: float  #: ``size`` in % of the snapshot's total


class TotalRow(NamedTuple):
    """The process total of one snapshot and its tracked and untracked shares (see
    :meth:`Stats.total_rows`): what Pympler's report gives as the snapshot's total line."""

    snapshot: int  #: position of the snapshot in :attr:`Stats.snapshots` (0 = first)
    label: str  #: :attr:`Snapshot.label <.classtracker_objects.Snapshot.label>`
    timestamp: float  #: when the snapshot was taken (s)
    total: int  #: :attr:`Snapshot.total <.classtracker_objects.Snapshot.total>`: the process's virtual size if read
    tracked: int  #: bytes of all tracked objects (each byte once)
    untracked: int  #: ``total - tracked`` (0 if negative): the rest of the process
    untracked_pct: float  #: ``untracked`` in % of ``total`` (0 without a total)
    overhead: int  #: bytes of the tracker's own bookkeeping
    vsz: int  #: the process's virtual size (0 if not read)
    rss: int  #: the process's resident set size (0 if not read)
    asizeof_total: int  #: all objects known to the gc (``compute_total=True``; else 0)


class SizeRow(NamedTuple):
    """One size sample of a tracked object in one snapshot (see :meth:`Stats.size_rows`)."""

    key: str  #: the tracked name the object is listed under
    id: int  #: ``id()`` of the object
    snapshot: int  #: position of the snapshot that took it
    timestamp: float
    size: int
    flat: int


class ObjectRecord(NamedTuple):
    """A tracked object's data at one instant (see :meth:`Stats.object_records`, :meth:`Stats.size_rows`)."""

    key: str  #: the tracked name it is listed under (the key in :attr:`Stats.index`)
    name: str
    type: str
    id: int
    repr: str
    birth: float
    death: float | None
    resolution_level: int
    max_size: int  #: largest size sampled (basic size at birth included)
    last_size: int  #: size at the last snapshot (0 if not sampled then)
    samples: int  #: number of snapshot samples


class InstanceDetail(NamedTuple):
    """One tracked instance in a :class:`ClassDetail` (copied: holds no object)."""

    name: str
    id: int
    type: str
    repr: str
    birth: float
    death: float | None
    trace: tuple  #: ``(filename, lineno, function, source line)`` outermost first; ``()`` without ``trace=True``
    samples: tuple  #: ``(snapshot position, label, size, flat, Asized tree or None)`` per snapshot that sized it
    max_size: int  #: largest size sampled (basic size at birth included)


class ClassDetail(NamedTuple):
    """What Pympler's page ``/tracker/class/<name>`` shows (see :meth:`Stats.class_detail`)."""

    name: str  #: the tracked name
    count: int  #: instances registered (dead ones included)
    merged: tuple  #: ``(snapshot position, label, Asized)`` per snapshot: the instances' referents merged
    instances: tuple  #: :class:`InstanceDetail`, largest ``max_size`` first, at most ``limit``
    labels: tuple  #: the snapshots' labels, in order


def ref_key(name: Any) -> Any:
    """The part of a referent's name that identifies it across instances (before ``':'``)."""
    return name.split(":")[0] if isinstance(name, str) else name


def copy_tree(tree: Asized, rename: Any = None) -> Asized:
    """A deep copy of an :class:`Asized` tree (iterative); ``rename`` maps every name."""
    fix = rename or (lambda name: name)
    root = Asized(tree.size, tree.flat, (), fix(tree.name))
    stack = [(tree, root)]
    while stack:
        src, dst = stack.pop()
        if src.refs:
            kids = [Asized(r.size, r.flat, (), fix(r.name)) for r in src.refs]
            dst.refs = tuple(kids)
            stack.extend(zip(src.refs, kids))
    return root


def merge_into(base: Asized, other: Asized) -> None:
    """Add ``other``'s sizes into ``base``, merging referents by name (before ``':'``).

    Below the root, names become their keys (``'[V] x: 1'`` -> ``'[V] x'``) at every
    level, whether one instance or many contributed (Pympler renames only the levels
    where two instances met).
    """
    stack = [(base, other, 0)]
    while stack:
        b, o, level = stack.pop()
        b.size += o.size
        b.flat += o.flat
        if level > 0:
            b.name = ref_key(b.name)
        if not o.refs:
            continue
        refs = list(b.refs)
        by_key = {ref_key(r.name): r for r in refs}
        for ref in o.refs:
            key = ref_key(ref.name)
            mine = by_key.get(key)
            if mine is not None:
                stack.append((mine, ref, level + 1))
            else:
                mine = copy_tree(ref, ref_key)
                refs.append(mine)
                by_key[key] = mine
        b.refs = tuple(refs)


# ---------------------------------------------------------------------------
class Stats:
    """Statistics of a :class:`~.classtracker.ClassTracker`, live or loaded from a file.

    Parameters
    ----------
    tracker : ClassTracker, optional
        Show this tracker's data (shared, not copied).
    filename : str or path or file, optional
        Load a file written by :meth:`dump_stats`.
    stream : file-like, optional
        Where to print (default ``sys.stdout``).

    Attributes
    ----------
    index : dict[str, list[TrackedObject]]
    snapshots : list[Snapshot]
    sorted : list[TrackedObject]
        The order used by :meth:`ConsoleStats.print_stats` (see :meth:`sort_stats`).
    """

    def __init__(self, tracker: ClassTracker | None = None, filename: Any = None,
                 stream: IO[str] | None = None) -> None:
        self.stream = stream if stream else sys.stdout
        self.tracker = tracker
        self.index: dict[str, list[TrackedObject]] = {}
        self.snapshots: list[Snapshot] = []
        self.epoch: float | None = None
        if tracker is not None:
            self.index = tracker.index
            self.snapshots = tracker.snapshots
            self.epoch = EPOCH
        self.sorted: list[TrackedObject] = []
        if filename is not None:
            self.load_stats(filename)

    def _guard(self):
        return self.tracker.snapshot_lock if self.tracker is not None else nullcontext()

    # -- consistent copies for views --------------------------------------------------
    def class_rows(self) -> Iterator[ClassRow]:
        """One :class:`ClassRow` per snapshot and tracked class, snapshots in order, names sorted.

        The rows are copied under the tracker's lock (the snapshots are annotated first),
        so they are consistent while periodic snapshots run: every snapshot has a row for
        every tracked class. Iterating holds no lock.

        >>> from pympler_nb.core.classtracker import ClassTracker
        >>> class Node:
        ...     pass
        >>> tr = ClassTracker()
        >>> tr.track_class(Node, name="Node")
        >>> nodes = [Node(), Node()]
        >>> tr.create_snapshot("two")
        >>> [(r.snapshot, r.name, r.active) for r in Stats(tracker=tr).class_rows()]
        [(0, 'Node', 2)]
        >>> tr.close()
        """
        with self._guard():
            self.annotate()
            names = self.tracked_classes
            rows = []
            for i, snap in enumerate(self.snapshots):
                label, timestamp, classes = snap.label, snap.timestamp, snap.classes
                for name in names:
                    info = classes[name]
                    rows.append(ClassRow(i, label, timestamp, name, info["active"], info["sum"],
                                         float(info["avg"]), float(info["pct"])))
        return iter(rows)

    def object_records(self) -> Iterator[ObjectRecord]:
        """One :class:`ObjectRecord` per tracked object (dead ones included), in tracking
        order per tracked name.

        Copied under the tracker's lock, so consistent with :attr:`snapshots` while
        periodic snapshots run; iterating holds no lock.
        """
        with self._guard():
            last = self.snapshots[-1].timestamp if self.snapshots else None
            out = [ObjectRecord(key, t.name, t.type, t.id, t.repr, t.birth, t.death, t.resolution_level,
                                t.get_max_size(), t.get_size_at_time(last) if last is not None else 0,
                                t.sample_count)
                   for key, tobjs in self.index.items() for t in tobjs]
        return iter(out)

    def size_rows(self) -> Iterator[SizeRow]:
        """One :class:`SizeRow` per tracked object and snapshot that sized it, objects in
        tracking order per tracked name, samples oldest first.

        Copied under the tracker's lock, so a row's ``snapshot`` is the position in
        :attr:`snapshots` of the snapshot that took it, while periodic snapshots run;
        iterating holds no lock. Samples whose snapshot is not listed (only in
        hand-made files) are left out.
        """
        with self._guard():
            pos = {s.timestamp: i for i, s in enumerate(self.snapshots)}
            out = []
            append = out.append
            for key, tobjs in self.index.items():
                for t in tobjs:
                    oid = t.id
                    for ts, size, flat in t.iter_sizes():
                        i = pos.get(ts)
                        if i is not None:
                            append(SizeRow(key, oid, i, ts, size, flat))
        return iter(out)

    def total_rows(self) -> Iterator[TotalRow]:
        """One :class:`TotalRow` per snapshot, in order: the process total and the tracked
        and untracked ("other") shares, copied under the tracker's lock.

        >>> from pympler_nb.core.classtracker import ClassTracker
        >>> tr = ClassTracker()
        >>> tr.create_snapshot("empty")
        >>> row = next(Stats(tracker=tr).total_rows())
        >>> row.total == row.tracked + row.untracked
        True
        """
        with self._guard():
            rows = []
            for i, snap in enumerate(self.snapshots):
                total, tracked = int(snap.total), int(snap.tracked_total)
                untracked = max(total - tracked, 0)
                system = snap.system_total
                readable = bool(getattr(system, "available", False))
                rows.append(TotalRow(i, snap.label, snap.timestamp, total, tracked, untracked,
                                     untracked * 100.0 / total if total else 0.0, int(snap.overhead),
                                     int(system.vsz) if readable else 0, int(system.rss) if readable else 0,
                                     int(snap.asizeof_total)))
        return iter(rows)

    def class_detail(self, name: str, limit: int = 100) -> ClassDetail:
        """One tracked name in detail (Pympler's per-class web page): its instances (the
        ``limit`` largest), each with its size per snapshot, its instantiation trace and
        its referent trees (resolution level > 0), and per snapshot the referents of all
        instances merged. Copied under the tracker's lock (trees are copies).

        >>> from pympler_nb.core.classtracker import ClassTracker
        >>> class Node:
        ...     def __init__(self):
        ...         self.data = list(range(50))
        >>> tr = ClassTracker()
        >>> tr.track_class(Node, name="Node", resolution_level=2, trace=True)
        >>> nodes = [Node(), Node()]
        >>> tr.create_snapshot("two")
        >>> d = Stats(tracker=tr).class_detail("Node")
        >>> d.count, [r.name for r in d.merged[0][2].refs[0].refs], bool(d.instances[0].trace)
        (2, ['[K] data', '[V] data'], True)
        >>> tr.close()

        Raises
        ------
        KeyError
            If ``name`` is not tracked (the message lists the tracked names).
        """
        check_int(limit, "limit", 1)
        with self._guard():
            if name not in self.index:
                known = ", ".join(sorted(map(str, self.index))) or "none"
                raise KeyError(f"{name!r} is not a tracked name; tracked: {known}")
            self.annotate()
            pos = {s.timestamp: i for i, s in enumerate(self.snapshots)}
            labels = tuple(s.label for s in self.snapshots)
            merged = tuple((i, s.label, copy_tree(s.classes[name]["merged"])) for i, s in enumerate(self.snapshots)
                           if s.classes and name in s.classes)
            tobjs = self.index[name]
            chosen = sorted(tobjs, key=lambda t: (-t.get_max_size(), t.birth))[:limit]
            out = []
            for t in chosen:
                samples = tuple((pos[ts], labels[pos[ts]], size, flat, copy_tree(tree) if tree is not None else None)
                                for ts, size, flat, tree in t.iter_samples() if ts in pos)
                trace = tuple((str(f[0]), int(f[1]), str(f[2]), str(f[3][0]).strip() if f[3] else "")
                              for f in (t.trace or ()))
                out.append(InstanceDetail(t.name, t.id, t.type, t.repr, t.birth, t.death, trace, samples,
                                          t.get_max_size()))
            return ClassDetail(name, len(tobjs), merged, tuple(out), labels)

    def tracked_instance(self, name: str, oid: int) -> Any:
        """The live object tracked under ``name`` whose id is ``oid``; None when it died,
        was released, or the data was loaded from a file."""
        with self._guard():
            for t in self.index.get(name, ()):
                if t.id == oid:
                    return t.ref()
        return None

    @property
    def history(self) -> dict[str, list[tuple[float, int]]]:
        """``{name: [(timestamp, live instances), ...]}``, one entry per birth and death."""
        with self._guard():
            return history(self.index)

    # -- files ---------------------------------------------------------------------
    def load_stats(self, fdump: Any, max_bytes: int = MAX_STATS_BYTES) -> None:
        """Replace the data with that of a file written by :meth:`dump_stats`.

        Parameters
        ----------
        fdump : str, bytes, path or file
            File name (gzip is detected) or a file opened for reading (binary or text).
        max_bytes : int
            Refuse files larger than this (uncompressed; default :data:`MAX_STATS_BYTES`,
            128 MiB): a regular file before it is read, a stream or gzip data after
            ``max_bytes + 1`` bytes.

        Raises
        ------
        ValueError
            The file is larger than ``max_bytes``, not JSON, truncated, nested too
            deeply, of another format or version, or does not follow the documented
            layout; the message names the file and the place.
        OSError
            The file is missing, a directory or unreadable (the message names it).
        """
        _safeio.check_max_bytes(max_bytes)
        if isinstance(fdump, (str, bytes, os.PathLike)):
            name = _safeio.display_path(_safeio.fspath(fdump, "stats file"))
            raw, name = _safeio.read_file(fdump, what="stats file", max_bytes=max_bytes,
                                          sniff=stats_sniffer(name))
        elif callable(getattr(fdump, "read", None)):
            name = getattr(fdump, "name", "<stream>")
            name = name if isinstance(name, str) else os.fsdecode(name) if isinstance(name, bytes) else str(name)
            raw = _safeio.read_stream(fdump, what="stats file", name=name, max_bytes=max_bytes,
                                      sniff=stats_sniffer(name))
        else:
            raise TypeError(f"stats file: the path must be a str, bytes or os.PathLike (or a file "
                            f"opened for reading), got {type(fdump).__name__}")
        doc = decode_stats(raw, name, max_bytes)
        del raw
        index, snapshots, epoch = StatsReader(repr(name)).document(doc)
        self.index = index
        self.snapshots = snapshots
        self.epoch = epoch
        self.sorted = []

    def dump_stats(self, fdump: Any, close: bool = True) -> None:
        """Write the data as JSON (the format of :mod:`.classtracker_format`); stops periodic snapshots.

        Parameters
        ----------
        fdump : str, bytes, path or file
            File name (a ``.gz`` suffix writes gzip) or a file opened for writing
            (text or binary).
        close : bool
            Close ``fdump`` afterwards when it is a file object.
        """
        if self.tracker is not None:
            self.tracker.stop_periodic_snapshots()
        with self._guard():
            doc = stats_to_json(self.index, self.snapshots, self.epoch if self.epoch is not None else 0.0)
            # UTF-8; surrogate code points as \\u escapes, read back one by one
            data = _safeio.dumps_json(doc)
        if isinstance(fdump, (str, bytes, os.PathLike)):
            if os.fspath(fdump)[-3:] in (".gz", b".gz"):
                data = gzip.compress(data, mtime=0)
            with open(fdump, "wb") as f:
                f.write(data)
            return
        try:
            if isinstance(fdump, io.TextIOBase):
                fdump.write(data.decode("utf-8"))
            else:
                fdump.write(data)
        finally:
            if close:
                fdump.close()

    # -- ordering ------------------------------------------------------------------
    def _init_sort(self) -> None:
        """List the tracked objects and give each its sort keys (:attr:`~.TrackedObject.classname`,
        :attr:`~.TrackedObject.size`, :attr:`~.TrackedObject.tsize`), as Pympler does."""
        if self.sorted:
            return
        with self._guard():
            tmax = None
            best = -1
            for snap in self.snapshots:
                if snap.tracked_total > best:
                    best = snap.tracked_total
                    tmax = snap.timestamp
            out = []
            for classname, tobjs in self.index.items():
                for tobj in tobjs:
                    tobj.set_sort_keys(classname, tobj.get_max_size(),
                                       tobj.get_size_at_time(tmax) if tmax is not None else 0)
                out.extend(tobjs)
        self.sorted = out

    def sort_stats(self, *args: str) -> Stats:
        """Sort the tracked objects by the given keys (all of them, in this order, if none).

        Keys: ``'classname'`` (tracked name), ``'name'``, ``'birth'``, ``'death'``
        (alive objects last), ``'repr'`` ascending; ``'size'`` (largest sample) and
        ``'tsize'`` (size in the snapshot with the largest tracked total) descending.
        Returns ``self``: ``stats.sort_stats('size').reverse_order().print_stats()``.
        The items of :attr:`sorted` carry these keys as attributes (``tobj.classname``,
        ``tobj.size``, ``tobj.tsize``), as in Pympler.

        Raises
        ------
        ValueError
            For a key not in the list above.
        """
        bad = [a for a in args if a not in SORT_KEYS]
        if bad:
            raise ValueError(f"invalid sort key {bad[0]!r}: use one or more of {', '.join(SORT_KEYS)}")
        keys = args or SORT_KEYS
        self._init_sort()

        def key(tobj: TrackedObject) -> tuple:
            out: list[Any] = []
            for attr in keys:
                if attr in ("size", "tsize"):
                    out.append(-getattr(tobj, attr))
                elif attr == "death":
                    out.append((tobj.death is None, tobj.death or 0.0))
                else:
                    out.append(getattr(tobj, attr))
            return tuple(out)

        self.sorted.sort(key=key)
        return self

    def reverse_order(self) -> Stats:
        """Reverse the current order; returns ``self``."""
        self._init_sort()
        self.sorted.reverse()
        return self

    # -- per-snapshot summaries ------------------------------------------------------
    def annotate(self) -> None:
        """Fill ``snapshot.classes`` of every snapshot (see :meth:`annotate_snapshot`)."""
        with self._guard():
            todo = [s for s in self.snapshots if not self._annotated(s)]
            if todo:
                self._annotate(todo)

    def annotate_snapshot(self, snapshot: Snapshot) -> dict[str, dict[str, Any]]:
        """Per-class summary of ``snapshot``, stored in ``snapshot.classes`` and returned.

        ``{name: {'sum': bytes, 'avg': bytes per active instance, 'pct': share of the
        snapshot's total in %, 'active': live instances, 'merged': Asized}}``, where
        ``merged`` adds up the instances' :class:`Asized` trees (referents merged by name).
        """
        with self._guard():
            if not self._annotated(snapshot):
                self._annotate([snapshot])
            return snapshot.classes

    def _annotated(self, snapshot: Snapshot) -> bool:
        return snapshot.classes is not None and snapshot.classes.keys() == self.index.keys()

    def _annotate(self, snapshots: list[Snapshot]) -> None:
        """One pass over all objects for all ``snapshots``."""
        times = sorted({s.timestamp for s in snapshots})
        pos = {t: i for i, t in enumerate(times)}
        k = len(times)
        result: dict[float, dict[str, dict[str, Any]]] = {t: {} for t in times}
        for classname, tobjs in self.index.items():
            sums = [0] * k
            diff = [0] * (k + 1)
            merged = [Asized(0, 0) for _ in range(k)]
            for tobj in tobjs:
                lo = bisect_right(times, tobj.birth)
                hi = k if tobj.death is None else bisect_left(times, tobj.death)
                if lo < hi:
                    diff[lo] += 1
                    diff[hi] -= 1
                for ts, size, flat, tree in tobj.iter_samples():
                    i = pos.get(ts)
                    if i is None:
                        continue
                    sums[i] += size
                    if tree is None:
                        m = merged[i]
                        m.size += size
                        m.flat += flat
                    else:
                        merge_into(merged[i], tree)
            active = 0
            for i, t in enumerate(times):
                active += diff[i]
                result[t][classname] = {"sum": sums[i], "active": active, "merged": merged[i]}
        for snap in snapshots:
            classes = {}
            total = snap.total
            for classname, info in result[snap.timestamp].items():
                size, active = info["sum"], info["active"]
                # duplicate timestamps (only in hand-made files) must not share Asized objects
                merged = info["merged"] if len(snapshots) == len(times) else copy_tree(info["merged"])
                classes[classname] = {
                    "sum": size,
                    "avg": size / active if active else 0,
                    "pct": size * 100.0 / total if total else 0,
                    "active": active,
                    "merged": merged,
                }
            snap.classes = classes

    @property
    def tracked_classes(self) -> list[str]:
        """The tracked names, sorted."""
        return sorted(self.index.keys())
