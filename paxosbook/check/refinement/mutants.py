"""Where validation rejects each planted bug, against where the bug breaks safety.

``safety_break(run)`` is the first event after which the run's prefix breaks a safety property
(``paxosbook.properties``: two values chosen, learners disagreeing, a value learned before it
was chosen, ...); ``second_choice(run)`` the event where a second value is chosen, if one is.
``mutant_table()`` finds, for each mutant of the core, the first simulated run (seed search,
quiet network first, then hostile: ``check.scenarios``) that breaks safety, validates it and
says where it was rejected: validation must reject it at or before the break.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ...properties import History, check_history
from ..scenarios import SCENARIOS
from . import validate

if TYPE_CHECKING:
    import pandas as pd

    from ...trace import Run

MAX_SEEDS = 400
"""Seeds tried per network before a mutant is reported as not seen breaking safety."""


def safety_break(run: Run) -> int | None:
    """The index of the first event after which the run so far breaks a safety property,
    or ``None`` (binary search: a broken safety property stays broken as the run goes on)."""
    quorums = run.config.cluster().quorums
    records = run.records

    def broken(k: int) -> bool:
        return bool(check_history(History.from_records(records[:k], quorums)))

    if not broken(len(records)):
        return None
    lo, hi = 0, len(records)  # broken(hi), not broken(lo)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if broken(mid):
            hi = mid
        else:
            lo = mid
    return hi - 1


def second_choice(run: Run) -> int | None:
    """The index of the vote that makes a second value chosen, or ``None``."""
    chosen = History.from_run(run).chosen()
    first: dict[str, int] = {}
    for (_, v), events in chosen.items():
        first[v] = min(first.get(v, events[-1]), events[-1])
    return sorted(first.values())[1] if len(first) > 1 else None


def breaking_run(mutant: str, max_seeds: int = MAX_SEEDS) -> tuple[str, int, Run] | None:
    """(network, seed, run): the first seed whose run of ``mutant``'s scenario breaks safety,
    on the quiet network, else on the hostile one; ``None`` if no seed below ``max_seeds``."""
    from ...sim import simulate

    scenario = SCENARIOS[mutant]
    for network, hostile in (("quiet", False), ("hostile", True)):
        config = scenario.simulation(hostile)
        for seed in range(max_seeds):
            run = simulate(config, seed)
            if run.violations:
                return network, seed, run
    return None


COLUMNS = ("mutant", "network", "seed", "events", "valid", "rejected_at", "safety_broken_at",
           "second_value_chosen_at", "conjunct")


def mutant_row(mutant: str, max_seeds: int = MAX_SEEDS) -> dict[str, Any]:
    """One row of ``mutant_table``."""
    found = breaking_run(mutant, max_seeds)
    if found is None:
        return dict(zip(COLUMNS, (mutant, "", None, None, None, None, None, None, ""),
                        strict=True))
    network, seed, run = found
    v = validate(run)
    failure = v.failure
    return dict(zip(COLUMNS, (
        mutant, network, seed, len(run.records), v.ok, None if failure is None else failure.index,
        safety_break(run), second_choice(run), "" if failure is None else failure.conjunct),
        strict=True))


def mutant_table(mutants: Sequence[str] | None = None,
                 max_seeds: int = MAX_SEEDS) -> pd.DataFrame:
    """For each planted bug (default: every scenario but the correct protocol), its first
    safety-breaking run, whether it is ``valid`` (it must not be), where validation rejected it
    and where safety broke (``None`` when no index: ``rejected_at`` is ``None`` for a run
    refused before its first event, as one whose quorums need not meet)."""
    import pandas as pd

    names = [n for n in SCENARIOS if n != "none"] if mutants is None else list(mutants)
    rows = [mutant_row(n, max_seeds) for n in names]
    ints = ("seed", "events", "rejected_at", "safety_broken_at", "second_value_chosen_at")
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype(
        {"valid": "boolean", **dict.fromkeys(ints, "Int64")})
