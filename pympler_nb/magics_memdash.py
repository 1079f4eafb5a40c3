"""``%memdash``: the memory dashboard, one widget with tabs (Pympler's web frontend in the
notebook).

Registered by ``%load_ext pympler_nb`` together with :mod:`pympler_nb.magics`. The widget
is :class:`~pympler_nb.widgets.dashboard.Dashboard`: Process, Timeline, Variables, Classes
and Garbage tabs, each computed in the kernel when it is opened (and on "refresh"); a
batch run (``nbconvert --execute``) and an exported notebook show the open tab as HTML.
"""

from __future__ import annotations

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from .magic_args import Note, parse, show

__all__ = ["MemdashMagics", "load_ipython_extension", "unload_ipython_extension"]

_TABS = ("process", "timeline", "variables", "classes", "garbage", "workers")


@magics_class
class MemdashMagics(Magics):
    """``%memdash``."""

    @magic_arguments()
    @argument("--dask", metavar="CLIENT", default=None,
              help="add a Workers tab for the Dask cluster of CLIENT (the notebook's distributed.Client): "
                   "each worker's RSS, limit, managed bytes and unmanaged split, refreshed on demand; "
                   "it opens first")
    @argument("--tab", default=None, choices=_TABS, metavar="TAB",
              help=f"the tab open first: {', '.join(_TABS)} (default process; workers with --dask); the others are "
                   "computed when opened")
    @argument("--no-reduce", action="store_true",
              help="Garbage tab: show every unreachable object, not only those on the cycles")
    @line_magic
    def memdash(self, line=""):
        """The memory dashboard: Process (RSS, VMS, PSS/USS, swap, page faults, the container
        limit, segments, the threads' stacks: click a frame to size its locals), Timeline
        (the %memwatch ledger), Variables (%memvars), Classes (the %classtrack statistics
        and charts; click a class for its instances, traces and referent trees) and
        Garbage (reference cycles, one table and one drawn graph per cycle; opening it runs
        a collection, which frees them). A linked name in a table (a frame's local, a
        tracked instance, a referent, a referrer) opens that object's detail.

        Each tab is computed in the kernel when it is opened and again on "refresh".
        Displays the widget; returns None.
        """
        __tracebackhide__ = True
        from .widgets import BundleMissingError
        from .widgets.dashboard import Dashboard

        parsed = parse(self.memdash.parser, line, "memdash")
        if parsed is None:
            return None
        args = parsed[0]
        workers = None
        if args.dask is not None:
            from .magics_dask import workers_provider

            workers = workers_provider(self.shell, args.dask, "memdash")
        elif args.tab == "workers":
            raise UsageError("%memdash --tab workers needs --dask CLIENT (the notebook's distributed.Client)")
        tab = args.tab or ("workers" if workers is not None else "process")
        try:
            view = Dashboard(tab=tab, tracker=self._class_tracker, reduce=not args.no_reduce, workers=workers)
        except BundleMissingError as exc:  # a source checkout without `npm run build`
            view = Note(f"(dashboard widget unavailable: {exc})")
        show(view)
        return None

    def _class_tracker(self):
        """The ``%classtrack`` tracker of this shell, or None when it never started."""
        magics = self.shell.magics_manager.registry.get("PymplerMagics")
        return getattr(magics, "class_tracker", None)


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(MemdashMagics)


def unload_ipython_extension(ipython) -> None:
    manager = ipython.magics_manager
    for kind, names in MemdashMagics.magics.items():
        for name in names:
            manager.magics[kind].pop(name, None)
    manager.registry.pop("MemdashMagics", None)
