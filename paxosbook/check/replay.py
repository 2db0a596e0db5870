"""A counterexample saved as a run, and replaying it through the checker's model.

``check --trace FILE`` saves a counterexample as a run document (``Run.to_json``) with one more
key, ``"checker"``, saying where it came from: the model (``tla`` or ``actors``), the
``build_model`` parameters, the reductions the search had switched off, the invariants the last
state breaks and the path's actions (as printed). Readers that do not know the key ignore it;
``paxosbook show`` uses it to rebuild the model and walk the path step by step: from the
model's initial state, each step must be an action of the model with the recorded name, the
last state must break the recorded invariants, and the run the model tells for the path must
have exactly the file's event rows. When one name fits several actions (a ``Phase2a`` with
another quorum, a second copy of a message), the candidates whose events so far agree with the
file are tried in turn.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..core import FormatError, PaxosbookError
from ..trace import shown
from .api import MODELS, build_model

if TYPE_CHECKING:
    from ..trace import Run
    from .engine import Action
    from .model import Counterexample, Model

CHECKER = "checker"
"""The key of a saved run document that marks it as a counterexample of the checker."""

MAX_REPLAY_STEPS = 100_000
"""Most actions a saved path may have (and most candidate steps a replay tries)."""

_BUILD_PARAMETERS = tuple(p for p in inspect.signature(build_model).parameters if p != "model")


def checker_document(model: str, parameters: dict[str, Any],
                     counterexample: Counterexample[Any]) -> str:
    """``counterexample`` as a run document (JSON) that ``replay`` can check: ``model`` and
    ``parameters`` are what ``build_model`` was called with."""
    doc = json.loads(counterexample.run.to_json())
    doc[CHECKER] = {
        "model": model, "parameters": parameters,
        "reductions_off": sorted(getattr(counterexample.model, "reductions_off", {})),
        "invariants": list(counterexample.invariants),
        "actions": [str(a) for a in counterexample.actions]}
    return json.dumps(doc, ensure_ascii=False)


def replay(block: Any, rows: Sequence[Any]) -> Run | None:
    """The run of the path ``block`` (a document's ``"checker"`` value) describes, told by a
    model built from it: the path whose events are ``rows`` if there is one, else the first
    path with the recorded action names, else ``None`` (no such path, or its last state does
    not break the recorded invariants). ``FormatError`` names a malformed field."""
    model = _model(_checked(block))
    labels, invariants = block["actions"], set(block["invariants"])
    first: Run | None = None
    for states, actions in _paths(model, labels, rows):
        if not invariants <= set(model.violated(states[-1])):
            continue
        run = model.to_run(states, actions)
        if [list(r) for r in run.rows()] == [list(r) for r in rows]:
            return run
        if first is None:
            first = run
    return first


def _checked(block: Any) -> dict[str, Any]:
    if not isinstance(block, dict):
        raise FormatError(f"{CHECKER}: must be an object; got {shown(block)}")
    if block.get("model") not in MODELS:
        raise FormatError(f"{CHECKER}.model: must be one of {', '.join(MODELS)}; "
                          f"got {shown(block.get('model'))}")
    parameters = block.get("parameters")
    if not isinstance(parameters, dict) or not set(parameters) <= set(_BUILD_PARAMETERS):
        raise FormatError(f"{CHECKER}.parameters: must be an object with keys from "
                          f"{', '.join(_BUILD_PARAMETERS)}; got {shown(parameters)}")
    for name in ("reductions_off", "invariants", "actions"):
        value = block.get(name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise FormatError(f"{CHECKER}.{name}: must be a list of strings; "
                              f"got {shown(value)}")
    if len(block["actions"]) > MAX_REPLAY_STEPS:
        raise FormatError(f"{CHECKER}.actions: must be at most {MAX_REPLAY_STEPS} steps "
                          f"(MAX_REPLAY_STEPS); got {len(block['actions'])}")
    return block


def _model(block: dict[str, Any]) -> Model[Any]:
    try:
        model = build_model(block["model"], **block["parameters"])
    except (PaxosbookError, TypeError, ValueError, AttributeError) as exc:
        raise FormatError(f"{CHECKER}.parameters: {exc}") from None
    off = set(block["reductions_off"]) - set(getattr(model, "reductions_off", {}))
    if not off:
        return model
    known = set(getattr(model, "switches", {}))
    if not off <= known:
        raise FormatError(f"{CHECKER}.reductions_off: must be names from "
                          f"{', '.join(sorted(known)) or 'nothing (this model has none)'}; "
                          f"got {sorted(off - known)}")
    return model.without({name: "off in the saved counterexample" for name in off})


class _Step:
    """A node of the replay's search tree: a state, the action into it, its parent."""

    __slots__ = ("action", "depth", "parent", "state")

    def __init__(self, state: Any, action: Action | None, parent: _Step | None) -> None:
        self.state, self.action, self.parent = state, action, parent
        self.depth: int = 0 if parent is None else parent.depth + 1

    def path(self) -> tuple[list[Any], list[Action]]:
        states: list[Any] = []
        actions: list[Action] = []
        node: _Step | None = self
        while node is not None:
            states.append(node.state)
            if node.action is not None:
                actions.append(node.action)
            node = node.parent
        return states[::-1], actions[::-1]


def _paths(model: Model[Any], labels: list[str], rows: Sequence[Any]
           ) -> Iterator[tuple[list[Any], list[Action]]]:
    """Every path of ``model`` whose actions are named ``labels`` (depth first; where a name
    fits several actions, only those whose events so far agree with ``rows``)."""
    stack = [_Step(s, None, None) for s in reversed(model.initial_states())]
    tried = 0
    while stack:
        node = stack.pop()
        if node.depth == len(labels):
            yield node.path()
            continue
        options = [_Step(t, a, node) for a, t in model.path_steps(node.state)
                   if str(a) == labels[node.depth]]
        tried += len(options)
        if tried > MAX_REPLAY_STEPS:
            raise FormatError(f"{CHECKER}.actions: must name a path the model can follow in "
                              f"at most {MAX_REPLAY_STEPS} tries (MAX_REPLAY_STEPS); got "
                              f"{len(labels)} actions that fit more")
        if len(options) > 1:
            options = [o for o in options if _agrees(model, o, rows)]
        stack.extend(reversed(options))


def _agrees(model: Model[Any], node: _Step, rows: Sequence[Any]) -> bool:
    """Do the events of the path to ``node`` match ``rows`` up to its time (step number)?"""
    told = model.to_run(*node.path()).rows()
    stored = [r for r in rows if r[0] <= node.depth]
    return [list(r) for r in told] == [list(r) for r in stored]
