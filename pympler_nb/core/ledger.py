"""The per-cell memory ledger (``%memwatch``): what each cell used, kept and left where.

:class:`Recorder` listens to a shell's ``pre_run_cell`` / ``post_run_cell`` events and
makes one :class:`CellRecord` per cell: wall time; RSS before, after and at its **peak
during the cell** (an :class:`RssSampler` thread reads RSS every ~10 ms, only while a
cell runs, so a temporary freed within the cell is still seen); the change of the
Python heap by type (a :class:`~pympler_nb.core.tracker.SummaryTracker`: our own
objects, the session's bookkeeping and the kernel's background objects left out);
the native / allocator share (RSS change minus Python change); tracemalloc's peak when
tracing is on; and the names that now hold the new memory (:class:`Holder`: new or
rebound user variables with their deep size, and IPython's ``Out[n]`` / ``_``).

**Cost.** RSS, the sampler and a names-to-ids snapshot of the user namespace cost
about a millisecond per cell. The heap summary costs as much as
``summarize(get_objects())`` (about 0.4 s for a million objects with the compiled
core), so it is taken only after a cell that moved memory: RSS net or peak, or the C
allocator's bytes in use (glibc's ``mallinfo2``: it moves also when a new array reuses
free heap that is still resident, which RSS does not), by at least half the threshold,
or ``sys.getallocatedblocks()`` by ``walk_blocks`` blocks. Its
baseline is the summary of the last walked cell (or of :meth:`Recorder.attach`): the
small changes of quiet cells in between are credited to the next walked one. Quiet
cells are recorded with ``python_delta`` / ``native_delta`` None (not measured).
``light=True`` records RSS, peak and time only.

:class:`RssMonitor` is the same sampler for the live meter: a thread that reads RSS
once a period while it runs (also while a cell runs) and hands each reading on.

Standard library only: the shell is duck-typed (``events.register``, ``user_ns``).
"""

from __future__ import annotations

import collections
import math
import sys
import threading
import time
import weakref
from typing import Any, Callable

from ._format import clip_text, format_size, one_line, type_name
from .asizeof import asizeof
from .process import RssReader, memory_limit
from .reclaim import malloc_in_use
from .session import namespace_kind, register_own
from .tracker import SummaryTracker
from .values import Frozen, check_int

__all__ = ["CellRecord", "Holder", "Forecast", "Recorder", "RssSampler", "RssMonitor",
           "forecast", "MIB", "COLUMNS"]

MIB = 1 << 20

#: the fields of a :class:`CellRecord`, in order: the ledger table's columns
COLUMNS = ("execution_count", "source", "seconds", "rss_before", "rss_after", "rss_peak",
           "python_delta", "native_delta", "traced_peak", "top_types", "holders")


class Holder(Frozen):
    """A name that holds memory a cell made: ``name`` (``df``, ``Out[7]``, ``df, Out[7], _``
    when several name one object), ``type`` (type name), ``size`` (deep size in bytes,
    None when not measured) and ``kind`` (``'variable'`` or ``'output'``)."""

    __slots__ = ("name", "type", "size", "kind")

    def __init__(self, name: str, type: str, size: int | None, kind: str):
        self._set(name=name, type=type, size=size, kind=kind)

    def __str__(self) -> str:
        size = "" if self.size is None else " " + format_size(self.size, sign=True)
        return f"{self.name} ({self.type}){size}"

    def __repr__(self) -> str:
        return f"<Holder {self.name!r} {self.type} size={self.size!r} kind={self.kind!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Holder) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())


