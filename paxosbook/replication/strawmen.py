"""Three ways to replicate a log without consensus, each wrong in its own way.

* ``BroadcastSystem``: every proposer sends its command to every replica, and each replica
  appends what arrives, in arrival order. Ordinary delay jitter is enough for two replicas to
  see add and sub in different orders: the logs diverge. A duplicated message is logged twice.
* ``SequencerSystem``: proposers send to one ordering server, ``r1``, which numbers each new
  command and forwards it to the other replicas one message per ``step``. The logs agree, but
  once ``r1`` crashes nothing more is ever logged (the system blocks), and a crash between two
  forwarding steps leaves the replicas with different prefixes.
* ``MultiPrimarySystem``: two primaries, ``r1`` and ``r2``, each number the commands in the
  order they arrive and send them to every replica, which keeps for each slot the command it
  hears of first. The two orders differ, so the logs do.

Replicas keep their log with the ``LogLearner`` of the Paxos strategies (learn a slot, apply
in order), only without quorums: what they are told, they log. As every node, each is a
configuration with pure handlers over an immutable state: a client has none (``None``), a
replica's is its ``LogLearnerState``, the sequencer's and a primary's add what they numbered
(``SequencerState``, ``PrimaryState``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ..core import Effect, UsageError
from ..core.log import LogLearner, LogLearnerState, LogTimer, Slotted
from ..core.log.envelope import send, set_timer
from .config import LogConfig, Strategy
from .system import Handler, LogNode, LogSystem


class Command(NamedTuple):
    """A command sent as it is: no ballot, no slot (the envelope ``Slotted`` adds one)."""

    src: str
    dst: str
    value: str


def _client_node(name: str, cfg: LogConfig, targets: Sequence[str]) -> LogNode:
    """A proposer of the strawmen: sends its commands to ``targets`` once, at start (and
    again after a restart). It keeps no state."""
    sends = [send(Command(name, t, v)) for v in cfg.commands_of(name) for t in targets]
    return LogNode(name, {}, init=lambda stored: None, start=lambda s: (s, list(sends)))


def _learner(name: str, system: LogSystem) -> LogLearner:
    return LogLearner(name, None, frozenset(system.expected))


def _replica_node(name: str, learner: LogLearner, routes: dict[type, Handler]) -> LogNode:
    return LogNode(name, routes, init=learner.init)


def _ordered(learner: LogLearner) -> Handler:
    """A replica's handler for ``Slotted(slot, Command)``: keep the first value heard per slot."""
    learn = learner.learn
    return lambda s, env: learn(s, env.slot, env.msg.value, None)


# -- no consensus -------------------------------------------------------------------------------
class BroadcastSystem(LogSystem):
    strategy = Strategy.BROADCAST

    def proposer(self, name: str) -> LogNode:
        return _client_node(name, self.config, self.replicas)

    def replica(self, name: str) -> LogNode:
        learner = _learner(name, self)

        def append(s: LogLearnerState, msg: Command) -> tuple[LogLearnerState, list[Effect]]:
            return learner.learn(s, len(s.learned), msg.value, None)

        return _replica_node(name, learner, {Command: append})


# -- one sequencer ------------------------------------------------------------------------------
class SequencerState(NamedTuple):
    """The sequencer's log, the commands it numbered, what it has still to forward (in slot
    order) and whether its forwarding timer runs."""

    learner: LogLearnerState
    numbered: frozenset[str]
    outbox: tuple[Slotted, ...]
    forwarding: bool


