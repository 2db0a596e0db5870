"""Model ``actors``: the real ``Proposer``, ``Acceptor`` and ``Learner`` in every interleaving.

Theory of operation. The nodes of ``Config.cluster()`` are actors; a state is the tuple
``(network, ghost, restarts left, node_1, ..., node_n)``. Each node is an interned id of
(its index, its ``NodeState``, its armed timers, its stable storage): the core's own immutable
state value, so a step is just a call of the core's pure handler, ``(state, input) -> (next
state, effects)``, with nothing to copy, freeze or thaw. A step is

* ``deliver m``: a message of the network is handed to its destination's real handler
  (``Node.on_message``). With ``network="set"`` the network is the set of messages ever sent,
  so a message may be received any number of times or never (loss and duplication, as in the
  TLA+ spec); with ``"multiset"`` a delivery consumes one copy (loss, no duplication);
* ``timeout node timer``: an armed timer fires, at any moment (every timing is possible);
* ``restart a``: an acceptor crashes and comes back from its stable storage
  (``Node.init(stored)``), at most ``restarts`` times in all.

The proposers start in the initial state; ``max_attempts`` bounds the ballots each may try,
so the space is finite. Effects are carried out as the simulator does: sends go to the
network, timers are armed or cancelled, ``Persist`` writes storage. A handler is a function
of the node's state and the event, so each (node state, event) pair is computed once.
``views`` keeps a proposer's state under its view (``base.view``: fields dead in its phase
cleared).

Ghost (history) variables for the properties: every vote cast and every Accept sent. Each
distinct state is checked against ``PROPERTIES`` through ``paxosbook.properties.check_snapshot``.

Exact reductions (``reductions``), each switchable and each an object the model holds:
messages their receiver would ignore are pruned; proposers that can never act again are
merged; learners, which only listen, are explored on the side; messages no receiver can tell
apart are aliased; symmetric acceptors are merged by ``canonical`` (``symmetry``). With
``explore(..., por=True)`` sleep sets skip steps that commute with ones already taken
(``sleep``): fewer transitions, the same states. Every
search ends with ``certify``, which checks the assumption of each reduction in use; one that
fails is switched off and the search runs again (``engine``), and one that a planted bug is
known to break is off from the start (``reductions.UNSOUND_WITH``).
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from ...core import (
    Accept,
    AcceptorState,
    CancelTimer,
    Mutant,
    NodeState,
    Persist,
    Proposal,
    Send,
    SetTimer,
    Timer,
    UsageError,
)
from ...properties import PROPERTIES, Property, Snapshot, check_snapshot
from ...validation import check_int
from ..engine import Action, Model, Sometimes
from .base import (
    NOTHING_STORED,
    RESTART,
    SHIFT,
    TIMER_BASE,
    TIMERS,
    Local,
    State,
    Step,
    Stored,
    storage,
    store,
    view,
)
from .reductions import UNSOUND_WITH, Alias, LearnersAside, MergeIdle, Prune, Reduction
from .sleep import Sleep
from .symmetry import Symmetry

if TYPE_CHECKING:
    from ...config import Config
    from ...trace import Run

NETWORKS = ("set", "multiset")
MAX_RESTARTS = 6
LIMITS = {"acceptors": 7, "proposers": 4, "learners": 3, "max_attempts": 6}
"""The largest deployment the checker takes (the ``tla`` model's bounds: 7 acceptors, 4 values,
6 ballots). Every interleaving grows exponentially with each: 3 acceptors, 2 proposers with two
ballots each and 1 learner are already 1.5 million states with symmetry."""


def describe(msg: Any) -> str:
    """``Promise(a1->p1, 1.1, accepted 1.2:add)``."""
    kind = type(msg).__name__
    extra = ""
    if hasattr(msg, "value"):
        extra = f", {msg.value}"
    elif kind == "Promise" and msg.accepted is not None:
        b = msg.accepted.ballot
        extra = f", accepted {b[0]}.{b[1]}:{msg.accepted.value}"
    elif kind == "Nack":
        extra = f", promised {msg.promised[0]}.{msg.promised[1]}"
    return f"{kind}({msg.src}->{msg.dst}, {msg.ballot[0]}.{msg.ballot[1]}{extra})"


SOMETIMES = {
    "value_chosen": "a value is chosen: a phase-2 quorum of acceptors voted for one proposal",
    "every_learner_learns": "every learner has learned a value",
}

REDUCTIONS = ("prune", "merge_idle", "learners_aside", "views", "alias")


class ActorModel(Model[State]):
    """Every interleaving of the deployment ``config``. Its timing, loss and fault-schedule
    fields are ignored: the checker tries every order, every loss and (on a set network) every
    duplication. ``cluster`` (default ``config.cluster()``) may be given to check other role
    code over the same deployment (the tests plant bugs that way)."""

    name = "actors"

    def __init__(self, config: Config, *, network: str = "set", restarts: int = 0,
                 prune: bool = True, merge_idle: bool = True, learners_aside: bool = True,
                 views: bool = True, alias: bool = True, cluster: Any = None,
                 reductions_off: dict[str, str] | None = None) -> None:
        if config.max_attempts < 1:
            raise UsageError("max_attempts", "at least 1 for the model checker (0 means "
                             "unbounded ballots: an infinite state space)", config.max_attempts)
        for name, hi in LIMITS.items():
            check_int(name, getattr(config, name), 1, hi, why="the actors model's limit")
        if network not in NETWORKS:
            raise UsageError("network", "one of " + ", ".join(NETWORKS), network)
        if isinstance(restarts, bool) or not isinstance(restarts, int) \
                or not 0 <= restarts <= MAX_RESTARTS:
            raise UsageError("restarts", f"an integer in [0, {MAX_RESTARTS}]", restarts)
        self.config = config
        self.network = network
        self.restarts = restarts
        self.cluster = config.cluster() if cluster is None else cluster
        self.nodes = self.cluster.nodes
        self.configs = tuple(self.cluster.node(n) for n in self.nodes)
        self.proposed = tuple(p.value for p in self.cluster.proposers)
        wanted = {"prune": prune, "merge_idle": merge_idle, "learners_aside": learners_aside,
                  "views": views, "alias": alias}
        self.reductions_off = dict(reductions_off or {})
        self.reductions_narrowed: dict[str, str] = {}
        exempt: dict[str, tuple[type, ...]] = {}
        mutants = set(Mutant.parse(tuple(config.mutants)))
        for name, bugs in UNSOUND_WITH.items():
            for bug, (why, kinds) in bugs.items():
                if not wanted[name] or bug not in mutants or name in self.reductions_off:
                    continue
                if kinds:
                    exempt[name] = (*exempt.get(name, ()), *kinds)
                    names = ", ".join(k.__name__ for k in kinds)
                    self.reductions_narrowed[name] = (
                        f"not applied to {names} messages about the ballot their receiver "
                        f"works on, for mutant {bug.value}: {why}")
                else:
                    self.reductions_off[name] = f"off for mutant {bug.value}: {why}"
        on = {n: w and n not in self.reductions_off for n, w in wanted.items()}
        self.switches = on
        self.parameters = {
            "acceptors": len(self.cluster.acceptors), "proposers": len(self.cluster.proposers),
            "learners": len(self.cluster.learners), "values": list(self.proposed),
            "max_attempts": config.max_attempts, "network": network, "restarts": restarts,
            "quorums": self.cluster.quorums.describe(), "mutants": list(config.mutants),
            "reductions": [n for n in REDUCTIONS if on[n]]}
        self.views = on["views"]
        self._locals: list[Local] = []
        self._local_ids: dict[Any, int] = {}
        self.armed: list[tuple[int, ...]] = []  # timer event codes per node state id
        self._msgs: list[Any] = []
        self._msg_ids: dict[Any, int] = {}
        self.dst: list[int] = []
        self.to: list[int] = [0] * len(self.nodes)  # per node: mask of messages to it
        self.inbox_mask = 0
        """The messages to learners kept aside (set network)."""
        self._ghosts: list[tuple[frozenset[Any], frozenset[Any]]] = []
        self._ghost_ids: dict[Any, int] = {}
        self.steps: dict[int, Step] = {}
        self._ghost_steps: dict[tuple[int, Any], int] = {}
        self._verdicts: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self._state_verdicts: dict[Any, tuple[str, ...]] = {}
        self._history_verdicts: dict[Any, tuple[tuple[str, ...], ...]] = {}
        self.node_lids: list[list[int]] = [[] for _ in self.nodes]
        roles = [c.roles() for c in self.configs]
        self.watched = tuple(i for i, r in enumerate(roles) if "acceptor" in r or "learner" in r)
        self.restartable = tuple(i for i, r in enumerate(roles) if "acceptor" in r)
        self.symmetric = tuple(i for i, r in enumerate(roles) if r == ("acceptor",))
        aside = frozenset(i for i, r in enumerate(roles) if r == ("learner",))
        self.aside = aside if on["learners_aside"] else frozenset()
        self.pruner = Prune(self, exempt.get("prune", ())) if on["prune"] else None
        self.merger = MergeIdle(self, frozenset(i for i in range(len(self.nodes))
                                                if i not in self.watched)) \
            if on["merge_idle"] else None
        self.aliaser = Alias(self) if on["alias"] else None
        self.asider = LearnersAside(self, self.aside) if self.aside else None
        self._watched_ids = itemgetter(1, *(3 + i for i in self.watched))
        self.symmetry = Symmetry(self)
        self.sleep = Sleep(self)
        # the engine calls these once per successor: bound straight to the objects that
        # do the work (the methods below say the same, one call deeper)
        self.canonical_renaming = self.symmetry.canonical_renaming  # type: ignore[method-assign]
        self.sleep_image = self.sleep.image  # type: ignore[method-assign, assignment]
        self._init_kw = {"network": network, "restarts": restarts, "cluster": cluster, **wanted}
        self.learner_nodes = tuple(i for i, r in enumerate(roles) if "learner" in r)
        self.properties: tuple[Property[Any], ...] = PROPERTIES
        """The safety properties every state is checked against."""
        self._by_state = tuple(p for p in self.properties if p.reads <= {"states"})
        self._by_history = tuple(p for p in self.properties
                                 if "states" not in p.reads and p not in self._by_state)
        self._in_parts = len(self._by_state) + len(self._by_history) == len(self.properties)
        """Can every property be judged in one of the two parts (``_judge``)?"""
        self._rank = {p.name: k for k, p in enumerate(self.properties)}
        self._acceptor_ids = _getter(tuple(3 + i for i in self.restartable))
        self._learner_ids = _getter(tuple(3 + i for i in self.learner_nodes))
        self._chosen: dict[int, bool] = {}
        self.sometimes = [Sometimes("value_chosen", SOMETIMES["value_chosen"], self.is_chosen),
                          Sometimes("every_learner_learns", SOMETIMES["every_learner_learns"],
                                    self.all_learned)]

    # -- reductions: certificates and switching off -----------------------------------------
    def reductions(self) -> list[Reduction]:
        return [r for r in (self.pruner, self.merger, self.aliaser, self.asider)
                if r is not None]

    def certify(self) -> dict[str, str]:
        """Each reduction in use whose assumption failed on what this search created, with
        why (see ``reductions``)."""
        failed = {}
        for r in self.reductions():
            why = r.certify()
            if why is not None:
                failed[r.name] = f"{r.assumption}: false here, {why}"
        return failed

    def without(self, reductions: dict[str, str]) -> ActorModel:
        off = {**self.reductions_off, **reductions}
        kw = {**self._init_kw, **{n: False for n in reductions}}
        return ActorModel(self.config, reductions_off=off, **kw)

    def is_aside(self, i: int) -> bool:
        return i in self.aside

    # -- interning --------------------------------------------------------------------------
    def intern_local(self, value: Local) -> int:
        lid = self._local_ids.get(value)
        if lid is None:
            lid = self._local_ids[value] = len(self._locals)
            self._locals.append(value)
            self.node_lids[value[0]].append(lid)
            self.armed.append(tuple(TIMER_BASE + TIMERS.index(t) for t in
                                    sorted(value[2], key=TIMERS.index)))
        return lid

    def canon_local(self, i: int, value: Local) -> int:
        lid = self.intern_local(value)
        return self.merger.canon(i, lid) if self.merger is not None else lid

    def alias(self, mid: int) -> int:
        return self.aliaser.rep(mid) if self.aliaser is not None else mid

    def intern_msg(self, msg: Any) -> int:
        mid = self._msg_ids.get(msg)
        if mid is None:
            mid = self._msg_ids[msg] = len(self._msgs)
            self._msgs.append(msg)
            dst = self.nodes.index(msg.dst)
            self.dst.append(dst)
            self.to[dst] |= 1 << mid
            if dst in self.aside:
                self.inbox_mask |= 1 << mid
        return mid

    def intern_ghost(self, value: tuple[frozenset[Any], frozenset[Any]]) -> int:
        gid = self._ghost_ids.get(value)
        if gid is None:
            gid = self._ghost_ids[value] = len(self._ghosts)
            self._ghosts.append(value)
        return gid

    def ghost(self, gid: int) -> tuple[frozenset[Any], frozenset[Any]]:
        return self._ghosts[gid]

    def _ghost_add(self, gid: int, delta: Any) -> int:
        key = (gid, delta)
        out = self._ghost_steps.get(key)
        if out is None:
            votes, accepts = self._ghosts[gid]
            out = self._ghost_steps[key] = self.intern_ghost((votes | delta[0],
                                                              accepts | delta[1]))
        return out

    def shown(self, state: NodeState) -> NodeState:
        """``state`` as the model keeps it: under the proposer's view when ``views`` is on."""
        return view(state) if self.views else state

    # -- one node reacting to one event -----------------------------------------------------
    def react(self, i: int, lid: int, code: int) -> tuple[NodeState, list[Any], frozenset[Timer]]:
        """Node ``i`` in state ``lid`` handles event ``code`` (a message id, a timer or a
        restart): its next state, the effects it returned, its armed timers."""
        _, state, timers, stored = self._locals[lid]
        node = self.configs[i]
        if code == RESTART:
            after, effects = node.on_start(node.init(storage(stored)))
            return after, effects, frozenset()
        if code >= TIMER_BASE:
            timer = TIMERS[code - TIMER_BASE]
            after, effects = node.on_timeout(state, timer)
            return after, effects, timers - {timer}
        after, effects = node.on_message(state, self._msgs[code])
        return after, effects, timers

    def absorb(self, i: int, state: NodeState, effects: list[Any], timers: frozenset[Timer],
               stored: Stored) -> Step:
        """Carry out ``effects`` as the simulator would; the resulting step."""
        name = self.nodes[i]
        sends: list[int] = []
        votes, accepts = [], []
        for eff in effects:
            kind = type(eff)
            if kind is Send:
                sends.append(self.alias(self.intern_msg(eff.msg)))
                if type(eff.msg) is Accept:
                    accepts.append(Proposal(eff.msg.ballot, eff.msg.value))
            elif kind is SetTimer:
                timers = timers | {eff.timer}
            elif kind is CancelTimer:
                timers = timers - {eff.timer}
            elif kind is Persist:
                stored = store(stored, eff.state)
                acc = eff.state.accepted if type(eff.state) is AcceptorState else None
                if acc is not None:
                    votes.append((name, acc.ballot, acc.value))
        lid = self.canon_local(i, (i, self.shown(state), timers, stored))
        delta = (frozenset(votes), frozenset(accepts)) if votes or accepts else None
        if self.network == "set":
            mask = 0
            for mid in sends:
                mask |= 1 << mid
            return lid, mask, delta
        return lid, tuple(sorted(sends)), delta

    def step(self, i: int, lid: int, code: int) -> Step:
        key = (lid << SHIFT) | code
        hit = self.steps.get(key)
        if hit is None:
            state, effects, timers = self.react(i, lid, code)
            hit = self.steps[key] = self.absorb(i, state, effects, timers, self._locals[lid][3])
        return hit

    # -- the search interface ---------------------------------------------------------------
    def initial_states(self) -> list[State]:
        net: Any = 0 if self.network == "set" else ()
        ghost = self.intern_ghost((frozenset(), frozenset()))
        locs = []
        fresh = [node.init(None) for node in self.configs]
        for i, state in enumerate(fresh):  # every node's first state is known before any send
            self.intern_local((i, self.shown(state), frozenset(), NOTHING_STORED))
        for i, state in enumerate(fresh):
            after, effects = self.configs[i].on_start(state)
            lid, sends, delta = self.absorb(i, after, effects, frozenset(), NOTHING_STORED)
            locs.append(lid)
            net = net | sends if self.network == "set" else tuple(sorted(net + sends))
            if delta is not None:
                ghost = self._ghost_add(ghost, delta)
        if self.pruner is not None:
            net = self.pruner.all(net, locs)
        return [(net, ghost, self.restarts, *locs)]

    def _events(self, state: State, sinks: bool = False) -> Iterator[tuple[int, int, int]]:
        """(node, event code, index of the message consumed or -1) for every enabled step;
        deliveries to learners kept aside only if ``sinks``."""
        net, locs, aside = state[0], state[3:], self.aside
        if self.network == "set":
            while net:
                low = net & -net
                net ^= low
                mid = low.bit_length() - 1
                if sinks or self.dst[mid] not in aside:
                    yield self.dst[mid], mid, -1
        else:
            for j, mid in enumerate(net):
                if (not j or net[j - 1] != mid) and (sinks or self.dst[mid] not in aside):
                    yield self.dst[mid], mid, j
        for i, lid in enumerate(locs):
            for code in self.armed[lid]:
                yield i, code, -1
        if state[2]:
            for i in self.restartable:
                yield i, RESTART, -1

    def apply(self, state: State, i: int, code: int, consumed: int) -> State:
        net, ghost, left = state[0], state[1], state[2]
        old = state[3 + i]
        lid, sends, delta = self.step(i, old, code)
        if self.network == "set":
            net = net | sends
        else:
            rest = net[:consumed] + net[consumed + 1:] if consumed >= 0 else net
            net = tuple(sorted(rest + sends)) if sends else rest
        if self.pruner is not None and (sends or lid != old):
            net = self.pruner.after(net, i, lid, sends, state)
        if delta is not None:
            ghost = self._ghost_add(ghost, delta)
        if code == RESTART:
            left -= 1
        return (net, ghost, left, *state[3:3 + i], lid, *state[4 + i:])

    def successors(self, state: State) -> tuple[int, list[State]]:
        if self.network == "set":
            return self._set_successors(state)
        count, out = 0, []
        apply = self.apply
        for i, code, consumed in self._events(state):
            count += 1
            t = apply(state, i, code, consumed)
            if t != state:
                out.append(t)
        return count, out

    def _set_successors(self, state: State) -> tuple[int, list[State]]:
        """``successors`` on a set network (the hot loop): a delivery that changes no node,
        casts no vote and sends only messages already there is a self-loop, known from the
        step cache without building the next state."""
        net = state[0]
        count, out = 0, []
        dst, aside, steps, step, apply = self.dst, self.aside, self.steps, self.step, self.apply
        prune = self.pruner is not None
        live = self.pruner.live if self.pruner is not None else None
        x = net
        while x:
            low = x & -x
            x ^= low
            mid = low.bit_length() - 1
            i = dst[mid]
            if i in aside:
                continue
            count += 1
            lid = state[3 + i]
            hit = steps.get((lid << SHIFT) | mid)
            if hit is None:
                hit = step(i, lid, mid)
            if hit[0] == lid and hit[2] is None:
                new = hit[1] & ~net
                while new and prune:  # only replies that their receivers would ignore?
                    low2 = new & -new
                    m2 = low2.bit_length() - 1
                    if live(state[3 + dst[m2]], m2):  # type: ignore[misc]
                        break
                    new ^= low2
                if not new:
                    continue
            out.append(apply(state, i, mid, -1))
        for i, lid in enumerate(state[3:]):
            for code in self.armed[lid]:
                count += 1
                out.append(apply(state, i, code, -1))
        if state[2]:
            for i in self.restartable:
                count += 1
                t = apply(state, i, RESTART, -1)
                if t != state:
                    out.append(t)
        return count, out

    def action(self, state: State, i: int, code: int, consumed: int) -> Action:
        via = (i, code, consumed)
        if code == RESTART:
            return Action("restart", (self.nodes[i],), via)
        if code >= TIMER_BASE:
            return Action("timeout", (self.nodes[i], TIMERS[code - TIMER_BASE].value), via)
        return Action("deliver", (describe(self._msgs[code]),), via)

    def actions(self, state: State) -> list[tuple[Action, State]]:
        return [(self.action(state, i, code, consumed), self.apply(state, i, code, consumed))
                for i, code, consumed in self._events(state)]

    def path_steps(self, state: State) -> list[tuple[Action, State]]:
        """``actions`` and the deliveries to learners kept aside (``extend`` adds those)."""
        return [(self.action(state, i, code, consumed), self.apply(state, i, code, consumed))
                for i, code, consumed in self._events(state, sinks=True)]

    # -- properties -------------------------------------------------------------------------
    def snapshot(self, state: State, learned: dict[int, Proposal | None] | None = None
                 ) -> Snapshot:
        """What the properties read in ``state``; ``learned`` overrides learners' outcomes."""
        votes, accepts = self._ghosts[state[1]]
        acceptors, out = [], []
        for i in self.watched:
            node = self._locals[state[3 + i]][1]
            if node.acceptor is not None:
                acceptors.append((self.nodes[i], node.acceptor))
            got = node.learner.learned if node.learner is not None else None
            if learned is not None and i in learned:
                got = learned[i]
            if got is not None:
                out.append((self.nodes[i], got))
        return Snapshot(self.proposed, votes, accepts, tuple(acceptors), tuple(out))

    def found(self, state: State, learned: dict[int, Any] | None = None,
              properties: tuple[Property[Any], ...] | None = None) -> tuple[str, ...]:
        """The ``properties`` (all of ``self.properties`` by default) that ``state`` breaks if
        the learners kept aside learned ``learned``."""
        found = check_snapshot(self.snapshot(state, learned), self.cluster.quorums,
                               self.properties if properties is None else properties)
        return tuple(dict.fromkeys(v.property for v in found))

    def outcomes(self, state: State) -> list[dict[int, Any]]:
        return self.asider.outcomes(state) if self.asider is not None else [{}]

    def inbox(self, state: State) -> Any:
        """What the learners kept aside have been sent (all of it, for ``outcomes``)."""
        if self.asider is None:
            return None
        if self.network == "set":
            return state[0] & self.inbox_mask
        return self.asider.inboxes(state)

    def violated(self, state: State) -> tuple[str, ...]:
        """Memoised on what the properties can read: the ghost, the watched nodes' states and,
        for learners kept aside, the messages sent to them. A new key is judged in two parts
        (``_judge``)."""
        key = (self._watched_ids(state), self.inbox(state))
        names = self._verdicts.get(key)
        if names is None:
            names = self._verdicts[key] = self._judge(state)
        return names

    def _judge(self, state: State) -> tuple[str, ...]:
        """Every property ``state`` breaks, for some outcome of the learners kept aside, each
        named once, outcome by outcome and in ``self.properties`` order within one (as ``found``
        over ``outcomes``). Each property declares what it reads (``Property.reads``): those
        that read only the acceptors' states are memoised on the acceptors' node states, the
        others (votes, Accepts, learns) on the ghost, the learners' node states and their
        inbox. Far fewer keys than the whole: the acceptors' states and the votes vary
        independently. A property that reads both is judged with the whole."""
        if not self._in_parts:
            return tuple(dict.fromkeys(name for learned in self.outcomes(state)
                                       for name in self.found(state, learned)))
        acc = self._acceptor_ids(state)
        by_state = self._state_verdicts.get(acc)
        if by_state is None:
            by_state = self._state_verdicts[acc] = self.found(state, None, self._by_state)
        key = (state[1], self._learner_ids(state), self.inbox(state))
        by_history = self._history_verdicts.get(key)
        if by_history is None:
            by_history = self._history_verdicts[key] = tuple(
                self.found(state, learned, self._by_history) for learned in self.outcomes(state))
        found: dict[str, None] = {}
        for names in by_history:
            for name in sorted((*names, *by_state), key=self._rank.__getitem__):
                found[name] = None
        return tuple(found)

    def acceptors(self) -> tuple[str, ...]:
        return tuple(self.cluster.acceptors)

    def actor(self, action: Action) -> str | None:
        """The node that takes ``action`` (``via`` holds its index), if it is an acceptor."""
        name = self.nodes[action.via[0]]
        return name if name in self.cluster.acceptors else None

    def is_chosen(self, state: State) -> bool:
        """Has a phase-2 quorum voted for one proposal (the ghost's votes)?"""
        out = self._chosen.get(state[1])
        if out is None:
            by: dict[tuple[Any, Any], set[str]] = {}
            for acceptor, ballot, value in self._ghosts[state[1]][0]:
                by.setdefault((ballot, value), set()).add(acceptor)
            out = self._chosen[state[1]] = any(
                self.cluster.quorums.is_phase2(voters) for voters in by.values())
        return out

    def learned_all(self, state: State, learned: dict[int, Any]) -> bool:
        """Has every learner learned, the learners kept aside having learned ``learned``?"""
        for i in self.learner_nodes:
            if i in learned:
                got = learned[i]
            else:
                learner = self._locals[state[3 + i]][1].learner
                got = None if learner is None else learner.learned
            if got is None:
                return False
        return True

    def all_learned(self, state: State) -> bool:
        return any(self.learned_all(state, learned) for learned in self.outcomes(state))

    def extend(self, states: list[State], actions: list[Action],
               names: tuple[str, ...]) -> tuple[list[State], list[Action]]:
        if self.asider is None:
            return states, actions
        state = states[-1]
        if names == ("every_learner_learns",):
            return self.asider.extend(states, actions,
                                      lambda learned: self.learned_all(state, learned))
        return self.asider.extend(states, actions,
                                  lambda learned: bool(set(self.found(state, learned))
                                                       & set(names)))

    def canonical(self, state: State) -> tuple[State, int]:
        return self.symmetry.canonical(state)

    def sleep_successors(self, state: State, sleep: Any) -> tuple[int, list[tuple[State, Any]]]:
        return self.sleep.successors(state, sleep)

    def vector_search(self) -> Any:
        """The sleep-set level loop as arrays (``vector``), on a set network."""
        from .vector import VectorSearch, applies
        return VectorSearch(self) if applies(self) else None

    def canonical_renaming(self, state: State) -> tuple[State, int, Any]:
        return self.symmetry.canonical_renaming(state)

    def sleep_image(self, renaming: Any, sleep: Any) -> Any:
        return self.sleep.image(renaming, sleep)

    def explain(self, state: State, names: tuple[str, ...]) -> str:
        found = check_snapshot(self.snapshot(state), self.cluster.quorums, self.properties)
        return "; ".join(dict.fromkeys(v.message for v in found if v.property in names))

    def describe_state(self, state: State) -> str:
        parts = []
        for i, name in enumerate(self.nodes):
            node = self._locals[state[3 + i]][1]
            p, a, lr = node.proposer, node.acceptor, node.learner
            if p is not None:
                parts.append(f"{name}: {p.phase.value} ballot {p.ballot}")
            if a is not None:
                acc = "-" if a.accepted is None else f"{a.accepted.ballot}:{a.accepted.value}"
                parts.append(f"{name}: promised {a.promised} accepted {acc}")
            if lr is not None and lr.learned is not None:
                parts.append(f"{name}: learned {lr.learned.value}")
        return "; ".join(parts)

    def describe(self, mid: int) -> str:
        return describe(self._msgs[mid])

    def to_run(self, states: list[State], actions: list[Action]) -> Run:
        from .trace import run_of
        return run_of(self, states, actions)

    def message(self, code: int) -> Any:
        return self._msgs[code]

    def local(self, lid: int) -> Local:
        return self._locals[lid]


def _getter(at: tuple[int, ...]) -> Any:
    """A function from a state to the tuple of its items at ``at`` (any length)."""
    if len(at) > 1:
        return itemgetter(*at)
    return lambda s: tuple(s[j] for j in at)


__all__ = ["NETWORKS", "ActorModel", "describe"]
