"""``bounded_response``: the faulty phase, every stabilisation, the stable graph, the verdict."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import combinations, pairwise
from typing import Any

from ...config import Config
from ...core import UsageError
from ...gcpause import gc_paused
from ...validation import check_int
from ..model import Action
from .certify import Certificate
from .graph import Bound, cycle_through, longest_to_decision
from .lasso import Lasso, Response
from .settle import Settler
from .symmetry import Acceptors
from .system import State, System

MAX_STATES = 500_000
"""The most stable states ``bounded_response`` explores by default."""
MAX_LIMIT = 20_000_000
"""The most it may be asked to explore (about 150 bytes each, ``Packed``)."""
LIMITS = {"acceptors": 5, "proposers": 3, "faulty_ballots": 2, "restarts": 2}


Parent = tuple[State | None, Action | None]
Settled = Callable[[State], tuple[bytes, int]]
"""A stable state's key in the graph ``_longest`` explores, and the steps settling took out
(``settle``): the state's longest run is that key's plus those steps."""


def bounded_response(acceptors: int = 3, proposers: int = 1, active: int = 1, *,
                     learners: int = 1, faulty_ballots: int = 1, restarts: int = 0,
                     faults: bool = True, max_states: int = MAX_STATES,
                     symmetry: bool = False, reduce: bool = True, settle: bool = False
                     ) -> Response:
    """Explore the stable system reached from every state of the faulty phase (or, with
    ``faults=False``, from the initial state) with ``active`` proposers left; the least bound
    on the steps to a decision, or a ``Lasso`` that never decides (module docstring).

    ``symmetry=True`` keeps one stable state per renaming of the acceptors (``symmetry``):
    the same ``k`` (renaming is an automorphism), ``states`` counts representatives. A cycle
    or dead end is then explained by a search without it.

    ``reduce`` (with ``faults``) explores the faulty phase without drops, keeping one state
    per renaming of the acceptors (with ``symmetry``) and per ``view``, and gets every
    stabilisation point by dropping messages afterwards (``_reduced_roots``: the same points,
    so the same ``k``; ``faulty_states`` then counts those drop-free representatives).
    ``reduce=False`` is the plain search, kept to check the reduced one against.

    ``settle=True`` explores each stable state without its inert messages and frozen learner
    votes (``settle``), counting the steps they take: the same ``k``, ``states`` counts the
    settled states. Exact (with several active proposers it takes out fewer messages). Once
    a bound is found, what settling relied on is checked with the real handlers
    (``certify``); if that fails, the answer is the search's without settling, and
    ``settle_failed`` says why."""
    check_int("acceptors", acceptors, 1, LIMITS["acceptors"], why="bounded_response's limit")
    check_int("proposers", proposers, 1, LIMITS["proposers"], why="bounded_response's limit")
    check_int("active", active, 1, proposers, why="the proposers left active")
    check_int("learners", learners, 1, 2, why="bounded_response's limit")
    check_int("faulty_ballots", faulty_ballots, 1, LIMITS["faulty_ballots"],
              why="bounded_response's limit")
    check_int("restarts", restarts, 0, LIMITS["restarts"], why="bounded_response's limit")
    check_int("max_states", max_states, 1, MAX_LIMIT, why="bounded_response's limit")
    for name, flag in (("faults", faults), ("symmetry", symmetry), ("reduce", reduce),
                       ("settle", settle)):
        if not isinstance(flag, bool):
            raise UsageError(name, "True or False", flag)
    args = (acceptors, proposers, active, learners, faulty_ballots, restarts, faults,
            max_states, symmetry, reduce)
    with gc_paused():  # millions of states, no cycles (``paxosbook.gcpause``)
        try:
            return _search(*args, settle)
        except Uncertified as failed:  # settling was wrong here: the exact search, without it
            response = _search(*args, False)
            response.settle_failed = str(failed)
            return response


class Uncertified(Exception):
    """Settling's certificate failed (the reason): ``bounded_response`` searches again."""


