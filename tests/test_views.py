"""Views draw what the trace says: arrows where messages went, state that the simulator had.

Every check here recomputes the expected picture from the raw records or from the simulator's
own node objects, not from the code under test; each checker is shown catching a planted bug.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import paxosbook as pb
from paxosbook.core import NO_BALLOT, AcceptorState, UsageError
from paxosbook.properties import History
from paxosbook.sim import Simulator
from paxosbook.views import (
    GL_THRESHOLD,
    ballot_timeline,
    narrate,
    network_graph,
    roles_of,
    safety_verdict,
    sequence_diagram,
    state_table,
    styled_state_table,
)
from paxosbook.views.network import node_positions

FAULTY = pb.Config(acceptors=3, proposers=2, drop=0.1, duplicate=0.1,
                   crashes=[pb.Crash("a1", 2.0, 6.0)],
                   partitions=[pb.Partition((("a2",), ("p1", "a3")), 1.0, 3.0)])
ONE_ROUND = pb.Config(acceptors=3, proposers=1, learners=1, delay_jitter=0.2)


@pytest.fixture(scope="module")
def faulty() -> pb.Run:
    return pb.simulate(FAULTY, seed=3)


@pytest.fixture(scope="module")
def one_round() -> pb.Run:
    return pb.simulate(ONE_ROUND, seed=0)


# -- reading figures back ------------------------------------------------------------------------
def trace_named(fig: go.Figure, name: str) -> Any:
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, f"expected one trace named {name!r}, got {len(found)}"
    return found[0]


def segments(tr: Any) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The (start, end) points of a None-separated segment trace."""
    xs, ys = list(tr.x), list(tr.y)
    assert len(xs) % 3 == 0 and all(x is None for x in xs[2::3]), "not a segment trace"
    return [((xs[i], ys[i]), (xs[i + 1], ys[i + 1])) for i in range(0, len(xs), 3)]


def lanes(fig: go.Figure) -> dict[str, int]:
    return {name: int(v) for name, v in zip(fig.layout.yaxis.ticktext, fig.layout.yaxis.tickvals,
                                            strict=True)}


def _r(p: tuple[float, float]) -> tuple[float, float]:
    return (round(p[0], 9), round(p[1], 9))


def expected_arrows(run: pb.Run, y: dict[str, int]) -> dict[str, set[Any]]:
    """From the raw records: per message type the delivered arrows, and the dropped stubs."""
    start: dict[int, tuple[float, str, str, str]] = {}
    out: dict[str, set[Any]] = {k: set() for k in ("Prepare", "Promise", "Accept", "Accepted",
                                                    "Nack", "dropped")}
    for time, event, node, peer, payload, mid, _, _ in run.records:
        if event in ("send", "duplicate"):
            start[mid] = (time, node, peer, type(payload).__name__)
        elif event in ("deliver", "drop"):
            t0, src, dst, kind = start[mid]
            a = (t0, float(y[src]))
            if event == "deliver":
                out[kind].add((_r(a), _r((time, float(y[dst])))))
            else:
                out["dropped"].add((_r(a), _r(((t0 + time) / 2, (y[src] + y[dst]) / 2))))
    return out


def assert_arrows_match(fig: go.Figure, run: pb.Run) -> None:
    for name, want in expected_arrows(run, lanes(fig)).items():
        got = {(_r(a), _r(b)) for a, b in segments(trace_named(fig, name))}
        assert got == want, f"{name}: drawn {len(got)} arrows, expected {len(want)}"


# -- sequence diagram ------------------------------------------------------------------------------
def test_every_message_is_one_arrow_from_send_to_arrival(faulty: pb.Run) -> None:
    assert_arrows_match(sequence_diagram(faulty), faulty)


def test_arrow_checker_catches_a_reversed_arrow(faulty: pb.Run) -> None:
    fig = sequence_diagram(faulty)
    promise = trace_named(fig, "Promise")
    ys = list(promise.y)
    ys[0], ys[1] = ys[1], ys[0]  # planted bug: the first Promise drawn backwards
    promise.y = ys
    with pytest.raises(AssertionError, match="Promise"):
        assert_arrows_match(fig, faulty)


