"""The network graph: who talks to whom, and what each node holds at a moment.

Nodes sit in a deterministic networkx layout (proposers, acceptors and learners in three
columns; colocated nodes on a circle). An edge's width grows with the number of messages the
two nodes exchanged up to the chosen time; links cut by an active partition are dashed red.
A node's colour is the value it holds (an acceptor's accepted value, a learner's learned value,
a proposer's proposal), its label shows its state, and a crashed node is crossed out. A legend
under the graph says all of this: the shapes of the roles, the crossed-out node, what an edge's
width and dash mean, and which colour is which value (grey: none yet).

The figure always has the same traces (edges by width bucket, the link hover points, the
nodes, the crossed-out nodes, and legend-only entries), so a widget updates it in place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ..core import Cluster
from . import style
from .frames import Interval, TraceLike, derived, groups_of, records
from .state import NOTHING, state_table
from .style import Spec

WIDTH_BUCKETS = (1.5, 3.0, 5.0, 8.0)
"""Edge widths: an edge falls in a bucket by its share of the busiest edge's message count."""
LINK_LEGEND = ("link: no messages yet", "link: under 1/4 of the busiest link's messages",
               "1/4 to 1/2", "1/2 to 3/4", "over 3/4", "link cut by a partition")
"""The legend's names for the edge styles of ``_edge_styles()``, in order."""
LEGEND_HEIGHT = 125  # px under the graph for its legend


def network_graph(trace: TraceLike, time: float | None = None, *,
                  cluster: Cluster | None = None) -> go.Figure:
    """The network of ``trace`` with each node's state at ``time`` (the end if ``None``)."""
    return go.Figure(network_spec(trace, time, cluster=cluster))


def network_spec(trace: TraceLike, time: float | None = None, *,
                 cluster: Cluster | None = None, state: pd.DataFrame | None = None) -> Spec:
    """``network_graph`` as plain plotly JSON (``state``: the ``state_table`` at ``time``,
    if the caller has it already)."""
    d = derived(trace, cluster)
    roles = d.roles
    past = d.past(time)
    t = d.end if time is None else float(time)
    pos = node_positions(tuple((n, r) for n, r in roles.items()))
    if state is None:
        state = state_table(d.df, time, cluster=d.cluster)
    counts = _message_counts(past)
    relevant = set(_expected_pairs(roles)) | set(counts)
    cut = _cut_pairs(d.partitions, t) & relevant  # acceptors never talk to each other: no line
    pairs = sorted(relevant)
    data = _edge_traces(pairs, counts, cut, pos)
    data.extend(_node_traces(roles, state, pos))
    data.extend(_legend_entries(state))
    layered = all(len(r) == 1 for r in roles.values())
    return {"data": data, "layout": {
        "title": {"text": f"network and state at t={t:.2f}", "x": 0.01, "font": {"size": 14}},
        "template": style.TEMPLATE, "autosize": True, "height": _height(roles) + LEGEND_HEIGHT,
        "margin": {"l": 20, "r": 20, "t": 40, "b": LEGEND_HEIGHT}, "showlegend": True,
        "legend": {**style.LEGEND_BELOW, "y": 0, "font": {"size": 10}, "tracegroupgap": 2},
        "hovermode": "closest", "uirevision": "paxosbook",
        "xaxis": {"visible": False, "range": [-2.1, 2.1] if layered else [-1.7, 1.7]},
        "yaxis": {"visible": False, "range": [-1.3, 1.3] if layered else [-1.55, 1.3]},
    }}


def _height(roles: dict[str, tuple[str, ...]]) -> int:
    if any(len(r) != 1 for r in roles.values()):  # colocated: a circle
        return max(420, 60 * len(roles))
    column = max(sum(1 for r in roles.values() if r[0] == k)
                 for k in ("proposer", "acceptor", "learner"))
    return max(380, 80 * column)


