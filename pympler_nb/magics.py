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
import gc
import glob
import html
import io
import linecache
import re
import shlex
import sys
import tokenize
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
from IPython.core.magic_arguments import MagicArgumentParser, argument, magic_arguments
import pandas as pd
from IPython.display import display

from . import charts, frames
from .core import asizeof as _asizeof
from .core._format import clip_text, format_size, text_safe
from .core.sizetree import DEFAULT_TOP, top_sized

__all__ = ["PymplerMagics", "load_ipython_extension", "unload_ipython_extension"]


# ---------------------------------------------------------------------------
# small display objects (each with a plain-text form)
# ---------------------------------------------------------------------------

class _Note:
    """One or a few lines of text, shown as text and as HTML."""

    def __init__(self, text: str):
        self.text = text_safe(text)  # it leaves Python as UTF-8 (lone surrogates escaped)

    def __repr__(self):
        return self.text

    def _repr_mimebundle_(self, include=None, exclude=None):
        body = "<br>".join(html.escape(line) for line in self.text.splitlines())
        return {"text/plain": self.text,
                "text/html": f"<div class='pympler-nb-note tex2jax_ignore'><code>{body}</code></div>"}


class _NotedFrame(pd.DataFrame):
    """The table an action (``%classtrack track``/``snapshot``/``stop``...) returns: a
    DataFrame that displays as its one-line note, so that an action without ``;`` does
    not show an empty or ever-growing table. Anything derived from it (``.head()``,
    ``df[...]``, ``pd.DataFrame(df)``) is a plain DataFrame."""

    _metadata = ["note"]

    @property
    def _constructor(self):
        return pd.DataFrame

    def __repr__(self):
        return f"{self.note} ({len(self)} rows: %classtrack stats shows them)"

    def _repr_html_(self):
        return _Note(repr(self))._repr_mimebundle_()["text/html"]


def _noted(df: pd.DataFrame, note: str) -> _NotedFrame:
    out = _NotedFrame(df)
    out.attrs.update(df.attrs)
    out.note = note
    return out


def _show(*objs, tables: bool = True) -> None:
    """Display each object; Altair charts through :func:`charts.chart_bundle` (drawn by
    the front end's own Vega-Lite, with a text table for other viewers: no CDN script).
    ``tables=False``: the charts' text fallback is one line, since the magic's value (the
    table) is shown as well."""
    for obj in objs:
        if isinstance(obj, charts.alt.TopLevelMixin):
            obj = charts.ChartView(obj, table=tables)
        display(obj)


# ---------------------------------------------------------------------------
# line parsing
# ---------------------------------------------------------------------------

def _remainder_metavar(parser: argparse.ArgumentParser) -> str | None:
    for action in parser._actions:
        if action.nargs == argparse.REMAINDER:
            return action.metavar
    return None


def _usage(parser: argparse.ArgumentParser) -> str:
    """The usage of ``parser`` as one line: ``%memsize [-d DETAIL] ... EXPR [EXPR ...]``."""
    text = " ".join(parser.format_usage().split())
    text = text.removeprefix(":: ")
    metavar = _remainder_metavar(parser)
    if metavar and text.endswith(" ..."):  # argparse writes '...' for the expressions
        text = text[:-3] + metavar
    return text


class _LazyUsage:
    """``str()`` is :func:`_usage` of the parser (argparse's formatter leaves reference
    cycles behind, which ``%garbage`` would report)."""

    def __init__(self, parser):
        self.parser = parser

    def __str__(self):
        return _usage(self.parser)

    def __format__(self, spec):
        return format(str(self), spec)


def _help(parser: argparse.ArgumentParser) -> str:
    text = parser.format_help()
    head, _, body = text.partition("\n\n")
    if head.lstrip(":").strip():  # no usage block first: leave it
        return text
    body = body.partition("\n\n")[2]
    return "Usage: " + _usage(parser) + "\n\n" + body


