"""The Paxos trace of a KV run, for validation against ``Paxos.tla`` slot by slot.

Theory of operation. Each node logs the Paxos events of its log roles, in the order its roles
produced them: every ``Prepare``/``Promise``/``Accept``/``Accepted``/``Nack`` it sends (in a
``Slotted``), every ``MultiPrepare`` and ``MultiPromise``, every acceptor state it persists
(``SlotState``) and every slot it learns (``LearnSlot``). The runtime's own messages
(heartbeats, commits, fetches, snapshots, clients) are no spec step and are not logged. A
value (a batch of commands, up to 32 of them) is logged as its ``digest``: the spec only
compares values, and a 64-bit digest keeps the trace small.

Where an event is written decides what a ``kill -9`` leaves, and the trace must say exactly
what happened, no more, no less:

* the events of a turn that persists state go into the node's SQLite file in the same
  transaction as that state (``KVStore.commit``): after a kill, the trace holds a state
  change if and only if the disk does;
* events that leave the process before that commit (a leader's ``Accept`` sent early, every
  send of the ``write-after-reply`` mutant) are appended to ``NAME.trace`` (one ``write``,
  which survives ``kill -9``) before the datagram leaves, and so are the events of a turn
  that persists nothing.

Every line carries the node's Lamport time, the host's monotonic clock (for display only: the
slot table's times) and a per-process sequence number. The node's Lamport clock
(``Replica.lamport``) ticks once per event, as the roles produce it (not when its line is
written: a turn's early sends are written first, yet keep their place), every datagram between
nodes carries the time of the clock when it was encoded (a traced send: the send event's own
time), and a node that receives one sets its clock to at least that time, so its next event is
later (``kv.wire``). A restarted node goes on above every time it logged (``last_lamport``).
Hence if event ``e`` happens before ``f`` (``e`` precedes ``f`` at one node, or ``e`` is the
send of a message whose receipt precedes ``f``, or by transitivity), ``e``'s time is lower than
``f``'s. ``collect`` sorts the nodes' lines by (Lamport time, node, sequence): no event comes
before one that happened before it, whatever the hosts' clocks say (two events with one time
are at two nodes and concurrent: either order will do), so the merged order is a linearization
of happens-before, a sequence of spec steps in an order that could have happened. A message is
logged before it leaves, so every receive finds its send earlier in the merge.
``validate(collect(...))`` then checks the run as it checks a simulated Multi-Paxos run
(``check.refinement``): one Paxos instance per slot; a slot a replica learns from the leader's
``Entries`` (no ballot named) must be chosen at some ballot.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import (
    Accept,
    Accepted,
    AcceptorState,
    FormatError,
    Nack,
    Prepare,
    Promise,
    Proposal,
    QuorumSystem,
    UsageError,
)
from ..core.log import MultiPrepare, MultiPromise, Slotted
from ..core.log.envelope import LearnSlot, SlotState
from ..events import ACCEPT, LEARN, PROMISE, SEND, Record
from .wire import KINDS as WIRE_KINDS
from .wire import from_json, to_json

if TYPE_CHECKING:
    import pandas as pd

TRACED = (Prepare, Promise, Accept, Accepted, Nack)
"""The messages that a ``Slotted`` carries and the trace keeps."""
KINDS: dict[str, type] = {**WIRE_KINDS, **{k.__name__: k for k in (SlotState, AcceptorState,
                                                                      LearnSlot)}}
EVENTS = (SEND, PROMISE, ACCEPT, LEARN)


def digest(value: str) -> str:
    """A short fingerprint of a slot's value (the trace's, and the supervisor's slot
    agreement check's)."""
    return hashlib.blake2b(value.encode(), digest_size=8).hexdigest()


def traced(msg: Any) -> bool:
    """Is ``msg`` a Paxos message the trace keeps?"""
    kind = type(msg)
    return kind is MultiPrepare or kind is MultiPromise or (
        kind is Slotted and type(msg.msg) in TRACED)


