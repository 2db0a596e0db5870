"""A KV run (``paxosbook.kv.run.KVRun``) drawn: its load over time, and the writes it lost.

``kv_chart(run)``: operations completed per second in bins of equal width, with the median and
slowest latency of the operations completed in each bin (right axis, log scale), above a strip
with one row per node: a dark bar while the node was down (``kill -9`` until its restart), a
red one while it was cut off by a partition (in a group other than the largest). A
whole-cluster kill is the column where every row is dark, and the dip in the bars above it.

``lost_writes_figure(run, key)``: the operations on one key, one row per client, in seconds
since the clients started: a bar from call to answer, red and labelled for an acknowledged
write missing from the final state (``run.lost``), dashed to the right edge when never
answered. A top row marks when every node was down; the last row is the final state the
replicas kept. An answer before the dark column, and no trace of it after: the write was
acknowledged before it was durable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from . import style
from .style import Spec

BINS = 40
"""About this many bins across the run (each at least ``MIN_BIN`` seconds)."""
MIN_BIN = 0.05
PLOT = 190
"""px: the height of the load's plot area."""
ROW = 18
"""px: one node's row in the strip."""
GAP = 36
"""px between the load's plot area and the strip."""
LEGEND_GAP = 64
"""px from the plot area down to the legend: room for the tick labels and the x axis title
(at 48 px the centred title ran into a legend as wide as the figure)."""
DOWN_COLOR = "#455A64"
CUT_COLOR = "#E57373"
OK_COLOR = "#4C78A8"
FAIL_COLOR = "#A0BBD8"
LOST_COLOR = style.VIOLATION_COLOR
INFO_COLOR = "#9E9E9E"
LATENCY_TICKS = [0.1, 1, 10, 100, 1000, 10000]
LABEL_CHARS = 34
PLOT_WIDTH = 560
"""px the x axis spans at the narrowest (labels are thinned to fit it)."""
CHAR_WIDTH = 6.5
"""px per character of an 11 px label."""
"""Characters of the final state shown (hover shows it whole)."""


def kv_chart(run: Any) -> go.Figure:
    """Operations per second, latency and the nodes' downtime of ``run`` (a ``KVRun``)."""
    done = [op for op in run.ops if op.status != "info"]
    end = max([run.duration, *(op.end for op in done)]) if done else max(run.duration, MIN_BIN)
    width = max(MIN_BIN, end / BINS)
    edges = np.arange(0.0, end + width, width)
    mids = ((edges[:-1] + edges[1:]) / 2).tolist()
    data = [_rate("ok", [op.end for op in done if op.status == "ok"], edges, mids, width,
                  OK_COLOR),
            _rate("cas failed (value differed)", [op.end for op in done if op.status == "fail"],
                  edges, mids, width, FAIL_COLOR),
            *_latency(done, edges, mids)]
    names = _nodes(run)
    data += _strip(run, names, end)
    strip = ROW * max(len(names), 1)
    area = PLOT + GAP + strip
    legend, bottom = style.legend_below(data, area, LEGEND_GAP)
    report = run.report()
    title = (f"{report['ops_per_second']:g} ops/s, p50 {report['latency_p50_ms']:g} ms, "
             f"p99 {report['latency_p99_ms']:g} ms; {run.kills} kills")
    layout = {
        "template": style.TEMPLATE_NAME, "height": 44 + area + bottom, "barmode": "stack",
        "bargap": 0.05, "title": {"text": title, "font": {"size": 13}, "x": 0.01},
        "xaxis": {"title": {"text": "time since the clients started (s)"}, "range": [0, end],
                  "anchor": "y3"},
        "yaxis": {"title": {"text": "ops / s"}, "rangemode": "tozero",
                  "domain": [(GAP + strip) / area, 1.0]},
        "yaxis2": {"title": {"text": "latency (ms)"}, "type": "log", "overlaying": "y",
                   "side": "right", "showgrid": False, "tickvals": LATENCY_TICKS,
                   "ticktext": [f"{t:g}" for t in LATENCY_TICKS]},
        "yaxis3": {"domain": [0.0, strip / area], "range": [len(names) - 0.5, -0.5],
                   "tickvals": list(range(len(names))), "ticktext": names, "showgrid": False,
                   "fixedrange": True, "zeroline": False},
        "margin": {"l": 60, "r": 70, "t": 44, "b": bottom}, "legend": legend,
    }
    return go.Figure({"data": data, "layout": layout})


