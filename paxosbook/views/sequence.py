"""The message sequence (space-time) diagram of a run.

One horizontal lifeline per node, grouped by role (proposers on top, then acceptors, then
learners); time runs left to right. Each message is an arrow from its sender's lifeline at the
send time to its receiver's at the delivery time, coloured by type. A dropped message stops
half-way, at the moment it was lost, with a cross; a message still in flight when the trace
ends is dotted. Duplicate copies are arrows of their own marked with a diamond. Crashes shade
the node's lifeline; a partition is a red bar, labelled with its groups, in a strip above the
lifelines, with dotted lines where it starts and heals; promise, accept and learn events are
markers on the lifelines; a dashed green line marks each moment a value was chosen.

The time axis opens on the decision (``frames.focus_window``: first start to the decision, or
to when every learner learned if that follows soon, plus a margin), so that a long tail of
retries does not crush it against the left edge; buttons under the axis switch between
"decision" and "whole run". A run that never decides opens on the whole run.

The figure is made of a fixed, small set of traces whatever the size of the run: each trace
draws many segments separated by ``None``, and above ``GL_THRESHOLD`` messages the message
traces switch to WebGL (``Scattergl``). The widget relies on the fixed trace layout to update
figures in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import plotly.graph_objects as go

from ..core import Cluster
from . import style
from .frames import Columns, Derived, Interval, TraceLike, derived, whole_range
from .style import Spec

GL_THRESHOLD = 1500
"""Above this many messages the message traces are drawn with WebGL."""

MESSAGE_TYPES = tuple(style.MESSAGE_COLORS)
LANE = 0.36  # half-height of a shaded lifeline band


def sequence_diagram(trace: TraceLike, *, time: float | None = None, title: str = "",
                     cluster: Cluster | None = None) -> go.Figure:
    """The sequence diagram of ``trace`` (a ``Run`` or ``Run.trace``), with a cursor at
    ``time`` if given. ``cluster`` (default: the run's, or inferred) fixes roles and quorums."""
    return go.Figure(sequence_spec(trace, time=time, title=title, cluster=cluster))


def sequence_spec(trace: TraceLike, *, time: float | None = None, title: str = "",
                  cluster: Cluster | None = None) -> Spec:
    """``sequence_diagram`` as plain plotly JSON (``{"data": [...], "layout": {...}}``)."""
    d = derived(trace, cluster)
    roles, end, msgs = d.roles, d.end, d.msg_columns
    ypos = {n: i for i, n in enumerate(roles)}
    gl = len(msgs["msg_id"]) > GL_THRESHOLD
    y0 = _lane(msgs["src"], ypos)
    y1 = _lane(msgs["dst"], ypos)
    hover = _message_hover(msgs)
    fate = msgs["fate"]
    data: list[Spec] = [_lifelines(ypos, end), *_crash_traces(d.crashes, ypos),
                       _partition_trace(d)]
    kinds = np.array([style.message_family(m) for m in msgs["msg"].tolist()], dtype=object)
    for kind in MESSAGE_TYPES:
        sel = (fate == "deliver") & (kinds == kind)
        data.append(_arrows(kind, msgs, sel, y0, y1, hover, gl))
    data.append(_dropped(msgs, fate == "drop", y0, y1, hover, gl))
    data.append(_in_flight(msgs, fate == "", y0, y1, hover, end, gl))
    data.append(_duplicates(msgs, y0, y1, end, gl))
    data.extend(_lifeline_events(d, ypos))
    return {"data": data, "layout": _layout(d, time, title, data)}


# -- helpers building arrays ---------------------------------------------------------------------
def _lane(nodes: np.ndarray, ypos: dict[str, int]) -> np.ndarray:
    """Each node's lifeline (NaN for a node without one), like ``nodes.map(ypos)`` without
    pandas' per-call cost (most of a small diagram's)."""
    return np.array([ypos.get(n, np.nan) for n in nodes.tolist()], dtype=float)


def _seg(a: Any, b: Any) -> np.ndarray:
    """Interleave start and end coordinates into ``a0, b0, None, a1, b1, None, ...``."""
    a = np.asarray(a, dtype=float)
    out = np.empty(3 * len(a), dtype=object)
    out[0::3] = a
    out[1::3] = np.asarray(b, dtype=float)
    out[2::3] = None
    return out


def _seg_text(text: np.ndarray) -> np.ndarray:
    out = np.empty(3 * len(text), dtype=object)
    out[0::3] = text
    out[1::3] = text
    out[2::3] = None
    return out


def _end_marker_sizes(n: int, size: float) -> np.ndarray:
    return np.tile(np.array([0.0, size, 0.0]), n)


def _fmt(t: np.ndarray) -> np.ndarray:
    return np.char.mod("%.2f", np.asarray(t, dtype=float)).astype(object)


def _message_hover(m: Columns) -> np.ndarray:
    kind = m["msg"]
    value = m["value"]
    ref = m["ref_ballot"]
    extra = np.where(np.isin(kind, ("Accept", "Accepted")), " value " + value, "")
    promise_info = np.where(ref != "", " accepted (" + ref + ", " + value + ")",
                            " accepted nothing")
    extra = np.where(kind == "Promise", promise_info, extra)
    extra = np.where(kind == "Nack", " promised " + ref, extra)
    fate = m["fate"]
    end = _fmt(m["end"])
    what = np.where(fate == "deliver", ", delivered " + end,
                    np.where(fate == "drop", ", lost " + end + " (" + m["detail"] + ")",
                             ", in flight"))
    copy = m["copy_of"]
    dup = np.where(copy >= 0, " (duplicate of #" + copy.astype(str).astype(object) + ")", "")
    return (kind + " " + m["ballot"] + extra + "<br>"
            + m["src"] + " → " + m["dst"]
            + "<br>sent " + _fmt(m["sent"]) + what + "<br>#"
            + m["msg_id"].astype(str).astype(object) + dup)


def _scatter(gl: bool, **kw: Any) -> Spec:
    return style.scattergl(**kw) if gl else style.scatter(**kw)


# -- traces ---------------------------------------------------------------------------------------
def _lifelines(ypos: dict[str, int], end: float) -> Spec:
    n = len(ypos)
    ys = np.arange(n, dtype=float)
    return style.scatter(x=_seg(np.zeros(n), np.full(n, max(end, 1.0) * 1.02)), y=_seg(ys, ys),
                      mode="lines", line={"color": style.LIFELINE_COLOR, "width": 1},
                      hoverinfo="skip", showlegend=False, name="lifelines")


def _crash_traces(crashes: list[Interval], ypos: dict[str, int]) -> list[Spec]:
    xs: list[Any] = []
    ys: list[Any] = []
    mx: list[float] = []
    my: list[float] = []
    mt: list[str] = []
    for iv in crashes:
        y = ypos.get(iv.who)
        if y is None:
            continue
        xs += [iv.start, iv.stop, iv.stop, iv.start, iv.start, None]
        ys += [y - LANE, y - LANE, y + LANE, y + LANE, y - LANE, None]
        mx.append(iv.start)
        my.append(y)
        mt.append(f"{iv.who} crashes at {iv.start:.2f}<br>"
                  + (f"restarts at {iv.stop:.2f}" if iv.closed else "still down at the end"))
    fill = style.scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=style.CRASH_COLOR,
                      line={"width": 0}, hoveron="fills", hoverinfo="name", name="crashed",
                      legendgroup="crashed")
    marks = style.scatter(x=mx, y=my, mode="markers", hovertext=mt, hoverinfo="text",
                       marker={"symbol": "x-thin", "size": 12, "color": "#212121",
                               "line": {"width": 2, "color": "#212121"}},
                       name="crash", legendgroup="crashed", showlegend=False)
    return [fill, marks]


