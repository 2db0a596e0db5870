"""Lamport's Paxos actions, one given step at a time, saying which conjunct fails.

``tla.spec`` enumerates every way an action is enabled (what a model checker needs); trace
validation asks the opposite question: the log says *this* step happened (Phase1b of acceptor
a for ballot b, Phase2a of ballot b with value v, ...): is it a step of the spec from this
state, and if not, which conjunct of the action is false? Each function here takes a
``SpecState`` and the step's parameters and returns either a ``Delta`` (what the step changes)
or a ``Refusal`` naming the conjunct in the spec's words (``Paxos.tla``) and the values that
make it false.

``SpecState`` holds the spec's variables indexed for these questions: ``acc[a]`` is
``<<maxBal[a], maxVBal[a], maxVal[a]>>`` (-1 and ``None`` before the first ballot or vote),
and ``msgs`` is kept as four indexes, one per message type (the spec allows at most one 1b
message per acceptor and ballot and one 2a message per ballot, so dictionaries suffice).
Ballots are the spec's numbers (``Nat``); acceptors and values are the run's names. A state is
changed in place when it has one successor and copied only when the log leaves a choice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

AccVars = tuple[int, int, Any]
"""<<maxBal[a], maxVBal[a], maxVal[a]>>."""
Msg = tuple[Any, ...]
"""("1a", b), ("1b", a, b, mbal, mval), ("2a", b, v) or ("2b", a, b, v)."""


class Refusal(NamedTuple):
    """The step ``action`` is not enabled: ``conjunct`` (the spec's words) is false;
    ``detail`` gives the values that make it false."""

    action: str
    conjunct: str
    detail: str

    def __str__(self) -> str:
        return f"{self.action}: {self.conjunct} is false ({self.detail})"


class Delta(NamedTuple):
    """What a step changes: one acceptor's variables (or ``None``) and one message sent (or
    ``None``). ``action`` names the step (``"stutter"`` for none)."""

    action: str
    acceptor: tuple[str, AccVars] | None = None
    msg: Msg | None = None


Outcome = Delta | Refusal


@dataclass
class SpecState:
    """maxBal, maxVBal, maxVal (``acc``) and msgs (``m1a``, ``m1b``, ``m2a``, ``m2b``)."""

    acc: dict[str, AccVars]
    m1a: set[int]
    m1b: dict[int, dict[str, tuple[int, Any]]]  # bal -> acc -> (mbal, mval)
    m2a: dict[int, Any]  # bal -> val
    m2b: dict[tuple[int, Any], set[str]]  # (bal, val) -> acceptors

    @classmethod
    def init(cls, acceptors: tuple[str, ...]) -> SpecState:
        """Init: maxBal = maxVBal = -1, maxVal = None everywhere, msgs = {}."""
        return cls({a: (-1, -1, None) for a in acceptors}, set(), {}, {}, {})

    def copy(self) -> SpecState:
        return SpecState(dict(self.acc), set(self.m1a), {b: dict(d) for b, d in self.m1b.items()},
                         dict(self.m2a), {k: set(v) for k, v in self.m2b.items()})

    def key(self) -> tuple[Any, ...]:
        """A hashable value equal for equal states (to merge candidates)."""
        return (tuple(sorted(self.acc.items())), frozenset(self.m1a),
                frozenset((b, a, r) for b, d in self.m1b.items() for a, r in d.items()),
                frozenset(self.m2a.items()),
                frozenset((k, a) for k, s in self.m2b.items() for a in s))

    def has(self, m: Msg) -> bool:
        """m \\in msgs."""
        kind = m[0]
        if kind == "1a":
            return m[1] in self.m1a
        if kind == "1b":
            return self.m1b.get(m[2], {}).get(m[1], _ABSENT) == (m[3], m[4])
        if kind == "2a":
            return self.m2a.get(m[1], _ABSENT) == m[2]
        return m[1] in self.m2b.get((m[2], m[3]), ())

    def changes(self, delta: Delta) -> bool:
        """Would ``delta`` change this state (else it is a stuttering step)?"""
        if delta.acceptor is not None and self.acc[delta.acceptor[0]] != delta.acceptor[1]:
            return True
        return delta.msg is not None and not self.has(delta.msg)

    def apply(self, delta: Delta) -> None:
        if delta.acceptor is not None:
            a, vars_ = delta.acceptor
            self.acc[a] = vars_
        m = delta.msg
        if m is None:
            return
        kind = m[0]
        if kind == "1a":
            self.m1a.add(m[1])
        elif kind == "1b":
            self.m1b.setdefault(m[2], {})[m[1]] = (m[3], m[4])
        elif kind == "2a":
            self.m2a.setdefault(m[1], m[2])
        else:
            self.m2b.setdefault((m[2], m[3]), set()).add(m[1])

    def summary(self) -> dict[str, Any]:
        """The acceptors' variables and how many messages of each type msgs holds."""
        return {"maxBal": {a: v[0] for a, v in self.acc.items()},
                "maxVBal": {a: v[1] for a, v in self.acc.items()},
                "maxVal": {a: v[2] for a, v in self.acc.items()},
                "msgs": {"1a": len(self.m1a), "1b": sum(len(d) for d in self.m1b.values()),
                         "2a": len(self.m2a), "2b": sum(len(s) for s in self.m2b.values())}}


