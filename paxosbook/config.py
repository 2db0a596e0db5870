"""``Config``: one validated description of a simulated Paxos run.

Every field is checked when the object is built; a bad one raises ``UsageError`` naming the
field, the allowed range and the value given, and nothing is half-built. ``Config`` is frozen
and round-trips through ``as_dict``/``from_dict`` (the form stored in saved runs).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from .core import Backoff, Cluster, Mutant, QuorumSystem, UsageError

DEFAULT_VALUES = ("add", "jmp", "cmp", "sub", "mov")
DELAYS = ("constant", "uniform", "exponential")
LIMITS = {"acceptors": 99, "proposers": 26, "learners": 99, "random_crashes": 1000}


@dataclass(frozen=True)
class Crash:
    """Crash ``node`` at time ``at``; restart it at ``recover`` (``None``: stays down)."""

    node: str
    at: float
    recover: float | None = None


@dataclass(frozen=True)
class Partition:
    """Between ``start`` and ``end`` (``None``: never heals) links between nodes in different
    ``groups`` are cut. Nodes in no group keep all their links."""

    groups: tuple[tuple[str, ...], ...]
    start: float
    end: float | None = None

    def describe(self) -> str:
        return "|".join(",".join(g) for g in self.groups)


@dataclass(frozen=True)
class Config:
    """Everything that defines a simulated run except the seed.

    Deployment: ``acceptors``, ``proposers`` (values from ``values`` or add, jmp, cmp, ...),
    ``learners``, or ``colocated`` nodes ``n1..`` each an acceptor and learner, the first
    ``proposers`` of them also proposing. Quorums: majority, or sizes ``q1``/``q2`` (Flexible
    Paxos), or explicit ``quorums``; non-intersecting ones need ``unsafe=True``.
    Network: ``drop`` and ``duplicate`` probabilities per message; ``delay`` is ``constant``
    (``delay_mean``), ``uniform`` (mean +- ``delay_jitter``, default 0.25 x mean) or
    ``exponential`` (``delay_mean - delay_jitter`` plus an exponential of mean
    ``delay_jitter``, default a pure exponential). Proposers: phase ``timeout``, ``backoff``
    none/fixed/exponential from ``backoff_base``, at most ``max_attempts`` ballots each (0: no
    bound), starting at ``start_times`` or ``i * start_offset``. Faults: ``crashes``,
    ``partitions``, and ``random_crashes`` crash/restart pairs of ``downtime`` drawn within
    ``[0, crash_window]``. Stops when every learner learned (``stop_when_decided``), at
    ``max_time`` or after ``max_messages`` sends. ``mutants`` plants named bugs.
    """

    acceptors: int = 3
    proposers: int = 1
    learners: int = 2
    colocated: bool = False
    values: tuple[str, ...] = ()
    q1: int = 0
    q2: int = 0
    quorums: tuple[tuple[str, ...], ...] = ()
    unsafe: bool = False
    drop: float = 0.0
    duplicate: float = 0.0
    delay: str = "uniform"
    delay_mean: float = 1.0
    delay_jitter: float | None = None
    timeout: float = 4.0
    backoff: str = "exponential"
    backoff_base: float = 1.0
    max_attempts: int = 0
    start_offset: float = 0.0
    start_times: tuple[float, ...] = ()
    crashes: tuple[Crash, ...] = ()
    partitions: tuple[Partition, ...] = ()
    random_crashes: int = 0
    crash_window: float = 20.0
    downtime: float = 5.0
    max_time: float = 1000.0
    max_messages: int = 100_000
    stop_when_decided: bool = True
    mutants: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        _normalise(self)
        _validate(self)

    # -- derived ---------------------------------------------------------------------------
    @property
    def proposer_values(self) -> tuple[str, ...]:
        if self.values:
            return self.values
        return tuple(DEFAULT_VALUES[i] if i < len(DEFAULT_VALUES) else f"v{i + 1}"
                     for i in range(self.proposers))

    def quorum_system(self, acceptors: tuple[str, ...]) -> QuorumSystem:
        if self.quorums:
            return QuorumSystem.from_sets(acceptors, self.quorums)
        if self.q1 or self.q2:
            maj = len(acceptors) // 2 + 1
            return QuorumSystem.flexible(acceptors, self.q1 or maj, self.q2 or maj)
        return QuorumSystem.majority(acceptors)

    def cluster(self) -> Cluster:
        """The deployment this config describes (node names, roles, quorums).

        Built once per config and shared: a ``Cluster`` is immutable (nodes are made fresh by
        ``make_node``), and the simulator, the summary and the properties all ask for it."""
        cached = self.__dict__.get("_cluster")
        if cached is None:
            cached = self._build_cluster()
            object.__setattr__(self, "_cluster", cached)
        return cached

    def _build_cluster(self) -> Cluster:
        names = Cluster.build(acceptors=self.acceptors, values=self.proposer_values,
                              learners=self.learners, colocated=self.colocated,
                              timeout=self.timeout)
        return Cluster.build(
            acceptors=self.acceptors, values=self.proposer_values, learners=self.learners,
            colocated=self.colocated, quorums=self.quorum_system(names.acceptors),
            timeout=self.timeout, backoff=Backoff(self.backoff),
            backoff_base=self.backoff_base, max_attempts=self.max_attempts,
            mutants=Mutant.parse(self.mutants))

    def starts(self) -> tuple[float, ...]:
        if self.start_times:
            return self.start_times
        return tuple(i * self.start_offset for i in range(self.proposers))

    @property
    def is_unsafe(self) -> bool:
        """True when this run may violate safety on purpose (non-intersecting quorums or a
        planted bug)."""
        return not self.cluster().quorums.intersects() or bool(self.mutants)

    def replace(self, **changes: Any) -> Config:
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["crashes"] = [dict(c) for c in d["crashes"]]
        d["partitions"] = [dict(p, groups=[list(g) for g in p["groups"]])
                           for p in d["partitions"]]
        for key in ("values", "start_times", "mutants"):
            d[key] = list(d[key])
        d["quorums"] = [list(q) for q in d["quorums"]]
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Config:
        if not isinstance(data, dict):
            raise UsageError("config", "a JSON object of config fields", type(data).__name__)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError("config", f"fields from {sorted(known)}", unknown)
        return cls(**data)


# -- normalisation and validation -------------------------------------------------------------
def _set(cfg: Config, name: str, value: Any) -> None:
    object.__setattr__(cfg, name, value)


def _normalise(cfg: Config) -> None:
    for name in ("values", "start_times", "mutants"):
        check_list(name, getattr(cfg, name))
        _set(cfg, name, tuple(getattr(cfg, name)))
    check_list("quorums", cfg.quorums)
    _set(cfg, "quorums", tuple(tuple(q) for q in cfg.quorums))
    check_list("crashes", cfg.crashes)
    _set(cfg, "crashes", tuple(as_crash(c) for c in cfg.crashes))
    check_list("partitions", cfg.partitions)
    _set(cfg, "partitions", tuple(as_partition(p) for p in cfg.partitions))


def check_list(name: str, value: Any) -> None:
    """Raise ``UsageError`` unless ``value`` is a list-like (a string is not)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise UsageError(name, "a list", value)


