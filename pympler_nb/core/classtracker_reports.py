"""The reports of Class Tracker statistics: text tables and one self-contained HTML page.

:class:`ConsoleStats` prints Pympler's tables; :class:`HtmlStats` writes one HTML file
with inline SVG charts (no network, no matplotlib, no JavaScript). Both are
:class:`~.classtracker_model.Stats` and read its data under its lock.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import os
import re
from typing import Any
from urllib.parse import quote

from ._format import axis_size, binary_ticks, clip_text, format_size, pp
from .asizeof import Asized
from .classtracker_model import Stats
from .classtracker_objects import Snapshot, TrackedObject
from .values import check_int

__all__ = ["ConsoleStats", "HtmlStats", "class_page_names", "ref_rows"]


def _cell(text: Any, width: int) -> str:
    """One table cell: newlines shown as ``|``, clipped to ``width`` characters."""
    return clip_text(str(text).replace("\r", "").replace("\n", "|"), width)


def _fmt_ts(t: float | None) -> str:
    """``hh:mm:ss.ss`` of a timestamp (``''`` for ``None``), as Pympler prints them."""
    if t is None:
        return ""
    return "%02d:%02d:%05.2f" % (int(t / 3600), int(t / 60 % 60), t % 60)



def _format_trace(trace: list) -> str:
    """Readable instantiation stack: the source line, then ``file:line in function``."""
    lines = []
    for fname, lineno, func, src, _ in trace:
        for line in src or ():
            lines.append("    " + str(line).strip() + "\n")
        lines.append("  %s:%4d in %s\n" % (fname, lineno, func))
    return "".join(lines)





# ---------------------------------------------------------------------------
def ref_rows(refs: tuple, total: int, minsize: int = 0, minpct: float = 0.1) -> list[tuple[int, Asized]]:
    """``(level, Asized)`` of the referents worth showing, depth first, largest first."""
    out = []
    if not total:
        return out
    stack = [(r, 1) for r in sorted(refs, key=lambda r: r.size)]
    while stack:
        ref, level = stack.pop()
        if ref.size > minsize and ref.size * 100.0 / total > minpct:
            out.append((level, ref))
            stack.extend((r, level + 1) for r in sorted(ref.refs, key=lambda r: r.size))
    return out


class ConsoleStats(Stats):
    """Text tables of the statistics, as Pympler prints them."""

    def _print_refs(self, refs: tuple, total: int, prefix: str = "    ", level: int = 1,
                    minsize: int = 0, minpct: float = 0.1) -> None:
        write = self.stream.write
        for lvl, ref in ref_rows(refs, total, minsize, minpct):
            pad = prefix + "  " * (lvl - 1)
            write("%-50s %-14s %3d%% [%d]\n" % (_cell(pad + str(ref.name), 50), pp(ref.size),
                                               int(ref.size * 100.0 / total), lvl + level - 1))

    def print_object(self, tobj: TrackedObject) -> None:
        """Print one tracked object: identity, trace, its sizes over time, its death."""
        write = self.stream.write
        if tobj.death is not None:
            write("%-32s ( free )   %-35s\n" % (_cell(tobj.name, 32), _cell(tobj.repr, 35)))
        else:
            write("%-32s 0x%08x %-35s\n" % (_cell(tobj.name, 32), tobj.id, _cell(tobj.repr, 35)))
        if tobj.trace:
            write(_format_trace(tobj.trace))
        for timestamp, size in tobj.snapshots:
            write("  %-30s %s\n" % (_fmt_ts(timestamp), pp(size.size)))
            self._print_refs(size.refs, size.size)
        if tobj.death is not None:
            write("  %-30s finalize\n" % (_fmt_ts(tobj.death),))

    def print_stats(self, clsname: str | None = None, limit: float = 1.0) -> None:
        """Print the tracked objects in :attr:`sorted` order (default: :meth:`sort_stats`).

        Parameters
        ----------
        clsname : str, optional
            Only objects whose tracked name contains this text.
        limit : int or float
            A float below 1 prints that fraction of all tracked objects (at least one),
            a number >= 1 that many objects. Filtering comes first.
        """
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit > 0:
            raise ValueError(f"limit={limit!r}: use a count >= 1 or a fraction between 0 and 1")
        if self.tracker is not None:
            self.tracker.stop_periodic_snapshots()
        if not self.sorted:
            self.sort_stats()
        chosen = self.sorted
        if clsname:
            chosen = [t for t in chosen if clsname in t.classname]
        if limit < 1.0:
            limit = max(1, int(len(self.sorted) * limit))
        with self._guard():
            for tobj in chosen[: int(limit)]:
                self.print_object(tobj)

    def print_summary(self) -> None:
        """Print per snapshot and tracked class: live instances, bytes, average, share."""
        write = self.stream.write
        with self._guard():
            self.annotate()
            classlist = self.tracked_classes
            write("---- SUMMARY " + "-" * 66 + "\n")
            for snap in self.snapshots:
                classes = snap.classes
                write("%-35s %11s %12s %12s %5s\n" % (_cell(snap.desc or snap.label, 35), "active",
                                                       pp(snap.total), "average", "pct"))
                for classname in classlist:
                    info = classes[classname]
                    write("  %-33s %11d %12s %12s %4d%%\n" % (_cell(classname, 33), info["active"],
                                                            pp(info["sum"]), pp(info["avg"]), info["pct"]))
            write("-" * 79 + "\n")


# ---------------------------------------------------------------------------
# HTML report: tables and inline SVG, nothing fetched
_PALETTE = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2",
            "#ff9da6", "#9d755d", "#bab0ac")
_OTHER_COLOR = "#c8c8c8"

_CSS = """
body.pympler-nb-report { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em;
  color: #222; max-width: 1100px; }
.pympler-nb-report h1 { font-size: 1.6em; } .pympler-nb-report h2 { margin-top: 1.6em; }
.pympler-nb-report table { border-collapse: collapse; margin: .5em 0 1em 0; }
.pympler-nb-report th, .pympler-nb-report td { padding: 2px 8px; border-bottom: 1px solid #ddd;
  text-align: left; vertical-align: top; }
.pympler-nb-report td.num, .pympler-nb-report th.num { text-align: right; font-variant-numeric: tabular-nums; }
.pympler-nb-report code, .pympler-nb-report pre { font-family: ui-monospace, Menlo, Consolas, monospace;
  font-size: .9em; }
.pympler-nb-report pre { background: #f6f6f6; padding: .4em; overflow-x: auto; }
.pympler-nb-report .note { color: #666; }
.pympler-nb-report svg text { font-family: system-ui, sans-serif; font-size: 11px; fill: #333; }
.pympler-nb-report svg { max-width: 100%; height: auto; }
.pympler-nb-report td.num, .pympler-nb-report th.num { white-space: nowrap; }
"""


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5):
        top = m * 10 ** exp
        if top >= value:
            return top
    return 10 ** (exp + 1)


#: an upper bound of the width of one character of the charts' 11px text, in px
_CHAR_W = 7.0


def _text_w(text: str) -> float:
    """The width a label needs (an upper bound): the charts size themselves by their
    longest label, so that no label is clipped."""
    return len(text) * _CHAR_W


def _svg_legend(names: list[str], colors: list[str], x: float, y: float) -> list[str]:
    out = []
    for i, (name, color) in enumerate(zip(names, colors)):
        yy = y + i * 16
        out.append(f'<rect x="{x:.1f}" y="{yy}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{x + 14:.1f}" y="{yy + 9}">{_esc(name)}</text>')
    return out


def _legend_w(names: list[str]) -> float:
    return 40 + max((_text_w(n) for n in names), default=0)


def _svg_frame(title: str, width: float, height: float, left: float, top: float, plot_w: float, plot_h: float,
               ticks: list[float], tick_text) -> list[str]:
    """The start of a chart's SVG: its title and a horizontal grid line per tick (the
    last tick is the top of the plot), labelled by ``tick_text(value)``."""
    width, height = math.ceil(width), math.ceil(height)
    out = [f'<svg role="img" aria-label="{_esc(title)}" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">', f'<title>{_esc(title)}</title>',
           f'<text x="{left:.1f}" y="18" style="font-size:13px;font-weight:600">{_esc(title)}</text>']
    ymax = ticks[-1] or 1
    for v in ticks:
        y = top + plot_h - plot_h * v / ymax
        out.append(f'<line x1="{left:.1f}" x2="{left + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">{_esc(tick_text(v))}</text>')
    return out


def _count_ticks(vmax: float) -> list[float]:
    top = _nice_max(vmax)
    return [top * i / 4 for i in range(5)]


def _svg_stacked_bars(labels: list[str], series: list[tuple[str, list[int]]], title: str) -> str:
    """Stacked columns: one per snapshot, one colour per series (bytes, binary ticks).

    The snapshot labels are slanted and whole; the chart grows to fit the longest label
    and the longest legend entry."""
    n = max(len(labels), 1)
    every = 1 if n <= 20 else math.ceil(n / 20)
    shown = [lab for i, lab in enumerate(labels) if i % every == 0]
    longest = max((_text_w(lab) for lab in shown), default=0)
    plot_w, plot_h, top = 570, 230, 30
    slot = plot_w / n
    # a label slanted by 30 degrees reaches cos(30) of its width to the left, half of it down
    left = max(70.0, longest * 0.87 - slot / 2 + 10)
    bottom = 30 + longest * 0.5
    right = _legend_w([name for name, _ in series])
    width, height = left + plot_w + right, top + plot_h + bottom
    totals = [sum(vals[i] for _, vals in series) for i in range(len(labels))]
    ticks = binary_ticks([0, max(totals, default=0)], target=4)
    ymax = ticks[-1] or 1
    colors = [(_OTHER_COLOR if name == "other" and j == len(series) - 1 else _PALETTE[j % len(_PALETTE)])
              for j, (name, _) in enumerate(series)]
    out = _svg_frame(title, width, height, left, top, plot_w, plot_h, ticks, axis_size)
    bar = max(1.0, min(60.0, slot * 0.7))
    for i, label in enumerate(labels):
        x = left + slot * i + (slot - bar) / 2
        base = 0.0
        for (name, vals), color in zip(series, colors):
            v = vals[i]
            if v <= 0:
                continue
            h = plot_h * v / ymax
            y = top + plot_h - plot_h * base / ymax - h
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{color}">'
                       f'<title>{_esc(label)} - {_esc(name)}: {_esc(format_size(v))}</title></rect>')
            base += v
        if i % every == 0:
            cx = left + slot * i + slot / 2
            out.append(f'<text x="{cx:.1f}" y="{top + plot_h + 14}" text-anchor="end" '
                       f'transform="rotate(-30 {cx:.1f} {top + plot_h + 14})">{_esc(label)}</text>')
    out.append(f'<line x1="{left:.1f}" x2="{left:.1f}" y1="{top}" y2="{top + plot_h}" stroke="#888"/>')
    out.extend(_svg_legend([name for name, _ in series], colors, left + plot_w + 20, top))
    out.append("</svg>")
    return "\n".join(out)


def _svg_share(rows: list[tuple[str, int, int]], title: str) -> str:
    """One bar per snapshot: the process total split into tracked and untracked ("other")
    bytes, each part labelled with its size and share."""
    left = 20 + max((_text_w(label) for label, _, _ in rows), default=0)
    plot_w, row_h, top = 560, 22, 44
    width = left + plot_w + 20
    height = top + row_h * max(len(rows), 1) + 10
    out = [f'<svg role="img" aria-label="{_esc(title)}" width="{math.ceil(width)}" height="{height}" '
           f'viewBox="0 0 {math.ceil(width)} {height}">', f'<title>{_esc(title)}</title>',
           f'<text x="10" y="18" style="font-size:13px;font-weight:600">{_esc(title)}</text>']
    for j, (word, color) in enumerate((("tracked", _PALETTE[0]), ("untracked (other)", _OTHER_COLOR))):
        x = left + 120 * j
        out.append(f'<rect x="{x:.1f}" y="26" width="10" height="10" fill="{color}"/>'
                   f'<text x="{x + 14:.1f}" y="35">{word}</text>')
    for i, (label, total, tracked) in enumerate(rows):
        y = top + i * row_h
        untracked = max(total - tracked, 0)
        out.append(f'<text x="{left - 6:.1f}" y="{y + 14}" text-anchor="end">{_esc(label)}</text>')
        if total <= 0:
            out.append(f'<text x="{left:.1f}" y="{y + 14}">process total not known</text>')
            continue
        tw = plot_w * min(tracked, total) / total
        pct = 100.0 * tracked / total
        out.append(f'<rect x="{left:.1f}" y="{y + 3}" width="{tw:.1f}" height="{row_h - 6}" fill="{_PALETTE[0]}">'
                   f'<title>{_esc(label)} - tracked: {_esc(format_size(tracked))} ({pct:.2f}%)</title></rect>')
        out.append(f'<rect x="{left + tw:.1f}" y="{y + 3}" width="{plot_w - tw:.1f}" height="{row_h - 6}" '
                   f'fill="{_OTHER_COLOR}"><title>{_esc(label)} - untracked (other): '
                   f'{_esc(format_size(untracked))} ({100 - pct:.2f}%)</title></rect>')
        out.append(f'<text x="{left + plot_w - 4:.1f}" y="{y + 14}" text-anchor="end">'
                   f'{_esc(format_size(total))} total; tracked {_esc(format_size(tracked))} ({pct:.2f}%), '
                   f'untracked {_esc(format_size(untracked))}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _svg_lines(series: list[tuple[str, list[tuple[float, float]]]], title: str, y_title: str) -> str:
    """Step lines over time (e.g. live instances per class)."""
    left, top, bottom, plot_w, plot_h = 70, 30, 40, 570, 210
    right = _legend_w([name for name, _ in series])
    width, height = left + plot_w + right, top + plot_h + bottom
    xs = [x for _, pts in series for x, _ in pts]
    x0, x1 = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x1 <= x0:
        x1 = x0 + 1.0
    ticks = _count_ticks(max((y for _, pts in series for _, y in pts), default=0))
    ymax = ticks[-1]
    out = _svg_frame(title, width, height, left, top, plot_w, plot_h, ticks, lambda v: f"{v:g}")
    for i in range(5):
        t = x0 + (x1 - x0) * i / 4
        x = left + plot_w * i / 4
        out.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{t:.2f}s</text>')
    out.append(f'<text x="14" y="{top + plot_h / 2:.0f}" transform="rotate(-90 14 {top + plot_h / 2:.0f})" '
               f'text-anchor="middle">{_esc(y_title)}</text>')
    colors = [_PALETTE[j % len(_PALETTE)] for j in range(len(series))]
    for (name, pts), color in zip(series, colors):
        if not pts:
            continue
        coords = []
        prev_y = None
        for x, y in pts:
            px = left + plot_w * (x - x0) / (x1 - x0)
            py = top + plot_h - plot_h * y / ymax
            if prev_y is not None:
                coords.append(f"{px:.1f},{prev_y:.1f}")
            coords.append(f"{px:.1f},{py:.1f}")
            prev_y = py
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{" ".join(coords)}">'
                   f'<title>{_esc(name)}</title></polyline>')
    out.extend(_svg_legend([name for name, _ in series], colors, left + plot_w + 20, top))
    out.append("</svg>")
    return "\n".join(out)


def _svg_lifetimes(rows: list[tuple[str, float, float, bool]], t0: float, t1: float, title: str) -> str:
    """One horizontal bar per instance from birth to death (open end: still alive)."""
    left = max(120.0, 16 + max((_text_w(label) for label, _, _, _ in rows), default=0))
    right, top, row_h, plot_w = 20, 30, 14, 620
    width = math.ceil(left + plot_w + right)
    height = top + row_h * max(len(rows), 1) + 30
    if t1 <= t0:
        t1 = t0 + 1.0
    out = [f'<svg role="img" aria-label="{_esc(title)}" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">', f'<title>{_esc(title)}</title>',
           f'<text x="10" y="18" style="font-size:13px;font-weight:600">{_esc(title)}</text>']
    for j, (word, color) in enumerate((("alive", _PALETTE[0]), ("freed", _PALETTE[1]))):
        x = width - 160 + 80 * j
        out.append(f'<rect x="{x}" y="8" width="10" height="10" fill="{color}"/>'
                   f'<text x="{x + 14}" y="17">{word}</text>')
    for i, (label, birth, death, alive) in enumerate(rows):
        y = top + i * row_h
        xa = left + plot_w * (birth - t0) / (t1 - t0)
        xb = left + plot_w * (death - t0) / (t1 - t0)
        color = _PALETTE[0] if alive else _PALETTE[1]
        out.append(f'<text x="{left - 6:.1f}" y="{y + 10}" text-anchor="end">{_esc(label)}</text>')
        out.append(f'<rect x="{xa:.1f}" y="{y + 2}" width="{max(xb - xa, 1.0):.1f}" height="{row_h - 4}" '
                   f'fill="{color}"><title>{_esc(label)}: {birth:.3f}s - '
                   f'{"alive" if alive else f"{death:.3f}s"}</title></rect>')
    yb = top + row_h * max(len(rows), 1) + 14
    for i in range(5):
        t = t0 + (t1 - t0) * i / 4
        out.append(f'<text x="{left + plot_w * i / 4:.1f}" y="{yb}" text-anchor="middle">{t:.2f}s</text>')
    out.append("</svg>")
    return "\n".join(out)


def _decimate(points: list[tuple[float, int]], limit: int) -> list[tuple[float, int]]:
    """At most about ``limit`` points of a step series, keeping each bucket's peak."""
    if len(points) <= limit:
        return points
    t0, t1 = points[0][0], points[-1][0]
    span = (t1 - t0) or 1.0
    buckets: dict[int, tuple[float, int]] = {}
    for t, v in points:
        b = min(int((t - t0) / span * limit), limit - 1)
        cur = buckets.get(b)
        if cur is None or v > cur[1]:
            buckets[b] = (t, v)
    out = [buckets[b] for b in sorted(buckets)]
    if out[-1] != points[-1]:
        out.append(points[-1])
    return out


class HtmlStats(Stats):
    """The statistics as HTML: a self-contained index page (inline SVG charts, no
    scripts) and, as Pympler writes them, one page per tracked class in a folder next to
    it (``report.html`` + ``report_files/<Class>.html``)."""

    def create_html(self, fname: Any, title: str = "ClassTracker Statistics", *, top: int = 8,
                    max_instances: int = 100) -> None:
        """Write the report: the index page ``fname`` and the class pages in ``<base>_files/``.

        As in Pympler, ``<base>`` is ``fname`` without its extension, a class tracked
        as ``pkg.Node`` gets ``<base>_files/pkg_Node.html`` and the index links each
        class there (relative links: the two move together). The index also holds every
        class's details itself, so it reads alone. A name that is not a safe file name
        (``/``, spaces, over 100 characters, ...) gets its unsafe characters replaced by
        ``_`` and a short hash.

        Parameters
        ----------
        fname : str or path
            The index page.
        title : str
            Page title.
        top : int
            Classes shown by name in the memory chart (the rest is ``'other'``).
        max_instances : int
            Largest instances listed (and drawn) per class.
        """
        check_int(top, "top", 1)
        check_int(max_instances, "max_instances")
        path = os.fsdecode(os.fspath(fname))
        base = os.path.splitext(path)[0] + "_files"
        if self.tracker is not None:
            self.tracker.stop_periodic_snapshots()
        with self._guard():
            self.annotate()
            names = class_page_names(self.tracked_classes)
            folder = os.path.basename(base)
            links = {c: f"{folder}/{page}" for c, page in names.items()}
            page = self._page(str(title), top, max_instances, links)
            class_pages = {names[c]: self._class_page(c, str(title), max_instances, os.path.basename(path))
                           for c in self.tracked_classes}
        if not os.path.isdir(base):  # as Pympler: the folder, not its parents
            os.mkdir(base)
        for page_name, text in class_pages.items():
            _write_page(os.path.join(base, page_name), text)
        _write_page(path, page)

    # -- pieces ----------------------------------------------------------------------
    def _memory_series(self, top: int) -> list[tuple[str, list[int]]]:
        classes = self.tracked_classes
        peak = {c: max((s.classes[c]["sum"] for s in self.snapshots), default=0) for c in classes}
        ranked = sorted(classes, key=lambda c: (-peak[c], c))
        shown = [c for c in ranked[:top] if peak[c] > 0]
        rest = [c for c in ranked if c not in shown]
        series = [(c, [s.classes[c]["sum"] for s in self.snapshots]) for c in shown]
        if rest:
            other = [sum(s.classes[c]["sum"] for c in rest) for s in self.snapshots]
            if any(other):
                series.append(("other", other))
        return series

    def _class_page(self, classname: str, title: str, max_instances: int, index_name: str) -> str:
        """The page of one class (Pympler's ``<base>_files/<Class>.html``)."""
        return "\n".join([
            "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{_esc(classname)} - {_esc(title)}</title><style>{_CSS}</style></head>",
            '<body class="pympler-nb-report">',
            f'<p><a href="../{_esc(_href(index_name))}">{_esc(title)}</a></p>',
            self._class_html(classname, max_instances, level=1),
            "</body></html>\n"])

    def _page(self, title: str, top: int, max_instances: int, links: dict[str, str] | None = None) -> str:
        out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
               f"<title>{_esc(title)}</title><style>{_CSS}</style></head>",
               '<body class="pympler-nb-report">', f"<h1>{_esc(title)}</h1>"]
        n_objs = sum(len(v) for v in self.index.values())
        out.append(f'<p class="note">{len(self.snapshots)} snapshots, {len(self.index)} tracked classes, '
                   f"{n_objs} tracked objects. Sizes are deep sizes; data shared by several tracked "
                   "objects is counted once, for the first of them.</p>")
        out.append("<h2>Memory distribution over time</h2>")
        series = self._memory_series(top)
        if self.snapshots and series:
            out.append(_svg_stacked_bars([s.label for s in self.snapshots], series,
                                         "Tracked memory per class and snapshot"))
        else:
            out.append('<p class="note">No snapshot with tracked memory.</p>')
        totals = list(self.total_rows())
        if totals:
            out.append(_svg_share([(t.label, t.total, t.tracked) for t in totals],
                                  "Tracked and untracked (other) share of the process total"))
        hist = self.history
        ranked = [name for name, _ in series if name != "other"] or self.tracked_classes[:top]
        lines = [(name, _decimate(hist.get(name, []), 600)) for name in ranked if hist.get(name)]
        if lines:
            out.append(_svg_lines(lines, "Live instances over time", "instances"))
        out.append("<h2>Snapshots</h2>")
        for i, snap in enumerate(self.snapshots):
            out.append(self._snapshot_html(i, snap, totals[i], links or {}))
        out.append("<h2>Classes</h2>")
        for classname in self.tracked_classes:
            out.append(self._class_html(classname, max_instances, (links or {}).get(classname)))
        rows = [{"snapshot": i, "label": s.label, "timestamp": s.timestamp, "class": c,
                 "active": info["active"], "size": info["sum"], "average": info["avg"], "pct": info["pct"]}
                for i, s in enumerate(self.snapshots) for c, info in sorted(s.classes.items())]
        data = json.dumps(rows, ensure_ascii=True, allow_nan=False).replace("</", "<\\/")
        out.append(f'<script type="application/json" id="pympler-nb-classes">{data}</script>')
        out.append("</body></html>\n")
        return "\n".join(out)

    def _snapshot_html(self, i: int, snap: Snapshot, totals: Any, links: dict[str, str]) -> str:
        out = [f'<h3 id="snapshot-{i}">{_esc(snap.desc or "Untitled")} snapshot'
               f' at {_esc(_fmt_ts(snap.timestamp))}</h3>']
        system = snap.system_total
        if getattr(system, "available", False):
            proc = (f"The process's virtual size was {_esc(format_size(system.vsz))}, its resident set "
                    f"{_esc(format_size(system.rss))}.")
        else:
            proc = "The process's memory was not available."
        total = f" All objects known to the gc: {_esc(format_size(snap.asizeof_total))}." if snap.asizeof_total else ""
        out.append(f"<p>{proc} Tracked objects: {_esc(format_size(snap.tracked_total))}; the tracker's own "
                   f"bookkeeping: {_esc(format_size(snap.overhead))}.{total}</p>")
        out.append('<table><tr><th>Class</th><th class="num">Instances</th><th class="num">Total</th>'
                   '<th class="num">Average</th><th class="num">Share</th></tr>')
        for classname in self.tracked_classes:
            info = snap.classes[classname]
            href = links.get(classname)
            target = _esc(_href(href)) if href else f"#class-{_esc(_anchor(classname))}"
            out.append(f'<tr><td><a href="{target}">{_esc(classname)}</a></td>'
                       f'<td class="num">{info["active"]}</td><td class="num">{_esc(format_size(info["sum"]))}</td>'
                       f'<td class="num">{_esc(format_size(int(info["avg"])))}</td>'
                       f'<td class="num">{info["pct"]:.2f}%</td></tr>')
        # the total line: the rest of the process, then the process total (the shares add up)
        if totals.total:
            out.append(f'<tr class="untracked"><td>untracked (other)</td><td class="num"></td>'
                       f'<td class="num">{_esc(format_size(totals.untracked))}</td><td class="num"></td>'
                       f'<td class="num">{totals.untracked_pct:.2f}%</td></tr>')
            out.append(f'<tr class="total"><th>process total</th><th class="num"></th>'
                       f'<th class="num">{_esc(format_size(totals.total))}</th><th class="num"></th>'
                       f'<th class="num">100.00%</th></tr>')
        out.append("</table>")
        return "\n".join(out)

    def _refs_table(self, refs: tuple, total: int) -> str:
        rows = ref_rows(refs, total)
        if not rows:
            return ""
        out = ["<table>"]
        for level, ref in rows:
            out.append(f'<tr><td style="padding-left:{8 + 16 * (level - 1)}px"><code>'
                       f"{_esc(clip_text(str(ref.name), 128))}</code></td>"
                       f'<td class="num">{_esc(format_size(ref.size))}</td>'
                       f'<td class="num">{ref.size * 100.0 / total:.1f}%</td></tr>')
        out.append("</table>")
        return "\n".join(out)

    def _class_html(self, classname: str, max_instances: int, link: str | None = None, level: int = 3) -> str:
        tobjs = self.index[classname]
        own = f' <small>(<a href="{_esc(_href(link))}">own page</a>)</small>' if link else ""
        out = [f'<h{level} id="class-{_esc(_anchor(classname))}">{_esc(classname)}{own}</h{level}>']
        if not tobjs:
            out.append("<p>No instances were tracked.</p>")
            return "\n".join(out)
        sizes = [t.get_max_size() for t in tobjs]
        out.append(f"<p>{len(tobjs)} instances were tracked. Largest size per instance: average "
                   f"{_esc(format_size(int(sum(sizes) / len(sizes))))}, smallest {_esc(format_size(min(sizes)))}, "
                   f"largest {_esc(format_size(max(sizes)))}.</p>")
        for snap in self.snapshots:
            merged = snap.classes[classname]["merged"]
            if merged.refs:
                out.append(f"<h4>Referents merged over all instances, {_esc(snap.label)}: "
                           f"{_esc(format_size(merged.size))}</h4>")
                out.append(self._refs_table(merged.refs, merged.size))
        chosen = sorted(tobjs, key=lambda t: (-t.get_max_size(), t.birth))[:max_instances]
        if chosen:
            ends = [t.death for t in tobjs if t.death is not None]
            t0 = min(t.birth for t in tobjs)
            t1 = max([s.timestamp for s in self.snapshots] + ends + [t.birth for t in tobjs])
            rows = [(f"{t.name} 0x{t.id:x}", t.birth, t.death if t.death is not None else t1, t.death is None)
                    for t in sorted(chosen, key=lambda t: t.birth)]
            out.append(_svg_lifetimes(rows, t0, t1, f"Lifetimes of the {len(chosen)} largest instances"))
        out.append('<table><tr><th>Instance</th><th>Representation</th><th>Lifetime</th>'
                   '<th class="num">Sizes</th></tr>')
        for tobj in chosen:
            life = f"{_fmt_ts(tobj.birth)} - {_fmt_ts(tobj.death) if tobj.death is not None else 'alive'}"
            trace = f"<pre>{_esc(_format_trace(tobj.trace))}</pre>" if tobj.trace else ""
            cells = []
            for ts, size, _flat, tree in tobj.iter_samples():
                refs = self._refs_table(tree.refs, size) if tree is not None else ""
                cells.append(f"<div>{_esc(_fmt_ts(ts))}: {_esc(format_size(size))}{refs}</div>")
            out.append(f"<tr><td><code>0x{tobj.id:x}</code></td><td><code>{_esc(tobj.repr)}</code>{trace}</td>"
                       f"<td>{_esc(life)}</td><td class=\"num\">{''.join(cells) or '-'}</td></tr>")
        out.append("</table>")
        if len(tobjs) > len(chosen):
            out.append(f'<p class="note">{len(tobjs) - len(chosen)} smaller instances not listed.</p>')
        return "\n".join(out)


def _href(path: str) -> str:
    """A relative link to ``path``, percent-encoded (a file name's undecodable bytes, kept
    by ``os.fsdecode`` as lone surrogates, as the bytes they stand for)."""
    return quote(path, errors="surrogateescape")


def _anchor(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


_SAFE_PAGE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


def class_page_names(classnames: list[str]) -> dict[str, str]:
    """The file of each tracked name's page in ``<base>_files/``: Pympler's
    ``name.replace('.', '_') + '.html'`` (``pkg.Node`` -> ``pkg_Node.html``) when that is a
    safe file name; otherwise (unsafe characters, over 100 characters, or the same file
    as another name's) the unsafe characters become ``_`` and 10 hex digits of the name's
    SHA-1 are appended. Distinct names always get distinct files.

    >>> class_page_names(["pkg.Node", "a/b", "pkg_Node"])
    {'pkg.Node': 'pkg_Node.html', 'a/b': 'a_b-...html', 'pkg_Node': 'pkg_Node-...html'}
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in classnames:
        page = name.replace(".", "_") + ".html"
        if not _SAFE_PAGE.fullmatch(name) or page.lower() in used:
            digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
            stem = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:80]
            page = f"{stem}-{digest}.html"
        used.add(page.lower())  # case-insensitive file systems: Node.html and node.html collide
        out[name] = page
    return out


def _write_page(path: str, text: str) -> None:
    # a lone surrogate in a name or repr is written as \udc80, not refused
    with open(path, "w", encoding="utf-8", errors="backslashreplace") as f:
        f.write(text)