class Digests:
    """Values as their digests, memoised (a value is sent to every node, then accepted,
    then learned: one digest for all)."""

    LIMIT = 4096

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, value: Any) -> Any:
        if type(value) is not str:
            return value
        out = self._seen.get(value)
        if out is None:
            if len(self._seen) >= self.LIMIT:
                self._seen.clear()
            out = self._seen[value] = digest(value)
        return out

    def proposal(self, p: Proposal | None) -> Proposal | None:
        return None if p is None else Proposal(p.ballot, self(p.value))

    def payload(self, x: Any) -> Any:
        """``x`` (a traced message, a ``SlotState`` or a ``LearnSlot``) with digests."""
        kind = type(x)
        if kind is Slotted:
            return x._replace(msg=self.payload(x.msg))
        if kind is Accept or kind is Accepted:
            return x._replace(value=self(x.value))
        if kind is Promise:
            return x._replace(accepted=self.proposal(x.accepted))
        if kind is MultiPromise:
            return x._replace(accepted=tuple((s, self.proposal(p)) for s, p in x.accepted))
        if kind is SlotState:
            st = x.state
            return x._replace(state=st._replace(accepted=self.proposal(st.accepted)))
        if kind is LearnSlot:
            return x._replace(value=self(x.value))
        return x


def line(lamport: int, clock: int, seq: int, incarnation: int, event: str, node: str,
         peer: str, payload: Any) -> str:
    """One event as a JSON line (``payload`` already with digests)."""
    return json.dumps([lamport, clock, seq, incarnation, event, node, peer, to_json(payload)],
                      separators=(",", ":"), ensure_ascii=False) + "\n"


Entry = tuple[int, int, int, int, str, str, str, Any]
"""(Lamport time, clock, seq, incarnation, event, node, peer, payload)."""

OLD_FIELDS = 7
"""Fields of a line written before the lines carried a Lamport time."""


def read_line(text: str) -> Entry | None:
    """The event of one line, or ``None`` for a line a ``kill -9`` cut short."""
    try:
        lamport, clock, seq, inc, event, node, peer, payload = json.loads(text)
        if event not in EVENTS:
            return None
        return (int(lamport), int(clock), int(seq), int(inc), event, str(node), str(peer),
                from_json(payload, KINDS))
    except (ValueError, TypeError, KeyError, IndexError, RecursionError):
        return None


def _older(text: str) -> bool:
    """Is ``text`` a whole line of the format without Lamport times?"""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return type(doc) is list and len(doc) == OLD_FIELDS and doc[3] in EVENTS


@dataclass
class KVTrace:
    """The merged Paxos events of a KV run: what ``check.validate`` reads (``records``, the
    acceptors and their quorums). A record's detail says which life of its node logged it
    (``life 0`` until the node's first restart)."""

    records: list[Record]
    acceptors: tuple[str, ...]
    quorums: QuorumSystem
    lives: int = 1
    """Incarnations seen (one per start of a node)."""
    lamport: list[int] = field(default_factory=list)
    """Each record's Lamport time (the merge order: ``collect``)."""


def concerns(payload: Any, slot: int) -> bool:
    """Is the event with ``payload`` about log slot ``slot`` (a phase 1 for every slot from
    ``first`` on is about it when ``first <= slot``)?"""
    kind = type(payload)
    if kind is Slotted or kind is LearnSlot or kind is SlotState:
        return bool(payload.slot == slot)
    if kind is MultiPrepare or kind is MultiPromise:
        return bool(payload.first <= slot)
    return False


def slot_frame(trace: KVTrace, slot: int) -> pd.DataFrame:
    """The events of ``trace`` about ``slot``, one row each, indexed by their place in the
    trace: time (s), node, event, the message or state, its ballot, and the value (a digest)
    it carries, accepts, reports or learns."""
    import pandas as pd

    rows = []
    for i, (t, event, node, peer, p, *_) in enumerate(trace.records):
        if not concerns(p, slot):
            continue
        what, x = type(p).__name__, p.msg if type(p) is Slotted else p
        if type(p) is SlotState:
            what, x = "acceptor state", p.state
        vote = None
        if type(x) is MultiPromise:
            vote = dict(x.accepted).get(slot)
        elif type(x) in (Promise, AcceptorState):
            vote = x.accepted
        ballot = getattr(x, "promised", None) or getattr(x, "ballot", None)
        value = getattr(x, "value", None) if vote is None else vote.value
        rows.append({"index": i, "time": t, "node": node, "event": event,
                     "what": type(x).__name__ if type(p) is Slotted else what, "peer": peer,
                     "ballot": "" if ballot is None else str(ballot),
                     "vote": "" if vote is None else str(vote.ballot),
                     "value": "" if value is None else str(value)})
    return pd.DataFrame(rows, columns=["index", "time", "node", "event", "what", "peer",
                                       "ballot", "vote", "value"]).set_index("index")


