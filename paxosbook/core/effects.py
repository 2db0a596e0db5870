"""Effects: what a role asks its interpreter to do.

Handlers never do I/O, sleep or draw random numbers; they return a list of these and the
interpreter (simulator, model checker, a real network) carries them out in order. A
``Persist`` always precedes the reply that depends on it. Like messages, effects are
NamedTuples whose equality includes the class: ``Send(x) != Persist(x)``.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

from .ballot import Ballot, Proposal, Value
from .messages import Message, typed_equality


class Timer(Enum):
    """The proposer's two timers."""

    PHASE = "phase"
    """No quorum answered the current ballot in time: abandon it."""
    RETRY = "retry"
    """The backoff after an abandoned ballot is over: try a higher ballot."""

    __hash__ = object.__hash__  # members are singletons; Enum's own hash is slow Python code


class AcceptorState(NamedTuple):
    """What an acceptor must keep on stable storage (TLA+: ``maxBal``, ``maxVBal``/``maxVal``)."""

    promised: Ballot
    accepted: Proposal | None


class ProposerRound(NamedTuple):
    """What a proposer must keep on stable storage: the highest round it has used, so that
    after a restart it never issues the same ballot with another value (paper, section 2.3)."""

    round: int


class Send(NamedTuple):
    msg: Message


class SetTimer(NamedTuple):
    """Fire ``timer`` after ``delay`` plus a uniform random amount in ``[0, jitter]``, or,
    when ``slots`` is positive, plus ``jitter`` times a whole number drawn uniformly from
    ``0 .. slots-1``.

    The random part is drawn by the interpreter, so the role stays deterministic.
    """

    timer: Timer
    delay: float
    jitter: float = 0.0
    slots: int = 0


class CancelTimer(NamedTuple):
    timer: Timer


class Persist(NamedTuple):
    """Write ``state`` to stable storage before anything that follows it is sent."""

    state: AcceptorState | ProposerRound


class Learn(NamedTuple):
    """The learner has learned that ``value`` was chosen (at ``ballot``)."""

    value: Value
    ballot: Ballot


Effect = Send | SetTimer | CancelTimer | Persist | Learn


typed_equality(Send, SetTimer, CancelTimer, Persist, Learn)
