"""Log consistency, declared once by name like the properties of Basic Paxos.

Theory of operation. A run's records are folded into a ``LogHistory``: what each replica
logged in each slot (its learn events), which commands were proposed (start events), and, for
the Paxos strategies, one Basic Paxos ``History`` per slot (that slot's votes, Accept messages,
acceptor states and learns). The log properties are "always" properties; ``slot_safety``
checks every Basic Paxos property of ``paxosbook.properties.basic`` in every slot. Each
returns ``Violation`` s naming the property and the trace rows that break it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core import Accept, QuorumSystem
from ..core.log.envelope import NOOP, LearnSlot, SlotState, Slotted
from ..events import ACCEPT, LEARN, PROMISE, SEND, START, Record
from .basic import PROPERTIES, History, Property, Violation, check_history


@dataclass
class LogHistory:
    """What the log properties need to know about a run, in event order."""

    quorums: QuorumSystem
    proposed: dict[str, int] = field(default_factory=dict)  # command -> first start event
    entries: list[tuple[int, str, int, str]] = field(default_factory=list)  # idx, node, slot, v
    slots: dict[int, History] = field(default_factory=dict)

    @classmethod
    def from_records(cls, records: Sequence[Record], replicas: Sequence[str]) -> LogHistory:
        h = cls(QuorumSystem.majority(tuple(replicas)))
        for i, (_, event, node, _, p, mid, _, _) in enumerate(records):
            kind = type(p)
            if event == SEND and kind is Slotted and type(p.msg) is Accept:
                h.slot(p.slot).accepts_sent.append((i, mid, p.msg.ballot, p.msg.value))
            elif (event == PROMISE or event == ACCEPT) and kind is SlotState and p.slot >= 0:
                state, history = p.state, h.slot(p.slot)
                acc = state.accepted
                history.states.append((i, node, state.promised, acc.ballot if acc else None))
                if event == ACCEPT and acc is not None:
                    history.votes.append((i, node, acc.ballot, acc.value))
            elif event == LEARN and kind is LearnSlot:
                h.entries.append((i, node, p.slot, p.value))
                if p.ballot is not None:
                    h.slot(p.slot).learns.append((i, node, p.ballot, p.value))
            elif event == START:
                for value in str(p).split(","):
                    h.proposed.setdefault(value, i)
        for history in h.slots.values():
            history.proposed.update(h.proposed)
            history.proposed.setdefault(NOOP, -1)
        return h

    def slot(self, slot: int) -> History:
        history = self.slots.get(slot)
        if history is None:
            history = self.slots[slot] = History(self.quorums)
        return history


LogProperty = Property[LogHistory]
"""A property of a replicated log: the same declaration as Basic Paxos's properties."""


def _log_agreement(h: LogHistory) -> list[Violation]:
    first: dict[int, tuple[int, str, str]] = {}
    out = []
    for i, node, slot, value in h.entries:
        seen = first.setdefault(slot, (i, node, value))
        if seen[2] != value:
            out.append(Violation("log_agreement", f"slot {slot}: {seen[1]} logged {seen[2]!r}, "
                                 f"{node} logged {value!r}", (seen[0], i)))
    return out


def _log_validity(h: LogHistory) -> list[Violation]:
    return [Violation("log_validity", f"{node} logged {value!r} in slot {slot}, never proposed",
                      (i,))
            for i, node, slot, value in h.entries if value != NOOP and value not in h.proposed]


def _log_no_duplicates(h: LogHistory) -> list[Violation]:
    where: dict[tuple[str, str], tuple[int, int]] = {}
    out = []
    for i, node, slot, value in h.entries:
        if value == NOOP:
            continue
        seen = where.setdefault((node, value), (i, slot))
        if seen[1] != slot:
            out.append(Violation("log_no_duplicates", f"{node} logged {value!r} twice, in slots "
                                 f"{seen[1]} and {slot}", (seen[0], i)))
    return out


def _slot_safety(h: LogHistory) -> list[Violation]:
    out = []
    for slot, history in sorted(h.slots.items()):
        for v in check_history(history, PROPERTIES):
            out.append(Violation("slot_safety", f"slot {slot}: {v.property}: {v.message}",
                                 v.events, v.msg_ids))
    return out


LOG_PROPERTIES: tuple[LogProperty, ...] = (
    LogProperty("log_agreement",
                "for every slot, all replicas that have a value there have the same value",
                _log_agreement),
    LogProperty("log_validity", "every logged command was proposed (a no-op is no command)",
                _log_validity),
    LogProperty("log_no_duplicates", "no replica logs a command twice", _log_no_duplicates),
    LogProperty("slot_safety",
                "every slot, as one instance of Basic Paxos, satisfies "
                + ", ".join(p.name for p in PROPERTIES), _slot_safety),
)


def check_log(h: LogHistory, properties: Iterable[LogProperty] = LOG_PROPERTIES
              ) -> list[Violation]:
    return [v for p in properties for v in p.check(h)]


def describe(violations: Iterable[Violation]) -> list[dict[str, Any]]:
    return [v.as_dict() for v in violations]
