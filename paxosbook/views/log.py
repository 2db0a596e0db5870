"""The replica-log view: replicas by slots, one coloured cell per logged command.

``replica_log(runs)`` draws one grid per run (a ``LogRun``, or a mapping of titles to runs: the
strategies two side by side, then on further rows, so that their titles never run into
each other). A row is a replica, a column a slot; a cell shows the command the
replica holds there in that command's colour (the same colour in every grid and in every other
view); a grey cell is an empty slot. A cell past a gap (learned, but not applied because an
earlier slot is still unknown) is washed out. A slot where two replicas hold different
commands is framed in red (its cells say "≠" when hovered). A replica crashed when the run
ended is marked "✕" in its label.

``log_table(run)`` is the same grid as a DataFrame; ``slot_trace(run, slot)`` the run's trace
filtered to one slot, for ``sequence_diagram``; ``slot_sequence(run, slot)`` draws it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..core import UsageError
from ..core.log.envelope import NOOP
from . import style

if TYPE_CHECKING:
    from ..replication import LogRun

NOOP_COLOR = "#BDBDBD"
PENDING_WASH = "rgba(255, 255, 255, 0.62)"
NODE_EVENTS = ("start", "crash", "recover", "partition_start", "partition_end")
"""Events without a slot that ``slot_trace`` keeps: they are every slot's context."""


def log_table(run: LogRun, slots: int | None = None) -> pd.DataFrame:
    """Replicas (rows) by slots (columns): the command each replica holds, "" where empty."""
    width = _width([run]) if slots is None else slots
    data = [[run.slots[r].get(s, "") for s in range(width)] for r in run.replicas]
    return pd.DataFrame(data, index=list(run.replicas), columns=list(range(width)))


def divergent_slots(run: LogRun) -> list[int]:
    """Slots where two replicas hold different commands."""
    out = []
    for s in sorted({s for held in run.slots.values() for s in held}):
        if len({held[s] for held in run.slots.values() if s in held}) > 1:
            out.append(s)
    return out


MAX_COLUMNS = 2
"""Grids side by side at most; more runs go on further rows (their titles need the width)."""
GRID_GAP = 110  # px between two rows of grids: tick labels, "slot", the next grid's title


