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
import re

import altair as alt
import pandas as pd

from .core.format import axis_size_expr, binary_ticks, format_size
from .core.values import check_int

__all__ = ["FRONTEND_VEGALITE_VERSION", "NO_IMAGE_NOTE", "OTHER", "VEGALITE_MIME", "ChartView", "OfflineChart",
           "binary_ticks", "bytes_axis", "bytes_scale", "chart_svg",
           "chart_bundle", "classtracker_active_chart", "classtracker_memory_chart", "diff_chart",
           "enable_offline_renderer", "heap_partition_chart", "leak_growth_chart", "lifetimes_chart",
           "offline_renderer", "reclaim_chart"]

#: the series that collects everything outside the top N
OTHER = "other"

_CLASS_NEEDS = ("snapshot", "label", "timestamp", "class", "active", "size")
_OBJECT_NEEDS = ("class", "name", "id", "repr", "birth", "death", "max_size")
_DIFF_NEEDS = ("type", "count_diff", "size_diff")
_HEAP_NEEDS = ("key", "count", "size")
_LEAK_NEEDS = ("name", "run", "count", "bytes")


def _check(df: pd.DataFrame, needs: tuple[str, ...], frame: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame from pympler_nb.frames.{frame}(), got {type(df).__name__}")
    missing = [c for c in needs if c not in df.columns]
    if missing:
        raise ValueError(f"DataFrame lacks column(s) {', '.join(map(repr, missing))}; needs {', '.join(needs)}: "
                         f"build it with pympler_nb.frames.{frame}()")


def _check_top(top: int, name: str = "top") -> None:
    check_int(top, name, 1)


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


def bytes_axis(title: str = "bytes", values=None) -> alt.Axis:
    """An Altair axis for byte counts, labelled in binary units (``10 MiB``, not ``10,000,000``)
    by :func:`pympler_nb.core.format.axis_size`'s rule (its Vega expression), as the HTML
    report labels its axes.

    ``values``: the data (or its extremes); the ticks are then round binary numbers
    (``0 B, 1 MiB, 2 MiB``...) instead of round decimal ones (``1.91 MiB``).
    """
    if values is None:
        return alt.Axis(title=title, labelExpr=axis_size_expr())
    return alt.Axis(title=title, labelExpr=axis_size_expr(), values=binary_ticks(values))


def bytes_scale(values) -> alt.Scale:
    """The scale that goes with ``bytes_axis(values=values)``: from the first to the last
    round binary tick, so that every tick is drawn (Vega's own rounding is decimal)."""
    ticks = binary_ticks(values)
    return alt.Scale(domain=[ticks[0], ticks[-1]], nice=False)


def _ranked_bars(data: pd.DataFrame, title: str, x: str, x_title: str, y: str, **encode) -> alt.Chart:
    """Horizontal byte bars, one per ``y`` label in ``data``'s ``rank`` order (largest
    first), the x axis in binary units; ``encode`` adds channels (tooltip, color)."""
    values = data[x].tolist()
    return (
        OfflineChart(data, title=title)
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:Q", axis=bytes_axis(x_title, values), scale=bytes_scale(values)),
            y=alt.Y(f"{y}:N", title=None, sort=alt.EncodingSortField(field="rank", op="min"),
                    axis=alt.Axis(labelLimit=0)),
            **encode,
        )
    )


