"""``Network``: the faults, delays and limits a run suffers, apart from what is deployed.

A Basic Paxos ``Config`` and a replicated log's ``LogConfig`` deploy different nodes under the
same kind of network; each keeps its deployment fields and hands the simulator a ``Network``.
Every field is checked when the object is built: a bad one raises ``UsageError`` naming the
field, the allowed range and the value given, and nothing is half-built. Which nodes exist is
the deployment's business, so the deployment checks the names in ``crashes`` and
``partitions`` with ``check_nodes``. What a node does with time (a proposer's ``timeout``,
``backoff``, start times) belongs to the deployment, not here.

``Crash`` and ``Partition`` have one text form each, read by ``parse`` and written by ``str``
(its inverse), used alike by the command line, the widgets and saved runs:

* a crash: ``NODE@T`` or ``NODE@T:`` (never recovers), ``NODE@T:RECOVER_T`` (restarts then);
* a partition: ``A,B|C,D@T1`` or ``A,B|C,D@T1:`` (never heals), ``A,B|C,D@T1:T2`` (heals at
  ``T2``); two or more groups of comma-separated nodes.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, fields, replace
from typing import Any, Self

from .core.errors import UsageError
from .validation import (
    check_bool,
    check_choice,
    check_int,
    check_list,
    check_names,
    check_number,
)

DELAYS = ("constant", "uniform", "exponential")
MAX_RANDOM_CRASHES = 1000
MAX_MESSAGES = 200_000
"""The most ``max_messages`` may be. A run keeps every event: about 2.5 records and 0.5 KB per
message sent, and its pandas trace (which every view builds) about 1.3 KB more, so 200,000
messages take about 100 MB to simulate and 350 MB with the trace (measured with
``benchmarks/rss.py``: 5 proposers, timeout 1e-4). Every other event is bounded by it: each
proposer timer that fires is followed by a send (phase timeout, then a retry that sends)."""
CRASH_FORM = "NODE@T[:RECOVER_T], e.g. a1@2:8 (a1@2 or a1@2: never recovers)"
PARTITION_FORM = ("GROUP|GROUP[|...]@T1[:T2] with the nodes of a group joined by commas, "
                  "e.g. a1,p1|a2,a3@1:6 (@1 or @1: never heals)")
_NODE = re.compile(r"\w+")


@dataclass(frozen=True)
class Crash:
    """Crash ``node`` at time ``at``; restart it at ``recover`` (``None``: stays down)."""

    node: str
    at: float
    recover: float | None = None

    @classmethod
    def parse(cls, text: str) -> Crash:
        """``"a1@2:8"`` -> ``Crash("a1", 2.0, 8.0)``; ``"a1@2"`` and ``"a1@2:"`` never recover.
        Anything else raises ``UsageError`` on field ``crashes``."""
        node, at_sign, times = text.strip().partition("@") if isinstance(text, str) else ("",) * 3
        if not at_sign or not _NODE.fullmatch(node):
            raise UsageError("crashes", CRASH_FORM, text)
        at, recover = _times("crashes", CRASH_FORM, text, times)
        return cls(node, at, recover)

    def __str__(self) -> str:
        return f"{self.node}@{_time(self.at)}" + (
            f":{_time(self.recover)}" if self.recover is not None else "")


@dataclass(frozen=True)
class Partition:
    """Between ``start`` and ``end`` (``None``: never heals) links between nodes in different
    ``groups`` are cut. Nodes in no group keep all their links."""

    groups: tuple[tuple[str, ...], ...]
    start: float
    end: float | None = None

    @classmethod
    def parse(cls, text: str) -> Partition:
        """``"a1,p1|a2,a3@1:6"`` -> ``Partition((("a1", "p1"), ("a2", "a3")), 1.0, 6.0)``;
        ``@1`` and ``@1:`` never heal. Anything else raises ``UsageError`` on ``partitions``."""
        groups_text, at_sign, times = (text.strip().partition("@") if isinstance(text, str)
                                       else ("",) * 3)
        groups = tuple(tuple(g.split(",")) for g in groups_text.split("|"))
        if not at_sign or len(groups) < 2 or not all(
                _NODE.fullmatch(n) for g in groups for n in g):
            raise UsageError("partitions", PARTITION_FORM, text)
        start, end = _times("partitions", PARTITION_FORM, text, times)
        return cls(groups, start, end)

    def describe(self) -> str:
        """The groups alone, ``a1,p1|a2,a3`` (the detail of a partition's trace events)."""
        return "|".join(",".join(g) for g in self.groups)

    def __str__(self) -> str:
        return f"{self.describe()}@{_time(self.start)}" + (
            f":{_time(self.end)}" if self.end is not None else "")


def _times(name: str, form: str, text: str, times: str) -> tuple[float, float | None]:
    first, _, second = times.partition(":")
    try:
        return float(first), float(second) if second else None
    except ValueError:
        raise UsageError(name, form, text) from None


def _time(t: float) -> str:
    """The shortest text that ``float`` reads back as ``t``: ``2`` for 2.0, ``0.1`` for 0.1."""
    t = float(t)
    return str(int(t)) if t.is_integer() and abs(t) < 1e15 else repr(t)


DERIVED = ("delay_jitter",)
"""Fields whose ``None`` means "derived from the others" (``delay_jitter``: each
distribution's default spread, a multiple of ``delay_mean``)."""


class Derives:
    """A frozen dataclass whose ``DERIVED`` fields, when not given, follow the fields they
    derive from: ``replace`` derives them again unless it is given them too, so
    ``Config().replace(delay_mean=10)`` equals ``Config(delay_mean=10)``. ``derived`` names the
    fields that were derived (given as ``None``); reading one gives the derived value."""

    @property
    def derived(self) -> frozenset[str]:
        names: frozenset[str] = self.__dict__["_derived"]
        return names

    def replace(self, **changes: Any) -> Self:
        known = [f.name for f in fields(self)]  # type: ignore[arg-type]
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise UsageError(type(self).__name__, f"fields from {known}", unknown)
        again = {name: None for name in self.derived if name not in changes}
        return replace(self, **again, **changes)  # type: ignore[type-var]


@dataclass(frozen=True)
class Network(Derives):
    """How messages travel, which faults strike, and when a run stops.

    ``drop`` and ``duplicate``: probabilities per message; ``delay`` is ``constant``
    (``delay_mean``), ``uniform`` (mean +- ``delay_jitter``, default 0.25 x mean) or
    ``exponential`` (``delay_mean - delay_jitter`` plus an exponential of mean
    ``delay_jitter``, default a pure exponential); a default jitter follows ``delay`` and
    ``delay_mean`` through ``replace`` (see ``Derives``). Faults: ``crashes`` (one node's
    windows apart), ``partitions`` (entries or their text forms), and ``random_crashes``
    crash/restart pairs of ``downtime`` drawn within ``[0, crash_window]``. Limits: the run
    stops when the deployment's learners have learned (``stop_when_decided``), at ``max_time``
    or after ``max_messages`` sends (at most ``MAX_MESSAGES``).
    """

    drop: float = 0.0
    duplicate: float = 0.0
    delay: str = "uniform"
    delay_mean: float = 1.0
    delay_jitter: float | None = None
    crashes: tuple[Crash, ...] = ()
    partitions: tuple[Partition, ...] = ()
    random_crashes: int = 0
    crash_window: float = 20.0
    downtime: float = 5.0
    max_time: float = 1000.0
    max_messages: int = 100_000
    stop_when_decided: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "_derived",
                           frozenset(n for n in DERIVED if getattr(self, n) is None))
        check_list("crashes", self.crashes)
        object.__setattr__(self, "crashes", tuple(as_crash(c) for c in self.crashes))
        check_list("partitions", self.partitions)
        object.__setattr__(self, "partitions", tuple(as_partition(p) for p in self.partitions))
        _validate(self)

    def check_nodes(self, nodes: tuple[str, ...], system: str = "cluster") -> None:
        """Raise ``UsageError`` if a crash or a partition names a node not in ``nodes``."""
        known = f"a node of this {system} ({', '.join(nodes)})"
        for c in self.crashes:
            if c.node not in nodes:
                raise UsageError("crashes.node", known, c.node)
        for p in self.partitions:
            for n in (n for g in p.groups for n in g):
                if n not in nodes:
                    raise UsageError("partitions.groups", known, n)


