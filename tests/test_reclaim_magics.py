"""``%reclaim``: the RSS split in a notebook shell, the holders' release plans, ``--run``."""

import gc
import sys
import weakref

import pytest

from pympler_nb import charts
from pympler_nb.core import reclaim
from pympler_nb.frames_reclaim import HOLDER_COLUMNS, RECLAIM_COLUMNS, TRIM_COLUMNS
from tests._ipython import error_of, run, texts, usage_error

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
MB = 1 << 20


def _output_cell(shell, src: str) -> int:
    """Run a cell whose value goes to the output cache; its number. (The ExecutionResult,
    which holds the value, must not live in the test's frame: on 3.11/3.12 reading a
    running frame's locals leaves a snapshot dict that would keep it.)"""
    return run(shell, src)[0].execution_count


def _adds_up(df):
    total = int(df["bytes"].sum())
    assert total == df.attrs["rss"] + df.attrs["overcount"]
    assert df.attrs["overcount"] <= 0.05 * df.attrs["rss"]


def test_reclaim_splits_rss_and_lists_holders_with_their_plans(shell):
    shell.run_cell(
        "import numpy as np, pandas as pd\n"
        "arr = np.ones(40 * 2**20 // 8)\n"
        "frame = pd.DataFrame({'s': [f'row-{i}' for i in range(100_000)],\n"
        "                      'c': pd.Categorical([i % 7 for i in range(100_000)])})\n"
        "small = [1, 2, 3]").raise_error()
    number = _output_cell(shell, "arr")  # Out[n], _ and _n hold it too
    result, cap = run(shell, "split = %reclaim --holders 2")
    assert error_of(result) is None
    df = shell.user_ns["split"]
    assert tuple(df.columns) == RECLAIM_COLUMNS
    assert df["part"].tolist() == list(reclaim.PARTS)
    _adds_up(df)
    native = int(df.loc[df["part"] == "native_held", "bytes"].iloc[0])
    assert native >= 40 * MB
    holders = df.attrs["holders"]
    assert [set(h) for h in holders] == [set(HOLDER_COLUMNS)] * len(holders)
    by_name = {h["name"]: h for h in holders}
    assert "arr" in by_name, holders
    plan = by_name["arr"]["plan"].split("; ")
    assert "del arr" in plan and f"del Out[{number}]" in plan
    assert by_name["arr"]["releasable_bytes"] >= 40 * MB
    (text,) = [t for t in texts(cap) if t.startswith("RSS")]
    assert "native_held" in text and "largest holders" in text and "del arr" in text
    assert any(o.data.get(charts.VEGALITE_MIME) for o in cap.outputs)  # the chart
    # the plan, run as shown, frees the array
    ref = weakref.ref(shell.user_ns["arr"])
    for statement in plan:
        shell.run_cell(statement).raise_error()
    gc.collect()
    assert ref() is None
    shell.run_cell("del frame, small, split")


@pytest.mark.fresh_process
def test_reclaim_run_returns_freed_heap_to_the_os(shell):
    if reclaim.glibc() is None:
        pytest.skip("malloc_trim is glibc's")
    shell.run_cell("rows = [('%07d' % i) * 100 for i in range(300_000)]\n"
                   "keep = rows[::100]\n"
                   "del rows").raise_error()
    result, cap = run(shell, "trimmed = %reclaim --run")
    assert error_of(result) is None
    df = shell.user_ns["trimmed"]
    assert tuple(df.columns) == TRIM_COLUMNS and len(df) == 1
    assert bool(df["trimmed"].iloc[0]) is True
    assert int(df["returned"].iloc[0]) > 100 * MB
    assert "returned to the OS" in texts(cap)[0]
    shell.run_cell("del keep, trimmed")


def test_reclaim_run_without_glibc_says_why(shell, monkeypatch):
    monkeypatch.setattr(reclaim, "glibc", lambda: None)
    result, cap = run(shell, "trimmed = %reclaim --run")
    assert error_of(result) is None
    df = shell.user_ns["trimmed"]
    assert df["trimmed"].isna().all()
    assert "not glibc" in texts(cap)[0] and "restarting the kernel" in texts(cap)[0]
    result, cap = run(shell, "split = %reclaim --holders 0 -q")
    assert error_of(result) is None and not cap.outputs
    _adds_up(shell.user_ns["split"])
    assert any("not glibc" in n for n in shell.user_ns["split"].attrs["notes"])
    shell.run_cell("del trimmed, split")


def test_reclaim_with_tracemalloc(shell):
    shell.run_cell("import tracemalloc; tracemalloc.start()").raise_error()
    try:
        result, _ = run(shell, "split = %reclaim --holders 0 -q")
        assert error_of(result) is None
        df = shell.user_ns["split"]
        assert df.attrs["tracing"] is True
        assert int(df.loc[df["part"] == "tracemalloc_overhead", "bytes"].iloc[0]) > 0
        _adds_up(df)
    finally:
        shell.run_cell("tracemalloc.stop(); del split")


def test_reclaim_usage(shell):
    assert "reclaim" in shell.magics_manager.magics["line"]  # registered by %load_ext
    assert "--top 0 is too small" in usage_error(shell, "%reclaim --top 0")
    assert "--holders -1 is too small" in usage_error(shell, "%reclaim --holders -1")
    assert "unrecognized arguments: arr" in usage_error(shell, "%reclaim arr")
    assert "invalid int value" in usage_error(shell, "%reclaim --top many")
    result, cap = run(shell, "%reclaim -h")
    assert error_of(result) is None and cap.stdout.startswith("Usage: %reclaim [--run]")
    result, cap = run(shell, "%reclaim --holders 0;")  # silenced: no Out, still displayed
    assert error_of(result) is None and result.result is None
    assert any(t.startswith("RSS") for t in texts(cap))


def test_reclaim_chart_spec():
    import pandas as pd

    df = pd.DataFrame({"part": ["python_live", "allocator_free"], "bytes": [300, 100],
                       "percent": [75.0, 25.0], "releasable": [0, 60], "what": ["a", "b"]})
    df.attrs["rss"] = 400
    spec = charts.reclaim_chart(df).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [r["part"] for r in rows] == ["python_live", "allocator_free"]
    assert "400" in spec["title"] or "B" in spec["title"]
    assert {t["field"] for t in spec["encoding"]["tooltip"]} >= {"part", "bytes", "releasable"}
    with pytest.raises(ValueError, match="reclaim_frame"):
        charts.reclaim_chart(pd.DataFrame({"x": [1]}))
