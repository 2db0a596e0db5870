"""The stepper (``paxosbook.stepper``): the reader is the network.

The references are independent of the stepper wherever possible: the ``actors`` model of the
checker for which actions are enabled and where they lead, the simulator for a taken-over run,
the checker's own counterexample and state count for ``search``.
"""

from __future__ import annotations

import random

import pytest

from paxosbook import Config, Crash, UsageError, simulate
from paxosbook.check import check, check_run
from paxosbook.check.actors import ActorModel, describe
from paxosbook.check.actors.model import MAX_RESTARTS
from paxosbook.core import Cluster
from paxosbook.stepper import Stepper, World
from paxosbook.stepper import history as history_module
from paxosbook.stepper.search import complete, model_state, to_stepper
from paxosbook.stepper.world import Action, actions, apply
from paxosbook.views import narrate, network_graph, sequence_diagram, state_table
from paxosbook.widgets import Stepper as WidgetStepper

BUG = "ignore-promised-value"
CONFIGS = {
    "separate": Config(acceptors=3, proposers=2, learners=1, max_attempts=2, backoff="none"),
    "colocated": Config(acceptors=3, proposers=2, colocated=True, max_attempts=2,
                        backoff="none"),
    "mutant": Config(acceptors=3, proposers=2, learners=2, max_attempts=2, backoff="none",
                     mutants=(BUG,)),
}
OFF = {"prune": False, "merge_idle": False, "learners_aside": False, "views": False,
       "alias": False}


@pytest.fixture(scope="module")
def bug_check():  # the checker's shortest counterexample (3 acceptors, one ballot each)
    return check("actors", mutant=BUG, max_ballot=0)


def started(config: Config) -> Stepper:
    s = Stepper(config)
    s._walk(complete(s.cluster, s.world))
    return s


# -- the API, by hand ---------------------------------------------------------------------------
def test_initial_actions_and_labels() -> None:
    s = Stepper(acceptors=3, proposers=2)
    assert [a.label for a in s.actions] == [
        "start p1", "start p2", "crash p1", "crash p2", "crash a1", "crash a2", "crash a3",
        "crash l1", "crash l2"]
    assert WidgetStepper is Stepper
    s.step("start p1")
    s.step("d1")  # Prepare #1 to a2; a2's Promise is message #3
    promise = next(a for a in s.actions if a.kind == "deliver" and a.msg_id == 3)
    assert promise.label == "deliver Promise(1.1, none) a2->p1 #3"
    assert {a.kind for a in s.actions} == {"start", "deliver", "drop", "duplicate", "timeout",
                                            "crash"}
    assert s.path == "s:p1 d1"
    assert s.nodes()["p2"] == "not started" and s.timers()["p1"] == ("phase",)
    assert [a.msg_id for a in s.pending()["p1"]] == [3]


def test_drop_duplicate_crash_restart() -> None:
    s = Stepper(acceptors=3, proposers=1)
    s.step("s:p1")
    s.step("u0")  # a copy of Prepare #0 (to a1) is message #3
    assert [mid for mid, _ in s.world.pending] == [0, 1, 2, 3]
    s.step("x1")
    s.step("c:a1")
    assert "d0" not in {a.token for a in s.actions}  # a1 is down: no delivery, drop possible
    assert "x0" in {a.token for a in s.actions}
    s.step("r:a1")
    s.step("d0")
    s.step("d3")  # the duplicate: a1 promises again
    events = list(s.run.trace["event"].astype(str))
    for e in ("duplicate", "drop", "crash", "recover", "deliver", "promise"):
        assert e in events


def test_undo_redo_branches() -> None:
    s = Stepper(acceptors=3, proposers=1)
    for t in ("s:p1", "d0", "d1"):
        s.step(t)
    assert s.undo().token == "d1"
    assert s.path == "s:p1 d0"
    assert s.redo().token == "d1" and s.path == "s:p1 d0 d1"
    s.undo()
    s.step("d2")  # a new branch
    assert s.path == "s:p1 d0 d2"
    branches = s.branches
    assert sorted(b.path for b in branches) == ["s:p1 d0 d1", "s:p1 d0 d2"]
    assert [b.current for b in branches if b.path.endswith("d2")] == [True]
    s.goto(next(b for b in branches if b.path.endswith("d1")))
    assert s.path == "s:p1 d0 d1" and s.steps == 3
    rows = s.tree()
    assert [(r["id"], r["parent"], r["label"]) for r in rows][-2:] == [
        (3, 2, "deliver Prepare(1.1) p1->a2 #1"), (4, 2, "deliver Prepare(1.1) p1->a3 #2")]
    assert [r["id"] for r in rows if r["line"]] == [0, 1, 2, 3]
    n = len(s.history.positions)
    for _ in range(50):  # a loop of clicks reuses the positions it made
        s.undo()
        s.step("d1")
    assert len(s.history.positions) == n


