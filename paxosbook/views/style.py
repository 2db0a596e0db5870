"""Colours, symbols and labels shared by every view, so a Prepare looks the same everywhere."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

Spec = dict[str, Any]
"""A figure or trace as plain plotly JSON (``{"type": "scatter", ...}``): what the views build;
``go.Figure(spec)`` validates it, and the widgets send it to a FigureWidget as it is."""


def scatter(**props: Any) -> Spec:
    return {"type": "scatter", **props}


def scattergl(**props: Any) -> Spec:
    return {"type": "scattergl", **props}

MESSAGE_COLORS: dict[str, str] = {
    "Prepare": "#4C78A8",   # blue: phase 1a
    "Promise": "#72B7B2",   # teal: phase 1b
    "Accept": "#F58518",    # orange: phase 2a
    "Accepted": "#54A24B",  # green: phase 2b
    "Nack": "#B279A2",      # purple: a rejection
    "other": "#8C8C8C",     # grey: messages of the replicated-log strategies (Submit, Ack, ...)
}
FAMILIES = {"MultiPrepare": "Prepare", "MultiPromise": "Promise"}
"""Multi-Paxos messages drawn as the Basic Paxos phase they generalise."""


def message_family(kind: str) -> str:
    """The legend entry (and colour) a message type is drawn under."""
    if kind in MESSAGE_COLORS:
        return kind
    return FAMILIES.get(kind, "other")
DROP_COLOR = "#C0392B"
INFLIGHT_COLOR = "#9E9E9E"
DUPLICATE_COLOR = "#6D4C41"
CRASH_COLOR = "rgba(60, 60, 60, 0.28)"
PARTITION_COLOR = "rgba(214, 39, 40, 0.22)"
PARTITION_EDGE_COLOR = "rgba(183, 28, 28, 0.45)"
LIFELINE_COLOR = "#BDBDBD"
CHOSEN_COLOR = "#2E7D32"
CURSOR_COLOR = "#263238"
VIOLATION_COLOR = "#C62828"
ROLE_BANDS = {"proposer": "rgba(76, 120, 168, 0.06)", "acceptor": "rgba(245, 133, 24, 0.06)",
              "learner": "rgba(84, 162, 75, 0.06)"}
ROLE_SYMBOLS = {"proposer": "diamond", "acceptor": "circle", "learner": "square"}
NO_VALUE_COLOR = "#E0E0E0"

_VALUE_PALETTE = ("#66C2A5", "#FC8D62", "#8DA0CB", "#E78AC3", "#A6D854", "#FFD92F",
                  "#E5C494", "#B3B3B3")
_KNOWN_VALUES = ("add", "jmp", "cmp", "sub", "mov")  # the default proposals, in order

FONT = {"family": "Inter, Helvetica, Arial, sans-serif", "size": 12}


def value_color(value: str) -> str:
    """A stable colour for a proposed value (the same in every figure and every run)."""
    if not value:
        return NO_VALUE_COLOR
    if value in _KNOWN_VALUES:
        return _VALUE_PALETTE[_KNOWN_VALUES.index(value)]
    return _VALUE_PALETTE[zlib.crc32(value.encode()) % len(_VALUE_PALETTE)]


def fmt_time(t: float) -> str:
    return f"{t:.2f}"

LINE_PALETTE = ("#4C78A8", "#F58518", "#54A24B", "#E45756", "#B279A2", "#9D755D", "#FF9DA6",
                "#72B7B2", "#EECA3B", "#79706E")
"""Colours of lines told apart by a legend (proposers, the lines of an analysis)."""

TEMPLATE = {"layout": {
    "autosize": True, "paper_bgcolor": "white", "plot_bgcolor": "white", "font": FONT,
    "colorway": list(MESSAGE_COLORS.values()),
    "xaxis": {"gridcolor": "#EEEEEE", "linecolor": "#BDBDBD", "zerolinecolor": "#E0E0E0",
              "ticks": "outside", "tickcolor": "#BDBDBD"},
    "yaxis": {"gridcolor": "#EEEEEE", "linecolor": "#BDBDBD", "zerolinecolor": "#E0E0E0"},
    "hoverlabel": {"font": {"size": 12}, "align": "left"},
}}
"""The one plotly theme of every paxosbook figure (views, widgets and the experiments'
analyses), given as a plain dict: plotly's named templates cost ~8 ms a figure. It is also
registered as ``"paxosbook"`` (``plotly.io.templates``) for a reader's own figures:
``fig.update_layout(template="paxosbook")``."""
TEMPLATE_NAME = "paxosbook"


def register_template() -> None:
    """Make ``template="paxosbook"`` available to plotly (done when the views are imported)."""
    import plotly.graph_objects as go
    import plotly.io as pio

    pio.templates[TEMPLATE_NAME] = go.layout.Template(TEMPLATE)



CHOSEN_ROW = 15
"""px between two rows of "chosen" labels above a figure with a time axis."""


def chosen_marks(decided: Sequence[Any], xrange: tuple[float, float],
                 width: float = 1.0) -> tuple[list[Spec], list[Spec], int]:
    """The dashed line of each moment a (ballot, value) was chosen (``decided``: the
    ``frames.Chosen`` s in time order), a "chosen v (b)" label for the first choice of each
    value, and the number of label rows: (shapes, annotations, rows).

    Each value has its own row (a second value chosen, which breaks safety, is labelled a row
    above the first). A later ballot choosing a value already chosen (Paxos's rule at work:
    it had to propose that value) keeps its line, fainter, but no label: labelled too, it ran
    into the first one's label in its row (``test_figure_layout``)."""
    shapes: list[Spec] = []
    annotations: list[Spec] = []
    rows: dict[str, int] = {}
    for c in decided:
        first = c.value not in rows
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": c.time,
                       "x1": c.time, "y0": 0, "y1": 1, "opacity": 1.0 if first else 0.45,
                       "line": {"color": CHOSEN_COLOR, "dash": "dash", "width": width}})
        if first:
            rows[c.value] = len(rows)
            annotations.append(chosen_label(c, xrange, rows[c.value]))
    return shapes, annotations, len(rows)


