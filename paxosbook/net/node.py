"""One node as one OS process: ``python -m paxosbook.net.node --config FILE --name a1 ...``.

Theory of operation. The node is one more interpreter of the core's effects, like the
simulator: it keeps the node's immutable state, calls the core's pure handlers
(``Node.on_start``, ``on_message``, ``on_timeout``) and carries out the effects they return in
order, with no protocol rule of its own. ``Send`` becomes a UDP datagram (``wire``), ``SetTimer``
and ``CancelTimer`` an asyncio timer, ``Persist`` a durable SQLite transaction (``store``),
committed before any later ``Send`` of the same step leaves, and ``Learn`` an event. At start
the state is ``Node.init(stored)``: the core's restore rules decide what survives a restart
(an acceptor's promise and acceptance, a proposer's round; all of it forgotten under the
``forget-promise-on-restart`` mutant).

The transport injects the faults the supervisor asked for from the node's own seeded
``random.Random``: loss, duplication, extra delay, and partitions (names it neither sends to
nor hears from). Every event is one JSON line appended to ``DATA/NAME.events`` with one
``write`` (so a ``kill -9`` loses none already written), in the simulator's vocabulary, with
the time since the supervisor's start (``time.monotonic()``, shared on one host) and a
Lamport clock; promise and accept events go into the SQLite file with the state they report.

Supervised (``--control``), the node prints ``{"port": P}`` on standard output once bound,
reads control lines on standard input (``peers``, with the time 0 of the run, which it
acknowledges on standard output; ``start``, ``block``, ``stop``) and exits when
its input closes, so it never outlives its supervisor. Given ``--peers`` it starts at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from ..config import Config
from ..core import AcceptorState, CancelTimer, Learn, Message, Persist, Send, SetTimer, Timer
from ..events import ACCEPT, DELIVER, DROP, DUPLICATE, LEARN, PROMISE, RECOVER, SEND, START, TIMER
from .nemesis import Window
from .store import Store
from .wire import MAX_DATAGRAM, decode_message, encode_message, event_line, read_event

Address = tuple[str, int]


class Faults:
    """What the transport does to a message sent at time ``t`` of the run: lose it with
    probability ``drop``, send a second copy with probability ``duplicate``, hold it back a
    uniform random ``[0, delay]`` seconds; each the highest amount of the ``windows`` (see
    ``nemesis.Window``) open at ``t``. The amounts given apart apply for the whole run."""

    def __init__(self, drop: float = 0.0, duplicate: float = 0.0, delay: float = 0.0,
                 windows: tuple[Window, ...] = ()) -> None:
        always = (Window(k, 0.0, math.inf, a)
                  for k, a in (("loss", drop), ("duplicate", duplicate), ("delay", delay)) if a)
        self.windows = (*windows, *always)

    def at(self, kind: str, t: float) -> float:
        """The amount of fault ``kind`` at time ``t`` (0: none)."""
        return max((w.amount for w in self.windows if w.kind == kind and w.covers(t)),
                   default=0.0)


class NodeRuntime(asyncio.DatagramProtocol):
    """The node ``name`` of ``config``'s cluster, with its storage and events in ``data``."""

    def __init__(self, config: Config, name: str, data: Path, *, seed: int = 0,
                 incarnation: int = 0, t0: float | None = None,
                 faults: Faults | None = None) -> None:
        self.name, self.incarnation = name, incarnation
        self.node = config.cluster().node(name)
        self.value = next((p.value for p in config.cluster().proposers if p.node == name), None)
        self.start_at = next((at for p, at in zip(config.cluster().proposers, config.starts(),
                                                  strict=True) if p.node == name), 0.0)
        self.rng = random.Random(f"{seed}:{name}:{incarnation}")
        self.faults = faults or Faults()
        self.t0 = time.monotonic() if t0 is None else t0
        self.store = Store(data / f"{name}.sqlite")
        self.stored = self.store.load()
        self.state = self.node.init(self.stored)
        self.events = os.open(data / f"{name}.events", os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                              0o644)
        self.lamport = max(self.store.last_lamport(), _last_lamport(data / f"{name}.events"))
        self.sent = 0
        self.peers: dict[str, Address] = {}
        self.blocked: frozenset[str] = frozenset()
        self.timers: dict[Timer, asyncio.TimerHandle] = {}
        self.transport: asyncio.DatagramTransport | None = None
        self.started = False
        self.done: asyncio.Future[None] | None = None

    # -- events -----------------------------------------------------------------------------
    def line(self, event: str, peer: str = "", payload: Any = None, key: str = "",
             cause: str = "", detail: str = "", node: str = "") -> str:
        """The next event as a line (ticks the Lamport clock)."""
        self.lamport += 1
        rec = (time.monotonic() - self.t0, event, node or self.name, peer, payload, -1, -1,
               detail)
        return event_line(rec, self.lamport, key, cause)

    def record(self, event: str, peer: str = "", payload: Any = None, key: str = "",
               cause: str = "", detail: str = "", node: str = "") -> None:
        line = self.line(event, peer, payload, key, cause, detail, node)
        os.write(self.events, (line + "\n").encode())

    def record_message(self, event: str, msg: Message, key: str, cause: str = "",
                       detail: str = "") -> None:
        self.record(event, msg.dst, msg, key, cause, detail, node=msg.src)

    # -- the interpreter --------------------------------------------------------------------
    def start(self) -> None:
        """Run ``on_start`` once (a restart is announced by a recover event first), at the
        proposer's start time (``Config.starts()``) if that is still to come: as in the
        simulator, a node down at its start time starts when it restarts."""
        if self.started:
            return
        self.started = True
        if self.incarnation:
            self.record(RECOVER)
        wait = self.t0 + self.start_at - time.monotonic()
        if wait > 0:
            asyncio.get_running_loop().call_later(wait, self.begin)
        else:
            self.begin()

    def begin(self) -> None:
        self.state, effects = self.node.on_start(self.state)
        if self.value is not None and (effects or not self.incarnation):
            self.record(START, payload=self.value)
        self.apply(effects, "")

    def apply(self, effects: list[Any], cause: str) -> None:
        """Carry out a handler's effects in order, as the simulator's ``_apply`` does."""
        for eff in effects:
            kind = type(eff)
            if kind is Send:
                self.send(eff.msg, cause)
            elif kind is SetTimer:
                self.set_timer(eff)
            elif kind is CancelTimer:
                handle = self.timers.pop(eff.timer, None)
                if handle is not None:
                    handle.cancel()
            elif kind is Persist:
                self.persist(eff.state, cause)
            elif kind is Learn:
                self.record(LEARN, payload=eff, cause=cause)

    def persist(self, state: Any, cause: str) -> None:
        """Commit ``state`` (with its promise or accept event) before anything else leaves."""
        line = None
        if type(state) is AcceptorState:
            old = self.stored.get(AcceptorState)
            event = ACCEPT if state.accepted != (old.accepted if old else None) else PROMISE
            line = self.line(event, payload=state, cause=cause)
        self.store.persist(state, line, self.lamport)
        self.stored[type(state)] = state

    def set_timer(self, eff: SetTimer) -> None:
        timer, delay, jitter, slots = eff
        if slots:
            delay += jitter * self.rng.randrange(slots)
        elif jitter:
            delay += self.rng.uniform(0.0, jitter)
        old = self.timers.pop(timer, None)
        if old is not None:
            old.cancel()
        self.timers[timer] = asyncio.get_running_loop().call_later(delay, self.fire, timer)

    def fire(self, timer: Timer) -> None:
        self.timers.pop(timer, None)
        self.record(TIMER, detail=timer.value)
        self.state, effects = self.node.on_timeout(self.state, timer)
        self.apply(effects, "")

    # -- the transport ----------------------------------------------------------------------
    def next_key(self) -> str:
        self.sent += 1
        return f"{self.name}:{self.incarnation}:{self.sent}"

    def send(self, msg: Message, cause: str) -> None:
        key = self.next_key()
        self.record_message(SEND, msg, key, cause)
        if msg.dst == self.name:  # colocated roles: delivered at once, never lost
            data = encode_message(msg, key, self.lamport)
            asyncio.get_running_loop().call_soon(self.datagram_received, data, ("", 0))
            return
        if msg.dst in self.blocked:
            self.record_message(DROP, msg, key, detail="partition")
            return
        t = time.monotonic() - self.t0
        drop = self.faults.at("loss", t)
        if drop and self.rng.random() < drop:
            self.record_message(DROP, msg, key, detail="loss")
            return
        self.transmit(msg, key, t)
        duplicate = self.faults.at("duplicate", t)
        if duplicate and self.rng.random() < duplicate:
            copy = self.next_key()
            self.record_message(DUPLICATE, msg, copy, cause=key)
            self.transmit(msg, copy, t)

    def transmit(self, msg: Message, key: str, t: float) -> None:
        address = self.peers.get(msg.dst)
        if address is None or self.transport is None:
            return
        data = encode_message(msg, key, self.lamport)
        most = self.faults.at("delay", t)
        delay = self.rng.uniform(0.0, most) if most else 0.0
        if delay:
            asyncio.get_running_loop().call_later(delay, self._sendto, data, address)
        else:
            self._sendto(data, address)

    def _sendto(self, data: bytes, address: Address) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, address)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if len(data) > MAX_DATAGRAM:
            return
        got = decode_message(data)
        if got is None or got[0].dst != self.name:
            return
        msg, key, lamport = got
        self.lamport = max(self.lamport, lamport)
        if msg.src in self.blocked:
            self.record_message(DROP, msg, key, detail="partition")
            return
        self.record_message(DELIVER, msg, key)
        self.state, effects = self.node.on_message(self.state, msg)
        self.apply(effects, key)

    # -- control ----------------------------------------------------------------------------
    def on_control(self, doc: dict[str, Any]) -> None:
        op = doc.get("op")
        if op == "peers":  # the supervisor waits for the answer before it says start
            self.peers = {n: (h, int(p)) for n, (h, p) in doc["peers"].items()}
            self.t0 = float(doc.get("t0", self.t0))
            self.blocked = frozenset(doc.get("block", self.blocked))
            print(json.dumps({"peers": len(self.peers)}), flush=True)
        elif op == "start":
            self.start()
        elif op == "block":
            self.blocked = frozenset(doc["names"])
        elif op == "stop" and self.done is not None and not self.done.done():
            self.done.set_result(None)

    async def serve(self, host: str, port: int, control: bool,
                    duration: float | None = None) -> None:
        """Bind, report the port, then run until stopped, the control input closes, or
        ``duration`` seconds have passed."""
        loop = asyncio.get_running_loop()
        self.done = loop.create_future()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(host, port))
        print(json.dumps({"port": transport.get_extra_info("sockname")[1]}), flush=True)
        if duration is not None:
            loop.call_later(duration, self.on_control, {"op": "stop"})
        if self.peers:
            self.start()
        try:
            if control:
                await _read_control(self)
            else:
                await self.done
        finally:
            transport.close()
            self.store.close()
            os.close(self.events)