class Sequencer:
    """The ordering server: numbers each command not numbered yet with the next slot, logs it,
    and forwards it to every other replica, one send per ``step`` (in slot order)."""

    def __init__(self, name: str, learner: LogLearner, replicas: Sequence[str],
                 step: float) -> None:
        self.name = name
        self.learner = learner
        self.others = tuple(r for r in replicas if r != name)
        self.step = step

    def init(self, stored: Mapping[Any, Any]) -> SequencerState:
        log = self.learner.init(stored)
        return SequencerState(log, frozenset(e.value for e in log.learned.values()), (), False)

    def on_command(self, s: SequencerState, msg: Command) -> tuple[SequencerState, list[Effect]]:
        if msg.value in s.numbered:
            return s, []
        slot = len(s.learner.learned)
        log, effects = self.learner.learn(s.learner, slot, msg.value, None)
        outbox = s.outbox + tuple(Slotted(self.name, r, slot, Command(self.name, r, msg.value))
                                  for r in self.others)
        s = SequencerState(log, s.numbered | {msg.value}, outbox, s.forwarding)
        if s.forwarding:
            return s, effects
        s, more = self._forward(s)
        return s, effects + more

    def _forward(self, s: SequencerState) -> tuple[SequencerState, list[Effect]]:
        if not s.outbox:
            return s._replace(forwarding=False), []
        return (s._replace(outbox=s.outbox[1:], forwarding=True),
                [send(s.outbox[0]), set_timer(LogTimer.FORWARD, self.step)])

    def on_timeout(self, s: SequencerState, timer: Any) -> tuple[SequencerState, list[Effect]]:
        return self._forward(s) if timer is LogTimer.FORWARD else (s, [])


class SequencerSystem(LogSystem):
    strategy = Strategy.SEQUENCER

    @property
    def sequencer(self) -> str:
        return self.replicas[0]

    def proposer(self, name: str) -> LogNode:
        return _client_node(name, self.config, (self.sequencer,))

    def replica(self, name: str) -> LogNode:
        learner = _learner(name, self)
        if name != self.sequencer:
            return _replica_node(name, learner, {Slotted: _ordered(learner)})
        seq = Sequencer(name, learner, self.replicas, self.config.step)
        return LogNode(name, {Command: seq.on_command}, init=seq.init, timeout=seq.on_timeout)


# -- two primaries ------------------------------------------------------------------------------
class PrimaryState(NamedTuple):
    """A primary's log (it is a replica too) and the commands it numbered."""

    learner: LogLearnerState
    numbered: frozenset[str]


class Primary:
    """Orders on its own: numbers each new command with its next slot and sends it to every
    replica (itself included) at once."""

    def __init__(self, name: str, learner: LogLearner, replicas: Sequence[str]) -> None:
        self.name = name
        self.learner = learner
        self.replicas = tuple(replicas)

    def init(self, stored: Mapping[Any, Any]) -> PrimaryState:
        return PrimaryState(self.learner.init(stored), frozenset())

    def on_command(self, s: PrimaryState, msg: Command) -> tuple[PrimaryState, list[Effect]]:
        if msg.value in s.numbered:
            return s, []
        slot = len(s.numbered)
        return (s._replace(numbered=s.numbered | {msg.value}),
                [send(Slotted(self.name, r, slot, Command(self.name, r, msg.value)))
                 for r in self.replicas])

    def on_slotted(self, s: PrimaryState, env: Slotted) -> tuple[PrimaryState, list[Effect]]:
        """Keep the first value heard per slot, as every replica does."""
        log, effects = self.learner.learn(s.learner, env.slot, env.msg.value, None)
        return s._replace(learner=log), effects


class MultiPrimarySystem(LogSystem):
    strategy = Strategy.MULTI_PRIMARY

    def __init__(self, config: LogConfig) -> None:
        if config.replicas < 2:
            raise UsageError("replicas", "at least 2 for multi-primary (the primaries are r1 "
                             "and r2)", config.replicas)
        super().__init__(config)
        self.primaries = self.replicas[:2]

    def proposer(self, name: str) -> LogNode:
        return _client_node(name, self.config, self.primaries)

    def replica(self, name: str) -> LogNode:
        learner = _learner(name, self)
        if name not in self.primaries:
            return _replica_node(name, learner, {Slotted: _ordered(learner)})
        primary = Primary(name, learner, self.replicas)
        return LogNode(name, {Slotted: primary.on_slotted, Command: primary.on_command},
                       init=primary.init)
