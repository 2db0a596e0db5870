"""A deterministic discrete-event simulator that interprets the core's effects over a faulty
network. See ``Simulator``."""

from .simulator import Simulator, simulate

__all__ = ["Simulator", "simulate"]
