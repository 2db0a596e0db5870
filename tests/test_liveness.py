"""Bounded response after stabilisation (``check.liveness``): the least k, the endless duel as
a lasso, and the cycle search that no depth bound can replace."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from itertools import combinations
from typing import Any

import pytest

from paxosbook import UsageError
from paxosbook.check.liveness import (
    Response,
    State,
    System,
    bounded_response,
    longest_to_decision,
    search,
    strongly_connected,
)
from paxosbook.check.liveness.certify import Certificate
from paxosbook.check.liveness.settle import Settler
from paxosbook.check.liveness.symmetry import Acceptors
from paxosbook.config import Config
from paxosbook.core import AcceptorState, Ballot, Nack, NodeState, Phase, Prepare, Promise
from paxosbook.core.learner import LearnerState


def test_one_proposer_from_the_start_is_a_counted_bound() -> None:
    """Hand argument, 3 acceptors and 1 learner: the most steps before someone knows the
    outcome are every Prepare (3), every Promise (3), every Accept (3), then one Accepted to
    the proposer and one to the learner, and the next Accepted completes a quorum: 12."""
    r = bounded_response(3, 1, faults=False)
    assert r.complete and r.lasso is None
    assert r.k == 3 + 3 + 3 + 1 + 1 + 1
    assert [a.name for a in r.worst] == ["stabilise"] + ["deliver"] * 12


def test_one_proposer_after_faults() -> None:
    """Regression pin (the checker's own figures): from every state of the faulty phase
    (loss, timeouts, each proposer's first ballot), every stable path decides within 18.
    The plain search counts every faulty state; the reduced one (the default) only the
    drop-free ones up to ``view``, and reaches the same 9112 stabilisation points."""
    r = bounded_response(3, 1, restarts=0, reduce=False)
    assert (r.k, r.faulty_states, r.stabilisations, r.states) == (18, 29776, 9112, 18658)
    assert len(r.worst) == r.worst.index(next(a for a in r.worst if a.name == "stabilise")) \
        + 1 + r.k
    r = bounded_response(3, 1, restarts=0)
    assert (r.k, r.faulty_states, r.stabilisations, r.states) == (18, 928, 9112, 18658)
    _replay(r)


def _replay(r: Response) -> None:
    """``r.worst`` is a real path: each step is one the relation offers (faulty, then the
    ``stabilise`` step, then stable and renumbered), nobody decides before its last step,
    and it takes exactly ``k`` stable steps."""
    config = Config(acceptors=r.parameters["acceptors"], proposers=r.parameters["proposers"],
                    learners=r.parameters["learners"], backoff="none", max_attempts=0)
    system = System(config, r.parameters["active"], r.parameters["faulty_ballots"],
                    r.parameters["restarts"])
    s = system.initial()
    names = [a.name for a in r.worst]
    for action in r.worst:
        assert not system.decided(s)
        if action.name == "stabilise":
            s = system.stabilise(s, [system.nodes.index(n) for n in action.args])
        else:
            s = next(t for a, t in system.steps(s)  # message ids are per System: by name
                     if (a.name, a.args) == (action.name, action.args))
    assert system.decided(s)
    assert names.count("stabilise") == 1 and len(names) - names.index("stabilise") - 1 == r.k


def _concrete_k(acceptors: int, proposers: int, faults: bool) -> int:
    """An independent reference: the longest stable path to a decision by plain memoised
    recursion over real states (no renumbering, no SCC), from every faulty state. Only valid
    where the real stable graph is finite and acyclic (one active proposer)."""
    config = Config(acceptors=acceptors, proposers=proposers, learners=1, backoff="none",
                    max_attempts=0)
    system = System(config, 1, 1, 0)

    @cache
    def longest(s: State) -> int:
        if system.decided(s):
            return 0
        steps = system.steps(s, renumber=False)
        assert steps, "an undecided state with no step"
        return 1 + max(longest(t) for _, t in steps)

    seen = {system.initial()}
    frontier = list(seen) if faults else []
    while frontier:
        nxt = [t for s in frontier if not system.decided(s) for _, t in system.steps(s)]
        frontier = [t for t in nxt if t not in seen]
        seen.update(frontier)
    return max(longest(system.stabilise(s, (keep,), renumber=False))
               for s in seen if not system.decided(s) for keep in system.proposers)


@pytest.mark.parametrize("acceptors, proposers, faults", [
    (3, 1, False), (2, 1, True), (2, 2, False)])
def test_k_agrees_with_a_plain_recursion_over_real_states(acceptors: int, proposers: int,
                                                          faults: bool) -> None:
    r = bounded_response(acceptors, proposers, 1, restarts=0, faults=faults)
    assert r.k == _concrete_k(acceptors, proposers, faults)


def test_two_active_proposers_duel_for_ever() -> None:
    r = bounded_response(3, 2, active=2, faults=False)
    assert r.k is None and r.lasso is not None
    lasso, system = r.lasso, r.lasso.system
    assert lasso.cycle and all(a.name == "deliver" for a in lasso.cycle)
    # replay the cycle on the renumbered relation: it comes back to its first state
    start = lasso.states[len(lasso.prefix)]
    s = start
    for action, target in zip(lasso.cycle, lasso.states[len(lasso.prefix) + 1:], strict=True):
        assert not system.decided(s)
        steps = [t for a, t in system.steps(s) if a == action]
        assert target in steps
        s = target
    assert s == start
    # ... and told with real ballots, two laps: ballots keep rising, nobody ever learns
    trace = lasso.run(laps=2).trace
    assert not (trace.event == "learn").any()
    prepares = trace[(trace.event == "send") & (trace.msg == "Prepare")]
    assert prepares["round"].is_monotonic_increasing and prepares["round"].max() >= 4
    assert "NO BOUND" in str(r) and "cycle (repeats for ever)" in str(r)


def test_bad_arguments_name_the_field() -> None:
    with pytest.raises(UsageError, match="active"):
        bounded_response(3, 2, active=3)
    with pytest.raises(UsageError, match="acceptors"):
        bounded_response(0)
    with pytest.raises(UsageError, match="faults"):
        bounded_response(faults="yes")  # type: ignore[arg-type]


# -- the graph search on its own ------------------------------------------------------------------
def test_a_cycle_beyond_any_depth_bound_is_found() -> None:
    """0 -> 1 -> ... -> 40 -> 41 -> 40: every path of length <= 30 from 0 is undecided and
    none repeats a state, so a search bounded at depth 30 sees only a long chain and would
    report k > 30 or "no cycle"; the SCC search reports the cycle 40 <-> 41."""
    graph: dict[int, list[int]] = {i: [i + 1] for i in range(41)}
    graph[41] = [40]
    graph[0].append(100)
    graph[100] = []
    bound = longest_to_decision(graph, {100})
    assert bound.cyclic and bound.stuck in (40, 41)


def test_without_the_cycle_the_bound_is_the_longest_path() -> None:
    graph: dict[int, list[int]] = {i: [i + 1] for i in range(41)}
    graph[41] = [100]
    graph[0].append(100)
    graph[100] = []
    bound = longest_to_decision(graph, {100})
    assert not bound.cyclic and bound.stuck is None and bound.longest[0] == 42


def test_a_dead_end_is_no_bound() -> None:
    bound = longest_to_decision({0: [1, 2], 1: [], 2: []}, {2})
    assert bound.stuck == 1 and not bound.cyclic


def _brute(graph: Mapping[int, Sequence[int]], decided: set[int], start: int) -> int | None:
    """Every path from ``start``, up to |V| + 1 steps (pigeonhole: an undecided path that
    long repeats a state, so it is a cycle): the longest to a decision, or None."""
    worst = 0
    stack = [(start, 0)]
    while stack:
        s, d = stack.pop()
        if s in decided:
            worst = max(worst, d)
            continue
        if d > len(graph) or not graph[s]:
            return None
        stack.extend((t, d + 1) for t in graph[s])
    return worst


@pytest.mark.parametrize("seed", range(40))
def test_longest_to_decision_agrees_with_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(2, 8)
    decided = {i for i in range(n) if rng.random() < 0.3} | {n - 1}
    graph = {i: ([] if i in decided else
                 rng.sample(range(n), rng.randint(1, 2)) if rng.random() < 0.9 else [])
             for i in range(n)}
    bound = longest_to_decision(graph, decided)
    for s in range(n):
        expected = _brute(graph, decided, s)
        if bound.stuck is None:
            assert bound.longest[s] == expected
    if bound.stuck is not None:
        assert _brute(graph, decided, bound.stuck) is None
    else:
        assert all(_brute(graph, decided, s) is not None for s in range(n))


def test_tarjan_on_a_known_graph() -> None:
    graph = {1: [2], 2: [3], 3: [1, 4], 4: [5], 5: [4], 6: [6]}
    comps = [sorted(c) for c in strongly_connected(graph)]
    assert sorted(comps) == [[1, 2, 3], [4, 5], [6]]
    assert comps.index([4, 5]) < comps.index([1, 2, 3])  # reverse topological order


# -- acceptor symmetry in the stable graph ---------------------------------------------------
@pytest.mark.parametrize("args, faults", [((3, 1, 1), False), ((2, 2, 1), False),
                                          ((2, 1, 1), True), ((3, 2, 1), None)])
def test_symmetry_keeps_k_and_merges_states(args: tuple[int, int, int],
                                            faults: bool | None) -> None:
    """Renaming acceptors is an automorphism: the same k and the same worst-path length
    from fewer states. (3, 2, 1) with None: a stable start with both proposers' Prepares in
    flight and ``max_states`` small, so both searches stop; neither may claim a bound."""
    if faults is None:
        plain = bounded_response(*args, faults=False, max_states=2000)
        reduced = bounded_response(*args, faults=False, max_states=2000, symmetry=True)
        assert not plain.complete and not reduced.complete
        assert plain.k is None and reduced.k is None and reduced.lasso is None
        return
    plain = bounded_response(*args, faults=faults)
    reduced = bounded_response(*args, faults=faults, symmetry=True)
    assert plain.k is not None and reduced.k == plain.k
    assert len(reduced.worst) == len(plain.worst)
    assert reduced.states < plain.states


def test_symmetry_still_finds_the_duel() -> None:
    r = bounded_response(3, 2, active=2, faults=False, symmetry=True)
    assert r.k is None and r.lasso is not None and r.lasso.cycle


def test_two_proposers_one_stopped_with_symmetry_is_pinned() -> None:
    """The figure for 3 acceptors (k = 28, 1,336,050 stable states up to renumbering and
    symmetry) takes minutes and is pinned by ``benchmarks/bench_liveness.py``; here its
    two-acceptor analogue is pinned (regression pin: the checker's own figure, confirmed by
    the plain recursion above for (2, 2, False))."""
    r = bounded_response(2, 2, 1, faults=False, symmetry=True)
    assert (r.k, r.states) == (20, 747)


# -- the reduced faulty phase against the plain one -----------------------------------------
def _same(s: State) -> State:
    return s


@pytest.mark.parametrize("args", [(2, 2, 1, 0, 1), (3, 1, 1, 0, 1), (2, 1, 1, 1, 1),
                                  (2, 1, 1, 0, 2)])
def test_reduced_faulty_phase_reaches_the_same_points(args: tuple[int, int, int, int, int]
                                                      ) -> None:
    """The reduction's claim, checked directly, with and without symmetry: the stabilisation
    points of the plain faulty phase (every state, drops as steps) and of the reduced one
    (drop-free, up to view and renaming, then every set of drops) are the same set, so the
    same ``k`` (computed from both here); with restarts and two faulty ballots too. Catches a
    drop that does not commute (a step that reads the network), a ``view`` that forgets a
    field some step reads, or a renaming that is no automorphism of the faulty relation.
    Points are compared up to a shift of rounds: ``normal`` takes the least round before
    ``view`` forgets the proposer's history, so a plain point may keep a shift that its
    viewed twin loses; ``normal`` again shifts both fully (each is a shift of the other)."""
    acceptors, proposers, active, restarts, faulty_ballots = args
    config = Config(acceptors=acceptors, proposers=proposers, learners=1, backoff="none",
                    max_attempts=0)
    system = System(config, active, faulty_ballots, restarts)
    faulty = [s for s in search._faulty(system, True) if not system.decided(s)]
    for symmetry in (False, True):
        canon: Callable[[State], State] = Acceptors(system).canonical if symmetry else _same
        plain = {canon(system.normal(system.stabilise(s, keep))) for s in faulty
                 for keep in combinations(system.proposers, active)}
        packed = search.Packed(system, canon)
        roots = search._reduced_roots(system, search._drop_free(system, canon), canon, packed)
        assert plain == {canon(system.normal(packed.state(r))) for r in roots}
        ks = []
        for points in (plain, roots):
            keys = [packed.key(r) if type(r) is tuple else r for r in points]
            longest, _, _ = search._longest(system, keys, 1_000_000, packed)
            assert longest is not None
            ks.append(max(longest[r] for r in keys))
        assert ks[0] == ks[1]


def test_reduced_still_explains_the_duel() -> None:
    """Two active proposers after faults: the reduced search meets the cycle and tells it as
    a lasso from a real faulty path (drops, ``stabilise``, then the duel)."""
    r = bounded_response(2, 2, active=2, symmetry=True)
    assert r.k is None and r.lasso is not None and r.lasso.cycle
    assert "stabilise" in [a.name for a in r.lasso.prefix]
    assert not (r.lasso.run(laps=1).trace.event == "learn").any()


def _reachable(system: System, roots: Iterable[State]) -> set[State]:
    """Every state reachable from ``roots`` by ``system.successors``, decided states not
    expanded (a breadth-first search of the test's own, apart from the code it judges)."""
    seen = set(roots)
    frontier = list(seen)
    while frontier:
        nxt = []
        for s in frontier:
            if system.decided(s):
                continue
            for t in system.successors(s):
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    return seen


def test_renumbering_is_idempotent_on_every_stabilisation_point() -> None:
    """``normal`` takes the least round of what the state keeps (its ``view``), so a
    renumbered state is already normal: no two points differ by a shift only. With two faulty
    ballots, a proposer that moved on still held the older round in its promises, which
    ``view`` then cleared: 552 of these 24,548 points were not fixed points before."""
    config = Config(acceptors=2, proposers=1, learners=1, backoff="none", max_attempts=0)
    system = System(config, 1, 2, 0)
    seen = _reachable(system, [system.initial()])
    points = [system.stabilise(s, system.proposers) for s in seen]
    assert len(points) == 24548
    assert [p for p in points if system.normal(p) != p] == []


# -- settling: inert messages and frozen votes taken out of stable states -----------------------
@pytest.mark.parametrize("args, kwargs", [
    ((2, 2, 1), {"faults": False}),
    ((3, 1, 1), {}),
    ((2, 2, 1), {}),
    ((2, 2, 1), {"symmetry": True}),
    ((2, 1, 1), {"faulty_ballots": 2}),
    ((3, 1, 1), {"restarts": 1, "symmetry": True}),
    ((2, 1, 1), {"reduce": False}),
])
def test_settling_keeps_k(args: tuple[int, int, int], kwargs: dict[str, object]) -> None:
    """``settle=True`` is exact: the same k as the unsettled search (itself checked above
    against a plain recursion and against the plain faulty phase), from fewer states, and its
    worst path is a real path of exactly k stable steps. Catches a message taken out that
    some handler would still act on (k too small), a wrong count of the steps taken out (k
    off), or a settled key that a real successor does not reach (the path's replay)."""
    plain = bounded_response(*args, **kwargs)  # type: ignore[arg-type]
    settled = bounded_response(*args, settle=True, **kwargs)  # type: ignore[arg-type]
    assert plain.k is not None and settled.k == plain.k
    assert settled.settle_failed is None  # its certificate held (``certify``)
    assert settled.states < plain.states
    assert len(settled.worst) == len(plain.worst)
    _replay(settled)


def test_settling_finds_the_three_acceptor_figure() -> None:
    """3 acceptors, 2 proposers, one stopped, from the stable start: the unsettled search
    takes minutes over 1,336,050 states (``benchmarks/bench_liveness.py`` pins k = 28 with
    it); settled, the same 28 from 3667 states (a regression pin, checked against that)."""
    r = bounded_response(3, 2, 1, faults=False, symmetry=True, settle=True)
    assert (r.k, r.states, r.settle_failed) == (28, 3667, None)
    _replay(r)


def test_settled_messages_are_inert_by_the_real_handlers() -> None:
    """Every stable state of 2 acceptors, 2 proposers (one stopped) after faults: each
    message ``Settler.inert`` takes out, delivered by the real handlers, leaves every node
    state as it was and sends nothing but lost messages or ones judged inert in turn (one
    more step each, as counted); it stays inert after every other step (the "for ever" of
    the argument); votes cleared as frozen get no new vote after any step and stay frozen;
    and settling is idempotent."""
    config = Config(acceptors=2, proposers=2, learners=1, backoff="none", max_attempts=0)
    system = System(config, 1, 1, 0)
    settler = Settler(system)
    packed = search.Packed(system, _same)
    roots = {packed.state(k) for k in search._reduced_roots(
        system, search._drop_free(system, _same), _same, packed)}  # the points, as checked above
    checked = 0
    for s in _reachable(system, roots):
        if not system.decided(s):
            _check_settling(system, settler, s)
            checked += 1
    assert checked > 1000


def _check_settling(system: System, settler: Settler, s: State) -> None:
    """The claims of ``settle`` on one undecided stable state ``s``, by the real handlers."""
    keep, out, steps = settler.inert(s)
    active = [i for i in system.proposers if s[3][i][0] is not None]
    cleared = _cleared(s[3], settler.unfreeze(s[3], keep, active))
    moves = system.steps(s, renumber=False)
    count = 0
    for mid in out:
        action, t = next((a, t) for a, t in moves if a.name == "deliver"
                         and a.via[1] == mid)
        assert t[3] == s[3], action
        sent = sorted(set(t[2]) - set(s[2]))
        count += 1
        for extra in sent:  # a Nack to the active proposer: inert in turn
            assert extra in settler.inert(t)[1]
            u = next(u for a, u in system.steps(t, renumber=False)
                     if a.name == "deliver" and a.via[1] == extra)
            assert u[3] == s[3]
            count += 1
    assert count == steps
    for action, t in moves:
        if system.decided(t):
            continue
        after = settler.inert(t)[1]
        assert all(mid in after for mid in out if mid in t[2]), action
        still = settler.unfreeze(t[3], settler.inert(t)[0], active)
        for i, votes in cleared.items():
            assert {v for v in t[3][i][0].learner.votes if v[0] in votes} == \
                {v for v in s[3][i][0].learner.votes if v[0] in votes}
            assert votes <= _cleared(t[3], still).get(i, set()), action
    settled, _ = settler.settle(s)
    assert settler.settle(settled) == (settled, 0)


def _cleared(before: tuple[Any, ...], after: tuple[Any, ...]) -> dict[int, set[Any]]:
    """Per learner, the proposals whose votes ``unfreeze`` cleared."""
    out = {}
    for i, (b, a) in enumerate(zip(before, after, strict=True)):
        if b[0] is not None and b[0].learner is not None and b[0].learner != a[0].learner:
            out[i] = {p for p, _ in b[0].learner.votes} - {p for p, _ in a[0].learner.votes}
    return out


def test_settling_keeps_what_a_higher_stopped_ballot_can_still_do() -> None:
    """Hand-built stable states where the stopped proposer ``p2`` holds a higher round than
    the active ``p1`` (two faulty ballots and more: searches too large for the suite), each
    checked as above: a ``Nack`` carrying that higher promise is live (it raises ``p1``'s
    round), and so is a stale ``Prepare`` of ``p1``'s to an acceptor that promised it or may
    yet promise it (its ``Nack`` would raise ``p1``'s round); with no higher round about, the
    same stale ``Prepare`` is inert (two steps). Catches settling that forgets ``promised``
    or the acceptor's bound."""
    config = Config(acceptors=2, proposers=2, learners=1, backoff="none", max_attempts=0)
    system = System(config, 1, 1, 0)
    settler = Settler(system)
    p1 = Ballot(1, 1)
    mine = Ballot(2, 1)
    high = Ballot(3, 2)

    def state(promised: Ballot, *msgs: Any) -> State:
        start = system.stabilise(system.initial(), (0,), renumber=False)
        proposer = start[3][0][0].proposer._replace(round=2, ballot=mine)
        nodes = list(start[3])
        nodes[0] = (NodeState(proposer, None, None), nodes[0][1], nodes[0][2])
        nodes[2] = (NodeState(None, AcceptorState(promised, None), None), *nodes[2][1:])
        return (True, 0, tuple(sorted(system.intern(m) for m in msgs)), tuple(nodes))

    def inert(s: State) -> list[Any]:
        _check_settling(system, settler, s)
        return [system.msgs[m] for m in settler.inert(s)[1]]

    stale = Prepare("p1", "a1", p1)
    assert inert(state(mine, Nack("a1", "p1", p1, high))) == []
    assert inert(state(mine, Nack("a1", "p1", p1, mine))) == [Nack("a1", "p1", p1, mine)]
    assert inert(state(high, stale)) == []
    assert inert(state(mine, stale, Prepare("p2", "a1", high))) == []
    assert inert(state(mine, stale, Prepare("p2", "a1", Ballot(1, 2)))) == [
        Prepare("p2", "a1", Ballot(1, 2)), stale]
    assert settler.inert(state(mine, stale))[2] == 2


# -- settle's certificate: what settling relied on, checked by the real handlers ------------------
def test_the_certificate_checks_every_kind_of_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the stable start of 3 acceptors, 2 proposers (one stopped), the settled search
    records messages taken out with one step and with two, and cleared votes, and the
    certificate (real handlers, every later state of the receiver) holds for all of them."""
    checked: list[Certificate] = []
    real = Certificate.check

    def check(self: Certificate, k: int) -> str | None:
        checked.append(self)
        return real(self, k)

    monkeypatch.setattr(Certificate, "check", check)
    r = bounded_response(3, 2, 1, faults=False, symmetry=True, settle=True)
    assert r.k == 28 and r.settle_failed is None and len(checked) == 1
    certificate = checked[0]
    steps = [t[4] for t in certificate.settler.taken]
    assert steps.count(1) > 50 and steps.count(2) > 10 and len(certificate.settler.cleared) > 50
    # the walks went on to later states of the receivers, not just the one of each record
    assert len({local for local, _, _ in certificate._once}) > len(certificate.settler.taken)


def test_the_certificate_walks_to_later_states(monkeypatch: pytest.MonkeyPatch) -> None:
    """A message the receiver ignores now but not in a state it moves to later must fail
    the certificate: a stale Promise for the proposer's ballot while it is accepting, and a
    (made-up) later move back to preparing that ballot. Catches a certificate that checks
    only the state a message was taken out in."""
    config = Config(acceptors=3, proposers=1, learners=1, backoff="none", max_attempts=0)
    system = System(config, 1, 1, 0)
    certificate = Certificate(system, Settler(system))
    certificate.bound = 10
    b = Ballot(1, 1)
    preparing = system.stabilise(system.initial(), (0,))[3][0]
    p = preparing[0].proposer
    accepting = NodeState(p._replace(phase=Phase.ACCEPTING, proposal=None), None, None)
    promise = Promise("a1", "p1", b, None)
    assert p.phase is Phase.PREPARING and p.ballot == b
    start = (accepting, preparing[1])
    assert certificate.deliver(start, promise)[0] == start  # ignored now
    monkeypatch.setattr(Certificate, "moves", lambda self, local: [
        (None, (preparing[0], local[1]), ())] if local == start else [])
    why = certificate.once(start, promise, ())
    assert why is not None and "later state" in why


def _plant_inert(monkeypatch: pytest.MonkeyPatch,
                 wrong: Callable[[System, State, int], bool]) -> None:
    """``Settler.inert`` that also takes out (and counts one step for) every message ``wrong``
    picks: a settle condition with a planted bug."""
    real = Settler.inert

    def inert(self: Settler, state: State) -> tuple[list[int], list[int], int]:
        keep, out, steps = real(self, state)
        for mid in [m for m in keep if wrong(self.system, state, m)]:
            keep.remove(mid)
            out.append(mid)
            steps += self._take(state, self.system.dst[mid], mid, 1)
        return keep, out, steps

    monkeypatch.setattr(Settler, "inert", inert)


def _promise_being_counted(system: System, state: State, mid: int) -> bool:
    msg, s = system.msgs[mid], state[3][system.dst[mid]][0]
    return (type(msg) is Promise and msg.src == "a3" and s.proposer is not None
            and s.proposer.phase is Phase.PREPARING and msg.ballot == s.proposer.ballot)


def test_the_certificate_catches_a_promise_taken_out_that_still_counts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Planted: settle takes out a3's Promise for the ballot the proposer is preparing (as if
    the ``b != p.ballot`` test were lost). The proposer still gets a quorum from a1 and a2,
    so the settled search finds a bound (here the same 12: the Promise is still counted as a
    step, but on no path can it complete a quorum, so the argument behind it is false). The
    certificate sees the real handler record the Promise, and ``bounded_response`` answers
    with the exact search: k = 12, the hand-counted figure of the first test."""
    _plant_inert(monkeypatch, _promise_being_counted)
    r = bounded_response(3, 1, 1, faults=False, settle=True)
    assert r.settle_failed is not None and "Promise" in r.settle_failed
    assert "changes its receiver" in r.settle_failed
    assert r.k == 12
    assert "certificate failed" in str(r)


def test_the_certificate_catches_votes_cleared_while_a_vote_is_in_flight(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Planted: settle clears every vote a learner that has not learned holds (as if it
    forgot that an Accepted in flight can still add to them). Without the certificate the
    settled search even fails to tell its worst path (a real step learns where no settled
    state did). With the votes put back, some Accepted then in flight makes the learner
    learn: caught before any path is told, and the exact k comes back (18, pinned above)."""
    def unfreeze(self: Settler, nodes: tuple[Any, ...], net: list[int], active: list[int]
                 ) -> tuple[Any, ...]:
        out = list(nodes)
        for i, kind in enumerate(self.kind):
            s = nodes[i][0]
            if kind == "l" and s.learner.votes and s.learner.learned is None:
                cleared = LearnerState(frozenset(), s.learner.learned)
                out[i] = (NodeState(s.proposer, s.acceptor, cleared), *nodes[i][1:])
        return nodes if out == list(nodes) else tuple(out)

    monkeypatch.setattr(Settler, "unfreeze", unfreeze)
    r = bounded_response(3, 1, 1, settle=True)
    assert r.settle_failed is not None and "cleared as frozen" in r.settle_failed
    assert "learn" in r.settle_failed
    assert r.k == 18


def test_the_certificate_catches_a_two_step_message_counted_as_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Planted: a stale Prepare or Accept of the active proposer, whose Nack answer takes a
    second step, counted as one step (k one short per such message on a worst path; here
    none lies on one, so the k agrees by luck). Its delivery sends a live Nack, which a
    one-step message may not: caught, and the exact search answers (k = 20)."""
    real = Settler._take

    def take(self: Settler, state: State, i: int, mid: int, steps: int, active: int = -1
             ) -> int:
        return real(self, state, i, mid, 1, -1) if steps == 2 else \
            real(self, state, i, mid, steps, active)

    monkeypatch.setattr(Settler, "_take", take)
    r = bounded_response(2, 2, 1, faults=False, settle=True)
    assert r.settle_failed is not None and "sends a live message" in r.settle_failed
    assert r.k == 20
