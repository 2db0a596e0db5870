"""The ``actors`` model: the real roles in every interleaving, the planted bugs, the reductions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paxosbook import Config, UsageError
from paxosbook.check.actors import ActorModel
from paxosbook.check.engine import _Search, explore
from paxosbook.check.freeze import CONSTANT, STATE, freeze, view
from paxosbook.check.scenarios import NONE, QUORUMS, SCENARIOS, scenario
from paxosbook.core import (
    Accepted,
    Acceptor,
    Ballot,
    Learner,
    Mutant,
    Nack,
    Phase,
    Promise,
    Proposal,
    Proposer,
    Timer,
)


def cfg(proposers: int = 2, attempts: int = 1, **kw: object) -> Config:
    return Config(acceptors=3, proposers=proposers, learners=1, max_attempts=attempts,
                  backoff="none", **kw)  # type: ignore[arg-type]


# -- the correct protocol is exhausted; pinned counts (reduced state space) -------------------
@pytest.mark.parametrize("proposers, attempts, network, restarts, symmetry, figures", [
    (2, 1, "set", 0, False, (10009, 135926, 18)),
    (2, 1, "set", 0, True, (2086, 28138, 18)),
    (1, 2, "set", 0, False, (1276, 14670, 17)),
    (2, 1, "multiset", 0, True, (10655, 71171, 19)),
    (2, 1, "set", 1, True, (4172, 62533, 19)),
])
def test_correct_protocol_is_exhausted_without_violation(
        proposers: int, attempts: int, network: str, restarts: int, symmetry: bool,
        figures: tuple[int, int, int]) -> None:
    """Regression pins: these counts are what this checker itself found for its ``actors``
    model (no published figure exists for it), so they catch a change in the model or the
    reductions, not an error that was there when they were taken. The ``tla`` model's counts
    (test_check_tla) are checked against TLC's published ones instead."""
    model = ActorModel(cfg(proposers, attempts), network=network, restarts=restarts)
    r = explore(model, symmetry=symmetry)
    assert r.ok and r.complete
    assert (r.distinct_states, r.total_states, r.depth) == figures


def test_symmetry_recovers_the_unreduced_counts() -> None:
    plain = explore(ActorModel(cfg()))
    reduced = explore(ActorModel(cfg()), symmetry=True)
    assert (reduced.raw_distinct_states, reduced.raw_total_states) == (plain.distinct_states,
                                                                       plain.total_states)


# -- every planted bug is caught with a short counterexample that the trace confirms ----------
@pytest.mark.parametrize("name", [n for n in SCENARIOS if n != NONE])
def test_each_mutant_is_caught_with_a_short_counterexample(name: str) -> None:
    r = explore(scenario(name).model(), symmetry=True)
    assert r.stop_reason == "violation"
    cex = r.violations[0]
    assert 1 <= len(cex.actions) <= 12
    run = cex.run
    assert set(cex.invariants) & {v.property for v in run.violations}
    assert len(run.trace) > len(cex.actions)


def test_the_same_deployment_without_the_bug_is_safe() -> None:
    assert explore(scenario(NONE).model(), symmetry=True).ok
    assert explore(ActorModel(scenario(NONE).config, restarts=1), symmetry=True).ok


def test_forgetting_needs_a_restart_to_show() -> None:
    s = scenario(Mutant.FORGET_PROMISE_ON_RESTART.value)
    assert explore(ActorModel(s.config, restarts=0), symmetry=True).ok
    cex = explore(s.model(), symmetry=True).violations[0]
    assert any(a.name == "restart" for a in cex.actions)
    assert {"crash", "recover"} <= set(cex.run.trace["event"].astype(str))


def test_learning_without_quorum_is_completed_with_learner_deliveries() -> None:
    cex = explore(scenario(Mutant.LEARN_WITHOUT_QUORUM.value).model()).violations[0]
    assert cex.invariant == "integrity"
    assert str(cex.actions[-1]).startswith("deliver Accepted(") and "->l1" in str(cex.actions[-1])
    assert "learn" in set(cex.run.trace["event"].astype(str))


def test_counterexample_trace_draws_as_a_sequence_diagram() -> None:
    views = pytest.importorskip("paxosbook.views")
    cex = explore(scenario(QUORUMS).model()).violations[0]
    fig = views.sequence_diagram(cex.run.trace, title="non-intersecting quorums")
    assert fig.data


# -- the reductions are exact -----------------------------------------------------------------
def observable(model: ActorModel) -> set[object]:
    """Everything a property can read, over all reachable states."""
    search = _Search(model, False, None, None, False, False)
    search.bfs()
    model.certify()
    out = set()
    for s in search.parents:
        for learned in model.outcomes(s):
            snap = model.snapshot(s, learned)
            out.add((snap.votes, snap.accepts, snap.acceptors, snap.learned))
    return out


OFF = {"prune": False, "merge_idle": False, "learners_aside": False, "views": False,
       "alias": False}


@pytest.mark.parametrize("config, network", [
    (Config(acceptors=2, proposers=1, learners=1, max_attempts=2, backoff="none"), "set"),
    (Config(acceptors=2, proposers=2, learners=1, max_attempts=1, backoff="none"), "set"),
    (Config(acceptors=2, proposers=2, learners=1, max_attempts=1, backoff="none",
            mutants=("accept-below-promise",)), "multiset"),
])
def test_reduced_and_unreduced_searches_see_the_same_observable_states(
        config: Config, network: str) -> None:
    full = observable(ActorModel(config, network=network, **OFF))
    assert observable(ActorModel(config, network=network)) == full
    for name in OFF:
        assert observable(ActorModel(config, network=network, **{name: False})) == full


