"""%%leakcheck and %heap --save/--diff (issue 21) in an IPython shell, and ten runs of an
idle cell in a real Jupyter kernel (nbclient)."""

from __future__ import annotations

import functools
import re
import sys

import pytest

from pympler_nb.core.leakcheck import leak_check
from tests._ipython import error_of, run, texts, usage_error

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")


def _within(value, truth, tol=0.10):
    return abs(value - truth) <= tol * abs(truth)


def test_help_and_usage_errors(shell):
    result, cap = run(shell, "%%leakcheck -h\n")
    assert error_of(result) is None and "Usage: %%leakcheck [-n K] [--warmup W] [--trace]" in cap.stdout
    assert "-n must be an int >= 2, got 1" in usage_error(shell, "%%leakcheck -n 1\npass\n")
    assert "--warmup must be an int >= 0" in usage_error(shell, "%%leakcheck --warmup -1\npass\n")
    assert "--top must be an int >= 1" in usage_error(shell, "%%leakcheck --top 0\npass\n")
    assert "%leakcheck" in usage_error(shell, "%%leakcheck --nope\npass\n")


def test_lru_cache_leak_traced_to_the_cell_line(shell):
    shell.run_cell("import functools, itertools\n"
                   "@functools.lru_cache(maxsize=None)\n"
                   "def load(k):\n    return bytearray(10_000)\n"
                   "keys = itertools.count()\n", store_history=True).raise_error()
    result, cap = run(shell, "%%leakcheck -n 3 --trace\nx = 1\nfor _ in range(20):\n    load(next(keys))\n")
    assert error_of(result) is None
    df = result.result
    assert list(df.columns) == ["type", "site", "per_run_count", "per_run_bytes", "verdict", "holder",
                                "born", "releasable_bytes"]
    row = df[df["type"] == "bytearray"].iloc[0]
    assert row["verdict"] == "leak" and _within(row["per_run_count"], 20)
    assert _within(row["per_run_bytes"], 20 * sys.getsizeof(bytearray(10_000)))
    assert "load" in row["holder"] and "cached" in row["holder"]
    assert row["born"].startswith("cell [") and "line 3: load(next(keys))" in row["born"], row["born"]
    assert row["releasable_bytes"] >= 20 * 10_000 * 3
    sites = df[df["site"].notna() & (df["verdict"] == "leak")]
    assert sites["site"].str.contains("line 3").any()
    shown = texts(cap)
    assert shown[0].startswith("%%leakcheck (3 of 3 runs after 1 warm-up): leaks ~")
    assert "+20 bytearray per run" in shown[0] and "born at cell [" in shown[0]
    assert any("load.cache_clear()" in t for t in shown)
    assert df.attrs["runs_done"] == 3 and df.attrs["verdict"] == shown[0].split(": ", 1)[1]
    shell.run_cell("load.cache_clear()")


def test_out_cache_holding_a_dataframe(shell):
    """Re-running a cell whose value is a DataFrame: IPython's Out keeps each one."""
    shell.run_cell("import numpy as np, pandas as pd", store_history=True).raise_error()
    shell.run_cell("frame = pd.DataFrame(np.random.rand(50_000, 4))\n"
                   "mixed = pd.DataFrame({'obj': ['x%d' % i for i in range(5_000)],\n"
                   "    'cat': pd.Categorical(['a', 'b'] * 2_500),\n"
                   "    'arrow': pd.Series(['s%d' % i for i in range(5_000)], dtype='string[pyarrow]')})",
                   store_history=True).raise_error()
    for expr, check_bytes in (("frame.copy()", True), ("mixed.copy()", False)):
        report = leak_check(functools.partial(shell.run_cell, expr, store_history=True), runs=3, top=30)
        row = report.row("pandas.DataFrame")
        assert row is not None and row.verdict == "leak" and _within(row.per_run_count, 1)
        # the last run's frame is Out[n], `_n` and `_`: the shortest chain names one of them
        assert re.fullmatch(r"Out\[\d+\]|_{1,3}|_\d+", row.holder), row.holder
        assert row.samples[0].root == "IPython output cache"
        if check_bytes:
            arrays = report.row("numpy.ndarray")
            assert arrays.verdict == "leak"
            assert _within(arrays.per_run_bytes, shell.user_ns["frame"].values.nbytes)
    shell.run_cell("%reset -f out")


