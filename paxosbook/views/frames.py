"""Tables derived from a trace that every view needs: roles, messages, fault intervals, chosen.

Theory of operation. A view receives a trace (``Run.trace``, or a ``Run``) and, optionally,
the ``Cluster`` it ran on. Without a cluster the roles of the nodes are read off the trace
itself (who starts, who promises, who learns, plus the naming convention p/a/l/n) and quorums
are taken to be majorities of the acceptors seen. Everything here is vectorised pandas work
on the whole trace; nothing here runs a simulation.

A slider change shows one run in four views; ``derived(df, cluster)`` gives the tables they
all need (roles, messages, what was chosen, the focus window, fault intervals, the events as
plain tuples) computed once per trace DataFrame and cluster, and kept as long as that
DataFrame lives (a ``Run`` keeps its ``trace``, so: once per run). Views stay pure functions
of the trace; a DataFrame changed in place after a view used it is not supported (``Run.trace``
is never changed).
"""

from __future__ import annotations

import bisect
import collections
import functools
import re
import weakref
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core import Cluster, QuorumSystem, UsageError
from ..trace import COLUMNS, Run

if TYPE_CHECKING:
    from collections.abc import Iterable

TraceLike = pd.DataFrame | Run
"""What every view accepts: a ``Run.trace`` DataFrame, or the ``Run`` itself."""

ROLES = ("proposer", "acceptor", "learner")
_PREFIX_ROLES = {"p": ("proposer",), "a": ("acceptor",), "l": ("learner",),
                 "n": ("acceptor", "learner")}


def resolve(trace: TraceLike, cluster: Cluster | None = None) -> tuple[pd.DataFrame,
                                                                       Cluster | None]:
    """The trace DataFrame and cluster of ``trace``; a bad argument raises ``UsageError``."""
    if isinstance(trace, Run):
        return trace.trace, cluster if cluster is not None else trace.config.cluster()
    if not isinstance(trace, pd.DataFrame):
        raise UsageError("trace", "a Run or its .trace DataFrame", type(trace).__name__)
    missing = [c for c in (*COLUMNS, "round") if c not in trace.columns]
    if missing:
        raise UsageError("trace", f"a DataFrame with the columns of Run.trace {list(COLUMNS)}",
                         f"missing {missing}")
    return trace, cluster


def end_time(df: pd.DataFrame) -> float:
    return float(df["time"].iloc[-1]) if len(df) else 0.0


def at_time(df: pd.DataFrame, time: float | None) -> pd.DataFrame:
    """The events that happened at or before ``time`` (all of them for ``None``)."""
    if time is None:
        return df
    check_time(time)
    return df.iloc[: int(np.searchsorted(df["time"].to_numpy(), time, side="right"))]


def check_time(time: object) -> None:
    """``UsageError`` unless ``time`` is a number (simulated time)."""
    if isinstance(time, bool) or not isinstance(time, (int, float, np.number)) or time != time:
        raise UsageError("time", "a number (simulated time) or None", time)


