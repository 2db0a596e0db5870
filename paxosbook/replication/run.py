"""Run a strategy in the simulator and read the replicas' logs, the verdict and the figures.

``run_log(strategy, config, seed)`` returns a ``LogRun``: the records (the same events as a
Basic Paxos run, each with its slot), the trace DataFrame, each replica's log and the figures:

* ``consistent``: no log property is violated (``violations``);
* ``committed``: commands in the applied log of every replica that is up when the run ends (a
  replica crashed for good keeps its log but is not waited for);
* ``blocked``: the run ended (nothing left to happen, or the time or message limit) with some
  command not committed;
* ``messages``: messages sent between two nodes (a node's message to itself is a local call),
  ``messages_per_command`` per committed command; ``time_to_commit_all``.

``compare(config, seed)`` runs every strategy with the same config and seed and returns one
row each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..core import PaxosbookError
from ..core.log.envelope import NOOP, LearnSlot, Slotted
from ..properties import LogHistory, Violation, check_log
from ..sim import Simulator
from ..trace import CRASH, LEARN, RECOVER, SEND, Record, Run
from .config import STRATEGIES, LogConfig, Strategy, as_log_config
from .paxos import MultiPaxosSystem, PaxosSystem
from .strawmen import BroadcastSystem, MultiPrimarySystem, SequencerSystem
from .system import LogSystem

if TYPE_CHECKING:
    import pandas as pd

SYSTEMS: dict[Strategy, type[LogSystem]] = {
    Strategy.BROADCAST: BroadcastSystem, Strategy.SEQUENCER: SequencerSystem,
    Strategy.MULTI_PRIMARY: MultiPrimarySystem, Strategy.PAXOS: PaxosSystem,
    Strategy.MULTI_PAXOS: MultiPaxosSystem}


def system_for(strategy: Strategy | str, config: LogConfig | None = None) -> LogSystem:
    """The nodes of ``strategy`` for ``config``; ``UsageError`` if they cannot be built."""
    return SYSTEMS[Strategy.parse(strategy)](as_log_config(config))


def run_log(strategy: Strategy | str, config: LogConfig | None = None, seed: int = 0
            ) -> LogRun:
    """Simulate ``strategy`` with ``config`` and ``seed``; same inputs, same trace."""
    config = as_log_config(config)
    system = system_for(strategy, config)
    sim = Simulator(config, seed, system=system)
    sim.run()
    return LogRun(system.strategy, config, seed, sim.records, sim.stop_reason())


@dataclass(frozen=True)
class LogSummary:
    strategy: str
    consistent: bool
    committed: int
    commands: int
    blocked: bool
    messages: int
    messages_per_command: float | None
    time_to_commit_all: float | None
    stop_reason: str
    end_time: float
    seed: int
    logs: dict[str, list[str]] = field(default_factory=dict)
    violations: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        state = "consistent" if self.consistent else "INCONSISTENT"
        return (f"{self.strategy}: {state}; committed {self.committed}/{self.commands}"
                f"{' (blocked)' if self.blocked else ''}; {self.messages} messages")


class LogRun:
    """A finished replicated-log run: records, trace, logs, verdict, figures."""

    def __init__(self, strategy: Strategy, config: LogConfig, seed: int, records: list[Record],
                 stop_reason: str = "") -> None:
        self.strategy = strategy
        self.config = config
        self.seed = seed
        self.records = records
        self.stop_reason = stop_reason
        self.replicas = config.replica_names
        self.commands = config.values

    def __repr__(self) -> str:
        return f"<LogRun seed={self.seed} events={len(self.records)} {self.summary()}>"

    # -- the logs -----------------------------------------------------------------------------
    @cached_property
    def slots(self) -> dict[str, dict[int, str]]:
        """Every slot each replica learned (also those past a gap, not applied yet)."""
        out: dict[str, dict[int, str]] = {r: {} for r in self.replicas}
        for rec in self.records:
            if rec[1] == LEARN and type(rec[4]) is LearnSlot:
                out[rec[2]].setdefault(rec[4].slot, rec[4].value)
        return out

    @cached_property
    def logs(self) -> dict[str, list[str]]:
        """Each replica's applied log: its learned slots from 0 up to the first gap."""
        out = {}
        for r, slots in self.slots.items():
            log: list[str] = []
            while len(log) in slots:
                log.append(slots[len(log)])
            out[r] = log
        return out

    @cached_property
    def up(self) -> tuple[str, ...]:
        """Replicas not crashed when the run ended."""
        down: set[str] = set()
        for rec in self.records:
            if rec[1] == CRASH:
                down.add(rec[2])
            elif rec[1] == RECOVER:
                down.discard(rec[2])
        return tuple(r for r in self.replicas if r not in down)

    # -- the verdict and the figures ----------------------------------------------------------
    @cached_property
    def violations(self) -> list[Violation]:
        return check_log(LogHistory.from_records(self.records, self.replicas))

    @property
    def consistent(self) -> bool:
        return not self.violations

    @cached_property
    def committed(self) -> int:
        if not self.up:
            return 0
        held = [set(self.logs[r]) for r in self.up]
        return sum(1 for c in self.commands if all(c in h for h in held))

    @property
    def blocked(self) -> bool:
        return self.committed < len(self.commands)

    @cached_property
    def messages_by_type(self) -> Counter[str]:
        """Messages sent between two nodes, by type (a slot's envelope counts as its content)."""
        counts: Counter[str] = Counter()
        for rec in self.records:
            if rec[1] == SEND and rec[2] != rec[3]:
                msg = rec[4].msg if type(rec[4]) is Slotted else rec[4]
                counts[type(msg).__name__] += 1
        return counts

    @cached_property
    def messages_by_phase(self) -> Counter[str]:
        """Messages between two nodes by what they are for: ``phase 1`` (Prepare, Promise and
        their Multi-Paxos forms), ``phase 2`` (Accept, and Accepted back to a proposer),
        ``learn`` (Accepted to the other replicas, CatchUp), ``refused`` (Nack), ``clients``
        (Submit, Ack) and ``no consensus`` (the strawmen's Command)."""
        replicas = set(self.replicas)
        counts: Counter[str] = Counter()
        for rec in self.records:
            if rec[1] == SEND and rec[2] != rec[3]:
                msg = rec[4].msg if type(rec[4]) is Slotted else rec[4]
                kind = type(msg).__name__
                if kind == "Accepted" and msg.dst in replicas:
                    counts["learn"] += 1
                else:
                    counts[_PHASES.get(kind, "other")] += 1
        return counts

    @property
    def messages(self) -> int:
        return sum(self.messages_by_type.values())

    @property
    def messages_per_command(self) -> float | None:
        return self.messages / self.committed if self.committed else None

    @cached_property
    def time_to_commit_all(self) -> float | None:
        """When the last replica that is up at the end had applied every command."""
        want = set(self.commands)
        if not self.up:
            return None
        learned: dict[str, dict[int, str]] = {r: {} for r in self.up}
        applied = dict.fromkeys(self.up, 0)
        have: dict[str, set[str]] = {r: set() for r in self.up}
        done: dict[str, float] = {}
        for rec in self.records:
            node = rec[2]
            if rec[1] != LEARN or node not in learned or node in done:
                continue
            slots = learned[node]
            slots.setdefault(rec[4].slot, rec[4].value)
            while applied[node] in slots:
                have[node].add(slots[applied[node]])
                applied[node] += 1
            if want <= have[node]:
                done[node] = rec[0]
        return max(done.values()) if len(done) == len(self.up) else None

    @property
    def end_time(self) -> float:
        return self.records[-1][0] if self.records else 0.0

    @cached_property
    def trace(self) -> pd.DataFrame:
        """The events as a DataFrame, with the columns of ``Run.trace`` (``slot`` included)."""
        return self._run.trace

    def trace_digest(self) -> str:
        return self._run.trace_digest()

    @cached_property
    def _run(self) -> Run:
        # A Run of these records: only its trace and digest are used (they read the records
        # alone; its summary, violations and JSON are a Basic Paxos Config's and do not apply).
        return Run(self.config, self.seed, self.records,  # type: ignore[arg-type]
                   self.stop_reason)

    def summary(self) -> LogSummary:
        return LogSummary(
            strategy=self.strategy.value, consistent=self.consistent, committed=self.committed,
            commands=len(self.commands), blocked=self.blocked, messages=self.messages,
            messages_per_command=self.messages_per_command,
            time_to_commit_all=self.time_to_commit_all, stop_reason=self.stop_reason,
            end_time=self.end_time, seed=self.seed, logs=dict(self.logs),
            violations=[v.as_dict() for v in self.violations])


