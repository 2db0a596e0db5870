"""Sleep sets (Godefroid) for the ``actors`` model: fewer transitions, every state still visited.

Theory of operation. Every step of the model is one node handling one event (a message, a
timer, a restart). Two steps of different nodes are independent: each reads and writes only
its own node's state, the network only grows (set) or loses only the message consumed by its
own receiver (multiset), the ghost history is a union, and pruning removes a message only
when its receiver ignores it for good (``Prune``'s certified assumption), so doing them in
either order gives the same state and neither disables the other. Two restarts are the one
exception: they share the restart budget, so they are dependent.

A sleep set is the set of steps that need not be taken from a state, because a sibling
explored earlier already covers every path that starts with them. Exploring step ``a`` of node
``i`` from ``s`` (sleep set ``Z``) gives ``s·a`` the sleep set of every step in ``Z`` or
explored from ``s`` before ``a`` that is independent of ``a``: the steps of other nodes.

Sleep sets prune transitions, never states (Godefroid 1996, ch. 5): every reachable state is
still reached, so every invariant and sometimes-property is judged on exactly the states the
plain search judges, and the engine still counts every enabled step (the figures are TLC's).
With breadth-first search the merge rule is: a state reached several times from the previous
level is expanded once, with the intersection of the sleep sets it arrived with; an arrival at
a state of an earlier or the same level is ignored. That keeps breadth-first distances exact
(each state is found at its level, so counterexamples stay shortest). The argument: let ``w``
be a shortest path from a state ``s`` at its exact level whose trace (``w`` up to swapping
adjacent independent steps) cannot begin with a step of ``s``'s sleep set ``Z``. Of the steps
that can begin it, take ``a``, the first one explored from ``s``; ``w`` is equivalent to
``a w1``, and ``s·a``, on a shortest path, is at the next level, so it is expanded with a
subset of the sleep set ``a`` gave it. ``w1`` cannot begin with a step ``b`` of that set: if
``b`` came from ``Z`` or was explored before ``a``, ``b a w1'`` is equivalent to ``w`` and begins
with ``b``, against the choice of ``a``; if ``b`` was a self-loop at ``s``, ``w`` would be a
shortest path beginning with a self-loop. By induction on the length of ``w``, the state it
reaches is found at its own level. Arrivals at older states are on longer paths and never
needed. (The same holds in the quotient by symmetry: renaming preserves steps and their
independence, so a sleep set carried by the renaming is as good as the original.)

A sleep set is one int: bit ``low + m`` for the delivery of message ``m`` (its receiver is the
message's ``dst``), and below ``low`` one bit per (node, timer) and per node's restart. Under
symmetry a sleep set is carried to the representative by the same renaming of nodes and
messages (``image``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import RESTART, SHIFT, TIMER_BASE, TIMERS, State, bits

if TYPE_CHECKING:
    from .model import ActorModel
    from .symmetry import _Renaming


class Sleep:
    """Sleep-set successors and sleep-set images for one ``ActorModel``."""

    def __init__(self, model: ActorModel) -> None:
        self.model = model
        n, nt = len(model.nodes), len(TIMERS)
        self.restart_bits = sum(1 << (n * nt + i) for i in range(n))
        self.low = n * nt + n
        self.own = [sum(1 << (i * nt + t) for t in range(nt)) | 1 << (n * nt + i)
                    for i in range(n)]
        """Per node: the bits of its timers and its restart."""
        self.n, self.nt = n, nt
        self._low_images: dict[tuple[int, int], int] = {}
        self._known = -1
        self._deps: list[int] = []

    def bit(self, i: int, code: int) -> int:
        if code == RESTART:
            return 1 << (self.n * self.nt + i)
        if code >= TIMER_BASE:
            return 1 << (i * self.nt + code - TIMER_BASE)
        return 1 << (self.low + code)

    def dependent(self, i: int, code: int) -> int:
        """The bits of every step dependent on node ``i`` handling ``code``: the steps of
        node ``i`` (and every restart, for a restart)."""
        out = (self.model.to[i] << self.low) | self.own[i]
        return out | self.restart_bits if code == RESTART else out

    def _masks(self) -> tuple[list[int], int]:
        """(``dependent`` of each node's deliveries and timeouts, the messages to learners
        kept aside: the model's ``inbox_mask``); the first recomputed only when a message has
        been interned since."""
        m = self.model
        known = len(m.dst)
        if known != self._known:
            self._known = known
            self._deps = [self.dependent(i, 0) for i in range(self.n)]  # 0: not a restart
        return self._deps, m.inbox_mask

    def successors(self, state: State, sleep: int) -> tuple[int, list[tuple[State, int]]]:
        """(every enabled step counted, the successors of the steps not asleep, each with its
        sleep set). Self-loops are left out, as by ``ActorModel.successors``."""
        m = self.model
        if m.network == "set":
            return self._set_successors(state, sleep)
        count, out, done = 0, [], 0
        for i, code, consumed in m._events(state):
            count += 1
            b = self.bit(i, code)
            if sleep & b:
                continue
            t = m.apply(state, i, code, consumed)
            if t != state:
                out.append((t, (sleep | done) & ~self.dependent(i, code)))
                done |= b
        return count, out

    def _set_successors(self, state: State, sleep: int) -> tuple[int, list[tuple[State, int]]]:
        """The set network's hot loop (``ActorModel._set_successors`` with sleep sets). A
        delivery found to be a self-loop also goes to sleep in every successor by a step of
        another node: there it is still a self-loop (its node has not moved, the network has
        only grown), so it stays asleep, at no cost, until its node takes a step."""
        m = self.model
        net = state[0]
        low = self.low
        dst, steps, step, apply = m.dst, m.steps, m.step, m.apply
        live = m.pruner.live if m.pruner is not None else None
        deps, aside = self._masks()
        net &= ~aside
        count = net.bit_count()
        x = net & ~(sleep >> low)
        awake: list[tuple[int, int, Any]] = []
        loops = 0
        while x:
            bit = x & -x
            x ^= bit
            mid = bit.bit_length() - 1
            i = dst[mid]
            lid = state[3 + i]
            hit = steps.get((lid << SHIFT) | mid)
            if hit is None:
                hit = step(i, lid, mid)
            if hit[0] == lid and hit[2] is None:  # a self-loop? (see ActorModel)
                new = hit[1] & ~state[0]  # (a learner's inbox too: resent, nothing is new)
                while new and live is not None:
                    b2 = new & -new
                    m2 = b2.bit_length() - 1
                    if live(state[3 + dst[m2]], m2):
                        break
                    new ^= b2
                if not new:
                    loops |= bit
                    continue
            awake.append((i, mid, hit))
        out: list[tuple[State, int]] = []
        done = sleep | (loops << low)
        # ActorModel.apply on a set network, inlined for deliveries (whose step is known)
        # and timeouts
        net, ghost, left = state[0], state[1], state[2]
        after = m.pruner.after if m.pruner is not None else None
        for i, mid, (lid, sends, delta) in awake:
            t_net = net | sends
            if after is not None and (sends or lid != state[3 + i]):
                t_net = after(t_net, i, lid, sends, state)
            t = (t_net, ghost if delta is None else m._ghost_add(ghost, delta), left,
                 *state[3:3 + i], lid, *state[4 + i:])
            out.append((t, done & ~deps[i]))
            done |= 1 << (low + mid)
        armed, nt = m.armed, self.nt
        for i, lid in enumerate(state[3:]):
            for code in armed[lid]:
                count += 1
                b = 1 << (i * nt + code - TIMER_BASE)  # bit(i, code)
                if sleep & b:
                    continue
                hit = steps.get((lid << SHIFT) | code)
                nid, sends, delta = step(i, lid, code) if hit is None else hit
                t_net = net | sends
                if after is not None and (sends or nid != lid):
                    t_net = after(t_net, i, nid, sends, state)
                t = (t_net, ghost if delta is None else m._ghost_add(ghost, delta), left,
                     *state[3:3 + i], nid, *state[4 + i:])
                out.append((t, done & ~deps[i]))
                done |= b
        if state[2]:
            for i in m.restartable:
                count += 1
                b = self.bit(i, RESTART)
                if sleep & b:
                    continue
                t = apply(state, i, RESTART, -1)
                if t != state:
                    out.append((t, done & ~self.dependent(i, RESTART)))
                    done |= b
        return count, out

    def image(self, g: _Renaming, sleep: int) -> int:
        """``sleep`` carried by the renaming ``g`` (as ``Symmetry`` carries the state)."""
        if g.identity or not sleep:
            return sleep
        low = self.low
        msgs = self.model.symmetry.net_image(g, sleep >> low) << low
        part = sleep & ((1 << low) - 1)
        if not part:
            return msgs
        key = (id(g), part)
        out = self._low_images.get(key)
        if out is None:
            out, n, nt = 0, self.n, self.nt
            for k in bits(part):
                if k < n * nt:
                    i, t = divmod(k, nt)
                    out |= 1 << (g.node_perm[i] * nt + t)
                else:
                    out |= 1 << (n * nt + g.node_perm[k - n * nt])
            self._low_images[key] = out
        return msgs | out



__all__ = ["Sleep"]
