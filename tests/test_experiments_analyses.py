"""Analyses of sweeps: confidence intervals, the four studies, the Flexible Paxos boundary and
the explorer."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from paxosbook import UsageError
from paxosbook.experiments import (
    DECISION,
    DUELING,
    FLEXIBLE,
    MESSAGES,
    boundary_holds,
    decision_vs_loss,
    dueling_proposers,
    explorer,
    flexible_quorums,
    messages_per_decision,
    plot_metric,
    sweep,
    view,
)
from paxosbook.experiments.stats import bootstrap_mean, bootstrap_ratio, wilson


# -- intervals ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("k", "n", "lo", "hi"), [  # Newcombe (1998), table I, 95 %
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_published_intervals(k, n, lo, hi):
    got = wilson(k, n)
    assert got == pytest.approx((lo, hi), abs=1e-4)


def test_wilson_edges():
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0
    assert all(math.isnan(v) for v in wilson(0, 0))
    assert wilson(5, 10, 0.99)[0] < wilson(5, 10, 0.95)[0]


def test_bootstrap_is_seeded_and_covers_the_mean():
    x = np.random.default_rng(3).exponential(2.0, 200)
    mean, lo, hi = bootstrap_mean(x)
    assert (mean, lo, hi) == bootstrap_mean(x)
    assert lo < mean < hi and mean == pytest.approx(x.mean())
    se = x.std(ddof=1) / math.sqrt(len(x))
    assert hi - lo == pytest.approx(2 * 1.96 * se, rel=0.2)
    assert all(math.isnan(v) for v in bootstrap_mean(np.array([np.nan])))
    ratio, rlo, rhi = bootstrap_ratio(np.array([10, 20, 30]), np.array([1, 0, 1]))
    assert ratio == 30 and rlo <= ratio <= rhi


# -- the studies ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def flexible() -> pd.DataFrame:
    return FLEXIBLE.sweep(30, progress=False)


def test_flexible_paxos_boundary(flexible):
    """Violations for some Q1 + Q2 <= N, never for Q1 + Q2 > N (Howard et al. 2016)."""
    table, figure = flexible_quorums(flexible)
    assert len(table) == 25 and table["runs"].eq(30).all()
    assert table["intersect"].tolist() == [q1 + q2 > 5 for q1, q2 in
                                           zip(table["q1"], table["q2"], strict=True)]
    assert table.loc[table["intersect"], "violated"].eq(0).all()
    assert table.loc[~table["intersect"], "violated"].gt(0).any()
    assert table.loc[(table.q1 == 1) & (table.q2 == 1), "violated_rate"].item() > 0.3
    assert boundary_holds(table)
    assert isinstance(figure, go.Figure) and len(figure.data) == 6
    rates = figure.data[0].z
    assert np.nanmax(rates) == table["violated_rate"].max()


def test_the_boundary_check_catches_a_protocol_bug():
    """With a planted bug (proposers ignore the values reported in promises), intersecting
    quorums no longer protect safety, and the same sweep says so."""
    buggy = sweep({"acceptors": [3], "q1": [2, 3], "q2": [2, 3]}, 30,
                  base=FLEXIBLE.base | {"mutants": ("ignore-promised-value",)},
                  executor="local", progress=False)
    table = flexible_quorums(buggy).table
    assert table["intersect"].all()
    assert not boundary_holds(table)
    assert table["violated"].sum() > 0


def test_decision_vs_loss():
    results = sweep({"drop": [0.0, 0.4], "acceptors": [3, 5]}, 20, base=DECISION.base,
                    executor="local", progress=False)
    table, figure = decision_vs_loss(results, deadline=10)
    assert list(table[["acceptors", "drop"]].itertuples(index=False, name=None)) == [
        (3, 0.0), (3, 0.4), (5, 0.0), (5, 0.4)]
    assert table.loc[table["drop"] == 0.0, "decided_rate"].eq(1.0).all()
    assert (table["decided_lo"] <= table["decided_rate"]).all()
    assert (table["decided_rate"] <= table["decided_hi"]).all()
    lossy = table[table["drop"] == 0.4]
    assert (lossy["decided_rate"] < 1).all() and (lossy["time"] > 4).all()
    by_deadline = results["decided"] & (results["time_to_decision"] <= 10)
    assert table["decided"].sum() == by_deadline.sum()
    assert len(figure.data) == 4


def test_messages_per_decision():
    results = MESSAGES.sweep(10, executor="local", progress=False)
    table, figure = messages_per_decision(results)
    one = table[(table.proposers == 1) & (table.duplicate == 0.0)]
    assert one["per_decision"].item() == 30.0  # 5 each of Prepare, Promise, Accept; 15 Accepted
    rising = table.groupby("duplicate")["per_decision"].apply(lambda s: s.is_monotonic_increasing)
    assert rising.all()
    assert len(figure.data) == 3


def test_dueling_proposers():
    results = DUELING.sweep(15, executor="local", progress=False)
    table, figure = dueling_proposers(results, deadline=20)
    assert table["backoff"].tolist()[::4] == ["none", "fixed", "exponential"]
    none = table[table.backoff == "none"].set_index("proposers")
    assert none.loc[5, "ballots"] > none.loc[2, "ballots"]
    assert none.loc[5, "undecided"] > 0  # no backoff: five proposers duel past T
    assert len(figure.data) == 6


def test_an_analysis_refuses_rows_that_vary_what_it_does_not_study():
    results = sweep({"drop": [0.0], "acceptors": [3], "proposers": [1, 2]}, 2,
                    executor="local", progress=False)
    with pytest.raises(UsageError, match=r"one value of 'proposers'"):
        decision_vs_loss(results)
    with pytest.raises(UsageError, match=r"columns \['duplicate', 'proposers'"):
        messages_per_decision(results.drop(columns="drop"))


# -- explorer ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    return sweep({"drop": [0.0, 0.2], "acceptors": [3, 5]}, 8, executor="local",
                 progress=False)


def test_plot_metric_rates_and_means(small):
    rate = plot_metric(small, "drop", "decided", "acceptors")
    assert {"decided_rate", "decided_lo", "decided_hi"} <= set(rate.table.columns)
    mean = plot_metric(small, "acceptors", "messages_sent")
    assert list(mean.table["acceptors"]) == [3, 5] and len(mean.figure.data) == 1
    assert "averaged over drop" in mean.figure.layout.title.text


@pytest.mark.parametrize(("args", "match"), [
    (("seed", "decided"), r"x: must be a parameter of this sweep: drop, acceptors"),
    (("drop", "drop"), r"metric: must be a metric of this sweep"),
    (("drop", "decided", "drop"), r"color: must be another parameter .*: acceptors"),
])
def test_plot_metric_bad_choices(small, args, match):
    with pytest.raises(UsageError, match=match):
        plot_metric(small, *args)


def test_the_explorer_shows_a_figure_or_says_what_is_wrong(small):
    assert isinstance(view(small, "drop", "decided", "acceptors"), go.Figure)
    assert view(small, "drop", "decided", "drop") == (
        "'drop' is already on the x axis: choose another colour parameter, or (none).")
    assert view(small, "drop", "nope", None).startswith("metric: must be a metric")


def test_explorer_redraws_on_every_choice(small, capsys):
    pytest.importorskip("ipywidgets")
    panel = explorer(small)
    x, metric, color = panel.children[0].children
    assert (x.value, metric.value, color.value) == ("drop", "decided", "acceptors")
    assert list(metric.options) == ["decided", "time_to_decision", "ballots", "messages_sent",
                                    "messages_delivered", "messages_dropped",
                                    "messages_duplicated", "violations", "unsafe"]
    capsys.readouterr()
    color.value = "drop"  # outside a kernel the Output widget lets the text through
    assert "already on the x axis" in capsys.readouterr().out
    color.value = "(none)"
    assert "already on the x axis" not in capsys.readouterr().out
