"""The puzzles of notebook 06 ("you are the network"): their deployments, a check of the
reader's stepper for each, and a "show me" answer computed from the stepper itself.

Each ``check_*`` reads only the stepper's run (its records, through the safety properties'
own ``History``) and returns a ``Verdict``: ``ok`` and the lines to show. Each answer
(``fewest_messages``, ``duel``, ``two_values``, ``promise_survives``, ``late_proposer``)
steps a stepper from where it is, by rules written below, never by a stored path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..config import Config, Partition
from ..core import UsageError
from ..events import CRASH, DELIVER, DROP, DUPLICATE, PROMISE, RECOVER, SEND
from ..properties import History
from .stepper import SearchResult, Stepper
from .world import Action, message_text

FEWEST = Config(acceptors=3, proposers=1, learners=1)
DUEL = Config(acceptors=3, proposers=2, learners=1, backoff="none")
BUG = Config(acceptors=3, proposers=2, learners=1, max_attempts=1, backoff="none",
             mutants=("ignore-promised-value",))
CRASH_CONFIG = Config(acceptors=3, proposers=2, learners=1)
PARTITION = Config(acceptors=5, proposers=2, max_messages=3000, partitions=(
    Partition((("p1", "a1", "a2"), ("p2", "a3", "a4", "a5")), start=0, end=10),),
    stop_when_decided=False, max_time=30.0)
"""Experiment 5 of notebook 02 (p1 cut off with two acceptors until t = 10), run on after the
decision so that it is still running when the partition heals."""
HEAL = 10.0
DUEL_BALLOTS = 3
"""Puzzle 2 is solved with this many ballots from each proposer and nothing chosen."""
MAX_MOVES = 400


@dataclass(frozen=True)
class Verdict:
    ok: bool
    lines: tuple[str, ...]

    def __str__(self) -> str:
        return "\n".join(("✓ " if self.ok else "✗ ") + line if i == 0 else "  " + line
                         for i, line in enumerate(self.lines))

    __repr__ = __str__


def chosen(stepper: Stepper) -> dict[tuple[str, str], str]:
    """(ballot, value) -> value, of every value chosen so far (ballots as ``round.node``)."""
    facts = History.from_records(stepper.run.records, stepper.cluster.quorums)
    return {(f"{b[0]}.{b[1]}", v): v for (b, v) in facts.chosen()}


def _count(stepper: Stepper, event: str) -> int:
    return sum(1 for r in stepper.run.records if r[1] == event)


def _need(stepper: object, config: Config) -> Stepper:
    if not isinstance(stepper, Stepper) or stepper.config != config:
        raise UsageError("stepper", "the puzzle's stepper (its widget's .stepper)",
                         type(stepper).__name__)
    return stepper


# -- 1: a value chosen with the fewest messages ----------------------------------------------
def fewest_possible(config: Config = FEWEST) -> int:
    """Deliveries needed at least: a phase-1 quorum of Prepares and of Promises, a phase-2
    quorum of Accepts."""
    q = config.cluster().quorums
    return 2 * q.q1 + q.q2


def check_fewest(stepper: Stepper) -> Verdict:
    s = _need(stepper, FEWEST)
    n, best, values = _count(s, DELIVER), fewest_possible(), set(chosen(s).values())
    if not values:
        return Verdict(False, ("nothing chosen yet", f"{n} message(s) delivered so far"))
    if n > best:
        return Verdict(False, (f"{values.pop()!r} chosen with {n} deliveries",
                               f"it can be done with {best}: which ones were not needed?"))
    return Verdict(True, (f"{values.pop()!r} chosen with {n} deliveries: the fewest possible",
                          "a majority of Prepares, their Promises, a majority of Accepts"))


def fewest_messages(stepper: Stepper) -> None:
    """Start the proposer and deliver only what a quorum needs, in phase order."""
    stepper.step(next(a for a in stepper.actions if a.kind == "start"))
    q = stepper.cluster.quorums
    acceptors = stepper.cluster.acceptors
    for kind, size in (("Prepare", q.q1), ("Promise", q.q1), ("Accept", q.q2)):
        for dst in acceptors[:size] if kind != "Promise" else [None] * size:
            stepper.step(next(a for a in stepper.candidates if type(a.msg).__name__ == kind
                              and (dst is None or a.node == dst)))


# -- 2: dueling proposers ---------------------------------------------------------------------
def ballots(stepper: Stepper) -> dict[str, int]:
    """Each proposer's ballots so far (the Prepares it sent, by distinct ballot)."""
    seen: dict[str, set[str]] = {p.node: set() for p in stepper.cluster.proposers}
    for r in stepper.run.records:
        if r[1] == SEND and type(r[4]).__name__ == "Prepare":
            seen[r[2]].add(str(r[4].ballot))
    return {p: len(b) for p, b in seen.items()}