async def _read_control(node: NodeRuntime) -> None:
    """Apply control lines from standard input until ``stop`` or end of input."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    assert node.done is not None
    while not node.done.done():
        reading: asyncio.Future[Any] = asyncio.ensure_future(reader.readline())
        pending: list[asyncio.Future[Any]] = [reading, node.done]
        await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        if not reading.done():
            reading.cancel()
            return
        line = reading.result()
        if not line:
            return
        node.on_control(json.loads(line))


def _last_lamport(path: Path) -> int:
    """The highest Lamport time in an events file (0 if none): a restarted node goes on."""
    if not path.exists():
        return 0
    events = (read_event(line) for line in path.read_text(encoding="utf-8").splitlines())
    return max((e[1] for e in events if e is not None), default=0)


def parse_peers(text: str, names: tuple[str, ...]) -> dict[str, Address]:
    """``host:port,...`` for the cluster's nodes ``names``, in their order."""
    parts = [p.rpartition(":") for p in text.split(",")]
    if len(parts) != len(names) or not all(sep and port.isdigit() for _, sep, port in parts):
        raise ValueError(f"--peers: must be {len(names)} host:port entries for "
                         f"{', '.join(names)}; got {text!r}")
    return {n: (host, int(port)) for n, (host, _, port) in zip(names, parts, strict=True)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m paxosbook.net.node")
    p.add_argument("--config", required=True, help="the cluster's Config as a JSON file")
    p.add_argument("--name", required=True)
    p.add_argument("--data", required=True, help="directory for NAME.sqlite, NAME.events")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--peers", default="", help="host:port of every node, in cluster order")
    p.add_argument("--block", default="", help="names to neither send to nor hear from")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--incarnation", type=int, default=0)
    p.add_argument("--t0", type=float, default=None, help="time 0 (time.monotonic())")
    p.add_argument("--drop", type=float, default=0.0)
    p.add_argument("--duplicate", type=float, default=0.0)
    p.add_argument("--delay", type=float, default=0.0, help="most extra delay, seconds")
    p.add_argument("--windows", default="[]", help="windows of transport faults, JSON "
                   "[[kind, start, end, amount], ...] (nemesis.Window.as_list)")
    p.add_argument("--duration", type=float, default=None)
    p.add_argument("--control", action="store_true", help="read control lines on stdin")
    args = p.parse_args(argv)
    config = Config.from_dict(json.loads(Path(args.config).read_text(encoding="utf-8")))
    node = NodeRuntime(config, args.name, Path(args.data), seed=args.seed,
                       incarnation=args.incarnation, t0=args.t0,
                       faults=Faults(args.drop, args.duplicate, args.delay,
                                     tuple(map(Window.from_list, json.loads(args.windows)))))
    if args.peers:
        node.peers = parse_peers(args.peers, config.cluster().nodes)
    node.blocked = frozenset(n for n in args.block.split(",") if n)
    asyncio.run(node.serve(args.host, args.port, args.control, args.duration))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
