"""What the model checker explores and what it reports: ``Model``, ``Action``, ``Invariant``,
``Sometimes``, ``Counterexample``, ``Witness`` and ``CheckResult`` (see ``engine`` for the search
itself)."""

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


class Collision(Exception):
    """Two different states with one hash in a search keyed by hashes (``vector_search``):
    the engine searches again without it."""


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


@dataclass(frozen=True)
class Sometimes(Generic[S]):
    """A named predicate that must hold in SOME reachable state ("sometimes", in Stateright):
    "a value can be chosen". A complete search that never meets it fails the check. Under
    symmetry it is tested on representatives, so it must not tell symmetric states apart."""

    name: str
    description: str
    holds: Callable[[S], bool]


class Model(Generic[S]):
    """What the engine explores. Subclasses define the first four methods; the rest have
    defaults built on them."""

    name = "model"
    invariants: Sequence[Invariant[S]] = ()
    sometimes: Sequence[Sometimes[S]] = ()

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

    def satisfied(self, state: S, pending: Sequence[Sometimes[S]]) -> list[Sometimes[S]]:
        """The sometimes-properties of ``pending`` that hold in ``state``."""
        return [p for p in pending if p.holds(state)]

    def explain(self, state: S, names: tuple[str, ...]) -> str:
        """One line saying how ``state`` breaks ``names``."""
        return "violates " + ", ".join(names)

    def canonical(self, state: S) -> tuple[S, int]:
        """(the representative of the orbit of ``state``, the orbit's size). Models without a
        symmetry group leave it alone."""
        raise UsageError("symmetry", f"off for model {self.name!r} (it has no symmetry group)",
                         True)

    def sleep_successors(self, state: S, sleep: Any) -> tuple[int, list[tuple[S, Any]]]:
        """Partial-order reduction (``explore(..., por=True)``): like ``successors``, but the
        steps in the sleep set ``sleep`` are counted and not taken, and each successor comes
        with its own sleep set (the steps of ``sleep`` or taken before it that commute with
        the step to it). The initial states' sleep set is 0 (empty)."""
        raise UsageError("por", f"off for model {self.name!r} (it has no sleep sets)", True)

    def canonical_renaming(self, state: S) -> tuple[S, int, Any]:
        """``canonical`` and a renaming that maps ``state`` to its representative."""
        raise UsageError("symmetry", f"off for model {self.name!r} with por", True)

    def sleep_image(self, renaming: Any, sleep: Any) -> Any:
        """The sleep set ``sleep`` carried by ``renaming`` (from ``canonical_renaming``). The
        engine does not ask for an empty (falsy) sleep set: it is its own image."""
        raise UsageError("por", f"off for model {self.name!r} (it has no sleep sets)", True)

    def vector_search(self) -> Any:
        """The sleep-set level loop as arrays, if the model offers one (``None``: it does not):
        an object with ``run(search)``, ``path_to(state)`` and ``distinct`` that does what
        ``engine._Search.bfs`` with sleep sets does (``check.actors.vector``)."""
        return None

    def describe_state(self, state: S) -> str:
        return repr(state)

    def acceptors(self) -> tuple[str, ...]:
        """The acceptors of the model, by name."""
        raise NotImplementedError

    def actor(self, action: Action) -> str | None:
        """The acceptor that takes ``action``, or ``None`` for any other step."""
        return None

    def extend(self, states: list[S], actions: list[Action],
               names: tuple[str, ...]) -> tuple[list[S], list[Action]]:
        """Complete a counterexample (``names``: the invariants broken) or a witness
        (``names``: the sometimes-property met) path, for models that explore some steps on
        the side."""
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


class _Path:
    """A path of a model (``states`` joined by ``actions``) that can be told as a ``Run``."""

    actions: list[Action]
    states: list[Any]
    model: Model[Any]

    @property
    def run(self) -> Run:
        """The path as a ``Run``: ``.trace`` for the views, ``.violations``."""
        return self.model.to_run(self.states, self.actions)

    def steps(self) -> str:
        return "\n".join(f"  {i + 1:>2}. {a}" for i, a in enumerate(self.actions))