def test_no_false_positive_in_the_shell(shell):
    shell.run_cell("import sys, pandas as pd\nmemo = {}", store_history=True).raise_error()
    for cell in ("tmp = bytearray(20_000_000)\ndel tmp\n",
                 "for i in range(100):\n    memo.setdefault(i, [0] * 100)\n",
                 "names = [sys.intern('f%d' % i) for i in range(300)]\n",
                 "x = pd.DataFrame({'a': range(1000)})\nx\n"):
        result, cap = run(shell, "%%leakcheck -n 4 -q\n" + cell)
        assert error_of(result) is None, cell
        df = result.result
        assert not (df["verdict"] == "leak").any(), (cell, df[df["verdict"] == "leak"])
        assert df.attrs["verdict"].startswith("no leak"), df.attrs["verdict"]


def test_cell_raising_on_a_run_stops_reports_and_reraises(shell):
    shell.run_cell("calls = 0\nkept = []", store_history=True)
    result, cap = run(shell, "%%leakcheck -n 5\ncalls += 1\nkept.append(bytearray(1000))\n"
                             "if calls == 4:\n    raise ValueError('fourth call')\n")
    err = error_of(result)
    assert isinstance(err, ValueError) and str(err) == "fourth call"
    shown = texts(cap)
    assert "(2 of 5 runs after 1 warm-up)" in shown[0] and "stopped: run 3 raised ValueError" in shown[0]
    assert "bytearray" in shown[1]  # the table of the runs done (no value will show it)
    assert shell.run_cell("1 + 1").result == 2  # the shell goes on


def test_keyboard_interrupt_reports_the_runs_done(shell):
    shell.run_cell("calls = 0", store_history=True)
    result, cap = run(shell, "%%leakcheck -n 4\ncalls += 1\nif calls == 3:\n    raise KeyboardInterrupt\n")
    assert isinstance(error_of(result), KeyboardInterrupt)
    assert "(1 of 4 runs after 1 warm-up): no verdict" in texts(cap)[0]
    assert "interrupted during run 2" in texts(cap)[0]
    assert shell.run_cell("2 + 2").result == 4


def test_heap_save_and_diff(shell, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    result, cap = run(shell, f"%heap --save {a}")
    assert error_of(result) is None and result.result is None and a.exists()
    assert texts(cap)[0].startswith(f"heap snapshot saved to {a}")
    shell.run_cell("blobs = [bytearray(5_000) for _ in range(400)]", store_history=True)
    result, cap = run(shell, f"%heap --diff {a}")
    assert error_of(result) is None
    df = result.result
    row = df[df["key"] == "bytearray"].iloc[0]
    assert row["count_diff"] >= 400 and row["size_diff"] >= 400 * 5_000
    assert texts(cap)[0].startswith(f"heap --diff by type: live heap against {a}")
    run(shell, f"%heap --save {b} -q")
    result, _ = run(shell, f"%heap --diff {a} {b} --by module -q")
    df = result.result
    assert df[df["key"] == "builtins"]["size_diff"].iloc[0] >= 400 * 5_000
    assert "cannot read" in usage_error(shell, f"%heap --diff {tmp_path / 'missing.json'}")
    assert "FILE or FILE FILE2" in usage_error(shell, f"%heap --diff {a} {a} {a}")
    assert "by type or by module" in usage_error(shell, f"%heap --diff {a} --by rcs")
    assert "stand alone" in usage_error(shell, f"%heap --save {b} --new")
    shell.run_cell("del blobs")


@pytest.mark.kernel
def test_idle_cell_ten_runs_in_a_real_kernel(tmp_path):
    """Ten runs of an idle cell in ipykernel: the kernel's own background (message
    headers, event-loop timers, IOPub) never reads as a leak; a real leak still does."""
    from tests.test_kernel_session import SETUP, _displayed, _errors, _run_cells

    cells = _run_cells([SETUP, "%%leakcheck -n 10\npass\n",
                        "store = []",
                        "%%leakcheck -n 3\nstore.append(bytearray(200_000))\n"], tmp_path)
    assert _errors(cells) == []
    idle, leak = _displayed(cells[1]), _displayed(cells[3])
    assert "(10 of 10 runs after 1 warm-up): no leak" in idle, idle
    assert "leaks ~195 KiB per run" in leak and "held by store[" in leak, leak
