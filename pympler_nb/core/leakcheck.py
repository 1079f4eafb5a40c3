"""Does this code leak? Run it several times and see what grows on every run.

:func:`leak_check` runs a callable ``warmup`` times (caches fill) and then ``runs``
times, and after each run summarizes the heap by type with the tracker engine
(:class:`~pympler_nb.core.tracker.SummaryTracker`: our own objects, the interactive
session's per-cell bookkeeping and the Jupyter kernel's background objects are left out,
as in every tracker diff; a collection runs first, so only what survives ``gc.collect()``
counts; frames are counted, so a stored traceback's frames and their locals are too).
With ``trace=True`` a second, traced pass follows (one more warm-up run and ``runs`` runs
under tracemalloc, which makes heap walks several times slower and so is off during the
first pass): the memory still allocated per source line after each run, charged to the
lines of ``site_file`` (the cell) when given (an allocation made inside a library is
charged to the cell line that called it), and where the leaking types' new objects were
born.

For every type (and traced line) that changed, the per-run growth is the slope of a
least-squares fit of its running total over the runs, in objects and bytes, and the
verdict reads the per-run changes:

* ``"leak"``: it grew on **every** run (steady growth);
* ``"cache"``: it grew, then stopped growing for good (a cache that saturates);
* ``"noise"``: growth that stops and restarts, or alternates with shrinking
  (resizing tables, free lists, counters);
* ``"shrinks"``: it only shrank.

For the leaking types (the ``top`` largest by bytes per run) the report adds a sample of
the objects created in the **last** run and still alive: ids found by a heap walk before
and after that run (no object is kept: the samples are held only while the holder search
runs), where they were born (the allocating line, with ``trace``), what holds them (the
shortest holder chain in notebook terms, :func:`~pympler_nb.core.whyalive.why_alive`)
and the bytes that releasing it frees.

>>> from pympler_nb.core.leakcheck import leak_check
>>> store = []
>>> def step():
...     store.extend({} for _ in range(1000))
>>> report = leak_check(step, runs=3)
>>> row = report.row("dict")
>>> row.verdict, round(row.per_run_count)
('leak', 1000)
>>> "store" in row.holder
True
>>> del store[:]

Standard library only.
"""

from __future__ import annotations

import fnmatch
import linecache
import types
import weakref

from ._format import format_size
from .alloc_sites import object_frames, site_label
from .objwalk import walk_heap
from .session import own_objects, register_own
from .summary import row_key_function
from .values import Frozen, check_int

__all__ = ["leak_check", "LeakReport", "LeakRow", "LeakSample", "VERDICTS", "classify", "slope"]

#: the verdicts, most alarming first
VERDICTS = ("leak", "cache", "noise", "shrinks")
_ORDER = {v: i for i, v in enumerate(VERDICTS)}
_TRACE_FRAMES = 25  # deep enough to charge a library's allocation to the cell line that called it


# ---------------------------------------------------------------------------
# the arithmetic
# ---------------------------------------------------------------------------

def slope(deltas) -> float:
    """Per-run growth: the least-squares slope of the running total ``0, d1, d1+d2, ...``
    over the runs ``0, 1, 2, ...`` (0.0 with no run).

    >>> slope([1000, 1000, 1000]), slope([10, 0, 0])
    (1000.0, 3.0)
    """
    n = len(deltas)
    if n == 0:
        return 0.0
    ys = [0]
    for d in deltas:
        ys.append(ys[-1] + d)
    xm = n / 2
    ym = sum(ys) / (n + 1)
    num = sum((x - xm) * (y - ym) for x, y in enumerate(ys))
    den = sum((x - xm) ** 2 for x in range(n + 1))
    return round(num / den, 6)


