"""The replicated log: why A, B, C, D need consensus to log add, jmp, cmp, sub in one order.

Five strategies, one interface: ``run_log(strategy, LogConfig(...), seed)`` simulates the
proposers and replicas of ``strategy`` in the simulator and returns a ``LogRun`` with every
replica's log, the log-consistency verdict and the figures (commands committed, blocked,
messages, time to commit all); ``compare(config, seed)`` runs all of them side by side.

* ``broadcast``, ``sequencer``, ``multi-primary``: strawmen without consensus
  (``replication.strawmen``);
* ``paxos``: one Basic Paxos instance per slot, ``multi-paxos``: a stable leader
  (``replication.paxos``; the protocol itself is in ``paxosbook.core.log``).
"""

from ..properties import LOG_PROPERTIES, LogHistory, LogProperty, check_log
from .config import EXAMPLE, STRATEGIES, STRAWMEN, LogConfig, Strategy, parse_commands
from .run import COMPARE_COLUMNS, LogRun, LogSummary, compare, run_log, system_for

__all__ = ["COMPARE_COLUMNS", "EXAMPLE", "LOG_PROPERTIES", "STRATEGIES", "STRAWMEN", "LogConfig",
           "LogHistory", "LogProperty", "LogRun", "LogSummary", "Strategy", "check_log",
           "compare", "parse_commands", "run_log", "system_for"]
