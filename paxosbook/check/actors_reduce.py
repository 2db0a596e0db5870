"""Exact state-space reductions for the ``actors`` model, and the checks they rest on.

Every interleaving of real role code is a huge space, mostly of states that differ in ways no
one can ever observe. These reductions merge such states without losing a behaviour:

* **prune** (``prune_after``): a message whose receiver, in its present state, would ignore it
  (no state change, nothing sent, no vote) is removed from the network. Sound as long as the
  receiver would go on ignoring it in every later state; ``certify`` checks exactly that over
  the receiver's state graph explored by the search, and raises if it ever fails.
* **merge idle nodes** (``canon_local``): a node that no property reads (a pure proposer) and
  that has no timer armed and would answer nothing it could receive can never act again; all
  its idle states are merged into one. ``certify`` re-explores each merged state under every
  message the search ever created for that node and checks it stays silent.
* **learners aside** (``outcomes``): a learner-only node sends nothing and nobody reads it, so
  its deliveries commute with every other step and can all be moved to the end of any run. The
  search leaves learners untouched; each state is checked for every value its learners could
  have learned from the Accepted messages already sent to them, and a counterexample is
  completed with those deliveries (``extend``).
* **alias** (``alias``): two messages to one node that differ only in their sender and that
  every state of that node treats alike (Nacks from different acceptors) are one message;
  ``certify`` re-compares them in every state of the receiver the search created.
* **symmetry** (``actors_symmetry``): acceptors that host nothing else are interchangeable
  when the quorum system is; a state is replaced by the least of its renamings.
"""

from __future__ import annotations

import dataclasses
from itertools import product
from typing import Any

from .actors_base import SHIFT, Local, State
from .actors_symmetry import Symmetry
from .engine import Action

_OUTPUTS = ("Send", "SetTimer")


def _field_names(msg: Any) -> tuple[str, ...]:
    if hasattr(msg, "_fields"):
        return tuple(msg._fields)
    return tuple(f.name for f in dataclasses.fields(msg))


