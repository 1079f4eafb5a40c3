"""``%reclaim``: why RSS is higher than the live objects, and what gives memory back.

Registered by ``%load_ext pympler_nb`` together with :mod:`pympler_nb.magics`. The split
is :func:`pympler_nb.core.reclaim.rss_split`, the holders
:func:`~pympler_nb.core.reclaim.releasable_holders` (``%whyalive``'s plans), the release
:func:`~pympler_nb.core.reclaim.trim`; this module parses, calls and displays.
"""

from __future__ import annotations

from IPython.core.magic import Magics, line_magic, magics_class, output_can_be_silenced
from IPython.core.magic_arguments import argument, magic_arguments

from . import charts
from .core import reclaim as _reclaim
from .core.format import format_size
from .frames_reclaim import holders_frame, reclaim_frame, trim_frame
from .magic_args import Note, parse, positive, result_is_output, show

__all__ = ["ReclaimMagics", "load_ipython_extension", "unload_ipython_extension"]


@magics_class
class ReclaimMagics(Magics):
    """``%reclaim``."""

    @magic_arguments()
    @argument("--run", action="store_true",
              help="collect garbage and return free heap to the OS (malloc_trim on glibc); "
                   "report the RSS that came back")
    @argument("--top", type=int, default=10, metavar="N",
              help="types listed in the live-objects table (default 10)")
    @argument("--holders", type=int, default=3, metavar="N",
              help="largest holders explained with their release plan (default 3; 0: none)")
    @argument("-q", "--quiet", action="store_true", help="display nothing; just return the table")
    @output_can_be_silenced
    @line_magic
    def reclaim(self, line=""):
        """Why RSS is higher than the live objects: the process's RSS split into live
        Python objects, native buffers they hold, memory free inside the allocators,
        other traced allocations and the native rest, with the largest holders and
        what releases them.

        Returns the split (``part``, ``bytes``, ``percent``, ``releasable``, ``what``;
        ``pympler_nb.frames_reclaim.reclaim_frame``). ``--run`` runs ``gc.collect()`` and
        ``malloc_trim(0)`` (glibc; elsewhere it says why not) and returns ``rss_before``,
        ``rss_after``, ``returned``, ``collected``, ``trimmed``, ``message``.
        """
        __tracebackhide__ = True
        parsed = parse(self.reclaim.parser, line, "reclaim")
        if parsed is None:
            return None
        args, _ = parsed
        positive(args.top, "--top", "reclaim")
        positive(args.holders, "--holders", "reclaim", minimum=0)
        if args.run:
            result = _reclaim.trim()
            if not args.quiet:
                show(Note(str(result)))
            return trim_frame(result)
        split = _reclaim.rss_split(top=args.top)
        df = reclaim_frame(split)
        # the table this returns becomes `_` when it is the cell's output: plans name the
        # underscores as they will read then (as %whyalive's do)
        holders = _reclaim.releasable_holders(
            top=args.holders, outputs_after=int(result_is_output(self.shell, line)))
        df.attrs["holders"] = holders_frame(holders).to_dict("records")
        if not args.quiet:
            show(Note(_text(split, holders)), charts.reclaim_chart(df), tables=False)
        return df


def _text(split, holders) -> str:
    lines = [str(split)]
    trimmable = split.allocators.malloc_free_resident or 0
    if trimmable:
        lines.append(f"%reclaim --run returns up to {format_size(trimmable)} of free glibc heap "
                     "to the OS (after gc.collect())")
    if split.allocators.pymalloc_free:
        lines.append(f"{format_size(split.allocators.pymalloc_free)} free inside pymalloc's arenas "
                     "goes back only when whole arenas empty (free the objects that pin them)")
    if holders:
        lines.append("largest holders (release plan from %whyalive):")
        for h in holders:
            frees = ("?" if h.releasable_bytes is None else format_size(h.releasable_bytes))
            plan = "; ".join(h.plan) if h.plan else "; ".join(h.manual) or "no plan found"
            after = " after gc.collect()" if h.needs_collect else ""
            lines.append(f"  {h.name:<16} {h.type:<24} {format_size(h.deep_size):>10} deep, "
                         f"frees {frees}{after}: {plan}")
    return "\n".join(lines)


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(ReclaimMagics)


def unload_ipython_extension(ipython) -> None:
    manager = ipython.magics_manager
    for kind, names in ReclaimMagics.magics.items():
        for name in names:
            manager.magics[kind].pop(name, None)
    manager.registry.pop("ReclaimMagics", None)
