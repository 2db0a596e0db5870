"""The two Paxos strategies: one Basic Paxos instance per slot, and Multi-Paxos.

The protocol lives in ``paxosbook.core`` (``core.slots``, ``core.multi``); this module only
says which node runs which role. Replicas ``r1..rN`` are acceptors and learners of every slot
(each the others' acceptor, as in the paper's section 3 where every server plays all roles);
the proposers A, B, ... are ``LogProposer`` s (per-slot Paxos) or ``MultiProposer`` s
(Multi-Paxos, the first of them the initial leader). Acceptors send their ``Accepted`` to the
proposer that asked and to every replica. Proposer ids: A, B, ... are 1, 2, ...; the replicas
come after (they propose only to find out a slot they missed, see ``core.replica``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core import Accept, Accepted, Backoff, Effect, Nack, Prepare, ProposerRound
from ..core.multi import Ack, MultiPrepare, MultiPromise, MultiProposer, Submit, promise_all
from ..core.replica import LogLearner
from ..core.slots import CatchUp, LogAcceptor, LogProposer, Slotted
from .config import Strategy
from .system import LogNode, LogSystem

CATCH_UP_TIMEOUTS = 2.0
"""A replica that learned nothing for this many phase timeouts asks the acceptors again."""


class _Replicas(LogSystem):
    def replica(self, name: str, stored: Mapping[Any, Any]) -> LogNode:
        acceptor = LogAcceptor(name, self.replicas, stored)
        learner = LogLearner(name, self.quorums, self.expected, acceptors=self.replicas,
                             catch_up=CATCH_UP_TIMEOUTS * self.config.timeout,
                             pid=len(self.proposers) + self.replicas.index(name) + 1,
                             timeout=self.config.timeout, stored=stored)

        def slotted(env: Slotted) -> list[Effect]:
            kind = type(env.msg)
            if kind is Prepare or kind is Accept:
                return acceptor.on_slotted(env) + learner.touch()
            if kind is Accepted:
                return learner.on_accepted(env) + learner.on_probe_reply(env) + learner.touch()
            return learner.on_probe_reply(env)  # Promise, Nack: it is finding out a slot

        def catch_up(msg: CatchUp) -> list[Effect]:
            return acceptor.on_catch_up(msg) + learner.touch()

        def multi_prepare(msg: MultiPrepare) -> list[Effect]:
            return promise_all(acceptor, msg) + learner.touch()

        routes: dict[type, Any] = {Slotted: slotted, CatchUp: catch_up,
                                   MultiPrepare: multi_prepare}
        return LogNode(name, routes, start=learner.on_start, timeout=learner.on_timeout,
                       acceptor=acceptor, learner=learner)

    def pid(self, name: str) -> int:
        return self.proposers.index(name) + 1


class PaxosSystem(_Replicas):
    strategy = Strategy.PAXOS

    def proposer(self, name: str, stored: Mapping[Any, Any]) -> LogNode:
        cfg = self.config
        proposer = LogProposer(name, self.pid(name), cfg.commands_of(name), self.replicas,
                               self.quorums, timeout=cfg.timeout, backoff=Backoff(cfg.backoff),
                               backoff_base=cfg.backoff_base, stored=stored)
        return LogNode(name, {Slotted: proposer.on_slotted}, start=proposer.on_start,
                       timeout=proposer.on_timeout, proposer=proposer)


class MultiPaxosSystem(_Replicas):
    strategy = Strategy.MULTI_PAXOS

    def proposer(self, name: str, stored: Mapping[Any, Any]) -> LogNode:
        cfg = self.config
        p = MultiProposer(name, self.pid(name), cfg.commands_of(name), self.proposers,
                          self.replicas, self.quorums, timeout=cfg.timeout,
                          backoff=Backoff(cfg.backoff), backoff_base=cfg.backoff_base,
                          stored=stored.get(ProposerRound))
        routes: dict[type, Any] = {MultiPromise: p.on_multi_promise, Nack: p.on_nack,
                                   Slotted: p.on_slotted, Submit: p.on_submit, Ack: p.on_ack}
        return LogNode(name, routes, start=p.on_start, timeout=p.on_timeout, proposer=p)