NETWORK_FIELDS = tuple(f.name for f in fields(Network))
"""The fields of ``Network``, which ``Config`` and ``LogConfig`` also have, flat."""


def as_crash(c: Any) -> Crash:
    """A ``Crash`` from a ``Crash``, its text form or its dict form (as stored in JSON)."""
    if isinstance(c, Crash):
        return c
    if isinstance(c, str):
        return Crash.parse(c)
    if isinstance(c, dict) and set(c) <= {"node", "at", "recover"} and {"node", "at"} <= set(c):
        return Crash(**c)
    raise UsageError("crashes", "Crash(node, at, recover=None) entries", c)


def as_partition(p: Any) -> Partition:
    """A ``Partition`` with tuple groups, from a ``Partition``, its text or its dict form."""
    if isinstance(p, str):
        return Partition.parse(p)
    keys = set(p) if isinstance(p, dict) else set()
    if keys and keys <= {"groups", "start", "end"} and {"groups", "start"} <= keys:
        p = Partition(**p)
    if not isinstance(p, Partition):
        raise UsageError("partitions", "Partition(groups, start, end=None) entries", p)
    check_list("partitions.groups", p.groups)
    for g in p.groups:
        check_names("partitions.groups", g)
    return Partition(tuple(tuple(g) for g in p.groups), p.start, p.end)


