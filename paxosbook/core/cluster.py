"""Who runs which role on which node, and the node that hosts them.

Two deployments, both from the paper: separate nodes per role (``p1..``, ``a1..``, ``l1..``)
or every node hosting an acceptor and a learner with the first few also proposers
(``n1..``). A ``Node`` routes each message to the role that handles it and concatenates their
effects; ``Cluster.make_node`` builds a node fresh or from what it persisted, which is how a
crash-restart keeps an acceptor's promises and a proposer's highest round and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .acceptor import Acceptor
from .ballot import Value
from .effects import AcceptorState, Effect, ProposerState, Timer
from .learner import Learner
from .messages import Accept, Accepted, Message, Nack, Prepare, Promise
from .mutants import Mutant
from .proposer import Backoff, Proposer
from .quorum import QuorumSystem

Stored = Mapping[type, object]
"""A node's stable storage: the last persisted state of each of its roles, by state type."""


class Node:
    """A process hosting any of the three roles.

    Messages are routed by type: Prepare and Accept to the acceptor, Promise and Nack to the
    proposer, Accepted to the learner and then the proposer. ``routes`` (message type ->
    handler) is that table; interpreters may call it directly instead of ``on_message``.
    """

    __slots__ = ("acceptor", "learner", "name", "proposer", "routes")

    def __init__(self, name: str, proposer: Proposer | None = None,
                 acceptor: Acceptor | None = None, learner: Learner | None = None) -> None:
        self.name = name
        self.proposer = proposer
        self.acceptor = acceptor
        self.learner = learner
        self.routes: dict[type, Callable[[Any], list[Effect]]] = {}
        self._route()

    def _route(self) -> None:
        routes = self.routes
        if self.acceptor is not None:
            routes[Prepare] = self.acceptor.on_prepare
            routes[Accept] = self.acceptor.on_accept
        if self.proposer is not None:
            routes[Promise] = self.proposer.on_promise
            routes[Nack] = self.proposer.on_nack
            routes[Accepted] = self.proposer.on_accepted
        if self.learner is not None:
            learner = self.learner.on_message
            proposer = self.proposer.on_accepted if self.proposer is not None else None
            routes[Accepted] = learner if proposer is None else (
                lambda msg: learner(msg) + proposer(msg))

    def on_start(self) -> list[Effect]:
        return self.proposer.on_start() if self.proposer is not None else []

    def on_timeout(self, timer: Timer) -> list[Effect]:
        return self.proposer.on_timeout(timer) if self.proposer is not None else []

    def on_message(self, msg: Message) -> list[Effect]:
        handler = self.routes.get(type(msg))
        return handler(msg) if handler is not None else []

    def roles(self) -> tuple[str, ...]:
        return tuple(r for r in ("proposer", "acceptor", "learner")
                     if getattr(self, r) is not None)


@dataclass(frozen=True, slots=True)
class ProposerSpec:
    node: str
    pid: int
    value: Value


@dataclass(frozen=True)
class Cluster:
    """The static description of a Paxos deployment; everything a node needs to start."""

    proposers: tuple[ProposerSpec, ...]
    acceptors: tuple[str, ...]
    learners: tuple[str, ...]
    quorums: QuorumSystem
    timeout: float
    backoff: Backoff = Backoff.NONE
    backoff_base: float = 1.0
    max_attempts: int = 0
    mutants: frozenset[Mutant] = frozenset()

    @classmethod
    def build(cls, *, acceptors: int, values: tuple[Value, ...], learners: int,
              colocated: bool, quorums: QuorumSystem | None = None, **kw: object) -> Cluster:
        """Name the nodes of a deployment. ``quorums`` defaults to majorities."""
        if colocated:
            nodes = tuple(f"n{i}" for i in range(1, acceptors + 1))
            props = tuple(ProposerSpec(nodes[i], i + 1, v) for i, v in enumerate(values))
            acc, lrn = nodes, nodes
        else:
            props = tuple(ProposerSpec(f"p{i + 1}", i + 1, v) for i, v in enumerate(values))
            acc = tuple(f"a{i}" for i in range(1, acceptors + 1))
            lrn = tuple(f"l{i}" for i in range(1, learners + 1))
        q = quorums if quorums is not None else QuorumSystem.majority(acc)
        return cls(props, acc, lrn, q, **kw)  # type: ignore[arg-type]

    @property
    def nodes(self) -> tuple[str, ...]:
        """Every node name, proposers first, then acceptors, then learners, without repeats."""
        names = [p.node for p in self.proposers] + list(self.acceptors) + list(self.learners)
        return tuple(dict.fromkeys(names))

    def make_node(self, name: str, stored: Stored | None = None) -> Node:
        """Build ``name`` fresh, or restarted from its stable storage ``stored``."""
        stored = stored or {}
        proposer = acceptor = learner = None
        for spec in self.proposers:
            if spec.node == name:
                proposer = Proposer(
                    name, spec.pid, spec.value, self.acceptors, self.quorums,
                    timeout=self.timeout, backoff=self.backoff, backoff_base=self.backoff_base,
                    max_attempts=self.max_attempts, mutants=self.mutants,
                    stored=stored.get(ProposerState))  # type: ignore[arg-type]
        if name in self.acceptors:
            acceptor = Acceptor.restore(name, self.learners,
                                        stored.get(AcceptorState),  # type: ignore[arg-type]
                                        self.mutants)
        if name in self.learners:
            learner = Learner(name, self.quorums, self.mutants)
        return Node(name, proposer, acceptor, learner)
