"""Model ``tla``: Lamport's single-decree Paxos specification, transcribed (``spec``: each
action line by line; ``model``: the packed, fast search over it, whose counts are TLC's), and a
path told as a ``Run`` (``trace``)."""

from . import spec
from .model import INVARIANTS, TlaModel

__all__ = ["INVARIANTS", "TlaModel", "spec"]
