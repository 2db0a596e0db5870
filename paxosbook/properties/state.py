"""The safety properties of ``basic``, evaluated on one state instead of a run.

A model checker sees states, not event logs. A ``Snapshot`` holds what the properties need
from a state: the values proposed, every vote ever cast (a history variable, TLA+'s
``votes``), every Accept (2a) ever sent, each acceptor's current promise and acceptance and
each learner's learned proposal. ``check_snapshot`` lays it out as a ``History`` (proposals,
then votes, then Accepts and acceptor states, then learns) and runs the very same
``PROPERTIES``: with every learn placed after every vote, ``integrity`` ("learned only after
chosen") becomes "whatever is learned is chosen in this state", which, checked on every
reachable state, is the same property because votes are never taken back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..core import AcceptorState, Ballot, Proposal, QuorumSystem
from .basic import PROPERTIES, History, Property, Violation, check_history


@dataclass(frozen=True)
class Snapshot:
    proposed: tuple[str, ...]
    votes: frozenset[tuple[str, Ballot, str]]
    """(acceptor, ballot, value) for every vote cast so far."""
    accepts: frozenset[Proposal]
    """(ballot, value) of every Accept (2a) message sent so far."""
    acceptors: tuple[tuple[str, AcceptorState], ...]
    learned: tuple[tuple[str, Proposal], ...]
    """(learner, proposal) for the learners that have learned."""


def history_of(snap: Snapshot, quorums: QuorumSystem) -> History:
    h = History(quorums)
    i = 0
    for v in snap.proposed:
        h.proposed.setdefault(v, i)
        i += 1
    for acc, b, v in sorted(snap.votes, key=lambda x: (x[1], x[0], x[2])):
        h.votes.append((i, acc, b, v))
        i += 1
    for b, v in sorted(snap.accepts):
        h.accepts_sent.append((i, -1, b, v))
        i += 1
    for name, state in snap.acceptors:
        h.states.append((i, name, state.promised,
                         state.accepted.ballot if state.accepted is not None else None))
        i += 1
    for name, (b, v) in snap.learned:
        h.learns.append((i, name, b, v))
        i += 1
    return h


def check_snapshot(snap: Snapshot, quorums: QuorumSystem,
                   properties: Iterable[Property] = PROPERTIES) -> list[Violation]:
    """Every property of ``properties`` that the state ``snap`` breaks."""
    return check_history(history_of(snap, quorums), properties)