def _validate(net: Network) -> None:
    check_number("drop", net.drop, 0.0, 1.0, open_hi=True)
    check_number("duplicate", net.duplicate, 0.0, 1.0, open_hi=True)
    check_choice("delay", net.delay, DELAYS)
    check_number("delay_mean", net.delay_mean, 0.0, 1e6, open_lo=True)
    if net.delay_jitter is None:  # each distribution's default spread
        default = {"constant": 0.0, "uniform": 0.25, "exponential": 1.0}[net.delay]
        object.__setattr__(net, "delay_jitter", default * net.delay_mean)
    jitter_hi = 0.0 if net.delay == "constant" else net.delay_mean
    check_number("delay_jitter", net.delay_jitter, 0.0, jitter_hi,
                 open_lo=net.delay == "exponential")
    check_int("random_crashes", net.random_crashes, 0, MAX_RANDOM_CRASHES)
    check_number("crash_window", net.crash_window, 0.0, 1e6)
    check_number("downtime", net.downtime, 0.0, 1e6, open_lo=True)
    check_number("max_time", net.max_time, 0.0, 1e9, open_lo=True)
    check_int("max_messages", net.max_messages, 1, MAX_MESSAGES,
              why="MAX_MESSAGES: a run keeps every event, about 350 MB at the limit")
    check_bool("stop_when_decided", net.stop_when_decided)
    for c in net.crashes:
        check_names("crashes.node", (c.node,))
        check_number("crashes.at", c.at, 0.0, 1e9)
        if c.recover is not None:
            check_number("crashes.recover", c.recover, c.at, 1e9, open_lo=True)
    _check_crash_windows(net.crashes)
    for p in net.partitions:
        members = [n for g in p.groups for n in g]
        if len(set(members)) != len(members) or len(p.groups) < 2 or not all(p.groups):
            raise UsageError("partitions.groups", "two or more disjoint groups of nodes, none "
                             "empty", p.describe())
        check_number("partitions.start", p.start, 0.0, 1e9)
        if p.end is not None:
            check_number("partitions.end", p.end, p.start, 1e9, open_lo=True)


def _check_crash_windows(crashes: tuple[Crash, ...]) -> None:
    """One node's crash windows ``[at, recover]`` must neither overlap nor touch: a node
    down twice at once, or restarted and crashed at one instant, has no one meaning."""
    for node in dict.fromkeys(c.node for c in crashes):
        windows = sorted((c for c in crashes if c.node == node), key=lambda c: c.at)
        for first, then in itertools.pairwise(windows):
            if first.recover is None or first.recover >= then.at:
                raise UsageError("crashes", "crash windows of one node that neither overlap "
                                 "nor touch (it recovers before it crashes again)",
                                 f"{first} and {then}")
