"""The ballot timeline: each proposer's ballot round against time.

Each proposer's line steps up whenever it starts a new ballot (sends Prepare). Dueling
proposers show up as two staircases that keep overtaking each other: every step of one makes
the acceptors reject the other (the Nack crosses), until one of them gets through phase 2
(a diamond) and a value is chosen (the dashed green line). Like the sequence diagram, the
time axis opens on the decision, with "decision" and "whole run" buttons under it.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..core import Cluster
from . import style
from .frames import TraceLike, derived, whole_range
from .style import Spec


def ballot_timeline(trace: TraceLike, *, cluster: Cluster | None = None) -> go.Figure:
    """Ballot (its round) against time, one line per proposer, with phase-2 starts (diamonds),
    Nacks received (crosses) and the moments values were chosen."""
    return go.Figure(ballot_spec(trace, cluster=cluster))


def ballot_spec(trace: TraceLike, *, cluster: Cluster | None = None) -> Spec:
    """``ballot_timeline`` as plain plotly JSON."""
    d = derived(trace, cluster)
    df, roles, end = d.df, d.roles, d.end
    proposers = [n for n, r in roles.items() if "proposer" in r]
    sends = df.loc[(df["event"] == "send") & df["msg"].isin(("Prepare", "Accept")),
                   ["time", "node", "msg", "ballot", "round", "value"]]
    firsts = sends.drop_duplicates(["node", "msg", "ballot"]).copy()
    firsts["y"] = _height(firsts["round"], firsts["ballot"], len(proposers))
    data: list[Spec] = []
    for i, p in enumerate(proposers):
        mine = firsts.loc[(firsts["node"] == p) & (firsts["msg"] == "Prepare")]
        xs = [*mine["time"].tolist(), end] if len(mine) else []
        ys = [*mine["y"].tolist(), float(mine["y"].iloc[-1])] if len(mine) else []
        color = style.LINE_PALETTE[i % len(style.LINE_PALETTE)]
        data.append(style.scatter(
            x=xs, y=ys, mode="lines+markers", line={"shape": "hv", "width": 2, "color": color},
            marker={"size": [7] * (len(xs) - 1) + [0] if xs else 7},
            name=p, hoverinfo="text",
            hovertext=[f"{p} starts ballot {b} at {t:.2f}"
                       for t, b in zip(mine["time"], mine["ballot"], strict=True)] + [""]
            if xs else []))
    accepts = firsts.loc[firsts["msg"] == "Accept"]
    data.append(style.scatter(
        x=accepts["time"].tolist(), y=accepts["y"].tolist(), mode="markers",
        name="phase 2 (Accept sent)",
        marker={"symbol": "diamond", "size": 11, "color": [style.value_color(v) for v in
                                                           accepts["value"]],
                "line": {"width": 1, "color": "#424242"}},
        hoverinfo="text", hovertext=[f"{n} asks acceptors to accept ({b}, {v}) at {t:.2f}"
                                     for t, n, b, v in zip(accepts["time"], accepts["node"],
                                                           accepts["ballot"], accepts["value"],
                                                           strict=True)]))
    data.append(_nacks(df, len(proposers)))
    shapes, annotations = [], []
    decided, window = d.decided, d.window
    xrange = window.focus if window is not None else whole_range(df)
    for k, c in enumerate(decided):
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": c.time, "x1": c.time,
                       "y0": 0, "y1": 1, "line": {"color": style.CHOSEN_COLOR, "dash": "dash"}})
        annotations.append(style.chosen_label(c, xrange, k % 2))
    top = int(sends["round"].max()) if len(sends) else 1
    yrange = [0, top + 0.9]
    buttons: list[Spec] = []
    if window is not None:
        seen = sends.loc[sends["time"] <= window.focus[1], "round"]
        yfocus = [0, (int(seen.max()) if len(seen) else 1) + 0.9]
        buttons = style.range_buttons(window.focus, window.whole, yfocus, yrange)
        yrange = yfocus
    extra = style.CHOSEN_ROW if len(decided) > 1 else 0
    return {"data": data, "layout": {
        "title": {"text": "ballots over time", "x": 0.01, "y": 1, "yref": "container",
                  "yanchor": "top", "pad": {"t": 10}, "font": {"size": 14}},
        "template": style.TEMPLATE, "autosize": True, "hovermode": "closest",
        "height": 340 + extra, "uirevision": "paxosbook",
        "margin": {"l": 50, "r": 20, "t": 50 + extra, "b": 100},
        "xaxis": {"title": {"text": "time"}, "range": list(xrange)},
        "updatemenus": buttons,
        "yaxis": {"title": {"text": "ballot round"}, "range": yrange,
                  "dtick": 1 if top <= 12 else None},
        "legend": {**style.LEGEND_BELOW, "y": -70 / 190},
        "shapes": shapes, "annotations": annotations}}


def _height(rounds: pd.Series, ballots: pd.Series, proposers: int) -> pd.Series:
    """Ballot r.p is drawn at r plus a fraction growing with p: ballots stay in their order
    and two proposers' lines at the same round do not hide each other."""
    pid = pd.to_numeric(ballots.str.extract(r"\.(\d+)$")[0], errors="coerce").fillna(1)
    return rounds + 0.7 * (pid - 1) / max(proposers, 2)


def _nacks(df: pd.DataFrame, proposers: int) -> Spec:
    rows = df.loc[(df["event"] == "deliver") & (df["msg"] == "Nack"),
                  ["time", "node", "peer", "ballot", "round", "ref_ballot"]]
    return style.scatter(
        x=rows["time"].tolist(),
        y=_height(rows["round"], rows["ballot"], proposers).tolist(), mode="markers",
        name="Nack received",
        marker={"symbol": "x", "size": 8, "color": style.MESSAGE_COLORS["Nack"]},
        hoverinfo="text",
        hovertext=[f"{n} tells {p}: ballot {b} rejected, promised {r} ({t:.2f})"
                   for t, n, p, b, r in zip(rows["time"], rows["node"], rows["peer"],
                                            rows["ballot"], rows["ref_ballot"], strict=True)])
