"""The exact number of ballots dueling proposers need, as a Markov chain over round trips.

The model is derived from the protocol's timing in the simulator, not from the simulator's code
(``paxosbook.experiments.dueling`` checks the one against the other). Assumptions, each a
setting of the runs it models (``dueling.settings``):

* ``n`` proposers, three acceptors with majority quorums, no loss, no duplication, no crash, a
  constant one-way delay ``d``; time is counted in round trips ``R = 2d``. Proposer ``i``
  (from 0) starts at slot ``i * offset`` (a whole number of round trips).
* Discrete backoff with slots of one round trip: after its ``a``-th failed ballot a proposer
  waits ``k`` round trips, ``k`` uniform on ``0 .. W-1`` with ``W = window * 2**min(a-1, 8)``.
* The phase timeout is longer than a round trip, so no timer but the backoff's ever fires:
  a ballot is abandoned on a ``Nack`` only.

Timing. A ballot started at slot ``t`` (Prepares sent at time ``t``) reaches the acceptors at
``t + 1/2``; their answers come back at ``t + 1``, when a promised proposer sends its Accepts,
which arrive at ``t + 3/2``; an accepted Accept is learned at ``t + 2``. A refusal (``Nack``,
carrying the acceptor's promise) comes back at ``t + 1`` for a Prepare and ``t + 2`` for an
Accept, so every proposer acts at whole slots and every acceptor at half slots. All three
acceptors see the same messages in the same order, so they answer alike.

Order of events at one instant (the simulator runs equal-time events in the order they were
scheduled): at slot ``t`` first the start events (scheduled before anything), then backoff
timers set at an earlier slot (by the slot they were set, then by the order they were set),
then the answers sent at ``t - 1/2`` (in the order of the messages they answer), and last the
backoff timers of zero slots set by those answers. So at ``t + 1/2`` the acceptors see, in
order: Prepares of proposers whose start or earlier timer fired, Accepts of proposers promised
at ``t``, Prepares of proposers that were refused at ``t`` and drew ``k = 0``. A Prepare is
promised iff its ballot is above the acceptors' promise; an Accept is accepted iff its ballot is
at least the promise. The first accepted Accept decides.

Ballots are ``(round, pid)``; a new ballot's round is one above the highest round the proposer
used or was told of by a Nack. Rounds enter the chain only relative to the acceptors' promise
``M``: a proposer's round ``r`` is kept as ``max(r - M, -2)`` (a ballot from ``r <= M - 2`` is
refused like any other below ``M``, and tells the proposer ``M``), so the state space is finite
but for the count of ballots so far.

The chain's state at slot ``t``: the promise's pid and, per proposer, its relative round, its
ballots tried (capped where the window stops growing) and what it waits for: its start slot, a
backoff timer (uniform over the next ``m`` slots: it fires now with probability ``1/m``, which
keeps the chain Markov) with its rank among the timers, or an answer (promise, or Nack with the
promise it reports) at position ``j`` of the acceptors' order; the chain runs over (state,
ballots started so far). "Ballots until a decision" is the number of ballots started no later
than the deciding ballot (ballots started in the same slot count). Probabilities are exact
fractions; the chain is run until the undecided mass is below ``tol`` and that mass is reported.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator
from fractions import Fraction
from typing import NamedTuple

from ..core.proposer import MAX_DOUBLINGS

START, WAIT, REPLY = 0, 1, 2
FLOOR = -2
"""Relative rounds below the promise are kept down to this (lower ones behave the same)."""
ATTEMPTS_CAP = MAX_DOUBLINGS + 1

Status = tuple[int, int, int, int]
"""``(START, slot, 0, 0)``, ``(WAIT, m, rank, 0)`` or ``(REPLY, position, promised, seen)``."""
Prop = tuple[int, int, Status]
"""A proposer: relative round, attempts (capped), status."""
State = tuple[int, tuple[Prop, ...]]
"""The promise's pid and the proposers (the ballots started so far are kept beside it)."""
Outcome = tuple[Fraction, State | None, int]
"""``(probability, next state, ballots started in the slot)``; ``None``: decided."""


class Exact(NamedTuple):
    """``probabilities[n]``: P(ballots until a decision = n); ``tail``: the undecided mass
    left when the chain was stopped; ``slots``: round trips computed."""

    probabilities: dict[int, Fraction]
    tail: Fraction
    slots: int


def window_at(window: int, attempts: int) -> int:
    """The backoff window after ``attempts`` ballots (the last one failed)."""
    return window * 2 ** min(attempts - 1, MAX_DOUBLINGS)


def initial(proposers: int, offset: int) -> State:
    return 0, tuple((0, 0, (START, i * offset, 0, 0)) for i in range(proposers))


