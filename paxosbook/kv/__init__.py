"""A replicated key-value store on Multi-Paxos, on real processes (``paxosbook kv``).

``machine`` is the state machine (get / put / append / cas, deduplicated by request id,
snapshots), ``replica`` a replica hosting the core's log roles (leader election, batching,
catch-up from snapshots), ``node`` its process (UDP, timers, group commit), ``wire`` its
messages, ``store`` its SQLite file,
``client`` the clients and their history, ``run`` the supervisor glue and the checks
(linearizability, lost acknowledged writes): ``paxosbook.kv.run.run_kv``. (The package
does not import ``run``, so that ``python -m paxosbook.kv.node`` runs the node module once.)
"""

from .machine import Command, Machine, Reply

__all__ = ["Command", "Machine", "Reply"]
