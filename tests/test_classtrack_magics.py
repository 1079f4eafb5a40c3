"""Issue 17, items 15, 16 and 24 in the notebook layer: ``%classtrack track_object``,
``track_change``, ``detach`` and ``report``, the process total in ``%classtrack stats``
and its chart, and the charts' binary axes and whole labels."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pympler_nb import charts, frames
from pympler_nb.core.classtracker import ClassTracker
from pympler_nb.core.format import axis_size, axis_size_expr, binary_ticks
from tests._ipython import error_of, run, texts, usage_error

SETUP = """
import functools
import numpy as np
import pandas as pd
import pyarrow as pa

class Dataset:
    def __init__(self, n):
        self.frame = pd.DataFrame({
            "obj": pd.Series([f"row-{i}" for i in range(n)], dtype=object),
            "cat": pd.Categorical([f"c{i % 5}" for i in range(n)]),
            "arrow": pd.Series([f"a{i}" for i in range(n)], dtype=pd.ArrowDtype(pa.string())),
        })
        self.objects = np.array([{"k": i} for i in range(n)], dtype=object)
        self.cache = functools.lru_cache(maxsize=None)(lambda x: [x] * 2)
        for i in range(n):
            self.cache(i)

class Doc:
    def __init__(self):
        self.body = "x" * 500
