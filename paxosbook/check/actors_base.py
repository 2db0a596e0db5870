"""Shared ground of the ``actors`` model's modules: event codes, state shapes, the attributes
every part of ``ActorModel`` relies on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core import Timer
from .engine import Action, Model

if TYPE_CHECKING:
    from ..core import Cluster, Node
    from .freeze import Stored

SHIFT = 24  # node state id << SHIFT | event code
TIMERS = tuple(Timer)
TIMER_BASE = 1 << 22
RESTART = TIMER_BASE + len(TIMERS)

State = tuple[Any, ...]
"""(network, ghost id, restarts left, node state id, ...)."""
Step = tuple[int, Any, Any]
"""(new node state id, sends, ghost delta or None)."""
Local = tuple[int, Any, frozenset[Timer], "Stored"]
"""(node index, frozen roles, armed timers, stable storage)."""


class ActorBase(Model[State]):
    """Attributes and methods that ``ActorModel`` provides to its reductions."""

    name = "actors"
    nodes: tuple[str, ...]
    cluster: Cluster
    network: str
    proposed: tuple[str, ...]
    aside: frozenset[int]
    symmetric: tuple[int, ...]
    _locals: list[Local]
    _msgs: list[Any]
    _dst: list[int]
    _to: list[int]
    _steps: dict[int, Step]
    _armed: list[tuple[int, ...]]
    _node_lids: list[list[int]]
    _ghosts: list[tuple[frozenset[Any], frozenset[Any]]]

    if TYPE_CHECKING:
        def intern_local(self, value: Local) -> int: ...
        def intern_msg(self, msg: Any) -> int: ...
        def intern_ghost(self, value: tuple[frozenset[Any], frozenset[Any]]) -> int: ...
        def step(self, i: int, lid: int, code: int) -> Step: ...
        def react(self, i: int, lid: int,
                  code: int) -> tuple[Node, list[Any], frozenset[Timer]]: ...
        def apply(self, state: State, i: int, code: int, consumed: int) -> State: ...
        def action(self, state: State, i: int, code: int, consumed: int) -> Action: ...
        def snapshot(self, state: State, learned: dict[int, Any] | None = None) -> Any: ...
        def alias(self, mid: int) -> int: ...
        def canon_local(self, i: int, value: Local) -> int: ...
