"""paxosbook: see Basic Paxos work and break, in a notebook.

``Config`` describes a run (its deployment, and the ``Network`` it runs under: faults, delays,
limits), ``simulate(config, seed=...)`` runs it in the deterministic
simulator and returns a ``Run`` (``.summary()``, ``.trace``, ``.violations``, ``.to_json()``).
The protocol itself lives in ``paxosbook.core``.
"""

from .config import Config
from .core import Ballot, FormatError, Mutant, PaxosbookError, UsageError
from .network import Crash, Network, Partition
from .sim import Simulator, simulate
from .summary import Summary
from .trace import Run

__version__ = "0.1.0"
__all__ = ["Ballot", "Config", "Crash", "FormatError", "Mutant", "Network", "Partition",
           "PaxosbookError", "Run", "Simulator", "Summary", "UsageError", "simulate"]
