"""Bad input: every config field and CLI flag out of range gives the documented error."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from paxosbook import Config, Crash, FormatError, Network, Partition, Run, UsageError, simulate
from paxosbook.cli import main
from paxosbook.experiments import sweep
from paxosbook.replication import LogConfig

BAD_CONFIG = [
    ("acceptors", 0), ("acceptors", 100), ("acceptors", 2.5), ("proposers", 0),
    ("proposers", 27), ("learners", 0), ("colocated", "yes"), ("values", ("a", "b")),
    ("q1", 9), ("q2", -1), ("quorums", (("a1", "zz"),)), ("drop", 1.0), ("drop", -0.1),
    ("drop", float("nan")), ("duplicate", 1.5), ("delay", "gamma"), ("delay_mean", 0),
    ("delay_jitter", 5.0), ("timeout", 0), ("backoff", "random"), ("backoff_base", -1),
    ("backoff_window", 0), ("backoff_window", 1.5), ("max_attempts", -1), ("start_offset", -1),
    ("start_times", (1.0, 2.0)),
    ("crashes", (Crash("zz", 1.0),)), ("crashes", (Crash("a1", 5.0, 2.0),)),
    ("partitions", (Partition((("a1",), ("zz",)), 0.0),)),
    ("partitions", (Partition((("a1", "a2"),), 0.0),)),
    ("partitions", (Partition((("a1",), ("a2",)), 5.0, 1.0),)),
    ("partitions", (Partition(((), ()), 1.0),)), ("partitions", (Partition((("a1",), ()), 1.0),)),
    ("crashes", ("a1@1:10", "a1@2:3")),
    ("random_crashes", -1), ("downtime", 0), ("max_time", 0), ("max_messages", 0),
    ("mutants", ("gremlins",)), ("unsafe", 1), ("crashes", "a1@3"),
]


@pytest.mark.parametrize("field, value", BAD_CONFIG, ids=[f"{f}={v!r}" for f, v in BAD_CONFIG])
def test_config_field_errors_name_field_range_and_value(field, value):
    with pytest.raises(UsageError) as err:
        Config(**{field: value})
    assert err.value.field.split(".")[0] == field
    assert err.value.allowed and "got" in str(err.value)


def test_constant_delay_rejects_jitter_and_defaults_are_per_distribution():
    assert Config(delay="constant").delay_jitter == 0.0
    assert Config(delay="exponential", delay_mean=2.0).delay_jitter == 2.0
    with pytest.raises(UsageError, match="delay_jitter"):
        Config(delay="constant", delay_jitter=0.1)


def test_seed_is_validated():
    with pytest.raises(UsageError, match="seed"):
        simulate(Config(), seed=-3)


def test_config_dict_round_trip_and_unknown_fields():
    cfg = Config(acceptors=5, proposers=2, crashes=(Crash("a1", 1.0, 2.0),),
                 partitions=(Partition((("a1", "a2"), ("a3", "a4", "a5")), 1.0, 3.0),))
    assert Config.from_dict(json.loads(json.dumps(cfg.as_dict()))) == cfg
    with pytest.raises(UsageError, match="fields from"):
        Config.from_dict({"acceptorz": 3})


BAD_FLAGS = [
    (["--drop", "1.5"], "--drop"), (["--drop", "x"], "--drop"),
    (["--trace", "/nonexistent/dir/run.json"], "--trace: must be a writable file path"),
    (["--acceptors", "0"], "--acceptors"),
    (["--proposers", "99"], "--proposers"), (["--duplicate", "2"], "--duplicate"),
    (["--delay", "gamma:1"], "--delay"), (["--delay", "exp:-1"], "--delay"),
    (["--crash", "zz@1"], "--crash"), (["--crash", "a1"], "--crash"),
    (["--crash", "a1@5:2"], "--crash"), (["--partition", "a1|a2"], "--partition"),
    (["--partition", "a1|zz@1"], "--partition"), (["--timeout", "0"], "--timeout"),
    (["--backoff", "wild"], "--backoff"), (["--backoff", "fixed:x"], "--backoff"),
    (["--backoff", "discrete:1:x"], "--backoff"), (["--backoff", "discrete:1:0"], "--backoff"),
    (["--backoff", "exponential:1:4"], "--backoff"),
    (["--q1", "1", "--q2", "1"], "--quorums"), (["--quorums", "a1+,"], "--quorums"),
    (["--mutant", "gremlins"], "--mutant"), (["--seed", "-1"], "--seed"),
    (["--max-messages", "0"], "--max-messages"), (["--values", "x,y"], "--values"),
]


@pytest.mark.parametrize("argv, flag", BAD_FLAGS, ids=[" ".join(a) for a, _ in BAD_FLAGS])
def test_cli_bad_flags_exit_2_with_one_line(argv, flag, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", *argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and flag in err and "Traceback" not in err


def test_cli_json_has_the_documented_fields():
    out = subprocess.run(
        [sys.executable, "-m", "paxosbook", "run", "--acceptors", "5", "--proposers", "2",
         "--drop", "0.1", "--duplicate", "0.05", "--delay", "exp:1.0", "--seed", "7",
         "--crash", "a1@2:9", "--partition", "a1,a2,p1|a3,a4,a5,p2@1:6", "--json"],
        capture_output=True, text=True, check=True).stdout
    doc = json.loads(out)
    for key in ("decided", "value", "time_to_decision", "ballots", "messages_sent",
                "messages_delivered", "messages_dropped", "violations", "unsafe",
                "trace_digest"):
        assert key in doc
    assert doc["violations"] == [] and doc["decided"]


def test_cli_trace_file_round_trips_through_show(tmp_path, capsys):
    path = tmp_path / "run.json"
    assert main(["run", "--proposers", "2", "--seed", "3", "--trace", str(path)]) == 0
    capsys.readouterr()
    assert main(["show", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reproduced"] is True
    path.write_text("{}")
    with pytest.raises(SystemExit) as exit_:
        main(["show", str(path)])
    assert exit_.value.code == 2


# -- derived defaults follow the fields they derive from ------------------------------------
@pytest.mark.parametrize("make", [Config, LogConfig, Network], ids=lambda m: m.__name__)
@pytest.mark.parametrize("changes", [{"delay_mean": 10.0}, {"delay": "constant"},
                                     {"delay": "exponential", "delay_mean": 3.0}])
def test_replace_derives_the_jitter_again(make, changes):
    """The bug: ``replace`` kept a jitter derived from the old ``delay_mean``/``delay``."""
    assert make().replace(**changes) == make(**changes)
    assert make().replace(**changes).delay_jitter == make(**changes).delay_jitter


def test_a_jitter_given_is_kept_and_a_saved_config_derives_again():
    assert Config(delay_jitter=0.1).replace(delay_mean=10.0).delay_jitter == 0.1
    loaded = Config.from_dict(json.loads(json.dumps(Config(delay_mean=3.0).as_dict())))
    assert loaded.replace(delay_mean=10.0).delay_jitter == 2.5
    assert Config(delay_mean=3.0).as_dict()["delay_jitter"] is None  # "derived", not 0.75


def test_a_run_saved_with_its_jitter_written_out_reproduces_byte_for_byte():
    """Files saved before derived fields were stored as null carry the number itself."""
    run = simulate(Config(proposers=2, drop=0.2), 3)
    doc = json.loads(run.to_json())
    doc["config"]["delay_jitter"] = 0.25
    old = json.dumps(doc, ensure_ascii=False)
    loaded = Run.from_json(old)
    assert loaded.to_json() == old and loaded.config == run.config
    assert simulate(loaded.config, 3).trace_digest() == run.trace_digest()


def test_sweep_over_delay_mean_runs_what_the_config_runs():
    rows = sweep({"delay_mean": [10.0]}, 2, ["trace_digest"], executor="local", progress=False)
    assert rows["trace_digest"].tolist() == [
        simulate(Config(delay_mean=10.0), s).trace_digest() for s in range(2)]


def test_cli_sweep_over_delay_distributions_runs(capsys):
    """It exited 2 naming --delay-jitter: the uniform default 0.25 kept for constant."""
    assert main(["sweep", "--grid", "delay=constant,uniform,exponential", "--seeds", "1",
                 "--executor", "local", "--no-progress"]) == 0
    assert capsys.readouterr().out.count("\n") == 4  # header and three rows


# -- a value of the wrong type is a UsageError naming its field -----------------------------
WRONG_TYPES = {  # by the field's annotation: values of another type
    "int": [None, "3", 2.5, [1], True],
    "float": [None, "1.0", [1.0], True, {"x": 1.0}],
    "float | None": ["1.0", [1.0], True],  # None: derived
    "bool": [None, "yes", 1, [True]],
    "str": [None, 3, ["uniform"], True],
    "tuple": [None, 3, True, {"a": 1}, [None], [[None]]],
}


def wrong_type_cases() -> list[tuple[type, str, object]]:
    cases = []
    for make in (Config, LogConfig, Network):
        for f in dataclasses.fields(make):
            kind = "tuple" if str(f.type).startswith("tuple") else str(f.type)
            cases.extend((make, f.name, v) for v in WRONG_TYPES[kind])
    return cases


@pytest.mark.parametrize("make, name, value", wrong_type_cases(),
                         ids=[f"{m.__name__}.{n}={v!r}" for m, n, v in wrong_type_cases()])
def test_a_wrong_type_names_its_field(make, name, value):
    """``quorums=[None]`` raised TypeError, ``values={"a": 1}`` took the dict's keys,
    ``commands=[["A", 3]]`` logged "3"."""
    with pytest.raises(UsageError) as err:
        make(**{name: value})
    assert err.value.field.split(".")[0] == name


def test_replace_with_an_unknown_field_names_it():
    with pytest.raises(UsageError, match="acceptorz"):
        Config().replace(acceptorz=3)
    with pytest.raises(UsageError, match="acceptors"):
        LogConfig().replace(acceptors=3)


def test_cli_says_why_a_run_with_tied_timers_never_decides(capsys):
    assert main(["run", "--delay", "const:1", "--timeout", "2"]) == 0
    head, note = capsys.readouterr().out.splitlines()
    assert head.startswith("no decision, stopped at the time limit (max_time); 14 ballot(s)")
    assert note == ("  14 phase timeout(s) fired at the very instant a reply arrived: of a "
                    "timer and a message due at the same time, the one scheduled first (the "
                    "timer) runs first")


# -- bounded work -----------------------------------------------------------------------------
def test_max_messages_has_a_limit_that_names_itself(capsys):
    """1e9 was accepted, though a million messages take 1.7 GB with the trace."""
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--max-messages", str(10**9)])
    line = capsys.readouterr().err
    assert exit_.value.code == 2 and line == (
        "paxosbook run: --max-messages: must be an integer in [1, 200000] (MAX_MESSAGES: a run "
        "keeps every event, about 350 MB at the limit); got 1000000000\n")
    doc = json.loads(simulate(Config(), 0).to_json())
    doc["config"].update(timeout=1e-4, proposers=5, max_messages=10**9)  # an edited saved run
    with pytest.raises(FormatError, match="max_messages: must be an integer in"):
        Run.from_json(json.dumps(doc))


def test_a_tiny_timeout_is_bounded_by_the_message_limit():
    """Every phase timeout leads to a retry that sends, so timers cannot outrun messages: the
    run stops at max_messages with a few events per message, however small the timeout."""
    run = simulate(Config(proposers=5, timeout=1e-9, max_messages=2000, max_time=1e9), 0)
    sent = run.summary().messages_sent
    assert run.stop_reason == "messages" and 2000 <= sent < 2000 + 5  # the last event's sends
    timers = sum(1 for r in run.records if r[1] == "timer")
    assert timers <= sent and len(run.records) <= 4 * sent
