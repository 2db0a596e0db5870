"""Sequential specifications the checker linearizes against: a register and a key-value map.

A model is an initial state and a step function: ``step(state, op)`` returns whether ``op``,
applied in ``state``, could have produced the result the client saw, and the state after it.
Operations whose outcome the client did not see (``info``) are checked for their effect only.
States are plain hashable values, so the search can memoise them.

``fail`` operations did not happen and never reach a model (``History`` keeps them, the checker
drops them), with one exception that Jepsen's etcd tests and porcupine share: a failed cas is an
observation too. Etcd answers a cas whose expected value differs with a failure, so a failed
cas must be linearized at a point where the register did *not* hold the expected value. The
``register`` model follows that reading; ``register(failed_cas="absent")`` treats a failed cas
as if it had never been sent (knossos' reading), which is weaker.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ..core import UsageError
from .history import Operation


class _Fresh:
    def __repr__(self) -> str:
        return "any other value"


FRESH = _Fresh()
"""A value no operation writes, reads or compares with (it stands for all of them)."""

__all__ = ["MODELS", "KeyValue", "Model", "Register", "model_named"]


class Model:
    """A sequential object: ``name``, ``init``, ``step``, and which operations it accepts."""

    name = "model"
    init: Hashable = None
    operations: tuple[str, ...] = ()
    partitioned = False
    """Whether operations on different keys are independent (checked key by key)."""

    def step(self, state: Any, op: Operation) -> tuple[bool, Any]:
        raise NotImplementedError

    def any_state(self, ops: list[Operation]) -> list[Any] | None:
        """States standing for "any state" in a search of ``ops`` (each value they can tell
        apart, plus one they cannot), or ``None`` when there are too many."""
        return None

    def observed(self, op: Operation) -> bool:
        """Whether ``op`` takes part in the search (see the module docstring)."""
        if op.status == "fail":
            return False
        return not (op.f in ("read", "get") and op.status != "ok")  # unseen reads: no effect


@dataclass(frozen=True)
class Register(Model):
    """One register: ``read``, ``write`` and ``cas [expected new]``; ``nil`` at first."""

    failed_cas: str = "observed"
    name = "register"
    operations = ("read", "write", "cas")

    def observed(self, op: Operation) -> bool:
        if op.f == "cas" and op.status == "fail":
            return self.failed_cas == "observed"
        return super().observed(op)

    def any_state(self, ops: list[Operation]) -> list[Any] | None:
        values = {None, FRESH}
        for op in ops:
            values.update(op.value if op.f == "cas" else (op.value, op.output))
        return sorted(values, key=repr)

    def step(self, state: Any, op: Operation) -> tuple[bool, Any]:
        if op.f == "read":
            return op.output == state, state
        if op.f == "write":
            return True, op.value
        return _cas(state, op)


@dataclass(frozen=True)
class KeyValue(Model):
    """String values under keys: ``get`` (``""`` when absent), ``put``, ``append``, and
    ``cas [expected new]`` (a failed cas is an observation, as for the register: the value
    was not ``expected`` at its linearization point)."""

    name = "kv"
    init = ""
    operations = ("get", "put", "append", "cas")
    partitioned = True

    def observed(self, op: Operation) -> bool:
        if op.f == "cas" and op.status == "fail":
            return True
        return super().observed(op)

    def step(self, state: Any, op: Operation) -> tuple[bool, Any]:
        if op.f == "get":
            return op.output == state, state
        if op.f == "put":
            return True, op.value
        if op.f == "cas":
            return _cas(state, op)
        return True, state + op.value


def _cas(state: Any, op: Operation) -> tuple[bool, Any]:
    """``cas [expected new]`` in ``state``: a failed one is an observation (the value was not
    ``expected``), an ``info`` one happened with whatever outcome."""
    expected, new = op.value
    hit = state == expected
    if op.status == "fail":
        return not hit, state
    if op.status == "ok":
        return hit, new if hit else state
    return True, new if hit else state


MODELS: dict[str, type[Model]] = {"register": Register, "kv": KeyValue}


def model_named(name: str | Model) -> Model:
    if isinstance(name, Model):
        return name
    if name not in MODELS:
        raise UsageError("model", " or ".join(MODELS), name)
    return MODELS[name]()


def check_operations(model: Model, ops: list[Operation]) -> None:
    """``FormatError`` for an operation the model does not know, or a value of the wrong kind."""
    from ..core import FormatError
    for op in ops:
        if op.f not in model.operations:
            raise FormatError(f"line {op.line}: f: must be one of {', '.join(model.operations)} "
                              f"for the {model.name} model; got {op.f!r}")
        if model.name == "kv" and op.f == "cas" and not (
                isinstance(op.value, tuple) and all(isinstance(v, str) for v in op.value)):
            raise FormatError(f"line {op.line}: value: must be [expected new] strings for cas; "
                              f"got {op.value!r}")
        if model.name == "kv" and op.f in ("put", "append") and not isinstance(op.value, str):
            raise FormatError(f"line {op.line}: value: must be a string for {op.f}; got "
                              f"{op.value!r}")
        if model.name == "kv" and op.f == "get" and op.status == "ok" \
                and not isinstance(op.output, str):
            raise FormatError(f"line {op.line}: value: a get must return a string; got "
                              f"{op.output!r}")
