"""A path of the ``actors`` model told as a ``Run``, event records as the simulator writes them.

Each step of the path is replayed from the node state stored in the path (so the trace tells
exactly the states the checker found): the handler's effects become send, promise/accept and
learn records, a timeout a timer record, a restart a crash and a recover record. Time is the
step number; the start events and first sends are at time 0. Every send gets its own message
id; a delivery refers to the earliest send of that message (or of one the model treats as the
same, see ``alias``) not yet delivered; on a set network, where a message may be received
many times, to its first send.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...core import AcceptorState, Learn, Persist, Send
from ...trace import (
    ACCEPT,
    CRASH,
    DELIVER,
    LEARN,
    PROMISE,
    RECOVER,
    SEND,
    START,
    TIMER,
    Record,
    Run,
)
from ..engine import Action
from ..model import COUNTEREXAMPLE

if TYPE_CHECKING:
    from .base import State
    from .model import ActorModel


class _Teller:
    def __init__(self, model: ActorModel) -> None:
        self.model = model
        self.records: list[Record] = []
        self.pending: dict[int, list[tuple[int, Any]]] = {}  # representative -> sends
        self.next_id = 0
        self.time = 0.0

    def tell(self, node: str, effects: list[Any], stored: Any, cause: int) -> None:
        for eff in effects:
            kind = type(eff)
            if kind is Send:
                msg, mid = eff.msg, self.next_id
                self.next_id += 1
                rep = self.model.alias(self.model.intern_msg(msg))
                self.pending.setdefault(rep, []).append((mid, msg))
                self.records.append((self.time, SEND, msg.src, msg.dst, msg, mid, cause, ""))
            elif kind is Persist and type(eff.state) is AcceptorState:
                old = stored[0].accepted if stored[0] is not None else None
                event = ACCEPT if eff.state.accepted != old else PROMISE
                self.records.append((self.time, event, node, "", eff.state, -1, cause, ""))
                stored = (eff.state, stored[1])
            elif kind is Learn:
                self.records.append((self.time, LEARN, node, "", eff, -1, cause, ""))

    def deliver(self, code: int) -> int:
        sent = self.pending[code]
        mid, msg = sent[0] if self.model.network == "set" else sent.pop(0)
        self.records.append((self.time, DELIVER, msg.src, msg.dst, msg, mid, -1, ""))
        return mid


def run_of(model: ActorModel, states: list[State], actions: list[Action]) -> Run:
    """The ``Run`` telling ``actions`` (``states[k]`` -> ``states[k + 1]``)."""
    teller = _Teller(model)
    cluster = model.cluster
    for spec in cluster.proposers:
        teller.records.append((0.0, START, spec.node, "", spec.value, -1, -1, ""))
    for name, node in zip(model.nodes, model.configs, strict=True):
        teller.tell(name, node.on_start(node.init(None))[1], (None, None), -1)
    for k, action in enumerate(actions):
        teller.time = float(k + 1)
        i, code, _ = action.via
        name, lid = model.nodes[i], states[k][3 + i]
        stored = model.local(lid)[3]
        cause = -1
        if action.name == "restart":
            teller.records.append((teller.time, CRASH, name, "", None, -1, -1, ""))
            teller.records.append((teller.time, RECOVER, name, "", None, -1, -1, ""))
        elif action.name == "timeout":
            timer = action.args[1]
            teller.records.append((teller.time, TIMER, name, "", None, -1, -1, timer))
        else:
            cause = teller.deliver(code)
        _, effects, _ = model.react(i, lid, code)
        teller.tell(name, effects, stored, cause)
    return Run(model.config, 0, teller.records, COUNTEREXAMPLE)
