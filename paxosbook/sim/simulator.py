"""The discrete-event simulator.

Theory of operation. One heap of ``(time, sequence, kind, a, b)`` entries; the sequence number
increases with every push, so events at equal times run in the order they were scheduled and a
run depends on nothing but its config and seed. Every random choice (loss, duplication, delay,
backoff jitter or slots, random crashes) is drawn from the one ``random.Random(seed)`` the simulator
owns, in a fixed order. It runs a ``System`` of nodes (a ``Config``'s cluster, or another
system, see ``paxosbook.sim.system``) under a ``Network``. Each node is a configuration whose
pure handlers take the node's state and an input and return the next state and effects; the
simulator keeps every node's state and stable storage, delivers messages, fires timers and
applies the network's fault model:

* a message is lost with probability ``drop`` (decided at send, recorded at the time it would
  have arrived), duplicated with probability ``duplicate`` (the copy has its own id and delay),
  and delayed by the configured distribution, which reorders messages;
* a message arriving at a crashed node, or across a cut link of an active partition, is lost;
* a crash discards the node's volatile state and timers; a restart rebuilds it from storage and
  calls ``on_start`` again (a restarted proposer tries again with a fresh, higher ballot);
* a node with a start time starts once: at that time, or at its restart if it is down then
  (a restart before the start time only rebuilds its state).

Messages a node sends to itself (colocated roles) are delivered at once and never lost.
Every step is appended to ``records`` as a plain tuple (see ``paxosbook.trace``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

from ..config import Config
from ..core import AcceptorState, CancelTimer, Learn, Persist, Send, SetTimer, Timer, UsageError
from ..core.log.envelope import LearnSlot, SlotState
from ..gcpause import gc_paused
from ..network import Network
from ..trace import (
    ACCEPT,
    CRASH,
    DELIVER,
    DROP,
    DUPLICATE,
    LEARN,
    PARTITION_END,
    PARTITION_START,
    PROMISE,
    RECOVER,
    SEND,
    START,
    TIMER,
    Record,
    Run,
)
from ..validation import check_seed
from .system import Actor, ClusterSystem, Deployment, System

# heap entry kinds
_DELIVER, _DROP, _TIMER, _START, _CRASH, _RECOVER, _PSTART, _PEND = range(8)


class Simulator:
    """Runs one config with one seed. ``step()`` advances one event, ``run()`` to the end.

    The nodes are ``system`` (default: the ``Config``'s cluster); the faults, delays and
    limits are ``config.network``. A ``LogConfig`` with one of its strategies' systems runs
    the same way."""

    def __init__(self, config: Config | Deployment, seed: int = 0,
                 system: System | None = None) -> None:
        check_seed("seed", seed)
        if not isinstance(getattr(config, "network", None), Network):
            raise UsageError("config", "a Config (Config(acceptors=3, ...), or Config.from_dict "
                             "for a dict of fields) or a LogConfig", type(config).__name__)
        if system is None:
            if not isinstance(config, Config):
                raise UsageError("system", "the System of nodes to run (only a Config brings "
                                 "its own cluster)", type(config).__name__)
            system = ClusterSystem(config)
        self.config = config
        self.network = config.network
        self.seed = seed
        self.cluster: System = system
        self._partitions = tuple(self.network.partitions)
        self.rng = random.Random(seed)
        self.now = 0.0
        self.records: list[Record] = []
        self.nodes: dict[str, Actor] = {n: self.cluster.node(n) for n in self.cluster.nodes}
        self.states: dict[str, Any] = {n: node.init(None) for n, node in self.nodes.items()}
        self.storage: dict[str, dict[Any, Any]] = {n: {} for n in self.cluster.nodes}
        self.crashed: set[str] = set()
        self.timers: dict[str, dict[Timer, int]] = {n: {} for n in self.cluster.nodes}
        self.cuts: list[dict[str, int]] = []  # active partitions: node -> group index
        self.learned: set[str] = set()
        self.sent = 0
        self._heap: list[tuple[float, int, int, Any, Any]] = []
        self._seq = 0
        self._next_id = 0
        self._delay = self._delay_sampler()
        net = self.network
        self._drop, self._duplicate = net.drop, net.duplicate
        self._random = self.rng.random
        jitter = float(net.delay_jitter or 0.0)
        self._uniform = ((net.delay_mean - jitter, 2.0 * jitter) if net.delay == "uniform"
                         else (0.0, 0.0))
        self._finished = False
        self._proposes: dict[str, Any] = {}  # node -> the value its start event shows
        self._unstarted: set[str] = set()  # nodes whose start time has not come yet
        self._schedule_initial()

    # -- scheduling -------------------------------------------------------------------------
    def _push(self, time: float, kind: int, a: Any, b: Any = None) -> None:
        self._seq += 1
        heappush(self._heap, (float(time), self._seq, kind, a, b))

    def _schedule_initial(self) -> None:
        net = self.network
        for at, node, value in self.cluster.start_events():
            self._push(at, _START, node, value)
            self._proposes[node] = value
            self._unstarted.add(node)
        crashes = [(c.node, c.at, c.recover) for c in net.crashes]
        nodes = self.cluster.nodes
        for _ in range(net.random_crashes):
            node = nodes[self.rng.randrange(len(nodes))]
            at = self.rng.uniform(0.0, net.crash_window)
            crashes.append((node, at, at + net.downtime))
        for node, at, recover in crashes:
            self._push(at, _CRASH, node)
            if recover is not None:
                self._push(recover, _RECOVER, node)
        for i, p in enumerate(self._partitions):
            self._push(p.start, _PSTART, i)
            if p.end is not None:
                self._push(p.end, _PEND, i)

    def _delay_sampler(self) -> Callable[[], float]:
        cfg, rng = self.network, self.rng
        mean, jitter = cfg.delay_mean, float(cfg.delay_jitter or 0.0)
        if cfg.delay == "constant" or jitter == 0.0:
            return lambda: float(mean)
        rnd = rng.random
        if cfg.delay == "uniform":  # the arithmetic of rng.uniform(lo, hi), without its call
            lo, span = mean - jitter, 2.0 * jitter
            return lambda: lo + span * rnd()
        floor, rate = mean - jitter, 1.0 / jitter
        return lambda: floor + rng.expovariate(rate)

    # -- running ----------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """True once a stop condition holds or nothing is left to happen."""
        cfg = self.network
        return (self._finished or not self._heap or self._heap[0][0] > cfg.max_time
                or self.sent >= cfg.max_messages
                or (cfg.stop_when_decided and len(self.learned) == len(self.cluster.learners)))

    def step(self) -> Record | None:
        """Process the next event and return its record (``None`` when the run is over).

        Stale timers (cancelled, or of a node that crashed since) are skipped silently.
        """
        while not self.done:
            n = len(self.records)
            self._process(heappop(self._heap))
            if len(self.records) > n:
                return self.records[n]
        self._finished = True
        return None

    def run(self) -> Run:
        """Run to a stop condition and return the finished ``Run``.

        The cyclic garbage collector is paused while the loop runs: the simulation creates no
        reference cycles, and scanning millions of live trace records would dominate its cost.
        """
        cfg = self.network
        heap, process, learners = self._heap, self._process, len(self.cluster.learners)
        stop_decided, max_time, max_messages = cfg.stop_when_decided, cfg.max_time, cfg.max_messages
        learned, crashed, cuts, records = self.learned, self.crashed, self.cuts, self.records
        nodes, states, apply = self.nodes, self.states, self._apply
        with gc_paused():
            while heap and heap[0][0] <= max_time and self.sent < max_messages:
                if stop_decided and len(learned) == learners:
                    break
                entry = heappop(heap)
                now, _, kind, msg, mid = entry
                if kind != _DELIVER or cuts or (crashed and msg[1] in crashed):
                    process(entry)
                    continue
                # fast path of _deliver: nothing can stop this message
                self.now = now
                dst = msg[1]
                records.append((now, DELIVER, msg[0], dst, msg, mid, -1, ""))
                handler = nodes[dst].routes.get(type(msg))
                if handler is not None:
                    states[dst], effects = handler(states[dst], msg)
                    apply(dst, effects, mid)
        self._finished = True
        return self.result()

    def stop_reason(self) -> str:
        """Why the run is over (or would stop now): decided, messages, time, or quiescent."""
        cfg = self.network
        if cfg.stop_when_decided and len(self.learned) == len(self.cluster.learners):
            return "decided"
        if self.sent >= cfg.max_messages:
            return "messages"
        if self._heap and self._heap[0][0] > cfg.max_time:
            return "time"
        return "quiescent" if not self._heap else "running"

    def result(self) -> Run:
        """The run so far (after ``run()`` or any number of ``step()`` calls). Its records,
        trace and digest hold for any system; its summary and JSON need a ``Config``."""
        return Run(self.config, self.seed, self.records,  # type: ignore[arg-type]
                   self.stop_reason())

    def in_flight(self) -> list[tuple[int, Any]]:
        """``(id, message)`` of every message sent and neither delivered nor dropped yet, by
        id (including those the network will lose: that is decided at send and recorded at
        arrival). ``paxosbook.stepper`` takes a run over with these."""
        return sorted(((b, a) for _, _, kind, a, b in self._heap if kind in (_DELIVER, _DROP)),
                      key=lambda e: e[0])

    # -- events -----------------------------------------------------------------------------
    def _process(self, entry: tuple[float, int, int, Any, Any]) -> None:
        time, _, kind, a, b = entry
        self.now = time
        if kind == _DELIVER:
            self._deliver(a, b)
        elif kind == _TIMER:
            node, timer, token = a
            if self.timers[node].get(timer) == token:
                del self.timers[node][timer]
                self.records.append((time, TIMER, node, "", None, -1, -1, timer.value))
                self.states[node], effects = self.nodes[node].on_timeout(self.states[node], timer)
                self._apply(node, effects, -1)
        elif kind == _DROP:
            msg = a
            self.records.append((time, DROP, msg.src, msg.dst, msg, b, -1, "loss"))
        elif kind == _START:
            self._unstarted.discard(a)
            if a not in self.crashed:  # else it starts when it restarts
                self.records.append((time, START, a, "", b, -1, -1, ""))
                self.states[a], effects = self.nodes[a].on_start(self.states[a])
                self._apply(a, effects, -1)
        elif kind == _CRASH:
            self._crash(a)
        elif kind == _RECOVER:
            self._recover(a)
        else:
            self._partition(a, kind == _PSTART)

    def _deliver(self, msg: Any, mid: int) -> None:
        src, dst = msg.src, msg.dst
        if dst in self.crashed:
            self.records.append((self.now, DROP, src, dst, msg, mid, -1, "crashed"))
            return
        if self.cuts and src != dst:
            for groups in self.cuts:
                gs, gd = groups.get(src), groups.get(dst)
                if gs is not None and gd is not None and gs != gd:
                    self.records.append((self.now, DROP, src, dst, msg, mid, -1, "partition"))
                    return
        self.records.append((self.now, DELIVER, src, dst, msg, mid, -1, ""))
        self.states[dst], effects = self.nodes[dst].on_message(self.states[dst], msg)
        self._apply(dst, effects, mid)

    def _apply(self, node: str, effects: list[Any], cause: int) -> None:
        """Carry out a handler's effects in order (the hot path: kept flat on purpose; the
        counters live in locals for the loop and are written back at the end)."""
        records, heap, now = self.records, self._heap, self.now
        seq, next_id, sent = self._seq, self._next_id, self.sent
        drop, dup, delay_of, random = self._drop, self._duplicate, self._delay, self._random
        lo, span = self._uniform  # uniform delays inline (lo + span * random()), else delay_of
        for eff in effects:
            kind = type(eff)
            if kind is Send:  # inline of a send: id, record, loss, delay, duplication
                msg = eff[0]
                mid = next_id
                next_id += 1
                sent += 1
                seq += 1
                src, dst = msg[0], msg[1]  # every message starts (src, dst, ...)
                records.append((now, SEND, src, dst, msg, mid, cause, ""))
                if src == dst:
                    heappush(heap, (now, seq, _DELIVER, msg, mid))
                elif drop and random() < drop:
                    heappush(heap, (now + delay_of(), seq, _DROP, msg, mid))
                else:
                    at = now + (lo + span * random() if span else delay_of())
                    heappush(heap, (at, seq, _DELIVER, msg, mid))
                    if dup and random() < dup:
                        copy = next_id
                        next_id += 1
                        seq += 1
                        records.append((now, DUPLICATE, src, dst, msg, copy, mid, ""))
                        heappush(heap, (now + delay_of(), seq, _DELIVER, msg, copy))
            elif kind is SetTimer:
                seq += 1
                timer, delay, jitter, slots = eff
                if slots:
                    delay += jitter * self.rng.randrange(slots)
                elif jitter:
                    delay += self.rng.uniform(0.0, jitter)
                self.timers[node][timer] = seq
                heappush(heap, (now + delay, seq, _TIMER, (node, timer, seq), None))
            elif kind is CancelTimer:
                self.timers[node].pop(eff[0], None)
            elif kind is Persist:  # inline of _persist for the common acceptor case
                state = eff[0]
                if type(state) is AcceptorState:
                    store = self.storage[node]
                    old = store.get(AcceptorState)
                    event = ACCEPT if state[1] != (old[1] if old else None) else PROMISE
                    records.append((now, event, node, "", state, -1, cause, ""))
                    store[AcceptorState] = state
                else:
                    self._persist(node, state, cause)
            elif kind is Learn:
                self.learned.add(node)
                records.append((now, LEARN, node, "", eff, -1, cause, ""))
            elif kind is LearnSlot:  # a replicated log's replica learned a slot
                if eff[3]:
                    self.learned.add(node)
                records.append((now, LEARN, node, "", eff, -1, cause, ""))
        self._seq, self._next_id, self.sent = seq, next_id, sent

    def _persist(self, node: str, state: Any, cause: int) -> None:
        """Stable storage of every state but a Basic Paxos acceptor's (inlined in ``_apply``):
        by type, or for a slot of a replicated log by ``(slot, type)``; a slot's acceptor state
        is recorded as a promise or accept event, like an acceptor's."""
        store = self.storage[node]
        if type(state) is not SlotState:
            store[type(state)] = state
            return
        key, inner = state.key, state.state
        if type(inner) is AcceptorState:
            old = store.get(key)
            event = ACCEPT if inner[1] != (old[1] if old else None) else PROMISE
            self.records.append((self.now, event, node, "", state, -1, cause, ""))
        store[key] = inner

    def _crash(self, node: str) -> None:
        if node in self.crashed:
            return
        self.crashed.add(node)
        self.timers[node] = {}
        self.records.append((self.now, CRASH, node, "", None, -1, -1, ""))

    def _recover(self, node: str) -> None:
        if node not in self.crashed:
            return
        self.crashed.discard(node)
        actor = self.nodes[node]
        self.records.append((self.now, RECOVER, node, "", None, -1, -1, ""))
        self.states[node] = actor.init(self.storage[node])
        if node in self._unstarted:  # restarted before its start time: it starts then, once
            return
        self.states[node], effects = actor.on_start(self.states[node])
        if effects and node in self._proposes:  # a restarted proposer proposes again: say so
            self.records.append((self.now, START, node, "", self._proposes[node], -1, -1, ""))
        self._apply(node, effects, -1)

    def _partition(self, index: int, start: bool) -> None:
        p = self._partitions[index]
        groups = {n: g for g, members in enumerate(p.groups) for n in members}
        if start:
            self.cuts.append(groups)
        else:
            self.cuts.remove(groups)
        kind = PARTITION_START if start else PARTITION_END
        self.records.append((self.now, kind, "", "", None, -1, -1, p.describe()))


def simulate(config: Config, seed: int = 0) -> Run:
    """Run ``config`` with ``seed`` to a stop condition; same inputs, same trace."""
    return Simulator(config, seed).run()
