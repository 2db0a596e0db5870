"""The explicit-state model checker: every reachable state of a model, counted as TLC counts.

Theory of operation. A ``Model`` says which states are initial, what each state can become and
which invariants must hold. ``explore`` searches breadth-first (the default, as TLC does) or
depth-first, keeping the set of states already seen; every distinct state is checked against
the invariants the moment it is first generated. Breadth-first search reaches every state by
a shortest path, so the first violation found comes with a shortest counterexample: the chain
of parents back to an initial state, then turned back into named actions by ``Model.actions``.

Sometimes-properties (``Model.sometimes``, Stateright's term: "a value can be chosen") are
tested on each new state until each is met, then never again; the first state that meets one
gives its witness path (shortest under breadth-first search). A complete search that never
meets one fails the check (``CheckResult.sometimes_failed``): a model that never decides fails.

States are kept as small exact values (one int for ``tla``, a tuple of interned ids for
``actors``): each is its own collision-free fingerprint, and the seen set maps it to its
parent, which is all a counterexample needs.

The figures mean what TLC's mean: ``distinct_states`` is the number of states found;
``total_states`` ("states generated") is the number of initial states plus one successor for
every way an action is enabled in every explored state, self-loops and duplicates included;
``depth`` is the number of breadth-first levels, the initial states being level 1.

Speed is the models' business: ``Model.successors`` returns only how many successors there
are plus the successor states themselves (self-loops may be left out, they are never new), and
the labelled, readable ``Model.actions`` is called only to explain a counterexample.

Reductions are sound or off. A model may merge or prune states on assumptions about its code
(see ``check.actors.reductions``); after every search, complete, partial or stopped at a
violation, ``Model.certify`` checks each assumption on the states explored. A reduction whose
certificate fails is switched off (``Model.without``) and the search runs again; the result's
``reductions_off`` says which and why. A search never ends in a traceback for it.

With ``symmetry=True`` each state is replaced by a canonical representative of its orbit under
the model's symmetry group (permutations of acceptors and values) before it is looked up, so
one representative stands for up to |G| states. Because a symmetric model's successor counts
and distances are the same on every member of an orbit, the raw (unreduced) figures are
recovered exactly from the reduced search: raw distinct = sum of orbit sizes, raw total =
initial states + sum of orbit size x successors generated; the depth does not change.

With ``por=True`` (partial-order reduction, breadth-first only) the model gives each state's
successors with sleep sets (``Model.sleep_successors``; for ``actors``, ``actors.sleep``): a
step that commutes with one already taken is counted but not taken. Every state is still
found, at its breadth-first level, so every figure and verdict is the one the search without
it gives and every counterexample is as short (a state may be reached first from another
parent, so in principle by another schedule of the same length; on every planted bug of
``scenarios`` it is the very same schedule); only fewer successor states are built.
It is the default (``por=None``) wherever it applies: a breadth-first search of a model that
has sleep sets. ``por=False`` is the plain search, kept for cross-checks.

A model may also run the sleep-set search a whole level at a time (``Model.vector_search``;
for ``actors`` on a set network, ``actors.vector``: states as rows of words, the model's own
tables as arrays, a hashed seen set checked word by word). It is one more interpreter of the
same model: given the model's numbering of messages, the same states in the same order,
parents, sleep sets, counters, violations, witnesses and stops at ``max_states`` as
``sleep_level`` gives. (It fills the model's tables a level at a time, so a fresh model may
number its messages in another order under it: a complete search's figures are the same, but
which of several equally short counterexamples comes first, and the counters at a stop, may
differ.) A hash collision (two rows, one hash) is detected and the search is done again
without it. It is the default wherever it applies (``vectorised=None``), taking over from
the Python loop at the first level of ``actors.vector.SWITCH`` states (smaller levels cost
less in Python); ``vectorised=False`` keeps the Python loop throughout.
"""

from __future__ import annotations

import time
from typing import Any, Generic

from ..core import UsageError
from ..gcpause import gc_paused
from .model import (
    Action,
    CheckResult,
    Collision,
    Counterexample,
    Invariant,
    Model,
    S,
    Sometimes,
    Witness,
)

__all__ = ["ORDERS", "Action", "CheckResult", "Counterexample", "Invariant", "Model", "Sometimes",
           "Witness", "explore", "has_sleep_sets"]

ORDERS = ("bfs", "dfs")
LIMIT_CHECK_EVERY = 512
"""Expanded states between two looks at the clock (and progress bar updates)."""


