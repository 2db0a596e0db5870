"""You are the network: step a Paxos deployment by hand, with history and the model checker.

Theory of operation. A ``World`` (``world``) is the whole state of a deployment between two
steps: each node's ``NodeState`` from the core, its timers and stable storage, and the message
copies in flight. ``actions(world)`` lists what the reader may do (start a proposer, deliver,
drop or duplicate a message, fire a timer, crash or restart a node) and ``apply`` does one by
calling the core's pure handler, writing the records a simulated run would. ``Stepper``
(``stepper``) keeps a tree of worlds (``history``: undo, redo, branches, a short replayable
path), shows the history as a ``Run`` for the views and properties, takes over a simulated run
at any time (``from_run``), loads a model-checker counterexample (``from_check``) and asks the
checker whether the current position can still go wrong (``search``, via the ``actors`` model
started from the current world: ``search`` module). No rule of Paxos lives here.
"""

from .history import MAX_POSITIONS, Branch, Position
from .stepper import Broken, SearchResult, Stepper
from .world import KINDS, Action, World, message_text

__all__ = ["KINDS", "MAX_POSITIONS", "Action", "Branch", "Broken", "Position", "SearchResult",
           "Stepper", "World", "message_text"]