class CellRecord(Frozen):
    """One recorded cell (a row of the ledger; fields in :data:`COLUMNS` order, plus
    ``error``: the exception type name when the cell raised, ``walked``: whether the heap
    was summarized after it, and ``note``: what went wrong in the bookkeeping, if anything).

    Sizes are bytes; ``python_delta`` / ``native_delta`` / ``traced_peak`` are None when
    not measured (a quiet or ``light`` cell; tracemalloc off). ``top_types`` is a tuple of
    ``(type, count_delta, size_delta)``, largest ``|size_delta|`` first; ``holders`` a tuple
    of :class:`Holder`, largest first.
    """

    __slots__ = COLUMNS + ("error", "walked", "note")

    def __init__(self, **fields: Any):
        missing = [name for name in self.__slots__ if name not in fields]
        if missing:
            raise TypeError(f"CellRecord() needs {', '.join(missing)}")
        self._set(**fields)

    @property
    def rss_delta(self) -> int:
        """RSS after minus before."""
        return self.rss_after - self.rss_before

    @property
    def peak_delta(self) -> int:
        """Peak RSS during the cell minus RSS before it."""
        return self.rss_peak - self.rss_before

    def notable(self, threshold: int) -> bool:
        """Whether RSS (net or peak) or the Python heap moved by at least ``threshold`` bytes."""
        moved = [abs(self.rss_delta), self.peak_delta]
        if self.python_delta is not None:
            moved.append(abs(self.python_delta))
        return max(moved) >= threshold

    def notice(self) -> str:
        """The one line shown under a notable cell:
        ``memwatch: +412 MiB RSS (peak +1.2 GiB); Python +380 MiB: df (DataFrame) +379 MiB; native +32 MiB``."""
        parts = [f"memwatch: {format_size(self.rss_delta, sign=True)} RSS"]
        if self.peak_delta > max(self.rss_delta, 0):
            parts[0] += f" (peak {format_size(self.peak_delta, sign=True)})"
        if self.python_delta is not None:
            text = f"Python {format_size(self.python_delta, sign=True)}"
            shown = [str(h) for h in self.holders[:3]]
            if shown:
                text += ": " + ", ".join(shown)
            parts.append(text)
        elif self.holders:
            parts.append("new: " + ", ".join(h.name for h in self.holders[:3]))
        if self.native_delta is not None:
            text = f"native {format_size(self.native_delta, sign=True)}"
            if self.native_delta < 0 < (self.python_delta or 0):  # RSS grew less than Python
                text += " (free heap reused: RSS did not grow by all of it)"
            parts.append(text)
        if self.error:
            parts.append(f"raised {self.error}")
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)

    def as_dict(self) -> dict:
        """The ledger row: :data:`COLUMNS` plus ``error`` and ``walked``."""
        return {name: getattr(self, name) for name in COLUMNS + ("error", "walked")}

    def __repr__(self) -> str:
        return (f"<CellRecord [{self.execution_count}] {self.source!r} rss {self.rss_before}->"
                f"{self.rss_after} peak {self.rss_peak} python {self.python_delta!r}>")


class Forecast(Frozen):
    """Where memory is heading: ``growth`` (bytes per cell over the last ``cells`` cells),
    ``cells_left`` (cells until ``limit`` at that growth; None when not growing or no
    limit), ``limit`` and ``where`` (the limit's source), ``text`` (one sentence, or "")."""

    __slots__ = ("growth", "cells", "cells_left", "limit", "where", "text")

    def __init__(self, growth, cells, cells_left, limit, where, text):
        self._set(growth=growth, cells=cells, cells_left=cells_left, limit=limit, where=where, text=text)

    def __repr__(self) -> str:
        return f"<Forecast {self.text or 'not growing'}>"


def forecast(records, limit: int | None = None, where: str = "", last: int = 5) -> Forecast:
    """The out-of-memory forecast of ``records`` (a ledger): at the mean RSS growth per
    cell over the last ``last`` cells, how many more cells until ``limit`` (default: the
    container or machine limit, :func:`~pympler_nb.core.process.memory_limit`).

    >>> recs = [CellRecord(execution_count=i, source="", seconds=0.0, rss_before=0,
    ...                    rss_after=i * 100 * MIB, rss_peak=i * 100 * MIB, python_delta=None,
    ...                    native_delta=None, traced_peak=None, top_types=(), holders=(),
    ...                    error=None, walked=False, note="") for i in range(1, 6)]
    >>> forecast(recs, limit=1000 * MIB, where="machine").cells_left
    5
    """
    check_int(last, "last", 2, meaning="cells the growth is averaged over")
    if limit is None:
        limit, where = memory_limit()
    tail = list(records)[-last:]
    if len(tail) < 2:
        return Forecast(0, len(tail), None, limit, where, "")
    growth = (tail[-1].rss_after - tail[0].rss_after) / (len(tail) - 1)
    now = tail[-1].rss_after
    if growth <= 0 or limit is None or now >= limit:
        text = ("RSS is at or above the limit" if limit is not None and now >= limit else "")
        return Forecast(int(growth), len(tail), 0 if text else None, limit, where, text)
    left = max(1, math.ceil((limit - now) / growth))
    text = (f"at the growth of the last {len(tail)} cells ({format_size(int(growth), sign=True)} "
            f"per cell) the {where} limit ({format_size(limit)}) is reached in ~{left} cells")
    return Forecast(int(growth), len(tail), left, limit, where, text)


