"""Memory of this process as the operating system sees it (drop-in for ``pympler.process``).

:class:`ProcessMemoryInfo` reads the numbers through `psutil <https://psutil.readthedocs.io>`_
(imported lazily, on first use) instead of parsing ``ps`` output, and adds what
notebook users ask about and Pympler does not give:

- **PSS and USS** (proportional and unique set size: memory shared with other
  processes is split, or left out) and **swap**, where the OS reports them;
- the **container memory limit** and usage of the cgroup (v1 or v2) the process
  runs in, when one applies (``None`` when there is no limit).

Without psutil it falls back to ``/proc`` and the ``resource`` module and says so
in :attr:`ProcessMemoryInfo.os_specific` (``('Memory source', ...)``).

>>> from pympler_nb.core.process import ProcessMemoryInfo
>>> pmi = ProcessMemoryInfo()
>>> pmi.available and pmi.rss > 0 and pmi.vsz >= pmi.rss
True
"""

from __future__ import annotations

import mmap
import os
import sys
import threading
from typing import Any

from ._format import clip_text, pp, type_name
from .values import Frozen, check_int

__all__ = [
    "ProcessMemoryInfo",
    "ThreadInfo",
    "is_available",
    "get_current_threads",
    "get_current_thread_id",
    "current_rss",
    "frame_local",
    "ProcessOverview",
    "process_overview",
    "Segment",
    "memory_segments",
    "FrameInfo",
    "ThreadStack",
    "thread_stacks",
    "LocalVar",
    "frame_locals",
    "RssReader",
    "memory_limit",
]

# Pympler's labels for the Linux /proc/self/status fields it reports.
_STATUS_LABELS = {
    "VmPeak": "Peak virtual memory size",
    "VmSize": "Virtual memory size",
    "VmLck": "Locked memory size",
    "VmHWM": "Peak resident set size",
    "VmRSS": "Resident set size",
    "VmStk": "Size of stack segment",
    "VmData": "Size of data segment",
    "VmExe": "Size of code segment",
    "VmLib": "Shared library code size",
    "VmPTE": "Page table entries size",
    "VmSwap": "Swap",
}
_UNLIMITED = 1 << 62  # cgroup v1 writes PAGE_COUNTER_MAX (~2**63) for "no limit"

#: The metrics :meth:`ProcessMemoryInfo.as_dict` reports, in bytes (None: not available here).
BYTE_METRICS = ("rss", "vsz", "pss", "uss", "swap", "peak_rss", "data_segment",
                "code_segment", "shared_segment", "stack_segment", "container_limit",
                "container_usage")


def _psutil() -> Any:
    """The psutil module, or None if it is not installed (imported on first use)."""
    try:
        import psutil
    except ImportError:
        return None
    return psutil


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def _read_int(path: str) -> int | None:
    text = _read(path)
    if text is None:
        return None
    text = text.strip()
    if not text or text == "max":
        return None
    try:
        return int(text.split()[0])
    except ValueError:
        return None


def _proc_status(proc_root: str = "/proc") -> dict[str, int]:
    """``/proc/self/status`` sizes in bytes, keyed ``'VmRSS'`` etc. (empty if unavailable)."""
    text = _read(os.path.join(proc_root, "self", "status"))
    sizes: dict[str, int] = {}
    if text is None:
        return sizes
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        parts = value.split()
        if len(parts) == 2 and parts[1] == "kB" and parts[0].isdigit():
            sizes[key] = int(parts[0]) * 1024
    return sizes


def _smaps_rollup(proc_root: str = "/proc") -> dict[str, int]:
    """``/proc/self/smaps_rollup`` sizes in bytes (``Pss``, ``Private_Dirty``, ...)."""
    text = _read(os.path.join(proc_root, "self", "smaps_rollup"))
    sizes: dict[str, int] = {}
    if text is None:
        return sizes
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        parts = value.split()
        if sep and len(parts) == 2 and parts[1] == "kB" and parts[0].isdigit():
            sizes[key] = int(parts[0]) * 1024
    return sizes


