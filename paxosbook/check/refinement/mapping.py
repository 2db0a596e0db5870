"""Which spec steps each logged event stands for (the refinement mapping, event by event).

A run's event is mapped to *obligations*: for one Paxos instance (``-1`` in Basic Paxos, the
slot in a replicated log), the ways the spec may explain it, each a function of a spec state
returning a ``Delta`` or a ``Refusal`` (``steps``). The event is explained by a candidate state
when one way succeeds for every obligation.

=====================================  ========================================================
event                                  spec steps
=====================================  ========================================================
send Prepare(b)                        Phase1a(b) (a second send is a stuttering step)
send Promise(a, b, vote)               Phase1b(a) with m.bal = b, sending exactly that vote; or
                                       a copy of a 1b message in msgs; or the core's answer to
                                       a repeated Prepare of its current promise
send Accept(b, v)                      Phase2a(b, v), or a copy of that 2a message
acceptance (promise/accept state)      the acceptor's new <<maxBal, maxVBal, maxVal>>: already
                                       so, or Phase1b(a), or Phase2b(a)
send Accepted(a, b, v)                 Phase2b(a) with m = <<b, v>>, or a copy of that 2b
learn(b, v)                            no step: ChosenAt(b, v) must hold
learn a slot's v, no ballot named      no step: v must be chosen at some ballot (a replica
                                       told by the leader, the distinguished learner)
MultiPrepare(b, first)                 Phase1a(b) in every slot from ``first`` on
MultiPromise(a, b, first, votes)       the Promise of every slot from ``first`` on
anything else                          nothing (loss, duplication, delivery, timers, crashes,
                                       Nack, the log's Submit/Ack/CatchUp)
=====================================  ========================================================

Ballots become spec ballot numbers by their order among every ballot in the run (the spec
only compares ballots, so any order-preserving renaming is faithful); ``NO_BALLOT`` is -1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

from ...core import NO_BALLOT, Accept, Accepted, AcceptorState, Ballot, Learn, Prepare, Promise
from ...core.log.envelope import REST, LearnSlot, SlotState, Slotted
from ...core.log.multi import MultiPrepare, MultiPromise
from ...events import ACCEPT, LEARN, PROMISE, SEND, Record
from . import steps
from .steps import IsQuorum, Outcome, SpecState

Way = Callable[[SpecState], Outcome | list[Outcome]]
Obligation = tuple[int, list[Way]]
"""(instance, the ways it may be explained)."""

BASIC = -1
"""The one instance of a Basic Paxos run."""


def ballots_in(records: Iterable[Record]) -> dict[Ballot, int]:
    """Every ballot of the run -> its spec number (by order; ``NO_BALLOT`` -> -1)."""
    seen: set[Ballot] = set()
    for rec in records:
        if rec[1] in _CARRIERS:  # a delivery, loss or copy carries its send's ballots
            _collect(rec[4], seen)
    seen.discard(NO_BALLOT)
    numbers = {b: i for i, b in enumerate(sorted(seen))}
    numbers[NO_BALLOT] = -1
    return numbers


_CARRIERS = frozenset((SEND, PROMISE, ACCEPT, LEARN))


def _collect(x: Any, out: set[Ballot]) -> None:
    if type(x) is Ballot:
        out.add(x)
    elif isinstance(x, tuple):
        for y in x:
            _collect(y, out)


def slots_in(records: Iterable[Record]) -> list[int]:
    """Every log slot the run mentions (empty for Basic Paxos)."""
    seen: set[int] = set()
    for rec in records:
        p = rec[4]
        kind = type(p)
        if kind is Slotted or kind is LearnSlot or (kind is SlotState and p.slot != REST):
            seen.add(p.slot)
        elif kind is MultiPromise:
            seen.update(s for s, _ in p.accepted)
    return sorted(seen)


class Mapper:
    """Maps records to obligations for one run: its ballot numbers, quorums and slots."""

    def __init__(self, records: Sequence[Record], quorum1: IsQuorum, quorum2: IsQuorum,
                 slots: Sequence[int] = ()) -> None:
        self.number = ballots_in(records)
        self.quorum1, self.quorum2 = quorum1, quorum2
        self.slots = tuple(slots)

    def obligations(self, rec: Record) -> list[Obligation]:
        event, node, p = rec[1], rec[2], rec[4]
        if event == SEND:
            return self._send(p)
        if event == PROMISE or event == ACCEPT:
            if type(p) is SlotState:
                return [] if p.slot == REST else [(p.slot, self._state(node, p.state))]
            return [(BASIC, self._state(node, p))]
        if event == LEARN:
            if type(p) is LearnSlot:  # from the distinguished learner, maybe with no ballot
                return [(p.slot, self._learn(p.ballot, p.value) if p.ballot is not None
                         else [partial(steps.chosen, v=p.value, quorum2=self.quorum2)])]
            if type(p) is Learn:
                return [(BASIC, self._learn(p.ballot, p.value))]
        return []

    def _send(self, m: Any, slot: int = BASIC) -> list[Obligation]:
        kind = type(m)
        n = self.number
        if kind is Slotted:
            return self._send(m.msg, m.slot)
        if kind is Prepare:
            return [(slot, [partial(steps.phase1a, b=n[m.ballot])])]
        if kind is Promise:
            acc = m.accepted
            vote = (-1, None) if acc is None else (n[acc.ballot], acc.value)
            return [(slot, self._promise(m.src, n[m.ballot], vote))]
        if kind is Accept:
            b = n[m.ballot]
            return [(slot, [partial(steps.resent, m=("2a", b, m.value), what="a 2a message"),
                            partial(steps.phase2a, b=b, v=m.value, quorum1=self.quorum1)])]
        if kind is Accepted:
            b = n[m.ballot]
            return [(slot, [partial(steps.resent, m=("2b", m.src, b, m.value),
                                    what="a 2b message"),
                            partial(steps.phase2b, a=m.src, b=b, v=m.value)])]
        if kind is MultiPrepare:
            return [(s, [partial(steps.phase1a, b=n[m.ballot])]) for s in self.slots
                    if s >= m.first]
        if kind is MultiPromise:
            votes = dict(m.accepted)
            return [(s, self._promise(m.src, n[m.ballot], _vote(votes.get(s), n)))
                    for s in self.slots if s >= m.first]
        return []

    def _promise(self, a: str, b: int, vote: tuple[int, Any]) -> list[Way]:
        return [partial(steps.resent, m=("1b", a, b, *vote), what="a 1b message"),
                partial(steps.reanswer, a=a, b=b, reported=vote),
                partial(steps.phase1b, a=a, b=b, reported=vote)]

    def _state(self, a: str, state: AcceptorState) -> list[Way]:
        n = self.number
        acc = state.accepted
        target = (n[state.promised], *_vote(acc, n))
        return [partial(steps.recorded, a=a, target=target)]

    def _learn(self, ballot: Ballot | None, value: Any) -> list[Way]:
        if ballot is None:
            return [partial(_no_ballot, value=value)]
        return [partial(steps.chosen_at, b=self.number[ballot], v=value, quorum2=self.quorum2)]


def _vote(acc: Any, n: dict[Ballot, int]) -> tuple[int, Any]:
    return (-1, None) if acc is None else (n[acc.ballot], acc.value)


def _no_ballot(s: SpecState, value: Any) -> Outcome:
    return steps.Refusal(f"learning {value!r}", "ChosenAt(b, v)",
                         "the learner names no ballot: no Paxos step chose this value")


SHOWN_VOTES = 3
"""Votes of a ``MultiPromise`` that ``describe`` lists (a leader's can report hundreds)."""


def _votes(accepted: tuple[tuple[int, Any], ...]) -> str:
    """``slot:ballot:value`` for the first ``SHOWN_VOTES`` votes, then how many more."""
    shown = ", ".join(f"{s}:{p.ballot}:{p.value!r}" for s, p in accepted[:SHOWN_VOTES])
    more = len(accepted) - SHOWN_VOTES
    return (shown or "none") + (f", ... ({more} more slots)" if more > 0 else "")


def describe(rec: Record) -> str:
    """One line for an event: ``send Accept p1->a2 ballot 1.1 value 'add'``."""
    _, event, node, peer, p, _, _, _ = rec
    slot = ""
    if type(p) is Slotted:
        slot, p = f" slot {p.slot}", p.msg
    elif type(p) in (SlotState, LearnSlot):
        slot = f" slot {p.slot}"
        p = p.state if type(p) is SlotState else p
    head = f"{event} {type(p).__name__} {node}->{peer}" if peer else f"{event} at {node}"
    parts = []
    for name in ("ballot", "promised", "accepted", "value", "first"):
        x = getattr(p, name, None)
        if x is None or callable(x):
            continue
        if name == "accepted":
            x = _votes(x) if type(p) is MultiPromise else f"{x.ballot}:{x.value!r}"
        parts.append(f"value {x!r}" if name == "value" else f"{name} {x}")
    return head + slot + ("" if not parts else " " + " ".join(parts))
