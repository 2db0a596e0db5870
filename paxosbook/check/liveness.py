"""Bounded response after stabilisation: once the network is stable, does every path decide,
and within how many steps?

Theory of operation. Paxos cannot promise to decide (FLP), only to decide once the system
behaves. The question is made exact as a model transformation over the core's own roles:

* The faulty phase is the ``actors`` model on a multiset network: any message may be delivered
  (consumed), dropped (loss, and so partitions), an acceptor may crash and restart from its
  stable storage (``restarts`` times in all), and a timer may fire at any moment. It lasts while
  every proposer has tried at most ``faulty_ballots`` ballots (a step that would start one more
  is not taken in this phase), so it is finite.
* From every reachable state of it that has not decided, the network becomes stable: a
  ``stabilise`` step keeps ``active`` proposers (each choice of them) and stops the others for
  good (their state is dropped, messages to them are lost). From then on the successor relation
  is the stable one: no loss, no crash, no duplication; a delivery consumes its message; a timer
  fires only when no message is in flight (timeouts are longer than a round trip: partial
  synchrony after GST); the active proposers retry at once (no backoff) with no bound on ballots.
* A state has decided when a learner has learned or a proposer knows its proposal was chosen.

The stable system has no bound on ballots, so its states are taken up to renumbering: every
round is shifted so that the least is 1 (``NO_BALLOT``, the minimum, is left alone), attempt
counters are cleared (with no bound and no backoff nothing reads them), storage is cleared (no
restart reads it) and a proposer's dead fields are cleared (``base.view``). Each of these is
exact: the roles only compare ballots, take maxima and add 1. So an endless duel becomes a
cycle, and a cycle found is a real infinite run (shift its ballots and go round again).

The bound is then a graph question, answered without any depth bound: Tarjan's algorithm finds
the strongly connected components of the stable graph. A cycle among undecided states, or an
undecided state with no step, means no bound (``Response.lasso``: the path to it, then the
cycle, as named actions). Otherwise the undecided states form a DAG and the least ``k`` is its
longest path to a decided state, from the worst stabilisation point (``Response.worst``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations, pairwise
from typing import Any, TypeVar

from ..config import Config
from ..core import (
    NO_BALLOT,
    AcceptorState,
    Ballot,
    CancelTimer,
    NodeState,
    Persist,
    Phase,
    Proposal,
    Send,
    SetTimer,
    UsageError,
)
from ..core.learner import LearnerState
from ..trace import CRASH, DROP, RECOVER, START, TIMER, Run
from ..validation import check_int
from .actors.base import NOTHING_STORED, storage, store, view
from .actors.model import describe
from .actors.trace import _Teller as Teller
from .model import COUNTEREXAMPLE, Action

N = TypeVar("N", bound=Hashable)
State = tuple[Any, ...]
"""(stable?, restarts left, in-flight message ids sorted, (node state, timers, stored)...)."""
MAX_STATES = 500_000
"""The most stable states ``bounded_response`` explores by default."""
URGENCY = ("Prepare", "Nack", "Promise", "Accept", "Accepted")
LIMITS = {"acceptors": 5, "proposers": 3, "faulty_ballots": 2, "restarts": 2}


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
        return self.system.run_of(actions, targets)

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
    """Distinct stable states explored (up to renumbering)."""
    faulty_states: int
    """Distinct states of the faulty phase."""
    stabilisations: int
    """Distinct stable states the network became stable in (the graph's roots)."""
    complete: bool
    lasso: Lasso | None = None
    worst: list[Action] = field(default_factory=list)
    """A faulty path, its ``stabilise`` step and a longest stable path (``k`` steps)."""
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def bounded(self) -> bool:
        return self.k is not None

    def __str__(self) -> str:
        head = (f"{self.states} stable states from {self.stabilisations} stabilisation points "
                f"({self.faulty_states} faulty states)")
        if self.k is not None:
            return f"{head}: every stable path decides within k = {self.k} steps"
        if self.lasso is not None:
            return f"{head}: NO BOUND, a stable path never decides\n{self.lasso}"
        return f"{head}; PARTIAL: state limit reached, no cycle found in the part explored"


class System:
    """The core's roles under the faulty and the stable successor relations (see above)."""

    def __init__(self, config: Config, active: int, faulty_ballots: int, restarts: int) -> None:
        self.config = config
        self.cluster = config.cluster()
        self.nodes = self.cluster.nodes
        self.roles = tuple(self.cluster.node(n) for n in self.nodes)
        self.proposers = tuple(i for i, r in enumerate(self.roles) if r.proposer is not None)
        self.acceptors = tuple(i for i, r in enumerate(self.roles) if r.acceptor is not None)
        self.active = active
        self.faulty_ballots = faulty_ballots
        self.restarts = restarts
        self._ids: dict[Any, int] = {}
        self.msgs: list[Any] = []
        self.dst: list[int] = []
        self.labels: list[str] = []
        self.low: list[int] = []  # per message: its least round
        self._low_node: dict[NodeState, int] = {}
        self._shifted: dict[tuple[Any, int], Any] = {}

    # -- messages -------------------------------------------------------------------------
    def intern(self, msg: Any) -> int:
        mid = self._ids.get(msg)
        if mid is None:
            mid = self._ids[msg] = len(self.msgs)
            self.msgs.append(msg)
            self.dst.append(self.nodes.index(msg.dst))
            self.labels.append(describe(msg))
            self.low.append(min(_rounds(_msg_ballots(msg)), default=BIG))
        return mid

    def alias(self, mid: int) -> int:  # what ``actors.trace`` asks of a model
        return mid

    def intern_msg(self, msg: Any) -> int:
        return self.intern(msg)

    network = "multiset"

    # -- states ---------------------------------------------------------------------------
    def initial(self) -> State:
        net: list[int] = []
        nodes = []
        for node in self.roles:
            s, effects = node.on_start(node.init(None))
            local = self._effects((s, frozenset(), NOTHING_STORED), effects, net)
            nodes.append(local)
        return (False, self.restarts, tuple(sorted(net)), tuple(nodes))

    def _effects(self, local: tuple[Any, ...], effects: list[Any], net: list[int]
                 ) -> tuple[Any, ...]:
        """Carry out ``effects`` as the simulator does; sends to a stopped node are lost."""
        s, timers, stored = local
        for eff in effects:
            kind = type(eff)
            if kind is Send:
                net.append(self.intern(eff.msg))
            elif kind is SetTimer:
                timers = timers | {eff.timer}
            elif kind is CancelTimer:
                timers = timers - {eff.timer}
            elif kind is Persist:
                stored = store(stored, eff.state)
        return (s, timers, stored)

    def decided(self, state: State) -> bool:
        for s, _, _ in state[3]:
            if s is None:
                continue
            if s.learner is not None and s.learner.learned is not None:
                return True
            if s.proposer is not None and s.proposer.phase is Phase.CHOSEN:
                return True
        return False

    def _attempts_ok(self, state: State) -> bool:
        return all(state[3][i][0].proposer.attempts <= self.faulty_ballots
                   for i in self.proposers if state[3][i][0] is not None)

    # -- steps ----------------------------------------------------------------------------
    def steps(self, state: State, renumber: bool = True) -> list[tuple[Action, State]]:
        """Every step of ``state`` under its phase's relation (stable states: renumbered,
        unless ``renumber`` is false)."""
        stable, left, net, nodes = state
        out: list[tuple[Action, State]] = []
        for j, mid in enumerate(net):
            if j and net[j - 1] == mid:
                continue
            rest = net[:j] + net[j + 1:]
            out.append((Action("deliver", (self.labels[mid],), (self.dst[mid], mid)),
                        self._deliver(state, rest, mid)))
            if not stable:
                out.append((Action("drop", (self.labels[mid],), (-1, mid)),
                            (False, left, rest, nodes)))
        if not stable or not net:
            for i, (_s, timers, _) in enumerate(nodes):
                for timer in sorted(timers, key=lambda t: t.value):
                    out.append((Action("timeout", (self.nodes[i], timer.value), (i, timer)),
                                self._timeout(state, i, timer)))
        if not stable and left:
            for i in self.acceptors:
                out.append((Action("restart", (self.nodes[i],), (i, None)),
                            self._restart(state, i)))
        if stable:
            return [(a, self.normal(t)) for a, t in out] if renumber else out
        return [(a, t) for a, t in out if self._attempts_ok(t)]

    def _replace(self, state: State, i: int, local: tuple[Any, ...], net: Iterable[int]
                 ) -> State:
        nodes = state[3]
        if state[0]:
            net = [m for m in net if nodes[self.dst[m]][0] is not None]
        return (state[0], state[1], tuple(sorted(net)), (*nodes[:i], local, *nodes[i + 1:]))

    def _deliver(self, state: State, rest: tuple[int, ...], mid: int) -> State:
        i = self.dst[mid]
        local = state[3][i]
        s, effects = self.roles[i].on_message(local[0], self.msgs[mid])
        net = list(rest)
        return self._replace(state, i, self._effects((s, *local[1:]), effects, net), net)

    def _timeout(self, state: State, i: int, timer: Any) -> State:
        s, timers, stored = state[3][i]
        after, effects = self.roles[i].on_timeout(s, timer)
        net = list(state[2])
        return self._replace(state, i, self._effects((after, timers - {timer}, stored), effects,
                                                     net), net)

    def _restart(self, state: State, i: int) -> State:
        _, _, stored = state[3][i]
        node = self.roles[i]
        s, effects = node.on_start(node.init(storage(stored)))
        net = list(state[2])
        local = self._effects((s, frozenset(), stored), effects, net)
        moved = self._replace(state, i, local, net)
        return (moved[0], moved[1] - 1, *moved[2:])

    def stabilise(self, state: State, keep: Sequence[int], renumber: bool = True) -> State:
        """The stable state: proposers not in ``keep`` stopped (their state and the messages
        to them dropped), no restarts left, storage cleared; renumbered."""
        nodes = tuple((None, frozenset(), NOTHING_STORED)
                      if i in self.proposers and i not in keep else (s, timers, NOTHING_STORED)
                      for i, (s, timers, _) in enumerate(state[3]))
        net = tuple(m for m in state[2] if nodes[self.dst[m]][0] is not None)
        return self.normal((True, 0, net, nodes)) if renumber else (True, 0, net, nodes)

    def urgency(self, step: tuple[Action, State]) -> int:
        """The order ``bounded_response`` tries steps in: Prepare deliveries first, then Nack,
        Promise, Accept, Accepted, then timeouts."""
        action = step[0]
        if action.name != "deliver":
            return len(URGENCY)
        return URGENCY.index(type(self.msgs[action.via[1]]).__name__)

    # -- telling a path as a run ------------------------------------------------------------
    def run_of(self, actions: Sequence[Action], targets: Sequence[State]) -> Run:
        """The run of the path ``actions`` (reaching ``targets``, renumbered where stable)
        from the initial state, replayed on real states: event records as the simulator's."""
        teller = Teller(self)  # type: ignore[arg-type]  # it asks only what System has
        for spec in self.cluster.proposers:
            teller.records.append((0.0, START, spec.node, "", spec.value, -1, -1, ""))
        for name, node in zip(self.nodes, self.roles, strict=True):
            teller.tell(name, node.on_start(node.init(None))[1], NOTHING_STORED, -1)
        state = self.initial()
        for k, (action, target) in enumerate(zip(actions, targets, strict=True)):
            teller.time = float(k + 1)
            if action.name == "stabilise":
                keep = [self.nodes.index(n) for n in action.args]
                state = self.stabilise(state, keep, renumber=False)
                continue
            step, after = next((a, t) for a, t in self.steps(state, renumber=False)
                               if a.name == action.name and a.via[0] == action.via[0]
                               and (self.normal(t) if t[0] else t) == target)
            self._tell(teller, state, step)
            state = after
        return Run(self.config, 0, teller.records, COUNTEREXAMPLE)

    def _tell(self, teller: Teller, state: State, step: Action) -> None:
        i, what = step.via
        if step.name == "drop":
            mid, msg = teller.pending[what].pop(0)
            teller.records.append((teller.time, DROP, msg.src, msg.dst, msg, mid, -1, ""))
            return
        name, (s, _, stored) = self.nodes[i], state[3][i]
        if state[0]:  # storage is cleared when stable: the acceptor's state is what it holds
            stored = (s.acceptor, None)
        cause = -1
        node = self.roles[i]
        if step.name == "restart":
            teller.records.append((teller.time, CRASH, name, "", None, -1, -1, ""))
            teller.records.append((teller.time, RECOVER, name, "", None, -1, -1, ""))
            effects = node.on_start(node.init(storage(stored)))[1]
        elif step.name == "timeout":
            teller.records.append((teller.time, TIMER, name, "", None, -1, -1, what.value))
            effects = node.on_timeout(s, what)[1]
        else:
            cause = teller.deliver(what)
            effects = node.on_message(s, self.msgs[what])[1]
        teller.tell(name, effects, stored, cause)

    # -- renumbering ------------------------------------------------------------------------
    def normal(self, state: State) -> State:
        """``state`` with rounds shifted so the least is 1, attempts, storage and dead proposer
        fields cleared: exact for the stable relation (see the module's docstring). Memoised per
        node state and per message."""
        low = min((self.low[m] for m in state[2]), default=BIG)
        for s, _, _ in state[3]:
            if s is not None:
                n = self._low_node.get(s)
                if n is None:
                    n = self._low_node[s] = min(_rounds(_node_ballots(s)), default=BIG)
                low = min(low, n)
        d = 0 if low == BIG else low - 1
        nodes = tuple((None if s is None else self._shift_node(s, d), timers, NOTHING_STORED)
                      for s, timers, _ in state[3])
        net = tuple(sorted(self._shift_msg(m, d) for m in state[2])) if d else state[2]
        return (state[0], state[1], net, nodes)

    def _shift_node(self, s: NodeState, d: int) -> NodeState:
        key = (s, d)
        out = self._shifted.get(key)
        if out is None:
            out = self._shifted[key] = _shift_node(view(s), d)
        return out

    def _shift_msg(self, mid: int, d: int) -> int:
        key = (mid, d)
        out = self._shifted.get(key)
        if out is None:
            out = self._shifted[key] = self.intern(_shift_msg(self.msgs[mid], d))
        return out


BIG = 1 << 60


def _rounds(ballots: Iterable[Ballot]) -> Iterator[int]:
    return (b.round for b in ballots if b.proposer)


def _msg_ballots(msg: Any) -> Iterator[Ballot]:
    yield msg.ballot
    extra = getattr(msg, "promised", None) or getattr(msg, "accepted", None)
    if extra is not None:
        yield extra if type(extra) is Ballot else extra.ballot


def _node_ballots(s: NodeState) -> Iterator[Ballot]:
    if s.proposer is not None:
        p = s.proposer
        yield Ballot(p.round, 1)
        yield p.ballot
        yield from (a.ballot for _, a in p.promises if a is not None)
        if p.proposal is not None:
            yield p.proposal.ballot
    if s.acceptor is not None:
        yield s.acceptor.promised
        if s.acceptor.accepted is not None:
            yield s.acceptor.accepted.ballot
    if s.learner is not None:
        yield from (p.ballot for p, _ in s.learner.votes)
        if s.learner.learned is not None:
            yield s.learner.learned.ballot


def _b(b: Ballot, d: int) -> Ballot:
    return b if b == NO_BALLOT else Ballot(b.round - d, b.proposer)


def _p(p: Proposal | None, d: int) -> Proposal | None:
    return None if p is None else Proposal(_b(p.ballot, d), p.value)


def _shift_node(s: NodeState, d: int) -> NodeState:
    p, a, lr = s
    if p is not None:
        p = p._replace(round=p.round - d if d else p.round, ballot=_b(p.ballot, d), attempts=0,
                       promises=tuple((n, _p(x, d)) for n, x in p.promises),
                       proposal=_p(p.proposal, d))
    if a is not None and d:
        a = AcceptorState(_b(a.promised, d), _p(a.accepted, d))
    if lr is not None and d:
        lr = LearnerState(frozenset((Proposal(_b(x.ballot, d), x.value), n) for x, n in lr.votes),
                          _p(lr.learned, d))
    return NodeState(p, a, lr)


def _shift_msg(msg: Any, d: int) -> Any:
    out = msg._replace(ballot=_b(msg.ballot, d))
    if hasattr(msg, "promised"):
        out = out._replace(promised=_b(msg.promised, d))
    if hasattr(msg, "accepted"):
        out = out._replace(accepted=_p(msg.accepted, d))
    return out


# -- the graph questions ----------------------------------------------------------------------
def strongly_connected(graph: Mapping[N, Sequence[N]]) -> list[list[N]]:
    """Tarjan's strongly connected components of ``graph`` (node -> successors; every
    successor is a key), iteratively, in reverse topological order: a component comes after
    every component it reaches."""
    index: dict[N, int] = {}
    low: dict[N, int] = {}
    on_stack: set[N] = set()
    stack: list[N] = []
    out: list[list[N]] = []
    for root in graph:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(graph[root]))]
        while work:
            node, succ = work[-1]
            for t in succ:
                if t not in index:
                    index[t] = low[t] = len(index)
                    stack.append(t)
                    on_stack.add(t)
                    work.append((t, iter(graph[t])))
                    break
                if t in on_stack:
                    low[node] = min(low[node], index[t])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        x = stack.pop()
                        on_stack.discard(x)
                        comp.append(x)
                        if x == node:
                            break
                    out.append(comp)
    return out