def test_lifelines_are_grouped_by_role(faulty: pb.Run) -> None:
    assert list(lanes(sequence_diagram(faulty))) == ["p1", "p2", "a1", "a2", "a3", "l1", "l2"]


def test_dropped_messages_stop_half_way_with_a_cross(faulty: pb.Run) -> None:
    dropped = trace_named(sequence_diagram(faulty), "dropped")
    assert dropped.marker.symbol == "x"
    sizes = list(dropped.marker.size)
    assert sizes[1::3] and all(s > 0 for s in sizes[1::3])  # the cross at the stop point
    assert all(s == 0 for s in sizes[0::3])  # nothing at the sender
    n = sum(1 for r in faulty.records if r[1] == "drop")
    assert len(segments(dropped)) == n == faulty.summary().messages_dropped


def test_duplicates_are_marked_and_name_their_original(faulty: pb.Run) -> None:
    dup = trace_named(sequence_diagram(faulty), "duplicate")
    copies = [(r[5], r[6]) for r in faulty.records if r[1] == "duplicate"]
    assert len(dup.x) == len(copies) == faulty.summary().messages_duplicated > 0
    for (copy, original), text in zip(copies, dup.hovertext, strict=True):
        assert f"#{copy} of #{original}" in text


def test_crash_and_partition_are_shaded_over_their_intervals(faulty: pb.Run) -> None:
    fig = sequence_diagram(faulty)
    y = lanes(fig)["a1"]
    crashed = trace_named(fig, "crashed")
    assert crashed.fill == "toself"
    assert min(x for x in crashed.x if x is not None) == 2.0
    end = faulty.records[-1][0]  # a1 restarts at 6, after the run ended
    assert max(x for x in crashed.x if x is not None) == end
    assert {v for v in crashed.y if v is not None} == {y - 0.36, y + 0.36}
    part = trace_named(fig, "partition")
    assert (min(x for x in part.x if x is not None), max(x for x in part.x if x is not None)) \
        == (1.0, 3.0)


def test_chosen_line_is_where_the_checker_says_a_quorum_accepted(faulty: pb.Run) -> None:
    history = History.from_run(faulty)
    when = sorted(faulty.records[max(events)][0] for events in history.chosen().values())
    fig = sequence_diagram(faulty)
    lines = sorted(s.x0 for s in fig.layout.shapes if s.line.dash == "dash")
    assert lines == when and when


def test_cursor_is_drawn_at_the_given_time(faulty: pb.Run) -> None:
    fig = sequence_diagram(faulty, time=2.5)
    assert fig.layout.shapes[-1].x0 == fig.layout.shapes[-1].x1 == 2.5
    assert fig.layout.annotations[-1].text.strip() == "t=2.50"
    assert all(s.line.color != "#263238" for s in sequence_diagram(faulty).layout.shapes)


def test_hover_tells_the_message(faulty: pb.Run) -> None:
    promise = trace_named(sequence_diagram(faulty), "Promise")
    text = promise.hovertext[0]
    assert text.startswith("Promise ") and "→" in text and "sent" in text and "#" in text


def test_a_handful_of_traces_whatever_the_size(faulty: pb.Run) -> None:
    big = pb.simulate(pb.Config(acceptors=9, proposers=5, learners=5, drop=0.5, backoff="none",
                                max_messages=GL_THRESHOLD + 500), seed=1)
    assert big.summary().messages_sent > GL_THRESHOLD
    small_fig, big_fig = sequence_diagram(faulty), sequence_diagram(big)
    assert [t.name for t in small_fig.data] == [t.name for t in big_fig.data]
    assert len(big_fig.data) < 20
    kinds = {t.name: type(t).__name__ for t in big_fig.data}
    assert kinds["Prepare"] == "Scattergl" and kinds["dropped"] == "Scattergl"
    assert {type(t).__name__ for t in small_fig.data} == {"Scatter"}
    assert_arrows_match(big_fig, big)