def explore(model: Model[S], *, order: str = "bfs", symmetry: bool = False,
            por: bool | None = None,
            max_states: int | None = None, max_seconds: float | None = None,
            stop_on_violation: bool = True, progress: bool = False,
            vectorised: bool | None = None) -> CheckResult:
    """Search every state of ``model`` reachable from its initial states.

    ``order``: ``bfs`` (shortest counterexamples, TLC's depth) or ``dfs``. ``max_states`` /
    ``max_seconds`` stop the search early; the result then has ``complete=False`` and says
    which limit was hit. ``stop_on_violation=False`` goes on after a violation and reports the
    first counterexample of each invariant. ``progress`` shows a ``tqdm.auto`` bar. ``por``
    (breadth-first only, models with ``Model.sleep_successors``) skips steps with sleep sets:
    the same states and figures, fewer successors built; ``None`` (the default) uses them
    wherever they apply (``has_sleep_sets``). ``vectorised`` runs the sleep-set search a level
    at a time as arrays where the model offers it (``Model.vector_search``; for ``actors``,
    from the first level of 2,000 states): the same states,
    figures, violations and paths (and the same stop at ``max_states``; ``max_seconds`` is
    looked at once a level); ``None`` (the default) uses it for every search with sleep sets
    of a model that offers it.
    """
    _check_args(order, max_states, max_seconds)
    if por is None:
        por = order == "bfs" and has_sleep_sets(model)
    if not isinstance(por, bool) or (por and order != "bfs"):
        raise UsageError("por", "True (breadth-first search only), False or None (on "
                                "wherever it applies)", por)
    if vectorised is not None and (not isinstance(vectorised, bool) or (
            vectorised and not (por and model.vector_search() is not None))):
        raise UsageError("vectorised", "True (a search with sleep sets of a model that offers "
                                       "it), False or None (on wherever it applies)",
                         vectorised)
    vector = por and vectorised is not False
    off: dict[str, str] = {}
    while True:
        search = _Search(model, symmetry, max_states, max_seconds, stop_on_violation, progress,
                         por)
        search.vector = model.vector_search() if vector else None
        try:
            with gc_paused():  # millions of states and tables, no cycles (``gcpause``)
                (search.bfs if order == "bfs" else search.dfs)()
        except Collision:  # two rows with one hash (never seen): search without arrays
            vector = False
            continue
        finally:
            search.close()
        failed = model.certify()  # every search, however it ended
        if not failed:
            result = search.result(order)
            result.vectorised = search.vector is not None and search.vector.seeded
            result.reductions_off = {**getattr(model, "reductions_off", {}), **off}
            result.reductions_narrowed = dict(getattr(model, "reductions_narrowed", {}))
            return result
        off.update({name: f"its certificate failed ({why}); searched again without it"
                    for name, why in failed.items()})
        model = model.without(failed)


def has_sleep_sets(model: Model[Any]) -> bool:
    """Does ``model`` give sleep-set successors (``Model.sleep_successors``)?"""
    return type(model).sleep_successors is not Model.sleep_successors


def _check_args(order: str, max_states: int | None, max_seconds: float | None) -> None:
    if order not in ORDERS:
        raise UsageError("order", "one of " + ", ".join(ORDERS), order)
    if max_states is not None and (isinstance(max_states, bool) or not isinstance(max_states, int)
                                   or max_states < 1):
        raise UsageError("max_states", "a positive integer", max_states)
    if max_seconds is not None and (isinstance(max_seconds, bool)
                                    or not isinstance(max_seconds, (int, float))
                                    or not max_seconds > 0):
        raise UsageError("max_seconds", "a positive number of seconds", max_seconds)


