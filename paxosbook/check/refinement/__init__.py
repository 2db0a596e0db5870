"""Trace validation: is this logged run a behaviour of Lamport's Paxos specification?

After Cirstea, Kuppe, Loillier and Merz, "Validating Traces of Distributed Programs Against
TLA+ Specifications" (2024), without TLC. Each event of a run is mapped to spec steps
(``mapping``: Prepare sends are Phase1a, Promise sends Phase1b, Accept sends Phase2a,
acceptances Phase2b, learning a check that a quorum of 2b messages exists); a breadth-first
search keeps the set of spec states consistent with the log so far, taking every explanation
of each event from every candidate state. The run is valid when every event is explained.
Otherwise ``Validation.failure`` names the first event no step explains, the candidate states
at that point and, for each, which conjunct of each possible action is false (in the spec's
words, ``steps``).

The core's logs determine each step (every acceptor writes its state, every message names its
ballot, the promise names the vote it reports), so the candidate set is one state for runs of
the simulator and of the checker; it grows only when an event fits several explanations that
leave different states, and is capped at ``MAX_CANDIDATES``.

A crash-restart is no step: the core keeps an acceptor's state on stable storage, so the spec
state goes on unchanged; the ``forget-promise-on-restart`` mutant's next promise or acceptance
then contradicts it and is refused. A replicated log is validated slot by slot against the
same spec (one instance per slot; a ``MultiPrepare`` is a Phase1a of every slot from its first
slot on). Quorums are the run's: Phase2a asks for a phase-1 quorum and learning for a phase-2
one (Flexible Paxos; the generalisation ``tla.spec`` makes too), each a set that holds one of
the run's quorums, as the core counts them. A run whose quorums do not intersect breaks the
spec's ``ASSUME`` and is refused before its first event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...core import QuorumSystem, UsageError
from ...events import Record
from .mapping import BASIC, Mapper, Obligation, describe, slots_in
from .steps import Delta, Refusal, SpecState

__all__ = ["MAX_CANDIDATES", "Candidate", "Failure", "Validation", "validate"]

MAX_CANDIDATES = 1000
"""Most spec states kept at once for one Paxos instance (the search's memory bound)."""

ASSUME = "\\A Q1, Q2 \\in Quorum : Q1 \\cap Q2 /= {}"


@dataclass(frozen=True)
class Candidate:
    """A spec state consistent with the log before the failing event, and why no step from
    it explains that event (one ``Refusal`` per way tried)."""

    state: dict[str, Any]
    refusals: tuple[Refusal, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state,
                "refusals": [{"action": r.action, "conjunct": r.conjunct, "detail": r.detail}
                             for r in self.refusals]}


@dataclass(frozen=True)
class Failure:
    """The first event no spec step explains: its index in the trace (``None``: refused
    before the first event), the event, the Paxos instance (slot, -1 in Basic Paxos) and the
    candidate states."""

    index: int | None
    event: str
    row: dict[str, Any] | None
    slot: int
    candidates: tuple[Candidate, ...]

    @property
    def refusal(self) -> Refusal:
        """The most specific refusal: of the first candidate, the last way tried that is a
        new step rather than a copy of a message (the action the event most likely meant)."""
        refusals = self.candidates[0].refusals if self.candidates else ()
        best = [r for r in refusals if not r.action.startswith("repeat")] or list(refusals)
        return best[-1] if best else Refusal("ASSUME", ASSUME, "")

    @property
    def conjunct(self) -> str:
        """The conjunct ``refusal`` names, in the spec's words."""
        return self.refusal.conjunct

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "event": self.event, "row": self.row, "slot": self.slot,
                "conjunct": self.conjunct,
                "candidates": [c.as_dict() for c in self.candidates]}


@dataclass(frozen=True)
class Validation:
    """The verdict: ``ok``, ``events_checked`` (events explained before the failure, or all),
    ``steps`` (spec steps that changed the state), the spec ballot of each run ballot, the
    events that concerned each slot of a replicated log, the ``failure``, and the most
    candidate states the search held at once (``widest``)."""

    ok: bool
    events_checked: int
    steps: int
    ballots: dict[str, int] = field(default_factory=dict)
    slots: dict[int, int] = field(default_factory=dict)
    failure: Failure | None = None
    widest: int = 1

    def __str__(self) -> str:
        if self.ok:
            per = f" in {len(self.slots)} slots" if self.slots else ""
            return (f"valid: {self.events_checked} events explained by {self.steps} steps of "
                    f"Paxos.tla{per}")
        f = self.failure
        assert f is not None
        where = "before the first event" if f.index is None else f"at event {f.index}"
        slot = f" (slot {f.slot})" if f.slot != BASIC else ""
        lines = [f"rejected {where}{slot}: {f.event}"]
        for i, c in enumerate(f.candidates):
            lines.append(f"  candidate state {i + 1}: maxBal {c.state['maxBal']}, maxVBal "
                         f"{c.state['maxVBal']}, maxVal {c.state['maxVal']}")
            lines += [f"    {r}" for r in c.refusals]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "events_checked": self.events_checked, "steps": self.steps,
                "ballots": self.ballots, "slots": {str(k): v for k, v in self.slots.items()},
                "widest": self.widest,
                "failure": None if self.failure is None else self.failure.as_dict()}


