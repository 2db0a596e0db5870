"""Lamport's Paxos specification, transcribed line by line (the readable reference).

Source: the TLA+ Examples repository, ``specifications/Paxos/Paxos.tla`` ("The Paxos Algorithm,
or How to Win a Turing Award"), with ``ShowsSafeAt``/``SafeAt`` from ``Voting.tla``. Variables
``maxBal``, ``maxVBal``, ``maxVal`` (one entry per acceptor; ``-1`` and ``None`` before the
first ballot or vote) and ``msgs``, the set of every message ever sent, only ever added to: a
lost message is one never received, a duplicate one received again. Messages are tuples
``("1a", b)``, ``("1b", a, b, mbal, mval)``, ``("2a", b, v)``, ``("2b", a, b, v)``, acceptors
and values given by index. Names are the spec's; the paper's are Prepare (1a), Promise (1b),
Accept (2a) and Accepted (2b).

Every function below returns *every way* its action is enabled, one entry per choice of the
existentially quantified message, quorum or witness, as TLC enumerates them: this is what
makes the "states generated" count TLC's. ``tla.TlaModel`` runs the same actions on a packed
encoding for speed and is tested to agree with these functions state by state.

One generalisation, off by default: phase-1 quorums (used by Phase2a and ShowsSafeAt) and
phase-2 quorums (used by ChosenAt) may differ, as in Flexible Paxos; the spec has one set
``Quorum`` for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from ..engine import Action

Msg = tuple[Any, ...]
Quorums = tuple[frozenset[int], ...]


class TlaState(NamedTuple):
    maxBal: tuple[int, ...]
    maxVBal: tuple[int, ...]
    maxVal: tuple[int | None, ...]
    msgs: frozenset[Msg]


def init(acceptors: int) -> TlaState:
    """Init: maxBal = maxVBal = -1 and maxVal = None everywhere, msgs = {}."""
    return TlaState((-1,) * acceptors, (-1,) * acceptors, (None,) * acceptors, frozenset())


def ordered(msgs: frozenset[Msg]) -> list[Msg]:
    """``msgs`` in a fixed order (``None`` as -1), so that the order of enumerated steps, and
    hence which of several shortest counterexamples is found, never depends on hashing."""
    return sorted(msgs, key=lambda m: tuple(-1 if x is None else x for x in m))


def _set(t: tuple[Any, ...], i: int, x: Any) -> tuple[Any, ...]:
    """[t EXCEPT ![i] = x]"""
    return (*t[:i], x, *t[i + 1:])


def phase1a(s: TlaState, b: int) -> list[tuple[Action, TlaState]]:
    """Phase1a(b): Send([type |-> "1a", bal |-> b])."""
    return [(Action("Phase1a", (b,)), s._replace(msgs=s.msgs | {("1a", b)}))]


def phase1b(s: TlaState, a: int) -> list[tuple[Action, TlaState]]:
    """Phase1b(a): for some 1a message m with m.bal > maxBal[a], promise m.bal and report the
    last vote."""
    out = []
    for m in ordered(s.msgs):
        if m[0] == "1a" and m[1] > s.maxBal[a]:
            b = m[1]
            reply = ("1b", a, b, s.maxVBal[a], s.maxVal[a])
            out.append((Action("Phase1b", (a, b)),
                        s._replace(maxBal=_set(s.maxBal, a, b), msgs=s.msgs | {reply})))
    return out


def phase2a(s: TlaState, b: int, v: int, quorums: Quorums) -> list[tuple[Action, TlaState]]:
    """Phase2a(b, v): no 2a message for b yet, and some quorum Q's 1b messages for b show that
    v is safe: none of them reports a vote, or v is the value of the highest-ballot vote among
    them. One successor per quorum Q and per witness message m."""
    if any(m[0] == "2a" and m[1] == b for m in s.msgs):
        return []
    after = s._replace(msgs=s.msgs | {("2a", b, v)})
    out = []
    for q in quorums:
        q1b = [m for m in ordered(s.msgs) if m[0] == "1b" and m[1] in q and m[2] == b]
        if not all(any(m[1] == a for m in q1b) for a in q):
            continue
        q1bv = [m for m in q1b if m[3] >= 0]
        if not q1bv:
            out.append((Action("Phase2a", (b, v), (tuple(sorted(q)), None)), after))
            continue
        for m in q1bv:
            if m[4] == v and all(m[3] >= mm[3] for mm in q1bv):
                out.append((Action("Phase2a", (b, v), (tuple(sorted(q)), m)), after))
    return out


def phase2b(s: TlaState, a: int) -> list[tuple[Action, TlaState]]:
    """Phase2b(a): for some 2a message m with m.bal >= maxBal[a], vote for it."""
    out = []
    for m in ordered(s.msgs):
        if m[0] == "2a" and m[1] >= s.maxBal[a]:
            b, v = m[1], m[2]
            out.append((Action("Phase2b", (a, b, v)), TlaState(
                _set(s.maxBal, a, b), _set(s.maxVBal, a, b), _set(s.maxVal, a, v),
                s.msgs | {("2b", a, b, v)})))
    return out


def next_steps(s: TlaState, ballots: int, values: int,
               quorums: Quorums) -> list[tuple[Action, TlaState]]:
    """Next: (E b: Phase1a(b) \\/ E v: Phase2a(b, v)) \\/ (E a: Phase1b(a) \\/ Phase2b(a))."""
    out = []
    for b in range(ballots):
        out += phase1a(s, b)
        for v in range(values):
            out += phase2a(s, b, v, quorums)
    for a in range(len(s.maxBal)):
        out += phase1b(s, a)
        out += phase2b(s, a)
    return out


# -- invariants (Paxos.tla's Inv, Voting.tla's Inv, Consensus's safety) -------------------------
def votes(s: TlaState) -> list[set[tuple[int, int]]]:
    """votes[a] = {<<m.bal, m.val>> : m a 2b message from a}."""
    out: list[set[tuple[int, int]]] = [set() for _ in s.maxBal]
    for m in s.msgs:
        if m[0] == "2b":
            out[m[1]].add((m[2], m[3]))
    return out


def chosen(s: TlaState, quorums2: Quorums) -> set[int]:
    """{v : E b, Q: A a in Q: VotedFor(a, b, v)}."""
    vs = votes(s)
    cast = {bv for per in vs for bv in per}
    return {v for (b, v) in cast if any(all((b, v) in vs[a] for a in q) for q in quorums2)}


def shows_safe_at(s: TlaState, vs: Sequence[set[tuple[int, int]]], q: frozenset[int], b: int,
                  v: int) -> bool:
    """Voting's ShowsSafeAt(Q, b, v)."""
    if not all(s.maxBal[a] >= b for a in q):
        return False
    for c in range(-1, b):
        if c != -1 and not any((c, v) in vs[a] for a in q):
            continue
        if all(not any(d == bal for (bal, _) in vs[a]) for d in range(c + 1, b) for a in q):
            return True
    return False


