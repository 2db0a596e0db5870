"""Partial-order reduction (sleep sets, ``explore(..., por=True)``) is certified against the
plain search: on every planted bug and the correct protocol, the same states (distinct,
generated, depth, raw counts under symmetry), the same invariants broken with shortest
counterexamples of the same length, the same sometimes-properties met with witnesses of the
same length. Sleep sets skip transitions, never states, so every figure must be equal; a
wrong independence relation is caught (last test)."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest

from paxosbook import Config, UsageError
from paxosbook.check.actors import ActorModel
from paxosbook.check.actors.sleep import Sleep
from paxosbook.check.engine import explore
from paxosbook.check.scenarios import NONE, QUORUMS, SCENARIOS, scenario
from paxosbook.check.tla import TlaModel
from paxosbook.cli import main
from paxosbook.core import Mutant


def figures(r: Any) -> tuple[Any, ...]:
    return (r.complete, r.distinct_states, r.total_states, r.depth, r.raw_distinct_states,
            r.raw_total_states, sorted((v.invariant, len(v.actions)) for v in r.violations),
            sorted((w.property, len(w.actions)) for w in r.witnesses), r.unmet,
            r.reductions_off)


def both(model: Any, **kw: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    plain = explore(model(), stop_on_violation=False, por=False, **kw)
    reduced = explore(model(), stop_on_violation=False, por=True, **kw)
    return figures(plain), figures(reduced)


def small(name: str) -> tuple[Config, str, int]:
    """The scenario's bug on 2 acceptors where that shows it (its own deployment otherwise):
    small enough to search to the end with ``stop_on_violation=False``."""
    sc = scenario(name)
    if name in (QUORUMS, NONE):
        return sc.config, "set", 0
    if name == Mutant.FORGET_PROMISE_ON_RESTART.value:  # 3 acceptors, a restart, a lost reply
        return sc.config, "multiset", 1
    fields = {"acceptors": 2, "proposers": 2, "learners": 1, "max_attempts": 1,
              "backoff": "none", **sc.fields}
    return Config(**fields), "set", 0  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_planted_bug_is_found_alike_with_sleep_sets(name: str) -> None:
    """Every violation each plain search finds, at the same depth, and the same
    sometimes-properties, with symmetry on. forget-promise-on-restart needs 3 acceptors
    (220,000 states to the end): its searches stop at the first violation, which must be the
    same invariant at the same depth."""
    config, network, restarts = small(name)

    def model() -> ActorModel:
        return ActorModel(config, network=network, restarts=restarts)

    if name == Mutant.FORGET_PROMISE_ON_RESTART.value:
        plain = explore(model(), symmetry=True, por=False)
        reduced = explore(model(), symmetry=True, por=True)
        assert plain.violations and figures(reduced)[6] == figures(plain)[6]
        return
    plain_figures, reduced_figures = both(model, symmetry=True)
    assert reduced_figures == plain_figures
    assert plain_figures[6] or name == NONE  # the bugs are found at all


@pytest.mark.parametrize("config, network, restarts, symmetry", [
    (Config(acceptors=3, proposers=2, learners=1, max_attempts=1, backoff="none"), "set", 0,
     False),
    (Config(acceptors=3, proposers=1, learners=2, max_attempts=2, backoff="none"), "set", 0,
     True),
    (Config(acceptors=2, proposers=2, learners=1, max_attempts=1, backoff="none"), "multiset",
     0, False),
    (Config(acceptors=2, proposers=2, learners=1, max_attempts=1, backoff="none",
            mutants=("accept-below-promise",)), "multiset", 0, True),
    (Config(acceptors=3, proposers=2, learners=1, max_attempts=1, backoff="none"), "set", 1,
     True),
    (Config(acceptors=2, proposers=1, learners=1, max_attempts=2, backoff="none",
            mutants=("forget-promise-on-restart",)), "multiset", 2, False),
])
def test_networks_restarts_and_symmetry_alike(config: Config, network: str, restarts: int,
                                              symmetry: bool) -> None:
    """Both networks, crash-restarts (two restarts share one budget: dependent steps) and
    searches with and without symmetry."""
    plain, reduced = both(lambda: ActorModel(config, network=network, restarts=restarts),
                          symmetry=symmetry)
    assert reduced == plain


def test_a_wrong_independence_relation_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The planted bug: two steps of one node called independent (only a restart is
    dependent on anything). Sleep sets then put to sleep steps that matter: states are lost,
    and the comparison above fails."""
    monkeypatch.setattr(Sleep, "dependent", lambda self, i, code: 0)
    config = scenario("none").config
    plain, reduced = both(lambda: ActorModel(config), symmetry=True)
    assert reduced[1] < plain[1]


def test_por_is_refused_where_it_does_not_apply() -> None:
    model = ActorModel(scenario("none").config)
    with pytest.raises(UsageError, match="por"):
        explore(model, por=True, order="dfs")
    with pytest.raises(UsageError, match="por"):
        explore(model, por="yes")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="por"):
        explore(TlaModel(acceptors=3, values=2, max_ballot=0), por=True)


def test_sleep_sets_are_the_default_wherever_they_apply() -> None:
    """``por=None`` (the default): sleep sets for a breadth-first search of ``actors``, the
    plain search for depth-first and for ``tla`` (no sleep sets), and ``por=False`` keeps the
    plain one. The bug it catches: a default that silently stays plain (2x slower), or one
    that turns sleep sets on where they are refused."""
    config = scenario("none").config
    assert explore(ActorModel(config)).por is True
    assert explore(ActorModel(config), por=False).por is False
    assert explore(ActorModel(config), order="dfs").por is False
    tla = explore(TlaModel(acceptors=3, values=2, max_ballot=0))
    assert tla.por is False and tla.as_dict()["por"] is False


def test_the_command_line_searches_with_sleep_sets_unless_told_not_to(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from paxosbook.check.actors import vector
    monkeypatch.setattr(vector, "SWITCH", 0)  # (the arrays from the first level, however small)
    args = ["check", "--model", "actors", "--acceptors", "2", "--values", "2",
            "--max-attempts", "1", "--json"]
    docs = []
    for extra in ([], ["--no-por"], ["--por"], ["--no-vectorised"]):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main([*args, *extra]) == 0
        docs.append(json.loads(out.getvalue()))
    assert [d["por"] for d in docs] == [True, False, True, True]
    # the array level loop (check.actors.vector) unless told not to; it needs sleep sets
    assert [d["vectorised"] for d in docs] == [True, False, True, False]
    figures = [(d["distinct_states"], d["total_states"], d["depth"]) for d in docs]
    assert figures[0] == figures[1] == figures[2] == figures[3]
