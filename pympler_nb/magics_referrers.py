"""``%referrers EXPR``: who holds an object, as an expandable tree (Pympler's
``InteractiveBrowser`` in notebook form).

Registered by ``%load_ext pympler_nb`` together with :mod:`pympler_nb.magics`. The tree
is the size tree widget over :class:`~pympler_nb.widgets.referrers.ReferrerTreeSource`:
expanding a row lists who holds it, named as ``%whyalive`` names holders; a batch run
(``nbconvert --execute``) shows the first level as a static table.
"""

from __future__ import annotations

import argparse

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class, needs_local_scope, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments

from .core import asizeof as _asizeof
from .core.format import clip_text
from .magic_args import Note, parse_one, show

__all__ = ["ReferrerMagics", "load_ipython_extension", "unload_ipython_extension"]


@magics_class
class ReferrerMagics(Magics):
    """``%referrers``."""

    @magic_arguments()
    @argument("--page-size", type=int, default=100, metavar="N",
              help="holders listed per row before 'show more' (default 100)")
    @argument("expr", nargs=argparse.REMAINDER, metavar="EXPR", help="the object")
    @no_var_expand
    @needs_local_scope
    @line_magic
    def referrers(self, line="", local_ns=None):
        """Who holds an object, as a tree: expand a row to see who holds that holder.

        Holders read as ``%whyalive`` names them (``global `x```, ``Out[3]``, ``item 2 of
        list `cache```, ``local `arr` of frame f()``); the session's roots (the
        notebook's globals, a module's globals, the output cache) end a branch. Levels
        are found when expanded; the widget keeps the object by weak reference where it
        can (else until it is closed) and nothing else. Displays the tree; returns None.
        """
        __tracebackhide__ = True
        from .widgets import BundleMissingError
        from .widgets.referrers import referrer_tree_view

        parsed = parse_one(self.shell, self.referrers.parser, line, local_ns, "referrers",
                           ("--page-size",))
        if parsed is None:
            return None
        args, expr, obj = parsed
        del parsed
        if args.page_size > 10_000:
            raise UsageError(f"%referrers: --page-size {args.page_size} is too large; use an int "
                             "from 1 to 10000")
        if obj is None or obj is True or obj is False or obj is Ellipsis or obj is NotImplemented \
                or _asizeof.is_static(obj):
            raise UsageError(f"%referrers: {clip_text(expr, 40)} is {clip_text(repr(obj), 20)}, "
                             "which the interpreter itself shares (everything holds it); pass "
                             "the object you mean")
        try:
            view = referrer_tree_view(obj, name=expr, page_size=args.page_size,
                                      title=f"Who holds {clip_text(expr, 60)} (expand a row: who holds that)")
        except BundleMissingError as exc:  # a source checkout without `npm run build`
            view = Note(f"(referrer tree widget unavailable: {exc})")
        del obj
        show(view)
        return None


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(ReferrerMagics)


def unload_ipython_extension(ipython) -> None:
    manager = ipython.magics_manager
    for kind, names in ReferrerMagics.magics.items():
        for name in names:
            manager.magics[kind].pop(name, None)
    manager.registry.pop("ReferrerMagics", None)
