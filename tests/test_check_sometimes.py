"""Sometimes-properties (Stateright's term): some reachable state must meet them, or the check
fails. A model that never decides must fail; witnesses are shortest paths under BFS."""

from __future__ import annotations

import json

import pytest
from test_check_cli import run as cli

from paxosbook import UsageError
from paxosbook.check import build_model, check
from paxosbook.check.engine import Action, Model, Sometimes, explore


class Grid(Model[tuple[int, int]]):
    """Walk right or up on an n x n grid: the corner (n-1, n-1) is first met after 2(n-1)
    steps, and a cell outside the grid never."""

    name = "grid"

    def __init__(self, n: int, goals: dict[str, tuple[int, int]]) -> None:
        self.n = n
        self.sometimes = [Sometimes(name, f"reach {g}", lambda s, g=g: s == g)  # type: ignore[misc]
                          for name, g in goals.items()]

    def initial_states(self) -> list[tuple[int, int]]:
        return [(0, 0)]

    def actions(self, s: tuple[int, int]) -> list[tuple[Action, tuple[int, int]]]:
        x, y = s
        return [(Action("Right"), (min(x + 1, self.n - 1), y)),
                (Action("Up"), (x, min(y + 1, self.n - 1)))]


@pytest.mark.parametrize("order", ["bfs", "dfs"])
def test_met_and_unmet_properties_on_a_grid(order: str) -> None:
    r = explore(Grid(4, {"corner": (3, 3), "outside": (9, 9), "start": (0, 0)}), order=order)
    assert r.complete and not r.violations
    assert {w.property for w in r.witnesses} == {"corner", "start"}
    assert r.sometimes_failed == ["outside"] and not r.ok
    corner = next(w for w in r.witnesses if w.property == "corner")
    assert corner.states[-1] == (3, 3) and corner.states[0] == (0, 0)
    if order == "bfs":  # shortest under breadth-first search: 3 Rights and 3 Ups
        assert len(corner.actions) == 6
    assert "SOMETIMES FAILED outside" in str(r)
    assert r.as_dict()["sometimes"]["failed"] == ["outside"]


def test_a_partial_search_does_not_fail_an_unmet_property() -> None:
    r = explore(Grid(60, {"corner": (59, 59)}), max_states=600)
    assert not r.complete and r.unmet == ["corner"]
    assert r.sometimes_failed == [] and r.ok
    assert r.as_dict()["sometimes"]["unknown"] == ["corner"]


def test_the_correct_protocol_can_decide_tla() -> None:
    r = check("tla")
    assert r.ok and [w.property for w in r.witnesses] == ["value_chosen"]
    w = r.witnesses[0]
    # Phase1a, two Phase1b, Phase2a, two Phase2b: the shortest way to a chosen value
    assert [a.name for a in w.actions] == ["Phase1a", "Phase1b", "Phase1b", "Phase2a",
                                           "Phase2b", "Phase2b"]
    assert "sometimes value_chosen" in str(r)


@pytest.mark.parametrize("symmetry", [False, True])
def test_the_correct_protocol_can_decide_actors(symmetry: bool) -> None:
    r = check("actors", values=1, max_ballot=0, symmetry=symmetry)
    assert r.ok
    by = {w.property: w for w in r.witnesses}
    assert set(by) == {"value_chosen", "every_learner_learns"}
    # two Prepares, two Promises, two Accepts: a quorum voted
    assert len(by["value_chosen"].actions) == 6
    # ... and the learner hears two Accepted (delivered on the side, added by extend)
    learn = by["every_learner_learns"]
    assert len(learn.actions) == 8 and learn.actions[-1].args[0].startswith("Accepted(")
    assert any(rec[1] == "learn" for rec in learn.run.records)


@pytest.mark.parametrize("model, crashed", [("tla", ("a2", "a3")), ("actors", ("a1", "a3"))])
def test_a_model_that_never_decides_fails(model: str, crashed: tuple[str, ...]) -> None:
    r = check(model, values=1, max_ballot=1, crashed=crashed)
    assert r.complete and not r.violations and not r.witnesses
    assert r.sometimes_failed and not r.ok
    assert "SOMETIMES FAILED value_chosen" in str(r)


def test_one_acceptor_down_still_decides() -> None:  # a majority of three is left
    r = check("tla", crashed=("a3",))
    assert r.ok and r.witnesses[0].property == "value_chosen"
    assert all("a3" not in str(a) for a in r.witnesses[0].actions)


def test_crashed_acceptors_are_checked() -> None:
    with pytest.raises(UsageError, match="crashed"):
        build_model("tla", crashed=("a9",))
    with pytest.raises(UsageError, match="crashed"):
        build_model("tla", crashed=("a1", "a1"))
    with pytest.raises(UsageError, match="symmetry"):
        check("tla", crashed=("a2",), symmetry=True)


def test_cli_exit_1_when_nothing_can_be_chosen(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "--model", "tla", "--crashed", "a2,a3")
    assert code == 1 and "SOMETIMES FAILED value_chosen" in out
    code, out, _ = cli(capsys, "--model", "tla", "--crashed", "a2,a3", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False
    assert doc["sometimes"] == {"held": [], "failed": ["value_chosen"], "unknown": []}


def test_cli_reports_the_witness(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "--model", "tla", "--json")
    held = json.loads(out)["sometimes"]["held"]
    assert code == 0 and [h["property"] for h in held] == ["value_chosen"]
    assert held[0]["length"] == 6


def test_cli_bad_crashed_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "--crashed", "a7")
    assert code == 2 and err.count("\n") == 1 and "--crashed" in err
