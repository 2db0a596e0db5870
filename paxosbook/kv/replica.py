"""A KV replica: the core's log roles, the state machine, and what a node says and does.

Theory of operation. Every node is an acceptor, a learner and a replica of the log, and a
Multi-Paxos proposer; the ``Replica`` hosts the core's log roles (``LogAcceptor``,
``MultiProposer``, ``LogLearner``) through their pure step functions and interprets the
effects they return, with no Paxos rule of its own. It does no I/O itself: what a turn must
persist is collected in ``dirty``, ``dirty_round`` and ``dirty_snapshot``, what it sends in
``outbox`` (and ``early``), and the node process (``kv.node``) commits and sends them.

* Acceptors answer the proposer that asked only; the leader's learner learns a slot from a
  quorum of ``Accepted`` and, as the paper's distinguished learner (section 2.4), tells the
  other learners, every ``COMMIT_DELAY`` s, the slots chosen meanwhile (``Entries``). Every
  replica applies the learned slots in order to its ``Machine`` and the node that holds a
  client's request answers it.
* Leader election is the runtime's failure detector (section 3 leaves it to timeouts): the
  leader sends a ``Heartbeat`` every ``HEARTBEAT`` s; a follower that heard none for an
  election timeout (the first node of a new cluster: at once) believes itself leader and
  starts the core proposer, which runs phase 1 with a higher ballot from the first slot its
  replica has not applied. A heartbeat with a higher ballot is news of that ballot, given to
  the proposer as the ``Nack`` it would get from an acceptor (it steps down to that leader).
* Clients send a ``Request``; a follower answers ``Redirect(leader)``; the leader packs every
  pending command into ONE slot value (a batch) whenever no slot of its is in flight.
* Lamport clock (``lamport``): each traced event (a Paxos message sent, an acceptor state
  persisted, a slot learned) ticks it and is stamped with it; every datagram to another node
  carries it (a traced send: that send's time), and ``received`` moves it past the time a
  datagram carries. ``kv.trace`` merges the nodes' events by it.
* Snapshots: every ``SNAPSHOT_EVERY`` applied slots the machine (applied index, map, dedup
  table) is persisted; a restarted node starts from it. A replica that lags (its applied
  index is below what the leader's previous heartbeat said) sends a ``Fetch``; the answer is
  the missing slots (``Entries``), or, when they are more than ``KEEP`` slots back, the
  sender's snapshot in chunks.
"""

from __future__ import annotations

import collections
import random
import time
from typing import Any

from ..core import (
    NO_BALLOT,
    Accept,
    Accepted,
    AcceptorState,
    Backoff,
    Ballot,
    CancelTimer,
    Nack,
    Persist,
    Prepare,
    ProposerRound,
    QuorumSystem,
    Send,
    SetTimer,
    Timer,
)
from ..core.log import (
    Ack,
    LearnSlot,
    LogAcceptor,
    LogLearner,
    MultiPrepare,
    MultiPromise,
    MultiProposer,
    Role,
    SlotState,
    Slotted,
    Submit,
    promise_all,
)
from ..events import ACCEPT, LEARN, PROMISE, SEND
from .machine import OPS, Command, Machine, Reply, encode_batch
from .trace import digest, traced
from .wire import (
    MAX_DATAGRAM,
    Answer,
    Commit,
    Entries,
    Fetch,
    Heartbeat,
    Redirect,
    Request,
    SnapshotChunk,
    encode,
)

HEARTBEAT = 0.05
"""Seconds between a leader's heartbeats."""
ELECTION = 0.4
"""A follower that heard no leader for a uniform random 1-2 times this stands for election."""
PHASE_TIMEOUT = 0.1
"""The proposer's phase timeout (seconds)."""
SNAPSHOT_EVERY = 32
"""Applied slots between two snapshots."""
KEEP = 64
"""Learned slots a replica keeps below its applied index, to answer a ``Fetch`` with."""
MAX_BATCH = 32
"""Most commands in one slot's value."""
COMMIT_DELAY = 0.01
"""The leader tells the other learners what was chosen at most this often (seconds)."""
CHUNK = 40_000
"""Characters of snapshot per datagram."""