def classify(deltas) -> str | None:
    """The verdict for per-run changes ``deltas`` (None if nothing changed).

    >>> classify([5, 5, 6]), classify([9, 0, 0]), classify([1, -1, 1]), classify([0, 3, 0, 3])
    ('leak', 'cache', 'noise', 'noise')
    >>> classify([0, -4, 0]), classify([0, 0, 0]) is None
    ('shrinks', True)
    """
    deltas = list(deltas)
    if not any(deltas):
        return None
    if all(d > 0 for d in deltas):
        return "leak"
    if all(d <= 0 for d in deltas):
        return "shrinks"
    if any(d < 0 for d in deltas):
        return "noise"
    last = max(i for i, d in enumerate(deltas) if d > 0)
    first = min(i for i, d in enumerate(deltas) if d > 0)
    if last < len(deltas) - 1 and all(deltas[first:last + 1]):
        return "cache"  # grew on consecutive runs, then stopped for good
    return "noise"


def _series(counts, sizes) -> tuple:
    """What the verdict reads: the counts, or the bytes when the count never changes (a
    buffer that is extended in place)."""
    return counts if any(counts) else sizes


# ---------------------------------------------------------------------------
# result records
# ---------------------------------------------------------------------------

class LeakSample(Frozen):
    """One object created in the last run and still alive: its id, where objects like it
    are born (``"cell [4], line 3: cache[k] = load(k)"``: the allocating line of an object
    of the same type made by the traced pass and still alive; None when not traced), what
    holds it
    (the shortest holder chain, ``"_cache['k']"``; None when no chain from a root was
    found), where that chain starts (``"IPython namespace"``), the action that releases
    it and the bytes that frees (None when not computed)."""

    __slots__ = ("id", "type", "born", "holder", "root", "action", "releasable_bytes", "needs_collect")

    def __init__(self, id, type, born, holder, root, action, releasable_bytes, needs_collect=False):
        self._set(id=id, type=type, born=born, holder=holder, root=root, action=action,
                  releasable_bytes=releasable_bytes, needs_collect=bool(needs_collect))

    def _with_born(self, born: str | None) -> "LeakSample":
        return LeakSample(self.id, self.type, born, self.holder, self.root, self.action,
                          self.releasable_bytes, self.needs_collect)

    def __repr__(self):
        return f"<LeakSample {self.type} at {self.id:#x} held by {self.holder!r}>"


class LeakRow(Frozen):
    """One type (``kind="type"``) or one traced allocation site (``kind="site"``).

    ``counts``/``sizes``: its change on each run (objects/bytes; for a site: memory
    blocks and bytes still allocated by that line); ``per_run_count``/``per_run_bytes``:
    the fitted growth per run (:func:`slope`); ``verdict``: see :data:`VERDICTS`;
    ``samples``: :class:`LeakSample` of the objects created in the last run (leaking
    types only); ``holder``/``born``/``releasable_bytes``: those of the first sample.
    """

    __slots__ = ("kind", "type", "site", "counts", "sizes", "per_run_count", "per_run_bytes",
                 "verdict", "samples")

    def __init__(self, kind, type, site, counts, sizes, samples=()):
        counts, sizes = tuple(counts), tuple(sizes)
        self._set(kind=kind, type=type, site=site, counts=counts, sizes=sizes,
                  per_run_count=slope(counts), per_run_bytes=slope(sizes),
                  verdict=classify(_series(counts, sizes)) or "noise", samples=tuple(samples))

    def _with_samples(self, samples) -> "LeakRow":
        return LeakRow(self.kind, self.type, self.site, self.counts, self.sizes, samples)

    def _with_born(self, born: str | None) -> "LeakRow":
        return self._with_samples(s._with_born(born) for s in self.samples)

    @property
    def holder(self) -> str | None:
        return self.samples[0].holder if self.samples else None

    @property
    def born(self) -> str | None:
        return self.samples[0].born if self.samples else None

    @property
    def releasable_bytes(self) -> int | None:
        return self.samples[0].releasable_bytes if self.samples else None

    @property
    def name(self) -> str:
        return self.type if self.kind == "type" else self.site

    def __repr__(self):
        return (f"<LeakRow {self.kind} {self.name!r}: {self.verdict}, {self.per_run_count:+g} objects, "
                f"{format_size(round(self.per_run_bytes), sign=True)} per run>")


