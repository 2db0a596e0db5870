"""``paxosbook log``: per-replica logs and the verdict; bad flags exit 2 with one line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from paxosbook.cli import main

EXAMPLE = ["--commands", "A:add,B:jmp,C:cmp,D:sub"]


def test_json_has_the_documented_fields():
    out = subprocess.run(
        [sys.executable, "-m", "paxosbook", "log", *EXAMPLE, "--strategy", "multi-paxos",
         "--replicas", "3", "--drop", "0.1", "--crash", "r1@2", "--seed", "4", "--json"],
        capture_output=True, text=True, check=True).stdout
    doc = json.loads(out)
    for key in ("logs", "consistent", "committed", "blocked", "messages",
                "messages_per_command", "time_to_commit_all", "violations"):
        assert key in doc
    assert doc["consistent"] and doc["committed"] == 4 and not doc["blocked"]
    assert set(doc["logs"]) == {"r1", "r2", "r3"}
    assert doc["logs"]["r2"] == doc["logs"]["r3"]


@pytest.mark.parametrize("strategy, consistent", [
    ("paxos", True), ("multi-paxos", True), ("sequencer", True), ("broadcast", False),
    ("multi-primary", False)])
def test_every_strategy_runs(strategy, consistent, capsys):
    assert main(["log", *EXAMPLE, "--strategy", strategy, "--seed", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["strategy"] == strategy and doc["consistent"] is consistent


def test_text_output_lists_each_replica(capsys):
    assert main(["log", "--strategy", "sequencer", "--crash", "r1@0.5", "--seed", "0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("sequencer: consistent; committed 0/4 (blocked)")
    assert [line.split()[0] for line in out[1:]] == ["r1", "r2", "r3"]
    assert "(crashed)" in out[1]


BAD_FLAGS = [
    (["--strategy", "raft"], "--strategy"), (["--replicas", "0"], "--replicas"),
    (["--replicas", "x"], "--replicas"), (["--drop", "1"], "--drop"),
    (["--crash", "r9@1"], "--crash"), (["--crash", "r1"], "--crash"),
    (["--crash", "r1@5:2"], "--crash"), (["--commands", "A:add,B"], "--commands"),
    (["--commands", "A:add,B:add"], "--commands"), (["--seed", "-1"], "--seed"),
    (["--delay", "gamma:1"], "--delay"), (["--partition", "A|r9@1:2"], "--partition"),
    (["--strategy", "multi-primary", "--replicas", "1"], "--replicas"),
]


@pytest.mark.parametrize("argv, flag", BAD_FLAGS, ids=[" ".join(a) for a, _ in BAD_FLAGS])
def test_bad_flags_exit_2_with_one_line(argv, flag, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["log", *argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and flag in err and "Traceback" not in err
