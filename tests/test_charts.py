"""Chart builders: checked on ``chart.to_dict()``, never rendered."""

import gc

import altair as alt
import pandas as pd
import pytest

from pympler_nb.charts import (
    OfflineChart,
    diff_chart,
    OTHER,
    classtracker_active_chart,
    classtracker_memory_chart,
    lifetimes_chart,
)
from pympler_nb.core.classtracker import ClassTracker
from pympler_nb.frames_classtracker import classtracker_frame, tracked_objects_frame


def _values(spec):
    (rows,) = spec["datasets"].values()
    return rows


def _class_frame(sizes):
    """sizes: {class: [size per snapshot]} -> a classtracker_frame-like DataFrame."""
    rows = []
    for cls, values in sizes.items():
        for i, size in enumerate(values):
            rows.append({"snapshot": i, "label": f"s{i}", "timestamp": float(i), "class": cls,
                         "active": size // 10, "size": size, "average": 10.0, "pct": 1.0})
    return pd.DataFrame(rows)


def test_memory_chart_top_n_and_other():
    df = _class_frame({"big": [1000, 2000], "mid": [500, 100], "small": [10, 20], "tiny": [1, 2]})
    chart = classtracker_memory_chart(df, top=2)
    assert isinstance(chart, alt.Chart)
    spec = chart.to_dict()
    assert spec["mark"]["type"] == "bar"
    enc = spec["encoding"]
    assert enc["x"]["field"] == "label" and enc["x"]["sort"] == {"field": "snapshot", "op": "min"}
    assert enc["y"]["field"] == "size" and enc["y"]["stack"] == "zero"
    assert enc["color"]["sort"] == ["big", "mid", OTHER]
    rows = _values(spec)
    assert {r["class"] for r in rows} == {"big", "mid", OTHER}
    other = sorted((r["snapshot"], r["size"], r["active"]) for r in rows if r["class"] == OTHER)
    assert other == [(0, 11, 1), (1, 22, 2)]
    assert sum(r["size"] for r in rows) == int(df["size"].sum())  # nothing lost


def test_memory_chart_without_other_when_all_fit():
    df = _class_frame({"a": [1, 2], "b": [3, 4]})
    spec = classtracker_memory_chart(df, top=5).to_dict()
    assert OTHER not in {r["class"] for r in _values(spec)}
    assert spec["encoding"]["color"]["sort"] == ["b", "a"]


def test_active_chart():
    df = _class_frame({"a": [10, 20, 30], "b": [100, 0, 0]})
    spec = classtracker_active_chart(df, top=1).to_dict()
    assert spec["mark"] == {"type": "line", "interpolate": "step-after", "point": True}
    assert spec["encoding"]["x"]["field"] == "timestamp" and spec["encoding"]["y"]["field"] == "active"
    rows = _values(spec)
    assert {r["class"] for r in rows} == {"b", OTHER}  # b has the highest peak count


def test_charts_from_a_real_tracker():
    class Leaf:
        def __init__(self, n):
            self.data = list(range(n))

    tr = ClassTracker()
    tr.track_class(Leaf, name="Leaf")
    leaves = [Leaf(i * 10) for i in range(6)]
    tr.create_snapshot("one")
    del leaves[:2]
    gc.collect()
    tr.create_snapshot("two")
    tr.close()
    spec = classtracker_memory_chart(classtracker_frame(tr)).to_dict()
    assert [r["label"] for r in _values(spec)] == [s.label for s in tr.snapshots]
    objs = tracked_objects_frame(tr)
    life = lifetimes_chart(objs, max_instances=3).to_dict()
    rows = _values(life)
    assert len(rows) == 3
    assert [r["max_size"] for r in rows] == sorted(objs["max_size"], reverse=True)[:3]
    assert all(r["alive"] for r in rows) and all(r["end"] >= r["birth"] for r in rows)
    assert life["encoding"]["x"]["field"] == "birth" and life["encoding"]["x2"]["field"] == "end"
    later = float(objs["death"].max()) + 1000.0  # timestamps count from the module's import
    dead = lifetimes_chart(objs.sort_values("max_size").head(2), max_instances=2, end=later).to_dict()
    ends = {r["alive"]: r["end"] for r in _values(dead)}
    assert ends[False] < later and all(r["end"] == later for r in _values(dead) if r["alive"])


def test_builders_return_new_charts_and_chain():
    df = _class_frame({"a": [1, 2]})
    a = classtracker_memory_chart(df)
    b = a.properties(width=500)
    assert a.to_dict()["width"] == 400 and b.to_dict()["width"] == 500  # a is unchanged
    assert type(b) is OfflineChart  # chaining keeps the offline display


def test_bad_inputs():
    with pytest.raises(ValueError, match="lacks column.*'active'.*classtracker_frame"):
        classtracker_memory_chart(pd.DataFrame({"snapshot": [0], "label": ["x"], "timestamp": [0.0],
                                                "class": ["a"], "size": [1]}))
    with pytest.raises(TypeError, match="pandas DataFrame"):
        classtracker_active_chart([1, 2])
    with pytest.raises(ValueError, match="top must be an int >= 1, got 0"):
        classtracker_memory_chart(_class_frame({"a": [1]}), top=0)
    with pytest.raises(ValueError, match="lacks column.*tracked_objects_frame"):
        lifetimes_chart(_class_frame({"a": [1]}))


def test_empty_frames_give_empty_charts():
    tr = ClassTracker()
    spec = classtracker_memory_chart(classtracker_frame(tr)).to_dict()
    assert _values(spec) == []
    assert _values(lifetimes_chart(tracked_objects_frame(tr)).to_dict()) == []


def test_chart_bundle_is_offline_and_readable_without_vega():
    import json

    from pympler_nb.charts import FRONTEND_VEGALITE_VERSION, VEGALITE_MIME, ChartView, chart_bundle, diff_chart

    df = pd.DataFrame({"type": ["__main__.Order", "a|b*c*"], "count_diff": [1000, -2],
                       "size_diff": [64000, -112]})
    bundle = chart_bundle(diff_chart(df), "memdiff")
    # no text/html or text/markdown: nbconvert ranks them above images; the SVG drawn in
    # the kernel (vl-convert-python, dev/demo extras) is what exports show
    assert set(bundle) == {VEGALITE_MIME, "text/plain", "image/svg+xml"}
    assert "cdn" not in json.dumps(bundle).lower() and "<script" not in json.dumps(bundle)
    assert bundle[VEGALITE_MIME]["$schema"].endswith(f"/v{FRONTEND_VEGALITE_VERSION}.json")
    lines = bundle["text/plain"].splitlines()
    assert lines[0] == "<chart: memdiff, 2 rows>"
    assert lines[1].split() == ["type", "objects", "bytes"]  # tooltip titles; no change/rank
    assert lines[2].split() == ["__main__.Order", "+1,000", "+64,000"]  # literal, formatted
    assert lines[3].split() == ["a|b*c*", "-2", "-112"]
    assert ChartView(diff_chart(df))._repr_mimebundle_()[VEGALITE_MIME]["mark"]


def test_charts_carry_an_svg_drawn_in_the_kernel():
    """nbconvert's HTML, GitHub and VS Code show the chart as an image, not as its table."""
    import re

    from pympler_nb.charts import NO_IMAGE_NOTE, chart_bundle, diff_chart

    df = pd.DataFrame({"type": ["__main__.Order", "pandas.DataFrame", "str"], "count_diff": [1000, 3, -2],
                       "size_diff": [64000, 3 * 2**20, -112]})
    svg = chart_bundle(diff_chart(df), "memdiff")["image/svg+xml"]
    assert svg.lstrip().startswith("<svg") and svg.rstrip().endswith("</svg>")
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "__main__.Order" in labels and "pandas.DataFrame" in labels  # the bars' axis labels
    assert any("MiB" in label for label in labels)  # the byte axis in binary units
    assert not re.search(r"(?:href|src)=\"(?:https?:)?//", svg)  # nothing to fetch
    assert NO_IMAGE_NOTE not in chart_bundle(diff_chart(df))["text/plain"]


def test_charts_without_vl_convert_keep_vega_and_the_table(monkeypatch):
    from pympler_nb import charts

    monkeypatch.setattr(charts, "_vl_convert", lambda: None)
    df = pd.DataFrame({"type": ["dict"], "count_diff": [1], "size_diff": [64]})
    bundle = charts.chart_bundle(charts.diff_chart(df), "memdiff")
    assert set(bundle) == {charts.VEGALITE_MIME, "text/plain"}
    lines = bundle["text/plain"].splitlines()
    assert lines[0] == "<chart: memdiff, 1 rows>" and lines[-1] == charts.NO_IMAGE_NOTE
    assert lines[2].split() == ["dict", "+1", "+64"]


def test_every_builder_displays_offline_whatever_the_renderer():
    import json

    from pympler_nb.charts import VEGALITE_MIME, heap_partition_chart

    tr = ClassTracker()

    class Order:
        def __init__(self, n):
            self.items = list(range(n))

    tr.track_class(Order)
    keep = [Order(i) for i in range(5)]
    tr.create_snapshot("a")
    tr.create_snapshot("b")
    tr.close()
    built = [classtracker_memory_chart(classtracker_frame(tr)), classtracker_active_chart(classtracker_frame(tr)),
             lifetimes_chart(tracked_objects_frame(tr)),
             diff_chart(pd.DataFrame({"type": ["dict"], "count_diff": [1], "size_diff": [64]})),
             heap_partition_chart(pd.DataFrame({"key": ["str"], "count": [3], "size": [150]}))]
    del keep
    with alt.renderers.enable("default"):  # Altair's CDN html renderer: not used by ours
        for chart in built:
            bundle = chart._repr_mimebundle_()
            assert set(bundle) == {VEGALITE_MIME, "text/plain", "image/svg+xml"}, type(chart)
            assert "cdn.jsdelivr" not in json.dumps(bundle)
            assert bundle["text/plain"].count("\n") >= 1  # a table under the title line


def test_bytes_axes_in_binary_units():
    from pympler_nb.charts import heap_partition_chart

    memory = classtracker_memory_chart(_class_frame({"a": [1, 2]})).to_dict()
    heap = heap_partition_chart(pd.DataFrame({"key": ["str"], "count": [3], "size": [150]})).to_dict()
    diff = diff_chart(pd.DataFrame({"type": ["dict"], "count_diff": [1], "size_diff": [64]})).to_dict()
    for spec, ch in ((memory, "y"), (heap, "x"), (diff, "x")):
        assert "MiB" in spec["encoding"][ch]["axis"]["labelExpr"]
    assert memory["encoding"]["x"]["axis"]["labelAngle"] == 0  # snapshot labels stay level


def test_lifetimes_scaled_to_the_data_and_labelled_by_class_and_repr():
    import numpy as np

    n = 6
    df = pd.DataFrame({"class": ["__main__.Order"] * n, "name": ["__main__.Order"] * n,
                       "id": np.arange(n) + 0x7F0000, "type": ["Order"] * n,
                       "repr": ["<__main__.Order object at 0x7f00aa>"] * 3 + ["Order(1)", "Order(2)", "Order(2)"],
                       "birth": 20.0 + np.arange(n) * 0.01, "death": [20.05] * 3 + [np.nan] * 3,
                       "alive": [False] * 3 + [True] * 3, "max_size": [100] * n})
    spec = lifetimes_chart(df, end=20.1).to_dict()
    lo, hi = spec["encoding"]["x"]["scale"]["domain"]
    assert 19.9 < lo < 20.0 and 20.1 <= hi < 20.2  # not 0 .. 20 s: the bars are visible
    labels = [r["instance"] for r in _values(spec)]
    assert len(set(labels)) == n
    assert not any("0x" in label for label in labels), labels
    assert {"Order #1", "Order #2", "Order #3", "Order(1)", "Order(2)", "Order(2) (2)"} == set(labels)


def test_offline_renderer_for_the_notebooks_own_charts():
    from pympler_nb.charts import RENDERER, VEGALITE_MIME, enable_offline_renderer

    before = alt.renderers.active
    try:
        enable_offline_renderer()
        assert alt.renderers.active == RENDERER
        bundle = alt.Chart(pd.DataFrame({"run": [1, 2], "total": [10.123456, 20.5]})).mark_line().encode(
            x="run:O", y=alt.Y("total:Q", title="bytes kept"))._repr_mimebundle_()
        bundle = bundle[0] if isinstance(bundle, tuple) else bundle
        assert set(bundle) == {VEGALITE_MIME, "text/plain", "image/svg+xml"}
        assert bundle["text/plain"].splitlines()[1].split() == ["bytes", "kept", "run"]
        assert bundle["text/plain"].splitlines()[2].split() == ["10.12", "1"]  # rounded
    finally:
        alt.renderers.enable(before)


def test_drawing_a_chart_leaves_no_validation_garbage():
    """Showing one of our charts (chart_bundle: the dashboard, ChartView, OfflineChart)
    leaves no jsonschema errors in reference cycles: with gc off they showed in %garbage
    and the dashboard's Garbage tab as the user's (~70 objects per chart). What is left is
    one recursive closure of Altair's to_dict (3 objects)."""
    import gc

    import pandas as pd

    from pympler_nb.charts import chart_bundle, diff_chart

    chart = diff_chart(pd.DataFrame({"type": ["dict", "list"], "count_diff": [3, 1], "size_diff": [300, 56]}))
    chart_bundle(chart, image=False)  # (first call: imports and caches)
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    before = len(gc.garbage)
    try:
        chart_bundle(chart, image=False)
        gc.collect()
        kinds = sorted(type(o).__name__ for o in gc.garbage[before:])
    finally:
        del gc.garbage[before:]
        gc.set_debug(0)
        if enabled:
            gc.enable()
    assert kinds == ["cell", "function", "tuple"], kinds
