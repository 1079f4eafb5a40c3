"""The live memory meter (``%memwatch --meter``): RSS, its limit, percent used, a sparkline.

A kernel thread (:class:`~pympler_nb.core.ledger.RssMonitor`) reads RSS once a period
(default 1 s) and pushes it to the widget's traits, also while a long cell runs (trait
updates leave through the kernel's IOPub thread, not the busy shell channel). Above
``warn_at`` of the limit (container or machine) the meter turns to a warning. Closing
the widget (its ✕ button or :meth:`MemoryMeter.close`) stops the thread; in a batch run
(``nbconvert --execute``) no thread is started and the meter shows one static reading.

>>> m = MemoryMeter(start=False)
>>> m.rss > 0 and m.percent >= 0
True
>>> m.close(); m.running
False
"""

from __future__ import annotations

import html

import anywidget
import traitlets as t

from ..core.format import format_size
from ..core.ledger import RssMonitor
from ..core.process import memory_limit
from . import _static
from ._static import EsmBundle, answer_bundle_request, read_bundle

__all__ = ["MemoryMeter"]

_BUNDLE = "meter.js"


class MemoryMeter(_static.StaticPairing, anywidget.AnyWidget):
    """Current RSS against the container or machine limit, updated by a kernel thread.

    Parameters
    ----------
    period : float
        Seconds between readings (0.05 to 3600).
    keep : int
        Readings shown in the sparkline.
    warn_at : float
        Fraction of the limit above which the meter shows a warning (default 0.8).
    start : bool
        Start the timer now (default True; False: one reading, no thread).
    """

    _esm = EsmBundle(_BUNDLE)

    rss = t.Int(0, help="resident set size now, bytes").tag(sync=True)
    limit = t.Int(0, help="container (cgroup) or machine memory, bytes; 0 when unknown").tag(sync=True)
    where = t.Unicode("", help="what the limit is: 'cgroup v2', 'cgroup v1', 'machine'").tag(sync=True)
    percent = t.Float(0.0, help="rss / limit in percent").tag(sync=True)
    history = t.List(t.Int(), help="the last readings, oldest first (the sparkline)").tag(sync=True)
    warning = t.Bool(False, help="percent is above warn_at").tag(sync=True)
    running = t.Bool(False, help="whether the kernel's timer runs").tag(sync=True)
    ticks = t.Int(0, help="readings pushed so far").tag(sync=True)
    _fallback = t.Unicode("", help="the static view, drawn by the loader when no kernel answers").tag(sync=True)
    _static_id = t.Unicode("", help="pairs the view with its static output (see _static.display_paired)").tag(sync=True)

    def __init__(self, *, period: float = 1.0, keep: int = 60, warn_at: float = 0.8, start: bool = True):
        read_bundle(_BUNDLE)  # a missing build fails here, with the fix in the message
        if isinstance(warn_at, bool) or not isinstance(warn_at, (int, float)) or not 0 < warn_at <= 1:
            raise ValueError(f"warn_at must be a fraction of the limit in (0, 1], got {warn_at!r}")
        if isinstance(period, bool) or not isinstance(period, (int, float)) or not 0.05 <= period <= 3600:
            raise ValueError(f"period must be a number of seconds from 0.05 to 3600, got {period!r}")
        limit, where = memory_limit()
        super().__init__(limit=int(limit or 0), where=where, _static_id=_static.new_static_id())
        self.warn_at = float(warn_at)
        self._monitor = RssMonitor(self._on_sample, period=period, keep=keep)
        self._monitor.sample()
        self.on_msg(self._on_msg)
        if start and getattr(self, "comm", None) is not None:
            self._monitor.start()
            self.running = True

    def _on_sample(self, rss: int, history: list) -> bool:
        """A reading (from the monitor's thread): push it; False stops the thread once the
        widget is closed."""
        if getattr(self, "comm", None) is None and self.ticks:
            return False
        limit = self.limit
        percent = 100.0 * rss / limit if limit else 0.0
        with self.hold_sync():
            self.rss = int(rss)
            self.percent = round(percent, 2)
            self.history = [int(v) for v in history]
            self.warning = bool(limit) and percent >= 100 * self.warn_at
            self.ticks += 1
        self._fallback = self._text_html()
        return True

    def _on_msg(self, widget, content, buffers):
        if answer_bundle_request(self, _BUNDLE, content):
            return
        if isinstance(content, dict) and content.get("type") == "close":
            self.stop()

    def refresh(self) -> int:
        """Take a reading now (as the timer does); returns RSS in bytes."""
        return self._monitor.sample()

    def stop(self) -> None:
        """Stop the timer (the view stays, showing the last reading)."""
        self._monitor.stop()
        try:
            self.running = False
        except Exception:  # noqa: BLE001 - the front end went away
            pass

    def close(self) -> None:
        """Stop the timer and close the widget."""
        monitor = getattr(self, "_monitor", None)
        if monitor is not None:
            monitor.stop()
        self.set_trait("running", False)
        super().close()

    def _text(self) -> str:
        lim = (f" of {format_size(self.limit)} {self.where} ({self.percent:.1f}%)" if self.limit else "")
        warn = " WARNING: above %d%%" % round(100 * self.warn_at) if self.warning else ""
        return f"memory meter: RSS {format_size(self.rss)}{lim}{warn}"

    def _text_html(self) -> str:
        return f"<code class='pympler-nb-meter-static'>{html.escape(self._text())}</code>"

    def __repr__(self):
        return f"<MemoryMeter rss={self.rss} limit={self.limit} running={self.running}>"

    def _repr_mimebundle_(self, **kwargs):
        data, meta = self._widget_bundle(**kwargs)
        data["text/plain"] = self._text()
        data["text/html"] = self._text_html()
        return data, meta
