"""The linearizability checker against independent references: the verdicts porcupine's test
suite asserts on Jepsen's etcd histories and its key-value histories (``tests/data/histories``,
copied from the team's shared material), and a brute-force checker that tries every order of
small random histories."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paxosbook.core import FormatError, UsageError
from paxosbook.linearizability import (
    History,
    KeyValue,
    Operation,
    Register,
    check,
    parse_history,
    read_history,
)
from paxosbook.linearizability.history import NEVER
from paxosbook.linearizability.search import SearchLimit, linearizable

DATA = Path(__file__).parent / "data" / "histories"


def verdicts(folder: str) -> list[tuple[Path, bool]]:
    rows = (DATA / folder / "VERDICTS.tsv").read_text().split("\n")
    return [(DATA / folder / name, flag == "true")
            for name, flag in (r.split("\t") for r in rows if r.strip())]


CASES = [(p, v, "register") for p, v in verdicts("jepsen-etcd")] + \
        [(p, v, "kv") for p, v in verdicts("kv")]


@pytest.mark.parametrize(("path", "expected", "model"), CASES, ids=[c[0].name for c in CASES])
def test_reproduces_porcupines_verdict(path: Path, expected: bool, model: str) -> None:
    result = check(path, model)
    assert result.linearizable is expected
    if not expected:
        assert result.failing and result.breaks_at in result.failing
        assert result.minimal  # every failing part here is shown 1-minimal within the budget


def test_there_are_both_verdicts() -> None:
    assert len(CASES) == 54
    assert sum(v for _, v, _ in CASES) == 12  # 10 etcd and 2 kv histories are linearizable


# -- a brute-force reference -----------------------------------------------------------------
def brute_force(model: Any, ops: list[Operation], inits: list[Any] | None = None) -> bool:
    """Every subset of the indeterminate operations, every order that respects real time."""
    seen = [op for op in ops if model.observed(op)]
    known = [op for op in seen if op.status != "info"]
    maybe = [op for op in seen if op.status == "info"]
    for k in range(len(maybe) + 1):
        for chosen in itertools.combinations(maybe, k):
            for order in itertools.permutations(known + list(chosen)):
                if not all(not (b.ret < a.call) for i, a in enumerate(order)
                           for b in order[i + 1:]):
                    continue
                for init in inits or [model.init]:
                    state, ok = init, True
                    for op in order:
                        ok, state = model.step(state, op)
                        if not ok:
                            break
                    if ok:
                        return True
    return False


@st.composite
def register_histories(draw: Any) -> list[Operation]:
    n = draw(st.integers(1, 6))
    ops = []
    for i in range(n):
        call = draw(st.integers(0, 12))
        status = draw(st.sampled_from(["ok", "ok", "ok", "info", "fail"]))
        f = draw(st.sampled_from(["read", "write", "cas"] if status == "fail" else
                                 ["read", "write", "write", "cas"]))
        if status == "fail":
            f = "cas"
        value: Any = draw(st.sampled_from([None, 1, 2])) if f == "read" else None
        arg: Any = draw(st.integers(1, 2)) if f == "write" else \
            (draw(st.sampled_from([None, 1, 2])), draw(st.integers(1, 2))) if f == "cas" else None
        ret = NEVER if status == "info" else call + draw(st.integers(1, 6))
        ops.append(Operation(i, i, f, None, arg, value if status == "ok" else None, status,
                             call + i / 100, ret + i / 100 if ret != NEVER else NEVER, i + 1))
    return ops


@settings(max_examples=400, deadline=None)
@given(register_histories())
def test_search_agrees_with_brute_force(ops: list[Operation]) -> None:
    m = Register()
    assert linearizable(m, [op for op in ops if m.observed(op)]) == brute_force(m, ops)


@settings(max_examples=200, deadline=None)
@given(register_histories())
def test_failing_part_is_a_proof(ops: list[Operation]) -> None:
    """The failing operations, with every other operation of the window indeterminate (and any
    start state when the result says so), are not linearizable by brute force; making any one
    of them indeterminate too makes them so (1-minimal)."""
    m = Register()
    result = check(History(ops, "json", 30), m)
    assert result.linearizable is brute_force(m, ops)
    if result.linearizable:
        return
    t = result.breaks_at.ret
    ids = {op.id for op in result.failing}
    window = [op for op in ops if op.call <= t and (result.since is None or op.call >= result.since
                                                   or op.status == "info")]
    inits = m.any_state(ops) if result.since is not None else None
    weak = [op if op.id in ids else _unknown(op) for op in window]
    assert not brute_force(m, weak, inits)
    if result.minimal:
        for op in result.failing:
            weaker = [_unknown(o) if o.id == op.id else o for o in weak]
            assert brute_force(m, weaker, inits), op


def _unknown(op: Operation) -> Operation:
    import dataclasses
    return dataclasses.replace(op, status="info", ret=NEVER, output=None)


def test_real_time_order_matters() -> None:
    """write 1 completes before read starts, and the read sees nil: not linearizable; with the
    two overlapping it is (a search that ignored real time would accept both)."""
    after = parse_history(_jepsen([(0, "invoke", "write", "1"), (0, "ok", "write", "1"),
                                   (1, "invoke", "read", "nil"), (1, "ok", "read", "nil")]))
    overlap = parse_history(_jepsen([(0, "invoke", "write", "1"), (1, "invoke", "read", "nil"),
                                     (0, "ok", "write", "1"), (1, "ok", "read", "nil")]))
    assert check(after).linearizable is False
    assert check(overlap).linearizable is True


def test_timed_out_write_may_happen_late_or_never() -> None:
    late = _jepsen([(0, "invoke", "write", "1"), (0, "info", "write", ":timed-out"),
                    (1, "invoke", "read", "nil"), (1, "ok", "read", "nil"),
                    (2, "invoke", "read", "nil"), (2, "ok", "read", "1")])
    assert check(parse_history(late)).linearizable is True
    back = late + "\n" + _jepsen([(3, "invoke", "read", "nil"), (3, "ok", "read", "nil")])
    assert check(parse_history(back)).linearizable is False  # once seen, it has happened


def test_failed_cas_is_an_observation_for_etcd_and_absent_for_knossos() -> None:
    text = _jepsen([(0, "invoke", "cas", "[nil 1]"), (0, "fail", "cas", "[nil 1]")])
    assert check(parse_history(text)).linearizable is False  # the register did hold nil
    assert check(parse_history(text), Register(failed_cas="absent")).linearizable is True


def test_kv_is_checked_key_by_key() -> None:
    lines = [{"process": 0, "type": t, "f": f, "key": k, "value": v} for t, f, k, v in [
        ("invoke", "append", "a", "x"), ("ok", "append", "a", "x"),
        ("invoke", "get", "b", None), ("ok", "get", "b", ""),
        ("invoke", "get", "a", None), ("ok", "get", "a", "xy")]]
    result = check(parse_history("\n".join(json.dumps(d) for d in lines)), KeyValue())
    assert result.linearizable is False and result.key == "a" and result.keys == 2
    assert [op.label for op in result.failing] == ["get[a] → 'xy'"]  # whatever append did
    stale = [{**d, "value": ""} if d["f"] == "get" and d["key"] == "a" and d["type"] == "ok"
             else d for d in lines]  # the get misses an append that had completed
    result = check(parse_history("\n".join(json.dumps(d) for d in stale)), KeyValue())
    assert [op.label for op in result.failing] == ["append[a] 'x'", "get[a] → ''"]


def test_search_limit_gives_no_verdict() -> None:
    path = DATA / "jepsen-etcd" / "etcd_002.log"
    result = check(path, max_states=100)
    assert result.linearizable is None and "100" in result.reason
    with pytest.raises(SearchLimit):
        linearizable(Register(), read_history(path).operations, 100)


# -- input ------------------------------------------------------------------------------------
def _jepsen(events: list[tuple[int, str, str, str]]) -> str:
    return "\n".join(f"INFO  jepsen.util - {p}\t:{t}\t:{f}\t{v}" for p, t, f, v in events)


BAD = [
    ("INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:write\t3",
     "line 2: process 0 completes write but invoked read at line 1"),
    ("INFO  jepsen.util - 0\t:ok\t:read\t3", "line 1: process 0 completes read (ok) but invoked"),
    ("INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:invoke\t:read\tnil",
     "line 2: process 0 invokes read while its read of line 1 has not completed"),
    ("INFO  jepsen.util - 0\t:done\t:read\tnil", "line 1: type: must be one of"),
    ("INFO  jepsen.util - 0\t:invoke\t:cas\t[1]", "cas value: must be [expected new]"),
    ("INFO jepsen 0 invoke", "line 1: must be `INFO  jepsen.util - PROCESS"),
    ('{:process 0, :type :invoke, :f :get, :key "a", :value nil}\n{:process 0 :type}',
     "line 2: an EDN map needs key value pairs"),
    ('{:process 0, :type :invoke, :f :get, :key "a", :value @x}', "line 1: value: must be nil"),
    ('{"process": 0, "type": "invoke"}', "line 1: f: must be present"),
    ('{"process": 0, "type": "invoke", "f": "get"}\n{"process": 0,', "line 2: must be one JSON"),
    ("", "history: must have at least one operation"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_history_names_the_line(text: str, message: str) -> None:
    with pytest.raises(FormatError, match=None) as err:
        parse_history(text)
    assert message in str(err.value)


def test_operations_the_model_does_not_know() -> None:
    with pytest.raises(FormatError, match="line 1: f: must be one of read, write, cas"):
        check(DATA / "kv" / "c01-ok.txt", "register")
    with pytest.raises(UsageError, match="model: must be register or kv"):
        check(DATA / "kv" / "c01-ok.txt", "queue")


def test_unfinished_invocation_is_indeterminate() -> None:
    h = parse_history(_jepsen([(0, "invoke", "write", "1")]))
    assert h.operations[0].status == "info" and h.operations[0].ret == math.inf


# -- the command line -------------------------------------------------------------------------
def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "paxosbook", "lincheck", *args],
                          capture_output=True, text=True, timeout=120)


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    ok = run(str(DATA / "kv" / "c10-ok.txt"), "--model", "kv", "--json")
    assert ok.returncode == 0, ok.stderr
    doc = json.loads(ok.stdout)
    assert doc["linearizable"] is True and doc["operations"] == 337
    assert isinstance(doc["seconds"], float)
    bad = run(str(DATA / "jepsen-etcd" / "etcd_000.log"))
    assert bad.returncode == 1 and "cannot be ordered" in bad.stdout
    assert "line    85  process 11   read → 2" in bad.stdout
    broken = tmp_path / "h.log"
    broken.write_text(_jepsen([(0, "invoke", "read", "nil"), (0, "ok", "write", "3")]))
    out = run(str(broken))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [
        f"paxosbook lincheck: {broken}: line 2: process 0 completes write but invoked read at "
        "line 1"]
    for args, line in [(("/nonexistent",), "FILE: must be a readable file"),
                       ((str(broken), "--model", "queue"), "--model: must be register or kv"),
                       ((str(broken), "--max-states", "0"), "--max-states: must be a positive")]:
        out = run(*args)
        assert out.returncode == 2 and line in out.stderr and "Traceback" not in out.stderr


# -- the picture ------------------------------------------------------------------------------
def test_figure_marks_the_failing_operations() -> None:
    result = check(DATA / "jepsen-etcd" / "etcd_000.log")
    fig = result.figure()
    red = next(t for t in fig.data if t.name == "cannot be ordered")
    bars = [x for x in red.x if x is not None]
    assert len(bars) == 2 * len(result.failing) == 4
    lo, hi = fig.layout.xaxis.range
    assert all(lo <= op.call and op.ret <= hi for op in result.failing)
    assert hi - lo < result.history.events / 2  # opens on the failing part, not the whole
    texts = [a.text for a in fig.layout.annotations]
    assert "breaks: read → 2" in texts and "any state from here" in texts


def test_figure_of_a_kv_history_shows_the_failing_key_only() -> None:
    result = check(DATA / "kv" / "c10-bad.txt", "kv")
    fig = result.figure()
    keys = {op.key for op in result.history.operations}
    assert len(keys) > 1
    drawn = sum(len([x for x in t.x if x is not None]) // 2 for t in fig.data
                if t.mode != "text")
    assert drawn == sum(op.key == result.key for op in result.history.operations)