def _partition_trace(d: Derived) -> Spec:
    """Each partition as a bar in the strip above the lifelines, from its start to its end."""
    xs: list[Any] = []
    ys: list[Any] = []
    half = 0.4 * PARTITION_ROW
    for iv, row in _partition_rows(d):
        y = _strip_y(row)
        xs += [iv.start, iv.stop, iv.stop, iv.start, iv.start, None]
        ys += [y - half, y - half, y + half, y + half, y - half, None]
    return style.scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=style.PARTITION_COLOR,
                      line={"width": 0}, hoveron="fills", hoverinfo="name", name="partition")


def _arrows(kind: str, m: Columns, sel: np.ndarray, y0: np.ndarray, y1: np.ndarray,
            hover: np.ndarray, gl: bool) -> Any:
    k = int(sel.sum())
    marker: dict[str, Any] = {"size": _end_marker_sizes(k, 11), "color": style.MESSAGE_COLORS[kind]}
    if gl:
        marker["symbol"] = "circle"
    else:
        marker.update(symbol="arrow", angleref="previous")
    return _scatter(gl, x=_seg(m["sent"][sel], m["end"][sel]),
                    y=_seg(y0[sel], y1[sel]), mode="lines+markers", name=kind,
                    line={"color": style.MESSAGE_COLORS[kind], "width": 1.5}, marker=marker,
                    hovertext=_seg_text(hover[sel]), hoverinfo="text", legendgroup=kind)


