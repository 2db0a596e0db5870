"""``Crashed``: a model whose named acceptors are down for good (they never take a step).

Safety does not need them; liveness does. With a phase-2 quorum larger than the acceptors left
nothing can ever be chosen, and the sometimes-properties ("a value is chosen") fail the check:
the smallest deployment that never decides. The wrapper only disables the actions of the
crashed acceptors (``Model.actor`` says whose an action is); every other question goes to the
model it wraps. It has no symmetry (the crashed acceptors are not interchangeable with the
others) and takes the slow, readable ``actions`` path, which is enough for these small models.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..core import UsageError
from .model import Action, Model, S, Sometimes

if TYPE_CHECKING:
    from ..trace import Run


class Crashed(Model[S]):
    """``model`` with the acceptors ``acceptors`` crashed for good before the first step."""

    def __init__(self, model: Model[S], acceptors: Sequence[str]) -> None:
        names = tuple(model.acceptors())
        down = tuple(acceptors)
        if not down or len(set(down)) != len(down) or not set(down) <= set(names):
            raise UsageError("crashed", f"distinct acceptors from {list(names)}", list(down))
        self.model = model
        self.down = frozenset(down)
        self.name = model.name
        self.invariants = model.invariants
        self.sometimes = model.sometimes
        self.parameters = {**getattr(model, "parameters", {}), "crashed": sorted(down)}
        self.reductions_off = getattr(model, "reductions_off", {})
        self.reductions_narrowed = getattr(model, "reductions_narrowed", {})

    def _alive(self, steps: list[tuple[Action, S]]) -> list[tuple[Action, S]]:
        return [(a, t) for a, t in steps if self.model.actor(a) not in self.down]

    def initial_states(self) -> list[S]:
        return self.model.initial_states()

    def actions(self, state: S) -> list[tuple[Action, S]]:
        return self._alive(self.model.actions(state))

    def path_steps(self, state: S) -> list[tuple[Action, S]]:
        return self._alive(self.model.path_steps(state))

    def violated(self, state: S) -> tuple[str, ...]:
        return self.model.violated(state)

    def satisfied(self, state: S, pending: Sequence[Sometimes[S]]) -> list[Sometimes[S]]:
        return self.model.satisfied(state, pending)

    def explain(self, state: S, names: tuple[str, ...]) -> str:
        return self.model.explain(state, names)

    def describe_state(self, state: S) -> str:
        return self.model.describe_state(state)

    def extend(self, states: list[S], actions: list[Action],
               names: tuple[str, ...]) -> tuple[list[S], list[Action]]:
        return self.model.extend(states, actions, names)

    def acceptors(self) -> tuple[str, ...]:
        return self.model.acceptors()

    def actor(self, action: Action) -> str | None:
        return self.model.actor(action)

    def certify(self) -> dict[str, str]:
        return self.model.certify()

    def without(self, reductions: dict[str, str]) -> Crashed[S]:
        return Crashed(self.model.without(reductions), sorted(self.down))

    def to_run(self, states: list[S], actions: list[Action]) -> Run:
        return self.model.to_run(states, actions)

    def canonical(self, state: S) -> tuple[S, Any]:
        raise UsageError("symmetry", "off with crashed acceptors (they are not interchangeable "
                         "with the others)", True)
