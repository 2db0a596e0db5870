"""``check(...)``: build a model from plain parameters and explore it (what the CLI, the
notebook and the benchmarks call).

``model="tla"``: Lamport's specification with ``acceptors`` acceptors, ``values`` values and
ballots 0..``max_ballot``. ``model="actors"``: the real roles, ``values`` proposers (one value
each), ``learners`` learners, ``max_attempts`` ballots per proposer (default ``max_ballot + 1``,
so ``max_ballot=1`` is one retry each), a ``network`` of kind set or multiset, ``restarts``
acceptor crash-restarts. Quorums: majorities, sizes ``q1``/``q2``, or explicit ``quorums``
(each a collection of acceptor names, used for both phases). ``mutant`` plants a named bug
(actors) or, as ``non-intersecting-quorums``, picks Q1=1, Q2=N-1 (both models). ``crashed``
names acceptors down for good (``check.crashed``): with fewer left than a quorum, nothing is
ever chosen and the sometimes-properties fail.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from itertools import combinations
from typing import Any

from ..config import Config
from ..core import Mutant, QuorumSystem, UsageError
from ..validation import check_int
from .actors.model import LIMITS as ACTOR_LIMITS
from .crashed import Crashed
from .engine import explore
from .model import CheckResult, Model
from .scenarios import QUORUMS

MODELS = ("tla", "actors")
MAX_STATES = 2_000_000
"""The most distinct states ``check`` (and ``paxosbook check``) explores, by default and at
most: a search keeps every state it has seen, about 250-320 bytes each (measured, both models,
with and without symmetry), so about 600 MB at the limit; the array level loop of ``actors``
(``check.actors.vector``) peaks at about 850 MB there (rows of whole words, and a level's
arrays while it is processed). The largest model the book checks (3 acceptors, 2 proposers,
one retry each, with symmetry) has 1,487,243."""


def build_model(model: str = "tla", *, acceptors: int = 3, values: int = 2, max_ballot: int = 1,
                quorums: Sequence[Collection[str]] | None = None, q1: int = 0, q2: int = 0,
                mutant: str | None = None, network: str = "set", restarts: int | None = None,
                learners: int = 1, max_attempts: int | None = None,
                crashed: Sequence[str] = ()) -> Model[Any]:
    """The model these parameters describe; ``UsageError`` names a bad one."""
    built = _build(model, acceptors, values, max_ballot, quorums, q1, q2, mutant, network,
                   restarts, learners, max_attempts)
    if isinstance(crashed, str):
        crashed = (crashed,)
    return Crashed(built, crashed) if crashed else built


def _build(model: str, acceptors: int, values: int, max_ballot: int,
           quorums: Sequence[Collection[str]] | None, q1: int, q2: int, mutant: str | None,
           network: str, restarts: int | None, learners: int,
           max_attempts: int | None) -> Model[Any]:
    if model not in MODELS:
        raise UsageError("model", "one of " + ", ".join(MODELS), model)
    mutants = {m.value for m in Mutant}
    if mutant is not None and mutant not in mutants | {QUORUMS}:
        raise UsageError("mutant", "one of " + ", ".join(sorted(mutants | {QUORUMS})), mutant)
    if mutant == QUORUMS:
        if quorums or q1 or q2:
            raise UsageError("mutant", "no --quorums/--q1/--q2 with non-intersecting-quorums "
                             "(it picks Q1=1, Q2=N-1)", mutant)
        q1, q2 = 1, max(1, acceptors - 1)
    if model == "tla":
        return _tla(acceptors, values, max_ballot, quorums, q1, q2, mutant)
    return _actors(acceptors, values, max_ballot, quorums, q1, q2, mutant, network, restarts,
                   learners, max_attempts)


def _tla(acceptors: int, values: int, max_ballot: int,
         quorums: Sequence[Collection[str]] | None, q1: int, q2: int,
         mutant: str | None) -> Model[Any]:
    from .tla import TlaModel

    if mutant is not None and mutant != QUORUMS:
        raise UsageError("mutant", "non-intersecting-quorums only, for the tla model (the "
                         "other bugs live in the core's code: use the actors model)", mutant)
    if quorums and (q1 or q2):
        raise UsageError("quorums", "empty when q1/q2 are given (choose one quorum system)",
                         [sorted(q) for q in quorums])
    if q1 or q2:
        maj = acceptors // 2 + 1 if isinstance(acceptors, int) else 1
        return TlaModel.flexible(acceptors, q1 or maj, q2 or maj, values, max_ballot)
    return TlaModel(acceptors, values, max_ballot, quorums)


def _actors(acceptors: int, values: int, max_ballot: int,
            quorums: Sequence[Collection[str]] | None, q1: int, q2: int, mutant: str | None,
            network: str, restarts: int | None, learners: int,
            max_attempts: int | None) -> Model[Any]:
    from .actors import ActorModel

    check_int("max_ballot", max_ballot, 0, ACTOR_LIMITS["max_attempts"] - 1,
              why="the actors model's limit")
    fields: dict[str, Any] = {
        "acceptors": acceptors, "proposers": values, "learners": learners,
        "max_attempts": max_ballot + 1 if max_attempts is None else max_attempts,
        "backoff": "none", "q1": q1, "q2": q2,
        "quorums": tuple(tuple(sorted(q)) for q in quorums or ()),
        "mutants": (mutant,) if mutant is not None and mutant != QUORUMS else ()}
    names = tuple(f"a{i + 1}" for i in range(acceptors)) if isinstance(acceptors, int) else ()
    fields["unsafe"] = not intersects(names, quorums, q1, q2)
    if restarts is None:
        restarts = 1 if mutant == Mutant.FORGET_PROMISE_ON_RESTART.value else 0
    return ActorModel(Config(**fields), network=network, restarts=restarts)


def intersects(acceptors: Sequence[str], quorums: Sequence[Collection[str]] | None = None,
               q1: int = 0, q2: int = 0) -> bool:
    """Does every phase-1 quorum meet every phase-2 quorum? (Bad input: ``True``, so the
    model's own validation reports it.)"""
    try:
        if quorums:
            return QuorumSystem.from_sets(acceptors, list(quorums)).intersects()
        if q1 or q2:
            maj = len(acceptors) // 2 + 1
            return QuorumSystem.flexible(acceptors, q1 or maj, q2 or maj).intersects()
    except UsageError:
        return True
    return True


def check(model: str = "tla", *, symmetry: bool = False, order: str = "bfs",
          max_states: int | None = None, max_seconds: float | None = None,
          stop_on_violation: bool = True, progress: bool = False, por: bool | None = None,
          **parameters: Any) -> CheckResult:
    """Build the model (``build_model`` parameters) and explore it, at most ``max_states``
    distinct states (default and limit ``MAX_STATES``); ``por``: sleep sets (``actors``,
    breadth-first: on unless ``False``)."""
    built = build_model(model, **parameters)
    return explore(built, order=order, symmetry=symmetry, por=por,
                   max_states=state_limit(max_states),
                   max_seconds=max_seconds, stop_on_violation=stop_on_violation,
                   progress=progress)


def state_limit(max_states: int | None) -> int:
    """``max_states``, or ``MAX_STATES`` for ``None``; ``UsageError`` above the limit."""
    if max_states is None:
        return MAX_STATES
    check_int("max_states", max_states, 1, MAX_STATES,
              why="MAX_STATES: a search keeps every state, about 600 MB at the limit")
    return max_states


def majority_sets(acceptors: Sequence[str]) -> list[set[str]]:
    """The minimal majorities, as the TLA+ model configuration lists them."""
    return [set(c) for c in combinations(acceptors, len(acceptors) // 2 + 1)]
