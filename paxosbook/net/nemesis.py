"""The nemesis: a plan of faults for a real cluster, drawn from one seeded ``random.Random``.

The plan is drawn whole before the run starts, so the same seed gives the same plan: kills
(``Crash(node, at, recover)``, a ``kill -9`` at ``at`` and a restart at ``recover``, in
seconds), partitions (a minority of the acceptors, sometimes with a proposer, cut from the rest
for a while, one at a time) and the transport faults every node applies for the whole run
(``Faults``: loss, duplication, extra delay). By default never more than a minority of the
acceptors is down at once, so a quorum stays up; ``allow_majority`` lifts that, to watch
liveness stop.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Plan:
    crashes: tuple[Crash, ...] = ()
    partitions: tuple[Partition, ...] = ()
    drop: float = 0.0
    duplicate: float = 0.0
    delay: float = 0.0


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
    return Plan(crashes, cuts, LOSS if "loss" in kinds else 0.0,
                DUPLICATE if "duplicate" in kinds else 0.0, DELAY if "delay" in kinds else 0.0)


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
            side.append(rng.choice(cluster.proposers).node)
        rest = tuple(n for n in cluster.nodes if n not in side)
        cuts.append(Partition((tuple(side), rest), round(t, 3), round(end, 3)))
        t = end + rng.uniform(*GAP)
    return tuple(cuts)
