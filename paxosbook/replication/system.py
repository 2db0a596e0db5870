"""The nodes of a replicated-log strategy, as a ``paxosbook.sim.system.System``.

Every strategy has the same nodes: the proposers (A, B, ...) and the replicas ``r1..rN``. A
``LogSystem`` subclass says what each node runs (``proposer`` and ``replica``); a ``LogNode`` is
the node's configuration in the simulator's shape (an ``Actor``, like ``core.Node``): its state
at start or from stable storage (``init``) and pure handlers by message type (``routes``), at
start and on a timer, each taking the node's state and returning the next state and effects.
The simulator keeps the states.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from ..core import Effect, QuorumSystem
from .config import LogConfig, Strategy

Step = tuple[Any, list[Effect]]
Handler = Callable[[Any, Any], Step]


class LogNode:
    """A node's configuration: ``init(stored)`` gives its state; ``routes`` (message type ->
    ``(state, msg) -> (state, effects)``), ``on_start`` and ``on_timeout`` are pure."""

    __slots__ = ("_init", "_start", "_timeout", "name", "routes")

    def __init__(self, name: str, routes: dict[type, Handler], *,
                 init: Callable[[Mapping[Any, Any]], Any],
                 start: Callable[[Any], Step] | None = None,
                 timeout: Handler | None = None) -> None:
        self.name = name
        self.routes = routes
        self._init = init
        self._start = start
        self._timeout = timeout

    def init(self, stored: Mapping[Any, Any] | None = None) -> Any:
        return self._init(stored or {})

    def on_start(self, state: Any) -> Step:
        return self._start(state) if self._start is not None else (state, [])

    def on_timeout(self, state: Any, timer: Any) -> Step:
        return self._timeout(state, timer) if self._timeout is not None else (state, [])

    def on_message(self, state: Any, msg: Any) -> Step:
        handler = self.routes.get(type(msg))
        return handler(state, msg) if handler is not None else (state, [])


class LogSystem:
    """The nodes of one strategy for ``config``; the run is decided when every replica's
    applied log holds every command."""

    strategy: ClassVar[Strategy]

    def __init__(self, config: LogConfig) -> None:
        self.config = config
        self.proposers = config.proposers
        self.replicas = config.replica_names
        self.nodes = config.nodes
        self.learners = self.replicas
        self.crashes = config.crashes
        self.partitions = config.partitions
        self.quorums = QuorumSystem.majority(self.replicas)
        self.expected = config.values
        self._nodes: dict[str, LogNode] = {}

    def start_events(self) -> list[tuple[float, str, str]]:
        cfg = self.config
        return [(i * cfg.start_offset, p, ",".join(cfg.commands_of(p)))
                for i, p in enumerate(self.proposers)]

    def node(self, name: str) -> LogNode:
        """The configuration of node ``name`` (built once and shared)."""
        node = self._nodes.get(name)
        if node is None:
            node = self._nodes[name] = (self.replica(name) if name in self.replicas
                                        else self.proposer(name))
        return node

    def proposer(self, name: str) -> LogNode:
        raise NotImplementedError

    def replica(self, name: str) -> LogNode:
        raise NotImplementedError