class LeakReport(Frozen):
    """What :func:`leak_check` found.

    ``rows``: every type and traced site that changed, leaks first (largest bytes per
    run first); ``runs``/``warmup``: as asked; ``runs_done``: measured runs completed
    (fewer when the code raised or was interrupted); ``traced``: whether allocation
    sites were traced; ``error``: the exception that stopped the runs (only with
    ``errors="return"``), else None; ``stopped``: ``"run 3 raised ValueError"``-style
    text or None.
    """

    __slots__ = ("rows", "runs", "warmup", "runs_done", "traced", "error", "stopped")

    def __init__(self, rows, runs, warmup, runs_done, traced, error=None, stopped=None):
        self._set(rows=tuple(rows), runs=runs, warmup=warmup, runs_done=runs_done,
                  traced=bool(traced), error=error, stopped=stopped)

    @property
    def leaks(self) -> tuple:
        """The rows whose verdict is ``"leak"``: types first, then sites."""
        return tuple(r for r in self.rows if r.verdict == "leak")

    def row(self, name: str, kind: str = "type") -> LeakRow | None:
        """The row of type ``name`` (``kind="site"``: of that site label), or None."""
        for r in self.rows:
            if r.kind == kind and r.name == name:
                return r
        return None

    @property
    def leak_bytes(self) -> float:
        """Bytes per run that the leaking types grow by together (flat sizes, fitted)."""
        return sum(r.per_run_bytes for r in self.rows if r.kind == "type" and r.verdict == "leak")

    @property
    def verdict(self) -> str:
        """One line: ``"leaks ~2.1 MiB per run: +1000 dict per run, born at cell [3], line
        2, held by _cache['k']"`` or ``"no leak: nothing grew on every one of 5 runs"``."""
        done = self.runs_done
        tail = f" (stopped: {self.stopped})" if self.stopped else ""
        if done < 2:
            return (f"no verdict: {done} of {self.runs} run(s) measured, at least 2 are "
                    f"needed{tail}")
        types = [r for r in self.rows if r.kind == "type" and r.verdict == "leak"]
        if not types:
            sites = [r for r in self.rows if r.kind == "site" and r.verdict == "leak"]
            if sites:
                s = sites[0]
                return (f"leaks ~{format_size(round(s.per_run_bytes))} per run of traced memory "
                        f"allocated at {s.site} (no Python object type grows on every run){tail}")
            return f"no leak: nothing grew on every one of {done} runs{tail}"
        top = max(types, key=lambda r: (r.per_run_bytes, r.per_run_count))
        text = (f"leaks ~{format_size(round(self.leak_bytes))} per run: "
                f"{top.per_run_count:+,.0f} {top.type} per run")
        if top.born:
            text += f", born at {top.born}"
        if top.holder:
            text += f", held by {top.holder}"
            if top.samples[0].root:
                text += f" ({top.samples[0].root})"
        elif top.samples:
            text += ", held by no chain from a root (a reference cycle or C code)"
        if len(types) > 1:
            text += f"; {len(types) - 1} more type(s) leak"
        return text + tail

    def __str__(self):
        return self.verdict

    def __repr__(self):
        return (f"<LeakReport {self.runs_done}/{self.runs} runs, {len(self.leaks)} leaking row(s): "
                f"{self.verdict!r}>")


# ---------------------------------------------------------------------------
# our own state (left out of every heap walk)
# ---------------------------------------------------------------------------

class _State:
    """What one :func:`leak_check` keeps while it runs: per-run rows (tuples of strings
    and ints), the traced sites per run and the ids before the last run."""

    __slots__ = ("diffs", "sites", "before", "__weakref__")

    def __init__(self) -> None:
        self.diffs: list = []
        self.sites: list = []
        self.before: set = set()


_LIVE: weakref.WeakSet = weakref.WeakSet()


def _own() -> list:
    own: list = [_LIVE, _LIVE.data]
    for state in list(_LIVE):
        own.extend((state, state.diffs, state.sites, state.before))
        own.extend(state.diffs)
        own.extend(state.sites)
    return own


register_own(_own)


# ---------------------------------------------------------------------------
# the engine
# ---------------------------------------------------------------------------

