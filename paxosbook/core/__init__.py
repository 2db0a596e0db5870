"""The Basic Paxos protocol, sans-I/O: ballots, messages, roles and the effects they return.

Theory of operation. Every role is two values, after Stateright's actors: a configuration
that never changes (``Proposer``, ``Acceptor``, ``Learner``, and ``Node`` hosting any of them)
and a hashable, immutable state (``ProposerState``, ``AcceptorState``, ``LearnerState``,
``NodeState``). ``config.init(stored)`` is the state at start or after a restart, and the
handlers ``on_start(state)``, ``on_message(state, msg)`` and ``on_timeout(state, timer)`` are
pure functions returning ``(next state, effects)``; effects are ``Send``, ``SetTimer``,
``CancelTimer``, ``Persist`` and ``Learn``. Nothing here sleeps, draws a random number or
touches a socket: an interpreter (the simulator in ``paxosbook.sim``, the model checker in
``paxosbook.check``) keeps the states, delivers messages, fires timers, keeps stable storage
and decides what the network does. Each rule of the paper lives in exactly one handler here.
The replicated log's roles, which run these per slot and add no rule, are in ``core.log``.
Standard library only.
"""

from .acceptor import Acceptor
from .ballot import NO_BALLOT, Ballot, Proposal, Value
from .cluster import Cluster, Node, NodeState, ProposerSpec
from .effects import (
                      AcceptorState,
                      CancelTimer,
                      Effect,
                      Learn,
                      Persist,
                      ProposerRound,
                      Send,
                      SetTimer,
                      Timer,
)
from .errors import FormatError, PaxosbookError, UsageError
from .learner import Learner, LearnerState
from .messages import MESSAGE_TYPES, Accept, Accepted, Message, Nack, Prepare, Promise
from .mutants import Mutant
from .proposer import Backoff, Phase, Proposer, ProposerState
from .quorum import QuorumSystem

__all__ = [
    "NO_BALLOT", "MESSAGE_TYPES", "Accept", "Accepted", "Acceptor", "AcceptorState", "Backoff",
    "Ballot", "CancelTimer", "Cluster", "Effect", "FormatError", "Learn", "Learner",
    "LearnerState", "Message", "Mutant", "Nack", "Node", "NodeState", "PaxosbookError",
    "Persist", "Phase", "Prepare", "Promise", "Proposal", "Proposer", "ProposerRound",
    "ProposerSpec", "ProposerState", "QuorumSystem", "Send", "SetTimer", "Timer", "UsageError",
    "Value",
]
