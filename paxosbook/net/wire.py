"""What crosses a socket or a file in ``paxosbook.net``: messages, event lines, control lines.

A message travels as one UDP datagram holding a small versioned JSON envelope: the format
version, the message's id (``node:incarnation:n``, unique across the nodes and their
restarts), the sender's Lamport clock and the message itself in the trace's own encoding
(the ``node, peer, msg, ballot, value, ref_ballot`` fields of ``trace.row_of``, read back by
``trace.record_of``). An event is one JSON line with the trace row, its Lamport clock, its
message id and the id of the message it reacts to. A datagram that is not a well-formed
envelope of this version is ignored by the receiver (``decode_message`` returns ``None``).
"""

from __future__ import annotations

import json
from typing import Any

from ..core import Message, PaxosbookError
from ..events import SEND, Record
from ..trace import Row, record_of, row_of

VERSION = 1
"""The envelope format; a node ignores datagrams of any other version."""

MAX_DATAGRAM = 65_507
"""The largest UDP payload over IPv4."""


def encode_message(msg: Message, key: str, lamport: int) -> bytes:
    """The datagram carrying ``msg`` with id ``key``, sent at Lamport time ``lamport``."""
    row = row_of((0.0, SEND, msg.src, msg.dst, msg, -1, -1, ""))
    return json.dumps({"v": VERSION, "id": key, "lc": lamport, "msg": list(row[2:8])},
                      separators=(",", ":"), ensure_ascii=False).encode()


def decode_message(data: bytes) -> tuple[Message, str, int] | None:
    """``(message, id, Lamport time)`` of a datagram, or ``None`` if it is not a well-formed
    envelope of this ``VERSION``."""
    try:
        doc = json.loads(data)
        if doc.get("v") != VERSION:
            return None
        key, lamport, fields = doc["id"], doc["lc"], doc["msg"]
        if not (isinstance(key, str) and type(lamport) is int and isinstance(fields, list)
                and len(fields) == 6 and all(isinstance(f, str) for f in fields)):
            return None
        msg = record_of((0.0, SEND, *fields, -1, -1, ""))[4]
    except (ValueError, KeyError, TypeError, AttributeError, PaxosbookError):
        return None
    return msg, key, lamport


def event_line(rec: Record, lamport: int, key: str = "", cause: str = "") -> str:
    """One event as a JSON line (no newline): the trace row, the Lamport time, the message id
    ``key`` and the id of the message it reacts to, ``cause`` ("" for none)."""
    return json.dumps({"lc": lamport, "id": key, "cause": cause, "row": row_of(rec)},
                      separators=(",", ":"), ensure_ascii=False)


def read_event(line: str) -> tuple[Record, int, str, str] | None:
    """Inverse of ``event_line``: ``(record, Lamport time, id, cause)``; ``None`` for a line
    cut short (a node killed in the middle of writing it) or not an event."""
    try:
        doc: dict[str, Any] = json.loads(line)
        row: Row = tuple(doc["row"])
        return record_of(row), int(doc["lc"]), str(doc["id"]), str(doc["cause"])
    except (ValueError, KeyError, TypeError, AttributeError, PaxosbookError):
        return None


def control(op: str, **fields: Any) -> bytes:
    """A control line from the supervisor to a node (on the node's standard input)."""
    return (json.dumps({"op": op, **fields}) + "\n").encode()
