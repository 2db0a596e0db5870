"""Multi-Paxos: a stable leader runs phase 1 once for all future slots, then phase 2 per command.

Theory of operation, after "Paxos Made Simple", section 3. A new leader "executes phase 1 for
infinitely many instances of the consensus algorithm", with "a single reasonably short message"
that cannot be sent one slot at a time: ``MultiPrepare(ballot, first)`` is a prepare request
for every slot from ``first`` on (the slots below are ones the leader knows are chosen). An
acceptor answers it exactly as each slot's acceptor answers a ``Prepare``
(``Acceptor.on_prepare``, the one rule, applied by ``core.log.acceptor.promise_all`` to every
slot it has seen from ``first`` on and to ``LogAcceptorState.rest`` for all the others): a
``MultiPromise`` carrying the highest-numbered proposal accepted in every slot that has one, or
a ``Nack`` if some slot has promised a higher ballot. The leader then runs each slot with a
core ``Proposer`` already in phase 1 of its ballot (``Proposer.preparing``), fed the slot's
promises: P2c picks the value of every slot some acceptor reported (the accepted-but-unlearned
slots of a crashed leader are recovered this way, section 3's "instances 135 and 140"); slots
between them that no acceptor reported get a no-op; new commands go to the slots after. In
steady state a command costs only phase 2.

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
``LogProposer``).

Shape: ``MultiProposer`` is the configuration, ``MultiState`` the state (an immutable value:
each slot in phase 2 is a core ``ProposerState``); handlers return ``(next state, effects)``.
The ballot steps are the core proposer's: ``next_round`` for a new ballot (its round persisted
as a ``ProposerRound``), ``seen_round`` on a ``Nack``, ``backoff_timer`` before the next
attempt, ``Proposer.preparing``/``on_promise``/``on_accepted`` per slot and
``Proposer.resend`` for a slot's phase 2 sent again. Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, NamedTuple

from ..ballot import NO_BALLOT, Ballot, Proposal, Value
from ..effects import CancelTimer, Effect, Persist, ProposerRound, SetTimer, Timer
from ..messages import Accepted, Nack, Promise
from ..proposer import (
    Backoff,
    Phase,
    Proposer,
    ProposerState,
    backoff_timer,
    next_round,
    seen_round,
)
from ..quorum import QuorumSystem
from .envelope import (
    NOOP,
    LogTimer,
    Slotted,
    Stored,
    cancel_timer,
    in_slot,
    send,
    set_timer,
)
from .pmap import EMPTY_MAP, PMap


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

    __hash__ = object.__hash__


Entry = tuple[Value, str]
"""A command waiting to be logged and the proposer to acknowledge: ``(value, origin)``."""


class MultiState(NamedTuple):
    """A Multi-Paxos proposer's state.

    ``leader``: who it believes leads; ``role``; ``round``, ``ballot``, ``attempts``: as a core
    proposer's; ``patience``: how long a follower waits for an ``Ack`` (doubles each time it
    took over and lost the lead); ``own``: its own commands not acknowledged yet;
    ``promises``: the ``MultiPromise`` of each acceptor for ``ballot``, in arrival order;
    ``log``: the slots known chosen, ``where``: a slot each chosen value is in; ``first``: the
    lowest slot not known chosen; ``next``: the slot of the next new command; ``slots``: the
    slots in phase 2, each a core proposer's state; ``fresh``: the slots holding a new
    command, and for whom; ``queue``: commands waiting; ``resent``: times the unanswered part
    of phase 1 (key -1) or of a slot's phase 2 was sent again."""

    leader: str
    role: Role
    round: int
    ballot: Ballot
    attempts: int
    patience: float
    own: tuple[Value, ...]
    promises: tuple[tuple[str, MultiPromise], ...]
    log: PMap[int, Value]
    where: PMap[Value, int]
    first: int
    next: int
    slots: PMap[int, ProposerState]
    fresh: PMap[int, Entry]
    queue: tuple[Entry, ...]
    resent: PMap[int, int]


Step = tuple[MultiState, list[Effect]]