class _Stop(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Search(Generic[S]):
    """The state of one search: seen set with parents, counters, limits, violations."""

    def __init__(self, model: Model[S], symmetry: bool, max_states: int | None,
                 max_seconds: float | None, stop_on_violation: bool, progress: bool,
                 por: bool = False) -> None:
        self.model = model
        self.symmetry = symmetry
        self.por = por
        self.max_states = max_states
        self.deadline = None if max_seconds is None else time.perf_counter() + max_seconds
        self.stop_on_violation = stop_on_violation
        self.parents: dict[S, S | None] = {}
        self.total = 0
        self.raw_distinct = 0
        self.raw_total = 0
        self.orbits: dict[S, int] = {}
        self.depth = 0
        self.stop_reason = "exhausted"
        self.violations: list[Counterexample[S]] = []
        self.broken: set[str] = set()
        self.pending: list[Sometimes[S]] = list(model.sometimes)
        self.met: list[tuple[Sometimes[S], S]] = []
        self.start = time.perf_counter()
        self.seconds = 0.0
        self.bar: Any = None
        self.vector: Any = None
        """The model's level loop as arrays (``Model.vector_search``), if used."""
        if progress:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=max_states, unit=" states", desc=model.name, leave=True)

    # -- shared steps ---------------------------------------------------------------------
    def initial(self) -> list[S]:
        inits = self.model.initial_states()
        self.total = self.raw_total = len(inits)
        fresh: list[S] = []
        for s in inits:
            if self.symmetry:
                s, orbit = self.model.canonical(s)
                if s in self.parents:
                    continue
                self.orbits[s] = orbit
                self.raw_distinct += orbit
            elif s in self.parents:
                continue
            self.parents[s] = None
            fresh.append(s)
            self.judge(s)
        return fresh

    def meets(self, s: S) -> None:
        """Note the pending sometimes-properties that ``s`` meets (they are not tested again)."""
        for prop in self.model.satisfied(s, self.pending):
            self.pending.remove(prop)
            self.met.append((prop, s))

    def tested(self, s: S) -> tuple[str, ...]:
        """``Model.violated`` for the hot loop while some sometimes-property is pending."""
        if self.pending:
            self.meets(s)
        return self.model.violated(s)

    def judge(self, s: S) -> None:
        if self.pending:
            self.meets(s)
        names = self.model.violated(s)
        if not names or set(names) <= self.broken:
            return
        self.broken.update(names)
        cex = self.counterexample(s, names)
        self.violations.append(cex)
        self.depth = max(self.depth, len(cex.states))
        if self.stop_on_violation:
            raise _Stop("violation")

    def limits(self, expanded: int) -> None:
        if self.bar is not None:
            self.bar.n = len(self.parents)
            self.bar.refresh()
        if self.max_states is not None and len(self.parents) >= self.max_states:
            raise _Stop("max_states")
        if self.deadline is not None and time.perf_counter() > self.deadline:
            raise _Stop("max_seconds")

    def close(self) -> None:
        self.seconds = time.perf_counter() - self.start
        if self.bar is not None:
            self.bar.n = len(self.parents)
            self.bar.close()

    # -- breadth-first ----------------------------------------------------------------------
    def bfs(self) -> None:
        try:
            if self.vector is not None:
                self.vector.run(self)
                return
            frontier = self.initial()
            self.depth = 1 if frontier else 0
            sleeps: dict[S, Any] = dict.fromkeys(frontier, 0)
            while frontier:
                if self.por:
                    nxt, sleeps = self.sleep_level(frontier, sleeps)
                else:
                    nxt = (self.symmetric_level(frontier) if self.symmetry
                           else self.level(frontier))
                if nxt:
                    self.depth += 1
                frontier = nxt
        except _Stop as stop:
            self.stop_reason = stop.reason

    def level(self, frontier: list[S]) -> list[S]:
        """Expand one breadth-first level (the hot loop: locals only)."""
        parents, successors = self.parents, self.model.successors
        violated = self.tested if self.pending else self.model.violated
        nxt: list[S] = []
        append = nxt.append
        total = self.total
        try:
            for i, s in enumerate(frontier):
                n, succ = successors(s)
                total += n
                for t in succ:
                    if t not in parents:
                        parents[t] = s
                        append(t)
                        if violated(t):
                            self.total = total
                            self.judge(t)
                if not i % LIMIT_CHECK_EVERY:
                    self.total = total
                    self.limits(i)
        finally:
            self.total = total
        return nxt

    def symmetric_level(self, frontier: list[S]) -> list[S]:
        parents, orbits, model = self.parents, self.orbits, self.model
        nxt: list[S] = []
        for i, s in enumerate(frontier):
            n, succ = model.successors(s)
            self.total += n
            self.raw_total += orbits.pop(s) * n  # (kept only until expanded)
            for t in succ:
                if t in parents:  # already a representative: nothing new
                    continue
                rep, orbit = model.canonical(t)
                if rep not in parents:
                    parents[rep] = s
                    orbits[rep] = orbit
                    self.raw_distinct += orbit
                    nxt.append(rep)
                    self.judge(rep)
            if not i % LIMIT_CHECK_EVERY:
                self.limits(i)
        return nxt

    def sleep_level(self, frontier: list[S], sleeps: dict[S, Any]
                    ) -> tuple[list[S], dict[S, Any]]:
        """One level with sleep sets: each state is expanded once, with the intersection of
        the sleep sets it arrived with from the level before; arrivals at states of an earlier
        level or this one are ignored (``check.actors.sleep`` says why that is sound and keeps
        every state at its breadth-first distance)."""
        parents, orbits, model, symmetry = self.parents, self.orbits, self.model, self.symmetry
        successors, image = model.sleep_successors, model.sleep_image
        renaming = model.canonical_renaming if symmetry else None
        violated = self.tested if self.pending else model.violated
        nxt: list[S] = []
        append = nxt.append
        later: dict[S, Any] = {}
        total, raw_total, raw_distinct = self.total, self.raw_total, self.raw_distinct
        try:
            for i, s in enumerate(frontier):
                n, succ = successors(s, sleeps.pop(s))
                total += n
                if symmetry:  # (orbits are kept only until their state is expanded)
                    raw_total += orbits.pop(s) * n
                for t, z in succ:
                    if t in parents:
                        if t in later:
                            later[t] &= z
                        continue
                    if renaming is not None:
                        t, orbit, g = renaming(t)
                        if t in parents:  # an older state needs no image of its sleep set
                            if t in later:
                                later[t] &= image(g, z) if z else 0
                            continue
                        if z:
                            z = image(g, z)
                        orbits[t] = orbit
                        raw_distinct += orbit
                    parents[t] = s
                    later[t] = z
                    append(t)
                    if violated(t):
                        self.total, self.raw_total, self.raw_distinct = (total, raw_total,
                                                                         raw_distinct)
                        self.judge(t)
                if not i % LIMIT_CHECK_EVERY:
                    self.total, self.raw_total, self.raw_distinct = total, raw_total, raw_distinct
                    self.limits(i)
        finally:
            self.total, self.raw_total, self.raw_distinct = total, raw_total, raw_distinct
        return nxt, later

    # -- depth-first ------------------------------------------------------------------------
    def dfs(self) -> None:
        """Depth-first: ``depth`` is then the longest path of first discoveries."""
        try:
            stack = [(s, 1) for s in reversed(self.initial())]
            self.depth = 1 if stack else 0
            parents, model, i = self.parents, self.model, 0
            while stack:
                s, d = stack.pop()
                n, succ = model.successors(s)
                self.total += n
                if self.symmetry:
                    self.raw_total += self.orbits.pop(s) * n
                for t in succ:
                    orbit = 1
                    if self.symmetry:
                        t, orbit = model.canonical(t)
                    if t not in parents:
                        parents[t] = s
                        if self.symmetry:
                            self.orbits[t] = orbit
                            self.raw_distinct += orbit
                        stack.append((t, d + 1))
                        self.depth = max(self.depth, d + 1)
                        self.judge(t)
                i += 1
                if not i % LIMIT_CHECK_EVERY:
                    self.limits(i)
        except _Stop as stop:
            self.stop_reason = stop.reason

    # -- results ----------------------------------------------------------------------------
    def path_to(self, s: S) -> list[S]:
        if self.vector is not None and self.vector.seeded:
            return self.vector.path_to(s)
        path = [s]
        parent = self.parents[s]
        while parent is not None:
            path.append(parent)
            parent = self.parents[parent]
        return path[::-1]

    def counterexample(self, bad: S, names: tuple[str, ...]) -> Counterexample[S]:
        states, actions = self.concrete_path(bad, names)
        return Counterexample(names, self.model.explain(states[-1], names), actions, states,
                              self.model)

    def witness(self, prop: Sometimes[S], good: S) -> Witness[S]:
        states, actions = self.concrete_path(good, (prop.name,))
        return Witness(prop.name, prop.description, actions, states, self.model)

    def concrete_path(self, end: S, names: tuple[str, ...]) -> tuple[list[S], list[Action]]:
        """The named actions from an initial state to ``end`` (completed by ``Model.extend``
        for ``names``)."""
        reps = self.path_to(end)
        model = self.model
        states, actions = [reps[0]], []
        for rep in reps[1:]:  # under symmetry, follow concrete states whose orbits are reps
            for action, t in model.actions(states[-1]):
                if (model.canonical(t)[0] if self.symmetry else t) == rep:
                    states.append(t)
                    actions.append(action)
                    break
            else:  # pragma: no cover - a model whose actions and successors disagree
                raise RuntimeError(f"{model.name}: no action explains a step of the path")
        return model.extend(states, actions, names)

    def result(self, order: str) -> CheckResult:
        distinct = (self.vector.distinct if self.vector is not None and self.vector.seeded
                    else len(self.parents))
        return CheckResult(
            model=self.model.name, distinct_states=distinct, total_states=self.total,
            depth=self.depth, seconds=self.seconds, complete=self.stop_reason == "exhausted",
            stop_reason=self.stop_reason, violations=list(self.violations), order=order,
            symmetry=self.symmetry, por=self.por,
            raw_distinct_states=self.raw_distinct if self.symmetry else distinct,
            raw_total_states=self.raw_total if self.symmetry else self.total,
            parameters=dict(getattr(self.model, "parameters", {})),
            witnesses=[self.witness(prop, s) for prop, s in self.met],
            unmet=[p.name for p in self.pending])
