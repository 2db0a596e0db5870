"""What crosses a socket in ``paxosbook.kv``: the log roles' messages and the runtime's own.

Every datagram is one JSON document ``{"v": 2, "lc": L, "m": MSG}``: ``L`` is the sender's
Lamport time (``kv.trace`` says why; a client sends 0 and ignores the nodes'). A message is a
NamedTuple of a known class, sent as ``["ClassName", field, ...]``; fields are strings,
numbers, ``null``, lists (read back as tuples) or messages again (a ``Slotted`` carries a
``Promise``, a ``Ballot``, a ``Proposal``). Only the classes in ``KINDS`` are read back, each
with its own number of fields; anything else (another version, a Lamport time that is no
integer in ``[0, MAX_LAMPORT]``, an unknown class, a wrong arity) is ignored by the receiver
(``decode`` returns ``None``).

The runtime's own messages: client ``Request`` / ``Answer`` / ``Redirect``; the leader's
``Heartbeat`` and ``Commit`` (the paper's distinguished learner, section 2.4, telling the other
learners what was chosen); a lagging replica's ``Fetch`` and the ``Entries`` or
``SnapshotChunk`` s it gets back.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from ..core import Accept, Accepted, Ballot, Nack, Prepare, Promise, Proposal
from ..core.log import Ack, MultiPrepare, MultiPromise, Slotted, Submit

VERSION = 2
MAX_DATAGRAM = 65_507
MAX_LAMPORT = 2**62
"""The highest Lamport time a datagram may carry (a node's clock stays an exact integer)."""


class Request(NamedTuple):
    """Client to node: apply ``op`` on ``key`` with ``arg`` (request id ``(client, seq)``)."""

    client: int
    seq: int
    op: str
    key: str
    arg: Any


class Answer(NamedTuple):
    """Node to client: the reply to request ``(client, seq)``; ``node`` answered."""

    client: int
    seq: int
    ok: bool
    value: str
    node: str


class Redirect(NamedTuple):
    """Node to client: ``leader`` is the leader as far as ``node`` knows."""

    client: int
    seq: int
    leader: str
    node: str


class Heartbeat(NamedTuple):
    """Leader to every node: ``src`` leads with ``ballot``; it has applied ``applied`` slots."""

    src: str
    dst: str
    ballot: Ballot
    applied: int


class Commit(NamedTuple):
    """Leader to learners: ``value`` was chosen in ``slot`` (at ``ballot``; ``None`` when
    the leader learned it from another replica)."""

    src: str
    dst: str
    slot: int
    value: str
    ballot: Ballot | None


class Fetch(NamedTuple):
    """A lagging replica asks for the log from slot ``first`` on (or a snapshot)."""

    src: str
    dst: str
    first: int


class Entries(NamedTuple):
    """Chosen values of consecutive slots from ``first`` on."""

    src: str
    dst: str
    first: int
    values: tuple[str, ...]


class SnapshotChunk(NamedTuple):
    """Part ``part`` of ``parts`` of a snapshot taken at ``applied`` slots."""

    src: str
    dst: str
    applied: int
    part: int
    parts: int
    text: str


KINDS: dict[str, type] = {k.__name__: k for k in (
    Accept, Accepted, Nack, Prepare, Promise, Ballot, Proposal, Slotted, MultiPrepare,
    MultiPromise, Submit, Ack, Request, Answer, Redirect, Heartbeat, Commit, Fetch, Entries,
    SnapshotChunk)}


def to_json(x: Any) -> Any:
    """``x`` as JSON values: a NamedTuple as ``["ClassName", field, ...]``, a plain tuple as
    ``{"t": [...]}``."""
    if isinstance(x, tuple):
        if hasattr(x, "_fields"):
            return [type(x).__name__, *map(to_json, x)]
        return {"t": list(map(to_json, x))}
    return x


def from_json(x: Any, kinds: dict[str, type] = KINDS) -> Any:
    """What ``to_json`` wrote, for the classes in ``kinds`` only, each with its own number
    of fields (``KeyError`` or ``ValueError`` otherwise)."""
    if isinstance(x, list):
        kind = kinds[x[0]]
        fields = [from_json(f, kinds) for f in x[1:]]
        if len(fields) != len(kind._fields):  # type: ignore[attr-defined]
            raise ValueError("arity")
        return kind(*fields)
    if isinstance(x, dict):
        return tuple(from_json(f, kinds) for f in x["t"])
    return x


def encode(msg: Any, lamport: int = 0) -> bytes:
    """The datagram carrying ``msg``, sent at Lamport time ``lamport``."""
    return json.dumps({"v": VERSION, "lc": lamport, "m": to_json(msg)}, separators=(",", ":"),
                      ensure_ascii=False).encode()


def decode_stamped(data: bytes) -> tuple[Any, int] | None:
    """``(message, Lamport time)`` of ``data``, or ``None`` if it is not a well-formed
    datagram of this version."""
    try:
        doc = json.loads(data)
        if doc.get("v") != VERSION:
            return None
        lamport = doc["lc"]
        if type(lamport) is not int or not 0 <= lamport <= MAX_LAMPORT:
            return None
        return from_json(doc["m"]), lamport
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        return None


def decode(data: bytes) -> Any:
    """The message in ``data``, or ``None`` if it is not a well-formed datagram of this
    version (a client's reading: the Lamport time is dropped)."""
    got = decode_stamped(data)
    return None if got is None else got[0]


__all__ = ["KINDS", "MAX_DATAGRAM", "MAX_LAMPORT", "Answer", "Commit", "Entries", "Fetch",
           "Heartbeat", "Redirect", "Request", "SnapshotChunk", "decode", "decode_stamped",
           "encode", "from_json", "to_json"]
