"""``%memwatch``: a memory ledger of every cell, with peaks, holders and a timeline.

Registered by ``%load_ext pympler_nb`` together with :mod:`pympler_nb.magics`.

* ``%memwatch on [--light] [--threshold 1MiB|10%]`` records every following cell
  (:class:`pympler_nb.core.ledger.Recorder`): RSS before / after / peak during the cell,
  the Python heap's change by type, the native share, tracemalloc's peak when tracing,
  and the names that hold the new memory. A cell that moved memory by the threshold
  gets one line under it; quiet cells print nothing.
* ``%memwatch off`` removes both hooks and the sampler thread; ``%memwatch status``.
* ``%memwatch`` returns the ledger as a DataFrame (:func:`pympler_nb.ledger` too; columns
  in :mod:`pympler_nb.frames_ledger`); ``--chart`` draws the RSS timeline with the limit
  and the out-of-memory forecast; ``--meter`` shows the live meter widget.
* ``c.PymplerNB.memwatch = True`` (an IPython config option, e.g. in
  ``ipython_config.py``) turns it on when the extension loads; ``memwatch_light`` and
  ``memwatch_threshold`` set the mode and threshold.
"""

from __future__ import annotations

import re

import pandas as pd
from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments
from traitlets import Bool, Unicode
from traitlets.config import Configurable

from .core.format import format_size
from .core.ledger import MIB, Recorder, forecast
from .core.process import memory_limit
from .core.session import running_shell
from .frames_ledger import ledger_frame
from .magic_args import Note, parse, show

__all__ = ["MemwatchMagics", "PymplerNB", "ledger", "parse_threshold", "load_ipython_extension",
           "unload_ipython_extension"]

_SIZE = re.compile(r"\A(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\Z", re.IGNORECASE)
_UNITS = {None: 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": MIB, "mb": MIB, "mib": MIB,
          "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30}


def parse_threshold(text: str) -> tuple[int, float | None]:
    """``(bytes, fraction)`` of a threshold: ``"1MiB"`` -> ``(1048576, None)``, ``"10%"``
    -> ``(1, 0.1)`` (10 % of the cell's start RSS); a ``ValueError`` naming the fix otherwise.

    >>> parse_threshold("512 KiB"), parse_threshold("10%")
    ((524288, None), (1, 0.1))
    """
    value = str(text).strip()
    if value.endswith("%"):
        try:
            pct = float(value[:-1])
        except ValueError:
            pct = -1.0
        if not 0 < pct < 100:
            raise ValueError(f"threshold {text!r}: a percentage must be between 0 and 100 (e.g. 10%)")
        return 1, pct / 100
    match = _SIZE.match(value)
    if match is None or float(match.group(1)) * _UNITS[(match.group(2) or "").lower() or None] < 1:
        raise ValueError(f"threshold {text!r} is not a size: use bytes with a unit (1MiB, 512KiB, 2GB) "
                         "or a percentage of the cell's start RSS (10%)")
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "").lower() or None]), None


class PymplerNB(Configurable):
    """pympler_nb's IPython configuration (``c.PymplerNB.memwatch = True``)."""

    memwatch = Bool(False, help="Record every cell with %memwatch from the moment the extension "
                                "loads").tag(config=True)
    memwatch_light = Bool(False, help="With memwatch: record RSS and peak only (--light)").tag(config=True)
    memwatch_threshold = Unicode("1MiB", help="With memwatch: the notice threshold, a size (1MiB) or a "
                                              "percentage of the cell's start RSS (10%)").tag(config=True)