def _tokens(line: str, magic: str, usage: str) -> list[tuple[str, int]]:
    """Whitespace-separated words of ``line`` with their offsets (quotes respected)."""
    lexer = shlex.shlex(line, posix=False)
    lexer.whitespace_split = True
    lexer.commenters = ""
    out = []
    try:
        for word in lexer:
            start = line.find(word, out[-1][1] + len(out[-1][0]) if out else 0)
            out.append((word, start))
    except ValueError as exc:
        raise UsageError(f"%{magic}: cannot split {line.strip()!r} into words ({exc}); "
                         f"usage: {usage}") from None
    return out


def _path_words(line: str, magic: str, usage: str) -> list[tuple[str, int]]:
    """Like :func:`_tokens`, but a ``{expression}`` is one word even with spaces inside
    (``{os.path.join(d, 'x.json')}``); quotes are kept (see :func:`_expand_path`)."""
    out = []
    start = None
    quote = None
    depth = 0
    for i, ch in enumerate(line):
        if start is None:
            if ch.isspace():
                continue
            start = i
        if quote is not None:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
        elif ch.isspace() and depth == 0:
            out.append((line[start:i], start))
            start = None
    if quote is not None or depth:
        what = f"no closing {quote}" if quote is not None else "no closing }"
        raise UsageError(f"%{magic}: cannot split {line.strip()!r} into words ({what}); usage: {usage}")
    if start is not None:
        out.append((line[start:], start))
    return out


def _expand_path(shell, text: str, local_ns, magic: str) -> str:
    """A FILE argument as IPython expands magic lines, then unquoted.

    ``$name`` / ``$obj.attr`` and ``{expression}`` are replaced by their values in the
    user's namespace (``var_expand``'s ``DollarFormatter``; ``$$`` and ``{{ }}`` are
    a literal ``$`` and braces; no ``$`` expansion inside single quotes); then one
    pair of surrounding quotes is removed, so ``"my stats.json"`` names a path with
    a space. An expansion that fails is a :class:`UsageError`, not a file named
    ``{p}``.
    """
    __tracebackhide__ = True
    from IPython.utils.text import DollarFormatter

    if "$" in text or "{" in text or "}" in text:
        ns = dict(shell.user_ns)
        if local_ns is not None and local_ns is not shell.user_ns:
            ns.update(local_ns)
        try:
            with shell.builtin_trap:
                text = DollarFormatter().vformat(text, args=[], kwargs=ns)
        except Exception as exc:  # noqa: BLE001 - the user's expression failed: one line
            raise UsageError(f"%{magic}: cannot expand {text!r}: {type(exc).__name__}: "
                             f"{clip_text(str(exc), 120)}; define the variable, or write $$ or "
                             "{{ }} for a literal $ or braces") from None
    return _unquote_path(text, magic)


def _unquote_path(text: str, magic: str) -> str:
    """A FILE argument without one pair of surrounding quotes; never empty."""
    __tracebackhide__ = True
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    if not text:
        raise UsageError(f"%{magic}: the file name is empty; give a path such as stats.json.gz")
    return text


