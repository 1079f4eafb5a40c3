"""``%memwatch`` in an IPython shell (issue 19): the per-cell ledger, its notices, its
hooks and threads, the chart and the meter. The real-kernel cases are in
``tests/test_memwatch_kernel.py``."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

import pympler_nb
from pympler_nb.frames_ledger import LEDGER_COLUMNS
from pympler_nb.magics_memwatch import PymplerNB, parse_threshold
from tests._ipython import error_of, notice_peak_mib, run, texts, usage_error

MIB = 1 << 20


def _magics(shell):
    return shell.magics_manager.registry["MemwatchMagics"]


def _threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("pympler_nb"))


def _notices(cap) -> list[str]:
    return [t for t in texts(cap) if t.startswith("memwatch:")]


@pytest.fixture()
def watching(shell):
    """memwatch on for one test (off afterwards, whatever happened). The free heap other
    tests left is returned to the OS first (gc + malloc_trim): a new array must not land on
    pages that are still resident, or RSS does not move (a real limit of RSS-based
    figures, which the kernel tests see in a fresh process)."""
    from pympler_nb.core.reclaim import trim

    trim()
    result, _ = run(shell, "%memwatch on")
    assert error_of(result) is None
    yield shell
    run(shell, "%memwatch off")
    shell.user_ns.pop("arr", None)
    shell.user_ns.pop("df", None)
    shell.user_ns.pop("blob", None)


def _last(shell, source_start: str):
    recs = [r for r in _magics(shell).recorder.records if r.source.startswith(source_start)]
    assert recs, [r.source for r in _magics(shell).recorder.records]
    return recs[-1]


@pytest.mark.fresh_process
def test_numpy_array_shows_its_size_and_holder(watching):
    result, cap = run(watching, "arr = np.ones(100 * 2**20 // 8)")
    assert error_of(result) is None
    rec = _last(watching, "arr = np.ones")
    assert rec.rss_delta >= 95 * MIB
    assert rec.python_delta is not None and rec.python_delta + rec.native_delta == rec.rss_delta
    assert rec.python_delta >= 95 * MIB  # the size rules count the array's buffer as Python
    assert rec.holders and rec.holders[0].name == "arr" and rec.holders[0].type == "ndarray"
    assert rec.holders[0].size >= 100 * MIB
    assert rec.top_types[0][0] == "numpy.ndarray"
    [line] = _notices(cap)
    assert "arr (ndarray) +100 MiB" in line and "RSS" in line, line


@pytest.mark.fresh_process
def test_temporary_shows_its_peak_and_no_net_change(watching):
    # the temporary lives 100 ms so that the 10 ms sampler sees it whatever VmHWM the test
    # process already had; a fresh kernel sees shorter ones exactly (test_memwatch_kernel.py)
    _, cap = run(watching, "import time\ntmp = np.ones(80 * 2**20 // 8)\ntotal = float(tmp.sum())\n"
                           "time.sleep(0.1)\ndel tmp")
    rec = _last(watching, "import time")
    assert rec.peak_delta >= 75 * MIB, rec
    assert abs(rec.rss_delta) < 4 * MIB, rec
    assert rec.python_delta is not None and abs(rec.python_delta) < 2 * MIB
    [line] = _notices(cap)
    # the notice shows the sampled peak; beside the 80 MiB array the cell's own native
    # allocations (numpy's sum buffers, the sampler) may add about a MiB
    assert 79.0 <= (notice_peak_mib(line) or 0) <= 83.0, line
    assert watching.user_ns["total"] == 80 * 2**20 // 8


@pytest.mark.fresh_process
def test_array_on_reused_free_heap_is_still_seen(watching):
    # glibc is told to serve big blocks from the heap and not to trim it (mallopt, in this
    # fresh process): a freed 20 MiB array stays resident and the next one reuses it, so RSS
    # does not move. The allocator's bytes in use do: the heap is still summarized and the
    # holder sized.
    import ctypes

    from pympler_nb.core.reclaim import glibc, malloc_in_use

    libc = glibc()
    assert libc is not None and malloc_in_use() is not None  # glibc here
    m_trim_threshold, m_mmap_threshold = -1, -3
    assert libc.mallopt(m_mmap_threshold, ctypes.c_int(512 << 20)) == 1
    assert libc.mallopt(m_trim_threshold, ctypes.c_int(1 << 30)) == 1
    run(watching, "x = np.ones(20 * 2**20 // 8)\ndel x")
    _, cap = run(watching, "w = np.ones(20 * 2**20 // 8)")
    rec = _last(watching, "w = np.ones")
    assert abs(rec.rss_delta) < 4 * MIB, rec  # the case: RSS did not see it
    assert rec.walked and rec.python_delta > 19 * MIB, rec
    assert rec.holders[0].name == "w" and rec.holders[0].size >= 20 * MIB
    [line] = _notices(cap)
    assert "w (ndarray) +20.0 MiB" in line and "free heap reused" in line, line


def test_output_holder_is_named_out_n(watching):
    result, cap = run(watching, "pd.DataFrame({'s': [str(i) * 3 for i in range(200_000)],\n"
                                "              'c': pd.Categorical(['a', 'b'] * 100_000)})")
    n = result.execution_count
    rec = _last(watching, "pd.DataFrame(")
    holder = rec.holders[0]
    assert holder.name == f"Out[{n}], _" and holder.kind == "output" and holder.type == "DataFrame"
    assert holder.size > 3 * MIB
    assert any(f"Out[{n}], _ (DataFrame)" in line for line in _notices(cap))
    result, _ = run(watching, "df = _")
    rec = _last(watching, "df = _")
    assert [h.name for h in rec.holders] == ["df"]  # rebinding is named even if nothing grew
    watching.user_ns["Out"].pop(n, None)


def test_arrow_frame_and_cache_holders(watching):
    pytest.importorskip("pyarrow")
    run(watching, "import functools")
    run(watching, "df = pd.DataFrame({'s': pd.array([str(i) for i in range(300_000)], "
                  "dtype='string[pyarrow]')})\n"
                  "@functools.lru_cache(maxsize=None)\ndef sq(i):\n    return [i] * 10\n"
                  "calls = [sq(i) for i in range(20_000)]")
    rec = _last(watching, "df = pd.DataFrame")
    names = {h.name: h for h in rec.holders}
    assert names["df"].type == "DataFrame" and names["df"].size > 2 * MIB
    assert names["sq"].size > 3 * MIB  # the cache's lists are the function's
    assert rec.python_delta > 5 * MIB
    for name in ("df", "sq", "calls"):
        watching.user_ns.pop(name)


def test_sampler_reads_only_while_a_cell_runs(watching):
    result, _ = run(watching, "during = get_ipython().magics_manager.registry['MemwatchMagics'].recorder.sampling")
    assert watching.user_ns.pop("during") is True
    rec = _magics(watching).recorder
    assert not rec.sampling and rec.sampler_alive


def test_ten_idle_cells_print_nothing(watching):
    run(watching, "x = 0")
    before = len(_magics(watching).recorder.records)
    for i in range(10):
        result, cap = run(watching, f"x = {i}")
        assert _notices(cap) == [], (i, texts(cap))
        assert cap.stdout == ""
    recs = list(_magics(watching).recorder.records)[before:]
    assert len(recs) == 10
    assert all(not r.walked and r.python_delta is None for r in recs)


def test_ledger_frame_columns_and_rows(watching):
    run(watching, "y = 1")
    df = pympler_nb.ledger()
    assert list(df.columns) == list(LEDGER_COLUMNS)
    assert list(df.columns[:11]) == ["execution_count", "source", "seconds", "rss_before", "rss_after",
                                     "rss_peak", "python_delta", "native_delta", "traced_peak",
                                     "top_types", "holders"]
    assert df["source"].iloc[-1] == "y = 1"
    assert (df["rss_peak"] >= df["rss_before"]).all() and (df["rss_peak"] >= df["rss_after"]).all()
    result, _ = run(watching, "led = %memwatch")
    assert isinstance(watching.user_ns.pop("led"), pd.DataFrame)


def test_raising_cell_is_recorded(watching):
    result, cap = run(watching, "junk = [bytes(1000) for _ in range(5000)]\nraise ValueError('boom')")
    assert isinstance(error_of(result), ValueError)
    rec = _last(watching, "junk = [bytes")
    assert rec.error == "ValueError" and rec.walked
    assert any("raised ValueError" in line for line in _notices(cap))
    watching.user_ns.pop("junk", None)


@pytest.mark.fresh_process
def test_async_cell_is_recorded(watching):
    result, _ = run(watching, "import asyncio\nawait asyncio.sleep(0.05)\nwaited = np.ones(40 * 2**20 // 8)")
    assert error_of(result) is None
    rec = _last(watching, "import asyncio")
    assert rec.seconds >= 0.05 and rec.rss_delta >= 39 * MIB
    assert rec.holders[0].name == "waited"
    watching.user_ns.pop("waited")


@pytest.mark.parametrize("cell", [
    "%%timeit -n 1 -r 1\nb = np.ones(2**20)",
    "%%memdiff -q\nkept = [dict() for _ in range(20_000)]",
    "%classtrack track Order",
])
def test_works_with_other_magic_cells(watching, cell):
    if cell.startswith("%classtrack"):
        run(watching, "class Order:\n    def __init__(self):\n        self.items = [0] * 100")
    result, cap = run(watching, cell)
    assert error_of(result) is None, error_of(result)
    rec = list(_magics(watching).recorder.records)[-1]
    assert rec.execution_count == result.execution_count
    assert not _magics(watching).recorder.sampling  # the sampler reads only while a cell runs
    if cell.startswith("%%memdiff"):
        # the recorder's own objects are not in %%memdiff's diff: only the 20,000 dicts grew
        assert rec.walked and rec.top_types[0][0] == "dict"
        watching.user_ns.pop("kept", None)
    if cell.startswith("%classtrack"):
        result, _ = run(watching, "orders = [Order() for _ in range(1000)]\n%classtrack snapshot")
        assert error_of(result) is None, error_of(result)
        assert _last(watching, "orders = [Order()").walked
        run(watching, "%classtrack stop")
        watching.user_ns.pop("orders")


def test_off_removes_hooks_and_threads(shell):
    hooks = {e: list(shell.events.callbacks[e]) for e in ("pre_run_cell", "post_run_cell")}
    run(shell, "%memwatch on")
    rec = _magics(shell).recorder
    assert rec.pre_run_cell in shell.events.callbacks["pre_run_cell"]
    run(shell, "%memwatch off")
    assert {e: list(shell.events.callbacks[e]) for e in hooks} == hooks
    assert _threads() == []
    count = len(rec.records)
    run(shell, "z = 1")
    assert len(rec.records) == count  # nothing recorded after off
    _, cap = run(shell, "%memwatch status")
    assert "memwatch is off" in texts(cap)[0]


def test_keyboard_interrupt_in_bookkeeping_keeps_it_on(watching, monkeypatch):
    rec = _magics(watching).recorder
    tracker = rec._tracker  # the test interrupts the heap walk itself

    original = type(tracker).diff
    calls = []

    def diff(self, *a, **k):
        if not calls:
            calls.append(1)
            raise KeyboardInterrupt
        return original(self, *a, **k)

    monkeypatch.setattr(type(tracker), "diff", diff)
    result, cap = run(watching, "big = np.ones(40 * 2**20 // 8)")
    assert error_of(result) is None
    last = _last(watching, "big = np.ones")
    assert "interrupted" in last.note and last.python_delta is None
    assert rec.attached and not rec.sampling
    result, _ = run(watching, "big2 = np.ones(40 * 2**20 // 8)")
    assert error_of(result) is None
    assert _last(watching, "big2 = np.ones").walked
    _, cap = run(watching, "%memwatch status")
    assert "memwatch is on" in texts(cap)[0]
    for name in ("big", "big2"):
        watching.user_ns.pop(name)


def test_light_mode_records_rss_and_peak_only(shell):
    from pympler_nb.core.reclaim import trim

    # as in `watching`: the free heap earlier tests left is returned to the OS first (a
    # big enough free chunk that is still resident would take the array: RSS stays)
    trim()
    run(shell, "%memwatch on --light")
    try:
        run(shell, "lt = np.ones(40 * 2**20 // 8)")
        rec = _last(shell, "lt = np.ones")
        assert rec.rss_delta >= 39 * MIB and rec.python_delta is None and rec.holders == ()
    finally:
        run(shell, "%memwatch off")
        shell.user_ns.pop("lt", None)


def test_threshold_percent_and_bad_arguments(shell):
    assert parse_threshold("2MiB") == (2 * MIB, None)
    assert parse_threshold("10%") == (1, 0.1)
    assert "not a size" in usage_error(shell, "%memwatch on --threshold lots")
    assert "percentage" in usage_error(shell, "%memwatch on --threshold 150%")
    assert "go with `on`" in usage_error(shell, "%memwatch --light")
    assert "invalid choice" in usage_error(shell, "%memwatch sometimes")
    from pympler_nb.magics_memwatch import MemwatchMagics
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="ledger is empty"):
        MemwatchMagics(shell=shell).chart()
    result, cap = run(shell, "%memwatch -h")
    assert "usage" in cap.stdout.lower() and "--meter" in cap.stdout


def test_chart_has_limit_rule_and_forecast(watching):
    for i in range(4):
        run(watching, f"grow{i} = np.ones(40 * 2**20 // 8)")
    chart = _magics(watching).chart()
    spec = chart.to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["rule", "line", "point", "rule"]
    limits = [v for ds in spec["datasets"].values() for row in ds for k, v in row.items() if k == "limit"]
    assert len(limits) == 1 and limits[0] > 0
    assert "reached in ~" in spec["title"]["subtitle"]
    _, cap = run(watching, "%memwatch --chart")
    assert any(t.startswith("<chart:") for t in texts(cap))
    for i in range(4):
        watching.user_ns.pop(f"grow{i}")


def test_meter_updates_and_stops(shell):
    run(shell, "%memwatch --meter")
    meter = _magics(shell).meter
    try:
        assert meter.running and "pympler_nb meter" in _threads()
        first = meter.ticks
        deadline = 50
        while meter.ticks < first + 1 and deadline:
            threading.Event().wait(0.1)
            deadline -= 1
        assert meter.ticks > first and meter.history and meter.limit > 0
    finally:
        meter._on_msg(meter, {"type": "close"}, [])  # what the ✕ button sends
    assert not meter.running and "pympler_nb meter" not in _threads()
    ticks = meter.ticks
    threading.Event().wait(1.2)
    assert meter.ticks == ticks  # no reading after the close
    meter.limit = meter.rss  # at (or above) 80 % of the limit: a warning
    meter.refresh()
    assert meter.warning and "WARNING" in repr(meter._repr_mimebundle_()[0]["text/plain"])
    meter.limit = meter.rss * 100
    meter.refresh()
    assert not meter.warning
    meter.close()


def test_config_option_turns_it_on_at_load():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    assert PymplerNB(config=Config({"PymplerNB": {"memwatch": True}})).memwatch is True
    cfg = Config()
    cfg.PymplerNB.memwatch = True
    cfg.PymplerNB.memwatch_threshold = "5MiB"
    saved = InteractiveShell._instance  # a second shell beside the module's
    ip = InteractiveShell(config=cfg)
    try:
        ip.run_cell("%load_ext pympler_nb")
        rec = ip.magics_manager.registry["MemwatchMagics"].recorder
        assert rec is not None and rec.attached and rec.threshold == 5 * MIB
        ip.run_cell("w = 1", store_history=True)
        assert rec.records[-1].source == "w = 1"
    finally:
        ip.run_cell("%unload_ext pympler_nb")
        InteractiveShell._instance = saved
    assert not rec.attached and _threads() == []


def test_traced_peak_when_tracemalloc_traces(watching):
    run(watching, "import tracemalloc\ntracemalloc.start()")
    try:
        run(watching, "t = [str(i) * 10 for i in range(200_000)]\ndel t")
        rec = _last(watching, "t = [str(i)")
        assert rec.traced_peak is not None and rec.traced_peak >= 10 * MIB, rec.traced_peak
        run(watching, "u = 1")
        assert _last(watching, "u = 1").traced_peak < MIB
    finally:
        run(watching, "tracemalloc.stop()")
    run(watching, "v = 1")
    assert _last(watching, "v = 1").traced_peak is None


def test_on_again_keeps_the_ledger(shell):
    run(shell, "%memwatch on")
    run(shell, "kept_a = 1")
    run(shell, "%memwatch on --light")
    run(shell, "kept_b = 1")
    run(shell, "%memwatch off")
    sources = [r.source for r in _magics(shell).recorder.records]
    assert "kept_a = 1" in sources and "kept_b = 1" in sources
    assert _magics(shell).recorder.light


def test_numpy_object_array_holder(watching):
    run(watching, "objs = np.array([str(i) * 20 for i in range(100_000)], dtype=object)")
    rec = _last(watching, "objs = np.array")
    assert rec.holders[0].name == "objs" and rec.holders[0].size > 8 * MIB
    watching.user_ns.pop("objs")


@pytest.fixture(scope="module", autouse=True)
def _imports(shell):
    run(shell, "import numpy as np\nimport pandas as pd")
    assert np is not None


def test_memdiff_under_memwatch_shows_none_of_ours(watching):
    run(watching, "%%memdiff -q\nwarm = 1")
    result, _ = run(watching, "%%memdiff\nquiet = 2")
    assert error_of(result) is None
    diff = watching.user_ns["Out"][result.execution_count]
    assert isinstance(diff, pd.DataFrame) and diff.empty, diff


def test_dashboard_timeline_and_variables_tabs_show_memwatch_and_memvars(watching):
    """Issue 20 item 3: %memdash's Timeline tab is the %memwatch ledger with its chart, its
    Variables tab the %memvars table (a widget hosted in the tab)."""
    from pympler_nb.widgets.dashboard import Dashboard

    run(watching, "import numpy as np\nblob = np.ones(6_000_000)")
    dash = Dashboard(tab="timeline")
    kinds = [block["kind"] for block in dash.pages["timeline"]["blocks"]]
    assert kinds[0] == "image" and "table" in kinds, dash.pages["timeline"]["blocks"]
    assert "blob" in str(dash.pages["timeline"]["blocks"]), dash.pages["timeline"]["blocks"]
    dash.handle({"type": "open", "tab": "variables"})
    (block,) = dash.pages["variables"]["blocks"]
    assert block["kind"] == "widget" and "blob" in block["text"], block
    dash.close()
