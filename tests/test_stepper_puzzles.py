"""The puzzles of notebook 06: each check says no at the start and on a wrong path, and yes
after its "show me" answer; the answers are checked against the properties' own verdicts."""

from __future__ import annotations

import pytest

from paxosbook import UsageError, simulate
from paxosbook.check import check_run
from paxosbook.stepper import Stepper
from paxosbook.stepper import puzzles as P


def test_fewest_messages() -> None:
    s = Stepper(P.FEWEST)
    assert not P.check_fewest(s).ok
    P.fewest_messages(s)
    verdict = P.check_fewest(s)
    assert verdict.ok and str(verdict).startswith("✓ 'add' chosen with 6 deliveries")
    assert P.fewest_possible() == 6  # 2 Prepares, 2 Promises, 2 Accepts of 3 acceptors
    wasteful = Stepper(P.FEWEST)
    wasteful.step("s:p1")
    for _ in range(30):  # deliver everything in order: a value is chosen, with more
        if P.chosen(wasteful):
            break
        wasteful.step(wasteful.candidates[0])
    verdict = P.check_fewest(wasteful)
    assert not verdict.ok and "it can be done with 6" in str(verdict)


def test_duel() -> None:
    s = Stepper(P.DUEL)
    assert not P.check_duel(s).ok
    P.duel(s)
    assert P.check_duel(s).ok and min(P.ballots(s).values()) >= P.DUEL_BALLOTS
    assert not check_run(s.run) and not P.chosen(s)
    cheat = Stepper.replay(P.DUEL, "s:p1 x0")
    assert "only deliveries and timeouts" in str(P.check_duel(cheat))


def test_two_values() -> None:
    s = Stepper(P.BUG)
    assert not P.check_two_values(s).ok
    found = P.two_values(s)
    assert found.found and P.check_two_values(s).ok
    assert "agreement" in {v.property for v in check_run(s.run)}
    assert len(set(P.chosen(s).values())) == 2


def test_promise_survives() -> None:
    s = Stepper(P.CRASH_CONFIG)
    assert not P.check_promise_survives(s).ok
    P.promise_survives(s)
    verdict = P.check_promise_survives(s)
    assert verdict.ok and "Nack(1.1, promised 1.2)" in str(verdict)
    no_crash = Stepper.replay(P.CRASH_CONFIG, "s:p2 d0")
    assert not P.check_promise_survives(no_crash).ok


def test_late_proposer() -> None:
    run = simulate(P.PARTITION, seed=0)
    s = Stepper.from_run(run, time=P.HEAL)
    assert P.chosen(s) and not P.check_late_proposer(s).ok  # p2's side chose before the heal
    before = set(P.chosen(s).values())
    P.late_proposer(s)
    verdict = P.check_late_proposer(s)
    assert verdict.ok and set(P.chosen(s).values()) == before  # p1 carries the chosen value
    assert not P.check_late_proposer(Stepper(P.PARTITION)).ok  # not taken over


def test_a_stepper_of_another_puzzle() -> None:
    with pytest.raises(UsageError, match=r"^stepper:"):
        P.check_fewest(Stepper(P.DUEL))