_ABSENT = object()

IsQuorum = Callable[[set[str]], bool]


def _refuse(action: str, conjunct: str, detail: str) -> Refusal:
    return Refusal(action, conjunct, detail)


def known(s: SpecState, action: str, a: str) -> Refusal | None:
    """The acceptor must be one of the spec's ``Acceptor`` set."""
    if a in s.acc:
        return None
    return _refuse(action, "a \\in Acceptor", f"{a!r} is not an acceptor of this run")


def ballot(action: str, b: int) -> Refusal | None:
    """A message's ballot must be in ``Ballot`` (``Nat``): a run's ``NO_BALLOT`` (-1) is not."""
    if b >= 0:
        return None
    return _refuse(action, "b \\in Ballot", "the message carries the minimum ballot 0.0, "
                   "which no proposer issues")


def phase1a(s: SpecState, b: int) -> Outcome:
    """Phase1a(b): Send([type |-> "1a", bal |-> b]); enabled for every ballot."""
    return ballot(f"Phase1a({b})", b) or Delta(f"Phase1a({b})", None, ("1a", b))


def phase1b(s: SpecState, a: str, b: int, reported: tuple[int, Any] | None = None) -> Outcome:
    """Phase1b(a) with m = [type |-> "1a", bal |-> b]. ``reported``: the (mbal, mval) the
    sent 1b message carries, if the log shows it (it must be the spec's)."""
    name = f"Phase1b({a}) with m.bal = {b}"
    bad = known(s, name, a)
    if bad:
        return bad
    max_bal, max_vbal, max_val = s.acc[a]
    if b not in s.m1a:
        return _refuse(name, "m \\in msgs", f"no 1a message for ballot {b} was sent")
    if not b > max_bal:
        return _refuse(name, "m.bal > maxBal[a]", f"m.bal = {b}, maxBal[{a}] = {max_bal}")
    if reported is not None and reported != (max_vbal, max_val):
        return _refuse(name, "Send([..., mbal |-> maxVBal[a], mval |-> maxVal[a]])",
                       f"the 1b message reports {_vote(*reported)}; maxVBal[{a}] = {max_vbal}, "
                       f"maxVal[{a}] = {max_val!r}")
    return Delta(name, (a, (b, max_vbal, max_val)), ("1b", a, b, max_vbal, max_val))


def phase2a(s: SpecState, b: int, v: Any, quorum1: IsQuorum) -> Outcome:
    """Phase2a(b, v): no 2a message for b yet, and some quorum Q's 1b messages for b show v
    safe. Quorums are upward closed (a set holding a quorum is one, as the core counts them),
    so the best Q for a witness of vote ballot c is every promiser whose vote is at most c."""
    name = f"Phase2a({b}, {v!r})"
    bad = ballot(name, b)
    if bad:
        return bad
    if b in s.m2a:
        return _refuse(name, '~ \\E m \\in msgs : m.type = "2a" /\\ m.bal = b',
                       f"msgs already holds the 2a message <<{b}, {s.m2a[b]!r}>>")
    q1b = s.m1b.get(b, {})
    if not quorum1(set(q1b)):
        return _refuse(name, "\\E Q \\in Quorum : \\A a \\in Q : \\E m \\in Q1b : m.acc = a",
                       f"1b messages for ballot {b} only from {sorted(q1b) or 'no one'}")
    if quorum1({a for a, (mbal, _) in q1b.items() if mbal < 0}):
        return Delta(name, None, ("2a", b, v))
    for c in sorted({mbal for mbal, mval in q1b.values() if mbal >= 0 and mval == v}):
        if quorum1({a for a, (mbal, _) in q1b.items() if mbal <= c}):
            return Delta(name, None, ("2a", b, v))
    reports = ", ".join(f"{a}: {_vote(*r)}" for a, r in sorted(q1b.items()))
    return _refuse(name, "Q1bv = {} \\/ \\E m \\in Q1bv : m.mval = v /\\ \\A mm \\in Q1bv : "
                   "m.mbal >= mm.mbal", f"the 1b messages for ballot {b} report {reports}")