def test_views_are_pure_and_deterministic(faulty: pb.Run) -> None:
    before = faulty.trace.copy()
    first = [sequence_diagram(faulty.trace, time=2.0), network_graph(faulty.trace, 2.0),
             ballot_timeline(faulty.trace)]
    styled_state_table(faulty.trace, 2.0).to_html()
    narrate(faulty.trace)
    pd.testing.assert_frame_equal(faulty.trace, before)
    again = [sequence_diagram(faulty.trace, time=2.0), network_graph(faulty.trace, 2.0),
             ballot_timeline(faulty.trace)]
    assert [f.to_json() for f in first] == [f.to_json() for f in again]


@pytest.mark.parametrize("bad, field", [
    ("not a trace", "trace"), (pd.DataFrame({"time": [0.0]}), "trace")])
def test_bad_trace_is_a_usage_error(bad: Any, field: str) -> None:
    with pytest.raises(UsageError) as err:
        sequence_diagram(bad)
    assert err.value.field == field


def test_bad_time_is_a_usage_error(faulty: pb.Run) -> None:
    with pytest.raises(UsageError, match="time"):
        state_table(faulty, time="soon")  # type: ignore[arg-type]


# -- roles --------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(acceptors=st.integers(1, 5), proposers=st.integers(1, 3), learners=st.integers(1, 3),
       colocated=st.booleans(), seed=st.integers(0, 10_000))
def test_roles_read_off_the_trace_match_the_cluster(acceptors: int, proposers: int,
                                                    learners: int, colocated: bool,
                                                    seed: int) -> None:
    """On every example the roles inferred from the trace alone are the cluster's. The run is
    fault-free, so every node sends or receives a message: that is asserted, not assumed (the
    test used to return early, checking nothing, when a node was missing). Planted and seen
    failing: ``_infer_roles`` taking every sender for an acceptor (proposers gain a role), and
    colocated ``n`` nodes inferred without their learner role."""
    proposers = min(proposers, acceptors) if colocated else proposers
    config = pb.Config(acceptors=acceptors, proposers=proposers, learners=learners,
                       colocated=colocated, max_time=40)
    run = pb.simulate(config, seed=seed)
    cluster = config.cluster()
    seen = set(run.trace["node"]) | set(run.trace["peer"])
    assert set(cluster.nodes) <= seen, "a fault-free run leaves a node out of the trace"
    assert roles_of(run.trace) == roles_of(run.trace, cluster)
    assert list(roles_of(run.trace, cluster)) == list(cluster.nodes)


# -- state at time t ------------------------------------------------------------------------------
def simulator_state(config: pb.Config, seed: int, t: float) -> dict[str, dict[str, str]]:
    """What the simulator's own nodes hold after every event up to time ``t``."""
    sim = Simulator(config.replace(max_time=t), seed)
    sim.run()
    nothing = "—"
    out = {}
    for name in sim.cluster.nodes:
        node, state = sim.nodes[name], sim.states[name]
        row = {"status": "crashed" if name in sim.crashed else "up"}
        if node.acceptor is not None:
            acc = sim.storage[name].get(AcceptorState)
            row["promised"] = str(acc.promised) if acc and acc.promised != NO_BALLOT else nothing
            row["accepted"] = (f"({acc.accepted.ballot}, {acc.accepted.value})"
                               if acc and acc.accepted else nothing)
        if node.learner is not None and row["status"] == "up":
            learned = state.learner.learned
            row["learned"] = learned.value if learned else nothing
        if node.proposer is not None and row["status"] == "up":
            p = state.proposer
            row["ballot"] = str(p.ballot) if p.ballot != NO_BALLOT else nothing
            row["proposing"] = p.proposal.value if p.proposal else nothing
        out[name] = row
    return out