@dataclass
class Counterexample(_Path, Generic[S]):
    """A shortest (under breadth-first search) path from an initial state to a bad state."""

    invariants: tuple[str, ...]
    message: str
    actions: list[Action]
    states: list[S] = field(repr=False)
    model: Model[S] = field(repr=False)

    @property
    def invariant(self) -> str:
        return self.invariants[0]

    def as_dict(self) -> dict[str, Any]:
        return {"invariant": self.invariant, "invariants": list(self.invariants),
                "message": self.message, "length": len(self.actions),
                "actions": [str(a) for a in self.actions]}

    def __str__(self) -> str:
        return f"{', '.join(self.invariants)}: {self.message}\n{self.steps()}"


@dataclass
class Witness(_Path, Generic[S]):
    """A sometimes-property met: a path from an initial state to a state where it holds,
    shortest under breadth-first search."""

    property: str
    description: str
    actions: list[Action]
    states: list[S] = field(repr=False)
    model: Model[S] = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"property": self.property, "description": self.description,
                "length": len(self.actions), "actions": [str(a) for a in self.actions]}

    def __str__(self) -> str:
        return f"{self.property} ({self.description}) in {len(self.actions)} steps"


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
    por: bool = False
    """Were sleep sets used (``explore``'s ``por``)? The figures are the same either way."""
    vectorised: bool = False
    """Did the arrays run any level of the sleep-set search (``explore``'s ``vectorised``;
    they take over at the first level of ``actors.vector.SWITCH`` states)? The states,
    figures and paths are the same either way."""
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
    witnesses: list[Witness[Any]] = field(default_factory=list)
    """The sometimes-properties met, each with a path to a state where it holds."""
    unmet: list[str] = field(default_factory=list)
    """The sometimes-properties no state explored meets: failures when ``complete``."""

    @property
    def states_per_second(self) -> float:
        return self.distinct_states / self.seconds if self.seconds > 0 else float("inf")

    @property
    def sometimes_failed(self) -> list[str]:
        """The sometimes-properties that no reachable state meets (a complete search only:
        a partial one cannot tell)."""
        return list(self.unmet) if self.complete else []

    @property
    def ok(self) -> bool:
        return not self.violations and not self.sometimes_failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "parameters": self.parameters,
            "distinct_states": self.distinct_states, "total_states": self.total_states,
            "depth": self.depth, "seconds": round(self.seconds, 4),
            "states_per_second": round(self.states_per_second, 1)
            if self.seconds > 0 else None,
            "complete": self.complete, "stop_reason": self.stop_reason, "order": self.order,
            "symmetry": self.symmetry, "por": self.por, "vectorised": self.vectorised,
            "raw_distinct_states": self.raw_distinct_states,
            "raw_total_states": self.raw_total_states,
            "reductions_off": dict(self.reductions_off),
            "reductions_narrowed": dict(self.reductions_narrowed),
            "violations": [v.as_dict() for v in self.violations],
            "sometimes": {"held": [w.as_dict() for w in self.witnesses],
                          "failed": self.sometimes_failed,
                          "unknown": [] if self.complete else list(self.unmet)},
            "ok": self.ok,
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
            return (head + self._sometimes_lines() + "\n"
                    + "\n".join(f"VIOLATION {v}" for v in self.violations))
        return head + ("; no invariant violated" if self.complete
                       else "; no violation in the part explored") + self._sometimes_lines()

    def _sometimes_lines(self) -> str:
        lines = [f"\nsometimes {w}" for w in self.witnesses]
        lines += [f"\nSOMETIMES FAILED {name}: no reachable state meets it"
                  for name in self.sometimes_failed]
        if not self.complete:
            lines += [f"\nsometimes {name}: not met in the part explored" for name in self.unmet]
        return "".join(lines)