# -- roles --------------------------------------------------------------------------------------
def _natural(name: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def roles_of(df: pd.DataFrame, cluster: Cluster | None = None) -> dict[str, tuple[str, ...]]:
    """Each node's roles, nodes in display order (proposers, then acceptors, then learners)."""
    found: dict[str, set[str]] = {}
    if cluster is not None:
        for spec in cluster.proposers:
            found.setdefault(spec.node, set()).add("proposer")
        for a in cluster.acceptors:
            found.setdefault(a, set()).add("acceptor")
        for ln in cluster.learners:
            found.setdefault(ln, set()).add("learner")
    else:
        _infer_roles(df, found)
    order = sorted(found, key=lambda n: (min(ROLES.index(r) for r in found[n]) if found[n]
                                         else len(ROLES), _natural(n)))
    return {n: tuple(r for r in ROLES if r in found[n]) for n in order}


def _infer_roles(df: pd.DataFrame, found: dict[str, set[str]]) -> None:
    def add(names: Iterable[str], role: str) -> None:
        for n in names:
            if n:
                found.setdefault(n, set()).add(role)

    event = df["event"]
    sends = df.loc[event == "send", ["node", "peer", "msg"]].drop_duplicates()
    to_acceptor = sends["msg"].isin(("Prepare", "Accept"))
    add(sends.loc[to_acceptor, "node"], "proposer")
    add(sends.loc[to_acceptor, "peer"], "acceptor")
    add(sends.loc[~to_acceptor, "node"], "acceptor")
    add(sends.loc[sends["msg"].isin(("Promise", "Nack")), "peer"], "proposer")
    add(df.loc[event == "start", "node"], "proposer")
    add(df.loc[event.isin(("promise", "accept")), "node"], "acceptor")
    add(df.loc[event == "learn", "node"], "learner")
    add(sends["peer"], "")  # every receiver gets a lifeline, even one that never acts
    for text in df.loc[event.isin(("partition_start", "partition_end")), "detail"].unique():
        add(re.split(r"[|,]", text), "")
    for n in list(found):
        found[n].discard("")
        found[n].update(_PREFIX_ROLES.get(n[:1], ()) if re.fullmatch(r"[a-z]\d+", n) else ())


Columns = dict[str, np.ndarray]
"""A table as one numpy array per column (``Derived.msg_columns``)."""
Events = list[Any]
"""A trace's rows as tuples with the column names (``Derived.events``)."""


@functools.cache
def _row_type(columns: tuple[str, ...]) -> Any:
    return collections.namedtuple("Row", columns, rename=True)


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``df.to_dict("records")`` (one dict per row, plain Python values) column by column:
    the same result, a fraction of pandas' per-call cost on the small tables views build."""
    columns = list(df.columns)
    return [dict(zip(columns, values, strict=True))
            for values in zip(*(df[c].tolist() for c in columns), strict=True)]


def rows_of(df: pd.DataFrame) -> Events:
    """The rows of ``df`` as named tuples of plain Python values, like
    ``df.itertuples(index=False)`` but column by column (a tenth of its cost)."""
    make = _row_type(tuple(df.columns))._make
    return list(map(make, zip(*(df[c].tolist() for c in df.columns), strict=True)))


# -- messages -----------------------------------------------------------------------------------
def messages(df: pd.DataFrame) -> pd.DataFrame:
    """One row per message (a duplicate copy is a message of its own).

    Columns: msg_id, sent, src, dst, msg, ballot, value, ref_ballot, copy_of (the original's
    id for a duplicate, else -1), end (delivery or drop time; NaN while in flight), fate
    (deliver, drop or "" while in flight), detail (the drop reason).
    """
    return messages_of(rows_of(df))


def messages_of(events: Events) -> pd.DataFrame:
    """``messages`` of a trace's rows as tuples (one pass in plain Python)."""
    return pd.DataFrame(message_columns(events))


def message_columns(events: Events) -> Columns:
    """``messages_of(events)`` as one numpy array per column, without the DataFrame."""
    ends: dict[int, Any] = {}  # each message's first delivery or drop
    starts = []
    for e in events:
        if e.event in ("send", "duplicate"):
            starts.append(e)
        elif e.event in ("deliver", "drop"):
            ends.setdefault(e.msg_id, e)
    fin = [ends.get(e.msg_id) for e in starts]

    def text(values: list[Any]) -> np.ndarray:
        return np.array(values, dtype=object)

    return {
        "msg_id": np.array([e.msg_id for e in starts], dtype=np.int64),
        "sent": np.array([e.time for e in starts], dtype=float),
        "src": text([e.node for e in starts]), "dst": text([e.peer for e in starts]),
        "msg": text([e.msg for e in starts]), "ballot": text([e.ballot for e in starts]),
        "value": text([e.value for e in starts]),
        "ref_ballot": text([e.ref_ballot for e in starts]),
        "copy_of": np.array([e.cause if e.event == "duplicate" else -1 for e in starts],
                            dtype=np.int64),
        "end": np.array([np.nan if f is None else f.time for f in fin], dtype=float),
        "fate": text(["" if f is None else str(f.event) for f in fin]),
        "detail": text(["" if f is None else f.detail for f in fin])}


# -- fault intervals ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Interval:
    """A crash of ``who`` (a node) or a partition (``who`` = its groups, "a1|a2,a3")."""

    who: str
    start: float
    stop: float
    closed: bool  # False: still crashed / partitioned when the trace ends


def crash_intervals(events: Events, end: float) -> list[Interval]:
    """Each node's crashes, from the crash to the restart (or ``end``), in trace order."""
    down: dict[str, float] = {}
    out = []
    for time, event, node in ((e.time, e.event, e.node) for e in events
                              if e.event in ("crash", "recover")):
        if event == "crash":
            down.setdefault(node, time)
        elif node in down:
            out.append(Interval(node, down.pop(node), time, True))
    out.extend(Interval(n, t, max(end, t), False) for n, t in down.items())
    return out


def partition_intervals(events: Events, end: float) -> list[Interval]:
    """Each partition, from its start to its end (or ``end``), by start time."""
    open_: dict[str, list[float]] = {}
    out = []
    for time, event, groups in ((e.time, e.event, e.detail) for e in events
                                if e.event in ("partition_start", "partition_end")):
        if event == "partition_start":
            open_.setdefault(groups, []).append(time)
        elif open_.get(groups):
            out.append(Interval(groups, open_[groups].pop(0), time, True))
    out.extend(Interval(g, t, max(end, t), False) for g, ts in open_.items() for t in ts)
    return sorted(out, key=lambda i: i.start)


def groups_of(who: str) -> list[list[str]]:
    """``"a1|a2,a3"`` -> ``[["a1"], ["a2", "a3"]]``."""
    return [g.split(",") for g in who.split("|")]


# -- chosen -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Chosen:
    time: float
    ballot: str
    value: str


def chosen(events: Events, roles: dict[str, tuple[str, ...]],
           quorums: QuorumSystem | None = None) -> list[Chosen]:
    """Every (ballot, value) that a phase-2 quorum of acceptors accepted, with the moment the
    last needed acceptance happened (majorities of the acceptors unless ``quorums`` given)."""
    if quorums is None:
        acceptors = tuple(n for n, r in roles.items() if "acceptor" in r)
        quorums = QuorumSystem.majority(acceptors)
    votes: dict[tuple[str, str], set[str]] = {}
    out: list[Chosen] = []
    for time, node, ballot, value in ((e.time, e.node, e.ref_ballot, e.value) for e in events
                                      if e.event == "accept"):
        who = votes.setdefault((ballot, value), set())
        if node in who:
            continue
        who.add(node)
        if quorums.is_phase2(who) and not any(c.ballot == ballot for c in out):
            out.append(Chosen(float(time), ballot, value))
    return out


# -- the window worth looking at ------------------------------------------------------------------
WINDOW_MARGIN = 0.15
"""Share of the interesting span added after it (and before it, down to 0)."""
LEARNED_SOON = 1.0
"""Every learner learning up to this many spans after the decision still belongs to it."""


@dataclass(frozen=True)
class Window:
    """The x range a time axis opens on (``focus``) and the whole run (``whole``)."""

    focus: tuple[float, float]
    whole: tuple[float, float]


def whole_range(end: float) -> tuple[float, float]:
    """The x range of a whole run that ends at ``end``."""
    return 0.0, max(end, 1.0) * 1.02


def focus_window(events: Events, roles: dict[str, tuple[str, ...]],
                 quorums: QuorumSystem | None = None, *,
                 decided: list[Chosen] | None = None) -> Window | None:
    """Where the story of ``events`` is: from the first start to the decision (the last moment a
    (ballot, value) was chosen, and a learner learning), or to when every learner has
    learned, if that follows soon; plus a margin. A late proposer that adopts the chosen
    value, or a second value chosen by a broken protocol, is part of the story.

    ``None`` when that is (nearly) the whole run already, or when nothing was ever chosen:
    then the whole run is the story. A run that decides at t=4.8 and retries until t=956
    because one learner missed the decision opens on [0, ~5.5], not on [0, 975].
    ``decided``: ``chosen(df, roles, quorums)``, if the caller has it.
    """
    if decided is None:
        decided = chosen(events, roles, quorums)
    if not decided:
        return None
    starts = [e.time for e in events if e.event == "start"]
    learns = [e.time for e in events if e.event == "learn"]
    first = float(min(starts)) if starts else 0.0
    stop = max(max(c.time for c in decided), float(min(learns)) if learns else 0.0)
    learned = _everyone_learned(events, roles)
    if learned is not None and learned - stop <= LEARNED_SOON * max(stop - first, 1e-9):
        stop = max(stop, learned)
    span = max(stop - first, 1e-9)
    whole = whole_range(float(events[-1].time))
    focus = (max(0.0, first - WINDOW_MARGIN * span), stop + WINDOW_MARGIN * span)
    if focus[1] >= 0.8 * whole[1]:
        return None
    return Window(focus, whole)


def _everyone_learned(events: Events, roles: dict[str, tuple[str, ...]]) -> float | None:
    """The moment the last learner learned a value for the first time (None: one never did)."""
    learners = [n for n, r in roles.items() if "learner" in r]
    firsts: dict[str, float] = {}
    for e in events:
        if e.event == "learn":
            firsts.setdefault(e.node, e.time)
    if not learners or any(n not in firsts for n in learners):
        return None
    return float(max(firsts[n] for n in learners))


# -- shared per trace -----------------------------------------------------------------------------
class Derived:
    """What every view needs of one trace DataFrame ``df`` and ``cluster``, each computed on
    first use: ``roles``, ``end``, ``msgs`` (``messages``; ``msg_columns`` as numpy arrays),
    ``decided`` (``chosen``),
    ``window`` (``focus_window``), ``crashes`` and ``partitions`` (intervals), ``events``
    (the rows as plain tuples in trace order, fields named as the columns) and ``times``."""

    def __init__(self, df: pd.DataFrame, cluster: Cluster | None) -> None:
        self._df = weakref.ref(df)  # the cache must not keep the trace alive
        self.cluster = cluster
        self.quorums = cluster.quorums if cluster is not None else None

    @property
    def df(self) -> pd.DataFrame:
        df = self._df()
        if df is None:
            raise RuntimeError("Derived used after its trace DataFrame was freed")
        return df

    @cached_property
    def roles(self) -> dict[str, tuple[str, ...]]:
        return roles_of(self.df, self.cluster)

    @cached_property
    def end(self) -> float:
        return end_time(self.df)

    @cached_property
    def msgs(self) -> pd.DataFrame:
        return pd.DataFrame(self.msg_columns)

    @cached_property
    def msg_columns(self) -> Columns:
        """``msgs`` as one numpy array per column (text columns of Python strings)."""
        return message_columns(self.events)

    @cached_property
    def decided(self) -> list[Chosen]:
        return chosen(self.events, self.roles, self.quorums)

    @cached_property
    def window(self) -> Window | None:
        return focus_window(self.events, self.roles, self.quorums, decided=self.decided)

    @cached_property
    def crashes(self) -> list[Interval]:
        return crash_intervals(self.events, self.end)

    @cached_property
    def partitions(self) -> list[Interval]:
        return partition_intervals(self.events, self.end)

    @cached_property
    def events(self) -> list[Any]:
        return rows_of(self.df)

    @cached_property
    def times(self) -> list[float]:
        return self.df["time"].tolist()

    def past(self, time: float | None) -> list[Any]:
        """``events`` at or before ``time`` (all for ``None``), like ``at_time``."""
        if time is None:
            return self.events
        check_time(time)
        return self.events[:bisect.bisect_right(self.times, time)]


_DERIVED: dict[tuple[int, Cluster | None], tuple[weakref.ref[pd.DataFrame], Derived]] = {}


def derived(trace: TraceLike, cluster: Cluster | None = None) -> Derived:
    """The shared ``Derived`` tables of ``trace`` (a ``Run`` or its ``.trace``) and
    ``cluster`` (default: the run's), built on first use and reused while the DataFrame
    lives; a bad argument raises ``UsageError`` (see ``resolve``)."""
    df, cluster = resolve(trace, cluster)
    key = (id(df), cluster)
    hit = _DERIVED.get(key)
    if hit is not None and hit[0]() is df:
        return hit[1]
    out = Derived(df, cluster)
    _DERIVED[key] = (weakref.ref(df, _forgetter(_DERIVED, key)), out)
    return out


def _forgetter(cache: dict[Any, Any], key: Any) -> Any:
    """A weakref callback dropping ``cache[key]`` when its DataFrame dies (only if the entry
    is still that DataFrame's: its id may have been reused since). It holds ``cache`` itself,
    not the module global, which is gone at interpreter exit."""
    def forget(ref: weakref.ref[pd.DataFrame]) -> None:
        entry = cache.get(key)
        if entry is not None and entry[0] is ref:
            del cache[key]
    return forget
