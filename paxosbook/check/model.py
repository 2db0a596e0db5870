"""What the model checker explores and what it reports: ``Model``, ``Action``, ``Invariant``,
``Counterexample`` and ``CheckResult`` (see ``engine`` for the search itself)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..core import UsageError

if TYPE_CHECKING:
    from ..trace import Run

S = TypeVar("S", bound=Hashable)

COUNTEREXAMPLE = "counterexample"
"""The ``stop_reason`` of the run that tells a counterexample's path (``Model.to_run``)."""


@dataclass(frozen=True)
class Action:
    """One step of a model, e.g. ``Phase2a(1, v2)`` or ``deliver Promise a1->p1 1.1``."""

    name: str
    args: tuple[Any, ...] = ()
    via: tuple[Any, ...] = ()
    """How the action was enabled (the quorum and witness chosen, ...): not printed."""

    def __str__(self) -> str:
        if self.name[:1].isupper():
            return f"{self.name}({', '.join(str(a) for a in self.args)})"
        return " ".join([self.name, *(str(a) for a in self.args)])


@dataclass(frozen=True)
class Invariant(Generic[S]):
    """A named predicate that must hold in every reachable state ("always", in Stateright)."""

    name: str
    description: str
    holds: Callable[[S], bool]


class Model(Generic[S]):
    """What the engine explores. Subclasses define the first four methods; the rest have
    defaults built on them."""

    name = "model"
    invariants: Sequence[Invariant[S]] = ()

    def initial_states(self) -> list[S]:
        raise NotImplementedError

    def actions(self, state: S) -> list[tuple[Action, S]]:
        """Every way each action is enabled in ``state``, with the state it leads to."""
        raise NotImplementedError

    def path_steps(self, state: S) -> list[tuple[Action, S]]:
        """Every step a counterexample path may take from ``state``: the ``actions`` and any
        that the search explores on the side (see ``extend``). Replaying a saved path uses it."""
        return self.actions(state)

    def successors(self, state: S) -> tuple[int, Iterable[S]]:
        """(number of successors generated, the successor states). The fast path of the
        search; the default derives it from ``actions``."""
        steps = self.actions(state)
        return len(steps), [t for _, t in steps]

    def violated(self, state: S) -> tuple[str, ...]:
        """Names of the invariants ``state`` breaks (empty when all hold)."""
        return tuple(inv.name for inv in self.invariants if not inv.holds(state))

    def explain(self, state: S, names: tuple[str, ...]) -> str:
        """One line saying how ``state`` breaks ``names``."""
        return "violates " + ", ".join(names)

    def canonical(self, state: S) -> tuple[S, int]:
        """(the representative of the orbit of ``state``, the orbit's size). Models without a
        symmetry group leave it alone."""
        raise UsageError("symmetry", f"off for model {self.name!r} (it has no symmetry group)",
                         True)

    def describe_state(self, state: S) -> str:
        return repr(state)

    def extend(self, states: list[S], actions: list[Action],
               names: tuple[str, ...]) -> tuple[list[S], list[Action]]:
        """Complete a counterexample path (for models that explore some steps on the side)."""
        return states, actions

    def certify(self) -> dict[str, str]:
        """Called after every search (complete, partial or stopped at a violation): for each
        reduction whose assumption failed on the states explored, why. Empty when every
        reduction held (or the model has none)."""
        return {}

    def without(self, reductions: dict[str, str]) -> Model[S]:
        """The same model with ``reductions`` (name -> why) switched off."""
        raise NotImplementedError(f"{self.name} has no reductions to switch off")

    def to_run(self, states: list[S], actions: list[Action]) -> Run:
        """A ``Run`` whose records tell the path ``states`` (joined by ``actions``)."""
        raise NotImplementedError


@dataclass
class Counterexample(Generic[S]):
    """A shortest (under breadth-first search) path from an initial state to a bad state."""

    invariants: tuple[str, ...]
    message: str
    actions: list[Action]
    states: list[S] = field(repr=False)
    model: Model[S] = field(repr=False)

    @property
    def invariant(self) -> str:
        return self.invariants[0]

    @property
    def run(self) -> Run:
        """The counterexample as a ``Run``: ``.trace`` for the views, ``.violations``."""
        return self.model.to_run(self.states, self.actions)

    def as_dict(self) -> dict[str, Any]:
        return {"invariant": self.invariant, "invariants": list(self.invariants),
                "message": self.message, "length": len(self.actions),
                "actions": [str(a) for a in self.actions]}

    def __str__(self) -> str:
        steps = "\n".join(f"  {i + 1:>2}. {a}" for i, a in enumerate(self.actions))
        return f"{', '.join(self.invariants)}: {self.message}\n{steps}"


@dataclass
class CheckResult:
    """The outcome of one search, with TLC's figures."""

    model: str
    distinct_states: int
    total_states: int
    depth: int
    seconds: float
    complete: bool
    stop_reason: str
    """exhausted, violation, max_states or max_seconds."""
    violations: list[Counterexample[Any]] = field(default_factory=list)
    order: str = "bfs"
    symmetry: bool = False
    raw_distinct_states: int = 0
    """Without symmetry reduction (equal to ``distinct_states`` when it is off)."""
    raw_total_states: int = 0
    parameters: dict[str, Any] = field(default_factory=dict)
    reductions_off: dict[str, str] = field(default_factory=dict)
    """Reductions that were switched off for this search, and why: a mutant known to break
    the assumption, or a certificate that failed on an earlier search (which was then run
    again without it). The figures are those of the search without them."""
    reductions_narrowed: dict[str, str] = field(default_factory=dict)
    """Reductions kept but not applied where a planted bug is known to break them, and why."""

    @property
    def states_per_second(self) -> float:
        return self.distinct_states / self.seconds if self.seconds > 0 else float("inf")

    @property
    def ok(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "parameters": self.parameters,
            "distinct_states": self.distinct_states, "total_states": self.total_states,
            "depth": self.depth, "seconds": round(self.seconds, 4),
            "states_per_second": round(self.states_per_second, 1)
            if self.seconds > 0 else None,
            "complete": self.complete, "stop_reason": self.stop_reason, "order": self.order,
            "symmetry": self.symmetry, "raw_distinct_states": self.raw_distinct_states,
            "raw_total_states": self.raw_total_states,
            "reductions_off": dict(self.reductions_off),
            "reductions_narrowed": dict(self.reductions_narrowed),
            "violations": [v.as_dict() for v in self.violations],
        }

    def __str__(self) -> str:
        head = (f"{self.model}: {self.distinct_states} distinct states, {self.total_states} "
                f"generated, depth {self.depth}, {self.seconds:.2f} s")
        if self.symmetry:
            head += (f" (symmetry; without it {self.raw_distinct_states} distinct, "
                     f"{self.raw_total_states} generated)")
        if self.stop_reason == "violation":
            head += "; stopped at the first violation"
        elif not self.complete:
            head += f"; PARTIAL: stopped at the {self.stop_reason.replace('_', ' ')} limit"
        for name, why in self.reductions_off.items():
            head += f"\nreduction {name} off: {why}"
        for name, why in self.reductions_narrowed.items():
            if name not in self.reductions_off:
                head += f"\nreduction {name} narrowed: {why}"
        if self.violations:
            return head + "\n" + "\n".join(f"VIOLATION {v}" for v in self.violations)
        return head + ("; no invariant violated" if self.complete
                       else "; no violation in the part explored")
