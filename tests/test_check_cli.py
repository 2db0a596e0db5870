"""``python -m paxosbook check``."""

from __future__ import annotations

import json

import pytest

from paxosbook.check.scenarios import SCENARIOS
from paxosbook.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["check", *argv])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_tla_json_has_tlc_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """Independent reference: TLC's published counts for MCPaxos's 3-acceptor model."""
    code, out, _ = run(capsys, "--model", "tla", "--acceptors", "3", "--values", "2",
                       "--max-ballot", "1", "--json")
    d = json.loads(out)
    assert code == 0
    assert (d["distinct_states"], d["total_states"], d["depth"]) == (3921, 23563, 17)
    assert d["violations"] == [] and "seconds" in d


def test_one_acceptor_with_explicit_quorum(capsys: pytest.CaptureFixture[str]) -> None:
    """Independent reference: TLC's counts for MCPaxos with one acceptor (tlaplus/Examples)."""
    code, out, _ = run(capsys, "--acceptors", "1", "--values", "1", "--quorums", "a1", "--json")
    d = json.loads(out)
    assert (code, d["distinct_states"], d["total_states"], d["depth"]) == (0, 25, 82, 9)


def test_symmetry_reports_raw_and_reduced(capsys: pytest.CaptureFixture[str]) -> None:
    """The raw count is TLC's (an independent reference); the reduced one is only bounded."""
    _, out, _ = run(capsys, "--symmetry", "--json")
    d = json.loads(out)
    assert d["distinct_states"] < d["raw_distinct_states"] == 3921