def test_path_round_trip() -> None:
    rng = random.Random(7)
    config = CONFIGS["mutant"]
    s = Stepper(config)
    for _ in range(30):
        s.step(rng.randrange(len(s.actions)))
    back = Stepper.replay(config, s.path)
    assert back.path == s.path
    assert back.world == s.world
    assert back.run.trace_digest() == s.run.trace_digest()


# -- bad input: one clear error, nothing changed ------------------------------------------------
@pytest.mark.parametrize("bad", [99, -1, "deliver Prepare(9.9) p1->a1 #0", "d42", True, 1.5])
def test_step_not_enabled(bad: object) -> None:
    s = Stepper(acceptors=3, proposers=1)
    s.step(0)
    before = (s.path, s.world)
    with pytest.raises(UsageError, match=r"^action: must be one of the"):
        s.step(bad)  # type: ignore[arg-type]
    assert (s.path, s.world) == before


def test_bad_config() -> None:
    with pytest.raises(UsageError, match=r"^config: must be a paxosbook Config"):
        Stepper("3 acceptors")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"^config: must be fields from .*'acceptor'"):
        Stepper(acceptor=3)
    with pytest.raises(UsageError, match=r"^acceptors:"):
        Stepper(Config(), acceptors=0)
    assert Stepper(Config(acceptors=5), proposers=2).config == Config(acceptors=5, proposers=2)


def test_undo_at_start_and_bad_goto() -> None:
    s = Stepper()
    with pytest.raises(UsageError, match=r"^undo:"):
        s.undo()
    with pytest.raises(UsageError, match=r"^redo:"):
        s.redo()
    with pytest.raises(UsageError, match=r"^goto:"):
        s.goto(5)
    assert s.path == ""


def test_path_that_does_not_replay() -> None:
    with pytest.raises(UsageError, match=r"^path: .* step 2 .*got 'd9'"):
        Stepper.replay(Config(), "s:p1 d9")
    with pytest.raises(UsageError, match=r"^path:"):
        Stepper.replay(Config(), "run x@1; d0")


def test_history_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_module, "MAX_POSITIONS", 4)
    s = Stepper(acceptors=3, proposers=1)
    for t in ("s:p1", "d0", "d1"):
        s.step(t)
    with pytest.raises(UsageError, match=r"^history: must be at most 4 positions"):
        s.step("d2")
    assert s.path == "s:p1 d0 d1"
    s.undo()
    s.step("d1")  # an existing position: still fine


# -- enabled exactly as the checker's model says -----------------------------------------------
def stepper_moves(cluster: Cluster, world: World, left: int) -> set[str]:
    out = set()
    restartable = {n for n in cluster.nodes if cluster.node(n).acceptor is not None}
    for a in actions(cluster, world):
        if a.kind == "deliver":
            out.add(f"deliver {describe(a.msg)}")
        elif a.kind == "timeout":
            out.add(a.label)
        elif a.kind == "crash" and a.node in restartable and left:
            out.add(f"restart {a.node}")
    return out


