"""The exact shortest counterexample of every planted bug, in both models.

Regression pins: these action lists are what this checker found (breadth-first, so their
lengths are the shortest possible in the model; which of several shortest paths is reported
depends on the engine's fixed successor order). A change in the core's rules, the model's
reductions or the engine's order shows up here first, and a reader can replay each list by
hand against "Paxos Made Simple". Both networks must give the same path: a counterexample
never needs duplication, so the set network (which allows it) and the multiset network (which
does not) agree.
"""

from __future__ import annotations

import pytest

from paxosbook.check import check
from paxosbook.check.engine import explore
from paxosbook.check.scenarios import scenario

P1A = [f"deliver Prepare(p1->a{i}, 1.1)" for i in (1, 2)]
ACTORS = {
    "ignore-promised-value": ("chosen_is_stable", [
        *P1A, "deliver Prepare(p2->a1, 1.2)", "deliver Promise(a1->p1, 1.1)",
        "deliver Promise(a2->p1, 1.1)", "deliver Promise(a1->p2, 1.2)",
        "deliver Accept(p1->a2, 1.1, add)", "deliver Prepare(p2->a2, 1.2)",
        "deliver Accept(p1->a3, 1.1, add)", "deliver Promise(a2->p2, 1.2, accepted 1.1:add)",
        "deliver Accept(p2->a1, 1.2, jmp)"]),
    "forget-promise-on-restart": ("chosen_is_stable", [
        *P1A, "deliver Prepare(p2->a1, 1.2)", "deliver Prepare(p2->a2, 1.2)",
        "deliver Promise(a1->p1, 1.1)", "deliver Promise(a2->p1, 1.1)",
        "deliver Promise(a1->p2, 1.2)", "deliver Promise(a2->p2, 1.2)",
        "deliver Accept(p1->a3, 1.1, add)", "deliver Accept(p2->a1, 1.2, jmp)", "restart a1",
        "deliver Accept(p1->a1, 1.1, add)"]),
    "accept-below-promise": ("chosen_is_stable", [
        *P1A, "deliver Prepare(p2->a1, 1.2)", "deliver Prepare(p2->a2, 1.2)",
        "deliver Promise(a1->p1, 1.1)", "deliver Promise(a2->p1, 1.1)",
        "deliver Promise(a1->p2, 1.2)", "deliver Promise(a2->p2, 1.2)",
        "deliver Accept(p1->a1, 1.1, add)", "deliver Accept(p1->a2, 1.1, add)",
        "deliver Accept(p2->a1, 1.2, jmp)"]),
    "learn-without-quorum": ("integrity", [
        *P1A, "deliver Promise(a1->p1, 1.1)", "deliver Promise(a2->p1, 1.1)",
        "deliver Accept(p1->a1, 1.1, add)", "deliver Accepted(a1->l1, 1.1, add)"]),
    "reuse-ballot": ("one_value_per_ballot", [
        *P1A, "deliver Prepare(p2->a1, 1.1)", "deliver Promise(a1->p1, 1.1)",
        "deliver Promise(a1->p2, 1.1)", "deliver Prepare(p2->a2, 1.1)",
        "deliver Promise(a2->p1, 1.1)", "deliver Promise(a2->p2, 1.1)"]),
    "non-intersecting-quorums": ("chosen_is_stable", [
        "deliver Prepare(p1->a1, 1.1)", "deliver Prepare(p2->a1, 1.2)",
        "deliver Promise(a1->p1, 1.1)", "deliver Accept(p1->a2, 1.1, add)",
        "deliver Accept(p1->a3, 1.1, add)", "deliver Promise(a1->p2, 1.2)",
        "deliver Accept(p2->a1, 1.2, jmp)"]),
}


@pytest.mark.parametrize("network", ["set", "multiset"])
@pytest.mark.parametrize("name", list(ACTORS))
def test_actors_shortest_counterexample_is_pinned(name: str, network: str) -> None:
    invariant, actions = ACTORS[name]
    r = explore(scenario(name).model(network=network))
    cex = r.violations[0]
    assert (cex.invariant, [str(a) for a in cex.actions]) == (invariant, actions)
    assert invariant in {v.property for v in cex.run.violations}  # the trace agrees


def test_tla_shortest_counterexample_is_pinned() -> None:
    """The tla model plants one bug, non-intersecting quorums (Q1=1, Q2=2 of N=3): a1 alone
    is a phase-1 quorum for ballot 1, so v1 is proposed and voted for in ballot 1 while a2 and
    a3, a phase-2 quorum that promised nothing, can still choose another value in ballot 0:
    VotesSafe fails at that first vote."""
    r = check("tla", acceptors=3, values=2, max_ballot=1, mutant="non-intersecting-quorums")
    cex = r.violations[0]
    assert (cex.invariant, [str(a) for a in cex.actions]) == (
        "votes_safe", ["Phase1a(1)", "Phase1b(a1, 1)", "Phase2a(1, v1)", "Phase2b(a1, 1, v1)"])