@lru_cache(maxsize=64)
def node_positions(roles: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, tuple[float,
                                                                                       float]]:
    """Deterministic positions for ``(node, roles)`` pairs in display order.

    Separate roles: networkx's multipartite layout, proposers, acceptors and learners in three
    columns, each column top to bottom in display order. Colocated nodes (several roles each):
    networkx's circular layout, the first node at the top, clockwise.
    """
    import networkx as nx

    names = [n for n, _ in roles]
    g = nx.Graph()
    if any(len(r) != 1 for _, r in roles):
        g.add_nodes_from(names)
        raw = nx.circular_layout(g, scale=1.0)
        # circular_layout starts at angle 0 (the right) counter-clockwise; rotate and mirror
        # so that the first node is at the top and the order runs clockwise
        return {n: (float(raw[n][1]), float(raw[n][0])) for n in names}
    layer_of = {role: i for i, role in enumerate(("proposer", "acceptor", "learner"))}
    for name, r in roles:
        g.add_node(name, layer=layer_of[r[0]])
    raw = nx.multipartite_layout(g, subset_key="layer", align="vertical", scale=1.0)
    layers = sorted({layer_of[r[0]] for _, r in roles})
    out: dict[str, tuple[float, float]] = {}
    for column, layer in enumerate(layers):
        members = [n for n, r in roles if layer_of[r[0]] == layer]
        ys = sorted((float(raw[n][1]) for n in members), reverse=True)
        top = max(abs(y) for y in ys) or 1.0
        x = 1.3 * (column - (len(layers) - 1) / 2)  # columns 1.3 apart, centred
        for n, y in zip(members, ys, strict=True):
            out[n] = (x, y / top)
    return out


def _message_counts(past: list[Any]) -> dict[tuple[str, str], int]:
    """Messages (and duplicate copies) sent between each pair of nodes, in ``past`` (trace
    rows as tuples)."""
    return dict(Counter((e.node, e.peer) if e.node < e.peer else (e.peer, e.node)
                        for e in past
                        if e.event in ("send", "duplicate") and e.node != e.peer))


