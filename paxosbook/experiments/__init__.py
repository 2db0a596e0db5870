"""Experiments at scale: seeded sweeps into pandas, and the analyses built on them.

``sweep(grid, seeds)`` runs every config of a grid with every seed (in this process, on a
process pool or on Dask) and returns one tidy row per run (at most ``MAX_RUNS`` runs);
``save``/``load`` keep results on disk. The analyses (``decision_vs_loss``,
``messages_per_decision``, ``dueling_proposers``, ``flexible_quorums``, each with its
``Study``: ``DECISION``, ``MESSAGES``, ``DUELING``, ``FLEXIBLE``) and the ``explorer`` widget
turn a sweep's rows into tables and plotly figures; they need plotly and are imported on first
use.
"""

from __future__ import annotations

import importlib
from typing import Any

from .executors import dask_available, local_dask
from .grid import CONFIG_DTYPES, MAX_RUNS
from .runner import DEFAULT_METRICS, METRIC_DTYPES
from .store import load, meta_path, parquet_available, save
from .sweep import SweepInterrupted, sweep

_LAZY = {name: "analyses" for name in (
    "Analysis", "Study", "STUDIES", "DECISION", "MESSAGES", "DUELING", "FLEXIBLE",
    "decision_vs_loss", "messages_per_decision", "dueling_proposers", "flexible_quorums",
    "boundary_holds")} | {"plot_metric": "explore", "explorer": "explore", "view": "explore"}

__all__ = ["CONFIG_DTYPES", "DEFAULT_METRICS", "MAX_RUNS", "METRIC_DTYPES", "SweepInterrupted",
           "dask_available", "load", "local_dask", "meta_path", "parquet_available", "save",
           "sweep", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
