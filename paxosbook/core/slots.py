"""A replicated log: one Basic Paxos instance per slot, run by the core's own roles.

Theory of operation. "Paxos Made Simple", section 3: a set of servers implements a state
machine by running "a sequence of separate instances of the Paxos consensus algorithm, the
value chosen by the i-th instance being the i-th state machine command in the sequence". This
module adds no rule of Paxos. Each slot has its own ``Acceptor``, ``Proposer`` and ``Learner``
from this package; the log roles below only keep one of them per slot and tag what they say
with the slot:

* a message of slot ``s`` travels in a ``Slotted(src, dst, s, msg)`` envelope;
* a timer becomes ``SlotTimer(timer, s)`` and a persisted state ``SlotState(s, state)``
  (stable storage keyed by ``(slot, type of state)``);
* a replica that learns slot ``s`` says ``LearnSlot(s, value, ballot, complete)``, and
  persists the slot as a ``LogEntry``.

``LogAcceptor`` materialises a slot's acceptor on the first message for it, from ``rest``: one
acceptor standing for every slot not seen yet (it can promise, through a Multi-Paxos prepare
for all slots, but never accepts). ``LogProposer`` proposes its commands one at a time, each in
the lowest slot it does not know the outcome of; when the slot's ``Proposer`` ends with another
value chosen (P2c made it adopt one), the command lost that slot and is tried in the next. The
replica's learner is ``core.replica.LogLearner``. Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, NamedTuple

from .acceptor import Acceptor
from .ballot import Ballot, Proposal, Value
from .effects import AcceptorState, CancelTimer, Effect, Persist, ProposerRound, Send, SetTimer
from .learner import Learner
from .messages import Accept, Accepted, Prepare, Promise
from .proposer import Backoff, Phase, Proposer
from .quorum import QuorumSystem

NOOP: Value = "no-op"
"""The command a leader proposes to fill a gap in the log (section 3); it changes nothing."""

REST = -1
"""The slot number under which ``LogAcceptor.rest`` (every slot not seen yet) is stored."""

Stored = Mapping[Any, Any]
"""A node's stable storage: ``{type: state}`` and ``{(slot, type): state}`` entries."""


class LogTimer(Enum):
    """Timers of the log roles that belong to no single slot."""

    ACK = "ack"
    """A command submitted to the leader was not acknowledged in time."""
    CATCH_UP = "catch-up"
    """Time to check whether a slot heard of is still unlearned."""
    FORWARD = "forward"
    """A sequencer's next forwarding step (the strawman in ``paxosbook.replication``)."""

    __hash__ = object.__hash__


class Slotted(NamedTuple):
    """``msg`` (any message) belonging to log slot ``slot``; ``src``/``dst`` are its own."""

    src: str
    dst: str
    slot: int
    msg: Any


class SlotTimer(NamedTuple):
    """A per-slot role's ``timer`` for slot ``slot``."""

    timer: Any
    slot: int

    @property
    def value(self) -> str:
        """The name shown in a trace: ``"phase@3"``."""
        return f"{self.timer.value}@{self.slot}"


class SlotState(NamedTuple):
    """``state`` (an ``AcceptorState``, ``ProposerRound`` or ``LogEntry``) of slot ``slot``."""

    slot: int
    state: Any

    @property
    def key(self) -> tuple[int, type]:
        """Where stable storage keeps it."""
        return (self.slot, type(self.state))


class LogEntry(NamedTuple):
    """What a replica keeps of a slot it learned (``ballot`` is ``None`` without Paxos)."""

    value: Value
    ballot: Ballot | None


class LearnSlot(NamedTuple):
    """Effect: the replica learned ``value`` for ``slot``; ``complete`` once its applied log
    holds every command it expects (the simulator's "decided")."""

    slot: int
    value: Value
    ballot: Ballot | None
    complete: bool = False


class CatchUp(NamedTuple):
    """Learner to acceptor: send again your acceptances for every slot from ``first`` on."""

    src: str
    dst: str
    first: int