def as_crash(c: Any) -> Crash:
    """A ``Crash`` from a ``Crash`` or its dict form (as stored in JSON)."""
    if isinstance(c, Crash):
        return c
    if isinstance(c, dict) and set(c) <= {"node", "at", "recover"} and {"node", "at"} <= set(c):
        return Crash(**c)
    raise UsageError("crashes", "Crash(node, at, recover=None) entries", c)


def as_partition(p: Any) -> Partition:
    """A ``Partition`` with tuple groups, from a ``Partition`` or its dict form."""
    keys = set(p) if isinstance(p, dict) else set()
    if keys and keys <= {"groups", "start", "end"} and {"groups", "start"} <= keys:
        p = Partition(**p)
    if not isinstance(p, Partition):
        raise UsageError("partitions", "Partition(groups, start, end=None) entries", p)
    check_list("partitions.groups", p.groups)
    for g in p.groups:
        check_list("partitions.groups", g)
    return Partition(tuple(tuple(g) for g in p.groups), p.start, p.end)


def _int(name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise UsageError(name, f"an integer in [{lo}, {hi}]", value)


def _num(name: str, value: Any, lo: float, hi: float, *, open_lo: bool = False,
         open_hi: bool = False) -> None:
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
          and not math.isnan(value) and (lo < value if open_lo else lo <= value)
          and (value < hi if open_hi else value <= hi))
    if not ok:
        left, right = "(" if open_lo else "[", ")" if open_hi else "]"
        raise UsageError(name, f"a number in {left}{lo:g}, {hi:g}{right}", value)


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise UsageError(name, "one of " + ", ".join(allowed), value)