def _site_totals(pattern: str | None) -> tuple:
    """``((filename, lineno, size, count), ...)``: memory still allocated per line now
    (tracemalloc, our own allocations left out), charged to ``pattern``'s lines."""
    from . import allocations

    snap = allocations.take_snapshot()
    stats = snap.statistics("lineno", filename=pattern)
    del snap
    out = tuple((s.filename, s.lineno, s.size, s.count) for s in stats)
    del stats
    return out


def _walk_objects(keys: set, skip_ids: set, limit: int, accept=None) -> dict:
    """``{row key: [objects]}``: live objects whose summary row key is in ``keys``, whose
    id is not in ``skip_ids`` and (if given) for which ``accept(obj)`` is true, at most
    ``limit`` per key (``limit`` 0: the ids of all of them, ``{key: [ids]}``).

    The heap walk of the trackers (our own objects left out); the row key is computed
    once per type, except for the types whose summary rows name each object
    (``function (name)``, ``frame (codename: ...)``, modules).
    """
    own = own_objects()
    skip = {id(o): o for o in own}
    del own
    key = row_key_function()
    per_type: dict = {}
    found: dict = {k: [] for k in keys}
    for obj in (skip, per_type, found, keys, skip_ids, *found.values()):  # ours: never listed
        skip[id(obj)] = obj
    obj = None
    for part in walk_heap(True, True, skip=skip):  # (frames too, as the summaries)
        for obj in part.objects:
            t = type(obj)
            k = per_type.get(t, 0)
            if k == 0:
                k0 = key(obj)
                if t in _NAMED_ROWS or k0.startswith(("function (", "frame (")):
                    # keys vary per object: asked per object, if any key can match
                    prefix = k0.split("(", 1)[0] if "(" in k0 else None
                    k = None if prefix is None or any(w.startswith(prefix) for w in keys) else ""
                else:
                    k = k0 if k0 in keys else ""
                per_type[t] = k
            if k is None:
                k = key(obj)
                if k not in keys:
                    continue
            elif not k:
                continue
            if skip_ids and id(obj) in skip_ids:
                continue
            bucket = found[k]
            if limit == 0:
                bucket.append(id(obj))
            elif len(bucket) < limit and (accept is None or accept(obj)):
                bucket.append(obj)
        obj = None
        del part
    skip.clear()
    return found


_NAMED_ROWS = (types.FunctionType, types.FrameType, types.ModuleType)


def _born(obj, pattern: str | None, strict: bool = False) -> str | None:
    """Where ``obj`` was allocated: ``"cell [4], line 3: code"`` (the most recent frame in
    ``pattern``'s file, else the most recent frame outside pympler_nb), or None when it
    was not traced (``strict``: None also when no frame is in ``pattern``'s file)."""
    frames = object_frames(obj)
    if not frames:
        return None
    chosen = None
    if pattern is not None:
        chosen = next((f for f in frames if fnmatch.fnmatch(f[0], pattern)), None)
        if chosen is None and strict:
            return None
    if chosen is None:
        chosen = next((f for f in frames if "pympler_nb" not in f[0]), frames[0])
    filename, lineno = chosen
    code = linecache.getline(filename, lineno).strip()
    label = site_label(filename, lineno)
    return f"{label}: {code}" if code else label


def _sample(obj, row_type: str) -> LeakSample:
    from .whyalive import why_alive

    born = None  # (the untraced pass: the traced pass fills it in)
    try:
        found = why_alive(obj, max_chains=3, collect=False)
    except Exception:  # noqa: BLE001 - a hostile object: no holder, still reported
        return LeakSample(id(obj), row_type, born, None, None, None, None)
    if not found.chains:
        return LeakSample(id(obj), row_type, born, None, None, None, None)
    chain = found.chains[0]
    plan = "; ".join(a.text for a in found.plan) or chain.action.text
    return LeakSample(id(obj), row_type, born, chain.path, chain.root, plan,
                      found.releasable_bytes, found.needs_collect)


