"""The ``actors`` model: the real roles in every interleaving, the planted bugs, the reductions."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paxosbook import Config, UsageError
from paxosbook.check.actors import ActorModel, reductions
from paxosbook.check.actors.base import view
from paxosbook.check.engine import _Search, explore
from paxosbook.check.scenarios import NONE, QUORUMS, SCENARIOS, scenario
from paxosbook.core import (
    Accept,
    Accepted,
    Acceptor,
    AcceptorState,
    Ballot,
    Cluster,
    Learner,
    LearnerState,
    Mutant,
    Nack,
    NodeState,
    Phase,
    Promise,
    Proposal,
    Proposer,
    ProposerState,
    Send,
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
    assert model.certify() == {}
    out = set()
    for s in search.parents:
        for learned in model.outcomes(s):
            snap = model.snapshot(s, learned)
            out.add((snap.votes, snap.accepts, snap.acceptors, snap.learned))
    return out


OFF = {"prune": False, "merge_idle": False, "learners_aside": False, "views": False,
       "alias": False}


@pytest.mark.parametrize("config, network, restarts", [
    (Config(acceptors=2, proposers=1, learners=1, max_attempts=2, backoff="none"), "set", 0),
    (Config(acceptors=2, proposers=2, learners=1, max_attempts=1, backoff="none"), "set", 0),
    (Config(acceptors=2, proposers=2, learners=1, max_attempts=1, backoff="none",
            mutants=("accept-below-promise",)), "multiset", 0),
    (Config(acceptors=2, proposers=1, learners=1, max_attempts=2, backoff="none"), "set", 1),
    (Config(acceptors=2, proposers=1, learners=1, max_attempts=2, backoff="none",
            mutants=("forget-promise-on-restart",)), "multiset", 1),
])
def test_reduced_and_unreduced_searches_see_the_same_observable_states(
        config: Config, network: str, restarts: int) -> None:
    full = observable(ActorModel(config, network=network, restarts=restarts, **OFF))
    assert observable(ActorModel(config, network=network, restarts=restarts)) == full
    for name in OFF:
        assert observable(ActorModel(config, network=network, restarts=restarts,
                                     **{name: False})) == full


def findings(r: object) -> dict[str, int]:
    """Each invariant violated, with the length of its shortest counterexample."""
    return {v.invariant: len(v.actions) for v in r.violations}  # type: ignore[attr-defined]


@pytest.mark.parametrize("mutant, restarts", [
    ("accept-below-promise", 0), ("reuse-ballot", 0), ("ignore-promised-value", 1)])
def test_reduced_and_unreduced_agree_with_symmetry_and_restarts(mutant: str,
                                                                restarts: int) -> None:
    """Exact reductions and symmetry lose no violation and no shortest path: every
    combination finds the same invariants broken, each at the same breadth-first depth. Two
    acceptors, two proposers with one ballot each, a multiset network, and for
    ignore-promised-value one crash-restart; the unreduced searches have up to 190,000
    states."""
    proposers, attempts = 2, 1
    config = Config(acceptors=2, proposers=proposers, learners=1, max_attempts=attempts,
                    backoff="none", mutants=(mutant,))
    seen = []
    for reduced in (True, False):
        for symmetry in (True, False):
            kw = {} if reduced else OFF
            r = explore(ActorModel(config, network="multiset", restarts=restarts, **kw),
                        symmetry=symmetry, stop_on_violation=False)
            assert r.complete and r.reductions_off == {}
            seen.append(findings(r))
    assert seen[0] and all(f == seen[0] for f in seen), seen


# -- each certificate catches a planted bug; the search then runs without the reduction ------
def plant_wrong_alias(model: ActorModel, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every message equal but for its sender counts as the same, during the search; the
    certificate re-checks with the real rule."""
    assert model.aliaser is not None
    real = model.aliaser.same
    monkeypatch.setattr(model.aliaser, "same", lambda d, r, m, evidence=True:
                        True if evidence else real(d, r, m, evidence))