def _rate(name: str, times: list[float], edges: np.ndarray, mids: list[float], width: float,
          color: str) -> Spec:
    counts, _ = np.histogram(times, bins=edges)
    return {"type": "bar", "name": name, "x": mids, "y": (counts / width).tolist(),
            "width": width * 0.95, "marker": {"color": color},
            "hovertemplate": f"%{{y:.0f}} {name}/s around t=%{{x:.2f}} s<extra></extra>"}


def _latency(done: list[Any], edges: np.ndarray, mids: list[float]) -> list[Spec]:
    ms: list[list[float]] = [[] for _ in mids]
    for op in done:
        i = min(int(np.searchsorted(edges, op.end, side="right")) - 1, len(mids) - 1)
        ms[max(i, 0)].append((op.end - op.start) * 1000)
    out = []
    for name, pick, color in (("median latency", np.median, "#F58518"),
                              ("slowest", np.max, "#6D4C41")):
        ys = [round(float(pick(m)), 2) if m else None for m in ms]  # a gap: none completed
        out.append(style.scatter(x=mids, y=ys, connectgaps=False, yaxis="y2",
                                 mode="lines+markers", name=name,
                                 line={"color": color, "width": 2}, marker={"size": 4},
                                 hovertemplate=f"{name} %{{y:.1f}} ms around t=%{{x:.2f}} s"
                                               "<extra></extra>"))
    return out


def _nodes(run: Any) -> list[str]:
    names = {f["name"] for f in run.finals if "name" in f}
    names |= {c.node for c in run.crashes}
    names |= {n for p in run.partitions for g in p.groups for n in g}
    return sorted(names, key=lambda n: (len(n), n))


def _segments(spans: list[tuple[str, float, float]], rows: dict[str, int]
              ) -> tuple[list[float | None], list[float | None]]:
    xs: list[float | None] = []
    ys: list[float | None] = []
    for node, a, b in spans:
        xs += [a, b, None]
        ys += [rows[node]] * 2 + [None]
    return xs, ys


def _strip(run: Any, names: list[str], end: float) -> list[Spec]:
    rows = {n: i for i, n in enumerate(names)}
    down = [(c.node, c.at, end if c.recover is None else c.recover) for c in run.crashes]
    cut = []
    for p in run.partitions:
        biggest = max(p.groups, key=len)
        cut += [(n, p.start, end if p.end is None else p.end)
                for g in p.groups if g is not biggest for n in dict.fromkeys(g)]
    out = []
    for name, spans, color in (("down (kill -9 to restart)", down, DOWN_COLOR),
                               ("cut off by a partition", cut, CUT_COLOR)):
        xs, ys = _segments(spans, rows)
        out.append(style.scatter(x=xs, y=ys, yaxis="y3", mode="lines", name=name,
                                 line={"color": color, "width": 9}, showlegend=bool(xs),
                                 hovertemplate="%{x:.2f} s<extra>" + name + "</extra>"))
    return out


