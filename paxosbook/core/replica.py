"""A replica's log: learn every slot, apply the slots in order, catch up on what was missed.

Theory of operation. ``LogLearner`` learns each slot of the log with its own core ``Learner``
(a value is learned once a phase-2 quorum of acceptors accepted it at one ballot) and *applies*
the learned slots in order: slot ``s`` is applied only once every slot below it is known, so a
replica may lag behind but never skips a gap, and two replicas' applied logs are always one a
prefix of the other.

Catch-up, after "Paxos Made Simple", section 2.3. Messages get lost, so a learner may never
hear of a value that was chosen. A replica that is not complete and has learned nothing for
``catch_up`` time since it last heard anything asks the acceptors (``CatchUp``) to send their
acceptances again, from its first unapplied slot on; each round without progress doubles the
wait before the next. If asking did not help three times (say the acceptors that accepted the
chosen value at one ballot are no longer a quorum that is up) and it has heard of that slot (an
``Accepted`` for it, or a later slot learned), it finds out "by having a proposer issue a
proposal": a core ``Proposer`` of its own for that slot, with a no-op as its value. P2c makes
it propose the chosen value if there is one; the no-op fills the slot only if nothing can have
been chosen there. Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .ballot import Ballot, Value
from .effects import Effect, ProposerRound
from .learner import Learner
from .proposer import Backoff, Phase, Proposer
from .quorum import QuorumSystem
from .slots import (
    NOOP,
    CatchUp,
    LearnSlot,
    LogEntry,
    LogTimer,
    SlotState,
    Slotted,
    SlotTimer,
    Stored,
    in_slot,
    persist,
    restore_slots,
    send,
    set_timer,
)


class LogLearner:
    """A replica's log: learns each slot (a core ``Learner`` per slot) and applies in order.

    ``expected`` are the commands the run wants logged (they decide ``complete``).
    ``catch_up``: the idle time after which an incomplete replica asks the acceptors (0: never;
    the strawmen learn without quorums and never catch up). ``pid`` (0: never) is the proposer
    id with which it proposes to find out a slot, with phase ``timeout``.
    """

    __slots__ = ("acceptors", "applied", "armed", "catch_up", "done", "expected", "fruitless",
                 "learned", "name", "pid", "probe", "probe_slot", "quorums", "rounds", "slots",
                 "timeout", "watch")

    PROPOSE_AFTER = 3
    """Fruitless rounds of asking before it proposes to find out (a proposer may still be at
    work on the slot; a proposal of its own would only compete with it)."""
    MAX_FRUITLESS = 5
    """Each catch-up round without progress doubles the wait before the next; after this many
    the learner waits for news (``touch``) before it asks again."""

    def __init__(self, name: str, quorums: QuorumSystem | None, expected: Iterable[Value], *,
                 acceptors: Sequence[str] = (), catch_up: float = 0.0, pid: int = 0,
                 timeout: float = 0.0, stored: Stored | None = None) -> None:
        self.name = name
        self.quorums = quorums
        self.expected = frozenset(expected)
        self.acceptors = tuple(acceptors)
        self.catch_up = catch_up
        self.pid = pid
        self.timeout = timeout
        self.slots: dict[int, Learner] = {}  # slots heard of, not learned yet
        self.learned: dict[int, LogEntry] = restore_slots(stored, LogEntry)
        self.rounds: dict[int, ProposerRound] = restore_slots(stored, ProposerRound)
        self.applied: list[Value] = []
        self.done: set[Value] = set()
        self.armed = False
        self.watch = -1
        self.fruitless = 0
        self.probe: Proposer | None = None
        self.probe_slot = -1
        self._apply()

    @property
    def complete(self) -> bool:
        return len(self.done) == len(self.expected)

    # -- learning -----------------------------------------------------------------------------
    def on_accepted(self, env: Slotted) -> list[Effect]:
        slot = env.slot
        if slot in self.learned:
            return []
        learner = self.slots.get(slot)
        if learner is None:
            learner = self.slots[slot] = Learner(self.name, self.quorums)  # type: ignore[arg-type]
        effects = learner.on_message(env.msg)
        if not effects:
            return []
        learn: Any = effects[0]
        return self.learn(slot, learn.value, learn.ballot)

    def learn(self, slot: int, value: Value, ballot: Ballot | None) -> list[Effect]:
        """Record ``value`` for ``slot`` (the first learned stays), apply what became
        contiguous, and say so."""
        if slot in self.learned:
            return []
        self.slots.pop(slot, None)
        self.fruitless = 0
        if slot == self.probe_slot:
            self._end_probe()
        entry = self.learned[slot] = LogEntry(value, ballot)
        self._apply()
        learned: Any = LearnSlot(slot, value, ballot, self.complete)
        return [persist(SlotState(slot, entry)), learned]

    def _apply(self) -> None:
        applied, learned, expected, done = self.applied, self.learned, self.expected, self.done
        while len(applied) in learned:
            value = learned[len(applied)].value
            applied.append(value)
            if value in expected:
                done.add(value)

    # -- catching up --------------------------------------------------------------------------
    def on_start(self) -> list[Effect]:
        """After a restart: ask the acceptors for everything from the first unapplied slot."""
        if not self.catch_up or self.complete:
            return []
        self.fruitless = 0
        return self._ask() + self.touch()

    def touch(self) -> list[Effect]:
        """The replica heard something: watch for progress (``catch_up`` from now on, doubled
        for every fruitless round so far)."""
        if not self.catch_up or self.armed or self.complete:
            return []
        self.armed = True
        self.watch = len(self.learned)
        wait = self.catch_up * 2 ** min(self.fruitless, self.MAX_FRUITLESS)
        return [set_timer(LogTimer.CATCH_UP, wait)]

    def _ask(self) -> list[Effect]:
        first = len(self.applied)
        return [send(CatchUp(self.name, a, first)) for a in self.acceptors]

    def on_timeout(self, timer: Any) -> list[Effect]:
        if type(timer) is SlotTimer:
            if self.probe is None or timer.slot != self.probe_slot:
                return []
            return self._probed(self.probe.on_timeout(timer.timer))
        if timer is not LogTimer.CATCH_UP:
            return []
        self.armed = False
        if self.complete:
            return []
        if len(self.learned) != self.watch:  # learned something since: keep watching
            self.fruitless = 0
            return self.touch()
        self.fruitless += 1
        effects = self._ask()
        first = len(self.applied)
        if (self.fruitless >= self.PROPOSE_AFTER and self.pid and self.probe is None
                and self.heard_of(first)):
            effects += self._propose(first)
        if self.fruitless >= self.MAX_FRUITLESS:
            return effects  # the next round waits for news
        return effects + self.touch()

    def heard_of(self, slot: int) -> bool:
        """Has some acceptor accepted a value in ``slot`` (it said so, or a later slot is
        known)? Only then may a value have been chosen there that this replica missed."""
        return slot in self.slots or any(s > slot for s in self.learned)

    # -- finding out by proposing -------------------------------------------------------------
    def _propose(self, slot: int) -> list[Effect]:
        self.probe_slot = slot
        self.probe = Proposer(self.name, self.pid, NOOP, self.acceptors,
                              self.quorums,  # type: ignore[arg-type]
                              timeout=self.timeout, backoff=Backoff.EXPONENTIAL,
                              stored=self.rounds.get(slot))
        return self._probed(self.probe.on_start())

    def on_probe_reply(self, env: Slotted) -> list[Effect]:
        """A Promise, Nack or Accepted for the slot this replica is proposing in."""
        if self.probe is None or env.slot != self.probe_slot:
            return []
        return self._probed(self.probe.on_message(env.msg))

    def _probed(self, effects: list[Effect]) -> list[Effect]:
        out = in_slot(self.probe_slot, effects)
        if self.probe is not None and self.probe.phase in (Phase.CHOSEN, Phase.GAVE_UP):
            self._end_probe()
        return out

    def _end_probe(self) -> None:
        """Forget the probe, not its round: a later one in this slot must use a higher one."""
        if self.probe is not None:
            self.rounds[self.probe_slot] = ProposerRound(self.probe.round)
        self.probe = None
        self.probe_slot = -1


__all__ = ["LogLearner"]
