"""``Config``: one validated description of a simulated Paxos run.

A ``Config`` is a deployment (nodes, quorums, proposer timing, mutants) plus the ``Network``
it runs under (``config.network``). For convenience its fields are flat: ``Config(drop=0.1,
acceptors=5)`` and ``config.drop`` mean the network's ``drop``. Every field is checked when the
object is built; a bad one raises ``UsageError`` naming the field, the allowed range and the
value given, and nothing is half-built. ``Config`` is frozen and round-trips through
``as_dict``/``from_dict`` (the form stored in saved runs).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .core import Backoff, Cluster, Mutant, QuorumSystem, UsageError
from .network import (
    DELAYS,
    MAX_RANDOM_CRASHES,
    NETWORK_FIELDS,
    Crash,
    Derives,
    Network,
    Partition,
    as_crash,
    as_partition,
)
from .validation import (
    check_bool,
    check_choice,
    check_int,
    check_list,
    check_names,
    check_number,
)

__all__ = ["DEFAULT_VALUES", "DELAYS", "LIMITS", "Config", "Crash", "Network", "Partition",
           "as_crash", "as_partition", "check_list"]

DEFAULT_VALUES = ("add", "jmp", "cmp", "sub", "mov")
MAX_WINDOW = 1 << 16
"""Largest first window of the discrete backoff, in slots."""
LIMITS = {"acceptors": 99, "proposers": 26, "learners": 99, "random_crashes": MAX_RANDOM_CRASHES}


@dataclass(frozen=True)
class Config(Derives):
    """Everything that defines a simulated run except the seed.

    Deployment: ``acceptors``, ``proposers`` (values from ``values`` or add, jmp, cmp, ...),
    ``learners``, or ``colocated`` nodes ``n1..`` each an acceptor and learner, the first
    ``proposers`` of them also proposing. Quorums: majority, or sizes ``q1``/``q2`` (Flexible
    Paxos), or explicit ``quorums``; non-intersecting ones need ``unsafe=True``.
    Proposers: phase ``timeout``, ``backoff`` none/fixed/exponential from ``backoff_base``,
    or discrete (a whole number of ``backoff_base`` slots from a window of ``backoff_window``
    slots that doubles after each failed ballot),
    at most ``max_attempts`` ballots each (0: no bound), starting at ``start_times`` or
    ``i * start_offset``. ``mutants`` plants named bugs. The network fields (``drop``,
    ``duplicate``, ``delay``, ``delay_mean``, ``delay_jitter``, ``crashes``, ``partitions``,
    ``random_crashes``, ``crash_window``, ``downtime``, ``max_time``, ``max_messages``,
    ``stop_when_decided``) mean what they mean in ``Network``; crashes and partitions name
    nodes of this cluster.
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
    backoff_window: int = 1
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
        network = Network(**{name: getattr(self, name) for name in NETWORK_FIELDS})
        for name in ("crashes", "partitions", "delay_jitter"):  # normalised by the network
            _set(self, name, getattr(network, name))
        _set(self, "_network", network)
        _set(self, "_derived", network.derived)
        _validate(self)
        network.check_nodes(self.cluster().nodes)

    # -- derived ---------------------------------------------------------------------------
    @property
    def network(self) -> Network:
        """The faults, delays and limits of this run (the flat network fields, as one value)."""
        net: Network = self.__dict__["_network"]
        return net

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
        ``node``), and the simulator, the summary and the properties all ask for it."""
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
            mutants=Mutant.parse(self.mutants), backoff_window=self.backoff_window)

    def starts(self) -> tuple[float, ...]:
        if self.start_times:
            return self.start_times
        return tuple(i * self.start_offset for i in range(self.proposers))

    @property
    def is_unsafe(self) -> bool:
        """True when this run may violate safety on purpose (non-intersecting quorums or a
        planted bug)."""
        return not self.cluster().quorums.intersects() or bool(self.mutants)

    def as_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values; a derived field is ``None`` (derived again when
        loaded, so a loaded config's ``replace`` behaves as the original's)."""
        d = asdict(self)
        d.update(dict.fromkeys(self.derived))
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
    for q in cfg.quorums:
        check_names("quorums", q)
    _set(cfg, "quorums", tuple(tuple(q) for q in cfg.quorums))


def _validate(cfg: Config) -> None:
    """The deployment's fields (the network checked its own)."""
    check_int("acceptors", cfg.acceptors, 1, LIMITS["acceptors"])
    hi_prop = min(LIMITS["proposers"], cfg.acceptors) if cfg.colocated else LIMITS["proposers"]
    check_int("proposers", cfg.proposers, 1, hi_prop)
    check_int("learners", cfg.learners, 1, LIMITS["learners"])
    for name in ("colocated", "unsafe"):
        check_bool(name, getattr(cfg, name))
    if cfg.values and (len(cfg.values) != cfg.proposers
                       or not all(isinstance(v, str) and v for v in cfg.values)):
        raise UsageError("values", f"{cfg.proposers} non-empty strings, one per proposer",
                         list(cfg.values))
    check_int("q1", cfg.q1, 0, cfg.acceptors)
    check_int("q2", cfg.q2, 0, cfg.acceptors)
    if cfg.quorums and (cfg.q1 or cfg.q2):
        raise UsageError("quorums", "empty when q1/q2 are given (choose one quorum system)",
                         [list(q) for q in cfg.quorums])
    check_number("timeout", cfg.timeout, 0.0, 1e6, open_lo=True)
    check_choice("backoff", cfg.backoff, tuple(b.value for b in Backoff))
    check_number("backoff_base", cfg.backoff_base, 0.0, 1e6, open_lo=True)
    check_int("backoff_window", cfg.backoff_window, 1, MAX_WINDOW)
    check_int("max_attempts", cfg.max_attempts, 0, 10**6)
    check_number("start_offset", cfg.start_offset, 0.0, 1e6)
    if cfg.start_times:
        if len(cfg.start_times) != cfg.proposers:
            raise UsageError("start_times", f"{cfg.proposers} times, one per proposer",
                             list(cfg.start_times))
        for t in cfg.start_times:
            check_number("start_times", t, 0.0, 1e6)
    allowed_mutants = tuple(m.value for m in Mutant)
    for m in cfg.mutants:
        check_choice("mutants", m, allowed_mutants)
    cfg.cluster().quorums.check_intersection(cfg.unsafe)  # the quorum system checks its fields
