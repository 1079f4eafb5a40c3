"""Issue 17, items 11-15 and 24 (core parts): the Class Tracker and its statistics behave
as Pympler's, on trackers of realistic objects (pandas frames with object, categorical
and Arrow columns, numpy object arrays, ``functools`` caches). Public API only."""

from __future__ import annotations

import functools
import os
import re
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pympler_nb.core.asizeof import Asized
from pympler_nb.core.classtracker import ClassTracker
from pympler_nb.core.classtracker_stats import SORT_KEYS, HtmlStats, Stats
from pympler_nb.core.format import axis_size, binary_ticks, format_size


class Dataset:
    """A tracked class holding the data users profile: a DataFrame with object,
    categorical and Arrow columns, a numpy object array and an lru_cache."""

    def __init__(self, n: int, tag: str) -> None:
        self.tag = tag
        self.frame = pd.DataFrame({
            "obj": pd.Series([f"{tag}-{i}" for i in range(n)], dtype=object),
            "cat": pd.Categorical([f"c{i % 7}" for i in range(n)]),
            "arrow": pd.Series([f"a{i}" for i in range(n)], dtype=pd.ArrowDtype(pa.string())),
            "pyarrow_str": pd.Series([f"s{i}" for i in range(n)], dtype="string[pyarrow]"),
        })
        self.objects = np.array([{"k": i} for i in range(n)], dtype=object)

        @functools.lru_cache(maxsize=None)
        def square(x):
            return [x] * 3

        for i in range(n):
            square(i)
        self.cache = square


class Model:
    def __init__(self, name: str) -> None:
        self.name = name
        self.weights = list(range(200))


@pytest.fixture
def tracker():
    tr = ClassTracker()
    yield tr
    tr.stop_periodic_snapshots()
    tr.detach_all()


# ---------------------------------------------------------------------------
# item 11: re-naming a tracked class
def test_item11_track_class_rename_moves_the_index_entry(tracker):
    tracker.track_class(Dataset, name="Foobar")
    tracker.track_class(Dataset, name="Baz")
    data = [Dataset(50, "x"), Dataset(20, "y")]
    tracker.create_snapshot("after rename")
    assert "Foobar" not in tracker.index
    assert [t.ref() for t in tracker.index["Baz"]] == data
    assert Stats(tracker=tracker).tracked_classes == ["Baz"]
    # instances tracked under the old name stay listed there, as in Pympler
    tracker.track_class(Model, name="M1")
    first = Model("first")
    tracker.track_class(Model, name="M2")
    second = Model("second")
    assert [t.ref() for t in tracker.index["M1"]] == [first]
    assert [t.ref() for t in tracker.index["M2"]] == [second]


@pytest.mark.pympler
def test_item11_rename_index_matches_pympler():
    from pympler.classtracker import ClassTracker as PymplerTracker

    def keys(tr):
        tr.track_class(Model, name="Foobar")
        tr.track_class(Model, name="Baz")
        made = [Model("a"), Model("b")]
        tr.track_class(Model, name="Qux")
        made.append(Model("c"))
        out = {k: len(v) for k, v in tr.index.items()}
        tr.detach_all()
        return out, made

    assert keys(ClassTracker())[0] == keys(PymplerTracker())[0] == {"Baz": 2, "Qux": 1}


# ---------------------------------------------------------------------------
# item 12: stats.sorted items carry classname, size, tsize
def test_item12_sorted_items_have_pympler_attributes(tracker):
    tracker.track_class(Dataset, name="data")
    tracker.track_class(Model)
    keep = [Dataset(200, "big"), Dataset(10, "small"), Model("m")]
    tracker.create_snapshot("one")
    stats = tracker.stats
    assert stats.sort_stats("size") is stats
    items = stats.sorted
    assert len(items) == 3
    for tobj in items:
        assert tobj.classname in ("data", f"{__name__}.Model")
        assert tobj.size == tobj.get_max_size() > 0
        assert tobj.tsize == tobj.get_size_at_time(tracker.snapshots[0].timestamp)
        for attr in SORT_KEYS:  # every sort key is an attribute, as in Pympler
            getattr(tobj, attr)
    assert [t.size for t in items] == sorted((t.size for t in items), reverse=True)
    assert items[0].ref() is keep[0]
    stats.sort_stats("classname", "birth")
    assert [t.classname for t in stats.sorted] == sorted(t.classname for t in stats.sorted)


