"""Safety properties and the model checker.

* ``properties``: agreement, validity, integrity and the protocol invariants, declared once by
  name and evaluated on every simulated run (``check_run``) or any ``History``.
* ``check(model, ...)``: exhaust a model breadth-first (TLC's counts: distinct states, states
  generated, depth) and return the shortest counterexample as a trace; ``build_model`` makes the
  ``tla`` transcription of Lamport's spec or the ``actors`` model over the core's own roles.
"""

from .api import build_model, check
from .properties import PROPERTIES, History, Property, Violation, check_history, check_run

__all__ = ["PROPERTIES", "History", "Property", "Violation", "build_model", "check",
           "check_history", "check_run"]
