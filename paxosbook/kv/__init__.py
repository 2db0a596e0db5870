"""A replicated key-value store on Multi-Paxos, on real processes (``paxosbook kv``).

``machine`` is the state machine (get / put / append / cas, deduplicated by request id,
snapshots), ``node`` one node process hosting the core's log roles (leader election, batching,
group commit, catch-up from snapshots), ``wire`` its messages, ``store`` its SQLite file,
``client`` the clients and their history, ``run`` the supervisor glue and the checks
(linearizability, lost acknowledged writes).
"""

from .machine import Command, Machine, Reply
from .run import KVRun, run_kv

__all__ = ["Command", "KVRun", "Machine", "Reply", "run_kv"]
