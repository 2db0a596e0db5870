"""Shared ground of the ``actors`` model's modules: event codes, the shapes of states, stable
storage and the proposer's view.

A node's local state is ``(index, NodeState, armed timers, stored)``: the core's own immutable
``NodeState`` (no copying, freezing or thawing: the core's handlers are pure functions of it),
the timers armed, and its stable storage ``(AcceptorState | None, ProposerRound | None)``.
"""

from __future__ import annotations

from typing import Any

from ...core import AcceptorState, NodeState, Phase, ProposerRound, Timer

SHIFT = 24  # node state id << SHIFT | event code
TIMERS = tuple(Timer)
TIMER_BASE = 1 << 22
RESTART = TIMER_BASE + len(TIMERS)

State = tuple[Any, ...]
"""(network, ghost id, restarts left, node state id, ...)."""
Step = tuple[int, Any, Any]
"""(new node state id, sends, ghost delta or None)."""
Stored = tuple[AcceptorState | None, ProposerRound | None]
"""A node's stable storage: the last persisted acceptor and proposer state."""
Local = tuple[int, NodeState, frozenset[Timer], Stored]
"""(node index, the node's state, armed timers, stable storage)."""
NOTHING_STORED: Stored = (None, None)


def storage(stored: Stored) -> dict[type, object]:
    """``stored`` in the form ``Node.init`` reads."""
    acc, prop = stored
    out: dict[type, object] = {}
    if acc is not None:
        out[AcceptorState] = acc
    if prop is not None:
        out[ProposerRound] = prop
    return out


def store(stored: Stored, state: Any) -> Stored:
    """``stored`` after a ``Persist(state)``."""
    if type(state) is AcceptorState:
        return (state, stored[1])
    return (stored[0], state)


def view(state: NodeState) -> NodeState:
    """TLC's VIEW for a node: ``state`` without the proposer fields its future cannot depend on.

    The proposer reads ``promises`` only while preparing (``on_promise`` returns at once in any
    other phase) and ``accepts`` only while accepting, and a new ballot resets both; elsewhere
    they are history that would only multiply states. ``tests/test_check_actors.py`` checks
    this claim against the real ``Proposer`` handlers."""
    ps = state.proposer
    if ps is None:
        return state
    phase = ps.phase
    if phase is Phase.PREPARING or (phase is Phase.ACCEPTING and not ps.promises):
        return state
    accepts = ps.accepts if phase is Phase.ACCEPTING else frozenset()
    return NodeState(ps._replace(promises=(), accepts=accepts), state.acceptor, state.learner)


def bits(x: int) -> list[int]:
    """The positions of the set bits of ``x``, lowest first (message ids in a set network)."""
    out = []
    while x:
        low = x & -x
        x ^= low
        out.append(low.bit_length() - 1)
    return out