def _parse(parser: argparse.ArgumentParser, line: str, magic: str, exprs: str | None = None,
           split=_tokens):
    """Parse ``line``; return ``(args, expressions)`` or ``None`` after printing help.

    ``exprs``: ``None`` (no expressions), ``"one"`` (the rest of the line is one
    expression) or ``"many"`` (the rest is split into expressions).  Expressions start
    at the first word that is not an option; their text is taken from ``line`` as is.
    ``split`` cuts the line into words (:func:`_tokens`, or :func:`_path_words`).
    """
    __tracebackhide__ = True
    usage = _LazyUsage(parser)  # formatting creates garbage cycles: only on errors
    line = line.strip()
    if line.endswith(";"):  # `%magic x;` silences the output (output_can_be_silenced)
        line = line[:-1].rstrip()
    words = split(line, magic, usage)
    argv = [w for w, _ in words]
    if "-h" in argv or "--help" in argv:
        cut = len(argv)
        if exprs is not None:  # '-h' after an expression is part of the expression
            cut = next((i for i, w in enumerate(argv) if not w.startswith("-")), len(argv))
        if "-h" in argv[:cut + 1] or "--help" in argv[:cut + 1] or exprs is None:
            print(_help(parser))
            return None
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        raise UsageError(f"%{magic}: {exc}; usage: {usage}") from None
    if exprs is None:
        return args, []
    rest = args.expr
    if not rest:
        raise UsageError(f"%{magic}: give an expression to evaluate; usage: {usage}")
    options = set(parser._option_string_actions)
    late = [w for w in rest[1:] if w in options]
    if late:
        raise UsageError(f"%{magic}: option {late[0]} comes after the expression; put options first: "
                         f"{usage}")
    text = line[words[len(argv) - len(rest)][1]:]
    if exprs == "one":
        return args, [text]
    return args, _split_expressions(text, magic)


def _compiles(text: str) -> bool:
    try:
        compile(text, "<expr>", "eval", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _split_expressions(text: str, magic: str) -> list[str]:
    """Split ``a b['k c'] f(x, y)`` into expressions at top-level spaces, longest first.

    ``a + b`` stays one expression (as Python reads it); write ``a (-b)`` for two.
    """
    cuts = []  # offsets of top-level whitespace between tokens
    depth = 0
    prev_end = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER):
                continue
            start = tok.start[1] if tok.start[0] == 1 else None
            if depth == 0 and prev_end is not None and start is not None and start > prev_end:
                cuts.append(prev_end)
            if tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth -= 1
            prev_end = tok.end[1] if tok.end[0] == 1 else None
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass  # unbalanced: the whole text is reported as one expression below
    ends = cuts + [len(text)]
    out = []
    begin = 0
    while begin < len(text):
        for end in reversed([e for e in ends if e > begin]):
            if _compiles(text[begin:end].strip()):
                break
        else:
            bad = text[begin:].strip()
            raise UsageError(f"%{magic}: {clip_text(bad, 60)!r} is not a Python expression; "
                             "check the syntax (quote nothing: expressions are read as written)")
        out.append(text[begin:end].strip())
        begin = end
        while begin < len(text) and text[begin].isspace():
            begin += 1
    return out


def _evaluate(shell, expr: str, local_ns, magic: str):
    """``expr`` evaluated in the user's namespace; mistakes become one-line UsageErrors."""
    __tracebackhide__ = True
    ns = local_ns if local_ns is not None else shell.user_ns
    try:
        with shell.builtin_trap:
            return eval(expr, shell.user_global_ns, ns)  # noqa: S307 - the user's own expression
    except NameError as exc:
        raise UsageError(f"%{magic}: {exc} — define it first or check the spelling") from None
    except SyntaxError as exc:
        raise UsageError(f"%{magic}: {clip_text(expr, 60)!r} is not a Python expression "
                         f"({exc.msg}); check the syntax") from None
    except Exception as exc:  # noqa: BLE001 - the user's expression failed: say so in one line
        raise UsageError(f"%{magic}: evaluating {clip_text(expr, 60)!r} raised "
                         f"{type(exc).__name__}: {clip_text(str(exc), 120)}") from None


def _parse_one(shell, parser, line: str, local_ns, magic: str, positive: tuple = ()):
    """Parse the line of a magic that takes one expression and evaluate it: ``(args,
    expr, obj)``, or None when only the usage was printed (``-h``). ``positive`` lists
    integer options (``"--depth"``) that must be > 0."""
    parsed = _parse(parser, line, magic, exprs="one")
    if parsed is None:
        return None
    args, (expr,) = parsed
    for option in positive:
        _positive(getattr(args, option.lstrip("-").replace("-", "_")), option, magic)
    return args, expr, _evaluate(shell, expr, local_ns, magic)


