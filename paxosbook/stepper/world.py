"""The stepper's state (``World``), its enabled actions and what one action does.

A ``World`` is a plain immutable value: each node's ``NodeState`` (``None`` while the node is
down), its armed timers and its stable storage, which proposers have started, the messages in
flight (each copy with its own id, in send order) and the time of the next step. ``actions``
lists every action enabled in it, and ``apply`` carries one out by calling the core's pure
handler and interpreting the effects it returns, writing the same records the simulator
writes (``paxosbook.trace``). No rule of Paxos is here: the reader is the network and the
fault schedule, the core decides everything else.

The network is the reader's: any message in flight may be delivered (to a node that is up),
dropped or duplicated, in any order; messages a node sends to itself are no exception. A
crash discards the node's volatile state and timers; a restart rebuilds it from its storage
and calls ``on_start`` (a restarted proposer proposes again). Messages to a down node stay in
flight (a network may delay them past the downtime) but cannot be delivered until it is back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..check.actors.base import NOTHING_STORED, TIMERS, Stored, storage, store
from ..core import (
    AcceptorState,
    CancelTimer,
    Cluster,
    Learn,
    Message,
    NodeState,
    Persist,
    Send,
    SetTimer,
    Timer,
)
from ..events import (
    ACCEPT,
    CRASH,
    DELIVER,
    DROP,
    DUPLICATE,
    LEARN,
    PROMISE,
    RECOVER,
    SEND,
    START,
    TIMER,
    Record,
)

KINDS = ("start", "deliver", "drop", "duplicate", "timeout", "crash", "restart")
MESSAGE_KINDS = ("deliver", "drop", "duplicate")
_TOKENS = {"start": "s", "deliver": "d", "drop": "x", "duplicate": "u", "timeout": "t",
           "crash": "c", "restart": "r"}
KIND_OF_TOKEN = {t: k for k, t in _TOKENS.items()}


def message_text(msg: Any) -> str:
    """``Promise(1.1, none)``, ``Promise(2.1, 1.1:add)``, ``Accept(1.1, add)``,
    ``Nack(1.1, promised 2.2)``, ``Prepare(1.1)``."""
    kind, ballot = type(msg).__name__, msg.ballot
    if kind == "Prepare":
        return f"Prepare({ballot})"
    if kind == "Promise":
        acc = "none" if msg.accepted is None else f"{msg.accepted.ballot}:{msg.accepted.value}"
        return f"Promise({ballot}, {acc})"
    if kind == "Nack":
        return f"Nack({ballot}, promised {msg.promised})"
    return f"{kind}({ballot}, {msg.value})"


@dataclass(frozen=True)
class Action:
    """One thing the reader can do: ``kind`` (one of ``KINDS``), at ``node`` (the receiver,
    for a message action), with the message copy ``msg``/``msg_id`` or the ``timer``."""

    kind: str
    node: str
    msg: Message | None = None
    msg_id: int = -1
    timer: Timer | None = None

    @property
    def label(self) -> str:
        """``deliver Promise(1.1, none) a2->p1 #4``, ``timeout p1 phase``, ``crash a1``."""
        if self.msg is not None:
            m = self.msg
            return f"{self.kind} {message_text(m)} {m.src}->{m.dst} #{self.msg_id}"
        if self.timer is not None:
            return f"timeout {self.node} {self.timer.value}"
        return f"{self.kind} {self.node}"

    @property
    def token(self) -> str:
        """The action in a path: ``d4`` (deliver message #4), ``x4`` (drop), ``u4``
        (duplicate), ``s:p1`` (start), ``t:p1:phase``, ``c:a1`` (crash), ``r:a1``."""
        t = _TOKENS[self.kind]
        if self.msg is not None:
            return f"{t}{self.msg_id}"
        if self.timer is not None:
            return f"{t}:{self.node}:{self.timer.value}"
        return f"{t}:{self.node}"

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class World:
    """Everything the stepper keeps between two actions (see the module docstring)."""

    states: tuple[NodeState | None, ...]
    timers: tuple[frozenset[Timer], ...]
    stored: tuple[Stored, ...]
    started: frozenset[str]
    pending: tuple[tuple[int, Any], ...]
    """(message id, message) of every copy in flight, in the order they were sent."""
    next_id: int
    time: float
    """The time given to the records of the next action."""

    @classmethod
    def initial(cls, cluster: Cluster) -> World:
        n = len(cluster.nodes)
        return cls(tuple(cluster.node(name).init(None) for name in cluster.nodes),
                   (frozenset(),) * n, (NOTHING_STORED,) * n, frozenset(), (), 0, 1.0)

    def up(self, i: int) -> bool:
        return self.states[i] is not None