def check_duel(stepper: Stepper) -> Verdict:
    s = _need(stepper, DUEL)
    cheats = {e: _count(s, e) for e in (DROP, DUPLICATE, CRASH)}
    tried = ballots(s)
    if any(cheats.values()):
        used = ", ".join(f"{n} {e}" for e, n in cheats.items() if n)
        return Verdict(False, ("only deliveries and timeouts in this puzzle",
                               f"this path has {used}"))
    if chosen(s):
        return Verdict(False, (f"a value was chosen: {sorted(set(chosen(s).values()))}",
                               f"ballots tried: {tried}"))
    if min(tried.values()) < DUEL_BALLOTS:
        return Verdict(False, (f"nothing chosen, ballots tried so far: {tried}",
                               f"keep going: {DUEL_BALLOTS} each"))
    return Verdict(True, (f"nothing chosen after {sum(tried.values())} ballots ({tried})",
                          "each new Prepare made the acceptors reject the other's Accept"))


def duel(stepper: Stepper, per_proposer: int = DUEL_BALLOTS) -> None:
    """Deliver in order whatever chooses nothing (a delivery that would choose a value is
    undone and left in flight); when nothing else can happen, fire the oldest timer; until
    each proposer has tried ``per_proposer`` ballots."""
    for p in sorted(a.node for a in stepper.actions if a.kind == "start"):
        stepper.step(f"s:{p}")
    for _ in range(MAX_MOVES):
        if min(ballots(stepper).values()) >= per_proposer:
            return
        if not _first(stepper, [a for a in stepper.candidates], lambda: not chosen(stepper)):
            stepper.step(next(a for a in stepper.actions if a.kind == "timeout"))
    raise RuntimeError("no duel within MAX_MOVES")  # pragma: no cover


def _first(stepper: Stepper, options: list[Action], keep: Callable[[], bool]) -> bool:
    """Take the first of ``options`` after which ``keep()`` holds (trying each: step, undo)."""
    for a in options:
        stepper.step(a)
        if keep():
            return True
        stepper.undo()
    return False


# -- 3: the planted bug -----------------------------------------------------------------------
def check_two_values(stepper: Stepper) -> Verdict:
    s = _need(stepper, BUG)
    broken = s.verdict()["agreement"]
    if broken is None:
        return Verdict(False, ("agreement still holds", f"chosen so far: "
                               f"{sorted(set(chosen(s).values())) or 'nothing'}"))
    return Verdict(True, (str(broken), f"in {s.steps} steps: {s.path}"))


def two_values(stepper: Stepper) -> SearchResult:
    """``search()`` for the shortest way to break a property from here, then deliver what is
    in flight, in order, until a second value is chosen."""
    found = stepper.search()
    for _ in range(MAX_MOVES):
        if stepper.verdict()["agreement"] is not None or not stepper.candidates:
            break
        stepper.step(stepper.candidates[0])
    return found