def _positive(value, name: str, magic: str, minimum: int = 1):
    if value is not None and value < minimum:
        raise UsageError(f"%{magic}: {name} {value} is too small; use an int >= {minimum}")


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
        return _Note(f"(size tree widget unavailable: {exc})")


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


def _largest_cycles(model, max_nodes: int):
    """``model`` cut to at most ``max_nodes`` nodes for drawing: whole connected components
    (cycles with what hangs on them), largest total size first (at least one, cut to
    ``max_nodes``); ``model`` itself when it is small enough. A graph of many thousand
    nodes is neither readable nor cheap to lay out."""
    from .core.refgraph import GraphModel, weak_components

    if len(model.nodes) <= max_nodes:
        return model
    size = {n.id: n.size for n in model.nodes}
    comps = weak_components([n.id for n in model.nodes], [(e.src, e.dst) for e in model.edges])
    comps.sort(key=lambda c: -sum(size[i] for i in c))  # stable: first found first among ties
    keep: set[int] = set()
    for comp in comps:
        if keep and len(keep) + len(comp) > max_nodes:
            break
        keep.update(comp[:max_nodes - len(keep)])
    return GraphModel([n for n in model.nodes if n.id in keep],
                      [e for e in model.edges if e.src in keep and e.dst in keep],
                      roots=model.roots & keep, truncated=True, direction=model.direction)


# ---------------------------------------------------------------------------
# running a cell under measurement (%%memdiff)
# ---------------------------------------------------------------------------

def _cell_number(shell) -> int:
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


def _cache_cell(shell, cell: str, number: int) -> tuple[str, str]:
    """``(transformed source, file name)`` of ``cell``, cached as IPython caches cells.

    The file name is ``<ipython-input-N-...>`` (or the kernel's ``/tmp/ipykernel_.../...py``);
    tracebacks and tracemalloc show the cell's lines through it.
    """
    transformed = shell.transform_cell(cell)
    return transformed, shell.compile.cache(transformed, number, raw_code=cell)


def _compile_cell(shell, transformed: str, filename: str):
    """``(body code, code of the last expression or None)``, compiled as IPython would."""
    tree = shell.compile.ast_parse(transformed, filename=filename)
    tree = shell.transform_ast(tree)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr) and \
            not DisplayHook.semicolon_at_end_of_expression(transformed):
        last = shell.compile(ast.Expression(tree.body.pop().value), filename, "eval")
    return shell.compile(tree, filename, "exec"), last


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
    transformed, filename = _cache_cell(shell, cell, _cell_number(shell))
    pattern = glob.escape(filename)
    if trace_frames:
        fnmatch.fnmatch(filename, pattern)  # fnmatch caches the compiled pattern: not in the diff
    nums[0] = _rss()  # (first call imports and warms up what reading RSS needs)
    tracker = SummaryTracker()
    nums[0] = _rss()  # after the tracker's first heap walk, right before the cell
    tracer = None
    try:
        code, last = _compile_cell(shell, transformed, filename)
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
# %classtrack's subcommands
# ---------------------------------------------------------------------------

_CT_PARSERS: dict[str, MagicArgumentParser] = {}


def _ct_parsers() -> dict[str, MagicArgumentParser]:
    """The parsers of the ``%classtrack`` subcommands (built once; each ends with ``-q``)."""
    if _CT_PARSERS:
        return _CT_PARSERS
    parsers: dict[str, MagicArgumentParser] = {}

    def sub(name: str, description: str) -> MagicArgumentParser:
        parser = parsers[name] = MagicArgumentParser(prog=f"classtrack {name}", description=description)
        return parser

    p = sub("track", "Track every instance of the classes created from now on.")
    p.add_argument("classes", nargs="+", metavar="CLASS", help="class names (expressions)")
    p.add_argument("--resolution", type=int, default=0, metavar="N",
                   help="levels of referents sized per instance (default 0)")
    p.add_argument("--trace", action="store_true", help="record where each instance was created")
    p.add_argument("--keep", action="store_true", help="keep instances alive (strong references)")
    p = sub("snapshot", "Size every tracked instance now.")
    p.add_argument("description", nargs="*", metavar="DESCRIPTION", help="a label for the snapshot")
    p = sub("stats", "Memory per snapshot and class (table and chart).")
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
    sub("stop", "Stop tracking: restore the classes, stop periodic snapshots, forget all.")
    for parser in parsers.values():
        parser.add_argument("-q", "--quiet", action="store_true", help="display nothing")
    _CT_PARSERS.update(parsers)
    return _CT_PARSERS