Address = tuple[str, int]


def well_formed(req: Request) -> bool:
    """A request the machine can apply: integer ids, a known op, string key and values."""
    ints = all(type(x) is int and 0 <= x < 2**62 for x in (req.client, req.seq))
    arg = req.arg
    if req.op == "cas":
        good = type(arg) is tuple and len(arg) == 2 and all(type(v) is str for v in arg)
    else:
        good = req.op in OPS and type(arg) is str
    return ints and good and type(req.key) is str


class Replica:
    """The replica ``name`` of the cluster ``names`` (the node process adds the I/O)."""

    def __init__(self, name: str, names: tuple[str, ...], stored: dict[Any, Any],
                 snapshot: str | None, *, seed: int = 0, incarnation: int = 0,
                 forget: bool = False) -> None:
        """``stored``, ``snapshot``: what the node's file holds; ``forget``: the
        ``forget-promise-on-restart`` mutant (the acceptor restores nothing)."""
        self.name, self.names = name, names
        self.others = tuple(n for n in names if n != name)
        self.rng = random.Random(f"{seed}:{name}:{incarnation}")
        self.incarnation = incarnation
        quorums = QuorumSystem.majority(names)
        self.acceptor = LogAcceptor(name, ())  # Accepted goes back to the asking proposer only
        self.proposer = MultiProposer(name, names.index(name) + 1, (), names, names, quorums,
                                      timeout=PHASE_TIMEOUT, backoff=Backoff.EXPONENTIAL,
                                      backoff_base=PHASE_TIMEOUT / 2)
        self.learner = LogLearner(name, quorums, frozenset(), acceptors=names)
        self.acc = self.acceptor.init(None if forget else stored)
        self.prop = self.proposer.init(stored)
        self.machine = Machine.restore(snapshot) if snapshot else Machine()
        self.log = self.learner.init()._replace(applied=self.machine.applied)
        self.pruned = self.machine.applied
        # what this turn wrote and will send
        self.dirty: dict[int, AcceptorState] = {}
        self.dirty_round: int | None = None
        self.dirty_snapshot: str | None = None
        self.outbox: list[tuple[bytes, Address]] = []
        self.early: list[tuple[bytes, Address]] = []
        """Datagrams that depend on no state persisted this turn (a leader's ``Accept``)."""
        self.lamport = 0
        """The Lamport clock: ticks once per traced event; a datagram carries it
        (``kv.trace``)."""
        self.traced: list[tuple[str, str, Any, int]] = []
        """The turn's Paxos events, in the order the roles produced them: (event, peer,
        payload, Lamport time); ``kv.trace`` says where the node writes them."""
        self.traced_early: list[tuple[str, str, Any, int]] = []
        """The sends among them that leave before the turn's commit (with ``early``)."""
        self.local: collections.deque[Any] = collections.deque()
        self.vowed: dict[str, Ballot] = {}
        self.noted: list[tuple[int, str]] = []
        """Slots learned this turn, with a digest of their value (``NAME.learned``)."""
        # the replica's clients and the leader it knows
        self.pending: dict[tuple[int, int], Command] = {}
        self.waiting: dict[tuple[int, int], Address] = {}
        self.batches = 0
        self.to_commit: list[tuple[int, str]] = []
        self.heard = time.monotonic()
        self.wait = self.election_wait()
        self.leader_ballot = NO_BALLOT
        self.target = 0
        self.parts: dict[tuple[str, int], dict[int, str]] = {}
        self.stats = collections.Counter[str]()
        self.peers: dict[str, Address] = {}
        self.blocked: frozenset[str] = frozenset()

    # -- what the node provides ---------------------------------------------------------------
    def set_timer(self, eff: SetTimer) -> None:
        raise NotImplementedError

    def cancel_timer(self, timer: Any) -> None:
        raise NotImplementedError

    def later(self, delay: float, fn: Any) -> None:
        """Call ``fn`` in ``delay`` seconds, then end the turn."""
        raise NotImplementedError

    def turn(self) -> None:
        raise NotImplementedError

    def election_wait(self) -> float:
        return ELECTION * (1.0 + self.rng.random())

    # -- the interpreter of the roles' effects ------------------------------------------------
    def run(self, effects: list[Any]) -> None:
        for eff in effects:
            kind = type(eff)
            if kind is Send:
                self.send(eff[0])
            elif kind is Persist:
                state = eff[0]
                if type(state) is SlotState:
                    if type(state.state) is AcceptorState:
                        self.dirty[state.slot] = state.state
                        acc = state.state.accepted
                        self.lamport += 1
                        self.traced.append((ACCEPT if acc is not None
                                            and acc.ballot == state.state.promised else PROMISE,
                                            "", state, self.lamport))
                elif type(state) is ProposerRound:
                    self.dirty_round = state.round
            elif kind is SetTimer:
                self.set_timer(eff)
            elif kind is CancelTimer:
                self.cancel_timer(eff[0])
            elif kind is LearnSlot:
                self.learned(eff)

    def step(self, handler: Any, *args: Any) -> None:
        """A proposer handler; a change of role is news for the failure detector."""
        before = self.prop.role
        self.prop, effects = handler(self.prop, *args)
        self.run(effects)
        role = self.prop.role
        if role is not before:
            self.heard = time.monotonic()
            if role is Role.LEADING:
                self.heartbeat()

    # -- messages -------------------------------------------------------------------------------
    def handle(self, msg: Any, addr: Address | None) -> None:
        kind = type(msg)
        src = getattr(msg, "src", None)
        if src is not None and src in self.blocked:
            return
        if kind is Slotted:
            inner = type(msg.msg)
            if inner is Prepare or inner is Accept:
                self.acc, effects = self.acceptor.on_slotted(self.acc, msg)
                self.run(effects)
            elif inner is Accepted:
                self.step(self.proposer.on_slotted, msg)
                self.log, effects = self.learner.on_accepted(self.log, msg)
                self.run(effects)
            elif inner is Nack:
                self.step(self.proposer.on_slotted, msg)
        elif kind is MultiPrepare:
            self.acc, effects = promise_all(self.acceptor, self.acc, msg)
            self.run(effects)
        elif kind is MultiPromise:
            self.step(self.proposer.on_multi_promise, msg)
        elif kind is Nack:
            self.step(self.proposer.on_nack, msg)
        elif kind is Submit:
            self.step(self.proposer.on_submit, msg)
        elif kind is Ack:
            self.step(self.proposer.on_ack, msg)
        elif kind is Request and addr is not None:
            self.on_request(msg, addr)
        elif kind is Heartbeat:
            self.on_heartbeat(msg)
        elif kind is Commit:
            self.learn(msg.slot, msg.value, msg.ballot)
        elif kind is Fetch:
            self.on_fetch(msg)
        elif kind is Entries:
            for i, value in enumerate(msg.values):
                self.learn(msg.first + i, value, None)
        elif kind is SnapshotChunk:
            self.on_chunk(msg)

    def on_request(self, req: Request, addr: Address) -> None:
        if not well_formed(req):  # garbage from a client never reaches the log
            self.stats["bad_requests"] += 1
            return
        cmd = Command(req.client, req.seq, req.op, req.key, req.arg)
        seen = self.machine.last.get(cmd.client)
        if seen is not None and cmd.seq <= seen[0]:
            if cmd.seq == seen[0]:
                self.stats["answered_from_cache"] += 1
                self.answer(cmd, seen[1], addr)
            return
        if self.prop.role is Role.FOLLOWER and self.prop.leader != self.name:
            self.reply(Redirect(cmd.client, cmd.seq, self.prop.leader, self.name), addr)
            return
        self.waiting[(cmd.client, cmd.seq)] = addr
        self.pending[(cmd.client, cmd.seq)] = cmd

    def on_heartbeat(self, hb: Heartbeat) -> None:
        if hb.ballot < self.leader_ballot and time.monotonic() - self.heard < self.wait:
            return  # a deposed leader's: the one with the higher ballot is alive
        self.leader_ballot, self.heard = hb.ballot, time.monotonic()
        p = self.prop
        if hb.ballot > p.ballot and p.role in (Role.PREPARING, Role.LEADING):
            self.step(self.proposer.on_nack, Nack(hb.src, self.name, p.ballot, hb.ballot))
        elif hb.ballot > p.ballot and p.role is Role.BACKING_OFF:
            self.cancel_timer(Timer.RETRY)  # the oracle says: a leader is alive
            self.prop = p._replace(role=Role.FOLLOWER, leader=hb.src, queue=())
        elif p.role is Role.FOLLOWER and p.leader != hb.src:
            self.prop = p._replace(leader=hb.src)
        if self.machine.applied < self.target:
            self.stats["fetches"] += 1
            self.send(Fetch(self.name, hb.src, self.log.applied))
        self.target = max(self.target, hb.applied)

    def on_fetch(self, msg: Fetch) -> None:
        applied = self.log.applied
        if msg.first >= applied:
            return
        if msg.first >= self.pruned and applied - msg.first <= KEEP:
            values: list[str] = []
            size = 0
            for slot in range(msg.first, applied):
                value = self.log.learned[slot].value
                size += len(value) + 8
                if size > MAX_DATAGRAM // 2:
                    break
                values.append(value)
            self.send(Entries(self.name, msg.src, msg.first, tuple(values)))
            return
        text = self.machine.snapshot()
        parts = [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
        for i, part in enumerate(parts):
            self.send(SnapshotChunk(self.name, msg.src, self.machine.applied, i, len(parts),
                                    part))
        self.stats["snapshots_sent"] += 1

    def on_chunk(self, msg: SnapshotChunk) -> None:
        if msg.applied <= self.machine.applied:
            return
        got = self.parts.setdefault((msg.src, msg.applied), {})
        got[msg.part] = msg.text
        if len(got) < msg.parts:
            return
        del self.parts[(msg.src, msg.applied)]
        self.machine = Machine.restore("".join(got[i] for i in range(msg.parts)))
        self.log = self.learner.init()._replace(applied=self.machine.applied)
        self.pruned = self.machine.applied
        self.dirty_snapshot = self.machine.snapshot()
        self.stats["snapshots_installed"] += 1

    # -- learning and applying ----------------------------------------------------------------
    def learn(self, slot: int, value: str, ballot: Any) -> None:
        if slot < self.log.applied:
            return
        self.log, effects = self.learner.learn(self.log, slot, value, ballot)
        self.run(effects)

    def learned(self, eff: LearnSlot) -> None:
        """A slot was learned: the leader tells the others; apply what became contiguous."""
        self.noted.append((eff.slot, digest(eff.value)))
        self.lamport += 1
        self.traced.append((LEARN, "", eff, self.lamport))
        if self.prop.role is Role.LEADING:
            self.to_commit.append((eff.slot, eff.value))
            if len(self.to_commit) == 1:
                self.later(COMMIT_DELAY, self.tell_chosen)
        while self.machine.applied < self.log.applied:
            entry = self.log.learned[self.machine.applied]
            for cmd, reply in self.machine.apply_slot(entry.value):
                self.stats["applied_commands"] += 1
                self.pending.pop((cmd.client, cmd.seq), None)
                addr = self.waiting.pop((cmd.client, cmd.seq), None)
                if addr is not None:
                    self.answer(cmd, reply, addr)
            if self.machine.applied % SNAPSHOT_EVERY == 0:
                self.dirty_snapshot = self.machine.snapshot()
                self.prune()

    def tell_chosen(self) -> None:
        """The leader tells the other learners what was chosen, ``COMMIT_DELAY`` s of it at
        a time: runs of consecutive slots as ``Entries``, any other slot as a ``Commit``."""
        chosen, self.to_commit = sorted(self.to_commit), []
        runs: list[tuple[int, list[str]]] = []
        for slot, value in chosen:
            if runs and runs[-1][0] + len(runs[-1][1]) == slot:
                runs[-1][1].append(value)
            else:
                runs.append((slot, [value]))
        for name in self.others:
            for first, values in runs:
                self.send(Entries(self.name, name, first, tuple(values)))

    def prune(self) -> None:
        learned = self.log.learned
        while self.pruned < self.machine.applied - KEEP:
            learned = learned.delete(self.pruned)
            self.pruned += 1
        self.log = self.log._replace(learned=learned)

    def answer(self, cmd: Command, reply: Reply, addr: Address) -> None:
        self.reply(Answer(cmd.client, cmd.seq, reply.ok, reply.value, self.name), addr)

    # -- batching and sending ------------------------------------------------------------------
    def propose(self) -> None:
        """The leader, with no slot in flight, logs every pending command as one batch; a
        follower sends its clients to the leader."""
        p = self.prop
        if not self.pending:
            return
        if p.role is Role.FOLLOWER and p.leader != self.name:
            for (client, seq) in self.pending:
                addr = self.waiting.pop((client, seq), None)
                if addr is not None:
                    self.reply(Redirect(client, seq, p.leader, self.name), addr)
            self.pending.clear()
            return
        if p.role is not Role.LEADING or p.slots or p.queue:
            return
        keys = list(self.pending)[:MAX_BATCH]
        batch = [self.pending.pop(k) for k in keys]
        self.batches += 1
        value = encode_batch(f"{self.name}:{self.incarnation}:{self.batches}", batch)
        self.step(self.proposer.on_submit, Submit(self.name, self.name, value, self.name))

    def vow(self, kind: str, ballot: Ballot, pick: Any) -> None:
        old = self.vowed.get(kind)
        self.vowed[kind] = ballot if old is None else pick(old, ballot)

    def send(self, msg: Any) -> None:
        kind = type(msg)
        if kind is MultiPromise:
            self.vow("promise", msg.ballot, max)
        elif kind is Slotted and type(msg.msg) is Accepted:
            self.vow("accept", msg.msg.ballot, min)
        dst = msg.dst
        if dst == self.name:
            self.local.append(msg)
            if traced(msg):
                self.lamport += 1
                self.traced.append((SEND, dst, msg, self.lamport))
        elif dst not in self.blocked and dst in self.peers:
            early = kind is Slotted and type(msg.msg) is Accept
            if traced(msg):  # the send is an event: the datagram carries its time
                self.lamport += 1
                (self.traced_early if early else self.traced).append((SEND, dst, msg,
                                                                      self.lamport))
            (self.early if early else self.outbox).append((encode(msg, self.lamport),
                                                           self.peers[dst]))

    def received(self, lamport: int) -> None:
        """A datagram sent at Lamport time ``lamport`` arrived: every later event of this node
        is later than its send."""
        if lamport > self.lamport:
            self.lamport = lamport

    def reply(self, msg: Any, addr: Address) -> None:
        self.outbox.append((encode(msg), addr))

    # -- the clock ----------------------------------------------------------------------------
    def heartbeat(self) -> None:
        for name in self.others:
            self.send(Heartbeat(self.name, name, self.prop.ballot, self.machine.applied))

    def final(self) -> dict[str, Any]:
        """What the node says at the end (the supervisor reads it)."""
        return {"name": self.name, "applied": self.machine.applied, "data": self.machine.data,
                "done": {str(c): runs for c, runs in self.machine.done.items()},
                "role": self.prop.role.value, "ballot": list(self.prop.ballot),
                "stats": dict(self.stats, batches=self.batches,
                              duplicates=self.machine.duplicates)}

    def beat(self) -> None:
        """Every ``HEARTBEAT`` s: the leader's heartbeat, or a follower's election check."""
        now = time.monotonic()
        p = self.prop
        if p.role is Role.LEADING:
            self.heard = now
            self.heartbeat()
        elif p.role is Role.FOLLOWER and now - self.heard > self.wait:
            self.heard, self.wait = now, self.election_wait()
            self.stats["elections"] += 1
            applied = self.log.applied  # the slots below are chosen: phase 1 from there on
            self.prop = p._replace(leader=self.name, first=max(p.first, applied),
                                   next=max(p.next, applied))
            self.step(self.proposer.on_start)


__all__ = ["Replica"]