def send(msg: Any) -> Send:
    """A ``Send`` of any message (log messages are not in the Basic Paxos ``Message`` union)."""
    return Send(msg)


def persist(state: Any) -> Persist:
    """A ``Persist`` of any state (slot states are not in the Basic Paxos union)."""
    return Persist(state)


def set_timer(timer: Any, delay: float, jitter: float = 0.0) -> SetTimer:
    """A ``SetTimer`` of any timer key (the core's ``Timer`` names only the proposer's)."""
    return SetTimer(timer, delay, jitter)


def cancel_timer(timer: Any) -> CancelTimer:
    return CancelTimer(timer)


def in_slot(slot: int, effects: Iterable[Effect]) -> list[Effect]:
    """Tag a per-slot role's effects with ``slot``: envelopes, slot timers, slot states."""
    out: list[Effect] = []
    for eff in effects:
        if isinstance(eff, Send):
            msg = eff.msg
            out.append(send(Slotted(msg.src, msg.dst, slot, msg)))
        elif isinstance(eff, SetTimer):
            out.append(set_timer(SlotTimer(eff.timer, slot), eff.delay, eff.jitter))
        elif isinstance(eff, CancelTimer):
            out.append(cancel_timer(SlotTimer(eff.timer, slot)))
        elif isinstance(eff, Persist):
            out.append(persist(SlotState(slot, eff.state)))
        else:
            out.append(eff)
    return out


def restore_slots(stored: Stored | None, kind: type) -> dict[int, Any]:
    """Every ``(slot, kind)`` entry of ``stored``, by slot."""
    if not stored:
        return {}
    return {key[0]: value for key, value in stored.items()
            if type(key) is tuple and key[1] is kind}


# -- acceptor ---------------------------------------------------------------------------------
class LogAcceptor:
    """The acceptor of every slot: a core ``Acceptor`` per slot seen, plus ``rest``."""

    __slots__ = ("learners", "name", "rest", "slots")

    def __init__(self, name: str, learners: Sequence[str], stored: Stored | None = None) -> None:
        self.name = name
        self.learners = tuple(learners)
        states = restore_slots(stored, AcceptorState)
        self.rest = Acceptor.restore(name, self.learners, states.pop(REST, None))
        self.slots = {s: Acceptor.restore(name, self.learners, st) for s, st in states.items()}

    def acceptor(self, slot: int) -> Acceptor:
        """Slot ``slot``'s acceptor; a new one starts from ``rest``'s promise, nothing accepted."""
        acc = self.slots.get(slot)
        if acc is None:
            acc = self.slots[slot] = Acceptor(self.name, self.learners,
                                              AcceptorState(self.rest.state.promised, None))
        return acc

    def covering(self, first: int) -> list[tuple[int, Acceptor]]:
        """``rest`` and every seen slot from ``first`` on, in slot order."""
        seen = sorted((s, a) for s, a in self.slots.items() if s >= first)
        return [(REST, self.rest), *seen]

    def on_slotted(self, env: Slotted) -> list[Effect]:
        msg, kind = env.msg, type(env.msg)
        if kind is Prepare:
            return in_slot(env.slot, self.acceptor(env.slot).on_prepare(msg))
        if kind is Accept:
            return in_slot(env.slot, self.acceptor(env.slot).on_accept(msg))
        return []

    def on_catch_up(self, msg: CatchUp) -> list[Effect]:
        """Send again, to the asking learner only, what each slot from ``first`` accepted."""
        out: list[Effect] = []
        for slot, acc in sorted(self.slots.items()):
            accepted = acc.state.accepted
            if slot >= msg.first and accepted is not None:
                again = Accepted(self.name, msg.src, accepted.ballot, accepted.value)
                out.append(send(Slotted(self.name, msg.src, slot, again)))
        return out


