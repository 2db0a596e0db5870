"""A path of the ``tla`` model told as a ``Run``, so the views can draw it.

The spec has no proposer processes: "the ballot b leader" performs Phase1a(b) and Phase2a(b).
Here one proposer ``p1`` leads every ballot, TLA+ ballot b is drawn as ``Ballot(b, 1)`` (round
b) and -1 as ``NO_BALLOT``; a message broadcast to msgs is one send per acceptor (1a, 2a) or a
send to p1 (1b, 2b); a step that receives a message is a deliver event. Time is the step
number. The ``start`` events at time 0 say which values may be proposed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...config import Config
from ...core import NO_BALLOT, Accept, Accepted, AcceptorState, Ballot, Prepare, Promise, Proposal
from ...trace import ACCEPT, DELIVER, PROMISE, SEND, START, Record, Run
from ..engine import Action
from ..model import COUNTEREXAMPLE
from .spec import TlaState

if TYPE_CHECKING:
    from .model import TlaModel

LEADER = "p1"


def ballot(b: int) -> Ballot:
    return NO_BALLOT if b < 0 else Ballot(b, 1)


def config_of(model: TlaModel) -> Config:
    """The deployment a trace of ``model`` is drawn on (quorums included)."""
    an = model.acceptor_names
    fields: dict[str, Any] = {"acceptors": model.n, "proposers": 1, "learners": 1,
                              "values": (model.value_names[0],)}
    if model.quorums2 is model.quorums1:
        fields["quorums"] = tuple(tuple(an[a] for a in sorted(q)) for q in model.quorums1)
    else:
        sizes = {len(q) for q in model.quorums1}, {len(q) for q in model.quorums2}
        if len(sizes[0]) == 1 and len(sizes[1]) == 1:
            fields["q1"], fields["q2"] = min(sizes[0]), min(sizes[1])
    fields["unsafe"] = not model.intersects()
    return Config(**fields)


class _Teller:
    def __init__(self, model: TlaModel) -> None:
        self.model = model
        self.records: list[Record] = []
        self.ids: dict[Any, int] = {}
        self.time = 0.0

    def send(self, key: Any, msg: Any, cause: int = -1) -> int:
        mid = len(self.ids)
        self.ids[key] = mid
        self.records.append((self.time, SEND, msg.src, msg.dst, msg, mid, cause, ""))
        return mid

    def deliver(self, key: Any, msg: Any) -> int:
        mid = self.ids[key]
        self.records.append((self.time, DELIVER, msg.src, msg.dst, msg, mid, -1, ""))
        return mid

    def step(self, action: Action, before: TlaState, after: TlaState) -> None:
        an, vn = self.model.acceptor_names, self.model.value_names
        if action.name == "Phase1a":
            (b,) = action.args
            for a in an:
                self.send(("1a", b, a), Prepare(LEADER, a, ballot(b)))
        elif action.name == "Phase1b":
            a, b = action.args
            i = an.index(a)
            mid = self.deliver(("1a", b, a), Prepare(LEADER, a, ballot(b)))
            accepted = _proposal(before.maxVBal[i], before.maxVal[i], vn)
            self.records.append((self.time, PROMISE, a, "", AcceptorState(ballot(b), accepted),
                                 -1, mid, ""))
            self.send(("1b", b, a), Promise(a, LEADER, ballot(b), accepted), mid)
        elif action.name == "Phase2a":
            b, v = action.args
            mid = -1
            for a in action.via[0]:
                i = an.index(a)
                promise = next(m for m in before.msgs if m[0] == "1b" and m[1] == i
                               and m[2] == b)
                mid = self.deliver(("1b", b, a), Promise(a, LEADER, ballot(b), _proposal(
                    promise[3], promise[4], vn)))
            for a in an:
                self.send(("2a", b, a), Accept(LEADER, a, ballot(b), v), mid)
        else:  # Phase2b
            a, b, v = action.args
            mid = self.deliver(("2a", b, a), Accept(LEADER, a, ballot(b), v))
            state = AcceptorState(ballot(b), Proposal(ballot(b), v))
            self.records.append((self.time, ACCEPT, a, "", state, -1, mid, ""))
            self.send(("2b", b, a, len(self.records)), Accepted(a, LEADER, ballot(b), v), mid)


def _proposal(mbal: int, mval: int | None, names: tuple[str, ...]) -> Proposal | None:
    return None if mbal < 0 or mval is None else Proposal(ballot(mbal), names[mval])


def run_of(model: TlaModel, states: list[TlaState], actions: list[Action]) -> Run:
    """The ``Run`` telling ``actions`` (``states[i]`` -> ``states[i + 1]``)."""
    teller = _Teller(model)
    for v in model.value_names:
        teller.records.append((0.0, START, LEADER, "", v, -1, -1, ""))
    for i, action in enumerate(actions):
        teller.time = float(i + 1)
        teller.step(action, states[i], states[i + 1])
    return Run(config_of(model), 0, teller.records, COUNTEREXAMPLE)
