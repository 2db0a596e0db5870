"""``Stepper``: be the network of a Paxos deployment, one action at a time, with history.

The stepper holds a history tree of ``World`` values (``world``, ``history``); every step calls
``world.apply`` (the core's handlers) and records what happened, so ``run`` is a ``Run`` like
the simulator's and every view and property reads it unchanged. ``search`` hands the current
position to the model checker (``search`` module); ``from_run`` takes over a simulated run;
``from_check`` loads a checker's counterexample. Bad input raises ``UsageError`` and leaves the
stepper where it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..check.actors import ActorModel
from ..check.engine import explore
from ..check.model import CheckResult
from ..config import Config
from ..core import UsageError
from ..events import Record
from ..properties import PROPERTIES, Violation, check_history
from ..properties import History as Facts
from ..sim import simulate
from ..trace import Run
from .history import Branch, History, Position
from .search import From, SearchResult, complete, to_stepper
from .takeover import parse_head, takeover
from .world import KIND_OF_TOKEN, Action, World, actions, apply

__all__ = ["Broken", "SearchResult", "Stepper"]


@dataclass(frozen=True)
class Broken:
    """A safety property the current history violates, and the step that first broke it
    (``step`` 0: already broken where the stepper started)."""

    property: str
    message: str
    step: int
    action: str
    events: tuple[int, ...]
    """Rows of ``run.trace`` that break it (see ``paxosbook.properties.Violation``)."""

    def __str__(self) -> str:
        at = f"step {self.step} ({self.action})" if self.step else "the start"
        return f"{self.property}: {self.message}; broken at {at}"


class Stepper:
    """The reader is the network (see ``paxosbook.stepper``). ``Stepper(config, **fields)``
    starts at the initial state of the deployment ``config`` describes (a ``Config``, or its
    fields); its timing, loss and fault-schedule fields are ignored: the reader decides."""

    def __init__(self, config: Config | None = None, **fields: Any) -> None:
        if config is not None and not isinstance(config, Config):
            raise UsageError("config", "a paxosbook Config (or its fields as keywords)",
                             type(config).__name__)
        if config is None or fields:
            base = config.as_dict() if config is not None else {}
            config = Config.from_dict({**base, **fields})  # names an unknown field
        self._setup(config, World.initial(config.cluster()), (), "", 0)

    def _setup(self, config: Config, world: World, records: tuple[Record, ...], head: str,
               seed: int) -> None:
        self.config = config
        self.cluster = config.cluster()
        self.seed = seed
        self.history = History(world, records, self._broken(records), head)
        self._run: tuple[int, Run] | None = None

    @classmethod
    def _at(cls, config: Config, world: World, records: tuple[Record, ...], head: str,
            seed: int) -> Stepper:
        self = cls.__new__(cls)
        self._setup(config, world, records, head, seed)
        return self

    # -- where we are -----------------------------------------------------------------------
    @property
    def world(self) -> World:
        return self.history.here.world

    @property
    def actions(self) -> list[Action]:
        """Every enabled action, grouped by kind (start, deliver, drop, duplicate, timeout,
        crash, restart)."""
        return actions(self.cluster, self.world)

    @property
    def candidates(self) -> list[Action]:
        """The deliveries enabled now (what a diagram draws faintly as the next steps)."""
        return [a for a in self.actions if a.kind == "deliver"]

    def pending(self) -> dict[str, list[Action]]:
        """The deliveries in flight grouped by receiver (every node, in the cluster's order;
        a down node's messages are listed but cannot be delivered until it restarts)."""
        out: dict[str, list[Action]] = {n: [] for n in self.cluster.nodes}
        for mid, msg in self.world.pending:
            out[msg.dst].append(Action("deliver", msg.dst, msg, mid))
        return out

    def timers(self) -> dict[str, tuple[str, ...]]:
        """Each node's armed timers."""
        return {n: tuple(sorted(t.value for t in self.world.timers[i]))
                for i, n in enumerate(self.cluster.nodes)}

    def nodes(self) -> dict[str, str]:
        """Each node's status: ``up``, ``down`` or ``not started`` (a proposer)."""
        proposers = {p.node for p in self.cluster.proposers}
        w = self.world
        return {n: "down" if not w.up(i) else
                "not started" if n in proposers and n not in w.started else "up"
                for i, n in enumerate(self.cluster.nodes)}

    @property
    def position(self) -> Position:
        return self.history.here

    @property
    def steps(self) -> int:
        """The number of steps from the start to the current position."""
        return self.history.here.depth

    # -- moving -----------------------------------------------------------------------------
    def step(self, action: int | str | Action) -> Action:
        """Take ``action``: an index into ``actions``, a label, a path token or an ``Action``.
        Stepping after an undo opens a new branch."""
        enabled = self.actions
        chosen = _pick(enabled, action)
        here = self.history.here
        known = self.history.child(chosen)
        if known is None:
            world, records = apply(self.cluster, here.world, chosen)
            full = [r for p in self.history.line() for r in p.records] + records
            known = self.history.add(chosen, world, tuple(records), self._broken(full))
        self.history.move(known.id)
        return chosen

    def undo(self) -> Action:
        """Go back one step; ``redo`` comes back."""
        here = self.history.here
        if here.parent is None or here.action is None:
            raise UsageError("undo", "a step taken (the stepper is at its start)", "undo")
        self.history.move(here.parent)
        self.history.here.last_child = here.id
        return here.action

    def redo(self) -> Action:
        """Take again the step last undone (or last taken) from here."""
        nxt = self.history.here.last_child
        if nxt is None:
            raise UsageError("redo", "a step undone from here (nothing to redo)", "redo")
        self.history.move(nxt)
        action = self.history.here.action
        assert action is not None
        return action

    @property
    def branches(self) -> list[Branch]:
        """The leaves of the history tree: ``goto`` one by its ``id`` or the ``Branch``."""
        return self.history.branches()

    def tree(self) -> list[dict[str, Any]]:
        """The history tree, one row per position: ``id``, ``parent``, ``label`` of the action
        that led there, ``depth``, ``broken`` properties, and whether it is ``current`` or on
        the ``line`` from the start to the current position."""
        line = {p.id for p in self.history.line()}
        return [{"id": p.id, "parent": p.parent,
                 "label": p.action.label if p.action is not None else "",
                 "depth": p.depth, "broken": p.broken, "current": p.id == self.history.current,
                 "line": p.id in line} for p in self.history.positions]

    def goto(self, target: int | Branch) -> None:
        """Move to a position of the history tree (a ``Branch`` or a position id)."""
        pid = target.id if isinstance(target, Branch) else target
        if isinstance(pid, bool) or not isinstance(pid, int) \
                or not 0 <= pid < len(self.history.positions):
            raise UsageError("goto", f"a Branch or a position id in [0, "
                             f"{len(self.history.positions) - 1}]", target)
        self.history.move(pid)

    def _walk(self, steps: Sequence[int | str | Action]) -> None:
        """Take ``steps`` in order, or none of them (back where it was on an error)."""
        start = self.history.current
        try:
            for s in steps:
                self.step(s)
        except Exception:
            self.history.move(start)
            raise

    # -- what happened ----------------------------------------------------------------------
    @property
    def path(self) -> str:
        """A short text that replays the current position: ``Stepper.replay(config, path)``."""
        return self.history.path()

    @property
    def run(self) -> Run:
        """The history up to the current position as a ``Run`` (time = step number, or the
        simulated time before a ``from_run`` takeover)."""
        here = self.history.current
        if self._run is None or self._run[0] != here:
            records = [r for p in self.history.line() for r in p.records]
            self._run = (here, Run(self.config, self.seed, records, "stepper"))
        return self._run[1]

    @property
    def violations(self) -> list[Broken]:
        """The safety properties the current history violates, each with the step that first
        broke it."""
        line = self.history.line()
        out = []
        for v in self._violations(self.run.records):
            first = next(p for p in line if v.property in p.broken)
            label = first.action.label if first.action is not None else ""
            out.append(Broken(v.property, v.message, first.depth, label, v.events))
        return out

    def verdict(self) -> dict[str, Broken | None]:
        """Every safety property by name (``paxosbook.properties.PROPERTIES``, in order): how
        the current history breaks it, or ``None`` while it holds (a badge per property)."""
        broken = {b.property: b for b in self.violations}
        return {p.name: broken.get(p.name) for p in PROPERTIES}

    def _violations(self, records: Sequence[Record]) -> list[Violation]:
        return check_history(Facts.from_records(records, self.cluster.quorums))

    def _broken(self, records: Sequence[Record]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.property for v in self._violations(records)))

    # -- other ways in ----------------------------------------------------------------------
    @classmethod
    def replay(cls, config: Config, path: str) -> Stepper:
        """The stepper at the end of ``path`` (as ``Stepper.path`` writes it)."""
        if not isinstance(path, str):
            raise UsageError("path", "a string of action tokens, as Stepper.path writes",
                             type(path).__name__)
        head, sep, tokens = path.partition(";")
        if sep:
            seed, time = parse_head(head)
            stepper = cls.from_run(simulate(config, seed), time=time)
        else:
            stepper, tokens = cls(config), path
        for k, token in enumerate(tokens.split()):
            if token[:1] not in KIND_OF_TOKEN or not any(a.token == token
                                                         for a in stepper.actions):
                raise UsageError("path", f"tokens that replay from the start; step {k + 1} is "
                                 "not enabled there", token)
            stepper.step(token)
        return stepper

    @classmethod
    def from_run(cls, run: Run, time: float) -> Stepper:
        """Take over the simulated ``run`` at ``time``: its events up to ``time`` replayed,
        messages in flight then pending, proposers not yet started startable (see
        ``takeover``: later crashes and partitions are the reader's to make)."""
        world, records, head = takeover(run, time)
        return cls._at(run.config, world, records, head, run.seed)

    @classmethod
    def from_check(cls, result: CheckResult) -> Stepper:
        """Load the first counterexample of a model-checker ``result`` (``actors`` model) as
        the current branch, from the deployment's initial state."""
        cex = result.violations[0] if isinstance(result, CheckResult) and result.violations \
            else None
        model = getattr(cex, "model", None)
        if not isinstance(model, ActorModel):
            raise UsageError("result", "a CheckResult of the actors model with a "
                             "counterexample", str(result).splitlines()[0])
        assert cex is not None
        stepper = cls(model.config)
        prefix = complete(stepper.cluster, stepper.world)
        stepper._walk(prefix)
        stepper._walk(to_stepper(model, stepper.cluster, stepper.world, cex.actions))
        return stepper

    def search(self, max_depth: int | None = None, max_states: int = 200_000, *,
               restarts: int = 0, max_attempts: int = 2, network: str = "set") -> SearchResult:
        """Can it go wrong from here? Run the model checker from the current position and
        load the shortest path to a violation as a new branch, or say that none exists within
        the bounds. The checker's ``actors`` model explores ``network`` (set: any message may
        also be lost or received twice) with ``restarts`` acceptor crash-restarts and, when
        the config leaves ballots unbounded, ``max_attempts`` more per proposer than the most
        any has tried so far; ``max_depth`` counts its steps (deliveries, timeouts, restarts)
        after the restarts and starts that complete the position (``search`` module)."""
        if max_depth is not None and (isinstance(max_depth, bool)
                                      or not isinstance(max_depth, int) or max_depth < 0):
            raise UsageError("max_depth", "an integer >= 0 or None (no bound)", max_depth)
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) \
                or max_attempts < 1:
            raise UsageError("max_attempts", "an integer >= 1", max_attempts)
        config = self.config
        if config.max_attempts == 0:
            tried = max((s.proposer.attempts for s in self.world.states
                         if s is not None and s.proposer is not None), default=0)
            config = config.replace(max_attempts=tried + max_attempts)
        model = ActorModel(config, network=network, restarts=restarts)
        prefix = complete(self.cluster, self.world)
        world, records = self.world, list(self.run.records)
        for a in prefix:
            world, more = apply(self.cluster, world, a)
            records += more
        space = From(model, world, records, restarts, max_depth)
        result = explore(space, max_states=max_states)
        cut = space.cut
        if not result.violations:
            return SearchResult(False, (), "", (), 0, result, max_depth, cut)
        cex = result.violations[0]
        inner = cex.model.model  # type: ignore[attr-defined]
        steps = prefix + to_stepper(inner, self.cluster, world, cex.actions)
        self._walk(steps)
        return SearchResult(True, cex.invariants, cex.message, tuple(a.label for a in steps),
                            len(cex.actions), result, max_depth, cut)


def _pick(enabled: list[Action], action: int | str | Action) -> Action:
    if isinstance(action, Action):
        if action in enabled:
            return action
    elif isinstance(action, str):
        for a in enabled:
            if action in (a.label, a.token):
                return a
    elif isinstance(action, int) and not isinstance(action, bool) \
            and 0 <= action < len(enabled):
        return enabled[action]
    raise UsageError("action", f"one of the {len(enabled)} enabled actions (an index in "
                     f"[0, {len(enabled) - 1}], a label or a path token; see .actions)",
                     str(action))
