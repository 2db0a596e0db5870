"""The replicated log's roles: one Basic Paxos instance per slot, run by the core's own roles.

Theory of operation ("Paxos Made Simple", section 3). The log adds no rule of Paxos: every
rule stays in ``core.proposer``, ``core.acceptor`` and ``core.learner``. The log roles keep one
core role state per slot and tag what it says with the slot (``envelope``): ``LogAcceptor``
(a replica's acceptor of every slot), ``LogProposer`` (per-slot Paxos, one command at a time),
``MultiProposer`` (Multi-Paxos: one phase 1 for all slots, then phase 2 per command) and
``LogLearner`` (a replica's log: learn each slot, apply in order, catch up). As every role in
``paxosbook.core``, each is an immutable configuration whose pure handlers take an immutable,
hashable state (``LogAcceptorState``, ``LogProposerState``, ``MultiState``,
``LogLearnerState``; per-slot states are kept in a ``PMap``) and an input, and return the
next state and effects. Standard library only.
"""

from .acceptor import LogAcceptor, LogAcceptorState, promise_all
from .envelope import (
    NOOP,
    REST,
    CatchUp,
    LearnSlot,
    LogEntry,
    LogTimer,
    SlotState,
    Slotted,
    SlotTimer,
    in_slot,
)
from .learner import LogLearner, LogLearnerState
from .multi import (
    Ack,
    MultiPrepare,
    MultiPromise,
    MultiProposer,
    MultiState,
    Role,
    Submit,
)
from .pmap import EMPTY_MAP, PMap
from .proposer import LogProposer, LogProposerState

__all__ = [
    "EMPTY_MAP", "NOOP", "REST", "Ack", "CatchUp", "LearnSlot", "LogAcceptor",
    "LogAcceptorState", "LogEntry", "LogLearner", "LogLearnerState", "LogProposer",
    "LogProposerState", "LogTimer", "MultiPrepare", "MultiPromise", "MultiProposer",
    "MultiState", "PMap", "Role", "SlotState", "SlotTimer", "Slotted", "Submit", "in_slot",
    "promise_all",
]