# -- proposer ---------------------------------------------------------------------------------
class LogProposer:
    """Logs ``commands`` one at a time, each by a core ``Proposer`` in one slot after another.

    Only once it knows the value chosen in the slot does it move on: to the next command if the
    value was its own, else with the same command to the next slot. So a command is never
    chosen in two slots: it is proposed in slot ``s`` only once every earlier slot it tried is
    known to hold another value. It knows when its ``Proposer`` saw a phase-2 quorum accept, or
    earlier, when its slot's core ``Learner`` does: every ``Accepted`` it receives and every
    proposal a ``Promise`` reports is a vote of that acceptor (paper, 2.1: chosen once a quorum
    has accepted one proposal), so a proposer that only needs to find out a slot already taken
    usually knows after phase 1.
    """

    __slots__ = ("acceptors", "backoff", "backoff_base", "chosen", "learner", "name", "pid",
                 "proposer", "quorums", "slot", "stored", "timeout", "todo")

    def __init__(self, name: str, pid: int, commands: Sequence[Value], acceptors: Sequence[str],
                 quorums: QuorumSystem, *, timeout: float, backoff: Backoff = Backoff.NONE,
                 backoff_base: float = 1.0, stored: Stored | None = None) -> None:
        self.name = name
        self.pid = pid
        self.todo = list(commands)
        self.acceptors = tuple(acceptors)
        self.quorums = quorums
        self.timeout = timeout
        self.backoff = backoff
        self.backoff_base = backoff_base
        self.stored = restore_slots(stored, ProposerRound)
        self.slot = 0
        self.proposer: Proposer | None = None
        self.learner = Learner(name, quorums)
        self.chosen: dict[int, Value] = {}

    def on_start(self) -> list[Effect]:
        if self.proposer is not None or not self.todo:
            return []
        return self._begin()

    def _begin(self) -> list[Effect]:
        self.learner = Learner(self.name, self.quorums)
        self.proposer = Proposer(
            self.name, self.pid, self.todo[0], self.acceptors, self.quorums,
            timeout=self.timeout, backoff=self.backoff, backoff_base=self.backoff_base,
            stored=self.stored.get(self.slot))
        return in_slot(self.slot, self.proposer.on_start())

    def on_slotted(self, env: Slotted) -> list[Effect]:
        if env.slot != self.slot or self.proposer is None:
            return []  # a reply about a slot already settled: normal life
        msg = env.msg
        vote: Any = msg
        if type(msg) is Promise:
            vote = None if msg.accepted is None else Accepted(
                msg.src, msg.dst, msg.accepted.ballot, msg.accepted.value)
        if vote is not None:
            self.learner.on_message(vote)
        return in_slot(self.slot, self.proposer.on_message(msg)) + self._advance()

    def on_timeout(self, timer: Any) -> list[Effect]:
        if type(timer) is not SlotTimer or timer.slot != self.slot or self.proposer is None:
            return []
        return in_slot(self.slot, self.proposer.on_timeout(timer.timer)) + self._advance()

    def _advance(self) -> list[Effect]:
        p, learned = self.proposer, self.learner.learned
        if p is None:
            return []
        if learned is not None:
            value = learned.value
        elif p.phase is Phase.CHOSEN and p.proposal is not None:
            value = p.proposal.value
        else:
            return []
        self.chosen[self.slot] = value
        if value == self.todo[0]:
            self.todo.pop(0)
        self.slot += 1
        self.proposer = None
        return self._begin() if self.todo else []


def prepared(proposer: Proposer, ballot: Ballot) -> Proposer:
    """Put a fresh ``proposer`` in phase 1 of ``ballot`` without sending anything: for a
    Multi-Paxos leader, its one prepare for all slots was this slot's ``Prepare``. Feed it the
    slot's promises (``on_promise``) and it runs P2c and phase 2 itself."""
    proposer.round = max(proposer.round, ballot.round)
    proposer.ballot = ballot
    proposer.phase = Phase.PREPARING
    proposer.promises = {}
    proposer.accepts = set()
    proposer.proposal = None
    return proposer


__all__ = ["NOOP", "REST", "CatchUp", "LearnSlot", "LogAcceptor", "LogEntry",
           "LogProposer", "LogTimer", "Proposal", "SlotState", "SlotTimer", "Slotted",
           "cancel_timer", "in_slot", "persist", "prepared", "restore_slots", "send",
           "set_timer"]
