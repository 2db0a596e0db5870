"""The certificate of ``settle``: what settling relied on, checked with the real handlers.

``Settler`` decides that a message is inert, or that a learner's votes are frozen, by
conditions that restate the handlers' logic. While a settled search runs it records what it
relied on (``Settler.taken``, ``Settler.cleared``); afterwards ``Certificate.check`` runs the
core's own handlers on those records and on every later state of the receiver that the search
created, and ``bounded_response`` searches again without settling if the check fails (as the
``actors`` engine does with a failed reduction). It re-derives none of settle's conditions.

Theory of operation. A record is taken in a stable state ``t`` (renumbered, so every round
in it is at most ``R``, the highest round of any message the search interned), and the
certificate works in ``t``'s rounds:

* **Once** (a message ``m`` taken out with one step): delivered to its receiver's state, ``m``
  leaves the node state and its timers as they were and sends nothing but messages to a stopped
  proposer (lost). Then the same for every later state of the receiver: the walk follows the
  receiver's transitions that the search made (``System``'s memoised deliveries), found up to
  a shift of rounds (and, with symmetry, a renaming of the acceptors) and carried into ``t``'s
  rounds. Timeouts are not followed: a stable timer fires only when nothing is in flight, and
  ``m`` is in flight until it is delivered.
* **Twice** (a ``Prepare`` or ``Accept`` of the single active proposer ``p`` below the
  acceptor's promise): delivered, it leaves the acceptor as it was and sends exactly one live
  message, to ``p``, which is certified "once" at ``p``'s state (so for every later state of
  ``p``): two steps. In every later state of the acceptor (walked as above) ``m`` still leaves
  it as it was and answers ``p`` alone.
* **Cleared votes**: every message in flight to the learner when its frozen votes ``V`` were
  cleared, and every ``Accepted`` an acceptor would send it on an ``Accept`` then in flight,
  gives with ``V`` put back the same result: the next state but for ``V``, the same effects
  (a ``Learn`` included).

Bounding the walks: from ``t`` every path the search accepted is at most ``k`` steps long,
and a step raises the highest round by at most one (a new ballot is the highest round seen
plus one), so no node of a real run before ``m``'s delivery holds a round above ``R + k``;
the walk does not go on from such states. Transitions of the receiver made in other contexts
are followed too (a superset of its later states): a failure there is reported, never hidden.

What remains argued, not checked: that renumbering and renaming are exact (``renumber``,
``symmetry``); in the two-step case, that the answer a *later* state of the acceptor gives
(its promise may have grown) is inert at ``p`` then (``settle``'s bound on that promise: a
walk over pairs of states was tried and costs far more than the search); and that votes
cleared as frozen get no vote from an ``Accept`` the active proposer sends later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ...core import CancelTimer, NodeState, Send, SetTimer
from ...core.learner import LearnerState
from ..actors.base import NOTHING_STORED, view
from ..actors.symmetry import rename
from .renumber import BIG, msg_ballots, node_ballots, rounds, shift_msg, shift_node

if TYPE_CHECKING:
    from .settle import Settler
    from .system import System

Local = tuple[NodeState, frozenset[Any]]
"""A node state and its armed timers (stable storage is cleared and read by nothing)."""
Move = tuple[Any, Local, tuple[Any, ...]]
"""A delivery the search made: the message, the next local state, the messages sent."""



class Certificate:
    """The records of ``settler`` (its ``system`` searched up to ``renamings`` of the
    acceptors), to ``check`` after the search."""

    def __init__(self, system: System, settler: Settler,
                 renamings: Sequence[dict[str, str]] = ({},)) -> None:
        self.system = system
        self.settler = settler
        self.bound = 0
        self.groups = [(g, {b: a for a, b in g.items()}) for g in renamings]
        self.where = {n: i for i, n in enumerate(system.nodes)}
        self._handled: dict[tuple[NodeState, Any], tuple[NodeState, list[Any]]] = {}
        self._shapes: dict[NodeState, tuple[NodeState, int]] = {}
        self._moves: dict[Local, list[Move]] = {}
        self._once: set[tuple[Local, Any, tuple[int, ...]]] = set()
        self._twice: set[tuple[Local, Any, tuple[int, ...]]] = set()
        self._sents: dict[tuple[Local, str], dict[Local, frozenset[Any]]] = {}
        self._by_local: dict[Any, list[int]] = {}
        self._by_shape: dict[tuple[NodeState, Any], list[tuple[int, Any]]] = {}

    # -- the search's transitions ---------------------------------------------------------
    def _index(self) -> None:
        """The deliveries the search made, by the shape of the node state they start from
        (up to a shift of rounds)."""
        for local, mid in self.system._delivered:
            if local[0] is not None and local[2] is NOTHING_STORED:
                self._by_local.setdefault(local, []).append(mid)
        for local in self._by_local:
            shape, low = self._shape(local[0])
            self._by_shape.setdefault((shape, local[1]), []).append((low, local))

    def _shape(self, s: NodeState) -> tuple[NodeState, int]:
        out = self._shapes.get(s)
        if out is None:
            low = min(rounds(node_ballots(s)), default=BIG)
            low = 1 if low == BIG else low
            out = self._shapes[s] = (shift_node(s, low - 1), low)
        return out

    def moves(self, local: Local) -> list[Move]:
        """The deliveries the search made from ``local`` up to a shift of rounds (and a
        renaming of the acceptors), in ``local``'s rounds and names."""
        out = self._moves.get(local)
        if out is not None:
            return out
        msgs, delivered = self.system.msgs, self.system._delivered
        found: dict[Move, None] = {}
        s, timers = local
        images: set[NodeState] = set()
        for g, back in self.groups:  # the identity first: an image equal to ``s`` adds nothing
            image = rename(s, g) if g else s
            if image in images:
                continue
            images.add(image)
            shape, low = self._shape(image)
            for low_k, key in self._by_shape.get((shape, timers), ()):
                d = low_k - low
                for mid in self._by_local[key]:
                    (after, timers_after, _), sent = delivered[(key, mid)]
                    move = (shift_msg(msgs[mid], d), (shift_node(view(after), d), timers_after),
                            tuple(shift_msg(msgs[x], d) for x in sent))
                    found[rename(move, back) if back else move] = None
        out = self._moves[local] = list(found)
        return out

    def _high(self, s: NodeState) -> int:
        return max(rounds(node_ballots(s)), default=0)

    # -- the real handlers ----------------------------------------------------------------
    def handle(self, s: NodeState, msg: Any) -> tuple[NodeState, list[Any]]:
        key = (s, msg)
        out = self._handled.get(key)
        if out is None:
            out = self._handled[key] = self.system.roles[self.where[msg.dst]].on_message(s, msg)
        return out

    def deliver(self, local: Local, msg: Any) -> tuple[Local, list[Any]]:
        """``msg`` delivered to ``local`` by the real handler: the next local state (viewed)
        and the effects."""
        s, effects = self.handle(local[0], msg)
        timers = local[1]
        for e in effects:
            if type(e) is SetTimer:
                timers = timers | {e.timer}
            elif type(e) is CancelTimer:
                timers = timers - {e.timer}
        return (view(s), timers), effects

    def _live(self, effects: Iterable[Any], stopped: tuple[int, ...]) -> list[Any]:
        return [e.msg for e in effects
                if type(e) is Send and self.where[e.msg.dst] not in stopped]

    # -- the checks -----------------------------------------------------------------------
    def check(self, k: int) -> str | None:
        """Why what settling relied on is false by the real handlers, or ``None``, after a
        search that found the bound ``k``."""
        msgs, nodes = self.system.msgs, self.system.nodes
        high = max((b.round for m in msgs for b in msg_ballots(m)), default=1)
        self.bound = high + k + 1
        self._index()
        for i, local, mid, stopped, steps, j, plocal in self.settler.taken:
            msg = msgs[mid]
            if steps == 1:
                why = self.once((local[0], local[1]), msg, stopped)
            elif steps == 2 and j >= 0:
                why = self.twice((local[0], local[1]), msg, stopped, (plocal[0], plocal[1]),
                                 nodes[j])
            else:
                why = f"{steps} steps counted, but no delivery takes more than two"
            if why is not None:
                return f"{_name(msg)} to {nodes[i]} taken out as inert: {why}"
        for i, local, kept, mine, accepts in self.settler.cleared:
            why = self.frozen(i, local, kept, mine, accepts)
            if why is not None:
                return f"{nodes[i]}'s votes cleared as frozen: {why}"
        return None

    def once(self, start: Local, msg: Any, stopped: tuple[int, ...]) -> str | None:
        """``msg`` leaves ``start`` and every later state of its receiver as it was and sends
        nothing live: one step."""
        def inert(local: Local) -> str | None:
            after, effects = self.deliver(local, msg)
            if after != local:
                return "its delivery changes its receiver"
            if self._live(effects, stopped):
                return "its delivery sends a live message"
            return None

        return self._walk(start, (msg, stopped), self._once, inert)

    def _walk(self, start: Local, key: tuple[Any, ...], done: set[Any],
              test: Callable[[Local], str | None]) -> str | None:
        """``test`` on ``start`` and on every later state of its receiver that the search
        created (up to the bound): the first failure, saying in which state; ``done`` keeps
        the (state, ``key``) pairs already passed."""
        stack = [start]
        while stack:
            local = stack.pop()
            if (local, *key) in done:
                continue
            done.add((local, *key))
            why = test(local)
            if why is not None:
                return why + _later(local, start)
            if self._high(local[0]) <= self.bound:
                stack.extend(nxt for _, nxt, _ in self.moves(local))
        return None

    def twice(self, acceptor: Local, msg: Any, stopped: tuple[int, ...], proposer: Local,
              name: str) -> str | None:
        """``msg`` leaves the acceptor as it was and answers the active proposer ``name``
        with one live message, itself inert at the proposer ("once", so for every later
        state of it); and in every later state of the acceptor ``msg`` still leaves it as it
        was and answers ``name`` alone."""
        after, effects = self.deliver(acceptor, msg)
        live = self._live(effects, stopped)
        if after != acceptor or len(live) != 1 or live[0].dst != name:
            return f"its delivery changes its receiver or does not answer {name} alone"
        why = self.once(proposer, live[0], stopped)
        if why is not None:
            return f"its answer {_name(live[0])}: {why}"

        def answers(a: Local) -> str | None:
            after, effects = self.deliver(a, msg)
            live = self._live(effects, stopped)
            if after != a or len(live) != 1 or live[0].dst != name:
                return f"its delivery changes its receiver or does not answer {name} alone"
            return None

        return self._walk(acceptor, (msg, stopped), self._twice, answers)

    def frozen(self, i: int, local: Any, kept: frozenset[Any], mine: tuple[int, ...],
               accepts: tuple[tuple[NodeState, int], ...]) -> str | None:
        """Every message in flight to the learner ``i`` (``mine``) when its votes but ``kept``
        were cleared, and every ``Accepted`` an acceptor would send it on an ``Accept`` then
        in flight, gives with those votes the same next state (but for them) and effects as
        without."""
        system = self.system
        s = local[0]
        cleared = NodeState(s.proposer, s.acceptor, LearnerState(kept, s.learner.learned))
        votes = s.learner.votes - kept
        name = system.nodes[i]
        msgs = [system.msgs[m] for m in mine]
        for acceptor, m in accepts:
            _, effects = self.handle(acceptor, system.msgs[m])
            msgs += [e.msg for e in effects if type(e) is Send]
        for msg in msgs:
            if msg.dst != name:
                continue
            full, effects = self.handle(s, msg)
            less, effects_cleared = self.handle(cleared, msg)
            a, b = full.learner, less.learner
            assert a is not None and b is not None
            if a.votes - votes != b.votes - votes or a.learned != b.learned:
                return f"{_name(msg)} makes it learn or count differently with them"
            if effects != effects_cleared:
                return f"{_name(msg)} has other effects with them"
        return None


def _name(msg: Any) -> str:
    return f"{type(msg).__name__}{tuple(msg)}"


def _later(local: Local, start: Local) -> str:
    return "" if local == start else " (in a later state of it)"
