"""``%memvars``: memory per notebook variable, with the hidden holders and a "free" action.

Registered by ``%load_ext pympler_nb`` together with :mod:`pympler_nb.magics`. The sizes
are :func:`pympler_nb.core.namespace_sizes.namespace_sizes` (one walk for every name),
the table :func:`pympler_nb.frames_vars.memvars_frame`'s, the view the
:class:`~pympler_nb.widgets.variables.VariablesTable` widget (sortable, filterable; each
row's "free" shows ``%whyalive``'s release plan and runs it after a confirmation click).
"""

from __future__ import annotations

from IPython.core.magic import Magics, line_magic, magics_class, output_can_be_silenced
from IPython.core.magic_arguments import argument, magic_arguments

from .magic_args import Note, parse, show

__all__ = ["MemvarsMagics", "load_ipython_extension", "unload_ipython_extension"]


@magics_class
class MemvarsMagics(Magics):
    """``%memvars``."""

    @magic_arguments()
    @argument("--no-hidden", action="store_true",
              help="leave out the hidden holders (Out[n], _, In / _i…, sys.last_value, gc.garbage)")
    @argument("--modules", action="store_true", help="also list variables bound to modules")
    @argument("-q", "--quiet", action="store_true", help="display nothing; just return the table")
    @output_can_be_silenced
    @line_magic
    def memvars(self, line=""):
        """Memory per variable: type, shallow, deep and retained size (what ``del name``
        frees now, every other holder taken into account) of every user variable, then
        the hidden holders that keep objects alive (``Out[n]`` with ``_n``/``_``, ``In``
        and ``_i…``, ``sys.last_value`` and its traceback, ``gc.garbage``).

        Returns ``name, kind, type, shallow, deep, retained, shared, count, note, held_by,
        shares_with, view_of, aliases, repr`` (``pympler_nb.frames_vars.memvars_frame``);
        ``note`` says why retained is smaller than deep (``also held by Out[3]``, ``view of
        a``, ``shares 2.1 MiB with df``). Displays the table widget: click a header to
        sort, type to filter, "free" to see and run a row's release plan.
        """
        __tracebackhide__ = True
        from .core.namespace_sizes import namespace_sizes
        from .frames_vars import vars_frame

        parsed = parse(self.memvars.parser, line, "memvars")
        if parsed is None:
            return None
        args = parsed[0]
        result = namespace_sizes(None, hidden=not args.no_hidden, modules=args.modules)
        df = vars_frame(result)
        if not args.quiet:
            show(_table_view(result, hidden=not args.no_hidden))
        return df


def _table_view(result, hidden: bool):
    """The variables table widget, or the text table if the front end was not built."""
    from .widgets import BundleMissingError
    from .widgets.variables import VariablesTable

    try:
        return VariablesTable(result, hidden=hidden, title="Variables")
    except BundleMissingError as exc:  # a source checkout without `npm run build`
        return Note(f"{result}\n(variables widget unavailable: {exc})")


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(MemvarsMagics)


def unload_ipython_extension(ipython) -> None:
    manager = ipython.magics_manager
    for kind, names in MemvarsMagics.magics.items():
        for name in names:
            manager.magics[kind].pop(name, None)
    manager.registry.pop("MemvarsMagics", None)
