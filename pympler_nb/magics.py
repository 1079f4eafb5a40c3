"""IPython magics: ``%memsize``, ``%%memdiff``, ``%classtrack``, ``%refgraph``,
``%whyalive`` and ``%garbage``.

Load them with ``%load_ext pympler_nb``. Each magic parses its line (``-h`` prints the
usage; a mistake raises :class:`~IPython.core.error.UsageError` with one line naming
the value and the fix), evaluates expressions in the user's namespace, calls one core
function, returns a pandas DataFrame (``df = %memsize x``) and, unless ``-q`` is given,
displays rich output that also has a plain-text form.  A trailing ``;`` silences the
returned value as usual.

The magics only orchestrate: sizing, diffs, graphs and chains are computed by
:mod:`pympler_nb.core`, tables by :mod:`pympler_nb.frames`, charts by
:mod:`pympler_nb.charts` and the interactive views by :mod:`pympler_nb.widgets`.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import glob
import linecache
import re
import sys
from array import array

from IPython.core.displayhook import DisplayHook
from IPython.core.error import UsageError
from IPython.core.magic import (
    Magics,
    cell_magic,
    line_magic,
    magics_class,
    needs_local_scope,
    no_var_expand,
    output_can_be_silenced,
)
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

from . import charts, frames
from .core import asizeof as _asizeof
from .core.format import clip_text, format_size
from .core.sizetree import DEFAULT_TOP, top_sized
from .magic_args import Note, evaluate, parse, parse_one, positive, result_is_output, show
from .magics_classtrack import ClassTrackCommands

__all__ = ["PymplerMagics", "load_ipython_extension", "unload_ipython_extension"]


# ---------------------------------------------------------------------------
# widgets (with plain fallbacks while pympler_nb.widgets is not installed)
# ---------------------------------------------------------------------------

def _size_tree_view(objs, names, title, opts, sized=None):
    """The expandable size tree widget of the objects (showing ``sized``, their trees, if
    given), or a note if it cannot be built; in a batch run (``nbconvert --execute``)
    the static tree, with no widget model."""
    from .widgets import BundleMissingError, SizeTree, StaticSizeTree, _static
    from .widgets.size_tree import ObjectTreeSource, SizedTreeSource

    if not _static.interactive_frontend():
        source = (ObjectTreeSource(objs, names, **opts) if sized is None
                  else SizedTreeSource(objs, sized, names, **opts))
        return StaticSizeTree(source, title=title)
    try:
        return SizeTree.from_objects(objs, names, title=title, sized=sized, **opts)
    except BundleMissingError as exc:  # a source checkout without `npm run build`
        return Note(f"(size tree widget unavailable: {exc})")


def _graph_view(graph, title: str = ""):
    """The reference graph widget, or the graphviz view (SVG/DOT) without the JS bundle
    or in a batch run (``nbconvert --execute``: no widget model)."""
    from .graphs import GraphView
    from .widgets import BundleMissingError, RefGraph, _static

    if not _static.interactive_frontend():
        return GraphView(graph)
    try:
        return RefGraph(graph, title=title)
    except BundleMissingError:
        return GraphView(graph)


# ---------------------------------------------------------------------------
# running a cell under measurement (%%memdiff)
# ---------------------------------------------------------------------------

def calling_cell_number(shell) -> int:
    """The execution count of the cell that runs the magic (for traceback labels)."""
    names = getattr(shell.compile, "_filename_map", None) or {}
    frame = sys._getframe(1)
    try:
        while frame is not None:
            number = names.get(frame.f_code.co_filename)
            if number is not None:
                return number
            frame = frame.f_back
    finally:
        del frame
    return shell.execution_count


def cache_cell(shell, cell: str, number: int) -> tuple[str, str]:
    """``(transformed source, file name)`` of ``cell``, cached as IPython caches cells.

    The file name is ``<ipython-input-N-...>`` (or the kernel's ``/tmp/ipykernel_.../...py``);
    tracebacks and tracemalloc show the cell's lines through it.
    """
    transformed = shell.transform_cell(cell)
    return transformed, shell.compile.cache(transformed, number, raw_code=cell)


def compile_cell(shell, transformed: str, filename: str):
    """``(body code, code of the last expression or None)``, compiled as IPython would."""
    tree = shell.compile.ast_parse(transformed, filename=filename)
    tree = shell.transform_ast(tree)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr) and \
            not DisplayHook.semicolon_at_end_of_expression(transformed):
        last = shell.compile(ast.Expression(tree.body.pop().value), filename, "eval")
    return shell.compile(tree, filename, "exec"), last


def _exec_cell(shell, cell: str) -> None:
    """Run ``cell`` in the user namespace as IPython would (its last expression's value
    displayed); ``%%memdiff --dask`` measures the workers around it."""
    __tracebackhide__ = True
    transformed, filename = cache_cell(shell, cell, calling_cell_number(shell))
    code, last = compile_cell(shell, transformed, filename)
    exec(code, shell.user_global_ns, shell.user_ns)  # noqa: S102 - the user's cell
    if last is not None:
        value = eval(last, shell.user_global_ns, shell.user_ns)  # noqa: S307
        if value is not None:
            display(value)


def _rss() -> int:
    from .core.process import ProcessMemoryInfo

    return int(ProcessMemoryInfo().rss)


class _Measured:
    """What :func:`_measure_cell` found (built after the diff: plain data only)."""

    def __init__(self, diff, rss_change, error, trace_lines, peak, frames_deep):
        self.diff = diff
        self.rss_change = rss_change
        self.error = error
        self.trace_lines = trace_lines
        self.peak = peak
        self.frames = frames_deep


def _measure_cell(shell, cell: str, top: int, trace_frames: int | None) -> _Measured:
    """Run ``cell`` in the user namespace between two heap summaries.

    Everything this function needs while the cell runs is allocated *before* the
    first summary (numbers go into one preallocated ``array``), and everything it
    makes while the cell runs (code objects, the tracer and its tracemalloc
    snapshots) is dropped before the second one, so the diff shows the cell's
    objects only; IPython's per-cell bookkeeping is left out by the tracker.
    The cell's exception, if any, is returned (and is in the diff: IPython keeps it
    as ``sys.last_value`` afterwards).
    """
    __tracebackhide__ = True
    from .core import allocations
    from .core.tracker import SummaryTracker

    nums = array("q", bytes(8 * (4 + 3 * top)))  # rss before/after, peak, frames, (line, size, count)*
    caught = [None]
    transformed, filename = cache_cell(shell, cell, calling_cell_number(shell))
    pattern = glob.escape(filename)
    if trace_frames:
        fnmatch.fnmatch(filename, pattern)  # fnmatch caches the compiled pattern: not in the diff
    nums[0] = _rss()  # (first call imports and warms up what reading RSS needs)
    tracker = SummaryTracker()
    nums[0] = _rss()  # after the tracker's first heap walk, right before the cell
    tracer = None
    try:
        code, last = compile_cell(shell, transformed, filename)
        tracer = allocations.trace(trace_frames) if trace_frames else None
        try:
            if tracer is not None:
                tracer.__enter__()
            try:
                exec(code, shell.user_global_ns, shell.user_ns)  # noqa: S102 - the user's cell
                del code
                if last is not None:
                    value = eval(last, shell.user_global_ns, shell.user_ns)  # noqa: S307
                    del last
                    if value is not None:
                        display(value)
                    del value
            finally:
                if tracer is not None:
                    tracer.__exit__(*sys.exc_info())
        finally:
            code = last = None  # noqa: F841 - no code object of the cell may be alive at the diff
            if tracer is not None and tracer.snapshot is not None:
                nums[2] = tracer.peak
                nums[3] = tracer.frames or 0
                stats = tracer.statistics("lineno", filename=pattern, limit=top)
                for i in range(min(len(stats), top)):
                    nums[4 + 3 * i:7 + 3 * i] = array("q", (stats[i].lineno, stats[i].size, stats[i].count))
                del stats
            tracer = None
    except BaseException as exc:  # noqa: BLE001 - reported after the diff, then re-raised
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code is _measure_cell.__code__:
            tb = tb.tb_next  # the traceback starts in the user's cell, not here
        caught[0] = exc.with_traceback(tb)
        del exc, tb
    nums[1] = _rss()
    diff = tracker.diff()
    del tracker
    lines = []
    for i in range(top):
        lineno, size, count = nums[4 + 3 * i:7 + 3 * i]
        if lineno or size or count:
            code_text = linecache.getline(filename, lineno).strip()
            lines.append((lineno, code_text, size, count))
    return _Measured(diff, nums[1] - nums[0], caught[0], lines if trace_frames else None,
                     nums[2] if trace_frames else None, nums[3] if trace_frames else None)


# ---------------------------------------------------------------------------
# the magics
# ---------------------------------------------------------------------------

@magics_class
class PymplerMagics(Magics):
    """pympler_nb's magics; one :class:`~pympler_nb.core.classtracker.ClassTracker` per shell."""

    def __init__(self, shell=None, **kwargs):
        super().__init__(shell=shell, **kwargs)
        self._classtrack = ClassTrackCommands(shell)

    # -- %memsize -----------------------------------------------------------------
    @magic_arguments()
    @argument("-d", "--detail", type=int, default=1, metavar="DETAIL",
              help="levels of referents listed below each object (default 1)")
    @argument("-n", "--top", type=int, default=None, metavar="N",
              help=f"largest children listed per object; the rest are one 'other (K more)' row "
                   f"(default {DEFAULT_TOP})")
    @argument("--all", action="store_true", help="list every child (no 'other' row; slow for big containers)")
    @argument("-l", "--limit", type=int, default=None, metavar="LIMIT",
              help="stop sizing this many references deep (default: no limit)")
    @argument("--align", type=int, default=1, metavar="N",
              help="round every allocation up to N bytes (1: exact; 16: as pymalloc)")
    @argument("--code", action="store_true", help="size code objects too")
    @argument("-q", "--quiet", action="store_true", help="display nothing; just return the table")
    @argument("expr", nargs=argparse.REMAINDER, metavar="EXPR [EXPR ...]",
              help="expressions to size (each object counted once)")
    @no_var_expand
    @needs_local_scope
    @output_can_be_silenced
    @line_magic
    def memsize(self, line="", local_ns=None):
        """Deep size of objects as a size tree.

        Returns one row per node down to DETAIL levels, the largest N children of each
        node first and the rest summed in one ``other (K more)`` row (``name, type,
        size, flat, depth, path``; see ``pympler_nb.frames.size_tree_frame``), and
        displays the total and an expandable size tree that shows the same rows.
        Example: ``df = %memsize -d 2 data``
        """
        __tracebackhide__ = True
        parsed = parse(self.memsize.parser, line, "memsize", exprs="many")
        if parsed is None:
            return None
        args, exprs = parsed
        positive(args.detail, "DETAIL", "memsize", 0)
        positive(args.limit, "LIMIT", "memsize", 0)
        positive(args.top, "--top", "memsize", 1)
        if args.all and args.top is not None:
            raise UsageError(f"%memsize: --all lists every child and --top {args.top} the largest "
                             f"{args.top}; use one of them")
        top = None if args.all else (DEFAULT_TOP if args.top is None else args.top)
        objs = [evaluate(self.shell, e, local_ns, "memsize") for e in exprs]
        opts = {"limit": args.limit, "align": args.align, "code": args.code}
        try:
            trees = top_sized(*objs, detail=args.detail, top=top, names=exprs, **opts)
        except ValueError as exc:  # e.g. align=3
            raise UsageError(f"%memsize: {exc}") from None
        df = frames.size_tree_frame(trees)
        if not args.quiet:
            each = ", ".join(f"{n} {format_size(t.size)}" for n, t in zip(exprs, trees))
            total = sum(t.size for t in trees)
            text = f"{exprs[0]}: {format_size(total)} ({total:,} bytes)" if len(trees) == 1 else \
                f"total {format_size(total)} ({total:,} bytes; each object once): {each}"
            show(Note(text), _size_tree_view(objs, exprs, "", opts, sized=trees))
        return df

    # -- %%memdiff ----------------------------------------------------------------
    @magic_arguments()
    @argument("-q", "--quiet", action="store_true", help="display nothing; just return the table")
    @argument("--top", type=int, default=10, metavar="N",
              help="types drawn by name (the rest is 'other') and lines listed by --trace (default 10)")
    @argument("--trace", nargs="?", type=int, const=1, default=None, metavar="FRAMES",
              help="also trace allocations (tracemalloc, FRAMES frames deep, default 1) "
                   "and list the cell's lines that allocated most, and its peak")
    @argument("--dask", metavar="CLIENT", default=None,
              help="the heap diff on every worker of a Dask cluster instead (CLIENT: the notebook's "
                   "distributed.Client), with each worker's RSS and Dask-managed bytes")
    @argument("--timeout", type=float, default=60.0, metavar="S",
              help="with --dask: seconds to wait for each worker (default 60)")
    @no_var_expand
    @output_can_be_silenced
    @cell_magic
    def memdiff(self, line="", cell=""):
        """Run the cell and show which objects it added or freed, by type.

        Returns ``type, count_diff, size_diff`` (largest absolute change first), without
        the tool's or IPython's own bookkeeping; displays a chart and the change of the
        process's RSS. If the cell raises, the diff is shown and the exception propagates.
        ``--dask CLIENT``: the diff on every worker of a Dask cluster instead
        (:func:`pympler_nb.distributed.memdiff`; columns ``worker, type, count_diff,
        size_diff, error``; ``attrs["workers"]``: RSS and Dask-managed bytes per worker).
        """
        __tracebackhide__ = True
        parsed = parse(self.memdiff.parser, line, "%memdiff")
        if parsed is None:
            return None
        args = parsed[0]
        positive(args.top, "--top", "%memdiff")
        positive(args.trace, "--trace FRAMES", "%memdiff")
        if args.dask is not None:
            if args.trace is not None:
                raise UsageError("%%memdiff --dask: --trace traces this process only; drop one of them")
            from .magics_dask import memdiff_on_workers

            return memdiff_on_workers(self.shell, lambda: _exec_cell(self.shell, cell), args.dask, args.top,
                                      args.timeout, False, args.quiet)
        m = _measure_cell(self.shell, cell, args.top, args.trace)
        df = frames.diff_frame(m.diff)
        df.attrs["rss_change"] = m.rss_change
        if m.trace_lines is not None:
            df.attrs["peak"] = m.peak
            df.attrs["trace"] = frames.cell_lines_frame(m.trace_lines).to_dict("list")
        if not args.quiet:
            count, size = int(df["count_diff"].sum()), int(df["size_diff"].sum())
            text = (f"memdiff: {count:+,} objects, {format_size(size, sign=True)} in Python objects; "
                    f"process RSS {format_size(m.rss_change, sign=True)}")
            if m.error is not None:
                text += f" (the cell raised {type(m.error).__name__})"
            out = [Note(text)]
            if len(df):
                out.append(charts.diff_chart(df, top=args.top))
            if m.trace_lines is not None:
                out.append(Note(f"tracemalloc ({m.frames} frame(s) deep): peak during the cell "
                                 f"{format_size(m.peak)}; lines of the cell still holding memory:"))
                out.append(frames.cell_lines_frame(m.trace_lines))
            if m.error is not None:
                out.insert(1, df)  # no return value will show it
            # the returned table is the cell's value: the chart's text fallback need not repeat it
            show(*out, tables=m.error is not None)
        if m.error is not None:
            raise m.error
        return df

    # -- %classtrack ---------------------------------------------------------------
    @no_var_expand
    @needs_local_scope
    @output_can_be_silenced
    @line_magic
    def classtrack(self, line="", local_ns=None):
        """Track instances of classes and their sizes over snapshots (one tracker per shell).

        Usage: %classtrack {track CLASS [CLASS ...] [--resolution N] [--trace] [--keep] |
        track_object [--name NAME] [--resolution N] [--trace] [--keep] EXPR |
        track_change --resolution N EXPR | detach CLASS [CLASS ...] |
        snapshot [DESCRIPTION] | stats | objects [CLASS] | periodic INTERVAL|off |
        dump FILE | load FILE | report FILE [--title TITLE] | stop} [-q]

        ``%classtrack SUBCOMMAND -h`` describes a subcommand. Each returns the
        per snapshot × class table (``objects``: one row per instance; ``stats``: its
        ``attrs["totals"]`` hold the process total and the untracked share). The FILE
        of ``dump``, ``load`` and ``report`` may be ``$var``, ``{expression}`` (expanded
        as IPython expands magic lines) or a quoted path with spaces (``"my stats.json"``).
        """
        __tracebackhide__ = True
        return self._classtrack.run(line, local_ns)

    @property
    def class_tracker(self):
        """The shell's :class:`~pympler_nb.core.classtracker.ClassTracker` (None before ``%classtrack``)."""
        return self._classtrack.tracker

    @class_tracker.setter
    def class_tracker(self, tracker) -> None:
        self._classtrack.tracker = tracker

    # -- %refgraph ------------------------------------------------------------------
    @magic_arguments()
    @argument("--depth", type=int, default=3, metavar="N", help="references followed from the object (default 3)")
    @argument("--max-nodes", type=int, default=300, metavar="N", help="nodes drawn at most (default 300)")
    @argument("--backrefs", action="store_true", help="who holds the object, instead of what it holds")
    @argument("--classes", action="store_true",
              help="enter classes (namespace, bases, methods); by default a class is a leaf")
    @argument("-q", "--quiet", action="store_true", help="display nothing; just return the table")
    @argument("expr", nargs=argparse.REMAINDER, metavar="EXPR", help="the object")
    @no_var_expand
    @needs_local_scope
    @output_can_be_silenced
    @line_magic
    def refgraph(self, line="", local_ns=None):
        """Reference graph of an object (what it holds, or with --backrefs who holds it).

        Classes and modules are leaves (``--classes`` enters classes); the walk stops
        at roots, shown by name (``globals of __main__``, ``globals of json``), as in
        ``%whyalive``. Cycles are flagged within the drawn graph only. Returns the nodes
        (``pympler_nb.frames.graph_nodes_frame``) and displays the graph.
        """
        __tracebackhide__ = True
        from .core.refgraph import backrefs_graph, refs_graph

        parsed = parse_one(self.shell, self.refgraph.parser, line, local_ns, "refgraph",
                            ("--depth", "--max-nodes"))
        if parsed is None:
            return None
        args, expr, obj = parsed
        del parsed
        # a calling function's locals (run_line_magic from a function) are a root too:
        # what holds them is this magic's own call
        extra = {} if local_ns is None or local_ns is self.shell.user_ns else \
            {id(local_ns): "locals of the calling function"}
        walk = backrefs_graph if args.backrefs else refs_graph
        graph = walk(obj, max_depth=args.depth, max_nodes=args.max_nodes, classes=args.classes,
                     extra_roots=extra)
        del obj
        df = frames.graph_nodes_frame(graph)
        if not args.quiet:
            show(_graph_view(graph))
        return df

    # -- %whyalive ------------------------------------------------------------------
    @magic_arguments()
    @argument("--max-chains", type=int, default=10, metavar="N", help="chains listed at most (default 10)")
    @argument("-q", "--quiet", action="store_true", help="display nothing; just return the table")
    @argument("expr", nargs=argparse.REMAINDER, metavar="EXPR", help="the object")
    @no_var_expand
    @needs_local_scope
    @output_can_be_silenced
    @line_magic
    def whyalive(self, line="", local_ns=None):
        """Who keeps an object alive: shortest holder chains, what to run to release it,
        and the bytes each release frees.

        Returns ``root, path, length, releasable_bytes, action, root_kind, needs_collect``
        (``pympler_nb.frames.chains_frame``); paths read like ``holder['k']``, ``Out[3]``,
        ``f → cached f(100)``. The header gives the object's deep size and what releasing
        it frees. Actions run as printed in the notebook and never delete or rebind a
        function, class or module; where no statement is safe the action says so (``no
        safe action: ...``). ``needs_collect``: what the action frees is on a reference
        cycle, so it goes at the next garbage collection (``gc.collect()``), not at once.
        """
        __tracebackhide__ = True
        from .core.whyalive import why_alive

        parsed = parse_one(self.shell, self.whyalive.parser, line, local_ns, "whyalive",
                            ("--max-chains",))
        if parsed is None:
            return None
        args, expr, obj = parsed
        del parsed
        if obj is None or obj is True or obj is False or obj is Ellipsis or obj is NotImplemented \
                or _asizeof.is_static(obj):
            raise UsageError(f"%whyalive: {clip_text(expr, 40)} is {clip_text(repr(obj), 20)}, "
                             "which the interpreter itself keeps alive (nothing to release); "
                             "pass the object you mean (a dead weakref gives None)")
        # this frame's `obj` is the one reference of ours; pympler_nb's frames are ignored
        # the table this returns becomes `_` (the object moves to `__`) when it is the
        # cell's output: name the underscores as they will read when the plan is run
        shift = int(result_is_output(self.shell, line))
        result = why_alive(obj, max_chains=args.max_chains, name=expr, outputs_after=shift,
                           _own_refs=1)
        del obj
        df = frames.chains_frame(result)
        if not args.quiet:
            show(Note(str(result)), *([_graph_view(result)] if result.chains else []))
        return df

    # -- %garbage -------------------------------------------------------------------
    @magic_arguments()
    @argument("--keep", action="store_true",
              help="leave the objects in gc.garbage (default: release them)")
    @argument("--max-nodes", type=int, default=300, metavar="N",
              help="objects drawn at most: whole cycles, largest first (default 300; the "
                   "table lists them all)")
    @argument("-q", "--quiet", action="store_true", help="display nothing; just return the table")
    @output_can_be_silenced
    @line_magic
    def garbage(self, line=""):
        """The reference cycles the garbage collector would free now, as a graph and a table.

        Runs one collection with ``gc.DEBUG_SAVEALL`` (``core.garbagegraph.GarbageGraph``):
        the unreachable objects are parked in ``gc.garbage`` instead of freed, the objects
        on cycles are described (``pympler_nb.frames.graph_nodes_frame``), and then they
        are released and collected (``--keep`` leaves them in ``gc.garbage``). As in any
        collection, their finalizers (``__del__``) and weakref callbacks run.
        """
        __tracebackhide__ = True
        from .core.garbagegraph import garbage_cycles

        parsed = parse(self.garbage.parser, line, "garbage")
        if parsed is None:
            return None
        args = parsed[0]
        positive(args.max_nodes, "--max-nodes", "garbage")
        result = garbage_cycles(reduce=True, keep=args.keep)
        model, found = result.model, result.found
        df = frames.graph_nodes_frame(model)
        if not args.quiet:
            size = int(df["size"].sum()) if len(df) else 0
            text = (f"{found} unreachable objects; {len(df)} on reference cycles ({format_size(size)})"
                    + ("; kept in gc.garbage" if args.keep else "; released"))
            drawn = model.largest_components(args.max_nodes)
            if len(drawn) < len(model):
                text += (f"; drawing the largest cycles, {len(drawn)} of {len(model)} objects "
                         f"(--max-nodes {args.max_nodes}; the table lists them all)")
            show(Note(text), *([_graph_view(drawn)] if len(df) else []))
        return df


