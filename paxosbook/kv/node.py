"""One KV node as one OS process: ``python -m paxosbook.kv.node --name n1 --names n1,n2,n3``.

Theory of operation. The process is a ``Replica`` (``kv.replica``: the roles, the machine,
what to persist and send) plus its I/O: a UDP socket, asyncio timers, the SQLite file
(``kv.store``) and the supervisor's control pipe.

* Group commit: the node reads every datagram waiting on its socket, handles them all, then
  commits every ``Persist`` of that turn in one SQLite transaction, and only then sends the
  turn's datagrams (so nothing that depends on a state leaves before the state is on disk).
  The one exception is a leader's phase 2a (``Accept``), which depends on no state of the
  turn: it leaves before the commit, so the leader's fsync overlaps its followers'.
* Its Lamport clock (``Replica.lamport``) starts above every time the node logged in an earlier
  life (``kv.trace.last_lamport``: ``NAME.trace`` and the SQLite file's trace), and moves past
  the time each datagram from another node carries before the datagram is handled.
* Before sending, it notes in ``NAME.vows`` the highest promise and lowest acceptance the
  turn announces (one ``write``, which survives a ``kill -9``), for the supervisor's check
  that a restarted acceptor honours its earlier promises.

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
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

from ..core import Mutant, SetTimer
from .replica import ELECTION, HEARTBEAT, Address, Replica
from .store import KVStore
from .trace import Digests, last_lamport
from .trace import line as trace_line
from .wire import MAX_DATAGRAM, decode_stamped

WINDOW = 0.2
"""The ``write-after-reply`` mutant commits only every ``WINDOW`` s of the host's monotonic
clock (all nodes at once), well after its replies left: a deliberately widened window, so
that a whole-cluster ``kill -9`` loses the same stretch of the log on every node."""
WRITE_AFTER_REPLY = "write-after-reply"
MUTANTS = (Mutant.FORGET_PROMISE_ON_RESTART.value, WRITE_AFTER_REPLY)


def _end_line(path: Path, fd: int) -> None:
    """End with a newline a file whose last line a ``kill -9`` cut short, so that the next
    life's first line starts a line of its own."""
    with open(path, "rb") as f:
        if f.seek(0, os.SEEK_END) and (f.seek(-1, os.SEEK_END), f.read(1))[1] != b"\n":
            os.write(fd, b"\n")


class KVNode(Replica):
    """The node ``name`` of the cluster ``names``, its files in ``data``."""

    def __init__(self, name: str, names: tuple[str, ...], data: Path, *, seed: int = 0,
                 incarnation: int = 0, mutant: str = "") -> None:
        self.data, self.mutant = data, mutant
        self.store = KVStore(data / f"{name}.sqlite")
        stored, snapshot = self.store.load()
        super().__init__(name, names, stored, snapshot, seed=seed, incarnation=incarnation,
                         forget=mutant == Mutant.FORGET_PROMISE_ON_RESTART.value)
        self.late: asyncio.TimerHandle | None = None
        self.timers: dict[Any, asyncio.TimerHandle] = {}
        self.sock: socket.socket | None = None
        self.vows = os.open(data / f"{name}.vows", os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                            0o644)
        self.learned_file = os.open(data / f"{name}.learned",
                                    os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.trace_file = os.open(data / f"{name}.trace",
                                  os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        _end_line(data / f"{name}.trace", self.trace_file)
        self.lamport = last_lamport(data, name)  # a restarted node goes on above its old times
        self.digests = Digests()
        self.trace_seq = 0
        self.started = False
        self.done: asyncio.Future[None] | None = None
        self.buffer = b""
        """Control input not yet ended by a newline."""

    def cancel_timer(self, timer: Any) -> None:
        handle = self.timers.pop(timer, None)
        if handle is not None:
            handle.cancel()

    def later(self, delay: float, fn: Any) -> None:
        def call() -> None:
            fn()
            self.turn()
        asyncio.get_running_loop().call_later(delay, call)

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

    def trace_lines(self, events: list[tuple[str, str, Any, int]]) -> list[str]:
        """The Paxos events ``events`` as trace lines (``kv.trace``): each with its Lamport
        time, and the host's monotonic clock now."""
        clock, out = time.monotonic_ns(), []
        for event, peer, payload, lamport in events:
            self.trace_seq += 1
            out.append(trace_line(lamport, clock, self.trace_seq, self.incarnation, event,
                                  self.name, peer, self.digests.payload(payload)))
        return out

    def write_trace(self, events: list[tuple[str, str, Any, int]]) -> None:
        """Append ``events`` to ``NAME.trace`` (one ``write``: it survives ``kill -9``)."""
        if events:
            os.write(self.trace_file, "".join(self.trace_lines(events)).encode())

    def commit(self) -> None:
        if self.has_dirty():
            # the turn's trace goes into the same transaction as its state (kv.trace)
            trace, self.traced = self.trace_lines(self.traced), []
            self.store.commit(self.dirty, self.dirty_round, self.dirty_snapshot, trace)
            self.stats["commits"] += 1
            self.dirty, self.dirty_round, self.dirty_snapshot = {}, None, None

    def transmit(self, early: bool = False) -> None:
        """Send the turn's datagrams, after noting in ``NAME.vows`` the highest promise and
        the lowest acceptance they announce (one ``write``: it survives a ``kill -9``), for
        the supervisor's check that a restarted acceptor honours its earlier promises."""
        if early:
            self.early, out = [], self.early
            self.write_trace(self.traced_early)
            self.traced_early = []
            self.send_all(out)
            return
        self.write_trace(self.traced_early + self.traced)  # what no commit took, before it leaves
        self.traced_early, self.traced = [], []
        if self.vowed:
            lines = "".join(json.dumps([self.incarnation, k, list(b)]) + "\n"
                            for k, b in self.vowed.items())
            os.write(self.vows, lines.encode())
            self.vowed = {}
        if self.noted:
            lines = "".join(json.dumps([self.incarnation, slot, d]) + "\n"
                            for slot, d in self.noted)
            os.write(self.learned_file, lines.encode())
            self.noted = []
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

    def tick(self) -> None:
        self.beat()
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
            got = decode_stamped(data)
            if got is not None and got[0] is not None:
                self.received(got[1])
                self.handle(got[0], addr)
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
            self.blocked = frozenset(doc.get("block", self.blocked))
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
            self.write_trace(self.traced_early + self.traced)
            self.traced_early, self.traced = [], []
            out = self.data / f"{self.name}.final.json"
            out.write_text(json.dumps(self.final()), "utf-8")
            sock.close()
            self.store.close()
            os.close(self.vows)
            os.close(self.learned_file)
            os.close(self.trace_file)

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
