"""The state of every node at a moment: a table (plain and styled).

An acceptor's state is the last promise/accept event it recorded (its persisted state, so it
survives a crash); a learner's is the value it learned since its last crash (a learner keeps
nothing on disk); a proposer's is the ballot of its latest Prepare and the value of its latest
Accept for that ballot.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core import Cluster
from . import style
from .frames import TraceLike, derived, records

if TYPE_CHECKING:
    from collections.abc import Hashable

    from pandas.io.formats.style import Styler

STATE_COLUMNS = ("role", "status", "promised", "accepted", "learned", "ballot", "proposing")
NOTHING = "—"


def state_table(trace: TraceLike, time: float | None = None, *,
                cluster: Cluster | None = None) -> pd.DataFrame:
    """One row per node (index ``node``) with its state at ``time`` (the end if ``None``).

    Columns: role, status (up/crashed), promised and accepted (acceptors: ballot and
    ``(ballot, value)``), learned (learners), ballot and proposing (proposers: current ballot
    and the value it asked acceptors to accept). Cells of roles a node lacks are empty;
    ``—`` means "nothing yet". (One pass over the events in plain Python: a slider change
    builds this table for every view of the instant.)
    """
    d = derived(trace, cluster)
    past = d.past(time)
    rows: Rows = {}
    for node, r in d.roles.items():
        row = dict.fromkeys(STATE_COLUMNS, "")
        row.update(role="+".join(r), status="up")
        if "acceptor" in r:
            row.update(promised=NOTHING, accepted=NOTHING)
        if "learner" in r:
            row["learned"] = NOTHING
        if "proposer" in r:
            row.update(ballot=NOTHING, proposing=NOTHING)
        rows[node] = row
    accept: dict[str, tuple[str, str]] = {}  # a proposer's latest Accept: (ballot, value)
    for e in past:
        if e.node in rows:
            _apply(e, rows[e.node], accept)
    for node, (ballot, value) in accept.items():
        if rows[node]["ballot"] == ballot:
            rows[node]["proposing"] = value
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(STATE_COLUMNS))
    table.index.name = "node"
    table.attrs["time"] = d.end if time is None else float(time)
    return table


Rows = dict[str, dict[str, str]]


def _apply(e: Any, row: dict[str, str], accept: dict[str, tuple[str, str]]) -> None:
    """Event ``e`` (a trace row) applied to its node's ``row``: a crash loses what a learner
    learned (it keeps nothing on disk); an acceptor's last promise/accept is its state."""
    event = e.event
    if event == "crash":
        row["status"] = "crashed"
        row["learned"] = NOTHING if "learner" in row["role"].split("+") else ""
    elif event == "recover":
        row["status"] = "up"
    elif event in ("promise", "accept"):
        row["promised"] = e.ballot
        row["accepted"] = f"({e.ref_ballot}, {e.value})" if e.ref_ballot else NOTHING
    elif event == "learn":
        row["learned"] = e.value
    elif event == "send" and e.msg == "Prepare":
        row["ballot"] = e.ballot
    elif event == "send" and e.msg == "Accept":
        accept[e.node] = (e.ballot, e.value)


def styled_state_table(trace: TraceLike, time: float | None = None, *,
                       cluster: Cluster | None = None) -> Styler:
    """``state_table`` styled: values in their colours, crashed nodes greyed out."""
    table = state_table(trace, time, cluster=cluster)
    return style_state(table)


CELL_CSS = "padding: 2px 6px; font-size: 12px"
"""Every cell of the state table (header and data)."""


def cell_styles(table: pd.DataFrame) -> dict[tuple[str, str], str]:
    """The CSS of each styled cell ``(node, column)`` of a ``state_table`` result: values in
    their colours, a crashed node's row greyed out and its status in red."""
    out: dict[tuple[str, str], str] = {}
    for node, row in zip(table.index, records(table), strict=True):
        for col in ("accepted", "learned", "proposing"):
            text = row[col]
            value = text.rsplit(", ", 1)[-1].rstrip(")") if col == "accepted" else text
            if text and text != NOTHING:
                out[node, col] = f"background-color: {style.value_color(value)}"
        if row["status"] == "crashed":
            for col in table.columns:
                out[node, col] = out.get((node, col), "") + "; color: #9E9E9E; font-style: italic"
            out[node, "status"] = f"color: {style.VIOLATION_COLOR}; font-weight: bold"
    return out


def _caption(table: pd.DataFrame) -> str:
    t = table.attrs.get("time")
    return f"state at t={t:.2f}" if t is not None else "state"


def _shown_columns(table: pd.DataFrame) -> list[str]:
    """The columns shown: without ``role`` when each node has one role (names say it)."""
    one_role = all("+" not in r for r in table["role"])
    return [str(c) for c in table.columns if not (one_role and c == "role")]


def style_state(table: pd.DataFrame) -> Styler:
    """Style a ``state_table`` result (kept separate so a caller can reuse one table)."""
    styles = cell_styles(table)

    def css(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame([[styles.get((n, c), "") for c in frame.columns]
                             for n in frame.index], index=frame.index, columns=frame.columns)

    styler = table.style.apply(css, axis=None).set_caption(_caption(table))
    hidden: list[Hashable] = [c for c in table.columns if c not in _shown_columns(table)]
    if hidden:
        styler = styler.hide(subset=hidden, axis="columns")
    return styler.set_table_styles([{"selector": "td, th", "props": CELL_CSS + ";"}])


def state_html(table: pd.DataFrame) -> str:
    """``style_state(table).to_html()``'s table (caption, header, one row per node, the same
    cells in the same styles) written directly: what a widget shows on every change, without
    the cost of pandas' Styler."""
    esc = html.escape
    cols = _shown_columns(table)
    styles = cell_styles(table)
    head = "".join(f'<th style="{CELL_CSS}">{esc(str(c))}</th>'
                   for c in (table.index.name or "", *cols))
    body = []
    for node, row in zip(table.index, records(table), strict=True):
        cells = "".join(f'<td style="{_css(CELL_CSS, styles.get((node, c), ""))}">'
                        f"{esc(str(row[c]))}</td>" for c in cols)
        body.append(f'<tr><th style="{CELL_CSS}">{esc(str(node))}</th>{cells}</tr>')
    return (f'<table class="paxosbook-state"><caption>{esc(_caption(table))}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _css(*parts: str) -> str:
    return "; ".join(p.strip("; ") for p in parts if p.strip("; "))
