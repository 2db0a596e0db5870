"""Safety properties, evaluated on every run (and, in a later issue, by the model checker)."""

from .properties import PROPERTIES, History, Property, Violation, check_history, check_run

__all__ = ["PROPERTIES", "History", "Property", "Violation", "check_history", "check_run"]
