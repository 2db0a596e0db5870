"""The state of every node at a moment: a table (plain and styled).

An acceptor's state is the last promise/accept event it recorded (its persisted state, so it
survives a crash); a learner's is the value it learned since its last crash (a learner keeps
nothing on disk); a proposer's is the ballot of its latest Prepare and the value of its latest
Accept for that ballot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..core import Cluster
from . import style
from .frames import TraceLike, at_time, end_time, resolve, roles_of

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

STATE_COLUMNS = ("role", "status", "promised", "accepted", "learned", "ballot", "proposing")
NOTHING = "—"


def state_table(trace: TraceLike, time: float | None = None, *,
                cluster: Cluster | None = None) -> pd.DataFrame:
    """One row per node (index ``node``) with its state at ``time`` (the end if ``None``).

    Columns: role, status (up/crashed), promised and accepted (acceptors: ballot and
    ``(ballot, value)``), learned (learners), ballot and proposing (proposers: current ballot
    and the value it asked acceptors to accept). Cells of roles a node lacks are empty;
    ``—`` means "nothing yet".
    """
    df, cluster = resolve(trace, cluster)
    roles = roles_of(df, cluster)
    past = at_time(df, time)
    rows: dict[str, dict[str, str]] = {}
    for node, r in roles.items():
        row = dict.fromkeys(STATE_COLUMNS, "")
        row.update(role="+".join(r), status="up")
        if "acceptor" in r:
            row.update(promised=NOTHING, accepted=NOTHING)
        if "learner" in r:
            row["learned"] = NOTHING
        if "proposer" in r:
            row.update(ballot=NOTHING, proposing=NOTHING)
        rows[node] = row
    last_crash = _status(past, rows)
    _acceptors(past, rows)
    _learners(past, rows, last_crash)
    _proposers(past, rows)
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(STATE_COLUMNS))
    table.index.name = "node"
    table.attrs["time"] = end_time(df) if time is None else float(time)
    return table


Rows = dict[str, dict[str, str]]


def _status(past: pd.DataFrame, rows: Rows) -> dict[str, int]:
    events = past.loc[past["event"].isin(("crash", "recover")), ["event", "node"]]
    last_crash: dict[str, int] = {}
    for i, event, node in events.itertuples():
        if node in rows:
            rows[node]["status"] = "crashed" if event == "crash" else "up"
        if event == "crash":
            last_crash[node] = int(i)
    return last_crash


def _acceptors(past: pd.DataFrame, rows: Rows) -> None:
    events = past.loc[past["event"].isin(("promise", "accept")),
                      ["node", "ballot", "ref_ballot", "value"]].drop_duplicates("node",
                                                                                 keep="last")
    for node, ballot, ref, value in events.itertuples(index=False):
        if node in rows:
            rows[node]["promised"] = ballot
            rows[node]["accepted"] = f"({ref}, {value})" if ref else NOTHING


def _learners(past: pd.DataFrame, rows: Rows, last_crash: dict[str, int]) -> None:
    for i, node, value in past.loc[past["event"] == "learn", ["node", "value"]].itertuples():
        if node in rows and int(i) > last_crash.get(node, -1):
            rows[node]["learned"] = value


def _proposers(past: pd.DataFrame, rows: Rows) -> None:
    sends = past.loc[(past["event"] == "send") & past["msg"].isin(("Prepare", "Accept")),
                     ["node", "msg", "ballot", "value"]]
    current = sends.loc[sends["msg"] == "Prepare"].drop_duplicates("node", keep="last")
    for node, _, ballot, _ in current.itertuples(index=False):
        if node in rows:
            rows[node]["ballot"] = ballot
    accepts = sends.loc[sends["msg"] == "Accept"].drop_duplicates("node", keep="last")
    for node, _, ballot, value in accepts.itertuples(index=False):
        if node in rows and rows[node]["ballot"] == ballot:
            rows[node]["proposing"] = value


def styled_state_table(trace: TraceLike, time: float | None = None, *,
                       cluster: Cluster | None = None) -> Styler:
    """``state_table`` styled: values in their colours, crashed nodes greyed out."""
    table = state_table(trace, time, cluster=cluster)
    return style_state(table)


def style_state(table: pd.DataFrame) -> Styler:
    """Style a ``state_table`` result (kept separate so a caller can reuse one table)."""
    def css(frame: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame("", index=frame.index, columns=frame.columns)
        for col in ("accepted", "learned", "proposing"):
            for node, text in frame[col].items():
                value = text.rsplit(", ", 1)[-1].rstrip(")") if col == "accepted" else text
                if text and text != NOTHING:
                    out.loc[node, col] = f"background-color: {style.value_color(value)}"
        crashed = frame["status"] == "crashed"
        out.loc[crashed] = out.loc[crashed] + "; color: #9E9E9E; font-style: italic"
        out.loc[crashed, "status"] = f"color: {style.VIOLATION_COLOR}; font-weight: bold"
        return out

    t = table.attrs.get("time")
    caption = f"state at t={t:.2f}" if t is not None else "state"
    styler = table.style.apply(css, axis=None).set_caption(caption)
    if table["role"].map(lambda r: "+" not in r).all():  # one role each: names say it
        styler = styler.hide(subset=["role"], axis="columns")
    return (styler
            .set_table_styles([{"selector": "td, th",
                                "props": "padding: 2px 6px; font-size: 12px;"}]))
