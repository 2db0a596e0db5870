"""Trace validation against Paxos.tla (``paxosbook.check.validate``, ``paxosbook validate``).

Independent references: the spec itself (every run of the correct core must be one of its
behaviours, every planted bug that breaks safety must be refused no later than the break, and
the conjunct refused is the one the bug's docstring says it breaks) and hand-edited traces.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import faulty_configs

from paxosbook.check import build_model, validate
from paxosbook.check.engine import explore
from paxosbook.check.refinement import MAX_CANDIDATES, _Search
from paxosbook.check.refinement import steps as spec
from paxosbook.check.refinement.mutants import mutant_table, safety_break
from paxosbook.check.scenarios import SCENARIOS
from paxosbook.cli import main
from paxosbook.config import Config
from paxosbook.core import Accept, Promise, UsageError
from paxosbook.core.log.envelope import Slotted
from paxosbook.replication import LogConfig, run_log
from paxosbook.sim import simulate
from paxosbook.trace import Run

PHASE2A_FREE = '~ \\E m \\in msgs : m.type = "2a" /\\ m.bal = b'
SHOWS_SAFE = ("Q1bv = {} \\/ \\E m \\in Q1bv : m.mval = v /\\ \\A mm \\in Q1bv : "
              "m.mbal >= mm.mbal")
CHOSEN = ('\\E Q \\in Quorum : \\A a \\in Q : [type |-> "2b", acc |-> a, bal |-> b, '
          'val |-> v] \\in msgs')


# -- every run of the correct core is a behaviour of the spec ---------------------------------
@st.composite
def any_configs(draw: Any) -> tuple[Config, int]:
    """``test_properties``'s faulty configurations (loss, duplication, crash-restarts of any
    node, partitions, 1-4 proposers, every backoff), with intersecting Flexible Paxos quorums,
    more learners, bounded attempts and other timeouts; or colocated nodes with random
    crash-restarts."""
    config, seed = draw(faulty_configs())
    n = config.acceptors
    q2 = draw(st.integers(1, n))
    config = config.replace(q1=draw(st.integers(n - q2 + 1, n)), q2=q2,
                            learners=draw(st.integers(2, 3)),
                            max_attempts=draw(st.integers(0, 4)),
                            timeout=draw(st.sampled_from([2.0, 4.0, 8.0])))
    if draw(st.booleans()):
        config = Config(colocated=True, acceptors=n, proposers=min(config.proposers, n),
                        drop=config.drop, duplicate=config.duplicate, delay=config.delay,
                        backoff=config.backoff, random_crashes=draw(st.integers(0, 3)),
                        crash_window=20.0, downtime=draw(st.sampled_from([1.0, 5.0])),
                        max_time=200.0, max_messages=3000)
    return config, seed


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_configs())
def test_every_simulated_run_is_a_behaviour_of_the_spec(case: tuple[Config, int]) -> None:
    config, seed = case
    run = simulate(config, seed=seed)
    result = validate(run)
    assert result.ok, (config, seed, str(result))
    assert result.events_checked == len(run.records)
    assert result.widest == 1  # the core's logs determine every step (module docstring)


def test_a_repeated_prepare_after_a_vote_is_answered_and_validated() -> None:
    """The core answers a Prepare of the ballot it promised again, reporting the vote it cast
    since: not a Phase1b step (m.bal > maxBal[a] is false), a repeat. Such runs exist and
    validate; without the rule they would be refused."""
    config = Config(proposers=2, duplicate=0.5, delay="exponential")
    found = 0
    for seed in range(60):
        run = simulate(config, seed)
        first: dict[tuple[str, Any], Any] = {}
        for rec in run.records:
            m = rec[4]
            if (rec[1] == "send" and type(m) is Promise
                    and first.setdefault((m.src, m.ballot), m.accepted) != m.accepted):
                found += 1
                assert validate(run).ok, seed
                break
    assert found >= 3


def test_acceptor_crash_restart_is_no_step() -> None:
    """The core keeps an acceptor's state across a restart: runs with acceptor crashes
    validate, and the same runs with the forgetful mutant are refused once it matters."""
    config = Config(proposers=2, random_crashes=3, crash_window=10.0, downtime=2.0)
    for seed in range(30):
        assert validate(simulate(config, seed)).ok, seed
    forgetful = config.replace(mutants=("forget-promise-on-restart",))
    refused = [seed for seed in range(30) if not validate(simulate(forgetful, seed)).ok]
    assert refused


# -- planted bugs: refused at or before the event that breaks safety --------------------------
EXPECTED = {  # the conjunct each bug breaks (its docstring in core.mutants, in the spec's words)
    "ignore-promised-value": SHOWS_SAFE,
    "forget-promise-on-restart": {"m.bal >= maxBal[a]", "m.bal > maxBal[a]",
                                  "UNCHANGED <<maxVBal, maxVal>>"},
    "accept-below-promise": "m.bal >= maxBal[a]",
    "learn-without-quorum": CHOSEN,
    "reuse-ballot": PHASE2A_FREE,
    "non-intersecting-quorums": "\\A Q1, Q2 \\in Quorum : Q1 \\cap Q2 /= {}",
}


@pytest.fixture(scope="module")
def table() -> Any:
    return mutant_table()


def test_every_planted_bug_is_rejected_at_or_before_safety_breaks(table: Any) -> None:
    assert list(table["mutant"]) == list(EXPECTED)
    for row in table.itertuples():
        assert pd.notna(row.seed) and pd.notna(row.safety_broken_at), row
        assert row.valid is not pd.NA and not row.valid, row
        if row.mutant == "non-intersecting-quorums":  # refused before the first event
            assert pd.isna(row.rejected_at)
        else:
            assert 0 <= row.rejected_at <= row.safety_broken_at, row
        expected = EXPECTED[row.mutant]
        assert row.conjunct in (expected if isinstance(expected, set) else {expected}), row


def test_the_table_is_deterministic_and_pins_the_first_runs(table: Any) -> None:
    """Regression pin (figures this code produced): the first safety-breaking seed of each
    bug and where validation refused it."""
    rows = {r.mutant: (r.network, r.seed, r.rejected_at, r.safety_broken_at)
            for r in table.itertuples()}
    assert rows["reuse-ballot"] == ("quiet", 0, 31, 31)
    assert rows["learn-without-quorum"] == ("quiet", 4, 64, 64)
    assert rows["accept-below-promise"] == ("quiet", 5, 47, 52)


@pytest.mark.parametrize("name", [n for n in SCENARIOS if n != "none"])
def test_the_checkers_counterexample_of_each_bug_is_rejected(name: str) -> None:
    cex = explore(SCENARIOS[name].model(), symmetry=True).violations[0]
    run = cex.run
    result = validate(run)
    broken = safety_break(run)
    assert not result.ok and broken is not None
    assert result.failure is not None
    assert result.failure.index is None or result.failure.index <= broken


def _walk(model: Any, steps: int, seed: int) -> Run:
    """A random path of ``model`` told as a run."""
    rng = random.Random(seed)
    state = model.initial_states()[0]
    states, actions = [state], []
    for _ in range(steps):
        options = model.path_steps(state)
        if not options:
            break
        action, state = rng.choice(options)
        states.append(state)
        actions.append(action)
    return model.to_run(states, actions)


@pytest.mark.parametrize("model, params", [
    ("tla", {"acceptors": 3, "values": 2, "max_ballot": 2}),
    ("tla", {"acceptors": 4, "values": 3, "max_ballot": 1, "q1": 3, "q2": 2}),
    ("actors", {"acceptors": 3, "values": 2, "max_ballot": 1, "network": "multiset"}),
    ("actors", {"acceptors": 3, "values": 2, "max_ballot": 1, "restarts": 1}),
])
def test_paths_of_the_checkers_correct_models_validate(model: str, params: dict[str, Any]
                                                       ) -> None:
    built = build_model(model, **params)
    for seed in range(25):
        result = validate(_walk(built, 40, seed))
        assert result.ok, (seed, str(result))


def test_the_readers_own_schedules_in_the_stepper_validate() -> None:
    """Random walks of the stepper (any delivery, loss, copy, timeout, crash or restart a
    reader could choose) are behaviours of the spec."""
    from paxosbook.stepper import Stepper

    for seed in range(40):
        rng = random.Random(seed)
        stepper = Stepper(Config(proposers=3))
        for _ in range(80):
            stepper.step(rng.choice(stepper.actions))
        result = validate(stepper.run)
        assert result.ok, (seed, str(result))


@pytest.mark.parametrize("mutant", ["ignore-promised-value", "accept-below-promise",
                                    "reuse-ballot"])
def test_the_steppers_search_for_a_bug_from_a_random_start_is_rejected(mutant: str) -> None:
    """A few random deliveries, then the stepper's search loads the shortest way to a
    violation: validation rejects it at or before the break."""
    from paxosbook.stepper import Stepper

    for seed in range(3):
        rng = random.Random(seed)
        stepper = Stepper(Config(proposers=2, mutants=(mutant,)))
        for _ in range(6):
            stepper.step(rng.choice([a for a in stepper.actions
                                     if a.kind in ("start", "deliver")]))
        assert stepper.search().found
        run = stepper.run
        result, broken = validate(run), safety_break(run)
        assert broken is not None and result.failure is not None
        assert result.failure.index is not None and result.failure.index <= broken, seed


def test_a_counterexample_of_the_tla_model_with_disjoint_quorums_breaks_assume() -> None:
    cex = explore(build_model("tla", mutant="non-intersecting-quorums")).violations[0]
    result = validate(cex.run)
    assert not result.ok and result.failure is not None and result.failure.index is None
    assert "ASSUME" in str(result)


# -- edited traces ----------------------------------------------------------------------------
def _accept_rows(doc: dict[str, Any]) -> list[int]:
    return [i for i, r in enumerate(doc["events"]) if r[1] == "send" and r[4] == "Accept"]


def _with_value(doc: dict[str, Any], i: int, value: str) -> Run:
    edited = json.loads(json.dumps(doc))
    edited["events"][i][6] = value
    return Run.from_document(edited)


def test_an_accept_whose_value_is_changed_is_rejected_at_that_event() -> None:
    """Change one Accept's value where its ballot already has an Accept: refused there, by
    Phase2a's first conjunct."""
    doc = json.loads(simulate(Config(proposers=2, drop=0.1), 3).to_json())
    seen: set[str] = set()
    repeats = []
    for i in _accept_rows(doc):
        if doc["events"][i][5] in seen:
            repeats.append(i)
        seen.add(doc["events"][i][5])
    assert len(seen) == 2 and len(repeats) == 4
    for i in repeats:
        other = "zzz" if doc["events"][i][6] != "zzz" else "yyy"
        result = validate(_with_value(doc, i, other))
        assert result.failure is not None and result.failure.index == i
        assert result.failure.conjunct == PHASE2A_FREE


