"""Figures that stay readable: where a time axis opens, labels kept apart, one theme.

The runs are concrete ones from the notebooks. Numbers read off a figure (the x range it
opens on) are checked against the run's own summary (decision time, last event), not
against a figure this code drew before.
"""

from __future__ import annotations

import pandas as pd
import pytest

import paxosbook as pb
from paxosbook.experiments import decision_vs_loss, sweep
from paxosbook.experiments.explore import plot_metric
from paxosbook.replication import STRATEGIES, LogConfig, run_log
from paxosbook.views import (
    ballot_timeline,
    narrate,
    network_graph,
    replica_log,
    safety_verdict,
    sequence_diagram,
    style,
)
from paxosbook.widgets.checker import QuorumPanel
from paxosbook.widgets.explorer import DEFAULT_CONFIG

# notebook 02, first explorer: Explorer(acceptors=5, proposers=2), then drop=0.4, seed 3
LONG_TAIL = DEFAULT_CONFIG.replace(acceptors=5, proposers=2, drop=0.4)
SPLIT = DEFAULT_CONFIG.replace(acceptors=5, proposers=2, partitions=[
    pb.Partition((("p1", "a1", "a2"), ("p2", "a3", "a4", "a5")), start=0, end=10)])


@pytest.fixture(scope="module")
def long_tail() -> pb.Run:
    return pb.simulate(LONG_TAIL, seed=3)


def _buttons(fig: object) -> dict[str, list[float]]:
    menus = fig.layout.updatemenus  # type: ignore[attr-defined]
    return {b.label: list(b.args[0]["xaxis.range"]) for m in menus for b in m.buttons}


# -- where a time axis opens ----------------------------------------------------------------
@pytest.mark.parametrize("draw", [sequence_diagram, ballot_timeline])
def test_a_long_tail_opens_on_the_decision(long_tail: pb.Run, draw: object) -> None:
    decided = long_tail.summary().time_to_decision
    last = float(long_tail.trace["time"].iloc[-1])
    assert decided is not None and last > 100 * decided  # the tail this is about
    fig = draw(long_tail)  # type: ignore[operator]
    lo, hi = fig.layout.xaxis.range
    assert lo == 0 and decided < hi < 1.5 * decided
    buttons = _buttons(fig)
    assert buttons["decision"] == [lo, hi]
    assert buttons["whole run"][0] == 0 and buttons["whole run"][1] >= last


def test_a_run_that_never_decides_shows_all_of_it() -> None:
    stuck = pb.simulate(pb.Config(acceptors=3, proposers=1, max_time=60,
                                  crashes=[pb.Crash("a1", 0.5), pb.Crash("a2", 0.5)]), seed=0)
    assert not stuck.summary().decided
    fig = sequence_diagram(stuck)
    assert fig.layout.xaxis.range[1] >= float(stuck.trace["time"].iloc[-1])
    assert not fig.layout.updatemenus


def test_a_run_that_ends_soon_after_deciding_shows_all_of_it() -> None:
    run = pb.simulate(DEFAULT_CONFIG, seed=0)
    fig = sequence_diagram(run)
    assert fig.layout.xaxis.range[1] >= float(run.trace["time"].iloc[-1])
    assert not fig.layout.updatemenus


def test_every_value_chosen_stays_in_view() -> None:
    """A second value chosen (a broken protocol, notebook 01) is the story: not cut off."""
    duel = pb.Config(acceptors=3, proposers=2, start_times=(0, 6), delay_jitter=0.2,
                     stop_when_decided=False, mutants=("ignore-promised-value",))
    fig = sequence_diagram(pb.simulate(duel, seed=0))
    chosen = [a.x for a in fig.layout.annotations if a.text.startswith("chosen")]
    assert len(chosen) == 2
    assert max(chosen) < fig.layout.xaxis.range[1]
    labels = sorted((a for a in fig.layout.annotations if a.text.startswith("chosen")),
                    key=lambda a: a.x)
    assert {a.yshift for a in labels} == {0, style.CHOSEN_ROW}  # one above the other
    lo, hi = fig.layout.xaxis.range
    assert (labels[-1].x - lo) / (hi - lo) > 0.75 and labels[-1].xanchor == "right"  # on the
    assert labels[0].xanchor == "left"  # figure, not run off its right edge


# -- nothing overlaps --------------------------------------------------------------------------
@pytest.mark.parametrize("draw", [sequence_diagram, ballot_timeline])
def test_a_value_chosen_again_is_labelled_once(draw: object) -> None:
    """Notebook 02's first explorer at drop 0.34 (seed 3): jmp is chosen in ballot 2.2 and
    again by five later ballots (each had to propose it). Labelled in alternate rows, the
    first and third labels ran into each other (the browser layout test's standalone check
    found it); now each value has one label, every choice keeps its dashed line."""
    run = pb.simulate(DEFAULT_CONFIG.replace(acceptors=5, proposers=2, drop=0.34), seed=3)
    accepts = run.trace[run.trace["event"] == "accept"]
    assert set(accepts["value"]) == {"jmp"}  # one value, accepted in several ballots
    fig = draw(run)  # type: ignore[operator]
    labels = [a for a in fig.layout.annotations if a.text.startswith("chosen")]
    assert [a.text for a in labels] == ["chosen jmp (2.2)"]
    lines = [s for s in fig.layout.shapes if s.line.dash == "dash"]
    assert len(lines) == 6 and sorted(s.opacity for s in lines)[-1] == 1.0
    assert fig.layout.margin.t == 50  # no second row of labels to make room for