def lost_writes_figure(run: Any, key: str | None = None) -> go.Figure:
    """The operations on ``key`` (default: the key of the first lost write, else the first
    key used) of ``run`` (a ``KVRun``), the lost acknowledged writes marked. It opens on the
    lost writes and the whole-cluster kill after them ("whole run" shows everything)."""
    lost = {id(op) for op in run.lost}
    if key is None:
        key = run.lost[0].key if run.lost else (run.ops[0].key if run.ops else "")
    ops = [op for op in run.ops if op.key == key]
    done = [op.end for op in run.ops if op.status != "info"]
    end = max([run.duration, *done]) if done else run.duration
    rows = {c: i + 1 for i, c in enumerate(sorted({op.client for op in ops}))}
    final_row = len(rows) + 1
    mine = [op for op in ops if id(op) in lost]
    outages = _outages(run, end)
    data = [_ops(ops, rows, end, "acknowledged, then lost", lambda op: id(op) in lost,
                 LOST_COLOR, 7),
            _ops(ops, rows, end, "answered", lambda op: op.status != "info" and
                 id(op) not in lost, OK_COLOR, 4),
            _ops(ops, rows, end, "never answered", lambda op: op.status == "info",
                 INFO_COLOR, 4),
            outages]
    whole = (0.0, end * 1.02)
    focus = _focus(mine, [x for x in outages["x"] if x is not None], whole)
    data.append(_labels(mine, rows, focus))
    plot = 30 * (final_row + 1)
    legend, bottom = style.legend_below(data, plot, LEGEND_GAP)
    title = (f"key {key!r}: {len(mine)} acknowledged writes lost" if mine
             else f"key {key!r}: no acknowledged write lost")
    buttons = [{"label": label, "method": "relayout", "args": [{"xaxis.range": list(xs)}]}
               for label, xs in (("lost writes", focus), ("whole run", whole))]
    layout = {
        "template": style.TEMPLATE_NAME, "height": 50 + plot + bottom,
        "title": {"text": title, "font": {"size": 13}, "x": 0.01},
        "xaxis": {"title": {"text": "time since the clients started (s)"},
                  "range": list(focus), "zeroline": False},
        "yaxis": {"tickvals": [0, *rows.values(), final_row],
                  "ticktext": ["all nodes", *(f"client {c}" for c in rows), "final state"],
                  "range": [final_row + 0.6, -0.6], "zeroline": False, "showgrid": False,
                  "fixedrange": True},
        "margin": {"l": 90, "r": 20, "t": 50, "b": bottom}, "legend": legend,
        "annotations": [_final(run, key, final_row, end)],
        "updatemenus": [{"type": "buttons", "direction": "right", "showactive": False,
                         "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom",
                         "pad": {"t": 0, "b": 6}, "font": {"size": 11},
                         "buttons": buttons}] if mine else [],
    }
    return go.Figure({"data": data, "layout": layout})


def _labels(mine: list[Any], rows: dict[int, int], focus: tuple[float, float]) -> Spec:
    """The lost writes' labels above their bars, leaving out one that would run into the
    label before it on its row (its hover still says what it was)."""
    per_char = CHAR_WIDTH * (focus[1] - focus[0]) / PLOT_WIDTH  # seconds per character
    right: dict[int, float] = {}
    xs, ys, texts = [], [], []
    for op in sorted(mine, key=lambda op: op.start):
        text = f"{op.f} {op.value!s}"
        mid, half = (op.start + op.end) / 2, (len(text) + 1) * per_char / 2
        if mid - half > right.get(op.client, -float("inf")):
            right[op.client] = mid + half
            xs.append(mid)
            ys.append(rows[op.client])
            texts.append(text)
    return style.scatter(x=xs, y=ys, mode="text", text=texts, textposition="top center",
                         showlegend=False, hoverinfo="skip",
                         textfont={"size": 11, "color": LOST_COLOR})


def _focus(mine: list[Any], outages: list[float], whole: tuple[float, float]
           ) -> tuple[float, float]:
    """From the first lost write's call to the first whole-cluster kill after the last
    lost write's answer, padded (the whole run when nothing was lost)."""
    if not mine:
        return whole
    lo, hi = min(op.start for op in mine), max(op.end for op in mine)
    hi = min([x for x in outages if x >= hi] or [hi])
    pad = max(0.05, 0.15 * (hi - lo))
    return (max(0.0, lo - pad), min(whole[1], hi + pad))


def _best(run: Any) -> dict[str, Any]:
    return max(run.finals, key=lambda f: f["applied"], default={"data": {}})


def _ops(ops: list[Any], rows: dict[int, int], end: float, name: str, keep: Any, color: str,
         width: int) -> Spec:
    xs: list[float | None] = []
    ys: list[float | None] = []
    hover: list[str | None] = []
    for op in ops:
        if keep(op):
            right = end if op.status == "info" else op.end
            xs += [op.start, right, None]
            ys += [rows[op.client]] * 2 + [None]
            out = "" if op.f != "get" or op.status != "ok" else f" → {op.output!r}"
            text = (f"client {op.client} #{op.seq}: {op.f} {op.value!r}{out}, {op.status}; "
                    f"{op.start:.3f}-{op.end:.3f} s")
            hover += [text, text, None]
    return style.scatter(x=xs, y=ys, mode="lines+markers", name=name, hoverinfo="text",
                         hovertext=hover, showlegend=bool(xs),
                         line={"color": color, "width": width,
                               "dash": "dot" if name == "never answered" else "solid"},
                         marker={"symbol": "line-ns", "size": 12,
                                 "line": {"width": 2, "color": color}})


