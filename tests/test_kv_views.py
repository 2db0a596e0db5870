"""The KV run's figures (``views.kv``) and the history closed by the final reads (``kv.final``),
on small hand-made runs whose every number is counted by hand (no cluster is started)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from paxosbook.kv.client import Op, lost_writes
from paxosbook.kv.final import FINAL, check_final, final_reads
from paxosbook.kv.run import KVRun
from paxosbook.linearizability import check, parse_history
from paxosbook.network import Crash, Partition
from paxosbook.views.kv import kv_chart, lost_writes_figure

NODES = ("n1", "n2", "n3")


def history_of(ops: list[Op]) -> list[str]:
    """The clients' JSON lines for ``ops``, calls and answers in time order."""
    events: list[tuple[float, int, dict[str, Any]]] = []
    for i, op in enumerate(ops):
        value = list(op.value) if op.f == "cas" else op.value
        base = {"process": op.client, "f": op.f, "key": op.key}
        events.append((op.start, i, {**base, "type": "invoke", "value": value}))
        if op.status != "info":
            out = op.output if op.f == "get" else value
            events.append((op.end, i, {**base, "type": op.status, "value": out}))
    return [json.dumps(e) for _, _, e in sorted(events, key=lambda e: (e[0], e[1]))]


def make_run(ops: list[Op], final: dict[str, str], *, crashes: tuple[Crash, ...] = (),
             partitions: tuple[Partition, ...] = (), duration: float = 2.0) -> KVRun:
    done = {str(c): [[1, 99]] for c in {op.client for op in ops}}
    finals = [{"name": n, "applied": 5, "data": final, "done": done, "stats": {}}
              for n in NODES]
    lines = history_of(ops)
    return KVRun(ops, lines, duration, len(crashes), len(crashes), finals,
                 check(parse_history(lines), "kv"), lost_writes(ops, final, done),
                 crashes=list(crashes), partitions=list(partitions))


def trace(fig: Any, name: str) -> Any:
    return next(t for t in fig.data if t.name == name)


# a put, an append acknowledged just before every node was killed, a get that saw it
PUT = Op(0, 1, "put", "k", "0.1;", 0.10, 0.12, "ok")
APPEND = Op(1, 1, "append", "k", "1.1;", 0.90, 0.95, "ok")
GET = Op(0, 2, "get", "k", None, 0.96, 0.97, "ok", "0.1;1.1;")
OUTAGE = tuple(Crash(n, 1.0 + i / 100, 1.2) for i, n in enumerate(NODES))


def test_kv_chart_counts_answers_per_second_and_draws_each_node_down_and_cut_off() -> None:
    """Catches answers binned by their call (or counted twice), a failed cas counted as ok,
    a latency line drawn across bins with no answer, and downtime on the wrong node's row."""
    ops = [Op(0, s, "get", "k", None, 0.01 * s, 0.01 * s + 0.004, "ok", "") for s in (1, 2)]
    ops.append(Op(0, 3, "get", "k", None, 0.04, 0.06, "ok", ""))  # called in bin 0, not answered
    ops += [Op(1, 1, "cas", "k", ("x", "1.1;"), 1.50, 1.51, "fail"),
            Op(2, 1, "put", "k", "2.1;", 1.90, 2.00, "info")]
    run = make_run(ops, {"k": ""}, crashes=(Crash("n2", 0.5, 1.2),),
                   partitions=(Partition((("n3",), ("n1", "n2")), 0.6, 0.9),))
    fig = kv_chart(run)
    ok, failed = trace(fig, "ok"), trace(fig, "cas failed (value differed)")
    width = fig.data[0].width / 0.95  # 2.0 s (the last answer at 1.51) in 40 bins
    assert width == pytest.approx(0.05)
    assert sum(ok.y) * width == pytest.approx(3) and sum(failed.y) * width == pytest.approx(1)
    assert ok.y[:2] == pytest.approx((2 / 0.05, 1 / 0.05))  # binned by their answers
    median = trace(fig, "median latency")
    assert median.y[:2] == pytest.approx((4.0, 20.0)) and median.y[2] is None  # a gap
    rows = dict(zip(fig.layout.yaxis3.ticktext, fig.layout.yaxis3.tickvals, strict=True))
    assert list(rows) == ["n1", "n2", "n3"]
    down, cut = trace(fig, "down (kill -9 to restart)"), trace(fig, "cut off by a partition")
    assert list(down.x) == [0.5, 1.2, None] and list(down.y) == [rows["n2"]] * 2 + [None]
    assert list(cut.x) == [0.6, 0.9, None] and cut.y[0] == rows["n3"]  # the smaller side


