"""``%classtrack``: the Class Tracker from a notebook, one tracker per shell.

:class:`ClassTrackCommands` runs the subcommands of the ``%classtrack`` line magic that
:class:`pympler_nb.magics.PymplerMagics` registers: ``track``, ``track_object``,
``track_change``, ``detach``, ``snapshot``, ``stats``, ``objects``, ``periodic``,
``dump``, ``load``, ``report`` and ``stop``. Each parses its words (``-h`` prints the
usage; a mistake raises a one-line :class:`~IPython.core.error.UsageError` naming the
value and the fix), calls :class:`~pympler_nb.core.classtracker.ClassTracker` or its
statistics, and returns a DataFrame (:mod:`pympler_nb.frames`), displaying a chart
(:mod:`pympler_nb.charts`) unless ``-q``.
"""

from __future__ import annotations

import argparse
import os

from IPython.core.error import UsageError
from IPython.core.magic_arguments import MagicArgumentParser

from . import charts, frames
from .core.format import clip_text, format_size
from .magic_args import Note, evaluate, expand_path, noted, parse, path_words, positive, show, split_words, usage_line

__all__ = ["USAGE", "ClassTrackCommands", "subcommand_parsers"]

#: the one-line usage of ``%classtrack``
USAGE = ("%classtrack {track CLASS [CLASS ...] [--resolution N] [--trace] [--keep] | "
         "track_object [--name NAME] [--resolution N] [--trace] [--keep] EXPR | "
         "track_change --resolution N EXPR | detach CLASS [CLASS ...] | "
         "snapshot [DESCRIPTION] | stats | objects [CLASS] | periodic INTERVAL|off | "
         "dump FILE | load FILE | report FILE [--title TITLE] | stop} [-q]")

_PARSERS: dict[str, MagicArgumentParser] = {}

#: subcommands whose value displays as their one-line note
ACTIONS = ("track", "track_object", "track_change", "detach", "snapshot", "periodic", "dump", "report", "stop")
#: subcommands that take a FILE ($var, {expression} and quoted paths work)
FILE_COMMANDS = ("dump", "load", "report")
#: subcommands whose rest of the line is one expression (options first)
EXPR_COMMANDS = ("track_object", "track_change")


def subcommand_parsers() -> dict[str, MagicArgumentParser]:
    """The parsers of the ``%classtrack`` subcommands (built once; each ends with ``-q``)."""
    if _PARSERS:
        return _PARSERS
    parsers: dict[str, MagicArgumentParser] = {}

    def sub(name: str, description: str) -> MagicArgumentParser:
        parser = parsers[name] = MagicArgumentParser(prog=f"classtrack {name}", description=description)
        return parser

    def tracking_options(p: MagicArgumentParser) -> None:
        p.add_argument("--resolution", type=int, default=0, metavar="N",
                       help="levels of referents sized per instance (default 0)")
        p.add_argument("--trace", action="store_true", help="record where each instance was created")
        p.add_argument("--keep", action="store_true", help="keep instances alive (strong references)")

    p = sub("track", "Track every instance of the classes created from now on.")
    p.add_argument("classes", nargs="+", metavar="CLASS", help="class names (expressions)")
    tracking_options(p)
    p = sub("track_object", "Track one object (ClassTracker.track_object): its lifetime and its size in "
                            "each snapshot.")
    p.add_argument("--name", default=None, metavar="NAME", help="the name to list it under (default: its "
                                                                "class's name)")
    tracking_options(p)
    p.add_argument("expr", nargs=argparse.REMAINDER, metavar="EXPR", help="the object (an expression)")
    p = sub("track_change", "Size a tracked object at another resolution from the next snapshot on "
                            "(ClassTracker.track_change).")
    p.add_argument("--resolution", type=int, required=True, metavar="N",
                   help="levels of referents sized from now on (0: the object as a whole)")
    p.add_argument("expr", nargs=argparse.REMAINDER, metavar="EXPR", help="the tracked object (an expression)")
    p = sub("detach", "Stop tracking new instances of the classes (their tracked instances stay).")
    p.add_argument("classes", nargs="+", metavar="CLASS", help="tracked classes (expressions)")
    p = sub("snapshot", "Size every tracked instance now.")
    p.add_argument("description", nargs="*", metavar="DESCRIPTION", help="a label for the snapshot")
    p = sub("stats", "Memory per snapshot and class (table and chart; attrs['totals']: the process total).")
    p.add_argument("--top", type=int, default=8, metavar="N", help="classes drawn by name (default 8)")
    p = sub("objects", "The tracked instances (table and lifetimes chart).")
    p.add_argument("cls", nargs="?", metavar="CLASS", help="only this tracked class (name or class)")
    p = sub("periodic", "Take a snapshot every INTERVAL seconds in the background, or stop.")
    p.add_argument("interval", metavar="INTERVAL|off", help="seconds between snapshots, or 'off'")
    file_help = "a path; $var, {expression} and \"quoted paths\" work"
    p = sub("dump", "Save the statistics as versioned JSON (gzip if FILE ends in .gz).")
    p.add_argument("file", metavar="FILE", help=file_help)
    p = sub("load", "Show statistics saved by dump (never runs code from the file).")
    p.add_argument("file", metavar="FILE", help=file_help)
    p.add_argument("--top", type=int, default=8, metavar="N", help="classes drawn by name (default 8)")
    p = sub("report", "Write the HTML report (HtmlStats.create_html): FILE and FILE's _files folder of "
                      "class pages.")
    p.add_argument("file", metavar="FILE", help=file_help)
    p.add_argument("--title", default="ClassTracker Statistics", metavar="TITLE", help="the page title")
    sub("stop", "Stop tracking: restore the classes, stop periodic snapshots, forget all.")
    for parser in parsers.values():
        parser.add_argument("-q", "--quiet", action="store_true", help="display nothing")
    _PARSERS.update(parsers)
    return _PARSERS


