"""Exact state-space reductions for the ``actors`` model, each with its assumption and the
certificate that checks it.

Every interleaving of real role code is a huge space, mostly of states that differ in ways no
one can ever observe. These reductions merge such states without losing a behaviour, as long
as their assumption holds. Each is an object the model holds (composition: the model asks it,
it reads the model's tables) with ``assumption``, the claim it rests on, and ``certify()``,
which checks that claim on everything the search created and returns why it failed, or
``None``. The engine certifies after every search and searches again without a reduction
whose certificate failed; ``ActorModel`` also switches off up front a reduction that a planted
bug is known to break (``UNSOUND_WITH``).

* **prune** (``Prune``): a message whose receiver, in its present state, would ignore it (no
  state change, nothing sent, no vote) is removed from the network.
* **merge idle nodes** (``MergeIdle``): a node that no property reads (a pure proposer), has no
  timer armed and would answer nothing it could receive can never act again; all its idle
  states are merged into one.
* **learners aside** (``LearnersAside``): a learner-only node sends nothing and nobody reads
  it, so its deliveries commute with every other step and can all be moved to the end of any
  run. Each state is checked for every value its learners could have learned from the
  Accepted messages already sent to them, and a counterexample is completed with those
  deliveries (``extend``).
* **alias** (``Alias``): two messages to one node that differ only in their sender and that
  every state of that node treats alike (Nacks from different acceptors) are one message.
* **symmetry** (``symmetry.Symmetry``): acceptors that host nothing else are interchangeable
  when the quorum system is; a state is replaced by the least of its renamings. Its
  assumption, that renaming commutes with every handler, holds by construction: the core's
  handlers never look at a node's name except to compare it for equality.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from itertools import product
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from ...core import Mutant, Promise
from ..engine import Action
from .base import SHIFT, State, bits

if TYPE_CHECKING:
    from .model import ActorModel

_OUTPUTS = ("Send", "SetTimer")

PROMISES_DIFFER = ("with this bug an acceptor can send two different Promises for one ballot, "
                   "and the proposer keeps the latest per acceptor, so a Promise it ignores "
                   "now can matter later")
UNSOUND_WITH: dict[str, dict[Mutant, tuple[str, tuple[type, ...]]]] = {
    "prune": {m: (PROMISES_DIFFER, (Promise,))
              for m in (Mutant.REUSE_BALLOT, Mutant.ACCEPT_BELOW_PROMISE,
                        Mutant.FORGET_PROMISE_ON_RESTART)},
}
"""Reductions that a planted bug is known to break, with why and the message types it breaks
them for: ``ActorModel`` keeps the reduction for the other message types (its certificate
still checks them) or, where no type is named, switches it off."""


def _field_names(msg: Any) -> tuple[str, ...]:
    if hasattr(msg, "_fields"):
        return tuple(msg._fields)
    return tuple(f.name for f in dataclasses.fields(msg))



class Reduction:
    name = ""
    assumption = ""

    def __init__(self, model: ActorModel) -> None:
        self.model = model

    def certify(self) -> str | None:
        """Why the assumption failed on what the search created, or ``None``."""
        return None


class Prune(Reduction):
    name = "prune"
    assumption = "a message its receiver ignores once, it ignores in every later state"

    def __init__(self, model: ActorModel, exempt: tuple[type, ...] = ()) -> None:
        super().__init__(model)
        self.exempt = exempt
        """Message types not pruned while their receiver works on their ballot (a planted bug
        breaks the assumption for them)."""
        self._live: dict[int, bool] = {}
        self._kept: dict[tuple[int, int], int] = {}
        self._receivers: dict[int, Callable[[State], tuple[Any, ...]]] = {}
        self._dead: dict[tuple[int, tuple[Any, ...]], int] = {}
        self.pruned: set[tuple[int, int]] = set()

    def live(self, lid: int, mid: int) -> bool:
        """Would delivering message ``mid`` to its destination in state ``lid`` do anything?"""
        key = (lid << SHIFT) | mid
        out = self._live.get(key)
        if out is None:
            m = self.model
            if m.is_aside(m.dst[mid]) or (self.exempt and self._exempt(lid, mid)):
                out = True
            else:
                nid, sends, delta = m.step(m.dst[mid], lid, mid)
                out = nid != lid or bool(sends) or delta is not None
                if not out:
                    self.pruned.add((lid, mid))
            self._live[key] = out
        return out

    def _exempt(self, lid: int, mid: int) -> bool:
        """Is ``mid`` of an exempt type and about the ballot its receiver is working on? (A
        message about an older ballot is ignored for good: a proposer's ballots only grow.)"""
        msg = self.model.message(mid)
        if type(msg) not in self.exempt:
            return False
        proposer = self.model.local(lid)[1].proposer
        return proposer is not None and proposer.ballot == msg.ballot

    def after(self, net: Any, i: int, lid: int, sends: Any, state: State) -> Any:
        """``net`` without the messages that node ``i`` (now in ``lid``) or the receivers of
        ``sends`` would ignore."""
        m, live = self.model, self.live
        dst = m.dst
        if m.network != "set":
            return tuple(x for x in net if live(lid if dst[x] == i else state[3 + dst[x]], x))
        mine = net & m.to[i]
        key = (lid, mine)
        kept = self._kept.get(key)
        if kept is None:
            kept = 0
            for mid in bits(mine):
                if live(lid, mid):
                    kept |= 1 << mid
            self._kept[key] = kept
        net = (net ^ mine) | kept
        ext = sends & ~m.to[i]
        if not ext:
            return net
        at = self._receivers.get(ext)
        if at is None:
            at = self._receivers[ext] = itemgetter(2, *(3 + dst[x] for x in bits(ext)))
        key2 = (ext, at(state))
        dead = self._dead.get(key2)
        if dead is None:
            dead = 0
            for mid in bits(ext):
                if not live(state[3 + dst[mid]], mid):
                    dead |= 1 << mid
            self._dead[key2] = dead
        return net & ~dead

    def all(self, net: Any, locs: list[int]) -> Any:
        dst, live = self.model.dst, self.live
        if self.model.network != "set":
            return tuple(x for x in net if live(locs[dst[x]], x))
        for mid in bits(net):
            if not live(locs[dst[mid]], mid):
                net ^= 1 << mid
        return net

    def certify(self) -> str | None:
        """Walk, from each state where a message was pruned, every state of its receiver the
        search created after it: the message must be ignored in each."""
        m = self.model
        edges: dict[int, set[int]] = {}
        for key, (nid, _, _) in list(m.steps.items()):
            edges.setdefault(key >> SHIFT, set()).add(nid)
        verified: dict[int, set[int]] = {}
        for lid, mid in sorted(self.pruned):
            done = verified.setdefault(mid, set())
            stack = [lid]
            while stack:
                cur = stack.pop()
                if cur in done:
                    continue
                done.add(cur)
                if self.live(cur, mid):
                    return (f"{m.describe(mid)} was dropped as ignored by "
                            f"{m.nodes[m.dst[mid]]} but matters in a later state")
                stack.extend(edges.get(cur, ()))
        return None


class MergeIdle(Reduction):
    name = "merge_idle"
    assumption = ("a node no property reads, with no timer armed, that answers no message it "
                  "could receive, never acts again")

    def __init__(self, model: ActorModel, nodes: frozenset[int]) -> None:
        super().__init__(model)
        self.nodes = nodes
        self._merge: dict[int, int] = {}
        self._rep: dict[int, int] = {}
        self.idle: set[int] = set()

    def canon(self, i: int, lid: int) -> int:
        if i not in self.nodes:
            return lid
        rep = self._merge.get(lid)
        if rep is None:
            rep = lid
            if self.silent(i, lid):
                self.idle.add(lid)
                rep = self._rep.setdefault(i, lid)
            self._merge[lid] = rep
        return rep

    def silent(self, i: int, lid: int) -> bool:
        """No timer armed, and no message to node ``i`` known so far makes it send, arm a
        timer or vote."""
        m = self.model
        if m.armed[lid]:
            return False
        for mid in bits(m.to[i]):
            _, effects, _ = m.react(i, lid, mid)
            if any(type(e).__name__ in _OUTPUTS or (type(e).__name__ == "Persist"
                                                    and getattr(e.state, "accepted", None))
                   for e in effects):
                return False
        return True

    def certify(self) -> str | None:
        """Re-explore each merged state under every message the search created for its node:
        it must stay silent in every state it can reach."""
        m = self.model
        for lid in sorted(self.idle):
            i = m.local(lid)[0]
            seen, stack = {lid}, [lid]
            while stack:
                cur = stack.pop()
                if not self.silent(i, cur):
                    return f"{m.nodes[i]} acts again after looking idle"
                for mid in bits(m.to[i]):
                    state, _, timers = m.react(i, cur, mid)
                    nxt = m.intern_local((i, m.shown(state), timers, m.local(cur)[3]))
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
        return None


class Alias(Reduction):
    name = "alias"
    assumption = ("two messages to one node that differ only in their sender, and that act "
                  "alike in the states where they were merged, act alike in every state")

    def __init__(self, model: ActorModel) -> None:
        super().__init__(model)
        self._rep: dict[int, int] = {}
        self._classes: dict[tuple[Any, ...], list[int]] = {}
        self.aliased: list[tuple[int, int]] = []

    def rep(self, mid: int) -> int:
        """The representative of ``mid``: the first message to the same node, equal but for
        its sender, that every known state of that node treats exactly as ``mid`` (a Nack from
        a1 or from a2, say). The network keeps representatives only."""
        out = self._rep.get(mid)
        if out is None:
            out = mid
            m = self.model
            d = m.dst[mid]
            if not m.is_aside(d) and m.node_lids[d]:
                msg = m.message(mid)
                key = (type(msg), *(getattr(msg, f) for f in _field_names(msg) if f != "src"))
                group = self._classes.setdefault(key, [])
                for r in group:
                    if self.same(d, r, mid):
                        out = r
                        self.aliased.append((r, mid))
                        break
                else:
                    group.append(mid)
            self._rep[mid] = out
        return out

    def same(self, d: int, r: int, x: int, evidence: bool = True) -> bool:
        """Do ``r`` and ``x`` act alike in every known state of node ``d`` (and, as evidence
        that those states are the relevant ones, act at all in one of them)?"""
        step, acted = self.model.step, not evidence
        for lid in list(self.model.node_lids[d]):
            a = step(d, lid, r)
            if a != step(d, lid, x):
                return False
            acted = acted or a[0] != lid or bool(a[1]) or a[2] is not None
        return acted

    def certify(self) -> str | None:
        """Re-compare every aliased pair in every state of the receiver the search created."""
        m = self.model
        for r, x in self.aliased:
            if not self.same(m.dst[x], r, x, evidence=False):
                return (f"{m.describe(x)} and {m.describe(r)} act differently for "
                        f"{m.nodes[m.dst[x]]}")
        return None


class LearnersAside(Reduction):
    name = "learners_aside"
    assumption = "a learner-only node never sends anything (its deliveries commute)"

    def __init__(self, model: ActorModel, nodes: frozenset[int]) -> None:
        super().__init__(model)
        self.nodes = nodes
        self.order = sorted(nodes)
        self._memo: dict[tuple[int, Any], dict[Any, list[int]]] = {}
        self._reached: dict[tuple[int, int, int], tuple[dict[int, int], tuple[Any, ...]]] = {}
        self.failure: str | None = None

    def inboxes(self, state: State) -> tuple[Any, ...]:
        m = self.model
        net = state[0]
        if m.network == "set":
            return tuple(net & m.to[i] for i in self.order)
        return tuple(tuple(x for x in net if m.dst[x] == i) for i in self.order)

    def learnable(self, i: int, lid: int, inbox: Any) -> dict[Any, list[int]]:
        """learned value -> shortest list of deliveries to learner ``i`` that reaches it."""
        key = (lid, inbox)
        memo = self._memo.get(key)
        if memo is not None:
            return memo
        m = self.model
        mids = bits(inbox) if m.network == "set" else list(inbox)
        out: dict[Any, list[int]] = {}
        start = (lid, tuple(mids))
        seen: dict[tuple[int, tuple[int, ...]], list[int]] = {start: []}
        frontier = [start]
        while frontier:
            nxt = []
            for cur in frontier:
                path = seen[cur]
                learner = m.local(cur[0])[1].learner
                out.setdefault(learner.learned if learner is not None else None, path)
                for j, mid in enumerate(cur[1]):
                    nid, sends, delta = m.step(i, cur[0], mid)
                    if (sends or delta is not None) and self.failure is None:
                        self.failure = f"{m.nodes[i]} sent a message"
                    rest = cur[1] if m.network == "set" else cur[1][:j] + cur[1][j + 1:]
                    if (nid, rest) not in seen:
                        seen[(nid, rest)] = [*path, mid]
                        nxt.append((nid, rest))
            frontier = nxt
        self._memo[key] = out
        return out

    def values(self, i: int, lid: int, inbox: Any) -> tuple[Any, ...]:
        """What learner ``i`` in state ``lid`` could learn from ``inbox``: the keys of
        ``learnable``, nearest first (values equally near may come in another order), on a set
        network computed incrementally: deliveries
        never consume a message, so the learner states reachable with ``inbox`` are those
        reachable with ``inbox`` less its newest message, closed under all of ``inbox``.
        (``learnable`` still finds the shortest deliveries, for ``extend``.)"""
        if self.model.network != "set":
            return tuple(self.learnable(i, lid, inbox))
        return self._reach(i, lid, inbox)[1]

    def _reach(self, i: int, lid: int, inbox: int) -> tuple[dict[int, int], tuple[Any, ...]]:
        """(learner states reachable from ``lid`` with ``inbox``, each with its breadth-first
        distance in ``learnable``'s search; what they learned, nearest first)."""
        key = (i, lid, inbox)
        hit = self._reached.get(key)
        if hit is not None:
            return hit
        m = self.model
        if not inbox:
            dist = {lid: 0}
        else:
            newest = 1 << (inbox.bit_length() - 1)
            dist = dict(self._reach(i, lid, inbox ^ newest)[0])
            mids = bits(inbox)
            # states already reached take the newest message; whatever is new takes every
            # message, until nothing new is reached (distances: a breadth-first relaxation)
            frontier = list(dist)
            first = True
            steps, step = m.steps, m.step
            while frontier:
                nxt: list[int] = []
                for cur in frontier:
                    d = dist[cur] + 1
                    base = cur << SHIFT
                    for mid in ((mids[-1],) if first else mids):
                        known = steps.get(base | mid)  # m.step, its memo inlined (hot)
                        nid, sends, delta = step(i, cur, mid) if known is None else known
                        if (sends or delta is not None) and self.failure is None:
                            self.failure = f"{m.nodes[i]} sent a message"
                        old = dist.get(nid)
                        if old is None or d < old:
                            dist[nid] = d
                            nxt.append(nid)
                frontier, first = nxt, False
        order = sorted(dist, key=dist.__getitem__)  # stable: ties keep discovery order
        seen: dict[Any, None] = {}
        for x in order:
            learner = m.local(x)[1].learner
            seen.setdefault(learner.learned if learner is not None else None, None)
        out = self._reached[key] = (dist, tuple(seen))
        return out

    def outcomes(self, state: State) -> list[dict[int, Any]]:
        """Every combination of what the learners kept aside could have learned."""
        choices = [self.values(i, state[3 + i], box)
                   for i, box in zip(self.order, self.inboxes(state), strict=True)]
        return [dict(zip(self.order, combo, strict=True)) for combo in product(*choices)]

    def extend(self, states: list[State], actions: list[Action],
               wanted: Callable[[dict[int, Any]], bool]) -> tuple[list[State], list[Action]]:
        """Complete a path with the learner deliveries that make the learners learn what
        ``wanted`` asks (a counterexample's violation, a witness's property)."""
        m = self.model
        state = states[-1]
        for learned in self.outcomes(state):
            if wanted(learned):
                break
        else:
            return states, actions
        states, actions = list(states), list(actions)
        for i, box in zip(self.order, self.inboxes(state), strict=True):
            for mid in self.learnable(i, state[3 + i], box)[learned[i]]:
                s = states[-1]
                consumed = -1 if m.network == "set" else s[0].index(mid)
                actions.append(m.action(s, i, mid, consumed))
                states.append(m.apply(s, i, mid, consumed))
        return states, actions

    def certify(self) -> str | None:
        return self.failure

