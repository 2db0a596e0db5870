"""The acceptor: promises (phase 1b) and accepts (phase 2b).

Shape: ``Acceptor`` is the configuration (name, the learners it informs, mutants), the state is
an ``AcceptorState`` (TLA+: ``maxBal``, ``maxVBal``/``maxVal``), which is also exactly what it
keeps on stable storage; each handler is a pure function returning ``(next state, effects)``.

Rules, from "Paxos Made Simple" section 2.2:

* P1a: an acceptor accepts a proposal numbered n unless it has promised (responded to a
  prepare request numbered) greater than n. We keep the TLA+ form: ``promised`` is the highest
  ballot promised, an ``Accept`` is accepted iff ``ballot >= promised``.
* A prepare request numbered n above every promise so far is answered with a promise and the
  highest-numbered proposal accepted, if any. A lower one is answered with a ``Nack`` carrying
  the promise (the paper's optimisation). A repeat of the current promise is answered again.
* Promise and acceptance are persisted (a ``Persist`` effect before the reply), so they survive
  a crash-restart; ``Acceptor.init(stored)`` is the only way back from storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .ballot import NO_BALLOT, Proposal
from .effects import AcceptorState, Effect, Persist, Send, Timer
from .messages import Accept, Accepted, Message, Nack, Prepare, Promise
from .mutants import Mutant

EMPTY = AcceptorState(NO_BALLOT, None)
"""An acceptor that has promised and accepted nothing."""

Step = tuple[AcceptorState, list[Effect]]


@dataclass(frozen=True, slots=True)
class Acceptor:
    """The configuration of one acceptor; its state is an ``AcceptorState``."""

    name: str
    learners: tuple[str, ...] = ()
    mutants: frozenset[Mutant] = field(default=frozenset())

    def __post_init__(self) -> None:
        if not isinstance(self.learners, tuple):
            object.__setattr__(self, "learners", tuple(self.learners))

    def init(self, stored: AcceptorState | None = None) -> AcceptorState:
        """The state at start, or after a restart: what it persisted, unless a mutant forgets
        it (the paper: an acceptor must remember its promise and acceptance on stable storage
        even if it fails and restarts)."""
        if stored is None or Mutant.FORGET_PROMISE_ON_RESTART in self.mutants:
            return EMPTY
        return stored

    def on_start(self, s: AcceptorState) -> Step:
        return s, []

    def on_timeout(self, s: AcceptorState, timer: Timer) -> Step:
        return s, []

    def on_message(self, s: AcceptorState, msg: Message) -> Step:
        if type(msg) is Prepare:
            return self.on_prepare(s, msg)
        if type(msg) is Accept:
            return self.on_accept(s, msg)
        return s, []

    def on_prepare(self, s: AcceptorState, msg: Prepare) -> Step:
        promised, accepted = s
        ballot = msg.ballot
        if ballot > promised:
            state = AcceptorState(ballot, accepted)
            return state, [Persist(state), Send(Promise(self.name, msg.src, ballot, accepted))]
        if ballot == promised:  # a duplicate: the promise already holds, say it again
            return s, [Send(Promise(self.name, msg.src, ballot, accepted))]
        return s, [Send(Nack(self.name, msg.src, ballot, promised))]

    def on_accept(self, s: AcceptorState, msg: Accept) -> Step:
        promised, accepted = s
        ballot = msg.ballot
        if ballot < promised and Mutant.ACCEPT_BELOW_PROMISE not in self.mutants:
            return s, [Send(Nack(self.name, msg.src, ballot, promised))]
        effects: list[Effect] = []
        proposal = Proposal(ballot, msg.value)
        if accepted != proposal or ballot > promised:
            s = AcceptorState(max(promised, ballot), proposal)
            effects.append(Persist(s))
        effects.append(Send(Accepted(self.name, msg.src, ballot, msg.value)))
        for learner in self.learners:
            if learner != msg.src:
                effects.append(Send(Accepted(self.name, learner, ballot, msg.value)))
        return s, effects