def _bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise UsageError(name, "true or false", value)


def _validate(cfg: Config) -> None:
    _int("acceptors", cfg.acceptors, 1, LIMITS["acceptors"])
    hi_prop = min(LIMITS["proposers"], cfg.acceptors) if cfg.colocated else LIMITS["proposers"]
    _int("proposers", cfg.proposers, 1, hi_prop)
    _int("learners", cfg.learners, 1, LIMITS["learners"])
    for name in ("colocated", "unsafe", "stop_when_decided"):
        _bool(name, getattr(cfg, name))
    if cfg.values and (len(cfg.values) != cfg.proposers
                       or not all(isinstance(v, str) and v for v in cfg.values)):
        raise UsageError("values", f"{cfg.proposers} non-empty strings, one per proposer",
                         list(cfg.values))
    _int("q1", cfg.q1, 0, cfg.acceptors)
    _int("q2", cfg.q2, 0, cfg.acceptors)
    if cfg.quorums and (cfg.q1 or cfg.q2):
        raise UsageError("quorums", "empty when q1/q2 are given (choose one quorum system)",
                         [list(q) for q in cfg.quorums])
    _num("drop", cfg.drop, 0.0, 1.0, open_hi=True)
    _num("duplicate", cfg.duplicate, 0.0, 1.0, open_hi=True)
    _choice("delay", cfg.delay, DELAYS)
    _num("delay_mean", cfg.delay_mean, 0.0, 1e6, open_lo=True)
    if cfg.delay_jitter is None:  # each distribution's default spread
        default = {"constant": 0.0, "uniform": 0.25, "exponential": 1.0}[cfg.delay]
        _set(cfg, "delay_jitter", default * cfg.delay_mean)
    jitter_hi = 0.0 if cfg.delay == "constant" else cfg.delay_mean
    _num("delay_jitter", cfg.delay_jitter, 0.0, jitter_hi,
         open_lo=cfg.delay == "exponential")
    _num("timeout", cfg.timeout, 0.0, 1e6, open_lo=True)
    _choice("backoff", cfg.backoff, tuple(b.value for b in Backoff))
    _num("backoff_base", cfg.backoff_base, 0.0, 1e6, open_lo=True)
    _int("max_attempts", cfg.max_attempts, 0, 10**6)
    _num("start_offset", cfg.start_offset, 0.0, 1e6)
    if cfg.start_times:
        if len(cfg.start_times) != cfg.proposers:
            raise UsageError("start_times", f"{cfg.proposers} times, one per proposer",
                             list(cfg.start_times))
        for t in cfg.start_times:
            _num("start_times", t, 0.0, 1e6)
    _int("random_crashes", cfg.random_crashes, 0, LIMITS["random_crashes"])
    _num("crash_window", cfg.crash_window, 0.0, 1e6)
    _num("downtime", cfg.downtime, 0.0, 1e6, open_lo=True)
    _num("max_time", cfg.max_time, 0.0, 1e9, open_lo=True)
    _int("max_messages", cfg.max_messages, 1, 10**9)
    allowed_mutants = tuple(m.value for m in Mutant)
    for m in cfg.mutants:
        _choice("mutants", m, allowed_mutants)
    cluster = cfg.cluster()  # builds the quorum system, which checks its own fields
    cluster.quorums.check_intersection(cfg.unsafe)
    _validate_faults(cfg, cluster.nodes)


def _validate_faults(cfg: Config, nodes: tuple[str, ...]) -> None:
    known = f"a node of this cluster ({', '.join(nodes)})"
    for c in cfg.crashes:
        if c.node not in nodes:
            raise UsageError("crashes.node", known, c.node)
        _num("crashes.at", c.at, 0.0, 1e9)
        if c.recover is not None:
            _num("crashes.recover", c.recover, c.at, 1e9, open_lo=True)
    for p in cfg.partitions:
        members = [n for g in p.groups for n in g]
        for n in members:
            if n not in nodes:
                raise UsageError("partitions.groups", known, n)
        if len(set(members)) != len(members) or len(p.groups) < 2:
            raise UsageError("partitions.groups", "two or more disjoint groups of nodes",
                             p.describe())
        _num("partitions.start", p.start, 0.0, 1e9)
        if p.end is not None:
            _num("partitions.end", p.end, p.start, 1e9, open_lo=True)
