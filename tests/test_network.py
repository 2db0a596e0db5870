"""``Network``: faults, delays and limits in one validated value, shared by ``Config`` and
``LogConfig``; the simulator reads them from it."""

from __future__ import annotations

import json
import math
from dataclasses import fields

import pytest

from paxosbook import Config, Crash, Partition, Simulator, UsageError
from paxosbook.network import MAX_MESSAGES, NETWORK_FIELDS, Network
from paxosbook.replication import LogConfig, run_log
from paxosbook.replication.run import system_for

BAD_NETWORK = [
    # field, value, allowed (as the message says it), field named in the error
    ("drop", 1.0, "a number in [0, 1)", "drop"),
    ("drop", -0.1, "a number in [0, 1)", "drop"),
    ("drop", math.nan, "a number in [0, 1)", "drop"),
    ("drop", True, "a number in [0, 1)", "drop"),
    ("duplicate", 1.5, "a number in [0, 1)", "duplicate"),
    ("delay", "gamma", "one of constant, uniform, exponential", "delay"),
    ("delay_mean", 0, "a number in (0, 1e+06]", "delay_mean"),
    ("delay_jitter", 5.0, "a number in [0, 1]", "delay_jitter"),
    ("crashes", "a1@3", "a list", "crashes"),
    ("crashes", (Crash("a1", -1.0),), "a number in [0, 1e+09]", "crashes.at"),
    ("crashes", (Crash("a1", 5.0, 2.0),), "a number in (5, 1e+09]", "crashes.recover"),
    ("crashes", ({"node": "a1"},), "Crash(node, at, recover=None) entries", "crashes"),
    ("crashes", ("a1@",), "NODE@T[:RECOVER_T]", "crashes"),
    ("partitions", (Partition((("a1", "a2"),), 0.0),), "two or more disjoint groups of nodes",
     "partitions.groups"),
    ("partitions", (Partition((("a1", "a2"), ("a2",)), 0.0),),
     "two or more disjoint groups of nodes", "partitions.groups"),
    ("partitions", (Partition((("a1",), ("a2",)), 5.0, 1.0),), "a number in (5, 1e+09]",
     "partitions.end"),
    ("partitions", ("a1|a2",), "GROUP|GROUP[|...]@T1[:T2]", "partitions"),
    ("random_crashes", -1, "an integer in [0, 1000]", "random_crashes"),
    ("random_crashes", 1001, "an integer in [0, 1000]", "random_crashes"),
    ("crash_window", -1, "a number in [0, 1e+06]", "crash_window"),
    ("downtime", 0, "a number in (0, 1e+06]", "downtime"),
    ("max_time", 0, "a number in (0, 1e+09]", "max_time"),
    ("max_messages", 0, "an integer in [1, 200000] (MAX_MESSAGES", "max_messages"),
    ("max_messages", 10**9, "an integer in [1, 200000] (MAX_MESSAGES", "max_messages"),
    ("stop_when_decided", 1, "true or false", "stop_when_decided"),
]


@pytest.mark.parametrize("name, value, allowed, field", BAD_NETWORK,
                         ids=[f"{n}={v!r}" for n, v, _, _ in BAD_NETWORK])
def test_a_bad_network_field_names_field_range_and_value(
        name: str, value: object, allowed: str, field: str) -> None:
    """The same error from a ``Network``, a ``Config`` and a ``LogConfig`` (whose fields are
    the network's, flat)."""
    errors = []
    makers = [Network, Config] + ([LogConfig] if name != "stop_when_decided" else [])
    for make in makers:
        with pytest.raises(UsageError) as err:
            make(**{name: value})
        errors.append(err.value)
    assert {e.field for e in errors} == {field}
    assert all(allowed in e.allowed for e in errors)
    assert len({str(e) for e in errors}) == 1


def test_defaults_and_jitter_per_distribution() -> None:
    assert Network().delay_jitter == 0.25
    assert Network(delay="constant").delay_jitter == 0.0
    assert Network(delay="exponential", delay_mean=2.0).delay_jitter == 2.0
    with pytest.raises(UsageError, match="delay_jitter"):
        Network(delay="constant", delay_jitter=0.1)
    assert NETWORK_FIELDS == (
        "drop", "duplicate", "delay", "delay_mean", "delay_jitter", "crashes", "partitions",
        "random_crashes", "crash_window", "downtime", "max_time", "max_messages",
        "stop_when_decided")


