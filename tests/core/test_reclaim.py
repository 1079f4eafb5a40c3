"""The RSS split (core.reclaim): parts that add up to RSS, allocator statistics, trim."""

import sys

import pytest

from pympler_nb.core import reclaim
from pympler_nb.core.process import current_rss

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _assert_adds_up(split):
    total = sum(size for _, size in split.parts())
    assert total == split.rss + split.overcount
    assert split.overcount <= 0.05 * split.rss, split
    assert all(size >= 0 for _, size in split.parts()), split


def test_split_adds_up_to_rss():
    split = reclaim.rss_split()
    assert split.rss > 0 and abs(split.rss - current_rss()) < 0.2 * split.rss
    _assert_adds_up(split)
    assert split.python_live > 1_000_000 and split.python_count > 10_000
    # the by-type table is bounded and sums to the live total
    assert len(split.python_by_type) <= 11
    assert sum(row.size for row in split.python_by_type) == split.python_live


def test_parse_debugmallocstats_reads_this_interpreter():
    stats = reclaim.parse_debugmallocstats(reclaim.debugmallocstats_text())
    assert stats["bytes in allocated blocks"] > 0
    assert "bytes in available blocks" in stats


def test_top_is_checked():
    with pytest.raises(ValueError, match="top must be an int >= 1"):
        reclaim.rss_split(top=0)