def test_the_certificate_catches_an_unsound_reduction(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plant a wrong judgement in the search (every message equal but for its sender counts
    as the same): the end-of-search certificate, which re-checks with the real rule, refuses."""
    model = ActorModel(cfg(1, 1))
    real = model._same
    monkeypatch.setattr(model, "_same", lambda d, r, m, evidence=True:
                        True if evidence else real(d, r, m, evidence))
    with pytest.raises(RuntimeError, match="aliasing was unsound"):
        explore(model)
    assert explore(ActorModel(cfg(1, 1))).ok  # the real judgement passes


def test_freeze_knows_every_slot_of_every_role() -> None:
    for cls in (Proposer, Acceptor, Learner):
        slots = set(cls.__slots__)
        assert slots == set(STATE[cls.__name__]) | set(CONSTANT[cls.__name__]), cls.__name__


BALLOTS = st.builds(Ballot, st.integers(0, 3), st.integers(1, 2))
PROPOSALS = st.none() | st.builds(Proposal, BALLOTS, st.sampled_from(["add", "jmp"]))
ACCEPTORS = st.sampled_from(["a1", "a2", "a3"])
EVENTS = (st.builds(Promise, ACCEPTORS, st.just("p1"), BALLOTS, PROPOSALS)
          | st.builds(Accepted, ACCEPTORS, st.just("p1"), BALLOTS, st.sampled_from(["add"]))
          | st.builds(Nack, ACCEPTORS, st.just("p1"), BALLOTS, BALLOTS)
          | st.sampled_from(list(Timer)))


@settings(max_examples=150, deadline=None)
@given(phase=st.sampled_from([Phase.ACCEPTING, Phase.CHOSEN, Phase.GAVE_UP, Phase.BACKING_OFF]),
       ballot=BALLOTS, attempts=st.integers(1, 2),
       promises=st.dictionaries(ACCEPTORS, PROPOSALS, max_size=3),
       accepts=st.frozensets(ACCEPTORS), events=st.lists(EVENTS, min_size=1, max_size=4))
def test_view_drops_only_fields_the_proposer_never_reads(
        phase: Phase, ballot: Ballot, attempts: int, promises: dict[str, Proposal | None],
        accepts: frozenset[str], events: list[object]) -> None:
    """Outside PREPARING the proposer's promises, and outside ACCEPTING its accepts, change
    nothing it will ever do: two proposers that differ only there act alike forever."""
    cluster = cfg(2, 2).cluster()

    def make(full: bool) -> Proposer:
        p = cluster.make_node("p1").proposer
        assert p is not None
        p.phase, p.ballot, p.round, p.attempts = phase, ballot, ballot.round, attempts
        p.promises = dict(promises) if full else {}
        p.accepts = set(accepts) if full or phase is Phase.ACCEPTING else set()
        return p

    a, b = make(True), make(False)
    for event in events:
        if isinstance(event, Timer):
            ea, eb = a.on_timeout(event), b.on_timeout(event)
        else:
            ea, eb = a.on_message(event), b.on_message(event)  # type: ignore[arg-type]
        assert ea == eb
        fa, fb = view((freeze_proposer(a), None, None)), view((freeze_proposer(b), None, None))
        assert fa == fb


def freeze_proposer(p: Proposer) -> object:
    node = Config(acceptors=3, proposers=2).cluster().make_node("p1")
    node.proposer = p
    return freeze(node)[0]


# -- parameters -------------------------------------------------------------------------------
@pytest.mark.parametrize("kw, field", [({"network": "bag"}, "network"),
                                       ({"restarts": 99}, "restarts")])
def test_bad_parameters(kw: dict[str, object], field: str) -> None:
    with pytest.raises(UsageError, match=field):
        ActorModel(cfg(), **kw)  # type: ignore[arg-type]


def test_unbounded_ballots_are_refused() -> None:
    with pytest.raises(UsageError, match="max_attempts"):
        ActorModel(Config(acceptors=3, proposers=2))


# -- traces of timers and of a multiset network -----------------------------------------------
class _Retries(ActorModel):
    """A probe property: "no proposer ever tries a second ballot" (false: timers fire)."""

    def violated(self, state: tuple[object, ...]) -> tuple[str, ...]:
        frozen = self.local(state[3])[1][0]  # type: ignore[index]
        return ("no_retry",) if frozen[3] >= 2 else ()


def test_a_timeout_appears_in_the_counterexample_and_its_trace() -> None:
    cex = explore(_Retries(cfg(1, 2))).violations[0]
    assert [str(a) for a in cex.actions] == ["timeout p1 phase"]
    events = list(cex.run.trace["event"].astype(str))
    assert events.count("timer") == 1 and events.count("send") == 6


def test_multiset_counterexample_replays() -> None:
    model = ActorModel(scenario(Mutant.ACCEPT_BELOW_PROMISE.value).config, network="multiset")
    r = explore(model, symmetry=True, order="dfs")
    cex = r.violations[0]
    assert set(cex.invariants) & {v.property for v in cex.run.violations}


def test_progress_bar_does_not_change_the_result() -> None:
    plain = explore(ActorModel(cfg()), symmetry=True)
    shown = explore(ActorModel(cfg()), symmetry=True, progress=True)
    assert (plain.distinct_states, plain.total_states) == (shown.distinct_states,
                                                           shown.total_states)
