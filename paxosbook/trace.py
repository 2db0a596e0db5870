"""The one record of a run: ``Run``, its events, its summary, pandas and JSON.

Theory of operation. The simulator appends one plain tuple per event to a list (cheap: the
message object is shared, nothing is formatted); ``Run.trace`` turns them into a tidy pandas
DataFrame only when asked, and ``Run.to_json`` into a versioned document whose event rows are
the canonical form that ``trace_digest`` hashes. The event names and the record's shape live
in ``paxosbook.events`` (re-exported here); the verdict comes from ``paxosbook.properties``
and the figures from ``paxosbook.summary``; neither imports this module at run time.

Columns of ``Run.trace`` (one row per event, in the order they happened):

=============  =================================================================================
``time``       simulated time (float)
``event``      start, send, deliver, drop, duplicate, timer, crash, recover, partition_start,
               partition_end, promise, accept, learn
``node``       where it happened; for message events the sender
``peer``       for message events the receiver, else ""
``msg``        Prepare, Promise, Accept, Accepted, Nack for message events, else ""
``ballot``     "round.proposer": the message's ballot; for promise/accept the acceptor's
               promised ballot after the event; for learn the ballot learned
``round``      the round of ``ballot`` (-1 if none), for plotting
``value``      Accept(ed)/learn: the value; Promise: the value of the accepted proposal it
               reports; promise/accept: the acceptor's accepted value; start: the value proposed
``ref_ballot`` the other ballot an event refers to: a Promise's accepted proposal, a Nack's
               promised ballot, an acceptor's accepted ballot (promise/accept events)
``msg_id``     id of the message (a duplicate copy has its own id), else -1
``cause``      id of the delivered message this event was a reaction to (for a duplicate: the
               original's id), else -1
``detail``     drop reason (loss, crashed, partition), timer name, partition groups
``slot``       for a replicated log (``paxosbook.replication``): the log slot a message,
               acceptor state or learn event belongs to; -1 for everything else (always -1 in
               Basic Paxos runs)
=============  =================================================================================
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .config import Config
from .core import (
    MESSAGE_TYPES,
    AcceptorState,
    Ballot,
    FormatError,
    Learn,
    Nack,
    PaxosbookError,
    Promise,
    Proposal,
    UsageError,
)
from .core.log.envelope import LearnSlot, SlotState, Slotted
from .events import (
    ACCEPT,
    CRASH,
    DELIVER,
    DROP,
    DUPLICATE,
    EVENTS,
    LEARN,
    MESSAGE_EVENTS,
    PARTITION_END,
    PARTITION_START,
    PROMISE,
    RECOVER,
    SEND,
    START,
    TIMER,
    Record,
)
from .properties import Violation, check_run
from .summary import Summary
from .validation import MAX_SEED

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ACCEPT", "COLUMNS", "CRASH", "DELIVER", "DROP", "DUPLICATE", "EVENTS", "LEARN",
           "MAX_RUN_BYTES", "MESSAGE_EVENTS", "PARTITION_END", "PARTITION_START", "PROMISE",
           "RECOVER", "SCHEMA", "SEND", "START", "TIMER", "VERSION", "Record", "Row", "Run",
           "digest_of", "parse_document", "read_document", "record_of", "row_of",
           "stored_digest"]

COLUMNS = ("time", "event", "node", "peer", "msg", "ballot", "value", "ref_ballot", "msg_id",
           "cause", "detail", "slot")
SCHEMA, VERSION = "paxosbook.run", 1
MAX_RUN_BYTES = 64 * 2**20
"""Largest saved run read (64 MiB): a run stopped by the default ``max_messages`` (100,000)
is about 26 MB of JSON and takes about 0.2 GB to load; a bigger file is refused unread."""

Row = tuple[float, str, str, str, str, str, str, str, int, int, str, int]


def _b(ballot: Ballot | None) -> str:
    return "" if ballot is None else f"{ballot[0]}.{ballot[1]}"


def row_of(rec: Record) -> Row:
    """The canonical (JSON and DataFrame) form of one record."""
    time, event, node, peer, p, mid, cause, detail = rec
    msg = ballot = value = ref = ""
    slot = -1
    if event in MESSAGE_EVENTS:
        kind = type(p)
        if kind is Slotted:
            slot, p = p.slot, p.msg
            kind = type(p)
        msg, ballot = kind.__name__, _b(getattr(p, "ballot", None))
        if kind is Promise:
            if p.accepted is not None:
                ref, value = _b(p.accepted.ballot), p.accepted.value
        elif kind is Nack:
            ref = _b(p.promised)
        else:
            value = getattr(p, "value", "")
    elif event == PROMISE or event == ACCEPT:
        if type(p) is SlotState:
            slot, p = p.slot, p.state
        ballot = _b(p.promised)
        if p.accepted is not None:
            ref, value = _b(p.accepted.ballot), p.accepted.value
    elif event == LEARN:
        ballot, value = _b(p.ballot), p.value
        if type(p) is LearnSlot:
            slot = p.slot
    elif event == START:
        value = p
    return (time, event, node, peer, msg, ballot, value, ref, mid, cause, detail, slot)


def record_of(row: Row) -> Record:
    """Inverse of ``row_of`` (used when loading a saved run of Basic Paxos: ``slot`` is -1)."""
    time, event, node, peer, msg, ballot, value, ref, mid, cause, detail = row[:11]
    b: Any = Ballot.parse(ballot) if ballot else None
    r: Any = Ballot.parse(ref) if ref else None
    accepted = Proposal(r, value) if r else None
    payload: Any = None
    if event in MESSAGE_EVENTS:
        cls: Any = MESSAGE_TYPES[msg]
        if cls is Promise:
            payload = Promise(node, peer, b, accepted)
        elif cls is Nack:
            payload = Nack(node, peer, b, r)
        elif msg == "Prepare":
            payload = cls(node, peer, b)
        else:
            payload = cls(node, peer, b, value)
    elif event == PROMISE or event == ACCEPT:
        payload = AcceptorState(b, accepted)
    elif event == LEARN:
        payload = Learn(value, b)
    elif event == START:
        payload = value
    return (time, event, node, peer, payload, mid, cause, detail)


class Run:
    """A finished (or stopped) run: its config, seed and events, and what follows from them."""

    def __init__(self, config: Config, seed: int, records: list[Record],
                 stop_reason: str = "") -> None:
        self.config = config
        self.seed = seed
        self.records = records
        self.stop_reason = stop_reason

    def __repr__(self) -> str:
        return f"<Run seed={self.seed} events={len(self.records)} {self.summary()}>"

    # -- derived views ----------------------------------------------------------------------
    def rows(self) -> list[Row]:
        return [row_of(r) for r in self.records]

    @cached_property
    def trace(self) -> pd.DataFrame:
        """The events as a tidy DataFrame (columns documented in this module)."""
        return trace_frame(self.rows())

    @cached_property
    def violations(self) -> list[Violation]:
        """Every safety property violated in this run (empty when all hold)."""
        return check_run(self)

    def summary(self, *, digest: bool = True) -> Summary:
        """The run's figures; ``digest=False`` leaves ``trace_digest`` empty (it hashes every
        event, which costs about as much as the simulation: the explorer does not show it)."""
        return Summary.of(self, digest=digest)

    def trace_digest(self) -> str:
        """sha256 of the canonical event rows: equal digests, identical traces. A row without
        a slot (-1) is hashed without that last field, so digests of Basic Paxos runs are the
        same as before the column existed. Computed on first use, then kept."""
        return self._digest

    @cached_property
    def _digest(self) -> str:
        return digest_of(self.rows())

    # -- JSON -------------------------------------------------------------------------------
    def to_json(self, indent: int | None = None) -> str:
        doc = {"schema": SCHEMA, "version": VERSION, "seed": self.seed,
               "stop_reason": self.stop_reason, "config": self.config.as_dict(),
               "columns": list(COLUMNS), "events": self.rows()}
        return json.dumps(doc, indent=indent, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Run:
        """Load a run saved by ``to_json``; a malformed document raises ``FormatError``."""
        return cls.from_document(parse_document(text))

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Run:
        """The run a parsed document (``parse_document``, ``read_document``) holds;
        ``FormatError`` naming the field for a malformed one."""
        return cls(*_parse_doc(doc))


_INTEGER_COLUMNS = frozenset(("msg_id", "cause", "slot"))


def trace_frame(rows: list[Row]) -> pd.DataFrame:
    """The ``Run.trace`` DataFrame of event ``rows``, built column by column (typed arrays
    from the start: a quarter of the cost of a frame of rows converted afterwards)."""
    import numpy as np
    import pandas as pd

    columns = list(zip(*rows, strict=True)) if rows else [()] * len(COLUMNS)
    data: dict[str, Any] = {}
    for name, values in zip(COLUMNS, columns, strict=True):
        if name == "time":
            data[name] = np.array(values, dtype=np.float64)
        elif name in _INTEGER_COLUMNS:
            data[name] = np.array(values, dtype=np.int64)
        elif name == "event":
            data[name] = pd.Categorical(values, categories=list(EVENTS))
        else:
            data[name] = pd.array(values, dtype="str") if rows else np.array((), dtype=object)
        if name == "ballot":
            data["round"] = np.array([_round_of(b) for b in values], dtype=np.int64)
    return pd.DataFrame(data)


def _round_of(ballot: str) -> int:
    """The round of a ballot "round.proposer" (-1 for none)."""
    head = ballot.partition(".")[0]
    return int(head) if head.isascii() and head.isdigit() else -1


def digest_of(rows: list[Row] | list[list[Any]]) -> str:
    """sha256 of event rows in their JSON form (a slot of -1 left out, see ``trace_digest``)."""
    short = [r if len(r) != len(COLUMNS) or r[11] != -1 else r[:11] for r in rows]
    data = json.dumps(short, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def stored_digest(doc: dict[str, Any]) -> str:
    """The digest of a document's event rows exactly as the file stores them (validated by
    ``Run.from_document`` first): an edit of any field of any row changes it, even one that
    loading normalises away (a Prepare carries no value, ``1`` loads as the time ``1.0``)."""
    return digest_of(doc["events"])


def parse_document(text: str | bytes) -> dict[str, Any]:
    """The JSON object of a saved run (not yet validated: see ``Run.from_document``).

    ``FormatError`` for text of more than ``MAX_RUN_BYTES``, bytes that are not UTF-8, JSON
    that is malformed or nested too deeply for the parser, or a document that is not an
    object."""
    # a str of more than MAX_RUN_BYTES characters has more bytes: no need to encode it
    _check_size(len(text) if isinstance(text, bytes) or len(text) > MAX_RUN_BYTES
                else len(text.encode()))
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(f"encoding: must be UTF-8 text; got byte {text[exc.start]:#04x} "
                              f"at offset {exc.start}") from None
    try:
        doc = json.loads(text)
    except RecursionError:
        raise FormatError("JSON: must be a saved run (nested a few levels deep); got arrays or "
                          "objects nested too deeply to parse") from None
    except (ValueError, TypeError) as exc:
        raise FormatError(f"not a JSON document: {exc}") from None
    if not isinstance(doc, dict):
        raise FormatError(f"a saved run must be a JSON object; got a JSON {_kind(doc)}")
    return doc


def read_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """``parse_document`` of the file at ``path``, reading at most ``MAX_RUN_BYTES + 1`` bytes
    (so a huge file is refused without being read into memory). ``OSError`` if it cannot be
    read."""
    with open(path, "rb") as fh:
        _check_size(os.fstat(fh.fileno()).st_size)
        return parse_document(fh.read(MAX_RUN_BYTES + 1))


def _check_size(size: int) -> None:
    if size > MAX_RUN_BYTES:
        raise FormatError(f"size: must be at most {MAX_RUN_BYTES} bytes (MAX_RUN_BYTES, "
                          f"64 MiB); got {size} bytes")


def _kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


def _parse_doc(doc: Any) -> tuple[Config, int, list[Record], str]:
    if not isinstance(doc, dict):
        raise FormatError(f"a saved run must be a JSON object; got a JSON {_kind(doc)}")
    if doc.get("schema") != SCHEMA:
        raise _bad(doc, "schema", repr(SCHEMA))
    if doc.get("version") != VERSION:
        raise _bad(doc, "version", f"{VERSION} (this paxosbook reads version {VERSION})")
    legacy = doc.get("columns") == list(COLUMNS[:-1])  # saved before the slot column
    if not legacy and doc.get("columns") != list(COLUMNS):
        raise _bad(doc, "columns", str(list(COLUMNS)))
    seed = doc.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < MAX_SEED:
        raise _bad(doc, "seed", "an integer in [0, 2**63)")
    stop = doc.get("stop_reason", "")
    if not isinstance(stop, str):
        raise _bad(doc, "stop_reason", "a string")
    if not isinstance(doc.get("config"), dict):
        raise _bad(doc, "config", "an object of config fields")
    try:
        config = Config.from_dict(doc["config"])
    except UsageError as exc:
        raise FormatError(f"config.{exc}") from None
    except (PaxosbookError, TypeError, AttributeError) as exc:
        raise FormatError(f"config: {exc}") from None
    events = doc.get("events")
    if not isinstance(events, list):
        raise _bad(doc, "events", "a list of rows")
    if legacy:  # every slot is -1
        events = [[*row, -1] if isinstance(row, list) else row for row in events]
    records = [_parse_row(i, row) for i, row in enumerate(events)]
    return config, seed, records, stop


def _bad(doc: dict[str, Any], key: str, allowed: str) -> FormatError:
    got = shown(doc[key]) if key in doc else "nothing (the key is missing)"
    return FormatError(f"{key}: must be {allowed}; got {got}")


def shown(value: Any, limit: int = 120) -> str:
    """``repr(value)``, cut to ``limit`` characters: an error names a value on one short line."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


