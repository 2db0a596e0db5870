"""The dueling-proposers chain: exact numbers, checked against the simulator (issue 13).

The chain (``experiments.duelchain``) is a model written from the protocol's timing; the
simulator runs the real proposer, acceptor and learner code. Agreement between the two is
therefore an independent check of both, and a change to either the protocol's timing or the
backoff rule breaks it.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest

import paxosbook as pb
from paxosbook.cli import main
from paxosbook.core import UsageError
from paxosbook.experiments.duelchain import distribution
from paxosbook.experiments.dueling import (
    SHOWN,
    ballots_to_decision,
    compare,
    exact_ballots,
    sampled_ballots,
    settings,
)
from paxosbook.experiments.stats import bootstrap_mean

TOL = Fraction(1, 10**12)


@pytest.mark.parametrize("proposers, window, offset", [
    (1, 1, 1), (2, 4, 1), (3, 2, 1), (3, 16, 1), (4, 2, 1), (4, 4, 2), (3, 2, 0)])
def test_the_chain_loses_no_mass(proposers: int, window: int, offset: int) -> None:
    """Decided mass plus the reported undecided tail is exactly one (every transition's
    probabilities sum to one), and the tail is below the tolerance asked for."""
    result = distribution(proposers, window, offset, tol=TOL, max_slots=1000)
    assert sum(result.probabilities.values()) + result.tail == 1
    assert result.tail <= TOL


def test_three_proposers_window_two_by_hand() -> None:
    """Slots are round trips; p1, p2, p3 start at 0, 1, 2; W = 2 then 4.

    Slot 1: p2's Prepare (1,2) reaches the acceptors before p1's Accept (1,1), which is refused.
    Slot 2: p3's Prepare (1,3) pre-empts p2's Accept (1,2). p1 (refused at 2) draws k in {0, 1}.
    * k = 0 (1/2): its Prepare (2,1) arrives after p2's Accept and above (1,3); its Accept at
      slot 3 is accepted. Ballots started by slot 2: (1,1) (1,2) (1,3) (2,1): n = 4.
    * k = 1 (1/2): at slot 3 its Prepare (2,1) comes before p3's Accept (1,3): p3 refused.
      p2 (refused at 3) draws k in {0, 1}:
      - k = 0 (1/4): (2,2) arrives after p1's Prepare and wins; n = 5 (slots 0..3).
      - k = 1 (1/4): (2,2) at slot 4 pre-empts p1's Accept (2,1); p3 (refused at 4) draws:
        k = 0 (1/8): (3,3) at slot 4 wins, n = 6; k = 1 (1/8): (3,3) at slot 5 pre-empts p2
        and wins, n = 6 unless p1 (refused at 5, now W = 4) drew k = 0 (1/4 of it: 1/32), whose
        (3,1) is refused but started in slot 5 too: n = 7.
    So P = 1/2, 1/4, 1/8 + 3/32 = 7/32, 1/32 for n = 4, 5, 6, 7, mean 153/32."""
    table = exact_ballots(3, 2)
    assert dict(zip(table["ballots"], table["exact"], strict=True)) == {
        4: "1/2", 5: "1/4", 6: "7/32", 7: "1/32"}
    assert table.attrs["exact_mean"] == "153/32" and table.attrs["tail"] == 0


@pytest.mark.parametrize("window", [1, 2, 4, 64])
def test_two_proposers_never_duel(window: int) -> None:
    """The pre-empted proposer hears of it when its Accept is refused, one round trip after
    its rival's Prepare arrived: just when the rival's Accepts leave. Its new Prepare can at
    best arrive with them, and comes after them, so the second ballot decides."""
    table = exact_ballots(2, window)
    assert table["exact"].tolist() == ["1"] and table["ballots"].tolist() == [2]


@pytest.mark.parametrize("proposers", [2, 3, 4])
def test_simultaneous_starts_decide_the_highest_ballot_at_once(proposers: int) -> None:
    """offset 0: every acceptor promises each Prepare in turn, and only the last one's
    Accept is at least the promise."""
    table = exact_ballots(proposers, 4, offset=0)
    assert table["exact"].tolist() == ["1"] and table["ballots"].tolist() == [proposers]
    run = pb.simulate(settings(proposers, 4, offset=0), seed=7)
    assert ballots_to_decision(run) == proposers


@pytest.fixture(scope="module")
def comparison():  # type: ignore[no-untyped-def]
    return compare(proposers=(2, 3, 4), windows=(2, 4), seeds=400)


def test_the_exact_mean_lies_in_the_sampled_interval(comparison) -> None:  # type: ignore[no-untyped-def]
    """The issue's claim: for 2, 3 (and 4) proposers and two windows, the chain's mean is
    inside the 95% bootstrap interval of 400 seeded runs of the real protocol."""
    table = comparison.table
    assert len(table) == 6 and (table["runs"] == 400).all() and (table["undecided"] == 0).all()
    assert table["inside"].all(), table
    assert (table["tail"] < 1e-12).all()


def test_each_probability_lies_in_its_wilson_interval(comparison) -> None:  # type: ignore[no-untyped-def]
    """Per n, the exact P(n) is inside the sampled rate's 95% Wilson interval, and the
    sample has no n the chain gives probability 0 (the supports agree)."""
    probs = comparison.probabilities
    assert probs["inside"].all(), probs[~probs["inside"]]
    assert not ((probs["exact"] == 0) & (probs["runs"] > 0)).any()
    for (_, _), part in probs.groupby(["proposers", "window"]):
        assert part["runs"].sum() == 400


def test_the_figure_draws_bars_and_the_chain_per_panel(comparison) -> None:  # type: ignore[no-untyped-def]
    fig = comparison.figure
    assert [t.type for t in fig.data] == ["bar", "scatter"] * 6
    assert [t.showlegend for t in fig.data].count(True) == 2  # one legend entry each
    titles = [a.text for a in fig.layout.annotations]
    assert titles == [f"{p} proposers, window {w}" for p in (2, 3, 4) for w in (2, 4)]
    assert all(t.error_y.array is not None for t in fig.data if t.type == "bar")
    assert fig.layout.legend.y < 0 and fig.layout.margin.b >= 100  # under the x axis title
    probs = comparison.probabilities
    shown = probs[(probs["exact"] >= SHOWN) | (probs["runs"] > 0)]
    assert sum(len(t.x) for t in fig.data if t.type == "bar") == len(shown) < len(probs)


def test_continuous_backoff_does_not_fit_the_chain() -> None:
    """The check can fail: with the continuous exponential backoff (same base, same runs
    otherwise) the simulator no longer follows the discrete chain."""
    exact = exact_ballots(3, 2).attrs["mean"]
    runs = [pb.simulate(settings(3, 2).replace(backoff="exponential"), seed)
            for seed in range(200)]
    mean, lo, hi = bootstrap_mean([ballots_to_decision(r) for r in runs])
    assert not lo <= exact <= hi, (exact, mean, lo, hi)


def test_the_discrete_backoff_is_seeded() -> None:
    """Same config and seed, same trace; the seed changes the waits drawn."""
    cfg = settings(4, 4)
    assert pb.simulate(cfg, 3).trace_digest() == pb.simulate(cfg, 3).trace_digest()
    assert len({pb.simulate(cfg, s).trace_digest() for s in range(6)}) > 1


def test_sampled_rows_are_the_same_on_a_process_pool() -> None:
    """The metric is picklable and a run depends on config and seed alone."""
    local = sampled_ballots(3, [2, 4], 12)
    pool = sampled_ballots(3, [2, 4], 12, executor="process", workers=2)
    assert local.equals(pool)
    assert set(local.columns) >= {"proposers", "backoff_window", "seed", "ballots_to_decision"}


def test_an_undecided_run_has_no_count() -> None:
    run = pb.simulate(settings(3, 2).replace(max_time=1.0), 0)
    assert math.isnan(ballots_to_decision(run))


@pytest.mark.parametrize("call, field", [
    (lambda: exact_ballots(5, 2), "proposers"),
    (lambda: exact_ballots(0, 2), "proposers"),
    (lambda: exact_ballots(3, 0), "window"),
    (lambda: exact_ballots(3, 2.5), "window"),
    (lambda: exact_ballots(3, 2, offset=-1), "offset"),
    (lambda: exact_ballots(3, 2, tol=0.0), "tol"),
    (lambda: settings(3, 2, offset=True), "offset"),
    (lambda: sampled_ballots([], 2, 4), "proposers/windows"),
    (lambda: sampled_ballots(3, [2, 0], 4), "window"),
    (lambda: compare((3,), (2,), 4, level=1.0), "level"),
    (lambda: pb.Config(backoff="discrete", backoff_window=0), "backoff_window"),
])
def test_bad_input_names_the_field(call, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError) as err:
        call()
    assert err.value.field == field
    assert "\n" not in str(err.value)


def test_the_cli_runs_the_discrete_backoff(capsys) -> None:  # type: ignore[no-untyped-def]
    """``--backoff discrete:BASE:WINDOW`` is the config's discrete backoff: same run."""
    argv = ["run", "--proposers", "3", "--delay", "const:0.5", "--backoff", "discrete:1:2",
            "--start-offset", "1", "--seed", "5", "--json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    summary = pb.simulate(settings(3, 2), 5).summary()
    assert (doc["ballots"], doc["time_to_decision"]) == (summary.ballots,
                                                        summary.time_to_decision)
    assert summary.ballots != pb.simulate(settings(3, 1), 5).summary().ballots  # window used
