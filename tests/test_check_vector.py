"""The array level loop (``check.actors.vector``) against the Python one (``sleep_level``).

The reference is the Python engine, itself certified against the plain search
(``test_check_por``) and, through it, against TLC's counts (``test_check_tla``). The
comparison is not of totals only: level by level, the very same new states in the same order,
each with the same parent and the same sleep set, so a wrong table entry, a wrong sleep set or
a wrong renaming shows at the first state it touches. Both engines run on one model instance
(the arrays one first, on a fresh model, so that its tables grow and its rows widen as they do
in use); the states are then tuples of the same interned ids. The planted mistakes at the end
show that each comparison fails when the loop is wrong.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
import pytest

from paxosbook import Config, UsageError
from paxosbook.check.actors import ActorModel
from paxosbook.check.actors import vector as vec
from paxosbook.check.engine import _Search, explore
from paxosbook.check.model import Collision
from paxosbook.check.scenarios import NONE, QUORUMS, SCENARIOS, scenario
from paxosbook.cli import main
from paxosbook.core import Mutant

Level = list[tuple[Any, Any, int]]


@pytest.fixture(autouse=True)
def arrays_from_the_first_level(monkeypatch: pytest.MonkeyPatch) -> None:
    """The arrays take a search over from the Python loop once a level reaches ``SWITCH``
    states (2,000); these small searches would never get there, so here they do at once. The
    hand-over itself is tested below with other thresholds."""
    monkeypatch.setattr(vec, "SWITCH", 0)


def levels(model: ActorModel, vectorised: bool, monkeypatch: pytest.MonkeyPatch,
           **kw: Any) -> tuple[Any, list[Level]]:
    """(the result, every level's new states as (state, parent, sleep set) in order)."""
    out: list[Level] = []
    with monkeypatch.context() as mp:
        sleep_level = _Search.sleep_level

        def record_py(self: Any, frontier: Any, sleeps: Any) -> Any:
            nxt, later = sleep_level(self, frontier, sleeps)
            out.append([(t, self.parents[t], later[t]) for t in nxt])
            return nxt, later

        mp.setattr(_Search, "sleep_level", record_py)  # (the arrays' first small levels too)
        if vectorised:
            commit = vec.VectorSearch.commit

            def record(self: Any, search: Any, level: Any, orbits: Any, base: int) -> Any:
                rows, sleeps, parent = level[1], level[2], level[3]
                parents = [self.decode(r) for r in self.seen.rows_at(parent + base)]
                found = [(self.decode(r), p, self.sleep_int(z))
                         for r, p, z in zip(rows, parents, sleeps, strict=True)]
                try:
                    return commit(self, search, level, orbits, base)
                finally:
                    out.append(found[:self.distinct - self.seen.count + len(found)])

            mp.setattr(vec.VectorSearch, "commit", record)
        result = explore(model, por=True, vectorised=vectorised, **kw)
    return result, out


def outcome(r: Any) -> tuple[Any, ...]:
    """Every figure and every path of a result."""
    return (r.complete, r.stop_reason, r.distinct_states, r.total_states, r.depth,
            r.raw_distinct_states, r.raw_total_states, r.reductions_off,
            [(v.invariant, v.states, [str(a) for a in v.actions]) for v in r.violations],
            [(w.property, w.states, [str(a) for a in w.actions]) for w in r.witnesses],
            r.unmet)


def compare(model: ActorModel, monkeypatch: pytest.MonkeyPatch, **kw: Any
            ) -> tuple[tuple[Any, ...], tuple[Any, ...], list[Level], list[Level]]:
    fast, fast_levels = levels(model, True, monkeypatch, **kw)
    slow, slow_levels = levels(model, False, monkeypatch, **kw)
    return outcome(fast), outcome(slow), fast_levels, slow_levels


CONFIGS = [
    (Config(acceptors=3, proposers=2, learners=1, max_attempts=1, backoff="none"), 0, True),
    (Config(acceptors=3, proposers=2, learners=1, max_attempts=1, backoff="none"), 0, False),
    (Config(acceptors=3, proposers=1, learners=2, max_attempts=2, backoff="none"), 0, True),
    (Config(acceptors=3, proposers=1, learners=1, max_attempts=3, backoff="none"), 0, True),
    (Config(acceptors=3, proposers=2, learners=1, max_attempts=1, backoff="none"), 1, True),
    (Config(acceptors=2, proposers=1, learners=1, max_attempts=2, backoff="none"), 2, False),
    (scenario(QUORUMS).config, 0, True),
]


@pytest.mark.parametrize("config, restarts, symmetry", CONFIGS)
def test_every_level_is_the_python_loops(config: Config, restarts: int, symmetry: bool,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Same states, order, parents and sleep sets at every level; same figures, witnesses
    and paths. Crash-restarts (the restart budget), two learners, symmetry on and off, an
    explicit quorum system; the 3-ballot model interns more messages than the first rows
    hold, so its rows widen during the search. (Searches go on after a violation: the
    quorum system's does not intersect.)"""
    model = ActorModel(config, network="set", restarts=restarts)
    fast, slow, fast_levels, slow_levels = compare(model, monkeypatch, symmetry=symmetry,
                                                   stop_on_violation=False)
    assert fast == slow
    assert len(fast_levels) == len(slow_levels) > 5
    for k, (a, b) in enumerate(zip(fast_levels, slow_levels, strict=True)):
        assert a == b, f"level {k + 2}"


@pytest.mark.parametrize("config, restarts, symmetry", [CONFIGS[0], CONFIGS[1], CONFIGS[4]])
def test_levels_alike_a_few_rows_at_a_time(config: Config, restarts: int, symmetry: bool,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A level is expanded 32,768 frontier rows at a time, and its new states merged as the
    chunks come: with chunks of 5 rows, a state first met in one chunk is met again in later
    ones (their arrivals only intersect its sleep set), and every level is still the Python
    loop's."""
    merged_again = []
    merge = vec._Level.merge

    def spy(self: Any, rows: Any, h: Any, *rest: Any) -> None:
        if self.seen.count and len(rows):
            merged_again.append(int((self.seen.find(h, rows) >= 0).sum()))
        merge(self, rows, h, *rest)

    monkeypatch.setattr(vec, "CHUNK", 5)
    monkeypatch.setattr(vec._Level, "merge", spy)
    model = ActorModel(config, network="set", restarts=restarts)
    fast, slow, fast_levels, slow_levels = compare(model, monkeypatch, symmetry=symmetry)
    assert fast == slow and fast_levels == slow_levels
    assert sum(merged_again) > 100


def _sampled_deployments(n: int, seed: int = 8) -> list[tuple[Config, int, bool, bool]]:
    """``n`` deployments drawn from a grid (seeded: the same ones every run): acceptors,
    proposers, learners, ballots, restarts, a planted bug or none, symmetry, stopping at the
    first violation or not; the larger corners left out (a second or less each)."""
    import random
    rng = random.Random(seed)
    bugs = [None, *sorted(set(SCENARIOS) - {NONE, QUORUMS})]
    out: list[tuple[Config, int, bool, bool]] = []
    while len(out) < n:
        acceptors, proposers, attempts = rng.choice(
            [(2, 1, 1), (2, 1, 2), (2, 1, 3), (2, 2, 1), (3, 1, 1), (3, 1, 2)])
        learners, restarts = rng.choice([1, 2]), rng.choice([0, 0, 1])
        bug = rng.choice(bugs)
        config = Config(acceptors=acceptors, proposers=proposers, learners=learners,
                        max_attempts=attempts, backoff="none",
                        mutants=(bug,) if bug else ())
        out.append((config, restarts, rng.random() < 0.7, rng.random() < 0.5))
    return out


@pytest.mark.parametrize("config, restarts, symmetry, stop", _sampled_deployments(12))
def test_sampled_deployments_alike(config: Config, restarts: int, symmetry: bool, stop: bool,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond the hand-picked cases: the same outcome (figures, violations, witnesses, paths)
    on deployments drawn from a grid, and the same levels where the search runs to the end."""
    model = ActorModel(config, network="set", restarts=restarts)
    fast, slow, fast_levels, slow_levels = compare(model, monkeypatch, symmetry=symmetry,
                                                   stop_on_violation=stop)
    assert fast == slow
    if not stop or not fast[8]:
        assert fast_levels == slow_levels


def test_a_violation_in_the_initial_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """A planted property every state breaks: the initial state is judged (by the engine)
    before any row exists, and its counterexample is the state itself, as in the Python loop."""
    from paxosbook.check.actors import model as actors_model
    from paxosbook.properties import Property, Violation

    broken = Property("always_broken", "planted: broken everywhere",
                      lambda h: [Violation("always_broken", "planted", ())],
                      reads=frozenset(("states",)))
    monkeypatch.setattr(actors_model, "PROPERTIES", (*actors_model.PROPERTIES, broken))
    config = Config(acceptors=2, proposers=1, learners=1, max_attempts=1, backoff="none")
    for stop in (True, False):
        model = ActorModel(config, network="set")
        fast, slow, _, _ = compare(model, monkeypatch, symmetry=True, stop_on_violation=stop)
        assert fast == slow
        assert [(name, len(states)) for name, states, _ in fast[8]] == [("always_broken", 1)]


@pytest.mark.parametrize("config, restarts, symmetry", CONFIGS)
def test_fresh_models_give_a_complete_search_the_same_figures(
        config: Config, restarts: int, symmetry: bool) -> None:
    """Each loop on a model of its own: the arrays intern messages in another order (a level
    at a time), yet a complete search's figures (distinct, generated, depth, raw counts, the
    invariants broken and the sometimes-properties met, with their lengths) are the same."""
    def figures(vectorised: bool) -> tuple[Any, ...]:
        r = explore(ActorModel(config, network="set", restarts=restarts), por=True,
                    symmetry=symmetry, stop_on_violation=False, vectorised=vectorised)
        return (r.complete, r.distinct_states, r.total_states, r.depth, r.raw_distinct_states,
                r.raw_total_states, sorted((v.invariant, len(v.actions)) for v in r.violations),
                sorted((w.property, len(w.actions)) for w in r.witnesses), r.vectorised)

    fast, slow = figures(True), figures(False)
    assert fast[:-1] == slow[:-1] and fast[-1] and not slow[-1]


@pytest.mark.parametrize("switch", [1, 30, 200])
@pytest.mark.parametrize("config, restarts, symmetry", [CONFIGS[0], CONFIGS[4], CONFIGS[6]])
def test_the_arrays_take_over_mid_search_alike(switch: int, config: Config, restarts: int,
                                              symmetry: bool,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The first levels by the Python loop, the rest as arrays from the first level of
    ``switch`` states or more: every level, figure and path the same as the Python loop's
    alone. In the quorum case with ``switch`` 200, the first counterexample (level 8) is
    found by the Python loop and the second (level 9) by the arrays."""
    monkeypatch.setattr(vec, "SWITCH", switch)
    seeded = []
    seed = vec.VectorSearch.seed
    monkeypatch.setattr(vec.VectorSearch, "seed",
                        lambda self, *a: seeded.append(len(a[1])) or seed(self, *a))
    model = ActorModel(config, network="set", restarts=restarts)
    fast, slow, fast_levels, slow_levels = compare(model, monkeypatch, symmetry=symmetry,
                                                   stop_on_violation=False)
    assert fast == slow and fast_levels == slow_levels
    assert len(seeded) == 1 and seeded[0] >= switch


def test_small_searches_stay_with_the_python_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Below ``SWITCH`` states a level, the arrays never take over (they would cost more than
    they save); the result says so."""
    monkeypatch.setattr(vec, "SWITCH", 2_000)
    r = explore(ActorModel(scenario(NONE).config), symmetry=True)
    assert r.complete and not r.vectorised
    monkeypatch.setattr(vec, "SWITCH", 100)
    assert explore(ActorModel(scenario(NONE).config), symmetry=True).vectorised


def test_rows_widen_during_a_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 3-ballot model above starts with room for 64 messages and ends with 75: the
    widening path ran (it once lost every message of renamed networks)."""
    widened = []
    widen = vec.VectorSearch._widen

    def spy(self: Any, need: int) -> None:
        widened.append(need)
        widen(self, need)

    monkeypatch.setattr(vec.VectorSearch, "_widen", spy)
    config = Config(acceptors=3, proposers=1, learners=1, max_attempts=3, backoff="none")
    model = ActorModel(config, network="set")
    r = explore(model, symmetry=True, vectorised=True)
    assert widened and len(model.dst) > 64
    assert (r.distinct_states, r.total_states) == outcome(
        explore(ActorModel(config, network="set"), symmetry=True, vectorised=False))[2:4]


def small(name: str) -> Config:
    sc = scenario(name)
    if name in (QUORUMS, NONE):
        return sc.config
    fields = {"acceptors": 2, "proposers": 2, "learners": 1, "max_attempts": 1,
              "backoff": "none", **sc.fields}
    return Config(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("stop", [True, False])
@pytest.mark.parametrize("name", sorted(set(SCENARIOS) - {Mutant.FORGET_PROMISE_ON_RESTART.value}))
def test_every_planted_bug_is_found_alike(name: str, stop: bool,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The same first violation, with the counters the Python loop has at that moment (a
    search that stops mid-level), the same counterexamples and witnesses; with
    ``stop_on_violation=False`` every invariant's first counterexample."""
    model = ActorModel(small(name), network="set")
    fast, slow, fast_levels, slow_levels = compare(model, monkeypatch, symmetry=True,
                                                   stop_on_violation=stop)
    assert fast == slow
    assert fast[8] or name == NONE  # the bugs are found at all
    if not stop:
        assert fast_levels == slow_levels


def test_forget_promise_on_restart_with_a_restart(monkeypatch: pytest.MonkeyPatch) -> None:
    """The restart bug on a set network, 3 acceptors and one restart: same violation, path
    and counters at the stop."""
    config = scenario(Mutant.FORGET_PROMISE_ON_RESTART.value).config
    model = ActorModel(config, network="set", restarts=1)
    fast, slow, _, _ = compare(model, monkeypatch, symmetry=True)
    assert fast == slow and fast[8]


def test_the_issue_configuration_is_searched_with_arrays_by_default(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``vectorised=None``: arrays for every search with sleep sets of a set network (with
    limits too: the command line always gives ``max_states``), the Python loop otherwise;
    ``True`` where it does not apply is refused."""
    runs: list[int] = []
    run = vec.VectorSearch.run
    monkeypatch.setattr(vec.VectorSearch, "run", lambda self, s: runs.append(1) or run(self, s))
    config = scenario(NONE).config
    explore(ActorModel(config))
    explore(ActorModel(config), max_seconds=60, max_states=10**6)
    assert runs == [1, 1]
    explore(ActorModel(config), por=False)
    explore(ActorModel(config, network="multiset"))
    explore(ActorModel(config), vectorised=False)
    assert runs == [1, 1]
    for bad in ({"por": False}, {"order": "dfs"}):
        with pytest.raises(UsageError, match="vectorised"):
            explore(ActorModel(config), vectorised=True, **bad)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="vectorised"):
        explore(ActorModel(config, network="multiset"), vectorised=True)
    with pytest.raises(UsageError, match="vectorised"):
        explore(ActorModel(config), vectorised="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("limit", [1, 7, 600, 1500, 2085, 2086, 2087])
def test_max_states_stops_where_the_python_loop_stops(limit: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python loop looks after every 512th frontier row; the arrays stop at the same row
    with the same counters (2,086 states in all: a limit at, around and past the end)."""
    config = Config(acceptors=3, proposers=2, learners=1, max_attempts=1, backoff="none")
    model = ActorModel(config, network="set")
    fast, slow, _, _ = compare(model, monkeypatch, symmetry=True, max_states=limit)
    assert fast == slow
    if limit <= 1500 or limit > 2086:
        assert fast[1] == ("max_states" if limit <= 1500 else "exhausted")


@pytest.mark.parametrize("limit", [20_000, 45_678])
def test_max_states_stops_mid_level_alike(limit: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Levels of thousands of states: the stop falls after row 512, 1024, ... of a level."""
    config = Config(acceptors=2, proposers=2, learners=1, max_attempts=2, backoff="none")
    model = ActorModel(config, network="set")
    fast, slow, fast_levels, _ = compare(model, monkeypatch, symmetry=True, max_states=limit)
    assert fast == slow and fast[1] == "max_states"
    assert len(fast_levels[-2]) > 2 * 512  # the frontier of the level the stop fell in


def test_a_hash_collision_is_never_a_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seen set keys rows by a 64-bit hash and checks every hit word by word. With a hash
    that collides on purpose (the ghost id alone), the collision is detected and the search
    is done again by the Python loop: the same figures."""
    raised = []
    find = vec.Seen.find

    def spy(self: Any, h: Any, rows: Any) -> Any:
        try:
            return find(self, h, rows)
        except Collision:
            raised.append(1)
            raise

    monkeypatch.setattr(vec.Seen, "find", spy)
    monkeypatch.setattr(vec.VectorSearch, "hash",
                        lambda self, rows, mult=None: rows[:, self.wm].copy())
    config = scenario(NONE).config
    r = explore(ActorModel(config), symmetry=True)
    assert raised
    ref = explore(ActorModel(config), symmetry=True, vectorised=False)
    assert outcome(r)[2:8] == outcome(ref)[2:8]


def test_seen_checks_rows_not_only_hashes() -> None:
    seen = vec.Seen(2)
    rows = np.array([[1, 2], [3, 4]], np.uint64)
    seen.add(np.array([7, 9], np.uint64), rows)
    assert seen.find(np.array([9, 7, 8], np.uint64), rows[[1, 0, 0]]).tolist() == [1, 0, -1]
    with pytest.raises(Collision):
        seen.find(np.array([7], np.uint64), np.array([[5, 6]], np.uint64))
    with pytest.raises(Collision):
        seen.add(np.array([9], np.uint64), np.array([[5, 6]], np.uint64))


# -- planted mistakes: each comparison above fails --------------------------------------------
def test_a_wrong_step_table_entry_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """One (node state, message) entry of the step table made a self-loop (the first entry
    filled that changes the node): a state is lost or changed, and the levels differ (or the
    witness's path is one the model's own steps cannot follow)."""
    steps = vec.VectorSearch.steps
    planted: list[tuple[int, int]] = []

    def wrong(self: Any, lid: Any, col: Any) -> Any:
        nid, sid, did = steps(self, lid, col)
        if not planted:
            moved = np.flatnonzero((nid != lid) & (col < self.cm))
            if len(moved):
                planted.append((int(lid[moved[0]]), int(col[moved[0]])))
        if planted:
            hit = (lid == planted[0][0]) & (col == planted[0][1])
            nid = np.where(hit, lid, nid)
        return nid, sid, did

    monkeypatch.setattr(vec.VectorSearch, "steps", wrong)
    config = Config(acceptors=3, proposers=2, learners=1, max_attempts=1, backoff="none")
    model = ActorModel(config, network="set")
    try:
        fast, slow, fast_levels, slow_levels = compare(model, monkeypatch, symmetry=True)
    except RuntimeError as e:  # or a witness path the model's own steps cannot follow
        assert planted and "no action explains" in str(e)
        return
    assert planted and (fast != slow or fast_levels != slow_levels)


def test_a_wrong_sleep_merge_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrivals at a state of this level merged by union instead of intersection: more steps
    sleep. Same states here (the model is forgiving), but the sleep sets differ."""
    monkeypatch.setattr(vec, "_merge_sleeps", np.bitwise_or.reduceat)
    config = Config(acceptors=3, proposers=2, learners=1, max_attempts=1, backoff="none")
    model = ActorModel(config, network="set")
    _, _, fast_levels, slow_levels = compare(model, monkeypatch, symmetry=True)
    assert fast_levels != slow_levels


def test_a_wrong_renaming_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sleep set of a renamed state left unrenamed: the levels differ."""
    monkeypatch.setattr(vec.VectorSearch, "sleep_image", lambda self, k, z: z.copy())
    config = Config(acceptors=3, proposers=2, learners=1, max_attempts=1, backoff="none")
    model = ActorModel(config, network="set")
    _, _, fast_levels, slow_levels = compare(model, monkeypatch, symmetry=True)
    assert fast_levels != slow_levels


def test_the_command_line_refuses_vectorised_where_it_cannot_apply() -> None:
    """``--vectorised`` on a multiset network is one line naming the flag, exit 2. (Which
    loop ran, ``--no-vectorised`` and the same figures: ``test_check_por``'s command-line
    test.)"""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as stop:
        main(["check", "--model", "actors", "--acceptors", "2", "--values", "2",
              "--max-attempts", "1", "--vectorised", "--network", "multiset"])
    assert stop.value.code == 2
    assert "--vectorised" in err.getvalue() and len(err.getvalue().strip().splitlines()) == 1
