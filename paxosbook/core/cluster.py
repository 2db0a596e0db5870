"""Who runs which role on which node, and the node that hosts them.

Two deployments, both from the paper: separate nodes per role (``p1..``, ``a1..``, ``l1..``)
or every node hosting an acceptor and a learner with the first few also proposers
(``n1..``). A ``Node`` routes each message to the role that handles it and concatenates their
effects; ``Cluster.node(name)`` is a node's configuration and ``Node.init(stored)`` its state,
fresh or from what it persisted, which is how a crash-restart keeps an acceptor's promises and a
proposer's highest round and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .acceptor import Acceptor
from .ballot import Value
from .effects import AcceptorState, Effect, ProposerRound, Timer
from .learner import Learner, LearnerState
from .messages import Accept, Accepted, Message, Nack, Prepare, Promise
from .mutants import Mutant
from .proposer import Backoff, Proposer, ProposerState
from .quorum import QuorumSystem

Stored = Mapping[type, object]
"""A node's stable storage: the last persisted state of each of its roles, by state type."""


class NodeState(NamedTuple):
    """The state of a node: each hosted role's state, ``None`` for a role it does not host."""

    proposer: ProposerState | None
    acceptor: AcceptorState | None
    learner: LearnerState | None


Handler = Callable[[NodeState, Any], tuple[NodeState, list[Effect]]]


@dataclass(frozen=True, eq=False)
class Node:
    """The configuration of a process hosting any of the three roles; its state is a
    ``NodeState``.

    Messages are routed by type: Prepare and Accept to the acceptor, Promise and Nack to the
    proposer, Accepted to the learner and then the proposer. ``routes`` (message type ->
    pure handler ``(state, msg) -> (state, effects)``) is that table; interpreters may call it
    directly instead of ``on_message``.
    """

    name: str
    proposer: Proposer | None = None
    acceptor: Acceptor | None = None
    learner: Learner | None = None
    routes: dict[type, Handler] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "routes", _routes(self.proposer, self.acceptor, self.learner))

    def __reduce__(self) -> tuple[Any, ...]:  # the routes are closures: rebuild them
        return (Node, (self.name, self.proposer, self.acceptor, self.learner))

    def init(self, stored: Stored | None = None) -> NodeState:
        """The node's state at start, or after a restart from its stable storage ``stored``."""
        stored = stored or {}
        p, a, lr = self.proposer, self.acceptor, self.learner
        return NodeState(
            None if p is None else p.init(stored.get(ProposerRound)),  # type: ignore[arg-type]
            None if a is None else a.init(stored.get(AcceptorState)),  # type: ignore[arg-type]
            None if lr is None else lr.init())

    def on_start(self, s: NodeState) -> tuple[NodeState, list[Effect]]:
        if self.proposer is None or s.proposer is None:
            return s, []
        ps, effects = self.proposer.on_start(s.proposer)
        return NodeState(ps, s.acceptor, s.learner), effects

    def on_timeout(self, s: NodeState, timer: Timer) -> tuple[NodeState, list[Effect]]:
        if self.proposer is None or s.proposer is None:
            return s, []
        ps, effects = self.proposer.on_timeout(s.proposer, timer)
        return (s if ps is s.proposer else NodeState(ps, s.acceptor, s.learner)), effects

    def on_message(self, s: NodeState, msg: Message) -> tuple[NodeState, list[Effect]]:
        handler = self.routes.get(type(msg))
        return handler(s, msg) if handler is not None else (s, [])

    def roles(self) -> tuple[str, ...]:
        return tuple(r for r in ("proposer", "acceptor", "learner")
                     if getattr(self, r) is not None)


def _routes(proposer: Proposer | None, acceptor: Acceptor | None,
            learner: Learner | None) -> dict[type, Handler]:
    """The node's handlers by message type, each lifting one role's pure handler to the
    node's state (kept flat: the simulator calls these for every delivery)."""
    routes: dict[type, Handler] = {}
    if acceptor is not None:
        prepare, accept = acceptor.on_prepare, acceptor.on_accept

        def on_prepare(s: NodeState, msg: Any) -> tuple[NodeState, list[Effect]]:
            a, effects = prepare(s[1], msg)  # type: ignore[arg-type]
            return (s if a is s[1] else NodeState(s[0], a, s[2])), effects

        def on_accept(s: NodeState, msg: Any) -> tuple[NodeState, list[Effect]]:
            a, effects = accept(s[1], msg)  # type: ignore[arg-type]
            return (s if a is s[1] else NodeState(s[0], a, s[2])), effects

        routes[Prepare], routes[Accept] = on_prepare, on_accept
    if proposer is not None:
        for kind, handler in ((Promise, proposer.on_promise), (Nack, proposer.on_nack),
                              (Accepted, proposer.on_accepted)):
            routes[kind] = _lift_proposer(handler)
    if learner is not None:
        hear = learner.on_message
        if proposer is None:
            def on_accepted(s: NodeState, msg: Any) -> tuple[NodeState, list[Effect]]:
                lr, effects = hear(s[2], msg)  # type: ignore[arg-type]
                return (s if lr is s[2] else NodeState(s[0], s[1], lr)), effects
        else:
            told = proposer.on_accepted

            def on_accepted(s: NodeState, msg: Any) -> tuple[NodeState, list[Effect]]:
                lr, first = hear(s[2], msg)  # type: ignore[arg-type]
                ps, second = told(s[0], msg)  # type: ignore[arg-type]
                return NodeState(ps, s[1], lr), first + second
        routes[Accepted] = on_accepted
    return routes


def _lift_proposer(handler: Callable[[Any, Any], tuple[ProposerState, list[Effect]]]
                   ) -> Handler:
    def lifted(s: NodeState, msg: Any) -> tuple[NodeState, list[Effect]]:
        ps, effects = handler(s[0], msg)
        return (s if ps is s[0] else NodeState(ps, s[1], s[2])), effects
    return lifted


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
    backoff_window: int = 1

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

    def node(self, name: str) -> Node:
        """The configuration of node ``name`` (built once per name and shared)."""
        cache = self.__dict__.setdefault("_nodes", {})
        node = cache.get(name)
        if node is None:
            node = cache[name] = self._build_node(name)
        return node

    def _build_node(self, name: str) -> Node:
        proposer = acceptor = learner = None
        for spec in self.proposers:
            if spec.node == name:
                proposer = Proposer(
                    name, spec.pid, spec.value, self.acceptors, self.quorums,
                    timeout=self.timeout, backoff=self.backoff, backoff_base=self.backoff_base,
                    max_attempts=self.max_attempts, mutants=self.mutants,
                    backoff_window=self.backoff_window)
        if name in self.acceptors:
            acceptor = Acceptor(name, self.learners, self.mutants)
        if name in self.learners:
            learner = Learner(name, self.quorums, self.mutants)
        return Node(name, proposer, acceptor, learner)