# ---------------------------------------------------------------------------
# extension entry points (pympler_nb.load_ipython_extension calls these)
# ---------------------------------------------------------------------------

# magic_arguments names every parser after a line magic: %%memdiff is a cell magic
PymplerMagics.memdiff.parser.prog = "%memdiff"  # shown with a "%" prefix


def _memdiff_help_alone(lines: list[str]) -> list[str]:
    """Input transformer: ``%%memdiff -h`` (or ``%%leakcheck -h``) in a cell of its own
    prints the usage.

    IPython refuses a cell magic whose body is empty ("the cell body is empty") before
    the magic runs; a cell that only asks ``%%memdiff`` for help gets a ``pass`` body.
    """
    if lines and _MEMDIFF_HELP.match(lines[0]) and not "".join(lines[1:]).strip():
        return [lines[0].rstrip("\n") + "\n", "pass\n"]
    return lines


_MEMDIFF_HELP = re.compile(r"\s*%%(?:memdiff|leakcheck)\b.*(?<!\S)(-h|--help)(?!\S)")


def load_ipython_extension(ipython) -> None:
    """Register :class:`PymplerMagics` (and the heap and referrer magics) with ``ipython``."""
    from . import (magics_heap, magics_leakcheck, magics_memdash, magics_memvars, magics_memwatch, magics_reclaim,
                   magics_referrers)

    ipython.register_magics(PymplerMagics)
    if _memdiff_help_alone not in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.append(_memdiff_help_alone)
    magics_heap.load_ipython_extension(ipython)
    magics_referrers.load_ipython_extension(ipython)
    magics_reclaim.load_ipython_extension(ipython)
    magics_memvars.load_ipython_extension(ipython)
    magics_memwatch.load_ipython_extension(ipython)
    magics_memdash.load_ipython_extension(ipython)
    magics_leakcheck.load_ipython_extension(ipython)
    # the notebook's own alt.Chart cells draw offline too (no Vega from a CDN)
    global _previous_renderer
    if charts.alt.renderers.active != charts.RENDERER:
        _previous_renderer = charts.alt.renderers.active
    charts.enable_offline_renderer()
    _mention_pure_path()