def container_memory(proc_root: str = "/proc",
                     cgroup_root: str = "/sys/fs/cgroup") -> tuple[int | None, int | None, str | None]:
    """The memory limit and usage of this process's cgroup: ``(limit, usage, 'v1'|'v2'|None)``.

    The limit is the smallest one set on the process's cgroup or any ancestor
    (``None``: no limit); usage is the cgroup's current charge.  Works for cgroup
    v2 (``memory.max``/``memory.current``) and the v1 memory controller
    (``memory.limit_in_bytes``/``memory.usage_in_bytes``).  The roots are
    parameters so that tests can point them at a fake tree.
    """
    text = _read(os.path.join(proc_root, "self", "cgroup"))
    if text is None:
        return None, None, None
    v1_path = v2_path = None
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":
            v2_path = path
        elif "memory" in controllers.split(","):
            v1_path = path
    if v1_path is not None and os.path.isdir(os.path.join(cgroup_root, "memory")):
        return _walk_cgroup(os.path.join(cgroup_root, "memory"), v1_path,
                            "memory.limit_in_bytes", "memory.usage_in_bytes") + ("v1",)
    if v2_path is not None and os.path.exists(os.path.join(cgroup_root, "cgroup.controllers")):
        return _walk_cgroup(cgroup_root, v2_path, "memory.max", "memory.current") + ("v2",)
    return None, None, None


def _walk_cgroup(base: str, path: str, limit_file: str,
                 usage_file: str) -> tuple[int | None, int | None]:
    """Smallest limit from the cgroup directory of ``path`` up to ``base``; its usage."""
    rel = path.strip("/")
    directory = os.path.join(base, rel) if rel else base
    if not os.path.isdir(directory):  # inside a cgroup namespace the path is relative to base
        directory = base
    base = os.path.normpath(base)
    directory = os.path.normpath(directory)
    limit: int | None = None
    usage: int | None = None
    while True:
        value = _read_int(os.path.join(directory, limit_file))
        if value is not None and value < _UNLIMITED and (limit is None or value < limit):
            limit = value
        if usage is None:
            usage = _read_int(os.path.join(directory, usage_file))
        if directory == base or len(directory) <= len(base):
            break
        directory = os.path.dirname(directory)
    return limit, usage


