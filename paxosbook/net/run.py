"""A real run: ``NetRun``, and the merge of the nodes' event files into one.

Each node logs its events as JSON lines (``wire.event_line``) in ``NAME.events`` and its
promise and accept events in its SQLite file. ``merge`` orders them by time (one monotonic
clock on one host), ties by Lamport clock, or by Lamport clock alone for nodes on several
hosts, and renumbers the message ids (``node:incarnation:n``) as integers; the result is a
``Run`` like a simulated one.

A message sent to a node that is down, or waiting in the socket buffer of a node killed before
it read it, leaves no trace at the receiver: UDP just loses it. The simulator records such a
message as lost at the crashed node (``drop``, detail ``crashed``), and so does ``merge``: a
message sent (or duplicated) and neither delivered nor dropped, whose receiver crashed after it
was sent or was down when it was sent, is dropped at the send or the crash, whichever is later.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

from ..config import Config
from ..events import CRASH, DELIVER, DROP, DUPLICATE, RECOVER, SEND, Record
from ..properties import PROPERTIES, Property, Violation
from ..properties.restart import PROMISES_SURVIVE_RESTART, restart_violations
from ..trace import Run
from .nemesis import Window
from .store import Store
from .wire import read_event

RUNTIME = "paxosbook.net"
"""The ``runtime`` key of a real run's JSON document: it cannot be re-simulated."""

Event = tuple[Record, int, str, str]
"""An event as a node logged it: the record, its Lamport time, its message id, its cause."""


class NetRun(Run):
    """A run of real processes: a ``Run`` that also counts kills and restarts, keeps the
    windows of transport faults applied (``faults``; the config's ``drop`` and ``duplicate``
    are their rates, in force only inside them), checks on its merged trace that restarted
    acceptors honour their earlier promises (``violations``), and whose JSON says it came
    from ``paxosbook.net`` (``show`` then does not try to re-simulate it)."""

    properties: tuple[Property[Any], ...] = (*PROPERTIES, PROMISES_SURVIVE_RESTART)
    """The properties its ``violations`` check (``views.safety_verdict`` shows them all)."""

    def __init__(self, config: Config, seed: int, records: list[Record], stop_reason: str,
                 kills: int = 0, restarts: int = 0, faults: tuple[Window, ...] = ()) -> None:
        super().__init__(config, seed, records, stop_reason)
        self.kills, self.restarts, self.faults = kills, restarts, faults

    @cached_property
    def violations(self) -> list[Violation]:
        """The safety properties' violations and the restarts' (``promises_survive_restart``)."""
        return [*super().violations, *restart_violations(self.records)]

    def to_json(self, indent: int | None = None) -> str:
        doc = json.loads(super().to_json())
        doc["runtime"] = {"name": RUNTIME, "kills": self.kills, "restarts": self.restarts,
                          "faults": [w.as_list() for w in self.faults]}
        return json.dumps(doc, indent=indent, ensure_ascii=False)

    def report(self) -> dict[str, Any]:
        """What ``paxosbook cluster`` prints."""
        s = self.summary(digest=False)
        return {"decided": s.decided, "value": s.value, "messages_sent": s.messages_sent,
                "kills": self.kills, "restarts": self.restarts,
                "faults": [str(w) for w in self.faults],
                "violations": [str(v) for v in self.violations]}


def collect(data: Path, names: Iterable[str]) -> list[Event]:
    """The events the nodes ``names`` logged in ``data``: their JSON lines and the promise and
    accept events in their SQLite files."""
    events: list[Event] = []
    for name in names:
        path = data / f"{name}.events"
        lines = path.read_text("utf-8").splitlines() if path.exists() else []
        if (data / f"{name}.sqlite").exists():
            store = Store(data / f"{name}.sqlite")
            try:
                lines += store.events()
            finally:
                store.close()
        events += [e for e in map(read_event, lines) if e is not None]
    return events


def merged_run(data: str | os.PathLike[str], config: str | os.PathLike[str],
               seed: int = 0) -> NetRun:
    """The run of nodes started by hand on several machines (``python -m paxosbook.net.node
    --peers ...``), from their files gathered in ``data`` and the cluster's ``config`` file.
    Their clocks differ, so events are ordered by Lamport clock alone."""
    cfg = Config.from_dict(json.loads(Path(config).read_text("utf-8")))
    events = collect(Path(data), cfg.cluster().nodes)
    return NetRun(cfg, seed, merge(events, by_lamport=True), "time")


def merge(events: Iterable[Event], by_lamport: bool = False) -> list[Record]:
    """Events sorted by time, ties by Lamport clock (or by Lamport clock alone, for nodes on
    several hosts); each message id (``node:incarnation:n``) becomes an integer, in order of
    first appearance."""
    ids: dict[str, int] = {}

    def number(key: str) -> int:
        return ids.setdefault(key, len(ids)) if key else -1

    events = list(events)
    events += lost_in_crashes(events)  # after their sends: the sort is stable
    out: list[Record] = []
    for (t, event, node, peer, payload, _, _, detail), _, key, cause in sorted(
            events, key=(lambda e: e[1]) if by_lamport else (lambda e: (e[0][0], e[1]))):
        out.append((t, event, node, peer, payload, number(key), number(cause), detail))
    return out


def lost_in_crashes(events: list[Event]) -> list[Event]:
    """A ``drop`` (detail ``crashed``) for each message sent or duplicated, neither delivered
    nor dropped, whose receiver was down when it was sent or crashed after: at the later of
    the send and the crash, with the send's Lamport time."""
    down: dict[str, list[list[float]]] = {}  # node -> [crash, recover] windows, in order
    for (t, event, node, *_), *_ in sorted(events, key=lambda e: e[0][0]):
        if event == CRASH:
            down.setdefault(node, []).append([t, math.inf])
        elif event == RECOVER and down.get(node) and math.isinf(down[node][-1][1]):
            down[node][-1][1] = t
    settled = {key for rec, _, key, _ in events if rec[1] in (DELIVER, DROP)}
    lost: list[Event] = []
    for rec, lamport, key, _ in events:
        t, event, src, dst, msg = rec[:5]
        if event not in (SEND, DUPLICATE) or key in settled or src == dst:
            continue
        crash = next((at for at, back in down.get(dst, ()) if back > t), None)
        if crash is not None:
            lost.append(((max(t, crash), DROP, src, dst, msg, -1, -1, "crashed"), lamport,
                         key, ""))
    return lost
