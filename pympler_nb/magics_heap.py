"""Heap magics: ``%heap`` (heapy-style partitions of the live heap) and ``%retained``
(what an object alone keeps alive, as a browsable dominator tree).

Registered by ``%load_ext pympler_nb`` together with :mod:`pympler_nb.magics`, and
built the same way: parse the line (``-h`` prints the usage, mistakes raise a one-line
:class:`~IPython.core.error.UsageError`), call :mod:`pympler_nb.core.heap`, return a
DataFrame, display a chart or a widget unless ``-q``.

Each shell has one :class:`~pympler_nb.core.heap.HeapSession` (the reference point of
``%heap --new``).  Snapshots hold ids and numbers, never the user's objects; the
reference snapshot is left out of every later snapshot by the core, and the magics keep
nothing else between calls.
"""

from __future__ import annotations

import argparse

import pandas as pd
from IPython.core.error import UsageError
from IPython.core.magic import (
    Magics,
    line_magic,
    magics_class,
    needs_local_scope,
    no_var_expand,
    output_can_be_silenced,
)
from IPython.core.magic_arguments import argument, magic_arguments

from . import charts, frames
from .core.format import clip_text, format_size
from .magic_args import Note, parse, parse_one, positive, show, unquote_path

__all__ = ["BY", "HeapMagics"]

#: the partitions ``%heap --by`` offers
BY = ("type", "kind", "module", "rcs", "via", "size", "prod")


def _tree_view(source, title: str, fallback):
    """The size tree widget over ``source``, or ``fallback`` without the JS bundle."""
    from .widgets import BundleMissingError, SizeTree

    try:
        return SizeTree(source, title=title)
    except BundleMissingError as exc:  # a source checkout without `npm run build`
        source.release()
        return Note(f"{fallback}\n(size tree widget unavailable: {exc})")


def _load_snapshot(text: str, option: str = "--load"):
    """``heap.load`` for ``%heap --load``: every problem with the file is a one-line
    :class:`UsageError` naming it (missing, a directory, unreadable, too large, not a
    heap snapshot, malformed)."""
    __tracebackhide__ = True
    from .core import heap

    path = unquote_path(text, f"heap {option}")
    try:
        snap = heap.load(path)
    except OSError as exc:
        raise UsageError(f"%heap {option}: {exc.strerror or exc}; check the path") from None
    except ValueError as exc:
        raise UsageError(f"%heap {option}: {clip_text(str(exc), 300)}") from None
    return snap


def _save_or_diff(save, diff, by: str, top: int, quiet: bool, other: bool):
    """``%heap --save FILE`` (returns None) and ``%heap --diff FILE [FILE2]`` (returns
    ``key, count_diff, size_diff`` of ``core.heap.compare``, by type or by module)."""
    __tracebackhide__ = True
    from .core import heap

    if other or (save is not None and diff is not None):
        raise UsageError("%heap: --save and --diff stand alone (besides --by, --top, -q); "
                         "run them one at a time")
    if save is not None:
        path = unquote_path(save, "heap --save")
        snap = heap.take()
        try:
            snap.dump(path)
        except OSError as exc:
            raise UsageError(f"%heap --save: {exc.strerror or exc} ({path}); check the path") from None
        count, size = len(snap), snap.size
        del snap
        if not quiet:
            show(Note(f"heap snapshot saved to {path}: {count:,} objects, {format_size(size)} "
                      f"(flat); compare it later with %heap --diff {path}"))
        return None
    if len(diff) > 2:
        raise UsageError(f"%heap --diff takes FILE or FILE FILE2, got {len(diff)} files; "
                         "compare two at a time")
    if by not in ("type", "module"):
        raise UsageError(f"%heap --diff compares by type or by module, not --by {by}; "
                         "use --by type or --by module")
    a = _load_snapshot(diff[0], "--diff")
    b = _load_snapshot(diff[1], "--diff") if len(diff) == 2 else heap.take()
    cmp = heap.compare(a, b)
    del a, b
    df = frames.heap_diff_frame(cmp.rows(by))
    df.attrs.update(by=by, source_a=cmp.source_a, source_b=cmp.source_b,
                    count_diff=cmp.count_b - cmp.count_a, size_diff=cmp.size_b - cmp.size_a)
    if not quiet:
        text = (f"heap --diff by {by}: {cmp.source_b} against {cmp.source_a}: "
                f"{cmp.count_b - cmp.count_a:+,} objects, "
                f"{format_size(cmp.size_b - cmp.size_a, sign=True)} (flat, reachable objects)")
        out = [Note(text)]
        if len(df):
            out.append(charts.diff_chart(df.rename(columns={"key": "type"}), top=top))
        show(*out)
    return df


# ---------------------------------------------------------------------------
# the magics
# ---------------------------------------------------------------------------

