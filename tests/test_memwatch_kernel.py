"""``%memwatch`` in a real Jupyter kernel (ipykernel, run by nbclient): issue 19's cases."""

from __future__ import annotations

import json
import pathlib

import pytest

from tests._ipython import notice_peak_mib

REPO = str(pathlib.Path(__file__).resolve().parents[1])
MIB = 1 << 20

pytestmark = pytest.mark.kernel

IDLE = [f"i = {k}" for k in range(10)]

CELLS = [
    f"import sys; sys.path[:0] = [{REPO!r}]\n%load_ext pympler_nb\nimport numpy as np, pandas as pd, asyncio, json",
    "%memwatch on",
    "arr = np.ones(100 * 2**20 // 8)",                                        # 2
    "tmp = np.ones(80 * 2**20 // 8)\ns = float(tmp.sum())\ndel tmp",          # 3
    "df = pd.DataFrame({'s': [str(i) * 4 for i in range(300_000)], 'f': np.arange(300_000.0)})",  # 4
    "pd.DataFrame({'o': np.array([str(i) * 10 for i in range(200_000)], dtype=object)})",  # 5
    *IDLE,                                                                       # 6..15
    "junk = np.ones(50 * 2**20 // 8)\nraise ValueError('boom')",              # 16
    "await asyncio.sleep(0.05)\nwaited = np.ones(40 * 2**20 // 8)",           # 17
    "%%timeit -n 1 -r 1\nb = np.ones(40 * 2**20 // 8)",                       # 18
    "%%memdiff -q\nkept = np.ones(40 * 2**20 // 8)",                          # 19
    "class Order:\n    def __init__(self):\n        self.items = [0] * 100\n%classtrack track Order",  # 20
    "orders = [Order() for _ in range(5000)]",                                # 21
    # a KeyboardInterrupt inside the bookkeeping (the heap walk) of the next cell
    "from pympler_nb.core.tracker import SummaryTracker\n_orig = SummaryTracker.diff\n_n = []\n"
    "def _diff(self, *a, **k):\n    if not _n:\n        _n.append(1)\n        raise KeyboardInterrupt\n"
    "    return _orig(self, *a, **k)\nSummaryTracker.diff = _diff",               # 22
    "hit = np.ones(40 * 2**20 // 8)",                                         # 23
    "SummaryTracker.diff = _orig\nafter = np.ones(40 * 2**20 // 8)",          # 24
    "%memwatch status",                                                       # 25
    "led = pympler_nb_ledger = __import__('pympler_nb').ledger()\n"
    "print(json.dumps({'columns': list(led.columns), 'rows': led.astype(str).to_dict('records')}))",  # 26
    "%memwatch off",                                                          # 27
    "import threading\nprint(json.dumps(sorted(t.name for t in threading.enumerate()"
    " if t.name.startswith('pympler_nb'))))\n"
    "print(json.dumps({e: [getattr(f, '__qualname__', '') for f in get_ipython().events.callbacks[e]]"
    " for e in ('pre_run_cell', 'post_run_cell')}))",                            # 28
]


def _notices(cell) -> list[str]:
    out = []
    for o in cell.get("outputs", []):
        data = o.get("data", {})
        text = data.get("text/plain", "")
        if o.get("output_type") == "display_data" and text.startswith("memwatch:"):
            assert "pympler-nb-note" in data.get("text/html", "")  # a small HTML line in Jupyter
            out.append(text)
    return out


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


@pytest.fixture(scope="module")
def cells(tmp_path_factory):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    client = nbclient.NotebookClient(nb, timeout=300, allow_errors=True, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path_factory.mktemp("mw"))}})
    client.execute()
    return nb.cells


@pytest.fixture(scope="module")
def ledger(cells):
    data = json.loads(_stdout(cells[26]).strip().splitlines()[-1])
    by_source = {}
    for row in data["rows"]:
        by_source.setdefault(row["source"], row)
    return data["columns"], data["rows"], by_source


def _int(value):
    return None if value in ("<NA>", "None", "nan") else int(float(value))