class ProcessMemoryInfo:
    """Memory of the current process, in bytes.

    Attributes (Pympler's): ``pid``, ``rss`` (resident set size), ``vsz``
    (virtual size), ``pagefaults`` (major page faults, a count), ``data_segment``,
    ``code_segment``, ``shared_segment``, ``stack_segment``, ``os_specific``
    (``[(label, text), ...]``), ``available`` (whether :meth:`update` worked) and
    the class attribute ``pagesize``.

    Added: ``pss``, ``uss``, ``swap``, ``peak_rss``, ``container_limit``,
    ``container_usage`` (``None`` where the OS does not tell) and ``source``
    (where the numbers came from).  Subtracting two snapshots gives Pympler's
    ``[('Resident set size (delta)', n), ('Virtual size (delta)', n)]``.

    >>> a = ProcessMemoryInfo()
    >>> [label for label, _ in a - a]
    ['Resident set size (delta)', 'Virtual size (delta)']
    """

    __slots__ = ("pid", "rss", "vsz", "pagefaults", "data_segment", "code_segment",
                 "shared_segment", "stack_segment", "os_specific", "available", "pss", "uss",
                 "swap", "peak_rss", "container_limit", "container_usage", "cgroup", "source")

    pagesize = mmap.PAGESIZE

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.rss = 0
        self.vsz = 0
        self.pagefaults = 0
        self.data_segment = 0
        self.code_segment = 0
        self.shared_segment = 0
        self.stack_segment = 0
        self.os_specific: list[tuple[str, str]] = []
        self.pss: int | None = None
        self.uss: int | None = None
        self.swap: int | None = None
        self.peak_rss: int | None = None
        self.container_limit: int | None = None
        self.container_usage: int | None = None
        self.cgroup: str | None = None
        self.source = ""
        self.available = self.update()

    def __repr__(self) -> str:
        return "<ProcessMemoryInfo vsz=%d rss=%d>" % (self.vsz, self.rss)

    def __sub__(self, other: object) -> list[tuple[str, int]]:
        if not isinstance(other, ProcessMemoryInfo):
            return NotImplemented
        return [("Resident set size (delta)", self.rss - other.rss),
                ("Virtual size (delta)", self.vsz - other.vsz)]

    def as_dict(self) -> dict[str, int | None]:
        """The byte metrics (:data:`BYTE_METRICS`) by name; ``None`` where unavailable."""
        return {name: getattr(self, name) for name in BYTE_METRICS}

    def update(self, proc_root: str = "/proc", cgroup_root: str = "/sys/fs/cgroup") -> bool:
        """Read the numbers again; True if the OS gave at least RSS and virtual size.

        ``proc_root``/``cgroup_root`` are for tests (a fake ``/proc`` tree).
        """
        self.os_specific = []
        psutil = _psutil()
        ok = False
        if psutil is not None:
            ok = self._from_psutil(psutil)
            self.source = "psutil %s" % psutil.__version__
        if not ok:
            ok = self._from_proc(proc_root)
            self.source = ("procfs + resource (psutil not installed)" if psutil is None
                           else "procfs + resource (psutil failed)")
        if not ok:
            ok = self._from_resource()
            self.source = "resource (peak RSS only: psutil not installed, no /proc)"
        status = _proc_status(proc_root)
        if status:
            self.data_segment = status.get("VmData", self.data_segment)
            self.code_segment = status.get("VmExe", self.code_segment)
            self.shared_segment = status.get("VmLib", self.shared_segment)
            self.stack_segment = status.get("VmStk", self.stack_segment)
            if self.peak_rss is None:
                self.peak_rss = status.get("VmHWM")
            if self.swap is None:
                self.swap = status.get("VmSwap")
            for key, label in _STATUS_LABELS.items():
                if key in status:
                    self.os_specific.append((label, pp(status[key])))
        self.pagefaults = self._major_faults(psutil)
        limit, usage, version = container_memory(proc_root, cgroup_root)
        self.container_limit, self.container_usage, self.cgroup = limit, usage, version
        for label, value in (("Proportional set size", self.pss), ("Unique set size", self.uss),
                             ("Container memory limit", limit),
                             ("Container memory usage", usage)):
            if value is not None:
                self.os_specific.append((label, pp(value)))
        if version is not None:
            self.os_specific.append(("Container cgroup", version))
        self.os_specific.append(("Memory source", self.source))
        return ok

    def _from_psutil(self, psutil: Any) -> bool:
        try:
            proc = psutil.Process(self.pid)
            with proc.oneshot():
                info = proc.memory_info()
                try:
                    full = proc.memory_full_info()
                except (psutil.Error, OSError, NotImplementedError):
                    full = None
        except (psutil.Error, OSError):
            return False
        self.rss = int(info.rss)
        self.vsz = int(info.vms)
        self.code_segment = int(getattr(info, "text", 0))
        self.data_segment = int(getattr(info, "data", 0))
        self.shared_segment = int(getattr(info, "shared", 0))
        peak = getattr(info, "peak_wset", None)  # Windows
        if peak is not None:
            self.peak_rss = int(peak)
        if full is not None:
            for name in ("uss", "pss", "swap"):
                value = getattr(full, name, None)
                if value is not None:
                    setattr(self, name, int(value))
        return self.rss > 0

    def _from_proc(self, proc_root: str) -> bool:
        text = _read(os.path.join(proc_root, "self", "statm"))
        if text is None:
            return False
        fields = text.split()
        try:
            size, resident, shared, code = (int(x) for x in fields[:4])
            data = int(fields[5])
        except (ValueError, IndexError):
            return False
        page = self.pagesize
        self.vsz, self.rss = size * page, resident * page
        self.shared_segment, self.code_segment, self.data_segment = (
            shared * page, code * page, data * page)
        rollup = _smaps_rollup(proc_root)
        if "Pss" in rollup:
            self.pss = rollup["Pss"]
        if "Private_Clean" in rollup or "Private_Dirty" in rollup:
            self.uss = rollup.get("Private_Clean", 0) + rollup.get("Private_Dirty", 0)
        if "Swap" in rollup:
            self.swap = rollup["Swap"]
        return self.rss > 0

    def _from_resource(self) -> bool:
        try:
            import resource
        except ImportError:  # Windows without psutil
            return False
        usage = resource.getrusage(resource.RUSAGE_SELF)
        scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
        self.rss = self.peak_rss = usage.ru_maxrss * scale
        return self.rss > 0

    def _major_faults(self, psutil: Any) -> int:
        try:
            import resource
        except ImportError:
            resource = None  # type: ignore[assignment]
        if resource is not None:
            return int(resource.getrusage(resource.RUSAGE_SELF).ru_majflt)
        if psutil is not None:  # Windows: all page faults
            try:
                return int(getattr(psutil.Process(self.pid).memory_info(), "num_page_faults", 0))
            except (psutil.Error, OSError):
                return 0
        return 0


