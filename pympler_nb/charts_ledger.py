"""The ``%memwatch --chart`` timeline: RSS per recorded cell, its peaks, the memory limit
and the out-of-memory forecast (a pure builder: DataFrame in, Altair chart out; never
displayed here).

>>> import pandas as pd
>>> df = pd.DataFrame({"execution_count": [1, 2], "source": ["a = 1", "b = 2"],
...                    "rss_before": [100, 100], "rss_after": [100, 300], "rss_peak": [100, 400]})
>>> spec = ledger_chart(df, limit=1000, where="machine").to_dict()
>>> [layer["mark"]["type"] for layer in spec["layer"]]
['rule', 'line', 'point', 'rule']
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from .charts import bytes_axis, bytes_scale
from .core.format import format_size

__all__ = ["ledger_chart"]

_NEEDS = ("execution_count", "source", "rss_before", "rss_after", "rss_peak")


def ledger_chart(df: pd.DataFrame, limit: int | None = None, where: str = "",
                 forecast: str = "") -> alt.LayerChart:
    """RSS after each cell (line), from its start to its peak (grey rule, peak as a point),
    and the container or machine ``limit`` as a red rule; ``forecast`` (one sentence,
    :func:`pympler_nb.core.ledger.forecast`) as the subtitle.

    Parameters
    ----------
    df : DataFrame
        :func:`pympler_nb.frames_ledger.ledger_frame` (needs ``execution_count``,
        ``source``, ``rss_before``, ``rss_after``, ``rss_peak``).
    limit : int or None
        Bytes; None draws no limit rule.
    where : str
        What the limit is (``"cgroup v2"``, ``"machine"``), in its label.
    forecast : str
        The subtitle ("" for none).
    """
    missing = [c for c in _NEEDS if c not in df.columns]
    if missing:
        raise ValueError(f"ledger_chart() needs a ledger_frame with columns {', '.join(_NEEDS)}; "
                         f"missing {', '.join(missing)}")
    counts = df["execution_count"].tolist()
    data = pd.DataFrame({
        "cell": [f"[{c}]" if c is not None and not pd.isna(c) else f"#{i}" for i, c in enumerate(counts)],
        "order": range(len(df)),
        "source": df["source"].astype(str).to_numpy(),
        "rss_before": df["rss_before"].astype("int64").to_numpy(),
        "rss_after": df["rss_after"].astype("int64").to_numpy(),
        "rss_peak": df["rss_peak"].astype("int64").to_numpy(),
    })
    data["peak_text"] = [format_size(int(v)) for v in data["rss_peak"]]
    data["after_text"] = [format_size(int(v)) for v in data["rss_after"]]
    values = data["rss_before"].tolist() + data["rss_peak"].tolist() + data["rss_after"].tolist() + [0]
    if limit is not None:
        values.append(int(limit))
    y_axis = bytes_axis("RSS", values)
    y_scale = bytes_scale(values)
    x = alt.X("cell:N", title="cell", sort=alt.EncodingSortField(field="order", op="min"))
    tooltip = [alt.Tooltip("cell:N"), alt.Tooltip("source:N"), alt.Tooltip("after_text:N", title="RSS after"),
               alt.Tooltip("peak_text:N", title="peak")]
    base = alt.Chart(data)
    span = base.mark_rule(color="#999", strokeWidth=3).encode(
        x=x, y=alt.Y("rss_before:Q", axis=y_axis, scale=y_scale), y2="rss_peak:Q", tooltip=tooltip)
    line = base.mark_line(point=True, color="#1f77b4").encode(
        x=x, y=alt.Y("rss_after:Q", axis=y_axis, scale=y_scale), tooltip=tooltip)
    peak = base.mark_point(shape="triangle-up", color="#ff7f0e", filled=True).encode(
        x=x, y=alt.Y("rss_peak:Q", axis=y_axis, scale=y_scale), tooltip=tooltip)
    limit_rows = pd.DataFrame({"limit": [int(limit)] if limit is not None else [],
                               "label": [f"{where or 'memory'} limit {format_size(int(limit))}"]
                               if limit is not None else []})
    rule = alt.Chart(limit_rows).mark_rule(color="#d62728", strokeDash=[6, 3]).encode(
        y=alt.Y("limit:Q", axis=y_axis, scale=y_scale), tooltip=[alt.Tooltip("label:N", title="limit")])
    title = alt.TitleParams("RSS per cell (line: after; grey: start to peak)", subtitle=forecast or "")
    return alt.layer(span, line, peak, rule).properties(title=title, width=max(300, 28 * len(data)))
