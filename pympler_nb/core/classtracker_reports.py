"""The reports of Class Tracker statistics: text tables and one self-contained HTML page.

:class:`ConsoleStats` prints Pympler's tables; :class:`HtmlStats` writes one HTML file
with inline SVG charts (no network, no matplotlib, no JavaScript). Both are
:class:`~.classtracker_model.Stats` and read its data under its lock.
"""

from __future__ import annotations

import html
import json
import math
from typing import Any

from ._format import clip_text, format_size, pp
from .asizeof import Asized
from .classtracker_model import Stats
from .classtracker_objects import Snapshot, TrackedObject
from .values import check_int

__all__ = ["ConsoleStats", "HtmlStats", "ref_rows"]


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
            keys = self._keys
            chosen = [t for t in chosen if clsname in keys.get(id(t), {"classname": t.name})["classname"]]
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


def _bytes_label(value: float) -> str:
    return format_size(int(round(value)))


def _svg_legend(names: list[str], colors: list[str], x: int, y: int) -> list[str]:
    out = []
    for i, (name, color) in enumerate(zip(names, colors)):
        yy = y + i * 16
        out.append(f'<rect x="{x}" y="{yy}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{x + 14}" y="{yy + 9}">{_esc(clip_text(name, 40))}</text>')
    return out


def _svg_frame(title: str, width: int, height: int, left: float, top: float, plot_w: float, plot_h: float,
               ymax: float, tick_text) -> list[str]:
    """The start of a chart's SVG: its title and five horizontal grid lines from 0 to
    ``ymax``, labelled by ``tick_text(value)`` (already escaped)."""
    out = [f'<svg role="img" aria-label="{_esc(title)}" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">', f'<title>{_esc(title)}</title>',
           f'<text x="{left}" y="18" style="font-size:13px;font-weight:600">{_esc(title)}</text>']
    for i in range(5):
        v = ymax * i / 4
        y = top + plot_h - plot_h * i / 4
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick_text(v)}</text>')
    return out


def _svg_stacked_bars(labels: list[str], series: list[tuple[str, list[int]]], title: str) -> str:
    """Stacked columns: one per snapshot, one colour per series (bytes)."""
    width, height, left, right, top, bottom = 900, 320, 70, 260, 30, 60
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    totals = [sum(vals[i] for _, vals in series) for i in range(len(labels))]
    ymax = _nice_max(max(totals, default=0))
    colors = [(_OTHER_COLOR if name == "other" and j == len(series) - 1 else _PALETTE[j % len(_PALETTE)])
              for j, (name, _) in enumerate(series)]
    out = _svg_frame(title, width, height, left, top, plot_w, plot_h, ymax, lambda v: _esc(_bytes_label(v)))
    slot = plot_w / n
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
        if n <= 20 or i % math.ceil(n / 20) == 0:
            cx = left + slot * i + slot / 2
            out.append(f'<text x="{cx:.1f}" y="{top + plot_h + 14}" text-anchor="end" '
                       f'transform="rotate(-30 {cx:.1f} {top + plot_h + 14})">{_esc(clip_text(label, 24))}</text>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#888"/>')
    out.extend(_svg_legend([name for name, _ in series], colors, left + plot_w + 20, top))
    out.append("</svg>")
    return "\n".join(out)


def _svg_lines(series: list[tuple[str, list[tuple[float, float]]]], title: str, y_title: str) -> str:
    """Step lines over time (e.g. live instances per class)."""
    width, height, left, right, top, bottom = 900, 280, 70, 260, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [x for _, pts in series for x, _ in pts]
    x0, x1 = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x1 <= x0:
        x1 = x0 + 1.0
    ymax = _nice_max(max((y for _, pts in series for _, y in pts), default=0))
    out = _svg_frame(title, width, height, left, top, plot_w, plot_h, ymax, lambda v: f"{v:g}")
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
    left, right, top, row_h = 260, 20, 30, 14
    width = 900
    plot_w = width - left - right
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
        out.append(f'<text x="{left - 6}" y="{y + 10}" text-anchor="end">{_esc(clip_text(label, 40))}</text>')
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
    """The statistics as one self-contained HTML file (inline SVG charts, no scripts)."""

    def create_html(self, fname: Any, title: str = "ClassTracker Statistics", *, top: int = 8,
                    max_instances: int = 100) -> None:
        """Write the report to ``fname``.

        Parameters
        ----------
        fname : str or path
            The HTML file (nothing else is written).
        title : str
            Page title.
        top : int
            Classes shown by name in the memory chart (the rest is ``'other'``).
        max_instances : int
            Largest instances listed (and drawn) per class.
        """
        check_int(top, "top", 1)
        check_int(max_instances, "max_instances")
        if self.tracker is not None:
            self.tracker.stop_periodic_snapshots()
        with self._guard():
            self.annotate()
            page = self._page(str(title), top, max_instances)
        # a lone surrogate in a name or repr is written as \udc80, not refused
        with open(fname, "w", encoding="utf-8", errors="backslashreplace") as f:
            f.write(page)

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

    def _page(self, title: str, top: int, max_instances: int) -> str:
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
        hist = self.history
        ranked = [name for name, _ in series if name != "other"] or self.tracked_classes[:top]
        lines = [(name, _decimate(hist.get(name, []), 600)) for name in ranked if hist.get(name)]
        if lines:
            out.append(_svg_lines(lines, "Live instances over time", "instances"))
        out.append("<h2>Snapshots</h2>")
        for i, snap in enumerate(self.snapshots):
            out.append(self._snapshot_html(i, snap))
        out.append("<h2>Classes</h2>")
        for classname in self.tracked_classes:
            out.append(self._class_html(classname, max_instances))
        rows = [{"snapshot": i, "label": s.label, "timestamp": s.timestamp, "class": c,
                 "active": info["active"], "size": info["sum"], "average": info["avg"], "pct": info["pct"]}
                for i, s in enumerate(self.snapshots) for c, info in sorted(s.classes.items())]
        data = json.dumps(rows, ensure_ascii=True, allow_nan=False).replace("</", "<\\/")
        out.append(f'<script type="application/json" id="pympler-nb-classes">{data}</script>')
        out.append("</body></html>\n")
        return "\n".join(out)

    def _snapshot_html(self, i: int, snap: Snapshot) -> str:
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
            out.append(f'<tr><td><a href="#class-{_esc(_anchor(classname))}">{_esc(classname)}</a></td>'
                       f'<td class="num">{info["active"]}</td><td class="num">{_esc(format_size(info["sum"]))}</td>'
                       f'<td class="num">{_esc(format_size(int(info["avg"])))}</td>'
                       f'<td class="num">{info["pct"]:.2f}%</td></tr>')
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

    def _class_html(self, classname: str, max_instances: int) -> str:
        tobjs = self.index[classname]
        out = [f'<h3 id="class-{_esc(_anchor(classname))}">{_esc(classname)}</h3>']
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


def _anchor(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
