"""The model checker.

* ``PROPERTIES``, ``check_run``, ...: re-exported from ``paxosbook.properties`` (their home),
  which the checker evaluates on every state it reaches.
* ``check(model, ...)``: exhaust a model breadth-first (TLC's counts: distinct states, states
  generated, depth) and return the shortest counterexample as a trace; ``build_model`` makes the
  ``tla`` transcription of Lamport's spec or the ``actors`` model over the core's own roles.
* ``validate(run)``: is a logged run a behaviour of Lamport's spec (trace validation,
  ``check.refinement``)?
"""

from ..properties import PROPERTIES, History, Property, Violation, check_history, check_run
from .api import build_model, check
from .liveness import bounded_response
from .refinement import Validation, validate

__all__ = ["PROPERTIES", "History", "Property", "Validation", "Violation", "bounded_response",
           "build_model", "check", "check_history", "check_run", "validate"]