def help_text() -> str:
    """``%classtrack -h``: the usage and one line per subcommand."""
    lines = [f"Usage: {USAGE}", ""]
    for p in subcommand_parsers().values():
        lines.append(f"  {usage_line(p):<60} {p.description}")
    return "\n".join(lines)


def _unquote(text: str) -> str:
    """An option's text without one pair of surrounding quotes (``--title 'My run'``)."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


class ClassTrackCommands:
    """The ``%classtrack`` subcommands of one shell, and its one tracker (created on first use)."""

    def __init__(self, shell) -> None:
        self.shell = shell
        self.tracker = None

    def run(self, line: str, local_ns):
        """Run one ``%classtrack`` line; the magic's value."""
        __tracebackhide__ = True
        line_silenced = line.strip().endswith(";")
        line = line.strip().removesuffix(";").strip()
        sub, _, rest = line.partition(" ")
        parsers = subcommand_parsers()
        if sub in ("", "-h", "--help"):
            if sub:
                print(help_text())
                return None
            raise UsageError(f"%classtrack: give a subcommand ({', '.join(parsers)}); usage: {USAGE}")
        if sub not in parsers:
            raise UsageError(f"%classtrack: unknown subcommand {sub!r}; use one of {', '.join(parsers)} "
                             f"(%classtrack -h describes them)")
        takes_file = sub in FILE_COMMANDS
        parsed = parse(parsers[sub], rest, f"classtrack {sub}", exprs="one" if sub in EXPR_COMMANDS else None,
                       split=path_words if takes_file else split_words)
        if parsed is None:
            return None
        args, exprs = parsed
        if takes_file:  # FILE may be $var, {expr} or "a path with spaces"
            args.file = expand_path(self.shell, args.file, local_ns, f"classtrack {sub}")
        if exprs:
            args.expr = exprs[0]
        df, shown = getattr(self, f"_{sub}")(args, local_ns)
        if sub in ACTIONS:  # the value displays as the note: shown once, one line
            (note,) = shown
            return noted(df, note.text)
        if not args.quiet and shown:
            # without ';' the returned table is shown too: the chart's fallback need not repeat it
            show(*shown, tables=line_silenced)
        return df

    # -- helpers -----------------------------------------------------------------
    def _tracker(self):
        from .core.classtracker import ClassTracker

        if self.tracker is None:
            self.tracker = ClassTracker()
        return self.tracker

    def _frame(self, source=None):
        return frames.classtracker_frame(source if source is not None else self._tracker())

    def _classes(self, args, local_ns, sub: str) -> list:
        """The classes named by ``args.classes``, each checked to be a class."""
        __tracebackhide__ = True
        classes = [evaluate(self.shell, name, local_ns, f"classtrack {sub}") for name in args.classes]
        for name, cls in zip(args.classes, classes):
            if not isinstance(cls, type):
                raise UsageError(f"%classtrack {sub}: {name} is a {type(cls).__name__}, not a class; "
                                 f"give a class such as {type(cls).__name__}")
        return classes

    # -- subcommands -------------------------------------------------------------
    def _track(self, args, local_ns):
        __tracebackhide__ = True
        positive(args.resolution, "--resolution", "classtrack track", 0)
        classes = self._classes(args, local_ns, "track")
        tracker = self._tracker()
        for name, cls in zip(args.classes, classes):
            try:
                tracker.track_class(cls, resolution_level=args.resolution, keep=args.keep, trace=args.trace)
            except (TypeError, ValueError) as exc:
                raise UsageError(f"%classtrack track: {name}: {exc}") from None
        note = (f"tracking {', '.join(args.classes)} (resolution {args.resolution}); take snapshots with "
                f"%classtrack snapshot [DESCRIPTION]")
        return self._frame(), [Note(note)]

    def _track_object(self, args, local_ns):
        __tracebackhide__ = True
        positive(args.resolution, "--resolution", "classtrack track_object", 0)
        if args.name is not None:
            args.name = _unquote(args.name)
        if args.name is not None and not args.name.strip():
            raise UsageError("%classtrack track_object: --name is empty; give a name such as --name cache")
        obj = evaluate(self.shell, args.expr, local_ns, "classtrack track_object")
        expr = clip_text(args.expr, 60)
        try:
            self._tracker().track_object(obj, name=args.name, resolution_level=args.resolution, keep=args.keep,
                                         trace=args.trace)
        except TypeError as exc:
            raise UsageError(f"%classtrack track_object: {expr} is a {type(obj).__name__}: {exc}; or track "
                             f"it with --keep (the tracker then keeps it alive)") from None
        except ValueError as exc:
            raise UsageError(f"%classtrack track_object: {exc}") from None
        note = (f"tracking {expr} (resolution {args.resolution}); take snapshots with "
                f"%classtrack snapshot [DESCRIPTION]")
        return self._frame(), [Note(note)]

    def _track_change(self, args, local_ns):
        __tracebackhide__ = True
        positive(args.resolution, "--resolution", "classtrack track_change", 0)
        obj = evaluate(self.shell, args.expr, local_ns, "classtrack track_change")
        expr = clip_text(args.expr, 60)
        try:
            self._tracker().track_change(obj, resolution_level=args.resolution)
        except KeyError:
            raise UsageError(f"%classtrack track_change: {expr} is not tracked; track it first with "
                             f"%classtrack track_object {expr} (or %classtrack track ITS_CLASS before "
                             f"creating it)") from None
        return self._frame(), [Note(f"{expr} is sized at resolution {args.resolution} from the next snapshot on")]

    def _detach(self, args, local_ns):
        __tracebackhide__ = True
        classes = self._classes(args, local_ns, "detach")
        tracker = self._tracker()
        for name, cls in zip(args.classes, classes):
            try:
                tracker.detach_class(cls)
            except KeyError as exc:  # the message names the tracked classes
                raise UsageError(f"%classtrack detach: {name}: {exc.args[0]}; %classtrack track {name} "
                                 "tracks it") from None
        note = (f"stopped tracking new instances of {', '.join(args.classes)}; their tracked instances stay "
                "(%classtrack stop forgets all)")
        return self._frame(), [Note(note)]

    def _snapshot(self, args, local_ns):
        tracker = self._tracker()
        tracker.create_snapshot(" ".join(args.description))
        df = self._frame()
        last = df[df["snapshot"] == df["snapshot"].max()] if len(df) else df
        note = (f"snapshot {len(tracker.snapshots) - 1}: {int(last['active'].sum())} tracked instances, "
                f"{format_size(int(last['size'].sum()))}")
        return df, [Note(note)]

    def _stats(self, args, local_ns, source=None):
        positive(args.top, "--top", "classtrack stats")
        df = self._frame(source)
        if not len(df):
            return df, [Note("no snapshots yet: %classtrack track CLASS, then %classtrack snapshot")]
        return df, [charts.classtracker_memory_chart(df, top=args.top)]

    def _objects(self, args, local_ns):
        df = frames.tracked_objects_frame(self._tracker())
        if args.cls:
            known = sorted(set(df["class"]))
            name = args.cls
            if name not in known:  # a class given as an expression
                cls = evaluate(self.shell, name, local_ns, "classtrack objects")
                name = f"{getattr(cls, '__module__', '')}.{getattr(cls, '__name__', cls)}"
            if name not in known:
                raise UsageError(f"%classtrack objects: {args.cls} is not tracked; tracked: "
                                 f"{', '.join(known) or 'none'} (%classtrack track {args.cls})")
            df = df[df["class"] == name].reset_index(drop=True)
        if not len(df):
            return df, [Note("no tracked instances yet")]
        return df, [charts.lifetimes_chart(df)]

    def _periodic(self, args, local_ns):
        tracker = self._tracker()
        if args.interval.lower() == "off":
            tracker.stop_periodic_snapshots()
            return self._frame(), [Note("periodic snapshots stopped")]
        try:
            interval = float(args.interval)
        except ValueError:
            interval = -1.0
        if not interval > 0:
            raise UsageError(f"%classtrack periodic: interval {args.interval!r} is not a number of "
                             "seconds > 0; use e.g. '%classtrack periodic 1.5' or 'off'")
        tracker.start_periodic_snapshots(interval)
        return self._frame(), [Note(f"a snapshot every {interval:g} s; stop with %classtrack periodic off")]

    def _dump(self, args, local_ns):
        tracker = self._tracker()
        try:
            tracker.stats.dump_stats(args.file)
        except OSError as exc:
            raise UsageError(f"%classtrack dump: cannot write {args.file!r} ({exc.strerror or exc}); "
                             "check the path") from None
        return self._frame(), [Note(f"statistics saved to {args.file} "
                                    f"({len(tracker.snapshots)} snapshots); %classtrack load reads them")]

    def _load(self, args, local_ns):
        from .core.classtracker_stats import Stats

        try:
            stats = Stats(filename=args.file)
        except OSError as exc:  # missing, a directory, unreadable: the message names the file
            raise UsageError(f"%classtrack load: {exc.strerror or exc}; check the path") from None
        except ValueError as exc:  # too large, not a stats file, malformed: names file and place
            raise UsageError(f"%classtrack load: {clip_text(str(exc), 300)}") from None
        return self._stats(args, local_ns, source=stats)

    def _report(self, args, local_ns):
        from .core.classtracker_stats import HtmlStats

        tracker = self._tracker()
        if not tracker.snapshots:
            raise UsageError("%classtrack report: no snapshots yet; take one with %classtrack snapshot, "
                             "then write the report")
        try:
            HtmlStats(tracker=tracker).create_html(args.file, title=_unquote(args.title))
        except OSError as exc:
            raise UsageError(f"%classtrack report: cannot write {args.file!r} ({exc.strerror or exc}); "
                             "check the path (its folder must exist)") from None
        folder = os.path.splitext(args.file)[0] + "_files"
        return self._frame(), [Note(f"HTML report written to {args.file} (class pages in {folder}/; "
                                    f"{len(tracker.snapshots)} snapshots)")]

    def _stop(self, args, local_ns):
        tracker = self.tracker
        if tracker is not None:
            tracker.stop_periodic_snapshots()
            tracker.detach_all()
            tracker.clear()
        df = self._frame()
        self.tracker = None
        return df, [Note("class tracking stopped; classes restored, tracked data dropped")]
