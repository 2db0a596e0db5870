"""The history of a KV run closed by a read of its final state, for the linearizability checker.

Theory of operation. A write acknowledged just before a whole-cluster ``kill -9`` and then lost
(its slot was never on disk) may never be read again by the clients before the run ends: their
history alone can stay linearizable, and only ``lost_writes`` (which reads the final state)
sees the loss. The final state is an observation too, made after every operation: add, for
each key, a ``get`` by one more process, ``"final"``, invoked after the last event and
answered with the key's value in the most advanced replica. Operations still open
(indeterminate) may take effect before it or never, as the checker allows. A lost write is
then a history the checker rejects, with the write and the final read among the operations
that cannot be ordered, and its timeline can be drawn like any other.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..linearizability import Linearizability, check, parse_history

if TYPE_CHECKING:
    from .run import KVRun

FINAL = "final"
"""The process that reads the final state."""


def final_reads(run: KVRun) -> list[str]:
    """The history's JSON lines, then an invoked and answered ``get`` of each key (in order of
    first use) returning the key's value in the replica that applied the most slots."""
    best: dict[str, Any] = max(run.finals, key=lambda f: f["applied"], default={"data": {}})
    keys = dict.fromkeys([json.loads(line).get("key") for line in run.history]
                         + sorted(best["data"]))
    out = list(run.history)
    for key in keys:
        if isinstance(key, str):
            value = best["data"].get(key, "")
            out += [json.dumps({"process": FINAL, "type": "invoke", "f": "get", "key": key}),
                    json.dumps({"process": FINAL, "type": "ok", "f": "get", "key": key,
                                "value": value})]
    return out


def check_final(run: KVRun) -> Linearizability:
    """The ``kv`` model's verdict on the history closed by the final reads."""
    return check(parse_history(final_reads(run)), "kv")


__all__ = ["FINAL", "check_final", "final_reads"]
