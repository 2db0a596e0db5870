"""The ballot timeline: each proposer's ballot round against time.

Each proposer's line steps up whenever it starts a new ballot (sends Prepare). Dueling
proposers show up as two staircases that keep overtaking each other: every step of one makes
the acceptors reject the other (the Nack crosses), until one of them gets through phase 2
(a diamond) and a value is chosen (the dashed green line). Like the sequence diagram, the
time axis opens on the decision, with "decision" and "whole run" buttons under it.
"""

from __future__ import annotations

import re
from typing import Any

import plotly.graph_objects as go

from ..core import Cluster
from . import style
from .frames import TraceLike, derived, whole_range
from .style import Spec

PLOT = 190
"""px: the height of the plot area."""


def ballot_timeline(trace: TraceLike, *, cluster: Cluster | None = None) -> go.Figure:
    """Ballot (its round) against time, one line per proposer, with phase-2 starts (diamonds),
    Nacks received (crosses) and the moments values were chosen."""
    return go.Figure(ballot_spec(trace, cluster=cluster))


def ballot_spec(trace: TraceLike, *, cluster: Cluster | None = None) -> Spec:
    """``ballot_timeline`` as plain plotly JSON."""
    d = derived(trace, cluster)
    roles, end = d.roles, d.end
    proposers = [n for n, r in roles.items() if "proposer" in r]
    sends = [e for e in d.events if e.event == "send" and e.msg in ("Prepare", "Accept")]
    firsts: dict[tuple[str, str, str], Any] = {}  # the first send of each (node, msg, ballot)
    for e in sends:
        firsts.setdefault((e.node, e.msg, e.ballot), e)
    y = {key: _height(e.round, e.ballot, len(proposers)) for key, e in firsts.items()}
    data: list[Spec] = []
    for i, p in enumerate(proposers):
        mine = [e for e in firsts.values() if e.node == p and e.msg == "Prepare"]
        ys = [y[e.node, e.msg, e.ballot] for e in mine]
        xs = [*(e.time for e in mine), end] if mine else []
        ys = [*ys, ys[-1]] if mine else []
        color = style.LINE_PALETTE[i % len(style.LINE_PALETTE)]
        data.append(style.scatter(
            x=xs, y=ys, mode="lines+markers", line={"shape": "hv", "width": 2, "color": color},
            marker={"size": [7] * (len(xs) - 1) + [0] if xs else 7},
            name=p, hoverinfo="text",
            hovertext=[f"{p} starts ballot {e.ballot} at {e.time:.2f}" for e in mine] + [""]
            if xs else []))
    accepts = [(key, e) for key, e in firsts.items() if e.msg == "Accept"]
    data.append(style.scatter(
        x=[e.time for _, e in accepts], y=[y[key] for key, _ in accepts], mode="markers",
        name="phase 2 (Accept sent)",
        marker={"symbol": "diamond", "size": 11,
                "color": [style.value_color(e.value) for _, e in accepts],
                "line": {"width": 1, "color": "#424242"}},
        hoverinfo="text",
        hovertext=[f"{e.node} asks acceptors to accept ({e.ballot}, {e.value}) at {e.time:.2f}"
                   for _, e in accepts]))
    data.append(_nacks(d.events, len(proposers)))
    decided, window = d.decided, d.window
    xrange = window.focus if window is not None else whole_range(d.end)
    shapes, annotations, label_rows = style.chosen_marks(decided, xrange)
    top = max((int(e.round) for e in sends), default=1)
    yrange = [0, top + 0.9]
    buttons: list[Spec] = []
    if window is not None:
        seen = max((int(e.round) for e in sends if e.time <= window.focus[1]), default=1)
        yfocus = [0, seen + 0.9]
        buttons = style.range_buttons(window.focus, window.whole, yfocus, yrange)
        yrange = yfocus
    extra = style.CHOSEN_ROW * max(label_rows - 1, 0)
    legend, bottom = style.legend_below(data, PLOT, 70)
    return {"data": data, "layout": {
        "title": {"text": "ballots over time", "x": 0.01, "y": 1, "yref": "container",
                  "yanchor": "top", "pad": {"t": 10}, "font": {"size": 14}},
        "template": style.TEMPLATE, "autosize": True, "hovermode": "closest",
        "height": 50 + extra + PLOT + bottom, "uirevision": "paxosbook",
        "margin": {"l": 50, "r": 20, "t": 50 + extra, "b": bottom},
        "xaxis": {"title": {"text": "time"}, "range": list(xrange)},
        "updatemenus": buttons,
        "yaxis": {"title": {"text": "ballot round"}, "range": yrange,
                  "dtick": 1 if top <= 12 else None},
        "legend": legend,
        "shapes": shapes, "annotations": annotations}}


def _height(round_: int, ballot: str, proposers: int) -> float:
    """Ballot r.p is drawn at r plus a fraction growing with p: ballots stay in their order
    and two proposers' lines at the same round do not hide each other."""
    m = re.search(r"\.(\d+)$", ballot)
    pid = int(m.group(1)) if m else 1
    return float(round_ + 0.7 * (pid - 1) / max(proposers, 2))


def _nacks(events: list[Any], proposers: int) -> Spec:
    rows = [e for e in events if e.event == "deliver" and e.msg == "Nack"]
    return style.scatter(
        x=[e.time for e in rows], y=[_height(e.round, e.ballot, proposers) for e in rows],
        mode="markers", name="Nack received",
        marker={"symbol": "x", "size": 8, "color": style.MESSAGE_COLORS["Nack"]},
        hoverinfo="text",
        hovertext=[f"{e.node} tells {e.peer}: ballot {e.ballot} rejected, promised "
                   f"{e.ref_ballot} ({e.time:.2f})" for e in rows])
