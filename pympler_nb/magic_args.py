"""What the magics share: parsing a magic's line, evaluating its expressions, checking
its options, and the small display objects it shows.

Every magic (:mod:`pympler_nb.magics`, :mod:`pympler_nb.magics_heap`) parses its line with
:func:`parse` or :func:`parse_one` (``-h`` prints the usage; a mistake raises a one-line
:class:`~IPython.core.error.UsageError` naming the value and the fix), checks its integer
options with :func:`positive`, and displays through :func:`show` and :class:`Note`.
"""

from __future__ import annotations

import argparse
import html
import io
import shlex
import tokenize

import pandas as pd
from IPython.core.error import UsageError
from IPython.display import display

from . import charts
from .core.format import clip_text, text_safe
from .core.values import check_int

__all__ = ["Note", "NotedFrame", "noted", "show", "usage_line", "help_text", "split_words", "path_words",
           "expand_path", "unquote_path", "parse", "split_expressions", "evaluate", "parse_one",
           "positive", "result_is_output"]


# ---------------------------------------------------------------------------
# small display objects (each with a plain-text form)
# ---------------------------------------------------------------------------

class Note:
    """One or a few lines of text, shown as text and as HTML."""

    def __init__(self, text: str):
        self.text = text_safe(text)  # it leaves Python as UTF-8 (lone surrogates escaped)

    def __repr__(self):
        return self.text

    def _repr_mimebundle_(self, include=None, exclude=None):
        body = "<br>".join(html.escape(line) for line in self.text.splitlines())
        return {"text/plain": self.text,
                "text/html": f"<div class='pympler-nb-note tex2jax_ignore'><code>{body}</code></div>"}


class NotedFrame(pd.DataFrame):
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
        return Note(repr(self))._repr_mimebundle_()["text/html"]


def noted(df: pd.DataFrame, note: str) -> NotedFrame:
    out = NotedFrame(df)
    out.attrs.update(df.attrs)
    out.note = note
    return out


def show(*objs, tables: bool = True) -> None:
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


def usage_line(parser: argparse.ArgumentParser) -> str:
    """The usage of ``parser`` as one line: ``%memsize [-d DETAIL] ... EXPR [EXPR ...]``."""
    text = " ".join(parser.format_usage().split())
    text = text.removeprefix(":: ")
    metavar = _remainder_metavar(parser)
    if metavar and text.endswith(" ..."):  # argparse writes '...' for the expressions
        text = text[:-3] + metavar
    return text


class _LazyUsage:
    """``str()`` is :func:`usage_line` of the parser (argparse's formatter leaves reference
    cycles behind, which ``%garbage`` would report)."""

    def __init__(self, parser):
        self.parser = parser

    def __str__(self):
        return usage_line(self.parser)

    def __format__(self, spec):
        return format(str(self), spec)


def help_text(parser: argparse.ArgumentParser) -> str:
    text = parser.format_help()
    head, _, body = text.partition("\n\n")
    if head.lstrip(":").strip():  # no usage block first: leave it
        return text
    body = body.partition("\n\n")[2]
    return "Usage: " + usage_line(parser) + "\n\n" + body


def split_words(line: str, magic: str, usage: str) -> list[tuple[str, int]]:
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


def path_words(line: str, magic: str, usage: str) -> list[tuple[str, int]]:
    """Like :func:`split_words`, but a ``{expression}`` is one word even with spaces inside
    (``{os.path.join(d, 'x.json')}``); quotes are kept (see :func:`expand_path`)."""
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


def expand_path(shell, text: str, local_ns, magic: str) -> str:
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
    return unquote_path(text, magic)


def unquote_path(text: str, magic: str) -> str:
    """A FILE argument without one pair of surrounding quotes; never empty."""
    __tracebackhide__ = True
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    if not text:
        raise UsageError(f"%{magic}: the file name is empty; give a path such as stats.json.gz")
    return text


def parse(parser: argparse.ArgumentParser, line: str, magic: str, exprs: str | None = None,
           split=split_words):
    """Parse ``line``; return ``(args, expressions)`` or ``None`` after printing help.

    ``exprs``: ``None`` (no expressions), ``"one"`` (the rest of the line is one
    expression) or ``"many"`` (the rest is split into expressions).  Expressions start
    at the first word that is not an option; their text is taken from ``line`` as is.
    ``split`` cuts the line into words (:func:`split_words`, or :func:`path_words`).
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
            print(help_text(parser))
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
    return args, split_expressions(text, magic)


def _compiles(text: str) -> bool:
    try:
        compile(text, "<expr>", "eval", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def split_expressions(text: str, magic: str) -> list[str]:
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


def evaluate(shell, expr: str, local_ns, magic: str):
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


def parse_one(shell, parser, line: str, local_ns, magic: str, int_options: tuple = ()):
    """Parse the line of a magic that takes one expression and evaluate it: ``(args,
    expr, obj)``, or None when only the usage was printed (``-h``). ``int_options`` lists
    integer options (``"--depth"``) that must be > 0."""
    parsed = parse(parser, line, magic, exprs="one")
    if parsed is None:
        return None
    args, (expr,) = parsed
    for option in int_options:
        positive(getattr(args, option.lstrip("-").replace("-", "_")), option, magic)
    return args, expr, evaluate(shell, expr, local_ns, magic)


def result_is_output(shell, line: str) -> bool:
    """Whether the value the running line magic returns becomes the cell's output, stored in
    IPython's output cache: then ``_`` becomes that value and the previous ``_`` moves to
    ``__`` (``%whyalive`` names the underscores as they will read then).

    True when the magic is the cell's last expression, compiled by IPython to display its
    value (its code displays after the call: ``PRINT_EXPR``, ``CALL_INTRINSIC_1
    INTRINSIC_PRINT`` from 3.12), not silenced by a trailing ``;``, and IPython updates
    ``_``/``__``/``___`` (an output cache, ``_`` not assigned by the user)."""
    import builtins
    import dis
    import sys

    from IPython.core.displayhook import DisplayHook

    if DisplayHook.semicolon_at_end_of_expression(line):
        return False
    hook = getattr(shell, "displayhook", None)
    ns = getattr(shell, "user_ns", None)
    hidden = getattr(shell, "user_ns_hidden", None)
    if hook is None or not getattr(hook, "cache_size", 0) or not isinstance(ns, dict) \
            or "_" in builtins.__dict__:
        return False
    for name in ("_", "__", "___"):  # IPython stops rotating them once the user assigns one
        if name not in ns:
            continue
        theirs = hidden.get(name, hook) if isinstance(hidden, dict) and name in hidden else \
            getattr(hook, name, hook)
        if theirs is not ns[name]:
            return False
    frame = sys._getframe(1)
    try:
        while frame is not None and frame.f_globals is not ns:
            frame = frame.f_back
        if frame is None:
            return False
        lasti = frame.f_lasti
        for ins in dis.get_instructions(frame.f_code):
            if ins.offset > lasti and (ins.opname == "PRINT_EXPR" or (
                    ins.opname == "CALL_INTRINSIC_1" and ins.arg == 1)):
                return True
        return False
    finally:
        frame = None


def positive(value, name: str, magic: str, minimum: int = 1):
    """``value`` checked as an int option (:func:`core.values.check_int`; None: not given),
    a ``UsageError`` naming the magic, the option, the value and the fix otherwise."""
    if value is None:
        return
    try:
        check_int(value, name, minimum)
    except ValueError as exc:
        raise UsageError(f"%{magic}: {name} {value} is too small: {exc}") from None