# ---------------------------------------------------------------------------
# samplers
# ---------------------------------------------------------------------------

_LIVE: weakref.WeakSet = weakref.WeakSet()  # recorders, samplers and monitors that exist


def _internals(*objs: Any, depth: int = 3) -> list:
    """``objs`` (threading objects of ours: an Event, a Thread) and what their ``__dict__``
    holds, ``depth`` levels down (a Condition, its lock and waiters deque)."""
    out: list = []
    level = [o for o in objs if o is not None]
    for _ in range(depth):
        out.extend(level)
        nxt: list = []
        for obj in level:
            attrs = getattr(obj, "__dict__", None)
            if type(attrs) is dict:
                out.append(attrs)
                nxt.extend(v for v in attrs.values() if type(v).__module__ in ("threading", "_thread",
                                                                                "collections"))
        level = nxt
    return out


class RssSampler:
    """Reads RSS every ``period`` seconds between :meth:`start` and :meth:`stop` and keeps
    the highest reading (:attr:`peak`); the OS's own peak RSS (``VmHWM``) makes it exact
    whenever the process reaches a new high.

    The reading is done by one thread, started by the first :meth:`start`, that samples
    only between :meth:`start` and :meth:`stop` and waits on an event otherwise (no
    reading, no CPU): starting a thread per cell would cost the cell a scheduling round
    trip (milliseconds on a loaded machine). :meth:`close` ends the thread.

    >>> s = RssSampler(0.005)
    >>> s.start(); buf = b"x" * (8 << 20); peak = s.stop(); del buf
    >>> peak > 0
    True
    >>> s.close(); s.alive
    False
    """

    __slots__ = ("period", "peak", "samples", "_read", "_active", "_lock", "_gen", "_quit", "_thread",
                 "_hwm", "__weakref__")

    def __init__(self, period: float = 0.01, reader: RssReader | None = None):
        if not isinstance(period, (int, float)) or isinstance(period, bool) or not 0 < period <= 60:
            raise ValueError(f"period must be a number of seconds in (0, 60], got {period!r}")
        self.period = float(period)
        self.peak = 0
        self.samples = 0
        self._read = reader if reader is not None else RssReader()
        self._active = threading.Event()  # set while sampling
        self._lock = threading.Lock()
        self._gen = 0  # one per start(): a reading taken for an earlier span is dropped
        self._quit = False
        self._thread: threading.Thread | None = None
        self._hwm: int | None = None
        _LIVE.add(self)

    def start(self) -> None:
        """Start sampling (the first reading is taken before returning)."""
        if self._active.is_set():
            raise RuntimeError("RssSampler.start(): already sampling; call stop() first")
        with self._lock:
            self._gen += 1
            self._hwm = self._read.high_water()
            self.peak = self._read()
            self.samples = 1
        thread = self._thread
        if thread is None or not thread.is_alive():
            self._quit = False
            self._thread = thread = threading.Thread(target=self._run, name="pympler_nb memwatch sampler",
                                                     daemon=True)
            thread.start()
        self._active.set()

    def _run(self) -> None:
        active, lock, read, sleep, period = self._active, self._lock, self._read, time.sleep, self.period
        while True:
            active.wait()
            if self._quit:
                return
            sleep(period)
            gen = self._gen
            rss = read()
            with lock:
                if gen == self._gen and active.is_set():
                    self.samples += 1
                    if rss > self.peak:
                        self.peak = rss

    def stop(self) -> int:
        """Stop sampling; the peak since :meth:`start`, the last reading included. Where the
        OS keeps the process's peak RSS (Linux ``VmHWM``) and it grew since :meth:`start`,
        that is the peak: exact even for a temporary shorter than a period."""
        self._active.clear()
        rss = self._read()
        hwm = self._read.high_water() if self._hwm is not None else None
        with self._lock:
            self._gen += 1
            peak = max(self.peak, rss)
            if hwm is not None and hwm > self._hwm and hwm > peak:
                peak = hwm
            self.peak = peak
        return peak

    def close(self) -> None:
        """Stop sampling and end the thread (joined before returning)."""
        self._active.clear()
        thread, self._thread = self._thread, None
        if thread is not None:
            self._quit = True
            self._active.set()
            thread.join()
            self._active.clear()

    @property
    def sampling(self) -> bool:
        """Whether it samples now (between :meth:`start` and :meth:`stop`)."""
        return self._active.is_set()

    @property
    def alive(self) -> bool:
        """Whether its thread exists (from the first :meth:`start` to :meth:`close`)."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def _own(self) -> list:
        return [self] + _internals(self._active, self._lock, self._thread)


class RssMonitor:
    """A thread that reads RSS once every ``period`` seconds, keeps the last ``keep``
    readings (:attr:`history`) and calls ``on_sample(rss, history)`` with each, until
    :meth:`stop` (or ``on_sample`` returns False, or raises). The live meter's clock.
    """

    __slots__ = ("period", "history", "on_sample", "_read", "_stop", "_thread", "__weakref__")

    def __init__(self, on_sample: Callable[[int, list], Any] | None = None, period: float = 1.0,
                 keep: int = 120):
        if not isinstance(period, (int, float)) or isinstance(period, bool) or not 0 < period <= 3600:
            raise ValueError(f"period must be a number of seconds in (0, 3600], got {period!r}")
        check_int(keep, "keep", 2, meaning="readings kept for the sparkline")
        self.period = float(period)
        self.history: collections.deque = collections.deque(maxlen=keep)
        self.on_sample = on_sample
        self._read = RssReader()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        _LIVE.add(self)

    def sample(self) -> int:
        """Read RSS now, append it to :attr:`history` and hand it to ``on_sample``."""
        rss = self._read()
        self.history.append(rss)
        callback = self.on_sample
        if callback is not None and callback(rss, list(self.history)) is False:
            self._stop.set()
        return rss

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="pympler_nb meter", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self.sample()
                if self._stop.wait(self.period):
                    break
        except Exception:  # noqa: BLE001 - a closed front end: stop quietly
            self._stop.set()
        finally:
            self._read.close()

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop the thread and wait for it (at most ``timeout`` seconds)."""
        thread, self._thread = self._thread, None
        self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive() and not self._stop.is_set()

    def _own(self) -> list:
        return [self, self.history] + _internals(self._stop, self._thread)


