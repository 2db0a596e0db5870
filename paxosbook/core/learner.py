"""The learner: learns a value once a phase-2 quorum of acceptors has accepted one ballot.

Paper section 2.3, with the acceptors informing the learners directly: a value is chosen when
a quorum has accepted the same proposal, so counting ``Accepted`` per ballot and learning on a
quorum learns only chosen values. The learner learns once; later news is ignored.
"""

from __future__ import annotations

from .ballot import Proposal
from .effects import Effect, Learn, Timer
from .messages import Accepted, Message
from .mutants import Mutant
from .quorum import QuorumSystem


class Learner:
    __slots__ = ("learned", "mutants", "name", "quorums", "votes")

    def __init__(self, name: str, quorums: QuorumSystem,
                 mutants: frozenset[Mutant] = frozenset()) -> None:
        self.name = name
        self.quorums = quorums
        self.mutants = mutants
        self.votes: dict[Proposal, set[str]] = {}
        self.learned: Proposal | None = None

    def on_start(self) -> list[Effect]:
        return []

    def on_timeout(self, timer: Timer) -> list[Effect]:
        return []

    def on_message(self, msg: Message) -> list[Effect]:
        if type(msg) is not Accepted or self.learned is not None:
            return []
        proposal = Proposal(msg.ballot, msg.value)
        voters = self.votes.get(proposal)
        if voters is None:
            voters = self.votes[proposal] = set()
        voters.add(msg.src)
        if self.quorums.is_phase2(voters) or Mutant.LEARN_WITHOUT_QUORUM in self.mutants:
            self.learned = proposal
            return [Learn(msg.value, msg.ballot)]
        return []
