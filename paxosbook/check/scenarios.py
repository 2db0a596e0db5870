"""The planted bugs, each with the smallest deployment that shows it.

One ``Scenario`` per ``Mutant`` of the core, plus non-intersecting quorums (Flexible Paxos with
Q1 + Q2 <= N, a configuration rather than a code change). Each names what the model checker
needs to find the bug (``config`` and, for the bug that lives in crash recovery, ``restarts``)
and what the random simulator is run with to find it by luck (``simulation``: a quiet network,
``hostile``: loss, long-tailed delays and, where the bug needs them, crashes). The correct
protocol is the scenario ``none``: the checker must exhaust it and find nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..core import Mutant, UsageError

QUORUMS = "non-intersecting-quorums"
NONE = "none"

_CHECK = {"acceptors": 3, "proposers": 2, "learners": 1, "max_attempts": 1, "backoff": "none"}
_QUIET = {"acceptors": 3, "proposers": 2, "learners": 2}
_HOSTILE = {"acceptors": 3, "proposers": 2, "learners": 2, "drop": 0.1,
            "delay": "exponential", "delay_mean": 1.0, "timeout": 3.0, "start_offset": 0.5}


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    fields: dict[str, Any] = field(default_factory=dict)
    """Config fields that plant the bug."""
    restarts: int = 0
    """Crash-restarts of acceptors the checker may use."""
    crashes: int = 0
    """Random crash-restarts the simulator runs need."""

    @property
    def config(self) -> Config:
        """The deployment the model checker explores: 3 acceptors, 2 proposers, 1 learner,
        one ballot each."""
        return Config(**{**_CHECK, **self.fields})

    def simulation(self, hostile: bool = False) -> Config:
        """The deployment the random simulator runs (quiet, or ``hostile``)."""
        base = dict(_HOSTILE if hostile else _QUIET)
        if self.crashes:
            base.update(random_crashes=self.crashes, crash_window=10.0, downtime=2.0)
        return Config(**{**base, **self.fields})

    def model(self, **kw: Any) -> Any:
        """The ``actors`` model of this scenario."""
        from .actors import ActorModel
        return ActorModel(self.config, restarts=self.restarts, **kw)


SCENARIOS: dict[str, Scenario] = {
    m.value: Scenario(m.value, m.doc, {"mutants": (m.value,)},
                      restarts=1 if m is Mutant.FORGET_PROMISE_ON_RESTART else 0,
                      crashes=3 if m is Mutant.FORGET_PROMISE_ON_RESTART else 0)
    for m in Mutant
}
SCENARIOS[QUORUMS] = Scenario(
    QUORUMS, "phase-1 and phase-2 quorums that need not meet (Q1=1, Q2=2 of N=3)",
    {"q1": 1, "q2": 2, "unsafe": True})
SCENARIOS[NONE] = Scenario(NONE, "the correct protocol")


def scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise UsageError("mutant", "one of " + ", ".join(SCENARIOS), name) from None


def seeds_needed(config: Config, max_seeds: int) -> tuple[int | None, int]:
    """(the first seed whose run violates a property, or None; how many of ``max_seeds``
    seeds do)."""
    from ..sim import simulate

    first, hits = None, 0
    for seed in range(max_seeds):
        if simulate(config, seed).violations:
            hits += 1
            if first is None:
                first = seed
    return first, hits
