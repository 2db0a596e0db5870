"""``paxosbook show FILE``: bad files are one line and exit 2; a run reproduces only when a new
run gives exactly the rows the file stores; a checker's counterexample is replayed through the
checker's model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from paxosbook import FormatError
from paxosbook.check import build_model
from paxosbook.check.model import Counterexample
from paxosbook.check.replay import CHECKER, checker_document, replay
from paxosbook.cli import main
from paxosbook.trace import MAX_RUN_BYTES, Run, parse_document, stored_digest


def show(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, str, str]:
    try:
        code = main(["show", str(path)])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A run saved by ``run --trace`` (two proposers, seed 3), as a parsed document."""
    path = tmp_path_factory.mktemp("saved") / "run.json"
    assert main(["run", "--proposers", "2", "--seed", "3", "--trace", str(path)]) == 0
    return json.loads(path.read_text())


def _edited(doc: dict[str, Any], key: str, value: Any) -> bytes:
    return json.dumps({**doc, key: value}).encode()


def _without(doc: dict[str, Any], key: str) -> bytes:
    return json.dumps({k: v for k, v in doc.items() if k != key}).encode()


def _row_edited(doc: dict[str, Any], i: int, j: int, value: Any) -> bytes:
    events = [list(r) for r in doc["events"]]
    events[i][j] = value
    return _edited(doc, "events", events)


BAD_FILES = [
    ("seed 2**63", lambda d: _edited(d, "seed", 2**63),
     "seed: must be an integer in [0, 2**63); got 9223372036854775808"),
    ("seed negative", lambda d: _edited(d, "seed", -1), "seed: must be an integer"),
    ("seed text", lambda d: _edited(d, "seed", "3"), "got '3'"),
    ("seed float", lambda d: _edited(d, "seed", 3.0), "got 3.0"),
    ("not UTF-8", lambda d: b'{"schema": "\xff"}', "encoding: must be UTF-8 text; got byte 0xff"),
    ("nested arrays", lambda d: b"[" * 100_000, "nested too deeply"),
    ("nested objects", lambda d: b'{"a":' * 100_000, "nested too deeply"),
    ("truncated", lambda d: json.dumps(d).encode()[:300], "not a JSON document"),
    ("not an object", lambda d: b"[1, 2]", "must be a JSON object; got a JSON array"),
    ("no seed", lambda d: _without(d, "seed"), "seed: must be an integer in [0, 2**63); got "
                                               "nothing (the key is missing)"),
    ("no config", lambda d: _without(d, "config"), "config: must be an object"),
    ("no events", lambda d: _without(d, "events"), "events: must be a list of rows; got nothing"),
    ("config a list", lambda d: _edited(d, "config", [3]), "config: must be an object"),
    ("config field", lambda d: _edited(d, "config", {**d["config"], "drop": 3}),
     "config.drop: must be a number in [0, 1); got 3"),
    ("row a string", lambda d: _row_edited(d, 3, 0, "soon"), "events[3].time: must be of type"),
    ("row id text", lambda d: _row_edited(d, 2, 8, "7"), "events[2].msg_id: must be of type "
                                                         "integer; got '7'"),
]


