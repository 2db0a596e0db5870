"""A run told in sentences: one line per event, in the paper's vocabulary."""

from __future__ import annotations

import bisect
from typing import Any

import pandas as pd

from .frames import TraceLike, derived
from .tables import TextTable

_DROP_REASONS = {"loss": "lost by the network", "crashed": "the receiver is down",
                 "partition": "the link is cut by a partition"}


def message_text(msg: str, ballot: str, value: str, ref: str) -> str:
    """``Promise(1.1, accepted (1.2, add))`` and the like."""
    if msg == "Prepare":
        return f"Prepare({ballot})"
    if msg == "Promise":
        return f"Promise({ballot}, " + (f"accepted ({ref}, {value}))" if ref
                                        else "nothing accepted)")
    if msg == "Nack":
        return f"Nack({ballot}, promised {ref})"
    return f"{msg}({ballot}, {value})"


def describe(row: Any) -> str:
    """One sentence for one trace row (a namedtuple or Series with the trace's columns)."""
    e, node, peer = str(row.event), row.node, row.peer
    m = message_text(row.msg, row.ballot, row.value, row.ref_ballot) if row.msg else ""
    if e == "send":
        return f"{node} sends {m} to {peer} (#{row.msg_id})"
    if e == "deliver":
        return f"{peer} receives {m} from {node} (#{row.msg_id})"
    if e == "drop":
        why = _DROP_REASONS.get(row.detail, row.detail)
        return f"{m} from {node} to {peer} is dropped: {why} (#{row.msg_id})"
    if e == "duplicate":
        return f"the network duplicates #{row.cause} ({m} {node} → {peer}) as #{row.msg_id}"
    if e == "promise":
        acc = f"({row.ref_ballot}, {row.value})" if row.ref_ballot else "nothing"
        return f"{node} promises ballot {row.ballot} (has accepted {acc})"
    if e == "accept":
        return f"{node} accepts ({row.ref_ballot}, {row.value})"
    if e == "learn":
        return f"{node} learns {row.value} (ballot {row.ballot})"
    return _other(e, node, row)


def _other(e: str, node: str, row: Any) -> str:
    if e == "start":
        return f"{node} starts, proposing {row.value}"
    if e == "timer":
        return (f"{node}'s phase timer fires: it abandons its ballot" if row.detail == "phase"
                else f"{node}'s backoff ends: it tries a new ballot")
    if e == "crash":
        return f"{node} crashes (its volatile state is lost)"
    if e == "recover":
        return f"{node} restarts from its stable storage"
    if e == "partition_start":
        return "the network splits into " + row.detail.replace("|", " | ")
    if e == "partition_end":
        return "the partition " + row.detail.replace("|", " | ") + " heals"
    return f"{e} {node}"


def narrate(trace: TraceLike, start: float | None = None,
            stop: float | None = None) -> pd.DataFrame:
    """The events with ``start <= time <= stop`` as sentences (columns ``time``, ``what``),
    indexed by their row in the trace; a notebook shows the sentences whole, left-aligned."""
    d = derived(trace)
    lo = 0 if start is None else bisect.bisect_left(d.times, start)
    hi = len(d.times) if stop is None else bisect.bisect_right(d.times, stop)
    rows = d.events[lo:hi]
    return TextTable({"time": [r.time for r in rows], "what": [describe(r) for r in rows]},
                     index=d.df.index[lo:hi])