_previous_renderer: str | None = None
_pure_path_mentioned = False


def _mention_pure_path() -> None:
    """Say once per process that the core runs on its pure-Python path (no C extension,
    or ``PYMPLER_NB_PURE=1``)."""
    global _pure_path_mentioned
    from .core import pure_path_note

    note = pure_path_note()
    if note and not _pure_path_mentioned:
        _pure_path_mentioned = True
        print(note)


def unload_ipython_extension(ipython) -> None:
    """Stop class tracking and remove the magics from ``ipython``."""
    from . import (magics_heap, magics_leakcheck, magics_memdash, magics_memvars, magics_memwatch, magics_reclaim,
                   magics_referrers)

    magics_memwatch.unload_ipython_extension(ipython)
    magics_heap.unload_ipython_extension(ipython)
    magics_leakcheck.unload_ipython_extension(ipython)
    magics_referrers.unload_ipython_extension(ipython)
    magics_reclaim.unload_ipython_extension(ipython)
    magics_memvars.unload_ipython_extension(ipython)
    magics_memdash.unload_ipython_extension(ipython)
    if _memdiff_help_alone in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.remove(_memdiff_help_alone)
    global _previous_renderer
    if _previous_renderer is not None and charts.alt.renderers.active == charts.RENDERER:
        charts.alt.renderers.enable(_previous_renderer)
        _previous_renderer = None
    manager = ipython.magics_manager
    instance = manager.registry.get("PymplerMagics")
    if instance is not None and instance.class_tracker is not None:
        instance.class_tracker.close()
        instance.class_tracker = None
    for kind, names in PymplerMagics.magics.items():
        for name in names:
            manager.magics[kind].pop(name, None)
    manager.registry.pop("PymplerMagics", None)
