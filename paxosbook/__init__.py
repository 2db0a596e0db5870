"""paxosbook: see Basic Paxos work and break, in a notebook.

``Config`` describes a run, ``simulate(config, seed=...)`` runs it in the deterministic
simulator and returns a ``Run`` (``.summary()``, ``.trace``, ``.violations``, ``.to_json()``).
The protocol itself lives in ``paxosbook.core``.
"""

from .config import Config, Crash, Partition
from .core import Ballot, FormatError, Mutant, PaxosbookError, UsageError
from .sim import Simulator, simulate
from .summary import Summary
from .trace import Run

__version__ = "0.1.0"
__all__ = ["Ballot", "Config", "Crash", "FormatError", "Mutant", "Partition", "PaxosbookError",
           "Run", "Simulator", "Summary", "UsageError", "simulate"]
