"""pympler_nb.core.process: process memory through psutil, PSS/USS/swap, cgroup limits."""

from __future__ import annotations

import builtins
import os
import sys
import threading

import pytest

from pympler_nb.core import process
from pympler_nb.core.process import ProcessMemoryInfo

LINUX = sys.platform.startswith("linux")


def test_pympler_attributes():
    pmi = ProcessMemoryInfo()
    assert pmi.available is True
    assert pmi.pid == os.getpid()
    assert 0 < pmi.rss <= pmi.vsz
    assert pmi.pagefaults >= 0
    for name in ("data_segment", "code_segment", "shared_segment", "stack_segment"):
        assert isinstance(getattr(pmi, name), int)
    assert pmi.pagesize > 0 and (pmi.pagesize & (pmi.pagesize - 1)) == 0
    assert all(isinstance(label, str) and isinstance(text, str) for label, text in pmi.os_specific)
    assert repr(pmi).startswith("<ProcessMemoryInfo vsz=")


def test_update_sees_growth():
    import mmap

    pmi = ProcessMemoryInfo()
    before = pmi.rss
    # a fresh anonymous mapping: new pages whatever malloc kept resident from earlier tests
    blob = mmap.mmap(-1, 64 * 2**20)
    try:
        for offset in range(0, len(blob), pmi.pagesize):  # touch every page
            blob[offset] = 1
        assert pmi.update() is True
        assert pmi.rss - before > 32 * 2**20
    finally:
        blob.close()


def test_subtraction_is_pymplers_delta_list():
    a = ProcessMemoryInfo()
    b = ProcessMemoryInfo()
    delta = b - a
    assert [label for label, _ in delta] == ["Resident set size (delta)", "Virtual size (delta)"]
    assert delta[0][1] == b.rss - a.rss
    with pytest.raises(TypeError):
        a - 5


@pytest.mark.skipif(not LINUX, reason="PSS, USS and swap are Linux numbers")
def test_pss_uss_swap_on_linux():
    pmi = ProcessMemoryInfo()
    assert pmi.uss is not None and pmi.pss is not None and pmi.swap is not None
    assert 0 < pmi.uss <= pmi.rss and 0 < pmi.pss <= pmi.rss
    labels = dict(pmi.os_specific)
    assert "Proportional set size" in labels and "Unique set size" in labels
    assert labels["Memory source"].startswith("psutil ")
    assert "Resident set size" in labels and "Size of data segment" in labels  # Pympler's labels


def test_as_dict_lists_byte_metrics():
    d = ProcessMemoryInfo().as_dict()
    assert tuple(d) == process.BYTE_METRICS
    assert d["rss"] > 0