def replica_log(runs: LogRun | Mapping[str, LogRun] | Sequence[LogRun], *, title: str = "",
                max_slots: int = 40) -> go.Figure:
    """One replicas-by-slots grid per run, two side by side, then on the next row (at most
    ``max_slots`` columns each)."""
    named = _named(runs)
    width = min(_width(named.values()), max_slots)
    commands = _commands(named.values())
    ncols = min(len(named), MAX_COLUMNS)
    nrows = -(-len(named) // ncols)
    grid = 42 * max(len(run.replicas) for run in named.values())
    top, bottom = 80 + (30 if title else 0), 50
    inner = nrows * grid + (nrows - 1) * GRID_GAP
    fig = make_subplots(rows=nrows, cols=ncols, horizontal_spacing=0.08,
                        vertical_spacing=GRID_GAP / inner if nrows > 1 else 0.0,
                        subplot_titles=[_subtitle(name, run) for name, run in named.items()])
    for i, run in enumerate(named.values()):
        row, col = divmod(i, ncols)
        _draw(fig, run, width, commands, row + 1, col + 1, "" if i == 0 else str(i + 1))
    fig.update_layout(template=style.TEMPLATE, font=style.FONT,
                      title={"text": title, "x": 0.01} if title else None,
                      height=top + bottom + inner,
                      margin={"l": 70, "r": 20, "t": top, "b": bottom}, showlegend=False)
    fig.update_annotations(font_size=12)
    return fig


def _draw(fig: go.Figure, run: LogRun, width: int, commands: Sequence[str], row: int,
          col: int, axis: str) -> None:
    for trace in _grid(run, width, commands):
        fig.add_trace(trace, row=row, col=col)
    for s in divergent_slots(run):
        if s < width:
            fig.add_shape(type="rect", x0=s - 0.5, x1=s + 0.5, y0=-0.5,
                          y1=len(run.replicas) - 0.5, xref=f"x{axis}", yref=f"y{axis}",
                          line={"color": style.VIOLATION_COLOR, "width": 3})
    fig.update_xaxes(title_text="slot", tickmode="linear", dtick=1, range=[-0.5, width - 0.5],
                     showgrid=False, zeroline=False, row=row, col=col)
    labels = [r if r in run.up else f"✕ {r}" for r in run.replicas]
    fig.update_yaxes(tickmode="array", tickvals=list(range(len(run.replicas))),
                     ticktext=labels, autorange="reversed", showgrid=False,
                     zeroline=False, showticklabels=True, row=row, col=col)


def slot_trace(run: LogRun | pd.DataFrame, slot: int | None) -> pd.DataFrame:
    """The trace of ``run`` filtered to ``slot`` (its messages, acceptor states and learn
    events, plus starts, crashes and partitions); ``None`` keeps every slot."""
    df = run if isinstance(run, pd.DataFrame) else run.trace
    if "slot" not in df.columns:
        raise UsageError("trace", "a trace with a slot column (Run.trace, LogRun.trace)",
                         list(df.columns))
    if slot is None:
        return df
    if isinstance(slot, bool) or not isinstance(slot, (int, np.integer)) or slot < 0:
        raise UsageError("slot", "a slot number >= 0, or None for every slot", slot)
    keep = (df["slot"] == slot) | df["event"].astype(str).isin(NODE_EVENTS)
    return df[keep].reset_index(drop=True)


def slot_sequence(run: LogRun, slot: int | None = None, **kw: Any) -> go.Figure:
    """The sequence diagram of one slot of ``run`` (or of every slot)."""
    from .sequence import sequence_diagram

    title = kw.pop("title", "") or (f"{run.strategy.title}: slot {slot}" if slot is not None
                                    else f"{run.strategy.title}: every slot")
    return sequence_diagram(slot_trace(run, slot), title=title, **kw)


# -- helpers --------------------------------------------------------------------------------------
def _named(runs: LogRun | Mapping[str, LogRun] | Sequence[LogRun]) -> dict[str, LogRun]:
    if isinstance(runs, Mapping):
        named = dict(runs)
    elif isinstance(runs, Sequence):
        named = {r.strategy.title: r for r in runs}
    else:
        named = {runs.strategy.title: runs}
    if not named or not all(hasattr(r, "slots") and hasattr(r, "replicas")
                            for r in named.values()):
        raise UsageError("runs", "a LogRun, or a non-empty list or dict of LogRuns",
                         type(runs).__name__)
    return named


def _width(runs: Any) -> int:
    width = 1
    for run in runs:
        held = [s for slots in run.slots.values() for s in slots]
        width = max(width, len(run.commands), max(held, default=-1) + 1)
    return width


def _commands(runs: Any) -> list[str]:
    seen: dict[str, None] = {}
    for run in runs:
        seen.update(dict.fromkeys(run.commands))
        for slots in run.slots.values():
            seen.update(dict.fromkeys(v for v in slots.values() if v != NOOP))
    return list(seen)


def _colorscale(commands: Sequence[str]) -> list[list[Any]]:
    colours = [style.NO_VALUE_COLOR, *(style.value_color(c) for c in commands), NOOP_COLOR]
    n = len(colours)
    scale: list[list[Any]] = []
    for i, c in enumerate(colours):
        scale += [[i / n, c], [(i + 1) / n, c]]
    return scale


def _subtitle(name: str, run: LogRun) -> str:
    """Three short lines (name; verdict and commits; messages), narrow enough for a grid
    half the page wide."""
    verdict = ("consistent" if run.consistent
               else f"<span style='color:{style.VIOLATION_COLOR}'>inconsistent</span>")
    blocked = "blocked · " if run.blocked else ""
    return (f"<b>{name}</b><br><span style='font-size:11px'>{verdict} · "
            f"{run.committed}/{len(run.commands)} committed<br>{blocked}{run.messages} msgs"
            "</span>")


def _grid(run: LogRun, width: int, commands: Sequence[str]) -> list[go.Heatmap]:
    code = {c: i + 1 for i, c in enumerate(commands)}
    n = len(commands) + 2
    z = np.zeros((len(run.replicas), width))
    text = [["" for _ in range(width)] for _ in run.replicas]
    hover = [["" for _ in range(width)] for _ in run.replicas]
    wash = np.full((len(run.replicas), width), np.nan)
    split = set(divergent_slots(run))
    for i, r in enumerate(run.replicas):
        held, applied = run.slots[r], len(run.logs[r])
        for s in range(width):
            value = held.get(s)
            if value is None:
                hover[i][s] = f"{r}, slot {s}: empty"
                continue
            z[i][s] = code.get(value, n - 1)
            text[i][s] = value
            hover[i][s] = f"{r}, slot {s}: {value}"
            if s >= applied:
                wash[i][s] = 1.0
                hover[i][s] += f" (learned; waits for slot {applied})"
            if s in split:
                hover[i][s] += " ≠ another replica's"
    cells = go.Heatmap(z=z, text=text, hovertext=hover, hoverinfo="text", texttemplate="%{text}",
                       colorscale=_colorscale(commands), zmin=-0.5, zmax=n - 0.5,
                       showscale=False, xgap=3, ygap=3, textfont={"size": 12})
    washed = go.Heatmap(z=wash, hoverinfo="skip", colorscale=[[0, PENDING_WASH],
                                                              [1, PENDING_WASH]],
                        showscale=False, xgap=3, ygap=3)
    return [cells, washed]


__all__ = ["divergent_slots", "log_table", "replica_log", "slot_sequence", "slot_trace"]