def _outages(run: Any, end: float) -> Spec:
    """Stretches when every node was down (a whole-cluster ``kill -9``), on row 0."""
    n = len(_nodes(run))
    events = sorted([(c.at, 1) for c in run.crashes]
                    + [(end if c.recover is None else c.recover, -1) for c in run.crashes])
    xs: list[float | None] = []
    ys: list[float | None] = []
    count, since = 0, 0.0
    for t, step in events:
        count += step
        if step == 1 and count == n:
            since = t
        elif step == -1 and count == n - 1:
            xs += [since, t, None]
            ys += [0, 0, None]
    return style.scatter(x=xs, y=ys, mode="lines+markers", name="every node down (kill -9)",
                         line={"color": DOWN_COLOR, "width": 9}, showlegend=bool(xs),
                         marker={"symbol": "line-ns", "size": 18,
                                 "line": {"width": 4, "color": DOWN_COLOR}},
                         hovertemplate="%{x:.3f} s<extra>every node down</extra>")


def _final(run: Any, key: str, row: int, end: float) -> Spec:
    """The key's value in the replica that applied the most slots, at the right edge."""
    value = _best(run)["data"].get(key, "")
    shown = value if len(value) <= LABEL_CHARS else "…" + value[-(LABEL_CHARS - 1):]
    return {"x": 1, "xref": "paper", "y": row, "yref": "y", "xanchor": "right",
            "text": f"after {end:.1f} s: {shown!r}", "showarrow": False,
            "hovertext": f"final value of {key!r}: {value!r}",
            "font": {"size": 11, "color": style.CHOSEN_COLOR}}


SLOT_ROW = 34
"""px: one node's row in ``slot_figure``."""
EVENT_STYLES: dict[str, tuple[str, str]] = {
    "send Prepare": ("triangle-right", style.MESSAGE_COLORS["Prepare"]),
    "send Promise": ("triangle-right", style.MESSAGE_COLORS["Promise"]),
    "send Accept": ("triangle-right", style.MESSAGE_COLORS["Accept"]),
    "send Accepted": ("triangle-right", style.MESSAGE_COLORS["Accepted"]),
    "send Nack": ("triangle-right", style.MESSAGE_COLORS["Nack"]),
    "promise (written)": ("circle", style.MESSAGE_COLORS["Promise"]),
    "accept (written)": ("square", style.MESSAGE_COLORS["Accepted"]),
    "learn": ("star", style.CHOSEN_COLOR),
}
"""Legend entry -> (marker symbol, colour): messages in their phase's colour, as everywhere."""


def _entry(event: str, what: str) -> str:
    if event == "send":
        return "send " + style.message_family(what)
    return "learn" if event == "learn" else f"{event} (written)"