def _type_rows(diffs: list) -> list[LeakRow]:
    n = len(diffs)
    table: dict = {}
    for j, rows in enumerate(diffs):
        for name, count, size in rows:
            slot = table.get(name)
            if slot is None:
                slot = table[name] = ([0] * n, [0] * n)
            slot[0][j] += count
            slot[1][j] += size
    return [LeakRow("type", name, None, c, s) for name, (c, s) in table.items() if any(c) or any(s)]


def _site_rows(sites: list) -> list[LeakRow]:
    n = len(sites) - 1
    table: dict = {}
    for j, totals in enumerate(sites):
        for filename, lineno, size, count in totals:
            slot = table.get((filename, lineno))
            if slot is None:
                slot = table[(filename, lineno)] = ([0] * (n + 1), [0] * (n + 1))
            slot[0][j] = count
            slot[1][j] = size
    out = []
    for (filename, lineno), (c, s) in table.items():
        dc = [c[j + 1] - c[j] for j in range(n)]
        ds = [s[j + 1] - s[j] for j in range(n)]
        if not (any(dc) or any(ds)):
            continue
        code = linecache.getline(filename, lineno).strip()
        label = site_label(filename, lineno) + (f": {code}" if code else "")
        out.append(LeakRow("site", None, label, dc, ds))
    return out


def _sort_key(r: LeakRow):
    return (r.kind != "type", _ORDER[r.verdict], -r.per_run_bytes, -r.per_run_count, r.name or "")


def leak_check(run, *, runs: int = 5, warmup: int = 1, trace: bool = False, top: int = 10,
               site_file: str | None = None, samples: int = 3, errors: str = "raise") -> LeakReport:
    """Run ``run()`` ``warmup`` + ``runs`` times and report what grows on every run.

    Parameters
    ----------
    run : callable
        Called with no arguments, once per run (``%%leakcheck`` passes one that runs the
        cell in the user's namespace).
    runs : int
        Measured runs (at least 2: a growth rate needs two).
    warmup : int
        Runs before the first measurement, not measured: caches fill.
    trace : bool
        Also trace allocations (tracemalloc, 25 frames deep when it is started here;
        stopped again at the end) and report per-line growth and where samples were born.
    top : int
        Leaking types that get samples and a holder search (the largest by bytes per run).
    site_file : str, optional
        The file whose lines allocations are charged to (the cell's file): a trace is
        counted on its most recent frame in that file; traces without one are left out
        of the sites.  None: the line that allocated.
    samples : int
        Objects sampled per leaking type (the first gets the holder search).
    errors : "raise" or "return"
        When ``run`` raises (or is interrupted) on some run: the runs done are reported
        and the exception is re-raised with the report's verdict as a note (``"raise"``)
        or returned as :attr:`LeakReport.error` (``"return"``).

    Returns
    -------
    LeakReport
    """
    if not callable(run):
        raise TypeError(f"leak_check(run): run must be a callable taking no arguments, got {run!r}")
    check_int(runs, "runs", 2, meaning="measured runs; a growth rate needs two")
    check_int(warmup, "warmup", 0)
    check_int(top, "top", 1)
    check_int(samples, "samples", 1)
    if errors not in ("raise", "return"):
        raise ValueError(f"errors must be 'raise' or 'return', got {errors!r}")
    if site_file is not None and not isinstance(site_file, str):
        raise TypeError(f"site_file must be a file name (str) or None, got {site_file!r}")
    from .tracker import SummaryTracker

    pattern = None if site_file is None else _escape(site_file)
    state = _State()
    _LIVE.add(state)
    failure: list = []  # [(exception, where)] of the first failure
    done = 0
    rows: list = []
    try:
        phase = "warm-up run"
        try:
            for i in range(warmup):
                phase = f"warm-up run {i + 1}"
                run()
            phase = "the first measurement"
            tracker = SummaryTracker(frames=True)  # (a stored traceback's frames hold its locals)
            for j in range(runs):
                if j == runs - 1:
                    phase = "the walk before the last run"
                    cand = _candidates(state.diffs)
                    state.before = set()
                    for ids in _walk_objects(cand, set(), 0).values():
                        state.before.update(ids)
                    ids = cand = None  # (a list of ids in a local would be counted)
                phase = f"run {j + 1}"
                run()
                phase = f"the measurement after run {j + 1}"
                diff = tracker.diff()
                state.diffs.append(tuple(map(tuple, diff)))
                del diff
                done = j + 1
            del tracker
        except BaseException as exc:  # noqa: BLE001 - reported with the runs done, then re-raised
            failure.append((exc, phase))
            del exc
        rows = _type_rows(state.diffs)
        rows.sort(key=_sort_key)
        # (a type that grows in bytes only, a list appended to, has no new objects to show)
        leaking = [r for r in rows if r.kind == "type" and r.verdict == "leak" and any(r.counts)][:top]
        if leaking and not failure:
            try:
                found = _walk_objects({r.type for r in leaking}, state.before, samples)
                state.before.clear()
                rows = [_with_samples(r, found) if r in leaking else r for r in rows]
            except KeyboardInterrupt as exc:  # the holder search is ours: report without it
                failure.append((exc, "the holder search"))
                del exc
            finally:
                found = None
        state.before.clear()
        if trace and not failure:
            rows = _traced_runs(run, runs, pattern, rows, leaking, state, failure)
    finally:
        _LIVE.discard(state)
    error, stopped = (None, None)
    if failure:
        error, where = failure[0]
        stopped = (f"interrupted during {where}" if isinstance(error, KeyboardInterrupt)
                   else f"{where} raised {type(error).__name__}")
    failure.clear()
    report = LeakReport(rows, runs, warmup, done, trace, error if errors == "return" else None, stopped)
    if error is not None and errors == "raise":
        try:
            error.add_note(f"leak_check: {report.verdict}")
        except Exception:  # noqa: BLE001 - (an exception that refuses notes)
            pass
        raise error
    return report