@magics_class
class MemwatchMagics(Magics):
    """``%memwatch``."""

    def __init__(self, shell=None, **kwargs):
        super().__init__(shell=shell, **kwargs)
        self.recorder: Recorder | None = None  # the running or last recorder (its ledger)
        self.meter = None  # the last meter shown

    # -- the engine --------------------------------------------------------------------
    def start(self, light: bool = False, threshold: str = "1MiB") -> Recorder:
        """Turn recording on with these settings; ``threshold`` as :func:`parse_threshold`
        reads it. The ledger goes on: the cells recorded before are kept."""
        size, fraction = parse_threshold(threshold)
        self.stop()
        recorder = Recorder(light=light, threshold=size, fraction=fraction, notify=_notify)
        if self.recorder is not None:
            recorder.records.extend(self.recorder.records)
        recorder.attach(self.shell)
        self.recorder = recorder
        return recorder

    def stop(self) -> None:
        """Turn recording off: both hooks and the sampler thread go (the ledger stays)."""
        if self.recorder is not None and self.recorder.attached:
            self.recorder.detach()

    def close(self) -> None:
        self.stop()
        if self.meter is not None:
            self.meter.close()
            self.meter = None

    def ledger(self) -> pd.DataFrame:
        return ledger_frame(self.recorder.records if self.recorder is not None else ())

    def status(self) -> str:
        rec = self.recorder
        if rec is None or not rec.attached:
            kept = f"; the last ledger has {len(rec.records)} cells" if rec is not None else ""
            return f"memwatch is off{kept} (%memwatch on starts it)"
        what = "RSS and peak only (--light)" if rec.light else "RSS, peak, Python heap by type, holders"
        thr = f"{rec.fraction:.0%} of the start RSS" if rec.fraction else format_size(rec.threshold)
        return (f"memwatch is on: {len(rec.records)} cells recorded; {what}; notice threshold {thr} "
                f"(%memwatch off stops it)")

    # -- the magic ---------------------------------------------------------------------
    @magic_arguments()
    @argument("action", nargs="?", choices=("on", "off", "status"),
              help="on: record every cell; off: stop; status: say which; none: the ledger")
    @argument("--light", action="store_true", help="with on: record RSS and peak only (cheapest)")
    @argument("--threshold", default="1MiB", metavar="SIZE",
              help="with on: show a line under cells that move memory by SIZE (default 1MiB; "
                   "or a percentage of the cell's start RSS, e.g. 10%%)")
    @argument("--chart", action="store_true", help="draw the RSS timeline with the limit and the forecast")
    @argument("--meter", action="store_true", help="show the live memory meter (closing it stops its timer)")
    @no_var_expand
    @line_magic
    def memwatch(self, line=""):
        """Record every cell's memory: RSS before/after/peak, Python vs native, who holds it.

        ``%memwatch on`` starts recording, ``off`` stops it, ``status`` tells; with no
        action it returns the ledger (one row per cell) as a DataFrame.
        """
        __tracebackhide__ = True
        parsed = parse(self.memwatch.parser, line, "memwatch")
        if parsed is None:
            return None
        args, _ = parsed
        if args.action != "on" and (args.light or args.threshold != "1MiB"):
            raise UsageError("%memwatch: --light and --threshold go with `on` "
                             "(e.g. %memwatch on --light --threshold 10MiB)")
        if args.action == "on":
            try:
                rec = self.start(light=args.light, threshold=args.threshold)
            except ValueError as exc:
                raise UsageError(f"%memwatch: {exc}") from None
            show(Note(self.status()))
            del rec
        elif args.action == "off":
            self.stop()
            show(Note(self.status()))
        elif args.action == "status":
            show(Note(self.status()))
        if args.meter:
            from .widgets import BundleMissingError
            from .widgets.meter import MemoryMeter

            if self.meter is not None:
                self.meter.close()
            try:
                self.meter = MemoryMeter()
            except BundleMissingError as exc:
                self.meter = None
                show(Note(f"(memory meter unavailable: {exc})"))
            else:
                show(self.meter)
        if args.chart:
            show(self.chart())
        if args.action is None and not args.chart and not args.meter:
            return self.ledger()
        return None

    def chart(self):
        """The timeline chart of the ledger (limit rule, forecast subtitle)."""
        from .charts_ledger import ledger_chart

        records = self.recorder.records if self.recorder is not None else ()
        if not records:
            raise UsageError("%memwatch --chart: the ledger is empty; run %memwatch on, then some cells")
        limit, where = memory_limit()
        outlook = forecast(records, limit, where)
        return ledger_chart(ledger_frame(records), limit, where, outlook.text)


def _notify(record) -> None:
    """Show the line under a notable cell (HTML in Jupyter, text in a terminal)."""
    from IPython.display import display

    display(Note(record.notice()))


def _instance(shell) -> MemwatchMagics | None:
    manager = getattr(shell, "magics_manager", None)
    return manager.registry.get("MemwatchMagics") if manager is not None else None


def ledger() -> pd.DataFrame:
    """The ``%memwatch`` ledger of the running IPython session (see :mod:`pympler_nb.frames_ledger`)."""
    shell = running_shell()
    magics = _instance(shell) if shell is not None else None
    if magics is None:
        raise RuntimeError("pympler_nb.ledger(): no %memwatch here; run %load_ext pympler_nb and "
                           "%memwatch on in an IPython or Jupyter session first")
    return magics.ledger()


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(MemwatchMagics)
    config = PymplerNB(parent=ipython)
    if config.memwatch:
        magics = _instance(ipython)
        try:
            magics.start(light=config.memwatch_light, threshold=config.memwatch_threshold)
        except ValueError as exc:
            print(f"pympler_nb: c.PymplerNB.memwatch_threshold: {exc}; memwatch stays off")


def unload_ipython_extension(ipython) -> None:
    magics = _instance(ipython)
    if magics is not None:
        magics.close()
    manager = ipython.magics_manager
    for kind, names in MemwatchMagics.magics.items():
        for name in names:
            manager.magics[kind].pop(name, None)
    manager.registry.pop("MemwatchMagics", None)
