"""The stepper and the model checker: a ``World`` as a state of the ``actors`` model, a search
from it, and a path of the model's actions as stepper actions.

``model_state`` turns a world in which every node is up and every proposer has started into
the state ``ActorModel`` would hold after the same history: each node's local state interned
(under the model's own reductions), the messages in flight as its network, the votes and
Accepts of the records as its ghost. A world with a node down or a proposer not started is
first completed (``complete``): restarting a down node and starting a proposer now rather than
later loses no behaviour (what they do depends only on their storage, and their messages can
still wait), so a violation reachable from the completed world is reachable from the world.

``From`` is the model the engine explores for ``Stepper.search``: the ``actors`` model with the
completed world as its one initial state and, optionally, no successors beyond ``max_depth``.
``to_stepper`` turns the model's shortest path back into stepper actions: a delivery takes the
earliest copy in flight of that message (or of one the model treats as the same); on a set
network, where a message may be received twice, a duplicate is made where the path needs one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..check.actors import ActorModel
from ..check.actors.base import State
from ..check.engine import Action as ModelAction
from ..check.model import CheckResult, Model
from ..core import Accept, Cluster, Proposal
from ..events import ACCEPT, PROMISE, SEND, Record
from ..trace import Run
from .world import Action, World, actions, apply


def complete(cluster: Cluster, world: World) -> list[Action]:
    """The restarts of down nodes and starts of proposers that make every node up and
    started (what ``model_state`` needs)."""
    out = [a for a in actions(cluster, world) if a.kind == "restart"]
    restarted = {a.node for a in out}
    out += [a for a in actions(cluster, world) if a.kind == "start" and a.node not in restarted]
    return out


def ghost(records: Iterable[Record]) -> tuple[frozenset[Any], frozenset[Any]]:
    """The model's history variables from a run's records: every vote, every Accept sent."""
    votes, accepts = set(), set()
    for _, event, node, _, p, _, _, _ in records:
        if (event == PROMISE or event == ACCEPT) and p.accepted is not None:
            votes.add((node, p.accepted.ballot, p.accepted.value))
        elif event == SEND and type(p) is Accept:
            accepts.add(Proposal(p.ballot, p.value))
    return frozenset(votes), frozenset(accepts)


def model_state(model: ActorModel, world: World, records: Iterable[Record],
                restarts: int) -> State:
    """``world`` (every node up, every proposer started) as a state of ``model``."""
    locs = []
    for i, state in enumerate(world.states):
        assert state is not None, "complete() the world first"
        local = (i, model.shown(state), world.timers[i], world.stored[i])
        locs.append(model.canon_local(i, local))
    mids = [model.alias(model.intern_msg(msg)) for _, msg in world.pending]
    net: Any
    if model.network == "set":
        net = 0
        for mid in mids:
            net |= 1 << mid
    else:
        net = tuple(sorted(mids))
    if model.pruner is not None:
        net = model.pruner.all(net, locs)
    return (net, model.intern_ghost(ghost(records)), restarts, *locs)


class From(Model[State]):
    """The ``actors`` model started from one world, with at most ``max_depth`` steps."""

    name = "actors"

    def __init__(self, model: ActorModel, world: World, records: Sequence[Record],
                 restarts: int, max_depth: int | None, flags: dict[str, bool] | None = None
                 ) -> None:
        self.model, self.world, self.records = model, world, records
        self.restarts, self.max_depth = restarts, max_depth
        self.start = model_state(model, world, records, restarts)
        self.depths: dict[State, int] = {self.start: 0}
        self.flags = {"cut": False} if flags is None else flags

    @property
    def cut(self) -> bool:
        """Whether some state had successors beyond ``max_depth`` (in this search or in
        one before it that a failed certificate made run again)."""
        return self.flags["cut"]

    @property
    def parameters(self) -> dict[str, Any]:
        return self.model.parameters

    @property
    def reductions_off(self) -> dict[str, str]:
        return self.model.reductions_off

    @property
    def reductions_narrowed(self) -> dict[str, str]:
        return self.model.reductions_narrowed

    def initial_states(self) -> list[State]:
        return [self.start]

    def successors(self, state: State) -> tuple[int, list[State]]:
        d = self.depths[state]
        if self.max_depth is not None and d >= self.max_depth:
            if not self.flags["cut"]:
                self.flags["cut"] = bool(self.model.successors(state)[1])
            return 0, []
        n, out = self.model.successors(state)
        for t in out:
            self.depths.setdefault(t, d + 1)
        return n, out

    def actions(self, state: State) -> list[tuple[ModelAction, State]]:
        return self.model.actions(state)

    def violated(self, state: State) -> tuple[str, ...]:
        return self.model.violated(state)

    def explain(self, state: State, names: tuple[str, ...]) -> str:
        return self.model.explain(state, names)

    def extend(self, states: list[State], actions: list[ModelAction],
               names: tuple[str, ...]) -> tuple[list[State], list[ModelAction]]:
        return self.model.extend(states, actions, names)

    def certify(self) -> dict[str, str]:
        return self.model.certify()

    def without(self, reductions: dict[str, str]) -> From:
        return From(self.model.without(reductions), self.world, self.records, self.restarts,
                    self.max_depth, self.flags)

    def describe_state(self, state: State) -> str:
        return self.model.describe_state(state)

    def to_run(self, states: list[State], actions: list[ModelAction]) -> Run:
        return self.model.to_run(states, actions)


def to_stepper(model: ActorModel, cluster: Cluster, world: World,
               path: Sequence[ModelAction]) -> list[Action]:
    """The stepper actions that take ``world`` along the model's ``path``."""
    spare: set[int] = set()  # steps of the path before whose delivery a duplicate is made
    while True:
        out, missing = _translate(model, cluster, world, path, spare)
        if missing is None:
            return out
        spare.add(missing)