@pytest.mark.parametrize("make, fragment", [b[1:] for b in BAD_FILES],
                         ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_one_line_naming_the_field_and_exit_2(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, saved: dict[str, Any], make: Any,
        fragment: str) -> None:
    """Before: the seed reached the simulator's own check, the bytes the UTF-8 decoder and the
    nesting the JSON parser, each a traceback."""
    path = tmp_path / "bad.json"
    path.write_bytes(make(saved))
    code, out, err = show(capsys, path)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith(f"paxosbook show: {path}: ")
    assert fragment in err


def test_a_file_over_the_size_limit_is_refused_unread(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:  # sparse: 4 GiB that take no disk and must not be read
        fh.truncate(4 * 2**30)
    code, _, err = show(capsys, path)
    assert code == 2 and err.count("\n") == 1
    assert f"size: must be at most {MAX_RUN_BYTES} bytes (MAX_RUN_BYTES, 64 MiB); " \
           f"got {4 * 2**30} bytes" in err


def test_text_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch,
                                             saved: dict[str, Any]) -> None:
    text = json.dumps(saved)
    monkeypatch.setattr("paxosbook.trace.MAX_RUN_BYTES", len(text) - 1)
    for given in (text, text.encode()):
        with pytest.raises(FormatError, match=f"size: .*got {len(text)} bytes"):
            Run.from_json(given)


def test_the_command_line_prints_no_traceback(tmp_path: Path, saved: dict[str, Any]) -> None:
    path = tmp_path / "seed.json"
    path.write_bytes(_edited(saved, "seed", 2**64))
    done = subprocess.run([sys.executable, "-m", "paxosbook", "show", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "seed: must be an integer in [0, 2**63)" in done.stderr


# -- an edited row is not reproduced ---------------------------------------------------------
def _first_prepare(doc: dict[str, Any]) -> int:
    return next(i for i, r in enumerate(doc["events"]) if r[1] == "send" and r[4] == "Prepare")


EDITS = [("ballot", 5, "1.2"), ("receiver", 3, "a2"), ("time", 0, 0.5),
         ("value", 6, "zz"), ("ref_ballot", 7, "1.1"), ("slot", 11, 4)]


@pytest.mark.parametrize("field, column, value", EDITS, ids=[e[0] for e in EDITS])
def test_an_edited_prepare_is_not_reproduced(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path, saved: dict[str, Any], field: str,
                                             column: int, value: Any) -> None:
    """Before: a Prepare's value, ref_ballot and slot were dropped on loading, so the run
    rebuilt from the file matched the simulation and ``show`` said "identical"."""
    i = _first_prepare(saved)
    assert saved["events"][i][column] != value
    path = tmp_path / "edited.json"
    path.write_bytes(_row_edited(saved, i, column, value))
    code, out, err = show(capsys, path)
    assert (code, err) == (1, "")
    assert out.splitlines()[-1] == "reproduced: NO, the trace differs"


def test_the_untouched_file_is_reproduced(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          saved: dict[str, Any]) -> None:
    path = tmp_path / "same.json"
    path.write_text(json.dumps(saved))
    code, out, _ = show(capsys, path)
    assert code == 0 and out.splitlines()[-1] == "reproduced: yes, identical trace"


def test_the_stored_digest_of_an_untouched_file_is_the_runs_digest(
        saved: dict[str, Any]) -> None:
    """Also for a file saved before the slot column (11 fields a row)."""
    run = Run.from_json(json.dumps(saved))
    assert stored_digest(saved) == run.trace_digest()
    legacy = {**saved, "columns": saved["columns"][:-1],
              "events": [r[:-1] for r in saved["events"]]}
    assert stored_digest(parse_document(json.dumps(legacy))) == run.trace_digest()


# -- counterexamples of the model checker ---------------------------------------------------
CHECKS = [("actors", ["--model", "actors", "--mutant", "ignore-promised-value", "--symmetry"]),
          ("tla", ["--model", "tla", "--mutant", "non-intersecting-quorums"])]


@pytest.fixture(scope="module", params=CHECKS, ids=[c[0] for c in CHECKS])
def counterexample(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("check") / "cex.json"
    assert main(["check", *request.param[1], "--trace", str(path)]) == 1
    return json.loads(path.read_text())


def test_a_counterexample_says_which_model_found_it(counterexample: dict[str, Any]) -> None:
    block = counterexample[CHECKER]
    assert block["model"] in ("actors", "tla") and block["parameters"]["mutant"]
    assert block["invariants"] and len(block["actions"]) >= 4
    assert Run.from_json(json.dumps(counterexample)).violations or block["model"] == "tla"


def test_a_counterexample_is_replayed_through_the_checkers_model(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        counterexample: dict[str, Any]) -> None:
    """Before: ``show`` re-simulated the deployment with seed 0 and said "NO", exit 1."""
    path = tmp_path / "cex.json"
    path.write_text(json.dumps(counterexample))
    code, out, err = show(capsys, path)
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "reproduced: yes, identical trace"


def _deliver_of_a_prepare(doc: dict[str, Any]) -> int:
    return next(i for i, r in enumerate(doc["events"])
                if r[1] == "deliver" and r[4] == "Prepare")


CEX_EDITS = [
    ("ballot", lambda d: _row_edited(d, _deliver_of_a_prepare(d), 5, "7.1")),
    ("time", lambda d: _row_edited(d, _deliver_of_a_prepare(d), 0, 99.0)),
    ("a row less", lambda d: _edited(d, "events", d["events"][:-1])),
    ("an action", lambda d: _edited(d, CHECKER, {**d[CHECKER],
                                                 "actions": d[CHECKER]["actions"][:-1]})),
    ("the invariant", lambda d: _edited(d, CHECKER, {**d[CHECKER], "invariants": ["validity"]})),
]


@pytest.mark.parametrize("make", [e[1] for e in CEX_EDITS], ids=[e[0] for e in CEX_EDITS])
def test_an_edited_counterexample_is_not_reproduced(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, counterexample: dict[str, Any],
        make: Any) -> None:
    path = tmp_path / "cex.json"
    path.write_bytes(make(counterexample))
    code, out, err = show(capsys, path)
    assert (code, err) == (1, "")
    assert out.splitlines()[-1] == "reproduced: NO, the trace differs"


def test_a_counterexample_saved_without_its_model_is_not_called_different(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        counterexample: dict[str, Any]) -> None:
    """Files saved before the ``checker`` key still load; ``show`` says it cannot tell."""
    path = tmp_path / "old.json"
    path.write_bytes(_without(counterexample, CHECKER))
    code, out, _ = show(capsys, path)
    assert code == 1 and out.splitlines()[-1].startswith("reproduced: cannot tell")


BAD_BLOCKS = [
    ("model", "z3", "checker.model: must be one of tla, actors; got 'z3'"),
    ("parameters", {"speed": 1}, "checker.parameters: must be an object with keys from"),
    ("actions", "Phase1a(1)", "checker.actions: must be a list of strings"),
    ("reductions_off", ["magic"], "checker.reductions_off: must be names from"),
]


@pytest.mark.parametrize("key, value, fragment", BAD_BLOCKS, ids=[b[0] for b in BAD_BLOCKS])
def test_a_malformed_checker_block_is_one_line_and_exit_2(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, counterexample: dict[str, Any],
        key: str, value: Any, fragment: str) -> None:
    path = tmp_path / "cex.json"
    path.write_bytes(_edited(counterexample, CHECKER, {**counterexample[CHECKER], key: value}))
    code, _, err = show(capsys, path)
    assert code == 2 and err.count("\n") == 1 and fragment in err


def test_a_step_that_fits_several_actions_is_told_apart_by_its_events() -> None:
    """Phase2a(0, v1) after three promises has one action per quorum, all with the same name
    and next state; only the events (which promises were delivered) tell them apart. The path
    takes the last quorum, so a replay that took the first name match would differ."""
    model = build_model("tla", acceptors=3, values=2, max_ballot=0)
    states, actions = [model.initial_states()[0]], []
    for label in ("Phase1a(0)", "Phase1b(a1, 0)", "Phase1b(a2, 0)", "Phase1b(a3, 0)",
                  "Phase2a(0, v1)"):
        options = [(a, t) for a, t in model.actions(states[-1]) if str(a) == label]
        action, state = options[-1]
        actions.append(action)
        states.append(state)
    assert len(options) == 3
    cex = Counterexample((), "", actions, states, model)
    doc = json.loads(checker_document("tla", {"acceptors": 3, "values": 2, "max_ballot": 0},
                                      cex))
    again = replay(doc[CHECKER], doc["events"])
    assert again is not None and again.trace_digest() == stored_digest(doc)