def counterpart(cluster: Cluster, world: World, move: str) -> list[Action]:
    kind, _, rest = move.partition(" ")
    if kind == "restart":
        return [Action("crash", rest), Action("restart", rest)]
    return [next(a for a in actions(cluster, world)
                 if a.kind == kind and (a.label == move or
                                        (a.msg is not None and describe(a.msg) == rest)))]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_actions_as_the_model_says(name: str) -> None:
    """Along random walks (drops, duplicates and crash-restarts included), the deliveries,
    timeouts and restarts the stepper offers are those the ``actors`` model (multiset network,
    no reductions) enables in the same state, and each leads to the model's successor."""
    config = CONFIGS[name]
    model = ActorModel(config, network="multiset", restarts=MAX_RESTARTS, **OFF)
    s = started(config)
    cluster, world, records = s.cluster, s.world, list(s.run.records)
    rng, left = random.Random(name), MAX_RESTARTS
    for _ in range(60):
        state = model_state(model, world, records, left)
        succ = {str(a): t for a, t in model.actions(state)}
        assert set(succ) == stepper_moves(cluster, world, left)
        for move, expected in succ.items():
            w, recs = world, list(records)
            for a in counterpart(cluster, world, move):
                w, more = apply(cluster, w, a)
                recs += more
            assert model_state(model, w, recs, left - move.startswith("restart")) == expected
        choices = [a for a in actions(cluster, world) if a.kind != "crash"
                   or (left and cluster.node(a.node).acceptor is not None)]
        delivers = [a for a in choices if a.kind == "deliver"]
        if not choices:
            break
        pick = rng.choice(delivers if delivers and rng.random() < 0.8 else choices)
        todo = [pick, Action("restart", pick.node)] if pick.kind == "crash" else [pick]
        left -= pick.kind == "crash"
        for a in todo:
            world, more = apply(cluster, world, a)
            records += more


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_started_world_is_the_models_initial_state(name: str) -> None:
    """With the model's reductions on, as ``search`` uses it."""
    model = ActorModel(CONFIGS[name])
    s = started(CONFIGS[name])
    assert model_state(model, s.world, s.run.records, 0) == model.initial_states()[0]


# -- the run, the views, the properties ---------------------------------------------------------
def test_views_and_properties_read_the_run(bug_check) -> None:
    s = Stepper.from_check(bug_check)
    run = s.run
    assert [v.property for v in check_run(run)] == [v.property for v in s.violations]
    fig = sequence_diagram(run)
    assert len(fig.data) > 0
    assert len(network_graph(run.trace).data) > 0
    table = state_table(run)
    assert "jmp" in table.loc["a1", "accepted"] and "add" in table.loc["a3", "accepted"]
    told = narrate(run.trace)
    assert len(told) == len(run.records)
    assert told["what"].str.contains("sends Accept").any()


def test_violation_names_the_step_that_broke_it(bug_check) -> None:
    s = Stepper.from_check(bug_check)
    (broken,) = s.violations
    assert broken.property == bug_check.violations[0].invariant
    assert broken.step == s.steps and broken.action == s.position.action.label
    assert [n for n, b in s.verdict().items() if b is not None] == [broken.property]
    assert len(s.verdict()) == 6
    s.undo()
    assert s.violations == [] and not any(s.verdict().values())
    s.redo()
    assert [v.property for v in s.violations] == [broken.property]