def classtracker_memory_chart(df: pd.DataFrame, top: int = 8) -> alt.Chart:
    """Stacked bars: bytes per tracked class in each snapshot.

    When ``df`` is ``classtracker_frame(...)``, its ``attrs["totals"]`` (the process total
    per snapshot) put the process total and the untracked ("other") share in the
    subtitle and in each bar's tooltip, as Pympler's report states them per snapshot.

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
    tooltip = [alt.Tooltip("label:N", title="snapshot"), alt.Tooltip("class:N"),
               alt.Tooltip("size:Q", title="bytes", format=","), alt.Tooltip("active:Q", title="instances")]
    title: alt.TitleParams | str = "Tracked memory per class"
    totals = _totals(df)
    if totals is not None and len(totals):
        data = data.merge(totals[["snapshot", "total", "untracked", "untracked_pct"]], on="snapshot", how="left")
        tooltip += [alt.Tooltip("total:Q", title="process total (bytes)", format=","),
                    alt.Tooltip("untracked:Q", title="untracked (bytes)", format=","),
                    alt.Tooltip("untracked_pct:Q", title="untracked %", format=".2f")]
        last = totals.iloc[-1]
        title = alt.TitleParams(
            "Tracked memory per class",
            subtitle=f"process total {format_size(int(last['total']))} at {last['label']}: "
                     f"tracked {format_size(int(last['tracked']))}, untracked (other) "
                     f"{format_size(int(last['untracked']))} ({float(last['untracked_pct']):.2f}%)")
    stacked = data.groupby("snapshot")["size"].sum().tolist() or [0]
    n = max(1, int(data["snapshot"].nunique()))
    # one bar per snapshot; labels longer than a bar's width are slanted, never clipped
    width = max(400, min(900, 110 * n))
    longest = int(data["label"].str.len().max()) if len(data) else 0
    angle = 0 if longest * 7 <= width // n else -30
    return (
        OfflineChart(data, title=title, width=width, height=220)
        .mark_bar()
        .encode(
            x=alt.X("label:N", title="snapshot", sort=alt.EncodingSortField(field="snapshot", op="min"),
                    axis=alt.Axis(labelAngle=angle, labelLimit=0)),
            y=alt.Y("size:Q", stack="zero", axis=bytes_axis(values=stacked), scale=bytes_scale(stacked)),
            color=alt.Color("class:N", title="class", sort=order, legend=alt.Legend(labelLimit=0)),
            order=alt.Order("class_rank:Q"),
            tooltip=tooltip,
        )
        .transform_calculate(class_rank=f"indexof({json.dumps(order)}, datum['class'])")
    )


def _totals(df: pd.DataFrame) -> pd.DataFrame | None:
    """``df.attrs["totals"]`` (``classtracker_frame``'s process totals) as a frame, if usable."""
    raw = df.attrs.get("totals")
    if not isinstance(raw, dict):
        return None
    try:
        totals = pd.DataFrame(raw)
    except (ValueError, TypeError):
        return None
    need = ("snapshot", "label", "total", "tracked", "untracked", "untracked_pct")
    return totals if all(c in totals.columns for c in need) else None


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
        OfflineChart(data, title="Live instances per class")
        .mark_line(point=True, interpolate="step-after")
        .encode(
            x=alt.X("timestamp:Q", title="time (s)", scale=alt.Scale(zero=False)),
            y=alt.Y("active:Q", title="instances"),
            color=alt.Color("class:N", title="class", sort=order, legend=alt.Legend(labelLimit=0)),
            tooltip=[alt.Tooltip("label:N", title="snapshot"), alt.Tooltip("class:N"),
                     alt.Tooltip("active:Q", title="instances"), alt.Tooltip("size:Q", title="bytes", format=",")],
        )
        .properties(width=360, height=200)
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
    births = chosen["birth"].astype("float64").to_numpy()
    ends = chosen["death"].astype("float64").fillna(stop).to_numpy()
    data = pd.DataFrame({
        "instance": _instance_labels(chosen),
        "class": chosen["class"].astype(str).to_numpy(),
        "repr": chosen["repr"].astype(str).to_numpy(),
        "birth": births,
        "end": ends,
        "alive": chosen["death"].isna().to_numpy(),
        "max_size": chosen["max_size"].astype("int64").to_numpy(),
    })
    # the x axis spans the instances' lives (not 0 .. t): short lives near t=20 s stay visible
    lo = float(births.min()) if len(births) else 0.0
    hi = float(ends.max()) if len(ends) else 1.0
    pad = max((hi - lo) * 0.03, 1e-3)
    return OfflineChart(data, title="Instance lifetimes", width=420, height=alt.Step(16)).mark_bar().encode(
        x=alt.X("birth:Q", title="time (s)", scale=alt.Scale(domain=[lo - pad, hi + pad], zero=False, nice=False)),
        x2=alt.X2("end:Q"),
        y=alt.Y("instance:N", title=None, sort=alt.EncodingSortField(field="birth", op="min"),
                axis=alt.Axis(labelLimit=0)),
        color=alt.Color("class:N", title="class", legend=alt.Legend(labelLimit=0)),
        opacity=alt.condition("datum.alive", alt.value(1.0), alt.value(0.6)),
        tooltip=[alt.Tooltip("instance:N"), alt.Tooltip("repr:N"),
                 alt.Tooltip("birth:Q", title="birth (s)", format=".3f"),
                 alt.Tooltip("end:Q", title="death or now (s)", format=".3f"), alt.Tooltip("alive:N"),
                 alt.Tooltip("max_size:Q", title="max bytes", format=",")],
    )


def _instance_labels(chosen: pd.DataFrame) -> list[str]:
    """Row labels of the lifetimes chart: class and repr (an address-only default repr
    becomes ``Class #n``, numbered by birth), unique."""
    labels, seen = [], {}
    order = {idx: n for n, idx in enumerate(chosen.sort_values("birth", kind="stable").index, 1)}
    for idx, cls, rep in zip(chosen.index, chosen["class"].astype(str), chosen["repr"].astype(str)):
        short = cls.rsplit(".", 1)[-1]
        if _DEFAULT_REPR.fullmatch(rep):
            label = f"{short} #{order[idx]}"
        else:
            if rep.startswith("<" + short) and rep.endswith(">"):
                rep = rep[1:-1]  # <Executor 'cc -c a.c'> -> Executor 'cc -c a.c'
            label = rep if rep.startswith(short) else f"{short}: {rep}"
            # keep both ends: reprs often differ only at the end (mod00_1.o, mod00_2.o); the
            # class's name is never cut (the whole repr is in the tooltip)
            limit = max(48, len(short) + 20)
            if len(label) > limit:
                head = max(30, len(short) + 2)
                label = label[:head] + "…" + label[-(limit - head - 1):]
        n = seen.get(label, 0)
        seen[label] = n + 1
        labels.append(label if n == 0 else f"{label} ({n + 1})")
    return labels


_DEFAULT_REPR = re.compile(r"<[\w.]+ (object )?at 0x[0-9a-fA-F]+>")


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
    return _ranked_bars(
        data, "Memory change by type", "size_diff", "bytes (change)", "type",
        color=alt.Color("change:N", title=None, scale=alt.Scale(domain=["grew", "shrank"],
                                                                range=["#d62728", "#2ca02c"])),
        tooltip=[alt.Tooltip("type:N"), alt.Tooltip("count_diff:Q", title="objects", format="+,"),
                 alt.Tooltip("size_diff:Q", title="bytes", format="+,")],
    )


def leak_growth_chart(df: pd.DataFrame) -> alt.Chart:
    """Lines: the running growth in bytes of each row over the runs of ``%%leakcheck``
    (a leak climbs steadily; a cache climbs, then stays flat).

    Parameters
    ----------
    df : DataFrame
        ``pympler_nb.frames.leak_runs_frame(report)`` (columns ``name``, ``run``,
        ``count``, ``bytes``).

    >>> import pandas as pd
    >>> df = pd.DataFrame({"name": ["dict"] * 3, "run": [0, 1, 2], "count": [0, 10, 20],
    ...                    "bytes": [0, 640, 1280]})
    >>> leak_growth_chart(df).to_dict()["mark"]["type"]
    'line'
    """
    _check(df, _LEAK_NEEDS, "leak_runs_frame")
    data = pd.DataFrame({
        "name": df["name"].astype(str).to_numpy(),
        "run": df["run"].astype("int64").to_numpy(),
        "count": df["count"].astype("int64").to_numpy(),
        "bytes": df["bytes"].astype("int64").to_numpy(),
    })
    return (
        OfflineChart(data, title="Growth over the runs")
        .mark_line(point=True)
        .encode(
            x=alt.X("run:O", title="run (0: first measurement, after the warm-up)"),
            y=alt.Y("bytes:Q", axis=bytes_axis("bytes added since run 0", data["bytes"].tolist()),
                    scale=bytes_scale(data["bytes"].tolist())),
            color=alt.Color("name:N", title=None, legend=alt.Legend(labelLimit=0)),
            tooltip=[alt.Tooltip("name:N"), alt.Tooltip("run:O"),
                     alt.Tooltip("count:Q", title="objects", format="+,"),
                     alt.Tooltip("bytes:Q", title="bytes", format="+,")],
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
    return _ranked_bars(data, f"Heap by {by}", "size", "bytes (flat)", "key", tooltip=tooltip)


# ---------------------------------------------------------------------------
# display bundle
# ---------------------------------------------------------------------------

#: the Vega-Lite media type JupyterLab and Notebook 7 render with their own bundled Vega
#: (no CDN)
VEGALITE_MIME = "application/vnd.vegalite.v5+json"

#: the Vega-Lite version the front ends the demos are tested with bundle (JupyterLab 4.6
#: and Notebook 7 ship vega-lite 5.6.1): the spec's ``$schema`` names it, so that the
#: front end does not warn "spec uses Vega-Lite v5.20.1, current v5.6.1"
FRONTEND_VEGALITE_VERSION = "5.6.1"

#: the name of the Altair renderer :func:`enable_offline_renderer` enables
RENDERER = "pympler_nb"

_FORMAT = re.compile(r"(?P<sign>\+)?(?P<comma>,)?(?:\.(?P<prec>\d+)(?P<kind>[fe%]))?")


def chart_bundle(chart, title: str = "", max_rows: int = 25, table: bool = True,
                 image: bool = True) -> dict:
    """The display bundle of an Altair chart (or its spec dict): Vega-Lite and a text table.

    * ``application/vnd.vegalite.v5+json``: the spec, drawn by the front end's own
      Vega-Lite (JupyterLab, Notebook 7, VS Code: offline, unlike the HTML of Altair's
      default renderer, which loads Vega from a CDN), with ``$schema`` naming
      :data:`FRONTEND_VEGALITE_VERSION`;
    * ``text/plain``: a title line and the chart's data as a fixed-width table (at most
      ``max_rows`` rows) with the columns a reader needs — the tooltip's fields under
      their titles and formats, else the encoded fields — for exports and viewers
      without Vega. Deliberately no ``text/html`` or ``text/markdown``: nbconvert ranks
      those above images, so the PNG that JupyterLab saves with a drawn chart would lose
      to the table in an HTML export, and Markdown mangles names like ``__main__.Order``.
      ``table=False``: the title line only (when the same table is displayed anyway);
    * ``image/svg+xml`` (``image=True``, when ``vl-convert-python`` is installed: the
      ``demo`` extra): the chart drawn in the kernel by :func:`chart_svg`, which nbconvert's
      HTML, GitHub and VS Code show instead of the table (the front ends that draw
      Vega-Lite rank it above images); without it a line of ``text/plain`` says so.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"type": ["dict", "list"], "count_diff": [1000, 1], "size_diff": [64000, 56]})
    >>> bundle = chart_bundle(diff_chart(df), "memdiff")
    >>> sorted(k for k in bundle if k != "image/svg+xml")
    ['application/vnd.vegalite.v5+json', 'text/plain']
    >>> print(bundle["text/plain"].replace(NO_IMAGE_NOTE, "").strip())
    <chart: memdiff, 2 rows>
    type  objects    bytes
    dict   +1,000  +64,000
    list       +1      +56
    """
    # not validated again: our builders' specs are (their doctests and tests validate them),
    # and Altair's validation leaves reference cycles of jsonschema errors behind, which
    # %garbage and the dashboard's Garbage tab would then show (with gc off) as the user's
    spec = chart if isinstance(chart, dict) else chart.to_dict(validate=False)
    spec = dict(spec)
    spec["$schema"] = f"https://vega.github.io/schema/vega-lite/v{FRONTEND_VEGALITE_VERSION}.json"
    rows = _spec_rows(spec)
    name = title or spec.get("title") or "chart"
    if isinstance(name, dict):  # a title with a subtitle (the memory chart's process total)
        name = " - ".join(str(name[k]) for k in ("text", "subtitle") if name.get(k)) or "chart"
    head = f"<chart: {name}, {len(rows)} rows>"
    table = _text_table(rows, _spec_columns(spec), max_rows) if table else ""
    bundle = {VEGALITE_MIME: spec, "text/plain": head + ("\n" + table if table else "")}
    if image:
        svg = chart_svg(spec)
        if svg is not None:
            bundle["image/svg+xml"] = svg
        elif _vl_convert() is None:
            bundle["text/plain"] += "\n" + NO_IMAGE_NOTE
    return bundle


#: the line a chart's text form carries when ``vl-convert-python`` is not installed
NO_IMAGE_NOTE = "(no image of the chart for exports: pip install vl-convert-python)"


def _vl_convert():
    try:
        import vl_convert
    except ImportError:
        return None
    return vl_convert


def chart_svg(spec: dict) -> str | None:
    """The SVG of a Vega-Lite spec, drawn in the kernel by ``vl-convert-python`` (its own
    Vega-Lite and Deno, no browser; external data is refused, so it never touches the
    network); None when the package is missing or cannot draw the spec."""
    vlc = _vl_convert()
    if vlc is None:
        return None
    try:
        return vlc.vegalite_to_svg(spec, allowed_base_urls=[])
    except Exception:  # noqa: BLE001 - a chart it cannot draw keeps its Vega-Lite and table
        return None


def _spec_rows(spec: dict) -> list[dict]:
    """The rows of the (first) dataset of a Vega-Lite spec."""
    datasets = spec.get("datasets") or {}
    data = spec.get("data") or {}
    if isinstance(data, dict) and "values" in data:
        return list(data["values"])
    if isinstance(data, dict) and data.get("name") in datasets:
        return list(datasets[data["name"]])
    for layer in spec.get("layer", []) + spec.get("hconcat", []) + spec.get("vconcat", []):
        rows = _spec_rows({**layer, "datasets": datasets})
        if rows:
            return rows
    return next(iter(datasets.values()), []) if datasets else []


def _spec_columns(spec: dict) -> list[tuple[str, str, str | None]]:
    """``(field, title, d3 format)`` of the columns worth reading: the tooltip's, else the
    encoded fields (x, y, color...), in that order, without repeats."""
    encodings = [spec.get("encoding") or {}] + [layer.get("encoding") or {}
                                                for layer in spec.get("layer", [])]
    columns: list[tuple[str, str, str | None]] = []
    for enc in encodings:
        tips = enc.get("tooltip")
        if isinstance(tips, dict):
            tips = [tips]
        for tip in tips or []:
            if isinstance(tip, dict) and "field" in tip:
                columns.append((tip["field"], tip.get("title") or tip["field"], tip.get("format")))
    if not columns:
        for enc in encodings:
            for channel in ("y", "x", "x2", "color", "size", "theta"):
                ch = enc.get(channel)
                if isinstance(ch, dict) and "field" in ch:
                    title = ch.get("title") or (ch.get("axis") or {}).get("title") or ch["field"]
                    columns.append((ch["field"], str(title), None))
    seen, out = set(), []
    for col in columns:
        if col[0] not in seen:
            seen.add(col[0])
            out.append(col)
    return out


def _format_value(value, fmt: str | None) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value).replace("\n", " ")
    match = _FORMAT.fullmatch(fmt or "")
    if match and fmt:
        sign = "+" if match["sign"] else ""
        comma = "," if match["comma"] else ""
        if match["prec"]:
            kind = match["kind"]
            value = value * 100 if kind == "%" else value
            text = f"{value:{sign}{comma}.{match['prec']}f}" if kind != "e" else f"{value:{sign}.{match['prec']}e}"
            return text + ("%" if kind == "%" else "")
        if float(value).is_integer():
            return f"{int(value):{sign}{comma}d}"
        return f"{value:{sign}{comma}.4g}"
    if isinstance(value, int):
        return f"{value:,d}"
    return f"{value:,.4g}"


def _text_table(rows: list[dict], columns, max_rows: int) -> str:
    if not rows or not columns:
        return ""
    cells = [[title for _, title, _ in columns]]
    for row in rows[:max_rows]:
        cells.append([_format_value(row.get(field), fmt) for field, _, fmt in columns])
    numeric = [all(isinstance(r.get(f), (int, float)) and not isinstance(r.get(f), bool)
                   for r in rows[:max_rows] if r.get(f) is not None) for f, _, _ in columns]
    widths = [min(60, max(len(line[i]) for line in cells)) for i in range(len(columns))]
    lines = []
    for line in cells:
        parts = []
        for i, text in enumerate(line):
            text = text if len(text) <= 60 else text[:57] + "..."
            parts.append(text.rjust(widths[i]) if numeric[i] and line is not cells[0] else
                         (text.rjust(widths[i]) if numeric[i] else text.ljust(widths[i])))
        lines.append("  ".join(parts).rstrip())
    if len(rows) > max_rows:
        lines.append(f"... {len(rows) - max_rows} more rows")
    return "\n".join(lines)


def offline_renderer(spec: dict, **metadata) -> dict:
    """Altair renderer (``alt.renderers.enable("pympler_nb")``): :func:`chart_bundle`."""
    return chart_bundle(spec)


def enable_offline_renderer() -> None:
    """Make every Altair chart display through :func:`chart_bundle` (no CDN).

    ``%load_ext pympler_nb`` calls it, so the notebook's own ``alt.Chart`` cells draw
    with the front end's Vega-Lite, offline, and export as a text table.
    """
    if RENDERER not in alt.renderers.names():
        alt.renderers.register(RENDERER, offline_renderer)
    alt.renderers.enable(RENDERER)


class ChartView:
    """Displays an Altair chart through :func:`chart_bundle` (see there)."""

    def __init__(self, chart: alt.TopLevelMixin, title: str = "", table: bool = True) -> None:
        self.chart = chart
        self.title = title
        self.table = table

    def _repr_mimebundle_(self, include=None, exclude=None):
        return chart_bundle(self.chart, self.title, table=self.table)

    def __repr__(self) -> str:
        return chart_bundle(self.chart, self.title, table=self.table, image=False)["text/plain"]


class OfflineChart(alt.Chart):
    """An :class:`altair.Chart` that displays through :func:`chart_bundle` whatever
    Altair renderer is enabled: what the chart builders here return (chainable as any
    Altair chart: ``.properties(width=...)`` keeps the class)."""

    def _repr_mimebundle_(self, *args, **kwargs):
        return chart_bundle(self)


_RECLAIM_NEEDS = ("part", "bytes", "percent")


def reclaim_chart(df: pd.DataFrame) -> alt.Chart:
    """Horizontal bars: the parts of the process's RSS (``%reclaim``), in the split's order.

    Parameters
    ----------
    df : DataFrame
        ``pympler_nb.frames_reclaim.reclaim_frame(split)`` (columns ``part``, ``bytes``,
        ``percent``; ``releasable`` and ``what`` go into the tooltip when present).

    >>> import pandas as pd
    >>> df = pd.DataFrame({"part": ["python_live", "allocator_free"], "bytes": [300, 100],
    ...                    "percent": [75.0, 25.0]})
    >>> [r["part"] for r in reclaim_chart(df).to_dict()["datasets"].popitem()[1]]
    ['python_live', 'allocator_free']
    """
    _check(df, _RECLAIM_NEEDS, "reclaim_frame")
    data = pd.DataFrame({
        "part": df["part"].astype(str).to_numpy(),
        "bytes": df["bytes"].astype("int64").to_numpy(),
        "percent": df["percent"].astype("float64").to_numpy(),
        "rank": range(len(df)),
    })
    tooltip = [alt.Tooltip("part:N", title="part"), alt.Tooltip("bytes:Q", title="bytes", format=","),
               alt.Tooltip("percent:Q", title="% of RSS", format=".1f")]
    for column, title in (("releasable", "returnable by --run"), ("what", "what")):
        if column in df.columns:
            data[column] = df[column].to_numpy()
            tooltip.append(alt.Tooltip(f"{column}:{'Q' if column == 'releasable' else 'N'}",
                                       title=title, **({"format": ","} if column == "releasable" else {})))
    rss = df.attrs.get("rss")
    title = "Where the RSS goes" + (f" ({format_size(int(rss))})" if rss else "")
    return _ranked_bars(data, title, "bytes", "bytes", "part", tooltip=tooltip)