# -- 4: a promise survives a crash ------------------------------------------------------------
def check_promise_survives(stepper: Stepper) -> Verdict:
    s = _need(stepper, CRASH_CONFIG)
    promised: dict[str, object] = {}
    crashed: set[str] = set()
    for r in s.run.records:
        if r[1] == PROMISE:
            promised[r[2]] = r[4].promised
        elif r[1] == CRASH and r[2] in promised:
            crashed.add(r[2])
        elif r[1] == RECOVER and r[2] in crashed:
            state = s.world.states[s.cluster.nodes.index(r[2])]
            if state is None or state.acceptor is None:
                continue
            held = state.acceptor.promised
            nacks = [m for m in (x[4] for x in s.run.records if x[1] == SEND and x[2] == r[2])
                     if type(m).__name__ == "Nack"]
            lines = [f"{r[2]} promised {promised[r[2]]}, crashed, restarted: it still "
                     f"promises {held}"]
            if nacks:
                lines.append(f"and it refused a lower ballot: {message_text(nacks[-1])}")
            return Verdict(held == promised[r[2]] or bool(nacks), tuple(lines))
    return Verdict(False, ("no acceptor has crashed and restarted after promising yet",))


def promise_survives(stepper: Stepper) -> None:
    """p2 (the higher ballot) gets a promise from a1; a1 crashes and restarts; p1's lower
    Prepare then reaches a1, which refuses it."""
    hi, lo = sorted((p.node for p in stepper.cluster.proposers), reverse=True)[:2]
    acc = stepper.cluster.acceptors[0]
    stepper.step(f"s:{hi}")
    stepper.step(next(a for a in stepper.candidates if a.node == acc))
    stepper.step(f"c:{acc}")
    stepper.step(f"r:{acc}")
    stepper.step(f"s:{lo}")
    stepper.step(next(a for a in stepper.candidates if a.node == acc
                      and a.msg is not None and a.msg.src == lo))


# -- 5: take over a partitioned run when it heals ---------------------------------------------
def check_late_proposer(stepper: Stepper, proposer: str = "p1") -> Verdict:
    s = _need(stepper, PARTITION)
    if not s.path.startswith("run "):
        return Verdict(False, ("take over the run first: Stepper.from_run(run, time=...)",))
    mine = {b: v for (b, v) in chosen(s) if b.endswith(f".{proposer[1:]}")}
    if not mine:
        return Verdict(False, (f"no ballot of {proposer} chosen yet",
                               f"chosen so far: {sorted(set(chosen(s).values())) or 'nothing'}"))
    b, v = next(iter(mine.items()))
    others = sorted(set(chosen(s).values()) - {v})
    lines = [f"{proposer}'s ballot {b} chosen, with the value {v!r}"]
    if others:  # pragma: no cover - a safety violation: the checks above would say
        lines.append(f"and also {others}: agreement broken!")
    return Verdict(not others, tuple(lines))


def late_proposer(stepper: Stepper, proposer: str = "p1") -> None:
    """Deliver only ``proposer``'s messages and the replies to it, in order (fire its timer
    when nothing of it is in flight), until one of its ballots is chosen."""
    for _ in range(MAX_MOVES):
        if any(b.endswith(f".{proposer[1:]}") for b, _ in chosen(stepper)):
            return
        mine = [a for a in stepper.candidates if a.msg is not None
                and proposer in (a.msg.src, a.msg.dst)]
        if mine:
            stepper.step(mine[0])
        else:
            stepper.step(next(a for a in stepper.actions if a.kind in ("start", "timeout")
                              and a.node == proposer))
    raise RuntimeError("no ballot chosen within MAX_MOVES")  # pragma: no cover


__all__ = ["BUG", "CRASH_CONFIG", "DUEL", "FEWEST", "HEAL", "PARTITION", "Verdict",
           "ballots", "check_duel", "check_fewest", "check_late_proposer",
           "check_promise_survives", "check_two_values", "chosen", "duel", "fewest_messages",
           "fewest_possible", "late_proposer", "promise_survives", "two_values"]
