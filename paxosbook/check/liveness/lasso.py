"""What bounded response returns: the ``Response``, and the ``Lasso`` that never decides,
replayed on real states as a ``Run`` with the real, ever higher ballots (for the views)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ...trace import CRASH, DROP, RECOVER, START, TIMER, Run
from ..actors.base import NOTHING_STORED, storage
from ..actors.trace import _Teller as Teller
from ..model import COUNTEREXAMPLE, Action
from .system import State, System


@dataclass
class Lasso:
    """An undecided path that never ends: ``prefix`` leads to a state that ``cycle`` (empty
    for a state with no step at all) returns to, and no state on the way has decided. Stable
    states and the ballots in the stable actions' names are renumbered (least round 1)."""

    prefix: list[Action]
    cycle: list[Action]
    states: list[State] = field(repr=False)
    """The states of ``prefix`` then ``cycle`` (one more than the actions)."""
    system: System = field(repr=False)

    def run(self, laps: int = 2) -> Run:
        """The prefix and ``laps`` times round the cycle as a ``Run`` (for the views), with
        the real, ever higher ballots."""
        n = len(self.prefix)
        actions = self.prefix + self.cycle * laps
        targets = self.states[1:n + 1] + self.states[n + 1:] * laps
        return run_of(self.system, actions, targets)

    def __str__(self) -> str:
        lines = [f"  {i + 1:>2}. {a}" for i, a in enumerate(self.prefix)]
        lines.append("  cycle (repeats for ever):" if self.cycle
                     else "  stuck: no step is enabled")
        lines += [f"  {i + 1:>2}. {a}" for i, a in enumerate(self.cycle)]
        return "\n".join(lines)


@dataclass
class Response:
    """The outcome of ``bounded_response``."""

    k: int | None
    """The least k such that every stable path decides within k steps; None if none does."""
    states: int
    """Distinct stable states explored (up to renumbering; with ``symmetry``, also up to
    renaming the acceptors; with ``settle``, settled ones)."""
    faulty_states: int
    """Distinct states of the faulty phase (with ``reduce``: drop-free ones, up to ``view``
    and, with ``symmetry``, renaming the acceptors)."""
    stabilisations: int
    """Distinct stable states the network became stable in (the graph's roots; with
    ``reduce`` and ``symmetry``, up to renaming the acceptors)."""
    complete: bool
    lasso: Lasso | None = None
    worst: list[Action] = field(default_factory=list)
    """A faulty path, its ``stabilise`` step and a longest stable path (``k`` steps)."""
    parameters: dict[str, Any] = field(default_factory=dict)
    settle_failed: str | None = None
    """With ``settle``: why its certificate failed (``certify``), the figures then being those
    of the search again without settling; ``None`` when it held or was not asked for."""

    @property
    def bounded(self) -> bool:
        return self.k is not None

    def __str__(self) -> str:
        head = (f"{_count(self.states, 'stable state')} from "
                f"{_count(self.stabilisations, 'stabilisation point')} "
                f"({_count(self.faulty_states, 'faulty state')})")
        if self.settle_failed is not None:
            head = (f"settling's certificate failed ({self.settle_failed}), so searched "
                    f"again without it: {head}")
        if self.k is not None:
            return f"{head}: every stable path decides within k = {self.k} steps"
        if self.lasso is not None:
            return f"{head}: NO BOUND, a stable path never decides\n{self.lasso}"
        return f"{head}; PARTIAL: state limit reached, no cycle found in the part explored"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def run_of(system: System, actions: Sequence[Action], targets: Sequence[State]) -> Run:
    """The run of the path ``actions`` (reaching ``targets``, renumbered where stable)
    from the initial state, replayed on real states: event records as the simulator's."""
    teller = Teller(system)  # type: ignore[arg-type]  # it asks only what System has
    for spec in system.cluster.proposers:
        teller.records.append((0.0, START, spec.node, "", spec.value, -1, -1, ""))
    for name, node in zip(system.nodes, system.roles, strict=True):
        teller.tell(name, node.on_start(node.init(None))[1], NOTHING_STORED, -1)
    state = system.initial()
    for k, (action, target) in enumerate(zip(actions, targets, strict=True)):
        teller.time = float(k + 1)
        if action.name == "stabilise":
            keep = [system.nodes.index(n) for n in action.args]
            state = system.stabilise(state, keep, renumber=False)
            continue
        step, after = next((a, t) for a, t in system.steps(state, renumber=False)
                           if a.name == action.name and a.via[0] == action.via[0]
                           and (system.normal(t) if t[0] else t) == target)
        _tell(system, teller, state, step)
        state = after
    return Run(system.config, 0, teller.records, COUNTEREXAMPLE)


def _tell(system: System, teller: Teller, state: State, step: Action) -> None:
    i, what = step.via
    if step.name == "drop":
        mid, msg = teller.pending[what].pop(0)
        teller.records.append((teller.time, DROP, msg.src, msg.dst, msg, mid, -1, ""))
        return
    name, (s, _, stored) = system.nodes[i], state[3][i]
    if state[0]:  # storage is cleared when stable: the acceptor's state is what it holds
        stored = (s.acceptor, None)
    cause = -1
    node = system.roles[i]
    if step.name == "restart":
        teller.records.append((teller.time, CRASH, name, "", None, -1, -1, ""))
        teller.records.append((teller.time, RECOVER, name, "", None, -1, -1, ""))
        effects = node.on_start(node.init(storage(stored)))[1]
    elif step.name == "timeout":
        teller.records.append((teller.time, TIMER, name, "", None, -1, -1, what.value))
        effects = node.on_timeout(s, what)[1]
    else:
        cause = teller.deliver(what)
        effects = node.on_message(s, system.msgs[what])[1]
    teller.tell(name, effects, stored, cause)
