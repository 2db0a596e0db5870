"""The ``tla`` model: Lamport's Paxos.tla, checked against TLC's published figures."""

from __future__ import annotations

import pytest

from paxosbook import UsageError
from paxosbook.check.engine import explore
from paxosbook.check.tla import INVARIANTS, TlaModel, spec


def reachable(model: TlaModel) -> list[int]:
    seen, frontier = set(model.initial_states()), list(model.initial_states())
    while frontier:
        nxt = []
        for s in frontier:
            for t in model.successors(s)[1]:
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    return sorted(seen)


# -- TLC's figures (tlaplus/Examples, specifications/Paxos: MCPaxos and its 3-acceptor model) --
def test_one_acceptor_matches_tlc() -> None:
    """Independent reference: TLC's counts for MCPaxos with one acceptor (tlaplus/Examples)."""
    r = explore(TlaModel(1, 1, 1, quorums=[{"a1"}]))
    assert (r.distinct_states, r.total_states, r.depth) == (25, 82, 9)
    assert r.ok and r.complete


def test_three_acceptors_two_values_matches_tlc() -> None:
    """Independent reference: TLC's published counts for MCPaxos's 3-acceptor model."""
    r = explore(TlaModel(3, 2, 1))
    assert (r.distinct_states, r.total_states, r.depth) == (3921, 23563, 17)
    assert r.ok and r.complete


def test_three_values_with_symmetry_recovers_tlcs_counts() -> None:
    """Independent reference: TLC 2.15, one worker, on benchmarks/tla/MCPaxos3v (3 acceptors,
    3 values, majority quorums, ballots 0..2, invariants only), measured on this project's
    machine: 362,361 distinct states, 2,697,682 generated, depth 25. The symmetric search
    visits about a twentieth of them and recovers the raw figures from the orbit sizes."""
    r = explore(TlaModel(3, 3, 2), symmetry=True)
    assert (r.raw_distinct_states, r.raw_total_states, r.depth) == (362361, 2697682, 25)
    assert r.distinct_states < 362361 / 20
    assert r.ok and r.complete


def test_four_acceptors_with_symmetry_recovers_tlcs_counts() -> None:
    """Independent reference: TLC 2.15, one worker, on benchmarks/tla/MCPaxos4a (4 acceptors,
    any 3 a quorum, 2 values, ballots 0..2, invariants only), measured on this project's
    machine (42 minutes there, under load): 2,135,473 distinct states, 17,496,164 generated,
    depth 31; this checker's plain search finds the same (about 40 s of CPU and 300 MB, too
    slow for the suite; ``bench_check.py --larger`` repeats it). The symmetric search (48
    renamings) recovers them; its own count of 57,436 representatives is a regression pin."""
    r = explore(TlaModel(4, 2, 2), symmetry=True)
    assert (r.raw_distinct_states, r.raw_total_states, r.depth) == (2135473, 17496164, 31)
    assert r.distinct_states == 57436 and r.ok and r.complete


def test_depth_first_visits_the_same_states() -> None:
    """Independent reference: TLC's counts (the depth of a depth-first search differs)."""
    r = explore(TlaModel(3, 2, 1), order="dfs")
    assert (r.distinct_states, r.total_states) == (3921, 23563)


# -- the packed fast path is the transcription ------------------------------------------------
@pytest.mark.parametrize("args", [(1, 1, 1), (2, 2, 1), (3, 1, 1), (3, 2, 1)])
def test_fast_successors_agree_with_the_transcription(args: tuple[int, int, int]) -> None:
    model = TlaModel(*args, quorums=[{"a1"}] if args[0] == 1 else None)
    for s in reachable(model):
        count, fast = model.successors(s)
        literal = model.actions(s)
        assert count == len(literal)
        assert set(fast) | {s} >= {t for _, t in literal} >= set(fast)


def test_encoding_round_trips() -> None:
    model = TlaModel(3, 2, 1)
    for s in reachable(model)[::37]:
        assert model.encode(model.decode(s)) == s


# -- symmetry ---------------------------------------------------------------------------------
def test_symmetry_reduces_and_recovers_tlc_counts() -> None:
    """The raw counts are TLC's published ones (an independent reference); the reduced count
    is only bounded, not pinned."""
    r = explore(TlaModel(3, 2, 1), symmetry=True)
    assert r.distinct_states < 3921 / 6
    assert (r.raw_distinct_states, r.raw_total_states, r.depth) == (3921, 23563, 17)


def test_symmetry_respects_lopsided_quorums() -> None:
    qs = [{"a1", "a2"}, {"a1", "a3"}]  # a1 is special: only a2 <-> a3 may be swapped
    model = TlaModel(3, 2, 1, quorums=qs)
    assert len(model.acceptor_symmetries()) == 2
    plain, reduced = explore(TlaModel(3, 2, 1, quorums=qs)), explore(model, symmetry=True)
    assert reduced.raw_distinct_states == plain.distinct_states


# -- invariants can fail ----------------------------------------------------------------------
def test_non_intersecting_quorums_break_agreement_with_a_short_trace() -> None:
    r = explore(TlaModel(3, 2, 1, quorums=[{"a1"}, {"a2", "a3"}]))
    (cex,) = r.violations
    assert "agreement" in cex.invariants or "votes_safe" in cex.invariants
    assert len(cex.actions) <= 10
    assert str(cex.actions[0]) == "Phase1a(0)" or str(cex.actions[0]) == "Phase1a(1)"


@pytest.mark.parametrize("q1, q2, safe", [(1, 3, True), (2, 2, True), (3, 1, True),
                                          (1, 2, False), (2, 1, False), (1, 1, False)])
