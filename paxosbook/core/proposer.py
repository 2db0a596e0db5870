"""The proposer: runs phase 1 (Prepare/Promise) and phase 2 (Accept/Accepted) for one value.

Shape (as every role here, after Stateright's actors): ``Proposer`` is the configuration, an
immutable value that never changes (name, id, value, acceptors, quorums, timing, mutants);
``ProposerState`` is the state, an immutable, hashable value; every handler is a pure function
of (config, state, input) that returns ``(next state, effects)``. The simulator, the model
checker and any later interpreter call these same handlers and keep the states themselves.

Rules, from "Paxos Made Simple" section 2.2-2.3:

* A new ballot is always higher than any this proposer used (its round is persisted before the
  Prepare goes out) and than any promise it has been told of by a ``Nack`` (``new_ballot``).
* P2c: on promises from a phase-1 quorum it proposes the value of the highest-numbered accepted
  proposal among them, or its own value if they report none (``choose_value``).
* On a phase-2 quorum of ``Accepted`` for its ballot it knows its proposal was chosen and stops.
* A ballot is abandoned on a ``Nack`` or when the phase timer fires; the next attempt follows
  the backoff policy: at once (``none``), after a fixed wait, after a random wait that doubles
  with each attempt (``exponential``), or after a random whole number of slots from a window
  that doubles with each attempt (``discrete``, Ethernet's binary exponential backoff); the
  interpreter draws the random part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple

from .ballot import NO_BALLOT, Ballot, Proposal, Value
from .effects import CancelTimer, Effect, Persist, ProposerRound, Send, SetTimer, Timer
from .errors import UsageError
from .messages import Accept, Accepted, Message, Nack, Prepare, Promise
from .mutants import Mutant
from .quorum import QuorumSystem


class Backoff(Enum):
    NONE = "none"
    FIXED = "fixed"
    EXPONENTIAL = "exponential"
    DISCRETE = "discrete"


MAX_DOUBLINGS = 8
"""Exponential and discrete backoff stop growing after this many doublings."""


def backoff_timer(backoff: Backoff, base: float, attempts: int,
                  window: int = 1) -> SetTimer | None:
    """The wait before the next ballot after ``attempts`` tries: ``None`` to retry at once,
    a fixed wait ``base``, a random wait in ``[0, base * 2**(attempts-1)]`` (exponential), or
    ``base`` times a whole number drawn uniformly from ``0 .. W-1`` with the window
    ``W = window * 2**(attempts-1)`` (discrete); both capped at ``MAX_DOUBLINGS`` doublings.
    The interpreter draws the random part."""
    if backoff is Backoff.NONE:
        return None
    if backoff is Backoff.FIXED:
        return SetTimer(Timer.RETRY, base)
    doublings = 2 ** min(attempts - 1, MAX_DOUBLINGS)
    if backoff is Backoff.DISCRETE:
        return SetTimer(Timer.RETRY, 0.0, base, window * doublings)
    return SetTimer(Timer.RETRY, 0.0, base * doublings)


def next_round(highest: int) -> int:
    """The round of a proposer's next ballot: above every round it used or was told of (paper
    2.3: "a proposer chooses a new proposal number greater than any it has used"). With the
    proposer's id as tie-breaker, ``Ballot(next_round(r), pid)`` is a ballot no one else
    issues and above every ballot this proposer knows of."""
    return highest + 1


def seen_round(highest: int, nack: Nack) -> int:
    """The highest round known after a ``Nack`` (paper 2.3's optimisation: the rejection tells
    the proposer the promise it must exceed)."""
    return max(highest, nack.promised.round)


class Phase(Enum):
    IDLE = "idle"
    PREPARING = "preparing"
    ACCEPTING = "accepting"
    BACKING_OFF = "backing-off"
    CHOSEN = "chosen"
    GAVE_UP = "gave-up"

    __hash__ = object.__hash__  # members are singletons; Enum's own hash is slow Python code


Promises = tuple[tuple[str, Proposal | None], ...]
"""The promises for the current ballot: ``(acceptor, highest proposal it reported)`` in the
order they first arrived (a repeat from the same acceptor replaces its entry in place)."""


class ProposerState(NamedTuple):
    """A proposer's state (TLA+ has no proposer variables: this is what the code needs).

    ``round`` is the highest round used or seen (the persisted part is ``ProposerRound``),
    ``attempts`` the ballots tried so far; ``promises`` and ``accepts`` are the answers to
    ``ballot`` collected in phase 1 and phase 2; ``proposal`` is what phase 2 proposes."""

    round: int
    ballot: Ballot
    phase: Phase
    attempts: int
    promises: Promises
    accepts: frozenset[str]
    proposal: Proposal | None


Step = tuple[ProposerState, list[Effect]]


@dataclass(frozen=True, slots=True)
class Proposer:
    """The configuration of one proposer: everything that never changes while it runs.

    ``max_attempts`` bounds the ballots it may try (0: no bound). ``mutants`` plants bugs.
    ``backoff_window`` is the discrete backoff's first window (in slots of ``backoff_base``)."""

    name: str
    pid: int
    value: Value
    acceptors: tuple[str, ...]
    quorums: QuorumSystem
    timeout: float
    backoff: Backoff = Backoff.NONE
    backoff_base: float = 1.0
    max_attempts: int = 0
    mutants: frozenset[Mutant] = field(default=frozenset())
    backoff_window: int = 1

    def __post_init__(self) -> None:
        if self.pid < 1:
            raise UsageError("pid", "an integer >= 1 (Ballot(0, 0) is the minimum ballot)",
                             self.pid)
        if not isinstance(self.acceptors, tuple):
            object.__setattr__(self, "acceptors", tuple(self.acceptors))

    # -- states ---------------------------------------------------------------------------
    def init(self, stored: ProposerRound | None = None) -> ProposerState:
        """The state at start, or after a restart from its stable storage ``stored``."""
        return ProposerState(stored.round if stored is not None else 0, NO_BALLOT, Phase.IDLE,
                             0, (), frozenset(), None)

    def preparing(self, state: ProposerState, ballot: Ballot) -> ProposerState:
        """``state`` in phase 1 of ``ballot``, with no promise yet and nothing sent: for a
        Multi-Paxos leader, whose one prepare for every slot was this slot's ``Prepare``. Feed
        it the slot's promises (``on_promise``) and it runs P2c and phase 2 itself."""
        return ProposerState(max(state.round, ballot.round), ballot, Phase.PREPARING,
                             state.attempts, (), frozenset(), None)

    # -- handlers -------------------------------------------------------------------------
    def on_start(self, s: ProposerState) -> Step:
        if s.phase is not Phase.IDLE:
            return s, []
        return self.new_ballot(s)

    def on_timeout(self, s: ProposerState, timer: Timer) -> Step:
        if timer is Timer.PHASE and (s.phase is Phase.PREPARING or s.phase is Phase.ACCEPTING):
            return self.abandon(s)
        if timer is Timer.RETRY and s.phase is Phase.BACKING_OFF:
            return self.new_ballot(s)
        return s, []

    def on_message(self, s: ProposerState, msg: Message) -> Step:
        kind = type(msg)
        if kind is Promise:
            return self.on_promise(s, msg)  # type: ignore[arg-type]
        if kind is Accepted:
            return self.on_accepted(s, msg)  # type: ignore[arg-type]
        if kind is Nack:
            return self.on_nack(s, msg)  # type: ignore[arg-type]
        return s, []

    def on_promise(self, s: ProposerState, msg: Promise) -> Step:
        if s.phase is not Phase.PREPARING or msg.ballot != s.ballot:
            return s, []  # stale or duplicate: normal life
        promises = _record(s.promises, msg.src, msg.accepted)
        if not self.quorums.is_phase1([a for a, _ in promises]):
            return s._replace(promises=promises), []
        ballot = s.ballot
        value = self.choose_value(promises)
        state = ProposerState(s.round, ballot, Phase.ACCEPTING, s.attempts, promises,
                              frozenset(), Proposal(ballot, value))
        name = self.name
        effects: list[Effect] = [Send(Accept(name, a, ballot, value)) for a in self.acceptors]
        effects.append(SetTimer(Timer.PHASE, self.timeout))
        return state, effects

    def choose_value(self, promises: Promises) -> Value:
        """P2c: the value of the highest-numbered proposal reported, else our own."""
        highest: Proposal | None = None
        for _, accepted in promises:
            if accepted is not None and (highest is None or accepted.ballot > highest.ballot):
                highest = accepted
        if highest is None or Mutant.IGNORE_PROMISED_VALUE in self.mutants:
            return self.value
        return highest.value

    def on_accepted(self, s: ProposerState, msg: Accepted) -> Step:
        if s.phase is not Phase.ACCEPTING or msg.ballot != s.ballot or msg.src in s.accepts:
            return s, []
        accepts = s.accepts | {msg.src}
        if not self.quorums.is_phase2(accepts):
            return s._replace(accepts=accepts), []
        return s._replace(phase=Phase.CHOSEN, accepts=accepts), [CancelTimer(Timer.PHASE)]

    def on_nack(self, s: ProposerState, msg: Nack) -> Step:
        round_ = seen_round(s.round, msg)
        if msg.ballot != s.ballot or not (s.phase is Phase.PREPARING
                                          or s.phase is Phase.ACCEPTING):
            return (s if round_ == s.round else s._replace(round=round_)), []
        state, effects = self.abandon(s._replace(round=round_))
        return state, [CancelTimer(Timer.PHASE), *effects]

    # -- steps ----------------------------------------------------------------------------
    def new_ballot(self, s: ProposerState) -> Step:
        """Phase 1a with a ballot above every one this proposer used or heard of; the round
        is persisted before the Prepares leave."""
        round_ = next_round(s.round)
        pid = 1 if Mutant.REUSE_BALLOT in self.mutants else self.pid
        ballot = Ballot(round_, pid)
        state = ProposerState(round_, ballot, Phase.PREPARING, s.attempts + 1, (), frozenset(),
                              None)
        name = self.name
        return state, [Persist(ProposerRound(round_)),
                       *[Send(Prepare(name, a, ballot)) for a in self.acceptors],
                       SetTimer(Timer.PHASE, self.timeout)]

    def resend(self, s: ProposerState) -> list[Effect]:
        """Phase 2a again, same ballot, to the acceptors that have not answered (an acceptor
        answers a repeat as it answered the first), and a new phase timer. Basic Paxos abandons
        a ballot whose phase timed out; a Multi-Paxos leader, whose ballot holds every slot,
        first tries again (``core.log.multi``)."""
        assert s.proposal is not None, "resend is for a proposer in phase 2"
        name, ballot, value, accepts = self.name, s.ballot, s.proposal.value, s.accepts
        effects: list[Effect] = [Send(Accept(name, a, ballot, value)) for a in self.acceptors
                                 if a not in accepts]
        effects.append(SetTimer(Timer.PHASE, self.timeout))
        return effects

    def abandon(self, s: ProposerState) -> Step:
        """Give up the current ballot: stop for good after ``max_attempts``, else try again at
        once or after the backoff."""
        if self.max_attempts and s.attempts >= self.max_attempts:
            return s._replace(phase=Phase.GAVE_UP), []
        wait = backoff_timer(self.backoff, self.backoff_base, s.attempts, self.backoff_window)
        if wait is None:
            return self.new_ballot(s)
        return s._replace(phase=Phase.BACKING_OFF), [wait]


def _record(promises: Promises, acceptor: str, accepted: Proposal | None) -> Promises:
    """``promises`` with ``acceptor``'s report set (kept in place if it answered before)."""
    for i, (a, _) in enumerate(promises):
        if a == acceptor:
            return (*promises[:i], (acceptor, accepted), *promises[i + 1:])
    return (*promises, (acceptor, accepted))