# ---------------------------------------------------------------------------
# the magics
# ---------------------------------------------------------------------------

@magics_class
class PymplerMagics(Magics):
    """pympler_nb's magics; one :class:`~pympler_nb.core.classtracker.ClassTracker` per shell."""

    def __init__(self, shell=None, **kwargs):
        super().__init__(shell=shell, **kwargs)
        self.class_tracker = None

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
        parsed = _parse(self.memsize.parser, line, "memsize", exprs="many")
        if parsed is None:
            return None
        args, exprs = parsed
        _positive(args.detail, "DETAIL", "memsize", 0)
        _positive(args.limit, "LIMIT", "memsize", 0)
        _positive(args.top, "--top", "memsize", 1)
        if args.all and args.top is not None:
            raise UsageError(f"%memsize: --all lists every child and --top {args.top} the largest "
                             f"{args.top}; use one of them")
        top = None if args.all else (DEFAULT_TOP if args.top is None else args.top)
        objs = [_evaluate(self.shell, e, local_ns, "memsize") for e in exprs]
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
            _show(_Note(text), _size_tree_view(objs, exprs, "", opts, sized=trees))
        return df

    # -- %%memdiff ----------------------------------------------------------------
    @magic_arguments()
    @argument("-q", "--quiet", action="store_true", help="display nothing; just return the table")
    @argument("--top", type=int, default=10, metavar="N",
              help="types drawn by name (the rest is 'other') and lines listed by --trace (default 10)")
    @argument("--trace", nargs="?", type=int, const=1, default=None, metavar="FRAMES",
              help="also trace allocations (tracemalloc, FRAMES frames deep, default 1) "
                   "and list the cell's lines that allocated most, and its peak")
    @no_var_expand
    @output_can_be_silenced
    @cell_magic
    def memdiff(self, line="", cell=""):
        """Run the cell and show which objects it added or freed, by type.

        Returns ``type, count_diff, size_diff`` (largest absolute change first), without
        the tool's or IPython's own bookkeeping; displays a chart and the change of the
        process's RSS. If the cell raises, the diff is shown and the exception propagates.
        """
        __tracebackhide__ = True
        parsed = _parse(self.memdiff.parser, line, "%memdiff")
        if parsed is None:
            return None
        args = parsed[0]
        _positive(args.top, "--top", "%memdiff")
        _positive(args.trace, "--trace FRAMES", "%memdiff")
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
            out = [_Note(text)]
            if len(df):
                out.append(charts.diff_chart(df, top=args.top))
            if m.trace_lines is not None:
                out.append(_Note(f"tracemalloc ({m.frames} frame(s) deep): peak during the cell "
                                 f"{format_size(m.peak)}; lines of the cell still holding memory:"))
                out.append(frames.cell_lines_frame(m.trace_lines))
            if m.error is not None:
                out.insert(1, df)  # no return value will show it
            # the returned table is the cell's value: the chart's text fallback need not repeat it
            _show(*out, tables=m.error is not None)
        if m.error is not None:
            raise m.error
        return df

    # -- %classtrack ---------------------------------------------------------------
    _CT_USAGE = ("%classtrack {track CLASS [CLASS ...] [--resolution N] [--trace] [--keep] | "
                 "snapshot [DESCRIPTION] | stats | objects [CLASS] | periodic INTERVAL|off | "
                 "dump FILE | load FILE | stop} [-q]")

    @no_var_expand
    @needs_local_scope
    @output_can_be_silenced
    @line_magic
    def classtrack(self, line="", local_ns=None):
        """Track instances of classes and their sizes over snapshots (one tracker per shell).

        Usage: %classtrack {track CLASS [CLASS ...] [--resolution N] [--trace] [--keep] |
        snapshot [DESCRIPTION] | stats | objects [CLASS] | periodic INTERVAL|off |
        dump FILE | load FILE | stop} [-q]

        ``%classtrack SUBCOMMAND -h`` describes a subcommand. Each returns the
        per snapshot × class table (``objects``: one row per instance). The FILE of
        ``dump`` and ``load`` may be ``$var``, ``{expression}`` (expanded as IPython
        expands magic lines) or a quoted path with spaces (``"my stats.json"``).
        """
        __tracebackhide__ = True
        line_silenced = line.strip().endswith(";")
        line = line.strip().removesuffix(";").strip()
        sub, _, rest = line.partition(" ")
        parsers = _ct_parsers()
        if sub in ("", "-h", "--help"):
            if sub:
                print(self._ct_help())
                return None
            raise UsageError(f"%classtrack: give a subcommand ({', '.join(parsers)}); usage: {self._CT_USAGE}")
        if sub not in parsers:
            raise UsageError(f"%classtrack: unknown subcommand {sub!r}; use one of {', '.join(parsers)} "
                             f"(%classtrack -h describes them)")
        takes_file = sub in ("dump", "load")
        parsed = _parse(parsers[sub], rest, f"classtrack {sub}",
                        split=_path_words if takes_file else _tokens)
        if parsed is None:
            return None
        args = parsed[0]
        if takes_file:  # FILE may be $var, {expr} or "a path with spaces"
            args.file = _expand_path(self.shell, args.file, local_ns, f"classtrack {sub}")
        handler = getattr(self, f"_ct_{sub}")
        df, shown = handler(args, local_ns)
        if sub in self._CT_ACTIONS:  # the value displays as the note: shown once, one line
            (note,) = shown
            return _noted(df, note.text)
        if not args.quiet and shown:
            # without ';' the returned table is shown too: the chart's fallback need not repeat it
            _show(*shown, tables=line_silenced)
        return df

    #: subcommands whose value displays as their one-line note
    _CT_ACTIONS = ("track", "snapshot", "periodic", "dump", "stop")

    def _ct_help(self) -> str:
        lines = [f"Usage: {self._CT_USAGE}", ""]
        for p in _ct_parsers().values():
            lines.append(f"  {_usage(p):<60} {p.description}")
        return "\n".join(lines)

    def _tracker(self):
        from .core.classtracker import ClassTracker

        if self.class_tracker is None:
            self.class_tracker = ClassTracker()
        return self.class_tracker

    def _ct_frame(self, source=None):
        return frames.classtracker_frame(source if source is not None else self._tracker())

    def _ct_track(self, args, local_ns):
        __tracebackhide__ = True
        _positive(args.resolution, "--resolution", "classtrack track", 0)
        classes = [_evaluate(self.shell, name, local_ns, "classtrack track") for name in args.classes]
        for name, cls in zip(args.classes, classes):
            if not isinstance(cls, type):
                raise UsageError(f"%classtrack track: {name} is a {type(cls).__name__}, not a class; "
                                 f"give a class such as {type(cls).__name__}")
        tracker = self._tracker()
        for name, cls in zip(args.classes, classes):
            try:
                tracker.track_class(cls, resolution_level=args.resolution, keep=args.keep, trace=args.trace)
            except (TypeError, ValueError) as exc:
                raise UsageError(f"%classtrack track: {name}: {exc}") from None
        note = (f"tracking {', '.join(args.classes)} (resolution {args.resolution}); take snapshots with "
                f"%classtrack snapshot [DESCRIPTION]")
        return self._ct_frame(), [_Note(note)]

    def _ct_snapshot(self, args, local_ns):
        tracker = self._tracker()
        tracker.create_snapshot(" ".join(args.description))
        df = self._ct_frame()
        last = df[df["snapshot"] == df["snapshot"].max()] if len(df) else df
        note = (f"snapshot {len(tracker.snapshots) - 1}: {int(last['active'].sum())} tracked instances, "
                f"{format_size(int(last['size'].sum()))}")
        return df, [_Note(note)]

    def _ct_stats(self, args, local_ns, source=None):
        _positive(args.top, "--top", "classtrack stats")
        df = self._ct_frame(source)
        if not len(df):
            return df, [_Note("no snapshots yet: %classtrack track CLASS, then %classtrack snapshot")]
        return df, [charts.classtracker_memory_chart(df, top=args.top)]

    def _ct_objects(self, args, local_ns):
        df = frames.tracked_objects_frame(self._tracker())
        if args.cls:
            known = sorted(set(df["class"]))
            name = args.cls
            if name not in known:  # a class given as an expression
                cls = _evaluate(self.shell, name, local_ns, "classtrack objects")
                name = f"{getattr(cls, '__module__', '')}.{getattr(cls, '__name__', cls)}"
            if name not in known:
                raise UsageError(f"%classtrack objects: {args.cls} is not tracked; tracked: "
                                 f"{', '.join(known) or 'none'} (%classtrack track {args.cls})")
            df = df[df["class"] == name].reset_index(drop=True)
        if not len(df):
            return df, [_Note("no tracked instances yet")]
        return df, [charts.lifetimes_chart(df)]

    def _ct_periodic(self, args, local_ns):
        tracker = self._tracker()
        if args.interval.lower() == "off":
            tracker.stop_periodic_snapshots()
            return self._ct_frame(), [_Note("periodic snapshots stopped")]
        try:
            interval = float(args.interval)
        except ValueError:
            interval = -1.0
        if not interval > 0:
            raise UsageError(f"%classtrack periodic: interval {args.interval!r} is not a number of "
                             "seconds > 0; use e.g. '%classtrack periodic 1.5' or 'off'")
        tracker.start_periodic_snapshots(interval)
        return self._ct_frame(), [_Note(f"a snapshot every {interval:g} s; stop with %classtrack periodic off")]

    def _ct_dump(self, args, local_ns):
        tracker = self._tracker()
        try:
            tracker.stats.dump_stats(args.file)
        except OSError as exc:
            raise UsageError(f"%classtrack dump: cannot write {args.file!r} ({exc.strerror or exc}); "
                             "check the path") from None
        return self._ct_frame(), [_Note(f"statistics saved to {args.file} "
                                        f"({len(tracker.snapshots)} snapshots); %classtrack load reads them")]

    def _ct_load(self, args, local_ns):
        from .core.classtracker_stats import Stats

        try:
            stats = Stats(filename=args.file)
        except OSError as exc:  # missing, a directory, unreadable: the message names the file
            raise UsageError(f"%classtrack load: {exc.strerror or exc}; check the path") from None
        except ValueError as exc:  # too large, not a stats file, malformed: names file and place
            raise UsageError(f"%classtrack load: {clip_text(str(exc), 300)}") from None
        return self._ct_stats(args, local_ns, source=stats)

    def _ct_stop(self, args, local_ns):
        tracker = self.class_tracker
        if tracker is not None:
            tracker.stop_periodic_snapshots()
            tracker.detach_all()
            tracker.clear()
        df = self._ct_frame()
        self.class_tracker = None
        return df, [_Note("class tracking stopped; classes restored, tracked data dropped")]

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

        parsed = _parse_one(self.shell, self.refgraph.parser, line, local_ns, "refgraph",
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
            _show(_graph_view(graph))
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

        parsed = _parse_one(self.shell, self.whyalive.parser, line, local_ns, "whyalive",
                            ("--max-chains",))
        if parsed is None:
            return None
        args, expr, obj = parsed
        del parsed
        if obj is None or obj is True or obj is False or obj is Ellipsis or obj is NotImplemented \
                or id(obj) in _asizeof._STATIC_IDS:
            raise UsageError(f"%whyalive: {clip_text(expr, 40)} is {clip_text(repr(obj), 20)}, "
                             "which the interpreter itself keeps alive (nothing to release); "
                             "pass the object you mean (a dead weakref gives None)")
        # this frame's `obj` is the one reference of ours; pympler_nb's frames are ignored
        result = why_alive(obj, max_chains=args.max_chains, name=expr, _own_refs=1)
        del obj
        df = frames.chains_frame(result)
        if not args.quiet:
            _show(_Note(str(result)), *([_graph_view(result)] if result.chains else []))
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
        from .core.garbagegraph import GarbageGraph

        parsed = _parse(self.garbage.parser, line, "garbage")
        if parsed is None:
            return None
        args = parsed[0]
        _positive(args.max_nodes, "--max-nodes", "garbage")
        before = len(gc.garbage)
        graph = GarbageGraph(reduce=True)
        model = graph.model
        found = len(gc.garbage) - before
        graph = None
        if not args.keep:
            del gc.garbage[before:]
            gc.collect()
        df = frames.graph_nodes_frame(model)
        if not args.quiet:
            size = int(df["size"].sum()) if len(df) else 0
            text = (f"{found} unreachable objects; {len(df)} on reference cycles ({format_size(size)})"
                    + ("; kept in gc.garbage" if args.keep else "; released"))
            drawn = _largest_cycles(model, args.max_nodes)
            if len(drawn) < len(model):
                text += (f"; drawing the largest cycles, {len(drawn)} of {len(model)} objects "
                         f"(--max-nodes {args.max_nodes}; the table lists them all)")
            _show(_Note(text), *([_graph_view(drawn)] if len(df) else []))
        return df


# ---------------------------------------------------------------------------
# extension entry points (pympler_nb.load_ipython_extension calls these)
# ---------------------------------------------------------------------------

# magic_arguments names every parser after a line magic: %%memdiff is a cell magic
PymplerMagics.memdiff.parser.prog = "%memdiff"  # shown with a "%" prefix


def _memdiff_help_alone(lines: list[str]) -> list[str]:
    """Input transformer: ``%%memdiff -h`` in a cell of its own prints the usage.

    IPython refuses a cell magic whose body is empty ("the cell body is empty") before
    the magic runs; a cell that only asks ``%%memdiff`` for help gets a ``pass`` body.
    """
    if lines and _MEMDIFF_HELP.match(lines[0]) and not "".join(lines[1:]).strip():
        return [lines[0].rstrip("\n") + "\n", "pass\n"]
    return lines


_MEMDIFF_HELP = re.compile(r"\s*%%memdiff\b.*(?<!\S)(-h|--help)(?!\S)")


def load_ipython_extension(ipython) -> None:
    """Register :class:`PymplerMagics` (and the heap magics) with ``ipython``."""
    from . import magics_heap

    ipython.register_magics(PymplerMagics)
    if _memdiff_help_alone not in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.append(_memdiff_help_alone)
    magics_heap.load_ipython_extension(ipython)
    # the notebook's own alt.Chart cells draw offline too (no Vega from a CDN)
    global _previous_renderer
    if charts.alt.renderers.active != charts.RENDERER:
        _previous_renderer = charts.alt.renderers.active
    charts.enable_offline_renderer()


_previous_renderer: str | None = None


def unload_ipython_extension(ipython) -> None:
    """Stop class tracking and remove the magics from ``ipython``."""
    from . import magics_heap

    magics_heap.unload_ipython_extension(ipython)
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