def _forced_accept(config: Config) -> tuple[dict[str, Any], int]:
    """A run and the index of the first Accept of a ballot whose promises reported a vote."""
    for seed in range(200):
        run = simulate(config, seed)
        reported: set[Any] = set()
        sent: set[Any] = set()
        for i, rec in enumerate(run.records):
            m = rec[4]
            if rec[1] != "send":
                continue
            if type(m) is Promise and m.accepted is not None:
                reported.add(m.ballot)
            elif type(m) is Accept and m.ballot not in sent:
                sent.add(m.ballot)
                if m.ballot in reported:
                    return json.loads(run.to_json()), i
    raise AssertionError("no run has a ballot whose value a promise forced")


def test_a_forced_value_changed_is_rejected_at_that_event_by_shows_safe_at() -> None:
    doc, i = _forced_accept(Config(proposers=2, drop=0.2, delay="exponential"))
    result = validate(_with_value(doc, i, "zzz"))
    assert result.failure is not None and result.failure.index == i
    assert result.failure.conjunct == SHOWS_SAFE
    assert validate(Run.from_document(doc)).ok


def test_a_free_first_accept_changed_is_rejected_at_the_next_accept_of_its_ballot() -> None:
    """Where no promise reported a vote, any value is safe: the edited first Accept is a spec
    step, and the next Accept of the ballot (with the old value) is the one refused."""
    doc = json.loads(simulate(Config(), 0).to_json())
    first, second = _accept_rows(doc)[:2]
    result = validate(_with_value(doc, first, "zzz"))
    assert result.failure is not None and result.failure.index == second
    assert result.failure.conjunct == PHASE2A_FREE


