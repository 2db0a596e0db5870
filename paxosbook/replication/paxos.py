"""The two Paxos strategies: one Basic Paxos instance per slot, and Multi-Paxos.

The protocol lives in ``paxosbook.core`` (``core.log``); this module only says which node runs
which role. Replicas ``r1..rN`` are acceptors and learners of every slot (each the others'
acceptor, as in the paper's section 3 where every server plays all roles); the proposers A, B,
... are ``LogProposer`` s (per-slot Paxos) or ``MultiProposer`` s (Multi-Paxos, the first of
them the initial leader). Acceptors send their ``Accepted`` to the proposer that asked and to
every replica. Proposer ids: A, B, ... are 1, 2, ...; the replicas come after (they propose
only to find out a slot they missed, see ``core.log.learner``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from ..core import Accept, Accepted, Backoff, Effect, Nack, Prepare
from ..core.log import (
    Ack,
    CatchUp,
    LogAcceptor,
    LogAcceptorState,
    LogLearner,
    LogLearnerState,
    LogProposer,
    MultiPrepare,
    MultiPromise,
    MultiProposer,
    Slotted,
    Submit,
    promise_all,
)
from .config import Strategy
from .system import Handler, LogNode, LogSystem

CATCH_UP_TIMEOUTS = 2.0
"""A replica that learned nothing for this many phase timeouts asks the acceptors again."""


class ReplicaState(NamedTuple):
    """A replica's state: its acceptor of every slot and its log."""

    acceptor: LogAcceptorState
    learner: LogLearnerState


class _Replicas(LogSystem):
    def replica(self, name: str) -> LogNode:
        acceptor = LogAcceptor(name, self.replicas)
        learner = LogLearner(name, self.quorums, frozenset(self.expected),
                             acceptors=self.replicas,
                             catch_up=CATCH_UP_TIMEOUTS * self.config.timeout,
                             pid=len(self.proposers) + self.replicas.index(name) + 1,
                             timeout=self.config.timeout)
        on_slotted, on_catch_up = acceptor.on_slotted, acceptor.on_catch_up
        on_accepted, on_probe_reply, touch = (learner.on_accepted, learner.on_probe_reply,
                                              learner.touch)

        def slotted(s: ReplicaState, env: Slotted) -> tuple[ReplicaState, list[Effect]]:
            # the hot path of a run: the learner's probe and touch are skipped when they would
            # do nothing (no probe running; the catch-up timer already armed)
            kind = type(env.msg)
            acc, log = s
            if kind is Prepare or kind is Accept:
                acc, effects = on_slotted(acc, env)
            elif kind is Accepted:
                log, effects = on_accepted(log, env)
                if log.probe is not None:
                    log, more = on_probe_reply(log, env)
                    effects += more
            else:  # Promise, Nack: it is finding out a slot
                if log.probe is None:
                    return s, []
                log, effects = on_probe_reply(log, env)
                return ReplicaState(acc, log), effects
            if not log.armed:
                log, more = touch(log)
                effects += more
            if acc is s.acceptor and log is s.learner:
                return s, effects
            return ReplicaState(acc, log), effects

        def catch_up(s: ReplicaState, msg: CatchUp) -> tuple[ReplicaState, list[Effect]]:
            acc, effects = on_catch_up(s.acceptor, msg)
            log, more = touch(s.learner)
            return ReplicaState(acc, log), effects + more

        def multi_prepare(s: ReplicaState, msg: MultiPrepare
                          ) -> tuple[ReplicaState, list[Effect]]:
            acc, effects = promise_all(acceptor, s.acceptor, msg)
            log, more = touch(s.learner)
            return ReplicaState(acc, log), effects + more

        def init(stored: Mapping[Any, Any]) -> ReplicaState:
            return ReplicaState(acceptor.init(stored), learner.init(stored))

        def start(s: ReplicaState) -> tuple[ReplicaState, list[Effect]]:
            log, effects = learner.on_start(s.learner)
            return ReplicaState(s.acceptor, log), effects

        def timeout(s: ReplicaState, timer: Any) -> tuple[ReplicaState, list[Effect]]:
            log, effects = learner.on_timeout(s.learner, timer)
            return ReplicaState(s.acceptor, log), effects

        routes: dict[type, Handler] = {Slotted: slotted, CatchUp: catch_up,
                                       MultiPrepare: multi_prepare}
        return LogNode(name, routes, init=init, start=start, timeout=timeout)

    def pid(self, name: str) -> int:
        return self.proposers.index(name) + 1


class PaxosSystem(_Replicas):
    strategy = Strategy.PAXOS

    def proposer(self, name: str) -> LogNode:
        cfg = self.config
        p = LogProposer(name, self.pid(name), cfg.commands_of(name), self.replicas,
                        self.quorums, timeout=cfg.timeout, backoff=Backoff(cfg.backoff),
                        backoff_base=cfg.backoff_base)
        return LogNode(name, {Slotted: p.on_slotted}, init=p.init, start=p.on_start,
                       timeout=p.on_timeout)


class MultiPaxosSystem(_Replicas):
    strategy = Strategy.MULTI_PAXOS

    def proposer(self, name: str) -> LogNode:
        cfg = self.config
        p = MultiProposer(name, self.pid(name), cfg.commands_of(name), self.proposers,
                          self.replicas, self.quorums, timeout=cfg.timeout,
                          backoff=Backoff(cfg.backoff), backoff_base=cfg.backoff_base)
        routes: dict[type, Handler] = {MultiPromise: p.on_multi_promise, Nack: p.on_nack,
                                       Slotted: p.on_slotted, Submit: p.on_submit,
                                       Ack: p.on_ack}
        return LogNode(name, routes, init=p.init, start=p.on_start, timeout=p.on_timeout)