@magics_class
class HeapMagics(Magics):
    """``%heap`` and ``%retained``; one :class:`~pympler_nb.core.heap.HeapSession` per shell."""

    def __init__(self, shell=None, **kwargs):
        from .core.heap import HeapSession  # imports what its snapshots need lazily

        super().__init__(shell=shell, **kwargs)
        self.heap_session = HeapSession()

    # -- %heap --------------------------------------------------------------------
    @magic_arguments()
    @argument("--by", default="type", choices=BY,
              help="how to partition the objects (default type; kind: dicts by owner; "
                   "rcs: by referrers' kinds; via: by how they are held, slower; size: by "
                   "individual size; prod: by the line that allocated them, 'cell [N], "
                   "line K'; needs tracemalloc tracing: run tracemalloc.start() before "
                   "making the objects)")
    @argument("--new", action="store_true",
              help="only the objects created since the reference point (set it with --setref)")
    @argument("--setref", action="store_true",
              help="make the heap as it is now the reference point of --new (with --new: "
                   "after showing what is new since the previous one)")
    @argument("--clearref", action="store_true", help="forget the reference point")
    @argument("--retained", action="store_true",
              help="add each row's retained size (what its objects keep alive each on its "
                   "own) and list the top retainers (computes the dominator tree: slower)")
    @argument("--top", type=int, default=10, metavar="N",
              help="rows drawn by name, the rest as 'other'; top retainers listed (default 10)")
    @argument("--load", metavar="FILE", default=None,
              help="partition a snapshot saved by HeapSnapshot.dump instead of the live heap "
                   "(never runs code from the file)")
    @argument("--dask", metavar="CLIENT", default=None,
              help="the same on every worker of a Dask cluster: CLIENT is the notebook's "
                   "distributed.Client (returns worker, type, count, size, error; --top rows per worker)")
    @argument("--timeout", type=float, default=60.0, metavar="S",
              help="with --dask: seconds to wait for each worker (default 60); a worker that "
                   "does not answer gets an error row")
    @argument("--scheduler", action="store_true", help="with --dask: the scheduler's process too")
    @argument("--save", metavar="FILE", default=None,
              help="save a snapshot of the live heap to FILE (JSON; compare it later with --diff, "
                   "after a kernel restart or a library upgrade)")
    @argument("--diff", metavar="FILE", nargs="+", default=None,
              help="compare the snapshot saved in FILE with the live heap, or FILE with FILE2 "
                   "(--diff FILE FILE2), by type (--by module: by module)")
    @argument("-q", "--quiet", action="store_true", help="display nothing; just return the table")
    @output_can_be_silenced
    @line_magic
    def heap(self, line=""):
        """The live heap partitioned by type (module, kind, referrers...), heapy style.

        Returns one row per type (or other key): ``key, count, count_pct, size,
        size_pct, cumulative`` (``pympler_nb.frames.heap_partition_frame``; with
        ``--retained`` also ``retained``), largest first, complete, and displays a bar
        chart of the top N rows.  Objects only garbage holds are not counted (``%garbage``).
        ``%heap --setref`` sets the reference point (returns nothing); ``%heap --new``
        shows what was created after it; ``%heap --new --setref`` then moves it.
        ``%heap --load FILE`` partitions a snapshot saved by ``HeapSnapshot.dump``.
        ``%heap --dask CLIENT`` summarizes every worker of a Dask cluster
        (:func:`pympler_nb.distributed.heap_summary`).
        ``%heap --save FILE`` saves the live heap; ``%heap --diff FILE [FILE2]`` compares a
        saved snapshot with the live heap (or with FILE2) by type or ``--by module``:
        ``key, count_diff, size_diff`` (``core.heap.compare``).
        """
        __tracebackhide__ = True
        from .core import heap

        parsed = parse(self.heap.parser, line, "heap")
        if parsed is None:
            return None
        args = parsed[0]
        positive(args.top, "--top", "heap")
        if args.dask is not None:
            if args.by != "type" or args.new or args.setref or args.clearref or args.retained or args.load:
                raise UsageError("%heap --dask: only --top, --timeout, --scheduler and -q apply to the "
                                 "workers (they are summarized by type)")
            from .magics_dask import heap_on_workers

            return heap_on_workers(self.shell, args.dask, None, args.top, args.timeout, args.scheduler,
                                   args.quiet)
        # plain values only from here on: the parsed arguments would be new objects
        by, new, setref, retained, top, quiet = (args.by, args.new, args.setref, args.retained,
                                                 args.top, args.quiet)
        clearref, load, save, diff = args.clearref, args.load, args.save, args.diff
        del parsed, args
        if save is not None or diff is not None:
            return _save_or_diff(save, diff, by, top, quiet,
                                 other=new or setref or clearref or load is not None or retained)
        session = self.heap_session
        if clearref and (setref or new):
            raise UsageError("%heap: --clearref cannot be combined with --setref or --new; "
                             "run them one at a time")
        if load is not None and (clearref or setref or new):
            raise UsageError("%heap: --load cannot be combined with --new, --setref or --clearref "
                             "(they are about the live heap)")
        if clearref:
            session.clearref()
            if not quiet:
                show(Note("heap reference point cleared; %heap --setref sets a new one"))
            return None
        if new and session.reference is None:
            raise UsageError("%heap: --new needs a reference point; run %heap --setref first, "
                             "then create objects, then %heap --new")
        if setref and not new:
            self._setref(quiet)
            return None
        snap = heap.take(via=by == "via") if load is None else _load_snapshot(load)
        live = snap.reachable
        # new: what the cells left behind (not what the machinery running this one holds)
        hset = live if not new else (snap.new_since(session.reference).anchored()
                                     - snap.unreachable())
        try:
            part = getattr(hset, "by_" + by)()
        except ValueError as exc:  # --load of a snapshot taken without via=True, --by via
            raise UsageError(f"%heap --by {by}: {exc}") from None
        df = frames.heap_partition_frame(part)
        unreachable = len(snap) - len(live)
        df.attrs.update(by=by, new=new, objects=part.count, size=part.size, unreachable=unreachable)
        retainers = None
        if retained:
            df["retained"] = pd.Series(part.retained(), dtype="int64")
            retainers = frames.retainers_frame(hset.top_retainers(top))
            df.attrs["top_retainers"] = retainers.to_dict("list")
        del part, hset, live, snap
        if not quiet:
            what = "objects created since the reference point" if new else "reachable objects"
            if load is not None:
                what += f" in {load}"
            text = f"heap: {df.attrs['objects']:,} {what}, {format_size(df.attrs['size'])} (flat) by {by}"
            if unreachable:
                text += f"; {unreachable:,} unreachable objects not counted (%garbage lists the cycles)"
            out = [Note(text)]
            if len(df):
                out.append(charts.heap_partition_chart(df, top=top, by=by))
            if retainers is not None:
                out += [Note(f"top {len(retainers)} retainers (bytes each object alone keeps alive):"),
                        retainers]
            show(*out)
            del out
        if setref:
            self._setref(quiet=True)
        return df

    def _setref(self, quiet: bool) -> None:
        from .core import heap

        # only ids and type names are needed to tell new objects: no reference graph
        self.heap_session.setref(heap.take(graph=False))
        if not quiet:
            ref = self.heap_session.reference
            show(Note(f"heap reference point set ({len(ref):,} objects, {format_size(ref.size)}); "
                        "%heap --new shows the objects created after it"))

    # -- %retained ----------------------------------------------------------------
    @magic_arguments()
    @argument("--via", action="store_true",
              help="name the children by how their dominator holds them (.attr, ['key'], [3]); "
                   "the snapshot takes several times longer")
    @argument("--top", type=int, default=20, metavar="N",
              help="directly dominated objects listed in the table (default 20)")
    @argument("-q", "--quiet", action="store_true", help="display nothing; just return the table")
    @argument("expr", nargs=argparse.REMAINDER, metavar="EXPR", help="the object")
    @no_var_expand
    @needs_local_scope
    @output_can_be_silenced
    @line_magic
    def retained(self, line="", local_ns=None):
        """What an object alone keeps alive: its retained size and its dominator tree.

        Takes a heap snapshot with dominators: an object *dominates* another if every
        path of references to it passes through it; its retained size is what freeing it
        would free.  Returns the object and its largest directly dominated objects
        (``id, name, type, size, retained, count``; first row: the object) and displays
        the retained-size tree (lazy, expandable).
        """
        __tracebackhide__ = True
        from .core import heap
        from .widgets.retained import RetainedTreeSource

        parsed = parse_one(self.shell, self.retained.parser, line, local_ns, "retained", ("--top",))
        if parsed is None:
            return None
        args, expr, obj = parsed
        del parsed
        kind = type(obj).__name__
        snap = heap.take(via=args.via)
        try:
            root = snap.retained_tree(obj, name=clip_text(expr, 120))
        except KeyError:
            root = None
        del obj
        if root is None:
            del snap  # (the traceback IPython keeps must not hold the snapshot)
            raise UsageError(f"%retained: {clip_text(expr, 60)} (a {kind}) is not in the heap "
                             "snapshot: nothing but this expression refers to it; assign it to "
                             "a name first")
        kids = root.children(limit=args.top)
        df = frames.retained_frame([root] + kids)
        df.attrs.update(children=root.child_count(), via=bool(args.via))
        source = None if args.quiet else RetainedTreeSource(root, name=clip_text(expr, 120))
        del snap, root, kids
        if source is not None:
            row = df.iloc[0]
            text = (f"{expr}: retains {format_size(int(row['retained']))} ({int(row['retained']):,} bytes) "
                    f"in {int(row['count']):,} objects; its own size {format_size(int(row['size']))}")
            show(Note(text), _tree_view(source, f"retained by {clip_text(expr, 60)}",
                                          df.to_string(index=False)))
        return df


# ---------------------------------------------------------------------------
# extension entry points (pympler_nb.magics registers these)
# ---------------------------------------------------------------------------

def load_ipython_extension(ipython) -> None:
    ipython.register_magics(HeapMagics)


def unload_ipython_extension(ipython) -> None:
    manager = ipython.magics_manager
    instance = manager.registry.get("HeapMagics")
    if instance is not None:
        instance.heap_session.clearref()
    for kind, names in HeapMagics.magics.items():
        for name in names:
            manager.magics[kind].pop(name, None)
    manager.registry.pop("HeapMagics", None)
