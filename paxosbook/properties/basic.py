"""Safety properties of Basic Paxos, declared once by name and checked on every run.

Theory of operation. A run's events are folded into a ``History``: every vote (an acceptor
accepting a proposal, TLA+'s ``votes``), every Accept (2a) sent, every acceptor state written,
every value proposed and every value learned, each with the index of its trace event. A value
is *chosen* at ballot b once a phase-2 quorum of acceptors has voted for (b, v) (paper, 2.1).
Each ``Property`` is a function of the history returning ``Violation`` s that name the property
and the events (trace row indices) and message ids that break it. All properties here are
"always" properties in Stateright's sense: they must hold in every reachable state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from ..core import Ballot, QuorumSystem
from ..events import ACCEPT, LEARN, PROMISE, SEND, START, Record


@dataclass(frozen=True)
class Violation:
    property: str
    message: str
    events: tuple[int, ...] = ()
    msg_ids: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"property": self.property, "message": self.message,
                "events": list(self.events), "msg_ids": list(self.msg_ids)}

    def __str__(self) -> str:
        return f"{self.property}: {self.message} (events {list(self.events)})"


class _Deployment(Protocol):
    @property
    def quorums(self) -> QuorumSystem: ...


class _Config(Protocol):
    def cluster(self) -> _Deployment: ...


class RunLike(Protocol):
    """What ``check_run`` reads of a run (``paxosbook.trace.Run`` is one): its records and the
    quorums of its deployment."""

    @property
    def records(self) -> Sequence[Record]: ...

    @property
    def config(self) -> _Config: ...


@dataclass
class History:
    """What the properties need to know about a run, in event order."""

    quorums: QuorumSystem
    proposed: dict[str, int] = field(default_factory=dict)  # value -> first start event
    votes: list[tuple[int, str, Ballot, str]] = field(default_factory=list)  # idx, acc, b, v
    accepts_sent: list[tuple[int, int, Ballot, str]] = field(default_factory=list)  # idx, id, b, v
    states: list[tuple[int, str, Ballot, Ballot | None]] = field(default_factory=list)
    learns: list[tuple[int, str, Ballot, str]] = field(default_factory=list)

    @classmethod
    def from_run(cls, run: RunLike) -> History:
        return cls.from_records(run.records, run.config.cluster().quorums)

    @classmethod
    def from_records(cls, records: Sequence[Record], quorums: QuorumSystem) -> History:
        h = cls(quorums)
        for i, (_, event, node, _, p, mid, _, _) in enumerate(records):
            if event == SEND and type(p).__name__ == "Accept":
                h.accepts_sent.append((i, mid, p.ballot, p.value))
            elif event == PROMISE or event == ACCEPT:
                acc = p.accepted
                h.states.append((i, node, p.promised, acc.ballot if acc else None))
                if event == ACCEPT and acc is not None:
                    h.votes.append((i, node, acc.ballot, acc.value))
            elif event == LEARN:
                h.learns.append((i, node, p.ballot, p.value))
            elif event == START:
                h.proposed.setdefault(p, i)
        return h

    def chosen(self) -> dict[tuple[Ballot, str], tuple[int, ...]]:
        """(ballot, value) -> the vote events that first made it chosen, in order."""
        voters: dict[tuple[Ballot, str], dict[str, int]] = {}
        chosen: dict[tuple[Ballot, str], tuple[int, ...]] = {}
        for i, acc, b, v in self.votes:
            who = voters.setdefault((b, v), {})
            who.setdefault(acc, i)
            if (b, v) not in chosen and self.quorums.is_phase2(who.keys()):
                chosen[(b, v)] = tuple(who.values())
        return chosen


H = TypeVar("H")


@dataclass(frozen=True)
class Property(Generic[H]):
    """A named safety property: ``check`` maps a history (``History`` for one instance of
    Basic Paxos, ``LogHistory`` for a replicated log) to the violations it finds."""

    name: str
    description: str
    check: Callable[[H], list[Violation]]
    kind: str = "always"
    reads: frozenset[str] = frozenset(("proposed", "votes", "accepts_sent", "states", "learns"))
    """The ``History`` fields ``check`` reads (all, unless it declares fewer). A checker may
    evaluate a property on a history whose other fields are empty and memoise the verdict on
    what it reads (``tests/test_properties.py`` checks each declaration)."""


def _agreement(h: History) -> list[Violation]:
    out = []
    chosen = h.chosen()
    values = {v for _, v in chosen}
    if len(values) > 1:
        events = tuple(sorted({i for evs in chosen.values() for i in evs}))
        pairs = ", ".join(f"{v!r} at {b[0]}.{b[1]}" for (b, v) in chosen)
        out.append(Violation("agreement", f"more than one value chosen: {pairs}", events))
    learned = {v for *_, v in h.learns}
    if len(learned) > 1:
        events = tuple(i for i, *_ in h.learns)
        who = ", ".join(f"{n} learned {v!r}" for _, n, _, v in h.learns)
        out.append(Violation("agreement", f"learners disagree: {who}", events))
    return out


def _validity(h: History) -> list[Violation]:
    out = []
    for (_, v), events in h.chosen().items():
        if v not in h.proposed:
            out.append(Violation("validity", f"{v!r} was chosen but never proposed", events))
    for i, n, _, v in h.learns:
        if v not in h.proposed:
            out.append(Violation("validity", f"{n} learned {v!r}, never proposed", (i,)))
    return out


def _integrity(h: History) -> list[Violation]:
    chosen_at: dict[str, int] = {}
    for (_, v), events in h.chosen().items():
        chosen_at[v] = min(chosen_at.get(v, events[-1]), events[-1])
    return [Violation("integrity", f"{n} learned {v!r} before it was chosen", (i,))
            for i, n, _, v in h.learns if chosen_at.get(v, i + 1) > i]


def _promise_covers_accept(h: History) -> list[Violation]:
    return [Violation("promise_covers_accept",
                      f"{a} accepted ballot {acc[0]}.{acc[1]} above its promise {p[0]}.{p[1]}",
                      (i,))
            for i, a, p, acc in h.states if acc is not None and acc > p]


def _one_value_per_ballot(h: History) -> list[Violation]:
    first: dict[Ballot, tuple[int, int, str]] = {}
    out = []
    for i, mid, b, v in h.accepts_sent:
        seen = first.setdefault(b, (i, mid, v))
        if seen[2] != v:
            out.append(Violation("one_value_per_ballot",
                                 f"ballot {b[0]}.{b[1]} proposed both {seen[2]!r} and {v!r}",
                                 (seen[0], i), (seen[1], mid)))
            first[b] = (i, mid, v)  # report each change once
    return out


def _chosen_is_stable(h: History) -> list[Violation]:
    out = []
    for (b, v), events in h.chosen().items():
        for i, acc, b2, v2 in h.votes:
            if b2 > b and v2 != v:
                out.append(Violation(
                    "chosen_is_stable",
                    f"{v!r} chosen at {b[0]}.{b[1]} but {acc} accepted {v2!r} at {b2[0]}.{b2[1]}",
                    (*events, i)))
    return out


_OUTCOMES = frozenset(("votes", "learns"))
"""What the properties about outcomes read: the votes (what is chosen) and the learns."""

PROPERTIES: tuple[Property[History], ...] = (
    Property("agreement", "at most one value is chosen; no two learners learn different values",
             _agreement, reads=_OUTCOMES),
    Property("validity", "only a proposed value can be chosen or learned", _validity,
             reads=_OUTCOMES | {"proposed"}),
    Property("integrity", "a value is learned only after it was chosen", _integrity,
             reads=_OUTCOMES),
    Property("promise_covers_accept",
             "an acceptor's accepted ballot never exceeds its promised ballot",
             _promise_covers_accept, reads=frozenset(("states",))),
    Property("one_value_per_ballot", "all Accept (2a) messages for one ballot carry one value",
             _one_value_per_ballot, reads=frozenset(("accepts_sent",))),
    Property("chosen_is_stable",
             "once v is chosen at b, every proposal accepted at a higher ballot has value v (P2)",
             _chosen_is_stable, reads=frozenset(("votes",))),
)


def check_history(h: History,
                  properties: Iterable[Property[History]] = PROPERTIES) -> list[Violation]:
    return [v for p in properties for v in p.check(h)]


def check_run(run: RunLike) -> list[Violation]:
    return check_history(History.from_run(run))