@pytest.mark.pympler
def test_item12_sorted_attributes_match_pympler():
    from pympler.classtracker import ClassTracker as PymplerTracker

    def attrs(tr):
        tr.track_class(Model, name="model")
        made = [Model("a" * 10), Model("b")]
        tr.create_snapshot()
        st = tr.stats
        st.sort_stats("classname", "name")
        out = [(t.classname, t.name, t.death, t.tsize == t.get_size_at_time(tr.snapshots[0].timestamp),
                t.size == t.get_max_size()) for t in st.sorted]
        tr.detach_all()
        return out, made

    assert attrs(ClassTracker())[0] == attrs(PymplerTracker())[0]


# ---------------------------------------------------------------------------
# item 13: merged per-class trees are Asized with size = the sum merged
def test_item13_merged_is_asized_with_the_summed_size(tracker, tmp_path):
    tracker.track_class(Dataset, resolution_level=2)
    tracker.track_class(Model)  # resolution 0: no trees, sizes only
    data = [Dataset(100, "a"), Dataset(30, "b")]
    models = [Model(str(i)) for i in range(3)]
    tracker.create_snapshot("first")
    tracker.track_change(data[0], resolution_level=0)  # mixed resolutions in one class
    data.append(Dataset(5, "c"))
    tracker.create_snapshot("second")
    tracker.stats.dump_stats(tmp_path / "s.json")
    for stats in (Stats(tracker=tracker), Stats(filename=tmp_path / "s.json")):
        stats.annotate()
        for snap in stats.snapshots:
            for name, info in snap.classes.items():
                merged = info["merged"]
                assert isinstance(merged, Asized)
                expected = sum(t.get_size_at_time(snap.timestamp) for t in stats.index[name])
                assert merged.size == info["sum"] == expected > 0
                assert "size=" in merged.format()  # Asized's own API works
                if merged.refs:  # the referents' merged sizes never exceed the whole
                    assert sum(r.size for r in merged.refs) <= merged.size
    assert models


# ---------------------------------------------------------------------------
# item 14: create_html writes Pympler's layout
def test_item14_html_layout(tracker, tmp_path):
    tracker.track_class(Dataset, name="pkg.Dataset")
    tracker.track_class(Model, name="weird/name <x>")
    keep = [Dataset(40, "a"), Model("m")]
    tracker.create_snapshot("one")
    path = tmp_path / "report.html"
    HtmlStats(tracker=tracker).create_html(path)
    index = path.read_text()
    files = tmp_path / "report_files"
    assert (files / "pkg_Dataset.html").is_file()
    hrefs = set(re.findall(r'href="([^"#]+)"', index))
    assert "report_files/pkg_Dataset.html" in hrefs
    (odd,) = [h for h in hrefs if h != "report_files/pkg_Dataset.html"]
    # the unsafe name gets a safe file inside the folder, linked from the index
    assert odd.startswith("report_files/weird_name__x_-") and (tmp_path / odd).is_file()
    assert sorted(p.name for p in files.iterdir()) == sorted(h.split("/", 1)[1] for h in hrefs)
    page = (files / "pkg_Dataset.html").read_text()
    assert "<h1" in page and "pkg.Dataset" in page and 'href="../report.html"' in page
    for svg in re.findall(r"<svg.*?</svg>", page, re.DOTALL):
        ElementTree.fromstring(svg)
    assert keep


@pytest.mark.pympler
def test_item14_html_layout_matches_pympler(tmp_path):
    from pympler.classtracker import ClassTracker as PymplerTracker
    from pympler.classtracker_stats import HtmlStats as PymplerHtml

    layouts = []
    for tracker_cls, html_cls, sub in ((PymplerTracker, PymplerHtml, "theirs"), (ClassTracker, HtmlStats, "ours")):
        folder = tmp_path / sub
        folder.mkdir()
        tr = tracker_cls()
        tr.track_class(Model)
        tr.track_class(Dataset, name="pkg.sub.Dataset")
        made = [Model("a"), Dataset(10, "d")]
        tr.create_snapshot("one")
        html_cls(tracker=tr).create_html(str(folder / "stats.html"))
        tr.detach_all()
        files = sorted(os.path.relpath(os.path.join(r, f), folder) for r, _, fs in os.walk(folder) for f in fs)
        links = {h for h in re.findall(r'href="([^"]+)"', (folder / "stats.html").read_text())
                 if h.startswith("stats_files/")}
        layouts.append((files, links))
        assert made
    assert layouts[0] == layouts[1]
    assert layouts[1][1] == {f"stats_files/{__name__.replace('.', '_')}_Model.html",
                             "stats_files/pkg_sub_Dataset.html"}


