"""The clients of a KV run: asyncio UDP clients in the supervisor's process, and their history.

Theory of operation. Each client has one operation outstanding at a time and numbers its
operations 1, 2, ... (the request id ``(client, seq)``). It sends the request to the node it
believes leads; a ``Redirect`` sends it on to the named leader, and a request not answered
within ``ATTEMPT`` seconds is sent again, with the same id, to the next node. An operation
still unanswered when the run ends is indeterminate (``info``: it may have taken effect, or
not). Every invocation and completion is recorded, in the order they happen, as the JSON
lines ``paxosbook lincheck --model kv`` reads (``"type"``: invoke, ok, fail, info).

The workload is drawn from one seeded ``random.Random`` per client: get, put, append and cas
on ``keys`` keys. Every value written is the token ``"CLIENT.SEQ;"``, unique in the run, so
the final state says which writes took effect (``lost_writes``).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .wire import Answer, Redirect, Request, decode, encode

ATTEMPT = 0.25
"""Seconds a client waits for an answer before sending the request again, to another node."""
MIX = (("get", 0.35), ("append", 0.35), ("put", 0.15), ("cas", 0.15))
"""The workload: each operation's share."""

Address = tuple[str, int]


@dataclass
class Op:
    """One operation as the client saw it: ``status`` ok, fail or info; times in seconds."""

    client: int
    seq: int
    f: str
    key: str
    value: Any
    start: float
    end: float = float("inf")
    status: str = "info"
    output: Any = None
    node: str = ""


def token(client: int, seq: int) -> str:
    return f"{client}.{seq};"


class Clients(asyncio.DatagramProtocol):
    """``clients`` clients sharing one UDP socket; ``addresses()`` gives every node's address
    (it changes when a restarted node could not have its old port back)."""

    def __init__(self, clients: int, keys: int, seed: int,
                 addresses: Callable[[], dict[str, Address]]) -> None:
        self.n, self.keys, self.addresses = clients, keys, addresses
        self.rngs = [random.Random(f"{seed}:client:{c}") for c in range(clients)]
        self.waiting: dict[tuple[int, int], asyncio.Future[Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.ops: list[Op] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.last_read: dict[tuple[int, str], str] = {}
        self.t0 = time.perf_counter()
        self.last_answer = 0.0
        """When the last answer arrived (``time.perf_counter``)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Address) -> None:
        msg = decode(data)
        if type(msg) in (Answer, Redirect):
            fut = self.waiting.get((msg.client, msg.seq))
            if fut is not None and not fut.done():
                fut.set_result(msg)

    def record(self, op: Op, kind: str, value: Any) -> None:
        self.events.append({"process": op.client, "type": kind, "f": op.f, "key": op.key,
                            "value": value})

    def draw(self, c: int, seq: int) -> tuple[str, str, Any]:
        rng = self.rngs[c]
        key = f"k{rng.randrange(self.keys)}"
        r, f = rng.random(), MIX[-1][0]
        for name, share in MIX:
            if r < share:
                f = name
                break
            r -= share
        if f == "get":
            return f, key, None
        if f == "cas":
            return f, key, (self.last_read.get((c, key), ""), token(c, seq))
        return f, key, token(c, seq)

    async def client(self, c: int, deadline: float) -> None:
        names = sorted(self.addresses())
        target = names[c % len(names)]
        seq = 0
        while time.perf_counter() < deadline:
            seq += 1
            f, key, value = self.draw(c, seq)
            op = Op(c, seq, f, key, value, time.perf_counter() - self.t0)
            self.ops.append(op)
            self.record(op, "invoke", list(value) if f == "cas" else value)
            target = await self.attempt(op, target, names, deadline)
            if op.status == "info":
                return

    async def attempt(self, op: Op, target: str, names: list[str], deadline: float) -> str:
        """Send ``op`` until answered or ``deadline``; the node to try first next time."""
        req = Request(op.client, op.seq, op.f, op.key, op.value if op.f != "get" else "")
        loop = asyncio.get_running_loop()
        redirects = 0
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                return target
            fut: asyncio.Future[Any] = loop.create_future()
            self.waiting[(op.client, op.seq)] = fut
            address = self.addresses().get(target)
            if address is not None and self.transport is not None:
                self.transport.sendto(encode(req), address)
            try:
                msg = await asyncio.wait_for(fut, min(ATTEMPT, left))
            except TimeoutError:
                target = names[(names.index(target) + 1) % len(names)]
                continue
            finally:
                self.waiting.pop((op.client, op.seq), None)
            if type(msg) is Redirect:
                redirects += 1
                if msg.leader == target or msg.leader not in names or redirects > len(names):
                    target = names[(names.index(target) + 1) % len(names)]
                    redirects = 0
                    await asyncio.sleep(0.01)
                else:
                    target = msg.leader
                continue
            self.complete(op, msg)
            return target

    def complete(self, op: Op, msg: Answer) -> None:
        self.last_answer = time.perf_counter()
        op.end, op.node = self.last_answer - self.t0, msg.node
        if op.f == "get":
            op.status, op.output = "ok", msg.value
            self.last_read[(op.client, op.key)] = msg.value
            self.record(op, "ok", msg.value)
        elif op.f == "cas":
            op.status = "ok" if msg.ok else "fail"
            self.record(op, op.status, list(op.value))
        else:
            op.status = "ok"
            self.record(op, "ok", op.value)

    def finish(self) -> None:
        """Every operation still open is indeterminate."""
        for op in self.ops:
            if op.status == "info":
                self.record(op, "info", list(op.value) if op.f == "cas" else op.value)


async def run_clients(clients: Clients, duration: float) -> None:
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: clients, local_addr=("127.0.0.1", 0))
    deadline = time.perf_counter() + duration
    try:
        await asyncio.gather(*(clients.client(c, deadline) for c in range(clients.n)))
    finally:
        if clients.transport is not None:
            clients.transport.close()
        clients.finish()


def lost_writes(ops: list[Op], final: dict[str, str], done: dict[str, list[list[int]]]
                ) -> list[Op]:
    """Acknowledged put / append / cas whose effect is missing from the final state: ``final``
    (the map) and ``done`` (each client's applied sequence numbers, as ``[first, last]``
    runs). A write is missing when the replica has no record of applying it (its log lost
    it), or when its token is not in the key's value although no put or cas that could have
    come after it overwrote it."""
    writes: dict[str, list[Op]] = {}
    for op in ops:
        if op.f in ("put", "cas") and op.status != "fail":
            writes.setdefault(op.key, []).append(op)
    out: list[Op] = []
    for op in ops:
        if op.status != "ok" or op.f == "get":
            continue
        if not any(a <= op.seq <= b for a, b in done.get(str(op.client), [])):
            out.append(op)
            continue
        tokens = final.get(op.key, "").split(";")
        if token(op.client, op.seq)[:-1] in tokens:
            continue
        if not any(w is not op and w.end > op.start for w in writes.get(op.key, [])):
            out.append(op)
    return out


__all__ = ["ATTEMPT", "MIX", "Clients", "Op", "lost_writes", "run_clients", "token"]
