"""What one worker does: run a chunk of seeds of one config and reduce each run to a row.

A ``Task`` is one config and a few seeds; ``run_task`` simulates each seed and keeps only the
requested figures of its ``Summary`` (or of a metric function), so what travels back to the
sweep is a few numbers per run, never a trace, unless runs are kept on purpose.

The summary's ``trace_digest`` (a sha256 over the canonical JSON of every event) costs about
as much as the simulation itself; it is computed only when the ``trace_digest`` metric is asked
for.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import Config
from ..core import UsageError
from ..sim import Simulator
from ..summary import Summary
from ..trace import Run

MetricSource = str | Callable[[Run], Any]

METRIC_DTYPES: dict[str, str] = {
    "decided": "bool", "value": "str", "time_to_decision": "float64", "all_learned": "bool",
    "ballots": "int64", "messages_sent": "int64", "messages_delivered": "int64",
    "messages_dropped": "int64", "messages_duplicated": "int64", "violations": "int64",
    "unsafe": "bool", "stop_reason": "str", "end_time": "float64", "events": "int64",
    "trace_digest": "str"}
"""Figures of ``Summary`` a sweep can keep, with the pandas dtype of their column
(``violations`` is the number of violations; ``seed`` is always a column)."""

DEFAULT_METRICS = ("decided", "time_to_decision", "ballots", "messages_sent",
                   "messages_delivered", "messages_dropped", "messages_duplicated",
                   "violations", "unsafe")

Metrics = Sequence[str] | Mapping[str, MetricSource] | None


def normal_metrics(metrics: Metrics) -> tuple[tuple[str, MetricSource], ...]:
    """``(column, source)`` pairs; a source is a ``Summary`` figure name or a function of the
    ``Run``. Raises ``UsageError`` for an unknown name or a source of the wrong kind."""
    if metrics is None:
        return tuple((m, m) for m in DEFAULT_METRICS)
    pairs: list[tuple[str, Any]]
    if isinstance(metrics, Mapping):
        pairs = list(metrics.items())
    elif isinstance(metrics, (str, bytes)) or not isinstance(metrics, Sequence):
        raise UsageError("metrics", "a list of summary figures or a mapping column -> figure "
                         "or function of the Run", metrics)
    else:
        pairs = [(m, m) for m in metrics]
    if not pairs:
        raise UsageError("metrics", "at least one metric", metrics)
    allowed = "figures of the run summary: " + ", ".join(METRIC_DTYPES)
    for column, source in pairs:
        if not isinstance(column, str) or not column or column == "seed":
            raise UsageError("metrics", "column names other than 'seed'", column)
        if isinstance(source, str):
            if source not in METRIC_DTYPES:
                raise UsageError("metrics", allowed, source)
        elif not callable(source):
            raise UsageError(f"metrics.{column}", allowed + ", or a function of the Run",
                             source)
    return tuple(pairs)


class _Undigested(Run):
    """A run whose summary skips the sha256 trace digest (left empty)."""

    def trace_digest(self) -> str:
        return ""


@dataclass(frozen=True)
class Task:
    index: int
    """Position of the config in the sweep's order."""
    config: Config
    seeds: tuple[int, ...]
    metrics: tuple[tuple[str, MetricSource], ...]
    keep_runs: bool = False


@dataclass(frozen=True)
class Done:
    index: int
    rows: list[tuple[Any, ...]]
    """``(seed, *metric values)`` per seed, in the task's seed order."""
    runs: list[Run] | None = None


def figures(run: Run, metrics: tuple[tuple[str, MetricSource], ...]) -> tuple[Any, ...]:
    """The metric values of one run, in column order."""
    summary: Summary | None = None
    out: list[Any] = []
    for _, source in metrics:
        if not isinstance(source, str):
            out.append(source(run))
            continue
        if summary is None:
            digested = any(s == "trace_digest" for _, s in metrics)
            summary = Summary.of(run if digested else
                                 _Undigested(run.config, run.seed, run.records, run.stop_reason))
        value = getattr(summary, source)
        if source == "violations":
            value = len(value)
        elif value is None and METRIC_DTYPES[source] == "float64":
            value = math.nan
        out.append(value)
    return tuple(out)


def run_task(task: Task) -> Done:
    """Simulate every seed of ``task`` and reduce each run to its row."""
    rows: list[tuple[Any, ...]] = []
    runs: list[Run] | None = [] if task.keep_runs else None
    for seed in task.seeds:
        run = Simulator(task.config, seed).run()
        rows.append((seed, *figures(run, task.metrics)))
        if runs is not None:
            runs.append(run)
    return Done(task.index, rows, runs)
