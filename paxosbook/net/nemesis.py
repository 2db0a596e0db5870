"""The nemesis: a plan of faults for a real cluster, drawn from one seeded ``random.Random``.

The plan is drawn whole before the run starts, so the same seed gives the same plan: kills
(``Crash(node, at, recover)``, a ``kill -9`` at ``at`` and a restart at ``recover``, in
seconds), partitions (a minority of the acceptors, sometimes with a proposer, cut from the rest
for a while, one at a time) and windows of transport faults (``Window``: loss, duplication,
extra delay, each on from ``start`` to ``end``; the first window of each kind opens at 0, when
the proposers start, then they come and go). Every node applies the windows by the run's one
clock. By default never more than a minority of the acceptors is down at once, so a quorum
stays up; ``allow_majority`` lifts that, to watch liveness stop.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass

from ..core import Cluster, UsageError
from ..network import Crash, Partition

KINDS = ("kill", "partition", "loss", "duplicate", "delay")
"""The nemesis's kinds of faults."""

LOSS, DUPLICATE, DELAY = 0.1, 0.1, 0.02
"""Transport faults when switched on: probability of losing and of duplicating a message,
most extra delay in seconds."""

GAP, DOWNTIME, CUT = (0.3, 1.0), (0.3, 1.0), (0.4, 1.2)
"""Seconds between kills, a killed node's downtime, a partition's length (uniform ranges)."""

SPELL = (0.5, 2.0)
"""Seconds a window of transport faults lasts (uniform range; the gaps between are ``GAP``)."""

TRANSPORT = {"loss": LOSS, "duplicate": DUPLICATE, "delay": DELAY}
"""The transport kinds and their amounts."""


@dataclass(frozen=True)
class Window:
    """Transport fault ``kind`` (loss, duplicate: a probability per message; delay: the most
    extra seconds) at ``amount`` for the messages sent from ``start`` to ``end`` seconds."""

    kind: str
    start: float
    end: float
    amount: float

    def covers(self, t: float) -> bool:
        return self.start <= t < self.end

    def __str__(self) -> str:
        end = "" if math.isinf(self.end) else f"{self.end:g}"
        return f"{self.kind} {self.amount:g}@{self.start:g}:{end}"

    def as_list(self) -> list[object]:
        return [self.kind, self.start, None if math.isinf(self.end) else self.end, self.amount]

    @classmethod
    def from_list(cls, doc: list[object]) -> Window:
        kind, start, end, amount = doc
        return cls(str(kind), float(start),  # type: ignore[arg-type]
                   math.inf if end is None else float(end), float(amount))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Plan:
    crashes: tuple[Crash, ...] = ()
    partitions: tuple[Partition, ...] = ()
    windows: tuple[Window, ...] = ()

    def rate(self, kind: str) -> float:
        """The highest amount of transport fault ``kind`` in any window (0: none)."""
        return max((w.amount for w in self.windows if w.kind == kind), default=0.0)

    @property
    def drop(self) -> float:
        return self.rate("loss")

    @property
    def duplicate(self) -> float:
        return self.rate("duplicate")

    @property
    def delay(self) -> float:
        return self.rate("delay")

    def applied(self, duration: float) -> tuple[Window, ...]:
        """The windows that fall within a run of ``duration`` seconds, cut at its end."""
        return tuple(Window(w.kind, w.start, min(w.end, duration), w.amount)
                     for w in self.windows if w.start < duration)


def parse_kinds(kinds: str | Iterable[str]) -> tuple[str, ...]:
    """``"kill,loss"`` or ``("kill", "loss")`` -> the kinds; ``UsageError`` for an unknown one."""
    names = tuple(k for k in (kinds.split(",") if isinstance(kinds, str) else kinds) if k)
    for k in names:
        if k not in KINDS:
            raise UsageError("nemesis", "comma-separated kinds from " + ", ".join(KINDS), k)
    return names


def plan(kinds: Iterable[str], cluster: Cluster, duration: float, seed: int,
         allow_majority: bool = False) -> Plan:
    """The faults of a run of ``duration`` seconds, drawn from ``random.Random(seed)``."""
    kinds = parse_kinds(kinds)
    rng = random.Random(seed)
    limit = len(cluster.acceptors) if allow_majority else (len(cluster.acceptors) - 1) // 2
    crashes = _kills(rng, cluster, duration, limit) if "kill" in kinds else ()
    cuts = _partitions(rng, cluster, duration, limit, crashes) if "partition" in kinds else ()
    windows = [w for kind, amount in TRANSPORT.items() if kind in kinds
               for w in _windows(rng, kind, amount, duration)]
    return Plan(crashes, cuts, tuple(windows))


def _windows(rng: random.Random, kind: str, amount: float,
             duration: float) -> list[Window]:
    """Windows of ``kind`` from 0 to ``duration``: on for ``SPELL``, off for ``GAP``."""
    out, t = [], 0.0
    while t < duration:
        end = min(round(t + rng.uniform(*SPELL), 3), duration)
        out.append(Window(kind, t, end, amount))
        t = round(end + rng.uniform(*GAP), 3)
    return out


def _kills(rng: random.Random, cluster: Cluster, duration: float,
           limit: int) -> tuple[Crash, ...]:
    """Kill a random node every little while, restarting it after a random downtime, never
    with more than ``limit`` acceptors down at once; every node is back before the end."""
    nodes, acceptors = cluster.nodes, set(cluster.acceptors)
    down: list[Crash] = []
    t = rng.uniform(*GAP)
    while True:
        at, recover = t, t + rng.uniform(*DOWNTIME)
        if recover > duration - 0.2:
            break
        node = nodes[rng.randrange(len(nodes))]
        overlap = [c for c in down if c.recover is not None and c.recover > at]
        busy = {c.node for c in overlap}
        acc_down = len([n for n in busy if n in acceptors])
        if node not in busy and (node not in acceptors or acc_down < limit):
            down.append(Crash(node, round(at, 3), round(recover, 3)))
        t += rng.uniform(*GAP)
    return tuple(down)


def _partitions(rng: random.Random, cluster: Cluster, duration: float, limit: int,
                crashes: tuple[Crash, ...]) -> tuple[Partition, ...]:
    """One partition at a time: some acceptors (and half the time a proposer) cut from
    every other node for a while, then healed; with the acceptors killed meanwhile, never
    more than ``limit`` acceptors cut off or down."""
    cuts: list[Partition] = []
    t = rng.uniform(*GAP)
    while True:
        end = t + rng.uniform(*CUT)
        if end > duration - 0.2:
            break
        down = {c.node for c in crashes if c.node in cluster.acceptors
                and c.at < end and (c.recover is None or c.recover > t)}
        room = limit - len(down)
        if room < 1:
            t = end
            continue
        up = [a for a in cluster.acceptors if a not in down]
        side = rng.sample(up, rng.randint(1, min(room, len(up))))
        if cluster.proposers and rng.random() < 0.5:
            proposer = rng.choice(cluster.proposers).node
            if proposer not in side:  # colocated: it may be one of the acceptors cut
                side.append(proposer)
        rest = tuple(n for n in cluster.nodes if n not in side)
        cuts.append(Partition((tuple(side), rest), round(t, 3), round(end, 3)))
        t = end + rng.uniform(*GAP)
    return tuple(cuts)