def _search(acceptors: int, proposers: int, active: int, learners: int, faulty_ballots: int,
            restarts: int, faults: bool, max_states: int, symmetry: bool, reduce: bool,
            settle: bool) -> Response:
    """``bounded_response``'s search; with ``settle``, raises ``Uncertified`` as soon as a
    bound is found if settling's certificate (``certify``) fails, before any path is told
    from the settled values."""
    config = Config(acceptors=acceptors, proposers=proposers, learners=learners,
                    backoff="none", max_attempts=0)
    system = System(config, active, faulty_ballots, restarts if faults else 0)
    parameters = {"acceptors": acceptors, "proposers": proposers, "active": active,
                  "learners": learners, "faulty_ballots": faulty_ballots, "restarts": restarts,
                  "faults": faults}
    renaming = Acceptors(system) if symmetry else None
    canon = renaming.canonical if renaming is not None else _same
    packed = Packed(system, canon)

    def key(state: State) -> bytes:
        return packed.key(canon(state))

    settler = Settler(system) if settle else None
    certificate = None
    if settler is not None:
        settler.record = True
        renamings = [g.mapping for g in renaming.group] if renaming is not None else [{}]
        certificate = Certificate(system, settler, renamings)

    def certify(k: int) -> None:
        if certificate is not None:
            why = certificate.check(k)
            if why is not None:
                raise Uncertified(why)

    def settled(state: State) -> tuple[bytes, int]:
        if settler is None:
            return key(state), 0
        s, steps = settler.settle(state)  # a decided state too: one key, whatever led to it
        return key(s), 0 if system.decided(state) else steps

    if faults and reduce:
        return _reduced(system, canon, key, packed, max_states, parameters, settled, certify)
    faulty = _faulty(system, faults)
    roots: dict[State, Parent] = {}
    for s in faulty:
        if system.decided(s):
            continue
        for keep in combinations(system.proposers, active):
            root = system.stabilise(s, keep)
            label = Action("stabilise", tuple(system.nodes[i] for i in keep))
            roots.setdefault(root, (s, label))
    longest, _, _ = _longest(system, dict.fromkeys(key(r) for r in roots), max_states, packed,
                             settled=settled)
    if longest is not None:  # bounded: the answer without the graph's edges
        response = Response(None, len(longest), len(faulty), len(roots), True,
                            parameters=parameters)
        value = _value(longest, settled)
        certify(max(map(value, roots)))
        _worst(system, response, faulty, roots, value)
        return response
    edges, on_cycle, complete = _stable(system, roots, max_states)
    response = Response(None, len(edges), len(faulty), len(roots), complete,
                        parameters=parameters)
    _judge(system, response, faulty, roots, edges, on_cycle)
    return response


def _same(state: State) -> State:
    return state


def _value(longest: Mapping[bytes, int], settled: Settled) -> Callable[[State], int]:
    """A stable state's longest run to a decision, from ``_longest``'s table."""
    def value(state: State) -> int:
        k, steps = settled(state)
        return longest[k] + steps
    return value


class Packed:
    """Stable states as bytes: node-state ids, then message ids, 4 bytes each (a few times
    smaller than the tuples, for maps of millions of states). ``key`` and ``state`` are
    inverse on stable states (restarts and storage are cleared there)."""

    def __init__(self, system: System, canon: Callable[[State], State]) -> None:
        self.canon = canon
        self.n = len(system.nodes)
        self._ids: dict[Any, int] = {}
        self._locals: list[Any] = []

    def key(self, state: State) -> bytes:
        ids, out = self._ids, []
        for local in state[3]:
            i = ids.get(local)
            if i is None:
                i = ids[local] = len(self._locals)
                self._locals.append(local)
            out.append(i)
        out.extend(state[2])
        return array("I", out).tobytes()

    def state(self, key: bytes) -> State:
        a = array("I")
        a.frombytes(key)
        locals_ = self._locals
        return (True, 0, tuple(a[self.n:]), tuple([locals_[i] for i in a[:self.n]]))