def test_the_alias_certificate_catches_a_wrong_judgement(monkeypatch: pytest.MonkeyPatch) -> None:
    """The certificate refuses the planted judgement, and the search is run again without
    aliasing, with the same figures as a search that never aliased."""
    model = ActorModel(cfg(1, 1))
    plant_wrong_alias(model, monkeypatch)
    r = explore(model)
    assert list(r.reductions_off) == ["alias"]
    assert "certificate failed" in r.reductions_off["alias"]
    assert "act differently" in r.reductions_off["alias"]
    plain = explore(ActorModel(cfg(1, 1), alias=False))
    assert r.ok and (r.distinct_states, r.total_states) == (plain.distinct_states,
                                                             plain.total_states)
    assert explore(ActorModel(cfg(1, 1))).reductions_off == {}  # the real judgement passes


@pytest.mark.parametrize("limits", [{"max_states": 300}, {"stop_on_violation": True}])
def test_certificates_run_on_partial_and_stopped_searches(
        monkeypatch: pytest.MonkeyPatch, limits: dict[str, object]) -> None:
    """Not only exhaustive searches are certified: one stopped by a limit or at the first
    violation is too (here with the planted alias bug and a real planted protocol bug)."""
    model = scenario(Mutant.IGNORE_PROMISED_VALUE.value).model()
    plant_wrong_alias(model, monkeypatch)
    r = explore(model, **limits)  # type: ignore[arg-type]
    assert "alias" in r.reductions_off
    assert r.stop_reason == ("max_states" if "max_states" in limits else "violation")