def test_flexible_quorums_are_safe_exactly_when_they_intersect(q1: int, q2: int,
                                                               safe: bool) -> None:
    model = TlaModel.flexible(3, q1, q2, values=2, max_ballot=1, invariants=["agreement"])
    assert model.intersects() is safe
    assert explore(model).ok is safe


def test_a_planted_bug_in_the_spec_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Phase2b without its guard m.bal >= maxBal[a] (the acceptor breaks its promise)."""
    def reckless(s: spec.TlaState, a: int) -> list:  # type: ignore[type-arg]
        out = []
        for m in s.msgs:
            if m[0] == "2a":  # the spec adds: /\ m.bal >= maxBal[a]
                b, v = m[1], m[2]
                out.append((spec.Action("Phase2b", (a, b, v)), spec.TlaState(
                    spec._set(s.maxBal, a, b), spec._set(s.maxVBal, a, b),
                    spec._set(s.maxVal, a, v), s.msgs | {("2b", a, b, v)})))
        return out

    monkeypatch.setattr(spec, "phase2b", reckless)
    r = explore(TlaModel(3, 2, 1, invariants=["promise_covers_accept", "agreement",
                                              "promise_is_kept", "votes_safe"]))
    assert r.violations, "the invariants must catch an acceptor that breaks its promise"


def test_every_invariant_is_named_and_checked() -> None:
    model = TlaModel(2, 2, 1)
    assert [i.name for i in model.invariants] == list(INVARIANTS)
    bad = model.encode(spec.TlaState((0, -1), (1, -1), (0, None), frozenset()))
    assert {"promise_covers_accept", "vote_is_recorded"} <= set(model.violated(bad))


# -- traces -----------------------------------------------------------------------------------
def test_counterexample_is_a_run_the_views_can_draw() -> None:
    r = explore(TlaModel(3, 2, 1, quorums=[{"a1"}, {"a2"}, {"a3"}], invariants=["agreement"]))
    run = r.violations[0].run
    df = run.trace
    assert {"send", "deliver", "promise", "accept"} <= set(df["event"].astype(str))
    assert set(df["node"]) <= {"p1", "a1", "a2", "a3"}
    assert "agreement" in {v.property for v in run.violations}
    assert run.config.is_unsafe


# -- parameters -------------------------------------------------------------------------------
@pytest.mark.parametrize("kw, field", [({"acceptors": 0}, "acceptors"),
                                       ({"values": 9}, "values"),
                                       ({"max_ballot": -1}, "max_ballot"),
                                       ({"quorums": [{"a1", "a7"}]}, "quorums"),
                                       ({"quorums": []}, "quorums"),
                                       ({"invariants": ["liveness"]}, "invariants")])
def test_bad_parameters_name_the_field(kw: dict[str, object], field: str) -> None:
    with pytest.raises(UsageError, match=field):
        TlaModel(**kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("args", [(2, 2, 1), (3, 2, 1)])
def test_memoised_invariants_agree_with_the_transcription(args: tuple[int, int, int]) -> None:
    """``violated`` memoises per acceptor and over slices; on reachable states and on random
    bit patterns (most of them far from reachable, so every invariant fails somewhere) it
    names exactly the invariants whose ``spec`` predicate is false on the decoded state."""
    import random

    model = TlaModel(*args)
    q1, q2 = model.quorums1, model.quorums2
    preds = {"one_value_per_ballot": spec.one_value_per_ballot,
             "agreement": lambda s: spec.agreement(s, q2),
             "promise_covers_accept": spec.promise_covers_accept,
             "vote_is_recorded": spec.vote_is_recorded,
             "promise_is_kept": spec.promise_is_kept,
             "accept_is_safe": lambda s: spec.accept_is_safe(s, q1),
             "votes_safe": lambda s: spec.votes_safe(s, q2)}
    rng = random.Random(13)
    randoms = []
    for _ in range(3000):
        x = rng.getrandbits(len(model.msgs)) & rng.getrandbits(len(model.msgs))
        x <<= model.accbits
        for a in range(model.n):
            x |= rng.randrange(model.K) << (a * model.abits)
        randoms.append(x)
    failing = 0
    for x in reachable(model) + randoms:
        s = model.decode(x)
        expected = tuple(name for name in INVARIANTS if not preds[name](s))
        assert model.violated(x) == expected
        failing += bool(expected)
    assert failing > 1000  # the random states do exercise the failing paths


@pytest.mark.parametrize("args", [(3, 2, 1), (2, 3, 1), (4, 2, 1)])
def test_sorted_representatives_are_canonical(args: tuple[int, int, int]) -> None:
    """``SortedSymmetry`` (majorities: every acceptor renaming allowed) against the whole
    group: each representative lies in its state's orbit, all members of an orbit get the
    same one, and the orbit sizes agree. The reachable set is closed under the group, so it
    holds every orbit whole."""
    model = TlaModel(*args)
    states = reachable(model) if args != (4, 2, 1) else reachable(model)[::7]
    reps: dict[int, int] = {}
    for x in states:
        rep, orbit = model.canonical(x)
        least, size = model.least_image(x)
        assert (model.least_image(rep), orbit) == ((least, size), size)
        assert reps.setdefault(least, rep) == rep


@pytest.mark.parametrize("args", [(3, 3, 1), (4, 2, 1)])
def test_symmetry_recovers_the_plain_counts(args: tuple[int, int, int]) -> None:
    plain, sym = explore(TlaModel(*args)), explore(TlaModel(*args), symmetry=True)
    assert sym.distinct_states < plain.distinct_states
    assert (sym.raw_distinct_states, sym.raw_total_states, sym.depth) == (
        plain.distinct_states, plain.total_states, plain.depth)
