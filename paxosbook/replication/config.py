"""``LogConfig``: one validated description of a replicated-log run, and the five strategies.

The example of the whole book: proposers A, B, C, D want *add*, *jmp*, *cmp*, *sub* logged,
at about the same time, on every replica ``r1..rN``, in one order. Every strategy runs the
same nodes (the proposers, then the replicas) under the same network and faults, so a crash of
``r1`` means the same machine everywhere: the sequencer, a primary, an acceptor, a replica.
The network fields mean what they mean in ``paxosbook.Network`` (``config.network`` is that
value, checked by it); faults name nodes of this system. A bad field raises ``UsageError``
naming it, the allowed range and the value given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import Any

from ..core import Backoff, UsageError
from ..core.log.envelope import NOOP
from ..network import MAX_MESSAGES, NETWORK_FIELDS, Crash, Derives, Network, Partition
from ..validation import check_choice, check_number

EXAMPLE: tuple[tuple[str, str], ...] = (("A", "add"), ("B", "jmp"), ("C", "cmp"), ("D", "sub"))
"""The four proposers and their commands."""

MAX_REPLICAS = 15
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_REPLICA = re.compile(r"r\d+")


class Strategy(Enum):
    """How the replicas come to (or fail to) agree on one order."""

    BROADCAST = "broadcast"
    """No consensus: every proposer sends its command to every replica; arrival order."""
    SEQUENCER = "sequencer"
    """One ordering server (``r1``) numbers commands and forwards them, one step at a time."""
    MULTI_PRIMARY = "multi-primary"
    """Two primaries (``r1``, ``r2``) order independently; a replica keeps, for each slot,
    what it hears first."""
    PAXOS = "paxos"
    """One Basic Paxos instance per slot; proposers retry a lost command in the next slot."""
    MULTI_PAXOS = "multi-paxos"
    """A stable leader: phase 1 once for all slots, then phase 2 per command."""

    @classmethod
    def parse(cls, value: Strategy | str) -> Strategy:
        if isinstance(value, Strategy):
            return value
        for s in cls:
            if s.value == value:
                return s
        raise UsageError("strategy", "one of " + ", ".join(s.value for s in cls), value)

    @property
    def title(self) -> str:
        return _TITLES[self]


_TITLES = {Strategy.BROADCAST: "no consensus (broadcast)",
           Strategy.SEQUENCER: "single sequencer",
           Strategy.MULTI_PRIMARY: "several primaries",
           Strategy.PAXOS: "Paxos per slot",
           Strategy.MULTI_PAXOS: "Multi-Paxos"}

STRATEGIES = tuple(Strategy)
STRAWMEN = (Strategy.BROADCAST, Strategy.SEQUENCER, Strategy.MULTI_PRIMARY)


def parse_commands(text: str) -> tuple[tuple[str, str], ...]:
    """``"A:add,B:jmp"`` -> ``(("A", "add"), ("B", "jmp"))``; ``UsageError`` if malformed."""
    pairs = []
    for item in text.split(","):
        who, colon, what = item.strip().partition(":")
        if not colon or not who or not what:
            raise UsageError("commands", "PROPOSER:COMMAND pairs separated by commas, "
                             "e.g. A:add,B:jmp", text)
        pairs.append((who, what))
    return tuple(pairs)


@dataclass(frozen=True)
class LogConfig(Derives):
    """Everything that defines a replicated-log run except the strategy and the seed.

    ``commands``: ``(proposer, command)`` pairs (a proposer may have several, logged in that
    order); ``replicas``: how many (``r1..``). ``timeout`` (phase timeout of the Paxos
    proposers), ``backoff`` and ``backoff_base`` as in ``Config``. Proposer ``i`` starts at
    ``i * start_offset``; the sequencer forwards one message per ``step``. The network fields
    (``drop``, ``duplicate``, ``delay``, ``delay_mean``, ``delay_jitter``, ``crashes``,
    ``partitions``, ``random_crashes``, ``crash_window``, ``downtime``, ``max_time``,
    ``max_messages``) mean what they mean in ``Network``; ``crashes`` and ``partitions`` name
    nodes of this system. A run always stops once every replica has every command.
    """

    commands: tuple[tuple[str, str], ...] = EXAMPLE
    replicas: int = 3
    drop: float = 0.0
    duplicate: float = 0.0
    delay: str = "uniform"
    delay_mean: float = 1.0
    delay_jitter: float | None = None
    timeout: float = 4.0
    backoff: str = "exponential"
    backoff_base: float = 1.0
    start_offset: float = 0.0
    step: float = 0.1
    crashes: tuple[Crash, ...] = ()
    partitions: tuple[Partition, ...] = ()
    random_crashes: int = 0
    crash_window: float = 20.0
    downtime: float = 5.0
    max_time: float = 1000.0
    max_messages: int = MAX_MESSAGES

    def __post_init__(self) -> None:
        _normalise(self)
        network = Network(**{name: getattr(self, name) for name in NETWORK_FIELDS
                             if name != "stop_when_decided"})
        for name in ("crashes", "partitions", "delay_jitter"):  # normalised by the network
            object.__setattr__(self, name, getattr(network, name))
        object.__setattr__(self, "_network", network)
        object.__setattr__(self, "_derived", network.derived)
        _validate(self)
        network.check_nodes(self.nodes, "system")

    # -- derived ---------------------------------------------------------------------------
    @property
    def network(self) -> Network:
        """The faults, delays and limits of this run (the flat network fields, as one value)."""
        net: Network = self.__dict__["_network"]
        return net

    @cached_property
    def proposers(self) -> tuple[str, ...]:
        """Proposer names in order of first appearance (the first is Multi-Paxos's leader)."""
        return tuple(dict.fromkeys(p for p, _ in self.commands))

    @cached_property
    def replica_names(self) -> tuple[str, ...]:
        return tuple(f"r{i}" for i in range(1, self.replicas + 1))

    @property
    def nodes(self) -> tuple[str, ...]:
        return (*self.proposers, *self.replica_names)

    @property
    def values(self) -> tuple[str, ...]:
        """Every command, in the order given."""
        return tuple(v for _, v in self.commands)

    def commands_of(self, proposer: str) -> tuple[str, ...]:
        return tuple(v for p, v in self.commands if p == proposer)


def as_log_config(config: LogConfig | None) -> LogConfig:
    """``config``, or the book's example for ``None``; ``UsageError`` for anything else."""
    if config is None:
        return LogConfig()
    if not isinstance(config, LogConfig):
        raise UsageError("config", "a LogConfig (LogConfig(replicas=3, ...)) or None",
                         type(config).__name__)
    return config


# -- normalisation and validation -------------------------------------------------------------
def _normalise(cfg: LogConfig) -> None:
    commands: Any = cfg.commands
    if isinstance(commands, str):
        commands = parse_commands(commands)
    if not isinstance(commands, (tuple, list)) or not all(
            isinstance(c, (tuple, list)) and len(c) == 2 and all(isinstance(x, str) for x in c)
            for c in commands):
        raise UsageError("commands", "(proposer, command) pairs of strings", commands)
    object.__setattr__(cfg, "commands", tuple((p, v) for p, v in commands))


def _validate(cfg: LogConfig) -> None:
    if isinstance(cfg.replicas, bool) or not isinstance(cfg.replicas, int) or not (
            1 <= cfg.replicas <= MAX_REPLICAS):
        raise UsageError("replicas", f"an integer in [1, {MAX_REPLICAS}]", cfg.replicas)
    if not cfg.commands:
        raise UsageError("commands", "at least one PROPOSER:COMMAND pair", "")
    for who, what in cfg.commands:
        if not _NAME.fullmatch(who) or _REPLICA.fullmatch(who):
            raise UsageError("commands", "proposer names made of letters, digits and _ that "
                             "start with a letter and are not replica names (r1, r2, ...)", who)
        if not what or "," in what or what == NOOP:
            raise UsageError("commands", f"non-empty commands without commas, other than "
                             f"{NOOP!r}", what)
    values = cfg.values
    if len(set(values)) != len(values):
        twice = sorted({v for v in values if values.count(v) > 1})
        raise UsageError("commands", "distinct commands (each is logged once)", twice)
    check_number("timeout", cfg.timeout, 0.0, 1e6, open_lo=True)
    check_choice("backoff", cfg.backoff, tuple(b.value for b in Backoff))
    check_number("backoff_base", cfg.backoff_base, 0.0, 1e6, open_lo=True)
    check_number("step", cfg.step, 0.0, 1e9, open_lo=True)
    check_number("start_offset", cfg.start_offset, 0.0, 1e9)