def _dropped(m: Columns, sel: np.ndarray, y0: np.ndarray, y1: np.ndarray,
             hover: np.ndarray, gl: bool) -> Any:
    sent, end = m["sent"][sel], m["end"][sel]
    a, b = y0[sel], y1[sel]
    return _scatter(gl, x=_seg(sent, (sent + end) / 2), y=_seg(a, (a + b) / 2),
                    mode="lines+markers", name="dropped",
                    line={"color": style.DROP_COLOR, "width": 1.2, "dash": "dot"},
                    marker={"symbol": "x", "size": _end_marker_sizes(int(sel.sum()), 9),
                            "color": style.DROP_COLOR},
                    hovertext=_seg_text(hover[sel]), hoverinfo="text")


def _in_flight(m: Columns, sel: np.ndarray, y0: np.ndarray, y1: np.ndarray,
               hover: np.ndarray, end: float, gl: bool) -> Any:
    sent = m["sent"][sel]
    a, b = y0[sel], y1[sel]
    text = hover[sel] + "<br>(still in flight when the trace ends)"
    return _scatter(gl, x=_seg(sent, np.full(len(sent), end)), y=_seg(a, a + (b - a) / 2),
                    mode="lines+markers", name="in flight",
                    line={"color": style.INFLIGHT_COLOR, "width": 1, "dash": "dot"},
                    marker={"symbol": "circle-open", "size": _end_marker_sizes(len(sent), 7),
                            "color": style.INFLIGHT_COLOR},
                    hovertext=_seg_text(text), hoverinfo="text")


def _duplicates(m: Columns, y0: np.ndarray, y1: np.ndarray, end: float, gl: bool) -> Any:
    sel = m["copy_of"] >= 0
    sent, stop = m["sent"][sel], m["end"][sel]
    dropped = (m["fate"][sel] == "drop")
    stop = np.where(np.isnan(stop), end, stop)
    frac = np.where(dropped, 0.25, 0.5)  # a dropped copy's arrow is only half drawn
    a, b = y0[sel], y1[sel]
    text = ("duplicate copy #" + m["msg_id"][sel].astype(str).astype(object)
            + " of #" + m["copy_of"][sel].astype(str).astype(object) + " ("
            + m["msg"][sel] + " " + m["src"][sel]
            + " → " + m["dst"][sel] + ")")
    return _scatter(gl, x=sent + (stop - sent) * frac, y=a + (b - a) * frac, mode="markers",
                    name="duplicate", hovertext=text, hoverinfo="text",
                    marker={"symbol": "diamond-open", "size": 9, "color": style.DUPLICATE_COLOR,
                            "line": {"width": 2}})


_EVENT_MARKS: tuple[tuple[str, str, str, int, str], ...] = (
    # event, legend name, symbol, size, colour
    ("start", "start", "triangle-right", 10, style.MESSAGE_COLORS["Prepare"]),
    ("timer", "timeout", "hourglass", 9, "#616161"),
    ("promise", "promise", "circle", 8, style.MESSAGE_COLORS["Promise"]),
    ("accept", "accept", "square", 8, style.MESSAGE_COLORS["Accepted"]),
    ("learn", "learn", "star", 14, style.CHOSEN_COLOR),
)