def slot_figure(trace: Any, slot: int, validation: Any = None) -> go.Figure:
    """The Paxos events of one log slot of a KV run's trace (``kv.trace.KVTrace``), one row
    per node, one column per event in the trace's order (a message sent to several nodes at
    once is one column; hover for the time, the receivers, ballot and value digest): each
    message sent (a triangle in its phase's colour), each acceptor state written, each
    learning, and a grey bar where a node was restarted (a new life, after a ``kill -9``)
    between two of its events. With ``validation`` (``check.validate(trace)``) whose rejected
    event is about this slot, that event is circled and the false conjunct written above."""
    from ..check.refinement.mapping import describe
    from ..kv.trace import slot_frame

    frame = slot_frame(trace, slot)
    names = list(trace.acceptors)
    rows = {n: i for i, n in enumerate(names)}
    columns: list[list[int]] = []  # runs of one node's same event to several peers
    for i, r in frame.iterrows():
        k = int(str(i))
        if columns:
            last = trace.records[columns[-1][-1]]
            rec = trace.records[k]
            if (r["event"] == "send" and last[1] == "send" and last[2] == rec[2]
                    and _same_but_dst(last[4], rec[4]) and last[7] == rec[7]):
                columns[-1].append(k)
                continue
        columns.append([k])
    groups: dict[str, list[int]] = {}
    where: dict[int, int] = {}
    life: dict[str, str] = {}
    restarts: list[tuple[int, str]] = []
    for x, col in enumerate(columns):
        rec = trace.records[col[0]]
        for k in col:
            where[k] = x
        if rec[2] in life and life[rec[2]] != rec[7]:
            restarts.append((x, rec[2]))
        life[rec[2]] = rec[7]
        groups.setdefault(_entry(rec[1], str(frame.loc[col[0], "what"])), []).append(x)
    data: list[Spec] = []
    for name, (symbol, color) in EVENT_STYLES.items():
        xs = groups.get(name, [])
        if not xs:
            continue
        data.append(style.scatter(
            x=xs, y=[rows[trace.records[columns[x][0]][2]] for x in xs], mode="markers",
            name=name, hoverinfo="text", hovertext=[_hover(trace, columns[x], describe)
                                                    for x in xs],
            marker={"symbol": symbol, "size": 11, "color": color,
                    "line": {"width": 1, "color": "white"}}))
    if restarts:
        data.append(style.scatter(
            x=[x - 0.5 for x, _ in restarts], y=[rows[n] for _, n in restarts],
            mode="markers", name="restarted (kill -9)", hoverinfo="text",
            hovertext=[f"{n} restarted before this event" for _, n in restarts],
            marker={"symbol": "line-ns", "size": 22, "color": DOWN_COLOR,
                    "line": {"width": 3, "color": DOWN_COLOR}}))
    failure = None if validation is None else validation.failure
    note = ""
    if failure is not None and failure.index in where and failure.slot == slot:
        x = where[failure.index]
        r = failure.refusal
        note = f"rejected: event {failure.index} ({failure.event}), {r.action}\nfalse: " \
               f"{r.conjunct}"
        data.append(style.scatter(
            x=[x], y=[rows[trace.records[failure.index][2]]], mode="markers",
            name=f"event {failure.index}", hoverinfo="text",
            hovertext=[note.replace("\n", "<br>")],
            marker={"symbol": "circle-open", "size": 24, "color": LOST_COLOR,
                    "line": {"width": 3, "color": LOST_COLOR}}))
    plot = SLOT_ROW * max(len(names), 1)
    legend, bottom = style.legend_below(data, plot, LEGEND_GAP)
    top = 44 + (34 if note else 0)
    annotations = [] if not note else [{
        "x": 0, "xref": "paper", "xanchor": "left", "y": 1, "yref": "paper",
        "yanchor": "bottom", "yshift": 4, "showarrow": False, "align": "left",
        "text": _shorten_lines(note).replace("\n", "<br>"),
        "font": {"color": LOST_COLOR, "size": 11}}]
    layout = {
        "template": style.TEMPLATE_NAME, "height": top + plot + bottom,
        "title": {"text": f"slot {slot}: {len(frame)} Paxos events", "font": {"size": 13},
                  "x": 0.01},
        "xaxis": {"title": {"text": "the slot's events in the trace's order (hover: time)"},
                  "range": [-1, max(len(columns), 1)], "zeroline": False},
        "yaxis": {"range": [len(names) - 0.5, -0.5], "tickvals": list(range(len(names))),
                  "ticktext": names, "fixedrange": True, "zeroline": False},
        "margin": {"l": 60, "r": 30, "t": top, "b": bottom}, "legend": legend,
        "annotations": annotations,
    }
    return go.Figure({"data": data, "layout": layout})


def _same_but_dst(a: Any, b: Any) -> bool:
    """Are ``a`` and ``b`` one message sent to two nodes (equal but for their receiver)?"""
    def strip(m: Any) -> Any:
        if hasattr(m, "msg"):
            return (type(m), m.slot, strip(m.msg))
        return (type(m), *(v for f, v in zip(m._fields, m, strict=True) if f != "dst"))
    return type(a) is type(b) and hasattr(a, "_fields") and strip(a) == strip(b)


def _hover(trace: Any, col: list[int], describe: Any) -> str:
    rec = trace.records[col[0]]
    peers = ", ".join(trace.records[k][3] for k in col)
    head = f"event {col[0]}" + (f"-{col[-1]}" if len(col) > 1 else "")
    text = describe(rec) + (f" (to {peers})" if len(col) > 1 else "")
    return f"{head} at {rec[0]:.3f} s, {rec[7]}: {_shorten_lines(text)}"


NOTE_CHARS = 110
"""Characters of a line of the rejection note (hover shows it whole)."""


def _shorten_lines(text: str) -> str:
    return "\n".join(t if len(t) <= NOTE_CHARS else t[:NOTE_CHARS - 3] + "..."
                     for t in text.split("\n"))


__all__ = ["kv_chart", "lost_writes_figure", "slot_figure"]