def _reduced(system: System, canon: Callable[[State], State], key: Callable[[State], bytes],
             packed: Packed, max_states: int, parameters: dict[str, Any], settled: Settled,
             certify: Callable[[int], None]) -> Response:
    """``bounded_response`` with ``reduce``: the same stabilisation points, found from the
    drop-free faulty phase (``_reduced_roots``), and one shared ``longest`` over them."""
    faulty = _drop_free(system, canon)
    roots = _reduced_roots(system, faulty, canon, packed)
    longest: dict[bytes, int] = {}
    found, failed, stuck = _longest(system, roots, max_states, packed, longest, settled)
    if found is not None:
        value = _value(longest, settled)
        unpack = packed.state
        worst = max(roots, key=lambda r: value(unpack(r)))
        certify(value(unpack(worst)))
        response = Response(value(unpack(worst)), len(longest), len(faulty), len(roots), True,
                            parameters=parameters)
        states, response.worst = _prefix(system, canon, key, faulty, roots, worst)
        s = states[-1]
        while not system.decided(s):
            left = value(s) - 1
            action, s = next((a, t) for a, t in sorted(system.steps(s), key=system.urgency)
                             if value(t) == left)
            response.worst.append(action)
        return response
    response = Response(None, len(longest), len(faulty), len(roots), False,
                        parameters=parameters)
    if not stuck or failed is None:
        return response
    # a cycle or a dead end is reachable from ``failed``: explain it from a real path to it
    states, actions = _prefix(system, canon, key, faulty, roots, failed)
    edges, on_cycle, complete = _stable(system, states[-1:], max_states)
    parents: dict[State, Parent] = {states[0]: (None, None)}
    parents.update((t, (s, a)) for s, t, a in zip(states, states[1:-1], actions, strict=False))
    response.complete = complete
    _judge(system, response, parents, {states[-1]: (states[-2], actions[-1])}, edges, on_cycle)
    if response.lasso is None:  # the limit came first: no claim either way
        response.k, response.complete, response.worst = None, False, []
    return response


def _drop_free(system: System, canon: Callable[[State], State]) -> dict[State, State | None]:
    """The faulty phase without drop steps, breadth-first, one state per ``canon`` of its
    ``viewed`` form, each with its parent (None for the initial state)."""
    init = canon(system.viewed(system.initial()))
    seen: dict[State, State | None] = {init: None}
    frontier = [init]
    while frontier:
        nxt = []
        for s in frontier:
            if system.decided(s):
                continue
            for t in system.undropped(s):
                t = canon(t)
                if t not in seen:
                    seen[t] = s
                    nxt.append(t)
        frontier = nxt
    return seen


def _reduced_roots(system: System, faulty: Mapping[State, State | None],
                   canon: Callable[[State], State], packed: Packed
                   ) -> dict[bytes, State | bytes]:
    """Every stabilisation point (as ``canon`` gives it, ``packed``), each with where it came
    from: the drop-free faulty state it stabilises, or the point with one more message in
    flight.

    Why these are exactly the points of the plain search (``_faulty``), renamed:

    * A drop commutes with every later step that does not deliver that copy: no step reads
      the network except to deliver from it (faulty timers fire at any time, restarts and the
      ballot bound read node states only, ``decided`` too). So a faulty path with drops can be
      rearranged into a drop-free path followed by its drops, passing through the same node
      states in the same order (so no decided state is expanded and no ballot bound broken on
      the way): the faulty states are exactly the drop-free ones minus sub-multisets of their
      messages, and ``stabilise`` commutes with removing messages. The points are therefore
      the stabilised drop-free states, closed under removing one message (and renumbering).
    * ``viewed`` forgets proposer fields that no step reads (``base.view``, checked against
      the real handlers by ``tests/test_check_actors.py``), and ``stabilise`` renumbers, which
      applies ``view`` anyway: a state and its view have the same successors up to view, and
      the same points.
    * ``canon`` picks one renaming of the acceptors, an automorphism of the faulty relation
      too (``symmetry``) that commutes with ``stabilise``, ``normal`` and removing a message.

    ``tests/test_liveness.py`` checks the two searches give the same set of points."""
    keeps = list(combinations(system.proposers, system.active))
    roots: dict[bytes, State | bytes] = {}
    stack = []
    for s in faulty:
        if system.decided(s):
            continue
        for keep in keeps:
            root = packed.key(canon(system.stabilise(s, keep)))
            if root not in roots:
                roots[root] = s
                stack.append(root)
    while stack:
        root = stack.pop()
        _, _, net, nodes = packed.state(root)
        for j, mid in enumerate(net):
            if j and net[j - 1] == mid:
                continue
            less = packed.key(canon(system.normal((True, 0, net[:j] + net[j + 1:], nodes))))
            if less not in roots:
                roots[less] = root
                stack.append(less)
    return roots