def assert_state_matches(table: pd.DataFrame, want: dict[str, dict[str, str]]) -> None:
    for node, row in want.items():
        for col, value in row.items():
            assert table.loc[node, col] == value, f"{node}.{col}: {table.loc[node, col]!r} " \
                                                  f"!= simulator's {value!r}"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(proposers=st.integers(1, 3), drop=st.sampled_from([0.0, 0.2]),
       crash=st.booleans(), seed=st.integers(0, 10_000), pick=st.floats(0, 1))
def test_state_table_agrees_with_the_simulators_nodes(proposers: int, drop: float, crash: bool,
                                                      seed: int, pick: float) -> None:
    config = pb.Config(acceptors=3, proposers=proposers, drop=drop, max_time=40,
                       crashes=[pb.Crash("a2", 1.5, 5.0), pb.Crash("l1", 2.0, 3.0),
                                pb.Crash("p1", 2.5, 4.0)] if crash else [])
    run = pb.simulate(config, seed=seed)
    times = sorted({r[0] for r in run.records if r[0] > 0})
    t = times[min(int(pick * len(times)), len(times) - 1)]
    assert_state_matches(state_table(run, t), simulator_state(config, seed, t))


def test_state_checker_catches_a_planted_bug(one_round: pb.Run) -> None:
    t = 2.5
    table = state_table(one_round, t)
    table.loc["a1", "promised"] = "9.9"  # planted bug
    with pytest.raises(AssertionError, match=r"a1\.promised"):
        assert_state_matches(table, simulator_state(ONE_ROUND, 0, t))


def test_state_table_one_round_pinned(one_round: pb.Run) -> None:
    first = state_table(one_round, 0.0)
    assert list(first.columns) == ["role", "status", "promised", "accepted", "learned",
                                   "ballot", "proposing"]
    assert first.loc["a1", "promised"] == "—" and first.loc["l1", "learned"] == "—"
    assert first.loc["p1", "ballot"] == "1.1" and first.loc["p1", "proposing"] == "—"
    assert first.loc["p1", "promised"] == ""  # not an acceptor: no cell
    last = state_table(one_round)
    assert set(last.loc[["a1", "a2", "a3"], "accepted"]) == {"(1.1, add)"}
    assert last.loc["l1", "learned"] == "add" and last.loc["p1", "proposing"] == "add"
    assert last.attrs["time"] == one_round.records[-1][0]


def test_crashed_node_is_marked_and_its_learned_value_forgotten() -> None:
    config = pb.Config(acceptors=3, proposers=1, learners=1, stop_when_decided=False,
                       crashes=[pb.Crash("l1", 6.0, 8.0), pb.Crash("a1", 6.0)])
    run = pb.simulate(config, seed=0)
    before, during = state_table(run, 5.9), state_table(run, 7.0)
    assert before.loc["l1", "learned"] == "add"
    assert during.loc["l1", "status"] == "crashed" and during.loc["l1", "learned"] == "—"
    assert during.loc["a1", "accepted"] == before.loc["a1", "accepted"] == "(1.1, add)"
    html = styled_state_table(run, 7.0).to_html()
    assert "crashed" in html and "state at t=7.00" in html


# -- network graph --------------------------------------------------------------------------------
def test_layout_is_deterministic_columns_by_role(faulty: pb.Run) -> None:
    roles = tuple(roles_of(faulty.trace).items())
    pos = node_positions(roles)
    node_positions.cache_clear()
    assert node_positions(roles) == pos
    xs = {n: p[0] for n, p in pos.items()}
    assert xs["p1"] == xs["p2"] < xs["a1"] == xs["a2"] == xs["a3"] < xs["l1"] == xs["l2"]
    assert pos["a1"][1] > pos["a2"][1] > pos["a3"][1]  # top to bottom in name order