def current_rss() -> int:
    """The resident set size now, in bytes, read as cheaply as the OS allows
    (:class:`RssReader`; where that has only the peak, a full :class:`ProcessMemoryInfo`);
    0 if unknown."""
    with RssReader() as read:
        if read.source != "resource":
            return read()
    info = ProcessMemoryInfo()
    return info.rss if info.available else 0


def is_available() -> bool:
    """Whether process memory can be read on this platform."""
    return ProcessMemoryInfo().available


class ThreadInfo:
    """A running thread: ``ident``, ``name``, ``daemon``."""

    __slots__ = ("ident", "name", "daemon")

    def __init__(self, thread: threading.Thread) -> None:
        self.ident = thread.ident
        self.name = thread.name
        self.daemon = thread.daemon

    def __repr__(self) -> str:
        return "<ThreadInfo ident=%r name=%r daemon=%r>" % (self.ident, self.name, self.daemon)


def get_current_threads() -> list[ThreadInfo]:
    """A :class:`ThreadInfo` for each live thread (``threading.enumerate()``)."""
    return [ThreadInfo(thread) for thread in threading.enumerate()]


def get_current_thread_id() -> int:
    """The identifier of the calling thread (``threading.get_ident()``)."""
    return threading.get_ident()


# ---------------------------------------------------------------------------
# The dashboard's Process view: one overview record, memory segments, thread stacks,
# a frame's locals sized. Nothing here keeps a frame or a user object: records hold
# names, numbers and clipped text only.
class ProcessOverview(Frozen):
    """The process's memory at a glance, in bytes (``None``: the OS does not tell).

    ``rss``, ``vms``, ``pss``, ``uss``, ``swap``, ``peak_rss``, ``minor_faults`` and
    ``major_faults`` (counts since the process started), ``container_limit``,
    ``container_usage``, ``container_percent`` (usage, or RSS when the cgroup reports
    no usage, as a percentage of the limit), ``cgroup`` (``'v1'``/``'v2'``/None),
    ``threads`` (live Python threads), ``source`` (where the numbers come from).
    """

    __slots__ = ("rss", "vms", "pss", "uss", "swap", "peak_rss", "minor_faults", "major_faults",
                 "container_limit", "container_usage", "container_percent", "cgroup", "threads",
                 "source")

    def __init__(self, **fields) -> None:
        self._set(**fields)

    def as_dict(self) -> dict:
        """Every field by name."""
        return dict(zip(self.__slots__, self._values(self.__slots__)))

    def __repr__(self) -> str:
        return f"<ProcessOverview rss={self.rss} vms={self.vms} threads={self.threads}>"


