"""``check(history, model)``: linearizable or not, key by key, with the part that fails.

Operations on different keys of a key-value store are independent, so a history is
linearizable exactly when the history of each key is (P-compositionality, used by Jepsen's
Knossos and porcupine): the checker splits by key and searches each part on its own.

When a key's history is not linearizable, three steps find a small part that shows it:

1. **Where it breaks.** Cut the history at time *t*: operations called by *t* stay, and those
   still running at *t* become indeterminate (they may or may not have happened, results
   unknown). A cut of a linearizable history is linearizable, so there is a first completion
   *t* whose cut is not; binary search finds it. The operation completing at *t* is where it
   breaks.
2. **From where.** A quiet point is a call at which no operation with a known outcome is
   running. Forget every operation completed before it and start from *any* state (for the
   register: each value the history mentions, and one it does not): if the cut is still not
   linearizable from every one of them, the violation lies after that point. (Sound: in any
   linearization, the operations after the last forgotten one start from some state, and
   timed-out operations placed before it can be moved to the end.) Binary search finds the
   latest such point.
3. **What it needs.** In what is left, each operation in turn is made indeterminate, and stays
   so if the cut is still not linearizable. Making an operation indeterminate only adds
   behaviours, so what remains is still a proof: the operations left with a known outcome
   (``failing``) cannot be ordered, even if every other operation happened at any time after
   its call, or never. Each of them is needed (1-minimal), unless the search budget ran out
   (``minimal`` is then ``False``).

The steps are deterministic: the budget counts configurations, not seconds.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import UsageError
from .history import NEVER, History, Operation, parse_history, read_history
from .models import Model, check_operations, model_named
from .search import DEFAULT_MAX_STATES, SearchLimit, linearizable

__all__ = ["Linearizability", "check"]

MINIMISE_STATES = 400_000
"""Configurations, in all, that the searches making the failing part 1-minimal may cache."""
MINIMISE_TRIAL_STATES = 20_000
"""Configurations one of those searches may cache."""


@dataclass
class Linearizability:
    """The verdict on a history: ``linearizable`` is ``True``, ``False``, or ``None`` when the
    search limit was reached before an answer."""

    linearizable: bool | None
    model: str
    operations: int
    keys: int
    seconds: float
    history: History = field(repr=False)
    key: Hashable = None
    """The first key (in order of first use) whose history is not linearizable."""
    breaks_at: Operation | None = None
    """The operation whose completion no linearization of what came before can explain."""
    failing: list[Operation] = field(default_factory=list)
    """Operations that cannot be ordered (with the others of ``key`` indeterminate)."""
    minimal: bool = False
    since: int | None = None
    """Event position from which ``failing`` is shown to fail, starting from *any* state (the
    operations completed before it forgotten); ``None``: from the initial state."""
    reason: str = ""

    @property
    def since_line(self) -> int | None:
        """The line of the operation called at ``since``."""
        if self.since is None:
            return None
        return next(op.line for op in self.history.operations if op.call == self.since)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"linearizable": self.linearizable, "operations": self.operations,
                               "seconds": round(self.seconds, 3), "model": self.model,
                               "keys": self.keys}
        if self.linearizable is False:
            out["key"] = self.key
            out["breaks_at_line"] = self.breaks_at.line if self.breaks_at else None
            out["failing"] = [{"line": op.line, "process": op.process, "op": op.label}
                              for op in self.failing]
            out["minimal"] = self.minimal
            out["since_line"] = self.since_line
        if self.reason:
            out["reason"] = self.reason
        return out

    def __str__(self) -> str:
        verdict = {True: "linearizable", False: "NOT linearizable",
                   None: "unknown"}[self.linearizable]
        head = (f"{verdict}: {self.operations} operations on {self.keys} key(s), "
                f"{self.model} model, {self.seconds:.2f} s")
        if self.linearizable is None:
            return f"{head}\n{self.reason}"
        if not self.linearizable:
            key = "" if self.key is None else f" on key {self.key!r}"
            where = f"{self.breaks_at.label} (line {self.breaks_at.line})" \
                if self.breaks_at else "?"
            start = "from the initial state" if self.since_line is None else \
                f"from line {self.since_line} on, whatever the state was then"
            lines = [head, f"breaks{key} when {where} completes: {start}, these "
                     f"{len(self.failing)} operations cannot be ordered, even if the timed-out "
                     "ones happened at any time or never"
                     + ("" if self.minimal else " (not shown minimal: budget spent)") + ":"]
            lines += [f"  line {op.line:>5}  process {op.process!s:<4} {op.label}"
                      for op in self.failing]
            return "\n".join(lines)
        return head

    def figure(self, **kw: Any) -> Any:
        """The history as a timeline, one row per process, the failing operations marked."""
        from ..views.history import history_figure
        return history_figure(self, **kw)


def check(history: History | str | Path, model: str | Model = "register", *,
          max_states: int = DEFAULT_MAX_STATES) -> Linearizability:
    """Check ``history`` (a ``History``, or a path to a file ``read_history`` reads) against
    ``model`` (``"register"``, ``"kv"`` or a ``Model``)."""
    m = model_named(model)
    if isinstance(max_states, bool) or not isinstance(max_states, int) or max_states < 1:
        raise UsageError("max_states", "a positive integer", max_states)
    if not isinstance(history, History):
        history = read_history(history) if isinstance(history, Path) or "\n" not in history \
            else parse_history(history)
    check_operations(m, history.operations)
    start = time.perf_counter()
    parts = history.by_key() if m.partitioned else {None: history.operations}
    result = Linearizability(True, m.name, len(history), len(parts), 0.0, history)
    for key, ops in parts.items():
        seen = [op for op in ops if m.observed(op)]
        try:
            if linearizable(m, seen, max_states):
                continue
            result.linearizable, result.key = False, key
            (result.breaks_at, result.failing, result.minimal,
             result.since) = _explain(m, seen, max_states)
        except SearchLimit:
            result.linearizable = None
            result.reason = (f"the search of key {key!r} met more than {max_states:,} "
                             "configurations (raise max_states)")
        break_here = result.linearizable is not True
        if break_here:
            break
    result.seconds = time.perf_counter() - start
    return result


def _explain(m: Model, ops: list[Operation], max_states: int
             ) -> tuple[Operation, list[Operation], bool, int | None]:
    ends = sorted(op.ret for op in ops if op.ret != NEVER)
    lo, hi = 0, len(ends) - 1  # the cut at ends[hi] fails (it is the whole history's last end)
    while lo < hi:
        mid = (lo + hi) // 2
        if linearizable(m, _cut(ops, ends[mid]), max_states):
            lo = mid + 1
        else:
            hi = mid
    t = ends[lo]
    breaks_at = next(op for op in ops if op.ret == t)
    trial = _Trials(m, _cut(ops, t))
    trial.start_later()
    trial.minimise()
    by_id = {op.id: op for op in ops}
    failing = [by_id[op.id] for op in trial.cut if op.status != "info"]
    return breaks_at, failing, trial.complete, trial.since


class _Trials:
    """Weakenings of a non-linearizable cut that stay non-linearizable, within a budget."""

    def __init__(self, m: Model, cut: list[Operation]) -> None:
        self.m, self.cut = m, cut
        self.left, self.complete = MINIMISE_STATES, True
        self.since: int | None = None
        self.starts: list[Any] | None = None

    def broken(self, ops: list[Operation], starts: list[Any] | None) -> bool:
        """Whether ``ops`` is not linearizable from any of ``starts`` (default: the model's
        initial state); ``False`` when undecided within the budget."""
        seen = [o for o in ops if self.m.observed(o)]
        for init in [self.m.init] if starts is None else starts:
            if self.left <= 0:
                self.complete = False
                return False
            cached = [0]
            try:
                ok = linearizable(self.m, seen, min(self.left, MINIMISE_TRIAL_STATES), cached,
                                  init)
            except SearchLimit:
                self.complete, ok = False, True
            self.left -= cached[0]
            if ok:
                return False
        return True

    def start_later(self) -> None:
        """Forget the operations completed before a quiet point (no operation with a known
        outcome running), starting from any state, as late as the cut stays broken."""
        starts = self.m.any_state(self.cut)
        if starts is None:
            return
        known = [op for op in self.cut if op.status != "info"]
        quiet = [op.call for op in known if all(o.ret < op.call or o.call >= op.call
                                                for o in known)]
        # broken from s implies broken from any earlier quiet point: binary search the last
        lo, hi, best = 0, len(quiet) - 1, None
        while lo <= hi:
            mid = (lo + hi) // 2
            later = self.since_point(quiet[mid])
            if self.broken(later, starts):
                best, lo = mid, mid + 1
            else:
                hi = mid - 1
        if best is not None:
            self.cut, self.starts = self.since_point(quiet[best]), starts
            self.since = int(quiet[best])

    def since_point(self, s: float) -> list[Operation]:
        return [op for op in self.cut if op.call >= s or op.status == "info"]

    def minimise(self) -> None:
        """Make each operation with a known outcome indeterminate, if the cut stays broken;
        reads and failed cas first (they only observe: the cheapest searches)."""
        for i in sorted(range(len(self.cut)), key=lambda i: (not _observes(self.cut[i]), i)):
            op = self.cut[i]
            if op.status == "info":
                continue
            trial = [*self.cut[:i], _unknown(op), *self.cut[i + 1:]]
            if self.broken(trial, self.starts):
                self.cut = trial


def _observes(op: Operation) -> bool:
    return op.f in ("read", "get") or op.status == "fail"


def _cut(ops: list[Operation], t: float) -> list[Operation]:
    """The history up to time ``t``: later calls left out, operations still running made
    indeterminate (reads that are then unseen drop out)."""
    return [op if op.ret <= t else _unknown(op) for op in ops if op.call <= t
            if not (op.ret > t and op.f in ("read", "get"))]


def _unknown(op: Operation) -> Operation:
    return dataclasses.replace(op, status="info", ret=NEVER, output=None)
