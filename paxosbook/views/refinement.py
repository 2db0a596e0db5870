"""A rejected event drawn on the sequence diagram, with the conjunct of the spec it breaks.

``mark_event(fig, run, index, text)`` circles event ``index`` of ``run`` on its
``sequence_diagram`` (on the lifeline of the node where it happened, at its time) and writes
``text`` in a band of its own above the plot, over the "chosen" labels and under the title, so
that it overlaps no other label; the x range is widened if the event lies outside it.
``rejection_diagram(run)`` is the sequence diagram of a run with the event trace validation
(``paxosbook.check.validate``) refused, marked with the failing action and conjunct.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from . import style
from .sequence import sequence_diagram

if TYPE_CHECKING:
    from ..check.refinement import Validation

MARK_COLOR = "#D50000"
BAND = 34
"""px added above the plot for the two lines of the mark's text."""


def mark_event(fig: go.Figure, run: Any, index: int, text: str) -> go.Figure:
    """Circle event ``index`` of ``run`` on ``fig`` (its ``sequence_diagram``) and write
    ``text`` (plain text, two lines at most: ``\\n`` breaks) above the plot."""
    time, node = run.records[index][0], run.records[index][2]
    lanes = list(fig.layout.yaxis.ticktext)
    y = float(lanes.index(node)) if node in lanes else 0.0
    fig.add_trace(go.Scatter(
        x=[time], y=[y], mode="markers", name=f"event {index}", hoverinfo="text",
        hovertext=[html.escape(text, quote=False).replace("\n", "<br>")],
        marker={"symbol": "circle-open", "size": 22, "color": MARK_COLOR,
                "line": {"width": 3, "color": MARK_COLOR}}))
    rows = sum(1 for a in fig.layout.annotations if a.text and a.text.startswith("chosen "))
    fig.add_annotation(x=0, xref="paper", xanchor="left", y=1, yref="paper", yanchor="bottom",
                       yshift=min(rows, 2) * style.CHOSEN_ROW + 2, showarrow=False,
                       align="left", text=html.escape(text, quote=False).replace("\n", "<br>"),
                       font={"color": MARK_COLOR, "size": 11})
    fig.update_layout(margin={"t": fig.layout.margin.t + BAND},
                      height=fig.layout.height + BAND)
    lo, hi = fig.layout.xaxis.range
    if not lo <= time <= hi:
        span = max(hi - lo, 1.0)
        fig.update_xaxes(range=[min(lo, time - 0.05 * span), max(hi, time + 0.05 * span)])
    return fig


def rejection_diagram(run: Any, validation: Validation | None = None, *,
                      title: str = "") -> go.Figure:
    """``run``'s sequence diagram with the event validation rejected marked by the action
    and the conjunct that fail (unmarked if the run is valid or refused before its first
    event)."""
    from ..check.refinement import validate

    result = validate(run) if validation is None else validation
    fig = sequence_diagram(run, title=title)
    failure = result.failure
    if failure is None or failure.index is None:
        return fig
    r = failure.refusal
    text = (f"rejected: event {failure.index} ({failure.event}), {r.action}\n"
            f"false: {r.conjunct}")
    return mark_event(fig, run, failure.index, text)