def _faults() -> tuple[int | None, int | None]:
    try:
        import resource
    except ImportError:  # Windows
        return None, None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return int(usage.ru_minflt), int(usage.ru_majflt)


def process_overview(proc_root: str = "/proc",
                     cgroup_root: str = "/sys/fs/cgroup") -> ProcessOverview:
    """The numbers of the dashboard's Process tab now (:class:`ProcessOverview`).

    ``proc_root``/``cgroup_root`` are for tests (a fake tree), as in
    :meth:`ProcessMemoryInfo.update`.
    """
    info = ProcessMemoryInfo()
    if (proc_root, cgroup_root) != ("/proc", "/sys/fs/cgroup"):
        info.update(proc_root, cgroup_root)
    minor, major = _faults()
    if major is None:
        major = info.pagefaults
    limit, usage = info.container_limit, info.container_usage
    used = usage if usage is not None else info.rss
    percent = 100.0 * used / limit if limit else None
    return ProcessOverview(
        rss=info.rss, vms=info.vsz, pss=info.pss, uss=info.uss, swap=info.swap,
        peak_rss=info.peak_rss, minor_faults=minor, major_faults=major, container_limit=limit,
        container_usage=usage, container_percent=percent, cgroup=info.cgroup,
        threads=threading.active_count(), source=info.source)


class Segment(Frozen):
    """A group of memory mappings (``/proc/self/smaps``): ``name`` (``'[heap]'``,
    ``'[stack]'``, ``'[anonymous]'``, or a file's path), ``kind`` (``'heap'``, ``'stack'``,
    ``'anonymous'``, ``'file'``, ``'other'``), ``mappings`` (how many), and in bytes
    ``size`` (virtual), ``rss``, ``pss``, ``private`` (private clean + dirty), ``swap``."""

    __slots__ = ("name", "kind", "mappings", "size", "rss", "pss", "private", "swap")

    def __init__(self, name, kind, mappings, size, rss, pss, private, swap) -> None:
        self._set(name=name, kind=kind, mappings=mappings, size=size, rss=rss, pss=pss,
                  private=private, swap=swap)

    def __repr__(self) -> str:
        return f"<Segment {self.name!r} rss={self.rss} size={self.size}>"


_SMAPS_FIELDS = {"Size": 0, "Rss": 1, "Pss": 2, "Private_Clean": 3, "Private_Dirty": 3, "Swap": 4}


def _segment_kind(name: str) -> str:
    if name == "[heap]":
        return "heap"
    if name.startswith("[stack"):
        return "stack"
    if name == "[anonymous]":
        return "anonymous"
    if name.startswith("["):
        return "other"
    return "file"


def memory_segments(proc_root: str = "/proc") -> tuple:
    """The process's mappings grouped by what they map (``/proc/self/smaps``): a tuple
    of :class:`Segment`, largest RSS first; ``()`` where the OS has no smaps (macOS,
    Windows). Anonymous mappings (Python's arenas, numpy buffers, thread stacks, large
    ``malloc`` blocks) are one ``'[anonymous]'`` group; each file (a shared library, a
    memory-mapped data file) is its own group."""
    text = _read(os.path.join(proc_root, "self", "smaps"))
    if not text:
        return ()
    groups: dict[str, list[int]] = {}
    current: list[int] | None = None
    for line in text.splitlines():
        head, sep, rest = line.partition(":")
        if sep and head in _SMAPS_FIELDS and current is not None:
            parts = rest.split()
            if parts and parts[0].isdigit():
                current[_SMAPS_FIELDS[head] + 1] += int(parts[0]) * 1024
            continue
        fields = line.split(None, 5)
        if len(fields) >= 5 and "-" in fields[0] and len(fields[1]) == 4:  # a mapping's header
            name = fields[5].strip() if len(fields) == 6 else ""
            name = name or "[anonymous]"
            current = groups.setdefault(name, [0, 0, 0, 0, 0, 0])
            current[0] += 1
    segments = [Segment(name, _segment_kind(name), *values) for name, values in groups.items()]
    segments.sort(key=lambda s: (-s.rss, s.name))
    return tuple(segments)