def _prefix(system: System, canon: Callable[[State], State], key: Callable[[State], bytes],
            faulty: Mapping[State, State | None], roots: Mapping[bytes, State | bytes],
            root: bytes) -> tuple[list[State], list[Action]]:
    """A real path from the initial state to a stable state whose ``key`` is ``root``:
    drop-free faulty steps, drops, ``stabilise`` (states and actions, one more state)."""
    chain = [root]
    origin = roots[root]
    while isinstance(origin, bytes):
        chain.append(origin)
        origin = roots[origin]
    path: list[State] = [origin]
    before = faulty[origin]
    while before is not None:
        path.append(before)
        before = faulty[before]
    path.reverse()
    state = system.initial()
    states, actions = [state], []

    def step(a: Action, t: State) -> None:
        nonlocal state
        state = t
        states.append(t)
        actions.append(a)

    for target in path[1:]:
        step(*next((a, t) for a, t in system.steps(state) if a.name != "drop"
                   and canon(system.viewed(t)) == target))
    keep = next(k for k in combinations(system.proposers, system.active)
                if key(system.stabilise(state, k)) == chain[-1])
    for smaller in reversed(chain[:-1]):
        step(*next((a, t) for a, t in system.steps(state) if a.name == "drop"
                   and key(system.stabilise(t, keep)) == smaller))
    step(Action("stabilise", tuple(system.nodes[i] for i in keep)),
         system.stabilise(state, keep))
    return states, actions


def _longest(system: System, roots: Iterable[bytes], max_states: int, packed: Packed,
             longest: dict[bytes, int] | None = None, settled: Settled | None = None
             ) -> tuple[dict[bytes, int] | None, bytes | None, bool]:
    """For every stable state reachable from ``roots`` (keys: ``packed`` representatives),
    the most steps before a decision, depth-first, keeping one number per state and no edge,
    in ``longest`` (given, or new). (None, the root being explored, True) when a cycle of
    undecided states or an undecided state with no step is met, (None, root, False) at
    ``max_states``: ``_stable`` then builds the graph that explains it. (An undecided
    state's value is final once every successor's is, and a successor still on the stack is
    a cycle, so no depth bound is involved.) Successors are taken as the ``packed`` keys of
    their representatives (``canon`` is folded into the caller's ``key``), or as ``settled``
    gives them: then an edge to a state counts one step plus the steps settling took out of
    it, and a root's value is ``longest`` of its settled key plus its own."""
    if longest is None:
        longest = {}
    decided = system.decided
    pack, unpack = packed.key, packed.state
    canon = packed.canon
    plain = settled is None

    def settle(t: State) -> tuple[bytes, int]:
        return (pack(canon(t)), 0) if settled is None else settled(t)

    def successors(k: bytes) -> Iterator[tuple[bytes, int]]:
        s = unpack(k)
        if decided(s):
            return iter(())
        return iter([settle(t) for t in system.successors(s)])

    for root in roots:
        start = root if plain else settle(unpack(root))[0]
        if start in longest:
            continue
        grey = {start}
        stack: list[list[Any]] = [[start, successors(start), 0, 0]]
        while stack:
            top = stack[-1]
            for t, extra in top[1]:
                known = longest.get(t)
                if known is not None:
                    if known + extra >= top[2]:
                        top[2] = known + extra + 1
                    continue
                if t in grey:
                    return None, root, True
                if len(longest) + len(grey) >= max_states:
                    return None, root, False
                grey.add(t)
                stack.append([t, successors(t), 0, extra])
                break
            else:
                stack.pop()
                k, _, d, extra = top
                grey.discard(k)
                if d == 0 and not decided(unpack(k)):
                    return None, root, True  # a dead end
                longest[k] = d
                if stack and d + extra >= stack[-1][2]:
                    stack[-1][2] = d + extra + 1
    return longest, None, False


def _worst(system: System, response: Response, faulty: Mapping[State, Parent],
           roots: Mapping[State, Parent], value: Callable[[State], int]) -> None:
    """``response.k`` and a path that takes it: the faulty path to the worst stabilisation
    point, its ``stabilise`` step, then steps that each lower the remaining bound by one (the
    most urgent such step each time, as ``_judge`` picks them)."""
    worst = max(roots, key=value)
    response.k = value(worst)
    _, response.worst = _path_to(worst, {worst: (None, None)}, roots, faulty)
    s = worst
    while not system.decided(s):
        left = value(s) - 1
        action, s = next((a, t) for a, t in sorted(system.steps(s), key=system.urgency)
                         if value(t) == left)
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
