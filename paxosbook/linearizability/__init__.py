"""Is a history of a concurrent object linearizable? Wing & Gong's search, Lowe's memoisation,
key by key (``check``); Jepsen's logs, EDN and JSON lines (``read_history``); a register and a
key-value model; the history drawn as a timeline (``Linearizability.figure``)."""

from .check import Linearizability, check
from .history import History, Operation, parse_history, read_history
from .models import MODELS, KeyValue, Model, Register

__all__ = ["MODELS", "History", "KeyValue", "Linearizability", "Model", "Operation", "Register",
           "check", "parse_history", "read_history"]