def chosen_label(c: Any, xrange: tuple[float, float], row: int = 0) -> Spec:
    """"chosen v (b)" above the plot at the dashed line of the moment ``c`` (a
    ``frames.Chosen``): running right from it, or left in the last quarter of ``xrange`` (so
    that it stays on the figure); ``row`` 1 lifts it one row (a second value)."""
    lo, hi = xrange
    late = hi > lo and (c.time - lo) / (hi - lo) > 0.75
    return {"x": c.time, "y": 1, "xref": "x", "yref": "paper", "yanchor": "bottom",
            "xanchor": "right" if late else "left", "yshift": row * CHOSEN_ROW,
            "text": f"chosen {c.value} ({c.ballot})", "showarrow": False,
            "font": {"color": CHOSEN_COLOR, "size": 11}}


def range_buttons(focus: tuple[float, float], whole: tuple[float, float],
                  yfocus: list[float] | None = None,
                  ywhole: list[float] | None = None) -> list[Spec]:
    """Two buttons under the x axis, on the right: "decision" shows the x range ``focus``
    (where the figure opens), "whole run" the x range ``whole`` (and the y ranges given)."""
    def button(label: str, xs: tuple[float, float], ys: list[float] | None) -> Spec:
        ranges: Spec = {"xaxis.range": list(xs)}
        if ys is not None:
            ranges["yaxis.range"] = list(ys)
        return {"label": label, "method": "relayout", "args": [ranges]}

    return [{"type": "buttons", "direction": "right", "showactive": True, "active": 0,
             "x": 1, "xanchor": "right", "y": 0, "yanchor": "top", "pad": {"t": 24, "r": 0},
             "font": {"size": 11}, "bgcolor": "white", "bordercolor": "#BDBDBD",
             "buttons": [button("decision", focus, yfocus), button("whole run", whole, ywhole)]}]


LEGEND_BELOW = {"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0, "xanchor": "left",
                "font": {"size": 11}}

LEGEND_ROW = 22
"""px of one row of a horizontal legend (font 11)."""
NARROWEST = 560
"""px: the narrowest figure a legend below it is laid out for (a figure in a 1024 px window
with JupyterLab's file browser open)."""


def legend_rows(names: Sequence[str], width: float = NARROWEST) -> int:
    """Rows a horizontal legend of items ``names`` takes in a figure ``width`` px wide, on the
    generous side: every item as wide as the widest (40 px of symbol, about 6.5 px a
    character at font size 11, a 10 px gap), in the width between the side margins. (Measured
    in Chromium: a 13-item legend took 3 rows at 700 px and 4 at 640 px and below.)"""
    if not names:
        return 0
    item = 50 + 6.5 * max(len(n) for n in names)
    per_row = max(1, int((width - 100) // item))
    return -(-len(names) // per_row)


def legend_below(data: Sequence[Spec], plot: float, gap: float) -> tuple[Spec, int]:
    """A horizontal legend ``gap`` px under a plot area ``plot`` px tall, and the bottom margin
    that holds it whole at the narrowest width (``NARROWEST``).

    The legend's ``y`` is a fraction of the plot area's height. A legend taller than the
    margin left for it made plotly.js push the margin and shrink the plot area, and the same
    fraction then put the legend up over the range buttons or the axis title (notebook 07 at
    1024x768, with a crash and a partition in the legend). With the margin sized for it, the
    plot area keeps its height and the legend its place. Items are the traces plotly lists:
    named, not hidden from the legend, with points (an empty trace is left out)."""
    names = [str(t["name"]) for t in data
             if t.get("name") and t.get("showlegend", True) is not False
             and any(v is not None for v in _points(t.get("x")))]
    bottom = round(gap + LEGEND_ROW * legend_rows(names) + 12)
    return {**LEGEND_BELOW, "y": -gap / plot}, bottom


def _points(x: Any) -> Sequence[Any]:
    return [] if x is None else x