class FrameInfo(Frozen):
    """One frame of a thread's stack: ``depth`` (0: the innermost), ``function``,
    ``filename``, ``lineno``, ``line`` (the source line, stripped; ``''`` if unknown),
    ``n_locals``, ``frame_id`` (``id`` of the frame when it was read: pass it back to
    :func:`frame_locals` to check it is still the same frame)."""

    __slots__ = ("depth", "function", "filename", "lineno", "line", "n_locals", "frame_id")

    def __init__(self, depth, function, filename, lineno, line, n_locals, frame_id) -> None:
        self._set(depth=depth, function=function, filename=filename, lineno=lineno, line=line,
                  n_locals=n_locals, frame_id=frame_id)

    def __repr__(self) -> str:
        return f"<FrameInfo {self.function}() {self.filename}:{self.lineno}>"


class ThreadStack(Frozen):
    """A live thread and its current stack: ``ident``, ``name``, ``daemon``,
    ``current`` (the calling thread), ``frames`` (tuple of :class:`FrameInfo`, innermost
    first; pympler_nb's own frames left out), ``truncated`` (more frames than asked)."""

    __slots__ = ("ident", "name", "daemon", "current", "frames", "truncated")

    def __init__(self, ident, name, daemon, current, frames, truncated) -> None:
        self._set(ident=ident, name=name, daemon=daemon, current=current, frames=tuple(frames),
                  truncated=truncated)

    def __repr__(self) -> str:
        return f"<ThreadStack {self.name!r} ident={self.ident} {len(self.frames)} frames>"


def _own(frame) -> bool:
    from .session import is_own_frame

    return is_own_frame(frame)


def _user_stack(frame, current: bool) -> list:
    """The frames of a stack, innermost first, without pympler_nb's frames at the top
    (the caller's own stack starts with ours)."""
    stack = []
    while frame is not None:
        stack.append(frame)
        frame = frame.f_back
    if current:
        while stack and _own(stack[0]):
            del stack[0]
    return stack


def _line_of(filename: str, lineno: int) -> str:
    import linecache

    try:
        return linecache.getline(filename, lineno).strip()
    except Exception:  # noqa: BLE001 - a loader may raise anything
        return ""


def _frame_info(depth: int, frame) -> FrameInfo:
    code = frame.f_code
    lineno = frame.f_lineno or 0
    return FrameInfo(depth, code.co_name, code.co_filename, lineno,
                     clip_text(_line_of(code.co_filename, lineno), 200),
                     code.co_nlocals + len(code.co_cellvars) + len(code.co_freevars), id(frame))


def thread_stacks(limit: int | None = 50) -> tuple:
    """Every live thread with its current stack (:class:`ThreadStack`), the calling
    thread first; ``limit`` frames per thread at most (innermost first; ``None``: all).

    Reads ``sys._current_frames()`` once and keeps no frame.
    """
    check_int(limit, "limit", 1, none="every frame", meaning="frames per thread")
    frames = sys._current_frames()
    me = threading.get_ident()
    by_ident = {t.ident: t for t in threading.enumerate()}
    out = []
    try:
        for ident in sorted(frames, key=lambda i: (i != me, i)):
            stack = _user_stack(frames[ident], ident == me)
            shown = stack if limit is None else stack[:limit]
            thread = by_ident.get(ident)
            out.append(ThreadStack(
                ident, thread.name if thread is not None else f"<native thread {ident}>",
                bool(thread.daemon) if thread is not None else None, ident == me,
                [_frame_info(i, f) for i, f in enumerate(shown)], len(shown) < len(stack)))
            del stack, shown
    finally:
        del frames
    return tuple(out)


