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
