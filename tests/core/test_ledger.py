"""The per-cell ledger engine (issue 19): samplers, records, the forecast, the recorder on
a shell-like object (no IPython: these run on every core test interpreter)."""

from __future__ import annotations

import threading
import time

import pytest

from pympler_nb.core import process
from pympler_nb.core.ledger import (COLUMNS, MIB, CellRecord, Holder, Recorder, RssMonitor,
                                    RssSampler, forecast)
from pympler_nb.core.tracker import SummaryTracker


class _Events:
    def __init__(self):
        self.callbacks = {"pre_run_cell": [], "post_run_cell": []}

    def register(self, name, func):
        self.callbacks[name].append(func)

    def unregister(self, name, func):
        self.callbacks[name].remove(func)


class _Info:
    def __init__(self, raw_cell):
        self.raw_cell = raw_cell


class _Result:
    def __init__(self, count, error=None):
        self.execution_count = count
        self.error_in_exec = error
        self.error_before_exec = None


class FakeShell:
    """What the recorder uses of an IPython shell: events, user_ns, execution_count."""

    def __init__(self):
        self.events = _Events()
        self.user_ns = {"Out": {}, "In": [""]}
        self.user_ns_hidden = {"Out": self.user_ns["Out"], "In": self.user_ns["In"]}
        self.execution_count = 1

    def run(self, source, code=None, output=None):
        for hook in list(self.events.callbacks["pre_run_cell"]):
            hook(_Info(source))
        error = None
        try:
            if code is not None:
                code(self.user_ns)
        except Exception as exc:  # noqa: BLE001 - recorded like IPython records it
            error = exc
        if output is not None:
            self.user_ns["Out"][self.execution_count] = output
            self.user_ns["_"] = output
        result = _Result(self.execution_count, error)
        for hook in list(self.events.callbacks["post_run_cell"]):
            hook(result)
        self.execution_count += 1
        return error


def _threads():
    return [t.name for t in threading.enumerate() if t.name.startswith("pympler_nb")]


def _touch(n):
    """n bytes that are really resident (bytearray(n) alone may stay untouched); above
    32 MiB glibc always maps fresh pages, so RSS moves whatever was freed before."""
    return b"\x01" * n


def test_rss_reader_agrees_with_process_memory_info():
    with process.RssReader() as read:
        a = read()
        b = process.ProcessMemoryInfo().rss
    assert a > 0 and abs(a - b) < 8 * MIB


def test_memory_limit_prefers_a_smaller_cgroup_limit(tmp_path):
    proc = tmp_path / "proc" / "self"
    proc.mkdir(parents=True)
    (proc / "cgroup").write_text("0::/box\n")
    cg = tmp_path / "cg"
    (cg / "box").mkdir(parents=True)
    (cg / "cgroup.controllers").write_text("memory\n")
    (cg / "box" / "memory.max").write_text(str(256 * MIB))
    (cg / "box" / "memory.current").write_text(str(10 * MIB))
    assert process.memory_limit(str(tmp_path / "proc"), str(cg)) == (256 * MIB, "cgroup v2")
    (cg / "box" / "memory.max").write_text("max")
    limit, where = process.memory_limit(str(tmp_path / "proc"), str(cg))
    assert where == "machine" and limit > 256 * MIB


def test_sampler_sees_a_temporary_freed_before_stop():
    assert _threads() == [], f"an earlier test left these threads running: {_threads()}"
    sampler = RssSampler(0.005)
    try:
        sampler.start()
        start = sampler.peak
        tmp = _touch(60 * MIB)
        time.sleep(0.1)
        del tmp
        time.sleep(0.02)
        peak = sampler.stop()
        facts = f"start {start:,} peak {peak:,} samples {sampler.samples}"
        assert peak - start >= 55 * MIB, facts
        assert sampler.samples > 5 and not sampler.sampling and sampler.alive, facts
        samples = sampler.samples
        time.sleep(0.05)
        assert sampler.samples == samples  # between spans the thread waits: no reading
        sampler.start()
        time.sleep(0.05)
        assert sampler.stop() > 0 and sampler.samples > 1, sampler.samples
    finally:
        sampler.close()  # its thread ends whatever failed: no failure of the tests after
    assert not sampler.alive and _threads() == []
    with pytest.raises(ValueError, match="period"):
        RssSampler(0)