class LocalVar(Frozen):
    """A local variable of a frame, sized: ``name``, ``type`` (the type's name),
    ``repr`` (clipped), ``flat`` (bytes: the object alone), ``deep`` (bytes: the object
    and everything it refers to, :func:`~pympler_nb.core.asizeof.asizeof`), ``id`` (the
    object's id when it was sized: :func:`frame_local` finds it again by name and id)."""

    __slots__ = ("name", "type", "repr", "flat", "deep", "id")

    def __init__(self, name, type, repr, flat, deep, id=None) -> None:
        self._set(name=name, type=type, repr=repr, flat=flat, deep=deep, id=id)

    def __repr__(self) -> str:
        return f"<LocalVar {self.name} {self.type} deep={self.deep}>"


def _listed_frame(thread_ident: int, depth: int, frame_id: int | None):
    """The frame at ``depth`` of a thread's stack, still the one listed (``frame_id``)."""
    check_int(thread_ident, "thread_ident", 0)
    check_int(depth, "depth", 0, meaning="0 is the innermost frame")
    frames = sys._current_frames()
    frame = frames.get(thread_ident)
    del frames
    if frame is None:
        raise LookupError(f"thread {thread_ident} is not running any more: list the threads "
                          "again (thread_stacks())")
    stack = _user_stack(frame, thread_ident == threading.get_ident())
    del frame
    if depth >= len(stack):
        raise LookupError(f"thread {thread_ident} has {len(stack)} frames now, no frame at "
                          f"depth {depth}: list the threads again (thread_stacks())")
    frame = stack[depth]
    del stack
    if frame_id is not None and id(frame) != frame_id:
        raise LookupError(f"the frame at depth {depth} of thread {thread_ident} is not the one "
                          "listed (the stack moved on): list the threads again")
    return frame


def frame_local(thread_ident: int, depth: int, frame_id: int | None, name: str, oid: int | None = None) -> Any:
    """The local variable ``name`` of a running frame (as :func:`frame_locals` lists it),
    or None when the frame has no such local now or, with ``oid``, when the local no
    longer names the object whose id was ``oid``. A ``LookupError`` says when the thread
    ended or its stack moved on. The object is returned, not kept.
    """
    frame = _listed_frame(thread_ident, depth, frame_id)
    try:
        found = {str(k): v for k, v in frame.f_locals.items()}
    finally:
        del frame
    value = found.pop(name, None)
    del found
    if value is None or (oid is not None and id(value) != oid):
        return None
    return value


def frame_locals(thread_ident: int, depth: int, frame_id: int | None = None) -> tuple:
    """The local variables of a running frame, sized (tuple of :class:`LocalVar`,
    largest deep size first).

    ``thread_ident`` and ``depth`` are a :class:`ThreadStack`'s ``ident`` and a
    :class:`FrameInfo`'s ``depth`` (from :func:`thread_stacks`); ``frame_id`` (the
    FrameInfo's) makes sure the frame is still the one that was listed. A
    ``LookupError`` says when the thread ended or its stack moved on. Locals are read
    without being kept; on 3.11/3.12 reading them stores a snapshot dict in the frame
    (as every debugger does), 3.13 reads them without that side effect.
    """
    from . import asizeof as _asizeof
    from ._format import safe_repr

    frame = _listed_frame(thread_ident, depth, frame_id)
    try:
        names = list(frame.f_locals.items())
    finally:
        del frame
    out = []
    value = None  # (a frame without locals)
    for name, value in names:
        try:
            flat = sys.getsizeof(value)
        except Exception:  # noqa: BLE001 - hostile __sizeof__
            flat = 0
        deep = _asizeof.asizeof(value)
        out.append(LocalVar(str(name), type_name(value, qualified=True, module=True),
                            safe_repr(value, 80), flat, deep, id(value)))
    del names, value
    out.sort(key=lambda v: (-v.deep, v.name))
    return tuple(out)


