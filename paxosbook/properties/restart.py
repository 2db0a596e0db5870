"""An acceptor honours across a restart the promises it made before: a property of the trace.

Theory of operation. The paper asks an acceptor to remember on stable storage what it
promised and accepted, so that a crash and a restart change nothing it told anyone. The trace
shows what it told: each Promise it sent promised its ballot, and each Accepted it sent implies
a promise of at least its ballot. Folding an acceptor's sends in event order gives the highest
ballot it has promised so far; after a crash of that node, a Promise or an Accepted it sends for
a lower ballot breaks a promise made before the crash. Within one incarnation an acceptor never
does that (the core's rules forbid it), so the property names exactly the restart's failure:
state forgotten, or written after the reply left (``forget-promise-on-restart``, a durability
bug). It reads only the records, so it holds for simulated and real runs alike; a real run
(``paxosbook.net``) checks it on its merged trace, with the other properties.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core import Ballot
from ..events import CRASH, SEND, Record
from .basic import Property, Violation

NAME = "promises_survive_restart"


def restart_violations(records: Sequence[Record]) -> list[Violation]:
    """One violation per Promise or Accepted an acceptor sent after a crash for a ballot
    below a promise it had made before that crash (the events: the promise, the crash, the
    send)."""
    promised: dict[str, tuple[Ballot, int]] = {}  # acceptor -> highest ballot, its event
    before_crash: dict[str, tuple[Ballot, int, int]] = {}  # ... as of its last crash, crash
    out: list[Violation] = []
    for i, (_, event, node, _, payload, mid, _, _) in enumerate(records):
        if event == CRASH and node in promised:
            before_crash[node] = (*promised[node], i)
        elif event == SEND and type(payload).__name__ in ("Promise", "Accepted"):
            b: Ballot = payload.ballot
            kept = before_crash.get(node)
            if kept is not None and b < kept[0]:
                out.append(Violation(
                    NAME, f"{node} sent {type(payload).__name__} for ballot {b[0]}.{b[1]} after "
                    f"a restart, below the {kept[0][0]}.{kept[0][1]} it promised before the "
                    "crash", (kept[1], kept[2], i), (mid,)))
            if node not in promised or b > promised[node][0]:
                promised[node] = (b, i)
    return out


PROMISES_SURVIVE_RESTART = Property(
    NAME, "after a restart an acceptor sends no Promise or Accepted below a promise it made "
    "before the crash", restart_violations)
"""The property, declared by name. Its ``check`` reads records (not a ``History``): pass it
``run.records``."""
