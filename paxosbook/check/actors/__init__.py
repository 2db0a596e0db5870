"""Model ``actors``: the core's own roles in every interleaving (``model``), with exact
reductions that are certified after every search (``reductions``, ``symmetry``), and a path
told as a ``Run`` (``trace``)."""

from .model import NETWORKS, REDUCTIONS, ActorModel, describe

__all__ = ["NETWORKS", "REDUCTIONS", "ActorModel", "describe"]