def safe_at(s: TlaState, vs: Sequence[set[tuple[int, int]]], b: int, v: int,
            quorums2: Quorums) -> bool:
    """Voting's SafeAt(b, v): no value other than v is or can be chosen below b."""
    def cannot_vote_at(a: int, c: int) -> bool:
        return s.maxBal[a] > c and not any(bal == c for (bal, _) in vs[a])

    return all(any(all((c, v) in vs[a] or cannot_vote_at(a, c) for a in q) for q in quorums2)
               for c in range(b))


def one_value_per_ballot(s: TlaState) -> bool:
    """All 2a messages of a ballot carry one value (Inv, conjunct on 2a messages)."""
    seen: dict[int, int] = {}
    return all(seen.setdefault(m[1], m[2]) == m[2] for m in s.msgs if m[0] == "2a")


def promise_covers_accept(s: TlaState) -> bool:
    """maxBal[a] >= maxVBal[a] for every acceptor."""
    return all(mb >= mvb for mb, mvb in zip(s.maxBal, s.maxVBal, strict=True))


def vote_is_recorded(s: TlaState) -> bool:
    """Inv's second conjunct: <<maxVBal[a], maxVal[a]>> is a vote of a, or <<-1, None>>."""
    vs = votes(s)
    return all((mv is None) if mvb == -1 else (mvb, mv) in vs[a]
               for a, (mvb, mv) in enumerate(zip(s.maxVBal, s.maxVal, strict=True)))


def promise_is_kept(s: TlaState) -> bool:
    """Every 1b message: its acceptor's maxBal >= its ballot, and the vote it reports was cast."""
    vs = votes(s)
    return all(s.maxBal[m[1]] >= m[2] and (m[3] < 0 or (m[3], m[4]) in vs[m[1]])
               for m in s.msgs if m[0] == "1b")


def accept_is_safe(s: TlaState, quorums1: Quorums) -> bool:
    """Every 2a message (b, v): some phase-1 quorum ShowsSafeAt(Q, b, v)."""
    vs = votes(s)
    return all(any(shows_safe_at(s, vs, q, m[1], m[2]) for q in quorums1)
               for m in s.msgs if m[0] == "2a")


def votes_safe(s: TlaState, quorums2: Quorums) -> bool:
    """Voting's Inv: every vote (b, v) is SafeAt(b, v), and one value per ballot among votes."""
    vs = votes(s)
    by_ballot: dict[int, int] = {}
    for per in vs:
        for b, v in per:
            if by_ballot.setdefault(b, v) != v:
                return False
    return all(safe_at(s, vs, b, v, quorums2) for per in vs for (b, v) in per)


def agreement(s: TlaState, quorums2: Quorums) -> bool:
    """Consensus: at most one value is chosen."""
    return len(chosen(s, quorums2)) <= 1
