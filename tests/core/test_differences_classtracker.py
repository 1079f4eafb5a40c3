"""The README's "Differences from Pympler" rows of the Class Tracker, each shown by a
test (public API only)."""

from __future__ import annotations

import io
import pickle
import re

import pytest

from pympler_nb.core.classtracker import ClassTracker
from pympler_nb.core.classtracker_reports import class_page_names
from pympler_nb.core.classtracker_stats import ConsoleStats, HtmlStats, Stats
from pympler_nb.core.format import axis_size, format_size, pp


class Item:
    def __init__(self, n: int) -> None:
        self.values = {f"k{i}": "v" * i for i in range(n)}


@pytest.fixture
def tracker():
    tr = ClassTracker()
    yield tr
    tr.detach_all()


def test_dump_stats_is_json_and_pickles_are_refused(tracker, tmp_path):
    tracker.track_class(Item)
    keep = [Item(5)]
    tracker.create_snapshot()
    path = tmp_path / "s.json"
    tracker.stats.dump_stats(path)
    assert path.read_bytes().lstrip().startswith(b"{")
    pickled = tmp_path / "s.pickle"
    pickled.write_bytes(pickle.dumps({"index": {}, "snapshots": []}))
    with pytest.raises(ValueError, match="s.pickle"):
        Stats(filename=pickled)
    assert keep


def test_html_charts_are_inline_svg_and_the_index_holds_the_details(tracker, tmp_path):
    tracker.track_class(Item, name="pkg.Item")
    keep = [Item(20), Item(3)]
    tracker.create_snapshot("one")
    HtmlStats(tracker=tracker).create_html(tmp_path / "r.html")
    index = (tmp_path / "r.html").read_text()
    assert "<img" not in index and "<svg" in index
    assert [p.name for p in (tmp_path / "r_files").iterdir()] == ["pkg_Item.html"]  # no PNGs
    # the class's details are on the index page too, and on its own page
    assert 'id="class-pkg.Item"' in index and "2 instances were tracked" in index
    assert "2 instances were tracked" in (tmp_path / "r_files" / "pkg_Item.html").read_text()
    assert keep


def test_unsafe_tracked_names_get_safe_page_names(tracker, tmp_path):
    names = ["pkg.Item", "/etc/passwd", "a/b", "pkg_Item", "x" * 150]
    pages = class_page_names(names)
    assert pages["pkg.Item"] == "pkg_Item.html"  # Pympler's name
    for name in names[1:]:
        assert re.fullmatch(r"[A-Za-z0-9_-]+-[0-9a-f]{10}\.html", pages[name]), pages[name]
    assert len(set(pages.values())) == len(names)
    tracker.track_class(Item, name="/etc/passwd")
    keep = [Item(2)]
    tracker.create_snapshot()
    HtmlStats(tracker=tracker).create_html(tmp_path / "r.html")
    assert [p.name for p in (tmp_path / "r_files").iterdir()] == [pages["/etc/passwd"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r_files"]
    assert keep


@pytest.mark.pympler
def test_pympler_writes_where_the_tracked_name_says(tmp_path):
    from pympler.classtracker import ClassTracker as PymplerTracker
    from pympler.classtracker_stats import HtmlStats as PymplerHtml

    tr = PymplerTracker()
    tr.track_class(Item, name="a/b")
    keep = [Item(2)]
    tr.create_snapshot()
    with pytest.raises(FileNotFoundError):  # it tries r_files/a/b.html
        PymplerHtml(tracker=tr).create_html(str(tmp_path / "r.html"))
    tr.detach_all()
    assert keep


def test_report_sizes_use_format_size_and_console_tables_keep_pp(tracker, tmp_path):
    tracker.track_class(Item, name="item")
    keep = [Item(300)]
    tracker.create_snapshot()
    size = tracker.snapshots[0].tracked_total
    assert size > 1024
    HtmlStats(tracker=tracker).create_html(tmp_path / "r.html")
    html_text = (tmp_path / "r.html").read_text()
    assert format_size(size) in html_text and "KiB" in format_size(size)
    assert axis_size(1536) == "1.5 KiB"
    buf = io.StringIO()
    ConsoleStats(tracker=tracker, stream=buf).print_summary()
    assert pp(size) in buf.getvalue() and " KB" in pp(size)
    assert keep


def test_other_share_is_the_process_total_minus_all_tracked(tracker):
    tracker.track_class(Item)
    keep = [Item(50)]
    tracker.create_snapshot()  # no compute_total: still an untracked share
    (row,) = Stats(tracker=tracker).total_rows()
    assert row.asizeof_total == 0 and row.total > 0
    assert row.untracked == row.total - tracker.snapshots[0].tracked_total
    assert keep


def test_merged_referents_are_renamed_at_every_level(tracker):
    tracker.track_class(Item, resolution_level=2)
    keep = [Item(2)]  # one instance only: Pympler would keep the 'key: value' names
    tracker.create_snapshot()
    stats = Stats(tracker=tracker)
    (info,) = stats.annotate_snapshot(tracker.snapshots[0]).values()
    names = []
    stack = list(info["merged"].refs)
    while stack:
        node = stack.pop()
        names.append(node.name)
        stack.extend(node.refs)
    assert "__dict__" in names
    assert all(":" not in str(n) for n in names), names
    assert keep


def test_sorted_items_sort_keys_are_read_only_properties(tracker):
    tracker.track_class(Item)
    keep = [Item(3)]
    tracker.create_snapshot()
    (tobj,) = tracker.stats.sort_stats("size").sorted
    with pytest.raises(AttributeError):
        tobj.size = 1
    tobj.set_sort_keys("renamed", 1, 2)
    assert (tobj.classname, tobj.size, tobj.tsize) == ("renamed", 1, 2)
    assert keep
