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

from ._format import pp

__all__ = [
    "ProcessMemoryInfo",
    "ThreadInfo",
    "is_available",
    "get_current_threads",
    "get_current_thread_id",
    "current_rss",
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


def current_rss(proc_root: str = "/proc") -> int:
    """The resident set size now, in bytes, read as cheaply as the OS allows
    (``/proc/self/statm``; else a full :class:`ProcessMemoryInfo`); 0 if unknown."""
    text = _read(os.path.join(proc_root, "self", "statm"))
    if text is not None:
        try:
            return int(text.split()[1]) * mmap.PAGESIZE
        except (ValueError, IndexError):
            pass
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
