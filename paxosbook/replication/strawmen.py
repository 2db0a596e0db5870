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
in order), only without quorums: what they are told, they log.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ..core import Effect, UsageError
from ..core.replica import LogLearner
from ..core.slots import LogTimer, Slotted, send, set_timer
from .config import LogConfig, Strategy
from .system import LogNode, LogSystem


class Command(NamedTuple):
    """A command sent as it is: no ballot, no slot (the envelope ``Slotted`` adds one)."""

    src: str
    dst: str
    value: str


class Client:
    """A proposer of the strawmen: sends its commands to ``targets`` once, at start."""

    def __init__(self, name: str, commands: Sequence[str], targets: Sequence[str]) -> None:
        self.name = name
        self.commands = tuple(commands)
        self.targets = tuple(targets)

    def on_start(self) -> list[Effect]:
        return [send(Command(self.name, t, v)) for v in self.commands for t in self.targets]


def _client_node(name: str, cfg: LogConfig, targets: Sequence[str]) -> LogNode:
    client = Client(name, cfg.commands_of(name), targets)
    return LogNode(name, {}, start=client.on_start, client=client)


def _learner(name: str, system: LogSystem, stored: Mapping[Any, Any]) -> LogLearner:
    return LogLearner(name, None, system.expected, stored=stored)


def _ordered(learner: LogLearner) -> Any:
    """A replica's handler for ``Slotted(slot, Command)``: keep the first value heard per slot."""
    return lambda env: learner.learn(env.slot, env.msg.value, None)


# -- no consensus -------------------------------------------------------------------------------
class BroadcastSystem(LogSystem):
    strategy = Strategy.BROADCAST

    def proposer(self, name: str, stored: Mapping[Any, Any]) -> LogNode:
        return _client_node(name, self.config, self.replicas)

    def replica(self, name: str, stored: Mapping[Any, Any]) -> LogNode:
        learner = _learner(name, self, stored)

        def append(msg: Command) -> list[Effect]:
            return learner.learn(len(learner.learned), msg.value, None)

        return LogNode(name, {Command: append}, learner=learner)


# -- one sequencer ------------------------------------------------------------------------------
class Sequencer:
    """The ordering server: numbers each command not numbered yet with the next slot, logs it,
    and forwards it to every other replica, one send per ``step`` (in slot order)."""

    def __init__(self, name: str, learner: LogLearner, replicas: Sequence[str],
                 step: float) -> None:
        self.name = name
        self.learner = learner
        self.others = tuple(r for r in replicas if r != name)
        self.step = step
        self.numbered = {e.value for e in learner.learned.values()}
        self.outbox: deque[Slotted] = deque()
        self.forwarding = False

    def on_command(self, msg: Command) -> list[Effect]:
        if msg.value in self.numbered:
            return []
        self.numbered.add(msg.value)
        slot = len(self.learner.learned)
        effects = self.learner.learn(slot, msg.value, None)
        self.outbox.extend(Slotted(self.name, r, slot, Command(self.name, r, msg.value))
                           for r in self.others)
        return effects if self.forwarding else effects + self._forward()

    def _forward(self) -> list[Effect]:
        if not self.outbox:
            self.forwarding = False
            return []
        self.forwarding = True
        return [send(self.outbox.popleft()), set_timer(LogTimer.FORWARD, self.step)]

    def on_timeout(self, timer: Any) -> list[Effect]:
        return self._forward() if timer is LogTimer.FORWARD else []


class SequencerSystem(LogSystem):
    strategy = Strategy.SEQUENCER

    @property
    def sequencer(self) -> str:
        return self.replicas[0]

    def proposer(self, name: str, stored: Mapping[Any, Any]) -> LogNode:
        return _client_node(name, self.config, (self.sequencer,))

    def replica(self, name: str, stored: Mapping[Any, Any]) -> LogNode:
        learner = _learner(name, self, stored)
        if name != self.sequencer:
            return LogNode(name, {Slotted: _ordered(learner)}, learner=learner)
        seq = Sequencer(name, learner, self.replicas, self.config.step)
        return LogNode(name, {Command: seq.on_command}, timeout=seq.on_timeout, learner=learner,
                       sequencer=seq)


# -- two primaries ------------------------------------------------------------------------------
class Primary:
    """Orders on its own: numbers each new command with its next slot and sends it to every
    replica (itself included) at once."""

    def __init__(self, name: str, replicas: Sequence[str]) -> None:
        self.name = name
        self.replicas = tuple(replicas)
        self.numbered: set[str] = set()

    def on_command(self, msg: Command) -> list[Effect]:
        if msg.value in self.numbered:
            return []
        slot = len(self.numbered)
        self.numbered.add(msg.value)
        return [send(Slotted(self.name, r, slot, Command(self.name, r, msg.value)))
                for r in self.replicas]


class MultiPrimarySystem(LogSystem):
    strategy = Strategy.MULTI_PRIMARY

    def __init__(self, config: LogConfig) -> None:
        if config.replicas < 2:
            raise UsageError("replicas", "at least 2 for multi-primary (the primaries are r1 "
                             "and r2)", config.replicas)
        super().__init__(config)
        self.primaries = self.replicas[:2]

    def proposer(self, name: str, stored: Mapping[Any, Any]) -> LogNode:
        return _client_node(name, self.config, self.primaries)

    def replica(self, name: str, stored: Mapping[Any, Any]) -> LogNode:
        learner = _learner(name, self, stored)
        routes: dict[type, Any] = {Slotted: _ordered(learner)}
        if name not in self.primaries:
            return LogNode(name, routes, learner=learner)
        primary = Primary(name, self.replicas)
        routes[Command] = primary.on_command
        return LogNode(name, routes, learner=learner, primary=primary)