def test_no_errors_but_the_raising_cell(cells):
    errors = [(i, o.get("ename")) for i, c in enumerate(cells) for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == [(16, "ValueError")], errors


def test_numpy_array_with_its_holder(cells, ledger):
    [line] = _notices(cells[2])
    assert line.startswith("memwatch: +100 MiB RSS") and "arr (ndarray) +100 MiB" in line, line
    row = ledger[2]["arr = np.ones(100 * 2**20 // 8)"]
    assert _int(row["rss_after"]) - _int(row["rss_before"]) >= 95 * MIB
    assert _int(row["python_delta"]) + _int(row["native_delta"]) >= 95 * MIB
    assert row["holders"].startswith("arr (ndarray)")


def test_temporary_peak_and_net_zero(cells, ledger):
    [line] = _notices(cells[3])
    # the sampled peak: the 80 MiB array plus numpy's and the kernel's own native buffers
    # of that moment (about a MiB), as in test_memwatch's temporary test
    assert 79 <= (notice_peak_mib(line) or 0) <= 83, line
    row = ledger[2]["tmp = np.ones(80 * 2**20 // 8)"]
    before, after, peak = (_int(row[k]) for k in ("rss_before", "rss_after", "rss_peak"))
    assert peak - before >= 75 * MIB and abs(after - before) < 4 * MIB


def test_holders_named_df_and_out_n(cells, ledger):
    assert any("df (DataFrame)" in line for line in _notices(cells[4])), _notices(cells[4])
    n = cells[5]["execution_count"]
    assert any(f"Out[{n}], _ (DataFrame)" in line for line in _notices(cells[5])), _notices(cells[5])
    [row] = [r for source, r in ledger[2].items() if source.startswith("pd.DataFrame({'o': np.array(")]
    assert row["holders"].startswith(f"Out[{n}], _ (DataFrame)")


def test_ten_idle_cells_show_nothing(cells):
    for cell in cells[6:16]:
        assert cell["outputs"] == [], cell["outputs"]


def test_ledger_columns_and_every_cell(ledger):
    columns, rows, by_source = ledger
    assert columns == ["execution_count", "source", "seconds", "rss_before", "rss_after", "rss_peak",
                       "python_delta", "native_delta", "traced_peak", "top_types", "holders", "error"]
    sources = [r["source"] for r in rows]
    for first_line in ["junk = np.ones(50 * 2**20 // 8)", "await asyncio.sleep(0.05)",
                       "%%timeit -n 1 -r 1", "%%memdiff -q", "orders = [Order() for _ in range(5000)]",
                       "hit = np.ones(40 * 2**20 // 8)", "%memwatch status"]:
        assert first_line in sources, (first_line, sources)
    assert by_source["junk = np.ones(50 * 2**20 // 8)"]["error"] == "ValueError"
    assert float(by_source["await asyncio.sleep(0.05)"]["seconds"]) >= 0.05
    assert by_source["await asyncio.sleep(0.05)"]["holders"].startswith("waited (ndarray)")
    assert _int(by_source["%%timeit -n 1 -r 1"]["rss_peak"]) - _int(by_source["%%timeit -n 1 -r 1"]["rss_before"]) \
        >= 35 * MIB
    assert by_source["%%memdiff -q"]["holders"].startswith("kept (ndarray)")
    assert "Order" in by_source["orders = [Order() for _ in range(5000)]"]["top_types"] or \
        "list" in by_source["orders = [Order() for _ in range(5000)]"]["top_types"]


def test_raising_and_async_cells_have_notices(cells):
    assert any("raised ValueError" in line for line in _notices(cells[16]))
    assert any("waited (ndarray)" in line for line in _notices(cells[17]))


def test_keyboard_interrupt_in_bookkeeping_leaves_it_on(cells, ledger):
    [line] = _notices(cells[23])
    assert "bookkeeping interrupted" in line, line
    assert any("after (ndarray)" in x for x in _notices(cells[24]))  # the next cell is complete
    status = "".join(o.get("data", {}).get("text/plain", "") for o in cells[25]["outputs"])
    assert "memwatch is on" in status


def test_off_leaves_no_thread_and_no_hook(cells):
    threads, hooks = (json.loads(line) for line in _stdout(cells[28]).strip().splitlines())
    assert threads == []
    assert not any("Recorder" in name for names in hooks.values() for name in names), hooks
