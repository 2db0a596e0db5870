"""The envelope of a replicated log: what the log roles add to a core role's messages.

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

The roles are ``LogAcceptor`` (``core.log.acceptor``), ``LogProposer`` (``core.log.proposer``),
``MultiProposer`` (``core.log.multi``) and ``LogLearner`` (``core.log.learner``). Standard
library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any, NamedTuple

from ..ballot import Ballot, Value
from ..effects import CancelTimer, Effect, Persist, Send, SetTimer

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
    """Tag a per-slot role's effects with ``slot``: envelopes, slot timers, slot states (kept
    flat: every message of a log run passes here)."""
    out: list[Effect] = []
    append = out.append
    for eff in effects:
        kind = type(eff)
        if kind is Send:
            msg: Any = eff[0]
            append(Send(Slotted(msg[0], msg[1], slot, msg)))  # type: ignore[arg-type]
        elif kind is SetTimer:
            append(SetTimer(SlotTimer(eff[0], slot), eff[1], eff[2], eff[3]))  # type: ignore[arg-type,misc]
        elif kind is CancelTimer:
            append(CancelTimer(SlotTimer(eff[0], slot)))  # type: ignore[arg-type]
        elif kind is Persist:
            append(Persist(SlotState(slot, eff[0])))  # type: ignore[arg-type]
        else:
            append(eff)
    return out


def restore_slots(stored: Stored | None, kind: type) -> dict[int, Any]:
    """Every ``(slot, kind)`` entry of ``stored``, by slot."""
    if not stored:
        return {}
    return {key[0]: value for key, value in stored.items()
            if type(key) is tuple and key[1] is kind}


__all__ = ["NOOP", "REST", "CatchUp", "LearnSlot", "LogEntry", "LogTimer", "SlotState",
           "SlotTimer", "Slotted", "Stored", "cancel_timer", "in_slot", "persist",
           "restore_slots", "send", "set_timer"]