def test_config_keeps_its_flat_fields_and_gives_its_network() -> None:
    cfg = Config(acceptors=5, drop=0.1, crashes=("a1@2:8",), delay="exponential")
    assert cfg.drop == 0.1 and cfg.crashes == (Crash("a1", 2.0, 8.0),)
    assert cfg.delay_jitter == 1.0  # filled in by the network, read back flat
    assert cfg.network == Network(drop=0.1, crashes=(Crash("a1", 2.0, 8.0),),
                                  delay="exponential")
    assert cfg.replace(drop=0.2).network.drop == 0.2
    assert Config().network == Network()


def test_saved_config_fields_are_unchanged() -> None:
    """Saved runs store ``Config.as_dict()``: the same keys, in the same order, as before
    ``Network`` existed, plus ``backoff_window`` (issue 13; a regression pin). A saved config
    without it loads with its default."""
    cfg = Config(crashes=(Crash("a1", 1.0),), partitions=("a1|a2,a3@1:2",))
    d = cfg.as_dict()
    assert list(d) == [f.name for f in fields(Config)] == [
        "acceptors", "proposers", "learners", "colocated", "values", "q1", "q2", "quorums",
        "unsafe", "drop", "duplicate", "delay", "delay_mean", "delay_jitter", "timeout",
        "backoff", "backoff_base", "backoff_window", "max_attempts", "start_offset",
        "start_times", "crashes", "partitions", "random_crashes", "crash_window", "downtime",
        "max_time", "max_messages", "stop_when_decided", "mutants"]
    assert d["crashes"] == [{"node": "a1", "at": 1.0, "recover": None}]
    assert d["partitions"] == [{"groups": [["a1"], ["a2", "a3"]], "start": 1.0, "end": 2.0}]
    assert Config.from_dict(json.loads(json.dumps(d))) == cfg
    del d["backoff_window"]
    assert Config.from_dict(d) == cfg


def test_log_config_has_a_network_and_no_basic_paxos_config() -> None:
    cfg = LogConfig(drop=0.2, crashes=("r1@1:4",), partitions=("A,r1|r2,r3@0:2",))
    assert isinstance(cfg.network, Network)
    assert cfg.network.max_messages == MAX_MESSAGES and cfg.network.stop_when_decided
    assert cfg.network.crashes == (Crash("r1", 1.0, 4.0),) == cfg.crashes
    assert not any(isinstance(v, Config) for v in vars(cfg).values())


@pytest.mark.parametrize("name, value", [("timeout", 0), ("backoff", "wild"),
                                         ("backoff_base", -1), ("step", 0)])
def test_log_config_checks_its_own_proposer_fields(name: str, value: object) -> None:
    with pytest.raises(UsageError) as err:
        LogConfig(**{name: value})
    assert err.value.field == name


@pytest.mark.parametrize("make, system", [(Config, "cluster"), (LogConfig, "system")])
def test_faults_must_name_nodes_of_the_deployment(make: type, system: str) -> None:
    for faults in ({"crashes": ("zz@1",)}, {"partitions": ("zz|r1@1",)}):
        with pytest.raises(UsageError) as err:
            make(**faults)
        assert err.value.given == "zz" and f"a node of this {system}" in err.value.allowed


def test_the_simulator_reads_the_network() -> None:
    cfg = Config(proposers=2, drop=0.3)
    sim = Simulator(cfg, 1)
    assert sim.network is cfg.network
    log = LogConfig(drop=0.2)
    assert Simulator(log, 3, system=system_for("paxos", log)).network is log.network
    with pytest.raises(UsageError, match="system"):
        Simulator(log, 3)


def test_runs_suffer_the_network_faults() -> None:
    """Crashes and partitions come from the network, for Basic Paxos and for logs alike."""
    from paxosbook.trace import CRASH, PARTITION_START, RECOVER

    run = Simulator(Config(crashes=("a1@0.5:3",), partitions=("a2|a3@0:1",)), 0).run()
    events = [(r[1], r[2] or r[7]) for r in run.records if r[1] in (CRASH, RECOVER,
                                                                    PARTITION_START)]
    assert events == [(PARTITION_START, "a2|a3"), (CRASH, "a1"), (RECOVER, "a1")]
    log = run_log("sequencer", LogConfig(crashes=("r1@0.5",)), 0)
    assert [(r[1], r[2]) for r in log.records if r[1] == CRASH] == [(CRASH, "r1")]
