"""``Summary``: the figures of one run (liveness counts, safety verdict, digest)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .events import DELIVER, DROP, DUPLICATE, LEARN, SEND, TIMER

if TYPE_CHECKING:
    from .trace import Run

STOPPED = {"time": "stopped at the time limit (max_time)",
           "messages": "stopped at the message limit (max_messages)",
           "quiescent": "nothing left to happen"}
"""Why a run without a decision ended, by its ``stop_reason``."""


@dataclass(frozen=True)
class Summary:
    decided: bool
    """Some learner learned a value."""
    value: str | None
    """The first value learned."""
    time_to_decision: float | None
    """Time of the first learn event."""
    all_learned: bool
    ballots: int
    """Distinct ballots for which a Prepare was sent."""
    messages_sent: int
    messages_delivered: int
    messages_dropped: int
    messages_duplicated: int
    violations: list[dict[str, Any]] = field(default_factory=list)
    unsafe: bool = False
    """Non-intersecting quorums or planted bugs: safety is not guaranteed for this run."""
    stop_reason: str = ""
    end_time: float = 0.0
    events: int = 0
    seed: int = 0
    trace_digest: str = ""

    @classmethod
    def of(cls, run: Run, *, digest: bool = True) -> Summary:
        """``run``'s figures; ``digest=False`` leaves ``trace_digest`` empty."""
        counts = {SEND: 0, DELIVER: 0, DROP: 0, DUPLICATE: 0}
        learners: set[str] = set()
        ballots: set[Any] = set()
        first = None
        for rec in run.records:
            event = rec[1]
            if event in counts:
                counts[event] += 1
                if event == SEND and type(rec[4]).__name__ == "Prepare":
                    ballots.add(rec[4].ballot)
            elif event == LEARN:
                learners.add(rec[2])
                if first is None:
                    first = rec
        n_learners = len(run.config.cluster().learners)
        return cls(
            decided=first is not None,
            value=first[4].value if first else None,
            time_to_decision=first[0] if first else None,
            all_learned=len(learners) == n_learners,
            ballots=len(ballots),
            messages_sent=counts[SEND], messages_delivered=counts[DELIVER],
            messages_dropped=counts[DROP], messages_duplicated=counts[DUPLICATE],
            violations=[v.as_dict() for v in run.violations],
            unsafe=run.config.is_unsafe,
            stop_reason=run.stop_reason,
            end_time=run.records[-1][0] if run.records else 0.0,
            events=len(run.records), seed=run.seed,
            trace_digest=run.trace_digest() if digest else "")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        if self.decided:
            head = f"decided {self.value!r} at t={self.time_to_decision:.2f}"
        else:
            head = "no decision" + (f", {STOPPED[self.stop_reason]}"
                                    if self.stop_reason in STOPPED else "")
        text = (f"{head}; {self.ballots} ballot(s); messages sent {self.messages_sent}, "
                f"delivered {self.messages_delivered}, dropped {self.messages_dropped}, "
                f"duplicated {self.messages_duplicated}")
        if self.violations:
            text += "; VIOLATED: " + ", ".join(sorted({v["property"] for v in self.violations}))
        else:
            text += "; safety holds"
        return text + (" (UNSAFE configuration)" if self.unsafe else "")


_REPLIES = ("Promise", "Accepted", "Nack")


def timeouts_at_replies(run: Run) -> int:
    """How many phase timeouts fired at the very instant a reply reached the same proposer.

    Events due at one instant run in the order they were scheduled, and a phase timer is set
    when its phase starts, before any reply to it is sent, so such a timer always fires first
    and the proposer gives up on a phase whose replies were, at that instant, arriving. With a
    constant delay whose round trip equals the timeout, every phase ends this way."""
    fired: dict[str, float] = {}  # node -> time of its last phase timeout
    count = 0
    for rec in run.records:
        if rec[1] == TIMER and rec[7] == "phase":
            fired[rec[2]] = rec[0]
        elif (rec[1] == DELIVER and fired.get(rec[3]) == rec[0]
              and type(rec[4]).__name__ in _REPLIES):
            count += 1
            del fired[rec[3]]
    return count
