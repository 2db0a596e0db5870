"""The acceptor of every slot of a replicated log: a core ``Acceptor`` state per slot.

Theory of operation. The log adds no rule of Paxos (section 3 runs one instance per slot): a
replica's ``LogAcceptor`` keeps one core ``AcceptorState`` per slot it has seen and applies the
core ``Acceptor``'s handlers to it, so P1a and the promise rule live in ``core.acceptor`` only.
A slot's state is made on the first message for it, from ``rest``: one acceptor state standing
for every slot not seen yet (it can promise, through a Multi-Paxos prepare for all slots, see
``promise_all`` below, but never accepts); the new slot starts from ``rest``'s
promise with nothing accepted. A learner that missed acceptances asks with ``CatchUp`` and
gets them again. Like every role, the configuration (``LogAcceptor``) is apart from the state
(``LogAcceptorState``, an immutable value), and the handlers return ``(next state, effects)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..acceptor import Acceptor
from ..ballot import NO_BALLOT, Proposal
from ..effects import AcceptorState, Effect, Persist
from ..messages import Accept, Accepted, Nack, Prepare
from .envelope import (
    REST,
    CatchUp,
    SlotState,
    Slotted,
    Stored,
    in_slot,
    persist,
    restore_slots,
    send,
)
from .multi import MultiPrepare, MultiPromise
from .pmap import PMap


class LogAcceptorState(NamedTuple):
    """``rest``: the state of every slot not seen yet; ``slots``: each seen slot's state."""

    rest: AcceptorState
    slots: PMap[int, AcceptorState]


Step = tuple[LogAcceptorState, list[Effect]]


@dataclass(frozen=True)
class LogAcceptor:
    """The configuration of a replica's acceptor of every slot (its ``Acceptor`` per slot)."""

    name: str
    learners: tuple[str, ...]
    acceptor: Acceptor = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.learners, tuple):
            object.__setattr__(self, "learners", tuple(self.learners))
        object.__setattr__(self, "acceptor", Acceptor(self.name, self.learners))

    def init(self, stored: Stored | None = None) -> LogAcceptorState:
        """Every slot's state from stable storage (``SlotState``s; ``REST`` is ``rest``)."""
        states = restore_slots(stored, AcceptorState)
        rest = self.acceptor.init(states.pop(REST, None))
        return LogAcceptorState(rest, PMap({s: self.acceptor.init(st)
                                            for s, st in states.items()}))

    def slot(self, s: LogAcceptorState, slot: int) -> AcceptorState:
        """Slot ``slot``'s state; one not seen yet has ``rest``'s promise, nothing accepted."""
        state = s.slots.get(slot)
        return AcceptorState(s.rest.promised, None) if state is None else state

    def covering(self, s: LogAcceptorState, first: int) -> list[tuple[int, AcceptorState]]:
        """``rest`` and every seen slot from ``first`` on, in slot order."""
        seen = sorted((slot, a) for slot, a in s.slots.items() if slot >= first)
        return [(REST, s.rest), *seen]

    def on_slotted(self, s: LogAcceptorState, env: Slotted) -> Step:
        msg, kind = env.msg, type(env.msg)
        handler: Callable[[AcceptorState, Any], tuple[AcceptorState, list[Effect]]]
        if kind is Prepare:
            handler = self.acceptor.on_prepare
        elif kind is Accept:
            handler = self.acceptor.on_accept
        else:
            return s, []
        slot = env.slot
        before = s.slots.get(slot)
        state, effects = handler(AcceptorState(s.rest.promised, None) if before is None
                                 else before, msg)
        if state is not before:  # a slot is made on its first message, even if unchanged
            s = LogAcceptorState(s.rest, s.slots.set(slot, state))
        return s, in_slot(slot, effects)

    def on_catch_up(self, s: LogAcceptorState, msg: CatchUp) -> Step:
        """Send again, to the asking learner only, what each slot from ``first`` accepted."""
        out: list[Effect] = []
        for slot, state in sorted(s.slots.items()):
            accepted = state.accepted
            if slot >= msg.first and accepted is not None:
                again = Accepted(self.name, msg.src, accepted.ballot, accepted.value)
                out.append(send(Slotted(self.name, msg.src, slot, again)))
        return s, out


# -- Multi-Paxos: a prepare for all slots ----------------------------------------------------
def promise_all(log: LogAcceptor, s: LogAcceptorState, msg: MultiPrepare
                ) -> tuple[LogAcceptorState, list[Effect]]:
    """An acceptor's answer to a prepare for all slots from ``msg.first`` on: the core
    acceptor's ``on_prepare`` applied to ``rest`` and to every slot seen from ``first`` on."""
    prepare = Prepare(msg.src, log.name, msg.ballot)
    on_prepare = log.acceptor.on_prepare
    effects: list[Effect] = []
    reports: list[tuple[int, Proposal]] = []
    refused = NO_BALLOT
    rest, slots = s.rest, s.slots
    for slot, state in log.covering(s, msg.first):
        new, replies = on_prepare(state, prepare)
        if new is not state:
            if slot == REST:
                rest = new
            else:
                slots = slots.set(slot, new)
        for eff in replies:
            if type(eff) is Persist:
                effects.append(persist(SlotState(slot, eff[0])))
                continue
            reply: Any = eff[0]
            if type(reply) is Nack:
                refused = max(refused, reply.promised)
            elif reply.accepted is not None and slot != REST:
                reports.append((slot, reply.accepted))
    if refused != NO_BALLOT:
        effects.append(send(Nack(log.name, msg.src, msg.ballot, refused)))
    else:
        effects.append(send(MultiPromise(log.name, msg.src, msg.ballot, msg.first,
                                         tuple(reports))))
    if rest is not s.rest or slots is not s.slots:
        s = LogAcceptorState(rest, slots)
    return s, effects


__all__ = ["LogAcceptor", "LogAcceptorState", "promise_all"]