def test_monitor_pushes_readings_and_stops():
    seen = []
    mon = RssMonitor(lambda rss, hist: seen.append((rss, len(hist))), period=0.02, keep=5)
    mon.start()
    deadline = time.monotonic() + 5
    while len(seen) < 8 and time.monotonic() < deadline:
        time.sleep(0.01)
    mon.stop()
    assert len(seen) >= 8 and max(n for _, n in seen) == 5  # keeps the last 5
    assert not mon.running and "pympler_nb meter" not in _threads()
    # a callback that returns False stops the thread by itself
    mon2 = RssMonitor(lambda rss, hist: False, period=0.01)
    mon2.start()
    time.sleep(0.1)
    assert not mon2.running
    mon2.stop()


def _record(**more):
    fields = dict(execution_count=3, source="x = 1", seconds=0.5, rss_before=100 * MIB,
                  rss_after=150 * MIB, rss_peak=300 * MIB, python_delta=40 * MIB, native_delta=10 * MIB,
                  traced_peak=None, top_types=(("list", 2, 40 * MIB),),
                  holders=(Holder("df", "DataFrame", 40 * MIB, "variable"),), error=None, walked=True, note="")
    fields.update(more)
    return CellRecord(**fields)


def test_cell_record_is_immutable_and_reads_as_one_line():
    rec = _record()
    with pytest.raises(AttributeError, match="immutable"):
        rec.rss_after = 0
    assert rec.notice() == ("memwatch: +50.0 MiB RSS (peak +200 MiB); Python +40.0 MiB: "
                            "df (DataFrame) +40.0 MiB; native +10.0 MiB")
    assert list(rec.as_dict())[:len(COLUMNS)] == list(COLUMNS)
    assert rec.notable(MIB) and not _record(rss_after=100 * MIB, rss_peak=100 * MIB,
                                            python_delta=1000).notable(MIB)
    with pytest.raises(TypeError, match="needs"):
        CellRecord(source="x")


def test_forecast():
    recs = [_record(rss_after=(100 + 50 * i) * MIB) for i in range(6)]
    out = forecast(recs, limit=1000 * MIB, where="cgroup v2", last=5)
    assert out.growth == 50 * MIB and out.cells_left == 13  # (1000 - 350) / 50
    assert "reached in ~13 cells" in out.text and "cgroup v2" in out.text
    flat = forecast([_record(rss_after=100 * MIB)] * 3, limit=1000 * MIB, where="machine")
    assert flat.cells_left is None and flat.text == ""
    with pytest.raises(ValueError, match="last"):
        forecast(recs, last=1)


@pytest.mark.fresh_process
def test_recorder_on_a_shell(tmp_path):
    shell = FakeShell()
    notes = []
    rec = Recorder(notify=notes.append, period=0.005)
    rec.attach(shell)
    try:
        shell.run("idle = 1", lambda ns: ns.__setitem__("idle", 1))
        shell.run("big = ...", lambda ns: ns.__setitem__("big", _touch(40 * MIB)))
        # a temporary that lives 50 ms (ten sampling periods): on a loaded machine a shorter
        # one can be missed when the process's peak RSS (VmHWM) is already higher
        shell.run("tmp", lambda ns: (len(buf := _touch(40 * MIB)), time.sleep(0.05), len(buf)))
        err = shell.run("raise", lambda ns: 1 / 0)
        out = [bytes(100) for _ in range(20_000)]
        shell.run("make()", output=out)
    finally:
        rec.detach()
    assert isinstance(err, ZeroDivisionError)
    idle, big, tmp, raised, made = rec.records
    assert not idle.walked and idle.python_delta is None and notes[0] is big
    assert big.walked and big.python_delta >= 39 * MIB and big.holders[0].name == "big"
    assert big.holders[0].size >= 40 * MIB and big.top_types[0][0] == "bytes"
    assert tmp.peak_delta >= 35 * MIB and abs(tmp.rss_delta) < 4 * MIB and tmp in notes
    assert raised.error == "ZeroDivisionError"
    assert made.holders[0].name == "Out[5], _" and made.holders[0].kind == "output"
    assert shell.events.callbacks == {"pre_run_cell": [], "post_run_cell": []}
    assert _threads() == []
    del out


