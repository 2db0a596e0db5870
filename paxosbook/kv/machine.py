"""The replicated state machine: a key-value map with get / put / append / cas, and dedup.

Theory of operation. Every replica applies the same log of commands in the same order (the
log's slots, each holding a *batch*: the commands a leader packed into one Paxos value), so
every replica goes through the same states. A command carries a request id ``(client, seq)``;
each client has one operation outstanding and numbers them 1, 2, ... A client that timed out
sends the same request again, possibly to another node, so a command can be logged twice.
The machine keeps, per client, the last ``seq`` it applied and the reply it gave: a command
whose ``seq`` is not above it is not applied again (the cached reply answers a retry of the
last one), so an append is applied once however often it is retried. Pure: no I/O, no time.

Values are strings; a missing key reads as ``""`` (the linearizability checker's ``kv``
model). ``cas [expected new]`` replaces the value when it equals ``expected`` and answers
whether it did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..core.log import NOOP

OPS = ("get", "put", "append", "cas")


class Command(NamedTuple):
    """One client operation: request id ``(client, seq)``; ``arg`` is the written value, or
    ``[expected, new]`` for cas, ``""`` for get."""

    client: int
    seq: int
    op: str
    key: str
    arg: Any


class Reply(NamedTuple):
    """The outcome of a command: ``ok`` (False only for a cas that did not match) and
    ``value`` (what a get read)."""

    ok: bool
    value: str


def encode_batch(batch_id: str, commands: list[Command]) -> str:
    """The Paxos value of one slot: a batch id (unique, so no two batches are equal) and its
    commands."""
    return json.dumps({"b": batch_id, "c": [list(c) for c in commands]},
                      separators=(",", ":"))


def decode_batch(value: str) -> list[Command]:
    """The commands of a slot's value (none for the no-op)."""
    if value == NOOP:
        return []
    return [Command(int(c[0]), int(c[1]), str(c[2]), str(c[3]), c[4])
            for c in json.loads(value)["c"]]


@dataclass
class Machine:
    """The map, the per-client dedup table and how many slots were applied."""

    data: dict[str, str] = field(default_factory=dict)
    last: dict[int, tuple[int, Reply]] = field(default_factory=dict)
    applied: int = 0
    done: dict[int, list[list[int]]] = field(default_factory=dict)
    """The sequence numbers of each client applied so far, as ``[first, last]`` runs (one run
    per client in a healthy store: a client moves on only once answered)."""
    duplicates: int = 0
    """Commands not applied because their request was applied before (not in snapshots)."""

    def execute(self, cmd: Command) -> Reply:
        """Apply ``cmd`` unless its request was applied before; the reply either way."""
        seen = self.last.get(cmd.client)
        if seen is not None and cmd.seq <= seen[0]:
            self.duplicates += 1
            return seen[1] if cmd.seq == seen[0] else Reply(False, "stale")
        old = self.data.get(cmd.key, "")
        if cmd.op == "get":
            reply = Reply(True, old)
        elif cmd.op == "put":
            self.data[cmd.key] = str(cmd.arg)
            reply = Reply(True, "")
        elif cmd.op == "append":
            self.data[cmd.key] = old + str(cmd.arg)
            reply = Reply(True, "")
        else:
            expected, new = cmd.arg
            hit = old == expected
            if hit:
                self.data[cmd.key] = str(new)
            reply = Reply(hit, "")
        self.last[cmd.client] = (cmd.seq, reply)
        runs = self.done.setdefault(cmd.client, [])
        if runs and runs[-1][1] == cmd.seq - 1:
            runs[-1][1] = cmd.seq
        else:
            runs.append([cmd.seq, cmd.seq])
        return reply

    def apply_slot(self, value: str) -> list[tuple[Command, Reply]]:
        """Apply the next slot's value; each command with its reply."""
        self.applied += 1
        return [(c, self.execute(c)) for c in decode_batch(value)]

    # -- snapshots ------------------------------------------------------------------------------
    def snapshot(self) -> str:
        """Everything the machine is, as one JSON text (applied index, map, dedup table, the
        requests applied)."""
        return json.dumps({"applied": self.applied, "data": self.data,
                           "last": [[c, s, list(r)] for c, (s, r) in self.last.items()],
                           "done": [[c, runs] for c, runs in self.done.items()]},
                          separators=(",", ":"))

    @classmethod
    def restore(cls, text: str) -> Machine:
        doc = json.loads(text)
        last = {int(c): (int(s), Reply(bool(r[0]), str(r[1]))) for c, s, r in doc["last"]}
        done = {int(c): [[int(a), int(b)] for a, b in runs] for c, runs in doc["done"]}
        return cls(dict(doc["data"]), last, int(doc["applied"]), done)

    def applied_request(self, client: int, seq: int) -> bool:
        """Was request ``(client, seq)`` applied?"""
        return any(a <= seq <= b for a, b in self.done.get(client, []))


__all__ = ["OPS", "Command", "Machine", "Reply", "decode_batch", "encode_batch"]