@dataclass
class Bound:
    """``longest``: for each node, the most steps before a decided node (all nodes, when
    ``stuck`` is None); ``stuck``: a node on a cycle of undecided nodes, or an undecided node
    with no successor, when there is one."""

    longest: dict[Any, int]
    stuck: Any = None
    cyclic: bool = False


def longest_to_decision(graph: Mapping[N, Sequence[N]], decided: set[N]) -> Bound:
    """Every path from a node reaches ``decided`` within ``longest[node]`` steps, or a cycle
    (or a dead end) among undecided nodes shows that no bound exists. Decided nodes count as
    ends: their successors are not followed."""
    cut = {n: ([] if n in decided else succ) for n, succ in graph.items()}
    longest: dict[N, int] = {}
    for comp in strongly_connected(cut):
        node = comp[0]
        if len(comp) > 1 or node in cut[node]:
            return Bound(longest, node, True)
        if node in decided:
            longest[node] = 0
        elif not cut[node]:
            return Bound(longest, node, False)
        else:
            longest[node] = 1 + max(longest[t] for t in cut[node])
    return Bound(longest)


def cycle_through(graph: Mapping[N, Sequence[N]], node: N) -> list[N]:
    """A shortest cycle from ``node`` back to it (``node`` first and last)."""
    parents: dict[N, N] = {}
    frontier = [node]
    while frontier:
        nxt = []
        for s in frontier:
            for t in graph[s]:
                if t == node:
                    back = []
                    while s != node:
                        back.append(s)
                        s = parents[s]
                    return [node, *reversed(back), node]
                if t not in parents:
                    parents[t] = s
                    nxt.append(t)
        frontier = nxt
    raise ValueError("no cycle through this node")


