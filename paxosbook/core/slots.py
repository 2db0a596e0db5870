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
for all slots, but never accepts). ``LogLearner`` learns each slot with the core ``Learner``
and *applies* slots in order: a slot is applied only when every earlier slot is known, so a
replica may lag behind but never skips a gap. ``LogProposer`` proposes its commands one at a
time, each in the lowest slot it does not know the outcome of; when the slot's ``Proposer``
ends with another value chosen (P2c made it adopt one), the command lost that slot and is tried
in the next. Catch-up: a learner that has heard of a slot it could not learn (lost
``Accepted``) asks the acceptors with ``CatchUp`` to send their acceptances again (section
2.3: learners may ask acceptors what they accepted). Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, NamedTuple

from .acceptor import Acceptor
from .ballot import Ballot, Proposal, Value
from .effects import AcceptorState, CancelTimer, Effect, Persist, ProposerState, Send, SetTimer
from .learner import Learner
from .messages import Accept, Accepted, Prepare
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
    """``state`` (an ``AcceptorState``, ``ProposerState`` or ``LogEntry``) of slot ``slot``."""

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


# -- learner ----------------------------------------------------------------------------------
class LogLearner:
    """A replica's log: learns each slot (a core ``Learner`` per slot) and applies in order.

    ``expected`` are the commands the run wants logged (it only decides ``complete``).
    ``catch_up`` is the delay after which a slot heard of but not learned is asked for again
    (0: never; the strawmen learn without quorums and never catch up).
    """

    __slots__ = ("acceptors", "applied", "armed", "catch_up", "done", "expected", "fruitless",
                 "learned", "name", "quorums", "slots", "watch")

    MAX_FRUITLESS = 3
    """Catch-up rounds without progress before the learner stops asking (until it hears more)."""

    def __init__(self, name: str, quorums: QuorumSystem | None, expected: Iterable[Value], *,
                 acceptors: Sequence[str] = (), catch_up: float = 0.0,
                 stored: Stored | None = None) -> None:
        self.name = name
        self.quorums = quorums
        self.expected = frozenset(expected)
        self.acceptors = tuple(acceptors)
        self.catch_up = catch_up
        self.slots: dict[int, Learner] = {}  # slots heard of, not learned yet
        self.learned: dict[int, LogEntry] = restore_slots(stored, LogEntry)
        self.applied: list[Value] = []
        self.done: set[Value] = set()
        self.armed = False
        self.watch = -1
        self.fruitless = 0
        self._apply()

    @property
    def complete(self) -> bool:
        return len(self.done) == len(self.expected)

    def behind(self) -> bool:
        """Is some slot at or below the highest one heard of still unknown?"""
        return bool(self.slots) or (bool(self.learned) and max(self.learned) > len(self.applied))

    def on_start(self) -> list[Effect]:
        """After a restart: ask the acceptors for everything from the first unapplied slot."""
        if not self.catch_up or self.complete:
            return []
        first = len(self.applied)
        return [send(CatchUp(self.name, a, first)) for a in self.acceptors] + self._arm()

    def on_accepted(self, env: Slotted) -> list[Effect]:
        slot = env.slot
        if slot in self.learned:
            return []
        learner = self.slots.get(slot)
        if learner is None:
            learner = self.slots[slot] = Learner(self.name, self.quorums)  # type: ignore[arg-type]
        effects = learner.on_message(env.msg)
        if not effects:
            return self._arm()
        learn: Any = effects[0]
        return self.learn(slot, learn.value, learn.ballot)

    def learn(self, slot: int, value: Value, ballot: Ballot | None) -> list[Effect]:
        """Record ``value`` for ``slot`` (the first learned stays), apply what became
        contiguous, and say so."""
        if slot in self.learned:
            return []
        self.slots.pop(slot, None)
        entry = self.learned[slot] = LogEntry(value, ballot)
        self._apply()
        learned: Any = LearnSlot(slot, value, ballot, self.complete)
        return [persist(SlotState(slot, entry)), learned, *self._arm()]

    def _apply(self) -> None:
        applied, learned, expected, done = self.applied, self.learned, self.expected, self.done
        while len(applied) in learned:
            value = learned[len(applied)].value
            applied.append(value)
            if value in expected:
                done.add(value)

    def _arm(self) -> list[Effect]:
        if not self.catch_up or self.armed or self.complete or not self.behind():
            return []
        self.armed = True
        self.watch = len(self.applied)
        return [set_timer(LogTimer.CATCH_UP, self.catch_up)]

    def on_timeout(self, timer: Any) -> list[Effect]:
        if timer is not LogTimer.CATCH_UP:
            return []
        self.armed = False
        if self.complete or not self.behind():
            return []
        first = len(self.applied)
        if first != self.watch:  # progress since the timer was set: just keep watching
            self.fruitless = 0
            return self._arm()
        self.fruitless += 1
        if self.fruitless > self.MAX_FRUITLESS:
            return []
        return [send(CatchUp(self.name, a, first)) for a in self.acceptors] + self._arm()


# -- proposer ---------------------------------------------------------------------------------
class LogProposer:
    """Logs ``commands`` one at a time, each by a core ``Proposer`` in one slot after another.

    Only after the slot's ``Proposer`` has seen a value chosen does it move on: to the next
    command if the value was its own, else with the same command to the next slot. So a
    command is never chosen in two slots: it is proposed in slot ``s`` only once every earlier
    slot it tried is known to hold another value.
    """

    __slots__ = ("acceptors", "backoff", "backoff_base", "chosen", "name", "pid", "proposer",
                 "quorums", "slot", "stored", "timeout", "todo")

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
        self.stored = restore_slots(stored, ProposerState)
        self.slot = 0
        self.proposer: Proposer | None = None
        self.chosen: dict[int, Value] = {}

    def on_start(self) -> list[Effect]:
        if self.proposer is not None or not self.todo:
            return []
        return self._begin()

    def _begin(self) -> list[Effect]:
        self.proposer = Proposer(
            self.name, self.pid, self.todo[0], self.acceptors, self.quorums,
            timeout=self.timeout, backoff=self.backoff, backoff_base=self.backoff_base,
            stored=self.stored.get(self.slot))
        return in_slot(self.slot, self.proposer.on_start())

    def on_slotted(self, env: Slotted) -> list[Effect]:
        if env.slot != self.slot or self.proposer is None:
            return []  # a reply about a slot already settled: normal life
        return in_slot(self.slot, self.proposer.on_message(env.msg)) + self._advance()

    def on_timeout(self, timer: Any) -> list[Effect]:
        if type(timer) is not SlotTimer or timer.slot != self.slot or self.proposer is None:
            return []
        return in_slot(self.slot, self.proposer.on_timeout(timer.timer)) + self._advance()

    def _advance(self) -> list[Effect]:
        p = self.proposer
        if p is None or p.phase is not Phase.CHOSEN or p.proposal is None:
            return []
        value = p.proposal.value
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


__all__ = ["NOOP", "REST", "CatchUp", "LearnSlot", "LogAcceptor", "LogEntry", "LogLearner",
           "LogProposer", "LogTimer", "Proposal", "SlotState", "SlotTimer", "Slotted",
           "cancel_timer", "in_slot", "persist", "prepared", "restore_slots", "send",
           "set_timer"]
