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
been chosen there.

Shape: ``LogLearner`` is the configuration, ``LogLearnerState`` the state (each unlearned
slot's core ``LearnerState``, the learned slots, the probe's ``ProposerState``); handlers
return ``(next state, effects)``. Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..ballot import Ballot, Value
from ..effects import Effect, ProposerRound
from ..learner import NOTHING, Learner, LearnerState
from ..proposer import Backoff, Phase, Proposer, ProposerState
from ..quorum import QuorumSystem
from .envelope import (
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
from .pmap import EMPTY_MAP, PMap


class LogLearnerState(NamedTuple):
    """A replica's log. ``slots``: each slot heard of and not learned, with its core learner's
    state; ``learned``: every slot learned; ``applied``: how many slots from 0 on are applied
    (learned with no gap below); ``done``: which expected commands the applied log holds (one
    bit each, see ``LogLearner.bit``). Catch-up: ``armed`` (its timer is set), ``watch`` (how
    many slots were learned when it was set), ``fruitless`` (rounds without progress). The
    probe (proposing to find out a slot): its ``probe`` state in slot ``probe_slot`` (-1:
    none), and the ``rounds`` used in each slot probed before (or restored from storage)."""

    slots: PMap[int, LearnerState]
    learned: PMap[int, LogEntry]
    applied: int
    done: int
    armed: bool
    watch: int
    fruitless: int
    probe: ProposerState | None
    probe_slot: int
    rounds: PMap[int, ProposerRound]


Step = tuple[LogLearnerState, list[Effect]]


@dataclass(frozen=True, eq=False)
class LogLearner:
    """The configuration of a replica's log: learns each slot (a core ``Learner`` per slot)
    and applies in order.

    ``expected`` are the commands the run wants logged (they decide ``complete``).
    ``catch_up``: the idle time after which an incomplete replica asks the acceptors (0: never;
    the strawmen learn without quorums and never catch up). ``pid`` (0: never) is the proposer
    id with which it proposes to find out a slot, with phase ``timeout``.
    """

    name: str
    quorums: QuorumSystem | None
    expected: frozenset[Value]
    acceptors: tuple[str, ...] = ()
    catch_up: float = 0.0
    pid: int = 0
    timeout: float = 0.0
    learner: Learner = field(init=False, repr=False)
    prober: Proposer | None = field(init=False, repr=False)
    bit: dict[Value, int] = field(init=False, repr=False)

    PROPOSE_AFTER = 3
    """Fruitless rounds of asking before it proposes to find out (a proposer may still be at
    work on the slot; a proposal of its own would only compete with it)."""
    MAX_FRUITLESS = 5
    """Each catch-up round without progress doubles the wait before the next; after this many
    the learner waits for news (``touch``) before it asks again."""

    def __post_init__(self) -> None:
        expected = frozenset(self.expected)
        object.__setattr__(self, "expected", expected)
        object.__setattr__(self, "acceptors", tuple(self.acceptors))
        object.__setattr__(self, "learner", Learner(self.name, self.quorums))  # type: ignore[arg-type]
        object.__setattr__(self, "prober", None if not self.pid else Proposer(
            self.name, self.pid, NOOP, self.acceptors, self.quorums,  # type: ignore[arg-type]
            timeout=self.timeout, backoff=Backoff.EXPONENTIAL))
        object.__setattr__(self, "bit", {v: 1 << i for i, v in enumerate(sorted(expected))})

    def init(self, stored: Stored | None = None) -> LogLearnerState:
        """The log restored from stable storage (its ``LogEntry`` and probe rounds)."""
        s = LogLearnerState(EMPTY_MAP, PMap(restore_slots(stored, LogEntry)), 0, 0, False, -1,
                            0, None, -1, PMap(restore_slots(stored, ProposerRound)))
        return self._apply(s)

    def complete(self, s: LogLearnerState) -> bool:
        """Does the applied log hold every expected command?"""
        return s.done.bit_count() == len(self.expected)

    def log(self, s: LogLearnerState) -> list[Value]:
        """The applied log."""
        return [s.learned[i].value for i in range(s.applied)]

    # -- learning -----------------------------------------------------------------------------
    def on_accepted(self, s: LogLearnerState, env: Slotted) -> Step:
        slot, slots = env.slot, s.slots
        if slot < s.applied:  # applied, so learned
            return s, []
        before = slots.get(slot)  # a slot heard of is never learned: one look-up, mostly
        if before is None and s.learned.get(slot) is not None:
            return s, []
        state, effects = self.learner.on_message(NOTHING if before is None else before,
                                                 env.msg)
        if effects:  # learned: the slot is no longer one heard of
            learn: Any = effects[0]
            return self._learned(s, slots if before is None else slots.delete(slot), slot,
                                 learn.value, learn.ballot)
        if state is not before:  # a slot heard of is kept, even if the news changed nothing
            s = LogLearnerState(slots.set(slot, state), s.learned, s.applied, s.done, s.armed,
                                s.watch, s.fruitless, s.probe, s.probe_slot, s.rounds)
        return s, []

    def learn(self, s: LogLearnerState, slot: int, value: Value, ballot: Ballot | None
              ) -> Step:
        """Record ``value`` for ``slot`` (the first learned stays), apply what became
        contiguous, and say so."""
        if s.learned.get(slot) is not None:
            return s, []
        return self._learned(s, s.slots.delete(slot), slot, value, ballot)

    def _learned(self, s: LogLearnerState, slots: PMap[int, LearnerState], slot: int,
                 value: Value, ballot: Ballot | None) -> Step:
        """``learn`` of a slot not learned yet; ``slots``: those heard of, without it."""
        entry = LogEntry(value, ballot)
        s = LogLearnerState(slots, s.learned.set(slot, entry), s.applied, s.done, s.armed,
                            s.watch, 0, s.probe, s.probe_slot, s.rounds)
        if slot == s.probe_slot:
            s = self._end_probe(s)
        if slot == s.applied:  # else a gap remains below it: nothing more is applied
            s = self._apply(s)
        learned: Any = LearnSlot(slot, value, ballot, self.complete(s))
        return s, [persist(SlotState(slot, entry)), learned]

    def _apply(self, s: LogLearnerState) -> LogLearnerState:
        applied, done, learned, bit = s.applied, s.done, s.learned, self.bit
        while True:
            entry = learned.get(applied)
            if entry is None:
                break
            applied += 1
            done |= bit.get(entry.value, 0)
        if applied == s.applied:
            return s
        return LogLearnerState(s.slots, learned, applied, done, s.armed, s.watch, s.fruitless,
                               s.probe, s.probe_slot, s.rounds)

    # -- catching up --------------------------------------------------------------------------
    def on_start(self, s: LogLearnerState) -> Step:
        """After a restart: ask the acceptors for everything from the first unapplied slot."""
        if not self.catch_up or self.complete(s):
            return s, []
        s, effects = self.touch(s._replace(fruitless=0))
        return s, self._ask(s) + effects

    def touch(self, s: LogLearnerState) -> Step:
        """The replica heard something: watch for progress (``catch_up`` from now on, doubled
        for every fruitless round so far)."""
        if not self.catch_up or s.armed or self.complete(s):
            return s, []
        wait = self.catch_up * 2 ** min(s.fruitless, self.MAX_FRUITLESS)
        s = LogLearnerState(s.slots, s.learned, s.applied, s.done, True, len(s.learned),
                            s.fruitless, s.probe, s.probe_slot, s.rounds)
        return s, [set_timer(LogTimer.CATCH_UP, wait)]

    def _ask(self, s: LogLearnerState) -> list[Effect]:
        return [send(CatchUp(self.name, a, s.applied)) for a in self.acceptors]

    def on_timeout(self, s: LogLearnerState, timer: Any) -> Step:
        if type(timer) is SlotTimer:
            if s.probe is None or timer.slot != s.probe_slot:
                return s, []
            return self._probed(s, *self.prober.on_timeout(s.probe, timer.timer))  # type: ignore[union-attr]
        if timer is not LogTimer.CATCH_UP:
            return s, []
        s = s._replace(armed=False)
        if self.complete(s):
            return s, []
        if len(s.learned) != s.watch:  # learned something since: keep watching
            return self.touch(s._replace(fruitless=0))
        s = s._replace(fruitless=s.fruitless + 1)
        effects = self._ask(s)
        first = s.applied
        if (s.fruitless >= self.PROPOSE_AFTER and self.pid and s.probe is None
                and self.heard_of(s, first)):
            s, more = self._propose(s, first)
            effects += more
        if s.fruitless >= self.MAX_FRUITLESS:
            return s, effects  # the next round waits for news
        s, more = self.touch(s)
        return s, effects + more

    def heard_of(self, s: LogLearnerState, slot: int) -> bool:
        """Has some acceptor accepted a value in ``slot`` (it said so, or a later slot is
        known)? Only then may a value have been chosen there that this replica missed."""
        return slot in s.slots or any(k > slot for k in s.learned)

    # -- finding out by proposing -------------------------------------------------------------
    def _propose(self, s: LogLearnerState, slot: int) -> Step:
        prober = self.prober
        assert prober is not None
        probe, effects = prober.on_start(prober.init(s.rounds.get(slot)))
        return self._probed(s._replace(probe_slot=slot), probe, effects)

    def on_probe_reply(self, s: LogLearnerState, env: Slotted) -> Step:
        """A Promise, Nack or Accepted for the slot this replica is proposing in."""
        if s.probe is None or env.slot != s.probe_slot:
            return s, []
        return self._probed(s, *self.prober.on_message(s.probe, env.msg))  # type: ignore[union-attr]

    def _probed(self, s: LogLearnerState, probe: ProposerState, effects: list[Effect]) -> Step:
        out = in_slot(s.probe_slot, effects)
        s = s._replace(probe=probe)
        if probe.phase is Phase.CHOSEN or probe.phase is Phase.GAVE_UP:
            s = self._end_probe(s)
        return s, out

    def _end_probe(self, s: LogLearnerState) -> LogLearnerState:
        """Forget the probe, not its round: a later one in this slot must use a higher one."""
        rounds = s.rounds
        if s.probe is not None:
            rounds = rounds.set(s.probe_slot, ProposerRound(s.probe.round))
        return s._replace(probe=None, probe_slot=-1, rounds=rounds)


__all__ = ["LogLearner", "LogLearnerState"]
