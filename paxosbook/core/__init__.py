"""The Basic Paxos protocol, sans-I/O: ballots, messages, roles and the effects they return.

Theory of operation. Every role is a small object with three handlers, ``on_start()``,
``on_message(msg)`` and ``on_timeout(timer)``, each returning a list of effects (``Send``,
``SetTimer``, ``CancelTimer``, ``Persist``, ``Learn``). Nothing here sleeps, draws a random
number or touches a socket: an interpreter (the simulator in ``paxosbook.sim``, the model
checker in ``paxosbook.check``) delivers messages, fires timers, keeps stable storage and
decides what the network does. Each rule of the paper lives in exactly one handler here.
Standard library only.
"""

from .acceptor import Acceptor
from .ballot import NO_BALLOT, Ballot, Proposal, Value
from .cluster import Cluster, Node, ProposerSpec
from .effects import (
                      AcceptorState,
                      CancelTimer,
                      Effect,
                      Learn,
                      Persist,
                      ProposerState,
                      Send,
                      SetTimer,
                      Timer,
)
from .errors import FormatError, PaxosbookError, UsageError
from .learner import Learner
from .messages import MESSAGE_TYPES, Accept, Accepted, Message, Nack, Prepare, Promise
from .mutants import Mutant
from .proposer import Backoff, Phase, Proposer
from .quorum import QuorumSystem

__all__ = [
    "NO_BALLOT", "MESSAGE_TYPES", "Accept", "Accepted", "Acceptor", "AcceptorState", "Backoff",
    "Ballot", "CancelTimer", "Cluster", "Effect", "FormatError", "Learn", "Learner", "Message",
    "Mutant", "Nack", "Node", "PaxosbookError", "Persist", "Phase", "Prepare", "Promise",
    "Proposal", "Proposer", "ProposerSpec", "ProposerState", "QuorumSystem", "Send", "SetTimer",
    "Timer", "UsageError", "Value",
]
