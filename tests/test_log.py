"""The replicated log: Paxos and Multi-Paxos keep one log under faults, the strawmen do not.

The strawman tests assert each failure (divergence, blocking) so that they fail if a strawman
is accidentally made correct; the Paxos property tests are shown failing on a planted bug (a
proposer that ignores P2c) in ``test_planted_p2c_bug_breaks_the_logs``.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import paxosbook as pb
from paxosbook.config import Crash, Partition
from paxosbook.core import Proposer
from paxosbook.core.log import NOOP, Slotted
from paxosbook.replication import (
    EXAMPLE,
    LOG_PROPERTIES,
    STRATEGIES,
    LogConfig,
    LogHistory,
    check_log,
    compare,
    run_log,
    system_for,
)
from paxosbook.sim import Simulator
from paxosbook.trace import COLUMNS, Run

PROPOSERS = tuple(p for p, _ in EXAMPLE)
COMMANDS = tuple(v for _, v in EXAMPLE)
SOLO = LogConfig(commands=tuple(("A", v) for v in COMMANDS), delay="constant")
PAXOS = ("paxos", "multi-paxos")


# -- the strawmen really fail -----------------------------------------------------------------
def test_broadcast_diverges_with_nothing_but_delay_jitter():
    """The violation is real: the replicas' logs hold the four commands in different orders.
    Catches ``LogRun.logs`` reading a replica's commands in a canonical order instead of slot
    order, which hides the divergence (planted and seen failing)."""
    runs = [run_log("broadcast", LogConfig(), seed) for seed in range(10)]
    split = [r for r in runs if any(v.property == "log_agreement" for v in r.violations)]
    assert split, "broadcast never diverged: has it been given an order?"
    assert all(r.committed == 4 and not r.blocked for r in runs)  # every replica got all four
    orders = {tuple(log) for log in split[0].logs.values()}
    assert len(orders) > 1 and all(sorted(o) == sorted(COMMANDS) for o in orders)


def test_broadcast_logs_a_duplicated_message_twice():
    runs = [run_log("broadcast", LogConfig(duplicate=0.5), seed) for seed in range(5)]
    assert any(v.property == "log_no_duplicates" for r in runs for v in r.violations)


def test_sequencer_agrees_until_it_crashes_then_blocks():
    for seed in range(5):
        fine = run_log("sequencer", LogConfig(), seed)
        assert fine.consistent and fine.committed == 4 and not fine.blocked
    dead = run_log("sequencer", LogConfig(crashes=(Crash("r1", 0.5),)), 0)
    assert dead.consistent and dead.blocked and dead.committed == 0
    assert dead.stop_reason == "quiescent"  # nothing left that could ever log a command
    assert dead.logs == {"r1": [], "r2": [], "r3": []}


def test_sequencer_crash_between_forwarding_steps_leaves_different_prefixes():
    prefixes = set()
    for seed in range(20):
        run = run_log("sequencer", LogConfig(crashes=(Crash("r1", 1.3),)), seed)
        assert run.consistent and run.blocked
        logs = [tuple(run.logs[r]) for r in run.up]
        if len(set(logs)) > 1:
            prefixes.add(seed)
            assert all(a[:len(b)] == b or b[:len(a)] == a for a in logs for b in logs)
    assert prefixes, "the sequencer's crash never split the replicas' prefixes"


def test_two_primaries_diverge():
    runs = [run_log("multi-primary", LogConfig(), seed) for seed in range(10)]
    assert any(not r.consistent for r in runs)
    with pytest.raises(pb.UsageError, match="replicas"):
        run_log("multi-primary", LogConfig(replicas=1))


# -- Paxos keeps one log ----------------------------------------------------------------------
@pytest.mark.parametrize("strategy", PAXOS)
def test_the_example_logs_all_four_commands_in_one_order(strategy):
    run = run_log(strategy, LogConfig(), 0)
    assert run.consistent and run.committed == 4 and not run.blocked
    assert run.stop_reason == "decided"
    logs = {tuple(log) for log in run.logs.values()}
    assert len(logs) == 1 and sorted(logs.pop()) == sorted(COMMANDS)


def test_pinned_messages_per_command_one_proposer_constant_delay():
    # per-slot Paxos: 3 Prepare + 3 Promise + 3 Accept + 3 x 3 Accepted (to the proposer and
    # the two other replicas); Multi-Paxos: phase 1 once (3 + 3), then 3 Accept + 9 Accepted
    paxos, multi = run_log("paxos", SOLO, 0), run_log("multi-paxos", SOLO, 0)
    assert dict(paxos.messages_by_type) == {"Prepare": 12, "Promise": 12, "Accept": 12,
                                            "Accepted": 36}
    assert dict(multi.messages_by_type) == {"MultiPrepare": 3, "MultiPromise": 3, "Accept": 12,
                                            "Accepted": 36}
    assert dict(paxos.messages_by_phase) == {"phase 1": 24, "phase 2": 24, "learn": 24}
    assert dict(multi.messages_by_phase) == {"phase 1": 6, "phase 2": 24, "learn": 24}
    assert (paxos.time_to_commit_all, multi.time_to_commit_all) == (16.0, 10.0)
    assert paxos.logs["r1"] == multi.logs["r1"] == list(COMMANDS)


def test_pinned_multi_paxos_example():
    run = run_log("multi-paxos", LogConfig(delay="constant"), 0)
    assert dict(run.messages_by_type) == {"MultiPrepare": 3, "MultiPromise": 3, "Submit": 3,
                                          "Accept": 12, "Accepted": 36, "Ack": 3}
    assert run.logs["r1"] == ["add", "jmp", "cmp", "sub"]  # A leads: its own first


def test_leader_crash_new_leader_recovers_accepted_slots():
    # A leads and crashes after proposing in slots 0 and 1; a follower takes over when its
    # command is not acknowledged, and its phase 1 brings back what A had accepted
    run = run_log("multi-paxos", LogConfig(crashes=(Crash("A", 5.1),)), 1)
    assert run.consistent and run.committed == 4
    df = run.trace
    accepts = df[(df.event == "send") & (df.msg == "Accept")].drop_duplicates(
        ["node", "ballot", "slot"])
    by_a = dict(zip(accepts[accepts.node == "A"].slot, accepts[accepts.node == "A"].value,
                    strict=True))
    new = accepts[accepts.node != "A"]
    assert set(new.node) == {"D"} and by_a == {0: "add", 1: "jmp"}
    recovered = dict(zip(new.slot, new.value, strict=True))
    assert all(recovered[s] == v for s, v in by_a.items())  # same values, higher ballot
    assert (df[(df.event == "send") & (df.msg == "MultiPrepare")].node.unique().tolist()
            [:2] == ["A", "D"])


# -- hypothesis: random fault schedules ---------------------------------------------------------
times = st.floats(0.0, 25.0, allow_nan=False)


@st.composite
def fault_schedules(draw):
    replicas = draw(st.sampled_from((3, 5)))
    names = tuple(f"r{i}" for i in range(1, replicas + 1))
    nodes = PROPOSERS + names
    crashes = []
    for r in draw(st.lists(st.sampled_from(names), unique=True, max_size=(replicas - 1) // 2)):
        at = draw(times)
        down = draw(st.one_of(st.none(), st.floats(0.5, 30.0)))
        crashes.append(Crash(r, at, None if down is None else at + down))
    for p in draw(st.lists(st.sampled_from(PROPOSERS), unique=True, max_size=2)):
        at = draw(times)
        crashes.append(Crash(p, at, at + draw(st.floats(0.5, 30.0))))
    partitions = []
    if draw(st.booleans()):
        cut = draw(st.lists(st.sampled_from(nodes), unique=True, min_size=1, max_size=4))
        start = draw(times)
        partitions.append(Partition((tuple(cut), tuple(n for n in nodes if n not in cut)),
                                    start, start + draw(st.floats(0.5, 20.0))))
    return LogConfig(replicas=replicas, drop=draw(st.floats(0.0, 0.4)),
                     duplicate=draw(st.floats(0.0, 0.3)),
                     delay_jitter=draw(st.floats(0.0, 1.0)), crashes=tuple(crashes),
                     partitions=tuple(partitions), max_time=400.0)


SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def assert_one_log(run):
    assert not run.violations, run.violations[:3]
    applied = [run.logs[r] for r in run.replicas]
    for a in applied:  # a replica may lag behind, never disagree
        for b in applied:
            n = min(len(a), len(b))
            assert a[:n] == b[:n]


@pytest.mark.parametrize("strategy", PAXOS)
@SETTINGS
@given(config=fault_schedules(), seed=st.integers(0, 2**32))
def test_paxos_logs_are_consistent_under_any_fault_schedule(strategy, config, seed):
    assert_one_log(run_log(strategy, config, seed))


@pytest.mark.parametrize("strategy", PAXOS)
@settings(max_examples=40, deadline=None, derandomize=True)
@given(jitter=st.floats(0.0, 1.0), offset=st.floats(0.0, 2.0),
       replicas=st.sampled_from((1, 3, 5)), seed=st.integers(0, 2**32))
def test_with_only_delay_jitter_paxos_commits_all_four(strategy, jitter, offset, replicas,
                                                       seed):
    config = LogConfig(replicas=replicas, delay_jitter=jitter, start_offset=offset)
    run = run_log(strategy, config, seed)
    assert run.consistent and run.committed == 4 and not run.blocked
    assert NOOP not in run.logs["r1"]


def test_planted_p2c_bug_breaks_the_logs(monkeypatch):
    """A proposer that proposes its own value whatever the promises say (P2c ignored) lets
    two commands be chosen in one slot: the log properties must see it, per-slot Paxos and
    Multi-Paxos alike (both run the core's one Proposer)."""
    monkeypatch.setattr(Proposer, "choose_value", lambda self, promises: self.value)
    broken = [run for seed in range(4) for run in (
        run_log("paxos", LogConfig(drop=0.2), seed),
        run_log("multi-paxos", LogConfig(crashes=(Crash("A", 5.1),)), seed))]
    assert all(not run.consistent for run in broken)
    found = {v.property for run in broken for v in run.violations}
    assert found == {"log_agreement", "log_no_duplicates", "slot_safety"}
    with pytest.raises(AssertionError):
        assert_one_log(broken[0])


# -- the properties, by hand ------------------------------------------------------------------
def test_log_properties_are_declared_once_by_name():
    assert [p.name for p in LOG_PROPERTIES] == ["log_agreement", "log_validity",
                                                "log_no_duplicates", "slot_safety"]
    assert all(p.kind == "always" and p.description for p in LOG_PROPERTIES)


def test_each_log_property_can_fail():
    h = LogHistory(pb.core.QuorumSystem.majority(("r1", "r2", "r3")), proposed={"add": 0})
    h.entries = [(1, "r1", 0, "add"), (2, "r2", 0, "mov"), (3, "r1", 1, "add")]
    found = {v.property: v.events for v in check_log(h)}
    assert found == {"log_agreement": (1, 2), "log_validity": (2,),
                     "log_no_duplicates": (1, 3)}


# -- the run's figures and trace ----------------------------------------------------------------
def test_figures_of_a_blocked_run():
    run = run_log("paxos", LogConfig(crashes=(Crash("r1", 0.0), Crash("r2", 0.0)),
                                     max_time=60.0), 0)
    assert run.consistent and run.blocked and run.committed == 0
    assert run.time_to_commit_all is None and run.messages_per_command is None
    assert run.up == ("r3",) and run.stop_reason == "time"


def test_compare_runs_every_strategy_with_one_config():
    df = compare(LogConfig(replicas=1), seed=0)
    assert df.strategy.tolist() == [s.value for s in STRATEGIES]
    row = df.set_index("strategy").loc["multi-primary"]
    assert row.consistent is None and "replicas" in row.note
    assert df.set_index("strategy").loc["paxos", "committed"] == 4


def test_same_seed_same_trace_and_step_equals_run():
    a, b = run_log("paxos", LogConfig(drop=0.2), 3), run_log("paxos", LogConfig(drop=0.2), 3)
    assert a.trace_digest() == b.trace_digest()
    assert a.trace_digest() != run_log("paxos", LogConfig(drop=0.2), 4).trace_digest()
    sim = Simulator(LogConfig(drop=0.2), 3, system=system_for("paxos", LogConfig(drop=0.2)))
    while sim.step() is not None:
        pass
    assert sim.records == a.records


def test_trace_has_a_slot_per_event_and_unwraps_envelopes():
    """Catches ``row_of`` leaving the slot of a ``SlotState`` at -1 (planted and seen failing;
    the acceptor-state check here used to be ``slot >= -1``, true of every row)."""
    run = run_log("paxos", LogConfig(), 0)
    df = run.trace
    assert list(df.columns) == [*COLUMNS[:6], "round", *COLUMNS[6:]]
    msgs = df[df.event == "send"]
    slotted = msgs[msgs.slot >= 0]
    assert set(slotted.msg) == {"Prepare", "Promise", "Accept", "Accepted", "Nack"}
    assert set(msgs[msgs.slot < 0].msg) <= {"CatchUp"}  # a replica asking: no one slot
    assert (df[df.event == "start"].slot == -1).all()
    learns = df[df.event == "learn"]
    assert sorted(learns.slot.unique()) == [0, 1, 2, 3] and set(learns.node) == {"r1", "r2",
                                                                                 "r3"}
    states = df[df.event.isin(["promise", "accept"])]
    assert set(states.slot) == {0, 1, 2, 3}  # every acceptor state belongs to a slot
    assert all(type(r[4]) is Slotted for r in run.records
               if r[1] == "send" and type(r[4]).__name__ != "CatchUp")


def test_basic_paxos_traces_have_no_slot_and_old_files_still_load():
    run = pb.simulate(pb.Config(acceptors=3, proposers=2, drop=0.2), seed=1)
    assert (run.trace.slot == -1).all()
    doc = json.loads(run.to_json())
    doc["columns"] = list(COLUMNS[:-1])
    doc["events"] = [row[:-1] for row in doc["events"]]
    old = Run.from_json(json.dumps(doc))
    assert old.to_json() == run.to_json() and old.trace_digest() == run.trace_digest()


@pytest.mark.parametrize("field, value, where", [
    ("replicas", 0, "replicas"), ("commands", "A:add,B", "commands"),
    ("commands", (("A", "add"), ("B", "add")), "commands"),
    ("commands", (("r1", "add"),), "commands"), ("drop", 1.5, "drop"),
    ("crashes", (Crash("r7", 1.0),), "crashes.node"),
    ("partitions", (Partition((("A",), ("A", "r1")), 1.0, 2.0),), "partitions.groups"),
    ("step", 0, "step"), ("delay_jitter", 3.0, "delay_jitter"),
])
def test_bad_log_config_names_the_field(field, value, where):
    with pytest.raises(pb.UsageError) as err:
        LogConfig(**{field: value})
    assert err.value.field == where


def test_bad_strategy_and_seed():
    with pytest.raises(pb.UsageError, match="strategy"):
        run_log("raft")
    with pytest.raises(pb.UsageError, match="seed"):
        run_log("paxos", seed=-1)
