"""A KV node's stable storage: one SQLite file (WAL, ``synchronous=FULL``), group commit.

It holds each slot's ``AcceptorState`` (slot ``REST`` for every slot not seen yet), the
proposer's ``ProposerRound``, the latest snapshot of the state machine and the Paxos trace of
every turn that persisted something (``kv.trace``). ``commit`` writes everything one turn of
the node's event loop asked to persist in ONE transaction, so the operations handled in that
turn share one fsync; it returns once the transaction is on disk.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from ..core import AcceptorState, Ballot, Proposal, ProposerRound
from ..net.store import durable

_SCHEMA = ("CREATE TABLE IF NOT EXISTS acceptor (slot INTEGER PRIMARY KEY, body TEXT NOT NULL)",
           "CREATE TABLE IF NOT EXISTS meta (kind TEXT PRIMARY KEY, body TEXT NOT NULL)",
           "CREATE TABLE IF NOT EXISTS trace (seq INTEGER PRIMARY KEY, line TEXT NOT NULL)")


def _acceptor(state: AcceptorState) -> str:
    acc = state.accepted
    return json.dumps([list(state.promised),
                       None if acc is None else [list(acc.ballot), acc.value]])


def _read_acceptor(body: str) -> AcceptorState:
    promised, acc = json.loads(body)
    accepted = None if acc is None else Proposal(Ballot(*acc[0]), acc[1])
    return AcceptorState(Ballot(*promised), accepted)


class KVStore:
    """The SQLite file at ``path`` (created if missing)."""

    def __init__(self, path: str | Path) -> None:
        self.conn = durable(path, _SCHEMA)
        self.commits = 0

    def load(self) -> tuple[dict[Any, Any], str | None]:
        """``(stored, snapshot)``: the log roles' stable storage (``{(slot, AcceptorState):
        state, ProposerRound: round}``) and the snapshot text (``None`` if none)."""
        stored: dict[Any, Any] = {(slot, AcceptorState): _read_acceptor(body) for slot, body
                                  in self.conn.execute("SELECT slot, body FROM acceptor")}
        meta = dict(self.conn.execute("SELECT kind, body FROM meta").fetchall())
        if "round" in meta:
            stored[ProposerRound] = ProposerRound(int(meta["round"]))
        return stored, meta.get("snapshot")

    def commit(self, slots: dict[int, AcceptorState], round_: int | None,
               snapshot: str | None, trace: list[str] | None = None) -> None:
        """One durable transaction with every slot state, the round and the snapshot given,
        and the trace lines that report them (``kv.trace``)."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            if slots:
                self.conn.executemany("INSERT OR REPLACE INTO acceptor VALUES (?, ?)",
                                      [(k, _acceptor(v)) for k, v in slots.items()])
            if round_ is not None:
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('round', ?)",
                                  (str(round_),))
            if snapshot is not None:
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('snapshot', ?)",
                                  (snapshot,))
            if trace:  # one row for the turn's lines
                self.conn.execute("INSERT INTO trace (line) VALUES (?)", ("".join(trace),))
        self.commits += 1

    def close(self) -> None:
        self.conn.close()


def fsync_rate(path: str | Path, seconds: float = 1.0) -> float:
    """Single-row durable commits per second on the disk holding ``path`` (the physical limit
    a node's group commit is measured against)."""
    import time
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT)")
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT OR REPLACE INTO t VALUES (?, ?)", (n % 16, "x"))
            conn.execute("COMMIT")
            n += 1
        return n / (time.perf_counter() - start)
    finally:
        conn.close()


__all__ = ["KVStore", "fsync_rate"]