@dataclass(frozen=True, eq=False)
class MultiProposer:
    """The configuration of one proposer of a Multi-Paxos deployment: follower, or leader of
    all slots. The proposer with id ``i`` is ``proposers[i - 1]``."""

    name: str
    pid: int
    commands: tuple[Value, ...]
    proposers: tuple[str, ...]
    acceptors: tuple[str, ...]
    quorums: QuorumSystem
    timeout: float
    backoff: Backoff = Backoff.EXPONENTIAL
    backoff_base: float = 1.0
    ack_timeout: float = 0.0
    """0: four phase timeouts."""
    _proposers: dict[Value, Proposer] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("commands", "proposers", "acceptors"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.ack_timeout:
            object.__setattr__(self, "ack_timeout", 4 * self.timeout)

    def proposer(self, value: Value) -> Proposer:
        """The core ``Proposer`` that runs a slot proposing ``value`` (its own value is read
        only by P2c, on the promises; a slot in phase 2 is run by ``proposer(NOOP)``)."""
        p = self._proposers.get(value)
        if p is None:
            p = self._proposers[value] = Proposer(self.name, self.pid, value, self.acceptors,
                                                  self.quorums, timeout=self.timeout)
        return p

    def init(self, stored: Stored | None = None) -> MultiState:
        """The state at start, or after a restart: only the round survives."""
        kept = (stored or {}).get(ProposerRound)
        return MultiState(self.proposers[0], Role.FOLLOWER, kept.round if kept else 0,
                          NO_BALLOT, 0, self.ack_timeout, self.commands, (), EMPTY_MAP,
                          EMPTY_MAP, 0, 0, EMPTY_MAP, EMPTY_MAP, (), EMPTY_MAP)

    # -- follower -----------------------------------------------------------------------------
    def on_start(self, s: MultiState) -> Step:
        if s.leader != self.name:
            return self._submit_own(s)
        s = self._enqueue(s, [(v, self.name) for v in s.own])
        if s.role is Role.FOLLOWER:
            return self._prepare(s)
        return self._propose_next(s)  # already leading: a Submit came first

    def _submit_own(self, s: MultiState) -> Step:
        if not s.own:
            return s, []
        effects: list[Effect] = [send(Submit(self.name, s.leader, v, self.name))
                                 for v in s.own]
        effects.append(set_timer(LogTimer.ACK, s.patience, self.timeout))
        return s, effects

    def on_submit(self, s: MultiState, msg: Submit) -> Step:
        entry = (msg.value, msg.origin)
        if s.role is not Role.FOLLOWER:
            return self._propose_next(self._enqueue(s, [entry]))
        if s.leader != self.name and msg.hops < len(self.proposers):
            return s, [send(msg._replace(src=self.name, dst=s.leader, hops=msg.hops + 1))]
        return self._prepare(self._enqueue(s, [entry]))  # taken for the leader: lead

    def on_ack(self, s: MultiState, msg: Ack) -> Step:
        return self._acked(s._replace(patience=self.ack_timeout), msg.value)  # the leader works

    def _acked(self, s: MultiState, value: Value) -> Step:
        if value in s.own:
            i = s.own.index(value)
            s = s._replace(own=s.own[:i] + s.own[i + 1:])
            if not s.own:
                return s, [cancel_timer(LogTimer.ACK)]
        return s, []

    def _ack(self, s: MultiState, value: Value, origin: str, slot: int) -> Step:
        if origin == self.name:
            return self._acked(s, value)
        return s, [send(Ack(self.name, origin, value, slot))]

    def _enqueue(self, s: MultiState, entries: Iterable[Entry]) -> MultiState:
        """``entries`` appended to the queue, each unless it is waiting or in a fresh slot."""
        queue = list(s.queue)
        present = set(queue)
        present.update(s.fresh.values())
        for entry in entries:
            if entry not in present:
                queue.append(entry)
                present.add(entry)
        return s._replace(queue=tuple(queue)) if len(queue) != len(s.queue) else s

    # -- phase 1 ------------------------------------------------------------------------------
    def _prepare(self, s: MultiState) -> Step:
        """Phase 1 for every slot not known chosen, with a ballot above any seen (the core
        proposer's ``next_round``, persisted before the prepares leave)."""
        s = self._requeue(s)
        round_ = next_round(s.round)
        ballot = Ballot(round_, self.pid)
        s = s._replace(round=round_, attempts=s.attempts + 1, ballot=ballot,
                       role=Role.PREPARING, leader=self.name, promises=(), resent=EMPTY_MAP)
        effects: list[Effect] = [Persist(ProposerRound(round_)), cancel_timer(LogTimer.ACK)]
        effects += [send(MultiPrepare(self.name, a, ballot, s.first)) for a in self.acceptors]
        effects.append(SetTimer(Timer.PHASE, self.timeout))
        return s, effects

    def on_multi_promise(self, s: MultiState, msg: MultiPromise) -> Step:
        if s.role is not Role.PREPARING or msg.ballot != s.ballot:
            return s, []  # stale or duplicate
        promises = _record(s.promises, msg.src, msg)
        s = s._replace(promises=promises)
        if not self.quorums.is_phase1([a for a, _ in promises]):
            return s, []
        s = s._replace(role=Role.LEADING, attempts=0)
        first, log = s.first, s.log
        reports: dict[int, dict[str, Proposal]] = {}
        for acceptor, promise in promises:
            for slot, proposal in promise.accepted:
                if slot >= first and slot not in log:
                    reports.setdefault(slot, {})[acceptor] = proposal
        known = [k for k in log if k >= first]
        top = max([*reports, *known], default=first - 1)
        effects: list[Effect] = [CancelTimer(Timer.PHASE)]
        for slot in range(first, top + 1):
            if slot not in log:  # reported: P2c recovers it; a gap: no-op
                s, more = self._run_slot(s, slot, NOOP, reports.get(slot, {}))
                effects += more
        s, more = self._propose_next(s._replace(next=max(top + 1, first)))
        return s, effects + more

    def _run_slot(self, s: MultiState, slot: int, value: Value,
                  reports: dict[str, Proposal]) -> Step:
        """Phase 2 of ``slot``: a core ``Proposer`` in phase 1 of the leader's ballot
        (``preparing``), fed this slot's part of each promise (``on_promise``: P2c)."""
        proposer = self.proposer(value)
        state = proposer.preparing(proposer.init(), s.ballot)
        effects: list[Effect] = []
        for acceptor, _ in s.promises:
            state, more = proposer.on_promise(
                state, Promise(acceptor, self.name, s.ballot, reports.get(acceptor)))
            effects += more
        return s._replace(slots=s.slots.set(slot, state)), in_slot(slot, effects)

    # -- phase 2 ------------------------------------------------------------------------------
    def _propose_next(self, s: MultiState) -> Step:
        """The next new command, in the next slot, once every earlier slot is chosen."""
        if s.role is not Role.LEADING or s.slots:
            return s, []
        effects: list[Effect] = []
        queue = s.queue
        for i, (value, origin) in enumerate(queue):
            where = s.where.get(value)
            if where is not None:  # already in the log: say so, do not log it twice
                s, more = self._ack(s, value, origin, where)
                effects += more
                continue
            slot = s.next
            s = s._replace(queue=queue[i + 1:], next=slot + 1,
                           fresh=s.fresh.set(slot, (value, origin)))
            s, more = self._run_slot(s, slot, value, {})
            return s, effects + more
        return (s._replace(queue=()) if queue else s), effects

    def on_slotted(self, s: MultiState, env: Slotted) -> Step:
        msg = env.msg
        if type(msg) is Nack:
            return self.on_nack(s, msg)
        state = s.slots.get(env.slot)
        if type(msg) is not Accepted or state is None or s.role is not Role.LEADING:
            return s, []
        state, effects = self.proposer(NOOP).on_accepted(state, msg)
        effects = in_slot(env.slot, effects)
        if state.phase is Phase.CHOSEN and state.proposal is not None:
            s, more = self._chosen(s, env.slot, state.proposal.value)
            return s, effects + more
        return s._replace(slots=s.slots.set(env.slot, state)), effects

    def _chosen(self, s: MultiState, slot: int, value: Value) -> Step:
        log = s.log.set(slot, value)
        where = s.where if value in s.where else s.where.set(value, slot)
        first = s.first
        while first in log:
            first += 1
        entry = s.fresh.get(slot)
        s = s._replace(slots=s.slots.delete(slot), log=log, where=where, first=first,
                       fresh=s.fresh.delete(slot))
        effects: list[Effect] = []
        if entry is not None:
            s, effects = self._ack(s, value, entry[1], slot)
        s, more = self._propose_next(s)
        return s, effects + more

    # -- losing the lead ----------------------------------------------------------------------
    def on_nack(self, s: MultiState, msg: Nack) -> Step:
        round_ = seen_round(s.round, msg)
        if round_ != s.round:
            s = s._replace(round=round_)
        if msg.ballot != s.ballot or s.role not in (Role.PREPARING, Role.LEADING):
            return s, []
        pid = msg.promised.proposer
        owner = self.proposers[pid - 1] if 1 <= pid <= len(self.proposers) else self.name
        if owner != self.name:
            return self._step_down(s, owner)
        return self._abandon(s)

    def _requeue(self, s: MultiState) -> MultiState:
        """Put the new commands of abandoned slots back at the head of the queue."""
        waiting = [e for _, e in sorted(s.fresh.items())]
        queue = tuple(waiting) + tuple(e for e in s.queue if e not in waiting)
        return s._replace(queue=queue, fresh=EMPTY_MAP, slots=EMPTY_MAP)

    def _step_down(self, s: MultiState, leader: str) -> Step:
        s = self._requeue(s)
        patience = min(2 * s.patience, MAX_PATIENCE * self.ack_timeout)
        effects: list[Effect] = [CancelTimer(Timer.PHASE)]
        effects += [send(Submit(self.name, leader, v, origin))
                    for v, origin in s.queue if origin != self.name]
        s = s._replace(patience=patience, role=Role.FOLLOWER, leader=leader, queue=())
        s, more = self._submit_own(s)
        return s, effects + more

    def _abandon(self, s: MultiState) -> Step:
        s = self._requeue(s)
        wait = backoff_timer(self.backoff, self.backoff_base, s.attempts)
        if wait is None:
            return self._prepare(s)
        return s._replace(role=Role.BACKING_OFF), [wait]

    def _resend(self, s: MultiState, key: int) -> Step | None:
        """Send the unanswered part of phase 1 (``key`` -1) or of a slot's phase 2 again
        (``Proposer.resend``), or ``None`` once that was done ``RESENDS`` times."""
        times = s.resent.get(key, 0)
        if times >= RESENDS:
            return None
        s = s._replace(resent=s.resent.set(key, times + 1))
        if key < 0:
            answered = {a for a, _ in s.promises}
            out: list[Effect] = [send(MultiPrepare(self.name, a, s.ballot, s.first))
                                 for a in self.acceptors if a not in answered]
            return s, [*out, SetTimer(Timer.PHASE, self.timeout)]
        return s, in_slot(key, self.proposer(NOOP).resend(s.slots[key]))

    def on_timeout(self, s: MultiState, timer: Any) -> Step:
        if timer is Timer.PHASE and s.role is Role.PREPARING:
            return self._resend(s, -1) or self._abandon(s)
        if timer is Timer.RETRY and s.role is Role.BACKING_OFF:
            return self._prepare(s)
        if timer is LogTimer.ACK and s.role is Role.FOLLOWER and s.own:
            return self._prepare(self._enqueue(s, [(v, self.name) for v in s.own]))
        slot = getattr(timer, "slot", None)
        if (type(timer) is not Timer and slot is not None and slot in s.slots
                and s.role is Role.LEADING):
            return self._resend(s, slot) or self._abandon(s)  # phase 2 of a slot timed out
        return s, []


def _record(promises: tuple[tuple[str, MultiPromise], ...], acceptor: str, msg: MultiPromise
            ) -> tuple[tuple[str, MultiPromise], ...]:
    """``promises`` with ``acceptor``'s set (kept in place if it answered before)."""
    for i, (a, _) in enumerate(promises):
        if a == acceptor:
            return (*promises[:i], (acceptor, msg), *promises[i + 1:])
    return (*promises, (acceptor, msg))


__all__ = ["Ack", "MultiPrepare", "MultiPromise", "MultiProposer", "MultiState", "Role",
           "Submit"]