def test_non_intersecting_quorums_warn_and_show_the_violation(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--quorums", "a1,a2+a3", "--json")
    d = json.loads(out)
    assert code == 1 and "warning" in err and "intersect" in err
    (v,) = d["violations"]
    assert v["invariant"] and v["actions"][0].startswith("Phase1a(")


def test_actor_mutant_counterexample(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    trace = tmp_path / "cex.json"
    code, out, _ = run(capsys, "--model", "actors", "--max-ballot", "0", "--mutant",
                       "reuse-ballot", "--symmetry", "--json", "--trace", str(trace))
    d = json.loads(out)
    assert code == 1
    assert d["violations"][0]["invariant"] == "one_value_per_ballot"
    assert all(a.startswith("deliver ") for a in d["violations"][0]["actions"])
    from paxosbook import Run
    assert Run.from_json(trace.read_text()).violations


def test_partial_result_is_flagged(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--max-ballot", "2", "--max-states", "500", "--json")
    d = json.loads(out)
    assert code == 0 and d["complete"] is False and d["stop_reason"] == "max_states"


def test_list_mutants(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--list-mutants")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == len(SCENARIOS) - 1
    assert all(line.split()[0] in SCENARIOS and len(line.split()) > 2 for line in lines)


EXIT_CODES = [
    (["--model", "tla", "--values", "1", "--max-ballot", "0"], 0),
    (["--model", "tla", "--quorums", "a1,a2+a3"], 1),
    (["--model", "tla", "--mutant", "non-intersecting-quorums", "--keep-going"], 1),
    (["--model", "actors", "--max-ballot", "0", "--mutant", "reuse-ballot", "--symmetry"], 1),
    (["--model", "actors", "--values", "1", "--max-ballot", "0"], 0),
    (["--model", "tla", "--max-ballot", "2", "--max-states", "500"], 0),
    (["--acceptors", "0"], 2), (["--mutant", "typo"], 2),
]


@pytest.mark.parametrize("argv, status", EXIT_CODES, ids=[" ".join(a) for a, _ in EXIT_CODES])
def test_exit_status_is_1_exactly_when_a_property_is_violated(
        capsys: pytest.CaptureFixture[str], argv: list[str], status: int) -> None:
    """0: nothing violated; 1: a violation, whatever made it possible; 2: bad usage."""
    code, out, _ = run(capsys, *argv, "--json")
    assert code == status
    if status != 2:
        assert bool(json.loads(out)["violations"]) == (status == 1)


def test_help_documents_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "Exit status: 0 when no property is violated" in text
    assert "1 when one is or when a complete search never meets a sometimes property" in text
    assert "2 for bad usage" in text


@pytest.mark.parametrize("argv, flag", [
    (["--acceptors", "x"], "--acceptors"), (["--acceptors", "0"], "--acceptors"),
    (["--model", "pluscal"], "--model"), (["--mutant", "typo"], "--mutant"),
    (["--mutant", "reuse-ballot"], "--mutant"), (["--quorums", "a1+a9"], "--quorums"),
    (["--max-states", "0"], "--max-states"), (["--network", "multiset"], "--network"),
    (["--model", "actors", "--network", "bag"], "--network"),
    (["--model", "actors", "--max-attempts", "0"], "--max-attempts"),
    (["--q1", "5"], "--q1")])
def test_bad_flags_exit_2_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str],
                                        flag: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and flag in err


@pytest.mark.parametrize("network", ["set", "multiset"])
@pytest.mark.parametrize("mutant", [n for n in SCENARIOS if n != "none"])
def test_keep_going_on_every_mutant_ends_with_exit_1_and_the_violations(
        capsys: pytest.CaptureFixture[str], mutant: str, network: str) -> None:
    """Issue 9's reproduction (``--keep-going`` with a mutant ended in a RuntimeError
    traceback): every planted bug, on both networks, ends with status 1, the violations and
    each reduction's state (bounded by --max-states so the suite stays short; the certificate
    runs on partial searches too)."""
    code, out, err = run(capsys, "--model", "actors", "--mutant", mutant, "--network", network,
                         "--keep-going", "--max-ballot", "0", "--symmetry",
                         "--max-states", "40000", "--json")
    d = json.loads(out)
    assert code == 1, err
    assert "Traceback" not in err and d["violations"]
    assert d["reductions_off"] == {}
    narrowed = mutant in ("reuse-ballot", "accept-below-promise", "forget-promise-on-restart")
    assert ("prune" in d["reductions_narrowed"]) is narrowed


@pytest.mark.parametrize("argv, line", [
    (["--model", "actors", "--acceptors", "50", "--max-ballot", "1000"],
     "--max-ballot: must be an integer in [0, 5] (the actors model's limit); got 1000"),
    (["--model", "actors", "--acceptors", "50"],
     "--acceptors: must be an integer in [1, 7] (the actors model's limit); got 50"),
    (["--model", "actors", "--values", "5"],
     "--values: must be an integer in [1, 4] (the actors model's limit); got 5"),
    (["--model", "actors", "--learners", "4"],
     "--learners: must be an integer in [1, 3] (the actors model's limit); got 4"),
    (["--model", "actors", "--max-attempts", "7"],
     "--max-attempts: must be an integer in [1, 6] (the actors model's limit); got 7"),
    (["--model", "actors", "--restarts", "7"], "--restarts: must be an integer in [0, 6]; got 7"),
    (["--acceptors", "8"],
     "--acceptors: must be an integer in [1, 7] (the tla model's limit); got 8"),
    (["--max-ballot", "6"],
     "--max-ballot: must be an integer in [0, 5] (the tla model's limit); got 6"),
    (["--max-states", str(10**9)], "--max-states: must be an integer in [1, 2000000] "
     "(MAX_STATES: a search keeps every state, about 600 MB at the limit); got 1000000000")])
def test_every_size_of_the_search_is_bounded(capsys: pytest.CaptureFixture[str],
                                             argv: list[str], line: str) -> None:
    """``--model actors --acceptors 50 --max-ballot 1000`` was accepted and ran silently."""
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err == f"paxosbook check: {line}\n"


def test_the_api_search_stops_at_max_states_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    import paxosbook.check.api as api

    monkeypatch.setattr(api, "MAX_STATES", 600)  # the default is MAX_STATES, whatever it is
    r = api.check("tla", max_ballot=2)
    assert not r.complete and r.stop_reason == "max_states"
    with pytest.raises(api.UsageError, match="max_states"):
        api.check("tla", max_states=601)


def test_por_gives_the_same_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """--por: the same counts as the search without it; refused with --dfs or the tla model
    (one line naming --por, exit 2)."""
    base = ["--model", "actors", "--max-ballot", "0", "--symmetry", "--json"]
    _, plain, _ = run(capsys, *base)
    code, reduced, _ = run(capsys, *base, "--por")
    keys = ("distinct_states", "total_states", "depth", "raw_distinct_states",
            "raw_total_states", "ok")
    assert code == 0
    assert {k: json.loads(reduced)[k] for k in keys} == {k: json.loads(plain)[k] for k in keys}
    for extra in (["--model", "actors", "--dfs", "--por"], ["--model", "tla", "--por"]):
        code, _, err = run(capsys, *extra)
        assert code == 2 and "--por" in err and len(err.strip().splitlines()) == 1