def _traced_runs(run, runs: int, pattern: str | None, rows: list, leaking: list,
                 state: _State, failure: list) -> list:
    """The traced pass of :func:`leak_check`: one more warm-up run and ``runs`` runs under
    tracemalloc (started here, 25 frames deep, unless it traces already), the memory
    still allocated per line after each; then where the leaking types' objects made by
    these runs were born. Tracing is off during the heap summaries of the first pass
    (tracemalloc makes a heap walk several times slower)."""
    from . import allocations

    started = False
    if not allocations.is_tracing():
        allocations.start(_TRACE_FRAMES)
        started = True
    phase = "the traced warm-up run"
    try:
        try:
            run()
            state.sites.append(_site_totals(pattern))
            for j in range(runs):
                phase = f"traced run {j + 1}"
                run()
                phase = f"the measurement after traced run {j + 1}"
                state.sites.append(_site_totals(pattern))
        except BaseException as exc:  # noqa: BLE001 - reported with the runs done
            failure.append((exc, phase))
            del exc
        rows = rows + _site_rows(state.sites)
        rows.sort(key=_sort_key)
        if leaking and not failure:
            def traced_here(obj) -> bool:
                return _born(obj, pattern, strict=True) is not None

            found = _walk_objects({r.type for r in leaking}, set(), 1, traced_here)
            born = {k: _born(objs[0], pattern) for k, objs in found.items() if objs}
            found = None
            rows = [r._with_born(born.get(r.type)) if r.kind == "type" and r.samples else r
                    for r in rows]
    finally:
        if started:
            allocations.stop()
    return rows


def _with_samples(row: LeakRow, found: dict) -> LeakRow:
    objs = found.get(row.type) or []
    out = []
    for i, obj in enumerate(objs):
        if i == 0:
            out.append(_sample(obj, row.type))
        else:
            out.append(LeakSample(id(obj), row.type, None, None, None, None, None))
    del objs[:]
    return row._with_samples(out)


def _candidates(diffs: list) -> set:
    """Row keys that grew on every run so far (a superset of the leaks of the last run)."""
    return {r.type for r in _type_rows(diffs) if r.verdict == "leak"}


def _escape(filename: str) -> str:
    import glob

    return glob.escape(filename)