class RssReader:
    """The resident set size now, read cheaply enough to sample every few milliseconds:
    ``/proc/self/statm`` kept open (one ``pread`` per call, about 10 µs), else psutil,
    else the peak RSS of ``resource`` (the best the platform offers). Call
    :meth:`close` when done (or use it as a context manager).

    >>> with RssReader() as read:
    ...     read() > 0
    True
    """

    __slots__ = ("_fd", "_status", "_pid", "source")

    def __init__(self) -> None:
        self._fd: int | None = None
        self._status: int | None = None
        self._pid = os.getpid()
        self.source = "resource"
        try:
            self._fd = os.open("/proc/self/statm", os.O_RDONLY)
            self.source = "/proc/self/statm"
        except OSError:
            if _psutil() is not None:
                self.source = "psutil"
        try:
            self._status = os.open("/proc/self/status", os.O_RDONLY)
        except OSError:
            self._status = None

    def high_water(self) -> int | None:
        """The peak RSS of the process so far (Linux ``VmHWM``), None where unknown. It only
        grows: when it grew between two reads, the later value is the peak in between,
        however briefly it lasted (no sampling can miss it)."""
        fd = self._status
        if fd is None:
            return None
        try:
            text = os.pread(fd, 8192, 0)
            start = text.index(b"VmHWM:")
            return int(text[start + 6:text.index(b"kB", start)]) * 1024
        except (OSError, ValueError):
            return None

    def __call__(self) -> int:
        """RSS in bytes (0 if it cannot be read)."""
        fd = self._fd
        if fd is not None:
            try:
                return int(os.pread(fd, 128, 0).split()[1]) * mmap.PAGESIZE
            except (OSError, ValueError, IndexError):
                pass
        if self.source == "psutil":
            psutil = _psutil()
            try:
                return int(psutil.Process(self._pid).memory_info().rss)
            except Exception:  # noqa: BLE001 - the process table changed
                return 0
        info = ProcessMemoryInfo.__new__(ProcessMemoryInfo)
        return info.rss if info._from_resource() else 0

    def close(self) -> None:
        for name in ("_fd", "_status"):
            fd = getattr(self, name, None)
            setattr(self, name, None)
            if fd is not None:
                os.close(fd)

    def __enter__(self) -> RssReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def memory_limit(proc_root: str = "/proc", cgroup_root: str = "/sys/fs/cgroup") -> tuple[int | None, str]:
    """The memory this process may use: ``(bytes, where)`` — the container (cgroup)
    limit when one is set (``where`` ``'cgroup v2'``/``'cgroup v1'``), else the
    machine's physical memory (``'machine'``), else ``(None, 'unknown')``.

    >>> limit, where = memory_limit()
    >>> where in ("cgroup v1", "cgroup v2", "machine", "unknown")
    True
    """
    limit, _usage, version = container_memory(proc_root, cgroup_root)
    total = _machine_memory()
    if limit is not None and (total is None or limit < total):
        return limit, f"cgroup {version}"
    if total is not None:
        return total, "machine"
    return None, "unknown"


def _machine_memory() -> int | None:
    """Physical memory of the machine in bytes (None if the OS does not tell)."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        if pages > 0 and size > 0:
            return int(pages * size)
    except (ValueError, OSError, AttributeError):
        pass
    psutil = _psutil()
    if psutil is not None:
        try:
            return int(psutil.virtual_memory().total)
        except Exception:  # noqa: BLE001
            return None
    return None