class Reductions(Symmetry):
    """The reductions, mixed into ``ActorModel`` (which provides the attributes below)."""

    def _setup_reductions(self, prune: bool, merge_idle: bool, learners_aside: bool,
                          alias: bool) -> None:
        roles = [self.cluster.make_node(n).roles() for n in self.nodes]
        self.prune = prune
        self.watched = tuple(i for i, r in enumerate(roles) if "acceptor" in r or "learner" in r)
        self.aside = frozenset(i for i, r in enumerate(roles)
                               if learners_aside and r == ("learner",))
        self.mergeable = frozenset(i for i, _ in enumerate(roles)
                                   if merge_idle and i not in self.watched)
        self.restartable = tuple(i for i, r in enumerate(roles) if "acceptor" in r)
        self.symmetric = tuple(i for i, r in enumerate(roles) if r == ("acceptor",))
        self._live: dict[int, bool] = {}
        self._kept: dict[tuple[int, int], int] = {}
        self._pruned: set[tuple[int, int]] = set()
        self._merge: dict[int, int] = {}
        self._idle_rep: dict[int, int] = {}
        self._idle: set[int] = set()
        self.aliasing = alias
        self._rep: dict[int, int] = {}
        self._classes: dict[tuple[Any, ...], list[int]] = {}
        self._aliased: list[tuple[int, int]] = []
        self._outcome_memo: dict[tuple[int, Any], dict[Any, list[int]]] = {}
        self._setup_symmetry()

    # -- prune ------------------------------------------------------------------------------
    def live(self, lid: int, mid: int) -> bool:
        """Would delivering message ``mid`` to its destination in state ``lid`` do anything?"""
        key = (lid << SHIFT) | mid
        out = self._live.get(key)
        if out is None:
            if self._dst[mid] in self.aside:
                out = True
            else:
                nid, sends, delta = self.step(self._dst[mid], lid, mid)
                out = nid != lid or bool(sends) or delta is not None
                if not out:
                    self._pruned.add((lid, mid))
            self._live[key] = out
        return out

    def prune_after(self, net: Any, i: int, lid: int, sends: Any, state: State) -> Any:
        """``net`` without the messages that node ``i`` (now in ``lid``) or the receivers of
        ``sends`` would ignore."""
        if self.network != "set":
            dst, live = self._dst, self.live
            return tuple(m for m in net if live(lid if dst[m] == i else state[3 + dst[m]], m))
        mine = net & self._to[i]
        key = (lid, mine)
        kept = self._kept.get(key)
        if kept is None:
            kept, x = 0, mine
            while x:
                low = x & -x
                x ^= low
                if self.live(lid, low.bit_length() - 1):
                    kept |= low
            self._kept[key] = kept
        net = (net ^ mine) | kept
        others = sends & ~self._to[i]
        while others:
            low = others & -others
            others ^= low
            mid = low.bit_length() - 1
            if not self.live(state[3 + self._dst[mid]], mid):
                net ^= low
        return net

    def prune_all(self, net: Any, locs: list[int]) -> Any:
        if not self.prune:
            return net
        dst, live = self._dst, self.live
        if self.network != "set":
            return tuple(m for m in net if live(locs[dst[m]], m))
        x = net
        while x:
            low = x & -x
            x ^= low
            mid = low.bit_length() - 1
            if not live(locs[dst[mid]], mid):
                net ^= low
        return net

    # -- alias messages that no receiver can tell apart -------------------------------------
    def alias(self, mid: int) -> int:
        """The representative of ``mid``: the first message to the same node, equal but for
        its sender, that every state of that node treats exactly as ``mid`` (a Nack from a1 or
        from a2, say). The network keeps representatives only."""
        rep = self._rep.get(mid)
        if rep is None:
            rep = mid
            d = self._dst[mid]
            if self.aliasing and d not in self.aside and self._node_lids[d]:
                msg = self._msgs[mid]
                key = (type(msg), *(getattr(msg, f) for f in _field_names(msg) if f != "src"))
                group = self._classes.setdefault(key, [])
                for r in group:
                    if self._same(d, r, mid):
                        rep = r
                        self._aliased.append((r, mid))
                        break
                else:
                    group.append(mid)
            self._rep[mid] = rep
        return rep

    def _same(self, d: int, r: int, m: int, evidence: bool = True) -> bool:
        """Do ``r`` and ``m`` act alike in every known state of node ``d`` (and, as evidence
        that those states are the relevant ones, act at all in one of them)?"""
        step, acted = self.step, not evidence
        for lid in list(self._node_lids[d]):
            a = step(d, lid, r)
            if a != step(d, lid, m):
                return False
            acted = acted or a[0] != lid or bool(a[1]) or a[2] is not None
        return acted

    # -- merge idle nodes -------------------------------------------------------------------
    def canon_local(self, i: int, value: Local) -> int:
        lid = self.intern_local(value)
        if i not in self.mergeable:
            return lid
        rep = self._merge.get(lid)
        if rep is None:
            rep = lid
            if self._silent(i, lid):
                self._idle.add(lid)
                rep = self._idle_rep.setdefault(i, lid)
            self._merge[lid] = rep
        return rep

    def _silent(self, i: int, lid: int, universe: int | None = None) -> bool:
        """No timer armed, and no message to node ``i`` known so far makes it send, arm a
        timer or vote."""
        if self._armed[lid]:
            return False
        x = self._to[i] if universe is None else universe
        while x:
            low = x & -x
            x ^= low
            _, effects, _ = self.react(i, lid, low.bit_length() - 1)
            if any(type(e).__name__ in _OUTPUTS or (type(e).__name__ == "Persist"
                                                    and getattr(e.state, "accepted", None))
                   for e in effects):
                return False
        return True

    # -- certificate ------------------------------------------------------------------------
    def certify(self) -> None:
        """Check the assumptions of ``prune`` and ``merge_idle`` (see the module docstring);
        raise ``RuntimeError`` naming the first one that fails."""
        from .freeze import freeze

        for lid in sorted(self._idle):  # idle states stay idle under every message there is
            i = self._locals[lid][0]
            seen, stack = {lid}, [lid]
            while stack:
                cur = stack.pop()
                if not self._silent(i, cur, self._to[i]):
                    raise RuntimeError(
                        f"merging idle states was unsound: {self.nodes[i]} acts again after "
                        "looking idle; check again with merge_idle=False")
                x = self._to[i]
                while x:
                    low = x & -x
                    x ^= low
                    node, _, timers = self.react(i, cur, low.bit_length() - 1)
                    nxt = self.intern_local((i, freeze(node), timers, self._locals[cur][3]))
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
        edges: dict[int, set[int]] = {}
        for key, (nid, _, _) in list(self._steps.items()):
            edges.setdefault(key >> SHIFT, set()).add(nid)
        verified: dict[int, set[int]] = {}
        for r, m in self._aliased:  # aliases behave alike in every state of their receiver
            if not self._same(self._dst[m], r, m, evidence=False):
                raise RuntimeError(
                    f"aliasing was unsound: {self._msgs[m]} and {self._msgs[r]} differ for "
                    f"{self.nodes[self._dst[m]]}; check again with alias=False")
        for lid, mid in sorted(self._pruned):  # ignored once, ignored in every later state
            done = verified.setdefault(mid, set())
            stack = [lid]
            while stack:
                cur = stack.pop()
                if cur in done:
                    continue
                done.add(cur)
                if self.live(cur, mid):
                    raise RuntimeError(
                        f"pruning was unsound: message {mid} to {self.nodes[self._dst[mid]]} "
                        "was dropped as ignored but matters in a later state; check again "
                        "with prune=False")
                stack.extend(edges.get(cur, ()))

    # -- learners aside ---------------------------------------------------------------------
    def inboxes(self, state: State) -> tuple[Any, ...]:
        if not self.aside:
            return ()
        net = state[0]
        if self.network == "set":
            return tuple(net & self._to[i] for i in sorted(self.aside))
        return tuple(tuple(m for m in net if self._dst[m] == i) for i in sorted(self.aside))

    def _learnable(self, i: int, lid: int, inbox: Any) -> dict[Any, list[int]]:
        """learned value -> shortest list of deliveries to learner ``i`` that reaches it."""
        key = (lid, inbox)
        memo = self._outcome_memo.get(key)
        if memo is not None:
            return memo
        mids: list[int] = []
        if self.network == "set":
            x = inbox
            while x:
                low = x & -x
                x ^= low
                mids.append(low.bit_length() - 1)
        else:
            mids = list(inbox)
        out: dict[Any, list[int]] = {}
        start = (lid, tuple(mids))
        seen: dict[tuple[int, tuple[int, ...]], list[int]] = {start: []}
        frontier = [start]
        while frontier:
            nxt = []
            for cur in frontier:
                path = seen[cur]
                learned = self._locals[cur[0]][1][2][1]
                out.setdefault(learned, path)
                for j, mid in enumerate(cur[1]):
                    nid, sends, delta = self.step(i, cur[0], mid)
                    if sends or delta is not None:
                        raise RuntimeError(f"learners_aside: {self.nodes[i]} sent a message; "
                                           "check again with learners_aside=False")
                    rest = cur[1] if self.network == "set" else cur[1][:j] + cur[1][j + 1:]
                    if (nid, rest) not in seen:
                        seen[(nid, rest)] = [*path, mid]
                        nxt.append((nid, rest))
            frontier = nxt
        self._outcome_memo[key] = out
        return out

    def outcomes(self, state: State) -> list[dict[int, Any]]:
        """Every combination of what the learners kept aside could have learned."""
        if not self.aside:
            return [{}]
        order = sorted(self.aside)
        choices = [list(self._learnable(i, state[3 + i], box))
                   for i, box in zip(order, self.inboxes(state), strict=True)]
        return [dict(zip(order, combo, strict=True)) for combo in product(*choices)]

    def extend(self, states: list[State], actions: list[Action],
               names: tuple[str, ...]) -> tuple[list[State], list[Action]]:
        """Complete a counterexample with the learner deliveries its violation needs."""
        from ..properties import check_snapshot

        state = states[-1]
        for learned in self.outcomes(state):
            found = check_snapshot(self.snapshot(state, learned), self.cluster.quorums)
            if any(v.property in names for v in found):
                break
        else:
            return states, actions
        states, actions = list(states), list(actions)
        for i, box in zip(sorted(self.aside), self.inboxes(state), strict=True):
            for mid in self._learnable(i, state[3 + i], box)[learned[i]]:
                s = states[-1]
                consumed = -1 if self.network == "set" else s[0].index(mid)
                actions.append(self.action(s, i, mid, consumed))
                states.append(self.apply(s, i, mid, consumed))
        return states, actions