def validate(run: Any) -> Validation:
    """Validate ``run`` (a ``Run``, a counterexample's run, a ``LogRun`` of the paxos or
    multi-paxos strategy, or a KV store's ``KVTrace``) against ``Paxos.tla``; ``UsageError``
    for another kind of run."""
    records, acceptors, quorums = _deployment(run)
    slots = slots_in(records)
    mapper = Mapper(records, quorums.is_phase1, quorums.is_phase2, slots)
    ballots = {str(b): i for b, i in sorted(mapper.number.items(), key=lambda e: e[1])
               if i >= 0}
    if not quorums.intersects():
        empty = Candidate(SpecState.init(acceptors).summary(), (Refusal(
            "ASSUME", ASSUME, f"quorums {quorums.describe()} need not meet"),))
        return Validation(False, 0, 0, ballots, {},
                          Failure(None, "the deployment", None, BASIC, (empty,)))
    search = _Search(acceptors)
    for i, rec in enumerate(records):
        refused = search.explain(mapper.obligations(rec))
        if refused is not None:
            slot, candidates = refused
            return Validation(False, i, search.steps, ballots, search.counts,
                              Failure(i, describe(rec), _row(rec), slot, candidates),
                              search.widest)
    return Validation(True, len(records), search.steps, ballots, search.counts, None,
                      search.widest)


class _Search:
    """The candidate spec states of each Paxos instance, advanced event by event."""

    def __init__(self, acceptors: tuple[str, ...]) -> None:
        self.acceptors = acceptors
        self.states: dict[int, list[SpecState]] = {}
        self.counts: dict[int, int] = {}
        self.steps = 0
        self.widest = 1

    def explain(self, obligations: list[Obligation]
                ) -> tuple[int, tuple[Candidate, ...]] | None:
        """Advance every instance the event concerns; the instance and its candidates (with
        their refusals) if some instance has no explanation."""
        for slot, ways in obligations:
            current = self.states.get(slot)
            if current is None:
                current = self.states[slot] = [SpecState.init(self.acceptors)]
            if slot != BASIC:
                self.counts[slot] = self.counts.get(slot, 0) + 1
            nxt, refusals, changed = _advance(current, ways)
            if not nxt:
                return slot, tuple(Candidate(s.summary(), tuple(r))
                                   for s, r in zip(current, refusals, strict=True))
            if len(nxt) > MAX_CANDIDATES:
                raise UsageError("candidates", f"at most {MAX_CANDIDATES} spec states "
                                 "consistent with the log at once (MAX_CANDIDATES)", len(nxt))
            self.steps += changed
            self.widest = max(self.widest, len(nxt))
            self.states[slot] = nxt
        return None


def _advance(states: list[SpecState], ways: list[Any]
             ) -> tuple[list[SpecState], list[list[Refusal]], bool]:
    """Every successor of every candidate (merged), each candidate's refusals, and whether
    some successor differs from its candidate (a step rather than stuttering)."""
    out: list[SpecState] = []
    refusals: list[list[Refusal]] = []
    changed = False
    for s in states:
        stutter = False
        deltas: list[Delta] = []
        refused: list[Refusal] = []
        for way in ways:
            result = way(s)
            for r in result if type(result) is list else (result,):
                if type(r) is Refusal:
                    refused.append(r)
                elif not s.changes(r):
                    stutter = True
                elif r not in deltas:
                    deltas.append(r)
        refusals.append(refused)
        changed = changed or bool(deltas)
        if stutter:  # the candidate itself goes on: copy it for the other successors
            out += [_stepped(s.copy(), d) for d in deltas]
            out.append(s)
        elif deltas:
            out += [_stepped(s.copy(), d) for d in deltas[:-1]]
            out.append(_stepped(s, deltas[-1]))
    if len(out) > 1:
        merged = {s.key(): s for s in out}
        out = list(merged.values())
    return out, refusals, changed


def _stepped(s: SpecState, delta: Delta) -> SpecState:
    s.apply(delta)
    return s


def _row(rec: Record) -> dict[str, Any]:
    from ...trace import COLUMNS, row_of

    return dict(zip(COLUMNS, row_of(rec), strict=True))


def _deployment(run: Any) -> tuple[list[Record], tuple[str, ...], QuorumSystem]:
    """The records, acceptor names and quorums of a Basic Paxos or replicated-log run (or of
    a trace that names them, as ``kv.trace.KVTrace`` does)."""
    quorums = getattr(run, "quorums", None)
    if isinstance(quorums, QuorumSystem):
        return list(run.records), tuple(run.acceptors), quorums
    strategy = getattr(run, "strategy", None)
    if strategy is not None:
        if strategy.value not in ("paxos", "multi-paxos"):
            raise UsageError("run", "a run of Basic Paxos or of the paxos or multi-paxos log "
                             "strategy (the others are not Paxos)", strategy.value)
        replicas = tuple(run.config.replica_names)
        return list(run.records), replicas, QuorumSystem.majority(replicas)
    config = getattr(run, "config", None)
    if config is None or not hasattr(config, "cluster"):
        raise UsageError("run", "a Run (simulate, Run.from_json), a LogRun (run_log) or a "
                         "KVTrace (kv.trace.collect)",
                         type(run).__name__)
    cluster = config.cluster()
    return list(run.records), tuple(cluster.acceptors), cluster.quorums


# -- sweep columns ------------------------------------------------------------------------------
_last: list[tuple[Any, Validation] | None] = [None]
"""The last run validated by the two functions below and its result, as one tuple (read and
replaced whole, so that threads sharing the module never pair a run with another's result)."""


def _validation_of(run: Any) -> Validation:
    cached = _last[0]
    if cached is None or cached[0] is not run:
        cached = (run, validate(run))
        _last[0] = cached
    return cached[1]


def is_valid(run: Any) -> bool:
    """``validate(run).ok`` (the sweep's ``valid`` column; the validation is kept for the
    ``rejected_at`` of the same run)."""
    return _validation_of(run).ok


def rejected_at(run: Any) -> int | None:
    """The index of the event ``validate`` rejected, or ``None`` (the sweep's column)."""
    failure = _validation_of(run).failure
    return None if failure is None else failure.index