def _lifeline_events(d: Derived, ypos: dict[str, int]) -> list[Spec]:
    rows: dict[str, list[Any]] = {kind: [] for kind, *_ in _EVENT_MARKS}
    for e in d.events:
        if e.event in rows:
            rows[e.event].append(e)
    return [style.scatter(
        x=[e.time for e in rows[kind]], y=[float(ypos.get(e.node, np.nan)) for e in rows[kind]],
        mode="markers", name=name, hovertext=[_event_hover(kind, e) for e in rows[kind]],
        hoverinfo="text", marker={"symbol": symbol, "size": size, "color": color,
                                  "line": {"width": 1, "color": "white"}})
        for kind, name, symbol, size, color in _EVENT_MARKS]


def _event_hover(kind: str, e: Any) -> str:
    """The hover text of lifeline event ``e`` (a trace row) of ``kind``."""
    t = f" at {e.time:.2f}"
    if kind == "start":
        return f"{e.node} starts, proposing {e.value}{t}"
    if kind == "timer":
        return f"{e.node}'s {e.detail} timer fires{t}"
    if kind == "learn":
        return f"{e.node} learns {e.value} (ballot {e.ballot}){t}"
    accepted = f"({e.ref_ballot}, {e.value})" if e.ref_ballot else "nothing"
    verb = "promises " if kind == "promise" else "accepts; promised "
    return f"{e.node} {verb}{e.ballot}, accepted {accepted}{t}"


# -- layout -------------------------------------------------------------------------------------
PARTITION_ROW = 0.6  # lanes: the height of one row of the partition strip above the lifelines


def _partition_rows(d: Derived) -> list[tuple[Interval, int]]:
    """The partitions drawn (at most 20), each with its row in the strip (row 0 nearest the
    lifelines; one row per partition up to three, then they share)."""
    return [(iv, i % 3) for i, iv in enumerate(d.partitions[:20])]


def _layout(d: Derived, time: float | None, title: str,
            data: list[Spec]) -> dict[str, Any]:
    roles = d.roles
    n = len(roles)
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    _role_bands(roles, shapes, annotations)
    decided, window = d.decided, d.window
    xrange = window.focus if window is not None else whole_range(d.end)
    chosen_shapes, chosen_labels, label_rows = style.chosen_marks(decided, xrange, width=2)
    shapes += chosen_shapes
    annotations += chosen_labels
    parts = _partition_rows(d)
    rows = 1 + max((r for _, r in parts), default=-1)
    for iv, row in parts:
        shapes.extend(_partition_edges(iv))
        annotations.append(_partition_label(iv, row))
    if time is not None:  # the cursor: the last shape and the last annotation
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": time, "x1": time,
                       "y0": 0, "y1": 1, "line": {"color": style.CURSOR_COLOR, "width": 2}})
        annotations.append({"x": time, "y": 0, "xref": "x", "yref": "paper", "yanchor": "bottom",
                            "xanchor": "left", "text": f" t={time:.2f}", "showarrow": False,
                            "bgcolor": "rgba(255,255,255,0.8)",
                            "font": {"color": style.CURSOR_COLOR, "size": 11}})
    top = 50 + style.CHOSEN_ROW * max(label_rows - 1, 0)
    plot = round(34 * (max(n, 3) + PARTITION_ROW * rows))  # px: 34 per lifeline
    legend, bottom = style.legend_below(data, plot, 72)
    return {
        "title": {"text": title or _counts(d.msg_columns), "x": 0.01, "y": 1, "yref": "container",
                  "yanchor": "top", "pad": {"t": 10}, "font": {"size": 14}},
        "template": style.TEMPLATE, "autosize": True, "height": top + plot + bottom,
        "margin": {"l": 50, "r": 50, "t": top, "b": bottom}, "hovermode": "closest",  # r: room
        # for the cursor's label when the cursor is at the end
        "xaxis": {"title": {"text": "time"}, "zeroline": False, "range": list(xrange)},
        "yaxis": {"tickvals": list(range(n)), "ticktext": list(roles), "showgrid": False,
                  "zeroline": False, "range": [n - 0.5, -0.5 - PARTITION_ROW * rows],
                  "fixedrange": True},
        "legend": legend,
        "updatemenus": style.range_buttons(window.focus, window.whole) if window else [],
        "shapes": shapes, "annotations": annotations, "uirevision": "paxosbook",
    }


