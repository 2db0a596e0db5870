"""One text form each for crashes and partitions: ``Crash.parse`` / ``Partition.parse`` and
their ``str``, accepted or refused with the same message by the command line, the explorer and
the JSON loader."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paxosbook import Config, Crash, FormatError, Partition, Run, UsageError
from paxosbook.cli import main
from paxosbook.network import CRASH_FORM, PARTITION_FORM
from paxosbook.widgets import Explorer

CRASHES = [
    # text, the crash, its canonical text (str)
    ("a1@2", Crash("a1", 2.0), "a1@2"),
    ("a1@2:", Crash("a1", 2.0), "a1@2"),  # never recovers, like a1@2
    ("a1@2:8", Crash("a1", 2.0, 8.0), "a1@2:8"),
    (" p2@0.5:1.25 ", Crash("p2", 0.5, 1.25), "p2@0.5:1.25"),
    ("n10@1e-3:0.1", Crash("n10", 0.001, 0.1), "n10@0.001:0.1"),
]
PARTITIONS = [
    ("a1,p1|a2,a3@1:6", Partition((("a1", "p1"), ("a2", "a3")), 1.0, 6.0), "a1,p1|a2,a3@1:6"),
    ("a1|a2|a3@0", Partition((("a1",), ("a2",), ("a3",)), 0.0), "a1|a2|a3@0"),
    ("a1|a2,a3@2.5:", Partition((("a1",), ("a2", "a3")), 2.5), "a1|a2,a3@2.5"),
]
BAD_CRASHES = ["a1", "@2", "a1@", "a1@:3", "a1@x:3", "a,1@2", "a1@2:3:4", "a1@2;a2@3"]
BAD_PARTITIONS = ["a1,a2@1:2", "a1|@1", "|@1", "a1|a2", "a1|a2@x", "a1,|a2@1", "a1|a2@1:2:3"]


@pytest.mark.parametrize("text, crash, canonical", CRASHES)
def test_crash_parse_and_str_are_inverses(text: str, crash: Crash, canonical: str) -> None:
    assert Crash.parse(text) == crash
    assert str(crash) == canonical and Crash.parse(canonical) == crash


@pytest.mark.parametrize("text, partition, canonical", PARTITIONS)
def test_partition_parse_and_str_are_inverses(text: str, partition: Partition,
                                              canonical: str) -> None:
    assert Partition.parse(text) == partition
    assert str(partition) == canonical and Partition.parse(canonical) == partition


NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,4}", fullmatch=True)
TIMES = st.floats(min_value=0.0, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(NAMES, TIMES, st.none() | TIMES)
def test_every_crash_survives_str_then_parse(node: str, at: float, recover: float | None) -> None:
    crash = Crash(node, at, recover)
    assert Crash.parse(str(crash)) == crash


@given(st.lists(st.lists(NAMES, min_size=1, max_size=3), min_size=2, max_size=4), TIMES,
       st.none() | TIMES)
def test_every_partition_survives_str_then_parse(groups: list[list[str]], start: float,
                                                 end: float | None) -> None:
    p = Partition(tuple(tuple(g) for g in groups), start, end)
    assert Partition.parse(str(p)) == p


# -- the same text, the same verdict, everywhere ---------------------------------------------
def cli_error(capsys: pytest.CaptureFixture[str], flag: str, text: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(["run", flag, text])
    assert exit_.value.code == 2
    return capsys.readouterr().err


def explorer_error(field: str, text: str) -> str:
    ex = Explorer(acceptors=3, proposers=2)
    assert ex.message.value == ""
    ex.set(**{field: text})
    return html.unescape(ex.message.value)


def json_error(field: str, text: str) -> str:
    doc = json.loads(Run(Config(), 0, []).to_json())
    doc["config"][field] = [text]
    with pytest.raises(UsageError):  # Config.from_dict directly ...
        Config.from_dict(doc["config"])
    with pytest.raises(FormatError) as err:  # ... and through a saved run
        Run.from_json(json.dumps(doc))
    return str(err.value)


@pytest.mark.parametrize("flag, field, form, text",
                         [("--crash", "crashes", CRASH_FORM, t) for t in BAD_CRASHES]
                         + [("--partition", "partitions", PARTITION_FORM, t)
                            for t in BAD_PARTITIONS])
def test_bad_text_is_refused_with_the_same_message_everywhere(
        capsys: pytest.CaptureFixture[str], flag: str, field: str, form: str,
        text: str) -> None:
    parse = Crash.parse if field == "crashes" else Partition.parse
    with pytest.raises(UsageError) as err:
        parse(text)
    assert (err.value.field, err.value.allowed, err.value.given) == (field, form, text)
    reason = f"must be {form}; got {text!r}"
    cli = cli_error(capsys, flag, text)
    assert cli == f"paxosbook run: {flag}: {reason}\n"
    if ";" not in text:  # in a text box ";" separates entries
        assert f"{field}: {reason}" in explorer_error(field, text)
    assert f"{field}: {reason}" in json_error(field, text)


@pytest.mark.parametrize("flag, field, text, value", [
    ("--crash", "crashes", "a1@2:", Crash("a1", 2.0)),
    ("--partition", "partitions", "a1|a2,a3@1:", Partition((("a1",), ("a2", "a3")), 1.0))])
def test_never_recovers_is_accepted_everywhere(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, flag: str, field: str, text: str,
        value: Crash | Partition) -> None:
    saved = tmp_path / "run.json"
    assert main(["run", "--proposers", "2", flag, text, "--trace", str(saved)]) == 0
    assert getattr(Run.from_json(saved.read_text()).config, field) == (value,)
    ex = Explorer(acceptors=3, proposers=2)
    ex.set(**{field: text})
    assert ex.message.value == "" and getattr(ex.config, field) == (value,)
    doc = Config().as_dict()
    doc[field] = [text]
    assert getattr(Config.from_dict(doc), field) == (value,)


OVERLAPPING = [("a1@1:10", "a1@2:3"), ("a1@2:3", "a1@1:10"), ("a1@1", "a1@5:6"),
               ("a1@1:3", "a1@3:5")]


@pytest.mark.parametrize("first, then", OVERLAPPING)
def test_overlapping_crash_windows_are_refused_everywhere(
        capsys: pytest.CaptureFixture[str], first: str, then: str) -> None:
    """They were accepted, and a node down twice at once did what the heap order made of it."""
    early, late = sorted((first, then), key=lambda t: Crash.parse(t).at)
    given = f"'{early} and {late}'"
    with pytest.raises(UsageError) as err:
        Config(crashes=(first, then))
    assert err.value.field == "crashes" and repr(err.value.given) == given
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--crash", first, "--crash", then])
    line = capsys.readouterr().err
    assert exit_.value.code == 2 and line.startswith("paxosbook run: --crash: must be crash "
                                                     "windows of one node that neither")
    assert line.endswith(f"got {given}\n") and line.count("\n") == 1
    assert "crashes: must be crash windows" in explorer_error("crashes", f"{first}; {then}")
    doc = Config().as_dict()
    doc["crashes"] = [first, then]
    with pytest.raises(FormatError, match="crash windows"):
        Run.from_json(json.dumps({**json.loads(Run(Config(), 0, []).to_json()), "config": doc}))
    assert Config(crashes=("a1@1:3", "a1@4:5", "a2@2")).crashes  # apart, or other nodes: fine