# -- the search itself ------------------------------------------------------------------------
def test_the_search_keeps_every_candidate_and_drops_those_a_later_event_refutes() -> None:
    search = _Search(("a1", "a2", "a3"))
    either = [lambda s: spec.phase1a(s, 0), lambda s: spec.phase1a(s, 1)]
    assert search.explain([(-1, either)]) is None
    assert len(search.states[-1]) == 2 and search.widest == 2
    assert search.explain([(-1, [lambda s: spec.phase1b(s, "a1", 1)])]) is None
    assert len(search.states[-1]) == 1  # only the state with the 1a message of ballot 1
    refused = search.explain([(-1, [lambda s: spec.phase1b(s, "a1", 0)])])
    assert refused is not None
    (candidate,) = refused[1]
    assert [r.conjunct for r in candidate.refusals] == ["m \\in msgs"]


def test_the_candidate_set_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    import paxosbook.check.refinement as refinement

    monkeypatch.setattr(refinement, "MAX_CANDIDATES", 1)
    search = _Search(("a1",))
    with pytest.raises(UsageError, match="candidates: must be at most 1 spec states"):
        search.explain([(-1, [lambda s: spec.phase1a(s, 0), lambda s: spec.phase1a(s, 1)])])
    assert MAX_CANDIDATES == 1000


