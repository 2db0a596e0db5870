"""The core's roles under the two successor relations of bounded response.

* Faulty: the ``actors`` model on a multiset network: a message may be delivered (consumed)
  or dropped, an acceptor may restart from its stable storage (``restarts`` times in all), a
  timer may fire at any moment; a step that would start a proposer's ballot beyond
  ``faulty_ballots`` is not taken.
* Stable (after ``stabilise``): no loss, crash or duplication; a timer fires only when no
  message is in flight; the ``active`` proposers retry at once with no bound on ballots, and
  states are renumbered (``normal``, see ``renumber``).

A state is ``(stable?, restarts left, in-flight message ids sorted, (node state, timers,
stored)...)``; a stopped proposer's node state is ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ...config import Config
from ...core import CancelTimer, NodeState, Persist, Phase, Send, SetTimer
from ..actors.base import NOTHING_STORED, storage, store, view
from ..actors.model import describe
from ..model import Action
from .renumber import BIG, msg_ballots, node_ballots, rounds, shift_msg, shift_node

State = tuple[Any, ...]
"""(stable?, restarts left, in-flight message ids sorted, (node state, timers, stored)...)."""
URGENCY = ("Prepare", "Nack", "Promise", "Accept", "Accepted")


class System:
    """The core's roles under the faulty and the stable successor relations (see above)."""

    def __init__(self, config: Config, active: int, faulty_ballots: int, restarts: int) -> None:
        self.config = config
        self.cluster = config.cluster()
        self.nodes = self.cluster.nodes
        self.roles = tuple(self.cluster.node(n) for n in self.nodes)
        self.proposers = tuple(i for i, r in enumerate(self.roles) if r.proposer is not None)
        self.acceptors = tuple(i for i, r in enumerate(self.roles) if r.acceptor is not None)
        self.active = active
        self.faulty_ballots = faulty_ballots
        self.restarts = restarts
        self._ids: dict[Any, int] = {}
        self.msgs: list[Any] = []
        self.dst: list[int] = []
        self.labels: list[str] = []
        self.low: list[int] = []  # per message: its least round
        self._low_node: dict[NodeState, int] = {}
        self._shifted: dict[tuple[Any, int], Any] = {}
        self._viewed: dict[Any, Any] = {}
        self._delivered: dict[tuple[Any, int], tuple[Any, tuple[int, ...]]] = {}

    # -- messages -------------------------------------------------------------------------
    def intern(self, msg: Any) -> int:
        mid = self._ids.get(msg)
        if mid is None:
            mid = self._ids[msg] = len(self.msgs)
            self.msgs.append(msg)
            self.dst.append(self.nodes.index(msg.dst))
            self.labels.append(describe(msg))
            self.low.append(min(rounds(msg_ballots(msg)), default=BIG))
        return mid

    def alias(self, mid: int) -> int:  # what ``actors.trace`` asks of a model
        return mid

    def intern_msg(self, msg: Any) -> int:
        return self.intern(msg)

    network = "multiset"

    # -- states ---------------------------------------------------------------------------
    def initial(self) -> State:
        net: list[int] = []
        nodes = []
        for node in self.roles:
            s, effects = node.on_start(node.init(None))
            local = self._effects((s, frozenset(), NOTHING_STORED), effects, net)
            nodes.append(local)
        return (False, self.restarts, tuple(sorted(net)), tuple(nodes))

    def _effects(self, local: tuple[Any, ...], effects: list[Any], net: list[int]
                 ) -> tuple[Any, ...]:
        """Carry out ``effects`` as the simulator does; sends to a stopped node are lost."""
        s, timers, stored = local
        for eff in effects:
            kind = type(eff)
            if kind is Send:
                net.append(self.intern(eff.msg))
            elif kind is SetTimer:
                timers = timers | {eff.timer}
            elif kind is CancelTimer:
                timers = timers - {eff.timer}
            elif kind is Persist:
                stored = store(stored, eff.state)
        return (s, timers, stored)

    def decided(self, state: State) -> bool:
        for s, _, _ in state[3]:
            if s is None:
                continue
            if s.learner is not None and s.learner.learned is not None:
                return True
            if s.proposer is not None and s.proposer.phase is Phase.CHOSEN:
                return True
        return False

    def _attempts_ok(self, state: State) -> bool:
        return all(state[3][i][0].proposer.attempts <= self.faulty_ballots
                   for i in self.proposers if state[3][i][0] is not None)

    # -- steps ----------------------------------------------------------------------------
    def steps(self, state: State, renumber: bool = True) -> list[tuple[Action, State]]:
        """Every step of ``state`` under its phase's relation (stable states: renumbered,
        unless ``renumber`` is false)."""
        return [(self._action(kind, i, what), t)
                for kind, i, what, t in self._moves(state, renumber)]

    def successors(self, state: State) -> list[State]:
        """The states of ``steps`` (renumbered where stable), without naming the steps, most
        urgent first (``urgency``)."""
        moves = self._moves(state, True)
        moves.sort(key=self._urgency)
        return [t for _, _, _, t in moves]

    def _urgency(self, move: tuple[str, int, Any, State]) -> int:
        if move[0] != "deliver":
            return len(URGENCY)
        return URGENCY.index(type(self.msgs[move[2]]).__name__)

    def _action(self, kind: str, i: int, what: Any) -> Action:
        if kind == "timeout":
            return Action("timeout", (self.nodes[i], what.value), (i, what))
        if kind == "restart":
            return Action("restart", (self.nodes[i],), (i, None))
        return Action(kind, (self.labels[what],), (i, what))

    def undropped(self, state: State) -> list[State]:
        """The faulty successors of ``state`` by every step but a drop, each ``viewed``."""
        return [self.viewed(t) for _, _, _, t in self._moves(state, False, False)]

    def viewed(self, state: State) -> State:
        """``state`` with each node state as ``base.view`` has it (proposer history that no
        future reads cleared; memoised per node)."""
        nodes = []
        for local in state[3]:
            out = self._viewed.get(local)
            if out is None:
                s = local[0]
                out = self._viewed[local] = local if s is None else (view(s), *local[1:])
            nodes.append(out)
        return (*state[:3], tuple(nodes))

    def _moves(self, state: State, renumber: bool, drops: bool = True
               ) -> list[tuple[str, int, Any, State]]:
        stable, left, net, nodes = state
        out: list[tuple[str, int, Any, State]] = []
        for j, mid in enumerate(net):
            if j and net[j - 1] == mid:
                continue
            rest = net[:j] + net[j + 1:]
            out.append(("deliver", self.dst[mid], mid, self._deliver(state, rest, mid)))
            if not stable and drops:
                out.append(("drop", -1, mid, (False, left, rest, nodes)))
        if not stable or not net:
            for i, (_s, timers, _) in enumerate(nodes):
                for timer in sorted(timers, key=lambda t: t.value):
                    out.append(("timeout", i, timer, self._timeout(state, i, timer)))
        if not stable and left:
            for i in self.acceptors:
                out.append(("restart", i, None, self._restart(state, i)))
        if stable:
            return [(k, i, w, self.normal(t)) for k, i, w, t in out] if renumber else out
        return [m for m in out if self._attempts_ok(m[3])]

    def _replace(self, state: State, i: int, local: tuple[Any, ...], net: Iterable[int]
                 ) -> State:
        nodes = state[3]
        if state[0]:
            net = [m for m in net if nodes[self.dst[m]][0] is not None]
        return (state[0], state[1], tuple(sorted(net)), (*nodes[:i], local, *nodes[i + 1:]))

    def _deliver(self, state: State, rest: tuple[int, ...], mid: int) -> State:
        i = self.dst[mid]
        local = state[3][i]
        key = (local, mid)
        hit = self._delivered.get(key)
        if hit is None:  # the handler is a pure function of the node state and the message
            s, effects = self.roles[i].on_message(local[0], self.msgs[mid])
            sent: list[int] = []
            hit = self._delivered[key] = (self._effects((s, *local[1:]), effects, sent),
                                          tuple(sent))
        return self._replace(state, i, hit[0], (*rest, *hit[1]))

    def _timeout(self, state: State, i: int, timer: Any) -> State:
        s, timers, stored = state[3][i]
        after, effects = self.roles[i].on_timeout(s, timer)
        net = list(state[2])
        return self._replace(state, i, self._effects((after, timers - {timer}, stored), effects,
                                                     net), net)

    def _restart(self, state: State, i: int) -> State:
        _, _, stored = state[3][i]
        node = self.roles[i]
        s, effects = node.on_start(node.init(storage(stored)))
        net = list(state[2])
        local = self._effects((s, frozenset(), stored), effects, net)
        moved = self._replace(state, i, local, net)
        return (moved[0], moved[1] - 1, *moved[2:])

    def stabilise(self, state: State, keep: Sequence[int], renumber: bool = True) -> State:
        """The stable state: proposers not in ``keep`` stopped (their state and the messages
        to them dropped), no restarts left, storage cleared; renumbered."""
        nodes = tuple((None, frozenset(), NOTHING_STORED)
                      if i in self.proposers and i not in keep else (s, timers, NOTHING_STORED)
                      for i, (s, timers, _) in enumerate(state[3]))
        net = tuple(m for m in state[2] if nodes[self.dst[m]][0] is not None)
        return self.normal((True, 0, net, nodes)) if renumber else (True, 0, net, nodes)

    def urgency(self, step: tuple[Action, State]) -> int:
        """The order ``bounded_response`` tries steps in: Prepare deliveries first, then Nack,
        Promise, Accept, Accepted, then timeouts."""
        action = step[0]
        if action.name != "deliver":
            return len(URGENCY)
        return URGENCY.index(type(self.msgs[action.via[1]]).__name__)

    # -- renumbering ------------------------------------------------------------------------
    def normal(self, state: State) -> State:
        """``state`` with rounds shifted so the least is 1, attempts, storage and dead proposer
        fields cleared: exact for the stable relation (see the module's docstring). The least
        round is taken over what is kept (each node's ``view``), so a normal state is its own
        normal form. Memoised per node state and per message."""
        d = self.shift(state)
        nodes = tuple((None if s is None else self._shift_node(s, d), timers, NOTHING_STORED)
                      for s, timers, _ in state[3])
        net = tuple(sorted(self._shift_msg(m, d) for m in state[2])) if d else state[2]
        return (state[0], state[1], net, nodes)

    def shift(self, state: State) -> int:
        """How much ``normal`` lowers every round of ``state``."""
        low = min(map(self.low.__getitem__, state[2]), default=BIG)
        for s, _, _ in state[3]:
            if s is not None:
                n = self._low_node.get(s)
                if n is None:
                    n = self._low_node[s] = min(rounds(node_ballots(view(s))), default=BIG)
                low = min(low, n)
        return 0 if low == BIG else low - 1

    def _shift_node(self, s: NodeState, d: int) -> NodeState:
        key = (s, d)
        out = self._shifted.get(key)
        if out is None:
            out = self._shifted[key] = shift_node(view(s), d)
        return out

    def _shift_msg(self, mid: int, d: int) -> int:
        key = (mid, d)
        out = self._shifted.get(key)
        if out is None:
            out = self._shifted[key] = self.intern(shift_msg(self.msgs[mid], d))
        return out