def _translate(model: ActorModel, cluster: Cluster, world: World,
               path: Sequence[ModelAction], spare: set[int]) -> tuple[list[Action], int | None]:
    """(the actions, ``None``) or, when a delivery finds no copy in flight, ([], the step
    that last consumed a copy of that message: it needs a duplicate first)."""
    out: list[Action] = []
    consumed: dict[int, int] = {}  # model message id -> step that last delivered a copy
    for k, step in enumerate(path):
        i, code, _ = step.via
        name = cluster.nodes[i]
        if step.name == "restart":
            todo = [Action("crash", name), Action("restart", name)]
        elif step.name == "timeout":
            todo = [next(a for a in actions(cluster, world)
                         if a.kind == "timeout" and a.node == name and a.timer is not None
                         and a.timer.value == step.args[1])]
        else:
            copy = next(((mid, msg) for mid, msg in world.pending
                         if model.alias(model.intern_msg(msg)) == code), None)
            if copy is None:
                if code not in consumed:  # pragma: no cover - a path the world cannot take
                    raise RuntimeError(f"no copy in flight for step {k + 1}: {step}")
                return [], consumed[code]
            consumed[code] = k
            todo = [Action("deliver", copy[1].dst, copy[1], copy[0])]
            if k in spare:
                todo.insert(0, Action("duplicate", copy[1].dst, copy[1], copy[0]))
        for action in todo:
            world, _ = apply(cluster, world, action)
            out.append(action)
    return out, None


@dataclass(frozen=True)
class SearchResult:
    """What ``Stepper.search`` found: the shortest path to a violation from the position it
    started at (``found``), loaded as the current branch, or why there is none."""

    found: bool
    properties: tuple[str, ...]
    message: str
    steps: tuple[str, ...]
    """The labels of the stepper actions loaded (starts and restarts first, if any)."""
    length: int
    """The model checker's path length (its actions: deliveries, timeouts, restarts)."""
    check: CheckResult
    max_depth: int | None
    depth_cut: bool
    """Whether states beyond ``max_depth`` were left unexplored."""

    @property
    def states(self) -> int:
        return self.check.distinct_states

    def __str__(self) -> str:
        n = self.states
        if self.found:
            return (f"{', '.join(self.properties)} broken {self.length} steps from here "
                    f"(shortest; {n} states searched): {self.message}")
        if not self.check.complete:
            return (f"no violation in the {n} states explored (stopped at the "
                    f"{self.check.stop_reason.replace('_', ' ')} limit)")
        if self.depth_cut:
            return f"no violation within {self.max_depth} steps from here ({n} states)"
        return f"no violation reachable from here ({n} states: every behaviour explored)"
