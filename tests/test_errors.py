"""One error family: every error a user can cause is a ``PaxosbookError``, with one clear line
naming the field, the allowed form and the value given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from paxosbook import Ballot, Config, Mutant, PaxosbookError, Run, UsageError, simulate
from paxosbook.commands.args import FlagError, number, parse_delay, parse_quorums
from paxosbook.core.errors import FormatError, MissingFileError
from paxosbook.experiments.store import load
from paxosbook.replication import LogConfig, Strategy, parse_commands, run_log

MISUSES: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    # id, the misuse, the builtin kind it also is, a fragment of the one-line message
    ("ballot", lambda: Ballot.parse("x.1"), ValueError, "ballot: must be ROUND.PROPOSER"),
    ("ballot-no-dot", lambda: Ballot.parse("3"), ValueError, "got '3'"),
    ("mutant", lambda: Mutant.parse(("typo",)), ValueError,
     "mutants: must be names from ignore-promised-value, "),
    ("config", lambda: Config(drop=2.0), ValueError, "drop: must be a number in [0, 1)"),
    ("log-config", lambda: LogConfig(replicas=0), ValueError, "replicas: must be an integer"),
    ("strategy", lambda: Strategy.parse("raft"), ValueError, "strategy: must be one of"),
    ("commands", lambda: parse_commands("A:add,B"), ValueError, "commands: must be"),
    ("seed", lambda: simulate(Config(), seed=-1), ValueError, "seed: must be an integer"),
    ("flag-number", lambda: number("--drop", "x"), ValueError, "--drop: must be a number"),
    ("flag-delay", lambda: parse_delay("gamma:1"), ValueError, "--delay: must be const:MEAN"),
    ("flag-quorums", lambda: parse_quorums("a1+,"), ValueError, "--quorums: must be"),
    ("results-file", lambda: load("/nonexistent/results.csv"), FileNotFoundError,
     "path: must be an existing results file; got '/nonexistent/results.csv'"),
    ("saved-run", lambda: Run.from_json("{}"), ValueError, "schema: must be"),
    # type errors that leaked as TypeError / AttributeError or were taken silently
    ("ballot-non-ascii-digit", lambda: Ballot.parse("\u0661.1"), ValueError,
     "ballot: must be ROUND.PROPOSER"),
    ("ballot-too-long", lambda: Ballot.parse("9" * 5000 + ".1"), ValueError, "at most 18"),
    ("quorum-none", lambda: Config.from_dict({"quorums": [None]}), ValueError,
     "quorums: must be a list; got None"),
    ("quorum-member", lambda: Config(quorums=[["a1", None]]), ValueError,
     "quorums: must be node names (strings); got None"),
    ("crash-node-list", lambda: Config(crashes=[{"node": ["a1"], "at": 1}]), ValueError,
     "crashes.node: must be node names (strings); got ['a1']"),
    ("simulate-dict", lambda: simulate({"acceptors": 3}), ValueError,  # type: ignore[arg-type]
     "config: must be a Config (Config(acceptors=3, ...), or Config.from_dict for a dict of "
     "fields) or a LogConfig; got 'dict'"),
    ("run-log-dict", lambda: run_log("paxos", {"replicas": 3}), ValueError,  # type: ignore[arg-type]
     "config: must be a LogConfig"),
    ("log-commands-int", lambda: LogConfig(commands=[("A", 1)]), ValueError,
     "commands: must be (proposer, command) pairs of strings; got [('A', 1)]"),
]


@pytest.mark.parametrize("make, kind, message", [m[1:] for m in MISUSES],
                         ids=[m[0] for m in MISUSES])
def test_every_user_error_is_a_paxosbook_error_with_one_line(
        make: Callable[[], Any], kind: type[Exception], message: str) -> None:
    with pytest.raises(PaxosbookError) as err:
        make()
    assert isinstance(err.value, kind)  # callers that catch the builtin kind still do
    text = str(err.value)
    assert message in text and "\n" not in text


def test_kinds_of_error() -> None:
    assert issubclass(FlagError, UsageError) and issubclass(UsageError, PaxosbookError)
    assert issubclass(FormatError, PaxosbookError) and issubclass(MissingFileError, UsageError)
    flag = FlagError("--crash", "NODE@T[:RECOVER_T]", "a1")
    assert (flag.field, flag.allowed, flag.given) == ("--crash", "NODE@T[:RECOVER_T]", "a1")
    assert str(flag) == "--crash: must be NODE@T[:RECOVER_T]; got 'a1'"


def test_mutant_parse_names_every_mutant_and_accepts_one_name() -> None:
    with pytest.raises(UsageError) as err:
        Mutant.parse(("reuse-ballot", "gremlins"))
    assert err.value.field == "mutants" and err.value.given == "gremlins"
    assert all(m.value in err.value.allowed for m in Mutant)
    assert Mutant.parse("reuse-ballot") == {Mutant.REUSE_BALLOT}
    assert Mutant.parse(iter(["reuse-ballot", "accept-below-promise"])) == {
        Mutant.REUSE_BALLOT, Mutant.ACCEPT_BELOW_PROMISE}