# -- the search -------------------------------------------------------------------------------
Parent = tuple[State | None, Action | None]


def bounded_response(acceptors: int = 3, proposers: int = 1, active: int = 1, *,
                     learners: int = 1, faulty_ballots: int = 1, restarts: int = 0,
                     faults: bool = True, max_states: int = MAX_STATES) -> Response:
    """Explore the stable system reached from every state of the faulty phase (or, with
    ``faults=False``, from the initial state) with ``active`` proposers left; the least bound
    on the steps to a decision, or a ``Lasso`` that never decides (module docstring)."""
    check_int("acceptors", acceptors, 1, LIMITS["acceptors"], why="bounded_response's limit")
    check_int("proposers", proposers, 1, LIMITS["proposers"], why="bounded_response's limit")
    check_int("active", active, 1, proposers, why="the proposers left active")
    check_int("learners", learners, 1, 2, why="bounded_response's limit")
    check_int("faulty_ballots", faulty_ballots, 1, LIMITS["faulty_ballots"],
              why="bounded_response's limit")
    check_int("restarts", restarts, 0, LIMITS["restarts"], why="bounded_response's limit")
    check_int("max_states", max_states, 1, 5_000_000, why="bounded_response's limit")
    if not isinstance(faults, bool):
        raise UsageError("faults", "True or False", faults)
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
    edges, on_cycle, complete = _stable(system, roots, max_states)
    response = Response(None, len(edges), len(faulty), len(roots), complete, parameters={
        "acceptors": acceptors, "proposers": proposers, "active": active, "learners": learners,
        "faulty_ballots": faulty_ballots, "restarts": restarts, "faults": faults})
    _judge(system, response, faulty, roots, edges, on_cycle)
    return response


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
