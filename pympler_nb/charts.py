"""Pure chart builders: tidy DataFrame in, :class:`altair.Chart` out (never displayed here).

Each builder checks its columns, reduces the data to what is drawn (the ``top``
series by name, the rest merged into ``"other"``), and returns a new chart that can be
refined with Altair's chainable API (``.properties(width=...)``). The DataFrames come
from :mod:`pympler_nb.frames` (ClassTracker: ``classtracker_frame``,
``tracked_objects_frame``).

>>> import pandas as pd
>>> df = pd.DataFrame({"snapshot": [0, 0], "label": ["a", "a"], "timestamp": [1.0, 1.0],
...                    "class": ["A", "B"], "active": [1, 2], "size": [100, 300],
...                    "average": [100.0, 150.0], "pct": [1.0, 3.0]})
>>> classtracker_memory_chart(df, top=1).to_dict()["mark"]["type"]
'bar'
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

__all__ = ["OTHER", "VEGALITE_MIME", "ChartView", "chart_bundle", "classtracker_active_chart", "classtracker_memory_chart", "diff_chart",
           "heap_partition_chart", "lifetimes_chart"]

#: the series that collects everything outside the top N
OTHER = "other"

_CLASS_NEEDS = ("snapshot", "label", "timestamp", "class", "active", "size")
_OBJECT_NEEDS = ("class", "name", "id", "repr", "birth", "death", "max_size")
_DIFF_NEEDS = ("type", "count_diff", "size_diff")
_HEAP_NEEDS = ("key", "count", "size")


def _check(df: pd.DataFrame, needs: tuple[str, ...], frame: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame from pympler_nb.frames.{frame}(), got {type(df).__name__}")
    missing = [c for c in needs if c not in df.columns]
    if missing:
        raise ValueError(f"DataFrame lacks column(s) {', '.join(map(repr, missing))}; needs {', '.join(needs)}: "
                         f"build it with pympler_nb.frames.{frame}()")


def _check_top(top: int, name: str = "top") -> None:
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"{name}={top!r}: use an int >= 1")


def _top_other(df: pd.DataFrame, value: str, top: int) -> tuple[pd.DataFrame, list[str]]:
    """Keep the ``top`` classes by peak ``value``; sum the rest per snapshot as ``"other"``."""
    peak = df.groupby("class", sort=True)[value].max().sort_values(ascending=False, kind="stable")
    keep = [str(c) for c in peak.index[:top]]
    inside = df[df["class"].isin(keep)]
    rest = df[~df["class"].isin(keep)]
    parts = [inside[["snapshot", "label", "timestamp", "class", "active", "size"]]]
    if len(rest):
        other = (rest.groupby(["snapshot", "label", "timestamp"], as_index=False, sort=True)[["active", "size"]]
                 .sum())
        other["class"] = OTHER
        parts.append(other[["snapshot", "label", "timestamp", "class", "active", "size"]])
        keep = keep + [OTHER]
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    out["class"] = out["class"].astype(str)
    out["label"] = out["label"].astype(str)
    return out.astype({"snapshot": "int64", "active": "int64", "size": "int64", "timestamp": "float64"}), keep


def classtracker_memory_chart(df: pd.DataFrame, top: int = 8) -> alt.Chart:
    """Stacked bars: bytes per tracked class in each snapshot.

    Parameters
    ----------
    df : DataFrame
        ``pympler_nb.frames.classtracker_frame(tracker)``.
    top : int
        Classes shown by name (largest peak size first); the rest is ``"other"``.
    """
    _check(df, _CLASS_NEEDS, "classtracker_frame")
    _check_top(top)
    data, order = _top_other(df, "size", top)
    return (
        alt.Chart(data, title="Tracked memory per class")
        .mark_bar()
        .encode(
            x=alt.X("label:N", title="snapshot", sort=alt.EncodingSortField(field="snapshot", op="min")),
            y=alt.Y("size:Q", title="bytes", stack="zero"),
            color=alt.Color("class:N", title="class", sort=order),
            order=alt.Order("class_rank:Q"),
            tooltip=[alt.Tooltip("label:N", title="snapshot"), alt.Tooltip("class:N"),
                     alt.Tooltip("size:Q", title="bytes", format=","), alt.Tooltip("active:Q", title="instances")],
        )
        .transform_calculate(class_rank=f"indexof({json.dumps(order)}, datum['class'])")
    )


def classtracker_active_chart(df: pd.DataFrame, top: int = 8) -> alt.Chart:
    """Lines: live instances per tracked class over the snapshots' times.

    Parameters
    ----------
    df : DataFrame
        ``pympler_nb.frames.classtracker_frame(tracker)``.
    top : int
        Classes shown by name (most instances at their peak first); the rest is ``"other"``.
    """
    _check(df, _CLASS_NEEDS, "classtracker_frame")
    _check_top(top)
    data, order = _top_other(df, "active", top)
    return (
        alt.Chart(data, title="Live instances per class")
        .mark_line(point=True, interpolate="step-after")
        .encode(
            x=alt.X("timestamp:Q", title="time (s)"),
            y=alt.Y("active:Q", title="instances"),
            color=alt.Color("class:N", title="class", sort=order),
            tooltip=[alt.Tooltip("label:N", title="snapshot"), alt.Tooltip("class:N"),
                     alt.Tooltip("active:Q", title="instances"), alt.Tooltip("size:Q", title="bytes", format=",")],
        )
    )


def lifetimes_chart(df: pd.DataFrame, max_instances: int = 40, end: float | None = None) -> alt.Chart:
    """Horizontal bars from birth to death of the largest tracked instances.

    Parameters
    ----------
    df : DataFrame
        ``pympler_nb.frames.tracked_objects_frame(tracker)``.
    max_instances : int
        Instances drawn (largest ``max_size`` first; ties: earliest birth).
    end : float, optional
        Where the bars of live instances end (default: the latest birth or death).
    """
    _check(df, _OBJECT_NEEDS, "tracked_objects_frame")
    _check_top(max_instances, "max_instances")
    chosen = df.sort_values(["max_size", "birth"], ascending=[False, True], kind="stable").head(max_instances)
    times = pd.concat([df["birth"], df["death"]]).dropna()
    stop = float(end) if end is not None else (float(times.max()) if len(times) else 0.0)
    data = pd.DataFrame({
        "instance": [f"{n} 0x{int(i):x}" for n, i in zip(chosen["name"], chosen["id"])],
        "class": chosen["class"].astype(str).to_numpy(),
        "repr": chosen["repr"].astype(str).to_numpy(),
        "birth": chosen["birth"].astype("float64").to_numpy(),
        "end": chosen["death"].astype("float64").fillna(stop).to_numpy(),
        "alive": chosen["death"].isna().to_numpy(),
        "max_size": chosen["max_size"].astype("int64").to_numpy(),
    })
    return (
        alt.Chart(data, title="Instance lifetimes")
        .mark_bar()
        .encode(
            x=alt.X("birth:Q", title="time (s)"),
            x2=alt.X2("end:Q"),
            y=alt.Y("instance:N", title=None, sort=alt.EncodingSortField(field="birth", op="min")),
            color=alt.Color("class:N", title="class"),
            opacity=alt.condition("datum.alive", alt.value(1.0), alt.value(0.6)),
            tooltip=[alt.Tooltip("instance:N"), alt.Tooltip("repr:N"), alt.Tooltip("birth:Q", format=".3f"),
                     alt.Tooltip("end:Q", format=".3f"), alt.Tooltip("alive:N"),
                     alt.Tooltip("max_size:Q", title="max bytes", format=",")],
        )
    )


def diff_chart(df: pd.DataFrame, top: int = 10) -> alt.Chart:
    """Horizontal bars: the change in bytes per type (growth and shrinkage in two colours).

    Parameters
    ----------
    df : DataFrame
        ``pympler_nb.frames.diff_frame(rows)`` (columns ``type``, ``count_diff``,
        ``size_diff``).
    top : int
        Types shown by name (largest absolute ``size_diff`` first); the rest is summed
        into one ``"other"`` bar (its ``count_diff`` and ``size_diff`` are net sums).

    >>> import pandas as pd
    >>> df = pd.DataFrame({"type": ["dict", "list", "str"], "count_diff": [10, -1, 3],
    ...                    "size_diff": [640, -56, 150]})
    >>> [row["type"] for row in diff_chart(df, top=1).to_dict()["datasets"].popitem()[1]]
    ['dict', 'other']
    """
    _check(df, _DIFF_NEEDS, "diff_frame")
    _check_top(top)
    data = pd.DataFrame({
        "type": df["type"].astype(str).to_numpy(),
        "count_diff": df["count_diff"].astype("int64").to_numpy(),
        "size_diff": df["size_diff"].astype("int64").to_numpy(),
    })
    order = data["size_diff"].abs().sort_values(ascending=False, kind="stable").index
    data = data.loc[order].reset_index(drop=True)
    if len(data) > top:
        rest = data.iloc[top:]
        other = pd.DataFrame({"type": [OTHER], "count_diff": [int(rest["count_diff"].sum())],
                              "size_diff": [int(rest["size_diff"].sum())]})
        data = pd.concat([data.iloc[:top], other], ignore_index=True)
    data["change"] = ["grew" if v >= 0 else "shrank" for v in data["size_diff"]]
    data["rank"] = range(len(data))
    return (
        alt.Chart(data, title="Memory change by type")
        .mark_bar()
        .encode(
            x=alt.X("size_diff:Q", title="bytes (change)"),
            y=alt.Y("type:N", title=None, sort=alt.EncodingSortField(field="rank", op="min")),
            color=alt.Color("change:N", title=None, scale=alt.Scale(domain=["grew", "shrank"],
                                                                    range=["#d62728", "#2ca02c"])),
            tooltip=[alt.Tooltip("type:N"), alt.Tooltip("count_diff:Q", title="objects", format="+,"),
                     alt.Tooltip("size_diff:Q", title="bytes", format="+,")],
        )
    )


def heap_partition_chart(df: pd.DataFrame, top: int = 10, by: str = "type") -> alt.Chart:
    """Horizontal bars: flat bytes per row of a heap partition, largest first.

    Parameters
    ----------
    df : DataFrame
        ``pympler_nb.frames.heap_partition_frame(partition)`` (columns ``key``, ``count``,
        ``size``; a ``retained`` column, as ``%heap --retained`` adds, goes into the
        tooltip).
    top : int
        Rows drawn by name (largest ``size`` first); the rest is summed into one
        ``"other"`` bar (``count`` and ``size`` add up; ``retained`` is not summed, since
        the rows' retained sets overlap).
    by : str
        What the partition classifies (``'type'``, ``'module'``...), for the titles.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"key": ["str", "dict", "int"], "count": [10, 2, 5],
    ...                    "size": [600, 464, 160]})
    >>> [r["key"] for r in heap_partition_chart(df, top=2).to_dict()["datasets"].popitem()[1]]
    ['str', 'dict', 'other']
    """
    _check(df, _HEAP_NEEDS, "heap_partition_frame")
    _check_top(top)
    data = pd.DataFrame({
        "key": df["key"].astype(str).to_numpy(),
        "count": df["count"].astype("int64").to_numpy(),
        "size": df["size"].astype("int64").to_numpy(),
    })
    retained = "retained" in df.columns
    if retained:
        data["retained"] = pd.array(df["retained"].astype("int64").to_numpy(), dtype="Int64")
    data = data.sort_values(["size", "count"], ascending=False, kind="stable").reset_index(drop=True)
    if len(data) > top:
        rest = data.iloc[top:]
        other = {"key": [OTHER], "count": [int(rest["count"].sum())], "size": [int(rest["size"].sum())]}
        if retained:
            other["retained"] = pd.array([None], dtype="Int64")
        data = pd.concat([data.iloc[:top], pd.DataFrame(other)], ignore_index=True)
    total = int(df["size"].sum())
    data["pct"] = [100.0 * s / total if total else 0.0 for s in data["size"]]
    data["rank"] = range(len(data))
    tooltip = [alt.Tooltip("key:N", title=by), alt.Tooltip("count:Q", title="objects", format=","),
               alt.Tooltip("size:Q", title="bytes", format=","),
               alt.Tooltip("pct:Q", title="% of bytes", format=".1f")]
    if retained:
        tooltip.append(alt.Tooltip("retained:Q", title="retained bytes", format=","))
    return (
        alt.Chart(data, title=f"Heap by {by}")
        .mark_bar()
        .encode(
            x=alt.X("size:Q", title="bytes (flat)"),
            y=alt.Y("key:N", title=None, sort=alt.EncodingSortField(field="rank", op="min")),
            tooltip=tooltip,
        )
    )


# ---------------------------------------------------------------------------
# display bundle
# ---------------------------------------------------------------------------

#: the Vega-Lite media type JupyterLab renders with its own bundled Vega (no CDN)
VEGALITE_MIME = "application/vnd.vegalite.v5+json"


def chart_bundle(chart: alt.TopLevelMixin, title: str = "", max_rows: int = 25) -> dict:
    """The display bundle of ``chart``: Vega-Lite for JupyterLab, and fallbacks.

    * ``application/vnd.vegalite.v5+json``: the chart's spec, drawn by JupyterLab's
      own Vega renderer (bundled with JupyterLab: works offline, unlike the HTML that
      Altair's default renderer writes, which loads Vega from a CDN);
    * ``text/markdown``: the chart's data as a table (at most ``max_rows`` rows), for
      exported notebooks and viewers without a Vega renderer (JupyterLab prefers the
      chart: its Vega renderer ranks above Markdown);
    * ``text/plain``: one line naming the chart.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"type": ["dict", "list"], "count_diff": [1000, 1], "size_diff": [64000, 56]})
    >>> bundle = chart_bundle(diff_chart(df), "memdiff")
    >>> sorted(bundle)
    ['application/vnd.vegalite.v5+json', 'text/markdown', 'text/plain']
    >>> bundle["text/plain"]
    '<chart: memdiff, 2 rows>'
    """
    spec = chart.to_dict()
    data = getattr(chart, "data", None)
    rows = 0
    table = ""
    if isinstance(data, pd.DataFrame):
        rows = len(data)
        shown = data.head(max_rows)
        cols = [str(c) for c in shown.columns]
        lines = ["| " + " | ".join(map(_md_cell, cols)) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(map(_md_cell, rec)) + " |" for rec in shown.itertuples(index=False)]
        if rows > max_rows:
            lines.append(f"\n… {rows - max_rows} more rows")
        table = "\n".join(lines)
    name = title or spec.get("title") or "chart"
    if isinstance(name, dict):
        name = name.get("text", "chart")
    plain = f"<chart: {name}, {rows} rows>"
    head = f"**{name}**\n\n" if title else ""
    return {VEGALITE_MIME: spec, "text/markdown": head + (table or plain), "text/plain": plain}


def _md_cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


class ChartView:
    """Displays an Altair chart through :func:`chart_bundle` (see there)."""

    def __init__(self, chart: alt.TopLevelMixin, title: str = "") -> None:
        self.chart = chart
        self.title = title

    def _repr_mimebundle_(self, include=None, exclude=None):
        return chart_bundle(self.chart, self.title)

    def __repr__(self) -> str:
        return chart_bundle(self.chart, self.title)["text/plain"]