def distribution(proposers: int, window: int, offset: int, *, tol: Fraction,
                 max_slots: int) -> Exact:
    """Run the chain slot by slot until at most ``tol`` of the mass is undecided. The
    distribution is over (state, ballots started so far); a state's successors depend on the
    slot only until the last proposer has started, and are computed once after that."""
    states: dict[tuple[State, int], Fraction] = {(initial(proposers, offset), 0): Fraction(1)}
    decided: dict[int, Fraction] = defaultdict(Fraction)
    cache: dict[tuple[State, int], list[Outcome]] = {}
    last = (proposers - 1) * offset
    t = 0
    while states and t < max_slots and sum(states.values()) > tol:
        nxt: dict[tuple[State, int], Fraction] = defaultdict(Fraction)
        for (state, count), p in states.items():
            key = (state, min(t, last + 1))
            outcomes = cache.get(key)
            if outcomes is None:
                outcomes = cache[key] = list(step(state, t, window))
            for q, after, started in outcomes:
                if after is None:
                    decided[count] += p * q
                else:
                    nxt[after, count + started] += p * q
        states, t = nxt, t + 1
    return Exact(dict(sorted(decided.items())), sum(states.values(), Fraction(0)), t)


def step(state: State, t: int, window: int) -> Iterator[Outcome]:
    """The successors of ``state`` at slot ``t``."""
    props = state[1]
    choices = []
    for _, attempts, (kind, a, _, promised) in props:
        if kind == WAIT:  # fires now (True) with probability 1/m
            choices.append(((1, a, True), (a - 1, a, False)) if a > 1 else ((1, 1, True),))
        elif kind == REPLY and not promised:  # a Nack: k = 0 (True) with probability 1/W
            w = window_at(window, attempts)
            choices.append(((1, w, True), (w - 1, w, False)) if w > 1 else ((1, 1, True),))
        else:
            choices.append(((1, 1, False),))
    for combo in itertools.product(*choices):
        num = den = 1
        for n, d, _ in combo:
            num, den = num * n, den * d
        yield (Fraction(num, den), *_advance(state, t, window, tuple(c for _, _, c in combo)))


def _advance(state: State, t: int, window: int, now: tuple[bool, ...]
             ) -> tuple[State | None, int]:
    """Slot ``t`` and the acceptors at ``t + 1/2``, given which timers fire (``now`` for a
    waiting proposer) and which refused proposers drew ``k = 0`` (``now`` for a Nack):
    the next state (``None`` if a ballot was decided) and the ballots started."""
    pid, props = state
    rounds = [r for r, _, _ in props]
    attempts = [a for _, a, _ in props]
    status: list[Status | None] = [None] * len(props)
    waits: list[tuple[tuple[int, int], int, int]] = []  # (order key, proposer, m)
    sent: list[tuple[bool, int]] = []  # (is a Prepare, proposer) in the acceptors' order

    def begin(i: int) -> None:
        rounds[i] += 1
        attempts[i] = min(attempts[i] + 1, ATTEMPTS_CAP)
        sent.append((True, i))

    starts = [i for i, (_, _, s) in enumerate(props) if s[0] == START and s[1] == t]
    timers = sorted((s[2], i) for i, (_, _, s) in enumerate(props) if s[0] == WAIT and now[i])
    for i in starts + [i for _, i in timers]:
        begin(i)
    zero = []
    for i in sorted((i for i, (_, _, s) in enumerate(props) if s[0] == REPLY),
                    key=lambda i: props[i][2][1]):
        _, position, promised, seen = props[i][2]
        if promised:
            sent.append((False, i))
        else:
            rounds[i] = max(rounds[i], seen)
            if now[i]:
                zero.append(i)
            else:
                waits.append(((1, position), i, window_at(window, attempts[i]) - 1))
    for i in zero:
        begin(i)
    for i, (_, _, s) in enumerate(props):
        if s[0] == WAIT and not now[i]:
            waits.append(((0, s[2]), i, s[1] - 1))
        elif s[0] == START and s[1] > t:
            status[i] = s
    promise = (0, pid)
    for j, (prepare, i) in enumerate(sent):
        ballot = (rounds[i], i + 1)
        if prepare and ballot > promise:
            promise = ballot
            status[i] = (REPLY, j, 1, 0)
        elif not prepare and ballot >= promise:
            return None, 0  # decided by a ballot started at t - 1
        else:
            status[i] = (REPLY, j, 0, promise[0])
    for rank, (_, i, m) in enumerate(sorted(waits)):
        status[i] = (WAIT, m, rank, 0)
    return (_relative(promise, rounds, attempts, status),
            sum(1 for prepare, _ in sent if prepare))


def _relative(promise: tuple[int, int], rounds: list[int], attempts: list[int],
              status: list[Status | None]) -> State:
    """The state with rounds counted from the promise ``M`` (and floored at ``M + FLOOR``)."""
    top = promise[0]
    props = []
    for r, a, s in zip(rounds, attempts, status, strict=True):
        assert s is not None
        if s[0] == REPLY and not s[2]:
            s = (REPLY, s[1], 0, max(s[3] - top, FLOOR))
        props.append((max(r - top, FLOOR), a, s))
    return promise[1], tuple(props)