# ---------------------------------------------------------------------------
# the recorder
# ---------------------------------------------------------------------------


def _first_line(source: str) -> str:
    """The cell's first non-blank line, clipped (what the ledger shows as ``source``)."""
    for line in source.splitlines():
        if line.strip():
            return one_line(line.rstrip(), 80)
    return ""


def _user_names(shell: Any) -> dict[str, int]:
    """``{name: id(value)}`` of the user's variables in ``shell.user_ns`` (not IPython's
    own names, nor what ``user_ns_hidden`` put there)."""
    ns = getattr(shell, "user_ns", None)
    if not isinstance(ns, dict):
        return {}
    hidden = getattr(shell, "user_ns_hidden", None) or {}
    out = {}
    for name, value in list(dict.items(ns)):
        if type(name) is not str or namespace_kind(name) != "namespace":
            continue
        if name in hidden and hidden[name] is value:
            continue
        out[name] = id(value)
    return out


class Recorder:
    """Records every cell a shell runs into a ledger of :class:`CellRecord`.

    Parameters
    ----------
    light : bool
        Record RSS, peak and time only (no namespace snapshot, no heap summary).
    threshold : int
        Bytes: a cell is *notable* (``notify`` is called) when RSS net or peak, or its
        Python heap, moved by at least this much (default 1 MiB).
    fraction : float or None
        When set, the threshold is also at least this fraction of the cell's start RSS
        (``0.1``: 10 %): the larger of the two applies.
    period : float
        Seconds between RSS samples while a cell runs.
    walk_blocks : int
        A change of ``sys.getallocatedblocks()`` by this many blocks makes the heap be
        summarized after the cell even if RSS did not move.
    keep : int
        Records kept (oldest dropped first).
    notify : callable or None
        ``notify(record)`` after each notable cell (the view layer shows the line).
    """

    def __init__(self, *, light: bool = False, threshold: int = MIB, fraction: float | None = None,
                 period: float = 0.01, walk_blocks: int = 4096, keep: int = 10_000,
                 notify: Callable[[CellRecord], Any] | None = None, top: int = 5):
        self.light = bool(light)
        self.threshold = check_int(threshold, "threshold", 1, meaning="bytes")
        if fraction is not None and (isinstance(fraction, bool) or not isinstance(fraction, (int, float))
                                     or not 0 < fraction < 1):
            raise ValueError(f"fraction must be a number in (0, 1) (a share of the start RSS) or None, "
                             f"got {fraction!r}")
        self.fraction = fraction
        self.walk_blocks = check_int(walk_blocks, "walk_blocks", 1)
        self.top = check_int(top, "top", 1)
        self.notify = notify
        self.records: collections.deque = collections.deque(maxlen=check_int(keep, "keep", 1))
        self.shell: Any = None
        self._reader = RssReader()
        self._sampler = RssSampler(period, self._reader)
        malloc_in_use()  # the C library's handle and function (ctypes types) exist from now on
        self._tracker: SummaryTracker | None = None
        self._pending: dict | None = None  # the running cell's starting figures
        _LIVE.add(self)

    # -- attaching ------------------------------------------------------------------
    @property
    def attached(self) -> bool:
        return self.shell is not None

    def attach(self, shell: Any) -> None:
        """Listen to ``shell``'s cell events (takes the first heap summary unless light)."""
        if self.shell is not None:
            raise RuntimeError("Recorder.attach(): already attached; detach() first")
        if not self.light and self._tracker is None:
            self._tracker = SummaryTracker()
        shell.events.register("pre_run_cell", self.pre_run_cell)
        shell.events.register("post_run_cell", self.post_run_cell)
        self.shell = shell

    def detach(self) -> None:
        """Remove both event hooks and end the sampler's thread (no thread is left)."""
        shell, self.shell = self.shell, None
        if shell is not None:
            for name, hook in (("pre_run_cell", self.pre_run_cell), ("post_run_cell", self.post_run_cell)):
                try:
                    shell.events.unregister(name, hook)
                except ValueError:
                    pass
        self._sampler.close()
        self._pending = None
        self._tracker = None

    def __repr__(self) -> str:
        state = "on" if self.attached else "off"
        return f"<Recorder {state}{' light' if self.light else ''}: {len(self.records)} cells>"

    @property
    def sampling(self) -> bool:
        """Whether the RSS sampler reads now (only while a cell runs)."""
        return self._sampler.sampling

    @property
    def sampler_alive(self) -> bool:
        """Whether the sampler's thread exists (while attached, once a cell ran)."""
        return self._sampler.alive

    def threshold_for(self, rss_before: int) -> int:
        """The notice threshold of a cell that started at ``rss_before`` bytes."""
        if self.fraction is None:
            return self.threshold
        return max(self.threshold, int(rss_before * self.fraction))

    # -- the events ------------------------------------------------------------------
    def pre_run_cell(self, info: Any = None) -> None:
        """``pre_run_cell`` hook: take the starting figures and start the sampler."""
        try:
            self._begin(info)
        except KeyboardInterrupt:  # the cell runs unrecorded; memwatch stays on
            if self._sampler.sampling:
                self._sampler.stop()
            self._pending = None

    def _begin(self, info: Any) -> None:
        if self._sampler.sampling:
            self._sampler.stop()
        shell = self.shell
        raw = getattr(info, "raw_cell", "") or ""
        pending = {"count": getattr(shell, "execution_count", None), "source": raw,
                   "names": None if self.light else _user_names(shell),
                   "blocks": None if self.light else sys.getallocatedblocks(),
                   "malloc": None if self.light else malloc_in_use(), "traced": None}
        tracemalloc = sys.modules.get("tracemalloc")
        if tracemalloc is not None and tracemalloc.is_tracing():
            tracemalloc.reset_peak()
            pending["traced"] = tracemalloc.get_traced_memory()[0]
        self._pending = pending
        self._sampler.start()
        pending["rss"] = self._sampler.peak
        pending["t0"] = time.perf_counter()

    def post_run_cell(self, result: Any = None) -> None:
        """``post_run_cell`` hook: stop the sampler and record the cell (a KeyboardInterrupt
        during the bookkeeping records what was measured so far and leaves memwatch on)."""
        pending, self._pending = self._pending, None
        if pending is None:  # the cell that turned memwatch on
            return
        seconds = time.perf_counter() - pending["t0"]
        try:
            peak = self._sampler.stop()
        except KeyboardInterrupt:
            peak = max(self._sampler.peak, pending["rss"])
        record = None
        try:
            record = self._record(pending, result, seconds, peak)
        except KeyboardInterrupt:
            record = self._basic(pending, result, seconds, peak,
                                 note="bookkeeping interrupted: heap figures not taken")
        self.records.append(record)
        if self.notify is not None and record.notable(self.threshold_for(record.rss_before)):
            try:
                self.notify(record)
            except KeyboardInterrupt:
                pass

    def _basic(self, pending: dict, result: Any, seconds: float, peak: int, **more: Any) -> CellRecord:
        rss_after = self._reader()
        count = getattr(result, "execution_count", None)
        if count is None:
            count = pending["count"]
        error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        fields = dict(execution_count=count, source=_first_line(pending["source"]),
                      seconds=round(seconds, 6), rss_before=pending["rss"], rss_after=rss_after,
                      rss_peak=max(peak, rss_after, pending["rss"]), python_delta=None,
                      native_delta=None, traced_peak=None, top_types=(), holders=(),
                      error=type(error).__name__ if error is not None else None, walked=False, note="")
        fields.update(more)
        return CellRecord(**fields)

    def _record(self, pending: dict, result: Any, seconds: float, peak: int) -> CellRecord:
        traced_peak = None
        tracemalloc = sys.modules.get("tracemalloc")
        if pending["traced"] is not None and tracemalloc is not None and tracemalloc.is_tracing():
            traced_peak = max(0, tracemalloc.get_traced_memory()[1] - pending["traced"])
        record = self._basic(pending, result, seconds, peak, traced_peak=traced_peak)
        if self.light:
            return record
        moved = max(abs(record.rss_delta), record.peak_delta)
        blocks = abs(sys.getallocatedblocks() - pending["blocks"])
        malloc = malloc_in_use()
        if malloc is not None and pending["malloc"] is not None:  # free heap reused: RSS still
            moved = max(moved, abs(malloc - pending["malloc"]))
        walk = self._tracker is not None and (moved * 2 >= self.threshold_for(record.rss_before)
                                              or blocks >= self.walk_blocks)
        python = None
        top: tuple = ()
        if walk:
            rows = self._tracker.diff()
            python = sum(row[2] for row in rows)
            rows.sort(key=lambda row: -abs(row[2]))
            top = tuple((str(r[0]), int(r[1]), int(r[2])) for r in rows[:self.top])
            del rows
        holders = self._holders(pending, record.execution_count, sized=walk)
        return CellRecord(**{**record.as_dict(), "note": record.note,
                             "python_delta": python, "top_types": top, "holders": holders,
                             "native_delta": None if python is None else record.rss_delta - python,
                             "walked": walk})

    def _holders(self, pending: dict, count: Any, sized: bool) -> tuple:
        """New or rebound user variables and the cell's ``Out[n]`` (named together when
        they are one object), with deep sizes when ``sized``."""
        shell = self.shell
        ns = getattr(shell, "user_ns", None)
        if not isinstance(ns, dict):
            return ()
        before = pending["names"] or {}
        names: dict[int, list] = {}  # id -> [names], in order
        objs: dict[int, Any] = {}
        for name, oid in _user_names(shell).items():
            if before.get(name) != oid:
                names.setdefault(oid, []).append(name)
                objs.setdefault(oid, ns.get(name))
        outputs = ns.get("Out")
        if isinstance(outputs, dict) and count in outputs:
            value = outputs[count]
            oid = id(value)
            names.setdefault(oid, []).append(f"Out[{count}]")
            if ns.get("_") is value:
                names[oid].append("_")
            objs.setdefault(oid, value)
        holders = []
        for oid, labels in list(names.items())[:20]:
            obj = objs[oid]
            size = None
            if sized:
                try:
                    size = asizeof(obj)
                except Exception:  # noqa: BLE001 - a hostile object: named, not sized
                    size = None
            kind = "variable" if not labels[0].startswith("Out[") else "output"
            holders.append(Holder(clip_text(", ".join(labels), 60), type_name(obj), size, kind))
            obj = None
        objs.clear()
        holders.sort(key=lambda h: -(h.size or 0))
        return tuple(holders[:self.top])

    def _own(self) -> list:
        """The recorder and what it keeps (records, the running cell's figures); what only
        these hold (strings, numbers) is then not found by a heap walk either."""
        own: list = [self, self.records, self._reader, self._pending]
        if self._pending is not None:
            own.append(self._pending.get("names"))
        for record in list(self.records):
            own.extend((record, record.top_types, record.holders))
            own.extend(record.top_types)
            own.extend(record.holders)
        return own


def _own_objects() -> list:
    own: list = [_LIVE, _LIVE.data]
    for thing in list(_LIVE):
        own.extend(thing._own())
    return [o for o in own if o is not None]


register_own(_own_objects)
