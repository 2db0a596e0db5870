"""The search engine on toy models whose state graphs are known by hand."""

from __future__ import annotations

import gc

import pytest

from paxosbook import UsageError
from paxosbook.check.engine import Action, Invariant, Model, explore


class Grid(Model[tuple[int, int]]):
    """Walk right or up on an n x n grid; (n-1, n-1) is bad when ``trap`` is set.

    Every state offers both moves; at the border a move is a self-loop, as Phase1a of an
    already-sent ballot is in the TLA+ spec, and still counts as generated.
    """

    name = "grid"

    def __init__(self, n: int, trap: tuple[int, int] | None = None) -> None:
        self.n = n
        self.invariants = [Invariant("safe", "never on the trap", lambda s: s != trap)]

    def initial_states(self) -> list[tuple[int, int]]:
        return [(0, 0)]

    def actions(self, s: tuple[int, int]) -> list[tuple[Action, tuple[int, int]]]:
        x, y = s
        return [(Action("Right"), (min(x + 1, self.n - 1), y)),
                (Action("Up"), (x, min(y + 1, self.n - 1)))]


class Line(Model[int]):
    """0 .. n-1 with a mirror symmetry s <-> n-1-s and moves one step either way."""

    name = "line"

    def __init__(self, n: int) -> None:
        self.n = n

    def initial_states(self) -> list[int]:
        return [(self.n - 1) // 2] if self.n % 2 else [self.n // 2 - 1, self.n // 2]

    def actions(self, s: int) -> list[tuple[Action, int]]:
        return [(Action("step", (d,)), s + d) for d in (-1, 1) if 0 <= s + d < self.n]

    def canonical(self, s: int) -> tuple[int, int]:
        m = self.n - 1 - s
        return min(s, m), 1 if s == m else 2


def test_counts_follow_tlc_definitions() -> None:
    """Figures derived by hand, not pins: a 3 x 3 grid has 9 states, the farthest is 4 moves
    away (TLC counts the initial state as depth 1, so 5), and every state has two successors
    (a move at the edge stays put)."""
    r = explore(Grid(3))
    assert (r.distinct_states, r.depth) == (9, 5)
    assert r.total_states == 1 + 2 * 9  # the initial state plus two successors per state
    assert r.complete and r.stop_reason == "exhausted" and r.ok


def test_breadth_first_counterexample_is_shortest() -> None:
    r = explore(Grid(4, trap=(2, 1)))
    (cex,) = r.violations
    assert cex.invariant == "safe" and r.stop_reason == "violation"
    assert len(cex.actions) == 3
    assert sorted(str(a) for a in cex.actions) == ["Right()", "Right()", "Up()"]
    assert cex.states[0] == (0, 0) and cex.states[-1] == (2, 1)


def test_depth_first_finds_it_too_and_reports_depth() -> None:
    r = explore(Grid(4, trap=(3, 3)), order="dfs")
    assert r.violations and r.violations[0].states[-1] == (3, 3)
    full = explore(Grid(4), order="dfs")
    assert full.distinct_states == 16 and full.depth == 7


def test_initial_state_is_checked() -> None:
    r = explore(Grid(2, trap=(0, 0)))
    assert r.violations and r.violations[0].actions == []


def test_limits_give_a_clear_partial_result() -> None:
    r = explore(Grid(30), max_states=50)
    assert not r.complete and r.stop_reason == "max_states"
    assert 50 <= r.distinct_states < 900
    assert "PARTIAL" in str(r) and r.as_dict()["complete"] is False
    slow = explore(Grid(400), max_seconds=0.05)
    assert slow.stop_reason == "max_seconds" and not slow.complete


def test_keep_going_reports_each_property_once() -> None:
    class Two(Grid):
        def __init__(self) -> None:
            super().__init__(4)
            self.invariants = [Invariant("x", "", lambda s: s[0] < 2),
                               Invariant("y", "", lambda s: s[1] < 3)]

    r = explore(Two(), stop_on_violation=False)
    assert sorted(v.invariant for v in r.violations) == ["x", "y"]
    assert r.complete and r.distinct_states == 16


@pytest.mark.parametrize("n", [5, 6, 9])
def test_symmetry_recovers_raw_counts(n: int) -> None:
    raw = explore(Line(n))
    reduced = explore(Line(n), symmetry=True)
    assert reduced.distinct_states == (n + 1) // 2
    assert (reduced.raw_distinct_states, reduced.raw_total_states) == (raw.distinct_states,
                                                                       raw.total_states)
    assert reduced.depth == raw.depth


def test_symmetry_needs_a_group() -> None:
    with pytest.raises(UsageError, match="symmetry"):
        explore(Grid(3), symmetry=True)


@pytest.mark.parametrize("kw, field", [({"order": "random"}, "order"),
                                       ({"max_states": 0}, "max_states"),
                                       ({"max_seconds": -1}, "max_seconds")])
def test_bad_arguments(kw: dict[str, object], field: str) -> None:
    with pytest.raises(UsageError, match=field):
        explore(Grid(2), **kw)  # type: ignore[arg-type]


def test_result_as_dict_has_the_figures() -> None:
    d = explore(Grid(3, trap=(1, 1))).as_dict()
    assert {"distinct_states", "total_states", "depth", "seconds", "states_per_second",
            "violations"} <= set(d)
    assert d["violations"][0]["invariant"] == "safe"
    assert d["violations"][0]["actions"] == ["Right()", "Up()"] or \
        d["violations"][0]["actions"] == ["Up()", "Right()"]


class Watched(Grid):
    """A grid that notes whether the cyclic garbage collector was on at each step."""

    def __init__(self, n: int, trap: tuple[int, int] | None = None) -> None:
        super().__init__(n, trap)
        self.collecting: set[bool] = set()

    def actions(self, s: tuple[int, int]) -> list[tuple[Action, tuple[int, int]]]:
        self.collecting.add(gc.isenabled())
        return super().actions(s)


@pytest.mark.parametrize("on", [True, False])
def test_the_search_pauses_the_garbage_collector_and_restores_it(on: bool) -> None:
    """The cyclic collector is off while states are searched (``gcpause``: its full scans
    of millions of states cost about a tenth of a search) and as it was afterwards, after a
    violation too: a notebook's kernel keeps collecting."""
    was = gc.isenabled()
    (gc.enable if on else gc.disable)()
    try:
        for trap in (None, (2, 2)):
            model = Watched(3, trap)
            r = explore(model)
            assert r.ok is (trap is None)
            assert model.collecting == {False}
            assert gc.isenabled() is on
    finally:
        (gc.enable if was else gc.disable)()