def test_a_partition_is_a_strip_above_the_lifelines() -> None:
    """Notebook 02's split: the shading and its label stay above the first lifeline (y -0.5)
    instead of covering the diagram and the "proposers" label."""
    fig = sequence_diagram(pb.simulate(SPLIT, seed=0))
    strip = next(t for t in fig.data if t.name == "partition")
    assert max(y for y in strip.y if y is not None) < -0.5
    label = next(a for a in fig.layout.annotations if "partition" in a.text)
    assert label.y < -0.5 and "p1,a1,a2 | p2,a3,a4,a5" in label.text
    roles = next(a for a in fig.layout.annotations if "proposers" in a.text)
    assert roles.y == -0.5 and roles.yanchor == "top"  # below the strip
    assert fig.layout.yaxis.range[1] < label.y  # the strip is inside the axis


def test_text_tables_show_every_sentence_whole() -> None:
    bad = pb.simulate(pb.Config(acceptors=3, proposers=2, start_times=(0, 6),
                                delay_jitter=0.2, stop_when_decided=False,
                                mutants=("ignore-promised-value",)), seed=0)
    verdict = safety_verdict(bad)
    longest = max(verdict["violation"], key=len)
    assert len(longest) > 60  # longer than pandas' 50 characters
    html = verdict._repr_html_()
    assert longest.replace("'", "&#x27;") in html or longest in html
    assert "text-align: left" in html
    story = narrate(bad, start=6, stop=8.5)  # as in notebook 01: fewer rows than pandas shows
    sentence = max(story["what"], key=len)
    assert len(story) < 60 and len(sentence) > 50
    assert sentence in story._repr_html_() and sentence in repr(story)
    assert type(story.head()) is pd.DataFrame  # a slice is an ordinary DataFrame


def test_quorum_panel_labels_are_whole() -> None:
    panel = QuorumPanel(n=3, q1=2, q2=2)
    for slider in (panel.n, panel.q1, panel.q2):
        assert slider.style.description_width == "initial"


def test_replica_logs_go_two_to_a_row() -> None:
    """Five strategies side by side ran their titles into each other (notebook 03)."""
    runs = {s.title: run_log(s, LogConfig(), 1) for s in STRATEGIES}
    fig = replica_log(runs)
    titles = [a for a in fig.layout.annotations if a.text.startswith("<b>")]
    assert len(titles) == len(STRATEGIES)
    by_row: dict[float, int] = {}
    for a in titles:
        by_row[round(a.y, 6)] = by_row.get(round(a.y, 6), 0) + 1
    assert max(by_row.values()) == 2 and len(by_row) == 3


def test_network_graph_has_a_legend_and_a_fixed_set_of_traces() -> None:
    plain = network_graph(pb.simulate(DEFAULT_CONFIG, seed=0))
    split = network_graph(pb.simulate(SPLIT, seed=0), time=3.0)
    assert plain.layout.showlegend
    names = [t.name for t in split.data if t.showlegend is not False]
    for entry in ("proposer", "acceptor", "learner", "crashed node", "link cut by a partition",
                  "link: no messages yet", "over 3/4"):
        assert entry in names
    assert any(n.startswith("colour: value held") and "jmp" in n for n in names)
    assert [t.type for t in plain.data] == [t.type for t in split.data]  # updated in place


# -- one theme -------------------------------------------------------------------------------
def test_every_figure_uses_the_paxosbook_template(long_tail: pb.Run) -> None:
    results = sweep({"drop": [0.0, 0.2], "acceptors": [3]}, 2, executor="local",
                    progress=False)
    figures = {
        "sequence": sequence_diagram(long_tail), "network": network_graph(long_tail),
        "ballots": ballot_timeline(long_tail),
        "replica_log": replica_log(run_log("paxos", LogConfig(), 0)),
        "decision_vs_loss": decision_vs_loss(results).figure,
        "plot_metric": plot_metric(results, "drop", "decided").figure,
    }
    ours = pb.views.style.TEMPLATE["layout"]["font"]["family"]
    for name, fig in figures.items():
        assert fig.layout.template.layout.font.family == ours, name
        assert fig.layout.template.layout.plot_bgcolor == "white", name
    import plotly.io as pio
    assert pio.templates["paxosbook"].layout.font.family == ours


def test_a_longer_legend_gets_a_taller_bottom_margin_not_a_shorter_plot() -> None:
    """plotly.js pushes the bottom margin of a legend that does not fit in it, the plot area
    shrinks, and the legend (placed at a fraction of the plot's height) rises over the range
    buttons: notebook 07's nemesis run at 1024x768 (crash, partition and duplicate items).
    The margin must grow with the legend, the plot area keep its height. The 13-item legend
    took 4 rows in Chromium at 640 px and below (measured): the margin holds 4 rows of it."""
    plain = pb.simulate(DEFAULT_CONFIG.replace(acceptors=5, proposers=2), seed=0)
    busy = pb.simulate(pb.Config(acceptors=5, proposers=2, drop=0.1, duplicate=0.1,
                                 crashes=[pb.Crash("a1", 1, 3)], partitions=[pb.Partition(
                                     (("p1", "a1", "a2"), ("p2", "a3", "a4", "a5")), 0.5, 4)]),
                       seed=1)
    small, big = sequence_diagram(plain), sequence_diagram(busy)
    items = [t.name for t in big.data if t.showlegend is not False and t.name and t.x is not None
             and any(x is not None for x in t.x)]
    assert len(items) == 13
    assert big.layout.margin.b >= 72 + 4 * 19 + 11  # 4 rows as measured, gap, padding
    assert big.layout.margin.b > small.layout.margin.b
    for fig in (small, big):
        m = fig.layout.margin
        plot = fig.layout.height - m.t - m.b
        assert fig.layout.legend.y == pytest.approx(-72 / plot)
