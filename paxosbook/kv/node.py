"""One KV node as one OS process: ``python -m paxosbook.kv.node --name n1 --names n1,n2,n3``.

Theory of operation. Every node is an acceptor, a learner and a replica of the log, and a
Multi-Paxos proposer; the runtime hosts the core's log roles (``LogAcceptor``,
``MultiProposer``, ``LogLearner``) through their pure step functions and carries out the
effects they return, with no Paxos rule of its own:

* Acceptors answer the proposer that asked only; the leader's learner learns a slot from a
  quorum of ``Accepted`` and, as the paper's distinguished learner (section 2.4), tells the
  other learners, every ``COMMIT_DELAY`` s, the slots chosen meanwhile (``Entries``). Every
  replica applies the learned slots in order to its ``Machine`` and the node that holds a
  client's request answers it.
* Leader election is the runtime's failure detector (section 3 leaves it to timeouts): the
  leader sends a ``Heartbeat`` every ``HEARTBEAT`` s; a follower that heard none for an
  election timeout (the first node of a new cluster: at once) believes itself leader and
  starts the core proposer, which runs phase 1 with a higher ballot from the first slot its
  replica has not applied. A heartbeat with a
  higher ballot is news of that ballot, given to the proposer as the ``Nack`` it would get
  from an acceptor (it steps down to that leader).
* Clients send a ``Request``; a follower answers ``Redirect(leader)``; the leader packs every
  pending command into ONE slot value (a batch) whenever no slot of its is in flight.
* Group commit: the node reads every datagram waiting on its socket, handles them all, then
  commits every ``Persist`` of that turn in one SQLite transaction, and only then sends the
  turn's datagrams (so nothing that depends on a state leaves before the state is on disk).
  The one exception is a leader's phase 2a (``Accept``), which depends on no state of the
  turn: it leaves before the commit, so the leader's fsync overlaps its followers'.
* Snapshots: every ``SNAPSHOT_EVERY`` applied slots the machine (applied index, map, dedup
  table) is persisted in the same transaction; a restarted node starts from it. A replica
  that lags (its applied index is below what the leader's previous heartbeat said) sends a
  ``Fetch``; the answer is the missing slots (``Entries``), or, when they are more than
  ``KEEP`` slots back, the sender's snapshot in chunks.

Mutants (planted bugs, for the soak's teeth): ``forget-promise-on-restart`` restores the
acceptor from nothing (the core ``Acceptor.init`` rule under that mutant);
``write-after-reply`` sends the turn's datagrams first and commits up to ``WINDOW`` s later
(a deliberately widened window: a ``kill -9`` within it loses promises and acceptances
already announced).

Supervised (``--control``), the node speaks the ``paxosbook.net`` supervisor's control
protocol on its standard input/output (``{"port": P}``, ``peers``, ``start``, ``block``,
``stop``), exits when its input closes, and on ``stop`` writes ``NAME.final.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import socket
import sys
import time
from pathlib import Path
from typing import Any

from ..core import (
    NO_BALLOT,
    Accept,
    Accepted,
    AcceptorState,
    Backoff,
    Ballot,
    CancelTimer,
    Mutant,
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
from .machine import Command, Machine, Reply, encode_batch
from .store import KVStore
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
    decode,
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
WINDOW = 0.2
"""The ``write-after-reply`` mutant commits only every ``WINDOW`` s of the host's monotonic
clock (all nodes at once), well after its replies left: a deliberately widened window, so
that a whole-cluster ``kill -9`` loses the same stretch of the log on every node."""
COMMIT_DELAY = 0.01
"""The leader tells the other learners what was chosen at most this often (seconds)."""
CHUNK = 40_000
"""Characters of snapshot per datagram."""
WRITE_AFTER_REPLY = "write-after-reply"
MUTANTS = (Mutant.FORGET_PROMISE_ON_RESTART.value, WRITE_AFTER_REPLY)

Address = tuple[str, int]


class KVNode:
    """The node ``name`` of the cluster ``names``, its files in ``data``."""

    def __init__(self, name: str, names: tuple[str, ...], data: Path, *, seed: int = 0,
                 incarnation: int = 0, mutant: str = "") -> None:
        self.name, self.names, self.data = name, names, data
        self.others = tuple(n for n in names if n != name)
        self.mutant = mutant
        self.rng = random.Random(f"{seed}:{name}:{incarnation}")
        self.incarnation = incarnation
        quorums = QuorumSystem.majority(names)
        self.acceptor = LogAcceptor(name, ())  # Accepted goes back to the asking proposer only
        self.proposer = MultiProposer(name, names.index(name) + 1, (), names, names, quorums,
                                      timeout=PHASE_TIMEOUT, backoff=Backoff.EXPONENTIAL,
                                      backoff_base=PHASE_TIMEOUT / 2)
        self.learner = LogLearner(name, quorums, frozenset(), acceptors=names)
        self.store = KVStore(data / f"{name}.sqlite")
        stored, snapshot = self.store.load()
        forget = mutant == Mutant.FORGET_PROMISE_ON_RESTART.value
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
        self.local: collections.deque[Any] = collections.deque()
        self.late: asyncio.TimerHandle | None = None
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
        # the transport
        self.peers: dict[str, Address] = {}
        self.blocked: frozenset[str] = frozenset()
        self.timers: dict[Any, asyncio.TimerHandle] = {}
        self.sock: socket.socket | None = None
        self.vows = os.open(data / f"{name}.vows", os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                            0o644)
        self.vowed: dict[str, Ballot] = {}
        self.started = False
        self.done: asyncio.Future[None] | None = None

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
                elif type(state) is ProposerRound:
                    self.dirty_round = state.round
            elif kind is SetTimer:
                self.set_timer(eff)
            elif kind is CancelTimer:
                handle = self.timers.pop(eff[0], None)
                if handle is not None:
                    handle.cancel()
            elif kind is LearnSlot:
                self.learned(eff)

    def set_timer(self, eff: SetTimer) -> None:
        timer, delay, jitter, slots = eff
        delay += jitter * self.rng.randrange(slots) if slots else self.rng.uniform(0, jitter)
        old = self.timers.pop(timer, None)
        if old is not None:
            old.cancel()
        self.timers[timer] = asyncio.get_running_loop().call_later(delay, self.fire, timer)

    def fire(self, timer: Any) -> None:
        self.timers.pop(timer, None)
        self.step(self.proposer.on_timeout, timer)
        self.turn()

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
            self.run([CancelTimer(Timer.RETRY)])  # the oracle says: a leader is alive
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
        if self.prop.role is Role.LEADING:
            self.to_commit.append((eff.slot, eff.value))
            if len(self.to_commit) == 1:
                asyncio.get_running_loop().call_later(COMMIT_DELAY, self.tell_chosen)
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
        self.turn()

    def prune(self) -> None:
        learned = self.log.learned
        while self.pruned < self.machine.applied - KEEP:
            learned = learned.delete(self.pruned)
            self.pruned += 1
        self.log = self.log._replace(learned=learned)

    def answer(self, cmd: Command, reply: Reply, addr: Address) -> None:
        self.reply(Answer(cmd.client, cmd.seq, reply.ok, reply.value, self.name), addr)

    # -- one turn: handle, batch, commit, send --------------------------------------------------
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

    def turn(self) -> None:
        """After handling what arrived: deliver to itself, batch, then commit and send."""
        for _ in range(100_000):
            while self.local:
                self.handle(self.local.popleft(), None)
            self.propose()
            if not self.local:
                break
        self.flush()

    def flush(self) -> None:
        if self.mutant == WRITE_AFTER_REPLY:
            self.transmit()
            if self.late is None and self.has_dirty():  # at the next multiple of WINDOW
                wait = WINDOW - time.monotonic() % WINDOW  # of the host's clock: every node
                self.late = asyncio.get_running_loop().call_later(wait, self.late_commit)
            return
        self.transmit(early=True)  # phase 2a depends on no state of this turn: overlap
        self.commit()              # the leader's own fsync with its followers'
        self.transmit()

    def has_dirty(self) -> bool:
        return bool(self.dirty) or self.dirty_round is not None or self.dirty_snapshot is not None

    def late_commit(self) -> None:
        self.late = None
        self.commit()

    def commit(self) -> None:
        if self.has_dirty():
            self.store.commit(self.dirty, self.dirty_round, self.dirty_snapshot)
            self.stats["commits"] += 1
            self.dirty, self.dirty_round, self.dirty_snapshot = {}, None, None

    def vow(self, kind: str, ballot: Ballot, pick: Any) -> None:
        old = self.vowed.get(kind)
        self.vowed[kind] = ballot if old is None else pick(old, ballot)

    def transmit(self, early: bool = False) -> None:
        """Send the turn's datagrams, after noting in ``NAME.vows`` the highest promise and
        the lowest acceptance they announce (one ``write``: it survives a ``kill -9``), for
        the supervisor's check that a restarted acceptor honours its earlier promises."""
        if early:
            self.early, out = [], self.early
            self.send_all(out)
            return
        if self.vowed:
            lines = "".join(json.dumps([self.incarnation, k, list(b)]) + "\n"
                            for k, b in self.vowed.items())
            os.write(self.vows, lines.encode())
            self.vowed = {}
        self.outbox, out = [], self.early + self.outbox
        self.early = []
        self.send_all(out)

    def send_all(self, out: list[tuple[bytes, Address]]) -> None:
        sock = self.sock
        if sock is None:
            return
        for data, addr in out:
            try:
                sock.sendto(data, addr)
            except OSError:
                self.stats["send_errors"] += 1  # too big, or the buffer is full: lost

    def send(self, msg: Any) -> None:
        kind = type(msg)
        if kind is MultiPromise:
            self.vow("promise", msg.ballot, max)
        elif kind is Slotted and type(msg.msg) is Accepted:
            self.vow("accept", msg.msg.ballot, min)
        dst = msg.dst
        if dst == self.name:
            self.local.append(msg)
        elif dst not in self.blocked and dst in self.peers:
            box = self.early if kind is Slotted and type(msg.msg) is Accept else self.outbox
            box.append((encode(msg), self.peers[dst]))

    def reply(self, msg: Any, addr: Address) -> None:
        self.outbox.append((encode(msg), addr))

    # -- the clock ----------------------------------------------------------------------------
    def heartbeat(self) -> None:
        for name in self.others:
            self.send(Heartbeat(self.name, name, self.prop.ballot, self.machine.applied))

    def tick(self) -> None:
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
        asyncio.get_running_loop().call_later(HEARTBEAT, self.tick)
        self.turn()

    # -- the socket and the supervisor ----------------------------------------------------------
    def readable(self) -> None:
        assert self.sock is not None
        for _ in range(512):
            try:
                data, addr = self.sock.recvfrom(MAX_DATAGRAM + 1)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                continue
            msg = decode(data)
            if msg is not None:
                self.handle(msg, addr)
        self.turn()

    def start(self) -> None:
        if self.started:
            return
        self.started = True
        self.heard = time.monotonic()
        if not self.incarnation and self.prop.leader == self.name:
            self.heard -= ELECTION * 2  # the first node of a new cluster stands at once
        asyncio.get_running_loop().call_later(HEARTBEAT, self.tick)

    def on_control(self, doc: dict[str, Any]) -> None:
        op = doc.get("op")
        if op == "peers":
            self.peers = {n: (h, int(p)) for n, (h, p) in doc["peers"].items()}
            print(json.dumps({"peers": len(self.peers)}), flush=True)
        elif op == "start":
            self.start()
        elif op == "block":
            self.blocked = frozenset(doc["names"])
        elif op == "stop":
            self.stop()

    def stop(self) -> None:
        if self.done is not None and not self.done.done():
            self.done.set_result(None)

    def final(self) -> dict[str, Any]:
        """What the node says at the end (the supervisor reads it)."""
        return {"name": self.name, "applied": self.machine.applied, "data": self.machine.data,
                "done": {str(c): runs for c, runs in self.machine.done.items()},
                "role": self.prop.role.value, "ballot": list(self.prop.ballot),
                "stats": dict(self.stats, batches=self.batches,
                              duplicates=self.machine.duplicates)}

    async def serve(self, host: str, port: int, control: bool,
                    duration: float | None = None) -> None:
        """Bind, then run until stopped, the control input closes, or ``duration`` s."""
        loop = asyncio.get_running_loop()
        self.done = loop.create_future()
        if duration is not None:
            loop.call_later(duration, self.stop)
        sock = self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            sock.setsockopt(socket.SOL_SOCKET, opt, 4 * 2**20)
        try:
            sock.bind((host, port))
        except OSError:
            sock.bind((host, 0))  # the old port is taken: the supervisor tells everyone
        sock.setblocking(False)
        loop.add_reader(sock.fileno(), self.readable)
        print(json.dumps({"port": sock.getsockname()[1]}), flush=True)
        if self.peers:
            self.start()
        if control:
            loop.add_reader(sys.stdin.fileno(), self.stdin)
        try:
            await self.done
        finally:
            loop.remove_reader(sock.fileno())
            self.commit()
            out = self.data / f"{self.name}.final.json"
            out.write_text(json.dumps(self.final()), "utf-8")
            sock.close()
            self.store.close()
            os.close(self.vows)

    buffer = b""

    def stdin(self) -> None:
        chunk = os.read(sys.stdin.fileno(), 65536)
        if not chunk:
            self.stop()
            asyncio.get_running_loop().remove_reader(sys.stdin.fileno())
            return
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            if line.strip():
                self.on_control(json.loads(line))
        self.turn()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m paxosbook.kv.node")
    p.add_argument("--name", required=True)
    p.add_argument("--names", required=True, help="every node's name, comma-separated")
    p.add_argument("--data", required=True, help="directory for NAME.sqlite")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--peers", default="", help="host:port of every node, in --names order")
    p.add_argument("--block", default="")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--incarnation", type=int, default=0)
    p.add_argument("--mutant", default="", choices=("", *MUTANTS))
    p.add_argument("--control", action="store_true", help="read control lines on stdin")
    p.add_argument("--duration", type=float, default=None, help="stop after this many s")
    args = p.parse_args(argv)
    names = tuple(n for n in args.names.split(",") if n)
    if args.name not in names:
        p.error(f"--name: must be one of --names; got {args.name!r}")
    node = KVNode(args.name, names, Path(args.data), seed=args.seed,
                  incarnation=args.incarnation, mutant=args.mutant)
    if args.peers:
        from ..net.node import parse_peers
        try:
            node.peers = parse_peers(args.peers, names)
        except ValueError as exc:
            p.error(str(exc))
    node.blocked = frozenset(n for n in args.block.split(",") if n)
    asyncio.run(node.serve(args.host, args.port, args.control, args.duration))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
