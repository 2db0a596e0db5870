"""What the simulator runs: a ``System`` of nodes under a ``Network``. A Basic Paxos
``Config`` gives both (its ``network``, and its cluster as a ``ClusterSystem``); the replicated
logs of ``paxosbook.replication`` give a ``LogConfig``'s network and a strategy's system.

A system names its nodes, says which of them must have learned for the run to be decided,
when which node starts (and with what value, for the trace), and gives each node's
configuration (an ``Actor``): its state at start or from stable storage after a crash
(``init``), and pure handlers (``routes`` by message type, ``on_start``, ``on_message``,
``on_timeout``) that take the state and an input and return the next state and effects. The
simulator keeps the states. The faults a system suffers are the network's. Messages are tuples
that start ``(src, dst, ...)``; timers are any hashable key with a ``value`` to show in the
trace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from ..config import Config
from ..core import Cluster
from ..network import Network


class Actor(Protocol):
    """A node's configuration: pure handlers over the node's state (any value)."""

    @property
    def routes(self) -> Mapping[type, Callable[[Any, Any], tuple[Any, list[Any]]]]:
        """Message type -> ``(state, msg) -> (next state, effects)``."""

    def init(self, stored: Mapping[Any, Any] | None) -> Any:
        """The state at start (``stored`` None) or after a restart from stable storage."""

    def on_start(self, state: Any) -> tuple[Any, list[Any]]: ...

    def on_message(self, state: Any, msg: Any) -> tuple[Any, list[Any]]: ...

    def on_timeout(self, state: Any, timer: Any) -> tuple[Any, list[Any]]: ...


class System(Protocol):
    @property
    def nodes(self) -> tuple[str, ...]: ...

    @property
    def learners(self) -> tuple[str, ...]:
        """The run is decided once each of these has learned (``Learn``, or a ``LearnSlot``
        with ``complete`` set)."""

    def start_events(self) -> Sequence[tuple[float, str, Any]]:
        """``(time, node, value)``: call ``node.on_start()`` at ``time``; the trace's start
        event shows ``value``."""

    def node(self, name: str) -> Actor:
        """The configuration of node ``name``."""


class Deployment(Protocol):
    """What the simulator needs of a config: the network it runs under."""

    @property
    def network(self) -> Network: ...


class ClusterSystem:
    """A ``Config``'s Basic Paxos cluster as a ``System``: each proposer starts at its time
    (``Config.starts()``) with its value."""

    def __init__(self, config: Config) -> None:
        self.cluster: Cluster = config.cluster()
        self.nodes = self.cluster.nodes
        self.learners = self.cluster.learners
        self.node = self.cluster.node
        self._starts = tuple((at, spec.node, spec.value)
                             for spec, at in zip(self.cluster.proposers, config.starts(),
                                                 strict=True))

    def start_events(self) -> Sequence[tuple[float, str, Any]]:
        return self._starts