# -- replicated logs, slot by slot ------------------------------------------------------------
@pytest.mark.parametrize("strategy", ["paxos", "multi-paxos"])
def test_log_runs_validate_slot_by_slot(strategy: str) -> None:
    for config in (LogConfig(), LogConfig(drop=0.2, duplicate=0.2, random_crashes=2),
                   LogConfig(replicas=5, drop=0.1, start_offset=0.5)):
        for seed in range(6):
            run = run_log(strategy, config, seed)
            result = validate(run)
            assert result.ok, (strategy, seed, str(result))
            assert sorted(result.slots) == list(range(len(config.values)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["paxos", "multi-paxos"]), st.integers(3, 5),
       st.floats(0, 0.3), st.floats(0, 0.3), st.integers(0, 3),
       st.sampled_from([0.0, 0.5]), st.sampled_from(["none", "fixed", "exponential"]),
       st.integers(0, 2**32))
def test_every_faulty_log_run_validates_slot_by_slot(strategy: str, replicas: int, drop: float,
                                                     duplicate: float, crashes: int,
                                                     offset: float, backoff: str,
                                                     seed: int) -> None:
    config = LogConfig(replicas=replicas, drop=drop, duplicate=duplicate,
                       random_crashes=crashes, start_offset=offset, backoff=backoff,
                       max_time=300.0, max_messages=20_000)
    result = validate(run_log(strategy, config, seed))
    assert result.ok, (strategy, config, seed, str(result))
    assert result.widest == 1


