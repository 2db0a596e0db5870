"""Notebook 02's claim, pinned: a timer and a message due at the same instant, the timer wins.

With constant delays of 1, Promises reach the proposer at t = 2, exactly when a timeout of 2
set at t = 0 expires; events due together run in scheduling order, and the timer was scheduled
first. So timeout 2 never decides (each new ballot meets the same tie), 2.01 decides at t = 4.
"""

from __future__ import annotations

import paxosbook as pb


def test_the_timer_wins_a_tie_with_a_message() -> None:
    tie = pb.simulate(pb.Config(delay="constant", delay_mean=1, timeout=2))
    assert not tie.summary().decided and tie.summary().ballots > 1
    at_two = [(r[1], type(r[4]).__name__) for r in tie.records if r[0] == 2.0]
    timer = at_two.index(("timer", "NoneType"))
    promise = at_two.index(("deliver", "Promise"))
    assert timer < promise  # the timer fires, then the Promise of the abandoned ballot arrives


def test_a_hair_more_and_the_first_ballot_decides() -> None:
    s = pb.simulate(pb.Config(delay="constant", delay_mean=1, timeout=2.01)).summary()
    assert s.decided and s.ballots == 1 and s.time_to_decision == 4.0
