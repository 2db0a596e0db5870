"""A node's stable storage: one SQLite file per node (WAL, ``synchronous=FULL``).

It holds what the core's ``Persist`` effects say, by kind (an acceptor's ``AcceptorState``,
a proposer's ``ProposerRound``), and the acceptor's promise and accept events, each committed
in the same transaction as the state it reports: after a ``kill -9`` the trace and the state
agree. ``persist`` returns only once the transaction is on disk, so a message sent after it
never reports a state the node could forget.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from ..core import AcceptorState, Ballot, Proposal, ProposerRound

_SCHEMA = ("CREATE TABLE IF NOT EXISTS state (kind TEXT PRIMARY KEY, body TEXT NOT NULL)",
           "CREATE TABLE IF NOT EXISTS events (lc INTEGER NOT NULL, line TEXT NOT NULL)")


def _ballot(text: str) -> Ballot:
    return Ballot.parse(text)


def encode_state(state: AcceptorState | ProposerRound) -> tuple[str, str]:
    """``(kind, JSON body)`` of a persisted state."""
    if isinstance(state, ProposerRound):
        return "proposer", json.dumps({"round": state.round})
    acc = state.accepted
    return "acceptor", json.dumps({
        "promised": str(state.promised),
        "accepted": None if acc is None else [str(acc.ballot), acc.value]})


def decode_state(kind: str, body: str) -> tuple[type, Any]:
    """Inverse of ``encode_state``: ``(state type, state)``, the form ``Node.init`` reads."""
    doc = json.loads(body)
    if kind == "proposer":
        return ProposerRound, ProposerRound(int(doc["round"]))
    acc = doc["accepted"]
    accepted = None if acc is None else Proposal(_ballot(acc[0]), acc[1])
    return AcceptorState, AcceptorState(_ballot(doc["promised"]), accepted)


def durable(path: str | Path, schema: tuple[str, ...]) -> sqlite3.Connection:
    """The SQLite file at ``path`` (created if missing, with ``schema``'s statements), in
    autocommit mode, WAL, and ``synchronous=FULL``: a commit is on the disk (fsync'd) when it
    returns, so what a reply depends on survives ``kill -9`` and a power cut."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    for statement in schema:
        conn.execute(statement)
    return conn


class Store:
    """The SQLite file at ``path`` (created if missing)."""

    def __init__(self, path: str | Path) -> None:
        self.conn = durable(path, _SCHEMA)

    def load(self) -> dict[type, Any]:
        """Every persisted state by type (empty for a node that never persisted)."""
        rows = self.conn.execute("SELECT kind, body FROM state").fetchall()
        return dict(decode_state(kind, body) for kind, body in rows)

    def persist(self, state: AcceptorState | ProposerRound, event: str | None = None,
                lamport: int = 0) -> None:
        """Write ``state`` (and the event line reporting it) in one durable transaction."""
        kind, body = encode_state(state)
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (kind, body))
            if event is not None:
                self.conn.execute("INSERT INTO events VALUES (?, ?)", (lamport, event))

    def events(self) -> list[str]:
        return [line for (line,) in self.conn.execute("SELECT line FROM events ORDER BY rowid")]

    def last_lamport(self) -> int:
        (lc,) = self.conn.execute("SELECT COALESCE(MAX(lc), 0) FROM events").fetchone()
        return int(lc)

    def close(self) -> None:
        self.conn.close()


def stored(path: str | Path) -> dict[type, Any]:
    """The states persisted in the SQLite file at ``path`` (for tests and notebooks)."""
    store = Store(path)
    try:
        return store.load()
    finally:
        store.close()