# ---------------------------------------------------------------------------
# item 15: the process total and the untracked share
def test_item15_totals_in_stats_and_html(tracker, tmp_path):
    tracker.track_class(Dataset)
    keep = [Dataset(300, "a")]
    tracker.create_snapshot("one", compute_total=True)
    rows = list(Stats(tracker=tracker).total_rows())
    (row,) = rows
    snap = tracker.snapshots[0]
    assert row.total == snap.total > row.tracked == snap.tracked_total > 0
    assert row.untracked == row.total - row.tracked
    assert row.untracked_pct == pytest.approx(100.0 * row.untracked / row.total)
    assert row.asizeof_total == snap.asizeof_total > 0
    info = Stats(tracker=tracker).annotate_snapshot(snap)
    # the class shares and the untracked share add up to the process total
    assert sum(c["pct"] for c in info.values()) + row.untracked_pct == pytest.approx(100.0)
    path = tmp_path / "r.html"
    HtmlStats(tracker=tracker).create_html(path)
    text = path.read_text()
    assert (f'<tr class="untracked"><td>untracked (other)</td><td class="num"></td>'
            f'<td class="num">{format_size(row.untracked)}</td>') in text
    assert f'<th>process total</th><th class="num"></th><th class="num">{format_size(row.total)}</th>' in text
    assert "Tracked and untracked (other) share of the process total" in text
    assert keep


# ---------------------------------------------------------------------------
# item 24 (core): axis labels in binary units, whole labels in the HTML charts
def test_item24_axis_labels_are_binary_and_round():
    assert [axis_size(t) for t in binary_ticks([0, 10 * 2**20])] == \
        ["0 B", "2 MiB", "4 MiB", "6 MiB", "8 MiB", "10 MiB"]
    assert axis_size(1536) == "1.5 KiB" and axis_size(1024) == "1 KiB" and axis_size(0) == "0 B"


def test_item24_html_charts_binary_axes_and_whole_labels(tracker, tmp_path):
    long_name = "package.subpackage.module_with_a_long_name.AVeryLongTrackedClassNameThatMustStayWhole"
    tracker.track_class(Dataset, name=long_name)
    keep = [Dataset(400, "a")]
    tracker.create_snapshot("a snapshot description that is long enough to be clipped by a fixed width")
    path = tmp_path / "r.html"
    HtmlStats(tracker=tracker).create_html(path)
    text = path.read_text()
    (memory,) = [s for s in re.findall(r"<svg.*?</svg>", text, re.DOTALL) if "Tracked memory per class" in s]
    svg = ElementTree.fromstring(memory)
    labels = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")] + [t.text for t in svg.iter("text")]
    assert long_name in labels  # the legend entry, whole
    assert any(lab and lab.startswith("a snapshot description that is long enough") and lab.endswith(")")
               for lab in labels)  # the snapshot label, whole
    ticks = [lab for lab in labels if lab and re.fullmatch(r"[\d.]+ (B|KiB|MiB|GiB)", lab)]
    assert len(ticks) >= 3 and ticks[0] == "0 B"
    assert all(lab == axis_size(v) for lab, v in zip(ticks, binary_ticks([0, tracker.snapshots[0].tracked_total],
                                                                          target=4)))
    width = float(svg.get("width"))
    assert width >= len(long_name) * 6  # the chart widened to fit the legend
    assert keep


def test_item14_layout_with_hostile_names_and_paths(tracker, tmp_path):
    """A tracked name with a lone surrogate, a file name with an undecodable byte and a
    space: the pages are written and linked (percent-encoded), nothing is refused."""
    tracker.track_class(Model, name="x\udcffy </a>")
    keep = [Model("m")]
    tracker.create_snapshot()
    folder = os.fsencode(tmp_path) + b"/r\xff p.html"
    HtmlStats(tracker=tracker).create_html(folder)
    (page,) = os.listdir(os.fsencode(tmp_path) + b"/r\xff p_files")
    index = open(folder, encoding="utf-8").read()
    assert f'href="r%FF%20p_files/{page.decode()}"' in index
    assert "x\\udcffy &lt;/a&gt;" in index  # the name, escaped
    own = open(os.fsencode(tmp_path) + b"/r\xff p_files/" + page, encoding="utf-8").read()
    assert 'href="../r%FF%20p.html"' in own
    assert keep
