"""Freeze a core node into a hashable value and thaw it back, for the ``actors`` model.

The model checker keeps states in a set, so it needs each node's volatile state as an immutable
value; to take a step it thaws the node (``Cluster.make_node`` builds the real roles, then the
frozen fields are put back), calls the real handler and freezes the result. No protocol rule
lives here: only which attributes of ``Proposer``, ``Acceptor`` and ``Learner`` are state.
``STATE``/``CONSTANT`` list every slot of each role; a test fails if the core grows a slot that
is in neither, so no state can be silently forgotten.

The proposer's ``promises`` keeps its insertion order (``choose_value`` iterates it), the sets
(``accepts``, the learner's voters) are frozen unordered.

``view`` is TLC's VIEW for a node: the frozen state without the fields its future cannot
depend on. The proposer reads ``promises`` only while preparing and ``accepts`` only while
accepting, and a new ballot resets both; elsewhere they are history that would only multiply
states. ``tests/test_check_actors.py`` checks this claim against the real ``Proposer``.
"""

from __future__ import annotations

from typing import Any

from ..core import AcceptorState, Cluster, Node, Phase, ProposerRound

STATE = {
    "Proposer": ("round", "ballot", "phase", "attempts", "promises", "accepts", "proposal"),
    "Acceptor": ("state",),
    "Learner": ("votes", "learned"),
}
CONSTANT = {
    "Proposer": ("acceptors", "backoff", "backoff_base", "max_attempts", "mutants", "name", "pid",
                 "quorums", "timeout", "value"),
    "Acceptor": ("learners", "mutants", "name"),
    "Learner": ("mutants", "name", "quorums"),
}

Frozen = tuple[Any, Any, Any]
"""(proposer, acceptor, learner) frozen states, ``None`` for a role the node does not host."""
Stored = tuple[AcceptorState | None, ProposerRound | None]
"""A node's stable storage: the last persisted acceptor and proposer state."""


def freeze(node: Node) -> Frozen:
    p, a, learner = node.proposer, node.acceptor, node.learner
    fp = None if p is None else (p.round, p.ballot, p.phase, p.attempts,
                                 tuple(p.promises.items()), frozenset(p.accepts), p.proposal)
    fa = None if a is None else a.state
    fl = None if learner is None else (
        frozenset((prop, frozenset(who)) for prop, who in learner.votes.items()),
        learner.learned)
    return (fp, fa, fl)


def view(frozen: Frozen) -> Frozen:
    """``frozen`` without the proposer fields that are dead in its phase."""
    fp = frozen[0]
    if fp is None:
        return frozen
    phase = fp[2]
    if phase is Phase.PREPARING or (phase is Phase.ACCEPTING and not fp[4]):
        return frozen
    accepts = fp[5] if phase is Phase.ACCEPTING else frozenset()
    return ((*fp[:4], (), accepts, fp[6]), frozen[1], frozen[2])


def thaw(cluster: Cluster, name: str, frozen: Frozen, stored: Stored) -> Node:
    """The node ``name`` in state ``frozen``, with its stable storage ``stored``."""
    node = cluster.make_node(name, storage(stored))
    fp, fa, fl = frozen
    if node.proposer is not None and fp is not None:
        p = node.proposer
        p.round, p.ballot, p.phase, p.attempts, promises, accepts, p.proposal = fp
        p.promises = dict(promises)
        p.accepts = set(accepts)
    if node.acceptor is not None and fa is not None:
        node.acceptor.state = fa
    if node.learner is not None and fl is not None:
        votes, node.learner.learned = fl
        node.learner.votes = {prop: set(who) for prop, who in votes}
    return node


def storage(stored: Stored) -> dict[type, object]:
    acc, prop = stored
    out: dict[type, object] = {}
    if acc is not None:
        out[AcceptorState] = acc
    if prop is not None:
        out[ProposerRound] = prop
    return out


def store(stored: Stored, state: AcceptorState | ProposerRound) -> Stored:
    """``stored`` after a ``Persist(state)``."""
    if type(state) is AcceptorState:
        return (state, stored[1])
    return (stored[0], state)  # type: ignore[return-value]