# -- from_run -----------------------------------------------------------------------------------
def test_from_run_equals_the_simulated_prefix() -> None:
    config = Config(acceptors=3, proposers=2, drop=0.1, duplicate=0.1, delay="uniform",
                    delay_jitter=0.5)
    run = simulate(config, seed=3)
    recs = run.records
    # a moment after which the simulator delivers a message: the stepper delivers it too
    k = next(i for i in range(len(recs) // 2, len(recs)) if recs[i][1] == "deliver"
             and recs[i][0] > recs[i - 1][0])
    t = recs[k - 1][0]
    s = Stepper.from_run(run, time=t)
    assert s.run.records == [r for r in recs if r[0] <= t]
    gone = {r[5] for r in recs if r[0] <= t and r[1] in ("deliver", "drop")}
    sent = {r[5] for r in recs if r[0] <= t and r[1] in ("send", "duplicate")}
    assert {mid for mid, _ in s.world.pending} == sent - gone
    s.step(f"d{recs[k][5]}")
    mine = s.run.records[k:]
    theirs = [r for r in recs[k:] if r[0] == recs[k][0]][:len(mine)]
    assert [r[1:] for r in mine] == [r[1:] for r in theirs]
    assert Stepper.replay(config, s.path).run.records == s.run.records


def test_from_run_with_a_node_down() -> None:
    config = Config(acceptors=3, delay="constant", delay_mean=1.0,
                    crashes=(Crash("a1", 1.5, 30.0),), stop_when_decided=False)
    run = simulate(config, seed=0)
    s = Stepper.from_run(run, time=2.0)
    assert s.nodes()["a1"] == "down" and s.path == "run 0@2.0;"
    assert "restart a1" in {a.label for a in s.actions}
    assert not any(a.kind == "deliver" and a.node == "a1" for a in s.actions)
    s.step("r:a1")
    assert s.run.records[-1][:3] == (3.0, "recover", "a1")
    assert len(sequence_diagram(s.run).data) > 0
    assert Stepper.replay(config, s.path).path == "run 0@2.0; r:a1"


def test_from_run_bad_time() -> None:
    run = simulate(Config(), seed=1)
    end = run.records[-1][0]
    for bad in (-1, end + 1, "5", float("nan")):
        with pytest.raises(UsageError, match=r"^time: must be a time within the run"):
            Stepper.from_run(run, time=bad)  # type: ignore[arg-type]


# -- from_check and search ----------------------------------------------------------------------
def test_from_check_reaches_the_same_violation(bug_check) -> None:
    cex = bug_check.violations[0]
    s = Stepper.from_check(bug_check)
    assert [v.property for v in s.violations] == list(cex.invariants)
    delivered = [a for a in s.path.split() if a.startswith("d")]
    assert len(delivered) == len(cex.actions)
    with pytest.raises(UsageError, match=r"^result:"):
        Stepper.from_check(check("actors", max_ballot=0))  # no counterexample
    searched = Stepper(cex.model.config)
    searched.step("s:p1")
    with pytest.raises(UsageError, match=r"^result:"):  # its path starts where it searched
        Stepper.from_check(searched.search().check)


def test_search_finds_the_checkers_shortest_counterexample(bug_check) -> None:
    cex = bug_check.violations[0]
    s = Stepper(cex.model.config)
    found = s.search()
    assert found.found and found.length == len(cex.actions)
    assert found.states == bug_check.distinct_states  # the same search, from the same state
    assert [v.property for v in s.violations] == list(cex.invariants)
    assert s.path == Stepper.from_check(bug_check).path  # the same path, found again
    # regression pin (the stepper's own output): p2's Promise from a2 reports 1.1:add, and
    # p2 proposes jmp all the same
    assert s.path == "s:p1 s:p2 d0 d1 d3 d6 d7 d8 d10 d4 d11 d14 d17"
    assert bug_check.distinct_states == 5667  # the checker's count (test_check_* pin others)


def test_search_from_the_middle(bug_check) -> None:
    full = Stepper.from_check(bug_check)
    tokens = full.path.split()
    s = Stepper.replay(full.run.config, " ".join(tokens[:7]))  # 2 starts, 5 deliveries
    found = s.search()
    assert found.found and found.length == len(tokens) - 7
    assert s.violations


def test_search_says_none_within_bounds() -> None:
    s = Stepper(acceptors=3, proposers=2, learners=1, max_attempts=1, backoff="none")
    out = s.search()
    assert not out.found and out.check.complete and not out.depth_cut
    assert str(out).startswith(f"no violation reachable from here ({out.states} states")
    shallow = s.search(max_depth=3)
    assert shallow.depth_cut and shallow.states < out.states
    assert str(shallow).startswith("no violation within 3 steps")
    assert s.path == ""  # nothing loaded
    for bad, field in (({"max_depth": -1}, "max_depth"), ({"network": "bus"}, "network"),
                       ({"max_states": 0}, "max_states"), ({"restarts": 99}, "restarts"),
                       ({"max_attempts": 0}, "max_attempts")):
        with pytest.raises(UsageError, match=rf"^{field}:"):
            s.search(**bad)
    assert s.path == ""


def test_search_restarts_a_down_node_first() -> None:
    s = Stepper(CONFIGS["mutant"])
    s.step("s:p1")
    s.step("c:a1")
    found = s.search()
    assert found.found and found.steps[:2] == ("restart a1", "start p2")
    assert s.violations


def test_a_set_network_path_that_delivers_twice_gets_a_duplicate() -> None:
    """On a set network a message may be received twice; the stepper needs a copy."""
    config = CONFIGS["separate"]
    model = ActorModel(config, **OFF)
    state = model.initial_states()[0]
    twice = []
    for _ in range(2):
        action, state = next((a, t) for a, t in model.actions(state)
                             if str(a) == "deliver Prepare(p1->a1, 1.1)")
        twice.append(action)
    s = started(config)
    steps = to_stepper(model, s.cluster, s.world, twice)
    assert [a.token for a in steps] == ["u0", "d0", "d6"]
    s._walk(steps)
    mine = model_state(model, s.world, s.run.records, 0)
    assert mine[1:] == state[1:]  # the same nodes and history
    assert mine[0] == state[0] & ~1  # the model keeps Prepare #0 in its set; both copies used
