"""``bounded_response``: the faulty phase, every stabilisation, the stable graph, the verdict."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import combinations, pairwise
from typing import Any

from ...config import Config
from ...core import UsageError
from ...validation import check_int
from ..model import Action
from .graph import Bound, cycle_through, longest_to_decision
from .lasso import Lasso, Response
from .symmetry import Acceptors
from .system import State, System

MAX_STATES = 500_000
"""The most stable states ``bounded_response`` explores by default."""
LIMITS = {"acceptors": 5, "proposers": 3, "faulty_ballots": 2, "restarts": 2}


Parent = tuple[State | None, Action | None]


def bounded_response(acceptors: int = 3, proposers: int = 1, active: int = 1, *,
                     learners: int = 1, faulty_ballots: int = 1, restarts: int = 0,
                     faults: bool = True, max_states: int = MAX_STATES,
                     symmetry: bool = False) -> Response:
    """Explore the stable system reached from every state of the faulty phase (or, with
    ``faults=False``, from the initial state) with ``active`` proposers left; the least bound
    on the steps to a decision, or a ``Lasso`` that never decides (module docstring).

    ``symmetry=True`` keeps one stable state per renaming of the acceptors (``symmetry``):
    the same ``k`` (renaming is an automorphism), ``states`` counts representatives. A cycle
    or dead end is then explained by a search without it."""
    check_int("acceptors", acceptors, 1, LIMITS["acceptors"], why="bounded_response's limit")
    check_int("proposers", proposers, 1, LIMITS["proposers"], why="bounded_response's limit")
    check_int("active", active, 1, proposers, why="the proposers left active")
    check_int("learners", learners, 1, 2, why="bounded_response's limit")
    check_int("faulty_ballots", faulty_ballots, 1, LIMITS["faulty_ballots"],
              why="bounded_response's limit")
    check_int("restarts", restarts, 0, LIMITS["restarts"], why="bounded_response's limit")
    check_int("max_states", max_states, 1, 5_000_000, why="bounded_response's limit")
    for name, flag in (("faults", faults), ("symmetry", symmetry)):
        if not isinstance(flag, bool):
            raise UsageError(name, "True or False", flag)
    config = Config(acceptors=acceptors, proposers=proposers, learners=learners,
                    backoff="none", max_attempts=0)
    system = System(config, active, faulty_ballots, restarts if faults else 0)
    faulty = _faulty(system, faults)
    roots: dict[State, Parent] = {}
    for s in faulty:
        if system.decided(s):
            continue
        for keep in combinations(system.proposers, active):
            root = system.stabilise(s, keep)
            label = Action("stabilise", tuple(system.nodes[i] for i in keep))
            roots.setdefault(root, (s, label))
    parameters = {"acceptors": acceptors, "proposers": proposers, "active": active,
                  "learners": learners, "faulty_ballots": faulty_ballots, "restarts": restarts,
                  "faults": faults}
    canon = Acceptors(system).canonical if symmetry else _same
    longest = _longest(system, roots, max_states, canon)
    if longest is not None:  # bounded: the answer without the graph's edges
        response = Response(None, len(longest), len(faulty), len(roots), True,
                            parameters=parameters)
        _worst(system, response, faulty, roots, longest, canon)
        return response
    edges, on_cycle, complete = _stable(system, roots, max_states)
    response = Response(None, len(edges), len(faulty), len(roots), complete,
                        parameters=parameters)
    _judge(system, response, faulty, roots, edges, on_cycle)
    return response


def _same(state: State) -> State:
    return state


def _longest(system: System, roots: Iterable[State], max_states: int,
             canon: Callable[[State], State]) -> dict[State, int] | None:
    """For every stable state reachable from ``roots``, the most steps before a decision,
    depth-first, keeping one number per state and no edge. None when a cycle of undecided
    states, an undecided state with no step or ``max_states`` is met: ``_stable`` then builds
    the graph that explains it. (An undecided state's value is final once every successor's
    is, and a successor still on the stack is a cycle, so no depth bound is involved.) States
    are kept as ``canon`` gives them."""
    longest: dict[State, int] = {}
    decided = system.decided

    def successors(s: State) -> list[State]:
        return [canon(t) for t in system.successors(s)]

    for root in dict.fromkeys(canon(r) for r in roots):
        if root in longest:
            continue
        grey = {root}
        stack: list[list[Any]] = [[root, iter(() if decided(root) else successors(root)), 0]]
        while stack:
            top = stack[-1]
            for t in top[1]:
                known = longest.get(t)
                if known is not None:
                    if known >= top[2]:
                        top[2] = known + 1
                    continue
                if t in grey or len(longest) + len(grey) >= max_states:
                    return None
                grey.add(t)
                stack.append([t, iter(() if decided(t) else successors(t)), 0])
                break
            else:
                stack.pop()
                s, _, d = top
                grey.discard(s)
                if d == 0 and not decided(s):
                    return None  # a dead end
                longest[s] = d
                if stack and d >= stack[-1][2]:
                    stack[-1][2] = d + 1
    return longest


def _worst(system: System, response: Response, faulty: Mapping[State, Parent],
           roots: Mapping[State, Parent], longest: Mapping[State, int],
           canon: Callable[[State], State]) -> None:
    """``response.k`` and a path that takes it: the faulty path to the worst stabilisation
    point, its ``stabilise`` step, then steps that each lower the remaining bound by one (the
    most urgent such step each time, as ``_judge`` picks them)."""
    worst = max(roots, key=lambda r: longest[canon(r)])
    response.k = longest[canon(worst)]
    _, response.worst = _path_to(worst, {worst: (None, None)}, roots, faulty)
    s = worst
    while not system.decided(s):
        left = longest[canon(s)] - 1
        action, s = next((a, t) for a, t in sorted(system.steps(s), key=system.urgency)
                         if longest[canon(t)] == left)
        response.worst.append(action)


def _faulty(system: System, faults: bool) -> dict[State, Parent]:
    """Every state of the faulty phase, each with its parent and the step from it."""
    init = system.initial()
    seen: dict[State, Parent] = {init: (None, None)}
    frontier = [init] if faults else []
    while frontier:
        nxt = []
        for s in frontier:
            if system.decided(s):
                continue
            for action, t in system.steps(s):
                if t not in seen:
                    seen[t] = (s, action)
                    nxt.append(t)
        frontier = nxt
    return seen


def _stable(system: System, roots: Iterable[State], max_states: int
            ) -> tuple[dict[State, list[tuple[Action, State]]], State | None, bool]:
    """The stable graph from ``roots`` (edges of every undecided state), depth-first: (edges,
    a state on a cycle of undecided states or None, complete?). Stops at the first cycle (it
    is the answer; on a graph that renumbering leaves infinite, a duel, it is the only one) or
    at ``max_states``. Steps are tried Prepare deliveries first, then Nack, Promise, Accept,
    Accepted, timeouts: the order only decides how soon a duel is found, not any verdict."""
    edges: dict[State, list[tuple[Action, State]]] = {}

    def expand(s: State) -> Iterator[tuple[Action, State]]:
        edges[s] = [] if system.decided(s) else sorted(system.steps(s), key=system.urgency)
        return iter(edges[s])

    for root in roots:
        if root in edges:
            continue
        grey = {root}
        stack = [(root, expand(root))]
        while stack:
            s, todo = stack[-1]
            for _, t in todo:
                if t in grey:
                    return edges, t, False
                if t not in edges:
                    if len(edges) >= max_states:
                        return edges, None, False
                    grey.add(t)
                    stack.append((t, expand(t)))
                    break
            else:
                stack.pop()
                grey.discard(s)
    return edges, None, True


def _shortest(edges: Mapping[State, list[tuple[Action, State]]], roots: Iterable[State]
              ) -> dict[State, Parent]:
    """Breadth-first parents over the explored ``edges`` from ``roots``."""
    parents: dict[State, Parent] = {r: (None, None) for r in roots}
    frontier = list(parents)
    while frontier:
        nxt = []
        for s in frontier:
            for action, t in edges.get(s, ()):
                if t not in parents:
                    parents[t] = (s, action)
                    nxt.append(t)
        frontier = nxt
    return parents


def _graph(edges: Mapping[State, list[tuple[Action, State]]]) -> dict[State, list[State]]:
    """The successor lists of ``edges``; states reached but not expanded have none."""
    graph = {s: [t for _, t in steps] for s, steps in edges.items()}
    for steps in edges.values():
        for _, t in steps:
            graph.setdefault(t, [])
    return graph


def _judge(system: System, response: Response, faulty: Mapping[State, Parent],
           roots: Mapping[State, Parent], edges: Mapping[State, list[tuple[Action, State]]],
           on_cycle: State | None) -> None:
    decided = {s for s in edges if system.decided(s)}
    graph = _graph(edges)
    if response.complete:
        bound = longest_to_decision(graph, decided)
    else:  # only a cycle is an answer: a state not expanded is no dead end
        bound = Bound({}, on_cycle, on_cycle is not None)
    if bound.stuck is not None:
        parents = _shortest(edges, roots)
        prefix_states, prefix = _path_to(bound.stuck, parents, roots, faulty)
        cycle_states = cycle_through(graph, bound.stuck) if bound.cyclic else [bound.stuck]
        cycle = [_label(edges, a, b) for a, b in pairwise(cycle_states)]
        response.lasso = Lasso(prefix, cycle, prefix_states + cycle_states[1:], system)
        return
    if not response.complete:
        return
    worst = max(roots, key=lambda r: bound.longest[r])
    response.k = bound.longest[worst]
    _, response.worst = _path_to(worst, {worst: (None, None)}, roots, faulty)
    s = worst
    while s not in decided:
        t = next(t for t in graph[s] if bound.longest[t] == bound.longest[s] - 1)
        response.worst.append(_label(edges, s, t))
        s = t


def _label(edges: Mapping[State, list[tuple[Action, State]]], s: State, t: State) -> Action:
    return next(a for a, u in edges[s] if u == t)


def _path_to(end: State, parents: Mapping[State, Parent], roots: Mapping[State, Parent],
             faulty: Mapping[State, Parent]) -> tuple[list[State], list[Action]]:
    """The states and actions from the initial state to the stable state ``end``: faulty
    steps, the ``stabilise`` step, stable steps."""
    states, actions = [end], []

    def back(table: Mapping[State, Parent]) -> None:
        while True:
            parent, action = table[states[-1]]
            if parent is None or action is None:
                return
            states.append(parent)
            actions.append(action)

    back(parents)
    parent, action = roots[states[-1]]
    states.append(parent)  # type: ignore[arg-type]
    actions.append(action)  # type: ignore[arg-type]
    back(faulty)
    return states[::-1], actions[::-1]