@pytest.mark.skipif(not LINUX, reason="needs /proc")
def test_fallback_without_psutil(monkeypatch):
    real_import = builtins.__import__

    def no_psutil(name, *args, **kwargs):
        if name == "psutil":
            raise ImportError("no psutil here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_psutil)
    pmi = ProcessMemoryInfo()
    assert pmi.available and pmi.rss > 0 and pmi.vsz >= pmi.rss
    assert dict(pmi.os_specific)["Memory source"] == "procfs + resource (psutil not installed)"
    assert pmi.pss is None or pmi.pss > 0


def test_psutil_is_imported_lazily():
    import subprocess

    code = ("import sys; import pympler_nb.core.process as p; "
            "print('psutil' in sys.modules); p.ProcessMemoryInfo(); print('psutil' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert out.stdout.split() == ["False", "True"]


# ---------------------------------------------------------------------------
# container limits (fake /proc and /sys/fs/cgroup trees)
# ---------------------------------------------------------------------------

def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cgroup_v2_limit_takes_the_tightest_ancestor(tmp_path):
    proc, cg = tmp_path / "proc", tmp_path / "cgroup"
    write(proc / "self" / "cgroup", "0::/user.slice/app.scope\n")
    write(cg / "cgroup.controllers", "memory pids\n")
    write(cg / "user.slice" / "memory.max", "2147483648\n")
    write(cg / "user.slice" / "app.scope" / "memory.max", "max\n")
    write(cg / "user.slice" / "app.scope" / "memory.current", "123456789\n")
    assert process.container_memory(str(proc), str(cg)) == (2147483648, 123456789, "v2")


def test_cgroup_v2_no_limit(tmp_path):
    proc, cg = tmp_path / "proc", tmp_path / "cgroup"
    write(proc / "self" / "cgroup", "0::/\n")
    write(cg / "cgroup.controllers", "memory\n")
    write(cg / "memory.max", "max\n")
    write(cg / "memory.current", "42\n")
    assert process.container_memory(str(proc), str(cg)) == (None, 42, "v2")


def test_cgroup_v1_memory_controller(tmp_path):
    proc, cg = tmp_path / "proc", tmp_path / "cgroup"
    write(proc / "self" / "cgroup", "12:pids:/x\n4:cpu,memory:/docker/abc\n1:name=systemd:/\n")
    write(cg / "memory" / "memory.limit_in_bytes", "9223372036854771712\n")  # unlimited
    write(cg / "memory" / "docker" / "abc" / "memory.limit_in_bytes", "536870912\n")
    write(cg / "memory" / "docker" / "abc" / "memory.usage_in_bytes", "1000\n")
    assert process.container_memory(str(proc), str(cg)) == (536870912, 1000, "v1")


def test_cgroup_v1_namespaced_path_falls_back_to_root(tmp_path):
    proc, cg = tmp_path / "proc", tmp_path / "cgroup"
    write(proc / "self" / "cgroup", "4:memory:/kubepods/pod1/abc\n")
    write(cg / "memory" / "memory.limit_in_bytes", "1073741824\n")
    write(cg / "memory" / "memory.usage_in_bytes", "2048\n")
    assert process.container_memory(str(proc), str(cg)) == (1073741824, 2048, "v1")


def test_no_cgroup(tmp_path):
    assert process.container_memory(str(tmp_path / "nope"), str(tmp_path)) == (None, None, None)


def test_update_reports_container_limit(tmp_path):
    proc, cg = tmp_path / "proc", tmp_path / "cgroup"
    write(proc / "self" / "cgroup", "0::/\n")
    write(cg / "cgroup.controllers", "memory\n")
    write(cg / "memory.max", "4294967296\n")
    write(cg / "memory.current", "1234\n")
    pmi = ProcessMemoryInfo()
    assert pmi.update(proc_root=str(proc), cgroup_root=str(cg)) is True
    assert (pmi.container_limit, pmi.container_usage, pmi.cgroup) == (4294967296, 1234, "v2")
    labels = dict(pmi.os_specific)
    assert labels["Container memory limit"].strip() == "4.00 GB"


# ---------------------------------------------------------------------------
# module functions
# ---------------------------------------------------------------------------

def test_is_available():
    assert process.is_available() is True


def test_threads():
    started = threading.Event()
    stop = threading.Event()

    def run():
        started.set()
        stop.wait(5)

    t = threading.Thread(target=run, name="probe-thread", daemon=True)
    t.start()
    started.wait(5)
    try:
        infos = process.get_current_threads()
        names = {i.name: i for i in infos}
        assert names["probe-thread"].daemon is True
        assert names["probe-thread"].ident == t.ident
        assert process.get_current_thread_id() == threading.get_ident()
        assert "probe-thread" in repr(names["probe-thread"])
    finally:
        stop.set()
        t.join(5)


# ---------------------------------------------------------------------------
# the dashboard's Process view: overview, segments, thread stacks, a frame's locals
# ---------------------------------------------------------------------------

@pytest.mark.skipif(not LINUX, reason="/proc")
def test_process_overview_numbers():
    ov = process.process_overview()
    assert ov.rss > 10 * 2**20 and ov.vms >= ov.rss
    assert ov.minor_faults > 0 and ov.major_faults >= 0
    assert ov.pss is not None and ov.uss is not None and ov.swap is not None
    assert ov.threads == threading.active_count()
    assert set(ov.as_dict()) == set(process.ProcessOverview.__slots__)
    with pytest.raises(AttributeError, match="immutable"):
        ov.rss = 0


@pytest.mark.skipif(not LINUX, reason="/proc")
def test_process_overview_container_percent(tmp_path):
    proc, cg = tmp_path / "proc", tmp_path / "cgroup"
    write(proc / "self" / "cgroup", "0::/app\n")
    write(cg / "cgroup.controllers", "memory\n")
    write(cg / "app" / "memory.max", "1000000000\n")
    write(cg / "app" / "memory.current", "250000000\n")
    ov = process.process_overview(str(proc), str(cg))
    assert (ov.container_limit, ov.container_usage, ov.cgroup) == (10**9, 250_000_000, "v2")
    assert ov.container_percent == pytest.approx(25.0)


SMAPS = """\
55d0c0000000-55d0c0021000 rw-p 00000000 00:00 0                          [heap]
Size:                132 kB
Rss:                 100 kB
Pss:                 100 kB
Private_Clean:         0 kB
Private_Dirty:       100 kB
Swap:                  4 kB
VmFlags: rd wr mr mw me ac
7f0000000000-7f0000100000 rw-p 00000000 00:00 0
Size:               1024 kB
Rss:                 512 kB
Pss:                 512 kB
Private_Clean:         0 kB
Private_Dirty:       512 kB
Swap:                  0 kB
7f0000200000-7f0000300000 r-xp 00000000 fe:00 123                        /usr/lib/libfoo.so
Size:               1024 kB
Rss:                 300 kB
Pss:                 150 kB
Private_Clean:        10 kB
Private_Dirty:         0 kB
Swap:                  0 kB
7f0000300000-7f0000310000 r--p 00100000 fe:00 123                        /usr/lib/libfoo.so
Size:                 64 kB
Rss:                  64 kB
Pss:                  32 kB
Private_Clean:         0 kB
Private_Dirty:         4 kB
Swap:                  0 kB
7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]
Size:                132 kB
Rss:                  16 kB
Pss:                  16 kB
Private_Clean:         0 kB
Private_Dirty:        16 kB
Swap:                  0 kB
"""


def test_memory_segments_grouped_from_smaps(tmp_path):
    write(tmp_path / "self" / "smaps", SMAPS)
    segs = {s.name: s for s in process.memory_segments(str(tmp_path))}
    assert set(segs) == {"[heap]", "[anonymous]", "/usr/lib/libfoo.so", "[stack]"}
    lib = segs["/usr/lib/libfoo.so"]
    assert (lib.kind, lib.mappings, lib.size, lib.rss, lib.pss, lib.private) == (
        "file", 2, 1088 * 1024, 364 * 1024, 182 * 1024, 14 * 1024)
    assert segs["[heap]"].swap == 4 * 1024 and segs["[heap]"].kind == "heap"
    assert segs["[stack]"].kind == "stack" and segs["[anonymous]"].kind == "anonymous"
    assert [s.name for s in process.memory_segments(str(tmp_path))][0] == "[anonymous]"
    assert process.memory_segments(str(tmp_path / "none")) == ()


@pytest.mark.skipif(not LINUX, reason="/proc")
def test_memory_segments_of_this_process_cover_rss():
    segs = process.memory_segments()
    total = sum(s.rss for s in segs)
    assert abs(total - process.current_rss()) < 0.1 * total
    assert any(s.kind == "heap" for s in segs) and any(s.kind == "file" for s in segs)


class _Box:
    def __init__(self, items):
        self.items = items


def _worker_thread(refs=None):
    """A thread parked in `hold()` with a ~4 MB local (and a weakref to a boxed local in
    ``refs``); returns (thread, release event)."""
    import weakref

    ready, release = threading.Event(), threading.Event()

    def hold():
        payload = [bytes(1000) for _ in range(4000)]
        label = "x"
        box = _Box(payload)
        if refs is not None:
            refs.append(weakref.ref(box))
        ready.set()
        release.wait()
        return payload, label, box

    thread = threading.Thread(target=hold, name="holder", daemon=True)
    thread.start()
    ready.wait()
    return thread, release


def test_thread_stacks_and_frame_locals_sized():
    import gc

    refs = []
    thread, release = _worker_thread(refs)
    try:
        stacks = process.thread_stacks()
        assert stacks[0].current and stacks[0].name == threading.current_thread().name
        # our own frames are not listed at the top of the calling thread's stack
        assert not stacks[0].frames[0].filename.endswith(os.path.join("core", "process.py"))
        mine = next(s for s in stacks if s.name == "holder")
        assert not mine.current and mine.daemon is True
        frame = next(f for f in mine.frames if f.function == "hold")
        assert frame.line.startswith("release.wait()") and frame.n_locals >= 4
        local = process.frame_locals(mine.ident, frame.depth, frame.frame_id)
        by_name = {v.name: v for v in local}
        assert by_name["payload"].deep >= 4000 * 1000 and by_name["payload"].type == "list"
        assert [v.deep for v in local] == sorted((v.deep for v in local), reverse=True)
        assert by_name["box"].deep > by_name["payload"].deep  # deep: the box holds the list
        assert by_name["label"].repr == "'x'"
        with pytest.raises(LookupError, match="no frame at depth"):
            process.frame_locals(mine.ident, 500)
        with pytest.raises(LookupError, match="not the one listed"):
            process.frame_locals(mine.ident, frame.depth, frame.frame_id + 1)
    finally:
        release.set()
        thread.join()
    with pytest.raises(LookupError, match="not running any more"):
        process.frame_locals(mine.ident, 0)
    # the records keep no frame and no local: the thread's objects are gone with it
    gc.collect()
    assert refs[0]() is None
    assert "box" in {v.name for v in local} and stacks


def test_thread_stacks_limit_and_checks():
    thread, release = _worker_thread()
    try:
        stacks = process.thread_stacks(limit=1)
        assert all(len(s.frames) <= 1 for s in stacks)
        assert any(s.truncated for s in stacks)
    finally:
        release.set()
        thread.join()
    with pytest.raises(ValueError, match="limit must be an int >= 1"):
        process.thread_stacks(limit=0)
    with pytest.raises(ValueError, match="depth must be an int >= 0"):
        process.frame_locals(threading.get_ident(), -1)