def actions(cluster: Cluster, world: World) -> list[Action]:
    """Every action enabled in ``world``, grouped by kind in the order of ``KINDS``."""
    names = cluster.nodes
    index = {n: i for i, n in enumerate(names)}
    out = [Action("start", p.node) for p in cluster.proposers
           if p.node not in world.started and world.up(index[p.node])]
    for kind in MESSAGE_KINDS:
        out += [Action(kind, msg.dst, msg, mid) for mid, msg in world.pending
                if kind != "deliver" or world.up(index[msg.dst])]
    for i, name in enumerate(names):
        armed = world.timers[i]
        out += [Action("timeout", name, timer=t) for t in TIMERS if t in armed]
    out += [Action("crash", n) for i, n in enumerate(names) if world.up(i)]
    out += [Action("restart", n) for i, n in enumerate(names) if not world.up(i)]
    return out


def apply(cluster: Cluster, world: World, action: Action) -> tuple[World, list[Record]]:
    """``world`` after ``action`` (which must be enabled in it) and the records it writes."""
    i = cluster.nodes.index(action.node)
    node, now, kind = cluster.node(action.node), world.time, action.kind
    step = replace(world, time=now + 1.0)
    records: list[Record] = []
    if kind in MESSAGE_KINDS:
        msg, mid = action.msg, action.msg_id
        assert msg is not None
        if kind == "duplicate":
            records.append((now, DUPLICATE, msg.src, msg.dst, msg, world.next_id, mid, ""))
            return replace(step, pending=(*world.pending, (world.next_id, msg)),
                           next_id=world.next_id + 1), records
        step = replace(step, pending=tuple(p for p in world.pending if p[0] != mid))
        if kind == "drop":
            records.append((now, DROP, msg.src, msg.dst, msg, mid, -1, "loss"))
            return step, records
        records.append((now, DELIVER, msg.src, msg.dst, msg, mid, -1, ""))
        after, effects = node.on_message(world.states[i], msg)  # type: ignore[arg-type]
        return _absorb(step, i, action.node, after, effects, world.timers[i], mid, records)
    if kind == "timeout":
        assert action.timer is not None
        records.append((now, TIMER, action.node, "", None, -1, -1, action.timer.value))
        after, effects = node.on_timeout(world.states[i], action.timer)  # type: ignore[arg-type]
        timers = world.timers[i] - {action.timer}
        return _absorb(step, i, action.node, after, effects, timers, -1, records)
    if kind == "crash":
        records.append((now, CRASH, action.node, "", None, -1, -1, ""))
        return _set(step, i, None, frozenset(), world.stored[i]), records
    value = next(p.value for p in cluster.proposers if p.node == action.node) \
        if node.proposer is not None else None
    if kind == "restart":
        records.append((now, RECOVER, action.node, "", None, -1, -1, ""))
    after, effects = node.on_start(node.init(storage(world.stored[i])) if kind == "restart"
                                   else world.states[i])  # type: ignore[arg-type]
    if value is not None and (kind == "start" or effects):
        records.append((now, START, action.node, "", value, -1, -1, ""))
        step = replace(step, started=world.started | {action.node})
    return _absorb(step, i, action.node, after, effects, frozenset(), -1, records)


def _set(world: World, i: int, state: NodeState | None, timers: frozenset[Timer],
         stored: Stored) -> World:
    def put(xs: tuple[Any, ...], x: Any) -> tuple[Any, ...]:
        return (*xs[:i], x, *xs[i + 1:])
    return replace(world, states=put(world.states, state), timers=put(world.timers, timers),
                   stored=put(world.stored, stored))


def _absorb(world: World, i: int, name: str, state: NodeState, effects: list[Any],
            timers: frozenset[Timer], cause: int, records: list[Record]
            ) -> tuple[World, list[Record]]:
    """Carry out a handler's ``effects`` in order, as the simulator does, at ``world.time``
    minus one (the time of the action)."""
    now, stored, next_id = world.time - 1.0, world.stored[i], world.next_id
    sent: list[tuple[int, Any]] = []
    for eff in effects:
        kind = type(eff)
        if kind is Send:
            msg = eff.msg
            records.append((now, SEND, msg.src, msg.dst, msg, next_id, cause, ""))
            sent.append((next_id, msg))
            next_id += 1
        elif kind is SetTimer:
            timers = timers | {eff.timer}
        elif kind is CancelTimer:
            timers = timers - {eff.timer}
        elif kind is Persist:
            if type(eff.state) is AcceptorState:
                old = stored[0].accepted if stored[0] is not None else None
                event = ACCEPT if eff.state.accepted != old else PROMISE
                records.append((now, event, name, "", eff.state, -1, cause, ""))
            stored = store(stored, eff.state)
        elif kind is Learn:
            records.append((now, LEARN, name, "", eff, -1, cause, ""))
    world = replace(world, pending=world.pending + tuple(sent), next_id=next_id)
    return _set(world, i, state, timers, stored), records


__all__ = ["KINDS", "Action", "World", "actions", "apply", "message_text"]
