"""Per-slot Paxos: a proposer that logs its commands one at a time, one Basic Paxos per slot.

Theory of operation ("Paxos Made Simple", section 3, without the stable leader). A
``LogProposer`` proposes its commands in order, each in the lowest slot it does not know the
outcome of, by running the core ``Proposer`` (phase 1 and phase 2, P2c, backoff) on that slot.
Only once it knows the value chosen in the slot does it move on: to the next command if the
value was its own, else with the same command to the next slot (P2c made its ``Proposer``
adopt another value: the command lost that slot). So a command is never chosen in two slots:
it is proposed in slot ``s`` only once every earlier slot it tried is known to hold another
value. It knows when its ``Proposer`` saw a phase-2 quorum accept, or earlier, when its slot's
core ``Learner`` does: every ``Accepted`` it receives and every proposal a ``Promise`` reports is
a vote of that acceptor (paper, 2.1: chosen once a quorum has accepted one proposal), so a
proposer that only needs to find out a slot already taken usually knows after phase 1.

Shape: ``LogProposer`` is the configuration, ``LogProposerState`` the state (the slot, the
index of the command, the slot's ``ProposerState`` and ``LearnerState``); handlers return
``(next state, effects)``. The log adds no rule: every one is the core roles'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..ballot import Value
from ..effects import Effect, ProposerRound
from ..learner import NOTHING, Learner, LearnerState
from ..messages import Accepted, Promise
from ..proposer import Backoff, Phase, Proposer, ProposerState
from ..quorum import QuorumSystem
from .envelope import Slotted, SlotTimer, Stored, in_slot, restore_slots
from .pmap import EMPTY_MAP, PMap


class LogProposerState(NamedTuple):
    """``todo``: index in the commands of the one being logged (those before it are logged);
    ``slot``: where it is proposed, by ``proposer`` (``None`` before the start and once every
    command is logged) and watched by ``learner``; ``chosen``: the value each slot it tried
    holds; ``stored``: the rounds it had persisted per slot when it (re)started."""

    todo: int
    slot: int
    proposer: ProposerState | None
    learner: LearnerState
    chosen: PMap[int, Value]
    stored: PMap[int, ProposerRound]


Step = tuple[LogProposerState, list[Effect]]


@dataclass(frozen=True, eq=False)
class LogProposer:
    """The configuration of a per-slot Paxos proposer of ``commands``."""

    name: str
    pid: int
    commands: tuple[Value, ...]
    acceptors: tuple[str, ...]
    quorums: QuorumSystem
    timeout: float
    backoff: Backoff = Backoff.NONE
    backoff_base: float = 1.0
    learner: Learner = field(init=False, repr=False)
    _proposers: dict[Value, Proposer] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "commands", tuple(self.commands))
        object.__setattr__(self, "acceptors", tuple(self.acceptors))
        object.__setattr__(self, "learner", Learner(self.name, self.quorums))

    def proposer(self, value: Value) -> Proposer:
        """The core ``Proposer`` of ``value`` (a configuration: built once per value)."""
        p = self._proposers.get(value)
        if p is None:
            p = self._proposers[value] = Proposer(
                self.name, self.pid, value, self.acceptors, self.quorums, timeout=self.timeout,
                backoff=self.backoff, backoff_base=self.backoff_base)
        return p

    def init(self, stored: Stored | None = None) -> LogProposerState:
        return LogProposerState(0, 0, None, NOTHING, EMPTY_MAP,
                                PMap(restore_slots(stored, ProposerRound)))

    def todo(self, s: LogProposerState) -> list[Value]:
        """The commands not logged yet, the one being proposed first."""
        return list(self.commands[s.todo:])

    # -- handlers -----------------------------------------------------------------------------
    def on_start(self, s: LogProposerState) -> Step:
        if s.proposer is not None or s.todo >= len(self.commands):
            return s, []
        return self._begin(s)

    def _begin(self, s: LogProposerState) -> Step:
        proposer = self.proposer(self.commands[s.todo])
        state, effects = proposer.on_start(proposer.init(s.stored.get(s.slot)))
        return s._replace(proposer=state, learner=NOTHING), in_slot(s.slot, effects)

    def on_slotted(self, s: LogProposerState, env: Slotted) -> Step:
        if env.slot != s.slot or s.proposer is None:
            return s, []  # a reply about a slot already settled: normal life
        msg = env.msg
        vote: Any = msg
        if type(msg) is Promise:
            vote = None if msg.accepted is None else Accepted(
                msg.src, msg.dst, msg.accepted.ballot, msg.accepted.value)
        learner = s.learner
        if vote is not None:
            learner, _ = self.learner.on_message(learner, vote)
        state, effects = self.proposer(self.commands[s.todo]).on_message(s.proposer, msg)
        s = LogProposerState(s.todo, s.slot, state, learner, s.chosen, s.stored)
        return self._advance(s, in_slot(s.slot, effects))

    def on_timeout(self, s: LogProposerState, timer: Any) -> Step:
        if type(timer) is not SlotTimer or timer.slot != s.slot or s.proposer is None:
            return s, []
        state, effects = self.proposer(self.commands[s.todo]).on_timeout(s.proposer,
                                                                          timer.timer)
        return self._advance(s._replace(proposer=state), in_slot(s.slot, effects))

    def _advance(self, s: LogProposerState, effects: list[Effect]) -> Step:
        p, learned = s.proposer, s.learner.learned
        if p is None:
            return s, effects
        if learned is not None:
            value = learned.value
        elif p.phase is Phase.CHOSEN and p.proposal is not None:
            value = p.proposal.value
        else:
            return s, effects
        todo = s.todo + 1 if value == self.commands[s.todo] else s.todo
        s = LogProposerState(todo, s.slot + 1, None, s.learner, s.chosen.set(s.slot, value),
                             s.stored)
        if todo >= len(self.commands):
            return s, effects
        s, more = self._begin(s)
        return s, effects + more


__all__ = ["LogProposer", "LogProposerState"]