"""


@pytest.fixture
def ct(shell):
    shell.run_cell(SETUP).raise_error()
    yield shell
    run(shell, "%classtrack stop -q")
    for name in ("Dataset", "Doc", "ds", "docs", "n", "st", "pair"):
        shell.user_ns.pop(name, None)


def _tracker(shell) -> ClassTracker:
    return shell.magics_manager.registry["PymplerMagics"].class_tracker


def _ok(shell, src):
    result, cap = run(shell, src)
    assert error_of(result) is None, (src, error_of(result))
    return result, cap


# ---------------------------------------------------------------------------
# item 16
def test_item16_track_object_and_track_change(ct):
    ct.run_cell("ds = Dataset(200)").raise_error()
    result, cap = _ok(ct, "%classtrack track_object --name data --resolution 1 ds")
    assert "tracking ds (resolution 1)" in cap.stdout and cap.stdout.strip().count("\n") == 0
    tracker = _tracker(ct)
    (tobj,) = tracker.index["data"]
    assert tobj.ref() is ct.user_ns["ds"] and tobj.resolution_level == 1
    _ok(ct, "%classtrack snapshot -q first")
    _ok(ct, "%classtrack track_change --resolution 2 ds")
    assert tobj.resolution_level == 2
    _ok(ct, "%classtrack snapshot -q second")
    st = _ok(ct, "%classtrack stats -q")[0].result
    assert st["class"].tolist() == ["data", "data"] and (st["size"] > 0).all()
    # an expression, options first; the default name is the class's name
    ct.run_cell("pair = {'a': Dataset(5)}").raise_error()
    _ok(ct, "%classtrack track_object pair['a']")
    assert "Dataset" in tracker.index


def test_item16_track_object_and_track_change_errors(ct):
    ct.run_cell("n = 12345\ndocs = [Doc()]").raise_error()
    text = usage_error(ct, "%classtrack track_object n")
    assert text.startswith("%classtrack track_object: n is a int") and "--keep" in text
    _ok(ct, "%classtrack track_object --keep n")  # kept alive by the tracker instead
    assert usage_error(ct, "%classtrack track_object").startswith("%classtrack track_object: give an expression")
    assert "not_defined_here" in usage_error(ct, "%classtrack track_object not_defined_here")
    assert ">= 0" in usage_error(ct, "%classtrack track_object --resolution -1 docs[0]")
    assert "--name is empty" in usage_error(ct, "%classtrack track_object --name '' docs[0]")
    text = usage_error(ct, "%classtrack track_change --resolution 1 docs[0]")
    assert "docs[0] is not tracked" in text and "%classtrack track_object docs[0]" in text
    assert "--resolution" in usage_error(ct, "%classtrack track_change docs[0]")  # required
    assert ">= 0" in usage_error(ct, "%classtrack track_change --resolution -2 n")


def test_item16_detach(ct):
    _ok(ct, "%classtrack track -q Doc")
    ct.run_cell("docs = [Doc(), Doc()]").raise_error()
    result, cap = _ok(ct, "%classtrack detach Doc")
    assert "stopped tracking new instances of Doc" in cap.stdout
    doc_cls = ct.user_ns["Doc"]
    assert "__pympler_nb_tracker__" not in repr(doc_cls.__dict__.get("__init__"))
    ct.run_cell("docs.append(Doc())").raise_error()
    tracker = _tracker(ct)
    assert len(tracker.index[f"{doc_cls.__module__}.Doc"]) == 2  # the tracked ones stay, the new one is not added
    text = usage_error(ct, "%classtrack detach Doc")
    assert "Doc" in text and "not tracked" in text and "%classtrack track Doc" in text
    assert "not a class" in usage_error(ct, "%classtrack detach docs")


def test_item16_report(ct, tmp_path):
    assert "no snapshots yet" in usage_error(ct, f"%classtrack report {tmp_path / 'r.html'}")
    _ok(ct, "%classtrack track -q Dataset")
    ct.run_cell("ds = [Dataset(100), Dataset(10)]").raise_error()
    _ok(ct, "%classtrack snapshot -q")
    folder = tmp_path / "my reports"
    folder.mkdir()
    ct.user_ns["folder"] = str(folder)
    try:
        result, cap = _ok(ct, "%classtrack report {folder + '/mem.html'} --title 'Datasets <1>'")
    finally:
        ct.user_ns.pop("folder")
    assert "HTML report written to" in cap.stdout
    page = (folder / "mem.html").read_text()
    assert "<title>Datasets &lt;1&gt;</title>" in page
    name = f"{ct.user_ns['Dataset'].__module__}.Dataset".replace(".", "_")
    assert f'href="mem_files/{name}.html"' in page and (folder / "mem_files" / f"{name}.html").is_file()
    text = usage_error(ct, f"%classtrack report {tmp_path / 'missing' / 'r.html'}")
    assert "cannot write" in text and "missing" in text and "check the path" in text


def test_item16_help_lists_the_new_subcommands(ct):
    result, cap = _ok(ct, "%classtrack -h")
    for sub in ("track_object", "track_change", "detach", "report"):
        assert f"classtrack {sub}" in cap.stdout
    result, cap = _ok(ct, "%classtrack report -h")
    assert "--title" in cap.stdout


# ---------------------------------------------------------------------------
# item 15: the process total and the untracked share in %classtrack stats and its chart
def test_item15_stats_carry_the_process_total(ct):
    _ok(ct, "%classtrack track -q Dataset")
    ct.run_cell("ds = Dataset(300)").raise_error()
    _ok(ct, "%classtrack snapshot -q one")
    result, cap = _ok(ct, "st = %classtrack stats")
    st = ct.user_ns["st"]
    totals = pd.DataFrame(st.attrs["totals"])
    tracker = _tracker(ct)
    snap = tracker.snapshots[0]
    assert totals["total"].tolist() == [snap.total] and totals["tracked"].tolist() == [snap.tracked_total]
    assert totals["untracked"].tolist() == [snap.total - snap.tracked_total]
    assert frames.classtracker_totals_frame(tracker).equals(totals.astype(
        frames.classtracker_totals_frame(tracker).dtypes.to_dict()))
    chart = charts.classtracker_memory_chart(st)
    spec = chart.to_dict()
    assert "process total" in spec["title"]["subtitle"] and "untracked (other)" in spec["title"]["subtitle"]
    titles = [t.get("title") for t in spec["encoding"]["tooltip"]]
    assert "process total (bytes)" in titles and "untracked (bytes)" in titles
    assert any("process total" in t for t in texts(cap))


# ---------------------------------------------------------------------------
# item 24: binary axes from the core's one rule, labels never clipped
def _long_frame():
    long = "package.subpackage.module_with_a_long_name.AVeryLongTrackedClassNameThatMustStayWhole"
    rows = []
    for snap, label in enumerate(["start of a long described phase (0.100s)", "end (0.200s)"]):
        for cls, size in ((long, 7 * 2**20 + snap), ("Short", 3 * 2**20)):
            rows.append({"snapshot": snap, "label": label, "timestamp": 0.1 * (snap + 1), "class": cls,
                         "active": 2, "size": size, "average": size / 2, "pct": 1.0})
    return pd.DataFrame(rows), long


def test_item24_chart_specs_use_binary_units_and_no_label_limit():
    df, long = _long_frame()
    spec = charts.classtracker_memory_chart(df).to_dict()
    y_axis = spec["encoding"]["y"]["axis"]
    assert y_axis["labelExpr"] == axis_size_expr()
    assert y_axis["values"] == binary_ticks([10 * 2**20 + 1, 10 * 2**20])
    assert spec["encoding"]["x"]["axis"]["labelLimit"] == 0
    assert spec["encoding"]["color"]["legend"]["labelLimit"] == 0
    diff = charts.diff_chart(pd.DataFrame({"type": [long, "dict"], "count_diff": [3, -1],
                                           "size_diff": [5 * 2**20, -2048]})).to_dict()
    assert diff["encoding"]["y"]["axis"]["labelLimit"] == 0
    assert diff["encoding"]["x"]["axis"]["labelExpr"] == axis_size_expr()


def test_item24_drawn_chart_shows_binary_ticks_and_whole_labels():
    vl_convert = pytest.importorskip("vl_convert")
    df, long = _long_frame()
    svg = vl_convert.vegalite_to_svg(charts.classtracker_memory_chart(df).to_dict(), allowed_base_urls=[])
    drawn = [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    assert long in drawn and "start of a long described phase (0.100s)" in drawn
    ticks = binary_ticks([10 * 2**20 + 1, 10 * 2**20])  # the stacked totals of the two snapshots
    assert [axis_size(t) for t in ticks] == ["0 B", "2.5 MiB", "5 MiB", "7.5 MiB", "10 MiB", "12.5 MiB"]
    for label in (axis_size(t) for t in ticks):
        assert label in drawn, (label, drawn)
    assert not any(re.fullmatch(r"[\d,]{7,}", t) for t in drawn)  # no 10,000,000
    # negative ticks: Vega's minus sign, as axis_size writes it
    diff = charts.diff_chart(pd.DataFrame({"type": ["a", "b"], "count_diff": [1, -1],
                                           "size_diff": [2**20, -2**20]})).to_dict()
    drawn = re.findall(r"<text[^>]*>([^<]*)</text>", vl_convert.vegalite_to_svg(diff, allowed_base_urls=[]))
    assert axis_size(-2**19) in [t.strip() for t in drawn]


def test_item24_lifetimes_labels_keep_the_class_name_whole():
    cls = "pkg.AClassNameLongerThanTheOldFortyEightCharacterLimitOfLabels"
    df = pd.DataFrame({"class": [cls, cls], "name": ["n", "n"], "id": [1, 2],
                       "repr": ["<pkg.AClassNameLongerThanTheOldFortyEightCharacterLimitOfLabels object at 0x1>",
                                "x" * 200],
                       "birth": [0.1, 0.2], "death": [None, 0.5], "max_size": [100, 200]})
    spec = charts.lifetimes_chart(df).to_dict()
    rows = next(iter(spec["datasets"].values()))
    short = cls.rsplit(".", 1)[1]
    assert all(short in r["instance"] for r in rows)
    assert spec["encoding"]["y"]["axis"]["labelLimit"] == 0
    assert spec["encoding"]["color"]["legend"]["labelLimit"] == 0


def test_item24_bad_input_to_the_chart_still_errors_clearly():
    with pytest.raises(ValueError, match="classtracker_frame"):
        charts.classtracker_memory_chart(pd.DataFrame({"x": [1]}))
    with pytest.raises(ValueError, match="top"):
        charts.classtracker_memory_chart(_long_frame()[0], top=0)