def _counts(msgs: Columns) -> str:
    fate = msgs["fate"].tolist()
    return (f"{len(fate)} messages: {fate.count('deliver')} delivered, "
            f"{fate.count('drop')} dropped, "
            f"{int((msgs['copy_of'] >= 0).sum())} duplicate copies")


def _role_bands(roles: dict[str, tuple[str, ...]], shapes: list[dict[str, Any]],
                annotations: list[dict[str, Any]]) -> None:
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(roles.values()):
        groups.setdefault(r[0] if r else "node", []).append(i)
    for role, idx in groups.items():
        shapes.append({"type": "rect", "xref": "paper", "yref": "y", "x0": 0, "x1": 1,
                       "y0": idx[0] - 0.5, "y1": idx[-1] + 0.5, "layer": "below", "line":
                       {"width": 0}, "fillcolor": style.ROLE_BANDS.get(role, "rgba(0,0,0,0)")})
        multi = {r for i in idx for r in list(roles.values())[i]}
        label = "/".join(sorted(multi, key=("proposer", "acceptor", "learner").index))
        annotations.append({"x": 0, "xref": "paper", "xanchor": "left", "y": idx[0] - 0.5,
                            "yref": "y", "yanchor": "top", "text": f"<i>{label}s</i>",
                            "showarrow": False, "font": {"color": "#757575", "size": 10}})


def _partition_edges(iv: Interval) -> list[dict[str, Any]]:
    """Thin dotted lines where a partition starts and heals (the strip above says which)."""
    return [{"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
             "layer": "below", "line": {"color": style.PARTITION_EDGE_COLOR, "width": 1,
                                        "dash": "dot"}}
            for x in ((iv.start, iv.stop) if iv.closed else (iv.start,))]


def _partition_label(iv: Interval, row: int) -> dict[str, Any]:
    return {"x": iv.start, "xref": "x", "xanchor": "left", "y": _strip_y(row), "yref": "y",
            "yanchor": "middle", "text": " partition " + iv.who.replace("|", " | "),
            "showarrow": False, "font": {"color": "#B71C1C", "size": 10}}


def _strip_y(row: int) -> float:
    """The centre of row ``row`` of the partition strip, above the first lifeline."""
    return -0.5 - PARTITION_ROW * (row + 0.5)


PENDING_COLOR = "rgba(120,120,120,0.35)"


class Pending(NamedTuple):
    """A message in flight that could be delivered next: sent at ``sent``, drawn to ``now``."""

    sent: float
    src: str
    dst: str
    label: str


def add_pending(spec: Spec, pending: Sequence[Pending], now: float) -> None:
    """Add to a sequence diagram ``spec`` one trace of faint arrows named "next candidates":
    each pending message from its send to its receiver at time ``now`` (the x range reaches
    ``now``)."""
    ypos = {n: i for i, n in enumerate(spec["layout"]["yaxis"]["ticktext"])}
    xs: list[float | None] = []
    ys: list[float | None] = []
    text: list[str | None] = []
    for p in pending:
        xs += [p.sent, now, None]
        ys += [ypos.get(p.src, 0), ypos.get(p.dst, 0), None]
        text += [p.label, p.label, None]
    spec["data"].append(style.scatter(
        x=xs, y=ys, text=text, mode="lines+markers", hoverinfo="text", name="next candidates",
        line={"color": PENDING_COLOR, "width": 1, "dash": "dot"},
        marker={"size": [0, 7, 0] * len(pending), "color": PENDING_COLOR,
                "symbol": "arrow", "angleref": "previous"}))
    xaxis = spec["layout"]["xaxis"]
    xaxis["range"] = [xaxis["range"][0], max(xaxis["range"][1], now * 1.02)]
    layout = spec["layout"]
    margin = layout["margin"]
    plot = layout["height"] - margin["t"] - margin["b"]
    layout["legend"], margin["b"] = style.legend_below(spec["data"], plot, 72)
    layout["height"] = margin["t"] + plot + margin["b"]
