"""The names of a run's events and the shape of one record, shared by everything that reads runs.

The simulator writes records, ``trace`` turns them into rows, a DataFrame and JSON, and the
properties and the summary fold them into verdicts and counts. They all agree on this small
vocabulary, kept here so that none of them needs another to know it.
"""

from __future__ import annotations

from typing import Any

START, SEND, DELIVER, DROP, DUPLICATE = "start", "send", "deliver", "drop", "duplicate"
TIMER, CRASH, RECOVER = "timer", "crash", "recover"
PARTITION_START, PARTITION_END = "partition_start", "partition_end"
PROMISE, ACCEPT, LEARN = "promise", "accept", "learn"
EVENTS = (START, SEND, DELIVER, DROP, DUPLICATE, TIMER, CRASH, RECOVER, PARTITION_START,
          PARTITION_END, PROMISE, ACCEPT, LEARN)
MESSAGE_EVENTS = frozenset((SEND, DELIVER, DROP, DUPLICATE))

Record = tuple[float, str, str, str, Any, int, int, str]
"""(time, event, node, peer, payload, msg_id, cause, detail); payload is the message, the
acceptor state, the ``Learn`` effect or the proposed value, depending on the event."""
