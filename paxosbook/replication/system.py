"""The nodes of a replicated-log strategy, as a ``paxosbook.sim.system.System``.

Every strategy has the same nodes: the proposers (A, B, ...) and the replicas ``r1..rN``. A
``LogSystem`` subclass says what each node runs (``proposer`` and ``replica``); a ``LogNode``
routes each message type to a handler, like ``core.Node``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from ..core import Effect, QuorumSystem
from .config import LogConfig, Strategy

Handler = Callable[[Any], list[Effect]]


class LogNode:
    """A node: ``routes`` (message type -> handler), start and timeout handlers, and the role
    objects it hosts in ``parts`` (for inspection)."""

    __slots__ = ("_start", "_timeout", "name", "parts", "routes")

    def __init__(self, name: str, routes: dict[type, Handler], *,
                 start: Callable[[], list[Effect]] | None = None,
                 timeout: Handler | None = None, **parts: Any) -> None:
        self.name = name
        self.routes = routes
        self._start = start
        self._timeout = timeout
        self.parts = parts

    def on_start(self) -> list[Effect]:
        return self._start() if self._start is not None else []

    def on_timeout(self, timer: Any) -> list[Effect]:
        return self._timeout(timer) if self._timeout is not None else []

    def on_message(self, msg: Any) -> list[Effect]:
        handler = self.routes.get(type(msg))
        return handler(msg) if handler is not None else []


class _AnyType(dict[type, Any]):
    """``routes`` of a ``_Restartable``: every message type goes to the node's own router."""

    def get(self, key: type, default: Any = None) -> Any:
        return _deliver


def _deliver(node: LogNode, msg: Any) -> tuple[LogNode, list[Effect]]:
    return node, node.on_message(msg)


class _Restartable:
    """A log node in the simulator's shape: its state is the ``LogNode`` object itself, built
    fresh or from stable storage by ``init``."""

    routes = _AnyType()

    def __init__(self, system: LogSystem, name: str) -> None:
        self.system, self.name = system, name

    def init(self, stored: Mapping[Any, Any] | None) -> LogNode:
        return self.system.make_node(self.name, stored)

    def on_start(self, node: LogNode) -> tuple[LogNode, list[Effect]]:
        return node, node.on_start()

    def on_message(self, node: LogNode, msg: Any) -> tuple[LogNode, list[Effect]]:
        return node, node.on_message(msg)

    def on_timeout(self, node: LogNode, timer: Any) -> tuple[LogNode, list[Effect]]:
        return node, node.on_timeout(timer)


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

    def start_events(self) -> list[tuple[float, str, str]]:
        cfg = self.config
        return [(i * cfg.start_offset, p, ",".join(cfg.commands_of(p)))
                for i, p in enumerate(self.proposers)]

    def node(self, name: str) -> _Restartable:
        """The node ``name`` as the simulator runs it (see ``_Restartable``)."""
        return _Restartable(self, name)

    def make_node(self, name: str, stored: Mapping[Any, Any] | None = None) -> LogNode:
        if name in self.replicas:
            return self.replica(name, stored or {})
        return self.proposer(name, stored or {})

    def proposer(self, name: str, stored: Mapping[Any, Any]) -> LogNode:
        raise NotImplementedError

    def replica(self, name: str, stored: Mapping[Any, Any]) -> LogNode:
        raise NotImplementedError
