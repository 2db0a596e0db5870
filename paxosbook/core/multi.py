"""Multi-Paxos: a stable leader runs phase 1 once for all future slots, then phase 2 per command.

Theory of operation, after "Paxos Made Simple", section 3. A new leader "executes phase 1 for
infinitely many instances of the consensus algorithm", with "a single reasonably short
message" that cannot be sent one slot at a time: ``MultiPrepare(ballot, first)`` is a prepare
request for every slot from ``first`` on (the slots below are ones the leader knows are
chosen). An acceptor answers it exactly as each slot's acceptor answers a ``Prepare``
(``Acceptor.on_prepare``, the one rule, applied to every slot it has seen from ``first`` on and
to ``LogAcceptor.rest`` for all the others): a ``MultiPromise`` carrying the highest-numbered
proposal accepted in every slot that has one, or a ``Nack`` if some slot has promised a higher
ballot. The leader then runs each slot with a core ``Proposer`` already in phase 1 of its
ballot (``slots.prepared``), fed the slot's promises: P2c picks the value of every slot some
acceptor reported (the accepted-but-unlearned slots of a crashed leader are recovered this way,
section 3's "instances 135 and 140"); slots between them that no acceptor reported get a
no-op; new commands go to the slots after. In steady state a command costs only phase 2.

Who leads. The proposers are ordered (the first is the initial leader); the others send their
commands to the one they believe leads with ``Submit`` and wait for an ``Ack``. A proposer
whose command is not acknowledged in time takes over: it runs phase 1 with a higher ballot
(each time it took over and lost, it waits twice as long before the next try). A leader that
is refused (``Nack``) because another proposer holds a higher ballot steps down and sends its
queue to that one. A phase that times out is sent again to the acceptors that did not answer
(``RESENDS`` times, same ballot); after that, or on any other refusal, the leader abandons its
ballot and, after the backoff, runs phase 1 again. Leaders propose one new command at a time,
in the first slot not known to be chosen, and only if the command is not already in the part
of the log they know: so no command is chosen in two slots, whoever leads (as for
``LogProposer``). Standard library only; handlers return effects.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any, NamedTuple

from .ballot import NO_BALLOT, Ballot, Proposal, Value
from .effects import CancelTimer, Effect, Persist, ProposerRound, Send, SetTimer, Timer
from .messages import Accept, Accepted, Nack, Prepare, Promise
from .proposer import Backoff, Phase, Proposer, backoff_timer
from .quorum import QuorumSystem
from .slots import (
    NOOP,
    REST,
    LogAcceptor,
    LogTimer,
    SlotState,
    Slotted,
    cancel_timer,
    in_slot,
    persist,
    prepared,
    send,
    set_timer,
)


class MultiPrepare(NamedTuple):
    """Phase 1a for every slot from ``first`` on."""

    src: str
    dst: str
    ballot: Ballot
    first: int


class MultiPromise(NamedTuple):
    """Phase 1b for every slot from ``first`` on: ``accepted`` lists ``(slot, proposal)``, the
    highest-numbered proposal accepted in each slot that has one."""

    src: str
    dst: str
    ballot: Ballot
    first: int
    accepted: tuple[tuple[int, Proposal], ...]


class Submit(NamedTuple):
    """Please log ``value`` for ``origin``; ``hops`` counts forwardings between proposers."""

    src: str
    dst: str
    value: Value
    origin: str
    hops: int = 0


class Ack(NamedTuple):
    """``value`` is chosen, in slot ``slot``."""

    src: str
    dst: str
    value: Value
    slot: int


def promise_all(log: LogAcceptor, msg: MultiPrepare) -> list[Effect]:
    """An acceptor's answer to a prepare for all slots from ``msg.first`` on."""
    prepare = Prepare(msg.src, log.name, msg.ballot)
    effects: list[Effect] = []
    reports: list[tuple[int, Proposal]] = []
    refused = NO_BALLOT
    for slot, acceptor in log.covering(msg.first):
        for eff in acceptor.on_prepare(prepare):
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
    return effects


