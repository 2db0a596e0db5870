"""The learner: learns a value once a phase-2 quorum of acceptors has accepted one ballot.

Paper section 2.3, with the acceptors informing the learners directly: a value is chosen when
a quorum has accepted the same proposal, so counting ``Accepted`` per ballot and learning on a
quorum learns only chosen values. The learner learns once; later news is ignored.

Shape: ``Learner`` is the configuration, ``LearnerState`` the state (the votes heard and what
was learned), and ``on_message`` a pure function returning ``(next state, effects)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .ballot import Proposal
from .effects import Effect, Learn, Timer
from .messages import Accepted, Message
from .mutants import Mutant
from .quorum import QuorumSystem


class LearnerState(NamedTuple):
    """``votes``: every ``(proposal, acceptor)`` an ``Accepted`` reported; ``learned``: the
    proposal learned, or ``None``."""

    votes: frozenset[tuple[Proposal, str]]
    learned: Proposal | None

    def voters(self, proposal: Proposal) -> set[str]:
        """The acceptors heard to have accepted ``proposal``."""
        return {a for p, a in self.votes if p == proposal}


NOTHING = LearnerState(frozenset(), None)
Step = tuple[LearnerState, list[Effect]]


@dataclass(frozen=True, slots=True)
class Learner:
    """The configuration of one learner; its state is a ``LearnerState``."""

    name: str
    quorums: QuorumSystem
    mutants: frozenset[Mutant] = field(default=frozenset())

    def init(self, stored: object = None) -> LearnerState:
        """A learner keeps nothing on stable storage: it starts (and restarts) empty."""
        return NOTHING

    def on_start(self, s: LearnerState) -> Step:
        return s, []

    def on_timeout(self, s: LearnerState, timer: Timer) -> Step:
        return s, []

    def on_message(self, s: LearnerState, msg: Message) -> Step:
        if type(msg) is not Accepted or s.learned is not None:
            return s, []
        proposal = Proposal(msg.ballot, msg.value)
        vote = (proposal, msg.src)
        if vote in s.votes:
            return s, []  # a duplicate: still one vote
        votes = s.votes | {vote}
        if (Mutant.LEARN_WITHOUT_QUORUM in self.mutants
                or self.quorums.is_phase2({a for p, a in votes if p == proposal})):
            return LearnerState(votes, proposal), [Learn(msg.value, msg.ballot)]
        return LearnerState(votes, None), []