def test_the_prune_certificate_catches_a_message_that_matters_later(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The bug of issue 9: with reuse-ballot an acceptor can send two different Promises for
    one ballot and the proposer keeps the latest, so a Promise ignored once matters later.
    With the up-front switch taken away, the certificate must find it, and the search must
    end with the violations, not a traceback."""
    monkeypatch.setattr("paxosbook.check.actors.model.UNSOUND_WITH", {})
    model = scenario(Mutant.REUSE_BALLOT.value).model()
    assert model.pruner is not None and not model.pruner.exempt
    r = explore(model, symmetry=True, stop_on_violation=False, max_states=2000)
    assert "prune" in r.reductions_off
    assert "Promise(a1->p1, 1.1) was dropped as ignored by p1 but matters in a later state" \
        in r.reductions_off["prune"]
    assert r.stop_reason == "max_states" and r.violations[0].invariant == "one_value_per_ballot"


@pytest.mark.parametrize("network", ["set", "multiset"])
def test_a_mutant_known_to_break_prune_narrows_it_and_its_certificate_holds(
        network: str) -> None:
    """Up front, prune leaves alone the Promises about the ballot their receiver works on
    (the messages reuse-ballot makes matter again); what it still prunes, its certificate
    accepts, so the search is not run again."""
    model = scenario(Mutant.REUSE_BALLOT.value).model(network=network)
    assert model.pruner is not None and model.pruner.exempt == (Promise,)
    assert set(reductions.UNSOUND_WITH["prune"]) == {
        Mutant.REUSE_BALLOT, Mutant.ACCEPT_BELOW_PROMISE, Mutant.FORGET_PROMISE_ON_RESTART}
    r = explore(model, symmetry=True, stop_on_violation=False, max_states=5000)
    assert r.reductions_off == {}
    assert r.reductions_narrowed["prune"].startswith("not applied to Promise messages")
    assert "reduction prune narrowed" in str(r)
    assert r.violations[0].invariant == "one_value_per_ballot"


class _Restless(Proposer):
    """Planted bug: a proposer that gave up starts again when it hears a Nack."""

    def on_nack(self, s: ProposerState, msg: Nack) -> tuple[ProposerState, list[object]]:
        if s.phase is Phase.GAVE_UP:
            return self.new_ballot(s._replace(attempts=0))  # type: ignore[return-value]
        return Proposer.on_nack(self, s, msg)  # type: ignore[return-value]


class _Chatty(Learner):
    """Planted bug: a learner that answers every Accepted with a Nack to the proposer."""

    def on_message(self, s: LearnerState, msg: object) -> tuple[LearnerState, list[object]]:
        after, effects = Learner.on_message(self, s, msg)  # type: ignore[arg-type]
        if isinstance(msg, Accepted):
            return after, [*effects, Send(Nack(self.name, "p1", msg.ballot, msg.ballot))]
        return after, effects  # type: ignore[return-value]


class _Lax(Acceptor):
    """Planted bug: an acceptor that accepts a higher ballot without promising it (its
    accepted ballot then exceeds its promise)."""

    def on_accept(self, s: AcceptorState, msg: Accept) -> tuple[AcceptorState, list[object]]:
        after, effects = Acceptor.on_accept(self, s, msg)
        return AcceptorState(s.promised, after.accepted), effects  # type: ignore[return-value]


@dataclasses.dataclass(frozen=True)
class _BuggyCluster(Cluster):
    bug: str = ""

    def _build_node(self, name: str) -> object:
        node = Cluster._build_node(self, name)
        p, lr = node.proposer, node.learner
        if self.bug == "restless" and p is not None:
            fields = {f.name: getattr(p, f.name) for f in dataclasses.fields(Proposer)}
            return type(node)(name, _Restless(**fields), node.acceptor, lr)
        if self.bug == "chatty" and lr is not None:
            return type(node)(name, p, node.acceptor, _Chatty(lr.name, lr.quorums, lr.mutants))
        if self.bug == "lax" and node.acceptor is not None:
            a = node.acceptor
            fields = {f.name: getattr(a, f.name) for f in dataclasses.fields(Acceptor)}
            return type(node)(name, p, _Lax(**fields), lr)
        return node


def buggy(bug: str, config: Config) -> Cluster:
    c = config.cluster()
    return _BuggyCluster(**{f.name: getattr(c, f.name) for f in dataclasses.fields(Cluster)},
                         bug=bug)


def test_the_merge_idle_certificate_catches_a_proposer_that_acts_after_looking_idle() -> None:
    config = cfg(2, 1)
    r = explore(ActorModel(config, cluster=buggy("restless", config)), symmetry=True,
                max_states=20_000)
    assert "merge_idle" in r.reductions_off
    assert "acts again after looking idle" in r.reductions_off["merge_idle"]
    ok = explore(ActorModel(config, cluster=buggy("", config)), symmetry=True)
    assert ok.reductions_off == {} and ok.ok


def test_the_learners_aside_certificate_catches_a_learner_that_sends() -> None:
    config = cfg(1, 1)
    r = explore(ActorModel(config, cluster=buggy("chatty", config)))
    assert "learners_aside" in r.reductions_off
    assert "sent a message" in r.reductions_off["learners_aside"]


@pytest.mark.parametrize("learners, mutants", [(1, ()), (2, ()), (1, ("learn-without-quorum",))])
def test_incremental_learnable_values_equal_the_full_search(learners: int,
                                                            mutants: tuple[str, ...]) -> None:
    """``LearnersAside.values`` extends the learner states reached with an inbox less its
    newest message; on every inbox of every reachable state it must give the values of the
    full breadth-first ``learnable``, nearest first: what the learner already knows, then the
    rest. A correct learner learns at most one value whatever the order, so the mutant that
    learns from the first Accepted is what gives this teeth: there each message delivered
    first is a different outcome, and a closure that started afresh instead of from the
    smaller inbox's states (or let only the newest message be delivered first) misses
    some."""
    model = ActorModel(Config(acceptors=3, proposers=2, learners=learners, max_attempts=1,
                              backoff="none", mutants=mutants), network="set")
    search = _Search(model, False, None, None, False, False)
    search.bfs()
    asider = model.asider
    assert asider is not None
    compared, learnt = 0, 0
    for s in search.parents:
        for i, box in zip(asider.order, asider.inboxes(s), strict=True):
            full = asider.learnable(i, s[3 + i], box)
            fast = asider.values(i, s[3 + i], box)
            assert set(fast) == set(full) and len(fast) == len(set(fast))
            assert fast[0] == next(iter(full))
            compared += 1
            learnt += any(v is not None for v in fast)
    assert compared > 1000 and learnt > 100

def test_node_states_are_immutable_hashable_values() -> None:
    """What replaced freeze/thaw: the core's states are values the checker stores as is."""
    node = cfg(2, 2).cluster().node("p1")
    state = node.init(None)
    after, _ = node.on_start(state)
    assert state == node.init(None) and after != state
    assert len({state, after, node.init(None)}) == 2
    with pytest.raises(AttributeError):
        after.proposer.round = 9  # type: ignore[misc, union-attr]


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
    config = cfg(2, 2).cluster().node("p1").proposer
    assert config is not None
    full = ProposerState(ballot.round, ballot, phase, attempts, tuple(promises.items()),
                         accepts, None)
    bare = full._replace(promises=(), accepts=accepts if phase is Phase.ACCEPTING
                         else frozenset())
    a, b = full, bare
    for event in events:
        if isinstance(event, Timer):
            (a, ea), (b, eb) = config.on_timeout(a, event), config.on_timeout(b, event)
        else:
            (a, ea), (b, eb) = config.on_message(a, event), config.on_message(b, event)
        assert ea == eb
        assert view(NodeState(a, None, None)) == view(NodeState(b, None, None))


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
        proposer = self.local(state[3])[1].proposer  # type: ignore[index]
        return ("no_retry",) if proposer is not None and proposer.attempts >= 2 else ()


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


@pytest.mark.parametrize("bug, network", [
    ("accept-below-promise", "multiset"), ("reuse-ballot", "set"),
    ("learn-without-quorum", "set"), ("ignore-promised-value", "set"), ("lax", "set")])
def test_verdicts_judged_in_parts_are_the_whole_verdict(bug: str, network: str) -> None:
    """``violated`` judges the properties that read only acceptors' states apart from the
    others (each part memoised on what it reads, ``Property.reads``). On every state of a
    planted bug's search, the names it gives, in order, are those of the whole check: every
    property on every outcome of the learners kept aside. (``lax`` breaks the acceptors'
    part: the third acceptor hears an Accept it never promised. The mutants break the
    other.)"""
    config = Config(acceptors=3 if bug == "lax" else 2, proposers=1 if bug == "lax" else 2,
                    learners=1, max_attempts=1, backoff="none",
                    mutants=() if bug == "lax" else (bug,))
    model = ActorModel(config, network=network,
                       cluster=buggy("lax", config) if bug == "lax" else None)
    search = _Search(model, False, 60000, None, False, False)
    search.bfs()
    broken: set[str] = set()
    for s in search.parents:
        whole = tuple(dict.fromkeys(name for learned in model.outcomes(s)
                                    for name in model.found(s, learned)))
        assert model.violated(s) == whole
        broken.update(whole)
    assert broken >= ({"promise_covers_accept"} if bug == "lax" else {"agreement"}
                      if bug != "learn-without-quorum" else {"integrity"})


def test_a_property_reading_acceptors_and_votes_is_judged_whole(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A property that declares both an acceptor's state and the votes fits neither part of
    ``_judge``; it is still checked, with the whole snapshot, not dropped."""
    from paxosbook.check.actors import model as actors_model
    from paxosbook.properties import Property, Violation

    def voted_above_promise(h: object) -> list[Violation]:
        promised = {a: p for _, a, p, _ in h.states}  # type: ignore[attr-defined]
        return [Violation("vote_above_promise", f"{a} voted above its promise", (i,))
                for i, a, b, _ in h.votes if b >= promised.get(a, b)]  # type: ignore[attr-defined]

    mixed = Property("vote_above_promise", "planted: reads states and votes",
                     voted_above_promise, reads=frozenset(("states", "votes")))
    monkeypatch.setattr(actors_model, "PROPERTIES", (*actors_model.PROPERTIES, mixed))
    r = explore(ActorModel(cfg(1, 1)))
    assert [v.invariant for v in r.violations] == ["vote_above_promise"]