_PHASES = {"Prepare": "phase 1", "Promise": "phase 1", "MultiPrepare": "phase 1",
           "MultiPromise": "phase 1", "Accept": "phase 2", "Accepted": "phase 2",
           "CatchUp": "learn", "Nack": "refused", "Submit": "clients", "Ack": "clients",
           "Command": "no consensus"}

COMPARE_COLUMNS = ("strategy", "consistent", "committed", "blocked", "messages",
                   "messages/command", "time to commit all", "note")


def compare(config: LogConfig | None = None, seed: int = 0,
            strategies: Iterable[Strategy | str] = STRATEGIES) -> pd.DataFrame:
    """One row per strategy, all run with ``config`` and ``seed``. A strategy that cannot run
    with this config (multi-primary with one replica) gets a row that says why."""
    import pandas as pd

    config = as_log_config(config)
    rows: list[tuple[Any, ...]] = []
    for s in strategies:
        strategy = Strategy.parse(s)
        try:
            run = run_log(strategy, config, seed)
        except PaxosbookError as exc:
            rows.append((strategy.value, None, None, None, None, None, None, str(exc)))
            continue
        rows.append(table_row(run))
    return pd.DataFrame(rows, columns=list(COMPARE_COLUMNS))


def table_row(run: LogRun) -> tuple[Any, ...]:
    """``run``'s row of the comparison table (``COMPARE_COLUMNS``)."""
    return (run.strategy.value, run.consistent, run.committed, run.blocked, run.messages,
            _round(run.messages_per_command), _round(run.time_to_commit_all), _note(run))


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _note(run: LogRun) -> str:
    if run.violations:
        return run.violations[0].message
    if run.blocked:
        return f"stopped ({run.stop_reason}) with {len(run.commands) - run.committed} " \
               "command(s) not on every replica"
    noops = sum(v == NOOP for log in run.logs.values() for v in log)
    return f"{noops} no-op slot(s)" if noops else ""