def test_colocated_nodes_sit_on_a_circle() -> None:
    run = pb.simulate(pb.Config(acceptors=5, proposers=2, colocated=True), seed=0)
    pos = node_positions(tuple(roles_of(run.trace).items()))
    assert all(math.isclose(math.hypot(*p), 1.0, abs_tol=1e-6) for p in pos.values())
    assert pos["n1"][1] == max(p[1] for p in pos.values())


def test_partition_cuts_are_dashed_only_while_active(faulty: pb.Run) -> None:
    def cut(t: float) -> int:
        return len(segments(trace_named(network_graph(faulty, t), "cut by partition")))

    assert cut(0.5) == 0 and cut(3.5) == 0
    # a2 | p1,a3 cuts a2-p1 and a2-a3, but acceptors never talk to each other: one line
    pos = node_positions(tuple(roles_of(faulty.trace).items()))
    (line,) = segments(trace_named(network_graph(faulty, 2.0), "cut by partition"))
    assert set(line) == {pos["a2"], pos["p1"]}


def test_edge_width_grows_with_messages_and_nodes_show_state(faulty: pb.Run) -> None:
    fig = network_graph(faulty)
    widest = [t for t in fig.data if t.name and t.name.startswith("messages")][-1]
    counts: dict[tuple[str, str], int] = {}
    for _, event, node, peer, *_ in faulty.records:
        if event in ("send", "duplicate") and node != peer:
            key = (min(node, peer), max(node, peer))
            counts[key] = counts.get(key, 0) + 1
    pos = node_positions(tuple(roles_of(faulty.trace).items()))
    busiest = max(counts, key=lambda k: counts[k])
    drawn = {frozenset((a, b)) for a, b in segments(widest)}
    assert frozenset((pos[busiest[0]], pos[busiest[1]])) in drawn
    nodes = trace_named(fig, "nodes")
    label = dict(zip(roles_of(faulty.trace), nodes.text, strict=True))
    assert "learned jmp" in label["l1"] and "promised 2.1" in label["a2"]
    crossed = trace_named(network_graph(faulty, 3.0), "crashed")
    assert len(crossed.x) == 1 and (crossed.x[0], crossed.y[0]) == pos["a1"]


# -- ballot timeline, narration, verdict -----------------------------------------------------------
def test_ballot_timeline_steps_once_per_ballot() -> None:
    run = pb.simulate(pb.Config(acceptors=3, proposers=2, backoff="none", delay_jitter=0.5),
                      seed=6)
    fig = ballot_timeline(run)
    for p in ("p1", "p2"):
        ballots = {str(r[4].ballot) for r in run.records
                   if r[1] == "send" and r[2] == p and type(r[4]).__name__ == "Prepare"}
        assert len(trace_named(fig, p).x) == len(ballots) + 1  # one step each, then to the end
    nacks = sum(1 for r in run.records if r[1] == "deliver" and type(r[4]).__name__ == "Nack")
    assert len(trace_named(fig, "Nack received").x) == nacks > 0


def test_narration_has_one_sentence_per_event(one_round: pb.Run) -> None:
    story = narrate(one_round)
    assert len(story) == len(one_round.records)
    assert story["what"].iloc[0] == "p1 starts, proposing add"
    assert story["what"].iloc[1] == "p1 sends Prepare(1.1) to a1 (#0)"
    assert any(s.endswith("learns add (ballot 1.1)") for s in story["what"])
    assert narrate(one_round, 1.0, 2.0)["time"].between(1.0, 2.0).all()


def test_safety_verdict_names_the_broken_properties() -> None:
    config = pb.Config(acceptors=3, proposers=2, start_times=(0, 6), delay_jitter=0.2,
                       stop_when_decided=False)
    good = safety_verdict(pb.simulate(config, seed=0))
    bad = safety_verdict(pb.simulate(config.replace(mutants=("ignore-promised-value",)), 0))
    assert set(good["holds"]) == {"yes"}
    assert bad.loc["agreement", "holds"] == "no" and "more than one" in bad.loc["agreement",
                                                                                 "violation"]