def phase2b(s: SpecState, a: str, b: int, v: Any) -> Outcome:
    """Phase2b(a) with m = [type |-> "2a", bal |-> b, val |-> v]."""
    name = f"Phase2b({a}) with m = <<{b}, {v!r}>>"
    bad = known(s, name, a)
    if bad:
        return bad
    if s.m2a.get(b, _ABSENT) != v:
        sent = f"the 2a message of ballot {b} has value {s.m2a[b]!r}" if b in s.m2a \
            else f"no 2a message for ballot {b} was sent"
        return _refuse(name, "m \\in msgs", sent)
    max_bal = s.acc[a][0]
    if not b >= max_bal:
        return _refuse(name, "m.bal >= maxBal[a]", f"m.bal = {b}, maxBal[{a}] = {max_bal}")
    return Delta(name, (a, (b, b, v)), ("2b", a, b, v))


def chosen_at(s: SpecState, b: int, v: Any, quorum2: IsQuorum) -> Outcome:
    """Learning v at b: a quorum of 2b messages for <<b, v>> exists (Voting's ChosenAt)."""
    name = f"ChosenAt({b}, {v!r})"
    voters = s.m2b.get((b, v), set())
    if quorum2(voters):
        return Delta(name)
    return _refuse(name, "\\E Q \\in Quorum : \\A a \\in Q : [type |-> \"2b\", acc |-> a, "
                   "bal |-> b, val |-> v] \\in msgs",
                   f"2b messages for <<{b}, {v!r}>> only from {sorted(voters) or 'no one'}")


def chosen(s: SpecState, v: Any, quorum2: IsQuorum) -> Outcome:
    """Learning v from another learner, no ballot named: v is chosen (Voting's
    ``chosen``: \\E b : ChosenAt(b, v))."""
    name = f"Chosen({v!r})"
    if any(val == v and quorum2(voters) for (_, val), voters in s.m2b.items()):
        return Delta(name)
    return _refuse(name, "\\E b \\in Ballot : ChosenAt(b, v)",
                   f"no ballot has a quorum of 2b messages for {v!r}")


def resent(s: SpecState, m: Msg, what: str) -> Outcome:
    """A copy of a message the spec already sent: no step (msgs only grows)."""
    if s.has(m):
        return Delta("stutter")
    return _refuse(f"repeat of {what}", "m \\in msgs", f"msgs has no {_show(m)}")


def reanswer(s: SpecState, a: str, b: int, reported: tuple[int, Any]) -> Outcome:
    """The core answers a repeated Prepare of the ballot it promised with its current vote:
    no spec step (the new 1b message, if it differs, is one no Phase2a can use, as ballot b
    already has its 2a message: it is not added to msgs)."""
    name = f"repeat of Phase1b({a}) for its promise {b}"
    bad = known(s, name, a)
    if bad:
        return bad
    max_bal, max_vbal, max_val = s.acc[a]
    if max_bal != b:
        return _refuse(name, "m.bal = maxBal[a]", f"m.bal = {b}, maxBal[{a}] = {max_bal}")
    if reported != (max_vbal, max_val):
        return _refuse(name, "mbal = maxVBal[a] /\\ mval = maxVal[a]",
                       f"it reports {_vote(*reported)}; maxVBal[{a}] = {max_vbal}, "
                       f"maxVal[{a}] = {max_val!r}")
    return Delta("stutter")


def recorded(s: SpecState, a: str, target: AccVars) -> list[Outcome]:
    """An acceptor wrote ``target`` (<<maxBal, maxVBal, maxVal>>) to stable storage: it is
    already so (the send that went with it took the step), or it is Phase1b(a) or
    Phase2b(a)."""
    bad = known(s, f"state of {a}", a)
    if bad:
        return [bad]
    now = s.acc[a]
    if now == target:
        return [Delta("stutter")]
    bal, vbal, val = target
    out: list[Outcome] = []
    p1 = phase1b(s, a, bal)
    if isinstance(p1, Delta) and (vbal, val) != now[1:]:
        p1 = _refuse(p1.action, "UNCHANGED <<maxVBal, maxVal>>",
                     f"the acceptor wrote {_vote(vbal, val)}; maxVBal[{a}] = "
                     f"{now[1]}, maxVal[{a}] = {now[2]!r}")
    out.append(p1)
    if vbal >= 0:
        p2 = phase2b(s, a, vbal, val)
        if isinstance(p2, Delta) and bal != vbal:
            p2 = _refuse(p2.action, "maxBal' = [maxBal EXCEPT ![a] = m.bal]",
                         f"the acceptor wrote maxBal = {bal}, m.bal = {vbal}")
        out.append(p2)
    return out


def _vote(mbal: int, mval: Any) -> str:
    return "no vote" if mbal < 0 else f"the vote <<{mbal}, {mval!r}>>"


def _show(m: Msg) -> str:
    fields = {"1a": ("bal",), "1b": ("acc", "bal", "mbal", "mval"), "2a": ("bal", "val"),
              "2b": ("acc", "bal", "val")}[m[0]]
    return f'[type |-> "{m[0]}", ' + ", ".join(
        f"{f} |-> {x!r}" for f, x in zip(fields, m[1:], strict=True)) + "]"
