"""Messages per second against time: how busy a run was, and when its faults struck.

Two bar series over bins of equal width (about ``BINS`` of them across the run): the messages
sent (and duplicated) in each, and those lost (dropped, for whatever reason), both per second.
Each stretch a node was down is shaded and labelled with the node, each moment a learner
learned is a green tick at the top. It reads only the records, so it draws a finished run and
a real run still going (pass ``until``, the time it has reached, to fix the axis).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from ..events import CRASH, DROP, DUPLICATE, LEARN, RECOVER, SEND, Record
from . import style
from .style import Spec

BINS = 40
"""About this many bins across the run (each at least ``MIN_BIN`` seconds)."""
MIN_BIN = 0.05
PLOT = 160
"""px: the height of the plot area."""


def throughput_chart(run: Any, *, until: float | None = None) -> go.Figure:
    """The chart of ``run`` (a ``Run``) as a plotly figure."""
    return go.Figure(throughput_spec(run, until=until))


def throughput_spec(run: Any, *, until: float | None = None) -> Spec:
    """The chart as plotly JSON (for ``widgets.show_spec``)."""
    records: list[Record] = list(run.records)
    end = max([until or 0.0, *(r[0] for r in records[-1:])], default=0.0)
    end = max(end, MIN_BIN)
    width = max(MIN_BIN, end / BINS)
    edges = np.arange(0.0, end + width, width)
    sent = [r[0] for r in records if r[1] in (SEND, DUPLICATE)]
    lost = [r[0] for r in records if r[1] == DROP]
    mids = (edges[:-1] + edges[1:]) / 2
    data = [_bars("sent", sent, edges, mids, width, style.MESSAGE_COLORS["Prepare"]),
            _bars("lost", lost, edges, mids, width, style.DROP_COLOR)]
    learned = [r[0] for r in records if r[1] == LEARN]
    data.append(style.scatter(x=learned, y=[1.0] * len(learned), yaxis="y2", mode="markers",
                              name="learned", marker={"symbol": "line-ns", "size": 12,
                                                      "line": {"width": 3,
                                                               "color": style.CHOSEN_COLOR}},
                              hovertemplate="learned at t=%{x:.3f} s<extra></extra>"))
    shapes, notes = _downtime(records, end)
    legend, bottom = style.legend_below(data, PLOT, 48)
    layout = {
        "template": style.TEMPLATE_NAME, "height": 40 + PLOT + bottom, "barmode": "overlay",
        "title": {"text": f"messages per second ({len(sent)} sent, {len(lost)} lost, "
                          f"t = {end:.1f} s)", "font": {"size": 13}, "x": 0.01},
        "xaxis": {"title": {"text": "time (s)"}, "range": [0.0, end]},
        "yaxis": {"title": {"text": "messages / s"}, "rangemode": "tozero"},
        "yaxis2": {"overlaying": "y", "range": [0, 1.05], "visible": False, "fixedrange": True},
        "shapes": shapes, "annotations": notes, "bargap": 0.05,
        "margin": {"l": 60, "r": 20, "t": 40, "b": bottom}, "legend": legend,
    }
    return {"data": data, "layout": layout}


def _bars(name: str, times: list[float], edges: np.ndarray, mids: np.ndarray, width: float,
          color: str) -> Spec:
    counts, _ = np.histogram(times, bins=edges)
    return {"type": "bar", "name": name, "x": mids.tolist(),
            "y": (counts / width).tolist(), "width": width * 0.95,
            "marker": {"color": color, "opacity": 0.8},
            "hovertemplate": f"%{{y:.0f}} {name}/s around t=%{{x:.2f}} s<extra></extra>"}


def _downtime(records: list[Record], end: float) -> tuple[list[Spec], list[Spec]]:
    """A shaded band per stretch a node was down (to ``end`` if it never came back)."""
    since: dict[str, float] = {}
    spans: list[tuple[str, float, float]] = []
    for t, event, node, *_ in records:
        if event == CRASH:
            since.setdefault(node, t)
        elif event == RECOVER and node in since:
            spans.append((node, since.pop(node), t))
    spans += [(node, t, end) for node, t in since.items()]
    shapes = [{"type": "rect", "xref": "x", "yref": "paper", "x0": a, "x1": b, "y0": 0,
               "y1": 1, "fillcolor": style.CRASH_COLOR, "opacity": 0.5, "line": {"width": 0},
               "layer": "below"} for _, a, b in spans]
    notes = [{"x": a, "y": 1 - 0.08 * (i % 4), "xref": "x", "yref": "paper", "xanchor": "left",
              "text": f"{node} down", "showarrow": False, "font": {"size": 10}}
             for i, (node, a, _) in enumerate(sorted(spans, key=lambda s: s[1]))]
    return shapes, notes
