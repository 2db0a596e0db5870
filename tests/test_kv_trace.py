"""The KV store's Paxos trace (``paxosbook.kv.trace``) and its validation against ``Paxos.tla``.

The lines must read back as what was logged, the nodes' files must merge in Lamport order
(whatever the hosts' clocks say), and validation must reject a trace that no spec behaviour
explains. A real cluster's trace is
validated end to end in ``tests/test_kv.py`` (the soak, its mutants, the fault-free run)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from test_validate import cli

from paxosbook.check import validate
from paxosbook.core import (
    Accept,
    Accepted,
    AcceptorState,
    Ballot,
    FormatError,
    Promise,
    Proposal,
)
from paxosbook.core.log import MultiPrepare, MultiPromise, Slotted
from paxosbook.core.log.envelope import LearnSlot, SlotState
from paxosbook.events import ACCEPT, LEARN, PROMISE, SEND
from paxosbook.kv.trace import Digests, collect, digest, line, read_line, traced

B1, B2 = Ballot(1, 1), Ballot(2, 2)
NAMES = ("n1", "n2", "n3")


def test_every_traced_kind_reads_back_with_values_as_digests() -> None:
    d = Digests()
    cases: list[Any] = [
        Slotted("n1", "n2", 3, Accept("n1", "n2", B1, "batch-a")),
        Slotted("n2", "n1", 3, Accepted("n2", "n1", B1, "batch-a")),
        Slotted("n2", "n1", 3, Promise("n2", "n1", B2, Proposal(B1, "batch-a"))),
        MultiPrepare("n2", "n3", B2, 4),
        MultiPromise("n3", "n2", B2, 4, ((4, Proposal(B1, "batch-b")), (6, Proposal(B1, "c")))),
        SlotState(3, AcceptorState(B2, Proposal(B1, "batch-a"))),
        SlotState(-1, AcceptorState(B2, None)),
        LearnSlot(3, "batch-a", None),
        LearnSlot(4, "batch-b", B1),
    ]
    for i, x in enumerate(cases):
        text = line(10 + i, 500 - i, i, 2, SEND, "n1", "n2", d.payload(x))
        got = read_line(text)
        assert got is not None and got[:7] == (10 + i, 500 - i, i, 2, SEND, "n1", "n2")
        assert got[7] == d.payload(x) and type(got[7]) is type(x)
    # the values became their digests, everywhere they occur
    assert d.payload(cases[0]).msg.value == digest("batch-a") != "batch-a"
    assert d.payload(cases[4]).accepted[1][1].value == digest("c")
    assert d.payload(cases[5]).state.accepted.value == digest("batch-a")


def test_only_paxos_messages_are_traced() -> None:
    from paxosbook.kv.wire import Heartbeat
    assert traced(MultiPrepare("n1", "n2", B1, 0))
    assert traced(Slotted("n1", "n2", 0, Accept("n1", "n2", B1, "v")))
    assert not traced(Heartbeat("n1", "n2", B1, 0))


@pytest.mark.parametrize("text", ["", "[1, 2", "[1,9,2,3,\"send\",\"n1\",\"n2\",[\"Nope\"]]",
                                  "[1,9,2,3,\"deliver\",\"n1\",\"n2\",null]", "{}",
                                  "[\"x\",9,2,3,\"send\",\"n1\",\"n2\",null]"])
def test_a_line_cut_short_or_foreign_is_skipped(text: str) -> None:
    assert read_line(text) is None


def _accept(slot: int, b: Ballot, v: str, dst: str) -> Slotted:
    return Slotted("n1", dst, slot, Accept("n1", dst, b, v))


def _files(tmp_path: Path, lines: dict[str, list[str]], in_db: dict[str, list[str]]) -> None:
    for name, texts in lines.items():
        (tmp_path / f"{name}.trace").write_text("".join(texts), "utf-8")
    for name, texts in in_db.items():
        conn = sqlite3.connect(str(tmp_path / f"{name}.sqlite"))
        conn.execute("CREATE TABLE trace (seq INTEGER PRIMARY KEY, line TEXT NOT NULL)")
        conn.executemany("INSERT INTO trace (line) VALUES (?)", [(t,) for t in texts])
        conn.commit()
        conn.close()


def _slot0(v: str = "v") -> dict[str, list[tuple[int, int, str, str, str, Any]]]:
    """One slot chosen at ballot 1.1 by n1 and n2, event by event, per node, with Lamport
    times as the nodes' clocks would give them (a receive sets the receiver's clock to at
    least the send's time, every event ticks it): (Lamport time, seq, event, node, peer,
    payload)."""
    st = AcceptorState(B1, Proposal(B1, v))
    return {
        "n1": [(1, 1, SEND, "n1", "n1", MultiPrepare("n1", "n1", B1, 0)),
               (2, 2, SEND, "n1", "n2", MultiPrepare("n1", "n2", B1, 0)),
               (3, 3, PROMISE, "n1", "", SlotState(-1, AcceptorState(B1, None))),
               (4, 4, SEND, "n1", "n1", MultiPromise("n1", "n1", B1, 0, ())),
               (5, 5, SEND, "n1", "n2", _accept(0, B1, v, "n2")),  # n2's promise came at 4
               (6, 6, SEND, "n1", "n1", _accept(0, B1, v, "n1")),
               (7, 7, ACCEPT, "n1", "", SlotState(0, st)),
               (8, 8, SEND, "n1", "n1", Slotted("n1", "n1", 0, Accepted("n1", "n1", B1, v)))],
        "n2": [(3, 1, PROMISE, "n2", "", SlotState(-1, AcceptorState(B1, None))),
               (4, 2, SEND, "n2", "n1", MultiPromise("n2", "n1", B1, 0, ())),
               (6, 3, ACCEPT, "n2", "", SlotState(0, st)),
               (7, 4, SEND, "n2", "n1", Slotted("n2", "n1", 0, Accepted("n2", "n1", B1, v))),
               (9, 5, LEARN, "n2", "", LearnSlot(0, v, None))],
    }


def _write(tmp_path: Path, events: dict[str, list[Any]], db_from: int = 2,
           shift: dict[str, int] | None = None) -> None:
    """Each node's first ``db_from`` events in its ``.trace`` file, the rest in its SQLite
    file (as a node writes early sends and turns that commit). The monotonic clock column is
    the Lamport time in ms, plus ``shift[node]`` ns (another host's clock)."""
    shift = shift or {}
    texts = {n: [line(c, c * 10**6 + shift.get(n, 0), s, 0, e, node, peer, p)
                 for c, s, e, node, peer, p in evs]
             for n, evs in events.items()}
    _files(tmp_path, {n: t[:db_from] for n, t in texts.items()},
           {n: t[db_from:] for n, t in texts.items()})


def test_the_nodes_files_merge_by_lamport_time_and_validate(tmp_path: Path) -> None:
    _write(tmp_path, _slot0())
    trace = collect(tmp_path, NAMES)
    assert trace.lamport == sorted(trace.lamport) and len(trace.records) == 13
    # at time 3 and 4: n1's event before n2's (node order)
    assert [(r[1], r[2]) for r in trace.records[2:6]] == [(PROMISE, "n1"), (PROMISE, "n2"),
                                                          (SEND, "n1"), (SEND, "n2")]
    assert trace.records[0][0] == 0.0 and trace.records[-1][0] == 0.008  # clock: display
    result = validate(trace)
    assert result.ok, result
    assert result.events_checked == 13


def _by_clock(trace: Any) -> Any:
    """``trace`` in the order of its records' clocks, ties by node (the merge before the
    Lamport clock)."""
    import dataclasses
    nodes = {n: i for i, n in enumerate(trace.acceptors)}
    records = sorted(trace.records, key=lambda r: (r[0], nodes[r[2]]))  # stable: seq order
    return dataclasses.replace(trace, records=records)


@pytest.mark.parametrize("shift", [-10**12, 3 * 10**6])
def test_a_node_on_another_hosts_clock_still_merges_in_causal_order(tmp_path: Path,
                                                                    shift: int) -> None:
    """n2's clock is far behind (its host booted later) or 3 ms ahead of n1's: merged by
    clock, n2 would promise before n1 sent its Prepare, or accept before n1 sent its Accept,
    and validation would reject a correct run; merged by Lamport time it validates."""
    _write(tmp_path, _slot0(), shift={"n2": shift})
    trace = collect(tmp_path, NAMES)
    assert validate(trace).ok
    old = validate(_by_clock(trace))
    assert not old.ok and old.failure is not None and "n2" in old.failure.event


def test_a_trace_without_lamport_times_is_refused_naming_its_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A trace written before the lines carried a Lamport time has no causal order across
    nodes: one clear error naming the file, not a validation of some order."""
    _write(tmp_path, _slot0())
    old = json.dumps([1, 1, 0, SEND, "n3", "n1", None]) + "\n"
    (tmp_path / "n3.trace").write_text(old + old[:9], "utf-8")  # the second cut by kill -9
    with pytest.raises(FormatError, match=r"n3\.trace: a trace line without a Lamport time"):
        collect(tmp_path, NAMES)
    code, out, err = cli(capsys, str(tmp_path))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "n3.trace" in err


def test_a_trace_out_of_causal_order_is_rejected(tmp_path: Path) -> None:
    """n2 accepts before n1 sent the Accept: no spec step explains it (so merging by a
    causal order, not by file, is what makes real traces valid)."""
    events = _slot0()
    events["n2"] = [(c if c != 6 else 4, *rest) for c, *rest in events["n2"]]
    _write(tmp_path, events)
    result = validate(collect(tmp_path, NAMES))
    assert not result.ok and result.failure is not None
    assert result.failure.event.startswith("accept at n2 slot 0")
    assert result.failure.conjunct == "m \\in msgs"


@pytest.mark.parametrize("where, conjunct", [
    ("accepted", "m \\in msgs"),  # an Accepted of a value no Accept carried
    ("learn", "\\E b \\in Ballot : ChosenAt(b, v)"),  # learning a value never chosen
])
def test_an_edited_value_is_rejected_at_that_event(tmp_path: Path, where: str,
                                                   conjunct: str) -> None:
    events = _slot0()
    n2 = events["n2"]
    i = 3 if where == "accepted" else 4
    c, s, e, node, peer, p = n2[i]
    if where == "accepted":
        p = p._replace(msg=p.msg._replace(value="other"))
    else:
        p = p._replace(value="other")
    n2[i] = (c, s, e, node, peer, p)
    _write(tmp_path, events)
    trace = collect(tmp_path, NAMES)
    result = validate(trace)
    assert not result.ok and result.failure is not None
    assert trace.records[result.failure.index][4] == p
    assert result.failure.conjunct == conjunct


def test_a_learn_with_no_ballot_needs_a_quorum_at_some_ballot(tmp_path: Path) -> None:
    """Only n1's 2b message: the value is not chosen yet, so n2 cannot learn it."""
    events = _slot0()
    events["n2"] = [e for e in events["n2"] if e[2] != ACCEPT and e[5].__class__ is not Slotted]
    _write(tmp_path, events, db_from=1)
    result = validate(collect(tmp_path, NAMES))
    assert not result.ok and result.failure is not None
    assert result.failure.event.startswith("learn at n2")


def test_cli_validates_a_kv_data_directory(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    """``paxosbook validate DIR``: 0 for a valid trace, 1 for an edited one, 2 (one line)
    for a directory with no node's trace."""
    good, bad, empty = tmp_path / "good", tmp_path / "bad", tmp_path / "empty"
    for d in (good, bad, empty):
        d.mkdir()
    _write(good, _slot0())
    events = _slot0()
    c, s, e, node, peer, p = events["n2"][3]
    events["n2"][3] = (c, s, e, node, peer, p._replace(msg=p.msg._replace(value="other")))
    _write(bad, events)
    code, out, _ = cli(capsys, str(good), "--json")
    assert code == 0 and json.loads(out)["events_checked"] == 13
    code, out, _ = cli(capsys, str(bad))
    assert code == 1 and out.startswith("rejected at event")
    code, out, err = cli(capsys, str(empty))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "DIR" in err


def test_a_slots_events_as_a_table_and_a_figure(tmp_path: Path) -> None:
    """``slot_frame`` keeps the events about the slot (a phase 1 from slot 0 on is about
    it); ``slot_figure`` gives one column per event but one per message sent to several
    nodes at once, and circles the rejected event with its conjunct."""
    from paxosbook.kv.trace import slot_frame
    from paxosbook.views.kv import slot_figure

    events = _slot0()
    events["n2"][3] = (*events["n2"][3][:5], events["n2"][3][5]._replace(
        msg=events["n2"][3][5].msg._replace(value="other")))
    _write(tmp_path, events)
    trace = collect(tmp_path, NAMES)
    frame = slot_frame(trace, 0)
    # the REST promises are about slots not seen yet: not slot 0's
    assert len(frame) == 11 and set(frame["what"]) >= {"MultiPrepare", "Accept", "Accepted"}
    assert frame.loc[frame["what"] == "acceptor state", "vote"].tolist() == ["1.1", "1.1"]
    assert set(slot_frame(trace, 1)["what"]) == {"MultiPrepare", "MultiPromise"}  # phase 1 only
    result = validate(trace)
    fig = slot_figure(trace, 0, result)
    xs = sorted(x for t in fig.data if t.name != f"event {result.failure.index}" for x in t.x)
    assert xs == list(range(len(xs))) and len(xs) == 11 - 2  # two sends to two nodes each
    marked = [t for t in fig.data if t.name == f"event {result.failure.index}"]
    assert len(marked) == 1 and "m \\in msgs" in fig.layout.annotations[0].text
    assert slot_figure(trace, 0).layout.annotations == ()  # no validation: nothing marked


def test_a_restart_between_two_events_of_a_node_is_drawn(tmp_path: Path) -> None:
    from paxosbook.views.kv import slot_figure

    texts = [line(c, c, s, 1 if c >= 6 else 0, e, node, peer, p)
             for c, s, e, node, peer, p in _slot0()["n2"]]
    _files(tmp_path, {"n2": texts}, {})
    fig = slot_figure(collect(tmp_path, NAMES), 0)
    bars = [t for t in fig.data if t.name == "restarted (kill -9)"]
    assert len(bars) == 1 and list(bars[0].y) == [1]  # n2's row, before its acceptance


def test_a_line_cut_by_kill_9_does_not_swallow_the_next_lifes_first(tmp_path: Path) -> None:
    """A node restarted after a ``kill -9`` cut its last line short ends that line first;
    without it, its first event would be glued to the cut one and lost with it."""
    import os

    from paxosbook.kv.node import _end_line

    path = tmp_path / "n1.trace"
    first = line(1, 1, 1, 0, SEND, "n1", "n2", MultiPrepare("n1", "n2", B1, 0))
    path.write_text(first + first[:20], "utf-8")  # the second copy cut short
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        _end_line(path, fd)
        _end_line(path, fd)  # a line already ended is left alone
        os.write(fd, line(2, 2, 1, 1, SEND, "n1", "n3",
                          MultiPrepare("n1", "n3", B2, 0)).encode())
    finally:
        os.close(fd)
    records = collect(tmp_path, NAMES).records
    assert [r[3] for r in records] == ["n2", "n3"] and records[1][7] == "life 1"
