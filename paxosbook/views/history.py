"""A history as a timeline, porcupine-visualiser style: one row per client process.

Each operation is a bar from its call to its completion (event positions, in the order the
history recorded them), labelled with what it did. An indeterminate operation (timed out) has no
end: its bar runs dashed to the right edge. When the history is not linearizable, the
operations that cannot be ordered are drawn thick and red, the completion where it breaks is a
red line, and a grey line marks where the checker forgot everything before (from there on it
assumed *any* state). The x axis then opens on that part, with a "whole history" button.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from . import style

if TYPE_CHECKING:
    from ..linearizability import Linearizability, Operation

LABELS_UP_TO = 40
"""Bars labelled in the figure when at most this many are in view (hover shows the rest)."""
FAILING_COLOR = style.VIOLATION_COLOR
OK_COLOR = "#4C78A8"
INFO_COLOR = "#9E9E9E"
ROW_HEIGHT = 34
PLOT_WIDTH = 850
"""Pixels the x axis is assumed to span when labels are fitted to their bars."""
CHAR_WIDTH = 6.5
"""Pixels per character of an 11 px label."""


def history_figure(result: Linearizability, *, whole: bool = False) -> go.Figure:
    """The history of ``result`` (a ``linearizability.check`` verdict) as a timeline."""
    ops = [op for op in result.history.operations
           if result.key is None or op.key == result.key]  # the failing key's history
    end = float(max([result.history.events, 1]))
    rows = {p: i for i, p in enumerate(sorted({op.process for op in ops}, key=_order))}
    failing = {op.id for op in result.failing}
    focus = _focus(result, end)
    in_view = [op for op in ops if _right(op, end) >= focus[0] and op.call <= focus[1]]
    labelled = failing | ({op.id for op in in_view} if len(in_view) <= LABELS_UP_TO else set())
    data = [_bars(ops, rows, end, "ok", lambda op: op.status != "info" and op.id not in failing),
            _bars(ops, rows, end, "timed out (may or may not have happened)",
                  lambda op: op.status == "info" and op.id not in failing),
            _bars(ops, rows, end, "cannot be ordered", lambda op: op.id in failing),
            _labels([op for op in ops if op.id in labelled], rows, end, failing, focus)]
    fig = go.Figure(data=data, layout=_layout(result, rows, focus, end))
    if whole:
        fig.update_xaxes(range=[0, end + 1])
    return fig


def _order(p: Any) -> tuple[int, Any]:
    return (0, p) if isinstance(p, int) else (1, str(p))


def _right(op: Operation, end: float) -> float:
    return end + 0.5 if op.ret == math.inf else op.ret


def _focus(result: Linearizability, end: float) -> tuple[float, float]:
    if not result.failing or result.breaks_at is None:
        return (0.0, end + 1)
    lo = min(op.call for op in result.failing)
    if result.since is not None:
        lo = min(lo, result.since)
    hi = max(_right(op, end) for op in result.failing if op.ret != math.inf) \
        if any(op.ret != math.inf for op in result.failing) else result.breaks_at.ret
    pad = max(2.0, 0.08 * (hi - lo))
    return (max(0.0, lo - pad), min(end + 1, hi + pad))


def _bars(ops: list[Operation], rows: dict[Any, int], end: float, name: str,
          keep: Any) -> style.Spec:
    xs: list[float | None] = []
    ys: list[float | None] = []
    hover: list[str | None] = []
    for op in ops:
        if keep(op):
            xs += [op.call, _right(op, end), None]
            ys += [rows[op.process]] * 2 + [None]
            text = _hover(op)
            hover += [text, text, None]
    failing = name == "cannot be ordered"
    color = FAILING_COLOR if failing else INFO_COLOR if name.startswith("timed") else OK_COLOR
    return style.scatter(
        x=xs, y=ys, mode="lines+markers", name=name, hoverinfo="text", hovertext=hover,
        line={"color": color, "width": 7 if failing else 4,
              "dash": "dot" if name.startswith("timed") else "solid"},
        marker={"symbol": "line-ns", "size": 14, "line": {"width": 2, "color": color}},
        showlegend=bool(xs))


def _hover(op: Operation) -> str:
    ret = "never seen" if op.ret == math.inf else f"completed at event {op.ret:g}"
    return (f"process {op.process}: {op.label}<br>called at event {op.call:g} "
            f"(line {op.line}), {ret}; {op.status}")


def _labels(ops: list[Operation], rows: dict[Any, int], end: float, failing: set[int],
            focus: tuple[float, float]) -> style.Spec:
    per_event = PLOT_WIDTH / max(focus[1] - focus[0], 1.0) / CHAR_WIDTH  # characters
    mids, texts = [], []
    for op in ops:
        left, right = max(op.call, focus[0]), min(_right(op, end), focus[1])
        room = max(int((right - left) * per_event), 28 if op.id in failing else 0)
        mids.append((left + right) / 2)
        texts.append(_shorten(op.label, room))
    return style.scatter(
        x=mids, y=[rows[op.process] for op in ops], mode="text", showlegend=False,
        hoverinfo="skip", text=texts, textposition="top center",
        textfont={"size": 11, "color": [FAILING_COLOR if op.id in failing else "#37474F"
                                        for op in ops]})


def _shorten(text: str, room: int) -> str:
    if len(text) <= room:
        return text
    return "" if room < 4 else text[:room - 1] + "…"


def _layout(result: Linearizability, rows: dict[Any, int], focus: tuple[float, float],
            end: float) -> style.Spec:
    shapes, notes = [], []
    if result.breaks_at is not None:
        x = result.breaks_at.ret
        shapes.append(_vline(x, FAILING_COLOR))
        side = "right" if x > (focus[0] + focus[1]) / 2 else "left"
        notes.append(_note(x, "breaks: " + _shorten(result.breaks_at.label, 30), FAILING_COLOR,
                           side))
    if result.since is not None:
        shapes.append(_vline(result.since - 0.5, INFO_COLOR))
        notes.append(_note(result.since - 0.5, "any state from here", INFO_COLOR, "right"))
    verdict = {True: "linearizable", False: "not linearizable",
               None: "undecided"}[result.linearizable]
    key = "" if result.key is None else f", key {result.key!r}"
    buttons = [{"label": "failing part", "method": "relayout",
                "args": [{"xaxis.range": list(focus)}]},
               {"label": "whole history", "method": "relayout",
                "args": [{"xaxis.range": [0, end + 1]}]}] if result.failing else []
    return {
        "template": style.TEMPLATE_NAME,
        "title": {"text": f"{len(result.history)} operations ({result.model}{key}): {verdict}",
                  "x": 0.01, "xanchor": "left"},
        "height": max(260, 120 + ROW_HEIGHT * len(rows)),
        "margin": {"l": 90, "r": 20, "t": 60, "b": 90},
        "xaxis": {"title": {"text": "event (order of the history's lines)"},
                  "range": list(focus), "zeroline": False},
        "yaxis": {"tickvals": list(rows.values()),
                  "ticktext": [f"process {p}" for p in rows], "autorange": "reversed",
                  "range": [len(rows) - 0.4, -1.3]},
        "legend": {"orientation": "h", "y": 0, "yref": "container", "yanchor": "bottom",
                   "x": 0, "xanchor": "left"},
        "shapes": shapes, "annotations": notes,
        "updatemenus": [{"type": "buttons", "direction": "right", "showactive": False,
                         "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom",
                         "buttons": buttons, "pad": {"t": 0, "b": 0}}] if buttons else [],
    }


def _vline(x: float, color: str) -> style.Spec:
    return {"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
            "line": {"color": color, "width": 2, "dash": "dash"}}


def _note(x: float, text: str, color: str, side: str) -> style.Spec:
    return {"x": x, "y": 1, "xref": "x", "yref": "paper", "text": text, "showarrow": False,
            "xanchor": side, "yanchor": "top", "yshift": -2,
            "font": {"color": color, "size": 11},
            "xshift": -4 if side == "right" else 4}