_TYPES: tuple[tuple[str, type | tuple[type, ...]], ...] = (
    ("time", (int, float)), ("event", str), ("node", str), ("peer", str), ("msg", str),
    ("ballot", str), ("value", str), ("ref_ballot", str), ("msg_id", int), ("cause", int),
    ("detail", str), ("slot", int))


def _parse_row(i: int, row: Any) -> Record:
    where = f"events[{i}]"
    if not isinstance(row, list) or len(row) != len(COLUMNS):
        raise FormatError(f"{where}: must be a list of {len(COLUMNS)} fields {list(COLUMNS)}; "
                          f"got {shown(row)}")
    for (name, typ), value in zip(_TYPES, row, strict=True):
        if isinstance(value, bool) or not isinstance(value, typ):
            raise FormatError(f"{where}.{name}: must be of type {name_of(typ)}; "
                              f"got {shown(value)}")
    if not math.isfinite(row[0]) or row[0] < 0:
        raise FormatError(f"{where}.time: must be a finite time >= 0; got {row[0]!r}")
    if row[1] not in EVENTS:
        raise FormatError(f"{where}.event: must be one of {', '.join(EVENTS)}; "
                          f"got {shown(row[1])}")
    if row[1] in MESSAGE_EVENTS and row[4] not in MESSAGE_TYPES:
        raise FormatError(f"{where}.msg: must be one of {', '.join(MESSAGE_TYPES)}; "
                          f"got {shown(row[4])}")
    needs_ballot = row[1] in MESSAGE_EVENTS or row[1] in (PROMISE, ACCEPT, LEARN)
    for name, text in (("ballot", row[5]), ("ref_ballot", row[7])):
        if text or (name == "ballot" and needs_ballot):
            try:
                Ballot.parse(text)
            except ValueError:
                raise FormatError(f"{where}.{name}: must be ROUND.PROPOSER; "
                                  f"got {shown(text)}") from None
    if row[4] == "Nack" and not row[7]:
        raise FormatError(f"{where}.ref_ballot: a Nack must carry its promised ballot; got ''")
    return record_of((float(row[0]), *row[1:]))


def name_of(typ: type | tuple[type, ...]) -> str:
    return "number" if isinstance(typ, tuple) else {"str": "string", "int": "integer"}[typ.__name__]
