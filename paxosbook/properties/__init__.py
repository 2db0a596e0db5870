"""Safety properties, declared once by name, for Basic Paxos and for a replicated log.

* ``basic``: agreement, validity, integrity and the protocol invariants of one instance of
  Basic Paxos, evaluated on a ``History`` folded from a run's records (``check_run``).
* ``state``: the same properties evaluated on one state of the model checker (``Snapshot``).
* ``log``: log agreement, validity, no duplicates and per-slot Basic Paxos safety, evaluated on
  a ``LogHistory``.

The package reads records as plain data (event names from ``paxosbook.events``): it knows
nothing of ``paxosbook.trace``, which imports it, nor of the checker.
"""

from .basic import (
    PROPERTIES,
    History,
    Property,
    RunLike,
    Violation,
    check_history,
    check_run,
)
from .log import LOG_PROPERTIES, LogHistory, LogProperty, check_log, describe
from .state import Snapshot, check_snapshot, history_of

__all__ = ["LOG_PROPERTIES", "PROPERTIES", "History", "LogHistory", "LogProperty", "Property",
           "RunLike", "Snapshot", "Violation", "check_history", "check_log", "check_run",
           "check_snapshot", "describe", "history_of"]
