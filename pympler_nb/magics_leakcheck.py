"""``%%leakcheck``: does this cell leak, what, born where, held by whom.

Registered by ``%load_ext pympler_nb`` together with :mod:`pympler_nb.magics`. The cell
is compiled once, as ``%%memdiff`` compiles it (its lines read ``cell [N], line K`` in
tracebacks and in tracemalloc), and run ``--warmup`` + ``-n`` times in the user's
namespace by :func:`pympler_nb.core.leakcheck.leak_check`; the value of its last
expression is computed and dropped on each run (not displayed, not stored in ``Out``).
"""

from __future__ import annotations

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class, no_var_expand, output_can_be_silenced
from IPython.core.magic_arguments import argument, magic_arguments

from . import charts, frames
from .core.format import format_size
from .magic_args import Note, parse, positive, show
from .magics import cache_cell, calling_cell_number, compile_cell

__all__ = ["LeakCheckMagics", "load_ipython_extension", "unload_ipython_extension"]


class _CellRun:
    """Runs the compiled cell in the user's namespace, once per call (no value kept)."""

    __slots__ = ("shell", "code", "last")

    def __init__(self, shell, code, last):
        self.shell = shell
        self.code = code
        self.last = last

    def __call__(self) -> None:
        __tracebackhide__ = True
        shell = self.shell
        exec(self.code, shell.user_global_ns, shell.user_ns)  # noqa: S102 - the user's cell
        if self.last is not None:
            eval(self.last, shell.user_global_ns, shell.user_ns)  # noqa: S307 - value dropped


@magics_class
class LeakCheckMagics(Magics):
    """``%%leakcheck``."""

    @magic_arguments()
    @argument("-n", "--runs", type=int, default=5, metavar="K",
              help="measured runs (at least 2; default 5): the growth per run is fitted over them")
    @argument("--warmup", type=int, default=1, metavar="W",
              help="runs before the first measurement, so that caches fill (default 1)")
    @argument("--trace", action="store_true",
              help="also trace allocations (tracemalloc): per-line growth of the cell, and "
                   "where the leaked objects were born")
    @argument("--top", type=int, default=10, metavar="N",
              help="leaking types that get a holder search, and rows drawn (default 10)")
    @argument("-q", "--quiet", action="store_true", help="display nothing; just return the table")
    @no_var_expand
    @output_can_be_silenced
    @cell_magic
    def leakcheck(self, line="", cell=""):
        """Run the cell W + K times and report what grows on every run.

        Returns ``type, site, per_run_count, per_run_bytes, verdict, holder, born,
        releasable_bytes`` (``pympler_nb.frames.leak_frame``), leaks first, and displays
        the verdict line and a chart of the growth over the runs. ``verdict``: ``leak``
        (grew on every run), ``cache`` (grew, then stopped), ``noise`` (stops and
        restarts, or alternates), ``shrinks``. For leaking types a sample of the objects
        created in the last run names its holder (as ``%whyalive`` does), the bytes that
        releasing it frees and, with ``--trace``, the cell line that allocated it. If the
        cell raises (or is interrupted) on some run, the runs done are reported and the
        exception propagates.
        """
        __tracebackhide__ = True
        from .core.leakcheck import leak_check

        parsed = parse(self.leakcheck.parser, line, "%leakcheck")
        if parsed is None:
            return None
        args = parsed[0]
        positive(args.runs, "-n", "%leakcheck", 2)
        positive(args.warmup, "--warmup", "%leakcheck", 0)
        positive(args.top, "--top", "%leakcheck", 1)
        if not cell.strip():
            raise UsageError("%%leakcheck: the cell is empty; put the code to check below the "
                             "%%leakcheck line")
        shell = self.shell
        transformed, filename = cache_cell(shell, cell, calling_cell_number(shell))
        code, last = compile_cell(shell, transformed, filename)
        run = _CellRun(shell, code, last)
        del code, last
        report = leak_check(run, runs=args.runs, warmup=args.warmup, trace=args.trace,
                            top=args.top, site_file=filename, errors="return")
        error = report.error
        run = None
        df = frames.leak_frame(report)
        df.attrs.update(verdict=report.verdict, runs=report.runs, warmup=report.warmup,
                        runs_done=report.runs_done, leak_bytes_per_run=report.leak_bytes,
                        traced=report.traced)
        if not args.quiet:
            text = f"%%leakcheck ({report.runs_done} of {report.runs} runs after {report.warmup} " \
                   f"warm-up): {report.verdict}"
            out = [Note(text)]
            for r in report.leaks[:args.top]:
                if r.kind == "type" and r.samples and r.samples[0].action:
                    s = r.samples[0]
                    frees = "" if s.releasable_bytes is None else \
                        f" (frees {format_size(s.releasable_bytes)})"
                    out.append(Note(f"  {r.type}: to release the sample: {s.action}{frees}"))
            growth = frames.leak_runs_frame(report, top=args.top)
            if len(growth):
                out.append(charts.leak_growth_chart(growth))
            if error is not None:
                out.insert(1, df)  # no return value will show it
            show(*out, tables=error is not None)
        del report
        if error is not None:
            raise error
        return df


# magic_arguments names every parser after a line magic: %%leakcheck is a cell magic
LeakCheckMagics.leakcheck.parser.prog = "%leakcheck"


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(LeakCheckMagics)


def unload_ipython_extension(ipython) -> None:
    manager = ipython.magics_manager
    for kind, names in LeakCheckMagics.magics.items():
        for name in names:
            manager.magics[kind].pop(name, None)
    manager.registry.pop("LeakCheckMagics", None)