def _expected_pairs(roles: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    props = [n for n, r in roles.items() if "proposer" in r]
    accs = [n for n, r in roles.items() if "acceptor" in r]
    lrns = [n for n, r in roles.items() if "learner" in r]
    out = {tuple(sorted((x, y))) for x in props for y in accs if x != y}
    out |= {tuple(sorted((x, y))) for x in accs for y in lrns if x != y}
    return list(out)  # type: ignore[arg-type]


def _cut_pairs(partitions: list[Interval], t: float) -> set[tuple[str, str]]:
    cut: set[tuple[str, str]] = set()
    for iv in partitions:
        if iv.start <= t and (t < iv.stop or not iv.closed):
            groups = groups_of(iv.who)
            for i, g in enumerate(groups):
                for h in groups[i + 1:]:
                    cut |= {(min(x, y), max(x, y)) for x in g for y in h}
    return cut


def _edge_traces(pairs: list[tuple[str, str]], counts: dict[tuple[str, str], int],
                 cut: set[tuple[str, str]], pos: dict[str, tuple[float, float]]) -> list[Spec]:
    top = max(counts.values(), default=1)
    buckets: list[list[tuple[str, str]]] = [[] for _ in range(len(WIDTH_BUCKETS) + 2)]
    for p in pairs:
        if p[0] not in pos or p[1] not in pos:
            continue
        c = counts.get(p, 0)
        if p in cut:
            buckets[-1].append(p)
        elif c == 0:
            buckets[0].append(p)
        else:
            k = min(len(WIDTH_BUCKETS) - 1, int(len(WIDTH_BUCKETS) * c / (top + 1)))
            buckets[1 + k].append(p)
    names = ["no messages", *(f"messages (width {w})" for w in WIDTH_BUCKETS), "cut by partition"]
    out: list[Spec] = []
    for group, line, name in zip(buckets, _edge_styles(), names, strict=True):
        xs: list[Any] = []
        ys: list[Any] = []
        for a, b in group:
            xs += [pos[a][0], pos[b][0], None]
            ys += [pos[a][1], pos[b][1], None]
        out.append(style.scatter(x=xs, y=ys, mode="lines", line=line, hoverinfo="skip",
                                 name=name, showlegend=False))
    drawn = [p for g in buckets for p in g]
    out.append(style.scatter(
        x=[(pos[a][0] + pos[b][0]) / 2 for a, b in drawn],
        y=[(pos[a][1] + pos[b][1]) / 2 for a, b in drawn], mode="markers",
        marker={"size": 10, "color": "rgba(0,0,0,0)"}, name="links", hoverinfo="text",
        showlegend=False,
        hovertext=[f"{a} — {b}: {counts.get((a, b), 0)} messages"
                   + (" (cut by a partition)" if (a, b) in cut else "") for a, b in drawn]))
    return out


def _edge_styles() -> list[Spec]:
    return [{"color": "#E0E0E0", "width": 1, "dash": "dot"},
            *({"color": "#90A4AE", "width": w} for w in WIDTH_BUCKETS),
            {"color": style.DROP_COLOR, "width": 2, "dash": "dash"}]


def _node_traces(roles: dict[str, tuple[str, ...]], state: pd.DataFrame,
                 pos: dict[str, tuple[float, float]]) -> list[Spec]:
    names = list(roles)
    layered = all(len(r) == 1 for r in roles.values())
    colors, labels, hovers, symbols, where = [], [], [], [], []
    rows = dict(zip(state.index, records(state), strict=True))
    for n in names:
        s = rows[n]
        r = roles[n]
        colors.append(style.value_color(_held_value(s)))
        lines = [f"<b>{n}</b>"]
        if "proposer" in r:
            lines.append(f"ballot {s['ballot']}")
        if "acceptor" in r:
            lines.append(f"promised {s['promised']}")
            lines.append(f"accepted {s['accepted']}")
        if "learner" in r:
            lines.append(f"learned {s['learned']}")
        if s["status"] == "crashed":
            lines.append("<i>crashed</i>")
        # separate roles: name and first fact on one line, the label beside the node
        labels.append("<br>".join([f"{lines[0]} {lines[1]}", *lines[2:]] if layered
                                  and len(lines) > 1 else lines))
        hovers.append(f"{n} ({'+'.join(r)})<br>" + "<br>".join(lines[1:]))
        symbols.append(style.ROLE_SYMBOLS.get(r[0] if r else "", "circle"))
        where.append(("middle left" if r[0] == "proposer" else "middle right") if layered
                     else "bottom center")
    crashed = [n for n in names if state.loc[n, "status"] == "crashed"]
    return [
        style.scatter(x=[pos[n][0] for n in names], y=[pos[n][1] for n in names],
                   mode="markers+text", text=labels, textposition=where, hovertext=hovers,
                   hoverinfo="text", name="nodes", textfont={"size": 10}, showlegend=False,
                   marker={"size": 30, "color": colors, "symbol": symbols,
                           "line": {"width": 2, "color": "#455A64"}}),
        style.scatter(x=[pos[n][0] for n in crashed], y=[pos[n][1] for n in crashed],
                   mode="markers", name="crashed", hoverinfo="skip", showlegend=False,
                   marker={"size": 30, "symbol": "x-thin", "line": {"width": 4,
                                                                    "color": "#212121"}}),
    ]


def _legend_entries(state: pd.DataFrame) -> list[Spec]:
    """Legend-only entries (one point at None: plotly lists no trace without points): each
    edge style, each role's shape, a crashed node, and which colour is which value held
    (one entry, the values in their colours)."""
    links = [style.scatter(x=[None], y=[None], mode="lines", name=name, line=line,
                           legendgroup="links")
             for name, line in zip(LINK_LEGEND, _edge_styles(), strict=True)]
    grey = {"color": "#ECEFF1", "line": {"width": 2, "color": "#455A64"}, "size": 12}
    out = [*links, *(style.scatter(x=[None], y=[None], mode="markers", name=role,
                                   legendgroup="nodes",
                                   marker={**grey, "symbol": style.ROLE_SYMBOLS[role]})
                     for role in ("proposer", "acceptor", "learner"))]
    out.append(style.scatter(x=[None], y=[None], mode="markers", name="crashed node",
                             legendgroup="nodes", marker={"symbol": "x-thin", "size": 12,
                                                          "line": {"width": 3,
                                                                   "color": "#212121"}}))
    held = sorted({_held_value(row) for row in records(state)} - {""})
    swatches = " ".join(f"<span style='color:{style.value_color(v)}'>■</span> {v}"
                        for v in held)
    out.append(style.scatter(x=[None], y=[None], mode="markers", legendgroup="values",
                             name="colour: value held " + (swatches or "(none yet)")
                             + f" <span style='color:{style.NO_VALUE_COLOR}'>■</span> none",
                             marker={"size": 0.1, "color": "rgba(0,0,0,0)"}))
    return out


def _held_value(s: Mapping[Any, Any]) -> str:
    for col in ("learned", "proposing", "accepted"):
        text = str(s[col])
        if text and text != NOTHING:
            return text.rsplit(", ", 1)[-1].rstrip(")") if col == "accepted" else text
    return ""