def test_a_log_run_with_one_accept_changed_is_rejected_in_that_slot() -> None:
    run = run_log("multi-paxos", LogConfig(), 0)
    sends = [i for i, r in enumerate(run.records)
             if r[1] == "send" and type(r[4]) is Slotted and type(r[4].msg) is Accept]
    i = sends[1]
    env = run.records[i][4]
    records = list(run.records)
    records[i] = (*records[i][:4], env._replace(msg=env.msg._replace(value="zzz")),
                  *records[i][5:])
    run.records = records
    result = validate(run)
    assert result.failure is not None and result.failure.index == i
    assert result.failure.slot == env.slot and f"(slot {env.slot})" in str(result)


def test_a_strawman_log_run_is_not_validated() -> None:
    with pytest.raises(UsageError, match="run: must be a run of Basic Paxos"):
        validate(run_log("broadcast", LogConfig(), 0))


# -- the command ------------------------------------------------------------------------------
def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["validate", *argv])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_valid_run_exits_0(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text(simulate(Config(proposers=2, drop=0.2), 1).to_json())
    code, out, err = cli(capsys, str(path))
    assert (code, err) == (0, "") and out.startswith("valid: ")
    code, out, _ = cli(capsys, str(path), "--json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_cli_rejected_run_exits_1_with_event_and_conjunct(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    path = tmp_path / "bug.json"
    path.write_text(simulate(Config(proposers=2, mutants=("reuse-ballot",)), 0).to_json())
    code, out, _ = cli(capsys, str(path))
    assert code == 1 and out.startswith("rejected at event 31: send Accept")
    assert PHASE2A_FREE in out
    code, out, _ = cli(capsys, str(path), "--json")
    doc = json.loads(out)
    assert code == 1 and doc["failure"]["index"] == 31
    assert doc["failure"]["conjunct"] == PHASE2A_FREE


@pytest.mark.parametrize("content, needle", [
    (None, "FILE: must be a readable file"), ("{", "not a JSON document"),
    ('{"schema": "x"}', "schema: must be"), ("[]", "must be a JSON object")])
def test_cli_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path, content: str | None,
                                              needle: str) -> None:
    path = tmp_path / "in.json"
    if content is not None:
        path.write_text(content)
    code, out, err = cli(capsys, str(path))
    assert code == 2 and out == "" and needle in err and err.count("\n") == 1


# -- sweeps -----------------------------------------------------------------------------------
def test_sweep_adds_valid_and_rejected_at_the_same_for_every_executor(tmp_path: Path) -> None:
    from paxosbook.experiments import sweep

    base = Config(proposers=2, mutants=("reuse-ballot",))
    kw: dict[str, Any] = {"base": base, "validate": True, "progress": False}
    local = sweep({"drop": [0.0, 0.2]}, 4, executor="local", **kw)
    pool = sweep({"drop": [0.0, 0.2]}, 4, executor="process", workers=2,
                 out=tmp_path / "s.csv", **kw)
    assert local.equals(pool)
    assert str(local["valid"].dtype) == "bool" and str(local["rejected_at"].dtype) == "Int64"
    for row in local.itertuples():
        result = validate(simulate(base.replace(drop=row.drop), row.seed))
        assert row.valid == result.ok
        assert (pd.isna(row.rejected_at) if result.ok
                else row.rejected_at == result.failure.index)  # type: ignore[union-attr]
    assert not local["valid"].all() and local["valid"].any()
    again = sweep({"drop": [0.0, 0.2]}, 4, executor="local", out=tmp_path / "s.csv",
                  resume=True, **kw)
    assert again.equals(local)
    assert "valid" not in sweep({"drop": [0.0]}, 1, executor="local", progress=False)


@pytest.mark.parametrize("kw, field", [({"validate": "yes"}, "validate"),
                                        ({"validate": True, "metrics": {"valid": "decided"}},
                                         "metrics")])
def test_sweep_refuses_a_bad_validate(kw: dict[str, Any], field: str) -> None:
    from paxosbook.experiments import sweep

    with pytest.raises(UsageError, match=f"^{field}: "):
        sweep({"drop": [0.0]}, 1, executor="local", progress=False, **kw)


# -- the figure -------------------------------------------------------------------------------
def test_the_rejected_event_is_circled_on_its_lifeline_with_the_conjunct_above_the_plot() -> None:
    from paxosbook.views import rejection_diagram, sequence_diagram

    run = simulate(SCENARIOS["ignore-promised-value"].simulation(hostile=True), 6)
    result = validate(run)
    assert result.failure is not None and result.failure.index == 72
    plain = sequence_diagram(run)
    fig = rejection_diagram(run, result)
    mark = fig.data[-1]
    assert mark.name == "event 72" and len(fig.data) == len(plain.data) + 1
    time, node = run.records[72][0], run.records[72][2]
    assert (mark.x[0], fig.layout.yaxis.ticktext[int(mark.y[0])]) == (time, node)
    note = fig.layout.annotations[-1]
    assert "Phase2a(2, 'add')" in note.text and "m.mbal &gt;= mm.mbal" in note.text
    assert note.yref == "paper" and note.y == 1 and note.yanchor == "bottom"
    chosen = [a for a in fig.layout.annotations if a.text.startswith("chosen ")]
    assert len(chosen) == 2 and note.yshift > max(a.yshift or 0 for a in chosen)
    assert fig.layout.margin.t > plain.layout.margin.t
    lo, hi = fig.layout.xaxis.range
    assert lo <= time <= hi
    valid = simulate(Config(), 0)
    assert len(rejection_diagram(valid).data) == len(sequence_diagram(valid).data)


def test_cli_sweep_validate_adds_the_columns(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    """Quorums Q1=1, Q2=2 of 3 break the spec's ASSUME: every run refused before its first
    event (rejected_at empty); Q1=2 is majorities: every run valid."""
    argv = ["sweep", "--grid", "q1=1,2", "--set", "q2=2", "--set", "unsafe=true", "--set",
            "proposers=2", "--seeds", "3", "--executor", "local", "--no-progress",
            "--validate"]
    assert main(argv) == 0
    rows = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(rows["valid"]) == [False] * 3 + [True] * 3
    assert rows["rejected_at"].isna().all()
    assert main([*argv, "--out", str(tmp_path / "s.csv")]) == 0
    assert "valid" in capsys.readouterr().out  # the overview's share of valid runs


@pytest.mark.parametrize("argv, line", [
    (["--model", "actors", "--max-ballot", "0", "--mutant", "reuse-ballot"],
     PHASE2A_FREE),
    (["--model", "tla", "--mutant", "non-intersecting-quorums"],
     "rejected before the first event")])
def test_cli_a_saved_counterexample_of_the_checker_is_rejected(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], line: str) -> None:
    path = tmp_path / "cex.json"
    assert main(["check", *argv, "--trace", str(path)]) == 1  # a violation, saved
    capsys.readouterr()
    code, out, _ = cli(capsys, str(path))
    assert code == 1 and line in out


def test_an_edited_prepare_of_the_minimum_ballot_is_not_a_spec_ballot() -> None:
    doc = json.loads(simulate(Config(), 0).to_json())
    i = next(i for i, r in enumerate(doc["events"]) if r[1] == "send" and r[4] == "Prepare")
    doc["events"][i][5] = "0.0"
    result = validate(Run.from_document(doc))
    assert result.failure is not None and result.failure.index == i
    assert result.failure.conjunct == "b \\in Ballot"


@pytest.mark.parametrize("given", [42, "run.json", None])
def test_validate_names_what_it_takes(given: Any) -> None:
    with pytest.raises(UsageError, match=r"^run: must be a Run"):
        validate(given)
