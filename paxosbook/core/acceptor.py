"""The acceptor: promises (phase 1b) and accepts (phase 2b).

Rules, from "Paxos Made Simple" section 2.2:

* P1a: an acceptor accepts a proposal numbered n unless it has promised (responded to a
  prepare request numbered) greater than n. We keep the TLA+ form: ``promised`` is the highest
  ballot promised, an ``Accept`` is accepted iff ``ballot >= promised``.
* A prepare request numbered n above every promise so far is answered with a promise and the
  highest-numbered proposal accepted, if any. A lower one is answered with a ``Nack`` carrying
  the promise (the paper's optimisation). A repeat of the current promise is answered again.
* Promise and acceptance are persisted (a ``Persist`` effect before the reply), so they survive
  a crash-restart; ``Acceptor.restore`` is the only way back from storage.
"""

from __future__ import annotations

from collections.abc import Sequence

from .ballot import NO_BALLOT, Proposal
from .effects import AcceptorState, Effect, Persist, Send, Timer
from .messages import Accept, Accepted, Message, Nack, Prepare, Promise
from .mutants import Mutant

EMPTY = AcceptorState(NO_BALLOT, None)


class Acceptor:
    __slots__ = ("learners", "mutants", "name", "state")

    def __init__(self, name: str, learners: Sequence[str], state: AcceptorState = EMPTY,
                 mutants: frozenset[Mutant] = frozenset()) -> None:
        self.name = name
        self.learners = tuple(learners)
        self.state = state
        self.mutants = mutants

    @classmethod
    def restore(cls, name: str, learners: Sequence[str], stored: AcceptorState | None,
                mutants: frozenset[Mutant] = frozenset()) -> Acceptor:
        """The acceptor after a restart: its persisted state, unless a mutant forgets it."""
        if stored is None or Mutant.FORGET_PROMISE_ON_RESTART in mutants:
            stored = EMPTY
        return cls(name, learners, stored, mutants)

    def on_start(self) -> list[Effect]:
        return []

    def on_timeout(self, timer: Timer) -> list[Effect]:
        return []

    def on_message(self, msg: Message) -> list[Effect]:
        if type(msg) is Prepare:
            return self.on_prepare(msg)
        if type(msg) is Accept:
            return self.on_accept(msg)
        return []

    def on_prepare(self, msg: Prepare) -> list[Effect]:
        promised, accepted = self.state
        ballot = msg.ballot
        if ballot > promised:
            self.state = state = AcceptorState(ballot, accepted)
            return [Persist(state), Send(Promise(self.name, msg.src, ballot, accepted))]
        if ballot == promised:  # a duplicate: the promise already holds, say it again
            return [Send(Promise(self.name, msg.src, ballot, accepted))]
        return [Send(Nack(self.name, msg.src, ballot, promised))]

    def on_accept(self, msg: Accept) -> list[Effect]:
        promised, accepted = self.state
        ballot = msg.ballot
        if ballot < promised and Mutant.ACCEPT_BELOW_PROMISE not in self.mutants:
            return [Send(Nack(self.name, msg.src, ballot, promised))]
        effects: list[Effect] = []
        proposal = Proposal(ballot, msg.value)
        if accepted != proposal or ballot > promised:
            self.state = AcceptorState(max(promised, ballot), proposal)
            effects.append(Persist(self.state))
        effects.append(Send(Accepted(self.name, msg.src, ballot, msg.value)))
        for learner in self.learners:
            if learner != msg.src:
                effects.append(Send(Accepted(self.name, learner, ballot, msg.value)))
        return effects