def node_files(data: Path, name: str) -> list[tuple[Path, list[str]]]:
    """Node ``name``'s trace lines, file by file: its ``NAME.trace`` file and its SQLite
    file's."""
    path = data / f"{name}.trace"
    out = [(path, path.read_text("utf-8").splitlines() if path.exists() else [])]
    db = data / f"{name}.sqlite"
    if db.exists():
        lines: list[str] = []
        conn = sqlite3.connect(str(db))
        try:
            for (text,) in conn.execute("SELECT line FROM trace ORDER BY seq"):
                lines += text.splitlines()  # a row holds one turn's lines
        except sqlite3.OperationalError:  # a file from before the trace table
            pass
        finally:
            conn.close()
        out.append((db, lines))
    return out


def node_lines(data: Path, name: str) -> list[str]:
    """Node ``name``'s trace lines: its ``NAME.trace`` file and its SQLite file's."""
    return [text for _, lines in node_files(data, name) for text in lines]


def last_lamport(data: Path, name: str) -> int:
    """The highest Lamport time node ``name`` logged in ``data`` (0 if none): a restarted node
    goes on above it, so that its new events follow its old ones in the merge."""
    top = 0
    for text in node_lines(data, name):
        try:
            first = json.loads(text)[0]
        except (ValueError, TypeError, KeyError, IndexError, RecursionError):
            continue  # a line cut short
        if type(first) is int and first > top:
            top = first
    return top


def collect(data: str | Path, names: Iterable[str]) -> KVTrace:
    """The trace of the nodes ``names`` whose files are in ``data``, merged by Lamport time,
    then node (its place in ``names``), then sequence: a linearization of happens-before on
    any number of hosts (see the module's docstring). A record's time is its node's monotonic
    clock from the earliest one (comparable across nodes on one host only: for display).
    ``FormatError`` naming the file for a trace written before the lines carried a Lamport
    time."""
    names = tuple(names)
    entries: list[tuple[int, int, int, Entry]] = []
    for i, name in enumerate(names):
        for path, lines in node_files(Path(data), name):
            for text in lines:
                e = read_line(text)
                if e is not None:
                    entries.append((e[0], i, e[2], e))
                elif _older(text):
                    raise FormatError(f"{path}: a trace line without a Lamport time (written by "
                                      "an older paxosbook): its order across nodes is unknown; "
                                      "rerun the cluster to validate it")
    entries.sort(key=lambda x: (x[0], x[1], x[2]))
    t0 = min((e[3][1] for e in entries), default=0)
    records: list[Record] = [((clock - t0) / 1e9, event, node, peer, payload, -1, -1,
                              f"life {inc}")
                             for _, _, _, (_, clock, _, inc, event, node, peer, payload)
                             in entries]
    lives = len({(e[3][5], e[3][3]) for e in entries}) or 1
    return KVTrace(records, names, QuorumSystem.majority(names), lives,
                   [e[0] for e in entries])


def collect_dir(data: str | Path) -> KVTrace:
    """The trace of every node whose files are in ``data`` (a ``paxosbook kv --data DIR``):
    the nodes are those with a ``NAME.trace`` file (each node creates one when it starts).
    ``UsageError`` when there is none."""
    root = Path(data)
    names = sorted((p.name[:-len(".trace")] for p in root.glob("*.trace")),
                   key=lambda n: (len(n), n))  # n2 before n10
    if not names:
        raise UsageError("DIR", "a directory written by `paxosbook kv --data DIR` (its nodes' "
                         "NAME.trace files)", str(data))
    return collect(root, names)


__all__ = ["KINDS", "Digests", "KVTrace", "collect", "collect_dir", "concerns", "digest",
           "last_lamport", "line", "read_line", "slot_frame", "traced"]