def test_lost_writes_figure_marks_the_lost_write_and_opens_on_it() -> None:
    """The final state lost the append that was answered before the power cut. Catches the
    lost write drawn as answered, an outage found while a node was still up, and a view that
    does not open on the loss."""
    run = make_run([PUT, APPEND, GET], {"k": "0.1;"}, crashes=OUTAGE)
    assert run.lost == [APPEND]
    fig = lost_writes_figure(run)
    lost, answered = trace(fig, "acknowledged, then lost"), trace(fig, "answered")
    assert list(lost.x) == [0.90, 0.95, None]
    assert 0.90 not in answered.x and len(answered.x) == 6
    outage = trace(fig, "every node down (kill -9)")
    assert list(outage.x) == [1.02, 1.2, None]  # the last kill to the first restart
    assert fig.layout.xaxis.range[0] < 0.90 and 1.02 < fig.layout.xaxis.range[1] < 1.5
    assert "1 acknowledged writes lost" in fig.layout.title.text
    assert "'0.1;'" in fig.layout.annotations[0].text  # the final value, bottom right
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["lost writes", "whole run"]


def test_lost_writes_figure_without_a_loss_or_a_whole_cluster_kill() -> None:
    run = make_run([PUT, APPEND, GET], {"k": "0.1;1.1;"}, crashes=OUTAGE[:2])
    fig = lost_writes_figure(run)
    assert "no acknowledged write lost" in fig.layout.title.text
    assert not fig.layout.updatemenus
    assert trace(fig, "every node down (kill -9)").x == ()  # n3 stayed up


def test_labels_that_would_run_into_each_other_are_thinned() -> None:
    """Two lost appends 10 ms apart on one row: one label (both bars stay, with hovers)."""
    a = Op(1, 1, "append", "k", "1.1;", 0.90, 0.905, "ok")
    b = Op(1, 2, "append", "k", "1.2;", 0.91, 0.915, "ok")
    fig = lost_writes_figure(make_run([PUT, a, b], {"k": "0.1;"}, crashes=OUTAGE))
    labels = next(t for t in fig.data if t.mode == "text")
    assert list(labels.text) == ["append 1.1;"]
    assert len(trace(fig, "acknowledged, then lost").x) == 6


def test_the_final_read_makes_a_lost_write_a_linearizability_violation() -> None:
    """The clients never read the key after the loss: their history is linearizable, and
    only the final state contradicts it. Catches final reads that return the wrong replica's
    value, or are placed where an earlier operation could follow them."""
    run = make_run([PUT, APPEND], {"k": "0.1;"}, crashes=OUTAGE)
    assert run.verdict.linearizable is True  # the history alone: nothing contradicts it
    lines = final_reads(run)
    assert lines[:-2] == run.history and json.loads(lines[-1]) == {
        "process": FINAL, "type": "ok", "f": "get", "key": "k", "value": "0.1;"}
    closed = check_final(run)
    assert closed.linearizable is False and closed.key == "k"
    assert {op.process for op in closed.failing} == {0, 1, FINAL}
    kept = make_run([PUT, APPEND], {"k": "0.1;1.1;"})
    assert check_final(kept).linearizable is True
    kept.finals[0] = {**kept.finals[0], "applied": 1, "data": {"k": "0.1;"}}  # lagging
    assert check_final(kept).linearizable is True  # the most advanced replica is read


def test_an_indeterminate_write_may_be_missing_from_the_final_state() -> None:
    """A write never answered may never have happened: its absence is no violation; its
    presence neither."""
    unanswered = Op(1, 1, "append", "k", "1.1;", 0.90, float("inf"), "info")
    for final in ("0.1;", "0.1;1.1;"):
        assert check_final(make_run([PUT, unanswered], {"k": final})).linearizable is True
    assert check_final(make_run([PUT, unanswered], {"k": "1.1;"})).linearizable is False
