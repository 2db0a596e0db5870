"""Settling a stable state: messages that can no longer change anything, taken out and counted.

In the stable relation many messages in flight are *inert*: delivering one leaves every node
state as it was and sends at most a message that is itself inert (or lost, to a stopped
proposer), and this stays so whatever happens first. Their only effect on the future is the
steps their deliveries take, and they hold the timers back (a timer fires only when nothing
is in flight). So for an undecided stable state ``X`` with ``w`` such delivery steps and
``X'`` the state without those messages::

    longest(X) = longest(X') + w        and X has an endless run iff X' has one.

Why: along any run of ``X``, the inert deliveries change no node state, so leaving them out
gives a run of ``X'`` (a timeout there has a smaller network, so it is still enabled) through
the same node states, decided exactly when the run of ``X`` is; and a longest run of ``X'``
with the ``w`` deliveries done first is a run of ``X``. ``System.normal`` and renaming the
acceptors commute with settling (they keep every condition below).

The conditions (each stays true once true, whatever steps follow; so does "frozen" below):

* A ``Promise`` to an active proposer for a ballot of round at most its round that is not
  the ballot it is preparing: ``on_promise`` ignores it, and every later ballot is higher.
* An ``Accepted`` to an active proposer for a ballot of round at most its round, unless it is
  the ballot it is accepting and the sender is not yet among ``accepts``.
* A ``Nack`` to an active proposer for a ballot of round at most its round, not its current
  ballot, whose ``promised`` round is at most its round (``seen_round`` changes nothing).
* A ``Prepare`` from a stopped proposer at most the acceptor's promise, or an ``Accept`` from
  one below it: the acceptor keeps its state and answers the stopped proposer (lost).
* With one active proposer ``p``: a ``Prepare`` or ``Accept`` of ``p``'s, below the
  acceptor's promise, of round at most ``p``'s round and not its current ballot, when the
  acceptor's promise can never pass ``p``'s round (its promise and every live message to it
  from a stopped proposer are of round at most ``p``'s round; ``p``'s own ballots never pass
  its round). Its answer is a ``Nack`` inert as above: two steps.

A learner's votes for a proposal that can get no more votes are *frozen*: no live ``Accept``
or ``Accepted`` (to that learner) of its ballot is in flight and no active proposer can still
send an ``Accept`` of it (it is not a ballot a proposer is preparing or may yet choose). The
learner reads votes only for the proposal of an arriving ``Accepted``, so frozen votes are
history: they are cleared, exact as ``base.view`` is for the proposer.

These conditions restate the handlers' logic, so they are not trusted on their own: with
``record`` on (``bounded_response`` sets it) every message taken out is recorded with its
receiver's state and the steps counted, and every learner whose votes were cleared with what
may still reach it, and after the search ``certify.Certificate`` checks the records with the
real handlers (the message changes nothing and sends nothing live, or one inert ``Nack`` for
two steps, in the receiver's state and every later state of it that the search created;
cleared votes change nothing for the messages in flight to the learner). A failed check
makes ``bounded_response`` search again without settling (``Response.settle_failed``). Still
argued, not certified: the answer a *later* acceptor state gives in the two-step case (the
bound on its promise above), and that no later ``Accept`` reaches cleared votes.

Settling is idempotent (``tests/test_liveness.py`` checks it, and that each message taken out
is one the real handlers leave every node state unchanged for, and the same ``k`` with and
without settling on small configurations; and that the certificate catches planted bugs in
these conditions). It reads nodes that host one role each; a node hosting several roles is
left alone (settling is then partial, still exact).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...core import Accept, Accepted, Nack, NodeState, Phase, Prepare, Promise
from ...core.learner import LearnerState

if TYPE_CHECKING:
    from .system import State, System

Taken = tuple[int, Any, int, tuple[int, ...], int, int, Any]
Cleared = tuple[int, Any, frozenset[Any], tuple[int, ...], tuple[tuple[Any, int], ...]]


class Settler:
    """``settle`` for the stable states of one ``System``."""

    def __init__(self, system: System) -> None:
        self.system = system
        cluster = system.cluster
        self.kind: list[str] = []  # per node: "p", "a", "l" or "" (several roles)
        for node in system.roles:
            roles = [r for r, x in (("p", node.proposer), ("a", node.acceptor),
                                    ("l", node.learner)) if x is not None]
            self.kind.append(roles[0] if len(roles) == 1 else "")
        self.pid = [node.proposer.pid if node.proposer is not None else 0
                    for node in system.roles]
        self.src: list[int] = []  # per message id: its sender's index
        self._index = {n: i for i, n in enumerate(cluster.nodes)}
        self.record = False
        """Keep what settling relied on, for ``certify.Certificate`` (below)."""
        self.taken: dict[Taken, None] = {}
        """Each message taken out as inert: (receiver, its local state, the message id, the
        stopped proposers, the steps counted, and for two steps the active proposer's index
        and local state, else -1 and None)."""
        self.cleared: dict[Cleared, None] = {}
        """Each learner whose frozen votes were cleared: (its index, its local state, the
        votes it keeps, the messages in flight to it, each ``Accept`` in flight with its
        receiver's node state)."""

    def _src(self, mid: int) -> int:
        src = self.src
        while len(src) <= mid:
            src.append(self._index[self.system.msgs[len(src)].src])
        return src[mid]

    def settle(self, state: State) -> tuple[State, int]:
        """An undecided stable ``state`` without its inert messages and frozen votes
        (renumbered), and the delivery steps those messages take (module docstring)."""
        nodes = state[3]
        active = [i for i in self.system.proposers if nodes[i][0] is not None]
        keep, out, steps = self.inert(state)
        new_nodes = self.unfreeze(nodes, keep, active)
        if not out and new_nodes is nodes:
            return state, 0
        settled = (True, 0, tuple(sorted(keep)), new_nodes)
        if self.record and new_nodes is not nodes:
            self._clear(nodes, new_nodes, settled[2])
        return self.system.normal(settled), steps

    def _clear(self, nodes: tuple[Any, ...], new_nodes: tuple[Any, ...], net: tuple[int, ...]
               ) -> None:
        """Record each learner whose votes were cleared, with what may still reach it: the
        messages in flight to it and the ``Accept`` messages in flight, with their
        receivers' states (``certify``)."""
        system = self.system
        accepts = tuple((nodes[system.dst[m]][0], m) for m in net
                        if type(system.msgs[m]) is Accept)
        for i, (before, after) in enumerate(zip(nodes, new_nodes, strict=True)):
            if before is not after:
                mine = tuple(m for m in net if system.dst[m] == i)
                self.cleared[(i, before, after[0].learner.votes, mine, accepts)] = None

    def inert(self, state: State) -> tuple[list[int], list[int], int]:
        """The messages of a stable ``state`` split into live and inert ones, and the steps
        the inert ones take."""
        system = self.system
        _, _, net, nodes = state
        msgs, dst, kind = system.msgs, system.dst, self.kind
        active = [i for i in system.proposers if nodes[i][0] is not None]
        single = nodes[active[0]][0].proposer if len(active) == 1 else None
        # the highest round each acceptor may yet promise, from stopped proposers' live asks
        bound: dict[int, int] = {}
        live_stopped: list[tuple[int, Any]] = []
        steps = 0
        keep: list[int] = []
        out: list[int] = []
        mine: list[tuple[int, Any]] = []  # the active proposer's asks, judged last
        for mid in net:
            i = dst[mid]
            msg = msgs[mid]
            k = kind[i]
            t = type(msg)
            if k == "p":
                p = nodes[i][0].proposer
                b = msg.ballot
                if b.round <= p.round and (
                        (t is Promise and (b != p.ballot or p.phase is not Phase.PREPARING))
                        or (t is Accepted and (b != p.ballot or (
                            p.phase is Phase.ACCEPTING and msg.src in p.accepts)))
                        or (t is Nack and b != p.ballot and msg.promised.round <= p.round)):
                    steps += self._take(state, i, mid, 1)
                    out.append(mid)
                    continue
            elif k == "a" and (t is Prepare or t is Accept):
                a = nodes[i][0].acceptor
                j = self._src(mid)
                if nodes[j][0] is None:  # from a stopped proposer
                    if msg.ballot < a.promised or (t is Prepare and msg.ballot == a.promised):
                        steps += self._take(state, i, mid, 1)
                        out.append(mid)
                        continue
                    live_stopped.append((i, msg.ballot.round))
                elif single is not None:
                    mine.append((mid, a))
                    continue
            keep.append(mid)
        if mine:
            assert single is not None
            p = single
            for i, r in live_stopped:
                if bound.get(i, -1) < r:
                    bound[i] = r
            for mid, a in mine:
                b = msgs[mid].ballot
                if (b < a.promised and b != p.ballot and b.round <= p.round
                        and a.promised.round <= p.round
                        and bound.get(dst[mid], -1) <= p.round):
                    steps += self._take(state, dst[mid], mid, 2, active[0])
                    out.append(mid)
                else:
                    keep.append(mid)
        return keep, out, steps

    def _take(self, state: State, i: int, mid: int, steps: int, active: int = -1) -> int:
        """Message ``mid`` to node ``i`` taken out of ``state`` as inert: the ``steps`` its
        delivery takes (1, or 2 with the answer to the ``active`` proposer), recorded for the
        certificate when ``record`` is on."""
        if self.record:
            nodes = state[3]
            stopped = tuple(j for j in self.system.proposers if nodes[j][0] is None)
            self.taken[(i, nodes[i], mid, stopped, steps, active,
                        nodes[active] if active >= 0 else None)] = None
        return steps

    def unfreeze(self, nodes: tuple[Any, ...], net: list[int], active: list[int]
                 ) -> tuple[Any, ...]:
        """``nodes`` with every learner's frozen votes cleared, ``net`` the live messages in
        flight and ``active`` the indices of the active proposers."""
        system = self.system
        out: list[Any] | None = None
        for i, k in enumerate(self.kind):
            if k != "l":
                continue
            s, timers, stored = nodes[i]
            lr = s.learner
            if not lr.votes:
                continue
            open_: set[Any] = set()  # ballots that may still get a vote here
            for mid in net:
                msg = system.msgs[mid]
                t = type(msg)
                if t is Accept or (t is Accepted and system.dst[mid] == i):
                    open_.add(msg.ballot)
            for j in active:
                p = nodes[j][0].proposer
                if p.phase is Phase.PREPARING:
                    open_.add(p.ballot)
            pids = {self.pid[j]: nodes[j][0].proposer.round for j in active}
            votes = frozenset(v for v in lr.votes if v[0].ballot in open_ or (
                v[0].ballot.proposer in pids and v[0].ballot.round > pids[v[0].ballot.proposer]))
            if len(votes) == len(lr.votes):
                continue
            if out is None:
                out = list(nodes)
            out[i] = (NodeState(s.proposer, s.acceptor, LearnerState(votes, lr.learned)),
                      timers, stored)
        return nodes if out is None else tuple(out)