RESENDS = 2
"""A leader resends an unanswered prepare or accept this many times (same ballot: acceptors
answer a repeat the same way) before it abandons its ballot."""
MAX_PATIENCE = 16
"""A follower that lost the lead waits up to this many ack timeouts before taking over."""


class Role(Enum):
    FOLLOWER = "follower"
    PREPARING = "preparing"
    LEADING = "leading"
    BACKING_OFF = "backing-off"


Entry = tuple[Value, str]
"""A command waiting to be logged and the proposer to acknowledge: ``(value, origin)``."""


class MultiProposer:
    """One proposer of a Multi-Paxos deployment: follower, or leader of all slots."""

    __slots__ = (
        "acceptors",
        "ack_timeout",
        "attempts",
        "backoff",
        "backoff_base",
        "ballot",
        "first",
        "fresh",
        "leader",
        "log",
        "name",
        "next",
        "own",
        "patience",
        "pid",
        "promises",
        "proposers",
        "queue",
        "quorums",
        "resent",
        "role",
        "round",
        "slots",
        "timeout",
        "where",
    )

    def __init__(self, name: str, pid: int, commands: Sequence[Value], proposers: Sequence[str],
                 acceptors: Sequence[str], quorums: QuorumSystem, *, timeout: float,
                 backoff: Backoff = Backoff.EXPONENTIAL, backoff_base: float = 1.0,
                 ack_timeout: float | None = None, stored: ProposerRound | None = None) -> None:
        self.name = name
        self.pid = pid
        self.proposers = tuple(proposers)  # proposer with id i is proposers[i - 1]
        self.acceptors = tuple(acceptors)
        self.quorums = quorums
        self.timeout = timeout
        self.backoff = backoff
        self.backoff_base = backoff_base
        self.ack_timeout = ack_timeout if ack_timeout is not None else 4 * timeout
        self.patience = self.ack_timeout  # doubles each time it took over and lost the lead
        self.own = list(commands)  # own commands not acknowledged yet
        self.leader = self.proposers[0]
        self.role = Role.FOLLOWER
        self.round = stored.round if stored is not None else 0
        self.ballot = NO_BALLOT
        self.attempts = 0
        self.promises: dict[str, MultiPromise] = {}
        self.log: dict[int, Value] = {}  # slots known chosen
        self.where: dict[Value, int] = {}  # value -> a slot it is chosen in
        self.first = 0  # lowest slot not known chosen
        self.next = 0  # slot of the next new command
        self.slots: dict[int, Proposer] = {}  # slots in phase 2
        self.fresh: dict[int, Entry] = {}  # slots holding a new command, and for whom
        self.queue: list[Entry] = []
        self.resent: dict[int, int] = {}  # slot (or -1 for phase 1) -> times resent

    # -- follower -----------------------------------------------------------------------------
    def on_start(self) -> list[Effect]:
        if self.leader != self.name:
            return self._submit_own()
        for v in self.own:
            self._enqueue((v, self.name))
        if self.role is Role.FOLLOWER:
            return self._prepare()
        return self._propose_next()  # already leading: a Submit came first

    def _submit_own(self) -> list[Effect]:
        if not self.own:
            return []
        effects: list[Effect] = [send(Submit(self.name, self.leader, v, self.name))
                                 for v in self.own]
        effects.append(set_timer(LogTimer.ACK, self.patience, self.timeout))
        return effects

    def on_submit(self, msg: Submit) -> list[Effect]:
        entry = (msg.value, msg.origin)
        if self.role is not Role.FOLLOWER:
            self._enqueue(entry)
            return self._propose_next()
        if self.leader != self.name and msg.hops < len(self.proposers):
            return [send(msg._replace(src=self.name, dst=self.leader, hops=msg.hops + 1))]
        self._enqueue(entry)
        return self._prepare()  # taken for the leader: lead

    def on_ack(self, msg: Ack) -> list[Effect]:
        self.patience = self.ack_timeout  # the leader works
        return self._acked(msg.value)

    def _acked(self, value: Value) -> list[Effect]:
        if value in self.own:
            self.own.remove(value)
            if not self.own:
                return [cancel_timer(LogTimer.ACK)]
        return []

    def _ack(self, value: Value, origin: str, slot: int) -> list[Effect]:
        if origin == self.name:
            return self._acked(value)
        return [send(Ack(self.name, origin, value, slot))]

    def _enqueue(self, entry: Entry) -> None:
        if entry not in self.queue and entry not in self.fresh.values():
            self.queue.append(entry)

    # -- phase 1 ------------------------------------------------------------------------------
    def _prepare(self) -> list[Effect]:
        """Phase 1 for every slot not known chosen, with a ballot above any seen."""
        self._requeue()
        self.round += 1
        self.attempts += 1
        self.ballot = Ballot(self.round, self.pid)
        self.role = Role.PREPARING
        self.leader = self.name
        self.promises = {}
        self.resent = {}
        effects: list[Effect] = [Persist(ProposerRound(self.round)), cancel_timer(LogTimer.ACK)]
        effects += [send(MultiPrepare(self.name, a, self.ballot, self.first))
                    for a in self.acceptors]
        effects.append(SetTimer(Timer.PHASE, self.timeout))
        return effects

    def on_multi_promise(self, msg: MultiPromise) -> list[Effect]:
        if self.role is not Role.PREPARING or msg.ballot != self.ballot:
            return []  # stale or duplicate
        self.promises[msg.src] = msg
        if not self.quorums.is_phase1(self.promises.keys()):
            return []
        self.role = Role.LEADING
        self.attempts = 0
        reports: dict[int, dict[str, Proposal]] = {}
        for acceptor, promise in self.promises.items():
            for slot, proposal in promise.accepted:
                if slot >= self.first and slot not in self.log:
                    reports.setdefault(slot, {})[acceptor] = proposal
        known = [s for s in self.log if s >= self.first]
        top = max([*reports, *known], default=self.first - 1)
        effects: list[Effect] = [CancelTimer(Timer.PHASE)]
        for slot in range(self.first, top + 1):
            if slot not in self.log:  # reported: P2c recovers it; a gap: no-op
                effects += self._run_slot(slot, NOOP, reports.get(slot, {}))
        self.next = max(top + 1, self.first)
        return effects + self._propose_next()

    def _run_slot(self, slot: int, value: Value, reports: dict[str, Proposal]) -> list[Effect]:
        """Phase 2 of ``slot``: a core ``Proposer`` fed this slot's part of each promise."""
        proposer = prepared(Proposer(self.name, self.pid, value, self.acceptors, self.quorums,
                                     timeout=self.timeout), self.ballot)
        self.slots[slot] = proposer
        effects: list[Effect] = []
        for acceptor in self.promises:
            effects += proposer.on_promise(Promise(acceptor, self.name, self.ballot,
                                                   reports.get(acceptor)))
        return in_slot(slot, effects)

    # -- phase 2 ------------------------------------------------------------------------------
    def _propose_next(self) -> list[Effect]:
        """The next new command, in the next slot, once every earlier slot is chosen."""
        if self.role is not Role.LEADING or self.slots:
            return []
        effects: list[Effect] = []
        while self.queue:
            value, origin = self.queue.pop(0)
            if value in self.where:  # already in the log: say so, do not log it twice
                effects += self._ack(value, origin, self.where[value])
                continue
            slot = self.next
            self.next += 1
            self.fresh[slot] = (value, origin)
            return effects + self._run_slot(slot, value, {})
        return effects

    def on_slotted(self, env: Slotted) -> list[Effect]:
        msg = env.msg
        if type(msg) is Nack:
            return self.on_nack(msg)
        proposer = self.slots.get(env.slot)
        if type(msg) is not Accepted or proposer is None or self.role is not Role.LEADING:
            return []
        effects = in_slot(env.slot, proposer.on_accepted(msg))
        if proposer.phase is Phase.CHOSEN and proposer.proposal is not None:
            effects += self._chosen(env.slot, proposer.proposal.value)
        return effects

    def _chosen(self, slot: int, value: Value) -> list[Effect]:
        del self.slots[slot]
        self.log[slot] = value
        self.where.setdefault(value, slot)
        while self.first in self.log:
            self.first += 1
        effects: list[Effect] = []
        entry = self.fresh.pop(slot, None)
        if entry is not None:
            effects += self._ack(value, entry[1], slot)
        return effects + self._propose_next()

    # -- losing the lead ----------------------------------------------------------------------
    def on_nack(self, msg: Nack) -> list[Effect]:
        self.round = max(self.round, msg.promised.round)
        if msg.ballot != self.ballot or self.role not in (Role.PREPARING, Role.LEADING):
            return []
        pid = msg.promised.proposer
        owner = self.proposers[pid - 1] if 1 <= pid <= len(self.proposers) else self.name
        if owner != self.name:
            return self._step_down(owner)
        return self._abandon()

    def _requeue(self) -> None:
        """Put the new commands of abandoned slots back at the head of the queue."""
        waiting = [e for _, e in sorted(self.fresh.items())]
        self.queue = waiting + [e for e in self.queue if e not in waiting]
        self.fresh = {}
        self.slots = {}

    def _step_down(self, leader: str) -> list[Effect]:
        self._requeue()
        self.patience = min(2 * self.patience, MAX_PATIENCE * self.ack_timeout)
        self.role = Role.FOLLOWER
        self.leader = leader
        effects: list[Effect] = [CancelTimer(Timer.PHASE)]
        effects += [send(Submit(self.name, leader, v, origin))
                    for v, origin in self.queue if origin != self.name]
        self.queue = []
        return effects + self._submit_own()

    def _abandon(self) -> list[Effect]:
        self._requeue()
        wait = backoff_timer(self.backoff, self.backoff_base, self.attempts)
        if wait is None:
            return self._prepare()
        self.role = Role.BACKING_OFF
        return [wait]

    def _resend(self, key: int) -> list[Effect] | None:
        """Send the unanswered part of phase 1 (``key`` -1) or of a slot's phase 2 again, or
        ``None`` once that was done ``RESENDS`` times."""
        times = self.resent.get(key, 0)
        if times >= RESENDS:
            return None
        self.resent[key] = times + 1
        if key < 0:
            out: list[Effect] = [send(MultiPrepare(self.name, a, self.ballot, self.first))
                                 for a in self.acceptors if a not in self.promises]
            return [*out, SetTimer(Timer.PHASE, self.timeout)]
        proposer = self.slots[key]
        assert proposer.proposal is not None
        value = proposer.proposal.value
        again = [Send(Accept(self.name, a, self.ballot, value)) for a in self.acceptors
                 if a not in proposer.accepts]
        return in_slot(key, [*again, SetTimer(Timer.PHASE, self.timeout)])

    def on_timeout(self, timer: Any) -> list[Effect]:
        if timer is Timer.PHASE and self.role is Role.PREPARING:
            again = self._resend(-1)
            return again if again is not None else self._abandon()
        if timer is Timer.RETRY and self.role is Role.BACKING_OFF:
            return self._prepare()
        if timer is LogTimer.ACK and self.role is Role.FOLLOWER and self.own:
            for v in self.own:
                self._enqueue((v, self.name))
            return self._prepare()  # the leader is silent: take over
        slot = getattr(timer, "slot", None)
        if type(timer) is not Timer and slot in self.slots and self.role is Role.LEADING:
            again = self._resend(slot)  # phase 2 of a slot timed out
            return again if again is not None else self._abandon()
        return []


__all__ = ["Ack", "MultiPrepare", "MultiPromise", "MultiProposer", "Role", "Submit",
           "promise_all"]
