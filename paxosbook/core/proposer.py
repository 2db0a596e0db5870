"""The proposer: runs phase 1 (Prepare/Promise) and phase 2 (Accept/Accepted) for one value.

Rules, from "Paxos Made Simple" section 2.2-2.3:

* A new ballot is always higher than any this proposer used (its round is persisted before the
  Prepare goes out) and than any promise it has been told of by a ``Nack``.
* P2c: on promises from a phase-1 quorum it proposes the value of the highest-numbered accepted
  proposal among them, or its own value if they report none.
* On a phase-2 quorum of ``Accepted`` for its ballot it knows its proposal was chosen and stops.
* A ballot is abandoned on a ``Nack`` or when the phase timer fires; the next attempt follows
  the backoff policy: at once (``none``), after a fixed wait, or after a random wait that doubles
  with each attempt (``exponential``; the interpreter draws the random part).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from .ballot import NO_BALLOT, Ballot, Proposal, Value
from .effects import CancelTimer, Effect, Persist, ProposerState, Send, SetTimer, Timer
from .messages import Accept, Accepted, Message, Nack, Prepare, Promise
from .mutants import Mutant
from .quorum import QuorumSystem


class Backoff(Enum):
    NONE = "none"
    FIXED = "fixed"
    EXPONENTIAL = "exponential"


MAX_DOUBLINGS = 8
"""Exponential backoff stops growing after this many doublings."""


def backoff_timer(backoff: Backoff, base: float, attempts: int) -> SetTimer | None:
    """The wait before the next ballot after ``attempts`` tries: ``None`` to retry at once,
    a fixed wait, or a random wait in ``[0, base * 2**(attempts-1)]`` (capped) whose random
    part the interpreter draws."""
    if backoff is Backoff.NONE:
        return None
    if backoff is Backoff.FIXED:
        return SetTimer(Timer.RETRY, base)
    return SetTimer(Timer.RETRY, 0.0, base * 2 ** min(attempts - 1, MAX_DOUBLINGS))


class Phase(Enum):
    IDLE = "idle"
    PREPARING = "preparing"
    ACCEPTING = "accepting"
    BACKING_OFF = "backing-off"
    CHOSEN = "chosen"
    GAVE_UP = "gave-up"


class Proposer:
    __slots__ = (
        "acceptors",
        "accepts",
        "attempts",
        "backoff",
        "backoff_base",
        "ballot",
        "max_attempts",
        "mutants",
        "name",
        "phase",
        "pid",
        "promises",
        "proposal",
        "quorums",
        "round",
        "timeout",
        "value",
    )

    def __init__(self, name: str, pid: int, value: Value, acceptors: Sequence[str],
                 quorums: QuorumSystem, *, timeout: float, backoff: Backoff = Backoff.NONE,
                 backoff_base: float = 1.0, max_attempts: int = 0,
                 stored: ProposerState | None = None,
                 mutants: frozenset[Mutant] = frozenset()) -> None:
        if pid < 1:
            raise ValueError("proposer ids start at 1 (Ballot(0, 0) is the minimum ballot)")
        self.name = name
        self.pid = pid
        self.value = value
        self.acceptors = tuple(acceptors)
        self.quorums = quorums
        self.timeout = timeout
        self.backoff = backoff
        self.backoff_base = backoff_base
        self.max_attempts = max_attempts  # ballots this proposer may try; 0 means no bound
        self.mutants = mutants
        self.round = stored.round if stored is not None else 0  # highest round used or seen
        self.ballot = NO_BALLOT
        self.phase = Phase.IDLE
        self.attempts = 0
        self.promises: dict[str, Proposal | None] = {}
        self.accepts: set[str] = set()
        self.proposal: Proposal | None = None

    # -- handlers -------------------------------------------------------------------------
    def on_start(self) -> list[Effect]:
        if self.phase is not Phase.IDLE:
            return []
        return self._new_ballot()

    def on_timeout(self, timer: Timer) -> list[Effect]:
        if timer is Timer.PHASE and self.phase in (Phase.PREPARING, Phase.ACCEPTING):
            return self._abandon()
        if timer is Timer.RETRY and self.phase is Phase.BACKING_OFF:
            return self._new_ballot()
        return []

    def on_message(self, msg: Message) -> list[Effect]:
        kind = type(msg)
        if kind is Promise:
            return self.on_promise(msg)  # type: ignore[arg-type]
        if kind is Accepted:
            return self.on_accepted(msg)  # type: ignore[arg-type]
        if kind is Nack:
            return self.on_nack(msg)  # type: ignore[arg-type]
        return []

    def on_promise(self, msg: Promise) -> list[Effect]:
        if self.phase is not Phase.PREPARING or msg.ballot != self.ballot:
            return []  # stale or duplicate: normal life
        self.promises[msg.src] = msg.accepted
        if not self.quorums.is_phase1(self.promises.keys()):
            return []
        value = self.choose_value()
        self.proposal = Proposal(self.ballot, value)
        self.phase = Phase.ACCEPTING
        effects: list[Effect] = [Send(Accept(self.name, a, self.ballot, value))
                                 for a in self.acceptors]
        effects.append(SetTimer(Timer.PHASE, self.timeout))
        return effects

    def choose_value(self) -> Value:
        """P2c: the value of the highest-numbered proposal reported, else our own."""
        highest: Proposal | None = None
        for accepted in self.promises.values():
            if accepted is not None and (highest is None or accepted.ballot > highest.ballot):
                highest = accepted
        if highest is None or Mutant.IGNORE_PROMISED_VALUE in self.mutants:
            return self.value
        return highest.value

    def on_accepted(self, msg: Accepted) -> list[Effect]:
        if self.phase is not Phase.ACCEPTING or msg.ballot != self.ballot:
            return []
        self.accepts.add(msg.src)
        if not self.quorums.is_phase2(self.accepts):
            return []
        self.phase = Phase.CHOSEN
        return [CancelTimer(Timer.PHASE)]

    def on_nack(self, msg: Nack) -> list[Effect]:
        self.round = max(self.round, msg.promised.round)
        if msg.ballot != self.ballot or self.phase not in (Phase.PREPARING, Phase.ACCEPTING):
            return []
        return [CancelTimer(Timer.PHASE), *self._abandon()]

    # -- steps ----------------------------------------------------------------------------
    def _new_ballot(self) -> list[Effect]:
        self.round += 1
        self.attempts += 1
        pid = 1 if Mutant.REUSE_BALLOT in self.mutants else self.pid
        self.ballot = Ballot(self.round, pid)
        self.phase = Phase.PREPARING
        self.promises = {}
        self.accepts = set()
        self.proposal = None
        name, ballot = self.name, self.ballot
        return [Persist(ProposerState(self.round)),
                *[Send(Prepare(name, a, ballot)) for a in self.acceptors],
                SetTimer(Timer.PHASE, self.timeout)]

    def _abandon(self) -> list[Effect]:
        if self.max_attempts and self.attempts >= self.max_attempts:
            self.phase = Phase.GAVE_UP
            return []
        wait = backoff_timer(self.backoff, self.backoff_base, self.attempts)
        if wait is None:
            return self._new_ballot()
        self.phase = Phase.BACKING_OFF
        return [wait]