def _recorder_diff_rows() -> tuple[int, list]:
    """Thirty cells recorded by a Recorder under an outside SummaryTracker: (records, diff rows)."""
    shell = FakeShell()
    rec = Recorder(period=0.005)
    tracker = SummaryTracker()
    rec.attach(shell)
    try:
        for i in range(30):
            shell.run(f"v{i} = [{i}]", lambda ns, i=i: ns.__setitem__(f"v{i}", [i] * 5000))
    finally:
        rec.detach()
    return len(rec.records), [list(row) for row in tracker.diff()]


def test_recorder_objects_never_show_in_diffs():
    """In a fresh interpreter (other tests' threads and objects would move the diff too)."""
    import json
    import os
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[2]
    code = "import json; from tests.core.test_ledger import _recorder_diff_rows as f; print(json.dumps(f()))"
    env = dict(os.environ, PYTHONPATH=str(root))
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    count, diff = json.loads(done.stdout.strip().splitlines()[-1])
    assert count == 30
    rows = {row[0]: row for row in diff}
    ours = [name for name in rows if "ledger" in name or "Holder" in name or "CellRecord" in name]
    assert ours == [], rows
    # the user's 30 lists of 5000 items (net of the test run's own lists, +-1), nothing of ours
    assert 29 <= rows["list"][1] <= 31 and rows["list"][2] >= 30 * 40_000
    other = {name: row for name, row in rows.items() if name not in ("list", "str", "dict") and abs(row[2]) >= 1024}
    assert other == {}, other


@pytest.mark.fresh_process
def test_recorder_light_and_bad_options():
    shell = FakeShell()
    rec = Recorder(light=True)
    rec.attach(shell)
    shell.run("x", lambda ns: ns.__setitem__("x", _touch(40 * MIB)))
    rec.detach()
    [r] = rec.records
    assert r.rss_delta >= 39 * MIB and r.python_delta is None and r.holders == () and not r.walked
    with pytest.raises(ValueError, match="threshold"):
        Recorder(threshold=0)
    with pytest.raises(ValueError, match="fraction"):
        Recorder(fraction=1.5)
    with pytest.raises(RuntimeError, match="already attached"):
        rec.attach(shell)
        rec.attach(shell)
    rec.detach()


def test_keyboard_interrupt_in_pre_hook_leaves_it_attached(monkeypatch):
    assert _threads() == [], f"an earlier test left these threads running: {_threads()}"
    shell = FakeShell()
    rec = Recorder(period=0.005)
    rec.attach(shell)
    monkeypatch.setattr("pympler_nb.core.ledger._user_names",
                        lambda s: (_ for _ in ()).throw(KeyboardInterrupt))
    shell.run("a", lambda ns: None)
    monkeypatch.undo()
    shell.run("b", lambda ns: None)
    rec.detach()
    assert [r.source for r in rec.records] == ["b"] and _threads() == []


class _Hostile:
    """Raises from everything a sizer or a namer might call."""

    def __getattribute__(self, name):
        raise RuntimeError(f"no {name}")

    def __sizeof__(self):
        raise RuntimeError("no size")

    def __eq__(self, other):
        raise RuntimeError("no eq")

    __hash__ = None


@pytest.mark.fresh_process
def test_hostile_holder_is_named_not_crashed_on():
    shell = FakeShell()
    rec = Recorder(period=0.005)
    rec.attach(shell)
    try:
        shell.run("h = Hostile()", lambda ns: ns.update(h=_Hostile(), pad=_touch(40 * MIB)))
    finally:
        rec.detach()
    [r] = rec.records
    names = {h.name: h for h in r.holders}
    assert r.walked and "h" in names and "pad" in names
    assert names["pad"].size >= 40 * MIB
