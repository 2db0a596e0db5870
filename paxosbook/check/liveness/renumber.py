"""Renumbering rounds: the stable relation's states taken up to a shift of every round.

The roles only compare ballots, take maxima and add 1, so shifting every round of a state by
the same amount (``NO_BALLOT``, the minimum, left alone) gives a state whose futures are the
same up to the same shift. ``System.normal`` shifts so that the least round is 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ...core import NO_BALLOT, AcceptorState, Ballot, NodeState, Proposal
from ...core.learner import LearnerState

BIG = 1 << 60
"""The least round of a state with no ballot at all (no shift)."""


def rounds(ballots: Iterable[Ballot]) -> Iterator[int]:
    return (b.round for b in ballots if b.proposer)


def msg_ballots(msg: Any) -> Iterator[Ballot]:
    yield msg.ballot
    extra = getattr(msg, "promised", None) or getattr(msg, "accepted", None)
    if extra is not None:
        yield extra if type(extra) is Ballot else extra.ballot


def node_ballots(s: NodeState) -> Iterator[Ballot]:
    if s.proposer is not None:
        p = s.proposer
        yield Ballot(p.round, 1)
        yield p.ballot
        yield from (a.ballot for _, a in p.promises if a is not None)
        if p.proposal is not None:
            yield p.proposal.ballot
    if s.acceptor is not None:
        yield s.acceptor.promised
        if s.acceptor.accepted is not None:
            yield s.acceptor.accepted.ballot
    if s.learner is not None:
        yield from (p.ballot for p, _ in s.learner.votes)
        if s.learner.learned is not None:
            yield s.learner.learned.ballot


def _b(b: Ballot, d: int) -> Ballot:
    return b if b == NO_BALLOT else Ballot(b.round - d, b.proposer)


def _p(p: Proposal | None, d: int) -> Proposal | None:
    return None if p is None else Proposal(_b(p.ballot, d), p.value)


def shift_node(s: NodeState, d: int) -> NodeState:
    p, a, lr = s
    if p is not None:
        p = p._replace(round=p.round - d if d else p.round, ballot=_b(p.ballot, d), attempts=0,
                       promises=tuple((n, _p(x, d)) for n, x in p.promises),
                       proposal=_p(p.proposal, d))
    if a is not None and d:
        a = AcceptorState(_b(a.promised, d), _p(a.accepted, d))
    if lr is not None and d:
        lr = LearnerState(frozenset((Proposal(_b(x.ballot, d), x.value), n) for x, n in lr.votes),
                          _p(lr.learned, d))
    return NodeState(p, a, lr)


def shift_msg(msg: Any, d: int) -> Any:
    out = msg._replace(ballot=_b(msg.ballot, d))
    if hasattr(msg, "promised"):
        out = out._replace(promised=_b(msg.promised, d))
    if hasattr(msg, "accepted"):
        out = out._replace(accepted=_p(msg.accepted, d))
    return out
